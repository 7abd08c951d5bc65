/*
 * test_time.c - rcl_agg_time_local writes the local time with the offset
 * it has at that moment, as strftime's "%Y-%m-%d %H:%M %z" does on glibc:
 * east and west of UTC, half hours, summer time, both sides of a new year
 * whose local date differs from UTC's; "" for no time.
 */
#define _DEFAULT_SOURCE /* setenv */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rcl_test.h"
#include "rcl_time.h"

static void check_zone(const char *tz)
{
    /* 2020-03-06 10:00 UTC, 2020-07-01 03:30 UTC, 2019-12-31 20:00 UTC, 2020-01-01 02:00 UTC */
    const int64_t times[] = {1583488800, 1593574200, 1577822400, 1577844000};

    setenv("TZ", tz, 1);
    tzset();
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        time_t t = (time_t)times[i];
        struct tm tm;
        char want[64], got[64];

        CHECK(localtime_r(&t, &tm) != NULL);
        strftime(want, sizeof(want), "%Y-%m-%d %H:%M %z", &tm);
        rcl_agg_time_local(times[i], got, sizeof(got));
        CHECK_STR(got, want);
    }
}

static void test_zones(void)
{
    check_zone("CST-8"); /* China: +0800 */
    check_zone("UTC0");
    check_zone("IST-5:30");                    /* +0530 */
    check_zone("EST5EDT,M3.2.0,M11.1.0");      /* -0500, -0400 in summer */
    check_zone("NZST-12NZDT,M9.5.0,M4.1.0/3"); /* +1300 over the new year */
    check_zone("<-0930>9:30");                 /* -0930 */
}

static void test_no_time(void)
{
    char got[64] = "x";

    rcl_agg_time_local(0, got, sizeof(got));
    CHECK_STR(got, "");
}

int main(void)
{
    RCL_TEST_RUN(test_zones);
    RCL_TEST_RUN(test_no_time);
    return RCL_TEST_RESULT();
}

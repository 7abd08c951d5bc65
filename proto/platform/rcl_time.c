/*
 * rcl_time.c - local times for people (see rcl_time.h).
 */
#include "rcl_time.h"

#include <stdio.h>
#include <time.h>

#include "rcl_platform.h"

/*
 * Minutes east of UTC of local, the local time of t: worked out from the two
 * broken-down times, since strftime's %z gives the zone's name on Windows.
 */
static long utc_offset_minutes(time_t t, const struct tm *local)
{
    struct tm utc;
    long days;

    if (rcl_gmtime(t, &utc) != 0)
        return 0;
    /* The two are at most a day apart: across a new year, the later one is day 0. */
    days = local->tm_year == utc.tm_year ? local->tm_yday - utc.tm_yday
                                         : (local->tm_year > utc.tm_year ? 1 : -1);
    return days * 1440 + (local->tm_hour - utc.tm_hour) * 60L + (local->tm_min - utc.tm_min);
}

void rcl_agg_time_local(int64_t t, char *out, size_t outlen)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char when[32];
    long off;

    if (t <= 0 || rcl_localtime(tt, &tm) != 0 ||
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm) == 0) {
        snprintf(out, outlen, "%s", "");
        return;
    }
    off = utc_offset_minutes(tt, &tm);
    snprintf(out, outlen, "%s %c%02ld%02ld", when, off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
             (off < 0 ? -off : off) % 60);
}

/*
 * test_agg_limit.c - per-source rate limits: a noisy source is held to its
 * rate and burst while a quiet one is never affected, buckets refill with
 * time, and a table full of sources forgets the stalest.
 */
#include <stdio.h>
#include <stdlib.h>

#include "agg_limit.h"
#include "rcl_log.h"
#include "rcl_test.h"

static void test_noisy_source_does_not_starve_a_quiet_one(void)
{
    struct rcl_agg_limits *l = malloc(sizeof(*l));
    int noisy_ok = 0, quiet_ok = 0;

    CHECK(l != NULL);
    if (!l)
        return;
    rcl_agg_limits_init(l);
    /* One second: the noisy school sends 1000 small messages, the quiet one 5. */
    for (int i = 0; i < 1000; i++) {
        double t = i / 1000.0;

        noisy_ok += rcl_agg_limits_take(l, "4113810001", 300, t);
        if (i % 200 == 0)
            quiet_ok += rcl_agg_limits_take(l, "4113810002", 300, t);
    }
    /* The burst, plus what refilled during that second (50/s). */
    CHECK(noisy_ok >= 200 && noisy_ok <= 251);
    CHECK(quiet_ok == 5);

    /* Bytes count too: a burst of huge messages stops at 64 MiB. */
    int big_ok = 0;
    for (int i = 0; i < 20; i++)
        big_ok += rcl_agg_limits_take(l, "4113810003", 4 * 1024 * 1024, 10.0);
    CHECK(big_ok == 16);

    /* After a quiet minute the noisy source is welcome again. */
    CHECK(rcl_agg_limits_take(l, "4113810001", 300, 61.0));
    free(l);
}

static void test_many_sources(void)
{
    struct rcl_agg_limits *l = malloc(sizeof(*l));
    char id[32];
    int ok = 0;

    CHECK(l != NULL);
    if (!l)
        return;
    rcl_agg_limits_init(l);
    /* Twice as many sources as slots: each new one starts with a full bucket. */
    for (int i = 0; i < 2 * RCL_AGG_LIMIT_SLOTS; i++) {
        snprintf(id, sizeof(id), "41%08d", i);
        ok += rcl_agg_limits_take(l, id, 100, (double)i / 1e6);
    }
    CHECK(ok == 2 * RCL_AGG_LIMIT_SLOTS);
    free(l);
}

int main(void)
{
    rcl_log_init("test_agg_limit");
    RCL_TEST_RUN(test_noisy_source_does_not_starve_a_quiet_one);
    RCL_TEST_RUN(test_many_sources);
    return RCL_TEST_RESULT();
}

/*
 * test_retry.c - the retry-after-refusal policy (rcl_retry.h): the first
 * delay, doubling per refusal in a row up to the maximum, the end of a wait,
 * and the reset once the link worked.
 */
#include <stdint.h>

#include "rcl_retry.h"
#include "rcl_test.h"

/* Each refusal in a row doubles the delay until it reaches the maximum, and stays there. */
static void test_doubles_up_to_the_maximum(void)
{
    struct rcl_retry r;
    int want = RCL_RETRY_FIRST_S;

    rcl_retry_init(&r);
    for (int i = 0; i < 12; i++) {
        CHECK(r.delay_s == want);
        rcl_retry_double(&r);
        want = want * 2 > RCL_RETRY_MAX_S ? RCL_RETRY_MAX_S : want * 2;
    }
    CHECK(r.delay_s == RCL_RETRY_MAX_S);
    rcl_retry_reset(&r);
    CHECK(r.delay_s == RCL_RETRY_FIRST_S);
}

/* A wait is over once the whole delay has passed since it started, not a millisecond before. */
static void test_wait_ends_after_the_delay(void)
{
    struct rcl_retry r;
    const int64_t start = 5000000;

    rcl_retry_init(&r);
    rcl_retry_double(&r);
    rcl_retry_wait(&r, start);
    CHECK(!rcl_retry_due(&r, start));
    CHECK(!rcl_retry_due(&r, start + (int64_t)r.delay_s * 1000 - 1));
    CHECK(rcl_retry_due(&r, start + (int64_t)r.delay_s * 1000));
    /* A new wait starts from its own time; the delay is what it was. */
    rcl_retry_wait(&r, start + 10);
    CHECK(!rcl_retry_due(&r, start + (int64_t)r.delay_s * 1000));
    CHECK(rcl_retry_due(&r, start + 10 + (int64_t)r.delay_s * 1000));
}

/* Doubling while a wait runs is for the next refusal: this wait ends when it said it would. */
static void test_double_during_a_wait(void)
{
    struct rcl_retry r;
    const int64_t start = 7000000;
    int logged;

    rcl_retry_init(&r);
    logged = r.delay_s;
    rcl_retry_wait(&r, start);
    rcl_retry_double(&r);
    CHECK(r.delay_s == 2 * logged);
    CHECK(!rcl_retry_due(&r, start + (int64_t)logged * 1000 - 1));
    CHECK(rcl_retry_due(&r, start + (int64_t)logged * 1000));
}

/* Before any wait, a try is due as soon as a first delay has passed on the clock. */
static void test_no_wait_yet(void)
{
    struct rcl_retry r;

    rcl_retry_init(&r);
    CHECK(!rcl_retry_due(&r, (int64_t)RCL_RETRY_FIRST_S * 1000 - 1));
    CHECK(rcl_retry_due(&r, (int64_t)RCL_RETRY_FIRST_S * 1000));
}

int main(void)
{
    RCL_TEST_RUN(test_doubles_up_to_the_maximum);
    RCL_TEST_RUN(test_double_during_a_wait);
    RCL_TEST_RUN(test_wait_ends_after_the_delay);
    RCL_TEST_RUN(test_no_wait_yet);
    return RCL_TEST_RESULT();
}

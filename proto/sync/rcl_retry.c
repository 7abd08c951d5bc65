/*
 * rcl_retry.c - the retry-after-refusal policy (rcl_retry.h).
 */
#include "rcl_retry.h"

void rcl_retry_init(struct rcl_retry *r)
{
    r->delay_s = RCL_RETRY_FIRST_S;
    r->due_ms = (int64_t)RCL_RETRY_FIRST_S * 1000;
}

void rcl_retry_wait(struct rcl_retry *r, int64_t now_ms)
{
    r->due_ms = now_ms + (int64_t)r->delay_s * 1000;
}

bool rcl_retry_due(const struct rcl_retry *r, int64_t now_ms)
{
    return now_ms >= r->due_ms;
}

void rcl_retry_double(struct rcl_retry *r)
{
    r->delay_s = r->delay_s * 2 > RCL_RETRY_MAX_S ? RCL_RETRY_MAX_S : r->delay_s * 2;
}

void rcl_retry_reset(struct rcl_retry *r)
{
    r->delay_s = RCL_RETRY_FIRST_S;
}

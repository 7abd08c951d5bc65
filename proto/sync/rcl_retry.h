/*
 * rcl_retry.h - when a sender asks an upstream that refused it again: after
 * RCL_RETRY_FIRST_S, doubling with each refusal in a row up to
 * RCL_RETRY_MAX_S, and back to the first once the link has worked. The
 * operator may have fixed the cause meanwhile (enrolled or un-revoked this
 * node); used by `rollcall-school sync --watch` and by an aggregator
 * forwarding its summaries, each with its own idea of a link that worked.
 *
 * Times are in milliseconds of the caller's clock (rcl_mono_ms, or wall
 * seconds times 1000); what is logged is the caller's, in seconds.
 */
#ifndef RCL_RETRY_H
#define RCL_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#define RCL_RETRY_FIRST_S 60
#define RCL_RETRY_MAX_S 900

struct rcl_retry {
    int delay_s;    /* the wait a refusal starts now */
    int64_t due_ms; /* when the wait started last ends: doubling later leaves it */
};

/* The first delay, no wait started. */
void rcl_retry_init(struct rcl_retry *r);

/* Starts waiting delay_s from now_ms (a refusal, a failed try): what the caller logs. */
void rcl_retry_wait(struct rcl_retry *r, int64_t now_ms);

/* Whether the wait started by rcl_retry_wait is over at now_ms. */
bool rcl_retry_due(const struct rcl_retry *r, int64_t now_ms);

/* Another refusal in a row: the next delay is doubled, up to RCL_RETRY_MAX_S. */
void rcl_retry_double(struct rcl_retry *r);

/* The link worked: the next refusal waits the first delay again. */
void rcl_retry_reset(struct rcl_retry *r);

#endif

/*
 * agg_limit.h - per-source rate limits, so one noisy or hostile school cannot
 * starve the others.
 *
 * A token bucket per source for messages and one for bytes. A message over
 * the limit is answered BUSY before anything costly (signature, decoding,
 * the store) is done; an honest sender backs off and sends it again.
 */
#ifndef RCL_AGG_LIMIT_H
#define RCL_AGG_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcl_model.h"

/* Sustained rate and burst per source: far above what an honest sender needs. */
#define RCL_AGG_LIMIT_MSGS_PER_S 50.0
#define RCL_AGG_LIMIT_MSGS_BURST 200.0
#define RCL_AGG_LIMIT_BYTES_PER_S (16.0 * 1024 * 1024)
#define RCL_AGG_LIMIT_BYTES_BURST (64.0 * 1024 * 1024)
/* Sources tracked at once; beyond that, the least recently seen is forgotten. */
#define RCL_AGG_LIMIT_SLOTS 4096

struct rcl_agg_limit_slot {
    char source[RCL_ID_MAX + 1];
    double msgs;
    double bytes;
    double at; /* seconds, when the buckets were last filled */
    uint64_t refused;
};

struct rcl_agg_limits {
    double msgs_per_s, msgs_burst, bytes_per_s, bytes_burst;
    struct rcl_agg_limit_slot slots[RCL_AGG_LIMIT_SLOTS];
};

/* Sets the default limits; an empty table. */
void rcl_agg_limits_init(struct rcl_agg_limits *l);

/*
 * Takes one message of len bytes from source at time now (seconds, any
 * monotonic origin). Returns true when it is within the limits, false when
 * it is to be answered BUSY.
 */
bool rcl_agg_limits_take(struct rcl_agg_limits *l, const char *source, size_t len, double now);

#endif

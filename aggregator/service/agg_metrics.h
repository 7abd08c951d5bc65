/*
 * agg_metrics.h - the counters `run` keeps while it serves, and the
 * Prometheus text exposition of them together with the store's gauges
 * (agg_monitor.h).
 *
 * The serve loop counts every reply it sends (rcl_agg_metrics_count); the
 * HTTP thread reads the counters at a scrape. Counters are atomics, so the
 * two threads need no lock. They start at 0 with each `run`, as Prometheus
 * counters do at a process restart (process_start_time_seconds tells).
 */
#ifndef RCL_AGG_METRICS_H
#define RCL_AGG_METRICS_H

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agg_store.h"
#include "rcl_codec.h"

/* Why a batch was refused: the label values of rollcall_batches_refused_total. */
enum rcl_agg_refusal {
    RCL_AGG_REFUSED_MALFORMED,     /* envelope or batch does not decode */
    RCL_AGG_REFUSED_NOT_ENROLLED,  /* source unknown here */
    RCL_AGG_REFUSED_REVOKED,       /* source revoked */
    RCL_AGG_REFUSED_WRONG_SOURCE,  /* names another source than its connection or envelope */
    RCL_AGG_REFUSED_BAD_SIGNATURE, /* does not verify against the enrolled key */
    RCL_AGG_REFUSED_BAD_RANGE,     /* not a valid seq range */
    RCL_AGG_REFUSED_CHAIN_BREAK,   /* does not continue the source's chain of batches */
    RCL_AGG_REFUSED_TOO_LARGE,     /* more records or bytes than allowed */
    RCL_AGG_REFUSED_BAD_CHANGE,    /* a change does not decode or does not suit this tier */
    RCL_AGG_REFUSED_BAD_SNAPSHOT,  /* a snapshot end that does not match what arrived */
    RCL_AGG_REFUSED_PROTOCOL,      /* a protocol version this program does not read */
    RCL_AGG_REFUSED_OTHER,
    RCL_AGG_REFUSAL_COUNT
};

extern const char *const rcl_agg_refusal_names[RCL_AGG_REFUSAL_COUNT];

/* Sorts a refusal's reason text (rcl_reply.reason as ingest writes it) into its kind. */
enum rcl_agg_refusal rcl_agg_refusal_classify(const char *reason);

/* Upper bounds (seconds) of the ingest latency histogram's buckets; +Inf follows. */
#define RCL_AGG_LATENCY_BUCKETS 12
extern const double rcl_agg_latency_bounds[RCL_AGG_LATENCY_BUCKETS];

struct rcl_agg_metrics {
    int64_t started_at; /* unix seconds */
    atomic_uint_fast64_t replies[RCL_REPLY_STATUS_COUNT];
    atomic_uint_fast64_t accepted; /* batches committed */
    atomic_uint_fast64_t records;  /* changes in the committed batches */
    atomic_uint_fast64_t refused[RCL_AGG_REFUSAL_COUNT];
    atomic_uint_fast64_t busy_rate_limit, busy_store;
    /* Receipt to acknowledgement, over every ACK sent. */
    atomic_uint_fast64_t ack_buckets[RCL_AGG_LATENCY_BUCKETS]; /* not cumulative */
    atomic_uint_fast64_t ack_count, ack_sum_us;
};

/* Zeroes m and sets its start time. */
void rcl_agg_metrics_init(struct rcl_agg_metrics *m, int64_t started_at);

/*
 * Counts one reply: committed is true when the batch was applied (records
 * changes in it), rate_limited when the serve loop answered BUSY before
 * ingest, seconds the time from receiving the message to queueing the reply.
 */
void rcl_agg_metrics_count(struct rcl_agg_metrics *m, const struct rcl_reply *r, bool committed,
                           size_t records, bool rate_limited, double seconds);

/*
 * Writes the Prometheus text format (version 0.0.4): m's counters (m may be
 * NULL: a process that does not serve), then the gauges read from db (db may
 * be NULL; when the store cannot be read, rollcall_store_readable is 0 and
 * the store's gauges are left out). Returns 0, or -1 when out fails.
 */
int rcl_agg_metrics_write(const struct rcl_agg_metrics *m, sqlite3 *db,
                          const struct rcl_agg_config *cfg, int64_t now, FILE *out);

#endif

/*
 * agg_health.h - `rollcall-agg health`: is this aggregator doing its job?
 *
 * The checks, in order, the first failing one giving the answer:
 *  1. the store opens and reads, and passes PRAGMA quick_check;
 *  2. the filesystem holding it has min_free_bytes left;
 *  3. `run` is running on it: its heartbeat (agg_monitor.h) is recent and
 *     the process it names is alive on this host;
 *  4. with an upstream, the oldest change waiting for it is at most
 *     max_lag_seconds old.
 * Health only reads: it never writes to the store or migrates it.
 */
#ifndef RCL_AGG_HEALTH_H
#define RCL_AGG_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#define RCL_AGG_HEALTH_MAX_LAG_DEFAULT 3600
#define RCL_AGG_HEALTH_MIN_FREE_MB_DEFAULT 100
/* The largest --max-lag (100 years) and --min-free-mb (1 TiB of MiB) taken. */
#define RCL_AGG_HEALTH_MAX_LAG_MAX (100LL * 365 * 86400)
#define RCL_AGG_HEALTH_MIN_FREE_MB_MAX (1LL << 40)

enum rcl_agg_health_result {
    RCL_AGG_HEALTHY = 0,
    RCL_AGG_UNHEALTHY = 1,     /* store, disk or run */
    RCL_AGG_UPSTREAM_LAGS = 3, /* only the upstream is behind (the exit code of "upstream") */
};

struct rcl_agg_health_options {
    int64_t max_lag_seconds;
    uint64_t min_free_bytes;
    int64_t now; /* unix seconds; 0 reads the clock */
};

/*
 * Checks the aggregator whose store is at path and writes one line (no
 * newline) into line: what is wrong, or "ok: ..." with the figures.
 */
enum rcl_agg_health_result rcl_agg_health(const char *path, const struct rcl_agg_health_options *o,
                                          char *line, size_t linelen);

#endif

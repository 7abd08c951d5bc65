/*
 * agg_run.h - the aggregator's serve loop: accept batches from enrolled sources
 * over CURVE, apply them, reply, and forward summaries to the upstream.
 */
#ifndef RCL_AGG_RUN_H
#define RCL_AGG_RUN_H

/*
 * Serves the store at db_path until SIGTERM or SIGINT. http is the address
 * of the metrics and dashboard listener (agg_http.h), "off" for none, or
 * NULL for the one stored at init (meta http; none when absent). Returns 0
 * after a clean stop, or 1 when the store cannot be opened or an endpoint
 * cannot be bound (a message on stderr says which).
 */
int rcl_agg_run(const char *db_path, const char *http);

#endif

/*
 * agg_run.h - the aggregator's serve loop: accept batches from enrolled sources
 * over CURVE, apply them, reply, and forward summaries to the upstream.
 */
#ifndef RCL_AGG_RUN_H
#define RCL_AGG_RUN_H

/*
 * Serves the store at db_path until SIGTERM or SIGINT. Returns 0 after a
 * clean stop, or 1 when the store cannot be opened or the endpoint cannot
 * be bound (a message on stderr says which).
 */
int rcl_agg_run(const char *db_path);

#endif

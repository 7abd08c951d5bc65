/*
 * agg_run.h - the aggregator's serve loop: accept batches from enrolled sources
 * over CURVE, apply them, reply, and forward summaries to the upstream.
 */
#ifndef RCL_AGG_RUN_H
#define RCL_AGG_RUN_H

/* The HTTP side of `run`, as its options give it; NULL members: not given. */
struct rcl_agg_run_options {
    const char *http;     /* --http: HOST:PORT or off (NULL: the address given at init) */
    const char *metrics;  /* --metrics: /metrics on a listener of its own, or off */
    const char *tls_cert; /* --tls-cert and --tls-key: the --http listener speaks TLS */
    const char *tls_key;
};

/*
 * Serves the store at db_path until SIGTERM or SIGINT. opt->http is the
 * address of the dashboard listener (agg_http.h), which also serves
 * /metrics unless opt->metrics is given; "off" for none, or NULL for the
 * one stored at init (meta http; none when absent). Returns 0 after a clean
 * stop, or 1 when the store cannot be opened, an endpoint cannot be bound
 * or a TLS file is wrong (a message on stderr says which).
 */
int rcl_agg_run(const char *db_path, const struct rcl_agg_run_options *opt);

#endif

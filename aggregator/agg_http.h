/*
 * agg_http.h - the HTTP listener of `run`: /metrics (Prometheus text
 * format, open to whoever can reach the listener) and / (the read-only
 * dashboard, agg_dash.h, only with the operator token).
 *
 * It runs on its own thread (libmicrohttpd's) with its own read-only
 * connection to the store, so a slow scrape never holds up ingest. Only GET
 * and HEAD of those two paths are served; connections, their memory and
 * their time are bounded (agg_http.c).
 */
#ifndef RCL_AGG_HTTP_H
#define RCL_AGG_HTTP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "agg_metrics.h"
#include "agg_store.h"

/* The longest --http value: "255.255.255.255:65535". */
#define RCL_AGG_HTTP_ADDR_MAX 21

/*
 * Parses an --http value: "HOST:PORT" with HOST an IPv4 address or
 * "localhost", or a bare "PORT" (on 127.0.0.1). PORT is 0-65535 (0: the
 * system chooses, and `run` records what it bound: agg_listen.h). Fills
 * out when it is not NULL. Returns 0, or -1.
 */
int rcl_agg_http_addr_parse(const char *text, struct sockaddr_in *out);

struct rcl_agg_http;

/* Writes into out the HOST:PORT the listener really bound. Returns 0, or -1. */
int rcl_agg_http_bound(const struct rcl_agg_http *h, char *out, size_t outlen);

/*
 * Starts listening on addr (an --http value) for the store at db_path,
 * whose configuration is cfg (copied); metrics are the counters of the
 * serve loop (not copied: they must outlive the listener). NULL with err
 * set when the address does not parse or cannot be bound.
 */
struct rcl_agg_http *rcl_agg_http_start(const char *addr, const char *db_path,
                                        const struct rcl_agg_config *cfg,
                                        struct rcl_agg_metrics *metrics, char *err, size_t errlen);

/* Stops the listener, waiting for its thread, and frees it. *h becomes NULL. */
void rcl_agg_http_stop(struct rcl_agg_http **h);

#endif

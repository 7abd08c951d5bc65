/*
 * agg_http.h - the HTTP listeners of `run`: /metrics (Prometheus text
 * format, open to whoever can reach the listener) and / (the read-only
 * dashboard, agg_dash.h, only with the operator token or a user's token).
 * One listener may serve both (--http alone), or /metrics has one of its
 * own (--metrics), so that a scraper on another host never reaches the
 * names; the dashboard's listener may speak TLS (GnuTLS, through
 * libmicrohttpd).
 *
 * It runs on its own thread (libmicrohttpd's) with its own read-only
 * connection to the store, so a slow scrape never holds up ingest. Only GET
 * and HEAD of those two paths are served; connections, their memory and
 * their time are bounded (agg_http.c).
 */
#ifndef RCL_AGG_HTTP_H
#define RCL_AGG_HTTP_H

#include <stdbool.h>
#include <sys/socket.h>
#include <stddef.h>

#include "agg_metrics.h"
#include "agg_store.h"

/* The longest --http value: an IPv6 address with an IPv4 tail, bracketed, and a port. */
#define RCL_AGG_HTTP_ADDR_MAX 53

/*
 * Parses an --http or --metrics value: "HOST:PORT" with HOST an IPv4
 * address or "localhost", "[V6]:PORT" with V6 an IPv6 address ("[::]:PORT":
 * every address, IPv4 too), or a bare "PORT" (on 127.0.0.1). PORT is
 * 0-65535 (0: the system chooses, and `run` records what it bound:
 * agg_listen.h). Fills out when it is not NULL. Returns 0, or -1.
 */
int rcl_agg_http_addr_parse(const char *text, struct sockaddr_storage *out);

/* What one listener serves, and how. */
struct rcl_agg_http_options {
    const char *addr;     /* an --http or --metrics value */
    bool dashboard;       /* serves / */
    bool metrics;         /* serves /metrics */
    const char *tls_cert; /* PEM files: both set, it speaks TLS only; both NULL, plain HTTP */
    const char *tls_key;  /* readable by its owner alone */
};

struct rcl_agg_http;

/* Writes into out the HOST:PORT the listener really bound. Returns 0, or -1. */
int rcl_agg_http_bound(const struct rcl_agg_http *h, char *out, size_t outlen);

/* True when the listener speaks TLS. */
bool rcl_agg_http_tls(const struct rcl_agg_http *h);

/*
 * Starts listening as opt says for the store at db_path, whose
 * configuration is cfg (copied); metrics are the counters of the serve
 * loop (not copied: they must outlive the listener). NULL with err set
 * when the address does not parse or cannot be bound, or a TLS file is
 * missing, unreadable, not PEM or (the key) readable by others.
 */
struct rcl_agg_http *rcl_agg_http_start(const struct rcl_agg_http_options *opt, const char *db_path,
                                        const struct rcl_agg_config *cfg,
                                        struct rcl_agg_metrics *metrics, char *err, size_t errlen);

/* Stops the listener, waiting for its thread, and frees it. *h becomes NULL. */
void rcl_agg_http_stop(struct rcl_agg_http **h);

#endif

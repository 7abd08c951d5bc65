/*
 * agg_listen.h - where `run` really listens.
 *
 * A listen endpoint may leave its port to the system (`tcp://127.0.0.1:0`, or `*`), and
 * so may the --http and --metrics addresses (`127.0.0.1:0`). `run` then records what it
 * bound: in the store (meta listen_bound, http_bound and metrics_bound; `status` shows
 * the first two) and in FILE.listen
 * beside the store, so that whoever starts it (an operator's script, the tests) reads the
 * port instead of guessing a free one. On its next start it asks for the same port
 * first, so that the schools and children given that port still reach it.
 */
#ifndef RCL_AGG_LISTEN_H
#define RCL_AGG_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

/* True when the port of ENDPOINT (tcp://HOST:PORT) or ADDR (HOST:PORT) is 0 or *. */
bool rcl_agg_listen_port_is_wild(const char *addr);

/*
 * Writes into out the address to try first for `configured` (meta key `key`:
 * "listen_bound", "http_bound" or "metrics_bound"): the configured one with the port bound last
 * time when its port is wild and one was recorded, else `configured` itself.
 */
void rcl_agg_listen_first_try(sqlite3 *db, const char *key, const char *configured, char *out,
                              size_t outlen);

/*
 * Records what `run` bound: the sync endpoint (as ZeroMQ reports it) and the HTTP
 * addresses of the dashboard and of /metrics apart (NULL when it serves none), in meta
 * and in DB_PATH.listen (lines "pid N", "sync ENDPOINT", "http HOST:PORT", "metrics
 * HOST:PORT"; written whole, then renamed into place). Returns 0, or -1 with err saying
 * what failed and where.
 */
int rcl_agg_listen_record(sqlite3 *db, const char *db_path, const char *sync_endpoint,
                          const char *http_addr, const char *metrics_addr, char *err,
                          size_t errlen);

/* Removes DB_PATH.listen at a clean stop: nothing listens there any more. */
void rcl_agg_listen_withdraw(const char *db_path);

#endif

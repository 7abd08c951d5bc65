/*
 * agg_monitor.h - what an operator watches on an unattended aggregator: the
 * figures read from the store (schools, upstream backlog and lag), the
 * heartbeat `run` keeps in the store, and the dashboard's operator token.
 *
 * Everything here reads or writes meta and a few tables; the figures are
 * read in one read transaction, so they are consistent while `run` writes.
 */
#ifndef RCL_AGG_MONITOR_H
#define RCL_AGG_MONITOR_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agg_store.h"

/* Figures read from the store. */
struct rcl_agg_gauges {
    uint64_t expected;       /* schools below: summary rows, and those of silent aggregators */
    uint64_t reported;       /* synced at least once */
    uint64_t stale;          /* reported, but not within the stale window */
    uint64_t never_reported; /* expected - reported */
    uint64_t students, blind_spots;
    uint64_t sources, revoked;
    uint64_t pending;          /* own changes the upstream has not acknowledged */
    int64_t oldest_pending_at; /* when the oldest of them was made; 0 if none known */
    int64_t lag_seconds;       /* now - oldest_pending_at, 0 when nothing waits */
    int64_t acked_at;          /* the upstream's last acknowledgement, 0 if never */
};

/*
 * Reads the gauges as of now (unix seconds) with the stale window of cfg.
 * Returns 0, or -1 with err set.
 */
int rcl_agg_gauges_read(sqlite3 *db, const struct rcl_agg_config *cfg, int64_t now,
                        struct rcl_agg_gauges *g, char *err, size_t errlen);

/* ---- Heartbeat of `run` (meta run_pid, run_started_at, run_heartbeat_at) ---- */

/* `run` writes it this often, and health calls a heartbeat older than the limit stuck. */
#define RCL_AGG_HEARTBEAT_S 5
#define RCL_AGG_HEARTBEAT_STUCK_S 60

struct rcl_agg_heartbeat {
    int64_t pid;          /* 0: never written */
    int64_t started_at;   /* when that run started */
    int64_t heartbeat_at; /* its last heartbeat; 0 after a clean stop */
    int64_t stopped_at;   /* when the last run stopped cleanly, 0 if never */
};

/*
 * Records that run (pid, started at) is alive as of now, with today's row of
 * the completeness series (agg_timeliness.h). 0, or -1 (store busy or failing).
 */
int rcl_agg_heartbeat_beat(sqlite3 *db, int64_t pid, int64_t started_at, int64_t now);
/* Records a clean stop at now. 0, or -1. */
int rcl_agg_heartbeat_stop(sqlite3 *db, int64_t now);
/* Reads the heartbeat (zeros when never written). 0, or -1 on a store error. */
int rcl_agg_heartbeat_read(sqlite3 *db, struct rcl_agg_heartbeat *hb);

/* ---- Dashboard token (meta dashboard_token) ---- */

/* 32 random bytes as 64 hex characters. */
#define RCL_AGG_TOKEN_HEX_LEN 64

/*
 * Makes a new token and stores it (replacing any), in one transaction.
 * token receives it. 0, or -1 with err set.
 */
int rcl_agg_token_new(sqlite3 *db, char token[RCL_AGG_TOKEN_HEX_LEN + 1], char *err, size_t errlen);
/* Reads the stored token. 1 found, 0 none, -1 store error. */
int rcl_agg_token_get(sqlite3 *db, char token[RCL_AGG_TOKEN_HEX_LEN + 1]);

/* True when offered (len bytes, not NUL-terminated) equals the token, in constant time. */
bool rcl_agg_token_matches(const char token[RCL_AGG_TOKEN_HEX_LEN + 1], const char *offered,
                           size_t len);

/* ---- Users' tokens (meta user_token:NAME = "HASH CREATED_AT") ---- */

/*
 * A person who may view the dashboard, under a name (an id: rcl_id_valid)
 * that the log shows when they view it. Only a hash of the token is kept;
 * revoking removes it, and the token stops working at once.
 */
struct rcl_agg_user_token {
    char name[RCL_ID_MAX + 1];
    int64_t created_at; /* unix seconds */
};

/*
 * Makes a token for name and stores its hash, at now. token receives it (shown
 * once). 0; 1 when name has a token already; -1 with err set.
 */
int rcl_agg_user_token_add(sqlite3 *db, const char *name, int64_t now,
                           char token[RCL_AGG_TOKEN_HEX_LEN + 1], char *err, size_t errlen);
/* Removes name's token. 0; 1 when name has none; -1 on a store error. */
int rcl_agg_user_token_revoke(sqlite3 *db, const char *name);
/* Calls fn for every user's token, by name. 0, fn's non-zero return, or -1 on a store error. */
int rcl_agg_user_token_each(sqlite3 *db, int (*fn)(void *arg, const struct rcl_agg_user_token *u),
                            void *arg);
/*
 * Whose token offered is (len bytes, not NUL-terminated): 1 with user
 * filled, 0 nobody's, -1 on a store error. Compares hashes in constant time.
 */
int rcl_agg_user_token_find(sqlite3 *db, const char *offered, size_t len,
                            struct rcl_agg_user_token *user);

#endif

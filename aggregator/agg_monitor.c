/*
 * agg_monitor.c - gauges read from the store, the heartbeat of `run`, and
 * the dashboard's operator token.
 */
#include "agg_monitor.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "agg_sql.h"
#include "agg_timeliness.h"
#include "rcl_db.h"
#include "rcl_outbox.h"

#define SQL_SCHOOLS                                                                                \
    "SELECT count(*) + " RCL_AGG_SQL_SILENT_EXPECTED ", coalesce(sum(reported != 0), 0),"         \
    " coalesce(sum(reported != 0 AND last_sync < ?1), 0),"                                         \
    " coalesce(sum(students), 0), coalesce(sum(blind_spots), 0) FROM summaries"
#define SQL_SOURCES "SELECT count(*), coalesce(sum(revoked != 0), 0) FROM sources"

/* Runs sql (binding ?1 to bind when has_bind) and reads up to n integer columns of its row. */
static int read_ints(sqlite3 *db, const char *sql, bool has_bind, int64_t bind, int64_t *out, int n)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto out;
    if (has_bind)
        sqlite3_bind_int64(st, 1, bind);
    if (sqlite3_step(st) != SQLITE_ROW)
        goto out;
    for (int i = 0; i < n; i++)
        out[i] = sqlite3_column_int64(st, i);
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

int rcl_agg_gauges_read(sqlite3 *db, const struct rcl_agg_config *cfg, int64_t now,
                        struct rcl_agg_gauges *g, char *err, size_t errlen)
{
    struct rcl_outbox_stats ob;
    int64_t v[5];
    int64_t stale_s = cfg->stale_seconds > 0 ? cfg->stale_seconds : RCL_AGG_STALE_DEFAULT;
    int ret = -1;

    memset(g, 0, sizeof(*g));
    memset(&ob, 0, sizeof(ob));
    if (sqlite3_exec(db, "BEGIN DEFERRED", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    if (read_ints(db, SQL_SCHOOLS, true, now - stale_s, v, 5) != 0)
        goto fail;
    g->expected = (uint64_t)v[0];
    g->reported = (uint64_t)v[1];
    g->stale = (uint64_t)v[2];
    g->never_reported = g->expected - g->reported;
    g->students = (uint64_t)v[3];
    g->blind_spots = (uint64_t)v[4];
    if (read_ints(db, SQL_SOURCES, false, 0, v, 2) != 0)
        goto fail;
    g->sources = (uint64_t)v[0];
    g->revoked = (uint64_t)v[1];
    if (rcl_outbox_stats(db, &ob) != 0)
        goto fail;
    g->pending = ob.pending;
    g->acked_at = ob.acked_at;
    if (g->pending > 0) {
        if (read_ints(db, RCL_AGG_SQL_OUTBOX_OLDEST, false, 0, v, 1) != 0)
            goto fail;
        g->oldest_pending_at = v[0];
        /* Changes older than the table that dates them: the last ack bounds their age. */
        if (g->oldest_pending_at <= 0)
            g->oldest_pending_at = g->acked_at;
        if (g->oldest_pending_at > 0 && now > g->oldest_pending_at)
            g->lag_seconds = now - g->oldest_pending_at;
    }
    ret = 0;
    goto out;
fail:
    snprintf(err, errlen, "reading the store failed: %s", sqlite3_errmsg(db));
out:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

/* ---- Heartbeat ---- */

int rcl_agg_heartbeat_beat(sqlite3 *db, int64_t pid, int64_t started_at, int64_t now)
{
    if (rcl_db_begin(db) != 0)
        return -1;
    if (rcl_meta_set_int(db, "run_pid", pid) != 0 ||
        rcl_meta_set_int(db, "run_started_at", started_at) != 0 ||
        rcl_meta_set_int(db, "run_heartbeat_at", now) != 0 ||
        rcl_agg_series_note(db, now) != 0 || rcl_db_commit(db) != 0) {
        rcl_db_rollback(db);
        return -1;
    }
    return 0;
}

int rcl_agg_heartbeat_stop(sqlite3 *db, int64_t now)
{
    if (rcl_db_begin(db) != 0)
        return -1;
    if (rcl_meta_set_int(db, "run_heartbeat_at", 0) != 0 ||
        rcl_meta_set_int(db, "run_stopped_at", now) != 0 || rcl_agg_series_note(db, now) != 0 ||
        rcl_db_commit(db) != 0) {
        rcl_db_rollback(db);
        return -1;
    }
    return 0;
}

int rcl_agg_heartbeat_read(sqlite3 *db, struct rcl_agg_heartbeat *hb)
{
    memset(hb, 0, sizeof(*hb));
    /* Absent keys read as 0; an unreadable meta table shows in the probe below. */
    rcl_meta_get_int(db, "run_pid", &hb->pid);
    rcl_meta_get_int(db, "run_started_at", &hb->started_at);
    rcl_meta_get_int(db, "run_heartbeat_at", &hb->heartbeat_at);
    rcl_meta_get_int(db, "run_stopped_at", &hb->stopped_at);
    return sqlite3_exec(db, "SELECT count(*) FROM meta", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* ---- Token ---- */

int rcl_agg_token_new(sqlite3 *db, char token[RCL_AGG_TOKEN_HEX_LEN + 1], char *err, size_t errlen)
{
    uint8_t raw[RCL_AGG_TOKEN_HEX_LEN / 2];

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(token, RCL_AGG_TOKEN_HEX_LEN + 1, raw, sizeof(raw));
    sodium_memzero(raw, sizeof(raw));
    if (rcl_db_begin(db) != 0 || rcl_meta_set_text(db, "dashboard_token", token) != 0 ||
        rcl_db_commit(db) != 0) {
        snprintf(err, errlen, "cannot store the dashboard token: %s", sqlite3_errmsg(db));
        rcl_db_rollback(db);
        sodium_memzero(token, RCL_AGG_TOKEN_HEX_LEN + 1);
        return -1;
    }
    return 0;
}

int rcl_agg_token_get(sqlite3 *db, char token[RCL_AGG_TOKEN_HEX_LEN + 1])
{
    if (rcl_meta_get_text(db, "dashboard_token", token, RCL_AGG_TOKEN_HEX_LEN + 1) == 0)
        return strlen(token) == RCL_AGG_TOKEN_HEX_LEN ? 1 : 0;
    return sqlite3_exec(db, "SELECT count(*) FROM meta", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

bool rcl_agg_token_matches(const char token[RCL_AGG_TOKEN_HEX_LEN + 1], const char *offered,
                           size_t len)
{
    if (strlen(token) != RCL_AGG_TOKEN_HEX_LEN || len != RCL_AGG_TOKEN_HEX_LEN)
        return false;
    return sodium_memcmp(token, offered, RCL_AGG_TOKEN_HEX_LEN) == 0;
}

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
    "SELECT count(*) + " RCL_AGG_SQL_SILENT_EXPECTED ", coalesce(sum(reported != 0), 0),"          \
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
    if (rcl_db_read_begin(db) != 0)
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
    rcl_db_read_end(db);
    return ret;
}

/* ---- Heartbeat ---- */

int rcl_agg_heartbeat_beat(sqlite3 *db, int64_t pid, int64_t started_at, int64_t now)
{
    if (rcl_db_begin(db) != 0)
        return -1;
    if (rcl_meta_set_int(db, "run_pid", pid) != 0 ||
        rcl_meta_set_int(db, "run_started_at", started_at) != 0 ||
        rcl_meta_set_int(db, "run_heartbeat_at", now) != 0 || rcl_agg_series_note(db, now) != 0 ||
        rcl_db_commit(db) != 0) {
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

/* ---- Users' tokens ---- */

#define USER_TOKEN_PREFIX "user_token:"
/* Every key with the prefix, in name order: ';' follows ':' in ASCII. */
#define SQL_USER_TOKENS                                                                            \
    "SELECT substr(key, 12), value FROM meta WHERE key >= 'user_token:' AND key < 'user_token;'"   \
    " ORDER BY key"
#define USER_TOKEN_HASH_BYTES 32

static void token_hash_hex(const char *token, size_t len, char out[2 * USER_TOKEN_HASH_BYTES + 1])
{
    uint8_t h[USER_TOKEN_HASH_BYTES];

    crypto_generichash(h, sizeof(h), (const uint8_t *)token, len, NULL, 0);
    sodium_bin2hex(out, 2 * USER_TOKEN_HASH_BYTES + 1, h, sizeof(h));
}

int rcl_agg_user_token_add(sqlite3 *db, const char *name, int64_t now,
                           char token[RCL_AGG_TOKEN_HEX_LEN + 1], char *err, size_t errlen)
{
    char key[sizeof(USER_TOKEN_PREFIX) + RCL_ID_MAX], value[2 * USER_TOKEN_HASH_BYTES + 32];
    char hash[2 * USER_TOKEN_HASH_BYTES + 1], old[sizeof(value)];
    uint8_t raw[RCL_AGG_TOKEN_HEX_LEN / 2];

    snprintf(key, sizeof(key), USER_TOKEN_PREFIX "%s", name);
    if (rcl_db_begin(db) != 0)
        goto failed;
    if (rcl_meta_get_text(db, key, old, sizeof(old)) == 0) {
        rcl_db_rollback(db);
        return 1;
    }
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(token, RCL_AGG_TOKEN_HEX_LEN + 1, raw, sizeof(raw));
    sodium_memzero(raw, sizeof(raw));
    token_hash_hex(token, RCL_AGG_TOKEN_HEX_LEN, hash);
    snprintf(value, sizeof(value), "%s %lld", hash, (long long)now);
    if (rcl_meta_set_text(db, key, value) != 0 || rcl_db_commit(db) != 0) {
        rcl_db_rollback(db);
        sodium_memzero(token, RCL_AGG_TOKEN_HEX_LEN + 1);
        goto failed;
    }
    return 0;
failed:
    snprintf(err, errlen, "cannot store the token of %s: %s", name, sqlite3_errmsg(db));
    return -1;
}

int rcl_agg_user_token_revoke(sqlite3 *db, const char *name)
{
    char key[sizeof(USER_TOKEN_PREFIX) + RCL_ID_MAX];

    snprintf(key, sizeof(key), USER_TOKEN_PREFIX "%s", name);
    if (rcl_db_run_id(db, "DELETE FROM meta WHERE key = ?1", key, "revoking a user's token") != 0)
        return -1;
    return sqlite3_changes(db) == 1 ? 0 : 1;
}

/* Walks the users' tokens; fn also sees each one's stored hash. 0, fn's return, or -1. */
static int user_tokens_walk(sqlite3 *db,
                            int (*fn)(void *arg, const struct rcl_agg_user_token *u,
                                      const char *hash),
                            void *arg)
{
    sqlite3_stmt *st = rcl_db_prepare(db, SQL_USER_TOKENS);
    int rc, ret = 0;

    if (!st)
        return -1;
    while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct rcl_agg_user_token u;
        const char *value = (const char *)sqlite3_column_text(st, 1);
        char hash[2 * USER_TOKEN_HASH_BYTES + 1];
        long long created = 0;

        memset(&u, 0, sizeof(u));
        snprintf(u.name, sizeof(u.name), "%s", (const char *)sqlite3_column_text(st, 0));
        /* A row that does not read as "HASH CREATED_AT" matches no token. */
        if (!value || sscanf(value, "%64s %lld", hash, &created) != 2)
            hash[0] = '\0';
        u.created_at = created;
        ret = fn(arg, &u, hash);
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = -1;
    sqlite3_finalize(st);
    return ret;
}

struct each_arg {
    int (*fn)(void *arg, const struct rcl_agg_user_token *u);
    void *arg;
};

static int each_one(void *arg, const struct rcl_agg_user_token *u, const char *hash)
{
    struct each_arg *e = arg;

    (void)hash;
    return e->fn(e->arg, u);
}

int rcl_agg_user_token_each(sqlite3 *db, int (*fn)(void *arg, const struct rcl_agg_user_token *u),
                            void *arg)
{
    struct each_arg e = {fn, arg};

    return user_tokens_walk(db, each_one, &e);
}

struct find_arg {
    char hash[2 * USER_TOKEN_HASH_BYTES + 1];
    struct rcl_agg_user_token *user;
};

static int find_one(void *arg, const struct rcl_agg_user_token *u, const char *hash)
{
    struct find_arg *f = arg;

    if (strlen(hash) != 2 * USER_TOKEN_HASH_BYTES ||
        sodium_memcmp(hash, f->hash, 2 * USER_TOKEN_HASH_BYTES) != 0)
        return 0;
    *f->user = *u;
    return 1;
}

int rcl_agg_user_token_find(sqlite3 *db, const char *offered, size_t len,
                            struct rcl_agg_user_token *user)
{
    struct find_arg f;

    if (len != RCL_AGG_TOKEN_HEX_LEN)
        return 0;
    token_hash_hex(offered, len, f.hash);
    f.user = user;
    return user_tokens_walk(db, find_one, &f);
}

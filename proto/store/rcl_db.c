/*
 * rcl_db.c - opening a store (WAL, synchronous=FULL; or read-only),
 * numbered migrations from PRAGMA user_version (backed up first, all or
 * nothing), statements, transactions (read ones too), the meta table and
 * removing a store's files.
 */
#include "rcl_db.h"

#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_backup.h"
#include "rcl_crash.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_platform.h"

/* Reads PRAGMA user_version into *out. */
static int read_user_version(sqlite3 *db, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        goto done;
    if (sqlite3_step(st) != SQLITE_ROW)
        goto done;
    *out = sqlite3_column_int(st, 0);
    rc = 0;
done:
    sqlite3_finalize(st);
    return rc;
}

/* Sets the connection's pragmas; journal_mode must really become WAL. */
static int set_pragmas(sqlite3 *db, const char *path, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (sqlite3_exec(db, "PRAGMA busy_timeout=5000", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_step(st) != SQLITE_ROW)
        goto fail;
    const unsigned char *mode = sqlite3_column_text(st, 0);
    if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
        snprintf(err, errlen, "%s: cannot switch to WAL mode (journal_mode is %s)", path,
                 mode != NULL ? (const char *)mode : "unknown");
        goto done;
    }
    if (sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    rc = 0;
    goto done;
fail:
    snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
done:
    sqlite3_finalize(st);
    return rc;
}

static bool refused_newer;

bool rcl_db_refused_newer(void)
{
    return refused_newer;
}

/*
 * Copies the store to path.vN.bak while the caller holds the write lock,
 * through a reader of its own (a connection inside a write transaction
 * cannot be a backup's source; in WAL mode a reader still sees the last
 * commit). Returns 0, or -1 with err.
 */
static int backup_store(const char *path, int version, char *out, size_t outlen, char *err,
                        size_t errlen)
{
    sqlite3 *src = NULL;
    struct rcl_backup_result res;
    char why[4400];
    int rc;

    snprintf(out, outlen, "%s.v%d.bak", path, version);
    src = rcl_db_open_readonly(path, 0, why, sizeof(why));
    if (src == NULL) {
        snprintf(err, errlen, "%s: cannot read the store to copy it before migrating: %s", path,
                 why);
        return -1;
    }
    /* An earlier attempt's copy is of the same version: replacing it loses nothing. */
    rc = rcl_backup(src, path, out, true, &res, why, sizeof(why));
    sqlite3_close(src);
    if (rc != 0)
        snprintf(err, errlen, "%s: cannot copy the store before migrating: %s", path, why);
    return rc;
}

/*
 * Brings the store from its user_version to the schema's newest in one
 * transaction: every step and the new version commit together or not at
 * all, so a failure leaves the old store as it was. The version is read
 * inside the write lock, so two processes opening at once migrate once. An
 * existing store is copied beside itself first (backup_store).
 */
static int migrate(sqlite3 *db, const char *path, const struct rcl_db_schema *s, bool created,
                   char *err, size_t errlen)
{
    int stored, version, n = s->n_steps;
    char backup[4200] = "";
    char *msg = NULL;
    char sql[64];

    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    if (read_user_version(db, &stored) != 0)
        goto fail_rollback;
    if (stored > n) {
        refused_newer = true;
        snprintf(err, errlen,
                 "%s: store version %d is newer than this program (%d); run the newer program "
                 "that wrote it, or restore the copy made before it migrated (%s.v%d.bak)",
                 path, stored, n, path, n);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    if (stored < 0) {
        snprintf(err, errlen, "%s: store version %d is not valid", path, stored);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    version = s->recognise ? s->recognise(db, stored, s->arg) : stored;
    if (version == n && stored == n) {
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            goto fail_rollback;
        return 0;
    }
    if (!created && stored > 0) {
        if (backup_store(path, stored, backup, sizeof(backup), err, errlen) != 0) {
            size_t len = strlen(err);
            snprintf(err + len, errlen - len, "; the store is unchanged (version %d)", stored);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
        RCL_INFO("db: migrating store=%s from=%d to=%d backup=%s", rcl_log_value(path), stored, n,
                 rcl_log_value(backup));
    }
    for (int v = version; v < n; v++) {
        const struct rcl_db_step *step = &s->steps[v];

        if (step->applies && !step->applies(db, v, s->arg))
            continue;
        if (sqlite3_exec(db, step->sql, NULL, NULL, &msg) != SQLITE_OK) {
            if (backup[0])
                snprintf(err, errlen,
                         "%s: migration to version %d failed: %s; the store is unchanged "
                         "(version %d) and a copy of it is in %s: keep running the previous "
                         "version of the program on it and report this message",
                         path, v + 1, msg != NULL ? msg : sqlite3_errmsg(db), stored, backup);
            else
                snprintf(err, errlen, "%s: migration to version %d failed: %s", path, v + 1,
                         msg != NULL ? msg : sqlite3_errmsg(db));
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", n);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        goto fail_rollback;
    if (backup[0])
        RCL_CRASH_POINT("migrate-before-commit");
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto fail_rollback;
    if (backup[0])
        RCL_INFO("db: migrated store=%s from=%d to=%d backup=%s", rcl_log_value(path), stored, n,
                 rcl_log_value(backup));
    return 0;
fail_rollback:
    snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
fail:
    snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
    return -1;
}

sqlite3 *rcl_db_open(const char *path, enum rcl_db_mode mode, const char *const *migrations,
                     int n_migrations, char *err, size_t errlen)
{
    struct rcl_db_step *steps = calloc(n_migrations > 0 ? (size_t)n_migrations : 1, sizeof(*steps));
    struct rcl_db_schema s = {.steps = steps, .n_steps = n_migrations};
    sqlite3 *db;

    if (steps == NULL) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    for (int i = 0; i < n_migrations; i++)
        steps[i].sql = migrations[i];
    db = rcl_db_open_schema(path, mode, &s, err, errlen);
    free(steps);
    return db;
}

sqlite3 *rcl_db_open_schema(const char *path, enum rcl_db_mode mode,
                            const struct rcl_db_schema *schema, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    bool created = false;
    char dummy[8];

    if (err == NULL || errlen == 0) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    err[0] = '\0';
    if (mode == RCL_DB_CREATE) {
        /* Create the file ourselves: O_EXCL refuses an existing store, and the
         * mode is 0600 from the first byte (it will hold the node's secret key). */
        FILE *f = rcl_fopen_new(path);
        if (f == NULL) {
            if (errno == EEXIST)
                snprintf(err, errlen, "%s: already exists", path);
            else
                snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
            return NULL;
        }
        fclose(f);
        created = true;
    } else {
        struct rcl_file_info sb;
        if (rcl_stat(path, &sb) != 0) {
            if (errno == ENOENT)
                snprintf(err, errlen, "%s: no such store (run init first)", path);
            else
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return NULL;
        }
        if (!sb.regular) {
            snprintf(err, errlen, "%s: not a regular file", path);
            return NULL;
        }
        /* The store holds the node's secret key (and a county's, children's names). */
        if (rcl_file_private_check(&sb, path, "this store, which holds the node's secret key", err,
                                   errlen) != 0)
            return NULL;
    }

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db != NULL ? sqlite3_errmsg(db) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(db, 1);
    if (set_pragmas(db, path, err, errlen) != 0)
        goto fail;
    if (migrate(db, path, schema, created, err, errlen) != 0)
        goto fail;
    return db;

fail:
    sqlite3_close(db);
    if (created) {
        /* A half-made store would block the next init: remove it and its WAL files. */
        rcl_db_remove_files(path);
    }
    return NULL;
}

void rcl_db_close(sqlite3 **db)
{
    if (db == NULL || *db == NULL)
        return;
    if (sqlite3_close(*db) != SQLITE_OK)
        RCL_ERROR("db: close failed (statements left open) err=%s",
                  rcl_log_value(sqlite3_errmsg(*db)));
    *db = NULL;
}

int rcl_db_exec(sqlite3 *db, const char *sql, const char *what)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        RCL_ERROR("db: statement failed what=%s err=%s",
                  rcl_log_value(what != NULL ? what : "exec"),
                  rcl_log_value(msg != NULL ? msg : sqlite3_errmsg(db)));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int rcl_db_begin(sqlite3 *db)
{
    return rcl_db_exec(db, "BEGIN IMMEDIATE", "begin transaction");
}

int rcl_db_commit(sqlite3 *db)
{
    return rcl_db_exec(db, "COMMIT", "commit");
}

void rcl_db_rollback(sqlite3 *db)
{
    /* SQLite may already have rolled back (e.g. after SQLITE_FULL). */
    if (!sqlite3_get_autocommit(db))
        rcl_db_exec(db, "ROLLBACK", "rollback");
}

sqlite3_stmt *rcl_db_prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        RCL_ERROR("db: cannot prepare a statement err=%s", rcl_log_value(sqlite3_errmsg(db)));
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

/* Steps st (bound by the caller) once, wanting no rows, and finalizes it. 0, or -1 logged. */
/* id, when not NULL, is logged as the row the statement was for. */
static int run_once(sqlite3 *db, sqlite3_stmt *st, const char *what, const char *id)
{
    int rc = 0;

    if (sqlite3_step(st) != SQLITE_DONE) {
        if (id != NULL)
            RCL_ERROR("db: statement failed what=%s id=%s err=%s", rcl_log_value(what),
                      rcl_log_value(id), rcl_log_value(sqlite3_errmsg(db)));
        else
            RCL_ERROR("db: statement failed what=%s err=%s", rcl_log_value(what),
                      rcl_log_value(sqlite3_errmsg(db)));
        rc = -1;
    }
    sqlite3_finalize(st);
    return rc;
}

int rcl_db_run_id(sqlite3 *db, const char *sql, const char *id, const char *what)
{
    sqlite3_stmt *st = rcl_db_prepare(db, sql);

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    return run_once(db, st, what, id);
}

int rcl_db_run_int(sqlite3 *db, const char *sql, int64_t value, const char *what)
{
    sqlite3_stmt *st = rcl_db_prepare(db, sql);

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, value);
    return run_once(db, st, what, NULL);
}

sqlite3 *rcl_db_open_readonly(const char *path, int busy_ms, char *err, size_t errlen)
{
    sqlite3 *db = NULL;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s", db != NULL ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    if (busy_ms > 0)
        sqlite3_busy_timeout(db, busy_ms);
    return db;
}

int rcl_db_read_begin(sqlite3 *db)
{
    return rcl_db_exec(db, "BEGIN DEFERRED", "begin a read");
}

void rcl_db_read_end(sqlite3 *db)
{
    /* It only read: rolling back gives nothing up. */
    rcl_db_rollback(db);
}

void rcl_db_remove_files(const char *path)
{
    static const char *const sides[] = {"", "-wal", "-shm", "-journal"};
    char side[4200];

    for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
        snprintf(side, sizeof(side), "%s%s", path, sides[i]);
        rcl_unlink(side);
    }
}

/* Prepares the lookup of key; returns SQLITE_ROW, SQLITE_DONE (absent) or an error code. */
static int meta_lookup(sqlite3 *db, const char *key, sqlite3_stmt **st)
{
    int rc;

    *st = rcl_db_prepare(db, "SELECT value FROM meta WHERE key = ?1");
    if (*st == NULL)
        return SQLITE_ERROR;
    sqlite3_bind_text(*st, 1, key, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(*st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        RCL_ERROR("db: cannot read meta meta=%s err=%s", rcl_log_value(key),
                  rcl_log_value(sqlite3_errmsg(db)));
    return rc;
}

int rcl_meta_get_text(sqlite3 *db, const char *key, char *out, size_t outlen)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (meta_lookup(db, key, &st) != SQLITE_ROW)
        goto done;
    const unsigned char *v = sqlite3_column_text(st, 0);
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    if (v == NULL || n >= outlen)
        goto done;
    memcpy(out, v, n);
    out[n] = '\0';
    rc = 0;
done:
    sqlite3_finalize(st);
    return rc;
}

int rcl_meta_get_blob(sqlite3 *db, const char *key, uint8_t *out, size_t len)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (meta_lookup(db, key, &st) != SQLITE_ROW)
        goto done;
    const void *v = sqlite3_column_blob(st, 0);
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    if (n != len || (len > 0 && v == NULL))
        goto done;
    if (len > 0)
        memcpy(out, v, len);
    rc = 0;
done:
    sqlite3_finalize(st);
    return rc;
}

int rcl_meta_get_int(sqlite3 *db, const char *key, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (meta_lookup(db, key, &st) != SQLITE_ROW)
        goto done;
    if (sqlite3_column_type(st, 0) == SQLITE_INTEGER) {
        *out = sqlite3_column_int64(st, 0);
        rc = 0;
    } else if (sqlite3_column_type(st, 0) == SQLITE_TEXT) {
        /* Set by hand with the sqlite3 shell: accept a plain decimal number. */
        const char *v = (const char *)sqlite3_column_text(st, 0);
        char *end = NULL;
        errno = 0;
        long long x = strtoll(v, &end, 10);
        if (v[0] != '\0' && end != NULL && *end == '\0' && errno == 0) {
            *out = x;
            rc = 0;
        }
    }
done:
    sqlite3_finalize(st);
    return rc;
}

/* Runs the prepared upsert st (value bound by the caller) and finalizes it. */
static int meta_store(sqlite3 *db, sqlite3_stmt *st, const char *key)
{
    int rc = 0;

    if (sqlite3_step(st) != SQLITE_DONE) {
        RCL_ERROR("db: cannot write meta meta=%s err=%s", rcl_log_value(key),
                  rcl_log_value(sqlite3_errmsg(db)));
        rc = -1;
    }
    sqlite3_finalize(st);
    return rc;
}

#define META_UPSERT "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)"

int rcl_meta_set_text(sqlite3 *db, const char *key, const char *value)
{
    sqlite3_stmt *st = rcl_db_prepare(db, META_UPSERT);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, value != NULL ? value : "", -1, SQLITE_TRANSIENT);
    return meta_store(db, st, key);
}

int rcl_meta_set_blob(sqlite3 *db, const char *key, const uint8_t *value, size_t len)
{
    sqlite3_stmt *st = rcl_db_prepare(db, META_UPSERT);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    /* A NULL pointer would bind SQL NULL, which meta.value refuses. */
    if (len == 0)
        sqlite3_bind_zeroblob(st, 2, 0);
    else
        sqlite3_bind_blob64(st, 2, value, (sqlite3_uint64)len, SQLITE_TRANSIENT);
    return meta_store(db, st, key);
}

int rcl_meta_set_int(sqlite3 *db, const char *key, int64_t value)
{
    sqlite3_stmt *st = rcl_db_prepare(db, META_UPSERT);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, value);
    return meta_store(db, st, key);
}

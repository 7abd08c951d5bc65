/*
 * rcl_db.c - opening a store (WAL, synchronous=FULL), numbered migrations
 * from PRAGMA user_version, transactions and the meta table.
 */
#include "rcl_db.h"

#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * Applies migrations one per transaction, each setting user_version with it,
 * so a crash leaves the store at a whole version. The version is re-read
 * inside the write lock, so two processes opening at once migrate once.
 */
static int migrate(sqlite3 *db, const char *path, const char *const *migrations, int n, char *err,
                   size_t errlen)
{
    for (;;) {
        int version;
        char *msg = NULL;
        char sql[64];

        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            goto fail;
        if (read_user_version(db, &version) != 0)
            goto fail_rollback;
        if (version > n) {
            snprintf(err, errlen, "%s: store version %d is newer than this program (%d)", path,
                     version, n);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
        if (version == n || version < 0) {
            if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                goto fail_rollback;
            if (version < 0) {
                snprintf(err, errlen, "%s: store version %d is not valid", path, version);
                return -1;
            }
            return 0;
        }
        if (sqlite3_exec(db, migrations[version], NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, errlen, "%s: migration to version %d failed: %s", path, version + 1,
                     msg != NULL ? msg : sqlite3_errmsg(db));
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
        snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", version + 1);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
            goto fail_rollback;
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            goto fail_rollback;
    }
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
        /* The store holds the node's secret key (and a county's, children's names): a copy
         * or a restore that widened the mode must be noticed, not silently used. */
        if ((sb.perm & 077) != 0) {
            snprintf(err, errlen,
                     "%s: mode %04o lets group or others read or write this store, which holds "
                     "the node's secret key; run: chmod 600 %s",
                     path, sb.perm, path);
            return NULL;
        }
    }

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db != NULL ? sqlite3_errmsg(db) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(db, 1);
    if (set_pragmas(db, path, err, errlen) != 0)
        goto fail;
    if (migrate(db, path, migrations, n_migrations, err, errlen) != 0)
        goto fail;
    return db;

fail:
    sqlite3_close(db);
    if (created) {
        /* A half-made store would block the next init: remove it and its WAL files. */
        char side[4096];
        rcl_unlink(path);
        snprintf(side, sizeof(side), "%s-wal", path);
        rcl_unlink(side);
        snprintf(side, sizeof(side), "%s-shm", path);
        rcl_unlink(side);
    }
    return NULL;
}

void rcl_db_close(sqlite3 **db)
{
    if (db == NULL || *db == NULL)
        return;
    if (sqlite3_close(*db) != SQLITE_OK)
        RCL_ERROR("db: close: %s (statements left open)", sqlite3_errmsg(*db));
    *db = NULL;
}

int rcl_db_exec(sqlite3 *db, const char *sql, const char *what)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        RCL_ERROR("db: %s: %s", what != NULL ? what : "exec",
                  msg != NULL ? msg : sqlite3_errmsg(db));
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
        RCL_ERROR("db: cannot prepare statement: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
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
        RCL_ERROR("db: cannot read meta '%s': %s", key, sqlite3_errmsg(db));
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
        RCL_ERROR("db: cannot write meta '%s': %s", key, sqlite3_errmsg(db));
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

/*
 * rcl_db.h - opening a store and running its numbered migrations.
 *
 * Every store runs in WAL mode (readers never block the writer, so `report`
 * works while `run` is running) with synchronous=FULL (an ack is a promise
 * that the commit is on disk).
 */
#ifndef RCL_DB_H
#define RCL_DB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

enum rcl_db_mode {
    RCL_DB_CREATE,   /* create the file (refuses an existing one), mode 0600 */
    RCL_DB_EXISTING, /* the file must exist, readable and writable by its owner only */
};

/*
 * Opens path and brings its schema to the newest version: migrations[i] is
 * the SQL that takes user_version i to i+1. Returns NULL with a message in
 * err ("path: reason") on failure. Close with rcl_db_close().
 */
sqlite3 *rcl_db_open(const char *path, enum rcl_db_mode mode, const char *const *migrations,
                     int n_migrations, char *err, size_t errlen);
void rcl_db_close(sqlite3 **db);

/* Runs sql (no results wanted). Returns 0, or -1 after logging the error with 'what'. */
int rcl_db_exec(sqlite3 *db, const char *sql, const char *what);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. 0 on success, -1 logged. */
int rcl_db_begin(sqlite3 *db);
int rcl_db_commit(sqlite3 *db);
void rcl_db_rollback(sqlite3 *db);

/* Prepares sql, logging failures. Returns NULL on error. */
sqlite3_stmt *rcl_db_prepare(sqlite3 *db, const char *sql);

/*
 * The meta(key TEXT PRIMARY KEY, value BLOB) table every store has.
 * get_text copies into out (NUL-terminated) and returns 0, or -1 when absent
 * or too long. get_blob requires exactly len bytes. set_* replace.
 */
int rcl_meta_get_text(sqlite3 *db, const char *key, char *out, size_t outlen);
int rcl_meta_get_blob(sqlite3 *db, const char *key, uint8_t *out, size_t len);
int rcl_meta_get_int(sqlite3 *db, const char *key, int64_t *out);
int rcl_meta_set_text(sqlite3 *db, const char *key, const char *value);
int rcl_meta_set_blob(sqlite3 *db, const char *key, const uint8_t *value, size_t len);
int rcl_meta_set_int(sqlite3 *db, const char *key, int64_t value);

/* The SQL creating meta; every store's first migration starts with it. */
#define RCL_DB_META_SQL "CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);"

#endif

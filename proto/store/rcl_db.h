/*
 * rcl_db.h - opening a store and running its numbered migrations; the
 * statements, transactions and meta table every store uses.
 *
 * Every store runs in WAL mode (readers never block the writer, so `report`
 * works while `run` is running) with synchronous=FULL (an ack is a promise
 * that the commit is on disk).
 */
#ifndef RCL_DB_H
#define RCL_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rcl_db_mode {
    RCL_DB_CREATE,   /* create the file (refuses an existing one), mode 0600 */
    RCL_DB_EXISTING, /* the file must exist, readable and writable by its owner only */
};

/*
 * One step of a store's schema: steps[i].sql takes user_version i to i+1.
 * Released steps are never edited; new ones are appended.
 */
struct rcl_db_step {
    const char *sql;
    /* NULL (every store takes it), or whether this store does: a table only one kind of store
     * has, or one an older numbering made already. It sees the store inside the migration's
     * transaction; version is the step's index, arg the schema's. */
    bool (*applies)(sqlite3 *db, int version, const void *arg);
};

/* A store's schema: its steps in order. */
struct rcl_db_schema {
    const struct rcl_db_step *steps;
    int n_steps;
    /* NULL, or the version a store is really at, from its tables (a numbering that changed). */
    int (*recognise)(sqlite3 *db, int user_version, const void *arg);
    const void *arg;
};

/*
 * Opens path and brings its schema to the newest version, all steps in one
 * transaction. An existing store that needs a step is first copied to
 * path.vN.bak (N its version before) and the migration is logged; on a
 * failure the store is left as it was and err says where the copy is.
 * Returns NULL with a message in err ("path: reason") on failure. Close
 * with rcl_db_close().
 */
sqlite3 *rcl_db_open_schema(const char *path, enum rcl_db_mode mode,
                            const struct rcl_db_schema *schema, char *err, size_t errlen);
/* rcl_db_open_schema with steps migrations[0..n) that every store takes. */
sqlite3 *rcl_db_open(const char *path, enum rcl_db_mode mode, const char *const *migrations,
                     int n_migrations, char *err, size_t errlen);

/* Whether an open was refused because the store is newer than this program (its exit code). */
bool rcl_db_refused_newer(void);
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
 * Runs sql (no rows wanted) with ?1 bound to id (run_id: text, copied; run_int: an integer).
 * Returns 0, or -1 after logging the error with 'what'; sqlite3_changes() then says how many
 * rows it touched.
 */
int rcl_db_run_id(sqlite3 *db, const char *sql, const char *id, const char *what);
int rcl_db_run_int(sqlite3 *db, const char *sql, int64_t value, const char *what);

/* ---- Reading a store another process may be writing ---- */

/*
 * Opens an existing store read-only: no pragma, migration or lock is taken,
 * so it is a look that never changes the file. busy_ms > 0 waits that long
 * for a writer's commit. Returns NULL with the reason alone in err (the
 * caller names the file). Close with rcl_db_close().
 */
sqlite3 *rcl_db_open_readonly(const char *path, int busy_ms, char *err, size_t errlen);

/*
 * A read transaction: every read between begin and end sees the same
 * commit (the first read's), while a writer goes on (WAL). begin returns 0,
 * or -1 logged with nothing open (sqlite3_errmsg still says why). end
 * writes nothing and is safe when no transaction is open.
 */
int rcl_db_read_begin(sqlite3 *db);
void rcl_db_read_end(sqlite3 *db);

/* Removes a store's files: path and the -wal, -shm and -journal SQLite keeps beside it. */
void rcl_db_remove_files(const char *path);

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

/*
 * test_db.c - opening stores: create refuses an existing file and makes it
 * 0600, existing refuses a missing one, migrations run once each and
 * atomically, a newer store is refused, the pragmas hold, transactions and
 * the meta table behave; a schema's steps are taken by the stores they name;
 * the one-id statements, read-only opens, read transactions and removing a
 * store's files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rcl_db.h"
#include "rcl_test.h"

static char dir[512];

static const char *const migrations[] = {
    RCL_DB_META_SQL "CREATE TABLE runs(n INTEGER); INSERT INTO runs VALUES (1);",
    "INSERT INTO runs VALUES (2); CREATE TABLE t2(x);",
    "INSERT INTO runs VALUES (3);",
};

static void path_of(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_create_and_existing(void)
{
    char path[600], err[700];
    struct stat sb;
    sqlite3 *db;

    path_of(path, sizeof(path), "a.db");
    rcl_db_remove_files(path);

    /* Existing mode refuses a missing store, and does not create it. */
    err[0] = '\0';
    db = rcl_db_open(path, RCL_DB_EXISTING, migrations, 2, err, sizeof(err));
    CHECK(db == NULL);
    {
        char want[700];
        snprintf(want, sizeof(want), "%s: no such store (run init first)", path);
        CHECK_STR(err, want);
    }
    CHECK(stat(path, &sb) != 0);

    db = rcl_db_open(path, RCL_DB_CREATE, migrations, 2, err, sizeof(err));
    CHECK(db != NULL);
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    CHECK(query_int(db, "PRAGMA user_version") == 2);
    CHECK(query_int(db, "SELECT count(*) FROM runs") == 2);
    /* The pragmas an ack relies on. */
    CHECK(query_int(db, "PRAGMA synchronous") == 2); /* FULL */
    CHECK(query_int(db, "PRAGMA foreign_keys") == 1);
    CHECK(query_int(db, "PRAGMA busy_timeout") == 5000);
    {
        sqlite3_stmt *st = rcl_db_prepare(db, "PRAGMA journal_mode");
        CHECK(st != NULL && sqlite3_step(st) == SQLITE_ROW);
        CHECK_STR((const char *)sqlite3_column_text(st, 0), "wal");
        sqlite3_finalize(st);
    }
    /* The WAL file holds the same data: it must not be world-readable either. */
    CHECK(rcl_meta_set_text(db, "k", "v") == 0);
    {
        char wal[700];
        snprintf(wal, sizeof(wal), "%s-wal", path);
        if (stat(wal, &sb) == 0)
            CHECK((sb.st_mode & 0077) == 0);
    }
    rcl_db_close(&db);
    CHECK(db == NULL);
    rcl_db_close(&db); /* harmless twice */

    /* Create mode refuses an existing file, and leaves it alone. */
    err[0] = '\0';
    CHECK(rcl_db_open(path, RCL_DB_CREATE, migrations, 2, err, sizeof(err)) == NULL);
    {
        char want[700];
        snprintf(want, sizeof(want), "%s: already exists", path);
        CHECK_STR(err, want);
    }
    db = rcl_db_open(path, RCL_DB_EXISTING, migrations, 2, err, sizeof(err));
    CHECK(db != NULL);
    if (db != NULL) {
        char v[8];
        CHECK(rcl_meta_get_text(db, "k", v, sizeof(v)) == 0);
        CHECK_STR(v, "v");
    }
    rcl_db_close(&db);
    rcl_db_remove_files(path);

    /* A file that is not a database is refused with a message. */
    path_of(path, sizeof(path), "junk.db");
    {
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        if (f != NULL) {
            for (int i = 0; i < 200; i++)
                fputs("this is not sqlite ", f);
            fclose(f);
        }
        chmod(path, 0600); /* the mode is fine: the content is what is refused */
    }
    err[0] = '\0';
    CHECK(rcl_db_open(path, RCL_DB_EXISTING, migrations, 2, err, sizeof(err)) == NULL);
    CHECK(strncmp(err, path, strlen(path)) == 0 && strlen(err) > strlen(path) + 2);
    rcl_db_remove_files(path);

    /* A folder that does not exist. */
    path_of(path, sizeof(path), "no/such/dir.db");
    err[0] = '\0';
    CHECK(rcl_db_open(path, RCL_DB_CREATE, migrations, 2, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "cannot create") != NULL);
}

static void test_migrations(void)
{
    char path[600], err[1400], backup[700];
    sqlite3 *db;

    path_of(path, sizeof(path), "m.db");
    snprintf(backup, sizeof(backup), "%s.v1.bak", path);
    unlink(backup);
    rcl_db_remove_files(path);
    db = rcl_db_open(path, RCL_DB_CREATE, migrations, 1, err, sizeof(err));
    CHECK(db != NULL);
    CHECK(query_int(db, "PRAGMA user_version") == 1);
    rcl_db_close(&db);

    /* Reopening at the same version runs nothing again. */
    db = rcl_db_open(path, RCL_DB_EXISTING, migrations, 1, err, sizeof(err));
    CHECK(db != NULL);
    CHECK(query_int(db, "SELECT count(*) FROM runs") == 1);
    rcl_db_close(&db);

    /* A newer program runs only the new migrations, in order. */
    db = rcl_db_open(path, RCL_DB_EXISTING, migrations, 3, err, sizeof(err));
    CHECK(db != NULL);
    CHECK(query_int(db, "PRAGMA user_version") == 3);
    CHECK(query_int(db, "SELECT count(*) FROM runs") == 3);
    CHECK(query_int(db, "SELECT group_concat(n) = '1,2,3' FROM runs") == 1);
    rcl_db_close(&db);
    /* ... after copying the store as it was beside itself, named by its old version. */
    {
        struct stat sb;
        sqlite3 *old = NULL;
        CHECK(stat(backup, &sb) == 0 && (sb.st_mode & 0777) == 0600);
        CHECK(sqlite3_open_v2(backup, &old, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
        CHECK(query_int(old, "PRAGMA user_version") == 1);
        CHECK(query_int(old, "SELECT count(*) FROM runs") == 1);
        sqlite3_close(old);
        unlink(backup);
    }
    db = rcl_db_open(path, RCL_DB_EXISTING, migrations, 3, err, sizeof(err));
    CHECK(db != NULL);
    CHECK(query_int(db, "SELECT count(*) FROM runs") == 3);
    rcl_db_close(&db);

    /* An older program refuses a newer store. */
    err[0] = '\0';
    CHECK(rcl_db_open(path, RCL_DB_EXISTING, migrations, 1, err, sizeof(err)) == NULL);
    {
        char want[1400];
        snprintf(want, sizeof(want),
                 "%s: store version 3 is newer than this program (1); run the newer program "
                 "that wrote it, or restore the copy made before it migrated (%s.v1.bak)",
                 path, path);
        CHECK_STR(err, want);
    }

    /* A failing migration changes nothing: not its first statements, not the version. */
    {
        const char *const bad[] = {migrations[0], migrations[1], migrations[2],
                                   "CREATE TABLE t4(x); INSERT INTO nowhere VALUES (1);"};
        err[0] = '\0';
        CHECK(rcl_db_open(path, RCL_DB_EXISTING, bad, 4, err, sizeof(err)) == NULL);
        CHECK(strstr(err, "migration to version 4") != NULL);
        /* The message says the store is unchanged and where its copy is. */
        snprintf(backup, sizeof(backup), "%s.v3.bak", path);
        CHECK(strstr(err, "the store is unchanged (version 3)") != NULL);
        CHECK(strstr(err, backup) != NULL);
        unlink(backup);
        db = rcl_db_open(path, RCL_DB_EXISTING, migrations, 3, err, sizeof(err));
        CHECK(db != NULL);
        CHECK(query_int(db, "PRAGMA user_version") == 3);
        CHECK(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 't4'") == 0);
        rcl_db_close(&db);
    }
    rcl_db_remove_files(path);

    /* A create that fails leaves no half-made store behind, so init can be retried. */
    {
        const char *const bad[] = {"CREATE TABLE meta(;"};
        struct stat sb;
        err[0] = '\0';
        CHECK(rcl_db_open(path, RCL_DB_CREATE, bad, 1, err, sizeof(err)) == NULL);
        CHECK(strstr(err, "migration to version 1") != NULL);
        CHECK(stat(path, &sb) != 0);
    }
}

static void test_transactions(void)
{
    char path[600], err[700];
    sqlite3 *db;

    path_of(path, sizeof(path), "t.db");
    rcl_db_remove_files(path);
    db = rcl_db_open(path, RCL_DB_CREATE, migrations, 1, err, sizeof(err));
    CHECK(db != NULL);
    if (db == NULL)
        return;
    CHECK(rcl_db_begin(db) == 0);
    CHECK(rcl_db_exec(db, "INSERT INTO runs VALUES (10)", "insert") == 0);
    rcl_db_rollback(db);
    CHECK(query_int(db, "SELECT count(*) FROM runs") == 1);
    CHECK(rcl_db_begin(db) == 0);
    CHECK(rcl_db_exec(db, "INSERT INTO runs VALUES (11)", "insert") == 0);
    CHECK(rcl_db_commit(db) == 0);
    CHECK(query_int(db, "SELECT count(*) FROM runs") == 2);
    rcl_db_rollback(db); /* no transaction open: harmless */
    CHECK(rcl_db_commit(db) == -1);

    /* BEGIN IMMEDIATE: a second writer is told at begin, not at commit. */
    {
        sqlite3 *other = rcl_db_open(path, RCL_DB_EXISTING, migrations, 1, err, sizeof(err));
        CHECK(other != NULL);
        if (other != NULL) {
            sqlite3_busy_timeout(other, 10);
            CHECK(rcl_db_begin(db) == 0);
            CHECK(rcl_db_begin(other) == -1);
            rcl_db_rollback(db);
            CHECK(rcl_db_begin(other) == 0);
            rcl_db_rollback(other);
            rcl_db_close(&other);
        }
    }

    CHECK(rcl_db_exec(db, "INSERT INTO nowhere VALUES (1)", "bad insert") == -1);
    CHECK(rcl_db_prepare(db, "SELEKT 1") == NULL);
    rcl_db_close(&db);
    rcl_db_remove_files(path);
}

static void test_meta(void)
{
    char path[600], err[700], text[16];
    uint8_t blob[4], key[64];
    int64_t v = 0;
    sqlite3 *db;

    path_of(path, sizeof(path), "meta.db");
    rcl_db_remove_files(path);
    db = rcl_db_open(path, RCL_DB_CREATE, migrations, 1, err, sizeof(err));
    CHECK(db != NULL);
    if (db == NULL)
        return;

    /* Absent keys. */
    CHECK(rcl_meta_get_text(db, "nope", text, sizeof(text)) == -1);
    CHECK(rcl_meta_get_blob(db, "nope", blob, sizeof(blob)) == -1);
    CHECK(rcl_meta_get_int(db, "nope", &v) == -1);

    /* Text: round trip, replace, too long for the buffer. */
    CHECK(rcl_meta_set_text(db, "name", "\xE4\xB8\x80\xE4\xB8\xAD") == 0);
    CHECK(rcl_meta_get_text(db, "name", text, sizeof(text)) == 0);
    CHECK_STR(text, "\xE4\xB8\x80\xE4\xB8\xAD");
    CHECK(rcl_meta_set_text(db, "name", "0123456789abcde") == 0);
    CHECK(rcl_meta_get_text(db, "name", text, sizeof(text)) == 0);
    CHECK_STR(text, "0123456789abcde");
    CHECK(rcl_meta_set_text(db, "name", "0123456789abcdef") == 0);
    CHECK(rcl_meta_get_text(db, "name", text, sizeof(text)) == -1);
    CHECK(rcl_meta_set_text(db, "empty", "") == 0);
    CHECK(rcl_meta_get_text(db, "empty", text, sizeof(text)) == 0);
    CHECK_STR(text, "");

    /* Blob: exact length only. */
    for (int i = 0; i < 64; i++)
        key[i] = (uint8_t)(255 - i);
    CHECK(rcl_meta_set_blob(db, "secret_key", key, sizeof(key)) == 0);
    {
        uint8_t back[64];
        CHECK(rcl_meta_get_blob(db, "secret_key", back, sizeof(back)) == 0);
        CHECK(memcmp(back, key, sizeof(key)) == 0);
        CHECK(rcl_meta_get_blob(db, "secret_key", back, 32) == -1);
    }
    CHECK(rcl_meta_set_blob(db, "zero", NULL, 0) == 0);
    CHECK(rcl_meta_get_blob(db, "zero", blob, 0) == 0);

    /* Int: round trip, extremes, and a number typed in by hand as text. */
    CHECK(rcl_meta_set_int(db, "stale_seconds", 604800) == 0);
    CHECK(rcl_meta_get_int(db, "stale_seconds", &v) == 0 && v == 604800);
    CHECK(rcl_meta_set_int(db, "min", INT64_MIN) == 0);
    CHECK(rcl_meta_get_int(db, "min", &v) == 0 && v == INT64_MIN);
    CHECK(rcl_meta_set_text(db, "typed", "86400") == 0);
    CHECK(rcl_meta_get_int(db, "typed", &v) == 0 && v == 86400);
    CHECK(rcl_meta_set_text(db, "typed", "86400s") == 0);
    CHECK(rcl_meta_get_int(db, "typed", &v) == -1);
    CHECK(rcl_meta_get_int(db, "secret_key", &v) == -1);

    /* Survives a reopen. */
    rcl_db_close(&db);
    db = rcl_db_open(path, RCL_DB_EXISTING, migrations, 1, err, sizeof(err));
    CHECK(db != NULL);
    if (db != NULL)
        CHECK(rcl_meta_get_int(db, "stale_seconds", &v) == 0 && v == 604800);
    rcl_db_close(&db);
    rcl_db_remove_files(path);
}

/* A step's applies sees its own index and the schema's arg; a step it declines is passed over. */
static bool skip_listed(sqlite3 *db, int version, const void *arg)
{
    (void)db;
    return version != *(const int *)arg;
}

static void test_schema_steps(void)
{
    static const struct rcl_db_step steps[] = {
        {RCL_DB_META_SQL "CREATE TABLE runs(n INTEGER);", NULL},
        {"INSERT INTO runs VALUES (1);", skip_listed},
        {"INSERT INTO runs VALUES (2);", skip_listed},
    };
    char path[600], err[700];
    int skip = 1;
    const struct rcl_db_schema s = {.steps = steps, .n_steps = 3, .arg = &skip};
    sqlite3 *db;

    path_of(path, sizeof(path), "steps.db");
    rcl_db_remove_files(path);
    db = rcl_db_open_schema(path, RCL_DB_CREATE, &s, err, sizeof(err));
    CHECK(db != NULL);
    if (db == NULL)
        return;
    CHECK(query_int(db, "PRAGMA user_version") == 3);
    CHECK(query_int(db, "SELECT count(*) FROM runs") == 1);
    CHECK(query_int(db, "SELECT n FROM runs") == 2);
    rcl_db_close(&db);
    rcl_db_remove_files(path);
}

/* run_id and run_int bind ?1, run once, and say -1 for a statement that fails. */
static void test_run_one_id(void)
{
    char path[600], err[700];
    sqlite3 *db;

    path_of(path, sizeof(path), "run.db");
    rcl_db_remove_files(path);
    db = rcl_db_open(path, RCL_DB_CREATE, migrations, 1, err, sizeof(err));
    CHECK(db != NULL);
    if (db == NULL)
        return;
    CHECK(rcl_db_exec(db, "CREATE TABLE ids(id TEXT PRIMARY KEY, n INTEGER)", "create") == 0);
    CHECK(rcl_db_run_id(db, "INSERT INTO ids VALUES (?1, 0)", "a", "insert a") == 0);
    CHECK(rcl_db_run_id(db, "INSERT INTO ids VALUES (?1, 0)", "b", "insert b") == 0);
    CHECK(query_int(db, "SELECT count(*) FROM ids") == 2);
    /* A duplicate key fails, and nothing is added. */
    CHECK(rcl_db_run_id(db, "INSERT INTO ids VALUES (?1, 0)", "a", "insert a again") == -1);
    CHECK(query_int(db, "SELECT count(*) FROM ids") == 2);
    CHECK(rcl_db_run_int(db, "UPDATE ids SET n = ?1 WHERE id = 'b'", -7, "update") == 0);
    CHECK(sqlite3_changes(db) == 1);
    CHECK(query_int(db, "SELECT n FROM ids WHERE id = 'b'") == -7);
    CHECK(rcl_db_run_id(db, "DELETE FROM ids WHERE id = ?1", "a", "delete a") == 0);
    CHECK(sqlite3_changes(db) == 1);
    CHECK(rcl_db_run_id(db, "DELETE FROM ids WHERE id = ?1", "a", "delete a again") == 0);
    CHECK(sqlite3_changes(db) == 0);
    CHECK(query_int(db, "SELECT count(*) FROM ids") == 1);
    /* A statement that does not prepare. */
    CHECK(rcl_db_run_id(db, "DELETE FROM nowhere WHERE id = ?1", "a", "bad") == -1);
    CHECK(rcl_db_run_int(db, "DELETE FROM nowhere WHERE n = ?1", 1, "bad") == -1);
    rcl_db_close(&db);
    rcl_db_remove_files(path);
}

/* A read-only look never creates or changes a store; a read transaction keeps one snapshot. */
static void test_read_only(void)
{
    char path[600], err[700];
    struct stat sb;
    sqlite3 *db, *ro;

    path_of(path, sizeof(path), "ro.db");
    rcl_db_remove_files(path);
    err[0] = '\0';
    CHECK(rcl_db_open_readonly(path, 0, err, sizeof(err)) == NULL);
    CHECK(err[0] != '\0');
    CHECK(stat(path, &sb) != 0);
    CHECK(rcl_db_open_readonly(path, 0, NULL, 0) == NULL);

    db = rcl_db_open(path, RCL_DB_CREATE, migrations, 1, err, sizeof(err));
    CHECK(db != NULL);
    if (db == NULL)
        return;
    ro = rcl_db_open_readonly(path, 1000, err, sizeof(err));
    CHECK(ro != NULL);
    if (ro == NULL) {
        rcl_db_close(&db);
        return;
    }
    CHECK(query_int(ro, "SELECT count(*) FROM runs") == 1);
    CHECK(sqlite3_exec(ro, "INSERT INTO runs VALUES (5)", NULL, NULL, NULL) == SQLITE_READONLY);

    /* The writer commits during the read: the reader sees it only after the read ends. */
    CHECK(rcl_db_read_begin(ro) == 0);
    CHECK(query_int(ro, "SELECT count(*) FROM runs") == 1);
    CHECK(rcl_db_exec(db, "INSERT INTO runs VALUES (6)", "insert") == 0);
    CHECK(query_int(db, "SELECT count(*) FROM runs") == 2);
    CHECK(query_int(ro, "SELECT count(*) FROM runs") == 1);
    CHECK(rcl_db_read_begin(ro) == -1); /* one at a time */
    CHECK(query_int(ro, "SELECT count(*) FROM runs") == 1);
    rcl_db_read_end(ro);
    CHECK(sqlite3_get_autocommit(ro) != 0);
    CHECK(query_int(ro, "SELECT count(*) FROM runs") == 2);
    rcl_db_read_end(ro); /* none open: harmless */
    CHECK(sqlite3_get_autocommit(ro) != 0);
    rcl_db_close(&ro);
    CHECK(ro == NULL);
    rcl_db_close(&db);
    rcl_db_remove_files(path);
}

/* Removing a store takes its -wal, -shm and -journal and nothing else beside it. */
static void test_remove_files(void)
{
    static const char *const sides[] = {"", "-wal", "-shm", "-journal"};
    char path[600], side[700], keep[700];
    struct stat sb;
    FILE *f;

    path_of(path, sizeof(path), "gone.db");
    snprintf(keep, sizeof(keep), "%s.v3.bak", path);
    for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
        snprintf(side, sizeof(side), "%s%s", path, sides[i]);
        f = fopen(side, "w");
        CHECK(f != NULL);
        if (f != NULL)
            fclose(f);
    }
    f = fopen(keep, "w");
    CHECK(f != NULL);
    if (f != NULL)
        fclose(f);
    rcl_db_remove_files(path);
    for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
        snprintf(side, sizeof(side), "%s%s", path, sides[i]);
        CHECK(stat(side, &sb) != 0 && errno == ENOENT);
    }
    CHECK(stat(keep, &sb) == 0);
    unlink(keep);
    rcl_db_remove_files(path); /* already gone: harmless */
}

int main(void)
{
    if (rcl_test_tmpdir("test_db", dir, sizeof(dir)) != 0) {
        perror("cannot make a temporary folder");
        return 1;
    }
    RCL_TEST_RUN(test_create_and_existing);
    RCL_TEST_RUN(test_migrations);
    RCL_TEST_RUN(test_transactions);
    RCL_TEST_RUN(test_meta);
    RCL_TEST_RUN(test_schema_steps);
    RCL_TEST_RUN(test_run_one_id);
    RCL_TEST_RUN(test_read_only);
    RCL_TEST_RUN(test_remove_files);
    rmdir(dir);
    return RCL_TEST_RESULT();
}

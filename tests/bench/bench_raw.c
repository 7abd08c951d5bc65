/*
 * bench_raw.c - rollcall-bench-raw, the baseline of the county ingest
 * benchmark: how fast SQLite alone upserts the same student rows.
 *
 *   rollcall-bench-raw --from COUNTY_STORE --db NEW_FILE [--rows-per-txn N]
 *
 * Reads every student row of a county store into memory, then upserts them
 * into a fresh file with the county's own students table as a county store
 * has it (RCL_AGG_SQL_STUDENTS and the county migrations: every column and
 * index), WAL and synchronous=FULL, the same INSERT OR REPLACE statement
 * prepared once, N rows per transaction (default 1000).
 * Only the upserts and commits are timed. Prints one line of JSON: rows,
 * seconds, cpu_seconds (this process's CPU time over them), rows_per_s. Exit 0, 1 on a store error,
 * 2 for usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "agg_sql.h"

#define RAW_COLS 17 /* every column of RCL_AGG_SQL_STUDENT_PUT_INTO, in its order */

/* The county's students table is made by init and then migrated: the baseline's is too. */
static const char *const county_migrations[] = RCL_AGG_COUNTY_MIGRATIONS;

static const char usage[] =
    "usage: rollcall-bench-raw --from COUNTY_STORE --db NEW_FILE [--rows-per-txn N]\n";

/* One column's value, as read: type and bytes (text and blobs copied). */
struct cell {
    int type;
    sqlite3_int64 i;
    void *p;
    int n;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(sqlite3 *db, const char *what)
{
    fprintf(stderr, "rollcall-bench-raw: %s: %s\n", what, db ? sqlite3_errmsg(db) : "no memory");
    return 1;
}

/* Reads every row of the county's students table. Returns the cells (RAW_COLS a row) or NULL. */
static struct cell *read_rows(const char *path, size_t *n_rows)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct cell *cells = NULL;
    size_t cap = 0, n = 0;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT school_id, pseudonym, name, grade, class, network, devices,"
                           " platform, groups, participation, measures, feedback,"
                           " measure_details, optout_status, optout_reason, optout_filed,"
                           " optout_decided FROM students",
                           -1, &st, NULL) != SQLITE_OK) {
        fail(db, path);
        goto out;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            struct cell *more;

            cap = cap ? cap * 2 : 4096;
            more = realloc(cells, cap * RAW_COLS * sizeof(*more));
            if (!more)
                goto out;
            cells = more;
        }
        for (int c = 0; c < RAW_COLS; c++) {
            struct cell *x = &cells[n * RAW_COLS + (size_t)c];

            x->type = sqlite3_column_type(st, c);
            x->i = sqlite3_column_int64(st, c);
            x->n = sqlite3_column_bytes(st, c);
            x->p = NULL;
            if (x->type == SQLITE_TEXT || x->type == SQLITE_BLOB) {
                const void *src = x->type == SQLITE_TEXT ? (const void *)sqlite3_column_text(st, c)
                                                         : sqlite3_column_blob(st, c);
                x->p = malloc(x->n > 0 ? (size_t)x->n : 1);
                if (!x->p)
                    goto out;
                memcpy(x->p, src, (size_t)x->n);
            }
        }
        n++;
    }
    *n_rows = n;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return cells;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(cells); /* a benchmark that failed: the copied cells go with the process */
    return NULL;
}

int main(int argc, char **argv)
{
    const char *from = NULL, *path = NULL;
    long per_txn = 1000;
    struct cell *cells;
    size_t n = 0;
    sqlite3 *db = NULL;
    sqlite3_stmt *put = NULL;
    double t0, c0, secs, cpu;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--from") == 0)
            from = argv[i + 1];
        else if (strcmp(argv[i], "--db") == 0)
            path = argv[i + 1];
        else if (strcmp(argv[i], "--rows-per-txn") == 0)
            per_txn = atol(argv[i + 1]);
    }
    if (!from || !path || per_txn <= 0 || argc % 2 == 0) {
        fputs(usage, stderr);
        return 2;
    }
    cells = read_rows(from, &n);
    if (!cells)
        return fail(NULL, from);
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;" RCL_AGG_SQL_STUDENTS
                         RCL_AGG_SQL_STUDENTS_STAGING,
                     NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, path);
    for (size_t m = 0; m < sizeof(county_migrations) / sizeof(county_migrations[0]); m++)
        if (sqlite3_exec(db, county_migrations[m], NULL, NULL, NULL) != SQLITE_OK)
            return fail(db, "migrating the county tables");
    if (sqlite3_prepare_v2(db, RCL_AGG_SQL_STUDENT_PUT_INTO("students"), -1, &put, NULL) !=
        SQLITE_OK)
        return fail(db, "preparing the upsert");
    t0 = now_s();
    c0 = cpu_s();
    for (size_t r = 0; r < n; r++) {
        if (r % (size_t)per_txn == 0 && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
            return fail(db, "BEGIN");
        for (int c = 0; c < RAW_COLS; c++) {
            const struct cell *x = &cells[r * RAW_COLS + (size_t)c];

            if (x->type == SQLITE_INTEGER)
                sqlite3_bind_int64(put, c + 1, x->i);
            else if (x->type == SQLITE_TEXT)
                sqlite3_bind_text(put, c + 1, x->p, x->n, SQLITE_STATIC);
            else if (x->type == SQLITE_BLOB)
                sqlite3_bind_blob(put, c + 1, x->p, x->n, SQLITE_STATIC);
            else
                sqlite3_bind_null(put, c + 1);
        }
        if (sqlite3_step(put) != SQLITE_DONE)
            return fail(db, "upserting a row");
        sqlite3_reset(put);
        if ((r + 1) % (size_t)per_txn == 0 || r + 1 == n) {
            if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                return fail(db, "COMMIT");
        }
    }
    secs = now_s() - t0;
    cpu = cpu_s() - c0;
    printf("{\"rows\": %zu, \"rows_per_txn\": %ld, \"seconds\": %.4f, \"cpu_seconds\": %.4f, "
           "\"rows_per_s\": %.0f}\n",
           n, per_txn, secs, cpu, secs > 0 ? (double)n / secs : 0.0);
    sqlite3_finalize(put);
    sqlite3_close(db);
    for (size_t k = 0; k < n * RAW_COLS; k++)
        free(cells[k].p);
    free(cells);
    return 0;
}

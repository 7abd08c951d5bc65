/*
 * rcl_backup.c - SQLite's online backup API into a
 * private, checked, atomically renamed file.
 */
#include "rcl_backup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_db.h"
#include "rcl_log.h"
#include "rcl_platform.h"

/* Pages per step: small enough that each step is short, large enough to be quick. */
#define BACKUP_STEP_PAGES 256
/* A busy destination (it is ours alone, so hardly ever) is retried this often. */
#define BACKUP_BUSY_RETRIES 200
#define BACKUP_BUSY_SLEEP_MS 25

/* Flushes the file at path through to the disk. 0, or -1 with errno. */
static int sync_path(const char *path)
{
    FILE *f = rcl_fopen(path, "r+b");
    int rc;

    if (f == NULL)
        return -1;
    rc = rcl_file_sync(f);
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

/* Runs the pragma on db and checks that it answers exactly one row "ok". */
static int integrity_ok(sqlite3 *db, char *why, size_t whylen)
{
    sqlite3_stmt *st = NULL;
    int rows = 0, ok = 0;

    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        snprintf(why, whylen, "%s", sqlite3_errmsg(db));
        return -1;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        if (rows++ == 0) {
            ok = t != NULL && strcmp((const char *)t, "ok") == 0;
            snprintf(why, whylen, "%s", t != NULL ? (const char *)t : "no answer");
        }
    }
    sqlite3_finalize(st);
    return rows == 1 && ok ? 0 : -1;
}

/* The source and the target must not be the same file (nor its WAL). */
static int same_file(const char *a, const char *b)
{
    struct rcl_file_info sa, sb;

    if (rcl_stat(a, &sa) != 0 || rcl_stat(b, &sb) != 0)
        return 0;
    /* A system without inode numbers (Windows) is left with the names. */
    if (sa.ino == 0 && sb.ino == 0)
        return strcmp(a, b) == 0;
    return sa.dev == sb.dev && sa.ino == sb.ino;
}

/* Copies src into the open, empty dst, step by step. 0, or -1 with err. */
static int copy_pages(sqlite3 *src, sqlite3 *dst, struct rcl_backup_result *res, char *err,
                      size_t errlen)
{
    sqlite3_backup *b;
    int rc, busy = 0;

    /* One read transaction for the whole copy: every step sees the same snapshot,
     * so the writer's commits in between neither restart the copy nor wait for it. */
    if (rcl_db_read_begin(src) != 0 ||
        sqlite3_exec(src, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot start reading the store: %s", sqlite3_errmsg(src));
        rcl_db_read_end(src);
        return -1;
    }
    b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == NULL) {
        snprintf(err, errlen, "cannot start the backup: %s", sqlite3_errmsg(dst));
        rcl_db_read_end(src);
        return -1;
    }
    do {
        rc = sqlite3_backup_step(b, BACKUP_STEP_PAGES);
        res->steps++;
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
            if (++busy > BACKUP_BUSY_RETRIES)
                break;
            sqlite3_sleep(BACKUP_BUSY_SLEEP_MS);
            rc = SQLITE_OK;
        }
    } while (rc == SQLITE_OK);
    res->pages = sqlite3_backup_pagecount(b);
    if (sqlite3_backup_finish(b) != SQLITE_OK && rc == SQLITE_DONE)
        rc = sqlite3_errcode(dst);
    rcl_db_read_end(src);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "copying pages failed: %s", sqlite3_errstr(rc));
        return -1;
    }
    return 0;
}

int rcl_backup(sqlite3 *src, const char *src_path, const char *out, bool force,
               struct rcl_backup_result *res, char *err, size_t errlen)
{
    char tmp[4096], why[256];
    sqlite3 *dst = NULL;
    sqlite3_stmt *st = NULL;
    struct rcl_file_info sb;
    FILE *f;
    int ret = -1;

    memset(res, 0, sizeof(*res));
    if (rcl_lstat(out, &sb) == 0) {
        if (!force) {
            snprintf(err, errlen,
                     "%s: already exists; refusing to overwrite it (--force "
                     "replaces it)",
                     out);
            return -1;
        }
        if (!sb.regular) {
            snprintf(err, errlen, "%s: not a regular file; refusing to replace it", out);
            return -1;
        }
        if (same_file(out, src_path)) {
            snprintf(err, errlen, "%s: is the store itself", out);
            return -1;
        }
    }
    if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", out) >= (int)sizeof(tmp)) {
        snprintf(err, errlen, "%s: path too long", out);
        return -1;
    }
    /* The file is this user's alone before anything is written into it. */
    f = rcl_fopen_temp(tmp);
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot create a file beside it: %s", out, strerror(errno));
        return -1;
    }
    if (fclose(f) != 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        rcl_unlink(tmp);
        return -1;
    }
    if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", tmp, dst ? sqlite3_errmsg(dst) : "out of memory");
        goto done;
    }
    if (copy_pages(src, dst, res, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s: %s", src_path, why);
        goto done;
    }
    /* A backup is one self-contained file: no WAL beside it to lose on the way. */
    if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", tmp, sqlite3_errmsg(dst));
        goto done;
    }
    if (integrity_ok(dst, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s: the copy fails PRAGMA integrity_check: %s", out, why);
        goto done;
    }
    if (sqlite3_prepare_v2(dst, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        res->page_size = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (sqlite3_close(dst) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot close the copy", tmp);
        dst = NULL;
        goto done;
    }
    dst = NULL;
    if (sync_path(tmp) != 0) {
        snprintf(err, errlen, "%s: cannot flush the copy: %s", tmp, strerror(errno));
        goto done;
    }
    if (rcl_rename_replace(tmp, out) != 0) {
        snprintf(err, errlen, "%s: cannot rename the copy into place: %s", out, strerror(errno));
        goto done;
    }
    /* The rename itself must survive a power cut too. */
    if (rcl_dir_sync_of(out) != 0)
        RCL_WARN("backup: cannot flush the folder of the copy out=%s err=%s", rcl_log_value(out),
                 rcl_log_value(strerror(errno)));
    ret = 0;
done:
    sqlite3_close(dst);
    if (ret != 0)
        rcl_db_remove_files(tmp); /* a half-written copy and the journals beside it */
    return ret;
}

/*
 * rcl_backup.h - a consistent copy of a store while another process writes it
 * (`rollcall-agg backup`, and every store before it migrates).
 */
#ifndef RCL_BACKUP_H
#define RCL_BACKUP_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

/* What a backup copied, for the command's closing line. */
struct rcl_backup_result {
    int pages;     /* pages in the copy */
    int page_size; /* bytes per page */
    int steps;     /* sqlite3_backup_step calls */
};

/*
 * Copies the open store src (read from src_path) into the new file out
 * through SQLite's online backup API, a few hundred pages per step inside
 * one read transaction: WAL readers never block the writer, so a running
 * `run` keeps applying batches, and the copy is the store as of the moment
 * the backup began. The copy is written under a temporary name in out's
 * folder with mode 0600 (it holds the secret key), checked with PRAGMA
 * integrity_check, flushed, and only then renamed to out; an existing out
 * is refused unless force. Returns 0, or -1 with "FILE: reason" in err
 * (nothing is left behind).
 */
int rcl_backup(sqlite3 *src, const char *src_path, const char *out, bool force,
               struct rcl_backup_result *res, char *err, size_t errlen);

#endif

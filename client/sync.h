/*
 * sync.h - `rollcall-school sync`: send every pending change upstream and
 * wait for the acknowledgements; with --watch, keep doing so unattended.
 */
#ifndef RCL_SCHOOL_SYNC_H
#define RCL_SCHOOL_SYNC_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>

#include "exit_codes.h"
#include "school_store.h"

struct rcl_school_sync_opts {
    int timeout_s; /* one-shot: give up after this long */
    bool watch;    /* run until SIGINT/SIGTERM, sending whenever there is something to send */
};

/*
 * One-shot: sends pending changes to m->upstream until all are acknowledged,
 * the upstream refuses, timeout_s seconds pass, or SIGINT/SIGTERM arrives;
 * with nothing pending it asks the upstream for a receipt (a probe), which
 * also finds out whether the upstream lost this school's data. The result
 * line goes to out on success, to err otherwise.
 *
 * Watch: keeps the link up, sends new changes (imports made by other
 * commands) as they appear and retries after refusals and outages, until
 * SIGINT/SIGTERM; returns OK then.
 *
 * Returns the command's exit code.
 */
enum rcl_school_exit rcl_school_sync(sqlite3 *db, const struct rcl_school_meta *m,
                                     const struct rcl_school_sync_opts *o, FILE *out, FILE *err);

#endif

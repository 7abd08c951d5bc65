/*
 * sync.h - `rollcall-school sync`: send every pending change upstream and
 * wait for the acknowledgements.
 */
#ifndef RCL_SCHOOL_SYNC_H
#define RCL_SCHOOL_SYNC_H

#include <sqlite3.h>
#include <stdio.h>

#include "exit_codes.h"
#include "school_store.h"

/*
 * Sends pending changes to m->upstream until all are acknowledged, the
 * upstream refuses, timeout_s seconds pass, or SIGINT/SIGTERM arrives. The
 * result line goes to out on success, to err otherwise. Returns an
 * enum rcl_school_exit.
 */
int rcl_school_sync(sqlite3 *db, const struct rcl_school_meta *m, int timeout_s, FILE *out,
                    FILE *err);

#endif

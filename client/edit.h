/*
 * edit.h - everyday editing at the school: one student added, updated or
 * removed, a measure added, planned or ended, the family's feedback, an
 * opt-out application filed or decided, the school's profile set. Each runs
 * as one transaction that writes the change and its outbox record, like an
 * import.
 */
#ifndef RCL_SCHOOL_EDIT_H
#define RCL_SCHOOL_EDIT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "school_store.h"

/* One option given on the command line, without its leading "--". */
struct rcl_school_edit_opt {
    const char *name;
    const char *value;
};

/*
 * Checks that action is one of command's ("add", "update", ... or NULL for
 * a command without one) and that each option given applies to it. Returns
 * 0, or -1 with why (for the usage message; in Chinese when zh).
 */
int rcl_school_edit_check(const char *command, const char *action,
                          const struct rcl_school_edit_opt *opts, size_t n, bool zh, char *why,
                          size_t whylen);

/*
 * Runs the edit on the open store db of school m, in one transaction.
 * Reports the outcome on out and problems on errs, each prefixed with the
 * program, command and action (in Chinese, prefixed with the action's Chinese name, when
 * zh: the page's words). Returns an exit code (exit_codes.h):
 * 0 done, 1 a data error (nothing changed), 2 the options do not fit.
 */
int rcl_school_edit(sqlite3 *db, const struct rcl_school_meta *m, const char *command,
                    const char *action, const struct rcl_school_edit_opt *opts, size_t n, bool zh,
                    FILE *out, FILE *errs);

#endif

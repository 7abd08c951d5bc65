/*
 * agg_enroll_file.h - enrolling many sources from one file, all or nothing.
 *
 * The file (UTF-8 text) has one source a line: "SOURCE_ID KEY", the two
 * separated by spaces or tabs, KEY as `pubkey` prints it (64 hex
 * characters). Blank lines and lines starting with '#' (after blanks) are
 * passed over. Every line is checked first -- a malformed line, an invalid
 * id (at a county: not a 10-digit school code), a key that is not a public
 * key or is this aggregator's own, an id or a key given twice in the file --
 * and every problem is reported as "FILE:LINE: reason". Only when there is
 * none are all sources enrolled, in one transaction (rcl_agg_enroll's rules
 * each: new, re-keyed, revocation lifted, or unchanged); a key the store
 * already holds for another source refuses the whole file.
 */
#ifndef RCL_AGG_ENROLL_FILE_H
#define RCL_AGG_ENROLL_FILE_H
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "agg_store.h"

/* At most this many problems are printed, then "... and N more". */
#define RCL_AGG_ENROLL_ERRORS_SHOWN 100

/* What one file did. */
struct rcl_agg_enroll_counts {
    uint64_t enrolled;  /* new sources */
    uint64_t rekeyed;   /* known sources with a new key */
    uint64_t unrevoked; /* revoked sources admitted again */
    uint64_t unchanged; /* already enrolled with that key */
};

/*
 * Enrolls every source listed in the file at path into db (cfg: its
 * configuration). Problems go to errors. Returns 0 with *counts filled when
 * everything was applied; 1 when the file is unreadable or has problems
 * (nothing applied); -1 on a store error (nothing applied, reported on
 * errors).
 */
int rcl_agg_enroll_file(sqlite3 *db, const struct rcl_agg_config *cfg, const char *path,
                        int64_t now, FILE *errors, struct rcl_agg_enroll_counts *counts);

/*
 * `rollcall-agg enroll --db DB --from LIST`: opens the store, enrolls the
 * file, prints what it did (stdout) or why not (stderr). single_given: the
 * --source or --key form was given too, a usage error. Returns the exit
 * code: 0, 1 (data or store error, nothing enrolled), 2 (usage).
 */
int rcl_agg_enroll_from(const char *db_path, const char *list_path, bool single_given);

#endif

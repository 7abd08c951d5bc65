/*
 * bundle.h - `rollcall-school bundle`: the school's pending batches in one
 * file, for a school without any link, carried to the county on a USB stick
 * and applied there with `rollcall-agg import-bundle`.
 *
 * The envelopes are byte for byte the signed batches a network sync would
 * send, so the county verifies and applies them exactly as it would over
 * the network, exactly once. Nothing in the school's store changes except
 * that pending changes are sealed into batches: they stay pending until the
 * county acknowledges them at the school's next sync (which then sends
 * nothing twice: the county answers "already held").
 *
 * The file format is in proto/wire/rcl_bundle.h.
 */
#ifndef RCL_SCHOOL_BUNDLE_H
#define RCL_SCHOOL_BUNDLE_H

#include <sqlite3.h>
#include <stdio.h>

#include "exit_codes.h"
#include "school_store.h"
#include "sheet.h"

#include "rcl_bundle.h"

/*
 * Seals the pending changes (signed with the school's key) and writes every
 * sealed batch not yet acknowledged to out_path, atomically (a temporary
 * file in the same folder, fsync, then renamed into place). An existing
 * out_path is never overwritten: refused before anything is sealed. With
 * nothing pending, says so and writes no file. The result goes to out in
 * lang, problems to the log. Returns an enum rcl_school_exit.
 */
int rcl_school_bundle(sqlite3 *db, const struct rcl_school_meta *m, const char *out_path,
                      enum rcl_sheet_lang lang, FILE *out);

#endif

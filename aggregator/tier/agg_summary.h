/*
 * agg_summary.h - per-school summaries: the counts an aggregator holds for every
 * school below it and sends upward.
 *
 * A summaries row is (school_id, child, name, county, reported, last_sync,
 * the counts of rcl_counts.h, epoch, through_seq, through_digest,
 * first_sync): child is the unit through which the school is counted
 * here (the school itself at a county; the sending aggregator above).
 */
#ifndef RCL_AGG_SUMMARY_H
#define RCL_AGG_SUMMARY_H

#include <sqlite3.h>

#include "rcl_codec.h"
#include "rcl_model.h"

/* Binds t to the RCL_COUNTS_N parameters starting at index first (1-based). */
int rcl_agg_totals_bind(sqlite3_stmt *st, int first, const struct rcl_totals *t);

/* Reads the RCL_COUNTS_N columns starting at column first (0-based) into t. */
void rcl_agg_totals_column(sqlite3_stmt *st, int first, struct rcl_totals *t);

/*
 * Reads a summaries row (columns RCL_AGG_SQL_SUMMARY_ALL) from the current
 * row of st into s, and its child into child.
 */
void rcl_agg_summary_column(sqlite3_stmt *st, struct rcl_summary *s, char child[RCL_ID_MAX + 1]);

/* Writes (replaces) the summary of s->school_id, counted through child. 0, or -1 logged. */
int rcl_agg_summary_put(sqlite3 *db, const struct rcl_summary *s, const char *child);

/*
 * The same with a statement kept in *st across calls (prepared on first use;
 * the caller finalizes it): preparing compiles the rollup triggers
 * (agg_sql.h), which costs more than writing a row, so a batch prepares once.
 */
int rcl_agg_summary_put_reuse(sqlite3 *db, sqlite3_stmt **st, const struct rcl_summary *s,
                              const char *child);

/* The same, into the snapshot staging table (agg_snapshot.h). */
int rcl_agg_summary_stage(sqlite3 *db, const struct rcl_summary *s, const char *child);

/* Reads the summary of school_id. Returns 1 found, 0 absent, -1 store error (logged). */
int rcl_agg_summary_get(sqlite3 *db, const char *school_id, struct rcl_summary *s,
                        char child[RCL_ID_MAX + 1]);

/*
 * Counts a school's student rows (county stores) into *t, which is zeroed
 * first. Returns 0, or -1 on a store error (logged).
 */
int rcl_agg_summary_recompute(sqlite3 *db, const char *school_id, struct rcl_totals *t);

/*
 * Adds what the stored row of (school_id, pseudonym) counts for into *t, so a
 * batch can take it out of the school's summary before it replaces or
 * removes the row. *st is kept across calls (prepared on first use; the
 * caller finalizes it). Returns 1 counted, 0 no such row, -1 store error
 * (logged).
 */
int rcl_agg_student_count_stored(sqlite3 *db, sqlite3_stmt **st, const char *school_id,
                                 const uint8_t *pseudonym, struct rcl_totals *t);

/*
 * *out = base + in - gone, every count. Returns 0, or -1 when a count would
 * drop below zero: base was not what the rows counted, and the caller
 * recounts the school instead.
 */
int rcl_agg_totals_shift(const struct rcl_totals *base, const struct rcl_totals *in,
                         const struct rcl_totals *gone, struct rcl_totals *out);

/* Queues s upstream as entity "summary:<school id>" (inside the caller's transaction). 0/-1. */
int rcl_agg_summary_queue(sqlite3 *db, const struct rcl_summary *s);

#endif

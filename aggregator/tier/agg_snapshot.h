/*
 * agg_snapshot.h - new epochs of a source, the snapshot that opens them, and
 * receipts passed down the chain.
 *
 * A source that lost its history (restored from a backup), or whose history
 * this aggregator lost, starts a new epoch: seq 1.. are every entity it
 * holds, closed by SNAPSHOT_END{records}. While the snapshot arrives its
 * records are staged (students_staging at a county, summaries_staging
 * above); at SNAPSHOT_END they replace the source's rows in one transaction,
 * so reports never see half a snapshot.
 */
#ifndef RCL_AGG_SNAPSHOT_H
#define RCL_AGG_SNAPSHOT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "agg_store.h"
#include "rcl_codec.h"
#include "rcl_receiver.h"

/*
 * The student statements of one batch, each prepared at its first use and
 * kept (reset) until rcl_agg_student_stmts_finalize: a batch of 2000 rows
 * parses its SQL once, not 2000 times. Zero-initialise; [staging] indexes.
 */
struct rcl_agg_student_stmts {
    sqlite3_stmt *put[2];
    sqlite3_stmt *del[2];
    sqlite3_stmt *add;
};
void rcl_agg_student_stmts_finalize(struct rcl_agg_student_stmts *st);

/* A county's student row of school, in students or (staging) students_staging. 0/-1.
 * stmts may be NULL: the statement is then prepared for this one call. */
int rcl_agg_student_put(sqlite3 *db, struct rcl_agg_student_stmts *stmts, bool staging,
                        const char *school, const struct rcl_student *s);

/*
 * The row of a student new to school, in students; nothing when the school
 * already holds one (the caller then replaces it with rcl_agg_student_put,
 * having read what it counted for). Returns 1 added, 0 already held, -1
 * store error.
 */
int rcl_agg_student_add(sqlite3 *db, struct rcl_agg_student_stmts *stmts, const char *school,
                        const struct rcl_student *s);
int rcl_agg_student_delete(sqlite3 *db, struct rcl_agg_student_stmts *stmts, bool staging,
                           const char *school, const uint8_t *pseudonym);

/* Opens epoch for source (inside the caller's transaction): nothing applied, staging empty. 0/-1.
 */
int rcl_agg_epoch_open(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                       uint64_t epoch);

/* Stages one change of an open snapshot (a student, a removal, or a summary). 0/-1 logged. */
int rcl_agg_snapshot_stage(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                           const struct rcl_change *c);

/* Records staged for source so far. 0/-1 logged. */
int rcl_agg_snapshot_staged(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                            uint64_t *n);

/*
 * Ends source's snapshot at a county: its staged rows replace its rows (the
 * caller then recomputes and queues the school's summary). 0, or -1 logged.
 */
int rcl_agg_snapshot_rows_in(sqlite3 *db, const char *source);

/*
 * Ends source's snapshot above a county: every school the snapshot dropped
 * is deleted and a SCHOOL_REMOVED queued, and every staged summary is
 * applied and queued as an ordinary one would be (apply is the caller's
 * rule for one summary). 0, or -1 logged.
 */
int rcl_agg_snapshot_summaries_in(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                                  int (*apply)(void *arg, const struct rcl_summary *s), void *arg);

/* Deletes school_id's summary and queues SCHOOL_REMOVED upstream when there is one. 0/-1. */
int rcl_agg_school_remove(sqlite3 *db, const struct rcl_agg_config *cfg, const char *school_id);

/*
 * Remembers that source's batches through source_seq reached the own outbox
 * (up to its last seq given out), for receipts, and forgets the source's
 * older rows that the top of the chain already holds. 0/-1 logged.
 */
int rcl_agg_forward_record(sqlite3 *db, const char *source, uint64_t source_seq);

/*
 * Fills reply's receipt for source: how far its changes are in the totals at
 * the top of the chain (this aggregator, when it has no upstream).
 */
void rcl_agg_receipt(sqlite3 *db, const struct rcl_agg_config *cfg, const char *id,
                     const struct rcl_recv_source *src, int64_t now, struct rcl_reply *reply);

/*
 * The aggregator's own snapshot, for its uplink's new epoch (an
 * rcl_snapshot_fn; arg is the const struct rcl_agg_config *): every summary
 * it holds; forwards move to the SNAPSHOT_END that will follow them.
 */
int rcl_agg_own_snapshot(void *arg, sqlite3 *db, uint64_t *records);

#endif

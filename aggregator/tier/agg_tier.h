/*
 * agg_tier.h - what an aggregator's tier does with what it receives, as a
 * table of operations: which changes it accepts, how it applies one, what
 * it does at a batch's end and at a snapshot's end.
 *
 * Two implementations: a county (agg_tier_county.c), whose sources are
 * schools sending student rows, removals and profiles, and which counts
 * each school's summary itself; and the tier above (agg_tier_upper.c: a
 * city, the province), whose sources send school summaries and school
 * removals only. The rest of the aggregator asks the table, never the tier
 * flag (rcl_agg_tier_of is the one place that reads it).
 */
#ifndef RCL_AGG_TIER_H
#define RCL_AGG_TIER_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "agg_snapshot.h"
#include "agg_store.h"
#include "rcl_codec.h"
#include "rcl_receiver.h"

/* One batch being applied here (agg_ingest.c), and what applying it did so far. */
struct rcl_agg_apply {
    sqlite3 *db;
    const struct rcl_agg_config *cfg;
    struct rcl_recv_batch *b; /* the batch; b->snapshot_open follows the snapshot */
    const char *what;         /* the step a store failure happened in */
    /* The summary statement, prepared once for the batch (rcl_agg_summary_put_reuse). */
    sqlite3_stmt *summary_put;
    struct rcl_agg_student_stmts stmts; /* kept for the batch's rows */
    /* County: what the batch's student rows counted for before it (gone) and after (in),
     * so the school's summary moves by the difference instead of a recount of every row;
     * a snapshot that replaced the rows asks for the recount (recount). */
    struct rcl_totals counted_in, counted_gone;
    sqlite3_stmt *count_stored;
    bool recount;
};

struct rcl_agg_tier_ops {
    /* Its sources are schools: it holds their student rows (and profiles, departures,
     * the lists made of them) and counts their summaries itself. */
    bool holds_students;
    /* Clearing, and counting, what a source's open snapshot staged (one source id bound). */
    const char *staging_clear_sql;
    const char *staged_sql;
    /* Whether change c of batch h (not a snapshot end or key rotation) is accepted here:
     * 0, or -1 with the refusal in why. */
    int (*accepts)(const struct rcl_agg_config *cfg, const struct rcl_batch_header *h,
                   const struct rcl_change *c, char *why, size_t whylen);
    /* Applies one accepted change (no snapshot open for it). 0, or -1 (a->what set). */
    int (*apply)(struct rcl_agg_apply *a, const struct rcl_change *c);
    /* After the batch's changes, when no snapshot is left open. 0/-1. */
    int (*batch_end)(struct rcl_agg_apply *a);
    /* A complete snapshot: its staged records replace the source's. 0/-1. */
    int (*snapshot_end)(struct rcl_agg_apply *a);
};

extern const struct rcl_agg_tier_ops rcl_agg_tier_county;
extern const struct rcl_agg_tier_ops rcl_agg_tier_upper;

/* The operations of cfg's tier. */
const struct rcl_agg_tier_ops *rcl_agg_tier_of(const struct rcl_agg_config *cfg);

/* Whether cfg's tier holds its schools' student rows (a county). */
bool rcl_agg_holds_students(const struct rcl_agg_config *cfg);

/* The name of a change's kind in a refusal ("a student record", ...). */
const char *rcl_agg_change_words(enum rcl_change_kind kind);

/*
 * Whether child may speak for county: a county (6-digit code) only for
 * itself, a city (4-digit code) for the counties under its prefix. Children
 * named otherwise are not judged by code.
 */
bool rcl_agg_child_covers(const char *child, const char *county);

#endif

/*
 * agg_tier_upper.c - the tier above a county (agg_tier.h: a city, the
 * province): its sources send school summaries and school removals; each
 * school is counted through one child only.
 */
#include "agg_tier.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agg_sql.h"
#include "agg_summary.h"
#include "rcl_db.h"
#include "rcl_log.h"

static int upper_accepts(const struct rcl_agg_config *cfg, const struct rcl_batch_header *h,
                         const struct rcl_change *c, char *why, size_t whylen)
{
    (void)h;
    if (c->kind == RCL_CHANGE_SUMMARY || c->kind == RCL_CHANGE_SCHOOL_REMOVED)
        return 0;
    snprintf(why, whylen,
             "change seq %" PRIu64 ": %s is not accepted at a %s aggregator (its sources "
             "send school summaries only)",
             c->seq, rcl_agg_change_words(c->kind), rcl_agg_tier_names[cfg->tier]);
    return -1;
}

/* Who a school is counted through here: 1 with child set, 0 not held, -1 error. */
static int summary_child(sqlite3 *db, const char *school_id, char child[RCL_ID_MAX + 1])
{
    int ret = -1, rc;
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_SUMMARY_CHILD);

    if (!st)
        goto out;
    sqlite3_bind_text(st, 1, school_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(child, RCL_ID_MAX + 1, "%s", t ? (const char *)t : "");
        ret = 1;
    } else if (rc == SQLITE_DONE) {
        ret = 0;
    }
out:
    sqlite3_finalize(st);
    return ret;
}

/*
 * One school's summary counted through the sending child. A school already
 * counted through another child is skipped (never counted twice). 0, or -1
 * (store error).
 */
static int apply_summary(void *arg, const struct rcl_summary *s)
{
    struct rcl_agg_apply *a = arg;
    const char *source = a->b->source;
    char child[RCL_ID_MAX + 1];
    int held;

    a->what = "applying summaries";
    if (!rcl_agg_child_covers(source, s->county)) {
        RCL_WARN("ingest: summary skipped: the source does not cover that county school=%s "
                 "county=%s source=%s",
                 rcl_log_value(s->school_id), rcl_log_value(s->county), rcl_log_value(source));
        return 0;
    }
    held = summary_child(a->db, s->school_id, child);
    if (held < 0)
        return -1;
    if (held == 1 && strcmp(child, source) != 0) {
        RCL_WARN("ingest: summary skipped: the school is already counted through another child "
                 "school=%s source=%s child=%s",
                 rcl_log_value(s->school_id), rcl_log_value(source), rcl_log_value(child));
        return 0;
    }
    if (rcl_agg_summary_put_reuse(a->db, &a->summary_put, s, source) != 0)
        return -1;
    a->what = "queueing summaries upstream";
    if (a->cfg->has_upstream && rcl_agg_summary_queue(a->db, s) != 0)
        return -1;
    return 0;
}

/* A school the child no longer counts. 0, or -1 (store error). */
static int remove_school(struct rcl_agg_apply *a, const char *school_id)
{
    const char *source = a->b->source;
    char child[RCL_ID_MAX + 1];
    int held = summary_child(a->db, school_id, child);

    a->what = "removing a school";
    if (held < 0)
        return -1;
    if (held == 0 || strcmp(child, source) != 0) {
        RCL_WARN("ingest: removal of a school skipped school=%s source=%s reason=%s",
                 rcl_log_value(school_id), rcl_log_value(source),
                 rcl_log_value(held == 0 ? "not held here" : "counted through another child"));
        return 0;
    }
    return rcl_agg_school_remove(a->db, a->cfg, school_id) != 0 ? -1 : 0;
}

static int upper_apply(struct rcl_agg_apply *a, const struct rcl_change *c)
{
    if (c->kind == RCL_CHANGE_SUMMARY)
        return apply_summary(a, &c->u.summary) != 0 ? -1 : 0;
    if (c->kind == RCL_CHANGE_SCHOOL_REMOVED)
        return remove_school(a, c->u.school_removed);
    return 0; /* not accepted here (upper_accepts) */
}

/* The summaries are kept as they come: nothing is left to count at the batch's end. */
static int upper_batch_end(struct rcl_agg_apply *a)
{
    (void)a;
    return 0;
}

/* The schools the snapshot dropped are removed, then its summaries applied as ordinary ones. */
static int upper_snapshot_end(struct rcl_agg_apply *a)
{
    return rcl_agg_snapshot_summaries_in(a->db, a->cfg, a->b->source, apply_summary, a);
}

const struct rcl_agg_tier_ops rcl_agg_tier_upper = {
    .holds_students = false,
    .staging_clear_sql = RCL_AGG_SQL_SUMMARIES_STAGING_CLEAR,
    .staged_sql = RCL_AGG_SQL_SUMMARIES_STAGED,
    .accepts = upper_accepts,
    .apply = upper_apply,
    .batch_end = upper_batch_end,
    .snapshot_end = upper_snapshot_end,
};

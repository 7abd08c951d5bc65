/*
 * agg_tier_county.c - a county's tier (agg_tier.h): its sources are schools;
 * it holds their student rows, removals (departures) and profiles, and
 * counts each school's summary itself, queueing it upstream.
 */
#include "agg_tier.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agg_departures.h"
#include "agg_profile.h"
#include "agg_sql.h"
#include "agg_summary.h"
#include "rcl_db.h"
#include "rcl_log.h"

static int county_accepts(const struct rcl_agg_config *cfg, const struct rcl_batch_header *h,
                          const struct rcl_change *c, char *why, size_t whylen)
{
    (void)cfg;
    if (c->kind == RCL_CHANGE_SUMMARY || c->kind == RCL_CHANGE_SCHOOL_REMOVED) {
        snprintf(why, whylen,
                 "change seq %" PRIu64 ": %s is not accepted at a county (its sources "
                 "are schools)",
                 c->seq, rcl_agg_change_words(c->kind));
        return -1;
    }
    if (c->kind == RCL_CHANGE_SCHOOL && strcmp(c->u.school.school_id, h->source) != 0) {
        snprintf(why, whylen, "change seq %" PRIu64 ": school profile of %s sent by school %s",
                 c->seq, c->u.school.school_id, h->source);
        return -1;
    }
    return 0;
}

/* The school's name and county in the registry, from its profile. 0/-1. */
static int put_profile(sqlite3 *db, const struct rcl_school_profile *p)
{
    int ret = -1;
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_SOURCE_PROFILE);

    if (!st)
        goto out;
    sqlite3_bind_text(st, 1, p->school_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, p->county, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto out;
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

/* What a student row about to be replaced or removed counted for. 0, or -1. */
static int count_out(struct rcl_agg_apply *a, const uint8_t *pseudonym)
{
    return rcl_agg_student_count_stored(a->db, &a->count_stored, a->b->source, pseudonym,
                                        &a->counted_gone) < 0
               ? -1
               : 0;
}

/* A new student costs one insert; one already held is read (what it counted for goes
 * out of the summary) and replaced. */
static int put_student(struct rcl_agg_apply *a, const struct rcl_student *s)
{
    int rc = rcl_agg_student_add(a->db, &a->stmts, a->b->source, s);

    if (rc == 0)
        rc = count_out(a, s->pseudonym);
    if (rc == 0)
        rc = rcl_agg_student_put(a->db, &a->stmts, false, a->b->source, s);
    if (rc == 1)
        rc = 0;
    if (rc == 0)
        rcl_totals_add_student(&a->counted_in, s);
    return rc;
}

static int county_apply(struct rcl_agg_apply *a, const struct rcl_change *c)
{
    const char *source = a->b->source;
    int rc = 0;

    switch (c->kind) {
    case RCL_CHANGE_STUDENT:
        rc = put_student(a, &c->u.student);
        break;
    case RCL_CHANGE_REMOVED:
        rc = count_out(a, c->u.removed.pseudonym);
        if (rc == 0)
            rc = rcl_agg_student_delete(a->db, &a->stmts, false, source, c->u.removed.pseudonym);
        if (rc == 0)
            rc = rcl_agg_departure_put(a->db, source, &c->u.removed, a->b->now);
        break;
    case RCL_CHANGE_SCHOOL:
        rc = put_profile(a->db, &c->u.school);
        if (rc == 0)
            rc = rcl_agg_profile_put(a->db, &c->u.school, a->b->now);
        break;
    default: /* not accepted here (county_accepts) */
        break;
    }
    return rc != 0 ? -1 : 0;
}

/*
 * The school's counts after the batch, into *t, from the summary held
 * before it (held, when found is 1), moved by what the batch's rows counted
 * for before and after: the same as a recount of every row, without
 * reading them. A snapshot that replaced the rows, a missing summary, or
 * one the rows contradict (a count would drop below zero) is recounted.
 * 0, or -1 (store error).
 */
static int county_totals(struct rcl_agg_apply *a, int found, const struct rcl_summary *held,
                         struct rcl_totals *t)
{
    const char *source = a->b->source;

    if (a->recount)
        return rcl_agg_summary_recompute(a->db, source, t);
    if (found == 1 && rcl_agg_totals_shift(&held->totals, &a->counted_in, &a->counted_gone, t) == 0)
        return 0;
    if (found == 1)
        RCL_WARN("ingest: a summary did not match its student rows; recounted school=%s",
                 rcl_log_value(source));
    return rcl_agg_summary_recompute(a->db, source, t);
}

/* The school's summary brought up to date and queued upstream. */
static int county_batch_end(struct rcl_agg_apply *a)
{
    const struct rcl_recv_batch *b = a->b;
    struct rcl_agg_source src;
    struct rcl_summary sum, held;
    int found;

    a->what = "updating the school's summary";
    if (rcl_agg_source_get(a->db, b->source, &src) != 1)
        return -1;
    found = rcl_agg_summary_get(a->db, b->source, &held, NULL);
    if (found < 0)
        return -1;
    memset(&sum, 0, sizeof(sum));
    snprintf(sum.school_id, sizeof(sum.school_id), "%s", b->source);
    snprintf(sum.name, sizeof(sum.name), "%s", src.name);
    memcpy(sum.county, src.county, sizeof(sum.county));
    if (sum.county[0] == '\0')
        rcl_agg_default_county(a->cfg, sum.county);
    sum.reported = true;
    sum.last_sync = b->now;
    /* The first batch ever accepted from the school dates its report, whatever follows. */
    sum.first_sync = b->now;
    if (found == 1 && held.reported) /* unknown before timeliness was kept: the earliest known */
        sum.first_sync = held.first_sync > 0 ? held.first_sync : held.last_sync;
    sum.epoch = b->h->epoch;
    sum.through_seq = b->h->last_seq;
    sum.has_through_digest = true;
    memcpy(sum.through_digest, b->digest, RCL_DIGEST_BYTES);
    if (county_totals(a, found, &held, &sum.totals) != 0 ||
        rcl_agg_summary_put(a->db, &sum, b->source) != 0)
        return -1;
    a->what = "queueing the summary upstream";
    if (a->cfg->has_upstream && rcl_agg_summary_queue(a->db, &sum) != 0)
        return -1;
    return 0;
}

/* The staged rows replace the school's; its summary is then recounted from them. */
static int county_snapshot_end(struct rcl_agg_apply *a)
{
    if (rcl_agg_snapshot_rows_in(a->db, a->b->source) != 0)
        return -1;
    a->recount = true;
    return 0;
}

const struct rcl_agg_tier_ops rcl_agg_tier_county = {
    .holds_students = true,
    .staging_clear_sql = RCL_AGG_SQL_STUDENTS_STAGING_CLEAR,
    .staged_sql = RCL_AGG_SQL_STUDENTS_STAGED,
    .accepts = county_accepts,
    .apply = county_apply,
    .batch_end = county_batch_end,
    .snapshot_end = county_snapshot_end,
};

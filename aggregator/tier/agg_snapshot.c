/*
 * agg_snapshot.c - new epochs, staged snapshots, student rows, and receipts
 * (see agg_snapshot.h).
 */
#include "agg_snapshot.h"
#include "agg_tier.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg_departures.h"
#include "agg_profile.h"
#include "agg_sql.h"
#include "agg_summary.h"
#include "rcl_db.h"
#include "rcl_log.h"
#include "rcl_outbox.h"

/* A count(*) with id as ?1. 0, or -1 logged. */
static int count_for(sqlite3 *db, const char *sql, const char *id, uint64_t *n)
{
    sqlite3_stmt *st = rcl_db_prepare(db, sql);
    int rc = -1;

    *n = 0;
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        sqlite3_int64 v = sqlite3_column_int64(st, 0);
        *n = v < 0 ? 0 : (uint64_t)v;
        rc = 0;
    } else {
        RCL_ERROR("store: counting staged records failed source=%s err=%s", rcl_log_value(id),
                  rcl_log_value(sqlite3_errmsg(db)));
    }
    sqlite3_finalize(st);
    return rc;
}

void rcl_agg_student_stmts_finalize(struct rcl_agg_student_stmts *st)
{
    for (int i = 0; i < 2; i++) {
        sqlite3_finalize(st->put[i]);
        sqlite3_finalize(st->del[i]);
        st->put[i] = st->del[i] = NULL;
    }
    sqlite3_finalize(st->add);
    st->add = NULL;
}

/* Room for a student's measures text (rcl_measures_format). */
#define RCL_MEASURES_TEXT_MAX (RCL_MEASURES_MAX * 32)

/* The statement for sql: the one kept in *slot (prepared there at first use), or a new one. */
static sqlite3_stmt *student_stmt(sqlite3 *db, sqlite3_stmt **slot, const char *sql)
{
    if (!slot)
        return rcl_db_prepare(db, sql);
    if (!*slot)
        *slot = rcl_db_prepare(db, sql);
    return *slot;
}

/* Done with st: a kept one is reset (its bindings may point at the caller's stack). */
static void student_stmt_done(sqlite3_stmt *st, bool kept)
{
    if (kept) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    } else {
        sqlite3_finalize(st);
    }
}

/*
 * Binds s as a student row of school to st and steps it; measures is the
 * caller's buffer for the measures text, bound in place. SQLITE_DONE, or
 * SQLite's error.
 */
static int student_row_step(sqlite3_stmt *st, const char *school, const struct rcl_student *s,
                            const char *details, char measures[RCL_MEASURES_TEXT_MAX])
{
    rcl_measures_format(s->measures, s->n_measures, measures, RCL_MEASURES_TEXT_MAX);
    sqlite3_bind_text(st, 1, school, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, s->pseudonym, RCL_PSEUDONYM_BYTES, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, s->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, s->grade);
    sqlite3_bind_text(st, 5, s->class_name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, s->network);
    sqlite3_bind_int64(st, 7, s->devices);
    sqlite3_bind_text(st, 8, s->platform, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, s->groups);
    sqlite3_bind_int64(st, 10, s->participation);
    sqlite3_bind_text(st, 11, measures, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 12, s->feedback, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 13, details, -1, SQLITE_STATIC);
    sqlite3_bind_text(
        st, 14,
        rcl_optout_status_names[s->optout_status < RCL_OPTOUT_STATUS_COUNT ? s->optout_status
                                                                           : RCL_OPTOUT_NONE],
        -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 15, s->optout_reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 16, s->optout_filed, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 17, s->optout_decided, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 18, s->place_county, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 19, s->place, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 20, s->guardian_contact, -1, SQLITE_STATIC);
    return sqlite3_step(st);
}

int rcl_agg_student_put(sqlite3 *db, struct rcl_agg_student_stmts *stmts, bool staging,
                        const char *school, const struct rcl_student *s)
{
    int ret = -1;
    char measures[RCL_MEASURES_TEXT_MAX];
    char *details = rcl_agg_measure_details_json(s);
    sqlite3_stmt *st = details == NULL
                           ? NULL
                           : student_stmt(db, stmts ? &stmts->put[staging] : NULL,
                                          staging ? RCL_AGG_SQL_STUDENT_PUT_INTO("students_staging")
                                                  : RCL_AGG_SQL_STUDENT_PUT_INTO("students"));

    if (!st) {
        free(details);
        return -1;
    }
    if (student_row_step(st, school, s, details, measures) == SQLITE_DONE)
        ret = 0;
    student_stmt_done(st, stmts != NULL);
    free(details);
    return ret;
}

int rcl_agg_student_add(sqlite3 *db, struct rcl_agg_student_stmts *stmts, const char *school,
                        const struct rcl_student *s)
{
    int ret = -1;
    char measures[RCL_MEASURES_TEXT_MAX];
    char *details = rcl_agg_measure_details_json(s);
    sqlite3_stmt *st = details == NULL
                           ? NULL
                           : student_stmt(db, stmts ? &stmts->add : NULL, RCL_AGG_SQL_STUDENT_ADD);

    if (!st) {
        free(details);
        return -1;
    }
    if (student_row_step(st, school, s, details, measures) == SQLITE_DONE)
        ret = sqlite3_changes(db) > 0 ? 1 : 0;
    student_stmt_done(st, stmts != NULL);
    free(details);
    return ret;
}

int rcl_agg_student_delete(sqlite3 *db, struct rcl_agg_student_stmts *stmts, bool staging,
                           const char *school, const uint8_t *pseudonym)
{
    int ret = -1;
    sqlite3_stmt *st = student_stmt(db, stmts ? &stmts->del[staging] : NULL,
                                    staging ? RCL_AGG_SQL_STUDENT_DELETE_FROM("students_staging")
                                            : RCL_AGG_SQL_STUDENT_DELETE_FROM("students"));

    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, school, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, pseudonym, RCL_PSEUDONYM_BYTES, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_DONE)
        ret = 0;
    student_stmt_done(st, stmts != NULL);
    return ret;
}

int rcl_agg_epoch_open(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                       uint64_t epoch)
{
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_EPOCH_OPEN);
    int rc = -1;

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)epoch);
    if (sqlite3_step(st) == SQLITE_DONE)
        rc = 0;
    else
        RCL_ERROR("store: opening an epoch failed epoch=%" PRIu64 " source=%s err=%s", epoch,
                  rcl_log_value(source), rcl_log_value(sqlite3_errmsg(db)));
    sqlite3_finalize(st);
    if (rc != 0 || rcl_db_run_id(db, RCL_AGG_SQL_FORWARDS_CLEAR, source, "clearing receipts") != 0)
        return -1;
    return rcl_db_run_id(db, rcl_agg_tier_of(cfg)->staging_clear_sql, source,
                         "clearing the snapshot staging");
}

int rcl_agg_snapshot_stage(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                           const struct rcl_change *c)
{
    (void)cfg;
    switch (c->kind) {
    case RCL_CHANGE_STUDENT:
        return rcl_agg_student_put(db, NULL, true, source, &c->u.student);
    case RCL_CHANGE_REMOVED:
        /* A departure is history, not a row the snapshot replaces: it is kept at once. */
        if (rcl_agg_student_delete(db, NULL, true, source, c->u.removed.pseudonym) != 0)
            return -1;
        return rcl_agg_departure_put(db, source, &c->u.removed, (int64_t)time(NULL));
    case RCL_CHANGE_SUMMARY:
        return rcl_agg_summary_stage(db, &c->u.summary, source);
    default:
        RCL_ERROR("store: a change of this kind cannot be staged kind=%d", (int)c->kind);
        return -1;
    }
}

int rcl_agg_snapshot_staged(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                            uint64_t *n)
{
    return count_for(db, rcl_agg_tier_of(cfg)->staged_sql, source, n);
}

int rcl_agg_school_remove(sqlite3 *db, const struct rcl_agg_config *cfg, const char *school_id)
{
    struct rcl_change c;

    if (rcl_db_run_id(db, RCL_AGG_SQL_SUMMARY_DELETE, school_id, "removing the summary") != 0)
        return -1;
    if (!cfg->has_upstream)
        return 0;
    memset(&c, 0, sizeof(c));
    c.kind = RCL_CHANGE_SCHOOL_REMOVED;
    snprintf(c.u.school_removed, sizeof(c.u.school_removed), "%s", school_id);
    {
        /* The same entity as its summaries: a removal replaces an unsent summary. */
        char entity[16 + RCL_ID_MAX];

        snprintf(entity, sizeof(entity), "summary:%s", school_id);
        return rcl_outbox_append(db, entity, &c);
    }
}

/* Above a county: the schools the snapshot dropped, then the staged summaries. */
static int replace_summaries(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                             int (*apply)(void *arg, const struct rcl_summary *s), void *arg)
{
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_SUMMARIES_GONE);
    char gone[RCL_ID_MAX + 1];
    int step, rc = 0;

    if (st == NULL)
        return -1;
    /* One at a time: each removal changes the set the query reads. */
    for (;;) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
        step = sqlite3_step(st);
        if (step != SQLITE_ROW)
            break;
        snprintf(gone, sizeof(gone), "%s", (const char *)sqlite3_column_text(st, 0));
        RCL_INFO("ingest: school no longer in the snapshot: removed source=%s school=%s",
                 rcl_log_value(source), rcl_log_value(gone));
        if (rcl_agg_school_remove(db, cfg, gone) != 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && step != SQLITE_DONE) {
        RCL_ERROR("store: listing the schools dropped failed source=%s err=%s",
                  rcl_log_value(source), rcl_log_value(sqlite3_errmsg(db)));
        rc = -1;
    }
    sqlite3_finalize(st);
    if (rc != 0)
        return -1;

    st = rcl_db_prepare(db, RCL_AGG_SQL_SUMMARIES_STAGING_LIST);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct rcl_summary s;

        rcl_agg_summary_column(st, &s, NULL);
        if (apply(arg, &s) != 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && step != SQLITE_DONE) {
        RCL_ERROR("store: reading the snapshot failed source=%s err=%s", rcl_log_value(source),
                  rcl_log_value(sqlite3_errmsg(db)));
        rc = -1;
    }
    sqlite3_finalize(st);
    return rc;
}

int rcl_agg_snapshot_rows_in(sqlite3 *db, const char *source)
{
    if (rcl_db_run_id(db, RCL_AGG_SQL_STUDENTS_DROP, source, "dropping the old rows") != 0 ||
        rcl_db_run_id(db, RCL_AGG_SQL_STUDENTS_FROM_STAGING, source, "moving the snapshot in") !=
            0 ||
        rcl_db_run_id(db, RCL_AGG_SQL_STUDENTS_STAGING_CLEAR, source, "clearing the staging") != 0)
        return -1;
    return rcl_db_run_id(db, RCL_AGG_SQL_SNAPSHOT_CLOSE, source, "closing the snapshot");
}

int rcl_agg_snapshot_summaries_in(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                                  int (*apply)(void *arg, const struct rcl_summary *s), void *arg)
{
    if (replace_summaries(db, cfg, source, apply, arg) != 0 ||
        rcl_db_run_id(db, RCL_AGG_SQL_SUMMARIES_STAGING_CLEAR, source, "clearing the staging") != 0)
        return -1;
    return rcl_db_run_id(db, RCL_AGG_SQL_SNAPSHOT_CLOSE, source, "closing the snapshot");
}

int rcl_agg_forward_record(sqlite3 *db, const char *source, uint64_t source_seq)
{
    struct rcl_outbox_stats own;
    sqlite3_stmt *st;
    int rc = -1;

    if (rcl_outbox_stats(db, &own) != 0)
        return -1;
    st = rcl_db_prepare(db, RCL_AGG_SQL_FORWARD_PUT);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)source_seq);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)own.last_seq);
    if (sqlite3_step(st) == SQLITE_DONE)
        rc = 0;
    else
        RCL_ERROR("store: recording the receipt failed source=%s err=%s", rcl_log_value(source),
                  rcl_log_value(sqlite3_errmsg(db)));
    sqlite3_finalize(st);
    if (rc != 0)
        return -1;

    /* Rows below the furthest one the top already holds will never be the answer again:
     * without them the table keeps one row per source plus those still travelling up
     * (without an upstream, own seqs stay 0 and every source keeps a single row). */
    st = rcl_db_prepare(db, RCL_AGG_SQL_FORWARD_TOP);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)own.top_seq);
    rc = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        sqlite3_int64 held = sqlite3_column_int64(st, 0); /* NULL (none held) reads as 0 */

        sqlite3_finalize(st);
        st = rcl_db_prepare(db, RCL_AGG_SQL_FORWARDS_PRUNE);
        if (st == NULL)
            return -1;
        sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, held);
        if (sqlite3_step(st) == SQLITE_DONE)
            rc = 0;
    }
    if (rc != 0)
        RCL_ERROR("store: pruning the receipts failed source=%s err=%s", rcl_log_value(source),
                  rcl_log_value(sqlite3_errmsg(db)));
    sqlite3_finalize(st);
    return rc;
}

void rcl_agg_receipt(sqlite3 *db, const struct rcl_agg_config *cfg, const char *id,
                     const struct rcl_recv_source *src, int64_t now, struct rcl_reply *reply)
{
    struct rcl_outbox_stats own;
    sqlite3_stmt *st;

    if (src->snapshot_open)
        return; /* a snapshot half here is in nobody's totals yet */
    if (!cfg->has_upstream) {
        snprintf(reply->top_id, sizeof(reply->top_id), "%s", cfg->id);
        reply->top_seq = src->applied_seq;
        reply->top_at = src->last_batch_at > 0 ? src->last_batch_at : now;
        return;
    }
    if (rcl_outbox_stats(db, &own) != 0 || own.top_id[0] == '\0')
        return;
    st = rcl_db_prepare(db, RCL_AGG_SQL_FORWARD_TOP);
    if (st == NULL)
        return;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)own.top_seq);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        sqlite3_int64 v = sqlite3_column_int64(st, 0);

        reply->top_seq = v < 0 ? 0 : (uint64_t)v;
        reply->top_at = own.top_at;
        snprintf(reply->top_id, sizeof(reply->top_id), "%s", own.top_id);
    }
    sqlite3_finalize(st);
}

int rcl_agg_own_snapshot(void *arg, sqlite3 *db, uint64_t *records)
{
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_SUMMARY_LIST);
    int step, rc = 0;

    (void)arg;
    *records = 0;
    if (st == NULL)
        return -1;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct rcl_change c;

        memset(&c, 0, sizeof(c));
        c.kind = RCL_CHANGE_SUMMARY;
        rcl_agg_summary_column(st, &c.u.summary, NULL);
        if (rcl_outbox_append(db, NULL, &c) != 0) {
            rc = -1;
            break;
        }
        (*records)++;
    }
    if (rc == 0 && step != SQLITE_DONE) {
        RCL_ERROR("store: reading summaries for a snapshot failed err=%s",
                  rcl_log_value(sqlite3_errmsg(db)));
        rc = -1;
    }
    sqlite3_finalize(st);
    if (rc != 0)
        return -1;
    /* Every source's effect now travels in this snapshot, which ends at records + 1. */
    st = rcl_db_prepare(db, RCL_AGG_SQL_FORWARDS_REBASE);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)(*records + 1));
    if (sqlite3_step(st) != SQLITE_DONE) {
        RCL_ERROR("store: moving receipts to the new epoch failed err=%s",
                  rcl_log_value(sqlite3_errmsg(db)));
        rc = -1;
    }
    sqlite3_finalize(st);
    return rc;
}

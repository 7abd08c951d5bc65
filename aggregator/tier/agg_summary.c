/*
 * agg_summary.c - summaries rows <-> struct rcl_summary, recomputing a
 * school's counts from its student rows, and moving them by what a batch
 * changed.
 */
#include "agg_summary.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "agg_sql.h"
#include "rcl_counts.h"
#include "rcl_db.h"
#include "rcl_log.h"
#include "rcl_outbox.h"

/* The store's migrations make columns for these counts only: see agg_sql.h for a new one. */
_Static_assert(RCL_COUNTS_N == RCL_AGG_SQL_V1_COUNTS,
               "a new count needs a migration adding its columns (agg_sql.h)");

static void copy_text(char *dst, size_t dstlen, const unsigned char *src)
{
    snprintf(dst, dstlen, "%s", src ? (const char *)src : "");
}

/* Counts are unsigned 64-bit; SQLite integers are signed, and counts never come near 2^63. */
static int64_t to_db(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

static uint64_t from_db(sqlite3_stmt *st, int col)
{
    sqlite3_int64 v = sqlite3_column_int64(st, col);
    return v < 0 ? 0 : (uint64_t)v;
}

int rcl_agg_totals_bind(sqlite3_stmt *st, int first, const struct rcl_totals *t)
{
    int rc = SQLITE_OK;

    for (enum rcl_count k = 0; k < RCL_COUNTS_N; k++)
        rc |= sqlite3_bind_int64(st, first + (int)k, to_db(rcl_count_get(t, k)));
    return rc == SQLITE_OK ? 0 : -1;
}

void rcl_agg_totals_column(sqlite3_stmt *st, int first, struct rcl_totals *t)
{
    for (enum rcl_count k = 0; k < RCL_COUNTS_N; k++)
        *rcl_count_at(t, k) = from_db(st, first + (int)k);
}

void rcl_agg_summary_column(sqlite3_stmt *st, struct rcl_summary *s, char child[RCL_ID_MAX + 1])
{
    memset(s, 0, sizeof(*s));
    copy_text(s->school_id, sizeof(s->school_id), sqlite3_column_text(st, 0));
    if (child)
        copy_text(child, RCL_ID_MAX + 1, sqlite3_column_text(st, 1));
    copy_text(s->name, sizeof(s->name), sqlite3_column_text(st, 2));
    copy_text(s->county, sizeof(s->county), sqlite3_column_text(st, 3));
    s->reported = sqlite3_column_int(st, 4) != 0;
    s->last_sync = sqlite3_column_int64(st, 5);
    rcl_agg_totals_column(st, 6, &s->totals);
    s->epoch = from_db(st, 6 + RCL_COUNTS_N);
    s->through_seq = from_db(st, 7 + RCL_COUNTS_N);
    if (sqlite3_column_bytes(st, 8 + RCL_COUNTS_N) == RCL_DIGEST_BYTES) {
        memcpy(s->through_digest, sqlite3_column_blob(st, 8 + RCL_COUNTS_N), RCL_DIGEST_BYTES);
        s->has_through_digest = true;
    }
    s->first_sync = sqlite3_column_int64(st, 9 + RCL_COUNTS_N);
}

/* Binds s and child to st (a put statement), runs it and resets it. 0, or -1 logged. */
static int summary_put_step(sqlite3 *db, sqlite3_stmt *st, const struct rcl_summary *s,
                            const char *child)
{
    int ret = -1;

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (sqlite3_bind_text(st, 1, s->school_id, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, child, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 3, s->name, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 4, s->county, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int(st, 5, s->reported ? 1 : 0) != SQLITE_OK ||
        sqlite3_bind_int64(st, 6, s->last_sync) != SQLITE_OK ||
        rcl_agg_totals_bind(st, 7, &s->totals) != 0 ||
        sqlite3_bind_int64(st, 7 + RCL_COUNTS_N, to_db(s->epoch)) != SQLITE_OK ||
        sqlite3_bind_int64(st, 8 + RCL_COUNTS_N, to_db(s->through_seq)) != SQLITE_OK ||
        (s->has_through_digest ? sqlite3_bind_blob(st, 9 + RCL_COUNTS_N, s->through_digest,
                                                   RCL_DIGEST_BYTES, SQLITE_STATIC)
                               : sqlite3_bind_null(st, 9 + RCL_COUNTS_N)) != SQLITE_OK ||
        sqlite3_bind_int64(st, 10 + RCL_COUNTS_N, s->first_sync) != SQLITE_OK)
        goto fail;
    if (sqlite3_step(st) != SQLITE_DONE)
        goto fail;
    ret = 0;
    goto out;
fail:
    RCL_ERROR("store: writing a summary failed school=%s err=%s", rcl_log_value(s->school_id),
              rcl_log_value(sqlite3_errmsg(db)));
out:
    sqlite3_reset(st);
    return ret;
}

static int summary_put_sql(sqlite3 *db, const char *sql, const struct rcl_summary *s,
                           const char *child)
{
    sqlite3_stmt *st = rcl_db_prepare(db, sql);
    int ret = st ? summary_put_step(db, st, s, child) : -1;

    sqlite3_finalize(st);
    return ret;
}

int rcl_agg_summary_put(sqlite3 *db, const struct rcl_summary *s, const char *child)
{
    return summary_put_sql(db, RCL_AGG_SQL_SUMMARY_PUT, s, child);
}

int rcl_agg_summary_put_reuse(sqlite3 *db, sqlite3_stmt **st, const struct rcl_summary *s,
                              const char *child)
{
    if (!*st)
        *st = rcl_db_prepare(db, RCL_AGG_SQL_SUMMARY_PUT);
    return *st ? summary_put_step(db, *st, s, child) : -1;
}

int rcl_agg_summary_stage(sqlite3 *db, const struct rcl_summary *s, const char *child)
{
    return summary_put_sql(db, RCL_AGG_SQL_SUMMARY_PUT_INTO("summaries_staging"), s, child);
}

int rcl_agg_summary_get(sqlite3 *db, const char *school_id, struct rcl_summary *s,
                        char child[RCL_ID_MAX + 1])
{
    int ret = -1, rc;
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_SUMMARY_GET);

    if (!st)
        goto out;
    sqlite3_bind_text(st, 1, school_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        rcl_agg_summary_column(st, s, child);
        ret = 1;
    } else if (rc == SQLITE_DONE) {
        ret = 0;
    } else {
        RCL_ERROR("store: reading a summary failed school=%s err=%s", rcl_log_value(school_id),
                  rcl_log_value(sqlite3_errmsg(db)));
    }
out:
    sqlite3_finalize(st);
    return ret;
}

/*
 * Reads a row of RCL_AGG_SQL_STUDENT_COUNTS' columns into s: only what the
 * counts depend on. A measures text that fails to parse was damaged outside
 * this program (we wrote it with rcl_measures_format) and counts as none.
 */
static void student_counted(sqlite3_stmt *st, const char *school_id, struct rcl_student *s)
{
    const unsigned char *measures = sqlite3_column_text(st, 4);
    char bad[64];

    memset(s, 0, sizeof(*s));
    s->network = (uint32_t)sqlite3_column_int64(st, 0);
    s->devices = (uint32_t)sqlite3_column_int64(st, 1);
    s->groups = (uint32_t)sqlite3_column_int64(st, 2);
    s->participation = (unsigned)sqlite3_column_int(st, 3);
    if (s->participation >= RCL_PARTICIPATION_COUNT)
        s->participation = RCL_PART_ACTIVE;
    if (rcl_measures_parse(measures ? (const char *)measures : "", s->measures, &s->n_measures, bad,
                           sizeof(bad)) != 0) {
        RCL_WARN("store: a student row has unreadable measures school=%s measures=%s",
                 rcl_log_value(school_id), rcl_log_value(bad));
        s->n_measures = 0;
    }
}

int rcl_agg_summary_recompute(sqlite3 *db, const char *school_id, struct rcl_totals *t)
{
    int ret = -1, rc;
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_STUDENT_COUNTS);
    struct rcl_student s;

    memset(t, 0, sizeof(*t));
    if (!st)
        goto out;
    sqlite3_bind_text(st, 1, school_id, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        student_counted(st, school_id, &s);
        rcl_totals_add_student(t, &s);
    }
    if (rc != SQLITE_DONE) {
        RCL_ERROR("store: counting the students failed school=%s err=%s", rcl_log_value(school_id),
                  rcl_log_value(sqlite3_errmsg(db)));
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

int rcl_agg_student_count_stored(sqlite3 *db, sqlite3_stmt **st, const char *school_id,
                                 const uint8_t *pseudonym, struct rcl_totals *t)
{
    struct rcl_student s;
    int rc, ret = -1;

    if (!*st)
        *st = rcl_db_prepare(db, RCL_AGG_SQL_STUDENT_COUNTED);
    if (!*st)
        return -1;
    sqlite3_bind_text(*st, 1, school_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(*st, 2, pseudonym, RCL_PSEUDONYM_BYTES, SQLITE_STATIC);
    rc = sqlite3_step(*st);
    if (rc == SQLITE_ROW) {
        student_counted(*st, school_id, &s);
        rcl_totals_add_student(t, &s);
        ret = 1;
    } else if (rc == SQLITE_DONE) {
        ret = 0;
    } else {
        RCL_ERROR("store: reading a student row failed school=%s err=%s", rcl_log_value(school_id),
                  rcl_log_value(sqlite3_errmsg(db)));
    }
    /* Its bindings point at the caller's memory. */
    sqlite3_reset(*st);
    sqlite3_clear_bindings(*st);
    return ret;
}

/* *out = base + in - gone for one count; false when that is below zero. */
static bool shift_one(uint64_t base, uint64_t in, uint64_t gone, uint64_t *out)
{
    if (base + in < gone)
        return false;
    *out = base + in - gone;
    return true;
}

int rcl_agg_totals_shift(const struct rcl_totals *base, const struct rcl_totals *in,
                         const struct rcl_totals *gone, struct rcl_totals *out)
{
    for (enum rcl_count k = 0; k < RCL_COUNTS_N; k++) {
        if (!shift_one(rcl_count_get(base, k), rcl_count_get(in, k), rcl_count_get(gone, k),
                       rcl_count_at(out, k)))
            return -1;
    }
    return 0;
}

int rcl_agg_summary_queue(sqlite3 *db, const struct rcl_summary *s)
{
    struct rcl_change c;
    char entity[16 + RCL_ID_MAX];

    memset(&c, 0, sizeof(c));
    c.kind = RCL_CHANGE_SUMMARY;
    c.u.summary = *s;
    snprintf(entity, sizeof(entity), "summary:%s", s->school_id);
    return rcl_outbox_append(db, entity, &c);
}

/*
 * agg_audit.c - the batch log, refused batches, and the audit (see agg_audit.h).
 */
#include "agg_audit.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "agg_sql.h"
#include "agg_summary.h"
#include "agg_tier.h"
#include "rcl_db.h"
#include "rcl_json.h"
#include "rcl_log.h"

int rcl_agg_batch_log(sqlite3 *db, const struct rcl_batch_header *h,
                      const uint8_t digest[RCL_DIGEST_BYTES], size_t n_changes, int64_t now)
{
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_BATCH_LOG_PUT);
    int rc = -1;

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, h->source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)h->epoch);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)h->first_seq);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)h->last_seq);
    sqlite3_bind_blob(st, 5, digest, RCL_DIGEST_BYTES, SQLITE_STATIC);
    if (h->has_prev)
        sqlite3_bind_blob(st, 6, h->prev_digest, RCL_DIGEST_BYTES, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 6);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)n_changes);
    sqlite3_bind_int64(st, 8, now);
    if (sqlite3_step(st) == SQLITE_DONE)
        rc = 0;
    else
        RCL_ERROR("store: logging a batch failed seq=%" PRIu64 "..%" PRIu64 " source=%s err=%s",
                  h->first_seq, h->last_seq, rcl_log_value(h->source),
                  rcl_log_value(sqlite3_errmsg(db)));
    sqlite3_finalize(st);
    return rc;
}

int rcl_agg_refused_keep(sqlite3 *db, const char *source, const char *reason, const uint8_t *buf,
                         size_t len, int64_t now)
{
    sqlite3_stmt *st;
    int rc = -1;
    /* Inside the caller's transaction a failure here must not undo the caller's work. */
    bool own = sqlite3_get_autocommit(db) != 0;

    if (own ? rcl_db_begin(db) != 0
            : rcl_db_exec(db, "SAVEPOINT refused_keep", "keep a refused batch") != 0)
        return -1;
    st = rcl_db_prepare(db, RCL_AGG_SQL_REFUSED_PUT);
    if (st == NULL)
        goto out;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)len);
    /* Enough to see what it was; a flood of huge messages must not fill the disk. */
    sqlite3_bind_blob(st, 5, buf,
                      (int)(len < RCL_AGG_REFUSED_KEEP_BYTES ? len : RCL_AGG_REFUSED_KEEP_BYTES),
                      SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        RCL_ERROR("store: keeping a refused batch failed source=%s err=%s", rcl_log_value(source),
                  rcl_log_value(sqlite3_errmsg(db)));
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rcl_db_run_int(db, RCL_AGG_SQL_REFUSED_PRUNE, RCL_AGG_REFUSED_KEEP_ROWS,
                       "pruning the refused batches") != 0)
        goto out;
    if (own)
        rc = rcl_db_commit(db) == 0 ? 0 : -1;
    else
        rc = rcl_db_exec(db, "RELEASE refused_keep", "keep a refused batch") == 0 ? 0 : -1;
out:
    sqlite3_finalize(st);
    if (rc != 0) {
        if (own)
            rcl_db_rollback(db);
        else if (!sqlite3_get_autocommit(db))
            rcl_db_exec(db, "ROLLBACK TO refused_keep; RELEASE refused_keep",
                        "roll back keeping a refused batch");
    }
    return rc;
}

/* The report being written: text lines, or the "problems" array of a JSON object. */
struct audit {
    sqlite3 *db;
    const struct rcl_agg_config *cfg;
    FILE *out;
    bool json;
    struct rcl_json j;
    int breaks;
    uint64_t batches;
    uint64_t sources;
};

static void problem(struct audit *a, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct audit *a, const char *source, const char *fmt, ...)
{
    char text[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    a->breaks++;
    if (a->json) {
        rcl_json_object_begin(&a->j);
        rcl_json_key(&a->j, "source");
        rcl_json_string(&a->j, source);
        rcl_json_key(&a->j, "problem");
        rcl_json_string(&a->j, text);
        rcl_json_object_end(&a->j);
    } else {
        fprintf(a->out, "BREAK  source %s: %s\n", source, text);
    }
}

/* One source's chain, epoch by epoch, against what the registry says was applied. */
static int check_source(void *arg, const struct rcl_agg_source *s)
{
    struct audit *a = arg;
    sqlite3_stmt *st = rcl_db_prepare(a->db, RCL_AGG_SQL_BATCH_LOG_OF);
    uint64_t epoch = 0, last = 0;
    uint8_t digest[RCL_DIGEST_BYTES];
    bool have_digest = false;
    int step;

    if (st == NULL)
        return -1;
    a->sources++;
    sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t e = (uint64_t)sqlite3_column_int64(st, 0);
        uint64_t first = (uint64_t)sqlite3_column_int64(st, 1);
        uint64_t end = (uint64_t)sqlite3_column_int64(st, 2);
        bool has_prev = sqlite3_column_bytes(st, 4) == RCL_DIGEST_BYTES;

        a->batches++;
        if (e != epoch) {
            epoch = e;
            last = 0;
            have_digest = false;
        }
        if (first != last + 1)
            problem(a, s->id,
                    "epoch %" PRIu64 ": batch %" PRIu64 "..%" PRIu64
                    " does not follow seq %" PRIu64,
                    e, first, end, last);
        else if (last > 0 && (!has_prev || !have_digest ||
                              memcmp(sqlite3_column_blob(st, 4), digest, RCL_DIGEST_BYTES) != 0))
            problem(a, s->id,
                    "epoch %" PRIu64 ": batch %" PRIu64 "..%" PRIu64
                    " does not name the digest of the batch before it (chain break)",
                    e, first, end);
        last = end;
        have_digest = sqlite3_column_bytes(st, 3) == RCL_DIGEST_BYTES;
        if (have_digest)
            memcpy(digest, sqlite3_column_blob(st, 3), RCL_DIGEST_BYTES);
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) {
        RCL_ERROR("store: reading the batch log failed source=%s err=%s", rcl_log_value(s->id),
                  rcl_log_value(sqlite3_errmsg(a->db)));
        return -1;
    }
    /* The current epoch's chain must end where the registry says. */
    if (s->applied_seq > 0 &&
        (epoch != s->epoch || last != s->applied_seq || !have_digest || !s->has_digest ||
         memcmp(digest, s->applied_digest, RCL_DIGEST_BYTES) != 0))
        problem(a, s->id,
                "the registry has epoch %" PRIu64 " applied through seq %" PRIu64
                ", but the batch log ends at epoch %" PRIu64 " seq %" PRIu64 " with another digest",
                s->epoch, s->applied_seq, epoch, last);
    /* At a county, the school's summary names the batch it includes. */
    if (rcl_agg_holds_students(a->cfg) && s->applied_seq > 0 && !s->snapshot_open) {
        struct rcl_summary sum;

        if (rcl_agg_summary_get(a->db, s->id, &sum, NULL) != 1)
            problem(a, s->id, "has applied batches but no summary");
        else if (sum.epoch != s->epoch || sum.through_seq != s->applied_seq ||
                 !sum.has_through_digest ||
                 memcmp(sum.through_digest, s->applied_digest, RCL_DIGEST_BYTES) != 0)
            problem(a, s->id,
                    "its summary includes epoch %" PRIu64 " through seq %" PRIu64
                    ", not the applied epoch %" PRIu64 " through seq %" PRIu64,
                    sum.epoch, sum.through_seq, s->epoch, s->applied_seq);
    }
    return 0;
}

/* The refused batches kept aside, newest first. */
static int list_refused(struct audit *a)
{
    sqlite3_stmt *st = rcl_db_prepare(a->db, RCL_AGG_SQL_REFUSED_LIST);
    uint64_t n = 0;
    int step;

    if (st == NULL)
        return -1;
    if (a->json) {
        rcl_json_key(&a->j, "refused");
        rcl_json_array_begin(&a->j);
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *source = (const char *)sqlite3_column_text(st, 0);
        int64_t at = sqlite3_column_int64(st, 1);
        const char *reason = (const char *)sqlite3_column_text(st, 2);
        int64_t bytes = sqlite3_column_int64(st, 3);

        n++;
        if (a->json) {
            rcl_json_object_begin(&a->j);
            rcl_json_key(&a->j, "source");
            rcl_json_string(&a->j, source ? source : "");
            rcl_json_key(&a->j, "received_at");
            rcl_json_int(&a->j, at);
            rcl_json_key(&a->j, "bytes");
            rcl_json_int(&a->j, bytes);
            rcl_json_key(&a->j, "reason");
            rcl_json_string(&a->j, reason ? reason : "");
            rcl_json_object_end(&a->j);
        } else {
            fprintf(a->out, "REFUSED  at %" PRId64 " from %s (%" PRId64 " bytes): %s\n", at,
                    source && source[0] ? source : "?", bytes, reason ? reason : "");
        }
    }
    sqlite3_finalize(st);
    if (a->json)
        rcl_json_array_end(&a->j);
    else
        fprintf(a->out, "refused batches kept: %" PRIu64 "\n", n);
    return step == SQLITE_DONE ? 0 : -1;
}

int rcl_agg_audit(sqlite3 *db, const struct rcl_agg_config *cfg, bool json, FILE *out)
{
    struct audit a;
    int rc;

    memset(&a, 0, sizeof(a));
    a.db = db;
    a.cfg = cfg;
    a.out = out;
    a.json = json;
    if (json) {
        rcl_json_init(&a.j, out);
        rcl_json_object_begin(&a.j);
        rcl_json_key(&a.j, "scope");
        rcl_json_string(&a.j, cfg->id);
        rcl_json_key(&a.j, "problems");
        rcl_json_array_begin(&a.j);
    }
    rc = rcl_agg_source_each(db, check_source, &a);
    if (json) {
        rcl_json_array_end(&a.j);
        rcl_json_key(&a.j, "sources");
        rcl_json_uint(&a.j, a.sources);
        rcl_json_key(&a.j, "batches");
        rcl_json_uint(&a.j, a.batches);
    } else {
        fprintf(out, "audit of %s: %" PRIu64 " sources, %" PRIu64 " batches checked, %d break%s\n",
                cfg->id, a.sources, a.batches, a.breaks, a.breaks == 1 ? "" : "s");
    }
    if (rc == 0)
        rc = list_refused(&a);
    if (json) {
        rcl_json_key(&a.j, "breaks");
        rcl_json_uint(&a.j, (uint64_t)a.breaks);
        rcl_json_object_end(&a.j);
        fputc('\n', out);
    }
    return rc != 0 ? -1 : a.breaks;
}

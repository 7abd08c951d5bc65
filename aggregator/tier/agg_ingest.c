/*
 * agg_ingest.c - applying one sealed batch from a source, exactly once.
 *
 * Everything from the source look-up to the commit runs inside one
 * BEGIN IMMEDIATE transaction (grouped: a savepoint inside the caller's), so
 * the applied_seq we judge a batch against is the one we replace, even if
 * `enroll` or `revoke` runs in another process meanwhile.
 */
#include "agg_ingest.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "agg_departures.h"
#include "agg_prepare.h"
#include "agg_profile.h"
#include "agg_sql.h"
#include "rcl_db.h"
#include "rcl_envelope.h"
#include "rcl_log.h"
#include "agg_audit.h"
#include "agg_snapshot.h"
#include "agg_summary.h"
#include "rcl_crash.h"

static void reply_reason(struct rcl_reply *r, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void reply_reason(struct rcl_reply *r, const char *fmt, va_list ap)
{
    vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
}

/* A rejection: the same bytes will never be accepted, so the sender stops. */
static void refuse(struct rcl_reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void refuse(struct rcl_reply *r, const char *fmt, ...)
{
    va_list ap;

    r->status = RCL_REPLY_REFUSED;
    va_start(ap, fmt);
    reply_reason(r, fmt, ap);
    va_end(ap);
    RCL_WARN("ingest: batch refused source=%s reason=%s",
             rcl_log_value(r->source[0] ? r->source : "?"), rcl_log_value(r->reason));
}

/* A failure of this store, not of the batch: the sender retries later. */
static void busy(struct rcl_reply *r, sqlite3 *db, const char *what)
{
    r->status = RCL_REPLY_BUSY;
    snprintf(r->reason, sizeof(r->reason), "aggregator store failure while %s: %s; retry later",
             what, sqlite3_errmsg(db));
    /* The operator needs the store's path (a full disk is fixed there); the
     * sender only needs to know to retry. */
    const char *path = sqlite3_db_filename(db, "main");

    RCL_ERROR("ingest: batch not applied: the store failed source=%s db=%s reason=%s",
              rcl_log_value(r->source[0] ? r->source : "?"),
              rcl_log_value(path && path[0] ? path : "?"), rcl_log_value(r->reason));
}

static void ack(struct rcl_reply *r, uint64_t seq, bool has_digest, const uint8_t *digest)
{
    r->status = RCL_REPLY_ACK;
    r->acked_seq = seq;
    r->has_digest = has_digest;
    if (has_digest)
        memcpy(r->acked_digest, digest, RCL_DIGEST_BYTES);
}

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

/* What applying one batch did, across its changes. */
struct apply_state {
    struct rcl_agg_ingest_ctx *ctx;
    const char *source;
    const uint8_t *source_key; /* the key this batch was verified with */
    uint64_t epoch;            /* the batch: its epoch, last seq and digest */
    uint64_t last_seq;
    const uint8_t *digest;
    bool snapshot_open; /* the source's snapshot is arriving: changes are staged */
    const char *what;   /* the step a store failure happened in */
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

bool rcl_agg_child_covers(const char *child, const char *county)
{
    size_t n = strlen(child);

    for (size_t i = 0; i < n; i++)
        if (child[i] < '0' || child[i] > '9')
            return true;
    if (n == 6)
        return strcmp(child, county) == 0;
    if (n == 4)
        return strncmp(child, county, 4) == 0;
    return true;
}

/*
 * Above a county: one school's summary counted through the sending child.
 * A school already counted through another child is skipped (never counted
 * twice). 0, or -1 (store error).
 */
static int apply_summary(void *arg, const struct rcl_summary *s)
{
    struct apply_state *a = arg;
    sqlite3 *db = a->ctx->db;
    char child[RCL_ID_MAX + 1];
    int held;

    a->what = "applying summaries";
    if (!rcl_agg_child_covers(a->source, s->county)) {
        RCL_WARN("ingest: summary skipped: the source does not cover that county school=%s "
                 "county=%s source=%s",
                 rcl_log_value(s->school_id), rcl_log_value(s->county), rcl_log_value(a->source));
        return 0;
    }
    held = summary_child(db, s->school_id, child);
    if (held < 0)
        return -1;
    if (held == 1 && strcmp(child, a->source) != 0) {
        RCL_WARN("ingest: summary skipped: the school is already counted through another child "
                 "school=%s source=%s child=%s",
                 rcl_log_value(s->school_id), rcl_log_value(a->source), rcl_log_value(child));
        return 0;
    }
    if (rcl_agg_summary_put_reuse(db, &a->summary_put, s, a->source) != 0)
        return -1;
    a->what = "queueing summaries upstream";
    if (a->ctx->cfg->has_upstream && rcl_agg_summary_queue(db, s) != 0)
        return -1;
    return 0;
}

/* Above a county: a school the child no longer counts. 0, or -1 (store error). */
static int remove_school(struct apply_state *a, const char *school_id)
{
    char child[RCL_ID_MAX + 1];
    int held = summary_child(a->ctx->db, school_id, child);

    a->what = "removing a school";
    if (held < 0)
        return -1;
    if (held == 0 || strcmp(child, a->source) != 0) {
        RCL_WARN("ingest: removal of a school skipped school=%s source=%s reason=%s",
                 rcl_log_value(school_id), rcl_log_value(a->source),
                 rcl_log_value(held == 0 ? "not held here" : "counted through another child"));
        return 0;
    }
    if (rcl_agg_school_remove(a->ctx->db, a->ctx->cfg, school_id) != 0)
        return -1;
    return 0;
}

/*
 * County: the school's counts after the batch, into *t, from the summary
 * held before it (held, when found is 1), moved by what the batch's rows
 * counted for before and after: the same as a recount of every row,
 * without reading them. A snapshot that replaced the rows, a missing
 * summary, or one the rows contradict (a count would drop below zero) is
 * recounted. 0, or -1 (store error).
 */
static int county_totals(struct apply_state *a, int found, const struct rcl_summary *held,
                         struct rcl_totals *t)
{
    if (a->recount)
        return rcl_agg_summary_recompute(a->ctx->db, a->source, t);
    if (found == 1 && rcl_agg_totals_shift(&held->totals, &a->counted_in, &a->counted_gone, t) == 0)
        return 0;
    if (found == 1)
        RCL_WARN("ingest: a summary did not match its student rows; recounted school=%s",
                 rcl_log_value(a->source));
    return rcl_agg_summary_recompute(a->ctx->db, a->source, t);
}

/* County: the school's summary brought up to date and queued upstream. */
static int county_summary(struct apply_state *a, int64_t now)
{
    sqlite3 *db = a->ctx->db;
    struct rcl_agg_source src;
    struct rcl_summary sum, held;
    int found;

    a->what = "updating the school's summary";
    if (rcl_agg_source_get(db, a->source, &src) != 1)
        return -1;
    found = rcl_agg_summary_get(db, a->source, &held, NULL);
    if (found < 0)
        return -1;
    memset(&sum, 0, sizeof(sum));
    snprintf(sum.school_id, sizeof(sum.school_id), "%s", a->source);
    snprintf(sum.name, sizeof(sum.name), "%s", src.name);
    memcpy(sum.county, src.county, sizeof(sum.county));
    if (sum.county[0] == '\0')
        rcl_agg_default_county(a->ctx->cfg, sum.county);
    sum.reported = true;
    sum.last_sync = now;
    /* The first batch ever accepted from the school dates its report, whatever follows. */
    sum.first_sync = now;
    if (found == 1 && held.reported) /* unknown before timeliness was kept: the earliest known */
        sum.first_sync = held.first_sync > 0 ? held.first_sync : held.last_sync;
    sum.epoch = a->epoch;
    sum.through_seq = a->last_seq;
    sum.has_through_digest = true;
    memcpy(sum.through_digest, a->digest, RCL_DIGEST_BYTES);
    if (county_totals(a, found, &held, &sum.totals) != 0 ||
        rcl_agg_summary_put(db, &sum, a->source) != 0)
        return -1;
    a->what = "queueing the summary upstream";
    if (a->ctx->cfg->has_upstream && rcl_agg_summary_queue(db, &sum) != 0)
        return -1;
    return 0;
}

/* SNAPSHOT_END: the staged records replace the source's. 0, -1 store error, -2 refused. */
static int end_snapshot(struct apply_state *a, const struct rcl_change *c, struct rcl_reply *r)
{
    uint64_t staged = 0;

    if (!a->snapshot_open) {
        refuse(r, "change seq %" PRIu64 ": a snapshot end, but no snapshot of source %s is open",
               c->seq, a->source);
        return -2;
    }
    a->what = "counting the snapshot";
    if (rcl_agg_snapshot_staged(a->ctx->db, a->ctx->cfg, a->source, &staged) != 0)
        return -1;
    if (staged != c->u.snapshot_records) {
        refuse(r,
               "snapshot of source %s ends at seq %" PRIu64 " with %" PRIu64
               " records, but %" PRIu64 " arrived",
               a->source, c->seq, c->u.snapshot_records, staged);
        return -2;
    }
    a->what = "replacing the source's rows with its snapshot";
    if (rcl_agg_snapshot_end(a->ctx->db, a->ctx->cfg, a->source, apply_summary, a) != 0)
        return -1;
    a->snapshot_open = false;
    a->recount = true;
    RCL_INFO("ingest: snapshot complete: its records replace the source's rows source=%s "
             "records=%" PRIu64,
             rcl_log_value(a->source), staged);
    return 0;
}

/* County: what a student row about to be replaced or removed counted for. 0, or -1. */
static int count_out(struct apply_state *a, const uint8_t *pseudonym)
{
    if (a->ctx->cfg->tier != RCL_AGG_COUNTY)
        return 0;
    return rcl_agg_student_count_stored(a->ctx->db, &a->count_stored, a->source, pseudonym,
                                        &a->counted_gone) < 0
               ? -1
               : 0;
}

/*
 * Applies a batch's changes (decoded and checked for this tier). Returns 0,
 * -1 on a store error (a->what says where), or -2 with the refusal in r.
 */
static int apply_changes(struct apply_state *a, const struct rcl_change *changes, size_t n,
                         int64_t now, struct rcl_reply *r)
{
    sqlite3 *db = a->ctx->db;
    bool county = a->ctx->cfg->tier == RCL_AGG_COUNTY;

    for (size_t i = 0; i < n; i++) {
        const struct rcl_change *c = &changes[i];
        int rc = 0;

        a->what = "applying changes";
        if (c->kind == RCL_CHANGE_SNAPSHOT_END) {
            rc = end_snapshot(a, c, r);
            if (rc != 0)
                return rc;
            continue;
        }
        if (c->kind == RCL_CHANGE_KEY_ROTATION) {
            char why[160];

            a->what = "rotating the source's key";
            rc = rcl_agg_source_rotate(db, a->source, a->source_key, c->u.key_rotation.new_key,
                                       c->u.key_rotation.proof, why, sizeof(why));
            if (rc == 1) {
                refuse(r, "change seq %" PRIu64 ": %s", c->seq, why);
                return -2;
            }
            if (rc != 0)
                return -1;
            continue;
        }
        if (a->snapshot_open && c->kind != RCL_CHANGE_SCHOOL &&
            c->kind != RCL_CHANGE_SCHOOL_REMOVED) {
            a->what = "staging the snapshot";
            if (rcl_agg_snapshot_stage(db, a->ctx->cfg, a->source, c) != 0)
                return -1;
            continue;
        }
        switch (c->kind) {
        case RCL_CHANGE_STUDENT:
            /* A new student costs one insert; one already held is read (what it counted
             * for goes out of the summary) and replaced. */
            rc = rcl_agg_student_add(db, &a->stmts, a->source, &c->u.student);
            if (rc == 0)
                rc = count_out(a, c->u.student.pseudonym);
            if (rc == 0)
                rc = rcl_agg_student_put(db, &a->stmts, false, a->source, &c->u.student);
            if (rc == 1)
                rc = 0;
            if (rc == 0)
                rcl_totals_add_student(&a->counted_in, &c->u.student);
            break;
        case RCL_CHANGE_REMOVED:
            rc = count_out(a, c->u.removed.pseudonym);
            if (rc == 0)
                rc =
                    rcl_agg_student_delete(db, &a->stmts, false, a->source, c->u.removed.pseudonym);
            if (rc == 0)
                rc = rcl_agg_departure_put(db, a->source, &c->u.removed, now);
            break;
        case RCL_CHANGE_SCHOOL:
            rc = put_profile(db, &c->u.school);
            if (rc == 0 && county)
                rc = rcl_agg_profile_put(db, &c->u.school, now);
            break;
        case RCL_CHANGE_SUMMARY:
            rc = apply_summary(a, &c->u.summary);
            break;
        case RCL_CHANGE_SCHOOL_REMOVED:
            rc = remove_school(a, c->u.school_removed);
            break;
        case RCL_CHANGE_SNAPSHOT_END: /* handled above */
        case RCL_CHANGE_KEY_ROTATION:
            break;
        }
        if (rc != 0)
            return -1;
    }
    /* A half-arrived snapshot is in nobody's totals: the summary waits for its end. */
    if (county && !a->snapshot_open && county_summary(a, now) != 0)
        return -1;
    return 0;
}

/*
 * A batch's own transaction, or with ctx->grouped a savepoint inside the
 * caller's: then nothing is durable until the caller commits.
 */
static int batch_begin(const struct rcl_agg_ingest_ctx *ctx)
{
    return ctx->grouped ? rcl_db_exec(ctx->db, "SAVEPOINT ingest_batch", "begin a batch")
                        : rcl_db_begin(ctx->db);
}

static int batch_commit(const struct rcl_agg_ingest_ctx *ctx)
{
    return ctx->grouped ? rcl_db_exec(ctx->db, "RELEASE ingest_batch", "end a batch")
                        : rcl_db_commit(ctx->db);
}

static void batch_rollback(const struct rcl_agg_ingest_ctx *ctx)
{
    if (!ctx->grouped) {
        rcl_db_rollback(ctx->db);
        return;
    }
    /* SQLite may have rolled back the whole transaction (e.g. after SQLITE_FULL): the
     * caller sees that and answers every batch of its group BUSY. */
    if (!sqlite3_get_autocommit(ctx->db))
        rcl_db_exec(ctx->db, "ROLLBACK TO ingest_batch; RELEASE ingest_batch", "roll back a batch");
}

static int record_applied(sqlite3 *db, const char *source, uint64_t seq,
                          const uint8_t digest[RCL_DIGEST_BYTES], int64_t now)
{
    int ret = -1;
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_SOURCE_APPLIED);

    if (!st)
        goto out;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
    sqlite3_bind_blob(st, 3, digest, RCL_DIGEST_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto out;
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

int rcl_agg_ingest(struct rcl_agg_ingest_ctx *ctx, const uint8_t *buf, size_t len,
                   const char *zap_user_id, struct rcl_reply *reply)
{
    struct rcl_agg_prepared p;
    int committed;

    rcl_agg_prepare_envelope(&p, buf, len);
    committed = rcl_agg_ingest_prepared(ctx, &p, buf, len, zap_user_id, reply);
    rcl_agg_prepared_clear(&p);
    return committed;
}

int rcl_agg_ingest_prepared(struct rcl_agg_ingest_ctx *ctx, struct rcl_agg_prepared *p,
                            const uint8_t *buf, size_t len, const char *zap_user_id,
                            struct rcl_reply *reply)
{
    sqlite3 *db = ctx->db;
    struct rcl_envelope *env = p->env;
    struct rcl_batch *batch = NULL;
    struct rcl_change *changes = NULL;
    struct rcl_agg_source src;
    const struct rcl_batch_header *h;
    uint8_t digest[RCL_DIGEST_BYTES];
    bool in_tx = false;
    int committed = 0, found;
    int64_t now = ctx->now ? ctx->now : (int64_t)time(NULL);

    memset(reply, 0, sizeof(*reply));
    ctx->applied_changes = 0;
    /* 1. The outer layer. */
    if (!env) {
        refuse(reply, "%s", p->malformed);
        goto out;
    }
    snprintf(reply->source, sizeof(reply->source), "%s", env->source);

    /* 2. Who sent it. The transaction starts here so the state we judge by is the state we
     * update, whatever enroll or revoke do meanwhile. */
    if (batch_begin(ctx) != 0) {
        busy(reply, db, "starting a transaction");
        goto out;
    }
    in_tx = true;
    found = rcl_agg_source_get(db, env->source, &src);
    if (found < 0) {
        busy(reply, db, "looking up the source");
        goto out;
    }
    if (found == 0) {
        refuse(reply, "source %s is not enrolled", env->source);
        goto out;
    }
    if (src.revoked) {
        refuse(reply, "source %s is revoked", env->source);
        goto out;
    }
    if (!zap_user_id || strcmp(zap_user_id, env->source) != 0) {
        refuse(reply, "envelope source %s does not match connection key", env->source);
        goto out;
    }

    /* 3. The signature, before anything inside the payload is looked at: taken from the
     * preparation only when it verified against the key held here now. */
    if (!p->verified || sodium_memcmp(p->key, src.public_key, RCL_PK_BYTES) != 0) {
        rcl_agg_prepared_clear_payload(p);
        if (rcl_agg_prepare_payload(p, ctx->cfg, src.public_key) != 0) {
            refuse(reply, "signature of source %s does not verify against its enrolled key",
                   env->source);
            goto out;
        }
    }
    batch = p->batch;
    if (!batch) {
        refuse(reply, "malformed batch from source %s: %s", env->source, p->batch_err);
        goto out;
    }
    h = &batch->h;
    if (strcmp(h->source, env->source) != 0) {
        refuse(reply, "batch source %s does not match envelope source %s", h->source, env->source);
        goto out;
    }

    /* A version this program cannot read: said once, naming both versions, on both sides. */
    if (!rcl_protocol_supported(h->protocol)) {
        char why[sizeof(reply->reason)];

        rcl_protocol_refusal(why, sizeof(why), h->protocol, env->source);
        refuse(reply, "%s", why);
        goto out;
    }

    /* P. A probe: what we hold of the source, nothing written. */
    if (rcl_batch_is_probe(h)) {
        ack(reply, src.applied_seq, src.has_digest, src.applied_digest);
        reply->probe = true;
        reply->probe_id = h->probe_id;
        goto answered;
    }

    /* 4. The epoch. A newer one opens with a full snapshot from seq 1. */
    if (h->epoch < src.epoch) {
        /* A late copy of a batch from before the sender's new epoch, or a sender
         * restored to an older epoch: the reply names the current epoch, which tells
         * the latter to start a newer one and changes nothing for the former. Not a
         * refusal: that would stop a sender that is already on the current epoch. */
        RCL_WARN("ingest: batch of an older epoch not applied source=%s epoch=%" PRIu64
                 " current=%" PRIu64,
                 rcl_log_value(env->source), h->epoch, src.epoch);
        ack(reply, src.applied_seq, src.has_digest, src.applied_digest);
        goto answered;
    }
    if (h->epoch > src.epoch) {
        if (h->first_seq != 1) {
            reply->status = RCL_REPLY_RESEND;
            reply->resend_from = 1;
            goto answered;
        }
        if (rcl_agg_epoch_open(db, ctx->cfg, env->source, h->epoch) != 0) {
            busy(reply, db, "opening a new epoch");
            goto out;
        }
        RCL_WARN("ingest: source starts an epoch with a full snapshot that will replace its rows "
                 "source=%s epoch=%" PRIu64 " was=%" PRIu64,
                 rcl_log_value(env->source), h->epoch, src.epoch);
        src.epoch = h->epoch;
        src.applied_seq = 0;
        src.has_digest = false;
        src.snapshot_open = true;
    }
    if (h->first_seq == 0 || h->first_seq > h->last_seq) {
        refuse(reply, "batch %" PRIu64 "..%" PRIu64 " is not a valid range (seqs start at 1)",
               h->first_seq, h->last_seq);
        goto out;
    }

    /* 5. Already have it: acknowledge again, apply nothing. */
    if (h->last_seq <= src.applied_seq) {
        RCL_DEBUG("ingest: duplicate batch acknowledged again source=%s seq=%" PRIu64 "..%" PRIu64
                  " applied_seq=%" PRIu64,
                  rcl_log_value(env->source), h->first_seq, h->last_seq, src.applied_seq);
        ack(reply, src.applied_seq, src.has_digest, src.applied_digest);
        goto answered;
    }
    /* 6. A gap. */
    if (h->first_seq > src.applied_seq + 1) {
        RCL_INFO("ingest: gap: asked to resend source=%s seq=%" PRIu64 "..%" PRIu64
                 " applied_seq=%" PRIu64 " resend_from=%" PRIu64,
                 rcl_log_value(env->source), h->first_seq, h->last_seq, src.applied_seq,
                 src.applied_seq + 1);
        reply->status = RCL_REPLY_RESEND;
        reply->resend_from = src.applied_seq + 1;
        goto answered;
    }
    /* 7. Straddles what is applied: batches never change once sealed, so the sender
     * holds another history (restored from a backup). Its own batch digest will not
     * match this ack, and it starts a new epoch. */
    if (h->first_seq < src.applied_seq + 1) {
        RCL_WARN("ingest: batch overlaps the applied range: acknowledged as is, the sender will "
                 "see it diverged source=%s seq=%" PRIu64 "..%" PRIu64 " applied_seq=%" PRIu64,
                 rcl_log_value(env->source), h->first_seq, h->last_seq, src.applied_seq);
        ack(reply, src.applied_seq, src.has_digest, src.applied_digest);
        goto answered;
    }

    /* 8. The next batch: it must continue the chain, and every change must be good. */
    if (src.applied_seq > 0 &&
        (!h->has_prev || !src.has_digest ||
         sodium_memcmp(h->prev_digest, src.applied_digest, RCL_DIGEST_BYTES) != 0)) {
        refuse(reply, "chain break at seq %" PRIu64, h->first_seq);
        goto out;
    }
    if (batch->n_changes > RCL_BATCH_RECORDS_MAX) {
        refuse(reply, "batch %" PRIu64 "..%" PRIu64 " holds %zu changes, more than %d",
               h->first_seq, h->last_seq, batch->n_changes, RCL_BATCH_RECORDS_MAX);
        goto out;
    }
    if (p->out_of_memory) {
        reply->status = RCL_REPLY_BUSY;
        snprintf(reply->reason, sizeof(reply->reason), "aggregator out of memory");
        RCL_ERROR("ingest: out of memory for the changes count=%zu", batch->n_changes);
        goto out;
    }
    if (p->changes_bad) {
        refuse(reply, "%s", p->changes_err);
        goto answered;
    }
    changes = p->changes;

    {
        struct apply_state a = {.ctx = ctx,
                                .source = env->source,
                                .source_key = src.public_key,
                                .epoch = h->epoch,
                                .last_seq = h->last_seq,
                                .digest = digest,
                                .snapshot_open = src.snapshot_open,
                                .what = ""};
        int applied;

        rcl_digest(env->payload.data, env->payload.len, digest);
        applied = apply_changes(&a, changes, batch->n_changes, now, reply);
        sqlite3_finalize(a.summary_put);
        sqlite3_finalize(a.count_stored);
        rcl_agg_student_stmts_finalize(&a.stmts);

        if (applied == -2)
            goto answered;
        if (applied != 0) {
            busy(reply, db, a.what);
            goto out;
        }
        /* Once the batch's effect is settled here (no snapshot half staged), it is in the
         * totals above as soon as everything queued so far is -- also when it queued
         * nothing (every summary skipped), so its receipt does not stall. */
        if (!a.snapshot_open && rcl_agg_forward_record(db, env->source, h->last_seq) != 0) {
            busy(reply, db, "recording the receipt");
            goto out;
        }
        src.snapshot_open = a.snapshot_open;
    }
    if (record_applied(db, env->source, h->last_seq, digest, now) != 0 ||
        rcl_agg_batch_log(db, h, digest, batch->n_changes, now) != 0) {
        busy(reply, db, "recording the applied seq");
        goto out;
    }
    if (!ctx->grouped)
        RCL_CRASH_POINT("ingest-before-commit");
    if (batch_commit(ctx) != 0) {
        busy(reply, db, "committing");
        goto out;
    }
    in_tx = false;
    committed = 1;
    ctx->applied_changes = batch->n_changes;
    if (!ctx->grouped)
        RCL_CRASH_POINT("ingest-after-commit");
    /* Only now, with the commit durable, is the ack a promise (grouped: once the caller's
     * commit is). */
    ack(reply, h->last_seq, true, digest);
    src.applied_seq = h->last_seq;
    src.last_batch_at = now;
    RCL_INFO("ingest: applied batch source=%s epoch=%" PRIu64 " seq=%" PRIu64 "..%" PRIu64
             " changes=%zu",
             rcl_log_value(env->source), h->epoch, h->first_seq, h->last_seq, batch->n_changes);
answered:
    /* Every answer about a known source says which epoch we hold, and how far its
     * changes are in the totals at the top of the chain. */
    reply->epoch = src.epoch;
    if (in_tx) {
        batch_rollback(ctx);
        in_tx = false;
    }
    if (reply->status == RCL_REPLY_ACK)
        rcl_agg_receipt(db, ctx->cfg, &src, now, reply);
out:
    if (in_tx)
        batch_rollback(ctx);
    /* Kept aside for audit: what was refused, from whom, and why. */
    if (reply->status == RCL_REPLY_REFUSED)
        rcl_agg_refused_keep(db, reply->source, reply->reason, buf, len, now);
    return committed;
}

/*
 * agg_ingest.c - the aggregator's store and tier behind the receiver's
 * operations (see agg_ingest.h): a batch the rules let through is applied
 * change by change by the tier's table, inside the receiver's transaction.
 */
#include "agg_ingest.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agg_audit.h"
#include "agg_snapshot.h"
#include "agg_sql.h"
#include "rcl_db.h"
#include "rcl_log.h"

static int store_source_get(void *arg, const char *id, struct rcl_recv_source *out)
{
    struct rcl_agg_ingest_ctx *ctx = arg;
    struct rcl_agg_source s;
    int found = rcl_agg_source_get(ctx->db, id, &s);

    if (found != 1)
        return found;
    memset(out, 0, sizeof(*out));
    out->revoked = s.revoked;
    memcpy(out->key, s.public_key, RCL_PK_BYTES);
    out->epoch = s.epoch;
    out->applied_seq = s.applied_seq;
    out->has_digest = s.has_digest;
    memcpy(out->digest, s.applied_digest, RCL_DIGEST_BYTES);
    out->last_batch_at = s.last_batch_at;
    out->snapshot_open = s.snapshot_open;
    return 1;
}

static int tier_accepts(void *arg, const struct rcl_batch_header *h, const struct rcl_change *c,
                        char *why, size_t whylen)
{
    struct rcl_agg_ingest_ctx *ctx = arg;

    return rcl_agg_tier_of(ctx->cfg)->accepts(ctx->cfg, h, c, why, whylen);
}

static int store_epoch_open(void *arg, const char *id, uint64_t epoch)
{
    struct rcl_agg_ingest_ctx *ctx = arg;

    return rcl_agg_epoch_open(ctx->db, ctx->cfg, id, epoch);
}

/* SNAPSHOT_END: the staged records replace the source's. 0, -1 store error, -2 refused. */
static int end_snapshot(struct rcl_agg_apply *a, const struct rcl_change *c, char *why,
                        size_t whylen)
{
    const char *source = a->b->source;
    uint64_t staged = 0;

    if (!a->b->snapshot_open) {
        snprintf(why, whylen,
                 "change seq %" PRIu64 ": a snapshot end, but no snapshot of source %s is open",
                 c->seq, source);
        return -2;
    }
    a->what = "counting the snapshot";
    if (rcl_agg_snapshot_staged(a->db, a->cfg, source, &staged) != 0)
        return -1;
    if (staged != c->u.snapshot_records) {
        snprintf(why, whylen,
                 "snapshot of source %s ends at seq %" PRIu64 " with %" PRIu64
                 " records, but %" PRIu64 " arrived",
                 source, c->seq, c->u.snapshot_records, staged);
        return -2;
    }
    a->what = "replacing the source's rows with its snapshot";
    if (rcl_agg_tier_of(a->cfg)->snapshot_end(a) != 0)
        return -1;
    a->b->snapshot_open = false;
    RCL_INFO("ingest: snapshot complete: its records replace the source's rows source=%s "
             "records=%" PRIu64,
             rcl_log_value(source), staged);
    return 0;
}

/* KEY_ROTATION: the source's next key, proven by the one it signed this batch with. */
static int rotate_key(struct rcl_agg_apply *a, const struct rcl_change *c, char *why, size_t whylen)
{
    char reason[160];
    int rc;

    a->what = "rotating the source's key";
    rc = rcl_agg_source_rotate(a->db, a->b->source, a->b->source_key, c->u.key_rotation.new_key,
                               c->u.key_rotation.proof, reason, sizeof(reason));
    if (rc == 1) {
        snprintf(why, whylen, "change seq %" PRIu64 ": %s", c->seq, reason);
        return -2;
    }
    return rc != 0 ? -1 : 0;
}

/* One change: the protocol's own kinds here, a snapshot's staged, the rest the tier's. */
static int apply_change(struct rcl_agg_apply *a, const struct rcl_change *c, char *why,
                        size_t whylen)
{
    a->what = "applying changes";
    if (c->kind == RCL_CHANGE_SNAPSHOT_END)
        return end_snapshot(a, c, why, whylen);
    if (c->kind == RCL_CHANGE_KEY_ROTATION)
        return rotate_key(a, c, why, whylen);
    if (a->b->snapshot_open && c->kind != RCL_CHANGE_SCHOOL &&
        c->kind != RCL_CHANGE_SCHOOL_REMOVED) {
        a->what = "staging the snapshot";
        return rcl_agg_snapshot_stage(a->db, a->cfg, a->b->source, c) != 0 ? -1 : 0;
    }
    return rcl_agg_tier_of(a->cfg)->apply(a, c);
}

/* A batch's changes (decoded and accepted by the tier). 0, -1 store error (*what), -2 refused. */
static int tier_apply(void *arg, struct rcl_recv_batch *b, char *why, size_t whylen,
                      const char **what)
{
    struct rcl_agg_ingest_ctx *ctx = arg;
    struct rcl_agg_apply a = {.db = ctx->db, .cfg = ctx->cfg, .b = b, .what = ""};
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < b->n_changes; i++)
        rc = apply_change(&a, &b->changes[i], why, whylen);
    /* A half-arrived snapshot is in nobody's totals: the summary waits for its end. */
    if (rc == 0 && !b->snapshot_open && rcl_agg_tier_of(ctx->cfg)->batch_end(&a) != 0)
        rc = -1;
    sqlite3_finalize(a.summary_put);
    sqlite3_finalize(a.count_stored);
    rcl_agg_student_stmts_finalize(&a.stmts);
    *what = a.what;
    return rc;
}

static int store_settled(void *arg, const char *id, uint64_t seq)
{
    struct rcl_agg_ingest_ctx *ctx = arg;

    return rcl_agg_forward_record(ctx->db, id, seq);
}

static int store_applied(void *arg, const struct rcl_batch_header *h,
                         const uint8_t digest[RCL_DIGEST_BYTES], size_t n_changes, int64_t now)
{
    struct rcl_agg_ingest_ctx *ctx = arg;
    int ret = -1;
    sqlite3_stmt *st = rcl_db_prepare(ctx->db, RCL_AGG_SQL_SOURCE_APPLIED);

    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, h->source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)h->last_seq);
    sqlite3_bind_blob(st, 3, digest, RCL_DIGEST_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    if (sqlite3_step(st) == SQLITE_DONE)
        ret = 0;
    sqlite3_finalize(st);
    if (ret != 0)
        return -1;
    return rcl_agg_batch_log(ctx->db, h, digest, n_changes, now);
}

static void store_receipt(void *arg, const char *id, const struct rcl_recv_source *s, int64_t now,
                          struct rcl_reply *reply)
{
    struct rcl_agg_ingest_ctx *ctx = arg;

    rcl_agg_receipt(ctx->db, ctx->cfg, id, s, now, reply);
}

static void store_refused(void *arg, const char *source, const char *reason, const uint8_t *buf,
                          size_t len, int64_t now)
{
    struct rcl_agg_ingest_ctx *ctx = arg;

    rcl_agg_refused_keep(ctx->db, source, reason, buf, len, now);
}

const struct rcl_recv_ops rcl_agg_recv_ops = {
    .source_get = store_source_get,
    .accepts = tier_accepts,
    .epoch_open = store_epoch_open,
    .apply = tier_apply,
    .settled = store_settled,
    .applied = store_applied,
    .receipt = store_receipt,
    .refused = store_refused,
};

struct rcl_receiver *rcl_agg_receiver(struct rcl_agg_ingest_ctx *ctx)
{
    ctx->rv =
        (struct rcl_receiver){.db = ctx->db, .ops = &rcl_agg_recv_ops, .arg = ctx, .now = ctx->now};
    return &ctx->rv;
}

int rcl_agg_ingest(struct rcl_agg_ingest_ctx *ctx, const uint8_t *buf, size_t len,
                   const char *zap_user_id, struct rcl_reply *reply)
{
    struct rcl_recv_prepared p;
    int applied;

    rcl_recv_prepare_envelope(&p, buf, len);
    applied = rcl_agg_ingest_prepared(ctx, &p, buf, len, zap_user_id, reply);
    rcl_recv_prepared_clear(&p);
    return applied;
}

int rcl_agg_ingest_prepared(struct rcl_agg_ingest_ctx *ctx, struct rcl_recv_prepared *p,
                            const uint8_t *buf, size_t len, const char *zap_user_id,
                            struct rcl_reply *reply)
{
    struct rcl_recv_result one;
    const struct rcl_recv_result *res = &one;
    struct rcl_receiver *rv = rcl_agg_receiver(ctx);

    if (ctx->group)
        res = rcl_recv_group_add(ctx->group, p, buf, len, zap_user_id);
    else
        rcl_recv_one(rv, p, buf, len, zap_user_id, &one);
    *reply = res->reply;
    ctx->applied_changes = res->changes;
    return res->applied ? 1 : 0;
}

int rcl_agg_prepare_payload(struct rcl_recv_prepared *p, const struct rcl_agg_config *cfg,
                            const uint8_t key[RCL_PK_BYTES])
{
    struct rcl_agg_ingest_ctx ctx = {.cfg = cfg};

    return rcl_recv_prepare_payload(p, &rcl_agg_recv_ops, &ctx, key);
}

int rcl_agg_group_begin(struct rcl_agg_ingest_ctx *ctx, struct rcl_recv_group *g)
{
    rcl_recv_group_begin(g, rcl_agg_receiver(ctx));
    ctx->group = g;
    return g->tx ? 0 : -1;
}

int rcl_agg_group_commit(struct rcl_agg_ingest_ctx *ctx)
{
    int rc = ctx->group ? rcl_recv_group_commit(ctx->group) : 0;

    ctx->group = NULL;
    return rc;
}

void rcl_agg_group_rollback(struct rcl_agg_ingest_ctx *ctx)
{
    if (ctx->group)
        rcl_recv_group_rollback(ctx->group);
    ctx->group = NULL;
}

/*
 * rcl_receiver.c - judging one sealed batch by the protocol's rules, and
 * applying it exactly once (see rcl_receiver.h).
 *
 * Everything from the source look-up to the commit runs inside one
 * BEGIN IMMEDIATE transaction (in a group: a savepoint inside the group's),
 * so the applied_seq we judge a batch against is the one we replace, even
 * if `enroll` or `revoke` runs in another process meanwhile.
 */
#include "rcl_receiver.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "rcl_crash.h"
#include "rcl_db.h"
#include "rcl_log.h"

/* ---- Preparing: bytes and a key alone ---- */

/*
 * Decodes every change of b into out[], checks each lies in its batch in
 * increasing order and suits the tier. 0, or -1 with the refusal in why.
 */
static int decode_changes(const struct rcl_recv_ops *ops, void *arg, const struct rcl_batch *b,
                          struct rcl_change *out, char *why, size_t whylen)
{
    char err[160];
    uint64_t prev = 0;
    const struct rcl_batch_header *h = &b->h;

    for (size_t i = 0; i < b->n_changes; i++) {
        struct rcl_change *c = &out[i];

        if (rcl_change_decode(b->changes[i].data, b->changes[i].len, c, err, sizeof(err)) != 0) {
            snprintf(why, whylen, "batch %" PRIu64 "..%" PRIu64 ": change #%zu does not decode: %s",
                     h->first_seq, h->last_seq, i + 1, err);
            return -1;
        }
        if (c->seq < h->first_seq || c->seq > h->last_seq) {
            snprintf(why, whylen,
                     "change seq %" PRIu64 " is outside its batch %" PRIu64 "..%" PRIu64, c->seq,
                     h->first_seq, h->last_seq);
            return -1;
        }
        if (i > 0 && c->seq <= prev) {
            snprintf(why, whylen,
                     "change seq %" PRIu64 " follows seq %" PRIu64 ": seqs must increase", c->seq,
                     prev);
            return -1;
        }
        prev = c->seq;
        if (c->kind == RCL_CHANGE_SNAPSHOT_END || c->kind == RCL_CHANGE_KEY_ROTATION)
            continue; /* every tier; judged when applying */
        if (ops->accepts(arg, h, c, why, whylen) != 0)
            return -1;
    }
    return 0;
}

int rcl_recv_prepare_envelope(struct rcl_recv_prepared *p, const uint8_t *buf, size_t len)
{
    char err[RCL_RECV_ERR_MAX - 32];

    memset(p, 0, sizeof(*p));
    if (len > RCL_MESSAGE_BYTES_MAX) {
        snprintf(p->malformed, sizeof(p->malformed),
                 "malformed envelope: %zu bytes exceed the limit of %d", len,
                 RCL_MESSAGE_BYTES_MAX);
        return -1;
    }
    if (rcl_envelope_decode(buf, len, &p->env, err, sizeof(err)) != 0) {
        p->env = NULL;
        snprintf(p->malformed, sizeof(p->malformed), "malformed envelope: %s", err);
        return -1;
    }
    if (!rcl_id_valid(p->env->source)) {
        rcl_envelope_destroy(&p->env);
        snprintf(p->malformed, sizeof(p->malformed),
                 "malformed envelope: the source id is not valid");
        return -1;
    }
    return 0;
}

/* Forgets what rcl_recv_prepare_payload found (p->env stays), to prepare it with another key. */
static void clear_payload(struct rcl_recv_prepared *p)
{
    if (p->changes) {
        /* Student records hold names: do not leave them in freed memory. */
        sodium_memzero(p->changes, p->batch->n_changes * sizeof(*p->changes));
        free(p->changes);
        p->changes = NULL;
    }
    rcl_batch_destroy(&p->batch);
    p->verified = false;
    memset(p->key, 0, sizeof(p->key));
    p->batch_err[0] = p->changes_err[0] = '\0';
    p->too_long = p->changes_bad = p->out_of_memory = false;
}

int rcl_recv_prepare_payload(struct rcl_recv_prepared *p, const struct rcl_recv_ops *ops, void *arg,
                             const uint8_t key[RCL_PK_BYTES])
{
    char err[RCL_RECV_ERR_MAX];
    const struct rcl_batch *b;

    if (!p->env || rcl_envelope_verify(p->env, key, err, sizeof(err)) != 0)
        return -1;
    p->verified = true;
    memcpy(p->key, key, RCL_PK_BYTES);
    if (rcl_envelope_open_batch(p->env, &p->batch, p->batch_err, sizeof(p->batch_err)) != 0) {
        p->batch = NULL;
        if (!p->batch_err[0])
            snprintf(p->batch_err, sizeof(p->batch_err), "does not decode");
        return 0;
    }
    b = p->batch;
    /* The one place the records-per-batch limit is judged on this side. */
    if (b->n_changes > RCL_BATCH_RECORDS_MAX) {
        p->too_long = true;
        snprintf(p->changes_err, sizeof(p->changes_err),
                 "batch %" PRIu64 "..%" PRIu64 " holds %zu changes, more than %d", b->h.first_seq,
                 b->h.last_seq, b->n_changes, RCL_BATCH_RECORDS_MAX);
        return 0;
    }
    if (rcl_batch_is_probe(&b->h) || b->n_changes == 0)
        return 0;
    p->changes = calloc(b->n_changes, sizeof(*p->changes));
    if (!p->changes) {
        p->out_of_memory = true;
        return 0;
    }
    if (decode_changes(ops, arg, b, p->changes, p->changes_err, sizeof(p->changes_err)) != 0)
        p->changes_bad = true;
    return 0;
}

/* Verified against key, as prepared already or now (once more only for another key). 0/-1. */
static int verify_with(struct rcl_recv_prepared *p, const struct rcl_recv_ops *ops, void *arg,
                       const uint8_t key[RCL_PK_BYTES])
{
    if (p->verified && sodium_memcmp(p->key, key, RCL_PK_BYTES) == 0)
        return 0;
    clear_payload(p);
    return rcl_recv_prepare_payload(p, ops, arg, key);
}

void rcl_recv_prepare(struct rcl_recv_prepared *p, const struct rcl_recv_ops *ops, void *arg,
                      const uint8_t *buf, size_t len)
{
    struct rcl_recv_source src;

    if (rcl_recv_prepare_envelope(p, buf, len) != 0)
        return;
    /* Not enrolled, revoked, or unreadable: the writer judges it by its own look-up. */
    if (ops->source_get(arg, p->env->source, &src) == 1 && !src.revoked)
        verify_with(p, ops, arg, src.key);
}

void rcl_recv_prepared_clear(struct rcl_recv_prepared *p)
{
    clear_payload(p);
    rcl_envelope_destroy(&p->env);
    memset(p, 0, sizeof(*p));
}

/* ---- Replies ---- */

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

/* An ACK with what is held of the source, nothing applied. */
static void ack_held(struct rcl_reply *r, const struct rcl_recv_source *src)
{
    ack(r, src->applied_seq, src->has_digest, src->digest);
}

/* ---- Judging one message ---- */

/*
 * How a step left the message: judge on, or answered. An answer about a
 * source whose state was judged names its epoch and, with an ACK, carries
 * the receipt (KNOWN); a refusal of what it sent or a store failure before
 * or after that says nothing more (BARE).
 */
enum verdict { GO_ON, KNOWN, BARE };

struct judged {
    struct rcl_receiver *rv;
    struct rcl_recv_prepared *p;
    struct rcl_reply *reply;
    const char *zap_user_id;
    bool grouped; /* a savepoint inside the group's transaction */
    bool in_tx;
    bool applied;
    int64_t now;
    struct rcl_recv_source src;
    const struct rcl_batch_header *h; /* once the batch is open */
    uint8_t digest[RCL_DIGEST_BYTES];
};

/* The batch's own transaction, or in a group a savepoint inside its transaction. */
static int batch_begin(struct judged *j)
{
    return j->grouped ? rcl_db_exec(j->rv->db, "SAVEPOINT ingest_batch", "begin a batch")
                      : rcl_db_begin(j->rv->db);
}

static void batch_rollback(struct judged *j)
{
    if (!j->grouped) {
        rcl_db_rollback(j->rv->db);
        return;
    }
    /* SQLite may have rolled back the whole transaction (e.g. after SQLITE_FULL): the
     * group sees that and answers every batch of it BUSY. */
    if (!sqlite3_get_autocommit(j->rv->db))
        rcl_db_exec(j->rv->db, "ROLLBACK TO ingest_batch; RELEASE ingest_batch",
                    "roll back a batch");
}

/*
 * The one durable commit of applied batches (a lone one, or a group's):
 * what the crash points around it test is that an ACK follows it. 0/-1.
 */
static int durable_commit(sqlite3 *db, bool applied)
{
    if (applied)
        RCL_CRASH_POINT("ingest-before-commit");
    if (sqlite3_get_autocommit(db) || rcl_db_commit(db) != 0)
        return -1;
    if (applied)
        RCL_CRASH_POINT("ingest-after-commit");
    return 0;
}

/* Rules 1-3: who sent it, under which key, in which protocol. */
static enum verdict judge_sender(struct judged *j)
{
    const struct rcl_recv_ops *ops = j->rv->ops;
    const struct rcl_envelope *env = j->p->env;
    int found;

    /* 1. The outer layer. */
    if (!env) {
        refuse(j->reply, "%s", j->p->malformed);
        return BARE;
    }
    snprintf(j->reply->source, sizeof(j->reply->source), "%s", env->source);
    /* 2. Who sent it. The transaction starts here so the state we judge by is the state we
     * update, whatever enroll or revoke do meanwhile. */
    if (batch_begin(j) != 0) {
        busy(j->reply, j->rv->db, "starting a transaction");
        return BARE;
    }
    j->in_tx = true;
    found = ops->source_get(j->rv->arg, env->source, &j->src);
    if (found < 0) {
        busy(j->reply, j->rv->db, "looking up the source");
        return BARE;
    }
    if (found == 0 || j->src.revoked) {
        refuse(j->reply, "source %s is %s", env->source, found == 0 ? "not enrolled" : "revoked");
        return BARE;
    }
    if (!j->zap_user_id || strcmp(j->zap_user_id, env->source) != 0) {
        refuse(j->reply, "envelope source %s does not match connection key", env->source);
        return BARE;
    }
    /* 3. The signature, before anything inside the payload is looked at: taken from the
     * preparation only when it verified against the key held here now. */
    if (verify_with(j->p, ops, j->rv->arg, j->src.key) != 0) {
        refuse(j->reply, "signature of source %s does not verify against its enrolled key",
               env->source);
        return BARE;
    }
    if (!j->p->batch) {
        refuse(j->reply, "malformed batch from source %s: %s", env->source, j->p->batch_err);
        return BARE;
    }
    j->h = &j->p->batch->h;
    if (strcmp(j->h->source, env->source) != 0) {
        refuse(j->reply, "batch source %s does not match envelope source %s", j->h->source,
               env->source);
        return BARE;
    }
    /* A version this program cannot read: said once, naming both versions, on both sides. */
    if (!rcl_protocol_supported(j->h->protocol)) {
        char why[sizeof(j->reply->reason)];

        rcl_protocol_refusal(why, sizeof(why), j->h->protocol, env->source);
        refuse(j->reply, "%s", why);
        return BARE;
    }
    return GO_ON;
}

/* Rule 4: the epoch. A newer one opens with a full snapshot from seq 1. */
static enum verdict judge_epoch(struct judged *j)
{
    const struct rcl_batch_header *h = j->h;
    const char *source = j->p->env->source;

    if (h->epoch < j->src.epoch) {
        /* A late copy of a batch from before the sender's new epoch, or a sender
         * restored to an older epoch: the reply names the current epoch, which tells
         * the latter to start a newer one and changes nothing for the former. Not a
         * refusal: that would stop a sender that is already on the current epoch. */
        RCL_WARN("ingest: batch of an older epoch not applied source=%s epoch=%" PRIu64
                 " current=%" PRIu64,
                 rcl_log_value(source), h->epoch, j->src.epoch);
        ack_held(j->reply, &j->src);
        return KNOWN;
    }
    if (h->epoch == j->src.epoch)
        return GO_ON;
    if (h->first_seq != 1) {
        j->reply->status = RCL_REPLY_RESEND;
        j->reply->resend_from = 1;
        return KNOWN;
    }
    if (j->rv->ops->epoch_open(j->rv->arg, source, h->epoch) != 0) {
        busy(j->reply, j->rv->db, "opening a new epoch");
        return BARE;
    }
    RCL_WARN("ingest: source starts an epoch with a full snapshot that will replace its rows "
             "source=%s epoch=%" PRIu64 " was=%" PRIu64,
             rcl_log_value(source), h->epoch, j->src.epoch);
    j->src.epoch = h->epoch;
    j->src.applied_seq = 0;
    j->src.has_digest = false;
    j->src.snapshot_open = true;
    return GO_ON;
}

/* Rules P and 4-7: where the batch lies against what is applied. */
static enum verdict judge_position(struct judged *j)
{
    const struct rcl_batch_header *h = j->h;
    const char *source = j->p->env->source;
    uint64_t applied;
    enum verdict v;

    /* P. A probe: what we hold of the source, nothing written. */
    if (rcl_batch_is_probe(h)) {
        ack_held(j->reply, &j->src);
        j->reply->probe = true;
        j->reply->probe_id = h->probe_id;
        return KNOWN;
    }
    v = judge_epoch(j);
    if (v != GO_ON)
        return v;
    applied = j->src.applied_seq;
    if (h->first_seq == 0 || h->first_seq > h->last_seq) {
        refuse(j->reply, "batch %" PRIu64 "..%" PRIu64 " is not a valid range (seqs start at 1)",
               h->first_seq, h->last_seq);
        return BARE;
    }
    /* 5. Already have it: acknowledge again, apply nothing. */
    if (h->last_seq <= applied) {
        RCL_DEBUG("ingest: duplicate batch acknowledged again source=%s seq=%" PRIu64 "..%" PRIu64
                  " applied_seq=%" PRIu64,
                  rcl_log_value(source), h->first_seq, h->last_seq, applied);
        ack_held(j->reply, &j->src);
        return KNOWN;
    }
    /* 6. A gap. */
    if (h->first_seq > applied + 1) {
        RCL_INFO("ingest: gap: asked to resend source=%s seq=%" PRIu64 "..%" PRIu64
                 " applied_seq=%" PRIu64 " resend_from=%" PRIu64,
                 rcl_log_value(source), h->first_seq, h->last_seq, applied, applied + 1);
        j->reply->status = RCL_REPLY_RESEND;
        j->reply->resend_from = applied + 1;
        return KNOWN;
    }
    /* 7. Straddles what is applied: batches never change once sealed, so the sender
     * holds another history (restored from a backup). Its own batch digest will not
     * match this ack, and it starts a new epoch. */
    if (h->first_seq < applied + 1) {
        RCL_WARN("ingest: batch overlaps the applied range: acknowledged as is, the sender will "
                 "see it diverged source=%s seq=%" PRIu64 "..%" PRIu64 " applied_seq=%" PRIu64,
                 rcl_log_value(source), h->first_seq, h->last_seq, applied);
        ack_held(j->reply, &j->src);
        return KNOWN;
    }
    return GO_ON;
}

/* Rule 8, before applying: the chain continues, and every change is good. */
static enum verdict judge_content(struct judged *j)
{
    const struct rcl_batch_header *h = j->h;
    const struct rcl_recv_prepared *p = j->p;

    if (j->src.applied_seq > 0 &&
        (!h->has_prev || !j->src.has_digest ||
         sodium_memcmp(h->prev_digest, j->src.digest, RCL_DIGEST_BYTES) != 0)) {
        refuse(j->reply, "chain break at seq %" PRIu64, h->first_seq);
        return BARE;
    }
    if (p->too_long) {
        refuse(j->reply, "%s", p->changes_err);
        return BARE;
    }
    if (p->out_of_memory) {
        j->reply->status = RCL_REPLY_BUSY;
        snprintf(j->reply->reason, sizeof(j->reply->reason), "aggregator out of memory");
        RCL_ERROR("ingest: out of memory for the changes count=%zu", p->batch->n_changes);
        return BARE;
    }
    if (p->changes_bad) {
        refuse(j->reply, "%s", p->changes_err);
        return KNOWN;
    }
    return GO_ON;
}

/* Rule 8: the batch applied, its applied seq recorded, and the commit -- then the ACK. */
static enum verdict apply_batch(struct judged *j)
{
    const struct rcl_recv_ops *ops = j->rv->ops;
    const struct rcl_envelope *env = j->p->env;
    const struct rcl_batch_header *h = j->h;
    size_t n = j->p->batch->n_changes;
    struct rcl_recv_batch b = {.source = env->source,
                               .source_key = j->src.key,
                               .h = h,
                               .digest = j->digest,
                               .changes = j->p->changes,
                               .n_changes = n,
                               .now = j->now,
                               .snapshot_open = j->src.snapshot_open};
    const char *what = "applying changes";
    char why[RCL_RECV_ERR_MAX];
    int rc;

    rcl_digest(env->payload.data, env->payload.len, j->digest);
    rc = ops->apply(j->rv->arg, &b, why, sizeof(why), &what);
    if (rc == -2) {
        refuse(j->reply, "%s", why);
        return KNOWN;
    }
    if (rc != 0) {
        busy(j->reply, j->rv->db, what);
        return BARE;
    }
    /* Once the batch's effect is settled here (no snapshot half staged), it is in the
     * totals above as soon as everything queued so far is -- also when it queued
     * nothing (every summary skipped), so its receipt does not stall. */
    if (!b.snapshot_open && ops->settled(j->rv->arg, env->source, h->last_seq) != 0) {
        busy(j->reply, j->rv->db, "recording the receipt");
        return BARE;
    }
    j->src.snapshot_open = b.snapshot_open;
    if (ops->applied(j->rv->arg, h, j->digest, n, j->now) != 0) {
        busy(j->reply, j->rv->db, "recording the applied seq");
        return BARE;
    }
    rc = j->grouped ? rcl_db_exec(j->rv->db, "RELEASE ingest_batch", "end a batch")
                    : durable_commit(j->rv->db, true);
    if (rc != 0) {
        busy(j->reply, j->rv->db, "committing");
        return BARE;
    }
    j->in_tx = false;
    j->applied = true;
    /* Only now, with the commit durable, is the ack a promise (in a group: once the
     * group's commit is). */
    ack(j->reply, h->last_seq, true, j->digest);
    j->src.applied_seq = h->last_seq;
    j->src.last_batch_at = j->now;
    RCL_INFO("ingest: applied batch source=%s epoch=%" PRIu64 " seq=%" PRIu64 "..%" PRIu64
             " changes=%zu",
             rcl_log_value(env->source), h->epoch, h->first_seq, h->last_seq, n);
    return KNOWN;
}

/* The one way out: the batch's transaction undone unless committed, and the reply completed. */
static void finish(struct judged *j, enum verdict v, const uint8_t *buf, size_t len)
{
    const struct rcl_recv_ops *ops = j->rv->ops;

    if (v == KNOWN) /* every answer about a known source says which epoch we hold */
        j->reply->epoch = j->src.epoch;
    if (j->in_tx)
        batch_rollback(j);
    j->in_tx = false;
    /* ... and with an ACK, how far its changes are in the totals at the top of the chain. */
    if (v == KNOWN && j->reply->status == RCL_REPLY_ACK)
        ops->receipt(j->rv->arg, j->p->env->source, &j->src, j->now, j->reply);
    /* Kept aside for audit: what was refused, from whom, and why. */
    if (j->reply->status == RCL_REPLY_REFUSED)
        ops->refused(j->rv->arg, j->reply->source, j->reply->reason, buf, len, j->now);
}

/* Judges and applies one message into res; grouped: in a savepoint of the group's transaction. */
static void receive(struct rcl_receiver *rv, bool grouped, struct rcl_recv_prepared *p,
                    const uint8_t *buf, size_t len, const char *zap_user_id,
                    struct rcl_recv_result *res)
{
    struct judged j = {.rv = rv,
                       .p = p,
                       .reply = &res->reply,
                       .zap_user_id = zap_user_id,
                       .grouped = grouped,
                       .now = rv->now ? rv->now : (int64_t)time(NULL)};
    enum verdict v;

    memset(res, 0, sizeof(*res));
    v = judge_sender(&j);
    if (v == GO_ON)
        v = judge_position(&j);
    if (v == GO_ON)
        v = judge_content(&j);
    if (v == GO_ON)
        v = apply_batch(&j);
    finish(&j, v, buf, len);
    res->applied = j.applied;
    res->changes = j.applied ? p->batch->n_changes : 0;
}

/* ---- Groups ---- */

void rcl_recv_group_begin(struct rcl_recv_group *g, struct rcl_receiver *rv)
{
    memset(g, 0, sizeof(*g));
    g->rv = rv;
    /* BEGIN IMMEDIATE fails only when another process holds the store (enroll): then
     * each batch waits for it in a transaction of its own, as ever. */
    g->tx = rcl_db_begin(rv->db) == 0;
}

const struct rcl_recv_result *rcl_recv_group_add(struct rcl_recv_group *g,
                                                 struct rcl_recv_prepared *p, const uint8_t *buf,
                                                 size_t len, const char *zap_user_id)
{
    /* Past a full group (the caller commits first) the last result is reused. */
    struct rcl_recv_result *res =
        &g->results[g->n < RCL_RECV_GROUP_MAX ? g->n : RCL_RECV_GROUP_MAX - 1];

    receive(g->rv, g->tx, p, buf, len, zap_user_id, res);
    if (g->n < RCL_RECV_GROUP_MAX)
        g->n++;
    /* A store failure, or SQLite ended the transaction: the group is settled now. */
    if (g->n == RCL_RECV_GROUP_MAX ||
        (g->tx && (res->reply.status == RCL_REPLY_BUSY || sqlite3_get_autocommit(g->rv->db))))
        g->full = true;
    return res;
}

bool rcl_recv_group_open(const struct rcl_recv_group *g)
{
    return g->tx && !g->full;
}

int rcl_recv_group_commit(struct rcl_recv_group *g)
{
    int applied = 0, n = g->n;

    if (!g->tx)
        return 0;
    g->tx = false;
    for (int i = 0; i < n; i++)
        applied += g->results[i].applied;
    if (durable_commit(g->rv->db, applied > 0) == 0)
        return 0;
    RCL_ERROR("run: committing the batches failed; their senders are told to retry db=%s "
              "count=%d err=%s",
              rcl_log_value(sqlite3_db_filename(g->rv->db, "main")), applied,
              rcl_log_value(sqlite3_errmsg(g->rv->db)));
    rcl_db_rollback(g->rv->db);
    /* Nothing of the group is durable: every ACK it would have sent (applied batches, and
     * answers that may name them) becomes BUSY, and the senders send again. */
    for (int i = 0; i < n; i++) {
        struct rcl_reply *r = &g->results[i].reply;

        if (r->status != RCL_REPLY_ACK)
            continue;
        g->results[i].applied = false;
        g->results[i].changes = 0;
        r->status = RCL_REPLY_BUSY;
        snprintf(r->reason, sizeof(r->reason),
                 "aggregator store failure while committing; retry later");
    }
    return -1;
}

void rcl_recv_group_rollback(struct rcl_recv_group *g)
{
    if (g->tx)
        rcl_db_rollback(g->rv->db);
    g->tx = false;
}

bool rcl_recv_one(struct rcl_receiver *rv, struct rcl_recv_prepared *p, const uint8_t *buf,
                  size_t len, const char *zap_user_id, struct rcl_recv_result *out)
{
    receive(rv, false, p, buf, len, zap_user_id, out);
    return out->applied;
}

/*
 * rcl_receiver.h - the receiving side of the sync protocol: one sealed batch
 * in, one reply out.
 *
 * The rules, in order:
 *  1. an envelope that does not decode is REFUSED;
 *  2. its source must be enrolled, unrevoked, and the connection's ZAP
 *     User-Id;
 *  3. the signature must verify against the enrolled key before the payload
 *     is decoded, and the batch must name the same source;
 *  P. a probe (no range, no changes) is answered with what is held of the
 *     source -- applied seq and digest, epoch -- and changes nothing;
 *  4. a batch of an epoch older than the source's current one is not
 *     applied and is answered ACK with what is held, naming the current
 *     epoch (a restored sender then starts a newer one; a late copy changes
 *     nothing for a sender already on it); a newer one opens at seq 1 with a
 *     full snapshot, and a newer one not starting at 1 is answered RESEND
 *     from 1;
 *  5. a batch wholly at or below applied_seq is ACKed again, not applied;
 *  6. a gap is answered RESEND from applied_seq + 1;
 *  7. a batch overlapping the applied range is ACKed with the applied seq
 *     and digest: only a sender with another history sends one, and the
 *     digest shows it so;
 *  8. otherwise the chain must continue, every change must decode and suit
 *     the tier, and the batch is applied in one transaction with the new
 *     applied_seq; the ACK is written only after the commit.
 * Every reply about a known source carries its epoch here and, with an ACK,
 * the receipt: how far its changes are in the totals at the top of the
 * chain. A store failure (disk full, locked, I/O) rolls back and answers
 * BUSY.
 *
 * What the store holds and what the tier does with a change are the
 * caller's, behind struct rcl_recv_ops; the transaction, its crash points
 * and when an ACK becomes a promise are here (struct rcl_recv_group).
 */
#ifndef RCL_RECEIVER_H
#define RCL_RECEIVER_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcl_codec.h"
#include "rcl_envelope.h"
#include "rcl_keys.h"

#define RCL_RECV_ERR_MAX 256  /* as a reply's reason */
#define RCL_RECV_GROUP_MAX 16 /* batches applied in one transaction, at most */

/* What the store holds of a source, as the rules judge it. */
struct rcl_recv_source {
    bool revoked;
    uint8_t key[RCL_PK_BYTES]; /* the enrolled signing key */
    uint64_t epoch;
    uint64_t applied_seq;
    bool has_digest;
    uint8_t digest[RCL_DIGEST_BYTES]; /* of the batch ending at applied_seq */
    int64_t last_batch_at;
    bool snapshot_open; /* a snapshot of a new epoch is arriving */
};

/* One batch the rules let through, for the tier to apply. */
struct rcl_recv_batch {
    const char *source;
    const uint8_t *source_key; /* the key it was verified with */
    const struct rcl_batch_header *h;
    const uint8_t *digest; /* of its payload: the new applied digest */
    const struct rcl_change *changes;
    size_t n_changes;
    int64_t now;
    bool snapshot_open; /* in: the source's snapshot is arriving; out: whether it still is */
};

/*
 * The store and the tier, as the receiver uses them; arg is the caller's.
 * Each returns 0 (found: 1) or -1 on a store failure, unless said otherwise.
 */
struct rcl_recv_ops {
    /* The source's row: 1 found, 0 not enrolled, -1 store failure. */
    int (*source_get)(void *arg, const char *id, struct rcl_recv_source *out);
    /* Whether change c of the batch h suits the tier: 0, or -1 with why (a refusal). */
    int (*accepts)(void *arg, const struct rcl_batch_header *h, const struct rcl_change *c,
                   char *why, size_t whylen);
    /* A newer epoch of the source: nothing applied, its snapshot to come. */
    int (*epoch_open)(void *arg, const char *id, uint64_t epoch);
    /* Applies b's changes: 0, -1 a store failure (*what says in which step), -2 refused (why). */
    int (*apply)(void *arg, struct rcl_recv_batch *b, char *why, size_t whylen, const char **what);
    /* The batch's effect is settled (no snapshot half staged): for receipts. */
    int (*settled)(void *arg, const char *id, uint64_t seq);
    /* The new applied seq and digest, and the batch in the audit log. */
    int (*applied)(void *arg, const struct rcl_batch_header *h,
                   const uint8_t digest[RCL_DIGEST_BYTES], size_t n_changes, int64_t now);
    /* Fills reply's receipt for source id, held as s. */
    void (*receipt)(void *arg, const char *id, const struct rcl_recv_source *s, int64_t now,
                    struct rcl_reply *reply);
    /* Keeps a refused message aside for audit (best effort). */
    void (*refused)(void *arg, const char *source, const char *reason, const uint8_t *buf,
                    size_t len, int64_t now);
};

/* A receiver: the store's connection (its transactions are the receiver's), and its ops. */
struct rcl_receiver {
    sqlite3 *db;
    const struct rcl_recv_ops *ops;
    void *arg;
    int64_t now; /* unix seconds to record; 0 reads the clock */
};

/*
 * The work a received message needs before the store is judged: its
 * envelope decoded, its signature checked against a key, its batch and
 * every change decoded and checked for the tier. It depends on the bytes
 * and a key alone, so it can run on another thread ahead of the writer;
 * nothing here decides a reply.
 */
struct rcl_recv_prepared {
    /* The envelope; NULL when it is malformed (malformed says why: a refusal). */
    struct rcl_envelope *env;
    char malformed[RCL_RECV_ERR_MAX];
    /* Whether the signature verified against key (only ever set true). */
    bool verified;
    uint8_t key[RCL_PK_BYTES];
    /* Once verified: the batch, or why it does not decode (batch NULL, batch_err set). */
    struct rcl_batch *batch;
    char batch_err[RCL_RECV_ERR_MAX];
    /* More changes than RCL_BATCH_RECORDS_MAX: none are kept (changes_err says so). */
    bool too_long;
    /* Its changes (n_changes of the batch) when every one decoded and suits the tier;
     * else changes_err says which did not (not yet a refusal: a duplicate batch is
     * acknowledged whatever it holds). */
    struct rcl_change *changes;
    bool changes_bad;
    char changes_err[RCL_RECV_ERR_MAX];
    bool out_of_memory; /* the changes could not be held: the sender retries */
};

/* Decodes the envelope of buf into p (zeroed first). 0, or -1 with p->malformed set. */
int rcl_recv_prepare_envelope(struct rcl_recv_prepared *p, const uint8_t *buf, size_t len);

/*
 * With p->env decoded: checks its signature against key and, when it
 * verifies, decodes the batch and its changes (ops->accepts judges each for
 * the tier; a probe and a batch of too many changes keep none). 0 when
 * verified (whatever the payload holds), -1 when not.
 */
int rcl_recv_prepare_payload(struct rcl_recv_prepared *p, const struct rcl_recv_ops *ops, void *arg,
                             const uint8_t key[RCL_PK_BYTES]);

/*
 * The envelope, then -- with the key ops->source_get finds for its source
 * through arg (e.g. a read-only connection on another thread) -- the
 * payload. The writer verifies again only if it holds another key then.
 */
void rcl_recv_prepare(struct rcl_recv_prepared *p, const struct rcl_recv_ops *ops, void *arg,
                      const uint8_t *buf, size_t len);

/* Frees what p holds (wiping the changes: they hold names) and zeroes it. */
void rcl_recv_prepared_clear(struct rcl_recv_prepared *p);

/* What one batch got: its reply, and whether it was applied (and how many changes). */
struct rcl_recv_result {
    struct rcl_reply reply;
    bool applied;
    size_t changes;
};

/*
 * Batches applied in one transaction: one durable commit for them all, and
 * their ACKs promises only once it is made. begin opens the transaction
 * (BEGIN IMMEDIATE); when it cannot (another process holds the store), the
 * group is not grouped: each batch added gets a transaction of its own, as
 * a lone batch does. add judges and applies one message in a savepoint
 * (p stays the caller's; it may be prepared again with the key held now),
 * and returns its result -- final once the group is committed. commit
 * makes the group durable; if that fails nothing of it is, and every ACK
 * of it becomes BUSY. rollback undoes the group.
 */
struct rcl_recv_group {
    struct rcl_receiver *rv;
    bool tx;   /* the group's transaction is open */
    bool full; /* no more batches fit: commit first */
    int n;
    struct rcl_recv_result results[RCL_RECV_GROUP_MAX];
};

void rcl_recv_group_begin(struct rcl_recv_group *g, struct rcl_receiver *rv);

/*
 * Adds one message (zap_user_id: the source the connection's CURVE key is
 * enrolled for; "" or NULL fails rule 2). The result stays in g until the
 * next begin.
 */
const struct rcl_recv_result *rcl_recv_group_add(struct rcl_recv_group *g,
                                                 struct rcl_recv_prepared *p, const uint8_t *buf,
                                                 size_t len, const char *zap_user_id);

/* Whether the group takes another batch: grouped, room left, and its transaction still open. */
bool rcl_recv_group_open(const struct rcl_recv_group *g);

/* Commits the group. 0, or -1 (then every ACK of it is BUSY). */
int rcl_recv_group_commit(struct rcl_recv_group *g);

/* Undoes the group's transaction: nothing of it is held. */
void rcl_recv_group_rollback(struct rcl_recv_group *g);

/* One message alone, in its own transaction: a group of one. Returns whether it was applied. */
bool rcl_recv_one(struct rcl_receiver *rv, struct rcl_recv_prepared *p, const uint8_t *buf,
                  size_t len, const char *zap_user_id, struct rcl_recv_result *out);

#endif

/*
 * agg_ingest.h - the receiver side of the sync protocol: one sealed batch in,
 * one reply out.
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
 *     nothing for a sender already on it); a
 *     newer one opens at seq 1 with a full snapshot (agg_snapshot.h), and a
 *     newer one not starting at 1 is answered RESEND from 1;
 *  5. a batch wholly at or below applied_seq is ACKed again, not applied;
 *  6. a gap is answered RESEND from applied_seq + 1;
 *  7. a batch overlapping the applied range is ACKed with the applied seq
 *     and digest: only a sender with another history sends one, and the
 *     digest shows it so;
 *  8. otherwise the chain must continue, every change must decode and suit
 *     this tier, and the batch is applied in one transaction with the new
 *     applied_seq; the ACK is written only after the commit.
 * Every reply about a known source carries its epoch here and, with an ACK,
 * the receipt: how far its changes are in the totals at the top of the
 * chain. A store failure (disk full, locked, I/O) rolls back and answers
 * BUSY.
 */
#ifndef RCL_AGG_INGEST_H
#define RCL_AGG_INGEST_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agg_prepare.h"
#include "agg_store.h"
#include "rcl_codec.h"

struct rcl_agg_ingest_ctx {
    sqlite3 *db;                      /* the store, owned by the caller */
    const struct rcl_agg_config *cfg; /* tier, id, whether there is an upstream */
    int64_t now;                      /* unix seconds to record; 0 reads the clock */
    /* The caller holds a write transaction (BEGIN IMMEDIATE) around several batches: each
     * is a savepoint in it, and its ACK is a promise only once the caller's COMMIT
     * succeeded -- before that the caller must not send it, and if the COMMIT fails every
     * ACK of the group must go out as BUSY instead. */
    bool grouped;
    size_t applied_changes; /* out: changes in the batch last committed, for metrics */
};

/*
 * Whether child may speak for county: a county (6-digit code) only for
 * itself, a city (4-digit code) for the counties under its prefix. Children
 * named otherwise are not judged by code.
 */
bool rcl_agg_child_covers(const char *child, const char *county);

/*
 * Handles one received message. zap_user_id is the source id the ZAP
 * handler bound to the connection's CURVE key ("" or NULL: none, which
 * fails rule 2). reply is always filled in. Returns 1 when a batch was
 * committed (grouped: applied in the caller's transaction; the caller may
 * forward upstream once that commits), else 0.
 */
int rcl_agg_ingest(struct rcl_agg_ingest_ctx *ctx, const uint8_t *buf, size_t len,
                   const char *zap_user_id, struct rcl_reply *reply);

/*
 * The same for a message whose envelope, and perhaps its payload, p holds
 * already (agg_prepare.h; rcl_agg_prepare_envelope done, and maybe
 * rcl_agg_prepare_payload, e.g. on another thread). buf and len are the
 * message as received. p stays the caller's (it may be prepared again here
 * with the key the store holds); the caller clears it after.
 */
int rcl_agg_ingest_prepared(struct rcl_agg_ingest_ctx *ctx, struct rcl_agg_prepared *p,
                            const uint8_t *buf, size_t len, const char *zap_user_id,
                            struct rcl_reply *reply);

#endif

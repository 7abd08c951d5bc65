/*
 * agg_ingest.h - the receiver side of the sync protocol: one sealed batch in,
 * one reply out.
 *
 * The rules (numbered as in the protocol notes):
 *  1. an envelope that does not decode is REFUSED;
 *  2. its source must be enrolled, unrevoked, and the connection's ZAP
 *     User-Id;
 *  3. the signature must verify against the enrolled key before the payload
 *     is decoded, and the batch must name the same source;
 *  4. the epoch must be the source's current one;
 *  5. a batch wholly at or below applied_seq is ACKed again, not applied;
 *  6. a gap is answered RESEND from applied_seq + 1;
 *  7. a batch overlapping the applied range is REFUSED;
 *  8. otherwise the chain must continue, every change must decode and suit
 *     this tier, and the batch is applied in one transaction with the new
 *     applied_seq; the ACK is written only after the commit.
 * A store failure (disk full, locked, I/O) rolls back and answers BUSY.
 */
#ifndef RCL_AGG_INGEST_H
#define RCL_AGG_INGEST_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "agg_store.h"
#include "rcl_codec.h"

struct rcl_agg_ingest_ctx {
    sqlite3 *db;                      /* the store, owned by the caller */
    const struct rcl_agg_config *cfg; /* tier, id, whether there is an upstream */
    int64_t now;                      /* unix seconds to record; 0 reads the clock */
};

/*
 * Handles one received message. zap_user_id is the source id the ZAP
 * handler bound to the connection's CURVE key ("" or NULL: none, which
 * fails rule 2). reply is always filled in. Returns 1 when a batch was
 * committed (the caller may now forward upstream), else 0.
 */
int rcl_agg_ingest(struct rcl_agg_ingest_ctx *ctx, const uint8_t *buf, size_t len,
                   const char *zap_user_id, struct rcl_reply *reply);

#endif

/*
 * agg_ingest.h - the aggregator's side of the receiver (rcl_receiver.h):
 * its store and its tier (agg_tier.h) as the operations the protocol's
 * rules call, and one batch in, one reply out, for the callers that take
 * them one at a time (import-bundle, tests).
 */
#ifndef RCL_AGG_INGEST_H
#define RCL_AGG_INGEST_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agg_store.h"
#include "agg_tier.h"
#include "rcl_codec.h"
#include "rcl_receiver.h"

struct rcl_agg_ingest_ctx {
    sqlite3 *db;                      /* the store, owned by the caller */
    const struct rcl_agg_config *cfg; /* tier, id, whether there is an upstream */
    int64_t now;                      /* unix seconds to record; 0 reads the clock */
    /* Set by rcl_agg_group_begin: the batches ingested join that group, whose ACKs are
     * promises only once rcl_agg_group_commit succeeded. */
    struct rcl_recv_group *group;
    size_t applied_changes; /* out: changes in the batch last applied, for metrics */
    struct rcl_receiver rv; /* the receiver over db, set up by the calls below */
};

/* The store and the tier for the receiver; arg is a struct rcl_agg_ingest_ctx. */
extern const struct rcl_recv_ops rcl_agg_recv_ops;

/* ctx's receiver (ctx->rv), set up for ctx's store. */
struct rcl_receiver *rcl_agg_receiver(struct rcl_agg_ingest_ctx *ctx);

/*
 * Handles one received message. zap_user_id is the source id the ZAP
 * handler bound to the connection's CURVE key ("" or NULL: none, which
 * fails rule 2). reply is always filled in. Returns 1 when a batch was
 * applied (in a group: the caller may forward upstream once it commits),
 * else 0.
 */
int rcl_agg_ingest(struct rcl_agg_ingest_ctx *ctx, const uint8_t *buf, size_t len,
                   const char *zap_user_id, struct rcl_reply *reply);

/*
 * The same for a message whose envelope, and perhaps its payload, p holds
 * already (rcl_recv_prepare_envelope done, and maybe the payload, e.g. on
 * another thread). p stays the caller's; the caller clears it after.
 */
int rcl_agg_ingest_prepared(struct rcl_agg_ingest_ctx *ctx, struct rcl_recv_prepared *p,
                            const uint8_t *buf, size_t len, const char *zap_user_id,
                            struct rcl_reply *reply);

/* rcl_recv_prepare_payload for cfg's tier. */
int rcl_agg_prepare_payload(struct rcl_recv_prepared *p, const struct rcl_agg_config *cfg,
                            const uint8_t key[RCL_PK_BYTES]);

/*
 * Opens a group (rcl_recv_group_begin) that ctx's batches join until it is
 * committed or rolled back. 0 when its transaction is open, -1 when each
 * batch gets its own.
 */
int rcl_agg_group_begin(struct rcl_agg_ingest_ctx *ctx, struct rcl_recv_group *g);
int rcl_agg_group_commit(struct rcl_agg_ingest_ctx *ctx);
void rcl_agg_group_rollback(struct rcl_agg_ingest_ctx *ctx);

#endif

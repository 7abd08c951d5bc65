/*
 * agg_prepare.h - the work a received message needs before the store is
 * looked at: its envelope decoded, its signature checked against a key, its
 * batch and every change decoded and checked for this tier.
 *
 * It depends on the bytes and a key alone, so it can run on another thread
 * ahead of the writer (agg_pipeline.h). Nothing here decides a reply: the
 * writer (agg_ingest.c) still judges each message by the store's state in
 * its own transaction, in the order of agg_ingest.h's rules, taking these
 * results where they apply -- and checks the signature itself when the key
 * it holds for the source is not the one used here.
 */
#ifndef RCL_AGG_PREPARE_H
#define RCL_AGG_PREPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agg_store.h"
#include "rcl_codec.h"
#include "rcl_envelope.h"

#define RCL_AGG_PREPARE_ERR_MAX 256 /* as a reply's reason */

struct rcl_agg_prepared {
    /* The envelope; NULL when it is malformed (malformed says why: a refusal). */
    struct rcl_envelope *env;
    char malformed[RCL_AGG_PREPARE_ERR_MAX];
    /* Whether the signature verified against key (only ever set true). */
    bool verified;
    uint8_t key[RCL_PK_BYTES];
    /* Once verified: the batch, or why it does not decode (batch NULL, batch_err set). */
    struct rcl_batch *batch;
    char batch_err[RCL_AGG_PREPARE_ERR_MAX];
    /* Its changes (n_changes of the batch) when every one decoded and suits the tier;
     * else changes_err says which did not (not yet a refusal: a duplicate batch is
     * acknowledged whatever it holds). */
    struct rcl_change *changes;
    bool changes_bad;
    char changes_err[RCL_AGG_PREPARE_ERR_MAX];
    bool out_of_memory; /* the changes could not be held: the sender retries */
};

/*
 * Decodes the envelope of buf into p (zeroed first). Returns 0, or -1 with
 * p->malformed set. p must be cleared with rcl_agg_prepared_clear.
 */
int rcl_agg_prepare_envelope(struct rcl_agg_prepared *p, const uint8_t *buf, size_t len);

/*
 * With p->env decoded: checks its signature against key and, when it
 * verifies, decodes the batch and its changes for cfg's tier (a probe and
 * a batch of more than RCL_BATCH_RECORDS_MAX changes keep no changes).
 * Returns 0 when verified (whatever the payload holds), -1 when not.
 */
int rcl_agg_prepare_payload(struct rcl_agg_prepared *p, const struct rcl_agg_config *cfg,
                            const uint8_t key[RCL_PK_BYTES]);

/* Forgets what rcl_agg_prepare_payload found (p->env stays), to prepare it with another key. */
void rcl_agg_prepared_clear_payload(struct rcl_agg_prepared *p);

/* Frees what p holds (wiping the changes: they hold names) and zeroes it. */
void rcl_agg_prepared_clear(struct rcl_agg_prepared *p);

#endif

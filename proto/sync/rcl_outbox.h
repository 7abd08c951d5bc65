/*
 * rcl_outbox.h - what a node has yet to get acknowledged by its upstream.
 *
 * Every local change is appended, in the caller's transaction, with the next
 * sequence number of this source. Before sending, pending changes are sealed
 * into signed batches that are stored and never change again: a batch sent
 * twice is the same bytes, so its digest chains. Changes and batches are
 * deleted only after the upstream acknowledges them.
 *
 * Tables (created by RCL_OUTBOX_SQL, part of a store's first migration):
 *   outbox(seq, entity, body)   changes not yet acknowledged; body is an
 *                               encoded rcl_change carrying seq
 *   sealed(first_seq, last_seq, digest, envelope)
 *   uplink(...)                 one row: epoch, next_seq, sealed_through,
 *                               sealed_digest, acked_seq, acked_digest, acked_at;
 *                               the receipt (V2); a pending key rotation (V3)
 */
#ifndef RCL_OUTBOX_H
#define RCL_OUTBOX_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "rcl_codec.h"
#include "rcl_keys.h"

extern const char RCL_OUTBOX_SQL[];
/* The next migration of both stores: the receipt columns of the uplink row. */
extern const char RCL_OUTBOX_SQL_V2[];
/* The one after: a key rotation waiting for the upstream (rotation_seq, pending_pk, pending_sk). */
extern const char RCL_OUTBOX_SQL_V3[];

/*
 * Appends c with the next sequence number (written into c->seq). entity
 * names what the change is about ("student:<pseudonym hex>"): an unsealed
 * change for the same entity is replaced, since the new one carries the full
 * state. A NULL entity is never coalesced (the records of a snapshot). Must
 * run inside the caller's transaction. Returns 0, or -1 logged.
 */
int rcl_outbox_append(sqlite3 *db, const char *entity, struct rcl_change *c);

/*
 * Seals every unsealed change into batches of at most RCL_BATCH_RECORDS_MAX
 * changes and about 1 MiB, signed by (pk, sk) as source. A pending key
 * rotation ends a batch, and nothing after it is sealed until the upstream
 * acknowledges it: later batches are signed with the new key. (pk, sk) must
 * be the store's current pair (meta public_key) when it holds one. Runs its
 * own transaction. Returns the number of batches sealed, or -1 logged.
 */
int rcl_outbox_seal(sqlite3 *db, const char *source, const uint8_t pk[RCL_PK_BYTES],
                    const uint8_t sk[RCL_SK_BYTES]);

/* One sealed batch, in order. envelope is malloc'd; free with rcl_sealed_clear. */
struct rcl_sealed {
    uint64_t first_seq;
    uint64_t last_seq;
    uint8_t digest[RCL_DIGEST_BYTES];
    uint8_t *envelope;
    size_t envelope_len;
};

/* Whether a look-up found what it looked for (the values are the 1/0/-1 of before). */
enum rcl_outbox_found {
    RCL_OUTBOX_FAILED = -1, /* logged */
    RCL_OUTBOX_NONE = 0,
    RCL_OUTBOX_FOUND = 1,
};

/* Reads the first sealed batch with last_seq > after into out (FOUND), or finds none. */
enum rcl_outbox_found rcl_outbox_next_sealed(sqlite3 *db, uint64_t after, struct rcl_sealed *out);
void rcl_sealed_clear(struct rcl_sealed *s);

/* What recording an acknowledgement did. */
enum rcl_outbox_ack_result {
    RCL_OUTBOX_ACK_FAILED = -1,  /* logged; nothing changed */
    RCL_OUTBOX_ACK_RECORDED = 0, /* recorded, or old news (at or below the recorded one) */
    RCL_OUTBOX_ACK_NOT_OURS = 1, /* matches no batch this node sealed; nothing deleted */
    RCL_OUTBOX_ACK_ROTATED = 2,  /* recorded, and it completed a pending key rotation */
};

/*
 * Records the upstream's acknowledgement of everything up to acked_seq
 * (digest: the upstream's digest of the batch ending there, may be NULL):
 * deletes those changes and batches, in one transaction. An ack at or below
 * the recorded one changes nothing. ROTATED when the ack also reached a
 * pending key rotation, which completed in the same transaction (meta
 * public_key/secret_key now hold the new pair); NOT_OURS when the ack does
 * not match a batch this node sealed (beyond them, not ending one, other
 * digest: the upstream holds another history).
 */
enum rcl_outbox_ack_result rcl_outbox_ack(sqlite3 *db, uint64_t acked_seq, const uint8_t *digest);

/* The same, setting *removed (when not NULL) to the changes the committed ack deleted: fewer
 * than the sequence numbers it covers where changes were coalesced. Untouched otherwise. */
enum rcl_outbox_ack_result rcl_outbox_ack_counted(sqlite3 *db, uint64_t acked_seq,
                                                  const uint8_t *digest, uint64_t *removed);

/*
 * Appends (rcl_outbox_append with a NULL entity) every entity the node holds
 * -- a school: its profile and every student; an aggregator: every summary --
 * and sets *records to the number of students or summaries appended (a
 * profile is not counted). Returns 0, or -1 logged.
 */
typedef int (*rcl_snapshot_fn)(void *arg, sqlite3 *db, uint64_t *records);

/*
 * Starts epoch `epoch` (greater than the current one) with a full snapshot,
 * in one transaction: every pending change and sealed batch is dropped (the
 * snapshot carries their effect), sequence numbers restart at 1, snapshot
 * appends the records and a SNAPSHOT_END{records} closes them, so its seq is
 * the number of changes snapshot appended + 1. A pending key rotation is
 * appended again right after it (the upstream that lost our history lost it
 * too). Returns 0, or -1 logged (nothing changed then).
 */
int rcl_outbox_new_epoch(sqlite3 *db, uint64_t epoch, rcl_snapshot_fn snapshot, void *arg);

/*
 * Records a receipt from the upstream: changes through top_seq (of the
 * current epoch) are in top_id's totals as of top_at. An older receipt
 * changes nothing. Returns 0, or -1 logged.
 */
int rcl_outbox_receipt(sqlite3 *db, uint64_t top_seq, int64_t top_at, const char *top_id);

struct rcl_outbox_stats {
    uint64_t epoch;
    uint64_t last_seq;           /* highest sequence number given out, 0 if none */
    uint64_t sealed_through;     /* highest sequence number sealed into a batch */
    uint64_t acked_seq;          /* highest acknowledged by the upstream */
    int64_t acked_at;            /* unix seconds of that acknowledgement, 0 if never */
    uint64_t pending;            /* changes not yet acknowledged */
    uint64_t top_seq;            /* changes through here are in the top tier's totals */
    int64_t top_at;              /* as of then (unix seconds), 0 if never */
    char top_id[RCL_ID_MAX + 1]; /* the top tier's id, "" if never heard */
};

int rcl_outbox_stats(sqlite3 *db, struct rcl_outbox_stats *out);

/* Sets *n to the pending changes with a sequence number up to seq. Returns 0, or -1 logged. */
int rcl_outbox_pending_through(sqlite3 *db, uint64_t seq, uint64_t *n);

/* ---- Key rotation ---- */

/* The outbox entity of the KEY_ROTATION change. */
#define RCL_OUTBOX_ROTATION_ENTITY "key-rotation"

enum rcl_outbox_rotate_result {
    RCL_OUTBOX_ROTATE_FAILED = -1, /* logged; nothing changed */
    RCL_OUTBOX_ROTATE_BEGUN = 0,
    RCL_OUTBOX_ROTATE_PENDING = 1, /* one already waits (rcl_outbox_rotation tells which) */
};

/*
 * Starts replacing this node's identity key (old_pk, old_sk: its current
 * pair, meta public_key when the store holds one), in one transaction: makes
 * a new pair, keeps it pending in the uplink row, and appends a KEY_ROTATION
 * change {new key, proof signed by the new key (rcl_keys.h)}, which goes out
 * signed by the old key. The upstream's acknowledgement of it completes the
 * rotation (rcl_outbox_ack); the source's sequence and history go on.
 * BEGUN with the new public key in new_pk_out; PENDING when a rotation
 * already waits (nothing changed). The new secret key is never returned: it
 * stays in the store.
 */
enum rcl_outbox_rotate_result rcl_outbox_rotate_begin(sqlite3 *db, const char *source,
                                                      const uint8_t old_pk[RCL_PK_BYTES],
                                                      const uint8_t old_sk[RCL_SK_BYTES],
                                                      uint8_t new_pk_out[RCL_PK_BYTES]);

struct rcl_outbox_rotation {
    bool pending;
    uint64_t seq;                 /* the KEY_ROTATION change's sequence number */
    uint8_t new_pk[RCL_PK_BYTES]; /* the key that takes over once it is acknowledged */
};

/* Reads the pending rotation, if any (a store without V3 columns has none). 0, or -1 logged. */
int rcl_outbox_rotation(sqlite3 *db, struct rcl_outbox_rotation *out);

/*
 * Copies this node's key pair from the store into pk and sk (the caller
 * wipes sk): the current one (meta public_key/secret_key), or with pending
 * the new pair of a pending rotation -- for a sender whose upstream may have
 * applied the rotation while its acknowledgement was lost, and so admits
 * only the new key. pk and sk are written only when FOUND; NONE: no key in
 * meta, or no rotation pending.
 */
enum rcl_outbox_found rcl_outbox_keys(sqlite3 *db, bool pending, uint8_t pk[RCL_PK_BYTES],
                                      uint8_t sk[RCL_SK_BYTES]);

#endif

/*
 * rcl_outbox_rotate.h - the hooks rcl_outbox.c calls into the key rotation
 * (rcl_outbox_rotate.c); not for other callers, who use rcl_outbox.h.
 *
 * Each runs inside the caller's transaction.
 */
#ifndef RCL_OUTBOX_ROTATE_H
#define RCL_OUTBOX_ROTATE_H

#include <sqlite3.h>
#include <stdint.h>

#include "rcl_codec.h"
#include "rcl_outbox.h"

/* The seq of the pending rotation, where sealing stops; 0 when none. 0, or -1 logged. */
int rcl_outbox_rotation_stop(sqlite3 *db, uint64_t *seq);

enum rcl_outbox_rotation_step {
    RCL_OUTBOX_ROTATION_FAILED = -1,   /* logged */
    RCL_OUTBOX_ROTATION_UNTOUCHED = 0, /* none pending, or the ack does not reach it */
    RCL_OUTBOX_ROTATION_COMPLETED = 1,
};

/*
 * After an ack through acked_seq: when it reaches the pending rotation, swaps
 * meta public_key/secret_key for the pending pair and clears it (COMPLETED).
 */
enum rcl_outbox_rotation_step rcl_outbox_rotation_complete(sqlite3 *db, uint64_t acked_seq);

/*
 * Before a new epoch drops the outbox: copies the pending KEY_ROTATION change
 * into c (FOUND), or finds none pending.
 */
enum rcl_outbox_found rcl_outbox_rotation_take(sqlite3 *db, struct rcl_change *c);

/* After the new epoch's snapshot: appends c again and records its new seq. 0, or -1 logged. */
int rcl_outbox_rotation_requeue(sqlite3 *db, struct rcl_change *c);

#endif

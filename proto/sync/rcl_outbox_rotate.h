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

/* The seq of the pending rotation, where sealing stops; 0 when none. 0, or -1 logged. */
int rcl_outbox_rotation_stop(sqlite3 *db, uint64_t *seq);

/*
 * After an ack through acked_seq: when it reaches the pending rotation, swaps
 * meta public_key/secret_key for the pending pair and clears it. Returns 1
 * swapped, 0 nothing to do, -1 logged.
 */
int rcl_outbox_rotation_complete(sqlite3 *db, uint64_t acked_seq);

/*
 * Before a new epoch drops the outbox: copies the pending KEY_ROTATION change
 * into c. Returns 1 copied, 0 none pending, -1 logged.
 */
int rcl_outbox_rotation_take(sqlite3 *db, struct rcl_change *c);

/* After the new epoch's snapshot: appends c again and records its new seq. 0, or -1 logged. */
int rcl_outbox_rotation_requeue(sqlite3 *db, struct rcl_change *c);

#endif

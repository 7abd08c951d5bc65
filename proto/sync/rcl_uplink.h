/*
 * rcl_uplink.h - sending a node's sealed batches to its upstream and
 * applying the acknowledgements: used by `rollcall-school sync` and by an
 * aggregator forwarding summaries.
 *
 * Up to `window` batches are in flight at once, so a long round trip does not
 * leave the link idle. A successful zmq_send is no delivery: only an ack
 * removes anything. With no reply for reply_timeout_ms, everything in flight
 * is sent again (the receiver acknowledges duplicates without applying them).
 */
#ifndef RCL_UPLINK_H
#define RCL_UPLINK_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "rcl_keys.h"
#include "rcl_outbox.h"

struct rcl_uplink_config {
    const char *source;       /* this node's id */
    const char *endpoint;     /* upstream, e.g. tcp://127.0.0.1:7100 */
    const uint8_t *pk;        /* this node's identity key, RCL_PK_BYTES */
    const uint8_t *sk;        /* RCL_SK_BYTES; copied, wiped on destroy */
    const uint8_t *server_pk; /* the upstream's identity key */
    unsigned window;          /* batches in flight; 0 means the default (8) */
    int reply_timeout_ms;     /* 0 means the default (5000) */
    /* Writes the full snapshot that opens a new epoch, when the upstream's
     * state shows it lost or never had this node's history (rcl_outbox.h). */
    rcl_snapshot_fn snapshot;
    void *snapshot_arg;
};

struct rcl_uplink;

/* Connects (asynchronously). NULL with err on failure. db stays the caller's. */
struct rcl_uplink *rcl_uplink_new(void *zmq_ctx, sqlite3 *db, const struct rcl_uplink_config *cfg,
                                  char *err, size_t errlen);
void rcl_uplink_destroy(struct rcl_uplink **u);

/* The socket to poll for ZMQ_POLLIN; call rcl_uplink_receive when readable. */
void *rcl_uplink_socket(struct rcl_uplink *u);

/*
 * Seals new changes and sends batches while the window allows; re-sends what
 * is in flight after a time-out. Cheap to call often. Returns 0, or -1 when
 * the store failed (logged).
 */
int rcl_uplink_pump(struct rcl_uplink *u);

/* Handles every reply waiting on the socket. Returns 0, or -1 (store failure, logged). */
int rcl_uplink_receive(struct rcl_uplink *u);

/* What the caller acts on; the uplink's own states, and what moves it
 * between them, are described in rcl_uplink.c. */
enum rcl_uplink_state {
    RCL_UPLINK_IDLE,        /* nothing waits for an acknowledgement */
    RCL_UPLINK_SENDING,     /* changes (or a probe) wait for an acknowledgement */
    RCL_UPLINK_REFUSED,     /* the upstream refused a batch; see rcl_uplink_reason */
    RCL_UPLINK_AUTH_FAILED, /* the upstream refused our key at the handshake */
};

/* The state as of the last pump, receive or probe; reading it changes nothing
 * (call rcl_uplink_pump first for a current one). */
enum rcl_uplink_state rcl_uplink_state(const struct rcl_uplink *u);

/* Why the upstream refused, or "" . Owned by the uplink. */
const char *rcl_uplink_reason(struct rcl_uplink *u);

/*
 * Sends a probe now (unless one already waits for its answer): the answer
 * confirms the upstream holds this node's history, refreshes the receipt,
 * and starts a new epoch when it shows the upstream lost it. The state stays
 * SENDING until it arrives or times out. pump probes by itself when idle.
 * Returns 0, or -1 (store failure).
 */
int rcl_uplink_probe(struct rcl_uplink *u);

/* New epochs this uplink started since it was made (each with a full snapshot). */
uint64_t rcl_uplink_epochs_started(const struct rcl_uplink *u);

/* Where the uplink is, for a display of progress. */
struct rcl_uplink_progress {
    bool linked;           /* a connection to the upstream is up (its handshake done) */
    unsigned in_flight;    /* batches sent and waiting for their acknowledgement */
    uint64_t sent_through; /* the last seq sent (acknowledged or in flight) */
    uint64_t acked;        /* changes acknowledged since the uplink was made (coalesced
                            * ones not counted: a change replaced before it was sent is none) */
};

void rcl_uplink_progress(const struct rcl_uplink *u, struct rcl_uplink_progress *p);

/* Changes not yet acknowledged (sealed or not). */
uint64_t rcl_uplink_pending(struct rcl_uplink *u);

#endif

/*
 * rcl_uplink_internal.h - what the uplink's two files share (rcl_uplink.c:
 * the link, sending and the state; rcl_uplink_reply.c: what each reply does):
 * the sender's states with their transitions, the uplink itself, and the
 * steps both take.
 */
#ifndef RCL_UPLINK_INTERNAL_H
#define RCL_UPLINK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "rcl_keys.h"
#include "rcl_outbox.h"
#include "rcl_transport.h"
#include "rcl_uplink.h"

#define RCL_UPLINK_WINDOW_DEFAULT 8
#define RCL_UPLINK_TIMEOUT_DEFAULT_MS 5000
#define RCL_UPLINK_BUSY_BACKOFF_MS 1000
/* Repeated time-outs wait longer each time, up to this. */
#define RCL_UPLINK_TIMEOUT_MAX_MS 60000
/* Idle probes: quickly while a receipt is still to come, else a heartbeat. */
#define RCL_UPLINK_PROBE_RECEIPT_MS 2000
#define RCL_UPLINK_PROBE_IDLE_MS 15000
/* Between two switches of key while a rotation waits, so two refused keys do not spin. */
#define RCL_UPLINK_KEY_SWITCH_MS 5000
#define RCL_UPLINK_ENDPOINT_MAX 255
#define RCL_UPLINK_AUTH_REASON                                                                     \
    "upstream refused this node's key at the handshake (not enrolled, or revoked)"

/*
 * The sender's state: one at a time, changed by set_state alone. What is in
 * flight (flight, n_flight), the probe (probe_wanted, probe_sent_ms) and the
 * key the link uses (trying_new_key) are the data the states are about; the
 * link's condition (auth_failed, lost_link) is what the monitor last showed,
 * kept beside the state (watch_link).
 *
 *   IDLE      Nothing waits for an answer: no batch in flight, no probe
 *             wanted or out. pump seals and sends what appears, and probes
 *             now and then (a heartbeat, or a receipt still to come).
 *   SENDING   Batches are in flight, waiting for acknowledgements; a probe
 *             may be out beside them.
 *   PROBING   No batch in flight; a probe is wanted (sent once the link
 *             allows) or waits for its answer.
 *   PAUSED    The upstream answered BUSY: nothing is sent, and nothing times
 *             out, before busy_until_ms. Replies are still applied.
 *   NEW_KEY   A key rotation waits for its acknowledgement and the upstream
 *             refused the current key at the handshake: linked with the new
 *             key, probes only, until an answer completes the rotation or the
 *             new key is refused too.
 *   REFUSED   Stopped for good (reason says why): the upstream refused a
 *             batch, or the uplink cannot go on. Later replies are ignored;
 *             the caller may make a new uplink later (rcl_retry.h).
 *
 * Events (in pump, receive and probe, and the link's events as watch_link
 * reads them), and where they lead:
 *
 *   a batch sent                           IDLE, PROBING -> SENDING
 *   a probe asked for or sent              IDLE -> PROBING (SENDING stays)
 *   the last batch in flight acknowledged, SENDING -> PROBING (a probe out) or
 *     or rewound (no reply in time, a       IDLE
 *     RESEND, the link back after a loss,
 *     a reconnect with another key)
 *   the probe answered, or no answer       PROBING -> IDLE
 *     in time
 *   a new epoch started (full snapshot,    IDLE, SENDING, PROBING -> IDLE
 *     one transaction)
 *   BUSY                                   any but REFUSED -> PAUSED
 *   the pause over (what was in flight     PAUSED -> NEW_KEY (trying_new_key),
 *     rewound)                               PROBING or IDLE
 *   our key refused at the handshake       IDLE, SENDING, PROBING -> NEW_KEY
 *     while a sealed rotation waits
 *   the new key refused too                NEW_KEY -> IDLE
 *   an ack through the rotation            NEW_KEY -> IDLE or PROBING
 *     (reconnected with the new key)
 *   REFUSED; an epoch to start without a   any -> REFUSED
 *     snapshot, or on the new key; cannot
 *     reconnect
 *
 * While PAUSED, the same events change the key, the flight and the probe, and
 * the state stays PAUSED until the pause is over. rcl_uplink_state gives the
 * caller a coarser view: REFUSED; AUTH_FAILED while the link's key is
 * refused; IDLE when nothing waits for an answer and the outbox was empty at
 * the end of the last pump; SENDING otherwise.
 */
enum sender_state {
    SENDER_IDLE,
    SENDER_SENDING,
    SENDER_PROBING,
    SENDER_PAUSED,
    SENDER_NEW_KEY,
    SENDER_REFUSED,
};

struct in_flight {
    uint64_t first_seq;
    uint64_t last_seq;
    int64_t sent_ms;
};

struct rcl_uplink {
    sqlite3 *db;
    void *ctx;
    void *socket;
    struct rcl_monitor *monitor;
    char source[RCL_ID_MAX + 1];
    char endpoint[RCL_UPLINK_ENDPOINT_MAX + 1];
    uint8_t server_pk[RCL_PK_BYTES];
    uint8_t pk[RCL_PK_BYTES];
    uint8_t sk[RCL_SK_BYTES];
    enum sender_state state;
    bool trying_new_key;     /* linked with a pending rotation's new key: probes only */
    int64_t key_switched_ms; /* the last switch between the current and the new key */
    unsigned window;
    int timeout_ms;     /* the configured reply time-out */
    int cur_timeout_ms; /* grows with repeated time-outs, back to timeout_ms on a reply */
    rcl_snapshot_fn snapshot;
    void *snapshot_arg;

    struct in_flight *flight; /* window entries, the first n_flight in use, in seq order */
    unsigned n_flight;
    uint64_t send_after;

    int64_t busy_until_ms; /* PAUSED: when the pause is over */
    bool probe_wanted;     /* rcl_uplink_probe asked for one, not sent yet */
    int64_t probe_sent_ms; /* 0: no probe waits for its answer */
    uint64_t probe_id;     /* the probe waiting for its answer */
    uint64_t probe_epoch;  /* our epoch and acked seq when it left */
    uint64_t probe_acked;
    int64_t quiet_since_ms; /* last send or reply: when the next idle probe is due from */
    uint64_t epochs_started;
    bool outbox_empty; /* no change pending, as of the end of the last pump */
    bool auth_failed;
    bool warned_handshake;
    bool lost_link;         /* disconnected since the batches in flight were sent */
    bool linked;            /* a connection is up (handshake done) */
    uint64_t rewound_from;  /* the last RESEND acted on, 0: none since progress */
    uint64_t acked_changes; /* changes the acknowledgements removed from the outbox */
    char reason[512];       /* room for a refusal quoted inside our own words */
};

/* The one way the state changes (asserting, in debug builds, that the move is legal). */
void uplink_set_state(struct rcl_uplink *u, enum sender_state to);
/* Back to the state nothing more pressing holds it in (IDLE, SENDING, NEW_KEY, ...). */
void uplink_settle(struct rcl_uplink *u);
/* REFUSED, for good, with reason kept for rcl_uplink_reason. */
void uplink_refuse(struct rcl_uplink *u, const char *reason);
/* A new epoch with a full snapshot (rcl_outbox_new_epoch), logged with why. 0, or -1. */
int uplink_start_epoch(struct rcl_uplink *u, uint64_t upstream_epoch, const char *why);
/* The ack that completes a key rotation: take the new pair and reconnect. 0, or -1. */
int uplink_complete_rotation(struct rcl_uplink *u);
/* Reads the link's events: connected, disconnected, the handshake refused. */
void uplink_watch_link(struct rcl_uplink *u);

#endif

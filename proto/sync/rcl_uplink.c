/*
 * rcl_uplink.c - the sender side of the sync protocol: keeps up to `window`
 * sealed batches in flight toward the upstream and turns its replies into
 * deletions (ACK), rewinds (RESEND), a stop (REFUSED) or a pause (BUSY).
 *
 * In-flight batches are always a contiguous run of sealed batches, sent in
 * order; `send_after` names where the next one starts (the next batch to send
 * is the first sealed one with last_seq > send_after). Anything that makes the
 * in-flight batches doubtful (time-out, BUSY, reconnect) just rewinds
 * send_after to before the first of them: they are read again from the store
 * and sent again, and the receiver acknowledges duplicates without applying
 * them.
 *
 * Replies also tell whether the upstream still holds this node's history.
 * When it does not -- it was restored from an older backup and lost what it
 * had acknowledged, or this node was restored and reuses sequence numbers
 * with other content -- the uplink starts a new epoch with a full snapshot
 * (rcl_outbox_new_epoch), which the upstream applies in place of what it held.
 * When idle, a probe now and then checks that, refreshes the receipt, and
 * serves as a heartbeat.
 *
 * Replies can arrive late, twice or out of order, so only evidence that no
 * old reply can fake starts an epoch: an acknowledgement of a batch this
 * node never sealed, an epoch of ours newer than our own, or the answer to a
 * probe (recognised by its id) showing less than was acknowledged before the
 * probe left -- the upstream processed the probe after sending that
 * acknowledgement, so it has lost data. A reply that only looks stale (a
 * "resend from" below what is acknowledged, an older epoch) asks a probe.
 *
 * Key rotation (rcl_outbox.h): the ack that completes one swaps the key in
 * the store; the uplink then takes the new pair from there and reconnects,
 * since the upstream admits only the new CURVE key from then on. Should that
 * ack be lost (a crash, a bundle carried by hand), the upstream refuses the
 * old key at the handshake: the uplink then puts the new key on trial, with
 * probes only, and the answer (an ack through the rotation) completes it.
 */
#include "rcl_uplink.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "rcl_codec.h"
#include "rcl_crash.h"
#include "rcl_envelope.h"
#include "rcl_log.h"
#include "rcl_outbox.h"
#include "rcl_platform.h"
#include "rcl_transport.h"

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

/* What an event found in a reply leaves for the rest of receive to do. */
enum reply_verdict {
    REPLY_GO_ON,        /* handle it by its status */
    REPLY_HANDLED,      /* nothing more to do with it */
    REPLY_STORE_FAILED, /* logged */
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

#ifndef NDEBUG
/* Whether the state machine above has an event that moves from into to. */
static bool legal_transition(enum sender_state from, enum sender_state to)
{
    switch (from) {
    case SENDER_IDLE:
    case SENDER_SENDING:
    case SENDER_PROBING:
        return true;
    case SENDER_PAUSED:
    case SENDER_NEW_KEY:
        /* Their way out rewinds the flight, or never had one: no batch in flight yet. */
        return to != SENDER_SENDING;
    case SENDER_REFUSED:
        return to == SENDER_REFUSED;
    }
    return false;
}
#endif

/* The one place the state changes; a debug build checks the move is one of those above. */
static void set_state(struct rcl_uplink *u, enum sender_state to)
{
    assert(to == u->state || legal_transition(u->state, to));
    u->state = to;
}

/* The state the data shows once no pause or refusal holds the sender. */
static enum sender_state resting_state(const struct rcl_uplink *u)
{
    if (u->trying_new_key)
        return SENDER_NEW_KEY;
    if (u->n_flight > 0)
        return SENDER_SENDING;
    if (u->probe_wanted || u->probe_sent_ms != 0)
        return SENDER_PROBING;
    return SENDER_IDLE;
}

/* After an event changed the flight, the probe or the key: the state follows,
 * unless a pause or a refusal holds it (they end by their own events). */
static void settle(struct rcl_uplink *u)
{
    if (u->state != SENDER_PAUSED && u->state != SENDER_REFUSED)
        set_state(u, resting_state(u));
}

/* Forgets what is in flight so that pump sends it again, from the store. */
static void rewind_flight(struct rcl_uplink *u)
{
    if (u->n_flight > 0)
        u->send_after = u->flight[0].first_seq - 1;
    u->n_flight = 0;
    u->rewound_from = 0;
}

static void refuse(struct rcl_uplink *u, const char *reason)
{
    set_state(u, SENDER_REFUSED);
    snprintf(u->reason, sizeof u->reason, "%s", reason);
    u->n_flight = 0;
    RCL_ERROR("uplink: stopped sending reason=%s", rcl_log_value(u->reason));
}

/* The next reply time-out: doubled per time-out in a row, with +-25% jitter so
 * that many schools cut off together do not all come back at once. */
static void back_off(struct rcl_uplink *u)
{
    int64_t t = (int64_t)u->cur_timeout_ms * 2;

    if (t > RCL_UPLINK_TIMEOUT_MAX_MS)
        t = RCL_UPLINK_TIMEOUT_MAX_MS;
    t = t * 3 / 4 + (int64_t)randombytes_uniform((uint32_t)(t / 2 + 1));
    u->cur_timeout_ms = (int)t;
}

/*
 * The upstream does not hold this node's history (why says how we know):
 * starts a new epoch, after both its own and the upstream's, with a full
 * snapshot. Returns 0, or -1 (store failure, logged).
 */
static int start_epoch(struct rcl_uplink *u, uint64_t upstream_epoch, const char *why)
{
    struct rcl_outbox_stats st;
    uint64_t epoch;

    if (rcl_outbox_stats(u->db, &st) != 0)
        return -1;
    if (u->trying_new_key) {
        refuse(u, "upstream admitted the new key of a pending rotation but holds another history");
        return 0;
    }
    epoch = (upstream_epoch > st.epoch ? upstream_epoch : st.epoch) + 1;
    RCL_WARN("uplink: starting an epoch with a full snapshot epoch=%" PRIu64 " reason=%s", epoch,
             rcl_log_value(why));
    if (u->snapshot == NULL) {
        char reason[sizeof u->reason];

        snprintf(reason, sizeof reason, "%s, and this node cannot send a snapshot", why);
        refuse(u, reason);
        return 0;
    }
    if (rcl_outbox_new_epoch(u->db, epoch, u->snapshot, u->snapshot_arg) != 0)
        return -1;
    u->n_flight = 0;
    u->send_after = 0;
    u->rewound_from = 0;
    u->probe_sent_ms = 0;
    u->probe_wanted = false;
    u->epochs_started++;
    settle(u);
    return 0;
}

/* A new connection with u->sk, after the key changed; the old one goes with what it
 * queued, and what was in flight is sent again. 0, or -1 logged (the old one stays). */
static int reconnect(struct rcl_uplink *u)
{
    char err[256];
    struct rcl_monitor *monitor;
    void *socket = rcl_transport_client_new(u->ctx, u->endpoint, u->sk, u->server_pk, &monitor, err,
                                            sizeof err);

    if (socket == NULL) {
        RCL_ERROR("uplink: cannot reconnect with another key err=%s", rcl_log_value(err));
        return -1;
    }
    /* The monitor watches the socket: stop it first. */
    rcl_monitor_destroy(&u->monitor);
    zmq_close(u->socket);
    u->socket = socket;
    u->monitor = monitor;
    rewind_flight(u);
    u->probe_sent_ms = 0;
    u->lost_link = false;
    u->linked = false; /* the new connection's handshake is still to come */
    u->auth_failed = false;
    u->warned_handshake = false;
    settle(u);
    return 0;
}

/*
 * The upstream acknowledged our key rotation and from now on admits only the
 * new key: takes the pair from the store (rcl_outbox_ack swapped it) and
 * reconnects with it. Returns 0, or -1 (store failure).
 */
static int complete_rotation(struct rcl_uplink *u)
{
    enum rcl_outbox_found loaded = rcl_outbox_keys(u->db, false, u->pk, u->sk);

    if (loaded == RCL_OUTBOX_FAILED)
        return -1;
    u->trying_new_key = false;
    if (loaded == RCL_OUTBOX_NONE || reconnect(u) != 0) {
        refuse(u, "the key rotation completed, but the uplink cannot reconnect with the new key "
                  "(see the log); the next start uses it");
        return 0;
    }
    RCL_INFO("uplink: key rotation acknowledged; reconnecting with the new key endpoint=%s",
             rcl_log_value(u->endpoint));
    return 0;
}

/*
 * The upstream refused this node's key at the handshake. With a rotation
 * that was sealed (so maybe sent) and not acknowledged, the upstream may
 * have applied it while its acknowledgement got lost, and then admits only
 * the new key: reconnects with the other key of the two, at most every
 * RCL_UPLINK_KEY_SWITCH_MS. Returns true when it switched, false for a plain
 * refusal.
 */
static bool switch_key(struct rcl_uplink *u)
{
    struct rcl_outbox_rotation rot;
    struct rcl_outbox_stats st;
    int64_t now = rcl_mono_ms();

    if (u->key_switched_ms != 0 && now - u->key_switched_ms < RCL_UPLINK_KEY_SWITCH_MS)
        return false;
    if (rcl_outbox_rotation(u->db, &rot) != 0 || !rot.pending ||
        rcl_outbox_stats(u->db, &st) != 0 || st.sealed_through < rot.seq)
        return false;
    if (rcl_outbox_keys(u->db, !u->trying_new_key, u->pk, u->sk) != RCL_OUTBOX_FOUND)
        return false;
    u->trying_new_key = !u->trying_new_key;
    u->key_switched_ms = now;
    if (u->trying_new_key)
        RCL_WARN("uplink: upstream refused this node's key while its key rotation waits for an "
                 "acknowledgement: trying the new key, in case the upstream applied it and the "
                 "acknowledgement was lost seq=%" PRIu64,
                 rot.seq);
    else
        RCL_WARN("uplink: upstream refused the new key too: back to the current one");
    if (reconnect(u) != 0)
        refuse(u, "cannot reconnect with another key (see the log)");
    u->probe_wanted = u->trying_new_key; /* its answer completes the rotation (on_ack) */
    settle(u);
    return true;
}

/* Applies the connection events seen since the last look. */
static void watch_link(struct rcl_uplink *u)
{
    int ev = rcl_monitor_events(u->monitor);

    if ((ev & RCL_MON_AUTH_FAILED) && switch_key(u))
        ev = 0; /* a new connection, with the other key: the old one's events are moot */
    if (ev & RCL_MON_DISCONNECTED) {
        u->lost_link = true;
        u->linked = false;
    }
    if (ev & RCL_MON_AUTH_FAILED) {
        if (!u->auth_failed)
            RCL_ERROR("uplink: " RCL_UPLINK_AUTH_REASON);
        u->auth_failed = true;
        /* A refused handshake drops the link: whatever we queued is gone. */
        u->lost_link = true;
        u->linked = false;
    }
    if ((ev & RCL_MON_HANDSHAKE_FAILED) && !u->warned_handshake) {
        /* Once: libzmq retries every few seconds and each try fails alike. */
        RCL_WARN("uplink: handshake with the upstream failed (wrong upstream key?)");
        u->warned_handshake = true;
    }
    if (ev & RCL_MON_CONNECTED) {
        if (u->auth_failed)
            RCL_INFO("uplink: upstream now accepts this node's key");
        else
            RCL_INFO("uplink: connected to the upstream");
        u->auth_failed = false;
        u->warned_handshake = false;
        /* Messages queued toward the old connection were dropped with it. */
        if (u->lost_link)
            rewind_flight(u);
        u->lost_link = false;
        u->linked = true;
    }
    if (u->state != SENDER_REFUSED)
        snprintf(u->reason, sizeof u->reason, "%s", u->auth_failed ? RCL_UPLINK_AUTH_REASON : "");
    settle(u);
}

/* Connects (asynchronously). NULL with err on failure. db stays the caller's. */
struct rcl_uplink *rcl_uplink_new(void *zmq_ctx, sqlite3 *db, const struct rcl_uplink_config *cfg,
                                  char *err, size_t errlen)
{
    struct rcl_uplink *u = NULL;
    struct rcl_outbox_stats st;

    if (cfg->source == NULL || strlen(cfg->source) > RCL_ID_MAX) {
        snprintf(err, errlen, "uplink: source id is missing or longer than %d characters",
                 RCL_ID_MAX);
        goto fail;
    }
    u = calloc(1, sizeof *u);
    if (u == NULL) {
        snprintf(err, errlen, "uplink: out of memory");
        goto fail;
    }
    if (cfg->endpoint == NULL || strlen(cfg->endpoint) > RCL_UPLINK_ENDPOINT_MAX) {
        snprintf(err, errlen, "uplink: upstream endpoint missing or over %d characters",
                 RCL_UPLINK_ENDPOINT_MAX);
        goto fail;
    }
    u->db = db;
    u->ctx = zmq_ctx;
    strcpy(u->source, cfg->source);
    strcpy(u->endpoint, cfg->endpoint);
    memcpy(u->server_pk, cfg->server_pk, RCL_PK_BYTES);
    memcpy(u->pk, cfg->pk, RCL_PK_BYTES);
    memcpy(u->sk, cfg->sk, RCL_SK_BYTES);
    /* The store's pair wins over the caller's copy: a rotation may have
     * completed since the caller loaded it (an earlier uplink of this process). */
    if (rcl_outbox_keys(db, false, u->pk, u->sk) < 0) {
        snprintf(err, errlen, "uplink: cannot read this node's key from the store");
        goto fail;
    }
    u->window = cfg->window > 0 ? cfg->window : RCL_UPLINK_WINDOW_DEFAULT;
    u->timeout_ms =
        cfg->reply_timeout_ms > 0 ? cfg->reply_timeout_ms : RCL_UPLINK_TIMEOUT_DEFAULT_MS;
    u->cur_timeout_ms = u->timeout_ms;
    u->snapshot = cfg->snapshot;
    u->snapshot_arg = cfg->snapshot_arg;
    u->quiet_since_ms = rcl_mono_ms();
    u->flight = calloc(u->window, sizeof *u->flight);
    if (u->flight == NULL) {
        snprintf(err, errlen, "uplink: out of memory");
        goto fail;
    }
    if (rcl_outbox_stats(db, &st) != 0) {
        snprintf(err, errlen, "uplink: cannot read the outbox");
        goto fail;
    }
    u->send_after = st.acked_seq;
    u->outbox_empty = st.pending == 0;

    /* The monitor is there before the connect: a refusal on a fast link is not missed. */
    u->socket = rcl_transport_client_new(zmq_ctx, u->endpoint, u->sk, u->server_pk, &u->monitor,
                                         err, errlen);
    if (u->socket == NULL)
        goto fail;
    RCL_INFO("uplink: started source=%s upstream=%s window=%u pending=%" PRIu64, u->source,
             rcl_log_value(cfg->endpoint), u->window, st.pending);
    return u;

fail:
    rcl_uplink_destroy(&u);
    return NULL;
}

void rcl_uplink_destroy(struct rcl_uplink **up)
{
    struct rcl_uplink *u = up != NULL ? *up : NULL;

    if (u == NULL)
        return;
    /* The monitor watches the socket: stop it first. */
    rcl_monitor_destroy(&u->monitor);
    if (u->socket != NULL)
        zmq_close(u->socket);
    sodium_memzero(u->sk, sizeof u->sk);
    free(u->flight);
    free(u);
    *up = NULL;
}

void *rcl_uplink_socket(struct rcl_uplink *u)
{
    return u->socket;
}

/* True when a send can be queued now: a connection is up (ZMQ_IMMEDIATE) and
 * has room. Saves reading a batch from the store only to fail to send it. */
static bool writable(struct rcl_uplink *u)
{
    int events = 0;
    size_t len = sizeof events;

    if (zmq_getsockopt(u->socket, ZMQ_EVENTS, &events, &len) != 0)
        return false;
    return (events & ZMQ_POLLOUT) != 0;
}

/* Sends a probe now if the link allows. Returns 0, or -1 (store failure). */
static int send_probe(struct rcl_uplink *u)
{
    struct rcl_outbox_stats st;
    struct rcl_batch_header h;
    uint8_t *payload = NULL, *env = NULL;
    size_t payload_len = 0, env_len = 0;
    int rc = 0;

    if (!writable(u))
        return 0;
    if (rcl_outbox_stats(u->db, &st) != 0)
        return -1;
    memset(&h, 0, sizeof h);
    strcpy(h.source, u->source);
    h.epoch = st.epoch;
    h.sent_at = (int64_t)time(NULL);
    randombytes_buf(&h.probe_id, sizeof h.probe_id);
    if (rcl_batch_encode(&h, NULL, 0, &payload, &payload_len) != 0 ||
        rcl_envelope_seal(u->source, payload, payload_len, u->pk, u->sk, &env, &env_len) != 0) {
        RCL_WARN("uplink: cannot build a probe: out of memory");
        goto out;
    }
    if (rcl_transport_send(u->socket, NULL, 0, env, env_len) != 0) {
        if (errno != EAGAIN)
            RCL_WARN("uplink: cannot send a probe err=%s", rcl_log_value(zmq_strerror(errno)));
        goto out;
    }
    RCL_DEBUG("uplink: probe sent epoch=%" PRIu64 " acked=%" PRIu64, st.epoch, st.acked_seq);
    u->probe_wanted = false;
    u->probe_id = h.probe_id;
    u->probe_epoch = st.epoch;
    u->probe_acked = st.acked_seq;
    u->probe_sent_ms = rcl_mono_ms();
    u->quiet_since_ms = u->probe_sent_ms;
out:
    free(payload);
    free(env);
    return rc;
}

int rcl_uplink_probe(struct rcl_uplink *u)
{
    int rc;

    watch_link(u);
    if (u->state == SENDER_REFUSED || u->probe_sent_ms != 0)
        return 0;
    /* Sent as soon as the link is up (now, or from pump). */
    u->probe_wanted = true;
    rc = send_probe(u);
    settle(u);
    return rc;
}

/* An idle link probes now and then: often while a receipt is still to come. */
static int idle_probe(struct rcl_uplink *u, int64_t now)
{
    struct rcl_outbox_stats st;
    int64_t every;

    if (u->n_flight > 0 || u->probe_sent_ms != 0)
        return 0;
    if (u->probe_wanted)
        return send_probe(u);
    if (rcl_outbox_stats(u->db, &st) != 0)
        return -1;
    every = st.acked_seq > 0 && st.top_seq < st.acked_seq ? RCL_UPLINK_PROBE_RECEIPT_MS
                                                          : RCL_UPLINK_PROBE_IDLE_MS;
    if (st.pending > 0 || now - u->quiet_since_ms < every)
        return 0;
    return send_probe(u);
}

/* rcl_uplink_pump but for what it records for rcl_uplink_state at its end. */
static int pump_once(struct rcl_uplink *u)
{
    int64_t now = rcl_mono_ms();
    int sealed;

    watch_link(u);
    if (u->state == SENDER_REFUSED)
        return 0;
    if (u->state == SENDER_PAUSED) {
        if (now < u->busy_until_ms)
            return 0;
        rewind_flight(u);
        set_state(u, resting_state(u));
    }
    /* Seal only with a link to send on: until then, edits of the same student
     * keep replacing each other in the outbox, so a school offline for weeks
     * sends each student once. */
    sealed = writable(u) ? rcl_outbox_seal(u->db, u->source, u->pk, u->sk) : 0;
    if (sealed < 0)
        return -1;
    if (u->n_flight > 0 && now - u->flight[0].sent_ms >= u->cur_timeout_ms) {
        RCL_INFO("uplink: no reply; sending the batches again timeout_ms=%d count=%u from=%" PRIu64,
                 u->cur_timeout_ms, u->n_flight, u->flight[0].first_seq);
        rewind_flight(u);
        back_off(u);
    }
    if (u->probe_sent_ms != 0 && now - u->probe_sent_ms >= u->cur_timeout_ms) {
        RCL_INFO("uplink: no answer to a probe timeout_ms=%d", u->cur_timeout_ms);
        u->probe_sent_ms = 0;
        back_off(u);
    }
    if (u->state == SENDER_NEW_KEY) {
        /* Probes only, now and then: every sealed batch bears the old key. */
        if (u->probe_sent_ms == 0 && now - u->quiet_since_ms >= RCL_UPLINK_PROBE_RECEIPT_MS)
            u->probe_wanted = true;
        return idle_probe(u, rcl_mono_ms());
    }

    while (u->n_flight < u->window && writable(u)) {
        struct rcl_sealed s;
        enum rcl_outbox_found r = rcl_outbox_next_sealed(u->db, u->send_after, &s);

        if (r == RCL_OUTBOX_FAILED)
            return -1;
        if (r == RCL_OUTBOX_NONE)
            break;
        if (rcl_transport_send(u->socket, NULL, 0, s.envelope, s.envelope_len) != 0) {
            /* EAGAIN: no connection yet (ZMQ_IMMEDIATE) or the queue is full; the
             * batch is not in flight and goes out on a later pump. */
            if (errno != EAGAIN)
                RCL_WARN("uplink: cannot send a batch seq=%" PRIu64 "..%" PRIu64 " err=%s",
                         s.first_seq, s.last_seq, rcl_log_value(zmq_strerror(errno)));
            rcl_sealed_clear(&s);
            break;
        }
        RCL_DEBUG("uplink: sent batch seq=%" PRIu64 "..%" PRIu64 " bytes=%zu", s.first_seq,
                  s.last_seq, s.envelope_len);
        u->flight[u->n_flight].first_seq = s.first_seq;
        u->flight[u->n_flight].last_seq = s.last_seq;
        u->flight[u->n_flight].sent_ms = rcl_mono_ms(); /* sealing may have taken a while */
        u->n_flight++;
        u->send_after = s.last_seq;
        u->quiet_since_ms = rcl_mono_ms();
        rcl_sealed_clear(&s);
        set_state(u, SENDER_SENDING);
        RCL_CRASH_POINT("uplink-after-send");
    }
    return idle_probe(u, rcl_mono_ms());
}

/*
 * Seals new changes and sends batches while the window allows; rewinds and
 * re-sends after a time-out or a BUSY pause; probes when idle. Then takes the
 * link's latest events and, when nothing else waits for an answer, whether
 * the outbox is empty: what rcl_uplink_state shows until the next pump.
 * Returns 0, or -1 (store failure).
 */
int rcl_uplink_pump(struct rcl_uplink *u)
{
    struct rcl_outbox_stats st;
    int rc = pump_once(u);

    watch_link(u);
    settle(u);
    /* On a store failure, assume changes wait. */
    if (u->state != SENDER_REFUSED && u->n_flight == 0 && u->probe_sent_ms == 0 && !u->probe_wanted)
        u->outbox_empty = rcl_outbox_stats(u->db, &st) == 0 && st.pending == 0;
    return rc;
}

/* True when r answers the probe we are waiting for (not an old or duplicated answer). */
static bool answers_our_probe(const struct rcl_uplink *u, const struct rcl_reply *r)
{
    return r->probe && r->probe_id != 0 && r->probe_id == u->probe_id;
}

/* ACK(n): everything up to n is durable upstream. Returns 0, or -1 (store). */
static int on_ack(struct rcl_uplink *u, const struct rcl_reply *r,
                  const struct rcl_outbox_stats *st)
{
    unsigned done = 0;
    char why[256];

    if (r->probe && r->acked_seq < st->acked_seq) {
        if (!answers_our_probe(u, r) || r->acked_seq >= u->probe_acked)
            return 0; /* an old answer, or one about a state before our last acks */
        snprintf(why, sizeof why,
                 "upstream holds this node's changes through seq %" PRIu64
                 " only, after acknowledging %" PRIu64 " (restored from an older backup?)",
                 r->acked_seq, u->probe_acked);
        return start_epoch(u, r->epoch, why);
    }
    if (r->acked_seq > st->acked_seq) {
        enum rcl_outbox_ack_result acked;
        uint64_t changes = 0;

        /* Counted before the ack deletes them: sequence numbers have gaps where changes were
         * coalesced. */
        if (rcl_outbox_pending_through(u->db, r->acked_seq, &changes) != 0)
            return -1;
        RCL_CRASH_POINT("ack-before-record");
        acked = rcl_outbox_ack(u->db, r->acked_seq, r->has_digest ? r->acked_digest : NULL);

        if (acked == RCL_OUTBOX_ACK_FAILED)
            return -1;
        if (acked != RCL_OUTBOX_ACK_NOT_OURS)
            u->acked_changes += changes;
        if (acked == RCL_OUTBOX_ACK_NOT_OURS) {
            snprintf(why, sizeof why,
                     "upstream acknowledged seq %" PRIu64 " with a batch this node did not seal"
                     " (this store restored from an older backup?)",
                     r->acked_seq);
            return start_epoch(u, r->epoch, why);
        }
        RCL_INFO("uplink: acknowledged through seq=%" PRIu64 " last=%" PRIu64, r->acked_seq,
                 st->last_seq);
        RCL_CRASH_POINT("ack-after-record");
        if (acked == RCL_OUTBOX_ACK_ROTATED && complete_rotation(u) != 0)
            return -1;
    }
    while (done < u->n_flight && u->flight[done].last_seq <= r->acked_seq)
        done++;
    if (done > 0) {
        memmove(u->flight, u->flight + done, (u->n_flight - done) * sizeof *u->flight);
        u->n_flight -= done;
    }
    if (u->send_after < r->acked_seq)
        u->send_after = r->acked_seq;
    if (r->acked_seq >= u->rewound_from)
        u->rewound_from = 0; /* past the gap: a new RESEND is news */
    if (r->top_id[0] != '\0' && r->top_seq <= r->acked_seq &&
        rcl_outbox_receipt(u->db, r->top_seq, r->top_at, r->top_id) != 0)
        return -1;
    return 0;
}

/* RESEND(from): the upstream has everything before from and nothing after. */
static int on_resend(struct rcl_uplink *u, const struct rcl_reply *r,
                     const struct rcl_outbox_stats *st)
{
    char why[256];

    if (r->resend_from == 0 || r->resend_from - 1 < st->acked_seq) {
        /* Most likely an old reply overtaken by a later ack; a probe tells. */
        RCL_DEBUG("uplink: resend from below the acknowledged seq: asking a probe from=%" PRIu64
                  " acked=%" PRIu64,
                  r->resend_from, st->acked_seq);
        return rcl_uplink_probe(u);
    }
    if (r->resend_from > st->sealed_through) {
        snprintf(why, sizeof why,
                 "upstream asks to resend from seq %" PRIu64 " but this node sealed only %" PRIu64
                 " (this store restored from an older backup?)",
                 r->resend_from, st->sealed_through);
        return start_epoch(u, r->epoch, why);
    }
    /* Every batch sent after a gap draws its own RESEND: once we started
     * again from there, the later ones only repeat it. (Should the restart be
     * lost too, the reply time-out sends it again.) */
    if (u->rewound_from == r->resend_from && u->n_flight > 0 &&
        u->flight[0].first_seq == r->resend_from) {
        RCL_DEBUG("uplink: resend already under way from=%" PRIu64, r->resend_from);
        return 0;
    }
    RCL_INFO("uplink: upstream asks to resend from=%" PRIu64, r->resend_from);
    u->n_flight = 0;
    u->send_after = r->resend_from - 1;
    u->rewound_from = r->resend_from;
    return 0;
}

/* HANDLED after rc, a step that returns 0 or -1 (store failure). */
static enum reply_verdict handled_unless_failed(int rc)
{
    return rc == 0 ? REPLY_HANDLED : REPLY_STORE_FAILED;
}

/*
 * Judges the epoch a reply names against ours: HANDLED when a new epoch
 * started or the reply is about an epoch we left (or one the upstream has not
 * seen from us yet), GO_ON to handle it by its status.
 */
static enum reply_verdict check_epoch(struct rcl_uplink *u, const struct rcl_reply *r,
                                      const struct rcl_outbox_stats *st)
{
    char why[256];

    /* 0: a reply that could not name the source's epoch (a refusal before the look-up). */
    if (r->epoch == 0 || r->epoch == st->epoch || r->status == RCL_REPLY_BUSY)
        return REPLY_GO_ON;
    if (r->epoch > st->epoch) {
        snprintf(why, sizeof why,
                 "upstream holds epoch %" PRIu64 " of this node, newer than ours (%" PRIu64
                 "): this store was restored from an older backup",
                 r->epoch, st->epoch);
        return handled_unless_failed(start_epoch(u, r->epoch, why));
    }
    if (st->acked_seq > 0) {
        /* An old reply, or an upstream that lost our epoch: only a fresh probe answer,
         * sent after it acknowledged part of this epoch, proves the latter. */
        if (!answers_our_probe(u, r) || u->probe_epoch != st->epoch || u->probe_acked == 0)
            return handled_unless_failed(rcl_uplink_probe(u));
        snprintf(why, sizeof why,
                 "upstream holds only epoch %" PRIu64 " of this node, older than ours (%" PRIu64
                 ") that it acknowledged (restored from an older backup?)",
                 r->epoch, st->epoch);
        return handled_unless_failed(start_epoch(u, r->epoch, why));
    }
    /* It has not seen our epoch yet: only a RESEND (from 1) matters. */
    return r->status == RCL_REPLY_RESEND ? REPLY_GO_ON : REPLY_HANDLED;
}

/* REFUSED: stops for good, with the upstream's reason. */
static void on_refused(struct rcl_uplink *u, const struct rcl_reply *r)
{
    if (r->protocol != RCL_PROTOCOL_VERSION) {
        /* The upstream's reason is in its own words: say the versions in ours. */
        char why[sizeof(r->reason) + 160];

        snprintf(why, sizeof(why),
                 "the upstream speaks protocol version %u, this node version %u "
                 "(rollcall %s): %s",
                 r->protocol, RCL_PROTOCOL_VERSION, RCL_VERSION,
                 r->reason[0] != '\0' ? r->reason : "refused without a reason");
        refuse(u, why);
        return;
    }
    refuse(u, r->reason[0] != '\0' ? r->reason : "upstream refused without a reason");
}

/* BUSY: sends nothing for a while. */
static void on_busy(struct rcl_uplink *u, const struct rcl_reply *r)
{
    RCL_WARN("uplink: upstream busy, retrying retry_ms=%d reason=%s", RCL_UPLINK_BUSY_BACKOFF_MS,
             rcl_log_value(r->reason));
    u->busy_until_ms = rcl_mono_ms() + RCL_UPLINK_BUSY_BACKOFF_MS;
    set_state(u, SENDER_PAUSED);
}

/*
 * Handles one reply for this node: notes that the link works, judges the
 * epoch it names, then acts on its status. Returns 0, or -1 (store failure).
 */
static int handle_reply(struct rcl_uplink *u, const struct rcl_reply *r)
{
    struct rcl_outbox_stats st;
    enum reply_verdict judged;

    if (u->state == SENDER_REFUSED)
        return 0;     /* stopped: later replies change nothing */
    u->linked = true; /* a reply proves the link, whether or not the monitor said so yet */
    u->quiet_since_ms = rcl_mono_ms();
    u->cur_timeout_ms = u->timeout_ms;
    if (r->probe && r->probe_id == u->probe_id)
        u->probe_sent_ms = 0;
    if (rcl_outbox_stats(u->db, &st) != 0)
        return -1;
    judged = check_epoch(u, r, &st);
    if (judged == REPLY_STORE_FAILED)
        return -1;
    if (judged == REPLY_HANDLED)
        return 0;

    switch (r->status) {
    case RCL_REPLY_ACK:
        return on_ack(u, r, &st);
    case RCL_REPLY_RESEND:
        return on_resend(u, r, &st);
    case RCL_REPLY_REFUSED:
        on_refused(u, r);
        break;
    case RCL_REPLY_BUSY:
        on_busy(u, r);
        break;
    default:
        RCL_WARN("uplink: ignored a reply with an unknown status status=%d", (int)r->status);
        break;
    }
    return 0;
}

/* rcl_uplink_receive but for settling the state once the replies are handled. */
static int receive_all(struct rcl_uplink *u)
{
    int rc = 0;

    watch_link(u);
    for (;;) {
        struct rcl_transport_message m;
        struct rcl_reply r;
        char err[256];
        enum rcl_transport_received got = rcl_transport_recv(u->socket, 0, &m);

        if (got == RCL_TRANSPORT_RECV_FAILED) {
            RCL_WARN("uplink: cannot receive err=%s", rcl_log_value(zmq_strerror(errno)));
            break;
        }
        if (got == RCL_TRANSPORT_RECV_NONE)
            break;
        if (rcl_reply_decode(m.data, m.len, &r, err, sizeof err) != 0) {
            RCL_WARN("uplink: ignored a malformed reply err=%s", rcl_log_value(err));
            rcl_transport_message_clear(&m);
            continue;
        }
        rcl_transport_message_clear(&m);
        if (strcmp(r.source, u->source) != 0) {
            RCL_WARN("uplink: ignored a reply for another source source=%s",
                     rcl_log_value(r.source));
            continue;
        }
        rc = handle_reply(u, &r);
        if (rc != 0)
            break;
    }
    return rc;
}

/* Handles every reply waiting on the socket. Returns 0, or -1 (store failure). */
int rcl_uplink_receive(struct rcl_uplink *u)
{
    int rc = receive_all(u);

    settle(u);
    return rc;
}

/* Nothing waits for an answer, and no change waited in the outbox at the last pump. */
static bool nothing_waits(const struct rcl_uplink *u)
{
    return u->n_flight == 0 && u->probe_sent_ms == 0 && !u->probe_wanted && u->outbox_empty;
}

enum rcl_uplink_state rcl_uplink_state(const struct rcl_uplink *u)
{
    if (u->state == SENDER_REFUSED)
        return RCL_UPLINK_REFUSED;
    if (u->auth_failed)
        return RCL_UPLINK_AUTH_FAILED;
    switch (u->state) {
    case SENDER_SENDING:
    case SENDER_PROBING:
        return RCL_UPLINK_SENDING;
    case SENDER_IDLE:
    case SENDER_PAUSED:
    case SENDER_NEW_KEY:
    case SENDER_REFUSED:
        break;
    }
    return nothing_waits(u) ? RCL_UPLINK_IDLE : RCL_UPLINK_SENDING;
}

const char *rcl_uplink_reason(struct rcl_uplink *u)
{
    return u->reason;
}

uint64_t rcl_uplink_epochs_started(const struct rcl_uplink *u)
{
    return u->epochs_started;
}

/* As of the last pump, which reads the link's events: like the state, it changes nothing. */
void rcl_uplink_progress(const struct rcl_uplink *u, struct rcl_uplink_progress *p)
{
    p->linked = u->linked;
    p->in_flight = u->n_flight;
    p->sent_through = u->send_after;
    p->acked = u->acked_changes;
}

/* Changes not yet acknowledged; on a store failure (logged) assumes some are. */
uint64_t rcl_uplink_pending(struct rcl_uplink *u)
{
    struct rcl_outbox_stats st;

    if (rcl_outbox_stats(u->db, &st) != 0)
        return UINT64_MAX;
    return st.pending;
}

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

#include "rcl_uplink_internal.h"

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
void uplink_set_state(struct rcl_uplink *u, enum sender_state to)
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
void uplink_settle(struct rcl_uplink *u)
{
    if (u->state != SENDER_PAUSED && u->state != SENDER_REFUSED)
        uplink_set_state(u, resting_state(u));
}

/* Forgets what is in flight so that pump sends it again, from the store. */
static void rewind_flight(struct rcl_uplink *u)
{
    if (u->n_flight > 0)
        u->send_after = u->flight[0].first_seq - 1;
    u->n_flight = 0;
    u->rewound_from = 0;
}

void uplink_refuse(struct rcl_uplink *u, const char *reason)
{
    uplink_set_state(u, SENDER_REFUSED);
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
int uplink_start_epoch(struct rcl_uplink *u, uint64_t upstream_epoch, const char *why)
{
    struct rcl_outbox_stats st;
    uint64_t epoch;

    if (rcl_outbox_stats(u->db, &st) != 0)
        return -1;
    if (u->trying_new_key) {
        uplink_refuse(
            u, "upstream admitted the new key of a pending rotation but holds another history");
        return 0;
    }
    epoch = (upstream_epoch > st.epoch ? upstream_epoch : st.epoch) + 1;
    RCL_WARN("uplink: starting an epoch with a full snapshot epoch=%" PRIu64 " reason=%s", epoch,
             rcl_log_value(why));
    if (u->snapshot == NULL) {
        char reason[sizeof u->reason];

        snprintf(reason, sizeof reason, "%s, and this node cannot send a snapshot", why);
        uplink_refuse(u, reason);
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
    uplink_settle(u);
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
    uplink_settle(u);
    return 0;
}

/*
 * The upstream acknowledged our key rotation and from now on admits only the
 * new key: takes the pair from the store (rcl_outbox_ack swapped it) and
 * reconnects with it. Returns 0, or -1 (store failure).
 */
int uplink_complete_rotation(struct rcl_uplink *u)
{
    enum rcl_outbox_found loaded = rcl_outbox_keys(u->db, false, u->pk, u->sk);

    if (loaded == RCL_OUTBOX_FAILED)
        return -1;
    u->trying_new_key = false;
    if (loaded == RCL_OUTBOX_NONE || reconnect(u) != 0) {
        uplink_refuse(
            u, "the key rotation completed, but the uplink cannot reconnect with the new key "
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
        uplink_refuse(u, "cannot reconnect with another key (see the log)");
    u->probe_wanted = u->trying_new_key; /* its answer completes the rotation (on_ack) */
    uplink_settle(u);
    return true;
}

/* Applies the connection events seen since the last look. */
void uplink_watch_link(struct rcl_uplink *u)
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
    uplink_settle(u);
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

    uplink_watch_link(u);
    if (u->state == SENDER_REFUSED || u->probe_sent_ms != 0)
        return 0;
    /* Sent as soon as the link is up (now, or from pump). */
    u->probe_wanted = true;
    rc = send_probe(u);
    uplink_settle(u);
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

    uplink_watch_link(u);
    if (u->state == SENDER_REFUSED)
        return 0;
    if (u->state == SENDER_PAUSED) {
        if (now < u->busy_until_ms)
            return 0;
        rewind_flight(u);
        uplink_set_state(u, resting_state(u));
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
        uplink_set_state(u, SENDER_SENDING);
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

    uplink_watch_link(u);
    uplink_settle(u);
    /* On a store failure, assume changes wait. */
    if (u->state != SENDER_REFUSED && u->n_flight == 0 && u->probe_sent_ms == 0 && !u->probe_wanted)
        u->outbox_empty = rcl_outbox_stats(u->db, &st) == 0 && st.pending == 0;
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

/*
 * rcl_uplink_reply.c - what each reply from the upstream does to the uplink
 * (rcl_uplink.c): ACK deletes what it covers, RESEND rewinds, REFUSED stops,
 * BUSY pauses, and an epoch that shows the upstream lost this node's history
 * starts a new one (the rules are in rcl_uplink.c's opening comment).
 */
#include "rcl_uplink_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "rcl_crash.h"
#include "rcl_log.h"
#include "rcl_platform.h"

/* What an event found in a reply leaves for the rest of receive to do. */
enum reply_verdict {
    REPLY_GO_ON,        /* handle it by its status */
    REPLY_HANDLED,      /* nothing more to do with it */
    REPLY_STORE_FAILED, /* logged */
};

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
        return uplink_start_epoch(u, r->epoch, why);
    }
    if (r->acked_seq > st->acked_seq) {
        enum rcl_outbox_ack_result acked;
        uint64_t changes = 0;

        RCL_CRASH_POINT("ack-before-record");
        acked = rcl_outbox_ack_counted(u->db, r->acked_seq, r->has_digest ? r->acked_digest : NULL,
                                       &changes);
        if (acked == RCL_OUTBOX_ACK_FAILED)
            return -1;
        u->acked_changes += changes; /* 0 unless the ack deleted changes */
        if (acked == RCL_OUTBOX_ACK_NOT_OURS) {
            snprintf(why, sizeof why,
                     "upstream acknowledged seq %" PRIu64 " with a batch this node did not seal"
                     " (this store restored from an older backup?)",
                     r->acked_seq);
            return uplink_start_epoch(u, r->epoch, why);
        }
        RCL_INFO("uplink: acknowledged through seq=%" PRIu64 " last=%" PRIu64, r->acked_seq,
                 st->last_seq);
        RCL_CRASH_POINT("ack-after-record");
        if (acked == RCL_OUTBOX_ACK_ROTATED && uplink_complete_rotation(u) != 0)
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
        return uplink_start_epoch(u, r->epoch, why);
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
        return handled_unless_failed(uplink_start_epoch(u, r->epoch, why));
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
        return handled_unless_failed(uplink_start_epoch(u, r->epoch, why));
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
        uplink_refuse(u, why);
        return;
    }
    uplink_refuse(u, r->reason[0] != '\0' ? r->reason : "upstream refused without a reason");
}

/* BUSY: sends nothing for a while. */
static void on_busy(struct rcl_uplink *u, const struct rcl_reply *r)
{
    RCL_WARN("uplink: upstream busy, retrying retry_ms=%d reason=%s", RCL_UPLINK_BUSY_BACKOFF_MS,
             rcl_log_value(r->reason));
    u->busy_until_ms = rcl_mono_ms() + RCL_UPLINK_BUSY_BACKOFF_MS;
    uplink_set_state(u, SENDER_PAUSED);
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

    uplink_watch_link(u);
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

    uplink_settle(u);
    return rc;
}

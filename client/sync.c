/*
 * sync.c - the sync command's loop around rcl_uplink (see sync.h).
 */
#include "sync.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include "progress.h"
#include "rcl_log.h"
#include "rcl_outbox.h"
#include "rcl_platform.h"
#include "rcl_retry.h"
#include "rcl_uplink.h"
#include "receipt.h"

#define POLL_MS 100
/* With nothing to send, a one-shot sync waits this long at most for a receipt. */
#define PROBE_WAIT_S 10

static double now_seconds(void)
{
    return (double)rcl_mono_ms() / 1e3;
}

struct sync_run {
    sqlite3 *db;
    const struct rcl_school_meta *m;
    void *ctx;
    struct rcl_uplink *u;
    FILE *out;
    FILE *err;
    struct rcl_progress progress;
    uint64_t start_acked;                      /* the acked seq when the progress line started */
    const struct rcl_school_sync_hooks *hooks; /* NULL: none */
    enum rcl_sheet_lang lang;                  /* of the result lines */
    struct rcl_school_sync_outcome ended;      /* so far; its stage as last told to hooks */
};

/* Waits for replies up to POLL_MS and handles them. OK, or the exit code of a failure (logged). */
static enum rcl_school_exit poll_once(struct sync_run *r)
{
    zmq_pollitem_t item;
    int rc;

    memset(&item, 0, sizeof(item));
    item.socket = rcl_uplink_socket(r->u);
    item.events = ZMQ_POLLIN;
    if (r->hooks != NULL && r->hooks->wait_begin != NULL)
        r->hooks->wait_begin(r->hooks->arg);
    rc = zmq_poll(&item, 1, POLL_MS);
    if (r->hooks != NULL && r->hooks->wait_end != NULL)
        r->hooks->wait_end(r->hooks->arg);
    if (rc < 0 && errno != EINTR) {
        rcl_log_write(RCL_LOG_ERROR, "sync: polling the connection failed err=%s",
                      rcl_log_value(zmq_strerror(errno)));
        return RCL_SCHOOL_EXIT_UPSTREAM;
    }
    if (rc > 0 && (item.revents & ZMQ_POLLIN) && rcl_uplink_receive(r->u) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "sync: the store failed while recording an acknowledgement "
                                     "(see the log above)");
        return RCL_SCHOOL_EXIT_DATA;
    }
    return RCL_SCHOOL_EXIT_OK;
}

/* Starts the progress line (drawn on a terminal only), in the sync's language. */
static void progress_begin(struct sync_run *r, uint64_t total)
{
    rcl_progress_start(&r->progress, r->err, "sync", "changes", total);
    r->progress.what_zh = "同步";
    r->progress.unit_zh = "项改动";
    r->progress.zh = r->lang == RCL_SHEET_ZH;
}

/* Redraws the progress line: changes acknowledged since it started, of those pending then and now.
 */
static void show_progress(struct sync_run *r)
{
    struct rcl_outbox_stats st;

    if (!r->progress.on || rcl_outbox_stats(r->db, &st) != 0)
        return;
    /* Sequence numbers count changes given out, coalesced ones included: close enough
     * for a rate, and never more than the changes really sent. */
    uint64_t done = st.acked_seq > r->start_acked ? st.acked_seq - r->start_acked : 0;
    rcl_progress_update(&r->progress, done, done + st.pending);
}

/* Tells the hooks where the sync is: connecting until a link is up, then sending until every
 * change pending (now or at the start) has left, then waiting for the acknowledgement. Changes
 * are counted as rows of the outbox, not by sequence numbers, which have gaps where an edit
 * replaced a change not yet sent. Without hooks it only notes whether a link was up. */
static void tell_stage(struct sync_run *r)
{
    struct rcl_school_sync_stage *st = &r->ended.stage;
    struct rcl_uplink_progress p = {0};
    struct rcl_outbox_stats ob;
    uint64_t in_flight;

    if (r->u != NULL)
        rcl_uplink_progress(r->u, &p);
    st->linked_once = st->linked_once || p.linked;
    if (r->hooks == NULL || r->hooks->stage == NULL)
        return;
    if (r->u != NULL && rcl_outbox_stats(r->db, &ob) == 0 &&
        rcl_outbox_pending_through(r->db, p.sent_through, &in_flight) == 0) {
        st->total = p.acked + ob.pending;
        st->sent = p.acked + in_flight;
    }
    st->step = !p.linked              ? RCL_SCHOOL_SYNC_CONNECTING
               : st->sent < st->total ? RCL_SCHOOL_SYNC_SENDING
                                      : RCL_SCHOOL_SYNC_WAITING;
    r->hooks->stage(r->hooks->arg, st);
}

static bool stop_asked(const struct sync_run *r)
{
    return rcl_stop_caught() ||
           (r->hooks != NULL && r->hooks->stop != NULL && r->hooks->stop(r->hooks->arg));
}

/*
 * Runs the uplink until everything is acknowledged (OK), it gives up (the
 * exit code, said on err), or the deadline passes: OK with *late set, for the
 * caller to word.
 */
static enum rcl_school_exit run_until_settled(struct sync_run *r, double deadline, bool *late)
{
    *late = false;
    for (;;) {
        enum rcl_school_exit rc;

        if (rcl_uplink_pump(r->u) != 0) {
            rcl_log_write(RCL_LOG_ERROR,
                          "sync: the store failed while sending (see the log above)");
            return RCL_SCHOOL_EXIT_DATA;
        }
        switch (rcl_uplink_state(r->u)) {
        case RCL_UPLINK_REFUSED:
        case RCL_UPLINK_AUTH_FAILED:
            r->ended.stage.refused = true;
            tell_stage(r);
            rcl_log_write(RCL_LOG_ERROR, "sync: upstream refused upstream=%s reason=%s",
                          rcl_log_value(r->m->upstream), rcl_log_value(rcl_uplink_reason(r->u)));
            return RCL_SCHOOL_EXIT_UPSTREAM;
        case RCL_UPLINK_IDLE:
            return RCL_SCHOOL_EXIT_OK;
        case RCL_UPLINK_SENDING:
            break;
        }
        if (stop_asked(r)) {
            r->ended.stopped = true;
            rcl_log_write(RCL_LOG_WARN,
                          "sync: interrupted; changes kept for the next sync pending=%llu",
                          (unsigned long long)rcl_uplink_pending(r->u));
            return RCL_SCHOOL_EXIT_UPSTREAM;
        }
        if (now_seconds() >= deadline) {
            *late = true;
            return RCL_SCHOOL_EXIT_OK;
        }
        rc = poll_once(r);
        if (rc != RCL_SCHOOL_EXIT_OK)
            return rc;
        show_progress(r);
        tell_stage(r);
    }
}

static int uplink_open(struct sync_run *r, char *why, size_t whylen)
{
    struct rcl_uplink_config cfg;
    uint8_t sk[RCL_SK_BYTES];

    if (rcl_school_secret_key_load(r->db, sk) != 0) {
        snprintf(why, whylen, "the store has no usable secret key");
        return -1;
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.source = r->m->school_id;
    cfg.endpoint = r->m->upstream;
    cfg.pk = r->m->public_key;
    cfg.sk = sk;
    cfg.server_pk = r->m->upstream_key;
    cfg.snapshot = rcl_school_snapshot;
    cfg.snapshot_arg = (void *)(uintptr_t)r->m;
    r->u = rcl_uplink_new(r->ctx, r->db, &cfg, why, whylen);
    /* The uplink keeps its own copy. */
    sodium_memzero(sk, sizeof(sk));
    return r->u != NULL ? 0 : -1;
}

/* One sync: everything pending acknowledged, or a receipt when nothing is. */
static enum rcl_school_exit sync_once(struct sync_run *r, int timeout_s)
{
    struct rcl_outbox_stats before, after;
    double start = now_seconds();
    bool probing, late;
    enum rcl_school_exit rc;

    if (rcl_outbox_stats(r->db, &before) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "sync: cannot read the outbox (see the log above)");
        return RCL_SCHOOL_EXIT_DATA;
    }
    probing = before.pending == 0;
    if (probing && rcl_uplink_probe(r->u) != 0) {
        rcl_log_write(RCL_LOG_ERROR,
                      "sync: the store failed while asking for a receipt (see the log above)");
        return RCL_SCHOOL_EXIT_DATA;
    }
    r->start_acked = before.acked_seq;
    progress_begin(r, before.pending);
    tell_stage(r);
    rc = run_until_settled(
        r, start + (probing && timeout_s > PROBE_WAIT_S ? PROBE_WAIT_S : timeout_s), &late);
    rcl_progress_end(&r->progress);
    r->ended.late = late;
    if (rc != RCL_SCHOOL_EXIT_OK)
        return rc;
    if (rcl_outbox_stats(r->db, &after) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "sync: cannot read the outbox (see the log above)");
        return RCL_SCHOOL_EXIT_DATA;
    }
    if (late && after.pending > 0) {
        rcl_log_write(RCL_LOG_ERROR,
                      "sync: no acknowledgement in time; changes kept for the next sync "
                      "upstream=%s timeout_s=%d pending=%llu",
                      rcl_log_value(r->m->upstream), timeout_s, (unsigned long long)after.pending);
        return RCL_SCHOOL_EXIT_UPSTREAM;
    }
    r->ended.resent = after.epoch != before.epoch;
    if (r->lang == RCL_SHEET_ZH)
        return RCL_SCHOOL_EXIT_OK; /* rcl_school_sync words it */
    if (probing && after.epoch == before.epoch)
        fprintf(r->out, "synced: nothing to send; all changes acknowledged up to seq %llu%s\n",
                (unsigned long long)after.acked_seq,
                late ? " (the upstream did not answer, receipt not refreshed)" : "");
    else
        fprintf(
            r->out, "synced: all %llu changes acknowledged up to seq %llu\n",
            (unsigned long long)(after.epoch == before.epoch ? before.pending : after.acked_seq),
            (unsigned long long)after.acked_seq);
    if (after.epoch != before.epoch)
        fprintf(r->out,
                "synced: the upstream had lost this school's data; it was sent again in "
                "full (epoch %llu)\n",
                (unsigned long long)after.epoch);
    rcl_receipt_print(&after, RCL_SHEET_EN, r->out);
    return RCL_SCHOOL_EXIT_OK;
}

/* Watch: until a signal, keep sending; after a refusal, try again later (rcl_retry.h). */
static enum rcl_school_exit sync_watch(struct sync_run *r)
{
    struct rcl_retry retry;
    uint64_t reported_acked = UINT64_MAX;
    char why[256];

    rcl_retry_init(&retry);

    RCL_INFO("sync: watching; sending changes as they appear (Ctrl-C stops) upstream=%s",
             rcl_log_value(r->m->upstream));
    progress_begin(r, 0);
    while (!rcl_stop_caught()) {
        struct rcl_outbox_stats st;
        enum rcl_uplink_state state;

        if (r->u == NULL) {
            if (!rcl_retry_due(&retry, rcl_mono_ms())) {
                rcl_sleep_ms(POLL_MS);
                continue;
            }
            if (uplink_open(r, why, sizeof(why)) != 0) {
                rcl_log_write(RCL_LOG_ERROR, "sync: cannot connect upstream=%s err=%s",
                              rcl_log_value(r->m->upstream), rcl_log_value(why));
                rcl_retry_wait(&retry, rcl_mono_ms());
                continue;
            }
        }
        if (rcl_uplink_pump(r->u) != 0)
            RCL_ERROR("sync: the store failed while sending; will retry");
        state = rcl_uplink_state(r->u);
        if (state == RCL_UPLINK_REFUSED) {
            rcl_progress_end(&r->progress);
            RCL_ERROR("sync: upstream refused; asking again upstream=%s reason=%s retry_s=%d",
                      rcl_log_value(r->m->upstream), rcl_log_value(rcl_uplink_reason(r->u)),
                      retry.delay_s);
            rcl_uplink_destroy(&r->u);
            rcl_retry_wait(&retry, rcl_mono_ms());
            rcl_retry_double(&retry); /* for the next refusal: this wait is what was logged */
            continue;
        }
        if (state == RCL_UPLINK_IDLE && rcl_outbox_stats(r->db, &st) == 0 &&
            st.acked_seq != reported_acked) {
            rcl_progress_end(&r->progress);
            RCL_INFO("sync: all changes acknowledged seq=%llu epoch=%llu",
                     (unsigned long long)st.acked_seq, (unsigned long long)st.epoch);
            reported_acked = st.acked_seq;
            rcl_retry_reset(&retry);
            r->start_acked = st.acked_seq;
        }
        if (poll_once(r) == RCL_SCHOOL_EXIT_DATA)
            RCL_ERROR("sync: will retry recording acknowledgements");
        show_progress(r);
    }
    rcl_progress_end(&r->progress);
    RCL_INFO("sync: stopping; changes kept for later pending=%llu",
             (unsigned long long)(r->u != NULL ? rcl_uplink_pending(r->u) : 0));
    return RCL_SCHOOL_EXIT_OK;
}

/* Completes the one-shot sync's outcome, hands it to the caller and, in Chinese, says it: on out
 * with the receipt when it went well, else on err below the log's lines. */
static void sync_ended(struct sync_run *r, const struct rcl_school_sync_opts *o,
                       enum rcl_school_exit rc)
{
    struct rcl_school_sync_outcome *e = &r->ended;
    struct rcl_outbox_stats after;
    char title[512], detail[512];
    bool read = rcl_outbox_stats(r->db, &after) == 0;

    e->rc = rc;
    e->timeout_s = o->timeout_s;
    if (read) {
        e->pending_after = after.pending;
        e->acked_after = after.acked_seq;
        e->epoch = after.epoch;
    }
    if (o->outcome != NULL)
        *o->outcome = *e;
    if (r->lang != RCL_SHEET_ZH)
        return;
    rcl_school_sync_say(e, r->m->upstream, r->lang, "请稍后再运行一次 rollcall-school sync。",
                        title, sizeof(title), detail, sizeof(detail));
    fprintf(rc == RCL_SCHOOL_EXIT_OK ? r->out : r->err, "%s%s%s\n", title,
            detail[0] != '\0' ? "\n" : "", detail);
    if (rc == RCL_SCHOOL_EXIT_OK && read)
        rcl_receipt_print(&after, r->lang, r->out);
}

enum rcl_school_exit rcl_school_sync(sqlite3 *db, const struct rcl_school_meta *m,
                                     const struct rcl_school_sync_opts *o, FILE *out, FILE *err)
{
    struct sync_run r;
    struct rcl_outbox_stats before;
    char why[256] = "";
    enum rcl_school_exit rc = RCL_SCHOOL_EXIT_DATA;

    memset(&r, 0, sizeof(r));
    r.db = db;
    r.m = m;
    r.out = out;
    r.err = err;
    r.hooks = o->watch ? NULL : o->hooks;
    r.lang = o->lang;
    if (!o->watch && rcl_outbox_stats(db, &before) == 0)
        r.ended.pending_before = before.pending;

    /* Stop cleanly on Ctrl-C: unacknowledged changes stay in the outbox either way. */
    rcl_stop_catch();

    r.ctx = zmq_ctx_new();
    if (r.ctx == NULL) {
        rcl_log_write(RCL_LOG_ERROR, "sync: cannot start ZeroMQ err=%s",
                      rcl_log_value(zmq_strerror(errno)));
        goto done;
    }
    if (o->watch) {
        rc = sync_watch(&r);
        goto done;
    }
    if (uplink_open(&r, why, sizeof(why)) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "sync: cannot connect upstream=%s err=%s",
                      rcl_log_value(m->upstream), rcl_log_value(why));
        rc = RCL_SCHOOL_EXIT_UPSTREAM;
        goto done;
    }
    rc = sync_once(&r, o->timeout_s);
done:
    if (!o->watch)
        sync_ended(&r, o, rc);
    rcl_uplink_destroy(&r.u);
    if (r.ctx != NULL)
        zmq_ctx_term(r.ctx);
    rcl_stop_release();
    return rc;
}

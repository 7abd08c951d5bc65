/*
 * sync.c - the sync command's loop around rcl_uplink (see sync.h).
 */
#include "sync.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "rcl_log.h"
#include "rcl_outbox.h"
#include "rcl_uplink.h"

#define POLL_MS 100

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs the uplink until it settles or gives up, saying why on err. Returns an enum rcl_school_exit.
 */
static int run_uplink(struct rcl_uplink *u, const struct rcl_school_meta *m, int timeout_s,
                      FILE *err)
{
    double deadline = now_seconds() + timeout_s;
    zmq_pollitem_t item;

    memset(&item, 0, sizeof(item));
    item.socket = rcl_uplink_socket(u);
    item.events = ZMQ_POLLIN;
    for (;;) {
        if (rcl_uplink_pump(u) != 0) {
            fprintf(err, "sync: the store failed while sending (see the log above)\n");
            return RCL_SCHOOL_EXIT_DATA;
        }
        enum rcl_uplink_state state = rcl_uplink_state(u);
        if (state == RCL_UPLINK_REFUSED || state == RCL_UPLINK_AUTH_FAILED) {
            fprintf(err, "sync: upstream %s refused: %s\n", m->upstream, rcl_uplink_reason(u));
            return RCL_SCHOOL_EXIT_UPSTREAM;
        }
        if (state == RCL_UPLINK_IDLE && rcl_uplink_pending(u) == 0)
            return RCL_SCHOOL_EXIT_OK;
        if (stop_signal != 0) {
            fprintf(err, "sync: interrupted; %llu changes kept for the next sync\n",
                    (unsigned long long)rcl_uplink_pending(u));
            return RCL_SCHOOL_EXIT_UPSTREAM;
        }
        if (now_seconds() >= deadline) {
            fprintf(err,
                    "sync: no acknowledgement from %s within %d s; %llu changes kept for the "
                    "next sync\n",
                    m->upstream, timeout_s, (unsigned long long)rcl_uplink_pending(u));
            return RCL_SCHOOL_EXIT_UPSTREAM;
        }
        item.revents = 0;
        int rc = zmq_poll(&item, 1, POLL_MS);
        if (rc < 0 && errno != EINTR) {
            fprintf(err, "sync: polling the connection failed: %s\n", zmq_strerror(errno));
            return RCL_SCHOOL_EXIT_UPSTREAM;
        }
        if (rc > 0 && (item.revents & ZMQ_POLLIN) && rcl_uplink_receive(u) != 0) {
            fprintf(err, "sync: the store failed while recording an acknowledgement (see the log "
                         "above)\n");
            return RCL_SCHOOL_EXIT_DATA;
        }
    }
}

int rcl_school_sync(sqlite3 *db, const struct rcl_school_meta *m, int timeout_s, FILE *out,
                    FILE *err)
{
    struct rcl_outbox_stats before;
    struct rcl_outbox_stats after;
    struct rcl_uplink_config cfg;
    struct sigaction sa;
    struct sigaction old_int;
    struct sigaction old_term;
    uint8_t sk[RCL_SK_BYTES];
    char why[256] = "";
    void *ctx = NULL;
    struct rcl_uplink *u = NULL;
    int rc = RCL_SCHOOL_EXIT_DATA;
    int signals_set = 0;

    if (rcl_outbox_stats(db, &before) != 0) {
        fprintf(err, "sync: cannot read the outbox (see the log above)\n");
        return RCL_SCHOOL_EXIT_DATA;
    }
    if (before.pending == 0) {
        fprintf(out, "synced: nothing to send; all changes acknowledged up to seq %llu\n",
                (unsigned long long)before.acked_seq);
        return RCL_SCHOOL_EXIT_OK;
    }
    if (rcl_school_secret_key_load(db, sk) != 0) {
        fprintf(err, "sync: the store has no usable secret key\n");
        return RCL_SCHOOL_EXIT_DATA;
    }

    /* Stop cleanly on Ctrl-C: unacknowledged changes stay in the outbox either way. */
    stop_signal = 0;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    signals_set = 1;

    ctx = zmq_ctx_new();
    if (ctx == NULL) {
        fprintf(err, "sync: cannot start ZeroMQ: %s\n", zmq_strerror(errno));
        goto done;
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.source = m->school_id;
    cfg.endpoint = m->upstream;
    cfg.pk = m->public_key;
    cfg.sk = sk;
    cfg.server_pk = m->upstream_key;
    u = rcl_uplink_new(ctx, db, &cfg, why, sizeof(why));
    /* The uplink keeps its own copy. */
    sodium_memzero(sk, sizeof(sk));
    if (u == NULL) {
        fprintf(err, "sync: cannot connect to %s: %s\n", m->upstream, why);
        rc = RCL_SCHOOL_EXIT_UPSTREAM;
        goto done;
    }

    rc = run_uplink(u, m, timeout_s, err);
    if (rc == RCL_SCHOOL_EXIT_OK) {
        if (rcl_outbox_stats(db, &after) != 0) {
            fprintf(err, "sync: cannot read the outbox (see the log above)\n");
            rc = RCL_SCHOOL_EXIT_DATA;
            goto done;
        }
        fprintf(out, "synced: all %llu changes acknowledged up to seq %llu\n",
                (unsigned long long)before.pending, (unsigned long long)after.acked_seq);
    }
done:
    sodium_memzero(sk, sizeof(sk));
    rcl_uplink_destroy(&u);
    if (ctx != NULL)
        zmq_ctx_term(ctx);
    if (signals_set) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    return rc;
}

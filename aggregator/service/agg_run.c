/*
 * agg_run.c - the serve loop.
 *
 * One thread owns the store connection, the ROUTER the sources talk to, and
 * the uplink toward the upstream. The ZAP handler runs on its own thread
 * with its own read-only connection, so an `enroll` or `revoke` made by
 * another process takes effect at the next handshake without a restart; a
 * source revoked while connected is refused batch by batch by ingest. A
 * third thread (agg_pipeline.h), with a read-only connection too, decodes
 * and verifies received batches ahead of the writer.
 */
#include "agg_run.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "agg_sql.h"
#include "agg_store.h"
#include "agg_http.h"
#include "agg_ingest.h"
#include "agg_limit.h"
#include "agg_listen.h"
#include "agg_metrics.h"
#include "agg_monitor.h"
#include "agg_pipeline.h"
#include "agg_snapshot.h"
#include "rcl_codec.h"
#include "rcl_db.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_retry.h"
#include "rcl_transport.h"
#include "rcl_uplink.h"

#define RUN_POLL_MS 200
#define RUN_BURST 64                     /* messages served before the uplink gets a turn */
#define RUN_GROUP_MAX RCL_RECV_GROUP_MAX /* messages served in one transaction, at most */
#define RUN_ZAP_BUSY_MS 2000
/* An upstream that refused a batch is asked again later (rcl_retry.h). A key refused at
 * the handshake needs nothing from us: ZeroMQ reconnects and the uplink notices. */
#define RUN_WATCH_S 1

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* State of the ZAP thread: only ever touched there (and after rcl_zap_stop). */
struct zap_lookup {
    const char *path;
    sqlite3 *db;
};

static void zap_close(struct zap_lookup *z)
{
    if (z->db) {
        sqlite3_close(z->db);
        z->db = NULL;
    }
}

static int zap_open(struct zap_lookup *z)
{
    if (z->db)
        return 0;
    if (sqlite3_open_v2(z->path, &z->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        RCL_ERROR("zap: cannot open the store db=%s err=%s", rcl_log_value(z->path),
                  rcl_log_value(z->db ? sqlite3_errmsg(z->db) : "out of memory"));
        zap_close(z);
        return -1;
    }
    sqlite3_busy_timeout(z->db, RUN_ZAP_BUSY_MS);
    /* This connection only reads: make that a guarantee. */
    if (sqlite3_exec(z->db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK) {
        RCL_ERROR("zap: cannot configure the connection to the store db=%s err=%s",
                  rcl_log_value(z->path), rcl_log_value(sqlite3_errmsg(z->db)));
        zap_close(z);
        return -1;
    }
    return 0;
}

/* Admits a CURVE key that belongs to an enrolled, unrevoked source. */
static int zap_authorize(void *arg, const uint8_t curve_pk[RCL_CURVE_KEY_BYTES],
                         char user_id[RCL_ID_MAX + 1])
{
    struct zap_lookup *z = arg;
    sqlite3_stmt *st = NULL;
    int ret = -1, rc;

    if (zap_open(z) != 0)
        return -1;
    if (sqlite3_prepare_v2(z->db, RCL_AGG_SQL_SOURCE_ADMIT, -1, &st, NULL) != SQLITE_OK) {
        RCL_ERROR("zap: cannot query the sources db=%s err=%s", rcl_log_value(z->path),
                  rcl_log_value(sqlite3_errmsg(z->db)));
        zap_close(z);
        goto out;
    }
    sqlite3_bind_blob(st, 1, curve_pk, RCL_CURVE_KEY_BYTES, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *id = sqlite3_column_text(st, 0);

        snprintf(user_id, RCL_ID_MAX + 1, "%s", id ? (const char *)id : "");
        ret = user_id[0] ? 0 : -1;
        RCL_DEBUG("zap: admitted source=%s", rcl_log_value(user_id));
    } else if (rc == SQLITE_DONE) {
        RCL_DEBUG("zap: refused a key: not enrolled here, or revoked");
    } else {
        RCL_ERROR("zap: looking up a key failed db=%s err=%s", rcl_log_value(z->path),
                  rcl_log_value(sqlite3_errmsg(z->db)));
    }
out:
    sqlite3_finalize(st);
    return ret;
}

/* One received message and the answer it gets. */
struct served {
    struct rcl_transport_message msg;
    struct rcl_reply reply;
    /* What the receiver made of it (in the group, final once it committed); NULL when
     * the rate limit answered it BUSY, with nothing else done. */
    const struct rcl_recv_result *res;
    bool limited;
    double received_at;              /* for the metrics' receive-to-ack latency */
    struct rcl_agg_pipeline_job job; /* its preparation (agg_pipeline.h) */
    bool submitted;                  /* job is with the preparing thread */
};

struct run {
    const char *path;
    sqlite3 *db;
    struct rcl_agg_config cfg;
    uint8_t pk[RCL_PK_BYTES];
    uint8_t sk[RCL_SK_BYTES];
    void *ctx;
    struct rcl_zap *zap;
    struct zap_lookup zl;
    void *server;
    struct rcl_uplink *up;
    enum rcl_uplink_state up_state;
    time_t up_state_since, watched_at;
    struct rcl_retry retry; /* after a refusal, or an uplink that could not be made */
    struct rcl_agg_ingest_ctx ingest;
    struct rcl_agg_pipeline *pipeline; /* NULL: each message is prepared on this thread */
    struct rcl_agg_limits *limits;
    struct served group[RUN_GROUP_MAX]; /* the messages of one transaction */
    struct rcl_recv_group batches;      /* the receiver's side of it */
    struct rcl_agg_metrics metrics;
    struct rcl_agg_http *http;         /* the dashboard, and /metrics without metrics_http */
    struct rcl_agg_http *metrics_http; /* /metrics alone (--metrics) */
    time_t started_at, beat_at;
    bool beat_failing;    /* warned once until a beat gets through */
    bool listen_recorded; /* FILE.listen names this process's ports */
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int uplink_open(struct run *r)
{
    char err[256];
    struct rcl_uplink_config uc = {
        .source = r->cfg.id,
        .endpoint = r->cfg.upstream,
        .pk = r->pk,
        .sk = r->sk,
        .server_pk = r->cfg.upstream_key,
        .snapshot = rcl_agg_own_snapshot,
        .snapshot_arg = &r->cfg,
    };

    r->up = rcl_uplink_new(r->ctx, r->db, &uc, err, sizeof(err));
    r->up_state = RCL_UPLINK_IDLE;
    r->up_state_since = time(NULL);
    if (!r->up) {
        RCL_ERROR("uplink: cannot connect; trying again upstream=%s err=%s retry_s=%d",
                  rcl_log_value(r->cfg.upstream), rcl_log_value(err), r->retry.delay_s);
        rcl_retry_wait(&r->retry, (int64_t)r->up_state_since * 1000);
        return -1;
    }
    return 0;
}

/*
 * Once a second: logs what the uplink turned into, and gives one that the
 * upstream refused (or that could not be made) another try after a while.
 */
static void uplink_watch(struct run *r)
{
    enum rcl_uplink_state st;
    time_t now = time(NULL);

    if (now - r->watched_at < RUN_WATCH_S)
        return;
    r->watched_at = now;
    if (!r->up || rcl_uplink_state(r->up) == RCL_UPLINK_REFUSED) {
        if (r->up && r->up_state != RCL_UPLINK_REFUSED) {
            RCL_WARN("uplink: upstream refused this node's batches; trying again upstream=%s "
                     "retry_s=%d",
                     rcl_log_value(r->cfg.upstream), r->retry.delay_s);
            r->up_state = RCL_UPLINK_REFUSED;
            r->up_state_since = now;
            rcl_retry_wait(&r->retry, (int64_t)now * 1000);
            return;
        }
        if (!rcl_retry_due(&r->retry, (int64_t)now * 1000))
            return;
        RCL_INFO("uplink: trying again upstream=%s", rcl_log_value(r->cfg.upstream));
        if (r->up)
            rcl_uplink_destroy(&r->up);
        rcl_retry_double(&r->retry);
        uplink_open(r);
        return;
    }
    st = rcl_uplink_state(r->up);
    if (st != r->up_state) {
        r->up_state = st;
        r->up_state_since = now;
    }
    /* A link that has worked for a while earns a quick retry next time. */
    if ((st == RCL_UPLINK_IDLE || st == RCL_UPLINK_SENDING) &&
        now - r->up_state_since >= RCL_RETRY_FIRST_S)
        rcl_retry_reset(&r->retry);
}

static void uplink_pump(struct run *r)
{
    if (r->up && rcl_uplink_pump(r->up) != 0)
        RCL_ERROR("uplink: could not send (store failure); will retry upstream=%s",
                  rcl_log_value(r->cfg.upstream));
}

/* Whether a message waits on sock (without taking it). */
static bool message_waiting(void *sock)
{
    int ev = 0;
    size_t len = sizeof(ev);

    return zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &len) == 0 && (ev & ZMQ_POLLIN);
}

/*
 * Receives one waiting message into sv and hands it to the preparing thread;
 * one over its source's rate limit is answered BUSY at once instead (reply
 * not sent yet). Returns 1 when there was one, 0 when none was waiting.
 */
static int receive_one(struct run *r, struct served *sv)
{
    int rc;

    memset(sv, 0, sizeof(*sv));
    rc = rcl_transport_recv(r->server, 1, &sv->msg);
    if (rc <= 0) {
        if (rc < 0 && errno != EINTR && errno != EAGAIN)
            RCL_ERROR("run: receiving failed err=%s", rcl_log_value(zmq_strerror(errno)));
        return 0;
    }
    sv->received_at = now_s();
    if (!rcl_agg_limits_take(r->limits, sv->msg.user_id, sv->msg.len, sv->received_at)) {
        /* Over its limit: answered before anything costly; the sender backs off. */
        sv->limited = true;
        sv->reply.status = RCL_REPLY_BUSY;
        snprintf(sv->reply.source, sizeof(sv->reply.source), "%s", sv->msg.user_id);
        snprintf(sv->reply.reason, sizeof(sv->reply.reason),
                 "rate limit of this aggregator reached; slow down");
        return 1;
    }
    sv->job.buf = sv->msg.data;
    sv->job.len = sv->msg.len;
    sv->submitted = r->pipeline && rcl_agg_pipeline_submit(r->pipeline, &sv->job) == 0;
    return 1;
}

/* Adds a received message to the group, once prepared. */
static void apply_one(struct run *r, struct served *sv)
{
    if (sv->limited)
        return;
    if (sv->submitted)
        rcl_agg_pipeline_wait(r->pipeline, &sv->job);
    else
        rcl_recv_prepare_envelope(&sv->job.prepared, sv->msg.data, sv->msg.len);
    sv->res = rcl_recv_group_add(&r->batches, &sv->job.prepared, sv->msg.data, sv->msg.len,
                                 sv->msg.user_id);
    if (r->pipeline)
        rcl_agg_pipeline_discard(r->pipeline, &sv->job.prepared);
    else
        rcl_recv_prepared_clear(&sv->job.prepared);
}

static void reply_send(struct run *r, struct served *sv)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    const char *src = sv->reply.source[0] ? sv->reply.source : "?";

    if (rcl_reply_encode(&sv->reply, &out, &out_len) != 0) {
        RCL_ERROR("run: out of memory encoding a reply source=%s", rcl_log_value(src));
    } else if (rcl_transport_send(r->server, sv->msg.routing_id, sv->msg.routing_len, out,
                                  out_len) != 0) {
        /* The sender times out and sends again; the duplicate is acknowledged. */
        RCL_WARN("run: could not queue the reply source=%s err=%s", rcl_log_value(src),
                 rcl_log_value(zmq_strerror(errno)));
    }
    free(out);
    rcl_transport_message_clear(&sv->msg);
}

/* Sends a served message's reply, final now that its group is committed, and counts it. */
static bool settle(struct run *r, struct served *sv)
{
    bool applied = sv->res && sv->res->applied;

    if (sv->res)
        sv->reply = sv->res->reply;
    reply_send(r, sv);
    rcl_agg_metrics_count(&r->metrics, &sv->reply, applied, applied ? sv->res->changes : 0,
                          sv->limited, now_s() - sv->received_at);
    return applied;
}

/*
 * Serves what is waiting on the ROUTER, a burst at a time. What is waiting
 * (up to RUN_GROUP_MAX messages) is received at once and handed to the
 * preparing thread, which decodes and verifies the next ones while this
 * thread applies the one before. The batches are applied in one
 * transaction: one durable commit, one fsync, for the group, and only then
 * are their replies sent -- an ACK is still sent only after the commit that
 * holds it.
 */
static void serve(struct run *r)
{
    struct served *group = r->group;
    int served = 0;

    while (served < RUN_BURST && !stop_requested && message_waiting(r->server)) {
        int n = 0, done = 0;

        while (n < RUN_GROUP_MAX && served < RUN_BURST && receive_one(r, &group[n])) {
            served++;
            n++;
        }
        if (n == 0)
            break;
        while (done < n) {
            int first = done, applied = 0;

            rcl_agg_group_begin(&r->ingest, &r->batches);
            /* Ungrouped, a store failure, or SQLite ended the transaction: settle now, and
             * the rest in a group of their own. */
            while (done < n) {
                apply_one(r, &group[done++]);
                if (!rcl_recv_group_open(&r->batches))
                    break;
            }
            rcl_agg_group_commit(&r->ingest);
            for (int i = first; i < done; i++)
                applied += settle(r, &group[i]);
            if (applied)
                uplink_pump(r);
        }
    }
}

/* Tells `health` this loop is alive, every RCL_AGG_HEARTBEAT_S. A busy store skips a beat. */
static void heartbeat(struct run *r)
{
    time_t now = time(NULL);

    if (now - r->beat_at < RCL_AGG_HEARTBEAT_S)
        return;
    r->beat_at = now;
    if (rcl_agg_heartbeat_beat(r->db, (int64_t)getpid(), r->started_at, now) == 0) {
        if (r->beat_failing)
            RCL_INFO("run: the heartbeat is written again");
        r->beat_failing = false;
    } else if (!r->beat_failing) {
        r->beat_failing = true;
        RCL_WARN("run: cannot write the heartbeat (health will report run stuck until it can) "
                 "db=%s err=%s",
                 rcl_log_value(r->path), rcl_log_value(sqlite3_errmsg(r->db)));
    }
}

static int install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: zmq_poll must return EINTR so the loop sees the flag */
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
        return -1;
    return 0;
}

/*
 * Each connection of `run` is used by one thread only (the serve loop's, the ZAP
 * thread's), so SQLite's per-connection mutexes and the global lock of its memory
 * statistics are pure cost on every row. Possible only before SQLite is first used.
 */
static void sqlite_tune(void)
{
    if (sqlite3_config(SQLITE_CONFIG_MULTITHREAD) != SQLITE_OK ||
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
        RCL_DEBUG("run: SQLite was already in use; it keeps its default locking");
}

/*
 * Starts one HTTP listener on addr (first on the port bound last time, meta key bound_key,
 * when its port is wild), logs and writes into bound where it listens. NULL having said why.
 */
static struct rcl_agg_http *http_listen(struct run *r, const char *option, const char *bound_key,
                                        struct rcl_agg_http_options *ho, char *bound,
                                        size_t boundlen)
{
    char want[RCL_AGG_HTTP_ADDR_MAX + 1], err[1024];
    const char *addr = ho->addr;
    struct rcl_agg_http *h;

    rcl_agg_listen_first_try(r->db, bound_key, addr, want, sizeof(want));
    ho->addr = want;
    h = rcl_agg_http_start(ho, r->path, &r->cfg, &r->metrics, err, sizeof(err));
    if (!h && strcmp(want, addr) != 0) {
        ho->addr = addr;
        h = rcl_agg_http_start(ho, r->path, &r->cfg, &r->metrics, err, sizeof(err));
    }
    if (!h) {
        rcl_log_write(RCL_LOG_ERROR, "run: %s option=%s", err, option);
        return NULL;
    }
    if (rcl_agg_http_bound(h, bound, boundlen) != 0)
        snprintf(bound, boundlen, "%s", ho->addr);
    RCL_INFO("run: serving over HTTP what=%s url=%s://%s/",
             ho->dashboard ? (ho->metrics ? "metrics,dashboard" : "dashboard") : "metrics",
             rcl_agg_http_tls(h) ? "https" : "http", bound);
    return h;
}

/*
 * Binds the sync endpoint, first on the port bound last time when the configured port
 * is wild (the schools were given that one), then the HTTP listeners (http: --http,
 * else the address given at init; --metrics, when given, serves /metrics apart), and
 * records what was bound (agg_listen.h). Returns 0, or -1 having said why.
 */
static int listen_all(struct run *r, const struct rcl_agg_run_options *opt)
{
    char err[512], want[RCL_AGG_ENDPOINT_MAX + 1], bound[RCL_AGG_ENDPOINT_MAX + 64];
    char stored_http[RCL_AGG_HTTP_ADDR_MAX + 1], bound_http[RCL_AGG_HTTP_ADDR_MAX + 1];
    char bound_metrics[RCL_AGG_HTTP_ADDR_MAX + 1];
    const char *http = opt->http;
    bool metrics_apart = opt->metrics != NULL;

    rcl_agg_listen_first_try(r->db, "listen_bound", r->cfg.listen, want, sizeof(want));
    r->server = rcl_transport_server_new(r->ctx, want, r->sk, err, sizeof(err));
    if (!r->server && strcmp(want, r->cfg.listen) != 0) {
        RCL_WARN("run: the port bound last time is taken, binding another (sources given the old "
                 "port must set-upstream) endpoint=%s err=%s",
                 rcl_log_value(r->cfg.listen), rcl_log_value(err));
        r->server = rcl_transport_server_new(r->ctx, r->cfg.listen, r->sk, err, sizeof(err));
    }
    if (!r->server) {
        rcl_log_write(RCL_LOG_ERROR, "run: cannot listen endpoint=%s err=%s",
                      rcl_log_value(r->cfg.listen), rcl_log_value(err));
        return -1;
    }
    if (rcl_transport_bound_endpoint(r->server, bound, sizeof(bound)) != 0)
        snprintf(bound, sizeof(bound), "%s", want);
    RCL_INFO("run: aggregator listening tier=%s id=%s endpoint=%s", rcl_agg_tier_names[r->cfg.tier],
             rcl_log_value(r->cfg.id), rcl_log_value(bound));
    if (!http && rcl_meta_get_text(r->db, "http", stored_http, sizeof(stored_http)) == 0)
        http = stored_http;
    if (http && strcmp(http, "off") != 0) {
        struct rcl_agg_http_options ho = {http, true, !metrics_apart, opt->tls_cert, opt->tls_key};

        r->http = http_listen(r, "http", "http_bound", &ho, bound_http, sizeof(bound_http));
        if (!r->http)
            return -1;
    } else if (opt->tls_cert || opt->tls_key) {
        rcl_log_write(RCL_LOG_ERROR, "run: --tls-cert and --tls-key are for the dashboard, and it "
                                     "is off (--http off, or no --http given here nor at init)");
        return -1;
    }
    if (metrics_apart && strcmp(opt->metrics, "off") != 0) {
        struct rcl_agg_http_options ho = {opt->metrics, false, true, NULL, NULL};

        r->metrics_http =
            http_listen(r, "metrics", "metrics_bound", &ho, bound_metrics, sizeof(bound_metrics));
        if (!r->metrics_http)
            return -1;
    }
    if (rcl_agg_listen_record(r->db, r->path, bound, r->http ? bound_http : NULL,
                              r->metrics_http ? bound_metrics : NULL, err, sizeof(err)) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "run: %s", err);
        return -1;
    }
    r->listen_recorded = true;
    return 0;
}

/*
 * Signals, the store and its keys, ingest, the preparing thread (agg_pipeline.h) and the
 * rate limits. Returns 0, or -1 having said why.
 */
static int run_open(struct run *r)
{
    char err[512];

    if (install_signals() != 0) {
        rcl_log_write(RCL_LOG_ERROR, "run: cannot install signal handlers err=%s",
                      rcl_log_value(strerror(errno)));
        return -1;
    }
    r->db = rcl_agg_store_open(r->path, &r->cfg, err, sizeof(err));
    if (!r->db) {
        rcl_log_write(RCL_LOG_ERROR, "run: %s db=%s", err, r->path);
        return -1;
    }
    if (rcl_agg_store_keys(r->db, r->pk, r->sk) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "run: the identity key is missing from meta db=%s",
                      rcl_log_value(r->path));
        return -1;
    }
    if (r->cfg.listen[0] == '\0') {
        rcl_log_write(RCL_LOG_ERROR, "run: no listen endpoint in meta db=%s",
                      rcl_log_value(r->path));
        return -1;
    }
    r->ingest.db = r->db;
    r->ingest.cfg = &r->cfg;
    r->pipeline = rcl_agg_pipeline_new(r->path, &r->cfg);
    r->limits = malloc(sizeof(*r->limits));
    if (!r->limits) {
        rcl_log_write(RCL_LOG_ERROR, "run: out of memory");
        return -1;
    }
    rcl_agg_limits_init(r->limits);
    return 0;
}

/* ZeroMQ, the ZAP handler, the listeners and the uplink. Returns 0, or -1 having said why. */
static int run_start(struct run *r, const struct rcl_agg_run_options *opt)
{
    r->ctx = zmq_ctx_new();
    if (!r->ctx) {
        rcl_log_write(RCL_LOG_ERROR, "run: cannot create a ZeroMQ context err=%s",
                      rcl_log_value(zmq_strerror(errno)));
        return -1;
    }
    /* Without a ZAP handler a CURVE server admits any key: start it before binding. */
    r->zap = rcl_zap_start(r->ctx, zap_authorize, &r->zl);
    if (!r->zap) {
        rcl_log_write(RCL_LOG_ERROR, "run: cannot start the ZAP handler");
        return -1;
    }
    if (listen_all(r, opt) != 0)
        return -1;
    rcl_retry_init(&r->retry);
    if (r->cfg.has_upstream && uplink_open(r) == 0)
        RCL_INFO("run: forwarding summaries upstream=%s", rcl_log_value(r->cfg.upstream));
    return 0;
}

/* Polls the sources and the uplink until a signal asks to stop: 0, or -1 when polling failed. */
static int run_loop(struct run *r)
{
    while (!stop_requested) {
        zmq_pollitem_t items[2];
        int n = 1, rc;

        memset(items, 0, sizeof(items));
        items[0].socket = r->server;
        items[0].events = ZMQ_POLLIN;
        if (r->up) {
            items[1].socket = rcl_uplink_socket(r->up);
            items[1].events = ZMQ_POLLIN;
            n = 2;
        }
        rc = zmq_poll(items, n, RUN_POLL_MS);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            RCL_ERROR("run: polling failed err=%s", rcl_log_value(zmq_strerror(errno)));
            return -1;
        }
        if (items[0].revents & ZMQ_POLLIN)
            serve(r);
        if (r->up && (items[1].revents & ZMQ_POLLIN) && rcl_uplink_receive(r->up) != 0)
            RCL_ERROR("uplink: recording an acknowledgement failed; will retry");
        uplink_pump(r);
        if (r->cfg.has_upstream)
            uplink_watch(r);
        heartbeat(r);
    }
    RCL_INFO("run: stopping");
    return 0;
}

/* Releases what run_open and run_start acquired, also when they stopped halfway. */
static void run_close(struct run *r)
{
    if (r->listen_recorded)
        rcl_agg_listen_withdraw(r->path);
    /* The listeners read the counters: they stop first. */
    rcl_agg_http_stop(&r->http);
    rcl_agg_http_stop(&r->metrics_http);
    if (r->beat_at && rcl_agg_heartbeat_stop(r->db, (int64_t)time(NULL)) != 0)
        RCL_WARN("run: cannot record the clean stop db=%s", rcl_log_value(r->path));
    if (r->up)
        rcl_uplink_destroy(&r->up);
    if (r->server)
        zmq_close(r->server);
    rcl_zap_stop(&r->zap);
    if (r->ctx)
        zmq_ctx_term(r->ctx);
    rcl_agg_pipeline_destroy(&r->pipeline);
    /* The ZAP thread is gone: its connection can be closed from here. */
    zap_close(&r->zl);
    rcl_db_close(&r->db);
    free(r->limits);
    sodium_memzero(r->sk, sizeof(r->sk));
}

int rcl_agg_run(const char *db_path, const struct rcl_agg_run_options *opt)
{
    struct run r;
    int ret = 1;

    memset(&r, 0, sizeof(r));
    r.started_at = time(NULL);
    rcl_agg_metrics_init(&r.metrics, (int64_t)r.started_at);
    r.path = db_path;
    r.zl.path = db_path;
    stop_requested = 0;
    sqlite_tune();
    if (run_open(&r) == 0 && run_start(&r, opt) == 0 && run_loop(&r) == 0)
        ret = 0;
    run_close(&r);
    return ret;
}

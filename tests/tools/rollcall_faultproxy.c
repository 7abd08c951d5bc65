/*
 * rollcall_faultproxy.c - rollcall-faultproxy, a man in the middle between
 * two tiers that loses, copies, reorders, delays and throttles whole ZeroMQ
 * messages, and cuts every connection now and then, so the tests can show
 * that the sync protocol counts every change exactly once over a bad link.
 *
 *   rollcall-faultproxy --listen EP --upstream EP --upstream-db FILE
 *                       --client-db FILE [--client-db FILE ...] [faults]
 *
 * A byte proxy cannot do this: CURVE would just drop the connection at the
 * first changed byte. So the proxy holds the keys. Toward its clients it is
 * a CURVE server with the upstream's own secret key, so a client keeps its
 * configured upstream key and only its endpoint points here; its ZAP handler
 * admits the clients whose stores it was given. For every client it opens a
 * CURVE client socket of its own to the real upstream with that client's
 * secret key, so the upstream's ZAP handler and its check that a batch comes
 * from the source it is signed by see the real client.
 *
 * On SIGTERM or SIGINT it stops and prints one JSON line of counters on
 * stdout (see rcl_fault_counters_json). Logs go to stderr.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>
#include <zmq.h>

#include "rcl_db.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_transport.h"
#include "rollcall_faultproxy.h"

#define FP_EXIT_OK 0
#define FP_EXIT_FAIL 1
#define FP_EXIT_USAGE 2

#define FP_CLIENTS_MAX 256
#define FP_POLL_MAX_MS 100
#define FP_RECV_BURST 64      /* messages read from one socket before the others get a turn */
#define FP_REBIND_FOR_MS 3000 /* the old listener may take a moment to let go of the port */
#define FP_REBIND_STEP_MS 10
#define FP_BUSY_MS 2000
#define FP_REORDER_MAX_DEFAULT_MS 1000
#define FP_TIME_MAX_MS 3600000 /* an hour: longer than any test could wait */
#define FP_RATE_MAX 1000000000000LL

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};

    nanosleep(&ts, NULL);
}

/* ---- Options ---- */

struct fp_options {
    const char *listen;
    const char *upstream;
    const char *upstream_db;
    const char *client_dbs[FP_CLIENTS_MAX];
    size_t n_client_dbs;
    int64_t cut_every_ms;
    struct rcl_fault_knobs k;
};

enum fp_kind { FP_ENDPOINT, FP_FILE, FP_FILES, FP_PROB, FP_MS, FP_RATE, FP_SEED };

/* The option table drives parsing and the usage text alike. */
static const struct fp_option {
    const char *name;
    enum fp_kind kind;
    const char *value;
    const char *help;
} fp_option_table[] = {
    {"listen", FP_ENDPOINT, "ENDPOINT", "where the clients connect (their upstream endpoint)"},
    {"upstream", FP_ENDPOINT, "ENDPOINT", "the real upstream"},
    {"upstream-db", FP_FILE, "FILE", "the upstream's store: the proxy serves with its key"},
    {"client-db", FP_FILES, "FILE",
     "a downstream node's store (school or aggregator); repeat for each"},
    {"drop", FP_PROB, "P", "lose a message"},
    {"dup", FP_PROB, "P", "send a message twice"},
    {"reorder", FP_PROB, "P", "hold a message back until the next one of its stream has gone"},
    {"reorder-max-ms", FP_MS, "N", "release a held message anyway after N ms (1000)"},
    {"delay-ms", FP_MS, "N", "delay every message by N ms ..."},
    {"jitter-ms", FP_MS, "N", "... plus a uniform 0..N ms"},
    {"cut-every-ms", FP_MS, "N", "close and reopen every connection every N ms, losing the queue"},
    {"rate-bps", FP_RATE, "N", "carry at most N bytes per second in each direction"},
    {"seed", FP_SEED, "N", "seed of the fault draws (1)"},
};

#define FP_N_OPTIONS (sizeof fp_option_table / sizeof fp_option_table[0])

static void usage(FILE *out)
{
    fputs("usage: rollcall-faultproxy --listen ENDPOINT --upstream ENDPOINT --upstream-db FILE\n"
          "                           --client-db FILE [--client-db FILE ...] [faults]\n"
          "\n"
          "Relays whole ZeroMQ messages between rollcall nodes and their upstream, with\n"
          "faults in both directions; prints one JSON line of counters on SIGTERM/SIGINT.\n"
          "P is a probability in 0..1, N a whole number (0 turns a fault off).\n\n",
          out);
    for (size_t i = 0; i < FP_N_OPTIONS; i++) {
        char left[40];

        snprintf(left, sizeof left, "--%s %s", fp_option_table[i].name, fp_option_table[i].value);
        fprintf(out, "  %-22s %s\n", left, fp_option_table[i].help);
    }
}

static int bad_value(const char *opt, const char *text, const char *want)
{
    fprintf(stderr, "rollcall-faultproxy: --%s '%s' must be %s\n", opt, text, want);
    return -1;
}

static int parse_u64(const char *opt, const char *text, uint64_t max, uint64_t *out,
                     const char *want)
{
    char *end = NULL;
    unsigned long long v;

    if (text[0] < '0' || text[0] > '9')
        return bad_value(opt, text, want);
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return bad_value(opt, text, want);
    *out = (uint64_t)v;
    return 0;
}

/* Stores one option's value. Returns 0, or -1 after saying why. */
static int set_option(struct fp_options *o, const struct fp_option *spec, const char *text)
{
    const char *n = spec->name;
    uint64_t v = 0;
    double p;
    char *end = NULL;

    switch (spec->kind) {
    case FP_ENDPOINT:
        if (strncmp(text, "tcp://", 6) != 0)
            return bad_value(n, text, "a tcp://HOST:PORT endpoint");
        *(strcmp(n, "listen") == 0 ? &o->listen : &o->upstream) = text;
        return 0;
    case FP_FILE:
        o->upstream_db = text;
        return 0;
    case FP_FILES:
        if (o->n_client_dbs == FP_CLIENTS_MAX) {
            fprintf(stderr, "rollcall-faultproxy: more than %d --client-db\n", FP_CLIENTS_MAX);
            return -1;
        }
        o->client_dbs[o->n_client_dbs++] = text;
        return 0;
    case FP_PROB:
        errno = 0;
        p = strtod(text, &end);
        if (text[0] == '\0' || *end != '\0' || errno != 0 || !isfinite(p) || p < 0.0 || p > 1.0)
            return bad_value(n, text, "a probability in 0..1");
        if (strcmp(n, "drop") == 0)
            o->k.drop = p;
        else if (strcmp(n, "dup") == 0)
            o->k.dup = p;
        else
            o->k.reorder = p;
        return 0;
    case FP_MS:
        if (parse_u64(n, text, FP_TIME_MAX_MS, &v, "a whole number of ms in 0-3600000") != 0)
            return -1;
        if (strcmp(n, "reorder-max-ms") == 0)
            o->k.reorder_max_ms = (int64_t)v;
        else if (strcmp(n, "delay-ms") == 0)
            o->k.delay_ms = (int64_t)v;
        else if (strcmp(n, "jitter-ms") == 0)
            o->k.jitter_ms = (int64_t)v;
        else
            o->cut_every_ms = (int64_t)v;
        return 0;
    case FP_RATE:
        if (parse_u64(n, text, FP_RATE_MAX, &v, "a whole number of bytes per second") != 0)
            return -1;
        o->k.rate_bps = (int64_t)v;
        return 0;
    case FP_SEED:
        return parse_u64(n, text, UINT64_MAX, &o->k.seed, "a whole number");
    }
    return -1;
}

/* Returns 0 to run, or an exit code (after --help, or a usage error said). */
static int parse_options(int argc, char **argv, struct fp_options *o, bool *done)
{
    memset(o, 0, sizeof *o);
    o->k.seed = 1;
    o->k.reorder_max_ms = FP_REORDER_MAX_DEFAULT_MS;
    *done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        const struct fp_option *spec = NULL;
        size_t len;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            *done = true;
            return FP_EXIT_OK;
        }
        if (strncmp(arg, "--", 2) != 0)
            goto unknown;
        len = strcspn(arg + 2, "=");
        for (size_t j = 0; j < FP_N_OPTIONS; j++) {
            if (strlen(fp_option_table[j].name) == len &&
                strncmp(arg + 2, fp_option_table[j].name, len) == 0)
                spec = &fp_option_table[j];
        }
        if (spec == NULL)
            goto unknown;
        if (arg[2 + len] == '=')
            value = arg + 3 + len;
        else if (i + 1 < argc)
            value = argv[++i];
        else {
            fprintf(stderr, "rollcall-faultproxy: option --%s needs a value\n", spec->name);
            goto usage_error;
        }
        if (set_option(o, spec, value) != 0)
            goto usage_error;
        continue;
    unknown:
        fprintf(stderr, "rollcall-faultproxy: unknown argument '%s'\n", arg);
        goto usage_error;
    }
    if (o->listen == NULL || o->upstream == NULL || o->upstream_db == NULL ||
        o->n_client_dbs == 0) {
        fprintf(stderr, "rollcall-faultproxy: --listen, --upstream, --upstream-db and at least "
                        "one --client-db are required\n");
        goto usage_error;
    }
    return FP_EXIT_OK;

usage_error:
    usage(stderr);
    *done = true;
    return FP_EXIT_USAGE;
}

/* ---- Keys, from the nodes' stores ---- */

struct fp_node {
    char id[RCL_ID_MAX + 1];
    uint8_t pk[RCL_PK_BYTES];
    uint8_t sk[RCL_SK_BYTES];
    uint8_t curve_pk[RCL_CURVE_KEY_BYTES];
    bool has_upstream_key;
    uint8_t upstream_key[RCL_PK_BYTES];
};

/*
 * Reads a node's id (a school's school_id, an aggregator's id) and identity
 * key from the meta table of its store, read-only. Returns 0, or -1 with
 * err ("FILE: reason").
 */
static int node_load(const char *path, struct fp_node *n, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    int rc = -1;

    memset(n, 0, sizeof *n);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot open: %s", path,
                 db != NULL ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(db, FP_BUSY_MS);
    /* Read-write only so that a store in WAL mode opens; this connection never writes. */
    if (sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot make the connection read-only: %s", path,
                 sqlite3_errmsg(db));
        goto out;
    }
    if (rcl_meta_get_text(db, "school_id", n->id, sizeof n->id) != 0 &&
        rcl_meta_get_text(db, "id", n->id, sizeof n->id) != 0) {
        snprintf(err, errlen, "%s: not a rollcall store (meta has no school_id or id)", path);
        goto out;
    }
    if (rcl_meta_get_blob(db, "public_key", n->pk, RCL_PK_BYTES) != 0 ||
        rcl_meta_get_blob(db, "secret_key", n->sk, RCL_SK_BYTES) != 0) {
        snprintf(err, errlen, "%s: meta has no identity key (public_key, secret_key) for %s", path,
                 n->id);
        goto out;
    }
    if (rcl_key_curve_public(n->pk, n->curve_pk) != 0) {
        snprintf(err, errlen, "%s: the identity key of %s has no CURVE form", path, n->id);
        goto out;
    }
    n->has_upstream_key = rcl_meta_get_blob(db, "upstream_key", n->upstream_key, RCL_PK_BYTES) == 0;
    rc = 0;
out:
    if (rc != 0)
        sodium_memzero(n->sk, sizeof n->sk);
    sqlite3_close(db);
    return rc;
}

/* ---- The proxy ---- */

struct fp_client {
    struct fp_node node; /* node.id and node.curve_pk are read by the ZAP thread too: never
                            written after start-up */
    void *up;            /* DEALER to the upstream with this client's key, or NULL */
    uint8_t route[256];  /* routing id of the client's latest connection at the front */
    size_t route_len;    /* 0: none (yet, or since a cut) */
};

struct fp {
    struct fp_options o;
    struct fp_node upstream;
    struct fp_client *clients;
    size_t n_clients;
    void *ctx;
    struct rcl_zap *zap;
    void *front; /* ROUTER the clients connect to, or NULL while it cannot bind */
    struct rcl_fault_sched *sched;
    uint64_t cuts;
    int64_t next_cut;
};

/* Admits a client whose store the proxy was given, under its own id. ZAP thread. */
static int zap_authorize(void *arg, const uint8_t curve_pk[RCL_CURVE_KEY_BYTES],
                         char user_id[RCL_ID_MAX + 1])
{
    const struct fp *p = arg;

    for (size_t i = 0; i < p->n_clients; i++) {
        if (sodium_memcmp(p->clients[i].node.curve_pk, curve_pk, RCL_CURVE_KEY_BYTES) == 0) {
            snprintf(user_id, RCL_ID_MAX + 1, "%s", p->clients[i].node.id);
            return 0;
        }
    }
    RCL_INFO("faultproxy: refused a key that belongs to none of the --client-db stores");
    return -1;
}

static int load_keys(struct fp *p)
{
    char err[512];

    if (node_load(p->o.upstream_db, &p->upstream, err, sizeof err) != 0) {
        fprintf(stderr, "rollcall-faultproxy: --upstream-db %s\n", err);
        return -1;
    }
    p->clients = calloc(p->o.n_client_dbs, sizeof *p->clients);
    if (p->clients == NULL) {
        fprintf(stderr, "rollcall-faultproxy: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < p->o.n_client_dbs; i++) {
        struct fp_node *n = &p->clients[i].node;

        if (node_load(p->o.client_dbs[i], n, err, sizeof err) != 0) {
            fprintf(stderr, "rollcall-faultproxy: --client-db %s\n", err);
            return -1;
        }
        p->n_clients = i + 1;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(p->clients[j].node.id, n->id) == 0) {
                fprintf(stderr, "rollcall-faultproxy: --client-db %s: node %s is given twice\n",
                        p->o.client_dbs[i], n->id);
                return -1;
            }
        }
        if (n->has_upstream_key && memcmp(n->upstream_key, p->upstream.pk, RCL_PK_BYTES) != 0)
            RCL_WARN("faultproxy: a node trusts another upstream key than the upstream's; its "
                     "handshake with this proxy will fail db=%s node=%s upstream=%s",
                     rcl_log_value(p->o.client_dbs[i]), rcl_log_value(n->id),
                     rcl_log_value(p->upstream.id));
    }
    return 0;
}

/* Opens the DEALER of every client that has none. Returns 0, or -1 (logged). */
static int open_upstreams(struct fp *p)
{
    char err[512];

    for (size_t i = 0; i < p->n_clients; i++) {
        struct fp_client *c = &p->clients[i];

        if (c->up != NULL)
            continue;
        c->up = rcl_transport_client_new(p->ctx, p->o.upstream, c->node.sk, p->upstream.pk, NULL,
                                         err, sizeof err);
        if (c->up == NULL) {
            RCL_ERROR("faultproxy: cannot open the upstream socket node=%s err=%s",
                      rcl_log_value(c->node.id), rcl_log_value(err));
            return -1;
        }
    }
    return 0;
}

/*
 * Binds the front ROUTER, retrying for retry_ms: after a cut, the listener
 * just closed may hold the port for a moment. Returns 0; 1 when asked to stop
 * meanwhile (a clean stop, not a failure); or -1 (logged).
 */
static int open_front(struct fp *p, int64_t retry_ms)
{
    char err[512] = "";
    int64_t give_up = now_ms() + retry_ms;
    int mandatory = 1;

    while (p->front == NULL) {
        p->front = rcl_transport_server_new(p->ctx, p->o.listen, p->upstream.sk, err, sizeof err);
        if (p->front != NULL)
            break;
        if (stop_requested)
            return 1;
        if (now_ms() >= give_up) {
            RCL_ERROR("faultproxy: cannot listen endpoint=%s err=%s", rcl_log_value(p->o.listen),
                      rcl_log_value(err));
            return -1;
        }
        sleep_ms(FP_REBIND_STEP_MS);
    }
    /* Mandatory routing: a reply to a client that left is counted as unsent. */
    if (zmq_setsockopt(p->front, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory) != 0)
        RCL_WARN("faultproxy: cannot make routing mandatory endpoint=%s err=%s",
                 rcl_log_value(p->o.listen), rcl_log_value(zmq_strerror(errno)));
    return 0;
}

static void close_sockets(struct fp *p)
{
    if (p->front != NULL)
        zmq_close(p->front);
    p->front = NULL;
    for (size_t i = 0; i < p->n_clients; i++) {
        if (p->clients[i].up != NULL)
            zmq_close(p->clients[i].up);
        p->clients[i].up = NULL;
        p->clients[i].route_len = 0;
    }
}

/*
 * A cut link: every connection closes with whatever it had queued, then opens
 * again. Returns 0, 1 when asked to stop meanwhile, or -1 (logged).
 */
static int cut(struct fp *p, int64_t now)
{
    p->cuts++;
    rcl_fault_cut(p->sched, now);
    close_sockets(p);
    RCL_DEBUG("faultproxy: cut every connection cuts=%" PRIu64, p->cuts);
    if (open_upstreams(p) != 0)
        return -1;
    return open_front(p, FP_REBIND_FOR_MS);
}

/* rcl_fault_send_fn: requests go to the client's upstream socket, replies to its connection. */
static int send_due(void *arg, enum rcl_fault_dir dir, size_t link, const uint8_t *data, size_t len)
{
    struct fp *p = arg;
    struct fp_client *c = &p->clients[link];
    void *socket = dir == RCL_FAULT_REQUEST ? c->up : p->front;

    if (dir == RCL_FAULT_REPLY && c->route_len == 0)
        return -1; /* its connection was cut: nobody to answer */
    if (socket == NULL)
        return 1;
    if (rcl_transport_send(socket, dir == RCL_FAULT_REPLY ? c->route : NULL,
                           dir == RCL_FAULT_REPLY ? c->route_len : 0, data, len) == 0)
        return 0;
    return errno == EAGAIN ? 1 : -1;
}

/* Reads what the clients sent. */
static void read_front(struct fp *p, int64_t now)
{
    for (int i = 0; i < FP_RECV_BURST; i++) {
        struct rcl_transport_message m;
        size_t link = p->n_clients;
        int r = rcl_transport_recv(p->front, 1, &m);

        if (r <= 0) {
            if (r < 0 && errno != EAGAIN && errno != EINTR)
                RCL_WARN("faultproxy: cannot receive endpoint=%s err=%s",
                         rcl_log_value(p->o.listen), rcl_log_value(zmq_strerror(errno)));
            return;
        }
        for (size_t j = 0; j < p->n_clients; j++) {
            if (strcmp(p->clients[j].node.id, m.user_id) == 0)
                link = j;
        }
        if (link == p->n_clients) {
            RCL_WARN("faultproxy: dropped a message from an unknown user id endpoint=%s user=%s",
                     rcl_log_value(p->o.listen), rcl_log_value(m.user_id));
        } else {
            struct fp_client *c = &p->clients[link];

            memcpy(c->route, m.routing_id, m.routing_len);
            c->route_len = m.routing_len;
            rcl_fault_accept(p->sched, RCL_FAULT_REQUEST, link, m.data, m.len, now);
        }
        rcl_transport_message_clear(&m);
    }
}

/* Reads what the upstream answered client `link`. */
static void read_upstream(struct fp *p, size_t link, int64_t now)
{
    for (int i = 0; i < FP_RECV_BURST; i++) {
        struct rcl_transport_message m;
        int r = rcl_transport_recv(p->clients[link].up, 0, &m);

        if (r <= 0) {
            if (r < 0 && errno != EAGAIN && errno != EINTR)
                RCL_WARN("faultproxy: cannot receive endpoint=%s node=%s err=%s",
                         rcl_log_value(p->o.upstream), rcl_log_value(p->clients[link].node.id),
                         rcl_log_value(zmq_strerror(errno)));
            return;
        }
        rcl_fault_accept(p->sched, RCL_FAULT_REPLY, link, m.data, m.len, now);
        rcl_transport_message_clear(&m);
    }
}

/* The loop. Returns 0 when stopped by a signal, -1 on a failure (logged). */
static int relay(struct fp *p)
{
    zmq_pollitem_t *items = calloc(p->n_clients + 1, sizeof *items);
    size_t *item_link = calloc(p->n_clients + 1, sizeof *item_link);
    int rc = -1;

    if (items == NULL || item_link == NULL) {
        RCL_ERROR("faultproxy: out of memory");
        goto out;
    }
    p->next_cut = p->o.cut_every_ms > 0 ? now_ms() + p->o.cut_every_ms : INT64_MAX;
    while (!stop_requested) {
        int64_t now = now_ms();
        int64_t wake = rcl_fault_next_wake(p->sched);
        int n = 0;

        if (p->next_cut < wake)
            wake = p->next_cut;
        if (wake > now + FP_POLL_MAX_MS)
            wake = now + FP_POLL_MAX_MS;
        if (p->front != NULL) {
            items[n] = (zmq_pollitem_t){.socket = p->front, .events = ZMQ_POLLIN};
            item_link[n++] = p->n_clients;
        }
        for (size_t i = 0; i < p->n_clients; i++) {
            if (p->clients[i].up != NULL) {
                items[n] = (zmq_pollitem_t){.socket = p->clients[i].up, .events = ZMQ_POLLIN};
                item_link[n++] = i;
            }
        }
        if (zmq_poll(items, n, wake > now ? (long)(wake - now) : 0) < 0) {
            if (errno == EINTR)
                continue;
            RCL_ERROR("faultproxy: polling failed err=%s", rcl_log_value(zmq_strerror(errno)));
            goto out;
        }
        now = now_ms();
        for (int i = 0; i < n; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            if (item_link[i] == p->n_clients)
                read_front(p, now);
            else
                read_upstream(p, item_link[i], now);
        }
        rcl_fault_release(p->sched, now, send_due, p);
        if (now >= p->next_cut) {
            int cut_rc = cut(p, now);

            if (cut_rc < 0)
                goto out;
            if (cut_rc > 0)
                break; /* a stop asked for while the port was still held */
            p->next_cut += p->o.cut_every_ms;
            if (p->next_cut <= now)
                p->next_cut = now + p->o.cut_every_ms;
        }
    }
    rc = 0;
out:
    free(items);
    free(item_link);
    return rc;
}

static int install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: zmq_poll must return EINTR so the loop sees the flag */
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    struct fp p;
    bool done, relayed = false;
    int rc;
    const char **names = NULL;

    memset(&p, 0, sizeof p);
    rc = parse_options(argc, argv, &p.o, &done);
    if (done)
        return rc;
    rc = FP_EXIT_FAIL;
    rcl_log_init(argv[0]);
    if (rcl_keys_init() != 0 || install_signals() != 0) {
        fprintf(stderr, "rollcall-faultproxy: cannot start libsodium or the signal handlers\n");
        return FP_EXIT_FAIL;
    }
    if (load_keys(&p) != 0)
        goto out;
    names = calloc(p.n_clients, sizeof *names);
    if (names == NULL)
        goto out;
    for (size_t i = 0; i < p.n_clients; i++)
        names[i] = p.clients[i].node.id;
    p.sched = rcl_fault_sched_new(&p.o.k, p.n_clients, names);
    p.ctx = zmq_ctx_new();
    if (p.sched == NULL || p.ctx == NULL) {
        fprintf(stderr, "rollcall-faultproxy: cannot start: out of memory\n");
        goto out;
    }
    /* Without a ZAP handler a CURVE server admits any key: start it before binding. */
    p.zap = rcl_zap_start(p.ctx, zap_authorize, &p);
    if (p.zap == NULL || open_upstreams(&p) != 0 || open_front(&p, 0) != 0)
        goto out;
    RCL_INFO("faultproxy: relaying endpoint=%s upstream=%s upstream_id=%s nodes=%zu drop=%g dup=%g "
             "reorder=%g delay_ms=%" PRId64 "+%" PRId64 " cut_every_ms=%" PRId64
             " rate_bps=%" PRId64 " seed=%" PRIu64,
             rcl_log_value(p.o.listen), rcl_log_value(p.o.upstream), rcl_log_value(p.upstream.id),
             p.n_clients, p.o.k.drop, p.o.k.dup, p.o.k.reorder, p.o.k.delay_ms, p.o.k.jitter_ms,
             p.o.cut_every_ms, p.o.k.rate_bps, p.o.k.seed);
    relayed = true;
    if (relay(&p) != 0)
        goto out;
    rc = FP_EXIT_OK;
    RCL_INFO("faultproxy: stopping cuts=%" PRIu64, p.cuts);
out:
    /* Also after a failure while relaying: what was injected until then still counts. */
    if (relayed) {
        rcl_fault_counters_json(p.sched, p.cuts, stdout);
        fflush(stdout);
    }
    close_sockets(&p);
    rcl_zap_stop(&p.zap);
    if (p.ctx != NULL)
        zmq_ctx_term(p.ctx);
    rcl_fault_sched_destroy(&p.sched);
    free(names);
    sodium_memzero(p.upstream.sk, sizeof p.upstream.sk);
    if (p.clients != NULL) {
        for (size_t i = 0; i < p.o.n_client_dbs; i++)
            sodium_memzero(p.clients[i].node.sk, sizeof p.clients[i].node.sk);
    }
    free(p.clients);
    return rc;
}

/*
 * test_uplink.c - the sender against a fake upstream: a real ROUTER with
 * CURVE and ZAP on loopback, in a thread, applying the receiver's rules
 * (ACK, RESEND on a gap, duplicates acknowledged but not applied). Whatever
 * the upstream loses, delays or refuses, every change ends up applied once
 * and removed from the outbox, or the refusal is surfaced with its reason.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "rcl_codec.h"
#include "rcl_db.h"
#include "rcl_envelope.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_outbox.h"
#include "rcl_test.h"
#include "rcl_transport.h"
#include "rcl_uplink.h"

#define SOURCE "4113810001"
#define WINDOW 4
#define REPLY_TIMEOUT_MS 300
#define DEAF_MS 700

enum mode {
    MODE_ACK,         /* follows the rules */
    MODE_LOSE_FIRST,  /* the first batch vanishes: the next ones draw RESEND */
    MODE_DEAF,        /* ignores everything at first: the sender must time out */
    MODE_SILENT,      /* applies but does not answer at first: resends are duplicates */
    MODE_BUSY_FIRST,  /* answers the first batch BUSY */
    MODE_REFUSE,      /* refuses every batch */
    MODE_ACK_TOO_FAR, /* acknowledges more than was sent */
    MODE_NEWER,       /* a newer upstream that no longer reads this node's protocol */
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- The fake upstream (its own thread; main reads the counters after join) ---- */

struct receiver {
    enum mode mode;
    void *sock;
    pthread_t thread;
    atomic_bool stop;
    uint8_t source_pk[RCL_PK_BYTES];
    int64_t started_ms;

    uint64_t applied_seq;
    uint8_t applied_digest[RCL_DIGEST_BYTES];
    uint64_t last_change_seq;
    unsigned seen, seen_early, applied_batches, applied_records, duplicates, resends, violations;
    char violation[256];
};

static void violation(struct receiver *r, const char *what)
{
    r->violations++;
    snprintf(r->violation, sizeof r->violation, "%s", what);
}

static void reply(struct receiver *r, const struct rcl_transport_message *m,
                  enum rcl_reply_status status, uint64_t acked, const uint8_t *digest,
                  uint64_t resend_from, const char *reason)
{
    struct rcl_reply rep;
    uint8_t *buf = NULL;
    size_t len = 0;

    memset(&rep, 0, sizeof rep);
    rep.status = status;
    snprintf(rep.source, sizeof rep.source, "%s", SOURCE);
    rep.acked_seq = acked;
    if (digest != NULL) {
        rep.has_digest = true;
        memcpy(rep.acked_digest, digest, RCL_DIGEST_BYTES);
    }
    rep.resend_from = resend_from;
    snprintf(rep.reason, sizeof rep.reason, "%s", reason != NULL ? reason : "");
    if (r->mode == MODE_NEWER)
        rep.protocol = RCL_PROTOCOL_VERSION + 1;
    if (rcl_reply_encode(&rep, &buf, &len) != 0) {
        violation(r, "cannot encode reply");
        return;
    }
    rcl_transport_send(r->sock, m->routing_id, m->routing_len, buf, len);
    free(buf);
}

static void handle(struct receiver *r, const struct rcl_transport_message *m)
{
    struct rcl_envelope *env = NULL;
    struct rcl_batch *b = NULL;
    uint8_t digest[RCL_DIGEST_BYTES];
    char err[256];
    bool early = now_ms() - r->started_ms < DEAF_MS;
    uint64_t prev = r->last_change_seq;

    r->seen++;
    if (early)
        r->seen_early++;
    if (strcmp(m->user_id, SOURCE) != 0) {
        violation(r, "message without the ZAP User-Id");
        goto out;
    }
    if (rcl_envelope_decode(m->data, m->len, &env, err, sizeof err) != 0 ||
        rcl_envelope_verify(env, r->source_pk, err, sizeof err) != 0 ||
        rcl_envelope_open_batch(env, &b, err, sizeof err) != 0) {
        violation(r, err);
        reply(r, m, RCL_REPLY_REFUSED, 0, NULL, 0, err);
        goto out;
    }
    rcl_digest(env->payload.data, env->payload.len, digest);

    if ((r->mode == MODE_DEAF && early) || (r->mode == MODE_LOSE_FIRST && r->seen == 1))
        goto out;
    if (r->mode == MODE_REFUSE) {
        reply(r, m, RCL_REPLY_REFUSED, 0, NULL, 0, "epoch 1 not current (2)");
        goto out;
    }
    if (r->mode == MODE_NEWER) {
        reply(r, m, RCL_REPLY_REFUSED, 0, NULL, 0, "protocol version 2 is too old");
        goto out;
    }
    if (r->mode == MODE_BUSY_FIRST && r->seen == 1) {
        reply(r, m, RCL_REPLY_BUSY, 0, NULL, 0, "database is locked");
        goto out;
    }
    if (b->h.last_seq <= r->applied_seq) {
        r->duplicates++;
        reply(r, m, RCL_REPLY_ACK, r->applied_seq, r->applied_seq > 0 ? r->applied_digest : NULL, 0,
              NULL);
        goto out;
    }
    if (b->h.first_seq > r->applied_seq + 1) {
        r->resends++;
        reply(r, m, RCL_REPLY_RESEND, 0, NULL, r->applied_seq + 1, NULL);
        goto out;
    }
    if (b->h.first_seq < r->applied_seq + 1) {
        violation(r, "overlapping batch");
        reply(r, m, RCL_REPLY_REFUSED, 0, NULL, 0, "overlap");
        goto out;
    }
    if (b->h.has_prev != (r->applied_seq > 0) ||
        (b->h.has_prev && memcmp(b->h.prev_digest, r->applied_digest, RCL_DIGEST_BYTES) != 0)) {
        violation(r, "chain break");
        reply(r, m, RCL_REPLY_REFUSED, 0, NULL, 0, "chain break");
        goto out;
    }
    for (size_t i = 0; i < b->n_changes; i++) {
        struct rcl_change c;

        if (rcl_change_decode(b->changes[i].data, b->changes[i].len, &c, err, sizeof err) != 0 ||
            c.seq < b->h.first_seq || c.seq > b->h.last_seq || c.seq <= prev) {
            violation(r, "bad change");
            reply(r, m, RCL_REPLY_REFUSED, 0, NULL, 0, "bad change");
            goto out;
        }
        prev = c.seq;
    }
    r->last_change_seq = prev;
    r->applied_records += (unsigned)b->n_changes;
    r->applied_batches++;
    r->applied_seq = b->h.last_seq;
    memcpy(r->applied_digest, digest, RCL_DIGEST_BYTES);

    if (r->mode == MODE_SILENT && early)
        goto out;
    if (r->mode == MODE_ACK_TOO_FAR) {
        reply(r, m, RCL_REPLY_ACK, r->applied_seq + 1000, NULL, 0, NULL);
        goto out;
    }
    reply(r, m, RCL_REPLY_ACK, r->applied_seq, r->applied_digest, 0, NULL);

out:
    rcl_batch_destroy(&b);
    rcl_envelope_destroy(&env);
}

static void *receiver_main(void *p)
{
    struct receiver *r = p;

    while (!atomic_load(&r->stop)) {
        zmq_pollitem_t it = {r->sock, 0, ZMQ_POLLIN, 0};
        struct rcl_transport_message m;

        if (zmq_poll(&it, 1, 20) < 0)
            break;
        while (rcl_transport_recv(r->sock, 1, &m) == 1) {
            handle(r, &m);
            rcl_transport_message_clear(&m);
        }
    }
    zmq_close(r->sock);
    return NULL;
}

/* ---- The sender's side ---- */

static uint8_t server_pk[RCL_PK_BYTES], server_sk[RCL_SK_BYTES];
static uint8_t node_pk[RCL_PK_BYTES], node_sk[RCL_SK_BYTES];
static uint8_t stranger_pk[RCL_PK_BYTES], stranger_sk[RCL_SK_BYTES];

static int authorize(void *arg, const uint8_t curve_pk[RCL_CURVE_KEY_BYTES],
                     char user_id[RCL_ID_MAX + 1])
{
    const uint8_t *enrolled = arg;

    if (memcmp(curve_pk, enrolled, RCL_CURVE_KEY_BYTES) != 0)
        return -1;
    snprintf(user_id, RCL_ID_MAX + 1, "%s", SOURCE);
    return 0;
}

static sqlite3 *open_store(char *path, size_t pathlen)
{
    static const char *migrations[3];
    char dir[512];
    char err[256];
    sqlite3 *db;

    migrations[0] = RCL_DB_META_SQL;
    migrations[1] = RCL_OUTBOX_SQL;
    migrations[2] = RCL_OUTBOX_SQL_V2;
    if (rcl_test_tmpdir("test_uplink", dir, sizeof dir) != 0)
        return NULL;
    snprintf(path, pathlen, "%s/store.db", dir);
    db = rcl_db_open(path, RCL_DB_CREATE, migrations, 3, err, sizeof err);
    if (db == NULL)
        fprintf(stderr, "open_store: %s\n", err);
    return db;
}

static void remove_store(const char *path)
{
    char p[640];
    char *slash;

    rcl_db_remove_files(path);
    snprintf(p, sizeof p, "%s", path);
    slash = strrchr(p, '/');
    if (slash != NULL) {
        *slash = '\0';
        rmdir(p);
    }
}

/*
 * Fills the outbox: six sealed batches (with some changes coalesced away)
 * and some unsealed changes that the uplink seals itself. Returns the number
 * of changes the upstream must end up applying, or -1.
 */
static int64_t fill(sqlite3 *db)
{
    char entity[32];
    sqlite3_stmt *st;
    int64_t n = -1;

    for (int round = 0; round < 7; round++) {
        if (rcl_db_begin(db) != 0)
            return -1;
        for (int i = 0; i < 30; i++) {
            struct rcl_change c;

            memset(&c, 0, sizeof c);
            c.kind = RCL_CHANGE_SCHOOL;
            snprintf(c.u.school.school_id, sizeof c.u.school.school_id, "%s", SOURCE);
            snprintf(c.u.school.name, sizeof c.u.school.name, "School %d/%d", round, i);
            snprintf(c.u.school.county, sizeof c.u.school.county, "411381");
            /* Every third change repeats an entity of this round: coalesced. */
            snprintf(entity, sizeof entity, "e%d-%d", round, i % 3 == 2 ? i - 1 : i);
            if (rcl_outbox_append(db, entity, &c) != 0) {
                rcl_db_rollback(db);
                return -1;
            }
        }
        if (rcl_db_commit(db) != 0)
            return -1;
        if (round < 6 && rcl_outbox_seal(db, SOURCE, node_pk, node_sk) != 1)
            return -1;
    }
    st = rcl_db_prepare(db, "SELECT count(*) FROM outbox");
    if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

struct outcome {
    enum rcl_uplink_state state;
    char reason[256];
    uint64_t pending_before, pending_after;
    struct rcl_outbox_stats stats;
    int64_t sealed_rows;
    int64_t elapsed_ms;
    struct rcl_uplink_progress progress; /* where the uplink said it was, at the end */
    struct receiver r;
};

/* Runs one sync against a fresh upstream in the given mode until the uplink is
 * idle, refused or refused at the handshake, or time runs out. */
static int run_case(enum mode mode, const uint8_t *node_sk_used, int limit_ms, struct outcome *o)
{
    char path[600];
    char endpoint[256];
    size_t eplen = sizeof endpoint;
    char err[256];
    uint8_t enrolled[RCL_CURVE_KEY_BYTES];
    void *server_ctx = zmq_ctx_new();
    void *client_ctx = zmq_ctx_new();
    struct rcl_zap *zap = NULL;
    struct rcl_uplink *up = NULL;
    struct rcl_uplink_config cfg;
    sqlite3 *db = NULL;
    bool thread_started = false;
    int64_t start, expected;
    int rc = -1;

    memset(o, 0, sizeof *o);
    memset(&cfg, 0, sizeof cfg);
    o->r.mode = mode;
    memcpy(o->r.source_pk, node_pk, RCL_PK_BYTES);
    atomic_init(&o->r.stop, false);

    db = open_store(path, sizeof path);
    if (db == NULL)
        goto out;
    expected = fill(db);
    if (expected <= 0) {
        fprintf(stderr, "run_case: cannot fill the outbox\n");
        goto out;
    }
    o->pending_before = (uint64_t)expected;

    if (rcl_key_curve_public(node_pk, enrolled) != 0)
        goto out;
    zap = rcl_zap_start(server_ctx, authorize, enrolled);
    if (zap == NULL)
        goto out;
    o->r.sock =
        rcl_transport_server_new(server_ctx, "tcp://127.0.0.1:*", server_sk, err, sizeof err);
    if (o->r.sock == NULL) {
        fprintf(stderr, "run_case: %s\n", err);
        goto out;
    }
    if (zmq_getsockopt(o->r.sock, ZMQ_LAST_ENDPOINT, endpoint, &eplen) != 0)
        goto out;
    o->r.started_ms = now_ms();
    if (pthread_create(&o->r.thread, NULL, receiver_main, &o->r) != 0) {
        zmq_close(o->r.sock);
        goto out;
    }
    thread_started = true;

    cfg.source = SOURCE;
    cfg.endpoint = endpoint;
    cfg.pk = node_pk;
    cfg.sk = node_sk_used;
    cfg.server_pk = server_pk;
    cfg.window = WINDOW;
    cfg.reply_timeout_ms = REPLY_TIMEOUT_MS;
    up = rcl_uplink_new(client_ctx, db, &cfg, err, sizeof err);
    if (up == NULL) {
        fprintf(stderr, "run_case: %s\n", err);
        goto out;
    }
    start = now_ms();
    while (now_ms() - start < limit_ms) {
        zmq_pollitem_t it = {rcl_uplink_socket(up), 0, ZMQ_POLLIN, 0};

        zmq_poll(&it, 1, 20);
        if (rcl_uplink_receive(up) != 0 || rcl_uplink_pump(up) != 0)
            goto out;
        o->state = rcl_uplink_state(up);
        if (o->state != RCL_UPLINK_SENDING)
            break;
    }
    o->elapsed_ms = now_ms() - start;
    snprintf(o->reason, sizeof o->reason, "%s", rcl_uplink_reason(up));
    o->pending_after = rcl_uplink_pending(up);
    rcl_uplink_progress(up, &o->progress);
    if (rcl_outbox_stats(db, &o->stats) != 0)
        goto out;
    {
        sqlite3_stmt *st = rcl_db_prepare(db, "SELECT count(*) FROM sealed");

        if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
            o->sealed_rows = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    rc = 0;

out:
    rcl_uplink_destroy(&up);
    if (thread_started) {
        atomic_store(&o->r.stop, true);
        pthread_join(o->r.thread, NULL);
    }
    rcl_zap_stop(&zap);
    zmq_ctx_term(client_ctx);
    zmq_ctx_term(server_ctx);
    if (db != NULL) {
        rcl_db_close(&db);
        remove_store(path);
    }
    return rc;
}

/* Everything applied exactly once, acknowledged and removed. */
static void check_delivered(const char *name, const struct outcome *o)
{
    fprintf(stderr, "%s: state=%d seen=%u applied=%u/%llu duplicates=%u resends=%u %lld ms\n", name,
            (int)o->state, o->r.seen, o->r.applied_records, (unsigned long long)o->pending_before,
            o->r.duplicates, o->r.resends, (long long)o->elapsed_ms);
    CHECK(o->state == RCL_UPLINK_IDLE);
    CHECK(o->r.violations == 0);
    if (o->r.violations != 0)
        fprintf(stderr, "%s: upstream saw: %s\n", name, o->r.violation);
    CHECK(o->r.applied_records == o->pending_before);
    CHECK(o->pending_after == 0);
    CHECK(o->stats.acked_seq == o->stats.last_seq && o->stats.last_seq == 7 * 30);
    CHECK(o->r.applied_seq == o->stats.last_seq);
    CHECK(o->sealed_rows == 0);
    CHECK(o->stats.acked_at > 0);
}

static struct outcome o;

static void test_all_acknowledged(void)
{
    CHECK(run_case(MODE_ACK, node_sk, 15000, &o) == 0);
    check_delivered("ack", &o);
    CHECK(o.r.duplicates == 0 && o.r.resends == 0);
    /* Its progress: linked, everything sent, nothing left in flight. */
    CHECK(o.progress.linked && o.progress.in_flight == 0);
    CHECK(o.progress.sent_through == o.stats.last_seq);
}

static void test_lost_batch_is_resent(void)
{
    CHECK(run_case(MODE_LOSE_FIRST, node_sk, 15000, &o) == 0);
    check_delivered("lose-first", &o);
    CHECK(o.r.resends > 0);
}

static void test_no_reply_times_out(void)
{
    CHECK(run_case(MODE_DEAF, node_sk, 15000, &o) == 0);
    check_delivered("deaf", &o);
    /* Only a window's worth goes out before the first time-out, then the same again. */
    CHECK(o.r.seen_early >= WINDOW && o.r.seen_early % WINDOW == 0);
}

static void test_lost_acks_mean_duplicates(void)
{
    CHECK(run_case(MODE_SILENT, node_sk, 15000, &o) == 0);
    check_delivered("silent", &o);
    CHECK(o.r.duplicates > 0);
}

static void test_busy_backs_off(void)
{
    CHECK(run_case(MODE_BUSY_FIRST, node_sk, 15000, &o) == 0);
    check_delivered("busy-first", &o);
    CHECK(o.elapsed_ms >= 900);
}

static void test_refusal_is_surfaced(void)
{
    CHECK(run_case(MODE_REFUSE, node_sk, 15000, &o) == 0);
    CHECK(o.state == RCL_UPLINK_REFUSED);
    CHECK_STR(o.reason, "epoch 1 not current (2)");
    CHECK(o.pending_after == o.pending_before && o.stats.acked_seq == 0);
}

/* The refusal of a newer upstream names its version and this node's. */
static void test_newer_upstream_names_both_versions(void)
{
    char want[256];

    CHECK(run_case(MODE_NEWER, node_sk, 15000, &o) == 0);
    CHECK(o.state == RCL_UPLINK_REFUSED);
    snprintf(want, sizeof want,
             "the upstream speaks protocol version %u, this node version %u (rollcall %s): "
             "protocol version 2 is too old",
             RCL_PROTOCOL_VERSION + 1, RCL_PROTOCOL_VERSION, RCL_VERSION);
    CHECK_STR(o.reason, want);
    CHECK(o.pending_after == o.pending_before && o.stats.acked_seq == 0);
}

static void test_ack_beyond_sent_is_refused(void)
{
    CHECK(run_case(MODE_ACK_TOO_FAR, node_sk, 15000, &o) == 0);
    CHECK(o.state == RCL_UPLINK_REFUSED);
    CHECK(strstr(o.reason, "acknowledged seq") != NULL);
    CHECK(o.pending_after == o.pending_before && o.stats.acked_seq == 0);
}

/* A key the upstream does not know: refused at the handshake, nothing sent. */
static void test_unknown_key_auth_failed(void)
{
    CHECK(run_case(MODE_ACK, stranger_sk, 10000, &o) == 0);
    CHECK(o.state == RCL_UPLINK_AUTH_FAILED);
    CHECK_STR(o.reason,
              "upstream refused this node's key at the handshake (not enrolled, or revoked)");
    CHECK(o.r.seen == 0 && o.pending_after == o.pending_before);
    /* Never linked: a page showing its progress says it is still connecting. */
    CHECK(!o.progress.linked && o.progress.sent_through == 0);
}

int main(void)
{
    rcl_log_init("test_uplink");
    CHECK(rcl_keys_init() == 0);
    CHECK(rcl_key_generate(server_pk, server_sk) == 0);
    CHECK(rcl_key_generate(node_pk, node_sk) == 0);
    CHECK(rcl_key_generate(stranger_pk, stranger_sk) == 0);
    RCL_TEST_RUN(test_all_acknowledged);
    RCL_TEST_RUN(test_lost_batch_is_resent);
    RCL_TEST_RUN(test_no_reply_times_out);
    RCL_TEST_RUN(test_lost_acks_mean_duplicates);
    RCL_TEST_RUN(test_busy_backs_off);
    RCL_TEST_RUN(test_refusal_is_surfaced);
    RCL_TEST_RUN(test_newer_upstream_names_both_versions);
    RCL_TEST_RUN(test_ack_beyond_sent_is_refused);
    RCL_TEST_RUN(test_unknown_key_auth_failed);
    return RCL_TEST_RESULT();
}

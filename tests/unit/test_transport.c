/*
 * test_transport.c - CURVE over real loopback TCP: an enrolled key gets
 * through with the right User-Id, an unknown key is refused at the handshake
 * (and nothing it sends arrives), a client holding the wrong server key never
 * connects (a handshake failure, not a refused key), and malformed multipart
 * messages are dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_test.h"
#include "rcl_transport.h"

struct enrolled {
    uint8_t curve_pk[RCL_CURVE_KEY_BYTES];
    const char *id;
    int calls;
};

static int authorize(void *arg, const uint8_t curve_pk[RCL_CURVE_KEY_BYTES],
                     char user_id[RCL_ID_MAX + 1])
{
    struct enrolled *e = arg;

    e->calls++;
    if (memcmp(curve_pk, e->curve_pk, RCL_CURVE_KEY_BYTES) != 0)
        return -1;
    snprintf(user_id, RCL_ID_MAX + 1, "%s", e->id);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Waits up to ms for a message on a socket; 1 received, 0 none, -1 error. */
static int recv_within(void *s, int is_router, int ms, struct rcl_transport_message *m)
{
    int64_t deadline = now_ms() + ms;

    for (;;) {
        zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
        int64_t left = deadline - now_ms();
        int r = rcl_transport_recv(s, is_router, m);

        if (r != 0)
            return r;
        if (left <= 0)
            return 0;
        zmq_poll(&it, 1, (long)(left < 50 ? left : 50));
    }
}

/* Keeps trying to send until the (IMMEDIATE) client has a connection. */
static int send_within(void *s, const char *text, int ms)
{
    int64_t deadline = now_ms() + ms;

    while (now_ms() < deadline) {
        if (rcl_transport_send(s, NULL, 0, (const uint8_t *)text, strlen(text)) == 0)
            return 0;
        if (errno != EAGAIN)
            return -1;
        sleep_ms(10);
    }
    return -1;
}

/* ORs monitor bits seen within ms, returning early once want is seen. */
static int events_within(struct rcl_monitor *m, int want, int ms)
{
    int64_t deadline = now_ms() + ms;
    int seen = 0;

    while (now_ms() < deadline) {
        seen |= rcl_monitor_events(m);
        if (seen & want)
            break;
        sleep_ms(10);
    }
    return seen;
}

static void test_curve_admission(void)
{
    uint8_t server_pk[RCL_PK_BYTES], server_sk[RCL_SK_BYTES];
    uint8_t good_pk[RCL_PK_BYTES], good_sk[RCL_SK_BYTES];
    uint8_t bad_pk[RCL_PK_BYTES], bad_sk[RCL_SK_BYTES];
    uint8_t other_pk[RCL_PK_BYTES], other_sk[RCL_SK_BYTES];
    struct enrolled e = {.id = "4113810001"};
    struct rcl_transport_message m;
    char endpoint[256];
    size_t eplen = sizeof endpoint;
    char err[256];
    void *server_ctx = zmq_ctx_new();
    void *client_ctx = zmq_ctx_new();
    struct rcl_zap *zap = NULL;
    void *server = NULL, *good = NULL, *bad = NULL, *blind = NULL, *again = NULL;
    struct rcl_monitor *mon_good = NULL, *mon_bad = NULL, *mon_blind = NULL;
    int ev;

    CHECK(server_ctx != NULL && client_ctx != NULL);
    CHECK(rcl_keys_init() == 0);
    CHECK(rcl_key_generate(server_pk, server_sk) == 0);
    CHECK(rcl_key_generate(good_pk, good_sk) == 0);
    CHECK(rcl_key_generate(bad_pk, bad_sk) == 0);
    CHECK(rcl_key_generate(other_pk, other_sk) == 0);
    CHECK(rcl_key_curve_public(good_pk, e.curve_pk) == 0);

    zap = rcl_zap_start(server_ctx, authorize, &e);
    CHECK(zap != NULL);
    /* Only one ZAP handler per context. */
    CHECK(rcl_zap_start(server_ctx, authorize, &e) == NULL);

    server = rcl_transport_server_new(server_ctx, "tcp://127.0.0.1:*", server_sk, err, sizeof err);
    CHECK(server != NULL);
    if (server == NULL)
        goto out;
    CHECK(zmq_getsockopt(server, ZMQ_LAST_ENDPOINT, endpoint, &eplen) == 0);

    /* A second bind on the same port fails with "endpoint: reason". */
    again = rcl_transport_server_new(server_ctx, endpoint, server_sk, err, sizeof err);
    CHECK(again == NULL);
    CHECK(strncmp(err, endpoint, strlen(endpoint)) == 0 && err[strlen(endpoint)] == ':');

    /* Enrolled key: round trip, User-Id is the source id the handler gave. */
    good = rcl_transport_client_new(client_ctx, endpoint, good_sk, server_pk, &mon_good, err,
                                    sizeof err);
    CHECK(good != NULL && mon_good != NULL);
    if (good == NULL)
        goto out;
    CHECK(send_within(good, "hello", 20000) == 0);
    CHECK(recv_within(server, 1, 20000, &m) == 1);
    CHECK(m.len == 5 && memcmp(m.data, "hello", 5) == 0);
    CHECK(strcmp(m.user_id, "4113810001") == 0);
    CHECK(m.routing_len > 0);
    CHECK(rcl_transport_send(server, m.routing_id, m.routing_len, (const uint8_t *)"ack", 3) == 0);
    rcl_transport_message_clear(&m);
    CHECK(recv_within(good, 0, 20000, &m) == 1);
    CHECK(m.len == 3 && memcmp(m.data, "ack", 3) == 0 && m.routing_len == 0);
    rcl_transport_message_clear(&m);
    ev = events_within(mon_good, RCL_MON_CONNECTED, 20000);
    CHECK(ev & RCL_MON_CONNECTED);
    CHECK(!(ev & RCL_MON_AUTH_FAILED));

    /* A message with an extra frame is dropped; the next one still arrives. */
    CHECK(zmq_send(good, "x", 1, ZMQ_SNDMORE) == 1 && zmq_send(good, "y", 1, 0) == 1);
    CHECK(send_within(good, "after", 20000) == 0);
    CHECK(recv_within(server, 1, 20000, &m) == 1);
    CHECK(m.len == 5 && memcmp(m.data, "after", 5) == 0);
    rcl_transport_message_clear(&m);

    /* Unknown key: refused at the handshake, nothing gets through. */
    bad = rcl_transport_client_new(client_ctx, endpoint, bad_sk, server_pk, &mon_bad, err,
                                   sizeof err);
    CHECK(bad != NULL && mon_bad != NULL);
    if (bad == NULL)
        goto out;
    ev = events_within(mon_bad, RCL_MON_AUTH_FAILED, 20000);
    CHECK(ev & RCL_MON_AUTH_FAILED);
    CHECK(!(ev & RCL_MON_CONNECTED));
    CHECK(send_within(bad, "intruder", 300) == -1); /* never connected: nothing queued */
    CHECK(recv_within(server, 1, 1000, &m) == 0);

    /* Wrong server key: the handshake never completes. */
    blind = rcl_transport_client_new(client_ctx, endpoint, good_sk, other_pk, &mon_blind, err,
                                     sizeof err);
    CHECK(blind != NULL && mon_blind != NULL);
    if (blind == NULL)
        goto out;
    CHECK(send_within(blind, "lost", 1000) == -1);
    ev = events_within(mon_blind, RCL_MON_HANDSHAKE_FAILED, 20000);
    CHECK(ev & RCL_MON_HANDSHAKE_FAILED);
    CHECK(!(ev & RCL_MON_CONNECTED) && !(ev & RCL_MON_AUTH_FAILED));
    CHECK(recv_within(server, 1, 500, &m) == 0);

    /* A bad endpoint is reported with the endpoint named. */
    CHECK(rcl_transport_client_new(client_ctx, "nonsense", good_sk, server_pk, NULL, err,
                                   sizeof err) == NULL);
    CHECK(strncmp(err, "nonsense:", 9) == 0);

out:
    rcl_monitor_destroy(&mon_good);
    rcl_monitor_destroy(&mon_bad);
    rcl_monitor_destroy(&mon_blind);
    if (good != NULL)
        zmq_close(good);
    if (bad != NULL)
        zmq_close(bad);
    if (blind != NULL)
        zmq_close(blind);
    if (server != NULL)
        zmq_close(server);
    rcl_zap_stop(&zap);
    CHECK(zap == NULL);
    zmq_ctx_term(client_ctx);
    zmq_ctx_term(server_ctx);
}

int main(void)
{
    rcl_log_init("test_transport");
    RCL_TEST_RUN(test_curve_admission);
    return RCL_TEST_RESULT();
}

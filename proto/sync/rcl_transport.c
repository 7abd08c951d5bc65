/*
 * rcl_transport.c - ZeroMQ sockets with CURVE, the ZAP handler that admits
 * only enrolled keys, and a monitor that tells a refused key from a dead link.
 *
 * Every socket is used with ZMQ_DONTWAIT: callers run their own poll loop and
 * must never hang on a peer that went away.
 */
#include "rcl_transport.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include "rcl_codec.h"
#include "rcl_log.h"
#include "rcl_platform.h"

/* Room for the largest batch plus the envelope and protobuf framing around it. */
#define RCL_TRANSPORT_MAXMSG ((int64_t)RCL_MESSAGE_BYTES_MAX + 4096)
#define RCL_HEARTBEAT_IVL_MS 5000
#define RCL_HEARTBEAT_TIMEOUT_MS 15000
#define RCL_RECONNECT_IVL_MS 100
#define RCL_RECONNECT_IVL_MAX_MS 5000
#define RCL_SNDHWM 1000
#define RCL_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define RCL_ZAP_FRAMES_MAX 16

/* Gives every inproc endpoint this process makes a name of its own. */
static atomic_uint rcl_transport_serial;

static int set_int(void *s, int option, int value)
{
    return zmq_setsockopt(s, option, &value, sizeof value);
}

/* The options both ends share: no lingering on close, bounded messages,
 * heartbeats so that a peer that vanished without a FIN is noticed. */
static int set_common(void *s)
{
    int64_t maxmsg = RCL_TRANSPORT_MAXMSG;

    if (set_int(s, ZMQ_LINGER, 0) != 0 ||
        zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0 ||
        set_int(s, ZMQ_HEARTBEAT_IVL, RCL_HEARTBEAT_IVL_MS) != 0 ||
        set_int(s, ZMQ_HEARTBEAT_TIMEOUT, RCL_HEARTBEAT_TIMEOUT_MS) != 0 ||
        set_int(s, ZMQ_HEARTBEAT_TTL, RCL_HEARTBEAT_TIMEOUT_MS) != 0 ||
        set_int(s, ZMQ_SNDHWM, RCL_SNDHWM) != 0 || set_int(s, ZMQ_RCVHWM, RCL_SNDHWM) != 0)
        return -1;
    return 0;
}

/*
 * Returns a DEALER connected (asynchronously) to endpoint, or NULL with err.
 * With monitor non-NULL, *monitor watches it from before the connect, so no
 * handshake event (a refusal above all) can come before anyone listens. The
 * caller destroys the monitor, then closes the socket with zmq_close.
 */
void *rcl_transport_client_new(void *ctx, const char *endpoint, const uint8_t sk[RCL_SK_BYTES],
                               const uint8_t server_pk[RCL_PK_BYTES], struct rcl_monitor **monitor,
                               char *err, size_t errlen)
{
    uint8_t curve_sk[RCL_CURVE_KEY_BYTES];
    uint8_t curve_pk[RCL_CURVE_KEY_BYTES];
    uint8_t curve_server[RCL_CURVE_KEY_BYTES];
    void *s = NULL;

    if (monitor != NULL)
        *monitor = NULL;
    /* sk is seed || public key: the public half gives our CURVE public key. */
    if (rcl_key_curve_secret(sk, curve_sk) != 0 ||
        rcl_key_curve_public(sk + RCL_PK_BYTES, curve_pk) != 0) {
        snprintf(err, errlen, "%s: this node's identity key has no CURVE form", endpoint);
        goto fail;
    }
    if (rcl_key_curve_public(server_pk, curve_server) != 0) {
        snprintf(err, errlen, "%s: the upstream key has no CURVE form", endpoint);
        goto fail;
    }
    s = zmq_socket(ctx, ZMQ_DEALER);
    if (s == NULL) {
        snprintf(err, errlen, "%s: cannot create socket: %s", endpoint, zmq_strerror(errno));
        goto fail;
    }
    /* IMMEDIATE: a send fails while no connection is up instead of queueing
     * toward a peer that may never come, so the uplink knows what went out. */
    if (set_common(s) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, curve_server, sizeof curve_server) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, curve_pk, sizeof curve_pk) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, curve_sk, sizeof curve_sk) != 0 ||
        set_int(s, ZMQ_RECONNECT_IVL, RCL_RECONNECT_IVL_MS) != 0 ||
        set_int(s, ZMQ_RECONNECT_IVL_MAX, RCL_RECONNECT_IVL_MAX_MS) != 0 ||
        set_int(s, ZMQ_IMMEDIATE, 1) != 0) {
        snprintf(err, errlen, "%s: cannot set socket options: %s", endpoint, zmq_strerror(errno));
        goto fail;
    }
    if (monitor != NULL && (*monitor = rcl_monitor_new(ctx, s)) == NULL) {
        snprintf(err, errlen, "%s: cannot monitor the connection", endpoint);
        goto fail;
    }
    if (zmq_connect(s, endpoint) != 0) {
        snprintf(err, errlen, "%s: %s", endpoint, zmq_strerror(errno));
        goto fail;
    }
    sodium_memzero(curve_sk, sizeof curve_sk);
    return s;

fail:
    sodium_memzero(curve_sk, sizeof curve_sk);
    if (monitor != NULL)
        rcl_monitor_destroy(monitor);
    if (s != NULL)
        zmq_close(s);
    return NULL;
}

/*
 * Returns a ROUTER bound to endpoint, or NULL with err ("endpoint: reason").
 * The ZAP handler must already run on ctx. The caller closes it with zmq_close.
 */
void *rcl_transport_server_new(void *ctx, const char *endpoint, const uint8_t sk[RCL_SK_BYTES],
                               char *err, size_t errlen)
{
    uint8_t curve_sk[RCL_CURVE_KEY_BYTES];
    void *s = NULL;

    if (rcl_key_curve_secret(sk, curve_sk) != 0) {
        snprintf(err, errlen, "%s: this node's identity key has no CURVE form", endpoint);
        goto fail;
    }
    s = zmq_socket(ctx, ZMQ_ROUTER);
    if (s == NULL) {
        snprintf(err, errlen, "%s: cannot create socket: %s", endpoint, zmq_strerror(errno));
        goto fail;
    }
    /* ROUTER_MANDATORY off: a reply to a peer that left is dropped, not an error. */
    if (set_common(s) != 0 || set_int(s, ZMQ_CURVE_SERVER, 1) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, curve_sk, sizeof curve_sk) != 0 ||
        zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, RCL_ZAP_DOMAIN, strlen(RCL_ZAP_DOMAIN)) != 0 ||
        set_int(s, ZMQ_ROUTER_MANDATORY, 0) != 0) {
        snprintf(err, errlen, "%s: cannot set socket options: %s", endpoint, zmq_strerror(errno));
        goto fail;
    }
    if (zmq_bind(s, endpoint) != 0) {
        snprintf(err, errlen, "%s: %s", endpoint, zmq_strerror(errno));
        goto fail;
    }
    sodium_memzero(curve_sk, sizeof curve_sk);
    return s;

fail:
    sodium_memzero(curve_sk, sizeof curve_sk);
    if (s != NULL)
        zmq_close(s);
    return NULL;
}

int rcl_transport_bound_endpoint(void *socket, char *out, size_t outlen)
{
    size_t len = outlen;

    if (outlen == 0 || zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, out, &len) != 0)
        return -1;
    out[outlen - 1] = '\0';
    return 0;
}

/* Discards the remaining frames of a multipart message. */
static void drain_frames(void *socket)
{
    int more = 1;

    while (more) {
        zmq_msg_t m;

        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, socket, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        more = zmq_msg_more(&m);
        zmq_msg_close(&m);
    }
}

/* ---- ZAP handler (ZeroMQ RFC 27) ---- */

struct rcl_zap {
    struct rcl_thread *thread;
    void *rep;         /* bound to RCL_ZAP_ENDPOINT; used by the thread only */
    void *pipe_thread; /* the thread's end of the stop pipe */
    void *pipe_main;   /* the caller's end */
    rcl_zap_authorize_fn fn;
    void *arg;
};

static bool frame_is(zmq_msg_t *m, const char *s)
{
    size_t n = strlen(s);

    return zmq_msg_size(m) == n && memcmp(zmq_msg_data(m), s, n) == 0;
}

/* Sends the six reply frames; a failure only costs the client its handshake. */
static void zap_reply(void *rep, zmq_msg_t *request_id, const char *code, const char *text,
                      const char *user_id)
{
    const void *id = request_id != NULL ? zmq_msg_data(request_id) : "";
    size_t id_len = request_id != NULL ? zmq_msg_size(request_id) : 0;

    if (zmq_send(rep, "1.0", 3, ZMQ_SNDMORE) < 0 || zmq_send(rep, id, id_len, ZMQ_SNDMORE) < 0 ||
        zmq_send(rep, code, strlen(code), ZMQ_SNDMORE) < 0 ||
        zmq_send(rep, text, strlen(text), ZMQ_SNDMORE) < 0 ||
        zmq_send(rep, user_id, strlen(user_id), ZMQ_SNDMORE) < 0 || zmq_send(rep, "", 0, 0) < 0)
        RCL_WARN("zap: cannot send a reply err=%s", rcl_log_value(zmq_strerror(errno)));
}

/*
 * Reads one request (frames: version, request id, domain, address, identity,
 * mechanism, credentials...) and answers it. Returns -1 only when the socket
 * itself failed (context terminated).
 */
static int zap_serve_one(struct rcl_zap *z)
{
    zmq_msg_t frames[RCL_ZAP_FRAMES_MAX];
    int n = 0;
    int more = 1;
    int rc = 0;
    char user_id[RCL_ID_MAX + 1];

    while (more && n < RCL_ZAP_FRAMES_MAX) {
        zmq_msg_init(&frames[n]);
        if (zmq_msg_recv(&frames[n], z->rep, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&frames[n]);
            /* EAGAIN/EINTR: nothing after all, and REP expects no reply then. */
            rc = errno == EAGAIN || errno == EINTR ? 0 : -1;
            goto out;
        }
        more = zmq_msg_more(&frames[n]);
        n++;
    }
    if (more) {
        /* Far more frames than RFC 27 has: drain the rest, then refuse below. */
        drain_frames(z->rep);
        n = RCL_ZAP_FRAMES_MAX;
    }

    if (n < 6 || !frame_is(&frames[0], "1.0")) {
        RCL_WARN("zap: malformed request refused frames=%d", n);
        zap_reply(z->rep, n >= 2 ? &frames[1] : NULL, "500", "malformed ZAP request", "");
    } else if (!frame_is(&frames[2], RCL_ZAP_DOMAIN)) {
        zap_reply(z->rep, &frames[1], "400", "unknown ZAP domain", "");
    } else if (!frame_is(&frames[5], "CURVE") || n != 7 ||
               zmq_msg_size(&frames[6]) != RCL_CURVE_KEY_BYTES) {
        RCL_WARN("zap: refused a connection without a CURVE key");
        zap_reply(z->rep, &frames[1], "400", "CURVE key required", "");
    } else {
        memset(user_id, 0, sizeof user_id);
        if (z->fn(z->arg, zmq_msg_data(&frames[6]), user_id) == 0) {
            user_id[RCL_ID_MAX] = '\0';
            zap_reply(z->rep, &frames[1], "200", "OK", user_id);
        } else {
            RCL_INFO("zap: refused a key that is not enrolled");
            zap_reply(z->rep, &frames[1], "400", "key not enrolled", "");
        }
    }

out:
    for (int i = 0; i < n; i++)
        zmq_msg_close(&frames[i]);
    return rc;
}

static void *zap_thread(void *p)
{
    struct rcl_zap *z = p;

    for (;;) {
        zmq_pollitem_t items[2] = {{z->rep, 0, ZMQ_POLLIN, 0}, {z->pipe_thread, 0, ZMQ_POLLIN, 0}};

        if (zmq_poll(items, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break; /* context terminated */
        }
        if (items[1].revents & ZMQ_POLLIN)
            break; /* stop requested */
        if ((items[0].revents & ZMQ_POLLIN) && zap_serve_one(z) != 0)
            break;
    }
    zmq_close(z->rep);
    zmq_close(z->pipe_thread);
    return NULL;
}

/*
 * Starts the ZAP handler thread on ctx. The handler is bound before this
 * returns, so a server bound afterwards never runs without it. NULL on
 * failure (logged).
 */
struct rcl_zap *rcl_zap_start(void *ctx, rcl_zap_authorize_fn fn, void *arg)
{
    struct rcl_zap *z = calloc(1, sizeof *z);
    char pipe_ep[80];

    if (z == NULL) {
        RCL_ERROR("zap: out of memory");
        return NULL;
    }
    z->fn = fn;
    z->arg = arg;
    snprintf(pipe_ep, sizeof pipe_ep, "inproc://rcl-zap-stop-%p-%u", (void *)z,
             atomic_fetch_add(&rcl_transport_serial, 1));

    z->rep = zmq_socket(ctx, ZMQ_REP);
    z->pipe_thread = zmq_socket(ctx, ZMQ_PAIR);
    z->pipe_main = zmq_socket(ctx, ZMQ_PAIR);
    if (z->rep == NULL || z->pipe_thread == NULL || z->pipe_main == NULL) {
        RCL_ERROR("zap: cannot create sockets err=%s", rcl_log_value(zmq_strerror(errno)));
        goto fail;
    }
    set_int(z->rep, ZMQ_LINGER, 0);
    set_int(z->pipe_thread, ZMQ_LINGER, 0);
    set_int(z->pipe_main, ZMQ_LINGER, 0);
    if (zmq_bind(z->rep, RCL_ZAP_ENDPOINT) != 0) {
        RCL_ERROR("zap: cannot bind endpoint=%s err=%s", RCL_ZAP_ENDPOINT,
                  rcl_log_value(zmq_strerror(errno)));
        goto fail;
    }
    if (zmq_bind(z->pipe_thread, pipe_ep) != 0 || zmq_connect(z->pipe_main, pipe_ep) != 0) {
        RCL_ERROR("zap: cannot open the pipe endpoint=%s err=%s", pipe_ep,
                  rcl_log_value(zmq_strerror(errno)));
        goto fail;
    }
    /* Starting a thread is a full barrier: handing the two sockets to the thread is allowed. */
    if (rcl_thread_start(&z->thread, zap_thread, z) != 0) {
        RCL_ERROR("zap: cannot start the thread");
        goto fail;
    }
    return z;

fail:
    if (z->rep != NULL)
        zmq_close(z->rep);
    if (z->pipe_thread != NULL)
        zmq_close(z->pipe_thread);
    if (z->pipe_main != NULL)
        zmq_close(z->pipe_main);
    free(z);
    return NULL;
}

/* Stops the thread and frees; *z becomes NULL. Call before zmq_ctx_term. */
void rcl_zap_stop(struct rcl_zap **zp)
{
    struct rcl_zap *z = zp != NULL ? *zp : NULL;

    if (z == NULL)
        return;
    /* The pipe is connected in-process, so this send cannot wait on anything. */
    if (zmq_send(z->pipe_main, "STOP", 4, 0) < 0)
        RCL_WARN("zap: cannot signal stop err=%s", rcl_log_value(zmq_strerror(errno)));
    rcl_thread_join(z->thread);
    zmq_close(z->pipe_main);
    free(z);
    *zp = NULL;
}

/* ---- Monitor ---- */

struct rcl_monitor {
    void *watched;
    void *pair;
};

/*
 * Watches socket's connection events. Create it before the socket connects
 * (rcl_transport_client_new does), and destroy it before closing the socket.
 * NULL on failure (logged).
 */
struct rcl_monitor *rcl_monitor_new(void *ctx, void *socket)
{
    struct rcl_monitor *m = calloc(1, sizeof *m);
    char ep[80];
    int events = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                 ZMQ_EVENT_DISCONNECTED;

    if (m == NULL) {
        RCL_ERROR("monitor: out of memory");
        return NULL;
    }
    snprintf(ep, sizeof ep, "inproc://rcl-monitor-%p-%u", socket,
             atomic_fetch_add(&rcl_transport_serial, 1));
    if (zmq_socket_monitor(socket, ep, events) != 0) {
        RCL_ERROR("monitor: cannot start endpoint=%s err=%s", ep,
                  rcl_log_value(zmq_strerror(errno)));
        goto fail;
    }
    m->watched = socket;
    m->pair = zmq_socket(ctx, ZMQ_PAIR);
    if (m->pair == NULL) {
        RCL_ERROR("monitor: cannot create a socket err=%s", rcl_log_value(zmq_strerror(errno)));
        goto fail;
    }
    set_int(m->pair, ZMQ_LINGER, 0);
    if (zmq_connect(m->pair, ep) != 0) {
        RCL_ERROR("monitor: cannot connect endpoint=%s err=%s", ep,
                  rcl_log_value(zmq_strerror(errno)));
        goto fail;
    }
    return m;

fail:
    if (m->watched != NULL)
        zmq_socket_monitor(m->watched, NULL, 0);
    if (m->pair != NULL)
        zmq_close(m->pair);
    free(m);
    return NULL;
}

/* Maps one libzmq event to our bits. */
static int monitor_bits(uint16_t event)
{
    switch (event) {
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        return RCL_MON_CONNECTED;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        return RCL_MON_AUTH_FAILED;
    case ZMQ_EVENT_DISCONNECTED:
        return RCL_MON_DISCONNECTED;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        return RCL_MON_HANDSHAKE_FAILED;
    default:
        return 0;
    }
}

/* Drains pending events without blocking; returns the RCL_MON_* bits seen since the last call. */
int rcl_monitor_events(struct rcl_monitor *m)
{
    int bits = 0;

    if (m == NULL)
        return 0;
    for (;;) {
        zmq_msg_t msg;
        uint16_t event = 0;
        int more;

        /* Event frame: 16-bit event number, 32-bit value, native byte order. */
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, m->pair, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            break;
        }
        if (zmq_msg_size(&msg) == 6)
            memcpy(&event, zmq_msg_data(&msg), sizeof event);
        more = zmq_msg_more(&msg);
        zmq_msg_close(&msg);
        /* The endpoint frame (and anything unexpected after it) is not needed. */
        while (more) {
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, m->pair, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&msg);
                break;
            }
            more = zmq_msg_more(&msg);
            zmq_msg_close(&msg);
        }
        bits |= monitor_bits(event);
    }
    return bits;
}

/* Stops watching; the watched socket must still be open. *m becomes NULL. */
void rcl_monitor_destroy(struct rcl_monitor **mp)
{
    struct rcl_monitor *m = mp != NULL ? *mp : NULL;

    if (m == NULL)
        return;
    zmq_socket_monitor(m->watched, NULL, 0);
    zmq_close(m->pair);
    free(m);
    *mp = NULL;
}

/* ---- Messages ---- */

/*
 * Sends one frame on a DEALER, or [routing id][frame] on a ROUTER. Returns 0,
 * or -1 with errno (EAGAIN: no connected peer or its queue is full).
 */
int rcl_transport_send(void *socket, const void *routing_id, size_t routing_len,
                       const uint8_t *data, size_t len)
{
    if (routing_id != NULL) {
        if (zmq_send(socket, routing_id, routing_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
            return -1;
    }
    /* ROUTER: once the first frame is queued the rest is accepted atomically. */
    if (zmq_send(socket, data, len, ZMQ_DONTWAIT) < 0)
        return -1;
    return 0;
}

/* One frame into m; FAILED with errno. */
static enum rcl_transport_received recv_frame(void *socket, zmq_msg_t *m)
{
    if (zmq_msg_recv(m, socket, ZMQ_DONTWAIT) >= 0)
        return RCL_TRANSPORT_RECV_GOT;
    return errno == EAGAIN || errno == EINTR ? RCL_TRANSPORT_RECV_NONE : RCL_TRANSPORT_RECV_FAILED;
}

/*
 * Receives without blocking: GOT with msg filled (msg->data is malloc'd; free
 * with rcl_transport_message_clear). Malformed messages are dropped with a
 * warning.
 */
enum rcl_transport_received rcl_transport_recv(void *socket, int is_router,
                                               struct rcl_transport_message *msg)
{
    memset(msg, 0, sizeof *msg);
    for (;;) {
        zmq_msg_t head, data;
        enum rcl_transport_received r;
        const char *uid;
        bool bad = false;

        if (is_router) {
            zmq_msg_init(&head);
            r = recv_frame(socket, &head);
            if (r != RCL_TRANSPORT_RECV_GOT) {
                zmq_msg_close(&head);
                return r;
            }
            if (!zmq_msg_more(&head)) {
                RCL_WARN("transport: dropped a message without a data frame");
                zmq_msg_close(&head);
                continue;
            }
            if (zmq_msg_size(&head) > sizeof msg->routing_id) {
                RCL_WARN("transport: dropped a message with a bad routing id bytes=%zu",
                         zmq_msg_size(&head));
                zmq_msg_close(&head);
                drain_frames(socket);
                continue;
            }
            msg->routing_len = zmq_msg_size(&head);
            memcpy(msg->routing_id, zmq_msg_data(&head), msg->routing_len);
            zmq_msg_close(&head);
        }

        zmq_msg_init(&data);
        r = recv_frame(socket, &data);
        if (r != RCL_TRANSPORT_RECV_GOT) {
            /* The rest of a multipart message is always there once its head is. */
            zmq_msg_close(&data);
            memset(msg, 0, sizeof *msg);
            return r;
        }
        if (zmq_msg_more(&data)) {
            RCL_WARN("transport: dropped a message with extra frames");
            drain_frames(socket);
            bad = true;
        }
        if (!bad && is_router) {
            uid = zmq_msg_gets(&data, "User-Id");
            if (uid != NULL && strlen(uid) <= RCL_ID_MAX)
                memcpy(msg->user_id, uid, strlen(uid) + 1);
        }
        if (!bad) {
            msg->len = zmq_msg_size(&data);
            msg->data = malloc(msg->len > 0 ? msg->len : 1);
            if (msg->data == NULL) {
                RCL_ERROR("transport: out of memory receiving bytes=%zu", msg->len);
                zmq_msg_close(&data);
                memset(msg, 0, sizeof *msg);
                errno = ENOMEM;
                return RCL_TRANSPORT_RECV_FAILED;
            }
            memcpy(msg->data, zmq_msg_data(&data), msg->len);
        }
        zmq_msg_close(&data);
        if (!bad)
            return RCL_TRANSPORT_RECV_GOT;
        memset(msg, 0, sizeof *msg);
    }
}

void rcl_transport_message_clear(struct rcl_transport_message *msg)
{
    if (msg == NULL)
        return;
    free(msg->data);
    memset(msg, 0, sizeof *msg);
}

/*
 * rcl_transport.h - ZeroMQ sockets with CURVE, and the ZAP handler that
 * admits only enrolled keys.
 *
 * A server is a ROUTER bound with CURVE_SERVER and ZAP domain "rollcall";
 * without a ZAP handler a CURVE server admits any key, so the handler must be
 * started (rcl_zap_start) before the server binds. A client is a DEALER with
 * CURVE_SERVERKEY set to the server's identity key in its X25519 form. Both
 * set ZMQ_MAXMSGSIZE, linger 0, and heartbeats so a dead peer is noticed.
 */
#ifndef RCL_TRANSPORT_H
#define RCL_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "rcl_keys.h"
#include "rcl_model.h"

#define RCL_ZAP_DOMAIN "rollcall"

struct rcl_monitor;

/*
 * Returns a DEALER connected (asynchronously) to endpoint, or NULL with err.
 * With monitor non-NULL, *monitor watches it from before the connect.
 */
void *rcl_transport_client_new(void *ctx, const char *endpoint, const uint8_t sk[RCL_SK_BYTES],
                               const uint8_t server_pk[RCL_PK_BYTES], struct rcl_monitor **monitor,
                               char *err, size_t errlen);

/* Returns a ROUTER bound to endpoint, or NULL with err ("endpoint: reason"). */
void *rcl_transport_server_new(void *ctx, const char *endpoint, const uint8_t sk[RCL_SK_BYTES],
                               char *err, size_t errlen);

/*
 * Writes into out the endpoint a server socket really bound (ZeroMQ's last endpoint:
 * the port the system chose for port 0 or *). Returns 0, or -1.
 */
int rcl_transport_bound_endpoint(void *socket, char *out, size_t outlen);

/*
 * Decides whether a client's CURVE key may connect. Runs on the ZAP thread:
 * arg must only be used from there. Returns 0 to admit, with the source id
 * that owns the key written to user_id (delivered with each message as the
 * "User-Id" property); -1 to refuse.
 */
typedef int (*rcl_zap_authorize_fn)(void *arg, const uint8_t curve_pk[RCL_CURVE_KEY_BYTES],
                                    char user_id[RCL_ID_MAX + 1]);

struct rcl_zap;

/* Starts the ZAP handler thread on ctx. NULL on failure. */
struct rcl_zap *rcl_zap_start(void *ctx, rcl_zap_authorize_fn fn, void *arg);
/* Stops the thread and frees; *z becomes NULL. Call before zmq_ctx_term. */
void rcl_zap_stop(struct rcl_zap **z);

/* Events seen on a client socket, as bits. */
enum {
    RCL_MON_CONNECTED = 1 << 0,   /* handshake succeeded */
    RCL_MON_AUTH_FAILED = 1 << 1, /* the server refused our key (ZAP) */
    RCL_MON_DISCONNECTED = 1 << 2,
    RCL_MON_HANDSHAKE_FAILED = 1 << 3, /* other handshake failure, e.g. wrong server key */
};

/* Watches socket's connection events. NULL on failure. */
struct rcl_monitor *rcl_monitor_new(void *ctx, void *socket);
/* Drains pending events without blocking; returns the RCL_MON_* bits seen since the last call. */
int rcl_monitor_events(struct rcl_monitor *m);
void rcl_monitor_destroy(struct rcl_monitor **m);

/*
 * Sends one message (a frame) on a DEALER, or to the peer named by
 * routing_id on a ROUTER (routing_id NULL for a DEALER). Non-blocking:
 * returns 0, or -1 when it could not be queued (errno set).
 */
int rcl_transport_send(void *socket, const void *routing_id, size_t routing_len,
                       const uint8_t *data, size_t len);

/*
 * A received message: on a ROUTER the peer's routing id and the ZAP user id
 * of the connection; the data frame. Free with rcl_transport_message_clear.
 */
struct rcl_transport_message {
    uint8_t routing_id[256];
    size_t routing_len;
    char user_id[RCL_ID_MAX + 1];
    uint8_t *data;
    size_t len;
};

/* What a receive got (the values are the 1/0/-1 of before). */
enum rcl_transport_received {
    RCL_TRANSPORT_RECV_FAILED = -1, /* errno set */
    RCL_TRANSPORT_RECV_NONE = 0,    /* nothing (valid) was waiting */
    RCL_TRANSPORT_RECV_GOT = 1,     /* msg filled */
};

/* Receives without blocking. Malformed multipart messages are dropped. */
enum rcl_transport_received rcl_transport_recv(void *socket, int is_router,
                                               struct rcl_transport_message *msg);
void rcl_transport_message_clear(struct rcl_transport_message *msg);

#endif

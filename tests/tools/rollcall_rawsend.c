/*
 * rollcall_rawsend.c - rollcall-rawsend, a hostile client for the tests:
 * connects to an aggregator over CURVE with the identity key of a given store
 * (school or aggregator), sends the bytes of a file as one message, and
 * prints what happened:
 *
 *   rollcall-rawsend --key-db STORE --endpoint ENDPOINT --server-key KEY --file FILE
 *                    [--timeout SECONDS]
 *
 * or, instead of --file, --probe-protocol N: a probe signed by the store's
 * key whose batch claims protocol version N.
 *
 * One line on stdout, then the exit status:
 *   reply status=ACK|RESEND|REFUSED|BUSY acked_seq=N protocol=N reason=...   0
 *   auth-failed (the server refused this key at the handshake)    4
 *   dropped (the connection closed after the message was sent)    5
 *   no-reply (nothing within the time-out)                        6
 * 1 for a local failure (store, file, socket), 2 for usage.
 *
 * The message is sent once: ZeroMQ would reconnect after a drop, but a
 * message the server discarded is not sent again.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>
#include <zmq.h>

#include "rcl_codec.h"
#include "rcl_db.h"
#include "rcl_envelope.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_transport.h"

enum {
    EXIT_REPLY = 0,
    EXIT_FAIL = 1,
    EXIT_USAGE = 2,
    EXIT_AUTH = 4,
    EXIT_DROPPED = 5,
    EXIT_NONE = 6
};

/* Files over this are not a test we need: the transport limit is about 4 MiB. */
#define RAWSEND_FILE_MAX (64L * 1024 * 1024)

static const char usage[] =
    "usage: rollcall-rawsend --key-db STORE --endpoint ENDPOINT --server-key KEY --file FILE\n"
    "                        [--timeout SECONDS]\n"
    "       rollcall-rawsend ... --probe-protocol N   (instead of --file)\n";

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads one value of a rollcall store's meta into out (at most len bytes). Returns its size or -1.
 */
static int meta_value(sqlite3 *db, const char *key, void *out, int len)
{
    sqlite3_stmt *st = NULL;
    int n = -1;

    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) <= len) {
        n = sqlite3_column_bytes(st, 0);
        memcpy(out, sqlite3_column_blob(st, 0), (size_t)n);
    }
    sqlite3_finalize(st);
    return n;
}

/*
 * A probe from the store's node (its id: a school's school_id, an
 * aggregator's id), signed with its key, claiming protocol version
 * protocol. Returns 0 with *out (malloc'd), or -1 with a message.
 */
static int make_probe(const char *path, const uint8_t sk[RCL_SK_BYTES], uint32_t protocol,
                      uint8_t **out, size_t *len)
{
    sqlite3 *db = NULL;
    struct rcl_batch_header h;
    uint8_t pk[RCL_PK_BYTES], *payload = NULL;
    size_t plen;
    int n, rc = -1;

    memset(&h, 0, sizeof(h));
    db = rcl_db_open_readonly(path, 5000, NULL, 0);
    if (db == NULL)
        goto out;
    n = meta_value(db, "school_id", h.source, RCL_ID_MAX);
    if (n < 0)
        n = meta_value(db, "id", h.source, RCL_ID_MAX);
    if (n <= 0 || meta_value(db, "public_key", pk, RCL_PK_BYTES) != RCL_PK_BYTES)
        goto out;
    h.source[n] = '\0';
    h.protocol = protocol;
    h.epoch = 1;
    h.sent_at = (int64_t)time(NULL);
    randombytes_buf(&h.probe_id, sizeof h.probe_id);
    if (rcl_batch_encode(&h, NULL, 0, &payload, &plen) != 0 ||
        rcl_envelope_seal(h.source, payload, plen, pk, sk, out, len) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "rollcall-rawsend: %s: cannot make a probe from this store\n", path);
    free(payload);
    sqlite3_close(db);
    return rc;
}

/* Reads meta.secret_key of a rollcall store, read-only. Returns 0, or -1 with a message. */
static int load_secret_key(const char *path, uint8_t sk[RCL_SK_BYTES])
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char why[256];
    int rc = -1;

    db = rcl_db_open_readonly(path, 5000, why, sizeof(why));
    if (db == NULL) {
        fprintf(stderr, "rollcall-rawsend: %s: %s\n", path, why);
        goto out;
    }
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'secret_key'", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW || sqlite3_column_bytes(st, 0) != RCL_SK_BYTES) {
        fprintf(stderr, "rollcall-rawsend: %s: no identity key in meta\n", path);
        goto out;
    }
    memcpy(sk, sqlite3_column_blob(st, 0), RCL_SK_BYTES);
    rc = 0;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* Reads a whole file into *out (malloc'd). Returns 0, or -1 with a message. */
static int load_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    long size;
    uint8_t *buf = NULL;

    if (!f) {
        fprintf(stderr, "rollcall-rawsend: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || size > RAWSEND_FILE_MAX ||
        fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "rollcall-rawsend: %s: cannot size the file (at most %ld bytes)\n", path,
                RAWSEND_FILE_MAX);
        fclose(f);
        return -1;
    }
    buf = malloc(size > 0 ? (size_t)size : 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "rollcall-rawsend: %s: read error\n", path);
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    *out = buf;
    *len = (size_t)size;
    return 0;
}

static const char *status_word(enum rcl_reply_status s)
{
    static const char *const words[] = {"ACK", "RESEND", "REFUSED", "BUSY"};

    return (unsigned)s < sizeof(words) / sizeof(words[0]) ? words[s] : "?";
}

/* Connects, sends once, waits for the outcome. Returns an exit status. */
static int exchange(const char *endpoint, const uint8_t sk[RCL_SK_BYTES],
                    const uint8_t server_pk[RCL_PK_BYTES], const uint8_t *data, size_t len,
                    double timeout_s)
{
    char err[256];
    void *ctx = zmq_ctx_new();
    void *s = NULL;
    struct rcl_monitor *mon = NULL;
    double deadline = now_s() + timeout_s;
    int ret = EXIT_FAIL, sent = 0;

    if (!ctx)
        return EXIT_FAIL;
    s = rcl_transport_client_new(ctx, endpoint, sk, server_pk, &mon, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "rollcall-rawsend: %s\n", err);
        goto out;
    }
    while (now_s() < deadline) {
        zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
        int ev = rcl_monitor_events(mon);

        if (ev & RCL_MON_AUTH_FAILED) {
            printf("auth-failed: the server refused this key at the handshake\n");
            ret = EXIT_AUTH;
            goto out;
        }
        if (sent && (ev & RCL_MON_DISCONNECTED)) {
            printf("dropped: the connection closed after %zu bytes were sent\n", len);
            ret = EXIT_DROPPED;
            goto out;
        }
        /* ZMQ_IMMEDIATE: the send is refused (EAGAIN) until the handshake is done. */
        if (!sent && rcl_transport_send(s, NULL, 0, data, len) == 0)
            sent = 1;
        if (zmq_poll(&item, 1, 50) > 0 && (item.revents & ZMQ_POLLIN)) {
            struct rcl_transport_message msg;
            struct rcl_reply r;

            if (rcl_transport_recv(s, 0, &msg) == 1) {
                if (rcl_reply_decode(msg.data, msg.len, &r, err, sizeof(err)) == 0)
                    printf("reply status=%s acked_seq=%llu protocol=%u reason=%s\n",
                           status_word(r.status), (unsigned long long)r.acked_seq, r.protocol,
                           r.reason);
                else
                    printf("reply undecodable: %s\n", err);
                rcl_transport_message_clear(&msg);
                ret = EXIT_REPLY;
                goto out;
            }
        }
    }
    printf("no-reply: nothing within %.0f s (%s)\n", timeout_s, sent ? "sent" : "never connected");
    ret = EXIT_NONE;
out:
    rcl_monitor_destroy(&mon);
    if (s)
        zmq_close(s);
    zmq_ctx_term(ctx);
    return ret;
}

int main(int argc, char **argv)
{
    const char *key_db = NULL, *endpoint = NULL, *server_key = NULL, *file = NULL;
    const char *probe_protocol = NULL;
    double timeout_s = 10;
    uint8_t sk[RCL_SK_BYTES], server_pk[RCL_PK_BYTES];
    uint8_t *data = NULL;
    size_t len = 0;
    int ret, bad = 0;

    for (int i = 1; i < argc && !bad; i += 2) {
        if (i + 1 >= argc)
            bad = 1;
        else if (strcmp(argv[i], "--key-db") == 0)
            key_db = argv[i + 1];
        else if (strcmp(argv[i], "--endpoint") == 0)
            endpoint = argv[i + 1];
        else if (strcmp(argv[i], "--server-key") == 0)
            server_key = argv[i + 1];
        else if (strcmp(argv[i], "--file") == 0)
            file = argv[i + 1];
        else if (strcmp(argv[i], "--probe-protocol") == 0)
            probe_protocol = argv[i + 1];
        else if (strcmp(argv[i], "--timeout") == 0)
            timeout_s = atof(argv[i + 1]);
        else
            bad = 1;
    }
    if (bad || !key_db || !endpoint || !server_key || !file == !probe_protocol || timeout_s <= 0) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    rcl_log_init(argv[0]);
    if (rcl_keys_init() != 0 || rcl_key_from_hex(server_key, server_pk) != 0) {
        fprintf(stderr, "rollcall-rawsend: --server-key '%s' is not a public key\n", server_key);
        return EXIT_USAGE;
    }
    if (load_secret_key(key_db, sk) != 0)
        return EXIT_FAIL;
    if (file ? load_file(file, &data, &len) != 0
             : make_probe(key_db, sk, (uint32_t)strtoul(probe_protocol, NULL, 10), &data, &len) !=
                   0) {
        sodium_memzero(sk, sizeof(sk));
        return EXIT_FAIL;
    }
    ret = exchange(endpoint, sk, server_pk, data, len, timeout_s);
    sodium_memzero(sk, sizeof(sk));
    free(data);
    fflush(stdout);
    return ret;
}

/*
 * bench_send.c - rollcall-bench-send, many schools' first sync from one
 * process, for the county ingest benchmark (bench_ingest.py).
 *
 *   rollcall-bench-send [--window N] [--timeout SECONDS] SCHOOL_STORE...
 *
 * Every store is sealed first (rcl_outbox_seal, as `rollcall-school sync`
 * does) and its signed batches are read into memory, so the timed part is
 * the county's alone: each school gets its own CURVE connection with its own
 * key to the upstream its store names, keeps up to N batches in flight, and
 * counts a batch only when the county acknowledges it. BUSY and RESEND
 * answers send again from the first unacknowledged batch (a duplicate is
 * acknowledged again, never applied twice). The stores are not changed
 * otherwise: acknowledgements are not recorded there.
 *
 * Prints one line of JSON: schools, batches, records (changes), bytes (the
 * envelopes), seconds from the first send to the last acknowledgement, and
 * busy/resend counts. Exit 0 when every batch was acknowledged, 1 otherwise,
 * 2 for usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>
#include <zmq.h>

#include "rcl_codec.h"
#include "rcl_db.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_outbox.h"
#include "rcl_transport.h"

#include "bench_window.h"

#define SEND_WINDOW_DEFAULT 8

static const char usage[] =
    "usage: rollcall-bench-send [--window N] [--timeout SECONDS] SCHOOL_STORE...\n";

struct school {
    char id[RCL_ID_MAX + 1];
    char endpoint[256];
    uint8_t sk[RCL_SK_BYTES];
    uint8_t server_pk[RCL_PK_BYTES];
    struct bench_window w; /* its sealed batches */
    void *sock;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seals what the store holds and reads its batches and keys. 0, or -1 with a message. */
static int school_load(const char *path, struct school *s)
{
    sqlite3 *db = NULL;
    uint8_t pk[RCL_PK_BYTES];
    uint64_t after = 0;
    size_t cap = 0;
    int ret = -1, rc;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "rollcall-bench-send: %s: %s\n", path,
                db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(db, 5000);
    if (rcl_meta_get_text(db, "school_id", s->id, sizeof(s->id)) != 0 ||
        rcl_meta_get_text(db, "upstream", s->endpoint, sizeof(s->endpoint)) != 0 ||
        rcl_meta_get_blob(db, "upstream_key", s->server_pk, RCL_PK_BYTES) != 0 ||
        rcl_meta_get_blob(db, "public_key", pk, RCL_PK_BYTES) != 0 ||
        rcl_meta_get_blob(db, "secret_key", s->sk, RCL_SK_BYTES) != 0) {
        fprintf(stderr, "rollcall-bench-send: %s: not a school store (meta incomplete)\n", path);
        goto out;
    }
    if (rcl_outbox_seal(db, s->id, pk, s->sk) < 0) {
        fprintf(stderr, "rollcall-bench-send: %s: sealing the outbox failed\n", path);
        goto out;
    }
    for (;;) {
        if (s->w.n_batches == cap) {
            struct rcl_sealed *more;

            cap = cap ? cap * 2 : 8;
            more = realloc(s->w.batches, cap * sizeof(*more));
            if (!more) {
                fprintf(stderr, "rollcall-bench-send: out of memory\n");
                goto out;
            }
            s->w.batches = more;
        }
        rc = rcl_outbox_next_sealed(db, after, &s->w.batches[s->w.n_batches]);
        if (rc < 0) {
            fprintf(stderr, "rollcall-bench-send: %s: reading sealed batches failed\n", path);
            goto out;
        }
        if (rc == 0)
            break;
        after = s->w.batches[s->w.n_batches].last_seq;
        s->w.n_batches++;
    }
    ret = 0;
out:
    sqlite3_close(db);
    return ret;
}

int main(int argc, char **argv)
{
    unsigned window = SEND_WINDOW_DEFAULT;
    double timeout_s = 600, t0 = 0, t_end = 0, deadline;
    struct school *schools = NULL;
    zmq_pollitem_t *items = NULL;
    size_t n = 0, done = 0;
    uint64_t records = 0, bytes = 0, batches = 0, retries = 0, refused = 0;
    void *ctx = NULL;
    char err[256];
    int argi = 1, ret = 1;

    while (argi + 1 < argc && strncmp(argv[argi], "--", 2) == 0) {
        if (strcmp(argv[argi], "--window") == 0)
            window = (unsigned)atoi(argv[argi + 1]);
        else if (strcmp(argv[argi], "--timeout") == 0)
            timeout_s = atof(argv[argi + 1]);
        else
            break;
        argi += 2;
    }
    if (argi >= argc || strncmp(argv[argi], "--", 2) == 0 || window == 0 || timeout_s <= 0) {
        fputs(usage, stderr);
        return 2;
    }
    rcl_log_init("rollcall-bench-send");
    if (rcl_keys_init() != 0)
        return 1;
    n = (size_t)(argc - argi);
    schools = calloc(n, sizeof(*schools));
    items = calloc(n, sizeof(*items));
    ctx = zmq_ctx_new();
    if (!schools || !items || !ctx) {
        fprintf(stderr, "rollcall-bench-send: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct school *s = &schools[i];

        if (school_load(argv[argi + (int)i], s) != 0)
            goto out;
        for (size_t b = 0; b < s->w.n_batches; b++) {
            records += s->w.batches[b].last_seq - s->w.batches[b].first_seq + 1;
            bytes += s->w.batches[b].envelope_len;
        }
        batches += s->w.n_batches;
        if (s->w.n_batches == 0)
            done++;
        s->sock =
            rcl_transport_client_new(ctx, s->endpoint, s->sk, s->server_pk, NULL, err, sizeof(err));
        if (!s->sock) {
            fprintf(stderr, "rollcall-bench-send: school %s: %s\n", s->id, err);
            goto out;
        }
        items[i].socket = s->sock;
        items[i].events = ZMQ_POLLIN;
    }
    deadline = now_s() + timeout_s;
    while (done < n) {
        double now = now_s();

        if (now > deadline) {
            fprintf(stderr,
                    "rollcall-bench-send: %zu of %zu schools not acknowledged within %.0f s\n",
                    n - done, n, timeout_s);
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            if (bench_window_send(&schools[i].w, schools[i].sock, window, now) > 0 && t0 == 0)
                t0 = now_s();
        if (zmq_poll(items, (int)n, 50) < 0 && errno != EINTR) {
            fprintf(stderr, "rollcall-bench-send: polling failed: %s\n", zmq_strerror(errno));
            goto out;
        }
        now = now_s();
        for (size_t i = 0; i < n; i++) {
            struct school *s = &schools[i];
            struct rcl_transport_message msg;
            struct rcl_reply r;
            bool was_done = bench_window_done(&s->w);

            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            while (rcl_transport_recv(s->sock, 0, &msg) == 1) {
                if (rcl_reply_decode(msg.data, msg.len, &r, err, sizeof(err)) != 0)
                    fprintf(stderr, "rollcall-bench-send: school %s: bad reply: %s\n", s->id, err);
                else
                    switch (bench_window_reply(&s->w, &r, now)) {
                    case BENCH_REPLY_RETRY:
                        retries++;
                        break;
                    case BENCH_REPLY_REFUSED:
                        fprintf(stderr, "rollcall-bench-send: school %s: batch refused: %s\n",
                                s->id, r.reason);
                        refused++;
                        break;
                    case BENCH_REPLY_ACKED:
                        break;
                    }
                rcl_transport_message_clear(&msg);
            }
            if (!was_done && bench_window_done(&s->w)) {
                done++;
                t_end = now;
            }
        }
    }
    printf("{\"schools\": %zu, \"batches\": %" PRIu64 ", \"records\": %" PRIu64
           ", \"bytes\": %" PRIu64 ", \"seconds\": %.4f, \"retries\": %" PRIu64
           ", \"refused\": %" PRIu64 "}\n",
           n, batches, records, bytes, t_end > t0 ? t_end - t0 : 0.0, retries, refused);
    ret = refused ? 1 : 0;
out:
    for (size_t i = 0; schools && i < n; i++) {
        if (schools[i].sock)
            zmq_close(schools[i].sock);
        for (size_t b = 0; b < schools[i].w.n_batches; b++)
            rcl_sealed_clear(&schools[i].w.batches[b]);
        free(schools[i].w.batches);
        sodium_memzero(schools[i].sk, sizeof(schools[i].sk));
    }
    if (ctx)
        zmq_ctx_term(ctx);
    free(items);
    free(schools);
    return ret;
}

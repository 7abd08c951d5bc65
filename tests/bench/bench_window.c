/*
 * bench_window.c - a school's batches in flight for the benchmark senders
 * (see bench_window.h).
 */
#include "bench_window.h"

#include "rcl_transport.h"

size_t bench_window_send(struct bench_window *w, void *sock, size_t window, double now)
{
    size_t sent = 0;

    /* ZMQ_IMMEDIATE: refused (EAGAIN) until the handshake is done. */
    while (now >= w->resume_at && w->next < w->n_batches && w->next - w->acked < window &&
           rcl_transport_send(sock, NULL, 0, w->batches[w->next].envelope,
                              w->batches[w->next].envelope_len) == 0) {
        w->next++;
        sent++;
    }
    return sent;
}

enum bench_reply bench_window_reply(struct bench_window *w, const struct rcl_reply *r, double now)
{
    switch (r->status) {
    case RCL_REPLY_ACK:
        while (w->acked < w->n_batches && w->batches[w->acked].last_seq <= r->acked_seq)
            w->acked++;
        if (w->next < w->acked)
            w->next = w->acked;
        return BENCH_REPLY_ACKED;
    case RCL_REPLY_BUSY:
        w->resume_at = now + BENCH_BUSY_BACKOFF_S;
        w->next = w->acked;
        return BENCH_REPLY_RETRY;
    case RCL_REPLY_RESEND:
        w->next = w->acked;
        return BENCH_REPLY_RETRY;
    default:
        w->acked = w->next = w->n_batches;
        return BENCH_REPLY_REFUSED;
    }
}

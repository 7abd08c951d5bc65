/*
 * bench_window.h - one school's sealed batches sent as a school's uplink
 * does: up to a window of them in flight, counted only when acknowledged;
 * BUSY and RESEND send again from the first unacknowledged batch (a
 * duplicate is acknowledged again, never applied twice). Shared by the
 * benchmark senders (bench_send.c, bench_schools.c).
 */
#ifndef ROLLCALL_BENCH_WINDOW_H
#define ROLLCALL_BENCH_WINDOW_H

#include <stdbool.h>
#include <stddef.h>

#include "rcl_codec.h"
#include "rcl_outbox.h"

#define BENCH_BUSY_BACKOFF_S 0.2

struct bench_window {
    struct rcl_sealed *batches;
    size_t n_batches;
    size_t next;  /* the next batch to send */
    size_t acked; /* batches acknowledged, in order */
    double resume_at;
};

enum bench_reply { BENCH_REPLY_ACKED, BENCH_REPLY_RETRY, BENCH_REPLY_REFUSED };

/* Sends on sock what the window allows at now; returns how many were sent. */
size_t bench_window_send(struct bench_window *w, void *sock, size_t window, double now);

/* Moves the window by reply r received at now. On a refusal nothing more is sent. */
enum bench_reply bench_window_reply(struct bench_window *w, const struct rcl_reply *r, double now);

static inline bool bench_window_done(const struct bench_window *w)
{
    return w->acked == w->n_batches;
}

#endif

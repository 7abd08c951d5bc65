/*
 * rollcall_faultproxy.h - the fault model of rollcall-faultproxy: what
 * happens to each whole ZeroMQ message on its way through the proxy.
 *
 * Messages travel in streams: one per (link, direction), where a link is one
 * downstream node the proxy relays for, and the directions are its requests
 * (toward the upstream) and the upstream's replies (toward it). Each stream
 * draws from its own pseudo-random generator, seeded from the seed, the
 * link's name and the direction, so the faults a stream sees depend only on
 * the seed and the order of its own messages, not on how other streams
 * interleave with it.
 *
 * The scheduler owns the messages it holds. The caller feeds it what arrives
 * (rcl_fault_accept), lets it hand over what is due (rcl_fault_release), and
 * sleeps until rcl_fault_next_wake.
 */
#ifndef ROLLCALL_FAULTPROXY_H
#define ROLLCALL_FAULTPROXY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum rcl_fault_dir {
    RCL_FAULT_REQUEST, /* downstream node -> upstream */
    RCL_FAULT_REPLY,   /* upstream -> downstream node */
    RCL_FAULT_DIRS
};

/* The knobs. Probabilities are in 0..1; times in milliseconds; 0 turns one off. */
struct rcl_fault_knobs {
    double drop;            /* the message is lost */
    double dup;             /* a second copy follows it */
    double reorder;         /* held back until the next message of its stream has gone */
    int64_t reorder_max_ms; /* a held message goes anyway after this long */
    int64_t delay_ms;       /* every message waits this long ... */
    int64_t jitter_ms;      /* ... plus a uniform draw in 0..jitter_ms */
    int64_t rate_bps;       /* bytes per second per direction (a bottleneck); 0: unlimited */
    uint64_t seed;
};

/* What happened to the messages of one direction. */
struct rcl_fault_counters {
    uint64_t received;     /* messages that reached the proxy */
    uint64_t relayed;      /* messages handed on, copies included */
    uint64_t bytes;        /* bytes of those */
    uint64_t dropped;      /* lost on purpose (--drop) */
    uint64_t duplicated;   /* copies made (--dup) */
    uint64_t held;         /* held back (--reorder), whatever became of them */
    uint64_t reordered;    /* of those, overtaken by the next message of their stream */
    uint64_t delayed;      /* waited more than 0 ms (--delay-ms, --jitter-ms) */
    uint64_t throttled;    /* waited for the bottleneck (--rate-bps) */
    uint64_t lost_in_cuts; /* queued in the proxy when the connections were cut */
    uint64_t unsent;       /* could not be handed on: no connection, or the peer left */
};

/*
 * The caller's way out for a message that is due. Returns 0 when it was
 * queued on a socket, 1 to be asked again shortly (no connection yet, or its
 * queue is full), -1 when it can never be delivered (the peer is gone).
 */
typedef int (*rcl_fault_send_fn)(void *arg, enum rcl_fault_dir dir, size_t link,
                                 const uint8_t *data, size_t len);

struct rcl_fault_sched;

/*
 * A scheduler for n_links links named link_names[i] (the names seed the
 * streams; the array is read only here). NULL when out of memory.
 */
struct rcl_fault_sched *rcl_fault_sched_new(const struct rcl_fault_knobs *knobs, size_t n_links,
                                            const char *const *link_names);
/* Frees every message still held; *s becomes NULL. */
void rcl_fault_sched_destroy(struct rcl_fault_sched **s);

/*
 * Takes a copy of one message that arrived on (dir, link) at now_ms and
 * decides its fate. Returns 0, or -1 when out of memory (the message is then
 * counted as unsent).
 */
int rcl_fault_accept(struct rcl_fault_sched *s, enum rcl_fault_dir dir, size_t link,
                     const uint8_t *data, size_t len, int64_t now_ms);

/* Hands every message due at now_ms to send, in order, and frees those it took. */
void rcl_fault_release(struct rcl_fault_sched *s, int64_t now_ms, rcl_fault_send_fn send,
                       void *arg);

/* When something is next due (absolute ms, the clock of now_ms), or INT64_MAX. */
int64_t rcl_fault_next_wake(const struct rcl_fault_sched *s);

/* The connections were cut: everything queued or held is lost (and counted). */
void rcl_fault_cut(struct rcl_fault_sched *s, int64_t now_ms);

/* The counters of one direction. */
const struct rcl_fault_counters *rcl_fault_counters(const struct rcl_fault_sched *s,
                                                    enum rcl_fault_dir dir);

/*
 * Prints one JSON object on one line: the sums over both directions, "cuts",
 * and "requests" and "replies" with each direction's counters.
 */
void rcl_fault_counters_json(const struct rcl_fault_sched *s, uint64_t cuts, FILE *out);

#endif

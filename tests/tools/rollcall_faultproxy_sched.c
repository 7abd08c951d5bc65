/*
 * rollcall_faultproxy_sched.c - the fault model of rollcall-faultproxy (see
 * rollcall_faultproxy.h): drops, copies, holds back, delays and throttles
 * whole messages, and keeps the counters the tests read.
 *
 * Messages waiting to go are kept in one list sorted by (due time, arrival
 * order), so two messages due at the same moment leave in the order they
 * came, and a message released "after the next one" is given a later order
 * than that one.
 */
#include "rollcall_faultproxy.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_log.h"

/* A message the peer could not take yet is tried again this often, for this long. */
#define FAULT_RETRY_STEP_MS 10
#define FAULT_RETRY_FOR_MS 2000
/* The proxy is a test tool: beyond this much queued, new messages are lost (and counted). */
#define FAULT_QUEUE_BYTES_MAX ((size_t)256 * 1024 * 1024)

struct fault_msg {
    struct fault_msg *next;
    enum rcl_fault_dir dir;
    size_t link;
    uint64_t order;  /* arrival order: breaks ties between equal due times */
    int64_t due_ms;  /* not before this */
    int64_t give_up; /* 0 until the first refused try; then the last moment to retry */
    size_t len;
    uint8_t data[]; /* len bytes */
};

/* One stream: a link in one direction. */
struct fault_stream {
    uint64_t rng;
    struct fault_msg *held; /* held back until the stream's next message (--reorder) */
    int64_t held_until;
};

struct rcl_fault_sched {
    struct rcl_fault_knobs k;
    size_t n_links;
    struct fault_stream *streams; /* n_links * RCL_FAULT_DIRS */
    struct fault_msg *queue;      /* sorted by (due_ms, order) */
    size_t queued_bytes;
    uint64_t next_order;
    int64_t link_free_at[RCL_FAULT_DIRS]; /* the bottleneck is busy until then */
    struct rcl_fault_counters c[RCL_FAULT_DIRS];
};

/* ---- Pseudo-random numbers: splitmix64, one state per stream ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* A uniform draw in [0, 1). */
static double draw(struct fault_stream *st)
{
    return (double)(splitmix64(&st->rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* FNV-1a: turns a link's name into part of its streams' seeds. */
static uint64_t name_hash(const char *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

static struct fault_stream *stream_of(struct rcl_fault_sched *s, enum rcl_fault_dir dir,
                                      size_t link)
{
    return &s->streams[link * RCL_FAULT_DIRS + (size_t)dir];
}

/* ---- Construction ---- */

struct rcl_fault_sched *rcl_fault_sched_new(const struct rcl_fault_knobs *knobs, size_t n_links,
                                            const char *const *link_names)
{
    struct rcl_fault_sched *s = calloc(1, sizeof *s);

    if (s == NULL)
        return NULL;
    s->k = *knobs;
    s->n_links = n_links;
    s->streams = calloc(n_links * RCL_FAULT_DIRS, sizeof *s->streams);
    if (s->streams == NULL) {
        free(s);
        return NULL;
    }
    for (size_t i = 0; i < n_links; i++) {
        for (int d = 0; d < RCL_FAULT_DIRS; d++) {
            uint64_t x = knobs->seed ^ name_hash(link_names[i]) ^ ((uint64_t)(d + 1) << 56);

            /* Two rounds: nearby seeds still give unrelated streams. */
            splitmix64(&x);
            stream_of(s, (enum rcl_fault_dir)d, i)->rng = splitmix64(&x);
        }
    }
    return s;
}

static void free_list(struct fault_msg *m)
{
    while (m != NULL) {
        struct fault_msg *next = m->next;

        free(m);
        m = next;
    }
}

void rcl_fault_sched_destroy(struct rcl_fault_sched **sp)
{
    struct rcl_fault_sched *s = sp != NULL ? *sp : NULL;

    if (s == NULL)
        return;
    free_list(s->queue);
    for (size_t i = 0; i < s->n_links * RCL_FAULT_DIRS; i++)
        free(s->streams[i].held);
    free(s->streams);
    free(s);
    *sp = NULL;
}

/* ---- The queue ---- */

static bool goes_before(const struct fault_msg *a, const struct fault_msg *b)
{
    return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->order < b->order);
}

static void enqueue(struct rcl_fault_sched *s, struct fault_msg *m)
{
    struct fault_msg **at = &s->queue;

    while (*at != NULL && !goes_before(m, *at))
        at = &(*at)->next;
    m->next = *at;
    *at = m;
}

static struct fault_msg *msg_new(struct rcl_fault_sched *s, enum rcl_fault_dir dir, size_t link,
                                 const uint8_t *data, size_t len)
{
    struct fault_msg *m;

    if (s->queued_bytes + len > FAULT_QUEUE_BYTES_MAX)
        return NULL;
    m = malloc(sizeof *m + (len > 0 ? len : 1));
    if (m == NULL)
        return NULL;
    m->next = NULL;
    m->dir = dir;
    m->link = link;
    m->order = s->next_order++;
    m->due_ms = 0;
    m->give_up = 0;
    m->len = len;
    if (len > 0)
        memcpy(m->data, data, len);
    s->queued_bytes += len;
    return m;
}

static void msg_free(struct rcl_fault_sched *s, struct fault_msg *m)
{
    s->queued_bytes -= m->len;
    free(m);
}

/*
 * When a message of len bytes that arrives at now may leave: after the
 * bottleneck has carried it (if --rate-bps), then after its delay. jitter is
 * the stream's draw in [0, 1) for this message.
 */
static int64_t due_time(struct rcl_fault_sched *s, enum rcl_fault_dir dir, size_t len, int64_t now,
                        double jitter)
{
    struct rcl_fault_counters *c = &s->c[dir];
    int64_t at = now;
    int64_t extra = s->k.delay_ms + (int64_t)(jitter * (double)(s->k.jitter_ms + 1));

    if (s->k.rate_bps > 0) {
        int64_t start = now;

        if (s->link_free_at[dir] > now) {
            start = s->link_free_at[dir];
            c->throttled++;
        }
        /* len is bounded by the sockets' maximum message size: no overflow here. */
        s->link_free_at[dir] = start + (int64_t)((uint64_t)len * 1000 / (uint64_t)s->k.rate_bps);
        at = s->link_free_at[dir];
    }
    if (extra > s->k.delay_ms + s->k.jitter_ms)
        extra = s->k.delay_ms + s->k.jitter_ms;
    return at + extra;
}

/* ---- Faults ---- */

int rcl_fault_accept(struct rcl_fault_sched *s, enum rcl_fault_dir dir, size_t link,
                     const uint8_t *data, size_t len, int64_t now_ms)
{
    struct rcl_fault_counters *c = &s->c[dir];
    struct fault_stream *st = stream_of(s, dir, link);
    struct fault_msg *m, *copy = NULL;
    /* Always the same five draws per message, whatever the knobs decide, so
     * one fault never shifts the draws of the next message. */
    double r_drop = draw(st), r_dup = draw(st), r_reorder = draw(st);
    double r_jitter = draw(st), r_jitter_copy = draw(st);

    c->received++;
    if (r_drop < s->k.drop) {
        c->dropped++;
        return 0;
    }
    m = msg_new(s, dir, link, data, len);
    if (m == NULL)
        goto no_room;
    m->due_ms = due_time(s, dir, len, now_ms, r_jitter);
    if (m->due_ms > now_ms)
        c->delayed++;
    if (r_dup < s->k.dup) {
        copy = msg_new(s, dir, link, data, len);
        if (copy == NULL) {
            msg_free(s, m);
            goto no_room;
        }
        copy->due_ms = due_time(s, dir, len, now_ms, r_jitter_copy);
        c->duplicated++;
    }

    if (st->held != NULL) {
        /* This is the message the held one waited for: it goes first. */
        struct fault_msg *h = st->held;

        st->held = NULL;
        enqueue(s, m);
        h->order = s->next_order++;
        if (h->due_ms < m->due_ms)
            h->due_ms = m->due_ms;
        enqueue(s, h);
        c->reordered++;
    } else if (r_reorder < s->k.reorder) {
        c->held++;
        st->held = m;
        st->held_until = now_ms + s->k.reorder_max_ms;
    } else {
        enqueue(s, m);
    }
    if (copy != NULL)
        enqueue(s, copy);
    return 0;

no_room:
    RCL_WARN("faultproxy: no room for a message; lost bytes=%zu link=%zu queued_bytes=%zu", len,
             link, s->queued_bytes);
    c->unsent++;
    return -1;
}

/* Held messages whose next one never came go now, in their place. */
static void release_overdue_held(struct rcl_fault_sched *s, int64_t now_ms)
{
    for (size_t i = 0; i < s->n_links * RCL_FAULT_DIRS; i++) {
        struct fault_stream *st = &s->streams[i];

        if (st->held != NULL && now_ms >= st->held_until) {
            if (st->held->due_ms < now_ms)
                st->held->due_ms = now_ms;
            enqueue(s, st->held);
            st->held = NULL;
        }
    }
}

void rcl_fault_release(struct rcl_fault_sched *s, int64_t now_ms, rcl_fault_send_fn send, void *arg)
{
    struct fault_msg *retry = NULL;

    release_overdue_held(s, now_ms);
    while (s->queue != NULL && s->queue->due_ms <= now_ms) {
        struct fault_msg *m = s->queue;
        struct rcl_fault_counters *c = &s->c[m->dir];
        int r;

        s->queue = m->next;
        m->next = NULL;
        r = send(arg, m->dir, m->link, m->data, m->len);
        if (r == 0) {
            c->relayed++;
            c->bytes += m->len;
            msg_free(s, m);
            continue;
        }
        if (m->give_up == 0)
            m->give_up = now_ms + FAULT_RETRY_FOR_MS;
        if (r < 0 || now_ms >= m->give_up) {
            RCL_DEBUG("faultproxy: a message could not be handed on; lost what=%s link=%zu",
                      m->dir == RCL_FAULT_REQUEST ? "request" : "reply", m->link);
            c->unsent++;
            msg_free(s, m);
            continue;
        }
        /* Put back after this pass, or the loop would meet it again at once. */
        m->due_ms = now_ms + FAULT_RETRY_STEP_MS;
        m->next = retry;
        retry = m;
    }
    while (retry != NULL) {
        struct fault_msg *next = retry->next;

        enqueue(s, retry);
        retry = next;
    }
}

int64_t rcl_fault_next_wake(const struct rcl_fault_sched *s)
{
    int64_t wake = s->queue != NULL ? s->queue->due_ms : INT64_MAX;

    for (size_t i = 0; i < s->n_links * RCL_FAULT_DIRS; i++) {
        if (s->streams[i].held != NULL && s->streams[i].held_until < wake)
            wake = s->streams[i].held_until;
    }
    return wake;
}

void rcl_fault_cut(struct rcl_fault_sched *s, int64_t now_ms)
{
    while (s->queue != NULL) {
        struct fault_msg *m = s->queue;

        s->queue = m->next;
        s->c[m->dir].lost_in_cuts++;
        msg_free(s, m);
    }
    for (size_t i = 0; i < s->n_links * RCL_FAULT_DIRS; i++) {
        struct fault_stream *st = &s->streams[i];

        if (st->held != NULL) {
            s->c[st->held->dir].lost_in_cuts++;
            msg_free(s, st->held);
            st->held = NULL;
        }
    }
    for (int d = 0; d < RCL_FAULT_DIRS; d++)
        s->link_free_at[d] = now_ms;
}

const struct rcl_fault_counters *rcl_fault_counters(const struct rcl_fault_sched *s,
                                                    enum rcl_fault_dir dir)
{
    return &s->c[dir];
}

/* ---- Output ---- */

static void counters_fields(const struct rcl_fault_counters *c, FILE *out)
{
    fprintf(out,
            "\"received\":%" PRIu64 ",\"relayed\":%" PRIu64 ",\"bytes\":%" PRIu64
            ",\"dropped\":%" PRIu64 ",\"duplicated\":%" PRIu64 ",\"held\":%" PRIu64
            ",\"reordered\":%" PRIu64 ",\"delayed\":%" PRIu64 ",\"throttled\":%" PRIu64
            ",\"lost_in_cuts\":%" PRIu64 ",\"unsent\":%" PRIu64,
            c->received, c->relayed, c->bytes, c->dropped, c->duplicated, c->held, c->reordered,
            c->delayed, c->throttled, c->lost_in_cuts, c->unsent);
}

void rcl_fault_counters_json(const struct rcl_fault_sched *s, uint64_t cuts, FILE *out)
{
    const struct rcl_fault_counters *a = &s->c[RCL_FAULT_REQUEST];
    const struct rcl_fault_counters *b = &s->c[RCL_FAULT_REPLY];
    struct rcl_fault_counters sum = {
        .received = a->received + b->received,
        .relayed = a->relayed + b->relayed,
        .bytes = a->bytes + b->bytes,
        .dropped = a->dropped + b->dropped,
        .duplicated = a->duplicated + b->duplicated,
        .held = a->held + b->held,
        .reordered = a->reordered + b->reordered,
        .delayed = a->delayed + b->delayed,
        .throttled = a->throttled + b->throttled,
        .lost_in_cuts = a->lost_in_cuts + b->lost_in_cuts,
        .unsent = a->unsent + b->unsent,
    };

    fputc('{', out);
    counters_fields(&sum, out);
    fprintf(out, ",\"cuts\":%" PRIu64 ",\"requests\":{", cuts);
    counters_fields(a, out);
    fputs("},\"replies\":{", out);
    counters_fields(b, out);
    fputs("}}\n", out);
}

/*
 * bench_schools.c - rollcall-bench-schools, many schools' day-one sync from
 * one process without a store, for the whole-province benchmark
 * (bench_province.py).
 *
 *   rollcall-bench-schools keys [--seed S] PLAN
 *   rollcall-bench-schools send [--seed S] [--in-flight N] [--window N] [--timeout SECONDS] PLAN
 *
 * PLAN has one school a line, "SCHOOL_ID COUNTY STUDENTS ENDPOINT COUNTY_KEY"
 * (blank lines and '#' comments skipped). Each school's identity key is
 * derived from the seed and its id, so `keys` (which prints "SCHOOL_ID KEY"
 * lines, the form `rollcall-agg enroll --from` reads) and a later `send`
 * agree without storing anything.
 *
 * `send` walks the plan with at most N schools in flight (default 64). For
 * each it generates the students (gen_data.c, as rollcall-gen does), takes
 * their pseudonyms with the school's own code (client/pseudonym.c, default
 * key) and builds the batches a freshly initialised and imported school
 * seals: its profile at seq 1, then one change a student, at most
 * RCL_BATCH_RECORDS_MAX changes and about 1 MiB a batch, chained by digest,
 * encoded and signed with the proto library's codec and envelope. It sends
 * them over CURVE to the school's county with up to --window batches
 * unacknowledged, and counts a batch only when the county acknowledges it;
 * BUSY and RESEND send again from the first unacknowledged batch. A school's
 * batches are freed when it is done, so memory holds N schools, not the
 * province.
 *
 * Prints one line of JSON: schools, students, batches, records (changes),
 * bytes (envelopes), seconds from the first send to the last
 * acknowledgement, retries, refused, max_rss_kib (this process's peak
 * resident memory). Exit 0 when every batch was
 * acknowledged, 1 otherwise (refused, time-out, bad plan), 2 for usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/resource.h>

#include <sodium.h>
#include <zmq.h>

#include "gen_data.h"
#include "pseudonym.h"
#include "rcl_codec.h"
#include "rcl_envelope.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_model.h"
#include "rcl_transport.h"

#include "bench_window.h"

#define SCHOOLS_IN_FLIGHT_DEFAULT 64
#define SCHOOLS_WINDOW_DEFAULT 8
#define SCHOOLS_BATCH_BYTES_MAX (1024 * 1024) /* as the school's outbox seals */
#define SCHOOLS_STUDENTS_MAX 100000UL
#define SCHOOLS_ENDPOINT_MAX 255

static const char usage[] =
    "usage: rollcall-bench-schools keys [--seed S] PLAN\n"
    "       rollcall-bench-schools send [--seed S] [--in-flight N] [--window N] "
    "[--timeout SECONDS] PLAN\n"
    "PLAN: one school a line, SCHOOL_ID COUNTY STUDENTS ENDPOINT COUNTY_KEY\n";

/* One line of the plan. */
struct plan_school {
    char id[RCL_SCHOOL_ID_LEN + 1];
    char county[RCL_COUNTY_LEN + 1];
    unsigned long students;
    char endpoint[SCHOOLS_ENDPOINT_MAX + 1];
    uint8_t county_pk[RCL_PK_BYTES];
};

/* A school being sent. */
struct slot {
    const struct plan_school *plan;
    struct bench_window w; /* its sealed batches */
    void *sock;
};

struct totals {
    uint64_t students, batches, records, bytes, retries, refused;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- The plan ---- */

/*
 * Reads the plan at path into *out (malloc'd, the caller frees) and *n.
 * Returns 0, or -1 after printing "PLAN:LINE: reason".
 */
static int plan_read(const char *path, struct plan_school **out, size_t *n)
{
    FILE *f = fopen(path, "r");
    struct plan_school *v = NULL;
    size_t cap = 0, count = 0;
    unsigned long line = 0;
    char buf[1024];
    int ret = -1;

    if (!f) {
        fprintf(stderr, "rollcall-bench-schools: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (fgets(buf, sizeof(buf), f)) {
        char id[64], county[64], endpoint[SCHOOLS_ENDPOINT_MAX + 2], key[128], extra[2];
        unsigned long students;
        struct plan_school *p;
        int k;

        line++;
        if (buf[0] == '#' || strspn(buf, " \t\r\n") == strlen(buf))
            continue;
        k = sscanf(buf, "%63s %63s %lu %256s %127s %1s", id, county, &students, endpoint, key,
                   extra);
        if (k != 5) {
            fprintf(stderr,
                    "rollcall-bench-schools: %s:%lu: expected SCHOOL_ID COUNTY STUDENTS "
                    "ENDPOINT COUNTY_KEY\n",
                    path, line);
            goto out;
        }
        if (!rcl_digits_only(id, RCL_SCHOOL_ID_LEN) || !rcl_digits_only(county, RCL_COUNTY_LEN)) {
            fprintf(stderr,
                    "rollcall-bench-schools: %s:%lu: school '%s' or county '%s' is not a "
                    "10-digit / 6-digit code\n",
                    path, line, id, county);
            goto out;
        }
        if (students == 0 || students > SCHOOLS_STUDENTS_MAX ||
            strlen(endpoint) > SCHOOLS_ENDPOINT_MAX) {
            fprintf(stderr,
                    "rollcall-bench-schools: %s:%lu: students must be 1-%lu and the endpoint "
                    "at most %d characters\n",
                    path, line, SCHOOLS_STUDENTS_MAX, SCHOOLS_ENDPOINT_MAX);
            goto out;
        }
        if (count == cap) {
            struct plan_school *more;

            cap = cap ? cap * 2 : 256;
            more = realloc(v, cap * sizeof(*v));
            if (!more) {
                fprintf(stderr, "rollcall-bench-schools: out of memory\n");
                goto out;
            }
            v = more;
        }
        p = &v[count];
        memset(p, 0, sizeof(*p));
        if (rcl_key_from_hex(key, p->county_pk) != 0) {
            fprintf(stderr, "rollcall-bench-schools: %s:%lu: county key '%s' is not a public key\n",
                    path, line, key);
            goto out;
        }
        memcpy(p->id, id, RCL_SCHOOL_ID_LEN);
        memcpy(p->county, county, RCL_COUNTY_LEN);
        p->students = students;
        strcpy(p->endpoint, endpoint);
        count++;
    }
    if (ferror(f)) {
        fprintf(stderr, "rollcall-bench-schools: %s: reading failed\n", path);
        goto out;
    }
    *out = v;
    *n = count;
    v = NULL;
    ret = 0;
out:
    free(v);
    fclose(f);
    return ret;
}

/* The school's identity key: an Ed25519 pair from BLAKE2b(domain, seed, id). sk: wipe after use. */
static void school_key(uint64_t seed, const char *id, uint8_t pk[RCL_PK_BYTES],
                       uint8_t sk[RCL_SK_BYTES])
{
    static const char domain[] = "rollcall bench school key";
    crypto_generichash_state st;
    uint8_t key_seed[crypto_sign_SEEDBYTES];
    uint8_t seed_le[8];

    for (int i = 0; i < 8; i++)
        seed_le[i] = (uint8_t)(seed >> (8 * i));
    crypto_generichash_init(&st, NULL, 0, sizeof(key_seed));
    crypto_generichash_update(&st, (const uint8_t *)domain, sizeof(domain));
    crypto_generichash_update(&st, seed_le, sizeof(seed_le));
    crypto_generichash_update(&st, (const uint8_t *)id, strlen(id));
    crypto_generichash_final(&st, key_seed, sizeof(key_seed));
    crypto_sign_seed_keypair(pk, sk, key_seed);
    sodium_memzero(key_seed, sizeof(key_seed));
}

/* ---- Building a school's batches ---- */

/* Converts a generated student to the school's record, pseudonym included. 0, or -1. */
static int student_of(const struct rcl_gen_student *g,
                      const uint8_t pkey[RCL_SCHOOL_PSEUDONYM_KEY_BYTES], struct rcl_student *s)
{
    const char *part = g->participation[0] ? g->participation : "active";
    char bad[64];
    int p;

    memset(s, 0, sizeof(*s));
    memcpy(s->id, g->id, RCL_STUDENT_ID_LEN);
    snprintf(s->name, sizeof(s->name), "%s", g->name);
    s->grade = g->grade;
    snprintf(s->class_name, sizeof(s->class_name), "%lu班", g->klass);
    if (rcl_set_parse(rcl_network_names, RCL_NETWORK_COUNT, g->network, &s->network, bad,
                      sizeof(bad)) != 0 ||
        rcl_set_parse(rcl_device_names, RCL_DEVICE_COUNT, g->devices, &s->devices, bad,
                      sizeof(bad)) != 0 ||
        rcl_set_parse(rcl_group_names, RCL_GROUP_COUNT, g->groups, &s->groups, bad, sizeof(bad)) !=
            0 ||
        rcl_measures_parse(g->assistance, s->measures, &s->n_measures, bad, sizeof(bad)) != 0) {
        fprintf(stderr, "rollcall-bench-schools: generated word '%s' is unknown\n", bad);
        return -1;
    }
    p = rcl_name_find(rcl_participation_names, RCL_PARTICIPATION_COUNT, part, strlen(part));
    if (p < 0) {
        fprintf(stderr, "rollcall-bench-schools: generated participation '%s' is unknown\n", part);
        return -1;
    }
    s->participation = (unsigned)p;
    rcl_school_pseudonym(pkey, s->id, s->pseudonym);
    return 0;
}

/* The pending changes of the batch being built (encoded, malloc'd). */
struct pending {
    struct rcl_blob changes[RCL_BATCH_RECORDS_MAX];
    size_t n;
    size_t bytes;
};

static void pending_clear(struct pending *b)
{
    for (size_t i = 0; i < b->n; i++)
        free((void *)b->changes[i].data);
    b->n = 0;
    b->bytes = 0;
}

/*
 * Seals the pending changes as the batch ending at last_seq, chained to
 * *prev (updated), into s->w.batches. 0, or -1 printed.
 */
static int seal_pending(struct slot *s, struct pending *b, uint64_t last_seq, bool *has_prev,
                        uint8_t prev[RCL_DIGEST_BYTES], const uint8_t pk[RCL_PK_BYTES],
                        const uint8_t sk[RCL_SK_BYTES])
{
    struct rcl_batch_header h;
    struct rcl_sealed *more;
    uint8_t *payload = NULL;
    size_t payload_len = 0;
    int ret = -1;

    memset(&h, 0, sizeof(h));
    strcpy(h.source, s->plan->id);
    h.epoch = 1; /* a freshly initialised school */
    h.last_seq = last_seq;
    h.first_seq = last_seq - b->n + 1;
    h.has_prev = *has_prev;
    memcpy(h.prev_digest, prev, RCL_DIGEST_BYTES);
    h.sent_at = (int64_t)time(NULL);
    more = realloc(s->w.batches, (s->w.n_batches + 1) * sizeof(*more));
    if (!more)
        goto out;
    s->w.batches = more;
    if (rcl_batch_encode(&h, b->changes, b->n, &payload, &payload_len) != 0)
        goto out;
    /* As the school's outbox seals: compressed when smaller, digest of the bytes signed. */
    if (rcl_envelope_seal_batch(h.source, payload, payload_len, pk, sk,
                                &s->w.batches[s->w.n_batches].envelope,
                                &s->w.batches[s->w.n_batches].envelope_len, prev) != 0)
        goto out;
    *has_prev = true;
    s->w.batches[s->w.n_batches].last_seq = last_seq;
    s->w.n_batches++;
    pending_clear(b);
    ret = 0;
out:
    if (ret != 0)
        fprintf(stderr, "rollcall-bench-schools: school %s: cannot seal a batch\n", s->plan->id);
    free(payload);
    return ret;
}

/* Appends change c (encoded) to b, sealing b first when c would not fit. 0, or -1 printed. */
static int pending_add(struct slot *s, struct pending *b, const struct rcl_change *c,
                       bool *has_prev, uint8_t prev[RCL_DIGEST_BYTES],
                       const uint8_t pk[RCL_PK_BYTES], const uint8_t sk[RCL_SK_BYTES])
{
    uint8_t *body = NULL;
    size_t len = 0;

    if (rcl_change_encode(c, &body, &len) != 0) {
        fprintf(stderr, "rollcall-bench-schools: school %s: cannot encode change %" PRIu64 "\n",
                s->plan->id, c->seq);
        return -1;
    }
    if (b->n == RCL_BATCH_RECORDS_MAX || (b->n > 0 && b->bytes + len > SCHOOLS_BATCH_BYTES_MAX)) {
        if (seal_pending(s, b, c->seq - 1, has_prev, prev, pk, sk) != 0) {
            free(body);
            return -1;
        }
    }
    b->changes[b->n].data = body;
    b->changes[b->n].len = len;
    b->n++;
    b->bytes += len;
    return 0;
}

/*
 * Generates school p's students and seals what its store would after init
 * and import into s->w.batches. Adds the students, batches, records and bytes
 * to *t. 0, or -1 printed.
 */
static int school_build(struct slot *s, uint64_t seed,
                        const uint8_t pkey[RCL_SCHOOL_PSEUDONYM_KEY_BYTES],
                        uint8_t sk[RCL_SK_BYTES], struct totals *t)
{
    static struct pending b; /* about 32 KiB of pointers: kept off the stack */
    static struct rcl_change c;
    struct rcl_gen_school g;
    struct rcl_gen_student gs;
    uint8_t pk[RCL_PK_BYTES], prev[RCL_DIGEST_BYTES] = {0};
    bool has_prev = false;
    uint64_t seq = 0;
    int ret = -1;

    school_key(seed, s->plan->id, pk, sk);
    if (rcl_gen_school_begin(&g, seed, s->plan->id, s->plan->county, s->plan->students) != 0) {
        fprintf(stderr, "rollcall-bench-schools: out of memory\n");
        return -1;
    }
    memset(&c, 0, sizeof(c));
    c.seq = ++seq;
    c.kind = RCL_CHANGE_SCHOOL;
    strcpy(c.u.school.school_id, s->plan->id);
    snprintf(c.u.school.name, sizeof(c.u.school.name), "模拟学校%s", s->plan->id);
    strcpy(c.u.school.county, s->plan->county);
    if (pending_add(s, &b, &c, &has_prev, prev, pk, sk) != 0)
        goto out;
    for (unsigned long i = 0; i < s->plan->students; i++) {
        if (rcl_gen_student_next(&g, &gs) != 0) {
            fprintf(stderr,
                    "rollcall-bench-schools: school %s: cannot make %lu distinct student ids\n",
                    s->plan->id, s->plan->students);
            goto out;
        }
        memset(&c, 0, sizeof(c));
        c.seq = ++seq;
        c.kind = RCL_CHANGE_STUDENT;
        if (student_of(&gs, pkey, &c.u.student) != 0)
            goto out;
        /* Only the pseudonym leaves a school: the number is blanked as the school does. */
        memset(c.u.student.id, 0, sizeof(c.u.student.id));
        if (pending_add(s, &b, &c, &has_prev, prev, pk, sk) != 0)
            goto out;
    }
    if (b.n > 0 && seal_pending(s, &b, seq, &has_prev, prev, pk, sk) != 0)
        goto out;
    t->students += s->plan->students;
    t->records += seq;
    t->batches += s->w.n_batches;
    for (size_t i = 0; i < s->w.n_batches; i++)
        t->bytes += s->w.batches[i].envelope_len;
    ret = 0;
out:
    pending_clear(&b);
    sodium_memzero(&c, sizeof(c));
    rcl_gen_school_end(&g);
    return ret;
}

static void slot_clear(struct slot *s)
{
    if (s->sock) {
        int zero = 0;

        zmq_setsockopt(s->sock, ZMQ_LINGER, &zero, sizeof(zero));
        zmq_close(s->sock);
    }
    for (size_t i = 0; i < s->w.n_batches; i++)
        free(s->w.batches[i].envelope);
    free(s->w.batches);
    memset(s, 0, sizeof(*s));
}

/* Starts school p in slot s: its batches and its connection. 0, or -1 printed. */
static int slot_start(struct slot *s, void *ctx, const struct plan_school *p, uint64_t seed,
                      const uint8_t pkey[RCL_SCHOOL_PSEUDONYM_KEY_BYTES], struct totals *t)
{
    uint8_t sk[RCL_SK_BYTES];
    char err[256];
    int ret = -1;

    memset(s, 0, sizeof(*s));
    s->plan = p;
    if (school_build(s, seed, pkey, sk, t) != 0)
        goto out;
    s->sock = rcl_transport_client_new(ctx, p->endpoint, sk, p->county_pk, NULL, err, sizeof(err));
    if (!s->sock) {
        fprintf(stderr, "rollcall-bench-schools: school %s: %s\n", p->id, err);
        goto out;
    }
    ret = 0;
out:
    sodium_memzero(sk, sizeof(sk));
    return ret;
}

/* Counts what a reply says for s. */
/* ---- Commands ---- */

static int cmd_keys(const struct plan_school *plan, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t pk[RCL_PK_BYTES], sk[RCL_SK_BYTES];
        char hex[RCL_PK_HEX_LEN + 1];

        school_key(seed, plan[i].id, pk, sk);
        sodium_memzero(sk, sizeof(sk));
        rcl_key_to_hex(pk, hex);
        printf("%s %s\n", plan[i].id, hex);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "rollcall-bench-schools: writing the keys failed: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

static int cmd_send(const struct plan_school *plan, size_t n, uint64_t seed, size_t in_flight,
                    unsigned window, double timeout_s)
{
    uint8_t pkey[RCL_SCHOOL_PSEUDONYM_KEY_BYTES];
    struct slot *slots = calloc(in_flight, sizeof(*slots));
    zmq_pollitem_t *items = calloc(in_flight, sizeof(*items));
    size_t *live = calloc(in_flight, sizeof(*live));
    struct totals t = {0};
    struct rusage ru;
    size_t started = 0, done = 0;
    double t0 = 0, t_end = 0, deadline = now_s() + timeout_s;
    void *ctx = zmq_ctx_new();
    int ret = 1;

    rcl_school_pseudonym_default_key(pkey);
    if (!slots || !items || !live || !ctx) {
        fprintf(stderr, "rollcall-bench-schools: out of memory\n");
        goto out;
    }
    while (done < n) {
        double now = now_s();
        size_t n_live = 0;
        bool waiting = false;

        if (now > deadline) {
            fprintf(stderr,
                    "rollcall-bench-schools: %zu of %zu schools not acknowledged within %.0f s\n",
                    n - done, n, timeout_s);
            goto out;
        }
        for (size_t i = 0; i < in_flight; i++) {
            struct slot *s = &slots[i];

            if (!s->plan && started < n) {
                if (slot_start(s, ctx, &plan[started], seed, pkey, &t) != 0) {
                    slot_clear(s);
                    goto out;
                }
                started++;
            }
            if (!s->plan)
                continue;
            if (bench_window_send(&s->w, s->sock, window, now) > 0 && t0 == 0)
                t0 = now_s();
            if (s->w.next < s->w.n_batches)
                waiting = true;
            items[n_live].socket = s->sock;
            items[n_live].events = ZMQ_POLLIN;
            items[n_live].revents = 0;
            live[n_live++] = i;
        }
        /* A short wait while a handshake or a back-off holds batches back. */
        if (zmq_poll(items, (int)n_live, waiting ? 5 : 100) < 0 && errno != EINTR) {
            fprintf(stderr, "rollcall-bench-schools: polling failed: %s\n", zmq_strerror(errno));
            goto out;
        }
        now = now_s();
        for (size_t k = 0; k < n_live; k++) {
            struct slot *s = &slots[live[k]];
            struct rcl_transport_message msg;
            struct rcl_reply r;
            char err[256];

            if (!(items[k].revents & ZMQ_POLLIN))
                continue;
            while (rcl_transport_recv(s->sock, 0, &msg) == 1) {
                if (rcl_reply_decode(msg.data, msg.len, &r, err, sizeof(err)) != 0)
                    fprintf(stderr, "rollcall-bench-schools: school %s: bad reply: %s\n",
                            s->plan->id, err);
                else
                    switch (bench_window_reply(&s->w, &r, now)) {
                    case BENCH_REPLY_RETRY:
                        t.retries++;
                        break;
                    case BENCH_REPLY_REFUSED:
                        fprintf(stderr, "rollcall-bench-schools: school %s: batch refused: %s\n",
                                s->plan->id, r.reason);
                        t.refused++;
                        break;
                    case BENCH_REPLY_ACKED:
                        break;
                    }
                rcl_transport_message_clear(&msg);
            }
            if (bench_window_done(&s->w)) {
                slot_clear(s);
                done++;
                t_end = now;
            }
        }
    }
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"schools\": %zu, \"students\": %" PRIu64 ", \"batches\": %" PRIu64
           ", \"records\": %" PRIu64 ", \"bytes\": %" PRIu64
           ", \"seconds\": %.4f, \"retries\": %" PRIu64 ", \"refused\": %" PRIu64
           ", \"max_rss_kib\": %ld}\n",
           n, t.students, t.batches, t.records, t.bytes, t_end > t0 ? t_end - t0 : 0.0, t.retries,
           t.refused, ru.ru_maxrss);
    fflush(stdout);
    ret = t.refused ? 1 : 0;
out:
    for (size_t i = 0; slots && i < in_flight; i++)
        slot_clear(&slots[i]);
    if (ctx)
        zmq_ctx_term(ctx);
    sodium_memzero(pkey, sizeof(pkey));
    free(live);
    free(items);
    free(slots);
    return ret;
}

/* Parses a whole unsigned number in [lo, hi] into *out. Returns 0, or -1. */
static int parse_num(const char *text, unsigned long long lo, unsigned long long hi,
                     unsigned long long *out)
{
    char *end = NULL;

    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    *out = strtoull(text, &end, 10);
    return errno == 0 && *end == '\0' && *out >= lo && *out <= hi ? 0 : -1;
}

int main(int argc, char **argv)
{
    unsigned long long seed = 1, in_flight = SCHOOLS_IN_FLIGHT_DEFAULT,
                       window = SCHOOLS_WINDOW_DEFAULT, timeout_s = 7200;
    struct plan_school *plan = NULL;
    size_t n = 0;
    bool send;
    int argi = 2, ret;

    if (argc < 2 || (strcmp(argv[1], "keys") != 0 && strcmp(argv[1], "send") != 0)) {
        fputs(usage, stderr);
        return 2;
    }
    send = strcmp(argv[1], "send") == 0;
    while (argi + 1 < argc && strncmp(argv[argi], "--", 2) == 0) {
        const char *opt = argv[argi], *val = argv[argi + 1];
        int bad;

        if (strcmp(opt, "--seed") == 0)
            bad = parse_num(val, 0, UINT64_MAX, &seed);
        else if (send && strcmp(opt, "--in-flight") == 0)
            bad = parse_num(val, 1, 4096, &in_flight);
        else if (send && strcmp(opt, "--window") == 0)
            bad = parse_num(val, 1, 1024, &window);
        else if (send && strcmp(opt, "--timeout") == 0)
            bad = parse_num(val, 1, 86400 * 7, &timeout_s);
        else {
            fprintf(stderr, "rollcall-bench-schools: unknown option '%s'\n", opt);
            fputs(usage, stderr);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "rollcall-bench-schools: %s '%s' is out of range\n", opt, val);
            return 2;
        }
        argi += 2;
    }
    if (argi + 1 != argc || strncmp(argv[argi], "--", 2) == 0) {
        fputs(usage, stderr);
        return 2;
    }
    rcl_log_init("rollcall-bench-schools");
    if (rcl_keys_init() != 0 || plan_read(argv[argi], &plan, &n) != 0)
        return 1;
    if (send)
        ret = cmd_send(plan, n, seed, (size_t)in_flight, (unsigned)window, (double)timeout_s);
    else
        ret = cmd_keys(plan, n, seed);
    free(plan);
    return ret;
}

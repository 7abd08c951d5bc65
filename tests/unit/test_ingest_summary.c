/*
 * test_ingest_summary.c - a county keeps each school's summary by the
 * changes of every batch (old row out, new row in) rather than recounting
 * the school. After each step of a long mixed sequence -- new students,
 * updates, moves between categories, measures put in place and ended,
 * removals (also of students never held), the same student twice in one
 * batch, replayed batches, groups committed and rolled back, a refused
 * batch inside a group, a new epoch's snapshot and changes after it -- the
 * summary must equal both a recount of the rows and the counts this test
 * keeps on its own from what it sent.
 */
#include "ingest_fixture.h"

#define POOL 24   /* students a school may hold */
#define SCHOOLS 2 /* the second school holds the same pseudonyms, other rows */
#define STEPS 70  /* ordinary batches in epoch 1 */

/* What the test knows a school holds: the students it sent and did not remove. */
struct held {
    bool present[POOL + 1];
    struct rcl_student s[POOL + 1];
};

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

/* xorshift64*: the same sequence on every run. */
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1du) >> 33) % n;
}

/* The rules of DESIGN.md, written out again here: the expected counts of what is held. */
static void expected_totals(const struct held *h, struct rcl_totals *t)
{
    memset(t, 0, sizeof(*t));
    for (int w = 1; w <= POOL; w++) {
        const struct rcl_student *s = &h->s[w];
        bool in_place[RCL_MEASURE_KIND_COUNT] = {false}, any = false;
        bool net_online = s->network & (RCL_BIT(RCL_NET_BROADBAND) | RCL_BIT(RCL_NET_MOBILE));
        bool dev_online = s->devices & (RCL_BIT(RCL_DEV_COMPUTER) | RCL_BIT(RCL_DEV_TABLET) |
                                        RCL_BIT(RCL_DEV_SMARTPHONE));
        bool tv = (s->devices & RCL_BIT(RCL_DEV_TV)) &&
                  (s->network & (RCL_BIT(RCL_NET_CABLE_TV) | RCL_BIT(RCL_NET_BROADBAND)));
        int cond;

        if (!h->present[w])
            continue;
        t->students++;
        cond = net_online && dev_online ? RCL_COND_ONLINE : tv ? RCL_COND_TV_ONLY : RCL_COND_NONE;
        t->condition[cond]++;
        for (size_t i = 0; i < s->n_measures; i++) {
            if (s->measures[i].status == RCL_STATUS_IN_PLACE) {
                in_place[s->measures[i].kind] = true;
                any = true;
            }
        }
        if ((cond == RCL_COND_NONE || s->participation == RCL_PART_ABSENT) && !any)
            t->blind_spots++;
        for (int g = 0; g < RCL_GROUP_COUNT; g++)
            t->groups[g] += (s->groups >> g) & 1;
        for (int k = 0; k < RCL_MEASURE_KIND_COUNT; k++)
            t->measures[k] += in_place[k];
        t->participation[s->participation]++;
    }
}

static bool totals_equal(const struct rcl_totals *a, const struct rcl_totals *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

/* A student change of pseudonym w with random fields: any category it may move to. */
static void add_random_student(struct batch *b, uint64_t seq, int w)
{
    struct rcl_change *c = &b->changes[b->n++];
    struct rcl_student *s = &c->u.student;

    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_STUDENT;
    memset(s->pseudonym, w, RCL_PSEUDONYM_BYTES);
    snprintf(s->name, sizeof(s->name), "学生%d", w);
    s->grade = 1 + rnd(12);
    snprintf(s->class_name, sizeof(s->class_name), "%u-1", s->grade);
    s->network = rnd(1u << RCL_NETWORK_COUNT);
    s->devices = rnd(1u << RCL_DEVICE_COUNT);
    s->groups = rnd(1u << RCL_GROUP_COUNT);
    s->participation = rnd(RCL_PARTICIPATION_COUNT);
    s->n_measures = rnd(4);
    for (size_t i = 0; i < s->n_measures; i++) {
        s->measures[i].kind = (uint8_t)rnd(RCL_MEASURE_KIND_COUNT);
        s->measures[i].status = (uint8_t)rnd(RCL_STATUS_COUNT);
    }
}

/* What b does to h once applied (in order: the same student twice ends as the second). */
static void model_apply(struct held *h, const struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        const struct rcl_change *c = &b->changes[i];

        if (c->kind == RCL_CHANGE_STUDENT) {
            h->present[c->u.student.pseudonym[0]] = true;
            h->s[c->u.student.pseudonym[0]] = c->u.student;
        } else if (c->kind == RCL_CHANGE_REMOVED) {
            h->present[c->u.removed.pseudonym[0]] = false;
        }
    }
}

/* One school as the test drives it: its key, chain and what it holds. */
struct school_run {
    const char *id;
    struct node key;
    uint64_t epoch, seq;
    uint8_t digest[RCL_DIGEST_BYTES];
    bool has_digest;
    struct held held;
};

/* A random ordinary batch of 1..7 changes, the seqs following the school's chain. */
static void random_batch(struct school_run *sr, struct batch *b)
{
    int n = 1 + (int)rnd(7);

    memset(b, 0, sizeof(*b));
    for (int i = 0; i < n; i++) {
        uint32_t pick = rnd(100);
        int w = 1 + (int)rnd(POOL);

        if (pick < 12 && b->n > 0 && b->changes[b->n - 1].kind == RCL_CHANGE_STUDENT)
            w = b->changes[b->n - 1].u.student.pseudonym[0]; /* the same student again */
        if (pick < 70) {
            add_random_student(b, sr->seq + b->n + 1, w);
        } else {
            add_removed(b, sr->seq + b->n + 1, w); /* held or not */
        }
    }
}

/* Seals b as sr's next batch. digest receives its digest. Returns the envelope. */
static uint8_t *seal_next(const struct school_run *sr, const struct batch *b, size_t *len,
                          uint8_t digest[RCL_DIGEST_BYTES])
{
    return seal(sr->id, sr->epoch, sr->seq + 1, sr->seq + b->n, sr->has_digest ? sr->digest : NULL,
                b, NULL, &sr->key, len, digest);
}

/* The batch was applied: the chain moves on and the model follows. */
static void advance(struct school_run *sr, const struct batch *b,
                    const uint8_t digest[RCL_DIGEST_BYTES])
{
    sr->seq += b->n;
    memcpy(sr->digest, digest, RCL_DIGEST_BYTES);
    sr->has_digest = true;
    model_apply(&sr->held, b);
}

/* The summary held for sr equals a recount of its rows and the test's own counts. */
static void check_summary(sqlite3 *db, const struct school_run *sr, int step)
{
    struct rcl_summary sum;
    struct rcl_totals recount, expected;
    int64_t rows;
    char sql[200];

    expected_totals(&sr->held, &expected);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM students WHERE school_id = '%s'", sr->id);
    rows = query_int(db, sql);
    CHECK(rcl_agg_summary_get(db, sr->id, &sum, NULL) == 1);
    CHECK(rcl_agg_summary_recompute(db, sr->id, &recount) == 0);
    if (!totals_equal(&sum.totals, &recount) || !totals_equal(&sum.totals, &expected) ||
        rows != (int64_t)expected.students) {
        fprintf(stderr,
                "  step %d, school %s: summary %llu students (%llu blind spots), recount %llu "
                "(%llu), expected %llu (%llu), rows %lld\n",
                step, sr->id, (unsigned long long)sum.totals.students,
                (unsigned long long)sum.totals.blind_spots, (unsigned long long)recount.students,
                (unsigned long long)recount.blind_spots, (unsigned long long)expected.students,
                (unsigned long long)expected.blind_spots, (long long)rows);
        CHECK(totals_equal(&sum.totals, &recount));
        CHECK(totals_equal(&sum.totals, &expected));
        CHECK(rows == (int64_t)expected.students);
    }
}

/* Ingests b as sr's next batch, which must be applied; the model follows. */
static void send_batch(struct rcl_agg_ingest_ctx *ctx, struct school_run *sr, const struct batch *b)
{
    struct rcl_reply r;
    uint8_t d[RCL_DIGEST_BYTES];
    size_t len = 0;
    uint8_t *env = seal_next(sr, b, &len, d);

    CHECK(ingest(ctx, env, len, sr->id, &r) == 1 && r.status == RCL_REPLY_ACK &&
          r.acked_seq == sr->seq + b->n);
    if (r.status == RCL_REPLY_ACK && r.acked_seq == sr->seq + b->n)
        advance(sr, b, d);
}

static void test_summary_follows_every_change(void)
{
    struct rcl_agg_config cfg;
    struct node upstream;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_recv_group group;
    struct rcl_reply r;
    struct school_run runs[SCHOOLS];
    struct batch b, b2, last;
    enum rcl_agg_enroll_result er;
    char path[600], other[RCL_ID_MAX + 1], err[256];
    uint8_t *env, d[RCL_DIGEST_BYTES], d2[RCL_DIGEST_BYTES];
    uint64_t last_first = 0, last_last = 0;
    bool have_last = false, have_last_prev = false;
    uint8_t last_prev[RCL_DIGEST_BYTES];
    size_t len;
    sqlite3 *db;

    CHECK(rcl_key_generate(upstream.pk, upstream.sk) == 0);
    db = make_store("summary.db", COUNTY, RCL_AGG_COUNTY, upstream.pk, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    memset(runs, 0, sizeof(runs));
    runs[0].id = SCHOOL;
    runs[1].id = SCHOOL2;
    for (int i = 0; i < SCHOOLS; i++) {
        runs[i].epoch = 1;
        CHECK(rcl_key_generate(runs[i].key.pk, runs[i].key.sk) == 0);
        CHECK(rcl_agg_enroll(db, &cfg, runs[i].id, runs[i].key.pk, &er, other, 100, err,
                             sizeof(err)) == 0 &&
              er == RCL_AGG_ENROLLED);
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.cfg = &cfg;
    ctx.now = 5000;

    for (int step = 0; step < STEPS; step++) {
        struct school_run *sr = &runs[rnd(SCHOOLS)];

        if (step % 9 == 4 && have_last) {
            /* A replay of an applied batch of the first school: acknowledged, not applied. */
            env = seal(runs[0].id, 1, last_first, last_last, have_last_prev ? last_prev : NULL,
                       &last, NULL, &runs[0].key, &len, NULL);
            CHECK(ingest(&ctx, env, len, runs[0].id, &r) == 0 && r.status == RCL_REPLY_ACK &&
                  r.acked_seq == runs[0].seq);
        } else if (step % 9 == 7) {
            /* A group rolled back by the caller (its commit failed): nothing of it holds. */
            random_batch(sr, &b);
            env = seal_next(sr, &b, &len, d);
            CHECK(rcl_agg_group_begin(&ctx, &group) == 0);
            CHECK(ingest(&ctx, env, len, sr->id, &r) == 1 && r.status == RCL_REPLY_ACK);
            rcl_agg_group_rollback(&ctx);
        } else if (step % 9 == 8) {
            /* A committed group: two batches, and between them one refused (a broken
             * chain) that must not undo the first's summary. */
            CHECK(rcl_agg_group_begin(&ctx, &group) == 0);
            random_batch(sr, &b);
            send_batch(&ctx, sr, &b);
            random_batch(sr, &b2);
            memset(d2, 0xab, sizeof(d2)); /* not the digest of the batch before */
            env = seal(sr->id, sr->epoch, sr->seq + 1, sr->seq + b2.n, d2, &b2, NULL, &sr->key,
                       &len, NULL);
            CHECK(ingest(&ctx, env, len, sr->id, &r) == 0 && r.status == RCL_REPLY_REFUSED);
            send_batch(&ctx, sr, &b2);
            CHECK(rcl_agg_group_commit(&ctx) == 0);
        } else {
            random_batch(sr, &b);
            if (sr == &runs[0]) {
                last = b;
                last_first = sr->seq + 1;
                last_last = sr->seq + b.n;
                have_last_prev = sr->has_digest;
                if (sr->has_digest)
                    memcpy(last_prev, sr->digest, RCL_DIGEST_BYTES);
                have_last = true;
            }
            send_batch(&ctx, sr, &b);
        }
        for (int i = 0; i < SCHOOLS; i++)
            check_summary(db, &runs[i], step);
    }

    /* Epoch 2 of the first school: a snapshot of other students replaces its rows, with a
     * changed student and a removal staged before the end; then ordinary batches again. */
    {
        struct school_run *sr = &runs[0];
        struct held snap;

        memset(&snap, 0, sizeof(snap));
        sr->epoch = 2;
        sr->seq = 0;
        sr->has_digest = false;
        memset(&b, 0, sizeof(b));
        add_random_student(&b, 1, 3);
        add_random_student(&b, 2, 5);
        add_random_student(&b, 3, 7);
        add_random_student(&b, 4, 5);
        add_removed(&b, 5, 7);
        model_apply(&snap, &b);
        env = seal_next(sr, &b, &len, d);
        CHECK(ingest(&ctx, env, len, sr->id, &r) == 1 && r.status == RCL_REPLY_ACK && r.epoch == 2);
        sr->seq = b.n;
        memcpy(sr->digest, d, RCL_DIGEST_BYTES);
        sr->has_digest = true;
        /* Half a snapshot counts for nothing yet: the epoch-1 summary stands. */
        check_summary(db, sr, STEPS);
        memset(&b2, 0, sizeof(b2));
        add_random_student(&b2, 6, 9);
        add_snapshot_end(&b2, 7, 3);
        add_random_student(&b2, 8, 3); /* after the end: an ordinary change again */
        add_removed(&b2, 9, 9);
        model_apply(&snap, &b2);
        env = seal_next(sr, &b2, &len, d);
        CHECK(ingest(&ctx, env, len, sr->id, &r) == 1 && r.status == RCL_REPLY_ACK &&
              r.acked_seq == 9);
        sr->seq = 9;
        memcpy(sr->digest, d, RCL_DIGEST_BYTES);
        sr->held = snap;
        check_summary(db, sr, STEPS + 1);
        for (int step = STEPS + 2; step < STEPS + 12; step++) {
            random_batch(sr, &b);
            send_batch(&ctx, sr, &b);
            for (int i = 0; i < SCHOOLS; i++)
                check_summary(db, &runs[i], step);
        }
    }

    rcl_db_close(&db);
    remove_store(path);
}

/*
 * A summary that does not match the rows (changed by hand) is not moved from:
 * the school is recounted, and the summary is right again.
 */
static void test_mismatch_is_recounted(void)
{
    struct rcl_agg_config cfg;
    struct node upstream;
    struct rcl_agg_ingest_ctx ctx;
    struct school_run sr;
    struct batch b;
    enum rcl_agg_enroll_result er;
    char path[600], other[RCL_ID_MAX + 1], err[256];
    sqlite3 *db;

    CHECK(rcl_key_generate(upstream.pk, upstream.sk) == 0);
    db = make_store("mismatch.db", COUNTY, RCL_AGG_COUNTY, upstream.pk, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    memset(&sr, 0, sizeof(sr));
    sr.id = SCHOOL;
    sr.epoch = 1;
    CHECK(rcl_key_generate(sr.key.pk, sr.key.sk) == 0);
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL, sr.key.pk, &er, other, 100, err, sizeof(err)) == 0);
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.cfg = &cfg;
    ctx.now = 5000;
    memset(&b, 0, sizeof(b));
    for (int w = 1; w <= 4; w++)
        add_random_student(&b, (uint64_t)w, w);
    send_batch(&ctx, &sr, &b);
    check_summary(db, &sr, 0);
    CHECK(rcl_db_exec(db, "UPDATE summaries SET students = 0 WHERE school_id = '" SCHOOL "'",
                      "spoiling the summary") == 0);
    memset(&b, 0, sizeof(b));
    add_removed(&b, 5, 1);
    add_removed(&b, 6, 2);
    send_batch(&ctx, &sr, &b);
    check_summary(db, &sr, 1);
    rcl_db_close(&db);
    remove_store(path);
}

int main(void)
{
    rcl_log_init("test_ingest_summary");
    CHECK(rcl_keys_init() == 0);
    make_tmpdir("test_ingest_summary");
    RCL_TEST_RUN(test_summary_follows_every_change);
    RCL_TEST_RUN(test_mismatch_is_recounted);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

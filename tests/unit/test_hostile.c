/*
 * test_hostile.c - an aggregator treats every byte from the network as
 * hostile. Real signed batches go through rcl_agg_ingest on real stores (two
 * counties and a province, in a temporary folder), and every hostile variant
 * of them must leave the store exactly as it was: every single-bit flip and
 * every truncation of a valid envelope, wrong source ids in the envelope and
 * in the batch, forged signatures, a revoked source, an envelope over the
 * size limit, replays (acknowledged again, applied once) and replays to
 * another county. Then an honest batch from another school must still be
 * applied exactly, and the county's summaries must reach the province
 * exactly once.
 *
 * "The store is unchanged" is checked on its contents: a digest of every row
 * of students, summaries, sources and the outbox tables, taken before and
 * after each hostile message, and no transaction left open.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agg_ingest.h"
#include "agg_store.h"
#include "agg_summary.h"
#include "rcl_codec.h"
#include "rcl_db.h"
#include "rcl_envelope.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_outbox.h"
#include "rcl_test.h"

#define COUNTY_A "411381"
#define COUNTY_B "411382"
#define PROVINCE "41"
#define S1 "4113810001" /* the school whose batches are attacked */
#define S2 "4113810002" /* an honest school, served after all the attacks */
#define S3 "4113810005" /* a school that gets revoked */
#define STRANGER "4113810099"

struct node {
    uint8_t pk[RCL_PK_BYTES];
    uint8_t sk[RCL_SK_BYTES];
};

static char tmpdir[512];

/* ---- stores ---- */

static sqlite3 *make_store(const char *name, const char *id, enum rcl_agg_tier tier,
                           const uint8_t *upstream_key, struct rcl_agg_config *cfg)
{
    uint8_t pk[RCL_PK_BYTES];
    char path[700], err[512];
    sqlite3 *db;

    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->id, sizeof(cfg->id), "%s", id);
    cfg->tier = tier;
    snprintf(cfg->listen, sizeof(cfg->listen), "tcp://127.0.0.1:7100");
    cfg->stale_seconds = RCL_AGG_STALE_DEFAULT;
    if (upstream_key) {
        cfg->has_upstream = true;
        snprintf(cfg->upstream, sizeof(cfg->upstream), "tcp://127.0.0.1:7200");
        memcpy(cfg->upstream_key, upstream_key, RCL_PK_BYTES);
    }
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    if (rcl_agg_store_create(path, cfg, pk, err, sizeof(err)) != 0) {
        fprintf(stderr, "make_store: %s\n", err);
        return NULL;
    }
    db = rcl_agg_store_open(path, cfg, err, sizeof(err));
    if (!db)
        fprintf(stderr, "make_store: %s\n", err);
    return db;
}

static void remove_store(const char *name)
{
    char p[800];

    snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
    rcl_db_remove_files(p);
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int64_t applied_seq(sqlite3 *db, const char *source)
{
    char sql[160];

    snprintf(sql, sizeof(sql), "SELECT applied_seq FROM sources WHERE id = '%s'", source);
    return query_int(db, sql);
}

static int64_t students_of(sqlite3 *db, const char *school)
{
    char sql[160];

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM students WHERE school_id = '%s'", school);
    return query_int(db, sql);
}

/*
 * A digest of every row of the tables that ingest may write (those the store
 * has). Two equal fingerprints: nothing was added, removed or changed.
 */
static void fingerprint(sqlite3 *db, uint8_t out[32])
{
    static const char *const tables[] = {"students", "summaries", "sources",
                                         "outbox",   "sealed",    "uplink"};
    crypto_generichash_state h;

    crypto_generichash_init(&h, NULL, 0, 32);
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        char sql[96];
        sqlite3_stmt *st = NULL;

        snprintf(sql, sizeof(sql), "SELECT * FROM %s", tables[t]);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
            sqlite3_finalize(st);
            continue; /* this tier has no such table */
        }
        crypto_generichash_update(&h, (const uint8_t *)tables[t], strlen(tables[t]) + 1);
        while (sqlite3_step(st) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(st); c++) {
                uint8_t type = (uint8_t)sqlite3_column_type(st, c);
                int64_t n;

                crypto_generichash_update(&h, &type, 1);
                if (type == SQLITE_INTEGER) {
                    n = sqlite3_column_int64(st, c);
                    crypto_generichash_update(&h, (const uint8_t *)&n, sizeof(n));
                } else if (type != SQLITE_NULL) {
                    const uint8_t *b = sqlite3_column_blob(st, c);
                    n = sqlite3_column_bytes(st, c);
                    crypto_generichash_update(&h, (const uint8_t *)&n, sizeof(n));
                    if (b && n > 0)
                        crypto_generichash_update(&h, b, (size_t)n);
                }
            }
        }
        sqlite3_finalize(st);
    }
    crypto_generichash_final(&h, out, 32);
}

/* ---- batches ---- */

struct batch {
    struct rcl_change changes[8];
    size_t n;
};

static void add_student(struct batch *b, uint64_t seq, int who, uint32_t network, uint32_t devices,
                        unsigned participation, uint32_t groups, bool loaned_device)
{
    struct rcl_change *c = &b->changes[b->n++];

    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_STUDENT;
    memset(c->u.student.pseudonym, who, RCL_PSEUDONYM_BYTES);
    snprintf(c->u.student.name, sizeof(c->u.student.name), "学生%d", who);
    c->u.student.grade = 4;
    snprintf(c->u.student.class_name, sizeof(c->u.student.class_name), "4-2");
    c->u.student.network = network;
    c->u.student.devices = devices;
    c->u.student.groups = groups;
    c->u.student.participation = participation;
    if (loaned_device) {
        c->u.student.n_measures = 1;
        c->u.student.measures[0].kind = RCL_MEASURE_LOANED_DEVICE;
        c->u.student.measures[0].status = RCL_STATUS_IN_PLACE;
    }
}

static void add_profile(struct batch *b, uint64_t seq, const char *school, const char *name)
{
    struct rcl_change *c = &b->changes[b->n++];

    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_SCHOOL;
    snprintf(c->u.school.school_id, sizeof(c->u.school.school_id), "%s", school);
    snprintf(c->u.school.name, sizeof(c->u.school.name), "%s", name);
    snprintf(c->u.school.county, sizeof(c->u.school.county), COUNTY_A);
}

/* How an envelope is made: honest when only source, b, signer are set. */
struct forge {
    const char *env_source;   /* envelope.source */
    const char *batch_source; /* batch.source; NULL: env_source */
    uint64_t epoch, first, last;
    const uint8_t *prev; /* digest of the batch before, NULL for the first */
    const struct batch *b;
    const struct rcl_blob *extra; /* appended raw as one more change */
    const struct node *signer;
    const struct node *key_id_of; /* whose key id the envelope names; NULL: signer's */
    bool no_domain;               /* sign the bare payload, without the domain prefix */
};

/* Returns the malloc'd envelope (NULL on failure); digest (may be NULL) gets the payload's. */
static uint8_t *forge(const struct forge *f, size_t *len, uint8_t digest[RCL_DIGEST_BYTES])
{
    struct rcl_batch_header h;
    struct rcl_blob blobs[10];
    uint8_t *bodies[10] = {NULL};
    uint8_t *payload = NULL, *env = NULL, kid[RCL_KEY_ID_BYTES], sig[RCL_SIG_BYTES];
    size_t plen = 0, n = 0;

    memset(&h, 0, sizeof(h));
    snprintf(h.source, sizeof(h.source), "%s", f->batch_source ? f->batch_source : f->env_source);
    h.epoch = f->epoch ? f->epoch : 1;
    h.first_seq = f->first;
    h.last_seq = f->last;
    if (f->prev) {
        h.has_prev = true;
        memcpy(h.prev_digest, f->prev, RCL_DIGEST_BYTES);
    }
    h.sent_at = 1000;
    for (size_t i = 0; f->b && i < f->b->n; i++, n++) {
        if (rcl_change_encode(&f->b->changes[i], &bodies[n], &blobs[n].len) != 0)
            goto out;
        blobs[n].data = bodies[n];
    }
    if (f->extra)
        blobs[n++] = *f->extra;
    if (rcl_batch_encode(&h, blobs, n, &payload, &plen) != 0)
        goto out;
    if (digest)
        rcl_digest(payload, plen, digest);
    if (f->no_domain) {
        if (crypto_sign_detached(sig, NULL, payload, plen, f->signer->sk) != 0)
            goto out;
    } else if (rcl_sign(RCL_DOMAIN_BATCH, payload, plen, f->signer->sk, sig) != 0) {
        goto out;
    }
    rcl_key_id(f->key_id_of ? f->key_id_of->pk : f->signer->pk, kid);
    if (rcl_envelope_encode(f->env_source, kid, sig, payload, plen, &env, len) != 0)
        env = NULL;
out:
    for (size_t i = 0; i < 10; i++)
        free(bodies[i]);
    free(payload);
    return env;
}

/* Feeds a copy of buf[0..len) (exactly that long, so an over-read is caught) as user. */
static int feed(struct rcl_agg_ingest_ctx *ctx, const uint8_t *buf, size_t len, const char *user,
                struct rcl_reply *r)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    int rc;

    if (!copy)
        abort();
    if (len > 0)
        memcpy(copy, buf, len);
    rc = rcl_agg_ingest(ctx, copy, len, user, r);
    free(copy);
    return rc;
}

/*
 * A hostile message: it must be refused, commit nothing, leave no
 * transaction open and leave every row as it was.
 */
static bool refused_unchanged(struct rcl_agg_ingest_ctx *ctx, const uint8_t *buf, size_t len,
                              const char *user, const char *what)
{
    uint8_t before[32], after[32];
    struct rcl_reply r;
    int rc;

    fingerprint(ctx->db, before);
    rc = feed(ctx, buf, len, user, &r);
    fingerprint(ctx->db, after);
    if (rc == 0 && r.status == RCL_REPLY_REFUSED && memcmp(before, after, 32) == 0 &&
        sqlite3_get_autocommit(ctx->db))
        return true;
    fprintf(stderr, "  %s: ingest returned %d, status %d (reason '%s'), store %s%s\n", what, rc,
            (int)r.status, r.reason, memcmp(before, after, 32) == 0 ? "unchanged" : "CHANGED",
            sqlite3_get_autocommit(ctx->db) ? "" : ", transaction left open");
    return false;
}

/* A replay: acknowledged again up to acked, nothing applied, nothing changed. */
static bool acked_unchanged(struct rcl_agg_ingest_ctx *ctx, const uint8_t *buf, size_t len,
                            const char *user, uint64_t acked, const char *what)
{
    uint8_t before[32], after[32];
    struct rcl_reply r;
    int rc;

    fingerprint(ctx->db, before);
    rc = feed(ctx, buf, len, user, &r);
    fingerprint(ctx->db, after);
    if (rc == 0 && r.status == RCL_REPLY_ACK && r.acked_seq == acked &&
        memcmp(before, after, 32) == 0)
        return true;
    fprintf(stderr,
            "  %s: ingest returned %d, status %d acked %" PRIu64 " (reason '%s'), store %s\n", what,
            rc, (int)r.status, r.acked_seq, r.reason,
            memcmp(before, after, 32) == 0 ? "unchanged" : "CHANGED");
    return false;
}

/*
 * Every single-bit flip of env, fed as user, must be refused with the store
 * unchanged. The signature covers the payload, and every other field of the
 * envelope (source, key id, signature) is checked, so no flip can land where
 * it does not matter; one that did would fail here and be printed.
 */
static void flip_every_bit(struct rcl_agg_ingest_ctx *ctx, const uint8_t *env, size_t len,
                           const char *user, const char *what)
{
    uint8_t *m = malloc(len);
    size_t bad = 0, total = 0;

    if (!m)
        abort();
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            char label[160];

            memcpy(m, env, len);
            m[i] ^= (uint8_t)(1u << bit);
            snprintf(label, sizeof(label), "%s: bit %d of byte %zu flipped", what, bit, i);
            total++;
            if (!refused_unchanged(ctx, m, len, user, label))
                bad++;
        }
    }
    free(m);
    fprintf(stderr, "  %s: %zu single-bit flips of a %zu-byte envelope, %zu not refused\n", what,
            total, len, bad);
    CHECK(total == len * 8 && bad == 0);
}

/* Every proper prefix of env (0 .. len-1 bytes) must be refused with the store unchanged. */
static void truncate_every_length(struct rcl_agg_ingest_ctx *ctx, const uint8_t *env, size_t len,
                                  const char *user, const char *what)
{
    size_t bad = 0;

    for (size_t n = 0; n < len; n++) {
        char label[160];

        snprintf(label, sizeof(label), "%s: truncated to %zu bytes", what, n);
        if (!refused_unchanged(ctx, env, n, user, label))
            bad++;
    }
    fprintf(stderr, "  %s: %zu truncations, %zu not refused\n", what, len, bad);
    CHECK(bad == 0);
}

/* ---- the test ---- */

struct world {
    struct node s1, s2, s3, s1_elsewhere, stranger, county, province;
    struct rcl_agg_config cfg_a, cfg_b, cfg_p;
    sqlite3 *a, *b, *p; /* county A (upstream: the province), county B, the province */
    struct rcl_agg_ingest_ctx ctx_a, ctx_b, ctx_p;
};

static bool enroll(sqlite3 *db, const struct rcl_agg_config *cfg, const char *id,
                   const struct node *n)
{
    enum rcl_agg_enroll_result er;
    char other[RCL_ID_MAX + 1], err[256];

    return rcl_agg_enroll(db, cfg, id, n->pk, &er, other, 100, err, sizeof(err)) == 0 &&
           (er == RCL_AGG_ENROLLED || er == RCL_AGG_REKEYED);
}

static bool setup(struct world *w)
{
    struct node *keys[] = {&w->s1, &w->s2, &w->s3, &w->s1_elsewhere, &w->stranger, &w->province};
    uint8_t sk[RCL_SK_BYTES];

    memset(w, 0, sizeof(*w));
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (rcl_key_generate(keys[i]->pk, keys[i]->sk) != 0)
            return false;
    }
    w->a = make_store("county-a.db", COUNTY_A, RCL_AGG_COUNTY, w->province.pk, &w->cfg_a);
    w->b = make_store("county-b.db", COUNTY_B, RCL_AGG_COUNTY, NULL, &w->cfg_b);
    w->p = make_store("province.db", PROVINCE, RCL_AGG_PROVINCE, NULL, &w->cfg_p);
    if (!w->a || !w->b || !w->p)
        return false;
    /* County A's own identity, as `init` made it: it signs the summaries it sends up. */
    if (rcl_agg_store_keys(w->a, w->county.pk, sk) != 0)
        return false;
    memcpy(w->county.sk, sk, sizeof(sk));
    sodium_memzero(sk, sizeof(sk));
    if (!enroll(w->a, &w->cfg_a, S1, &w->s1) || !enroll(w->a, &w->cfg_a, S2, &w->s2) ||
        !enroll(w->a, &w->cfg_a, S3, &w->s3) || !enroll(w->p, &w->cfg_p, COUNTY_A, &w->county))
        return false;
    w->ctx_a = (struct rcl_agg_ingest_ctx){.db = w->a, .cfg = &w->cfg_a, .now = 5000};
    w->ctx_b = (struct rcl_agg_ingest_ctx){.db = w->b, .cfg = &w->cfg_b, .now = 5000};
    w->ctx_p = (struct rcl_agg_ingest_ctx){.db = w->p, .cfg = &w->cfg_p, .now = 6000};
    return true;
}

static void teardown(struct world *w)
{
    rcl_db_close(&w->a);
    rcl_db_close(&w->b);
    rcl_db_close(&w->p);
    remove_store("county-a.db");
    remove_store("county-b.db");
    remove_store("province.db");
    sodium_memzero(w, sizeof(*w));
}

#define ONLINE RCL_BIT(RCL_NET_BROADBAND), RCL_BIT(RCL_DEV_COMPUTER)
#define NOTHING 0, 0
#define LEFT_BEHIND RCL_BIT(RCL_GROUP_LEFT_BEHIND)
#define POOR_DISABLED (RCL_BIT(RCL_GROUP_POVERTY_CARD) | RCL_BIT(RCL_GROUP_DISABLED))

static void test_hostile(void)
{
    struct world w;
    struct rcl_summary sum;
    struct rcl_reply r;
    struct batch b1, b2, r1, r2, h1;
    uint8_t d1[RCL_DIGEST_BYTES], d2[RCL_DIGEST_BYTES], dr1[RCL_DIGEST_BYTES];
    uint8_t *e1 = NULL, *e2 = NULL, *er1 = NULL, *er2 = NULL, *x = NULL;
    size_t e1_len = 0, e2_len = 0, er1_len = 0, er2_len = 0, x_len = 0;
    uint8_t fp[32], fp2[32];

    if (!setup(&w)) {
        CHECK(!"setting up the stores and keys");
        teardown(&w);
        return;
    }

    /* School 1, first batch (1..3): profile, an online student, one without conditions. */
    memset(&b1, 0, sizeof(b1));
    add_profile(&b1, 1, S1, "第一小学");
    add_student(&b1, 2, 1, ONLINE, RCL_PART_ACTIVE, LEFT_BEHIND, false);
    add_student(&b1, 3, 2, NOTHING, RCL_PART_ACTIVE, POOR_DISABLED, false);
    e1 = forge(&(struct forge){.env_source = S1, .first = 1, .last = 3, .b = &b1, .signer = &w.s1},
               &e1_len, d1);
    CHECK(e1 != NULL);
    CHECK(feed(&w.ctx_a, e1, e1_len, S1, &r) == 1 && r.status == RCL_REPLY_ACK && r.acked_seq == 3);
    CHECK(applied_seq(w.a, S1) == 3 && students_of(w.a, S1) == 2);

    /* A replay of an applied batch: acknowledged again, applied once. */
    CHECK(acked_unchanged(&w.ctx_a, e1, e1_len, S1, 3, "replay of batch 1..3"));
    CHECK(students_of(w.a, S1) == 2 && applied_seq(w.a, S1) == 3);

    /* School 3 reports once, then is revoked: refused from then on, its counted rows kept. */
    memset(&r1, 0, sizeof(r1));
    add_profile(&r1, 1, S3, "第五小学");
    add_student(&r1, 2, 50, ONLINE, RCL_PART_ACTIVE, 0, false);
    er1 = forge(&(struct forge){.env_source = S3, .first = 1, .last = 2, .b = &r1, .signer = &w.s3},
                &er1_len, dr1);
    CHECK(er1 != NULL && feed(&w.ctx_a, er1, er1_len, S3, &r) == 1 && r.status == RCL_REPLY_ACK);
    CHECK(rcl_agg_revoke(w.a, S3) == 1);
    memset(&r2, 0, sizeof(r2));
    add_student(&r2, 3, 51, NOTHING, RCL_PART_ABSENT, 0, false);
    er2 = forge(
        &(struct forge){
            .env_source = S3, .first = 3, .last = 3, .prev = dr1, .b = &r2, .signer = &w.s3},
        &er2_len, NULL);
    CHECK(er2 && refused_unchanged(&w.ctx_a, er2, er2_len, S3, "next batch of a revoked source"));
    CHECK(refused_unchanged(&w.ctx_a, er1, er1_len, S3, "replay from a revoked source"));
    CHECK(students_of(w.a, S3) == 1 && applied_seq(w.a, S3) == 2);

    /* School 1, second batch (4..5), attacked before it is applied: student 1 now absent
     * with a loaned device, a third student added. */
    memset(&b2, 0, sizeof(b2));
    add_student(&b2, 4, 1, ONLINE, RCL_PART_ABSENT, LEFT_BEHIND, true);
    add_student(&b2, 5, 3, NOTHING, RCL_PART_ACTIVE, 0, false);
    e2 = forge(
        &(struct forge){
            .env_source = S1, .first = 4, .last = 5, .prev = d1, .b = &b2, .signer = &w.s1},
        &e2_len, d2);
    CHECK(e2 != NULL);
    if (e2) {
        flip_every_bit(&w.ctx_a, e2, e2_len, S1, "school batch 4..5");
        truncate_every_length(&w.ctx_a, e2, e2_len, S1, "school batch 4..5");
    }
    CHECK(applied_seq(w.a, S1) == 3 && students_of(w.a, S1) == 2);

    /* Wrong source ids. */
    {
        const struct forge base = {
            .env_source = S1, .first = 4, .last = 5, .prev = d1, .b = &b2, .signer = &w.s1};
        struct forge f;

        /* The envelope names school 2 (enrolled, another key); the batch inside is school 1's. */
        f = base;
        f.env_source = S2;
        f.batch_source = S1;
        x = forge(&f, &x_len, NULL);
        CHECK(x && refused_unchanged(&w.ctx_a, x, x_len, S2, "envelope source S2, signed by S1"));
        CHECK(x && refused_unchanged(&w.ctx_a, x, x_len, S1, "envelope source S2 on S1's link"));
        free(x);
        /* An envelope source that is not enrolled, and one that is not an id at all. */
        f = base;
        f.env_source = STRANGER;
        f.batch_source = S1;
        x = forge(&f, &x_len, NULL);
        CHECK(x && refused_unchanged(&w.ctx_a, x, x_len, S1, "envelope source not enrolled"));
        free(x);
        f.env_source = "4113810001/../x";
        x = forge(&f, &x_len, NULL);
        CHECK(x && refused_unchanged(&w.ctx_a, x, x_len, S1, "envelope source not an id"));
        free(x);
        /* The batch inside names another school than the envelope (both signed by S1). */
        f = base;
        f.batch_source = S2;
        x = forge(&f, &x_len, NULL);
        CHECK(x && refused_unchanged(&w.ctx_a, x, x_len, S1, "batch source S2 inside S1's"));
        free(x);
        /* The connection is not the envelope's source (ZAP bound another school, or none). */
        CHECK(refused_unchanged(&w.ctx_a, e2, e2_len, S2, "S1's batch on S2's link"));
        CHECK(refused_unchanged(&w.ctx_a, e2, e2_len, "", "S1's batch on no identity"));
        CHECK(refused_unchanged(&w.ctx_a, e2, e2_len, NULL, "S1's batch, NULL identity"));

        /* Forged signatures: S1's key id, signed by another school's key. */
        f = base;
        f.signer = &w.s2;
        f.key_id_of = &w.s1;
        x = forge(&f, &x_len, NULL);
        CHECK(x && refused_unchanged(&w.ctx_a, x, x_len, S1, "S1's key id, S2's signature"));
        free(x);
        /* Another school's key, honestly named. */
        f.key_id_of = NULL;
        x = forge(&f, &x_len, NULL);
        CHECK(x && refused_unchanged(&w.ctx_a, x, x_len, S1, "S2's key and key id as S1"));
        free(x);
        /* The right key, but without the domain prefix: not a batch signature. */
        f = base;
        f.no_domain = true;
        x = forge(&f, &x_len, NULL);
        CHECK(x && refused_unchanged(&w.ctx_a, x, x_len, S1, "signature without the domain"));
        free(x);
        /* The signature of batch 1..3 grafted onto the payload of 4..5. */
        {
            struct rcl_envelope *ev1 = NULL, *ev2 = NULL;
            char err[200];

            CHECK(rcl_envelope_decode(e1, e1_len, &ev1, err, sizeof(err)) == 0);
            CHECK(rcl_envelope_decode(e2, e2_len, &ev2, err, sizeof(err)) == 0);
            if (ev1 && ev2 &&
                rcl_envelope_encode(S1, ev2->key_id, ev1->signature, ev2->payload.data,
                                    ev2->payload.len, &x, &x_len) == 0) {
                CHECK(refused_unchanged(&w.ctx_a, x, x_len, S1, "signature of another batch"));
                free(x);
            }
            rcl_envelope_destroy(&ev1);
            rcl_envelope_destroy(&ev2);
        }
        x = NULL;

        /* Over the size limit, honestly signed: refused before anything is decoded. */
        {
            size_t big = (size_t)RCL_MESSAGE_BYTES_MAX;
            uint8_t *junk = calloc(1, big);
            struct rcl_blob extra = {junk, big};

            f = base;
            f.extra = &extra;
            x = junk ? forge(&f, &x_len, NULL) : NULL;
            CHECK(x && x_len > (size_t)RCL_MESSAGE_BYTES_MAX);
            CHECK(x && refused_unchanged(&w.ctx_a, x, x_len, S1, "envelope over the limit"));
            free(x);
            free(junk);
            x = NULL;
        }
    }
    CHECK(applied_seq(w.a, S1) == 3 && students_of(w.a, S1) == 2);

    /* Replays across counties: county B has no school 1, then a school 1 with another key. */
    CHECK(refused_unchanged(&w.ctx_b, e1, e1_len, S1, "S1's batch at a county without S1"));
    CHECK(refused_unchanged(&w.ctx_b, e2, e2_len, S1, "S1's next batch at that county"));
    CHECK(enroll(w.b, &w.cfg_b, S1, &w.s1_elsewhere));
    CHECK(refused_unchanged(&w.ctx_b, e1, e1_len, S1, "S1's batch where S1 has another key"));
    CHECK(refused_unchanged(&w.ctx_b, e2, e2_len, S1, "S1's next batch there"));
    CHECK(query_int(w.b, "SELECT count(*) FROM students") == 0 && applied_seq(w.b, S1) == 0);
    /* ... and a school's batch at the province, which has no schools enrolled. */
    CHECK(refused_unchanged(&w.ctx_p, e1, e1_len, S1, "a school batch at the province"));

    /* After all that, the real batch 4..5 is applied once, exactly. */
    CHECK(feed(&w.ctx_a, e2, e2_len, S1, &r) == 1 && r.status == RCL_REPLY_ACK &&
          r.acked_seq == 5 && r.has_digest && memcmp(r.acked_digest, d2, RCL_DIGEST_BYTES) == 0);
    CHECK(applied_seq(w.a, S1) == 5 && students_of(w.a, S1) == 3);
    fingerprint(w.a, fp);
    CHECK(acked_unchanged(&w.ctx_a, e1, e1_len, S1, 5, "replay of 1..3 after 4..5"));
    CHECK(acked_unchanged(&w.ctx_a, e2, e2_len, S1, 5, "replay of 4..5"));
    fingerprint(w.a, fp2);
    CHECK(memcmp(fp, fp2, 32) == 0);
    CHECK(rcl_agg_summary_get(w.a, S1, &sum, NULL) == 1 && sum.reported &&
          sum.totals.students == 3 && sum.totals.condition[RCL_COND_ONLINE] == 1 &&
          sum.totals.condition[RCL_COND_NONE] == 2 && sum.totals.blind_spots == 2 &&
          sum.totals.measures[RCL_MEASURE_LOANED_DEVICE] == 1 &&
          sum.totals.participation[RCL_PART_ABSENT] == 1 &&
          sum.totals.groups[RCL_GROUP_LEFT_BEHIND] == 1 &&
          sum.totals.groups[RCL_GROUP_POVERTY_CARD] == 1 &&
          sum.totals.groups[RCL_GROUP_DISABLED] == 1);

    /* An honest batch from school 2 is applied correctly after all of the above. */
    memset(&h1, 0, sizeof(h1));
    add_profile(&h1, 1, S2, "第二小学");
    add_student(&h1, 2, 20, ONLINE, RCL_PART_ACTIVE, 0, false);
    add_student(&h1, 3, 21, RCL_BIT(RCL_NET_CABLE_TV), RCL_BIT(RCL_DEV_TV), RCL_PART_IRREGULAR,
                LEFT_BEHIND, false);
    free(x);
    x = forge(&(struct forge){.env_source = S2, .first = 1, .last = 3, .b = &h1, .signer = &w.s2},
              &x_len, NULL);
    CHECK(x && feed(&w.ctx_a, x, x_len, S2, &r) == 1 && r.status == RCL_REPLY_ACK &&
          r.acked_seq == 3);
    free(x);
    x = NULL;
    CHECK(applied_seq(w.a, S2) == 3 && students_of(w.a, S2) == 2);
    CHECK(rcl_agg_summary_get(w.a, S2, &sum, NULL) == 1 && sum.reported &&
          sum.totals.students == 2 && sum.totals.condition[RCL_COND_ONLINE] == 1 &&
          sum.totals.condition[RCL_COND_TV_ONLY] == 1 && sum.totals.blind_spots == 0 &&
          sum.totals.participation[RCL_PART_IRREGULAR] == 1 &&
          sum.totals.groups[RCL_GROUP_LEFT_BEHIND] == 1);
    CHECK(query_int(w.a, "SELECT count(*) FROM students") == 6);
    CHECK(students_of(w.a, S1) == 3 && students_of(w.a, S3) == 1);

    /* The county's summaries go up, sealed by the county, and are attacked at the province. */
    {
        struct rcl_sealed s;
        int found;

        memset(&s, 0, sizeof(s));
        CHECK(rcl_outbox_seal(w.a, COUNTY_A, w.county.pk, w.county.sk) >= 1);
        found = rcl_outbox_next_sealed(w.a, 0, &s);
        CHECK(found == 1);
        /* Small enough to be one batch: everything up to the county's newest change. */
        CHECK(found == 1 && (int64_t)s.last_seq == query_int(w.a, "SELECT max(seq) FROM outbox"));
        if (found == 1) {
            flip_every_bit(&w.ctx_p, s.envelope, s.envelope_len, COUNTY_A, "summary batch");
            truncate_every_length(&w.ctx_p, s.envelope, s.envelope_len, COUNTY_A, "summary batch");
            CHECK(refused_unchanged(&w.ctx_a, s.envelope, s.envelope_len, COUNTY_A,
                                    "summary batch offered to the county itself"));
            CHECK(query_int(w.p, "SELECT count(*) FROM summaries") == 0);
            CHECK(feed(&w.ctx_p, s.envelope, s.envelope_len, COUNTY_A, &r) == 1 &&
                  r.status == RCL_REPLY_ACK && r.acked_seq == s.last_seq);
            CHECK(acked_unchanged(&w.ctx_p, s.envelope, s.envelope_len, COUNTY_A, s.last_seq,
                                  "replay of the summary batch"));
        }
        CHECK(query_int(w.p, "SELECT count(*) FROM summaries") == 3);
        CHECK(rcl_agg_summary_get(w.p, S1, &sum, NULL) == 1 && sum.totals.students == 3 &&
              sum.totals.blind_spots == 2);
        CHECK(rcl_agg_summary_get(w.p, S2, &sum, NULL) == 1 && sum.totals.students == 2 &&
              sum.totals.blind_spots == 0);
        CHECK(rcl_agg_summary_get(w.p, S3, &sum, NULL) == 1 && sum.totals.students == 1);
        CHECK(query_int(w.p, "SELECT sum(students) FROM summaries") == 6);
        rcl_sealed_clear(&s);
    }

    free(e1);
    free(e2);
    free(er1);
    free(er2);
    teardown(&w);
}

int main(void)
{
    rcl_log_init("test_hostile");
    /* Thousands of refusals follow, each logged as a warning: keep the output readable. */
    rcl_log_threshold = RCL_LOG_ERROR;
    CHECK(rcl_keys_init() == 0);
    if (rcl_test_tmpdir("test_hostile", tmpdir, sizeof(tmpdir)) != 0) {
        perror("rcl_test_tmpdir");
        return 1;
    }
    RCL_TEST_RUN(test_hostile);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

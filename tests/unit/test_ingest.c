/*
 * test_ingest.c - the receiver rules, in process, on real signed batches:
 * a good batch is applied and acknowledged once; a duplicate is acked and
 * not applied; a gap asks for a resend; every kind of bad batch is refused
 * with nothing applied; a county recomputes the school's summary; a
 * province takes summaries only and never counts a school twice; a locked
 * store answers BUSY.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "agg_store.h"
#include "agg_ingest.h"
#include "rcl_codec.h"
#include "rcl_db.h"
#include "rcl_envelope.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_outbox.h"
#include "rcl_test.h"
#include "agg_summary.h"

#define SCHOOL "4113810001"
#define SCHOOL2 "4113810002"
#define STRANGER "4113810099"
#define COUNTY "411381"

struct node {
    uint8_t pk[RCL_PK_BYTES];
    uint8_t sk[RCL_SK_BYTES];
};

static char tmpdir[512];

static void make_tmpdir(void)
{
    if (rcl_test_tmpdir("test_ingest", tmpdir, sizeof(tmpdir)) != 0) {
        perror("rcl_test_tmpdir");
        exit(1);
    }
}

static void remove_store(const char *path)
{
    char p[700];

    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
    unlink(path);
}

/* Creates and opens a store of tier in the temporary folder. */
static sqlite3 *make_store(const char *name, const char *id, enum rcl_agg_tier tier,
                           const uint8_t *upstream_key, struct rcl_agg_config *cfg, char *path,
                           size_t pathlen)
{
    uint8_t pk[RCL_PK_BYTES];
    char err[512];
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
    snprintf(path, pathlen, "%s/%s", tmpdir, name);
    if (rcl_agg_store_create(path, cfg, pk, err, sizeof(err)) != 0) {
        fprintf(stderr, "make_store: %s\n", err);
        return NULL;
    }
    db = rcl_agg_store_open(path, cfg, err, sizeof(err));
    if (!db)
        fprintf(stderr, "make_store: %s\n", err);
    return db;
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

/* A batch under construction. */
struct batch {
    struct rcl_change changes[8];
    size_t n;
};

static void add_student(struct batch *b, uint64_t seq, int who, uint32_t network, uint32_t devices,
                        unsigned participation, bool loaned_device)
{
    struct rcl_change *c = &b->changes[b->n++];

    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_STUDENT;
    memset(c->u.student.pseudonym, who, RCL_PSEUDONYM_BYTES);
    snprintf(c->u.student.name, sizeof(c->u.student.name), "学生%d", who);
    c->u.student.grade = 3;
    snprintf(c->u.student.class_name, sizeof(c->u.student.class_name), "3-1");
    c->u.student.network = network;
    c->u.student.devices = devices;
    c->u.student.groups = RCL_BIT(RCL_GROUP_LEFT_BEHIND);
    c->u.student.participation = participation;
    if (loaned_device) {
        c->u.student.n_measures = 1;
        c->u.student.measures[0].kind = RCL_MEASURE_LOANED_DEVICE;
        c->u.student.measures[0].status = RCL_STATUS_IN_PLACE;
    }
}

static void add_removed(struct batch *b, uint64_t seq, int who)
{
    struct rcl_change *c = &b->changes[b->n++];

    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_REMOVED;
    memset(c->u.removed, who, RCL_PSEUDONYM_BYTES);
}

static void add_profile(struct batch *b, uint64_t seq, const char *school, const char *name)
{
    struct rcl_change *c = &b->changes[b->n++];

    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_SCHOOL;
    snprintf(c->u.school.school_id, sizeof(c->u.school.school_id), "%s", school);
    snprintf(c->u.school.name, sizeof(c->u.school.name), "%s", name);
    snprintf(c->u.school.county, sizeof(c->u.school.county), COUNTY);
}

static void add_summary(struct batch *b, uint64_t seq, const char *school, bool reported,
                        uint64_t students)
{
    struct rcl_change *c = &b->changes[b->n++];

    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_SUMMARY;
    snprintf(c->u.summary.school_id, sizeof(c->u.summary.school_id), "%s", school);
    snprintf(c->u.summary.name, sizeof(c->u.summary.name), "School %s", school);
    snprintf(c->u.summary.county, sizeof(c->u.summary.county), COUNTY);
    c->u.summary.reported = reported;
    c->u.summary.last_sync = reported ? 1000 : 0;
    c->u.summary.totals.students = students;
    c->u.summary.totals.condition[RCL_COND_ONLINE] = students;
    c->u.summary.totals.participation[RCL_PART_ACTIVE] = students;
}

/*
 * Encodes b as a batch from source and seals it with signer. extra, when
 * not NULL, is appended as a raw (possibly garbage) change. digest receives
 * the payload digest. Returns the malloc'd envelope.
 */
static uint8_t *seal(const char *source, uint64_t epoch, uint64_t first, uint64_t last,
                     const uint8_t *prev, const struct batch *b, const struct rcl_blob *extra,
                     const struct node *signer, size_t *len, uint8_t digest[RCL_DIGEST_BYTES])
{
    struct rcl_batch_header h;
    struct rcl_blob blobs[10];
    uint8_t *bodies[10] = {NULL};
    uint8_t *payload = NULL, *env = NULL;
    size_t plen = 0, n = 0;

    memset(&h, 0, sizeof(h));
    snprintf(h.source, sizeof(h.source), "%s", source);
    h.epoch = epoch;
    h.first_seq = first;
    h.last_seq = last;
    if (prev) {
        h.has_prev = true;
        memcpy(h.prev_digest, prev, RCL_DIGEST_BYTES);
    }
    h.sent_at = 1000;
    for (size_t i = 0; b && i < b->n; i++, n++) {
        if (rcl_change_encode(&b->changes[i], &bodies[n], &blobs[n].len) != 0)
            goto out;
        blobs[n].data = bodies[n];
    }
    if (extra)
        blobs[n++] = *extra;
    if (rcl_batch_encode(&h, blobs, n, &payload, &plen) != 0)
        goto out;
    if (digest)
        rcl_digest(payload, plen, digest);
    if (rcl_envelope_seal(source, payload, plen, signer->pk, signer->sk, &env, len) != 0)
        env = NULL;
out:
    for (size_t i = 0; i < 10; i++)
        free(bodies[i]);
    free(payload);
    return env;
}

/* Ingests an envelope as if it came over a connection authenticated as user. */
static int ingest(struct rcl_agg_ingest_ctx *ctx, uint8_t *env, size_t len, const char *user,
                  struct rcl_reply *r)
{
    int rc;

    if (!env) {
        memset(r, 0, sizeof(*r));
        r->status = RCL_REPLY_STATUS_COUNT;
        return -1;
    }
    rc = rcl_agg_ingest(ctx, env, len, user, r);
    free(env);
    return rc;
}

static bool reason_has(const struct rcl_reply *r, const char *text)
{
    if (strstr(r->reason, text))
        return true;
    fprintf(stderr, "  reason '%s' lacks '%s'\n", r->reason, text);
    return false;
}

static void test_county(void)
{
    struct rcl_agg_config cfg;
    struct node school, school2, stranger, upstream;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_reply r;
    struct rcl_summary sum;
    struct rcl_outbox_stats ob;
    struct batch b;
    enum rcl_agg_enroll_result er;
    char path[600], other[RCL_ID_MAX + 1], err[256], child[RCL_ID_MAX + 1];
    uint8_t d1[RCL_DIGEST_BYTES], d2[RCL_DIGEST_BYTES], dx[RCL_DIGEST_BYTES];
    uint8_t *env;
    size_t len;
    sqlite3 *db;

    CHECK(rcl_key_generate(school.pk, school.sk) == 0);
    CHECK(rcl_key_generate(school2.pk, school2.sk) == 0);
    CHECK(rcl_key_generate(stranger.pk, stranger.sk) == 0);
    CHECK(rcl_key_generate(upstream.pk, upstream.sk) == 0);
    db = make_store("county.db", COUNTY, RCL_AGG_COUNTY, upstream.pk, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'students'") == 1);

    /* Enrolling: a county's sources are schools; each is expected at once. */
    CHECK(rcl_agg_enroll(db, &cfg, "not-a-school", school.pk, &er, other, 100, err, sizeof(err)) ==
              0 &&
          er == RCL_AGG_NOT_A_SCHOOL);
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL, school.pk, &er, other, 100, err, sizeof(err)) == 0 &&
          er == RCL_AGG_ENROLLED);
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL, school.pk, &er, other, 100, err, sizeof(err)) == 0 &&
          er == RCL_AGG_UNCHANGED);
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL2, school.pk, &er, other, 100, err, sizeof(err)) == 0 &&
          er == RCL_AGG_KEY_IN_USE && strcmp(other, SCHOOL) == 0);
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL2, school2.pk, &er, other, 100, err, sizeof(err)) == 0 &&
          er == RCL_AGG_ENROLLED);
    CHECK(rcl_agg_summary_get(db, SCHOOL, &sum, child) == 1 && !sum.reported &&
          strcmp(child, SCHOOL) == 0 && strcmp(sum.county, COUNTY) == 0);
    CHECK(rcl_outbox_stats(db, &ob) == 0 && ob.pending == 2 && ob.last_seq == 2);

    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.cfg = &cfg;
    ctx.now = 5000;

    /* A good first batch: profile, an online student, a student without conditions. */
    memset(&b, 0, sizeof(b));
    add_profile(&b, 1, SCHOOL, "第一小学 <A&B>");
    add_student(&b, 2, 1, RCL_BIT(RCL_NET_BROADBAND), RCL_BIT(RCL_DEV_COMPUTER), RCL_PART_ACTIVE,
                false);
    add_student(&b, 3, 2, 0, 0, RCL_PART_ACTIVE, false);
    env = seal(SCHOOL, 1, 1, 3, NULL, &b, NULL, &school, &len, d1);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 1);
    CHECK(r.status == RCL_REPLY_ACK && r.acked_seq == 3 && r.has_digest &&
          memcmp(r.acked_digest, d1, RCL_DIGEST_BYTES) == 0);
    CHECK(strcmp(r.source, SCHOOL) == 0);
    CHECK(query_int(db, "SELECT applied_seq FROM sources WHERE id = '" SCHOOL "'") == 3);
    CHECK(query_int(db, "SELECT last_batch_at FROM sources WHERE id = '" SCHOOL "'") == 5000);
    CHECK(query_int(db, "SELECT count(*) FROM students WHERE school_id = '" SCHOOL "'") == 2);
    CHECK(rcl_agg_summary_get(db, SCHOOL, &sum, child) == 1);
    CHECK(sum.reported && sum.last_sync == 5000 && strcmp(child, SCHOOL) == 0);
    CHECK(strcmp(sum.name, "第一小学 <A&B>") == 0 && strcmp(sum.county, COUNTY) == 0);
    CHECK(sum.totals.students == 2 && sum.totals.condition[RCL_COND_ONLINE] == 1 &&
          sum.totals.condition[RCL_COND_NONE] == 1 && sum.totals.blind_spots == 1);
    CHECK(sum.totals.groups[RCL_GROUP_LEFT_BEHIND] == 2);
    CHECK(sum.totals.participation[RCL_PART_ACTIVE] == 2);
    /* The summary went upstream, replacing the unsealed enrollment one. */
    CHECK(rcl_outbox_stats(db, &ob) == 0 && ob.pending == 2 && ob.last_seq == 3);

    /* The same batch again: acknowledged, nothing applied. */
    ctx.now = 6000;
    env = seal(SCHOOL, 1, 1, 3, NULL, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
    CHECK(r.status == RCL_REPLY_ACK && r.acked_seq == 3 && r.has_digest &&
          memcmp(r.acked_digest, d1, RCL_DIGEST_BYTES) == 0);
    CHECK(query_int(db, "SELECT last_batch_at FROM sources WHERE id = '" SCHOOL "'") == 5000);
    CHECK(rcl_outbox_stats(db, &ob) == 0 && ob.last_seq == 3);

    /* A gap: 4 is missing. */
    memset(&b, 0, sizeof(b));
    add_removed(&b, 5, 2);
    env = seal(SCHOOL, 1, 5, 5, d1, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
    CHECK(r.status == RCL_REPLY_RESEND && r.resend_from == 4);

    /* The next batch: student 2 removed (sparse range 4..5), summary recomputed. */
    env = seal(SCHOOL, 1, 4, 5, d1, &b, NULL, &school, &len, d2);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 1);
    CHECK(r.status == RCL_REPLY_ACK && r.acked_seq == 5 &&
          memcmp(r.acked_digest, d2, RCL_DIGEST_BYTES) == 0);
    CHECK(query_int(db, "SELECT count(*) FROM students") == 1);
    CHECK(rcl_agg_summary_get(db, SCHOOL, &sum, NULL) == 1 && sum.totals.students == 1 &&
          sum.totals.blind_spots == 0 && sum.last_sync == 6000);

    /* Overlap with the applied range. */
    memset(&b, 0, sizeof(b));
    add_student(&b, 6, 3, 0, 0, RCL_PART_ABSENT, true);
    env = seal(SCHOOL, 1, 5, 6, d1, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
    CHECK(r.status == RCL_REPLY_REFUSED &&
          reason_has(&r, "batch 5..6 overlaps applied range up to 5"));

    /* A chain break: prev_digest is not the digest of the batch ending at 5. */
    env = seal(SCHOOL, 1, 6, 6, d1, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
    CHECK(r.status == RCL_REPLY_REFUSED && reason_has(&r, "chain break at seq 6"));
    env = seal(SCHOOL, 1, 6, 6, NULL, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
    CHECK(r.status == RCL_REPLY_REFUSED && reason_has(&r, "chain break at seq 6"));

    /* An epoch that is not current. */
    env = seal(SCHOOL, 2, 6, 6, d2, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
    CHECK(r.status == RCL_REPLY_REFUSED && reason_has(&r, "epoch 2 not current (1)"));

    /* Not enrolled. */
    env = seal(STRANGER, 1, 1, 1, NULL, &b, NULL, &stranger, &len, NULL);
    CHECK(ingest(&ctx, env, len, STRANGER, &r) == 0);
    CHECK(r.status == RCL_REPLY_REFUSED && reason_has(&r, "source " STRANGER " is not enrolled"));

    /* Signed with another key (its own key id), and with a forged signature under ours. */
    env = seal(SCHOOL, 1, 6, 6, d2, &b, NULL, &stranger, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
    CHECK(
        r.status == RCL_REPLY_REFUSED &&
        reason_has(&r, "signature of source " SCHOOL " does not verify against its enrolled key"));
    {
        struct rcl_batch_header h;
        struct rcl_blob blob;
        uint8_t *body = NULL, *payload = NULL, kid[RCL_KEY_ID_BYTES], sig[RCL_SIG_BYTES];
        size_t plen = 0;

        memset(&h, 0, sizeof(h));
        snprintf(h.source, sizeof(h.source), SCHOOL);
        h.epoch = 1;
        h.first_seq = h.last_seq = 6;
        h.has_prev = true;
        memcpy(h.prev_digest, d2, RCL_DIGEST_BYTES);
        CHECK(rcl_change_encode(&b.changes[0], &body, &blob.len) == 0);
        blob.data = body;
        CHECK(rcl_batch_encode(&h, &blob, 1, &payload, &plen) == 0);
        rcl_key_id(school.pk, kid);
        CHECK(rcl_sign(RCL_DOMAIN_BATCH, payload, plen, stranger.sk, sig) == 0);
        env = NULL;
        CHECK(rcl_envelope_encode(SCHOOL, kid, sig, payload, plen, &env, &len) == 0);
        CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
        CHECK(r.status == RCL_REPLY_REFUSED && reason_has(&r, "does not verify"));
        free(body);
        free(payload);
    }

    /* The envelope names a source other than the connection's. */
    env = seal(SCHOOL, 1, 6, 6, d2, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL2, &r) == 0);
    CHECK(r.status == RCL_REPLY_REFUSED &&
          reason_has(&r, "envelope source " SCHOOL " does not match connection key"));
    env = seal(SCHOOL, 1, 6, 6, d2, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, "", &r) == 0);
    CHECK(r.status == RCL_REPLY_REFUSED);

    /* The batch names a source other than its envelope's. */
    {
        struct rcl_batch_header h;
        uint8_t *payload = NULL;
        size_t plen = 0;

        memset(&h, 0, sizeof(h));
        snprintf(h.source, sizeof(h.source), SCHOOL2);
        h.epoch = 1;
        h.first_seq = h.last_seq = 6;
        h.has_prev = true;
        memcpy(h.prev_digest, d2, RCL_DIGEST_BYTES);
        CHECK(rcl_batch_encode(&h, NULL, 0, &payload, &plen) == 0);
        env = NULL;
        CHECK(rcl_envelope_seal(SCHOOL, payload, plen, school.pk, school.sk, &env, &len) == 0);
        CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
        CHECK(r.status == RCL_REPLY_REFUSED &&
              reason_has(&r, "batch source " SCHOOL2 " does not match envelope source " SCHOOL));
        free(payload);
    }

    /* Garbage. */
    {
        uint8_t junk[40];

        memset(junk, 0xff, sizeof(junk));
        CHECK(rcl_agg_ingest(&ctx, junk, sizeof(junk), SCHOOL, &r) == 0);
        CHECK(r.status == RCL_REPLY_REFUSED && reason_has(&r, "malformed envelope"));
    }

    /* One bad change refuses the whole batch: nothing of it is applied. */
    memset(&b, 0, sizeof(b));
    add_student(&b, 6, 3, 0, 0, RCL_PART_ABSENT, true);
    add_student(&b, 9, 4, 0, 0, RCL_PART_ABSENT, true);
    env = seal(SCHOOL, 1, 6, 7, d2, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
    CHECK(r.status == RCL_REPLY_REFUSED && reason_has(&r, "seq 9"));
    b.changes[1].seq = 6;
    env = seal(SCHOOL, 1, 6, 7, d2, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
    CHECK(r.status == RCL_REPLY_REFUSED && reason_has(&r, "seqs must increase"));
    {
        uint8_t junk[] = {0xff, 0xff, 0xff};
        struct rcl_blob extra = {junk, sizeof(junk)};

        b.n = 1;
        env = seal(SCHOOL, 1, 6, 7, d2, &b, &extra, &school, &len, NULL);
        CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
        CHECK(r.status == RCL_REPLY_REFUSED && reason_has(&r, "does not decode"));
    }
    memset(&b, 0, sizeof(b));
    add_student(&b, 6, 3, 0, 0, RCL_PART_ABSENT, true);
    add_summary(&b, 7, SCHOOL, true, 99);
    env = seal(SCHOOL, 1, 6, 7, d2, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
    CHECK(r.status == RCL_REPLY_REFUSED && reason_has(&r, "seq 7") &&
          reason_has(&r, "not accepted at a county"));
    memset(&b, 0, sizeof(b));
    add_student(&b, 6, 3, 0, 0, RCL_PART_ABSENT, true);
    add_profile(&b, 7, SCHOOL2, "someone else");
    env = seal(SCHOOL, 1, 6, 7, d2, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
    CHECK(r.status == RCL_REPLY_REFUSED && reason_has(&r, "seq 7"));
    CHECK(query_int(db, "SELECT count(*) FROM students") == 1);
    CHECK(query_int(db, "SELECT applied_seq FROM sources WHERE id = '" SCHOOL "'") == 5);

    /* A locked store: BUSY with a reason, and the same batch goes through afterwards. */
    {
        sqlite3 *other_db = NULL;

        CHECK(sqlite3_open(path, &other_db) == SQLITE_OK);
        CHECK(sqlite3_exec(other_db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_busy_timeout(db, 50);
        b.n = 1;
        env = seal(SCHOOL, 1, 6, 6, d2, &b, NULL, &school, &len, dx);
        CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
        CHECK(r.status == RCL_REPLY_BUSY && r.reason[0] != '\0');
        sqlite3_exec(other_db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(other_db);
        env = seal(SCHOOL, 1, 6, 6, d2, &b, NULL, &school, &len, dx);
        CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 1);
        CHECK(r.status == RCL_REPLY_ACK && r.acked_seq == 6);
        CHECK(rcl_agg_summary_get(db, SCHOOL, &sum, NULL) == 1 && sum.totals.students == 2 &&
              sum.totals.condition[RCL_COND_NONE] == 1 && sum.totals.blind_spots == 0 &&
              sum.totals.measures[RCL_MEASURE_LOANED_DEVICE] == 1 &&
              sum.totals.participation[RCL_PART_ABSENT] == 1);
    }

    /* Revoked: refused even on a connection that is still open. */
    CHECK(rcl_agg_revoke(db, SCHOOL) == 1);
    CHECK(rcl_agg_revoke(db, SCHOOL) == 2);
    CHECK(rcl_agg_revoke(db, STRANGER) == 0);
    memset(&b, 0, sizeof(b));
    env = seal(SCHOOL, 1, 7, 7, dx, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
    CHECK(r.status == RCL_REPLY_REFUSED && reason_has(&r, "source " SCHOOL " is revoked"));
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL, school.pk, &er, other, 100, err, sizeof(err)) == 0 &&
          er == RCL_AGG_UNREVOKED);
    env = seal(SCHOOL, 1, 7, 7, dx, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 1 && r.status == RCL_REPLY_ACK && r.acked_seq == 7);

    /* A new key is a rebuilt school: its sequence starts again. */
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL, stranger.pk, &er, other, 100, err, sizeof(err)) == 0 &&
          er == RCL_AGG_REKEYED);
    CHECK(query_int(db, "SELECT applied_seq FROM sources WHERE id = '" SCHOOL "'") == 0);
    CHECK(query_int(db, "SELECT count(*) FROM summaries") == 2);

    rcl_db_close(&db);
    remove_store(path);
    sodium_memzero(&school, sizeof(school));
}

static void test_province(void)
{
    struct rcl_agg_config cfg, ccfg;
    struct node county, city, prov;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_reply r;
    struct rcl_summary sum;
    struct rcl_outbox_stats ob;
    struct batch b;
    enum rcl_agg_enroll_result er;
    char path[600], cpath[600], other[RCL_ID_MAX + 1], err[256], child[RCL_ID_MAX + 1];
    uint8_t d1[RCL_DIGEST_BYTES];
    uint8_t *env;
    size_t len;
    sqlite3 *db, *cdb;

    CHECK(rcl_key_generate(county.pk, county.sk) == 0);
    CHECK(rcl_key_generate(city.pk, city.sk) == 0);
    CHECK(rcl_key_generate(prov.pk, prov.sk) == 0);
    db = make_store("province.db", "41", RCL_AGG_PROVINCE, NULL, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    /* The privacy boundary: a province store has nowhere to put a student. */
    CHECK(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'students'") == 0);
    CHECK(rcl_agg_enroll(db, &cfg, COUNTY, county.pk, &er, other, 100, err, sizeof(err)) == 0 &&
          er == RCL_AGG_ENROLLED);
    CHECK(rcl_agg_enroll(db, &cfg, "4113", city.pk, &er, other, 100, err, sizeof(err)) == 0 &&
          er == RCL_AGG_ENROLLED);
    CHECK(query_int(db, "SELECT count(*) FROM summaries") == 0);

    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.cfg = &cfg;
    ctx.now = 7000;

    /* Summaries from the county. */
    memset(&b, 0, sizeof(b));
    add_summary(&b, 1, SCHOOL, true, 5);
    add_summary(&b, 2, SCHOOL2, false, 0);
    env = seal(COUNTY, 1, 1, 2, NULL, &b, NULL, &county, &len, d1);
    CHECK(ingest(&ctx, env, len, COUNTY, &r) == 1 && r.status == RCL_REPLY_ACK && r.acked_seq == 2);
    CHECK(rcl_agg_summary_get(db, SCHOOL, &sum, child) == 1 && strcmp(child, COUNTY) == 0 &&
          sum.reported && sum.totals.students == 5 && sum.last_sync == 1000);
    CHECK(rcl_agg_summary_get(db, SCHOOL2, &sum, child) == 1 && !sum.reported);

    /* The city claims a school the county already reports: skipped, the rest applied. */
    memset(&b, 0, sizeof(b));
    add_summary(&b, 1, SCHOOL, true, 500);
    add_summary(&b, 2, "4113820001", true, 7);
    env = seal("4113", 1, 1, 2, NULL, &b, NULL, &city, &len, NULL);
    CHECK(ingest(&ctx, env, len, "4113", &r) == 1 && r.status == RCL_REPLY_ACK && r.acked_seq == 2);
    CHECK(rcl_agg_summary_get(db, SCHOOL, &sum, child) == 1 && strcmp(child, COUNTY) == 0 &&
          sum.totals.students == 5);
    CHECK(rcl_agg_summary_get(db, "4113820001", &sum, child) == 1 && strcmp(child, "4113") == 0 &&
          sum.totals.students == 7);

    /* Student data is refused at a province, and nothing of the batch is applied. */
    memset(&b, 0, sizeof(b));
    add_summary(&b, 3, "4113810003", true, 1);
    add_student(&b, 4, 1, 0, 0, RCL_PART_ACTIVE, false);
    env = seal(COUNTY, 1, 3, 4, d1, &b, NULL, &county, &len, NULL);
    CHECK(ingest(&ctx, env, len, COUNTY, &r) == 0);
    CHECK(r.status == RCL_REPLY_REFUSED && reason_has(&r, "seq 4") &&
          reason_has(&r, "not accepted at a province"));
    CHECK(rcl_agg_summary_get(db, "4113810003", &sum, NULL) == 0);
    memset(&b, 0, sizeof(b));
    add_profile(&b, 3, COUNTY, "x");
    env = seal(COUNTY, 1, 3, 3, d1, &b, NULL, &county, &len, NULL);
    CHECK(ingest(&ctx, env, len, COUNTY, &r) == 0 && r.status == RCL_REPLY_REFUSED);
    memset(&b, 0, sizeof(b));
    add_removed(&b, 3, 1);
    env = seal(COUNTY, 1, 3, 3, d1, &b, NULL, &county, &len, NULL);
    CHECK(ingest(&ctx, env, len, COUNTY, &r) == 0 && r.status == RCL_REPLY_REFUSED);
    CHECK(query_int(db, "SELECT applied_seq FROM sources WHERE id = '" COUNTY "'") == 2);

    /* A city with an upstream forwards what it applies, unchanged. */
    cdb = make_store("city.db", "4113", RCL_AGG_CITY, prov.pk, &ccfg, cpath, sizeof(cpath));
    CHECK(cdb != NULL);
    if (cdb) {
        CHECK(query_int(cdb, "SELECT count(*) FROM sqlite_master WHERE name = 'students'") == 0);
        CHECK(rcl_agg_enroll(cdb, &ccfg, COUNTY, county.pk, &er, other, 100, err, sizeof(err)) ==
                  0 &&
              er == RCL_AGG_ENROLLED);
        CHECK(rcl_outbox_stats(cdb, &ob) == 0 && ob.pending == 0);
        ctx.db = cdb;
        ctx.cfg = &ccfg;
        memset(&b, 0, sizeof(b));
        add_summary(&b, 1, SCHOOL, true, 5);
        add_summary(&b, 2, SCHOOL2, false, 0);
        env = seal(COUNTY, 1, 1, 2, NULL, &b, NULL, &county, &len, NULL);
        CHECK(ingest(&ctx, env, len, COUNTY, &r) == 1 && r.status == RCL_REPLY_ACK);
        CHECK(rcl_outbox_stats(cdb, &ob) == 0 && ob.pending == 2);
        rcl_db_close(&cdb);
        remove_store(cpath);
    }

    rcl_db_close(&db);
    remove_store(path);
}

int main(void)
{
    rcl_log_init("test_ingest");
    CHECK(rcl_keys_init() == 0);
    make_tmpdir();
    RCL_TEST_RUN(test_county);
    RCL_TEST_RUN(test_province);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

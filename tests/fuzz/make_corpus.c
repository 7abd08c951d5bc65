/*
 * make_corpus.c - writes the seed inputs of fuzz_batch and fuzz_envelope:
 * real batches and envelopes made by the codec with the fixture's keys, one
 * for each rule of rcl_receiver.h, and says what the aggregator answers to each
 * so a seed that stopped doing what its name says is noticed.
 *
 *   fuzz_make_corpus OUT_DIR    (writes OUT_DIR/batch/seed-NAME, OUT_DIR/envelope/seed-NAME,
 *                                OUT_DIR/deflated/seed-NAME: the batch seeds compressed)
 *
 * The corpus in tests/fuzz/corpus was made with it; run it again after a
 * change to the wire format and replace the seed files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agg_ingest.h"
#include "fuzz_fixture.h"
#include "rcl_deflate.h"
#include "rcl_envelope.h"

static const char *out_dir;
static const char *const status_words[] = {"ACK", "RESEND", "REFUSED", "BUSY"};

static void write_file(const char *target, const char *name, const uint8_t *prefix,
                       size_t prefix_len, const uint8_t *data, size_t len)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", out_dir, target);
    FUZZ_ASSERT(mkdir(path, 0755) == 0 || errno == EEXIST, "%s: cannot create", path);
    snprintf(path, sizeof(path), "%s/%s/seed-%s", out_dir, target, name);
    f = fopen(path, "wb");
    FUZZ_ASSERT(f != NULL, "%s: cannot create", path);
    FUZZ_ASSERT(fwrite(prefix, 1, prefix_len, f) == prefix_len && fwrite(data, 1, len, f) == len &&
                    fclose(f) == 0,
                "%s: cannot write", path);
}

/* Seals payload as sender, ingests it into w (from a pristine state) and prints the answer. */
static void try_envelope(struct fuzz_agg *w, const char *name, const uint8_t *env, size_t len,
                         const char *user)
{
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_reply r;
    int rc;

    memset(&ctx, 0, sizeof(ctx));
    ctx.db = w->db;
    ctx.cfg = &w->cfg;
    ctx.now = FUZZ_NOW;
    rc = rcl_agg_ingest(&ctx, env, len, user, &r);
    printf("%-40s %-8s committed=%d acked=%llu resend=%llu %s\n", name,
           (unsigned)r.status < 4 ? status_words[r.status] : "?", rc,
           (unsigned long long)r.acked_seq, (unsigned long long)r.resend_from, r.reason);
    fuzz_agg_reset(w);
}

/* Writes a fuzz_batch seed (selector byte + payload), and a fuzz_envelope one at a county. */
static void seed(enum fuzz_tier tier, enum fuzz_who who, const char *name, const uint8_t *payload,
                 size_t len)
{
    struct fuzz_agg *w = fuzz_agg_world(tier);
    const struct fuzz_node *s = &w->src[who];
    uint8_t selector = (uint8_t)(tier + FUZZ_TIER_COUNT * who);
    uint8_t *env = NULL;
    size_t env_len = 0;

    uint8_t *z = NULL;
    size_t zlen = 0;

    write_file("batch", name, &selector, 1, payload, len);
    FUZZ_ASSERT(rcl_envelope_seal(s->id, payload, len, s->pk, s->sk, &env, &env_len) == 0,
                "sealing %s", name);
    try_envelope(w, name, env, env_len, s->id);
    if (tier == FUZZ_COUNTY)
        write_file("envelope", name, NULL, 0, env, env_len);
    free(env);
    /* The same batch compressed: the answer must not change. */
    FUZZ_ASSERT(rcl_batch_compress(payload, len, &z, &zlen) == 0, "compressing %s", name);
    write_file("deflated", name, &selector, 1, z, zlen);
    FUZZ_ASSERT(rcl_envelope_seal_deflated(s->id, z, zlen, s->pk, s->sk, &env, &env_len) == 0,
                "sealing %s compressed", name);
    try_envelope(w, name, env, env_len, s->id);
    free(env);
    free(z);
}

/* A compressed payload of a DEFLATE stream alone: an empty set-apart part (a 0 length)
 * first, as rcl_batch_compress writes it, and extra zero bytes after the stream. */
static uint8_t *stream_alone(const uint8_t *z, size_t zlen, size_t extra, size_t *len)
{
    uint8_t *p = calloc(1, zlen + extra + 1);

    FUZZ_ASSERT(p != NULL, "out of memory");
    memcpy(p + 1, z, zlen);
    *len = zlen + extra + 1;
    return p;
}

/* fuzz_deflated seeds that no batch makes: a bomb, a cut stream, bytes after the end. */
static void deflated_seeds(void)
{
    static uint8_t zeros[RCL_MESSAGE_BYTES_MAX + 1];
    static const char *const names[] = {"deflated-bomb", "deflated-cut", "deflated-trailing"};
    struct fuzz_agg *w = fuzz_agg_world(FUZZ_COUNTY);
    const struct fuzz_node *s = &w->src[FUZZ_FRESH];
    uint8_t selector = (uint8_t)(FUZZ_COUNTY + FUZZ_TIER_COUNT * FUZZ_FRESH);
    uint8_t *bomb = NULL, *small = NULL, *seeds[3], *env = NULL;
    size_t bomb_len = 0, small_len = 0, lens[3], env_len = 0;

    /* One byte past the cap; the cut and trailing seeds are of a stream within it. */
    FUZZ_ASSERT(rcl_deflate(zeros, sizeof(zeros), &bomb, &bomb_len) == 0, "compressing zeros");
    FUZZ_ASSERT(rcl_deflate(zeros, 1000, &small, &small_len) == 0, "compressing zeros");
    seeds[0] = stream_alone(bomb, bomb_len, 0, &lens[0]);
    seeds[1] = stream_alone(small, small_len / 2, 0, &lens[1]);
    seeds[2] = stream_alone(small, small_len, 1, &lens[2]);
    for (int i = 0; i < 3; i++) {
        write_file("deflated", names[i], &selector, 1, seeds[i], lens[i]);
        FUZZ_ASSERT(
            rcl_envelope_seal_deflated(s->id, seeds[i], lens[i], s->pk, s->sk, &env, &env_len) == 0,
            "sealing %s", names[i]);
        try_envelope(w, names[i], env, env_len, s->id);
        free(env);
        free(seeds[i]);
    }
    free(bomb);
    free(small);
}

static void build(const char *source, uint64_t epoch, uint64_t first, uint64_t last,
                  const uint8_t *prev, const struct rcl_change *c, size_t n, uint8_t **out,
                  size_t *len)
{
    FUZZ_ASSERT(fuzz_batch_build(source, epoch, first, last, prev, c, n, out, len) == 0,
                "encoding a batch");
}

static void school_removed(struct rcl_change *c, uint64_t seq, const char *school)
{
    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_SCHOOL_REMOVED;
    snprintf(c->u.school_removed, sizeof(c->u.school_removed), "%s", school);
}

static void snapshot_end(struct rcl_change *c, uint64_t seq, uint64_t records)
{
    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_SNAPSHOT_END;
    c->u.snapshot_records = records;
}

static void county_seeds(void)
{
    const char *fresh = fuzz_source_ids[FUZZ_COUNTY][FUZZ_FRESH];
    const char *hist = fuzz_source_ids[FUZZ_COUNTY][FUZZ_HISTORY];
    const char *county = fuzz_agg_ids[FUZZ_COUNTY];
    struct rcl_change c[4];
    struct rcl_batch_header probe;
    uint8_t digest[RCL_DIGEST_BYTES], wrong[RCL_DIGEST_BYTES], *p = NULL, *h = NULL;
    size_t len = 0, hlen = 0;

    FUZZ_ASSERT(fuzz_history_payload(FUZZ_COUNTY, &h, &hlen) == 0, "history");
    rcl_digest(h, hlen, digest);
    memset(wrong, 0x5a, sizeof(wrong));

    fuzz_change_profile(&c[0], 1, fresh, "第一小学 <A&B>", county);
    fuzz_change_student(&c[1], 2, 7, RCL_BIT(RCL_NET_MOBILE), RCL_BIT(RCL_DEV_SMARTPHONE),
                        RCL_PART_ACTIVE, -1);
    fuzz_change_student(&c[2], 3, 8, RCL_BIT(RCL_NET_CABLE_TV), RCL_BIT(RCL_DEV_TV),
                        RCL_PART_IRREGULAR, RCL_STATUS_IN_PLACE);
    build(fresh, 1, 1, 3, NULL, c, 3, &p, &len);
    seed(FUZZ_COUNTY, FUZZ_FRESH, "county-first-batch", p, len);
    free(p);

    memset(&probe, 0, sizeof(probe));
    snprintf(probe.source, sizeof(probe.source), "%s", fresh);
    probe.epoch = 1;
    probe.probe_id = 0x1234567890abcdefULL;
    FUZZ_ASSERT(rcl_batch_encode(&probe, NULL, 0, &p, &len) == 0, "probe");
    seed(FUZZ_COUNTY, FUZZ_FRESH, "county-probe", p, len);
    free(p);

    /* The full record: a profile with platforms and a parent, a student with measure
     * details and an opt-out, a tombstone with its reason and destination. */
    fuzz_change_profile(&c[0], 1, fresh, "教学点", county);
    c[0].u.school.n_platforms = 1;
    snprintf(c[0].u.school.platforms[0].name, sizeof(c[0].u.school.platforms[0].name), "空中课堂");
    c[0].u.school.platforms[0].kind = RCL_PLATFORM_TV;
    c[0].u.school.materials_delivered = 2;
    c[0].u.school.materials_total = 3;
    c[0].u.school.materials_percent = 66;
    snprintf(c[0].u.school.parent_school, sizeof(c[0].u.school.parent_school), "4113810000");
    fuzz_change_student(&c[1], 2, 7, 0, 0, RCL_PART_OPTED_OUT, RCL_STATUS_IN_PLACE);
    snprintf(c[1].u.student.measures[0].helper_role, sizeof(c[1].u.student.measures[0].helper_role),
             "班主任");
    snprintf(c[1].u.student.measures[0].start_date, sizeof(c[1].u.student.measures[0].start_date),
             "2026-02-10");
    c[1].u.student.optout_status = RCL_OPTOUT_APPROVED;
    snprintf(c[1].u.student.optout_reason, sizeof(c[1].u.student.optout_reason), "家长辅导");
    snprintf(c[1].u.student.optout_filed, sizeof(c[1].u.student.optout_filed), "2026-02-01");
    snprintf(c[1].u.student.optout_decided, sizeof(c[1].u.student.optout_decided), "2026-02-02");
    memset(&c[2], 0, sizeof(c[2]));
    c[2].seq = 3;
    c[2].kind = RCL_CHANGE_REMOVED;
    memset(c[2].u.removed.pseudonym, 8, RCL_PSEUDONYM_BYTES);
    c[2].u.removed.reason = RCL_DEPART_TRANSFERRED_OUT;
    snprintf(c[2].u.removed.destination, sizeof(c[2].u.removed.destination), "4113810000");
    snprintf(c[2].u.removed.left_on, sizeof(c[2].u.removed.left_on), "2026-03-01");
    snprintf(c[2].u.removed.name, sizeof(c[2].u.removed.name), "学生8");
    c[2].u.removed.grade = 5;
    build(fresh, 1, 1, 3, NULL, c, 3, &p, &len);
    seed(FUZZ_COUNTY, FUZZ_FRESH, "county-full-record", p, len);
    free(p);

    fuzz_change_summary(&c[0], 1, fresh, true, 10);
    build(fresh, 1, 1, 1, NULL, c, 1, &p, &len);
    seed(FUZZ_COUNTY, FUZZ_FRESH, "county-summary-refused", p, len);
    free(p);

    fuzz_change_student(&c[0], 1, 9, 0, 0, RCL_PART_ABSENT, -1);
    snapshot_end(&c[1], 2, 1);
    build(fresh, 1, 1, 2, NULL, c, 2, &p, &len);
    seed(FUZZ_COUNTY, FUZZ_FRESH, "county-snapshot-end-unopened", p, len);
    free(p);

    fuzz_change_student(&c[0], 4, 1, RCL_BIT(RCL_NET_BROADBAND) | RCL_BIT(RCL_NET_MOBILE),
                        RCL_BIT(RCL_DEV_TABLET), RCL_PART_OPTED_OUT, RCL_STATUS_ENDED);
    memset(&c[1], 0, sizeof(c[1]));
    c[1].seq = 5;
    c[1].kind = RCL_CHANGE_REMOVED;
    memset(c[1].u.removed.pseudonym, 2, RCL_PSEUDONYM_BYTES);
    build(hist, 1, 4, 5, digest, c, 2, &p, &len);
    seed(FUZZ_COUNTY, FUZZ_HISTORY, "county-next-batch", p, len);
    free(p);

    seed(FUZZ_COUNTY, FUZZ_HISTORY, "county-duplicate", h, hlen);

    build(hist, 1, 6, 6, digest, c, 0, &p, &len);
    seed(FUZZ_COUNTY, FUZZ_HISTORY, "county-gap", p, len);
    free(p);

    build(hist, 1, 3, 4, NULL, c, 1, &p, &len);
    seed(FUZZ_COUNTY, FUZZ_HISTORY, "county-overlap", p, len);
    free(p);

    build(hist, 1, 4, 4, wrong, c, 1, &p, &len);
    seed(FUZZ_COUNTY, FUZZ_HISTORY, "county-chain-break", p, len);
    free(p);

    fuzz_change_profile(&c[0], 1, hist, "第二小学（重建）", county);
    fuzz_change_student(&c[1], 2, 3, RCL_BIT(RCL_NET_BROADBAND), RCL_BIT(RCL_DEV_COMPUTER),
                        RCL_PART_ACTIVE, -1);
    fuzz_change_student(&c[2], 3, 4, 0, RCL_BIT(RCL_DEV_TV), RCL_PART_ABSENT, RCL_STATUS_PLANNED);
    snapshot_end(&c[3], 4, 2);
    build(hist, 2, 1, 4, NULL, c, 4, &p, &len);
    seed(FUZZ_COUNTY, FUZZ_HISTORY, "county-new-epoch-snapshot", p, len);
    free(p);

    build(hist, 2, 1, 3, NULL, c, 3, &p, &len);
    seed(FUZZ_COUNTY, FUZZ_HISTORY, "county-new-epoch-open-snapshot", p, len);
    free(p);

    build(hist, 2, 2, 3, NULL, c + 1, 2, &p, &len);
    seed(FUZZ_COUNTY, FUZZ_HISTORY, "county-new-epoch-not-at-1", p, len);
    free(p);
    free(h);
}

static void upper_seeds(enum fuzz_tier tier, const char *prefix)
{
    const char *fresh = fuzz_source_ids[tier][FUZZ_FRESH];
    const char *hist = fuzz_source_ids[tier][FUZZ_HISTORY];
    struct rcl_change c[4];
    uint8_t digest[RCL_DIGEST_BYTES], *p = NULL, *h = NULL;
    char name[128], school[RCL_ID_MAX + 1], held[RCL_ID_MAX + 1], held2[RCL_ID_MAX + 1];
    size_t len = 0, hlen = 0;

    FUZZ_ASSERT(fuzz_history_payload(tier, &h, &hlen) == 0, "history");
    rcl_digest(h, hlen, digest);
    snprintf(held, sizeof(held), "%s0001", hist);
    snprintf(held2, sizeof(held2), "%s0002", hist);

    snprintf(school, sizeof(school), "%s0001", fresh);
    fuzz_change_summary(&c[0], 1, school, true, 300);
    snprintf(school, sizeof(school), "%s0002", fresh);
    fuzz_change_summary(&c[1], 2, school, false, 0);
    build(fresh, 1, 1, 2, NULL, c, 2, &p, &len);
    snprintf(name, sizeof(name), "%s-first-batch", prefix);
    seed(tier, FUZZ_FRESH, name, p, len);
    free(p);

    /* Schools another child already counts: skipped, never counted twice. */
    fuzz_change_summary(&c[0], 1, held, true, 999);
    school_removed(&c[1], 2, held2);
    build(fresh, 1, 1, 2, NULL, c, 2, &p, &len);
    snprintf(name, sizeof(name), "%s-other-childs-schools", prefix);
    seed(tier, FUZZ_FRESH, name, p, len);
    free(p);

    fuzz_change_student(&c[0], 1, 5, 0, 0, RCL_PART_ACTIVE, -1);
    build(fresh, 1, 1, 1, NULL, c, 1, &p, &len);
    snprintf(name, sizeof(name), "%s-student-refused", prefix);
    seed(tier, FUZZ_FRESH, name, p, len);
    free(p);

    fuzz_change_summary(&c[0], 4, held, true, 121);
    school_removed(&c[1], 5, held2);
    build(hist, 1, 4, 5, digest, c, 2, &p, &len);
    snprintf(name, sizeof(name), "%s-next-batch", prefix);
    seed(tier, FUZZ_HISTORY, name, p, len);
    free(p);

    /* A new epoch: its snapshot keeps one school, so the others are removed. */
    fuzz_change_summary(&c[0], 1, held, true, 122);
    snapshot_end(&c[1], 2, 1);
    build(hist, 2, 1, 2, NULL, c, 2, &p, &len);
    snprintf(name, sizeof(name), "%s-new-epoch-snapshot", prefix);
    seed(tier, FUZZ_HISTORY, name, p, len);
    free(p);

    snapshot_end(&c[1], 2, 5);
    build(hist, 2, 1, 2, NULL, c, 2, &p, &len);
    snprintf(name, sizeof(name), "%s-snapshot-count-wrong", prefix);
    seed(tier, FUZZ_HISTORY, name, p, len);
    free(p);

    /* Counts whose sums wrap around 2^64 to the number of students: must be refused. */
    snprintf(school, sizeof(school), "%s0009", fresh);
    fuzz_change_summary(&c[0], 1, school, true, UINT64_MAX);
    c[0].u.summary.totals.condition[RCL_COND_TV_ONLY] = 1;
    c[0].u.summary.totals.condition[RCL_COND_NONE] = UINT64_MAX;
    c[0].u.summary.totals.participation[RCL_PART_IRREGULAR] = 1;
    c[0].u.summary.totals.participation[RCL_PART_ABSENT] = UINT64_MAX;
    build(fresh, 1, 1, 1, NULL, c, 1, &p, &len);
    snprintf(name, sizeof(name), "%s-counts-wrap", prefix);
    seed(tier, FUZZ_FRESH, name, p, len);
    free(p);
    free(h);
}

/* Envelopes that must be refused before their payload is looked at. */
static void envelope_seeds(void)
{
    struct fuzz_agg *w = fuzz_agg_world(FUZZ_COUNTY);
    struct fuzz_node stranger;
    uint8_t *p = NULL, *env = NULL, kid[RCL_KEY_ID_BYTES], sig[RCL_SIG_BYTES];
    size_t len = 0, env_len = 0;
    struct rcl_change c;
    const char *fresh = w->src[FUZZ_FRESH].id;

    fuzz_change_student(&c, 1, 1, 0, 0, RCL_PART_ACTIVE, -1);
    build(fresh, 1, 1, 1, NULL, &c, 1, &p, &len);

    fuzz_node_make(&stranger, "4113810099");
    FUZZ_ASSERT(rcl_envelope_seal(fresh, p, len, stranger.pk, stranger.sk, &env, &env_len) == 0,
                "seal");
    write_file("envelope", "wrong-key", NULL, 0, env, env_len);
    try_envelope(w, "envelope-wrong-key", env, env_len, fresh);
    free(env);

    /* Our key id, someone else's signature. */
    rcl_key_id(w->src[FUZZ_FRESH].pk, kid);
    FUZZ_ASSERT(rcl_sign(RCL_DOMAIN_BATCH, p, len, stranger.sk, sig) == 0, "sign");
    FUZZ_ASSERT(rcl_envelope_encode(fresh, kid, sig, p, len, &env, &env_len) == 0, "encode");
    write_file("envelope", "forged-signature", NULL, 0, env, env_len);
    try_envelope(w, "envelope-forged-signature", env, env_len, fresh);
    free(env);

    FUZZ_ASSERT(rcl_envelope_seal(stranger.id, p, len, stranger.pk, stranger.sk, &env, &env_len) ==
                    0,
                "seal");
    write_file("envelope", "not-enrolled", NULL, 0, env, env_len);
    try_envelope(w, "envelope-not-enrolled", env, env_len, stranger.id);
    free(env);
    free(p);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    FUZZ_ASSERT(mkdir(out_dir, 0755) == 0 || errno == EEXIST, "%s: cannot create", out_dir);
    county_seeds();
    upper_seeds(FUZZ_CITY, "city");
    upper_seeds(FUZZ_PROVINCE, "province");
    envelope_seeds();
    deflated_seeds();
    return 0;
}

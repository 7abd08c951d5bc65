/*
 * test_agg_pipeline.c - messages prepared ahead of the writer: the thread
 * verifies with the key last committed and decodes the changes, the writer
 * takes that only when the key it holds is the same. A batch prepared
 * under a key the store no longer holds is refused, one prepared under an
 * old key but signed with the current one is applied, a decoding error
 * found ahead is no refusal for a duplicate, and a malformed envelope is
 * refused as before.
 */
#include "agg_pipeline.h"
#include "ingest_fixture.h"

/* Seals a one-student batch first..first of SCHOOL signed by signer. */
static uint8_t *student_batch(uint64_t first, const uint8_t *prev, const struct node *signer,
                              size_t *len, uint8_t digest[RCL_DIGEST_BYTES])
{
    struct batch b;

    memset(&b, 0, sizeof(b));
    add_student(&b, first, (int)first, RCL_BIT(RCL_NET_MOBILE), RCL_BIT(RCL_DEV_SMARTPHONE),
                RCL_PART_ACTIVE, false);
    return seal(SCHOOL, 1, first, first, prev, &b, NULL, signer, len, digest);
}

static void test_prepared_ahead(void)
{
    struct rcl_agg_config cfg;
    struct node school, other;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_agg_pipeline *pl;
    struct rcl_agg_pipeline_job jobs[3];
    struct rcl_reply r;
    enum rcl_agg_enroll_result er;
    char path[600], who[RCL_ID_MAX + 1], err[256];
    uint8_t d1[RCL_DIGEST_BYTES], d2[RCL_DIGEST_BYTES];
    uint8_t *env[3];
    size_t len[3];
    sqlite3 *db;

    CHECK(rcl_key_generate(school.pk, school.sk) == 0);
    CHECK(rcl_key_generate(other.pk, other.sk) == 0);
    db = make_store("pipeline.db", COUNTY, RCL_AGG_COUNTY, NULL, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL, school.pk, &er, who, 100, err, sizeof(err)) == 0);
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.cfg = &cfg;
    ctx.now = 5000;
    pl = rcl_agg_pipeline_new(path, &cfg);
    CHECK(pl != NULL);
    if (!pl)
        return;

    /* Two good batches and a garbage message, prepared on the thread. */
    env[0] = student_batch(1, NULL, &school, &len[0], d1);
    env[1] = student_batch(2, d1, &school, &len[1], d2);
    env[2] = (uint8_t *)strdup("not an envelope");
    len[2] = strlen((const char *)env[2]);
    memset(jobs, 0, sizeof(jobs));
    for (int i = 0; i < 3; i++) {
        jobs[i].buf = env[i];
        jobs[i].len = len[i];
        CHECK(rcl_agg_pipeline_submit(pl, &jobs[i]) == 0);
    }
    for (int i = 0; i < 3; i++)
        rcl_agg_pipeline_wait(pl, &jobs[i]);
    CHECK(jobs[0].prepared.verified && jobs[0].prepared.changes != NULL &&
          memcmp(jobs[0].prepared.key, school.pk, RCL_PK_BYTES) == 0);
    CHECK(jobs[1].prepared.verified && jobs[1].prepared.batch != NULL);
    CHECK(jobs[2].prepared.env == NULL && strstr(jobs[2].prepared.malformed, "malformed") != NULL);

    /* The first is applied as prepared. */
    CHECK(rcl_agg_ingest_prepared(&ctx, &jobs[0].prepared, env[0], len[0], SCHOOL, &r) == 1 &&
          r.status == RCL_REPLY_ACK && r.acked_seq == 1);
    /* The school is given another key before the second is applied: what the thread
     * verified under the old key counts for nothing, and the batch is refused. */
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL, other.pk, &er, who, 200, err, sizeof(err)) == 0 &&
          er == RCL_AGG_REKEYED);
    CHECK(rcl_agg_ingest_prepared(&ctx, &jobs[1].prepared, env[1], len[1], SCHOOL, &r) == 0 &&
          r.status == RCL_REPLY_REFUSED && reason_has(&r, "does not verify"));
    CHECK(rcl_agg_ingest_prepared(&ctx, &jobs[2].prepared, env[2], len[2], SCHOOL, &r) == 0 &&
          r.status == RCL_REPLY_REFUSED && reason_has(&r, "malformed envelope"));
    for (int i = 0; i < 3; i++)
        rcl_agg_pipeline_discard(pl, &jobs[i].prepared);

    /* Prepared under the old key (the thread read it before the change) but signed with
     * the new one: the writer verifies again with the key it holds, and applies it. */
    free(env[0]);
    env[0] = student_batch(1, NULL, &other, &len[0], d1);
    CHECK(rcl_recv_prepare_envelope(&jobs[0].prepared, env[0], len[0]) == 0);
    CHECK(rcl_agg_prepare_payload(&jobs[0].prepared, &cfg, school.pk) == -1);
    CHECK(!jobs[0].prepared.verified);
    CHECK(rcl_agg_ingest_prepared(&ctx, &jobs[0].prepared, env[0], len[0], SCHOOL, &r) == 1 &&
          r.status == RCL_REPLY_ACK && r.acked_seq == 1);
    rcl_agg_pipeline_discard(pl, &jobs[0].prepared);

    /* A change that does not suit a county, found ahead: refused when the batch is next,
     * but a copy of an applied batch is acknowledged whatever it holds. */
    {
        struct batch b;
        uint8_t *bad;
        size_t bad_len;

        memset(&b, 0, sizeof(b));
        add_summary(&b, 1, SCHOOL, true, 3);
        bad = seal(SCHOOL, 1, 1, 1, NULL, &b, NULL, &other, &bad_len, NULL);
        CHECK(rcl_recv_prepare_envelope(&jobs[0].prepared, bad, bad_len) == 0);
        CHECK(rcl_agg_prepare_payload(&jobs[0].prepared, &cfg, other.pk) == 0);
        CHECK(jobs[0].prepared.changes_bad);
        CHECK(rcl_agg_ingest_prepared(&ctx, &jobs[0].prepared, bad, bad_len, SCHOOL, &r) == 0 &&
              r.status == RCL_REPLY_ACK && r.acked_seq == 1);
        rcl_recv_prepared_clear(&jobs[0].prepared);
        free(bad);
        b.changes[0].seq = 2;
        bad = seal(SCHOOL, 1, 2, 2, d1, &b, NULL, &other, &bad_len, NULL);
        CHECK(rcl_recv_prepare_envelope(&jobs[0].prepared, bad, bad_len) == 0);
        CHECK(rcl_agg_ingest_prepared(&ctx, &jobs[0].prepared, bad, bad_len, SCHOOL, &r) == 0 &&
              r.status == RCL_REPLY_REFUSED && reason_has(&r, "not accepted at a county"));
        rcl_recv_prepared_clear(&jobs[0].prepared);
        free(bad);
    }
    CHECK(query_int(db, "SELECT count(*) FROM students") == 1);

    rcl_agg_pipeline_destroy(&pl);
    CHECK(pl == NULL);
    for (int i = 0; i < 3; i++)
        free(env[i]);
    rcl_db_close(&db);
    remove_store(path);
}

int main(void)
{
    rcl_log_init("test_agg_pipeline");
    CHECK(rcl_keys_init() == 0);
    make_tmpdir("test_agg_pipeline");
    RCL_TEST_RUN(test_prepared_ahead);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

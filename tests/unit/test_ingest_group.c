/*
 * test_ingest_group.c - batches applied together in the caller's
 * transaction (a group, as `run` makes): each batch judges by what the
 * batches before it in the group applied; nothing is held until the
 * caller commits, and a rolled-back group leaves the store as it was; a bad
 * batch inside a group is refused without undoing its neighbours.
 */
#include "ingest_fixture.h"

#define STUDENTS_OF_SCHOOL "SELECT count(*) FROM students WHERE school_id = '" SCHOOL "'"
#define APPLIED_SEQ "SELECT applied_seq FROM sources WHERE id = '" SCHOOL "'"

/* The two batches every case sends: 1..3 (profile, two students), 4..5 (a third student). */
static void first_batches(struct batch *b1, struct batch *b2)
{
    memset(b1, 0, sizeof(*b1));
    add_profile(b1, 1, SCHOOL, "第一小学");
    add_student(b1, 2, 1, RCL_BIT(RCL_NET_BROADBAND), RCL_BIT(RCL_DEV_COMPUTER), RCL_PART_ACTIVE,
                false);
    add_student(b1, 3, 2, 0, 0, RCL_PART_ACTIVE, false);
    memset(b2, 0, sizeof(*b2));
    add_student(b2, 5, 3, 0, 0, RCL_PART_ABSENT, false);
}

/* Seals a batch of SCHOOL (epoch 1) and ingests it as from SCHOOL's connection. */
static int put(struct rcl_agg_ingest_ctx *ctx, uint64_t first, uint64_t last, const uint8_t *prev,
               const struct batch *b, const struct node *signer, uint8_t digest[RCL_DIGEST_BYTES],
               struct rcl_reply *r)
{
    size_t len = 0;
    uint8_t *env = seal(SCHOOL, 1, first, last, prev, b, NULL, signer, &len, digest);

    return ingest(ctx, env, len, SCHOOL, r);
}

static void test_grouped(void)
{
    struct rcl_agg_config cfg;
    struct node school, upstream;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_recv_group group;
    struct rcl_reply r;
    struct rcl_summary sum;
    struct batch b1, b2;
    enum rcl_agg_enroll_result er;
    char path[600], other[RCL_ID_MAX + 1], err[256];
    uint8_t d1[RCL_DIGEST_BYTES], d2[RCL_DIGEST_BYTES];
    sqlite3 *db;

    CHECK(rcl_key_generate(school.pk, school.sk) == 0);
    CHECK(rcl_key_generate(upstream.pk, upstream.sk) == 0);
    db = make_store("group.db", COUNTY, RCL_AGG_COUNTY, upstream.pk, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL, school.pk, &er, other, 100, err, sizeof(err)) == 0 &&
          er == RCL_AGG_ENROLLED);
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.cfg = &cfg;
    ctx.now = 5000;
    first_batches(&b1, &b2);

    /* A group the caller rolls back: the second batch chained on the first's
     * uncommitted state, a duplicate was answered with it -- and none of it is held. */
    CHECK(rcl_agg_group_begin(&ctx, &group) == 0);
    CHECK(put(&ctx, 1, 3, NULL, &b1, &school, d1, &r) == 1);
    CHECK(r.status == RCL_REPLY_ACK && r.acked_seq == 3);
    CHECK(put(&ctx, 4, 5, d1, &b2, &school, d2, &r) == 1);
    CHECK(r.status == RCL_REPLY_ACK && r.acked_seq == 5);
    CHECK(put(&ctx, 1, 3, NULL, &b1, &school, NULL, &r) == 0);
    CHECK(r.status == RCL_REPLY_ACK && r.acked_seq == 5);
    CHECK(query_int(db, STUDENTS_OF_SCHOOL) == 3);
    CHECK(!sqlite3_get_autocommit(db)); /* the caller's transaction is still open */
    rcl_agg_group_rollback(&ctx);
    CHECK(query_int(db, APPLIED_SEQ) == 0);
    CHECK(query_int(db, STUDENTS_OF_SCHOOL) == 0);
    CHECK(query_int(db, "SELECT count(*) FROM batch_log") == 0);

    /* A group the caller commits, with a chain break between its two good batches:
     * refused alone, the others held once the commit is made. */
    CHECK(rcl_agg_group_begin(&ctx, &group) == 0);
    CHECK(put(&ctx, 1, 3, NULL, &b1, &school, d1, &r) == 1);
    CHECK(put(&ctx, 4, 5, d2, &b2, &school, NULL, &r) == 0);
    CHECK(r.status == RCL_REPLY_REFUSED && reason_has(&r, "chain break at seq 4"));
    CHECK(put(&ctx, 4, 5, d1, &b2, &school, d2, &r) == 1);
    CHECK(r.status == RCL_REPLY_ACK && r.acked_seq == 5 &&
          memcmp(r.acked_digest, d2, RCL_DIGEST_BYTES) == 0);
    CHECK(rcl_agg_group_commit(&ctx) == 0);
    CHECK(query_int(db, APPLIED_SEQ) == 5);
    CHECK(query_int(db, STUDENTS_OF_SCHOOL) == 3);
    CHECK(query_int(db, "SELECT count(*) FROM batch_log") == 2);
    CHECK(query_int(db, "SELECT count(*) FROM refused") == 1); /* kept for audit */
    CHECK(rcl_agg_summary_get(db, SCHOOL, &sum, NULL) == 1 && sum.totals.students == 3 &&
          sum.totals.blind_spots == 2 && sum.through_seq == 5);

    /* Ungrouped again: the next duplicate is answered from the committed state. */
    CHECK(put(&ctx, 4, 5, d1, &b2, &school, NULL, &r) == 0);
    CHECK(r.status == RCL_REPLY_ACK && r.acked_seq == 5 && sqlite3_get_autocommit(db));

    rcl_db_close(&db);
    remove_store(path);
}

int main(void)
{
    rcl_log_init("test_ingest_group");
    CHECK(rcl_keys_init() == 0);
    make_tmpdir("test_ingest_group");
    RCL_TEST_RUN(test_grouped);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

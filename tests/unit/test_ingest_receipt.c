/*
 * test_ingest_receipt.c - receipts, and what the receiver writes around
 * them, on real signed batches and real stores: without an upstream a
 * receipt names the applied seq (none while a snapshot is half staged); with
 * one it follows what the upstream confirmed of this node's outbox, also for
 * a batch that queued nothing; the forwards table keeps only rows still on
 * their way up; a probe writes nothing; a duplicate of a snapshot's first
 * batch is applied once; a refused first batch of a new epoch leaves the old
 * epoch in place; a school removal is refused at a county and skipped for a
 * school counted through another child.
 */
#include "ingest_fixture.h"

#define COUNTY_B "411382"

/* Rows written (inserted, updated or deleted, committed or not) on db so far. */
static int64_t rows_written(sqlite3 *db)
{
    return (int64_t)sqlite3_total_changes(db);
}

static void test_receipt_without_upstream(void)
{
    struct rcl_agg_config cfg;
    struct node county;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_reply r;
    struct batch b;
    enum rcl_agg_enroll_result er;
    char path[600], other[RCL_ID_MAX + 1], err[256];
    uint8_t d[RCL_DIGEST_BYTES], prev[RCL_DIGEST_BYTES];
    uint8_t *env;
    size_t len;
    int64_t before;
    sqlite3 *db;

    CHECK(rcl_key_generate(county.pk, county.sk) == 0);
    db = make_store("province.db", "41", RCL_AGG_PROVINCE, NULL, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(rcl_agg_enroll(db, &cfg, COUNTY, county.pk, &er, other, 100, err, sizeof(err)) == 0);
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.cfg = &cfg;
    ctx.now = 7000;

    /* The top of the chain: what it applied is in its totals, as of when it applied it. */
    memset(&b, 0, sizeof(b));
    add_summary(&b, 1, SCHOOL, true, 5);
    add_summary(&b, 2, SCHOOL2, true, 7);
    env = seal(COUNTY, 1, 1, 2, NULL, &b, NULL, &county, &len, d);
    CHECK(ingest(&ctx, env, len, COUNTY, &r) == 1 && r.status == RCL_REPLY_ACK);
    CHECK(r.top_seq == 2 && r.top_at == 7000 && r.epoch == 1);
    CHECK_STR(r.top_id, "41");

    /* A probe answers the same and writes nothing, not even last_batch_at. */
    ctx.now = 7100;
    before = rows_written(db);
    r = probe(&ctx, COUNTY, &county, 1, 11);
    CHECK(r.status == RCL_REPLY_ACK && r.probe && r.probe_id == 11 && r.acked_seq == 2 &&
          r.has_digest && memcmp(r.acked_digest, d, RCL_DIGEST_BYTES) == 0);
    CHECK(r.top_seq == 2 && r.top_at == 7000 && strcmp(r.top_id, "41") == 0);
    CHECK(rows_written(db) == before);
    CHECK(query_int(db, "SELECT last_batch_at FROM sources WHERE id = '" COUNTY "'") == 7000);

    /* Many batches later the forwards table still holds one row for the source. */
    for (uint64_t seq = 3; seq <= 12; seq++) {
        memcpy(prev, d, RCL_DIGEST_BYTES);
        memset(&b, 0, sizeof(b));
        add_summary(&b, seq, SCHOOL, true, seq);
        env = seal(COUNTY, 1, seq, seq, prev, &b, NULL, &county, &len, d);
        CHECK(ingest(&ctx, env, len, COUNTY, &r) == 1 && r.top_seq == seq);
    }
    CHECK(query_int(db, "SELECT count(*) FROM forwards WHERE source = '" COUNTY "'") == 1);

    /* Epoch 2 opens: while its snapshot is half here, no receipt is claimed. */
    memset(&b, 0, sizeof(b));
    add_summary(&b, 1, SCHOOL, true, 6);
    env = seal(COUNTY, 2, 1, 1, NULL, &b, NULL, &county, &len, d);
    CHECK(ingest(&ctx, env, len, COUNTY, &r) == 1 && r.status == RCL_REPLY_ACK &&
          r.acked_seq == 1 && r.epoch == 2);
    CHECK(r.top_id[0] == '\0' && r.top_seq == 0);
    r = probe(&ctx, COUNTY, &county, 2, 12);
    CHECK(r.acked_seq == 1 && r.epoch == 2 && r.top_id[0] == '\0');
    CHECK(query_int(db, "SELECT students FROM summaries WHERE school_id = '" SCHOOL "'") == 12);

    /* The snapshot's first batch again: acknowledged, nothing written. */
    before = rows_written(db);
    env = seal(COUNTY, 2, 1, 1, NULL, &b, NULL, &county, &len, NULL);
    CHECK(ingest(&ctx, env, len, COUNTY, &r) == 0 && r.status == RCL_REPLY_ACK &&
          r.acked_seq == 1 && memcmp(r.acked_digest, d, RCL_DIGEST_BYTES) == 0);
    CHECK(rows_written(db) == before);
    CHECK(query_int(db, "SELECT count(*) FROM summaries_staging") == 1);

    /* Its end: school 2 is gone, school 1 changed, and the receipt names the end. */
    memcpy(prev, d, RCL_DIGEST_BYTES);
    memset(&b, 0, sizeof(b));
    add_snapshot_end(&b, 2, 1);
    env = seal(COUNTY, 2, 2, 2, prev, &b, NULL, &county, &len, d);
    CHECK(ingest(&ctx, env, len, COUNTY, &r) == 1 && r.status == RCL_REPLY_ACK);
    CHECK(r.top_seq == 2 && strcmp(r.top_id, "41") == 0);
    CHECK(query_int(db, "SELECT count(*) FROM summaries") == 1);
    CHECK(query_int(db, "SELECT students FROM summaries WHERE school_id = '" SCHOOL "'") == 6);

    /* A first batch of epoch 3 that is refused (its end miscounts) opens nothing. */
    memset(&b, 0, sizeof(b));
    add_summary(&b, 1, SCHOOL, true, 60);
    add_snapshot_end(&b, 2, 5);
    env = seal(COUNTY, 3, 1, 2, NULL, &b, NULL, &county, &len, NULL);
    CHECK(ingest(&ctx, env, len, COUNTY, &r) == 0 && r.status == RCL_REPLY_REFUSED &&
          reason_has(&r, "with 5 records, but 1 arrived"));
    CHECK(query_int(db, "SELECT epoch FROM sources WHERE id = '" COUNTY "'") == 2);
    CHECK(query_int(db, "SELECT applied_seq FROM sources WHERE id = '" COUNTY "'") == 2);
    CHECK(query_int(db, "SELECT snapshot_open FROM sources WHERE id = '" COUNTY "'") == 0);
    CHECK(query_int(db, "SELECT count(*) FROM summaries_staging") == 0);
    CHECK(query_int(db, "SELECT students FROM summaries WHERE school_id = '" SCHOOL "'") == 6);

    rcl_db_close(&db);
    remove_store(path);
}

static void test_receipt_with_upstream(void)
{
    struct rcl_agg_config cfg;
    struct node a, b_node, prov;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_reply r;
    struct rcl_outbox_stats ob;
    struct rcl_summary sum;
    struct batch b;
    enum rcl_agg_enroll_result er;
    char path[600], other[RCL_ID_MAX + 1], err[256], child[RCL_ID_MAX + 1];
    uint8_t da[RCL_DIGEST_BYTES], db_[RCL_DIGEST_BYTES], prev[RCL_DIGEST_BYTES];
    uint8_t *env;
    size_t len;
    sqlite3 *db;

    CHECK(rcl_key_generate(a.pk, a.sk) == 0);
    CHECK(rcl_key_generate(b_node.pk, b_node.sk) == 0);
    CHECK(rcl_key_generate(prov.pk, prov.sk) == 0);
    db = make_store("city.db", "4113", RCL_AGG_CITY, prov.pk, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(rcl_agg_enroll(db, &cfg, COUNTY, a.pk, &er, other, 100, err, sizeof(err)) == 0);
    CHECK(rcl_agg_enroll(db, &cfg, COUNTY_B, b_node.pk, &er, other, 100, err, sizeof(err)) == 0);
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.cfg = &cfg;
    ctx.now = 8000;

    /* County A reports school 1; nothing is confirmed from above yet: no receipt. */
    memset(&b, 0, sizeof(b));
    add_summary(&b, 1, SCHOOL, true, 5);
    env = seal(COUNTY, 1, 1, 1, NULL, &b, NULL, &a, &len, da);
    CHECK(ingest(&ctx, env, len, COUNTY, &r) == 1 && r.status == RCL_REPLY_ACK);
    CHECK(r.top_id[0] == '\0' && r.top_seq == 0);

    /* County B claims the same school, then removes it: both skipped, nothing queued. */
    memset(&b, 0, sizeof(b));
    add_summary(&b, 1, SCHOOL, true, 50);
    env = seal(COUNTY_B, 1, 1, 1, NULL, &b, NULL, &b_node, &len, db_);
    CHECK(ingest(&ctx, env, len, COUNTY_B, &r) == 1 && r.status == RCL_REPLY_ACK);
    memcpy(prev, db_, RCL_DIGEST_BYTES);
    memset(&b, 0, sizeof(b));
    add_school_removed(&b, 2, SCHOOL);
    env = seal(COUNTY_B, 1, 2, 2, prev, &b, NULL, &b_node, &len, db_);
    CHECK(ingest(&ctx, env, len, COUNTY_B, &r) == 1 && r.status == RCL_REPLY_ACK &&
          r.acked_seq == 2);
    CHECK(rcl_agg_summary_get(db, SCHOOL, &sum, child) == 1 && sum.totals.students == 5);
    CHECK_STR(child, COUNTY);
    CHECK(rcl_outbox_stats(db, &ob) == 0 && ob.last_seq == 1);

    /* The province confirms the city's outbox: both counties' batches are in its totals,
     * B's too although they queued nothing (else B would wait for a receipt forever). */
    CHECK(rcl_outbox_receipt(db, ob.last_seq, 9000, "41") == 0);
    r = probe(&ctx, COUNTY, &a, 1, 21);
    CHECK(r.top_seq == 1 && r.top_at == 9000 && strcmp(r.top_id, "41") == 0);
    r = probe(&ctx, COUNTY_B, &b_node, 1, 22);
    CHECK(r.acked_seq == 2 && r.top_seq == 2 && strcmp(r.top_id, "41") == 0);

    /* A's next batch is queued but not yet confirmed: the receipt stays at 1. */
    memcpy(prev, da, RCL_DIGEST_BYTES);
    memset(&b, 0, sizeof(b));
    add_summary(&b, 2, SCHOOL, true, 6);
    env = seal(COUNTY, 1, 2, 2, prev, &b, NULL, &a, &len, da);
    CHECK(ingest(&ctx, env, len, COUNTY, &r) == 1 && r.acked_seq == 2 && r.top_seq == 1);
    CHECK(query_int(db, "SELECT count(*) FROM forwards WHERE source = '" COUNTY "'") == 2);

    /* Once it is confirmed, the rows below it are no longer kept. */
    CHECK(rcl_outbox_stats(db, &ob) == 0 && ob.last_seq == 2);
    CHECK(rcl_outbox_receipt(db, ob.last_seq, 9500, "41") == 0);
    memcpy(prev, da, RCL_DIGEST_BYTES);
    memset(&b, 0, sizeof(b));
    add_summary(&b, 3, SCHOOL2, true, 3);
    env = seal(COUNTY, 1, 3, 3, prev, &b, NULL, &a, &len, da);
    CHECK(ingest(&ctx, env, len, COUNTY, &r) == 1 && r.acked_seq == 3 && r.top_seq == 2 &&
          r.top_at == 9500);
    CHECK(query_int(db, "SELECT count(*) FROM forwards WHERE source = '" COUNTY "'") == 2);
    CHECK(query_int(db, "SELECT min(source_seq) FROM forwards WHERE source = '" COUNTY "'") == 2);

    rcl_db_close(&db);
    remove_store(path);
}

static void test_county_refuses_school_removal(void)
{
    struct rcl_agg_config cfg;
    struct node school;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_reply r;
    struct batch b;
    enum rcl_agg_enroll_result er;
    char path[600], other[RCL_ID_MAX + 1], err[256];
    uint8_t *env;
    size_t len;
    sqlite3 *db;

    CHECK(rcl_key_generate(school.pk, school.sk) == 0);
    db = make_store("county.db", COUNTY, RCL_AGG_COUNTY, NULL, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL, school.pk, &er, other, 100, err, sizeof(err)) == 0);
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.cfg = &cfg;
    ctx.now = 5000;

    /* A county's sources are schools: a school removal is not theirs to send. */
    memset(&b, 0, sizeof(b));
    add_student(&b, 1, 1, 0, 0, RCL_PART_ACTIVE, false);
    add_school_removed(&b, 2, SCHOOL2);
    env = seal(SCHOOL, 1, 1, 2, NULL, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0 && r.status == RCL_REPLY_REFUSED &&
          reason_has(&r, "seq 2") && reason_has(&r, "not accepted at a county"));
    CHECK(query_int(db, "SELECT count(*) FROM students") == 0);
    CHECK(query_int(db, "SELECT applied_seq FROM sources WHERE id = '" SCHOOL "'") == 0);

    rcl_db_close(&db);
    remove_store(path);
    sodium_memzero(&school, sizeof(school));
}

int main(void)
{
    rcl_log_init("test_ingest_receipt");
    CHECK(rcl_keys_init() == 0);
    make_tmpdir("test_ingest_receipt");
    RCL_TEST_RUN(test_receipt_without_upstream);
    RCL_TEST_RUN(test_receipt_with_upstream);
    RCL_TEST_RUN(test_county_refuses_school_removal);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

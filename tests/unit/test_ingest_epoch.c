/*
 * test_ingest_epoch.c - probes, new epochs whose snapshot replaces a
 * source's rows in one go, school removals, and receipts, on real signed
 * batches: at a county (students) and at a city (summaries).
 */
#include "ingest_fixture.h"

#include "agg_snapshot.h"

static uint64_t students_of(sqlite3 *db, const char *school)
{
    struct rcl_summary sum;

    if (rcl_agg_summary_get(db, school, &sum, NULL) != 1)
        return UINT64_MAX;
    return sum.totals.students;
}

static void test_county_epochs(void)
{
    struct rcl_agg_config cfg;
    struct node school, upstream;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_reply r;
    struct rcl_outbox_stats ob;
    struct batch b;
    enum rcl_agg_enroll_result er;
    char path[600], other[RCL_ID_MAX + 1], err[256];
    uint8_t d1[RCL_DIGEST_BYTES], d2[RCL_DIGEST_BYTES], d3[RCL_DIGEST_BYTES];
    uint8_t *env;
    size_t len;
    uint64_t queued;
    sqlite3 *db;

    CHECK(rcl_key_generate(school.pk, school.sk) == 0);
    CHECK(rcl_key_generate(upstream.pk, upstream.sk) == 0);
    db = make_store("county.db", COUNTY, RCL_AGG_COUNTY, upstream.pk, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL, school.pk, &er, other, 100, err, sizeof(err)) == 0);
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.cfg = &cfg;
    ctx.now = 5000;

    /* Epoch 1: students 1, 2, 3. */
    memset(&b, 0, sizeof(b));
    add_profile(&b, 1, SCHOOL, "第一小学");
    add_student(&b, 2, 1, RCL_BIT(RCL_NET_MOBILE), RCL_BIT(RCL_DEV_SMARTPHONE), RCL_PART_ACTIVE,
                false);
    add_student(&b, 3, 2, 0, 0, RCL_PART_ACTIVE, false);
    add_student(&b, 4, 3, 0, 0, RCL_PART_ABSENT, false);
    env = seal(SCHOOL, 1, 1, 4, NULL, &b, NULL, &school, &len, d1);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 1 && r.status == RCL_REPLY_ACK && r.epoch == 1);
    CHECK(students_of(db, SCHOOL) == 3);

    /* A probe: what is held, nothing written; its id comes back. */
    r = probe(&ctx, SCHOOL, &school, 1, 77);
    CHECK(r.status == RCL_REPLY_ACK && r.probe && r.probe_id == 77 && r.acked_seq == 4 &&
          r.epoch == 1 && r.has_digest && memcmp(r.acked_digest, d1, RCL_DIGEST_BYTES) == 0);
    /* With an upstream that has confirmed nothing yet, there is no receipt. */
    CHECK(r.top_id[0] == '\0' && r.top_seq == 0);

    /* Receipts: the upstream confirms the county's outbox through its last seq. */
    CHECK(rcl_outbox_stats(db, &ob) == 0);
    CHECK(rcl_outbox_receipt(db, ob.last_seq, 6000, "41") == 0);
    r = probe(&ctx, SCHOOL, &school, 1, 78);
    CHECK(r.top_seq == 4 && r.top_at == 6000 && strcmp(r.top_id, "41") == 0);

    /* Epoch 2 (the school was restored): students 2 (changed) and 4, over two batches. */
    CHECK(rcl_outbox_stats(db, &ob) == 0);
    queued = ob.last_seq;
    memset(&b, 0, sizeof(b));
    add_profile(&b, 1, SCHOOL, "第一小学");
    add_student(&b, 2, 2, RCL_BIT(RCL_NET_BROADBAND), RCL_BIT(RCL_DEV_COMPUTER), RCL_PART_ACTIVE,
                false);
    env = seal(SCHOOL, 2, 1, 2, NULL, &b, NULL, &school, &len, d2);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 1 && r.status == RCL_REPLY_ACK &&
          r.acked_seq == 2 && r.epoch == 2);
    /* Half a snapshot is invisible: the old rows and summary stand, nothing goes upstream,
     * and no receipt is claimed. */
    CHECK(query_int(db, "SELECT count(*) FROM students") == 3);
    CHECK(students_of(db, SCHOOL) == 3);
    CHECK(rcl_outbox_stats(db, &ob) == 0 && ob.last_seq == queued);
    CHECK(r.top_id[0] == '\0');
    /* A wrong count refuses the end, and changes nothing. */
    memset(&b, 0, sizeof(b));
    add_student(&b, 3, 4, 0, 0, RCL_PART_ACTIVE, true);
    add_snapshot_end(&b, 4, 3);
    env = seal(SCHOOL, 2, 3, 4, d2, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0 && r.status == RCL_REPLY_REFUSED &&
          strstr(r.reason, "with 3 records, but 2 arrived") != NULL);
    CHECK(query_int(db, "SELECT count(*) FROM students") == 3);
    /* The right end replaces the rows in one go: 1 and 3 gone, 2 changed, 4 new. */
    memset(&b, 0, sizeof(b));
    add_student(&b, 3, 4, 0, 0, RCL_PART_ACTIVE, true);
    add_snapshot_end(&b, 4, 2);
    env = seal(SCHOOL, 2, 3, 4, d2, &b, NULL, &school, &len, d3);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 1 && r.status == RCL_REPLY_ACK && r.acked_seq == 4);
    CHECK(query_int(db, "SELECT count(*) FROM students") == 2);
    CHECK(query_int(db, "SELECT count(*) FROM students_staging") == 0);
    CHECK(query_int(db, "SELECT count(*) FROM students WHERE network = 1 AND devices = 1") == 1);
    CHECK(students_of(db, SCHOOL) == 2);
    /* The summary names the school batch it includes, for the tier above. */
    {
        struct rcl_summary sum;

        CHECK(rcl_agg_summary_get(db, SCHOOL, &sum, NULL) == 1 && sum.epoch == 2 &&
              sum.through_seq == 4 && sum.has_through_digest &&
              memcmp(sum.through_digest, d3, RCL_DIGEST_BYTES) == 0);
    }
    CHECK(rcl_outbox_stats(db, &ob) == 0 && ob.last_seq == queued + 1);
    CHECK(query_int(db, "SELECT snapshot_open FROM sources WHERE id = '" SCHOOL "'") == 0);
    /* The duplicate of the snapshot's end applies nothing twice. */
    memset(&b, 0, sizeof(b));
    add_student(&b, 3, 4, 0, 0, RCL_PART_ACTIVE, true);
    add_snapshot_end(&b, 4, 2);
    env = seal(SCHOOL, 2, 3, 4, d2, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0 && r.status == RCL_REPLY_ACK && r.acked_seq == 4);
    CHECK(rcl_outbox_stats(db, &ob) == 0 && ob.last_seq == queued + 1);

    /* An end with no snapshot open is refused. */
    memset(&b, 0, sizeof(b));
    add_snapshot_end(&b, 5, 0);
    env = seal(SCHOOL, 2, 5, 5, d3, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0 && r.status == RCL_REPLY_REFUSED &&
          strstr(r.reason, "no snapshot of source " SCHOOL " is open") != NULL);

    /* An older epoch is not applied; the answer names the current one (a restored sender
     * goes past it; a late copy must not stop a sender already on epoch 2). */
    memset(&b, 0, sizeof(b));
    add_student(&b, 5, 9, 0, 0, RCL_PART_ACTIVE, false);
    env = seal(SCHOOL, 1, 5, 5, d1, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0 && r.status == RCL_REPLY_ACK && r.epoch == 2 &&
          r.acked_seq == 4);
    CHECK(query_int(db, "SELECT count(*) FROM students") == 2);

    rcl_db_close(&db);
    remove_store(path);
    sodium_memzero(&school, sizeof(school));
}

static void test_city_epochs(void)
{
    struct rcl_agg_config cfg;
    struct node county, prov;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_reply r;
    struct rcl_outbox_stats ob;
    struct batch b;
    enum rcl_agg_enroll_result er;
    char path[600], other[RCL_ID_MAX + 1], err[256];
    uint8_t d1[RCL_DIGEST_BYTES], d2[RCL_DIGEST_BYTES];
    uint8_t *env;
    size_t len;
    sqlite3 *db;

    CHECK(rcl_key_generate(county.pk, county.sk) == 0);
    CHECK(rcl_key_generate(prov.pk, prov.sk) == 0);
    db = make_store("city.db", "4113", RCL_AGG_CITY, prov.pk, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(rcl_agg_enroll(db, &cfg, COUNTY, county.pk, &er, other, 100, err, sizeof(err)) == 0);
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.cfg = &cfg;
    ctx.now = 7000;

    memset(&b, 0, sizeof(b));
    add_summary(&b, 1, SCHOOL, true, 5);
    add_summary(&b, 2, SCHOOL2, true, 7);
    add_summary(&b, 3, STRANGER, true, 1);
    env = seal(COUNTY, 1, 1, 3, NULL, &b, NULL, &county, &len, d1);
    CHECK(ingest(&ctx, env, len, COUNTY, &r) == 1);
    CHECK(query_int(db, "SELECT sum(students) FROM summaries") == 13);

    /* A removal outside a snapshot goes upstream too; a county speaking for a school
     * of another county is not heard. */
    memset(&b, 0, sizeof(b));
    add_school_removed(&b, 4, STRANGER);
    add_summary(&b, 5, "4101020001", true, 40);
    snprintf(b.changes[1].u.summary.county, sizeof(b.changes[1].u.summary.county), "410102");
    env = seal(COUNTY, 1, 4, 5, d1, &b, NULL, &county, &len, d2);
    CHECK(ingest(&ctx, env, len, COUNTY, &r) == 1);
    CHECK(query_int(db, "SELECT count(*) FROM summaries") == 2);
    CHECK(query_int(db, "SELECT count(*) FROM outbox WHERE entity = 'summary:" STRANGER "'") == 1);

    /* The county restored: its snapshot holds school 1 (changed) only. */
    memset(&b, 0, sizeof(b));
    add_summary(&b, 1, SCHOOL, true, 6);
    add_snapshot_end(&b, 2, 1);
    env = seal(COUNTY, 2, 1, 2, NULL, &b, NULL, &county, &len, NULL);
    CHECK(ingest(&ctx, env, len, COUNTY, &r) == 1 && r.status == RCL_REPLY_ACK && r.epoch == 2);
    CHECK(query_int(db, "SELECT count(*) FROM summaries") == 1);
    CHECK(students_of(db, SCHOOL) == 6);
    CHECK(students_of(db, SCHOOL2) == UINT64_MAX);
    CHECK(query_int(db, "SELECT count(*) FROM summaries_staging") == 0);
    /* Upstream: school 2's removal and school 1's new summary are queued. */
    CHECK(rcl_outbox_stats(db, &ob) == 0);
    CHECK(query_int(db, "SELECT count(*) FROM outbox WHERE entity = 'summary:" SCHOOL2 "'") == 1);
    /* No upstream receipt yet; once the province confirms everything, the county's
     * snapshot (seq 2) is in its totals. */
    CHECK(r.top_id[0] == '\0');
    CHECK(rcl_outbox_receipt(db, ob.last_seq, 8000, "41") == 0);
    r = probe(&ctx, COUNTY, &county, 2, 5);
    CHECK(r.top_seq == 2 && strcmp(r.top_id, "41") == 0 && r.top_at == 8000);

    rcl_db_close(&db);
    remove_store(path);
}

int main(void)
{
    rcl_log_init("test_ingest_epoch");
    CHECK(rcl_keys_init() == 0);
    make_tmpdir("test_ingest_epoch");
    RCL_TEST_RUN(test_county_epochs);
    RCL_TEST_RUN(test_city_epochs);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

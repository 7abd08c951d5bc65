/*
 * test_ingest.c - the receiver rules, in process, on real signed batches:
 * a good batch is applied and acknowledged once; a duplicate is acked and
 * not applied; a gap asks for a resend; every kind of bad batch is refused
 * with nothing applied; a county recomputes the school's summary; a
 * province takes summaries only and never counts a school twice; a locked
 * store answers BUSY.
 */
#include "ingest_fixture.h"

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

    /* Overlap with the applied range: only a sender with another history sends one;
     * the ack names what is applied, so it sees the difference. Nothing applied. */
    memset(&b, 0, sizeof(b));
    add_student(&b, 6, 3, 0, 0, RCL_PART_ABSENT, true);
    env = seal(SCHOOL, 1, 5, 6, d1, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
    CHECK(r.status == RCL_REPLY_ACK && r.acked_seq == 5 && r.epoch == 1 &&
          memcmp(r.acked_digest, d2, RCL_DIGEST_BYTES) == 0);
    CHECK(query_int(db, "SELECT count(*) FROM students") == 1);

    /* A chain break: prev_digest is not the digest of the batch ending at 5. */
    env = seal(SCHOOL, 1, 6, 6, d1, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
    CHECK(r.status == RCL_REPLY_REFUSED && reason_has(&r, "chain break at seq 6"));
    env = seal(SCHOOL, 1, 6, 6, NULL, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
    CHECK(r.status == RCL_REPLY_REFUSED && reason_has(&r, "chain break at seq 6"));

    /* A newer epoch must start with its snapshot at seq 1. */
    env = seal(SCHOOL, 2, 6, 6, d2, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0);
    CHECK(r.status == RCL_REPLY_RESEND && r.resend_from == 1 && r.epoch == 1);
    CHECK(query_int(db, "SELECT count(*) FROM students") == 1);

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
    make_tmpdir("test_ingest");
    RCL_TEST_RUN(test_county);
    RCL_TEST_RUN(test_province);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

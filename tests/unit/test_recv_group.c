/*
 * test_recv_group.c - the receiver's group object and the tier's table.
 * A group whose transaction SQLite ended before the commit holds nothing,
 * and every ACK it would have sent is BUSY, its batches not applied; the
 * next group applies them again. Each tier's table accepts what its
 * sources send and refuses the rest, naming the change.
 */
#include "ingest_fixture.h"

#define APPLIED_SEQ "SELECT applied_seq FROM sources WHERE id = '" SCHOOL "'"
#define STUDENTS_OF_SCHOOL "SELECT count(*) FROM students WHERE school_id = '" SCHOOL "'"

static void test_commit_lost(void)
{
    struct rcl_agg_config cfg;
    struct node school;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_recv_group group;
    struct rcl_recv_prepared p;
    const struct rcl_recv_result *res[2];
    struct batch b;
    enum rcl_agg_enroll_result er;
    char path[600], other[RCL_ID_MAX + 1], err[256];
    uint8_t d1[RCL_DIGEST_BYTES];
    uint8_t *env[2];
    size_t len[2];
    sqlite3 *db;

    CHECK(rcl_key_generate(school.pk, school.sk) == 0);
    db = make_store("recv_group.db", COUNTY, RCL_AGG_COUNTY, NULL, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL, school.pk, &er, other, 100, err, sizeof(err)) == 0);
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.cfg = &cfg;
    ctx.now = 5000;
    memset(&b, 0, sizeof(b));
    add_student(&b, 1, 1, RCL_BIT(RCL_NET_BROADBAND), RCL_BIT(RCL_DEV_COMPUTER), RCL_PART_ACTIVE,
                false);
    env[0] = seal(SCHOOL, 1, 1, 1, NULL, &b, NULL, &school, &len[0], d1);
    memset(&b, 0, sizeof(b));
    add_student(&b, 2, 2, 0, 0, RCL_PART_ACTIVE, false);
    env[1] = seal(SCHOOL, 1, 2, 2, d1, &b, NULL, &school, &len[1], NULL);
    CHECK(env[0] && env[1]);
    if (!env[0] || !env[1])
        return;

    /* Two batches in a group, acknowledged in it; then the transaction is lost. */
    rcl_recv_group_begin(&group, rcl_agg_receiver(&ctx));
    CHECK(group.tx && rcl_recv_group_open(&group));
    for (int i = 0; i < 2; i++) {
        rcl_recv_prepare_envelope(&p, env[i], len[i]);
        res[i] = rcl_recv_group_add(&group, &p, env[i], len[i], SCHOOL);
        rcl_recv_prepared_clear(&p);
        CHECK(res[i]->applied && res[i]->changes == 1 && res[i]->reply.status == RCL_REPLY_ACK &&
              res[i]->reply.acked_seq == (uint64_t)i + 1);
    }
    CHECK(query_int(db, STUDENTS_OF_SCHOOL) == 2);
    CHECK(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK);
    CHECK(rcl_recv_group_commit(&group) == -1);
    for (int i = 0; i < 2; i++)
        CHECK(!res[i]->applied && res[i]->changes == 0 && res[i]->reply.status == RCL_REPLY_BUSY &&
              reason_has(&res[i]->reply, "committing; retry later"));
    CHECK(query_int(db, APPLIED_SEQ) == 0);
    CHECK(query_int(db, STUDENTS_OF_SCHOOL) == 0);

    /* Sent again, in a group that commits: both held. */
    rcl_recv_group_begin(&group, rcl_agg_receiver(&ctx));
    for (int i = 0; i < 2; i++) {
        rcl_recv_prepare_envelope(&p, env[i], len[i]);
        res[i] = rcl_recv_group_add(&group, &p, env[i], len[i], SCHOOL);
        rcl_recv_prepared_clear(&p);
    }
    CHECK(rcl_recv_group_commit(&group) == 0);
    CHECK(res[0]->applied && res[1]->applied && res[1]->reply.status == RCL_REPLY_ACK);
    CHECK(query_int(db, APPLIED_SEQ) == 2);
    CHECK(query_int(db, STUDENTS_OF_SCHOOL) == 2);
    free(env[0]);
    free(env[1]);
    rcl_db_close(&db);
    remove_store(path);
}

/* What tier accepts of change c from SCHOOL: 0, or -1 with why naming its kind. */
static int accepts(enum rcl_agg_tier tier, const struct rcl_change *c, char *why, size_t whylen)
{
    struct rcl_agg_config cfg;
    struct rcl_batch_header h;

    memset(&cfg, 0, sizeof(cfg));
    cfg.tier = tier;
    memset(&h, 0, sizeof(h));
    snprintf(h.source, sizeof(h.source), "%s", SCHOOL);
    why[0] = '\0';
    return rcl_agg_tier_of(&cfg)->accepts(&cfg, &h, c, why, whylen);
}

static void test_tier_table(void)
{
    struct batch b;
    char why[256];

    memset(&b, 0, sizeof(b));
    add_student(&b, 1, 1, 0, 0, RCL_PART_ACTIVE, false);
    add_summary(&b, 2, SCHOOL, true, 5);
    add_profile(&b, 3, SCHOOL2, "别的学校");
    add_school_removed(&b, 4, SCHOOL);
    for (int t = 0; t < RCL_AGG_TIER_COUNT; t++) {
        struct rcl_agg_config cfg = {.tier = (enum rcl_agg_tier)t};

        CHECK(rcl_agg_holds_students(&cfg) == (t == RCL_AGG_COUNTY));
        CHECK(rcl_agg_tier_of(&cfg) ==
              (t == RCL_AGG_COUNTY ? &rcl_agg_tier_county : &rcl_agg_tier_upper));
    }
    /* A county: student rows from its schools; no summaries, no other school's profile. */
    CHECK(accepts(RCL_AGG_COUNTY, &b.changes[0], why, sizeof(why)) == 0);
    CHECK(accepts(RCL_AGG_COUNTY, &b.changes[1], why, sizeof(why)) == -1 && strstr(why, "seq 2") &&
          strstr(why, rcl_agg_change_words(RCL_CHANGE_SUMMARY)));
    CHECK(accepts(RCL_AGG_COUNTY, &b.changes[2], why, sizeof(why)) == -1 && strstr(why, SCHOOL2) &&
          strstr(why, SCHOOL));
    CHECK(accepts(RCL_AGG_COUNTY, &b.changes[3], why, sizeof(why)) == -1 &&
          strstr(why, rcl_agg_change_words(RCL_CHANGE_SCHOOL_REMOVED)));
    /* Above: summaries and school removals only, the refusal naming the tier. */
    CHECK(accepts(RCL_AGG_CITY, &b.changes[1], why, sizeof(why)) == 0);
    CHECK(accepts(RCL_AGG_PROVINCE, &b.changes[3], why, sizeof(why)) == 0);
    CHECK(accepts(RCL_AGG_CITY, &b.changes[0], why, sizeof(why)) == -1 &&
          strstr(why, rcl_agg_change_words(RCL_CHANGE_STUDENT)) &&
          strstr(why, rcl_agg_tier_names[RCL_AGG_CITY]));
    CHECK(accepts(RCL_AGG_PROVINCE, &b.changes[2], why, sizeof(why)) == -1 &&
          strstr(why, rcl_agg_tier_names[RCL_AGG_PROVINCE]));
}

int main(void)
{
    rcl_log_init("test_recv_group");
    CHECK(rcl_keys_init() == 0);
    make_tmpdir("test_recv_group");
    RCL_TEST_RUN(test_commit_lost);
    RCL_TEST_RUN(test_tier_table);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

/*
 * test_audit.c - the batch log and `audit`: a sound chain passes, a break in
 * it, a registry or a summary that names another batch are each found, and
 * refused batches are kept with their reason.
 */
#include "ingest_fixture.h"

#include "agg_audit.h"

/* Runs the audit into a buffer; returns its result, the text in out. */
static int audit(sqlite3 *db, const struct rcl_agg_config *cfg, char *out, size_t outlen)
{
    FILE *f = fmemopen(out, outlen, "w");
    int breaks;

    if (f == NULL)
        return -2;
    breaks = rcl_agg_audit(db, cfg, false, f);
    fclose(f);
    return breaks;
}

static void test_audit(void)
{
    struct rcl_agg_config cfg;
    struct node school, forger;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_reply r;
    struct batch b;
    enum rcl_agg_enroll_result er;
    char path[600], other[RCL_ID_MAX + 1], err[256], text[8192];
    uint8_t d1[RCL_DIGEST_BYTES], d2[RCL_DIGEST_BYTES];
    uint8_t *env;
    size_t len;
    sqlite3 *db;

    CHECK(rcl_key_generate(school.pk, school.sk) == 0);
    CHECK(rcl_key_generate(forger.pk, forger.sk) == 0);
    db = make_store("county.db", COUNTY, RCL_AGG_COUNTY, NULL, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL, school.pk, &er, other, 100, err, sizeof(err)) == 0);
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.cfg = &cfg;
    ctx.now = 5000;

    memset(&b, 0, sizeof(b));
    add_profile(&b, 1, SCHOOL, "第一小学");
    add_student(&b, 2, 1, 0, 0, RCL_PART_ACTIVE, false);
    env = seal(SCHOOL, 1, 1, 2, NULL, &b, NULL, &school, &len, d1);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 1);
    memset(&b, 0, sizeof(b));
    add_student(&b, 3, 2, 0, 0, RCL_PART_ABSENT, false);
    env = seal(SCHOOL, 1, 3, 3, d1, &b, NULL, &school, &len, d2);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 1);
    CHECK(query_int(db, "SELECT count(*) FROM batch_log") == 2);

    /* A sound chain. */
    CHECK(audit(db, &cfg, text, sizeof(text)) == 0);
    CHECK(strstr(text, "1 sources, 2 batches checked, 0 breaks") != NULL);

    /* A forged batch is refused and kept aside, with its reason. */
    memset(&b, 0, sizeof(b));
    add_student(&b, 4, 3, 0, 0, RCL_PART_ACTIVE, false);
    env = seal(SCHOOL, 1, 4, 4, d2, &b, NULL, &forger, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 0 && r.status == RCL_REPLY_REFUSED);
    CHECK(query_int(db, "SELECT count(*) FROM refused WHERE source = '" SCHOOL "'") == 1);
    CHECK(audit(db, &cfg, text, sizeof(text)) == 0);
    CHECK(strstr(text, "does not verify against its enrolled key") != NULL);
    CHECK(strstr(text, "refused batches kept: 1") != NULL);

    /* A summary that names another batch than the one applied. */
    CHECK(rcl_db_exec(db, "UPDATE summaries SET through_seq = 2", "tamper") == 0);
    CHECK(audit(db, &cfg, text, sizeof(text)) == 1);
    CHECK(strstr(text, "its summary includes epoch 1 through seq 2") != NULL);
    CHECK(rcl_db_exec(db, "UPDATE summaries SET through_seq = 3", "repair") == 0);

    /* A link of the chain altered: the batch after it no longer names its digest. */
    CHECK(rcl_db_exec(db, "UPDATE batch_log SET digest = zeroblob(32) WHERE last_seq = 2",
                      "tamper") == 0);
    CHECK(audit(db, &cfg, text, sizeof(text)) == 1);
    CHECK(strstr(text, "batch 3..3 does not name the digest of the batch before it") != NULL);

    /* A batch missing from the log, and a registry ahead of it. */
    CHECK(rcl_db_exec(db, "DELETE FROM batch_log WHERE last_seq = 3", "tamper") == 0);
    CHECK(audit(db, &cfg, text, sizeof(text)) == 1);
    CHECK(strstr(text, "the registry has epoch 1 applied through seq 3") != NULL);

    rcl_db_close(&db);
    remove_store(path);
    sodium_memzero(&school, sizeof(school));
    sodium_memzero(&forger, sizeof(forger));
}

int main(void)
{
    rcl_log_init("test_audit");
    CHECK(rcl_keys_init() == 0);
    make_tmpdir("test_audit");
    RCL_TEST_RUN(test_audit);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

/*
 * test_agg_metrics.c - the counters and their exposition: every refusal the
 * real ingest writes lands under its own reason label (so a reworded
 * refusal that no longer matches fails here), committed batches and their
 * records are counted, the histogram is cumulative, and the store's gauges
 * (schools, upstream backlog and lag) read what the store holds.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <time.h>

#include "ingest_fixture.h"

#include "agg_http.h"
#include "agg_metrics.h"
#include "agg_monitor.h"

/* Ingests env as from user and checks the refusal is classified as want. */
static void expect_refusal(struct rcl_agg_ingest_ctx *ctx, uint8_t *env, size_t len,
                           const char *user, enum rcl_agg_refusal want)
{
    struct rcl_reply r;

    CHECK(ingest(ctx, env, len, user, &r) == 0);
    CHECK(r.status == RCL_REPLY_REFUSED);
    if (rcl_agg_refusal_classify(r.reason) != want) {
        fprintf(stderr, "  reason '%s' classified %s, expected %s\n", r.reason,
                rcl_agg_refusal_names[rcl_agg_refusal_classify(r.reason)],
                rcl_agg_refusal_names[want]);
        CHECK(rcl_agg_refusal_classify(r.reason) == want);
    }
}

static void test_refusals_by_reason(void)
{
    struct rcl_agg_config cfg;
    struct node school, stranger, upstream;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_reply r;
    struct batch b;
    enum rcl_agg_enroll_result er;
    char path[600], other[RCL_ID_MAX + 1], err[256];
    uint8_t d1[RCL_DIGEST_BYTES];
    uint8_t *env, garbage[] = {0x0a, 0x05, 'h', 'e', 'l', 'l', 'o', 0xff};
    size_t len;
    sqlite3 *db;

    CHECK(rcl_key_generate(school.pk, school.sk) == 0);
    CHECK(rcl_key_generate(stranger.pk, stranger.sk) == 0);
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

    /* A good batch: committed, with its three records. */
    memset(&b, 0, sizeof(b));
    add_profile(&b, 1, SCHOOL, "第一小学");
    add_student(&b, 2, 1, 0, 0, RCL_PART_ACTIVE, false);
    add_student(&b, 3, 2, 0, 0, RCL_PART_ABSENT, true);
    env = seal(SCHOOL, 1, 1, 3, NULL, &b, NULL, &school, &len, d1);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 1 && r.status == RCL_REPLY_ACK);
    CHECK(ctx.applied_changes == 3);

    env = malloc(sizeof(garbage));
    memcpy(env, garbage, sizeof(garbage));
    expect_refusal(&ctx, env, sizeof(garbage), SCHOOL, RCL_AGG_REFUSED_MALFORMED);
    CHECK(ctx.applied_changes == 0);

    memset(&b, 0, sizeof(b));
    add_student(&b, 4, 3, 0, 0, RCL_PART_ACTIVE, false);
    env = seal(STRANGER, 1, 1, 1, NULL, &b, NULL, &stranger, &len, NULL);
    expect_refusal(&ctx, env, len, STRANGER, RCL_AGG_REFUSED_NOT_ENROLLED);
    env = seal(SCHOOL, 1, 4, 4, d1, &b, NULL, &stranger, &len, NULL);
    expect_refusal(&ctx, env, len, SCHOOL, RCL_AGG_REFUSED_BAD_SIGNATURE);
    env = seal(SCHOOL, 1, 4, 4, d1, &b, NULL, &school, &len, NULL);
    expect_refusal(&ctx, env, len, SCHOOL2, RCL_AGG_REFUSED_WRONG_SOURCE);
    env = seal(SCHOOL, 1, 4, 4, NULL, &b, NULL, &school, &len, NULL);
    expect_refusal(&ctx, env, len, SCHOOL, RCL_AGG_REFUSED_CHAIN_BREAK);
    /* A range that runs backwards or starts at 0 is already refused by the batch decoder. */
    env = seal(SCHOOL, 1, 5, 4, d1, &b, NULL, &school, &len, NULL);
    expect_refusal(&ctx, env, len, SCHOOL, RCL_AGG_REFUSED_MALFORMED);
    env = seal(SCHOOL, 1, 0, 4, d1, &b, NULL, &school, &len, NULL);
    expect_refusal(&ctx, env, len, SCHOOL, RCL_AGG_REFUSED_MALFORMED);
    CHECK(rcl_agg_refusal_classify("batch 0..4 is not a valid range (seqs start at 1)") ==
          RCL_AGG_REFUSED_BAD_RANGE);
    /* A summary is not for a county; a change outside its batch's range. */
    memset(&b, 0, sizeof(b));
    add_summary(&b, 4, SCHOOL, true, 3);
    env = seal(SCHOOL, 1, 4, 4, d1, &b, NULL, &school, &len, NULL);
    expect_refusal(&ctx, env, len, SCHOOL, RCL_AGG_REFUSED_BAD_CHANGE);
    memset(&b, 0, sizeof(b));
    add_student(&b, 9, 3, 0, 0, RCL_PART_ACTIVE, false);
    env = seal(SCHOOL, 1, 4, 4, d1, &b, NULL, &school, &len, NULL);
    expect_refusal(&ctx, env, len, SCHOOL, RCL_AGG_REFUSED_BAD_CHANGE);
    {
        struct rcl_blob junk = {.data = garbage, .len = sizeof(garbage)};

        env = seal(SCHOOL, 1, 4, 4, d1, NULL, &junk, &school, &len, NULL);
        expect_refusal(&ctx, env, len, SCHOOL, RCL_AGG_REFUSED_BAD_CHANGE);
    }
    /* A snapshot end with no snapshot open. */
    memset(&b, 0, sizeof(b));
    b.changes[0].seq = 4;
    b.changes[0].kind = RCL_CHANGE_SNAPSHOT_END;
    b.n = 1;
    env = seal(SCHOOL, 1, 4, 4, d1, &b, NULL, &school, &len, NULL);
    expect_refusal(&ctx, env, len, SCHOOL, RCL_AGG_REFUSED_BAD_SNAPSHOT);
    CHECK(rcl_agg_revoke(db, SCHOOL) == 1);
    memset(&b, 0, sizeof(b));
    add_student(&b, 4, 3, 0, 0, RCL_PART_ACTIVE, false);
    env = seal(SCHOOL, 1, 4, 4, d1, &b, NULL, &school, &len, NULL);
    expect_refusal(&ctx, env, len, SCHOOL, RCL_AGG_REFUSED_REVOKED);
    CHECK(rcl_agg_refusal_classify("something new") == RCL_AGG_REFUSED_OTHER);

    rcl_db_close(&db);
    remove_store(path);
}

/* The text of metrics written from m and db. malloc'd. */
static char *exposition(const struct rcl_agg_metrics *m, sqlite3 *db,
                        const struct rcl_agg_config *cfg, int64_t now)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f)
        return NULL;
    CHECK(rcl_agg_metrics_write(m, db, cfg, now, f) == 0);
    fclose(f);
    return buf;
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
            return true;
    }
    fprintf(stderr, "  no line '%s'\n", line);
    return false;
}

static void test_counters_and_histogram(void)
{
    struct rcl_agg_metrics *m = malloc(sizeof(*m));
    struct rcl_agg_config cfg;
    struct rcl_reply r;
    char *text;

    CHECK(m != NULL);
    if (!m)
        return;
    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.id, sizeof(cfg.id), "411381");
    rcl_agg_metrics_init(m, 1700000000);
    memset(&r, 0, sizeof(r));
    r.status = RCL_REPLY_ACK;
    rcl_agg_metrics_count(m, &r, true, 40, false, 0.003);
    rcl_agg_metrics_count(m, &r, true, 2, false, 0.2);
    rcl_agg_metrics_count(m, &r, false, 0, false, 30.0); /* a duplicate, slow */
    r.status = RCL_REPLY_REFUSED;
    snprintf(r.reason, sizeof(r.reason), "chain break at seq 6");
    rcl_agg_metrics_count(m, &r, false, 0, false, 0.001);
    r.status = RCL_REPLY_BUSY;
    rcl_agg_metrics_count(m, &r, false, 0, true, 0.0);
    rcl_agg_metrics_count(m, &r, false, 0, false, 0.0);
    text = exposition(m, NULL, &cfg, 1700000100);
    CHECK(text != NULL);
    if (text) {
        char want[160];
        snprintf(want, sizeof(want),
                 "rollcall_info{id=\"411381\",tier=\"county\",version=\"%s\",protocol=\"%u\"} 1",
                 RCL_VERSION, RCL_PROTOCOL_VERSION);
        CHECK(has_line(text, want));
        CHECK(has_line(text, "process_start_time_seconds 1700000000"));
        CHECK(has_line(text, "rollcall_batches_accepted_total 2"));
        CHECK(has_line(text, "rollcall_records_applied_total 42"));
        CHECK(has_line(text, "rollcall_replies_total{reply=\"ack\"} 3"));
        CHECK(has_line(text, "rollcall_batches_refused_total{reason=\"chain_break\"} 1"));
        CHECK(has_line(text, "rollcall_batches_refused_total{reason=\"malformed\"} 0"));
        CHECK(has_line(text, "rollcall_batches_busy_total{reason=\"rate_limit\"} 1"));
        CHECK(has_line(text, "rollcall_batches_busy_total{reason=\"store\"} 1"));
        CHECK(has_line(text, "rollcall_ingest_ack_seconds_bucket{le=\"0.001\"} 0"));
        CHECK(has_line(text, "rollcall_ingest_ack_seconds_bucket{le=\"0.005\"} 1"));
        CHECK(has_line(text, "rollcall_ingest_ack_seconds_bucket{le=\"0.25\"} 2"));
        CHECK(has_line(text, "rollcall_ingest_ack_seconds_bucket{le=\"10\"} 2"));
        CHECK(has_line(text, "rollcall_ingest_ack_seconds_bucket{le=\"+Inf\"} 3"));
        CHECK(has_line(text, "rollcall_ingest_ack_seconds_count 3"));
        CHECK(has_line(text, "rollcall_ingest_ack_seconds_sum 30.203000"));
        /* No store given: its gauges are absent, and say so. */
        CHECK(has_line(text, "rollcall_store_readable 0"));
        CHECK(strstr(text, "rollcall_schools_expected") == NULL);
    }
    free(text);
    free(m);
}

static void test_gauges_and_lag(void)
{
    struct rcl_agg_config cfg;
    struct node school, school2, upstream;
    struct rcl_agg_gauges g;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_reply r;
    struct rcl_outbox_stats ob;
    struct batch b;
    enum rcl_agg_enroll_result er;
    char path[600], other[RCL_ID_MAX + 1], err[256], *text;
    uint8_t *env;
    size_t len;
    int64_t now = (int64_t)time(NULL);
    sqlite3 *db;

    CHECK(rcl_key_generate(school.pk, school.sk) == 0);
    CHECK(rcl_key_generate(school2.pk, school2.sk) == 0);
    CHECK(rcl_key_generate(upstream.pk, upstream.sk) == 0);
    db = make_store("gauges.db", COUNTY, RCL_AGG_COUNTY, upstream.pk, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(rcl_agg_gauges_read(db, &cfg, now, &g, err, sizeof(err)) == 0);
    CHECK(g.expected == 0 && g.pending == 0 && g.lag_seconds == 0);

    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL, school.pk, &er, other, 100, err, sizeof(err)) == 0);
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL2, school2.pk, &er, other, 100, err, sizeof(err)) == 0);
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.cfg = &cfg;
    ctx.now = now - 10 * 86400; /* school 1 last synced ten days ago: stale */
    memset(&b, 0, sizeof(b));
    add_student(&b, 1, 1, 0, 0, RCL_PART_ACTIVE, false);
    add_student(&b, 2, 2, RCL_BIT(RCL_NET_BROADBAND), RCL_BIT(RCL_DEV_COMPUTER), RCL_PART_ACTIVE,
                false);
    env = seal(SCHOOL, 1, 1, 2, NULL, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 1);

    CHECK(rcl_agg_gauges_read(db, &cfg, now, &g, err, sizeof(err)) == 0);
    CHECK(g.expected == 2 && g.reported == 1 && g.never_reported == 1 && g.stale == 1);
    CHECK(g.students == 2 && g.blind_spots == 1 && g.sources == 2 && g.revoked == 0);
    CHECK(rcl_outbox_stats(db, &ob) == 0 && g.pending == ob.pending && g.pending == 2);
    /* The two summaries waiting were made just now (the store's clock). */
    CHECK(g.oldest_pending_at >= now - 5 && g.oldest_pending_at <= now + 5);

    /* Backdate them: the lag is the age of the oldest one still waiting. */
    CHECK(sqlite3_exec(db,
                       "UPDATE outbox_age SET at = at - 3600 WHERE seq = (SELECT min(seq) "
                       "FROM outbox_age)",
                       NULL, NULL, NULL) == SQLITE_OK);
    CHECK(rcl_agg_gauges_read(db, &cfg, now, &g, err, sizeof(err)) == 0);
    CHECK(g.lag_seconds >= 3600 - 5 && g.lag_seconds <= 3600 + 5);
    text = exposition(NULL, db, &cfg, now);
    CHECK(text && has_line(text, "rollcall_store_readable 1"));
    CHECK(text && has_line(text, "rollcall_schools_stale 1"));
    CHECK(text && has_line(text, "rollcall_schools_never_reported 1"));
    CHECK(text && has_line(text, "rollcall_upstream_pending_changes 2"));
    free(text);

    /* The upstream acknowledges everything: nothing waits, no lag. */
    {
        struct node own;

        CHECK(rcl_agg_store_keys(db, own.pk, own.sk) == 0);
        CHECK(rcl_outbox_seal(db, COUNTY, own.pk, own.sk) >= 1);
        sodium_memzero(own.sk, sizeof(own.sk));
    }
    CHECK(rcl_outbox_stats(db, &ob) == 0);
    CHECK(rcl_outbox_ack(db, ob.last_seq, NULL) == 0);
    CHECK(rcl_agg_gauges_read(db, &cfg, now, &g, err, sizeof(err)) == 0);
    CHECK(g.pending == 0 && g.lag_seconds == 0);
    CHECK(query_int(db, "SELECT count(*) FROM outbox_age") == 0);

    rcl_db_close(&db);
    remove_store(path);
}

/* Parses an IPv4 address into a. 0, or -1 (also when it is not IPv4). */
static int parse4(const char *text, struct sockaddr_in *a)
{
    struct sockaddr_storage ss;

    if (rcl_agg_http_addr_parse(text, &ss) != 0 || ss.ss_family != AF_INET)
        return -1;
    memcpy(a, &ss, sizeof(*a));
    return 0;
}

static void test_http_addresses(void)
{
    struct sockaddr_storage ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    struct sockaddr_in a;

    CHECK(parse4("127.0.0.1:9100", &a) == 0 && ntohs(a.sin_port) == 9100);
    CHECK(parse4("9100", &a) == 0 && a.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK(parse4("localhost:1", &a) == 0 && a.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK(parse4("0.0.0.0:65535", &a) == 0 && a.sin_addr.s_addr == 0);
    /* Port 0: the system chooses, and run records what it bound (agg_listen.h). */
    CHECK(parse4("127.0.0.1:0", &a) == 0 && a.sin_port == 0);
    CHECK(rcl_agg_http_addr_parse("127.0.0.1:65536", NULL) != 0);
    CHECK(rcl_agg_http_addr_parse("127.0.0.1:-1", NULL) != 0);
    CHECK(rcl_agg_http_addr_parse("127.0.0.1:+80", NULL) != 0);
    CHECK(rcl_agg_http_addr_parse("127.0.0.1:", NULL) != 0);
    CHECK(rcl_agg_http_addr_parse(":80", NULL) != 0);
    CHECK(rcl_agg_http_addr_parse("example.org:80", NULL) != 0);
    CHECK(rcl_agg_http_addr_parse("1.2.3.4.5:80", NULL) != 0);
    CHECK(rcl_agg_http_addr_parse("255.255.255.255:65535x", NULL) != 0);
    CHECK(rcl_agg_http_addr_parse("", NULL) != 0);
    CHECK(rcl_agg_http_addr_parse(NULL, NULL) != 0);
    /* IPv6, bracketed: [::] is every address (IPv4 too). */
    CHECK(rcl_agg_http_addr_parse("[::1]:9100", &ss) == 0 && ss.ss_family == AF_INET6 &&
          ntohs(a6->sin6_port) == 9100 && IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr));
    CHECK(rcl_agg_http_addr_parse("[::]:0", &ss) == 0 && ss.ss_family == AF_INET6 &&
          a6->sin6_port == 0 && IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr));
    CHECK(rcl_agg_http_addr_parse("[::ffff:255.255.255.255]:65535", &ss) == 0);
    CHECK(rcl_agg_http_addr_parse("[::1]", NULL) != 0);
    CHECK(rcl_agg_http_addr_parse("[::1]9100", NULL) != 0);
    CHECK(rcl_agg_http_addr_parse("::1:9100", NULL) != 0);
    CHECK(rcl_agg_http_addr_parse("[127.0.0.1]:80", NULL) != 0);
    CHECK(rcl_agg_http_addr_parse("[::1:80", NULL) != 0);
}

int main(void)
{
    rcl_log_init("test_agg_metrics");
    CHECK(rcl_keys_init() == 0);
    make_tmpdir("test_agg_metrics");
    RCL_TEST_RUN(test_refusals_by_reason);
    RCL_TEST_RUN(test_counters_and_histogram);
    RCL_TEST_RUN(test_gauges_and_lag);
    RCL_TEST_RUN(test_http_addresses);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

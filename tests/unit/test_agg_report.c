/*
 * test_agg_report.c - the aggregator's report over prepared stores: the
 * JSON contract keys, completeness (expected, reported, stale, missing),
 * children per tier, the CSV that opens in Excel, and HTML that escapes
 * names and needs nothing from outside the page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agg_store.h"
#include "rcl_db.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_test.h"
#include "agg_report.h"
#include "agg_summary.h"

#define NOW 1600000000
#define DAY 86400

static char tmpdir[512];

static void make_tmpdir(void)
{
    if (rcl_test_tmpdir("test_agg_report", tmpdir, sizeof(tmpdir)) != 0) {
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

static sqlite3 *make_store(const char *name, const char *id, enum rcl_agg_tier tier,
                           struct rcl_agg_config *cfg, char *path, size_t pathlen)
{
    uint8_t pk[RCL_PK_BYTES];
    char err[512];
    sqlite3 *db;

    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->id, sizeof(cfg->id), "%s", id);
    cfg->tier = tier;
    snprintf(cfg->listen, sizeof(cfg->listen), "tcp://127.0.0.1:7100");
    cfg->stale_seconds = 7 * DAY;
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

static int enroll(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source)
{
    uint8_t pk[RCL_PK_BYTES], sk[RCL_SK_BYTES];
    enum rcl_agg_enroll_result er;
    char other[RCL_ID_MAX + 1], err[256];

    if (rcl_key_generate(pk, sk) != 0)
        return -1;
    if (rcl_agg_enroll(db, cfg, source, pk, &er, other, NOW, err, sizeof(err)) != 0 ||
        er != RCL_AGG_ENROLLED)
        return -1;
    return 0;
}

static int put(sqlite3 *db, const char *school, const char *child, const char *name, bool reported,
               int64_t last_sync, uint64_t students)
{
    struct rcl_summary s;

    memset(&s, 0, sizeof(s));
    snprintf(s.school_id, sizeof(s.school_id), "%s", school);
    snprintf(s.name, sizeof(s.name), "%s", name);
    snprintf(s.county, sizeof(s.county), "411381");
    s.reported = reported;
    s.last_sync = last_sync;
    s.totals.students = students;
    s.totals.condition[RCL_COND_ONLINE] = students;
    s.totals.groups[RCL_GROUP_DISABLED] = students / 2;
    s.totals.participation[RCL_PART_ACTIVE] = students;
    return rcl_agg_summary_put(db, &s, child);
}

/* Writes the report into a malloc'd string (caller frees), or NULL. */
static char *report(sqlite3 *db, const struct rcl_agg_config *cfg,
                    enum rcl_agg_report_format format, int64_t stale_seconds)
{
    struct rcl_agg_report_options o = {
        .format = format, .stale_seconds = stale_seconds, .now = NOW};
    char *buf = NULL, err[256];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f)
        return NULL;
    if (rcl_agg_report_write(db, cfg, &o, f, err, sizeof(err)) != 0) {
        fprintf(stderr, "report: %s\n", err);
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    return buf;
}

static bool has(const char *text, const char *want)
{
    if (text && strstr(text, want))
        return true;
    fprintf(stderr, "  report lacks '%s'\n", want);
    return false;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;

    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

static void test_county(void)
{
    struct rcl_agg_config cfg;
    char path[600], *out;
    sqlite3 *db = make_store("county.db", "411381", RCL_AGG_COUNTY, &cfg, path, sizeof(path));

    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(enroll(db, &cfg, "4113810001") == 0);
    CHECK(enroll(db, &cfg, "4113810002") == 0);
    CHECK(enroll(db, &cfg, "4113810003") == 0);
    CHECK(enroll(db, &cfg, "4113810004") == 0);
    CHECK(put(db, "4113810001", "4113810001", "<b>第一\"小学\"</b> & 'co'", true, NOW - 100, 10) ==
          0);
    CHECK(put(db, "4113810002", "4113810002", "Second, School", true, NOW - 8 * DAY, 4) == 0);

    out = report(db, &cfg, RCL_AGG_REPORT_JSON, 0);
    CHECK(out != NULL);
    CHECK(has(out, "{\"scope\":\"411381\",\"tier\":\"county\",\"generated_at\":1600000000,"));
    CHECK(has(out, "\"totals\":{\"students\":14,\"condition_online\":14,\"condition_tv_only\":0,"
                   "\"condition_none\":0,\"blind_spots\":0,\"groups\":{\"poverty_card\":0,"));
    CHECK(has(out, "\"disabled\":7,\"other\":0},\"measures\":{\"tv_at_village\":0,"));
    CHECK(has(out, "\"participation\":{\"active\":14,\"irregular\":0,\"absent\":0,"
                   "\"opted_out\":0}}"));
    CHECK(has(out, "\"children\":[{\"id\":\"4113810001\",\"name\":\"<b>第一\\\"小学\\\"</b> & "
                   "'co'\",\"schools\":1,\"reported\":1,\"stale\":0,\"missing\":0,"));
    CHECK(has(out, "{\"id\":\"4113810002\",\"name\":\"Second, School\",\"schools\":1,"
                   "\"reported\":1,\"stale\":1,\"missing\":0,"));
    CHECK(has(out, "{\"id\":\"4113810004\",\"name\":\"\",\"schools\":1,\"reported\":0,"
                   "\"stale\":0,\"missing\":1,"));
    CHECK(has(out, "\"completeness\":{\"expected\":4,\"reported\":2,\"stale\":1,"
                   "\"missing\":[\"4113810003\",\"4113810004\"],\"stale_seconds\":604800}}\n"));
    free(out);

    /* --stale-days 10: nobody is stale. */
    out = report(db, &cfg, RCL_AGG_REPORT_JSON, 10 * DAY);
    CHECK(has(out, "\"completeness\":{\"expected\":4,\"reported\":2,\"stale\":0,"));
    CHECK(has(out, "\"stale_seconds\":864000}"));
    free(out);

    out = report(db, &cfg, RCL_AGG_REPORT_CSV, 0);
    CHECK(out != NULL && strncmp(out, "\xEF\xBB\xBF", 3) == 0);
    CHECK(has(out, "\xEF\xBB\xBFid,name,schools,reported,students,condition_online,"));
    CHECK(count_lines(out) == 1 + 4 + 1);
    CHECK(has(out, "\n4113810001,\"<b>第一\"\"小学\"\"</b> & 'co'\",1,1,10,10,"));
    CHECK(has(out, "\n4113810002,\"Second, School\",1,1,4,4,"));
    CHECK(has(out, "\n4113810003,,1,0,0,0,"));
    CHECK(has(out, "\ntotal,411381,4,2,14,14,"));
    free(out);

    out = report(db, &cfg, RCL_AGG_REPORT_HTML, 0);
    CHECK(out != NULL && strncmp(out, "<!DOCTYPE html>", 15) == 0);
    CHECK(has(out, "&lt;b&gt;第一&quot;小学&quot;&lt;/b&gt; &amp; &#39;co&#39;"));
    CHECK(out && strstr(out, "<b>第一") == NULL);
    /* Self-contained: no scripts, links or images to fetch. */
    CHECK(out && strstr(out, "src=") == NULL && strstr(out, "href=") == NULL &&
          strstr(out, "<script") == NULL);
    CHECK(has(out, "4113810003, 4113810004"));
    CHECK(has(out, "</html>\n"));
    free(out);

    rcl_db_close(&db);
    remove_store(path);
}

static void test_province(void)
{
    struct rcl_agg_config cfg;
    char path[600], *out;
    sqlite3 *db = make_store("province.db", "41", RCL_AGG_PROVINCE, &cfg, path, sizeof(path));

    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(enroll(db, &cfg, "411381") == 0);
    CHECK(enroll(db, &cfg, "4113") == 0);
    CHECK(enroll(db, &cfg, "4101") == 0); /* never synced */
    CHECK(put(db, "4113810001", "411381", "a", true, NOW - 10, 10) == 0);
    CHECK(put(db, "4113810002", "411381", "b", false, 0, 0) == 0);
    CHECK(put(db, "4113020001", "4113", "c", true, NOW - 10, 6) == 0);

    out = report(db, &cfg, RCL_AGG_REPORT_JSON, 0);
    CHECK(has(out, "{\"scope\":\"41\",\"tier\":\"province\","));
    CHECK(has(out, "\"totals\":{\"students\":16,"));
    CHECK(has(out, "\"children\":[{\"id\":\"4101\",\"name\":\"\",\"schools\":0,\"reported\":0,"
                   "\"stale\":0,\"missing\":0,"));
    CHECK(has(out, "{\"id\":\"4113\",\"name\":\"\",\"schools\":1,\"reported\":1,"));
    CHECK(has(out, "{\"id\":\"411381\",\"name\":\"\",\"schools\":2,\"reported\":1,\"stale\":0,"
                   "\"missing\":1,"));
    CHECK(has(out, "\"totals\":{\"students\":10,"));
    CHECK(has(out, "\"completeness\":{\"expected\":3,\"reported\":2,\"stale\":0,"
                   "\"missing\":[\"4113810002\"],"));
    free(out);

    out = report(db, &cfg, RCL_AGG_REPORT_CSV, 0);
    CHECK(count_lines(out) == 1 + 3 + 1);
    CHECK(has(out, "\ntotal,41,3,2,16,"));
    free(out);

    rcl_db_close(&db);
    remove_store(path);
}

int main(void)
{
    rcl_log_init("test_agg_report");
    CHECK(rcl_keys_init() == 0);
    make_tmpdir();
    RCL_TEST_RUN(test_county);
    RCL_TEST_RUN(test_province);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

/*
 * test_agg_dash.c - the dashboard page: names from the store are escaped,
 * the blind-spot list holds exactly the blind spots and stops at its limit
 * saying how many it shows of how many, and a city's page names no student.
 */
#include <time.h>

#include "ingest_fixture.h"

#include "agg_dash.h"
#include "agg_snapshot.h"

#define HOSTILE "<script>alert('x')</script>&"

/* The page for db as of now. malloc'd, or NULL. */
static char *page(sqlite3 *db, const struct rcl_agg_config *cfg, int64_t now)
{
    char *buf = NULL, err[256] = "";
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc;

    if (!f)
        return NULL;
    rc = rcl_agg_dash_write(db, cfg, now, f, err, sizeof(err));
    fclose(f);
    if (rc != 0) {
        fprintf(stderr, "  dashboard failed: %s\n", err);
        free(buf);
        return NULL;
    }
    return buf;
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void put_student(sqlite3 *db, int i, bool blind)
{
    struct rcl_student s;

    memset(&s, 0, sizeof(s));
    memset(s.pseudonym, 0, RCL_PSEUDONYM_BYTES);
    s.pseudonym[0] = (uint8_t)(i & 0xff);
    s.pseudonym[1] = (uint8_t)(i >> 8);
    s.pseudonym[2] = blind ? 1 : 2;
    snprintf(s.name, sizeof(s.name), i == 0 ? HOSTILE : "学生%04d", i);
    s.grade = 5;
    snprintf(s.class_name, sizeof(s.class_name), "5-2");
    if (!blind) {
        s.network = RCL_BIT(RCL_NET_BROADBAND);
        s.devices = RCL_BIT(RCL_DEV_COMPUTER);
    }
    s.participation = RCL_PART_ACTIVE;
    CHECK(rcl_agg_student_put(db, NULL, false, SCHOOL, &s) == 0);
}

static void test_county_page(void)
{
    struct rcl_agg_config cfg;
    struct node school;
    struct rcl_summary sum;
    enum rcl_agg_enroll_result er;
    char path[600], other[RCL_ID_MAX + 1], err[256], *html;
    int64_t now = (int64_t)time(NULL);
    sqlite3 *db;

    CHECK(rcl_key_generate(school.pk, school.sk) == 0);
    db = make_store("dash.db", COUNTY, RCL_AGG_COUNTY, NULL, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL, school.pk, &er, other, 100, err, sizeof(err)) == 0);
    /* 510 blind spots (the first named like markup) and 20 students online. */
    CHECK(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK);
    for (int i = 0; i < RCL_AGG_DASH_LIST_MAX + 10; i++)
        put_student(db, i, true);
    for (int i = 0; i < 20; i++)
        put_student(db, i, false);
    CHECK(rcl_agg_summary_get(db, SCHOOL, &sum, NULL) == 1);
    snprintf(sum.name, sizeof(sum.name), "%s", "<b>School</b> \"1\"");
    sum.reported = true;
    sum.last_sync = now;
    CHECK(rcl_agg_summary_recompute(db, SCHOOL, &sum.totals) == 0);
    CHECK(rcl_agg_summary_put(db, &sum, SCHOOL) == 0);
    CHECK(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);

    html = page(db, &cfg, now);
    CHECK(html != NULL);
    if (html) {
        CHECK(strstr(html, "<script") == NULL);
        CHECK(strstr(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;") != NULL);
        CHECK(strstr(html, "&lt;b&gt;School&lt;/b&gt; &quot;1&quot;") != NULL);
        CHECK(strstr(html, "<b>School") == NULL);
        CHECK(strstr(html, "id=\"total-students\">530<") != NULL);
        CHECK(strstr(html, "id=\"total-blind-spots\">510<") != NULL);
        CHECK(count(html, "<td class=\"name\">") == RCL_AGG_DASH_LIST_MAX);
        snprintf(err, sizeof(err), "显示 %d 名，共 %d 名", RCL_AGG_DASH_LIST_MAX,
                 RCL_AGG_DASH_LIST_MAX + 10);
        CHECK(strstr(html, err) != NULL);
        CHECK(strstr(html, "学生0001") != NULL);
        CHECK(count(html, "<svg") == 3);
        CHECK(strstr(html, "http://") == NULL || strstr(html, "http://www.w3.org/2000/svg"));
        CHECK(strstr(html, "</html>") != NULL);
    }
    free(html);
    rcl_db_close(&db);
    remove_store(path);
}

static void test_city_page_names_no_student(void)
{
    struct rcl_agg_config cfg;
    struct node county;
    enum rcl_agg_enroll_result er;
    char path[600], other[RCL_ID_MAX + 1], err[256], *html;
    sqlite3 *db;

    CHECK(rcl_key_generate(county.pk, county.sk) == 0);
    db = make_store("city.db", "4113", RCL_AGG_CITY, NULL, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(rcl_agg_enroll(db, &cfg, COUNTY, county.pk, &er, other, 100, err, sizeof(err)) == 0);
    html = page(db, &cfg, (int64_t)time(NULL));
    CHECK(html != NULL);
    if (html) {
        CHECK(strstr(html, "id=\"blind-spots\"") == NULL);
        CHECK(strstr(html, "学生名单在各区县") != NULL);
        CHECK(strstr(html, "id=\"schools-expected\">0<") != NULL);
        CHECK(strstr(html, "id=\"attention-none\"") != NULL);
    }
    free(html);
    rcl_db_close(&db);
    remove_store(path);
}

int main(void)
{
    rcl_log_init("test_agg_dash");
    CHECK(rcl_keys_init() == 0);
    make_tmpdir("test_agg_dash");
    RCL_TEST_RUN(test_county_page);
    RCL_TEST_RUN(test_city_page_names_no_student);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

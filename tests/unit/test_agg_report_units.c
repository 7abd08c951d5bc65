/*
 * test_agg_report_units.c - the report by county and city: the rollup the
 * store keeps by trigger against counting every summary, directly
 * administered counties counted once, suppression in every format, and the
 * divisions table.
 */
#include "agg_divisions.h"
#include "agg_snapshot.h"
#include "agg_sql.h"
#include "report_fixture.h"

/* A summary with a few independent counts derived from n. */
static int put_in(sqlite3 *db, const char *school, const char *child, const char *county,
                  bool reported, int64_t last_sync, uint64_t n)
{
    struct rcl_summary s;

    memset(&s, 0, sizeof(s));
    snprintf(s.school_id, sizeof(s.school_id), "%s", school);
    snprintf(s.county, sizeof(s.county), "%s", county);
    s.reported = reported;
    s.last_sync = last_sync;
    s.totals.students = n;
    s.totals.condition[RCL_COND_NONE] = n / 10;
    s.totals.condition[RCL_COND_TV_ONLY] = n / 5;
    s.totals.condition[RCL_COND_ONLINE] = n - n / 10 - n / 5;
    s.totals.measures[RCL_MEASURE_TV_AT_VILLAGE] = n / 20;
    s.totals.groups[RCL_GROUP_LEFT_BEHIND] = n / 8;
    s.totals.participation[RCL_PART_ACTIVE] = n;
    return rcl_agg_summary_put(db, &s, child);
}

static size_t occurrences(const char *text, const char *what)
{
    size_t n = 0;

    for (const char *p = text; p && (p = strstr(p, what)) != NULL; p++)
        n++;
    return n;
}

/* The rollup table holds exactly the sums of the summaries, group by group. */
static bool rollup_exact(sqlite3 *db)
{
#define SUMS                                                                                       \
    "SELECT child, county, count(*), sum(reported != 0)" RCL_SUMMARY_COLUMNS(                      \
        RCL_AGG_ROLLUP_SUM_) " FROM summaries GROUP BY child, county"
#define ROWS "SELECT child, county, schools, reported" RCL_AGG_SQL_COUNT_COLS " FROM rollup"
    sqlite3_stmt *st = NULL;
    bool exact = false;

    if (sqlite3_prepare_v2(db,
                           "SELECT (SELECT count(*) FROM (" SUMS " EXCEPT " ROWS
                           ")) + (SELECT count(*) FROM (" ROWS " EXCEPT " SUMS "))",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        exact = sqlite3_column_int(st, 0) == 0;
    sqlite3_finalize(st);
#undef SUMS
#undef ROWS
    if (!exact)
        fprintf(stderr, "  the rollup differs from the sums of the summaries\n");
    return exact;
}

/* The JSON report read from the rollup and by counting every summary must be the same text. */
static bool rollup_agrees(sqlite3 *db, const struct rcl_agg_config *cfg)
{
    struct rcl_agg_report_options fast = {.format = RCL_AGG_REPORT_JSON, .now = NOW};
    struct rcl_agg_report_options slow = fast;
    char *a, *b;
    bool same;

    slow.recount = true;
    a = report_with(db, cfg, &fast);
    b = report_with(db, cfg, &slow);
    same = a && b && strcmp(a, b) == 0;
    if (!same)
        fprintf(stderr, "  rollup:  %s\n  recount: %s\n", a ? a : "(null)", b ? b : "(null)");
    free(a);
    free(b);
    return same;
}

static void test_rollup_follows_every_change(void)
{
    struct rcl_agg_config cfg;
    char path[600], *out;
    sqlite3 *db = make_store("rollup.db", "41", RCL_AGG_PROVINCE, &cfg, path, sizeof(path));

    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(enroll(db, &cfg, "4113") == 0);
    CHECK(enroll(db, &cfg, "411381") == 0);
    CHECK(rollup_exact(db) && rollup_agrees(db, &cfg));
    CHECK(put_in(db, "2141130201", "4113", "411302", true, NOW - 10, 100) == 0);
    CHECK(put_in(db, "2141130202", "4113", "411302", true, NOW - 9 * DAY, 40) == 0);
    CHECK(put_in(db, "2141130301", "4113", "411303", false, 0, 0) == 0);
    CHECK(put_in(db, "2141138101", "411381", "411381", true, NOW - 10, 70) == 0);
    CHECK(rollup_exact(db) && rollup_agrees(db, &cfg));

    /* A new summary of the same school replaces its figures. */
    CHECK(put_in(db, "2141130201", "4113", "411302", true, NOW - 5, 130) == 0);
    CHECK(rollup_exact(db) && rollup_agrees(db, &cfg));
    out = report(db, &cfg, RCL_AGG_REPORT_JSON, 0);
    CHECK(has(out, "\"totals\":{\"students\":240,")); /* 130 + 40 + 0 + 70 */
    free(out);
    /* A school now counted through another child moves, it is not counted twice. */
    CHECK(put_in(db, "2141130202", "411381", "411381", true, NOW - 5, 40) == 0);
    CHECK(rollup_exact(db) && rollup_agrees(db, &cfg));
    /* Removal, an edit by hand and enrolment-style inserts that change nothing. */
    CHECK(rcl_agg_school_remove(db, &cfg, "2141130301") == 0);
    CHECK(rcl_db_exec(db, "UPDATE summaries SET condition_none = 9 WHERE school_id = '2141138101'",
                      "edit") == 0);
    CHECK(rcl_db_exec(db,
                      "INSERT OR IGNORE INTO summaries(school_id, child, name, county)"
                      " VALUES('2141138101', '411381', '', '411381')",
                      "ignored insert") == 0);
    CHECK(rollup_exact(db) && rollup_agrees(db, &cfg));
    out = report(db, &cfg, RCL_AGG_REPORT_JSON, 0);
    CHECK(has(out, "\"totals\":{\"students\":240,\"condition_online\":168,"
                   "\"condition_tv_only\":48,\"condition_none\":26,"));
    CHECK(has(out, "\"completeness\":{\"expected\":3,\"reported\":3,\"stale\":0,\"missing\":[],"));
    free(out);

    /* A rollup out of step (damaged by hand) is noticed; the summaries are counted. */
    CHECK(rcl_db_exec(db, "DELETE FROM rollup WHERE child = '411381'", "damage") == 0);
    CHECK(rollup_agrees(db, &cfg));
    CHECK(rcl_db_exec(db, "UPDATE rollup SET reported = schools + 1", "damage") == 0);
    CHECK(rollup_agrees(db, &cfg));

    rcl_db_close(&db);
    remove_store(path);
}

/*
 * 411381 sits under city 4113's prefix but reports to the province itself:
 * the figures below are added up here, school by school.
 */
static void test_direct_county_counted_once(void)
{
    struct rcl_agg_config cfg;
    char path[600], *out;
    sqlite3 *db = make_store("parent.db", "41", RCL_AGG_PROVINCE, &cfg, path, sizeof(path));
    /* school, child, county, students */
    static const struct {
        const char *school, *child, *county;
        uint64_t n;
    } plan[] = {{"2141130201", "4113", "411302", 120},
                {"2141130202", "4113", "411302", 80},
                {"2141138101", "411381", "411381", 90},
                {"2141138102", "411381", "411381", 30}};
    uint64_t city = 0, direct = 0;
    char want[256];

    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(enroll(db, &cfg, "4113") == 0);
    CHECK(enroll(db, &cfg, "411381") == 0);
    for (size_t i = 0; i < sizeof(plan) / sizeof(plan[0]); i++) {
        CHECK(put_in(db, plan[i].school, plan[i].child, plan[i].county, true, NOW - 10,
                     plan[i].n) == 0);
        *(strcmp(plan[i].child, "4113") == 0 ? &city : &direct) += plan[i].n;
    }
    out = report(db, &cfg, RCL_AGG_REPORT_JSON, 0);
    snprintf(want, sizeof(want), "\"totals\":{\"students\":%llu,",
             (unsigned long long)(city + direct));
    CHECK(has(out, want));
    snprintf(want, sizeof(want), "{\"id\":\"4113\",\"name\":\"\",\"schools\":2,");
    CHECK(has(out, want));
    snprintf(want, sizeof(want),
             "\"counties\":[{\"code\":\"411302\",\"name\":\"\",\"city_code\":\"4113\","
             "\"city_name\":\"\",\"via\":\"4113\",\"schools\":2,\"reported\":2,\"stale\":0,"
             "\"missing\":0,\"totals\":{\"students\":%llu,",
             (unsigned long long)city);
    CHECK(has(out, want));
    snprintf(want, sizeof(want),
             "{\"code\":\"411381\",\"name\":\"\",\"city_code\":\"\",\"city_name\":\"\","
             "\"via\":\"411381\",\"schools\":2,\"reported\":2,\"stale\":0,\"missing\":0,"
             "\"totals\":{\"students\":%llu,",
             (unsigned long long)direct);
    CHECK(has(out, want));
    /* Exactly two county rows: 411381 does not appear under 4113 as well. */
    CHECK(occurrences(out, "\"code\":") == 2);
    CHECK(occurrences(out, "\"code\":\"411381\"") == 1);
    free(out);

    out = report(db, &cfg, RCL_AGG_REPORT_CSV, 0);
    /* header, 2 children, 2 counties, the total */
    CHECK(count_lines(out) == 1 + 2 + 2 + 1);
    snprintf(want, sizeof(want), "\n411302,,2,2,0,0,county,4113,4113,,%llu,",
             (unsigned long long)city);
    CHECK(has(out, want));
    snprintf(want, sizeof(want), "\n411381,,2,2,0,0,county,411381,,,%llu,",
             (unsigned long long)direct);
    CHECK(has(out, want));
    free(out);
    CHECK(rollup_agrees(db, &cfg));

    rcl_db_close(&db);
    remove_store(path);
}

static void test_suppression(void)
{
    struct rcl_agg_config cfg;
    char path[600], *out;
    sqlite3 *db = make_store("suppress.db", "41", RCL_AGG_PROVINCE, &cfg, path, sizeof(path));
    struct rcl_agg_report_options o = {
        .format = RCL_AGG_REPORT_JSON, .now = NOW, .suppress_below = 5};

    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(enroll(db, &cfg, "411381") == 0);
    /* 30 students: none 3, tv_only 6, online 21, tv_at_village 1, left_behind 3. */
    CHECK(put_in(db, "2141138101", "411381", "411381", true, NOW - 10, 30) == 0);

    out = report_with(db, &cfg, &o);
    CHECK(has(out, "\"suppress_below\":5,\"totals\":{\"students\":30,\"condition_online\":21,"
                   "\"condition_tv_only\":6,\"condition_none\":3,"));
    CHECK(has(out, "\"children\":[{\"id\":\"411381\",\"name\":\"\",\"schools\":1,"));
    CHECK(has(out, "\"totals\":{\"students\":30,\"condition_online\":21,\"condition_tv_only\":6,"
                   "\"condition_none\":null,\"blind_spots\":0,"));
    CHECK(has(out, "\"left_behind\":null,"));
    CHECK(has(out, "\"measures\":{\"tv_at_village\":null,\"loaned_device\":0,"));
    free(out);

    o.format = RCL_AGG_REPORT_CSV;
    out = report_with(db, &cfg, &o);
    CHECK(has(out, "\n411381,,1,1,0,0,unit,,,,30,21,6,<5,0,"));
    CHECK(has(out, "\ntotal,河南省,1,1,0,0,total,41,,,30,21,6,3,0,"));
    free(out);

    o.format = RCL_AGG_REPORT_HTML;
    out = report_with(db, &cfg, &o);
    CHECK(has(out, "<td class=\"n s\" data-k=\"condition_none\">&lt;5</td>"));
    CHECK(has(out, "<td class=\"n\" data-k=\"condition_none\">3</td>"));
    CHECK(out && strstr(out, "href=") == NULL && strstr(out, "<script") == NULL &&
          strstr(out, "http") == NULL);
    free(out);

    rcl_db_close(&db);
    remove_store(path);
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* Loading text as a divisions table fails with an error containing want. */
static bool divisions_refused(const char *text, const char *want)
{
    char path[600], err[512] = "";
    struct rcl_agg_divisions d;
    bool ok;

    snprintf(path, sizeof(path), "%s/div.csv", tmpdir);
    if (write_file(path, text) != 0)
        return false;
    ok = rcl_agg_divisions_load(path, &d, err, sizeof(err)) != 0 && d.n == 0 &&
         strstr(err, want) != NULL;
    if (!ok)
        fprintf(stderr, "  divisions error '%s' lacks '%s'\n", err, want);
    unlink(path);
    return ok;
}

static void test_divisions(void)
{
    struct rcl_agg_config cfg;
    struct rcl_agg_report_options o = {.format = RCL_AGG_REPORT_JSON, .now = NOW};
    struct rcl_agg_divisions d;
    char path[600], dpath[600], err[512], *out;
    sqlite3 *db;

    snprintf(dpath, sizeof(dpath), "%s/divisions.csv", tmpdir);
    CHECK(write_file(dpath, "\xEF\xBB\xBF"
                            "kind,code,name,city_code,city_name,reports_to\r\n"
                            "province,41,河南省,,,\r\n"
                            "district,411302,\"宛城区, \"\"old\"\"\",4113,南阳市,4113\r\n"
                            "county_city,411381,邓州市,4113,南阳市,41\r\n") == 0);
    CHECK(rcl_agg_divisions_load(dpath, &d, err, sizeof(err)) == 0);
    CHECK(d.n == 3);
    CHECK(rcl_agg_divisions_find(&d, "411302") &&
          strcmp(rcl_agg_divisions_find(&d, "411302")->name, "宛城区, \"old\"") == 0);
    CHECK(rcl_agg_divisions_name(&d, "4113") &&
          strcmp(rcl_agg_divisions_name(&d, "4113"), "南阳市") == 0);
    CHECK(rcl_agg_divisions_name(&d, "4101") == NULL);
    rcl_agg_divisions_free(&d);

    CHECK(divisions_refused("id,name\n1,a\n", "div.csv:1: the header needs columns 'code'"));
    CHECK(divisions_refused("code,name\n41,a\n41,b\n", "code '41' is listed twice"));
    CHECK(divisions_refused("code,name\n41,\"a\n", "div.csv:2: an unclosed quote"));
    CHECK(divisions_refused("code,name\n41,a,b\n", "div.csv:2: 3 columns where the header has 2"));
    CHECK(divisions_refused("code,name\n,a\n", "div.csv:2: code is empty"));
    CHECK(divisions_refused("code,name\n41,\xff\n", "div.csv:2: name is too long or not UTF-8"));
    CHECK(divisions_refused("", "empty"));

    db = make_store("names.db", "41", RCL_AGG_PROVINCE, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(enroll(db, &cfg, "4113") == 0);
    CHECK(enroll(db, &cfg, "411381") == 0);
    CHECK(put_in(db, "2141130201", "4113", "411302", true, NOW - 10, 10) == 0);
    CHECK(put_in(db, "2141138101", "411381", "411381", true, NOW - 10, 10) == 0);
    o.divisions_path = dpath;
    out = report_with(db, &cfg, &o);
    CHECK(has(out, "\"scope_name\":\"河南省\""));
    CHECK(has(out, "{\"id\":\"4113\",\"name\":\"南阳市\","));
    CHECK(has(out, "{\"id\":\"411381\",\"name\":\"邓州市\","));
    CHECK(has(out, "{\"code\":\"411302\",\"name\":\"宛城区, \\\"old\\\"\",\"city_code\":\"4113\","
                   "\"city_name\":\"南阳市\",\"via\":\"4113\","));
    CHECK(has(out, "{\"code\":\"411381\",\"name\":\"邓州市\",\"city_code\":\"4113\","
                   "\"city_name\":\"南阳市\",\"via\":\"411381\","));
    free(out);
    o.format = RCL_AGG_REPORT_HTML;
    out = report_with(db, &cfg, &o);
    CHECK(has(out, "宛城区, &quot;old&quot;"));
    free(out);
    o.divisions_path = "/nonexistent/divisions.csv";
    CHECK(report_with(db, &cfg, &o) == NULL);

    rcl_db_close(&db);
    remove_store(path);
    unlink(dpath);
}

int main(void)
{
    rcl_log_init("test_agg_report_units");
    CHECK(rcl_keys_init() == 0);
    make_tmpdir("test_agg_report_units");
    RCL_TEST_RUN(test_rollup_follows_every_change);
    RCL_TEST_RUN(test_direct_county_counted_once);
    RCL_TEST_RUN(test_suppression);
    RCL_TEST_RUN(test_divisions);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

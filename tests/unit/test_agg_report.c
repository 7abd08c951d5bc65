/*
 * test_agg_report.c - the aggregator's report over prepared stores: the
 * JSON contract keys, completeness (expected, reported, stale, missing),
 * children per tier, the CSV that opens in Excel, and HTML that escapes
 * names and needs nothing from outside the page.
 */
#include "report_fixture.h"

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
    CHECK(has(out, "\xEF\xBB\xBFid,name,schools,reported,stale,missing,level,via,city_code,"
                   "city_name,students,condition_online,"));
    /* header, 4 schools, the county, the total */
    CHECK(count_lines(out) == 1 + 4 + 1 + 1);
    CHECK(has(out, "\n4113810001,\"<b>第一\"\"小学\"\"</b> & 'co'\",1,1,0,0,school,,,,10,10,"));
    CHECK(has(out, "\n4113810002,\"Second, School\",1,1,1,0,school,,,,4,4,"));
    CHECK(has(out, "\n4113810003,,1,0,0,1,school,,,,0,0,"));
    CHECK(has(out, "\n411381,,4,2,1,2,county,,,,14,14,0,0,0,"));
    CHECK(has(out, "\ntotal,411381,4,2,1,2,total,411381,,,14,14,"));
    /* counted_twice: the last column, empty but in the total row. */
    CHECK(has(out, ",participation.opted_out,counted_twice\r\n"));
    CHECK(has(out, ",0,0,\r\ntotal,"));
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

    /* Every school here is in county 411381, whichever child it came through. */
    CHECK(has(out, "\"counties\":[{\"code\":\"411381\",\"name\":\"\",\"city_code\":\"4113\","
                   "\"city_name\":\"\",\"via\":\"4113\",\"schools\":1,"));
    CHECK(has(out, "{\"code\":\"411381\",\"name\":\"\",\"city_code\":\"\",\"city_name\":\"\","
                   "\"via\":\"411381\",\"schools\":2,\"reported\":1,\"stale\":0,\"missing\":1,"));
    free(out);

    out = report(db, &cfg, RCL_AGG_REPORT_CSV, 0);
    /* header, 3 children, 2 (county, via) rows, the total */
    CHECK(count_lines(out) == 1 + 3 + 2 + 1);
    CHECK(has(out, "\n4113,,1,1,0,0,unit,,,,6,6,"));
    CHECK(has(out, "\n411381,,1,1,0,0,county,4113,4113,,6,6,"));
    CHECK(has(out, "\n411381,,2,1,0,1,county,411381,,,10,10,"));
    CHECK(has(out, "\ntotal,河南省,3,2,0,1,total,41,,,16,"));
    free(out);

    rcl_db_close(&db);
    remove_store(path);
}

int main(void)
{
    rcl_log_init("test_agg_report");
    CHECK(rcl_keys_init() == 0);
    make_tmpdir("test_agg_report");
    RCL_TEST_RUN(test_county);
    RCL_TEST_RUN(test_province);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

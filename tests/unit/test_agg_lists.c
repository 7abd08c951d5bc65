/*
 * test_agg_lists.c - `rollcall-agg list` over a county store filled through
 * the real ingest path (signed batches from two schools, a third never
 * synced) and a city store that holds only summaries. Each list's rows are
 * checked against what this test works out from its own students: the
 * blind-spot order by hand, the counts by the rules of DESIGN.md written
 * again here. The writers: CSV with BOM and formula guard, JSON, and text
 * widths for Chinese names.
 */
#include "ingest_fixture.h"

#include "agg_lists.h"

#define DAY 86400
#define T0 1600000000

/* One student as this test gives it to a school. */
struct spec {
    const char *school;
    int who; /* the pseudonym's byte: the same student at two schools shares it */
    const char *name;
    unsigned grade;
    const char *class_name;
    uint32_t network, devices, groups;
    unsigned participation;
    struct rcl_measure measures[2];
    size_t n_measures;
};

#define NET(x) RCL_BIT(RCL_NET_##x)
#define DEV(x) RCL_BIT(RCL_DEV_##x)
#define GRP(x) RCL_BIT(RCL_GROUP_##x)
#define M(k, st)                                                                                   \
    {                                                                                              \
        .kind = RCL_MEASURE_##k, .status = RCL_STATUS_##st                                         \
    }

static const struct spec students[] = {
    {SCHOOL,
     1,
     "甲",
     3,
     "3-1",
     0,
     0,
     GRP(POVERTY_CARD) | GRP(LEFT_BEHIND),
     RCL_PART_ACTIVE,
     {{0}},
     0},
    {SCHOOL,
     2,
     "乙",
     3,
     "3-1",
     NET(MOBILE),
     0,
     GRP(DISABLED),
     RCL_PART_ACTIVE,
     {M(LOANED_DEVICE, IN_PLACE)},
     1},
    {SCHOOL, 3, "=SUM(A1)", 2, "2-1", 0, DEV(TV), 0, RCL_PART_ABSENT, {M(FUNDING, PLANNED)}, 1},
    {SCHOOL,
     4,
     "丁",
     5,
     "5-1",
     NET(BROADBAND),
     DEV(COMPUTER),
     GRP(MIGRANT),
     RCL_PART_ABSENT,
     {M(ONE_TO_ONE, ENDED)},
     1},
    {SCHOOL,
     5,
     "戊",
     5,
     "5-1",
     NET(BROADBAND),
     DEV(COMPUTER),
     0,
     RCL_PART_ACTIVE,
     {M(TV_AT_VILLAGE, ENDED), M(ONE_TO_ONE, IN_PLACE)},
     2},
    {SCHOOL, 6, "己", 4, "4-2", NET(CABLE_TV), DEV(TV), 0, RCL_PART_ABSENT, {{0}}, 0},
    {SCHOOL2,
     1,
     "甲",
     4,
     "4-1",
     NET(BROADBAND),
     DEV(SMARTPHONE),
     GRP(POVERTY_CARD),
     RCL_PART_ACTIVE,
     {{0}},
     0},
    {SCHOOL2,
     8,
     "庚",
     1,
     "1-1",
     0,
     0,
     GRP(HARDSHIP),
     RCL_PART_ACTIVE,
     {M(PAPER_MATERIALS, PLANNED), M(DATA_SUBSIDY, PLANNED)},
     2},
    {SCHOOL2, 9, "辛", 1, "1-1", 0, 0, 0, RCL_PART_ACTIVE, {{0}}, 0},
    {SCHOOL2,
     10,
     "-2",
     6,
     "6-1",
     NET(BROADBAND),
     DEV(TABLET),
     GRP(OTHER) | GRP(MIGRANT) | GRP(FRONTLINE_FAMILY),
     RCL_PART_IRREGULAR,
     {{0}},
     0},
};
#define N_STUDENTS (sizeof(students) / sizeof(students[0]))

/* The blind spots in the order the list must give them, worked out by hand:
 * urgency 1 (lacking, in a group: two groups before one), 2 (lacking, no group:
 * absent first), 3 (absent, in a group), 4 (absent, no group). */
static const char *const blind_order[] = {"甲", "庚", "=SUM(A1)", "辛", "丁", "己"};
static const char *const blind_urgency[] = {"1", "1", "2", "2", "3", "4"};

/* DESIGN.md's rules, again. */
static bool lacking(const struct spec *s)
{
    bool online = (s->network & (NET(BROADBAND) | NET(MOBILE))) &&
                  (s->devices & (DEV(COMPUTER) | DEV(TABLET) | DEV(SMARTPHONE)));
    bool tv = (s->devices & DEV(TV)) && (s->network & (NET(CABLE_TV) | NET(BROADBAND)));

    return !online && !tv;
}

static bool blind(const struct spec *s)
{
    for (size_t i = 0; i < s->n_measures; i++) {
        if (s->measures[i].status == RCL_STATUS_IN_PLACE)
            return false;
    }
    return lacking(s) || s->participation == RCL_PART_ABSENT;
}

static struct node school1, school2, stranger, county_node;

/* Sends every student of school (with its profile) in one signed batch at time now. */
static void sync_school(sqlite3 *db, const struct rcl_agg_config *cfg, const char *school,
                        const char *name, const struct node *key, int64_t now)
{
    struct rcl_agg_ingest_ctx ctx = {.db = db, .cfg = cfg, .now = now};
    struct rcl_reply r;
    struct batch b;
    uint64_t seq = 1;
    uint8_t *env;
    size_t len;

    memset(&b, 0, sizeof(b));
    add_profile(&b, seq++, school, name);
    for (size_t i = 0; i < N_STUDENTS; i++) {
        const struct spec *s = &students[i];
        struct rcl_student *st;

        if (strcmp(s->school, school) != 0)
            continue;
        add_student(&b, seq++, s->who, s->network, s->devices, s->participation, false);
        st = &b.changes[b.n - 1].u.student;
        snprintf(st->name, sizeof(st->name), "%s", s->name);
        st->grade = s->grade;
        snprintf(st->class_name, sizeof(st->class_name), "%s", s->class_name);
        st->groups = s->groups;
        st->n_measures = s->n_measures;
        memcpy(st->measures, s->measures, sizeof(s->measures));
    }
    env = seal(school, 1, 1, seq - 1, NULL, &b, NULL, key, &len, NULL);
    CHECK(ingest(&ctx, env, len, school, &r) == 1 && r.status == RCL_REPLY_ACK);
}

static int list(sqlite3 *db, const struct rcl_agg_config *cfg, const char *kind, const char *school,
                int64_t stale_seconds, struct rcl_agg_table *t, char *err, size_t errlen)
{
    struct rcl_agg_list_options o = {.kind = rcl_agg_list_kind_find(kind),
                                     .school = school,
                                     .stale_seconds = stale_seconds,
                                     .now = T0 + 10 * DAY + 3600};

    rcl_agg_table_clear(t);
    return rcl_agg_list_fill(db, cfg, &o, t, err, errlen);
}

static const char *cell(const struct rcl_agg_table *t, size_t row, const char *col)
{
    for (size_t c = 0; c < t->ncols; c++) {
        if (strcmp(t->cols[c].name, col) == 0 && row < t->nrows)
            return t->cells[row * t->ncols + c];
    }
    return NULL;
}

static sqlite3 *county_store(struct rcl_agg_config *cfg, char *path, size_t pathlen)
{
    enum rcl_agg_enroll_result er;
    char other[RCL_ID_MAX + 1], err[256];
    sqlite3 *db = make_store("county.db", COUNTY, RCL_AGG_COUNTY, NULL, cfg, path, pathlen);

    if (!db)
        return NULL;
    CHECK(rcl_agg_enroll(db, cfg, SCHOOL, school1.pk, &er, other, T0, err, sizeof(err)) == 0);
    CHECK(rcl_agg_enroll(db, cfg, SCHOOL2, school2.pk, &er, other, T0, err, sizeof(err)) == 0);
    CHECK(rcl_agg_enroll(db, cfg, STRANGER, stranger.pk, &er, other, T0, err, sizeof(err)) == 0);
    sync_school(db, cfg, SCHOOL, "第一小学", &school1, T0);
    sync_school(db, cfg, SCHOOL2, "第二小学", &school2, T0 + 9 * DAY);
    return db;
}

static void test_blind_spots(sqlite3 *db, const struct rcl_agg_config *cfg)
{
    struct rcl_agg_table t = {0};
    size_t want = 0;
    char err[256];

    for (size_t i = 0; i < N_STUDENTS; i++)
        want += blind(&students[i]);
    CHECK(want == sizeof(blind_order) / sizeof(blind_order[0]));
    CHECK(list(db, cfg, "blind-spots", NULL, 0, &t, err, sizeof(err)) == 0);
    CHECK(t.nrows == want);
    for (size_t i = 0; i < t.nrows && i < want; i++) {
        CHECK_STR(cell(&t, i, "name"), blind_order[i]);
        CHECK_STR(cell(&t, i, "urgency"), blind_urgency[i]);
    }
    CHECK_STR(cell(&t, 0, "school_name"), "第一小学");
    CHECK_STR(cell(&t, 0, "groups"), "poverty_card;left_behind");
    CHECK_STR(cell(&t, 0, "why"), "lacking_conditions");
    CHECK_STR(cell(&t, 1, "measures"), "paper_materials:planned;data_subsidy:planned");
    CHECK_STR(cell(&t, 2, "why"), "lacking_conditions;absent");
    CHECK_STR(cell(&t, 2, "grade"), "2");
    CHECK_STR(cell(&t, 2, "class"), "2-1");
    CHECK_STR(cell(&t, 4, "why"), "absent");
    CHECK_STR(cell(&t, 5, "participation"), "absent");

    /* One school: the same order, the other school's rows left out. */
    CHECK(list(db, cfg, "blind-spots", SCHOOL2, 0, &t, err, sizeof(err)) == 0);
    CHECK(t.nrows == 2);
    CHECK_STR(cell(&t, 0, "name"), "庚");
    CHECK_STR(cell(&t, 1, "name"), "辛");
    CHECK(list(db, cfg, "blind-spots", "4113819999", 0, &t, err, sizeof(err)) == 1);
    CHECK(strstr(err, "4113819999 is not enrolled") != NULL);
    rcl_agg_table_clear(&t);
}

static void test_counts(sqlite3 *db, const struct rcl_agg_config *cfg)
{
    struct rcl_agg_table t = {0};
    uint64_t g[RCL_GROUP_COUNT][3] = {{0}}, m[RCL_MEASURE_KIND_COUNT][RCL_STATUS_COUNT] = {{0}};
    char err[256], want[32];

    for (size_t i = 0; i < N_STUDENTS; i++) {
        const struct spec *s = &students[i];

        for (int k = 0; k < RCL_GROUP_COUNT; k++) {
            if (s->groups & RCL_BIT(k)) {
                g[k][0]++;
                g[k][1] += lacking(s);
                g[k][2] += blind(s);
            }
        }
        for (size_t k = 0; k < s->n_measures; k++)
            m[s->measures[k].kind][s->measures[k].status]++;
    }
    CHECK(list(db, cfg, "groups", NULL, 0, &t, err, sizeof(err)) == 0);
    CHECK(t.nrows == RCL_GROUP_COUNT);
    for (size_t k = 0; k < t.nrows; k++) {
        CHECK_STR(cell(&t, k, "group"), rcl_group_names[k]);
        snprintf(want, sizeof(want), "%llu", (unsigned long long)g[k][0]);
        CHECK_STR(cell(&t, k, "students"), want);
        snprintf(want, sizeof(want), "%llu", (unsigned long long)g[k][1]);
        CHECK_STR(cell(&t, k, "lacking_conditions"), want);
        snprintf(want, sizeof(want), "%llu", (unsigned long long)g[k][2]);
        CHECK_STR(cell(&t, k, "blind_spots"), want);
    }
    CHECK(g[RCL_GROUP_POVERTY_CARD][0] == 2 && g[RCL_GROUP_HARDSHIP][2] == 1);

    CHECK(list(db, cfg, "measures", NULL, 0, &t, err, sizeof(err)) == 0);
    CHECK(t.nrows == RCL_MEASURE_KIND_COUNT * RCL_STATUS_COUNT);
    for (size_t r = 0; r < t.nrows; r++) {
        int k = (int)(r / RCL_STATUS_COUNT), s = (int)(r % RCL_STATUS_COUNT);

        CHECK_STR(cell(&t, r, "kind"), rcl_measure_kind_names[k]);
        CHECK_STR(cell(&t, r, "status"), rcl_measure_status_names[s]);
        snprintf(want, sizeof(want), "%llu", (unsigned long long)m[k][s]);
        CHECK_STR(cell(&t, r, "students"), want);
    }
    rcl_agg_table_clear(&t);
}

static void test_duplicates(sqlite3 *db, const struct rcl_agg_config *cfg)
{
    struct rcl_agg_table t = {0};
    char err[256];

    CHECK(list(db, cfg, "duplicates", NULL, 0, &t, err, sizeof(err)) == 0);
    CHECK(t.nrows == 2);
    CHECK_STR(cell(&t, 0, "school_id"), SCHOOL);
    CHECK_STR(cell(&t, 0, "grade"), "3");
    CHECK_STR(cell(&t, 0, "class"), "3-1");
    CHECK_STR(cell(&t, 1, "school_id"), SCHOOL2);
    CHECK_STR(cell(&t, 1, "school_name"), "第二小学");
    CHECK_STR(cell(&t, 1, "class"), "4-1");
    CHECK_STR(cell(&t, 1, "name"), "甲");
    CHECK_STR(cell(&t, 0, "schools"), "2");
    /* The pseudonym's first 8 bytes (all 0x01 here) tie the rows together. */
    CHECK_STR(cell(&t, 0, "student"), "0101010101010101");
    CHECK_STR(cell(&t, 1, "student"), "0101010101010101");
    CHECK(list(db, cfg, "duplicates", SCHOOL2, 0, &t, err, sizeof(err)) == 0 && t.nrows == 2);
    CHECK(list(db, cfg, "duplicates", STRANGER, 0, &t, err, sizeof(err)) == 0 && t.nrows == 0);
    rcl_agg_table_clear(&t);
}

static void test_schools(sqlite3 *db, const struct rcl_agg_config *cfg)
{
    struct rcl_agg_table t = {0};
    char err[256];

    /* As of day 10: the stranger never synced, school 1 last synced 10 days ago, school 2
     * one day ago (within the 7-day window). */
    CHECK(list(db, cfg, "schools", NULL, 0, &t, err, sizeof(err)) == 0);
    CHECK(t.nrows == 2);
    CHECK_STR(cell(&t, 0, "school_id"), STRANGER);
    CHECK_STR(cell(&t, 0, "status"), "never_reported");
    CHECK_STR(cell(&t, 0, "last_sync"), "");
    CHECK_STR(cell(&t, 0, "days_since"), "");
    CHECK_STR(cell(&t, 1, "school_id"), SCHOOL);
    CHECK_STR(cell(&t, 1, "school_name"), "第一小学");
    CHECK_STR(cell(&t, 1, "status"), "stale");
    CHECK_STR(cell(&t, 1, "last_sync"), "2020-09-13T12:26:40Z");
    CHECK_STR(cell(&t, 1, "days_since"), "10");
    /* A wider window: only the one never synced. A narrower one: school 2 too. */
    CHECK(list(db, cfg, "schools", NULL, 20 * DAY, &t, err, sizeof(err)) == 0 && t.nrows == 1);
    CHECK(list(db, cfg, "schools", NULL, 1 * DAY, &t, err, sizeof(err)) == 0 && t.nrows == 3);
    CHECK_STR(cell(&t, 2, "school_id"), SCHOOL2);
    CHECK(list(db, cfg, "schools", SCHOOL, 0, &t, err, sizeof(err)) == 0 && t.nrows == 1);
    rcl_agg_table_clear(&t);
}

/* A city holds summaries only: the student lists refuse, schools works from the summaries. */
static void test_city(void)
{
    struct rcl_agg_config cfg;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_agg_table t = {0};
    struct rcl_reply r;
    struct batch b;
    enum rcl_agg_enroll_result er;
    char path[600], other[RCL_ID_MAX + 1], err[512];
    uint8_t *env;
    size_t len;
    sqlite3 *db = make_store("city.db", "4113", RCL_AGG_CITY, NULL, &cfg, path, sizeof(path));

    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(rcl_agg_enroll(db, &cfg, COUNTY, county_node.pk, &er, other, T0, err, sizeof(err)) == 0);
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.cfg = &cfg;
    ctx.now = T0;
    memset(&b, 0, sizeof(b));
    add_summary(&b, 1, SCHOOL, true, 40);
    add_summary(&b, 2, SCHOOL2, false, 0);
    env = seal(COUNTY, 1, 1, 2, NULL, &b, NULL, &county_node, &len, NULL);
    CHECK(ingest(&ctx, env, len, COUNTY, &r) == 1);
    for (const char *const *k =
             (const char *const[]){"blind-spots", "duplicates", "groups", "measures", "plans",
                                   "helpers", "platforms", "feedback", "optouts", NULL};
         *k; k++) {
        CHECK(list(db, &cfg, *k, NULL, 0, &t, err, sizeof(err)) == 1);
        CHECK(strstr(err, "city aggregator 4113 holds none") != NULL);
        CHECK(t.nrows == 0);
    }
    /* The summary of school 1 says it last synced at 1000 (the fixture): long stale. */
    CHECK(list(db, &cfg, "schools", NULL, 0, &t, err, sizeof(err)) == 0);
    CHECK(t.nrows == 2);
    CHECK_STR(cell(&t, 0, "school_id"), SCHOOL2);
    CHECK_STR(cell(&t, 0, "status"), "never_reported");
    CHECK_STR(cell(&t, 0, "reports_through"), COUNTY);
    CHECK_STR(cell(&t, 1, "school_id"), SCHOOL);
    CHECK_STR(cell(&t, 1, "status"), "stale");
    rcl_agg_table_clear(&t);
    rcl_db_close(&db);
    remove_store(path);
}

static char *render_in(sqlite3 *db, const struct rcl_agg_config *cfg, const char *kind,
                       enum rcl_agg_list_format format, enum rcl_agg_list_lang lang)
{
    struct rcl_agg_list_options o = {
        .kind = rcl_agg_list_kind_find(kind), .format = format, .lang = lang, .now = T0 + 10 * DAY};
    char *buf = NULL, err[256];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f)
        return NULL;
    CHECK(rcl_agg_list_write(db, cfg, &o, f, err, sizeof(err)) == 0);
    fclose(f);
    return buf;
}

static char *render(sqlite3 *db, const struct rcl_agg_config *cfg, const char *kind,
                    enum rcl_agg_list_format format)
{
    return render_in(db, cfg, kind, format, RCL_AGG_LANG_EN);
}

static void test_writers(sqlite3 *db, const struct rcl_agg_config *cfg)
{
    char *csv = render(db, cfg, "blind-spots", RCL_AGG_LIST_CSV);
    char *json = render(db, cfg, "schools", RCL_AGG_LIST_JSON);
    char *text = render(db, cfg, "blind-spots", RCL_AGG_LIST_TEXT);

    CHECK(csv && strstr(csv, "\xEF\xBB\xBF"
                             "urgency,school_id,school_name,grade,class,name,why,"
                             "groups,participation,measures,also_at\r\n1," SCHOOL ",第一小学,3,"
                             "3-1,甲,lacking_conditions,poverty_card;left_behind,active,," SCHOOL2
                             "\r\n") == csv);
    /* A name a spreadsheet would run is quoted and led by an apostrophe. */
    CHECK(csv && strstr(csv, ",2-1,\"'=SUM(A1)\",lacking_conditions;absent,") != NULL);
    CHECK(json && strncmp(json,
                          "{\"kind\":\"schools\",\"scope\":\"" COUNTY "\",\"tier\":\"county\","
                          "\"school\":null,",
                          60) == 0);
    CHECK(json && strstr(json, "\"stale_seconds\":604800,\"rows\":[{\"school_id\":\"" STRANGER
                               "\"") != NULL);
    CHECK(json && strstr(json, "\"days_since\":null") && strstr(json, "\"days_since\":10}"));
    /* Text: header, six rows, the count; "第一小学" is 8 columns wide, so the grade after it
     * lines up under the header's. */
    CHECK(text && strstr(text, "(6 rows)\n") != NULL);
    CHECK(text && strstr(text, "urgency  school_id   school_name  grade") == text);
    CHECK(text && strstr(text, "      1  " SCHOOL "  第一小学         3  ") != NULL);
    free(csv);
    free(json);
    free(text);

    /* In Chinese (the default): headers and words; the codes of a set joined by '、', a
     * measure's status after '：'. */
    csv = render_in(db, cfg, "blind-spots", RCL_AGG_LIST_CSV, RCL_AGG_LANG_ZH);
    text = render_in(db, cfg, "blind-spots", RCL_AGG_LIST_TEXT, RCL_AGG_LANG_ZH);
    CHECK(csv && strstr(csv, "\xEF\xBB\xBF"
                             "紧急程度,学校代码,学校,年级,班级,姓名,原因,特殊群体,参与情况,"
                             "帮扶措施,也在学校\r\n1," SCHOOL ",第一小学,3,3-1,甲,缺少居家学习条件,"
                             "建档立卡、留守,正常,," SCHOOL2 "\r\n") == csv);
    CHECK(csv && strstr(csv, ",\"'=SUM(A1)\",缺少居家学习条件、缺席,") != NULL);
    CHECK(csv && strstr(csv, ",纸质材料：计划、流量补贴：计划,\r\n") != NULL);
    CHECK(text && strstr(text, "紧急程度  学校代码") == text);
    free(csv);
    free(text);

    CHECK(rcl_agg_text_width("学生a") == 5);
    CHECK(rcl_agg_text_width("e\xCC\x81") == 1); /* e and a combining acute accent */
    CHECK(rcl_agg_text_width("") == 0);
}

/* plans: every measure, its role and dates from measure_details when they are of its kind. */
static void test_plans(sqlite3 *db, const struct rcl_agg_config *cfg)
{
    struct rcl_agg_table t = {0};
    size_t want = 0, found = 0;
    char err[256];

    for (size_t i = 0; i < N_STUDENTS; i++)
        want += students[i].n_measures;
    CHECK(sqlite3_exec(db,
                       "UPDATE students SET measure_details = '[{\"kind\":\"loaned_device\","
                       "\"status\":\"in_place\",\"helper_role\":\"班主任\",\"start_date\":"
                       "\"2026-02-10\",\"end_date\":\"\"}]' WHERE name IN ('乙', '=SUM(A1)')",
                       NULL, NULL, NULL) == SQLITE_OK);
    CHECK(list(db, cfg, "plans", NULL, 0, &t, err, sizeof(err)) == 0);
    CHECK(t.nrows == want);
    for (size_t r = 0; r < t.nrows; r++) {
        if (strcmp(cell(&t, r, "name"), "乙") == 0) {
            /* Its one measure is a loaned device: the details are its own. */
            CHECK_STR(cell(&t, r, "kind"), "loaned_device");
            CHECK_STR(cell(&t, r, "helper_role"), "班主任");
            CHECK_STR(cell(&t, r, "start_date"), "2026-02-10");
            found++;
        } else if (strcmp(cell(&t, r, "name"), "=SUM(A1)") == 0) {
            /* Funding, planned: details of another kind are not taken for it. */
            CHECK_STR(cell(&t, r, "kind"), "funding");
            CHECK_STR(cell(&t, r, "status"), "planned");
            CHECK_STR(cell(&t, r, "helper_role"), "");
            found++;
        }
    }
    CHECK(found == 2);
    /* Details that cannot be read are an error naming the school and the student. */
    CHECK(sqlite3_exec(db, "UPDATE students SET measure_details = '[{' WHERE name = '乙'", NULL,
                       NULL, NULL) == SQLITE_OK);
    CHECK(list(db, cfg, "plans", NULL, 0, &t, err, sizeof(err)) == -1);
    CHECK(strstr(err, "school " SCHOOL) && strstr(err, "'乙'"));
    /* Lists without details do not read them. */
    CHECK(list(db, cfg, "blind-spots", NULL, 0, &t, err, sizeof(err)) == 0);
    CHECK(sqlite3_exec(db, "UPDATE students SET measure_details = '[]' WHERE name = '乙'", NULL,
                       NULL, NULL) == SQLITE_OK);
    CHECK(list(db, cfg, "plans", NULL, 0, &t, err, sizeof(err)) == 0 && t.nrows == want);
    rcl_agg_table_clear(&t);
}

/* A row the store cannot have been given by ingest is an error that names the school. */
static void test_unreadable(sqlite3 *db, const struct rcl_agg_config *cfg)
{
    struct rcl_agg_table t = {0};
    char err[256];

    CHECK(sqlite3_exec(db,
                       "UPDATE students SET measures = 'bogus' WHERE school_id = '" SCHOOL2
                       "' AND name = '辛'",
                       NULL, NULL, NULL) == SQLITE_OK);
    CHECK(list(db, cfg, "groups", NULL, 0, &t, err, sizeof(err)) == -1);
    CHECK(strstr(err, "school " SCHOOL2) && strstr(err, "'辛'") && strstr(err, "'bogus'"));
    /* The other school's rows are still listed on their own. */
    CHECK(list(db, cfg, "blind-spots", SCHOOL, 0, &t, err, sizeof(err)) == 0 && t.nrows == 4);
    rcl_agg_table_clear(&t);
}

/* Text: a tab in a name would break the columns, and stands as a space. */
static void test_text_controls(void)
{
    static const struct rcl_agg_col cols[] = {{"name", RCL_AGG_COL_TEXT, NULL, NULL},
                                              {"n", RCL_AGG_COL_INT, NULL, NULL}};
    struct rcl_agg_table t = {.cols = cols, .ncols = 2};
    struct rcl_agg_list_head head = {.kind = "x", .scope = "y", .tier = "county"};
    const char *row1[2] = {"a\tb", "7"}, *row2[2] = {"", ""};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    CHECK(f && rcl_agg_table_add(&t, row1) == 0 && rcl_agg_table_add(&t, row2) == 0);
    if (f) {
        CHECK(rcl_agg_table_write(&t, &head, RCL_AGG_LIST_TEXT, f) == 0);
        fclose(f);
        CHECK_STR(buf, "name  n\na b   7\n-     -\n(2 rows)\n");
    }
    free(buf);
    rcl_agg_table_clear(&t);
}

/* Chinese words: a code the table does not know is shown as it is; JSON keeps the codes. */
static void test_words(void)
{
    static const struct rcl_agg_vocab status = {rcl_measure_status_names, rcl_measure_status_zh,
                                                RCL_STATUS_COUNT, NULL};
    static const struct rcl_agg_vocab kinds = {rcl_measure_kind_names, rcl_measure_kind_zh,
                                               RCL_MEASURE_KIND_COUNT, &status};
    static const struct rcl_agg_col cols[] = {{"m", RCL_AGG_COL_SET, "措施", &kinds},
                                              {"k", RCL_AGG_COL_TEXT, NULL, &kinds}};
    struct rcl_agg_table t = {.cols = cols, .ncols = 2};
    struct rcl_agg_list_head head = {.kind = "x", .scope = "y", .tier = "county"};
    const char *row[2] = {"funding;bogus:planned;loaned_device:ended", "one_to_one:x"};
    enum rcl_agg_list_format formats[] = {RCL_AGG_LIST_CSV, RCL_AGG_LIST_CSV, RCL_AGG_LIST_JSON};
    const char *want[] = {
        "\xEF\xBB\xBF措施,k\r\n资助、bogus：计划、借用设备：已结束,一对一帮扶：x\r\n",
        "\xEF\xBB\xBFm,k\r\nfunding;bogus:planned;loaned_device:ended,one_to_one:x\r\n",
        "\"rows\":[{\"m\":[\"funding\",\"bogus:planned\",\"loaned_device:ended\"],"
        "\"k\":\"one_to_one:x\"}]"};

    CHECK(rcl_agg_table_add(&t, row) == 0);
    for (int i = 0; i < 3; i++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        head.lang = i == 1 ? RCL_AGG_LANG_EN : RCL_AGG_LANG_ZH;
        CHECK(f && rcl_agg_table_write(&t, &head, formats[i], f) == 0);
        if (f)
            fclose(f);
        CHECK(buf && strstr(buf, want[i]) != NULL);
        free(buf);
    }
    rcl_agg_table_clear(&t);
}

static void test_county(void)
{
    struct rcl_agg_config cfg;
    char path[600];
    sqlite3 *db;

    CHECK(rcl_key_generate(school1.pk, school1.sk) == 0);
    CHECK(rcl_key_generate(school2.pk, school2.sk) == 0);
    CHECK(rcl_key_generate(stranger.pk, stranger.sk) == 0);
    CHECK(rcl_key_generate(county_node.pk, county_node.sk) == 0);
    db = county_store(&cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    test_blind_spots(db, &cfg);
    test_counts(db, &cfg);
    test_duplicates(db, &cfg);
    test_schools(db, &cfg);
    test_writers(db, &cfg);
    test_plans(db, &cfg);
    test_unreadable(db, &cfg);
    rcl_db_close(&db);
    remove_store(path);
}

static void test_kinds(void)
{
    CHECK(rcl_agg_list_kind_find("blind-spots") == 0);
    CHECK(rcl_agg_list_kind_find("nonsense") < 0);
    CHECK(rcl_agg_list_kind_uses_window(rcl_agg_list_kind_find("schools")));
    CHECK(!rcl_agg_list_kind_uses_window(rcl_agg_list_kind_find("blind-spots")));
    CHECK(!rcl_agg_list_kind_uses_window(-1));
    CHECK(strstr(rcl_agg_list_kind_names(), "duplicates") != NULL);
    CHECK(strstr(rcl_agg_list_help(), "  measures ") != NULL);
}

int main(void)
{
    rcl_log_init("test_agg_lists");
    if (rcl_keys_init() != 0)
        return 1;
    make_tmpdir("test_agg_lists");
    RCL_TEST_RUN(test_kinds);
    RCL_TEST_RUN(test_county);
    RCL_TEST_RUN(test_city);
    RCL_TEST_RUN(test_text_controls);
    RCL_TEST_RUN(test_words);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

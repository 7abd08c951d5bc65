/*
 * test_agg_departures.c - the full record at a county: measure details,
 * opt-outs and profiles arrive in its tables (in ordinary batches and in a
 * new epoch's snapshot), tombstones become departures, and the students
 * transferred out that no school of the county holds are found. Also: a
 * county store from before these columns is migrated when opened, keeping
 * its rows.
 */
#include "agg_departures.h"
#include "agg_sql.h"
#include "ingest_fixture.h"

static void add_detailed(struct batch *b, uint64_t seq, int who)
{
    struct rcl_student *s;

    add_student(b, seq, who, RCL_BIT(RCL_NET_MOBILE), RCL_BIT(RCL_DEV_TV), RCL_PART_OPTED_OUT,
                true);
    s = &b->changes[b->n - 1].u.student;
    snprintf(s->measures[0].helper_role, sizeof(s->measures[0].helper_role), "班主任");
    snprintf(s->measures[0].start_date, sizeof(s->measures[0].start_date), "2026-02-10");
    s->n_measures = 2;
    s->measures[1].kind = RCL_MEASURE_TV_AT_VILLAGE;
    s->measures[1].status = RCL_STATUS_PLANNED;
    snprintf(s->measures[1].helper_role, sizeof(s->measures[1].helper_role), "village cadre");
    s->optout_status = RCL_OPTOUT_APPROVED;
    snprintf(s->optout_reason, sizeof(s->optout_reason), "家长辅导");
    snprintf(s->optout_filed, sizeof(s->optout_filed), "2026-02-01");
    snprintf(s->optout_decided, sizeof(s->optout_decided), "2026-02-03");
}

static void add_departure(struct batch *b, uint64_t seq, int who, unsigned reason, const char *to)
{
    struct rcl_departure *d;

    add_removed(b, seq, who);
    d = &b->changes[b->n - 1].u.removed;
    d->reason = reason;
    snprintf(d->destination, sizeof(d->destination), "%s", to);
    snprintf(d->left_on, sizeof(d->left_on), "2026-03-0%d", who);
    snprintf(d->name, sizeof(d->name), "学生%d", who);
    d->grade = 3;
    snprintf(d->class_name, sizeof(d->class_name), "3-1");
}

static int64_t count(sqlite3 *db, const char *sql)
{
    return query_int(db, sql);
}

/* Collects the unreceived rows. */
struct found {
    int n;
    struct rcl_agg_departure rows[8];
};

static int collect(void *arg, const struct rcl_agg_departure *row)
{
    struct found *f = arg;

    if (f->n < 8)
        f->rows[f->n] = *row;
    f->n++;
    return 0;
}

static void test_county_records(void)
{
    struct rcl_agg_config cfg;
    struct node school, school2;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_reply r;
    struct batch b;
    struct found f;
    enum rcl_agg_enroll_result er;
    char path[600], other[RCL_ID_MAX + 1], err[256];
    uint8_t d1[RCL_DIGEST_BYTES];
    uint8_t *env;
    size_t len;
    sqlite3 *db;

    CHECK(rcl_key_generate(school.pk, school.sk) == 0);
    CHECK(rcl_key_generate(school2.pk, school2.sk) == 0);
    db = make_store("county.db", COUNTY, RCL_AGG_COUNTY, NULL, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL, school.pk, &er, other, 100, err, sizeof(err)) == 0);
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL2, school2.pk, &er, other, 100, err, sizeof(err)) == 0);
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.cfg = &cfg;
    ctx.now = 5000;

    /* A profile with platforms, a detailed student and two plain ones. */
    memset(&b, 0, sizeof(b));
    add_profile(&b, 1, SCHOOL, "第一小学");
    {
        struct rcl_school_profile *p = &b.changes[0].u.school;
        p->n_platforms = 1;
        snprintf(p->platforms[0].name, sizeof(p->platforms[0].name), "空中课堂");
        p->platforms[0].kind = RCL_PLATFORM_TV;
        snprintf(p->platforms[0].classes, sizeof(p->platforms[0].classes), "all");
        p->materials_delivered = 1;
        p->materials_total = 3;
        p->materials_percent = 33;
        snprintf(p->contact_role, sizeof(p->contact_role), "教导主任");
        snprintf(p->parent_school, sizeof(p->parent_school), "%s", SCHOOL2);
    }
    add_detailed(&b, 2, 1);
    add_student(&b, 3, 2, 0, 0, RCL_PART_ACTIVE, false);
    add_student(&b, 4, 3, 0, 0, RCL_PART_ACTIVE, false);
    env = seal(SCHOOL, 1, 1, 4, NULL, &b, NULL, &school, &len, d1);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 1 && r.status == RCL_REPLY_ACK);
    CHECK(count(db, "SELECT count(*) FROM students WHERE optout_status = 'approved' AND "
                    "optout_reason = '家长辅导' AND optout_filed = '2026-02-01' AND "
                    "optout_decided = '2026-02-03'") == 1);
    CHECK(count(db, "SELECT count(*) FROM students WHERE measures = "
                    "'loaned_device;tv_at_village:planned' AND "
                    "json_extract(measure_details, '$[0].helper_role') = '班主任' AND "
                    "json_extract(measure_details, '$[0].start_date') = '2026-02-10' AND "
                    "json_extract(measure_details, '$[1].status') = 'planned' AND "
                    "json_extract(measure_details, '$[1].helper_role') = 'village cadre'") == 1);
    CHECK(count(db,
                "SELECT count(*) FROM school_profiles WHERE school_id = '" SCHOOL
                "' AND parent_school = '" SCHOOL2 "' AND contact_role = '教导主任' AND "
                "materials_delivered = 1 AND materials_total = 3 AND materials_percent = 33") == 1);
    CHECK(count(db, "SELECT count(*) FROM school_platforms WHERE school_id = '" SCHOOL
                    "' AND name = '空中课堂' AND kind = 'tv' AND classes = 'all'") == 1);

    /* 1 moves to school 2, 2 leaves for a school unknown, 3 graduates. */
    memset(&b, 0, sizeof(b));
    add_departure(&b, 5, 1, RCL_DEPART_TRANSFERRED_OUT, SCHOOL2);
    add_departure(&b, 6, 2, RCL_DEPART_TRANSFERRED_OUT, "");
    add_departure(&b, 7, 3, RCL_DEPART_GRADUATED, "");
    env = seal(SCHOOL, 1, 5, 7, d1, &b, NULL, &school, &len, d1);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 1 && r.status == RCL_REPLY_ACK);
    CHECK(count(db, "SELECT count(*) FROM students WHERE school_id = '" SCHOOL "'") == 0);
    CHECK(count(db, "SELECT students FROM summaries WHERE school_id = '" SCHOOL "'") == 0);
    CHECK(count(db, "SELECT count(*) FROM departures") == 3);
    CHECK(count(db, "SELECT count(*) FROM departures WHERE name = '学生1' AND grade = 3 AND "
                    "class = '3-1' AND reason = 'transferred_out' AND destination = '" SCHOOL2
                    "' AND left_on = '2026-03-01'") == 1);

    /* Before school 2 has received anyone, both transfers are unreceived. */
    memset(&f, 0, sizeof(f));
    CHECK(rcl_agg_departures_unreceived(db, collect, &f) == 0);
    CHECK(f.n == 2);
    /* School 2 enrolls student 1: only student 2 is left, with what the tombstone said. */
    memset(&b, 0, sizeof(b));
    add_student(&b, 1, 1, 0, 0, RCL_PART_ACTIVE, false);
    env = seal(SCHOOL2, 1, 1, 1, NULL, &b, NULL, &school2, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL2, &r) == 1 && r.status == RCL_REPLY_ACK);
    memset(&f, 0, sizeof(f));
    CHECK(rcl_agg_departures_unreceived(db, collect, &f) == 0);
    CHECK(f.n == 1);
    if (f.n == 1) {
        CHECK_STR(f.rows[0].school_id, SCHOOL);
        CHECK_STR(f.rows[0].d.name, "学生2");
        CHECK(f.rows[0].d.reason == RCL_DEPART_TRANSFERRED_OUT);
        CHECK(f.rows[0].d.grade == 3);
        CHECK_STR(f.rows[0].d.destination, "");
        CHECK_STR(f.rows[0].d.left_on, "2026-03-02");
        CHECK(f.rows[0].d.pseudonym[0] == 2 && f.rows[0].d.pseudonym[31] == 2);
    }

    /* A new epoch of school 1: its departures again, then student 4 in full. The
     * snapshot's student keeps every new field through the staging table. */
    memset(&b, 0, sizeof(b));
    add_departure(&b, 1, 1, RCL_DEPART_TRANSFERRED_OUT, SCHOOL2);
    add_departure(&b, 2, 2, RCL_DEPART_TRANSFERRED_OUT, "");
    add_detailed(&b, 3, 4);
    add_snapshot_end(&b, 4, 1);
    env = seal(SCHOOL, 2, 1, 4, NULL, &b, NULL, &school, &len, NULL);
    CHECK(ingest(&ctx, env, len, SCHOOL, &r) == 1 && r.status == RCL_REPLY_ACK && r.epoch == 2);
    CHECK(count(db, "SELECT count(*) FROM students WHERE school_id = '" SCHOOL "'") == 1);
    CHECK(count(db, "SELECT count(*) FROM students WHERE school_id = '" SCHOOL "' AND "
                    "optout_status = 'approved' AND "
                    "json_extract(measure_details, '$[1].helper_role') = 'village cadre'") == 1);
    CHECK(count(db, "SELECT count(*) FROM departures") == 3);
    memset(&f, 0, sizeof(f));
    CHECK(rcl_agg_departures_unreceived(db, collect, &f) == 0);
    CHECK(f.n == 1);

    rcl_db_close(&db);
    remove_store(path);
}

/* A county store whose students table predates the full record is migrated on open. */
static void test_old_county_migrated(void)
{
    struct rcl_agg_config cfg;
    char path[600], err[256];
    sqlite3 *db;

    db = make_store("old.db", COUNTY, RCL_AGG_COUNTY, NULL, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    /* Back to the tables as init made them before: students and its staging, nothing else. */
    CHECK(rcl_db_exec(db,
                      "DROP TABLE students; DROP TABLE students_staging; DROP TABLE departures;"
                      "DROP TABLE school_profiles; DROP TABLE school_platforms;"
                      "DROP TABLE exchange_units; DROP TABLE exchange_digests;"
                      "DROP TABLE exchange_matches; DROP TABLE exchange_relay;"
                      "DELETE FROM meta WHERE key = 'county_schema'; PRAGMA user_version = 12;",
                      "undoing") == 0);
    CHECK(rcl_db_exec(db, RCL_AGG_SQL_STUDENTS, "old students") == 0);
    CHECK(rcl_db_exec(db,
                      "INSERT INTO students VALUES('" SCHOOL "', x'01', '王五', 2, '2-1', 0, 0,"
                      " '', 0, 2, 'funding', 'ok')",
                      "old row") == 0);
    rcl_db_close(&db);

    db = rcl_agg_store_open(path, &cfg, err, sizeof(err));
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(count(db, "SELECT count(*) FROM students WHERE name = '王五' AND measures = 'funding'"
                    " AND measure_details = '[]' AND optout_status = 'none'") == 1);
    CHECK(count(db, "SELECT count(*) FROM departures") == 0);
    CHECK(count(db, "SELECT count(*) FROM school_profiles") == 0);
    CHECK(count(db, "SELECT count(*) FROM pragma_table_info('students_staging') WHERE name ="
                    " 'optout_decided'") == 1);
    /* The county's own count was folded into user_version. */
    CHECK(count(db, "SELECT count(*) FROM meta WHERE key = 'county_schema'") == 0);
    CHECK(count(db, "PRAGMA user_version") == 20);
    CHECK(count(db, "SELECT count(*) FROM exchange_relay") == 0);
    CHECK(count(db, "SELECT count(*) FROM exchange_matches") == 0);
    /* Where the student is and who to call, in both tables, empty for the old rows. */
    CHECK(count(db, "SELECT count(*) FROM students WHERE place_county = '' AND place = ''"
                    " AND guardian_contact = ''") == 1);
    CHECK(count(db, "SELECT count(*) FROM pragma_table_info('students_staging') WHERE name ="
                    " 'guardian_contact'") == 1);
    /* The index on pseudonyms was made, then dropped again (it slowed every upsert). */
    CHECK(count(db, "SELECT count(*) FROM sqlite_master WHERE name = 'students_pseudonym'") == 0);
    rcl_db_close(&db);
    /* Opening again changes nothing. */
    db = rcl_agg_store_open(path, &cfg, err, sizeof(err));
    CHECK(db != NULL);
    rcl_db_close(&db);
    remove_store(path);
}

/* A city never gets the county's tables: no departures, no profiles. */
static void test_city_has_none(void)
{
    struct rcl_agg_config cfg;
    char path[600];
    sqlite3 *db = make_store("city.db", "4113", RCL_AGG_CITY, NULL, &cfg, path, sizeof(path));

    CHECK(db != NULL);
    if (!db)
        return;
    CHECK(count(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('students', 'departures',"
                    " 'school_profiles', 'school_platforms')") == 0);
    rcl_db_close(&db);
    remove_store(path);
}

int main(void)
{
    rcl_log_init("test_agg_departures");
    CHECK(rcl_keys_init() == 0);
    make_tmpdir("test_agg_departures");
    RCL_TEST_RUN(test_county_records);
    RCL_TEST_RUN(test_old_county_migrated);
    RCL_TEST_RUN(test_city_has_none);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

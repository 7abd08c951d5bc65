/*
 * test_school_edit.c - the full record in the school store and the editing
 * commands: a student with measure details and an opt-out survives a store
 * round trip and an import of the bare measures text; each edit is one
 * outbox change (decoded here from the outbox itself); a removal leaves a
 * departures row and a tombstone with the reason; a refused edit changes
 * nothing; the profile round-trips; a new epoch's snapshot carries the
 * departures before the students.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edit.h"
#include "import.h"
#include "optout.h"
#include "pseudonym.h"
#include "rcl_codec.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_outbox.h"
#include "rcl_test.h"
#include "school_store.h"

#define SCHOOL "4113810001"
#define ID1 "G41138120100101001X"
#define ID2 "G411381201001010028"

static char dir[512];
static char printed[4096];

static sqlite3 *make_school(struct rcl_school_meta *m)
{
    char path[700], err[256];
    uint8_t sk[RCL_SK_BYTES], usk[RCL_SK_BYTES];
    sqlite3 *db;

    snprintf(path, sizeof(path), "%s/school.db", dir);
    db = rcl_school_store_open(path, RCL_DB_CREATE, err, sizeof(err));
    CHECK(db != NULL);
    if (db == NULL)
        return NULL;
    memset(m, 0, sizeof(*m));
    snprintf(m->school_id, sizeof(m->school_id), SCHOOL);
    snprintf(m->county, sizeof(m->county), "411381");
    snprintf(m->name, sizeof(m->name), "第一小学");
    snprintf(m->upstream, sizeof(m->upstream), "tcp://127.0.0.1:7100");
    CHECK(rcl_key_generate(m->upstream_key, usk) == 0);
    CHECK(rcl_key_generate(m->public_key, sk) == 0);
    rcl_school_pseudonym_default_key(m->pseudonym_key);
    CHECK(rcl_school_store_init(db, m, sk, err, sizeof(err)) == 0);
    return db;
}

/* Runs one edit with options "name=value" ...; what it printed (out and errs) goes to printed. */
static int edit(sqlite3 *db, const struct rcl_school_meta *m, const char *command,
                const char *action, const char *const *pairs)
{
    struct rcl_school_edit_opt opts[16];
    char names[16][32];
    size_t n = 0;
    FILE *f = fmemopen(printed, sizeof(printed), "w");
    int rc;

    for (; pairs[n] != NULL; n++) {
        const char *eq = strchr(pairs[n], '=');
        snprintf(names[n], sizeof(names[n]), "%.*s", (int)(eq - pairs[n]), pairs[n]);
        opts[n].name = names[n];
        opts[n].value = eq + 1;
    }
    rc = rcl_school_edit_check(command, action, opts, n, false, printed, sizeof(printed));
    if (rc == 0)
        rc = rcl_school_edit(db, m, command, action, opts, n, false, f, f);
    else
        rc = 2;
    fclose(f);
    return rc;
}

static uint64_t last_seq(sqlite3 *db)
{
    struct rcl_outbox_stats st;

    memset(&st, 0, sizeof(st));
    CHECK(rcl_outbox_stats(db, &st) == 0);
    return st.last_seq;
}

/* Decodes the outbox change with the highest seq. Returns 0, or -1. */
static int last_change(sqlite3 *db, struct rcl_change *c)
{
    sqlite3_stmt *st = NULL;
    char err[256];
    int rc = -1;

    if (sqlite3_prepare_v2(db, "SELECT body FROM outbox ORDER BY seq DESC LIMIT 1", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        rc = rcl_change_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), c,
                               err, sizeof(err));
    sqlite3_finalize(st);
    return rc;
}

#define EDIT(want, cmd, action, ...)                                                               \
    do {                                                                                           \
        const char *const pairs_[] = {__VA_ARGS__, NULL};                                          \
        int rc_ = edit(db, &m, cmd, action, pairs_);                                               \
        if (rc_ != (want)) {                                                                       \
            fprintf(stderr, "%s:%d: edit returned %d, want %d: %s\n", __FILE__, __LINE__, rc_,     \
                    want, printed);                                                                \
            rcl_test_failures++;                                                                   \
        }                                                                                          \
    } while (0)

static void test_student_edits(void)
{
    struct rcl_school_meta m;
    struct rcl_student s;
    struct rcl_change c;
    uint64_t seq;
    sqlite3 *db = make_school(&m);

    if (db == NULL)
        return;
    EDIT(0, "student", "add", "id=" ID1, "name=张三", "grade=3", "class=3-1",
         "network=broadband;mobile", "devices=tv");
    CHECK(rcl_school_student_get(db, ID1, &s) == 1 && s.grade == 3 && s.network == 3 &&
          s.devices == RCL_BIT(RCL_DEV_TV));
    seq = last_seq(db);
    /* Refused edits change nothing. */
    EDIT(1, "student", "add", "id=" ID1, "name=张三", "grade=3", "class=3-1");
    EDIT(1, "student", "update", "id=" ID1, "grade=13");
    EDIT(1, "student", "update", "id=" ID2, "grade=4");
    EDIT(1, "student", "update", "id=G411381201001010021", "grade=4"); /* bad check digit */
    EDIT(2, "student", "update", "id=" ID1);
    EDIT(2, "student", "update", "id=" ID1, "to=4113810002");
    EDIT(1, "measure", "add", "id=" ID1, "kind=loaned_device", "start=2026-02-30");
    EDIT(1, "measure", "end", "id=" ID1, "kind=funding");
    EDIT(1, "optout", "decide", "id=" ID1, "status=approved");
    CHECK(last_seq(db) == seq);

    EDIT(0, "measure", "add", "id=" ID1, "kind=loaned_device", "role=班主任", "start=2026-02-10");
    EDIT(0, "measure", "plan", "id=" ID1, "kind=tv_at_village", "role=village cadre");
    EDIT(1, "measure", "plan", "id=" ID1, "kind=loaned_device"); /* in place already */
    EDIT(1, "measure", "end", "id=" ID1, "kind=loaned_device", "end=2026-02-01");
    EDIT(0, "measure", "end", "id=" ID1, "kind=loaned_device", "end=2026-03-01");
    EDIT(1, "feedback", NULL, "id=" ID1, "text=bell\x07");
    EDIT(0, "feedback", NULL, "id=" ID1, "text=需要流量\r\n补贴");
    EDIT(0, "optout", "file", "id=" ID1, "reason=家长辅导", "date=2026-02-01");
    EDIT(1, "optout", "decide", "id=" ID1, "status=approved", "date=2026-01-31");
    EDIT(0, "optout", "decide", "id=" ID1, "status=approved", "date=2026-02-03");
    CHECK(last_seq(db) == seq + 6);

    CHECK(rcl_school_student_get(db, ID1, &s) == 1);
    CHECK(s.n_measures == 2);
    CHECK(s.measures[0].kind == RCL_MEASURE_LOANED_DEVICE &&
          s.measures[0].status == RCL_STATUS_ENDED);
    CHECK_STR(s.measures[0].helper_role, "班主任");
    CHECK_STR(s.measures[0].start_date, "2026-02-10");
    CHECK_STR(s.measures[0].end_date, "2026-03-01");
    CHECK(s.measures[1].kind == RCL_MEASURE_TV_AT_VILLAGE &&
          s.measures[1].status == RCL_STATUS_PLANNED);
    CHECK_STR(s.measures[1].helper_role, "village cadre");
    CHECK_STR(s.feedback, "需要流量 补贴"); /* a line break becomes a space, as in an import */
    CHECK(s.optout_status == RCL_OPTOUT_APPROVED && s.participation == RCL_PART_OPTED_OUT);
    CHECK_STR(s.optout_filed, "2026-02-01");
    CHECK_STR(s.optout_decided, "2026-02-03");
    /* What travels is the same record. */
    CHECK(last_change(db, &c) == 0 && c.kind == RCL_CHANGE_STUDENT);
    CHECK(c.u.student.optout_status == RCL_OPTOUT_APPROVED);
    CHECK_STR(c.u.student.measures[0].helper_role, "班主任");
    CHECK_STR(c.u.student.optout_reason, "家长辅导");

    /* An import of the bare measures text keeps the details entered by hand. */
    {
        char path[700];
        struct rcl_school_import_result res;
        FILE *f;

        snprintf(path, sizeof(path), "%s/again.csv", dir);
        f = fopen(path, "wb");
        CHECK(f != NULL);
        if (f != NULL) {
            fputs("student_id,name,grade,class,assistance\n" ID1
                  ",张三,3,3-1,loaned_device:ended;tv_at_village\n",
                  f);
            fclose(f);
        }
        f = fopen("/dev/null", "w");
        CHECK(rcl_school_import(db, &m, path, f, &res) == 0 && res.changed == 1);
        fclose(f);
        CHECK(rcl_school_student_get(db, ID1, &s) == 1);
        CHECK_STR(s.measures[0].end_date, "2026-03-01");
        CHECK(s.measures[1].status == RCL_STATUS_IN_PLACE);
        CHECK_STR(s.measures[1].helper_role, "village cadre");
    }

    /* A removal: the row goes, a departure stays, the tombstone says why and where to. */
    seq = last_seq(db);
    EDIT(1, "student", "remove", "id=" ID1, "reason=graduated", "to=4113810002");
    EDIT(1, "student", "remove", "id=" ID1, "reason=moved");
    EDIT(0, "student", "remove", "id=" ID1, "reason=transferred_out", "to=4113810002",
         "date=2026-03-05");
    CHECK(last_seq(db) == seq + 1);
    CHECK(rcl_school_student_get(db, ID1, &s) == 0);
    CHECK(last_change(db, &c) == 0 && c.kind == RCL_CHANGE_REMOVED);
    CHECK(c.u.removed.reason == RCL_DEPART_TRANSFERRED_OUT);
    CHECK_STR(c.u.removed.destination, "4113810002");
    CHECK_STR(c.u.removed.left_on, "2026-03-05");
    CHECK_STR(c.u.removed.name, "张三");
    CHECK(c.u.removed.grade == 3);
    {
        uint8_t p[RCL_PSEUDONYM_BYTES];
        rcl_school_pseudonym(m.pseudonym_key, ID1, p);
        CHECK(memcmp(p, c.u.removed.pseudonym, sizeof(p)) == 0);
    }
    EDIT(1, "student", "remove", "id=" ID1, "reason=left");

    /* A new epoch: profile, the departure, then the students. */
    EDIT(0, "student", "add", "id=" ID2, "name=李四", "grade=5", "class=5-2");
    CHECK(rcl_outbox_new_epoch(db, 2, rcl_school_snapshot, &m) == 0);
    {
        sqlite3_stmt *st = NULL;
        int kinds[8], n = 0;
        char err[256];

        CHECK(sqlite3_prepare_v2(db, "SELECT body FROM outbox ORDER BY seq", -1, &st, NULL) ==
              SQLITE_OK);
        while (st != NULL && sqlite3_step(st) == SQLITE_ROW && n < 8) {
            CHECK(rcl_change_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
                                    &c, err, sizeof(err)) == 0);
            kinds[n++] = (int)c.kind;
        }
        sqlite3_finalize(st);
        CHECK(n == 4);
        if (n == 4)
            CHECK(kinds[0] == RCL_CHANGE_SCHOOL && kinds[1] == RCL_CHANGE_REMOVED &&
                  kinds[2] == RCL_CHANGE_STUDENT && kinds[3] == RCL_CHANGE_SNAPSHOT_END);
        CHECK(c.u.snapshot_records == 1);
    }
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
}

static void test_profile(void)
{
    struct rcl_school_meta m;
    struct rcl_school_profile p;
    struct rcl_change c;
    sqlite3 *db = make_school(&m);

    if (db == NULL)
        return;
    EDIT(0, "profile", "set", "platforms=空中课堂:tv:all; 钉钉 : live : 3-1,3-2",
         "materials=120/300", "contact-role=教导主任", "parent=4113810000");
    CHECK(rcl_school_profile_load(db, &m, &p) == 0);
    CHECK(p.n_platforms == 2);
    CHECK_STR(p.platforms[0].name, "空中课堂");
    CHECK(p.platforms[0].kind == RCL_PLATFORM_TV);
    CHECK_STR(p.platforms[1].name, "钉钉");
    CHECK(p.platforms[1].kind == RCL_PLATFORM_LIVE);
    CHECK_STR(p.platforms[1].classes, "3-1,3-2");
    CHECK(p.materials_delivered == 120 && p.materials_total == 300 && p.materials_percent == 40);
    CHECK_STR(p.contact_role, "教导主任");
    CHECK_STR(p.parent_school, "4113810000");
    CHECK(last_change(db, &c) == 0 && c.kind == RCL_CHANGE_SCHOOL && c.u.school.n_platforms == 2);

    EDIT(1, "profile", "set", "materials=301/300");
    EDIT(1, "profile", "set", "materials=101%");
    EDIT(1, "profile", "set", "platforms=钉钉:radio");
    EDIT(1, "profile", "set", "platforms=:tv");
    EDIT(1, "profile", "set", "parent=" SCHOOL);
    EDIT(1, "profile", "set", "parent=12345");
    EDIT(2, "profile", "set", "name=x");
    EDIT(0, "profile", "set", "materials=75%", "parent=none", "platforms=");
    CHECK(rcl_school_profile_load(db, &m, &p) == 0);
    CHECK(p.n_platforms == 0 && p.materials_total == 0 && p.materials_percent == 75);
    CHECK_STR(p.parent_school, "");
    CHECK_STR(p.contact_role, "教导主任");
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
}

/* participation opted_out only with an approved application (optout.h). */
static void test_optout_rule(void)
{
    struct rcl_student old, s;
    const char *today = "2026-03-01";

    memset(&old, 0, sizeof(old));
    old.participation = RCL_PART_IRREGULAR;
    /* Asked for without an application: one is filed, participation stays. */
    s = old;
    s.participation = RCL_PART_OPTED_OUT;
    CHECK(rcl_school_optout_rule(&s, &old, "导入时申请", today) == RCL_OPTOUT_RULE_FILED);
    CHECK(s.participation == RCL_PART_IRREGULAR && s.optout_status == RCL_OPTOUT_PENDING);
    CHECK_STR(s.optout_reason, "导入时申请");
    CHECK_STR(s.optout_filed, today);
    CHECK(strstr(rcl_optout_outcome_text(RCL_OPTOUT_RULE_FILED), "filed one, pending") != NULL);
    /* Asked again: the pending one is kept as it is. */
    old = s;
    s.participation = RCL_PART_OPTED_OUT;
    CHECK(rcl_school_optout_rule(&s, &old, "other", "2026-03-05") == RCL_OPTOUT_RULE_PENDING);
    CHECK(s.participation == RCL_PART_IRREGULAR);
    CHECK_STR(s.optout_reason, "导入时申请");
    CHECK_STR(s.optout_filed, today);
    /* A rejected application does not allow it either: a new one is filed. */
    old.optout_status = RCL_OPTOUT_REJECTED;
    snprintf(old.optout_decided, sizeof(old.optout_decided), "2026-03-02");
    s = old;
    s.participation = RCL_PART_OPTED_OUT;
    CHECK(rcl_school_optout_rule(&s, &old, "again", "2026-03-09") == RCL_OPTOUT_RULE_FILED);
    CHECK(s.optout_status == RCL_OPTOUT_PENDING && s.optout_decided[0] == '\0');
    CHECK_STR(s.optout_reason, "again");
    /* A new student: active until approved. */
    memset(&s, 0, sizeof(s));
    s.participation = RCL_PART_OPTED_OUT;
    CHECK(rcl_school_optout_rule(&s, NULL, "x", today) == RCL_OPTOUT_RULE_FILED);
    CHECK(s.participation == RCL_PART_ACTIVE);
    /* Approved: allowed, and leaving opted_out clears the application. */
    s.optout_status = RCL_OPTOUT_APPROVED;
    s.participation = RCL_PART_OPTED_OUT;
    CHECK(rcl_school_optout_rule(&s, NULL, "x", today) == RCL_OPTOUT_RULE_KEPT);
    CHECK(s.participation == RCL_PART_OPTED_OUT);
    old = s;
    s.participation = RCL_PART_ABSENT;
    CHECK(rcl_school_optout_rule(&s, &old, "x", today) == RCL_OPTOUT_RULE_WITHDRAWN);
    CHECK(s.participation == RCL_PART_ABSENT && s.optout_status == RCL_OPTOUT_NONE);
    CHECK(s.optout_reason[0] == '\0' && s.optout_filed[0] == '\0' && s.optout_decided[0] == '\0');
    /* Nothing asked of participation: nothing changes. */
    old = s;
    CHECK(rcl_school_optout_rule(&s, &old, "x", today) == RCL_OPTOUT_RULE_KEPT);
    CHECK(memcmp(&s, &old, sizeof(s)) == 0);
}

int main(void)
{
    char path[700];

    if (rcl_keys_init() != 0 || rcl_test_tmpdir("test_school_edit", dir, sizeof(dir)) != 0)
        return 1;
    rcl_log_init("test_school_edit");
    RCL_TEST_RUN(test_optout_rule);
    RCL_TEST_RUN(test_student_edits);
    snprintf(path, sizeof(path), "%s/school.db", dir);
    remove(path);
    RCL_TEST_RUN(test_profile);
    remove(path);
    return RCL_TEST_RESULT();
}

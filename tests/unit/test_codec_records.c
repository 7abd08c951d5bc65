/*
 * test_codec_records.c - the full record on the wire: a measure's helper
 * role and dates, the opt-out application, the tombstone's reason and
 * destination, and the school profile's platforms, materials, contact role
 * and parent school. Each new field round-trips, and each bad value is
 * refused with a reason that names the field.
 */
#include "codec_fixture.h"

/* Encodes c as it stands (the encoder does not judge) and decodes it again. */
static int reencode(const struct rcl_change *c, struct rcl_change *back, char *err, size_t errlen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc;

    err[0] = '\0';
    if (rcl_change_encode(c, &buf, &len) != 0)
        return -2;
    rc = rcl_change_decode(buf, len, back, err, errlen);
    free(buf);
    return rc;
}

static void expect_ok(const struct rcl_change *c, int line)
{
    struct rcl_change back;
    char err[256];

    if (reencode(c, &back, err, sizeof(err)) != 0 || !change_equal(c, &back)) {
        fprintf(stderr, "%s:%d: expected a round trip, got '%s'\n", __FILE__, line, err);
        rcl_test_failures++;
    }
}

/* The decoder must refuse c with a reason containing want. */
static void expect_refused(const struct rcl_change *c, const char *want, int line)
{
    struct rcl_change back;
    char err[256];

    if (reencode(c, &back, err, sizeof(err)) != -1 || strstr(err, want) == NULL) {
        fprintf(stderr, "%s:%d: expected a refusal naming '%s', got '%s'\n", __FILE__, line, want,
                err);
        rcl_test_failures++;
    }
}

#define OK(c) expect_ok(&(c), __LINE__)
#define REFUSED(c, want) expect_refused(&(c), want, __LINE__)

static struct rcl_change detailed_student(void)
{
    struct rcl_change c = sample_student(5);
    struct rcl_student *s = &c.u.student;

    s->n_measures = 2;
    s->measures[0].kind = RCL_MEASURE_LOANED_DEVICE;
    s->measures[0].status = RCL_STATUS_IN_PLACE;
    strcpy(s->measures[0].helper_role, "\xE7\x8F\xAD\xE4\xB8\xBB\xE4\xBB\xBB"); /* 班主任 */
    strcpy(s->measures[0].start_date, "2026-02-10");
    strcpy(s->measures[0].end_date, "2026-06-30");
    s->measures[1].kind = RCL_MEASURE_TV_AT_VILLAGE;
    s->measures[1].status = RCL_STATUS_PLANNED;
    strcpy(s->measures[1].helper_role, "village cadre");
    s->optout_status = RCL_OPTOUT_APPROVED;
    strcpy(s->optout_reason, "\xE5\xAE\xB6\xE9\x95\xBF\xE8\xBE\x85\xE5\xAF\xBC"); /* 家长辅导 */
    strcpy(s->optout_filed, "2024-02-28");
    strcpy(s->optout_decided, "2024-02-29"); /* a leap day */
    return c;
}

static void test_measure_details(void)
{
    struct rcl_change c = detailed_student(), bad;

    OK(c);
    bad = c;
    strcpy(bad.u.student.measures[0].start_date, "2026-02-30");
    REFUSED(bad, "student.measures.start_date");
    bad = c;
    strcpy(bad.u.student.measures[0].end_date, "2026/06/30");
    REFUSED(bad, "student.measures.end_date");
    bad = c;
    strcpy(bad.u.student.measures[0].end_date, "2026-01-01"); /* before the start */
    REFUSED(bad, "before its start_date");
    bad = c;
    strcpy(bad.u.student.measures[0].start_date, "2023-02-29"); /* not a leap year */
    REFUSED(bad, "student.measures.start_date");
    bad = c;
    strcpy(bad.u.student.measures[1].helper_role, "\xC3\x28"); /* broken UTF-8 */
    REFUSED(bad, "student.measures.helper_role");
    bad = c;
    memset(bad.u.student.measures[1].helper_role, 'r', RCL_ROLE_MAX);
    OK(bad); /* at the limit */
    /* One past the limit travels only from a hostile sender: build it by hand. */
    {
        struct pb *st = pb_new(), *m = pb_new(), *ch = pb_new();
        uint8_t pseudo[RCL_PSEUDONYM_BYTES];
        struct rcl_change out;
        char err[256] = "";
        char *role = repeat('r', RCL_ROLE_MAX + 1);

        memset(pseudo, 0xAB, sizeof(pseudo));
        pb_bytes(st, 1, pseudo, sizeof(pseudo));
        pb_uint(st, 3, 3);
        pb_uint(m, 1, RCL_MEASURE_FUNDING);
        pb_uint(m, 2, RCL_STATUS_IN_PLACE);
        pb_str(m, 3, role);
        pb_msg(st, 10, m);
        pb_uint(ch, 1, 1);
        pb_msg(ch, 2, st);
        CHECK(decode_pb(ch, &out, err, sizeof(err)) == -1);
        CHECK(strstr(err, "student.measures.helper_role is 49 bytes") != NULL);
        free(role);
        free(st);
        free(m);
        free(ch);
    }
}

static void test_optout(void)
{
    struct rcl_change c = detailed_student(), bad;

    bad = c;
    bad.u.student.optout_status = RCL_OPTOUT_STATUS_COUNT;
    REFUSED(bad, "student.optout_status");
    bad = c;
    strcpy(bad.u.student.optout_decided, "2024-02-01"); /* before it was filed */
    REFUSED(bad, "before optout_filed");
    bad = c;
    bad.u.student.optout_status = RCL_OPTOUT_PENDING; /* pending, yet decided */
    REFUSED(bad, "student.optout_decided is set");
    bad = c;
    bad.u.student.optout_status = RCL_OPTOUT_NONE;
    REFUSED(bad, "student.optout_status is none");
    bad = c;
    strcpy(bad.u.student.optout_filed, "24-02-28");
    REFUSED(bad, "student.optout_filed");
    bad = c;
    strcpy(bad.u.student.optout_reason, "line\x01"
                                        "break");
    REFUSED(bad, "student.optout_reason");
    bad = c;
    bad.u.student.optout_status = RCL_OPTOUT_PENDING;
    bad.u.student.optout_decided[0] = '\0';
    OK(bad);
}

static struct rcl_change tombstone(void)
{
    struct rcl_change c;

    memset(&c, 0, sizeof(c));
    c.seq = 9;
    c.kind = RCL_CHANGE_REMOVED;
    memset(c.u.removed.pseudonym, 0x33, RCL_PSEUDONYM_BYTES);
    c.u.removed.reason = RCL_DEPART_TRANSFERRED_OUT;
    strcpy(c.u.removed.destination, "4113810042");
    strcpy(c.u.removed.left_on, "2026-03-01");
    strcpy(c.u.removed.name, "\xE6\x9D\x8E\xE5\x9B\x9B"); /* 李四 */
    c.u.removed.grade = 4;
    strcpy(c.u.removed.class_name, "4-1");
    return c;
}

static void test_removal(void)
{
    struct rcl_change c = tombstone(), bad;

    OK(c);
    bad = c;
    bad.u.removed.reason = RCL_DEPART_REASON_COUNT;
    REFUSED(bad, "removed.reason");
    bad = c;
    strcpy(bad.u.removed.destination, "41138100");
    REFUSED(bad, "removed.destination is not a 10-digit");
    bad = c;
    bad.u.removed.reason = RCL_DEPART_GRADUATED; /* a destination only for a transfer */
    REFUSED(bad, "removed.destination is set");
    bad = c;
    strcpy(bad.u.removed.left_on, "2026-13-01");
    REFUSED(bad, "removed.left_on");
    bad = c;
    bad.u.removed.grade = 13;
    REFUSED(bad, "removed.grade");
    bad = c;
    strcpy(bad.u.removed.name, "\xED\xA0\x80"); /* a surrogate */
    REFUSED(bad, "removed.name");
    /* The tombstone of old, with the pseudonym alone, still reads (as reason other). */
    memset(&bad, 0, sizeof(bad));
    bad.seq = 1;
    bad.kind = RCL_CHANGE_REMOVED;
    memset(bad.u.removed.pseudonym, 7, RCL_PSEUDONYM_BYTES);
    OK(bad);
}

static struct rcl_change profile(void)
{
    struct rcl_change c;
    struct rcl_school_profile *p = &c.u.school;

    memset(&c, 0, sizeof(c));
    c.seq = 2;
    c.kind = RCL_CHANGE_SCHOOL;
    strcpy(p->school_id, "4113810043");
    strcpy(p->name, "teaching point");
    strcpy(p->county, "411381");
    p->n_platforms = 2;
    strcpy(p->platforms[0].name, "\xE7\xA9\xBA\xE4\xB8\xAD\xE8\xAF\xBE\xE5\xA0\x82"); /* 空中课堂 */
    p->platforms[0].kind = RCL_PLATFORM_TV;
    strcpy(p->platforms[0].classes, "1-1;1-2");
    strcpy(p->platforms[1].name, "DingTalk");
    p->platforms[1].kind = RCL_PLATFORM_LIVE;
    p->materials_delivered = 120;
    p->materials_total = 300;
    p->materials_percent = 40;
    strcpy(p->contact_role, "principal");
    strcpy(p->parent_school, "4113810042");
    return c;
}

static void test_profile(void)
{
    struct rcl_change c = profile(), bad;

    OK(c);
    bad = c;
    bad.u.school.materials_total = 0;
    bad.u.school.materials_delivered = 0;
    bad.u.school.materials_percent = 75; /* percent alone */
    OK(bad);
    bad.u.school.materials_percent = 101;
    REFUSED(bad, "school.materials_percent 101 is over 100");
    bad = c;
    bad.u.school.materials_delivered = 301;
    REFUSED(bad, "is more than the total");
    bad = c;
    bad.u.school.materials_percent = 41;
    REFUSED(bad, "school.materials_percent 41 is not 120 of 300");
    bad = c;
    bad.u.school.materials_total = 0;
    REFUSED(bad, "school.materials_delivered is set without a total");
    bad = c;
    bad.u.school.platforms[1].kind = RCL_PLATFORM_KIND_COUNT;
    REFUSED(bad, "school.platforms.kind");
    bad = c;
    bad.u.school.platforms[0].name[0] = '\0';
    REFUSED(bad, "school.platforms.name is empty");
    bad = c;
    strcpy(bad.u.school.platforms[0].classes, "\xFF");
    REFUSED(bad, "school.platforms.classes");
    bad = c;
    strcpy(bad.u.school.parent_school, "411381004X");
    REFUSED(bad, "school.parent_school is not a 10-digit");
    bad = c;
    strcpy(bad.u.school.parent_school, bad.u.school.school_id);
    REFUSED(bad, "names the school itself");
    bad = c;
    strcpy(bad.u.school.contact_role, "\xE2\x82"); /* cut short */
    REFUSED(bad, "school.contact_role");
    bad = c;
    bad.u.school.n_platforms = RCL_PLATFORMS_MAX;
    for (size_t i = 0; i < RCL_PLATFORMS_MAX; i++) {
        snprintf(bad.u.school.platforms[i].name, sizeof(bad.u.school.platforms[i].name), "p%zu", i);
        bad.u.school.platforms[i].kind = RCL_PLATFORM_OTHER;
    }
    OK(bad);
}

static void test_dates(void)
{
    CHECK(rcl_date_valid("2026-11-29"));
    CHECK(rcl_date_valid("2000-02-29"));
    CHECK(!rcl_date_valid("1900-02-29"));
    CHECK(!rcl_date_valid("2026-04-31"));
    CHECK(!rcl_date_valid("2026-4-01"));
    CHECK(!rcl_date_valid("2026-04-01 "));
    CHECK(!rcl_date_valid("20260401xx"));
    CHECK(!rcl_date_valid(""));
}

static void test_keep_details(void)
{
    struct rcl_measure old[2], now[2];
    size_t n = 0;
    char bad[32];

    memset(old, 0, sizeof(old));
    old[0].kind = RCL_MEASURE_FUNDING;
    strcpy(old[0].helper_role, "head teacher");
    strcpy(old[0].start_date, "2026-01-05");
    CHECK(rcl_measures_parse("data_subsidy;funding:ended", now, &n, bad, sizeof(bad)) == 0);
    CHECK(n == 2);
    rcl_measures_keep_details(now, n, old, 1);
    CHECK_STR(now[1].helper_role, "head teacher");
    CHECK_STR(now[1].start_date, "2026-01-05");
    CHECK(now[1].status == RCL_STATUS_ENDED);
    CHECK_STR(now[0].helper_role, "");
}

int main(void)
{
    RCL_TEST_RUN(test_measure_details);
    RCL_TEST_RUN(test_optout);
    RCL_TEST_RUN(test_removal);
    RCL_TEST_RUN(test_profile);
    RCL_TEST_RUN(test_dates);
    RCL_TEST_RUN(test_keep_details);
    return RCL_TEST_RESULT();
}

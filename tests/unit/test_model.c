/*
 * test_model.c - the derived rules (condition, blind spot, totals), the set
 * and measure text, and the UTF-8 check, as DESIGN.md states them.
 */
#include <string.h>

#include "rcl_model.h"
#include "rcl_test.h"

#define NET(x) RCL_BIT(RCL_NET_##x)
#define DEV(x) RCL_BIT(RCL_DEV_##x)

static struct rcl_student student(uint32_t network, uint32_t devices)
{
    struct rcl_student s;
    memset(&s, 0, sizeof(s));
    s.grade = 5;
    s.network = network;
    s.devices = devices;
    s.participation = RCL_PART_ACTIVE;
    return s;
}

static void add_measure(struct rcl_student *s, int kind, int status)
{
    s->measures[s->n_measures].kind = (uint8_t)kind;
    s->measures[s->n_measures].status = (uint8_t)status;
    s->n_measures++;
}

static void test_name_tables(void)
{
    CHECK_STR(rcl_network_names[RCL_NET_BROADBAND], "broadband");
    CHECK_STR(rcl_network_names[RCL_NET_MOBILE], "mobile");
    CHECK_STR(rcl_network_names[RCL_NET_CABLE_TV], "cable_tv");
    CHECK_STR(rcl_device_names[RCL_DEV_COMPUTER], "computer");
    CHECK_STR(rcl_device_names[RCL_DEV_TABLET], "tablet");
    CHECK_STR(rcl_device_names[RCL_DEV_SMARTPHONE], "smartphone");
    CHECK_STR(rcl_device_names[RCL_DEV_TV], "tv");
    CHECK_STR(rcl_group_names[RCL_GROUP_POVERTY_CARD], "poverty_card");
    CHECK_STR(rcl_group_names[RCL_GROUP_HARDSHIP], "hardship");
    CHECK_STR(rcl_group_names[RCL_GROUP_FRONTLINE_FAMILY], "frontline_family");
    CHECK_STR(rcl_group_names[RCL_GROUP_LEFT_BEHIND], "left_behind");
    CHECK_STR(rcl_group_names[RCL_GROUP_MIGRANT], "migrant");
    CHECK_STR(rcl_group_names[RCL_GROUP_DISABLED], "disabled");
    CHECK_STR(rcl_group_names[RCL_GROUP_OTHER], "other");
    CHECK_STR(rcl_measure_kind_names[RCL_MEASURE_TV_AT_VILLAGE], "tv_at_village");
    CHECK_STR(rcl_measure_kind_names[RCL_MEASURE_LOANED_DEVICE], "loaned_device");
    CHECK_STR(rcl_measure_kind_names[RCL_MEASURE_DATA_SUBSIDY], "data_subsidy");
    CHECK_STR(rcl_measure_kind_names[RCL_MEASURE_ONE_TO_ONE], "one_to_one");
    CHECK_STR(rcl_measure_kind_names[RCL_MEASURE_PAPER_MATERIALS], "paper_materials");
    CHECK_STR(rcl_measure_kind_names[RCL_MEASURE_FUNDING], "funding");
    CHECK_STR(rcl_measure_status_names[RCL_STATUS_PLANNED], "planned");
    CHECK_STR(rcl_measure_status_names[RCL_STATUS_IN_PLACE], "in_place");
    CHECK_STR(rcl_measure_status_names[RCL_STATUS_ENDED], "ended");
    CHECK_STR(rcl_participation_names[RCL_PART_ACTIVE], "active");
    CHECK_STR(rcl_participation_names[RCL_PART_IRREGULAR], "irregular");
    CHECK_STR(rcl_participation_names[RCL_PART_ABSENT], "absent");
    CHECK_STR(rcl_participation_names[RCL_PART_OPTED_OUT], "opted_out");
    CHECK_STR(rcl_condition_names[RCL_COND_ONLINE], "online");
    CHECK_STR(rcl_condition_names[RCL_COND_TV_ONLY], "tv_only");
    CHECK_STR(rcl_condition_names[RCL_COND_NONE], "none");

    CHECK(rcl_name_find(rcl_device_names, RCL_DEVICE_COUNT, "tv", 2) == RCL_DEV_TV);
    CHECK(rcl_name_find(rcl_device_names, RCL_DEVICE_COUNT, "tvx", 2) == RCL_DEV_TV);
    CHECK(rcl_name_find(rcl_device_names, RCL_DEVICE_COUNT, "TV", 2) == -1);
    CHECK(rcl_name_find(rcl_device_names, RCL_DEVICE_COUNT, "t", 1) == -1);
    CHECK(rcl_name_find(rcl_device_names, RCL_DEVICE_COUNT, "", 0) == -1);
}

static void test_condition(void)
{
    struct rcl_student s;

    /* online: broadband or mobile, with computer, tablet or smartphone. */
    s = student(NET(BROADBAND), DEV(COMPUTER));
    CHECK(rcl_student_condition(&s) == RCL_COND_ONLINE);
    s = student(NET(MOBILE), DEV(SMARTPHONE));
    CHECK(rcl_student_condition(&s) == RCL_COND_ONLINE);
    s = student(NET(MOBILE), DEV(TABLET));
    CHECK(rcl_student_condition(&s) == RCL_COND_ONLINE);
    s = student(NET(BROADBAND) | NET(CABLE_TV), DEV(TABLET) | DEV(TV));
    CHECK(rcl_student_condition(&s) == RCL_COND_ONLINE);

    /* tv_only: a tv with cable_tv or broadband, when not online. */
    s = student(NET(CABLE_TV), DEV(TV));
    CHECK(rcl_student_condition(&s) == RCL_COND_TV_ONLY);
    s = student(NET(BROADBAND), DEV(TV));
    CHECK(rcl_student_condition(&s) == RCL_COND_TV_ONLY);
    s = student(NET(CABLE_TV), DEV(TV) | DEV(SMARTPHONE)); /* phone without data */
    CHECK(rcl_student_condition(&s) == RCL_COND_TV_ONLY);

    /* none. */
    s = student(0, 0);
    CHECK(rcl_student_condition(&s) == RCL_COND_NONE);
    s = student(NET(MOBILE), DEV(TV)); /* mobile data does not carry TV */
    CHECK(rcl_student_condition(&s) == RCL_COND_NONE);
    s = student(NET(CABLE_TV), DEV(COMPUTER));
    CHECK(rcl_student_condition(&s) == RCL_COND_NONE);
    s = student(0, DEV(COMPUTER) | DEV(TV));
    CHECK(rcl_student_condition(&s) == RCL_COND_NONE);
    s = student(NET(BROADBAND) | NET(MOBILE) | NET(CABLE_TV), 0);
    CHECK(rcl_student_condition(&s) == RCL_COND_NONE);
}

static void test_blind_spot(void)
{
    struct rcl_student s;

    s = student(0, 0);
    CHECK(rcl_student_is_blind_spot(&s)); /* no conditions, no help */
    add_measure(&s, RCL_MEASURE_PAPER_MATERIALS, RCL_STATUS_PLANNED);
    CHECK(rcl_student_is_blind_spot(&s)); /* planned does not count */
    add_measure(&s, RCL_MEASURE_LOANED_DEVICE, RCL_STATUS_ENDED);
    CHECK(rcl_student_is_blind_spot(&s)); /* ended does not count */
    add_measure(&s, RCL_MEASURE_TV_AT_VILLAGE, RCL_STATUS_IN_PLACE);
    CHECK(!rcl_student_is_blind_spot(&s));

    s = student(NET(BROADBAND), DEV(COMPUTER));
    CHECK(!rcl_student_is_blind_spot(&s)); /* online and active */
    s.participation = RCL_PART_IRREGULAR;
    CHECK(!rcl_student_is_blind_spot(&s));
    s.participation = RCL_PART_OPTED_OUT;
    CHECK(!rcl_student_is_blind_spot(&s));
    s.participation = RCL_PART_ABSENT;
    CHECK(rcl_student_is_blind_spot(&s)); /* online but absent */
    add_measure(&s, RCL_MEASURE_ONE_TO_ONE, RCL_STATUS_IN_PLACE);
    CHECK(!rcl_student_is_blind_spot(&s));

    s = student(NET(CABLE_TV), DEV(TV)); /* tv_only is not a blind spot by itself */
    CHECK(!rcl_student_is_blind_spot(&s));
    s.participation = RCL_PART_ABSENT;
    CHECK(rcl_student_is_blind_spot(&s));
}

/* The urgency levels and order of README "Lists to act on", both programs' blind-spot order. */
static void test_urgency(void)
{
    struct rcl_student a, b;
    struct rcl_urgency ua, ub;

    memset(&a, 0, sizeof(a));
    rcl_student_urgency(&a, &ua); /* nothing at home, no group */
    CHECK(ua.lacking && !ua.absent && ua.groups == 0 && ua.level == 2);
    a.groups = RCL_BIT(RCL_GROUP_LEFT_BEHIND) | RCL_BIT(RCL_GROUP_MIGRANT);
    rcl_student_urgency(&a, &ua);
    CHECK(ua.level == 1 && ua.groups == 2);
    b = a;
    b.network = RCL_BIT(RCL_NET_MOBILE);
    b.devices = RCL_BIT(RCL_DEV_SMARTPHONE);
    b.participation = RCL_PART_ABSENT;
    rcl_student_urgency(&b, &ub);
    CHECK(!ub.lacking && ub.absent && ub.level == 3);
    CHECK(rcl_urgency_cmp(&ua, &ub) < 0 && rcl_urgency_cmp(&ub, &ua) > 0);
    b.groups = 0;
    rcl_student_urgency(&b, &ub);
    CHECK(ub.level == 4);
    /* Within a level: more groups first, then absent first, else a tie. */
    b = a;
    b.groups = RCL_BIT(RCL_GROUP_LEFT_BEHIND);
    rcl_student_urgency(&b, &ub);
    CHECK(ub.level == 1 && rcl_urgency_cmp(&ua, &ub) < 0);
    b.groups = a.groups;
    b.participation = RCL_PART_ABSENT;
    rcl_student_urgency(&b, &ub);
    CHECK(rcl_urgency_cmp(&ub, &ua) < 0);
    CHECK(rcl_urgency_cmp(&ua, &ua) == 0);
}

static void test_totals(void)
{
    struct rcl_totals t, u;
    struct rcl_student s;

    memset(&t, 0, sizeof(t));
    s = student(NET(BROADBAND), DEV(COMPUTER));
    s.groups = RCL_BIT(RCL_GROUP_LEFT_BEHIND) | RCL_BIT(RCL_GROUP_MIGRANT);
    add_measure(&s, RCL_MEASURE_FUNDING, RCL_STATUS_IN_PLACE);
    add_measure(&s, RCL_MEASURE_FUNDING, RCL_STATUS_IN_PLACE); /* counted once */
    add_measure(&s, RCL_MEASURE_DATA_SUBSIDY, RCL_STATUS_PLANNED);
    add_measure(&s, RCL_MEASURE_ONE_TO_ONE, RCL_STATUS_ENDED);
    rcl_totals_add_student(&t, &s);
    s = student(0, 0);
    s.participation = RCL_PART_ABSENT;
    rcl_totals_add_student(&t, &s);
    s = student(NET(CABLE_TV), DEV(TV));
    s.groups = RCL_BIT(RCL_GROUP_MIGRANT);
    rcl_totals_add_student(&t, &s);

    CHECK(t.students == 3);
    CHECK(t.condition[RCL_COND_ONLINE] == 1);
    CHECK(t.condition[RCL_COND_TV_ONLY] == 1);
    CHECK(t.condition[RCL_COND_NONE] == 1);
    CHECK(t.blind_spots == 1);
    CHECK(t.groups[RCL_GROUP_LEFT_BEHIND] == 1);
    CHECK(t.groups[RCL_GROUP_MIGRANT] == 2);
    CHECK(t.groups[RCL_GROUP_POVERTY_CARD] == 0);
    CHECK(t.measures[RCL_MEASURE_FUNDING] == 1);
    CHECK(t.measures[RCL_MEASURE_DATA_SUBSIDY] == 0); /* planned */
    CHECK(t.measures[RCL_MEASURE_ONE_TO_ONE] == 0);   /* ended */
    CHECK(t.participation[RCL_PART_ACTIVE] == 2);
    CHECK(t.participation[RCL_PART_ABSENT] == 1);

    u = t;
    rcl_totals_add(&u, &t);
    CHECK(u.students == 6);
    CHECK(u.condition[RCL_COND_NONE] == 2);
    CHECK(u.blind_spots == 2);
    CHECK(u.groups[RCL_GROUP_MIGRANT] == 4);
    CHECK(u.measures[RCL_MEASURE_FUNDING] == 2);
    CHECK(u.participation[RCL_PART_ACTIVE] == 4);
}

static void test_set_parse(void)
{
    uint32_t set = 99;
    char bad[16];

    CHECK(rcl_set_parse(rcl_network_names, RCL_NETWORK_COUNT, "", &set, bad, sizeof(bad)) == 0);
    CHECK(set == 0);
    CHECK(rcl_set_parse(rcl_network_names, RCL_NETWORK_COUNT, "  ", &set, bad, sizeof(bad)) == 0);
    CHECK(set == 0);
    CHECK(rcl_set_parse(rcl_network_names, RCL_NETWORK_COUNT, "broadband", &set, bad,
                        sizeof(bad)) == 0);
    CHECK(set == NET(BROADBAND));
    CHECK(rcl_set_parse(rcl_network_names, RCL_NETWORK_COUNT, " mobile ;\tcable_tv\t", &set, bad,
                        sizeof(bad)) == 0);
    CHECK(set == (NET(MOBILE) | NET(CABLE_TV)));
    CHECK(rcl_set_parse(rcl_network_names, RCL_NETWORK_COUNT, ";mobile;;mobile;", &set, bad,
                        sizeof(bad)) == 0);
    CHECK(set == NET(MOBILE));
    CHECK(rcl_set_parse(rcl_device_names, RCL_DEVICE_COUNT, "computer;tablet;smartphone;tv", &set,
                        bad, sizeof(bad)) == 0);
    CHECK(set == 0xF);

    CHECK(rcl_set_parse(rcl_network_names, RCL_NETWORK_COUNT, "mobile; wifi ;x", &set, bad,
                        sizeof(bad)) == -1);
    CHECK_STR(bad, "wifi");
    CHECK(rcl_set_parse(rcl_network_names, RCL_NETWORK_COUNT, "Mobile", &set, bad, sizeof(bad)) ==
          -1);
    CHECK_STR(bad, "Mobile");
    CHECK(rcl_set_parse(rcl_network_names, RCL_NETWORK_COUNT, "mobile cable_tv", &set, bad,
                        sizeof(bad)) == -1);
    CHECK(rcl_set_parse(rcl_network_names, RCL_NETWORK_COUNT, "mobile,cable_tv", &set, bad,
                        sizeof(bad)) == -1);
    CHECK(rcl_set_parse(rcl_network_names, RCL_NETWORK_COUNT, "averyveryverylongword", &set, bad,
                        sizeof(bad)) == -1);
    CHECK(strlen(bad) == sizeof(bad) - 1); /* truncated, terminated */
}

static void test_set_format(void)
{
    char out[128];

    CHECK(rcl_set_format(rcl_network_names, RCL_NETWORK_COUNT, 0, out, sizeof(out)) == 0);
    CHECK_STR(out, "");
    CHECK(rcl_set_format(rcl_network_names, RCL_NETWORK_COUNT, NET(BROADBAND) | NET(CABLE_TV), out,
                         sizeof(out)) == strlen("broadband;cable_tv"));
    CHECK_STR(out, "broadband;cable_tv");
    rcl_set_format(rcl_group_names, RCL_GROUP_COUNT, 0x7F, out, sizeof(out));
    CHECK_STR(out, "poverty_card;hardship;frontline_family;left_behind;migrant;disabled;other");
    rcl_set_format(rcl_network_names, RCL_NETWORK_COUNT, NET(BROADBAND) | NET(MOBILE), out, 8);
    CHECK(strlen(out) == 7); /* truncated, terminated */

    /* Round trip of every subset. */
    for (uint32_t set = 0; set < 16; set++) {
        uint32_t back = 99;
        rcl_set_format(rcl_device_names, RCL_DEVICE_COUNT, set, out, sizeof(out));
        CHECK(rcl_set_parse(rcl_device_names, RCL_DEVICE_COUNT, out, &back, NULL, 0) == 0);
        CHECK(back == set);
    }
}

static void test_measures(void)
{
    struct rcl_measure m[RCL_MEASURES_MAX];
    size_t n = 99;
    char bad[32], out[256];

    CHECK(rcl_measures_parse("", m, &n, bad, sizeof(bad)) == 0);
    CHECK(n == 0);
    CHECK(rcl_measures_parse("tv_at_village; loaned_device:planned ;data_subsidy:ended;"
                             "one_to_one:in_place",
                             m, &n, bad, sizeof(bad)) == 0);
    CHECK(n == 4);
    CHECK(m[0].kind == RCL_MEASURE_TV_AT_VILLAGE && m[0].status == RCL_STATUS_IN_PLACE);
    CHECK(m[1].kind == RCL_MEASURE_LOANED_DEVICE && m[1].status == RCL_STATUS_PLANNED);
    CHECK(m[2].kind == RCL_MEASURE_DATA_SUBSIDY && m[2].status == RCL_STATUS_ENDED);
    CHECK(m[3].kind == RCL_MEASURE_ONE_TO_ONE && m[3].status == RCL_STATUS_IN_PLACE);

    rcl_measures_format(m, n, out, sizeof(out));
    CHECK_STR(out, "tv_at_village;loaned_device:planned;data_subsidy:ended;one_to_one");
    {
        struct rcl_measure m2[RCL_MEASURES_MAX];
        size_t n2 = 0;
        CHECK(rcl_measures_parse(out, m2, &n2, bad, sizeof(bad)) == 0);
        CHECK(n2 == n && memcmp(m, m2, n * sizeof(m[0])) == 0);
    }

    CHECK(rcl_measures_parse("funding;cash", m, &n, bad, sizeof(bad)) == -1);
    CHECK_STR(bad, "cash");
    CHECK(rcl_measures_parse("funding:done", m, &n, bad, sizeof(bad)) == -1);
    CHECK_STR(bad, "funding:done");
    CHECK(rcl_measures_parse("funding:", m, &n, bad, sizeof(bad)) == -1);
    CHECK(rcl_measures_parse(":planned", m, &n, bad, sizeof(bad)) == -1);
    CHECK(rcl_measures_parse("funding:planned:ended", m, &n, bad, sizeof(bad)) == -1);

    /* RCL_MEASURES_MAX items fit; one more is refused. */
    {
        char cell[512] = "";
        for (int i = 0; i < RCL_MEASURES_MAX; i++)
            strcat(cell, "funding;");
        CHECK(rcl_measures_parse(cell, m, &n, bad, sizeof(bad)) == 0);
        CHECK(n == RCL_MEASURES_MAX);
        strcat(cell, "one_to_one");
        CHECK(rcl_measures_parse(cell, m, &n, bad, sizeof(bad)) == -1);
        CHECK_STR(bad, "one_to_one");
    }
}

static void test_utf8(void)
{
    CHECK(rcl_utf8_valid("", 0));
    CHECK(rcl_utf8_valid("plain ascii", 11));
    CHECK(rcl_utf8_valid("tab\there", 8));
    CHECK(rcl_utf8_valid("\xE5\xBC\xA0\xE4\xB8\x89", 6)); /* 张三 */
    CHECK(rcl_utf8_valid("\xC2\xA9", 2));                 /* U+00A9 */
    CHECK(rcl_utf8_valid("\xF0\x9F\x98\x80", 4));         /* U+1F600 */
    CHECK(rcl_utf8_valid("\xF4\x8F\xBF\xBF", 4));         /* U+10FFFF */
    CHECK(rcl_utf8_valid("\xED\x9F\xBF", 3));             /* U+D7FF */
    CHECK(rcl_utf8_valid("\xEE\x80\x80", 3));             /* U+E000 */

    CHECK(!rcl_utf8_valid("a\nb", 3));
    CHECK(!rcl_utf8_valid("a\rb", 3));
    CHECK(!rcl_utf8_valid("a\0b", 3));
    CHECK(!rcl_utf8_valid("\x1F", 1));
    CHECK(!rcl_utf8_valid("\x7F", 1));
    CHECK(!rcl_utf8_valid("\x80", 1));             /* lone continuation */
    CHECK(!rcl_utf8_valid("\xC0\xAF", 2));         /* overlong '/' */
    CHECK(!rcl_utf8_valid("\xC1\xBF", 2));         /* overlong */
    CHECK(!rcl_utf8_valid("\xE0\x80\xAF", 3));     /* overlong */
    CHECK(!rcl_utf8_valid("\xE0\x9F\xBF", 3));     /* overlong U+07FF */
    CHECK(!rcl_utf8_valid("\xF0\x8F\xBF\xBF", 4)); /* overlong U+FFFF */
    CHECK(!rcl_utf8_valid("\xED\xA0\x80", 3));     /* U+D800 surrogate */
    CHECK(!rcl_utf8_valid("\xED\xBF\xBF", 3));     /* U+DFFF surrogate */
    CHECK(!rcl_utf8_valid("\xF4\x90\x80\x80", 4)); /* U+110000 */
    CHECK(!rcl_utf8_valid("\xF5\x80\x80\x80", 4));
    CHECK(!rcl_utf8_valid("\xFF", 1));
    CHECK(!rcl_utf8_valid("\xE5\xBC", 2));         /* truncated */
    CHECK(!rcl_utf8_valid("\xE5\xBC\xA0\xE4", 4)); /* truncated at the end */
    CHECK(!rcl_utf8_valid("\xE5\x41\xA0", 3));     /* bad continuation */
}

int main(void)
{
    RCL_TEST_RUN(test_name_tables);
    RCL_TEST_RUN(test_condition);
    RCL_TEST_RUN(test_blind_spot);
    RCL_TEST_RUN(test_urgency);
    RCL_TEST_RUN(test_totals);
    RCL_TEST_RUN(test_set_parse);
    RCL_TEST_RUN(test_set_format);
    RCL_TEST_RUN(test_measures);
    RCL_TEST_RUN(test_utf8);
    return RCL_TEST_RESULT();
}

/*
 * test_sheet.c - the sheet's words: English headers regardless of case,
 * blanks, '_' and '-'; Chinese headers and their aliases; Chinese cell
 * values and separators rewritten into the model's words; grades as
 * Chinese words; the formula guard and its undoing; and every word export
 * writes read back as the same value.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_model.h"
#include "rcl_test.h"
#include "sheet.h"

static int find(const char *header)
{
    return rcl_sheet_column_find(header, strlen(header));
}

static void test_english_headers(void)
{
    CHECK(find("student_id") == RCL_COL_STUDENT_ID);
    CHECK(find("Student ID") == RCL_COL_STUDENT_ID);
    CHECK(find("STUDENT-ID") == RCL_COL_STUDENT_ID);
    CHECK(find("  name ") == RCL_COL_NAME);
    CHECK(find("Participation") == RCL_COL_PARTICIPATION);
    CHECK(find("feedback") == RCL_COL_FEEDBACK);
    CHECK(find("phone") == -1);
    CHECK(find("") == -1);
    CHECK(find("_") == -1);
    CHECK(find("names") == -1);
    CHECK(find("nam") == -1);
}

static void test_chinese_headers(void)
{
    static const struct {
        const char *header;
        int column;
    } cases[] = {
        {"学籍号", RCL_COL_STUDENT_ID},
        {"全国学籍号", RCL_COL_STUDENT_ID},
        {"姓名", RCL_COL_NAME},
        {"年级", RCL_COL_GRADE},
        {"班级", RCL_COL_CLASS},
        {"家庭网络", RCL_COL_NETWORK},
        {"网络", RCL_COL_NETWORK},
        {"学习终端", RCL_COL_DEVICES},
        {"设备", RCL_COL_DEVICES},
        {"终端", RCL_COL_DEVICES},
        {"特殊群体", RCL_COL_GROUPS},
        {"群体", RCL_COL_GROUPS},
        {"帮扶措施", RCL_COL_ASSISTANCE},
        {"帮扶", RCL_COL_ASSISTANCE},
        {"参与情况", RCL_COL_PARTICIPATION},
        {"参与", RCL_COL_PARTICIPATION},
        {"学习平台", RCL_COL_PLATFORM},
        {"平台", RCL_COL_PLATFORM},
        {"家长反馈", RCL_COL_FEEDBACK},
        {"反馈", RCL_COL_FEEDBACK},
        {"\xE3\x80\x80姓 名 ", RCL_COL_NAME}, /* full-width and ASCII blanks around and inside */
        {"*学籍号", RCL_COL_STUDENT_ID},      /* marked as required */
        {"姓名＊", RCL_COL_NAME},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = find(cases[i].header);
        if (got != cases[i].column)
            fprintf(stderr, "header '%s': column %d, expected %d\n", cases[i].header, got,
                    cases[i].column);
        CHECK(got == cases[i].column);
    }
    CHECK(find("学号") == -1);
    CHECK(find("姓") == -1);
    /* Every column's written name is found again, in both languages. */
    for (int c = 0; c < RCL_COL_COUNT; c++) {
        CHECK(find(rcl_sheet_column_name(c, RCL_SHEET_EN)) == c);
        CHECK(find(rcl_sheet_column_name(c, RCL_SHEET_ZH)) == c);
    }
}

static const char *normalized(enum rcl_sheet_list kind, const char *cell, char *out, size_t outlen)
{
    if (rcl_sheet_list_normalize(kind, cell, strlen(cell), out, outlen) != 0)
        return "(too long)";
    return out;
}

static void test_list_values(void)
{
    char out[256];

    CHECK_STR(normalized(RCL_LIST_NETWORK, "宽带；移动网络、有线电视", out, sizeof(out)),
              "broadband;mobile;cable_tv");
    CHECK_STR(normalized(RCL_LIST_NETWORK, "Broadband; Cable TV", out, sizeof(out)),
              "broadband;cable_tv");
    CHECK_STR(normalized(RCL_LIST_DEVICES, "电脑，平板、手机;电视", out, sizeof(out)),
              "computer;tablet;smartphone;tv");
    CHECK_STR(normalized(RCL_LIST_GROUPS,
                         "建档立卡、留守、随迁、残疾、困难、一线医务人员子女、其他", out,
                         sizeof(out)),
              "poverty_card;left_behind;migrant;disabled;hardship;frontline_family;other");
    CHECK_STR(normalized(RCL_LIST_GROUPS, "", out, sizeof(out)), "");
    CHECK_STR(normalized(RCL_LIST_GROUPS, " ; 、\xE3\x80\x80", out, sizeof(out)), "");
    /* Unknown words are kept as they are, for the model's parser to name. */
    CHECK_STR(normalized(RCL_LIST_NETWORK, "宽带、卫星", out, sizeof(out)), "broadband;卫星");
    CHECK_STR(normalized(RCL_LIST_MEASURES, "流量补贴、一对一帮扶：计划; funding : ended", out,
                         sizeof(out)),
              "data_subsidy;one_to_one:planned;funding:ended");
    CHECK_STR(normalized(RCL_LIST_MEASURES, "借用设备:已结束、资助：已落实", out, sizeof(out)),
              "loaned_device:ended;funding:in_place");
    CHECK_STR(normalized(RCL_LIST_MEASURES, "借用设备：明天", out, sizeof(out)),
              "loaned_device:明天");
    CHECK(rcl_sheet_list_normalize(RCL_LIST_NETWORK, "宽带", 6, out, 5) == -1);

    /* The rewritten cell is what the model reads. */
    uint32_t set = 0;
    char bad[32];
    CHECK(rcl_set_parse(rcl_device_names, RCL_DEVICE_COUNT,
                        normalized(RCL_LIST_DEVICES, "手机、电视", out, sizeof(out)), &set, bad,
                        sizeof(bad)) == 0);
    CHECK(set == (RCL_BIT(RCL_DEV_SMARTPHONE) | RCL_BIT(RCL_DEV_TV)));

    rcl_sheet_list_accepted(RCL_LIST_NETWORK, RCL_SHEET_EN, out, sizeof(out));
    CHECK_STR(out, "broadband (宽带), mobile (移动网络), cable_tv (有线电视)");
    rcl_sheet_list_accepted(RCL_LIST_NETWORK, RCL_SHEET_ZH, out, sizeof(out));
    CHECK_STR(out, "宽带、移动网络、有线电视");
}

static void test_participation_and_grades(void)
{
    CHECK(rcl_sheet_participation_find("正常", strlen("正常")) == RCL_PART_ACTIVE);
    CHECK(rcl_sheet_participation_find("不规律", strlen("不规律")) == RCL_PART_IRREGULAR);
    CHECK(rcl_sheet_participation_find("缺席", strlen("缺席")) == RCL_PART_ABSENT);
    CHECK(rcl_sheet_participation_find("申请不参加", strlen("申请不参加")) == RCL_PART_OPTED_OUT);
    CHECK(rcl_sheet_participation_find("Opted Out", 9) == RCL_PART_OPTED_OUT);
    CHECK(rcl_sheet_participation_find("sometimes", 9) == -1);

    static const char *const words[12] = {"一年级", "二年级", "三年级", "四年级",
                                          "五年级", "六年级", "初一",   "八年级",
                                          "初三",   "高一",   "高二",   "高三"};
    for (unsigned g = 1; g <= 12; g++) {
        char out[32];
        CHECK(rcl_sheet_grade_word(words[g - 1], strlen(words[g - 1])) == g);
        rcl_sheet_grade_format(g, RCL_SHEET_ZH, out, sizeof(out));
        CHECK(rcl_sheet_grade_word(out, strlen(out)) == g);
        rcl_sheet_grade_format(g, RCL_SHEET_EN, out, sizeof(out));
        CHECK((unsigned)atoi(out) == g);
    }
    CHECK(rcl_sheet_grade_word("七年级", strlen("七年级")) == 7);
    CHECK(rcl_sheet_grade_word("十三年级", strlen("十三年级")) == 0);
    CHECK(rcl_sheet_grade_word("3年级", strlen("3年级")) == 3);
    CHECK(rcl_sheet_grade_word("12年级", strlen("12年级")) == 12);
    CHECK(rcl_sheet_grade_word("13年级", strlen("13年级")) == 0);
    CHECK(rcl_sheet_grade_word("0年级", strlen("0年级")) == 0);
    CHECK(rcl_sheet_grade_word("年级", strlen("年级")) == 0);
    CHECK(rcl_sheet_grade_word("x3年级", strlen("x3年级")) == 0);
    CHECK(rcl_sheet_grade_word("3", 1) == 0);
}

/* Every set, measure and participation export writes comes back the same through import's words. */
static void test_formatted_words_read_back(void)
{
    char text[512], norm[512], bad[64];

    for (int lang = RCL_SHEET_EN; lang <= RCL_SHEET_ZH; lang++) {
        for (uint32_t set = 0; set < RCL_BIT(RCL_GROUP_COUNT); set++) {
            uint32_t got = 0;
            rcl_sheet_set_format(RCL_LIST_GROUPS, set, lang, text, sizeof(text));
            CHECK(rcl_sheet_list_normalize(RCL_LIST_GROUPS, text, strlen(text), norm,
                                           sizeof(norm)) == 0);
            CHECK(rcl_set_parse(rcl_group_names, RCL_GROUP_COUNT, norm, &got, bad, sizeof(bad)) ==
                      0 &&
                  got == set);
        }
        /* Every kind twice, with each status somewhere: the most a student may have. */
        struct rcl_measure m[RCL_MEASURES_MAX];
        size_t n = 0;
        for (int k = 0; k < RCL_MEASURE_KIND_COUNT; k++) {
            for (int st = 0; st < 2; st++)
                m[n++] = (struct rcl_measure){.kind = (uint8_t)k,
                                              .status = (uint8_t)((k + st) % RCL_STATUS_COUNT)};
        }
        struct rcl_measure back[RCL_MEASURES_MAX];
        size_t n_back = 0;
        rcl_sheet_measures_format(m, n, lang, text, sizeof(text));
        CHECK(rcl_sheet_list_normalize(RCL_LIST_MEASURES, text, strlen(text), norm, sizeof(norm)) ==
              0);
        CHECK(rcl_measures_parse(norm, back, &n_back, bad, sizeof(bad)) == 0);
        CHECK(n_back == n && memcmp(back, m, n * sizeof(m[0])) == 0);
        for (unsigned p = 0; p < RCL_PARTICIPATION_COUNT; p++) {
            const char *w = rcl_sheet_participation_name(p, lang);
            CHECK(rcl_sheet_participation_find(w, strlen(w)) == (int)p);
        }
    }
    rcl_sheet_set_format(RCL_LIST_NETWORK, RCL_BIT(RCL_NET_BROADBAND) | RCL_BIT(RCL_NET_CABLE_TV),
                         RCL_SHEET_ZH, text, sizeof(text));
    CHECK_STR(text, "宽带、有线电视");
}

static void test_formula_guard(void)
{
    static const char *const guarded[] = {"=1+2", "+86 123", "-5", "@SUM(A1)", "\tx", "'quoted"};
    static const char *const plain[] = {"张三", "a=b", "", "3-1班"};

    for (size_t i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++) {
        CHECK(rcl_sheet_cell_needs_guard(guarded[i]));
        /* What export writes (an apostrophe, then the value) import reads back as the value. */
        char cell[64];
        snprintf(cell, sizeof(cell), "'%s", guarded[i]);
        const char *s = cell;
        size_t len = strlen(cell);
        rcl_sheet_cell_unguard(&s, &len);
        CHECK(len == strlen(guarded[i]) && memcmp(s, guarded[i], len) == 0);
    }
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        CHECK(!rcl_sheet_cell_needs_guard(plain[i]));
        const char *s = plain[i];
        size_t len = strlen(s);
        rcl_sheet_cell_unguard(&s, &len);
        CHECK(s == plain[i] && len == strlen(plain[i]));
    }
    /* An apostrophe before anything else is the user's own text. */
    const char *s = "'t is";
    size_t len = strlen(s);
    rcl_sheet_cell_unguard(&s, &len);
    CHECK(len == 5);
}

/* The opt-out status and measure words export writes are read back; empty is none. */
static void test_optout_and_measure_words(void)
{
    for (int i = 0; i < RCL_OPTOUT_STATUS_COUNT; i++) {
        const char *en = rcl_sheet_optout_status_name((unsigned)i, RCL_SHEET_EN);
        const char *zh = rcl_sheet_optout_status_name((unsigned)i, RCL_SHEET_ZH);

        CHECK_STR(en, rcl_optout_status_names[i]);
        CHECK(rcl_sheet_optout_status_find(en, strlen(en)) == i);
        CHECK(rcl_sheet_optout_status_find(zh, strlen(zh)) == i);
    }
    CHECK(rcl_sheet_optout_status_find("", 0) == RCL_OPTOUT_NONE);
    CHECK(rcl_sheet_optout_status_find(" Approved ", 10) == RCL_OPTOUT_APPROVED);
    CHECK(rcl_sheet_optout_status_find("withdrawn", 9) == -1);
    CHECK_STR(rcl_sheet_optout_status_name(RCL_OPTOUT_APPROVED, RCL_SHEET_ZH), "已批准");
    CHECK_STR(rcl_sheet_optout_status_name(RCL_OPTOUT_STATUS_COUNT, RCL_SHEET_ZH), "");
    CHECK_STR(rcl_sheet_measure_kind_name(RCL_MEASURE_ONE_TO_ONE, RCL_SHEET_ZH), "一对一帮扶");
    CHECK_STR(rcl_sheet_measure_kind_name(RCL_MEASURE_ONE_TO_ONE, RCL_SHEET_EN), "one_to_one");
    CHECK_STR(rcl_sheet_measure_status_name(RCL_STATUS_IN_PLACE, RCL_SHEET_ZH), "已落实");
    CHECK_STR(rcl_sheet_measure_status_name(RCL_STATUS_PLANNED, RCL_SHEET_EN), "planned");
    CHECK(find("helper_roles") == RCL_COL_HELPER_ROLES);
    CHECK(find("审批日期") == RCL_COL_OPTOUT_DECIDED);
    CHECK(RCL_COL_TEMPLATE_COUNT == RCL_COL_FEEDBACK + 1);
}

/* Sheets as people fill them: notes, full-width forms, synonyms, "none", extra columns. */
static void test_sheets_as_filled(void)
{
    char out[256];

    CHECK(find("姓名（必填）") == RCL_COL_NAME);
    CHECK(find("学籍号(必填)") == RCL_COL_STUDENT_ID);
    CHECK(find("*学籍号【19位】") == RCL_COL_STUDENT_ID);
    CHECK(find("学习终端[可多选]（必填）") == RCL_COL_DEVICES);
    CHECK(find("姓名\n（必填）") == RCL_COL_NAME);  /* Alt+Enter in the header cell */
    CHECK(find("所在村（社区）") == RCL_COL_PLACE); /* brackets that are the name's own */
    CHECK(find("ｎａｍｅ") == RCL_COL_NAME);
    CHECK(find("联系电话") == RCL_COL_GUARDIAN_CONTACT);
    CHECK(find("网络情况") == RCL_COL_NETWORK);
    CHECK(find("（必填）") == -1);
    CHECK(find("序号") == RCL_SHEET_COLUMN_IGNORED);
    CHECK(find("性别（男/女）") == RCL_SHEET_COLUMN_IGNORED);
    CHECK(find("备注") == RCL_SHEET_COLUMN_IGNORED);
    CHECK(find("Remarks") == RCL_SHEET_COLUMN_IGNORED);
    CHECK(find("卫星") == -1);

    CHECK_STR(normalized(RCL_LIST_NETWORK, "4G、５Ｇ", out, sizeof(out)), "mobile;mobile");
    CHECK_STR(normalized(RCL_LIST_NETWORK, "无", out, sizeof(out)), "");
    CHECK_STR(normalized(RCL_LIST_DEVICES, "没有", out, sizeof(out)), "");
    CHECK_STR(normalized(RCL_LIST_DEVICES, "暂无；手机", out, sizeof(out)), "smartphone");
    CHECK_STR(normalized(RCL_LIST_DEVICES, "笔记本电脑,台式机、iPad", out, sizeof(out)),
              "computer;computer;tablet");
    CHECK_STR(normalized(RCL_LIST_GROUPS, "建档立卡贫困户、低保户", out, sizeof(out)),
              "poverty_card;hardship");
    CHECK_STR(normalized(RCL_LIST_MEASURES, "无", out, sizeof(out)), "");

    CHECK(rcl_sheet_grade_word("初1", strlen("初1")) == 7);
    CHECK(rcl_sheet_grade_word("初１", strlen("初１")) == 7);
    CHECK(rcl_sheet_grade_word("高3", strlen("高3")) == 12);
    CHECK(rcl_sheet_grade_word("３年级", strlen("３年级")) == 3);
    CHECK(rcl_sheet_grade_word("小学五年级", strlen("小学五年级")) == 5);

    CHECK(rcl_sheet_fold("Ｇ１２３ｘ\xE3\x80\x80－", strlen("Ｇ１２３ｘ\xE3\x80\x80－"), out,
                         sizeof(out)) == 7);
    CHECK_STR(out, "G123x -");
}

static void test_class_names(void)
{
    static const struct {
        const char *cell, *want;
        unsigned grade;
        bool in_stage;
    } cases[] = {
        {"1班", "1班", 0, false},         {"01班", "1班", 0, false},
        {"1", "1班", 0, false},           {"１２", "12班", 0, false},
        {"一班", "1班", 0, false},        {"十二班", "12班", 0, false},
        {"二十一班", "21班", 0, false},   {"(1)班", "1班", 0, false},
        {"三（1）班", "1班", 3, true},    {"3(2)班", "2班", 3, true},
        {"３（２）", "2班", 3, true},     {"三年级1班", "1班", 3, false},
        {"初一2班", "2班", 7, false},     {"初一（2）班", "2班", 7, false},
        {"高二3班", "3班", 11, false},    {"七年级(4)班", "4班", 7, false},
        {"火箭班", "火箭班", 0, false},   {"7(1)班, 东校区", "7(1)班, 东校区", 0, false},
        {"实验1班", "实验1班", 0, false}, {"三（1", "三（1", 0, false},
    };
    char out[64];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned grade = 99;
        bool in_stage = true;
        CHECK(rcl_sheet_class_normalize(cases[i].cell, strlen(cases[i].cell), out, sizeof(out),
                                        &grade, &in_stage) == 0);
        if (strcmp(out, cases[i].want) != 0 || grade != cases[i].grade ||
            in_stage != cases[i].in_stage)
            fprintf(stderr, "class '%s': '%s' grade %u%s, expected '%s' grade %u%s\n",
                    cases[i].cell, out, grade, in_stage ? " in stage" : "", cases[i].want,
                    cases[i].grade, cases[i].in_stage ? " in stage" : "");
        CHECK_STR(out, cases[i].want);
        CHECK(grade == cases[i].grade && in_stage == cases[i].in_stage);
    }
    unsigned grade;
    bool in_stage;
    CHECK(rcl_sheet_class_normalize("火箭班", strlen("火箭班"), out, 4, &grade, &in_stage) == -1);
}

int main(void)
{
    RCL_TEST_RUN(test_english_headers);
    RCL_TEST_RUN(test_chinese_headers);
    RCL_TEST_RUN(test_list_values);
    RCL_TEST_RUN(test_participation_and_grades);
    RCL_TEST_RUN(test_formatted_words_read_back);
    RCL_TEST_RUN(test_formula_guard);
    RCL_TEST_RUN(test_optout_and_measure_words);
    RCL_TEST_RUN(test_sheets_as_filled);
    RCL_TEST_RUN(test_class_names);
    return RCL_TEST_RESULT();
}

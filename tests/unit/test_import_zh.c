/*
 * test_import_zh.c - the import's reasons in Chinese (import_zh.c), the
 * editing commands' messages (edit_zh.c) and the usage errors (usage_zh.c): each
 * Chinese wording takes the same arguments as its English format (the same
 * conversions, in the same order), so filling it cannot misread them; and
 * the wordings are found for what import.c writes.
 */
#include <stdio.h>
#include <string.h>

#include "edit_internal.h"
#include "import.h"
#include "rcl_model.h"
#include "reason.h"
#include "school_cli.h"
#include "sheet.h"
#include "rcl_test.h"

/* The conversions of fmt, each as its length modifier and letter ("zu", "s", "ld"), joined by
 * blanks; precision and width are left out ("%.0s" is an "s"). */
static void conversions(const char *fmt, char *out, size_t outlen)
{
    size_t n = 0;

    out[0] = '\0';
    for (const char *p = fmt; *p != '\0'; p++) {
        if (*p != '%')
            continue;
        if (*++p == '%')
            continue;
        for (; *p != '\0' && strchr("-+ #0123456789.*", *p) != NULL; p++) {
            if (*p == '*' && n + 3 < outlen) { /* a '*' takes an int of its own */
                out[n++] = '*';
                out[n++] = ' ';
            }
        }
        for (; *p != '\0' && strchr("hljzt", *p) != NULL && n + 3 < outlen; p++)
            out[n++] = *p;
        if (*p == '\0' || n + 3 >= outlen)
            break;
        out[n++] = *p;
        out[n++] = ' ';
        out[n] = '\0';
    }
    out[n] = '\0';
}

static void same_arguments(const struct rcl_import_reason_zh *t, size_t count)
{
    char en[64], zh[64];

    for (size_t i = 0; i < count; i++) {
        conversions(t[i].en, en, sizeof(en));
        conversions(t[i].zh, zh, sizeof(zh));
        if (strcmp(en, zh) != 0)
            fprintf(stderr, "'%s' takes '%s' but its Chinese '%s' takes '%s'\n", t[i].en, en,
                    t[i].zh, zh);
        CHECK(strcmp(en, zh) == 0);
    }
}

static void test_same_arguments(void)
{
    char en[64];

    CHECK(rcl_import_reasons_zh_count > 30);
    same_arguments(rcl_import_reasons_zh, rcl_import_reasons_zh_count);
    CHECK(rcl_edit_reasons_zh_count > 30);
    same_arguments(rcl_edit_reasons_zh, rcl_edit_reasons_zh_count);
    CHECK(rcl_usage_reasons_zh_count > 20);
    same_arguments(rcl_usage_reasons_zh, rcl_usage_reasons_zh_count);
    conversions("%.0s %zu %ld %u %.*s", en, sizeof(en));
    CHECK(strcmp(en, "s zu ld u * s ") == 0);
}

static void test_found(void)
{
    CHECK(strcmp(rcl_import_reason_zh("grade '%s' is out of range 1-12"),
                 "年级“%s”超出 1-12 的范围") == 0);
    CHECK(rcl_import_reason_zh("no such reason") == NULL);
    /* Usage errors are found by their format, pieces of a literal joined. */
    CHECK(strcmp(rcl_usage_reason_zh("option --%s needs a value"), "选项 --%s 后面要跟一个值") ==
          0);
    CHECK(strcmp(rcl_usage_reason_zh("upstream key '%s' is not a public key: expected 64 hex "
                                     "characters, as the upstream's 'pubkey' command prints them"),
                 "县里的公钥“%s”不对：应是 64 个十六进制字符，即县里 pubkey 命令打印的那一行") ==
          0);
    CHECK(rcl_usage_reason_zh("no such reason") == NULL);
    /* The edit says the import's words where it says the same. */
    CHECK(strcmp(rcl_edit_reason_zh("%s is empty"), "%s 为空") == 0);
    CHECK(strcmp(rcl_edit_label_zh("guardian-contact"), "监护人电话") == 0);
}

/* A reason in both languages: codes of ours said as their Chinese words, by pointer, never
 * the same letters a clerk typed. */
static void test_reasons(void)
{
    struct rcl_reason r;
    char typed[] = "tv_at_village";

    rcl_reason_set(&r, "measure %zu (%s) ends %s, before it starts (%s)", (size_t)2,
                   rcl_measure_kind_names[RCL_MEASURE_TV_AT_VILLAGE], "2020-03-01", "2020-03-02");
    CHECK_STR(r.en, "measure 2 (tv_at_village) ends 2020-03-01, before it starts (2020-03-02)");
    CHECK_STR(r.zh, "第 2 项措施（村集中收看）的结束日期 2020-03-01 早于开始日期（2020-03-02）");
    rcl_reason_set(&r, "grade '%s' is out of range 1-12", typed);
    CHECK_STR(r.zh, "年级“tv_at_village”超出 1-12 的范围");
    rcl_reason_set(&r, "%s is empty", rcl_sheet_column_name(RCL_COL_NETWORK, RCL_SHEET_EN));
    CHECK_STR(r.en, "network is empty");
    CHECK_STR(r.zh, "家庭网络 为空");
    rcl_reason_set(&r, "byte 0x%02X at offset %llu", 0x81u, 6ull);
    CHECK_STR(r.zh, "字节 81（十六进制，第 6 字节处）");
    /* A format without a Chinese wording is said in English in both. */
    rcl_reason_set(&r, "no wording %d%%", 5);
    CHECK_STR(r.zh, "no wording 5%");
}

int main(void)
{
    RCL_TEST_RUN(test_same_arguments);
    RCL_TEST_RUN(test_found);
    RCL_TEST_RUN(test_reasons);
    return RCL_TEST_RESULT();
}

/*
 * test_import_zh.c - the import's reasons in Chinese (import_zh.c), and the
 * editing commands' messages (edit_zh.c): each
 * Chinese wording takes the same arguments as its English format (the same
 * conversions, in the same order), so filling it cannot misread them; and
 * the wordings are found for what import.c writes.
 */
#include <stdio.h>
#include <string.h>

#include "edit_internal.h"
#include "import.h"
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
    conversions("%.0s %zu %ld %u %.*s", en, sizeof(en));
    CHECK(strcmp(en, "s zu ld u * s ") == 0);
}

static void test_found(void)
{
    CHECK(strcmp(rcl_import_reason_zh("grade '%s' is out of range 1-12"),
                 "年级“%s”超出 1-12 的范围") == 0);
    CHECK(rcl_import_reason_zh("no such reason") == NULL);
    /* The edit says the import's words where it says the same. */
    CHECK(strcmp(rcl_edit_reason_zh("%s is empty"), "%s 为空") == 0);
    CHECK(strcmp(rcl_edit_label_zh("guardian-contact"), "监护人电话") == 0);
}

int main(void)
{
    RCL_TEST_RUN(test_same_arguments);
    RCL_TEST_RUN(test_found);
    return RCL_TEST_RESULT();
}

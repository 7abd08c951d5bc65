/*
 * test_import_zh.c - the import's reasons in Chinese (import_zh.c): each
 * Chinese wording takes the same arguments as its English format (the same
 * conversions, in the same order), so filling it cannot misread them; and
 * the wordings are found for what import.c writes.
 */
#include <stdio.h>
#include <string.h>

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
        for (; *p != '\0' && strchr("-+ #0123456789.*", *p) != NULL; p++)
            CHECK(*p != '*'); /* a '*' would take an argument of its own */
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

static void test_same_arguments(void)
{
    char en[64], zh[64];

    CHECK(rcl_import_reasons_zh_count > 30);
    for (size_t i = 0; i < rcl_import_reasons_zh_count; i++) {
        conversions(rcl_import_reasons_zh[i].en, en, sizeof(en));
        conversions(rcl_import_reasons_zh[i].zh, zh, sizeof(zh));
        if (strcmp(en, zh) != 0)
            fprintf(stderr, "'%s' takes '%s' but its Chinese '%s' takes '%s'\n",
                    rcl_import_reasons_zh[i].en, en, rcl_import_reasons_zh[i].zh, zh);
        CHECK(strcmp(en, zh) == 0);
    }
    conversions("%.0s %zu %ld %u", en, sizeof(en));
    CHECK(strcmp(en, "s zu ld u ") == 0);
}

static void test_found(void)
{
    CHECK(strcmp(rcl_import_reason_zh("grade '%s' is out of range 1-12"),
                 "年级“%s”超出 1-12 的范围") == 0);
    CHECK(rcl_import_reason_zh("no such reason") == NULL);
}

int main(void)
{
    RCL_TEST_RUN(test_same_arguments);
    RCL_TEST_RUN(test_found);
    return RCL_TEST_RESULT();
}

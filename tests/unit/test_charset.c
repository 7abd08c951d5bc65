/*
 * test_charset.c - what sheets are saved in: UTF-8 with or without a byte
 * order mark is read as it is; GB18030 (built here with iconv from UTF-8
 * text) is detected and converted back to the very same text, also when a
 * character straddles the reader's chunks; the CSV reader then sees the
 * fields and CRLF line numbers of the original; bytes that are neither, a
 * cut-off character, damaged UTF-8 (never taken for GB18030) and UTF-16 are
 * refused naming the line and offset; and
 * writing GB18030 reads back unchanged.
 */
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "charset.h"
#include "csv.h"
#include "rcl_test.h"

/* text (UTF-8) in GB18030, built with glibc's iconv independently of charset.c. malloc'd. */
static char *to_gb18030(const char *text, size_t *outlen)
{
    size_t inleft = strlen(text), outsize = inleft * 2 + 16, outleft = outsize;
    char *out = malloc(outsize);
    char *in = (char *)text, *op = out;
    iconv_t cd = iconv_open("GB18030", "UTF-8");

    if (cd == (iconv_t)-1 || out == NULL) {
        free(out);
        return NULL;
    }
    if (iconv(cd, &in, &inleft, &op, &outleft) == (size_t)-1) {
        free(out);
        out = NULL;
    }
    iconv_close(cd);
    *outlen = outsize - outleft;
    return out;
}

/* All of f from its current position, malloc'd and NUL-terminated; its length in *len. */
static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap + 1);
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(buf, cap * 2 + 1);
            if (bigger == NULL) {
                free(buf);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    if (buf != NULL)
        buf[n] = '\0';
    *len = n;
    return buf;
}

struct opened {
    FILE *in;
    FILE *text;
    enum rcl_charset found;
    unsigned long line;
    struct rcl_reason err;
};

static void open_bytes(struct opened *o, const char *bytes, size_t len)
{
    memset(o, 0, sizeof(*o));
    o->in = fmemopen((void *)bytes, len, "rb");
    if (o->in != NULL)
        o->text = rcl_charset_to_utf8(o->in, &o->found, &o->line, &o->err);
}

static void close_opened(struct opened *o)
{
    if (o->text != NULL && o->text != o->in)
        fclose(o->text);
    if (o->in != NULL)
        fclose(o->in);
}

static void test_utf8_is_read_as_it_is(void)
{
    static const char plain[] = "student_id,name\r\nG1,张三\r\n";
    static const char bom[] = "\xEF\xBB\xBF学籍号,姓名\nG1,李四\n";
    const char *cases[] = {plain, bom, "ascii only\n", ""};

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct opened o;
        size_t len;
        open_bytes(&o, cases[i], strlen(cases[i]));
        CHECK(o.text != NULL && o.text == o.in);
        CHECK(o.found == RCL_CHARSET_UTF8);
        if (o.text != NULL) {
            char *back = slurp(o.text, &len);
            CHECK(back != NULL && strcmp(back, cases[i]) == 0); /* rewound, untouched */
            free(back);
        }
        close_opened(&o);
    }
}

static void test_gb18030_is_converted(void)
{
    static const char text[] = "学籍号,姓名,年级,班级,家庭网络\r\n"
                               "G1,张三,初一,\"7(1)班, 东校区\",宽带；移动网络\r\n"
                               "G2,\"李\r\n四\",高三,12(2)班,有线电视\r\n";
    size_t gblen = 0, len = 0;
    char *gb = to_gb18030(text, &gblen);
    struct opened o;

    CHECK(gb != NULL && gblen > 0 && memcmp(gb, text, gblen < 10 ? gblen : 10) != 0);
    if (gb == NULL)
        return;
    open_bytes(&o, gb, gblen);
    CHECK(o.text != NULL && o.text != o.in);
    CHECK(o.found == RCL_CHARSET_GB18030);
    if (o.text != NULL) {
        char *back = slurp(o.text, &len);
        CHECK(back != NULL && len == strlen(text) && memcmp(back, text, len) == 0);
        free(back);

        /* The CSV reader sees the original's fields and lines. */
        rewind(o.text);
        struct rcl_csv_reader *r = rcl_csv_reader_new(o.text);
        CHECK(r != NULL);
        if (r != NULL) {
            CHECK(rcl_csv_reader_next(r) == RCL_CSV_RECORD);
            CHECK_STR(rcl_csv_reader_get(r, 0, NULL), "学籍号");
            CHECK(rcl_csv_reader_next(r) == RCL_CSV_RECORD);
            CHECK(rcl_csv_reader_line(r) == 2);
            CHECK_STR(rcl_csv_reader_get(r, 3, NULL), "7(1)班, 东校区");
            CHECK_STR(rcl_csv_reader_get(r, 4, NULL), "宽带；移动网络");
            CHECK(rcl_csv_reader_next(r) == RCL_CSV_RECORD);
            CHECK(rcl_csv_reader_line(r) == 3);
            CHECK_STR(rcl_csv_reader_get(r, 1, NULL), "李\r\n四");
            CHECK_STR(rcl_csv_reader_get(r, 2, NULL), "高三");
            CHECK(rcl_csv_reader_next(r) == RCL_CSV_END);
            rcl_csv_reader_destroy(&r);
        }
    }
    close_opened(&o);
    free(gb);
}

/* GB18030 whose bytes happen to form UTF-8 characters in part (here 60%) is still GB18030. */
static void test_gb18030_that_looks_like_utf8_in_part(void)
{
    static const char gb[] = "\xC2\xA1\xC2\xA1\xC2\xA1\xD5\xC5\xD5\xC5\n";
    struct opened o;
    size_t len = 0;

    open_bytes(&o, gb, sizeof(gb) - 1);
    CHECK(o.text != NULL && o.found == RCL_CHARSET_GB18030);
    if (o.text != NULL) {
        char *back = slurp(o.text, &len);
        CHECK(back != NULL && strcmp(back, "隆隆隆张张\n") == 0);
        free(back);
    }
    close_opened(&o);
}

/* Far more than one read chunk, with every offset for a two- and a four-byte character. */
static void test_gb18030_across_chunks(void)
{
    const size_t rows = 30000;
    char *text = malloc(rows * 40 + 1);
    size_t n = 0, gblen = 0, len = 0;

    if (text == NULL) {
        CHECK(text != NULL);
        return;
    }
    for (size_t i = 0; i < rows; i++)
        n += (size_t)sprintf(text + n, "%.*s张三😀,%zu\n", (int)(i % 3), "ab", i);
    char *gb = to_gb18030(text, &gblen);
    CHECK(gb != NULL && gblen > 4 * 65536);
    if (gb != NULL) {
        struct opened o;
        open_bytes(&o, gb, gblen);
        CHECK(o.text != NULL && o.found == RCL_CHARSET_GB18030);
        if (o.text != NULL) {
            char *back = slurp(o.text, &len);
            CHECK(back != NULL && len == n && memcmp(back, text, n) == 0);
            free(back);
        }
        close_opened(&o);
    }
    free(gb);
    free(text);
}

static void test_neither_is_refused(void)
{
    static const struct {
        const char *bytes;
        size_t len;
        unsigned long line;
        const char *says, *says_zh;
    } cases[] = {
        /* 0xFF is neither UTF-8 nor GB18030; offsets count from 0. */
        {"a,b\r\nc,\xFF\r\n", 10, 2, "byte 0xFF at offset 7", "字节 FF（十六进制，第 7 字节处）"},
        /* A GB18030 lead byte with a trail byte that cannot follow it. */
        {"x\ny\nz\n\x81\x20,1\n", 11, 4,
         "neither UTF-8 text (byte 0x81 at offset 6) nor GB18030 text (byte 0x81 at offset 6)",
         "文件既不是 UTF-8 编码（字节 81（十六进制，第 6 字节处）），也不是 GB18030 编码（字节 "
         "81（十六进制，第 6 "
         "字节处））"},
        /* A UTF-8 surrogate is not UTF-8, and its bytes are not GB18030 either. */
        {"n\r\n\xED\xA0\x80\n", 7, 2,
         "(byte 0xED at offset 3) nor GB18030 text (byte 0x80 at offset 5)",
         "（字节 ED（十六进制，第 3 字节处）），也不是 GB18030 编码（字节 80（十六进制，第 5 "
         "字节处））"},
        /* Cut short at the end: the last line is named. */
        {"name\nG1,\xE5", 9, 2, "cut short at the end, offset 8",
         "文件末尾（第 8 字节处）有半个字符"},
        /* Mostly UTF-8 with one character cut short: damaged, never guessed to be GB18030. */
        {"姓名,班级\n张三,一班\n李\xE5\xBC,二班\n", 41, 3, "byte 0xE5 at offset 31",
         "文件不是有效的 UTF-8 编码（字节 E5（十六进制，第 31 字节处）），但大部分内容是 UTF-8 "
         "编码"},
        {"\xEF\xBB\xBF\xD5\xC5\xC8\xFD\n", 8, 1, "byte order mark", "但文件开头标明是 UTF-8 编码"},
        {"\xFF\xFE"
         "a\0,\0",
         6, 1, "UTF-16", "文件是 UTF-16 编码"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct opened o;
        open_bytes(&o, cases[i].bytes, cases[i].len);
        CHECK(o.text == NULL);
        CHECK(o.line == cases[i].line);
        if (strstr(o.err.en, cases[i].says) == NULL || o.line != cases[i].line ||
            strstr(o.err.zh, cases[i].says_zh) == NULL)
            fprintf(stderr, "case %zu: line %lu: %s / %s\n", i, o.line, o.err.en, o.err.zh);
        CHECK(strstr(o.err.en, cases[i].says) != NULL);
        /* The same reason in Chinese, for the page (reason.h). */
        CHECK(strstr(o.err.zh, cases[i].says_zh) != NULL);
        close_opened(&o);
    }
}

/* A pipe cannot be rewound: its bytes are kept aside, in both character sets. */
static void test_pipes(void)
{
    static const char text[] = "学籍号,姓名\r\nG1,张三\r\n";
    size_t gblen = 0;
    char *gb = to_gb18030(text, &gblen);

    for (int i = 0; i < 2 && gb != NULL; i++) {
        const char *bytes = i == 0 ? text : gb;
        size_t len = i == 0 ? strlen(text) : gblen, back_len = 0;
        int fds[2];
        enum rcl_charset found = RCL_CHARSET_UTF8;
        unsigned long line = 0;
        struct rcl_reason err;

        CHECK(pipe(fds) == 0);
        CHECK(write(fds[1], bytes, len) == (ssize_t)len);
        close(fds[1]);
        FILE *in = fdopen(fds[0], "rb");
        FILE *got = in != NULL ? rcl_charset_to_utf8(in, &found, &line, &err) : NULL;
        CHECK(got != NULL && got != in);
        CHECK(found == (i == 0 ? RCL_CHARSET_UTF8 : RCL_CHARSET_GB18030));
        if (got != NULL) {
            char *back = slurp(got, &back_len);
            CHECK(back != NULL && strcmp(back, text) == 0);
            free(back);
            fclose(got);
        }
        if (in != NULL)
            fclose(in);
    }
    CHECK(gb != NULL);
    free(gb);
}

static void test_writing_gb18030(void)
{
    static const char text[] = "学籍号,姓名\r\nG1,\"'=张三\"\r\nG2,王𠀀五\r\n";
    char err[200] = "";
    size_t len = 0, back_len = 0;
    FILE *in = fmemopen((void *)text, strlen(text), "rb");
    FILE *out = tmpfile();

    CHECK(in != NULL && out != NULL);
    if (in == NULL || out == NULL)
        return;
    CHECK(rcl_charset_from_utf8(in, out, RCL_CHARSET_GB18030, err, sizeof(err)) == 0);
    rewind(out);
    char *gb = slurp(out, &len);
    size_t want_len = 0;
    char *want = to_gb18030(text, &want_len);
    CHECK(gb != NULL && want != NULL && len == want_len && memcmp(gb, want, len) == 0);

    struct opened o;
    open_bytes(&o, gb, len);
    CHECK(o.text != NULL && o.found == RCL_CHARSET_GB18030);
    if (o.text != NULL) {
        char *back = slurp(o.text, &back_len);
        CHECK(back != NULL && strcmp(back, text) == 0);
        free(back);
    }
    close_opened(&o);
    free(gb);
    free(want);
    fclose(in);
    fclose(out);

    /* Text that is not UTF-8 cannot be written. */
    in = fmemopen((void *)"ab\xFF", 3, "rb");
    out = tmpfile();
    CHECK(in != NULL && out != NULL);
    if (in != NULL && out != NULL) {
        CHECK(rcl_charset_from_utf8(in, out, RCL_CHARSET_GB18030, err, sizeof(err)) == -1);
        CHECK(strstr(err, "offset 2") != NULL);
    }
    if (in != NULL)
        fclose(in);
    if (out != NULL)
        fclose(out);

    enum rcl_charset cs;
    CHECK(rcl_charset_parse("utf-8", &cs) == 0 && cs == RCL_CHARSET_UTF8);
    CHECK(rcl_charset_parse("gb18030", &cs) == 0 && cs == RCL_CHARSET_GB18030);
    CHECK(rcl_charset_parse("latin1", &cs) == -1);
}

int main(void)
{
    RCL_TEST_RUN(test_utf8_is_read_as_it_is);
    RCL_TEST_RUN(test_gb18030_is_converted);
    RCL_TEST_RUN(test_gb18030_that_looks_like_utf8_in_part);
    RCL_TEST_RUN(test_gb18030_across_chunks);
    RCL_TEST_RUN(test_neither_is_refused);
    RCL_TEST_RUN(test_pipes);
    RCL_TEST_RUN(test_writing_gb18030);
    return RCL_TEST_RESULT();
}

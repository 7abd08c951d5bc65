/*
 * test_csv.c - the streaming CSV reader: quoting, CRLF / LF / CR line ends,
 * the byte order mark, physical line numbers across embedded newlines,
 * recovery after a malformed record, and an unclosed quote.
 */
#include <stdio.h>
#include <string.h>

#include "csv.h"
#include "rcl_test.h"

struct reader {
    FILE *f;
    struct rcl_csv_reader *r;
};

static struct reader open_text(const char *text, size_t len)
{
    struct reader rd;
    rd.f = fmemopen((void *)text, len, "rb");
    rd.r = rd.f != NULL ? rcl_csv_reader_new(rd.f) : NULL;
    return rd;
}

static void close_reader(struct reader *rd)
{
    rcl_csv_reader_destroy(&rd->r);
    if (rd->f != NULL)
        fclose(rd->f);
}

static const char *field(struct reader *rd, size_t i)
{
    return rcl_csv_reader_get(rd->r, i, NULL);
}

static void test_plain_and_quoted(void)
{
    static const char text[] = "a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\n";
    struct reader rd = open_text(text, sizeof(text) - 1);
    CHECK(rd.r != NULL);
    if (rd.r == NULL)
        return;
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_RECORD);
    CHECK(rcl_csv_reader_count(rd.r) == 3);
    CHECK_STR(field(&rd, 0), "a");
    CHECK_STR(field(&rd, 2), "c");
    CHECK(rcl_csv_reader_line(rd.r) == 1);
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_RECORD);
    CHECK(rcl_csv_reader_count(rd.r) == 3);
    CHECK_STR(field(&rd, 0), "x, y");
    CHECK_STR(field(&rd, 1), "say \"hi\"");
    CHECK_STR(field(&rd, 2), "");
    CHECK(rcl_csv_reader_line(rd.r) == 2);
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_END);
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_END);
    close_reader(&rd);
}

static void test_crlf_bom_and_last_line(void)
{
    static const char text[] = "\xEF\xBB\xBFid,name\r\n1,\"A\"\r\n\r\n2,B";
    struct reader rd = open_text(text, sizeof(text) - 1);
    if (rd.r == NULL) {
        CHECK(rd.r != NULL);
        return;
    }
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_RECORD);
    CHECK_STR(field(&rd, 0), "id"); /* the BOM is not part of the first name */
    CHECK_STR(field(&rd, 1), "name");
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_RECORD);
    CHECK_STR(field(&rd, 1), "A");
    CHECK(rcl_csv_reader_line(rd.r) == 2);
    /* The blank line 3 is skipped; the last record has no line end. */
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_RECORD);
    CHECK(rcl_csv_reader_line(rd.r) == 4);
    CHECK_STR(field(&rd, 0), "2");
    CHECK_STR(field(&rd, 1), "B");
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_END);
    close_reader(&rd);
}

static void test_embedded_newlines_keep_line_numbers(void)
{
    static const char text[] = "h1,h2\n"
                               "1,\"two\nlines\"\n"
                               "2,\"three\r\nphysical\r\nlines\"\r\n"
                               "3,\"\"\n"
                               "4,x\r"
                               "5,y\n";
    struct reader rd = open_text(text, sizeof(text) - 1);
    if (rd.r == NULL) {
        CHECK(rd.r != NULL);
        return;
    }
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_RECORD);
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_RECORD);
    CHECK(rcl_csv_reader_line(rd.r) == 2);
    CHECK_STR(field(&rd, 1), "two\nlines");
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_RECORD);
    CHECK(rcl_csv_reader_line(rd.r) == 4);
    CHECK_STR(field(&rd, 1), "three\r\nphysical\r\nlines");
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_RECORD);
    CHECK(rcl_csv_reader_line(rd.r) == 7);
    CHECK_STR(field(&rd, 1), "");
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_RECORD);
    CHECK(rcl_csv_reader_line(rd.r) == 8);
    CHECK_STR(field(&rd, 1), "x");
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_RECORD); /* a lone CR ends a line too */
    CHECK(rcl_csv_reader_line(rd.r) == 9);
    CHECK_STR(field(&rd, 0), "5");
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_END);
    close_reader(&rd);
}

static void test_bad_record_then_recovery(void)
{
    static const char text[] = "a,b\n"
                               "1,x\"y\n"       /* quote inside an unquoted field */
                               "2,\"ok\"tail\n" /* text after a closing quote */
                               "3,fine\n";
    struct reader rd = open_text(text, sizeof(text) - 1);
    if (rd.r == NULL) {
        CHECK(rd.r != NULL);
        return;
    }
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_RECORD);
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_BAD);
    CHECK(rcl_csv_reader_error_line(rd.r) == 2);
    CHECK(strstr(rcl_csv_reader_error(rd.r), "quote inside an unquoted field") != NULL);
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_BAD);
    CHECK(rcl_csv_reader_error_line(rd.r) == 3);
    CHECK(strstr(rcl_csv_reader_error(rd.r), "after a closing quote") != NULL);
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_RECORD);
    CHECK(rcl_csv_reader_line(rd.r) == 4);
    CHECK_STR(field(&rd, 1), "fine");
    CHECK_STR(rcl_csv_reader_error(rd.r), "");
    close_reader(&rd);
}

static void test_unterminated_quote(void)
{
    static const char text[] = "a,b\n1,2\n3,\"never\nclosed,4\n5,6\n";
    struct reader rd = open_text(text, sizeof(text) - 1);
    if (rd.r == NULL) {
        CHECK(rd.r != NULL);
        return;
    }
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_RECORD);
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_RECORD);
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_FATAL);
    CHECK(rcl_csv_reader_error_line(rd.r) == 3);
    CHECK_STR(rcl_csv_reader_error(rd.r), "quoted field opened on line 3 is never closed");
    /* The same in Chinese, for the page (reason.h). */
    CHECK_STR(rcl_csv_reader_reason(rd.r)->zh, "第 3 行开始的引号一直没有闭合");
    close_reader(&rd);
}

static void test_nul_byte_and_empty_input(void)
{
    static const char text[] = "a\0b,c\n";
    struct reader rd = open_text(text, sizeof(text) - 1);
    size_t len = 0;
    if (rd.r == NULL) {
        CHECK(rd.r != NULL);
        return;
    }
    CHECK(rcl_csv_reader_next(rd.r) == RCL_CSV_RECORD);
    (void)rcl_csv_reader_get(rd.r, 0, &len);
    CHECK(len == 3); /* the caller sees the NUL through the length */
    close_reader(&rd);

    static const char bom_only[] = "\xEF\xBB\xBF";
    rd = open_text(bom_only, sizeof(bom_only) - 1);
    CHECK(rd.r != NULL && rcl_csv_reader_next(rd.r) == RCL_CSV_END);
    close_reader(&rd);
}

static void test_record_too_long(void)
{
    FILE *f = tmpfile();
    struct rcl_csv_reader *r = NULL;
    if (f == NULL) {
        CHECK(f != NULL);
        return;
    }
    fputs("a,b\n1,", f);
    for (int i = 0; i < RCL_CSV_RECORD_BYTES_MAX + 10; i++)
        fputc('x', f);
    fputs("\n2,y\n", f);
    rewind(f);
    r = rcl_csv_reader_new(f);
    CHECK(r != NULL);
    if (r != NULL) {
        CHECK(rcl_csv_reader_next(r) == RCL_CSV_RECORD);
        CHECK(rcl_csv_reader_next(r) == RCL_CSV_BAD);
        CHECK(strstr(rcl_csv_reader_error(r), "longer than") != NULL);
        CHECK(rcl_csv_reader_next(r) == RCL_CSV_RECORD);
        CHECK(rcl_csv_reader_line(r) == 3);
        CHECK_STR(rcl_csv_reader_get(r, 1, NULL), "y");
    }
    rcl_csv_reader_destroy(&r);
    fclose(f);
}

/* Many records, so quotes and CRLFs fall on the reader's chunk boundaries. */
static void test_across_chunks(void)
{
    FILE *f = tmpfile();
    struct rcl_csv_reader *r = NULL;
    const int rows = 20000;
    int seen = 0;
    int good = 1;
    if (f == NULL) {
        CHECK(f != NULL);
        return;
    }
    for (int i = 0; i < rows; i++)
        fprintf(f, "%d,\"q\"\"%d\r\nz\",tail\r\n", i, i);
    rewind(f);
    r = rcl_csv_reader_new(f);
    CHECK(r != NULL);
    while (r != NULL && rcl_csv_reader_next(r) == RCL_CSV_RECORD) {
        char want[64];
        snprintf(want, sizeof(want), "q\"%d\r\nz", seen);
        if (rcl_csv_reader_count(r) != 3 || strcmp(rcl_csv_reader_get(r, 1, NULL), want) != 0 ||
            rcl_csv_reader_line(r) != (unsigned long)(2 * seen + 1))
            good = 0;
        seen++;
    }
    CHECK(seen == rows);
    CHECK(good);
    rcl_csv_reader_destroy(&r);
    fclose(f);
}

int main(void)
{
    RCL_TEST_RUN(test_plain_and_quoted);
    RCL_TEST_RUN(test_crlf_bom_and_last_line);
    RCL_TEST_RUN(test_embedded_newlines_keep_line_numbers);
    RCL_TEST_RUN(test_bad_record_then_recovery);
    RCL_TEST_RUN(test_unterminated_quote);
    RCL_TEST_RUN(test_nul_byte_and_empty_input);
    RCL_TEST_RUN(test_record_too_long);
    RCL_TEST_RUN(test_across_chunks);
    return RCL_TEST_RESULT();
}

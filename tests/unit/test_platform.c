/*
 * test_platform.c - rcl_platform.h as the rest of the code relies on it:
 * a new name never replaces a file; a lock file's shared and exclusive
 * holders exclude each other, its content stays readable; the converter
 * turns UTF-8 into GB18030 and back byte for byte and reports a character
 * cut short (EINVAL), a bad byte (EILSEQ, with *in on it) and a full output
 * (E2BIG) as iconv does; memory streams give back what was written; lines
 * are read with their newline; new and temporary files and folders are
 * created private and never over an existing one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_platform.h"
#include "rcl_test.h"

static char dir[512];

static void path_in(char *out, size_t outlen, const char *name)
{
    snprintf(out, outlen, "%s/%s", dir, name);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = rcl_fopen(path, "wb");

    CHECK(f != NULL);
    if (f != NULL) {
        fputs(text, f);
        CHECK(rcl_file_sync(f) == 0);
        fclose(f);
    }
}

static void read_file(const char *path, char *out, size_t outlen)
{
    FILE *f = rcl_fopen(path, "rb");
    size_t n = 0;

    if (f != NULL) {
        n = fread(out, 1, outlen - 1, f);
        fclose(f);
    }
    out[n] = '\0';
}

static void test_rename_new(void)
{
    char tmp[600], path[600], text[64];
    bool exists = true;

    path_in(tmp, sizeof tmp, "a.tmp");
    path_in(path, sizeof path, "a");
    write_file(tmp, "first");
    CHECK(rcl_rename_new(tmp, path) == 0);
    CHECK(rcl_path_exists(tmp, &exists) == 0 && !exists);
    read_file(path, text, sizeof text);
    CHECK_STR(text, "first");

    write_file(tmp, "second");
    CHECK(rcl_rename_new(tmp, path) == 1);
    read_file(path, text, sizeof text);
    CHECK_STR(text, "first");
    read_file(tmp, text, sizeof text);
    CHECK_STR(text, "second");
    CHECK(rcl_dir_sync_of(path) == 0);
}

static void test_lock(void)
{
    char path[600], buf[32];
    struct rcl_lock *a, *b;
    ptrdiff_t n;

    path_in(path, sizeof path, "db.lock");
    a = rcl_lock_open(path);
    b = rcl_lock_open(path);
    CHECK(a != NULL && b != NULL);
    if (a == NULL || b == NULL)
        return;
    CHECK(rcl_lock_take(a, false) == 0);
    CHECK(rcl_lock_take(b, false) == 0);
    CHECK(rcl_lock_take(a, true) == 1); /* b shares it */
    rcl_lock_close(&b);
    CHECK(b == NULL);
    CHECK(rcl_lock_take(a, true) == 0);
    CHECK(rcl_lock_write(a, "4242\n", 5) == 0);

    b = rcl_lock_open(path);
    CHECK(b != NULL);
    if (b == NULL)
        return;
    CHECK(rcl_lock_take(b, false) == 1);
    CHECK(rcl_lock_take(b, true) == 1);
    n = rcl_lock_read(b, buf, sizeof buf - 1); /* the holder's content is readable */
    CHECK(n == 5);
    buf[n > 0 ? n : 0] = '\0';
    CHECK_STR(buf, "4242\n");
    CHECK(rcl_lock_write(a, NULL, 0) == 0);
    CHECK(rcl_lock_read(b, buf, sizeof buf) == 0);
    rcl_lock_close(&a);
    CHECK(rcl_lock_take(b, true) == 0);
    rcl_lock_close(&b);
}

/* Converts all of text with c into out (NUL-terminated). Returns rcl_conv's result. */
static int convert_all(struct rcl_conv *c, const char *text, size_t len, char *out, size_t outlen,
                       size_t *left)
{
    char *in = (char *)text, *op = out;
    size_t il = len, ol = outlen - 1;
    int rc = rcl_conv(c, &in, &il, &op, &ol);

    *op = '\0';
    *left = il;
    return rc;
}

static void test_conv(void)
{
    /* 张三 in GB18030 (GBK part), and U+20AC (the euro sign, a GB18030 two-byte code A2E3),
     * and U+1F600 (four bytes in GB18030: 9439FC36). */
    const char utf8[] = "\xE5\xBC\xA0\xE4\xB8\x89,\xE2\x82\xAC,\xF0\x9F\x98\x80\n";
    const char gb[] = "\xD5\xC5\xC8\xFD,\xA2\xE3,\x94\x39\xFC\x36\n";
    struct rcl_conv *to = rcl_conv_open(RCL_CODEPAGE_GB18030, RCL_CODEPAGE_UTF8);
    struct rcl_conv *from = rcl_conv_open(RCL_CODEPAGE_UTF8, RCL_CODEPAGE_GB18030);
    char out[64];
    size_t left = 0;

    CHECK(to != NULL && from != NULL);
    if (to == NULL || from == NULL)
        return;
    CHECK(convert_all(to, utf8, strlen(utf8), out, sizeof out, &left) == 0 && left == 0);
    CHECK_STR(out, gb);
    CHECK(convert_all(from, gb, strlen(gb), out, sizeof out, &left) == 0 && left == 0);
    CHECK_STR(out, utf8);

    /* The input ends inside 三 (its last byte missing): EINVAL, *in on the character. */
    errno = 0;
    CHECK(convert_all(from, gb, 3, out, sizeof out, &left) == -1 && errno == EINVAL);
    CHECK(left == 1);
    CHECK_STR(out, "\xE5\xBC\xA0");
    /* 0xFF is no GB18030 byte: EILSEQ, *in on it (after "a,"). */
    errno = 0;
    CHECK(convert_all(from,
                      "a,\xFF"
                      "b",
                      4, out, sizeof out, &left) == -1 &&
          errno == EILSEQ);
    CHECK(left == 2);
    CHECK_STR(out, "a,");
    /* A lone UTF-8 continuation byte is no character either. */
    errno = 0;
    CHECK(convert_all(to, "x\x80", 2, out, sizeof out, &left) == -1 && errno == EILSEQ);
    CHECK(left == 1);
    /* Room for 张 only: E2BIG with 三 still to convert. */
    errno = 0;
    CHECK(convert_all(to, utf8, 6, out, 3, &left) == -1 && errno == E2BIG);
    CHECK(left == 3);
    CHECK_STR(out, "\xD5\xC5");
    rcl_conv_close(to);
    rcl_conv_close(from);
}

static void test_memstream(void)
{
    struct rcl_memstream m;
    char *line = NULL;
    size_t cap = 0;
    FILE *in;

    CHECK(rcl_memstream_open(&m) == 0);
    if (m.f == NULL)
        return;
    fprintf(m.f, "one %d\ntwo", 1);
    CHECK(rcl_memstream_close(&m) == 0);
    CHECK(m.f == NULL && m.len == strlen("one 1\ntwo"));
    CHECK_STR(m.buf, "one 1\ntwo");

    in = rcl_memreader(m.buf, m.len);
    CHECK(in != NULL);
    if (in != NULL) {
        CHECK(rcl_getline(&line, &cap, in) == 6);
        CHECK_STR(line, "one 1\n");
        CHECK(rcl_getline(&line, &cap, in) == 3); /* the last line has no newline */
        CHECK_STR(line, "two");
        CHECK(rcl_getline(&line, &cap, in) == -1);
        fclose(in);
    }
    free(line);
    free(m.buf);
}

static void test_new_files(void)
{
    char path[600], templ[600], made[600];
    struct rcl_file_info info;
    FILE *f;

    path_in(path, sizeof path, "new");
    f = rcl_fopen_new(path);
    CHECK(f != NULL);
    if (f != NULL)
        fclose(f);
    CHECK(rcl_stat(path, &info) == 0 && info.regular && (info.perm & 077) == 0);
    errno = 0;
    CHECK(rcl_fopen_new(path) == NULL && errno == EEXIST);

    path_in(templ, sizeof templ, "t.XXXXXX");
    f = rcl_fopen_temp(templ);
    CHECK(f != NULL);
    if (f != NULL) {
        CHECK(fputs("x", f) >= 0);
        fclose(f);
    }
    CHECK(strstr(templ, "XXXXXX") == NULL);
    CHECK(rcl_stat(templ, &info) == 0 && info.size == 1 && (info.perm & 077) == 0);
    CHECK(rcl_unlink(templ) == 0);

    CHECK(rcl_mkdtemp("rollcall-test", made, sizeof made) == 0);
    CHECK(strstr(made, "rollcall-test-") != NULL && strstr(made, "XXXXXX") == NULL);
    CHECK(rcl_stat(made, &info) == 0 && !info.regular && (info.perm & 077) == 0);
    CHECK(rcl_rmdir(made) == 0);

    f = rcl_tmpfile();
    CHECK(f != NULL);
    if (f != NULL)
        fclose(f);
}

static void test_time_and_process(void)
{
    struct tm tm;
    int64_t a = rcl_mono_ms(), b;

    rcl_sleep_ms(1);
    b = rcl_mono_ms();
    CHECK(b >= a);
    CHECK(rcl_gmtime(86400 + 3661, &tm) == 0);
    CHECK(tm.tm_year == 70 && tm.tm_mon == 0 && tm.tm_mday == 2 && tm.tm_hour == 1 &&
          tm.tm_min == 1 && tm.tm_sec == 1);
    CHECK(rcl_localtime(86400, &tm) == 0);
    CHECK(rcl_process_alive(rcl_process_id()));
    CHECK(!rcl_process_alive(0));
}

int main(void)
{
    if (rcl_test_tmpdir("platform", dir, sizeof dir) != 0) {
        fprintf(stderr, "cannot make a test folder\n");
        return 1;
    }
    RCL_TEST_RUN(test_rename_new);
    RCL_TEST_RUN(test_lock);
    RCL_TEST_RUN(test_conv);
    RCL_TEST_RUN(test_memstream);
    RCL_TEST_RUN(test_new_files);
    RCL_TEST_RUN(test_time_and_process);
    return RCL_TEST_RESULT();
}

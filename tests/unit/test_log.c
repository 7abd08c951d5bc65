/*
 * test_log.c - the log's status line (proto/base/rcl_log.c): a WARN or ERROR line
 * erases the progress line, is printed whole, and the progress line is drawn
 * again; INFO lines wait until the progress line is gone, in their order.
 * A field's value (rcl_log_value) is one plain word as it is, anything else
 * quoted with its quotes and backslashes escaped.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rcl_log.h"
#include "rcl_test.h"

static char dir[512];

/* What stderr received while fn ran, into out. */
static void capture(void (*fn)(void), char *out, size_t outlen)
{
    char path[600];
    FILE *f;
    size_t n;
    int saved = dup(2);

    snprintf(path, sizeof(path), "%s/stderr", dir);
    fflush(stderr);
    CHECK(freopen(path, "w", stderr) != NULL);
    fn();
    fflush(stderr);
    CHECK(dup2(saved, 2) == 2);
    close(saved);
    f = fopen(path, "r");
    CHECK(f != NULL);
    n = f != NULL ? fread(out, 1, outlen - 1, f) : 0;
    out[n] = '\0';
    if (f != NULL)
        fclose(f);
}

static void under_a_progress_line(void)
{
    rcl_log_status("import 10/40 rows 25%");
    RCL_INFO("first info n=%d", 1);
    RCL_WARN("a warning n=%d", 2);
    rcl_log_above("students.csv:7: grade '13' is out of range 1-12");
    rcl_log_status("import 20/40 rows 50%");
    RCL_INFO("second info n=%d", 3);
    rcl_log_status(NULL);
    RCL_INFO("after n=%d", 4);
}

static void test_log_lines_never_share_the_progress_line(void)
{
    char out[4096];
    const char *warn, *above, *first, *second, *after, *p;

    capture(under_a_progress_line, out, sizeof(out));
    CHECK(strncmp(out, "\r\033[Kimport 10/40 rows 25%", strlen("\r\033[Kimport 10/40 rows 25%")) ==
          0);
    /* The warning: erased first, on a line of its own, the progress line drawn again after. */
    warn = strstr(out, "WARN a warning n=2\n");
    CHECK(warn != NULL);
    above = strstr(
        out, "\r\033[Kstudents.csv:7: grade '13' is out of range 1-12\nimport 10/40 rows 25%");
    CHECK(above != NULL);
    p = strstr(out, "import 10/40 rows 25%\r\033[K");
    CHECK(p != NULL && p < warn);
    /* The INFO lines come after the progress line is erased, in order. */
    first = strstr(out, "INFO first info n=1\n");
    second = strstr(out, "INFO second info n=3\n");
    after = strstr(out, "INFO after n=4\n");
    CHECK(first != NULL && second != NULL && after != NULL);
    CHECK(first > above && first > strstr(out, "import 20/40 rows 50%"));
    CHECK(first < second && second < after);
    CHECK(strstr(out, "50%\r\033[K") != NULL && strstr(out, "50%\r\033[K") < first);
    /* No line holds a log line and a piece of the progress line together. */
    for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *shown = strrchr(line, '\r');
        shown = shown != NULL ? shown + 1 : line;
        if (strstr(shown, " INFO ") != NULL || strstr(shown, " WARN ") != NULL)
            CHECK(strstr(shown, "rows") == NULL);
    }
}

static void test_a_value_is_quoted_unless_one_plain_word(void)
{
    char longer[700];
    const char *q;
    size_t n;

    CHECK(strcmp(rcl_log_value("410102"), "410102") == 0);
    CHECK(strcmp(rcl_log_value("tcp://127.0.0.1:5555"), "tcp://127.0.0.1:5555") == 0);
    CHECK(strcmp(rcl_log_value("欧阳"), "欧阳") == 0);
    CHECK(strcmp(rcl_log_value(NULL), "-") == 0);
    CHECK(strcmp(rcl_log_value(""), "\"\"") == 0);
    CHECK(strcmp(rcl_log_value("epoch 3 is older than 4"), "\"epoch 3 is older than 4\"") == 0);
    CHECK(strcmp(rcl_log_value("a=b"), "\"a=b\"") == 0);
    CHECK(strcmp(rcl_log_value("say \"no\""), "\"say \\\"no\\\"\"") == 0);
    CHECK(strcmp(rcl_log_value("C:\\dir"), "\"C:\\\\dir\"") == 0);
    /* Several values of one line stay apart. */
    q = rcl_log_value("one two");
    CHECK(strcmp(rcl_log_value("three four"), "\"three four\"") == 0);
    CHECK(strcmp(q, "\"one two\"") == 0);
    /* Too long: cut, but still closed, and never in the middle of an escape. */
    memset(longer, '"', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    q = rcl_log_value(longer);
    n = strlen(q);
    CHECK(n > 2 && n < sizeof(longer));
    CHECK(q[0] == '"' && q[n - 1] == '"' && q[n - 2] == '"' && q[n - 3] == '\\');
    CHECK((n - 2) % 2 == 0);
}

int main(void)
{
    if (rcl_test_tmpdir("log", dir, sizeof(dir)) != 0) {
        fprintf(stderr, "cannot make a temporary folder\n");
        return 1;
    }
    rcl_log_init("test_log");
    RCL_TEST_RUN(test_log_lines_never_share_the_progress_line);
    RCL_TEST_RUN(test_a_value_is_quoted_unless_one_plain_word);
    return RCL_TEST_RESULT();
}

/*
 * test_config.c - configuration files (proto/base/rcl_config.c): comments, blanks,
 * CRLF, '_' read as '-', and every refusal naming FILE:LINE.
 */
#include <stdio.h>
#include <string.h>

#include "rcl_config.h"
#include "rcl_test.h"

static char dir[512];

static int check_small(const char *value, char *why, size_t whylen)
{
    return rcl_config_check_number(value, 10, why, whylen);
}

static const struct rcl_config_key keys[] = {
    {"db", NULL},
    {"upstream-key", rcl_config_check_key},
    {"listen", rcl_config_check_tcp},
    {"count", check_small},
    {"log-level", rcl_config_check_log_level},
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* Writes text to dir/name and loads it; err gets the message on failure. */
static struct rcl_config *load_text(const char *name, const char *text, size_t len, char *err,
                                    size_t errlen)
{
    char path[700];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL)
        return NULL;
    fwrite(text, 1, len, f);
    fclose(f);
    return rcl_config_load(path, keys, N_KEYS, err, errlen);
}

/* Loads text that must be refused, and checks the message holds "NAME:LINE: " and want. */
static void refused(const char *text, int line, const char *want)
{
    char err[1024] = "", where[64];
    struct rcl_config *c = load_text("bad.conf", text, strlen(text), err, sizeof(err));

    CHECK(c == NULL);
    rcl_config_destroy(&c);
    snprintf(where, sizeof(where), "bad.conf:%d: ", line);
    if (strstr(err, where) == NULL || strstr(err, want) == NULL) {
        fprintf(stderr, "  for %s: got '%s', wanted '%s' and '%s'\n", text, err, where, want);
        CHECK(!"refusal names the file, the line and the reason");
    }
}

static void test_reads_values_comments_and_blanks(void)
{
    static const char text[] = "# a county\r\n"
                               "\n"
                               "   db   =  /var/lib/rollcall/agg.db  # the store\r\n"
                               "log_level=warn\n"
                               "listen = tcp://*:7100\n"
                               "count = 10"; /* no newline at the end */
    char err[512] = "";
    struct rcl_config *c = load_text("good.conf", text, sizeof(text) - 1, err, sizeof(err));

    CHECK(c != NULL);
    CHECK_STR(rcl_config_get(c, "db"), "/var/lib/rollcall/agg.db");
    CHECK_STR(rcl_config_get(c, "log-level"), "warn");
    CHECK_STR(rcl_config_get(c, "listen"), "tcp://*:7100");
    CHECK_STR(rcl_config_get(c, "count"), "10");
    CHECK(rcl_config_get(c, "upstream-key") == NULL);
    CHECK(c != NULL && c->n == 4 && c->entries[0].line == 3);
    rcl_config_destroy(&c);
    CHECK(c == NULL);
}

static void test_a_hash_inside_a_value_stays(void)
{
    static const char text[] = "db = /srv/a#b.db\n";
    char err[512] = "";
    struct rcl_config *c = load_text("hash.conf", text, sizeof(text) - 1, err, sizeof(err));

    CHECK_STR(rcl_config_get(c, "db"), "/srv/a#b.db");
    rcl_config_destroy(&c);
}

static void test_refusals_name_file_and_line(void)
{
    refused("db = a\nlisen = tcp://x:1\n", 2, "unknown key 'lisen' (known: db, upstream-key");
    refused("db = a\n\ndb = b\n", 3, "'db' is set twice (first on line 1)");
    refused("\n\njust words\n", 3, "expected 'key = value'");
    refused("db =   # nothing\n", 1, "'db' has no value");
    refused("= x\n", 1, "unknown key ''");
    refused("count = 11\n", 1, "count '11' must be a whole number from 1 to 10");
    refused("count = -1\n", 1, "from 1 to 10");
    refused("count = 3x\n", 1, "from 1 to 10");
    refused("upstream-key = 00ff\n", 1, "not a public key");
    refused("listen = 10.0.0.1:7100\n", 1, "not a tcp://HOST:PORT endpoint");
    refused("log-level = verbose\n", 1, "debug, info, warn or error");
}

static void test_binary_and_overlong_lines_are_refused(void)
{
    char err[512] = "", big[5000];
    struct rcl_config *c = load_text("nul.conf", "db = a\0b\n", 9, err, sizeof(err));

    CHECK(c == NULL && strstr(err, "nul.conf:1: ") != NULL);
    memset(big, 'a', sizeof(big) - 2);
    memcpy(big, "db = ", 5);
    big[sizeof(big) - 2] = '\n';
    big[sizeof(big) - 1] = '\0';
    c = load_text("long.conf", big, strlen(big), err, sizeof(err));
    CHECK(c == NULL && strstr(err, "long.conf:1: line longer than") != NULL);
}

static void test_missing_file_and_folder(void)
{
    char err[512] = "", path[700];
    struct rcl_config *c;

    snprintf(path, sizeof(path), "%s/none.conf", dir);
    c = rcl_config_load(path, keys, N_KEYS, err, sizeof(err));
    CHECK(c == NULL && strstr(err, "none.conf: cannot read the configuration") != NULL);
    c = rcl_config_load(dir, keys, N_KEYS, err, sizeof(err));
    CHECK(c == NULL && strstr(err, "not a regular file") != NULL);
}

static void test_default_path_and_bools(void)
{
    char path[700];

    snprintf(path, sizeof(path), "%s/good.conf", dir);
    unsetenv("RCL_TEST_CONFIG");
    CHECK_STR(rcl_config_default_path("RCL_TEST_CONFIG", path), path);
    CHECK(rcl_config_default_path("RCL_TEST_CONFIG", "/nonexistent/x.conf") == NULL);
    setenv("RCL_TEST_CONFIG", "/elsewhere.conf", 1);
    CHECK_STR(rcl_config_default_path("RCL_TEST_CONFIG", path), "/elsewhere.conf");
    setenv("RCL_TEST_CONFIG", "", 1);
    CHECK(rcl_config_default_path("RCL_TEST_CONFIG", path) == NULL);
    CHECK(rcl_config_bool("yes") == 1 && rcl_config_bool("off") == 0);
    CHECK(rcl_config_bool("maybe") == -1);
}

int main(void)
{
    if (rcl_test_tmpdir("config", dir, sizeof(dir)) != 0) {
        fprintf(stderr, "cannot make a temporary folder\n");
        return 1;
    }
    RCL_TEST_RUN(test_reads_values_comments_and_blanks);
    RCL_TEST_RUN(test_a_hash_inside_a_value_stays);
    RCL_TEST_RUN(test_refusals_name_file_and_line);
    RCL_TEST_RUN(test_binary_and_overlong_lines_are_refused);
    RCL_TEST_RUN(test_missing_file_and_folder);
    RCL_TEST_RUN(test_default_path_and_bools);
    return RCL_TEST_RESULT();
}

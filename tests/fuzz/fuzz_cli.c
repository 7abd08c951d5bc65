/*
 * fuzz_cli.c - the command lines of both programs. The input is split at
 * line breaks into argv words (the first is argv[0]) and handed to
 * rollcall-school's and rollcall-agg's own main functions, built from their
 * sources with store, network and file access replaced (fuzz_cli.h). Each
 * word also goes through the shared parsers of keys, ids and endpoints.
 *
 * Covered: everything both programs do with argv before a store is opened:
 * command lookup, help, option parsing (--opt VALUE, --opt=VALUE, repeats,
 * missing values, positionals, --), required options, and the validators:
 * school ids, county codes, ids, names, tiers, endpoints, hex keys,
 * --stale-days, --timeout, --format, and the pseudonym key file's parser (the
 * option's value is written as the file's content). Not here: what a
 * command does with an open store (fuzz_csv, fuzz_batch and fuzz_envelope
 * and the integration tests have that), and the CSV header, which fuzz_csv
 * reaches through the importer.
 *
 * What must hold for any input: the exit code is one the contract names,
 * a key that parses prints back as the same hex, `init` never gets as far
 * as creating a store with a value it did not validate, and no file is
 * touched outside the target's temporary folder (the guards abort).
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_cli.h"
#include "fuzz_fixture.h"
#include "rcl_codec.h"
#include "rcl_keys.h"

#define FUZZ_CLI_WORDS_MAX 64

static char tmpdir[512];

/* ---- Stand-ins (fuzz_cli.h) ---- */

sqlite3 *fuzz_school_store_open(const char *path, enum rcl_db_mode mode, char *err, size_t errlen)
{
    (void)mode;
    snprintf(err, errlen, "%s: no store is opened while fuzzing the command line", path);
    return NULL;
}

sqlite3 *fuzz_agg_store_open(const char *path, struct rcl_agg_config *cfg, char *err, size_t errlen)
{
    if (cfg != NULL)
        memset(cfg, 0, sizeof(*cfg));
    snprintf(err, errlen, "%s: no store is opened while fuzzing the command line", path);
    return NULL;
}

int fuzz_school_pseudonym_key_read(const char *path, uint8_t out[RCL_SCHOOL_PSEUDONYM_KEY_BYTES],
                                   char *err, size_t errlen)
{
    char file[600];
    size_t n = strlen(path);
    int fd;

    snprintf(file, sizeof(file), "%s/pseudonym.key", tmpdir);
    fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_ASSERT(fd >= 0, "%s: cannot create", file);
    FUZZ_ASSERT(write(fd, path, n) == (ssize_t)n && close(fd) == 0, "%s: cannot write", file);
    return rcl_school_pseudonym_key_read(file, out, err, errlen);
}

int fuzz_school_template(const char *path, const struct rcl_sheet_format *f, char *err,
                         size_t errlen)
{
    FUZZ_ASSERT(f->lang == RCL_SHEET_EN || f->lang == RCL_SHEET_ZH, "template in language %d",
                (int)f->lang);
    FUZZ_ASSERT(f->charset == RCL_CHARSET_UTF8 || f->charset == RCL_CHARSET_GB18030,
                "template in character set %d", (int)f->charset);
    snprintf(err, errlen, "%s: no file is written while fuzzing the command line", path);
    return -1;
}

int fuzz_agg_store_create(const char *path, const struct rcl_agg_config *cfg,
                          uint8_t pk[RCL_PK_BYTES], char *err, size_t errlen)
{
    FUZZ_ASSERT(rcl_id_valid(cfg->id), "init would store id '%s'", cfg->id);
    FUZZ_ASSERT(cfg->tier < RCL_AGG_TIER_COUNT, "init would store tier %d", (int)cfg->tier);
    FUZZ_ASSERT(rcl_agg_endpoint_valid(cfg->listen), "init would listen on '%s'", cfg->listen);
    FUZZ_ASSERT(!cfg->has_upstream ||
                    (rcl_agg_endpoint_valid(cfg->upstream) && strchr(cfg->upstream, '*') == NULL),
                "init would report to '%s'", cfg->upstream);
    FUZZ_ASSERT(cfg->stale_seconds >= 86400 && cfg->stale_seconds <= 3650 * 86400 &&
                    cfg->stale_seconds % 86400 == 0,
                "init would store a stale window of %lld seconds", (long long)cfg->stale_seconds);
    memset(pk, 0, RCL_PK_BYTES);
    snprintf(err, errlen, "%s: no store is created while fuzzing the command line", path);
    return -1;
}

int fuzz_agg_run(const char *path, const struct rcl_agg_run_options *opt)
{
    (void)path;
    (void)opt;
    return -1;
}

enum rcl_agg_health_result fuzz_agg_health(const char *path, const struct rcl_agg_health_options *o,
                                           char *line, size_t linelen)
{
    (void)path;
    (void)o;
    snprintf(line, linelen, "no store is checked while fuzzing the command line");
    return RCL_AGG_UNHEALTHY;
}

/* ---- Guards (fuzz_cli.h) ---- */

/* Aborts unless path is inside the temporary folder (no way out through ".."). */
static void require_inside_tmpdir(const char *call, const char *path)
{
    size_t n = strlen(tmpdir);

    FUZZ_ASSERT(tmpdir[0] != '\0' && path != NULL && strncmp(path, tmpdir, n) == 0 &&
                    path[n] == '/' && strstr(path, "/../") == NULL &&
                    strcmp(path + strlen(path) - 3, "/..") != 0,
                "the command line called %s('%s') outside %s: give it a stand-in in fuzz_cli.h",
                call, path != NULL ? path : "(null)", tmpdir);
}

FILE *fuzz_cli_fopen(const char *path, const char *mode)
{
    require_inside_tmpdir("fopen", path);
    return fopen(path, mode);
}

int fuzz_cli_open(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode = 0;

    require_inside_tmpdir("open", path);
    if (flags & O_CREAT) {
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    return open(path, flags, mode);
}

int fuzz_cli_unlink(const char *path)
{
    require_inside_tmpdir("unlink", path);
    return unlink(path);
}

int fuzz_cli_remove(const char *path)
{
    require_inside_tmpdir("remove", path);
    return remove(path);
}

int fuzz_cli_rename(const char *from, const char *to)
{
    require_inside_tmpdir("rename", from);
    require_inside_tmpdir("rename", to);
    return rename(from, to);
}

int fuzz_cli_mkdir(const char *path, mode_t mode)
{
    require_inside_tmpdir("mkdir", path);
    return mkdir(path, mode);
}

/* ---- The shared parsers, word by word ---- */

static void check_word(const char *w)
{
    uint8_t pk[RCL_PK_BYTES];
    char hex[RCL_PK_HEX_LEN + 1];
    enum rcl_agg_tier tier;
    size_t n = strlen(w);

    if (rcl_key_from_hex(w, pk) == 0) {
        /* What was accepted is what `pubkey` would print: same key, lower case. */
        const char *p = w;
        while (isspace((unsigned char)*p))
            p++;
        rcl_key_to_hex(pk, hex);
        for (int i = 0; i < RCL_PK_HEX_LEN; i++)
            FUZZ_ASSERT(tolower((unsigned char)p[i]) == hex[i], "key '%s' printed back as %s", w,
                        hex);
    }
    if (rcl_id_valid(w))
        FUZZ_ASSERT(n >= 1 && n <= RCL_ID_MAX, "id of %zu characters accepted", n);
    if (rcl_agg_endpoint_valid(w))
        FUZZ_ASSERT(n <= RCL_AGG_ENDPOINT_MAX && strncmp(w, "tcp://", 6) == 0,
                    "endpoint '%s' accepted", w);
    if (rcl_agg_school_code_valid(w))
        FUZZ_ASSERT(n == RCL_SCHOOL_ID_LEN, "school code of %zu characters accepted", n);
    if (rcl_agg_tier_parse(w, &tier) == 0)
        FUZZ_ASSERT(strcmp(rcl_agg_tier_names[tier], w) == 0, "tier '%s' accepted", w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text, *argv[FUZZ_CLI_WORDS_MAX + 1], *copy[FUZZ_CLI_WORDS_MAX + 1];
    int argc = 0, rc;

    if (tmpdir[0] == '\0') {
        fuzz_init_process();
        fuzz_tmpdir("cli", tmpdir, sizeof(tmpdir));
        /* Usage texts and public keys go to stdout: not wanted here. */
        FUZZ_ASSERT(freopen("/dev/null", "w", stdout) != NULL, "/dev/null: cannot open");
    }
    text = malloc(size + 1);
    FUZZ_ASSERT(text != NULL, "out of memory");
    if (size > 0)
        memcpy(text, data, size);
    text[size] = '\0';
    for (char *p = text; argc < FUZZ_CLI_WORDS_MAX;) {
        char *nl = strchr(p, '\n');
        argv[argc++] = p;
        if (nl == NULL)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    argv[argc] = NULL;
    for (int i = 0; i < argc; i++)
        check_word(argv[i]);

    /* The programs may permute or keep pointers into argv: each gets its own array. */
    memcpy(copy, argv, sizeof(argv[0]) * (size_t)(argc + 1));
    rc = rcl_school_main(argc, copy);
    FUZZ_ASSERT(rc >= 0 && rc <= 3, "rollcall-school exited %d", rc);
    memcpy(copy, argv, sizeof(argv[0]) * (size_t)(argc + 1));
    rc = rcl_agg_main(argc, copy);
    FUZZ_ASSERT(rc >= 0 && rc <= 2, "rollcall-agg exited %d", rc);
    free(text);
    return 0;
}

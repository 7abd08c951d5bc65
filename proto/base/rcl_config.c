/*
 * rcl_config.c - reading "key = value" configuration files (rcl_config.h).
 */
#include "rcl_config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_keys.h"
#include "rcl_platform.h"

/* A longer line is a mistake (a binary file, a missing newline in a pasted key...). */
#define CONFIG_LINE_MAX 4096
#define CONFIG_FILE_MAX (1024 * 1024)

static char *dup_text(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Cuts a comment off (a '#' at the start or after a blank) and the blanks around. */
static char *trim(char *s)
{
    char *end;

    for (char *p = s; *p; p++) {
        if (*p == '#' && (p == s || is_blank(p[-1]))) {
            *p = '\0';
            break;
        }
    }
    while (is_blank(*s))
        s++;
    end = s + strlen(s);
    while (end > s && is_blank(end[-1]))
        *--end = '\0';
    return s;
}

static const struct rcl_config_key *find_key(const struct rcl_config_key *keys, size_t n,
                                             const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    }
    return NULL;
}

/* "a, b, c" into out. */
static void key_list(const struct rcl_config_key *keys, size_t n, char *out, size_t outlen)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < n && used < outlen; i++) {
        int w = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", keys[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* Parses one line into conf. 0, or -1 with "FILE:LINE: reason". */
static int parse_line(struct rcl_config *conf, char *text, int line,
                      const struct rcl_config_key *keys, size_t n_keys, char *err, size_t errlen)
{
    char *s = trim(text), *eq, *key, *value, why[256], known[512];
    const struct rcl_config_key *k;
    struct rcl_config_entry *grown;

    if (s[0] == '\0')
        return 0;
    eq = strchr(s, '=');
    if (eq == NULL) {
        snprintf(err, errlen, "%s:%d: expected 'key = value', got '%.60s'", conf->path, line, s);
        return -1;
    }
    *eq = '\0';
    key = trim(s);
    value = trim(eq + 1);
    for (char *p = key; *p; p++) {
        if (*p == '_')
            *p = '-';
    }
    k = key[0] ? find_key(keys, n_keys, key) : NULL;
    if (k == NULL) {
        key_list(keys, n_keys, known, sizeof(known));
        snprintf(err, errlen, "%s:%d: unknown key '%.60s' (known: %s)", conf->path, line, key,
                 known);
        return -1;
    }
    for (size_t i = 0; i < conf->n; i++) {
        if (strcmp(conf->entries[i].key, key) == 0) {
            snprintf(err, errlen, "%s:%d: '%s' is set twice (first on line %d)", conf->path, line,
                     key, conf->entries[i].line);
            return -1;
        }
    }
    if (value[0] == '\0') {
        snprintf(err, errlen, "%s:%d: '%s' has no value", conf->path, line, key);
        return -1;
    }
    if (k->check != NULL && k->check(value, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s:%d: %s '%.80s' %s", conf->path, line, key, value, why);
        return -1;
    }
    grown = realloc(conf->entries, (conf->n + 1) * sizeof(*grown));
    if (grown == NULL)
        goto oom;
    conf->entries = grown;
    grown[conf->n].key = dup_text(key, strlen(key));
    grown[conf->n].value = dup_text(value, strlen(value));
    grown[conf->n].line = line;
    conf->n++;
    if (grown[conf->n - 1].key == NULL || grown[conf->n - 1].value == NULL)
        goto oom;
    return 0;
oom:
    snprintf(err, errlen, "%s:%d: out of memory", conf->path, line);
    return -1;
}

struct rcl_config *rcl_config_load(const char *path, const struct rcl_config_key *keys,
                                   size_t n_keys, char *err, size_t errlen)
{
    struct rcl_config *conf = calloc(1, sizeof(*conf));
    char *text = NULL;
    size_t cap = 0;
    ptrdiff_t got;
    struct rcl_file_info sb;
    FILE *f = NULL;
    int line = 0;

    if (conf == NULL || (conf->path = dup_text(path, strlen(path))) == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    /* stat first: opening a FIFO would wait for a writer. */
    if (rcl_stat(path, &sb) != 0 || (f = rcl_fopen(path, "r")) == NULL) {
        snprintf(err, errlen, "%s: cannot read the configuration: %s", path, strerror(errno));
        goto fail;
    }
    if (!sb.regular) {
        snprintf(err, errlen, "%s: not a regular file", path);
        goto fail;
    }
    if (sb.size > CONFIG_FILE_MAX) {
        snprintf(err, errlen, "%s: larger than %d bytes: not a configuration file", path,
                 CONFIG_FILE_MAX);
        goto fail;
    }
    while ((got = rcl_getline(&text, &cap, f)) >= 0) {
        size_t len = (size_t)got;
        line++;
        if (len > CONFIG_LINE_MAX) {
            snprintf(err, errlen, "%s:%d: line longer than %d bytes", path, line, CONFIG_LINE_MAX);
            goto fail;
        }
        if (memchr(text, '\0', len) != NULL) {
            snprintf(err, errlen, "%s:%d: a NUL byte: not a text file", path, line);
            goto fail;
        }
        if (parse_line(conf, text, line, keys, n_keys, err, errlen) != 0)
            goto fail;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s:%d: read error", path, line + 1);
        goto fail;
    }
    fclose(f);
    free(text);
    return conf;
fail:
    if (f != NULL)
        fclose(f);
    free(text);
    rcl_config_destroy(&conf);
    return NULL;
}

void rcl_config_destroy(struct rcl_config **conf)
{
    if (conf == NULL || *conf == NULL)
        return;
    for (size_t i = 0; i < (*conf)->n; i++) {
        free((*conf)->entries[i].key);
        free((*conf)->entries[i].value);
    }
    free((*conf)->entries);
    free((*conf)->path);
    free(*conf);
    *conf = NULL;
}

const char *rcl_config_get(const struct rcl_config *conf, const char *key)
{
    for (size_t i = 0; conf != NULL && i < conf->n; i++) {
        if (strcmp(conf->entries[i].key, key) == 0)
            return conf->entries[i].value;
    }
    return NULL;
}

const char *rcl_config_default_path(const char *env_name, const char *builtin)
{
    const char *env = getenv(env_name);
    bool exists = false;

    if (env != NULL)
        return env[0] ? env : NULL;
    return rcl_path_exists(builtin, &exists) == 0 && exists ? builtin : NULL;
}

int rcl_config_bool(const char *value)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
                                                                                "off", "0"};

    for (size_t i = 0; i < 4; i++) {
        if (strcmp(value, yes[i]) == 0)
            return 1;
        if (strcmp(value, no[i]) == 0)
            return 0;
    }
    return -1;
}

int rcl_config_check_log_level(const char *value, char *why, size_t whylen)
{
    static const char *const words[] = {"debug", "info", "warn", "error"};

    for (size_t i = 0; i < 4; i++) {
        if (strcmp(value, words[i]) == 0)
            return 0;
    }
    snprintf(why, whylen, "must be debug, info, warn or error");
    return -1;
}

int rcl_config_check_key(const char *value, char *why, size_t whylen)
{
    uint8_t pk[RCL_PK_BYTES];

    if (rcl_key_from_hex(value, pk) == 0)
        return 0;
    snprintf(why, whylen, "is not a public key (64 hex characters, as pubkey prints it)");
    return -1;
}

int rcl_config_check_tcp(const char *value, char *why, size_t whylen)
{
    if (strncmp(value, "tcp://", 6) == 0 && value[6] != '\0' && strchr(value + 6, ':') != NULL)
        return 0;
    snprintf(why, whylen, "is not a tcp://HOST:PORT endpoint");
    return -1;
}

int rcl_config_check_bool(const char *value, char *why, size_t whylen)
{
    if (rcl_config_bool(value) >= 0)
        return 0;
    snprintf(why, whylen, "must be true or false");
    return -1;
}

int rcl_config_check_number(const char *value, long max, char *why, size_t whylen)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(value, &end, 10);
    if (value[0] >= '0' && value[0] <= '9' && *end == '\0' && errno == 0 && v >= 1 && v <= max)
        return 0;
    snprintf(why, whylen, "must be a whole number from 1 to %ld", max);
    return -1;
}

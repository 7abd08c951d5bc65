/*
 * rcl_config.h - configuration files of both programs: "key = value" lines,
 * '#' starts a comment (at the start of a line, or after a blank).
 *
 * Keys are the programs' option names without the dashes ("upstream-key";
 * "upstream_key" is read the same). A command takes from the file the keys
 * that are options of that command; what its command line gives wins. Every
 * error names the file and line: "agg.conf:7: unknown key 'lisen' (...)".
 */
#ifndef RCL_CONFIG_H
#define RCL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* A key a program accepts, and the check of its value (NULL: any non-empty text). */
struct rcl_config_key {
    const char *name;
    /* 0, or -1 with why the value is wrong in why ("must be ..."). */
    int (*check)(const char *value, char *why, size_t whylen);
};

struct rcl_config_entry {
    char *key; /* normalised: '_' read as '-' */
    char *value;
    int line;
};

struct rcl_config {
    char *path;
    struct rcl_config_entry *entries;
    size_t n;
};

/*
 * Reads path and checks every line against keys (n_keys of them). Returns
 * the configuration, or NULL with "FILE:LINE: reason" (or "FILE: reason"
 * when the file cannot be read) in err. Free with rcl_config_destroy.
 */
struct rcl_config *rcl_config_load(const char *path, const struct rcl_config_key *keys,
                                   size_t n_keys, char *err, size_t errlen);
void rcl_config_destroy(struct rcl_config **conf);

/* The value of key, or NULL when the file does not set it. Owned by conf. */
const char *rcl_config_get(const struct rcl_config *conf, const char *key);

/*
 * The file to read when the command line names none: $env_name when set
 * (empty: none), else builtin when it exists, else NULL.
 */
const char *rcl_config_default_path(const char *env_name, const char *builtin);

/* true/yes/on/1 → 1, false/no/off/0 → 0, anything else -1. */
int rcl_config_bool(const char *value);

/* Checks shared by both programs' key tables. */
int rcl_config_check_log_level(const char *value, char *why, size_t whylen);
int rcl_config_check_key(const char *value, char *why, size_t whylen);
int rcl_config_check_tcp(const char *value, char *why, size_t whylen);
int rcl_config_check_bool(const char *value, char *why, size_t whylen);
/* A whole number from 1 to max, for the checks below. */
int rcl_config_check_number(const char *value, long max, char *why, size_t whylen);

#endif

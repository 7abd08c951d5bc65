/*
 * agg_cli.h - what rollcall-agg's commands (agg_cmd.h) share: the exit
 * codes, option parsing (options as "--name VALUE", "--name=VALUE" or
 * "--flag", one positional argument), the usage errors, which name the
 * command and point to its --help, and opening the store.
 */
#ifndef RCL_AGG_CLI_H
#define RCL_AGG_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define RCL_AGG_PROGRAM "rollcall-agg"
#define RCL_AGG_STALE_DAYS_MAX 3650

struct rcl_agg_config;

/* Exit codes (DESIGN.md: Command-line contract). */
enum rcl_agg_exit {
    RCL_AGG_EXIT_OK = 0,
    RCL_AGG_EXIT_DATA = 1,  /* a user or data error; the message says what and where */
    RCL_AGG_EXIT_USAGE = 2, /* a missing, unknown or malformed option */
    /* 3 is `health`'s "only the upstream lags" (agg_health.h) */
    RCL_AGG_EXIT_NEWER_STORE = 4, /* the store was written by a newer program: not retried */
};

/* One option a command accepts: value for an option with a value, flag for a flag. */
struct rcl_agg_opt {
    const char *name;   /* without the leading "--" */
    const char **value; /* set to the value (pointing into argv); NULL for a flag */
    bool *flag;         /* set to true when given; NULL for an option with a value */
};

/* Prints "cmd: message" and where the command's options are described, on stderr. */
void rcl_agg_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Parses argv[0..argc) against opts[0..n), then fills the options it left
 * unset from the configuration file (--config FILE, else the default file
 * when it exists; agg_conf.h): the command line wins. Values taken from the
 * file stay valid until the process exits. Returns 0, 1 when --help (or -h)
 * was asked for, or -1 after printing a usage error (unknown option, a value
 * missing or given twice, an argument that is not an option) or
 * "FILE:LINE: reason".
 */
int rcl_agg_opts_parse(const char *cmd, int argc, char **argv, struct rcl_agg_opt *opts, size_t n);

/*
 * Handles rcl_agg_opts_parse's result rc: prints help on stdout when it was
 * asked for. Returns -2 when the command carries on, else its exit code.
 */
int rcl_agg_opts_result(int rc, const char *help);

/*
 * Takes the one positional argument (the first that is neither an option
 * nor an option's value) out of argv: *word receives it (NULL if none), rest
 * (argc + 1 pointers, the caller's) the others, for rcl_agg_opts_parse.
 */
void rcl_agg_opts_positional(int argc, char **argv, const struct rcl_agg_opt *opts, size_t n,
                             const char **word, char **rest, int *n_rest);

/* 0 when value is given and not empty, else -1 after a usage error naming --name. */
int rcl_agg_opt_require(const char *cmd, const char *name, const char *value);

/*
 * Parses --stale-days (1 to RCL_AGG_STALE_DAYS_MAX) into *seconds; s NULL
 * leaves 0. Returns 0, or -1 after a usage error.
 */
int rcl_agg_stale_days_parse(const char *cmd, const char *s, int64_t *seconds);

/*
 * Parses --deadline (agg_timeliness.h) into *at; with none_ok, "none" gives
 * -1. 0, or -1 after a usage error naming cmd.
 */
int rcl_agg_deadline_opt(const char *cmd, const char *s, bool none_ok, int64_t *at);

/*
 * Opens the existing store at path for command cmd, filling *cfg unless cfg
 * is NULL. Returns the handle (the caller closes it with rcl_db_close), or
 * NULL after logging "cmd: reason db=PATH" as an ERROR line.
 */
sqlite3 *rcl_agg_cli_store_open(const char *cmd, const char *path, struct rcl_agg_config *cfg);

#endif

/*
 * agg_cli.c - option parsing, usage errors and opening the store, shared by
 * rollcall-agg's commands.
 */
#include "agg_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_conf.h"
#include "agg_store.h"
#include "agg_timeliness.h"
#include "rcl_log.h"

void rcl_agg_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(rollcall-agg %s --help shows the options)\n", cmd);
}

/* The configuration file of this run; option values point into it until exit. */
static struct rcl_config *agg_conf;

/* Fills what the command line left unset from the file. 0, or -1 after saying why. */
static int fill_from_config(const char *cmd, const char *file, struct rcl_agg_opt *opts, size_t n)
{
    char err[1024];

    /* A previous command in this process (the fuzz driver runs many) is done with its values. */
    rcl_config_destroy(&agg_conf);
    agg_conf = rcl_agg_conf_load(file, err, sizeof(err));
    if (!agg_conf) {
        if (err[0])
            fprintf(stderr, "%s: %s\n", cmd, err);
        return err[0] ? -1 : 0;
    }
    for (size_t k = 0; k < n; k++) {
        const char *v = rcl_config_get(agg_conf, opts[k].name);
        if (v && opts[k].value && !*opts[k].value)
            *opts[k].value = v;
    }
    rcl_log_configure(rcl_config_get(agg_conf, "log-level"));
    return 0;
}

/*
 * Parses "--name VALUE", "--name=VALUE" and "--flag", then --config FILE (or
 * the default file) for what is left unset. Returns 0, 1 when --help was
 * asked for, or -1 after printing a usage error.
 */
int rcl_agg_opts_parse(const char *cmd, int argc, char **argv, struct rcl_agg_opt *opts, size_t n)
{
    const char *config = NULL;
    struct rcl_agg_opt config_opt = {"config", &config, NULL};

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *eq;
        size_t len;
        struct rcl_agg_opt *o = NULL;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return 1;
        if (strncmp(a, "--", 2) != 0) {
            rcl_agg_usage_error(cmd, "unexpected argument '%s'", a);
            return -1;
        }
        a += 2;
        eq = strchr(a, '=');
        len = eq ? (size_t)(eq - a) : strlen(a);
        for (size_t k = 0; k < n; k++) {
            if (strlen(opts[k].name) == len && strncmp(opts[k].name, a, len) == 0)
                o = &opts[k];
        }
        if (len == 6 && strncmp(a, "config", 6) == 0)
            o = &config_opt;
        if (!o) {
            rcl_agg_usage_error(cmd, "unknown option '%s'", argv[i]);
            return -1;
        }
        if (o->flag) {
            if (eq) {
                rcl_agg_usage_error(cmd, "option '--%s' takes no value", o->name);
                return -1;
            }
            *o->flag = true;
            continue;
        }
        if (*o->value) {
            rcl_agg_usage_error(cmd, "option '--%s' is given twice", o->name);
            return -1;
        }
        if (eq) {
            *o->value = eq + 1;
        } else if (i + 1 < argc) {
            *o->value = argv[++i];
        } else {
            rcl_agg_usage_error(cmd, "option '--%s' needs a value", o->name);
            return -1;
        }
    }
    return fill_from_config(cmd, config, opts, n);
}

int rcl_agg_opts_result(int rc, const char *help)
{
    if (rc == 1) {
        fputs(help, stdout);
        return RCL_AGG_EXIT_OK;
    }
    return rc < 0 ? RCL_AGG_EXIT_USAGE : -2;
}

int rcl_agg_opt_require(const char *cmd, const char *name, const char *value)
{
    if (value && value[0])
        return 0;
    rcl_agg_usage_error(cmd, "missing required option --%s", name);
    return -1;
}

int rcl_agg_stale_days_parse(const char *cmd, const char *s, int64_t *seconds)
{
    char *end;
    long v;

    *seconds = 0;
    if (!s)
        return 0;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 1 || v > RCL_AGG_STALE_DAYS_MAX) {
        rcl_agg_usage_error(cmd, "--stale-days '%s' must be a whole number of days from 1 to %d", s,
                            RCL_AGG_STALE_DAYS_MAX);
        return -1;
    }
    *seconds = (int64_t)v * 86400;
    return 0;
}

int rcl_agg_deadline_opt(const char *cmd, const char *s, bool none_ok, int64_t *at)
{
    if (none_ok && strcmp(s, "none") == 0) {
        *at = -1;
        return 0;
    }
    if (rcl_agg_deadline_parse(s, at) == 0 && *at > 0)
        return 0;
    rcl_agg_usage_error(cmd,
                        "--deadline '%s' is not a time like 2020-03-06T18:00+08:00, "
                        "2020-03-06 18:00 (this server's local time) or 2020-03-06 (its end)%s",
                        s, none_ok ? ", or none" : "");
    return -1;
}

/*
 * Takes the one positional argument (the first that is neither an option nor
 * an option's value) out of argv: *word receives it, rest the others. rest
 * holds argc + 1 pointers.
 */
void rcl_agg_opts_positional(int argc, char **argv, const struct rcl_agg_opt *opts, size_t n,
                             const char **word, char **rest, int *n_rest)
{
    *word = NULL;
    *n_rest = 0;
    for (int i = 0; i < argc; i++) {
        bool takes_value = false;

        for (size_t k = 0; k < n && strncmp(argv[i], "--", 2) == 0; k++)
            takes_value |= !opts[k].flag && strcmp(argv[i] + 2, opts[k].name) == 0;
        takes_value |= strcmp(argv[i], "--config") == 0;
        if (takes_value && i + 1 < argc) {
            rest[(*n_rest)++] = argv[i++];
            rest[(*n_rest)++] = argv[i];
        } else if (argv[i][0] == '-' || *word) {
            rest[(*n_rest)++] = argv[i];
        } else {
            *word = argv[i];
        }
    }
}

sqlite3 *rcl_agg_cli_store_open(const char *cmd, const char *path, struct rcl_agg_config *cfg)
{
    char err[512];
    sqlite3 *db = rcl_agg_store_open(path, cfg, err, sizeof(err));

    if (!db)
        rcl_log_write(RCL_LOG_ERROR, "%s: %s db=%s", cmd, err, rcl_log_value(path));
    return db;
}

/*
 * agg_cli.c - rollcall-agg's option parsing and its configuration file.
 */
#include "agg_cli.h"

#include <stdio.h>
#include <string.h>

#include "agg_conf.h"
#include "rcl_log.h"

#define PROGRAM "rollcall-agg"

/* The configuration file of this run; option values point into it until exit. */
static struct rcl_config *agg_conf;

void rcl_agg_cli_usage_verror(const char *cmd, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(" PROGRAM " %s --help shows the options)\n", cmd);
}

static void usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    rcl_agg_cli_usage_verror(cmd, fmt, ap);
    va_end(ap);
}

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

int rcl_agg_cli_parse(const char *cmd, int argc, char **argv, struct rcl_agg_opt *opts, size_t n)
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
            usage_error(cmd, "unexpected argument '%s'", a);
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
            usage_error(cmd, "unknown option '%s'", argv[i]);
            return -1;
        }
        if (o->flag) {
            if (eq) {
                usage_error(cmd, "option '--%s' takes no value", o->name);
                return -1;
            }
            *o->flag = true;
            continue;
        }
        if (*o->value) {
            usage_error(cmd, "option '--%s' is given twice", o->name);
            return -1;
        }
        if (eq) {
            *o->value = eq + 1;
        } else if (i + 1 < argc) {
            *o->value = argv[++i];
        } else {
            usage_error(cmd, "option '--%s' needs a value", o->name);
            return -1;
        }
    }
    return fill_from_config(cmd, config, opts, n);
}

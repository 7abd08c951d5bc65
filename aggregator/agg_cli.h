/*
 * agg_cli.h - rollcall-agg's option parsing: "--name VALUE", "--name=VALUE",
 * "--flag", and --config FILE for what the command line leaves unset.
 */
#ifndef AGG_CLI_H
#define AGG_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* One option of a command. */
struct rcl_agg_opt {
    const char *name;   /* without the leading "--" */
    const char **value; /* for an option with a value; set to a string in argv or the file */
    bool *flag;         /* for a flag */
};

/*
 * Parses argv (after the command name) into opts, then fills the options it
 * left unset from the configuration file (--config FILE, else the default
 * file when it exists; agg_conf.h): the command line wins. Values taken from
 * the file stay valid until the process exits. Returns 0, 1 when --help was
 * asked for, or -1 after printing a usage error or "FILE:LINE: reason".
 */
int rcl_agg_cli_parse(const char *cmd, int argc, char **argv, struct rcl_agg_opt *opts, size_t n);

/* Prints "CMD: message" and the pointer to --help on stderr. */
void rcl_agg_cli_usage_verror(const char *cmd, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif

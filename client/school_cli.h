/*
 * school_cli.h - what rollcall-school's commands (school_cmd.h) share: the
 * description of a command and its options, parsing the command line
 * against it (options in any order, "--opt value" or "--opt=value", then the
 * configuration file), usage errors, and opening the store.
 */
#ifndef RCL_SCHOOL_CLI_H
#define RCL_SCHOOL_CLI_H

#include <stdbool.h>

#include <sqlite3.h>

#include "import.h" /* struct rcl_import_reason_zh */
#include "rcl_platform.h"
#include "reason.h"
#include "school_store.h"
#include "sheet.h"

#define RCL_SCHOOL_PROGRAM "rollcall-school"
#define RCL_SCHOOL_OPTS_MAX 20

/* One option a command accepts. */
struct rcl_school_option {
    const char *name;  /* without the leading "--" */
    const char *value; /* what the value is called in usage, or NULL for a flag */
    bool required;
};

struct rcl_school_args;

/* What a command does with the store: one that writes is refused while serve holds it. */
enum rcl_school_store_use {
    RCL_SCHOOL_STORE_READS = 0,
    RCL_SCHOOL_STORE_WRITES,
    RCL_SCHOOL_STORE_SERVES, /* serve: holds it alone */
};

/* One command: what its usage and --help print, its options, what runs it. */
struct rcl_school_command {
    const char *name;
    const char *usage; /* the arguments, after the command name */
    const char *help;  /* what it does, for --help */
    struct rcl_school_option opts[RCL_SCHOOL_OPTS_MAX];
    const char *positional;                      /* name of the one positional argument, or NULL */
    int (*run)(const struct rcl_school_args *a); /* returns the exit code (exit_codes.h) */
    enum rcl_school_store_use store_use;
};

/* A parsed command line. */
struct rcl_school_args {
    const struct rcl_school_command *cmd;
    const char *values[RCL_SCHOOL_OPTS_MAX]; /* by option index; "" for a flag that is set */
    const char *positional;
    /* The language of what the command says on its output and errors (not its log lines, always
     * English): --lang, else the locale's, else English, which operators' scripts read. */
    enum rcl_sheet_lang says;
};

/*
 * Parses argv (the words after the command name) into *a, then takes what it
 * left unset from the configuration file (--config FILE, else the default
 * one when it exists; the command line wins). Values point into argv or the
 * file, valid until the process exits. Returns -1 when the command is to
 * run, else the exit code after printing --help or a usage error.
 */
int rcl_school_opts_parse(const struct rcl_school_command *cmd, int argc, char **argv,
                          struct rcl_school_args *a);

/* The value of option name, or NULL when not given. */
const char *rcl_school_opt(const struct rcl_school_args *a, const char *name);

/*
 * Reads option name as whole seconds, 1 up to a week, into *out (deflt when not given).
 * Returns -1 when it fits, else the usage exit code after saying why.
 */
int rcl_school_opt_seconds(const struct rcl_school_args *a, const char *name, int deflt, int *out);

/*
 * The language the locale asks for: the first of LC_ALL, LC_MESSAGES and LANG that is set
 * (else, on Windows, the user's display language) Chinese when it starts with "zh", English
 * with "en"; unsaid when it is neither (C, POSIX) or nothing is set.
 */
enum rcl_sheet_lang rcl_school_locale_lang(enum rcl_sheet_lang unsaid);

/*
 * Reads --lang (zh or en) into *out, deflt when not given. Returns -1 when fine, else the
 * usage exit code after saying why.
 */
int rcl_school_opt_lang(const struct rcl_school_args *a, enum rcl_sheet_lang deflt,
                        enum rcl_sheet_lang *out);

/*
 * Says what is wrong with the command line, and how it should look, on
 * stderr: in Chinese when the locale is (rcl_school_locale_lang; the
 * options, --lang among them, are what may be wrong) and usage_zh.c words
 * fmt. Returns the usage exit code.
 */
int rcl_school_usage_error(const struct rcl_school_command *cmd, const char *fmt, ...)
    RCL_PRINTF_LIKE(2, 3);

/* rcl_school_usage_error with why, in the language the locale asks for. */
int rcl_school_usage_reason(const struct rcl_school_command *cmd, const struct rcl_reason *why);

/* Usage errors' Chinese wordings (usage_zh.c), and the one of fmt, or NULL. */
extern const struct rcl_import_reason_zh rcl_usage_reasons_zh[];
extern const size_t rcl_usage_reasons_zh_count; /* rcl_usage_reason_zh is in reason.h */

/*
 * Opens the existing store named by --db and loads its meta into *m; for a
 * command that writes, takes the store's lock first (school_store.h), held
 * until the next call or the process ends. Returns
 * the handle (the caller wipes *m with rcl_school_meta_wipe and closes the
 * handle with rcl_db_close), or NULL after saying why on stderr.
 */
sqlite3 *rcl_school_cli_store_open(const struct rcl_school_args *a, struct rcl_school_meta *m);

/* Takes the lock of the command (as rcl_school_cli_store_open does) on --db's path, which need
 * not hold a store yet. 0, or -1 after saying why. */
int rcl_school_cli_store_lock(const struct rcl_school_args *a);

/* Gives up the lock rcl_school_cli_store_open took (after the store is closed). */
void rcl_school_cli_store_release(void);

#endif

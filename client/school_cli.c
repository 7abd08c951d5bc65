/*
 * school_cli.c - rollcall-school's option parsing, usage errors and opening
 * the store, shared by its commands (school_cmd.h).
 */
#include "school_cli.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "rcl_log.h"
#include "school_conf.h"

/* Says what is wrong with the command line, and how it should look. Returns the usage exit code. */
int rcl_school_usage_error(const struct rcl_school_command *cmd, const char *fmt, ...)
{
    const char *zh =
        rcl_school_locale_lang(RCL_SHEET_EN) == RCL_SHEET_ZH ? rcl_usage_reason_zh(fmt) : NULL;
    va_list ap;

    fprintf(stderr, zh != NULL ? "%s %s：" : "%s %s: ", RCL_SCHOOL_PROGRAM, cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, zh != NULL ? zh : fmt, ap);
    va_end(ap);
    fprintf(stderr, zh != NULL ? "\n用法：%s %s %s\n" : "\nusage: %s %s %s\n", RCL_SCHOOL_PROGRAM,
            cmd->name, cmd->usage);
    return RCL_SCHOOL_EXIT_USAGE;
}

int rcl_school_usage_reason(const struct rcl_school_command *cmd, const struct rcl_reason *why)
{
    return rcl_school_usage_error(
        cmd, "%s", rcl_school_locale_lang(RCL_SHEET_EN) == RCL_SHEET_ZH ? why->zh : why->en);
}

static int find_option(const struct rcl_school_command *cmd, const char *name, size_t len)
{
    for (int i = 0; i < RCL_SCHOOL_OPTS_MAX && cmd->opts[i].name != NULL; i++) {
        if (strlen(cmd->opts[i].name) == len && strncmp(cmd->opts[i].name, name, len) == 0)
            return i;
    }
    return -1;
}

/* The configuration file of this run; option values point into it until exit. */
static struct rcl_config *school_conf;

/*
 * Fills the options the command line left unset from the configuration file
 * (file from --config, else the default one when it exists). Returns -1 to
 * go on, else the exit code after printing "FILE:LINE: reason".
 */
static int fill_from_config(const struct rcl_school_command *cmd, const char *file,
                            struct rcl_school_args *a)
{
    char err[1024];

    /* A previous command in this process (the fuzz driver runs many) is done with its values. */
    rcl_config_destroy(&school_conf);
    school_conf = rcl_school_conf_load(file, err, sizeof(err));
    if (school_conf == NULL) {
        if (err[0] == '\0')
            return -1;
        fprintf(stderr, "%s %s: %s\n", RCL_SCHOOL_PROGRAM, cmd->name, err);
        return RCL_SCHOOL_EXIT_USAGE;
    }
    for (int o = 0; o < RCL_SCHOOL_OPTS_MAX && cmd->opts[o].name != NULL; o++) {
        const char *v = rcl_config_get(school_conf, cmd->opts[o].name);
        if (v != NULL && cmd->opts[o].value != NULL && a->values[o] == NULL)
            a->values[o] = v;
    }
    rcl_log_configure(rcl_config_get(school_conf, "log-level"));
    return -1;
}

/*
 * Parses argv (after the command name) into a, then takes what it left unset
 * from the configuration file (--config FILE). Returns -1 when done (run
 * it), else an exit code.
 */
int rcl_school_opts_parse(const struct rcl_school_command *cmd, int argc, char **argv,
                          struct rcl_school_args *a)
{
    bool options_done = false;
    const char *config = NULL;
    int rc;

    memset(a, 0, sizeof(*a));
    a->cmd = cmd;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)) {
            printf("usage: %s %s %s\n\n%s\n", RCL_SCHOOL_PROGRAM, cmd->name, cmd->usage, cmd->help);
            return RCL_SCHOOL_EXIT_OK;
        }
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (!options_done && arg[0] == '-' && arg[1] != '\0') {
            if (arg[1] != '-')
                return rcl_school_usage_error(cmd, "unknown option '%s'", arg);
            const char *name = arg + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
            int o = find_option(cmd, name, len);
            if (o < 0 && len == 6 && strncmp(name, "config", 6) == 0) {
                if (config != NULL)
                    return rcl_school_usage_error(cmd, "option --config is given twice");
                if (eq == NULL && i + 1 >= argc)
                    return rcl_school_usage_error(cmd, "option --config needs a value");
                config = eq != NULL ? eq + 1 : argv[++i];
                continue;
            }
            if (o < 0)
                return rcl_school_usage_error(cmd, "unknown option '%s'", arg);
            const struct rcl_school_option *spec = &cmd->opts[o];
            if (a->values[o] != NULL)
                return rcl_school_usage_error(cmd, "option --%s is given twice", spec->name);
            if (spec->value == NULL) {
                if (eq != NULL)
                    return rcl_school_usage_error(cmd, "option --%s takes no value", spec->name);
                a->values[o] = "";
            } else if (eq != NULL) {
                a->values[o] = eq + 1;
            } else if (i + 1 < argc) {
                a->values[o] = argv[++i];
            } else {
                return rcl_school_usage_error(cmd, "option --%s needs a value", spec->name);
            }
            continue;
        }
        if (cmd->positional == NULL || a->positional != NULL)
            return rcl_school_usage_error(cmd, "unexpected argument '%s'", arg);
        a->positional = arg;
    }
    if ((rc = fill_from_config(cmd, config, a)) >= 0)
        return rc;
    for (int o = 0; o < RCL_SCHOOL_OPTS_MAX && cmd->opts[o].name != NULL; o++) {
        if (cmd->opts[o].required && a->values[o] == NULL)
            return rcl_school_usage_error(cmd, "missing --%s %s", cmd->opts[o].name,
                                          cmd->opts[o].value);
    }
    if (cmd->positional != NULL && a->positional == NULL)
        return rcl_school_usage_error(cmd, "missing %s", cmd->positional);
    return rcl_school_opt_lang(a, rcl_school_locale_lang(RCL_SHEET_EN), &a->says);
}

/* The value of option name, or NULL when not given. */
const char *rcl_school_opt(const struct rcl_school_args *a, const char *name)
{
    int o = find_option(a->cmd, name, strlen(name));
    return o < 0 ? NULL : a->values[o];
}

#define OPT_SECONDS_MAX (7 * 24 * 3600)

int rcl_school_opt_seconds(const struct rcl_school_args *a, const char *name, int deflt, int *out)
{
    const char *t = rcl_school_opt(a, name);
    char *end = NULL;
    long v;

    *out = deflt;
    if (t == NULL)
        return -1;
    v = strtol(t, &end, 10);
    if (t[0] < '0' || t[0] > '9' || *end != '\0' || v < 1 || v > OPT_SECONDS_MAX)
        return rcl_school_usage_error(
            a->cmd, "--%s '%s' must be a whole number of seconds, 1 or more", name, t);
    *out = (int)v;
    return -1;
}

enum rcl_sheet_lang rcl_school_locale_lang(enum rcl_sheet_lang unsaid)
{
    const char *env[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    const char *v = NULL;

    for (size_t i = 0; i < sizeof(env) / sizeof(env[0]) && v == NULL; i++) {
        v = getenv(env[i]);
        if (v != NULL && v[0] == '\0')
            v = NULL;
    }
    if (v == NULL)
        v = rcl_ui_language();
    if (v != NULL && strncmp(v, "zh", 2) == 0)
        return RCL_SHEET_ZH;
    if (v != NULL && strncmp(v, "en", 2) == 0)
        return RCL_SHEET_EN;
    return unsaid;
}

int rcl_school_opt_lang(const struct rcl_school_args *a, enum rcl_sheet_lang deflt,
                        enum rcl_sheet_lang *out)
{
    const char *lang = rcl_school_opt(a, "lang");

    *out = deflt;
    if (lang == NULL)
        return -1;
    if (strcmp(lang, "zh") == 0)
        *out = RCL_SHEET_ZH;
    else if (strcmp(lang, "en") == 0)
        *out = RCL_SHEET_EN;
    else
        return rcl_school_usage_error(a->cmd, "unknown language '%s' (zh or en)", lang);
    return -1;
}

/* The store lock of this run's command (school_store.h), or NULL. */
static struct rcl_lock *store_lock;

/* Gives up the store lock before the process ends (serve empties the lock file so). */
void rcl_school_cli_store_release(void)
{
    rcl_school_store_unlock(&store_lock);
}

/* After the log's ERROR line, the same for a clerk when the command speaks Chinese. */
static void RCL_PRINTF_LIKE(2, 3)
    store_refused_zh(const struct rcl_school_args *a, const char *fmt, ...)
{
    va_list ap;

    if (a->says != RCL_SHEET_ZH)
        return;
    fprintf(stderr, "%s %s：", RCL_SCHOOL_PROGRAM, a->cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int rcl_school_cli_store_lock(const struct rcl_school_args *a)
{
    const char *path = rcl_school_opt(a, "db");
    char err[512];
    int held;

    rcl_school_store_unlock(&store_lock);
    if (a->cmd->store_use == RCL_SCHOOL_STORE_READS)
        return 0;
    held =
        rcl_school_store_lock(path,
                              a->cmd->store_use == RCL_SCHOOL_STORE_SERVES ? RCL_SCHOOL_LOCK_SERVE
                                                                           : RCL_SCHOOL_LOCK_WRITER,
                              &store_lock, err, sizeof(err));
    if (held == 0)
        return 0;
    rcl_log_write(RCL_LOG_ERROR, "%s: %s db=%s", a->cmd->name, err, rcl_log_value(path));
    if (held > 0)
        store_refused_zh(a,
                         "本校的数据“%s”正由另一个 rollcall-school 使用（如 serve "
                         "的页面，或 sync --watch）：请在页面上操作，或先关掉它",
                         path);
    else
        store_refused_zh(a, "无法使用本校的数据“%s”：文件夹不存在或不能写入，原因见上一行", path);
    return -1;
}

/*
 * Opens an existing store and loads its meta. Returns the handle, or NULL
 * after logging why (an ERROR line, whatever the log level).
 */
sqlite3 *rcl_school_cli_store_open(const struct rcl_school_args *a, struct rcl_school_meta *m)
{
    const char *path = rcl_school_opt(a, "db");
    char err[512];
    sqlite3 *db = NULL;
    bool exists = true;

    db = rcl_school_store_open(path, RCL_DB_EXISTING, err, sizeof(err));
    if (db == NULL) {
        rcl_log_write(RCL_LOG_ERROR, "%s: %s db=%s", a->cmd->name, err, rcl_log_value(path));
        if (rcl_path_exists(path, &exists) == 0 && !exists)
            store_refused_zh(a,
                             "找不到本校的数据“%s”：请检查 --db 是否写对，或先用 rollcall-school "
                             "init 建立",
                             path);
        else
            store_refused_zh(a, "打不开本校的数据“%s”，原因见上一行", path);
        return NULL;
    }
    /* Taken once the store is known to exist, so no lock file is left beside a wrong path. */
    if (rcl_school_cli_store_lock(a) != 0) {
        rcl_db_close(&db);
        return NULL;
    }
    if (rcl_school_meta_load(db, m, err, sizeof(err)) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "%s: %s db=%s", a->cmd->name, err, rcl_log_value(path));
        store_refused_zh(a, "“%s”不是本校的数据，或已损坏，原因见上一行", path);
        rcl_db_close(&db);
        return NULL;
    }
    return db;
}

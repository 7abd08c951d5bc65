/*
 * main.c - rollcall-school: the school's command line.
 *
 * Parses the command and its options (any order, "--opt value" or
 * "--opt=value"), checks them, and hands over to the module that does the
 * work. Exit codes: exit_codes.h.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "bundle.h"
#include "edit.h"
#include "exit_codes.h"
#include "export.h"
#include "import.h"
#include "pseudonym.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_outbox.h"
#include "report.h"
#include "school_conf.h"
#include "school_store.h"
#include "status.h"
#include "sync.h"

#define PROGRAM "rollcall-school"
#define OPTS_MAX 16
#define DEFAULT_TIMEOUT_S 30
#define MAX_TIMEOUT_S (7 * 24 * 3600)

/* ---- Command table ---- */

struct option_spec {
    const char *name;  /* without the leading "--" */
    const char *value; /* what the value is called in usage, or NULL for a flag */
    bool required;
};

struct args {
    const struct command *cmd;
    const char *values[OPTS_MAX]; /* by option index; "" for a flag that is set */
    const char *positional;
};

struct command {
    const char *name;
    const char *usage; /* the arguments, after the command name */
    const char *help;  /* what it does, for --help */
    struct option_spec opts[OPTS_MAX];
    const char *positional; /* name of the one positional argument, or NULL */
    int (*run)(const struct args *a);
};

static int cmd_init(const struct args *a);
static int cmd_pubkey(const struct args *a);
static int cmd_rotate_key(const struct args *a);
static int cmd_set_upstream(const struct args *a);
static int cmd_import(const struct args *a);
static int cmd_sync(const struct args *a);
static int cmd_status(const struct args *a);
static int cmd_report(const struct args *a);
static int cmd_bundle(const struct args *a);
static int cmd_edit(const struct args *a);
static int cmd_template(const struct args *a);
static int cmd_export(const struct args *a);

static const struct command commands[] = {
    {"init",
     "--db FILE --school ID --county CODE --name NAME --upstream ENDPOINT --upstream-key KEY "
     "[--pseudonym-key-file FILE]",
     "Creates the school's store with a new identity key and prints its public key,\n"
     "which the county enrolls. ID is the 10-digit school code, CODE the 6-digit county\n"
     "code, ENDPOINT the county's tcp:// address and KEY its public key (64 hex\n"
     "characters). The pseudonym key file holds the province's key as 64 hex\n"
     "characters; without it a built-in default is used.",
     {{"db", "FILE", true},
      {"school", "ID", true},
      {"county", "CODE", true},
      {"name", "NAME", true},
      {"upstream", "ENDPOINT", true},
      {"upstream-key", "KEY", true},
      {"pseudonym-key-file", "FILE", false}},
     NULL,
     cmd_init},
    {"pubkey",
     "--db FILE",
     "Prints the school's public key (64 hex characters).",
     {{"db", "FILE", true}},
     NULL,
     cmd_pubkey},
    {"rotate-key",
     "--db FILE",
     "Replaces the school's identity key and prints the new public key. The old key\n"
     "signs the change that announces the new one; the new key takes effect once the\n"
     "county acknowledges it at the next sync, and signs everything after it. Nothing\n"
     "needs re-enrolling: the county replaces the key itself, and the school's history\n"
     "goes on. One rotation at a time: status shows one still waiting.",
     {{"db", "FILE", true}},
     NULL,
     cmd_rotate_key},
    {"set-upstream",
     "--db FILE [--upstream ENDPOINT] [--upstream-key KEY]",
     "Changes where the school syncs to: the county's tcp:// address and/or its public\n"
     "key (64 hex characters, as the county's 'pubkey' prints it), e.g. after the\n"
     "county rotated its own key or moved. Takes effect at the next sync. A different\n"
     "county must enroll this school's key first; it then gets the school's data in\n"
     "full by itself.",
     {{"db", "FILE", true}, {"upstream", "ENDPOINT", false}, {"upstream-key", "KEY", false}},
     NULL,
     cmd_set_upstream},
    {"import",
     "--db FILE STUDENTS.csv",
     "Imports the students CSV (header row, any column order; required columns\n"
     "student_id, name, grade, class; optional network, devices, groups, assistance,\n"
     "participation, platform, feedback). Atomic: if any row is invalid, every problem\n"
     "is listed as FILE:LINE: reason and nothing is applied.\n"
     "\n"
     "Sheets as Excel saves them are read: UTF-8 with or without a byte order mark,\n"
     "or GB18030/GBK (\"CSV\" on a Chinese Windows), CRLF or LF line ends. Column\n"
     "names, English ones regardless of case, blanks, '_' and '-':\n"
     "  student_id 学籍号 全国学籍号   name 姓名           grade 年级     class 班级\n"
     "  network 家庭网络 网络          devices 学习终端 设备 终端\n"
     "  groups 特殊群体 群体           assistance 帮扶措施 帮扶\n"
     "  participation 参与情况 参与    platform 学习平台 平台   feedback 家长反馈 反馈\n"
     "Values may be Chinese too: network 宽带 移动网络 有线电视; devices 电脑 平板\n"
     "手机 电视; groups 建档立卡 困难 一线医务人员子女 留守 随迁 残疾 其他;\n"
     "assistance 村集中收看 借用设备 流量补贴 一对一帮扶 纸质材料 资助, with '：计划'\n"
     "or '：已结束' when not in place; participation 正常 不规律 缺席 申请不参加;\n"
     "grade 1-12 (or 3年级), 一年级 … 六年级, 初一 … 初三, 高一 … 高三. Several values in a\n"
     "cell are separated by ';', '；', '、' or '，'. The template's example row is refused.\n"
     "A title row above the header, empty columns without a name and rows of empty\n"
     "cells are passed over.",
     {{"db", "FILE", true}},
     "STUDENTS.csv",
     cmd_import},
    {"sync",
     "--db FILE [--timeout SECONDS] [--watch]",
     "Sends every pending change to the county and waits for its acknowledgement\n"
     "(default 30 seconds). Exits 0 only when every change is acknowledged, 3 when\n"
     "the county cannot be reached or refuses; unacknowledged changes are kept.\n"
     "With nothing pending it asks the county for a receipt (see status).\n"
     "--watch keeps running until Ctrl-C or SIGTERM: it sends new changes as they\n"
     "are imported and whenever the link allows, retrying after outages. On a\n"
     "terminal a progress line shows acknowledged / pending, rate and time left.",
     {{"db", "FILE", true}, {"timeout", "SECONDS", false}, {"watch", NULL, false}},
     NULL,
     cmd_sync},
    {"status",
     "--db FILE [--json]",
     "Shows the school, its upstream, the number of students and the changes waiting\n"
     "for an acknowledgement.",
     {{"db", "FILE", true}, {"json", NULL, false}},
     NULL,
     cmd_status},
    {"report",
     "--db FILE [--format json|csv]",
     "Prints the totals over the school's students: conditions for learning at home,\n"
     "blind spots, groups, assistance measures in place and participation.",
     {{"db", "FILE", true}, {"format", "json|csv", false}},
     NULL,
     cmd_report},
    {"bundle",
     "--db FILE --out FILE",
     "For a school without any link: seals the pending changes and writes every batch\n"
     "not yet acknowledged into the new file --out (never overwritten), for the county\n"
     "to apply with 'rollcall-agg import-bundle'. The changes stay pending until the\n"
     "county acknowledges them at the next sync, which sends nothing twice. With\n"
     "nothing pending it says so and writes no file.",
     {{"db", "FILE", true}, {"out", "FILE", true}},
     NULL,
     cmd_bundle},
    {"student",
     "add|update|remove --db FILE --id ID [--name NAME] [--grade 1-12] [--class CLASS] "
     "[--network SET] [--devices SET] [--groups SET] [--platform TEXT] [--participation P] "
     "[--feedback TEXT] [--reason R] [--to SCHOOL] [--date YYYY-MM-DD]",
     "Edits one student, in one transaction queued for the next sync like an import.\n"
     "  add     a new student: --name, --grade and --class are required, the rest optional\n"
     "  update  changes only the fields given\n"
     "  remove  --reason left|graduated|transferred_out|other, --to the 10-digit code of\n"
     "          the school transferred to (if known), --date the day they left (today)\n"
     "SET is a ';'-separated list, empty for none: network broadband;mobile;cable_tv,\n"
     "devices computer;tablet;smartphone;tv, groups poverty_card;hardship;\n"
     "frontline_family;left_behind;migrant;disabled;other. P is active, irregular,\n"
     "absent or opted_out. A removal reaches the county as a departure.",
     {{"db", "FILE", true},
      {"id", "ID", true},
      {"name", "NAME", false},
      {"grade", "1-12", false},
      {"class", "CLASS", false},
      {"network", "SET", false},
      {"devices", "SET", false},
      {"groups", "SET", false},
      {"platform", "TEXT", false},
      {"participation", "P", false},
      {"feedback", "TEXT", false},
      {"reason", "R", false},
      {"to", "SCHOOL", false},
      {"date", "YYYY-MM-DD", false}},
     "add|update|remove",
     cmd_edit},
    {"measure",
     "add|plan|end --db FILE --id ID --kind KIND [--role ROLE] [--start YYYY-MM-DD] "
     "[--end YYYY-MM-DD]",
     "Records an assistance measure of one student (\"one person, one policy\").\n"
     "  add   the measure is in place (start date today unless --start)\n"
     "  plan  the measure is planned\n"
     "  end   the planned or in-place measure of KIND has ended (end date today unless --end)\n"
     "KIND is tv_at_village, loaned_device, data_subsidy, one_to_one, paper_materials or\n"
     "funding; ROLE says who helps (e.g. 班主任, village cadre). An open measure of the\n"
     "same kind is updated rather than listed twice.",
     {{"db", "FILE", true},
      {"id", "ID", true},
      {"kind", "KIND", false},
      {"role", "ROLE", false},
      {"start", "YYYY-MM-DD", false},
      {"end", "YYYY-MM-DD", false}},
     "add|plan|end",
     cmd_edit},
    {"feedback",
     "--db FILE --id ID --text TEXT",
     "Sets the family's feedback or need for one student (free text, at most 600 bytes;\n"
     "empty clears it).",
     {{"db", "FILE", true}, {"id", "ID", true}, {"text", "TEXT", false}},
     NULL,
     cmd_edit},
    {"optout",
     "file|decide --db FILE --id ID [--reason TEXT] [--status approved|rejected] "
     "[--date YYYY-MM-DD]",
     "Records a family's application to opt out of home teaching.\n"
     "  file    --reason TEXT: the application is pending, filed --date (today)\n"
     "  decide  --status approved|rejected, decided --date (today). Approval sets the\n"
     "          student's participation to opted_out; rejection sets an opted_out\n"
     "          student back to active.",
     {{"db", "FILE", true},
      {"id", "ID", true},
      {"reason", "TEXT", false},
      {"status", "approved|rejected", false},
      {"date", "YYYY-MM-DD", false}},
     "file|decide",
     cmd_edit},
    {"profile",
     "set --db FILE [--platforms LIST] [--materials D/T|P%] [--contact-role ROLE] "
     "[--parent SCHOOL|none]",
     "Sets the school's profile; fields not given keep their value.\n"
     "  --platforms     the teaching platforms in use, 'NAME:KIND[:CLASSES];...' with KIND\n"
     "                  live, recorded, tv or other (e.g. '空中课堂:tv:all;钉钉:live:3-1,3-2');\n"
     "                  '' for none\n"
     "  --materials     teaching materials handed out: DELIVERED/TOTAL (120/300) or PERCENT%\n"
     "  --contact-role  the role of the school's contact for the county\n"
     "  --parent        for a teaching point: the 10-digit code of its parent school\n"
     "                  (a teaching point runs as a school of its own); none clears it",
     {{"db", "FILE", true},
      {"platforms", "LIST", false},
      {"materials", "D/T|P%", false},
      {"contact-role", "ROLE", false},
      {"parent", "SCHOOL|none", false}},
     "set",
     cmd_edit},
    {"template",
     "--out FILE [--lang zh|en] [--encoding utf-8|gb18030]",
     "Writes an empty students sheet to the new file --out (never overwritten): the\n"
     "headers and one example row showing how each column is filled in. Delete the\n"
     "example row before importing: import refuses it. Chinese headers and words by\n"
     "default; UTF-8 with a byte order mark by default, so Excel opens it right.",
     {{"out", "FILE", true}, {"lang", "zh|en", false}, {"encoding", "utf-8|gb18030", false}},
     NULL,
     cmd_template},
    {"export",
     "--db FILE --out FILE [--lang zh|en] [--encoding utf-8|gb18030]",
     "Writes the school's students to the new file --out (never overwritten, readable\n"
     "by its owner only) as a sheet import reads back: importing it into a fresh store\n"
     "gives the same students. Chinese headers and words by default; UTF-8 with a\n"
     "byte order mark by default. A cell starting with = + - @ is led by an apostrophe\n"
     "so that a spreadsheet shows it as text; import drops the apostrophe again.",
     {{"db", "FILE", true},
      {"out", "FILE", true},
      {"lang", "zh|en", false},
      {"encoding", "utf-8|gb18030", false}},
     NULL,
     cmd_export},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *out)
{
    fprintf(out, "usage:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %s %s %s\n", PROGRAM, commands[i].name, commands[i].usage);
    fprintf(out, "Run '%s COMMAND --help' for what a command does.\n", PROGRAM);
    fprintf(out,
            "Every command also takes --config FILE (default %s when it exists):\n"
            "'key = value' lines naming the command's options without the dashes (db,\n"
            "school, county, name, upstream, upstream-key, pseudonym-key-file, timeout)\n"
            "and log-level; options on the command line win.\n",
            RCL_SCHOOL_CONF_DEFAULT);
}

static int usage_error(const struct command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Says what is wrong with the command line, and how it should look. Returns the usage exit code. */
static int usage_error(const struct command *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s %s: ", PROGRAM, cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: %s %s %s\n", PROGRAM, cmd->name, cmd->usage);
    return RCL_SCHOOL_EXIT_USAGE;
}

static int find_option(const struct command *cmd, const char *name, size_t len)
{
    for (int i = 0; i < OPTS_MAX && cmd->opts[i].name != NULL; i++) {
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
static int fill_from_config(const struct command *cmd, const char *file, struct args *a)
{
    char err[1024];

    /* A previous command in this process (the fuzz driver runs many) is done with its values. */
    rcl_config_destroy(&school_conf);
    school_conf = rcl_school_conf_load(file, err, sizeof(err));
    if (school_conf == NULL) {
        if (err[0] == '\0')
            return -1;
        fprintf(stderr, "%s %s: %s\n", PROGRAM, cmd->name, err);
        return RCL_SCHOOL_EXIT_USAGE;
    }
    for (int o = 0; o < OPTS_MAX && cmd->opts[o].name != NULL; o++) {
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
static int parse_args(const struct command *cmd, int argc, char **argv, struct args *a)
{
    bool options_done = false;
    const char *config = NULL;
    int rc;

    memset(a, 0, sizeof(*a));
    a->cmd = cmd;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)) {
            printf("usage: %s %s %s\n\n%s\n", PROGRAM, cmd->name, cmd->usage, cmd->help);
            return RCL_SCHOOL_EXIT_OK;
        }
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (!options_done && arg[0] == '-' && arg[1] != '\0') {
            if (arg[1] != '-')
                return usage_error(cmd, "unknown option '%s'", arg);
            const char *name = arg + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
            int o = find_option(cmd, name, len);
            if (o < 0 && len == 6 && strncmp(name, "config", 6) == 0) {
                if (config != NULL)
                    return usage_error(cmd, "option --config is given twice");
                if (eq == NULL && i + 1 >= argc)
                    return usage_error(cmd, "option --config needs a value");
                config = eq != NULL ? eq + 1 : argv[++i];
                continue;
            }
            if (o < 0)
                return usage_error(cmd, "unknown option '%s'", arg);
            const struct option_spec *spec = &cmd->opts[o];
            if (a->values[o] != NULL)
                return usage_error(cmd, "option --%s is given twice", spec->name);
            if (spec->value == NULL) {
                if (eq != NULL)
                    return usage_error(cmd, "option --%s takes no value", spec->name);
                a->values[o] = "";
            } else if (eq != NULL) {
                a->values[o] = eq + 1;
            } else if (i + 1 < argc) {
                a->values[o] = argv[++i];
            } else {
                return usage_error(cmd, "option --%s needs a value", spec->name);
            }
            continue;
        }
        if (cmd->positional == NULL || a->positional != NULL)
            return usage_error(cmd, "unexpected argument '%s'", arg);
        a->positional = arg;
    }
    if ((rc = fill_from_config(cmd, config, a)) >= 0)
        return rc;
    for (int o = 0; o < OPTS_MAX && cmd->opts[o].name != NULL; o++) {
        if (cmd->opts[o].required && a->values[o] == NULL) {
            fprintf(stderr, "%s %s: missing --%s %s\nusage: %s %s %s\n", PROGRAM, cmd->name,
                    cmd->opts[o].name, cmd->opts[o].value, PROGRAM, cmd->name, cmd->usage);
            return RCL_SCHOOL_EXIT_USAGE;
        }
    }
    if (cmd->positional != NULL && a->positional == NULL)
        return usage_error(cmd, "missing %s", cmd->positional);
    return -1;
}

/* The value of option name, or NULL when not given. */
static const char *opt(const struct args *a, const char *name)
{
    int o = find_option(a->cmd, name, strlen(name));
    return o < 0 ? NULL : a->values[o];
}

/* ---- Shared steps ---- */

static bool all_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

/*
 * Opens an existing store and loads its meta. Returns the handle, or NULL
 * after saying why on stderr.
 */
static sqlite3 *open_store(const struct args *a, struct rcl_school_meta *m)
{
    const char *path = opt(a, "db");
    char err[512];
    sqlite3 *db = NULL;

    db = rcl_school_store_open(path, RCL_DB_EXISTING, err, sizeof(err));
    if (db == NULL) {
        fprintf(stderr, "%s %s: %s\n", PROGRAM, a->cmd->name, err);
        return NULL;
    }
    if (rcl_school_meta_load(db, m, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s %s: %s: %s\n", PROGRAM, a->cmd->name, path, err);
        rcl_db_close(&db);
        return NULL;
    }
    return db;
}

/* Removes a store that init created but could not finish, so init can be run again. */
static void remove_store(const char *path)
{
    char side[4096];
    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
}

/* ---- Commands ---- */

static int cmd_init(const struct args *a)
{
    const char *path = opt(a, "db");
    const char *school = opt(a, "school");
    const char *county = opt(a, "county");
    const char *name = opt(a, "name");
    const char *upstream = opt(a, "upstream");
    const char *key_file = opt(a, "pseudonym-key-file");
    struct rcl_school_meta m;
    uint8_t sk[RCL_SK_BYTES];
    char err[512];
    char hex[RCL_PK_HEX_LEN + 1];
    sqlite3 *db = NULL;
    int rc = RCL_SCHOOL_EXIT_DATA;

    memset(&m, 0, sizeof(m));
    memset(sk, 0, sizeof(sk));
    if (!all_digits(school, RCL_SCHOOL_ID_LEN))
        return usage_error(a->cmd, "school id '%s' must be 10 digits (the school code)", school);
    if (!all_digits(county, RCL_COUNTY_LEN))
        return usage_error(a->cmd, "county code '%s' must be 6 digits", county);
    if (name[0] == '\0' || !rcl_utf8_valid(name, strlen(name)))
        return usage_error(a->cmd, "school name '%s' must be non-empty UTF-8 text", name);
    if (strlen(name) > RCL_NAME_MAX) {
        fprintf(stderr, "%s init: school name is %zu bytes long, at most %d allowed\n", PROGRAM,
                strlen(name), RCL_NAME_MAX);
        return RCL_SCHOOL_EXIT_USAGE;
    }
    if (strncmp(upstream, "tcp://", 6) != 0 || upstream[6] == '\0' ||
        strlen(upstream) > RCL_SCHOOL_ENDPOINT_MAX)
        return usage_error(a->cmd, "upstream '%s' must be a tcp://HOST:PORT endpoint", upstream);
    if (rcl_key_from_hex(opt(a, "upstream-key"), m.upstream_key) != 0)
        return usage_error(a->cmd,
                           "upstream key '%s' is not a public key: expected 64 hex characters, "
                           "as the upstream's 'pubkey' command prints them",
                           opt(a, "upstream-key"));

    if (key_file != NULL) {
        if (rcl_school_pseudonym_key_read(key_file, m.pseudonym_key, err, sizeof(err)) != 0) {
            fprintf(stderr, "%s init: %s\n", PROGRAM, err);
            goto done;
        }
    } else {
        rcl_school_pseudonym_default_key(m.pseudonym_key);
    }
    snprintf(m.school_id, sizeof(m.school_id), "%s", school);
    snprintf(m.county, sizeof(m.county), "%s", county);
    snprintf(m.name, sizeof(m.name), "%s", name);
    snprintf(m.upstream, sizeof(m.upstream), "%s", upstream);

    db = rcl_school_store_open(path, RCL_DB_CREATE, err, sizeof(err));
    if (db == NULL) {
        fprintf(stderr, "%s init: %s\n", PROGRAM, err);
        goto done;
    }
    if (rcl_key_generate(m.public_key, sk) != 0) {
        fprintf(stderr, "%s init: cannot generate an identity key\n", PROGRAM);
        goto fail_created;
    }
    if (rcl_school_store_init(db, &m, sk, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s init: %s: %s\n", PROGRAM, path, err);
        goto fail_created;
    }
    rcl_key_to_hex(m.public_key, hex);
    printf("%s\n", hex);
    rc = RCL_SCHOOL_EXIT_OK;
    goto done;
fail_created:
    rcl_db_close(&db);
    remove_store(path);
done:
    sodium_memzero(sk, sizeof(sk));
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

static int cmd_pubkey(const struct args *a)
{
    struct rcl_school_meta m;
    char hex[RCL_PK_HEX_LEN + 1];
    sqlite3 *db = open_store(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    rcl_key_to_hex(m.public_key, hex);
    printf("%s\n", hex);
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return RCL_SCHOOL_EXIT_OK;
}

static int cmd_rotate_key(const struct args *a)
{
    struct rcl_school_meta m;
    struct rcl_outbox_rotation rot;
    uint8_t sk[RCL_SK_BYTES], new_pk[RCL_PK_BYTES];
    char hex[RCL_PK_HEX_LEN + 1];
    int rc = RCL_SCHOOL_EXIT_DATA, begun;
    sqlite3 *db = open_store(a, &m);

    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    if (rcl_school_secret_key_load(db, sk) != 0) {
        fprintf(stderr, "%s rotate-key: %s: the store has no usable secret key\n", PROGRAM,
                opt(a, "db"));
        goto done;
    }
    begun = rcl_outbox_rotate_begin(db, m.school_id, m.public_key, sk, new_pk);
    sodium_memzero(sk, sizeof(sk));
    if (begun == 1 && rcl_outbox_rotation(db, &rot) == 0) {
        rcl_key_to_hex(rot.new_pk, hex);
        fprintf(stderr,
                "%s rotate-key: %s: a key rotation is already waiting for the county's "
                "acknowledgement (new key %s, change seq %llu); run sync first\n",
                PROGRAM, opt(a, "db"), hex, (unsigned long long)rot.seq);
        goto done;
    }
    if (begun != 0) {
        fprintf(stderr, "%s rotate-key: %s: cannot start the key rotation (see the log above)\n",
                PROGRAM, opt(a, "db"));
        goto done;
    }
    rcl_key_to_hex(new_pk, hex);
    printf("%s\n", hex);
    fprintf(stderr,
            "%s rotate-key: new key queued for school %s. It takes effect once the county "
            "acknowledges the next sync; until then the current key stays in use. Nothing "
            "needs re-enrolling: the county learns the new key from the school.\n",
            PROGRAM, m.school_id);
    rc = RCL_SCHOOL_EXIT_OK;
done:
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

static int cmd_set_upstream(const struct args *a)
{
    const char *upstream = opt(a, "upstream");
    const char *key_hex = opt(a, "upstream-key");
    struct rcl_school_meta m;
    uint8_t key[RCL_PK_BYTES];
    char err[512], hex[RCL_PK_HEX_LEN + 1];
    int rc = RCL_SCHOOL_EXIT_DATA;
    sqlite3 *db;

    if (upstream == NULL && key_hex == NULL)
        return usage_error(a->cmd, "give --upstream, --upstream-key or both");
    /* The same checks as init. */
    if (upstream != NULL && (strncmp(upstream, "tcp://", 6) != 0 || upstream[6] == '\0' ||
                             strlen(upstream) > RCL_SCHOOL_ENDPOINT_MAX))
        return usage_error(a->cmd, "upstream '%s' must be a tcp://HOST:PORT endpoint", upstream);
    if (key_hex != NULL && rcl_key_from_hex(key_hex, key) != 0)
        return usage_error(a->cmd,
                           "upstream key '%s' is not a public key: expected 64 hex characters, "
                           "as the upstream's 'pubkey' command prints them",
                           key_hex);
    db = open_store(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    if (key_hex != NULL && sodium_memcmp(key, m.public_key, RCL_PK_BYTES) == 0) {
        fprintf(stderr, "%s set-upstream: that key is this school's own key, not its county's\n",
                PROGRAM);
        goto done;
    }
    if (rcl_school_upstream_set(db, upstream, key_hex != NULL ? key : NULL, err, sizeof(err)) !=
        0) {
        fprintf(stderr, "%s set-upstream: %s: %s\n", PROGRAM, opt(a, "db"), err);
        goto done;
    }
    rcl_key_to_hex(key_hex != NULL ? key : m.upstream_key, hex);
    printf("upstream: %s (key %s); used from the next sync\n",
           upstream != NULL ? upstream : m.upstream, hex);
    rc = RCL_SCHOOL_EXIT_OK;
done:
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

static int cmd_import(const struct args *a)
{
    struct rcl_school_meta m;
    struct rcl_school_import_result res;
    int rc = RCL_SCHOOL_EXIT_DATA;
    sqlite3 *db = open_store(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    if (rcl_school_import(db, &m, a->positional, stderr, &res) == 0) {
        printf("imported %llu students (%llu new, %llu changed, %llu unchanged)\n",
               (unsigned long long)(res.added + res.changed + res.unchanged),
               (unsigned long long)res.added, (unsigned long long)res.changed,
               (unsigned long long)res.unchanged);
        if (res.charset == RCL_CHARSET_GB18030)
            fprintf(stderr, "%s import: %s: not UTF-8, read as GB18030\n", PROGRAM, a->positional);
        rc = RCL_SCHOOL_EXIT_OK;
    }
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

static int cmd_sync(const struct args *a)
{
    const char *t = opt(a, "timeout");
    long timeout = DEFAULT_TIMEOUT_S;
    struct rcl_school_meta m;
    sqlite3 *db = NULL;
    int rc;

    if (t != NULL) {
        char *end = NULL;
        timeout = strtol(t, &end, 10);
        if (t[0] < '0' || t[0] > '9' || *end != '\0' || timeout < 1 || timeout > MAX_TIMEOUT_S)
            return usage_error(a->cmd,
                               "--timeout '%s' must be a whole number of seconds, 1 or more", t);
    }
    db = open_store(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    struct rcl_school_sync_opts so = {.timeout_s = (int)timeout, .watch = opt(a, "watch") != NULL};
    rc = rcl_school_sync(db, &m, &so, stdout, stderr);
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

static int cmd_status(const struct args *a)
{
    struct rcl_school_meta m;
    int rc = RCL_SCHOOL_EXIT_OK;
    sqlite3 *db = open_store(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    if (rcl_school_status(db, &m, opt(a, "json") != NULL, stdout) != 0) {
        fprintf(stderr, "%s status: cannot read the store (see the log above)\n", PROGRAM);
        rc = RCL_SCHOOL_EXIT_DATA;
    }
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

static int cmd_report(const struct args *a)
{
    const char *f = opt(a, "format");
    enum rcl_school_report_format format = RCL_SCHOOL_REPORT_JSON;
    struct rcl_school_meta m;
    sqlite3 *db = NULL;
    int rc = RCL_SCHOOL_EXIT_OK;

    if (f != NULL && strcmp(f, "csv") == 0)
        format = RCL_SCHOOL_REPORT_CSV;
    else if (f != NULL && strcmp(f, "json") != 0)
        return usage_error(a->cmd, "unknown format '%s' (json or csv)", f);
    db = open_store(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    if (rcl_school_report(db, &m, format, stdout) != 0) {
        fprintf(stderr, "%s report: cannot read the students (see the log above)\n", PROGRAM);
        rc = RCL_SCHOOL_EXIT_DATA;
    }
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

static int cmd_bundle(const struct args *a)
{
    struct rcl_school_meta m;
    int rc;
    sqlite3 *db = open_store(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    rc = rcl_school_bundle(db, &m, opt(a, "out"), stdout, stderr);
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

/* student, measure, feedback, optout and profile: edit.c does the work. */
static int cmd_edit(const struct args *a)
{
    struct rcl_school_edit_opt given[OPTS_MAX];
    struct rcl_school_meta m;
    char why[160];
    size_t n = 0;
    sqlite3 *db;
    int rc;

    for (int o = 0; o < OPTS_MAX && a->cmd->opts[o].name != NULL; o++) {
        if (a->values[o] != NULL && strcmp(a->cmd->opts[o].name, "db") != 0) {
            given[n].name = a->cmd->opts[o].name;
            given[n].value = a->values[o];
            n++;
        }
    }
    if (rcl_school_edit_check(a->cmd->name, a->positional, given, n, why, sizeof(why)) != 0)
        return usage_error(a->cmd, "%s", why);
    db = open_store(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    rc = rcl_school_edit(db, &m, a->cmd->name, a->positional, given, n, stdout, stderr);
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

/* Reads --lang and --encoding into f. Returns -1 when fine, else the usage exit code. */
static int sheet_format(const struct args *a, struct rcl_sheet_format *f)
{
    const char *lang = opt(a, "lang");
    const char *encoding = opt(a, "encoding");

    f->lang = RCL_SHEET_ZH;
    f->charset = RCL_CHARSET_UTF8;
    if (lang != NULL && strcmp(lang, "en") == 0)
        f->lang = RCL_SHEET_EN;
    else if (lang != NULL && strcmp(lang, "zh") != 0)
        return usage_error(a->cmd, "unknown language '%s' (zh or en)", lang);
    if (encoding != NULL && rcl_charset_parse(encoding, &f->charset) != 0)
        return usage_error(a->cmd, "unknown encoding '%s' (utf-8 or gb18030)", encoding);
    return -1;
}

static int cmd_template(const struct args *a)
{
    struct rcl_sheet_format f;
    char err[512];
    int rc = sheet_format(a, &f);
    if (rc >= 0)
        return rc;
    if (rcl_school_template(opt(a, "out"), &f, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s template: %s\n", PROGRAM, err);
        return RCL_SCHOOL_EXIT_DATA;
    }
    printf("wrote %s: fill in one row per student, delete the example row, then import it\n",
           opt(a, "out"));
    return RCL_SCHOOL_EXIT_OK;
}

static int cmd_export(const struct args *a)
{
    struct rcl_sheet_format f;
    struct rcl_school_meta m;
    uint64_t rows = 0;
    char err[512];
    int rc = sheet_format(a, &f);
    if (rc >= 0)
        return rc;
    sqlite3 *db = open_store(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    rc = RCL_SCHOOL_EXIT_OK;
    if (rcl_school_export(db, opt(a, "out"), &f, &rows, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s export: %s\n", PROGRAM, err);
        rc = RCL_SCHOOL_EXIT_DATA;
    } else {
        printf("exported %llu students to %s\n", (unsigned long long)rows, opt(a, "out"));
    }
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

int main(int argc, char **argv)
{
    struct args a;
    int rc;

    if (argc < 2) {
        print_usage(stderr);
        return RCL_SCHOOL_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return RCL_SCHOOL_EXIT_OK;
    }
    const struct command *cmd = NULL;
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            cmd = &commands[i];
    }
    if (cmd == NULL) {
        fprintf(stderr, "%s: unknown command '%s'\n", PROGRAM, argv[1]);
        print_usage(stderr);
        return RCL_SCHOOL_EXIT_USAGE;
    }
    rc = parse_args(cmd, argc - 2, argv + 2, &a);
    if (rc >= 0)
        return rc;

    rcl_log_init(PROGRAM);
    if (rcl_keys_init() != 0) {
        fprintf(stderr, "%s: libsodium failed to start\n", PROGRAM);
        return RCL_SCHOOL_EXIT_DATA;
    }
    rc = cmd->run(&a);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "%s %s: cannot write the output\n", PROGRAM, cmd->name);
        rc = RCL_SCHOOL_EXIT_DATA;
    }
    return rc;
}

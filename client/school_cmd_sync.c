/*
 * school_cmd_sync.c - rollcall-school's commands for the county and the
 * school's own view: sync, status, report and list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "lists.h"
#include "report.h"
#include "school_cli.h"
#include "school_cmd.h"
#include "school_store.h"
#include "rcl_log.h"
#include "status.h"
#include "sync.h"

#define DEFAULT_TIMEOUT_S 30

static int cmd_sync(const struct rcl_school_args *a)
{
    struct rcl_school_meta m;
    struct rcl_school_sync_opts so = {.watch = rcl_school_opt(a, "watch") != NULL, .lang = a->says};
    sqlite3 *db = NULL;
    int rc;

    if ((rc = rcl_school_opt_seconds(a, "timeout", DEFAULT_TIMEOUT_S, &so.timeout_s)) >= 0)
        return rc;
    db = rcl_school_cli_store_open(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    rc = rcl_school_sync(db, &m, &so, stdout, stderr);
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

const struct rcl_school_command rcl_school_cmd_sync = {
    "sync",
    "--db FILE [--timeout SECONDS] [--watch] [--lang zh|en]",
    "Sends every pending change to the county and waits for its acknowledgement\n"
    "(default 30 seconds). Exits 0 only when every change is acknowledged, 3 when\n"
    "the county cannot be reached or refuses; unacknowledged changes are kept.\n"
    "With nothing pending it asks the county for a receipt (see status).\n"
    "--watch keeps running until Ctrl-C or SIGTERM: it sends new changes as they\n"
    "are imported and whenever the link allows, retrying after outages. On a\n"
    "terminal a progress line shows acknowledged / pending, rate and time left.\n"
    "What it came to is said in Chinese with --lang zh (the county's address, the\n"
    "changes kept, how far the data has travelled, in local time) or when the locale\n"
    "(LC_ALL, LC_MESSAGES, LANG; on Windows the display language) is Chinese, else in\n"
    "English ('synced: ...' lines, times in UTC); log lines are English either way.",
    {{"db", "FILE", true},
     {"timeout", "SECONDS", false},
     {"watch", NULL, false},
     {"lang", "zh|en", false}},
    NULL,
    cmd_sync,
    RCL_SCHOOL_STORE_WRITES};

static int cmd_status(const struct rcl_school_args *a)
{
    struct rcl_school_meta m;
    int rc = RCL_SCHOOL_EXIT_OK;
    sqlite3 *db = rcl_school_cli_store_open(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    if (rcl_school_status(db, &m, rcl_school_opt(a, "json") != NULL, a->says, stdout) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "status: cannot read the store (see the log above)");
        rc = RCL_SCHOOL_EXIT_DATA;
    }
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

const struct rcl_school_command rcl_school_cmd_status = {
    "status",
    "--db FILE [--json] [--lang zh|en]",
    "Shows the school, its upstream, the number of students, the changes waiting\n"
    "for an acknowledgement and how far the data has travelled: the county's last\n"
    "acknowledgement, and which changes are in the totals of the top of the chain.\n"
    "In Chinese with --lang zh, or when the locale (LC_ALL, LC_MESSAGES, LANG; on\n"
    "Windows the display language) is Chinese, with times in local time, as the\n"
    "page shows them; else in English ('last ack:   seq N at TIME UTC'), as scripts\n"
    "read it. --json is the same in every language.",
    {{"db", "FILE", true}, {"json", NULL, false}, {"lang", "zh|en", false}},
    NULL,
    cmd_status,
    RCL_SCHOOL_STORE_READS};

static int cmd_report(const struct rcl_school_args *a)
{
    const char *f = rcl_school_opt(a, "format");
    enum rcl_school_report_format format = RCL_SCHOOL_REPORT_JSON;
    struct rcl_school_meta m;
    sqlite3 *db = NULL;
    int rc = RCL_SCHOOL_EXIT_OK;

    if (f != NULL && strcmp(f, "csv") == 0)
        format = RCL_SCHOOL_REPORT_CSV;
    else if (f != NULL && strcmp(f, "json") != 0)
        return rcl_school_usage_error(a->cmd, "unknown format '%s' (json or csv)", f);
    db = rcl_school_cli_store_open(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    if (rcl_school_report(db, &m, format, stdout) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "report: cannot read the students (see the log above)");
        rc = RCL_SCHOOL_EXIT_DATA;
    }
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

const struct rcl_school_command rcl_school_cmd_report = {
    "report",
    "--db FILE [--format json|csv]",
    "Prints the totals over the school's students: conditions for learning at home,\n"
    "blind spots, groups, assistance measures in place and participation.",
    {{"db", "FILE", true}, {"format", "json|csv", false}},
    NULL,
    cmd_report,
    RCL_SCHOOL_STORE_READS};

static int cmd_list(const struct rcl_school_args *a)
{
    const char *f = rcl_school_opt(a, "format");
    struct rcl_school_list_options o = {a->positional, rcl_school_opt(a, "class"),
                                        RCL_AGG_LIST_TEXT, RCL_SHEET_ZH};
    struct rcl_school_meta m;
    char err[256];
    sqlite3 *db;
    int rc;

    if (o.kind == NULL || !rcl_school_list_known(o.kind))
        return rcl_school_usage_error(a->cmd, "unknown list '%s' (%s)", o.kind ? o.kind : "",
                                      RCL_SCHOOL_LIST_KINDS);
    if (f != NULL && rcl_agg_list_format_parse(f, &o.format) != 0)
        return rcl_school_usage_error(a->cmd, "unknown format '%s' (text, csv or json)", f);
    if ((rc = rcl_school_opt_lang(a, RCL_SHEET_ZH, &o.lang)) >= 0)
        return rc;
    db = rcl_school_cli_store_open(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    rc = RCL_SCHOOL_EXIT_OK;
    if (rcl_school_list(db, &m, &o, stdout, err, sizeof(err)) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "list: %s", err);
        rc = RCL_SCHOOL_EXIT_DATA;
    }
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

const struct rcl_school_command rcl_school_cmd_list = {
    "list",
    "--db FILE KIND [--format text|csv|json] [--class CLASS] [--lang zh|en]",
    "Prints one of the school's lists to act on, one row per student (plans: per measure):\n"
    "  lacking      students without the conditions to learn at home: neither broadband or\n"
    "               mobile with a computer, tablet or smartphone, nor a TV with cable or\n"
    "               broadband\n"
    "  blind-spots  lacking the conditions or absent, with no measure in place; most urgent\n"
    "               first, as the county lists them: 1 lacking and in a special group,\n"
    "               2 lacking, 3 absent and in a special group, 4 absent; within a level\n"
    "               more special groups first, then absent ones, then grade, class, name\n"
    "  plans        every assistance measure: kind, status, helper role, start and end\n"
    "  students     every student, by grade, class and name\n"
    "  special-groups\n"
    "               students in at least one special group, by grade, class and name\n"
    "--class keeps one class. text (the default) aligns the columns for a terminal, csv\n"
    "opens in Excel (byte order mark, CRLF, a cell starting with = + - @ led by an\n"
    "apostrophe), json is one object {kind, scope, tier, school, generated_at, rows}.\n"
    "Chinese headers and words by default, English with --lang en; json is always English.",
    {{"db", "FILE", true},
     {"format", "text|csv|json", false},
     {"class", "CLASS", false},
     {"lang", "zh|en", false}},
    "KIND",
    cmd_list,
    RCL_SCHOOL_STORE_READS};

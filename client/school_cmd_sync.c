/*
 * school_cmd_sync.c - rollcall-school's commands for the county and the
 * school's own view: sync, status and report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "report.h"
#include "school_cli.h"
#include "school_cmd.h"
#include "school_store.h"
#include "status.h"
#include "sync.h"

#define DEFAULT_TIMEOUT_S 30
#define MAX_TIMEOUT_S (7 * 24 * 3600)

static int cmd_sync(const struct rcl_school_args *a)
{
    const char *t = rcl_school_opt(a, "timeout");
    long timeout = DEFAULT_TIMEOUT_S;
    struct rcl_school_meta m;
    sqlite3 *db = NULL;
    int rc;

    if (t != NULL) {
        char *end = NULL;
        timeout = strtol(t, &end, 10);
        if (t[0] < '0' || t[0] > '9' || *end != '\0' || timeout < 1 || timeout > MAX_TIMEOUT_S)
            return rcl_school_usage_error(
                a->cmd, "--timeout '%s' must be a whole number of seconds, 1 or more", t);
    }
    db = rcl_school_cli_store_open(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    struct rcl_school_sync_opts so = {.timeout_s = (int)timeout,
                                      .watch = rcl_school_opt(a, "watch") != NULL};
    rc = rcl_school_sync(db, &m, &so, stdout, stderr);
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

const struct rcl_school_command rcl_school_cmd_sync = {
    "sync",
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
    cmd_sync};

static int cmd_status(const struct rcl_school_args *a)
{
    struct rcl_school_meta m;
    int rc = RCL_SCHOOL_EXIT_OK;
    sqlite3 *db = rcl_school_cli_store_open(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    if (rcl_school_status(db, &m, rcl_school_opt(a, "json") != NULL, stdout) != 0) {
        fprintf(stderr, "%s status: cannot read the store (see the log above)\n",
                RCL_SCHOOL_PROGRAM);
        rc = RCL_SCHOOL_EXIT_DATA;
    }
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

const struct rcl_school_command rcl_school_cmd_status = {
    "status",
    "--db FILE [--json]",
    "Shows the school, its upstream, the number of students and the changes waiting\n"
    "for an acknowledgement.",
    {{"db", "FILE", true}, {"json", NULL, false}},
    NULL,
    cmd_status};

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
        fprintf(stderr, "%s report: cannot read the students (see the log above)\n",
                RCL_SCHOOL_PROGRAM);
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
    cmd_report};

/*
 * agg_cmd_read.c - rollcall-agg's commands that read the store: report, list,
 * status and audit.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_audit.h"
#include "agg_cli.h"
#include "agg_cmd.h"
#include "agg_lists.h"
#include "agg_report.h"
#include "agg_status.h"
#include "agg_store.h"
#include "agg_tier.h"
#include "rcl_db.h"
#include "rcl_log.h"

/* ---- report ---- */

static const char report_help[] =
    "usage: " RCL_AGG_PROGRAM " report --db FILE [--format json|csv|html] [--stale-days N]\n"
    "                          [--divisions FILE] [--suppress-below N] [--deadline TIME|none]\n"
    "                          [--per-school FILE]\n"
    "\n"
    "Prints the totals over every school below this aggregator, one row per unit\n"
    "reporting directly to it, one row per county (and the unit it comes through),\n"
    "and completeness (schools expected, reported, stale, never reported). csv\n"
    "opens in Excel; html is one self-contained page with charts.\n"
    "Readable while `run` is running. --stale-days overrides the store's setting.\n"
    "--divisions names counties, their cities and unnamed units from a CSV with\n"
    "columns code,name[,city_code,city_name,...] (like henan-divisions.csv).\n"
    "--suppress-below N publishes a unit's or county's counts from 1 to N-1 as\n"
    "suppressed (null in JSON, \"<N\" in csv and html); totals stay exact.\n"
    "--deadline: count on time and late against TIME instead of the store's deadline\n"
    "(`deadline --help`); none: no timeliness figures.\n"
    "--per-school FILE (a county): also writes a CSV of each school's platforms,\n"
    "teaching materials, pending opt-out applications and feedback records.\n";

int rcl_agg_cmd_report(int argc, char **argv)
{
    const char *path = NULL, *format = NULL, *stale = NULL, *divisions = NULL, *suppress = NULL,
               *deadline = NULL, *per_school = NULL;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL},
                                 {"format", &format, NULL},
                                 {"stale-days", &stale, NULL},
                                 {"divisions", &divisions, NULL},
                                 {"suppress-below", &suppress, NULL},
                                 {"deadline", &deadline, NULL},
                                 {"per-school", &per_school, NULL}};
    struct rcl_agg_report_options ro;
    struct rcl_agg_config cfg;
    char err[512], *end;
    sqlite3 *db;
    int rc = rcl_agg_opts_result(rcl_agg_opts_parse("report", argc, argv, opts, 7), report_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("report", "db", path))
        return RCL_AGG_EXIT_USAGE;
    memset(&ro, 0, sizeof(ro));
    if (format && rcl_agg_report_format_parse(format, &ro.format) != 0) {
        rcl_agg_usage_error("report", "--format '%s' must be json, csv or html", format);
        return RCL_AGG_EXIT_USAGE;
    }
    if (rcl_agg_stale_days_parse("report", stale, &ro.stale_seconds) != 0)
        return RCL_AGG_EXIT_USAGE;
    if (suppress) {
        unsigned long long n;

        errno = 0;
        n = strtoull(suppress, &end, 10);
        if (errno != 0 || end == suppress || *end != '\0' || suppress[0] == '-' || n < 1 ||
            n > RCL_AGG_SUPPRESS_BELOW_MAX) {
            rcl_agg_usage_error("report",
                                "--suppress-below '%s' must be a whole number from 1 to %d",
                                suppress, RCL_AGG_SUPPRESS_BELOW_MAX);
            return RCL_AGG_EXIT_USAGE;
        }
        ro.suppress_below = (uint64_t)n;
    }
    if (deadline && rcl_agg_deadline_opt("report", deadline, true, &ro.deadline) != 0)
        return RCL_AGG_EXIT_USAGE;
    ro.divisions_path = divisions;
    db = rcl_agg_cli_store_open("report", path, &cfg);
    if (!db)
        return RCL_AGG_EXIT_DATA;
    rc = RCL_AGG_EXIT_OK;
    if (per_school && !rcl_agg_holds_students(&cfg)) {
        rcl_log_write(RCL_LOG_ERROR,
                      "report: --per-school: only a county holds its schools' profiles and "
                      "students db=%s tier=%s",
                      rcl_log_value(path), rcl_agg_tier_names[cfg.tier]);
        rcl_db_close(&db);
        return RCL_AGG_EXIT_DATA;
    }
    if (per_school && !(ro.per_school = fopen(per_school, "wb"))) {
        rcl_log_write(RCL_LOG_ERROR, "report: --per-school: cannot write the file file=%s err=%s",
                      rcl_log_value(per_school), rcl_log_value(strerror(errno)));
        rcl_db_close(&db);
        return RCL_AGG_EXIT_DATA;
    }
    if (rcl_agg_report_write(db, &cfg, &ro, stdout, err, sizeof(err)) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "report: %s db=%s", err, rcl_log_value(path));
        rc = RCL_AGG_EXIT_DATA;
    }
    if (ro.per_school && fclose(ro.per_school) != 0 && rc == RCL_AGG_EXIT_OK) {
        rcl_log_write(RCL_LOG_ERROR, "report: --per-school: cannot write the file file=%s err=%s",
                      rcl_log_value(per_school), rcl_log_value(strerror(errno)));
        rc = RCL_AGG_EXIT_DATA;
    }
    if (rc != RCL_AGG_EXIT_OK && per_school)
        remove(per_school);
    rcl_db_close(&db);
    return rc;
}

/* ---- list ---- */

int rcl_agg_cmd_list(int argc, char **argv)
{
    const char *path = NULL, *format = NULL, *stale = NULL, *school = NULL, *kind = NULL,
               *lang = NULL;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL},
                                 {"format", &format, NULL},
                                 {"stale-days", &stale, NULL},
                                 {"school", &school, NULL},
                                 {"lang", &lang, NULL}};
    struct rcl_agg_list_options lo;
    struct rcl_agg_config cfg;
    char **rest = calloc((size_t)argc + 1, sizeof(*rest)), err[512];
    int n_rest = 0, rc;
    sqlite3 *db;

    if (!rest) {
        rcl_log_write(RCL_LOG_ERROR, "list: out of memory");
        return RCL_AGG_EXIT_DATA;
    }
    rcl_agg_opts_positional(argc, argv, opts, 5, &kind, rest, &n_rest);
    rc =
        rcl_agg_opts_result(rcl_agg_opts_parse("list", n_rest, rest, opts, 5), rcl_agg_list_help());
    free(rest);
    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("list", "db", path))
        return RCL_AGG_EXIT_USAGE;
    memset(&lo, 0, sizeof(lo));
    if (!kind) {
        rcl_agg_usage_error("list", "missing KIND, one of: %s", rcl_agg_list_kind_names());
        return RCL_AGG_EXIT_USAGE;
    }
    if ((lo.kind = rcl_agg_list_kind_find(kind)) < 0) {
        rcl_agg_usage_error("list", "unknown KIND '%s' (kinds: %s)", kind,
                            rcl_agg_list_kind_names());
        return RCL_AGG_EXIT_USAGE;
    }
    if (format && rcl_agg_list_format_parse(format, &lo.format) != 0) {
        rcl_agg_usage_error("list", "--format '%s' must be text, csv or json", format);
        return RCL_AGG_EXIT_USAGE;
    }
    if (lang && rcl_agg_list_lang_parse(lang, &lo.lang) != 0) {
        rcl_agg_usage_error("list", "--lang '%s' must be zh or en", lang);
        return RCL_AGG_EXIT_USAGE;
    }
    if (lang && lo.format == RCL_AGG_LIST_JSON) {
        rcl_agg_usage_error("list", "--lang applies to text and csv; json is always English");
        return RCL_AGG_EXIT_USAGE;
    }
    if (stale && !rcl_agg_list_kind_uses_window(lo.kind)) {
        rcl_agg_usage_error("list", "--stale-days applies to the schools list, not to %s", kind);
        return RCL_AGG_EXIT_USAGE;
    }
    if (rcl_agg_stale_days_parse("list", stale, &lo.stale_seconds) != 0)
        return RCL_AGG_EXIT_USAGE;
    if (school && !rcl_agg_school_code_valid(school)) {
        rcl_agg_usage_error("list", "--school '%s' is not a 10-digit school code", school);
        return RCL_AGG_EXIT_USAGE;
    }
    lo.school = school;
    db = rcl_agg_cli_store_open("list", path, &cfg);
    if (!db)
        return RCL_AGG_EXIT_DATA;
    rc = RCL_AGG_EXIT_OK;
    if (rcl_agg_list_write(db, &cfg, &lo, stdout, err, sizeof(err)) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "list: %s db=%s", err, rcl_log_value(path));
        rc = RCL_AGG_EXIT_DATA;
    }
    rcl_db_close(&db);
    return rc;
}

/* ---- status ---- */

static const char status_help[] =
    "usage: " RCL_AGG_PROGRAM " status --db FILE [--json]\n"
    "\n"
    "Prints each source's sync state (highest applied seq, last batch) and the\n"
    "changes still waiting for the upstream's acknowledgement.\n";

int rcl_agg_cmd_status(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}, {"json", NULL, &json}};
    struct rcl_agg_config cfg;
    sqlite3 *db;
    int rc = rcl_agg_opts_result(rcl_agg_opts_parse("status", argc, argv, opts, 2), status_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("status", "db", path))
        return RCL_AGG_EXIT_USAGE;
    db = rcl_agg_cli_store_open("status", path, &cfg);
    if (!db)
        return RCL_AGG_EXIT_DATA;
    rc = RCL_AGG_EXIT_OK;
    if (rcl_agg_status_write(db, &cfg, json, stdout) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "status: reading the store failed db=%s err=%s",
                      rcl_log_value(path), rcl_log_value(sqlite3_errmsg(db)));
        rc = RCL_AGG_EXIT_DATA;
    }
    rcl_db_close(&db);
    return rc;
}

/* ---- audit ---- */

static const char audit_help[] =
    "usage: " RCL_AGG_PROGRAM " audit --db FILE [--json]\n"
    "\n"
    "Checks the hash chain of every source's applied batches, that the registry\n"
    "and (at a county) each school's summary name the last batch applied, and\n"
    "lists the refused batches kept aside with their reasons. Exits 0 when every\n"
    "chain is sound, 1 when a break is found (each is printed). Readable while\n"
    "`run` is running.\n";

int rcl_agg_cmd_audit(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}, {"json", NULL, &json}};
    struct rcl_agg_config cfg;
    sqlite3 *db;
    int breaks,
        rc = rcl_agg_opts_result(rcl_agg_opts_parse("audit", argc, argv, opts, 2), audit_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("audit", "db", path))
        return RCL_AGG_EXIT_USAGE;
    db = rcl_agg_cli_store_open("audit", path, &cfg);
    if (!db)
        return RCL_AGG_EXIT_DATA;
    breaks = rcl_agg_audit(db, &cfg, json, stdout);
    if (breaks < 0)
        rcl_log_write(RCL_LOG_ERROR, "audit: reading the store failed db=%s err=%s",
                      rcl_log_value(path), rcl_log_value(sqlite3_errmsg(db)));
    else if (breaks > 0)
        rcl_log_write(RCL_LOG_ERROR, "audit: breaks in the chains (see above) db=%s count=%d",
                      rcl_log_value(path), breaks);
    rcl_db_close(&db);
    return breaks == 0 ? RCL_AGG_EXIT_OK : RCL_AGG_EXIT_DATA;
}

/*
 * agg_report.h - what an aggregator knows, as JSON (the contract of DESIGN.md),
 * CSV (opens in Excel) or one self-contained HTML page.
 *
 * Totals are over every school below this aggregator; children are the
 * units reporting directly to it (schools at a county, aggregators above);
 * completeness counts schools: expected (summary rows), reported (synced at
 * least once), stale (reported, but not within stale_seconds), missing (the
 * ids never synced, sorted). counties break the same figures down by the
 * county code of each school's summary and the child it came through, so a
 * county administered directly by the province is one row, under itself.
 *
 * Above a county the figures come from the rollup table the store keeps by
 * trigger (agg_sql.h), plus the few per-school rows a report needs (stale
 * and never-synced schools); at a county, and whenever the rollup does not
 * count every summary, from the summaries themselves.
 */
#ifndef RCL_AGG_REPORT_H
#define RCL_AGG_REPORT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rcl_html.h"

#include "agg_store.h"

enum rcl_agg_report_format { RCL_AGG_REPORT_JSON, RCL_AGG_REPORT_CSV, RCL_AGG_REPORT_HTML };

/* Parses "json" / "csv" / "html". 0, or -1. */
int rcl_agg_report_format_parse(const char *word, enum rcl_agg_report_format *out);

/* The largest --suppress-below taken. */
#define RCL_AGG_SUPPRESS_BELOW_MAX 1000000

struct rcl_agg_report_options {
    enum rcl_agg_report_format format;
    int64_t stale_seconds; /* <= 0: the store's setting */
    int64_t now;           /* unix seconds the report is as of; 0 reads the clock */
    /* A divisions table (agg_divisions.h) naming counties, cities and children; NULL: none. */
    const char *divisions_path;
    /* Counts in 1..suppress_below-1 of a child or county are published as suppressed
     * (null in JSON, "<N" in CSV and HTML); the totals stay exact. 0: off. */
    uint64_t suppress_below;
    /* Read every school's summary instead of the rollup table (what tests compare against). */
    bool recount;
    /* The reporting deadline in unix seconds: 0 the store's (agg_timeliness.h), -1 none. */
    int64_t deadline;
    /* A county: its schools' table (rcl_agg_report_csv_schools) is written here too; NULL: not. */
    FILE *per_school;
};

/*
 * Reads the store (one read transaction, so the figures are consistent
 * while `run` writes) and writes the report to out. Returns 0, or -1 with
 * err set.
 */
int rcl_agg_report_write(sqlite3 *db, const struct rcl_agg_config *cfg,
                         const struct rcl_agg_report_options *opt, FILE *out, char *err,
                         size_t errlen);

/* rcl_agg_html_escape, which the school's page uses too, is in proto/base/rcl_html.h. */

#endif

/*
 * report.h - `rollcall-school report`: the school's own totals.
 *
 * JSON: {"scope": school id, "tier": "school", "name", "county",
 * "generated_at", "totals": {...}} where totals is the same object every
 * aggregator report carries (rcl_json_totals). CSV: "id,name," and the
 * totals columns, then one row for the school.
 */
#ifndef RCL_SCHOOL_REPORT_H
#define RCL_SCHOOL_REPORT_H

#include <sqlite3.h>
#include <stdio.h>

#include "rcl_model.h"
#include "school_store.h"

enum rcl_school_report_format { RCL_SCHOOL_REPORT_JSON, RCL_SCHOOL_REPORT_CSV };

/* Sums every stored student into t. Returns 0, or -1 on a store error (logged). */
int rcl_school_totals(sqlite3 *db, struct rcl_totals *t);

/* Writes the report to out. Returns 0, or -1 on a store error (logged). */
int rcl_school_report(sqlite3 *db, const struct rcl_school_meta *m,
                      enum rcl_school_report_format format, FILE *out);

#endif

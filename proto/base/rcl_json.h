/*
 * rcl_json.h - a small streaming JSON writer for reports.
 *
 * The writer tracks commas itself: callers emit keys and values in order.
 * Strings are escaped; non-ASCII UTF-8 passes through unchanged.
 */
#ifndef RCL_JSON_H
#define RCL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rcl_model.h"

#define RCL_JSON_DEPTH_MAX 32

struct rcl_json {
    FILE *out;
    int depth;
    bool need_comma[RCL_JSON_DEPTH_MAX];
    bool after_key;
};

void rcl_json_init(struct rcl_json *j, FILE *out);
void rcl_json_object_begin(struct rcl_json *j);
void rcl_json_object_end(struct rcl_json *j);
void rcl_json_array_begin(struct rcl_json *j);
void rcl_json_array_end(struct rcl_json *j);
void rcl_json_key(struct rcl_json *j, const char *key);
void rcl_json_string(struct rcl_json *j, const char *s);
void rcl_json_uint(struct rcl_json *j, uint64_t v);
void rcl_json_int(struct rcl_json *j, int64_t v);
void rcl_json_bool(struct rcl_json *j, bool v);
void rcl_json_null(struct rcl_json *j);

/*
 * Writes the contract's totals object: the counts of rcl_counts.h, those of a
 * set (groups, measures, participation) in an object of their own.
 */
void rcl_json_totals(struct rcl_json *j, const struct rcl_totals *t);
/* The same with null for every count v that must not be published: 0 < v < suppress_below. */
void rcl_json_totals_suppressed(struct rcl_json *j, const struct rcl_totals *t,
                                uint64_t suppress_below);

/* CSV: the totals' column names, and one row of values, in the same order. */
void rcl_csv_totals_header(FILE *out);
void rcl_csv_totals_row(FILE *out, const struct rcl_totals *t);
/* Writes s as one CSV field, quoted when it holds a comma, quote or newline;
 * one that a spreadsheet would run as a formula (leading = + - @ tab CR) is
 * quoted and led by an apostrophe, so it shows as text. */
void rcl_csv_field(FILE *out, const char *s);

#endif

/*
 * rcl_list_out.h - the rows of a list (of either program), held as text cells, and
 * the three ways they are printed: aligned text for a terminal, CSV that
 * opens in Excel, and one JSON object.
 *
 * A list fills a table row by row; the writers know nothing about what the
 * list means, only each column's name and type.
 */
#ifndef RCL_LIST_OUT_H
#define RCL_LIST_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum rcl_agg_list_format { RCL_AGG_LIST_TEXT, RCL_AGG_LIST_CSV, RCL_AGG_LIST_JSON };

/* Parses "text" / "csv" / "json". 0, or -1. */
int rcl_agg_list_format_parse(const char *word, enum rcl_agg_list_format *out);

enum rcl_agg_col_type {
    RCL_AGG_COL_TEXT, /* a string */
    RCL_AGG_COL_INT,  /* a whole number; an empty cell is JSON null */
    RCL_AGG_COL_SET   /* "a;b" in text and CSV, ["a", "b"] in JSON */
};

struct rcl_agg_col {
    const char *name;
    enum rcl_agg_col_type type;
};

/* Rows of ncols cells each; every cell is a malloc'd NUL-terminated string. */
struct rcl_agg_table {
    const struct rcl_agg_col *cols;
    size_t ncols;
    char **cells; /* row r, column c at cells[r * ncols + c] */
    size_t nrows, cap_rows;
};

/* What the JSON object says besides its rows. */
struct rcl_agg_list_head {
    const char *kind;
    const char *scope; /* this aggregator's id */
    const char *tier;
    const char *school;    /* the --school filter, or NULL */
    int64_t generated_at;  /* unix seconds */
    int64_t stale_seconds; /* > 0: written (the schools list) */
};

/* Appends a row: copies of the ncols strings in cells (NULL is an empty cell). 0, or -1 out of
 * memory. */
int rcl_agg_table_add(struct rcl_agg_table *t, const char *const *cells);

/* Frees every cell; the table is empty afterwards. */
void rcl_agg_table_clear(struct rcl_agg_table *t);

/* Writes the table in format to out. 0, or -1 out of memory (nothing written). */
int rcl_agg_table_write(const struct rcl_agg_table *t, const struct rcl_agg_list_head *head,
                        enum rcl_agg_list_format format, FILE *out);

/* Columns a terminal gives s: 2 for East Asian wide characters, 1 for others. */
size_t rcl_agg_text_width(const char *s);

#endif

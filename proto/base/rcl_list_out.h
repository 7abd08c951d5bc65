/*
 * rcl_list_out.h - the rows of a list (of either program), held as text cells, and
 * the three ways they are printed: aligned text for a terminal, CSV that
 * opens in Excel, and one JSON object.
 *
 * A list fills a table row by row with the model's codes; the writers know
 * nothing about what the list means, only each column's names, type and the
 * words its codes read as. Text and CSV are for people: Chinese headers and
 * words by default, English (the JSON keys and codes) with RCL_AGG_LANG_EN.
 * JSON is for scripts and always English.
 */
#ifndef RCL_LIST_OUT_H
#define RCL_LIST_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rcl_model.h"

enum rcl_agg_list_format { RCL_AGG_LIST_TEXT, RCL_AGG_LIST_CSV, RCL_AGG_LIST_JSON };

/* Parses "text" / "csv" / "json". 0, or -1. */
int rcl_agg_list_format_parse(const char *word, enum rcl_agg_list_format *out);

enum rcl_agg_col_type {
    RCL_AGG_COL_TEXT, /* a string */
    RCL_AGG_COL_INT,  /* a whole number; an empty cell is JSON null */
    RCL_AGG_COL_SET   /* "a;b" in text and CSV, ["a", "b"] in JSON */
};

enum rcl_agg_list_lang { RCL_AGG_LANG_ZH, RCL_AGG_LANG_EN };

/* Parses "zh" / "en". 0, or -1. */
int rcl_agg_list_lang_parse(const char *word, enum rcl_agg_list_lang *out);

/*
 * The Chinese words of a column's codes: codes[i] reads as zh[i][0]. A set
 * cell is translated item by item and joined by '、'; with status, an item
 * "kind:status" reads as "kind's word：status's word" (as the school's
 * export writes measures). A code not in the table is shown as it is.
 */
struct rcl_agg_vocab {
    const char *const *codes;
    const char *const (*zh)[RCL_ZH_WORDS];
    int count;
    const struct rcl_agg_vocab *status;
};

struct rcl_agg_col {
    const char *name; /* the JSON key and the English header */
    enum rcl_agg_col_type type;
    const char *zh;                    /* the Chinese header; NULL: name */
    const struct rcl_agg_vocab *vocab; /* NULL: cells are shown as they are */
};

/* Rows of ncols cells each; every cell is a malloc'd NUL-terminated string. */
struct rcl_agg_table {
    const struct rcl_agg_col *cols;
    size_t ncols;
    char **cells; /* row r, column c at cells[r * ncols + c] */
    size_t nrows, cap_rows;
    /* Text: rows come in runs of one first cell (a helper's students); each run is printed
     * under its own header, after a blank line, so it can be cut out and handed on. */
    bool runs;
};

/* What the JSON object says besides its rows. */
struct rcl_agg_list_head {
    const char *kind;
    const char *scope; /* this aggregator's id */
    const char *tier;
    const char *school;          /* the --school filter, or NULL */
    int64_t generated_at;        /* unix seconds */
    int64_t stale_seconds;       /* > 0: written (the schools list) */
    enum rcl_agg_list_lang lang; /* text and CSV */
};

/* Appends a row: copies of the ncols strings in cells (NULL is an empty cell). 0, or -1 out of
 * memory. */
int rcl_agg_table_add(struct rcl_agg_table *t, const char *const *cells);

/* Frees every cell; the table is empty afterwards. */
void rcl_agg_table_clear(struct rcl_agg_table *t);

/* Writes the table in format to out (text and CSV in head->lang; CSV lines end in CRLF, as
 * Excel writes them). 0, or -1 out of memory (nothing written). */
int rcl_agg_table_write(const struct rcl_agg_table *t, const struct rcl_agg_list_head *head,
                        enum rcl_agg_list_format format, FILE *out);

/* The Chinese word of one code of col (a static string), or code itself when col has no word
 * for it. */
const char *rcl_agg_word_zh(const struct rcl_agg_col *col, const char *code);

/* Cell v of col as a Chinese reader sees it: the words of its codes when col has a vocabulary,
 * else v as it is. malloc'd (the caller frees it), or NULL out of memory. */
char *rcl_agg_cell_zh(const struct rcl_agg_col *col, const char *v);

/* Columns a terminal gives s: 2 for East Asian wide characters, 1 for others. */
size_t rcl_agg_text_width(const char *s);

#endif

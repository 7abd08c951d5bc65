/*
 * agg_lists.h - `rollcall-agg list KIND`: the lists a bureau acts on, one row
 * per student, school, group or measure to follow up.
 *
 * Each kind is a definition in its family's file (agg_lists_students.c,
 * agg_lists_follow.c, agg_lists_schools.c: its name, a line of help, whether
 * it needs student rows, its columns and the function that fills them) and a
 * line in agg_lists.c's table; the help text and usage errors are made from it.
 *
 * Kinds reading student rows work at a county only: a city or province holds
 * per-school summaries and no student (DESIGN.md), and says so. `schools`
 * works at every tier.
 */
#ifndef RCL_AGG_LISTS_H
#define RCL_AGG_LISTS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rcl_list_out.h"
#include "agg_store.h"

struct rcl_agg_list_options {
    int kind; /* from rcl_agg_list_kind_find */
    enum rcl_agg_list_format format;
    enum rcl_agg_list_lang lang; /* text and CSV: Chinese (0) or English */
    int64_t stale_seconds;       /* the schools list; <= 0: the store's setting */
    const char *school;          /* only this school's rows, or NULL for all */
    int64_t now;                 /* unix seconds the list is as of; 0 reads the clock */
};

/* Index of the kind named word, or -1. */
int rcl_agg_list_kind_find(const char *word);

/* The column of kind called name (its JSON key), or NULL: its Chinese header and words for
 * a page that shows the same thing beside the lists. */
const struct rcl_agg_col *rcl_agg_list_col(int kind, const char *name);

/* True when --stale-days means something to kind (the schools list). */
bool rcl_agg_list_kind_uses_window(int kind);

/* The kinds' names, "blind-spots, schools, ..." (a static string). */
const char *rcl_agg_list_kind_names(void);

/* The command's --help text, with a line per kind (a static string). */
const char *rcl_agg_list_help(void);

/*
 * Fills t (empty, columns not yet set) with the rows of opt->kind, read in
 * one read transaction so they agree with each other while `run` writes:
 * its own, or the caller's when db is in one already.
 * Returns 0; 1 for a request this store cannot answer (a student list above
 * county level, an unknown school), err saying why; -1 on a store error,
 * err saying why. The caller clears t (rcl_agg_table_clear) in every case.
 */
int rcl_agg_list_fill(sqlite3 *db, const struct rcl_agg_config *cfg,
                      const struct rcl_agg_list_options *opt, struct rcl_agg_table *t, char *err,
                      size_t errlen);

/* Fills the list and writes it to out in opt->format. 0, or -1 / 1 as rcl_agg_list_fill. */
int rcl_agg_list_write(sqlite3 *db, const struct rcl_agg_config *cfg,
                       const struct rcl_agg_list_options *opt, FILE *out, char *err, size_t errlen);

#endif

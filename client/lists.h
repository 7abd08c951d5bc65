/*
 * lists.h - `rollcall-school list`: the school's own lists to act on, one
 * row per student (or per measure), printed as the county's lists are
 * (rcl_list_out.h: aligned text, CSV for Excel, JSON).
 *
 *   lacking         students without the conditions to learn at home (condition none)
 *   students        every student
 *   special-groups  students in at least one special group
 *   blind-spots     blind spots, most urgent first (rcl_student_urgency, as the county orders them)
 *   plans           every assistance measure: kind, status, helper role, start and end
 *
 * Text and CSV have Chinese headers and words by default, English with
 * RCL_SHEET_EN; JSON keys and values are always the English codes.
 */
#ifndef RCL_SCHOOL_LISTS_H
#define RCL_SCHOOL_LISTS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>

#include "rcl_list_out.h"
#include "school_store.h"
#include "sheet.h"

/* The kinds, for help and messages. */
#define RCL_SCHOOL_LIST_KINDS "lacking, blind-spots, plans, students, special-groups"

struct rcl_school_list_options {
    const char *kind;
    const char *class_name; /* only this class, or NULL */
    enum rcl_agg_list_format format;
    enum rcl_sheet_lang lang;
};

/* True when kind names a list. */
bool rcl_school_list_known(const char *kind);

/*
 * Writes the list to out. Returns 0, or -1 with the reason in err (a store
 * error or out of memory; nothing written).
 */
int rcl_school_list(sqlite3 *db, const struct rcl_school_meta *m,
                    const struct rcl_school_list_options *o, FILE *out, char *err, size_t errlen);

#endif

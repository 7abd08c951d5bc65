/*
 * import_internal.h - what the import's files share (import.h is the
 * interface): the problems it reports and the errors sheet they go to
 * (import_problems.c), and the sheet's header and rows read and checked
 * (import_rows.c); import.c reads the file and applies the rows to the store.
 */
#ifndef RCL_SCHOOL_IMPORT_INTERNAL_H
#define RCL_SCHOOL_IMPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "csv.h"
#include "rcl_model.h"
#include "rcl_platform.h"
#include "reason.h"
#include "sheet.h"
#include "student_id.h"

/* ---- Problems, as FILE:LINE: reason (import_problems.c) ---- */

struct rcl_import_problems {
    FILE *out;
    const char *path;
    uint64_t count;
    /* The errors sheet (--errors), which gets every problem and note, with the row's
     * student number and name as the file has them so that a clerk finds the row. */
    FILE *sheet;
    struct rcl_csv_reader *row; /* the row being read, or NULL */
    int id_field, name_field;   /* their fields in the row, or -1 */
    bool sheet_zh;              /* the sheet's reasons in Chinese where known (import_zh.c) */
    bool out_zh;                /* and those on out */
};

/* A reason nothing is imported. */
void rcl_import_problem(struct rcl_import_problems *p, unsigned long line, const char *fmt, ...)
    RCL_PRINTF_LIKE(3, 4);

/* Something the clerk should know that does not stop the import. */
void rcl_import_note(struct rcl_import_problems *p, unsigned long line, const char *fmt, ...)
    RCL_PRINTF_LIKE(3, 4);

/* A reason nothing is imported, built by a reader in both languages. */
void rcl_import_problem_why(struct rcl_import_problems *p, unsigned long line,
                            const struct rcl_reason *why);

/* v (len bytes) as it can be quoted in a message, in out; returns out. */
const char *rcl_import_shown(const char *v, size_t len, char *out, size_t outlen);

/* ---- The header and the rows (import_rows.c) ---- */

struct rcl_import_layout {
    size_t n_fields;
    int column_of[RCL_CSV_FIELDS_MAX]; /* field index -> enum rcl_sheet_column */
    int field_of[RCL_COL_COUNT];       /* enum rcl_sheet_column -> field index, or -1 */
    bool zh; /* Chinese headers: notes filed by import say so in Chinese */
};

struct rcl_import_cell {
    const char *s; /* NUL-terminated at s[len] only when untrimmed; use len */
    size_t len;
    bool present; /* the file has the column */
};

/* At most this many title rows above the header are passed over. */
#define RCL_IMPORT_TITLE_ROWS_MAX 3

#define RCL_IMPORT_NO_APPLICATION                                                                     \
    "an opt-out reason or date without an application: set optout_status (不参加申请状态) or " \
    "clear them"

/* True when the current record is a title above the header. */
bool rcl_import_is_title_row(struct rcl_csv_reader *r);

/* Maps the header's columns. Returns 0, or -1 after reporting every problem with it. */
int rcl_import_read_header(struct rcl_csv_reader *r, struct rcl_import_problems *p,
                           bool ignore_unknown, struct rcl_import_layout *lay);

/* Column c of the current record. */
struct rcl_import_cell rcl_import_cell_of(struct rcl_csv_reader *r,
                                          const struct rcl_import_layout *lay,
                                          enum rcl_sheet_column c);

/* Whether the current record holds nothing but blanks. */
bool rcl_import_row_is_blank(struct rcl_csv_reader *r);

/* Reports a value in a column the header gives no name. */
void rcl_import_check_unnamed(struct rcl_csv_reader *r, const struct rcl_import_layout *lay,
                              struct rcl_import_problems *p, unsigned long line);

/* Checks the student number cell into id: 0 when valid, or -1 after reporting. */
int rcl_import_id_cell(struct rcl_import_problems *p, unsigned long line, struct rcl_import_cell c,
                       char id[RCL_STUDENT_ID_LEN + 1]);

/* Checks the row's cells into s (old: the stored student, or NULL). Returns the number of
 * problems reported. */
uint64_t rcl_import_check_row(struct rcl_csv_reader *r, const struct rcl_import_layout *lay,
                              struct rcl_import_problems *p, unsigned long line,
                              const struct rcl_student *old, struct rcl_student *s);

#endif

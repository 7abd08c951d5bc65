/*
 * export.h - writing the students sheet: the school's students (export), or
 * the headers and one example row to fill in (template).
 *
 * The sheet is what import reads: one row per student, CRLF line ends,
 * English or Chinese headers and words (sheet.h), UTF-8 with a byte order
 * mark (so that Excel shows it right) or GB18030. A cell a spreadsheet would
 * run as a formula is led by an apostrophe, which import drops again. An
 * export has every column (the measures' roles and dates and the opt-out
 * application after the template's), so imported into a fresh store it
 * gives the same students; a template has the columns a clerk fills in.
 *
 * The file is created new (never overwritten, mode 0600: it holds personal
 * data) and removed again when writing it fails.
 */
#ifndef RCL_SCHOOL_EXPORT_H
#define RCL_SCHOOL_EXPORT_H

#include <sqlite3.h>
#include <stdint.h>

#include "charset.h"
#include "sheet.h"

struct rcl_sheet_format {
    enum rcl_sheet_lang lang;
    enum rcl_charset charset;
};

/*
 * Writes every student of db, in student number order, to the new file
 * path; the number written in *rows. Returns 0, or -1 with
 * "path: reason" in err.
 */
int rcl_school_export(sqlite3 *db, const char *path, const struct rcl_sheet_format *f,
                      uint64_t *rows, char *err, size_t errlen);

/*
 * Writes the headers and one example row (student number
 * RCL_SHEET_EXAMPLE_ID, which import refuses) to the new file path.
 * Returns 0, or -1 with "path: reason" in err.
 */
int rcl_school_template(const char *path, const struct rcl_sheet_format *f, char *err,
                        size_t errlen);

#endif

/*
 * import.h - loading the students CSV into the school store.
 *
 * The header names the columns, in any order, in English or Chinese
 * (sheet.h): student_id, name, grade and class are required; network,
 * devices, groups, assistance, participation, platform and feedback are
 * optional. The file may be UTF-8 or GB18030 (charset.h). A column the
 * file does not have keeps what the store holds for an existing student
 * (empty for a new one). Each row upserts one student; a row identical to
 * the stored one appends nothing to the outbox. Students missing from the
 * file are left alone. A row with the template's example student number is
 * refused, and a cell's formula guard (sheet.h) is dropped. Title rows above
 * the header, empty unnamed columns, rows of empty cells and the common
 * columns that hold nothing to import (序号, 性别, 备注…: a note says so) are
 * passed over. Classes are kept in one form (sheet.h: "三（1）班" is 1班).
 *
 * Atomic: every row is checked, every problem is reported as
 * "FILE:LINE: reason", and if there is any, nothing is applied.
 */
#ifndef RCL_SCHOOL_IMPORT_H
#define RCL_SCHOOL_IMPORT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "charset.h"
#include "school_store.h"
#include "sheet.h"

/* At most this many problems are printed, then "... and N more". */
#define RCL_SCHOOL_IMPORT_ERRORS_SHOWN 100

struct rcl_school_import_result {
    uint64_t added;
    uint64_t changed;
    uint64_t unchanged;
    uint64_t errors;          /* problems found; when not 0 nothing was applied */
    enum rcl_charset charset; /* what the file was written in */
};

/*
 * Imports the CSV file at path (named so in messages) into db. Problems go
 * to errors; the counts to *res. Returns 0 when everything was applied, or
 * -1 when nothing was (data problems, unreadable file, store failure).
 */
int rcl_school_import(sqlite3 *db, const struct rcl_school_meta *m, const char *path, FILE *errors,
                      struct rcl_school_import_result *res);

struct rcl_school_import_options {
    /* When set, every problem and note (none left out) is written there too, as a sheet
     * Excel opens (UTF-8 with a byte order mark, CRLF): 行号, 学籍号, 姓名, 类型 (错误 or
     * 提示), 问题. */
    FILE *errors_sheet;
    /* A column no name in sheet.h matches is passed over with a note, not refused. */
    bool ignore_unknown;
    /* The errors sheet's 问题 in Chinese where import_zh.c has the reason's wording (the
     * messages on the errors stream stay as they are). */
    bool reasons_zh;
    /* The progress line on a terminal in English (--lang en), not Chinese. */
    bool progress_en;
    /* The problems on the errors stream in Chinese too, where import_zh.c words them (still
     * FILE:LINE: reason). */
    bool problems_zh;
};

/* What an import that went through did, in lang: "imported 3 students (2 new, 1 changed,
 * 0 unchanged)", and that the sheet was read as GB18030 when it was. */
void rcl_school_import_said(const struct rcl_school_import_result *res, enum rcl_sheet_lang lang,
                            char *out, size_t outlen);

/* rcl_school_import with options. */
int rcl_school_import_with(sqlite3 *db, const struct rcl_school_meta *m, const char *path,
                           FILE *errors, const struct rcl_school_import_options *opts,
                           struct rcl_school_import_result *res);

/* ---- The reasons in Chinese (import_zh.c) ---- */

/* What ends the reason a sheet has no header row. */
#define RCL_IMPORT_EXPECTED_HEADER                                                                 \
    " (expected a header row such as "                                                             \
    "student_id,name,grade,class,network,devices,groups,assistance,participation)"
#define RCL_IMPORT_EXPECTED_HEADER_ZH                                                              \
    "（第一行应是表头，如 学籍号,姓名,年级,班级,家庭网络,学习终端,特殊群体,帮扶措施,参与情况）"

/* An English format of import.c, or of the sheet's readers (charset.c, csv.c, through
 * reason.h), and its Chinese wording, with the same conversions in order. */
struct rcl_import_reason_zh {
    const char *en, *zh;
};
extern const struct rcl_import_reason_zh rcl_import_reasons_zh[];
extern const size_t rcl_import_reasons_zh_count;

/* The Chinese wording of the English format fmt, or NULL when there is none. */
const char *rcl_import_reason_zh(const char *fmt);

/* The Chinese wording of fmt in table t of n pairs, or NULL when it has none. */
const char *rcl_reason_zh_find(const struct rcl_import_reason_zh *t, size_t n, const char *fmt);

#endif

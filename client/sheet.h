/*
 * sheet.h - the students sheet's words: column names and cell values in
 * English and Chinese, list separators, grades, and the guard against
 * spreadsheet formulas.
 *
 * Import reads with these tables and export and template write with them,
 * so what one writes the other reads back unchanged. English words match
 * ignoring case, blanks, '_' and '-' ("Student ID" is student_id); Chinese
 * words match exactly, blanks (also the full-width one and line breaks)
 * aside, full-width letters and digits as ASCII ("４Ｇ" is 4G). A '*' that
 * marks a required column ("*学籍号") is ignored too. Several words mean
 * one code (笔记本电脑 and 台式机 are computer; tables in rcl_model.c), and
 * 无, 没有 or 暂无 in a list means nothing.
 */
#ifndef RCL_SCHOOL_SHEET_H
#define RCL_SCHOOL_SHEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcl_model.h"

enum rcl_sheet_lang { RCL_SHEET_EN, RCL_SHEET_ZH };

/* ---- Columns, in the order export and template write them ---- */

enum rcl_sheet_column {
    RCL_COL_STUDENT_ID,
    RCL_COL_NAME,
    RCL_COL_GRADE,
    RCL_COL_CLASS,
    RCL_COL_NETWORK,
    RCL_COL_DEVICES,
    RCL_COL_GROUPS,
    RCL_COL_ASSISTANCE,
    RCL_COL_PARTICIPATION,
    RCL_COL_PLATFORM,
    RCL_COL_FEEDBACK,
    /* The rest of what the school holds, which export writes so that nothing is lost:
     * each measure's helper role and dates (one ';'-separated item per measure, in the
     * order of the assistance cell) and the opt-out application. The template stops
     * before them. */
    RCL_COL_HELPER_ROLES,
    RCL_COL_ASSISTANCE_START,
    RCL_COL_ASSISTANCE_END,
    RCL_COL_OPTOUT_STATUS,
    RCL_COL_OPTOUT_REASON,
    RCL_COL_OPTOUT_FILED,
    RCL_COL_OPTOUT_DECIDED,
    /* Where the student is now and who to call: kept at the school and its county only. */
    RCL_COL_PLACE_COUNTY,
    RCL_COL_PLACE,
    RCL_COL_GUARDIAN_CONTACT,
    RCL_COL_HELPER_CONTACTS,
    RCL_COL_COUNT
};

/* The columns template writes: those a clerk fills in. */
#define RCL_COL_TEMPLATE_COUNT (RCL_COL_FEEDBACK + 1)

/* Every accepted column name, for help and messages. */
#define RCL_SHEET_COLUMNS_ACCEPTED                                                                               \
    "student_id (学籍号, 全国学籍号), name (姓名), grade (年级), class (班级), network "           \
    "(家庭网络, "                                                                                            \
    "网络), devices (学习终端, 设备, 终端), groups (特殊群体, 群体), assistance (帮扶措施, " \
    "帮扶), "                                                                                                  \
    "participation (参与情况, 参与), platform (学习平台, 平台), feedback (家长反馈, 反馈), "   \
    "helper_roles (帮扶责任人), assistance_start (帮扶开始日期), assistance_end "                     \
    "(帮扶结束日期), optout_status (不参加申请状态), optout_reason (不参加申请理由), "       \
    "optout_filed (申请日期), optout_decided (审批日期)"
/* The same in Chinese. */
#define RCL_SHEET_COLUMNS_ACCEPTED_ZH                                                                                                            \
    "学籍号、姓名、年级、班级、家庭网络、学习终端、特殊群体、帮扶措施、参与情况、学习平台、"          \
    "家长反馈、帮扶责任人、帮扶开始日期、帮扶结束日期、不参加申请状态、不参加申请理由、申请日期、" \
    "审批日期"

/*
 * The student number of the example row template writes. No real number
 * has the sequence code 000, and import refuses a row with it, so an
 * example left in the sheet is never counted as a student.
 */
#define RCL_SHEET_EXAMPLE_ID "G110101201001010007"

/* The column's name as written in lang: "student_id" or "学籍号". */
const char *rcl_sheet_column_name(enum rcl_sheet_column c, enum rcl_sheet_lang lang);
bool rcl_sheet_column_required(enum rcl_sheet_column c);

/* What rcl_sheet_column_find returns for a column sheets keep that import does not read. */
#define RCL_SHEET_COLUMN_IGNORED (-2)

/*
 * The column a header cell (len bytes) names, RCL_SHEET_COLUMN_IGNORED for
 * one of the common columns that hold nothing to import (序号, 性别, 备注…),
 * or -1. Full-width letters and digits count as their ASCII forms, and a
 * note in brackets at the end ("姓名（必填）", "(19位)", "【必填】") is ignored.
 */
int rcl_sheet_column_find(const char *cell, size_t len);

/*
 * Copies s (len bytes) into out (outlen, NUL-terminated) with full-width
 * forms ('１', 'Ｘ', '－', U+3000) as their ASCII ones; returns the length.
 * For cells of codes (numbers, dates, phones), never free text.
 */
size_t rcl_sheet_fold(const char *s, size_t len, char *out, size_t outlen);

/*
 * A class as sheets write it ("1班", "三（1）班", "3(1)班", "初一2班", "01",
 * "一班") in the one form "1班", into out; *grade is the grade the cell names
 * (3 for "三（1）班"), or 0, and *in_stage is true when that grade is a bare
 * number, which a middle school counts from its own first year ("1(2)班" is
 * 初一 there). A name that is not a class number ("火箭班") is kept as it is.
 * Returns 0, or -1 when out is too small.
 */
int rcl_sheet_class_normalize(const char *cell, size_t len, char *out, size_t outlen,
                              unsigned *grade, bool *in_stage);

/* ---- Cell values ---- */

enum rcl_sheet_list { RCL_LIST_NETWORK, RCL_LIST_DEVICES, RCL_LIST_GROUPS, RCL_LIST_MEASURES };

/*
 * Rewrites a list cell (len bytes) into the model's form, which
 * rcl_set_parse and rcl_measures_parse read: items split at ';', '；', '、'
 * or '，', each English word or Chinese alias replaced by the model's name
 * (for measures "kind" or "kind:status", ':' or '：'), joined by ';'. An
 * item that is not recognised is copied as it is, so that the model's
 * parser names it. Returns 0, or -1 when out (outlen bytes) is too small.
 */
int rcl_sheet_list_normalize(enum rcl_sheet_list kind, const char *cell, size_t len, char *out,
                             size_t outlen);

/* Writes the words a list cell accepts into out: "broadband (宽带), ..." in English, "宽带、..."
 * in Chinese. */
void rcl_sheet_list_accepted(enum rcl_sheet_list kind, enum rcl_sheet_lang lang, char *out,
                             size_t outlen);

/* The participation a word (len bytes, not empty) names, or -1. */
int rcl_sheet_participation_find(const char *cell, size_t len);

/* The grade 1-12 a Chinese grade word names (一年级 … 六年级, 初一 or 七年级 …, 高一 …, 3年级), or
 * 0. */
unsigned rcl_sheet_grade_word(const char *cell, size_t len);

/* Formatting for export; out is always NUL-terminated. */
void rcl_sheet_grade_format(unsigned grade, enum rcl_sheet_lang lang, char *out, size_t outlen);
void rcl_sheet_set_format(enum rcl_sheet_list kind, uint32_t set, enum rcl_sheet_lang lang,
                          char *out, size_t outlen);
void rcl_sheet_measures_format(const struct rcl_measure *m, size_t n, enum rcl_sheet_lang lang,
                               char *out, size_t outlen);
const char *rcl_sheet_participation_name(unsigned participation, enum rcl_sheet_lang lang);
const char *rcl_sheet_measure_kind_name(unsigned kind, enum rcl_sheet_lang lang);
const char *rcl_sheet_measure_status_name(unsigned status, enum rcl_sheet_lang lang);

/* Opt-out application status: none (also when empty), pending, approved, rejected, or their
 * Chinese words (未申请, 待审批, 已批准, 未批准). */
int rcl_sheet_optout_status_find(const char *cell, size_t len);
const char *rcl_sheet_optout_status_name(unsigned status, enum rcl_sheet_lang lang);

/* ---- Spreadsheet formulas ---- */

/*
 * True when a spreadsheet would run a cell starting like s as a formula (=
 * + - @ tab CR), or s starts with the apostrophe that guards such a cell:
 * export then writes it led by an apostrophe, which shows it as text.
 */
bool rcl_sheet_cell_needs_guard(const char *s);

/* Drops the apostrophe that guards a cell (see above) from *s, *len. */
void rcl_sheet_cell_unguard(const char **s, size_t *len);

#endif

/*
 * reason.h - a reason built at run time by the sheet's readers (charset.c,
 * csv.c) or the import, kept twice: in English, as the command line says it,
 * and in Chinese, for the errors sheet and the page a clerk reads.
 *
 * The Chinese is the wording import_zh.c's table (else usage_zh.c's) gives the English format,
 * filled with the same arguments (or, through rcl_reason_zh, with Chinese
 * arguments of its own: a part that is itself a reason); a format without an
 * entry is said in English in both.
 */
#ifndef RCL_SCHOOL_REASON_H
#define RCL_SCHOOL_REASON_H

#include <stdarg.h>
#include <stddef.h>

#include "rcl_platform.h"

#define RCL_REASON_MAX 480

struct rcl_reason {
    char en[RCL_REASON_MAX];
    char zh[RCL_REASON_MAX];
};

/*
 * The Chinese word of a code given as a pointer into the model's tables of
 * names (rcl_*_names: measure kinds, participation, ...) or the sheet's
 * column names (rcl_sheet_column_name in English), or of rcl_word_none; NULL
 * for anything else. By pointer, not by spelling: text a clerk typed, kept in
 * buffers of its own, is never taken for a code.
 */
const char *rcl_code_zh(const char *s);
extern const char rcl_word_none[]; /* "none": no such thing (无) */

/* vsnprintf, with each %s argument rcl_code_zh knows said as its Chinese word. */
void rcl_vsnprintf_zh(char *out, size_t outlen, const char *fmt, va_list ap);

/* Both, from fmt and the same arguments (codes in the Chinese as their words). */
void rcl_reason_set(struct rcl_reason *r, const char *fmt, ...) RCL_PRINTF_LIKE(2, 3);

/* The Chinese wording usage_zh.c gives the English format fmt of a usage error, or NULL. */
const char *rcl_usage_reason_zh(const char *fmt);

/* rcl_reason_set with a va_list. */
void rcl_reason_vset(struct rcl_reason *r, const char *fmt, va_list ap) RCL_PRINTF_LIKE(2, 0);

/* One of them, from fmt (the English format either way) and arguments in that language. */
void rcl_reason_en(struct rcl_reason *r, const char *fmt, ...) RCL_PRINTF_LIKE(2, 3);
void rcl_reason_zh(struct rcl_reason *r, const char *fmt, ...) RCL_PRINTF_LIKE(2, 3);

#endif

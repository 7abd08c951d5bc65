/*
 * edit_internal.h - what edit.c and edit_records.c share (client-internal).
 */
#ifndef RCL_SCHOOL_EDIT_INTERNAL_H
#define RCL_SCHOOL_EDIT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "edit.h"
#include "import.h"
#include "rcl_platform.h"

/* One edit being run. */
struct rcl_edit {
    sqlite3 *db;
    const struct rcl_school_meta *m;
    const struct rcl_school_edit_opt *opts;
    size_t n;
    FILE *out, *errs;
    const char *action;           /* "add", "plan", ... or NULL */
    char where[64];               /* "rollcall-school student add", for messages */
    char today[RCL_DATE_LEN + 1]; /* the default date of a new event */
    int64_t now;
    const char *usage_needs; /* what a usage error lacks */
    bool zh;                 /* messages in Chinese (edit_zh.c), for the page */
    const char *where_zh;    /* "新增学生", for messages in Chinese */
    char label[48];          /* rcl_edit_label's answer */
};

/* A usage error: the options lack what (said once the edit is rolled back). */
#define RCL_EDIT_USAGE_NEEDS(e, what) ((e)->usage_needs = (what), RCL_SCHOOL_EXIT_USAGE)

/* Says "where: message" on errs (in Chinese when e->zh). Returns RCL_SCHOOL_EXIT_DATA. */
int rcl_edit_fail(struct rcl_edit *e, const char *fmt, ...) RCL_PRINTF_LIKE(2, 3);

/* Says what was done on out (in Chinese when e->zh). */
void rcl_edit_done(struct rcl_edit *e, const char *fmt, ...) RCL_PRINTF_LIKE(2, 3);

/* Option name as a message names it: "--name", or its Chinese label when e->zh. */
const char *rcl_edit_label(struct rcl_edit *e, const char *name);

/* ---- Messages in Chinese (edit_zh.c) ---- */

/* The Chinese wording of an edit's English message format (or of a fixed phrase), with the
 * same conversions in the same order; the import's wording (import_zh.c) where the edit says
 * the same; or NULL. */
const char *rcl_edit_reason_zh(const char *fmt);
extern const struct rcl_import_reason_zh rcl_edit_reasons_zh[];
extern const size_t rcl_edit_reasons_zh_count;
/* The Chinese label of option name (the page's), or NULL. */
const char *rcl_edit_label_zh(const char *name);

/* The value of option name, or NULL when not given. */
const char *rcl_edit_opt(const struct rcl_edit *e, const char *name);

/* Copies option name (when given) into out after checking length and UTF-8. 0, or -1 said. */
int rcl_edit_text(struct rcl_edit *e, const char *name, bool required, char *out, size_t cap);

/* Copies date option name (when given) into out after checking it. 0, or -1 said. */
int rcl_edit_date(struct rcl_edit *e, const char *name, char out[RCL_DATE_LEN + 1]);
/* Option name as a phone number (rcl_contact_valid) into out, '' clearing it. 0, or -1 said. */
int rcl_edit_contact(struct rcl_edit *e, const char *name, char out[RCL_CONTACT_MAX + 1]);

/* The student of --id into s (s->id set even when absent). 1 found, 0 absent, -1 said. */
int rcl_edit_student(struct rcl_edit *e, struct rcl_student *s);

/* Saves s (old: the stored row or NULL) and says done. 0, or an exit code said. */
int rcl_edit_save(struct rcl_edit *e, struct rcl_student *s, const struct rcl_student *old,
                  const char *done);

/* measure add|plan|end and profile set (edit_records.c). Return an exit code. */
int rcl_edit_measure(struct rcl_edit *e);
int rcl_edit_profile(struct rcl_edit *e);

#endif

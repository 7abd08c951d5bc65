/*
 * agg_lists_internal.h - what the files of `rollcall-agg list` share
 * (agg_lists.c and a file per family of kinds): the reading context, one
 * student row as the lists read it, a kind's definition, and the readers.
 */
#ifndef RCL_AGG_LISTS_INTERNAL_H
#define RCL_AGG_LISTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "agg_lists.h"
#include "rcl_model.h"

struct list_ctx {
    sqlite3 *db;
    const struct rcl_agg_config *cfg;
    const struct rcl_agg_list_options *opt;
    int64_t now, stale_seconds;
    bool want_details;     /* each_student reads the measures' roles and dates */
    bool want_record;      /* each_student reads feedback, opt-out application, place, contact */
    sqlite3_stmt *details; /* RCL_AGG_SQL_LIST_DETAILS, prepared on first use */
    char *err;
    size_t errlen;
};

/* One student row of the county store, as the lists read it. */
struct row {
    char school_id[RCL_ID_MAX + 1];
    char school_name[RCL_NAME_MAX + 1];
    struct rcl_student s; /* no id (it never leaves the school); no platform */
};

struct list_kind {
    const char *name;
    const char *help;  /* one line of --help */
    const char *holds; /* what only a county holds that it reads ("student rows"), or NULL */
    bool uses_window;  /* --stale-days means something to it */
    const struct rcl_agg_col *cols;
    size_t ncols;
    int (*fill)(struct list_ctx *x, struct rcl_agg_table *t);
};

/* The columns every list of students starts with (after its own first ones). */
/* clang-format off */
#define SCHOOL_COLS                                                                                \
    {"school_id", RCL_AGG_COL_TEXT, "学校代码", NULL}, {"school_name", RCL_AGG_COL_TEXT, "学校", NULL}
#define STUDENT_COLS                                                                               \
    {"grade", RCL_AGG_COL_INT, "年级", NULL}, {"class", RCL_AGG_COL_TEXT, "班级", NULL},            \
        {"name", RCL_AGG_COL_TEXT, "姓名", NULL}
/* clang-format on */

#define COLS(a) .cols = (a), .ncols = sizeof(a) / sizeof((a)[0])
#define LIST_STUDENT_ROWS "student rows"

/* "reading the store failed: ..." into x->err. Returns -1. */
int list_store_error(struct list_ctx *x);
/* Binds ?1 to --school, or NULL for every school. */
void list_bind_school(struct list_ctx *x, sqlite3_stmt *st);
/* Column col as text ("" for NULL) into out. */
void list_column_text(sqlite3_stmt *st, int col, char *out, size_t outlen);
/* Calls fn for every student row (of the --school, if given). 0, or -1 with err set. */
int list_each_student(struct list_ctx *x,
                      int (*fn)(struct list_ctx *x, const struct row *r, void *arg), void *arg);
void list_format_uint(char *out, size_t outlen, uint64_t v);
/* Grows *arr (of *cap elements of size) to hold need. 0, or -1 out of memory. */
int list_grow(void **arr, size_t *cap, size_t need, size_t size);
/* "out of memory" into x->err. Returns -1. */
int list_out_of_memory(struct list_ctx *x);

/* The words of the codes more than one family writes. */
extern const struct rcl_agg_vocab list_status_words;
extern const struct rcl_agg_vocab list_measure_words; /* "kind" or "kind:status" */
extern const struct rcl_agg_vocab list_participation_words;

/* The kinds, each defined in its family's file. */
extern const struct list_kind list_kind_blind_spots;
extern const struct list_kind list_kind_schools;
extern const struct list_kind list_kind_duplicates;
extern const struct list_kind list_kind_groups;
extern const struct list_kind list_kind_measures;
extern const struct list_kind list_kind_transfers;
extern const struct list_kind list_kind_elsewhere;
extern const struct list_kind list_kind_plans;
extern const struct list_kind list_kind_helpers;
extern const struct list_kind list_kind_platforms;
extern const struct list_kind list_kind_feedback;
extern const struct list_kind list_kind_optouts;
extern const struct list_kind list_kind_places;

#endif

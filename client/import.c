/*
 * import.c - the students CSV, row by row, in one transaction (see import.h):
 * the file read as UTF-8 (charset.c) and as CSV (csv.c), each row checked
 * (import_rows.c) and applied to the store, every problem reported
 * (import_problems.c); nothing is applied unless every row is sound.
 */
#include "import.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "charset.h"
#include "csv.h"
#include "import_internal.h"
#include "optout.h"
#include "progress.h"
#include "rcl_crash.h"
#include "rcl_db.h"
#include "rcl_log.h"
#include "rcl_platform.h"
#include "reason.h"
#include "sheet.h"
#include "student_id.h"

/* ---- Student numbers seen in this file (duplicates are an error) ---- */

struct seen_entry {
    char id[RCL_STUDENT_ID_LEN];
    unsigned long line; /* 0: free slot */
};

struct seen_set {
    struct seen_entry *slots;
    size_t cap; /* a power of two */
    size_t n;
};

static size_t seen_hash(const char *id)
{
    uint64_t h = UINT64_C(14695981039346656037); /* FNV-1a */
    for (int i = 0; i < RCL_STUDENT_ID_LEN; i++) {
        h ^= (unsigned char)id[i];
        h *= UINT64_C(1099511628211);
    }
    return (size_t)h;
}

static struct seen_entry *seen_slot(struct seen_entry *slots, size_t cap, const char *id)
{
    size_t i = seen_hash(id) & (cap - 1);
    while (slots[i].line != 0 && memcmp(slots[i].id, id, RCL_STUDENT_ID_LEN) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

/*
 * Records id as seen on line. Returns 0 when new, the line it was first seen
 * on when it is a duplicate, or -1 when out of memory.
 */
static long seen_add(struct seen_set *s, const char *id, unsigned long line)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap == 0 ? 1024 : s->cap * 2;
        struct seen_entry *slots = calloc(cap, sizeof(*slots));
        if (slots == NULL)
            return -1;
        for (size_t i = 0; i < s->cap; i++) {
            if (s->slots[i].line != 0)
                *seen_slot(slots, cap, s->slots[i].id) = s->slots[i];
        }
        free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    struct seen_entry *e = seen_slot(s->slots, s->cap, id);
    if (e->line != 0)
        return (long)e->line;
    memcpy(e->id, id, RCL_STUDENT_ID_LEN);
    e->line = line;
    s->n++;
    return 0;
}

/* ---- The whole file ---- */

struct import_run {
    sqlite3 *db;
    const struct rcl_school_meta *meta;
    struct rcl_csv_reader *reader;
    struct rcl_import_problems problems;
    struct rcl_import_layout layout;
    struct seen_set seen;
    struct rcl_school_import_result *res;
    int64_t now;
    char today[RCL_DATE_LEN + 1]; /* the date of an application filed on import */
    bool store_failed;
};

/* What a step with a row leaves to do. */
enum row_step {
    ROW_GO_ON,      /* check the rest of the row */
    ROW_DONE,       /* the row is reported: on to the next */
    ROW_STOP_IMPORT /* the import must stop */
};

/*
 * Checks the row's student number into id: not the template's example, not
 * seen before in the file. *found tells whether the store has the student, in
 * *old, while the import can still be applied.
 */
static enum row_step check_row_id(struct import_run *run, unsigned long line,
                                  char id[RCL_STUDENT_ID_LEN + 1], struct rcl_student *old,
                                  int *found)
{
    struct rcl_import_problems *p = &run->problems;

    if (rcl_import_id_cell(
            p, line, rcl_import_cell_of(run->reader, &run->layout, RCL_COL_STUDENT_ID), id) != 0)
        return ROW_GO_ON;
    if (strcmp(id, RCL_SHEET_EXAMPLE_ID) == 0) {
        rcl_import_problem(p, line,
                           "this is the template's example row (student_id %s): delete it before "
                           "importing",
                           id);
        return ROW_DONE;
    }
    long first = seen_add(&run->seen, id, line);
    if (first < 0) {
        rcl_import_problem(p, line, "out of memory");
        return ROW_STOP_IMPORT;
    }
    if (first > 0)
        rcl_import_problem(p, line, "student_id '%s' appears again (first on line %ld)", id, first);
    /* The stored row is only needed while the import can still be applied. */
    if (first == 0 && p->count == 0) {
        *found = rcl_school_student_get(run->db, id, old);
        if (*found < 0) {
            run->store_failed = true;
            return ROW_STOP_IMPORT;
        }
    }
    return ROW_GO_ON;
}

/*
 * Applies the opt-out rule to s (old: the stored student, or NULL), noting
 * what it did. Returns false after reporting a reason with no application.
 */
static bool apply_optout_rule(struct import_run *run, unsigned long line, struct rcl_student *s,
                              const struct rcl_student *old)
{
    struct rcl_import_problems *p = &run->problems;
    struct rcl_import_cell reason =
        rcl_import_cell_of(run->reader, &run->layout, RCL_COL_OPTOUT_REASON);
    const char *filed_as = run->layout.zh ? "导入时申请" : "filed on import";
    enum rcl_optout_outcome o =
        rcl_school_optout_rule(s, old, reason.len > 0 ? s->optout_reason : filed_as, run->today);

    /* Not a problem: the row is imported, participation as it was. */
    if (o != RCL_OPTOUT_RULE_KEPT)
        rcl_import_note(p, line, "%s", rcl_optout_outcome_text(o));
    /* A reason the rule did not file (the student was opted_out already) has no
     * application to belong to. */
    if (s->optout_status == RCL_OPTOUT_NONE && s->optout_reason[0]) {
        rcl_import_problem(p, line, "%s", RCL_IMPORT_NO_APPLICATION);
        return false;
    }
    return true;
}

/* Saves s (old: the stored student, or NULL) and counts it. Returns 0, or -1 on a store failure. */
static int save_row(struct import_run *run, struct rcl_student *s, const struct rcl_student *old)
{
    switch (rcl_school_student_save(run->db, run->meta->pseudonym_key, s, old, run->now)) {
    case RCL_SCHOOL_SAVE_NEW:
        run->res->added++;
        break;
    case RCL_SCHOOL_SAVE_CHANGED:
        run->res->changed++;
        break;
    case RCL_SCHOOL_SAVE_UNCHANGED:
        run->res->unchanged++;
        break;
    case RCL_SCHOOL_SAVE_FAILED:
        run->store_failed = true;
        return -1;
    }
    return 0;
}

/* Handles the current record as a student row. Returns 0, or -1 when the import must stop. */
static int import_row(struct import_run *run)
{
    struct rcl_import_problems *p = &run->problems;
    unsigned long line = rcl_csv_reader_line(run->reader);
    size_t n = rcl_csv_reader_count(run->reader);
    char id[RCL_STUDENT_ID_LEN + 1];
    struct rcl_student old;
    struct rcl_student s;
    int found = 0;

    /* A row of empty cells is what a spreadsheet writes for a blank but formatted row. */
    if (rcl_import_row_is_blank(run->reader))
        return 0;
    if (n != run->layout.n_fields) {
        rcl_import_problem(p, line, "expected %zu fields as in the header, found %zu",
                           run->layout.n_fields, n);
        return 0;
    }
    enum row_step step = check_row_id(run, line, id, &old, &found);
    if (step != ROW_GO_ON)
        return step == ROW_STOP_IMPORT ? -1 : 0;

    rcl_import_check_unnamed(run->reader, &run->layout, p, line);
    memset(&s, 0, sizeof(s));
    uint64_t bad =
        rcl_import_check_row(run->reader, &run->layout, p, line, found ? &old : NULL, &s);
    if (bad > 0 || p->count > 0)
        return 0;

    memcpy(s.id, id, sizeof(s.id));
    if (!apply_optout_rule(run, line, &s, found ? &old : NULL))
        return 0;
    return save_row(run, &s, found ? &old : NULL);
}

int rcl_school_import(sqlite3 *db, const struct rcl_school_meta *m, const char *path, FILE *errors,
                      struct rcl_school_import_result *res)
{
    const struct rcl_school_import_options none = {NULL, false, false, false, false};
    return rcl_school_import_with(db, m, path, errors, &none, res);
}

/*
 * The records in text, for the progress line's total; text is left where it
 * was. 0 (unknown) when it cannot be read twice.
 */
static uint64_t count_records(FILE *text)
{
    long at = ftell(text);
    struct rcl_csv_reader *r;
    uint64_t n = 0;

    if (at < 0 || (r = rcl_csv_reader_new(text)) == NULL)
        return 0;
    for (enum rcl_csv_result got;
         (got = rcl_csv_reader_next(r)) != RCL_CSV_END && got != RCL_CSV_FATAL;)
        n++;
    rcl_csv_reader_destroy(&r);
    clearerr(text);
    return fseek(text, at, SEEK_SET) == 0 ? n : 0;
}

void rcl_school_import_said(const struct rcl_school_import_result *res, enum rcl_sheet_lang lang,
                            char *out, size_t outlen)
{
    bool zh = lang == RCL_SHEET_ZH;

    snprintf(out, outlen,
             zh ? "已导入 %llu 名学生（新增 %llu，修改 %llu，未变 %llu）%s"
                : "imported %llu students (%llu new, %llu changed, %llu unchanged)%s",
             (unsigned long long)(res->added + res->changed + res->unchanged),
             (unsigned long long)res->added, (unsigned long long)res->changed,
             (unsigned long long)res->unchanged,
             res->charset != RCL_CHARSET_GB18030 ? ""
             : zh                                ? "；表格按 GB18030 编码读取"
                                                 : "; read as GB18030");
}

/*
 * The run's start for rcl_school_import_with: nothing read, the errors
 * sheet's header written, the clock read once for every row.
 */
static void run_start(struct import_run *run, sqlite3 *db, const struct rcl_school_meta *m,
                      const char *path, FILE *errors, const struct rcl_school_import_options *opts,
                      struct rcl_school_import_result *res)
{
    memset(run, 0, sizeof(*run));
    memset(res, 0, sizeof(*res));
    run->db = db;
    run->meta = m;
    run->res = res;
    run->problems.out = errors;
    run->problems.path = path;
    run->problems.sheet = opts->errors_sheet;
    run->problems.sheet_zh = opts->reasons_zh;
    run->problems.out_zh = opts->problems_zh;
    run->problems.id_field = run->problems.name_field = -1;
    if (opts->errors_sheet != NULL)
        fputs("\xEF\xBB\xBF\"行号\",\"学籍号\",\"姓名\",\"类型\",\"问题\"\r\n", opts->errors_sheet);
    run->now = (int64_t)time(NULL);
    {
        time_t t = (time_t)run->now;
        struct tm tm;
        /* The school's own calendar day, as the editing commands use. */
        if (rcl_localtime(t, &tm) != 0 ||
            strftime(run->today, sizeof(run->today), "%Y-%m-%d", &tm) != RCL_DATE_LEN)
            run->today[0] = '\0';
    }
}

/*
 * Opens path into *f and reads it as UTF-8 text into *text (*f itself, or
 * *f converted). Returns 0, or -1 after reporting.
 */
static int open_text(struct import_run *run, const char *path, FILE **f, FILE **text)
{
    struct rcl_reason why;
    unsigned long why_line;

    *f = rcl_fopen(path, "rb");
    if (*f == NULL) {
        rcl_import_problem(&run->problems, 0, "cannot open: %s", strerror(errno));
        return -1;
    }
    *text = rcl_charset_to_utf8(*f, &run->res->charset, &why_line, &why);
    if (*text == NULL) {
        rcl_import_problem_why(&run->problems, why_line, &why);
        return -1;
    }
    return 0;
}

/*
 * Reads past the title rows to the header and maps its columns; *before_rows
 * is the records read (the title rows and the header). Returns 0, or -1 after
 * reporting.
 */
static int read_to_header(struct import_run *run, bool ignore_unknown, uint64_t *before_rows)
{
    enum rcl_csv_result got = rcl_csv_reader_next(run->reader);
    bool titled = false;

    *before_rows = 1; /* the title rows and the header */
    for (int t = 0; got == RCL_CSV_RECORD && t < RCL_IMPORT_TITLE_ROWS_MAX &&
                    rcl_import_is_title_row(run->reader);
         t++) {
        titled = true;
        got = rcl_csv_reader_next(run->reader);
        (*before_rows)++;
    }
    if (got == RCL_CSV_END) {
        if (titled)
            rcl_import_problem(&run->problems, 0, "no header row" RCL_IMPORT_EXPECTED_HEADER);
        else
            rcl_import_problem(&run->problems, 0, "file is empty" RCL_IMPORT_EXPECTED_HEADER);
        return -1;
    }
    if (got != RCL_CSV_RECORD) {
        rcl_import_problem_why(&run->problems, rcl_csv_reader_error_line(run->reader),
                               rcl_csv_reader_reason(run->reader));
        return -1;
    }
    if (rcl_import_read_header(run->reader, &run->problems, ignore_unknown, &run->layout) != 0)
        return -1;
    run->problems.id_field = run->layout.field_of[RCL_COL_STUDENT_ID];
    run->problems.name_field = run->layout.field_of[RCL_COL_NAME];
    return 0;
}

/*
 * Imports the records after the header (total: how many, 0 when unknown),
 * showing progress, until the end or the first problem that stops the import.
 */
static void import_records(struct import_run *run, uint64_t total, bool progress_en)
{
    struct rcl_progress progress;
    uint64_t done = 0;
    enum rcl_csv_result got;

    rcl_progress_start(&progress, stderr, "import", "rows", total);
    progress.what_zh = "导入";
    progress.unit_zh = "行";
    progress.zh = !progress_en;
    while ((got = rcl_csv_reader_next(run->reader)) != RCL_CSV_END) {
        done++;
        rcl_progress_update(&progress, done, total > done ? total : done);
        /* The row's student number and name go beside its problems in the errors sheet. */
        run->problems.row = got == RCL_CSV_RECORD ? run->reader : NULL;
        if (got == RCL_CSV_FATAL) {
            rcl_import_problem_why(&run->problems, rcl_csv_reader_error_line(run->reader),
                                   rcl_csv_reader_reason(run->reader));
            break;
        }
        if (got == RCL_CSV_BAD) {
            rcl_import_problem_why(&run->problems, rcl_csv_reader_error_line(run->reader),
                                   rcl_csv_reader_reason(run->reader));
            continue;
        }
        if (import_row(run) != 0)
            break;
    }
    rcl_progress_end(&progress);
    run->problems.row = NULL;
}

int rcl_school_import_with(sqlite3 *db, const struct rcl_school_meta *m, const char *path,
                           FILE *errors, const struct rcl_school_import_options *opts,
                           struct rcl_school_import_result *res)
{
    struct import_run run;
    bool in_tx = false;
    int rc = -1;
    FILE *f = NULL;
    FILE *text = NULL; /* f, or f converted to UTF-8 */
    uint64_t records, before_rows;

    run_start(&run, db, m, path, errors, opts, res);
    if (open_text(&run, path, &f, &text) != 0)
        goto done;
    records = count_records(text);
    run.reader = rcl_csv_reader_new(text);
    if (run.reader == NULL) {
        rcl_import_problem(&run.problems, 0, "out of memory");
        goto done;
    }
    if (read_to_header(&run, opts->ignore_unknown, &before_rows) != 0)
        goto done;

    if (rcl_db_begin(db) != 0) {
        rcl_import_problem(&run.problems, 0, "the store is busy or unwritable: %s",
                           sqlite3_errmsg(db));
        goto done;
    }
    in_tx = true;
    import_records(&run, records > before_rows ? records - before_rows : 0, opts->progress_en);
    if (run.store_failed) {
        rcl_import_problem(&run.problems, 0, "store failure while importing: %s",
                           sqlite3_errmsg(db));
        goto done;
    }
    if (run.problems.count > 0)
        goto done;
    RCL_CRASH_POINT("import-before-commit");
    if (rcl_db_commit(db) != 0) {
        rcl_import_problem(&run.problems, 0, "cannot commit the import: %s", sqlite3_errmsg(db));
        goto done;
    }
    in_tx = false;
    rc = 0;
done:
    if (in_tx)
        rcl_db_rollback(db);
    if (rc != 0) {
        res->added = res->changed = res->unchanged = 0;
        bool zh = opts->problems_zh;
        if (run.problems.count > RCL_SCHOOL_IMPORT_ERRORS_SHOWN)
            fprintf(errors, zh ? "……另有 %llu 个问题\n" : "... and %llu more\n",
                    (unsigned long long)(run.problems.count - RCL_SCHOOL_IMPORT_ERRORS_SHOWN));
        if (zh)
            fprintf(errors, "%s：%llu 个问题，一名学生都没有导入\n", path,
                    (unsigned long long)run.problems.count);
        else
            fprintf(errors, "%s: %llu problem%s; nothing was imported\n", path,
                    (unsigned long long)run.problems.count, run.problems.count == 1 ? "" : "s");
    }
    res->errors = run.problems.count;
    rcl_csv_reader_destroy(&run.reader);
    free(run.seen.slots);
    if (text != NULL && text != f)
        fclose(text);
    if (f != NULL)
        fclose(f);
    return rc;
}

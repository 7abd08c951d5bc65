/*
 * import.c - the students CSV, row by row, in one transaction (see import.h).
 */
#include "import.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "charset.h"
#include "csv.h"
#include "progress.h"
#include "rcl_crash.h"
#include "rcl_db.h"
#include "rcl_log.h"
#include "sheet.h"
#include "student_id.h"

/* ---- Problems, as FILE:LINE: reason ---- */

struct problems {
    FILE *out;
    const char *path;
    uint64_t count;
};

static void problem(struct problems *p, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct problems *p, unsigned long line, const char *fmt, ...)
{
    va_list ap;
    p->count++;
    if (p->count > RCL_SCHOOL_IMPORT_ERRORS_SHOWN)
        return;
    if (line > 0)
        fprintf(p->out, "%s:%lu: ", p->path, line);
    else
        fprintf(p->out, "%s: ", p->path);
    va_start(ap, fmt);
    vfprintf(p->out, fmt, ap);
    va_end(ap);
    fputc('\n', p->out);
}

/*
 * A cell as it can be quoted in a message: control characters become '?'
 * and long values are cut (at a character boundary) with "...".
 */
static const char *shown(const char *v, size_t len, char *out, size_t outlen)
{
    const size_t limit = 40;
    size_t n = 0;
    size_t i = 0;

    for (; i < len && n + 4 < outlen && n < limit; i++) {
        unsigned char c = (unsigned char)v[i];
        out[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (i < len) {
        /* Do not end inside a multi-byte character. */
        while (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
            n--;
        if (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0xC0)
            n--;
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

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

/* ---- The header ---- */

struct layout {
    size_t n_fields;
    int column_of[RCL_CSV_FIELDS_MAX]; /* field index -> enum rcl_sheet_column */
    int field_of[RCL_COL_COUNT];       /* enum rcl_sheet_column -> field index, or -1 */
};

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

/* At most this many title rows above the header are passed over. */
#define TITLE_ROWS_MAX 3

/*
 * True when the current record is a title above the header, as sheets
 * often have ("2020年春季学期学生居家学习情况表" in the first cell, the
 * others empty): at most one cell holds anything, and it names no column.
 */
static bool is_title_row(struct rcl_csv_reader *r)
{
    size_t filled = 0;
    for (size_t i = 0; i < rcl_csv_reader_count(r); i++) {
        size_t len;
        const char *cell = rcl_csv_reader_get(r, i, &len);
        trim(&cell, &len);
        if (len == 0)
            continue;
        if (rcl_sheet_column_find(cell, len) >= 0)
            return false;
        filled++;
    }
    return filled <= 1;
}

/* Maps the header's columns. Returns 0, or -1 after reporting every problem with it. */
static int read_header(struct rcl_csv_reader *r, struct problems *p, struct layout *lay)
{
    unsigned long line = rcl_csv_reader_line(r);
    uint64_t before = p->count;
    char show[64];

    lay->n_fields = rcl_csv_reader_count(r);
    for (int c = 0; c < RCL_COL_COUNT; c++)
        lay->field_of[c] = -1;
    for (size_t i = 0; i < lay->n_fields; i++) {
        size_t len;
        const char *cell = rcl_csv_reader_get(r, i, &len);
        trim(&cell, &len);
        lay->column_of[i] = -1;
        /* Spreadsheets write empty columns right of the data; rows must keep them empty. */
        if (len == 0)
            continue;
        int col = rcl_sheet_column_find(cell, len);
        if (col < 0) {
            problem(p, line, "unknown column '%s' (accepted: " RCL_SHEET_COLUMNS_ACCEPTED ")",
                    shown(cell, len, show, sizeof(show)));
            continue;
        }
        if (lay->field_of[col] >= 0) {
            problem(p, line, "column '%s' appears twice (columns %d and %zu)",
                    rcl_sheet_column_name(col, RCL_SHEET_EN), lay->field_of[col] + 1, i + 1);
            continue;
        }
        lay->field_of[col] = (int)i;
        lay->column_of[i] = col;
    }
    for (int c = 0; c < RCL_COL_COUNT; c++) {
        if (rcl_sheet_column_required(c) && lay->field_of[c] < 0)
            problem(p, line,
                    "missing required column '%s' (required: student_id, name, grade, "
                    "class; or 学籍号, 姓名, 年级, 班级)",
                    rcl_sheet_column_name(c, RCL_SHEET_EN));
    }
    return p->count == before ? 0 : -1;
}

/* ---- One row ---- */

struct cell {
    const char *s; /* NUL-terminated at s[len] only when untrimmed; use len */
    size_t len;
    bool present; /* the file has the column */
};

static struct cell cell_of(struct rcl_csv_reader *r, const struct layout *lay,
                           enum rcl_sheet_column c)
{
    struct cell out = {"", 0, false};
    if (lay->field_of[c] < 0)
        return out;
    out.s = rcl_csv_reader_get(r, (size_t)lay->field_of[c], &out.len);
    out.present = true;
    trim(&out.s, &out.len);
    rcl_sheet_cell_unguard(&out.s, &out.len);
    return out;
}

/* Copies a text cell into out (outlen = max + 1). Reports and returns -1 when invalid. */
static int text_cell(struct problems *p, unsigned long line, const char *what, struct cell c,
                     bool required, char *out, size_t outlen)
{
    if (c.len == 0 && required) {
        problem(p, line, "%s is empty", what);
        return -1;
    }
    if (!rcl_utf8_valid(c.s, c.len)) {
        problem(p, line, "%s is not valid UTF-8 text (or holds a control character)", what);
        return -1;
    }
    if (c.len >= outlen) {
        problem(p, line, "%s is %zu bytes long, at most %zu allowed", what, c.len, outlen - 1);
        return -1;
    }
    memcpy(out, c.s, c.len);
    out[c.len] = '\0';
    return 0;
}

static int set_cell(struct problems *p, unsigned long line, const char *what, struct cell c,
                    enum rcl_sheet_list kind, const char *const *names, int count, uint32_t *out)
{
    char text[512];
    char bad[64];
    char show[64];
    char accepted[512];

    if (rcl_sheet_list_normalize(kind, c.s, c.len, text, sizeof(text)) != 0) {
        problem(p, line, "%s is %zu bytes long, too long for a list of values", what, c.len);
        return -1;
    }
    if (rcl_set_parse(names, count, text, out, bad, sizeof(bad)) == 0)
        return 0;
    rcl_sheet_list_accepted(kind, accepted, sizeof(accepted));
    problem(p, line, "%s: unknown value '%s' (accepted: %s; separate several with ';' or '、')",
            what, shown(bad, strlen(bad), show, sizeof(show)), accepted);
    return -1;
}

static int grade_cell(struct problems *p, unsigned long line, struct cell c, unsigned *out)
{
    char show[64];
    unsigned long v = 0;

    if (c.len == 0) {
        problem(p, line, "grade is empty");
        return -1;
    }
    if ((v = rcl_sheet_grade_word(c.s, c.len)) > 0) {
        *out = (unsigned)v;
        return 0;
    }
    for (size_t i = 0; i < c.len; i++) {
        if (c.s[i] < '0' || c.s[i] > '9' || i >= 9) {
            problem(p, line,
                    "grade '%s' is not a whole number from 1 to 12 (or 一年级 … 六年级, "
                    "初一 … 初三, 高一 … 高三)",
                    shown(c.s, c.len, show, sizeof(show)));
            return -1;
        }
        v = v * 10 + (unsigned long)(c.s[i] - '0');
    }
    if (v < 1 || v > 12) {
        problem(p, line, "grade '%s' is out of range 1-12", shown(c.s, c.len, show, sizeof(show)));
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

static int assistance_cell(struct problems *p, unsigned long line, struct cell c,
                           struct rcl_student *s)
{
    char text[1024];
    char bad[64];
    char show[64];
    char accepted[512];

    if (rcl_sheet_list_normalize(RCL_LIST_MEASURES, c.s, c.len, text, sizeof(text)) != 0) {
        problem(p, line, "assistance is %zu bytes long, too long for a list of measures", c.len);
        return -1;
    }

    size_t items = 0;
    for (const char *item = text; item != NULL; item = strchr(item, ';')) {
        item += *item == ';';
        size_t len = strcspn(item, ";");
        if (strspn(item, " \t") < len)
            items++;
    }
    if (items > RCL_MEASURES_MAX) {
        problem(p, line, "assistance lists %zu measures, at most %d allowed", items,
                RCL_MEASURES_MAX);
        return -1;
    }
    if (rcl_measures_parse(text, s->measures, &s->n_measures, bad, sizeof(bad)) == 0)
        return 0;
    rcl_sheet_list_accepted(RCL_LIST_MEASURES, accepted, sizeof(accepted));
    problem(p, line,
            "assistance: unknown measure '%s' (kinds: %s; add ':planned' or ':ended', "
            "'：计划' or '：已结束', when not in place)",
            shown(bad, strlen(bad), show, sizeof(show)), accepted);
    return -1;
}

static int participation_cell(struct problems *p, unsigned long line, struct cell c, unsigned *out)
{
    char show[64];
    if (c.len == 0) {
        *out = RCL_PART_ACTIVE;
        return 0;
    }
    int i = rcl_sheet_participation_find(c.s, c.len);
    if (i < 0) {
        problem(p, line,
                "participation '%s' is not one of active (正常), irregular (不规律), absent "
                "(缺席), opted_out (申请不参加) (empty means active)",
                shown(c.s, c.len, show, sizeof(show)));
        return -1;
    }
    *out = (unsigned)i;
    return 0;
}

/*
 * Family feedback typed in a spreadsheet often holds line breaks; they
 * become spaces, since no stored text carries control characters.
 */
static int feedback_cell(struct problems *p, unsigned long line, struct cell c, char *out,
                         size_t outlen)
{
    char text[RCL_FEEDBACK_MAX + 1];
    size_t n = 0;

    for (size_t i = 0; i < c.len; i++) {
        char ch = c.s[i];
        if (ch == '\r' || ch == '\n') {
            if (ch == '\r' && i + 1 < c.len && c.s[i + 1] == '\n')
                i++;
            ch = ' ';
        }
        if (n >= sizeof(text) - 1) {
            problem(p, line, "feedback is %zu bytes long, at most %d allowed", c.len,
                    RCL_FEEDBACK_MAX);
            return -1;
        }
        text[n++] = ch;
    }
    text[n] = '\0';
    struct cell fixed = {text, n, true};
    return text_cell(p, line, "feedback", fixed, false, out, outlen);
}

/*
 * Checks the row's cells into s; with old (the stored student), columns the
 * file does not have keep its values. Returns the number of problems reported.
 */
static uint64_t check_row(struct rcl_csv_reader *r, const struct layout *lay, struct problems *p,
                          unsigned long line, const struct rcl_student *old, struct rcl_student *s)
{
    uint64_t before = p->count;
    struct cell c;

    if (old != NULL)
        *s = *old;

    c = cell_of(r, lay, RCL_COL_NAME);
    (void)text_cell(p, line, "name", c, true, s->name, sizeof(s->name));
    (void)grade_cell(p, line, cell_of(r, lay, RCL_COL_GRADE), &s->grade);
    c = cell_of(r, lay, RCL_COL_CLASS);
    (void)text_cell(p, line, "class", c, true, s->class_name, sizeof(s->class_name));
    if ((c = cell_of(r, lay, RCL_COL_NETWORK)).present)
        (void)set_cell(p, line, "network", c, RCL_LIST_NETWORK, rcl_network_names,
                       RCL_NETWORK_COUNT, &s->network);
    if ((c = cell_of(r, lay, RCL_COL_DEVICES)).present)
        (void)set_cell(p, line, "devices", c, RCL_LIST_DEVICES, rcl_device_names, RCL_DEVICE_COUNT,
                       &s->devices);
    if ((c = cell_of(r, lay, RCL_COL_GROUPS)).present)
        (void)set_cell(p, line, "groups", c, RCL_LIST_GROUPS, rcl_group_names, RCL_GROUP_COUNT,
                       &s->groups);
    if ((c = cell_of(r, lay, RCL_COL_ASSISTANCE)).present) {
        (void)assistance_cell(p, line, c, s);
        /* The cell holds kinds and statuses only: keep the roles and dates entered by hand. */
        if (old != NULL)
            rcl_measures_keep_details(s->measures, s->n_measures, old->measures, old->n_measures);
    }
    if ((c = cell_of(r, lay, RCL_COL_PARTICIPATION)).present)
        (void)participation_cell(p, line, c, &s->participation);
    if ((c = cell_of(r, lay, RCL_COL_PLATFORM)).present)
        (void)text_cell(p, line, "platform", c, false, s->platform, sizeof(s->platform));
    if ((c = cell_of(r, lay, RCL_COL_FEEDBACK)).present)
        (void)feedback_cell(p, line, c, s->feedback, sizeof(s->feedback));
    return p->count - before;
}

/*
 * Checks the student number cell, copying it into id. Returns 0 when valid,
 * or -1 after reporting.
 */
static int id_cell(struct problems *p, unsigned long line, struct cell c,
                   char id[RCL_STUDENT_ID_LEN + 1])
{
    char why[128];
    char show[64];
    if (c.len == 0) {
        problem(p, line, "student_id is empty");
        return -1;
    }
    if (rcl_student_id_check(c.s, c.len, why, sizeof(why)) != 0) {
        problem(p, line, "student_id '%s': %s", shown(c.s, c.len, show, sizeof(show)), why);
        return -1;
    }
    memcpy(id, c.s, RCL_STUDENT_ID_LEN);
    id[RCL_STUDENT_ID_LEN] = '\0';
    return 0;
}

/* ---- The whole file ---- */

struct import_run {
    sqlite3 *db;
    const struct rcl_school_meta *meta;
    struct rcl_csv_reader *reader;
    struct problems problems;
    struct layout layout;
    struct seen_set seen;
    struct rcl_school_import_result *res;
    int64_t now;
    bool store_failed;
};

static bool row_is_blank(struct rcl_csv_reader *r)
{
    for (size_t i = 0; i < rcl_csv_reader_count(r); i++) {
        size_t len;
        const char *cell = rcl_csv_reader_get(r, i, &len);
        trim(&cell, &len);
        if (len > 0)
            return false;
    }
    return true;
}

/* Reports a value in a column the header gives no name: it would be dropped unread. */
static void check_unnamed(struct rcl_csv_reader *r, const struct layout *lay, struct problems *p,
                          unsigned long line)
{
    char show[64];
    for (size_t i = 0; i < lay->n_fields; i++) {
        size_t len;
        const char *cell = rcl_csv_reader_get(r, i, &len);
        trim(&cell, &len);
        if (lay->column_of[i] < 0 && len > 0)
            problem(p, line, "column %zu holds '%s' but has no name in the header", i + 1,
                    shown(cell, len, show, sizeof(show)));
    }
}

/* Handles the current record as a student row. Returns 0, or -1 when the import must stop. */
static int import_row(struct import_run *run)
{
    struct problems *p = &run->problems;
    unsigned long line = rcl_csv_reader_line(run->reader);
    size_t n = rcl_csv_reader_count(run->reader);
    char id[RCL_STUDENT_ID_LEN + 1];
    struct rcl_student old;
    struct rcl_student s;
    int found = 0;

    /* A row of empty cells is what a spreadsheet writes for a blank but formatted row. */
    if (row_is_blank(run->reader))
        return 0;
    if (n != run->layout.n_fields) {
        problem(p, line, "expected %zu fields as in the header, found %zu", run->layout.n_fields,
                n);
        return 0;
    }
    if (id_cell(p, line, cell_of(run->reader, &run->layout, RCL_COL_STUDENT_ID), id) == 0) {
        if (strcmp(id, RCL_SHEET_EXAMPLE_ID) == 0) {
            problem(p, line,
                    "this is the template's example row (student_id %s): delete it before "
                    "importing",
                    id);
            return 0;
        }
        long first = seen_add(&run->seen, id, line);
        if (first < 0) {
            problem(p, line, "out of memory");
            return -1;
        }
        if (first > 0)
            problem(p, line, "student_id '%s' appears again (first on line %ld)", id, first);
        /* The stored row is only needed while the import can still be applied. */
        if (first == 0 && p->count == 0) {
            found = rcl_school_student_get(run->db, id, &old);
            if (found < 0) {
                run->store_failed = true;
                return -1;
            }
        }
    }

    check_unnamed(run->reader, &run->layout, p, line);
    memset(&s, 0, sizeof(s));
    uint64_t bad = check_row(run->reader, &run->layout, p, line, found ? &old : NULL, &s);
    if (bad > 0 || p->count > 0)
        return 0;

    memcpy(s.id, id, sizeof(s.id));
    switch (rcl_school_student_save(run->db, run->meta->pseudonym_key, &s, found ? &old : NULL,
                                    run->now)) {
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

int rcl_school_import(sqlite3 *db, const struct rcl_school_meta *m, const char *path, FILE *errors,
                      struct rcl_school_import_result *res)
{
    struct import_run run;
    bool in_tx = false;
    int rc = -1;
    FILE *f = NULL;
    FILE *text = NULL; /* f, or f converted to UTF-8 */
    char why[320];
    unsigned long why_line;

    memset(&run, 0, sizeof(run));
    memset(res, 0, sizeof(*res));
    run.db = db;
    run.meta = m;
    run.res = res;
    run.problems.out = errors;
    run.problems.path = path;
    run.now = (int64_t)time(NULL);

    f = fopen(path, "rb");
    if (f == NULL) {
        problem(&run.problems, 0, "cannot open: %s", strerror(errno));
        goto done;
    }
    text = rcl_charset_to_utf8(f, &res->charset, &why_line, why, sizeof(why));
    if (text == NULL) {
        problem(&run.problems, why_line, "%s", why);
        goto done;
    }
    run.reader = rcl_csv_reader_new(text);
    if (run.reader == NULL) {
        problem(&run.problems, 0, "out of memory");
        goto done;
    }

    enum rcl_csv_result got = rcl_csv_reader_next(run.reader);
    bool titled = false;
    for (int t = 0; got == RCL_CSV_RECORD && t < TITLE_ROWS_MAX && is_title_row(run.reader); t++) {
        titled = true;
        got = rcl_csv_reader_next(run.reader);
    }
    if (got == RCL_CSV_END) {
        problem(&run.problems, 0,
                "%s (expected a header row such as "
                "student_id,name,grade,class,network,devices,groups,assistance,participation)",
                titled ? "no header row" : "file is empty");
        goto done;
    }
    if (got != RCL_CSV_RECORD) {
        problem(&run.problems, rcl_csv_reader_error_line(run.reader), "%s",
                rcl_csv_reader_error(run.reader));
        goto done;
    }
    if (read_header(run.reader, &run.problems, &run.layout) != 0)
        goto done;

    if (rcl_db_begin(db) != 0) {
        problem(&run.problems, 0, "the store is busy or unwritable: %s", sqlite3_errmsg(db));
        goto done;
    }
    in_tx = true;

    /* The total is unknown until the end: rows read and the rate are shown. */
    struct rcl_progress progress;
    rcl_progress_start(&progress, stderr, "import", "rows", 0);
    while ((got = rcl_csv_reader_next(run.reader)) != RCL_CSV_END) {
        rcl_progress_update(&progress, rcl_csv_reader_line(run.reader), 0);
        if (got == RCL_CSV_FATAL) {
            problem(&run.problems, rcl_csv_reader_error_line(run.reader), "%s",
                    rcl_csv_reader_error(run.reader));
            break;
        }
        if (got == RCL_CSV_BAD) {
            problem(&run.problems, rcl_csv_reader_error_line(run.reader), "%s",
                    rcl_csv_reader_error(run.reader));
            continue;
        }
        if (import_row(&run) != 0)
            break;
    }
    rcl_progress_end(&progress);
    if (run.store_failed) {
        problem(&run.problems, 0, "store failure while importing: %s", sqlite3_errmsg(db));
        goto done;
    }
    if (run.problems.count > 0)
        goto done;
    RCL_CRASH_POINT("import-before-commit");
    if (rcl_db_commit(db) != 0) {
        problem(&run.problems, 0, "cannot commit the import: %s", sqlite3_errmsg(db));
        goto done;
    }
    in_tx = false;
    rc = 0;
done:
    if (in_tx)
        rcl_db_rollback(db);
    if (rc != 0) {
        res->added = res->changed = res->unchanged = 0;
        if (run.problems.count > RCL_SCHOOL_IMPORT_ERRORS_SHOWN)
            fprintf(errors, "... and %llu more\n",
                    (unsigned long long)(run.problems.count - RCL_SCHOOL_IMPORT_ERRORS_SHOWN));
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

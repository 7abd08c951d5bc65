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
#include "optout.h"
#include "progress.h"
#include "reason.h"
#include "rcl_crash.h"
#include "rcl_db.h"
#include "rcl_log.h"
#include "rcl_platform.h"
#include "sheet.h"
#include "student_id.h"

/* ---- Problems, as FILE:LINE: reason ---- */

struct problems {
    FILE *out;
    const char *path;
    uint64_t count;
    /* The errors sheet (--errors), which gets every problem and note, with the row's
     * student number and name as the file has them so that a clerk finds the row. */
    FILE *sheet;
    struct rcl_csv_reader *row; /* the row being read, or NULL */
    int id_field, name_field;   /* their fields in the row, or -1 */
    bool sheet_zh;              /* the sheet's reasons in Chinese where known (import_zh.c) */
};

static void sheet_cell(FILE *f, const char *s, size_t len, bool last)
{
    /* Quoted always; a cell a spreadsheet would run as a formula is led by an apostrophe. */
    fputc('"', f);
    if (len > 0 && rcl_sheet_cell_needs_guard(s))
        fputc('\'', f);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i] == '\r' || s[i] == '\n' ? ' ' : s[i], f);
    }
    fputs(last ? "\"\r\n" : "\",", f);
}

static void sheet_row_cell(const struct problems *p, int field)
{
    size_t len = 0;
    const char *v = "";
    if (p->row != NULL && field >= 0 && (size_t)field < rcl_csv_reader_count(p->row))
        v = rcl_csv_reader_get(p->row, (size_t)field, &len);
    sheet_cell(p->sheet, v, len, false);
}

static void sheet_line(const struct problems *p, unsigned long line, bool error, const char *what)
{
    char num[24];
    snprintf(num, sizeof(num), "%lu", line);
    sheet_cell(p->sheet, num, line > 0 ? strlen(num) : 0, false);
    sheet_row_cell(p, p->id_field);
    sheet_row_cell(p, p->name_field);
    sheet_cell(p->sheet, error ? "错误" : "提示", strlen(error ? "错误" : "提示"), false);
    sheet_cell(p->sheet, what, strlen(what), true);
}

/* One problem or note: what in the stream (English), what_zh (or what, when NULL) in a Chinese
 * errors sheet. */
static void say(struct problems *p, unsigned long line, bool error, const char *what,
                const char *what_zh)
{
    if (p->sheet != NULL)
        sheet_line(p, line, error, p->sheet_zh && what_zh != NULL ? what_zh : what);
    if (error && ++p->count > RCL_SCHOOL_IMPORT_ERRORS_SHOWN)
        return;
    char said[1280];
    if (line > 0)
        snprintf(said, sizeof(said), "%s:%lu: %s", p->path, line, what);
    else
        snprintf(said, sizeof(said), "%s: %s", p->path, what);
    /* On stderr a progress line may be showing: the problem goes above it. */
    if (p->out == stderr)
        rcl_log_above(said);
    else
        fprintf(p->out, "%s\n", said);
}

static void report(struct problems *p, unsigned long line, bool error, const char *fmt, va_list ap)
{
    char what[1024], said[1024];
    const char *zh = p->sheet != NULL && p->sheet_zh ? rcl_import_reason_zh(fmt) : NULL;
    va_list again;

    va_copy(again, ap);
    /* A reason passed whole ("%s": a fixed sentence, the header's) is looked up as itself. */
    if (zh == NULL && p->sheet != NULL && p->sheet_zh && strcmp(fmt, "%s") == 0) {
        va_list peek;
        va_copy(peek, ap);
        const char *whole = rcl_import_reason_zh(va_arg(peek, const char *));
        va_end(peek);
        if (whole != NULL && strchr(whole, '%') == NULL)
            zh = whole;
    }
    vsnprintf(what, sizeof(what), fmt, ap);
    if (zh != NULL)
        rcl_vsnprintf_zh(said, sizeof(said), zh, again);
    va_end(again);
    say(p, line, error, what, zh != NULL ? said : NULL);
}

/* A reason nothing is imported, built by a reader in both languages. */
static void problem_why(struct problems *p, unsigned long line, const struct rcl_reason *why)
{
    say(p, line, true, why->en, why->zh);
}

static void problem(struct problems *p, unsigned long line, const char *fmt, ...)
    RCL_PRINTF_LIKE(3, 4);
static void note(struct problems *p, unsigned long line, const char *fmt, ...)
    RCL_PRINTF_LIKE(3, 4);

/* A reason nothing is imported. */
static void problem(struct problems *p, unsigned long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(p, line, true, fmt, ap);
    va_end(ap);
}

/* Something the clerk should know that does not stop the import. */
static void note(struct problems *p, unsigned long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(p, line, false, fmt, ap);
    va_end(ap);
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
    bool zh; /* Chinese headers: notes filed by import say so in Chinese */
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

/* A column as a message names it: the sheet's own name (a pointer into its table, so that the
 * Chinese errors sheet says it in Chinese: reason.h). */
#define COL(c) rcl_sheet_column_name(c, RCL_SHEET_EN)

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
        if (rcl_sheet_column_find(cell, len) != -1)
            return false;
        filled++;
    }
    return filled <= 1;
}

/* Maps the header's columns. Returns 0, or -1 after reporting every problem with it. */
static int read_header(struct rcl_csv_reader *r, struct problems *p, bool ignore_unknown,
                       struct layout *lay)
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
        if (col == RCL_SHEET_COLUMN_IGNORED || (col < 0 && ignore_unknown)) {
            note(p, line, "column %zu '%s' is not imported: its cells are passed over", i + 1,
                 shown(cell, len, show, sizeof(show)));
            lay->column_of[i] = RCL_SHEET_COLUMN_IGNORED;
            continue;
        }
        if (col < 0) {
            problem(p, line,
                    "unknown column '%s' (accepted: " RCL_SHEET_COLUMNS_ACCEPTED
                    "; import --ignore-unknown passes such columns over)",
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
        for (size_t k = 0; col == RCL_COL_STUDENT_ID && k < len; k++)
            lay->zh |= (unsigned char)cell[k] >= 0x80;
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

/*
 * A cell of codes (a number, a date, a phone) with full-width digits,
 * letters and blanks as ASCII, in buf; a cell too long for buf is left as
 * it is, for the check to refuse.
 */
static struct cell folded(struct cell c, char *buf, size_t buflen)
{
    if (c.len >= buflen)
        return c;
    c.len = rcl_sheet_fold(c.s, c.len, buf, buflen);
    c.s = buf;
    trim(&c.s, &c.len);
    return c;
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

#define UNKNOWN_VALUE "%s: unknown value '%s' (accepted: %s; separate several with ';' or '、')"

static int set_cell(struct problems *p, unsigned long line, const char *what, struct cell c,
                    enum rcl_sheet_list kind, const char *const *names, int count, uint32_t *out)
{
    char text[512];
    char bad[64];
    char show[64];
    char accepted[512], accepted_zh[512];
    struct rcl_reason why;

    if (rcl_sheet_list_normalize(kind, c.s, c.len, text, sizeof(text)) != 0) {
        problem(p, line, "%s is %zu bytes long, too long for a list of values", what, c.len);
        return -1;
    }
    if (rcl_set_parse(names, count, text, out, bad, sizeof(bad)) == 0)
        return 0;
    rcl_sheet_list_accepted(kind, RCL_SHEET_EN, accepted, sizeof(accepted));
    rcl_sheet_list_accepted(kind, RCL_SHEET_ZH, accepted_zh, sizeof(accepted_zh));
    shown(bad, strlen(bad), show, sizeof(show));
    rcl_reason_en(&why, UNKNOWN_VALUE, what, show, accepted);
    rcl_reason_zh(&why, UNKNOWN_VALUE, what, show, accepted_zh);
    problem_why(p, line, &why);
    return -1;
}

static int grade_cell(struct problems *p, unsigned long line, struct cell c, unsigned *out)
{
    char show[64];
    char buf[64];
    unsigned long v = 0;

    c = folded(c, buf, sizeof(buf));
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

#define UNKNOWN_MEASURE                                                                            \
    "assistance: unknown measure '%s' (kinds: %s; add ':planned' or ':ended', '：计划' or "    \
    "'：已结束', when not in place)"

static int assistance_cell(struct problems *p, unsigned long line, struct cell c,
                           struct rcl_student *s)
{
    char text[1024];
    char bad[64];
    char show[64];
    char accepted[512], accepted_zh[512];
    struct rcl_reason why;

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
    rcl_sheet_list_accepted(RCL_LIST_MEASURES, RCL_SHEET_EN, accepted, sizeof(accepted));
    rcl_sheet_list_accepted(RCL_LIST_MEASURES, RCL_SHEET_ZH, accepted_zh, sizeof(accepted_zh));
    shown(bad, strlen(bad), show, sizeof(show));
    rcl_reason_en(&why, UNKNOWN_MEASURE, show, accepted);
    rcl_reason_zh(&why, UNKNOWN_MEASURE, show, accepted_zh);
    problem_why(p, line, &why);
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
    return text_cell(p, line, COL(RCL_COL_FEEDBACK), fixed, false, out, outlen);
}

/*
 * A cell of one item per measure (helper_roles, assistance_start,
 * assistance_end), split at ';' only: a role is free text. Empty means no
 * item for any measure. Calls put(m, item) for each; returns -1 after
 * reporting a count that does not match the measures.
 */
static int per_measure_cell(struct problems *p, unsigned long line, const char *what, struct cell c,
                            struct rcl_student *s,
                            int (*put)(struct problems *p, unsigned long line, const char *what,
                                       struct rcl_measure *m, struct cell item))
{
    size_t items = 1, i = 0;
    const char *at = c.s, *end = c.s + c.len;

    for (size_t k = 0; k < c.len; k++)
        items += c.s[k] == ';';
    if (c.len == 0)
        items = 0;
    if (items != 0 && items != s->n_measures) {
        problem(p, line,
                "%s lists %zu item%s but assistance lists %zu measure%s: one per measure, in the "
                "same order, separated by ';'",
                what, items, items == 1 ? "" : "s", s->n_measures, s->n_measures == 1 ? "" : "s");
        return -1;
    }
    for (i = 0; i < s->n_measures; i++) {
        struct cell item = {"", 0, true};

        if (items > 0) {
            const char *semi = memchr(at, ';', (size_t)(end - at));
            item.s = at;
            item.len = (size_t)((semi ? semi : end) - at);
            trim(&item.s, &item.len);
            at = semi ? semi + 1 : end;
        }
        if (put(p, line, what, &s->measures[i], item) != 0)
            return -1;
    }
    return 0;
}

static int put_role(struct problems *p, unsigned long line, const char *what, struct rcl_measure *m,
                    struct cell item)
{
    return text_cell(p, line, what, item, false, m->helper_role, sizeof(m->helper_role));
}

/* A date cell (empty allowed) into out. Returns -1 after reporting. */
static int date_cell(struct problems *p, unsigned long line, const char *what, struct cell c,
                     char out[RCL_DATE_LEN + 1])
{
    char show[64];
    char buf[64];

    c = folded(c, buf, sizeof(buf));
    if (c.len == 0) {
        out[0] = '\0';
        return 0;
    }
    if (c.len != RCL_DATE_LEN) {
        problem(p, line, "%s '%s' is not a date written YYYY-MM-DD", what,
                shown(c.s, c.len, show, sizeof(show)));
        return -1;
    }
    memcpy(out, c.s, RCL_DATE_LEN);
    out[RCL_DATE_LEN] = '\0';
    if (!rcl_date_valid(out)) {
        problem(p, line, "%s '%s' is not a date written YYYY-MM-DD", what, out);
        out[0] = '\0';
        return -1;
    }
    return 0;
}

static int put_start(struct problems *p, unsigned long line, const char *what,
                     struct rcl_measure *m, struct cell item)
{
    return date_cell(p, line, what, item, m->start_date);
}

static int put_end(struct problems *p, unsigned long line, const char *what, struct rcl_measure *m,
                   struct cell item)
{
    return date_cell(p, line, what, item, m->end_date);
}

/* A phone number cell (empty allowed) into out; the number is not repeated in the message. */
static int contact_cell(struct problems *p, unsigned long line, const char *what, struct cell c,
                        char out[RCL_CONTACT_MAX + 1])
{
    char buf[64];

    c = folded(c, buf, sizeof(buf));
    out[0] = '\0';
    if (c.len == 0)
        return 0;
    if (c.len > RCL_CONTACT_MAX) {
        problem(p, line, "%s is %zu bytes long, at most %d allowed", what, c.len, RCL_CONTACT_MAX);
        return -1;
    }
    memcpy(out, c.s, c.len);
    out[c.len] = '\0';
    if (!rcl_contact_valid(out)) {
        out[0] = '\0';
        problem(p, line,
                "%s is not a phone number (5 to 20 digits, with blanks, '-', '(', ')' and a "
                "leading '+' allowed)",
                what);
        return -1;
    }
    return 0;
}

static int put_contact(struct problems *p, unsigned long line, const char *what,
                       struct rcl_measure *m, struct cell item)
{
    return contact_cell(p, line, what, item, m->helper_contact);
}

/* Where the student is now and who to call, when the sheet has those columns. */
static void place_cells(struct rcl_csv_reader *r, const struct layout *lay, struct problems *p,
                        unsigned long line, struct rcl_student *s)
{
    struct cell c;
    char show[64];

    if ((c = cell_of(r, lay, RCL_COL_PLACE_COUNTY)).present) {
        char code[RCL_COUNTY_LEN + 1] = "";
        char buf[64];

        c = folded(c, buf, sizeof(buf));
        if (c.len == RCL_COUNTY_LEN)
            memcpy(code, c.s, RCL_COUNTY_LEN);
        if (c.len != 0 && !rcl_digits_only(code, RCL_COUNTY_LEN))
            problem(p, line, "place_county '%s' is not a 6-digit county code",
                    shown(c.s, c.len, show, sizeof(show)));
        else
            memcpy(s->place_county, code, sizeof(code));
    }
    if ((c = cell_of(r, lay, RCL_COL_PLACE)).present)
        (void)text_cell(p, line, COL(RCL_COL_PLACE), c, false, s->place, sizeof(s->place));
    if ((c = cell_of(r, lay, RCL_COL_GUARDIAN_CONTACT)).present)
        (void)contact_cell(p, line, COL(RCL_COL_GUARDIAN_CONTACT), c, s->guardian_contact);
    if ((c = cell_of(r, lay, RCL_COL_HELPER_CONTACTS)).present)
        (void)per_measure_cell(p, line, COL(RCL_COL_HELPER_CONTACTS), c, s, put_contact);
}

/* The measures' roles and dates, when the sheet has those columns (export writes them). */
static void measure_details(struct rcl_csv_reader *r, const struct layout *lay, struct problems *p,
                            unsigned long line, struct rcl_student *s)
{
    struct cell c;

    if ((c = cell_of(r, lay, RCL_COL_HELPER_ROLES)).present)
        (void)per_measure_cell(p, line, COL(RCL_COL_HELPER_ROLES), c, s, put_role);
    if ((c = cell_of(r, lay, RCL_COL_ASSISTANCE_START)).present)
        (void)per_measure_cell(p, line, COL(RCL_COL_ASSISTANCE_START), c, s, put_start);
    if ((c = cell_of(r, lay, RCL_COL_ASSISTANCE_END)).present)
        (void)per_measure_cell(p, line, COL(RCL_COL_ASSISTANCE_END), c, s, put_end);
    for (size_t i = 0; i < s->n_measures; i++) {
        const struct rcl_measure *m = &s->measures[i];
        if (m->start_date[0] && m->end_date[0] && strcmp(m->end_date, m->start_date) < 0)
            problem(p, line, "measure %zu (%s) ends %s, before it starts (%s)", i + 1,
                    rcl_measure_kind_names[m->kind], m->end_date, m->start_date);
    }
}

#define NO_APPLICATION                                                                                \
    "an opt-out reason or date without an application: set optout_status (不参加申请状态) or " \
    "clear them"

/*
 * The opt-out application's columns, when the sheet has them. A decision
 * (approved, rejected) needs its date, as `optout decide` records it; a
 * reason or date without any application is refused rather than dropped.
 */
static void optout_cells(struct rcl_csv_reader *r, const struct layout *lay, struct problems *p,
                         unsigned long line, struct rcl_student *s)
{
    struct cell c;
    char show[64];

    if ((c = cell_of(r, lay, RCL_COL_OPTOUT_STATUS)).present) {
        int st = rcl_sheet_optout_status_find(c.s, c.len);
        if (st < 0) {
            problem(p, line,
                    "optout_status '%s' is not one of none (未申请), pending (待审批), approved "
                    "(已批准), rejected (未批准) (empty means none)",
                    shown(c.s, c.len, show, sizeof(show)));
            return;
        }
        s->optout_status = (unsigned)st;
        /* No application: what the store held of an earlier one goes with it. */
        if (st == RCL_OPTOUT_NONE)
            s->optout_reason[0] = s->optout_filed[0] = s->optout_decided[0] = '\0';
    }
    if ((c = cell_of(r, lay, RCL_COL_OPTOUT_REASON)).present &&
        text_cell(p, line, COL(RCL_COL_OPTOUT_REASON), c, false, s->optout_reason, sizeof(s->optout_reason)) !=
            0)
        return;
    if ((c = cell_of(r, lay, RCL_COL_OPTOUT_FILED)).present &&
        date_cell(p, line, COL(RCL_COL_OPTOUT_FILED), c, s->optout_filed) != 0)
        return;
    if ((c = cell_of(r, lay, RCL_COL_OPTOUT_DECIDED)).present &&
        date_cell(p, line, COL(RCL_COL_OPTOUT_DECIDED), c, s->optout_decided) != 0)
        return;
    switch (s->optout_status) {
    case RCL_OPTOUT_NONE:
        /* A reason alone is what a family gives with participation opted_out: the rule files it. */
        if (s->optout_filed[0] || s->optout_decided[0] ||
            (s->optout_reason[0] && s->participation != RCL_PART_OPTED_OUT))
            problem(p, line, "%s", NO_APPLICATION);
        break;
    case RCL_OPTOUT_PENDING:
        if (s->optout_decided[0])
            problem(p, line, "optout_decided is set but the application is pending");
        break;
    default:
        if (!s->optout_decided[0])
            problem(p, line,
                    "optout_status %s needs the date of the decision (optout_decided, 审批日期)",
                    rcl_optout_status_names[s->optout_status]);
        else if (s->optout_filed[0] && strcmp(s->optout_decided, s->optout_filed) < 0)
            problem(p, line, "optout_decided %s is before the application was filed (%s)",
                    s->optout_decided, s->optout_filed);
        break;
    }
}

/*
 * The class in its one form ("三（1）班" is 1班 of grade 3), so that a class
 * typed two ways is one class; a grade it names must be the row's grade.
 */
static void class_cell(struct problems *p, unsigned long line, struct cell c, struct rcl_student *s)
{
    char name[sizeof(s->class_name) * 2];
    char show[64];
    unsigned grade;
    bool in_stage;

    if (rcl_sheet_class_normalize(c.s, c.len, name, sizeof(name), &grade, &in_stage) != 0) {
        problem(p, line, "class is %zu bytes long, at most %zu allowed", c.len,
                sizeof(s->class_name) - 1);
        return;
    }
    /* "1(2)班" of a junior (7-9) or senior (10-12) middle school counts from its first year. */
    bool same = grade == s->grade ||
                (in_stage && grade <= 3 && (s->grade == grade + 6 || s->grade == grade + 9));
    if (grade != 0 && s->grade != 0 && !same)
        problem(p, line, "class '%s' is of grade %u but grade is %u",
                shown(c.s, c.len, show, sizeof(show)), grade, s->grade);
    struct cell fixed = {name, strlen(name), true};
    (void)text_cell(p, line, COL(RCL_COL_CLASS), fixed, true, s->class_name, sizeof(s->class_name));
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
    (void)text_cell(p, line, COL(RCL_COL_NAME), c, true, s->name, sizeof(s->name));
    c = cell_of(r, lay, RCL_COL_GRADE);
    {
        /* An empty grade is the one the class names ("三（1）班"), if it names one. */
        char name[sizeof(s->class_name) * 2];
        unsigned named = 0;
        bool in_stage;
        struct cell k = cell_of(r, lay, RCL_COL_CLASS);
        if (c.len == 0 &&
            rcl_sheet_class_normalize(k.s, k.len, name, sizeof(name), &named, &in_stage) == 0 &&
            named > 0)
            s->grade = named;
        else
            (void)grade_cell(p, line, c, &s->grade);
    }
    class_cell(p, line, cell_of(r, lay, RCL_COL_CLASS), s);
    if ((c = cell_of(r, lay, RCL_COL_NETWORK)).present)
        (void)set_cell(p, line, COL(RCL_COL_NETWORK), c, RCL_LIST_NETWORK, rcl_network_names,
                       RCL_NETWORK_COUNT, &s->network);
    if ((c = cell_of(r, lay, RCL_COL_DEVICES)).present)
        (void)set_cell(p, line, COL(RCL_COL_DEVICES), c, RCL_LIST_DEVICES, rcl_device_names, RCL_DEVICE_COUNT,
                       &s->devices);
    if ((c = cell_of(r, lay, RCL_COL_GROUPS)).present)
        (void)set_cell(p, line, COL(RCL_COL_GROUPS), c, RCL_LIST_GROUPS, rcl_group_names, RCL_GROUP_COUNT,
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
        (void)text_cell(p, line, COL(RCL_COL_PLATFORM), c, false, s->platform, sizeof(s->platform));
    if ((c = cell_of(r, lay, RCL_COL_FEEDBACK)).present)
        (void)feedback_cell(p, line, c, s->feedback, sizeof(s->feedback));
    if (p->count == before)
        measure_details(r, lay, p, line, s);
    if (p->count == before)
        optout_cells(r, lay, p, line, s);
    place_cells(r, lay, p, line, s);
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
    char buf[64];

    bool in_buf = c.len < sizeof(buf);

    c = folded(c, buf, sizeof(buf));
    /* The letter in front and the check digit X, as often typed: lowercase. */
    if (in_buf && c.len > 0) {
        char *w = buf + (c.s - buf);
        if (w[0] >= 'a' && w[0] <= 'z')
            w[0] = (char)(w[0] - 'a' + 'A');
        if (w[c.len - 1] == 'x')
            w[c.len - 1] = 'X';
    }
    if (c.len == 0) {
        problem(p, line, "student_id is empty");
        return -1;
    }
    if (rcl_student_id_check(c.s, c.len, why, sizeof(why)) != 0) {
        char why_zh[sizeof(why) * 2];
        (void)rcl_student_id_check_in(c.s, c.len, true, why_zh, sizeof(why_zh));
        /* Each wording takes its own reason and passes over the other's (import_zh.c). */
        problem(p, line, "student_id '%s': %s%.0s", shown(c.s, c.len, show, sizeof(show)), why,
                why_zh);
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
    char today[RCL_DATE_LEN + 1]; /* the date of an application filed on import */
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
        if (lay->column_of[i] == -1 && len > 0)
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
    {
        struct cell reason = cell_of(run->reader, &run->layout, RCL_COL_OPTOUT_REASON);
        const char *filed_as = run->layout.zh ? "导入时申请" : "filed on import";
        enum rcl_optout_outcome o = rcl_school_optout_rule(
            &s, found ? &old : NULL, reason.len > 0 ? s.optout_reason : filed_as, run->today);

        /* Not a problem: the row is imported, participation as it was. */
        if (o != RCL_OPTOUT_RULE_KEPT)
            note(p, line, "%s", rcl_optout_outcome_text(o));
        /* A reason the rule did not file (the student was opted_out already) has no
         * application to belong to. */
        if (s.optout_status == RCL_OPTOUT_NONE && s.optout_reason[0]) {
            problem(p, line, "%s", NO_APPLICATION);
            return 0;
        }
    }
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
    const struct rcl_school_import_options none = {NULL, false, false, false};
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

int rcl_school_import_with(sqlite3 *db, const struct rcl_school_meta *m, const char *path,
                           FILE *errors, const struct rcl_school_import_options *opts,
                           struct rcl_school_import_result *res)
{
    struct import_run run;
    bool in_tx = false;
    int rc = -1;
    FILE *f = NULL;
    FILE *text = NULL; /* f, or f converted to UTF-8 */
    struct rcl_reason why;
    unsigned long why_line;

    memset(&run, 0, sizeof(run));
    memset(res, 0, sizeof(*res));
    run.db = db;
    run.meta = m;
    run.res = res;
    run.problems.out = errors;
    run.problems.path = path;
    run.problems.sheet = opts->errors_sheet;
    run.problems.sheet_zh = opts->reasons_zh;
    run.problems.id_field = run.problems.name_field = -1;
    if (opts->errors_sheet != NULL)
        fputs("\xEF\xBB\xBF\"行号\",\"学籍号\",\"姓名\",\"类型\",\"问题\"\r\n", opts->errors_sheet);
    run.now = (int64_t)time(NULL);
    {
        time_t t = (time_t)run.now;
        struct tm tm;
        /* The school's own calendar day, as the editing commands use. */
        if (rcl_localtime(t, &tm) != 0 ||
            strftime(run.today, sizeof(run.today), "%Y-%m-%d", &tm) != RCL_DATE_LEN)
            run.today[0] = '\0';
    }

    f = rcl_fopen(path, "rb");
    if (f == NULL) {
        problem(&run.problems, 0, "cannot open: %s", strerror(errno));
        goto done;
    }
    text = rcl_charset_to_utf8(f, &res->charset, &why_line, &why);
    if (text == NULL) {
        problem_why(&run.problems, why_line, &why);
        goto done;
    }
    uint64_t records = count_records(text);
    run.reader = rcl_csv_reader_new(text);
    if (run.reader == NULL) {
        problem(&run.problems, 0, "out of memory");
        goto done;
    }

    enum rcl_csv_result got = rcl_csv_reader_next(run.reader);
    bool titled = false;
    uint64_t before_rows = 1; /* the title rows and the header */
    for (int t = 0; got == RCL_CSV_RECORD && t < TITLE_ROWS_MAX && is_title_row(run.reader); t++) {
        titled = true;
        got = rcl_csv_reader_next(run.reader);
        before_rows++;
    }
    if (got == RCL_CSV_END) {
        if (titled)
            problem(&run.problems, 0, "no header row" RCL_IMPORT_EXPECTED_HEADER);
        else
            problem(&run.problems, 0, "file is empty" RCL_IMPORT_EXPECTED_HEADER);
        goto done;
    }
    if (got != RCL_CSV_RECORD) {
        problem_why(&run.problems, rcl_csv_reader_error_line(run.reader),
                    rcl_csv_reader_reason(run.reader));
        goto done;
    }
    if (read_header(run.reader, &run.problems, opts->ignore_unknown, &run.layout) != 0)
        goto done;
    run.problems.id_field = run.layout.field_of[RCL_COL_STUDENT_ID];
    run.problems.name_field = run.layout.field_of[RCL_COL_NAME];

    if (rcl_db_begin(db) != 0) {
        problem(&run.problems, 0, "the store is busy or unwritable: %s", sqlite3_errmsg(db));
        goto done;
    }
    in_tx = true;

    struct rcl_progress progress;
    uint64_t total = records > before_rows ? records - before_rows : 0, done = 0;
    rcl_progress_start(&progress, stderr, "import", "rows", total);
    progress.what_zh = "导入";
    progress.unit_zh = "行";
    progress.zh = !opts->progress_en;
    while ((got = rcl_csv_reader_next(run.reader)) != RCL_CSV_END) {
        done++;
        rcl_progress_update(&progress, done, total > done ? total : done);
        /* The row's student number and name go beside its problems in the errors sheet. */
        run.problems.row = got == RCL_CSV_RECORD ? run.reader : NULL;
        if (got == RCL_CSV_FATAL) {
            problem_why(&run.problems, rcl_csv_reader_error_line(run.reader),
                        rcl_csv_reader_reason(run.reader));
            break;
        }
        if (got == RCL_CSV_BAD) {
            problem_why(&run.problems, rcl_csv_reader_error_line(run.reader),
                        rcl_csv_reader_reason(run.reader));
            continue;
        }
        if (import_row(&run) != 0)
            break;
    }
    rcl_progress_end(&progress);
    run.problems.row = NULL;
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

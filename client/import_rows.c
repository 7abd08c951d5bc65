/*
 * import_rows.c - the sheet's header and each row read and checked into a
 * student, every problem reported by line (see import_internal.h). Nothing
 * here touches the store.
 */
#include "import_internal.h"

#include <stdlib.h>
#include <string.h>

#include "optout.h"
#include "rcl_log.h"

/* ---- The header ---- */

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

/* A column as a message names it: the sheet's own name (a pointer into its table, so that the
 * Chinese errors sheet says it in Chinese: reason.h). */
#define COL(c) rcl_sheet_column_name(c, RCL_SHEET_EN)

/*
 * True when the current record is a title above the header, as sheets
 * often have ("2020年春季学期学生居家学习情况表" in the first cell, the
 * others empty): at most one cell holds anything, and it names no column.
 */
bool rcl_import_is_title_row(struct rcl_csv_reader *r)
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
int rcl_import_read_header(struct rcl_csv_reader *r, struct rcl_import_problems *p,
                           bool ignore_unknown, struct rcl_import_layout *lay)
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
            rcl_import_note(p, line, "column %zu '%s' is not imported: its cells are passed over",
                            i + 1, rcl_import_shown(cell, len, show, sizeof(show)));
            lay->column_of[i] = RCL_SHEET_COLUMN_IGNORED;
            continue;
        }
        if (col < 0) {
            rcl_import_problem(p, line,
                               "unknown column '%s' (accepted: " RCL_SHEET_COLUMNS_ACCEPTED
                               "; import --ignore-unknown passes such columns over)",
                               rcl_import_shown(cell, len, show, sizeof(show)));
            continue;
        }
        if (lay->field_of[col] >= 0) {
            rcl_import_problem(p, line, "column '%s' appears twice (columns %d and %zu)",
                               rcl_sheet_column_name(col, RCL_SHEET_EN), lay->field_of[col] + 1,
                               i + 1);
            continue;
        }
        lay->field_of[col] = (int)i;
        lay->column_of[i] = col;
        for (size_t k = 0; col == RCL_COL_STUDENT_ID && k < len; k++)
            lay->zh |= (unsigned char)cell[k] >= 0x80;
    }
    for (int c = 0; c < RCL_COL_COUNT; c++) {
        if (rcl_sheet_column_required(c) && lay->field_of[c] < 0)
            rcl_import_problem(p, line,
                               "missing required column '%s' (required: student_id, name, grade, "
                               "class; or 学籍号, 姓名, 年级, 班级)",
                               rcl_sheet_column_name(c, RCL_SHEET_EN));
    }
    return p->count == before ? 0 : -1;
}

/* ---- One row ---- */

struct rcl_import_cell rcl_import_cell_of(struct rcl_csv_reader *r,
                                          const struct rcl_import_layout *lay,
                                          enum rcl_sheet_column c)
{
    struct rcl_import_cell out = {"", 0, false};
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
static struct rcl_import_cell folded(struct rcl_import_cell c, char *buf, size_t buflen)
{
    if (c.len >= buflen)
        return c;
    c.len = rcl_sheet_fold(c.s, c.len, buf, buflen);
    c.s = buf;
    trim(&c.s, &c.len);
    return c;
}

/* Copies a text cell into out (outlen = max + 1). Reports and returns -1 when invalid. */
static int text_cell(struct rcl_import_problems *p, unsigned long line, const char *what,
                     struct rcl_import_cell c, bool required, char *out, size_t outlen)
{
    if (c.len == 0 && required) {
        rcl_import_problem(p, line, "%s is empty", what);
        return -1;
    }
    if (!rcl_utf8_valid(c.s, c.len)) {
        rcl_import_problem(p, line, "%s is not valid UTF-8 text (or holds a control character)",
                           what);
        return -1;
    }
    if (c.len >= outlen) {
        rcl_import_problem(p, line, "%s is %zu bytes long, at most %zu allowed", what, c.len,
                           outlen - 1);
        return -1;
    }
    memcpy(out, c.s, c.len);
    out[c.len] = '\0';
    return 0;
}

#define UNKNOWN_VALUE "%s: unknown value '%s' (accepted: %s; separate several with ';' or '、')"

static int set_cell(struct rcl_import_problems *p, unsigned long line, const char *what,
                    struct rcl_import_cell c, enum rcl_sheet_list kind, const char *const *names,
                    int count, uint32_t *out)
{
    char text[512];
    char bad[64];
    char show[64];
    char accepted[512], accepted_zh[512];
    struct rcl_reason why;

    if (rcl_sheet_list_normalize(kind, c.s, c.len, text, sizeof(text)) != 0) {
        rcl_import_problem(p, line, "%s is %zu bytes long, too long for a list of values", what,
                           c.len);
        return -1;
    }
    if (rcl_set_parse(names, count, text, out, bad, sizeof(bad)) == 0)
        return 0;
    rcl_sheet_list_accepted(kind, RCL_SHEET_EN, accepted, sizeof(accepted));
    rcl_sheet_list_accepted(kind, RCL_SHEET_ZH, accepted_zh, sizeof(accepted_zh));
    rcl_import_shown(bad, strlen(bad), show, sizeof(show));
    rcl_reason_en(&why, UNKNOWN_VALUE, what, show, accepted);
    rcl_reason_zh(&why, UNKNOWN_VALUE, what, show, accepted_zh);
    rcl_import_problem_why(p, line, &why);
    return -1;
}

static int grade_cell(struct rcl_import_problems *p, unsigned long line, struct rcl_import_cell c,
                      unsigned *out)
{
    char show[64];
    char buf[64];
    unsigned long v = 0;

    c = folded(c, buf, sizeof(buf));
    if (c.len == 0) {
        rcl_import_problem(p, line, "grade is empty");
        return -1;
    }
    if ((v = rcl_sheet_grade_word(c.s, c.len)) > 0) {
        *out = (unsigned)v;
        return 0;
    }
    for (size_t i = 0; i < c.len; i++) {
        if (c.s[i] < '0' || c.s[i] > '9' || i >= 9) {
            rcl_import_problem(p, line,
                               "grade '%s' is not a whole number from 1 to 12 (or 一年级 … 六年级, "
                               "初一 … 初三, 高一 … 高三)",
                               rcl_import_shown(c.s, c.len, show, sizeof(show)));
            return -1;
        }
        v = v * 10 + (unsigned long)(c.s[i] - '0');
    }
    if (v < 1 || v > 12) {
        rcl_import_problem(p, line, "grade '%s' is out of range 1-12",
                           rcl_import_shown(c.s, c.len, show, sizeof(show)));
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

#define UNKNOWN_MEASURE                                                                            \
    "assistance: unknown measure '%s' (kinds: %s; add ':planned' or ':ended', '：计划' or "     \
    "'：已结束', when not in place)"

static int assistance_cell(struct rcl_import_problems *p, unsigned long line,
                           struct rcl_import_cell c, struct rcl_student *s)
{
    char text[1024];
    char bad[64];
    char show[64];
    char accepted[512], accepted_zh[512];
    struct rcl_reason why;

    if (rcl_sheet_list_normalize(RCL_LIST_MEASURES, c.s, c.len, text, sizeof(text)) != 0) {
        rcl_import_problem(p, line, "assistance is %zu bytes long, too long for a list of measures",
                           c.len);
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
        rcl_import_problem(p, line, "assistance lists %zu measures, at most %d allowed", items,
                           RCL_MEASURES_MAX);
        return -1;
    }
    if (rcl_measures_parse(text, s->measures, &s->n_measures, bad, sizeof(bad)) == 0)
        return 0;
    rcl_sheet_list_accepted(RCL_LIST_MEASURES, RCL_SHEET_EN, accepted, sizeof(accepted));
    rcl_sheet_list_accepted(RCL_LIST_MEASURES, RCL_SHEET_ZH, accepted_zh, sizeof(accepted_zh));
    rcl_import_shown(bad, strlen(bad), show, sizeof(show));
    rcl_reason_en(&why, UNKNOWN_MEASURE, show, accepted);
    rcl_reason_zh(&why, UNKNOWN_MEASURE, show, accepted_zh);
    rcl_import_problem_why(p, line, &why);
    return -1;
}

static int participation_cell(struct rcl_import_problems *p, unsigned long line,
                              struct rcl_import_cell c, unsigned *out)
{
    char show[64];
    if (c.len == 0) {
        *out = RCL_PART_ACTIVE;
        return 0;
    }
    int i = rcl_sheet_participation_find(c.s, c.len);
    if (i < 0) {
        rcl_import_problem(
            p, line,
            "participation '%s' is not one of active (正常), irregular (不规律), absent "
            "(缺席), opted_out (申请不参加) (empty means active)",
            rcl_import_shown(c.s, c.len, show, sizeof(show)));
        return -1;
    }
    *out = (unsigned)i;
    return 0;
}

/*
 * Family feedback typed in a spreadsheet often holds line breaks; they
 * become spaces, since no stored text carries control characters.
 */
static int feedback_cell(struct rcl_import_problems *p, unsigned long line,
                         struct rcl_import_cell c, char *out, size_t outlen)
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
            rcl_import_problem(p, line, "feedback is %zu bytes long, at most %d allowed", c.len,
                               RCL_FEEDBACK_MAX);
            return -1;
        }
        text[n++] = ch;
    }
    text[n] = '\0';
    struct rcl_import_cell fixed = {text, n, true};
    return text_cell(p, line, COL(RCL_COL_FEEDBACK), fixed, false, out, outlen);
}

/*
 * A cell of one item per measure (helper_roles, assistance_start,
 * assistance_end), split at ';' only: a role is free text. Empty means no
 * item for any measure. Calls put(m, item) for each; returns -1 after
 * reporting a count that does not match the measures.
 */
static int per_measure_cell(struct rcl_import_problems *p, unsigned long line, const char *what,
                            struct rcl_import_cell c, struct rcl_student *s,
                            int (*put)(struct rcl_import_problems *p, unsigned long line,
                                       const char *what, struct rcl_measure *m,
                                       struct rcl_import_cell item))
{
    size_t items = 1, i = 0;
    const char *at = c.s, *end = c.s + c.len;

    for (size_t k = 0; k < c.len; k++)
        items += c.s[k] == ';';
    if (c.len == 0)
        items = 0;
    if (items != 0 && items != s->n_measures) {
        rcl_import_problem(
            p, line,
            "%s lists %zu item%s but assistance lists %zu measure%s: one per measure, in the "
            "same order, separated by ';'",
            what, items, items == 1 ? "" : "s", s->n_measures, s->n_measures == 1 ? "" : "s");
        return -1;
    }
    for (i = 0; i < s->n_measures; i++) {
        struct rcl_import_cell item = {"", 0, true};

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

static int put_role(struct rcl_import_problems *p, unsigned long line, const char *what,
                    struct rcl_measure *m, struct rcl_import_cell item)
{
    return text_cell(p, line, what, item, false, m->helper_role, sizeof(m->helper_role));
}

/* A date cell (empty allowed) into out. Returns -1 after reporting. */
static int date_cell(struct rcl_import_problems *p, unsigned long line, const char *what,
                     struct rcl_import_cell c, char out[RCL_DATE_LEN + 1])
{
    char show[64];
    char buf[64];

    c = folded(c, buf, sizeof(buf));
    if (c.len == 0) {
        out[0] = '\0';
        return 0;
    }
    if (c.len != RCL_DATE_LEN) {
        rcl_import_problem(p, line, "%s '%s' is not a date written YYYY-MM-DD", what,
                           rcl_import_shown(c.s, c.len, show, sizeof(show)));
        return -1;
    }
    memcpy(out, c.s, RCL_DATE_LEN);
    out[RCL_DATE_LEN] = '\0';
    if (!rcl_date_valid(out)) {
        rcl_import_problem(p, line, "%s '%s' is not a date written YYYY-MM-DD", what, out);
        out[0] = '\0';
        return -1;
    }
    return 0;
}

static int put_start(struct rcl_import_problems *p, unsigned long line, const char *what,
                     struct rcl_measure *m, struct rcl_import_cell item)
{
    return date_cell(p, line, what, item, m->start_date);
}

static int put_end(struct rcl_import_problems *p, unsigned long line, const char *what,
                   struct rcl_measure *m, struct rcl_import_cell item)
{
    return date_cell(p, line, what, item, m->end_date);
}

/* A phone number cell (empty allowed) into out; the number is not repeated in the message. */
static int contact_cell(struct rcl_import_problems *p, unsigned long line, const char *what,
                        struct rcl_import_cell c, char out[RCL_CONTACT_MAX + 1])
{
    char buf[64];

    c = folded(c, buf, sizeof(buf));
    out[0] = '\0';
    if (c.len == 0)
        return 0;
    if (c.len > RCL_CONTACT_MAX) {
        rcl_import_problem(p, line, "%s is %zu bytes long, at most %d allowed", what, c.len,
                           RCL_CONTACT_MAX);
        return -1;
    }
    memcpy(out, c.s, c.len);
    out[c.len] = '\0';
    if (!rcl_contact_valid(out)) {
        out[0] = '\0';
        rcl_import_problem(
            p, line,
            "%s is not a phone number (5 to 20 digits, with blanks, '-', '(', ')' and a "
            "leading '+' allowed)",
            what);
        return -1;
    }
    return 0;
}

static int put_contact(struct rcl_import_problems *p, unsigned long line, const char *what,
                       struct rcl_measure *m, struct rcl_import_cell item)
{
    return contact_cell(p, line, what, item, m->helper_contact);
}

/* Where the student is now and who to call, when the sheet has those columns. */
static void place_cells(struct rcl_csv_reader *r, const struct rcl_import_layout *lay,
                        struct rcl_import_problems *p, unsigned long line, struct rcl_student *s)
{
    struct rcl_import_cell c;
    char show[64];

    if ((c = rcl_import_cell_of(r, lay, RCL_COL_PLACE_COUNTY)).present) {
        char code[RCL_COUNTY_LEN + 1] = "";
        char buf[64];

        c = folded(c, buf, sizeof(buf));
        if (c.len == RCL_COUNTY_LEN)
            memcpy(code, c.s, RCL_COUNTY_LEN);
        if (c.len != 0 && !rcl_digits_only(code, RCL_COUNTY_LEN))
            rcl_import_problem(p, line, "place_county '%s' is not a 6-digit county code",
                               rcl_import_shown(c.s, c.len, show, sizeof(show)));
        else
            memcpy(s->place_county, code, sizeof(code));
    }
    if ((c = rcl_import_cell_of(r, lay, RCL_COL_PLACE)).present)
        (void)text_cell(p, line, COL(RCL_COL_PLACE), c, false, s->place, sizeof(s->place));
    if ((c = rcl_import_cell_of(r, lay, RCL_COL_GUARDIAN_CONTACT)).present)
        (void)contact_cell(p, line, COL(RCL_COL_GUARDIAN_CONTACT), c, s->guardian_contact);
    if ((c = rcl_import_cell_of(r, lay, RCL_COL_HELPER_CONTACTS)).present)
        (void)per_measure_cell(p, line, COL(RCL_COL_HELPER_CONTACTS), c, s, put_contact);
}

/* The measures' roles and dates, when the sheet has those columns (export writes them). */
static void measure_details(struct rcl_csv_reader *r, const struct rcl_import_layout *lay,
                            struct rcl_import_problems *p, unsigned long line,
                            struct rcl_student *s)
{
    struct rcl_import_cell c;

    if ((c = rcl_import_cell_of(r, lay, RCL_COL_HELPER_ROLES)).present)
        (void)per_measure_cell(p, line, COL(RCL_COL_HELPER_ROLES), c, s, put_role);
    if ((c = rcl_import_cell_of(r, lay, RCL_COL_ASSISTANCE_START)).present)
        (void)per_measure_cell(p, line, COL(RCL_COL_ASSISTANCE_START), c, s, put_start);
    if ((c = rcl_import_cell_of(r, lay, RCL_COL_ASSISTANCE_END)).present)
        (void)per_measure_cell(p, line, COL(RCL_COL_ASSISTANCE_END), c, s, put_end);
    for (size_t i = 0; i < s->n_measures; i++) {
        const struct rcl_measure *m = &s->measures[i];
        if (m->start_date[0] && m->end_date[0] && strcmp(m->end_date, m->start_date) < 0)
            rcl_import_problem(p, line, "measure %zu (%s) ends %s, before it starts (%s)", i + 1,
                               rcl_measure_kind_names[m->kind], m->end_date, m->start_date);
    }
}

/*
 * The opt-out application's columns, when the sheet has them. A decision
 * (approved, rejected) needs its date, as `optout decide` records it; a
 * reason or date without any application is refused rather than dropped.
 */
static void optout_cells(struct rcl_csv_reader *r, const struct rcl_import_layout *lay,
                         struct rcl_import_problems *p, unsigned long line, struct rcl_student *s)
{
    struct rcl_import_cell c;
    char show[64];

    if ((c = rcl_import_cell_of(r, lay, RCL_COL_OPTOUT_STATUS)).present) {
        int st = rcl_sheet_optout_status_find(c.s, c.len);
        if (st < 0) {
            rcl_import_problem(
                p, line,
                "optout_status '%s' is not one of none (未申请), pending (待审批), approved "
                "(已批准), rejected (未批准) (empty means none)",
                rcl_import_shown(c.s, c.len, show, sizeof(show)));
            return;
        }
        s->optout_status = (unsigned)st;
        /* No application: what the store held of an earlier one goes with it. */
        if (st == RCL_OPTOUT_NONE)
            s->optout_reason[0] = s->optout_filed[0] = s->optout_decided[0] = '\0';
    }
    if ((c = rcl_import_cell_of(r, lay, RCL_COL_OPTOUT_REASON)).present &&
        text_cell(p, line, COL(RCL_COL_OPTOUT_REASON), c, false, s->optout_reason,
                  sizeof(s->optout_reason)) != 0)
        return;
    if ((c = rcl_import_cell_of(r, lay, RCL_COL_OPTOUT_FILED)).present &&
        date_cell(p, line, COL(RCL_COL_OPTOUT_FILED), c, s->optout_filed) != 0)
        return;
    if ((c = rcl_import_cell_of(r, lay, RCL_COL_OPTOUT_DECIDED)).present &&
        date_cell(p, line, COL(RCL_COL_OPTOUT_DECIDED), c, s->optout_decided) != 0)
        return;
    switch (s->optout_status) {
    case RCL_OPTOUT_NONE:
        /* A reason alone is what a family gives with participation opted_out: the rule files it. */
        if (s->optout_filed[0] || s->optout_decided[0] ||
            (s->optout_reason[0] && s->participation != RCL_PART_OPTED_OUT))
            rcl_import_problem(p, line, "%s", RCL_IMPORT_NO_APPLICATION);
        break;
    case RCL_OPTOUT_PENDING:
        if (s->optout_decided[0])
            rcl_import_problem(p, line, "optout_decided is set but the application is pending");
        break;
    default:
        if (!s->optout_decided[0])
            rcl_import_problem(
                p, line,
                "optout_status %s needs the date of the decision (optout_decided, 审批日期)",
                rcl_optout_status_names[s->optout_status]);
        else if (s->optout_filed[0] && strcmp(s->optout_decided, s->optout_filed) < 0)
            rcl_import_problem(p, line,
                               "optout_decided %s is before the application was filed (%s)",
                               s->optout_decided, s->optout_filed);
        break;
    }
}

/*
 * The class in its one form ("三（1）班" is 1班 of grade 3), so that a class
 * typed two ways is one class; a grade it names must be the row's grade.
 */
static void class_cell(struct rcl_import_problems *p, unsigned long line, struct rcl_import_cell c,
                       struct rcl_student *s)
{
    char name[sizeof(s->class_name) * 2];
    char show[64];
    unsigned grade;
    bool in_stage;

    if (rcl_sheet_class_normalize(c.s, c.len, name, sizeof(name), &grade, &in_stage) != 0) {
        rcl_import_problem(p, line, "class is %zu bytes long, at most %zu allowed", c.len,
                           sizeof(s->class_name) - 1);
        return;
    }
    /* "1(2)班" of a junior (7-9) or senior (10-12) middle school counts from its first year. */
    bool same = grade == s->grade ||
                (in_stage && grade <= 3 && (s->grade == grade + 6 || s->grade == grade + 9));
    if (grade != 0 && s->grade != 0 && !same)
        rcl_import_problem(p, line, "class '%s' is of grade %u but grade is %u",
                           rcl_import_shown(c.s, c.len, show, sizeof(show)), grade, s->grade);
    struct rcl_import_cell fixed = {name, strlen(name), true};
    (void)text_cell(p, line, COL(RCL_COL_CLASS), fixed, true, s->class_name, sizeof(s->class_name));
}

/*
 * Checks the row's cells into s; with old (the stored student), columns the
 * file does not have keep its values. Returns the number of problems reported.
 */
uint64_t rcl_import_check_row(struct rcl_csv_reader *r, const struct rcl_import_layout *lay,
                              struct rcl_import_problems *p, unsigned long line,
                              const struct rcl_student *old, struct rcl_student *s)
{
    uint64_t before = p->count;
    struct rcl_import_cell c;

    if (old != NULL)
        *s = *old;

    c = rcl_import_cell_of(r, lay, RCL_COL_NAME);
    (void)text_cell(p, line, COL(RCL_COL_NAME), c, true, s->name, sizeof(s->name));
    c = rcl_import_cell_of(r, lay, RCL_COL_GRADE);
    {
        /* An empty grade is the one the class names ("三（1）班"), if it names one. */
        char name[sizeof(s->class_name) * 2];
        unsigned named = 0;
        bool in_stage;
        struct rcl_import_cell k = rcl_import_cell_of(r, lay, RCL_COL_CLASS);
        if (c.len == 0 &&
            rcl_sheet_class_normalize(k.s, k.len, name, sizeof(name), &named, &in_stage) == 0 &&
            named > 0)
            s->grade = named;
        else
            (void)grade_cell(p, line, c, &s->grade);
    }
    class_cell(p, line, rcl_import_cell_of(r, lay, RCL_COL_CLASS), s);
    if ((c = rcl_import_cell_of(r, lay, RCL_COL_NETWORK)).present)
        (void)set_cell(p, line, COL(RCL_COL_NETWORK), c, RCL_LIST_NETWORK, rcl_network_names,
                       RCL_NETWORK_COUNT, &s->network);
    if ((c = rcl_import_cell_of(r, lay, RCL_COL_DEVICES)).present)
        (void)set_cell(p, line, COL(RCL_COL_DEVICES), c, RCL_LIST_DEVICES, rcl_device_names,
                       RCL_DEVICE_COUNT, &s->devices);
    if ((c = rcl_import_cell_of(r, lay, RCL_COL_GROUPS)).present)
        (void)set_cell(p, line, COL(RCL_COL_GROUPS), c, RCL_LIST_GROUPS, rcl_group_names,
                       RCL_GROUP_COUNT, &s->groups);
    if ((c = rcl_import_cell_of(r, lay, RCL_COL_ASSISTANCE)).present) {
        (void)assistance_cell(p, line, c, s);
        /* The cell holds kinds and statuses only: keep the roles and dates entered by hand. */
        if (old != NULL)
            rcl_measures_keep_details(s->measures, s->n_measures, old->measures, old->n_measures);
    }
    if ((c = rcl_import_cell_of(r, lay, RCL_COL_PARTICIPATION)).present)
        (void)participation_cell(p, line, c, &s->participation);
    if ((c = rcl_import_cell_of(r, lay, RCL_COL_PLATFORM)).present)
        (void)text_cell(p, line, COL(RCL_COL_PLATFORM), c, false, s->platform, sizeof(s->platform));
    if ((c = rcl_import_cell_of(r, lay, RCL_COL_FEEDBACK)).present)
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
int rcl_import_id_cell(struct rcl_import_problems *p, unsigned long line, struct rcl_import_cell c,
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
        rcl_import_problem(p, line, "student_id is empty");
        return -1;
    }
    if (rcl_student_id_check(c.s, c.len, why, sizeof(why)) != 0) {
        char why_zh[sizeof(why) * 2];
        (void)rcl_student_id_check_in(c.s, c.len, true, why_zh, sizeof(why_zh));
        /* Each wording takes its own reason and passes over the other's (import_zh.c). */
        rcl_import_problem(p, line, "student_id '%s': %s%.0s",
                           rcl_import_shown(c.s, c.len, show, sizeof(show)), why, why_zh);
        return -1;
    }
    memcpy(id, c.s, RCL_STUDENT_ID_LEN);
    id[RCL_STUDENT_ID_LEN] = '\0';
    return 0;
}

bool rcl_import_row_is_blank(struct rcl_csv_reader *r)
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
void rcl_import_check_unnamed(struct rcl_csv_reader *r, const struct rcl_import_layout *lay,
                              struct rcl_import_problems *p, unsigned long line)
{
    char show[64];
    for (size_t i = 0; i < lay->n_fields; i++) {
        size_t len;
        const char *cell = rcl_csv_reader_get(r, i, &len);
        trim(&cell, &len);
        if (lay->column_of[i] == -1 && len > 0)
            rcl_import_problem(p, line, "column %zu holds '%s' but has no name in the header",
                               i + 1, rcl_import_shown(cell, len, show, sizeof(show)));
    }
}

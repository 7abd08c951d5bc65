/*
 * import_problems.c - the import's problems and notes: on the errors stream
 * as FILE:LINE: reason, and in the errors sheet a clerk reads, each in English
 * or in Chinese where import_zh.c words them. See import_internal.h.
 */
#include "import_internal.h"

#include <stdarg.h>
#include <string.h>

#include "import.h"
#include "rcl_log.h"

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

static void sheet_row_cell(const struct rcl_import_problems *p, int field)
{
    size_t len = 0;
    const char *v = "";
    if (p->row != NULL && field >= 0 && (size_t)field < rcl_csv_reader_count(p->row))
        v = rcl_csv_reader_get(p->row, (size_t)field, &len);
    sheet_cell(p->sheet, v, len, false);
}

static void sheet_line(const struct rcl_import_problems *p, unsigned long line, bool error,
                       const char *what)
{
    char num[24];
    snprintf(num, sizeof(num), "%lu", line);
    sheet_cell(p->sheet, num, line > 0 ? strlen(num) : 0, false);
    sheet_row_cell(p, p->id_field);
    sheet_row_cell(p, p->name_field);
    sheet_cell(p->sheet, error ? "错误" : "提示", strlen(error ? "错误" : "提示"), false);
    sheet_cell(p->sheet, what, strlen(what), true);
}

/* One problem or note: what in English, what_zh (or what, when NULL) where Chinese is asked
 * for. */
static void say(struct rcl_import_problems *p, unsigned long line, bool error, const char *what,
                const char *what_zh)
{
    if (p->sheet != NULL)
        sheet_line(p, line, error, p->sheet_zh && what_zh != NULL ? what_zh : what);
    if (error && ++p->count > RCL_SCHOOL_IMPORT_ERRORS_SHOWN)
        return;
    char said[1280];
    if (p->out_zh && what_zh != NULL)
        what = what_zh;
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

static void report(struct rcl_import_problems *p, unsigned long line, bool error, const char *fmt,
                   va_list ap)
{
    char what[1024], said[1024];
    bool want_zh = (p->sheet != NULL && p->sheet_zh) || p->out_zh;
    const char *zh = want_zh ? rcl_import_reason_zh(fmt) : NULL;
    va_list again;

    va_copy(again, ap);
    /* A reason passed whole ("%s": a fixed sentence, the header's) is looked up as itself. */
    if (zh == NULL && want_zh && strcmp(fmt, "%s") == 0) {
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
void rcl_import_problem_why(struct rcl_import_problems *p, unsigned long line,
                            const struct rcl_reason *why)
{
    say(p, line, true, why->en, why->zh);
}

/* A reason nothing is imported. */
void rcl_import_problem(struct rcl_import_problems *p, unsigned long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(p, line, true, fmt, ap);
    va_end(ap);
}

/* Something the clerk should know that does not stop the import. */
void rcl_import_note(struct rcl_import_problems *p, unsigned long line, const char *fmt, ...)
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
const char *rcl_import_shown(const char *v, size_t len, char *out, size_t outlen)
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

/*
 * export.c - the students sheet, written for people to open (see export.h).
 */
#include "export.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "rcl_platform.h"
#include "school_store.h"

/* ---- Cells and rows ---- */

/* Writes s as one CSV field: quoted when it must be, guarded when it looks like a formula. */
static void put_field(FILE *out, const char *s)
{
    bool guard = rcl_sheet_cell_needs_guard(s);

    if (!guard && strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    if (guard)
        fputc('\'', out);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void put_header(FILE *out, enum rcl_sheet_lang lang, int ncols)
{
    for (int c = 0; c < ncols; c++) {
        if (c > 0)
            fputc(',', out);
        put_field(out, rcl_sheet_column_name(c, lang));
    }
    fputs("\r\n", out);
}

/*
 * One field of each measure's role, start or end (at offset in struct
 * rcl_measure), ';'-separated in the order of the assistance cell; empty
 * when no measure has one, which import reads as none for every measure.
 */
static void put_per_measure(FILE *out, const struct rcl_student *s, size_t offset)
{
    char text[RCL_MEASURES_MAX * (RCL_ROLE_MAX + 1) + 1];
    size_t pos = 0;
    bool any = false;

    for (size_t i = 0; i < s->n_measures; i++)
        any |= ((const char *)&s->measures[i] + offset)[0] != '\0';
    text[0] = '\0';
    for (size_t i = 0; any && i < s->n_measures; i++)
        pos += (size_t)snprintf(text + pos, sizeof(text) - pos, "%s%s", i > 0 ? ";" : "",
                                (const char *)&s->measures[i] + offset);
    put_field(out, text);
}

/* What export adds to the template's columns: the rest of the school's record. */
static void put_rest(FILE *out, enum rcl_sheet_lang lang, const struct rcl_student *s)
{
    fputc(',', out);
    put_per_measure(out, s, offsetof(struct rcl_measure, helper_role));
    fputc(',', out);
    put_per_measure(out, s, offsetof(struct rcl_measure, start_date));
    fputc(',', out);
    put_per_measure(out, s, offsetof(struct rcl_measure, end_date));
    fputc(',', out);
    put_field(out, s->optout_status == RCL_OPTOUT_NONE
                       ? ""
                       : rcl_sheet_optout_status_name(s->optout_status, lang));
    fputc(',', out);
    put_field(out, s->optout_reason);
    fputc(',', out);
    put_field(out, s->optout_filed);
    fputc(',', out);
    put_field(out, s->optout_decided);
    fputc(',', out);
    put_field(out, s->place_county);
    fputc(',', out);
    put_field(out, s->place);
    fputc(',', out);
    put_field(out, s->guardian_contact);
    fputc(',', out);
    put_per_measure(out, s, offsetof(struct rcl_measure, helper_contact));
}

static void put_student(FILE *out, enum rcl_sheet_lang lang, const struct rcl_student *s, int ncols)
{
    char text[1024];

    put_field(out, s->id);
    fputc(',', out);
    put_field(out, s->name);
    fputc(',', out);
    rcl_sheet_grade_format(s->grade, lang, text, sizeof(text));
    put_field(out, text);
    fputc(',', out);
    put_field(out, s->class_name);
    fputc(',', out);
    rcl_sheet_set_format(RCL_LIST_NETWORK, s->network, lang, text, sizeof(text));
    put_field(out, text);
    fputc(',', out);
    rcl_sheet_set_format(RCL_LIST_DEVICES, s->devices, lang, text, sizeof(text));
    put_field(out, text);
    fputc(',', out);
    rcl_sheet_set_format(RCL_LIST_GROUPS, s->groups, lang, text, sizeof(text));
    put_field(out, text);
    fputc(',', out);
    rcl_sheet_measures_format(s->measures, s->n_measures, lang, text, sizeof(text));
    put_field(out, text);
    fputc(',', out);
    put_field(out, rcl_sheet_participation_name(s->participation, lang));
    fputc(',', out);
    put_field(out, s->platform);
    fputc(',', out);
    put_field(out, s->feedback);
    if (ncols > RCL_COL_TEMPLATE_COUNT)
        put_rest(out, lang, s);
    fputs("\r\n", out);
}

/* ---- The file ---- */

struct sheet_file {
    const char *path;
    FILE *out;   /* the new file */
    FILE *sheet; /* where rows go: out itself for UTF-8, a temporary file to convert for others */
    enum rcl_charset charset;
};

/* Creates path and starts the sheet. Returns 0, or -1 with the reason in err. */
static int sheet_open(struct sheet_file *f, const char *path, enum rcl_charset charset, char *err,
                      size_t errlen)
{
    memset(f, 0, sizeof(*f));
    f->path = path;
    f->charset = charset;
    f->out = rcl_fopen_new(path);
    if (f->out == NULL) {
        if (errno == EEXIST)
            snprintf(err, errlen, "%s: already exists (never overwritten: choose a new name)",
                     path);
        else
            snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        return -1;
    }
    if (charset == RCL_CHARSET_UTF8) {
        f->sheet = f->out;
        /* Excel takes a CSV without the mark for the local code page and garbles Chinese. */
        fputs("\xEF\xBB\xBF", f->out);
        return 0;
    }
    f->sheet = rcl_tmpfile();
    if (f->sheet == NULL) {
        snprintf(err, errlen, "%s: cannot make a temporary file: %s", path, strerror(errno));
        fclose(f->out);
        rcl_unlink(path);
        return -1;
    }
    return 0;
}

/*
 * Finishes the sheet: converts it when asked for, and makes it durable.
 * With ok false (or on any failure) the file is removed. Returns 0 or -1.
 */
static int sheet_close(struct sheet_file *f, bool ok, char *err, size_t errlen)
{
    char why[256];
    int rc = ok ? 0 : -1;

    if (rc == 0 && f->sheet != f->out) {
        if (fflush(f->sheet) != 0 || ferror(f->sheet)) {
            snprintf(err, errlen, "%s: cannot write a temporary file: %s", f->path,
                     strerror(errno));
            rc = -1;
        } else {
            rewind(f->sheet);
            if (rcl_charset_from_utf8(f->sheet, f->out, f->charset, why, sizeof(why)) != 0) {
                snprintf(err, errlen, "%s: %s", f->path, why);
                rc = -1;
            }
        }
    }
    if (rc == 0 && (ferror(f->out) || rcl_file_sync(f->out) != 0)) {
        snprintf(err, errlen, "%s: cannot write: %s", f->path, strerror(errno));
        rc = -1;
    }
    if (f->sheet != f->out)
        fclose(f->sheet);
    if (fclose(f->out) != 0 && rc == 0) {
        snprintf(err, errlen, "%s: cannot write: %s", f->path, strerror(errno));
        rc = -1;
    }
    if (rc != 0)
        rcl_unlink(f->path);
    return rc;
}

/* ---- Export ---- */

struct export_walk {
    FILE *sheet;
    enum rcl_sheet_lang lang;
    uint64_t rows;
};

static int export_one(void *arg, const struct rcl_student *s)
{
    struct export_walk *w = arg;
    put_student(w->sheet, w->lang, s, RCL_COL_COUNT);
    w->rows++;
    return ferror(w->sheet) ? 1 : 0;
}

int rcl_school_export(sqlite3 *db, const char *path, const struct rcl_sheet_format *f,
                      uint64_t *rows, char *err, size_t errlen)
{
    struct sheet_file file;
    struct export_walk walk = {NULL, f->lang, 0};

    *rows = 0;
    if (sheet_open(&file, path, f->charset, err, errlen) != 0)
        return -1;
    walk.sheet = file.sheet;
    put_header(file.sheet, f->lang, RCL_COL_COUNT);
    /* One statement reads one moment's students, even while an import commits. */
    int walked = rcl_school_students_each(db, export_one, &walk);
    if (walked != 0) {
        if (walked > 0)
            snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        else
            snprintf(err, errlen, "%s: cannot read the students from the store: %s", path,
                     sqlite3_errmsg(db));
        (void)sheet_close(&file, false, err, errlen);
        return -1;
    }
    if (sheet_close(&file, true, err, errlen) != 0)
        return -1;
    *rows = walk.rows;
    return 0;
}

/* ---- Template ---- */

/* The example row: every column filled in as a real student's could be. */
static void example_student(enum rcl_sheet_lang lang, struct rcl_student *s)
{
    bool zh = lang == RCL_SHEET_ZH;

    memset(s, 0, sizeof(*s));
    snprintf(s->id, sizeof(s->id), "%s", RCL_SHEET_EXAMPLE_ID);
    snprintf(s->name, sizeof(s->name), "%s",
             zh ? "示例学生（导入前删除此行）" : "Example Student (delete this row)");
    s->grade = 3;
    snprintf(s->class_name, sizeof(s->class_name), "%s", zh ? "三年级2班" : "Class 3-2");
    s->network = RCL_BIT(RCL_NET_MOBILE);
    s->devices = RCL_BIT(RCL_DEV_SMARTPHONE) | RCL_BIT(RCL_DEV_TV);
    s->groups = RCL_BIT(RCL_GROUP_LEFT_BEHIND);
    s->measures[0] =
        (struct rcl_measure){.kind = RCL_MEASURE_DATA_SUBSIDY, .status = RCL_STATUS_IN_PLACE};
    s->measures[1] =
        (struct rcl_measure){.kind = RCL_MEASURE_ONE_TO_ONE, .status = RCL_STATUS_PLANNED};
    s->n_measures = 2;
    s->participation = RCL_PART_IRREGULAR;
    snprintf(s->platform, sizeof(s->platform), "%s",
             zh ? "国家中小学智慧教育平台" : "National Smart Education Platform");
    snprintf(s->feedback, sizeof(s->feedback), "%s",
             zh ? "晚上与哥哥共用一部手机" : "Shares one phone with a brother in the evening");
}

int rcl_school_template(const char *path, const struct rcl_sheet_format *f, char *err,
                        size_t errlen)
{
    struct sheet_file file;
    struct rcl_student example;

    if (sheet_open(&file, path, f->charset, err, errlen) != 0)
        return -1;
    example_student(f->lang, &example);
    put_header(file.sheet, f->lang, RCL_COL_TEMPLATE_COUNT);
    put_student(file.sheet, f->lang, &example, RCL_COL_TEMPLATE_COUNT);
    return sheet_close(&file, true, err, errlen);
}

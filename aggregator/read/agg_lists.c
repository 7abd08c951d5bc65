/*
 * agg_lists.c - the kinds of `rollcall-agg list`: the table that names them,
 * reading the store's student rows for them, and filling and writing a list.
 * Each kind's columns and fill function are in the file of its family:
 * agg_lists_students.c (blind spots, groups, measures, duplicates, transfers,
 * students elsewhere), agg_lists_follow.c (plans, helpers, feedback, opt-outs,
 * places) and agg_lists_schools.c (schools, platforms).
 *
 * Blind spots are listed most urgent first (rcl_student_urgency, the rule the
 * school's own list follows too), then by school id, grade, class and name,
 * and last the pseudonym, so the order is the same on every run.
 */
#include "agg_lists.h"
#include "agg_lists_internal.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg_departures.h"
#include "agg_sql.h"
#include "agg_tier.h"
#include "rcl_db.h"

int list_store_error(struct list_ctx *x)
{
    snprintf(x->err, x->errlen, "reading the store failed: %s", sqlite3_errmsg(x->db));
    return -1;
}

void list_bind_school(struct list_ctx *x, sqlite3_stmt *st)
{
    if (x->opt->school)
        sqlite3_bind_text(st, 1, x->opt->school, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 1);
}

void list_column_text(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
    const unsigned char *v = sqlite3_column_text(st, col);

    snprintf(out, outlen, "%s", v ? (const char *)v : "");
}

/*
 * Takes each measure's helper role and dates from the row's measure_details
 * (one object per measure, in the order of the measures text). An object of
 * another kind than the measure at its place is not taken: a row written
 * before the store kept details has '[]', and its measures are still listed.
 */
static int read_details(struct list_ctx *x, const char *school, const char *json,
                        struct rcl_student *s)
{
    int rc;

    if (!x->details && !(x->details = rcl_db_prepare(x->db, RCL_AGG_SQL_LIST_DETAILS)))
        return list_store_error(x);
    sqlite3_reset(x->details);
    sqlite3_bind_text(x->details, 1, json, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(x->details)) == SQLITE_ROW) {
        int64_t i = sqlite3_column_int64(x->details, 0);
        const unsigned char *kind = sqlite3_column_text(x->details, 1);
        struct rcl_measure *m;

        if (i < 0 || (size_t)i >= s->n_measures || !kind)
            continue;
        m = &s->measures[i];
        if (strcmp((const char *)kind, rcl_measure_kind_names[m->kind]) != 0)
            continue;
        list_column_text(x->details, 2, m->helper_role, sizeof(m->helper_role));
        list_column_text(x->details, 3, m->start_date, sizeof(m->start_date));
        list_column_text(x->details, 4, m->end_date, sizeof(m->end_date));
        list_column_text(x->details, 5, m->helper_contact, sizeof(m->helper_contact));
    }
    if (rc != SQLITE_DONE) {
        snprintf(x->err, x->errlen,
                 "school %s: the stored measure details of student '%s' cannot be read: %s", school,
                 s->name, sqlite3_errmsg(x->db));
        sqlite3_reset(x->details);
        return -1;
    }
    sqlite3_reset(x->details);
    return 0;
}

/*
 * The feedback, the opt-out application, where the student is now and the
 * guardian's phone, of the student row at st (columns 11, 13-19).
 */
static int read_record(struct list_ctx *x, sqlite3_stmt *st, struct row *r)
{
    char optout[16];
    int status;

    list_column_text(st, 11, r->s.feedback, sizeof(r->s.feedback));
    list_column_text(st, 13, optout, sizeof(optout));
    list_column_text(st, 14, r->s.optout_reason, sizeof(r->s.optout_reason));
    list_column_text(st, 15, r->s.optout_filed, sizeof(r->s.optout_filed));
    list_column_text(st, 16, r->s.optout_decided, sizeof(r->s.optout_decided));
    list_column_text(st, 17, r->s.place_county, sizeof(r->s.place_county));
    list_column_text(st, 18, r->s.place, sizeof(r->s.place));
    list_column_text(st, 19, r->s.guardian_contact, sizeof(r->s.guardian_contact));
    status =
        rcl_name_find(rcl_optout_status_names, RCL_OPTOUT_STATUS_COUNT, optout, strlen(optout));
    if (status < 0) {
        snprintf(x->err, x->errlen,
                 "school %s: the stored opt-out status '%s' of student '%s' is unknown",
                 r->school_id, optout, r->s.name);
        return -1;
    }
    r->s.optout_status = (unsigned)status;
    return 0;
}

/* Calls fn for every student row (of the --school, if given). 0, or -1 with err set. */
int list_each_student(struct list_ctx *x,
                      int (*fn)(struct list_ctx *x, const struct row *r, void *arg), void *arg)
{
    sqlite3_stmt *st = rcl_db_prepare(x->db, RCL_AGG_SQL_LIST_STUDENTS);
    struct row r;
    char measures[RCL_MEASURES_MAX * 32], bad[64];
    int rc, ret = -1;

    if (!st)
        return list_store_error(x);
    list_bind_school(x, st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&r, 0, sizeof(r));
        list_column_text(st, 0, r.school_id, sizeof(r.school_id));
        list_column_text(st, 1, r.school_name, sizeof(r.school_name));
        if (sqlite3_column_bytes(st, 2) == RCL_PSEUDONYM_BYTES)
            memcpy(r.s.pseudonym, sqlite3_column_blob(st, 2), RCL_PSEUDONYM_BYTES);
        list_column_text(st, 3, r.s.name, sizeof(r.s.name));
        r.s.grade = (unsigned)sqlite3_column_int(st, 4);
        list_column_text(st, 5, r.s.class_name, sizeof(r.s.class_name));
        r.s.network = (uint32_t)sqlite3_column_int64(st, 6);
        r.s.devices = (uint32_t)sqlite3_column_int64(st, 7);
        r.s.groups = (uint32_t)sqlite3_column_int64(st, 8);
        r.s.participation = (unsigned)sqlite3_column_int(st, 9);
        list_column_text(st, 10, measures, sizeof(measures));
        if (r.s.participation >= RCL_PARTICIPATION_COUNT) {
            snprintf(x->err, x->errlen,
                     "school %s: the stored participation %u of student '%s' is unknown",
                     r.school_id, r.s.participation, r.s.name);
            goto out;
        }
        if (x->want_record && read_record(x, st, &r) != 0)
            goto out;
        if (rcl_measures_parse(measures, r.s.measures, &r.s.n_measures, bad, sizeof(bad)) != 0) {
            snprintf(x->err, x->errlen,
                     "school %s: the stored measures of student '%s' cannot be read at '%s'",
                     r.school_id, r.s.name, bad);
            goto out;
        }
        if (x->want_details && r.s.n_measures > 0 &&
            read_details(x, r.school_id, (const char *)sqlite3_column_text(st, 12), &r.s) != 0)
            goto out;
        if (fn(x, &r, arg) != 0)
            goto out;
    }
    if (rc != SQLITE_DONE) {
        list_store_error(x);
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

void list_format_uint(char *out, size_t outlen, uint64_t v)
{
    snprintf(out, outlen, "%" PRIu64, v);
}

/* Grows *arr (of *cap elements of size) to hold need. 0, or -1 out of memory. */
int list_grow(void **arr, size_t *cap, size_t need, size_t size)
{
    size_t ncap = *cap ? *cap * 2 : 64;
    void *p;

    if (need <= *cap)
        return 0;
    while (ncap < need)
        ncap *= 2;
    p = realloc(*arr, ncap * size);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

int list_out_of_memory(struct list_ctx *x)
{
    snprintf(x->err, x->errlen, "out of memory");
    return -1;
}

/* ---- the words of the codes the families share, for text and CSV in Chinese ---- */

const struct rcl_agg_vocab list_status_words = {rcl_measure_status_names, rcl_measure_status_zh,
                                                RCL_STATUS_COUNT, NULL};
/* A measure kind, or "kind:status" in a set of measures. */
const struct rcl_agg_vocab list_measure_words = {rcl_measure_kind_names, rcl_measure_kind_zh,
                                                 RCL_MEASURE_KIND_COUNT, &list_status_words};
const struct rcl_agg_vocab list_participation_words = {
    rcl_participation_names, rcl_participation_zh, RCL_PARTICIPATION_COUNT, NULL};

/* ---- the kinds ---- */

/* A new kind is one line here (and its definition beside its fill function). */
/* clang-format off */
static const struct list_kind *const kinds[] = {
    &list_kind_blind_spots,
    &list_kind_schools,
    &list_kind_duplicates,
    &list_kind_groups,
    &list_kind_measures,
    &list_kind_transfers,
    &list_kind_elsewhere,
    &list_kind_plans,
    &list_kind_helpers,
    &list_kind_platforms,
    &list_kind_feedback,
    &list_kind_optouts,
    &list_kind_places,
};
/* clang-format on */

#define N_KINDS ((int)(sizeof(kinds) / sizeof(kinds[0])))

const struct rcl_agg_col *rcl_agg_list_col(int kind, const char *name)
{
    if (kind < 0 || kind >= N_KINDS)
        return NULL;
    for (size_t c = 0; c < kinds[kind]->ncols; c++) {
        if (strcmp(kinds[kind]->cols[c].name, name) == 0)
            return &kinds[kind]->cols[c];
    }
    return NULL;
}

int rcl_agg_list_kind_find(const char *word)
{
    for (int i = 0; i < N_KINDS; i++) {
        if (strcmp(word, kinds[i]->name) == 0)
            return i;
    }
    return -1;
}

bool rcl_agg_list_kind_uses_window(int kind)
{
    return kind >= 0 && kind < N_KINDS && kinds[kind]->uses_window;
}

const char *rcl_agg_list_kind_names(void)
{
    static char names[256];
    size_t len = 0;

    if (names[0])
        return names;
    for (int i = 0; i < N_KINDS; i++)
        len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "",
                                kinds[i]->name);
    return names;
}

const char *rcl_agg_list_help(void)
{
    static char help[8192];
    size_t len;

    if (help[0])
        return help;
    len =
        (size_t)snprintf(help, sizeof(help),
                         "usage: rollcall-agg list --db FILE KIND [--format text|csv|json]\n"
                         "                         [--lang zh|en] [--stale-days N] [--school ID]\n"
                         "\n"
                         "Prints a list to act on, one row per line. KIND is one of:\n");
    for (int i = 0; i < N_KINDS && len < sizeof(help); i++)
        len += (size_t)snprintf(help + len, sizeof(help) - len, "  %-12s %s%s\n", kinds[i]->name,
                                kinds[i]->help, kinds[i]->holds ? " (county)" : "");
    if (len < sizeof(help))
        snprintf(
            help + len, sizeof(help) - len,
            "\n"
            "Lists marked (county) read student rows or school profiles, which only a county\n"
            "holds; a city or the province says so and exits 1. blind-spots urgency: 1\n"
            "lacking conditions and in a special group, 2 lacking conditions, 3 absent and in\n"
            "a special group, 4 absent; within one: more groups first, then absent ones, then\n"
            "by school, grade, class and name. plans lists every measure, helpers the planned\n"
            "and in-place ones under each helper role (text: a header over each helper's\n"
            "rows; no role last); platforms lists a school that sent no profile as none.\n"
            "--format: text (aligned columns, the default), csv (opens in Excel; CRLF line\n"
            "ends) or json.\n"
            "--lang: text and csv headers and words in Chinese (zh, the default) or English\n"
            "(en: the json keys and codes). json is always English.\n"
            "--stale-days N: the schools list's window (default: the store's setting); the\n"
            "other lists have no window and refuse it.\n"
            "--school ID: only that school's rows (duplicates: the students it shares).\n"
            "Readable while `run` is running.\n");
    return help;
}

/* --stale-days, else the store's setting, else the default: as `report` counts stale. */
static int64_t stale_window(const struct rcl_agg_config *cfg,
                            const struct rcl_agg_list_options *opt)
{
    if (opt->stale_seconds > 0)
        return opt->stale_seconds;
    return cfg->stale_seconds > 0 ? cfg->stale_seconds : RCL_AGG_STALE_DEFAULT;
}

int rcl_agg_list_fill(sqlite3 *db, const struct rcl_agg_config *cfg,
                      const struct rcl_agg_list_options *opt, struct rcl_agg_table *t, char *err,
                      size_t errlen)
{
    struct list_ctx x = {.db = db, .cfg = cfg, .opt = opt, .err = err, .errlen = errlen};
    const struct list_kind *k;
    sqlite3_stmt *st = NULL;
    bool own_tx;
    int ret = -1;

    if (opt->kind < 0 || opt->kind >= N_KINDS) {
        snprintf(err, errlen, "no list of kind %d (kinds: %s)", opt->kind,
                 rcl_agg_list_kind_names());
        return 1;
    }
    k = kinds[opt->kind];
    t->cols = k->cols;
    t->ncols = k->ncols;
    if (k->holds && !rcl_agg_holds_students(cfg)) {
        snprintf(err, errlen,
                 "the %s list is made of %s, and %s aggregator %s holds none (only per-school "
                 "summaries; a county holds its schools' records): run it on a county store",
                 k->name, k->holds, rcl_agg_tier_names[cfg->tier], cfg->id);
        return 1;
    }
    x.now = opt->now ? opt->now : (int64_t)time(NULL);
    x.stale_seconds = stale_window(cfg, opt);

    /* One read transaction: every row is of the same moment while `run` writes. A caller
     * reading more than one list (the dashboard) holds its own, so they agree too. */
    own_tx = sqlite3_get_autocommit(db) != 0;
    if (own_tx && rcl_db_read_begin(db) != 0)
        return list_store_error(&x);
    if (opt->school) {
        st = rcl_db_prepare(db, RCL_AGG_SQL_LIST_SCHOOL_KNOWN);
        if (!st) {
            list_store_error(&x);
            goto out;
        }
        sqlite3_bind_text(st, 1, opt->school, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW) {
            list_store_error(&x);
            goto out;
        }
        if (sqlite3_column_int64(st, 0) == 0) {
            snprintf(err, errlen, "school %s is not enrolled below %s aggregator %s", opt->school,
                     rcl_agg_tier_names[cfg->tier], cfg->id);
            ret = 1;
            goto out;
        }
    }
    ret = k->fill(&x, t);
out:
    sqlite3_finalize(x.details);
    sqlite3_finalize(st);
    if (own_tx)
        rcl_db_read_end(db);
    return ret;
}

int rcl_agg_list_write(sqlite3 *db, const struct rcl_agg_config *cfg,
                       const struct rcl_agg_list_options *opt, FILE *out, char *err, size_t errlen)
{
    struct rcl_agg_table t = {0};
    struct rcl_agg_list_head head = {0};
    int ret = rcl_agg_list_fill(db, cfg, opt, &t, err, errlen);

    if (ret == 0) {
        head.kind = kinds[opt->kind]->name;
        head.scope = cfg->id;
        head.tier = rcl_agg_tier_names[cfg->tier];
        head.school = opt->school;
        head.generated_at = opt->now ? opt->now : (int64_t)time(NULL);
        head.lang = opt->lang;
        if (kinds[opt->kind]->uses_window)
            head.stale_seconds = stale_window(cfg, opt);
        if (rcl_agg_table_write(&t, &head, opt->format, out) != 0) {
            snprintf(err, errlen, "out of memory");
            ret = -1;
        } else if (fflush(out) != 0 || ferror(out)) {
            snprintf(err, errlen, "writing the list failed");
            ret = -1;
        }
    }
    rcl_agg_table_clear(&t);
    return ret;
}

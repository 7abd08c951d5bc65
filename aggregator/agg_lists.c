/*
 * agg_lists.c - the kinds of `rollcall-agg list`, one function each, and the
 * table that names them.
 *
 * Blind spots are listed most urgent first (rcl_student_urgency, the rule the
 * school's own list follows too), then by school id, grade, class and name,
 * and last the pseudonym, so the order is the same on every run.
 */
#include "agg_lists.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg_departures.h"
#include "agg_sql.h"
#include "rcl_db.h"

struct list_ctx {
    sqlite3 *db;
    const struct rcl_agg_config *cfg;
    const struct rcl_agg_list_options *opt;
    int64_t now, stale_seconds;
    char *err;
    size_t errlen;
};

/* One student row of the county store, as the lists read it. */
struct row {
    char school_id[RCL_ID_MAX + 1];
    char school_name[RCL_NAME_MAX + 1];
    struct rcl_student s; /* no id (it never leaves the school); feedback is not read */
};

static int store_error(struct list_ctx *x)
{
    snprintf(x->err, x->errlen, "reading the store failed: %s", sqlite3_errmsg(x->db));
    return -1;
}

static void bind_school(struct list_ctx *x, sqlite3_stmt *st)
{
    if (x->opt->school)
        sqlite3_bind_text(st, 1, x->opt->school, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 1);
}

static void column_text(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
    const unsigned char *v = sqlite3_column_text(st, col);

    snprintf(out, outlen, "%s", v ? (const char *)v : "");
}

/* Calls fn for every student row (of the --school, if given). 0, or -1 with err set. */
static int each_student(struct list_ctx *x,
                        int (*fn)(struct list_ctx *x, const struct row *r, void *arg), void *arg)
{
    sqlite3_stmt *st = rcl_db_prepare(x->db, RCL_AGG_SQL_LIST_STUDENTS);
    struct row r;
    char measures[RCL_MEASURES_MAX * 32], bad[64];
    int rc, ret = -1;

    if (!st)
        return store_error(x);
    bind_school(x, st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&r, 0, sizeof(r));
        column_text(st, 0, r.school_id, sizeof(r.school_id));
        column_text(st, 1, r.school_name, sizeof(r.school_name));
        if (sqlite3_column_bytes(st, 2) == RCL_PSEUDONYM_BYTES)
            memcpy(r.s.pseudonym, sqlite3_column_blob(st, 2), RCL_PSEUDONYM_BYTES);
        column_text(st, 3, r.s.name, sizeof(r.s.name));
        r.s.grade = (unsigned)sqlite3_column_int(st, 4);
        column_text(st, 5, r.s.class_name, sizeof(r.s.class_name));
        r.s.network = (uint32_t)sqlite3_column_int64(st, 6);
        r.s.devices = (uint32_t)sqlite3_column_int64(st, 7);
        r.s.groups = (uint32_t)sqlite3_column_int64(st, 8);
        r.s.participation = (unsigned)sqlite3_column_int(st, 9);
        column_text(st, 10, measures, sizeof(measures));
        if (r.s.participation >= RCL_PARTICIPATION_COUNT) {
            snprintf(x->err, x->errlen,
                     "school %s: the stored participation %u of student '%s' is unknown",
                     r.school_id, r.s.participation, r.s.name);
            goto out;
        }
        if (rcl_measures_parse(measures, r.s.measures, &r.s.n_measures, bad, sizeof(bad)) != 0) {
            snprintf(x->err, x->errlen,
                     "school %s: the stored measures of student '%s' cannot be read at '%s'",
                     r.school_id, r.s.name, bad);
            goto out;
        }
        if (fn(x, &r, arg) != 0)
            goto out;
    }
    if (rc != SQLITE_DONE) {
        store_error(x);
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

static void format_uint(char *out, size_t outlen, uint64_t v)
{
    snprintf(out, outlen, "%" PRIu64, v);
}

/* Grows *arr (of *cap elements of size) to hold need. 0, or -1 out of memory. */
static int grow(void **arr, size_t *cap, size_t need, size_t size)
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

static int out_of_memory(struct list_ctx *x)
{
    snprintf(x->err, x->errlen, "out of memory");
    return -1;
}

/* ---- blind-spots ---- */

static const struct rcl_agg_col blind_spot_cols[] = {
    {"urgency", RCL_AGG_COL_INT},
    {"school_id", RCL_AGG_COL_TEXT},
    {"school_name", RCL_AGG_COL_TEXT},
    {"grade", RCL_AGG_COL_INT},
    {"class", RCL_AGG_COL_TEXT},
    {"name", RCL_AGG_COL_TEXT},
    {"why", RCL_AGG_COL_SET},
    {"groups", RCL_AGG_COL_SET},
    {"participation", RCL_AGG_COL_TEXT},
    {"measures", RCL_AGG_COL_SET},
};

/* What the list shows of a blind spot: a few hundred bytes, not a whole record. */
struct spot {
    char school_id[RCL_ID_MAX + 1], school_name[RCL_NAME_MAX + 1], name[RCL_NAME_MAX + 1],
        class_name[RCL_CLASS_MAX + 1];
    uint8_t pseudonym[RCL_PSEUDONYM_BYTES];
    unsigned grade, participation;
    uint32_t group_set;
    size_t n_measures;
    struct rcl_measure measures[RCL_MEASURES_MAX];
    struct rcl_urgency u;
};

struct spots {
    struct spot *v;
    size_t n, cap;
};

static int collect_spot(struct list_ctx *x, const struct row *r, void *arg)
{
    struct spots *sp = arg;
    struct spot *p;

    if (!rcl_student_is_blind_spot(&r->s))
        return 0;
    if (grow((void **)&sp->v, &sp->cap, sp->n + 1, sizeof(*sp->v)) != 0)
        return out_of_memory(x);
    p = &sp->v[sp->n++];
    memcpy(p->school_id, r->school_id, sizeof(p->school_id));
    memcpy(p->school_name, r->school_name, sizeof(p->school_name));
    memcpy(p->name, r->s.name, sizeof(p->name));
    memcpy(p->class_name, r->s.class_name, sizeof(p->class_name));
    memcpy(p->pseudonym, r->s.pseudonym, sizeof(p->pseudonym));
    p->grade = r->s.grade;
    p->participation = r->s.participation;
    p->group_set = r->s.groups;
    p->n_measures = r->s.n_measures;
    memcpy(p->measures, r->s.measures, sizeof(p->measures));
    rcl_student_urgency(&r->s, &p->u);
    return 0;
}

static int cmp_spot(const void *pa, const void *pb)
{
    const struct spot *a = pa, *b = pb;
    int c;

    if ((c = rcl_urgency_cmp(&a->u, &b->u)) != 0)
        return c;
    if ((c = strcmp(a->school_id, b->school_id)) != 0)
        return c;
    if (a->grade != b->grade)
        return a->grade < b->grade ? -1 : 1;
    if ((c = strcmp(a->class_name, b->class_name)) != 0)
        return c;
    if ((c = strcmp(a->name, b->name)) != 0)
        return c;
    return memcmp(a->pseudonym, b->pseudonym, RCL_PSEUDONYM_BYTES);
}

static int list_blind_spots(struct list_ctx *x, struct rcl_agg_table *t)
{
    struct spots sp = {0};
    char urgency[8], grade[16], why[64], groups[256], measures[RCL_MEASURES_MAX * 32];
    int ret = -1;

    if (each_student(x, collect_spot, &sp) != 0)
        goto out;
    if (sp.n > 1)
        qsort(sp.v, sp.n, sizeof(*sp.v), cmp_spot);
    for (size_t i = 0; i < sp.n; i++) {
        const struct spot *p = &sp.v[i];
        const char *cells[10] = {urgency, p->school_id,  p->school_name,
                                 grade,   p->class_name, p->name,
                                 why,     groups,        rcl_participation_names[p->participation],
                                 measures};

        snprintf(urgency, sizeof(urgency), "%d", p->u.level);
        snprintf(grade, sizeof(grade), "%u", p->grade);
        snprintf(why, sizeof(why), "%s%s%s", p->u.lacking ? "lacking_conditions" : "",
                 p->u.lacking && p->u.absent ? ";" : "", p->u.absent ? "absent" : "");
        rcl_set_format(rcl_group_names, RCL_GROUP_COUNT, p->group_set, groups, sizeof(groups));
        rcl_measures_format(p->measures, p->n_measures, measures, sizeof(measures));
        if (rcl_agg_table_add(t, cells) != 0) {
            out_of_memory(x);
            goto out;
        }
    }
    ret = 0;
out:
    free(sp.v);
    return ret;
}

/* ---- groups ---- */

static const struct rcl_agg_col group_cols[] = {
    {"group", RCL_AGG_COL_TEXT},
    {"students", RCL_AGG_COL_INT},
    {"lacking_conditions", RCL_AGG_COL_INT},
    {"blind_spots", RCL_AGG_COL_INT},
};

struct group_counts {
    uint64_t students[RCL_GROUP_COUNT], lacking[RCL_GROUP_COUNT], blind[RCL_GROUP_COUNT];
};

static int count_groups(struct list_ctx *x, const struct row *r, void *arg)
{
    struct group_counts *g = arg;
    bool lacking = rcl_student_condition(&r->s) == RCL_COND_NONE;
    bool blind = rcl_student_is_blind_spot(&r->s);

    (void)x;
    for (int k = 0; k < RCL_GROUP_COUNT; k++) {
        if (!(r->s.groups & RCL_BIT(k)))
            continue;
        g->students[k]++;
        g->lacking[k] += lacking;
        g->blind[k] += blind;
    }
    return 0;
}

static int list_groups(struct list_ctx *x, struct rcl_agg_table *t)
{
    struct group_counts g;
    char n[3][24];

    memset(&g, 0, sizeof(g));
    if (each_student(x, count_groups, &g) != 0)
        return -1;
    for (int k = 0; k < RCL_GROUP_COUNT; k++) {
        const char *cells[4] = {rcl_group_names[k], n[0], n[1], n[2]};

        format_uint(n[0], sizeof(n[0]), g.students[k]);
        format_uint(n[1], sizeof(n[1]), g.lacking[k]);
        format_uint(n[2], sizeof(n[2]), g.blind[k]);
        if (rcl_agg_table_add(t, cells) != 0)
            return out_of_memory(x);
    }
    return 0;
}

/* ---- measures ---- */

static const struct rcl_agg_col measure_cols[] = {
    {"kind", RCL_AGG_COL_TEXT},
    {"status", RCL_AGG_COL_TEXT},
    {"students", RCL_AGG_COL_INT},
};

static int count_measures(struct list_ctx *x, const struct row *r, void *arg)
{
    uint64_t(*count)[RCL_STATUS_COUNT] = arg;
    bool seen[RCL_MEASURE_KIND_COUNT][RCL_STATUS_COUNT];

    (void)x;
    /* A student with two measures of one kind and status is one student. */
    memset(seen, 0, sizeof(seen));
    for (size_t i = 0; i < r->s.n_measures; i++) {
        const struct rcl_measure *m = &r->s.measures[i];

        if (m->kind < RCL_MEASURE_KIND_COUNT && m->status < RCL_STATUS_COUNT)
            seen[m->kind][m->status] = true;
    }
    for (int k = 0; k < RCL_MEASURE_KIND_COUNT; k++) {
        for (int s = 0; s < RCL_STATUS_COUNT; s++)
            count[k][s] += seen[k][s];
    }
    return 0;
}

static int list_measures(struct list_ctx *x, struct rcl_agg_table *t)
{
    uint64_t count[RCL_MEASURE_KIND_COUNT][RCL_STATUS_COUNT];
    char n[24];

    memset(count, 0, sizeof(count));
    if (each_student(x, count_measures, count) != 0)
        return -1;
    for (int k = 0; k < RCL_MEASURE_KIND_COUNT; k++) {
        for (int s = 0; s < RCL_STATUS_COUNT; s++) {
            const char *cells[3] = {rcl_measure_kind_names[k], rcl_measure_status_names[s], n};

            format_uint(n, sizeof(n), count[k][s]);
            if (rcl_agg_table_add(t, cells) != 0)
                return out_of_memory(x);
        }
    }
    return 0;
}

/* ---- duplicates ---- */

static const struct rcl_agg_col duplicate_cols[] = {
    {"student", RCL_AGG_COL_TEXT},   {"schools", RCL_AGG_COL_INT},
    {"school_id", RCL_AGG_COL_TEXT}, {"school_name", RCL_AGG_COL_TEXT},
    {"name", RCL_AGG_COL_TEXT},      {"grade", RCL_AGG_COL_INT},
    {"class", RCL_AGG_COL_TEXT},
};

static int list_duplicates(struct list_ctx *x, struct rcl_agg_table *t)
{
    sqlite3_stmt *st = rcl_db_prepare(x->db, RCL_AGG_SQL_LIST_DUPLICATES);
    char ref[17], n[24], school[RCL_ID_MAX + 1], school_name[RCL_NAME_MAX + 1],
        name[RCL_NAME_MAX + 1], grade[16], class_name[RCL_CLASS_MAX + 1];
    const char *cells[7] = {ref, n, school, school_name, name, grade, class_name};
    int rc, ret = -1;

    if (!st)
        return store_error(x);
    bind_school(x, st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const uint8_t *p = sqlite3_column_blob(st, 0);
        int len = sqlite3_column_bytes(st, 0);

        /* The first 8 bytes of the pseudonym tell the rows of one student apart from the
         * next one's, and stay the same from one run to the next. */
        ref[0] = '\0';
        for (int i = 0; p && i < 8 && i < len; i++)
            snprintf(ref + 2 * i, sizeof(ref) - 2 * (size_t)i, "%02x", p[i]);
        format_uint(n, sizeof(n), (uint64_t)sqlite3_column_int64(st, 1));
        column_text(st, 2, school, sizeof(school));
        column_text(st, 3, school_name, sizeof(school_name));
        column_text(st, 4, name, sizeof(name));
        snprintf(grade, sizeof(grade), "%d", sqlite3_column_int(st, 5));
        column_text(st, 6, class_name, sizeof(class_name));
        if (rcl_agg_table_add(t, cells) != 0) {
            out_of_memory(x);
            goto out;
        }
    }
    if (rc != SQLITE_DONE) {
        store_error(x);
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

/* ---- transfers ---- */

static const struct rcl_agg_col transfer_cols[] = {
    {"school_id", RCL_AGG_COL_TEXT}, {"name", RCL_AGG_COL_TEXT},
    {"grade", RCL_AGG_COL_INT},      {"class", RCL_AGG_COL_TEXT},
    {"left_on", RCL_AGG_COL_TEXT},   {"destination", RCL_AGG_COL_TEXT},
};

struct transfer_walk {
    struct list_ctx *x;
    struct rcl_agg_table *t;
};

static int transfer_row(void *arg, const struct rcl_agg_departure *row)
{
    struct transfer_walk *w = arg;
    char grade[16];
    const char *cells[6] = {row->school_id, row->d.name,         grade,
                            row->d.class_name, row->d.left_on, row->d.destination};

    if (w->x->opt->school && strcmp(w->x->opt->school, row->school_id) != 0)
        return 0;
    snprintf(grade, sizeof(grade), "%u", row->d.grade);
    return rcl_agg_table_add(w->t, cells) != 0 ? 1 : 0;
}

/* Transferred out of a school of the county and enrolled at none of its schools. */
static int list_transfers(struct list_ctx *x, struct rcl_agg_table *t)
{
    struct transfer_walk w = {x, t};
    int rc = rcl_agg_departures_unreceived(x->db, transfer_row, &w);

    if (rc == 1)
        return out_of_memory(x);
    return rc == 0 ? 0 : store_error(x);
}

/* ---- schools ---- */

static const struct rcl_agg_col school_cols[] = {
    {"school_id", RCL_AGG_COL_TEXT}, {"school_name", RCL_AGG_COL_TEXT},
    {"county", RCL_AGG_COL_TEXT},    {"reports_through", RCL_AGG_COL_TEXT},
    {"status", RCL_AGG_COL_TEXT},    {"last_sync", RCL_AGG_COL_TEXT},
    {"days_since", RCL_AGG_COL_INT},
};

struct late_school {
    char id[RCL_ID_MAX + 1], name[RCL_NAME_MAX + 1], county[RCL_COUNTY_LEN + 1],
        child[RCL_ID_MAX + 1];
    bool reported;
    int64_t last_sync;
};

/* Never reported first (by id), then the stale ones, the longest silent first. */
static int cmp_late(const void *pa, const void *pb)
{
    const struct late_school *a = pa, *b = pb;

    if (a->reported != b->reported)
        return a->reported ? 1 : -1;
    if (a->reported && a->last_sync != b->last_sync)
        return a->last_sync < b->last_sync ? -1 : 1;
    return strcmp(a->id, b->id);
}

static void format_time(int64_t t, char *out, size_t outlen)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (t <= 0 || !gmtime_r(&tt, &tm) || strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        out[0] = '\0';
}

static int list_schools(struct list_ctx *x, struct rcl_agg_table *t)
{
    sqlite3_stmt *st = rcl_db_prepare(x->db, RCL_AGG_SQL_LIST_SCHOOLS);
    struct late_school *v = NULL, s;
    size_t n = 0, cap = 0;
    char last[32], days[24];
    int rc, ret = -1;

    if (!st)
        return store_error(x);
    bind_school(x, st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&s, 0, sizeof(s));
        column_text(st, 0, s.id, sizeof(s.id));
        column_text(st, 1, s.name, sizeof(s.name));
        column_text(st, 2, s.county, sizeof(s.county));
        column_text(st, 3, s.child, sizeof(s.child));
        s.reported = sqlite3_column_int(st, 4) != 0;
        s.last_sync = sqlite3_column_int64(st, 5);
        /* Stale as the report counts it: synced once, but not within the window. */
        if (s.reported && s.last_sync >= x->now - x->stale_seconds)
            continue;
        if (grow((void **)&v, &cap, n + 1, sizeof(*v)) != 0) {
            out_of_memory(x);
            goto out;
        }
        v[n++] = s;
    }
    if (rc != SQLITE_DONE) {
        store_error(x);
        goto out;
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_late);
    for (size_t i = 0; i < n; i++) {
        const char *cells[7] = {
            v[i].id, v[i].name, v[i].county, v[i].child, v[i].reported ? "stale" : "never_reported",
            last,    days};

        format_time(v[i].reported ? v[i].last_sync : 0, last, sizeof(last));
        days[0] = '\0';
        if (v[i].reported)
            snprintf(days, sizeof(days), "%" PRId64,
                     (x->now > v[i].last_sync ? x->now - v[i].last_sync : 0) / 86400);
        if (rcl_agg_table_add(t, cells) != 0) {
            out_of_memory(x);
            goto out;
        }
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    free(v);
    return ret;
}

/* ---- the kinds ---- */

struct list_kind {
    const char *name;
    const char *help;    /* one line of --help */
    bool needs_students; /* a county's student rows: other tiers refuse */
    bool uses_window;    /* --stale-days means something to it */
    const struct rcl_agg_col *cols;
    size_t ncols;
    int (*fill)(struct list_ctx *x, struct rcl_agg_table *t);
};

#define COLS(a) .cols = (a), .ncols = sizeof(a) / sizeof((a)[0])

/* A new kind is one entry here (and its fill function above). */
static const struct list_kind kinds[] = {
    {.name = "blind-spots",
     .help = "students missed and not helped, most urgent first",
     .needs_students = true,
     COLS(blind_spot_cols),
     .fill = list_blind_spots},
    {.name = "schools",
     .help = "schools never synced, or silent longer than the window",
     .uses_window = true,
     COLS(school_cols),
     .fill = list_schools},
    {.name = "duplicates",
     .help = "students enrolled at two schools or more",
     .needs_students = true,
     COLS(duplicate_cols),
     .fill = list_duplicates},
    {.name = "groups",
     .help = "per special group: students, lacking, blind spots",
     .needs_students = true,
     COLS(group_cols),
     .fill = list_groups},
    {.name = "measures",
     .help = "per measure kind and status: students",
     .needs_students = true,
     COLS(measure_cols),
     .fill = list_measures},
    {.name = "transfers",
     .help = "students transferred out and received by no school of the county",
     .needs_students = true,
     COLS(transfer_cols),
     .fill = list_transfers},
};

#define N_KINDS ((int)(sizeof(kinds) / sizeof(kinds[0])))

int rcl_agg_list_kind_find(const char *word)
{
    for (int i = 0; i < N_KINDS; i++) {
        if (strcmp(word, kinds[i].name) == 0)
            return i;
    }
    return -1;
}

bool rcl_agg_list_kind_uses_window(int kind)
{
    return kind >= 0 && kind < N_KINDS && kinds[kind].uses_window;
}

const char *rcl_agg_list_kind_names(void)
{
    static char names[256];
    size_t len = 0;

    if (names[0])
        return names;
    for (int i = 0; i < N_KINDS; i++)
        len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "",
                                kinds[i].name);
    return names;
}

const char *rcl_agg_list_help(void)
{
    static char help[4096];
    size_t len;

    if (help[0])
        return help;
    len = (size_t)snprintf(help, sizeof(help),
                           "usage: rollcall-agg list --db FILE KIND [--format text|csv|json]\n"
                           "                         [--stale-days N] [--school ID]\n"
                           "\n"
                           "Prints a list to act on, one row per line. KIND is one of:\n");
    for (int i = 0; i < N_KINDS && len < sizeof(help); i++)
        len += (size_t)snprintf(help + len, sizeof(help) - len, "  %-12s %s%s\n", kinds[i].name,
                                kinds[i].help, kinds[i].needs_students ? " (county)" : "");
    if (len < sizeof(help))
        snprintf(help + len, sizeof(help) - len,
                 "\n"
                 "Lists marked (county) read student rows, which only a county holds; a city or\n"
                 "the province says so and exits 1. blind-spots urgency: 1 lacking conditions and\n"
                 "in a special group, 2 lacking conditions, 3 absent and in a special group,\n"
                 "4 absent; within one: more groups first, then absent ones, then by school,\n"
                 "grade, class and name.\n"
                 "--format: text (aligned columns, the default), csv (opens in Excel) or json.\n"
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
    int ret = -1;

    if (opt->kind < 0 || opt->kind >= N_KINDS) {
        snprintf(err, errlen, "no list of kind %d (kinds: %s)", opt->kind,
                 rcl_agg_list_kind_names());
        return 1;
    }
    k = &kinds[opt->kind];
    t->cols = k->cols;
    t->ncols = k->ncols;
    if (k->needs_students && cfg->tier != RCL_AGG_COUNTY) {
        snprintf(err, errlen,
                 "the %s list is made of student rows, and %s aggregator %s holds none (only "
                 "per-school summaries; a county holds its students): run it on a county store",
                 k->name, rcl_agg_tier_names[cfg->tier], cfg->id);
        return 1;
    }
    x.now = opt->now ? opt->now : (int64_t)time(NULL);
    x.stale_seconds = stale_window(cfg, opt);

    /* One read transaction: every row is of the same moment while `run` writes. */
    if (sqlite3_exec(db, "BEGIN DEFERRED", NULL, NULL, NULL) != SQLITE_OK)
        return store_error(&x);
    if (opt->school) {
        st = rcl_db_prepare(db, RCL_AGG_SQL_LIST_SCHOOL_KNOWN);
        if (!st) {
            store_error(&x);
            goto out;
        }
        sqlite3_bind_text(st, 1, opt->school, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW) {
            store_error(&x);
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
    sqlite3_finalize(st);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

int rcl_agg_list_write(sqlite3 *db, const struct rcl_agg_config *cfg,
                       const struct rcl_agg_list_options *opt, FILE *out, char *err, size_t errlen)
{
    struct rcl_agg_table t = {0};
    struct rcl_agg_list_head head = {0};
    int ret = rcl_agg_list_fill(db, cfg, opt, &t, err, errlen);

    if (ret == 0) {
        head.kind = kinds[opt->kind].name;
        head.scope = cfg->id;
        head.tier = rcl_agg_tier_names[cfg->tier];
        head.school = opt->school;
        head.generated_at = opt->now ? opt->now : (int64_t)time(NULL);
        if (kinds[opt->kind].uses_window)
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

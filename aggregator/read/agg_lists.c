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
#include "agg_tier.h"
#include "rcl_db.h"

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
        return store_error(x);
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
        column_text(x->details, 2, m->helper_role, sizeof(m->helper_role));
        column_text(x->details, 3, m->start_date, sizeof(m->start_date));
        column_text(x->details, 4, m->end_date, sizeof(m->end_date));
        column_text(x->details, 5, m->helper_contact, sizeof(m->helper_contact));
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

    column_text(st, 11, r->s.feedback, sizeof(r->s.feedback));
    column_text(st, 13, optout, sizeof(optout));
    column_text(st, 14, r->s.optout_reason, sizeof(r->s.optout_reason));
    column_text(st, 15, r->s.optout_filed, sizeof(r->s.optout_filed));
    column_text(st, 16, r->s.optout_decided, sizeof(r->s.optout_decided));
    column_text(st, 17, r->s.place_county, sizeof(r->s.place_county));
    column_text(st, 18, r->s.place, sizeof(r->s.place));
    column_text(st, 19, r->s.guardian_contact, sizeof(r->s.guardian_contact));
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

/* ---- the words of the codes, for text and CSV in Chinese ---- */

static const struct rcl_agg_vocab group_words = {rcl_group_names, rcl_group_zh, RCL_GROUP_COUNT,
                                                 NULL};
static const struct rcl_agg_vocab status_words = {rcl_measure_status_names, rcl_measure_status_zh,
                                                  RCL_STATUS_COUNT, NULL};
/* A measure kind, or "kind:status" in a set of measures. */
static const struct rcl_agg_vocab measure_words = {rcl_measure_kind_names, rcl_measure_kind_zh,
                                                   RCL_MEASURE_KIND_COUNT, &status_words};
static const struct rcl_agg_vocab participation_words = {
    rcl_participation_names, rcl_participation_zh, RCL_PARTICIPATION_COUNT, NULL};
static const struct rcl_agg_vocab optout_words = {rcl_optout_status_names, rcl_optout_status_zh,
                                                  RCL_OPTOUT_STATUS_COUNT, NULL};
static const struct rcl_agg_vocab platform_words = {rcl_platform_kind_names, rcl_platform_kind_zh,
                                                    RCL_PLATFORM_KIND_COUNT, NULL};

/* Codes only the lists write. */
static const char *const why_codes[] = {"lacking_conditions", "absent"};
static const char *const why_zh[][RCL_ZH_WORDS] = {{"缺少居家学习条件"}, {"缺席"}};
static const struct rcl_agg_vocab why_words = {why_codes, why_zh, 2, NULL};
static const char *const late_codes[] = {"never_reported", "stale"};
static const char *const late_zh[][RCL_ZH_WORDS] = {{"从未上报"}, {"超期未上报"}};
static const struct rcl_agg_vocab late_words = {late_codes, late_zh, 2, NULL};
static const char *const profile_codes[] = {"sent", "none"};
static const char *const profile_zh[][RCL_ZH_WORDS] = {{"已填报"}, {"未填报"}};
static const struct rcl_agg_vocab profile_words = {profile_codes, profile_zh, 2, NULL};

/* ---- blind-spots ---- */

/* The columns every list of students starts with (after its own first ones). */
/* clang-format off */
#define SCHOOL_COLS                                                                                \
    {"school_id", RCL_AGG_COL_TEXT, "学校代码", NULL}, {"school_name", RCL_AGG_COL_TEXT, "学校", NULL}
#define STUDENT_COLS                                                                               \
    {"grade", RCL_AGG_COL_INT, "年级", NULL}, {"class", RCL_AGG_COL_TEXT, "班级", NULL},            \
        {"name", RCL_AGG_COL_TEXT, "姓名", NULL}
/* clang-format on */

static const struct rcl_agg_col blind_spot_cols[] = {
    {"urgency", RCL_AGG_COL_INT, "紧急程度", NULL},
    SCHOOL_COLS,
    STUDENT_COLS,
    {"why", RCL_AGG_COL_SET, "原因", &why_words},
    {"groups", RCL_AGG_COL_SET, "特殊群体", &group_words},
    {"participation", RCL_AGG_COL_TEXT, "参与情况", &participation_words},
    {"measures", RCL_AGG_COL_SET, "帮扶措施", &measure_words},
    {"also_at", RCL_AGG_COL_SET, "也在学校", NULL},
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

/*
 * The other schools of the county (whatever the --school) where the same
 * pseudonym is enrolled, as "S1;S2", into out ("" when none).
 */
static int also_at(struct list_ctx *x, sqlite3_stmt *st, const struct spot *p, char *out,
                   size_t outlen)
{
    size_t used = 0;
    int rc;

    out[0] = '\0';
    sqlite3_reset(st);
    sqlite3_bind_blob(st, 1, p->pseudonym, RCL_PSEUDONYM_BYTES, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->school_id, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *id = sqlite3_column_text(st, 0);
        int w = snprintf(out + used, outlen - used, "%s%s", used ? ";" : "",
                         id ? (const char *)id : "");

        if (w < 0 || (size_t)w >= outlen - used)
            break; /* more schools than fit: the first ones tell the clerk where to look */
        used += (size_t)w;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_error(x);
    return 0;
}

static int list_blind_spots(struct list_ctx *x, struct rcl_agg_table *t)
{
    struct spots sp = {0};
    char urgency[8], grade[16], why[64], groups[256], measures[RCL_MEASURES_MAX * 32],
        others[8 * (RCL_ID_MAX + 1)];
    sqlite3_stmt *st = NULL;
    int ret = -1;

    if (each_student(x, collect_spot, &sp) != 0)
        goto out;
    if (!(st = rcl_db_prepare(x->db, RCL_AGG_SQL_LIST_ALSO_AT))) {
        store_error(x);
        goto out;
    }
    if (sp.n > 1)
        qsort(sp.v, sp.n, sizeof(*sp.v), cmp_spot);
    for (size_t i = 0; i < sp.n; i++) {
        const struct spot *p = &sp.v[i];
        const char *cells[11] = {urgency,  p->school_id,  p->school_name,
                                 grade,    p->class_name, p->name,
                                 why,      groups,        rcl_participation_names[p->participation],
                                 measures, others};

        snprintf(urgency, sizeof(urgency), "%d", p->u.level);
        snprintf(grade, sizeof(grade), "%u", p->grade);
        snprintf(why, sizeof(why), "%s%s%s", p->u.lacking ? "lacking_conditions" : "",
                 p->u.lacking && p->u.absent ? ";" : "", p->u.absent ? "absent" : "");
        rcl_set_format(rcl_group_names, RCL_GROUP_COUNT, p->group_set, groups, sizeof(groups));
        rcl_measures_format(p->measures, p->n_measures, measures, sizeof(measures));
        if (also_at(x, st, p, others, sizeof(others)) != 0)
            goto out;
        if (rcl_agg_table_add(t, cells) != 0) {
            out_of_memory(x);
            goto out;
        }
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    free(sp.v);
    return ret;
}

/* ---- groups ---- */

static const struct rcl_agg_col group_cols[] = {
    {"group", RCL_AGG_COL_TEXT, "特殊群体", &group_words},
    {"students", RCL_AGG_COL_INT, "学生数", NULL},
    {"lacking_conditions", RCL_AGG_COL_INT, "缺少条件", NULL},
    {"blind_spots", RCL_AGG_COL_INT, "盲点", NULL},
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
    {"kind", RCL_AGG_COL_TEXT, "帮扶措施", &measure_words},
    {"status", RCL_AGG_COL_TEXT, "状态", &status_words},
    {"students", RCL_AGG_COL_INT, "学生数", NULL},
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
    {"student", RCL_AGG_COL_TEXT, "学生标识", NULL},
    {"schools", RCL_AGG_COL_INT, "学校数", NULL},
    SCHOOL_COLS,
    {"name", RCL_AGG_COL_TEXT, "姓名", NULL},
    {"grade", RCL_AGG_COL_INT, "年级", NULL},
    {"class", RCL_AGG_COL_TEXT, "班级", NULL},
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
    {"school_id", RCL_AGG_COL_TEXT, "学校代码", NULL},
    {"name", RCL_AGG_COL_TEXT, "姓名", NULL},
    {"grade", RCL_AGG_COL_INT, "年级", NULL},
    {"class", RCL_AGG_COL_TEXT, "班级", NULL},
    {"left_on", RCL_AGG_COL_TEXT, "离校日期", NULL},
    {"destination", RCL_AGG_COL_TEXT, "转入学校代码", NULL},
};

struct transfer_walk {
    struct list_ctx *x;
    struct rcl_agg_table *t;
};

static int transfer_row(void *arg, const struct rcl_agg_departure *row)
{
    struct transfer_walk *w = arg;
    char grade[16];
    const char *cells[6] = {row->school_id,    row->d.name,    grade,
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

/* ---- elsewhere ---- */

static const char *const elsewhere_codes[] = {"enrolled", "transferred_out"};
static const char *const elsewhere_zh[][RCL_ZH_WORDS] = {{"在读"}, {"已转出"}};
static const struct rcl_agg_vocab elsewhere_words = {elsewhere_codes, elsewhere_zh, 2, NULL};

static const struct rcl_agg_col elsewhere_cols[] = {
    {"county", RCL_AGG_COL_TEXT, "另一区县", NULL},
    {"status", RCL_AGG_COL_TEXT, "本县状态", &elsewhere_words},
    SCHOOL_COLS,
    STUDENT_COLS,
};

/*
 * Students of the county (or transferred out and received by none of its
 * schools) whose digest the upstream found in another county's set: the last
 * matches file taken (`exchange import`).
 */
static int list_elsewhere(struct list_ctx *x, struct rcl_agg_table *t)
{
    sqlite3_stmt *st = rcl_db_prepare(x->db, RCL_AGG_SQL_LIST_ELSEWHERE);
    int rc;

    if (!st)
        return store_error(x);
    bind_school(x, st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *cells[7];

        for (int c = 0; c < 7; c++) {
            const unsigned char *v = sqlite3_column_text(st, c);

            cells[c] = v ? (const char *)v : "";
        }
        if (rcl_agg_table_add(t, cells) != 0) {
            sqlite3_finalize(st);
            return out_of_memory(x);
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : store_error(x);
}

/* ---- schools ---- */

static const struct rcl_agg_col school_cols[] = {
    SCHOOL_COLS,
    {"county", RCL_AGG_COL_TEXT, "区县代码", NULL},
    {"reports_through", RCL_AGG_COL_TEXT, "上报经由", NULL},
    {"status", RCL_AGG_COL_TEXT, "状态", &late_words},
    {"last_sync", RCL_AGG_COL_TEXT, "最近同步(UTC)", NULL},
    {"days_since", RCL_AGG_COL_INT, "未同步天数", NULL},
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

/* ---- plans, helpers, feedback, optouts: one row per measure or per student ---- */

/* What these lists show of a student (and, for plans, of one of its measures). */
struct pick {
    char school_id[RCL_ID_MAX + 1], school_name[RCL_NAME_MAX + 1], name[RCL_NAME_MAX + 1],
        class_name[RCL_CLASS_MAX + 1];
    uint8_t pseudonym[RCL_PSEUDONYM_BYTES];
    unsigned grade, participation, optout_status;
    size_t index; /* the measure's place among the student's */
    struct rcl_measure m;
    char filed[RCL_DATE_LEN + 1], decided[RCL_DATE_LEN + 1];
    char place_county[RCL_COUNTY_LEN + 1], place[RCL_PLACE_MAX + 1];
    char guardian_contact[RCL_CONTACT_MAX + 1];
    unsigned condition;
    bool blind_spot;
    char *text; /* feedback, or the opt-out reason: malloc'd */
};

struct picks {
    struct pick *v;
    size_t n, cap;
};

static int pick_add(struct list_ctx *x, struct picks *p, const struct row *r, size_t index,
                    const char *text)
{
    struct pick *e;

    if (grow((void **)&p->v, &p->cap, p->n + 1, sizeof(*p->v)) != 0)
        return out_of_memory(x);
    e = &p->v[p->n];
    memset(e, 0, sizeof(*e));
    memcpy(e->school_id, r->school_id, sizeof(e->school_id));
    memcpy(e->school_name, r->school_name, sizeof(e->school_name));
    memcpy(e->name, r->s.name, sizeof(e->name));
    memcpy(e->class_name, r->s.class_name, sizeof(e->class_name));
    memcpy(e->pseudonym, r->s.pseudonym, sizeof(e->pseudonym));
    e->grade = r->s.grade;
    e->participation = r->s.participation;
    e->optout_status = r->s.optout_status;
    e->index = index;
    if (index < r->s.n_measures)
        e->m = r->s.measures[index];
    memcpy(e->filed, r->s.optout_filed, sizeof(e->filed));
    memcpy(e->decided, r->s.optout_decided, sizeof(e->decided));
    memcpy(e->place_county, r->s.place_county, sizeof(e->place_county));
    memcpy(e->place, r->s.place, sizeof(e->place));
    memcpy(e->guardian_contact, r->s.guardian_contact, sizeof(e->guardian_contact));
    e->condition = rcl_student_condition(&r->s);
    e->blind_spot = rcl_student_is_blind_spot(&r->s);
    if (text && !(e->text = strdup(text)))
        return out_of_memory(x);
    p->n++;
    return 0;
}

static void picks_free(struct picks *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].text);
    free(p->v);
}

/* By school, grade, class and name (the pseudonym and the measure's place break ties). */
static int cmp_pick(const void *pa, const void *pb)
{
    const struct pick *a = pa, *b = pb;
    int c;

    if ((c = strcmp(a->school_id, b->school_id)) != 0)
        return c;
    if (a->grade != b->grade)
        return a->grade < b->grade ? -1 : 1;
    if ((c = strcmp(a->class_name, b->class_name)) != 0)
        return c;
    if ((c = strcmp(a->name, b->name)) != 0)
        return c;
    if ((c = memcmp(a->pseudonym, b->pseudonym, RCL_PSEUDONYM_BYTES)) != 0)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Each helper's students together (no role last), then as cmp_pick. */
static int cmp_helper(const void *pa, const void *pb)
{
    const struct pick *a = pa, *b = pb;
    bool none_a = !a->m.helper_role[0], none_b = !b->m.helper_role[0];
    int c;

    if (none_a != none_b)
        return none_a ? 1 : -1;
    if ((c = strcmp(a->m.helper_role, b->m.helper_role)) != 0)
        return c;
    return cmp_pick(pa, pb);
}

/* Pending first (longest waiting first), then approved, then rejected. */
static int cmp_optout(const void *pa, const void *pb)
{
    const struct pick *a = pa, *b = pb;
    int c;

    if (a->optout_status != b->optout_status)
        return a->optout_status < b->optout_status ? -1 : 1;
    if ((c = strcmp(a->filed, b->filed)) != 0)
        return c;
    return cmp_pick(pa, pb);
}

/* Sorts the picks, and adds a row for each made by row_of into cells. */
static int picks_write(struct list_ctx *x, struct rcl_agg_table *t, struct picks *p,
                       int (*cmp)(const void *, const void *),
                       void (*row_of)(const struct pick *e, const char **cells, char *grade))
{
    const char *cells[16];
    char grade[16];

    if (p->n > 1)
        qsort(p->v, p->n, sizeof(*p->v), cmp);
    for (size_t i = 0; i < p->n; i++) {
        snprintf(grade, sizeof(grade), "%u", p->v[i].grade);
        row_of(&p->v[i], cells, grade);
        if (rcl_agg_table_add(t, cells) != 0)
            return out_of_memory(x);
    }
    return 0;
}

/* Every student row through collect into picks, then sorted by cmp into rows by row_of. */
static int picks_list(struct list_ctx *x, struct rcl_agg_table *t,
                      int (*collect)(struct list_ctx *x, const struct row *r, void *arg),
                      int (*cmp)(const void *, const void *),
                      void (*row_of)(const struct pick *e, const char **cells, char *grade))
{
    struct picks p = {0};
    int ret = each_student(x, collect, &p);

    if (ret == 0)
        ret = picks_write(x, t, &p, cmp, row_of);
    picks_free(&p);
    return ret;
}

static int collect_measures(struct list_ctx *x, const struct row *r, void *arg)
{
    for (size_t i = 0; i < r->s.n_measures; i++) {
        if (pick_add(x, arg, r, i, NULL) != 0)
            return -1;
    }
    return 0;
}

/* A helper's list is what is still to do or being done: an ended measure is no one's task. */
static int collect_open_measures(struct list_ctx *x, const struct row *r, void *arg)
{
    for (size_t i = 0; i < r->s.n_measures; i++) {
        if (r->s.measures[i].status != RCL_STATUS_ENDED && pick_add(x, arg, r, i, NULL) != 0)
            return -1;
    }
    return 0;
}

static const struct rcl_agg_col plan_cols[] = {
    SCHOOL_COLS,
    STUDENT_COLS,
    {"kind", RCL_AGG_COL_TEXT, "帮扶措施", &measure_words},
    {"status", RCL_AGG_COL_TEXT, "状态", &status_words},
    {"helper_role", RCL_AGG_COL_TEXT, "帮扶人", NULL},
    {"start_date", RCL_AGG_COL_TEXT, "开始日期", NULL},
    {"end_date", RCL_AGG_COL_TEXT, "结束日期", NULL},
    {"helper_contact", RCL_AGG_COL_TEXT, "帮扶人电话", NULL},
};

static void plan_row(const struct pick *e, const char **cells, char *grade)
{
    const char *row[11] = {e->school_id,
                           e->school_name,
                           grade,
                           e->class_name,
                           e->name,
                           rcl_measure_kind_names[e->m.kind],
                           rcl_measure_status_names[e->m.status],
                           e->m.helper_role,
                           e->m.start_date,
                           e->m.end_date,
                           e->m.helper_contact};

    memcpy(cells, row, sizeof(row));
}

static int list_plans(struct list_ctx *x, struct rcl_agg_table *t)
{
    x->want_details = true;
    return picks_list(x, t, collect_measures, cmp_pick, plan_row);
}

static const struct rcl_agg_col helper_cols[] = {
    {"helper_role", RCL_AGG_COL_TEXT, "帮扶人", NULL},
    SCHOOL_COLS,
    STUDENT_COLS,
    {"kind", RCL_AGG_COL_TEXT, "帮扶措施", &measure_words},
    {"status", RCL_AGG_COL_TEXT, "状态", &status_words},
    {"start_date", RCL_AGG_COL_TEXT, "开始日期", NULL},
    {"helper_contact", RCL_AGG_COL_TEXT, "帮扶人电话", NULL},
};

static void helper_row(const struct pick *e, const char **cells, char *grade)
{
    const char *row[10] = {e->m.helper_role,
                           e->school_id,
                           e->school_name,
                           grade,
                           e->class_name,
                           e->name,
                           rcl_measure_kind_names[e->m.kind],
                           rcl_measure_status_names[e->m.status],
                           e->m.start_date,
                           e->m.helper_contact};

    memcpy(cells, row, sizeof(row));
}

static int list_helpers(struct list_ctx *x, struct rcl_agg_table *t)
{
    x->want_details = true;
    t->runs = true;
    return picks_list(x, t, collect_open_measures, cmp_helper, helper_row);
}

static int collect_feedback(struct list_ctx *x, const struct row *r, void *arg)
{
    return r->s.feedback[0] ? pick_add(x, arg, r, 0, r->s.feedback) : 0;
}

static const struct rcl_agg_col feedback_cols[] = {
    SCHOOL_COLS,
    STUDENT_COLS,
    {"feedback", RCL_AGG_COL_TEXT, "家长反馈", NULL},
    {"participation", RCL_AGG_COL_TEXT, "参与情况", &participation_words},
};

static void feedback_row(const struct pick *e, const char **cells, char *grade)
{
    const char *row[7] = {e->school_id,
                          e->school_name,
                          grade,
                          e->class_name,
                          e->name,
                          e->text,
                          rcl_participation_names[e->participation]};

    memcpy(cells, row, sizeof(row));
}

static int list_feedback(struct list_ctx *x, struct rcl_agg_table *t)
{
    x->want_record = true;
    return picks_list(x, t, collect_feedback, cmp_pick, feedback_row);
}

static int collect_optout(struct list_ctx *x, const struct row *r, void *arg)
{
    return r->s.optout_status != RCL_OPTOUT_NONE ? pick_add(x, arg, r, 0, r->s.optout_reason) : 0;
}

static const struct rcl_agg_col optout_cols[] = {
    {"status", RCL_AGG_COL_TEXT, "申请状态", &optout_words},
    SCHOOL_COLS,
    STUDENT_COLS,
    {"reason", RCL_AGG_COL_TEXT, "申请理由", NULL},
    {"filed", RCL_AGG_COL_TEXT, "申请日期", NULL},
    {"decided", RCL_AGG_COL_TEXT, "审批日期", NULL},
    {"participation", RCL_AGG_COL_TEXT, "参与情况", &participation_words},
};

static void optout_row(const struct pick *e, const char **cells, char *grade)
{
    const char *row[10] = {rcl_optout_status_names[e->optout_status],
                           e->school_id,
                           e->school_name,
                           grade,
                           e->class_name,
                           e->name,
                           e->text,
                           e->filed,
                           e->decided,
                           rcl_participation_names[e->participation]};

    memcpy(cells, row, sizeof(row));
}

static int list_optouts(struct list_ctx *x, struct rcl_agg_table *t)
{
    x->want_record = true;
    return picks_list(x, t, collect_optout, cmp_optout, optout_row);
}

/* ---- places: where students are now, for organising help there ---- */

static int collect_place(struct list_ctx *x, const struct row *r, void *arg)
{
    return r->s.place_county[0] || r->s.place[0] ? pick_add(x, arg, r, 0, NULL) : 0;
}

/* By county code and village, then as cmp_pick: one village's children together. */
static int cmp_place(const void *pa, const void *pb)
{
    const struct pick *a = pa, *b = pb;
    int c;

    if ((c = strcmp(a->place_county, b->place_county)) != 0)
        return c;
    if ((c = strcmp(a->place, b->place)) != 0)
        return c;
    return cmp_pick(pa, pb);
}

static const char *const yes_no_codes[] = {"yes", "no"};
static const char *const yes_no_zh[][RCL_ZH_WORDS] = {{"是"}, {"否"}};
static const struct rcl_agg_vocab yes_no_words = {yes_no_codes, yes_no_zh, 2, NULL};
static const struct rcl_agg_vocab condition_words = {rcl_condition_names, rcl_condition_zh,
                                                     RCL_CONDITION_COUNT, NULL};

static const struct rcl_agg_col place_cols[] = {
    {"place_county", RCL_AGG_COL_TEXT, "所在区县代码", NULL},
    {"place", RCL_AGG_COL_TEXT, "所在村（社区）", NULL},
    SCHOOL_COLS,
    STUDENT_COLS,
    {"condition", RCL_AGG_COL_TEXT, "居家学习条件", &condition_words},
    {"blind_spot", RCL_AGG_COL_TEXT, "盲点", &yes_no_words},
    {"guardian_contact", RCL_AGG_COL_TEXT, "监护人电话", NULL},
};

static void place_row(const struct pick *e, const char **cells, char *grade)
{
    const char *row[10] = {e->place_county,
                           e->place,
                           e->school_id,
                           e->school_name,
                           grade,
                           e->class_name,
                           e->name,
                           rcl_condition_names[e->condition],
                           yes_no_codes[e->blind_spot ? 0 : 1],
                           e->guardian_contact};

    memcpy(cells, row, sizeof(row));
}

static int list_places(struct list_ctx *x, struct rcl_agg_table *t)
{
    x->want_record = true;
    t->runs = true;
    return picks_list(x, t, collect_place, cmp_place, place_row);
}

/* ---- platforms ---- */

static const struct rcl_agg_col platform_cols[] = {
    SCHOOL_COLS,
    {"profile", RCL_AGG_COL_TEXT, "学校情况", &profile_words},
    {"platform", RCL_AGG_COL_TEXT, "教学平台", NULL},
    {"platform_kind", RCL_AGG_COL_TEXT, "平台类型", &platform_words},
    {"classes", RCL_AGG_COL_TEXT, "使用班级", NULL},
    {"materials_delivered", RCL_AGG_COL_INT, "教材已发放", NULL},
    {"materials_total", RCL_AGG_COL_INT, "教材应发放", NULL},
    {"materials_percent", RCL_AGG_COL_INT, "发放进度(%)", NULL},
    {"contact_role", RCL_AGG_COL_TEXT, "联系人", NULL},
};

/* One row per platform of each school; a school without platforms (or without a profile) has
 * one row, its platform cells empty. */
static int list_platforms(struct list_ctx *x, struct rcl_agg_table *t)
{
    sqlite3_stmt *st = rcl_db_prepare(x->db, RCL_AGG_SQL_LIST_PLATFORMS);
    char id[RCL_ID_MAX + 1], name[RCL_NAME_MAX + 1], contact[RCL_ROLE_MAX + 1],
        platform[RCL_PLATFORM_MAX + 1], kind[16], classes[RCL_CLASSES_MAX + 1], n[3][24];
    const char *cells[10] = {id, name, NULL, platform, kind, classes, n[0], n[1], n[2], contact};
    int rc, ret = -1;

    if (!st)
        return store_error(x);
    bind_school(x, st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        bool sent = sqlite3_column_int(st, 2) != 0;
        /* Delivered of total, or a percent only ("75%"): then the counts are 0 of 0. */
        bool counted = sent && sqlite3_column_int64(st, 5) > 0;

        column_text(st, 0, id, sizeof(id));
        column_text(st, 1, name, sizeof(name));
        cells[2] = profile_codes[sent ? 0 : 1];
        column_text(st, 3, contact, sizeof(contact));
        n[0][0] = n[1][0] = n[2][0] = '\0';
        if (counted) {
            format_uint(n[0], sizeof(n[0]), (uint64_t)sqlite3_column_int64(st, 4));
            format_uint(n[1], sizeof(n[1]), (uint64_t)sqlite3_column_int64(st, 5));
        }
        if (sent)
            format_uint(n[2], sizeof(n[2]), (uint64_t)sqlite3_column_int64(st, 6));
        column_text(st, 7, platform, sizeof(platform));
        column_text(st, 8, kind, sizeof(kind));
        column_text(st, 9, classes, sizeof(classes));
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

/* ---- the kinds ---- */

struct list_kind {
    const char *name;
    const char *help;  /* one line of --help */
    const char *holds; /* what only a county holds that it reads ("student rows"), or NULL */
    bool uses_window;  /* --stale-days means something to it */
    const struct rcl_agg_col *cols;
    size_t ncols;
    int (*fill)(struct list_ctx *x, struct rcl_agg_table *t);
};

#define COLS(a) .cols = (a), .ncols = sizeof(a) / sizeof((a)[0])
#define STUDENT_ROWS "student rows"

/* A new kind is one entry here (and its fill function above). */
static const struct list_kind kinds[] = {
    {.name = "blind-spots",
     .help = "students missed and not helped, most urgent first",
     .holds = STUDENT_ROWS,
     COLS(blind_spot_cols),
     .fill = list_blind_spots},
    {.name = "schools",
     .help = "schools never synced, or silent longer than the window",
     .uses_window = true,
     COLS(school_cols),
     .fill = list_schools},
    {.name = "duplicates",
     .help = "students enrolled at two schools or more",
     .holds = STUDENT_ROWS,
     COLS(duplicate_cols),
     .fill = list_duplicates},
    {.name = "groups",
     .help = "per special group: students, lacking, blind spots",
     .holds = STUDENT_ROWS,
     COLS(group_cols),
     .fill = list_groups},
    {.name = "measures",
     .help = "per measure kind and status: students",
     .holds = STUDENT_ROWS,
     COLS(measure_cols),
     .fill = list_measures},
    {.name = "transfers",
     .help = "students transferred out and received by no school of the county",
     .holds = STUDENT_ROWS,
     COLS(transfer_cols),
     .fill = list_transfers},
    {.name = "elsewhere",
     .help = "students the province found in another county too (exchange import)",
     .holds = STUDENT_ROWS,
     COLS(elsewhere_cols),
     .fill = list_elsewhere},
    {.name = "plans",
     .help = "one row per measure: who helps, since and until when, by school, class, name",
     .holds = STUDENT_ROWS,
     COLS(plan_cols),
     .fill = list_plans},
    {.name = "helpers",
     .help = "the open measures by helper role: each helper's students, a block each",
     .holds = STUDENT_ROWS,
     COLS(helper_cols),
     .fill = list_helpers},
    {.name = "platforms",
     .help = "per school platform: kind and classes; materials delivered; contact role",
     .holds = "school profiles",
     COLS(platform_cols),
     .fill = list_platforms},
    {.name = "feedback",
     .help = "students whose family said what they need, by school, class, name",
     .holds = STUDENT_ROWS,
     COLS(feedback_cols),
     .fill = list_feedback},
    {.name = "optouts",
     .help = "opt-out applications: pending first (oldest first), approved, rejected",
     .holds = STUDENT_ROWS,
     COLS(optout_cols),
     .fill = list_optouts},
    {.name = "places",
     .help = "students away from home, by the county and village they are in, with whom to call",
     .holds = STUDENT_ROWS,
     COLS(place_cols),
     .fill = list_places},
};

#define N_KINDS ((int)(sizeof(kinds) / sizeof(kinds[0])))

const struct rcl_agg_col *rcl_agg_list_col(int kind, const char *name)
{
    if (kind < 0 || kind >= N_KINDS)
        return NULL;
    for (size_t c = 0; c < kinds[kind].ncols; c++) {
        if (strcmp(kinds[kind].cols[c].name, name) == 0)
            return &kinds[kind].cols[c];
    }
    return NULL;
}

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
        len += (size_t)snprintf(help + len, sizeof(help) - len, "  %-12s %s%s\n", kinds[i].name,
                                kinds[i].help, kinds[i].holds ? " (county)" : "");
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
    k = &kinds[opt->kind];
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
        head.kind = kinds[opt->kind].name;
        head.scope = cfg->id;
        head.tier = rcl_agg_tier_names[cfg->tier];
        head.school = opt->school;
        head.generated_at = opt->now ? opt->now : (int64_t)time(NULL);
        head.lang = opt->lang;
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

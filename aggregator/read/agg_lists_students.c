/*
 * agg_lists_students.c - the lists of students: blind spots, per group and per
 * measure counts, students at two schools, transfers no school received and
 * students found in another county too.
 */
#include "agg_lists_internal.h"

#include <stdlib.h>
#include <string.h>

#include "agg_departures.h"
#include "agg_sql.h"
#include "rcl_db.h"

/* The words of the codes only these lists write. */
static const struct rcl_agg_vocab group_words = {rcl_group_names, rcl_group_zh, RCL_GROUP_COUNT,
                                                 NULL};
/* Codes only the lists write. */
static const char *const why_codes[] = {"lacking_conditions", "absent"};
static const char *const why_zh[][RCL_ZH_WORDS] = {{"缺少居家学习条件"}, {"缺席"}};
static const struct rcl_agg_vocab why_words = {why_codes, why_zh, 2, NULL};

/* ---- blind-spots ---- */

static const struct rcl_agg_col blind_spot_cols[] = {
    {"urgency", RCL_AGG_COL_INT, "紧急程度", NULL},
    SCHOOL_COLS,
    STUDENT_COLS,
    {"why", RCL_AGG_COL_SET, "原因", &why_words},
    {"groups", RCL_AGG_COL_SET, "特殊群体", &group_words},
    {"participation", RCL_AGG_COL_TEXT, "参与情况", &list_participation_words},
    {"measures", RCL_AGG_COL_SET, "帮扶措施", &list_measure_words},
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
    if (list_grow((void **)&sp->v, &sp->cap, sp->n + 1, sizeof(*sp->v)) != 0)
        return list_out_of_memory(x);
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
        return list_store_error(x);
    return 0;
}

static int list_blind_spots(struct list_ctx *x, struct rcl_agg_table *t)
{
    struct spots sp = {0};
    char urgency[8], grade[16], why[64], groups[256], measures[RCL_MEASURES_MAX * 32],
        others[8 * (RCL_ID_MAX + 1)];
    sqlite3_stmt *st = NULL;
    int ret = -1;

    if (list_each_student(x, collect_spot, &sp) != 0)
        goto out;
    if (!(st = rcl_db_prepare(x->db, RCL_AGG_SQL_LIST_ALSO_AT))) {
        list_store_error(x);
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
            list_out_of_memory(x);
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
    if (list_each_student(x, count_groups, &g) != 0)
        return -1;
    for (int k = 0; k < RCL_GROUP_COUNT; k++) {
        const char *cells[4] = {rcl_group_names[k], n[0], n[1], n[2]};

        list_format_uint(n[0], sizeof(n[0]), g.students[k]);
        list_format_uint(n[1], sizeof(n[1]), g.lacking[k]);
        list_format_uint(n[2], sizeof(n[2]), g.blind[k]);
        if (rcl_agg_table_add(t, cells) != 0)
            return list_out_of_memory(x);
    }
    return 0;
}

/* ---- measures ---- */

static const struct rcl_agg_col measure_cols[] = {
    {"kind", RCL_AGG_COL_TEXT, "帮扶措施", &list_measure_words},
    {"status", RCL_AGG_COL_TEXT, "状态", &list_status_words},
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
    if (list_each_student(x, count_measures, count) != 0)
        return -1;
    for (int k = 0; k < RCL_MEASURE_KIND_COUNT; k++) {
        for (int s = 0; s < RCL_STATUS_COUNT; s++) {
            const char *cells[3] = {rcl_measure_kind_names[k], rcl_measure_status_names[s], n};

            list_format_uint(n, sizeof(n), count[k][s]);
            if (rcl_agg_table_add(t, cells) != 0)
                return list_out_of_memory(x);
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
        return list_store_error(x);
    list_bind_school(x, st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const uint8_t *p = sqlite3_column_blob(st, 0);
        int len = sqlite3_column_bytes(st, 0);

        /* The first 8 bytes of the pseudonym tell the rows of one student apart from the
         * next one's, and stay the same from one run to the next. */
        ref[0] = '\0';
        for (int i = 0; p && i < 8 && i < len; i++)
            snprintf(ref + 2 * i, sizeof(ref) - 2 * (size_t)i, "%02x", p[i]);
        list_format_uint(n, sizeof(n), (uint64_t)sqlite3_column_int64(st, 1));
        list_column_text(st, 2, school, sizeof(school));
        list_column_text(st, 3, school_name, sizeof(school_name));
        list_column_text(st, 4, name, sizeof(name));
        snprintf(grade, sizeof(grade), "%d", sqlite3_column_int(st, 5));
        list_column_text(st, 6, class_name, sizeof(class_name));
        if (rcl_agg_table_add(t, cells) != 0) {
            list_out_of_memory(x);
            goto out;
        }
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
        return list_out_of_memory(x);
    return rc == 0 ? 0 : list_store_error(x);
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
        return list_store_error(x);
    list_bind_school(x, st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *cells[7];

        for (int c = 0; c < 7; c++) {
            const unsigned char *v = sqlite3_column_text(st, c);

            cells[c] = v ? (const char *)v : "";
        }
        if (rcl_agg_table_add(t, cells) != 0) {
            sqlite3_finalize(st);
            return list_out_of_memory(x);
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : list_store_error(x);
}

/* ---- the kinds ---- */

const struct list_kind list_kind_blind_spots = {
    .name = "blind-spots",
    .help = "students missed and not helped, most urgent first",
    .holds = LIST_STUDENT_ROWS,
    COLS(blind_spot_cols),
    .fill = list_blind_spots,
};

const struct list_kind list_kind_duplicates = {
    .name = "duplicates",
    .help = "students enrolled at two schools or more",
    .holds = LIST_STUDENT_ROWS,
    COLS(duplicate_cols),
    .fill = list_duplicates,
};

const struct list_kind list_kind_groups = {
    .name = "groups",
    .help = "per special group: students, lacking, blind spots",
    .holds = LIST_STUDENT_ROWS,
    COLS(group_cols),
    .fill = list_groups,
};

const struct list_kind list_kind_measures = {
    .name = "measures",
    .help = "per measure kind and status: students",
    .holds = LIST_STUDENT_ROWS,
    COLS(measure_cols),
    .fill = list_measures,
};

const struct list_kind list_kind_transfers = {
    .name = "transfers",
    .help = "students transferred out and received by no school of the county",
    .holds = LIST_STUDENT_ROWS,
    COLS(transfer_cols),
    .fill = list_transfers,
};

const struct list_kind list_kind_elsewhere = {
    .name = "elsewhere",
    .help = "students the province found in another county too (exchange import)",
    .holds = LIST_STUDENT_ROWS,
    COLS(elsewhere_cols),
    .fill = list_elsewhere,
};

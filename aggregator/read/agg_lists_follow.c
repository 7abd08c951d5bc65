/*
 * agg_lists_follow.c - the follow-up lists, one row per measure or per student:
 * plans, helpers, feedback, opt-out applications and where students are now.
 */
#include "agg_lists_internal.h"

#include <stdlib.h>
#include <string.h>

/* The words of the codes only these lists write. */
static const struct rcl_agg_vocab optout_words = {rcl_optout_status_names, rcl_optout_status_zh,
                                                  RCL_OPTOUT_STATUS_COUNT, NULL};

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

    if (list_grow((void **)&p->v, &p->cap, p->n + 1, sizeof(*p->v)) != 0)
        return list_out_of_memory(x);
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
        return list_out_of_memory(x);
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
            return list_out_of_memory(x);
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
    int ret = list_each_student(x, collect, &p);

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
    {"kind", RCL_AGG_COL_TEXT, "帮扶措施", &list_measure_words},
    {"status", RCL_AGG_COL_TEXT, "状态", &list_status_words},
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
    {"kind", RCL_AGG_COL_TEXT, "帮扶措施", &list_measure_words},
    {"status", RCL_AGG_COL_TEXT, "状态", &list_status_words},
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
    {"participation", RCL_AGG_COL_TEXT, "参与情况", &list_participation_words},
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
    {"participation", RCL_AGG_COL_TEXT, "参与情况", &list_participation_words},
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

/* ---- the kinds ---- */

const struct list_kind list_kind_plans = {
    .name = "plans",
    .help = "one row per measure: who helps, since and until when, by school, class, name",
    .holds = LIST_STUDENT_ROWS,
    COLS(plan_cols),
    .fill = list_plans,
};

const struct list_kind list_kind_helpers = {
    .name = "helpers",
    .help = "the open measures by helper role: each helper's students, a block each",
    .holds = LIST_STUDENT_ROWS,
    COLS(helper_cols),
    .fill = list_helpers,
};

const struct list_kind list_kind_feedback = {
    .name = "feedback",
    .help = "students whose family said what they need, by school, class, name",
    .holds = LIST_STUDENT_ROWS,
    COLS(feedback_cols),
    .fill = list_feedback,
};

const struct list_kind list_kind_optouts = {
    .name = "optouts",
    .help = "opt-out applications: pending first (oldest first), approved, rejected",
    .holds = LIST_STUDENT_ROWS,
    COLS(optout_cols),
    .fill = list_optouts,
};

const struct list_kind list_kind_places = {
    .name = "places",
    .help = "students away from home, by the county and village they are in, with whom to call",
    .holds = LIST_STUDENT_ROWS,
    COLS(place_cols),
    .fill = list_places,
};

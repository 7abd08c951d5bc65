/*
 * lists.c - the school's lists to act on (see lists.h): one function per
 * kind fills a table, which rcl_list_out prints.
 *
 * Within the order each list has, rows go by grade, class, name and last the
 * student number, so the order is the same on every run.
 */
#include "lists.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

/* One student the list shows, with what its order needs. */
struct entry {
    struct rcl_student s;
    struct rcl_urgency u;
};

struct walk {
    const struct rcl_school_list_options *o;
    char class_name[RCL_CLASS_MAX * 2 + 1]; /* --class in the form import stores, or "" */
    unsigned class_grade;                   /* the grade --class names ("三（1）班"), or 0 */
    bool class_in_stage;
    bool (*wanted)(const struct rcl_student *s);
    struct entry *v;
    size_t n, cap;
    bool no_memory;
};

static bool lacking(const struct rcl_student *s)
{
    return rcl_student_condition(s) == RCL_COND_NONE;
}

static bool every_student(const struct rcl_student *s)
{
    (void)s;
    return true;
}

static bool in_special_group(const struct rcl_student *s)
{
    return s->groups != 0;
}

static bool has_measures(const struct rcl_student *s)
{
    return s->n_measures > 0;
}

static int collect(void *arg, const struct rcl_student *s)
{
    struct walk *w = arg;

    if (w->o->class_name != NULL && strcmp(s->class_name, w->class_name) != 0)
        return 0;
    if (w->class_grade != 0 && s->grade != w->class_grade &&
        !(w->class_in_stage && (s->grade == w->class_grade + 6 || s->grade == w->class_grade + 9)))
        return 0;
    if (!w->wanted(s))
        return 0;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        struct entry *p = realloc(w->v, cap * sizeof(*p));

        if (p == NULL) {
            w->no_memory = true;
            return 1;
        }
        w->v = p;
        w->cap = cap;
    }
    w->v[w->n].s = *s;
    rcl_student_urgency(s, &w->v[w->n].u);
    w->n++;
    return 0;
}

static int cmp_place(const struct entry *a, const struct entry *b)
{
    int c;

    if (a->s.grade != b->s.grade)
        return a->s.grade < b->s.grade ? -1 : 1;
    if ((c = strcmp(a->s.class_name, b->s.class_name)) != 0)
        return c;
    if ((c = strcmp(a->s.name, b->s.name)) != 0)
        return c;
    return strcmp(a->s.id, b->s.id);
}

static int cmp_by_place(const void *pa, const void *pb)
{
    return cmp_place(pa, pb);
}

static int cmp_by_urgency(const void *pa, const void *pb)
{
    const struct entry *a = pa, *b = pb;
    int c = rcl_urgency_cmp(&a->u, &b->u);

    return c != 0 ? c : cmp_place(a, b);
}

/* ---- Columns ---- */

/* Each list's columns in English (the JSON keys) and Chinese, in the same order. */
#define LIST_COLS_MAX 10

struct list_kind {
    const char *name;
    bool (*wanted)(const struct rcl_student *s);
    int (*order)(const void *a, const void *b);
    int (*fill)(struct rcl_agg_table *t, const struct entry *e, enum rcl_sheet_lang lang);
    struct rcl_agg_col en[LIST_COLS_MAX], zh[LIST_COLS_MAX]; /* ended by a NULL name */
};

/* What the first columns of every list hold: who and where. */
/* clang-format off */
#define WHO_EN {"student_id", RCL_AGG_COL_TEXT, NULL, NULL}, {"name", RCL_AGG_COL_TEXT, NULL, NULL}, \
               {"grade", RCL_AGG_COL_INT, NULL, NULL}, {"class", RCL_AGG_COL_TEXT, NULL, NULL}
#define WHO_ZH {"学籍号", RCL_AGG_COL_TEXT, NULL, NULL}, {"姓名", RCL_AGG_COL_TEXT, NULL, NULL}, \
               {"年级", RCL_AGG_COL_INT, NULL, NULL}, {"班级", RCL_AGG_COL_TEXT, NULL, NULL}
/* clang-format on */

/* The columns of the lists of students as they are (lacking, students, special-groups). */
/* clang-format off */
#define STUDENT_COLS \
    {WHO_EN, {"network", RCL_AGG_COL_SET, NULL, NULL}, {"devices", RCL_AGG_COL_SET, NULL, NULL}, \
     {"groups", RCL_AGG_COL_SET, NULL, NULL}, {"participation", RCL_AGG_COL_TEXT, NULL, NULL}, \
     {"measures", RCL_AGG_COL_SET, NULL, NULL}}, \
    {WHO_ZH, {"家庭网络", RCL_AGG_COL_SET, NULL, NULL}, {"学习终端", RCL_AGG_COL_SET, NULL, NULL}, \
     {"特殊群体", RCL_AGG_COL_SET, NULL, NULL}, {"参与情况", RCL_AGG_COL_TEXT, NULL, NULL}, \
     {"帮扶措施", RCL_AGG_COL_SET, NULL, NULL}}
/* clang-format on */

struct cells {
    char grade[8], network[128], devices[128], groups[256], measures[RCL_MEASURES_MAX * 48];
};

static void format_cells(const struct rcl_student *s, enum rcl_sheet_lang lang, struct cells *c)
{
    snprintf(c->grade, sizeof(c->grade), "%u", s->grade);
    rcl_sheet_set_format(RCL_LIST_NETWORK, s->network, lang, c->network, sizeof(c->network));
    rcl_sheet_set_format(RCL_LIST_DEVICES, s->devices, lang, c->devices, sizeof(c->devices));
    rcl_sheet_set_format(RCL_LIST_GROUPS, s->groups, lang, c->groups, sizeof(c->groups));
    rcl_sheet_measures_format(s->measures, s->n_measures, lang, c->measures, sizeof(c->measures));
}

static int fill_lacking(struct rcl_agg_table *t, const struct entry *e, enum rcl_sheet_lang lang)
{
    struct cells c;
    const struct rcl_student *s = &e->s;

    format_cells(s, lang, &c);
    const char *row[] = {
        s->id,     s->name,   c.grade,  s->class_name,
        c.network, c.devices, c.groups, rcl_sheet_participation_name(s->participation, lang),
        c.measures};
    return rcl_agg_table_add(t, row);
}

static int fill_blind_spot(struct rcl_agg_table *t, const struct entry *e, enum rcl_sheet_lang lang)
{
    struct cells c;
    const struct rcl_student *s = &e->s;
    char level[8], why[64];
    bool zh = lang == RCL_SHEET_ZH;

    format_cells(s, lang, &c);
    snprintf(level, sizeof(level), "%d", e->u.level);
    snprintf(why, sizeof(why), "%s%s%s",
             e->u.lacking ? (zh ? "缺少居家学习条件" : "lacking_conditions") : "",
             e->u.lacking && e->u.absent ? (zh ? "、" : ";") : "",
             e->u.absent ? (zh ? "缺席" : "absent") : "");
    const char *row[] = {
        level,         s->id, s->name,  c.grade,
        s->class_name, why,   c.groups, rcl_sheet_participation_name(s->participation, lang),
        c.measures};
    return rcl_agg_table_add(t, row);
}

static int fill_plans(struct rcl_agg_table *t, const struct entry *e, enum rcl_sheet_lang lang)
{
    const struct rcl_student *s = &e->s;
    char grade[8];

    snprintf(grade, sizeof(grade), "%u", s->grade);
    for (size_t i = 0; i < s->n_measures; i++) {
        const struct rcl_measure *m = &s->measures[i];
        const char *row[] = {s->id,
                             s->name,
                             grade,
                             s->class_name,
                             rcl_sheet_measure_kind_name(m->kind, lang),
                             rcl_sheet_measure_status_name(m->status, lang),
                             m->helper_role,
                             m->start_date,
                             m->end_date};

        if (rcl_agg_table_add(t, row) != 0)
            return -1;
    }
    return 0;
}

static const struct list_kind kinds[] = {
    {"lacking", lacking, cmp_by_place, fill_lacking, STUDENT_COLS},
    {"students", every_student, cmp_by_place, fill_lacking, STUDENT_COLS},
    {"special-groups", in_special_group, cmp_by_place, fill_lacking, STUDENT_COLS},
    {"blind-spots",
     rcl_student_is_blind_spot,
     cmp_by_urgency,
     fill_blind_spot,
     {{"urgency", RCL_AGG_COL_INT, NULL, NULL},
      WHO_EN,
      {"why", RCL_AGG_COL_SET, NULL, NULL},
      {"groups", RCL_AGG_COL_SET, NULL, NULL},
      {"participation", RCL_AGG_COL_TEXT, NULL, NULL},
      {"measures", RCL_AGG_COL_SET, NULL, NULL}},
     {{"紧急程度", RCL_AGG_COL_INT, NULL, NULL},
      WHO_ZH,
      {"原因", RCL_AGG_COL_SET, NULL, NULL},
      {"特殊群体", RCL_AGG_COL_SET, NULL, NULL},
      {"参与情况", RCL_AGG_COL_TEXT, NULL, NULL},
      {"帮扶措施", RCL_AGG_COL_SET, NULL, NULL}}},
    {"plans",
     has_measures,
     cmp_by_place,
     fill_plans,
     {WHO_EN,
      {"kind", RCL_AGG_COL_TEXT, NULL, NULL},
      {"status", RCL_AGG_COL_TEXT, NULL, NULL},
      {"helper_role", RCL_AGG_COL_TEXT, NULL, NULL},
      {"start_date", RCL_AGG_COL_TEXT, NULL, NULL},
      {"end_date", RCL_AGG_COL_TEXT, NULL, NULL}},
     {WHO_ZH,
      {"帮扶措施", RCL_AGG_COL_TEXT, NULL, NULL},
      {"状态", RCL_AGG_COL_TEXT, NULL, NULL},
      {"帮扶责任人", RCL_AGG_COL_TEXT, NULL, NULL},
      {"开始日期", RCL_AGG_COL_TEXT, NULL, NULL},
      {"结束日期", RCL_AGG_COL_TEXT, NULL, NULL}}},
};

static const struct list_kind *find_kind(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    }
    return NULL;
}

bool rcl_school_list_known(const char *kind)
{
    return find_kind(kind) != NULL;
}

int rcl_school_list(sqlite3 *db, const struct rcl_school_meta *m,
                    const struct rcl_school_list_options *o, FILE *out, char *err, size_t errlen)
{
    const struct list_kind *k = find_kind(o->kind);
    /* JSON is for scripts: English keys and codes whatever the language. */
    enum rcl_sheet_lang lang = o->format == RCL_AGG_LIST_JSON ? RCL_SHEET_EN : o->lang;
    struct walk w = {.o = o};
    struct rcl_agg_table t = {0};
    struct rcl_agg_list_head head = {0};
    int walked, ret = -1;

    if (k == NULL) {
        snprintf(err, errlen, "unknown list '%s' (%s)", o->kind ? o->kind : "",
                 RCL_SCHOOL_LIST_KINDS);
        return -1;
    }
    w.wanted = k->wanted;
    if (o->class_name != NULL &&
        rcl_sheet_class_normalize(o->class_name, strlen(o->class_name), w.class_name,
                                  sizeof(w.class_name), &w.class_grade, &w.class_in_stage) != 0) {
        snprintf(err, errlen, "--class '%s' is too long", o->class_name);
        return -1;
    }
    walked = rcl_school_students_each(db, collect, &w);
    if (w.no_memory || walked != 0) {
        snprintf(err, errlen, "%s",
                 w.no_memory ? "out of memory" : "cannot read the students from the store");
        goto out;
    }
    if (w.n > 1)
        qsort(w.v, w.n, sizeof(*w.v), k->order);
    t.cols = lang == RCL_SHEET_ZH ? k->zh : k->en;
    while (t.ncols < LIST_COLS_MAX && t.cols[t.ncols].name != NULL)
        t.ncols++;
    for (size_t i = 0; i < w.n; i++) {
        if (k->fill(&t, &w.v[i], lang) != 0) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
    }
    head.kind = k->name;
    head.scope = m->school_id;
    head.tier = "school";
    head.school = m->school_id;
    head.generated_at = (int64_t)time(NULL);
    if (rcl_agg_table_write(&t, &head, o->format, out) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    ret = 0;
out:
    rcl_agg_table_clear(&t);
    if (w.v != NULL)
        sodium_memzero(w.v, w.cap * sizeof(*w.v));
    free(w.v);
    return ret;
}

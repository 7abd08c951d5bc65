/*
 * agg_dash.c - the dashboard page, in Chinese: figures, SVG charts and
 * tables, from one read transaction. The county's lists come from the same
 * kinds `rollcall-agg list` prints (rcl_agg_list_fill), in the same order and
 * with the same words, and every table goes through one writer.
 */
#include "agg_dash.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agg_lists.h"
#include "agg_monitor.h"
#include "agg_report.h"
#include "agg_sql.h"
#include "agg_summary.h"
#include "agg_tier.h"
#include "agg_timeliness.h"
#include "rcl_db.h"
#include "rcl_model.h"

/* A unit reporting directly here (a school at a county) and what is counted through it. */
struct unit {
    char id[RCL_ID_MAX + 1];
    char name[RCL_NAME_MAX + 1];
    uint64_t schools, reported, stale;
    int64_t last_sync;
    struct rcl_totals totals;
};

struct dash {
    const struct rcl_agg_config *cfg;
    FILE *out;
    int64_t now, stale_s;
    struct rcl_totals totals;
    uint64_t expected, reported, stale; /* schools, from the same transaction as the units */
    struct unit *units;
    size_t n_units, cap_units;
    struct rcl_agg_gauges g;
};

static void esc(FILE *out, const char *s)
{
    rcl_agg_html_escape(out, s);
}

static struct unit *unit_for(struct dash *d, const char *id)
{
    struct unit *u;

    /* Summaries come ordered by child: the one wanted is the last one, or a new one. */
    if (d->n_units > 0 && strcmp(d->units[d->n_units - 1].id, id) == 0)
        return &d->units[d->n_units - 1];
    if (d->n_units == d->cap_units) {
        size_t cap = d->cap_units ? d->cap_units * 2 : 64;
        struct unit *p = realloc(d->units, cap * sizeof(*p));

        if (!p)
            return NULL;
        d->units = p;
        d->cap_units = cap;
    }
    u = &d->units[d->n_units++];
    memset(u, 0, sizeof(*u));
    snprintf(u->id, sizeof(u->id), "%s", id);
    return u;
}

/* Pass over the summaries: totals and units. 0, or -1 (store error or out of memory). */
static int load_units(sqlite3 *db, struct dash *d)
{
    sqlite3_stmt *st = NULL;
    struct rcl_summary s;
    char child[RCL_ID_MAX + 1];
    bool county = rcl_agg_holds_students(d->cfg);
    int rc, ret = -1;

    if (sqlite3_prepare_v2(db, RCL_AGG_SQL_SUMMARY_LIST, -1, &st, NULL) != SQLITE_OK)
        goto out;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct unit *u;

        rcl_agg_summary_column(st, &s, child);
        u = unit_for(d, county ? s.school_id : child);
        if (!u)
            goto out;
        if (county)
            snprintf(u->name, sizeof(u->name), "%s", s.name);
        u->schools++;
        d->expected++;
        if (s.reported) {
            u->reported++;
            d->reported++;
            if (s.last_sync > u->last_sync)
                u->last_sync = s.last_sync;
            if (s.last_sync < d->now - d->stale_s) {
                u->stale++;
                d->stale++;
            }
        }
        rcl_totals_add(&u->totals, &s.totals);
        rcl_totals_add(&d->totals, &s.totals);
    }
    ret = rc == SQLITE_DONE ? 0 : -1;
out:
    sqlite3_finalize(st);
    return ret;
}

/* Names the units above a county after their enrolled sources. */
static int source_name(void *arg, const struct rcl_agg_source *src)
{
    struct dash *d = arg;

    for (size_t i = 0; i < d->n_units; i++) {
        if (strcmp(d->units[i].id, src->id) == 0)
            snprintf(d->units[i].name, sizeof(d->units[i].name), "%s", src->name);
    }
    return 0;
}

/* ---- Pieces of the page ---- */

static void card(FILE *out, const char *id, const char *label, uint64_t v)
{
    fprintf(out, "<div class=\"card\"><div class=\"v\" id=\"%s\">%" PRIu64 "</div>", id, v);
    fputs("<div class=\"l\">", out);
    esc(out, label);
    fputs("</div></div>\n", out);
}

/* A horizontal bar chart as inline SVG: one bar per label, scaled to the largest value. */
static void svg_bars(FILE *out, const char *id, const char *title, const char *const *labels,
                     const uint64_t *values, const char *const *colours, int n)
{
    const int label_w = 120, bar_w = 300, row_h = 26, top = 28;
    uint64_t max = 1;

    for (int i = 0; i < n; i++)
        if (values[i] > max)
            max = values[i];
    fprintf(out,
            "<svg id=\"%s\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
            "height=\"%d\" role=\"img\" aria-label=\"",
            id, label_w + bar_w + 80, top + n * row_h + 6);
    esc(out, title);
    fputs("\">\n<text x=\"0\" y=\"18\" class=\"t\">", out);
    esc(out, title);
    fputs("</text>\n", out);
    for (int i = 0; i < n; i++) {
        int y = top + i * row_h;
        int w = (int)((double)values[i] / (double)max * bar_w);

        if (values[i] > 0 && w < 2)
            w = 2;
        fprintf(out, "<text x=\"0\" y=\"%d\">", y + 17);
        esc(out, labels[i]);
        fprintf(out,
                "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\">"
                "<title>",
                label_w, y + 3, w, row_h - 8, colours[i]);
        esc(out, labels[i]);
        fprintf(out,
                "：%" PRIu64 "</title></rect><text x=\"%d\" y=\"%d\" class=\"n\">%" PRIu64
                "</text>\n",
                values[i], label_w + w + 6, y + 17, values[i]);
    }
    fputs("</svg>\n", out);
}

/* ---- Tables: every table of the page goes through write_table ---- */

/* A column of a kind of `rollcall-agg list`, its Chinese header and words with it; a column the
 * kind lacks reads as its name (the page then shows the English key, not nothing). */
static struct rcl_agg_col list_col(const char *kind, const char *name)
{
    const struct rcl_agg_col *c = rcl_agg_list_col(rcl_agg_list_kind_find(kind), name);
    struct rcl_agg_col plain = {name, RCL_AGG_COL_TEXT, NULL, NULL};

    return c ? *c : plain;
}

/* The dashboard's own columns, beside the lists' ones. */
static const struct rcl_agg_col last_sync_col = {"last_sync", RCL_AGG_COL_TEXT, "最近同步", NULL};

static bool row_shown(const struct rcl_agg_table *t, size_t r, size_t only_col,
                      const char *only_code)
{
    return only_col >= t->ncols || strcmp(t->cells[r * t->ncols + only_col], only_code) == 0;
}

/*
 * Writes t as table id: the Chinese header of each column and the Chinese
 * words of its codes, at most RCL_AGG_DASH_LIST_MAX of the rows whose column
 * only_col holds only_code (only_col NULL: every row), in t's order. Above
 * it, how many there are, counted in counter ("显示 N 名，共 M 名" when
 * cut); with none, the sentence none instead. 0, or -1 out of memory.
 */
static int write_table(FILE *out, const char *id, const struct rcl_agg_table *t,
                       const char *only_col, const char *only_code, const char *counter,
                       const char *none)
{
    size_t fcol = t->ncols, total = 0, shown = 0;

    for (size_t c = 0; only_col && c < t->ncols; c++) {
        if (strcmp(t->cols[c].name, only_col) == 0)
            fcol = c;
    }
    for (size_t r = 0; r < t->nrows; r++)
        total += row_shown(t, r, fcol, only_code);
    if (total == 0) {
        fprintf(out, "<p id=\"%s-none\">", id);
        esc(out, none);
        fputs("</p>\n", out);
        return 0;
    }
    fprintf(out, "<p class=\"note\" id=\"%s-count\">", id);
    if (total > RCL_AGG_DASH_LIST_MAX)
        fprintf(out, "显示 %d %s，共 %zu %s", RCL_AGG_DASH_LIST_MAX, counter, total, counter);
    else
        fprintf(out, "共 %zu %s", total, counter);
    fprintf(out, "</p>\n<table id=\"%s\">\n<thead><tr>", id);
    for (size_t c = 0; c < t->ncols; c++) {
        fputs("<th>", out);
        esc(out, t->cols[c].zh ? t->cols[c].zh : t->cols[c].name);
        fputs("</th>", out);
    }
    fputs("</tr></thead>\n<tbody>\n", out);
    for (size_t r = 0; r < t->nrows && shown < RCL_AGG_DASH_LIST_MAX; r++) {
        if (!row_shown(t, r, fcol, only_code))
            continue;
        shown++;
        fputs("<tr>", out);
        for (size_t c = 0; c < t->ncols; c++) {
            char *words = rcl_agg_cell_zh(&t->cols[c], t->cells[r * t->ncols + c]);

            if (!words)
                return -1;
            /* The column's key as its class: the cells of one column are found by it. */
            fprintf(out, "<td class=\"%s%s\">", t->cols[c].type == RCL_AGG_COL_INT ? "n " : "",
                    t->cols[c].name);
            esc(out, words);
            fputs("</td>", out);
            free(words);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
    return 0;
}

/* A county's lists on the page: each one kind of `rollcall-agg list`, as that kind orders it. */
struct section {
    const char *kind; /* the list's kind */
    const char *id;   /* the table's id; its heading's is "h-" id */
    const char *title, *note, *none;
    const char *counter;              /* 名 for students, 条 for other rows */
    const char *only_col, *only_code; /* only the rows with this code there, or NULL */
};

static const struct section county_lists[] = {
    {"blind-spots", "blind-spots", "盲点学生",
     "缺少居家学习条件或缺席、且没有已落实帮扶措施的学生。全县各校一起排序，最紧急的在前"
     "（紧急程度 1：缺少条件且属特殊群体；2：缺少条件；3：缺席且属特殊群体；4：缺席）。",
     "没有盲点学生。", "名", NULL, NULL},
    {"optouts", "optouts", "待审批的不参加申请",
     "家长申请不参加线上学习、尚未审批的，申请最早的在前。", "没有待审批的申请。", "名", "status",
     "pending"},
    {"feedback", "feedback", "家长反馈与需求",
     "家长说明的困难和需要，按学校、年级、班级、姓名排列。", "没有家长反馈。", "名", NULL, NULL},
    {"plans", "plans", "帮扶计划", "每项帮扶措施一行：措施、状态、帮扶人、开始和结束日期。",
     "还没有帮扶措施。", "条", NULL, NULL},
    {"platforms", "platforms", "教学平台与教材发放",
     "各校使用的教学平台和教材发放进度；没有填报学校情况的学校也列出。", "没有学校。", "条", NULL,
     NULL},
    {"elsewhere", "elsewhere", "在其他区县也有学籍的学生",
     "上级比对各区县的加密摘要后，发现在另一区县也在读（或已从本县转出、在那里入学）的学生，"
     "按另一区县、学校、年级、班级、姓名排列（最近一次导入的比对结果，exchange import）。",
     "没有在其他区县发现的学生。", "名", NULL, NULL},
};

#define N_COUNTY_LISTS (sizeof(county_lists) / sizeof(county_lists[0]))

void rcl_agg_dash_lists(const struct rcl_agg_config *cfg, char *out, size_t outlen)
{
    size_t used = 0;

    snprintf(out, outlen, "none");
    for (size_t i = 0; rcl_agg_holds_students(cfg) && i < N_COUNTY_LISTS; i++) {
        int n = snprintf(out + used, outlen - used, "%s%s", i ? "," : "", county_lists[i].kind);

        if (n < 0 || (size_t)n >= outlen - used)
            break;
        used += (size_t)n;
    }
}

static void heading(FILE *out, const char *id, const char *title)
{
    fprintf(out, "<h2 id=\"h-%s\">", id);
    esc(out, title);
    fputs("</h2>\n", out);
}

static void write_head(struct dash *d)
{
    bool county = rcl_agg_holds_students(d->cfg);
    FILE *out = d->out;

    fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          out);
    fputs("居家学习情况看板：", out);
    esc(out, d->cfg->id);
    fputs("</title>\n<style>\n"
          "body{font-family:\"Noto Sans CJK SC\",\"WenQuanYi Micro Hei\",\"Microsoft "
          "YaHei\",sans-serif;"
          "margin:1.2em;color:#222;background:#fff}\n"
          "h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.2em 0 .4em}\n"
          "nav a{margin-right:1em}\n"
          ".cards{display:flex;flex-wrap:wrap;gap:.6em}\n"
          ".card{border:1px solid #ccd;border-radius:6px;padding:.5em .9em;min-width:8em;"
          "background:#f7f8fc}\n"
          ".card .v{font-size:1.6em;font-weight:bold}.card .l{color:#555;font-size:.9em}\n"
          ".charts{display:flex;flex-wrap:wrap;gap:1.5em}\n"
          "svg.chart text{font-size:13px;fill:#222}svg.chart text.t{font-weight:bold}\n"
          "table{border-collapse:collapse;margin:.3em 0 1em}\n"
          "th,td{border:1px solid #bbb;padding:.2em .5em;text-align:left}\n"
          "td.n{text-align:right}thead th{background:#eee}\n"
          "td.status{color:#a00}.note{color:#555}\n"
          "</style>\n</head>\n<body>\n",
          out);
    /* The sections, to jump to: a county's page is long. */
    fputs("<nav><a href=\"#h-totals\">合计</a><a href=\"#h-attention\">需联系的学校</a>"
          "<a href=\"#h-units\">",
          out);
    fputs(county ? "各校" : "下级单位", out);
    fputs("</a>", out);
    for (size_t i = 0; county && i < N_COUNTY_LISTS; i++) {
        fprintf(out, "<a href=\"#h-%s\">", county_lists[i].id);
        esc(out, county_lists[i].title);
        fputs("</a>", out);
    }
    fputs("</nav>\n", out);
}

static void write_figures(struct dash *d)
{
    static const char *const cond_colours[] = {"#2e7d32", "#f9a825", "#c62828"};
    static const char *const part_colours[] = {"#2e7d32", "#f9a825", "#c62828", "#757575"};
    static const char *const school_colours[] = {"#2e7d32", "#f9a825", "#c62828"};
    const struct rcl_totals *t = &d->totals;
    const struct rcl_agg_gauges *g = &d->g;
    const struct rcl_agg_col late = list_col("schools", "status");
    FILE *out = d->out;
    uint64_t schools[3] = {d->reported - d->stale, d->stale, d->expected - d->reported};
    const char *school_labels[3] = {"近期已上报", rcl_agg_word_zh(&late, "stale"),
                                    rcl_agg_word_zh(&late, "never_reported")};
    const char *cond_labels[RCL_CONDITION_COUNT], *part_labels[RCL_PARTICIPATION_COUNT];
    char when[48];

    for (int i = 0; i < RCL_CONDITION_COUNT; i++)
        cond_labels[i] = rcl_condition_zh[i][0];
    for (int i = 0; i < RCL_PARTICIPATION_COUNT; i++)
        part_labels[i] = rcl_participation_zh[i][0];
    rcl_agg_time_local(d->now, when, sizeof(when));
    fputs("<h1>居家学习情况看板：", out);
    esc(out, d->cfg->id);
    fprintf(
        out,
        "（%s级）</h1>\n<p class=\"note\">截至 <span id=\"as-of\">%s</span>（本地时间）。只读。</p>\n",
        rcl_agg_tier_zh[d->cfg->tier], when);

    heading(out, "totals", "合计");
    fputs("<div class=\"cards\">\n", out);
    card(out, "total-students", "学生", t->students);
    card(out, "total-online", cond_labels[RCL_COND_ONLINE], t->condition[RCL_COND_ONLINE]);
    card(out, "total-tv-only", cond_labels[RCL_COND_TV_ONLY], t->condition[RCL_COND_TV_ONLY]);
    card(out, "total-none", cond_labels[RCL_COND_NONE], t->condition[RCL_COND_NONE]);
    card(out, "total-blind-spots", "盲点", t->blind_spots);
    card(out, "total-absent", part_labels[RCL_PART_ABSENT], t->participation[RCL_PART_ABSENT]);
    fputs("</div>\n<h2>上报情况</h2>\n<div class=\"cards\">\n", out);
    card(out, "schools-expected", "应上报学校", d->expected);
    card(out, "schools-reported", "至少上报过一次", d->reported);
    card(out, "schools-stale", school_labels[1], d->stale);
    card(out, "schools-never", school_labels[2], d->expected - d->reported);
    fputs("</div>\n", out);
    fprintf(out,
            "<p class=\"note\">超过 %" PRId64
            " 天没有同步即为超期。上级：%s；<span id=\"upstream-pending\">%" PRIu64
            "</span> 项变更待上报，最早的已等待 %" PRId64 " 秒。</p>\n",
            d->stale_s / 86400, d->cfg->has_upstream ? "已设置" : "无", g->pending, g->lag_seconds);

    fputs("<div class=\"charts\">\n", out);
    svg_bars(out, "chart-conditions", "居家学习条件", cond_labels, t->condition, cond_colours,
             RCL_CONDITION_COUNT);
    svg_bars(out, "chart-participation", "参与情况", part_labels, t->participation, part_colours,
             RCL_PARTICIPATION_COUNT);
    svg_bars(out, "chart-schools", "学校上报", school_labels, schools, school_colours, 3);
    fputs("</div>\n", out);
}

/* The schools that need a call: never reported, or stale; in the words of the schools list. */
static int write_attention(struct dash *d, sqlite3 *db)
{
    const struct rcl_agg_col cols[] = {
        list_col("schools", "school_id"),
        list_col("schools", "school_name"),
        list_col("schools", "reports_through"),
        list_col("schools", "status"),
        last_sync_col,
    };
    struct rcl_agg_table t = {.cols = cols, .ncols = sizeof(cols) / sizeof(cols[0])};
    sqlite3_stmt *st = NULL;
    struct rcl_summary s;
    char child[RCL_ID_MAX + 1], when[48];
    const char *cells[] = {s.school_id, s.name, child, NULL, when};
    int rc, ret = -1;

    heading(d->out, "attention", "需联系的学校：超期或从未上报");
    if (sqlite3_prepare_v2(db, RCL_AGG_SQL_SUMMARY_LIST, -1, &st, NULL) != SQLITE_OK)
        goto out;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        bool stale;

        rcl_agg_summary_column(st, &s, child);
        stale = s.reported && s.last_sync < d->now - d->stale_s;
        if (s.reported && !stale)
            continue;
        cells[3] = s.reported ? "stale" : "never_reported";
        rcl_agg_time_local(s.reported ? s.last_sync : 0, when, sizeof(when));
        if (rcl_agg_table_add(&t, cells) != 0)
            goto out;
    }
    if (rc != SQLITE_DONE)
        goto out;
    ret = write_table(d->out, "attention", &t, NULL, NULL, "所", "各校近期都已上报。");
out:
    sqlite3_finalize(st);
    rcl_agg_table_clear(&t);
    return ret;
}

static int write_units(struct dash *d)
{
    bool county = rcl_agg_holds_students(d->cfg);
    const struct rcl_agg_col late = list_col("schools", "status");
    const struct rcl_agg_col unit_cols[] = {{"unit", RCL_AGG_COL_TEXT, "单位代码", NULL},
                                            {"name", RCL_AGG_COL_TEXT, "名称", NULL}};
    const struct rcl_agg_col cols[] = {
        county ? list_col("schools", "school_id") : unit_cols[0],
        county ? list_col("schools", "school_name") : unit_cols[1],
        {"schools", RCL_AGG_COL_INT, "学校数", NULL},
        {"reported", RCL_AGG_COL_INT, "已上报", NULL},
        {"stale", RCL_AGG_COL_INT, rcl_agg_word_zh(&late, "stale"), NULL},
        list_col("groups", "students"),
        list_col("groups", "lacking_conditions"),
        {"absent", RCL_AGG_COL_INT, rcl_participation_zh[RCL_PART_ABSENT][0], NULL},
        list_col("groups", "blind_spots"),
        last_sync_col,
    };
    struct rcl_agg_table t = {.cols = cols, .ncols = sizeof(cols) / sizeof(cols[0])};
    char n[7][24], when[48];
    const char *cells[] = {NULL, NULL, n[0], n[1], n[2], n[3], n[4], n[5], n[6], when};
    int ret = -1;

    heading(d->out, "units", county ? "各校" : "下级单位");
    for (size_t i = 0; i < d->n_units; i++) {
        const struct unit *u = &d->units[i];
        uint64_t v[7] = {u->schools,
                         u->reported,
                         u->stale,
                         u->totals.students,
                         u->totals.condition[RCL_COND_NONE],
                         u->totals.participation[RCL_PART_ABSENT],
                         u->totals.blind_spots};

        cells[0] = u->id;
        cells[1] = u->name;
        for (int k = 0; k < 7; k++)
            snprintf(n[k], sizeof(n[k]), "%" PRIu64, v[k]);
        rcl_agg_time_local(u->last_sync, when, sizeof(when));
        if (rcl_agg_table_add(&t, cells) != 0)
            goto out;
    }
    ret = write_table(d->out, "units", &t, NULL, NULL, county ? "所" : "个", "还没有下级单位。");
out:
    rcl_agg_table_clear(&t);
    return ret;
}

/* County only: the lists of students, measures and schools, each as its kind lists it. */
static int write_lists(struct dash *d, sqlite3 *db, char *err, size_t errlen)
{
    if (!rcl_agg_holds_students(d->cfg)) {
        heading(d->out, "blind-spots", "盲点学生");
        fputs(
            "<p class=\"note\">学生名单在各区县：区县的看板列出学生姓名，这里只有各校的汇总数。</p>\n",
            d->out);
        return 0;
    }
    for (size_t i = 0; i < N_COUNTY_LISTS; i++) {
        const struct section *sec = &county_lists[i];
        struct rcl_agg_list_options opt = {.kind = rcl_agg_list_kind_find(sec->kind),
                                           .now = d->now};
        struct rcl_agg_table t = {0};
        int rc;

        heading(d->out, sec->id, sec->title);
        fputs("<p class=\"note\">", d->out);
        esc(d->out, sec->note);
        fputs("</p>\n", d->out);
        rc = rcl_agg_list_fill(db, d->cfg, &opt, &t, err, errlen);
        if (rc == 0 && write_table(d->out, sec->id, &t, sec->only_col, sec->only_code, sec->counter,
                                   sec->none) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
        rcl_agg_table_clear(&t);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int rcl_agg_dash_write(sqlite3 *db, const struct rcl_agg_config *cfg, int64_t now, FILE *out,
                       char *err, size_t errlen)
{
    struct dash d;
    bool in_tx = false;
    int ret = -1;

    memset(&d, 0, sizeof(d));
    d.cfg = cfg;
    d.out = out;
    d.now = now;
    d.stale_s = cfg->stale_seconds > 0 ? cfg->stale_seconds : RCL_AGG_STALE_DEFAULT;
    /* The upstream figures take their own read transaction; the rest shares one, the lists'
     * too (rcl_agg_list_fill reads in the caller's). */
    if (rcl_agg_gauges_read(db, cfg, now, &d.g, err, errlen) != 0)
        return -1;
    if (rcl_db_read_begin(db) != 0)
        goto fail;
    in_tx = true;
    if (load_units(db, &d) != 0)
        goto fail;
    if (!rcl_agg_holds_students(cfg) && rcl_agg_source_each(db, source_name, &d) != 0)
        goto fail;
    write_head(&d);
    write_figures(&d);
    if (write_attention(&d, db) != 0 || write_units(&d) != 0)
        goto fail;
    if (write_lists(&d, db, err, errlen) != 0)
        goto out;
    fputs("</body>\n</html>\n", out);
    ret = ferror(out) ? -1 : 0;
    if (ret != 0)
        snprintf(err, errlen, "writing the page failed");
    goto out;
fail:
    snprintf(err, errlen, "reading the store failed: %s", sqlite3_errmsg(db));
out:
    if (in_tx)
        rcl_db_read_end(db);
    free(d.units);
    return ret;
}

/*
 * agg_report_html.c - the report as one self-contained page for the
 * provincial notice: overall situation, students lacking the conditions,
 * measures for students in difficulty, by city and by county, completeness.
 *
 * Inline CSS and inline SVG charts, no script and nothing fetched; the page
 * is well-formed XML apart from its doctype (every element closed, only the
 * five XML entities), so it can be checked and converted by XML tools.
 * Every number sits in a cell with data-k naming the count, in a row with
 * data-unit and data-level, so that tests and scripts can read it back.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "agg_report_data.h"
#include "agg_tier.h"

/* Where the counts the page picks out stand in rcl_agg_counts_of's list (rcl_counts.h). */
#define FIRST_GROUP RCL_COUNT_groups_poverty_card
#define FIRST_MEASURE RCL_COUNT_measures_tv_at_village
#define FIRST_PART RCL_COUNT_participation_active
#define I_STUDENTS RCL_COUNT_students
#define I_NONE RCL_COUNT_condition_none
#define I_BLIND RCL_COUNT_blind_spots

/* Local time with its offset, or "从未 never". */
static void format_time(int64_t t, char *out, size_t outlen)
{
    rcl_agg_time_local(t, out, outlen);
    if (!out[0])
        snprintf(out, outlen, "从未 never");
}

static double share(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* "名称 (id)" or "id" when unnamed, escaped. */
static void unit_label(FILE *out, const char *name, const char *id)
{
    if (name[0]) {
        rcl_agg_html_escape(out, name);
        fputs(" (", out);
        rcl_agg_html_escape(out, id);
        fputc(')', out);
    } else {
        rcl_agg_html_escape(out, id);
    }
}

/* One count cell: "<N" when suppressed. */
static void cell(FILE *out, const struct rcl_agg_report *r, int k, uint64_t v, bool suppress)
{
    if (suppress && rcl_agg_suppressed(r, v))
        fprintf(out, "<td class=\"n s\" data-k=\"%s\">&lt;%" PRIu64 "</td>", rcl_counts[k].name,
                r->suppress_below);
    else
        fprintf(out, "<td class=\"n\" data-k=\"%s\">%" PRIu64 "</td>", rcl_counts[k].name, v);
}

static void th_label(FILE *out, int k)
{
    fprintf(out, "<th>%s<br/><span class=\"en\">%s</span></th>", rcl_counts[k].zh,
            rcl_counts[k].en);
}

/* ---- charts ---- */

#define CHART_W 720
#define LABEL_W 200
#define BAR_W 400
#define ROW_H 22

static void svg_begin(FILE *out, int rows, const char *title)
{
    int h = rows * ROW_H + 30;

    fprintf(out, "<p class=\"cap\">%s</p>\n", title);
    fprintf(out,
            "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">"
            "<title>%s</title>\n",
            CHART_W, h, CHART_W, h, title);
}

static void svg_label(FILE *out, int y, const char *name, const char *id)
{
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", LABEL_W - 6, y + 15);
    unit_label(out, name, id);
    fputs("</text>", out);
}

static void svg_rect(FILE *out, double x, int y, double w, const char *cls, const char *tip)
{
    if (w <= 0)
        return;
    fprintf(out,
            "<rect class=\"%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\"><title>%s</title>"
            "</rect>",
            cls, x, y + 3, w, ROW_H - 6, tip);
}

static void svg_legend(FILE *out, int y, const char *const *cls, const char *const *labels, int n)
{
    for (int i = 0; i < n; i++) {
        int x = LABEL_W + i * 150;

        fprintf(out,
                "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"12\" height=\"12\"/>"
                "<text x=\"%d\" y=\"%d\">%s</text>",
                cls[i], x, y + 6, x + 16, y + 16, labels[i]);
    }
    fputc('\n', out);
}

/* One 100% bar per unit: online, TV only, lacking conditions; the share lacking at the end. */
static void chart_conditions(FILE *out, const struct rcl_agg_report *r,
                             const struct rcl_agg_unit *u, size_t n, const char *title)
{
    static const char *const cls[] = {"online", "tv", "none"};
    static const char *const labels[] = {"具备在线条件 online", "仅电视 TV only",
                                         "不具备条件 none"};

    svg_begin(out, (int)n, title);
    for (size_t i = 0; i < n; i++) {
        const struct rcl_totals *t = &u[i].totals;
        int y = (int)i * ROW_H;
        uint64_t all = t->condition[0] + t->condition[1] + t->condition[2];
        bool hidden = false;
        double x = LABEL_W;

        for (int c = 0; c < RCL_CONDITION_COUNT; c++)
            hidden |= rcl_agg_suppressed(r, t->condition[c]);
        svg_label(out, y, u[i].name, u[i].id);
        if (hidden || all == 0) {
            fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"muted\">%s</text>\n", LABEL_W, y + 15,
                    hidden ? "小数不公开 suppressed" : "无学生 no students");
            continue;
        }
        for (int c = 0; c < RCL_CONDITION_COUNT; c++) {
            char tip[96];
            double w = BAR_W * (double)t->condition[c] / (double)all;

            snprintf(tip, sizeof(tip), "%s: %" PRIu64 " (%.1f%%)", labels[c], t->condition[c],
                     share(t->condition[c], all));
            svg_rect(out, x, y, w, cls[c], tip);
            x += w;
        }
        fprintf(out, "<text x=\"%d\" y=\"%d\">%.1f%%</text>\n", LABEL_W + BAR_W + 8, y + 15,
                share(t->condition[RCL_COND_NONE], all));
    }
    svg_legend(out, (int)n * ROW_H, cls, labels, 3);
    fputs("</svg>\n", out);
}

/* One bar per unit: schools reported and fresh, stale, never reported. */
static void chart_completeness(FILE *out, const struct rcl_agg_unit *u, size_t n)
{
    static const char *const cls[] = {"online", "tv", "none"};
    static const char *const labels[] = {"已报告 reported", "过期 stale", "未报告 missing"};

    svg_begin(out, (int)n, "各单位报告完整性 completeness by unit");
    for (size_t i = 0; i < n; i++) {
        uint64_t part[3] = {u[i].reported - u[i].stale, u[i].stale, u[i].missing};
        int y = (int)i * ROW_H;
        double x = LABEL_W;

        svg_label(out, y, u[i].name, u[i].id);
        for (int c = 0; c < 3 && u[i].schools > 0; c++) {
            char tip[96];
            double w = BAR_W * (double)part[c] / (double)u[i].schools;

            snprintf(tip, sizeof(tip), "%s: %" PRIu64, labels[c], part[c]);
            svg_rect(out, x, y, w, cls[c], tip);
            x += w;
        }
        fprintf(out, "<text x=\"%d\" y=\"%d\">%" PRIu64 " / %" PRIu64 "</text>\n",
                LABEL_W + BAR_W + 8, y + 15, u[i].reported, u[i].schools);
    }
    svg_legend(out, (int)n * ROW_H, cls, labels, 3);
    fputs("</svg>\n", out);
}

/* Bars of counts first..first+n of the totals, scaled to the largest. */
static void chart_counts(FILE *out, const uint64_t *v, int first, int n, const char *title)
{
    uint64_t max = 0;

    for (int k = first; k < first + n; k++)
        max = v[k] > max ? v[k] : max;
    svg_begin(out, n, title);
    for (int k = first; k < first + n; k++) {
        int y = (k - first) * ROW_H;
        char tip[96];

        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s %s</text>", LABEL_W - 6,
                y + 15, rcl_counts[k].zh, rcl_counts[k].en);
        snprintf(tip, sizeof(tip), "%s: %" PRIu64, rcl_counts[k].en, v[k]);
        svg_rect(out, LABEL_W, y, max ? BAR_W * (double)v[k] / (double)max : 0, "measure", tip);
        fprintf(out, "<text x=\"%d\" y=\"%d\">%" PRIu64 "</text>\n", LABEL_W + BAR_W + 8, y + 15,
                v[k]);
    }
    fputs("</svg>\n", out);
}

/* ---- tables ---- */

static void table_head(FILE *out, bool county_cols)
{
    fputs("<table>\n<thead>\n<tr><th>代码<br/><span class=\"en\">code</span></th>"
          "<th>名称<br/><span class=\"en\">name</span></th>",
          out);
    if (county_cols)
        fputs("<th>所属市<br/><span class=\"en\">city</span></th>"
              "<th>经由<br/><span class=\"en\">via</span></th>",
              out);
    else
        fputs("<th>最近同步<br/><span class=\"en\">last sync</span></th>", out);
    fputs("<th>学校<br/><span class=\"en\">schools</span></th>"
          "<th>已报告<br/><span class=\"en\">reported</span></th>"
          "<th>过期<br/><span class=\"en\">stale</span></th>"
          "<th>未报告<br/><span class=\"en\">missing</span></th>",
          out);
    for (int k = 0; k < RCL_COUNTS_N; k++)
        th_label(out, k);
    fputs("</tr>\n</thead>\n<tbody>\n", out);
}

static void school_cells(FILE *out, const struct rcl_agg_unit *u)
{
    fprintf(out,
            "<td class=\"n\" data-k=\"schools\">%" PRIu64 "</td>"
            "<td class=\"n\" data-k=\"reported\">%" PRIu64 "</td>"
            "<td class=\"n\" data-k=\"stale\">%" PRIu64 "</td>"
            "<td class=\"n\" data-k=\"missing\">%" PRIu64 "</td>",
            u->schools, u->reported, u->stale, u->missing);
}

static void table_row(FILE *out, const struct rcl_agg_report *r, const struct rcl_agg_unit *u,
                      const char *level, bool suppress)
{
    uint64_t v[RCL_COUNTS_N];
    char when[64];
    bool county = strcmp(level, "county") == 0;

    fprintf(out, "<tr data-level=\"%s\" data-unit=\"", level);
    rcl_agg_html_escape(out, u->id);
    if (county) {
        fputs("\" data-via=\"", out);
        rcl_agg_html_escape(out, u->via);
    }
    fprintf(out, "\"%s><td>",
            u->schools > 0 && u->missing == u->schools ? " class=\"missing\"" : "");
    rcl_agg_html_escape(out, u->id);
    fputs("</td><td>", out);
    rcl_agg_html_escape(out, u->name);
    if (u->revoked)
        fputs(" (已撤销 revoked)", out);
    fputs("</td>", out);
    if (county) {
        fputs("<td>", out);
        if (u->city_code[0])
            unit_label(out, u->city_name, u->city_code);
        fputs("</td><td>", out);
        rcl_agg_html_escape(out, u->via);
        fputs("</td>", out);
    } else if (strcmp(level, "total") != 0) {
        format_time(u->last_sync, when, sizeof(when));
        fprintf(out, "<td>%s</td>", when);
    } else {
        fputs("<td></td>", out);
    }
    school_cells(out, u);
    rcl_agg_counts_of(&u->totals, v);
    for (int k = 0; k < RCL_COUNTS_N; k++)
        cell(out, r, k, v[k], suppress);
    fputs("</tr>\n", out);
}

static void total_unit(const struct rcl_agg_report *r, struct rcl_agg_unit *t)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->id, sizeof(t->id), "%s", r->cfg->id);
    snprintf(t->name, sizeof(t->name), "合计 total");
    t->schools = r->expected;
    t->reported = r->reported;
    t->stale = r->stale;
    t->missing = r->expected - r->reported;
    t->on_time = r->on_time;
    t->totals = r->totals;
}

static void table(FILE *out, const struct rcl_agg_report *r, const struct rcl_agg_unit *u, size_t n,
                  const char *level)
{
    struct rcl_agg_unit total;
    bool county = strcmp(level, "county") == 0;

    table_head(out, county);
    for (size_t i = 0; i < n; i++)
        table_row(out, r, &u[i], level, true);
    fputs("</tbody>\n<tfoot>\n", out);
    total_unit(r, &total);
    if (county) { /* the same columns as the rows above */
        fputs("<tr data-level=\"total\"><td>", out);
        rcl_agg_html_escape(out, total.id);
        fprintf(out, "</td><td>%s</td><td></td><td></td>", total.name);
        school_cells(out, &total);
        {
            uint64_t v[RCL_COUNTS_N];

            rcl_agg_counts_of(&total.totals, v);
            for (int k = 0; k < RCL_COUNTS_N; k++)
                cell(out, r, k, v[k], false);
        }
        fputs("</tr>\n", out);
    } else {
        table_row(out, r, &total, "total", false);
    }
    fputs("</tfoot>\n</table>\n", out);
}

/* "河南省 Henan Province (41)": the scope, with its English name where known. */
static void scope_label(FILE *out, const struct rcl_agg_report *r)
{
    const char *en = rcl_agg_scope_name_en(r);

    rcl_agg_html_escape(out, r->scope_name);
    if (en[0]) {
        fputs(" <span class=\"en\">", out);
        rcl_agg_html_escape(out, en);
        fputs("</span>", out);
    }
    fputs(r->scope_name[0] ? " (" : "", out);
    rcl_agg_html_escape(out, r->cfg->id);
    fputs(r->scope_name[0] ? ")" : "", out);
}

/* A count cell of the schools table, or an empty one when the school has not said. */
static void school_cell(FILE *out, const char *k, const char *v)
{
    fprintf(out, "<td class=\"n\" data-k=\"%s\">", k);
    rcl_agg_html_escape(out, v);
    fputs("</td>", out);
}

/* At a county: each school's platforms, materials, pending opt-outs and feedback records. */
/* The students two counties both hold, as counts per pair (agg_exchange.h). */
static void exchange_section(FILE *out, const struct rcl_agg_report *r)
{
    fputs("<h2>七、跨县重复在籍 <span class=\"en\">Students held by two counties</span></h2>\n"
          "<table>\n<thead>\n<tr><th>区县<br/><span class=\"en\">county</span></th>"
          "<th>区县<br/><span class=\"en\">county</span></th>"
          "<th>共有学生<br/><span class=\"en\">shared</span></th></tr>\n</thead>\n<tbody>\n",
          out);
    for (size_t i = 0; i < r->n_pairs; i++) {
        fputs("<tr data-level=\"exchange\"><td data-k=\"a\">", out);
        rcl_agg_html_escape(out, r->pairs[i].a);
        fputs("</td><td data-k=\"b\">", out);
        rcl_agg_html_escape(out, r->pairs[i].b);
        fprintf(out, "</td><td class=\"n\" data-k=\"shared\">%" PRIu64 "</td></tr>\n",
                r->pairs[i].shared);
    }
    fputs("</tbody>\n</table>\n", out);
}

static void schools_section(FILE *out, const struct rcl_agg_report *r)
{
    const struct rcl_agg_table *t = &r->platforms;

    fputs("<h2>七、各校教学平台、教材发放与家长事项 <span class=\"en\">Platforms, materials, "
          "opt-outs and feedback by school</span></h2>\n"
          "<table>\n<thead>\n<tr><th>代码<br/><span class=\"en\">code</span></th>"
          "<th>名称<br/><span class=\"en\">name</span></th>"
          "<th>教学平台<br/><span class=\"en\">platforms</span></th>"
          "<th>教材已发放<br/><span class=\"en\">materials delivered</span></th>"
          "<th>教材应发放<br/><span class=\"en\">materials total</span></th>"
          "<th>发放进度(%)<br/><span class=\"en\">percent</span></th>"
          "<th>待审不参加申请<br/><span class=\"en\">opt-outs pending</span></th>"
          "<th>家长反馈<br/><span class=\"en\">feedback</span></th></tr>\n</thead>\n<tbody>\n",
          out);
    for (size_t i = 0; i < r->n_schools; i++) {
        const struct rcl_agg_school *sc = &r->schools[i];
        size_t f = sc->first;

        fputs("<tr data-level=\"school-extra\" data-unit=\"", out);
        rcl_agg_html_escape(out, rcl_agg_platform_cell(t, f, RCL_AGG_PL_ID));
        fputs("\"><td>", out);
        rcl_agg_html_escape(out, rcl_agg_platform_cell(t, f, RCL_AGG_PL_ID));
        fputs("</td><td>", out);
        rcl_agg_html_escape(out, rcl_agg_platform_cell(t, f, RCL_AGG_PL_NAME));
        fputs("</td><td data-k=\"platforms\">", out);
        if (strcmp(rcl_agg_platform_cell(t, f, RCL_AGG_PL_PROFILE), "sent") != 0)
            fputs("<span class=\"muted\">未报送学校情况 no profile</span>", out);
        for (size_t k = f; k < f + sc->n_rows; k++) {
            const char *name = rcl_agg_platform_cell(t, k, RCL_AGG_PL_PLATFORM);
            const char *classes = rcl_agg_platform_cell(t, k, RCL_AGG_PL_CLASSES);

            if (!name[0])
                continue;
            fputs("<span class=\"platform\" data-kind=\"", out);
            rcl_agg_html_escape(out, rcl_agg_platform_cell(t, k, RCL_AGG_PL_KIND));
            fputs("\">", out);
            rcl_agg_html_escape(out, name);
            fputs(" (", out);
            rcl_agg_html_escape(out, rcl_agg_platform_cell(t, k, RCL_AGG_PL_KIND));
            if (classes[0]) {
                fputs(": ", out);
                rcl_agg_html_escape(out, classes);
            }
            fputs(")</span>", out);
            fputs(k + 1 < f + sc->n_rows ? "<br/>" : "", out);
        }
        fputs("</td>", out);
        school_cell(out, "materials_delivered", rcl_agg_platform_cell(t, f, RCL_AGG_PL_DELIVERED));
        school_cell(out, "materials_total", rcl_agg_platform_cell(t, f, RCL_AGG_PL_TOTAL));
        school_cell(out, "materials_percent", rcl_agg_platform_cell(t, f, RCL_AGG_PL_PERCENT));
        fprintf(out,
                "<td class=\"n\" data-k=\"optouts_pending\">%" PRIu64 "</td>"
                "<td class=\"n\" data-k=\"feedback\">%" PRIu64 "</td></tr>\n",
                sc->optouts_pending, sc->feedback);
    }
    fputs("</tbody>\n</table>\n", out);
}

/* ---- the page ---- */

static const char style[] =
    "<style>\n"
    "body{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;margin:1.5em;"
    "color:#222}\n"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.5em;border-bottom:1px solid #ccc}\n"
    ".en{color:#666;font-size:0.85em;font-weight:normal}\n"
    "table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:0.9em}\n"
    "th,td{border:1px solid #bbb;padding:0.25em 0.5em}\n"
    "td.n{text-align:right}td.s{color:#777;font-style:italic}\n"
    "thead th{background:#eee}tfoot td{background:#f6f6f6;font-weight:bold}\n"
    "tr.missing td{color:#a00}\n"
    ".note,.muted{color:#555}\n"
    ".cap{font-weight:bold;margin:1em 0 0.2em}\n"
    "svg.chart{display:block;margin:0.5em 0;font-size:12px}\n"
    "svg text{fill:#222}svg text.muted{fill:#777}\n"
    "rect.online{fill:#4c9f70}rect.tv{fill:#e8b04b}rect.none{fill:#c8463d}"
    "rect.measure{fill:#4a78b5}\n"
    /* On paper: A4 across (the unit tables are wide), every table within the page width,
     * headers repeated on each page, no row or chart cut in two. */
    "@media print{\n"
    "@page{size:A4 landscape;margin:12mm 10mm}\n"
    "body{margin:0;font-size:9pt}\n"
    "table{width:100%;table-layout:fixed;font-size:6.5pt}\n"
    "th,td{padding:1px 2px;word-break:break-all;overflow-wrap:anywhere}\n"
    "thead{display:table-header-group}tfoot{display:table-footer-group}\n"
    "tr,svg.chart{page-break-inside:avoid;break-inside:avoid}\n"
    "h2,p.cap{page-break-after:avoid;break-after:avoid}\n"
    "svg.chart{max-width:100%;height:auto}\n"
    "}\n"
    "</style>\n";

static void overview(FILE *out, const struct rcl_agg_report *r, const uint64_t *v)
{
    fputs("<h2>一、总体情况 <span class=\"en\">Overall situation of online learning</span></h2>\n"
          "<table>\n<tbody>\n",
          out);
    for (int k = 0; k <= I_NONE; k++) {
        fprintf(out, "<tr data-level=\"overall\"><th>%s <span class=\"en\">%s</span></th>",
                rcl_counts[k].zh, rcl_counts[k].en);
        cell(out, r, k, v[k], false);
        if (k == I_STUDENTS)
            fputs("<td></td></tr>\n", out);
        else
            fprintf(out, "<td class=\"n\">%.1f%%</td></tr>\n", share(v[k], v[I_STUDENTS]));
    }
    fprintf(out,
            "<tr data-level=\"overall\"><th>%s <span class=\"en\">%s (no conditions or "
            "absent, and no help in place)</span></th>",
            rcl_counts[I_BLIND].zh, rcl_counts[I_BLIND].en);
    cell(out, r, I_BLIND, v[I_BLIND], false);
    fprintf(out, "<td class=\"n\">%.1f%%</td></tr>\n", share(v[I_BLIND], v[I_STUDENTS]));
    for (int k = FIRST_PART; k < RCL_COUNTS_N; k++) {
        fprintf(out, "<tr data-level=\"overall\"><th>%s <span class=\"en\">%s</span></th>",
                rcl_counts[k].zh, rcl_counts[k].en);
        cell(out, r, k, v[k], false);
        fprintf(out, "<td class=\"n\">%.1f%%</td></tr>\n", share(v[k], v[I_STUDENTS]));
    }
    if (r->has_counted_twice)
        fprintf(out,
                "<tr data-level=\"overall\"><th>在本县两所及以上学校在籍（合计中重复计数） "
                "<span class=\"en\">enrolled at two schools or more (counted twice in the "
                "totals)</span></th><td class=\"n\" data-k=\"counted_twice\">%" PRIu64
                "</td><td class=\"n\">%.1f%%</td></tr>\n",
                r->counted_twice, share(r->counted_twice, v[I_STUDENTS]));
    fputs("</tbody>\n</table>\n", out);
}

/* Completeness by day, as a share of the schools expected: one bar a day. */
static void chart_series(FILE *out, const struct rcl_agg_report *r)
{
    svg_begin(out, (int)r->n_series, "每日报告进度 completeness by day");
    for (size_t i = 0; i < r->n_series; i++) {
        const struct rcl_agg_day *d = &r->series[i];
        int y = (int)i * ROW_H;
        char tip[96];

        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>", LABEL_W - 6, y + 15,
                d->day);
        snprintf(tip, sizeof(tip), "%s: %" PRIu64 " / %" PRIu64, d->day, d->reported, d->expected);
        svg_rect(out, LABEL_W, y,
                 d->expected ? BAR_W * (double)d->reported / (double)d->expected : 0, "online",
                 tip);
        fprintf(out,
                "<text x=\"%d\" y=\"%d\" data-day=\"%s\">%" PRIu64 " / %" PRIu64
                " (%.1f%%)</text>\n",
                LABEL_W + BAR_W + 8, y + 15, d->day, d->reported, d->expected,
                share(d->reported, d->expected));
    }
    fputs("</svg>\n", out);
}

/* A count of the completeness table, or an empty cell when it needs a deadline. */
static void timely_cell(FILE *out, const struct rcl_agg_report *r, const char *k, uint64_t v)
{
    if (r->deadline > 0)
        fprintf(out, "<td class=\"n\" data-k=\"%s\">%" PRIu64 "</td>", k, v);
    else
        fputs("<td class=\"s\">-</td>", out);
}

/* One unit's row of the completeness table; never_key names its never-reported cell. */
static void timely_row(FILE *out, const struct rcl_agg_report *r, const struct rcl_agg_unit *u,
                       const char *level, const char *never_key)
{
    fprintf(out, "<tr data-level=\"%s\" data-unit=\"", level);
    rcl_agg_html_escape(out, u->id);
    fprintf(out, "\"%s><td>",
            u->schools > 0 && u->missing == u->schools ? " class=\"missing\"" : "");
    rcl_agg_html_escape(out, u->id);
    fputs("</td><td>", out);
    rcl_agg_html_escape(out, u->name);
    if (u->silent)
        fputs(" (从未报送 silent)", out);
    fprintf(out,
            "</td><td class=\"n\" data-k=\"expected\">%" PRIu64 "</td>"
            "<td class=\"n\" data-k=\"reported\">%" PRIu64 "</td>",
            u->schools, u->reported);
    timely_cell(out, r, "on_time", u->on_time);
    timely_cell(out, r, "late", u->reported - u->on_time);
    fprintf(out,
            "<td class=\"n\" data-k=\"%s\">%" PRIu64 "</td>"
            "<td class=\"n\" data-k=\"stale\">%" PRIu64 "</td></tr>\n",
            never_key, u->missing, u->stale);
}

/* Expected, reported (on time and late against the deadline), never, per child and overall. */
static void completeness_section(FILE *out, const struct rcl_agg_report *r)
{
    bool county = rcl_agg_holds_students(r->cfg);
    struct rcl_agg_unit total;
    char when[48];

    fputs("<h2>六、报告完整性与及时性 <span class=\"en\">Completeness and timeliness</span></h2>\n",
          out);
    if (r->deadline > 0) {
        rcl_agg_time_local(r->deadline, when, sizeof(when));
        fprintf(out, "<p>报送截止时间 reporting deadline: <b id=\"deadline\">%s</b></p>\n", when);
    } else {
        fputs("<p class=\"note\">未设截止时间 no reporting deadline set "
              "(<code>rollcall-agg deadline --set</code>)</p>\n",
              out);
    }
    fputs("<table>\n<thead>\n<tr><th>代码<br/><span class=\"en\">code</span></th>"
          "<th>名称<br/><span class=\"en\">name</span></th>"
          "<th>应报<br/><span class=\"en\">expected</span></th>"
          "<th>已报<br/><span class=\"en\">reported</span></th>"
          "<th>按时<br/><span class=\"en\">on time</span></th>"
          "<th>逾期<br/><span class=\"en\">late</span></th>"
          "<th>未报<br/><span class=\"en\">never</span></th>"
          "<th>过期<br/><span class=\"en\">stale</span></th></tr>\n</thead>\n<tbody>\n",
          out);
    for (size_t i = 0; i < r->n_children; i++)
        timely_row(out, r, &r->children[i], "timeliness", "never");
    fputs("</tbody>\n<tfoot>\n", out);
    total_unit(r, &total);
    timely_row(out, r, &total, "completeness", "missing");
    fputs("</tfoot>\n</table>\n", out);
    if (r->silent_expected > 0)
        fprintf(out,
                "<p>其中 %" PRIu64 " 所学校所属单位从未报送 of those never reported, %" PRIu64
                " are schools of units that have sent nothing yet.</p>\n",
                r->silent_expected, r->silent_expected);
    if (!county)
        chart_completeness(out, r->children, r->n_children);
    if (r->n_series > 0)
        chart_series(out, r);
    if (r->n_missing > 0) {
        fputs("<p>从未报告的学校 never reported: <span id=\"missing\">", out);
        for (size_t i = 0; i < r->n_missing; i++) {
            if (i > 0)
                fputs(", ", out);
            rcl_agg_html_escape(out, r->missing[i].id);
            if (r->missing[i].name[0]) {
                fputs(" ", out);
                rcl_agg_html_escape(out, r->missing[i].name);
            }
        }
        fputs("</span></p>\n", out);
    }
}

void rcl_agg_report_html(const struct rcl_agg_report *r, FILE *out)
{
    const char *tier = rcl_agg_tier_names[r->cfg->tier];
    bool county = rcl_agg_holds_students(r->cfg);
    uint64_t v[RCL_COUNTS_N];
    char when[64];

    rcl_agg_counts_of(&r->totals, v);
    format_time(r->now, when, sizeof(when));
    fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>",
          out);
    fputs("在线学习情况报告 Online learning report: ", out);
    unit_label(out, r->scope_name, r->cfg->id);
    if (rcl_agg_scope_name_en(r)[0]) {
        fputc(' ', out);
        rcl_agg_html_escape(out, rcl_agg_scope_name_en(r));
    }
    fputs("</title>\n", out);
    fputs(style, out);
    fputs("</head>\n<body>\n<h1>在线学习情况报告 <span class=\"en\">Online learning report</span>"
          "</h1>\n<p class=\"note\">范围 scope: <span id=\"scope\">",
          out);
    scope_label(out, r);
    fputs("</span>", out);
    fprintf(out,
            " (%s) · 生成 generated %s · 超过 %" PRId64 " 天未同步视为过期 stale after %" PRId64
            " days",
            tier, when, r->stale_seconds / 86400, r->stale_seconds / 86400);
    if (r->suppress_below > 0)
        fprintf(out,
                " · 小于 %" PRIu64 " 的分项数不公开，合计为准确数 counts below %" PRIu64
                " are suppressed by unit; totals are exact",
                r->suppress_below, r->suppress_below);
    fputs("</p>\n", out);

    overview(out, r, v);
    chart_conditions(out, r, r->children, r->n_children,
                     county ? "各校在线学习条件 conditions by school"
                            : "各市（直管县）在线学习条件 conditions by city");

    fputs("<h2>二、缺乏在线学习条件的学生 <span class=\"en\">Students lacking the conditions"
          "</span></h2>\n",
          out);
    fprintf(out,
            "<p>不具备在线学习条件 lacking conditions: <b data-k=\"condition_none\">%" PRIu64
            "</b> (%.1f%%)；其中仍无帮扶措施或缺席（盲点） blind spots: <b "
            "data-k=\"blind_spots\">%" PRIu64 "</b>.</p>\n",
            v[I_NONE], share(v[I_NONE], v[I_STUDENTS]), v[I_BLIND]);
    chart_conditions(out, r, r->counties, r->n_counties,
                     "各县（市、区）在线学习条件 conditions by county");

    fputs("<h2>三、困难家庭学生帮扶措施 <span class=\"en\">Measures for students from families "
          "in difficulty</span></h2>\n<p class=\"cap\">特殊群体学生 students by group</p>\n"
          "<table>\n<thead>\n<tr>",
          out);
    for (int k = FIRST_GROUP; k < FIRST_PART; k++)
        th_label(out, k);
    fputs("</tr>\n</thead>\n<tbody>\n<tr data-level=\"overall\">", out);
    for (int k = FIRST_GROUP; k < FIRST_PART; k++)
        cell(out, r, k, v[k], false);
    fputs("</tr>\n</tbody>\n</table>\n", out);
    chart_counts(out, v, FIRST_MEASURE, RCL_MEASURE_KIND_COUNT,
                 "已落实的帮扶措施 measures in place");
    chart_counts(out, v, FIRST_GROUP, RCL_GROUP_COUNT, "特殊群体学生 students by group");

    fprintf(out, "<h2>四、%s <span class=\"en\">%s</span></h2>\n",
            county ? "按学校" : "按市（直管县）",
            county ? "By school" : "By city and directly administered county");
    table(out, r, r->children, r->n_children, county ? "school" : "unit");

    fputs("<h2>五、按县（市、区） <span class=\"en\">By county</span></h2>\n", out);
    table(out, r, r->counties, r->n_counties, "county");

    completeness_section(out, r);
    if (r->has_schools)
        schools_section(out, r);
    if (r->has_exchange && r->n_pairs > 0)
        exchange_section(out, r);
    fputs("</body>\n</html>\n", out);
}

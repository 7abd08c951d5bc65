/*
 * agg_dash.c - the dashboard page: figures, SVG charts and lists, from one
 * read transaction.
 */
#include "agg_dash.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg_monitor.h"
#include "agg_report.h"
#include "agg_sql.h"
#include "agg_summary.h"
#include "rcl_model.h"

#define SQL_BLIND_SPOT_CANDIDATES                                                                  \
    "SELECT s.school_id, coalesce(nullif(m.name, ''), s.school_id), s.name, s.grade, s.class,"     \
    " s.network, s.devices, s.groups, s.participation, s.measures"                                 \
    " FROM students s LEFT JOIN summaries m ON m.school_id = s.school_id"                          \
    " ORDER BY s.school_id, s.class, s.name"

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

static void format_time(int64_t t, char *out, size_t outlen)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (t <= 0 || !gmtime_r(&tt, &tm) || strftime(out, outlen, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(out, outlen, "never");
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
    bool county = d->cfg->tier == RCL_AGG_COUNTY;
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
                ": %" PRIu64 "</title></rect><text x=\"%d\" y=\"%d\" class=\"n\">%" PRIu64
                "</text>\n",
                values[i], label_w + w + 6, y + 17, values[i]);
    }
    fputs("</svg>\n", out);
}

static void write_head(struct dash *d)
{
    FILE *out = d->out;

    fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          out);
    fputs("rollcall dashboard: ", out);
    esc(out, d->cfg->id);
    fputs("</title>\n<style>\n"
          "body{font-family:\"Noto Sans CJK SC\",\"WenQuanYi Micro Hei\",\"Microsoft "
          "YaHei\",sans-serif;"
          "margin:1.2em;color:#222;background:#fff}\n"
          "h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.2em 0 .4em}\n"
          ".cards{display:flex;flex-wrap:wrap;gap:.6em}\n"
          ".card{border:1px solid #ccd;border-radius:6px;padding:.5em .9em;min-width:8em;"
          "background:#f7f8fc}\n"
          ".card .v{font-size:1.6em;font-weight:bold}.card .l{color:#555;font-size:.9em}\n"
          ".charts{display:flex;flex-wrap:wrap;gap:1.5em}\n"
          "svg.chart text{font-size:13px;fill:#222}svg.chart text.t{font-weight:bold}\n"
          "table{border-collapse:collapse;margin:.3em 0 1em}\n"
          "th,td{border:1px solid #bbb;padding:.2em .5em;text-align:left}\n"
          "td.n{text-align:right}thead th{background:#eee}\n"
          ".warn{color:#a00}.note{color:#555}\n"
          "</style>\n</head>\n<body>\n",
          out);
}

static void write_figures(struct dash *d)
{
    static const char *const cond_colours[] = {"#2e7d32", "#f9a825", "#c62828"};
    static const char *const part_colours[] = {"#2e7d32", "#f9a825", "#c62828", "#757575"};
    static const char *const school_labels[] = {"reported", "stale", "never reported"};
    static const char *const school_colours[] = {"#2e7d32", "#f9a825", "#c62828"};
    const struct rcl_totals *t = &d->totals;
    const struct rcl_agg_gauges *g = &d->g;
    FILE *out = d->out;
    uint64_t schools[3] = {d->reported - d->stale, d->stale, d->expected - d->reported};
    char when[48];

    format_time(d->now, when, sizeof(when));
    fputs("<h1>rollcall: ", out);
    esc(out, d->cfg->id);
    fprintf(out, " (%s)</h1>\n<p class=\"note\">As of %s. Read-only.</p>\n",
            rcl_agg_tier_names[d->cfg->tier], when);

    fputs("<h2>Totals</h2>\n<div class=\"cards\">\n", out);
    card(out, "total-students", "students", t->students);
    card(out, "total-online", "online", t->condition[RCL_COND_ONLINE]);
    card(out, "total-tv-only", "TV only", t->condition[RCL_COND_TV_ONLY]);
    card(out, "total-none", "no conditions", t->condition[RCL_COND_NONE]);
    card(out, "total-blind-spots", "blind spots", t->blind_spots);
    card(out, "total-absent", "absent", t->participation[RCL_PART_ABSENT]);
    fputs("</div>\n<h2>Completeness</h2>\n<div class=\"cards\">\n", out);
    card(out, "schools-expected", "schools expected", d->expected);
    card(out, "schools-reported", "reported at least once", d->reported);
    card(out, "schools-stale", "stale", d->stale);
    card(out, "schools-never", "never reported", d->expected - d->reported);
    fputs("</div>\n", out);
    fprintf(out,
            "<p class=\"note\">Stale: no sync for %" PRId64
            " days. Upstream: %s; <span id=\"upstream-pending\">%" PRIu64
            "</span> change(s) waiting, oldest %" PRId64 " s.</p>\n",
            d->stale_s / 86400, d->cfg->has_upstream ? "configured" : "none", g->pending,
            g->lag_seconds);

    fputs("<div class=\"charts\">\n", out);
    svg_bars(out, "chart-conditions", "Conditions for learning at home", rcl_condition_names,
             t->condition, cond_colours, RCL_CONDITION_COUNT);
    svg_bars(out, "chart-participation", "Participation", rcl_participation_names, t->participation,
             part_colours, RCL_PARTICIPATION_COUNT);
    svg_bars(out, "chart-schools", "Schools", school_labels, schools, school_colours, 3);
    fputs("</div>\n", out);
}

/* The schools that need a call: never reported, or stale. */
static int write_attention(struct dash *d, sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    struct rcl_summary s;
    char child[RCL_ID_MAX + 1], when[48];
    FILE *out = d->out;
    size_t shown = 0, more = 0;
    int rc, ret = -1;

    fputs("<h2>Schools stale or never reported</h2>\n", out);
    if (sqlite3_prepare_v2(db, RCL_AGG_SQL_SUMMARY_LIST, -1, &st, NULL) != SQLITE_OK)
        goto out;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        bool stale;

        rcl_agg_summary_column(st, &s, child);
        stale = s.reported && s.last_sync < d->now - d->stale_s;
        if (s.reported && !stale)
            continue;
        if (shown == RCL_AGG_DASH_LIST_MAX) {
            more++;
            continue;
        }
        if (shown++ == 0)
            fputs("<table id=\"attention\">\n<thead><tr><th>school</th><th>name</th>"
                  "<th>through</th><th>state</th><th>last sync</th></tr></thead>\n<tbody>\n",
                  out);
        format_time(s.last_sync, when, sizeof(when));
        fputs("<tr><td>", out);
        esc(out, s.school_id);
        fputs("</td><td>", out);
        esc(out, s.name);
        fputs("</td><td>", out);
        esc(out, child);
        fprintf(out, "</td><td class=\"warn\">%s</td><td>%s</td></tr>\n",
                s.reported ? "stale" : "never reported", when);
    }
    if (rc != SQLITE_DONE)
        goto out;
    if (shown == 0)
        fputs("<p id=\"attention-none\">Every school has reported recently.</p>\n", out);
    else
        fputs("</tbody>\n</table>\n", out);
    if (more > 0)
        fprintf(out, "<p class=\"note\">%zu more not shown.</p>\n", more);
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

static void write_units(struct dash *d)
{
    bool county = d->cfg->tier == RCL_AGG_COUNTY;
    FILE *out = d->out;
    char when[48];

    fprintf(out, "<h2>%s</h2>\n", county ? "Schools" : "Reporting units");
    fputs("<table id=\"units\">\n<thead><tr><th>id</th><th>name</th><th>schools</th>"
          "<th>reported</th><th>stale</th><th>students</th><th>none</th><th>absent</th>"
          "<th>blind spots</th><th>last sync</th></tr></thead>\n<tbody>\n",
          out);
    for (size_t i = 0; i < d->n_units && i < RCL_AGG_DASH_LIST_MAX; i++) {
        const struct unit *u = &d->units[i];

        format_time(u->last_sync, when, sizeof(when));
        fputs("<tr><td>", out);
        esc(out, u->id);
        fputs("</td><td>", out);
        esc(out, u->name);
        fprintf(out,
                "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
                "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
                "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
                "</td><td class=\"n\">%" PRIu64 "</td><td>%s</td></tr>\n",
                u->schools, u->reported, u->stale, u->totals.students,
                u->totals.condition[RCL_COND_NONE], u->totals.participation[RCL_PART_ABSENT],
                u->totals.blind_spots, when);
    }
    fputs("</tbody>\n</table>\n", out);
    if (d->n_units > RCL_AGG_DASH_LIST_MAX)
        fprintf(out, "<p class=\"note\">%zu more not shown.</p>\n",
                d->n_units - RCL_AGG_DASH_LIST_MAX);
}

/* County only: every student who is a blind spot, by school and class. */
static int write_blind_spots(struct dash *d, sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    struct rcl_student s;
    char bad[64];
    FILE *out = d->out;
    size_t shown = 0, more = 0;
    int rc, ret = -1;

    fputs("<h2>Blind spots</h2>\n", out);
    if (d->cfg->tier != RCL_AGG_COUNTY) {
        fputs("<p class=\"note\">The counties hold the student lists; their dashboards name the "
              "students.</p>\n",
              out);
        return 0;
    }
    fputs("<p class=\"note\">Students without conditions for learning at home, or absent, "
          "with no measure in place.</p>\n",
          out);
    if (sqlite3_prepare_v2(db, SQL_BLIND_SPOT_CANDIDATES, -1, &st, NULL) != SQLITE_OK)
        goto out;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *measures = sqlite3_column_text(st, 9);
        const char *school = (const char *)sqlite3_column_text(st, 0);
        const char *school_name = (const char *)sqlite3_column_text(st, 1);
        const char *name = (const char *)sqlite3_column_text(st, 2);
        const char *class_name = (const char *)sqlite3_column_text(st, 4);
        bool no_conditions, absent;

        memset(&s, 0, sizeof(s));
        s.network = (uint32_t)sqlite3_column_int64(st, 5);
        s.devices = (uint32_t)sqlite3_column_int64(st, 6);
        s.groups = (uint32_t)sqlite3_column_int64(st, 7);
        s.participation = (unsigned)sqlite3_column_int(st, 8);
        if (s.participation >= RCL_PARTICIPATION_COUNT)
            s.participation = RCL_PART_ACTIVE;
        /* As the summaries count them: unreadable measures count as none. */
        if (rcl_measures_parse(measures ? (const char *)measures : "", s.measures, &s.n_measures,
                               bad, sizeof(bad)) != 0)
            s.n_measures = 0;
        if (!rcl_student_is_blind_spot(&s))
            continue;
        if (shown == RCL_AGG_DASH_LIST_MAX) {
            more++;
            continue;
        }
        if (shown++ == 0)
            fputs("<table id=\"blind-spots\">\n<thead><tr><th>school</th><th>class</th>"
                  "<th>grade</th><th>name</th><th>why</th><th>groups</th></tr></thead>\n"
                  "<tbody>\n",
                  out);
        no_conditions = rcl_student_condition(&s) == RCL_COND_NONE;
        absent = s.participation == RCL_PART_ABSENT;
        fputs("<tr><td>", out);
        esc(out, school_name ? school_name : (school ? school : ""));
        fputs("</td><td>", out);
        esc(out, class_name ? class_name : "");
        fprintf(out, "</td><td class=\"n\">%d</td><td class=\"name\">", sqlite3_column_int(st, 3));
        esc(out, name ? name : "");
        fprintf(out, "</td><td>%s%s%s</td><td>", no_conditions ? "no conditions" : "",
                no_conditions && absent ? ", " : "", absent ? "absent" : "");
        for (int k = 0, first = 1; k < RCL_GROUP_COUNT; k++) {
            if (!(s.groups & RCL_BIT(k)))
                continue;
            fputs(first ? "" : ", ", out);
            esc(out, rcl_group_names[k]);
            first = 0;
        }
        fputs("</td></tr>\n", out);
    }
    if (rc != SQLITE_DONE)
        goto out;
    if (shown == 0)
        fputs("<p id=\"blind-spots-none\">No blind spots.</p>\n", out);
    else
        fputs("</tbody>\n</table>\n", out);
    if (more > 0)
        fprintf(out, "<p class=\"note\">%zu more not shown.</p>\n", more);
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
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
    /* The upstream figures take their own read transaction; the rest shares one. */
    if (rcl_agg_gauges_read(db, cfg, now, &d.g, err, errlen) != 0)
        return -1;
    if (sqlite3_exec(db, "BEGIN DEFERRED", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    in_tx = true;
    if (load_units(db, &d) != 0)
        goto fail;
    if (cfg->tier != RCL_AGG_COUNTY && rcl_agg_source_each(db, source_name, &d) != 0)
        goto fail;
    write_head(&d);
    write_figures(&d);
    if (write_attention(&d, db) != 0)
        goto fail;
    write_units(&d);
    if (write_blind_spots(&d, db) != 0)
        goto fail;
    fputs("</body>\n</html>\n", out);
    ret = ferror(out) ? -1 : 0;
    if (ret != 0)
        snprintf(err, errlen, "writing the page failed");
    goto out;
fail:
    snprintf(err, errlen, "reading the store failed: %s", sqlite3_errmsg(db));
out:
    if (in_tx)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    free(d.units);
    return ret;
}

/*
 * agg_report.c - reading the summaries into children, totals and completeness,
 * and writing them as JSON, CSV or HTML.
 */
#include "agg_report.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg_sql.h"
#include "rcl_db.h"
#include "rcl_json.h"
#include "rcl_log.h"
#include "agg_summary.h"

/* A unit reporting directly to this aggregator, and the schools counted through it. */
struct child {
    char id[RCL_ID_MAX + 1];
    char name[RCL_NAME_MAX + 1];
    bool is_source; /* enrolled here (a school at a county, an aggregator above) */
    bool revoked;
    uint64_t schools, reported, stale, missing;
    int64_t last_sync; /* a school's last sync; an aggregator's last batch here */
    struct rcl_totals totals;
};

struct report {
    const struct rcl_agg_config *cfg;
    int64_t now, stale_seconds;
    struct rcl_totals totals;
    uint64_t expected, reported, stale;
    struct child *children;
    size_t n_children, cap_children;
    char (*missing)[RCL_ID_MAX + 1];
    size_t n_missing, cap_missing;
    struct rcl_agg_source *sources; /* sorted by id */
    size_t n_sources, cap_sources;
};

int rcl_agg_report_format_parse(const char *word, enum rcl_agg_report_format *out)
{
    static const char *const names[] = {"json", "csv", "html"};

    for (int i = 0; i < 3; i++) {
        if (strcmp(word, names[i]) == 0) {
            *out = (enum rcl_agg_report_format)i;
            return 0;
        }
    }
    return -1;
}

/* Grows *arr (of *cap elements of size) to hold at least need. 0, or -1 out of memory. */
static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
    size_t ncap = *cap ? *cap : 16;
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

static int collect_source(void *arg, const struct rcl_agg_source *s)
{
    struct report *r = arg;

    if (grow((void **)&r->sources, &r->cap_sources, r->n_sources + 1, sizeof(*r->sources)) != 0)
        return -1;
    r->sources[r->n_sources++] = *s;
    return 0;
}

static int cmp_source(const void *key, const void *elem)
{
    return strcmp(key, ((const struct rcl_agg_source *)elem)->id);
}

static const struct rcl_agg_source *find_source(const struct report *r, const char *id)
{
    if (r->n_sources == 0)
        return NULL;
    return bsearch(id, r->sources, r->n_sources, sizeof(*r->sources), cmp_source);
}

static struct child *add_child(struct report *r, const char *id)
{
    struct child *c;

    if (grow((void **)&r->children, &r->cap_children, r->n_children + 1, sizeof(*r->children)) != 0)
        return NULL;
    c = &r->children[r->n_children++];
    memset(c, 0, sizeof(*c));
    snprintf(c->id, sizeof(c->id), "%s", id);
    return c;
}

/* Summaries come ordered by child, so the child wanted is almost always the last one. */
static struct child *find_child(struct report *r, const char *id)
{
    for (size_t i = r->n_children; i > 0; i--) {
        if (strcmp(r->children[i - 1].id, id) == 0)
            return &r->children[i - 1];
    }
    return NULL;
}

/* Adds one school's summary to the report, counted through child. */
static int add_summary(struct report *r, const struct rcl_summary *s, const char *child_id)
{
    bool county = r->cfg->tier == RCL_AGG_COUNTY;
    const char *unit = county ? s->school_id : child_id;
    struct child *c = county ? NULL : find_child(r, unit);
    bool stale = s->reported && s->last_sync < r->now - r->stale_seconds;

    if (!c) {
        const struct rcl_agg_source *src = find_source(r, unit);

        c = add_child(r, unit);
        if (!c)
            return -1;
        if (src) {
            c->is_source = true;
            c->revoked = src->revoked;
            snprintf(c->name, sizeof(c->name), "%s", src->name);
            c->last_sync = county ? 0 : src->last_batch_at;
        }
        if (county && s->name[0])
            snprintf(c->name, sizeof(c->name), "%s", s->name);
    }
    if (county)
        c->last_sync = s->last_sync;
    c->schools++;
    r->expected++;
    rcl_totals_add(&c->totals, &s->totals);
    rcl_totals_add(&r->totals, &s->totals);
    if (s->reported) {
        c->reported++;
        r->reported++;
    } else {
        c->missing++;
        if (grow((void **)&r->missing, &r->cap_missing, r->n_missing + 1, sizeof(*r->missing)) != 0)
            return -1;
        snprintf(r->missing[r->n_missing++], RCL_ID_MAX + 1, "%s", s->school_id);
    }
    if (stale) {
        c->stale++;
        r->stale++;
    }
    return 0;
}

static int cmp_child(const void *a, const void *b)
{
    return strcmp(((const struct child *)a)->id, ((const struct child *)b)->id);
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void report_free(struct report *r)
{
    free(r->children);
    free(r->missing);
    free(r->sources);
}

/* Reads everything the report shows, inside one read transaction. */
static int report_load(sqlite3 *db, struct report *r, char *err, size_t errlen)
{
    int ret = -1, rc;
    sqlite3_stmt *st = NULL;
    struct rcl_summary s;
    char child[RCL_ID_MAX + 1];
    bool in_tx = false;

    if (sqlite3_exec(db, "BEGIN DEFERRED", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    in_tx = true;
    if (rcl_agg_source_each(db, collect_source, r) != 0)
        goto fail;
    /* Every enrolled aggregator is a child above county level, even one that never synced. */
    if (r->cfg->tier != RCL_AGG_COUNTY) {
        for (size_t i = 0; i < r->n_sources; i++) {
            struct child *c = add_child(r, r->sources[i].id);

            if (!c)
                goto fail;
            c->is_source = true;
            c->revoked = r->sources[i].revoked;
            c->last_sync = r->sources[i].last_batch_at;
            snprintf(c->name, sizeof(c->name), "%s", r->sources[i].name);
        }
    }
    st = rcl_db_prepare(db, RCL_AGG_SQL_SUMMARY_LIST);
    if (!st)
        goto fail;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rcl_agg_summary_column(st, &s, child);
        if (add_summary(r, &s, child) != 0)
            goto fail;
    }
    if (rc != SQLITE_DONE)
        goto fail;
    if (r->n_children > 1)
        qsort(r->children, r->n_children, sizeof(*r->children), cmp_child);
    if (r->n_missing > 1)
        qsort(r->missing, r->n_missing, sizeof(*r->missing), cmp_id);
    ret = 0;
    goto out;
fail:
    snprintf(err, errlen, "reading the store failed: %s", sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    if (in_tx)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

/* ---- JSON ---- */

static void write_json(const struct report *r, FILE *out)
{
    struct rcl_json j;

    rcl_json_init(&j, out);
    rcl_json_object_begin(&j);
    rcl_json_key(&j, "scope");
    rcl_json_string(&j, r->cfg->id);
    rcl_json_key(&j, "tier");
    rcl_json_string(&j, rcl_agg_tier_names[r->cfg->tier]);
    rcl_json_key(&j, "generated_at");
    rcl_json_int(&j, r->now);
    rcl_json_key(&j, "totals");
    rcl_json_totals(&j, &r->totals);

    rcl_json_key(&j, "children");
    rcl_json_array_begin(&j);
    for (size_t i = 0; i < r->n_children; i++) {
        const struct child *c = &r->children[i];

        rcl_json_object_begin(&j);
        rcl_json_key(&j, "id");
        rcl_json_string(&j, c->id);
        rcl_json_key(&j, "name");
        rcl_json_string(&j, c->name);
        rcl_json_key(&j, "schools");
        rcl_json_uint(&j, c->schools);
        rcl_json_key(&j, "reported");
        rcl_json_uint(&j, c->reported);
        rcl_json_key(&j, "stale");
        rcl_json_uint(&j, c->stale);
        rcl_json_key(&j, "missing");
        rcl_json_uint(&j, c->missing);
        rcl_json_key(&j, "last_sync");
        rcl_json_int(&j, c->last_sync);
        rcl_json_key(&j, "enrolled");
        rcl_json_bool(&j, c->is_source);
        rcl_json_key(&j, "revoked");
        rcl_json_bool(&j, c->revoked);
        rcl_json_key(&j, "totals");
        rcl_json_totals(&j, &c->totals);
        rcl_json_object_end(&j);
    }
    rcl_json_array_end(&j);

    rcl_json_key(&j, "completeness");
    rcl_json_object_begin(&j);
    rcl_json_key(&j, "expected");
    rcl_json_uint(&j, r->expected);
    rcl_json_key(&j, "reported");
    rcl_json_uint(&j, r->reported);
    rcl_json_key(&j, "stale");
    rcl_json_uint(&j, r->stale);
    rcl_json_key(&j, "missing");
    rcl_json_array_begin(&j);
    for (size_t i = 0; i < r->n_missing; i++)
        rcl_json_string(&j, r->missing[i]);
    rcl_json_array_end(&j);
    rcl_json_key(&j, "stale_seconds");
    rcl_json_int(&j, r->stale_seconds);
    rcl_json_object_end(&j);
    rcl_json_object_end(&j);
    fputc('\n', out);
}

/* ---- CSV ---- */

static void write_csv(const struct report *r, FILE *out)
{
    /* The byte order mark tells Excel the file is UTF-8 (names are Chinese). */
    fputs("\xEF\xBB\xBF", out);
    fputs("id,name,schools,reported,", out);
    rcl_csv_totals_header(out);
    for (size_t i = 0; i < r->n_children; i++) {
        const struct child *c = &r->children[i];

        rcl_csv_field(out, c->id);
        fputc(',', out);
        rcl_csv_field(out, c->name);
        fprintf(out, ",%" PRIu64 ",%" PRIu64 ",", c->schools, c->reported);
        rcl_csv_totals_row(out, &c->totals);
    }
    fputs("total,", out);
    rcl_csv_field(out, r->cfg->id);
    fprintf(out, ",%" PRIu64 ",%" PRIu64 ",", r->expected, r->reported);
    rcl_csv_totals_row(out, &r->totals);
}

/* ---- HTML ---- */

void rcl_agg_html_escape(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

static void format_time(int64_t t, char *out, size_t outlen)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (t <= 0 || !gmtime_r(&tt, &tm) || strftime(out, outlen, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(out, outlen, "never");
}

/* One cell per count, as <tag class="n">. */
static void html_counts(FILE *out, const struct rcl_totals *t, const char *tag)
{
    fprintf(out, "<%s class=\"n\">%" PRIu64 "</%s>", tag, t->students, tag);
    for (int k = 0; k < RCL_CONDITION_COUNT; k++)
        fprintf(out, "<%s class=\"n\">%" PRIu64 "</%s>", tag, t->condition[k], tag);
    fprintf(out, "<%s class=\"n\">%" PRIu64 "</%s>", tag, t->blind_spots, tag);
    for (int k = 0; k < RCL_GROUP_COUNT; k++)
        fprintf(out, "<%s class=\"n\">%" PRIu64 "</%s>", tag, t->groups[k], tag);
    for (int k = 0; k < RCL_MEASURE_KIND_COUNT; k++)
        fprintf(out, "<%s class=\"n\">%" PRIu64 "</%s>", tag, t->measures[k], tag);
    for (int k = 0; k < RCL_PARTICIPATION_COUNT; k++)
        fprintf(out, "<%s class=\"n\">%" PRIu64 "</%s>", tag, t->participation[k], tag);
}

static void html_names(FILE *out, const char *const *names, int n)
{
    for (int k = 0; k < n; k++) {
        fputs("<th>", out);
        rcl_agg_html_escape(out, names[k]);
        fputs("</th>", out);
    }
}

static void write_html(const struct report *r, FILE *out)
{
    const char *tier = rcl_agg_tier_names[r->cfg->tier];
    bool county = r->cfg->tier == RCL_AGG_COUNTY;
    char when[64];

    format_time(r->now, when, sizeof(when));
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", out);
    fputs("rollcall report: ", out);
    rcl_agg_html_escape(out, r->cfg->id);
    fprintf(out, " (%s)</title>\n", tier);
    fputs("<style>\n"
          "body{font-family:sans-serif;margin:1.5em;color:#222}\n"
          "table{border-collapse:collapse;margin:0.5em 0 1.5em}\n"
          "th,td{border:1px solid #bbb;padding:0.25em 0.5em}\n"
          "td.n,tfoot th.n{text-align:right}\n"
          "thead th{background:#eee}\n"
          "tfoot th{background:#f6f6f6}\n"
          "tr.missing td{color:#a00}\n"
          ".note{color:#555}\n"
          "</style>\n</head>\n<body>\n",
          out);
    fputs("<h1>rollcall report: ", out);
    rcl_agg_html_escape(out, r->cfg->id);
    fprintf(out, " (%s)</h1>\n<p class=\"note\">Generated %s.</p>\n", tier, when);

    fputs("<h2>Completeness</h2>\n<table>\n", out);
    fprintf(out, "<tr><th>schools expected</th><td class=\"n\">%" PRIu64 "</td></tr>\n",
            r->expected);
    fprintf(out, "<tr><th>reported at least once</th><td class=\"n\">%" PRIu64 "</td></tr>\n",
            r->reported);
    fprintf(out,
            "<tr><th>stale (no sync for %" PRId64 " days)</th><td class=\"n\">%" PRIu64
            "</td></tr>\n",
            r->stale_seconds / 86400, r->stale);
    fprintf(out, "<tr><th>never reported</th><td class=\"n\">%zu</td></tr>\n</table>\n",
            r->n_missing);
    if (r->n_missing > 0) {
        fputs("<p>Never reported: ", out);
        for (size_t i = 0; i < r->n_missing; i++) {
            if (i > 0)
                fputs(", ", out);
            rcl_agg_html_escape(out, r->missing[i]);
        }
        fputs("</p>\n", out);
    }

    fprintf(out, "<h2>%s</h2>\n<table>\n<thead>\n<tr>", county ? "Schools" : "Reporting units");
    fprintf(out,
            "<th rowspan=\"2\">id</th><th rowspan=\"2\">name</th><th rowspan=\"2\">schools</th>"
            "<th rowspan=\"2\">reported</th><th rowspan=\"2\">last sync</th>"
            "<th rowspan=\"2\">students</th><th colspan=\"%d\">condition</th>"
            "<th rowspan=\"2\">blind spots</th><th colspan=\"%d\">groups</th>"
            "<th colspan=\"%d\">measures in place</th><th colspan=\"%d\">participation</th>"
            "</tr>\n<tr>",
            RCL_CONDITION_COUNT, RCL_GROUP_COUNT, RCL_MEASURE_KIND_COUNT, RCL_PARTICIPATION_COUNT);
    html_names(out, rcl_condition_names, RCL_CONDITION_COUNT);
    html_names(out, rcl_group_names, RCL_GROUP_COUNT);
    html_names(out, rcl_measure_kind_names, RCL_MEASURE_KIND_COUNT);
    html_names(out, rcl_participation_names, RCL_PARTICIPATION_COUNT);
    fputs("</tr>\n</thead>\n<tbody>\n", out);
    for (size_t i = 0; i < r->n_children; i++) {
        const struct child *c = &r->children[i];

        format_time(c->last_sync, when, sizeof(when));
        fprintf(out, "<tr%s><td>", c->missing == c->schools ? " class=\"missing\"" : "");
        rcl_agg_html_escape(out, c->id);
        fputs("</td><td>", out);
        rcl_agg_html_escape(out, c->name);
        if (c->revoked)
            fputs(" (revoked)", out);
        fprintf(out,
                "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td><td>%s</td>",
                c->schools, c->reported, when);
        html_counts(out, &c->totals, "td");
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n<tfoot>\n<tr><th>total</th><th>", out);
    rcl_agg_html_escape(out, r->cfg->id);
    fprintf(out, "</th><th class=\"n\">%" PRIu64 "</th><th class=\"n\">%" PRIu64 "</th><th></th>",
            r->expected, r->reported);
    html_counts(out, &r->totals, "th");
    fputs("</tr>\n</tfoot>\n</table>\n</body>\n</html>\n", out);
}

int rcl_agg_report_write(sqlite3 *db, const struct rcl_agg_config *cfg,
                         const struct rcl_agg_report_options *opt, FILE *out, char *err,
                         size_t errlen)
{
    struct report r;
    int ret = -1;

    memset(&r, 0, sizeof(r));
    r.cfg = cfg;
    r.now = opt->now ? opt->now : (int64_t)time(NULL);
    r.stale_seconds = opt->stale_seconds > 0 ? opt->stale_seconds : cfg->stale_seconds;
    if (r.stale_seconds <= 0)
        r.stale_seconds = RCL_AGG_STALE_DEFAULT;
    if (report_load(db, &r, err, errlen) != 0)
        goto out;
    switch (opt->format) {
    case RCL_AGG_REPORT_JSON:
        write_json(&r, out);
        break;
    case RCL_AGG_REPORT_CSV:
        write_csv(&r, out);
        break;
    case RCL_AGG_REPORT_HTML:
        write_html(&r, out);
        break;
    }
    if (fflush(out) != 0 || ferror(out)) {
        snprintf(err, errlen, "writing the report failed");
        goto out;
    }
    ret = 0;
out:
    report_free(&r);
    return ret;
}

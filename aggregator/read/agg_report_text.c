/*
 * agg_report_text.c - the report as JSON (the contract of DESIGN.md,
 * extended with counties) and as CSV for Excel.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agg_report_data.h"
#include "agg_tier.h"
#include "rcl_json.h"

/* ---- JSON ---- */

/* The totals object of rcl_json_totals, with suppression when asked. */
static void json_totals(struct rcl_json *j, const struct rcl_agg_report *r,
                        const struct rcl_totals *t, bool suppress)
{
    rcl_json_totals_suppressed(j, t, suppress ? r->suppress_below : 0);
}

/* On time and late, when the report has a deadline; null otherwise. */
static void json_timeliness(struct rcl_json *j, const struct rcl_agg_report *r, uint64_t reported,
                            uint64_t on_time)
{
    rcl_json_key(j, "on_time");
    if (r->deadline > 0)
        rcl_json_uint(j, on_time);
    else
        rcl_json_null(j);
    rcl_json_key(j, "late");
    if (r->deadline > 0)
        rcl_json_uint(j, reported - on_time);
    else
        rcl_json_null(j);
}

static void json_completeness(struct rcl_json *j, const struct rcl_agg_unit *u)
{
    rcl_json_key(j, "schools");
    rcl_json_uint(j, u->schools);
    rcl_json_key(j, "reported");
    rcl_json_uint(j, u->reported);
    rcl_json_key(j, "stale");
    rcl_json_uint(j, u->stale);
    rcl_json_key(j, "missing");
    rcl_json_uint(j, u->missing);
}

/* A number cell of the platforms list as a JSON number, or null when empty. */
static void json_cell_uint(struct rcl_json *j, const char *key, const char *cell)
{
    rcl_json_key(j, key);
    if (cell[0])
        rcl_json_uint(j, strtoull(cell, NULL, 10));
    else
        rcl_json_null(j);
}

/* Key, then the text of column col of the platforms table's row as a JSON string. */
static void json_cell(struct rcl_json *j, const char *key, const struct rcl_agg_table *t,
                      size_t row, int col)
{
    rcl_json_key(j, key);
    rcl_json_string(j, rcl_agg_platform_cell(t, row, col));
}

/* At a county: "schools", each school's platforms, materials, pending opt-outs, feedback. */
static void json_schools(struct rcl_json *j, const struct rcl_agg_report *r)
{
    const struct rcl_agg_table *t = &r->platforms;

    rcl_json_key(j, "schools");
    rcl_json_array_begin(j);
    for (size_t i = 0; i < r->n_schools; i++) {
        const struct rcl_agg_school *sc = &r->schools[i];
        size_t f = sc->first;

        rcl_json_object_begin(j);
        json_cell(j, "id", t, f, RCL_AGG_PL_ID);
        json_cell(j, "name", t, f, RCL_AGG_PL_NAME);
        json_cell(j, "profile", t, f, RCL_AGG_PL_PROFILE);
        rcl_json_key(j, "platforms");
        rcl_json_array_begin(j);
        for (size_t k = f; k < f + sc->n_rows; k++) {
            if (!rcl_agg_platform_cell(t, k, RCL_AGG_PL_PLATFORM)[0])
                continue;
            rcl_json_object_begin(j);
            json_cell(j, "name", t, k, RCL_AGG_PL_PLATFORM);
            json_cell(j, "kind", t, k, RCL_AGG_PL_KIND);
            json_cell(j, "classes", t, k, RCL_AGG_PL_CLASSES);
            rcl_json_object_end(j);
        }
        rcl_json_array_end(j);
        json_cell_uint(j, "materials_delivered", rcl_agg_platform_cell(t, f, RCL_AGG_PL_DELIVERED));
        json_cell_uint(j, "materials_total", rcl_agg_platform_cell(t, f, RCL_AGG_PL_TOTAL));
        json_cell_uint(j, "materials_percent", rcl_agg_platform_cell(t, f, RCL_AGG_PL_PERCENT));
        rcl_json_key(j, "optouts_pending");
        rcl_json_uint(j, sc->optouts_pending);
        rcl_json_key(j, "feedback");
        rcl_json_uint(j, sc->feedback);
        rcl_json_object_end(j);
    }
    rcl_json_array_end(j);
}

/* The scope the report is of, its totals, and at a county the students counted twice. */
static void json_scope(struct rcl_json *j, const struct rcl_agg_report *r)
{
    rcl_json_key(j, "scope");
    rcl_json_string(j, r->cfg->id);
    rcl_json_key(j, "tier");
    rcl_json_string(j, rcl_agg_tier_names[r->cfg->tier]);
    rcl_json_key(j, "generated_at");
    rcl_json_int(j, r->now);
    rcl_json_key(j, "scope_name");
    rcl_json_string(j, r->scope_name);
    rcl_json_key(j, "suppress_below");
    rcl_json_uint(j, r->suppress_below);
    rcl_json_key(j, "totals");
    rcl_json_totals(j, &r->totals);
    if (r->has_counted_twice) {
        rcl_json_key(j, "counted_twice");
        rcl_json_uint(j, r->counted_twice);
    }
}

/* "children": each unit reporting directly here, with its completeness and totals. */
static void json_children(struct rcl_json *j, const struct rcl_agg_report *r)
{
    rcl_json_key(j, "children");
    rcl_json_array_begin(j);
    for (size_t i = 0; i < r->n_children; i++) {
        const struct rcl_agg_unit *c = &r->children[i];

        rcl_json_object_begin(j);
        rcl_json_key(j, "id");
        rcl_json_string(j, c->id);
        rcl_json_key(j, "name");
        rcl_json_string(j, c->name);
        json_completeness(j, c);
        rcl_json_key(j, "last_sync");
        rcl_json_int(j, c->last_sync);
        rcl_json_key(j, "enrolled");
        rcl_json_bool(j, c->is_source);
        rcl_json_key(j, "revoked");
        rcl_json_bool(j, c->revoked);
        rcl_json_key(j, "totals");
        json_totals(j, r, &c->totals, true);
        json_timeliness(j, r, c->reported, c->on_time);
        rcl_json_key(j, "silent");
        rcl_json_bool(j, c->silent);
        rcl_json_object_end(j);
    }
    rcl_json_array_end(j);
}

/* "counties": each county code as counted through one child (via), with its city. */
static void json_counties(struct rcl_json *j, const struct rcl_agg_report *r)
{
    rcl_json_key(j, "counties");
    rcl_json_array_begin(j);
    for (size_t i = 0; i < r->n_counties; i++) {
        const struct rcl_agg_unit *k = &r->counties[i];

        rcl_json_object_begin(j);
        rcl_json_key(j, "code");
        rcl_json_string(j, k->id);
        rcl_json_key(j, "name");
        rcl_json_string(j, k->name);
        rcl_json_key(j, "city_code");
        rcl_json_string(j, k->city_code);
        rcl_json_key(j, "city_name");
        rcl_json_string(j, k->city_name);
        rcl_json_key(j, "via");
        rcl_json_string(j, k->via);
        json_completeness(j, k);
        rcl_json_key(j, "totals");
        json_totals(j, r, &k->totals, true);
        json_timeliness(j, r, k->reported, k->on_time);
        rcl_json_object_end(j);
    }
    rcl_json_array_end(j);
}

/* Above a county, "exchange": the digests each pair of counties shares (agg_exchange.h). */
static void json_exchange(struct rcl_json *j, const struct rcl_agg_report *r)
{
    rcl_json_key(j, "exchange");
    rcl_json_array_begin(j);
    for (size_t i = 0; i < r->n_pairs; i++) {
        rcl_json_object_begin(j);
        rcl_json_key(j, "a");
        rcl_json_string(j, r->pairs[i].a);
        rcl_json_key(j, "b");
        rcl_json_string(j, r->pairs[i].b);
        rcl_json_key(j, "shared");
        rcl_json_uint(j, r->pairs[i].shared);
        rcl_json_object_end(j);
    }
    rcl_json_array_end(j);
}

/* "never_reported": each school never reported, by id and name. */
static void json_never_reported(struct rcl_json *j, const struct rcl_agg_report *r)
{
    rcl_json_key(j, "never_reported");
    rcl_json_array_begin(j);
    for (size_t i = 0; i < r->n_missing; i++) {
        rcl_json_object_begin(j);
        rcl_json_key(j, "id");
        rcl_json_string(j, r->missing[i].id);
        rcl_json_key(j, "name");
        rcl_json_string(j, r->missing[i].name);
        rcl_json_object_end(j);
    }
    rcl_json_array_end(j);
}

/* "silent": each enrolled aggregator that has sent nothing, and the schools expected of it. */
static void json_silent(struct rcl_json *j, const struct rcl_agg_report *r)
{
    rcl_json_key(j, "silent");
    rcl_json_array_begin(j);
    for (size_t i = 0; i < r->n_children; i++) {
        const struct rcl_agg_unit *c = &r->children[i];

        if (!c->silent)
            continue;
        rcl_json_object_begin(j);
        rcl_json_key(j, "id");
        rcl_json_string(j, c->id);
        rcl_json_key(j, "name");
        rcl_json_string(j, c->name);
        rcl_json_key(j, "expected");
        rcl_json_uint(j, c->schools);
        rcl_json_object_end(j);
    }
    rcl_json_array_end(j);
}

/* "deadline" and "deadline_local", both null without a deadline. */
static void json_deadline(struct rcl_json *j, const struct rcl_agg_report *r)
{
    rcl_json_key(j, "deadline");
    if (r->deadline > 0)
        rcl_json_int(j, r->deadline);
    else
        rcl_json_null(j);
    rcl_json_key(j, "deadline_local");
    if (r->deadline > 0) {
        char when[48];

        rcl_agg_time_local(r->deadline, when, sizeof(when));
        rcl_json_string(j, when);
    } else {
        rcl_json_null(j);
    }
}

/* "series": completeness by day (agg_timeliness.h), oldest first. */
static void json_series(struct rcl_json *j, const struct rcl_agg_report *r)
{
    rcl_json_key(j, "series");
    rcl_json_array_begin(j);
    for (size_t i = 0; i < r->n_series; i++) {
        rcl_json_object_begin(j);
        rcl_json_key(j, "day");
        rcl_json_string(j, r->series[i].day);
        rcl_json_key(j, "expected");
        rcl_json_uint(j, r->series[i].expected);
        rcl_json_key(j, "reported");
        rcl_json_uint(j, r->series[i].reported);
        rcl_json_object_end(j);
    }
    rcl_json_array_end(j);
}

/* Beside completeness, whose keys are a contract of their own. */
static void json_timeliness_section(struct rcl_json *j, const struct rcl_agg_report *r)
{
    rcl_json_key(j, "timeliness");
    rcl_json_object_begin(j);
    rcl_json_key(j, "expected");
    rcl_json_uint(j, r->expected);
    rcl_json_key(j, "reported");
    rcl_json_uint(j, r->reported);
    json_never_reported(j, r);
    rcl_json_key(j, "never");
    rcl_json_uint(j, r->expected - r->reported);
    json_silent(j, r);
    json_deadline(j, r);
    json_timeliness(j, r, r->reported, r->on_time);
    json_series(j, r);
    rcl_json_object_end(j);
}

static void json_completeness_section(struct rcl_json *j, const struct rcl_agg_report *r)
{
    rcl_json_key(j, "completeness");
    rcl_json_object_begin(j);
    rcl_json_key(j, "expected");
    rcl_json_uint(j, r->expected);
    rcl_json_key(j, "reported");
    rcl_json_uint(j, r->reported);
    rcl_json_key(j, "stale");
    rcl_json_uint(j, r->stale);
    rcl_json_key(j, "missing");
    rcl_json_array_begin(j);
    for (size_t i = 0; i < r->n_missing; i++)
        rcl_json_string(j, r->missing[i].id);
    rcl_json_array_end(j);
    rcl_json_key(j, "stale_seconds");
    rcl_json_int(j, r->stale_seconds);
    rcl_json_object_end(j);
}

void rcl_agg_report_json(const struct rcl_agg_report *r, FILE *out)
{
    struct rcl_json j;

    rcl_json_init(&j, out);
    rcl_json_object_begin(&j);
    json_scope(&j, r);
    json_children(&j, r);
    json_counties(&j, r);
    if (r->has_schools)
        json_schools(&j, r);
    if (r->has_exchange)
        json_exchange(&j, r);
    json_timeliness_section(&j, r);
    json_completeness_section(&j, r);
    rcl_json_object_end(&j);
    fputc('\n', out);
}

/* ---- CSV ---- */

/* Lines end in CRLF, as RFC 4180 and Excel expect. */
#define CSV_EOL "\r\n"

/* The counts, then on_time and late when the report has a deadline, ending the line. */
static void csv_counts(FILE *out, const struct rcl_agg_report *r, const struct rcl_agg_unit *u,
                       bool suppress)
{
    uint64_t v[RCL_COUNTS_N];

    rcl_agg_counts_of(&u->totals, v);
    for (int i = 0; i < RCL_COUNTS_N; i++) {
        if (suppress && rcl_agg_suppressed(r, v[i]))
            fprintf(out, ",<%" PRIu64, r->suppress_below);
        else
            fprintf(out, ",%" PRIu64, v[i]);
    }
    if (r->deadline > 0)
        fprintf(out, ",%" PRIu64 ",%" PRIu64, u->on_time, u->reported - u->on_time);
    /* counted_twice is the county's alone: empty in the rows of its schools. */
    if (r->has_counted_twice && !suppress)
        fprintf(out, ",%" PRIu64, r->counted_twice);
    else if (r->has_counted_twice)
        fputc(',', out);
    fputs(CSV_EOL, out);
}

static void csv_unit(FILE *out, const struct rcl_agg_report *r, const struct rcl_agg_unit *u,
                     const char *level)
{
    rcl_csv_field(out, u->id);
    fputc(',', out);
    rcl_csv_field(out, u->name);
    fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s,", u->schools, u->reported,
            u->stale, u->missing, level);
    rcl_csv_field(out, u->via);
    fputc(',', out);
    rcl_csv_field(out, u->city_code);
    fputc(',', out);
    rcl_csv_field(out, u->city_name);
    csv_counts(out, r, u, true);
}

/* Room for every platform of a school as the codec bounds them, written "name (kind: classes)". */
#define CSV_PLATFORMS_MAX (RCL_PLATFORMS_MAX * (RCL_PLATFORM_MAX + RCL_CLASSES_MAX + 32))

/*
 * At a county, report --per-school FILE: a table of each school's platforms,
 * materials, pending opt-outs and feedback, as the JSON's "schools" and the
 * page's section 七. A file of its own, so the report's CSV stays one table.
 */
void rcl_agg_report_csv_schools(const struct rcl_agg_report *r, FILE *out)
{
    const struct rcl_agg_table *t = &r->platforms;
    char platforms[CSV_PLATFORMS_MAX];

    fputs("\xEF\xBB\xBF", out);
    fputs("id,name,profile,platforms,materials_delivered,materials_total,"
          "materials_percent,optouts_pending,feedback" CSV_EOL,
          out);
    for (size_t i = 0; i < r->n_schools; i++) {
        const struct rcl_agg_school *sc = &r->schools[i];
        size_t f = sc->first, len = 0;

        platforms[0] = '\0';
        for (size_t k = f; k < f + sc->n_rows && len < sizeof(platforms); k++) {
            const char *name = rcl_agg_platform_cell(t, k, RCL_AGG_PL_PLATFORM);
            const char *classes = rcl_agg_platform_cell(t, k, RCL_AGG_PL_CLASSES);
            int n;

            if (!name[0])
                continue;
            n = snprintf(platforms + len, sizeof(platforms) - len, "%s%s (%s%s%s)", len ? "; " : "",
                         name, rcl_agg_platform_cell(t, k, RCL_AGG_PL_KIND), classes[0] ? ": " : "",
                         classes);
            len += n > 0 ? (size_t)n : 0;
        }
        for (int col = RCL_AGG_PL_ID; col <= RCL_AGG_PL_PROFILE; col++) {
            rcl_csv_field(out, rcl_agg_platform_cell(t, f, col));
            fputc(',', out);
        }
        rcl_csv_field(out, platforms);
        for (int col = RCL_AGG_PL_DELIVERED; col <= RCL_AGG_PL_PERCENT; col++)
            fprintf(out, ",%s", rcl_agg_platform_cell(t, f, col));
        fprintf(out, ",%" PRIu64 ",%" PRIu64 CSV_EOL, sc->optouts_pending, sc->feedback);
    }
}

void rcl_agg_report_csv(const struct rcl_agg_report *r, FILE *out)
{
    struct rcl_agg_unit total;

    /* The byte order mark tells Excel the file is UTF-8 (names are Chinese). */
    fputs("\xEF\xBB\xBF", out);
    fputs("id,name,schools,reported,stale,missing,level,via,city_code,city_name", out);
    for (int i = 0; i < RCL_COUNTS_N; i++)
        fprintf(out, ",%s", rcl_counts[i].name);
    fputs(r->deadline > 0 ? ",on_time,late" : "", out);
    fputs(r->has_counted_twice ? ",counted_twice" CSV_EOL : CSV_EOL, out);
    for (size_t i = 0; i < r->n_children; i++)
        csv_unit(out, r, &r->children[i], rcl_agg_holds_students(r->cfg) ? "school" : "unit");
    for (size_t i = 0; i < r->n_counties; i++)
        csv_unit(out, r, &r->counties[i], "county");
    memset(&total, 0, sizeof(total));
    snprintf(total.id, sizeof(total.id), "total");
    snprintf(total.name, sizeof(total.name), "%s", r->scope_name[0] ? r->scope_name : r->cfg->id);
    total.schools = r->expected;
    total.reported = r->reported;
    total.stale = r->stale;
    total.missing = r->expected - r->reported;
    total.on_time = r->on_time;
    total.totals = r->totals;
    rcl_csv_field(out, total.id);
    fputc(',', out);
    rcl_csv_field(out, total.name);
    fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",total,", total.schools,
            total.reported, total.stale, total.missing);
    rcl_csv_field(out, r->cfg->id);
    fputs(",,", out);
    csv_counts(out, r, &total, false);
}

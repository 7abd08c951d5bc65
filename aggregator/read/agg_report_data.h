/*
 * agg_report_data.h - what a report holds once read from the store, shared
 * by the loader (agg_report.c) and the writers (agg_report_text.c for JSON
 * and CSV, agg_report_html.c). Internal to the report.
 */
#ifndef RCL_AGG_REPORT_DATA_H
#define RCL_AGG_REPORT_DATA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "agg_exchange.h"
#include "agg_report.h"
#include "rcl_list_out.h"
#include "agg_store.h"
#include "agg_timeliness.h"
#include "rcl_counts.h"
#include "rcl_model.h"

/*
 * A row of the report: a child (a unit reporting directly here) or a county
 * (the schools of one county code, counted through one child: via).
 */
struct rcl_agg_unit {
    char id[RCL_ID_MAX + 1];  /* a child's id, or the county code */
    char via[RCL_ID_MAX + 1]; /* counties: the child they are counted through ("" at a county) */
    char name[RCL_NAME_MAX + 1];
    char city_code[RCL_ID_MAX + 1]; /* counties: their city, where known */
    char city_name[RCL_NAME_MAX + 1];
    bool is_source; /* children: enrolled here */
    bool revoked;
    uint64_t schools, reported, stale, missing;
    uint64_t on_time; /* reported by the deadline (when the report has one); late = reported - it */
    bool silent;      /* children: an enrolled aggregator that has sent nothing */
    int64_t last_sync; /* children: a school's last sync, or an aggregator's last batch here */
    struct rcl_totals totals;
};

/* A school never reported, and its name as enrolled or last known ("" when none). */
struct rcl_agg_missing {
    char id[RCL_ID_MAX + 1];
    char name[RCL_NAME_MAX + 1];
};

/*
 * At a county: a school's rows of the platforms list (agg_lists.c), and what
 * its student rows hold beyond the summary. Never above a county: the
 * upper tiers hold no student row (DESIGN.md).
 */
struct rcl_agg_school {
    size_t first, n_rows;     /* its rows of rcl_agg_report.platforms, at least one */
    uint64_t optouts_pending; /* opt-out applications not yet decided */
    uint64_t feedback;        /* students with a family feedback record */
};

/* Columns of the platforms list, as agg_lists.c orders them. */
enum rcl_agg_platform_col {
    RCL_AGG_PL_ID,
    RCL_AGG_PL_NAME,
    RCL_AGG_PL_PROFILE, /* "sent" or "none" */
    RCL_AGG_PL_PLATFORM,
    RCL_AGG_PL_KIND,
    RCL_AGG_PL_CLASSES,
    RCL_AGG_PL_DELIVERED, /* "" when unknown, as are the next two */
    RCL_AGG_PL_TOTAL,
    RCL_AGG_PL_PERCENT,
    RCL_AGG_PL_CONTACT,
    RCL_AGG_PL_COLS
};

/* The cell of column col in row row of the platforms table. */
static inline const char *rcl_agg_platform_cell(const struct rcl_agg_table *t, size_t row, int col)
{
    return t->cells[row * t->ncols + (size_t)col];
}

struct rcl_agg_report {
    const struct rcl_agg_config *cfg;
    int64_t now, stale_seconds;
    uint64_t suppress_below;
    char scope_name[RCL_NAME_MAX + 1];
    struct rcl_totals totals;
    uint64_t expected, reported, stale;
    int64_t deadline; /* unix seconds; 0: none, and no on-time figures */
    uint64_t on_time;
    uint64_t silent_expected; /* of expected: the schools of silent children, ids unknown */
    /* A county only: students its totals count more than once (one pseudonym at two schools or
     * more). The summaries sent upward carry no student, so higher tiers do not know it. */
    bool has_counted_twice;
    uint64_t counted_twice;
    struct rcl_agg_day *series; /* completeness by day (agg_timeliness.h), oldest first */
    size_t n_series;
    struct rcl_agg_unit *children; /* sorted by id */
    size_t n_children, cap_children;
    struct rcl_agg_unit *counties; /* sorted by code, then via */
    size_t n_counties, cap_counties;
    struct rcl_agg_missing *missing; /* sorted by id */
    size_t n_missing, cap_missing;
    /* Above a county: the digests each pair of counties shares (agg_exchange.h), by a then b. */
    bool has_exchange;
    struct rcl_agg_exchange_pair *pairs;
    size_t n_pairs, cap_pairs;
    bool has_schools; /* a county: the two below are read */
    struct rcl_agg_table platforms;
    struct rcl_agg_school *schools; /* sorted by id, as the platforms */
    size_t n_schools;
};

/* The scope's English name where known ("" otherwise), for the bilingual page. */
const char *rcl_agg_scope_name_en(const struct rcl_agg_report *r);

/* The counts of a totals object as one flat list, in the order of rcl_counts.h (whose
 * rcl_counts[k] names count k). */
void rcl_agg_counts_of(const struct rcl_totals *t, uint64_t out[RCL_COUNTS_N]);

/* True when v must not be published: 0 < v < suppress_below. */
static inline bool rcl_agg_suppressed(const struct rcl_agg_report *r, uint64_t v)
{
    return v > 0 && v < r->suppress_below;
}

void rcl_agg_report_json(const struct rcl_agg_report *r, FILE *out);
void rcl_agg_report_csv(const struct rcl_agg_report *r, FILE *out);
/* A county's table of its schools' platforms, materials, opt-outs and feedback (--per-school). */
void rcl_agg_report_csv_schools(const struct rcl_agg_report *r, FILE *out);
void rcl_agg_report_html(const struct rcl_agg_report *r, FILE *out);

#endif

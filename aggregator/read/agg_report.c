/*
 * agg_report.c - reading the store into children, counties, totals and
 * completeness (from the rollup table, or from every summary), naming them
 * from a divisions table, and handing them to a writer.
 */
#include "agg_report.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg_divisions.h"
#include "agg_lists.h"
#include "agg_report_data.h"
#include "agg_sql.h"
#include "agg_summary.h"
#include "agg_tier.h"
#include "rcl_db.h"
#include "rcl_log.h"

/* Loading state beyond the report itself: the registry, to name and mark children. */
struct loader {
    struct rcl_agg_report *r;
    struct rcl_agg_source *sources; /* sorted by id */
    size_t n_sources, cap_sources;
};

void rcl_agg_counts_of(const struct rcl_totals *t, uint64_t out[RCL_COUNTS_N])
{
    for (enum rcl_count k = 0; k < RCL_COUNTS_N; k++)
        out[k] = rcl_count_get(t, k);
}

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
    struct loader *l = arg;

    if (grow((void **)&l->sources, &l->cap_sources, l->n_sources + 1, sizeof(*l->sources)) != 0)
        return -1;
    l->sources[l->n_sources++] = *s;
    return 0;
}

static int cmp_source(const void *key, const void *elem)
{
    return strcmp(key, ((const struct rcl_agg_source *)elem)->id);
}

static const struct rcl_agg_source *find_source(const struct loader *l, const char *id)
{
    if (l->n_sources == 0)
        return NULL;
    return bsearch(id, l->sources, l->n_sources, sizeof(*l->sources), cmp_source);
}

static struct rcl_agg_unit *add_unit(struct rcl_agg_unit **arr, size_t *n, size_t *cap,
                                     const char *id, const char *via)
{
    struct rcl_agg_unit *u;

    if (grow((void **)arr, cap, *n + 1, sizeof(**arr)) != 0)
        return NULL;
    u = &(*arr)[(*n)++];
    memset(u, 0, sizeof(*u));
    snprintf(u->id, sizeof(u->id), "%s", id);
    snprintf(u->via, sizeof(u->via), "%s", via);
    return u;
}

/* Rows come grouped by child, so the unit wanted is almost always near the end. */
static struct rcl_agg_unit *find_unit(struct rcl_agg_unit *arr, size_t n, const char *id,
                                      const char *via)
{
    for (size_t i = n; i > 0; i--) {
        if (strcmp(arr[i - 1].id, id) == 0 && (!via || strcmp(arr[i - 1].via, via) == 0))
            return &arr[i - 1];
    }
    return NULL;
}

/* The child row of unit id, created (and marked from the registry) on first sight. */
static struct rcl_agg_unit *child_of(struct loader *l, const char *id)
{
    struct rcl_agg_report *r = l->r;
    struct rcl_agg_unit *c = find_unit(r->children, r->n_children, id, NULL);
    const struct rcl_agg_source *src;

    if (c)
        return c;
    c = add_unit(&r->children, &r->n_children, &r->cap_children, id, "");
    if (!c)
        return NULL;
    src = find_source(l, id);
    if (src) {
        c->is_source = true;
        c->revoked = src->revoked;
        snprintf(c->name, sizeof(c->name), "%s", src->name);
        c->last_sync = rcl_agg_holds_students(r->cfg) ? 0 : src->last_batch_at;
    }
    return c;
}

/* The county row of (county code, via), created on first sight. */
static struct rcl_agg_unit *county_of(struct rcl_agg_report *r, const char *county, const char *via)
{
    struct rcl_agg_unit *u = find_unit(r->counties, r->n_counties, county, via);

    return u ? u : add_unit(&r->counties, &r->n_counties, &r->cap_counties, county, via);
}

/* Adds n schools (reported of them) with totals t to child c, county k and the report. */
static void add_counts(struct rcl_agg_report *r, struct rcl_agg_unit *c, struct rcl_agg_unit *k,
                       uint64_t n, uint64_t reported, const struct rcl_totals *t)
{
    struct rcl_agg_unit *u[2] = {c, k};

    for (int i = 0; i < 2; i++) {
        u[i]->schools += n;
        u[i]->reported += reported;
        u[i]->missing += n - reported;
        rcl_totals_add(&u[i]->totals, t);
    }
    r->expected += n;
    r->reported += reported;
    rcl_totals_add(&r->totals, t);
}

static int add_missing(struct rcl_agg_report *r, const char *school_id, const char *name)
{
    struct rcl_agg_missing *m;

    if (grow((void **)&r->missing, &r->cap_missing, r->n_missing + 1, sizeof(*r->missing)) != 0)
        return -1;
    m = &r->missing[r->n_missing++];
    snprintf(m->id, sizeof(m->id), "%s", school_id);
    snprintf(m->name, sizeof(m->name), "%s", name);
    return 0;
}

/* The column text of st, or "". */
static const char *text_at(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    return t ? (const char *)t : "";
}

/* Every school's summary, one at a time: at a county, and when the rollup is not to be trusted. */
static int load_summaries(sqlite3 *db, struct loader *l)
{
    struct rcl_agg_report *r = l->r;
    bool county = rcl_agg_holds_students(r->cfg);
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_SUMMARY_LIST);
    struct rcl_summary s;
    char child[RCL_ID_MAX + 1];
    int rc;

    if (!st)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *unit;
        struct rcl_agg_unit *c, *k;
        bool stale;

        rcl_agg_summary_column(st, &s, child);
        unit = county ? s.school_id : child;
        c = child_of(l, unit);
        k = c ? county_of(r, s.county, county ? "" : child) : NULL;
        if (!k)
            break;
        if (county) {
            if (s.name[0])
                snprintf(c->name, sizeof(c->name), "%s", s.name);
            c->last_sync = s.last_sync;
        }
        add_counts(r, c, k, 1, s.reported ? 1 : 0, &s.totals);
        if (!s.reported && add_missing(r, s.school_id, s.name) != 0)
            break;
        stale = s.reported && s.last_sync < r->now - r->stale_seconds;
        if (stale) {
            c->stale++;
            k->stale++;
            r->stale++;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* 1 when the rollup counts every summary, 0 when not, -1 on a store error. */
static int rollup_complete(sqlite3 *db)
{
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_ROLLUP_CHECK);
    int ret = -1;

    if (!st)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        ret = sqlite3_column_int64(st, 0) == sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    return ret;
}

/* The rollup's (child, county) rows, then the stale and never-synced schools. */
static int load_rollup(sqlite3 *db, struct loader *l)
{
    struct rcl_agg_report *r = l->r;
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_ROLLUP_LIST);
    struct rcl_totals t;
    int rc = SQLITE_ERROR;

    if (!st)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct rcl_agg_unit *c = child_of(l, text_at(st, 0));
        struct rcl_agg_unit *k = c ? county_of(r, text_at(st, 1), c->id) : NULL;
        sqlite3_int64 n = sqlite3_column_int64(st, 2), reported = sqlite3_column_int64(st, 3);

        if (!k)
            break;
        if (n < 0 || reported < 0 || reported > n) {
            RCL_WARN("report: a rollup row is damaged; counting every summary source=%s school=%s",
                     rcl_log_value(c->id), rcl_log_value(k->id));
            rc = SQLITE_MISMATCH;
            break;
        }
        rcl_agg_totals_column(st, 4, &t);
        add_counts(r, c, k, (uint64_t)n, (uint64_t)reported, &t);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rc == SQLITE_MISMATCH ? 1 : -1;

    st = rcl_db_prepare(db, RCL_AGG_SQL_STALE_COUNTS);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, r->now - r->stale_seconds);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct rcl_agg_unit *c = find_unit(r->children, r->n_children, text_at(st, 0), NULL);
        struct rcl_agg_unit *k =
            find_unit(r->counties, r->n_counties, text_at(st, 1), text_at(st, 0));
        uint64_t n = (uint64_t)sqlite3_column_int64(st, 2);

        if (!c || !k) { /* cannot be, in one read transaction: the rollup lacks the row */
            rc = SQLITE_MISMATCH;
            break;
        }
        c->stale += n;
        k->stale += n;
        r->stale += n;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rc == SQLITE_MISMATCH ? 1 : -1;

    st = rcl_db_prepare(db, RCL_AGG_SQL_NEVER_REPORTED);
    if (!st)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (add_missing(r, text_at(st, 0), text_at(st, 1)) != 0)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The schools that first reported by the deadline, by child and county. 0, or -1. */
static int load_on_time(sqlite3 *db, struct rcl_agg_report *r)
{
    bool county = rcl_agg_holds_students(r->cfg);
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_ON_TIME_COUNTS);
    int rc;

    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, r->deadline);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *child = text_at(st, 0);
        struct rcl_agg_unit *c = find_unit(r->children, r->n_children, child, NULL);
        struct rcl_agg_unit *k =
            find_unit(r->counties, r->n_counties, text_at(st, 1), county ? "" : child);
        uint64_t n = (uint64_t)sqlite3_column_int64(st, 2);

        if (c)
            c->on_time += n;
        if (k)
            k->on_time += n;
        r->on_time += n;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * An enrolled aggregator that has sent nothing is missing with the schools
 * it is to bring (enroll --expect), under its own code as a county when it is
 * one. Above a county only: a county's schools all have summary rows. 0, or -1.
 */
static int count_silent(struct loader *l)
{
    struct rcl_agg_report *r = l->r;

    for (size_t i = 0; i < r->n_children; i++) {
        struct rcl_agg_unit *c = &r->children[i];
        const struct rcl_agg_source *src = find_source(l, c->id);
        struct rcl_agg_unit *k;
        uint64_t n;

        if (!src || src->revoked || src->last_batch_at != 0 || c->schools != 0)
            continue;
        c->silent = true;
        n = src->expect_schools;
        c->schools = c->missing = n;
        r->expected += n;
        r->silent_expected += n;
        if (n == 0 || strlen(c->id) != RCL_COUNTY_LEN)
            continue;
        k = county_of(r, c->id, c->id);
        if (!k)
            return -1;
        k->schools += n;
        k->missing += n;
    }
    return 0;
}

/* Empties what a load added, so that another way of loading can start again. */
static void report_clear(struct rcl_agg_report *r)
{
    r->n_children = r->n_counties = r->n_missing = 0;
    r->expected = r->reported = r->stale = 0;
    memset(&r->totals, 0, sizeof(r->totals));
}

static int cmp_unit(const void *a, const void *b)
{
    const struct rcl_agg_unit *x = a, *y = b;
    int c = strcmp(x->id, y->id);

    return c ? c : strcmp(x->via, y->via);
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(((const struct rcl_agg_missing *)a)->id, ((const struct rcl_agg_missing *)b)->id);
}

/* A county's students enrolled at more than one of its schools. 0, or -1 on a store error. */
static int load_counted_twice(sqlite3 *db, struct rcl_agg_report *r)
{
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_COUNTED_TWICE);
    int rc;

    if (!st)
        return -1;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        r->counted_twice = (uint64_t)sqlite3_column_int64(st, 0);
        r->has_counted_twice = true;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

static int add_pair(void *arg, const struct rcl_agg_exchange_pair *p)
{
    struct rcl_agg_report *r = arg;

    if (r->n_pairs == r->cap_pairs) {
        size_t cap = r->cap_pairs ? 2 * r->cap_pairs : 16;
        struct rcl_agg_exchange_pair *grown = realloc(r->pairs, cap * sizeof(*grown));

        if (!grown)
            return -1;
        r->pairs = grown;
        r->cap_pairs = cap;
    }
    r->pairs[r->n_pairs++] = *p;
    return 0;
}

static int cmp_school(const void *key, const void *elem)
{
    const struct rcl_agg_report *r = ((const void *const *)key)[0];
    const char *id = ((const void *const *)key)[1];
    const struct rcl_agg_school *s = elem;

    return strcmp(id, rcl_agg_platform_cell(&r->platforms, s->first, RCL_AGG_PL_ID));
}

/*
 * At a county: each school's platforms and materials (the rows of the
 * `platforms` list, read by its own code) and its pending opt-outs and
 * feedback records, in the caller's read transaction. 0, or -1 with err set.
 */
static int load_schools(sqlite3 *db, struct rcl_agg_report *r, char *err, size_t errlen)
{
    struct rcl_agg_list_options lo = {.kind = rcl_agg_list_kind_find("platforms"), .now = r->now};
    struct rcl_agg_table *t = &r->platforms;
    sqlite3_stmt *st;
    int rc;

    if (lo.kind < 0 || rcl_agg_list_fill(db, r->cfg, &lo, t, err, errlen) != 0)
        return -1;
    if (t->ncols != RCL_AGG_PL_COLS ||
        strcmp(t->cols[RCL_AGG_PL_PERCENT].name, "materials_percent") != 0) {
        snprintf(err, errlen, "the platforms list does not have the columns the report reads");
        return -1;
    }
    r->schools = calloc(t->nrows ? t->nrows : 1, sizeof(*r->schools));
    if (!r->schools) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < t->nrows; i++) {
        struct rcl_agg_school *last = r->n_schools ? &r->schools[r->n_schools - 1] : NULL;

        if (last && strcmp(rcl_agg_platform_cell(t, last->first, RCL_AGG_PL_ID),
                           rcl_agg_platform_cell(t, i, RCL_AGG_PL_ID)) == 0) {
            last->n_rows++;
            continue;
        }
        r->schools[r->n_schools++] = (struct rcl_agg_school){.first = i, .n_rows = 1};
    }
    st = rcl_db_prepare(db, RCL_AGG_SQL_REPORT_SCHOOL_RECORDS);
    if (!st)
        goto store_fail;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const void *key[2] = {r, text_at(st, 0)};
        struct rcl_agg_school *s =
            r->n_schools ? bsearch(key, r->schools, r->n_schools, sizeof(*s), cmp_school) : NULL;

        if (!s) /* student rows of a school without a summary: no report row to put them on */
            continue;
        s->optouts_pending = (uint64_t)sqlite3_column_int64(st, 1);
        s->feedback = (uint64_t)sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        goto store_fail;
    r->has_schools = true;
    return 0;
store_fail:
    snprintf(err, errlen, "reading the store failed: %s", sqlite3_errmsg(db));
    return -1;
}

/* Reads everything the report shows, inside one read transaction. */
static int report_load(sqlite3 *db, struct rcl_agg_report *r, bool recount, char *err,
                       size_t errlen)
{
    struct loader l = {.r = r};
    int ret = -1, done = 0;
    bool in_tx = false;

    if (rcl_db_read_begin(db) != 0)
        goto fail;
    in_tx = true;
    if (rcl_agg_source_each(db, collect_source, &l) != 0)
        goto fail;
    /* Every enrolled aggregator is a child above county level, even one that never synced. */
    if (!rcl_agg_holds_students(r->cfg)) {
        for (size_t i = 0; i < l.n_sources; i++) {
            if (!child_of(&l, l.sources[i].id))
                goto fail;
        }
    }
    if (!rcl_agg_holds_students(r->cfg) && !recount) {
        done = rollup_complete(db);
        if (done < 0)
            goto fail;
        if (done == 1) {
            int rc = load_rollup(db, &l);

            if (rc < 0)
                goto fail;
            done = rc == 0;
        }
        if (!done) {
            RCL_WARN("report: the rollup table does not agree with the summaries; counting "
                     "every summary instead");
            report_clear(r);
            for (size_t i = 0; i < l.n_sources; i++) {
                if (!child_of(&l, l.sources[i].id))
                    goto fail;
            }
        }
    }
    if (!done && load_summaries(db, &l) != 0)
        goto fail;
    if (!rcl_agg_holds_students(r->cfg) && count_silent(&l) != 0)
        goto fail;
    if (rcl_agg_holds_students(r->cfg) && load_counted_twice(db, r) != 0)
        goto fail;
    if (!rcl_agg_holds_students(r->cfg)) {
        if (rcl_agg_exchange_pairs(db, add_pair, r) != 0)
            goto fail;
        r->has_exchange = true;
    }
    /* Inside the same transaction (the list code reads in the caller's), so the schools'
     * figures are of the same moment as the totals. */
    if (rcl_agg_holds_students(r->cfg) && load_schools(db, r, err, errlen) != 0)
        goto out;
    if (r->deadline > 0 && load_on_time(db, r) != 0)
        goto fail;
    if (rcl_agg_series_read(db, &r->series, &r->n_series) != 0)
        goto fail;
    if (r->n_children > 1)
        qsort(r->children, r->n_children, sizeof(*r->children), cmp_unit);
    if (r->n_counties > 1)
        qsort(r->counties, r->n_counties, sizeof(*r->counties), cmp_unit);
    /* The store lists them in order already; sorting again costs little and promises it. */
    if (r->n_missing > 1)
        qsort(r->missing, r->n_missing, sizeof(*r->missing), cmp_id);
    ret = 0;
    goto out;
fail:
    snprintf(err, errlen, "reading the store failed: %s", sqlite3_errmsg(db));
out:
    if (in_tx)
        rcl_db_read_end(db);
    free(l.sources);
    return ret;
}

const char *rcl_agg_scope_name_en(const struct rcl_agg_report *r)
{
    const char *en = rcl_agg_divisions_name_en(r->cfg->id);

    return en && strcmp(r->scope_name, RCL_AGG_PROVINCE_NAME) == 0 ? en : "";
}

/* Names the scope, the children and the counties from the divisions table where unnamed. */
static void apply_divisions(struct rcl_agg_report *r, const struct rcl_agg_divisions *d)
{
    const char *name = rcl_agg_divisions_name(d, r->cfg->id);

    if (name)
        snprintf(r->scope_name, sizeof(r->scope_name), "%s", name);
    for (size_t i = 0; i < r->n_children; i++) {
        struct rcl_agg_unit *c = &r->children[i];

        name = c->name[0] ? NULL : rcl_agg_divisions_name(d, c->id);
        if (name)
            snprintf(c->name, sizeof(c->name), "%s", name);
    }
    for (size_t i = 0; i < r->n_counties; i++) {
        struct rcl_agg_unit *k = &r->counties[i];
        const struct rcl_agg_division *row = rcl_agg_divisions_find(d, k->id);

        if (row) {
            snprintf(k->name, sizeof(k->name), "%s", row->name);
            snprintf(k->city_code, sizeof(k->city_code), "%s", row->city_code);
            snprintf(k->city_name, sizeof(k->city_name), "%s", row->city_name);
        }
    }
}

/* Without a table: a county counted through a city aggregator is in that city. */
static void name_from_children(struct rcl_agg_report *r)
{
    for (size_t i = 0; i < r->n_counties; i++) {
        struct rcl_agg_unit *k = &r->counties[i];
        struct rcl_agg_unit key, *c;

        if (k->city_code[0] || !k->via[0] || strcmp(k->via, k->id) == 0)
            continue;
        memset(&key, 0, sizeof(key));
        snprintf(key.id, sizeof(key.id), "%s", k->via);
        c = r->n_children == 0
                ? NULL
                : bsearch(&key, r->children, r->n_children, sizeof(*r->children), cmp_unit);
        snprintf(k->city_code, sizeof(k->city_code), "%s", k->via);
        if (c)
            snprintf(k->city_name, sizeof(k->city_name), "%s", c->name);
    }
}

int rcl_agg_report_write(sqlite3 *db, const struct rcl_agg_config *cfg,
                         const struct rcl_agg_report_options *opt, FILE *out, char *err,
                         size_t errlen)
{
    struct rcl_agg_report r;
    struct rcl_agg_divisions divisions = {0};
    int ret = -1;

    memset(&r, 0, sizeof(r));
    r.cfg = cfg;
    r.now = opt->now ? opt->now : (int64_t)time(NULL);
    r.stale_seconds = opt->stale_seconds > 0 ? opt->stale_seconds : cfg->stale_seconds;
    if (r.stale_seconds <= 0)
        r.stale_seconds = RCL_AGG_STALE_DEFAULT;
    r.suppress_below = opt->suppress_below;
    r.deadline = opt->deadline > 0    ? opt->deadline
                 : opt->deadline == 0 ? rcl_agg_deadline_get(db)
                                      : 0;
    if (opt->divisions_path &&
        rcl_agg_divisions_load(opt->divisions_path, &divisions, err, errlen) != 0)
        return -1;
    if (report_load(db, &r, opt->recount, err, errlen) != 0)
        goto out;
    apply_divisions(&r, &divisions);
    name_from_children(&r);
    switch (opt->format) {
    case RCL_AGG_REPORT_JSON:
        rcl_agg_report_json(&r, out);
        break;
    case RCL_AGG_REPORT_CSV:
        rcl_agg_report_csv(&r, out);
        break;
    case RCL_AGG_REPORT_HTML:
        rcl_agg_report_html(&r, out);
        break;
    }
    if (fflush(out) != 0 || ferror(out)) {
        snprintf(err, errlen, "writing the report failed");
        goto out;
    }
    if (opt->per_school) {
        rcl_agg_report_csv_schools(&r, opt->per_school);
        if (fflush(opt->per_school) != 0 || ferror(opt->per_school)) {
            snprintf(err, errlen, "writing the schools' table failed");
            goto out;
        }
    }
    ret = 0;
out:
    rcl_agg_divisions_free(&divisions);
    free(r.children);
    free(r.counties);
    free(r.missing);
    free(r.series);
    free(r.schools);
    free(r.pairs);
    rcl_agg_table_clear(&r.platforms);
    return ret;
}

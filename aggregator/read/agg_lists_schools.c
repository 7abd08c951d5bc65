/*
 * agg_lists_schools.c - the lists of schools: those that never reported or
 * are silent, and each school's platforms and materials.
 */
#include "agg_lists_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg_sql.h"
#include "rcl_db.h"

/* The words of the codes only these lists write. */
static const struct rcl_agg_vocab platform_words = {rcl_platform_kind_names, rcl_platform_kind_zh,
                                                    RCL_PLATFORM_KIND_COUNT, NULL};
static const char *const late_codes[] = {"never_reported", "stale"};
static const char *const late_zh[][RCL_ZH_WORDS] = {{"从未上报"}, {"超期未上报"}};
static const struct rcl_agg_vocab late_words = {late_codes, late_zh, 2, NULL};
static const char *const profile_codes[] = {"sent", "none"};
static const char *const profile_zh[][RCL_ZH_WORDS] = {{"已填报"}, {"未填报"}};
static const struct rcl_agg_vocab profile_words = {profile_codes, profile_zh, 2, NULL};

/* ---- schools ---- */

static const struct rcl_agg_col school_cols[] = {
    SCHOOL_COLS,
    {"county", RCL_AGG_COL_TEXT, "区县代码", NULL},
    {"reports_through", RCL_AGG_COL_TEXT, "上报经由", NULL},
    {"status", RCL_AGG_COL_TEXT, "状态", &late_words},
    {"last_sync", RCL_AGG_COL_TEXT, "最近同步(UTC)", NULL},
    {"days_since", RCL_AGG_COL_INT, "未同步天数", NULL},
};

struct late_school {
    char id[RCL_ID_MAX + 1], name[RCL_NAME_MAX + 1], county[RCL_COUNTY_LEN + 1],
        child[RCL_ID_MAX + 1];
    bool reported;
    int64_t last_sync;
};

/* Never reported first (by id), then the stale ones, the longest silent first. */
static int cmp_late(const void *pa, const void *pb)
{
    const struct late_school *a = pa, *b = pb;

    if (a->reported != b->reported)
        return a->reported ? 1 : -1;
    if (a->reported && a->last_sync != b->last_sync)
        return a->last_sync < b->last_sync ? -1 : 1;
    return strcmp(a->id, b->id);
}

static void format_time(int64_t t, char *out, size_t outlen)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (t <= 0 || !gmtime_r(&tt, &tm) || strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        out[0] = '\0';
}

static int list_schools(struct list_ctx *x, struct rcl_agg_table *t)
{
    sqlite3_stmt *st = rcl_db_prepare(x->db, RCL_AGG_SQL_LIST_SCHOOLS);
    struct late_school *v = NULL, s;
    size_t n = 0, cap = 0;
    char last[32], days[24];
    int rc, ret = -1;

    if (!st)
        return list_store_error(x);
    list_bind_school(x, st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&s, 0, sizeof(s));
        list_column_text(st, 0, s.id, sizeof(s.id));
        list_column_text(st, 1, s.name, sizeof(s.name));
        list_column_text(st, 2, s.county, sizeof(s.county));
        list_column_text(st, 3, s.child, sizeof(s.child));
        s.reported = sqlite3_column_int(st, 4) != 0;
        s.last_sync = sqlite3_column_int64(st, 5);
        /* Stale as the report counts it: synced once, but not within the window. */
        if (s.reported && s.last_sync >= x->now - x->stale_seconds)
            continue;
        if (list_grow((void **)&v, &cap, n + 1, sizeof(*v)) != 0) {
            list_out_of_memory(x);
            goto out;
        }
        v[n++] = s;
    }
    if (rc != SQLITE_DONE) {
        list_store_error(x);
        goto out;
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_late);
    for (size_t i = 0; i < n; i++) {
        const char *cells[7] = {
            v[i].id, v[i].name, v[i].county, v[i].child, v[i].reported ? "stale" : "never_reported",
            last,    days};

        format_time(v[i].reported ? v[i].last_sync : 0, last, sizeof(last));
        days[0] = '\0';
        if (v[i].reported)
            snprintf(days, sizeof(days), "%" PRId64,
                     (x->now > v[i].last_sync ? x->now - v[i].last_sync : 0) / 86400);
        if (rcl_agg_table_add(t, cells) != 0) {
            list_out_of_memory(x);
            goto out;
        }
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    free(v);
    return ret;
}

/* ---- platforms ---- */

static const struct rcl_agg_col platform_cols[] = {
    SCHOOL_COLS,
    {"profile", RCL_AGG_COL_TEXT, "学校情况", &profile_words},
    {"platform", RCL_AGG_COL_TEXT, "教学平台", NULL},
    {"platform_kind", RCL_AGG_COL_TEXT, "平台类型", &platform_words},
    {"classes", RCL_AGG_COL_TEXT, "使用班级", NULL},
    {"materials_delivered", RCL_AGG_COL_INT, "教材已发放", NULL},
    {"materials_total", RCL_AGG_COL_INT, "教材应发放", NULL},
    {"materials_percent", RCL_AGG_COL_INT, "发放进度(%)", NULL},
    {"contact_role", RCL_AGG_COL_TEXT, "联系人", NULL},
};

/* One row per platform of each school; a school without platforms (or without a profile) has
 * one row, its platform cells empty. */
static int list_platforms(struct list_ctx *x, struct rcl_agg_table *t)
{
    sqlite3_stmt *st = rcl_db_prepare(x->db, RCL_AGG_SQL_LIST_PLATFORMS);
    char id[RCL_ID_MAX + 1], name[RCL_NAME_MAX + 1], contact[RCL_ROLE_MAX + 1],
        platform[RCL_PLATFORM_MAX + 1], kind[16], classes[RCL_CLASSES_MAX + 1], n[3][24];
    const char *cells[10] = {id, name, NULL, platform, kind, classes, n[0], n[1], n[2], contact};
    int rc, ret = -1;

    if (!st)
        return list_store_error(x);
    list_bind_school(x, st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        bool sent = sqlite3_column_int(st, 2) != 0;
        /* Delivered of total, or a percent only ("75%"): then the counts are 0 of 0. */
        bool counted = sent && sqlite3_column_int64(st, 5) > 0;

        list_column_text(st, 0, id, sizeof(id));
        list_column_text(st, 1, name, sizeof(name));
        cells[2] = profile_codes[sent ? 0 : 1];
        list_column_text(st, 3, contact, sizeof(contact));
        n[0][0] = n[1][0] = n[2][0] = '\0';
        if (counted) {
            list_format_uint(n[0], sizeof(n[0]), (uint64_t)sqlite3_column_int64(st, 4));
            list_format_uint(n[1], sizeof(n[1]), (uint64_t)sqlite3_column_int64(st, 5));
        }
        if (sent)
            list_format_uint(n[2], sizeof(n[2]), (uint64_t)sqlite3_column_int64(st, 6));
        list_column_text(st, 7, platform, sizeof(platform));
        list_column_text(st, 8, kind, sizeof(kind));
        list_column_text(st, 9, classes, sizeof(classes));
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

/* ---- the kinds ---- */

const struct list_kind list_kind_schools = {
    .name = "schools",
    .help = "schools never synced, or silent longer than the window",
    .uses_window = true,
    COLS(school_cols),
    .fill = list_schools,
};

const struct list_kind list_kind_platforms = {
    .name = "platforms",
    .help = "per school platform: kind and classes; materials delivered; contact role",
    .holds = "school profiles",
    COLS(platform_cols),
    .fill = list_platforms,
};

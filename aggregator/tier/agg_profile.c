/*
 * agg_profile.c - school profiles and measure details at a county (see
 * agg_profile.h).
 */
#include "agg_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_sql.h"
#include "rcl_db.h"
#include "rcl_json.h"
#include "rcl_log.h"

int rcl_agg_profile_put(sqlite3 *db, const struct rcl_school_profile *p, int64_t now)
{
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_PROFILE_PUT);
    int rc = -1;

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, p->school_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->parent_school, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, p->contact_role, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, p->materials_delivered);
    sqlite3_bind_int64(st, 5, p->materials_total);
    sqlite3_bind_int64(st, 6, p->materials_percent);
    sqlite3_bind_int64(st, 7, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto fail;
    sqlite3_finalize(st);
    st = NULL;
    if (rcl_db_run_id(db, RCL_AGG_SQL_PLATFORMS_CLEAR, p->school_id,
                      "clearing a school's platforms") != 0)
        goto fail;
    st = rcl_db_prepare(db, RCL_AGG_SQL_PLATFORM_PUT);
    if (st == NULL)
        return -1;
    for (size_t i = 0; i < p->n_platforms && i < RCL_PLATFORMS_MAX; i++) {
        const struct rcl_platform *pl = &p->platforms[i];

        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, p->school_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        sqlite3_bind_text(st, 3, pl->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(
            st, 4,
            rcl_platform_kind_names[pl->kind < RCL_PLATFORM_KIND_COUNT ? pl->kind
                                                                       : RCL_PLATFORM_OTHER],
            -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, pl->classes, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto fail;
    }
    rc = 0;
fail:
    if (rc != 0)
        RCL_ERROR("store: writing a profile failed school=%s err=%s", rcl_log_value(p->school_id),
                  rcl_log_value(sqlite3_errmsg(db)));
    sqlite3_finalize(st);
    return rc;
}

char *rcl_agg_measure_details_json(const struct rcl_student *s)
{
    char *buf = NULL;
    size_t len = 0;
    struct rcl_json j;
    FILE *f;

    /* Most students have no measure: no stream for them (this runs for every row). */
    if (s->n_measures == 0)
        return strdup("[]");
    f = open_memstream(&buf, &len);
    if (f == NULL)
        return NULL;
    rcl_json_init(&j, f);
    rcl_json_array_begin(&j);
    for (size_t i = 0; i < s->n_measures && i < RCL_MEASURES_MAX; i++) {
        const struct rcl_measure *m = &s->measures[i];

        if (m->kind >= RCL_MEASURE_KIND_COUNT || m->status >= RCL_STATUS_COUNT)
            continue; /* the codec never lets such a value in */
        rcl_json_object_begin(&j);
        rcl_json_key(&j, "kind");
        rcl_json_string(&j, rcl_measure_kind_names[m->kind]);
        rcl_json_key(&j, "status");
        rcl_json_string(&j, rcl_measure_status_names[m->status]);
        rcl_json_key(&j, "helper_role");
        rcl_json_string(&j, m->helper_role);
        rcl_json_key(&j, "start_date");
        rcl_json_string(&j, m->start_date);
        rcl_json_key(&j, "end_date");
        rcl_json_string(&j, m->end_date);
        if (m->helper_contact[0]) { /* most measures have none: the key only when there is one */
            rcl_json_key(&j, "helper_contact");
            rcl_json_string(&j, m->helper_contact);
        }
        rcl_json_object_end(&j);
    }
    rcl_json_array_end(&j);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

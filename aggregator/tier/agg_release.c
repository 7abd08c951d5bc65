/*
 * agg_release.c - forgetting the schools a revoked child counted (agg_release.h).
 */
#include "agg_release.h"

#include <stdio.h>

#include "agg_snapshot.h"
#include "agg_tier.h"
#include "rcl_db.h"
#include "rcl_log.h"

#define SQL_FIRST_SCHOOL_OF_CHILD                                                                  \
    "SELECT school_id FROM summaries WHERE child = ?1 ORDER BY school_id LIMIT 1"

int rcl_agg_release_schools(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                            char *err, size_t errlen)
{
    struct rcl_agg_source src;
    sqlite3_stmt *st = NULL;
    char school[RCL_ID_MAX + 1];
    int found, step, n = 0;

    if (rcl_agg_holds_students(cfg)) {
        snprintf(err, errlen,
                 "a county counts its schools from their own rows; releasing is for "
                 "a city or the province");
        return -1;
    }
    if (rcl_db_begin(db) != 0) {
        snprintf(err, errlen, "cannot start a transaction: %s", sqlite3_errmsg(db));
        return -1;
    }
    found = rcl_agg_source_get(db, source, &src);
    if (found <= 0 || !src.revoked) {
        snprintf(err, errlen,
                 found < 0    ? "looking up source %s failed"
                 : found == 0 ? "source %s is not enrolled"
                              : "source %s is not revoked: revoke it first, so that it sends "
                                "nothing more",
                 source);
        goto fail;
    }
    st = rcl_db_prepare(db, SQL_FIRST_SCHOOL_OF_CHILD);
    if (st == NULL)
        goto store_error;
    /* One at a time: each removal changes the set the query reads. */
    for (;;) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
        step = sqlite3_step(st);
        if (step != SQLITE_ROW)
            break;
        snprintf(school, sizeof(school), "%s", (const char *)sqlite3_column_text(st, 0));
        if (rcl_agg_school_remove(db, cfg, school) != 0)
            goto store_error;
        n++;
    }
    if (step != SQLITE_DONE)
        goto store_error;
    sqlite3_finalize(st);
    st = NULL;
    if (rcl_db_commit(db) != 0)
        goto store_error;
    RCL_INFO("release: schools counted through a child released source=%s schools=%d",
             rcl_log_value(source), n);
    return n;
store_error:
    snprintf(err, errlen, "releasing the schools of source %s failed: %s", source,
             sqlite3_errmsg(db));
fail:
    sqlite3_finalize(st);
    rcl_db_rollback(db);
    return -1;
}

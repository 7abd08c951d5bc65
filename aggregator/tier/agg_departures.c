/*
 * agg_departures.c - departures at a county (see agg_departures.h).
 */
#include "agg_departures.h"

#include <stdio.h>
#include <string.h>

#include "agg_sql.h"
#include "rcl_db.h"
#include "rcl_log.h"

int rcl_agg_departure_put(sqlite3 *db, const char *school, const struct rcl_departure *d,
                          int64_t now)
{
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_DEPARTURE_PUT);
    unsigned reason = d->reason < RCL_DEPART_REASON_COUNT ? d->reason : RCL_DEPART_OTHER;
    int rc = -1;

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, school, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, d->pseudonym, RCL_PSEUDONYM_BYTES, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, d->grade);
    sqlite3_bind_text(st, 5, d->class_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, rcl_departure_reason_names[reason], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, d->destination, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, d->left_on, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, now);
    if (sqlite3_step(st) == SQLITE_DONE)
        rc = 0;
    else
        RCL_ERROR("store: recording a departure failed school=%s err=%s", rcl_log_value(school),
                  rcl_log_value(sqlite3_errmsg(db)));
    sqlite3_finalize(st);
    return rc;
}

static void column_copy(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    snprintf(out, outlen, "%s", t != NULL ? (const char *)t : "");
}

int rcl_agg_departures_unreceived(sqlite3 *db,
                                  int (*fn)(void *arg, const struct rcl_agg_departure *row),
                                  void *arg)
{
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_DEPARTURES_UNRECEIVED);
    int step, rc = 0;

    if (st == NULL)
        return -1;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct rcl_agg_departure row;
        const char *reason = (const char *)sqlite3_column_text(st, 5);
        sqlite3_int64 grade = sqlite3_column_int64(st, 3);
        int r;

        memset(&row, 0, sizeof(row));
        column_copy(st, 0, row.school_id, sizeof(row.school_id));
        if (sqlite3_column_bytes(st, 1) == RCL_PSEUDONYM_BYTES)
            memcpy(row.d.pseudonym, sqlite3_column_blob(st, 1), RCL_PSEUDONYM_BYTES);
        column_copy(st, 2, row.d.name, sizeof(row.d.name));
        row.d.grade = grade >= 0 && grade <= 12 ? (unsigned)grade : 0;
        column_copy(st, 4, row.d.class_name, sizeof(row.d.class_name));
        r = reason != NULL ? rcl_name_find(rcl_departure_reason_names, RCL_DEPART_REASON_COUNT,
                                           reason, strlen(reason))
                           : -1;
        row.d.reason = r >= 0 ? (unsigned)r : RCL_DEPART_OTHER;
        column_copy(st, 6, row.d.destination, sizeof(row.d.destination));
        column_copy(st, 7, row.d.left_on, sizeof(row.d.left_on));
        rc = fn(arg, &row);
        if (rc != 0)
            break;
    }
    if (rc == 0 && step != SQLITE_DONE) {
        RCL_ERROR("store: listing departures failed err=%s", rcl_log_value(sqlite3_errmsg(db)));
        rc = -1;
    }
    sqlite3_finalize(st);
    return rc;
}

/*
 * agg_timeliness.c - reporting deadlines and the daily completeness series
 * (see agg_timeliness.h).
 */
#define _DEFAULT_SOURCE /* timegm */
#include "agg_timeliness.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg_sql.h"
#include "rcl_db.h"
#include "rcl_log.h"
#include "rcl_model.h"

/* Reads exactly n digits at *s into *v and moves *s past them. */
static bool digits(const char **s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if ((*s)[i] < '0' || (*s)[i] > '9')
            return false;
        *v = *v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    return true;
}

/* The zone at s: "Z", "+HH:MM", "+HHMM" or "+HH" (or '-'), into seconds east of UTC. */
static bool zone(const char *s, long *east)
{
    int h, m = 0, sign;

    if (strcmp(s, "Z") == 0 || strcmp(s, "z") == 0) {
        *east = 0;
        return true;
    }
    if (*s != '+' && *s != '-')
        return false;
    sign = *s++ == '-' ? -1 : 1;
    if (!digits(&s, 2, &h))
        return false;
    if (*s == ':')
        s++;
    if (*s != '\0' && !digits(&s, 2, &m))
        return false;
    if (*s != '\0' || h > 14 || m > 59)
        return false;
    *east = sign * (h * 3600L + m * 60L);
    return true;
}

int rcl_agg_deadline_parse(const char *s, int64_t *out)
{
    char date[11];
    int year, mon, mday, hour = 23, min = 59, sec = 59;
    const char *p = s;
    bool local = true;
    long east = 0;
    struct tm tm;
    time_t t;

    if (strlen(s) < 10)
        return -1;
    memcpy(date, s, 10);
    date[10] = '\0';
    if (!rcl_date_valid(date))
        return -1;
    year = atoi(date);
    mon = atoi(date + 5);
    mday = atoi(date + 8);
    p += 10;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        sec = 0;
        if (!digits(&p, 2, &hour) || *p++ != ':' || !digits(&p, 2, &min))
            return -1;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &sec))
                return -1;
        }
        if (hour > 23 || min > 59 || sec > 59)
            return -1;
        if (*p != '\0') {
            if (!zone(p, &east))
                return -1;
            local = false;
        }
    } else if (*p != '\0') {
        return -1;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = mday;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    tm.tm_isdst = -1;
    t = local ? mktime(&tm) : timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    *out = (int64_t)t - (local ? 0 : east);
    return 0;
}

void rcl_agg_day_local(int64_t t, char out[11])
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (!localtime_r(&tt, &tm) || strftime(out, 11, "%Y-%m-%d", &tm) == 0)
        snprintf(out, 11, "%s", "1970-01-01");
}

int64_t rcl_agg_deadline_get(sqlite3 *db)
{
    int64_t v = 0;

    /* Absent (never set, or a store older than deadlines) reads as none. */
    return rcl_meta_get_int(db, "deadline", &v) == 0 && v > 0 ? v : 0;
}

int rcl_agg_deadline_set(sqlite3 *db, int64_t at)
{
    return rcl_meta_set_int(db, "deadline", at > 0 ? at : 0);
}

int rcl_agg_series_note(sqlite3 *db, int64_t now)
{
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_SERIES_NOTE);
    char day[11];
    int ret = -1;

    if (!st)
        goto out;
    rcl_agg_day_local(now, day);
    sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    if (sqlite3_step(st) == SQLITE_DONE)
        ret = 0;
out:
    if (ret != 0)
        RCL_ERROR("store: writing the completeness of the day failed err=%s",
                  rcl_log_value(sqlite3_errmsg(db)));
    sqlite3_finalize(st);
    return ret;
}

int rcl_agg_series_read(sqlite3 *db, struct rcl_agg_day **days, size_t *n)
{
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_SERIES_LIST);
    struct rcl_agg_day *v = NULL;
    size_t cap = 0, count = 0;
    int rc = SQLITE_ERROR;

    *days = NULL;
    *n = 0;
    if (!st)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *day = sqlite3_column_text(st, 0);
        sqlite3_int64 e = sqlite3_column_int64(st, 1), r = sqlite3_column_int64(st, 2);

        if (count == cap) {
            size_t want = cap ? cap * 2 : 32;
            struct rcl_agg_day *more = realloc(v, want * sizeof(*more));

            if (!more) {
                rc = SQLITE_NOMEM;
                break;
            }
            v = more;
            cap = want;
        }
        snprintf(v[count].day, sizeof(v[count].day), "%s", day ? (const char *)day : "");
        v[count].expected = e < 0 ? 0 : (uint64_t)e;
        v[count].reported = r < 0 ? 0 : (uint64_t)r;
        count++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(v);
        return -1;
    }
    *days = v;
    *n = count;
    return 0;
}

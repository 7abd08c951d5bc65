/*
 * agg_timeliness.h - when schools reported, against a reporting deadline,
 * and how complete the reports were day by day.
 *
 * A school reported on time when its county accepted its first batch at or
 * before the deadline (summaries.first_sync, carried upward in every
 * summary); late when it reported after it, or when that time is unknown
 * (a county older than the field). The deadline is the store's (`init
 * --deadline`, `deadline --set`) unless a report names its own.
 *
 * The daily series is one row per local calendar day of the server
 * (completeness_daily): the schools expected and reported as `run` last saw
 * them that day, written with its heartbeat. Expected counts an enrolled
 * aggregator that has sent nothing with the schools it is to bring
 * (`enroll --expect`).
 */
#ifndef RCL_AGG_TIMELINESS_H
#define RCL_AGG_TIMELINESS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "rcl_time.h" /* rcl_agg_time_local */

/*
 * Parses a deadline: YYYY-MM-DD[(T| )HH:MM[:SS]][Z|+HH:MM|-HH:MM|+HHMM|+HH].
 * Without a zone the time is the server's local time; a date alone is the
 * end of that day (23:59:59 local). Returns 0 with *out in unix seconds, or
 * -1 when s is not such a time (or not a real calendar date).
 */
int rcl_agg_deadline_parse(const char *s, int64_t *out);

/* The local calendar day of t as YYYY-MM-DD. */
void rcl_agg_day_local(int64_t t, char out[11]);

/* The store's deadline (meta deadline) in unix seconds, 0 when none is set. */
int64_t rcl_agg_deadline_get(sqlite3 *db);
/* Sets the store's deadline (0 clears it), in the caller's transaction or alone. 0, or -1. */
int rcl_agg_deadline_set(sqlite3 *db, int64_t at);

/* One day of the series. */
struct rcl_agg_day {
    char day[11]; /* YYYY-MM-DD, local */
    uint64_t expected, reported;
};

/*
 * Writes today's row of the series (local day of now) from the store's
 * current figures, inside the caller's transaction. 0, or -1 (logged).
 */
int rcl_agg_series_note(sqlite3 *db, int64_t now);

/*
 * Reads the whole series, oldest day first, into *days (malloc'd, *n rows;
 * NULL and 0 when empty). 0, or -1.
 */
int rcl_agg_series_read(sqlite3 *db, struct rcl_agg_day **days, size_t *n);

#endif

/*
 * agg_departures.h - a county's record of the students its schools removed,
 * and the ones transferred out that no school of the county holds.
 *
 * Every tombstone a school sends (and every one its new epoch's snapshot
 * repeats) is kept in departures: school, pseudonym, name, grade, class,
 * reason, destination school, date. The student's row itself is deleted as
 * before, so totals drop at once.
 */
#ifndef RCL_AGG_DEPARTURES_H
#define RCL_AGG_DEPARTURES_H

#include <sqlite3.h>
#include <stdint.h>

#include "rcl_model.h"

/* Records school's departure d (inside the caller's transaction). 0, or -1 logged. */
int rcl_agg_departure_put(sqlite3 *db, const char *school, const struct rcl_departure *d,
                          int64_t now);

/* One row of departures. */
struct rcl_agg_departure {
    char school_id[RCL_ID_MAX + 1];
    struct rcl_departure d;
};

/*
 * Calls fn for each student transferred out of a school of this county whose
 * pseudonym is enrolled at no school of the county (the destination has not
 * received them, or they went beyond the county), by school, date and name.
 * A non-zero return from fn stops the walk and is returned. Returns 0, or -1
 * on a store error (logged).
 */
int rcl_agg_departures_unreceived(sqlite3 *db,
                                  int (*fn)(void *arg, const struct rcl_agg_departure *row),
                                  void *arg);

#endif

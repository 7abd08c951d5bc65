/*
 * agg_profile.h - what a county keeps of its schools' records beyond the
 * counted fields: each school's profile (platforms, teaching materials,
 * contact role, parent school of a teaching point) and each student's
 * measure details as JSON.
 */
#ifndef RCL_AGG_PROFILE_H
#define RCL_AGG_PROFILE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "rcl_codec.h"

/*
 * Writes p into school_profiles and school_platforms (inside the caller's
 * transaction), replacing what the school said before. 0, or -1 logged.
 */
int rcl_agg_profile_put(sqlite3 *db, const struct rcl_school_profile *p, int64_t now);

/*
 * The student's measures as a JSON array, one object per measure in order:
 * {"kind", "status", "helper_role", "start_date", "end_date"}. Returns a
 * malloc'd string the caller frees, or NULL when out of memory.
 */
char *rcl_agg_measure_details_json(const struct rcl_student *s);

#endif

/*
 * rcl_time.h - times as the people who read them expect: local time with
 * its offset. Both programs show times so (the county's lists and
 * dashboard, the school's page).
 */
#ifndef RCL_TIME_H
#define RCL_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Writes t as local time with its offset ("2020-03-06 18:00 +0800"); "" for t <= 0. */
void rcl_agg_time_local(int64_t t, char *out, size_t outlen);

#endif

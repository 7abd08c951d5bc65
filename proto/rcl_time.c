/*
 * rcl_time.c - local times for people (see rcl_time.h).
 */
#include "rcl_time.h"

#include <stdio.h>
#include <time.h>

void rcl_agg_time_local(int64_t t, char *out, size_t outlen)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (t <= 0 || !localtime_r(&tt, &tm) || strftime(out, outlen, "%Y-%m-%d %H:%M %z", &tm) == 0)
        snprintf(out, outlen, "%s", "");
}

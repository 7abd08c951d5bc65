/*
 * rcl_time.c - local times for people (see rcl_time.h).
 */
#include "rcl_time.h"

#include <stdio.h>
#include <time.h>

#include "rcl_platform.h"

void rcl_agg_time_local(int64_t t, char *out, size_t outlen)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (t <= 0 || rcl_localtime(tt, &tm) != 0 || strftime(out, outlen, "%Y-%m-%d %H:%M %z", &tm) == 0)
        snprintf(out, outlen, "%s", "");
}

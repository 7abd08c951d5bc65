/*
 * agg_tier.c - which tier's operations a store uses (see agg_tier.h).
 */
#include "agg_tier.h"

#include <string.h>

const struct rcl_agg_tier_ops *rcl_agg_tier_of(const struct rcl_agg_config *cfg)
{
    return cfg->tier == RCL_AGG_COUNTY ? &rcl_agg_tier_county : &rcl_agg_tier_upper;
}

bool rcl_agg_holds_students(const struct rcl_agg_config *cfg)
{
    return rcl_agg_tier_of(cfg)->holds_students;
}

const char *rcl_agg_change_words(enum rcl_change_kind kind)
{
    static const char *const words[] = {
        [RCL_CHANGE_STUDENT] = "a student record",
        [RCL_CHANGE_REMOVED] = "a student removal",
        [RCL_CHANGE_SCHOOL] = "a school profile",
        [RCL_CHANGE_SUMMARY] = "a school summary",
        [RCL_CHANGE_SNAPSHOT_END] = "the end of a snapshot",
        [RCL_CHANGE_SCHOOL_REMOVED] = "a school removal",
        [RCL_CHANGE_KEY_ROTATION] = "a key rotation",
    };

    return (size_t)kind < sizeof(words) / sizeof(words[0]) && words[kind] ? words[kind]
                                                                          : "a change";
}

bool rcl_agg_child_covers(const char *child, const char *county)
{
    size_t n = strlen(child);

    for (size_t i = 0; i < n; i++)
        if (child[i] < '0' || child[i] > '9')
            return true;
    if (n == 6)
        return strcmp(child, county) == 0;
    if (n == 4)
        return strncmp(child, county, 4) == 0;
    return true;
}

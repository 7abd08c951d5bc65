/*
 * rcl_counts.c - the list of rcl_counts.h as a table of names, and each
 * count's place in struct rcl_totals.
 */
#include "rcl_counts.h"

#include <stddef.h>

/* The struct holds the listed counts and nothing else. */
_Static_assert(sizeof(struct rcl_totals) == RCL_COUNTS_N * sizeof(uint64_t),
               "struct rcl_totals and RCL_SUMMARY_COUNTS list different counts");

#define INFO_ONE(A, name, member, zh, en) {#name, NULL, #name, #name, zh, en},
#define INFO_SET(A, set, key, index, zh, en) {#set "_" #key, #set, #key, #set "." #key, zh, en},
const struct rcl_count_info rcl_counts[RCL_COUNTS_N] = {RCL_SUMMARY_COUNTS(INFO_ONE, INFO_SET, ~)};

uint64_t *rcl_count_at(struct rcl_totals *t, enum rcl_count k)
{
#define AT(column, member)                                                                         \
    case RCL_COUNT_##column:                                                                       \
        return &t->member;
    switch (k) {
        RCL_SUMMARY_COLUMNS(AT)
    case RCL_COUNTS_N:
        break;
    }
#undef AT
    return NULL;
}

uint64_t rcl_count_get(const struct rcl_totals *t, enum rcl_count k)
{
    return *rcl_count_at((struct rcl_totals *)t, k);
}

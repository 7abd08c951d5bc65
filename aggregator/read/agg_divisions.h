/*
 * agg_divisions.h - the names of administrative divisions, read from a CSV
 * file given to `report --divisions` (the layout of Henan's table:
 * code,name,city_code,city_name,kind,reports_to; only code and name are
 * required, columns in any order, unknown ones ignored).
 *
 * A store knows codes, not names: a report that is given this table shows
 * each county's name and city, and names the children that have none.
 */
#ifndef RCL_AGG_DIVISIONS_H
#define RCL_AGG_DIVISIONS_H

#include <stddef.h>

#include "rcl_model.h"

struct rcl_agg_division {
    char code[RCL_ID_MAX + 1];
    char name[RCL_NAME_MAX + 1];
    char city_code[RCL_ID_MAX + 1]; /* "" when not given */
    char city_name[RCL_NAME_MAX + 1];
    char reports_to[RCL_ID_MAX + 1];
};

struct rcl_agg_divisions {
    struct rcl_agg_division *rows; /* sorted by code */
    size_t n;
};

/*
 * Reads path into *out (caller frees with rcl_agg_divisions_free). Returns
 * 0, or -1 with err saying what and where ("FILE:LINE: reason") and *out
 * empty.
 */
int rcl_agg_divisions_load(const char *path, struct rcl_agg_divisions *out, char *err,
                           size_t errlen);

void rcl_agg_divisions_free(struct rcl_agg_divisions *d);

/* The row of code, or NULL. */
const struct rcl_agg_division *rcl_agg_divisions_find(const struct rcl_agg_divisions *d,
                                                      const char *code);

/* The province every code here lies in (the first two digits of a county code). */
#define RCL_AGG_PROVINCE_CODE "41"
#define RCL_AGG_PROVINCE_NAME "河南省"
#define RCL_AGG_PROVINCE_NAME_EN "Henan Province"

/*
 * The name of code as a division or, failing that, as a city; the province's
 * name for RCL_AGG_PROVINCE_CODE when the table does not list it (d may be
 * empty or NULL); NULL when unknown.
 */
const char *rcl_agg_divisions_name(const struct rcl_agg_divisions *d, const char *code);

/* The English name of code where one is known (the province's), or NULL. */
const char *rcl_agg_divisions_name_en(const char *code);

#endif

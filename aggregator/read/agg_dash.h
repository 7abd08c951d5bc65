/*
 * agg_dash.h - the operator's dashboard: one self-contained HTML page (inline
 * style and SVG charts, no script, nothing fetched) with the totals,
 * completeness, the schools that are stale or never reported, the upstream
 * queue and, at a county, the blind-spot list: the students without
 * conditions or absent who have no measure in place (DESIGN.md), by name.
 *
 * Every text from the store is HTML-escaped. Lists are cut at
 * RCL_AGG_DASH_LIST_MAX rows (the page says how many more there are), so
 * the page stays bounded whatever the store holds.
 */
#ifndef RCL_AGG_DASH_H
#define RCL_AGG_DASH_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agg_store.h"

#define RCL_AGG_DASH_LIST_MAX 500

/*
 * Writes the page as of now (unix seconds), reading db in one read
 * transaction. Returns 0, or -1 with err set (nothing useful was written).
 */
int rcl_agg_dash_write(sqlite3 *db, const struct rcl_agg_config *cfg, int64_t now, FILE *out,
                       char *err, size_t errlen);

/* Writes into out the lists the page shows at cfg's tier, as their kinds joined by ","
 * ("none" when it shows no list): what the log says a viewer saw. */
void rcl_agg_dash_lists(const struct rcl_agg_config *cfg, char *out, size_t outlen);

#endif

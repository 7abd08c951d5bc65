/*
 * agg_status.h - what `rollcall-agg status` prints: the configuration, each
 * source's sync state, and the queue toward the upstream.
 */
#ifndef RCL_AGG_STATUS_H
#define RCL_AGG_STATUS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>

#include "agg_store.h"

/* Writes the status as text, or as one JSON object. Returns 0, or -1 (store error, logged). */
int rcl_agg_status_write(sqlite3 *db, const struct rcl_agg_config *cfg, bool json, FILE *out);

#endif

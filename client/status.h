/*
 * status.h - `rollcall-school status`: who this school is, where it syncs
 * to, and what is still waiting for an acknowledgement.
 *
 * Text for people by default, in lang: English as operators read it (times
 * in UTC), or Chinese as the page says it (in local time); with json one object with the keys
 * school, county, name, upstream, public_key, students, pending, last_seq, acked_seq and acked_at
 * (unix seconds, 0 when nothing was ever acknowledged), and key_rotation: {new_public_key, seq}
 * while a key rotation waits for the county's acknowledgement, else null.
 */
#ifndef RCL_SCHOOL_STATUS_H
#define RCL_SCHOOL_STATUS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>

#include "school_store.h"
#include "sheet.h"

/* Writes the status to out. Returns 0, or -1 on a store error (logged). */
int rcl_school_status(sqlite3 *db, const struct rcl_school_meta *m, bool json,
                      enum rcl_sheet_lang lang, FILE *out);

#endif

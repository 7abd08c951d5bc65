/*
 * agg_audit.h - tamper evidence: the log of every applied batch, refused
 * batches kept aside, and `rollcall-agg audit`, which checks them.
 *
 * Each source's batches form a hash chain (every batch names the digest of
 * the one before). The log keeps each applied batch's range, digest and
 * previous digest, so the chain can be checked after the fact, and a county's
 * summaries name the school batch they include, so the check extends to what
 * went upward. A refused batch is kept (its first RCL_AGG_REFUSED_KEEP_BYTES
 * bytes, the newest RCL_AGG_REFUSED_KEEP_ROWS of them) with its reason.
 */
#ifndef RCL_AGG_AUDIT_H
#define RCL_AGG_AUDIT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "agg_store.h"
#include "rcl_codec.h"

#define RCL_AGG_REFUSED_KEEP_BYTES (64 * 1024)
#define RCL_AGG_REFUSED_KEEP_ROWS 1000

/* Logs an applied batch (inside the ingest transaction). 0, or -1 logged. */
int rcl_agg_batch_log(sqlite3 *db, const struct rcl_batch_header *h,
                      const uint8_t digest[RCL_DIGEST_BYTES], size_t n_changes, int64_t now);

/* Keeps a refused message and its reason: its own transaction, or a savepoint in the
 * caller's when one is open (`run` applies batches in groups). 0, or -1 logged. */
int rcl_agg_refused_keep(sqlite3 *db, const char *source, const char *reason, const uint8_t *buf,
                         size_t len, int64_t now);

/*
 * Checks every source's chain of applied batches and, at a county, that each
 * school's summary names the batch last applied; lists refused batches.
 * Writes a report (text, or one JSON object) to out. Returns the number of
 * breaks found (0: sound), or -1 on a store error (logged).
 */
int rcl_agg_audit(sqlite3 *db, const struct rcl_agg_config *cfg, bool json, FILE *out);

#endif

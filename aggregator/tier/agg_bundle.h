/*
 * agg_bundle.h - `rollcall-agg import-bundle`: applying a bundle file that
 * a school without any link carried in (written by `rollcall-school
 * bundle`; the format is specified in proto/wire/rcl_bundle.h).
 *
 * The whole file is checked first -- header, every batch's framing, the
 * trailer's count and BLAKE2b digest, each envelope's source -- and nothing
 * is applied from a file that fails. Then every envelope goes through
 * rcl_agg_ingest, the path batches take over the network, with the
 * envelope's own source as the connection's user id: the signature is
 * verified against the key enrolled for that source, revoked and unknown
 * sources are refused, and a batch already held is not applied again.
 */
#ifndef RCL_AGG_BUNDLE_H
#define RCL_AGG_BUNDLE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agg_store.h"
#include "rcl_bundle.h"
#include "rcl_model.h"

/* A bigger file is refused unread: a school's bundle is a few MiB. */
#define RCL_AGG_BUNDLE_BYTES_MAX ((size_t)1 << 30)

/* One batch of a bundle; envelope points into the bundle's data. */
struct rcl_agg_bundle_batch {
    uint64_t first_seq;
    uint64_t last_seq;
    size_t offset; /* where its 'B' tag is in the file */
    const uint8_t *envelope;
    size_t envelope_len;
};

struct rcl_agg_bundle {
    char source[RCL_ID_MAX + 1];
    int64_t created_at;
    size_t n_batches;
    struct rcl_agg_bundle_batch *batches;
    uint8_t *data; /* the whole file */
    size_t size;
};

/*
 * Checks a bundle held in memory (data, size bytes, from the file called
 * name) and lists its batches. Returns a new bundle that takes ownership of
 * data (on success only), or NULL with "name: offset: reason" in err.
 */
struct rcl_agg_bundle *rcl_agg_bundle_parse(uint8_t *data, size_t size, const char *name, char *err,
                                            size_t errlen);

/* Reads and checks the file at path. NULL with "path: offset: reason" in err. */
struct rcl_agg_bundle *rcl_agg_bundle_read(const char *path, char *err, size_t errlen);

void rcl_agg_bundle_destroy(struct rcl_agg_bundle **b);

/*
 * Imports the bundle at path into the store: one line per batch on out
 * (applied, already held, refused: reason, gap: resend from N), a summary,
 * and what went wrong, with the batch, in the log. Stops at the first batch
 * that is neither applied nor already held. Returns 0 when every batch was
 * applied or already held, 1 otherwise.
 */
int rcl_agg_bundle_import(sqlite3 *db, const struct rcl_agg_config *cfg, const char *path,
                          FILE *out);

#endif

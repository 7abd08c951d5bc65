/*
 * agg_exchange_file.h - the exchange's files (agg_exchange.h): reading one
 * whole and checking its shape, walking its digest lines, verifying its
 * signature, and writing a new one signed with the store's key.
 *
 * The files are text, one line each, so an officer can see what is handed on:
 *
 *   rollcall-exchange digests 2        rollcall-exchange matches 2
 *   from 411381                        from 41
 *   made <seconds since 1970>          to 411381
 *   <64 hex: a digest>...              made <seconds since 1970>
 *   signature <128 hex>                <county> <64 hex: a digest>...
 *                                      signature <128 hex>
 *
 * A city passes its counties' latest sets up in a file of its own:
 *
 *   rollcall-exchange city-digests 1
 *   from 4101
 *   made <seconds since 1970>
 *   <county> <64 hex: a digest>...     (<county> - : a county of no digests)
 *   signature <128 hex>
 *
 * and hands the matches its upstream made for a county down re-signed as its
 * own, so every file is verified against the key of the tier that hands it
 * over. The signature is rcl_sign over every byte before its line, under a
 * domain of its own for each kind, so none can pass for another or for a
 * batch. Files of version 1 (no made line) count as made before any dated one.
 */
#ifndef RCL_AGG_EXCHANGE_FILE_H
#define RCL_AGG_EXCHANGE_FILE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "agg_store.h"
#include "rcl_keys.h"

enum rcl_agg_exchange_kind {
    RCL_AGG_EXCHANGE_DIGESTS, /* a county's digests */
    RCL_AGG_EXCHANGE_MATCHES, /* the matches made for one county */
    RCL_AGG_EXCHANGE_CITY,    /* a city's sets of its counties */
};

/* A file read whole; buf is malloc'd and the caller frees it (also after a failed read). */
struct rcl_agg_exchange_file {
    char *buf;
    size_t len; /* the signed part: every byte before the signature line */
    uint8_t sig[RCL_SIG_BYTES];
    enum rcl_agg_exchange_kind kind;
    int64_t made; /* seconds since 1970; 0 for a file of version 1 */
    char from[RCL_ID_MAX + 1], to[RCL_ID_MAX + 1];
    size_t body;        /* where the digest lines start */
    unsigned body_line; /* the line number of the first of them */
};

/*
 * Reads path whole into x and checks its shape: header, from (and to), made,
 * a final signature line. 0, or -1 with err ("path:LINE: reason").
 */
int rcl_agg_exchange_file_read(const char *path, struct rcl_agg_exchange_file *x, char *err,
                               size_t errlen);

/*
 * Calls fn for each digest line of the signed part: "HEX" (a county's
 * digests), "COUNTY HEX" (matches, a city's sets) or "COUNTY -" (a city's
 * county of no digests: digest NULL); county is "" for a county's digests.
 * fn may say why it refused a line in why. *n counts the digests. 0, or -1
 * with err ("path:LINE: reason").
 */
int rcl_agg_exchange_file_each_line(const struct rcl_agg_exchange_file *x, const char *path,
                                    int (*fn)(void *arg, const char *county, const uint8_t *digest,
                                              char *why, size_t whylen),
                                    void *arg, uint64_t *n, char *err, size_t errlen);

/* Whether x's signature verifies under pk, in the domain of its kind: 0, or -1. */
int rcl_agg_exchange_file_verify(const struct rcl_agg_exchange_file *x,
                                 const uint8_t pk[RCL_PK_BYTES]);

/*
 * Writes a file of kind to the new file path: its header, from (and to, for
 * matches) and made lines, then a line per row of st ("HEX" of column 0 for
 * a county's digests; else "COUNTY HEX" of columns 0 and 1, "COUNTY -" for
 * a NULL digest), signed with the store's key. *n gets the digest lines.
 * 0, or -1 with err.
 */
int rcl_agg_exchange_file_write(sqlite3 *db, sqlite3_stmt *st, enum rcl_agg_exchange_kind kind,
                                const char *from, const char *to, int64_t made, const char *path,
                                uint64_t *n, char *err, size_t errlen);

/* Writes len bytes to the new file path (mode 0600; an existing file is refused). 0, or -1. */
int rcl_agg_exchange_file_new(const char *path, const char *data, size_t len, char *err,
                              size_t errlen);

#endif

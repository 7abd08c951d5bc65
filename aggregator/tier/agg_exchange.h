/*
 * agg_exchange.h - students enrolled in two counties, found without the
 * province learning who they are.
 *
 * The counties share an exchange key the province never holds (`exchange
 * key`). A county sends the province a file, signed with its identity key,
 * of the keyed digests BLAKE2b-256(pseudonym, exchange key) of its students
 * and of those transferred out that none of its schools received. The
 * province keeps each county's latest set, counts the digests each pair of
 * counties shares (the report's "exchange"), and gives each county a signed
 * file of its digests found in another county. Only a county, which holds
 * the key, can tell whose digests they are: `list elsewhere` names them.
 *
 * The province cannot test a guessed student number against a digest (it
 * lacks the exchange key), so what it learns is counts.
 */
#ifndef RCL_AGG_EXCHANGE_H
#define RCL_AGG_EXCHANGE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agg_store.h"

/*
 * A county's exchange key: a new random one written to the new file path
 * (mode 0600, refusing an existing file), or one read from path (made by
 * another county). Either way stored in the county's store; matches kept
 * under an earlier key are dropped. 0, or -1 with err ("path: reason").
 */
int rcl_agg_exchange_key_new(sqlite3 *db, const struct rcl_agg_config *cfg, const char *path,
                             char *err, size_t errlen);
int rcl_agg_exchange_key_import(sqlite3 *db, const struct rcl_agg_config *cfg, const char *path,
                                char *err, size_t errlen);

/*
 * A county: writes its signed digests file to the new file path. *n gets
 * how many digests. 0, or -1 with err.
 */
int rcl_agg_exchange_digests_write(sqlite3 *db, const struct rcl_agg_config *cfg, const char *path,
                                   uint64_t *n, char *err, size_t errlen);

/* What an import did, for the command's one line. */
struct rcl_agg_exchange_result {
    int digests_file; /* 1: a county's digests, 2: a city's sets of its counties, 0: matches */
    char from[RCL_ID_MAX + 1];
    char to[RCL_ID_MAX + 1]; /* matches: the county they are for */
    uint64_t units;          /* digests: the counties whose sets the file replaced */
    uint64_t digests;        /* the digests of the file */
    uint64_t students;       /* a county: its students and transfers found in another county */
};

/*
 * Applies a file: at a city or the province, a county's digests (the signer
 * must be enrolled here and not revoked; its earlier set is replaced); at a
 * county, the matches its upstream made for it (signed by the upstream's key,
 * for this county). All or nothing: a bad signature, an unknown signer or a
 * malformed line changes nothing ("path:LINE: reason" in err). 0, or -1.
 */
int rcl_agg_exchange_import(sqlite3 *db, const struct rcl_agg_config *cfg, const char *path,
                            struct rcl_agg_exchange_result *res, char *err, size_t errlen);

/*
 * At a city or the province: writes for county the signed file of its
 * digests that another county's set holds too, to the new file path. *n
 * gets how many (digest, other county) lines. 0, or -1 with err.
 */
int rcl_agg_exchange_matches_write(sqlite3 *db, const struct rcl_agg_config *cfg,
                                   const char *county, const char *path, uint64_t *n, char *err,
                                   size_t errlen);

/* One pair of counties and the digests both sets hold (a < b). */
struct rcl_agg_exchange_pair {
    char a[RCL_ID_MAX + 1], b[RCL_ID_MAX + 1];
    uint64_t shared;
};

/*
 * Calls fn for every pair of counties sharing at least one digest, by a then
 * b. A non-zero return from fn stops the walk and is returned; -1 on a store
 * error.
 */
int rcl_agg_exchange_pairs(sqlite3 *db, int (*fn)(void *arg, const struct rcl_agg_exchange_pair *p),
                           void *arg);

#endif

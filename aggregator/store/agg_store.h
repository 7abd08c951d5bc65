/*
 * agg_store.h - the aggregator's SQLite store: its configuration (meta),
 * its identity key, and the registry of sources (schools below a county,
 * aggregators below a city or the province).
 *
 * The schema and every statement are in agg_sql.h.
 */
#ifndef RCL_AGG_STORE_H
#define RCL_AGG_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcl_keys.h"
#include "rcl_model.h"

#define RCL_AGG_ENDPOINT_MAX 255
#define RCL_AGG_STALE_DEFAULT (7 * 86400)

enum rcl_agg_tier { RCL_AGG_COUNTY, RCL_AGG_CITY, RCL_AGG_PROVINCE, RCL_AGG_TIER_COUNT };

extern const char *const rcl_agg_tier_names[RCL_AGG_TIER_COUNT];
/* The same tiers in Chinese, for pages people read (区县, 市, 省). */
extern const char *const rcl_agg_tier_zh[RCL_AGG_TIER_COUNT];

/* Parses "county" / "city" / "province". Returns 0, or -1. */
int rcl_agg_tier_parse(const char *word, enum rcl_agg_tier *out);

/* What `init` stored in meta. */
struct rcl_agg_config {
    char id[RCL_ID_MAX + 1];
    enum rcl_agg_tier tier;
    char listen[RCL_AGG_ENDPOINT_MAX + 1];
    bool has_upstream;
    char upstream[RCL_AGG_ENDPOINT_MAX + 1];
    uint8_t upstream_key[RCL_PK_BYTES];
    int64_t stale_seconds;
};

/* True for "tcp://HOST:PORT" that fits RCL_AGG_ENDPOINT_MAX. */
bool rcl_agg_endpoint_valid(const char *endpoint);

/* True for a 10-digit school code. */
bool rcl_agg_school_code_valid(const char *id);

/*
 * Creates the store at path (refusing an existing file) for cfg, generates
 * the node's identity key and writes its public half into pk. On failure the
 * half-made file is removed and err says why ("path: reason"). Returns 0/-1.
 */
int rcl_agg_store_create(const char *path, const struct rcl_agg_config *cfg,
                         uint8_t pk[RCL_PK_BYTES], char *err, size_t errlen);

/*
 * Opens an existing store (running pending migrations) and reads its
 * configuration into cfg (may be NULL). Sets a busy time-out so commands
 * work while `run` holds the store. NULL with err on failure.
 */
sqlite3 *rcl_agg_store_open(const char *path, struct rcl_agg_config *cfg, char *err, size_t errlen);

/* Reads the node's key pair. sk, when not NULL, must be wiped by the caller. 0/-1. */
int rcl_agg_store_keys(sqlite3 *db, uint8_t pk[RCL_PK_BYTES], uint8_t sk[RCL_SK_BYTES]);

/* One row of the registry. */
struct rcl_agg_source {
    char id[RCL_ID_MAX + 1];
    uint8_t public_key[RCL_PK_BYTES];
    uint8_t curve_pk[RCL_CURVE_KEY_BYTES];
    bool revoked;
    uint64_t epoch;
    uint64_t applied_seq;
    bool has_digest;
    uint8_t applied_digest[RCL_DIGEST_BYTES];
    int64_t last_batch_at;
    int64_t enrolled_at;
    char name[RCL_NAME_MAX + 1];
    char county[RCL_COUNTY_LEN + 1];
    bool snapshot_open;      /* a snapshot of a new epoch is arriving (agg_snapshot.h) */
    uint64_t expect_schools; /* an aggregator: the schools it is to bring (0: not said) */
};

/* Looks a source up by id. Returns 1 found, 0 not enrolled, -1 store error (logged). */
int rcl_agg_source_get(sqlite3 *db, const char *id, struct rcl_agg_source *out);

/*
 * Calls fn for every source in id order; a non-zero return from fn stops
 * the walk and is returned. -1 on a store error.
 */
int rcl_agg_source_each(sqlite3 *db, int (*fn)(void *arg, const struct rcl_agg_source *s),
                        void *arg);

enum rcl_agg_enroll_result {
    RCL_AGG_ENROLLED,    /* a new source */
    RCL_AGG_REKEYED,     /* known source, new key: the key is replaced, sequence restarts */
    RCL_AGG_UNREVOKED,   /* known source, same key, was revoked: admitted again */
    RCL_AGG_UNCHANGED,   /* known source, same key, active: nothing to do */
    RCL_AGG_KEY_IN_USE,  /* the key is enrolled for another source: refused */
    RCL_AGG_NOT_A_SCHOOL /* a county's source must be a 10-digit school code: refused */
};

/*
 * Enrolls source with identity key pk, in one transaction. At a county the
 * school also gets a summary row (reported = 0) that is queued upstream,
 * when there is an upstream, so the tier above knows the school is
 * expected. other_source receives the owner's id for RCL_AGG_KEY_IN_USE.
 * Returns 0 with *result set, or -1 on a store error (err says why).
 */
int rcl_agg_enroll(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                   const uint8_t pk[RCL_PK_BYTES], enum rcl_agg_enroll_result *result,
                   char other_source[RCL_ID_MAX + 1], int64_t now, char *err, size_t errlen);
/* What an operator may say of a source when enrolling it. */
struct rcl_agg_enrollee {
    const char *name; /* NULL: keep; a never-reported school is listed by it */
    int64_t
        expect_schools; /* an aggregator's schools, counted missing while it is silent; -1 keep */
};

/* rcl_agg_enroll, also recording who's name and expected schools (in the same transaction). */
int rcl_agg_enroll_described(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                             const uint8_t pk[RCL_PK_BYTES], const struct rcl_agg_enrollee *who,
                             enum rcl_agg_enroll_result *result, char other_source[RCL_ID_MAX + 1],
                             int64_t now, char *err, size_t errlen);
/* The same inside the caller's transaction, for enrolling many at once (agg_enroll_file.h). */
int rcl_agg_enroll_in_tx(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                         const uint8_t pk[RCL_PK_BYTES], enum rcl_agg_enroll_result *result,
                         char other_source[RCL_ID_MAX + 1], int64_t now, char *err, size_t errlen);

/*
 * Applies a key rotation that arrived in a batch signed by source's current
 * key old_pk (inside the caller's transaction): the proof must verify under
 * the new key, which must be a valid key no other source holds. The
 * source's sequence and history go on. Returns 0 rotated, 1 refused (why
 * says why), -1 store error (logged).
 */
int rcl_agg_source_rotate(sqlite3 *db, const char *source, const uint8_t old_pk[RCL_PK_BYTES],
                          const uint8_t new_pk[RCL_PK_BYTES], const uint8_t proof[RCL_SIG_BYTES],
                          char *why, size_t whylen);

/* Revokes source. Returns 1 revoked, 2 was already revoked, 0 not enrolled, -1 store error. */
int rcl_agg_revoke(sqlite3 *db, const char *source);

/* The county code a county's new summaries start with: its own id when that is 6 digits. */
void rcl_agg_default_county(const struct rcl_agg_config *cfg, char out[RCL_COUNTY_LEN + 1]);

#endif

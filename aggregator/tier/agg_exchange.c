/*
 * agg_exchange.c - the cross-county exchange of keyed digests (agg_exchange.h):
 * a county's key and digests, taking in a county's or a city's sets, the
 * matches made for a county, a city relaying them down. The files
 * themselves are agg_exchange_file.c's.
 */
#include "agg_exchange.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "agg_exchange_file.h"
#include "agg_ingest.h"
#include "agg_sql.h"
#include "rcl_db.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_platform.h"
#include "rcl_time.h"

#define META_MATCHES_MADE "exchange_matches_made"
#define META_KEY "exchange_key"

static int store_error(sqlite3 *db, char *err, size_t errlen)
{
    snprintf(err, errlen, "the store failed: %s", sqlite3_errmsg(db));
    return -1;
}

static int need_county(const struct rcl_agg_config *cfg, const char *what, char *err, size_t errlen)
{
    if (cfg->tier == RCL_AGG_COUNTY)
        return 0;
    snprintf(err, errlen, "%s: only a county holds students to exchange (%s is a %s)", what,
             cfg->id, rcl_agg_tier_names[cfg->tier]);
    return -1;
}

/* ---- the key ---- */

static int key_store(sqlite3 *db, const uint8_t key[RCL_SECRET_KEY_BYTES], char *err, size_t errlen)
{
    if (rcl_db_begin(db) != 0)
        return store_error(db, err, errlen);
    /* Matches found under another key name digests this key does not make. */
    if (rcl_meta_set_blob(db, META_KEY, key, RCL_SECRET_KEY_BYTES) != 0 ||
        rcl_db_exec(db, RCL_AGG_SQL_EXCHANGE_MATCHES_CLEAR, "exchange key") != 0 ||
        rcl_db_commit(db) != 0) {
        rcl_db_rollback(db);
        return store_error(db, err, errlen);
    }
    return 0;
}

int rcl_agg_exchange_key_new(sqlite3 *db, const struct rcl_agg_config *cfg, const char *path,
                             char *err, size_t errlen)
{
    uint8_t key[RCL_SECRET_KEY_BYTES];
    char hex[2 * RCL_SECRET_KEY_BYTES + 2];
    int rc = -1;

    if (need_county(cfg, "exchange key", err, errlen) != 0)
        return -1;
    randombytes_buf(key, sizeof(key));
    sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
    strcat(hex, "\n");
    if (rcl_agg_exchange_file_new(path, hex, strlen(hex), err, errlen) == 0) {
        rc = key_store(db, key, err, errlen);
        if (rc != 0)
            rcl_unlink(path);
    }
    sodium_memzero(key, sizeof(key));
    sodium_memzero(hex, sizeof(hex));
    return rc;
}

int rcl_agg_exchange_key_import(sqlite3 *db, const struct rcl_agg_config *cfg, const char *path,
                                char *err, size_t errlen)
{
    uint8_t key[RCL_SECRET_KEY_BYTES];
    int rc = -1;

    if (need_county(cfg, "exchange key", err, errlen) != 0)
        return -1;
    if (rcl_secret_key_file_read(path, "exchange key", key, err, errlen) == 0)
        rc = key_store(db, key, err, errlen);
    sodium_memzero(key, sizeof(key));
    return rc;
}

/* exchange_digest(pseudonym): BLAKE2b-256 of the pseudonym keyed with the county's key. */
static void sql_digest(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const uint8_t *key = sqlite3_user_data(ctx);
    uint8_t out[RCL_DIGEST_BYTES];

    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
        sqlite3_result_null(ctx);
        return;
    }
    crypto_generichash(out, sizeof(out), sqlite3_value_blob(argv[0]),
                       (size_t)sqlite3_value_bytes(argv[0]), key, RCL_SECRET_KEY_BYTES);
    sqlite3_result_blob(ctx, out, sizeof(out), SQLITE_TRANSIENT);
}

/* Reads the county's key into key and lets SQL use it as exchange_digest(). 0, or -1. */
static int digest_function(sqlite3 *db, const struct rcl_agg_config *cfg,
                           uint8_t key[RCL_SECRET_KEY_BYTES], char *err, size_t errlen)
{
    if (rcl_meta_get_blob(db, META_KEY, key, RCL_SECRET_KEY_BYTES) != 0) {
        snprintf(err, errlen,
                 "county %s has no exchange key: make one (exchange key --new FILE) or take the "
                 "other counties' (exchange key --import FILE)",
                 cfg->id);
        return -1;
    }
    if (sqlite3_create_function(db, "exchange_digest", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, key,
                                sql_digest, NULL, NULL) != SQLITE_OK)
        return store_error(db, err, errlen);
    return 0;
}

/* The function's key is the caller's, gone after the command: it goes before the key does. */
static void digest_function_drop(sqlite3 *db)
{
    sqlite3_create_function(db, "exchange_digest", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                            NULL, NULL, NULL);
}

int rcl_agg_exchange_digests_write(sqlite3 *db, const struct rcl_agg_config *cfg, const char *path,
                                   uint64_t *n, char *err, size_t errlen)
{
    uint8_t key[RCL_SECRET_KEY_BYTES];
    sqlite3_stmt *st = NULL;
    bool city = cfg->tier == RCL_AGG_CITY;
    int ret = -1;

    *n = 0;
    if (cfg->tier == RCL_AGG_PROVINCE) {
        snprintf(err, errlen,
                 "exchange digests: the province hands digests to nobody (a county writes its "
                 "own, a city its counties')");
        return -1;
    }
    /* A city holds no key: it passes on the sets its counties made. */
    if (!city && digest_function(db, cfg, key, err, errlen) != 0)
        goto out;
    if (!(st = rcl_db_prepare(db,
                              city ? RCL_AGG_SQL_EXCHANGE_SETS : RCL_AGG_SQL_EXCHANGE_DIGESTS))) {
        store_error(db, err, errlen);
        goto out;
    }
    ret =
        rcl_agg_exchange_file_write(db, st, city ? RCL_AGG_EXCHANGE_CITY : RCL_AGG_EXCHANGE_DIGESTS,
                                    cfg->id, NULL, (int64_t)time(NULL), path, n, err, errlen);
out:
    sqlite3_finalize(st);
    if (!city) {
        digest_function_drop(db);
        sodium_memzero(key, sizeof(key));
    }
    return ret;
}

int rcl_agg_exchange_matches_write(sqlite3 *db, const struct rcl_agg_config *cfg,
                                   const char *county, const char *path, uint64_t *n, char *err,
                                   size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *n = 0;
    if (cfg->tier == RCL_AGG_COUNTY) {
        snprintf(err, errlen, "exchange matches: a county holds no other county's digests");
        return -1;
    }
    if (!(st = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_UNIT_KNOWN)))
        return store_error(db, err, errlen);
    sqlite3_bind_text(st, 1, county, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) {
        if (rc != SQLITE_DONE)
            return store_error(db, err, errlen);
        snprintf(err, errlen, "exchange matches: county %s has sent no digests here", county);
        return -1;
    }
    if (!(st = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_MATCHES)))
        return store_error(db, err, errlen);
    sqlite3_bind_text(st, 1, county, -1, SQLITE_STATIC);
    rc = rcl_agg_exchange_file_write(db, st, RCL_AGG_EXCHANGE_MATCHES, cfg->id, county,
                                     (int64_t)time(NULL), path, n, err, errlen);
    sqlite3_finalize(st);
    return rc;
}

/* The refusal of a file older than what is held of unit: nothing changes. */
static void stale(char *why, size_t whylen, const char *what, const char *unit, int64_t held,
                  int64_t made)
{
    char h[64], m[64];

    rcl_agg_time_local(held, h, sizeof(h));
    rcl_agg_time_local(made, m, sizeof(m));
    snprintf(why, whylen,
             "this file was made %s (%" PRId64 "), before the %s of %s held here (made %s, %" PRId64
             "): an older file never replaces a newer one; nothing changed",
             made ? m : "without a date (version 1)", made, what, unit, h, held);
}

/* Column col of RCL_AGG_SQL_EXCHANGE_UNIT_MADE for unit: 0 when none is held. -1 on error. */
static int64_t unit_made(sqlite3 *db, const char *unit, int col)
{
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_UNIT_MADE);
    int64_t made = -1;
    int rc;

    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, unit, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        made = sqlite3_column_int64(st, col);
    else if (rc == SQLITE_DONE)
        made = 0;
    sqlite3_finalize(st);
    return made;
}

/* Sets being replaced: the unit whose lines come now, and the statements for them. */
struct sets_ctx {
    sqlite3 *db;
    const struct rcl_agg_exchange_file *x;
    char unit[RCL_ID_MAX + 1];
    sqlite3_stmt *clear, *unit_put, *put, *count;
    uint64_t units;
};

/* Counts the digests of the set just taken. */
static int set_done(struct sets_ctx *c)
{
    if (!c->unit[0])
        return 0;
    sqlite3_reset(c->count);
    sqlite3_bind_text(c->count, 1, c->unit, -1, SQLITE_TRANSIENT);
    return sqlite3_step(c->count) == SQLITE_DONE ? 0 : -1;
}

/* The first line of unit's set: may this file speak for it, and is it newer than what is held? */
static int set_open(struct sets_ctx *c, const char *unit, char *why, size_t whylen)
{
    const struct rcl_agg_exchange_file *x = c->x;
    int64_t held;

    if (x->kind == RCL_AGG_EXCHANGE_CITY) {
        struct rcl_agg_source src;
        int found;

        if (strcmp(unit, c->unit) < 0) {
            snprintf(why, whylen, "the sets are not in order of county (%s after %s)", unit,
                     c->unit);
            return -1;
        }
        /* By code, as for the summaries a city forwards (4101 speaks for 4101xx). */
        if (strcmp(unit, x->from) == 0 || !rcl_agg_child_covers(x->from, unit)) {
            snprintf(why, whylen, "county %s is not under city %s: its digests are not taken", unit,
                     x->from);
            return -1;
        }
        found = rcl_agg_source_get(c->db, unit, &src);
        if (found < 0)
            return -1;
        if (found > 0 && !src.revoked) {
            snprintf(why, whylen,
                     "county %s is enrolled here itself: its digests come from it, not through %s",
                     unit, x->from);
            return -1;
        }
    }
    if ((held = unit_made(c->db, unit, 0)) < 0)
        return -1;
    if (held > x->made) {
        stale(why, whylen, "digests", unit, held, x->made);
        return -1;
    }
    if (set_done(c) != 0)
        return -1;
    snprintf(c->unit, sizeof(c->unit), "%s", unit);
    c->units++;
    sqlite3_reset(c->clear);
    sqlite3_bind_text(c->clear, 1, unit, -1, SQLITE_TRANSIENT);
    sqlite3_reset(c->unit_put);
    sqlite3_bind_text(c->unit_put, 1, unit, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(c->unit_put, 2, (int64_t)time(NULL));
    sqlite3_bind_int64(c->unit_put, 3, x->made);
    return sqlite3_step(c->clear) == SQLITE_DONE && sqlite3_step(c->unit_put) == SQLITE_DONE ? 0
                                                                                             : -1;
}

static int put_set_line(void *arg, const char *county, const uint8_t *digest, char *why,
                        size_t whylen)
{
    struct sets_ctx *c = arg;
    const char *unit = county[0] ? county : c->x->from;

    if (strcmp(unit, c->unit) != 0 && set_open(c, unit, why, whylen) != 0)
        return -1;
    if (!digest)
        return 0;
    sqlite3_reset(c->put);
    sqlite3_bind_text(c->put, 1, unit, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(c->put, 2, digest, RCL_DIGEST_BYTES, SQLITE_TRANSIENT);
    return sqlite3_step(c->put) == SQLITE_DONE ? 0 : -1;
}

/*
 * At a city or the province: a county's set (its own file), or at the
 * province a city's sets of its counties; each replaces the unit's last one.
 */
static int import_sets(sqlite3 *db, const struct rcl_agg_exchange_file *x, const char *path,
                       struct rcl_agg_exchange_result *res, char *err, size_t errlen)
{
    struct rcl_agg_source src;
    struct sets_ctx c = {.db = db, .x = x};
    int found = rcl_agg_source_get(db, x->from, &src), ret = -1;

    if (found < 0)
        return store_error(db, err, errlen);
    if (found == 0 || src.revoked) {
        snprintf(err, errlen, "%s:2: %s is %s here: its digests are not taken", path, x->from,
                 found == 0 ? "not enrolled" : "revoked");
        return -1;
    }
    if (rcl_agg_exchange_file_verify(x, src.public_key) != 0) {
        snprintf(err, errlen,
                 "%s: the signature does not verify under the key enrolled for %s: "
                 "the file is not %s's as written",
                 path, x->from, x->from);
        return -1;
    }
    if (rcl_db_begin(db) != 0)
        return store_error(db, err, errlen);
    if (!(c.clear = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_SET_CLEAR)) ||
        !(c.unit_put = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_UNIT_PUT)) ||
        !(c.put = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_SET_PUT)) ||
        !(c.count = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_UNIT_COUNT))) {
        store_error(db, err, errlen);
        goto out;
    }
    /* A county's own file of no digests still replaces its set with none. */
    if (x->kind == RCL_AGG_EXCHANGE_DIGESTS) {
        char why[384] = "the store failed";

        if (set_open(&c, x->from, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "%s: %s", path, why);
            goto out;
        }
    }
    if (rcl_agg_exchange_file_each_line(x, path, put_set_line, &c, &res->digests, err, errlen) != 0)
        goto out;
    if (set_done(&c) != 0 || rcl_db_commit(db) != 0) {
        store_error(db, err, errlen);
        goto out;
    }
    res->units = c.units;
    ret = 0;
out:
    if (ret != 0)
        rcl_db_rollback(db);
    sqlite3_finalize(c.clear);
    sqlite3_finalize(c.unit_put);
    sqlite3_finalize(c.put);
    sqlite3_finalize(c.count);
    return ret;
}

/* Matches verified against the upstream's key, for this county or (at a city) one of its own. */
static int matches_check(sqlite3 *db, const struct rcl_agg_config *cfg,
                         const struct rcl_agg_exchange_file *x, const char *path, int64_t held,
                         char *err, size_t errlen)
{
    if (!cfg->has_upstream || rcl_agg_exchange_file_verify(x, cfg->upstream_key) != 0) {
        snprintf(err, errlen,
                 "%s: the signature does not verify under the upstream's key of %s "
                 "(set-upstream): the file is not %s's as written",
                 path, cfg->id, x->from);
        return -1;
    }
    if (held < 0)
        return store_error(db, err, errlen);
    if (held > x->made) {
        char why[384];

        stale(why, sizeof(why), "matches", x->to, held, x->made);
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    return 0;
}

struct put_ctx {
    sqlite3_stmt *st;
    const char *to;
};

/* A matches line: ?1 the other county, ?2 the digest (?3 the county it is for, at a city). */
static int put_match(void *arg, const char *county, const uint8_t *digest, char *why, size_t whylen)
{
    struct put_ctx *c = arg;

    (void)why;
    (void)whylen;
    sqlite3_reset(c->st);
    sqlite3_bind_text(c->st, 1, county, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(c->st, 2, digest, RCL_DIGEST_BYTES, SQLITE_TRANSIENT);
    if (c->to)
        sqlite3_bind_text(c->st, 3, c->to, -1, SQLITE_TRANSIENT);
    return sqlite3_step(c->st) == SQLITE_DONE ? 0 : -1;
}

/* At a city: the matches its upstream made for one of its counties, kept to hand down. */
static int relay_matches(sqlite3 *db, const struct rcl_agg_config *cfg,
                         const struct rcl_agg_exchange_file *x, const char *path,
                         struct rcl_agg_exchange_result *res, char *err, size_t errlen)
{
    struct put_ctx c = {NULL, x->to};
    sqlite3_stmt *st = NULL;
    int64_t held = unit_made(db, x->to, 1);
    int ret = -1, rc;

    if (!(st = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_UNIT_KNOWN)))
        return store_error(db, err, errlen);
    sqlite3_bind_text(st, 1, x->to, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_ROW) {
        if (rc != SQLITE_DONE)
            return store_error(db, err, errlen);
        snprintf(err, errlen,
                 "%s:3: the matches are for %s, which has sent no digests to this city %s", path,
                 x->to, cfg->id);
        return -1;
    }
    if (matches_check(db, cfg, x, path, held, err, errlen) != 0)
        return -1;
    if (rcl_db_begin(db) != 0)
        return store_error(db, err, errlen);
    if (rcl_db_run_id(db, RCL_AGG_SQL_EXCHANGE_RELAY_CLEAR, x->to, "exchange") != 0 ||
        !(c.st = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_RELAY_PUT))) {
        store_error(db, err, errlen);
        goto out;
    }
    if (rcl_agg_exchange_file_each_line(x, path, put_match, &c, &res->digests, err, errlen) != 0)
        goto out;
    if (!(st = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_RELAY_MADE))) {
        store_error(db, err, errlen);
        goto out;
    }
    sqlite3_bind_text(st, 1, x->to, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, x->made);
    if (sqlite3_step(st) != SQLITE_DONE || rcl_db_commit(db) != 0) {
        store_error(db, err, errlen);
        goto out;
    }
    ret = 0;
out:
    if (ret != 0)
        rcl_db_rollback(db);
    sqlite3_finalize(st);
    sqlite3_finalize(c.st);
    return ret;
}

/* At a county: the students the upstream found elsewhere replace the last such list. */
static int import_matches(sqlite3 *db, const struct rcl_agg_config *cfg,
                          const struct rcl_agg_exchange_file *x, const char *path,
                          struct rcl_agg_exchange_result *res, char *err, size_t errlen)
{
    uint8_t key[RCL_SECRET_KEY_BYTES];
    struct put_ctx c = {NULL, NULL};
    int64_t held = 0;
    int ret = -1;

    if (strcmp(x->to, cfg->id) != 0) {
        snprintf(err, errlen, "%s:3: the matches are for %s, not for this county %s", path, x->to,
                 cfg->id);
        return -1;
    }
    if (rcl_meta_get_int(db, META_MATCHES_MADE, &held) != 0)
        held = 0;
    if (matches_check(db, cfg, x, path, held, err, errlen) != 0)
        return -1;
    if (digest_function(db, cfg, key, err, errlen) != 0)
        return -1;
    if (rcl_db_begin(db) != 0) {
        store_error(db, err, errlen);
        goto wipe;
    }
    if (rcl_db_exec(db, RCL_AGG_SQL_EXCHANGE_INCOMING, "exchange") != 0 ||
        !(c.st = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_INCOMING_PUT))) {
        store_error(db, err, errlen);
        goto out;
    }
    if (rcl_agg_exchange_file_each_line(x, path, put_match, &c, &res->digests, err, errlen) != 0)
        goto out;
    if (rcl_db_exec(db, RCL_AGG_SQL_EXCHANGE_MATCHES_CLEAR, "exchange") != 0 ||
        rcl_db_run_int(db, RCL_AGG_SQL_EXCHANGE_MATCHES_PUT, (int64_t)time(NULL), "exchange") !=
            0) {
        store_error(db, err, errlen);
        goto out;
    }
    res->students = (uint64_t)sqlite3_changes(db);
    if (rcl_db_exec(db, "DELETE FROM temp.exchange_incoming", "exchange") != 0 ||
        rcl_meta_set_int(db, META_MATCHES_MADE, x->made) != 0 || rcl_db_commit(db) != 0) {
        store_error(db, err, errlen);
        goto out;
    }
    ret = 0;
out:
    if (ret != 0)
        rcl_db_rollback(db);
    sqlite3_finalize(c.st);
wipe:
    digest_function_drop(db);
    sodium_memzero(key, sizeof(key));
    return ret;
}

int rcl_agg_exchange_import(sqlite3 *db, const struct rcl_agg_config *cfg, const char *path,
                            struct rcl_agg_exchange_result *res, char *err, size_t errlen)
{
    struct rcl_agg_exchange_file x;
    const char *tier = rcl_agg_tier_names[cfg->tier];
    int rc = -1;

    memset(res, 0, sizeof(*res));
    if (rcl_agg_exchange_file_read(path, &x, err, errlen) == 0) {
        snprintf(res->from, sizeof(res->from), "%s", x.from);
        snprintf(res->to, sizeof(res->to), "%s", x.to);
        res->digests_file =
            x.kind == RCL_AGG_EXCHANGE_CITY ? 2 : x.kind == RCL_AGG_EXCHANGE_DIGESTS;
        if (x.kind == RCL_AGG_EXCHANGE_MATCHES && cfg->tier == RCL_AGG_PROVINCE)
            snprintf(err, errlen, "%s: a file of matches is for a county (or its city); %s is a %s",
                     path, cfg->id, tier);
        else if (x.kind == RCL_AGG_EXCHANGE_DIGESTS && cfg->tier == RCL_AGG_COUNTY)
            snprintf(err, errlen,
                     "%s: a county's digests go to its upstream (a city or the province); "
                     "%s is a county",
                     path, cfg->id);
        else if (x.kind == RCL_AGG_EXCHANGE_CITY && cfg->tier != RCL_AGG_PROVINCE)
            snprintf(err, errlen, "%s: a city's digests go to the province; %s is a %s", path,
                     cfg->id, tier);
        else if (x.kind == RCL_AGG_EXCHANGE_MATCHES && cfg->tier == RCL_AGG_CITY)
            rc = relay_matches(db, cfg, &x, path, res, err, errlen);
        else if (x.kind == RCL_AGG_EXCHANGE_MATCHES)
            rc = import_matches(db, cfg, &x, path, res, err, errlen);
        else
            rc = import_sets(db, &x, path, res, err, errlen);
    }
    free(x.buf);
    return rc;
}

int rcl_agg_exchange_pairs(sqlite3 *db, int (*fn)(void *arg, const struct rcl_agg_exchange_pair *p),
                           void *arg)
{
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_PAIRS);
    struct rcl_agg_exchange_pair p;
    int rc, ret = 0;

    if (!st)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&p, 0, sizeof(p));
        snprintf(p.a, sizeof(p.a), "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(p.b, sizeof(p.b), "%s", (const char *)sqlite3_column_text(st, 1));
        p.shared = (uint64_t)sqlite3_column_int64(st, 2);
        if ((ret = fn(arg, &p)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = -1;
    sqlite3_finalize(st);
    return ret;
}

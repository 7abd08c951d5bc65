/*
 * agg_store.c - creating and opening the aggregator store, its meta, and
 * the registry of sources (enroll, revoke, look-ups).
 */
#include "agg_store.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "agg_sql.h"
#include "agg_tier.h"
#include "rcl_db.h"
#include "rcl_log.h"
#include "rcl_outbox.h"
#include "agg_summary.h"

const char *const rcl_agg_tier_names[RCL_AGG_TIER_COUNT] = {"county", "city", "province"};
const char *const rcl_agg_tier_zh[RCL_AGG_TIER_COUNT] = {"区县", "市", "省"};

static bool table_exists(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = rcl_db_prepare(db, "SELECT 1 FROM sqlite_master WHERE name = ?1");
    bool found;

    if (!st)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

/* A county store: the store's own tier, or for a store being created the tier it is made for. */
static bool county_store(sqlite3 *db, int version, const void *arg)
{
    enum rcl_agg_tier tier = *(const enum rcl_agg_tier *)arg;
    char word[16];

    (void)version;
    if (rcl_meta_get_text(db, "tier", word, sizeof(word)) == 0 &&
        rcl_agg_tier_parse(word, &tier) != 0)
        return false;
    return tier == RCL_AGG_COUNTY;
}

/* The first of the county's own steps that meta 'county_schema' counted (0 to 3) before
 * version 17: a county passes over those it counted as applied. */
#define AGG_COUNTY_COUNTED_FIRST 13

static bool county_uncounted(sqlite3 *db, int version, const void *arg)
{
    int64_t county_schema = 0;

    if (!county_store(db, version, arg))
        return false;
    if (rcl_meta_get_int(db, "county_schema", &county_schema) != 0 || county_schema < 0)
        county_schema = 0;
    return county_schema <= version - AGG_COUNTY_COUNTED_FIRST;
}

/* The pre-merge numbering (agg_recognise) had made outbox_age already. */
static bool lacks_outbox_age(sqlite3 *db, int version, const void *arg)
{
    (void)version;
    (void)arg;
    return !table_exists(db, "outbox_age");
}

/*
 * Every aggregator store's schema, one step per user_version, in order,
 * each naming the stores that take it (NULL: every store). A county's own
 * tables (students and what goes with them) are county_store steps: a city
 * or province store has no table that could hold a student.
 */
static const struct rcl_db_step agg_steps[] = {
    {RCL_AGG_SQL_V1, NULL},                                            /* 0 -> 1 */
    {RCL_OUTBOX_SQL, NULL},                                            /* 1 -> 2 */
    {RCL_OUTBOX_SQL_V2, NULL},                                         /* 2 -> 3 */
    {RCL_AGG_SQL_V4, NULL},                                            /* 3 -> 4 */
    {RCL_AGG_SQL_V5, NULL},                                            /* 4 -> 5 */
    {RCL_AGG_SQL_AUDIT, NULL},                                         /* 5 -> 6 */
    {RCL_OUTBOX_SQL_V3, NULL},                                         /* 6 -> 7 */
    {RCL_AGG_SQL_ROLLUP, NULL},                                        /* 7 -> 8 */
    {RCL_AGG_SQL_ROLLUP_TRIGGERS, NULL},                               /* 8 -> 9 */
    {RCL_AGG_SQL_ROLLUP_UPDATE, NULL},                                 /* 9 -> 10 */
    {RCL_AGG_SQL_OUTBOX_AGE, lacks_outbox_age},                        /* 10 -> 11 */
    {RCL_AGG_SQL_TIMELINESS, NULL},                                    /* 11 -> 12 */
    {RCL_AGG_SQL_STUDENTS RCL_AGG_SQL_STUDENTS_STAGING, county_store}, /* 12 -> 13 */
    {RCL_AGG_SQL_COUNTY_V1, county_uncounted},                         /* 13 -> 14 */
    {RCL_AGG_SQL_COUNTY_V2, county_uncounted},                         /* 14 -> 15 */
    {RCL_AGG_SQL_COUNTY_V3, county_uncounted},                         /* 15 -> 16 */
    {RCL_AGG_SQL_COUNTY_FOLDED, NULL},                                 /* 16 -> 17 */
    {RCL_AGG_SQL_EXCHANGE, NULL},                                      /* 17 -> 18 */
    {RCL_AGG_SQL_COUNTY_EXCHANGE, county_store},                       /* 18 -> 19 */
    {RCL_AGG_SQL_EXCHANGE_RELAY, NULL},                                /* 19 -> 20 */
};

/*
 * Stores of the branch that brought /metrics, before its merge, numbered
 * outbox_age version 8; the merge put the rollup (versions 8 to 10) first.
 * Such a store, at 8 without a rollup table, is really at 7.
 */
static int agg_recognise(sqlite3 *db, int user_version, const void *arg)
{
    (void)arg;
    if (user_version == 8 && table_exists(db, "outbox_age") && !table_exists(db, "rollup"))
        return 7;
    return user_version;
}

static sqlite3 *agg_db_open(const char *path, enum rcl_db_mode mode, enum rcl_agg_tier tier,
                            char *err, size_t errlen)
{
    const struct rcl_db_schema s = {.steps = agg_steps,
                                    .n_steps = (int)(sizeof(agg_steps) / sizeof(agg_steps[0])),
                                    .recognise = agg_recognise,
                                    .arg = &tier};

    return rcl_db_open_schema(path, mode, &s, err, errlen);
}

/* Long enough for `enroll` or `report` to wait out one of run's commits. */
#define AGG_BUSY_TIMEOUT_MS 10000

int rcl_agg_tier_parse(const char *word, enum rcl_agg_tier *out)
{
    for (int i = 0; i < RCL_AGG_TIER_COUNT; i++) {
        if (strcmp(word, rcl_agg_tier_names[i]) == 0) {
            *out = (enum rcl_agg_tier)i;
            return 0;
        }
    }
    return -1;
}

bool rcl_agg_endpoint_valid(const char *endpoint)
{
    const char *host, *colon;
    size_t len = strlen(endpoint);

    if (len > RCL_AGG_ENDPOINT_MAX || strncmp(endpoint, "tcp://", 6) != 0)
        return false;
    host = endpoint + 6;
    colon = strrchr(host, ':');
    if (!colon || colon == host || colon[1] == '\0')
        return false;
    for (const char *p = colon + 1; *p; p++) {
        if (!isdigit((unsigned char)*p) && !(*p == '*' && p == colon + 1 && p[1] == '\0'))
            return false;
    }
    for (const char *p = host; p < colon; p++) {
        if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
            return false;
    }
    return true;
}

bool rcl_agg_school_code_valid(const char *id)
{
    size_t n = 0;

    for (; id[n]; n++) {
        if (!isdigit((unsigned char)id[n]))
            return false;
    }
    return n == RCL_SCHOOL_ID_LEN;
}

void rcl_agg_default_county(const struct rcl_agg_config *cfg, char out[RCL_COUNTY_LEN + 1])
{
    size_t n = 0;

    out[0] = '\0';
    if (!rcl_agg_holds_students(cfg))
        return;
    for (; cfg->id[n]; n++) {
        if (!isdigit((unsigned char)cfg->id[n]))
            return;
    }
    if (n == RCL_COUNTY_LEN)
        memcpy(out, cfg->id, RCL_COUNTY_LEN + 1);
}

int rcl_agg_store_create(const char *path, const struct rcl_agg_config *cfg,
                         uint8_t pk[RCL_PK_BYTES], char *err, size_t errlen)
{
    int ret = -1;
    bool created = false, in_tx = false;
    sqlite3 *db = NULL;
    uint8_t sk[RCL_SK_BYTES];

    db = agg_db_open(path, RCL_DB_CREATE, cfg->tier, err, errlen);
    if (!db)
        goto out;
    created = true;
    if (rcl_key_generate(pk, sk) != 0) {
        snprintf(err, errlen, "%s: could not generate the identity key", path);
        goto out;
    }
    if (rcl_db_begin(db) != 0)
        goto store_error;
    in_tx = true;
    if (rcl_meta_set_text(db, "id", cfg->id) != 0 ||
        rcl_meta_set_text(db, "tier", rcl_agg_tier_names[cfg->tier]) != 0 ||
        rcl_meta_set_text(db, "listen", cfg->listen) != 0 ||
        rcl_meta_set_int(db, "stale_seconds", cfg->stale_seconds) != 0 ||
        rcl_meta_set_blob(db, "public_key", pk, RCL_PK_BYTES) != 0 ||
        rcl_meta_set_blob(db, "secret_key", sk, RCL_SK_BYTES) != 0)
        goto store_error;
    if (cfg->has_upstream &&
        (rcl_meta_set_text(db, "upstream", cfg->upstream) != 0 ||
         rcl_meta_set_blob(db, "upstream_key", cfg->upstream_key, RCL_PK_BYTES) != 0))
        goto store_error;
    if (rcl_db_commit(db) != 0)
        goto store_error;
    in_tx = false;
    ret = 0;
    goto out;
store_error:
    snprintf(err, errlen, "%s: could not write the new store: %s", path,
             db ? sqlite3_errmsg(db) : "no connection");
out:
    sodium_memzero(sk, sizeof(sk));
    if (in_tx)
        rcl_db_rollback(db);
    rcl_db_close(&db);
    if (ret != 0 && created)
        rcl_db_remove_files(path);
    return ret;
}

/*
 * Before any migration touches it: is path some other program's store (a
 * school's, say)? Looks through a read-only connection; a file it cannot
 * read this way is left for rcl_db_open to judge. Returns 0, or -1 with err.
 */
static int check_foreign(const char *path, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int ret = 0, has_tier = 0, has_school = 0, rc;

    db = rcl_db_open_readonly(path, AGG_BUSY_TIMEOUT_MS, NULL, 0);
    if (db == NULL)
        goto out;
    /* Version 0 is an empty file: opening it must not turn it into a store. */
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0) {
        snprintf(err, errlen, "%s: not a rollcall-agg store (empty; run init first)", path);
        ret = -1;
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    /* No meta table (a fresh or foreign file) fails to prepare: rcl_db_open decides. */
    if (sqlite3_prepare_v2(db, "SELECT key FROM meta WHERE key IN ('tier', 'school_id')", -1, &st,
                           NULL) != SQLITE_OK)
        goto out;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *k = sqlite3_column_text(st, 0);

        if (k && strcmp((const char *)k, "tier") == 0)
            has_tier = 1;
        else if (k)
            has_school = 1;
    }
    if (rc == SQLITE_DONE && !has_tier) {
        snprintf(err, errlen, "%s: %s", path,
                 has_school ? "is a rollcall-school store, not a rollcall-agg one"
                            : "not a rollcall-agg store (no tier in meta)");
        ret = -1;
    }
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ret;
}

sqlite3 *rcl_agg_store_open(const char *path, struct rcl_agg_config *cfg, char *err, size_t errlen)
{
    sqlite3 *db;
    struct rcl_agg_config local;
    char tier[16];
    int64_t stale;

    if (!cfg)
        cfg = &local;
    memset(cfg, 0, sizeof(*cfg));
    if (check_foreign(path, err, errlen) != 0)
        return NULL;
    /* The tier is the store's own (county_store reads it); this one is never used. */
    db = agg_db_open(path, RCL_DB_EXISTING, RCL_AGG_COUNTY, err, errlen);
    if (!db)
        return NULL;
    sqlite3_busy_timeout(db, AGG_BUSY_TIMEOUT_MS);
    if (rcl_meta_get_text(db, "tier", tier, sizeof(tier)) != 0 ||
        rcl_agg_tier_parse(tier, &cfg->tier) != 0 ||
        rcl_meta_get_text(db, "id", cfg->id, sizeof(cfg->id)) != 0) {
        snprintf(err, errlen, "%s: not a rollcall-agg store (no tier or id in meta)", path);
        goto fail;
    }
    if (rcl_meta_get_text(db, "listen", cfg->listen, sizeof(cfg->listen)) != 0)
        cfg->listen[0] = '\0';
    if (rcl_meta_get_text(db, "upstream", cfg->upstream, sizeof(cfg->upstream)) == 0 &&
        cfg->upstream[0] != '\0') {
        if (rcl_meta_get_blob(db, "upstream_key", cfg->upstream_key, RCL_PK_BYTES) != 0) {
            snprintf(err, errlen, "%s: meta has an upstream but no upstream_key", path);
            goto fail;
        }
        cfg->has_upstream = true;
    } else {
        cfg->upstream[0] = '\0';
    }
    cfg->stale_seconds = RCL_AGG_STALE_DEFAULT;
    if (rcl_meta_get_int(db, "stale_seconds", &stale) == 0 && stale > 0)
        cfg->stale_seconds = stale;
    return db;
fail:
    rcl_db_close(&db);
    return NULL;
}

int rcl_agg_store_keys(sqlite3 *db, uint8_t pk[RCL_PK_BYTES], uint8_t sk[RCL_SK_BYTES])
{
    if (rcl_meta_get_blob(db, "public_key", pk, RCL_PK_BYTES) != 0)
        return -1;
    if (sk && rcl_meta_get_blob(db, "secret_key", sk, RCL_SK_BYTES) != 0)
        return -1;
    return 0;
}

static void copy_column_text(char *dst, size_t dstlen, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    snprintf(dst, dstlen, "%s", t ? (const char *)t : "");
}

static void copy_column_blob(uint8_t *dst, size_t len, sqlite3_stmt *st, int col, bool *ok)
{
    const void *b = sqlite3_column_blob(st, col);

    if (b && (size_t)sqlite3_column_bytes(st, col) == len) {
        memcpy(dst, b, len);
        if (ok)
            *ok = true;
    } else {
        memset(dst, 0, len);
        if (ok)
            *ok = false;
    }
}

/* Reads a row of RCL_AGG_SQL_SOURCE_COLS. */
static void source_column(sqlite3_stmt *st, struct rcl_agg_source *s)
{
    sqlite3_int64 v;

    memset(s, 0, sizeof(*s));
    copy_column_text(s->id, sizeof(s->id), st, 0);
    copy_column_blob(s->public_key, RCL_PK_BYTES, st, 1, NULL);
    copy_column_blob(s->curve_pk, RCL_CURVE_KEY_BYTES, st, 2, NULL);
    s->revoked = sqlite3_column_int(st, 3) != 0;
    v = sqlite3_column_int64(st, 4);
    s->epoch = v < 0 ? 0 : (uint64_t)v;
    v = sqlite3_column_int64(st, 5);
    s->applied_seq = v < 0 ? 0 : (uint64_t)v;
    copy_column_blob(s->applied_digest, RCL_DIGEST_BYTES, st, 6, &s->has_digest);
    s->last_batch_at = sqlite3_column_int64(st, 7);
    s->enrolled_at = sqlite3_column_int64(st, 8);
    copy_column_text(s->name, sizeof(s->name), st, 9);
    copy_column_text(s->county, sizeof(s->county), st, 10);
    s->snapshot_open = sqlite3_column_int(st, 11) != 0;
    v = sqlite3_column_int64(st, 12);
    s->expect_schools = v < 0 ? 0 : (uint64_t)v;
}

int rcl_agg_source_get(sqlite3 *db, const char *id, struct rcl_agg_source *out)
{
    int ret = -1, rc;
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_SOURCE_GET);

    if (!st)
        goto out;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        source_column(st, out);
        ret = 1;
    } else if (rc == SQLITE_DONE) {
        ret = 0;
    } else {
        RCL_ERROR("store: looking up a source failed source=%s err=%s", rcl_log_value(id),
                  rcl_log_value(sqlite3_errmsg(db)));
    }
out:
    sqlite3_finalize(st);
    return ret;
}

int rcl_agg_source_each(sqlite3 *db, int (*fn)(void *arg, const struct rcl_agg_source *s),
                        void *arg)
{
    int ret = -1, rc;
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_SOURCE_LIST);
    struct rcl_agg_source s;

    if (!st)
        goto out;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        source_column(st, &s);
        ret = fn(arg, &s);
        if (ret != 0)
            goto out;
    }
    if (rc != SQLITE_DONE) {
        RCL_ERROR("store: listing sources failed err=%s", rcl_log_value(sqlite3_errmsg(db)));
        ret = -1;
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

/* Who owns curve_pk: 1 with the id in owner, 0 nobody, -1 store error. */
static int source_by_curve(sqlite3 *db, const uint8_t curve[RCL_CURVE_KEY_BYTES],
                           char owner[RCL_ID_MAX + 1])
{
    int ret = -1, rc;
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_SOURCE_BY_CURVE);

    if (!st)
        goto out;
    sqlite3_bind_blob(st, 1, curve, RCL_CURVE_KEY_BYTES, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        copy_column_text(owner, RCL_ID_MAX + 1, st, 0);
        ret = 1;
    } else if (rc == SQLITE_DONE) {
        ret = 0;
    } else {
        RCL_ERROR("store: looking up a key failed err=%s", rcl_log_value(sqlite3_errmsg(db)));
    }
out:
    sqlite3_finalize(st);
    return ret;
}

/* Runs one of the source statements taking (id, public_key, curve_pk, now, county). */
static int source_write(sqlite3 *db, const char *sql, const char *id, const uint8_t *pk,
                        const uint8_t *curve, int64_t now, const char *county)
{
    int ret = -1;
    sqlite3_stmt *st = rcl_db_prepare(db, sql);

    if (!st)
        goto out;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(st) >= 3) {
        sqlite3_bind_blob(st, 2, pk, RCL_PK_BYTES, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, curve, RCL_CURVE_KEY_BYTES, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, now);
    }
    if (sqlite3_bind_parameter_count(st) >= 5)
        sqlite3_bind_text(st, 5, county, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        RCL_ERROR("store: updating a source failed source=%s err=%s", rcl_log_value(id),
                  rcl_log_value(sqlite3_errmsg(db)));
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

int rcl_agg_source_rotate(sqlite3 *db, const char *source, const uint8_t old_pk[RCL_PK_BYTES],
                          const uint8_t new_pk[RCL_PK_BYTES], const uint8_t proof[RCL_SIG_BYTES],
                          char *why, size_t whylen)
{
    uint8_t msg[RCL_KEY_ROTATION_MESSAGE_MAX];
    uint8_t curve[RCL_CURVE_KEY_BYTES];
    size_t n = rcl_key_rotation_message(source, old_pk, new_pk, msg);
    sqlite3_stmt *st;
    int found;

    if (memcmp(old_pk, new_pk, RCL_PK_BYTES) == 0) {
        snprintf(why, whylen, "the new key of source %s is its current key", source);
        return 1;
    }
    if (rcl_key_curve_public(new_pk, curve) != 0) {
        snprintf(why, whylen, "the new key of source %s is not a valid key", source);
        return 1;
    }
    if (rcl_verify(RCL_DOMAIN_ROTATE, msg, n, proof, new_pk) != 0) {
        snprintf(why, whylen, "the key rotation of source %s is not signed by its new key", source);
        return 1;
    }
    st = rcl_db_prepare(db, RCL_AGG_SQL_SOURCE_BY_CURVE);
    if (!st)
        return -1;
    sqlite3_bind_blob(st, 1, curve, RCL_CURVE_KEY_BYTES, SQLITE_STATIC);
    found = sqlite3_step(st);
    sqlite3_finalize(st);
    if (found == SQLITE_ROW) {
        snprintf(why, whylen, "the new key of source %s is already enrolled here", source);
        return 1;
    }
    if (found != SQLITE_DONE) {
        RCL_ERROR("store: looking up a key failed err=%s", rcl_log_value(sqlite3_errmsg(db)));
        return -1;
    }
    if (source_write(db, RCL_AGG_SQL_SOURCE_ROTATE, source, new_pk, curve, 0, NULL) != 0)
        return -1;
    RCL_INFO("store: a source rotated its key source=%s", rcl_log_value(source));
    return 0;
}

/* A county expects each school it enrolls: a summary row with reported = 0, queued upstream. */
static int county_expect_school(sqlite3 *db, const struct rcl_agg_config *cfg, const char *school,
                                const char *county)
{
    int ret = -1;
    sqlite3_stmt *st = rcl_db_prepare(db, RCL_AGG_SQL_SUMMARY_CREATE);
    struct rcl_summary s;

    if (!st)
        goto out;
    sqlite3_bind_text(st, 1, school, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, county, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        RCL_ERROR("store: creating a summary failed school=%s err=%s", rcl_log_value(school),
                  rcl_log_value(sqlite3_errmsg(db)));
        goto out;
    }
    /* Only a new row is news for the tier above. */
    if (sqlite3_changes(db) > 0 && cfg->has_upstream) {
        if (rcl_agg_summary_get(db, school, &s, NULL) != 1 || rcl_agg_summary_queue(db, &s) != 0)
            goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

int rcl_agg_enroll_in_tx(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                         const uint8_t pk[RCL_PK_BYTES], enum rcl_agg_enroll_result *result,
                         char other_source[RCL_ID_MAX + 1], int64_t now, char *err, size_t errlen)
{
    int found, owned;
    uint8_t curve[RCL_CURVE_KEY_BYTES];
    char owner[RCL_ID_MAX + 1] = "", county[RCL_COUNTY_LEN + 1];
    struct rcl_agg_source cur;

    other_source[0] = '\0';
    if (rcl_agg_holds_students(cfg) && !rcl_agg_school_code_valid(source)) {
        *result = RCL_AGG_NOT_A_SCHOOL;
        return 0;
    }
    if (rcl_key_curve_public(pk, curve) != 0) {
        snprintf(err, errlen, "key of source %s has no CURVE form", source);
        return -1;
    }
    rcl_agg_default_county(cfg, county);
    owned = source_by_curve(db, curve, owner);
    found = rcl_agg_source_get(db, source, &cur);
    if (owned < 0 || found < 0)
        goto store_error;
    if (owned == 1 && strcmp(owner, source) != 0) {
        snprintf(other_source, RCL_ID_MAX + 1, "%s", owner);
        *result = RCL_AGG_KEY_IN_USE;
        return 0;
    }
    if (!found) {
        if (source_write(db, RCL_AGG_SQL_SOURCE_INSERT, source, pk, curve, now, county) != 0)
            goto store_error;
        *result = RCL_AGG_ENROLLED;
    } else if (sodium_memcmp(cur.public_key, pk, RCL_PK_BYTES) != 0) {
        if (source_write(db, RCL_AGG_SQL_SOURCE_REKEY, source, pk, curve, now, NULL) != 0)
            goto store_error;
        *result = RCL_AGG_REKEYED;
    } else if (cur.revoked) {
        if (source_write(db, RCL_AGG_SQL_SOURCE_UNREVOKE, source, NULL, NULL, 0, NULL) != 0)
            goto store_error;
        *result = RCL_AGG_UNREVOKED;
    } else {
        *result = RCL_AGG_UNCHANGED;
    }
    if (rcl_agg_holds_students(cfg) && county_expect_school(db, cfg, source, county) != 0)
        goto store_error;
    return 0;
store_error:
    snprintf(err, errlen, "could not enroll source %s: %s", source, sqlite3_errmsg(db));
    return -1;
}

/* Runs sql (?1 the source, ?2 text or, with text NULL, number). 0, or -1. */
static int source_set(sqlite3 *db, const char *sql, const char *source, const char *text,
                      int64_t number)
{
    sqlite3_stmt *st = rcl_db_prepare(db, sql);
    int ret = -1;

    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    if (text)
        sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 2, number);
    if (sqlite3_step(st) == SQLITE_DONE)
        ret = 0;
    sqlite3_finalize(st);
    return ret;
}

/* The enrolment's name and expected schools (see rcl_agg_enroll_described). 0, or -1. */
static int source_describe(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                           const struct rcl_agg_enrollee *who)
{
    struct rcl_summary s;

    if (who->name && source_set(db, RCL_AGG_SQL_SOURCE_NAME, source, who->name, 0) != 0)
        return -1;
    if (who->expect_schools >= 0 &&
        source_set(db, RCL_AGG_SQL_SOURCE_EXPECT, source, NULL, who->expect_schools) != 0)
        return -1;
    if (!rcl_agg_holds_students(cfg) || !who->name)
        return 0;
    if (source_set(db, RCL_AGG_SQL_SUMMARY_NAME_UNREPORTED, source, who->name, 0) != 0)
        return -1;
    /* A school not yet heard from is named upward too, so its county's silence has a name. */
    if (sqlite3_changes(db) > 0 && cfg->has_upstream &&
        (rcl_agg_summary_get(db, source, &s, NULL) != 1 || rcl_agg_summary_queue(db, &s) != 0))
        return -1;
    return 0;
}

int rcl_agg_enroll(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                   const uint8_t pk[RCL_PK_BYTES], enum rcl_agg_enroll_result *result,
                   char other_source[RCL_ID_MAX + 1], int64_t now, char *err, size_t errlen)
{
    const struct rcl_agg_enrollee plain = {.name = NULL, .expect_schools = -1};

    return rcl_agg_enroll_described(db, cfg, source, pk, &plain, result, other_source, now, err,
                                    errlen);
}

int rcl_agg_enroll_described(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source,
                             const uint8_t pk[RCL_PK_BYTES], const struct rcl_agg_enrollee *who,
                             enum rcl_agg_enroll_result *result, char other_source[RCL_ID_MAX + 1],
                             int64_t now, char *err, size_t errlen)
{
    if (rcl_db_begin(db) != 0) {
        snprintf(err, errlen, "could not enroll source %s: %s", source, sqlite3_errmsg(db));
        return -1;
    }
    if (rcl_agg_enroll_in_tx(db, cfg, source, pk, result, other_source, now, err, errlen) != 0)
        goto rollback;
    if (*result != RCL_AGG_KEY_IN_USE && *result != RCL_AGG_NOT_A_SCHOOL &&
        source_describe(db, cfg, source, who) != 0) {
        snprintf(err, errlen, "could not name source %s: %s", source, sqlite3_errmsg(db));
        goto rollback;
    }
    /* A refusal changed nothing; committing the empty transaction is harmless. */
    if (rcl_db_commit(db) != 0) {
        snprintf(err, errlen, "could not enroll source %s: %s", source, sqlite3_errmsg(db));
        goto rollback;
    }
    return 0;
rollback:
    rcl_db_rollback(db);
    return -1;
}

int rcl_agg_revoke(sqlite3 *db, const char *source)
{
    struct rcl_agg_source cur;
    int found, ret = -1;

    if (rcl_db_begin(db) != 0)
        return -1;
    found = rcl_agg_source_get(db, source, &cur);
    if (found <= 0) {
        ret = found;
        goto rollback;
    }
    if (cur.revoked) {
        ret = 2;
        goto rollback;
    }
    if (source_write(db, RCL_AGG_SQL_SOURCE_REVOKE, source, NULL, NULL, 0, NULL) != 0 ||
        rcl_db_commit(db) != 0)
        goto rollback;
    return 1;
rollback:
    rcl_db_rollback(db);
    return ret;
}

/*
 * school_setup.c - a school's store made from the county's notice (see
 * school_setup.h).
 */
#include "school_setup.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "rcl_db.h"
#include "rcl_keys.h"
#include "rcl_model.h"
#include "pseudonym.h"

/* rcl_reason_set of why (the Chinese from usage_zh.c), returning -1 for the caller to return. */
static int RCL_PRINTF_LIKE(2, 3) wrong(struct rcl_reason *why, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    rcl_reason_vset(why, fmt, ap);
    va_end(ap);
    return -1;
}

int rcl_school_setup_check_upstream(const char *upstream, const char *key_hex,
                                    uint8_t key[RCL_PK_BYTES], struct rcl_reason *why)
{
    if (upstream != NULL && (strncmp(upstream, "tcp://", 6) != 0 || upstream[6] == '\0' ||
                             strlen(upstream) > RCL_SCHOOL_ENDPOINT_MAX))
        return wrong(why, "upstream '%s' must be a tcp://HOST:PORT endpoint", upstream);
    if (key_hex != NULL && rcl_key_from_hex(key_hex, key) != 0)
        return wrong(why,
                     "upstream key '%s' is not a public key: expected 64 hex characters, "
                     "as the upstream's 'pubkey' command prints them",
                     key_hex);
    return 0;
}

int rcl_school_setup_check(const struct rcl_school_setup *s, struct rcl_school_meta *m,
                           struct rcl_reason *why)
{
    const char *name = s->name != NULL ? s->name : "";

    if (s->school == NULL || !rcl_digits_only(s->school, RCL_SCHOOL_ID_LEN))
        return wrong(why, "school id '%s' must be 10 digits (the school code)",
                     s->school != NULL ? s->school : "");
    if (s->county == NULL || !rcl_digits_only(s->county, RCL_COUNTY_LEN))
        return wrong(why, "county code '%s' must be 6 digits", s->county != NULL ? s->county : "");
    if (name[0] == '\0' || !rcl_utf8_valid(name, strlen(name)))
        return wrong(why, "school name '%s' must be non-empty UTF-8 text", name);
    if (strlen(name) > RCL_NAME_MAX)
        return wrong(why, "school name is %zu bytes long, at most %d allowed", strlen(name),
                     RCL_NAME_MAX);
    if (s->upstream == NULL)
        return wrong(why, "upstream '%s' must be a tcp://HOST:PORT endpoint", "");
    if (s->upstream_key == NULL)
        return wrong(why,
                     "upstream key '%s' is not a public key: expected 64 hex characters, "
                     "as the upstream's 'pubkey' command prints them",
                     "");
    if (rcl_school_setup_check_upstream(s->upstream, s->upstream_key, m->upstream_key, why) != 0)
        return -1;
    if (s->pseudonym_key == NULL || s->pseudonym_key[0] == '\0')
        rcl_school_pseudonym_default_key(m->pseudonym_key);
    else if (strlen(s->pseudonym_key) != 2 * RCL_SCHOOL_PSEUDONYM_KEY_BYTES ||
             sodium_hex2bin(m->pseudonym_key, RCL_SCHOOL_PSEUDONYM_KEY_BYTES, s->pseudonym_key,
                            strlen(s->pseudonym_key), NULL, NULL, NULL) != 0)
        return wrong(why, "the pseudonym key is not 64 hex characters (as the province gives it)");
    snprintf(m->school_id, sizeof(m->school_id), "%s", s->school);
    snprintf(m->county, sizeof(m->county), "%s", s->county);
    snprintf(m->name, sizeof(m->name), "%s", name);
    snprintf(m->upstream, sizeof(m->upstream), "%s", s->upstream);
    return 0;
}

int rcl_school_setup_create(const char *path, struct rcl_school_meta *m, char *err, size_t errlen)
{
    uint8_t sk[RCL_SK_BYTES];
    sqlite3 *db = rcl_school_store_open(path, RCL_DB_CREATE, err, errlen);
    int rc = -1;

    if (db == NULL)
        return -1;
    if (rcl_key_generate(m->public_key, sk) != 0)
        snprintf(err, errlen, "cannot generate an identity key");
    else if (rcl_school_store_init(db, m, sk, err, errlen) == 0)
        rc = 0;
    sodium_memzero(sk, sizeof(sk));
    rcl_db_close(&db);
    if (rc != 0)
        rcl_db_remove_files(path); /* so that it can be set up again */
    return rc;
}

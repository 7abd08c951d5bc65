/*
 * agg_exchange.c - the cross-county exchange of keyed digests (agg_exchange.h).
 *
 * The files are text, one line each, so an officer can see what is handed on:
 *
 *   rollcall-exchange digests 1        rollcall-exchange matches 1
 *   from 411381                        from 41
 *   <64 hex: a digest>...              to 411381
 *   signature <128 hex>                <county> <64 hex: a digest>...
 *                                      signature <128 hex>
 *
 * The signature is rcl_sign over every byte before its line, under a domain
 * of its own for each kind, so neither can pass for the other or for a batch.
 */
#include "agg_exchange.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "agg_sql.h"
#include "rcl_db.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_platform.h"

#define DIGESTS_HEADER "rollcall-exchange digests 1\n"
#define MATCHES_HEADER "rollcall-exchange matches 1\n"
#define DOMAIN_DIGESTS "rollcall/v1/exchange-digests"
#define DOMAIN_MATCHES "rollcall/v1/exchange-matches"
#define META_KEY "exchange_key"
/* A county of a million students and transfers, as hex lines, with room to spare. */
#define FILE_MAX (256u << 20)

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

/* Writes len bytes to the new file path (mode 0600; an existing file is refused). */
static int write_new_file(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    FILE *f = rcl_fopen_new(path);

    if (!f) {
        snprintf(err, errlen, "%s: %s", path,
                 errno == EEXIST ? "exists already; give a new file" : strerror(errno));
        return -1;
    }
    if (fwrite(data, 1, len, f) != len || rcl_file_sync(f) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        fclose(f);
        rcl_unlink(path);
        return -1;
    }
    if (fclose(f) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        rcl_unlink(path);
        return -1;
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
    if (write_new_file(path, hex, strlen(hex), err, errlen) == 0) {
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

/* ---- signed files ---- */

/* Appends "signature <hex>\n" over the m->len bytes written so far, and closes m. */
static int sign_close(sqlite3 *db, struct rcl_memstream *m, const char *domain, char *err,
                      size_t errlen)
{
    uint8_t pk[RCL_PK_BYTES], sk[RCL_SK_BYTES], sig[RCL_SIG_BYTES];
    char hex[2 * RCL_SIG_BYTES + 1];
    int rc = -1;

    if (rcl_memstream_close(m) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (rcl_agg_store_keys(db, pk, sk) != 0) {
        snprintf(err, errlen, "the store's key cannot be read");
        return -1;
    }
    if (rcl_sign(domain, (const uint8_t *)m->buf, m->len, sk, sig) == 0) {
        char *grown = realloc(m->buf, m->len + sizeof(hex) + 16);

        if (grown) {
            m->buf = grown;
            sodium_bin2hex(hex, sizeof(hex), sig, sizeof(sig));
            m->len += (size_t)sprintf(m->buf + m->len, "signature %s\n", hex);
            rc = 0;
        }
    }
    sodium_memzero(sk, sizeof(sk));
    if (rc != 0)
        snprintf(err, errlen, "out of memory");
    return rc;
}

static void put_hex_line(FILE *f, const char *prefix, const void *blob, int len)
{
    char hex[2 * RCL_DIGEST_BYTES + 1];

    sodium_bin2hex(hex, sizeof(hex), blob, (size_t)len);
    fprintf(f, "%s%s\n", prefix, hex);
}

/*
 * Writes head, then a line per row of st (with_unit: "UNIT HEX" of columns 0
 * and 1, else "HEX" of column 0), signed under domain, to the new file path.
 * *n gets the lines. 0, or -1 with err.
 */
static int write_signed(sqlite3 *db, sqlite3_stmt *st, const char *head, bool with_unit,
                        const char *domain, const char *path, uint64_t *n, char *err, size_t errlen)
{
    struct rcl_memstream m = {0};
    int rc, ret = -1;

    if (rcl_memstream_open(&m) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    fputs(head, m.f);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char prefix[RCL_ID_MAX + 2] = "";
        int col = with_unit ? 1 : 0;

        if (sqlite3_column_bytes(st, col) != RCL_DIGEST_BYTES)
            continue;
        if (with_unit)
            snprintf(prefix, sizeof(prefix), "%s ", (const char *)sqlite3_column_text(st, 0));
        put_hex_line(m.f, prefix, sqlite3_column_blob(st, col), RCL_DIGEST_BYTES);
        (*n)++;
    }
    if (rc != SQLITE_DONE)
        store_error(db, err, errlen);
    else if (sign_close(db, &m, domain, err, errlen) == 0 &&
             write_new_file(path, m.buf, m.len, err, errlen) == 0)
        ret = 0;
    if (m.f)
        rcl_memstream_close(&m);
    free(m.buf);
    return ret;
}

int rcl_agg_exchange_digests_write(sqlite3 *db, const struct rcl_agg_config *cfg, const char *path,
                                   uint64_t *n, char *err, size_t errlen)
{
    uint8_t key[RCL_SECRET_KEY_BYTES];
    char head[sizeof(DIGESTS_HEADER) + RCL_ID_MAX + 8];
    sqlite3_stmt *st = NULL;
    int ret = -1;

    *n = 0;
    if (need_county(cfg, "exchange digests", err, errlen) != 0)
        return -1;
    if (digest_function(db, cfg, key, err, errlen) != 0)
        goto out;
    if (!(st = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_DIGESTS))) {
        store_error(db, err, errlen);
        goto out;
    }
    snprintf(head, sizeof(head), DIGESTS_HEADER "from %s\n", cfg->id);
    ret = write_signed(db, st, head, false, DOMAIN_DIGESTS, path, n, err, errlen);
out:
    sqlite3_finalize(st);
    digest_function_drop(db);
    sodium_memzero(key, sizeof(key));
    return ret;
}

int rcl_agg_exchange_matches_write(sqlite3 *db, const struct rcl_agg_config *cfg,
                                   const char *county, const char *path, uint64_t *n, char *err,
                                   size_t errlen)
{
    char head[sizeof(MATCHES_HEADER) + 2 * RCL_ID_MAX + 16];
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
    snprintf(head, sizeof(head), MATCHES_HEADER "from %s\nto %s\n", cfg->id, county);
    rc = write_signed(db, st, head, true, DOMAIN_MATCHES, path, n, err, errlen);
    sqlite3_finalize(st);
    return rc;
}

/* ---- reading a file ---- */

struct exchange_file {
    char *buf;
    size_t len; /* the signed part: every byte before the signature line */
    uint8_t sig[RCL_SIG_BYTES];
    bool matches; /* a matches file, else digests */
    char from[RCL_ID_MAX + 1], to[RCL_ID_MAX + 1];
    size_t body;        /* where the digest lines start */
    unsigned body_line; /* the line number of the first of them */
};

/* The text of line (up to its newline) as a C string in out; false when it does not fit. */
static bool line_text(const char *p, const char *end, char *out, size_t outlen)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = (size_t)((nl ? nl : end) - p);

    if (n >= outlen)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

static bool hex32(const char *s, size_t n, uint8_t out[RCL_DIGEST_BYTES])
{
    size_t got = 0;
    const char *end = NULL;

    return n == 2 * RCL_DIGEST_BYTES &&
           sodium_hex2bin(out, RCL_DIGEST_BYTES, s, n, NULL, &got, &end) == 0 &&
           got == RCL_DIGEST_BYTES && end == s + n;
}

/* "from ID" (or "to ID") on the line at *p, which moves past it. */
static int id_line(const char **p, const char *end, const char *word, char *out, const char *path,
                   unsigned line, char *err, size_t errlen)
{
    char text[RCL_ID_MAX + 16];
    size_t w = strlen(word);

    if (!line_text(*p, end, text, sizeof(text)) || strncmp(text, word, w) != 0 || text[w] != ' ' ||
        !text[w + 1] || strlen(text + w + 1) > RCL_ID_MAX ||
        strspn(text + w + 1, "0123456789") != strlen(text + w + 1)) {
        snprintf(err, errlen, "%s:%u: expected '%s ID' (the code of a unit)", path, line, word);
        return -1;
    }
    snprintf(out, RCL_ID_MAX + 1, "%s", text + w + 1);
    *p += strlen(text) + 1;
    return 0;
}

/* Reads path whole and checks its shape: header, from (and to), a final signature line. */
static int file_read(const char *path, struct exchange_file *x, char *err, size_t errlen)
{
    FILE *f = rcl_fopen(path, "rb");
    size_t cap = 0, n = 0;
    const char *p, *end, *last;
    unsigned line = 2;

    memset(x, 0, sizeof(*x));
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (n == cap) {
            char *grown = cap < FILE_MAX ? realloc(x->buf, cap ? 2 * cap : 65536) : NULL;

            if (!grown) {
                snprintf(err, errlen, "%s: %s", path,
                         cap < FILE_MAX ? "out of memory" : "larger than any exchange file");
                fclose(f);
                return -1;
            }
            x->buf = grown;
            cap = cap ? 2 * cap : 65536;
        }
        size_t got = fread(x->buf + n, 1, cap - n, f);

        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        fclose(f);
        return -1;
    }
    fclose(f);
    end = x->buf + n;
    if (n >= strlen(DIGESTS_HEADER) && memcmp(x->buf, DIGESTS_HEADER, strlen(DIGESTS_HEADER)) == 0)
        x->matches = false;
    else if (n >= strlen(MATCHES_HEADER) &&
             memcmp(x->buf, MATCHES_HEADER, strlen(MATCHES_HEADER)) == 0)
        x->matches = true;
    else {
        snprintf(err, errlen, "%s:1: not an exchange file (expected '%.*s' or '%.*s')", path,
                 (int)strlen(DIGESTS_HEADER) - 1, DIGESTS_HEADER, (int)strlen(MATCHES_HEADER) - 1,
                 MATCHES_HEADER);
        return -1;
    }
    p = x->buf + strlen(DIGESTS_HEADER);
    if (id_line(&p, end, "from", x->from, path, line++, err, errlen) != 0 ||
        (x->matches && id_line(&p, end, "to", x->to, path, line++, err, errlen) != 0))
        return -1;
    x->body = (size_t)(p - x->buf);
    x->body_line = line;
    /* The signature line is the last, and ends the file. */
    if (n < 2 || x->buf[n - 1] != '\n') {
        snprintf(err, errlen, "%s: cut short: no signature line at its end", path);
        return -1;
    }
    last = end - 1;
    while (last > p && last[-1] != '\n')
        last--;
    if (last < p || (size_t)(end - last) != strlen("signature ") + 2 * RCL_SIG_BYTES + 1 ||
        memcmp(last, "signature ", strlen("signature ")) != 0) {
        snprintf(err, errlen, "%s: cut short: no signature line at its end", path);
        return -1;
    }
    {
        size_t got = 0;
        const char *hend = NULL;
        const char *h = last + strlen("signature ");

        if (sodium_hex2bin(x->sig, sizeof(x->sig), h, 2 * RCL_SIG_BYTES, NULL, &got, &hend) != 0 ||
            got != RCL_SIG_BYTES || hend != h + 2 * RCL_SIG_BYTES) {
            snprintf(err, errlen, "%s: the signature line is not 128 hex characters", path);
            return -1;
        }
    }
    x->len = (size_t)(last - x->buf);
    return 0;
}

/* Calls fn for each digest line of the signed part: "HEX" (digests) or "COUNTY HEX" (matches). */
static int each_line(const struct exchange_file *x, const char *path,
                     int (*fn)(void *arg, const char *county, const uint8_t *digest), void *arg,
                     uint64_t *n, char *err, size_t errlen)
{
    const char *p = x->buf + x->body, *end = x->buf + x->len;
    unsigned line = x->body_line;

    for (; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)(nl - p);
        char county[RCL_ID_MAX + 1] = "";
        const char *hex = p;
        uint8_t d[RCL_DIGEST_BYTES];

        if (x->matches) {
            const char *sp = memchr(p, ' ', len);
            size_t clen = sp ? (size_t)(sp - p) : 0;

            if (!sp || clen == 0 || clen > RCL_ID_MAX || strspn(p, "0123456789") != clen) {
                snprintf(err, errlen, "%s:%u: expected 'COUNTY DIGEST'", path, line);
                return -1;
            }
            memcpy(county, p, clen);
            county[clen] = '\0';
            hex = sp + 1;
            len -= clen + 1;
        }
        if (!hex32(hex, len, d)) {
            snprintf(err, errlen, "%s:%u: expected 64 hex characters (a digest)", path, line);
            return -1;
        }
        if (fn(arg, county, d) != 0) {
            snprintf(err, errlen, "%s:%u: the store failed", path, line);
            return -1;
        }
        (*n)++;
        p = nl + 1;
    }
    return 0;
}

struct put_ctx {
    sqlite3_stmt *st;
    const char *unit;
};

static int put_digest(void *arg, const char *county, const uint8_t *digest)
{
    struct put_ctx *c = arg;

    sqlite3_reset(c->st);
    sqlite3_bind_text(c->st, 1, county[0] ? county : c->unit, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(c->st, 2, digest, RCL_DIGEST_BYTES, SQLITE_TRANSIENT);
    return sqlite3_step(c->st) == SQLITE_DONE ? 0 : -1;
}

/* At a city or the province: the county's set replaces its last one. */
static int import_digests(sqlite3 *db, const struct exchange_file *x, const char *path,
                          struct rcl_agg_exchange_result *res, char *err, size_t errlen)
{
    struct rcl_agg_source src;
    struct put_ctx c = {NULL, x->from};
    sqlite3_stmt *st = NULL;
    int found = rcl_agg_source_get(db, x->from, &src), ret = -1;

    if (found < 0)
        return store_error(db, err, errlen);
    if (found == 0 || src.revoked) {
        snprintf(err, errlen, "%s:2: %s is %s here: its digests are not taken", path, x->from,
                 found == 0 ? "not enrolled" : "revoked");
        return -1;
    }
    if (rcl_verify(DOMAIN_DIGESTS, (const uint8_t *)x->buf, x->len, x->sig, src.public_key) != 0) {
        snprintf(err, errlen,
                 "%s: the signature does not verify under the key enrolled for %s: "
                 "the file is not %s's as written",
                 path, x->from, x->from);
        return -1;
    }
    if (rcl_db_begin(db) != 0)
        return store_error(db, err, errlen);
    if (!(st = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_SET_CLEAR))) {
        store_error(db, err, errlen);
        goto out;
    }
    sqlite3_bind_text(st, 1, x->from, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        store_error(db, err, errlen);
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (!(c.st = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_SET_PUT))) {
        store_error(db, err, errlen);
        goto out;
    }
    if (each_line(x, path, put_digest, &c, &res->digests, err, errlen) != 0)
        goto out;
    if (!(st = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_UNIT_PUT))) {
        store_error(db, err, errlen);
        goto out;
    }
    sqlite3_bind_text(st, 1, x->from, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)res->digests);
    sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
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
                          const struct exchange_file *x, const char *path,
                          struct rcl_agg_exchange_result *res, char *err, size_t errlen)
{
    uint8_t key[RCL_SECRET_KEY_BYTES];
    struct put_ctx c = {NULL, ""};
    sqlite3_stmt *st = NULL;
    int ret = -1;

    if (strcmp(x->to, cfg->id) != 0) {
        snprintf(err, errlen, "%s:3: the matches are for %s, not for this county %s", path, x->to,
                 cfg->id);
        return -1;
    }
    if (!cfg->has_upstream || rcl_verify(DOMAIN_MATCHES, (const uint8_t *)x->buf, x->len, x->sig,
                                         cfg->upstream_key) != 0) {
        snprintf(err, errlen,
                 "%s: the signature does not verify under the upstream's key of %s "
                 "(set-upstream): the file is not %s's as written",
                 path, cfg->id, x->from);
        return -1;
    }
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
    if (each_line(x, path, put_digest, &c, &res->digests, err, errlen) != 0)
        goto out;
    if (rcl_db_exec(db, RCL_AGG_SQL_EXCHANGE_MATCHES_CLEAR, "exchange") != 0 ||
        !(st = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_MATCHES_PUT))) {
        store_error(db, err, errlen);
        goto out;
    }
    sqlite3_bind_int64(st, 1, (int64_t)time(NULL));
    if (sqlite3_step(st) != SQLITE_DONE) {
        store_error(db, err, errlen);
        goto out;
    }
    res->students = (uint64_t)sqlite3_changes(db);
    if (rcl_db_exec(db, "DELETE FROM temp.exchange_incoming", "exchange") != 0 ||
        rcl_db_commit(db) != 0) {
        store_error(db, err, errlen);
        goto out;
    }
    ret = 0;
out:
    if (ret != 0)
        rcl_db_rollback(db);
    sqlite3_finalize(st);
    sqlite3_finalize(c.st);
wipe:
    digest_function_drop(db);
    sodium_memzero(key, sizeof(key));
    return ret;
}

int rcl_agg_exchange_import(sqlite3 *db, const struct rcl_agg_config *cfg, const char *path,
                            struct rcl_agg_exchange_result *res, char *err, size_t errlen)
{
    struct exchange_file x;
    int rc = -1;

    memset(res, 0, sizeof(*res));
    if (file_read(path, &x, err, errlen) == 0) {
        snprintf(res->from, sizeof(res->from), "%s", x.from);
        res->digests_file = !x.matches;
        if (x.matches && cfg->tier != RCL_AGG_COUNTY)
            snprintf(err, errlen, "%s: a file of matches is for a county; %s is a %s", path,
                     cfg->id, rcl_agg_tier_names[cfg->tier]);
        else if (!x.matches && cfg->tier == RCL_AGG_COUNTY)
            snprintf(err, errlen,
                     "%s: a county's digests go to its upstream (a city or the province); "
                     "%s is a county",
                     path, cfg->id);
        else if (x.matches)
            rc = import_matches(db, cfg, &x, path, res, err, errlen);
        else
            rc = import_digests(db, &x, path, res, err, errlen);
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

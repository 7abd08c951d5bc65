/*
 * agg_exchange.c - the cross-county exchange of keyed digests (agg_exchange.h).
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
#include "agg_exchange.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "agg_ingest.h"
#include "agg_sql.h"
#include "rcl_db.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_platform.h"
#include "rcl_time.h"

#define DIGESTS_HEADER "rollcall-exchange digests 2\n"
#define MATCHES_HEADER "rollcall-exchange matches 2\n"
#define CITY_HEADER "rollcall-exchange city-digests 1\n"
#define DOMAIN_DIGESTS "rollcall/v1/exchange-digests"
#define DOMAIN_MATCHES "rollcall/v1/exchange-matches"
#define DOMAIN_CITY "rollcall/v1/exchange-city-digests"
#define META_MATCHES_MADE "exchange_matches_made"
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
 * and 1, "UNIT -" for a NULL digest, else "HEX" of column 0), signed under
 * domain, to the new file path. *n gets the digest lines. 0, or -1 with err.
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

        if (with_unit)
            snprintf(prefix, sizeof(prefix), "%s ", (const char *)sqlite3_column_text(st, 0));
        if (with_unit && sqlite3_column_type(st, col) == SQLITE_NULL) {
            fprintf(m.f, "%s-\n", prefix);
            continue;
        }
        if (sqlite3_column_bytes(st, col) != RCL_DIGEST_BYTES)
            continue;
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
    char head[sizeof(CITY_HEADER) + RCL_ID_MAX + 40];
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
    snprintf(head, sizeof(head), "%sfrom %s\nmade %" PRId64 "\n",
             city ? CITY_HEADER : DIGESTS_HEADER, cfg->id, (int64_t)time(NULL));
    ret =
        write_signed(db, st, head, city, city ? DOMAIN_CITY : DOMAIN_DIGESTS, path, n, err, errlen);
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
    char head[sizeof(MATCHES_HEADER) + 2 * RCL_ID_MAX + 40];
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
    snprintf(head, sizeof(head), MATCHES_HEADER "from %s\nto %s\nmade %" PRId64 "\n", cfg->id,
             county, (int64_t)time(NULL));
    rc = write_signed(db, st, head, true, DOMAIN_MATCHES, path, n, err, errlen);
    sqlite3_finalize(st);
    return rc;
}

/* ---- reading a file ---- */

enum file_kind { KIND_DIGESTS, KIND_MATCHES, KIND_CITY };

/* Every header read: the current ones and those of version 1, which carry no made line. */
static const struct {
    const char *head;
    enum file_kind kind;
    bool dated;
} headers[] = {
    {DIGESTS_HEADER, KIND_DIGESTS, true},
    {MATCHES_HEADER, KIND_MATCHES, true},
    {CITY_HEADER, KIND_CITY, true},
    {"rollcall-exchange digests 1\n", KIND_DIGESTS, false},
    {"rollcall-exchange matches 1\n", KIND_MATCHES, false},
};

struct exchange_file {
    char *buf;
    size_t len; /* the signed part: every byte before the signature line */
    uint8_t sig[RCL_SIG_BYTES];
    enum file_kind kind;
    int64_t made; /* seconds since 1970; 0 for a file of version 1 */
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

/* "WORD DIGITS" on the line at *p, which moves past it; what names the digits in err. */
static int id_line(const char **p, const char *end, const char *word, const char *what, char *out,
                   const char *path, unsigned line, char *err, size_t errlen)
{
    char text[RCL_ID_MAX + 16];
    size_t w = strlen(word);

    if (!line_text(*p, end, text, sizeof(text)) || strncmp(text, word, w) != 0 || text[w] != ' ' ||
        !text[w + 1] || strlen(text + w + 1) > RCL_ID_MAX ||
        strspn(text + w + 1, "0123456789") != strlen(text + w + 1)) {
        snprintf(err, errlen, "%s:%u: expected '%s %s'", path, line, word, what);
        return -1;
    }
    snprintf(out, RCL_ID_MAX + 1, "%s", text + w + 1);
    *p += strlen(text) + 1;
    return 0;
}

/* Reads path whole and checks its shape: header, from (and to), made, a final signature line. */
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
    {
        size_t k = 0, nk = sizeof(headers) / sizeof(headers[0]);

        while (k < nk && (n < strlen(headers[k].head) ||
                          memcmp(x->buf, headers[k].head, strlen(headers[k].head)) != 0))
            k++;
        if (k == nk) {
            snprintf(err, errlen, "%s:1: not an exchange file (expected '%.*s', '%.*s' or '%.*s')",
                     path, (int)strlen(DIGESTS_HEADER) - 1, DIGESTS_HEADER,
                     (int)strlen(MATCHES_HEADER) - 1, MATCHES_HEADER, (int)strlen(CITY_HEADER) - 1,
                     CITY_HEADER);
            return -1;
        }
        x->kind = headers[k].kind;
        p = x->buf + strlen(headers[k].head);
        if (id_line(&p, end, "from", "ID (the code of a unit)", x->from, path, line++, err,
                    errlen) != 0 ||
            (x->kind == KIND_MATCHES && id_line(&p, end, "to", "ID (the code of a unit)", x->to,
                                                path, line++, err, errlen) != 0))
            return -1;
        if (headers[k].dated) {
            char made[RCL_ID_MAX + 1];

            if (id_line(&p, end, "made", "SECONDS (since 1970)", made, path, line++, err, errlen) !=
                0)
                return -1;
            x->made = strtoll(made, NULL, 10);
        }
    }
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

/*
 * Calls fn for each digest line of the signed part: "HEX" (a county's
 * digests), "COUNTY HEX" (matches, a city's sets) or "COUNTY -" (a city's
 * county of no digests: digest NULL). fn may say why it refused a line in why.
 */
static int each_line(const struct exchange_file *x, const char *path,
                     int (*fn)(void *arg, const char *county, const uint8_t *digest, char *why,
                               size_t whylen),
                     void *arg, uint64_t *n, char *err, size_t errlen)
{
    const char *p = x->buf + x->body, *end = x->buf + x->len;
    unsigned line = x->body_line;

    for (; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)(nl - p);
        char county[RCL_ID_MAX + 1] = "", why[384] = "the store failed";
        const char *hex = p;
        uint8_t d[RCL_DIGEST_BYTES];
        bool none = false;

        if (x->kind != KIND_DIGESTS) {
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
            none = x->kind == KIND_CITY && len == 1 && hex[0] == '-';
        }
        if (!none && !hex32(hex, len, d)) {
            snprintf(err, errlen, "%s:%u: expected 64 hex characters (a digest)", path, line);
            return -1;
        }
        if (fn(arg, county, none ? NULL : d, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "%s:%u: %s", path, line, why);
            return -1;
        }
        if (!none)
            (*n)++;
        p = nl + 1;
    }
    return 0;
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
    const struct exchange_file *x;
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
    const struct exchange_file *x = c->x;
    int64_t held;

    if (x->kind == KIND_CITY) {
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
static int import_sets(sqlite3 *db, const struct exchange_file *x, const char *path,
                       struct rcl_agg_exchange_result *res, char *err, size_t errlen)
{
    struct rcl_agg_source src;
    struct sets_ctx c = {.db = db, .x = x};
    int found = rcl_agg_source_get(db, x->from, &src), ret = -1;
    const char *domain = x->kind == KIND_CITY ? DOMAIN_CITY : DOMAIN_DIGESTS;

    if (found < 0)
        return store_error(db, err, errlen);
    if (found == 0 || src.revoked) {
        snprintf(err, errlen, "%s:2: %s is %s here: its digests are not taken", path, x->from,
                 found == 0 ? "not enrolled" : "revoked");
        return -1;
    }
    if (rcl_verify(domain, (const uint8_t *)x->buf, x->len, x->sig, src.public_key) != 0) {
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
    if (x->kind == KIND_DIGESTS) {
        char why[384] = "the store failed";

        if (set_open(&c, x->from, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "%s: %s", path, why);
            goto out;
        }
    }
    if (each_line(x, path, put_set_line, &c, &res->digests, err, errlen) != 0)
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
                         const struct exchange_file *x, const char *path, int64_t held, char *err,
                         size_t errlen)
{
    if (!cfg->has_upstream || rcl_verify(DOMAIN_MATCHES, (const uint8_t *)x->buf, x->len, x->sig,
                                         cfg->upstream_key) != 0) {
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
                         const struct exchange_file *x, const char *path,
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
    if (!(st = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_RELAY_CLEAR))) {
        store_error(db, err, errlen);
        goto out;
    }
    sqlite3_bind_text(st, 1, x->to, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE ||
        !(c.st = rcl_db_prepare(db, RCL_AGG_SQL_EXCHANGE_RELAY_PUT))) {
        store_error(db, err, errlen);
        goto out;
    }
    if (each_line(x, path, put_match, &c, &res->digests, err, errlen) != 0)
        goto out;
    sqlite3_finalize(st);
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
                          const struct exchange_file *x, const char *path,
                          struct rcl_agg_exchange_result *res, char *err, size_t errlen)
{
    uint8_t key[RCL_SECRET_KEY_BYTES];
    struct put_ctx c = {NULL, NULL};
    sqlite3_stmt *st = NULL;
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
    if (each_line(x, path, put_match, &c, &res->digests, err, errlen) != 0)
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
        rcl_meta_set_int(db, META_MATCHES_MADE, x->made) != 0 || rcl_db_commit(db) != 0) {
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
    const char *tier = rcl_agg_tier_names[cfg->tier];
    int rc = -1;

    memset(res, 0, sizeof(*res));
    if (file_read(path, &x, err, errlen) == 0) {
        snprintf(res->from, sizeof(res->from), "%s", x.from);
        snprintf(res->to, sizeof(res->to), "%s", x.to);
        res->digests_file = x.kind == KIND_CITY ? 2 : x.kind == KIND_DIGESTS;
        if (x.kind == KIND_MATCHES && cfg->tier == RCL_AGG_PROVINCE)
            snprintf(err, errlen, "%s: a file of matches is for a county (or its city); %s is a %s",
                     path, cfg->id, tier);
        else if (x.kind == KIND_DIGESTS && cfg->tier == RCL_AGG_COUNTY)
            snprintf(err, errlen,
                     "%s: a county's digests go to its upstream (a city or the province); "
                     "%s is a county",
                     path, cfg->id);
        else if (x.kind == KIND_CITY && cfg->tier != RCL_AGG_PROVINCE)
            snprintf(err, errlen, "%s: a city's digests go to the province; %s is a %s", path,
                     cfg->id, tier);
        else if (x.kind == KIND_MATCHES && cfg->tier == RCL_AGG_CITY)
            rc = relay_matches(db, cfg, &x, path, res, err, errlen);
        else if (x.kind == KIND_MATCHES)
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

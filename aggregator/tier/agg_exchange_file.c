/*
 * agg_exchange_file.c - the exchange's files: their text form, reading and
 * checking one, writing and signing one (agg_exchange_file.h).
 */
#include "agg_exchange_file.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rcl_platform.h"

#define DIGESTS_HEADER "rollcall-exchange digests 2\n"
#define MATCHES_HEADER "rollcall-exchange matches 2\n"
#define CITY_HEADER "rollcall-exchange city-digests 1\n"
/* A county of a million students and transfers, as hex lines, with room to spare. */
#define FILE_MAX (256u << 20)

/* What each kind is written with: its header and its signature's domain. */
static const struct {
    const char *head;
    const char *domain;
} kinds[] = {
    [RCL_AGG_EXCHANGE_DIGESTS] = {DIGESTS_HEADER, "rollcall/v1/exchange-digests"},
    [RCL_AGG_EXCHANGE_MATCHES] = {MATCHES_HEADER, "rollcall/v1/exchange-matches"},
    [RCL_AGG_EXCHANGE_CITY] = {CITY_HEADER, "rollcall/v1/exchange-city-digests"},
};

int rcl_agg_exchange_file_new(const char *path, const char *data, size_t len, char *err,
                              size_t errlen)
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

/* ---- writing ---- */

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

int rcl_agg_exchange_file_write(sqlite3 *db, sqlite3_stmt *st, enum rcl_agg_exchange_kind kind,
                                const char *from, const char *to, int64_t made, const char *path,
                                uint64_t *n, char *err, size_t errlen)
{
    struct rcl_memstream m = {0};
    bool with_unit = kind != RCL_AGG_EXCHANGE_DIGESTS;
    int rc, ret = -1;

    if (rcl_memstream_open(&m) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    fputs(kinds[kind].head, m.f);
    fprintf(m.f, "from %s\n", from);
    if (kind == RCL_AGG_EXCHANGE_MATCHES)
        fprintf(m.f, "to %s\n", to);
    fprintf(m.f, "made %" PRId64 "\n", made);
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
        snprintf(err, errlen, "the store failed: %s", sqlite3_errmsg(db));
    else if (sign_close(db, &m, kinds[kind].domain, err, errlen) == 0 &&
             rcl_agg_exchange_file_new(path, m.buf, m.len, err, errlen) == 0)
        ret = 0;
    if (m.f)
        rcl_memstream_close(&m);
    free(m.buf);
    return ret;
}

/* ---- reading ---- */

/* Every header read: the current ones and those of version 1, which carry no made line. */
static const struct {
    const char *head;
    enum rcl_agg_exchange_kind kind;
    bool dated;
} headers[] = {
    {DIGESTS_HEADER, RCL_AGG_EXCHANGE_DIGESTS, true},
    {MATCHES_HEADER, RCL_AGG_EXCHANGE_MATCHES, true},
    {CITY_HEADER, RCL_AGG_EXCHANGE_CITY, true},
    {"rollcall-exchange digests 1\n", RCL_AGG_EXCHANGE_DIGESTS, false},
    {"rollcall-exchange matches 1\n", RCL_AGG_EXCHANGE_MATCHES, false},
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

int rcl_agg_exchange_file_read(const char *path, struct rcl_agg_exchange_file *x, char *err,
                               size_t errlen)
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
            (x->kind == RCL_AGG_EXCHANGE_MATCHES &&
             id_line(&p, end, "to", "ID (the code of a unit)", x->to, path, line++, err, errlen) !=
                 0))
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

int rcl_agg_exchange_file_each_line(const struct rcl_agg_exchange_file *x, const char *path,
                                    int (*fn)(void *arg, const char *county, const uint8_t *digest,
                                              char *why, size_t whylen),
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

        if (x->kind != RCL_AGG_EXCHANGE_DIGESTS) {
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
            none = x->kind == RCL_AGG_EXCHANGE_CITY && len == 1 && hex[0] == '-';
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

int rcl_agg_exchange_file_verify(const struct rcl_agg_exchange_file *x,
                                 const uint8_t pk[RCL_PK_BYTES])
{
    return rcl_verify(kinds[x->kind].domain, (const uint8_t *)x->buf, x->len, x->sig, pk);
}

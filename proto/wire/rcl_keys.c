/*
 * rcl_keys.c - identity keys (Ed25519), their CURVE forms, key ids,
 * domain-separated signatures and payload digests, all over libsodium.
 */
#include "rcl_keys.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_platform.h"

int rcl_keys_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

int rcl_key_generate(uint8_t pk[RCL_PK_BYTES], uint8_t sk[RCL_SK_BYTES])
{
    return crypto_sign_keypair(pk, sk) == 0 ? 0 : -1;
}

void rcl_key_to_hex(const uint8_t pk[RCL_PK_BYTES], char out[RCL_PK_HEX_LEN + 1])
{
    sodium_bin2hex(out, RCL_PK_HEX_LEN + 1, pk, RCL_PK_BYTES);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int rcl_key_from_hex(const char *s, uint8_t pk[RCL_PK_BYTES])
{
    uint8_t tmp[RCL_PK_BYTES];
    uint8_t curve[RCL_CURVE_KEY_BYTES];
    size_t bin_len = 0;
    const char *end;
    int rc = -1;

    if (s == NULL)
        return -1;
    while (is_space(*s))
        s++;
    end = s + strlen(s);
    while (end > s && is_space(end[-1]))
        end--;
    if (end - s != RCL_PK_HEX_LEN)
        goto done;
    for (const char *p = s; p < end; p++) {
        if (!is_hex(*p))
            goto done;
    }
    if (sodium_hex2bin(tmp, sizeof(tmp), s, RCL_PK_HEX_LEN, NULL, &bin_len, NULL) != 0 ||
        bin_len != RCL_PK_BYTES)
        goto done;
    /* The conversion refuses points that are not on the curve or have small
     * order: such a key could never verify an honest signature nor serve as a
     * CURVE key. */
    if (crypto_sign_ed25519_pk_to_curve25519(curve, tmp) != 0)
        goto done;
    memcpy(pk, tmp, RCL_PK_BYTES);
    rc = 0;
done:
    return rc;
}

void rcl_key_id(const uint8_t pk[RCL_PK_BYTES], uint8_t id[RCL_KEY_ID_BYTES])
{
    uint8_t h[32];

    crypto_generichash(h, sizeof(h), pk, RCL_PK_BYTES, NULL, 0);
    memcpy(id, h, RCL_KEY_ID_BYTES);
}

int rcl_key_curve_public(const uint8_t pk[RCL_PK_BYTES], uint8_t out[RCL_CURVE_KEY_BYTES])
{
    return crypto_sign_ed25519_pk_to_curve25519(out, pk) == 0 ? 0 : -1;
}

int rcl_key_curve_secret(const uint8_t sk[RCL_SK_BYTES], uint8_t out[RCL_CURVE_KEY_BYTES])
{
    return crypto_sign_ed25519_sk_to_curve25519(out, sk) == 0 ? 0 : -1;
}

/* domain || 0x00 || msg in a fresh buffer (caller frees), or NULL. */
static uint8_t *domain_message(const char *domain, const uint8_t *msg, size_t len, size_t *out_len)
{
    size_t dlen = strlen(domain);
    uint8_t *buf;

    if (len > SIZE_MAX - dlen - 1)
        return NULL;
    buf = malloc(dlen + 1 + len);
    if (buf == NULL)
        return NULL;
    memcpy(buf, domain, dlen);
    buf[dlen] = 0;
    if (len > 0)
        memcpy(buf + dlen + 1, msg, len);
    *out_len = dlen + 1 + len;
    return buf;
}

int rcl_sign(const char *domain, const uint8_t *msg, size_t len, const uint8_t sk[RCL_SK_BYTES],
             uint8_t sig[RCL_SIG_BYTES])
{
    size_t mlen = 0;
    uint8_t *m = domain_message(domain, msg, len, &mlen);
    int rc = -1;

    if (m == NULL)
        goto done;
    if (crypto_sign_detached(sig, NULL, m, mlen, sk) != 0)
        goto done;
    rc = 0;
done:
    free(m);
    return rc;
}

int rcl_verify(const char *domain, const uint8_t *msg, size_t len, const uint8_t sig[RCL_SIG_BYTES],
               const uint8_t pk[RCL_PK_BYTES])
{
    size_t mlen = 0;
    uint8_t *m = domain_message(domain, msg, len, &mlen);
    int rc = -1;

    if (m == NULL)
        goto done;
    if (crypto_sign_verify_detached(sig, m, mlen, pk) != 0)
        goto done;
    rc = 0;
done:
    free(m);
    return rc;
}

size_t rcl_key_rotation_message(const char *source, const uint8_t old_pk[RCL_PK_BYTES],
                                const uint8_t new_pk[RCL_PK_BYTES], uint8_t *out)
{
    size_t n = strnlen(source, 32);

    memcpy(out, source, n);
    out[n++] = 0;
    memcpy(out + n, old_pk, RCL_PK_BYTES);
    memcpy(out + n + RCL_PK_BYTES, new_pk, RCL_PK_BYTES);
    return n + 2 * RCL_PK_BYTES;
}

void rcl_digest(const uint8_t *data, size_t len, uint8_t out[RCL_DIGEST_BYTES])
{
    crypto_generichash(out, RCL_DIGEST_BYTES, data, len, NULL, 0);
}

int rcl_file_private_check(const struct rcl_file_info *info, const char *path, const char *holds,
                           char *err, size_t errlen)
{
    if ((info->perm & 077) == 0)
        return 0;
    snprintf(err, errlen, "%s: mode %04o lets group or others read or write %s; run: chmod 600 %s",
             path, info->perm, holds, path);
    return -1;
}

int rcl_secret_key_file_read(const char *path, const char *what, uint8_t out[RCL_SECRET_KEY_BYTES],
                             char *err, size_t errlen)
{
    /* Room for the hex, white space around it, and one byte more to notice a longer file. */
    char text[256], holds[64];
    size_t n = 0;
    size_t bin_len = 0;
    const char *end = NULL;
    struct rcl_file_info sb;
    int rc = -1;
    FILE *f = rcl_fopen(path, "rb");

    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    /* A key file others can read is refused before it is read (fstat: the file we opened). */
    if (rcl_file_stat(f, &sb) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto done;
    }
    snprintf(holds, sizeof(holds), "the %s", what);
    if (rcl_file_private_check(&sb, path, holds, err, errlen) != 0)
        goto done;
    n = fread(text, 1, sizeof(text) - 1, f);
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        goto done;
    }
    text[n] = '\0';

    size_t b = 0;
    while (b < n && (text[b] == ' ' || text[b] == '\t' || text[b] == '\r' || text[b] == '\n'))
        b++;
    size_t e = n;
    while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t' || text[e - 1] == '\r' ||
                     text[e - 1] == '\n'))
        e--;
    if (n == sizeof(text) - 1 || e - b != 2 * RCL_SECRET_KEY_BYTES ||
        sodium_hex2bin(out, RCL_SECRET_KEY_BYTES, text + b, e - b, NULL, &bin_len, &end) != 0 ||
        bin_len != RCL_SECRET_KEY_BYTES || end != text + e) {
        snprintf(err, errlen, "%s: expected 64 hex characters (a 32-byte %s)", path, what);
        sodium_memzero(out, RCL_SECRET_KEY_BYTES);
        goto done;
    }
    rc = 0;
done:
    sodium_memzero(text, sizeof(text));
    fclose(f);
    return rc;
}

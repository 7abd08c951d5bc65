/*
 * rcl_envelope.c - sealing a payload (sign under its domain, attach the key
 * id, encode), checking a received envelope against the sender's enrolled
 * key before anything inside the payload is looked at, and opening the
 * batch inside, compressed or not.
 */
#include "rcl_envelope.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_columns.h"
#include "rcl_deflate.h"

static int seal(const char *source, bool deflated, const uint8_t *payload, size_t len,
                const uint8_t pk[RCL_PK_BYTES], const uint8_t sk[RCL_SK_BYTES], uint8_t **out,
                size_t *outlen)
{
    uint8_t sig[RCL_SIG_BYTES];
    uint8_t key_id[RCL_KEY_ID_BYTES];
    int rc = -1;

    *out = NULL;
    *outlen = 0;
    if (!rcl_id_valid(source) || len == 0 || len > RCL_MESSAGE_BYTES_MAX)
        goto done;
    if (rcl_sign(deflated ? RCL_DOMAIN_BATCH_DEFLATED : RCL_DOMAIN_BATCH, payload, len, sk, sig) !=
        0)
        goto done;
    rcl_key_id(pk, key_id);
    if ((deflated ? rcl_envelope_encode_deflated
                  : rcl_envelope_encode)(source, key_id, sig, payload, len, out, outlen) != 0)
        goto done;
    rc = 0;
done:
    sodium_memzero(sig, sizeof(sig));
    return rc;
}

int rcl_envelope_seal(const char *source, const uint8_t *payload, size_t len,
                      const uint8_t pk[RCL_PK_BYTES], const uint8_t sk[RCL_SK_BYTES], uint8_t **out,
                      size_t *outlen)
{
    return seal(source, false, payload, len, pk, sk, out, outlen);
}

int rcl_envelope_seal_deflated(const char *source, const uint8_t *deflated, size_t len,
                               const uint8_t pk[RCL_PK_BYTES], const uint8_t sk[RCL_SK_BYTES],
                               uint8_t **out, size_t *outlen)
{
    return seal(source, true, deflated, len, pk, sk, out, outlen);
}

int rcl_batch_compress(const uint8_t *payload, size_t len, uint8_t **out, size_t *outlen)
{
    struct rcl_columns cols;
    uint8_t *z = NULL, *buf = NULL, head[10];
    size_t zlen = 0, hlen = 0, v;
    int rc;

    *out = NULL;
    *outlen = 0;
    rc = rcl_columns_pack(payload, len, &cols);
    if (rc != 0)
        return rc;
    rc = -1;
    if (rcl_deflate(cols.rest, cols.rest_len, &z, &zlen) != 0)
        goto done;
    for (v = cols.apart_len; v >= 0x80; v >>= 7)
        head[hlen++] = (uint8_t)(v | 0x80);
    head[hlen++] = (uint8_t)v;
    buf = malloc(hlen + cols.apart_len + zlen);
    if (buf == NULL)
        goto done;
    memcpy(buf, head, hlen);
    if (cols.apart_len > 0)
        memcpy(buf + hlen, cols.apart, cols.apart_len);
    memcpy(buf + hlen + cols.apart_len, z, zlen);
    *out = buf;
    *outlen = hlen + cols.apart_len + zlen;
    rc = 0;
done:
    free(z);
    rcl_columns_free(&cols);
    return rc;
}

int rcl_batch_expand(const uint8_t *z, size_t len, uint8_t **out, size_t *outlen, char *err,
                     size_t errlen)
{
    uint8_t *rest = NULL;
    size_t rest_len = 0, i = 0, apart_len = 0;
    int shift = 0, rc;

    *out = NULL;
    *outlen = 0;
    /* The set-apart part's length: a varint of at most 4 bytes (the message bound). */
    for (;;) {
        if (i == len || shift > 21) {
            snprintf(err, errlen, "compressed payload: the set-apart part's length is not valid");
            return -1;
        }
        apart_len |= (size_t)(z[i] & 0x7F) << shift;
        shift += 7;
        if (!(z[i++] & 0x80))
            break;
    }
    if (apart_len > len - i) {
        snprintf(err, errlen, "compressed payload: the set-apart part of %zu bytes is cut short",
                 apart_len);
        return -1;
    }
    /* The cap is the bound every plain message has: compression buys no larger batches. */
    if (rcl_inflate(z + i + apart_len, len - i - apart_len, RCL_MESSAGE_BYTES_MAX, &rest, &rest_len,
                    err, errlen) != 0)
        return -1;
    rc = rcl_columns_unpack(z + i, apart_len, rest, rest_len, RCL_MESSAGE_BYTES_MAX, out, outlen,
                            err, errlen);
    free(rest);
    return rc;
}

int rcl_envelope_seal_batch(const char *source, const uint8_t *payload, size_t len,
                            const uint8_t pk[RCL_PK_BYTES], const uint8_t sk[RCL_SK_BYTES],
                            uint8_t **out, size_t *outlen, uint8_t digest[RCL_DIGEST_BYTES])
{
    uint8_t *z = NULL;
    size_t zlen = 0;
    int rc;

    *out = NULL;
    *outlen = 0;
    if (len == 0 || len > RCL_MESSAGE_BYTES_MAX)
        return -1;
    rc = rcl_batch_compress(payload, len, &z, &zlen);
    if (rc < 0)
        return -1;
    if (rc == 0 && zlen < len) {
        rc = seal(source, true, z, zlen, pk, sk, out, outlen);
        if (rc == 0)
            rcl_digest(z, zlen, digest);
        free(z);
        return rc;
    }
    free(z);
    rc = seal(source, false, payload, len, pk, sk, out, outlen);
    if (rc == 0)
        rcl_digest(payload, len, digest);
    return rc;
}

int rcl_envelope_verify(const struct rcl_envelope *env, const uint8_t pk[RCL_PK_BYTES], char *err,
                        size_t errlen)
{
    uint8_t want[RCL_KEY_ID_BYTES];

    if (env == NULL || env->payload.data == NULL || env->payload.len == 0) {
        snprintf(err, errlen, "envelope has no payload");
        return -1;
    }
    rcl_key_id(pk, want);
    if (sodium_memcmp(want, env->key_id, RCL_KEY_ID_BYTES) != 0) {
        snprintf(err, errlen, "key id does not match the enrolled key");
        return -1;
    }
    if (rcl_verify(env->deflated ? RCL_DOMAIN_BATCH_DEFLATED : RCL_DOMAIN_BATCH, env->payload.data,
                   env->payload.len, env->signature, pk) != 0) {
        snprintf(err, errlen, "signature does not verify");
        return -1;
    }
    return 0;
}

int rcl_envelope_open_batch(const struct rcl_envelope *env, struct rcl_batch **out, char *err,
                            size_t errlen)
{
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    int rc;

    *out = NULL;
    if (!env->deflated)
        return rcl_batch_decode(env->payload.data, env->payload.len, out, err, errlen);
    if (rcl_batch_expand(env->payload.data, env->payload.len, &plain, &plain_len, err, errlen) != 0)
        return -1;
    rc = rcl_batch_decode(plain, plain_len, out, err, errlen);
    free(plain);
    return rc;
}

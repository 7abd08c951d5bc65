/*
 * rcl_envelope.c - sealing a payload (sign under RCL_DOMAIN_BATCH, attach the
 * key id, encode) and checking a received envelope against the sender's
 * enrolled key before anything inside the payload is looked at.
 */
#include "rcl_envelope.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

int rcl_envelope_seal(const char *source, const uint8_t *payload, size_t len,
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
    if (rcl_sign(RCL_DOMAIN_BATCH, payload, len, sk, sig) != 0)
        goto done;
    rcl_key_id(pk, key_id);
    if (rcl_envelope_encode(source, key_id, sig, payload, len, out, outlen) != 0)
        goto done;
    rc = 0;
done:
    sodium_memzero(sig, sizeof(sig));
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
    if (rcl_verify(RCL_DOMAIN_BATCH, env->payload.data, env->payload.len, env->signature, pk) !=
        0) {
        snprintf(err, errlen, "signature does not verify");
        return -1;
    }
    return 0;
}

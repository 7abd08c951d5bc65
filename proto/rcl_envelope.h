/*
 * rcl_envelope.h - sealing a payload into a signed envelope, and opening one:
 * the signature is checked against the sender's enrolled key before anything
 * else in the payload is decoded.
 */
#ifndef RCL_ENVELOPE_H
#define RCL_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "rcl_codec.h"
#include "rcl_keys.h"

/* Signs payload under RCL_DOMAIN_BATCH and encodes the envelope into *out (caller frees). */
int rcl_envelope_seal(const char *source, const uint8_t *payload, size_t len,
                      const uint8_t pk[RCL_PK_BYTES], const uint8_t sk[RCL_SK_BYTES], uint8_t **out,
                      size_t *outlen);

/*
 * Checks that env was signed by pk: the key id must match and the signature
 * verify. Returns 0, or -1 with the reason in err.
 */
int rcl_envelope_verify(const struct rcl_envelope *env, const uint8_t pk[RCL_PK_BYTES], char *err,
                        size_t errlen);

#endif

/*
 * rcl_envelope.h - sealing a payload into a signed envelope, and opening one:
 * the signature is checked against the sender's enrolled key before anything
 * else in the payload is decoded (inflating a compressed one included).
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

/* Signs deflated (a payload already compressed by rcl_batch_compress) under
 * RCL_DOMAIN_BATCH_DEFLATED and encodes it as payload_deflated into *out. */
int rcl_envelope_seal_deflated(const char *source, const uint8_t *deflated, size_t len,
                               const uint8_t pk[RCL_PK_BYTES], const uint8_t sk[RCL_SK_BYTES],
                               uint8_t **out, size_t *outlen);

/*
 * The compressed form of an encoded batch (payload_deflated): varint length
 * and the set-apart columns, then the rest of its column form compressed
 * (rcl_columns.h, rcl_deflate.h). rcl_batch_compress returns 0 with a
 * malloc'd *out (caller frees); 1 when the batch has a form the columns do
 * not carry (send it plain); -1 when out of memory. rcl_batch_expand
 * rebuilds the batch into a malloc'd *out, at most RCL_MESSAGE_BYTES_MAX
 * bytes, or returns -1 with the reason in err.
 */
int rcl_batch_compress(const uint8_t *payload, size_t len, uint8_t **out, size_t *outlen);
int rcl_batch_expand(const uint8_t *z, size_t len, uint8_t **out, size_t *outlen, char *err,
                     size_t errlen);

/*
 * Seals an encoded batch in its smaller form: compressed when that saves
 * bytes, else plain. digest receives rcl_digest of the bytes signed (what
 * the receiver chains the next batch to). Returns 0, or -1 (out of memory,
 * or len 0 or over RCL_MESSAGE_BYTES_MAX).
 */
int rcl_envelope_seal_batch(const char *source, const uint8_t *payload, size_t len,
                            const uint8_t pk[RCL_PK_BYTES], const uint8_t sk[RCL_SK_BYTES],
                            uint8_t **out, size_t *outlen, uint8_t digest[RCL_DIGEST_BYTES]);

/*
 * Checks that env was signed by pk: the key id must match and the signature
 * verify (under the domain of the form the payload travels in). Returns 0,
 * or -1 with the reason in err.
 */
int rcl_envelope_verify(const struct rcl_envelope *env, const uint8_t pk[RCL_PK_BYTES], char *err,
                        size_t errlen);

/*
 * Decodes the batch of an envelope that rcl_envelope_verify accepted,
 * expanding it first when it travels compressed (rcl_batch_expand). Returns 0 with *out
 * (rcl_batch_destroy), or -1 with the reason in err.
 */
int rcl_envelope_open_batch(const struct rcl_envelope *env, struct rcl_batch **out, char *err,
                            size_t errlen);

#endif

/*
 * rcl_keys.h - a node's identity key, and signatures over domain-separated
 * messages.
 *
 * One Ed25519 key per node. Its X25519 form is the node's CURVE key, so a
 * node has one public key to enroll. A public key prints as 64 lowercase
 * hex characters.
 */
#ifndef RCL_KEYS_H
#define RCL_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define RCL_PK_BYTES 32
#define RCL_SK_BYTES 64
#define RCL_SIG_BYTES 64
#define RCL_KEY_ID_BYTES 8
#define RCL_DIGEST_BYTES 32
#define RCL_PK_HEX_LEN 64
#define RCL_CURVE_KEY_BYTES 32

/* Domains: what a signature is for, so one can never be replayed as another. */
#define RCL_DOMAIN_BATCH "rollcall/v1/batch"
/* A batch in compressed column form (rcl_envelope.h: rcl_batch_compress), signed as compressed. */
#define RCL_DOMAIN_BATCH_DEFLATED "rollcall/v1/batch-packed1"
#define RCL_DOMAIN_ROTATE "rollcall/v1/rotate"

/*
 * The message a new key signs to prove its holder rotates source's key:
 * source || 0x00 || old key || new key, into out (at most RCL_ID_MAX + 1 +
 * 2 * RCL_PK_BYTES bytes). Returns its length.
 */
size_t rcl_key_rotation_message(const char *source, const uint8_t old_pk[RCL_PK_BYTES],
                                const uint8_t new_pk[RCL_PK_BYTES], uint8_t *out);
#define RCL_KEY_ROTATION_MESSAGE_MAX (32 + 1 + 2 * RCL_PK_BYTES)

/* Call once before anything else here. Returns 0, or -1 when libsodium fails to start. */
int rcl_keys_init(void);

struct rcl_file_info;
/*
 * A file that holds a secret (a store with the node's key, a pseudonym key, a
 * TLS key) must be its owner's alone: a copy or restore that widened the mode
 * is noticed, not silently used. 0, or -1 with err naming path, its mode, what
 * it holds and the chmod to run.
 */
int rcl_file_private_check(const struct rcl_file_info *info, const char *path, const char *holds,
                           char *err, size_t errlen);

/*
 * A 32-byte secret key kept in a file of its own as 64 hex characters (white
 * space around them ignored): the pseudonym key, a county's exchange key. A
 * file group or others may read or write is refused. what names the key in
 * messages ("pseudonym key"). Returns 0, or -1 with "path: reason" in err.
 * The caller wipes out after use.
 */
#define RCL_SECRET_KEY_BYTES 32
int rcl_secret_key_file_read(const char *path, const char *what, uint8_t out[RCL_SECRET_KEY_BYTES],
                             char *err, size_t errlen);

/* Makes a new identity key. sk must be wiped with sodium_memzero by the caller. */
int rcl_key_generate(uint8_t pk[RCL_PK_BYTES], uint8_t sk[RCL_SK_BYTES]);

/* pk as 64 hex characters plus NUL. */
void rcl_key_to_hex(const uint8_t pk[RCL_PK_BYTES], char out[RCL_PK_HEX_LEN + 1]);

/* Parses 64 hex characters (surrounding white space ignored) that name a valid
 * Ed25519 point. Returns 0, or -1. */
int rcl_key_from_hex(const char *s, uint8_t pk[RCL_PK_BYTES]);

/* Key id: the first 8 bytes of BLAKE2b-256 of pk. */
void rcl_key_id(const uint8_t pk[RCL_PK_BYTES], uint8_t id[RCL_KEY_ID_BYTES]);

/* The CURVE (X25519) forms of an identity key. 0, or -1 for an invalid key. */
int rcl_key_curve_public(const uint8_t pk[RCL_PK_BYTES], uint8_t out[RCL_CURVE_KEY_BYTES]);
int rcl_key_curve_secret(const uint8_t sk[RCL_SK_BYTES], uint8_t out[RCL_CURVE_KEY_BYTES]);

/*
 * Signs domain || 0x00 || msg. Returns 0, or -1 (out of memory).
 */
int rcl_sign(const char *domain, const uint8_t *msg, size_t len, const uint8_t sk[RCL_SK_BYTES],
             uint8_t sig[RCL_SIG_BYTES]);

/* Verifies a signature made by rcl_sign. Returns 0 when valid, -1 otherwise. */
int rcl_verify(const char *domain, const uint8_t *msg, size_t len, const uint8_t sig[RCL_SIG_BYTES],
               const uint8_t pk[RCL_PK_BYTES]);

/* BLAKE2b-256 of data: the digest of a batch payload. */
void rcl_digest(const uint8_t *data, size_t len, uint8_t out[RCL_DIGEST_BYTES]);

#endif

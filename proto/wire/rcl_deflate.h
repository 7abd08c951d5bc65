/*
 * rcl_deflate.h - the compressed form of a batch payload: raw DEFLATE
 * (RFC 1951, no zlib header) with a fixed preset dictionary of what student
 * records hold in common (rcl_deflate_dict.c). The dictionary is part of the
 * wire format: bytes compressed with it can only be inflated with the very
 * same bytes, so it never changes; another one would travel in another
 * envelope field.
 */
#ifndef RCL_DEFLATE_H
#define RCL_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

/* The preset dictionary (version 1), and its length. */
extern const uint8_t rcl_deflate_dict[];
extern const size_t rcl_deflate_dict_len;

/*
 * Compresses in (len bytes, at least 1) into a malloc'd *out (caller frees);
 * the caller compares the lengths (incompressible bytes grow a little).
 * Returns 0, or -1 when out of memory or len is 0 or too large.
 */
int rcl_deflate(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen);

/*
 * Inflates in (len bytes) into a malloc'd *out (caller frees), refusing to
 * produce more than cap bytes: a small message that would inflate past the
 * cap (a decompression bomb) is refused without allocating more than cap.
 * Returns 0, or -1 with the reason in err (*out is NULL then): not a valid
 * stream, cut short, bytes after its end, or more than cap bytes.
 */
int rcl_inflate(const uint8_t *in, size_t len, size_t cap, uint8_t **out, size_t *outlen, char *err,
                size_t errlen);

#endif

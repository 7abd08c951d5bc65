/*
 * rcl_deflate.c - raw DEFLATE with the preset dictionary, both ways. The
 * inflating side reads bytes a peer sent: it never allocates more than its
 * cap (plus one byte, to tell "exactly cap" from "more"), and refuses a
 * stream that is cut short or followed by anything.
 */
#include "rcl_deflate.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

/* Raw DEFLATE: no zlib header or Adler-32, which the signature makes redundant. */
#define RAW_WINDOW_BITS (-15)
#define MEM_LEVEL 9
#define FIRST_GUESS 4 /* inflated/deflated ratio to size the first output buffer */

int rcl_deflate(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen)
{
    z_stream z = {0};
    uint8_t *buf = NULL;
    size_t bound;
    int rc = -1;

    *out = NULL;
    *outlen = 0;
    if (len == 0 || len > UINT_MAX)
        return -1;
    if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, RAW_WINDOW_BITS, MEM_LEVEL,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    if (deflateSetDictionary(&z, rcl_deflate_dict, (uInt)rcl_deflate_dict_len) != Z_OK)
        goto done;
    bound = deflateBound(&z, (uLong)len);
    buf = malloc(bound);
    if (buf == NULL)
        goto done;
    z.next_in = (Bytef *)(uintptr_t)in; /* zlib does not write through it */
    z.avail_in = (uInt)len;
    z.next_out = buf;
    z.avail_out = (uInt)bound;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        goto done;
    *out = buf;
    *outlen = z.total_out;
    buf = NULL;
    rc = 0;
done:
    deflateEnd(&z);
    free(buf);
    return rc;
}

int rcl_inflate(const uint8_t *in, size_t len, size_t cap, uint8_t **out, size_t *outlen, char *err,
                size_t errlen)
{
    z_stream z = {0};
    uint8_t *buf = NULL, *grown;
    size_t size, limit = cap + 1;
    int zrc, rc = -1;

    *out = NULL;
    *outlen = 0;
    if (len == 0) {
        snprintf(err, errlen, "compressed payload is empty");
        return -1;
    }
    if (len > UINT_MAX || cap >= UINT_MAX) {
        snprintf(err, errlen, "compressed payload of %zu bytes is too large", len);
        return -1;
    }
    if (inflateInit2(&z, RAW_WINDOW_BITS) != Z_OK) {
        snprintf(err, errlen, "out of memory inflating a payload");
        return -1;
    }
    if (inflateSetDictionary(&z, rcl_deflate_dict, (uInt)rcl_deflate_dict_len) != Z_OK) {
        snprintf(err, errlen, "cannot set the inflate dictionary");
        goto done;
    }
    size = len < limit / FIRST_GUESS ? len * FIRST_GUESS : limit;
    if (size < 4096)
        size = limit < 4096 ? limit : 4096;
    buf = malloc(size);
    if (buf == NULL) {
        snprintf(err, errlen, "out of memory inflating a payload");
        goto done;
    }
    z.next_in = (Bytef *)(uintptr_t)in; /* zlib does not write through it */
    z.avail_in = (uInt)len;
    for (;;) {
        z.next_out = buf + z.total_out;
        z.avail_out = (uInt)(size - z.total_out);
        zrc = inflate(&z, Z_NO_FLUSH);
        if (z.total_out > cap) {
            snprintf(err, errlen, "compressed payload inflates to more than %zu bytes", cap);
            goto done;
        }
        if (zrc == Z_STREAM_END)
            break;
        if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
            snprintf(err, errlen, "compressed payload is not a valid deflate stream (%s)",
                     z.msg != NULL ? z.msg : "no detail");
            goto done;
        }
        if (z.avail_out == 0) {
            /* Output full: grow toward the cap, never past it (plus the byte that proves "more").
             */
            size = size <= limit / 2 ? size * 2 : limit;
            grown = realloc(buf, size);
            if (grown == NULL) {
                snprintf(err, errlen, "out of memory inflating a payload");
                goto done;
            }
            buf = grown;
        } else if (z.avail_in == 0) {
            snprintf(err, errlen, "compressed payload is cut short (%zu bytes)", len);
            goto done;
        } else {
            snprintf(err, errlen, "compressed payload does not inflate");
            goto done;
        }
    }
    if (z.avail_in != 0) {
        snprintf(err, errlen, "compressed payload has %u bytes after the end of its stream",
                 z.avail_in);
        goto done;
    }
    *out = buf;
    *outlen = z.total_out;
    buf = NULL;
    rc = 0;
done:
    inflateEnd(&z);
    free(buf);
    return rc;
}

/*
 * pseudonym.c - keyed pseudonyms of student numbers (see pseudonym.h).
 */
#include "pseudonym.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "rcl_keys.h"
#include "rcl_platform.h"

#define DEFAULT_KEY_TEXT "rollcall default pseudonym key v1"

void rcl_school_pseudonym(const uint8_t key[RCL_SCHOOL_PSEUDONYM_KEY_BYTES], const char *student_id,
                          uint8_t out[RCL_PSEUDONYM_BYTES])
{
    crypto_generichash(out, RCL_PSEUDONYM_BYTES, (const unsigned char *)student_id,
                       RCL_STUDENT_ID_LEN, key, RCL_SCHOOL_PSEUDONYM_KEY_BYTES);
}

void rcl_school_pseudonym_default_key(uint8_t out[RCL_SCHOOL_PSEUDONYM_KEY_BYTES])
{
    crypto_generichash(out, RCL_SCHOOL_PSEUDONYM_KEY_BYTES, (const unsigned char *)DEFAULT_KEY_TEXT,
                       strlen(DEFAULT_KEY_TEXT), NULL, 0);
}

int rcl_school_pseudonym_key_read(const char *path, uint8_t out[RCL_SCHOOL_PSEUDONYM_KEY_BYTES],
                                  char *err, size_t errlen)
{
    /* Room for the hex, white space around it, and one byte more to notice a longer file. */
    char text[256];
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
    /* Whoever holds the key can test guessed student numbers against a county's pseudonyms:
     * a key file others can read is refused before it is read (fstat: the file we opened). */
    if (rcl_file_stat(f, &sb) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto done;
    }
    if (rcl_file_private_check(&sb, path, "the pseudonym key", err, errlen) != 0)
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
    if (n == sizeof(text) - 1 || e - b != 2 * RCL_SCHOOL_PSEUDONYM_KEY_BYTES ||
        sodium_hex2bin(out, RCL_SCHOOL_PSEUDONYM_KEY_BYTES, text + b, e - b, NULL, &bin_len,
                       &end) != 0 ||
        bin_len != RCL_SCHOOL_PSEUDONYM_KEY_BYTES || end != text + e) {
        snprintf(err, errlen, "%s: expected 64 hex characters (a 32-byte pseudonym key)", path);
        sodium_memzero(out, RCL_SCHOOL_PSEUDONYM_KEY_BYTES);
        goto done;
    }
    rc = 0;
done:
    sodium_memzero(text, sizeof(text));
    fclose(f);
    return rc;
}

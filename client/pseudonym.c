/*
 * pseudonym.c - keyed pseudonyms of student numbers (see pseudonym.h).
 */
#include "pseudonym.h"

#include <string.h>

#include <sodium.h>

#include "rcl_keys.h"

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
    /* Whoever holds the key can test guessed student numbers against a county's pseudonyms. */
    return rcl_secret_key_file_read(path, "pseudonym key", out, err, errlen);
}

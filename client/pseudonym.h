/*
 * pseudonym.h - what a student is known by outside the school.
 *
 * pseudonym = BLAKE2b-256 of the 19-character student number, keyed with
 * the province's pseudonym key, so a county finds a student enrolled at two
 * schools without ever holding the number (which embeds the ID number).
 */
#ifndef RCL_SCHOOL_PSEUDONYM_H
#define RCL_SCHOOL_PSEUDONYM_H

#include <stddef.h>
#include <stdint.h>

#include "rcl_model.h"

#define RCL_SCHOOL_PSEUDONYM_KEY_BYTES 32

/* The pseudonym of student_id (RCL_STUDENT_ID_LEN characters) under key. */
void rcl_school_pseudonym(const uint8_t key[RCL_SCHOOL_PSEUDONYM_KEY_BYTES], const char *student_id,
                          uint8_t out[RCL_PSEUDONYM_BYTES]);

/*
 * The built-in key, BLAKE2b-256("rollcall default pseudonym key v1"), used
 * when init is given no key file. A province deploys its own key: with the
 * public default anyone can test a guessed student number.
 */
void rcl_school_pseudonym_default_key(uint8_t out[RCL_SCHOOL_PSEUDONYM_KEY_BYTES]);

/*
 * Reads a key file holding 64 hex characters (white space around them
 * ignored); a file group or others may read or write is refused. Returns 0,
 * or -1 with "path: reason" in err. The caller wipes out after use.
 */
int rcl_school_pseudonym_key_read(const char *path, uint8_t out[RCL_SCHOOL_PSEUDONYM_KEY_BYTES],
                                  char *err, size_t errlen);

#endif

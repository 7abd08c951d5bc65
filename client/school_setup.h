/*
 * school_setup.h - setting a school up: its store created from the county's
 * notice (the school's code and name, the county's code, address and public
 * key) with a new identity key, whose public half the county then enrolls.
 * `init` and serve's first page both do it through here.
 */
#ifndef RCL_SCHOOL_SETUP_H
#define RCL_SCHOOL_SETUP_H

#include <stdint.h>

#include "reason.h"
#include "school_store.h"

/* What a school is set up with, as given (NULL: not given). */
struct rcl_school_setup {
    const char *school;   /* the 10-digit school code */
    const char *county;   /* the 6-digit county code */
    const char *name;     /* the school's name */
    const char *upstream; /* the county's tcp://HOST:PORT */
    const char *upstream_key;
    const char *pseudonym_key; /* the province's, 64 hex characters; NULL or "": the built-in */
};

/*
 * Checks the county's address and key (either may be NULL: not given), the key read into key.
 * 0, or -1 with why (in both languages: the Chinese from usage_zh.c).
 */
int rcl_school_setup_check_upstream(const char *upstream, const char *key_hex,
                                    uint8_t key[RCL_PK_BYTES], struct rcl_reason *why);

/* Checks s into *m (all but the identity key, which rcl_school_setup_create makes). 0, or -1
 * with why (a pseudonym key is never repeated in it). */
int rcl_school_setup_check(const struct rcl_school_setup *s, struct rcl_school_meta *m,
                           struct rcl_reason *why);

/*
 * Creates the store at path (which must not exist) for m, with a new identity key into
 * m->public_key; m->pseudonym_key is the caller's. 0, or -1 with err, nothing left at path.
 */
int rcl_school_setup_create(const char *path, struct rcl_school_meta *m, char *err, size_t errlen);

#endif

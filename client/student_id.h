/*
 * student_id.h - the 19-character national student number.
 *
 * 'G' followed by the 18-character resident ID number, whose last character
 * is the ISO 7064 MOD 11-2 check digit over the first 17 digits ('X' stands
 * for 10); or 'J' / 'L' followed by 18 characters from [0-9A-Z] for students
 * without an ID card (no check digit is defined for those).
 */
#ifndef RCL_STUDENT_ID_H
#define RCL_STUDENT_ID_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The MOD 11-2 check character ('0'-'9' or 'X') of the 17 digits at
 * digits17, or 0 when one of them is not a digit.
 */
char rcl_student_id_check_char(const char *digits17);

/*
 * Checks id (len bytes, need not be NUL-terminated). Returns 0 when valid,
 * or -1 with the reason in why ("must be 19 characters ...", never quoting
 * the id: callers add it where they see fit). why is always NUL-terminated.
 */
int rcl_student_id_check(const char *id, size_t len, char *why, size_t whylen);

/* rcl_student_id_check with the reason in Chinese when zh_words is set. */
int rcl_student_id_check_in(const char *id, size_t len, bool zh_words, char *why, size_t whylen);

#endif

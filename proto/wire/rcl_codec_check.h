/*
 * rcl_codec_check.h - the field checks of the decoders (proto-internal):
 * each copies or checks one value from the wire and, when it is not good,
 * writes a reason naming the field into err and returns -1 (or true for
 * codec_too_long).
 */
#ifndef RCL_CODEC_CHECK_H
#define RCL_CODEC_CHECK_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcl_codec.h"
#include "rcl_platform.h"

void codec_err(char *err, size_t errlen, const char *fmt, ...) RCL_PRINTF_LIKE(3, 4);

/* A string into dst (cap bytes), checking its length and UTF-8. */
int codec_take_string(const char *field, const char *s, char *dst, size_t cap, char *err,
                      size_t errlen);
/* An id (rcl_id_valid) into dst. */
int codec_take_id(const char *field, const char *s, char *dst, size_t cap, char *err,
                  size_t errlen);
/* A county code: exactly 6 digits, or empty when not known. */
int codec_take_county(const char *field, const char *s, char *dst, char *err, size_t errlen);
/* A date: YYYY-MM-DD (rcl_date_valid), or empty when not known. */
int codec_take_date(const char *field, const char *s, char dst[RCL_DATE_LEN + 1], char *err,
                    size_t errlen);
/* A phone number (rcl_contact_valid) into dst, or empty; never quoted back in err. */
int codec_take_contact(const char *field, const char *s, char dst[RCL_CONTACT_MAX + 1], char *err,
                       size_t errlen);
/* A school code: exactly 10 digits, or empty when not known. */
int codec_take_school_code(const char *field, const char *s, char dst[RCL_ID_MAX + 1], char *err,
                           size_t errlen);
/* Exactly want bytes into dst. */
int codec_take_bytes(const char *field, const ProtobufCBinaryData *b, uint8_t *dst, size_t want,
                     char *err, size_t errlen);
/* A bit set of count known bits; an enumeration of count values. */
int codec_check_bits(const char *field, uint32_t v, int count, char *err, size_t errlen);
int codec_check_enum(const char *field, uint32_t v, int count, char *err, size_t errlen);
/* True (with err) when a message is over RCL_MESSAGE_BYTES_MAX. */
bool codec_too_long(size_t len, char *err, size_t errlen);

#endif

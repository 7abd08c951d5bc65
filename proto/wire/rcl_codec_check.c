/*
 * rcl_codec_check.c - the field checks every decoder of rcl_codec.c applies
 * (see rcl_codec_check.h).
 */
#include "rcl_codec_check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- Errors ---- */

void codec_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- Ids ---- */

bool rcl_id_valid(const char *id)
{
    size_t n = 0;

    if (id == NULL)
        return false;
    for (const char *p = id; *p; p++, n++) {
        char c = *p;
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok || n >= RCL_ID_MAX)
            return false;
    }
    return n >= 1;
}

/* ---- Field checks (decode side) ---- */

/*
 * Copies a decoded string into a buffer of cap bytes (max cap-1 characters)
 * after checking its length and UTF-8. 'field' names it in the error.
 */
int codec_take_string(const char *field, const char *s, char *dst, size_t cap, char *err,
                      size_t errlen)
{
    size_t n;

    if (s == NULL)
        s = "";
    n = strlen(s);
    if (n >= cap) {
        codec_err(err, errlen, "%s is %zu bytes, limit %zu", field, n, cap - 1);
        return -1;
    }
    if (!rcl_utf8_valid(s, n)) {
        codec_err(err, errlen, "%s is not valid UTF-8 text (or holds control characters)", field);
        return -1;
    }
    memcpy(dst, s, n + 1);
    return 0;
}

int codec_take_id(const char *field, const char *s, char *dst, size_t cap, char *err, size_t errlen)
{
    if (s == NULL || !rcl_id_valid(s)) {
        codec_err(err, errlen, "%s is not a valid id (1-%d characters of [0-9A-Za-z_.-])", field,
                  RCL_ID_MAX);
        return -1;
    }
    return codec_take_string(field, s, dst, cap, err, errlen);
}

/* A county code: exactly 6 digits, or empty when not known. */
int codec_take_county(const char *field, const char *s, char *dst, char *err, size_t errlen)
{
    size_t n = s != NULL ? strlen(s) : 0;

    if (n != 0) {
        bool ok = n == RCL_COUNTY_LEN;
        for (size_t i = 0; ok && i < n; i++)
            ok = s[i] >= '0' && s[i] <= '9';
        if (!ok) {
            codec_err(err, errlen, "%s is not a %d-digit county code", field, RCL_COUNTY_LEN);
            return -1;
        }
    }
    memcpy(dst, n != 0 ? s : "", n + 1);
    return 0;
}

int codec_take_contact(const char *field, const char *s, char dst[RCL_CONTACT_MAX + 1], char *err,
                       size_t errlen)
{
    if (s == NULL || s[0] == '\0') {
        dst[0] = '\0';
        return 0;
    }
    if (!rcl_contact_valid(s)) {
        codec_err(err, errlen, "%s is not a phone number (5-20 digits, at most %d bytes)", field,
                  RCL_CONTACT_MAX);
        return -1;
    }
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

int codec_take_date(const char *field, const char *s, char dst[RCL_DATE_LEN + 1], char *err,
                    size_t errlen)
{
    if (s == NULL || s[0] == '\0') {
        dst[0] = '\0';
        return 0;
    }
    if (!rcl_date_valid(s)) {
        codec_err(err, errlen, "%s is not a date written YYYY-MM-DD", field);
        return -1;
    }
    memcpy(dst, s, RCL_DATE_LEN + 1);
    return 0;
}

int codec_take_school_code(const char *field, const char *s, char dst[RCL_ID_MAX + 1], char *err,
                           size_t errlen)
{
    size_t n = s != NULL ? strlen(s) : 0;
    bool ok = n == 0 || n == RCL_SCHOOL_ID_LEN;

    for (size_t i = 0; ok && i < n; i++)
        ok = s[i] >= '0' && s[i] <= '9';
    if (!ok) {
        codec_err(err, errlen, "%s is not a %d-digit school code", field, RCL_SCHOOL_ID_LEN);
        return -1;
    }
    memcpy(dst, n != 0 ? s : "", n + 1);
    return 0;
}

int codec_take_bytes(const char *field, const ProtobufCBinaryData *b, uint8_t *dst, size_t want,
                     char *err, size_t errlen)
{
    if (b->len != want || (want > 0 && b->data == NULL)) {
        codec_err(err, errlen, "%s is %zu bytes, want %zu", field, b->len, want);
        return -1;
    }
    memcpy(dst, b->data, want);
    return 0;
}

int codec_check_bits(const char *field, uint32_t v, int count, char *err, size_t errlen)
{
    if (v >> count) {
        codec_err(err, errlen, "%s has unknown bits (0x%" PRIx32 ", %d known)", field, v, count);
        return -1;
    }
    return 0;
}

int codec_check_enum(const char *field, uint32_t v, int count, char *err, size_t errlen)
{
    if (v >= (uint32_t)count) {
        codec_err(err, errlen, "%s value %" PRIu32 " is out of range 0-%d", field, v, count - 1);
        return -1;
    }
    return 0;
}

bool codec_too_long(size_t len, char *err, size_t errlen)
{
    if (len > RCL_MESSAGE_BYTES_MAX) {
        codec_err(err, errlen, "message is %zu bytes, limit %d", len, RCL_MESSAGE_BYTES_MAX);
        return true;
    }
    return false;
}

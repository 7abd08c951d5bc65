/*
 * charset.c - UTF-8 checks and GB18030 conversion for sheets (see charset.h).
 */
#include "charset.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_platform.h"

#define CHUNK 65536
/* GB18030 takes at most 4 bytes a character, UTF-8 at most 4 too: the same room suffices. */
#define OUT_CHUNK (4 * CHUNK)

static const char *charset_name[] = {
    [RCL_CHARSET_UTF8] = "UTF-8",
    [RCL_CHARSET_GB18030] = "GB18030",
};
static const enum rcl_codepage charset_codepage[] = {
    [RCL_CHARSET_UTF8] = RCL_CODEPAGE_UTF8,
    [RCL_CHARSET_GB18030] = RCL_CODEPAGE_GB18030,
};

int rcl_charset_parse(const char *name, enum rcl_charset *out)
{
    if (strcmp(name, "utf-8") == 0 || strcmp(name, "utf8") == 0) {
        *out = RCL_CHARSET_UTF8;
        return 0;
    }
    if (strcmp(name, "gb18030") == 0 || strcmp(name, "gbk") == 0) {
        *out = RCL_CHARSET_GB18030;
        return 0;
    }
    return -1;
}

/* ---- Checking UTF-8 ---- */

/* Where a scan stopped: the first bad byte and its offset. */
struct bad_byte {
    uint64_t offset;
    unsigned value; /* 256: the input ended inside a character */
};

/* What a UTF-8 scan found. */
struct utf8_scan {
    bool valid;
    bool bom;            /* starts with the UTF-8 byte order mark */
    struct bad_byte bad; /* the first character that is not UTF-8, when not valid */
    uint64_t high_bytes; /* bytes 0x80 and above */
    uint64_t utf8_bytes; /* of those, the ones in valid UTF-8 characters */
};

/* Sets the second byte's range for lead byte c, which rules out overlong forms, surrogates and
 * code points past U+10FFFF. Returns how many bytes follow c, or -1 when c leads nothing. */
static int utf8_lead(unsigned char c, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        return 1;
    if (c >= 0xE0 && c <= 0xEF) {
        if (c == 0xE0)
            *lo = 0xA0;
        else if (c == 0xED)
            *hi = 0x9F;
        return 2;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (c == 0xF0)
            *lo = 0x90;
        else if (c == 0xF4)
            *hi = 0x8F;
        return 3;
    }
    return -1;
}

/*
 * Scans all of in from the start, on past bad bytes so as to tell a damaged
 * UTF-8 file from one in another character set. Returns 0, or -1 on a read
 * error.
 */
static int utf8_scan(FILE *in, struct utf8_scan *out)
{
    unsigned char buf[CHUNK];
    uint64_t offset = 0, lead_offset = 0;
    int need = 0, len = 0;
    unsigned char lead = 0, lo = 0x80, hi = 0xBF;
    size_t n;

    memset(out, 0, sizeof(*out));
    out->valid = true;
    rewind(in);
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
        if (offset == 0 && n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
            out->bom = true;
        for (size_t i = 0; i < n; i++, offset++) {
            unsigned char c = buf[i];
            if (c >= 0x80)
                out->high_bytes++;
            if (need > 0) {
                if (c >= lo && c <= hi) {
                    lo = 0x80;
                    hi = 0xBF;
                    if (--need == 0)
                        out->utf8_bytes += (uint64_t)len + 1;
                    continue;
                }
                /* The character is cut short; c may start the next one. */
                if (out->valid) {
                    out->valid = false;
                    out->bad = (struct bad_byte){lead_offset, lead};
                }
                need = 0;
            }
            if (c < 0x80)
                continue;
            lead = c;
            lead_offset = offset;
            need = len = utf8_lead(c, &lo, &hi);
            if (need < 0) {
                need = 0;
                if (out->valid) {
                    out->valid = false;
                    out->bad = (struct bad_byte){offset, c};
                }
            }
        }
    }
    if (ferror(in))
        return -1;
    if (need > 0 && out->valid) {
        out->valid = false;
        out->bad = (struct bad_byte){lead_offset, 256};
    }
    return 0;
}

/* The line (1-based; CRLF, LF and a lone CR each end one) holding the byte at offset. */
static unsigned long line_at(FILE *in, uint64_t offset)
{
    unsigned long line = 1;
    int c, prev = 0;

    rewind(in);
    for (uint64_t i = 0; i < offset && (c = getc(in)) != EOF; i++) {
        if (c == '\r' || (c == '\n' && prev != '\r'))
            line++;
        prev = c;
    }
    return line;
}

/* ---- Converting ---- */

enum convert_result { CONVERT_OK, CONVERT_BAD_INPUT, CONVERT_READ_ERROR, CONVERT_WRITE_ERROR };

/*
 * Converts everything left in in to out with cd. On CONVERT_BAD_INPUT,
 * *bad holds the offset (from where in stood) of the first byte that is not
 * in the source character set.
 */
static enum convert_result convert_chunks(struct rcl_conv *cd, FILE *in, FILE *out,
                                          struct bad_byte *bad, char *inbuf, char *outbuf)
{
    size_t have = 0;
    uint64_t consumed = 0; /* input bytes before inbuf[0] */

    for (;;) {
        size_t n = fread(inbuf + have, 1, CHUNK - have, in);
        if (n == 0 && ferror(in))
            return CONVERT_READ_ERROR;
        bool eof = n == 0;
        have += n;
        char *ip = inbuf;
        size_t il = have;
        while (il > 0) {
            char *op = outbuf;
            size_t ol = OUT_CHUNK;
            int r = rcl_conv(cd, &ip, &il, &op, &ol);
            int e = errno;
            if (op > outbuf &&
                fwrite(outbuf, 1, (size_t)(op - outbuf), out) != (size_t)(op - outbuf))
                return CONVERT_WRITE_ERROR;
            if (r == 0 || e == E2BIG)
                continue;
            if (e == EINVAL && !eof)
                break; /* a character goes on in the next chunk */
            bad->offset = consumed + (uint64_t)(ip - inbuf);
            bad->value = e == EINVAL ? 256 : (unsigned char)*ip;
            return CONVERT_BAD_INPUT;
        }
        consumed += (uint64_t)(ip - inbuf);
        memmove(inbuf, ip, il);
        have = il;
        if (eof)
            break;
    }
    char *op = outbuf;
    size_t ol = OUT_CHUNK;
    (void)rcl_conv(cd, NULL, NULL, &op, &ol);
    if (op > outbuf && fwrite(outbuf, 1, (size_t)(op - outbuf), out) != (size_t)(op - outbuf))
        return CONVERT_WRITE_ERROR;
    return fflush(out) == 0 ? CONVERT_OK : CONVERT_WRITE_ERROR;
}

static enum convert_result convert(struct rcl_conv *cd, FILE *in, FILE *out, struct bad_byte *bad)
{
    char *inbuf = malloc(CHUNK);
    char *outbuf = malloc(OUT_CHUNK);
    enum convert_result rc = CONVERT_WRITE_ERROR; /* out of memory: nothing can be written */

    if (inbuf != NULL && outbuf != NULL)
        rc = convert_chunks(cd, in, out, bad, inbuf, outbuf);
    free(inbuf);
    free(outbuf);
    return rc;
}

/* Where the first byte a charset cannot read is. */
static void byte_text(const struct bad_byte *b, struct rcl_reason *out)
{
    if (b->value == 256)
        rcl_reason_set(out, "a character cut short at the end, offset %llu",
                       (unsigned long long)b->offset);
    else
        rcl_reason_set(out, "byte 0x%02X at offset %llu", b->value, (unsigned long long)b->offset);
}

#define DAMAGED_UTF8                                                                               \
    "not valid UTF-8 text (%s), though %s: the file looks damaged; save the sheet again as "       \
    "\"CSV UTF-8 (Comma delimited)\""
#define NO_GB18030                                                                                 \
    "not UTF-8 text (%s), and GB18030 cannot be tried here (%s): save the sheet as \"CSV "         \
    "UTF-8 (Comma delimited)\""
#define NEITHER                                                                                    \
    "neither UTF-8 text (%s) nor GB18030 text (%s): save the sheet as \"CSV UTF-8 (Comma "         \
    "delimited)\""

/* True when in starts with a UTF-16 byte order mark, in either byte order. */
static bool starts_as_utf16(FILE *in)
{
    unsigned char head[2] = {0, 0};

    rewind(in);
    return fread(head, 1, 2, in) == 2 &&
           ((head[0] == 0xFF && head[1] == 0xFE) || (head[0] == 0xFE && head[1] == 0xFF));
}

/*
 * True when in, which scan found not valid UTF-8 (a: where), is damaged UTF-8
 * rather than another character set; the reason is then in why, its line in
 * *line.
 */
static bool damaged_utf8(FILE *in, const struct utf8_scan *scan, const struct rcl_reason *a,
                         unsigned long *line, struct rcl_reason *why)
{
    struct rcl_reason marked;

    /*
     * A file marked as UTF-8, or mostly made of UTF-8 characters, is damaged
     * UTF-8: read as GB18030 it would import garbled names without a word.
     * In GB18030 sheets about 40% of the bytes past ASCII happen to form UTF-8
     * characters, rarely more than 60% even in a sheet of one row; a damaged
     * UTF-8 file has nearly all of them so.
     */
    if (!scan->bom && scan->utf8_bytes * 5 < scan->high_bytes * 4)
        return false;
    *line = line_at(in, scan->bad.offset);
    if (scan->bom)
        rcl_reason_set(&marked, "it starts with a UTF-8 byte order mark");
    else
        rcl_reason_set(&marked, "most of it is UTF-8");
    rcl_reason_en(why, DAMAGED_UTF8, a->en, marked.en);
    rcl_reason_zh(why, DAMAGED_UTF8, a->zh, marked.zh);
    return true;
}

/*
 * in, which is not UTF-8 (not_utf8: its first bad byte, a: where), read as
 * GB18030 into a new temporary file, rewound. NULL with the reason in why
 * (and its line in *line when it is in the file).
 */
static FILE *gb18030_to_utf8(FILE *in, const struct bad_byte *not_utf8, const struct rcl_reason *a,
                             unsigned long *line, struct rcl_reason *why)
{
    struct bad_byte not_gb = {0, 0};
    struct rcl_reason b;
    FILE *out = NULL;
    struct rcl_conv *cd;

    cd = rcl_conv_open(RCL_CODEPAGE_UTF8, RCL_CODEPAGE_GB18030);
    if (cd == NULL) {
        *line = line_at(in, not_utf8->offset);
        rcl_reason_en(why, NO_GB18030, a->en, strerror(errno));
        rcl_reason_zh(why, NO_GB18030, a->zh, strerror(errno));
        return NULL;
    }
    out = rcl_tmpfile();
    if (out == NULL) {
        rcl_reason_set(why, "cannot make a temporary file to convert GB18030 text: %s",
                       strerror(errno));
        goto fail;
    }
    rewind(in);
    switch (convert(cd, in, out, &not_gb)) {
    case CONVERT_OK:
        rcl_conv_close(cd);
        rewind(out);
        return out;
    case CONVERT_BAD_INPUT:
        *line = line_at(in, not_utf8->offset);
        byte_text(&not_gb, &b);
        rcl_reason_en(why, NEITHER, a->en, b.en);
        rcl_reason_zh(why, NEITHER, a->zh, b.zh);
        break;
    case CONVERT_READ_ERROR:
        rcl_reason_set(why, "read error: %s", strerror(errno));
        break;
    case CONVERT_WRITE_ERROR:
        rcl_reason_set(why, "cannot write the converted text to a temporary file: %s",
                       strerror(errno));
        break;
    }
fail:
    if (out != NULL)
        fclose(out);
    rcl_conv_close(cd);
    return NULL;
}

/* rcl_charset_to_utf8 for an input that can be rewound. */
static FILE *seekable_to_utf8(FILE *in, enum rcl_charset *found, unsigned long *line,
                              struct rcl_reason *why)
{
    struct utf8_scan scan;
    struct rcl_reason a;

    *line = 0;
    why->en[0] = why->zh[0] = '\0';
    if (utf8_scan(in, &scan) != 0) {
        rcl_reason_set(why, "read error: %s", strerror(errno));
        return NULL;
    }
    if (scan.valid) {
        rewind(in);
        *found = RCL_CHARSET_UTF8;
        return in;
    }
    if (starts_as_utf16(in)) {
        *line = 1;
        rcl_reason_set(why, "the file is UTF-16 (Excel's \"Unicode Text\"), which is not read: "
                            "save the sheet as \"CSV UTF-8 (Comma delimited)\"");
        return NULL;
    }
    byte_text(&scan.bad, &a);
    if (damaged_utf8(in, &scan, &a, line, why))
        return NULL;
    FILE *out = gb18030_to_utf8(in, &scan.bad, &a, line, why);
    if (out != NULL)
        *found = RCL_CHARSET_GB18030;
    return out;
}

/* All of in copied into a new temporary file, rewound; NULL with the reason in why. */
static FILE *spool(FILE *in, struct rcl_reason *why)
{
    char buf[CHUNK];
    size_t n;
    FILE *copy = rcl_tmpfile();

    if (copy == NULL) {
        rcl_reason_set(why, "cannot make a temporary file to read a pipe: %s", strerror(errno));
        return NULL;
    }
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
        if (fwrite(buf, 1, n, copy) != n) {
            rcl_reason_set(why, "cannot write a temporary file: %s", strerror(errno));
            fclose(copy);
            return NULL;
        }
    }
    if (ferror(in) || fflush(copy) != 0) {
        if (ferror(in))
            rcl_reason_set(why, "read error: %s", strerror(errno));
        else
            rcl_reason_set(why, "write error: %s", strerror(errno));
        fclose(copy);
        return NULL;
    }
    rewind(copy);
    return copy;
}

FILE *rcl_charset_to_utf8(FILE *in, enum rcl_charset *found, unsigned long *line,
                          struct rcl_reason *why)
{
    FILE *copy = NULL;

    /* The bytes are read twice (check, then parse): a pipe's are kept in a temporary file. */
    if (fseek(in, 0, SEEK_SET) != 0) {
        *line = 0;
        copy = spool(in, why);
        if (copy == NULL)
            return NULL;
    }
    FILE *text = seekable_to_utf8(copy != NULL ? copy : in, found, line, why);
    if (copy != NULL && text != copy)
        fclose(copy);
    return text;
}

int rcl_charset_from_utf8(FILE *in, FILE *out, enum rcl_charset to, char *err, size_t errlen)
{
    struct bad_byte bad = {0, 0};
    struct rcl_reason a;
    int rc = -1;

    struct rcl_conv *cd = rcl_conv_open(charset_codepage[to], RCL_CODEPAGE_UTF8);
    if (cd == NULL) {
        snprintf(err, errlen, "cannot convert to %s (%s)", charset_name[to], strerror(errno));
        return -1;
    }
    switch (convert(cd, in, out, &bad)) {
    case CONVERT_OK:
        rc = 0;
        break;
    case CONVERT_BAD_INPUT:
        byte_text(&bad, &a);
        snprintf(err, errlen, "text cannot be written in %s (%s)", charset_name[to], a.en);
        break;
    case CONVERT_READ_ERROR:
        snprintf(err, errlen, "read error: %s", strerror(errno));
        break;
    case CONVERT_WRITE_ERROR:
        snprintf(err, errlen, "write error: %s", strerror(errno));
        break;
    }
    rcl_conv_close(cd);
    return rc;
}

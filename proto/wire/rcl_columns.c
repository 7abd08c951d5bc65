/*
 * rcl_columns.c - a batch's rows into columns and back (the layout is in
 * rcl_columns.h). The packer reads the sender's own encoding; the unpacker
 * reads bytes a peer sent, so every length and count is checked against
 * what is left before it is used, and the rebuilt batch against its cap.
 */
#include "rcl_columns.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_codec.h"
#include "rcl_platform.h"

#define WIRE_VARINT 0
#define WIRE_FIXED64 1
#define WIRE_LEN 2
#define WIRE_FIXED32 5
#define TAG_SEQ ((1u << 3) | WIRE_VARINT)    /* Change.seq */
#define TAG_CHANGES ((7u << 3) | WIRE_LEN)   /* Batch.changes */
#define TAG_STUDENT ((2u << 3) | WIRE_LEN)   /* Change.student */
#define TAG_REMOVED ((3u << 3) | WIRE_LEN)   /* Change.removed */
#define TAG_PSEUDONYM ((1u << 3) | WIRE_LEN) /* Student.pseudonym, StudentRemoved.pseudonym */
#define FIELD_MAX ((UINT64_C(1) << 29) - 1)  /* protobuf's largest field number */

/* ---- A growing buffer with a cap ---- */

struct buf {
    uint8_t *p;
    size_t n, size, cap;
    bool failed;
};

static void put(struct buf *b, const void *data, size_t n)
{
    if (b->failed)
        return;
    if (n > b->cap - b->n) {
        b->failed = true;
        return;
    }
    if (b->n + n > b->size) {
        size_t size = b->size ? b->size : 256;
        uint8_t *p;
        while (size < b->n + n)
            size *= 2;
        if (size > b->cap)
            size = b->cap;
        p = realloc(b->p, size);
        if (p == NULL) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->size = size;
    }
    if (n > 0)
        memcpy(b->p + b->n, data, n);
    b->n += n;
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static void put_varint(struct buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    put(b, tmp, n);
}

/* ---- Reading ---- */

/* A varint at p[*i], at most 10 bytes and within len. Returns 0, or -1. */
static int get_varint(const uint8_t *p, size_t len, size_t *i, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        uint8_t c;
        if (*i >= len)
            return -1;
        c = p[(*i)++];
        if (shift == 63 && c > 1)
            return -1;
        x |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* A tag whose wire type is one a value can have, field number 1 or more. */
static bool tag_valid(uint64_t tag)
{
    unsigned wt = (unsigned)(tag & 7);
    return (tag >> 3) >= 1 && (tag >> 3) <= FIELD_MAX &&
           (wt == WIRE_VARINT || wt == WIRE_FIXED64 || wt == WIRE_LEN || wt == WIRE_FIXED32);
}

/* The value of wire type wt at p[*i]: *val and *vlen cover it as a column holds it
 * (a varint's bytes, the fixed bytes, or length and bytes). Returns 0, or -1. */
static int get_value(const uint8_t *p, size_t len, size_t *i, unsigned wt, const uint8_t **val,
                     size_t *vlen)
{
    size_t start = *i;
    uint64_t v;

    switch (wt) {
    case WIRE_VARINT:
        if (get_varint(p, len, i, &v) != 0)
            return -1;
        break;
    case WIRE_FIXED64:
    case WIRE_FIXED32: {
        size_t n = wt == WIRE_FIXED64 ? 8 : 4;
        if (len - *i < n)
            return -1;
        *i += n;
        break;
    }
    case WIRE_LEN:
        if (get_varint(p, len, i, &v) != 0 || v > len - *i)
            return -1;
        *i += (size_t)v;
        break;
    default:
        return -1;
    }
    *val = p + start;
    *vlen = *i - start;
    return 0;
}

/* ---- Packing ---- */

struct column {
    uint64_t body, field; /* body tag, field tag */
    struct buf meta;      /* varints, fixed values and the lengths of byte strings */
    struct buf bytes;     /* the byte strings */
};

struct packer {
    struct column cols[RCL_COLUMNS_MAX];
    int n_cols;
};

static bool set_apart(uint64_t body, uint64_t field)
{
    return (body == TAG_STUDENT || body == TAG_REMOVED) && field == TAG_PSEUDONYM;
}

static struct column *column_of(struct column *cols, int *n_cols, uint64_t body, uint64_t field,
                                bool add)
{
    for (int c = 0; c < *n_cols; c++)
        if (cols[c].body == body && cols[c].field == field)
            return &cols[c];
    if (!add || *n_cols == RCL_COLUMNS_MAX)
        return NULL;
    memset(&cols[*n_cols], 0, sizeof(cols[*n_cols]));
    cols[*n_cols].body = body;
    cols[*n_cols].field = field;
    cols[*n_cols].meta.cap = RCL_MESSAGE_BYTES_MAX;
    cols[*n_cols].bytes.cap = RCL_MESSAGE_BYTES_MAX;
    return &cols[(*n_cols)++];
}

/* One change into the shape and the columns. 0, or 1 when its form is not carried. */
static int pack_change(struct packer *pk, const uint8_t *c, size_t len, uint64_t *prev,
                       struct buf *shape)
{
    const uint8_t *body = NULL, *val;
    size_t i = 0, body_len = 0, vlen, k = 0;
    uint64_t tag, seq = 0, body_tag = 0;
    bool has_seq = false;

    while (i < len) {
        if (get_varint(c, len, &i, &tag) != 0 || !tag_valid(tag) ||
            get_value(c, len, &i, (unsigned)(tag & 7), &val, &vlen) != 0)
            return 1;
        if (tag == TAG_SEQ && !has_seq) {
            size_t j = 0;
            get_varint(val, vlen, &j, &seq);
            has_seq = true;
        } else if ((tag & 7) == WIRE_LEN && body == NULL) {
            size_t j = 0;
            uint64_t n = 0; /* get_value checked this length already */
            get_varint(val, vlen, &j, &n);
            body_tag = tag;
            body = val + j;
            body_len = (size_t)n;
        } else {
            return 1;
        }
    }
    if (!has_seq || body == NULL || seq < *prev)
        return 1;
    put_varint(shape, seq - *prev);
    *prev = seq;
    put_varint(shape, body_tag);
    for (i = 0; i < body_len; k++)
        if (get_varint(body, body_len, &i, &tag) != 0 || !tag_valid(tag) ||
            get_value(body, body_len, &i, (unsigned)(tag & 7), &val, &vlen) != 0)
            return 1;
    if (k > RCL_COLUMNS_MAX)
        return 1;
    put_varint(shape, k);
    for (i = 0; i < body_len;) {
        struct column *col;
        get_varint(body, body_len, &i, &tag);
        get_value(body, body_len, &i, (unsigned)(tag & 7), &val, &vlen);
        col = column_of(pk->cols, &pk->n_cols, body_tag, tag, true);
        if (col == NULL)
            return 1;
        put_varint(shape, tag);
        if ((tag & 7) == WIRE_LEN) {
            size_t j = 0;
            uint64_t n = 0; /* get_value checked this length already */
            get_varint(val, vlen, &j, &n);
            put(&col->meta, val, j);
            put(&col->bytes, val + j, (size_t)n);
        } else {
            put(&col->meta, val, vlen);
        }
    }
    return 0;
}

int rcl_columns_pack(const uint8_t *batch, size_t len, struct rcl_columns *out)
{
    struct packer *pk = calloc(1, sizeof(*pk));
    struct buf header = {.cap = RCL_MESSAGE_BYTES_MAX}, shape = {.cap = RCL_MESSAGE_BYTES_MAX};
    struct buf apart = {.cap = RCL_MESSAGE_BYTES_MAX}, rest = {.cap = RCL_MESSAGE_BYTES_MAX};
    uint64_t tag, prev = 0, n_changes = 0;
    const uint8_t *val;
    size_t i = 0, vlen;
    int rc = 1;

    memset(out, 0, sizeof(*out));
    if (pk == NULL)
        return -1;
    while (i < len) {
        size_t start = i;
        if (get_varint(batch, len, &i, &tag) != 0 || !tag_valid(tag) ||
            get_value(batch, len, &i, (unsigned)(tag & 7), &val, &vlen) != 0)
            goto done;
        if (tag == TAG_CHANGES) {
            size_t j = 0;
            uint64_t n = 0; /* get_value checked this length already */
            get_varint(val, vlen, &j, &n);
            if (pack_change(pk, val + j, (size_t)n, &prev, &shape) != 0)
                goto done;
            n_changes++;
        } else {
            put(&header, batch + start, i - start);
        }
    }
    put_varint(&rest, header.n);
    put(&rest, header.p, header.n);
    put_varint(&rest, n_changes);
    put(&rest, shape.p, shape.n);
    for (int c = 0; c < pk->n_cols; c++) {
        struct column *col = &pk->cols[c];
        struct buf *to = set_apart(col->body, col->field) ? &apart : &rest;
        put_varint(&rest, col->meta.n);
        put(&rest, col->meta.p, col->meta.n);
        if ((col->field & 7) == WIRE_LEN) {
            put_varint(to, col->bytes.n);
            put(to, col->bytes.p, col->bytes.n);
        }
    }
    rc = -1;
    if (header.failed || shape.failed || apart.failed || rest.failed)
        goto done;
    for (int c = 0; c < pk->n_cols; c++)
        if (pk->cols[c].meta.failed || pk->cols[c].bytes.failed)
            goto done;
    out->apart = apart.p;
    out->apart_len = apart.n;
    out->rest = rest.p;
    out->rest_len = rest.n;
    apart.p = rest.p = NULL;
    rc = 0;
done:
    for (int c = 0; c < pk->n_cols; c++) {
        free(pk->cols[c].meta.p);
        free(pk->cols[c].bytes.p);
    }
    free(pk);
    free(header.p);
    free(shape.p);
    free(apart.p);
    free(rest.p);
    return rc;
}

void rcl_columns_free(struct rcl_columns *c)
{
    if (c == NULL)
        return;
    free(c->apart);
    free(c->rest);
    memset(c, 0, sizeof(*c));
}

/* ---- Unpacking ---- */

struct stream {
    const uint8_t *p;
    size_t len, at;
};

struct in_column {
    uint64_t body, field;
    struct stream meta, bytes; /* as struct column */
};

struct unpacker {
    struct in_column cols[RCL_COLUMNS_MAX];
    int n_cols;
    char *err;
    size_t errlen;
};

static int fail(struct unpacker *u, const char *fmt, ...) RCL_PRINTF_LIKE(2, 3);

static int fail(struct unpacker *u, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(u->err, u->errlen, "column form: ");

    va_start(ap, fmt);
    if (n > 0 && (size_t)n < u->errlen)
        vsnprintf(u->err + n, u->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static struct in_column *in_column_of(struct unpacker *u, uint64_t body, uint64_t field)
{
    for (int c = 0; c < u->n_cols; c++)
        if (u->cols[c].body == body && u->cols[c].field == field)
            return &u->cols[c];
    return NULL;
}

/* One change's shape at s[*i]; with learn, notes new columns; else rebuilds the change into out. */
static int shape_change(struct unpacker *u, const uint8_t *s, size_t len, size_t *i, uint64_t n,
                        uint64_t *prev, bool learn, struct buf *body, struct buf *out)
{
    uint64_t delta, body_tag, k, tag;

    if (get_varint(s, len, i, &delta) != 0 || get_varint(s, len, i, &body_tag) != 0 ||
        get_varint(s, len, i, &k) != 0)
        return fail(u, "the shape of change %" PRIu64 " is cut short", n + 1);
    if (delta > UINT64_MAX - *prev)
        return fail(u, "the seq of change %" PRIu64 " is past the largest", n + 1);
    *prev += delta;
    if (!tag_valid(body_tag) || (body_tag & 7) != WIRE_LEN)
        return fail(u, "change %" PRIu64 " has body tag %" PRIu64 ", not a message", n + 1,
                    body_tag);
    if (k > RCL_COLUMNS_MAX)
        return fail(u, "change %" PRIu64 " has %" PRIu64 " fields, limit %d", n + 1, k,
                    RCL_COLUMNS_MAX);
    if (!learn)
        body->n = 0;
    for (uint64_t f = 0; f < k; f++) {
        struct in_column *col;
        const uint8_t *val;
        size_t vlen;

        if (get_varint(s, len, i, &tag) != 0)
            return fail(u, "the shape of change %" PRIu64 " is cut short", n + 1);
        if (!tag_valid(tag))
            return fail(u, "change %" PRIu64 " has field tag %" PRIu64 ", not a value", n + 1, tag);
        col = in_column_of(u, body_tag, tag);
        if (learn) {
            if (col == NULL) {
                if (u->n_cols == RCL_COLUMNS_MAX)
                    return fail(u, "more than %d columns", RCL_COLUMNS_MAX);
                col = &u->cols[u->n_cols++];
                memset(col, 0, sizeof(*col));
                col->body = body_tag;
                col->field = tag;
            }
            continue;
        }
        if (get_value(col->meta.p, col->meta.len, &col->meta.at,
                      (tag & 7) == WIRE_LEN ? WIRE_VARINT : (unsigned)(tag & 7), &val, &vlen) != 0)
            return fail(u, "column %" PRIu64 ".%" PRIu64 " runs out at change %" PRIu64,
                        body_tag >> 3, tag >> 3, n + 1);
        put_varint(body, tag);
        put(body, val, vlen);
        if ((tag & 7) == WIRE_LEN) {
            size_t j = 0;
            uint64_t blen;
            get_varint(val, vlen, &j, &blen);
            if (blen > col->bytes.len - col->bytes.at)
                return fail(
                    u, "the bytes of column %" PRIu64 ".%" PRIu64 " run out at change %" PRIu64,
                    body_tag >> 3, tag >> 3, n + 1);
            put(body, col->bytes.p + col->bytes.at, (size_t)blen);
            col->bytes.at += (size_t)blen;
        }
    }
    if (learn)
        return 0;
    if (body->failed)
        return fail(u, "the batch rebuilds to more than %zu bytes", body->cap);
    put_varint(out, TAG_CHANGES);
    put_varint(out, 1 + varint_len(*prev) + varint_len(body_tag) + varint_len(body->n) + body->n);
    put_varint(out, TAG_SEQ);
    put_varint(out, *prev);
    put_varint(out, body_tag);
    put_varint(out, body->n);
    put(out, body->p, body->n);
    if (out->failed)
        return fail(u, "the batch rebuilds to more than %zu bytes", out->cap);
    return 0;
}

/* Takes a stream (varint length, bytes) at p[*at]. Returns 0, or -1 when cut short. */
static int take_stream(const uint8_t *p, size_t len, size_t *at, struct stream *s)
{
    uint64_t n;

    if (get_varint(p, len, at, &n) != 0 || n > len - *at)
        return -1;
    s->p = p + *at;
    s->len = (size_t)n;
    s->at = 0;
    *at += (size_t)n;
    return 0;
}

/* Locates each column in its part, in order; both parts must be used up exactly. */
static int locate_columns(struct unpacker *u, const uint8_t *apart, size_t apart_len,
                          const uint8_t *rest, size_t rest_len, size_t rest_at)
{
    size_t apart_at = 0;

    for (int c = 0; c < u->n_cols; c++) {
        struct in_column *col = &u->cols[c];
        bool aside = set_apart(col->body, col->field);

        if (take_stream(rest, rest_len, &rest_at, &col->meta) != 0 ||
            ((col->field & 7) == WIRE_LEN &&
             (aside ? take_stream(apart, apart_len, &apart_at, &col->bytes)
                    : take_stream(rest, rest_len, &rest_at, &col->bytes)) != 0))
            return fail(u, "column %" PRIu64 ".%" PRIu64 " is cut short", col->body >> 3,
                        col->field >> 3);
    }
    if (apart_at != apart_len)
        return fail(u, "%zu bytes after the set-apart columns", apart_len - apart_at);
    if (rest_at != rest_len)
        return fail(u, "%zu bytes after the columns", rest_len - rest_at);
    return 0;
}

int rcl_columns_unpack(const uint8_t *apart, size_t apart_len, const uint8_t *rest, size_t rest_len,
                       size_t cap, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
    struct unpacker *u = calloc(1, sizeof(*u));
    struct buf o = {.cap = cap}, body = {.cap = cap};
    uint64_t header_len, n_changes, prev;
    size_t i = 0, shape_at;
    int rc = -1;

    *out = NULL;
    *outlen = 0;
    if (u == NULL) {
        snprintf(err, errlen, "out of memory rebuilding a batch");
        return -1;
    }
    u->err = err;
    u->errlen = errlen;
    if (get_varint(rest, rest_len, &i, &header_len) != 0 || header_len > rest_len - i) {
        fail(u, "the batch header is cut short");
        goto done;
    }
    put(&o, rest + i, (size_t)header_len);
    i += (size_t)header_len;
    if (get_varint(rest, rest_len, &i, &n_changes) != 0) {
        fail(u, "the count of changes is cut short");
        goto done;
    }
    if (n_changes > RCL_BATCH_RECORDS_MAX) {
        fail(u, "%" PRIu64 " changes, limit %d", n_changes, RCL_BATCH_RECORDS_MAX);
        goto done;
    }
    /* Twice over the shape: first to learn the columns and where the shape ends. */
    shape_at = i;
    prev = 0;
    for (uint64_t n = 0; n < n_changes; n++)
        if (shape_change(u, rest, rest_len, &i, n, &prev, true, NULL, NULL) != 0)
            goto done;
    if (locate_columns(u, apart, apart_len, rest, rest_len, i) != 0)
        goto done;
    i = shape_at;
    prev = 0;
    for (uint64_t n = 0; n < n_changes; n++)
        if (shape_change(u, rest, rest_len, &i, n, &prev, false, &body, &o) != 0)
            goto done;
    for (int c = 0; c < u->n_cols; c++) {
        const struct in_column *col = &u->cols[c];
        if (col->meta.at != col->meta.len || col->bytes.at != col->bytes.len) {
            fail(u, "column %" PRIu64 ".%" PRIu64 " has %zu bytes left over", col->body >> 3,
                 col->field >> 3, col->meta.len - col->meta.at + col->bytes.len - col->bytes.at);
            goto done;
        }
    }
    if (o.failed) {
        fail(u, "the batch rebuilds to more than %zu bytes", cap);
        goto done;
    }
    *out = o.p != NULL ? o.p : malloc(1);
    *outlen = o.n;
    if (*out == NULL) {
        snprintf(err, errlen, "out of memory rebuilding a batch");
        goto done;
    }
    o.p = NULL;
    rc = 0;
done:
    free(o.p);
    free(body.p);
    free(u);
    return rc;
}

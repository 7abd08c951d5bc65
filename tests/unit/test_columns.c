/*
 * test_columns.c - the column form of batches: every kind of change comes
 * back from columns (and from the compressed form) decoding to the same
 * changes; a column form that is cut, lengthened, overlong or out of bounds
 * is refused with a reason; single-byte changes never crash the rebuild.
 */
#include <sodium.h>

#include "codec_fixture.h"
#include "rcl_columns.h"
#include "rcl_envelope.h"

#define SOURCE "4101020001"

/* A batch of every kind of change (and several students), its changes in c. */
static uint8_t *mixed_batch(struct rcl_change *c, size_t *n, size_t *len)
{
    struct rcl_batch_header h;
    struct rcl_blob blobs[16];
    uint8_t *payload = NULL;

    *n = 0;
    c[(*n)++] = sample_student(3);
    c[*n] = sample_student(4);
    c[*n].u.student.n_measures = 0;
    c[*n].u.student.feedback[0] = '\0';
    randombytes_buf(c[*n].u.student.pseudonym, RCL_PSEUDONYM_BYTES);
    (*n)++;
    c[(*n)++] = sample_summary(9);
    memset(&c[*n], 0, sizeof(c[*n]));
    c[*n].seq = 10;
    c[*n].kind = RCL_CHANGE_REMOVED;
    randombytes_buf(c[*n].u.removed.pseudonym, RCL_PSEUDONYM_BYTES);
    c[*n].u.removed.reason = RCL_DEPART_LEFT;
    snprintf(c[*n].u.removed.left_on, sizeof(c[*n].u.removed.left_on), "2026-03-01");
    (*n)++;
    memset(&c[*n], 0, sizeof(c[*n]));
    c[*n].seq = 11;
    c[*n].kind = RCL_CHANGE_SCHOOL;
    snprintf(c[*n].u.school.school_id, sizeof(c[*n].u.school.school_id), SOURCE);
    snprintf(c[*n].u.school.name, sizeof(c[*n].u.school.name), "第一小学");
    snprintf(c[*n].u.school.county, sizeof(c[*n].u.school.county), "410102");
    c[*n].u.school.n_platforms = 1;
    snprintf(c[*n].u.school.platforms[0].name, sizeof(c[*n].u.school.platforms[0].name),
             "空中课堂");
    c[*n].u.school.platforms[0].kind = RCL_PLATFORM_TV;
    (*n)++;
    memset(&c[*n], 0, sizeof(c[*n]));
    c[*n].seq = 12;
    c[*n].kind = RCL_CHANGE_SNAPSHOT_END; /* 0 records: a body with no fields */
    (*n)++;
    memset(&c[*n], 0, sizeof(c[*n]));
    c[*n].seq = 300;
    c[*n].kind = RCL_CHANGE_SCHOOL_REMOVED;
    snprintf(c[*n].u.school_removed, sizeof(c[*n].u.school_removed), "4101020002");
    (*n)++;
    memset(&c[*n], 0, sizeof(c[*n]));
    c[*n].seq = 301;
    c[*n].kind = RCL_CHANGE_KEY_ROTATION;
    randombytes_buf(c[*n].u.key_rotation.new_key, RCL_PK_BYTES);
    randombytes_buf(c[*n].u.key_rotation.proof, RCL_SIG_BYTES);
    (*n)++;

    memset(&h, 0, sizeof(h));
    snprintf(h.source, sizeof(h.source), SOURCE);
    h.epoch = 7;
    h.first_seq = 3;
    h.last_seq = 301;
    h.has_prev = true;
    memset(h.prev_digest, 0x42, sizeof(h.prev_digest));
    h.sent_at = -12;
    for (size_t i = 0; i < *n; i++) {
        uint8_t *enc = NULL;
        CHECK(rcl_change_encode(&c[i], &enc, &blobs[i].len) == 0);
        blobs[i].data = enc;
    }
    CHECK(rcl_batch_encode(&h, blobs, *n, &payload, len) == 0);
    for (size_t i = 0; i < *n; i++)
        free((void *)blobs[i].data);
    return payload;
}

/* Decodes bytes as a batch and checks it holds the changes c (n), under header source/epoch. */
static bool holds(const uint8_t *buf, size_t len, const struct rcl_change *c, size_t n)
{
    struct rcl_batch *b = NULL;
    char err[256];
    bool ok;

    if (rcl_batch_decode(buf, len, &b, err, sizeof(err)) != 0) {
        fprintf(stderr, "  rebuilt batch does not decode: %s\n", err);
        return false;
    }
    ok = b->n_changes == n && b->h.epoch == 7 && b->h.first_seq == 3 && b->h.last_seq == 301 &&
         b->h.has_prev && b->h.prev_digest[31] == 0x42 && b->h.sent_at == -12 &&
         strcmp(b->h.source, SOURCE) == 0;
    for (size_t i = 0; ok && i < n; i++) {
        struct rcl_change d;
        ok = rcl_change_decode(b->changes[i].data, b->changes[i].len, &d, err, sizeof(err)) == 0 &&
             change_equal(&d, &c[i]);
        if (!ok)
            fprintf(stderr, "  change %zu differs after the round trip\n", i);
    }
    rcl_batch_destroy(&b);
    return ok;
}

static void test_round_trip(void)
{
    struct rcl_change c[16];
    struct rcl_columns cols;
    uint8_t *payload, *back = NULL, *z = NULL;
    size_t n = 0, len = 0, blen = 0, zlen = 0;
    char err[256];

    payload = mixed_batch(c, &n, &len);
    CHECK(rcl_columns_pack(payload, len, &cols) == 0);
    /* The pseudonyms of the two students and the tombstone are set apart: two columns. */
    CHECK(cols.apart_len == 3 * RCL_PSEUDONYM_BYTES + 2);
    CHECK(rcl_columns_unpack(cols.apart, cols.apart_len, cols.rest, cols.rest_len,
                             RCL_MESSAGE_BYTES_MAX, &back, &blen, err, sizeof(err)) == 0);
    CHECK(back != NULL && holds(back, blen, c, n));
    free(back);
    back = NULL;
    /* A cap below the rebuilt size is refused. */
    CHECK(rcl_columns_unpack(cols.apart, cols.apart_len, cols.rest, cols.rest_len, blen - 1, &back,
                             &blen, err, sizeof(err)) == -1 &&
          back == NULL);
    CHECK(strstr(err, "rebuilds to more than") != NULL);
    rcl_columns_free(&cols);

    /* The compressed form, end to end. */
    CHECK(rcl_batch_compress(payload, len, &z, &zlen) == 0);
    CHECK(rcl_batch_expand(z, zlen, &back, &blen, err, sizeof(err)) == 0);
    CHECK(back != NULL && holds(back, blen, c, n));
    free(back);
    free(z);

    /* A probe: header only, no changes. */
    {
        struct rcl_batch_header h;
        uint8_t *probe = NULL;
        size_t plen = 0;
        struct rcl_batch *b = NULL;

        memset(&h, 0, sizeof(h));
        snprintf(h.source, sizeof(h.source), SOURCE);
        h.epoch = 2;
        h.probe_id = 99;
        CHECK(rcl_batch_encode(&h, NULL, 0, &probe, &plen) == 0);
        CHECK(rcl_batch_compress(probe, plen, &z, &zlen) == 0);
        CHECK(rcl_batch_expand(z, zlen, &back, &blen, err, sizeof(err)) == 0);
        CHECK(rcl_batch_decode(back, blen, &b, err, sizeof(err)) == 0 && b->h.probe_id == 99 &&
              b->n_changes == 0);
        rcl_batch_destroy(&b);
        free(back);
        free(z);
        free(probe);
    }
    free(payload);
}

static void test_not_carried(void)
{
    struct rcl_columns cols;
    struct pb *p = pb_new(), *ch = pb_new();

    /* A change with two bodies, and one without a seq: sent as rows instead. */
    pb_uint(ch, 1, 5);
    pb_str(ch, 2, "x");
    pb_str(ch, 3, "y");
    pb_msg(p, 7, ch);
    CHECK(rcl_columns_pack(p->b, p->n, &cols) == 1);
    p->n = ch->n = 0;
    pb_str(ch, 2, "x");
    pb_msg(p, 7, ch);
    CHECK(rcl_columns_pack(p->b, p->n, &cols) == 1);
    /* Not protobuf at all. */
    CHECK(rcl_columns_pack((const uint8_t *)"\xff\xff\xff", 3, &cols) == 1);
    free(p);
    free(ch);
}

static void test_refusals(void)
{
    struct rcl_change c[16];
    struct rcl_columns cols;
    uint8_t *payload, *back = NULL, *longer;
    size_t n = 0, len = 0, blen = 0, refused = 0, survived = 0;
    char err[256];

    payload = mixed_batch(c, &n, &len);
    CHECK(rcl_columns_pack(payload, len, &cols) == 0);
    /* Every cut of either part, and a byte more on either, is refused. */
    for (size_t k = 0; k < cols.rest_len; k++) {
        err[0] = '\0';
        if (rcl_columns_unpack(cols.apart, cols.apart_len, cols.rest, k, RCL_MESSAGE_BYTES_MAX,
                               &back, &blen, err, sizeof(err)) == 0) {
            fprintf(stderr, "  rest cut to %zu of %zu bytes rebuilt\n", k, cols.rest_len);
            free(back);
        } else {
            CHECK(back == NULL && strncmp(err, "column form: ", 13) == 0);
            refused++;
        }
    }
    CHECK(refused == cols.rest_len);
    for (size_t k = 0; k < cols.apart_len; k++)
        CHECK(rcl_columns_unpack(cols.apart, k, cols.rest, cols.rest_len, RCL_MESSAGE_BYTES_MAX,
                                 &back, &blen, err, sizeof(err)) == -1);
    longer = malloc(cols.rest_len + 1);
    memcpy(longer, cols.rest, cols.rest_len);
    longer[cols.rest_len] = 0;
    CHECK(rcl_columns_unpack(cols.apart, cols.apart_len, longer, cols.rest_len + 1,
                             RCL_MESSAGE_BYTES_MAX, &back, &blen, err, sizeof(err)) == -1);
    CHECK_STR(err, "column form: 1 bytes after the columns");

    /* Any byte of the rest changed: refused, or a batch (the decoder judges it); never a crash. */
    for (size_t k = 0; k < cols.rest_len; k++) {
        memcpy(longer, cols.rest, cols.rest_len);
        longer[k] ^= 0xA5;
        if (rcl_columns_unpack(cols.apart, cols.apart_len, longer, cols.rest_len,
                               RCL_MESSAGE_BYTES_MAX, &back, &blen, err, sizeof(err)) == 0) {
            survived++;
            free(back);
            back = NULL;
        }
    }
    fprintf(stderr, "  %zu of %zu altered bytes still rebuild\n", survived, cols.rest_len);
    free(longer);
    rcl_columns_free(&cols);
    free(payload);

    /* Hand-made forms: too many changes; a body that is not a message; a column too short. */
    {
        struct pb *p = pb_new();
        pb_varint(p, 0);    /* no header */
        pb_varint(p, 2001); /* changes */
        CHECK(rcl_columns_unpack(NULL, 0, p->b, p->n, RCL_MESSAGE_BYTES_MAX, &back, &blen, err,
                                 sizeof(err)) == -1);
        CHECK_STR(err, "column form: 2001 changes, limit 2000");
        p->n = 0;
        pb_varint(p, 0);
        pb_varint(p, 1);
        pb_varint(p, 1);        /* seq 1 */
        pb_varint(p, (2 << 3)); /* body tag with a varint wire type */
        pb_varint(p, 0);
        CHECK(rcl_columns_unpack(NULL, 0, p->b, p->n, RCL_MESSAGE_BYTES_MAX, &back, &blen, err,
                                 sizeof(err)) == -1);
        CHECK_STR(err, "column form: change 1 has body tag 16, not a message");
        p->n = 0;
        pb_varint(p, 0);
        pb_varint(p, 1);
        pb_varint(p, 1);
        pb_varint(p, (4 << 3) | 2); /* a school profile */
        pb_varint(p, 1);
        pb_varint(p, (1 << 3) | 2); /* its school_id */
        pb_varint(p, 1);            /* the column's lengths: one string of 9 bytes */
        pb_varint(p, 9);
        pb_varint(p, 4); /* its bytes: only 4 */
        pb_raw(p, "abcd", 4);
        CHECK(rcl_columns_unpack(NULL, 0, p->b, p->n, RCL_MESSAGE_BYTES_MAX, &back, &blen, err,
                                 sizeof(err)) == -1);
        CHECK_STR(err, "column form: the bytes of column 4.1 run out at change 1");
        p->b[p->n - 6] = 0; /* no lengths at all */
        CHECK(rcl_columns_unpack(NULL, 0, p->b, p->n, RCL_MESSAGE_BYTES_MAX, &back, &blen, err,
                                 sizeof(err)) == -1);
        CHECK(strstr(err, "column form: ") == err);
        free(p);
    }
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    RCL_TEST_RUN(test_round_trip);
    RCL_TEST_RUN(test_not_carried);
    RCL_TEST_RUN(test_refusals);
    return RCL_TEST_RESULT();
}

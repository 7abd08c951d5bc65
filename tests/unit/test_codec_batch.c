/*
 * test_codec_batch.c - the wire format around changes: batches, envelopes,
 * replies and ids, round trips and refusals.
 */
#include "codec_fixture.h"

/* ---- Batch ---- */

static void test_batch_roundtrip(void)
{
    struct rcl_batch_header h;
    struct rcl_blob blobs[3];
    uint8_t *enc[3], *buf = NULL;
    size_t len = 0;
    struct rcl_batch *b = NULL;
    char err[256];

    memset(&h, 0, sizeof(h));
    strcpy(h.source, "county.410102");
    h.epoch = 1;
    h.first_seq = 10;
    h.last_seq = 20;
    h.sent_at = -5;
    for (int i = 0; i < 3; i++) {
        struct rcl_change c = i == 1 ? sample_summary(12) : sample_student(11 + (uint64_t)i * 4);
        CHECK(rcl_change_encode(&c, &enc[i], &blobs[i].len) == 0);
        blobs[i].data = enc[i];
    }
    CHECK(rcl_batch_encode(&h, blobs, 3, &buf, &len) == 0);
    CHECK(rcl_batch_decode(buf, len, &b, err, sizeof(err)) == 0);
    if (b != NULL) {
        CHECK(header_equal(&b->h, &h));
        CHECK(!b->h.has_prev);
        CHECK(b->n_changes == 3);
        for (size_t i = 0; i < 3 && i < b->n_changes; i++) {
            struct rcl_change c;
            CHECK(b->changes[i].len == blobs[i].len);
            CHECK(memcmp(b->changes[i].data, blobs[i].data, blobs[i].len) == 0);
            CHECK(rcl_change_decode(b->changes[i].data, b->changes[i].len, &c, err, sizeof(err)) ==
                  0);
        }
    }
    rcl_batch_destroy(&b);
    rcl_batch_destroy(&b); /* harmless twice */

    /* Every prefix: never crashes; one that happens to parse lost something (a change, or
     * the protocol version last, which then reads as version 1). */
    for (size_t n = 0; n < len; n++) {
        struct rcl_batch *t = NULL;
        if (rcl_batch_decode(buf, n, &t, err, sizeof(err)) == 0) {
            CHECK(t->n_changes < 3 || t->h.protocol == 1);
            rcl_batch_destroy(&t);
        } else {
            CHECK(t == NULL);
        }
    }
    free(buf);

    /* A probe: no range, no changes. */
    {
        struct rcl_batch_header probe = h;

        probe.first_seq = probe.last_seq = 0;
        probe.has_prev = false;
        CHECK(rcl_batch_encode(&probe, NULL, 0, &buf, &len) == 0);
        CHECK(rcl_batch_decode(buf, len, &b, err, sizeof(err)) == 0);
        CHECK(b != NULL && rcl_batch_is_probe(&b->h) && b->n_changes == 0);
        rcl_batch_destroy(&b);
        free(buf);
        /* ... but a change with no range is not a probe, and refused. */
        CHECK(rcl_batch_encode(&probe, blobs, 1, &buf, &len) == 0);
        CHECK(rcl_batch_decode(buf, len, &b, err, sizeof(err)) == -1 && b == NULL);
        free(buf);
    }

    /* An empty batch (all coalesced away) is valid. */
    CHECK(rcl_batch_encode(&h, NULL, 0, &buf, &len) == 0);
    CHECK(rcl_batch_decode(buf, len, &b, err, sizeof(err)) == 0);
    CHECK(b != NULL && b->n_changes == 0);
    rcl_batch_destroy(&b);
    free(buf);
    for (int i = 0; i < 3; i++)
        free(enc[i]);
}

struct wbatch {
    const char *source;
    uint64_t epoch, first, last;
    size_t prev_len;
    size_t n_changes;
};

static int decode_wbatch(const struct wbatch *w, char *err, size_t errlen)
{
    struct pb *p = pb_new();
    uint8_t prev[64];
    struct rcl_batch *b = NULL;
    int rc;

    memset(prev, 7, sizeof(prev));
    pb_str(p, 1, w->source);
    pb_uint(p, 2, w->epoch);
    pb_uint(p, 3, w->first);
    pb_uint(p, 4, w->last);
    if (w->prev_len > 0)
        pb_bytes(p, 5, prev, w->prev_len);
    pb_uint(p, 6, 1700000000);
    for (size_t i = 0; i < w->n_changes; i++)
        pb_bytes(p, 7, "\x08\x01", 2);
    err[0] = '\0';
    rc = rcl_batch_decode(p->b, p->n, &b, err, errlen);
    CHECK((rc == 0) == (b != NULL));
    rcl_batch_destroy(&b);
    free(p);
    return rc;
}

static void test_batch_refusals(void)
{
    struct wbatch w;
    char err[256];

#define EXPECT_BATCH(mod, ok, field)                                                               \
    do {                                                                                           \
        w = (struct wbatch){"410102", 1, 1, 5000, 32, 3};                                          \
        mod;                                                                                       \
        int rc_ = decode_wbatch(&w, err, sizeof(err));                                             \
        CHECK(rc_ == ((ok) ? 0 : -1));                                                             \
        if (!(ok))                                                                                 \
            CHECK(strstr(err, field) != NULL);                                                     \
        else if (rc_ != 0)                                                                         \
            fprintf(stderr, "  decode error: %s\n", err);                                          \
    } while (0)

    EXPECT_BATCH((void)0, true, "");
    EXPECT_BATCH(w.prev_len = 0, true, "");
    EXPECT_BATCH(w.n_changes = RCL_BATCH_RECORDS_MAX, true, "");
    EXPECT_BATCH(w.n_changes = RCL_BATCH_RECORDS_MAX + 1, false, "limit");
    EXPECT_BATCH((w.first = 1, w.last = 2), false, "changes"); /* 3 changes, 2 seqs */
    EXPECT_BATCH((w.first = 5, w.last = 5, w.n_changes = 1), true, "");
    EXPECT_BATCH(w.source = "", false, "batch.source");
    EXPECT_BATCH(w.source = "bad source", false, "batch.source");
    EXPECT_BATCH(w.epoch = 0, false, "epoch");
    EXPECT_BATCH(w.first = 0, false, "range");
    EXPECT_BATCH((w.first = 10, w.last = 9), false, "range");
    EXPECT_BATCH((w.first = 1, w.last = (UINT64_C(1) << 32) + 1), false, "range");
    EXPECT_BATCH((w.first = 1, w.last = UINT64_MAX, w.n_changes = 0), false, "range");
    EXPECT_BATCH((w.first = 1, w.last = UINT64_C(1) << 32), true, ""); /* widest allowed */
    EXPECT_BATCH(w.prev_len = 31, false, "prev_digest");
    EXPECT_BATCH(w.prev_len = 33, false, "prev_digest");
#undef EXPECT_BATCH

    /* Oversized buffers are refused before parsing. */
    {
        uint8_t *big = calloc(1, RCL_MESSAGE_BYTES_MAX + 1);
        struct rcl_batch *b = NULL;
        struct rcl_envelope *e = NULL;
        struct rcl_change c;
        struct rcl_reply r;
        CHECK(big != NULL);
        CHECK(rcl_batch_decode(big, RCL_MESSAGE_BYTES_MAX + 1, &b, err, sizeof(err)) == -1);
        CHECK(strstr(err, "limit") != NULL);
        CHECK(rcl_envelope_decode(big, RCL_MESSAGE_BYTES_MAX + 1, &e, err, sizeof(err)) == -1);
        CHECK(rcl_change_decode(big, RCL_MESSAGE_BYTES_MAX + 1, &c, err, sizeof(err)) == -1);
        CHECK(rcl_reply_decode(big, RCL_MESSAGE_BYTES_MAX + 1, &r, err, sizeof(err)) == -1);
        free(big);
    }
}

/* ---- Envelope ---- */

static void test_envelope_codec(void)
{
    uint8_t kid[RCL_KEY_ID_BYTES], sig[RCL_SIG_BYTES], payload[300];
    uint8_t *buf = NULL;
    size_t len = 0;
    struct rcl_envelope *e = NULL;
    char err[256];

    memset(kid, 0x11, sizeof(kid));
    memset(sig, 0x22, sizeof(sig));
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)i;
    CHECK(rcl_envelope_encode("4101020001", kid, sig, payload, sizeof(payload), &buf, &len) == 0);
    CHECK(rcl_envelope_decode(buf, len, &e, err, sizeof(err)) == 0);
    if (e != NULL) {
        CHECK_STR(e->source, "4101020001");
        CHECK(memcmp(e->key_id, kid, sizeof(kid)) == 0);
        CHECK(memcmp(e->signature, sig, sizeof(sig)) == 0);
        CHECK(e->payload.len == sizeof(payload));
        CHECK(memcmp(e->payload.data, payload, sizeof(payload)) == 0);
    }
    rcl_envelope_destroy(&e);
    CHECK(e == NULL);
    free(buf);

    /* Field refusals. */
    {
        static const struct {
            const char *source;
            size_t kid_len, sig_len, payload_len;
            const char *field;
        } cases[] = {
            {"4101020001", 8, 64, 10, NULL},
            {"", 8, 64, 10, "envelope.source"},
            {"a b", 8, 64, 10, "envelope.source"},
            {"4101020001", 7, 64, 10, "envelope.key_id"},
            {"4101020001", 9, 64, 10, "envelope.key_id"},
            {"4101020001", 0, 64, 10, "envelope.key_id"},
            {"4101020001", 8, 63, 10, "envelope.signature"},
            {"4101020001", 8, 65, 10, "envelope.signature"},
            {"4101020001", 8, 0, 10, "envelope.signature"},
            {"4101020001", 8, 64, 0, "envelope.payload"},
        };
        uint8_t junk[100];
        memset(junk, 0x33, sizeof(junk));
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            struct pb *p = pb_new();
            pb_str(p, 1, cases[i].source);
            if (cases[i].kid_len)
                pb_bytes(p, 2, junk, cases[i].kid_len);
            if (cases[i].sig_len)
                pb_bytes(p, 3, junk, cases[i].sig_len);
            if (cases[i].payload_len)
                pb_bytes(p, 4, junk, cases[i].payload_len);
            err[0] = '\0';
            int rc = rcl_envelope_decode(p->b, p->n, &e, err, sizeof(err));
            if (cases[i].field == NULL) {
                CHECK(rc == 0 && e != NULL);
            } else {
                CHECK(rc == -1 && e == NULL);
                CHECK(strstr(err, cases[i].field) != NULL);
            }
            rcl_envelope_destroy(&e);
            free(p);
        }
    }
}

/* ---- Reply ---- */

static void test_reply(void)
{
    struct rcl_reply r, back;
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[256];

    for (int st = 0; st < RCL_REPLY_STATUS_COUNT; st++) {
        memset(&r, 0, sizeof(r));
        r.status = (enum rcl_reply_status)st;
        strcpy(r.source, "4101020001");
        r.acked_seq = 123456789012ULL;
        r.has_digest = st == RCL_REPLY_ACK;
        if (r.has_digest)
            memset(r.acked_digest, 0x77, sizeof(r.acked_digest));
        r.resend_from = st == RCL_REPLY_RESEND ? 5 : 0;
        snprintf(r.reason, sizeof(r.reason), "reason %d: \xE6\x8B\x92\xE7\xBB\x9D", st);
        r.epoch = 3;
        r.probe = st == RCL_REPLY_ACK;
        r.top_seq = 120;
        r.top_at = 1790000000;
        strcpy(r.top_id, "41");
        r.probe_id = r.probe ? 0x1234567890ULL : 0;
        CHECK(rcl_reply_encode(&r, &buf, &len) == 0);
        CHECK(rcl_reply_decode(buf, len, &back, err, sizeof(err)) == 0);
        CHECK(reply_equal(&r, &back));
        free(buf);
    }
    /* A refusal that does not know the source. */
    memset(&r, 0, sizeof(r));
    r.status = RCL_REPLY_REFUSED;
    strcpy(r.reason, "malformed envelope: envelope is not a valid encoding");
    CHECK(rcl_reply_encode(&r, &buf, &len) == 0);
    CHECK(rcl_reply_decode(buf, len, &back, err, sizeof(err)) == 0);
    CHECK(back.source[0] == '\0');
    CHECK_STR(back.reason, r.reason);
    free(buf);

    /* Refusals. */
    {
        struct pb *p = pb_new();
        pb_uint(p, 1, RCL_REPLY_STATUS_COUNT);
        CHECK(rcl_reply_decode(p->b, p->n, &back, err, sizeof(err)) == -1);
        CHECK(strstr(err, "reply.status") != NULL);
        p->n = 0;
        pb_uint(p, 1, RCL_REPLY_ACK);
        pb_str(p, 2, "bad source");
        CHECK(rcl_reply_decode(p->b, p->n, &back, err, sizeof(err)) == -1);
        CHECK(strstr(err, "reply.source") != NULL);
        p->n = 0;
        pb_uint(p, 1, RCL_REPLY_ACK);
        pb_bytes(p, 4, "0123456789012345678901234567890", 31);
        CHECK(rcl_reply_decode(p->b, p->n, &back, err, sizeof(err)) == -1);
        CHECK(strstr(err, "reply.acked_digest") != NULL);
        p->n = 0;
        pb_uint(p, 1, RCL_REPLY_REFUSED);
        pb_str(p, 6, "bad \xFF reason");
        CHECK(rcl_reply_decode(p->b, p->n, &back, err, sizeof(err)) == -1);
        CHECK(strstr(err, "reply.reason") != NULL);

        /* A long reason is cut on a character boundary, not refused. */
        {
            char longr[700] = "";
            p->n = 0;
            for (int i = 0; i < 100; i++)
                strcat(longr, "\xE9\x94\x99"); /* 3 bytes each: 300 bytes */
            pb_uint(p, 1, RCL_REPLY_REFUSED);
            pb_str(p, 6, longr);
            CHECK(rcl_reply_decode(p->b, p->n, &back, err, sizeof(err)) == 0);
            CHECK(strlen(back.reason) == 255);
            CHECK(rcl_utf8_valid(back.reason, strlen(back.reason)));
            strcpy(longr, "x");
            for (int i = 0; i < 100; i++)
                strcat(longr, "\xE9\x94\x99");
            p->n = 0;
            pb_uint(p, 1, RCL_REPLY_REFUSED);
            pb_str(p, 6, longr);
            CHECK(rcl_reply_decode(p->b, p->n, &back, err, sizeof(err)) == 0);
            CHECK(strlen(back.reason) == 253);
            CHECK(rcl_utf8_valid(back.reason, strlen(back.reason)));
        }
        CHECK(rcl_reply_decode((const uint8_t *)"\x08", 1, &back, err, sizeof(err)) == -1);
        free(p);
    }
}

static void test_id_valid(void)
{
    CHECK(rcl_id_valid("4101020001"));
    CHECK(rcl_id_valid("a"));
    CHECK(rcl_id_valid("county-410102_v1.0"));
    CHECK(rcl_id_valid("12345678901234567890123456789012"));   /* 32 */
    CHECK(!rcl_id_valid("123456789012345678901234567890123")); /* 33 */
    CHECK(!rcl_id_valid(""));
    CHECK(!rcl_id_valid(NULL));
    CHECK(!rcl_id_valid("a b"));
    CHECK(!rcl_id_valid("a/b"));
    CHECK(!rcl_id_valid("a:b"));
    CHECK(!rcl_id_valid("\xE9\x94\x99"));
}

int main(void)
{
    RCL_TEST_RUN(test_batch_roundtrip);
    RCL_TEST_RUN(test_batch_refusals);
    RCL_TEST_RUN(test_envelope_codec);
    RCL_TEST_RUN(test_reply);
    RCL_TEST_RUN(test_id_valid);
    return RCL_TEST_RESULT();
}

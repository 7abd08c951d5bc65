/*
 * test_envelope.c - sealed envelopes: what was sealed opens; any single-bit
 * change or truncation of the sealed bytes is refused; another node's key,
 * another node's signature or another domain is refused.
 */
#include <sodium.h>
#include <string.h>

#include "rcl_codec.h"
#include "rcl_envelope.h"
#include "rcl_keys.h"
#include "rcl_test.h"

#define SOURCE "4101020001"

static uint8_t pk[RCL_PK_BYTES], sk[RCL_SK_BYTES];
static uint8_t pk2[RCL_PK_BYTES], sk2[RCL_SK_BYTES];

/* A realistic payload: an encoded batch with one change. */
static void make_payload(uint8_t **out, size_t *len)
{
    struct rcl_change c;
    struct rcl_batch_header h;
    struct rcl_blob blob;
    uint8_t *enc = NULL;

    memset(&c, 0, sizeof(c));
    c.seq = 1;
    c.kind = RCL_CHANGE_SCHOOL;
    strcpy(c.u.school.school_id, SOURCE);
    strcpy(c.u.school.name, "No. 1 school");
    strcpy(c.u.school.county, "410102");
    CHECK(rcl_change_encode(&c, &enc, &blob.len) == 0);
    blob.data = enc;
    memset(&h, 0, sizeof(h));
    strcpy(h.source, SOURCE);
    h.epoch = 1;
    h.first_seq = 1;
    h.last_seq = 1;
    h.sent_at = 1700000000;
    CHECK(rcl_batch_encode(&h, &blob, 1, out, len) == 0);
    free(enc);
}

/*
 * What a receiver does before trusting a payload: decode the envelope, find
 * the key enrolled for its source (only SOURCE is enrolled here, with pk),
 * verify. Returns 0 only when the envelope would be accepted.
 */
static int receive(const uint8_t *buf, size_t len, const uint8_t *want_payload, size_t want_len)
{
    struct rcl_envelope *e = NULL;
    char err[256];
    int rc = -1;

    if (rcl_envelope_decode(buf, len, &e, err, sizeof(err)) != 0)
        goto done;
    if (strcmp(e->source, SOURCE) != 0)
        goto done; /* another source: looked up under another key, or unknown */
    if (rcl_envelope_verify(e, pk, err, sizeof(err)) != 0)
        goto done;
    /* Accepted: then it must be exactly what was sealed. */
    CHECK(e->payload.len == want_len);
    CHECK(memcmp(e->payload.data, want_payload, want_len) == 0);
    rc = 0;
done:
    rcl_envelope_destroy(&e);
    return rc;
}

static void test_seal_open(void)
{
    uint8_t *payload = NULL, *sealed = NULL;
    size_t plen = 0, slen = 0;
    struct rcl_envelope *e = NULL;
    uint8_t kid[RCL_KEY_ID_BYTES];
    char err[256];

    make_payload(&payload, &plen);
    CHECK(rcl_envelope_seal(SOURCE, payload, plen, pk, sk, &sealed, &slen) == 0);
    CHECK(rcl_envelope_decode(sealed, slen, &e, err, sizeof(err)) == 0);
    if (e != NULL) {
        CHECK_STR(e->source, SOURCE);
        rcl_key_id(pk, kid);
        CHECK(memcmp(e->key_id, kid, sizeof(kid)) == 0);
        CHECK(e->payload.len == plen);
        CHECK(memcmp(e->payload.data, payload, plen) == 0);
        CHECK(rcl_envelope_verify(e, pk, err, sizeof(err)) == 0);
        /* The signature is rcl_sign under the batch domain. */
        CHECK(rcl_verify(RCL_DOMAIN_BATCH, payload, plen, e->signature, pk) == 0);
    }
    rcl_envelope_destroy(&e);
    CHECK(receive(sealed, slen, payload, plen) == 0);

    /* Sealing refuses what no receiver would accept. */
    {
        uint8_t *o = (uint8_t *)"x";
        size_t ol = 1;
        CHECK(rcl_envelope_seal("bad source", payload, plen, pk, sk, &o, &ol) == -1);
        CHECK(o == NULL);
        CHECK(rcl_envelope_seal(SOURCE, payload, 0, pk, sk, &o, &ol) == -1);
    }
    free(sealed);
    free(payload);
}

static void test_every_bit_flip(void)
{
    uint8_t *payload = NULL, *sealed = NULL;
    size_t plen = 0, slen = 0, accepted = 0;

    make_payload(&payload, &plen);
    CHECK(rcl_envelope_seal(SOURCE, payload, plen, pk, sk, &sealed, &slen) == 0);
    for (size_t bit = 0; bit < slen * 8; bit++) {
        sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (receive(sealed, slen, payload, plen) == 0) {
            fprintf(stderr, "  bit %zu (byte %zu) flipped and still accepted\n", bit, bit / 8);
            accepted++;
        }
        sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    CHECK(accepted == 0);
    CHECK(receive(sealed, slen, payload, plen) == 0); /* restored */
    free(sealed);
    free(payload);
}

static void test_every_truncation(void)
{
    uint8_t *payload = NULL, *sealed = NULL;
    size_t plen = 0, slen = 0;

    make_payload(&payload, &plen);
    CHECK(rcl_envelope_seal(SOURCE, payload, plen, pk, sk, &sealed, &slen) == 0);
    for (size_t n = 0; n < slen; n++) {
        if (receive(sealed, n, payload, plen) == 0)
            fprintf(stderr, "  truncation to %zu of %zu bytes accepted\n", n, slen);
        CHECK(receive(sealed, n, payload, plen) == -1);
    }
    free(sealed);
    free(payload);
}

static void test_other_keys(void)
{
    uint8_t *payload = NULL, *sealed = NULL, *forged = NULL;
    size_t plen = 0, slen = 0, flen = 0;
    struct rcl_envelope *e = NULL;
    uint8_t kid[RCL_KEY_ID_BYTES], sig[RCL_SIG_BYTES];
    char err[256];

    make_payload(&payload, &plen);

    /* Sealed by another node: its key id does not match the enrolled key. */
    CHECK(rcl_envelope_seal(SOURCE, payload, plen, pk2, sk2, &sealed, &slen) == 0);
    CHECK(rcl_envelope_decode(sealed, slen, &e, err, sizeof(err)) == 0);
    err[0] = '\0';
    CHECK(rcl_envelope_verify(e, pk, err, sizeof(err)) == -1);
    CHECK_STR(err, "key id does not match the enrolled key");
    CHECK(rcl_envelope_verify(e, pk2, err, sizeof(err)) == 0);
    rcl_envelope_destroy(&e);
    free(sealed);

    /* Another node claiming the enrolled key id: the signature does not verify. */
    rcl_key_id(pk, kid);
    CHECK(rcl_sign(RCL_DOMAIN_BATCH, payload, plen, sk2, sig) == 0);
    CHECK(rcl_envelope_encode(SOURCE, kid, sig, payload, plen, &forged, &flen) == 0);
    CHECK(rcl_envelope_decode(forged, flen, &e, err, sizeof(err)) == 0);
    err[0] = '\0';
    CHECK(rcl_envelope_verify(e, pk, err, sizeof(err)) == -1);
    CHECK_STR(err, "signature does not verify");
    rcl_envelope_destroy(&e);
    free(forged);

    /* The right key, but signed for another purpose (domain). */
    CHECK(rcl_sign("rollcall/v1/other", payload, plen, sk, sig) == 0);
    CHECK(rcl_envelope_encode(SOURCE, kid, sig, payload, plen, &forged, &flen) == 0);
    CHECK(rcl_envelope_decode(forged, flen, &e, err, sizeof(err)) == 0);
    CHECK(rcl_envelope_verify(e, pk, err, sizeof(err)) == -1);
    CHECK_STR(err, "signature does not verify");
    rcl_envelope_destroy(&e);
    free(forged);

    /* An all-zero signature (a classic verifier bug). */
    memset(sig, 0, sizeof(sig));
    CHECK(rcl_envelope_encode(SOURCE, kid, sig, payload, plen, &forged, &flen) == 0);
    CHECK(rcl_envelope_decode(forged, flen, &e, err, sizeof(err)) == 0);
    CHECK(rcl_envelope_verify(e, pk, err, sizeof(err)) == -1);
    rcl_envelope_destroy(&e);
    free(forged);
    free(payload);
}

int main(void)
{
    if (rcl_keys_init() != 0) {
        fprintf(stderr, "libsodium failed to start\n");
        return 1;
    }
    if (rcl_key_generate(pk, sk) != 0 || rcl_key_generate(pk2, sk2) != 0) {
        fprintf(stderr, "cannot generate keys\n");
        return 1;
    }
    RCL_TEST_RUN(test_seal_open);
    RCL_TEST_RUN(test_every_bit_flip);
    RCL_TEST_RUN(test_every_truncation);
    RCL_TEST_RUN(test_other_keys);
    sodium_memzero(sk, sizeof(sk));
    sodium_memzero(sk2, sizeof(sk2));
    return RCL_TEST_RESULT();
}

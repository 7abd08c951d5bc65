/*
 * test_keys.c - identity keys and signatures: RFC 8032 known answers for the
 * Ed25519 primitive, a frozen known answer for rcl_sign's domain separation,
 * sign/verify round trips and refusals, hex parsing, key ids and digests.
 */
#include <sodium.h>
#include <string.h>

#include "rcl_keys.h"
#include "rcl_test.h"

/* RFC 8032 section 7.1, TEST 1-3. */
static const struct {
    const char *seed, *pk, *msg, *sig;
} rfc8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9"
     "b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f1"
     "1d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984d"
     "c6594a7c15e9716ed28dc027beceea1ec40a"},
};

static void keypair_from_seed(const char *seed_hex, uint8_t pk[RCL_PK_BYTES],
                              uint8_t sk[RCL_SK_BYTES])
{
    uint8_t seed[32];
    CHECK(rcl_test_unhex(seed_hex, seed, sizeof(seed)) == 32);
    CHECK(crypto_sign_seed_keypair(pk, sk, seed) == 0);
}

static void test_rfc8032_vectors(void)
{
    for (size_t i = 0; i < sizeof(rfc8032) / sizeof(rfc8032[0]); i++) {
        uint8_t pk[RCL_PK_BYTES], sk[RCL_SK_BYTES], msg[8], sig[RCL_SIG_BYTES], want[RCL_SIG_BYTES];
        char hex[2 * RCL_SIG_BYTES + 1];
        char pk_hex[RCL_PK_HEX_LEN + 1];
        long mlen = rcl_test_unhex(rfc8032[i].msg, msg, sizeof(msg));

        keypair_from_seed(rfc8032[i].seed, pk, sk);
        rcl_key_to_hex(pk, pk_hex);
        CHECK_STR(pk_hex, rfc8032[i].pk);
        CHECK(mlen >= 0);
        CHECK(crypto_sign_detached(sig, NULL, msg, (unsigned long long)mlen, sk) == 0);
        rcl_test_hex(sig, sizeof(sig), hex);
        CHECK_STR(hex, rfc8032[i].sig);
        CHECK(rcl_test_unhex(rfc8032[i].sig, want, sizeof(want)) == RCL_SIG_BYTES);
        CHECK(crypto_sign_verify_detached(want, msg, (unsigned long long)mlen, pk) == 0);
        sodium_memzero(sk, sizeof(sk));
    }
}

/* Frozen: Ed25519 with the RFC 8032 TEST 1 key over "rollcall/v1/batch\0abc".
 * A change here means signatures no longer verify across versions. */
static void test_sign_known_answer(void)
{
    uint8_t pk[RCL_PK_BYTES], sk[RCL_SK_BYTES], sig[RCL_SIG_BYTES];
    char hex[2 * RCL_SIG_BYTES + 1];

    keypair_from_seed(rfc8032[0].seed, pk, sk);
    CHECK(rcl_sign(RCL_DOMAIN_BATCH, (const uint8_t *)"abc", 3, sk, sig) == 0);
    rcl_test_hex(sig, sizeof(sig), hex);
    CHECK_STR(hex, "1d00d60641a1768aee59ec1dcc57c32e7eff28b0d06e836ea114962acb6dc9a2924a39a064d56ee"
                   "60e67755f779c06741a909296970f0a54913b09140ba18a0d");
    CHECK(rcl_verify(RCL_DOMAIN_BATCH, (const uint8_t *)"abc", 3, sig, pk) == 0);
    sodium_memzero(sk, sizeof(sk));
}

static void test_sign_verify(void)
{
    uint8_t pk[RCL_PK_BYTES], sk[RCL_SK_BYTES], pk2[RCL_PK_BYTES], sk2[RCL_SK_BYTES];
    uint8_t sig[RCL_SIG_BYTES], raw[RCL_SIG_BYTES];
    uint8_t msg[100];

    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 7);
    CHECK(rcl_key_generate(pk, sk) == 0);
    CHECK(rcl_key_generate(pk2, sk2) == 0);
    CHECK(memcmp(pk, pk2, RCL_PK_BYTES) != 0);

    CHECK(rcl_sign(RCL_DOMAIN_BATCH, msg, sizeof(msg), sk, sig) == 0);
    CHECK(rcl_verify(RCL_DOMAIN_BATCH, msg, sizeof(msg), sig, pk) == 0);
    /* Wrong domain, wrong key, changed message, changed signature: all refused. */
    CHECK(rcl_verify("rollcall/v1/other", msg, sizeof(msg), sig, pk) == -1);
    CHECK(rcl_verify("rollcall/v1/batc", msg, sizeof(msg), sig, pk) == -1);
    CHECK(rcl_verify(RCL_DOMAIN_BATCH, msg, sizeof(msg), sig, pk2) == -1);
    CHECK(rcl_verify(RCL_DOMAIN_BATCH, msg, sizeof(msg) - 1, sig, pk) == -1);
    msg[50] ^= 1;
    CHECK(rcl_verify(RCL_DOMAIN_BATCH, msg, sizeof(msg), sig, pk) == -1);
    msg[50] ^= 1;
    sig[10] ^= 0x80;
    CHECK(rcl_verify(RCL_DOMAIN_BATCH, msg, sizeof(msg), sig, pk) == -1);
    sig[10] ^= 0x80;
    /* The domain is really part of the signed bytes: a raw signature does not verify. */
    CHECK(crypto_sign_detached(raw, NULL, msg, sizeof(msg), sk) == 0);
    CHECK(rcl_verify(RCL_DOMAIN_BATCH, msg, sizeof(msg), raw, pk) == -1);
    /* "a" || 0 || "bc" must differ from "ab" || 0 || "c". */
    CHECK(rcl_sign("a", (const uint8_t *)"bc", 2, sk, sig) == 0);
    CHECK(rcl_verify("ab", (const uint8_t *)"c", 1, sig, pk) == -1);
    /* An empty message is fine. */
    CHECK(rcl_sign(RCL_DOMAIN_BATCH, NULL, 0, sk, sig) == 0);
    CHECK(rcl_verify(RCL_DOMAIN_BATCH, NULL, 0, sig, pk) == 0);
    sodium_memzero(sk, sizeof(sk));
    sodium_memzero(sk2, sizeof(sk2));
}

static void test_hex(void)
{
    uint8_t pk[RCL_PK_BYTES], sk[RCL_SK_BYTES], back[RCL_PK_BYTES];
    char hex[RCL_PK_HEX_LEN + 1], buf[160];

    CHECK(rcl_key_generate(pk, sk) == 0);
    rcl_key_to_hex(pk, hex);
    CHECK(strlen(hex) == RCL_PK_HEX_LEN);
    for (size_t i = 0; i < RCL_PK_HEX_LEN; i++)
        CHECK((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f'));
    CHECK(rcl_key_from_hex(hex, back) == 0);
    CHECK(memcmp(pk, back, RCL_PK_BYTES) == 0);

    /* Surrounding white space (a trailing newline from a file) is ignored. */
    snprintf(buf, sizeof(buf), "  %s\n", hex);
    memset(back, 0, sizeof(back));
    CHECK(rcl_key_from_hex(buf, back) == 0);
    CHECK(memcmp(pk, back, RCL_PK_BYTES) == 0);

    /* Known answer: the RFC 8032 TEST 1 public key parses. */
    CHECK(rcl_key_from_hex(rfc8032[0].pk, back) == 0);

    /* Refusals leave pk untouched. */
    memcpy(back, pk, RCL_PK_BYTES);
    CHECK(rcl_key_from_hex("", back) == -1);
    CHECK(rcl_key_from_hex(NULL, back) == -1);
    CHECK(rcl_key_from_hex("abcd", back) == -1);
    snprintf(buf, sizeof(buf), "%.63s", hex);
    CHECK(rcl_key_from_hex(buf, back) == -1); /* 63 characters */
    snprintf(buf, sizeof(buf), "%s0", hex);
    CHECK(rcl_key_from_hex(buf, back) == -1); /* 65 characters */
    snprintf(buf, sizeof(buf), "%s", hex);
    buf[5] = 'g';
    CHECK(rcl_key_from_hex(buf, back) == -1);
    snprintf(buf, sizeof(buf), "%.32s %s", hex, hex + 32);
    CHECK(rcl_key_from_hex(buf, back) == -1); /* inner blank */
    snprintf(buf, sizeof(buf), "%s", hex);
    buf[10] = ':';
    CHECK(rcl_key_from_hex(buf, back) == -1);
    /* Hex that is not a usable point: all zeros and the identity (small order). */
    CHECK(rcl_key_from_hex("0000000000000000000000000000000000000000000000000000000000000000",
                           back) == -1);
    CHECK(rcl_key_from_hex("0100000000000000000000000000000000000000000000000000000000000000",
                           back) == -1);
    CHECK(memcmp(pk, back, RCL_PK_BYTES) == 0);
    sodium_memzero(sk, sizeof(sk));
}

static void test_key_id_digest_curve(void)
{
    uint8_t pk[RCL_PK_BYTES], sk[RCL_SK_BYTES], id[RCL_KEY_ID_BYTES], d[RCL_DIGEST_BYTES];
    uint8_t cpk[RCL_CURVE_KEY_BYTES], csk[RCL_CURVE_KEY_BYTES], derived[RCL_CURVE_KEY_BYTES];
    char hex[2 * RCL_DIGEST_BYTES + 1];

    /* Key id = first 8 bytes of BLAKE2b-256(pk), frozen for the TEST 1 key. */
    keypair_from_seed(rfc8032[0].seed, pk, sk);
    rcl_key_id(pk, id);
    rcl_test_hex(id, sizeof(id), hex);
    CHECK_STR(hex, "7849ac3049680be1");

    /* Digest = unkeyed BLAKE2b-256. */
    rcl_digest((const uint8_t *)"", 0, d);
    rcl_test_hex(d, sizeof(d), hex);
    CHECK_STR(hex, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
    rcl_digest((const uint8_t *)"abc", 3, d);
    rcl_test_hex(d, sizeof(d), hex);
    CHECK_STR(hex, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");

    /* The CURVE forms are one X25519 key pair. */
    CHECK(rcl_key_curve_public(pk, cpk) == 0);
    CHECK(rcl_key_curve_secret(sk, csk) == 0);
    CHECK(crypto_scalarmult_base(derived, csk) == 0);
    CHECK(memcmp(derived, cpk, sizeof(cpk)) == 0);
    memset(pk, 0, sizeof(pk));
    CHECK(rcl_key_curve_public(pk, cpk) == -1);
    sodium_memzero(sk, sizeof(sk));
    sodium_memzero(csk, sizeof(csk));
}

int main(void)
{
    if (rcl_keys_init() != 0) {
        fprintf(stderr, "libsodium failed to start\n");
        return 1;
    }
    RCL_TEST_RUN(test_rfc8032_vectors);
    RCL_TEST_RUN(test_sign_known_answer);
    RCL_TEST_RUN(test_sign_verify);
    RCL_TEST_RUN(test_hex);
    RCL_TEST_RUN(test_key_id_digest_curve);
    return RCL_TEST_RESULT();
}

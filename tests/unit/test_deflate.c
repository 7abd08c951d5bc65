/*
 * test_deflate.c - compressed batches: rcl_deflate/rcl_inflate round trips;
 * corrupt, cut-short, trailing and bomb streams refused with a reason; an
 * envelope carrying a compressed batch opens to the same batch, its
 * signature binds the compressed form, and the old plain form still opens;
 * at a county, a compressed batch is applied like a plain one and a bomb is
 * refused (and kept aside) with nothing applied.
 */
#include <zlib.h>

#include "codec_fixture.h"
#include "ingest_fixture.h"
#include "rcl_deflate.h"

#define N_STUDENTS 300

/* Students as a school sends them: random pseudonyms, Chinese names, repeating fields. */
static uint8_t *student_batch(const char *source, uint64_t first, size_t n, size_t *len)
{
    static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄"};
    static const char *const given[] = {"伟", "芳", "子涵", "浩然", "欣怡", "宇轩", "一诺", "梓萱"};
    struct rcl_batch_header h;
    struct rcl_blob *blobs = calloc(n, sizeof(*blobs));
    uint8_t *payload = NULL;

    memset(&h, 0, sizeof(h));
    snprintf(h.source, sizeof(h.source), "%s", source);
    h.epoch = 1;
    h.first_seq = first;
    h.last_seq = first + n - 1;
    h.sent_at = 1700000000;
    for (size_t i = 0; blobs != NULL && i < n; i++) {
        struct rcl_change c;
        uint8_t *enc = NULL;

        memset(&c, 0, sizeof(c));
        c.seq = first + i;
        c.kind = RCL_CHANGE_STUDENT;
        randombytes_buf(c.u.student.pseudonym, RCL_PSEUDONYM_BYTES);
        snprintf(c.u.student.name, sizeof(c.u.student.name), "%s%s", surnames[i % 8],
                 given[(i / 8) % 8]);
        c.u.student.grade = 1 + (uint8_t)(i % 12);
        snprintf(c.u.student.class_name, sizeof(c.u.student.class_name), "%zu班", 1 + i % 4);
        c.u.student.network = RCL_BIT(RCL_NET_MOBILE);
        c.u.student.devices =
            (uint32_t)(i % 3 == 0 ? RCL_BIT(RCL_DEV_TV) : RCL_BIT(RCL_DEV_SMARTPHONE));
        c.u.student.participation = RCL_PART_ACTIVE;
        CHECK(rcl_change_encode(&c, &enc, &blobs[i].len) == 0);
        blobs[i].data = enc;
    }
    if (blobs != NULL)
        CHECK(rcl_batch_encode(&h, blobs, n, &payload, len) == 0);
    for (size_t i = 0; blobs != NULL && i < n; i++)
        free((void *)blobs[i].data);
    free(blobs);
    return payload;
}

/* Raw DEFLATE of count zero bytes, made in pieces (never count bytes in memory), after
 * lead zero bytes (1: an empty set-apart part, as a compressed batch begins). */
static uint8_t *zero_bomb(size_t count, size_t lead, size_t *len)
{
    static uint8_t zeros[65536];
    z_stream z = {0};
    size_t cap = count / 500 + 4096;
    uint8_t *out = calloc(1, cap + lead);

    CHECK(out != NULL);
    CHECK(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) == Z_OK);
    CHECK(deflateSetDictionary(&z, rcl_deflate_dict, (uInt)rcl_deflate_dict_len) == Z_OK);
    z.next_out = out + lead;
    z.avail_out = (uInt)cap;
    while (count > 0) {
        size_t piece = count < sizeof(zeros) ? count : sizeof(zeros);
        count -= piece;
        z.next_in = zeros;
        z.avail_in = (uInt)piece;
        CHECK(deflate(&z, count > 0 ? Z_NO_FLUSH : Z_FINISH) != Z_STREAM_ERROR);
        CHECK(z.avail_in == 0);
    }
    *len = lead + z.total_out;
    deflateEnd(&z);
    return out;
}

static bool err_has(const char *err, const char *text)
{
    if (strstr(err, text) != NULL)
        return true;
    fprintf(stderr, "  error '%s' lacks '%s'\n", err, text);
    return false;
}

static void test_round_trip(void)
{
    uint8_t *payload, *z = NULL, *back = NULL, noise[4096];
    size_t plen = 0, zlen = 0, blen = 0;
    char err[256];

    payload = student_batch(SCHOOL, 1, N_STUDENTS, &plen);
    CHECK(rcl_deflate(payload, plen, &z, &zlen) == 0);
    /* Beyond the 32 random pseudonym bytes, the rest of a record is mostly repetition. */
    CHECK(zlen < plen * 3 / 4 && zlen > (size_t)N_STUDENTS * RCL_PSEUDONYM_BYTES);
    CHECK(rcl_inflate(z, zlen, plen, &back, &blen, err, sizeof(err)) == 0);
    CHECK(blen == plen && back != NULL && memcmp(back, payload, plen) == 0);
    free(back);
    back = NULL;
    /* A cap of one byte less than the stream holds is a bomb. */
    CHECK(rcl_inflate(z, zlen, plen - 1, &back, &blen, err, sizeof(err)) == -1 && back == NULL);
    CHECK(err_has(err, "inflates to more than"));

    /* Incompressible bytes grow a little, and still round trip. */
    randombytes_buf(noise, sizeof(noise));
    CHECK(rcl_deflate(noise, sizeof(noise), &back, &blen) == 0 && blen >= sizeof(noise));
    free(z);
    z = back;
    zlen = blen;
    back = NULL;
    CHECK(rcl_inflate(z, zlen, sizeof(noise), &back, &blen, err, sizeof(err)) == 0);
    CHECK(blen == sizeof(noise) && back != NULL && memcmp(back, noise, blen) == 0);
    free(back);
    free(z);
    free(payload);
}

static void test_bad_streams(void)
{
    uint8_t *payload, *z = NULL, *back = NULL, *longer;
    size_t plen = 0, zlen = 0, blen = 0, refused = 0;
    char err[256];

    payload = student_batch(SCHOOL, 1, 40, &plen);
    CHECK(rcl_deflate(payload, plen, &z, &zlen) == 0);

    /* Every cut is refused: a shorter batch must never pass for the whole. */
    for (size_t n = 0; n < zlen; n++) {
        err[0] = '\0';
        if (rcl_inflate(z, n, RCL_MESSAGE_BYTES_MAX, &back, &blen, err, sizeof(err)) == 0) {
            fprintf(stderr, "  cut to %zu of %zu bytes inflated\n", n, zlen);
            free(back);
            back = NULL;
        } else {
            CHECK(back == NULL && err[0] != '\0');
            refused++;
        }
    }
    CHECK(refused == zlen);
    CHECK(rcl_inflate(z, zlen / 2, RCL_MESSAGE_BYTES_MAX, &back, &blen, err, sizeof(err)) == -1);
    CHECK(err_has(err, "cut short") || err_has(err, "not a valid deflate stream"));

    /* Anything after the end of the stream. */
    longer = malloc(zlen + 3);
    memcpy(longer, z, zlen);
    memcpy(longer + zlen, "abc", 3);
    CHECK(rcl_inflate(longer, zlen + 3, RCL_MESSAGE_BYTES_MAX, &back, &blen, err, sizeof(err)) ==
          -1);
    CHECK(err_has(err, "3 bytes after the end of its stream"));
    free(longer);

    /* Not DEFLATE at all: the plain batch bytes, and a block type that does not exist. */
    CHECK(rcl_inflate(payload, plen, RCL_MESSAGE_BYTES_MAX, &back, &blen, err, sizeof(err)) == -1);
    CHECK(err[0] != '\0' && back == NULL);
    CHECK(rcl_inflate((const uint8_t *)"\x07\x00", 2, RCL_MESSAGE_BYTES_MAX, &back, &blen, err,
                      sizeof(err)) == -1);
    CHECK(err_has(err, "not a valid deflate stream"));
    CHECK(rcl_inflate(z, 0, RCL_MESSAGE_BYTES_MAX, &back, &blen, err, sizeof(err)) == -1);
    CHECK(err_has(err, "empty"));
    free(z);
    free(payload);
}

static void test_bombs(void)
{
    uint8_t *bomb, *back = NULL;
    size_t blen = 0, zlen = 0;
    char err[256];

    /* Exactly the cap inflates; one byte more does not. */
    bomb = zero_bomb(RCL_MESSAGE_BYTES_MAX, 0, &zlen);
    CHECK(rcl_inflate(bomb, zlen, RCL_MESSAGE_BYTES_MAX, &back, &blen, err, sizeof(err)) == 0);
    CHECK(blen == RCL_MESSAGE_BYTES_MAX);
    free(back);
    back = NULL;
    free(bomb);
    bomb = zero_bomb((size_t)RCL_MESSAGE_BYTES_MAX + 1, 0, &zlen);
    CHECK(rcl_inflate(bomb, zlen, RCL_MESSAGE_BYTES_MAX, &back, &blen, err, sizeof(err)) == -1);
    CHECK(back == NULL && err_has(err, "inflates to more than 4194304 bytes"));
    free(bomb);
    /* 256 MiB in a quarter of a megabyte: refused at the cap, not inflated to the end. */
    bomb = zero_bomb((size_t)256 << 20, 0, &zlen);
    CHECK(zlen < RCL_MESSAGE_BYTES_MAX);
    CHECK(rcl_inflate(bomb, zlen, RCL_MESSAGE_BYTES_MAX, &back, &blen, err, sizeof(err)) == -1);
    CHECK(back == NULL && err_has(err, "inflates to more than"));
    free(bomb);
}

/* Decodes, verifies with pk and opens an envelope; the batch or NULL (reason in err). */
static struct rcl_batch *open_env(const uint8_t *env, size_t len, const uint8_t *pk, bool *deflated,
                                  char *err, size_t errlen)
{
    struct rcl_envelope *e = NULL;
    struct rcl_batch *b = NULL;

    /* The receiver looks the key up by the source the envelope names: only SCHOOL has pk. */
    if (rcl_envelope_decode(env, len, &e, err, errlen) == 0 && strcmp(e->source, SCHOOL) == 0 &&
        rcl_envelope_verify(e, pk, err, errlen) == 0) {
        *deflated = e->deflated;
        if (rcl_envelope_open_batch(e, &b, err, errlen) != 0)
            b = NULL;
    }
    rcl_envelope_destroy(&e);
    return b;
}

static void test_envelopes(void)
{
    struct node n, other;
    uint8_t *payload, *env = NULL, *plain_env = NULL, digest[RCL_DIGEST_BYTES],
                      want[RCL_DIGEST_BYTES];
    uint8_t *z = NULL, *forged = NULL, kid[RCL_KEY_ID_BYTES], sig[RCL_SIG_BYTES];
    size_t plen = 0, len = 0, plain_len = 0, zlen = 0, flen = 0, accepted = 0;
    struct rcl_envelope *e = NULL;
    struct rcl_batch *b;
    bool deflated = false;
    char err[256];

    CHECK(rcl_key_generate(n.pk, n.sk) == 0 && rcl_key_generate(other.pk, other.sk) == 0);
    payload = student_batch(SCHOOL, 1, N_STUDENTS, &plen);
    CHECK(rcl_envelope_seal_batch(SCHOOL, payload, plen, n.pk, n.sk, &env, &len, digest) == 0);
    CHECK(rcl_envelope_seal(SCHOOL, payload, plen, n.pk, n.sk, &plain_env, &plain_len) == 0);
    CHECK(len < plain_len * 3 / 4);
    /* The digest is of the compressed bytes exactly as signed. */
    CHECK(rcl_envelope_decode(env, len, &e, err, sizeof(err)) == 0 && e->deflated);
    if (e != NULL) {
        rcl_digest(e->payload.data, e->payload.len, want);
        CHECK(memcmp(digest, want, sizeof(want)) == 0);
        CHECK(rcl_verify(RCL_DOMAIN_BATCH_DEFLATED, e->payload.data, e->payload.len, e->signature,
                         n.pk) == 0);
        CHECK(rcl_verify(RCL_DOMAIN_BATCH, e->payload.data, e->payload.len, e->signature, n.pk) !=
              0);
    }
    rcl_envelope_destroy(&e);

    /* Both forms open to the same batch. */
    b = open_env(env, len, n.pk, &deflated, err, sizeof(err));
    CHECK(b != NULL && deflated && b->n_changes == N_STUDENTS && b->h.last_seq == N_STUDENTS);
    rcl_batch_destroy(&b);
    b = open_env(plain_env, plain_len, n.pk, &deflated, err, sizeof(err));
    CHECK(b != NULL && !deflated && b->n_changes == N_STUDENTS);
    rcl_batch_destroy(&b);
    CHECK(open_env(env, len, other.pk, &deflated, err, sizeof(err)) == NULL);

    /* Every single-bit change of the compressed envelope is refused. */
    for (size_t bit = 0; bit < len * 8; bit += 7) {
        env[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        b = open_env(env, len, n.pk, &deflated, err, sizeof(err));
        if (b != NULL) {
            fprintf(stderr, "  bit %zu flipped and still accepted\n", bit);
            accepted++;
            rcl_batch_destroy(&b);
        }
        env[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    CHECK(accepted == 0);

    /* The signature binds the form: plain-signed bytes carried as compressed, and the other way. */
    rcl_key_id(n.pk, kid);
    CHECK(rcl_deflate(payload, plen, &z, &zlen) == 0);
    CHECK(rcl_sign(RCL_DOMAIN_BATCH, z, zlen, n.sk, sig) == 0);
    CHECK(rcl_envelope_encode_deflated(SCHOOL, kid, sig, z, zlen, &forged, &flen) == 0);
    CHECK(open_env(forged, flen, n.pk, &deflated, err, sizeof(err)) == NULL);
    CHECK_STR(err, "signature does not verify");
    free(forged);
    CHECK(rcl_sign(RCL_DOMAIN_BATCH_DEFLATED, payload, plen, n.sk, sig) == 0);
    CHECK(rcl_envelope_encode(SCHOOL, kid, sig, payload, plen, &forged, &flen) == 0);
    CHECK(open_env(forged, flen, n.pk, &deflated, err, sizeof(err)) == NULL);
    CHECK_STR(err, "signature does not verify");
    free(forged);

    /* Both payload fields at once: which one was meant is not ours to guess. */
    {
        struct pb *p = pb_new();
        pb_str(p, 1, SCHOOL);
        pb_bytes(p, 2, kid, sizeof(kid));
        pb_bytes(p, 3, sig, sizeof(sig));
        pb_bytes(p, 4, payload, plen);
        pb_bytes(p, 5, z, zlen);
        CHECK(rcl_envelope_decode(p->b, p->n, &e, err, sizeof(err)) == -1 && e == NULL);
        CHECK(err_has(err, "both payload and payload_deflated"));
        free(p);
    }

    /* A tiny batch (a probe) gains nothing from compression and travels plain. */
    {
        struct rcl_batch_header h;
        uint8_t *probe = NULL, *penv = NULL;
        size_t prlen = 0, pelen = 0;

        memset(&h, 0, sizeof(h));
        snprintf(h.source, sizeof(h.source), "%s", SCHOOL);
        h.epoch = 1;
        CHECK(rcl_batch_encode(&h, NULL, 0, &probe, &prlen) == 0);
        CHECK(rcl_envelope_seal_batch(SCHOOL, probe, prlen, n.pk, n.sk, &penv, &pelen, digest) ==
              0);
        rcl_digest(probe, prlen, want);
        CHECK(memcmp(digest, want, sizeof(want)) == 0);
        b = open_env(penv, pelen, n.pk, &deflated, err, sizeof(err));
        CHECK(b != NULL && !deflated && rcl_batch_is_probe(&b->h));
        rcl_batch_destroy(&b);
        free(probe);
        free(penv);
    }
    free(z);
    free(env);
    free(plain_env);
    free(payload);
}

static void test_county_ingest(void)
{
    struct rcl_agg_config cfg;
    struct node school, upstream;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_reply r;
    enum rcl_agg_enroll_result er;
    uint8_t *payload, *env = NULL, *bomb, digest[RCL_DIGEST_BYTES];
    size_t plen = 0, len = 0, zlen = 0;
    char path[600], other[RCL_ID_MAX + 1], err[256];
    sqlite3 *db;

    CHECK(rcl_key_generate(school.pk, school.sk) == 0);
    CHECK(rcl_key_generate(upstream.pk, upstream.sk) == 0);
    db = make_store("county.db", COUNTY, RCL_AGG_COUNTY, upstream.pk, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (db == NULL)
        return;
    CHECK(rcl_agg_enroll(db, &cfg, SCHOOL, school.pk, &er, other, 100, err, sizeof(err)) == 0 &&
          er == RCL_AGG_ENROLLED);
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.cfg = &cfg;
    ctx.now = 5000;

    /* A bomb signed by the enrolled school: refused, kept aside, nothing applied. */
    bomb = zero_bomb((size_t)16 << 20, 1, &zlen);
    CHECK(rcl_envelope_seal_deflated(SCHOOL, bomb, zlen, school.pk, school.sk, &env, &len) == 0);
    free(bomb);
    ingest(&ctx, env, len, SCHOOL, &r);
    CHECK(r.status == RCL_REPLY_REFUSED);
    CHECK(reason_has(&r, "malformed batch from source " SCHOOL) &&
          reason_has(&r, "inflates to more than 4194304 bytes"));
    CHECK(query_int(db, "SELECT count(*) FROM refused") == 1);
    CHECK(query_int(db, "SELECT count(*) FROM students") == 0);

    /* Garbage that is signed but is no DEFLATE stream. */
    CHECK(rcl_envelope_seal_deflated(SCHOOL, (const uint8_t *)"\x00\x07garbage", 9, school.pk,
                                     school.sk, &env, &len) == 0);
    ingest(&ctx, env, len, SCHOOL, &r);
    CHECK(r.status == RCL_REPLY_REFUSED && reason_has(&r, "not a valid deflate stream"));
    CHECK(query_int(db, "SELECT count(*) FROM refused") == 2);

    /* A compressed first batch is applied and acknowledged like a plain one... */
    payload = student_batch(SCHOOL, 1, N_STUDENTS, &plen);
    CHECK(rcl_envelope_seal_batch(SCHOOL, payload, plen, school.pk, school.sk, &env, &len,
                                  digest) == 0);
    free(payload);
    ingest(&ctx, env, len, SCHOOL, &r);
    CHECK(r.status == RCL_REPLY_ACK && r.acked_seq == N_STUDENTS);
    CHECK(r.has_digest && memcmp(r.acked_digest, digest, RCL_DIGEST_BYTES) == 0);
    CHECK(query_int(db, "SELECT count(*) FROM students") == N_STUDENTS);

    /* ...and a plain one chains to it by the digest of the compressed bytes. */
    payload = NULL;
    {
        struct batch b;
        memset(&b, 0, sizeof(b));
        add_student(&b, N_STUDENTS + 1, 7, RCL_BIT(RCL_NET_BROADBAND), RCL_BIT(RCL_DEV_COMPUTER),
                    RCL_PART_ACTIVE, false);
        env =
            seal(SCHOOL, 1, N_STUDENTS + 1, N_STUDENTS + 1, digest, &b, NULL, &school, &len, NULL);
    }
    ingest(&ctx, env, len, SCHOOL, &r);
    CHECK(r.status == RCL_REPLY_ACK && r.acked_seq == N_STUDENTS + 1);
    CHECK(query_int(db, "SELECT count(*) FROM students") == N_STUDENTS + 1);
    rcl_db_close(&db);
    remove_store(path);
}

int main(void)
{
    if (rcl_keys_init() != 0) {
        fprintf(stderr, "libsodium failed to start\n");
        return 1;
    }
    rcl_log_init("test_deflate");
    make_tmpdir("test_deflate");
    RCL_TEST_RUN(test_round_trip);
    RCL_TEST_RUN(test_bad_streams);
    RCL_TEST_RUN(test_bombs);
    RCL_TEST_RUN(test_envelopes);
    RCL_TEST_RUN(test_county_ingest);
    rmdir(tmpdir);
    return RCL_TEST_RESULT();
}

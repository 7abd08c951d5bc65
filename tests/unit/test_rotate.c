/*
 * test_rotate.c - the sender's side of a key rotation, at the outbox: the new
 * pair waits in the store, the KEY_ROTATION change (proof signed by the new
 * key) ends a batch signed by the old key and nothing after it is sealed
 * until the upstream acknowledges it; that ack, and only an ack reaching it,
 * swaps meta public_key/secret_key; a second rotation waits for the first;
 * a new epoch carries a pending rotation after its snapshot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "rcl_codec.h"
#include "rcl_db.h"
#include "rcl_envelope.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_outbox.h"
#include "rcl_test.h"

#define SOURCE "4113810001"

static uint8_t old_pk[RCL_PK_BYTES], old_sk[RCL_SK_BYTES];

/* A store with the outbox migrations (V3 only with_v3) and, with keys, old_pk/old_sk in meta. */
static sqlite3 *open_store(char *path, size_t pathlen, bool with_v3, bool keys)
{
    static const char *migrations[4];
    char dir[512], err[256];
    sqlite3 *db;

    migrations[0] = RCL_DB_META_SQL;
    migrations[1] = RCL_OUTBOX_SQL;
    migrations[2] = RCL_OUTBOX_SQL_V2;
    migrations[3] = RCL_OUTBOX_SQL_V3;
    if (rcl_test_tmpdir("test_rotate", dir, sizeof dir) != 0)
        return NULL;
    snprintf(path, pathlen, "%s/store.db", dir);
    db = rcl_db_open(path, RCL_DB_CREATE, migrations, with_v3 ? 4 : 3, err, sizeof err);
    if (db == NULL) {
        fprintf(stderr, "open_store: %s\n", err);
        return NULL;
    }
    if (keys && (rcl_meta_set_blob(db, "public_key", old_pk, RCL_PK_BYTES) != 0 ||
                 rcl_meta_set_blob(db, "secret_key", old_sk, RCL_SK_BYTES) != 0)) {
        rcl_db_close(&db);
        return NULL;
    }
    return db;
}

static void remove_store(sqlite3 **db, const char *path)
{
    char p[640];
    char *slash;

    rcl_db_close(db);
    rcl_db_remove_files(path);
    snprintf(p, sizeof p, "%s", path);
    slash = strrchr(p, '/');
    if (slash != NULL) {
        *slash = '\0';
        rmdir(p);
    }
}

/* Appends a school-profile change named n for entity in its own transaction; 0 or -1. */
static int append(sqlite3 *db, const char *entity, int n)
{
    struct rcl_change c;

    memset(&c, 0, sizeof c);
    c.kind = RCL_CHANGE_SCHOOL;
    snprintf(c.u.school.school_id, sizeof c.u.school.school_id, "%s", SOURCE);
    snprintf(c.u.school.name, sizeof c.u.school.name, "School %d", n);
    snprintf(c.u.school.county, sizeof c.u.school.county, "411381");
    if (rcl_db_begin(db) != 0)
        return -1;
    if (rcl_outbox_append(db, entity, &c) != 0) {
        rcl_db_rollback(db);
        return -1;
    }
    return rcl_db_commit(db);
}

/* What a sealed batch holds, checked against the key it must verify with. */
struct opened {
    bool verified;
    uint64_t first_seq, last_seq, epoch;
    bool has_prev;
    uint8_t prev_digest[RCL_DIGEST_BYTES];
    size_t n;
    struct rcl_change last; /* its last change */
};

/* Reads the first sealed batch after `after` and opens it with pk. 0, or -1. */
static int open_next(sqlite3 *db, uint64_t after, const uint8_t pk[RCL_PK_BYTES], struct opened *o,
                     uint8_t digest[RCL_DIGEST_BYTES])
{
    struct rcl_sealed s;
    struct rcl_envelope *env = NULL;
    struct rcl_batch *b = NULL;
    char err[256];
    int rc = -1;

    memset(o, 0, sizeof *o);
    if (rcl_outbox_next_sealed(db, after, &s) != 1)
        return -1;
    if (digest != NULL)
        memcpy(digest, s.digest, RCL_DIGEST_BYTES);
    if (rcl_envelope_decode(s.envelope, s.envelope_len, &env, err, sizeof err) != 0)
        goto out;
    o->verified = rcl_envelope_verify(env, pk, err, sizeof err) == 0;
    if (rcl_envelope_open_batch(env, &b, err, sizeof err) != 0 || b->n_changes == 0)
        goto out;
    o->first_seq = b->h.first_seq;
    o->last_seq = b->h.last_seq;
    o->epoch = b->h.epoch;
    o->has_prev = b->h.has_prev;
    memcpy(o->prev_digest, b->h.prev_digest, RCL_DIGEST_BYTES);
    o->n = b->n_changes;
    if (rcl_change_decode(b->changes[b->n_changes - 1].data, b->changes[b->n_changes - 1].len,
                          &o->last, err, sizeof err) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "open_next: %s\n", err);
    rcl_batch_destroy(&b);
    rcl_envelope_destroy(&env);
    rcl_sealed_clear(&s);
    return rc;
}

/* True when meta holds pk as public_key and a secret key whose public half is pk. */
static bool meta_holds(sqlite3 *db, const uint8_t pk[RCL_PK_BYTES])
{
    uint8_t got_pk[RCL_PK_BYTES], got_sk[RCL_SK_BYTES];
    bool same = rcl_meta_get_blob(db, "public_key", got_pk, RCL_PK_BYTES) == 0 &&
                rcl_meta_get_blob(db, "secret_key", got_sk, RCL_SK_BYTES) == 0 &&
                memcmp(got_pk, pk, RCL_PK_BYTES) == 0 &&
                memcmp(got_sk + RCL_PK_BYTES, pk, RCL_PK_BYTES) == 0;

    sodium_memzero(got_sk, sizeof got_sk);
    return same;
}

static void test_rotation_end_to_end(void)
{
    char path[600];
    sqlite3 *db = open_store(path, sizeof path, true, true);
    struct rcl_outbox_rotation rot;
    struct rcl_outbox_stats st;
    struct opened o;
    uint8_t new_pk[RCL_PK_BYTES], other[RCL_PK_BYTES], got_pk[RCL_PK_BYTES], got_sk[RCL_SK_BYTES],
        new_sk[RCL_SK_BYTES];
    uint8_t d1[RCL_DIGEST_BYTES], d2[RCL_DIGEST_BYTES], msg[RCL_KEY_ROTATION_MESSAGE_MAX];
    size_t n;

    CHECK(db != NULL);
    if (db == NULL)
        return;
    /* History before the rotation: seq 1..3, sealed and sent as batch 1..3. */
    CHECK(append(db, "a", 1) == 0 && append(db, "b", 2) == 0 && append(db, "c", 3) == 0);
    CHECK(rcl_outbox_seal(db, SOURCE, old_pk, old_sk) == 1);
    CHECK(rcl_outbox_rotation(db, &rot) == 0 && !rot.pending);

    /* Begin: the new key is pending, the change is seq 4, meta still holds the old key. */
    CHECK(rcl_outbox_rotate_begin(db, SOURCE, old_pk, old_sk, new_pk) == 0);
    CHECK(memcmp(new_pk, old_pk, RCL_PK_BYTES) != 0);
    CHECK(rcl_outbox_rotation(db, &rot) == 0 && rot.pending && rot.seq == 4);
    CHECK(memcmp(rot.new_pk, new_pk, RCL_PK_BYTES) == 0);
    CHECK(meta_holds(db, old_pk));
    CHECK(rcl_outbox_keys(db, true, got_pk, got_sk) == 1);
    CHECK(memcmp(got_pk, new_pk, RCL_PK_BYTES) == 0 &&
          memcmp(got_sk + RCL_PK_BYTES, new_pk, RCL_PK_BYTES) == 0);
    memcpy(new_sk, got_sk, RCL_SK_BYTES);
    CHECK(rcl_outbox_keys(db, false, got_pk, got_sk) == 1 &&
          memcmp(got_pk, old_pk, RCL_PK_BYTES) == 0);

    /* A second rotation waits for the first: refused, nothing changed. */
    CHECK(rcl_outbox_rotate_begin(db, SOURCE, old_pk, old_sk, other) == 1);
    CHECK(rcl_outbox_rotation(db, &rot) == 0 && rot.pending && rot.seq == 4);
    CHECK(memcmp(rot.new_pk, new_pk, RCL_PK_BYTES) == 0);
    CHECK(rcl_outbox_stats(db, &st) == 0 && st.last_seq == 4);

    /* Changes after the rotation: sealing ends a batch at the rotation and stops there. */
    CHECK(append(db, "a", 5) == 0 && append(db, "d", 6) == 0);
    CHECK(rcl_outbox_seal(db, SOURCE, old_pk, old_sk) == 1);
    CHECK(rcl_outbox_seal(db, SOURCE, old_pk, old_sk) == 0);
    CHECK(rcl_outbox_stats(db, &st) == 0 && st.sealed_through == 4 && st.last_seq == 6);
    CHECK(open_next(db, 3, old_pk, &o, d2) == 0);
    CHECK(o.verified && o.first_seq == 4 && o.last_seq == 4 && o.n == 1);
    CHECK(o.last.kind == RCL_CHANGE_KEY_ROTATION && o.last.seq == 4);
    CHECK(memcmp(o.last.u.key_rotation.new_key, new_pk, RCL_PK_BYTES) == 0);
    /* The proof is the new key's signature over source, old key, new key. */
    n = rcl_key_rotation_message(SOURCE, old_pk, new_pk, msg);
    CHECK(rcl_verify(RCL_DOMAIN_ROTATE, msg, n, o.last.u.key_rotation.proof, new_pk) == 0);
    CHECK(rcl_verify(RCL_DOMAIN_ROTATE, msg, n, o.last.u.key_rotation.proof, old_pk) != 0);
    CHECK(open_next(db, 0, old_pk, &o, d1) == 0 && o.last_seq == 3);

    /* An ack below the rotation deletes what it covers and swaps nothing. */
    CHECK(rcl_outbox_ack(db, 3, d1) == 0);
    CHECK(meta_holds(db, old_pk));
    CHECK(rcl_outbox_rotation(db, &rot) == 0 && rot.pending && rot.seq == 4);
    CHECK(rcl_outbox_seal(db, SOURCE, old_pk, old_sk) == 0);

    /* The ack of the rotation's batch swaps the key in the same transaction. */
    CHECK(rcl_outbox_ack(db, 4, d2) == 2);
    CHECK(meta_holds(db, new_pk));
    CHECK(rcl_outbox_rotation(db, &rot) == 0 && !rot.pending && rot.seq == 0);
    CHECK(rcl_outbox_keys(db, true, got_pk, got_sk) == 0);
    CHECK(rcl_outbox_stats(db, &st) == 0 && st.acked_seq == 4 && st.pending == 2);
    CHECK(rcl_outbox_ack(db, 4, d2) == 0); /* again: old news, no second swap */

    /* From now on only the new key seals; the chain goes on across the rotation. */
    CHECK(rcl_outbox_seal(db, SOURCE, old_pk, old_sk) == -1);
    CHECK(rcl_outbox_seal(db, SOURCE, new_pk, new_sk) == 1);
    CHECK(open_next(db, 4, new_pk, &o, NULL) == 0);
    CHECK(o.verified && o.first_seq == 5 && o.last_seq == 6 && o.n == 2 && o.epoch == 1);
    CHECK(o.has_prev && memcmp(o.prev_digest, d2, RCL_DIGEST_BYTES) == 0);
    CHECK(open_next(db, 4, old_pk, &o, NULL) == 0 && !o.verified);

    /* Once complete, another rotation may start, from the new key. */
    CHECK(rcl_outbox_rotate_begin(db, SOURCE, old_pk, old_sk, other) == -1);
    CHECK(rcl_outbox_rotate_begin(db, SOURCE, new_pk, new_sk, other) == 0);
    CHECK(rcl_outbox_rotation(db, &rot) == 0 && rot.pending && rot.seq == 7);
    sodium_memzero(new_sk, sizeof new_sk);
    sodium_memzero(got_sk, sizeof got_sk);
    remove_store(&db, path);
}

/* A snapshot of two records (an rcl_snapshot_fn). */
static int snapshot_two(void *arg, sqlite3 *db, uint64_t *records)
{
    struct rcl_change c;

    (void)arg;
    for (int i = 0; i < 2; i++) {
        memset(&c, 0, sizeof c);
        c.kind = RCL_CHANGE_SCHOOL;
        snprintf(c.u.school.school_id, sizeof c.u.school.school_id, "%s", SOURCE);
        snprintf(c.u.school.name, sizeof c.u.school.name, "Snapshot %d", i);
        if (rcl_outbox_append(db, NULL, &c) != 0)
            return -1;
    }
    *records = 2;
    return 0;
}

static void test_new_epoch_carries_rotation(void)
{
    char path[600];
    sqlite3 *db = open_store(path, sizeof path, true, true);
    struct rcl_outbox_rotation rot;
    struct rcl_outbox_stats st;
    struct opened o;
    uint8_t new_pk[RCL_PK_BYTES], d[RCL_DIGEST_BYTES];

    CHECK(db != NULL);
    if (db == NULL)
        return;
    CHECK(append(db, "a", 1) == 0);
    CHECK(rcl_outbox_rotate_begin(db, SOURCE, old_pk, old_sk, new_pk) == 0);
    CHECK(append(db, "b", 3) == 0);
    CHECK(rcl_outbox_seal(db, SOURCE, old_pk, old_sk) == 1);

    /* The upstream lost our history: the snapshot (seq 1-2), its end (3), then the rotation (4). */
    CHECK(rcl_outbox_new_epoch(db, 2, snapshot_two, NULL) == 0);
    CHECK(rcl_outbox_rotation(db, &rot) == 0 && rot.pending && rot.seq == 4);
    CHECK(memcmp(rot.new_pk, new_pk, RCL_PK_BYTES) == 0);
    CHECK(rcl_outbox_stats(db, &st) == 0 && st.epoch == 2 && st.last_seq == 4 && st.pending == 4);
    CHECK(append(db, "c", 5) == 0);
    CHECK(rcl_outbox_seal(db, SOURCE, old_pk, old_sk) == 1);
    CHECK(open_next(db, 0, old_pk, &o, d) == 0);
    CHECK(o.verified && o.epoch == 2 && o.first_seq == 1 && o.last_seq == 4 && o.n == 4);
    CHECK(o.last.kind == RCL_CHANGE_KEY_ROTATION &&
          memcmp(o.last.u.key_rotation.new_key, new_pk, RCL_PK_BYTES) == 0);
    CHECK(rcl_outbox_ack(db, 4, d) == 2 && meta_holds(db, new_pk));
    remove_store(&db, path);
}

static void test_refusals(void)
{
    char path[600];
    sqlite3 *db = open_store(path, sizeof path, true, true);
    struct rcl_outbox_rotation rot;
    uint8_t pk2[RCL_PK_BYTES], sk2[RCL_SK_BYTES], out[RCL_PK_BYTES];

    CHECK(db != NULL);
    if (db == NULL)
        return;
    CHECK(rcl_key_generate(pk2, sk2) == 0);
    /* Not the store's current key, or not one pair: nothing is queued. */
    CHECK(rcl_outbox_rotate_begin(db, SOURCE, pk2, sk2, out) == -1);
    CHECK(rcl_outbox_rotate_begin(db, SOURCE, old_pk, sk2, out) == -1);
    CHECK(rcl_outbox_rotate_begin(db, "this-source-id-is-far-too-long-to-be-valid", old_pk, old_sk,
                                  out) == -1);
    CHECK(rcl_outbox_rotation(db, &rot) == 0 && !rot.pending);
    remove_store(&db, path);

    /* A store without the V3 columns cannot rotate, and the rest works as before. */
    db = open_store(path, sizeof path, false, false);
    CHECK(db != NULL);
    if (db == NULL)
        return;
    CHECK(rcl_outbox_rotate_begin(db, SOURCE, old_pk, old_sk, out) == -1);
    CHECK(rcl_outbox_rotation(db, &rot) == 0 && !rot.pending);
    CHECK(rcl_outbox_keys(db, true, pk2, sk2) == 0);
    CHECK(rcl_outbox_keys(db, false, pk2, sk2) == 0); /* no key in meta */
    CHECK(append(db, "a", 1) == 0);
    CHECK(rcl_outbox_seal(db, SOURCE, pk2, sk2) == 1);
    CHECK(rcl_outbox_ack(db, 1, NULL) == 0);
    sodium_memzero(sk2, sizeof sk2);
    remove_store(&db, path);
}

int main(void)
{
    rcl_log_init("test_rotate");
    CHECK(rcl_keys_init() == 0);
    CHECK(rcl_key_generate(old_pk, old_sk) == 0);
    RCL_TEST_RUN(test_rotation_end_to_end);
    RCL_TEST_RUN(test_new_epoch_carries_rotation);
    RCL_TEST_RUN(test_refusals);
    return RCL_TEST_RESULT();
}

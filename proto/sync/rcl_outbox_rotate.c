/*
 * rcl_outbox_rotate.c - replacing a node's identity key without
 * re-enrolling it (rcl_outbox.h, "Key rotation").
 *
 * The new pair waits in the uplink row (pending_pk, pending_sk) while the
 * KEY_ROTATION change travels, signed by the old key like everything before
 * it. The upstream swaps the key it holds for the source when it applies
 * that batch, and from then on verifies (and admits at the handshake) only
 * the new key. So the sender seals nothing after the rotation until it is
 * acknowledged, and the acknowledgement swaps meta public_key/secret_key in
 * the same transaction that records it: no batch is ever signed with a key
 * the upstream does not hold for it at that point of the sequence.
 */
#include "rcl_outbox_rotate.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include <sodium.h>

#include "rcl_db.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_outbox.h"

/* The rotation columns of the uplink row. */
struct rotation_row {
    bool supported; /* the store ran RCL_OUTBOX_SQL_V3 */
    uint64_t seq;   /* 0: none pending */
    uint8_t pk[RCL_PK_BYTES];
    uint8_t sk[RCL_SK_BYTES]; /* only when asked for; wipe after use */
};

/* Copies blob column i into out when it has exactly len bytes. Returns 0, or -1. */
static int column_exact(sqlite3_stmt *st, int i, uint8_t *out, size_t len)
{
    if (sqlite3_column_type(st, i) != SQLITE_BLOB || (size_t)sqlite3_column_bytes(st, i) != len)
        return -1;
    memcpy(out, sqlite3_column_blob(st, i), len);
    return 0;
}

/*
 * Reads the rotation columns, looked up by name: a store whose migrations
 * stop before RCL_OUTBOX_SQL_V3 has none, and so no rotation (its other
 * outbox functions work as before). The secret key is copied only with
 * want_sk. Returns 0, or -1 logged.
 */
static int read_rotation(sqlite3 *db, struct rotation_row *r, bool want_sk)
{
    sqlite3_stmt *st = rcl_db_prepare(db, "SELECT * FROM uplink WHERE id = 1");
    int pk_col = -1, sk_col = -1;
    int rc = -1;

    memset(r, 0, sizeof *r);
    if (st == NULL)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW) {
        RCL_ERROR("outbox: cannot read the uplink row err=%s", rcl_log_value(sqlite3_errmsg(db)));
        goto out;
    }
    for (int i = 0; i < sqlite3_column_count(st); i++) {
        const char *name = sqlite3_column_name(st, i);

        if (strcmp(name, "rotation_seq") == 0) {
            r->supported = true;
            r->seq = (uint64_t)sqlite3_column_int64(st, i);
        } else if (strcmp(name, "pending_pk") == 0) {
            pk_col = i;
        } else if (strcmp(name, "pending_sk") == 0) {
            sk_col = i;
        }
    }
    if (r->seq != 0 &&
        (pk_col < 0 || column_exact(st, pk_col, r->pk, RCL_PK_BYTES) != 0 ||
         (want_sk && (sk_col < 0 || column_exact(st, sk_col, r->sk, RCL_SK_BYTES) != 0)))) {
        RCL_ERROR("outbox: the pending key rotation has no valid new key pair in the uplink row "
                  "seq=%" PRIu64,
                  r->seq);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    if (rc != 0)
        sodium_memzero(r, sizeof *r);
    return rc;
}

/* Runs st (no rows wanted) and finalizes it. Returns 0, or -1 logged with what. */
static int run_once(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
    int rc = 0;

    if (sqlite3_step(st) != SQLITE_DONE) {
        RCL_ERROR("outbox: statement failed what=%s err=%s", rcl_log_value(what),
                  rcl_log_value(sqlite3_errmsg(db)));
        rc = -1;
    }
    sqlite3_finalize(st);
    return rc;
}

enum rcl_outbox_rotate_result rcl_outbox_rotate_begin(sqlite3 *db, const char *source,
                                                      const uint8_t old_pk[RCL_PK_BYTES],
                                                      const uint8_t old_sk[RCL_SK_BYTES],
                                                      uint8_t new_pk_out[RCL_PK_BYTES])
{
    struct rotation_row rot;
    struct rcl_change c;
    uint8_t new_pk[RCL_PK_BYTES], new_sk[RCL_SK_BYTES], current[RCL_PK_BYTES];
    uint8_t msg[RCL_KEY_ROTATION_MESSAGE_MAX];
    sqlite3_stmt *st;
    size_t n;
    enum rcl_outbox_rotate_result rc = RCL_OUTBOX_ROTATE_FAILED;

    memset(&c, 0, sizeof c);
    memset(new_sk, 0, sizeof new_sk);
    if (source == NULL || strlen(source) > RCL_ID_MAX) {
        RCL_ERROR("outbox: cannot rotate the key: source id missing or too long max=%d",
                  RCL_ID_MAX);
        return RCL_OUTBOX_ROTATE_FAILED;
    }
    /* An Ed25519 secret key is seed || public key: the two must be one pair. */
    if (sodium_memcmp(old_sk + RCL_SK_BYTES - RCL_PK_BYTES, old_pk, RCL_PK_BYTES) != 0) {
        RCL_ERROR("outbox: cannot rotate the key: the secret key given is not the public key's "
                  "source=%s",
                  rcl_log_value(source));
        return RCL_OUTBOX_ROTATE_FAILED;
    }
    if (rcl_db_begin(db) != 0)
        return RCL_OUTBOX_ROTATE_FAILED;
    if (read_rotation(db, &rot, false) != 0)
        goto out;
    if (!rot.supported) {
        RCL_ERROR("outbox: cannot rotate the key: the store lacks the rotation columns of the "
                  "uplink row (migration RCL_OUTBOX_SQL_V3) source=%s",
                  rcl_log_value(source));
        goto out;
    }
    if (rot.seq != 0) {
        rc = RCL_OUTBOX_ROTATE_PENDING; /* the caller says which one waits (rcl_outbox_rotation) */
        goto out;
    }
    if (rcl_meta_get_blob(db, "public_key", current, RCL_PK_BYTES) == 0 &&
        sodium_memcmp(current, old_pk, RCL_PK_BYTES) != 0) {
        RCL_ERROR("outbox: cannot rotate the key: the key given is not the store's current key "
                  "(meta public_key) source=%s",
                  rcl_log_value(source));
        goto out;
    }
    if (rcl_key_generate(new_pk, new_sk) != 0) {
        RCL_ERROR("outbox: cannot generate a new key source=%s", rcl_log_value(source));
        goto out;
    }
    c.kind = RCL_CHANGE_KEY_ROTATION;
    memcpy(c.u.key_rotation.new_key, new_pk, RCL_PK_BYTES);
    n = rcl_key_rotation_message(source, old_pk, new_pk, msg);
    if (rcl_sign(RCL_DOMAIN_ROTATE, msg, n, new_sk, c.u.key_rotation.proof) != 0) {
        RCL_ERROR("outbox: cannot sign the key rotation: out of memory source=%s",
                  rcl_log_value(source));
        goto out;
    }
    if (rcl_outbox_append(db, RCL_OUTBOX_ROTATION_ENTITY, &c) != 0)
        goto out;
    st = rcl_db_prepare(db, "UPDATE uplink SET rotation_seq = ?1, pending_pk = ?2,"
                            " pending_sk = ?3 WHERE id = 1");
    if (st == NULL)
        goto out;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)c.seq);
    sqlite3_bind_blob(st, 2, new_pk, RCL_PK_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, new_sk, RCL_SK_BYTES, SQLITE_STATIC);
    if (run_once(db, st, "keep the new key pending") != 0 || rcl_db_commit(db) != 0)
        goto out;
    memcpy(new_pk_out, new_pk, RCL_PK_BYTES);
    RCL_INFO("outbox: key rotation queued; it completes when the upstream acknowledges it "
             "source=%s seq=%" PRIu64,
             rcl_log_value(source), c.seq);
    rc = RCL_OUTBOX_ROTATE_BEGUN;
out:
    if (rc != RCL_OUTBOX_ROTATE_BEGUN)
        rcl_db_rollback(db);
    sodium_memzero(new_sk, sizeof new_sk);
    return rc;
}

int rcl_outbox_rotation(sqlite3 *db, struct rcl_outbox_rotation *out)
{
    struct rotation_row rot;

    memset(out, 0, sizeof *out);
    if (read_rotation(db, &rot, false) != 0)
        return -1;
    out->pending = rot.seq != 0;
    out->seq = rot.seq;
    memcpy(out->new_pk, rot.pk, RCL_PK_BYTES);
    return 0;
}

enum rcl_outbox_found rcl_outbox_keys(sqlite3 *db, bool pending, uint8_t pk[RCL_PK_BYTES],
                                      uint8_t sk[RCL_SK_BYTES])
{
    struct rotation_row rot;
    bool found;

    memset(&rot, 0, sizeof rot);
    if (pending) {
        if (read_rotation(db, &rot, true) != 0)
            return RCL_OUTBOX_FAILED;
        found = rot.seq != 0;
    } else {
        found = rcl_meta_get_blob(db, "public_key", rot.pk, RCL_PK_BYTES) == 0 &&
                rcl_meta_get_blob(db, "secret_key", rot.sk, RCL_SK_BYTES) == 0;
    }
    if (found) {
        memcpy(pk, rot.pk, RCL_PK_BYTES);
        memcpy(sk, rot.sk, RCL_SK_BYTES);
    }
    sodium_memzero(&rot, sizeof rot);
    return found ? RCL_OUTBOX_FOUND : RCL_OUTBOX_NONE;
}

int rcl_outbox_rotation_stop(sqlite3 *db, uint64_t *seq)
{
    struct rotation_row rot;

    *seq = 0;
    if (read_rotation(db, &rot, false) != 0)
        return -1;
    *seq = rot.seq;
    return 0;
}

enum rcl_outbox_rotation_step rcl_outbox_rotation_complete(sqlite3 *db, uint64_t acked_seq)
{
    struct rotation_row rot;
    char hex[RCL_PK_HEX_LEN + 1];
    enum rcl_outbox_rotation_step rc = RCL_OUTBOX_ROTATION_FAILED;

    if (read_rotation(db, &rot, true) != 0)
        return RCL_OUTBOX_ROTATION_FAILED;
    if (rot.seq == 0 || acked_seq < rot.seq) {
        rc = RCL_OUTBOX_ROTATION_UNTOUCHED;
        goto out;
    }
    if (rcl_meta_set_blob(db, "public_key", rot.pk, RCL_PK_BYTES) != 0 ||
        rcl_meta_set_blob(db, "secret_key", rot.sk, RCL_SK_BYTES) != 0 ||
        rcl_db_exec(db,
                    "UPDATE uplink SET rotation_seq = 0, pending_pk = NULL, pending_sk = NULL"
                    " WHERE id = 1",
                    "clear the completed key rotation") != 0)
        goto out;
    rcl_key_to_hex(rot.pk, hex);
    RCL_INFO("outbox: the upstream acknowledged the key rotation; the new key is now this "
             "node's seq=%" PRIu64 " public_key=%s",
             rot.seq, hex);
    rc = RCL_OUTBOX_ROTATION_COMPLETED;
out:
    sodium_memzero(&rot, sizeof rot);
    return rc;
}

enum rcl_outbox_found rcl_outbox_rotation_take(sqlite3 *db, struct rcl_change *c)
{
    struct rotation_row rot;
    sqlite3_stmt *st;
    char err[160];
    enum rcl_outbox_found rc = RCL_OUTBOX_FAILED;

    memset(c, 0, sizeof *c);
    if (read_rotation(db, &rot, false) != 0)
        return RCL_OUTBOX_FAILED;
    if (rot.seq == 0)
        return RCL_OUTBOX_NONE;
    st = rcl_db_prepare(db, "SELECT body FROM outbox WHERE seq = ?1");
    if (st == NULL)
        return RCL_OUTBOX_FAILED;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)rot.seq);
    if (sqlite3_step(st) != SQLITE_ROW) {
        RCL_ERROR("outbox: the pending key rotation is not in the outbox seq=%" PRIu64, rot.seq);
        goto out;
    }
    if (rcl_change_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), c, err,
                          sizeof err) != 0 ||
        c->kind != RCL_CHANGE_KEY_ROTATION ||
        memcmp(c->u.key_rotation.new_key, rot.pk, RCL_PK_BYTES) != 0) {
        RCL_ERROR("outbox: the outbox entry is not the pending key rotation seq=%" PRIu64, rot.seq);
        goto out;
    }
    rc = RCL_OUTBOX_FOUND;
out:
    sqlite3_finalize(st);
    return rc;
}

int rcl_outbox_rotation_requeue(sqlite3 *db, struct rcl_change *c)
{
    sqlite3_stmt *st;

    if (rcl_outbox_append(db, RCL_OUTBOX_ROTATION_ENTITY, c) != 0)
        return -1;
    st = rcl_db_prepare(db, "UPDATE uplink SET rotation_seq = ?1 WHERE id = 1");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)c->seq);
    if (run_once(db, st, "record the key rotation's new seq") != 0)
        return -1;
    RCL_INFO("outbox: the pending key rotation follows the snapshot seq=%" PRIu64, c->seq);
    return 0;
}

/*
 * rcl_outbox.c - the changes a node has yet to get acknowledged, sealed into
 * signed batches that never change once written.
 *
 * Sequence numbers: next_seq is the next one to give out; every seq at or
 * below sealed_through belongs to exactly one sealed batch, and the batches
 * tile [1, sealed_through] without gaps (a batch covers the holes that
 * coalescing left, so the receiver sees contiguous ranges); acked_seq is the
 * highest the upstream has acknowledged, always <= sealed_through. A pending
 * key rotation (rcl_outbox_rotate.c) caps sealed_through at its seq until
 * it is acknowledged.
 */
#include "rcl_outbox.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rcl_crash.h"
#include "rcl_db.h"
#include "rcl_envelope.h"
#include "rcl_log.h"
#include "rcl_outbox_rotate.h"

/* A batch is cut once its changes reach about this many bytes. */
#define RCL_BATCH_BYTES_MAX (1024 * 1024)

const char RCL_OUTBOX_SQL[] =
    "CREATE TABLE outbox(seq INTEGER PRIMARY KEY, entity TEXT NOT NULL, body BLOB NOT NULL);"
    "CREATE INDEX outbox_entity ON outbox(entity);"
    "CREATE TABLE sealed(first_seq INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL UNIQUE,"
    " digest BLOB NOT NULL, envelope BLOB NOT NULL);"
    "CREATE TABLE uplink(id INTEGER PRIMARY KEY CHECK (id = 1),"
    " epoch INTEGER NOT NULL DEFAULT 1, next_seq INTEGER NOT NULL DEFAULT 1,"
    " sealed_through INTEGER NOT NULL DEFAULT 0, sealed_digest BLOB,"
    " acked_seq INTEGER NOT NULL DEFAULT 0, acked_digest BLOB,"
    " acked_at INTEGER NOT NULL DEFAULT 0);"
    "INSERT INTO uplink(id) VALUES (1);";

const char RCL_OUTBOX_SQL_V2[] = "ALTER TABLE uplink ADD COLUMN top_seq INTEGER NOT NULL DEFAULT 0;"
                                 "ALTER TABLE uplink ADD COLUMN top_at INTEGER NOT NULL DEFAULT 0;"
                                 "ALTER TABLE uplink ADD COLUMN top_id TEXT NOT NULL DEFAULT '';";

/* rotation_seq: the pending KEY_ROTATION change (0: none); pending_*: its new pair. */
const char RCL_OUTBOX_SQL_V3[] =
    "ALTER TABLE uplink ADD COLUMN rotation_seq INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE uplink ADD COLUMN pending_pk BLOB;"
    "ALTER TABLE uplink ADD COLUMN pending_sk BLOB;";

/* The uplink row. */
struct uplink_row {
    uint64_t epoch;
    uint64_t next_seq;
    uint64_t sealed_through;
    bool has_sealed_digest;
    uint8_t sealed_digest[RCL_DIGEST_BYTES];
    uint64_t acked_seq;
    int64_t acked_at;
};

/* Reads the uplink row. Returns 0, or -1 logged. */
static int read_uplink(sqlite3 *db, struct uplink_row *u)
{
    sqlite3_stmt *st = rcl_db_prepare(db, "SELECT epoch, next_seq, sealed_through, sealed_digest,"
                                          " acked_seq, acked_at FROM uplink WHERE id = 1");
    int rc = -1;

    memset(u, 0, sizeof *u);
    if (st == NULL)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW) {
        RCL_ERROR("outbox: cannot read the uplink row err=%s", rcl_log_value(sqlite3_errmsg(db)));
        goto out;
    }
    u->epoch = (uint64_t)sqlite3_column_int64(st, 0);
    u->next_seq = (uint64_t)sqlite3_column_int64(st, 1);
    u->sealed_through = (uint64_t)sqlite3_column_int64(st, 2);
    if (sqlite3_column_type(st, 3) == SQLITE_BLOB) {
        if (sqlite3_column_bytes(st, 3) != RCL_DIGEST_BYTES) {
            RCL_ERROR("outbox: uplink.sealed_digest has a bad length bytes=%d want=%d",
                      sqlite3_column_bytes(st, 3), RCL_DIGEST_BYTES);
            goto out;
        }
        memcpy(u->sealed_digest, sqlite3_column_blob(st, 3), RCL_DIGEST_BYTES);
        u->has_sealed_digest = true;
    }
    u->acked_seq = (uint64_t)sqlite3_column_int64(st, 4);
    u->acked_at = sqlite3_column_int64(st, 5);
    if (u->next_seq < 1 || u->sealed_through >= u->next_seq || u->acked_seq > u->sealed_through) {
        RCL_ERROR("outbox: inconsistent uplink row next_seq=%" PRIu64 " sealed_through=%" PRIu64
                  " acked_seq=%" PRIu64,
                  u->next_seq, u->sealed_through, u->acked_seq);
        goto out;
    }
    rc = 0;

out:
    sqlite3_finalize(st);
    return rc;
}

/* Steps a statement that returns no rows. Returns 0, or -1 logged with what. */
static int step_done(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
    if (sqlite3_step(st) != SQLITE_DONE) {
        RCL_ERROR("outbox: statement failed what=%s err=%s", rcl_log_value(what),
                  rcl_log_value(sqlite3_errmsg(db)));
        return -1;
    }
    return 0;
}

/*
 * Appends c with the next sequence number, replacing an unsealed change for
 * the same entity. Runs in the caller's transaction. Returns 0, or -1 logged.
 */
int rcl_outbox_append(sqlite3 *db, const char *entity, struct rcl_change *c)
{
    struct uplink_row u;
    sqlite3_stmt *st = NULL;
    uint8_t *body = NULL;
    size_t len = 0;
    int rc = -1;

    if (read_uplink(db, &u) != 0)
        goto out;
    c->seq = u.next_seq;
    if (rcl_change_encode(c, &body, &len) != 0) {
        RCL_ERROR("outbox: cannot encode a change: out of memory seq=%" PRIu64, c->seq);
        goto out;
    }

    st = rcl_db_prepare(db, "UPDATE uplink SET next_seq = next_seq + 1 WHERE id = 1");
    if (st == NULL || step_done(db, st, "advance next_seq") != 0)
        goto out;
    sqlite3_finalize(st);

    /* The new change carries the entity's full state: an older one not yet
     * sealed adds nothing. Sealed ones stay, their batch bytes are fixed.
     * Snapshot records ('' entity) are never replaced: the snapshot must stay
     * whole, and a later edit simply follows it. */
    if (entity != NULL) {
        st = rcl_db_prepare(db, "DELETE FROM outbox WHERE entity = ?1 AND seq > ?2");
        if (st == NULL)
            goto out;
        sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)u.sealed_through);
        if (step_done(db, st, "coalesce change") != 0)
            goto out;
        sqlite3_finalize(st);
    }

    st = rcl_db_prepare(db, "INSERT INTO outbox(seq, entity, body) VALUES (?1, ?2, ?3)");
    if (st == NULL)
        goto out;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)c->seq);
    sqlite3_bind_text(st, 2, entity != NULL ? entity : "", -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, body, (int)len, SQLITE_STATIC);
    if (step_done(db, st, "insert change") != 0)
        goto out;
    rc = 0;

out:
    sqlite3_finalize(st);
    free(body);
    return rc;
}

/* The changes of the batch being built; bodies are malloc'd copies. */
struct pending_batch {
    struct rcl_blob changes[RCL_BATCH_RECORDS_MAX];
    size_t n;
    size_t bytes;
    uint64_t last_record_seq;
};

static void pending_clear(struct pending_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        free((void *)b->changes[i].data);
    b->n = 0;
    b->bytes = 0;
    b->last_record_seq = 0;
}

/*
 * Seals the changes in b as the batch [u->sealed_through + 1, last_seq],
 * stores it and advances u (the caller writes u back). Returns 0, or -1 logged.
 */
static int seal_one(sqlite3 *db, struct uplink_row *u, const char *source,
                    const uint8_t pk[RCL_PK_BYTES], const uint8_t sk[RCL_SK_BYTES],
                    const struct pending_batch *b, uint64_t last_seq)
{
    struct rcl_batch_header h;
    uint8_t *payload = NULL, *env = NULL;
    size_t payload_len = 0, env_len = 0;
    uint8_t digest[RCL_DIGEST_BYTES];
    sqlite3_stmt *st = NULL;
    int rc = -1;

    memset(&h, 0, sizeof h);
    if (strlen(source) > RCL_ID_MAX) {
        RCL_ERROR("outbox: source id too long source=%s max=%d", rcl_log_value(source), RCL_ID_MAX);
        goto out;
    }
    strcpy(h.source, source);
    h.epoch = u->epoch;
    h.first_seq = u->sealed_through + 1;
    h.last_seq = last_seq;
    h.has_prev = u->sealed_through > 0;
    if (h.has_prev) {
        if (!u->has_sealed_digest) {
            RCL_ERROR("outbox: no digest stored for the batch ending at seq=%" PRIu64,
                      u->sealed_through);
            goto out;
        }
        memcpy(h.prev_digest, u->sealed_digest, RCL_DIGEST_BYTES);
    }
    h.sent_at = (int64_t)time(NULL);

    if (rcl_batch_encode(&h, b->changes, b->n, &payload, &payload_len) != 0) {
        RCL_ERROR("outbox: cannot encode a batch seq=%" PRIu64 "..%" PRIu64, h.first_seq,
                  h.last_seq);
        goto out;
    }
    /* Compressed when that is smaller; the digest is of the bytes signed either way. */
    if (rcl_envelope_seal_batch(source, payload, payload_len, pk, sk, &env, &env_len, digest) !=
        0) {
        RCL_ERROR("outbox: cannot seal a batch seq=%" PRIu64 "..%" PRIu64, h.first_seq, h.last_seq);
        goto out;
    }

    st = rcl_db_prepare(
        db, "INSERT INTO sealed(first_seq, last_seq, digest, envelope) VALUES (?,?,?,?)");
    if (st == NULL)
        goto out;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)h.first_seq);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)h.last_seq);
    sqlite3_bind_blob(st, 3, digest, RCL_DIGEST_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, env, (int)env_len, SQLITE_STATIC);
    if (step_done(db, st, "store sealed batch") != 0)
        goto out;

    u->sealed_through = h.last_seq;
    memcpy(u->sealed_digest, digest, RCL_DIGEST_BYTES);
    u->has_sealed_digest = true;
    RCL_DEBUG("outbox: sealed batch seq=%" PRIu64 "..%" PRIu64 " records=%zu bytes=%zu",
              h.first_seq, h.last_seq, b->n, env_len);
    rc = 0;

out:
    sqlite3_finalize(st);
    free(payload);
    free(env);
    return rc;
}

/* Refuses to seal with pk unless it is the store's current key. Returns 0, or -1 logged. */
static int check_current_key(sqlite3 *db, const char *source, const uint8_t pk[RCL_PK_BYTES])
{
    uint8_t current[RCL_PK_BYTES];

    /* A stale copy of a rotated key would sign batches the upstream refuses. */
    if (rcl_meta_get_blob(db, "public_key", current, RCL_PK_BYTES) == 0 &&
        memcmp(current, pk, RCL_PK_BYTES) != 0) {
        RCL_ERROR("outbox: asked to seal with a key that is not the store's current key (meta "
                  "public_key; rotated since it was loaded?) source=%s",
                  rcl_log_value(source));
        return -1;
    }
    return 0;
}

/* Adds a malloc'd copy of the change seq (len bytes at data) to b. Returns 0, or -1 logged. */
static int pending_add(struct pending_batch *b, uint64_t seq, const void *data, size_t len)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);

    if (copy == NULL) {
        RCL_ERROR("outbox: out of memory sealing seq=%" PRIu64, seq);
        return -1;
    }
    if (len > 0)
        memcpy(copy, data, len);
    b->changes[b->n].data = copy;
    b->changes[b->n].len = len;
    b->n++;
    b->bytes += len;
    b->last_record_seq = seq;
    return 0;
}

/*
 * Seals the changes after u->sealed_through (up to stop, when not 0) into
 * batches, collecting each in b, and advances u (the caller writes u back).
 * Returns the number of batches sealed, or -1 logged.
 */
static int seal_pending(sqlite3 *db, struct uplink_row *u, const char *source,
                        const uint8_t pk[RCL_PK_BYTES], const uint8_t sk[RCL_SK_BYTES],
                        struct pending_batch *b, uint64_t stop)
{
    sqlite3_stmt *st;
    int sealed = 0;
    int rc = -1;
    int step;

    st = rcl_db_prepare(db,
                        "SELECT seq, body FROM outbox WHERE seq > ?1 AND seq <= ?2 ORDER BY seq");
    if (st == NULL)
        goto out;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)u->sealed_through);
    sqlite3_bind_int64(st, 2, stop != 0 ? (sqlite3_int64)stop : INT64_MAX);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        const void *data = sqlite3_column_blob(st, 1);

        if (b->n == RCL_BATCH_RECORDS_MAX || (b->n > 0 && b->bytes + len > RCL_BATCH_BYTES_MAX)) {
            /* Cut here: the batch ends at its last record, the next starts right after. */
            if (seal_one(db, u, source, pk, sk, b, b->last_record_seq) != 0)
                goto out;
            sealed++;
            pending_clear(b);
        }
        if (pending_add(b, seq, data, len) != 0)
            goto out;
    }
    if (step != SQLITE_DONE) {
        RCL_ERROR("outbox: cannot read pending changes err=%s", rcl_log_value(sqlite3_errmsg(db)));
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;

    if (b->n > 0) {
        /* The last batch reaches next_seq - 1 so that it also covers any
         * numbers whose changes were coalesced away at the end; or it ends
         * with the rotation, the last change this key signs. */
        if (seal_one(db, u, source, pk, sk, b, stop != 0 ? stop : u->next_seq - 1) != 0)
            goto out;
        sealed++;
    } else if (u->next_seq - 1 > u->sealed_through) {
        /* Cannot happen (coalescing keeps the newest change of an entity),
         * but if it does, the numbers are simply covered by the next batch. */
        RCL_WARN("outbox: changes missing; left for the next batch seq=%" PRIu64 "..%" PRIu64,
                 u->sealed_through + 1, u->next_seq - 1);
    }
    rc = sealed;

out:
    sqlite3_finalize(st);
    return rc;
}

/* Writes u's sealed_through and sealed_digest back to the uplink row. Returns 0, or -1 logged. */
static int write_sealed_through(sqlite3 *db, const struct uplink_row *u)
{
    sqlite3_stmt *st = rcl_db_prepare(
        db, "UPDATE uplink SET sealed_through = ?1, sealed_digest = ?2 WHERE id = 1");
    int rc;

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)u->sealed_through);
    sqlite3_bind_blob(st, 2, u->sealed_digest, RCL_DIGEST_BYTES, SQLITE_STATIC);
    rc = step_done(db, st, "advance sealed_through");
    sqlite3_finalize(st);
    return rc;
}

/*
 * Seals every unsealed change into batches of at most RCL_BATCH_RECORDS_MAX
 * changes and about 1 MiB. Returns the number of batches sealed, or -1 logged
 * (nothing sealed then).
 */
int rcl_outbox_seal(sqlite3 *db, const char *source, const uint8_t pk[RCL_PK_BYTES],
                    const uint8_t sk[RCL_SK_BYTES])
{
    struct uplink_row u;
    struct pending_batch *b = NULL;
    uint64_t stop = 0; /* a pending key rotation: the last seq this key may seal */
    bool in_tx = false;
    int sealed = 0;
    int rc = -1;

    /* Cheap check first, without taking the write lock: pump calls this often. */
    if (read_uplink(db, &u) != 0)
        return -1;
    if (u.next_seq - 1 <= u.sealed_through)
        return 0;
    if (rcl_outbox_rotation_stop(db, &stop) != 0)
        return -1;
    if (stop != 0 && stop <= u.sealed_through)
        return 0; /* what follows the rotation waits for its ack, and the new key */

    b = calloc(1, sizeof *b);
    if (b == NULL) {
        RCL_ERROR("outbox: out of memory sealing");
        return -1;
    }
    if (rcl_db_begin(db) != 0)
        goto out;
    in_tx = true;
    if (read_uplink(db, &u) != 0 || /* again, now that we hold the lock */
        rcl_outbox_rotation_stop(db, &stop) != 0)
        goto out;
    if (stop != 0 && stop <= u.sealed_through) {
        rc = 0;
        goto out;
    }
    if (check_current_key(db, source, pk) != 0)
        goto out;

    sealed = seal_pending(db, &u, source, pk, sk, b, stop);
    if (sealed < 0)
        goto out;
    if (sealed > 0) {
        if (write_sealed_through(db, &u) != 0)
            goto out;
        RCL_CRASH_POINT("seal-before-commit");
    }
    if (rcl_db_commit(db) != 0)
        goto out;
    in_tx = false;
    rc = sealed;

out:
    if (in_tx)
        rcl_db_rollback(db);
    if (b != NULL) {
        pending_clear(b);
        free(b);
    }
    return rc;
}

/* Reads the first sealed batch with last_seq > after. */
enum rcl_outbox_found rcl_outbox_next_sealed(sqlite3 *db, uint64_t after, struct rcl_sealed *out)
{
    sqlite3_stmt *st;
    enum rcl_outbox_found rc = RCL_OUTBOX_FAILED;
    int step;
    size_t len;

    memset(out, 0, sizeof *out);
    st = rcl_db_prepare(db, "SELECT first_seq, last_seq, digest, envelope FROM sealed"
                            " WHERE last_seq > ?1 ORDER BY last_seq LIMIT 1");
    if (st == NULL)
        return RCL_OUTBOX_FAILED;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
    step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = RCL_OUTBOX_NONE;
        goto out;
    }
    if (step != SQLITE_ROW) {
        RCL_ERROR("outbox: cannot read sealed batches err=%s", rcl_log_value(sqlite3_errmsg(db)));
        goto out;
    }
    if (sqlite3_column_bytes(st, 2) != RCL_DIGEST_BYTES) {
        RCL_ERROR("outbox: sealed batch has a bad digest seq=%" PRId64,
                  (int64_t)sqlite3_column_int64(st, 0));
        goto out;
    }
    out->first_seq = (uint64_t)sqlite3_column_int64(st, 0);
    out->last_seq = (uint64_t)sqlite3_column_int64(st, 1);
    memcpy(out->digest, sqlite3_column_blob(st, 2), RCL_DIGEST_BYTES);
    len = (size_t)sqlite3_column_bytes(st, 3);
    out->envelope = malloc(len > 0 ? len : 1);
    if (out->envelope == NULL) {
        RCL_ERROR("outbox: out of memory reading a sealed batch");
        goto out;
    }
    if (len > 0)
        memcpy(out->envelope, sqlite3_column_blob(st, 3), len);
    out->envelope_len = len;
    rc = RCL_OUTBOX_FOUND;

out:
    sqlite3_finalize(st);
    if (rc != RCL_OUTBOX_FOUND)
        memset(out, 0, sizeof *out);
    return rc;
}

void rcl_sealed_clear(struct rcl_sealed *s)
{
    if (s == NULL)
        return;
    free(s->envelope);
    memset(s, 0, sizeof *s);
}

/*
 * Finds the batch we sealed that ends at acked_seq with the bytes digest
 * names (NULL: any). Returns FOUND, NONE (warned: the ack is not ours) or
 * FAILED logged.
 */
static enum rcl_outbox_found find_acked_batch(sqlite3 *db, uint64_t acked_seq,
                                              const uint8_t *digest)
{
    sqlite3_stmt *st = rcl_db_prepare(db, "SELECT digest FROM sealed WHERE last_seq = ?1");
    enum rcl_outbox_found rc = RCL_OUTBOX_FAILED;
    int step;

    if (st == NULL)
        return RCL_OUTBOX_FAILED;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)acked_seq);
    step = sqlite3_step(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        RCL_ERROR("outbox: cannot read sealed batches err=%s", rcl_log_value(sqlite3_errmsg(db)));
        goto out;
    }
    if (step == SQLITE_DONE ||
        (digest != NULL && (sqlite3_column_bytes(st, 0) != RCL_DIGEST_BYTES ||
                            memcmp(sqlite3_column_blob(st, 0), digest, RCL_DIGEST_BYTES) != 0))) {
        RCL_WARN("outbox: upstream acknowledged a batch that is not ours; nothing deleted "
                 "acked=%" PRIu64,
                 acked_seq);
        rc = RCL_OUTBOX_NONE;
        goto out;
    }
    rc = RCL_OUTBOX_FOUND;

out:
    sqlite3_finalize(st);
    return rc;
}

/* Runs sql (no rows) with ?1 bound to seq. Returns 0, or -1 logged with what. */
static int run_with_seq(sqlite3 *db, const char *sql, uint64_t seq, const char *what)
{
    sqlite3_stmt *st = rcl_db_prepare(db, sql);
    int rc;

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
    rc = step_done(db, st, what);
    sqlite3_finalize(st);
    return rc;
}

/*
 * Deletes the changes and batches through acked_seq and records the ack (digest:
 * NULL when the upstream named none). Returns 0, or -1 logged.
 */
static int record_ack(sqlite3 *db, uint64_t acked_seq, const uint8_t *digest, uint64_t *removed)
{
    sqlite3_stmt *st;
    int rc;

    if (run_with_seq(db, "DELETE FROM outbox WHERE seq <= ?1", acked_seq,
                     "delete acknowledged changes") != 0)
        return -1;
    *removed = (uint64_t)sqlite3_changes(db);
    if (run_with_seq(db, "DELETE FROM sealed WHERE last_seq <= ?1", acked_seq,
                     "delete acknowledged batches") != 0)
        return -1;

    st = rcl_db_prepare(db, "UPDATE uplink SET acked_seq = ?1, acked_digest = ?2, acked_at = ?3"
                            " WHERE id = 1");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)acked_seq);
    if (digest != NULL)
        sqlite3_bind_blob(st, 2, digest, RCL_DIGEST_BYTES, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
    rc = step_done(db, st, "record acknowledgement");
    sqlite3_finalize(st);
    return rc;
}

/*
 * Records the upstream's ack of everything up to acked_seq and deletes those
 * changes and batches, in one transaction. An ack that does not end one of
 * our batches, or names other bytes (digest), or goes beyond what was sealed
 * shows the upstream holds a history that is not ours: nothing is deleted on
 * its word (NOT_OURS).
 */
enum rcl_outbox_ack_result rcl_outbox_ack(sqlite3 *db, uint64_t acked_seq, const uint8_t *digest)
{
    return rcl_outbox_ack_counted(db, acked_seq, digest, NULL);
}

enum rcl_outbox_ack_result rcl_outbox_ack_counted(sqlite3 *db, uint64_t acked_seq,
                                                  const uint8_t *digest, uint64_t *removed)
{
    struct uplink_row u;
    uint64_t deleted = 0;
    bool in_tx = false;
    enum rcl_outbox_ack_result rc = RCL_OUTBOX_ACK_FAILED;
    enum rcl_outbox_found found;
    enum rcl_outbox_rotation_step rotated;

    if (rcl_db_begin(db) != 0)
        return RCL_OUTBOX_ACK_FAILED;
    in_tx = true;
    if (read_uplink(db, &u) != 0)
        goto out;
    if (acked_seq <= u.acked_seq) {
        rc = RCL_OUTBOX_ACK_RECORDED; /* old news */
        goto out;
    }
    if (acked_seq > u.sealed_through) {
        RCL_WARN("outbox: upstream acknowledged more than was sealed; nothing deleted "
                 "acked=%" PRIu64 " sealed=%" PRIu64,
                 acked_seq, u.sealed_through);
        rc = RCL_OUTBOX_ACK_NOT_OURS;
        goto out;
    }
    found = find_acked_batch(db, acked_seq, digest);
    if (found == RCL_OUTBOX_NONE)
        rc = RCL_OUTBOX_ACK_NOT_OURS;
    if (found != RCL_OUTBOX_FOUND)
        goto out;

    if (record_ack(db, acked_seq, digest, &deleted) != 0)
        goto out;
    /* With the ack of a key rotation, the new key takes over in the same commit. */
    rotated = rcl_outbox_rotation_complete(db, acked_seq);
    if (rotated == RCL_OUTBOX_ROTATION_FAILED)
        goto out;

    if (rcl_db_commit(db) != 0)
        goto out;
    in_tx = false;
    if (removed != NULL)
        *removed = deleted;
    rc =
        rotated == RCL_OUTBOX_ROTATION_COMPLETED ? RCL_OUTBOX_ACK_ROTATED : RCL_OUTBOX_ACK_RECORDED;

out:
    if (in_tx) {
        /* The early returns changed nothing; rollback also ends the transaction. */
        rcl_db_rollback(db);
    }
    return rc;
}

int rcl_outbox_stats(sqlite3 *db, struct rcl_outbox_stats *out)
{
    struct uplink_row u;
    sqlite3_stmt *st = NULL;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (read_uplink(db, &u) != 0)
        return -1;
    st = rcl_db_prepare(db, "SELECT count(*) FROM outbox");
    if (st == NULL)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW) {
        RCL_ERROR("outbox: cannot count pending changes err=%s", rcl_log_value(sqlite3_errmsg(db)));
        goto out;
    }
    out->epoch = u.epoch;
    out->last_seq = u.next_seq - 1;
    out->sealed_through = u.sealed_through;
    out->acked_seq = u.acked_seq;
    out->acked_at = u.acked_at;
    out->pending = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = rcl_db_prepare(db, "SELECT top_seq, top_at, top_id FROM uplink WHERE id = 1");
    if (st == NULL)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW) {
        RCL_ERROR("outbox: cannot read the receipt err=%s", rcl_log_value(sqlite3_errmsg(db)));
        goto out;
    }
    out->top_seq = (uint64_t)sqlite3_column_int64(st, 0);
    out->top_at = sqlite3_column_int64(st, 1);
    snprintf(out->top_id, sizeof out->top_id, "%s",
             sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "");
    rc = 0;

out:
    sqlite3_finalize(st);
    return rc;
}

int rcl_outbox_pending_through(sqlite3 *db, uint64_t seq, uint64_t *n)
{
    sqlite3_stmt *st = rcl_db_prepare(db, "SELECT count(*) FROM outbox WHERE seq <= ?1");
    int rc = -1;

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
    if (sqlite3_step(st) != SQLITE_ROW) {
        RCL_ERROR("outbox: cannot count pending changes err=%s", rcl_log_value(sqlite3_errmsg(db)));
    } else {
        *n = (uint64_t)sqlite3_column_int64(st, 0);
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

int rcl_outbox_receipt(sqlite3 *db, uint64_t top_seq, int64_t top_at, const char *top_id)
{
    /* Receipts can arrive out of order: keep the furthest. A snapshot's new
     * epoch resets top_seq, so the comparison is within one epoch. */
    sqlite3_stmt *st = rcl_db_prepare(db, "UPDATE uplink SET top_seq = ?1, top_at = ?2, top_id = ?3"
                                          " WHERE id = 1 AND (top_seq < ?1 OR (top_seq = ?1 AND"
                                          " top_at < ?2))");
    int rc;

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)top_seq);
    sqlite3_bind_int64(st, 2, top_at);
    sqlite3_bind_text(st, 3, top_id != NULL ? top_id : "", -1, SQLITE_STATIC);
    rc = step_done(db, st, "record the receipt");
    sqlite3_finalize(st);
    return rc;
}

int rcl_outbox_new_epoch(sqlite3 *db, uint64_t epoch, rcl_snapshot_fn snapshot, void *arg)
{
    struct uplink_row u;
    struct rcl_change end, rotation;
    uint64_t records = 0;
    sqlite3_stmt *st = NULL;
    enum rcl_outbox_found rotating;
    int rc = -1;

    if (rcl_db_begin(db) != 0)
        return -1;
    if (read_uplink(db, &u) != 0)
        goto out;
    if (epoch <= u.epoch) {
        RCL_ERROR("outbox: new epoch is not after the current one epoch=%" PRIu64
                  " current=%" PRIu64,
                  epoch, u.epoch);
        goto out;
    }
    rotating = rcl_outbox_rotation_take(db, &rotation);
    if (rotating == RCL_OUTBOX_FAILED)
        goto out;
    if (rcl_db_exec(db, "DELETE FROM outbox; DELETE FROM sealed;", "drop the old epoch") != 0)
        goto out;
    st = rcl_db_prepare(db, "UPDATE uplink SET epoch = ?1, next_seq = 1, sealed_through = 0,"
                            " sealed_digest = NULL, acked_seq = 0, acked_digest = NULL,"
                            " top_seq = 0 WHERE id = 1");
    if (st == NULL)
        goto out;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)epoch);
    if (step_done(db, st, "start the new epoch") != 0)
        goto out;
    if (snapshot(arg, db, &records) != 0) {
        RCL_ERROR("outbox: cannot write the snapshot epoch=%" PRIu64, epoch);
        goto out;
    }
    memset(&end, 0, sizeof end);
    end.kind = RCL_CHANGE_SNAPSHOT_END;
    end.u.snapshot_records = records;
    if (rcl_outbox_append(db, NULL, &end) != 0)
        goto out;
    if (rotating == RCL_OUTBOX_FOUND && rcl_outbox_rotation_requeue(db, &rotation) != 0)
        goto out;
    RCL_CRASH_POINT("new-epoch-before-commit");
    if (rcl_db_commit(db) != 0)
        goto out;
    RCL_WARN("outbox: started an epoch with a full snapshot epoch=%" PRIu64 " records=%" PRIu64
             " seq=1..%" PRIu64,
             epoch, records, end.seq);
    rc = 0;
out:
    sqlite3_finalize(st);
    if (rc != 0)
        rcl_db_rollback(db);
    return rc;
}

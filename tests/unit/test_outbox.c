/*
 * test_outbox.c - the sender's queue: coalescing, contiguous sealed ranges
 * chained by digest, batch size limits, byte-identical re-reads, and acks
 * that delete only what the upstream confirmed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rcl_codec.h"
#include "rcl_db.h"
#include "rcl_envelope.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_outbox.h"
#include "rcl_test.h"

#define SOURCE "4113810001"

static uint8_t pk[RCL_PK_BYTES], sk[RCL_SK_BYTES];

static sqlite3 *open_store(char *path, size_t pathlen)
{
    static const char *migrations[3];
    char dir[512];
    char err[256];
    sqlite3 *db;

    migrations[0] = RCL_DB_META_SQL;
    migrations[1] = RCL_OUTBOX_SQL;
    migrations[2] = RCL_OUTBOX_SQL_V2;
    if (rcl_test_tmpdir("test_outbox", dir, sizeof dir) != 0)
        return NULL;
    snprintf(path, pathlen, "%s/store.db", dir);
    db = rcl_db_open(path, RCL_DB_CREATE, migrations, 3, err, sizeof err);
    if (db == NULL)
        fprintf(stderr, "open_store: %s\n", err);
    return db;
}

static void remove_store(const char *path)
{
    char p[640];
    char *slash;

    rcl_db_remove_files(path);
    snprintf(p, sizeof p, "%s", path);
    slash = strrchr(p, '/');
    if (slash != NULL) {
        *slash = '\0';
        rmdir(p);
    }
}

/* Appends a school-profile change named n for entity in its own transaction. */
static int append(sqlite3 *db, const char *entity, int n, uint64_t *seq)
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
    if (seq != NULL)
        *seq = c.seq;
    return rcl_db_commit(db);
}

static int64_t count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = rcl_db_prepare(db, sql);
    int64_t n = -1;

    if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* A sealed batch, opened: verified envelope and decoded header. */
struct opened {
    struct rcl_envelope *env;
    struct rcl_batch *batch;
};

static int open_sealed(const struct rcl_sealed *s, struct opened *o)
{
    char err[256];
    uint8_t digest[RCL_DIGEST_BYTES];

    memset(o, 0, sizeof *o);
    if (rcl_envelope_decode(s->envelope, s->envelope_len, &o->env, err, sizeof err) != 0) {
        fprintf(stderr, "envelope: %s\n", err);
        return -1;
    }
    if (rcl_envelope_verify(o->env, pk, err, sizeof err) != 0) {
        fprintf(stderr, "verify: %s\n", err);
        return -1;
    }
    rcl_digest(o->env->payload.data, o->env->payload.len, digest);
    if (memcmp(digest, s->digest, sizeof digest) != 0) {
        fprintf(stderr, "stored digest is not the payload's\n");
        return -1;
    }
    if (rcl_envelope_open_batch(o->env, &o->batch, err, sizeof err) != 0) {
        fprintf(stderr, "batch: %s\n", err);
        return -1;
    }
    return 0;
}

static void close_sealed(struct opened *o)
{
    rcl_batch_destroy(&o->batch);
    rcl_envelope_destroy(&o->env);
}

static void test_coalesce_and_chain(void)
{
    char path[600];
    sqlite3 *db = open_store(path, sizeof path);
    struct rcl_outbox_stats st;
    struct rcl_sealed s1, s2, again;
    struct opened o;
    struct rcl_change c;
    char err[256];
    uint64_t seq = 0;

    CHECK(db != NULL);
    if (db == NULL)
        return;

    /* Two changes to one entity before sealing: only the newer one stays. */
    CHECK(append(db, "school", 1, &seq) == 0 && seq == 1);
    CHECK(append(db, "school", 2, &seq) == 0 && seq == 2);
    CHECK(rcl_outbox_stats(db, &st) == 0);
    CHECK(st.pending == 1 && st.last_seq == 2 && st.sealed_through == 0 && st.epoch == 1);
    CHECK(count(db, "SELECT seq FROM outbox") == 2);

    CHECK(rcl_outbox_seal(db, SOURCE, pk, sk) == 1);
    CHECK(rcl_outbox_seal(db, SOURCE, pk, sk) == 0); /* nothing new */
    CHECK(rcl_outbox_next_sealed(db, 0, &s1) == 1);
    CHECK(s1.first_seq == 1 && s1.last_seq == 2);
    CHECK(open_sealed(&s1, &o) == 0);
    if (o.batch != NULL) {
        CHECK(strcmp(o.batch->h.source, SOURCE) == 0 && strcmp(o.env->source, SOURCE) == 0);
        CHECK(o.batch->h.first_seq == 1 && o.batch->h.last_seq == 2 && o.batch->h.epoch == 1);
        CHECK(!o.batch->h.has_prev);
        CHECK(o.batch->n_changes == 1);
        CHECK(rcl_change_decode(o.batch->changes[0].data, o.batch->changes[0].len, &c, err,
                                sizeof err) == 0);
        CHECK(c.seq == 2 && strcmp(c.u.school.name, "School 2") == 0);
    }
    close_sealed(&o);

    /* A sealed change is never replaced: a newer one for the entity is a new row. */
    CHECK(append(db, "school", 3, &seq) == 0 && seq == 3);
    CHECK(append(db, "a", 4, NULL) == 0);
    CHECK(append(db, "school", 5, &seq) == 0 && seq == 5); /* replaces seq 3 (unsealed) */
    CHECK(append(db, "b", 6, NULL) == 0);
    CHECK(rcl_outbox_stats(db, &st) == 0 && st.pending == 4 && st.last_seq == 6);

    /* Batch 2 starts right after batch 1 although its first record is seq 4. */
    CHECK(rcl_outbox_seal(db, SOURCE, pk, sk) == 1);
    CHECK(rcl_outbox_next_sealed(db, s1.last_seq, &s2) == 1);
    CHECK(s2.first_seq == s1.last_seq + 1 && s2.last_seq == 6);
    CHECK(open_sealed(&s2, &o) == 0);
    if (o.batch != NULL) {
        CHECK(o.batch->h.first_seq == 3 && o.batch->h.last_seq == 6);
        CHECK(o.batch->h.has_prev && memcmp(o.batch->h.prev_digest, s1.digest, 32) == 0);
        CHECK(o.batch->n_changes == 3);
        CHECK(rcl_change_decode(o.batch->changes[0].data, o.batch->changes[0].len, &c, err,
                                sizeof err) == 0 &&
              c.seq == 4);
    }
    close_sealed(&o);

    /* Re-reading a sealed batch gives the same bytes: a resend is a duplicate. */
    CHECK(rcl_outbox_next_sealed(db, 2, &again) == 1);
    CHECK(again.envelope_len == s2.envelope_len &&
          memcmp(again.envelope, s2.envelope, s2.envelope_len) == 0);
    rcl_sealed_clear(&again);
    CHECK(rcl_outbox_next_sealed(db, 6, &again) == 0);

    /* Acks: above what was sealed is refused and deletes nothing. */
    CHECK(rcl_outbox_ack(db, 7, NULL) == 1);
    CHECK(rcl_outbox_stats(db, &st) == 0 && st.acked_seq == 0 && st.pending == 4);
    /* ... and so is one that does not end a batch of ours, or names other bytes. */
    CHECK(rcl_outbox_ack(db, 1, NULL) == 1);
    CHECK(rcl_outbox_ack(db, 2, s2.digest) == 1);
    CHECK(rcl_outbox_stats(db, &st) == 0 && st.acked_seq == 0 && st.pending == 4);

    CHECK(rcl_outbox_ack(db, 2, s1.digest) == 0);
    CHECK(rcl_outbox_stats(db, &st) == 0 && st.acked_seq == 2 && st.pending == 3);
    CHECK(st.acked_at > 0);
    CHECK(count(db, "SELECT count(*) FROM sealed") == 1);
    CHECK(count(db, "SELECT min(seq) FROM outbox") == 4);
    CHECK(rcl_outbox_next_sealed(db, 0, &again) == 1 && again.first_seq == 3);
    rcl_sealed_clear(&again);

    /* An older or repeated ack changes nothing. */
    CHECK(rcl_outbox_ack(db, 1, NULL) == 0);
    CHECK(rcl_outbox_ack(db, 2, NULL) == 0);
    CHECK(rcl_outbox_stats(db, &st) == 0 && st.acked_seq == 2 && st.pending == 3);

    CHECK(rcl_outbox_ack(db, 6, s2.digest) == 0);
    CHECK(rcl_outbox_stats(db, &st) == 0 && st.acked_seq == 6 && st.pending == 0);
    CHECK(count(db, "SELECT count(*) FROM sealed") == 0);

    /* The chain continues across acks. */
    CHECK(append(db, "c", 7, NULL) == 0);
    CHECK(rcl_outbox_seal(db, SOURCE, pk, sk) == 1);
    CHECK(rcl_outbox_next_sealed(db, 6, &again) == 1 && again.first_seq == 7);
    CHECK(open_sealed(&again, &o) == 0);
    if (o.batch != NULL)
        CHECK(o.batch->h.has_prev && memcmp(o.batch->h.prev_digest, s2.digest, 32) == 0);
    close_sealed(&o);
    rcl_sealed_clear(&again);

    rcl_sealed_clear(&s1);
    rcl_sealed_clear(&s2);
    rcl_db_close(&db);
    remove_store(path);
}

static void test_large_split(void)
{
    char path[600];
    sqlite3 *db = open_store(path, sizeof path);
    const int n = 2 * RCL_BATCH_RECORDS_MAX + 321;
    struct rcl_sealed s;
    struct opened o;
    uint8_t prev[RCL_DIGEST_BYTES];
    uint64_t after = 0;
    size_t records = 0;
    int batches = 0;
    char entity[32];

    CHECK(db != NULL);
    if (db == NULL)
        return;
    CHECK(rcl_db_begin(db) == 0);
    for (int i = 0; i < n; i++) {
        struct rcl_change c;

        memset(&c, 0, sizeof c);
        c.kind = RCL_CHANGE_SCHOOL;
        snprintf(c.u.school.school_id, sizeof c.u.school.school_id, "%s", SOURCE);
        snprintf(c.u.school.name, sizeof c.u.school.name, "School %d", i);
        snprintf(c.u.school.county, sizeof c.u.school.county, "411381");
        snprintf(entity, sizeof entity, "e%d", i);
        if (rcl_outbox_append(db, entity, &c) != 0) {
            CHECK(!"append failed");
            break;
        }
    }
    CHECK(rcl_db_commit(db) == 0);
    CHECK(rcl_outbox_seal(db, SOURCE, pk, sk) == 3);

    while (rcl_outbox_next_sealed(db, after, &s) == 1) {
        CHECK(s.first_seq == after + 1);
        CHECK(open_sealed(&s, &o) == 0);
        /* Hundreds of like records: the batch travels compressed, chained by what was signed. */
        CHECK(o.env != NULL && o.env->deflated);
        if (o.batch != NULL) {
            CHECK(o.batch->n_changes <= RCL_BATCH_RECORDS_MAX);
            CHECK(o.batch->h.has_prev == (batches > 0));
            if (batches > 0)
                CHECK(memcmp(o.batch->h.prev_digest, prev, sizeof prev) == 0);
            records += o.batch->n_changes;
        }
        close_sealed(&o);
        memcpy(prev, s.digest, sizeof prev);
        after = s.last_seq;
        batches++;
        rcl_sealed_clear(&s);
    }
    CHECK(batches == 3);
    CHECK(after == (uint64_t)n);
    CHECK(records == (size_t)n);
    rcl_db_close(&db);
    remove_store(path);
}

/* A snapshot of three profiles, one of them appended with the same entity as a later edit. */
static int snapshot_three(void *arg, sqlite3 *db, uint64_t *records)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        struct rcl_change c;

        memset(&c, 0, sizeof c);
        c.kind = RCL_CHANGE_SCHOOL;
        snprintf(c.u.school.school_id, sizeof c.u.school.school_id, "%s", SOURCE);
        snprintf(c.u.school.name, sizeof c.u.school.name, "Snapshot %d", i);
        snprintf(c.u.school.county, sizeof c.u.school.county, "411381");
        if (rcl_outbox_append(db, NULL, &c) != 0)
            return -1;
    }
    *records = 3;
    return 0;
}

static int snapshot_fails(void *arg, sqlite3 *db, uint64_t *records)
{
    (void)arg;
    (void)db;
    *records = 0;
    return -1;
}

static void test_new_epoch_and_receipt(void)
{
    char path[600];
    sqlite3 *db = open_store(path, sizeof path);
    struct rcl_outbox_stats st;
    struct rcl_sealed s;
    struct opened o;
    struct rcl_change c;
    char err[128];

    CHECK(db != NULL);
    if (db == NULL)
        return;
    CHECK(append(db, "a", 1, NULL) == 0);
    CHECK(append(db, "b", 2, NULL) == 0);
    CHECK(rcl_outbox_seal(db, SOURCE, pk, sk) == 1);
    CHECK(rcl_outbox_ack(db, 2, NULL) == 0);
    CHECK(append(db, "c", 3, NULL) == 0);

    /* Receipts: the furthest one is kept. */
    CHECK(rcl_outbox_receipt(db, 2, 1000, "41") == 0);
    CHECK(rcl_outbox_receipt(db, 1, 2000, "41") == 0);
    CHECK(rcl_outbox_stats(db, &st) == 0 && st.top_seq == 2 && st.top_at == 1000);
    CHECK(strcmp(st.top_id, "41") == 0);

    /* A failing snapshot changes nothing; an epoch that is not newer is refused. */
    CHECK(rcl_outbox_new_epoch(db, 2, snapshot_fails, NULL) == -1);
    CHECK(rcl_outbox_new_epoch(db, 1, snapshot_three, NULL) == -1);
    CHECK(rcl_outbox_stats(db, &st) == 0 && st.epoch == 1 && st.last_seq == 3 && st.pending == 1);

    CHECK(rcl_outbox_new_epoch(db, 5, snapshot_three, NULL) == 0);
    CHECK(rcl_outbox_stats(db, &st) == 0);
    CHECK(st.epoch == 5 && st.last_seq == 4 && st.acked_seq == 0 && st.sealed_through == 0);
    CHECK(st.pending == 4 && st.top_seq == 0);
    /* A later edit of an entity follows the snapshot instead of replacing its record. */
    CHECK(append(db, "a", 9, NULL) == 0);
    CHECK(count(db, "SELECT count(*) FROM outbox") == 5);

    CHECK(rcl_outbox_seal(db, SOURCE, pk, sk) == 1);
    CHECK(rcl_outbox_next_sealed(db, 0, &s) == 1);
    CHECK(s.first_seq == 1 && s.last_seq == 5);
    CHECK(open_sealed(&s, &o) == 0);
    if (o.batch != NULL) {
        CHECK(o.batch->h.epoch == 5 && !o.batch->h.has_prev && o.batch->n_changes == 5);
        if (o.batch->n_changes == 5) {
            CHECK(rcl_change_decode(o.batch->changes[3].data, o.batch->changes[3].len, &c, err,
                                    sizeof err) == 0);
            CHECK(c.kind == RCL_CHANGE_SNAPSHOT_END && c.u.snapshot_records == 3 && c.seq == 4);
        }
    }
    close_sealed(&o);
    rcl_sealed_clear(&s);
    rcl_db_close(&db);
    remove_store(path);
}

int main(void)
{
    rcl_log_init("test_outbox");
    CHECK(rcl_keys_init() == 0);
    CHECK(rcl_key_generate(pk, sk) == 0);
    RCL_TEST_RUN(test_coalesce_and_chain);
    RCL_TEST_RUN(test_large_split);
    RCL_TEST_RUN(test_new_epoch_and_receipt);
    return RCL_TEST_RESULT();
}

/*
 * ingest_fixture.h - what the receiver tests share: aggregator stores in a
 * temporary folder, node keys, batches built change by change, sealed into
 * real signed envelopes, and ingested as if from a connection.
 */
#ifndef RCL_INGEST_FIXTURE_H
#define RCL_INGEST_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "agg_store.h"
#include "agg_ingest.h"
#include "rcl_codec.h"
#include "rcl_db.h"
#include "rcl_envelope.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_outbox.h"
#include "rcl_test.h"
#include "agg_summary.h"

#define SCHOOL "4113810001"
#define SCHOOL2 "4113810002"
#define STRANGER "4113810099"
#define COUNTY "411381"

struct node {
    uint8_t pk[RCL_PK_BYTES];
    uint8_t sk[RCL_SK_BYTES];
};

static char tmpdir[512];

static inline void make_tmpdir(const char *test)
{
    if (rcl_test_tmpdir(test, tmpdir, sizeof(tmpdir)) != 0) {
        perror("rcl_test_tmpdir");
        exit(1);
    }
}

static inline void remove_store(const char *path)
{
    rcl_db_remove_files(path);
}

/* Creates and opens a store of tier in the temporary folder. */
static inline sqlite3 *make_store(const char *name, const char *id, enum rcl_agg_tier tier,
                                  const uint8_t *upstream_key, struct rcl_agg_config *cfg,
                                  char *path, size_t pathlen)
{
    uint8_t pk[RCL_PK_BYTES];
    char err[512];
    sqlite3 *db;

    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->id, sizeof(cfg->id), "%s", id);
    cfg->tier = tier;
    snprintf(cfg->listen, sizeof(cfg->listen), "tcp://127.0.0.1:7100");
    cfg->stale_seconds = RCL_AGG_STALE_DEFAULT;
    if (upstream_key) {
        cfg->has_upstream = true;
        snprintf(cfg->upstream, sizeof(cfg->upstream), "tcp://127.0.0.1:7200");
        memcpy(cfg->upstream_key, upstream_key, RCL_PK_BYTES);
    }
    snprintf(path, pathlen, "%s/%s", tmpdir, name);
    if (rcl_agg_store_create(path, cfg, pk, err, sizeof(err)) != 0) {
        fprintf(stderr, "make_store: %s\n", err);
        return NULL;
    }
    db = rcl_agg_store_open(path, cfg, err, sizeof(err));
    if (!db)
        fprintf(stderr, "make_store: %s\n", err);
    return db;
}

static inline int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A batch under construction. */
struct batch {
    struct rcl_change changes[8];
    size_t n;
};

static inline void add_student(struct batch *b, uint64_t seq, int who, uint32_t network,
                               uint32_t devices, unsigned participation, bool loaned_device)
{
    struct rcl_change *c = &b->changes[b->n++];

    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_STUDENT;
    memset(c->u.student.pseudonym, who, RCL_PSEUDONYM_BYTES);
    snprintf(c->u.student.name, sizeof(c->u.student.name), "学生%d", who);
    c->u.student.grade = 3;
    snprintf(c->u.student.class_name, sizeof(c->u.student.class_name), "3-1");
    c->u.student.network = network;
    c->u.student.devices = devices;
    c->u.student.groups = RCL_BIT(RCL_GROUP_LEFT_BEHIND);
    c->u.student.participation = participation;
    if (loaned_device) {
        c->u.student.n_measures = 1;
        c->u.student.measures[0].kind = RCL_MEASURE_LOANED_DEVICE;
        c->u.student.measures[0].status = RCL_STATUS_IN_PLACE;
    }
}

static inline void add_removed(struct batch *b, uint64_t seq, int who)
{
    struct rcl_change *c = &b->changes[b->n++];

    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_REMOVED;
    memset(c->u.removed.pseudonym, who, RCL_PSEUDONYM_BYTES);
}

static inline void add_profile(struct batch *b, uint64_t seq, const char *school, const char *name)
{
    struct rcl_change *c = &b->changes[b->n++];

    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_SCHOOL;
    snprintf(c->u.school.school_id, sizeof(c->u.school.school_id), "%s", school);
    snprintf(c->u.school.name, sizeof(c->u.school.name), "%s", name);
    snprintf(c->u.school.county, sizeof(c->u.school.county), COUNTY);
}

static inline void add_summary(struct batch *b, uint64_t seq, const char *school, bool reported,
                               uint64_t students)
{
    struct rcl_change *c = &b->changes[b->n++];

    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_SUMMARY;
    snprintf(c->u.summary.school_id, sizeof(c->u.summary.school_id), "%s", school);
    snprintf(c->u.summary.name, sizeof(c->u.summary.name), "School %s", school);
    snprintf(c->u.summary.county, sizeof(c->u.summary.county), COUNTY);
    c->u.summary.reported = reported;
    c->u.summary.last_sync = reported ? 1000 : 0;
    c->u.summary.totals.students = students;
    c->u.summary.totals.condition[RCL_COND_ONLINE] = students;
    c->u.summary.totals.participation[RCL_PART_ACTIVE] = students;
}

/*
 * Encodes b as a batch from source and seals it with signer. extra, when
 * not NULL, is appended as a raw (possibly garbage) change. digest receives
 * the payload digest. Returns the malloc'd envelope.
 */
static inline uint8_t *seal(const char *source, uint64_t epoch, uint64_t first, uint64_t last,
                            const uint8_t *prev, const struct batch *b,
                            const struct rcl_blob *extra, const struct node *signer, size_t *len,
                            uint8_t digest[RCL_DIGEST_BYTES])
{
    struct rcl_batch_header h;
    struct rcl_blob blobs[10];
    uint8_t *bodies[10] = {NULL};
    uint8_t *payload = NULL, *env = NULL;
    size_t plen = 0, n = 0;

    memset(&h, 0, sizeof(h));
    snprintf(h.source, sizeof(h.source), "%s", source);
    h.epoch = epoch;
    h.first_seq = first;
    h.last_seq = last;
    if (prev) {
        h.has_prev = true;
        memcpy(h.prev_digest, prev, RCL_DIGEST_BYTES);
    }
    h.sent_at = 1000;
    for (size_t i = 0; b && i < b->n; i++, n++) {
        if (rcl_change_encode(&b->changes[i], &bodies[n], &blobs[n].len) != 0)
            goto out;
        blobs[n].data = bodies[n];
    }
    if (extra)
        blobs[n++] = *extra;
    if (rcl_batch_encode(&h, blobs, n, &payload, &plen) != 0)
        goto out;
    if (digest)
        rcl_digest(payload, plen, digest);
    if (rcl_envelope_seal(source, payload, plen, signer->pk, signer->sk, &env, len) != 0)
        env = NULL;
out:
    for (size_t i = 0; i < 10; i++)
        free(bodies[i]);
    free(payload);
    return env;
}

/* Ingests an envelope as if it came over a connection authenticated as user. */
static inline int ingest(struct rcl_agg_ingest_ctx *ctx, uint8_t *env, size_t len, const char *user,
                         struct rcl_reply *r)
{
    int rc;

    if (!env) {
        memset(r, 0, sizeof(*r));
        r->status = RCL_REPLY_STATUS_COUNT;
        return -1;
    }
    rc = rcl_agg_ingest(ctx, env, len, user, r);
    free(env);
    return rc;
}

static inline bool reason_has(const struct rcl_reply *r, const char *text)
{
    if (strstr(r->reason, text))
        return true;
    fprintf(stderr, "  reason '%s' lacks '%s'\n", r->reason, text);
    return false;
}

/* Seals and ingests a probe from source; returns the reply. */
static inline struct rcl_reply probe(struct rcl_agg_ingest_ctx *ctx, const char *source,
                                     const struct node *signer, uint64_t epoch, uint64_t id)
{
    struct rcl_batch_header h;
    struct rcl_reply r;
    uint8_t *payload = NULL, *env = NULL;
    size_t plen = 0, len = 0;

    memset(&h, 0, sizeof(h));
    memset(&r, 0, sizeof(r));
    snprintf(h.source, sizeof(h.source), "%s", source);
    h.epoch = epoch;
    h.probe_id = id;
    if (rcl_batch_encode(&h, NULL, 0, &payload, &plen) == 0 &&
        rcl_envelope_seal(source, payload, plen, signer->pk, signer->sk, &env, &len) == 0)
        CHECK(rcl_agg_ingest(ctx, env, len, source, &r) == 0);
    free(payload);
    free(env);
    return r;
}

static inline void add_snapshot_end(struct batch *b, uint64_t seq, uint64_t records)
{
    struct rcl_change *c = &b->changes[b->n++];

    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_SNAPSHOT_END;
    c->u.snapshot_records = records;
}

static inline void add_school_removed(struct batch *b, uint64_t seq, const char *school)
{
    struct rcl_change *c = &b->changes[b->n++];

    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_SCHOOL_REMOVED;
    snprintf(c->u.school_removed, sizeof(c->u.school_removed), "%s", school);
}

#endif

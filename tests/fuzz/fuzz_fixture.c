/*
 * fuzz_fixture.c - the stores the fuzz targets run against (see
 * fuzz_fixture.h). A store is made with the programs' own functions in a
 * temporary folder, copied into an in-memory database (so an input costs no
 * disk writes and leaves no files), and restored from a pristine in-memory
 * copy whenever an input may have changed it.
 */
#include "fuzz_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "agg_ingest.h"
#include "agg_sql.h"
#include "import.h"
#include "pseudonym.h"
#include "rcl_db.h"
#include "rcl_envelope.h"
#include "rcl_log.h"
#include "rcl_outbox.h"

const char *const fuzz_agg_ids[FUZZ_TIER_COUNT] = {"411381", "411300", "410000"};
const char *const fuzz_source_ids[FUZZ_TIER_COUNT][FUZZ_WHO_COUNT] = {
    {"4113810001", "4113810002"}, /* a county's sources are schools */
    {"411302", "411303"},         /* a city's are counties */
    {"411300", "411381"},         /* the province's: a city and a directly administered county */
};

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "fuzz: %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

void fuzz_init_process(void)
{
    static int done;

    if (done)
        return;
    done = 1;
    /* A crash point left in the environment would kill the target on purpose. */
    unsetenv("ROLLCALL_CRASH_AT");
    setenv("ROLLCALL_PROGRESS", "0", 1);
    if (getenv("ROLLCALL_LOG") == NULL)
        setenv("ROLLCALL_LOG", "error", 1);
    rcl_log_init("fuzz");
    FUZZ_ASSERT(rcl_keys_init() == 0, "libsodium failed to start");
}

/* ---- Temporary folders ---- */

#define FUZZ_TMPDIRS_MAX 8
static char tmpdirs[FUZZ_TMPDIRS_MAX][512];
static int n_tmpdirs;

/* Removes dir and the plain files in it (the fixture makes no deeper trees). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static void remove_tmpdirs(void)
{
    for (int i = 0; i < n_tmpdirs; i++)
        remove_tree(tmpdirs[i]);
    n_tmpdirs = 0;
}

void fuzz_tmpdir(const char *name, char *out, size_t outlen)
{
    const char *base = getenv("ROLLCALL_TEST_TMP");

    if (base == NULL || base[0] == '\0')
        base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    FUZZ_ASSERT(mkdir(base, 0700) == 0 || errno == EEXIST, "%s: cannot create: %s", base,
                strerror(errno));
    FUZZ_ASSERT(snprintf(out, outlen, "%s/fuzz-%s-XXXXXX", base, name) < (int)outlen,
                "%s: temporary folder path too long", base);
    FUZZ_ASSERT(mkdtemp(out) != NULL, "%s: mkdtemp failed: %s", out, strerror(errno));
    FUZZ_ASSERT(n_tmpdirs < FUZZ_TMPDIRS_MAX, "too many temporary folders");
    if (n_tmpdirs == 0)
        atexit(remove_tmpdirs);
    snprintf(tmpdirs[n_tmpdirs++], sizeof(tmpdirs[0]), "%s", out);
}

/* ---- In-memory copies ---- */

/* Copies every page of src into dst (which must have no open transaction). Aborts on failure. */
static void copy_db(sqlite3 *dst, sqlite3 *src)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");

    FUZZ_ASSERT(b != NULL, "backup: %s", sqlite3_errmsg(dst));
    FUZZ_ASSERT(sqlite3_backup_step(b, -1) == SQLITE_DONE, "backup step: %s", sqlite3_errmsg(dst));
    FUZZ_ASSERT(sqlite3_backup_finish(b) == SQLITE_OK, "backup finish: %s", sqlite3_errmsg(dst));
}

/* A new in-memory database holding a copy of src, with the pragmas rcl_db_open sets that matter
 * in memory. */
static sqlite3 *memory_copy(sqlite3 *src)
{
    sqlite3 *mem = NULL;

    FUZZ_ASSERT(sqlite3_open(":memory:", &mem) == SQLITE_OK, "cannot open an in-memory database");
    sqlite3_extended_result_codes(mem, 1);
    copy_db(mem, src);
    FUZZ_ASSERT(sqlite3_exec(mem, "PRAGMA foreign_keys=ON", NULL, NULL, NULL) == SQLITE_OK,
                "foreign_keys: %s", sqlite3_errmsg(mem));
    return mem;
}

/* Restores db from pristine when anything was written since *mark. */
static void restore(sqlite3 *db, sqlite3 *pristine, int *mark)
{
    /* Rolled-back writes count too: restoring once too often is cheap. */
    if (sqlite3_total_changes(db) == *mark)
        return;
    FUZZ_ASSERT(sqlite3_get_autocommit(db), "a transaction is still open before restoring");
    copy_db(db, pristine);
    *mark = sqlite3_total_changes(db);
}

/* ---- Nodes and changes ---- */

void fuzz_node_make(struct fuzz_node *n, const char *id)
{
    uint8_t seed[crypto_sign_SEEDBYTES];

    memset(n, 0, sizeof(*n));
    snprintf(n->id, sizeof(n->id), "%s", id);
    crypto_generichash(seed, sizeof(seed), (const unsigned char *)id, strlen(id),
                       (const unsigned char *)"rollcall fuzz key", 17);
    FUZZ_ASSERT(crypto_sign_seed_keypair(n->pk, n->sk, seed) == 0, "key for %s", id);
}

void fuzz_change_student(struct rcl_change *c, uint64_t seq, int who, uint32_t network,
                         uint32_t devices, unsigned participation, int measure_status)
{
    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_STUDENT;
    memset(c->u.student.pseudonym, who, RCL_PSEUDONYM_BYTES);
    snprintf(c->u.student.name, sizeof(c->u.student.name), "学生%d", who);
    c->u.student.grade = 1 + (unsigned)who % 12;
    snprintf(c->u.student.class_name, sizeof(c->u.student.class_name), "%d-1", who % 12 + 1);
    c->u.student.network = network;
    c->u.student.devices = devices;
    c->u.student.groups = RCL_BIT(RCL_GROUP_LEFT_BEHIND);
    c->u.student.participation = participation;
    snprintf(c->u.student.platform, sizeof(c->u.student.platform), "空中课堂");
    if (measure_status >= 0) {
        c->u.student.n_measures = 1;
        c->u.student.measures[0].kind = RCL_MEASURE_LOANED_DEVICE;
        c->u.student.measures[0].status = (uint8_t)measure_status;
    }
}

void fuzz_change_profile(struct rcl_change *c, uint64_t seq, const char *school, const char *name,
                         const char *county)
{
    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_SCHOOL;
    snprintf(c->u.school.school_id, sizeof(c->u.school.school_id), "%s", school);
    snprintf(c->u.school.name, sizeof(c->u.school.name), "%s", name);
    snprintf(c->u.school.county, sizeof(c->u.school.county), "%s", county);
}

void fuzz_change_summary(struct rcl_change *c, uint64_t seq, const char *school, bool reported,
                         uint64_t students)
{
    memset(c, 0, sizeof(*c));
    c->seq = seq;
    c->kind = RCL_CHANGE_SUMMARY;
    snprintf(c->u.summary.school_id, sizeof(c->u.summary.school_id), "%s", school);
    snprintf(c->u.summary.name, sizeof(c->u.summary.name), "学校 %s", school);
    snprintf(c->u.summary.county, sizeof(c->u.summary.county), "%.6s", school);
    c->u.summary.reported = reported;
    c->u.summary.last_sync = reported ? FUZZ_NOW - 3600 : 0;
    c->u.summary.totals.students = students;
    c->u.summary.totals.condition[RCL_COND_ONLINE] = students;
    c->u.summary.totals.participation[RCL_PART_ACTIVE] = students;
    c->u.summary.totals.groups[RCL_GROUP_MIGRANT] = students / 2;
    c->u.summary.totals.measures[RCL_MEASURE_DATA_SUBSIDY] = students / 3;
}

int fuzz_batch_build(const char *source, uint64_t epoch, uint64_t first, uint64_t last,
                     const uint8_t *prev, const struct rcl_change *changes, size_t n, uint8_t **out,
                     size_t *len)
{
    struct rcl_batch_header h;
    struct rcl_blob *blobs = NULL;
    uint8_t **bodies = NULL;
    int rc = -1;

    memset(&h, 0, sizeof(h));
    snprintf(h.source, sizeof(h.source), "%s", source);
    h.epoch = epoch;
    h.first_seq = first;
    h.last_seq = last;
    if (prev != NULL) {
        h.has_prev = true;
        memcpy(h.prev_digest, prev, RCL_DIGEST_BYTES);
    }
    h.sent_at = FUZZ_NOW - 60;
    if (n > 0) {
        blobs = calloc(n, sizeof(*blobs));
        bodies = calloc(n, sizeof(*bodies));
        if (blobs == NULL || bodies == NULL)
            goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (rcl_change_encode(&changes[i], &bodies[i], &blobs[i].len) != 0)
            goto out;
        blobs[i].data = bodies[i];
    }
    rc = rcl_batch_encode(&h, blobs, n, out, len);
out:
    for (size_t i = 0; bodies != NULL && i < n; i++)
        free(bodies[i]);
    free(bodies);
    free(blobs);
    return rc;
}

int fuzz_history_payload(enum fuzz_tier tier, uint8_t **out, size_t *len)
{
    const char *who = fuzz_source_ids[tier][FUZZ_HISTORY];
    struct rcl_change c[3];
    char school[RCL_ID_MAX + 1];

    if (tier == FUZZ_COUNTY) {
        fuzz_change_profile(&c[0], 1, who, "第二小学", fuzz_agg_ids[FUZZ_COUNTY]);
        fuzz_change_student(&c[1], 2, 1, RCL_BIT(RCL_NET_BROADBAND), RCL_BIT(RCL_DEV_COMPUTER),
                            RCL_PART_ACTIVE, -1);
        fuzz_change_student(&c[2], 3, 2, 0, 0, RCL_PART_ABSENT, RCL_STATUS_PLANNED);
    } else {
        snprintf(school, sizeof(school), "%s0001", who);
        fuzz_change_summary(&c[0], 1, school, true, 120);
        snprintf(school, sizeof(school), "%s0002", who);
        fuzz_change_summary(&c[1], 2, school, true, 45);
        snprintf(school, sizeof(school), "%s0003", who);
        fuzz_change_summary(&c[2], 3, school, false, 0);
    }
    return fuzz_batch_build(who, 1, 1, 3, NULL, c, 3, out, len);
}

/* ---- Aggregator worlds ---- */

static struct fuzz_agg *agg_worlds[FUZZ_TIER_COUNT];

static void agg_world_build(struct fuzz_agg *w, enum fuzz_tier tier)
{
    static const enum rcl_agg_tier tiers[FUZZ_TIER_COUNT] = {RCL_AGG_COUNTY, RCL_AGG_CITY,
                                                             RCL_AGG_PROVINCE};
    struct fuzz_node upstream;
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_reply reply;
    enum rcl_agg_enroll_result er;
    char dir[512], path[600], err[512], other[RCL_ID_MAX + 1];
    uint8_t pk[RCL_PK_BYTES], *payload = NULL, *env = NULL;
    size_t plen = 0, elen = 0;
    sqlite3 *file_db;

    w->tier = tier;
    memset(&w->cfg, 0, sizeof(w->cfg));
    snprintf(w->cfg.id, sizeof(w->cfg.id), "%s", fuzz_agg_ids[tier]);
    w->cfg.tier = tiers[tier];
    snprintf(w->cfg.listen, sizeof(w->cfg.listen), "tcp://127.0.0.1:7100");
    w->cfg.stale_seconds = RCL_AGG_STALE_DEFAULT;
    if (tier != FUZZ_PROVINCE) {
        /* With an upstream, applying also queues summaries: that path is fuzzed too. */
        fuzz_node_make(&upstream, tier == FUZZ_COUNTY ? "411300" : "410000");
        w->cfg.has_upstream = true;
        snprintf(w->cfg.upstream, sizeof(w->cfg.upstream), "tcp://127.0.0.1:7200");
        memcpy(w->cfg.upstream_key, upstream.pk, RCL_PK_BYTES);
    }
    fuzz_tmpdir(fuzz_agg_ids[tier], dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/agg.db", dir);
    FUZZ_ASSERT(rcl_agg_store_create(path, &w->cfg, pk, err, sizeof(err)) == 0, "%s", err);
    file_db = rcl_agg_store_open(path, &w->cfg, err, sizeof(err));
    FUZZ_ASSERT(file_db != NULL, "%s", err);
    for (int who = 0; who < FUZZ_WHO_COUNT; who++) {
        fuzz_node_make(&w->src[who], fuzz_source_ids[tier][who]);
        FUZZ_ASSERT(rcl_agg_enroll(file_db, &w->cfg, w->src[who].id, w->src[who].pk, &er, other,
                                   FUZZ_NOW - 86400, err, sizeof(err)) == 0 &&
                        er == RCL_AGG_ENROLLED,
                    "%s: enrolling %s: %s", path, w->src[who].id, err);
    }
    FUZZ_ASSERT(fuzz_history_payload(tier, &payload, &plen) == 0, "encoding the history");
    FUZZ_ASSERT(rcl_envelope_seal(w->src[FUZZ_HISTORY].id, payload, plen, w->src[FUZZ_HISTORY].pk,
                                  w->src[FUZZ_HISTORY].sk, &env, &elen) == 0,
                "sealing the history");
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = file_db;
    ctx.cfg = &w->cfg;
    ctx.now = FUZZ_NOW - 3600;
    FUZZ_ASSERT(rcl_agg_ingest(&ctx, env, elen, w->src[FUZZ_HISTORY].id, &reply) == 1 &&
                    reply.status == RCL_REPLY_ACK && reply.acked_seq == 3,
                "%s: the history batch was not applied: %s", path, reply.reason);
    free(env);
    free(payload);

    w->pristine = memory_copy(file_db);
    w->db = memory_copy(file_db);
    w->changes_mark = sqlite3_total_changes(w->db);
    fuzz_agg_state_read(w, &w->pristine_state);
    rcl_db_close(&file_db);
    remove_tree(dir); /* everything lives in memory from here on */
}

struct fuzz_agg *fuzz_agg_world(enum fuzz_tier tier)
{
    FUZZ_ASSERT(tier >= 0 && tier < FUZZ_TIER_COUNT, "tier %d", (int)tier);
    if (agg_worlds[tier] == NULL) {
        fuzz_init_process();
        agg_worlds[tier] = calloc(1, sizeof(struct fuzz_agg));
        FUZZ_ASSERT(agg_worlds[tier] != NULL, "out of memory");
        agg_world_build(agg_worlds[tier], tier);
    }
    return agg_worlds[tier];
}

void fuzz_agg_reset(struct fuzz_agg *w)
{
    restore(w->db, w->pristine, &w->changes_mark);
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v;

    FUZZ_ASSERT(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
                sqlite3_errmsg(db));
    FUZZ_ASSERT(sqlite3_step(st) == SQLITE_ROW, "%s: %s", sql, sqlite3_errmsg(db));
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

void fuzz_agg_state_read(struct fuzz_agg *w, struct fuzz_agg_state *out)
{
    struct rcl_agg_source src;
    struct rcl_outbox_stats ob;

    memset(out, 0, sizeof(*out));
    for (int who = 0; who < FUZZ_WHO_COUNT; who++) {
        FUZZ_ASSERT(rcl_agg_source_get(w->db, w->src[who].id, &src) == 1, "source %s is gone",
                    w->src[who].id);
        out->applied_seq[who] = src.applied_seq;
        out->epoch[who] = src.epoch;
    }
    FUZZ_ASSERT(rcl_outbox_stats(w->db, &ob) == 0, "reading the outbox");
    out->outbox_last_seq = ob.last_seq;
    out->rows = query_int(w->db, w->tier == FUZZ_COUNTY ? "SELECT count(*) FROM students"
                                                        : "SELECT count(*) FROM summaries");
}

/*
 * Every stored summary must be one rcl_totals_add_student could have made:
 * each student in one condition and one participation, no count above the
 * students. Aborts naming the first school that is not.
 */
static void check_summaries(struct fuzz_agg *w)
{
    static const char sql[] =
        "SELECT school_id FROM summaries WHERE"
        " condition_online + condition_tv_only + condition_none != students"
        " OR participation_active + participation_irregular + participation_absent"
        "    + participation_opted_out != students"
        /* every count of rcl_counts.h: none above the students, none below zero */
        " OR max(0" RCL_AGG_SQL_COUNT_COLS ") > students"
        " OR min(0" RCL_AGG_SQL_COUNT_COLS ") < 0"
        " LIMIT 1";
    sqlite3_stmt *st = NULL;
    int rc;

    FUZZ_ASSERT(sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) == SQLITE_OK, "%s",
                sqlite3_errmsg(w->db));
    rc = sqlite3_step(st);
    FUZZ_ASSERT(rc == SQLITE_DONE, "the summary of school %s does not add up",
                rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : "?");
    sqlite3_finalize(st);
}

int fuzz_agg_ingest_checked(struct fuzz_agg *w, const uint8_t *msg, size_t len, const char *user)
{
    struct rcl_agg_ingest_ctx ctx;
    struct rcl_reply reply, decoded;
    struct fuzz_agg_state before, after;
    uint8_t *wire = NULL;
    size_t wire_len = 0;
    char err[200];
    int rc, changes;

    /* Reading the state costs more than most inputs: read it only when it may have moved. */
    changes = sqlite3_total_changes(w->db);
    if (changes == w->changes_mark)
        before = w->pristine_state;
    else
        fuzz_agg_state_read(w, &before);
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = w->db;
    ctx.cfg = &w->cfg;
    ctx.now = FUZZ_NOW;
    rc = rcl_agg_ingest(&ctx, msg, len, user, &reply);

    FUZZ_ASSERT(rc == 0 || rc == 1, "rcl_agg_ingest returned %d", rc);
    FUZZ_ASSERT(sqlite3_get_autocommit(w->db), "ingest left a transaction open (status %d: %s)",
                (int)reply.status, reply.reason);
    FUZZ_ASSERT((unsigned)reply.status < RCL_REPLY_STATUS_COUNT, "reply status %d",
                (int)reply.status);
    FUZZ_ASSERT(memchr(reply.reason, '\0', sizeof(reply.reason)) != NULL &&
                    memchr(reply.source, '\0', sizeof(reply.source)) != NULL &&
                    memchr(reply.top_id, '\0', sizeof(reply.top_id)) != NULL,
                "reply string not terminated");
    FUZZ_ASSERT(reply.status != RCL_REPLY_BUSY, "an in-memory store answered BUSY: %s",
                reply.reason);
    /* The sender must be able to read whatever we answer, or it cannot tell what happened. */
    FUZZ_ASSERT(rcl_reply_encode(&reply, &wire, &wire_len) == 0, "encoding the reply");
    FUZZ_ASSERT(rcl_reply_decode(wire, wire_len, &decoded, err, sizeof(err)) == 0,
                "the sender cannot decode the reply (status %d, reason '%s'): %s",
                (int)reply.status, reply.reason, err);
    FUZZ_ASSERT(decoded.status == reply.status && decoded.acked_seq == reply.acked_seq &&
                    decoded.resend_from == reply.resend_from &&
                    strcmp(decoded.reason, reply.reason) == 0,
                "the reply changed on the wire");
    free(wire);

    if (rc == 0 && sqlite3_total_changes(w->db) == changes)
        return rc; /* nothing was even attempted */
    fuzz_agg_state_read(w, &after);
    if (rc == 1) {
        FUZZ_ASSERT(reply.status == RCL_REPLY_ACK && reply.has_digest,
                    "committed, but answered status %d", (int)reply.status);
        for (int who = 0; who < FUZZ_WHO_COUNT; who++) {
            if (strcmp(w->src[who].id, reply.source) == 0)
                FUZZ_ASSERT(after.applied_seq[who] == reply.acked_seq,
                            "acked seq %llu, applied seq %llu", (unsigned long long)reply.acked_seq,
                            (unsigned long long)after.applied_seq[who]);
        }
        check_summaries(w);
    } else {
        /* Anything not committed must leave no trace. */
        FUZZ_ASSERT(memcmp(&before, &after, sizeof(before)) == 0,
                    "a batch answered with status %d without a commit changed the store",
                    (int)reply.status);
    }
    return rc;
}

/* ---- School world ---- */

static struct fuzz_school *school_world;

static void school_world_build(struct fuzz_school *w)
{
    struct fuzz_node school, county;
    struct rcl_school_import_result res;
    char path[600], csv[600], err[512];
    sqlite3 *file_db;
    FILE *f;

    fuzz_node_make(&school, FUZZ_SCHOOL_ID);
    fuzz_node_make(&county, fuzz_agg_ids[FUZZ_COUNTY]);
    memset(&w->meta, 0, sizeof(w->meta));
    snprintf(w->meta.school_id, sizeof(w->meta.school_id), FUZZ_SCHOOL_ID);
    snprintf(w->meta.county, sizeof(w->meta.county), "%s", fuzz_agg_ids[FUZZ_COUNTY]);
    snprintf(w->meta.name, sizeof(w->meta.name), "第一小学");
    snprintf(w->meta.upstream, sizeof(w->meta.upstream), "tcp://127.0.0.1:7100");
    memcpy(w->meta.upstream_key, county.pk, RCL_PK_BYTES);
    memcpy(w->meta.public_key, school.pk, RCL_PK_BYTES);
    rcl_school_pseudonym_default_key(w->meta.pseudonym_key);

    fuzz_tmpdir("school", w->dir, sizeof(w->dir));
    snprintf(path, sizeof(path), "%s/school.db", w->dir);
    file_db = rcl_school_store_open(path, RCL_DB_CREATE, err, sizeof(err));
    FUZZ_ASSERT(file_db != NULL, "%s", err);
    FUZZ_ASSERT(rcl_school_store_init(file_db, &w->meta, school.sk, err, sizeof(err)) == 0,
                "%s: %s", path, err);
    /* Students already there, so rows that change or repeat them are fuzzed too. */
    snprintf(csv, sizeof(csv), "%s/base.csv", w->dir);
    f = fopen(csv, "wb");
    FUZZ_ASSERT(f != NULL && fputs(FUZZ_SCHOOL_BASE_CSV, f) >= 0 && fclose(f) == 0,
                "%s: cannot write", csv);
    FUZZ_ASSERT(rcl_school_import(file_db, &w->meta, csv, stderr, &res) == 0 && res.added == 3,
                "%s: the base students were not imported", csv);
    unlink(csv);

    w->pristine = memory_copy(file_db);
    w->db = memory_copy(file_db);
    w->changes_mark = sqlite3_total_changes(w->db);
    rcl_db_close(&file_db);
    unlink(path);
}

struct fuzz_school *fuzz_school_world(void)
{
    if (school_world == NULL) {
        fuzz_init_process();
        school_world = calloc(1, sizeof(*school_world));
        FUZZ_ASSERT(school_world != NULL, "out of memory");
        school_world_build(school_world);
    }
    return school_world;
}

void fuzz_school_reset(struct fuzz_school *w)
{
    restore(w->db, w->pristine, &w->changes_mark);
}

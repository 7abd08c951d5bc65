/*
 * fuzz_fixture.h - what the fuzz targets share: node keys derived from their
 * ids (so a committed corpus of signed envelopes stays valid from run to
 * run), aggregator and school stores built once per process in a temporary
 * folder and then held in memory, and the pristine copy every input starts
 * from, so no input depends on the ones before it.
 *
 * Every check that fails aborts the process with a message on stderr: under
 * libFuzzer that is a crash with the input saved, in the replay tests a
 * failed test.
 */
#ifndef RCL_FUZZ_FIXTURE_H
#define RCL_FUZZ_FIXTURE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "agg_store.h"
#include "rcl_codec.h"
#include "rcl_keys.h"
#include "school_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The clock every store and ingest sees, so runs repeat exactly. */
#define FUZZ_NOW 1700000000

/* Fails the run: prints "fuzz: FILE:LINE: message" and aborts. */
#define FUZZ_ASSERT(cond, ...)                                                                     \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);                                            \
    } while (0)

void fuzz_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* Quiets logs and progress lines, disables crash points, starts libsodium. Idempotent. */
void fuzz_init_process(void);

/*
 * A fresh folder under $ROLLCALL_TEST_TMP, $TMPDIR or /tmp (path in out),
 * removed with everything in it at exit. Aborts on failure.
 */
void fuzz_tmpdir(const char *name, char *out, size_t outlen);

/* ---- Nodes ---- */

struct fuzz_node {
    char id[RCL_ID_MAX + 1];
    uint8_t pk[RCL_PK_BYTES];
    uint8_t sk[RCL_SK_BYTES];
};

/* The node named id, its key derived from the id (test keys, never secret). */
void fuzz_node_make(struct fuzz_node *n, const char *id);

/* ---- Aggregator worlds ---- */

enum fuzz_tier { FUZZ_COUNTY, FUZZ_CITY, FUZZ_PROVINCE, FUZZ_TIER_COUNT };

/* Each world enrolls two sources: one that never sent anything, one with a history. */
enum fuzz_who { FUZZ_FRESH, FUZZ_HISTORY, FUZZ_WHO_COUNT };

/* What a refused or unapplied batch must leave as it was. */
struct fuzz_agg_state {
    uint64_t applied_seq[FUZZ_WHO_COUNT];
    uint64_t epoch[FUZZ_WHO_COUNT];
    uint64_t outbox_last_seq;
    int64_t rows; /* students at a county, summaries above */
};

struct fuzz_agg {
    enum fuzz_tier tier;
    struct rcl_agg_config cfg;
    sqlite3 *db;       /* the store every input is ingested into, in memory */
    sqlite3 *pristine; /* its state before any input */
    struct fuzz_node src[FUZZ_WHO_COUNT];
    int changes_mark; /* sqlite3_total_changes(db) right after the last restore */
    struct fuzz_agg_state pristine_state;
};

/* The ids of each world: the aggregator, then its sources by enum fuzz_who. */
extern const char *const fuzz_agg_ids[FUZZ_TIER_COUNT];
extern const char *const fuzz_source_ids[FUZZ_TIER_COUNT][FUZZ_WHO_COUNT];

/*
 * The world of tier, built on first use: a store with its sources enrolled
 * and the history batch of FUZZ_HISTORY applied. Aborts on failure.
 */
struct fuzz_agg *fuzz_agg_world(enum fuzz_tier tier);

/* Puts w back to its pristine state when the last input may have written to it. */
void fuzz_agg_reset(struct fuzz_agg *w);

void fuzz_agg_state_read(struct fuzz_agg *w, struct fuzz_agg_state *out);

/*
 * Ingests msg as if it came over a connection authenticated as user, then
 * checks what must hold for any input: the reply is one the sender can
 * decode, no transaction is left open, a commit is an ACK of the batch's
 * last seq, and anything else left the store as it was. Returns what
 * rcl_agg_ingest returned.
 */
int fuzz_agg_ingest_checked(struct fuzz_agg *w, const uint8_t *msg, size_t len, const char *user);

/*
 * The encoded history batch of tier's FUZZ_HISTORY source (epoch 1, seqs
 * 1..3), as the world applies it; its digest is what a next batch names as
 * prev_digest. *out is malloc'd. 0, or -1.
 */
int fuzz_history_payload(enum fuzz_tier tier, uint8_t **out, size_t *len);

/* ---- Building changes (for the history and the seed corpus) ---- */

void fuzz_change_student(struct rcl_change *c, uint64_t seq, int who, uint32_t network,
                         uint32_t devices, unsigned participation, int measure_status);
void fuzz_change_profile(struct rcl_change *c, uint64_t seq, const char *school, const char *name,
                         const char *county);
void fuzz_change_summary(struct rcl_change *c, uint64_t seq, const char *school, bool reported,
                         uint64_t students);

/*
 * Encodes a batch of n changes from source (epoch, first..last, prev may be
 * NULL) into *out (malloc'd). 0, or -1.
 */
int fuzz_batch_build(const char *source, uint64_t epoch, uint64_t first, uint64_t last,
                     const uint8_t *prev, const struct rcl_change *changes, size_t n, uint8_t **out,
                     size_t *len);

/* ---- School world ---- */

struct fuzz_school {
    struct rcl_school_meta meta;
    sqlite3 *db;       /* in memory */
    sqlite3 *pristine; /* before any input */
    int changes_mark;
    char dir[512]; /* the temporary folder inputs are written to */
};

/* The school store with the students of FUZZ_SCHOOL_BASE_CSV imported. Aborts on failure. */
struct fuzz_school *fuzz_school_world(void);
void fuzz_school_reset(struct fuzz_school *w);

#define FUZZ_SCHOOL_ID "4113810001"
#define FUZZ_SCHOOL_BASE_CSV                                                                       \
    "student_id,name,grade,class,network,devices,groups,assistance,participation\n"                \
    "G41138120100101001X,张三,3,3-1,broadband,computer,left_behind,,\n"                          \
    "G411381201001010028,李四,4,4-2,cable_tv,tv,poverty_card;disabled,loaned_device,irregular\n" \
    "J411381000000000001,王五,12,12-1,,,,one_to_one:planned,absent\n"

#endif

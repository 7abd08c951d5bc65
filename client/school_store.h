/*
 * school_store.h - the school's SQLite store: schema, identity, students.
 *
 * Tables: meta (school_id, county, name, upstream, upstream_key,
 * secret_key, public_key, pseudonym_key), students (one row per student,
 * keyed by the student number), and the outbox tables (rcl_outbox.h).
 * Every change to a student is appended to the outbox in the same
 * transaction as the row itself.
 */
#ifndef RCL_SCHOOL_STORE_H
#define RCL_SCHOOL_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "pseudonym.h"
#include "rcl_codec.h"
#include "rcl_db.h"
#include "rcl_keys.h"
#include "rcl_model.h"

#define RCL_SCHOOL_ENDPOINT_MAX 255

/* What init records about the school, loaded by every later command. */
struct rcl_school_meta {
    char school_id[RCL_ID_MAX + 1];
    char county[RCL_COUNTY_LEN + 1];
    char name[RCL_NAME_MAX + 1];
    char upstream[RCL_SCHOOL_ENDPOINT_MAX + 1];
    uint8_t upstream_key[RCL_PK_BYTES];
    uint8_t public_key[RCL_PK_BYTES];
    uint8_t pseudonym_key[RCL_SCHOOL_PSEUDONYM_KEY_BYTES]; /* wipe with rcl_school_meta_wipe */
};

/*
 * Opens (RCL_DB_EXISTING) or creates (RCL_DB_CREATE) the store at path and
 * brings its schema up to date. NULL with "path: reason" in err.
 */
sqlite3 *rcl_school_store_open(const char *path, enum rcl_db_mode mode, char *err, size_t errlen);

/*
 * Writes a new store's identity: meta m (public_key included), the secret
 * key sk, and the school's profile appended to the outbox (entity
 * "school"), all in one transaction. Returns 0, or -1 with a reason in err.
 */
int rcl_school_store_init(sqlite3 *db, const struct rcl_school_meta *m,
                          const uint8_t sk[RCL_SK_BYTES], char *err, size_t errlen);

/*
 * Loads the meta init wrote. Returns 0, or -1 with a reason in err (a store
 * without a school id is not a school store). Wipe m after use.
 */
int rcl_school_meta_load(sqlite3 *db, struct rcl_school_meta *m, char *err, size_t errlen);
void rcl_school_meta_wipe(struct rcl_school_meta *m);

/* Loads the secret key into sk (the caller wipes it). Returns 0, or -1. */
int rcl_school_secret_key_load(sqlite3 *db, uint8_t sk[RCL_SK_BYTES]);

/*
 * Replaces the upstream's endpoint and/or key (either may be NULL: kept), in
 * one transaction. Returns 0, or -1 with a reason in err.
 */
int rcl_school_upstream_set(sqlite3 *db, const char *endpoint, const uint8_t key[RCL_PK_BYTES],
                            char *err, size_t errlen);

/* Reads the student with number id into out. Returns 1 found, 0 absent, -1 store error (logged). */
int rcl_school_student_get(sqlite3 *db, const char *id, struct rcl_student *out);

/* True when a and b hold the same data (the pseudonym is not compared). */
bool rcl_school_student_equal(const struct rcl_student *a, const struct rcl_student *b);

enum rcl_school_save {
    RCL_SCHOOL_SAVE_FAILED = -1,
    RCL_SCHOOL_SAVE_NEW,
    RCL_SCHOOL_SAVE_CHANGED,
    RCL_SCHOOL_SAVE_UNCHANGED,
};

/*
 * Saves s, inside the caller's transaction. old is the stored row as read
 * by rcl_school_student_get, or NULL when there is none. When s differs
 * from old, the row is written and the full student, with its pseudonym
 * under pseudonym_key (also written into s), is appended to the outbox as
 * "student:<pseudonym hex>"; when it is the same, nothing is written.
 */
enum rcl_school_save
rcl_school_student_save(sqlite3 *db, const uint8_t pseudonym_key[RCL_SCHOOL_PSEUDONYM_KEY_BYTES],
                        struct rcl_student *s, const struct rcl_student *old, int64_t now);

/* Number of students. Returns 0, or -1 (logged). */
int rcl_school_students_count(sqlite3 *db, uint64_t *out);

/*
 * Calls fn for every student in student number order; a non-zero return
 * from fn stops the walk and is returned. Returns 0, or -1 on a store error.
 */
typedef int (*rcl_school_student_fn)(void *arg, const struct rcl_student *s);
int rcl_school_students_each(sqlite3 *db, rcl_school_student_fn fn, void *arg);

/* ---- Removals (school_departure.c) ---- */

/*
 * Removes the student with number id (inside the caller's transaction): the
 * row and its measure details go, a departures row (d's reason, destination
 * and date, with the student's name, grade and class) is kept, and the
 * tombstone is appended to the outbox as "student:<pseudonym hex>", so it
 * replaces an unsent update. Returns 1 removed, 0 no such student, -1 store
 * error (logged).
 */
int rcl_school_student_remove(sqlite3 *db,
                              const uint8_t pseudonym_key[RCL_SCHOOL_PSEUDONYM_KEY_BYTES],
                              const char *id, const struct rcl_departure *d, int64_t now);

/* Forgets id's departures row (the student is enrolled again). 0, or -1 logged. */
int rcl_school_departure_forget(sqlite3 *db, const char *id);

/* Appends every departure as a tombstone snapshot record (not counted). 0, or -1 logged. */
int rcl_school_departures_snapshot(sqlite3 *db);

/* ---- Profile (school_profile.c) ---- */

/*
 * Reads the school's profile: id, name and county from m, the rest (platforms,
 * materials, contact role, parent school) from the store. 0, or -1 logged.
 */
int rcl_school_profile_load(sqlite3 *db, const struct rcl_school_meta *m,
                            struct rcl_school_profile *out);

/*
 * Writes p's platforms, materials, contact role and parent school (inside
 * the caller's transaction) and appends the profile to the outbox (entity
 * "school"). 0, or -1 logged.
 */
int rcl_school_profile_save(sqlite3 *db, const struct rcl_school_profile *p);

/*
 * The school's snapshot for a new epoch (an rcl_snapshot_fn; arg is the
 * const struct rcl_school_meta *): its profile and every student, counted in
 * *records (students only). Runs inside rcl_outbox_new_epoch's transaction.
 */
int rcl_school_snapshot(void *arg, sqlite3 *db, uint64_t *records);

/* ---- One writer while serve runs (store_lock.c) ---- */

enum rcl_school_lock_mode {
    RCL_SCHOOL_LOCK_WRITER, /* a command that writes: shares the store with others, not with serve
                             */
    RCL_SCHOOL_LOCK_SERVE,  /* serve: holds the store alone */
};

/*
 * Takes the lock of the store at db_path (on the file db_path.lock) without
 * waiting. Returns 0 with the lock in *lock (release with
 * rcl_school_store_unlock), 1 with a sentence in err naming who holds it, or
 * -1 with err when the lock file cannot be used (no such folder, ...).
 */
struct rcl_lock;
int rcl_school_store_lock(const char *db_path, enum rcl_school_lock_mode mode,
                          struct rcl_lock **lock, char *err, size_t errlen);
void rcl_school_store_unlock(struct rcl_lock **lock);

#endif

/*
 * school_store.c - the school's SQLite store (see school_store.h).
 *
 * The schema and every statement on it live here, together.
 */
#include "school_store.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "rcl_log.h"
#include "rcl_outbox.h"

/* ---- Schema: migrations[i] takes user_version i to i+1 ---- */

#define SCHOOL_SCHEMA_V1                                                                           \
    RCL_DB_META_SQL                                                                                \
    "CREATE TABLE students("                                                                       \
    " student_id TEXT PRIMARY KEY,"                                                                \
    " name TEXT NOT NULL,"                                                                         \
    " grade INTEGER NOT NULL,"                                                                     \
    " class TEXT NOT NULL,"                                                                        \
    " network INTEGER NOT NULL DEFAULT 0,"                                                         \
    " devices INTEGER NOT NULL DEFAULT 0,"                                                         \
    " platform TEXT NOT NULL DEFAULT '',"                                                          \
    " \"groups\" INTEGER NOT NULL DEFAULT 0,"                                                      \
    " participation INTEGER NOT NULL DEFAULT 0,"                                                   \
    " measures TEXT NOT NULL DEFAULT '',"                                                          \
    " feedback TEXT NOT NULL DEFAULT '',"                                                          \
    " updated_at INTEGER NOT NULL DEFAULT 0"                                                       \
    ") WITHOUT ROWID;"

/*
 * Version 4 -> 5: the full record. The measures column keeps its text
 * ("kind;kind:planned"); each measure's helper role and dates sit in
 * measure_details by position. A removed student leaves a departures row
 * (so a new epoch's snapshot tells the county again); the profile's
 * platforms have a table, its other fields are meta keys.
 */
#define SCHOOL_SCHEMA_V5                                                                           \
    "ALTER TABLE students ADD COLUMN optout_status INTEGER NOT NULL DEFAULT 0;"                    \
    "ALTER TABLE students ADD COLUMN optout_reason TEXT NOT NULL DEFAULT '';"                      \
    "ALTER TABLE students ADD COLUMN optout_filed TEXT NOT NULL DEFAULT '';"                       \
    "ALTER TABLE students ADD COLUMN optout_decided TEXT NOT NULL DEFAULT '';"                     \
    "CREATE TABLE measure_details("                                                                \
    " student_id TEXT NOT NULL, idx INTEGER NOT NULL, kind INTEGER NOT NULL,"                      \
    " helper_role TEXT NOT NULL, start_date TEXT NOT NULL, end_date TEXT NOT NULL,"                \
    " PRIMARY KEY(student_id, idx)) WITHOUT ROWID;"                                                \
    "CREATE TABLE departures("                                                                     \
    " student_id TEXT PRIMARY KEY, pseudonym BLOB NOT NULL, name TEXT NOT NULL,"                   \
    " grade INTEGER NOT NULL, class TEXT NOT NULL, reason INTEGER NOT NULL,"                       \
    " destination TEXT NOT NULL, left_on TEXT NOT NULL, removed_at INTEGER NOT NULL"               \
    ") WITHOUT ROWID;"                                                                             \
    "CREATE TABLE platforms(idx INTEGER PRIMARY KEY, name TEXT NOT NULL,"                          \
    " kind INTEGER NOT NULL, classes TEXT NOT NULL);"

/*
 * Version 5 -> 6: where a student is now (county code, village or
 * community) and who to call: the guardian's and each helper's phone.
 */
#define SCHOOL_SCHEMA_V6                                                                           \
    "ALTER TABLE students ADD COLUMN place_county TEXT NOT NULL DEFAULT '';"                       \
    "ALTER TABLE students ADD COLUMN place TEXT NOT NULL DEFAULT '';"                              \
    "ALTER TABLE students ADD COLUMN guardian_contact TEXT NOT NULL DEFAULT '';"                   \
    "ALTER TABLE measure_details ADD COLUMN helper_contact TEXT NOT NULL DEFAULT '';"

static const char *const school_migrations[] = {
    SCHOOL_SCHEMA_V1,  RCL_OUTBOX_SQL,
    RCL_OUTBOX_SQL_V2, /* a separate step: it is a run-time string, not a literal */
    RCL_OUTBOX_SQL_V3, SCHOOL_SCHEMA_V5,
    SCHOOL_SCHEMA_V6,
};

#define STUDENT_COLUMNS                                                                            \
    "student_id, name, grade, class, network, devices, platform, \"groups\", participation, "      \
    "measures, feedback, optout_status, optout_reason, optout_filed, optout_decided, "             \
    "place_county, place, guardian_contact"

#define SQL_STUDENT_GET "SELECT " STUDENT_COLUMNS " FROM students WHERE student_id = ?1"
#define SQL_STUDENT_EACH "SELECT " STUDENT_COLUMNS " FROM students ORDER BY student_id"
#define SQL_STUDENT_PUT                                                                            \
    "INSERT OR REPLACE INTO students(" STUDENT_COLUMNS ", updated_at)"                             \
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
#define SQL_STUDENT_COUNT "SELECT count(*) FROM students"
#define SQL_DETAILS_GET                                                                            \
    "SELECT idx, kind, helper_role, start_date, end_date, helper_contact FROM measure_details"     \
    " WHERE student_id = ?1 ORDER BY idx"
#define SQL_DETAILS_CLEAR "DELETE FROM measure_details WHERE student_id = ?1"
#define SQL_DETAILS_PUT                                                                            \
    "INSERT INTO measure_details(student_id, idx, kind, helper_role, start_date, end_date,"        \
    " helper_contact) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
#define SQL_DEPARTURE_FORGET "DELETE FROM departures WHERE student_id = ?1"

sqlite3 *rcl_school_store_open(const char *path, enum rcl_db_mode mode, char *err, size_t errlen)
{
    return rcl_db_open(path, mode, school_migrations,
                       (int)(sizeof(school_migrations) / sizeof(school_migrations[0])), err,
                       errlen);
}

/* ---- Identity ---- */

/* Appends the school's profile to the outbox (entity NULL: a snapshot record). 0, or -1 logged. */
static int append_profile(sqlite3 *db, const struct rcl_school_meta *m, const char *entity)
{
    struct rcl_change c;

    memset(&c, 0, sizeof(c));
    c.kind = RCL_CHANGE_SCHOOL;
    if (rcl_school_profile_load(db, m, &c.u.school) != 0)
        return -1;
    return rcl_outbox_append(db, entity, &c);
}

int rcl_school_store_init(sqlite3 *db, const struct rcl_school_meta *m,
                          const uint8_t sk[RCL_SK_BYTES], char *err, size_t errlen)
{
    if (rcl_db_begin(db) != 0) {
        snprintf(err, errlen, "cannot start a transaction: %s", sqlite3_errmsg(db));
        return -1;
    }
    if (rcl_meta_set_text(db, "school_id", m->school_id) != 0 ||
        rcl_meta_set_text(db, "county", m->county) != 0 ||
        rcl_meta_set_text(db, "name", m->name) != 0 ||
        rcl_meta_set_text(db, "upstream", m->upstream) != 0 ||
        rcl_meta_set_blob(db, "upstream_key", m->upstream_key, RCL_PK_BYTES) != 0 ||
        rcl_meta_set_blob(db, "public_key", m->public_key, RCL_PK_BYTES) != 0 ||
        rcl_meta_set_blob(db, "secret_key", sk, RCL_SK_BYTES) != 0 ||
        rcl_meta_set_blob(db, "pseudonym_key", m->pseudonym_key, RCL_SCHOOL_PSEUDONYM_KEY_BYTES) !=
            0) {
        snprintf(err, errlen, "cannot write the school's settings: %s", sqlite3_errmsg(db));
        goto fail;
    }

    /* The county learns the school's name and county from this first change. */
    if (append_profile(db, m, "school") != 0) {
        snprintf(err, errlen, "cannot queue the school profile: %s", sqlite3_errmsg(db));
        goto fail;
    }
    if (rcl_db_commit(db) != 0) {
        snprintf(err, errlen, "cannot commit: %s", sqlite3_errmsg(db));
        goto fail;
    }
    return 0;
fail:
    rcl_db_rollback(db);
    return -1;
}

int rcl_school_meta_load(sqlite3 *db, struct rcl_school_meta *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof(*m));
    if (rcl_meta_get_text(db, "school_id", m->school_id, sizeof(m->school_id)) != 0) {
        snprintf(err, errlen, "not a rollcall-school store (it has no school id)");
        return -1;
    }
    const char *missing = NULL;
    if (rcl_meta_get_text(db, "county", m->county, sizeof(m->county)) != 0)
        missing = "county";
    else if (rcl_meta_get_text(db, "name", m->name, sizeof(m->name)) != 0)
        missing = "name";
    else if (rcl_meta_get_text(db, "upstream", m->upstream, sizeof(m->upstream)) != 0)
        missing = "upstream";
    else if (rcl_meta_get_blob(db, "upstream_key", m->upstream_key, RCL_PK_BYTES) != 0)
        missing = "upstream_key";
    else if (rcl_meta_get_blob(db, "public_key", m->public_key, RCL_PK_BYTES) != 0)
        missing = "public_key";
    else if (rcl_meta_get_blob(db, "pseudonym_key", m->pseudonym_key,
                               RCL_SCHOOL_PSEUDONYM_KEY_BYTES) != 0)
        missing = "pseudonym_key";
    if (missing != NULL) {
        snprintf(err, errlen, "store is damaged: setting '%s' is missing or malformed", missing);
        rcl_school_meta_wipe(m);
        return -1;
    }
    return 0;
}

void rcl_school_meta_wipe(struct rcl_school_meta *m)
{
    sodium_memzero(m, sizeof(*m));
}

int rcl_school_secret_key_load(sqlite3 *db, uint8_t sk[RCL_SK_BYTES])
{
    if (rcl_meta_get_blob(db, "secret_key", sk, RCL_SK_BYTES) != 0) {
        sodium_memzero(sk, RCL_SK_BYTES);
        return -1;
    }
    return 0;
}

int rcl_school_upstream_set(sqlite3 *db, const char *endpoint, const uint8_t key[RCL_PK_BYTES],
                            char *err, size_t errlen)
{
    if (rcl_db_begin(db) != 0) {
        snprintf(err, errlen, "cannot start a transaction: %s", sqlite3_errmsg(db));
        return -1;
    }
    if ((endpoint != NULL && rcl_meta_set_text(db, "upstream", endpoint) != 0) ||
        (key != NULL && rcl_meta_set_blob(db, "upstream_key", key, RCL_PK_BYTES) != 0) ||
        rcl_db_commit(db) != 0) {
        snprintf(err, errlen, "cannot write the upstream settings: %s", sqlite3_errmsg(db));
        rcl_db_rollback(db);
        return -1;
    }
    return 0;
}

/* ---- Students ---- */

/* Copies text column col into out; -1 when it does not fit (a damaged row). */
static int column_text(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    if (t == NULL)
        n = 0;
    if (n >= outlen)
        return -1;
    if (n > 0)
        memcpy(out, t, n);
    out[n] = '\0';
    return 0;
}

/* Fills out from a row of STUDENT_COLUMNS. Returns 0, or -1 for a damaged row (logged). */
static int read_student_row(sqlite3_stmt *st, struct rcl_student *out)
{
    char measures[RCL_MEASURES_MAX * 32];
    char bad[64];
    sqlite3_int64 grade = sqlite3_column_int64(st, 2);
    sqlite3_int64 part = sqlite3_column_int64(st, 8);
    sqlite3_int64 optout = sqlite3_column_int64(st, 11);

    memset(out, 0, sizeof(*out));
    if (column_text(st, 0, out->id, sizeof(out->id)) != 0 ||
        column_text(st, 1, out->name, sizeof(out->name)) != 0 ||
        column_text(st, 3, out->class_name, sizeof(out->class_name)) != 0 ||
        column_text(st, 6, out->platform, sizeof(out->platform)) != 0 ||
        column_text(st, 9, measures, sizeof(measures)) != 0 ||
        column_text(st, 10, out->feedback, sizeof(out->feedback)) != 0 ||
        column_text(st, 12, out->optout_reason, sizeof(out->optout_reason)) != 0 ||
        column_text(st, 13, out->optout_filed, sizeof(out->optout_filed)) != 0 ||
        column_text(st, 14, out->optout_decided, sizeof(out->optout_decided)) != 0 ||
        column_text(st, 15, out->place_county, sizeof(out->place_county)) != 0 ||
        column_text(st, 16, out->place, sizeof(out->place)) != 0 ||
        column_text(st, 17, out->guardian_contact, sizeof(out->guardian_contact)) != 0 ||
        optout < 0 || optout >= RCL_OPTOUT_STATUS_COUNT || grade < 1 || grade > 12 || part < 0 ||
        part >= RCL_PARTICIPATION_COUNT ||
        rcl_measures_parse(measures, out->measures, &out->n_measures, bad, sizeof(bad)) != 0) {
        RCL_ERROR("store: a students row is damaged");
        return -1;
    }
    out->grade = (unsigned)grade;
    out->participation = (unsigned)part;
    out->optout_status = (unsigned)optout;
    out->network = (uint32_t)sqlite3_column_int64(st, 4) & (RCL_BIT(RCL_NETWORK_COUNT) - 1);
    out->devices = (uint32_t)sqlite3_column_int64(st, 5) & (RCL_BIT(RCL_DEVICE_COUNT) - 1);
    out->groups = (uint32_t)sqlite3_column_int64(st, 7) & (RCL_BIT(RCL_GROUP_COUNT) - 1);
    return 0;
}

/*
 * Attaches each measure's helper role and dates (measure_details, by
 * position; a row whose kind no longer matches is stale and ignored).
 * Returns 0, or -1 logged.
 */
static int read_details(sqlite3 *db, struct rcl_student *s)
{
    sqlite3_stmt *st;
    int step, rc = 0;

    if (s->n_measures == 0)
        return 0; /* nothing to attach details to: spare the query */
    st = rcl_db_prepare(db, SQL_DETAILS_GET);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_int64 idx = sqlite3_column_int64(st, 0);
        struct rcl_measure *m;

        if (idx < 0 || (size_t)idx >= s->n_measures)
            continue;
        m = &s->measures[idx];
        if (sqlite3_column_int64(st, 1) != m->kind)
            continue;
        if (column_text(st, 2, m->helper_role, sizeof(m->helper_role)) != 0 ||
            column_text(st, 3, m->start_date, sizeof(m->start_date)) != 0 ||
            column_text(st, 4, m->end_date, sizeof(m->end_date)) != 0 ||
            column_text(st, 5, m->helper_contact, sizeof(m->helper_contact)) != 0) {
            RCL_ERROR("store: a measure_details row of a student is damaged");
            rc = -1;
            break;
        }
    }
    if (rc == 0 && step != SQLITE_DONE) {
        RCL_ERROR("store: reading measure details failed err=%s",
                  rcl_log_value(sqlite3_errmsg(db)));
        rc = -1;
    }
    sqlite3_finalize(st);
    return rc;
}

static bool any_details(const struct rcl_student *s)
{
    for (size_t i = 0; s != NULL && i < s->n_measures; i++) {
        if (rcl_measure_has_details(&s->measures[i]))
            return true;
    }
    return false;
}

/*
 * Replaces the student's measure_details rows with those of s; old is the
 * stored row (NULL: none, so no rows to clear). 0, or -1 logged.
 */
static int put_details(sqlite3 *db, const struct rcl_student *s, const struct rcl_student *old)
{
    sqlite3_stmt *st;
    int rc = -1;

    /* Most students have no details: then neither the delete nor the inserts are needed. */
    if (!any_details(old) && !any_details(s))
        return 0;
    if (rcl_db_run_id(db, SQL_DETAILS_CLEAR, s->id, "clearing a student's measure details") != 0)
        return -1;
    st = rcl_db_prepare(db, SQL_DETAILS_PUT);
    if (st == NULL)
        return -1;
    for (size_t i = 0; i < s->n_measures; i++) {
        const struct rcl_measure *m = &s->measures[i];

        if (!rcl_measure_has_details(m))
            continue;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        sqlite3_bind_int64(st, 3, m->kind);
        sqlite3_bind_text(st, 4, m->helper_role, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, m->start_date, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, m->end_date, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, m->helper_contact, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto fail;
    }
    rc = 0;
fail:
    if (rc != 0)
        RCL_ERROR("store: writing measure details failed err=%s",
                  rcl_log_value(sqlite3_errmsg(db)));
    sqlite3_finalize(st);
    return rc;
}

int rcl_school_student_get(sqlite3 *db, const char *id, struct rcl_student *out)
{
    int rc = -1;
    sqlite3_stmt *st = rcl_db_prepare(db, SQL_STUDENT_GET);
    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = read_student_row(st, out) == 0 && read_details(db, out) == 0 ? 1 : -1;
    else if (step == SQLITE_DONE)
        rc = 0;
    else
        RCL_ERROR("store: reading a student failed err=%s", rcl_log_value(sqlite3_errmsg(db)));
    sqlite3_finalize(st);
    return rc;
}

bool rcl_school_student_equal(const struct rcl_student *a, const struct rcl_student *b)
{
    if (strcmp(a->id, b->id) != 0 || strcmp(a->name, b->name) != 0 || a->grade != b->grade ||
        strcmp(a->class_name, b->class_name) != 0 || a->network != b->network ||
        a->devices != b->devices || strcmp(a->platform, b->platform) != 0 ||
        a->groups != b->groups || a->participation != b->participation ||
        a->n_measures != b->n_measures || strcmp(a->feedback, b->feedback) != 0 ||
        a->optout_status != b->optout_status || strcmp(a->optout_reason, b->optout_reason) != 0 ||
        strcmp(a->optout_filed, b->optout_filed) != 0 ||
        strcmp(a->optout_decided, b->optout_decided) != 0 ||
        strcmp(a->place_county, b->place_county) != 0 || strcmp(a->place, b->place) != 0 ||
        strcmp(a->guardian_contact, b->guardian_contact) != 0)
        return false;
    for (size_t i = 0; i < a->n_measures; i++) {
        if (!rcl_measure_equal(&a->measures[i], &b->measures[i]))
            return false;
    }
    return true;
}

/* Writes the row (old: the stored one, or NULL). Returns 0, or -1 logged. */
static int put_student(sqlite3 *db, const struct rcl_student *s, const struct rcl_student *old,
                       int64_t now)
{
    char measures[RCL_MEASURES_MAX * 32];
    int rc = -1;
    sqlite3_stmt *st = rcl_db_prepare(db, SQL_STUDENT_PUT);
    if (st == NULL)
        return -1;
    rcl_measures_format(s->measures, s->n_measures, measures, sizeof(measures));
    sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, s->grade);
    sqlite3_bind_text(st, 4, s->class_name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, s->network);
    sqlite3_bind_int64(st, 6, s->devices);
    sqlite3_bind_text(st, 7, s->platform, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, s->groups);
    sqlite3_bind_int64(st, 9, s->participation);
    sqlite3_bind_text(st, 10, measures, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 11, s->feedback, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, s->optout_status);
    sqlite3_bind_text(st, 13, s->optout_reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 14, s->optout_filed, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 15, s->optout_decided, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 16, s->place_county, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 17, s->place, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 18, s->guardian_contact, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 19, now);
    if (sqlite3_step(st) == SQLITE_DONE)
        rc = 0;
    else
        RCL_ERROR("store: writing a student failed err=%s", rcl_log_value(sqlite3_errmsg(db)));
    sqlite3_finalize(st);
    if (rc == 0)
        rc = put_details(db, s, old);
    return rc;
}

/*
 * Appends student s (pseudonym already set) to the outbox, as the coalescing
 * entity "student:<pseudonym hex>", or as a snapshot record when coalesce is
 * false. Returns 0, or -1 logged.
 */
static int append_student(sqlite3 *db, const struct rcl_student *s, bool coalesce)
{
    struct rcl_change c;
    char entity[8 + 2 * RCL_PSEUDONYM_BYTES + 1];
    int rc;

    memset(&c, 0, sizeof(c));
    c.kind = RCL_CHANGE_STUDENT;
    c.u.student = *s;
    /* The codec never encodes the number; blanking it here keeps it off the outbox path too. */
    memset(c.u.student.id, 0, sizeof(c.u.student.id));
    memcpy(entity, "student:", 8);
    sodium_bin2hex(entity + 8, sizeof(entity) - 8, s->pseudonym, RCL_PSEUDONYM_BYTES);
    rc = rcl_outbox_append(db, coalesce ? entity : NULL, &c);
    /* Names are personal data: do not leave copies on the stack. */
    sodium_memzero(&c, sizeof(c));
    return rc;
}

enum rcl_school_save
rcl_school_student_save(sqlite3 *db, const uint8_t pseudonym_key[RCL_SCHOOL_PSEUDONYM_KEY_BYTES],
                        struct rcl_student *s, const struct rcl_student *old, int64_t now)
{
    if (old != NULL && rcl_school_student_equal(s, old))
        return RCL_SCHOOL_SAVE_UNCHANGED;

    rcl_school_pseudonym(pseudonym_key, s->id, s->pseudonym);
    if (put_student(db, s, old, now) != 0)
        return RCL_SCHOOL_SAVE_FAILED;
    /* A student back at the school is no longer a departure of it. */
    if (old == NULL && rcl_school_departure_forget(db, s->id) != 0)
        return RCL_SCHOOL_SAVE_FAILED;
    if (append_student(db, s, true) != 0)
        return RCL_SCHOOL_SAVE_FAILED;
    return old == NULL ? RCL_SCHOOL_SAVE_NEW : RCL_SCHOOL_SAVE_CHANGED;
}

struct snapshot_walk {
    sqlite3 *db;
    const struct rcl_school_meta *m;
    uint64_t records;
};

static int snapshot_student(void *arg, const struct rcl_student *s)
{
    struct snapshot_walk *w = arg;
    struct rcl_student copy = *s;
    int rc;

    rcl_school_pseudonym(w->m->pseudonym_key, copy.id, copy.pseudonym);
    rc = append_student(w->db, &copy, false);
    sodium_memzero(&copy, sizeof(copy));
    if (rc != 0)
        return -1;
    w->records++;
    return 0;
}

int rcl_school_snapshot(void *arg, sqlite3 *db, uint64_t *records)
{
    struct snapshot_walk w = {.db = db, .m = arg, .records = 0};

    *records = 0;
    /* Departures before students: a student who left and came back ends enrolled. */
    if (append_profile(db, w.m, NULL) != 0 || rcl_school_departures_snapshot(db) != 0 ||
        rcl_school_students_each(db, snapshot_student, &w) != 0)
        return -1;
    *records = w.records;
    return 0;
}

int rcl_school_students_count(sqlite3 *db, uint64_t *out)
{
    int rc = -1;
    sqlite3_stmt *st = rcl_db_prepare(db, SQL_STUDENT_COUNT);
    if (st == NULL)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *out = (uint64_t)sqlite3_column_int64(st, 0);
        rc = 0;
    } else {
        RCL_ERROR("store: counting students failed err=%s", rcl_log_value(sqlite3_errmsg(db)));
    }
    sqlite3_finalize(st);
    return rc;
}

int rcl_school_students_each(sqlite3 *db, rcl_school_student_fn fn, void *arg)
{
    struct rcl_student s;
    int rc = 0;
    int step;
    sqlite3_stmt *st = rcl_db_prepare(db, SQL_STUDENT_EACH);
    if (st == NULL)
        return -1;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (read_student_row(st, &s) != 0 || read_details(db, &s) != 0) {
            rc = -1;
            goto done;
        }
        rc = fn(arg, &s);
        if (rc != 0)
            goto done;
    }
    if (step != SQLITE_DONE) {
        RCL_ERROR("store: reading students failed err=%s", rcl_log_value(sqlite3_errmsg(db)));
        rc = -1;
    }
done:
    sqlite3_finalize(st);
    return rc;
}

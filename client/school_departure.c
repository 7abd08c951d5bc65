/*
 * school_departure.c - removing a student: the row goes, a departures row
 * stays, and a tombstone carries the reason to the county (see
 * school_store.h).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "rcl_log.h"
#include "rcl_outbox.h"
#include "school_store.h"

#define SQL_STUDENT_DELETE "DELETE FROM students WHERE student_id = ?1"
#define SQL_DETAILS_DELETE "DELETE FROM measure_details WHERE student_id = ?1"
#define SQL_DEPARTURE_PUT                                                                          \
    "INSERT OR REPLACE INTO departures(student_id, pseudonym, name, grade, class, reason,"         \
    " destination, left_on, removed_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
#define SQL_DEPARTURE_DELETE "DELETE FROM departures WHERE student_id = ?1"
#define SQL_DEPARTURE_EACH                                                                         \
    "SELECT pseudonym, name, grade, class, reason, destination, left_on FROM departures"           \
    " ORDER BY student_id"

static int put_departure(sqlite3 *db, const char *id, const struct rcl_departure *d, int64_t now)
{
    sqlite3_stmt *st = rcl_db_prepare(db, SQL_DEPARTURE_PUT);
    int rc = -1;

    if (st == NULL)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, d->pseudonym, RCL_PSEUDONYM_BYTES, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, d->grade);
    sqlite3_bind_text(st, 5, d->class_name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, d->reason);
    sqlite3_bind_text(st, 7, d->destination, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, d->left_on, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, now);
    if (sqlite3_step(st) == SQLITE_DONE)
        rc = 0;
    else
        RCL_ERROR("store: recording a departure failed err=%s", rcl_log_value(sqlite3_errmsg(db)));
    sqlite3_finalize(st);
    return rc;
}

/* Appends the tombstone, coalescing with the student's unsent changes unless entity is NULL. */
static int append_tombstone(sqlite3 *db, const struct rcl_departure *d, bool coalesce)
{
    struct rcl_change c;
    char entity[8 + 2 * RCL_PSEUDONYM_BYTES + 1];
    int rc;

    memset(&c, 0, sizeof(c));
    c.kind = RCL_CHANGE_REMOVED;
    c.u.removed = *d;
    memcpy(entity, "student:", 8);
    sodium_bin2hex(entity + 8, sizeof(entity) - 8, d->pseudonym, RCL_PSEUDONYM_BYTES);
    rc = rcl_outbox_append(db, coalesce ? entity : NULL, &c);
    sodium_memzero(&c, sizeof(c));
    return rc;
}

int rcl_school_student_remove(sqlite3 *db,
                              const uint8_t pseudonym_key[RCL_SCHOOL_PSEUDONYM_KEY_BYTES],
                              const char *id, const struct rcl_departure *d, int64_t now)
{
    struct rcl_student s;
    struct rcl_departure t = *d;
    int found, rc = -1;

    found = rcl_school_student_get(db, id, &s);
    if (found <= 0)
        return found;
    rcl_school_pseudonym(pseudonym_key, id, t.pseudonym);
    snprintf(t.name, sizeof(t.name), "%s", s.name);
    snprintf(t.class_name, sizeof(t.class_name), "%s", s.class_name);
    t.grade = s.grade;
    if (rcl_db_run_id(db, SQL_STUDENT_DELETE, id, "removing a student") != 0 ||
        rcl_db_run_id(db, SQL_DETAILS_DELETE, id, "removing a student's measure details") != 0 ||
        put_departure(db, id, &t, now) != 0 || append_tombstone(db, &t, true) != 0)
        goto done;
    rc = 1;
done:
    sodium_memzero(&s, sizeof(s));
    sodium_memzero(&t, sizeof(t));
    return rc;
}

int rcl_school_departure_forget(sqlite3 *db, const char *id)
{
    return rcl_db_run_id(db, SQL_DEPARTURE_DELETE, id, "forgetting a departure");
}

static void column_copy(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    snprintf(out, outlen, "%s", t != NULL ? (const char *)t : "");
}

int rcl_school_departures_snapshot(sqlite3 *db)
{
    sqlite3_stmt *st = rcl_db_prepare(db, SQL_DEPARTURE_EACH);
    int step, rc = 0;

    if (st == NULL)
        return -1;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct rcl_departure d;
        sqlite3_int64 grade = sqlite3_column_int64(st, 2), reason = sqlite3_column_int64(st, 4);

        memset(&d, 0, sizeof(d));
        if (sqlite3_column_bytes(st, 0) != RCL_PSEUDONYM_BYTES || grade < 0 || grade > 12 ||
            reason < 0 || reason >= RCL_DEPART_REASON_COUNT) {
            RCL_ERROR("store: a departures row is damaged");
            rc = -1;
            break;
        }
        memcpy(d.pseudonym, sqlite3_column_blob(st, 0), RCL_PSEUDONYM_BYTES);
        column_copy(st, 1, d.name, sizeof(d.name));
        d.grade = (unsigned)grade;
        column_copy(st, 3, d.class_name, sizeof(d.class_name));
        d.reason = (unsigned)reason;
        column_copy(st, 5, d.destination, sizeof(d.destination));
        column_copy(st, 6, d.left_on, sizeof(d.left_on));
        rc = append_tombstone(db, &d, false);
        sodium_memzero(&d, sizeof(d));
        if (rc != 0)
            break;
    }
    if (rc == 0 && step != SQLITE_DONE) {
        RCL_ERROR("store: reading departures failed err=%s", rcl_log_value(sqlite3_errmsg(db)));
        rc = -1;
    }
    sqlite3_finalize(st);
    return rc;
}

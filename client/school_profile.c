/*
 * school_profile.c - the school's profile beyond its identity: the teaching
 * platforms it uses, how far the teaching materials are handed out, its
 * contact's role, and for a teaching point the parent school it is a site
 * of (see school_store.h).
 *
 * A teaching point is a school of its own here: its own 10-digit code, its
 * own store and students, enrolled at the county like any school; its
 * profile names the parent school. So each student is counted once, at the
 * site that teaches them, and the county can still group sites under their
 * parent.
 */
#include <stdio.h>
#include <string.h>

#include "rcl_log.h"
#include "rcl_outbox.h"
#include "school_store.h"

#define SQL_PLATFORMS_EACH "SELECT name, kind, classes FROM platforms ORDER BY idx"
#define SQL_PLATFORMS_CLEAR "DELETE FROM platforms"
#define SQL_PLATFORM_PUT "INSERT INTO platforms(idx, name, kind, classes) VALUES(?1, ?2, ?3, ?4)"

/* A meta integer, 0 when it was never set. */
static uint32_t meta_u32(sqlite3 *db, const char *key)
{
    int64_t v = 0;

    if (rcl_meta_get_int(db, key, &v) != 0 || v < 0 || v > (int64_t)UINT32_MAX)
        return 0;
    return (uint32_t)v;
}

static void column_copy(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    snprintf(out, outlen, "%s", t != NULL ? (const char *)t : "");
}

int rcl_school_profile_load(sqlite3 *db, const struct rcl_school_meta *m,
                            struct rcl_school_profile *out)
{
    sqlite3_stmt *st;
    int step, rc = 0;

    memset(out, 0, sizeof(*out));
    snprintf(out->school_id, sizeof(out->school_id), "%s", m->school_id);
    snprintf(out->name, sizeof(out->name), "%s", m->name);
    snprintf(out->county, sizeof(out->county), "%s", m->county);
    /* Keys never set (a store from before profiles) read as empty. */
    if (rcl_meta_get_text(db, "contact_role", out->contact_role, sizeof(out->contact_role)) != 0)
        out->contact_role[0] = '\0';
    if (rcl_meta_get_text(db, "parent_school", out->parent_school, sizeof(out->parent_school)) != 0)
        out->parent_school[0] = '\0';
    out->materials_delivered = meta_u32(db, "materials_delivered");
    out->materials_total = meta_u32(db, "materials_total");
    out->materials_percent = meta_u32(db, "materials_percent");

    st = rcl_db_prepare(db, SQL_PLATFORMS_EACH);
    if (st == NULL)
        return -1;
    while ((step = sqlite3_step(st)) == SQLITE_ROW && out->n_platforms < RCL_PLATFORMS_MAX) {
        struct rcl_platform *p = &out->platforms[out->n_platforms];
        sqlite3_int64 kind = sqlite3_column_int64(st, 1);

        column_copy(st, 0, p->name, sizeof(p->name));
        column_copy(st, 2, p->classes, sizeof(p->classes));
        p->kind = kind >= 0 && kind < RCL_PLATFORM_KIND_COUNT ? (unsigned)kind : RCL_PLATFORM_OTHER;
        out->n_platforms++;
    }
    if (step != SQLITE_DONE && step != SQLITE_ROW) {
        RCL_ERROR("store: reading the platforms failed err=%s", rcl_log_value(sqlite3_errmsg(db)));
        rc = -1;
    }
    sqlite3_finalize(st);
    return rc;
}

static int put_platforms(sqlite3 *db, const struct rcl_school_profile *p)
{
    sqlite3_stmt *st;

    if (rcl_db_exec(db, SQL_PLATFORMS_CLEAR, "clearing the platforms") != 0)
        return -1;
    st = rcl_db_prepare(db, SQL_PLATFORM_PUT);
    if (st == NULL)
        return -1;
    for (size_t i = 0; i < p->n_platforms && i < RCL_PLATFORMS_MAX; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
        sqlite3_bind_text(st, 2, p->platforms[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, p->platforms[i].kind);
        sqlite3_bind_text(st, 4, p->platforms[i].classes, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            RCL_ERROR("store: writing a platform failed err=%s", rcl_log_value(sqlite3_errmsg(db)));
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

int rcl_school_profile_save(sqlite3 *db, const struct rcl_school_profile *p)
{
    struct rcl_change c;

    if (rcl_meta_set_text(db, "contact_role", p->contact_role) != 0 ||
        rcl_meta_set_text(db, "parent_school", p->parent_school) != 0 ||
        rcl_meta_set_int(db, "materials_delivered", p->materials_delivered) != 0 ||
        rcl_meta_set_int(db, "materials_total", p->materials_total) != 0 ||
        rcl_meta_set_int(db, "materials_percent", p->materials_percent) != 0) {
        RCL_ERROR("store: writing the profile failed err=%s", rcl_log_value(sqlite3_errmsg(db)));
        return -1;
    }
    if (put_platforms(db, p) != 0)
        return -1;
    memset(&c, 0, sizeof(c));
    c.kind = RCL_CHANGE_SCHOOL;
    c.u.school = *p;
    return rcl_outbox_append(db, "school", &c);
}

/*
 * test_counts.c - the one list of a summary's counts (rcl_counts.h) against
 * what cannot be made from it: message Counts of rollcall.proto (its fields,
 * their names and order), the model's name tables, struct rcl_totals, and the
 * columns of a store written by an earlier version.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "agg_sql.h"
#include "rcl_counts.h"
#include "rcl_db.h"
#include "rcl_model.h"
#include "rcl_test.h"
#include "rollcall.pb-c.h"

/* The model's sets, as rcl_model.h defines them. */
static const struct {
    const char *set;
    const char *const *names;
    int count;
} sets[] = {
    {"groups", rcl_group_names, RCL_GROUP_COUNT},
    {"measures", rcl_measure_kind_names, RCL_MEASURE_KIND_COUNT},
    {"participation", rcl_participation_names, RCL_PARTICIPATION_COUNT},
};

/* Message Counts' fields by field number. */
static const ProtobufCFieldDescriptor *proto_field(unsigned i)
{
    const ProtobufCMessageDescriptor *d = &rollcall__counts__descriptor;
    const ProtobufCFieldDescriptor *pick = NULL;
    unsigned rank = 0;

    for (unsigned a = 0; a < d->n_fields; a++) {
        rank = 0;
        for (unsigned b = 0; b < d->n_fields; b++)
            rank += d->fields[b].id < d->fields[a].id;
        if (rank == i)
            pick = &d->fields[a];
    }
    return pick;
}

/*
 * Walking the list, each count of its own is the next field (a single
 * uint64 of its name), and each set the next field (a repeated uint64 of the
 * set's name) at its first count; nothing of Counts is left over.
 */
static void test_proto_fields_follow_the_list(void)
{
    unsigned next = 0;

    for (enum rcl_count k = 0; k < RCL_COUNTS_N; k++) {
        const struct rcl_count_info *c = &rcl_counts[k];
        const char *want = c->set != NULL ? c->set : c->column;
        const ProtobufCFieldDescriptor *f;

        if (c->set != NULL && k > 0 && rcl_counts[k - 1].set != NULL &&
            strcmp(rcl_counts[k - 1].set, c->set) == 0)
            continue; /* the same repeated field as the count before */
        f = proto_field(next++);
        CHECK(f != NULL);
        if (f == NULL)
            return;
        CHECK_STR(f->name, want);
        CHECK(f->type == PROTOBUF_C_TYPE_UINT64);
        CHECK((f->label == PROTOBUF_C_LABEL_REPEATED) == (c->set != NULL));
    }
    CHECK(next == rollcall__counts__descriptor.n_fields);
}

/* Each set's counts are its model names in index order, in one run, each at set[index]. */
static void test_sets_follow_the_model(void)
{
    struct rcl_totals t;

    for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
        int first = -1, n = 0;

        for (int k = 0; k < RCL_COUNTS_N; k++) {
            if (rcl_counts[k].set == NULL || strcmp(rcl_counts[k].set, sets[s].set) != 0)
                continue;
            if (first < 0)
                first = k;
            CHECK(k == first + n); /* no other count between a set's */
            if (n < sets[s].count) {
                char column[64], name[64];

                snprintf(column, sizeof(column), "%s_%s", sets[s].set, sets[s].names[n]);
                snprintf(name, sizeof(name), "%s.%s", sets[s].set, sets[s].names[n]);
                CHECK_STR(rcl_counts[k].key, sets[s].names[n]);
                CHECK_STR(rcl_counts[k].column, column);
                CHECK_STR(rcl_counts[k].name, name);
            }
            n++;
        }
        CHECK(n == sets[s].count);
    }
    /* Where each count is kept: the set's array at the index its key names. */
    CHECK(rcl_count_at(&t, RCL_COUNT_groups_left_behind) == &t.groups[RCL_GROUP_LEFT_BEHIND]);
    CHECK(rcl_count_at(&t, RCL_COUNT_measures_funding) == &t.measures[RCL_MEASURE_FUNDING]);
    CHECK(rcl_count_at(&t, RCL_COUNT_participation_absent) == &t.participation[RCL_PART_ABSENT]);
}

/* The counts of their own: the conditions by the model's words, then the others by name. */
static void test_own_counts(void)
{
    struct rcl_totals t;
    int found = 0;

    for (int c = 0; c < RCL_CONDITION_COUNT; c++) {
        char column[64];

        snprintf(column, sizeof(column), "condition_%s", rcl_condition_names[c]);
        for (enum rcl_count k = 0; k < RCL_COUNTS_N; k++) {
            if (rcl_count_at(&t, k) != &t.condition[c])
                continue;
            found++;
            CHECK_STR(rcl_counts[k].column, column);
            CHECK(rcl_counts[k].set == NULL);
            CHECK_STR(rcl_counts[k].key, column);
            CHECK_STR(rcl_counts[k].name, column);
        }
    }
    CHECK(found == RCL_CONDITION_COUNT);
    CHECK(rcl_count_at(&t, RCL_COUNT_students) == &t.students);
    CHECK_STR(rcl_counts[RCL_COUNT_students].column, "students");
    CHECK(rcl_count_at(&t, RCL_COUNT_blind_spots) == &t.blind_spots);
    CHECK_STR(rcl_counts[RCL_COUNT_blind_spots].column, "blind_spots");
}

/* Every count has a place of its own in struct rcl_totals, and every place a count. */
static void test_every_member_once(void)
{
    struct rcl_totals t;
    int seen[RCL_COUNTS_N] = {0};

    memset(&t, 0, sizeof(t));
    for (enum rcl_count k = 0; k < RCL_COUNTS_N; k++) {
        long bytes = (const char *)rcl_count_at(&t, k) - (const char *)&t;
        long at = bytes / (long)sizeof(uint64_t);

        CHECK(bytes % (long)sizeof(uint64_t) == 0 && at >= 0 && at < RCL_COUNTS_N);
        if (at >= 0 && at < RCL_COUNTS_N)
            seen[at]++;
        *rcl_count_at(&t, k) = (uint64_t)(k + 1);
        CHECK(rcl_count_get(&t, k) == (uint64_t)(k + 1));
        CHECK(rcl_counts[k].zh != NULL && rcl_counts[k].zh[0] != '\0');
        CHECK(rcl_counts[k].en != NULL && rcl_counts[k].en[0] != '\0');
    }
    for (int i = 0; i < RCL_COUNTS_N; i++)
        CHECK(seen[i] == 1);
}

/* The names of table's columns from first on, into cols (n at most); returns how many. */
static int columns_of(sqlite3 *db, const char *table, int first, char cols[][64], int n)
{
    char sql[128];
    sqlite3_stmt *st = NULL;
    int i = 0, got = 0;

    snprintf(sql, sizeof(sql), "PRAGMA table_info(%s)", table);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (i++ >= first && got < n)
            snprintf(cols[got++], 64, "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    return got;
}

/* The summaries and rollup columns a store of 7ab7a5d holds, and those a new one gets. */
static void check_store_columns(sqlite3 *db, const char *what)
{
    char cols[RCL_COUNTS_N][64];

    /* summaries: school_id, child, name, county, reported, last_sync, the counts. */
    CHECK(columns_of(db, "summaries", 6, cols, RCL_COUNTS_N) == RCL_COUNTS_N);
    for (enum rcl_count k = 0; k < RCL_COUNTS_N; k++)
        CHECK_STR(cols[k], rcl_counts[k].column);
    /* rollup: child, county, schools, reported, the counts. */
    CHECK(columns_of(db, "rollup", 4, cols, RCL_COUNTS_N) == RCL_COUNTS_N);
    for (enum rcl_count k = 0; k < RCL_COUNTS_N; k++)
        CHECK_STR(cols[k], rcl_counts[k].column);
    fprintf(stderr, "     columns of %s checked\n", what);
}

static void test_store_columns(void)
{
    /* The migrations that make the columns of the counts. */
    static const char *const migrations[] = {
        RCL_AGG_SQL_V1, RCL_AGG_SQL_ROLLUP, RCL_AGG_SQL_ROLLUP_TRIGGERS, RCL_AGG_SQL_ROLLUP_UPDATE};
    char path[1200], dir[1024];
    const char *slash;
    sqlite3 *db = NULL;

    /* The fixture beside the tests, opened as an immutable file: never written. */
    snprintf(dir, sizeof(dir), "%s", __FILE__);
    slash = strrchr(dir, '/');
    CHECK(slash != NULL);
    if (slash == NULL)
        return;
    dir[slash - dir] = '\0';
    snprintf(path, sizeof(path), "file:%s/../fixtures/upgrade/county-7ab7a5d.db?immutable=1", dir);
    CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) == SQLITE_OK);
    check_store_columns(db, "a store of 7ab7a5d");
    sqlite3_close(db);

    db = NULL;
    CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
    for (size_t i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++)
        CHECK(sqlite3_exec(db, migrations[i], NULL, NULL, NULL) == SQLITE_OK);
    check_store_columns(db, "a new store");
    sqlite3_close(db);
}

int main(void)
{
    RCL_TEST_RUN(test_proto_fields_follow_the_list);
    RCL_TEST_RUN(test_sets_follow_the_model);
    RCL_TEST_RUN(test_own_counts);
    RCL_TEST_RUN(test_every_member_once);
    RCL_TEST_RUN(test_store_columns);
    return RCL_TEST_RESULT();
}

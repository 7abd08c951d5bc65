/*
 * fuzz_csv.c - the students CSV, as `rollcall-school import` reads it: the
 * input is written to a file in the target's temporary folder and imported
 * into a school store that already holds three students.
 *
 * What must hold for any input: the import is atomic (it either applies
 * every row and reports no problem, or reports problems and leaves the store
 * exactly as it was), and the counts add up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_fixture.h"
#include "import.h"
#include "rcl_outbox.h"

static int64_t count_students(sqlite3 *db)
{
    uint64_t n = 0;

    FUZZ_ASSERT(rcl_school_students_count(db, &n) == 0, "counting students");
    return (int64_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    static char path[600];
    /* Every input starts from the pristine store, so what it held is read once. */
    static int64_t students_before;
    static struct rcl_outbox_stats ob_before;
    struct fuzz_school *w = fuzz_school_world();
    struct rcl_school_import_result res;
    struct rcl_outbox_stats ob_after;
    int64_t students_after;
    FILE *f;
    int rc;

    if (sink == NULL) {
        /* Problems are formatted as for an operator, then dropped. */
        sink = fopen("/dev/null", "w");
        FUZZ_ASSERT(sink != NULL, "/dev/null: cannot open");
        snprintf(path, sizeof(path), "%s/students.csv", w->dir);
        students_before = count_students(w->db);
        FUZZ_ASSERT(rcl_outbox_stats(w->db, &ob_before) == 0, "reading the outbox");
    }
    f = fopen(path, "wb");
    FUZZ_ASSERT(f != NULL, "%s: cannot create", path);
    FUZZ_ASSERT((size == 0 || fwrite(data, 1, size, f) == size) && fclose(f) == 0,
                "%s: cannot write", path);

    rc = rcl_school_import(w->db, &w->meta, path, sink, &res);
    students_after = count_students(w->db);
    FUZZ_ASSERT(rcl_outbox_stats(w->db, &ob_after) == 0, "reading the outbox");

    FUZZ_ASSERT(sqlite3_get_autocommit(w->db), "import left a transaction open");
    if (rc == 0) {
        FUZZ_ASSERT(res.errors == 0, "applied with %llu problems", (unsigned long long)res.errors);
        FUZZ_ASSERT(students_after == students_before + (int64_t)res.added,
                    "%lld students before, %llu added, %lld after", (long long)students_before,
                    (unsigned long long)res.added, (long long)students_after);
        /* Every new or changed student goes upstream; unchanged ones do not. */
        FUZZ_ASSERT(ob_after.last_seq - ob_before.last_seq == res.added + res.changed,
                    "outbox grew by %llu for %llu added and %llu changed",
                    (unsigned long long)(ob_after.last_seq - ob_before.last_seq),
                    (unsigned long long)res.added, (unsigned long long)res.changed);
    } else {
        FUZZ_ASSERT(rc == -1, "rcl_school_import returned %d", rc);
        FUZZ_ASSERT(res.added == 0 && res.changed == 0 && res.unchanged == 0,
                    "refused, but counts are not zero");
        FUZZ_ASSERT(students_after == students_before && ob_after.last_seq == ob_before.last_seq,
                    "a refused import changed the store (%lld -> %lld students, outbox %llu -> "
                    "%llu)",
                    (long long)students_before, (long long)students_after,
                    (unsigned long long)ob_before.last_seq, (unsigned long long)ob_after.last_seq);
    }
    fuzz_school_reset(w);
    return 0;
}

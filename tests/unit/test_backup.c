/*
 * test_backup.c - `rollcall-agg backup` (agg_backup.c): the copy, made in
 * several steps, holds what the store holds (a commit by another connection
 * included); it is private and one self-contained file; an existing file is
 * refused without force, the store itself always; a failure leaves nothing
 * behind. Copies taken while `run` applies batches: test_backup_restore.py.
 */
#include <dirent.h>

#include "ingest_fixture.h"

#include "rcl_backup.h"

/* Files in tmpdir whose name holds part. */
static int count_files(const char *part)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    int n = 0;

    while (d != NULL && (e = readdir(d)) != NULL)
        n += strstr(e->d_name, part) != NULL;
    if (d != NULL)
        closedir(d);
    return n;
}

static int64_t sources_in(const char *path)
{
    sqlite3 *db = rcl_db_open_readonly(path, 0, NULL, 0);
    int64_t n = db != NULL ? query_int(db, "SELECT count(*) FROM sources") : -1;

    rcl_db_close(&db);
    return n;
}

static void test_backup(void)
{
    struct rcl_agg_config cfg;
    struct rcl_backup_result res;
    enum rcl_agg_enroll_result er;
    uint8_t pk[RCL_PK_BYTES], sk[RCL_SK_BYTES];
    char path[600], out[700], err[1024], other[RCL_ID_MAX + 1], id[16];
    struct stat sb;
    sqlite3 *db, *writer = NULL;

    db = make_store("county.db", COUNTY, RCL_AGG_COUNTY, NULL, &cfg, path, sizeof(path));
    CHECK(db != NULL);
    if (!db)
        return;
    /* Enough rows for many pages, so the copy takes many steps (and quickly: each
     * enroll is a transaction of its own, durable is not what this test is about). */
    CHECK(sqlite3_exec(db, "PRAGMA synchronous=OFF", NULL, NULL, NULL) == SQLITE_OK);
    for (int i = 0; i < 4000; i++) {
        snprintf(id, sizeof(id), "41138%05d", i);
        CHECK(rcl_key_generate(pk, sk) == 0);
        CHECK(rcl_agg_enroll(db, &cfg, id, pk, &er, other, 100, err, sizeof(err)) == 0);
    }

    snprintf(out, sizeof(out), "%s/county.bak", tmpdir);
    CHECK(rcl_backup(db, path, out, false, &res, err, sizeof(err)) == 0);
    fprintf(stderr, "backup: %d pages of %d bytes in %d steps\n", res.pages, res.page_size,
            res.steps);
    CHECK(res.pages > 256 && res.steps > 1 && res.page_size > 0);
    CHECK(sources_in(out) == 4000);
    CHECK(stat(out, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    CHECK(count_files("county.bak") == 1); /* no -wal, -shm or -journal beside it */

    /* Refused without force, and left as it was. */
    CHECK(rcl_backup(db, path, out, false, &res, err, sizeof(err)) == -1);
    CHECK(strstr(err, "already exists") != NULL && strstr(err, "--force") != NULL);
    /* Another connection commits: the forced copy holds it. */
    CHECK(sqlite3_open_v2(path, &writer, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
    CHECK(sqlite3_exec(writer,
                       "PRAGMA busy_timeout=5000; DELETE FROM sources WHERE id >= "
                       "'4113803000'",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(writer);
    CHECK(chmod(out, 0644) == 0);
    CHECK(rcl_backup(db, path, out, true, &res, err, sizeof(err)) == 0);
    CHECK(sources_in(out) == 3000);
    CHECK(stat(out, &sb) == 0 && (sb.st_mode & 0777) == 0600);

    /* Never over the store itself, never into a missing folder; nothing left behind. */
    CHECK(rcl_backup(db, path, path, true, &res, err, sizeof(err)) == -1);
    CHECK(strstr(err, "is the store itself") != NULL);
    snprintf(out, sizeof(out), "%s/no-such-folder/county.bak", tmpdir);
    CHECK(rcl_backup(db, path, out, false, &res, err, sizeof(err)) == -1);
    CHECK(strstr(err, "no-such-folder/county.bak: cannot create") != NULL);
    CHECK(count_files(".tmp-") == 0);
    CHECK(query_int(db, "SELECT count(*) FROM sources") == 3000);
    rcl_db_close(&db);
}

int main(void)
{
    rcl_log_init("test_backup");
    CHECK(rcl_keys_init() == 0);
    make_tmpdir("test_backup");
    RCL_TEST_RUN(test_backup);
    return RCL_TEST_RESULT();
}

/*
 * report_fixture.h - stores with summaries put in by hand, and the report
 * of them as text, for the report tests.
 */
#ifndef REPORT_FIXTURE_H
#define REPORT_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agg_report.h"
#include "agg_store.h"
#include "agg_summary.h"
#include "rcl_db.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_test.h"

#define NOW 1600000000
#define DAY 86400

static char tmpdir[512];

static inline void make_tmpdir(const char *name)
{
    if (rcl_test_tmpdir(name, tmpdir, sizeof(tmpdir)) != 0) {
        perror("rcl_test_tmpdir");
        exit(1);
    }
}

static inline void remove_store(const char *path)
{
    rcl_db_remove_files(path);
}

static inline sqlite3 *make_store(const char *name, const char *id, enum rcl_agg_tier tier,
                                  struct rcl_agg_config *cfg, char *path, size_t pathlen)
{
    uint8_t pk[RCL_PK_BYTES];
    char err[512];
    sqlite3 *db;

    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->id, sizeof(cfg->id), "%s", id);
    cfg->tier = tier;
    snprintf(cfg->listen, sizeof(cfg->listen), "tcp://127.0.0.1:7100");
    cfg->stale_seconds = 7 * DAY;
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

static inline int enroll(sqlite3 *db, const struct rcl_agg_config *cfg, const char *source)
{
    uint8_t pk[RCL_PK_BYTES], sk[RCL_SK_BYTES];
    enum rcl_agg_enroll_result er;
    char other[RCL_ID_MAX + 1], err[256];

    if (rcl_key_generate(pk, sk) != 0)
        return -1;
    if (rcl_agg_enroll(db, cfg, source, pk, &er, other, NOW, err, sizeof(err)) != 0 ||
        er != RCL_AGG_ENROLLED)
        return -1;
    return 0;
}

static inline int put(sqlite3 *db, const char *school, const char *child, const char *name,
                      bool reported, int64_t last_sync, uint64_t students)
{
    struct rcl_summary s;

    memset(&s, 0, sizeof(s));
    snprintf(s.school_id, sizeof(s.school_id), "%s", school);
    snprintf(s.name, sizeof(s.name), "%s", name);
    snprintf(s.county, sizeof(s.county), "411381");
    s.reported = reported;
    s.last_sync = last_sync;
    s.totals.students = students;
    s.totals.condition[RCL_COND_ONLINE] = students;
    s.totals.groups[RCL_GROUP_DISABLED] = students / 2;
    s.totals.participation[RCL_PART_ACTIVE] = students;
    return rcl_agg_summary_put(db, &s, child);
}

/* Writes the report into a malloc'd string (caller frees), or NULL. */
static inline char *report_with(sqlite3 *db, const struct rcl_agg_config *cfg,
                                const struct rcl_agg_report_options *o)
{
    char *buf = NULL, err[256];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f)
        return NULL;
    if (rcl_agg_report_write(db, cfg, o, f, err, sizeof(err)) != 0) {
        fprintf(stderr, "report: %s\n", err);
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    return buf;
}

static inline char *report(sqlite3 *db, const struct rcl_agg_config *cfg,
                           enum rcl_agg_report_format format, int64_t stale_seconds)
{
    struct rcl_agg_report_options o = {
        .format = format, .stale_seconds = stale_seconds, .now = NOW};

    return report_with(db, cfg, &o);
}

static inline bool has(const char *text, const char *want)
{
    if (text && strstr(text, want))
        return true;
    fprintf(stderr, "  report lacks '%s'\n", want);
    return false;
}

static inline size_t count_lines(const char *s)
{
    size_t n = 0;

    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

#endif

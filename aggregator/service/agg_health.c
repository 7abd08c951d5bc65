/*
 * agg_health.c - the checks of `rollcall-agg health`.
 */
#include "agg_health.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include <sqlite3.h>

#include "agg_monitor.h"
#include "rcl_db.h"

#define HEALTH_BUSY_MS 5000
#define MIB (1024.0 * 1024.0)

static void say(char *line, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *line, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, len, fmt, ap);
    va_end(ap);
}

static void format_time(int64_t t, char *out, size_t outlen)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (t <= 0 || !gmtime_r(&tt, &tm) || strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(out, outlen, "never");
}

/* Opens path for reading only; NULL with line set. */
static sqlite3 *open_readonly(const char *path, char *line, size_t len)
{
    struct stat st;
    sqlite3 *db = NULL;

    if (stat(path, &st) != 0) {
        say(line, len, "store %s cannot be read: %s", path, strerror(errno));
        return NULL;
    }
    /* Read-write at the file level (a WAL reader needs the shared-memory file), but
     * query_only: nothing is written. */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(db, HEALTH_BUSY_MS) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK) {
        say(line, len, "store %s cannot be opened: %s", path,
            db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

/* PRAGMA quick_check: 0 when it says ok, else -1 with line set. */
static int check_integrity(sqlite3 *db, const char *path, char *line, size_t len)
{
    sqlite3_stmt *st = NULL;
    int rc, ret = -1;

    if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK) {
        say(line, len, "store %s cannot be read: %s", path, sqlite3_errmsg(db));
        goto out;
    }
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        say(line, len, "store %s cannot be read: %s", path, sqlite3_errmsg(db));
        goto out;
    }
    if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
        say(line, len, "store %s fails its integrity check: %.200s (restore it from a backup)",
            path, (const char *)sqlite3_column_text(st, 0));
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

/* Free bytes on the filesystem holding path. 0 and *free set, or -1 with line set. */
static int free_bytes(const char *path, uint64_t *out, char *line, size_t len)
{
    char dir[4096];
    struct statvfs vfs;
    char *slash;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    if (statvfs(dir, &vfs) != 0) {
        say(line, len, "cannot tell the free space of %s: %s", dir, strerror(errno));
        return -1;
    }
    *out = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
    return 0;
}

/* Whether the run named by hb is alive as of now. 0, or -1 with line set. */
static int check_run(const struct rcl_agg_heartbeat *hb, const char *path, int64_t now, char *line,
                     size_t len)
{
    char when[48];

    if (hb->pid <= 0) {
        say(line, len, "rollcall-agg run has never run on %s", path);
        return -1;
    }
    if (hb->heartbeat_at == 0) {
        format_time(hb->stopped_at, when, sizeof(when));
        say(line, len, "rollcall-agg run is not running on %s (stopped cleanly at %s)", path, when);
        return -1;
    }
    if (kill((pid_t)hb->pid, 0) != 0 && errno == ESRCH) {
        format_time(hb->heartbeat_at, when, sizeof(when));
        say(line, len,
            "rollcall-agg run (pid %" PRId64 ") is not running on %s: it ended without a "
            "clean stop (last heartbeat %s)",
            hb->pid, path, when);
        return -1;
    }
    if (now - hb->heartbeat_at > RCL_AGG_HEARTBEAT_STUCK_S) {
        say(line, len,
            "rollcall-agg run (pid %" PRId64 ") on %s has not written its heartbeat for %" PRId64
            " s (more than %d): stuck, or the store is locked",
            hb->pid, path, now - hb->heartbeat_at, RCL_AGG_HEARTBEAT_STUCK_S);
        return -1;
    }
    return 0;
}

enum rcl_agg_health_result rcl_agg_health(const char *path, const struct rcl_agg_health_options *o,
                                          char *line, size_t len)
{
    struct rcl_agg_config cfg;
    struct rcl_agg_gauges g;
    struct rcl_agg_heartbeat hb;
    char err[256], upstream[RCL_AGG_ENDPOINT_MAX + 1], when[48];
    int64_t now = o->now ? o->now : (int64_t)time(NULL);
    enum rcl_agg_health_result ret = RCL_AGG_UNHEALTHY;
    uint64_t avail = 0;
    sqlite3 *db;

    db = open_readonly(path, line, len);
    if (!db)
        return RCL_AGG_UNHEALTHY;
    if (check_integrity(db, path, line, len) != 0)
        goto out;
    memset(&cfg, 0, sizeof(cfg));
    cfg.stale_seconds = RCL_AGG_STALE_DEFAULT;
    rcl_meta_get_int(db, "stale_seconds", &cfg.stale_seconds);
    cfg.has_upstream =
        rcl_meta_get_text(db, "upstream", upstream, sizeof(upstream)) == 0 && upstream[0] != '\0';
    if (rcl_agg_heartbeat_read(db, &hb) != 0) {
        say(line, len, "store %s cannot be read: %s", path, sqlite3_errmsg(db));
        goto out;
    }
    if (rcl_agg_gauges_read(db, &cfg, now, &g, err, sizeof(err)) != 0) {
        say(line, len, "store %s: %s", path, err);
        goto out;
    }
    if (free_bytes(path, &avail, line, len) != 0)
        goto out;
    if (avail < o->min_free_bytes) {
        say(line, len, "disk nearly full: %.0f MiB free on the filesystem of %s (below %.0f MiB)",
            (double)avail / MIB, path, (double)o->min_free_bytes / MIB);
        goto out;
    }
    if (check_run(&hb, path, now, line, len) != 0)
        goto out;
    if (cfg.has_upstream && g.lag_seconds > o->max_lag_seconds) {
        format_time(g.acked_at, when, sizeof(when));
        say(line, len,
            "upstream lag %" PRId64 " s exceeds %" PRId64 " s: %" PRIu64
            " change(s) waiting for %s, last acknowledged %s",
            g.lag_seconds, o->max_lag_seconds, g.pending, upstream, when);
        ret = RCL_AGG_UPSTREAM_LAGS;
        goto out;
    }
    if (cfg.has_upstream)
        say(line, len,
            "ok: run pid %" PRId64 " up %" PRId64 " s; upstream lag %" PRId64 " s, %" PRIu64
            " change(s) waiting; %.0f MiB free",
            hb.pid, now - hb.started_at, g.lag_seconds, g.pending, (double)avail / MIB);
    else
        say(line, len, "ok: run pid %" PRId64 " up %" PRId64 " s; no upstream; %.0f MiB free",
            hb.pid, now - hb.started_at, (double)avail / MIB);
    ret = RCL_AGG_HEALTHY;
out:
    sqlite3_close(db);
    return ret;
}

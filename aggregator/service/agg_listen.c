/*
 * agg_listen.c - where `run` really listens: the bound ports, recorded for whoever
 * started it (agg_listen.h).
 */
#include "agg_listen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rcl_db.h"
#include "rcl_log.h"

#define LISTEN_FILE_SUFFIX ".listen"

/* The port part of tcp://HOST:PORT or HOST:PORT: what follows the last colon. */
static const char *port_of(const char *addr)
{
    const char *colon = strrchr(addr, ':');

    return colon ? colon + 1 : addr;
}

bool rcl_agg_listen_port_is_wild(const char *addr)
{
    const char *port = port_of(addr);

    return strcmp(port, "*") == 0 || strcmp(port, "0") == 0;
}

void rcl_agg_listen_first_try(sqlite3 *db, const char *key, const char *configured, char *out,
                              size_t outlen)
{
    char bound[256];
    const char *port = port_of(configured);

    snprintf(out, outlen, "%s", configured);
    if (!rcl_agg_listen_port_is_wild(configured) ||
        rcl_meta_get_text(db, key, bound, sizeof(bound)) != 0 ||
        rcl_agg_listen_port_is_wild(bound) || port_of(bound) == bound)
        return;
    snprintf(out, outlen, "%.*s%s", (int)(port - configured), configured, port_of(bound));
}

static int write_listen_file(const char *db_path, const char *sync_endpoint, const char *http_addr,
                             const char *metrics_addr, char *err, size_t errlen)
{
    char path[4200], tmp[4220];
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s%s", db_path, LISTEN_FILE_SUFFIX);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, "pid %ld\nsync %s\n", (long)getpid(), sync_endpoint);
    if (http_addr)
        fprintf(f, "http %s\n", http_addr);
    if (metrics_addr)
        fprintf(f, "metrics %s\n", metrics_addr);
    ok = fflush(f) == 0 && !ferror(f);
    if (fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

int rcl_agg_listen_record(sqlite3 *db, const char *db_path, const char *sync_endpoint,
                          const char *http_addr, const char *metrics_addr, char *err, size_t errlen)
{
    if (rcl_db_begin(db) != 0)
        goto store_failed;
    if (rcl_meta_set_text(db, "listen_bound", sync_endpoint) != 0 ||
        (http_addr && rcl_meta_set_text(db, "http_bound", http_addr) != 0) ||
        (metrics_addr && rcl_meta_set_text(db, "metrics_bound", metrics_addr) != 0) ||
        rcl_db_commit(db) != 0) {
        rcl_db_rollback(db);
        goto store_failed;
    }
    return write_listen_file(db_path, sync_endpoint, http_addr, metrics_addr, err, errlen);

store_failed:
    snprintf(err, errlen, "%s: cannot record the bound endpoints: %s", db_path, sqlite3_errmsg(db));
    return -1;
}

void rcl_agg_listen_withdraw(const char *db_path)
{
    char path[4200];

    snprintf(path, sizeof(path), "%s%s", db_path, LISTEN_FILE_SUFFIX);
    if (remove(path) != 0 && errno != ENOENT)
        RCL_WARN("run: cannot remove a file file=%s err=%s", rcl_log_value(path),
                 rcl_log_value(strerror(errno)));
}

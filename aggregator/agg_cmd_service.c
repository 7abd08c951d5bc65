/*
 * agg_cmd_service.c - rollcall-agg's commands for the running service: run,
 * health, dashboard-token, import-bundle and backup.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rcl_backup.h"
#include "agg_bundle.h"
#include "agg_cli.h"
#include "agg_cmd.h"
#include "agg_health.h"
#include "agg_http.h"
#include "agg_monitor.h"
#include "agg_run.h"
#include "agg_store.h"
#include "rcl_db.h"

/* ---- run ---- */

static const char run_help[] =
    "usage: " RCL_AGG_PROGRAM " run --db FILE [--http HOST:PORT|off]\n"
    "\n"
    "Serves in the foreground: accepts batches from enrolled sources on the listen\n"
    "endpoint and forwards summaries to the upstream, if any. SIGTERM or SIGINT\n"
    "stop it cleanly. --http serves /metrics (Prometheus) and the dashboard (/, with\n"
    "the operator token) on HOST:PORT (a bare PORT: 127.0.0.1), instead of the\n"
    "address given at init; off serves neither.\n";

int rcl_agg_cmd_run(int argc, char **argv)
{
    const char *path = NULL, *http = NULL;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}, {"http", &http, NULL}};
    int rc = rcl_agg_opts_result(rcl_agg_opts_parse("run", argc, argv, opts, 2), run_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("run", "db", path))
        return RCL_AGG_EXIT_USAGE;
    if (http && strcmp(http, "off") != 0 && rcl_agg_http_addr_parse(http, NULL) != 0) {
        rcl_agg_usage_error(
            "run", "--http '%s' is not HOST:PORT (an IPv4 address or localhost), PORT or off",
            http);
        return RCL_AGG_EXIT_USAGE;
    }
    return rcl_agg_run(path, http) == 0 ? RCL_AGG_EXIT_OK : RCL_AGG_EXIT_DATA;
}

/* ---- health ---- */

static const char health_help[] =
    "usage: " RCL_AGG_PROGRAM " health --db FILE [--max-lag SECONDS] [--min-free-mb N]\n"
    "\n"
    "Checks that this aggregator is doing its job and prints one line: \"ok: ...\"\n"
    "(exit 0), or what is wrong (exit 1: the store cannot be read or fails its\n"
    "integrity check, the disk holding it has less than N MiB free (100), or\n"
    "`run` is not running on it or is stuck; exit 3: the oldest change waiting for\n"
    "the upstream is older than SECONDS (3600)). Only reads the store. Run it on\n"
    "the host that runs `run` (it looks for the process).\n";

/* Parses a whole number from 0 to max. 0, or -1 after a usage error. */
static int parse_count(const char *cmd, const char *name, const char *s, int64_t max, int64_t *out)
{
    char *end;
    long long v;

    if (!s)
        return 0;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max) {
        rcl_agg_usage_error(cmd, "--%s '%s' must be a whole number from 0 to %lld", name, s,
                            (long long)max);
        return -1;
    }
    *out = v;
    return 0;
}

int rcl_agg_cmd_health(int argc, char **argv)
{
    const char *path = NULL, *max_lag = NULL, *min_free = NULL;
    struct rcl_agg_opt opts[] = {
        {"db", &path, NULL}, {"max-lag", &max_lag, NULL}, {"min-free-mb", &min_free, NULL}};
    struct rcl_agg_health_options ho;
    int64_t lag = RCL_AGG_HEALTH_MAX_LAG_DEFAULT, free_mb = RCL_AGG_HEALTH_MIN_FREE_MB_DEFAULT;
    char line[1024];
    enum rcl_agg_health_result res;
    int rc = rcl_agg_opts_result(rcl_agg_opts_parse("health", argc, argv, opts, 3), health_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("health", "db", path) ||
        parse_count("health", "max-lag", max_lag, 100LL * 365 * 86400, &lag) != 0 ||
        parse_count("health", "min-free-mb", min_free, 1LL << 40, &free_mb) != 0)
        return RCL_AGG_EXIT_USAGE;
    memset(&ho, 0, sizeof(ho));
    ho.max_lag_seconds = lag;
    ho.min_free_bytes = (uint64_t)free_mb * 1024 * 1024;
    res = rcl_agg_health(path, &ho, line, sizeof(line));
    if (res == RCL_AGG_HEALTHY) {
        printf("%s\n", line);
        return RCL_AGG_EXIT_OK;
    }
    fprintf(stderr, "health: %s\n", line);
    return (int)res;
}

/* ---- dashboard-token ---- */

static const char dashboard_token_help[] =
    "usage: " RCL_AGG_PROGRAM " dashboard-token --db FILE [--new]\n"
    "\n"
    "Prints the operator token the dashboard (`run --http`, path /) asks for, as\n"
    "`Authorization: Bearer TOKEN` or `?token=TOKEN`. --new replaces it (the old one\n"
    "stops working at once, also while `run` runs). The token is kept in the store,\n"
    "which only its owner can read.\n";

int rcl_agg_cmd_dashboard_token(int argc, char **argv)
{
    const char *path = NULL;
    bool fresh = false;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}, {"new", NULL, &fresh}};
    char token[RCL_AGG_TOKEN_HEX_LEN + 1], err[512];
    sqlite3 *db;
    int found, rc = rcl_agg_opts_result(rcl_agg_opts_parse("dashboard-token", argc, argv, opts, 2),
                                        dashboard_token_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("dashboard-token", "db", path))
        return RCL_AGG_EXIT_USAGE;
    db = rcl_agg_cli_store_open("dashboard-token", path, NULL);
    if (!db)
        return RCL_AGG_EXIT_DATA;
    rc = RCL_AGG_EXIT_OK;
    found = fresh ? 0 : rcl_agg_token_get(db, token);
    if (found < 0) {
        fprintf(stderr, "dashboard-token: %s: reading the store failed: %s\n", path,
                sqlite3_errmsg(db));
        rc = RCL_AGG_EXIT_DATA;
    } else if (found == 0 && rcl_agg_token_new(db, token, err, sizeof(err)) != 0) {
        fprintf(stderr, "dashboard-token: %s: %s\n", path, err);
        rc = RCL_AGG_EXIT_DATA;
    } else {
        printf("%s\n", token);
    }
    sodium_memzero(token, sizeof(token));
    rcl_db_close(&db);
    return rc;
}

/* ---- import-bundle ---- */

static const char import_bundle_help[] =
    "usage: " RCL_AGG_PROGRAM " import-bundle --db FILE BUNDLE\n"
    "\n"
    "Applies BUNDLE, the file a school without any link wrote with `rollcall-school\n"
    "bundle`. The whole file is checked first (a truncated or corrupted one applies\n"
    "nothing); then each batch is verified and applied as if it came over the\n"
    "network: the source must be enrolled here and not revoked, and a batch already\n"
    "held is not applied twice. Prints one line per batch. Exits 0 when every batch\n"
    "was applied or already held, 1 otherwise. Works while `run` is running, which\n"
    "forwards the updated summaries upstream.\n";

int rcl_agg_cmd_import_bundle(int argc, char **argv)
{
    const char *path = NULL, *bundle = NULL;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}};
    struct rcl_agg_config cfg;
    char **rest = calloc((size_t)argc + 1, sizeof(*rest));
    int n_rest = 0, rc;
    sqlite3 *db;

    if (!rest) {
        fprintf(stderr, "import-bundle: out of memory\n");
        return RCL_AGG_EXIT_DATA;
    }
    /* The one positional argument is taken out; parse_opts sees only options. */
    rcl_agg_opts_positional(argc, argv, opts, 1, &bundle, rest, &n_rest);
    rc = rcl_agg_opts_result(rcl_agg_opts_parse("import-bundle", n_rest, rest, opts, 1),
                             import_bundle_help);
    free(rest);
    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("import-bundle", "db", path))
        return RCL_AGG_EXIT_USAGE;
    if (!bundle || !bundle[0]) {
        rcl_agg_usage_error("import-bundle", "missing BUNDLE, the file to import");
        return RCL_AGG_EXIT_USAGE;
    }
    db = rcl_agg_cli_store_open("import-bundle", path, &cfg);
    if (!db)
        return RCL_AGG_EXIT_DATA;
    rc = rcl_agg_bundle_import(db, &cfg, bundle, stdout, stderr) == 0 ? RCL_AGG_EXIT_OK
                                                                      : RCL_AGG_EXIT_DATA;
    rcl_db_close(&db);
    return rc;
}

/* ---- backup ---- */

static const char backup_help[] =
    "usage: " RCL_AGG_PROGRAM " backup --db FILE --out FILE [--force]\n"
    "\n"
    "Copies the store into the new file --out (mode 0600: it holds the secret key)\n"
    "through SQLite's online backup API, as of the moment it starts. Works while\n"
    "`run` runs, which goes on applying batches. The copy is checked with PRAGMA\n"
    "integrity_check before it is renamed into place; an existing --out is refused\n"
    "unless --force. Restoring: ops/RUNBOOK.md.\n";

int rcl_agg_cmd_backup(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    bool force = false;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}, {"out", &out, NULL}, {"force", NULL, &force}};
    struct rcl_backup_result res;
    char err[1024];
    sqlite3 *db;
    int rc = rcl_agg_opts_result(rcl_agg_opts_parse("backup", argc, argv, opts, 3), backup_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("backup", "db", path) || rcl_agg_opt_require("backup", "out", out))
        return RCL_AGG_EXIT_USAGE;
    db = rcl_agg_cli_store_open("backup", path, NULL);
    if (!db)
        return RCL_AGG_EXIT_DATA;
    rc = RCL_AGG_EXIT_OK;
    if (rcl_backup(db, path, out, force, &res, err, sizeof(err)) != 0) {
        fprintf(stderr, "backup: %s\n", err);
        rc = RCL_AGG_EXIT_DATA;
    } else {
        printf("backup: %s written (%d pages of %d bytes, integrity ok)\n", out, res.pages,
               res.page_size);
    }
    rcl_db_close(&db);
    return rc;
}

/*
 * agg_cmd_service.c - rollcall-agg's commands for the running service: run,
 * health, dashboard-token, token, import-bundle and backup.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
#include "rcl_log.h"
#include "rcl_time.h"

/* ---- run ---- */

static const char run_help[] =
    "usage: " RCL_AGG_PROGRAM " run --db FILE [--http HOST:PORT|off] [--metrics HOST:PORT|off]\n"
    "           [--tls-cert FILE --tls-key FILE]\n"
    "\n"
    "Serves in the foreground: accepts batches from enrolled sources on the listen\n"
    "endpoint and forwards summaries to the upstream, if any. SIGTERM or SIGINT\n"
    "stop it cleanly. --http serves /metrics (Prometheus) and the dashboard (/, with\n"
    "a token: `token add`, or the operator's from dashboard-token) on HOST:PORT (a\n"
    "bare PORT: 127.0.0.1; [::]:PORT or [::1]:PORT for IPv6), instead of the\n"
    "address given at init; off serves neither. --metrics serves /metrics on a\n"
    "listener of its own (it holds no names), and the --http one the dashboard\n"
    "alone; off serves no /metrics. --tls-cert and --tls-key (PEM files; the key\n"
    "readable by its owner alone) make the dashboard's listener speak HTTPS only.\n";

/* Whether an --http or --metrics value reads; a usage error when not. */
static bool http_option_ok(const char *name, const char *value)
{
    if (!value || strcmp(value, "off") == 0 || rcl_agg_http_addr_parse(value, NULL) == 0)
        return true;
    rcl_agg_usage_error("run",
                        "--%s '%s' is not HOST:PORT (an IPv4 address or localhost), "
                        "[IPv6]:PORT, PORT or off",
                        name, value);
    return false;
}

int rcl_agg_cmd_run(int argc, char **argv)
{
    const char *path = NULL;
    struct rcl_agg_run_options ro = {NULL, NULL, NULL, NULL};
    struct rcl_agg_opt opts[] = {{"db", &path, NULL},
                                 {"http", &ro.http, NULL},
                                 {"metrics", &ro.metrics, NULL},
                                 {"tls-cert", &ro.tls_cert, NULL},
                                 {"tls-key", &ro.tls_key, NULL}};
    int rc = rcl_agg_opts_result(rcl_agg_opts_parse("run", argc, argv, opts, 5), run_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("run", "db", path))
        return RCL_AGG_EXIT_USAGE;
    if (!http_option_ok("http", ro.http) || !http_option_ok("metrics", ro.metrics))
        return RCL_AGG_EXIT_USAGE;
    if ((ro.tls_cert == NULL) != (ro.tls_key == NULL)) {
        rcl_agg_usage_error("run", "--tls-cert and --tls-key go together (missing --%s)",
                            ro.tls_cert ? "tls-key" : "tls-cert");
        return RCL_AGG_EXIT_USAGE;
    }
    return rcl_agg_run(path, &ro) == 0 ? RCL_AGG_EXIT_OK : RCL_AGG_EXIT_DATA;
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
        parse_count("health", "max-lag", max_lag, RCL_AGG_HEALTH_MAX_LAG_MAX, &lag) != 0 ||
        parse_count("health", "min-free-mb", min_free, RCL_AGG_HEALTH_MIN_FREE_MB_MAX, &free_mb) !=
            0)
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
        rcl_log_write(RCL_LOG_ERROR, "dashboard-token: reading the store failed db=%s err=%s",
                      rcl_log_value(path), rcl_log_value(sqlite3_errmsg(db)));
        rc = RCL_AGG_EXIT_DATA;
    } else if (found == 0 && rcl_agg_token_new(db, token, err, sizeof(err)) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "dashboard-token: %s db=%s", err, rcl_log_value(path));
        rc = RCL_AGG_EXIT_DATA;
    } else {
        printf("%s\n", token);
    }
    sodium_memzero(token, sizeof(token));
    rcl_db_close(&db);
    return rc;
}

/* ---- token ---- */

static const char token_help[] =
    "usage: " RCL_AGG_PROGRAM " token add --db FILE --name NAME\n"
    "       " RCL_AGG_PROGRAM " token list --db FILE\n"
    "       " RCL_AGG_PROGRAM " token revoke --db FILE --name NAME\n"
    "\n"
    "A token of its own for each person who views the dashboard (`run --http`), so\n"
    "that the log names who viewed it and one person's token can be taken back.\n"
    "add prints NAME's new token once (NAME: 1-32 of 0-9 A-Z a-z _ . -); only a\n"
    "hash of it is kept. list prints each name and when its token was made.\n"
    "revoke removes NAME's token: it stops working at once, also while `run` runs.\n"
    "The operator token of dashboard-token works beside them.\n";

static int print_user(void *arg, const struct rcl_agg_user_token *u)
{
    char when[48];

    (void)arg;
    rcl_agg_time_local(u->created_at, when, sizeof(when));
    printf("%s\t%s\n", u->name, when);
    return 0;
}

int rcl_agg_cmd_token(int argc, char **argv)
{
    const char *path = NULL, *name = NULL, *action = argc > 0 ? argv[0] : "";
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}, {"name", &name, NULL}};
    bool with_name = strcmp(action, "add") == 0 || strcmp(action, "revoke") == 0;
    char token[RCL_AGG_TOKEN_HEX_LEN + 1], err[512];
    sqlite3 *db;
    int rc;

    if (strcmp(action, "--help") == 0 || strcmp(action, "-h") == 0) {
        fputs(token_help, stdout);
        return RCL_AGG_EXIT_OK;
    }
    if (!with_name && strcmp(action, "list") != 0) {
        rcl_agg_usage_error("token", "the first argument must be add, list or revoke, not '%s'",
                            action);
        return RCL_AGG_EXIT_USAGE;
    }
    rc = rcl_agg_opts_result(
        rcl_agg_opts_parse("token", argc - 1, argv + 1, opts, with_name ? 2 : 1), token_help);
    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("token", "db", path) ||
        (with_name && rcl_agg_opt_require("token", "name", name)))
        return RCL_AGG_EXIT_USAGE;
    if (with_name && !rcl_id_valid(name)) {
        rcl_agg_usage_error("token", "--name '%s' is not a name (1-32 of 0-9 A-Z a-z _ . -)", name);
        return RCL_AGG_EXIT_USAGE;
    }
    db = rcl_agg_cli_store_open("token", path, NULL);
    if (!db)
        return RCL_AGG_EXIT_DATA;
    rc = RCL_AGG_EXIT_OK;
    if (strcmp(action, "add") == 0) {
        int added = rcl_agg_user_token_add(db, name, (int64_t)time(NULL), token, err, sizeof(err));

        if (added == 0)
            printf("%s\n", token);
        else if (added == 1)
            rcl_log_write(RCL_LOG_ERROR,
                          "token: that name has a token already (token revoke --name NAME first) "
                          "db=%s name=%s",
                          rcl_log_value(path), rcl_log_value(name));
        else
            rcl_log_write(RCL_LOG_ERROR, "token: %s db=%s", err, rcl_log_value(path));
        rc = added == 0 ? RCL_AGG_EXIT_OK : RCL_AGG_EXIT_DATA;
        sodium_memzero(token, sizeof(token));
    } else if (strcmp(action, "revoke") == 0) {
        int gone = rcl_agg_user_token_revoke(db, name);

        if (gone == 0)
            RCL_INFO("token: revoked user=%s", rcl_log_value(name));
        else if (gone == 1)
            rcl_log_write(RCL_LOG_ERROR,
                          "token: no token has that name (token list shows them) db=%s name=%s",
                          rcl_log_value(path), rcl_log_value(name));
        else
            rcl_log_write(RCL_LOG_ERROR, "token: revoking the token failed db=%s err=%s",
                          rcl_log_value(path), rcl_log_value(sqlite3_errmsg(db)));
        rc = gone == 0 ? RCL_AGG_EXIT_OK : RCL_AGG_EXIT_DATA;
    } else if (rcl_agg_user_token_each(db, print_user, NULL) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "token: reading the store failed db=%s err=%s",
                      rcl_log_value(path), rcl_log_value(sqlite3_errmsg(db)));
        rc = RCL_AGG_EXIT_DATA;
    }
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
        rcl_log_write(RCL_LOG_ERROR, "import-bundle: out of memory");
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
    rc = rcl_agg_bundle_import(db, &cfg, bundle, stdout) == 0 ? RCL_AGG_EXIT_OK : RCL_AGG_EXIT_DATA;
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
        rcl_log_write(RCL_LOG_ERROR, "backup: %s", err);
        rc = RCL_AGG_EXIT_DATA;
    } else {
        printf("backup: %s written (%d pages of %d bytes, integrity ok)\n", out, res.pages,
               res.page_size);
    }
    rcl_db_close(&db);
    return rc;
}

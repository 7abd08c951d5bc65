/*
 * main.c - rollcall-agg: command dispatch, options, usage and exit codes.
 *
 * Exit codes (DESIGN.md): 0 success, 1 a user or data error (the message
 * says what and where), 2 usage (a missing, unknown or malformed option),
 * 3 upstream unreachable (not used by these commands: `run` keeps trying).
 */
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "agg_store.h"
#include "rcl_codec.h"
#include "rcl_db.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_outbox.h"
#include "agg_report.h"
#include "agg_run.h"
#include "agg_audit.h"
#include "agg_bundle.h"
#include "agg_status.h"
#include "agg_backup.h"
#include "agg_cli.h"
#include "agg_enroll_file.h"
#include "agg_conf.h"
#include "agg_lists.h"
#include "agg_release.h"
#include "agg_health.h"
#include "agg_http.h"
#include "agg_monitor.h"

enum { EXIT_OK = 0, EXIT_DATA = 1, EXIT_USAGE = 2 };

#define PROGRAM "rollcall-agg"

static const char usage_text[] =
    "usage: " PROGRAM " COMMAND [OPTIONS]   (" PROGRAM " COMMAND --help for one command)\n"
    "\n"
    "  init    --db FILE --id ID --tier county|city|province --listen ENDPOINT\n"
    "          [--upstream ENDPOINT --upstream-key KEY] [--stale-days N] [--http HOST:PORT]\n"
    "  pubkey  --db FILE\n"
    "  rotate-key --db FILE\n"
    "  set-upstream --db FILE --upstream ENDPOINT --upstream-key KEY\n"
    "  enroll  --db FILE --source ID --key KEY\n"
    "  revoke  --db FILE --source ID [--release-schools]\n"
    "  run     --db FILE [--http HOST:PORT|off]\n"
    "  report  --db FILE [--format json|csv|html] [--stale-days N] [--divisions FILE]\n"
    "          [--suppress-below N]\n"
    "  list    --db FILE KIND [--format text|csv|json] [--stale-days N] [--school ID]\n"
    "  status  --db FILE [--json]\n"
    "  audit   --db FILE [--json]\n"
    "  health  --db FILE [--max-lag SECONDS] [--min-free-mb N]\n"
    "  import-bundle --db FILE BUNDLE\n"
    "  backup  --db FILE --out FILE [--force]\n"
    "\n"
    "Every command also takes --config FILE (default " RCL_AGG_CONF_DEFAULT " when it\n"
    "exists): 'key = value' lines naming the command's options without the dashes\n"
    "(db, id, tier, listen, upstream, upstream-key, stale-days) and log-level;\n"
    "options on the command line win.\n"
    "\n"
    "Exit codes: 0 success, 1 user or data error, 2 usage, 3 upstream behind (health).\n"
    "Logging: ROLLCALL_LOG=debug|info|warn|error (default info), on stderr.\n";

/* ---- Options ---- */

struct command {
    const char *name;
    const char *help;
    int (*fn)(int argc, char **argv);
};

/* Handles rcl_agg_opts_parse's result: -2 means carry on, else the exit code. */
static int parse_result(int rc, const char *help)
{
    if (rc == 1) {
        fputs(help, stdout);
        return EXIT_OK;
    }
    return rc < 0 ? EXIT_USAGE : -2;
}

static sqlite3 *open_store(const char *cmd, const char *path, struct rcl_agg_config *cfg)
{
    char err[512];
    sqlite3 *db = rcl_agg_store_open(path, cfg, err, sizeof(err));

    if (!db)
        fprintf(stderr, "%s: %s\n", cmd, err);
    return db;
}

/* ---- init ---- */

static const char init_help[] =
    "usage: " PROGRAM " init --db FILE --id ID --tier county|city|province --listen ENDPOINT\n"
    "                    [--upstream ENDPOINT --upstream-key KEY] [--stale-days N]\n"
    "                    [--http HOST:PORT]\n"
    "\n"
    "Creates the aggregator store FILE (it must not exist) with a new identity key,\n"
    "and prints the public key (64 hex characters) for enrolling this aggregator\n"
    "upstream. ID: 1-32 characters from 0-9 A-Z a-z _ . - (a county uses its\n"
    "6-digit code). ENDPOINT: tcp://HOST:PORT. KEY: the upstream's public key.\n"
    "--stale-days: a school that has not synced for N days counts as stale (7).\n"
    "--http: where `run` serves /metrics and the dashboard (e.g. 127.0.0.1:9100; a bare\n"
    "PORT means 127.0.0.1:PORT); off when not given. The dashboard's operator token is\n"
    "made here either way (`dashboard-token` prints it).\n";

static int cmd_init(int argc, char **argv)
{
    const char *db = NULL, *id = NULL, *tier = NULL, *listen = NULL, *upstream = NULL,
               *upstream_key = NULL, *stale = NULL, *http = NULL;
    struct rcl_agg_opt opts[] = {{"http", &http, NULL},
                         {"db", &db, NULL},
                         {"id", &id, NULL},
                         {"tier", &tier, NULL},
                         {"listen", &listen, NULL},
                         {"upstream", &upstream, NULL},
                         {"upstream-key", &upstream_key, NULL},
                         {"stale-days", &stale, NULL}};
    struct rcl_agg_config cfg;
    uint8_t pk[RCL_PK_BYTES];
    char hex[RCL_PK_HEX_LEN + 1], err[512];
    char token[RCL_AGG_TOKEN_HEX_LEN + 1];
    sqlite3 *store;
    int rc = parse_result(rcl_agg_opts_parse("init", argc, argv, opts, 8), init_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("init", "db", db) || rcl_agg_opt_require("init", "id", id) ||
        rcl_agg_opt_require("init", "tier", tier) || rcl_agg_opt_require("init", "listen", listen))
        return EXIT_USAGE;
    memset(&cfg, 0, sizeof(cfg));
    if (!rcl_id_valid(id)) {
        rcl_agg_usage_error(
            "init", "--id '%s' is not a valid id (1-32 characters from 0-9 A-Z a-z _ . -)", id);
        return EXIT_USAGE;
    }
    snprintf(cfg.id, sizeof(cfg.id), "%s", id);
    if (rcl_agg_tier_parse(tier, &cfg.tier) != 0) {
        rcl_agg_usage_error("init", "--tier '%s' must be county, city or province", tier);
        return EXIT_USAGE;
    }
    if (!rcl_agg_endpoint_valid(listen)) {
        rcl_agg_usage_error("init", "--listen '%s' is not a tcp://HOST:PORT endpoint", listen);
        return EXIT_USAGE;
    }
    snprintf(cfg.listen, sizeof(cfg.listen), "%s", listen);
    if (!upstream != !upstream_key) {
        rcl_agg_usage_error("init", "%s", "--upstream and --upstream-key go together");
        return EXIT_USAGE;
    }
    if (upstream) {
        if (!rcl_agg_endpoint_valid(upstream) || strchr(upstream, '*')) {
            rcl_agg_usage_error("init", "--upstream '%s' is not a tcp://HOST:PORT endpoint",
                                upstream);
            return EXIT_USAGE;
        }
        if (rcl_key_from_hex(upstream_key, cfg.upstream_key) != 0) {
            rcl_agg_usage_error("init",
                                "--upstream-key '%s' is not a public key (64 hex characters, as "
                                "printed by pubkey)",
                                upstream_key);
            return EXIT_USAGE;
        }
        snprintf(cfg.upstream, sizeof(cfg.upstream), "%s", upstream);
        cfg.has_upstream = true;
    }
    if (rcl_agg_stale_days_parse("init", stale, &cfg.stale_seconds) != 0)
        return EXIT_USAGE;
    if (http && rcl_agg_http_addr_parse(http, NULL) != 0) {
        rcl_agg_usage_error("init", "--http '%s' is not HOST:PORT (an IPv4 address or localhost) or PORT",
                    http);
        return EXIT_USAGE;
    }
    if (cfg.stale_seconds == 0)
        cfg.stale_seconds = RCL_AGG_STALE_DEFAULT;
    if (rcl_agg_store_create(db, &cfg, pk, err, sizeof(err)) != 0) {
        fprintf(stderr, "init: %s\n", err);
        return EXIT_DATA;
    }
    /* The store exists from here; what follows is written into it. */
    store = open_store("init", db, NULL);
    if (!store)
        return EXIT_DATA;
    rc = EXIT_OK;
    if (http && rcl_meta_set_text(store, "http", http) != 0) {
        fprintf(stderr, "init: %s: cannot store --http: %s\n", db, sqlite3_errmsg(store));
        rc = EXIT_DATA;
    } else if (rcl_agg_token_new(store, token, err, sizeof(err)) != 0) {
        fprintf(stderr, "init: %s: %s\n", db, err);
        rc = EXIT_DATA;
    }
    sodium_memzero(token, sizeof(token));
    rcl_db_close(&store);
    if (rc != EXIT_OK)
        return rc;
    rcl_key_to_hex(pk, hex);
    printf("%s\n", hex);
    fprintf(stderr, "init: created %s aggregator %s in %s, listening on %s%s%s\n",
            rcl_agg_tier_names[cfg.tier], cfg.id, db, cfg.listen,
            cfg.has_upstream ? ", reporting to " : "", cfg.has_upstream ? cfg.upstream : "");
    return EXIT_OK;
}

/* ---- pubkey ---- */

static const char pubkey_help[] =
    "usage: " PROGRAM " pubkey --db FILE\n"
    "\n"
    "Prints this aggregator's public key (64 hex characters): what\n"
    "its upstream enrolls, and what its sources use as --upstream-key.\n";

static int cmd_pubkey(int argc, char **argv)
{
    const char *path = NULL;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}};
    sqlite3 *db;
    uint8_t pk[RCL_PK_BYTES];
    char hex[RCL_PK_HEX_LEN + 1];
    int rc = parse_result(rcl_agg_opts_parse("pubkey", argc, argv, opts, 1), pubkey_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("pubkey", "db", path))
        return EXIT_USAGE;
    db = open_store("pubkey", path, NULL);
    if (!db)
        return EXIT_DATA;
    rc = EXIT_OK;
    if (rcl_agg_store_keys(db, pk, NULL) != 0) {
        fprintf(stderr, "pubkey: %s: no public key in meta\n", path);
        rc = EXIT_DATA;
    } else {
        rcl_key_to_hex(pk, hex);
        printf("%s\n", hex);
    }
    rcl_db_close(&db);
    return rc;
}

/* ---- rotate-key ---- */

static const char rotate_key_help[] =
    "usage: " PROGRAM " rotate-key --db FILE\n"
    "\n"
    "Replaces this aggregator's identity key and prints the new public key. The old\n"
    "key signs the change that announces the new one to the upstream; the new key\n"
    "takes effect once the upstream acknowledges it (`run` sends it by itself, also\n"
    "when already running) and signs everything after it. Nothing needs\n"
    "re-enrolling upstream. The key is also the one this aggregator's sources use as\n"
    "--upstream-key: `run` serves them with the key it started with, so once it is\n"
    "restarted each source follows with `set-upstream --upstream-key NEW`.\n";

static int cmd_rotate_key(int argc, char **argv)
{
    const char *path = NULL;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}};
    struct rcl_agg_config cfg;
    struct rcl_outbox_rotation rot;
    uint8_t pk[RCL_PK_BYTES], sk[RCL_SK_BYTES], new_pk[RCL_PK_BYTES];
    char hex[RCL_PK_HEX_LEN + 1];
    sqlite3 *db;
    int begun,
        rc = parse_result(rcl_agg_opts_parse("rotate-key", argc, argv, opts, 1), rotate_key_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("rotate-key", "db", path))
        return EXIT_USAGE;
    db = open_store("rotate-key", path, &cfg);
    if (!db)
        return EXIT_DATA;
    rc = EXIT_DATA;
    memset(sk, 0, sizeof(sk));
    if (!cfg.has_upstream) {
        fprintf(stderr, "rotate-key: %s: aggregator %s has no upstream to announce a new key to\n",
                path, cfg.id);
    } else if (rcl_agg_store_keys(db, pk, sk) != 0) {
        fprintf(stderr, "rotate-key: %s: the identity key is missing from meta\n", path);
    } else if ((begun = rcl_outbox_rotate_begin(db, cfg.id, pk, sk, new_pk)) == 1 &&
               rcl_outbox_rotation(db, &rot) == 0) {
        rcl_key_to_hex(rot.new_pk, hex);
        fprintf(stderr,
                "rotate-key: %s: a key rotation is already waiting for the upstream's "
                "acknowledgement (new key %s, change seq %llu)\n",
                path, hex, (unsigned long long)rot.seq);
    } else if (begun != 0) {
        fprintf(stderr, "rotate-key: %s: cannot start the key rotation (see the log above)\n",
                path);
    } else {
        rcl_key_to_hex(new_pk, hex);
        printf("%s\n", hex);
        fprintf(stderr,
                "rotate-key: new key queued for aggregator %s. It takes effect once the "
                "upstream at %s acknowledges it (`run` sends it by itself, with the next "
                "sync); nothing needs re-enrolling there. From the first start of `run` after "
                "that, its sources need `set-upstream --upstream-key %s`.\n",
                cfg.id, cfg.upstream, hex);
        rc = EXIT_OK;
    }
    sodium_memzero(sk, sizeof(sk));
    rcl_db_close(&db);
    return rc;
}

/* ---- set-upstream ---- */

static const char set_upstream_help[] =
    "usage: " PROGRAM " set-upstream --db FILE --upstream ENDPOINT --upstream-key KEY\n"
    "\n"
    "Changes where this aggregator reports to (tcp://HOST:PORT) and the upstream's\n"
    "public key, e.g. after the upstream rotated its own key or moved. `run` uses\n"
    "them from its next start. A different upstream must enroll this aggregator's\n"
    "key first; it then gets everything this aggregator holds by itself.\n";

static int cmd_set_upstream(int argc, char **argv)
{
    const char *path = NULL, *upstream = NULL, *upstream_key = NULL;
    struct rcl_agg_opt opts[] = {
        {"db", &path, NULL}, {"upstream", &upstream, NULL}, {"upstream-key", &upstream_key, NULL}};
    uint8_t key[RCL_PK_BYTES], own[RCL_PK_BYTES];
    char hex[RCL_PK_HEX_LEN + 1];
    sqlite3 *db;
    int rc =
        parse_result(rcl_agg_opts_parse("set-upstream", argc, argv, opts, 3), set_upstream_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("set-upstream", "db", path) ||
        rcl_agg_opt_require("set-upstream", "upstream", upstream) ||
        rcl_agg_opt_require("set-upstream", "upstream-key", upstream_key))
        return EXIT_USAGE;
    /* The same checks as init. */
    if (!rcl_agg_endpoint_valid(upstream) || strchr(upstream, '*')) {
        rcl_agg_usage_error("set-upstream", "--upstream '%s' is not a tcp://HOST:PORT endpoint",
                            upstream);
        return EXIT_USAGE;
    }
    if (rcl_key_from_hex(upstream_key, key) != 0) {
        rcl_agg_usage_error(
            "set-upstream",
            "--upstream-key '%s' is not a public key (64 hex characters, as printed by "
            "pubkey)",
            upstream_key);
        return EXIT_USAGE;
    }
    db = open_store("set-upstream", path, NULL);
    if (!db)
        return EXIT_DATA;
    rc = EXIT_DATA;
    if (rcl_agg_store_keys(db, own, NULL) == 0 && sodium_memcmp(own, key, RCL_PK_BYTES) == 0) {
        fprintf(stderr,
                "set-upstream: that key is this aggregator's own key, not its upstream's\n");
    } else if (rcl_db_begin(db) != 0 || rcl_meta_set_text(db, "upstream", upstream) != 0 ||
               rcl_meta_set_blob(db, "upstream_key", key, RCL_PK_BYTES) != 0 ||
               rcl_db_commit(db) != 0) {
        fprintf(stderr, "set-upstream: %s: cannot write the upstream: %s\n", path,
                sqlite3_errmsg(db));
        rcl_db_rollback(db);
    } else {
        rcl_key_to_hex(key, hex);
        printf("upstream: %s (key %s); `run` uses it from its next start\n", upstream, hex);
        rc = EXIT_OK;
    }
    rcl_db_close(&db);
    return rc;
}

/* ---- enroll ---- */

static const char enroll_help[] =
    "usage: " PROGRAM " enroll --db FILE --source ID --key KEY\n"
    "       " PROGRAM " enroll --db FILE --from LIST\n"
    "\n"
    "Admits source ID with public key KEY (as its `pubkey` prints it). A county's\n"
    "sources are schools (10-digit school codes); a city's or the province's are\n"
    "aggregators. Works while `run` is running. Enrolling a known source again\n"
    "with a new key replaces the key (a rebuilt node: its sequence restarts) and\n"
    "lifts a revocation.\n"
    "--from: enrolls every source of LIST, one 'SOURCE_ID KEY' a line (blank lines\n"
    "and '#' comments skipped), in one transaction: any bad line (FILE:LINE: reason)\n"
    "and nothing is enrolled.\n";

static int cmd_enroll(int argc, char **argv)
{
    const char *path = NULL, *source = NULL, *key = NULL, *from = NULL;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL},
                                 {"source", &source, NULL},
                                 {"key", &key, NULL},
                                 {"from", &from, NULL}};
    struct rcl_agg_config cfg;
    enum rcl_agg_enroll_result result;
    uint8_t pk[RCL_PK_BYTES], own[RCL_PK_BYTES];
    char other[RCL_ID_MAX + 1], err[512];
    sqlite3 *db;
    int rc = parse_result(rcl_agg_opts_parse("enroll", argc, argv, opts, 4), enroll_help);

    if (rc != -2)
        return rc;
    if (from && !rcl_agg_opt_require("enroll", "db", path))
        return rcl_agg_enroll_from(path, from, source || key);
    if (rcl_agg_opt_require("enroll", "db", path) ||
        rcl_agg_opt_require("enroll", "source", source) ||
        rcl_agg_opt_require("enroll", "key", key))
        return EXIT_USAGE;
    if (!rcl_id_valid(source)) {
        rcl_agg_usage_error(
            "enroll", "--source '%s' is not a valid id (1-32 characters from 0-9 A-Z a-z _ . -)",
            source);
        return EXIT_USAGE;
    }
    if (rcl_key_from_hex(key, pk) != 0) {
        rcl_agg_usage_error("enroll", "--key '%s' is not a public key (64 hex characters)", key);
        return EXIT_USAGE;
    }
    db = open_store("enroll", path, &cfg);
    if (!db)
        return EXIT_DATA;
    rc = EXIT_DATA;
    if (rcl_agg_store_keys(db, own, NULL) == 0 && sodium_memcmp(own, pk, RCL_PK_BYTES) == 0) {
        fprintf(stderr, "enroll: that key is this aggregator's own key, not source %s's\n", source);
        goto out;
    }
    if (rcl_agg_enroll(db, &cfg, source, pk, &result, other, (int64_t)time(NULL), err,
                       sizeof(err)) != 0) {
        fprintf(stderr, "enroll: %s: %s\n", path, err);
        goto out;
    }
    switch (result) {
    case RCL_AGG_ENROLLED:
        printf("enrolled source %s\n", source);
        break;
    case RCL_AGG_REKEYED:
        printf("source %s re-enrolled with a new key: the old key is no longer admitted, the "
               "source is active, and its batches start again from seq 1\n",
               source);
        break;
    case RCL_AGG_UNREVOKED:
        printf("source %s was revoked and is enrolled again\n", source);
        break;
    case RCL_AGG_UNCHANGED:
        printf("source %s is already enrolled with this key; nothing changed\n", source);
        break;
    case RCL_AGG_KEY_IN_USE:
        fprintf(stderr, "enroll: that key is already enrolled for source %s\n", other);
        goto out;
    case RCL_AGG_NOT_A_SCHOOL:
        fprintf(stderr,
                "enroll: source '%s' is not a 10-digit school code (the sources of county "
                "aggregator %s are schools)\n",
                source, cfg.id);
        goto out;
    }
    rc = EXIT_OK;
out:
    rcl_db_close(&db);
    return rc;
}

/* ---- revoke ---- */

static const char revoke_help[] =
    "usage: " PROGRAM " revoke --db FILE --source ID [--release-schools]\n"
    "\n"
    "Stops admitting source ID: new connections with its key are refused at the\n"
    "handshake and batches on an open connection are refused. Its figures stay\n"
    "in reports. Works while `run` is running; `enroll` lifts it.\n"
    "--release-schools (a city or the province): also forgets the schools counted\n"
    "through ID, so that another child (the city a county moved under) counts them.\n";

static int cmd_revoke(int argc, char **argv)
{
    const char *path = NULL, *source = NULL;
    bool release = false;
    struct rcl_agg_opt opts[] = {
        {"db", &path, NULL}, {"source", &source, NULL}, {"release-schools", NULL, &release}};
    struct rcl_agg_config cfg;
    char err[512];
    sqlite3 *db;
    int n, rc = parse_result(rcl_agg_opts_parse("revoke", argc, argv, opts, 3), revoke_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("revoke", "db", path) ||
        rcl_agg_opt_require("revoke", "source", source))
        return EXIT_USAGE;
    db = open_store("revoke", path, &cfg);
    if (!db)
        return EXIT_DATA;
    if (release && cfg.tier == RCL_AGG_COUNTY) {
        rcl_agg_usage_error("revoke", "--release-schools is for a city or the province (a county "
                              "counts its schools from their own rows)");
        rcl_db_close(&db);
        return EXIT_USAGE;
    }
    switch (rcl_agg_revoke(db, source)) {
    case 1:
        printf("revoked source %s\n", source);
        rc = EXIT_OK;
        break;
    case 2:
        printf("source %s was already revoked\n", source);
        rc = EXIT_OK;
        break;
    case 0:
        fprintf(stderr, "revoke: source %s is not enrolled\n", source);
        rc = EXIT_DATA;
        break;
    default:
        fprintf(stderr, "revoke: %s: could not revoke source %s: %s\n", path, source,
                sqlite3_errmsg(db));
        rc = EXIT_DATA;
    }
    if (rc == EXIT_OK && release) {
        if ((n = rcl_agg_release_schools(db, &cfg, source, err, sizeof(err))) < 0) {
            fprintf(stderr, "revoke: %s: %s\n", path, err);
            rc = EXIT_DATA;
        } else {
            printf("released %d school(s) counted through %s\n", n, source);
        }
    }
    rcl_db_close(&db);
    return rc;
}

/* ---- run ---- */

static const char run_help[] =
    "usage: " PROGRAM " run --db FILE [--http HOST:PORT|off]\n"
    "\n"
    "Serves in the foreground: accepts batches from enrolled sources on the listen\n"
    "endpoint and forwards summaries to the upstream, if any. SIGTERM or SIGINT\n"
    "stop it cleanly. --http serves /metrics (Prometheus) and the dashboard (/, with\n"
    "the operator token) on HOST:PORT (a bare PORT: 127.0.0.1), instead of the\n"
    "address given at init; off serves neither.\n";

static int cmd_run(int argc, char **argv)
{
    const char *path = NULL, *http = NULL;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}, {"http", &http, NULL}};
    int rc = parse_result(rcl_agg_opts_parse("run", argc, argv, opts, 2), run_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("run", "db", path))
        return EXIT_USAGE;
    if (http && strcmp(http, "off") != 0 && rcl_agg_http_addr_parse(http, NULL) != 0) {
        rcl_agg_usage_error("run",
                    "--http '%s' is not HOST:PORT (an IPv4 address or localhost), PORT or off",
                    http);
        return EXIT_USAGE;
    }
    return rcl_agg_run(path, http) == 0 ? EXIT_OK : EXIT_DATA;
}

/* ---- report ---- */

static const char report_help[] =
    "usage: " PROGRAM " report --db FILE [--format json|csv|html] [--stale-days N]\n"
    "                          [--divisions FILE] [--suppress-below N]\n"
    "\n"
    "Prints the totals over every school below this aggregator, one row per unit\n"
    "reporting directly to it, one row per county (and the unit it comes through),\n"
    "and completeness (schools expected, reported, stale, never reported). csv\n"
    "opens in Excel; html is one self-contained page with charts.\n"
    "Readable while `run` is running. --stale-days overrides the store's setting.\n"
    "--divisions names counties, their cities and unnamed units from a CSV with\n"
    "columns code,name[,city_code,city_name,...] (like henan-divisions.csv).\n"
    "--suppress-below N publishes a unit's or county's counts from 1 to N-1 as\n"
    "suppressed (null in JSON, \"<N\" in csv and html); totals stay exact.\n";

static int cmd_report(int argc, char **argv)
{
    const char *path = NULL, *format = NULL, *stale = NULL, *divisions = NULL, *suppress = NULL;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL},
                         {"format", &format, NULL},
                         {"stale-days", &stale, NULL},
                         {"divisions", &divisions, NULL},
                         {"suppress-below", &suppress, NULL}};
    struct rcl_agg_report_options ro;
    struct rcl_agg_config cfg;
    char err[512], *end;
    sqlite3 *db;
    int rc = parse_result(rcl_agg_opts_parse("report", argc, argv, opts, 5), report_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("report", "db", path))
        return EXIT_USAGE;
    memset(&ro, 0, sizeof(ro));
    if (format && rcl_agg_report_format_parse(format, &ro.format) != 0) {
        rcl_agg_usage_error("report", "--format '%s' must be json, csv or html", format);
        return EXIT_USAGE;
    }
    if (rcl_agg_stale_days_parse("report", stale, &ro.stale_seconds) != 0)
        return EXIT_USAGE;
    if (suppress) {
        unsigned long long n;

        errno = 0;
        n = strtoull(suppress, &end, 10);
        if (errno != 0 || end == suppress || *end != '\0' || suppress[0] == '-' || n < 1 ||
            n > 1000000) {
            rcl_agg_usage_error("report", "--suppress-below '%s' must be a whole number from 1 to 1000000",
                        suppress);
            return EXIT_USAGE;
        }
        ro.suppress_below = (uint64_t)n;
    }
    ro.divisions_path = divisions;
    db = open_store("report", path, &cfg);
    if (!db)
        return EXIT_DATA;
    rc = EXIT_OK;
    if (rcl_agg_report_write(db, &cfg, &ro, stdout, err, sizeof(err)) != 0) {
        fprintf(stderr, "report: %s: %s\n", path, err);
        rc = EXIT_DATA;
    }
    rcl_db_close(&db);
    return rc;
}

/* ---- list ---- */

static int cmd_list(int argc, char **argv)
{
    const char *path = NULL, *format = NULL, *stale = NULL, *school = NULL, *kind = NULL;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL},
                                 {"format", &format, NULL},
                                 {"stale-days", &stale, NULL},
                                 {"school", &school, NULL}};
    struct rcl_agg_list_options lo;
    struct rcl_agg_config cfg;
    char **rest = calloc((size_t)argc + 1, sizeof(*rest)), err[512];
    int n_rest = 0, rc;
    sqlite3 *db;

    if (!rest) {
        fprintf(stderr, "list: out of memory\n");
        return EXIT_DATA;
    }
    rcl_agg_opts_positional(argc, argv, opts, 4, &kind, rest, &n_rest);
    rc = parse_result(rcl_agg_opts_parse("list", n_rest, rest, opts, 4), rcl_agg_list_help());
    free(rest);
    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("list", "db", path))
        return EXIT_USAGE;
    memset(&lo, 0, sizeof(lo));
    if (!kind) {
        rcl_agg_usage_error("list", "missing KIND, one of: %s", rcl_agg_list_kind_names());
        return EXIT_USAGE;
    }
    if ((lo.kind = rcl_agg_list_kind_find(kind)) < 0) {
        rcl_agg_usage_error("list", "unknown KIND '%s' (kinds: %s)", kind,
                            rcl_agg_list_kind_names());
        return EXIT_USAGE;
    }
    if (format && rcl_agg_list_format_parse(format, &lo.format) != 0) {
        rcl_agg_usage_error("list", "--format '%s' must be text, csv or json", format);
        return EXIT_USAGE;
    }
    if (stale && !rcl_agg_list_kind_uses_window(lo.kind)) {
        rcl_agg_usage_error("list", "--stale-days applies to the schools list, not to %s", kind);
        return EXIT_USAGE;
    }
    if (rcl_agg_stale_days_parse("list", stale, &lo.stale_seconds) != 0)
        return EXIT_USAGE;
    if (school && !rcl_agg_school_code_valid(school)) {
        rcl_agg_usage_error("list", "--school '%s' is not a 10-digit school code", school);
        return EXIT_USAGE;
    }
    lo.school = school;
    db = open_store("list", path, &cfg);
    if (!db)
        return EXIT_DATA;
    rc = EXIT_OK;
    if (rcl_agg_list_write(db, &cfg, &lo, stdout, err, sizeof(err)) != 0) {
        fprintf(stderr, "list: %s: %s\n", path, err);
        rc = EXIT_DATA;
    }
    rcl_db_close(&db);
    return rc;
}

/* ---- status ---- */

static const char status_help[] =
    "usage: " PROGRAM " status --db FILE [--json]\n"
    "\n"
    "Prints each source's sync state (highest applied seq, last batch) and the\n"
    "changes still waiting for the upstream's acknowledgement.\n";

static int cmd_status(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}, {"json", NULL, &json}};
    struct rcl_agg_config cfg;
    sqlite3 *db;
    int rc = parse_result(rcl_agg_opts_parse("status", argc, argv, opts, 2), status_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("status", "db", path))
        return EXIT_USAGE;
    db = open_store("status", path, &cfg);
    if (!db)
        return EXIT_DATA;
    rc = EXIT_OK;
    if (rcl_agg_status_write(db, &cfg, json, stdout) != 0) {
        fprintf(stderr, "status: %s: reading the store failed: %s\n", path, sqlite3_errmsg(db));
        rc = EXIT_DATA;
    }
    rcl_db_close(&db);
    return rc;
}

static const char audit_help[] =
    "usage: " PROGRAM " audit --db FILE [--json]\n"
    "\n"
    "Checks the hash chain of every source's applied batches, that the registry\n"
    "and (at a county) each school's summary name the last batch applied, and\n"
    "lists the refused batches kept aside with their reasons. Exits 0 when every\n"
    "chain is sound, 1 when a break is found (each is printed). Readable while\n"
    "`run` is running.\n";

static int cmd_audit(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}, {"json", NULL, &json}};
    struct rcl_agg_config cfg;
    sqlite3 *db;
    int breaks, rc = parse_result(rcl_agg_opts_parse("audit", argc, argv, opts, 2), audit_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("audit", "db", path))
        return EXIT_USAGE;
    db = open_store("audit", path, &cfg);
    if (!db)
        return EXIT_DATA;
    breaks = rcl_agg_audit(db, &cfg, json, stdout);
    if (breaks < 0)
        fprintf(stderr, "audit: %s: reading the store failed: %s\n", path, sqlite3_errmsg(db));
    else if (breaks > 0)
        fprintf(stderr, "audit: %s: %d break%s in the chains (see above)\n", path, breaks,
                breaks == 1 ? "" : "s");
    rcl_db_close(&db);
    return breaks == 0 ? EXIT_OK : EXIT_DATA;
}

/* ---- health ---- */

static const char health_help[] =
    "usage: " PROGRAM " health --db FILE [--max-lag SECONDS] [--min-free-mb N]\n"
    "\n"
    "Checks that this aggregator is doing its job and prints one line: \"ok: ...\"\n"
    "(exit 0), or what is wrong (exit 1: the store cannot be read or fails its\n"
    "integrity check, the disk holding it has less than N MiB free (100), or\n"
    "`run` is not running on it or is stuck; exit 3: the oldest change waiting for\n"
    "the upstream is older than SECONDS (3600)). Only reads the store. Run it on\n"
    "the host that runs `run` (it looks for the process).\n";

/* Parses a whole number from 0 to max. 0, or -1 after a usage error. */
static int parse_count(const char *cmd, const char *name, const char *s, int64_t max,
                       int64_t *out)
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

static int cmd_health(int argc, char **argv)
{
    const char *path = NULL, *max_lag = NULL, *min_free = NULL;
    struct rcl_agg_opt opts[] = {
        {"db", &path, NULL}, {"max-lag", &max_lag, NULL}, {"min-free-mb", &min_free, NULL}};
    struct rcl_agg_health_options ho;
    int64_t lag = RCL_AGG_HEALTH_MAX_LAG_DEFAULT, free_mb = RCL_AGG_HEALTH_MIN_FREE_MB_DEFAULT;
    char line[1024];
    enum rcl_agg_health_result res;
    int rc = parse_result(rcl_agg_opts_parse("health", argc, argv, opts, 3), health_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("health", "db", path) ||
        parse_count("health", "max-lag", max_lag, 100LL * 365 * 86400, &lag) != 0 ||
        parse_count("health", "min-free-mb", min_free, 1LL << 40, &free_mb) != 0)
        return EXIT_USAGE;
    memset(&ho, 0, sizeof(ho));
    ho.max_lag_seconds = lag;
    ho.min_free_bytes = (uint64_t)free_mb * 1024 * 1024;
    res = rcl_agg_health(path, &ho, line, sizeof(line));
    if (res == RCL_AGG_HEALTHY) {
        printf("%s\n", line);
        return EXIT_OK;
    }
    fprintf(stderr, "health: %s\n", line);
    return (int)res;
}

/* ---- dashboard-token ---- */

static const char dashboard_token_help[] =
    "usage: " PROGRAM " dashboard-token --db FILE [--new]\n"
    "\n"
    "Prints the operator token the dashboard (`run --http`, path /) asks for, as\n"
    "`Authorization: Bearer TOKEN` or `?token=TOKEN`. --new replaces it (the old one\n"
    "stops working at once, also while `run` runs). The token is kept in the store,\n"
    "which only its owner can read.\n";

static int cmd_dashboard_token(int argc, char **argv)
{
    const char *path = NULL;
    bool fresh = false;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}, {"new", NULL, &fresh}};
    char token[RCL_AGG_TOKEN_HEX_LEN + 1], err[512];
    sqlite3 *db;
    int found, rc = parse_result(rcl_agg_opts_parse("dashboard-token", argc, argv, opts, 2),
                                 dashboard_token_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("dashboard-token", "db", path))
        return EXIT_USAGE;
    db = open_store("dashboard-token", path, NULL);
    if (!db)
        return EXIT_DATA;
    rc = EXIT_OK;
    found = fresh ? 0 : rcl_agg_token_get(db, token);
    if (found < 0) {
        fprintf(stderr, "dashboard-token: %s: reading the store failed: %s\n", path,
                sqlite3_errmsg(db));
        rc = EXIT_DATA;
    } else if (found == 0 && rcl_agg_token_new(db, token, err, sizeof(err)) != 0) {
        fprintf(stderr, "dashboard-token: %s: %s\n", path, err);
        rc = EXIT_DATA;
    } else {
        printf("%s\n", token);
    }
    sodium_memzero(token, sizeof(token));
    rcl_db_close(&db);
    return rc;
}

/* ---- import-bundle ---- */

static const char import_bundle_help[] =
    "usage: " PROGRAM " import-bundle --db FILE BUNDLE\n"
    "\n"
    "Applies BUNDLE, the file a school without any link wrote with `rollcall-school\n"
    "bundle`. The whole file is checked first (a truncated or corrupted one applies\n"
    "nothing); then each batch is verified and applied as if it came over the\n"
    "network: the source must be enrolled here and not revoked, and a batch already\n"
    "held is not applied twice. Prints one line per batch. Exits 0 when every batch\n"
    "was applied or already held, 1 otherwise. Works while `run` is running, which\n"
    "forwards the updated summaries upstream.\n";

static int cmd_import_bundle(int argc, char **argv)
{
    const char *path = NULL, *bundle = NULL;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}};
    struct rcl_agg_config cfg;
    char **rest = calloc((size_t)argc + 1, sizeof(*rest));
    int n_rest = 0, rc;
    sqlite3 *db;

    if (!rest) {
        fprintf(stderr, "import-bundle: out of memory\n");
        return EXIT_DATA;
    }
    /* The one positional argument is taken out; parse_opts sees only options. */
    rcl_agg_opts_positional(argc, argv, opts, 1, &bundle, rest, &n_rest);
    rc = parse_result(rcl_agg_opts_parse("import-bundle", n_rest, rest, opts, 1),
                      import_bundle_help);
    free(rest);
    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("import-bundle", "db", path))
        return EXIT_USAGE;
    if (!bundle || !bundle[0]) {
        rcl_agg_usage_error("import-bundle", "missing BUNDLE, the file to import");
        return EXIT_USAGE;
    }
    db = open_store("import-bundle", path, &cfg);
    if (!db)
        return EXIT_DATA;
    rc = rcl_agg_bundle_import(db, &cfg, bundle, stdout, stderr) == 0 ? EXIT_OK : EXIT_DATA;
    rcl_db_close(&db);
    return rc;
}

/* ---- backup ---- */

static const char backup_help[] =
    "usage: " PROGRAM " backup --db FILE --out FILE [--force]\n"
    "\n"
    "Copies the store into the new file --out (mode 0600: it holds the secret key)\n"
    "through SQLite's online backup API, as of the moment it starts. Works while\n"
    "`run` runs, which goes on applying batches. The copy is checked with PRAGMA\n"
    "integrity_check before it is renamed into place; an existing --out is refused\n"
    "unless --force. Restoring: ops/RUNBOOK.md.\n";

static int cmd_backup(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    bool force = false;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}, {"out", &out, NULL}, {"force", NULL, &force}};
    struct rcl_agg_backup_result res;
    char err[1024];
    sqlite3 *db;
    int rc = parse_result(rcl_agg_opts_parse("backup", argc, argv, opts, 3), backup_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("backup", "db", path) || rcl_agg_opt_require("backup", "out", out))
        return EXIT_USAGE;
    db = open_store("backup", path, NULL);
    if (!db)
        return EXIT_DATA;
    rc = EXIT_OK;
    if (rcl_agg_backup(db, path, out, force, &res, err, sizeof(err)) != 0) {
        fprintf(stderr, "backup: %s\n", err);
        rc = EXIT_DATA;
    } else {
        printf("backup: %s written (%d pages of %d bytes, integrity ok)\n", out, res.pages,
               res.page_size);
    }
    rcl_db_close(&db);
    return rc;
}

static const struct command commands[] = {
    {"init", init_help, cmd_init},
    {"pubkey", pubkey_help, cmd_pubkey},
    {"rotate-key", rotate_key_help, cmd_rotate_key},
    {"set-upstream", set_upstream_help, cmd_set_upstream},
    {"enroll", enroll_help, cmd_enroll},
    {"revoke", revoke_help, cmd_revoke},
    {"run", run_help, cmd_run},
    {"report", report_help, cmd_report},
    {"list", NULL, cmd_list}, /* its help is made from the kinds (agg_lists.c) */
    {"status", status_help, cmd_status},
    {"audit", audit_help, cmd_audit},
    {"health", health_help, cmd_health},
    {"dashboard-token", dashboard_token_help, cmd_dashboard_token},
    {"import-bundle", import_bundle_help, cmd_import_bundle},
    {"backup", backup_help, cmd_backup},
};

int main(int argc, char **argv)
{
    int rc;

    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage_text, stdout);
        return EXIT_OK;
    }
    rcl_log_init(PROGRAM);
    if (rcl_keys_init() != 0) {
        fprintf(stderr, PROGRAM ": libsodium failed to start\n");
        return EXIT_DATA;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            rc = commands[i].fn(argc - 2, argv + 2);
            fflush(stdout);
            return rc;
        }
    }
    fprintf(stderr, PROGRAM ": unknown command '%s'\n\n", argv[1]);
    fputs(usage_text, stderr);
    return EXIT_USAGE;
}

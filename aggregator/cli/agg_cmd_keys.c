/*
 * agg_cmd_keys.c - rollcall-agg's commands for its identity and its peers:
 * init, pubkey, rotate-key and set-upstream (this aggregator's own key and
 * upstream), enroll and revoke (the sources it admits), exchange (with the other
 * counties, through the province).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "agg_cli.h"
#include "agg_cmd.h"
#include "agg_enroll_file.h"
#include "agg_exchange.h"
#include "agg_http.h"
#include "agg_monitor.h"
#include "agg_release.h"
#include "agg_store.h"
#include "agg_tier.h"
#include "agg_timeliness.h"
#include "rcl_codec.h"
#include "rcl_db.h"
#include "rcl_keys.h"
#include "rcl_model.h"
#include "rcl_log.h"
#include "rcl_outbox.h"

/* ---- init ---- */

static const char init_help[] =
    "usage: " RCL_AGG_PROGRAM " init --db FILE --id ID --tier county|city|province"
    " --listen ENDPOINT\n"
    "                    [--upstream ENDPOINT --upstream-key KEY] [--stale-days N]\n"
    "                    [--http HOST:PORT] [--deadline TIME]\n"
    "\n"
    "Creates the aggregator store FILE (it must not exist) with a new identity key,\n"
    "and prints the public key (64 hex characters) for enrolling this aggregator\n"
    "upstream. ID: 1-32 characters from 0-9 A-Z a-z _ . - (a county uses its\n"
    "6-digit code). ENDPOINT: tcp://HOST:PORT. KEY: the upstream's public key.\n"
    "--stale-days: a school that has not synced for N days counts as stale (7).\n"
    "--http: where `run` serves /metrics and the dashboard (e.g. 127.0.0.1:9100; a bare\n"
    "PORT means 127.0.0.1:PORT); off when not given. The dashboard's operator token is\n"
    "made here either way (`dashboard-token` prints it).\n"
    "--deadline: when schools are to have reported (`deadline --help`).\n";

int rcl_agg_cmd_init(int argc, char **argv)
{
    const char *db = NULL, *id = NULL, *tier = NULL, *listen = NULL, *upstream = NULL,
               *upstream_key = NULL, *stale = NULL, *http = NULL, *deadline = NULL;
    struct rcl_agg_opt opts[] = {{"http", &http, NULL},
                                 {"deadline", &deadline, NULL},
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
    int64_t deadline_at = 0;
    int rc = rcl_agg_opts_result(rcl_agg_opts_parse("init", argc, argv, opts, 9), init_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("init", "db", db) || rcl_agg_opt_require("init", "id", id) ||
        rcl_agg_opt_require("init", "tier", tier) || rcl_agg_opt_require("init", "listen", listen))
        return RCL_AGG_EXIT_USAGE;
    memset(&cfg, 0, sizeof(cfg));
    if (!rcl_id_valid(id)) {
        rcl_agg_usage_error(
            "init", "--id '%s' is not a valid id (1-32 characters from 0-9 A-Z a-z _ . -)", id);
        return RCL_AGG_EXIT_USAGE;
    }
    snprintf(cfg.id, sizeof(cfg.id), "%s", id);
    if (rcl_agg_tier_parse(tier, &cfg.tier) != 0) {
        rcl_agg_usage_error("init", "--tier '%s' must be county, city or province", tier);
        return RCL_AGG_EXIT_USAGE;
    }
    if (!rcl_agg_endpoint_valid(listen)) {
        rcl_agg_usage_error("init", "--listen '%s' is not a tcp://HOST:PORT endpoint", listen);
        return RCL_AGG_EXIT_USAGE;
    }
    snprintf(cfg.listen, sizeof(cfg.listen), "%s", listen);
    if (!upstream != !upstream_key) {
        rcl_agg_usage_error("init", "%s", "--upstream and --upstream-key go together");
        return RCL_AGG_EXIT_USAGE;
    }
    if (upstream) {
        if (!rcl_agg_endpoint_valid(upstream) || strchr(upstream, '*')) {
            rcl_agg_usage_error("init", "--upstream '%s' is not a tcp://HOST:PORT endpoint",
                                upstream);
            return RCL_AGG_EXIT_USAGE;
        }
        if (rcl_key_from_hex(upstream_key, cfg.upstream_key) != 0) {
            rcl_agg_usage_error("init",
                                "--upstream-key '%s' is not a public key (64 hex characters, as "
                                "printed by pubkey)",
                                upstream_key);
            return RCL_AGG_EXIT_USAGE;
        }
        snprintf(cfg.upstream, sizeof(cfg.upstream), "%s", upstream);
        cfg.has_upstream = true;
    }
    if (rcl_agg_stale_days_parse("init", stale, &cfg.stale_seconds) != 0)
        return RCL_AGG_EXIT_USAGE;
    if (http && rcl_agg_http_addr_parse(http, NULL) != 0) {
        rcl_agg_usage_error(
            "init", "--http '%s' is not HOST:PORT (an IPv4 address or localhost) or PORT", http);
        return RCL_AGG_EXIT_USAGE;
    }
    if (deadline && rcl_agg_deadline_opt("init", deadline, false, &deadline_at) != 0)
        return RCL_AGG_EXIT_USAGE;
    if (cfg.stale_seconds == 0)
        cfg.stale_seconds = RCL_AGG_STALE_DEFAULT;
    if (rcl_agg_store_create(db, &cfg, pk, err, sizeof(err)) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "init: %s", err);
        return RCL_AGG_EXIT_DATA;
    }
    /* The store exists from here; what follows is written into it. */
    store = rcl_agg_cli_store_open("init", db, NULL);
    if (!store)
        return RCL_AGG_EXIT_DATA;
    rc = RCL_AGG_EXIT_OK;
    if (http && rcl_meta_set_text(store, "http", http) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "init: cannot store --http db=%s err=%s", rcl_log_value(db),
                      rcl_log_value(sqlite3_errmsg(store)));
        rc = RCL_AGG_EXIT_DATA;
    } else if (deadline_at > 0 && rcl_agg_deadline_set(store, deadline_at) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "init: cannot store --deadline db=%s err=%s",
                      rcl_log_value(db), rcl_log_value(sqlite3_errmsg(store)));
        rc = RCL_AGG_EXIT_DATA;
    } else if (rcl_agg_token_new(store, token, err, sizeof(err)) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "init: %s db=%s", err, rcl_log_value(db));
        rc = RCL_AGG_EXIT_DATA;
    }
    sodium_memzero(token, sizeof(token));
    rcl_db_close(&store);
    if (rc != RCL_AGG_EXIT_OK)
        return rc;
    rcl_key_to_hex(pk, hex);
    printf("%s\n", hex);
    rcl_log_write(RCL_LOG_INFO,
                  "init: created the aggregator tier=%s id=%s db=%s endpoint=%s upstream=%s",
                  rcl_agg_tier_names[cfg.tier], rcl_log_value(cfg.id), rcl_log_value(db),
                  rcl_log_value(cfg.listen), cfg.has_upstream ? rcl_log_value(cfg.upstream) : "-");
    return RCL_AGG_EXIT_OK;
}

/* ---- pubkey ---- */

static const char pubkey_help[] =
    "usage: " RCL_AGG_PROGRAM " pubkey --db FILE\n"
    "\n"
    "Prints this aggregator's public key (64 hex characters): what\n"
    "its upstream enrolls, and what its sources use as --upstream-key.\n";

int rcl_agg_cmd_pubkey(int argc, char **argv)
{
    const char *path = NULL;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}};
    sqlite3 *db;
    uint8_t pk[RCL_PK_BYTES];
    char hex[RCL_PK_HEX_LEN + 1];
    int rc = rcl_agg_opts_result(rcl_agg_opts_parse("pubkey", argc, argv, opts, 1), pubkey_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("pubkey", "db", path))
        return RCL_AGG_EXIT_USAGE;
    db = rcl_agg_cli_store_open("pubkey", path, NULL);
    if (!db)
        return RCL_AGG_EXIT_DATA;
    rc = RCL_AGG_EXIT_OK;
    if (rcl_agg_store_keys(db, pk, NULL) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "pubkey: no public key in meta db=%s", rcl_log_value(path));
        rc = RCL_AGG_EXIT_DATA;
    } else {
        rcl_key_to_hex(pk, hex);
        printf("%s\n", hex);
    }
    rcl_db_close(&db);
    return rc;
}

/* ---- rotate-key ---- */

static const char rotate_key_help[] =
    "usage: " RCL_AGG_PROGRAM " rotate-key --db FILE\n"
    "\n"
    "Replaces this aggregator's identity key and prints the new public key. The old\n"
    "key signs the change that announces the new one to the upstream; the new key\n"
    "takes effect once the upstream acknowledges it (`run` sends it by itself, also\n"
    "when already running) and signs everything after it. Nothing needs\n"
    "re-enrolling upstream. The key is also the one this aggregator's sources use as\n"
    "--upstream-key: `run` serves them with the key it started with, so once it is\n"
    "restarted each source follows with `set-upstream --upstream-key NEW`.\n";

int rcl_agg_cmd_rotate_key(int argc, char **argv)
{
    const char *path = NULL;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}};
    struct rcl_agg_config cfg;
    struct rcl_outbox_rotation rot;
    uint8_t pk[RCL_PK_BYTES], sk[RCL_SK_BYTES], new_pk[RCL_PK_BYTES];
    char hex[RCL_PK_HEX_LEN + 1];
    sqlite3 *db;
    enum rcl_outbox_rotate_result begun;
    int rc =
        rcl_agg_opts_result(rcl_agg_opts_parse("rotate-key", argc, argv, opts, 1), rotate_key_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("rotate-key", "db", path))
        return RCL_AGG_EXIT_USAGE;
    db = rcl_agg_cli_store_open("rotate-key", path, &cfg);
    if (!db)
        return RCL_AGG_EXIT_DATA;
    rc = RCL_AGG_EXIT_DATA;
    memset(sk, 0, sizeof(sk));
    if (!cfg.has_upstream) {
        rcl_log_write(
            RCL_LOG_ERROR,
            "rotate-key: the aggregator has no upstream to announce a new key to db=%s id=%s",
            rcl_log_value(path), rcl_log_value(cfg.id));
    } else if (rcl_agg_store_keys(db, pk, sk) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "rotate-key: the identity key is missing from meta db=%s",
                      rcl_log_value(path));
    } else if ((begun = rcl_outbox_rotate_begin(db, cfg.id, pk, sk, new_pk)) ==
                   RCL_OUTBOX_ROTATE_PENDING &&
               rcl_outbox_rotation(db, &rot) == 0) {
        rcl_key_to_hex(rot.new_pk, hex);
        rcl_log_write(RCL_LOG_ERROR,
                      "rotate-key: a key rotation is already waiting for the upstream's "
                      "acknowledgement db=%s new_key=%s seq=%llu",
                      rcl_log_value(path), hex, (unsigned long long)rot.seq);
    } else if (begun != RCL_OUTBOX_ROTATE_BEGUN) {
        rcl_log_write(RCL_LOG_ERROR,
                      "rotate-key: cannot start the key rotation (see the log above) db=%s",
                      rcl_log_value(path));
    } else {
        rcl_key_to_hex(new_pk, hex);
        printf("%s\n", hex);
        rcl_log_write(
            RCL_LOG_INFO,
            "rotate-key: new key queued. It takes effect once the upstream acknowledges it "
            "(`run` sends it by itself, with the next sync); nothing needs re-enrolling "
            "there. From the first start of `run` after that, its sources need "
            "`set-upstream --upstream-key NEW_KEY` id=%s upstream=%s new_key=%s",
            rcl_log_value(cfg.id), rcl_log_value(cfg.upstream), hex);
        rc = RCL_AGG_EXIT_OK;
    }
    sodium_memzero(sk, sizeof(sk));
    rcl_db_close(&db);
    return rc;
}

/* ---- set-upstream ---- */

static const char set_upstream_help[] =
    "usage: " RCL_AGG_PROGRAM " set-upstream --db FILE --upstream ENDPOINT --upstream-key KEY\n"
    "\n"
    "Changes where this aggregator reports to (tcp://HOST:PORT) and the upstream's\n"
    "public key, e.g. after the upstream rotated its own key or moved. `run` uses\n"
    "them from its next start. A different upstream must enroll this aggregator's\n"
    "key first; it then gets everything this aggregator holds by itself.\n";

int rcl_agg_cmd_set_upstream(int argc, char **argv)
{
    const char *path = NULL, *upstream = NULL, *upstream_key = NULL;
    struct rcl_agg_opt opts[] = {
        {"db", &path, NULL}, {"upstream", &upstream, NULL}, {"upstream-key", &upstream_key, NULL}};
    uint8_t key[RCL_PK_BYTES], own[RCL_PK_BYTES];
    char hex[RCL_PK_HEX_LEN + 1];
    sqlite3 *db;
    int rc = rcl_agg_opts_result(rcl_agg_opts_parse("set-upstream", argc, argv, opts, 3),
                                 set_upstream_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("set-upstream", "db", path) ||
        rcl_agg_opt_require("set-upstream", "upstream", upstream) ||
        rcl_agg_opt_require("set-upstream", "upstream-key", upstream_key))
        return RCL_AGG_EXIT_USAGE;
    /* The same checks as init. */
    if (!rcl_agg_endpoint_valid(upstream) || strchr(upstream, '*')) {
        rcl_agg_usage_error("set-upstream", "--upstream '%s' is not a tcp://HOST:PORT endpoint",
                            upstream);
        return RCL_AGG_EXIT_USAGE;
    }
    if (rcl_key_from_hex(upstream_key, key) != 0) {
        rcl_agg_usage_error(
            "set-upstream",
            "--upstream-key '%s' is not a public key (64 hex characters, as printed by "
            "pubkey)",
            upstream_key);
        return RCL_AGG_EXIT_USAGE;
    }
    db = rcl_agg_cli_store_open("set-upstream", path, NULL);
    if (!db)
        return RCL_AGG_EXIT_DATA;
    rc = RCL_AGG_EXIT_DATA;
    if (rcl_agg_store_keys(db, own, NULL) == 0 && sodium_memcmp(own, key, RCL_PK_BYTES) == 0) {
        rcl_log_write(RCL_LOG_ERROR,
                      "set-upstream: that key is this aggregator's own key, not its upstream's");
    } else if (rcl_db_begin(db) != 0 || rcl_meta_set_text(db, "upstream", upstream) != 0 ||
               rcl_meta_set_blob(db, "upstream_key", key, RCL_PK_BYTES) != 0 ||
               rcl_db_commit(db) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "set-upstream: cannot write the upstream db=%s err=%s",
                      rcl_log_value(path), rcl_log_value(sqlite3_errmsg(db)));
        rcl_db_rollback(db);
    } else {
        rcl_key_to_hex(key, hex);
        printf("upstream: %s (key %s); `run` uses it from its next start\n", upstream, hex);
        rc = RCL_AGG_EXIT_OK;
    }
    rcl_db_close(&db);
    return rc;
}

/* ---- deadline ---- */

static const char deadline_help[] =
    "usage: " RCL_AGG_PROGRAM " deadline --db FILE [--set TIME | --clear]\n"
    "\n"
    "Prints the reporting deadline of this aggregator (or sets or clears it). A school\n"
    "reported on time when its county accepted its first batch by then; reports then\n"
    "count, per unit, schools expected, reported on time, late and never reported.\n"
    "TIME: 2020-03-06T18:00+08:00 (any offset, or Z), 2020-03-06 18:00 (this server's\n"
    "local time), or 2020-03-06 (the end of that day, local). Works while `run` runs.\n";

int rcl_agg_cmd_deadline(int argc, char **argv)
{
    const char *path = NULL, *set = NULL;
    bool clear = false;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL}, {"set", &set, NULL}, {"clear", NULL, &clear}};
    struct rcl_agg_config cfg;
    int64_t at = 0;
    char when[48];
    sqlite3 *db;
    int rc =
        rcl_agg_opts_result(rcl_agg_opts_parse("deadline", argc, argv, opts, 3), deadline_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("deadline", "db", path))
        return RCL_AGG_EXIT_USAGE;
    if (set && clear) {
        rcl_agg_usage_error("deadline", "%s", "--set and --clear exclude each other");
        return RCL_AGG_EXIT_USAGE;
    }
    if (set && rcl_agg_deadline_opt("deadline", set, false, &at) != 0)
        return RCL_AGG_EXIT_USAGE;
    db = rcl_agg_cli_store_open("deadline", path, &cfg);
    if (!db)
        return RCL_AGG_EXIT_DATA;
    rc = RCL_AGG_EXIT_OK;
    if ((set || clear) && rcl_agg_deadline_set(db, at) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "deadline: cannot store the deadline db=%s err=%s",
                      rcl_log_value(path), rcl_log_value(sqlite3_errmsg(db)));
        rc = RCL_AGG_EXIT_DATA;
        goto out;
    }
    at = rcl_agg_deadline_get(db);
    rcl_agg_time_local(at, when, sizeof(when));
    if (at > 0)
        printf("reporting deadline of %s: %s (unix %" PRId64 ")\n", cfg.id, when, at);
    else
        printf("no reporting deadline is set for %s\n", cfg.id);
out:
    rcl_db_close(&db);
    return rc;
}

/* ---- enroll ---- */

static const char enroll_help[] =
    "usage: " RCL_AGG_PROGRAM " enroll --db FILE --source ID --key KEY [--name NAME] [--expect N]\n"
    "       " RCL_AGG_PROGRAM " enroll --db FILE --from LIST\n"
    "\n"
    "Admits source ID with public key KEY (as its `pubkey` prints it). A county's\n"
    "sources are schools (10-digit school codes); a city's or the province's are\n"
    "aggregators. Works while `run` is running. Enrolling a known source again\n"
    "with a new key replaces the key (a rebuilt node: its sequence restarts) and\n"
    "lifts a revocation.\n"
    "--from: enrolls every source of LIST, one 'SOURCE_ID KEY' a line (blank lines\n"
    "and '#' comments skipped), in one transaction: any bad line (FILE:LINE: reason)\n"
    "and nothing is enrolled.\n"
    "--name: the source's name in reports and lists until it names itself (a school\n"
    "that never reports is listed by it). --expect N (a city or the province): the\n"
    "schools the enrolled aggregator is to bring, counted as missing while it has\n"
    "sent none. Enrolling again with the same key changes only these.\n";

/* --expect: 1 to 1,000,000 schools. 0, or -1 after a usage error. */
static int parse_expect(const char *s, int64_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v < 1 || v > 1000000) {
        rcl_agg_usage_error("enroll", "--expect '%s' must be a number of schools from 1 to 1000000",
                            s);
        return -1;
    }
    *out = (int64_t)v;
    return 0;
}

int rcl_agg_cmd_enroll(int argc, char **argv)
{
    const char *path = NULL, *source = NULL, *key = NULL, *from = NULL, *name = NULL,
               *expect = NULL;
    struct rcl_agg_opt opts[] = {{"db", &path, NULL},   {"source", &source, NULL},
                                 {"key", &key, NULL},   {"from", &from, NULL},
                                 {"name", &name, NULL}, {"expect", &expect, NULL}};
    struct rcl_agg_config cfg;
    struct rcl_agg_enrollee who = {.name = NULL, .expect_schools = -1};
    enum rcl_agg_enroll_result result;
    uint8_t pk[RCL_PK_BYTES], own[RCL_PK_BYTES];
    char other[RCL_ID_MAX + 1], err[512];
    sqlite3 *db;
    int rc = rcl_agg_opts_result(rcl_agg_opts_parse("enroll", argc, argv, opts, 6), enroll_help);

    if (rc != -2)
        return rc;
    if (from && (name || expect)) {
        rcl_agg_usage_error("enroll", "--name and --expect name one source: not with --from");
        return RCL_AGG_EXIT_USAGE;
    }
    if (from && !rcl_agg_opt_require("enroll", "db", path))
        return rcl_agg_enroll_from(path, from, source || key);
    if (rcl_agg_opt_require("enroll", "db", path) ||
        rcl_agg_opt_require("enroll", "source", source) ||
        rcl_agg_opt_require("enroll", "key", key))
        return RCL_AGG_EXIT_USAGE;
    if (!rcl_id_valid(source)) {
        rcl_agg_usage_error(
            "enroll", "--source '%s' is not a valid id (1-32 characters from 0-9 A-Z a-z _ . -)",
            source);
        return RCL_AGG_EXIT_USAGE;
    }
    if (rcl_key_from_hex(key, pk) != 0) {
        rcl_agg_usage_error("enroll", "--key '%s' is not a public key (64 hex characters)", key);
        return RCL_AGG_EXIT_USAGE;
    }
    if (name &&
        (name[0] == '\0' || strlen(name) > RCL_NAME_MAX || !rcl_utf8_valid(name, strlen(name)))) {
        rcl_agg_usage_error("enroll", "--name must be UTF-8 text of 1 to %d bytes", RCL_NAME_MAX);
        return RCL_AGG_EXIT_USAGE;
    }
    who.name = name;
    if (expect && parse_expect(expect, &who.expect_schools) != 0)
        return RCL_AGG_EXIT_USAGE;
    db = rcl_agg_cli_store_open("enroll", path, &cfg);
    if (!db)
        return RCL_AGG_EXIT_DATA;
    rc = RCL_AGG_EXIT_DATA;
    if (expect && rcl_agg_holds_students(&cfg)) {
        rcl_log_write(RCL_LOG_ERROR,
                      "enroll: --expect is for the aggregators a city or the province enrolls; the "
                      "sources of a county aggregator are schools, each expected by enrolling it "
                      "id=%s",
                      rcl_log_value(cfg.id));
        goto out;
    }
    if (rcl_agg_store_keys(db, own, NULL) == 0 && sodium_memcmp(own, pk, RCL_PK_BYTES) == 0) {
        rcl_log_write(RCL_LOG_ERROR,
                      "enroll: that key is this aggregator's own key, not the source's source=%s",
                      rcl_log_value(source));
        goto out;
    }
    if (rcl_agg_enroll_described(db, &cfg, source, pk, &who, &result, other, (int64_t)time(NULL),
                                 err, sizeof(err)) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "enroll: %s db=%s", err, rcl_log_value(path));
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
        if (name || expect)
            printf("source %s is already enrolled with this key; its name or expected schools "
                   "are updated\n",
                   source);
        else
            printf("source %s is already enrolled with this key; nothing changed\n", source);
        break;
    case RCL_AGG_KEY_IN_USE:
        rcl_log_write(RCL_LOG_ERROR,
                      "enroll: that key is already enrolled for another source source=%s",
                      rcl_log_value(other));
        goto out;
    case RCL_AGG_NOT_A_SCHOOL:
        rcl_log_write(RCL_LOG_ERROR,
                      "enroll: the source is not a 10-digit school code (the sources of a county "
                      "aggregator are schools) source=%s id=%s",
                      rcl_log_value(source), rcl_log_value(cfg.id));
        goto out;
    }
    rc = RCL_AGG_EXIT_OK;
out:
    rcl_db_close(&db);
    return rc;
}

/* ---- revoke ---- */

static const char revoke_help[] =
    "usage: " RCL_AGG_PROGRAM " revoke --db FILE --source ID [--release-schools]\n"
    "\n"
    "Stops admitting source ID: new connections with its key are refused at the\n"
    "handshake and batches on an open connection are refused. Its figures stay\n"
    "in reports. Works while `run` is running; `enroll` lifts it.\n"
    "--release-schools (a city or the province): also forgets the schools counted\n"
    "through ID, so that another child (the city a county moved under) counts them.\n";

int rcl_agg_cmd_revoke(int argc, char **argv)
{
    const char *path = NULL, *source = NULL;
    bool release = false;
    struct rcl_agg_opt opts[] = {
        {"db", &path, NULL}, {"source", &source, NULL}, {"release-schools", NULL, &release}};
    struct rcl_agg_config cfg;
    char err[512];
    sqlite3 *db;
    int n, rc = rcl_agg_opts_result(rcl_agg_opts_parse("revoke", argc, argv, opts, 3), revoke_help);

    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("revoke", "db", path) ||
        rcl_agg_opt_require("revoke", "source", source))
        return RCL_AGG_EXIT_USAGE;
    db = rcl_agg_cli_store_open("revoke", path, &cfg);
    if (!db)
        return RCL_AGG_EXIT_DATA;
    if (release && rcl_agg_holds_students(&cfg)) {
        rcl_agg_usage_error("revoke", "--release-schools is for a city or the province (a county "
                                      "counts its schools from their own rows)");
        rcl_db_close(&db);
        return RCL_AGG_EXIT_USAGE;
    }
    switch (rcl_agg_revoke(db, source)) {
    case 1:
        printf("revoked source %s\n", source);
        rc = RCL_AGG_EXIT_OK;
        break;
    case 2:
        printf("source %s was already revoked\n", source);
        rc = RCL_AGG_EXIT_OK;
        break;
    case 0:
        rcl_log_write(RCL_LOG_ERROR, "revoke: the source is not enrolled source=%s",
                      rcl_log_value(source));
        rc = RCL_AGG_EXIT_DATA;
        break;
    default:
        rcl_log_write(RCL_LOG_ERROR, "revoke: could not revoke the source db=%s source=%s err=%s",
                      rcl_log_value(path), rcl_log_value(source),
                      rcl_log_value(sqlite3_errmsg(db)));
        rc = RCL_AGG_EXIT_DATA;
    }
    if (rc == RCL_AGG_EXIT_OK && release) {
        if ((n = rcl_agg_release_schools(db, &cfg, source, err, sizeof(err))) < 0) {
            rcl_log_write(RCL_LOG_ERROR, "revoke: %s db=%s", err, rcl_log_value(path));
            rc = RCL_AGG_EXIT_DATA;
        } else {
            printf("released %d school(s) counted through %s\n", n, source);
        }
    }
    rcl_db_close(&db);
    return rc;
}

/* ---- exchange ---- */

static const char exchange_help[] =
    "usage: " RCL_AGG_PROGRAM " exchange key      --db FILE (--new FILE | --import FILE)\n"
    "       " RCL_AGG_PROGRAM " exchange digests  --db FILE --out FILE\n"
    "       " RCL_AGG_PROGRAM " exchange import   --db FILE EXCHANGE_FILE\n"
    "       " RCL_AGG_PROGRAM " exchange matches  --db FILE --county ID --out FILE\n"
    "\n"
    "Finds students enrolled in two counties, or transferred out of one and\n"
    "enrolled in another, while the province learns only how many.\n"
    "key (a county): --new makes the exchange key and writes it to a new file\n"
    "(mode 0600) to hand to the other counties, never to a city or the province;\n"
    "--import takes the key another county made.\n"
    "digests (a county): writes its students' keyed digests, signed, to --out;\n"
    "(a city) writes the latest set of each of its counties, signed by the city.\n"
    "import: at a city or the province, a county's digests file (the county\n"
    "must be enrolled here); at the province, a city's file (counties under the\n"
    "city's code only); at a city, the province's matches for one of its\n"
    "counties, kept to hand down; at a county, the matches file made for it\n"
    "(signed by its upstream). Every file carries when it was made: an older\n"
    "one never replaces a newer. Nothing changes when a file is refused.\n"
    "matches (the province or a city): writes for --county the signed file of\n"
    "its digests another county's holds too (at a city, with those the\n"
    "province found); `list elsewhere` at that county then names the students.\n"
    "The report counts shared digests per county pair.\n";

int rcl_agg_cmd_exchange(int argc, char **argv)
{
    const char *path = NULL, *new_key = NULL, *import_key = NULL, *out = NULL, *county = NULL,
               *file = NULL, *action = argc > 0 ? argv[0] : "";
    struct rcl_agg_opt key_opts[] = {
        {"db", &path, NULL}, {"new", &new_key, NULL}, {"import", &import_key, NULL}};
    struct rcl_agg_opt out_opts[] = {
        {"db", &path, NULL}, {"out", &out, NULL}, {"county", &county, NULL}};
    struct rcl_agg_opt *opts = key_opts;
    size_t n_opts = 3;
    struct rcl_agg_config cfg;
    char err[768];
    uint64_t n = 0;
    sqlite3 *db;
    int rc;

    if (strcmp(action, "--help") == 0 || strcmp(action, "-h") == 0) {
        fputs(exchange_help, stdout);
        return RCL_AGG_EXIT_OK;
    }
    if (strcmp(action, "digests") == 0 || strcmp(action, "matches") == 0) {
        opts = out_opts;
        n_opts = strcmp(action, "matches") == 0 ? 3 : 2;
    } else if (strcmp(action, "import") == 0) {
        n_opts = 1;
    } else if (strcmp(action, "key") != 0) {
        rcl_agg_usage_error("exchange",
                            "the first argument must be key, digests, import or matches, not '%s'",
                            action);
        return RCL_AGG_EXIT_USAGE;
    }
    {
        char **rest = calloc((size_t)argc, sizeof(*rest));
        int n_rest = 0;

        if (!rest) {
            rcl_log_write(RCL_LOG_ERROR, "exchange: out of memory");
            return RCL_AGG_EXIT_DATA;
        }
        if (strcmp(action, "import") == 0)
            rcl_agg_opts_positional(argc - 1, argv + 1, opts, n_opts, &file, rest, &n_rest);
        else
            for (int i = 1; i < argc; i++)
                rest[n_rest++] = argv[i];
        rc = rcl_agg_opts_result(rcl_agg_opts_parse("exchange", n_rest, rest, opts, n_opts),
                                 exchange_help);
        free(rest);
    }
    if (rc != -2)
        return rc;
    if (rcl_agg_opt_require("exchange", "db", path))
        return RCL_AGG_EXIT_USAGE;
    if (strcmp(action, "key") == 0 && (!new_key) == (!import_key)) {
        rcl_agg_usage_error("exchange", "key takes one of --new FILE and --import FILE");
        return RCL_AGG_EXIT_USAGE;
    }
    if ((opts == out_opts && rcl_agg_opt_require("exchange", "out", out)) ||
        (n_opts == 3 && opts == out_opts && rcl_agg_opt_require("exchange", "county", county)))
        return RCL_AGG_EXIT_USAGE;
    if (strcmp(action, "import") == 0 && (!file || !file[0])) {
        rcl_agg_usage_error("exchange", "import: missing EXCHANGE_FILE, the file to apply");
        return RCL_AGG_EXIT_USAGE;
    }
    db = rcl_agg_cli_store_open("exchange", path, &cfg);
    if (!db)
        return RCL_AGG_EXIT_DATA;
    if (strcmp(action, "key") == 0) {
        rc = new_key ? rcl_agg_exchange_key_new(db, &cfg, new_key, err, sizeof(err))
                     : rcl_agg_exchange_key_import(db, &cfg, import_key, err, sizeof(err));
        if (rc == 0)
            printf("exchange key of %s: %s %s\n", cfg.id, new_key ? "made, in" : "taken from",
                   new_key ? new_key : import_key);
    } else if (strcmp(action, "digests") == 0) {
        rc = rcl_agg_exchange_digests_write(db, &cfg, out, &n, err, sizeof(err));
        if (rc == 0)
            printf("%" PRIu64 " digests of %s written to %s\n", n, cfg.id, out);
    } else if (strcmp(action, "matches") == 0) {
        rc = rcl_agg_exchange_matches_write(db, &cfg, county, out, &n, err, sizeof(err));
        if (rc == 0)
            printf("%" PRIu64 " matches for %s written to %s\n", n, county, out);
    } else {
        struct rcl_agg_exchange_result res;

        rc = rcl_agg_exchange_import(db, &cfg, file, &res, err, sizeof(err));
        if (rc == 0 && res.digests_file == 2)
            printf("%" PRIu64 " digests of %" PRIu64 " counties from %s taken\n", res.digests,
                   res.units, res.from);
        else if (rc == 0 && res.digests_file)
            printf("%" PRIu64 " digests of %s taken\n", res.digests, res.from);
        else if (rc == 0 && cfg.tier == RCL_AGG_CITY)
            printf("%" PRIu64 " matches from %s for %s kept: hand them down with exchange "
                   "matches --county %s\n",
                   res.digests, res.from, res.to, res.to);
        else if (rc == 0)
            printf("%" PRIu64 " matches from %s: %" PRIu64
                   " students of %s are also in another county (list elsewhere)\n",
                   res.digests, res.from, res.students, cfg.id);
    }
    if (rc != 0)
        rcl_log_write(RCL_LOG_ERROR, "exchange: %s db=%s", err, rcl_log_value(path));
    rcl_db_close(&db);
    return rc == 0 ? RCL_AGG_EXIT_OK : RCL_AGG_EXIT_DATA;
}

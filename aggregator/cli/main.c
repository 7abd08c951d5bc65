/*
 * main.c - rollcall-agg: finds the command and hands it the rest of the
 * command line; prints the usage.
 *
 * Each command parses its own options and returns its exit code
 * (agg_cmd.h). Exit codes (DESIGN.md): 0 success, 1 a user or data error
 * (the message says what and where), 2 usage (a missing, unknown or
 * malformed option, or an unknown command), 3 the upstream is behind
 * (health only: `run` keeps trying), 4 the store is newer than this program.
 */
#include <stdio.h>
#include <string.h>

#include "agg_cli.h"
#include "agg_cmd.h"
#include "agg_conf.h"
#include "rcl_db.h"
#include "rcl_keys.h"
#include "rcl_log.h"

static const char usage_text[] =
    "usage: " RCL_AGG_PROGRAM " COMMAND [OPTIONS]"
    "   (" RCL_AGG_PROGRAM " COMMAND --help for one command)\n"
    "\n"
    "  init    --db FILE --id ID --tier county|city|province --listen ENDPOINT\n"
    "          [--upstream ENDPOINT --upstream-key KEY] [--stale-days N] [--http HOST:PORT]\n"
    "          [--deadline TIME]\n"
    "  pubkey  --db FILE\n"
    "  rotate-key --db FILE\n"
    "  set-upstream --db FILE --upstream ENDPOINT --upstream-key KEY\n"
    "  enroll  --db FILE --source ID --key KEY [--name NAME] [--expect N]\n"
    "  deadline --db FILE [--set TIME | --clear]\n"
    "  revoke  --db FILE --source ID [--release-schools]\n"
    "  exchange key|digests|import|matches --db FILE ...\n"
    "  run     --db FILE [--http HOST:PORT|off] [--metrics HOST:PORT|off]\n"
    "          [--tls-cert FILE --tls-key FILE]\n"
    "  report  --db FILE [--format json|csv|html] [--stale-days N] [--divisions FILE]\n"
    "          [--suppress-below N] [--deadline TIME|none] [--per-school FILE]\n"
    "  list    --db FILE KIND [--format text|csv|json] [--stale-days N] [--school ID]\n"
    "  status  --db FILE [--json]\n"
    "  audit   --db FILE [--json]\n"
    "  health  --db FILE [--max-lag SECONDS] [--min-free-mb N]\n"
    "  dashboard-token --db FILE [--new]\n"
    "  token   add|list|revoke --db FILE [--name NAME]\n"
    "  import-bundle --db FILE BUNDLE\n"
    "  backup  --db FILE --out FILE [--force]\n"
    "\n"
    "Every command also takes --config FILE (default " RCL_AGG_CONF_DEFAULT " when it\n"
    "exists): 'key = value' lines naming the command's options without the dashes\n"
    "(db, id, tier, listen, upstream, upstream-key, stale-days, http, metrics,\n"
    "tls-cert, tls-key, divisions, suppress-below, max-lag, min-free-mb) and\n"
    "log-level; options on the command line win. Options that say what one call\n"
    "acts on or prints (--source, --name, --format, --out, --deadline...) are for\n"
    "the command line only.\n"
    "\n"
    "Exit codes: 0 success, 1 user or data error, 2 usage, 3 upstream behind (health),\n"
    "4 the store was written by a newer rollcall-agg (not restarted by the unit).\n"
    "Logging: ROLLCALL_LOG=debug|info|warn|error (default info), on stderr.\n";

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
};

/* In the order of the usage text. */
static const struct command commands[] = {
    {"init", rcl_agg_cmd_init},
    {"pubkey", rcl_agg_cmd_pubkey},
    {"rotate-key", rcl_agg_cmd_rotate_key},
    {"set-upstream", rcl_agg_cmd_set_upstream},
    {"enroll", rcl_agg_cmd_enroll},
    {"deadline", rcl_agg_cmd_deadline},
    {"revoke", rcl_agg_cmd_revoke},
    {"exchange", rcl_agg_cmd_exchange},
    {"run", rcl_agg_cmd_run},
    {"report", rcl_agg_cmd_report},
    {"list", rcl_agg_cmd_list},
    {"status", rcl_agg_cmd_status},
    {"audit", rcl_agg_cmd_audit},
    {"health", rcl_agg_cmd_health},
    {"dashboard-token", rcl_agg_cmd_dashboard_token},
    {"token", rcl_agg_cmd_token},
    {"import-bundle", rcl_agg_cmd_import_bundle},
    {"backup", rcl_agg_cmd_backup},
};

int main(int argc, char **argv)
{
    int rc;

    if (argc < 2) {
        fputs(usage_text, stderr);
        return RCL_AGG_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage_text, stdout);
        return RCL_AGG_EXIT_OK;
    }
    rcl_log_init(RCL_AGG_PROGRAM);
    if (rcl_keys_init() != 0) {
        rcl_log_write(RCL_LOG_ERROR, "main: libsodium failed to start");
        return RCL_AGG_EXIT_DATA;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            rc = commands[i].fn(argc - 2, argv + 2);
            /* Wherever the command opened its store, a newer one ends it with its own code. */
            if (rc != RCL_AGG_EXIT_OK && rcl_db_refused_newer())
                rc = RCL_AGG_EXIT_NEWER_STORE;
            fflush(stdout);
            return rc;
        }
    }
    fprintf(stderr, RCL_AGG_PROGRAM ": unknown command '%s'\n\n", argv[1]);
    fputs(usage_text, stderr);
    return RCL_AGG_EXIT_USAGE;
}

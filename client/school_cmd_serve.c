/*
 * school_cmd_serve.c - `rollcall-school serve`: the school's work on a
 * local web page (serve.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "school_cli.h"
#include "school_cmd.h"
#include "school_store.h"
#include "serve.h"

#define SERVE_SYNC_TIMEOUT_S 30

static int cmd_serve(const struct rcl_school_args *a)
{
    const char *port = rcl_school_opt(a, "port"), *address = rcl_school_opt(a, "address");
    struct rcl_school_serve_opts o = {rcl_school_opt(a, "db"), 0,
                                      rcl_school_opt(a, "no-open") == NULL, RCL_SHEET_ZH,
                                      SERVE_SYNC_TIMEOUT_S};
    bool exists = true;
    struct rcl_school_meta m;
    sqlite3 *db;
    int rc;

    /* The page holds the students' names: it is for this computer alone. */
    if (address != NULL && strcmp(address, "127.0.0.1") != 0 && strcmp(address, "localhost") != 0)
        return rcl_school_usage_error(a->cmd,
                                      "--address '%s' refused: serve listens on 127.0.0.1 only "
                                      "(the page holds the students' names)",
                                      address);
    if (port != NULL) {
        char *end = NULL;
        long p = strtol(port, &end, 10);
        if (port[0] < '0' || port[0] > '9' || *end != '\0' || p < 0 || p > 65535)
            return rcl_school_usage_error(a->cmd, "--port '%s' is not a port (0-65535)", port);
        o.port = (unsigned)p;
    }
    /* Chinese unless the locale is English. */
    if ((rc = rcl_school_opt_lang(a, rcl_school_locale_lang(RCL_SHEET_ZH), &o.lang)) >= 0 ||
        (rc = rcl_school_opt_seconds(a, "sync-timeout", SERVE_SYNC_TIMEOUT_S, &o.sync_timeout_s)) >=
            0)
        return rc;
    /* No store yet: the page's first form sets the school up there. */
    if (rcl_path_exists(o.db_path, &exists) == 0 && !exists) {
        if (rcl_school_cli_store_lock(a) != 0)
            return RCL_SCHOOL_EXIT_DATA;
        rc = rcl_school_serve(NULL, NULL, &o, stdout);
        rcl_school_cli_store_release();
        return rc;
    }
    db = rcl_school_cli_store_open(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    rc = rcl_school_serve(db, &m, &o, stdout);
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    rcl_school_cli_store_release();
    return rc;
}

const struct rcl_school_command rcl_school_cmd_serve = {
    "serve",
    "--db FILE [--port N] [--no-open] [--lang zh|en] [--address 127.0.0.1] "
    "[--sync-timeout SECONDS]",
    "Shows the school's work as a page in the browser, for whoever does not use\n"
    "command lines: download the template, upload a filled-in sheet (imported as\n"
    "'import' does: every problem by line, nothing changed when it is refused), the\n"
    "students table (every student, lacking conditions, blind spots, special groups,\n"
    "assistance measures; by class), adding, updating and removing a student,\n"
    "planning, putting in place and ending a measure, the family's feedback, opt-out\n"
    "applications, the school's profile, a Sync button, and how far the data has\n"
    "travelled (as 'status' shows it), in local time. When --db names no store yet,\n"
    "the first page sets the school up there as 'init' does, from the county's\n"
    "notice (school code, name, county code, the county's address and public key,\n"
    "the province's pseudonym key when it has one), and shows the school's public\n"
    "key for the county to enroll. Sync runs in the background and leads to a page\n"
    "that shows its progress (connecting, sending, waiting for\n"
    "the county's acknowledgement) and its outcome; it waits --sync-timeout seconds\n"
    "(30) at most for the county. One runs at a time: pressing Sync again shows it.\n"
    "It listens on 127.0.0.1 only (--address takes nothing else), on --port N (0,\n"
    "the default, lets the system choose), prints the address (which holds a token\n"
    "made for this run: every request needs it) and opens it in the default browser\n"
    "unless --no-open. Chinese by default; English with --lang en, or when the\n"
    "locale (LC_ALL, LC_MESSAGES, LANG) is English. Ctrl-C or SIGTERM stops it.\n"
    "While it runs it is the store's one writer: a second serve and the commands\n"
    "that write (import, sync, the editing commands, bundle, rotate-key,\n"
    "set-upstream) are refused, naming it; status, list, report and export still run.",
    {{"db", "FILE", true},
     {"port", "N", false},
     {"no-open", NULL, false},
     {"lang", "zh|en", false},
     {"address", "127.0.0.1", false},
     {"sync-timeout", "SECONDS", false}},
    NULL,
    cmd_serve,
    RCL_SCHOOL_STORE_SERVES};

/*
 * sync.h - `rollcall-school sync`: send every pending change upstream and
 * wait for the acknowledgements; with --watch, keep doing so unattended.
 */
#ifndef RCL_SCHOOL_SYNC_H
#define RCL_SCHOOL_SYNC_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "exit_codes.h"
#include "school_store.h"
#include "sheet.h"

/* Where a one-shot sync is, for a display of progress (serve's status page). */
enum rcl_school_sync_step {
    RCL_SCHOOL_SYNC_CONNECTING, /* no connection to the upstream yet */
    RCL_SCHOOL_SYNC_SENDING,    /* sending changes */
    RCL_SCHOOL_SYNC_WAITING,    /* all sent (or a probe): waiting for the acknowledgement */
};

struct rcl_school_sync_stage {
    enum rcl_school_sync_step step;
    uint64_t sent;    /* changes sent so far, of total */
    uint64_t total;   /* changes to send in this sync (it grows with edits made meanwhile) */
    bool linked_once; /* a connection to the upstream was up at some point */
    bool refused;     /* the upstream refused this school's batches or key */
};

/* A caller that does other work while the sync runs on a thread of its own. */
struct rcl_school_sync_hooks {
    void *arg;
    /* The sync moved on; called with the store in use (between wait_end and wait_begin). */
    void (*stage)(void *arg, const struct rcl_school_sync_stage *st);
    /* Around each wait for the network: the store is not used from wait_begin to wait_end,
     * so the caller may use it meanwhile. */
    void (*wait_begin)(void *arg);
    void (*wait_end)(void *arg);
    /* True to give up now, as on SIGINT (the changes stay pending). */
    bool (*stop)(void *arg);
};

/* How a one-shot sync ended, for saying so in words (rcl_school_sync_say). */
struct rcl_school_sync_outcome {
    enum rcl_school_exit rc;
    struct rcl_school_sync_stage stage; /* where it was when it ended */
    bool late;                          /* the upstream did not answer in time */
    bool stopped;                       /* asked to stop (SIGINT, SIGTERM, the hooks' stop) */
    bool resent; /* the upstream had lost this school's data: it was sent again in full */
    uint64_t pending_before, pending_after, acked_after, epoch;
    int timeout_s;
};

struct rcl_school_sync_opts {
    int timeout_s; /* one-shot: give up after this long */
    bool watch;    /* run until SIGINT/SIGTERM, sending whenever there is something to send */
    const struct rcl_school_sync_hooks *hooks; /* one-shot only; NULL: none */
    /* The result lines: English as operators read them ("synced: ..."), or Chinese as
     * rcl_school_sync_say words them, with the receipt. Log lines are English either way. */
    enum rcl_sheet_lang lang;
    struct rcl_school_sync_outcome *outcome; /* one-shot: filled when it ends; NULL: not wanted */
};

/*
 * One-shot: sends pending changes to m->upstream until all are acknowledged,
 * the upstream refuses, timeout_s seconds pass, or SIGINT/SIGTERM arrives;
 * with nothing pending it asks the upstream for a receipt (a probe), which
 * also finds out whether the upstream lost this school's data. The result
 * line goes to out on success, to err otherwise.
 *
 * Watch: keeps the link up, sends new changes (imports made by other
 * commands) as they appear and retries after refusals and outages, until
 * SIGINT/SIGTERM; returns OK then.
 *
 * Returns the command's exit code.
 */
enum rcl_school_exit rcl_school_sync(sqlite3 *db, const struct rcl_school_meta *m,
                                     const struct rcl_school_sync_opts *o, FILE *out, FILE *err);

/* The county's address as a clerk reads it: upstream's host and port, without the scheme. */
const char *rcl_school_sync_county(const char *upstream);

/*
 * What a one-shot sync came to, as a clerk reads it in lang (sync_words.c):
 * title is one sentence naming the county's address (upstream without its
 * scheme) and, when the changes are kept for later, again (how to try once
 * more: "press Sync", "run sync"); detail is a second sentence, or "".
 */
void rcl_school_sync_say(const struct rcl_school_sync_outcome *o, const char *upstream,
                         enum rcl_sheet_lang lang, const char *again, char *title, size_t titlelen,
                         char *detail, size_t detaillen);

#endif

/*
 * serve.h - `rollcall-school serve`: the school's work on a local web page,
 * for a clerk who does not use command lines.
 *
 * The page does what the commands do, by calling the same functions:
 * template and export sheets (export.h), import (import.h), the lists
 * (lists.h), the editing commands (edit.h), sync (sync.h) and how far the
 * data has travelled (status.h's figures). Chinese by default, English with
 * RCL_SHEET_EN; times in local time.
 *
 * It listens on 127.0.0.1 only. Every request must carry the token made
 * for this run (in the address printed and opened, and in every form of the
 * page), and name this listener as its Host (and Origin, when the browser
 * sends one), so another site open in the browser cannot read the page or
 * send it a form. The caller holds the store's lock (school_store.h) for
 * the whole run: serve is the store's one writer.
 */
#ifndef RCL_SCHOOL_SERVE_H
#define RCL_SCHOOL_SERVE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>

#include "school_setup.h"
#include "school_store.h"
#include "sheet.h"

struct rcl_school_serve_opts {
    const char *db_path; /* the store's: where the first page sets the school up (db NULL) */
    unsigned port;       /* 0: the system chooses */
    bool open_browser;   /* open the page in the default browser */
    enum rcl_sheet_lang lang;
    int sync_timeout_s; /* how long the Sync button waits for the county */
};

/*
 * Serves the page for the open store db of school m until SIGINT or
 * SIGTERM. Prints the address to open on out, problems in the log. Returns an
 * exit code (exit_codes.h): 0 after a clean stop, 1 when it cannot start.
 *
 * With db and m NULL (no store at o->db_path yet) the page first sets the
 * school up (school_setup.h) there, then goes on as for a store given.
 */
int rcl_school_serve(sqlite3 *db, const struct rcl_school_meta *m,
                     const struct rcl_school_serve_opts *o, FILE *out);

/* ---- The page itself (serve_page.c) ---- */

/* What an action came to, shown above the page. */
struct rcl_serve_notice {
    bool ok;
    const char *title;  /* one sentence in the page's language */
    const char *detail; /* the function's own words (plain text), or NULL */
    const char *problems; /* an errors sheet (import.h: 行号, 学籍号, 姓名, 类型, 问题), or NULL */
    size_t problems_len;
};

/* What the page shows. */
struct rcl_serve_view {
    sqlite3 *db;
    const struct rcl_school_meta *m;
    enum rcl_sheet_lang lang;
    const char *token;
    const char *list;       /* a list kind (lists.h) */
    const char *class_name; /* only this class, or NULL */
};

/* Writes the whole page, with notice (or NULL) at its top, to out. Returns 0, or -1 (logged). */
int rcl_serve_page_write(const struct rcl_serve_view *v, const struct rcl_serve_notice *notice,
                         FILE *out);

/*
 * Writes the first page of a school not set up yet: the county's notice to fill in (what was
 * given shown again), with notice (or NULL) at its top. Returns 0, or -1 (logged).
 */
int rcl_serve_page_setup(const struct rcl_serve_view *v, const struct rcl_school_setup *given,
                         const struct rcl_serve_notice *notice, FILE *out);

/* Writes a short page that says only title (a refusal), to out. */
void rcl_serve_page_refusal(enum rcl_sheet_lang lang, const char *title, FILE *out);

/*
 * Writes the sync's status page: notice (what it is doing, or what it came
 * to), how far the data has travelled and the Sync button; while running it
 * reloads itself every second (a meta refresh: the page has no script).
 * Returns 0, or -1 (logged).
 */
int rcl_serve_page_sync(const struct rcl_serve_view *v, const struct rcl_serve_notice *notice,
                        bool running, unsigned run, FILE *out);

/* ---- The Sync button's sync (serve_sync.c) ---- */

struct rcl_mutex;
struct rcl_serve_sync;

/* One sync at a time of the store db (used only while holding store) with timeout_s. */
struct rcl_serve_sync *rcl_serve_sync_new(sqlite3 *db, const struct rcl_school_meta *m,
                                          int timeout_s, struct rcl_mutex *store);

/* Starts a sync on a thread of its own, called holding store. 1 started, 0 one already runs
 * (it goes on alone), -1 (logged). */
int rcl_serve_sync_start(struct rcl_serve_sync *j);

/* What the sync does or came to, in the page's language. */
struct rcl_serve_sync_words {
    bool ok;      /* running, or ended well */
    unsigned run; /* syncs started since serve started (0: none yet) */
    char title[512];
    char detail[2048]; /* "" when none */
};

/* Fills w; returns whether the sync still runs. */
bool rcl_serve_sync_said(struct rcl_serve_sync *j, enum rcl_sheet_lang lang,
                         struct rcl_serve_sync_words *w);

/* Asks a running sync to stop (its changes stay pending), waits for it, and frees j. Called
 * without holding store. */
void rcl_serve_sync_destroy(struct rcl_serve_sync **j);

#endif

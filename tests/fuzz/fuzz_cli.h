/*
 * fuzz_cli.h - the two programs' command lines, compiled into the fuzz_cli
 * target unchanged: fuzz_cli_school.c and fuzz_cli_agg.c include each
 * program's command-line files (its main.c, the command files and their
 * shared helpers) with main renamed, and with the few calls that would touch
 * a store, the network or an arbitrary file renamed to the stand-ins below
 * (fuzz_cli.c), so parsing and validation run in full and nothing is created
 * outside the target's temporary folder.
 */
#ifndef RCL_FUZZ_CLI_H
#define RCL_FUZZ_CLI_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "agg_health.h"
#include "agg_store.h"
#include "export.h"
#include "pseudonym.h"
#include "rcl_db.h"
#include "school_store.h"

/* The programs' main functions. */
int rcl_school_main(int argc, char **argv);
int rcl_agg_main(int argc, char **argv);

/* Stand-ins for rcl_school_store_open and rcl_agg_store_open: nothing is opened (NULL, err). */
sqlite3 *fuzz_school_store_open(const char *path, enum rcl_db_mode mode, char *err, size_t errlen);
sqlite3 *fuzz_agg_store_open(const char *path, struct rcl_agg_config *cfg, char *err,
                             size_t errlen);

/*
 * Stand-in for rcl_school_pseudonym_key_read: the option's value is written
 * as the content of a key file in the temporary folder, and that file is
 * read by the real function, so the key file parser is fuzzed too.
 */
int fuzz_school_pseudonym_key_read(const char *path, uint8_t out[RCL_SCHOOL_PSEUDONYM_KEY_BYTES],
                                   char *err, size_t errlen);

/*
 * Stand-in for rcl_school_template, the one command that writes a file
 * without a store: checks the options were validated, writes nothing, -1.
 */
int fuzz_school_template(const char *path, const struct rcl_sheet_format *f, char *err,
                         size_t errlen);

/*
 * Stand-in for rcl_agg_store_create: checks that `init` validated
 * everything it stores (aborting if not), then fails without creating
 * anything.
 */
int fuzz_agg_store_create(const char *path, const struct rcl_agg_config *cfg,
                          uint8_t pk[RCL_PK_BYTES], char *err, size_t errlen);

/* Stand-in for rcl_agg_run: never serves. Returns -1. */
struct rcl_agg_run_options;
int fuzz_agg_run(const char *path, const struct rcl_agg_run_options *opt);

/* Stand-in for rcl_agg_health: opens nothing. Returns RCL_AGG_UNHEALTHY. */
enum rcl_agg_health_result fuzz_agg_health(const char *path, const struct rcl_agg_health_options *o,
                                           char *line, size_t linelen);

/*
 * Guards for the file calls the command-line files make themselves (today
 * only init's clean-up, which needs a store first). Each aborts when the path is
 * outside the target's temporary folder, so a command added later that
 * touches a file before opening its store fails the fuzz_cli run instead of
 * writing somewhere. Otherwise they do what the real call does.
 */
FILE *fuzz_cli_fopen(const char *path, const char *mode);
int fuzz_cli_open(const char *path, int flags, ...);
int fuzz_cli_unlink(const char *path);
int fuzz_cli_remove(const char *path);
int fuzz_cli_rename(const char *from, const char *to);
int fuzz_cli_mkdir(const char *path, mode_t mode);

/*
 * In the files that include the command-line files (which define
 * FUZZ_CLI_GUARD first), the guards replace the real calls. The system
 * headers come first, so their own declarations keep the real names.
 */
#ifdef FUZZ_CLI_GUARD
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#define fopen fuzz_cli_fopen
#define open fuzz_cli_open
#define unlink fuzz_cli_unlink
#define remove fuzz_cli_remove
#define rename fuzz_cli_rename
#define mkdir fuzz_cli_mkdir
#endif

#endif

/*
 * fuzz_cli_school.c - rollcall-school's command line, unchanged: the files
 * client/CMakeLists.txt lists as SCHOOL_CLI_SOURCES, with main renamed to
 * rcl_school_main and their store and key-file access going to the
 * stand-ins of fuzz_cli.h, and their own file calls guarded (fuzz_cli.h).
 * A command file missing here leaves its commands undefined at link time.
 */
#define FUZZ_CLI_GUARD
#include "fuzz_cli.h"

#define main rcl_school_main
#define rcl_school_store_open fuzz_school_store_open
#define rcl_school_pseudonym_key_read fuzz_school_pseudonym_key_read
#define rcl_school_template fuzz_school_template

#include "../../client/school_cli.c"
#include "../../client/school_cmd_data.c"
#include "../../client/school_cmd_keys.c"
#include "../../client/school_cmd_serve.c"
#include "../../client/school_cmd_sync.c"
#include "../../client/main.c"

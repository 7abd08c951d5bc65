/*
 * fuzz_cli_school.c - rollcall-school's client/main.c, unchanged, with main
 * renamed to rcl_school_main and its store and key-file access going to the
 * stand-ins of fuzz_cli.h, and its own file calls guarded (fuzz_cli.h).
 */
#define FUZZ_CLI_GUARD
#include "fuzz_cli.h"

#define main rcl_school_main
#define rcl_school_store_open fuzz_school_store_open
#define rcl_school_pseudonym_key_read fuzz_school_pseudonym_key_read
#define rcl_school_template fuzz_school_template

#include "../../client/main.c"

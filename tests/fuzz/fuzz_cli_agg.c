/*
 * fuzz_cli_agg.c - rollcall-agg's aggregator/main.c, unchanged, with main
 * renamed to rcl_agg_main and its store access and server loop going to the
 * stand-ins of fuzz_cli.h, and its own file calls guarded (fuzz_cli.h).
 */
#define FUZZ_CLI_GUARD
#include "fuzz_cli.h"

#define main rcl_agg_main
#define rcl_agg_store_open fuzz_agg_store_open
#define rcl_agg_store_create fuzz_agg_store_create
#define rcl_agg_run fuzz_agg_run
#define rcl_agg_health fuzz_agg_health

#include "../../aggregator/main.c"

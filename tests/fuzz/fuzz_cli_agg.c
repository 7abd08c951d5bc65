/*
 * fuzz_cli_agg.c - rollcall-agg's command line, unchanged: the files
 * aggregator/CMakeLists.txt lists as AGG_CLI_SOURCES, with main renamed to
 * rcl_agg_main and their store access and server loop going to the
 * stand-ins of fuzz_cli.h, and their own file calls guarded (fuzz_cli.h).
 * A command file missing here leaves its command undefined at link time.
 */
#define FUZZ_CLI_GUARD
#include "fuzz_cli.h"

#define main rcl_agg_main
#define rcl_agg_store_open fuzz_agg_store_open
#define rcl_agg_store_create fuzz_agg_store_create
#define rcl_agg_run fuzz_agg_run
#define rcl_agg_health fuzz_agg_health

#include "../../aggregator/cli/agg_cli.c"
#include "../../aggregator/cli/agg_cmd_keys.c"
#include "../../aggregator/cli/agg_cmd_read.c"
#include "../../aggregator/cli/agg_cmd_service.c"
#include "../../aggregator/cli/main.c"

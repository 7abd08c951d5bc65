/*
 * agg_cmd.h - rollcall-agg's commands, one function each, called by main.c
 * with the words after the command's name. Each parses its own options
 * (agg_cli.h), prints its --help, and returns the exit code (agg_cli.h:
 * enum rcl_agg_exit; health also returns 3, the upstream is behind).
 */
#ifndef RCL_AGG_CMD_H
#define RCL_AGG_CMD_H

/* Identity and peers (agg_cmd_keys.c). */
int rcl_agg_cmd_init(int argc, char **argv);
int rcl_agg_cmd_pubkey(int argc, char **argv);
int rcl_agg_cmd_rotate_key(int argc, char **argv);
int rcl_agg_cmd_set_upstream(int argc, char **argv);
int rcl_agg_cmd_enroll(int argc, char **argv);
int rcl_agg_cmd_deadline(int argc, char **argv);
int rcl_agg_cmd_revoke(int argc, char **argv);
int rcl_agg_cmd_exchange(int argc, char **argv);

/* The running service (agg_cmd_service.c). */
int rcl_agg_cmd_run(int argc, char **argv);
int rcl_agg_cmd_health(int argc, char **argv);
int rcl_agg_cmd_dashboard_token(int argc, char **argv);
int rcl_agg_cmd_token(int argc, char **argv);
int rcl_agg_cmd_import_bundle(int argc, char **argv);
int rcl_agg_cmd_backup(int argc, char **argv);

/* Reading the store (agg_cmd_read.c). */
int rcl_agg_cmd_report(int argc, char **argv);
int rcl_agg_cmd_list(int argc, char **argv);
int rcl_agg_cmd_status(int argc, char **argv);
int rcl_agg_cmd_audit(int argc, char **argv);

#endif

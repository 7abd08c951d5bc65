/*
 * school_cmd.h - rollcall-school's commands, each described for
 * rcl_school_opts_parse (school_cli.h) with the function that runs it.
 */
#ifndef RCL_SCHOOL_CMD_H
#define RCL_SCHOOL_CMD_H

#include "school_cli.h"

/* Setting the school up, and its keys (school_cmd_keys.c). */
extern const struct rcl_school_command rcl_school_cmd_init;
extern const struct rcl_school_command rcl_school_cmd_pubkey;
extern const struct rcl_school_command rcl_school_cmd_rotate_key;
extern const struct rcl_school_command rcl_school_cmd_set_upstream;

/* The students in and out (school_cmd_data.c). */
extern const struct rcl_school_command rcl_school_cmd_import;
extern const struct rcl_school_command rcl_school_cmd_bundle;
extern const struct rcl_school_command rcl_school_cmd_student;
extern const struct rcl_school_command rcl_school_cmd_measure;
extern const struct rcl_school_command rcl_school_cmd_feedback;
extern const struct rcl_school_command rcl_school_cmd_optout;
extern const struct rcl_school_command rcl_school_cmd_profile;
extern const struct rcl_school_command rcl_school_cmd_template;
extern const struct rcl_school_command rcl_school_cmd_export;

/* Sync, and the school's own view (school_cmd_sync.c). */
extern const struct rcl_school_command rcl_school_cmd_sync;
extern const struct rcl_school_command rcl_school_cmd_status;
extern const struct rcl_school_command rcl_school_cmd_report;
extern const struct rcl_school_command rcl_school_cmd_list;

/* The school's work on a local web page (school_cmd_serve.c). */
extern const struct rcl_school_command rcl_school_cmd_serve;

#endif

/*
 * main.c - rollcall-school: the school's command line.
 *
 * Finds the command, has its options parsed (any order, "--opt value" or
 * "--opt=value"; school_cli.h) and hands over to it (school_cmd.h); prints
 * the usage. Exit codes: exit_codes.h.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "exit_codes.h"
#include "rcl_db.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_platform.h"
#include "school_cli.h"
#include "school_cmd.h"
#include "school_conf.h"

/* In the order of the usage, each with the school_cmd_*.c file that holds it. */
static const struct rcl_school_command *const commands[] = {
    &rcl_school_cmd_init,         /* keys */
    &rcl_school_cmd_pubkey,       /* keys */
    &rcl_school_cmd_rotate_key,   /* keys */
    &rcl_school_cmd_set_upstream, /* keys */
    &rcl_school_cmd_import,       /* data */
    &rcl_school_cmd_sync,         /* sync */
    &rcl_school_cmd_status,       /* sync */
    &rcl_school_cmd_report,       /* sync */
    &rcl_school_cmd_list,         /* sync */
    &rcl_school_cmd_bundle,       /* data */
    &rcl_school_cmd_student,      /* data */
    &rcl_school_cmd_measure,      /* data */
    &rcl_school_cmd_feedback,     /* data */
    &rcl_school_cmd_optout,       /* data */
    &rcl_school_cmd_profile,      /* data */
    &rcl_school_cmd_template,     /* data */
    &rcl_school_cmd_export,       /* data */
    &rcl_school_cmd_serve,        /* serve */
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *out)
{
    bool zh = rcl_school_locale_lang(RCL_SHEET_EN) == RCL_SHEET_ZH;

    fprintf(out, zh ? "用法：\n" : "usage:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %s %s %s\n", RCL_SCHOOL_PROGRAM, commands[i]->name, commands[i]->usage);
    if (zh) {
        fprintf(out,
                "不用命令行的话：运行 %s serve --db 本校数据文件，在浏览器里下载模板、上传表格、"
                "查看名单和同步到县里。\n"
                "各命令的说明（英文）：%s 命令 --help。每个命令也接受 --config 配置文件（默认 %s，"
                "存在时读取）。\n"
                "命令输出的语言：--lang zh 或中文环境下为中文，否则为英文；日志行一律为英文。\n",
                RCL_SCHOOL_PROGRAM, RCL_SCHOOL_PROGRAM, RCL_SCHOOL_CONF_DEFAULT);
        return;
    }
    fprintf(out, "Run '%s COMMAND --help' for what a command does.\n", RCL_SCHOOL_PROGRAM);
    fprintf(out,
            "Every command also takes --config FILE (default %s when it exists):\n"
            "'key = value' lines naming the command's options without the dashes (db,\n"
            "school, county, name, upstream, upstream-key, pseudonym-key-file, timeout)\n"
            "and log-level; options on the command line win.\n"
            "What a command says is in Chinese with --lang zh, or when the locale (LC_ALL,\n"
            "LC_MESSAGES, LANG; on Windows the display language) is Chinese, else in\n"
            "English; log lines (time, level, what, key=value) are English either way.\n",
            RCL_SCHOOL_CONF_DEFAULT);
}

int main(int argc, char **argv)
{
    struct rcl_school_args a;
    int rc;

    rcl_platform_start(&argc, &argv);
    if (argc < 2) {
        print_usage(stderr);
        return RCL_SCHOOL_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return RCL_SCHOOL_EXIT_OK;
    }
    const struct rcl_school_command *cmd = NULL;
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(argv[1], commands[i]->name) == 0)
            cmd = commands[i];
    }
    if (cmd == NULL) {
        fprintf(stderr,
                rcl_school_locale_lang(RCL_SHEET_EN) == RCL_SHEET_ZH ? "%s：不认识的命令“%s”\n"
                                                                     : "%s: unknown command '%s'\n",
                RCL_SCHOOL_PROGRAM, argv[1]);
        print_usage(stderr);
        return RCL_SCHOOL_EXIT_USAGE;
    }
    rc = rcl_school_opts_parse(cmd, argc - 2, argv + 2, &a);
    if (rc >= 0)
        return rc;

    rcl_log_init(RCL_SCHOOL_PROGRAM);
    if (rcl_keys_init() != 0) {
        rcl_log_write(RCL_LOG_ERROR, "main: libsodium failed to start");
        return RCL_SCHOOL_EXIT_DATA;
    }
    rc = cmd->run(&a);
    /* Wherever the command opened its store, a newer one ends it with its own code. */
    if (rc != RCL_SCHOOL_EXIT_OK && rcl_db_refused_newer())
        rc = RCL_SCHOOL_EXIT_NEWER_STORE;
    if (fflush(stdout) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "%s: cannot write the output", cmd->name);
        rc = RCL_SCHOOL_EXIT_DATA;
    }
    return rc;
}

/*
 * school_cmd_data.c - rollcall-school's commands that bring the students in
 * and out: import, bundle, the editing commands (student, measure, feedback,
 * optout, profile), template and export.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bundle.h"
#include "edit.h"
#include "exit_codes.h"
#include "export.h"
#include "import.h"
#include "rcl_log.h"
#include "rcl_platform.h"
#include "school_cli.h"
#include "school_cmd.h"
#include "school_store.h"

static int sheet_format(const struct rcl_school_args *a, struct rcl_sheet_format *f);

static int cmd_import(const struct rcl_school_args *a)
{
    struct rcl_school_meta m;
    struct rcl_school_import_result res;
    struct rcl_school_import_options opts = {NULL, rcl_school_opt(a, "ignore-unknown") != NULL,
                                             false, false, false};
    const char *errors_path = rcl_school_opt(a, "errors");
    enum rcl_sheet_lang progress;
    char said[256];
    /* The progress line is Chinese unless asked otherwise; the lines scripts read follow the
     * locale (English when it says neither). */
    int rc = rcl_school_opt_lang(a, rcl_school_locale_lang(RCL_SHEET_ZH), &progress);
    if (rc >= 0)
        return rc;
    rc = RCL_SCHOOL_EXIT_DATA;
    opts.progress_en = progress == RCL_SHEET_EN;
    opts.problems_zh = opts.reasons_zh = a->says == RCL_SHEET_ZH;
    sqlite3 *db = rcl_school_cli_store_open(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    if (errors_path != NULL && (opts.errors_sheet = rcl_fopen(errors_path, "wb")) == NULL) {
        rcl_log_write(RCL_LOG_ERROR, "import: cannot write the errors sheet file=%s err=%s",
                      rcl_log_value(errors_path), rcl_log_value(strerror(errno)));
        goto out;
    }
    int imported = rcl_school_import_with(db, &m, a->positional, stderr, &opts, &res);
    if (opts.errors_sheet != NULL &&
        (fflush(opts.errors_sheet) != 0 || ferror(opts.errors_sheet))) {
        rcl_log_write(RCL_LOG_ERROR, "import: cannot write the errors sheet file=%s err=%s",
                      rcl_log_value(errors_path), rcl_log_value(strerror(errno)));
        imported = -1;
    } else if (opts.errors_sheet != NULL && imported != 0) {
        rcl_log_write(RCL_LOG_INFO,
                      "import: every problem, by line, is in the errors sheet file=%s",
                      rcl_log_value(errors_path));
    }
    if (imported == 0) {
        if (res.charset == RCL_CHARSET_GB18030)
            rcl_log_write(RCL_LOG_INFO, "import: not UTF-8, read as GB18030 file=%s",
                          rcl_log_value(a->positional));
        rcl_school_import_said(&res, a->says, said, sizeof(said));
        printf("%s\n", said);
        rc = RCL_SCHOOL_EXIT_OK;
    }
out:
    if (opts.errors_sheet != NULL)
        fclose(opts.errors_sheet);
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

const struct rcl_school_command rcl_school_cmd_import = {
    "import",
    "--db FILE [--errors SHEET.csv] [--ignore-unknown] [--lang zh|en] STUDENTS.csv",
    "Imports the students CSV (header row, any column order; required columns\n"
    "student_id, name, grade, class; optional network, devices, groups, assistance,\n"
    "participation, platform, feedback, and the columns export adds: helper_roles,\n"
    "assistance_start, assistance_end, optout_status, optout_reason, optout_filed,\n"
    "optout_decided). Atomic: if any row is invalid, every problem is listed as\n"
    "FILE:LINE: reason and nothing is applied.\n"
    "\n"
    "Sheets as Excel saves them are read: UTF-8 with or without a byte order mark,\n"
    "or GB18030/GBK (\"CSV\" on a Chinese Windows), CRLF or LF line ends. Column\n"
    "names, English ones regardless of case, blanks, '_' and '-':\n"
    "  student_id 学籍号 全国学籍号   name 姓名           grade 年级     class 班级\n"
    "  network 家庭网络 网络          devices 学习终端 设备 终端\n"
    "  groups 特殊群体 群体           assistance 帮扶措施 帮扶\n"
    "  participation 参与情况 参与    platform 学习平台 平台   feedback 家长反馈 反馈\n"
    "Values may be Chinese too: network 宽带 移动网络 有线电视; devices 电脑 平板\n"
    "手机 电视; groups 建档立卡 困难 一线医务人员子女 留守 随迁 残疾 其他;\n"
    "assistance 村集中收看 借用设备 流量补贴 一对一帮扶 纸质材料 资助, with '：计划'\n"
    "or '：已结束' when not in place; participation 正常 不规律 缺席 申请不参加;\n"
    "grade 1-12 (or 3年级), 一年级 … 六年级, 初一 … 初三, 高一 … 高三. Several values in a\n"
    "cell are separated by ';', '；', '、' or '，'. The template's example row is refused.\n"
    "A title row above the header, empty columns without a name and rows of empty\n"
    "cells are passed over, and so are common columns that hold nothing to import\n"
    "(序号 性别 民族 出生日期 身份证号 家庭住址 备注 学校 班主任…), with a note.\n"
    "Sheets as people fill them: a note in brackets after a column name is ignored\n"
    "(姓名（必填）, 学籍号(19位)); full-width digits, letters and blanks count as\n"
    "ASCII ones; a lowercase x (or g) in a student number is uppercase; 无, 没有,\n"
    "暂无 in a list mean none; other words mean the same code (4G, 5G 移动网络;\n"
    "笔记本电脑 台式机 电脑; 建档立卡贫困户 贫困户 建档立卡; 初1 初一);\n"
    "a class is kept in one form, 1班, from 1班, 01, 一班, (1)班, 三（1）班,\n"
    "3(1)班, 初一2班 (a grade it names must be the row's grade, or fills an empty one).\n"
    "--errors SHEET.csv writes every problem and note (none left out) as a sheet\n"
    "Excel opens: 行号, 学籍号, 姓名, 类型 (错误, 提示), 问题. An unknown column is\n"
    "refused, naming it; --ignore-unknown passes it over with a note instead.\n"
    "opted_out needs an approved opt-out application (optout_status approved with its\n"
    "optout_decided date): without one the row files a pending application (its\n"
    "optout_reason, else 导入时申请) and keeps the participation the student had,\n"
    "saying so as FILE:LINE. Leaving opted_out clears the approved application.\n"
    "On a terminal a progress line shows rows done of the total, percent and time\n"
    "left, in Chinese; --lang en, or an English locale, shows it in English. The\n"
    "problems (still FILE:LINE: reason), the errors sheet's reasons and the result\n"
    "line are Chinese with --lang zh or a Chinese locale, else English.",
    {{"db", "FILE", true},
     {"errors", "SHEET.csv", false},
     {"ignore-unknown", NULL, false},
     {"lang", "zh|en", false}},
    "STUDENTS.csv",
    cmd_import,
    RCL_SCHOOL_STORE_WRITES};

static int cmd_bundle(const struct rcl_school_args *a)
{
    struct rcl_school_meta m;
    int rc;
    sqlite3 *db = rcl_school_cli_store_open(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    rc = rcl_school_bundle(db, &m, rcl_school_opt(a, "out"), a->says, stdout);
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

const struct rcl_school_command rcl_school_cmd_bundle = {
    "bundle",
    "--db FILE --out FILE [--lang zh|en]",
    "For a school without any link: seals the pending changes and writes every batch\n"
    "not yet acknowledged into the new file --out (never overwritten), for the county\n"
    "to apply with 'rollcall-agg import-bundle'. The changes stay pending until the\n"
    "county acknowledges them at the next sync, which sends nothing twice. With\n"
    "nothing pending it says so and writes no file.",
    {{"db", "FILE", true}, {"out", "FILE", true}, {"lang", "zh|en", false}},
    NULL,
    cmd_bundle,
    RCL_SCHOOL_STORE_WRITES};

/* student, measure, feedback, optout and profile: edit.c does the work. */
static int cmd_edit(const struct rcl_school_args *a)
{
    struct rcl_school_edit_opt given[RCL_SCHOOL_OPTS_MAX];
    struct rcl_school_meta m;
    char why[160];
    size_t n = 0;
    sqlite3 *db;
    bool zh = a->says == RCL_SHEET_ZH;
    int rc;

    /* What the edit is given: every option but where the store is and the language. */
    for (int o = 0; o < RCL_SCHOOL_OPTS_MAX && a->cmd->opts[o].name != NULL; o++) {
        if (a->values[o] != NULL && strcmp(a->cmd->opts[o].name, "db") != 0 &&
            strcmp(a->cmd->opts[o].name, "lang") != 0) {
            given[n].name = a->cmd->opts[o].name;
            given[n].value = a->values[o];
            n++;
        }
    }
    if (rcl_school_edit_check(a->cmd->name, a->positional, given, n, zh, why, sizeof(why)) != 0)
        return rcl_school_usage_error(a->cmd, "%s", why);
    db = rcl_school_cli_store_open(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    rc = rcl_school_edit(db, &m, a->cmd->name, a->positional, given, n, zh, stdout, stderr);
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

const struct rcl_school_command rcl_school_cmd_student = {
    "student",
    "add|update|remove --db FILE --id ID [--name NAME] [--grade 1-12] [--class CLASS] "
    "[--network SET] [--devices SET] [--groups SET] [--platform TEXT] [--participation P] "
    "[--feedback TEXT] [--place-county CODE] [--place TEXT] [--guardian-contact PHONE] "
    "[--reason R] [--to SCHOOL] [--date YYYY-MM-DD] [--lang zh|en]",
    "Edits one student, in one transaction queued for the next sync like an import.\n"
    "  add     a new student: --name, --grade and --class are required, the rest optional\n"
    "  update  changes only the fields given\n"
    "  remove  --reason left|graduated|transferred_out|other, --to the 10-digit code of\n"
    "          the school transferred to (if known), --date the day they left (today)\n"
    "SET is a ';'-separated list, empty for none: network broadband;mobile;cable_tv,\n"
    "devices computer;tablet;smartphone;tv, groups poverty_card;hardship;\n"
    "frontline_family;left_behind;migrant;disabled;other. P is active, irregular,\n"
    "absent or opted_out; opted_out needs an approved application ('optout decide'):\n"
    "without one a pending application is filed and participation stays as it was.\n"
    "Leaving opted_out clears the approved application. A removal reaches the county\n"
    "as a departure.\n"
    "Where the student is now, when away from home (a child stuck in a home village):\n"
    "--place-county the 6-digit county code, --place the village or community; and\n"
    "--guardian-contact the guardian's phone. These stay at the school and its county.",
    {{"db", "FILE", true},
     {"id", "ID", true},
     {"name", "NAME", false},
     {"grade", "1-12", false},
     {"class", "CLASS", false},
     {"network", "SET", false},
     {"devices", "SET", false},
     {"groups", "SET", false},
     {"platform", "TEXT", false},
     {"participation", "P", false},
     {"feedback", "TEXT", false},
     {"place-county", "CODE", false},
     {"place", "TEXT", false},
     {"guardian-contact", "PHONE", false},
     {"reason", "R", false},
     {"to", "SCHOOL", false},
     {"date", "YYYY-MM-DD", false},
     {"lang", "zh|en", false}},
    "add|update|remove",
    cmd_edit,
    RCL_SCHOOL_STORE_WRITES};

const struct rcl_school_command rcl_school_cmd_measure = {
    "measure",
    "add|plan|end --db FILE --id ID --kind KIND [--role ROLE] [--contact PHONE] "
    "[--start YYYY-MM-DD] [--end YYYY-MM-DD] [--lang zh|en]",
    "Records an assistance measure of one student (\"one person, one policy\").\n"
    "  add   the measure is in place (start date today unless --start)\n"
    "  plan  the measure is planned\n"
    "  end   the planned or in-place measure of KIND has ended (end date today unless --end)\n"
    "KIND is tv_at_village, loaned_device, data_subsidy, one_to_one, paper_materials or\n"
    "funding; ROLE says who helps (e.g. 班主任, village cadre; no ';'). An open measure of the\n"
    "same kind is updated rather than listed twice. PHONE: the helper's phone number\n"
    "(kept at the school and its county only).",
    {{"db", "FILE", true},
     {"id", "ID", true},
     {"kind", "KIND", false},
     {"role", "ROLE", false},
     {"contact", "PHONE", false},
     {"start", "YYYY-MM-DD", false},
     {"end", "YYYY-MM-DD", false},
     {"lang", "zh|en", false}},
    "add|plan|end",
    cmd_edit,
    RCL_SCHOOL_STORE_WRITES};

const struct rcl_school_command rcl_school_cmd_feedback = {
    "feedback",
    "--db FILE --id ID --text TEXT [--lang zh|en]",
    "Sets the family's feedback or need for one student (free text, at most 600 bytes;\n"
    "empty clears it).",
    {{"db", "FILE", true}, {"id", "ID", true}, {"text", "TEXT", false}, {"lang", "zh|en", false}},
    NULL,
    cmd_edit,
    RCL_SCHOOL_STORE_WRITES};

const struct rcl_school_command rcl_school_cmd_optout = {
    "optout",
    "file|decide --db FILE --id ID [--reason TEXT] [--status approved|rejected] "
    "[--date YYYY-MM-DD] [--lang zh|en]",
    "Records a family's application to opt out of home teaching.\n"
    "  file    --reason TEXT: the application is pending, filed --date (today)\n"
    "  decide  --status approved|rejected, decided --date (today). Approval sets the\n"
    "          student's participation to opted_out; rejection sets an opted_out\n"
    "          student back to active.",
    {{"db", "FILE", true},
     {"id", "ID", true},
     {"reason", "TEXT", false},
     {"status", "approved|rejected", false},
     {"date", "YYYY-MM-DD", false},
     {"lang", "zh|en", false}},
    "file|decide",
    cmd_edit,
    RCL_SCHOOL_STORE_WRITES};

const struct rcl_school_command rcl_school_cmd_profile = {
    "profile",
    "set --db FILE [--platforms LIST] [--materials D/T|P%] [--contact-role ROLE] "
    "[--parent SCHOOL|none] [--lang zh|en]",
    "Sets the school's profile; fields not given keep their value.\n"
    "  --platforms     the teaching platforms in use, 'NAME:KIND[:CLASSES];...' with KIND\n"
    "                  live, recorded, tv or other (e.g. '空中课堂:tv:all;钉钉:live:3-1,3-2');\n"
    "                  '' for none\n"
    "  --materials     teaching materials handed out: DELIVERED/TOTAL (120/300) or PERCENT%\n"
    "  --contact-role  the role of the school's contact for the county\n"
    "  --parent        for a teaching point: the 10-digit code of its parent school\n"
    "                  (a teaching point runs as a school of its own); none clears it",
    {{"db", "FILE", true},
     {"platforms", "LIST", false},
     {"materials", "D/T|P%", false},
     {"contact-role", "ROLE", false},
     {"parent", "SCHOOL|none", false},
     {"lang", "zh|en", false}},
    "set",
    cmd_edit,
    RCL_SCHOOL_STORE_WRITES};

/* Reads --lang and --encoding (where the command has them) into f. Returns -1 when fine, else
 * the usage exit code. */
static int sheet_format(const struct rcl_school_args *a, struct rcl_sheet_format *f)
{
    const char *encoding = rcl_school_opt(a, "encoding");
    int rc;

    f->charset = RCL_CHARSET_UTF8;
    if ((rc = rcl_school_opt_lang(a, RCL_SHEET_ZH, &f->lang)) >= 0)
        return rc;
    if (encoding != NULL && rcl_charset_parse(encoding, &f->charset) != 0)
        return rcl_school_usage_error(a->cmd, "unknown encoding '%s' (utf-8 or gb18030)", encoding);
    return -1;
}

/* What template and export say: the locale's language (English when it names none), as
 * their --lang is the sheet's. */
static enum rcl_sheet_lang sheet_says(void)
{
    return rcl_school_locale_lang(RCL_SHEET_EN);
}

static int cmd_template(const struct rcl_school_args *a)
{
    struct rcl_sheet_format f;
    enum rcl_sheet_lang says;
    char err[512];
    int rc = sheet_format(a, &f);
    if (rc >= 0)
        return rc;
    says = sheet_says();
    if (rcl_school_template(rcl_school_opt(a, "out"), &f, err, sizeof(err)) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "template: %s", err);
        return RCL_SCHOOL_EXIT_DATA;
    }
    printf(says == RCL_SHEET_ZH ? "已写出 %s：每名学生填一行，删掉示例行，然后导入\n"
                                : "wrote %s: fill in one row per student, delete the example "
                                  "row, then import it\n",
           rcl_school_opt(a, "out"));
    return RCL_SCHOOL_EXIT_OK;
}

const struct rcl_school_command rcl_school_cmd_template = {
    "template",
    "--out FILE [--lang zh|en] [--encoding utf-8|gb18030]",
    "Writes an empty students sheet to the new file --out (never overwritten): the\n"
    "headers and one example row showing how each column is filled in. Delete the\n"
    "example row before importing: import refuses it. Chinese headers and words by\n"
    "default; UTF-8 with a byte order mark by default, so Excel opens it right.\n"
    "--lang is the sheet's language; the line it prints follows the locale.",
    {{"out", "FILE", true}, {"lang", "zh|en", false}, {"encoding", "utf-8|gb18030", false}},
    NULL,
    cmd_template,
    RCL_SCHOOL_STORE_READS};

static int cmd_export(const struct rcl_school_args *a)
{
    struct rcl_sheet_format f;
    struct rcl_school_meta m;
    enum rcl_sheet_lang says;
    uint64_t rows = 0;
    char err[512];
    int rc = sheet_format(a, &f);
    if (rc >= 0)
        return rc;
    says = sheet_says();
    sqlite3 *db = rcl_school_cli_store_open(a, &m);
    if (db == NULL)
        return RCL_SCHOOL_EXIT_DATA;
    rc = RCL_SCHOOL_EXIT_OK;
    if (rcl_school_export(db, rcl_school_opt(a, "out"), &f, &rows, err, sizeof(err)) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "export: %s", err);
        rc = RCL_SCHOOL_EXIT_DATA;
    } else {
        printf(says == RCL_SHEET_ZH ? "已导出 %llu 名学生到 %s\n"
                                    : "exported %llu students to %s\n",
               (unsigned long long)rows, rcl_school_opt(a, "out"));
    }
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return rc;
}

const struct rcl_school_command rcl_school_cmd_export = {
    "export",
    "--db FILE --out FILE [--lang zh|en] [--encoding utf-8|gb18030]",
    "Writes the school's students to the new file --out (never overwritten, readable\n"
    "by its owner only) as a sheet import reads back: importing it into a fresh store\n"
    "gives the same students, with every field the school holds: after the template's\n"
    "columns, helper_roles, assistance_start, assistance_end (one ';'-separated item\n"
    "per measure, in the order of assistance), optout_status, optout_reason,\n"
    "optout_filed, optout_decided. Chinese headers and words by default; UTF-8 with a\n"
    "byte order mark by default. A cell starting with = + - @ is led by an apostrophe\n"
    "so that a spreadsheet shows it as text; import drops the apostrophe again.\n"
    "--lang is the sheet's language; the line it prints follows the locale.",
    {{"db", "FILE", true},
     {"out", "FILE", true},
     {"lang", "zh|en", false},
     {"encoding", "utf-8|gb18030", false}},
    NULL,
    cmd_export,
    RCL_SCHOOL_STORE_READS};

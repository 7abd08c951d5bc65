/*
 * serve_page.c - the page `serve` shows (see serve.h): how far the data has
 * travelled and the Sync button, the sheets, the students table with its
 * filters, and one form per editing command. Plain HTML forms with inline
 * CSS and no script: nothing is fetched from elsewhere.
 *
 * Every form names the command, the action and the options of its
 * command-line twin (edit.h), so what the page sends is checked and done by
 * the same code as the command.
 */
#include "serve.h"

#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "lists.h"
#include "rcl_html.h"
#include "rcl_log.h"
#include "rcl_outbox.h"
#include "rcl_platform.h"
#include "receipt.h"

/* The page's words: Chinese first, English kept. */
#define L(zh, en) (lang == RCL_SHEET_ZH ? (zh) : (en))

static void put(FILE *out, const char *s)
{
    rcl_agg_html_escape(out, s);
}

static const char STYLE[] =
    "body{font-family:\"Microsoft YaHei\",\"PingFang SC\",\"Noto Sans CJK SC\",sans-serif;"
    "margin:0 auto;max-width:1100px;padding:0 1em 3em;color:#222}"
    "h1{font-size:1.5em;margin:.8em 0 .2em}h2{font-size:1.2em;border-bottom:2px solid #3a6;"
    "padding-bottom:.2em;margin-top:1.6em}"
    "table{border-collapse:collapse;width:100%;font-size:.95em}"
    "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}"
    "th{background:#eef5ee}form{margin:.5em 0}label{display:inline-block;margin:.25em 1em .25em 0}"
    "fieldset{border:1px solid #ccc;margin:.6em 0}input[type=text]{width:14em}"
    "button{font-size:1em;padding:.3em 1.2em}.ok{background:#e9f7ec;border:1px solid #3a6}"
    ".bad{background:#fdecea;border:1px solid #c33}.notice{padding:.6em 1em;margin:1em 0}"
    "pre{white-space:pre-wrap}.muted{color:#666}nav a{margin-right:1em}";

/* refresh: the page reloads itself every second (it shows something under way). */
static void page_head(FILE *out, enum rcl_sheet_lang lang, const char *title, bool refresh)
{
    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">%s"
            "<meta name=\"viewport\" content=\"width=device-width\"><title>",
            L("zh-CN", "en"), refresh ? "<meta http-equiv=\"refresh\" content=\"1\">" : "");
    put(out, title);
    fprintf(out, "</title><style>%s</style></head><body>\n", STYLE);
}

void rcl_serve_page_refusal(enum rcl_sheet_lang lang, const char *title, FILE *out)
{
    page_head(out, lang, title, false);
    fputs("<div class=\"notice bad\"><p>", out);
    put(out, title);
    fputs("</p></div></body></html>\n", out);
}

/* The hidden fields every form carries: the token, and for a POST what it runs. */
static void form_begin(FILE *out, const struct rcl_serve_view *v, const char *action_url,
                       const char *command, const char *action)
{
    fprintf(out, "<form method=\"post\" action=\"%s\"%s>", action_url,
            strcmp(action_url, "/import") == 0 ? " enctype=\"multipart/form-data\"" : "");
    fprintf(out, "<input type=\"hidden\" name=\"t\" value=\"%s\">", v->token);
    if (command != NULL)
        fprintf(out, "<input type=\"hidden\" name=\"command\" value=\"%s\">", command);
    if (action != NULL)
        fprintf(out, "<input type=\"hidden\" name=\"action\" value=\"%s\">", action);
}

/* A text field, holding value (what was typed, NULL: empty). */
static void value_input(FILE *out, const char *label, const char *name, const char *placeholder,
                        const char *value)
{
    fprintf(out, "<label>%s <input type=\"text\" name=\"%s\"", label, name);
    if (placeholder != NULL)
        fprintf(out, " placeholder=\"%s\"", placeholder);
    if (value != NULL) {
        fputs(" value=\"", out);
        put(out, value);
        fputc('"', out);
    }
    fputs("></label>", out);
}

static void text_input(FILE *out, const char *label, const char *name, const char *placeholder)
{
    value_input(out, label, name, placeholder, NULL);
}

/* A select of codes, each shown as its Chinese word (zh[i][0]) or as the code. */
static void code_select(FILE *out, enum rcl_sheet_lang lang, const char *label, const char *name,
                        const char *const *codes, const char *const (*zh)[RCL_ZH_WORDS], int n,
                        bool blank)
{
    fprintf(out, "<label>%s <select name=\"%s\">", label, name);
    if (blank)
        fprintf(out, "<option value=\"\">%s</option>", L("（不修改）", "(keep)"));
    for (int i = 0; i < n; i++)
        fprintf(out, "<option value=\"%s\">%s</option>", codes[i],
                zh != NULL && lang == RCL_SHEET_ZH ? zh[i][0] : codes[i]);
    fputs("</select></label>", out);
}

/* Checkboxes for a set, with one for none ("none" stands for the empty set). */
static void code_boxes(FILE *out, enum rcl_sheet_lang lang, const char *label, const char *name,
                       const char *const *codes, const char *const (*zh)[RCL_ZH_WORDS], int n)
{
    fprintf(out, "<fieldset><legend>%s</legend>", label);
    for (int i = 0; i < n; i++)
        fprintf(out, "<label><input type=\"checkbox\" name=\"%s\" value=\"%s\"> %s</label>", name,
                codes[i], lang == RCL_SHEET_ZH ? zh[i][0] : codes[i]);
    fprintf(out, "<label><input type=\"checkbox\" name=\"%s\" value=\"none\"> %s</label>", name,
            L("无", "none"));
    fprintf(out, "<span class=\"muted\">%s</span></fieldset>",
            L("（修改时一项都不勾选则保持原样）", "(when updating, ticking nothing keeps it)"));
}

/* ---- How far the data has travelled, and Sync ---- */

static int section_status(FILE *out, const struct rcl_serve_view *v)
{
    enum rcl_sheet_lang lang = v->lang;
    struct rcl_outbox_stats st;
    uint64_t students = 0;
    char words[256];

    if (rcl_school_students_count(v->db, &students) != 0 || rcl_outbox_stats(v->db, &st) != 0)
        return -1;
    fprintf(out, "<section id=\"status\"><h2>%s</h2><table>",
            L("数据上报情况", "How far the data has travelled"));
    fprintf(out, "<tr><th>%s</th><td id=\"students-count\">%llu</td></tr>",
            L("学生人数", "Students"), (unsigned long long)students);
    rcl_receipt_pending(&st, lang, words, sizeof(words));
    fprintf(out, "<tr><th>%s</th><td id=\"pending\">",
            rcl_receipt_label(RCL_RECEIPT_PENDING, lang));
    put(out, words);
    rcl_receipt_acked(&st, lang, words, sizeof(words));
    fprintf(out, "</td></tr><tr><th>%s</th><td id=\"acked\">",
            rcl_receipt_label(RCL_RECEIPT_ACKED, lang));
    put(out, words);
    rcl_receipt_totals(&st, lang, words, sizeof(words));
    fprintf(out, "</td></tr><tr><th>%s</th><td id=\"receipt\">",
            rcl_receipt_label(RCL_RECEIPT_TOTALS, lang));
    put(out, words);
    fputs("</td></tr></table>", out);
    form_begin(out, v, "/sync", NULL, NULL);
    fprintf(out,
            "<p><button type=\"submit\" id=\"sync\">%s</button> <span "
            "class=\"muted\">%s</span></p></form></section>\n",
            L("同步到县里", "Sync with the county"),
            L("把改动发给县里并等待确认；按下后会显示进度。",
              "sends the changes and waits for the county's acknowledgement, showing how far "
              "it is."));
    return 0;
}

/* ---- Sheets ---- */

static void section_sheets(FILE *out, const struct rcl_serve_view *v)
{
    enum rcl_sheet_lang lang = v->lang;

    fprintf(out, "<section id=\"sheets\"><h2>%s</h2>", L("学生表格", "Students sheet"));
    fprintf(
        out,
        "<p><a href=\"/template.csv?t=%s\">%s</a> &nbsp; <a href=\"/export.csv?t=%s\">%s</a></p>",
        v->token, L("下载空白表格（模板）", "Download the empty sheet (template)"), v->token,
        L("导出全部学生", "Export every student"));
    form_begin(out, v, "/import", NULL, NULL);
    fprintf(out,
            "<label>%s <input type=\"file\" name=\"sheet\" accept=\".csv,text/csv\"></label> "
            "<label><input type=\"checkbox\" name=\"ignore-unknown\" value=\"1\"> %s</label> "
            "<button type=\"submit\">%s</button></form>",
            L("选择填好的表格（CSV）", "The filled-in sheet (CSV)"),
            L("跳过不认识的列", "pass over unknown columns"), L("上传并导入", "Upload and import"));
    fprintf(out, "<p class=\"muted\">%s</p></section>\n",
            L("表格有任何一行出错，就整张不导入，学生名单不会有任何改动；改正后重新上传即可。",
              "If any row is wrong nothing is imported and the students stay as they were; "
              "correct the sheet and upload it again."));
}

/* ---- Tables from CSV (a list, an errors sheet) ---- */

/* The errors sheet's Chinese header and types (import.h), as the English page says them. */
static const char *const PROBLEM_WORDS_EN[][2] = {
    {"行号", "Line"}, {"学籍号", "Student number"}, {"姓名", "Name"},
    {"类型", "Type"}, {"问题", "Problem"},          {"错误", "error"},
    {"提示", "note"},
};

/* cell in English when words (pairs, zh then en) has it, else as it is. */
static const char *cell_words(const char *cell, const char *const (*words)[2], size_t n_words)
{
    for (size_t i = 0; i < n_words; i++) {
        if (strcmp(cell, words[i][0]) == 0)
            return words[i][1];
    }
    return cell;
}

/* Writes the CSV in buf (header first) as an HTML table with the given id, a cell that is
 * one of words' first (a header, a type) said as its second (words NULL: as written).
 * 0, or -1. */
static int csv_table(FILE *out, const char *id, const char *buf, size_t len,
                     const char *const (*words)[2], size_t n_words)
{
    FILE *in = rcl_memreader(buf, len);
    struct rcl_csv_reader *r = in != NULL ? rcl_csv_reader_new(in) : NULL;
    bool header = true;
    int rc = 0, got;

    if (r == NULL) {
        if (in != NULL)
            fclose(in);
        return -1;
    }
    fprintf(out, "<table id=\"%s\">", id);
    while ((got = rcl_csv_reader_next(r)) != RCL_CSV_END) {
        if (got != RCL_CSV_RECORD) {
            rc = -1;
            break;
        }
        fputs("<tr>", out);
        for (size_t i = 0; i < rcl_csv_reader_count(r); i++) {
            size_t n;
            const char *cell = rcl_csv_reader_get(r, i, &n);

            rcl_sheet_cell_unguard(&cell, &n);
            fputs(header ? "<th>" : "<td>", out);
            put(out, cell_words(cell, words, n_words));
            fputs(header ? "</th>" : "</td>", out);
        }
        fputs("</tr>\n", out);
        header = false;
    }
    fputs("</table>", out);
    rcl_csv_reader_destroy(&r);
    fclose(in);
    return rc;
}

/* ---- The students table ---- */

static const struct {
    const char *kind, *zh, *en;
} LISTS[] = {
    {"students", "全部学生", "every student"},
    {"lacking", "缺少居家学习条件", "lacking the conditions"},
    {"blind-spots", "盲点（无条件或缺席，且无帮扶）", "blind spots"},
    {"special-groups", "特殊群体", "special groups"},
    {"plans", "帮扶措施", "assistance measures"},
};

static int section_students(FILE *out, const struct rcl_serve_view *v)
{
    enum rcl_sheet_lang lang = v->lang;
    struct rcl_school_list_options o = {v->list, v->class_name, RCL_AGG_LIST_CSV, v->lang};
    char err[256];
    struct rcl_memstream mem;
    int rc;

    fprintf(out, "<section id=\"list\"><h2>%s</h2><form method=\"get\" action=\"/\">",
            L("学生名单", "Students"));
    fprintf(out, "<input type=\"hidden\" name=\"t\" value=\"%s\"><label>%s <select name=\"list\">",
            v->token, L("显示", "Show"));
    for (size_t i = 0; i < sizeof(LISTS) / sizeof(LISTS[0]); i++)
        fprintf(out, "<option value=\"%s\"%s>%s</option>", LISTS[i].kind,
                strcmp(LISTS[i].kind, v->list) == 0 ? " selected" : "",
                L(LISTS[i].zh, LISTS[i].en));
    fprintf(out, "</select></label><label>%s <input type=\"text\" name=\"class\" value=\"",
            L("班级", "Class"));
    if (v->class_name != NULL)
        put(out, v->class_name);
    fprintf(out, "\" placeholder=\"%s\"></label><button type=\"submit\">%s</button></form>",
            L("全部班级", "every class"), L("筛选", "Filter"));
    if (rcl_memstream_open(&mem) != 0)
        return -1;
    rc = rcl_school_list(v->db, v->m, &o, mem.f, err, sizeof(err));
    if (rcl_memstream_close(&mem) != 0)
        rc = -1;
    if (rc != 0)
        RCL_ERROR("serve: cannot write the list list=%s err=%s", rcl_log_value(v->list),
                  rcl_log_value(err));
    else
        rc = csv_table(out, "students", mem.buf, mem.len, NULL, 0);
    free(mem.buf);
    fputs("</section>\n", out);
    return rc;
}

/* ---- The editing forms (edit.h) ---- */

static void section_student(FILE *out, const struct rcl_serve_view *v)
{
    enum rcl_sheet_lang lang = v->lang;

    fprintf(out, "<section id=\"edit-student\"><h2>%s</h2>", L("学生信息", "A student"));
    form_begin(out, v, "/edit", "student", NULL);
    fprintf(out,
            "<label>%s <select name=\"action\"><option value=\"add\">%s</option>"
            "<option value=\"update\">%s</option></select></label>",
            L("操作", "Action"), L("新增学生", "add a student"),
            L("修改学生（只改填写的项）", "update (only what is filled in)"));
    text_input(out, L("学籍号", "Student number"), "id", "G…");
    text_input(out, L("姓名", "Name"), "name", NULL);
    text_input(out, L("年级（1-12）", "Grade (1-12)"), "grade", NULL);
    text_input(out, L("班级", "Class"), "class", NULL);
    code_boxes(out, lang, L("家庭网络", "Home network"), "network", rcl_network_names,
               rcl_network_zh, RCL_NETWORK_COUNT);
    code_boxes(out, lang, L("学习终端", "Devices"), "devices", rcl_device_names, rcl_device_zh,
               RCL_DEVICE_COUNT);
    code_boxes(out, lang, L("特殊群体", "Special groups"), "groups", rcl_group_names, rcl_group_zh,
               RCL_GROUP_COUNT);
    text_input(out, L("学习平台", "Platform"), "platform", NULL);
    code_select(out, lang, L("参与情况", "Participation"), "participation", rcl_participation_names,
                rcl_participation_zh, RCL_PARTICIPATION_COUNT, true);
    text_input(out, L("所在县（6位代码）", "Staying in county"), "place-county", NULL);
    text_input(out, L("所在村或社区", "Village or community"), "place", NULL);
    text_input(out, L("监护人电话", "Guardian's phone"), "guardian-contact", NULL);
    fprintf(out, "<p><button type=\"submit\">%s</button></p></form>", L("保存", "Save"));

    fprintf(out, "<h3>%s</h3>", L("学生离校", "A student leaves"));
    form_begin(out, v, "/edit", "student", "remove");
    text_input(out, L("学籍号", "Student number"), "id", NULL);
    fprintf(out,
            "<label>%s <select name=\"reason\"><option value=\"left\">%s</option>"
            "<option value=\"graduated\">%s</option><option value=\"transferred_out\">%s</option>"
            "<option value=\"other\">%s</option></select></label>",
            L("原因", "Reason"), L("离校", "left"), L("毕业", "graduated"),
            L("转出", "transferred out"), L("其他", "other"));
    text_input(out, L("转入学校（10位代码，可不填）", "To school (10 digits, optional)"), "to",
               NULL);
    text_input(out, L("离校日期", "Date"), "date", "YYYY-MM-DD");
    fprintf(out, "<button type=\"submit\">%s</button></form></section>\n", L("移出名单", "Remove"));
}

static void section_measure(FILE *out, const struct rcl_serve_view *v)
{
    enum rcl_sheet_lang lang = v->lang;

    fprintf(out, "<section id=\"edit-measure\"><h2>%s</h2>",
            L("帮扶措施（一人一案）", "Assistance (one person, one policy)"));
    form_begin(out, v, "/edit", "measure", NULL);
    fprintf(out,
            "<label>%s <select name=\"action\"><option value=\"plan\">%s</option>"
            "<option value=\"add\">%s</option><option value=\"end\">%s</option>"
            "</select></label>",
            L("操作", "Action"), L("计划", "plan"), L("已落实", "put in place"), L("结束", "end"));
    text_input(out, L("学籍号", "Student number"), "id", NULL);
    code_select(out, lang, L("措施", "Measure"), "kind", rcl_measure_kind_names,
                rcl_measure_kind_zh, RCL_MEASURE_KIND_COUNT, false);
    text_input(out, L("帮扶责任人", "Helper"), "role", L("如：班主任", "e.g. class teacher"));
    text_input(out, L("责任人电话", "Helper's phone"), "contact", NULL);
    text_input(out, L("开始日期", "Start"), "start", "YYYY-MM-DD");
    text_input(out, L("结束日期", "End"), "end", "YYYY-MM-DD");
    fprintf(out, "<button type=\"submit\">%s</button></form></section>\n", L("保存", "Save"));
}

static void section_feedback(FILE *out, const struct rcl_serve_view *v)
{
    enum rcl_sheet_lang lang = v->lang;

    fprintf(out, "<section id=\"edit-feedback\"><h2>%s</h2>",
            L("家长反馈", "The family's feedback"));
    form_begin(out, v, "/edit", "feedback", NULL);
    text_input(out, L("学籍号", "Student number"), "id", NULL);
    fprintf(out, "<label>%s <input type=\"text\" name=\"text\" style=\"width:30em\"></label>",
            L("反馈或需求（留空即清除）", "Feedback or need (empty clears it)"));
    fprintf(out, "<button type=\"submit\">%s</button></form></section>\n", L("保存", "Save"));
}

static void section_optout(FILE *out, const struct rcl_serve_view *v)
{
    enum rcl_sheet_lang lang = v->lang;

    fprintf(out, "<section id=\"edit-optout\"><h2>%s</h2>",
            L("申请不参加居家学习", "Opting out of home teaching"));
    form_begin(out, v, "/edit", "optout", "file");
    text_input(out, L("学籍号", "Student number"), "id", NULL);
    text_input(out, L("申请理由", "Reason"), "reason", NULL);
    text_input(out, L("申请日期", "Filed"), "date", "YYYY-MM-DD");
    fprintf(out, "<button type=\"submit\">%s</button></form>", L("登记申请", "File"));
    form_begin(out, v, "/edit", "optout", "decide");
    text_input(out, L("学籍号", "Student number"), "id", NULL);
    fprintf(out,
            "<label>%s <select name=\"status\"><option value=\"approved\">%s</option>"
            "<option value=\"rejected\">%s</option></select></label>",
            L("决定", "Decision"), L("批准", "approved"), L("不批准", "rejected"));
    text_input(out, L("决定日期", "Decided"), "date", "YYYY-MM-DD");
    fprintf(out, "<button type=\"submit\">%s</button></form></section>\n", L("记录决定", "Decide"));
}

static int section_profile(FILE *out, const struct rcl_serve_view *v)
{
    enum rcl_sheet_lang lang = v->lang;
    struct rcl_school_profile p;

    if (rcl_school_profile_load(v->db, v->m, &p) != 0)
        return -1;
    fprintf(out, "<section id=\"profile\"><h2>%s</h2><table>",
            L("学校信息", "The school's profile"));
    fprintf(out, "<tr><th>%s</th><td id=\"platforms\">", L("教学平台", "Platforms"));
    for (size_t i = 0; i < p.n_platforms; i++) {
        const struct rcl_platform *pl = &p.platforms[i];

        fputs(i > 0 ? "；" : "", out);
        put(out, pl->name);
        fprintf(out, "（%s",
                pl->kind < RCL_PLATFORM_KIND_COUNT
                    ? L(rcl_platform_kind_zh[pl->kind][0], rcl_platform_kind_names[pl->kind])
                    : "?");
        if (pl->classes[0] != '\0') {
            fputs(", ", out);
            put(out, pl->classes);
        }
        fputs("）", out);
    }
    fprintf(out, "</td></tr><tr><th>%s</th><td id=\"materials\">",
            L("教材发放", "Teaching materials"));
    if (p.materials_total > 0)
        fprintf(out, "%u/%u", p.materials_delivered, p.materials_total);
    else
        fprintf(out, "%u%%", p.materials_percent);
    fprintf(out, "</td></tr><tr><th>%s</th><td>", L("联系人职务", "Contact role"));
    put(out, p.contact_role);
    fprintf(out, "</td></tr><tr><th>%s</th><td>", L("所属学校（教学点）", "Parent school"));
    put(out, p.parent_school);
    fputs("</td></tr></table>", out);
    form_begin(out, v, "/edit", "profile", "set");
    text_input(out, L("教学平台", "Platforms"), "platforms", "空中课堂:tv:all;钉钉:live:3-1");
    text_input(out, L("教材发放", "Materials"), "materials", "120/300 或 40%");
    text_input(out, L("联系人职务", "Contact role"), "contact-role", NULL);
    text_input(out, L("所属学校（10位代码或 none）", "Parent school (10 digits or none)"), "parent",
               NULL);
    fprintf(out,
            "<button type=\"submit\">%s</button> <span class=\"muted\">%s</span></form>"
            "</section>\n",
            L("保存", "Save"), L("不填的项保持原样。", "Fields left empty keep their value."));
    return 0;
}

static int notice_write(FILE *out, enum rcl_sheet_lang lang, const struct rcl_serve_notice *n)
{
    int rc = 0;

    fprintf(out, "<div class=\"notice %s\" id=\"notice\"><p><strong>", n->ok ? "ok" : "bad");
    put(out, n->title);
    fputs("</strong></p>", out);
    if (n->problems != NULL && n->problems_len > 0)
        rc = csv_table(
            out, "problems", n->problems, n->problems_len,
            lang == RCL_SHEET_ZH ? NULL : PROBLEM_WORDS_EN,
            lang == RCL_SHEET_ZH ? 0 : sizeof(PROBLEM_WORDS_EN) / sizeof(PROBLEM_WORDS_EN[0]));
    if (n->detail != NULL && n->detail[0] != '\0') {
        fprintf(out, "<details%s><summary>%s</summary><pre id=\"detail\">",
                n->problems == NULL ? " open" : "", L("详细信息", "Details"));
        put(out, n->detail);
        fputs("</pre></details>", out);
    }
    fputs("</div>\n", out);
    return rc;
}

int rcl_serve_page_write(const struct rcl_serve_view *v, const struct rcl_serve_notice *notice,
                         FILE *out)
{
    enum rcl_sheet_lang lang = v->lang;

    page_head(out, lang, v->m->name, false);
    fputs("<header><h1>", out);
    put(out, v->m->name);
    fprintf(out, "</h1><p class=\"muted\">%s %s · %s %s</p>", L("学校代码", "School"),
            v->m->school_id, L("县区代码", "County"), v->m->county);
    fprintf(out,
            "<nav><a href=\"#status\">%s</a><a href=\"#sheets\">%s</a><a href=\"#list\">%s</a>"
            "<a href=\"#edit-student\">%s</a><a href=\"#edit-measure\">%s</a>"
            "<a href=\"#edit-feedback\">%s</a><a href=\"#edit-optout\">%s</a>"
            "<a href=\"#profile\">%s</a></nav></header>\n",
            L("上报", "Sync"), L("表格", "Sheets"), L("名单", "Students"), L("学生", "A student"),
            L("帮扶", "Assistance"), L("反馈", "Feedback"), L("不参加申请", "Opt-out"),
            L("学校信息", "Profile"));
    if (notice != NULL && notice_write(out, lang, notice) != 0)
        return -1;
    if (section_status(out, v) != 0)
        return -1;
    section_sheets(out, v);
    if (section_students(out, v) != 0)
        return -1;
    section_student(out, v);
    section_measure(out, v);
    section_feedback(out, v);
    section_optout(out, v);
    if (section_profile(out, v) != 0)
        return -1;
    fputs("</body></html>\n", out);
    return 0;
}

int rcl_serve_page_setup(const struct rcl_serve_view *v, const struct rcl_school_setup *given,
                         const struct rcl_serve_notice *notice, FILE *out)
{
    enum rcl_sheet_lang lang = v->lang;

    page_head(out, lang, L("建立本校的数据", "Set the school up"), false);
    fprintf(out, "<header><h1>%s</h1><p class=\"muted\">%s</p></header>\n",
            L("建立本校的数据", "Set the school up"),
            L("第一次使用：照县里发来的通知填写下面几项（只需填一次）。建立以后，把页面上显示的"
              "本校公钥交给县里登记，就可以导入学生名单、同步到县里了。",
              "First use: fill in what the county's notice says (once). Then give the county the "
              "school's public key this page shows, and import and sync as usual."));
    if (notice != NULL && notice_write(out, lang, notice) != 0)
        return -1;
    fputs("<section id=\"setup\">", out);
    form_begin(out, v, "/setup", NULL, NULL);
    value_input(out, L("学校代码（10 位）", "School code (10 digits)"), "school", "4101020001",
                given->school);
    value_input(out, L("校名", "School name"), "name", NULL, given->name);
    value_input(out, L("所在县代码（6 位）", "County code (6 digits)"), "county", "410102",
                given->county);
    fputs("<br>", out);
    value_input(out, L("县里的地址", "The county's address"), "upstream", "tcp://10.41.1.2:7000",
                given->upstream);
    value_input(out, L("县里的公钥（64 位）", "The county's public key (64 characters)"),
                "upstream_key", NULL, given->upstream_key);
    fputs("<br>", out);
    value_input(out,
                L("假名密钥（省里给的 64 位；没有就留空）",
                  "Pseudonym key (the province's 64 characters; empty: none)"),
                "pseudonym_key", NULL, given->pseudonym_key);
    fprintf(out,
            "<p><button type=\"submit\" id=\"setup-submit\">%s</button></p></form></section>\n",
            L("建立", "Set up"));
    fputs("</body></html>\n", out);
    return 0;
}

int rcl_serve_page_sync(const struct rcl_serve_view *v, const struct rcl_serve_notice *notice,
                        bool running, unsigned run, FILE *out)
{
    enum rcl_sheet_lang lang = v->lang;

    page_head(out, lang, L("同步到县里", "Sync with the county"), running);
    fputs("<header><h1>", out);
    put(out, v->m->name);
    fprintf(out, "</h1><p class=\"muted\" id=\"sync-run\" data-run=\"%u\">", run);
    if (run > 0)
        fprintf(out, L("本次打开页面以来第 %u 次同步", "sync %u since serve started"), run);
    fprintf(out, "</p><nav><a href=\"/?t=%s\">%s</a></nav></header>\n", v->token,
            L("返回学校页面", "Back to the school's page"));
    if (notice_write(out, lang, notice) != 0 || section_status(out, v) != 0)
        return -1;
    if (running)
        fprintf(out, "<p class=\"muted\">%s</p>",
                L("本页每秒自动更新，可以一直开着；关掉本页也不会中断同步。",
                  "This page updates itself every second; closing it does not stop the sync."));
    fputs("</body></html>\n", out);
    return 0;
}

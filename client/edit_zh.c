/*
 * edit_zh.c - the editing commands' messages in Chinese, for the page
 * (edit_internal.h: rcl_edit_reason_zh, rcl_edit_label_zh).
 *
 * As in import_zh.c, each entry is the English format as edit.c or
 * edit_records.c writes it and its Chinese wording with the same
 * conversions in the same order; "%.0s" takes an English word and prints
 * nothing. A message the import says too is worded by import_zh.c's table.
 */
#include <stddef.h>
#include <string.h>

#include "edit_internal.h"
#include "import.h"

const struct rcl_import_reason_zh rcl_edit_reasons_zh[] = {
    /* Problems */
    {"%s is not valid UTF-8 text (or holds control characters)", "%s 含有无法识别的字符"},
    {"%s is not a phone number (5 to 20 digits, with blanks, '-', '(', ')' and a leading '+' "
     "allowed; at most %d bytes; '' clears it)",
     "%s 不是电话号码（5 到 20 位数字，可含空格、“-”、括号和开头的“+”；最多 %d 字节；留空即清除）"},
    {"student id '%s': %s", "学籍号“%s”有误：%s"},
    {"missing", "没有填写"},
    {"cannot read student %s from the store (see the log above)", "读取学生 %s 时数据库出错"},
    {"cannot save student %s (see the log above)", "保存学生 %s 时数据库出错"},
    {"--place-county '%s' is not a 6-digit county code ('' clears it)",
     "所在县“%s”不是 6 位县区代码（留空即清除）"},
    {"--grade '%s' is out of range 1-12", "年级“%s”超出 1-12 的范围"},
    {"%s: unknown value '%s'", "%s：不认识的取值“%s”"},
    {"--participation '%s' is not one of active, irregular, absent, opted_out",
     "参与情况“%s”不是正常、不规律、缺席、申请不参加之一"},
    {"student %s is already on the list (use 'student update')",
     "学生 %s 已在名单上（请用“修改学生”）"},
    {"no student %s on the list (use 'student add')", "名单上没有学生 %s（请用“新增学生”）"},
    {"--reason '%s' is not one of left, graduated, transferred_out, other",
     "原因“%s”不是离校、毕业、转出、其他之一"},
    {"--to names the school a student transferred to: it needs --reason transferred_out",
     "“转入学校”只用于转出的学生：原因请选“转出”"},
    {"--to '%s' is not a 10-digit school code", "转入学校“%s”不是 10 位学校代码"},
    {"no student %s on the list", "名单上没有学生 %s"},
    {"cannot remove student %s (see the log above)", "移出学生 %s 时数据库出错"},
    {"--status '%s' is not approved or rejected", "决定“%s”不是批准或不批准"},
    {"student %s has no opt-out application (use 'optout file')",
     "学生 %s 没有不参加居家学习的申请（请先“登记申请”）"},
    {"decision date %s is before the application was filed (%s)", "决定日期 %s 早于申请日期（%s）"},
    {"student %s: %s", "学生 %s：%s"},
    {"unknown action", "不认识的操作"},
    {"cannot start a transaction: %s", "数据库出错，无法开始保存：%s"},
    {"cannot commit: %s", "数据库出错，无法保存：%s"},
    {"needs %s", "还需要填写：%s"},
    {"other options", "其他项"},
    {"--name, --grade and --class", "姓名、年级和班级"},
    {"at least one field to change", "至少一项要修改的内容"},
    {"--reason left|graduated|transferred_out|other", "原因"},
    {"--text TEXT (empty to clear)", "反馈或需求"},
    {"--reason TEXT", "申请理由"},
    {"--status approved|rejected", "决定"},
    {"--kind KIND", "措施"},
    {"at least one of --platforms, --materials, --contact-role, --parent",
     "教学平台、教材发放、联系人职务、所属学校中的至少一项"},
    {"--kind '%s' is not one of tv_at_village, loaned_device, data_subsidy, one_to_one, "
     "paper_materials, funding",
     "措施“%s”不是可选的措施之一"},
    {"student %s has no planned or in-place measure %s", "学生 %s 没有计划中或已落实的措施“%s”"},
    {"student %s already has measure %s in place", "学生 %s 已落实措施“%s”"},
    {"student %s has %d measures already, the most allowed", "学生 %s 已有 %d 项措施，不能再加"},
    {"--role '%s' holds a ';' (use '、' between several helpers)",
     "帮扶责任人“%s”含有“;”（多位责任人请用“、”隔开）"},
    {"end date %s is before the start date %s", "结束日期 %s 早于开始日期 %s"},
    {"--platforms lists more than %d platforms", "教学平台超过 %d 个"},
    {"--platforms item '%.*s' is not NAME:KIND[:CLASSES]",
     "教学平台“%.*s”的写法不对（应为 名称:类型[:班级]）"},
    {"--platforms name '%.*s' is too long or not UTF-8 text",
     "教学平台名称“%.*s”太长或含有无法识别的字符"},
    {"--platforms kind '%.*s' of '%s' is not one of live, recorded, tv, other",
     "教学平台类型“%.*s”（%s）不是 live（直播）、recorded（录播）、tv（电视）、other（其他）之一"},
    {"--platforms classes of '%s' are too long (at most %d bytes) or not UTF-8 text",
     "教学平台“%s”的班级太长（最多 %d 字节）或含有无法识别的字符"},
    {"--materials '%s': a percent is at most 100", "教材发放“%s”：百分比最多为 100"},
    {"--materials '%s': the delivered count must be at most the total, which must be 1 or more",
     "教材发放“%s”：已发放数不能大于总数，总数至少为 1"},
    {"--materials '%s' is not DELIVERED/TOTAL (e.g. 120/300) or PERCENT%% (e.g. 40%%)",
     "教材发放“%s”应写作 已发放/总数（如 120/300）或百分比（如 40%%）"},
    {"cannot read the profile (see the log above)", "读取学校信息时数据库出错"},
    {"--parent '%s' is not a 10-digit school code (or none)",
     "所属学校“%s”不是 10 位学校代码（或 none）"},
    {"--parent '%s' is this school itself", "所属学校“%s”就是本校"},
    {"cannot save the profile (see the log above)", "保存学校信息时数据库出错"},
    {"opted_out needs an approved application: filed one, pending",
     "申请不参加需要经批准的申请：已自动登记一份申请，待审批"},
    {"opted_out needs an approved application: one is pending",
     "申请不参加需要经批准的申请：申请正在待审批"},
    {"no longer opted_out: the approved application is withdrawn (cleared)",
     "不再申请不参加：已批准的申请已撤销（清除）"},
    /* What was done */
    {"student %s: %s\n", "学生 %s：%s\n"},
    {"student %s: unchanged\n", "学生 %s：没有变化\n"},
    {"student %s: removed (%s%s%s, %s)\n", "学生 %s：已移出名单（%s%s%s，%s）\n"},
    {"left", "离校"},
    {"graduated", "毕业"},
    {"transferred_out", "转出"},
    {"other", "其他"},
    {" to ", "，转入 "},
    {"added", "已新增"},
    {"updated", "已修改"},
    {"feedback saved", "家长反馈已保存"},
    {"opt-out application filed (pending)", "不参加申请已登记（待审批）"},
    {"opt-out approved (participation opted_out)", "不参加申请已批准（参与情况：申请不参加）"},
    {"opt-out rejected", "不参加申请未批准"},
    {"measure in place", "帮扶措施已落实"},
    {"measure planned", "帮扶措施已计划"},
    {"measure ended", "帮扶措施已结束"},
    {"profile of %s: %zu platform%s, materials %u%%, contact role '%s', parent school %s\n",
     "学校 %s 的信息：教学平台 %zu 个%.0s，教材发放 %u%%，联系人职务“%s”，所属学校 %s\n"},
};

const size_t rcl_edit_reasons_zh_count =
    sizeof(rcl_edit_reasons_zh) / sizeof(rcl_edit_reasons_zh[0]);

/* The page's names of the options (serve_page.c labels its fields so). */
static const struct {
    const char *name, *zh;
} labels[] = {
    {"id", "学籍号"},
    {"name", "姓名"},
    {"grade", "年级"},
    {"class", "班级"},
    {"network", "家庭网络"},
    {"devices", "学习终端"},
    {"groups", "特殊群体"},
    {"platform", "学习平台"},
    {"participation", "参与情况"},
    {"feedback", "家长反馈"},
    {"place-county", "所在县"},
    {"place", "所在村或社区"},
    {"guardian-contact", "监护人电话"},
    {"reason", "原因"},
    {"to", "转入学校"},
    {"date", "日期"},
    {"kind", "措施"},
    {"role", "帮扶责任人"},
    {"contact", "责任人电话"},
    {"start", "开始日期"},
    {"end", "结束日期"},
    {"text", "反馈或需求"},
    {"status", "决定"},
    {"platforms", "教学平台"},
    {"materials", "教材发放"},
    {"contact-role", "联系人职务"},
    {"parent", "所属学校"},
};

const char *rcl_edit_reason_zh(const char *fmt)
{
    const char *zh = rcl_reason_zh_find(rcl_edit_reasons_zh, rcl_edit_reasons_zh_count, fmt);

    return zh != NULL ? zh : rcl_import_reason_zh(fmt);
}

const char *rcl_edit_label_zh(const char *name)
{
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
        if (strcmp(labels[i].name, name) == 0)
            return labels[i].zh;
    }
    return NULL;
}

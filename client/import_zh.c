/*
 * import_zh.c - the import's reasons in Chinese, for the errors sheet a
 * clerk reads (import.h: reasons_zh).
 *
 * Each entry is the English format as import.c writes it and its Chinese
 * wording with the same conversions in the same order (test_import_zh.c
 * checks that), so either is filled from the same arguments. "%.0s" takes an
 * English plural ending and prints nothing. A reason without an entry, or
 * one whose English changed, is written in English as before.
 */
#include <stddef.h>
#include <string.h>

#include "import.h"
#include "sheet.h"

const struct rcl_import_reason_zh rcl_import_reasons_zh[] = {
    {"column %zu '%s' is not imported: its cells are passed over",
     "第 %zu 列“%s”不导入，该列内容已跳过"},
    {"unknown column '%s' (accepted: " RCL_SHEET_COLUMNS_ACCEPTED
     "; import --ignore-unknown passes such columns over)",
     "不认识的列“%s”（可用的列：" RCL_SHEET_COLUMNS_ACCEPTED_ZH
     "；勾选“跳过不认识的列”可跳过这样的列）"},
    {"column '%s' appears twice (columns %d and %zu)", "列“%s”出现了两次（第 %d 列和第 %zu 列）"},
    {"missing required column '%s' (required: student_id, name, grade, class; or 学籍号, 姓名, "
     "年级, "
     "班级)",
     "缺少必填的列“%s”（必填：学籍号、姓名、年级、班级）"},
    {"%s is empty", "%s 为空"},
    {"%s is not valid UTF-8 text (or holds a control character)", "%s 含有无法识别的字符"},
    {"%s is %zu bytes long, at most %zu allowed", "%s 太长（%zu 字节，最多 %zu 字节）"},
    {"%s is %zu bytes long, too long for a list of values", "%s 太长（%zu 字节），不是一组取值"},
    {"%s: unknown value '%s' (accepted: %s; separate several with ';' or '、')",
     "%s：不认识的取值“%s”（可填：%s；多个取值用“；”或“、”隔开）"},
    {"grade is empty", "年级为空"},
    {"grade '%s' is not a whole number from 1 to 12 (or 一年级 … 六年级, 初一 … 初三, 高一 … 高三)",
     "年级“%s”不是 1 到 12 的整数（也可写一年级 … 六年级、初一 … 初三、高一 … 高三）"},
    {"grade '%s' is out of range 1-12", "年级“%s”超出 1-12 的范围"},
    {"assistance is %zu bytes long, too long for a list of measures", "帮扶措施太长（%zu 字节）"},
    {"assistance lists %zu measures, at most %d allowed", "帮扶措施有 %zu 项，最多 %d 项"},
    {"assistance: unknown measure '%s' (kinds: %s; add ':planned' or ':ended', '：计划' or "
     "'：已结束', when not in place)",
     "帮扶措施：不认识的措施“%s”（可填：%s；未落实的加“：计划”或“：已结束”）"},
    {"participation '%s' is not one of active (正常), irregular (不规律), absent (缺席), opted_out "
     "(申请不参加) (empty means active)",
     "参与情况“%s”不是正常、不规律、缺席、申请不参加之一（留空即正常）"},
    {"feedback is %zu bytes long, at most %d allowed", "家长反馈太长（%zu 字节，最多 %d 字节）"},
    {"%s lists %zu item%s but assistance lists %zu measure%s: one per measure, in the same order, "
     "separated by ';'",
     "%s 有 %zu 项%.0s，但帮扶措施有 %zu 项%.0s：每项措施对应一项，顺序相同，用“;”隔开"},
    {"%s '%s' is not a date written YYYY-MM-DD",
     "%s“%s”不是日期（应写作 YYYY-MM-DD，如 2020-03-06）"},
    {"%s is %zu bytes long, at most %d allowed", "%s 太长（%zu 字节，最多 %d 字节）"},
    {"%s is not a phone number (5 to 20 digits, with blanks, '-', '(', ')' and a leading '+' "
     "allowed)",
     "%s 不是电话号码（5 到 20 位数字，可含空格、“-”、括号和开头的“+”）"},
    {"place_county '%s' is not a 6-digit county code", "所在县“%s”不是 6 位县区代码"},
    {"measure %zu (%s) ends %s, before it starts (%s)",
     "第 %zu 项措施（%s）的结束日期 %s 早于开始日期（%s）"},
    {"optout_status '%s' is not one of none (未申请), pending (待审批), approved (已批准), "
     "rejected "
     "(未批准) (empty means none)",
     "不参加申请状态“%s”不是未申请、待审批、已批准、未批准之一（留空即未申请）"},
    {"optout_decided is set but the application is pending", "填了审批日期，但申请还在待审批"},
    {"optout_status %s needs the date of the decision (optout_decided, 审批日期)",
     "不参加申请状态 %s 需要填写审批日期"},
    {"optout_decided %s is before the application was filed (%s)",
     "审批日期 %s 早于申请日期（%s）"},
    {"class is %zu bytes long, at most %zu allowed", "班级太长（%zu 字节，最多 %zu 字节）"},
    {"class '%s' is of grade %u but grade is %u", "班级“%s”属于 %u 年级，但年级填的是 %u"},
    {"student_id is empty", "学籍号为空"},
    {"student_id '%s': %s%.0s", "学籍号“%s”有误：%.0s%s"},
    {"column %zu holds '%s' but has no name in the header", "第 %zu 列有内容“%s”，但表头没有列名"},
    {"expected %zu fields as in the header, found %zu",
     "这一行应有 %zu 格（与表头相同），实际有 %zu 格"},
    {"this is the template's example row (student_id %s): delete it before importing",
     "这是模板里的示例行（学籍号 %s）：导入前请删除"},
    {"out of memory", "内存不足"},
    /* Reasons passed whole (as "%s"). */
    {"an opt-out reason or date without an application: set optout_status (不参加申请状态) or "
     "clear them",
     "填了不参加申请的理由或日期，但没有申请：请填写不参加申请状态，或清空理由和日期"},
    {"quote inside an unquoted field (quote the whole field and double the quote)",
     "没有加引号的格子里有引号（请给整格加引号，并把其中的引号写两遍）"},
    {"unexpected character after a closing quote", "右引号后面多了字符"},
    {"the file is UTF-16 (Excel's \"Unicode Text\"), which is not read: save the sheet as "
     "\"CSV UTF-8 (Comma delimited)\"",
     "文件是 UTF-16 编码（Excel 的“Unicode 文本”），无法读取：请另存为“CSV UTF-8（逗号分隔）”"},
    {"student_id '%s' appears again (first on line %ld)",
     "学籍号“%s”重复出现（第一次在第 %ld 行）"},
    {"cannot open: %s", "无法打开表格文件%.0s"},
    {"file is empty" RCL_IMPORT_EXPECTED_HEADER, "表格是空的" RCL_IMPORT_EXPECTED_HEADER_ZH},
    {"no header row" RCL_IMPORT_EXPECTED_HEADER,
     "表格开头只有标题行，没有表头" RCL_IMPORT_EXPECTED_HEADER_ZH},
    /* The system's and the store's own words (English) stay on the command line and in the
     * log: "%.0s" leaves them out of the Chinese. */
    {"the store is busy or unwritable: %s", "数据库正忙或无法写入，没有导入%.0s"},
    {"store failure while importing: %s", "导入时数据库出错，没有导入%.0s"},
    {"cannot commit the import: %s", "无法完成导入（数据库出错）%.0s"},
    /* The sheet's readers: the character set (charset.c) and the CSV (csv.c). */
    {"read error: %s", "读取表格文件出错%.0s"},
    {"write error: %s", "写入临时文件出错%.0s"},
    {"cannot make a temporary file to read a pipe: %s", "无法建立临时文件来读取表格%.0s"},
    {"cannot write a temporary file: %s", "写入临时文件出错%.0s"},
    {"cannot make a temporary file to convert GB18030 text: %s",
     "无法建立临时文件来转换 GB18030 编码的表格%.0s"},
    {"cannot write the converted text to a temporary file: %s", "写入临时文件出错%.0s"},
    {"a character cut short at the end, offset %llu", "文件末尾（第 %llu 字节处）有半个字符"},
    {"byte 0x%02X at offset %llu", "字节 %02X（十六进制，第 %llu 字节处）"},
    {"it starts with a UTF-8 byte order mark", "文件开头标明是 UTF-8 编码"},
    {"most of it is UTF-8", "大部分内容是 UTF-8 编码"},
    {"not valid UTF-8 text (%s), though %s: the file looks damaged; save the sheet again as "
     "\"CSV UTF-8 (Comma delimited)\"",
     "文件不是有效的 UTF-8 编码（%s），但%s：文件可能已损坏；请重新另存为“CSV UTF-8（逗号分隔）”"},
    {"not UTF-8 text (%s), and GB18030 cannot be tried here (%s): save the sheet as \"CSV "
     "UTF-8 (Comma delimited)\"",
     "文件不是 UTF-8 编码（%s），本机又无法按 GB18030 编码读取%.0s：请另存为“CSV "
     "UTF-8（逗号分隔）”"},
    {"neither UTF-8 text (%s) nor GB18030 text (%s): save the sheet as \"CSV UTF-8 (Comma "
     "delimited)\"",
     "文件既不是 UTF-8 编码（%s），也不是 GB18030 编码（%s），无法读取：请另存为“CSV "
     "UTF-8（逗号分隔）”"},
    {"record is longer than %d bytes", "这一行超过 %d 字节，太长"},
    {"record has more than %d fields", "这一行超过 %d 格，太多"},
    {"quoted field opened on line %lu is never closed", "第 %lu 行开始的引号一直没有闭合"},
};

const size_t rcl_import_reasons_zh_count =
    sizeof(rcl_import_reasons_zh) / sizeof(rcl_import_reasons_zh[0]);

const char *rcl_reason_zh_find(const struct rcl_import_reason_zh *t, size_t n, const char *fmt)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].en, fmt) == 0)
            return t[i].zh;
    }
    return NULL;
}

const char *rcl_import_reason_zh(const char *fmt)
{
    return rcl_reason_zh_find(rcl_import_reasons_zh, rcl_import_reasons_zh_count, fmt);
}

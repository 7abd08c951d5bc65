/*
 * usage_zh.c - the command line's usage errors in Chinese (school_cli.h):
 * each wording takes the same arguments as its English format, in the same
 * order (tests/unit/test_import_zh.c checks them).
 */
#include "school_cli.h"

#include "import.h"

const struct rcl_import_reason_zh rcl_usage_reasons_zh[] = {
    {"%s", "%s"}, /* a reason worded already (the editing commands': in Chinese when asked) */
    {"unknown option '%s'", "不认识的选项“%s”"},
    {"option --config is given twice", "选项 --config 给了两次"},
    {"option --config needs a value", "选项 --config 后面要跟一个值"},
    {"option --%s is given twice", "选项 --%s 给了两次"},
    {"option --%s takes no value", "选项 --%s 后面不跟值"},
    {"option --%s needs a value", "选项 --%s 后面要跟一个值"},
    {"unexpected argument '%s'", "多余的参数“%s”"},
    {"missing %s", "缺少 %s"},
    {"missing --%s %s", "缺少 --%s %s"},
    {"unknown language '%s' (zh or en)", "不认识的语言“%s”（可用 zh 或 en）"},
    {"unknown format '%s' (json or csv)", "不认识的格式“%s”（可用 json 或 csv）"},
    {"unknown format '%s' (text, csv or json)", "不认识的格式“%s”（可用 text、csv 或 json）"},
    {"unknown encoding '%s' (utf-8 or gb18030)", "不认识的编码“%s”（可用 utf-8 或 gb18030）"},
    {"unknown list '%s' (%s)", "不认识的名单“%s”（可用 %s）"},
    {"--%s '%s' must be a whole number of seconds, 1 or more", "--%s “%s”应是秒数：1 或更大的整数"},
    {"--port '%s' is not a port (0-65535)", "--port “%s”不是端口号（0-65535）"},
    {"--address '%s' refused: serve listens on 127.0.0.1 only (the page holds the students' "
     "names)",
     "--address “%s”不可用：页面上有学生的姓名，只在本机 127.0.0.1 上打开"},
    {"school id '%s' must be 10 digits (the school code)", "学校代码“%s”应是 10 位数字"},
    {"county code '%s' must be 6 digits", "县代码“%s”应是 6 位数字"},
    {"school name '%s' must be non-empty UTF-8 text", "校名“%s”不能为空，且应是 UTF-8 文字"},
    {"school name is %zu bytes long, at most %d allowed", "校名有 %zu 个字节，最多 %d 个"},
    {"upstream '%s' must be a tcp://HOST:PORT endpoint", "上级地址“%s”应写成 tcp://主机:端口"},
    {"upstream key '%s' is not a public key: expected 64 hex characters, as the upstream's "
     "'pubkey' command prints them",
     "县里的公钥“%s”不对：应是 64 个十六进制字符，即县里 pubkey 命令打印的那一行"},
    {"the pseudonym key is not 64 hex characters (as the province gives it)",
     "假名密钥不对：应是 64 个十六进制字符（省里给的那一行）"},
    {"give --upstream, --upstream-key or both", "请给出 --upstream 或 --upstream-key，或两个都给"},
};

const size_t rcl_usage_reasons_zh_count =
    sizeof(rcl_usage_reasons_zh) / sizeof(rcl_usage_reasons_zh[0]);

const char *rcl_usage_reason_zh(const char *fmt)
{
    return rcl_reason_zh_find(rcl_usage_reasons_zh, rcl_usage_reasons_zh_count, fmt);
}

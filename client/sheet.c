/*
 * sheet.c - the students sheet's words in English and Chinese (see sheet.h).
 *
 * One table per set, indexed by the model's enum: the first Chinese word is
 * the one export writes, the others are accepted too.
 */
#include "sheet.h"

#include <stdio.h>
#include <string.h>

/* The code tables (rcl_*_zh) are the model's: the county's lists write the same words. */
#define WORDS_MAX RCL_ZH_WORDS
/* Names a column goes by in the sheets schools keep. */
#define COLUMN_NAMES_MAX 8

/* ---- Tables ---- */

/* One column a line, however long its Chinese names. */
/* clang-format off */
static const struct {
    const char *english;
    bool required;
    const char *zh[COLUMN_NAMES_MAX];
} columns[RCL_COL_COUNT] = {
    [RCL_COL_STUDENT_ID] = {"student_id", true, {"学籍号", "全国学籍号", "学生学籍号", "学籍号码", "学籍编号"}},
    [RCL_COL_NAME] = {"name", true, {"姓名", "学生姓名"}},
    [RCL_COL_GRADE] = {"grade", true, {"年级", "所在年级"}},
    [RCL_COL_CLASS] = {"class", true, {"班级", "所在班级", "班别"}},
    [RCL_COL_NETWORK] = {"network", false, {"家庭网络", "网络", "网络条件", "网络情况", "家庭网络情况", "上网条件"}},
    [RCL_COL_DEVICES] = {"devices", false, {"学习终端", "设备", "终端", "学习设备", "终端设备", "家庭学习设备"}},
    [RCL_COL_GROUPS] = {"groups", false, {"特殊群体", "群体", "特殊群体类别", "学生类别"}},
    [RCL_COL_ASSISTANCE] = {"assistance", false, {"帮扶措施", "帮扶", "帮扶方式", "一人一策"}},
    [RCL_COL_PARTICIPATION] = {"participation", false, {"参与情况", "参与", "是否参与", "参与线上学习情况", "学习状态"}},
    [RCL_COL_PLATFORM] = {"platform", false, {"学习平台", "平台", "线上学习平台", "学习平台名称"}},
    [RCL_COL_FEEDBACK] = {"feedback", false, {"家长反馈", "反馈", "家长意见", "家长需求", "家长反馈及需求"}},
    [RCL_COL_HELPER_ROLES] = {"helper_roles", false, {"帮扶责任人"}},
    [RCL_COL_ASSISTANCE_START] = {"assistance_start", false, {"帮扶开始日期"}},
    [RCL_COL_ASSISTANCE_END] = {"assistance_end", false, {"帮扶结束日期"}},
    [RCL_COL_OPTOUT_STATUS] = {"optout_status", false, {"不参加申请状态"}},
    [RCL_COL_OPTOUT_REASON] = {"optout_reason", false, {"不参加申请理由"}},
    [RCL_COL_OPTOUT_FILED] = {"optout_filed", false, {"申请日期"}},
    [RCL_COL_OPTOUT_DECIDED] = {"optout_decided", false, {"审批日期"}},
    [RCL_COL_PLACE_COUNTY] = {"place_county", false, {"所在区县代码", "现居区县代码"}},
    [RCL_COL_PLACE] = {"place", false, {"所在村（社区）", "现居住地", "所在地"}},
    [RCL_COL_GUARDIAN_CONTACT] = {"guardian_contact", false, {"监护人电话", "家长电话", "联系电话", "家长联系方式", "监护人联系电话", "联系方式"}},
    [RCL_COL_HELPER_CONTACTS] = {"helper_contacts", false, {"帮扶人电话"}},
};
/* clang-format on */

static const char *const grade_zh[12][WORDS_MAX] = {
    {"一年级", "小学一年级"},
    {"二年级", "小学二年级"},
    {"三年级", "小学三年级"},
    {"四年级", "小学四年级"},
    {"五年级", "小学五年级"},
    {"六年级", "小学六年级"},
    {"初一", "七年级", "初1", "初中一年级"},
    {"初二", "八年级", "初2", "初中二年级"},
    {"初三", "九年级", "初3", "初中三年级"},
    {"高一", "高中一年级", "高1"},
    {"高二", "高中二年级", "高2"},
    {"高三", "高中三年级", "高3"},
};

struct vocabulary {
    const char *const *english;
    const char *const (*zh)[WORDS_MAX];
    int count;
};

static const struct vocabulary lists[] = {
    [RCL_LIST_NETWORK] = {rcl_network_names, rcl_network_zh, RCL_NETWORK_COUNT},
    [RCL_LIST_DEVICES] = {rcl_device_names, rcl_device_zh, RCL_DEVICE_COUNT},
    [RCL_LIST_GROUPS] = {rcl_group_names, rcl_group_zh, RCL_GROUP_COUNT},
    [RCL_LIST_MEASURES] = {rcl_measure_kind_names, rcl_measure_kind_zh, RCL_MEASURE_KIND_COUNT},
};
static const struct vocabulary statuses = {rcl_measure_status_names, rcl_measure_status_zh,
                                           RCL_STATUS_COUNT};
static const struct vocabulary participations = {rcl_participation_names, rcl_participation_zh,
                                                 RCL_PARTICIPATION_COUNT};

/* ---- Matching ---- */

/* Length of the blank at s (space, tab or the full-width space U+3000), or 0. */
static size_t blank_at(const char *s, size_t len)
{
    /* A header typed in Excel with Alt+Enter holds a line break ("姓名\n（必填）"). */
    if (len >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n'))
        return 1;
    if (len >= 3 && memcmp(s, "\xE3\x80\x80", 3) == 0)
        return 3;
    return 0;
}

/*
 * Bytes that carry no meaning when comparing: blanks, '_' and '-' in English
 * words, and the '*' (or '＊') by which sheets mark a required column.
 */
/*
 * The character at s, with a full-width form (U+FF01 to U+FF5E: '１', 'Ｇ',
 * '（') read as its ASCII one, into *c; returns the bytes it takes.
 */
static size_t fold_at(const char *s, size_t len, char *c)
{
    const unsigned char *u = (const unsigned char *)s;
    if (len >= 3 && u[0] == 0xEF &&
        ((u[1] == 0xBC && u[2] >= 0x81 && u[2] <= 0xBF) ||
         (u[1] == 0xBD && u[2] >= 0x80 && u[2] <= 0x9E))) {
        unsigned cp = ((unsigned)(u[1] & 0x3F) << 6 | (u[2] & 0x3F)) + 0xF000;
        *c = (char)(0x21 + (cp - 0xFF01));
        return 3;
    }
    *c = len > 0 ? s[0] : '\0';
    return len > 0 ? 1 : 0;
}

static size_t ignored_at(const char *s, size_t len)
{
    char c;
    size_t n = fold_at(s, len, &c);
    if (n > 0 && (c == '_' || c == '-' || c == '*'))
        return n;
    return blank_at(s, len);
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* True when got (len bytes) is the word want, see sheet.h for what is ignored. */
static bool word_equal(const char *want, const char *got, size_t len)
{
    size_t wlen = strlen(want);
    size_t i = 0, j = 0;
    size_t skip;

    for (;;) {
        while ((skip = ignored_at(want + i, wlen - i)) > 0)
            i += skip;
        while ((skip = ignored_at(got + j, len - j)) > 0)
            j += skip;
        if (i == wlen || j == len)
            return i == wlen && j == len;
        char a, b;
        i += fold_at(want + i, wlen - i, &a);
        j += fold_at(got + j, len - j, &b);
        if (lower(a) != lower(b))
            return false;
    }
}

size_t rcl_sheet_fold(const char *s, size_t len, char *out, size_t outlen)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < outlen;) {
        if (len - i >= 3 && memcmp(s + i, "\xE3\x80\x80", 3) == 0) {
            out[n++] = ' ';
            i += 3;
            continue;
        }
        i += fold_at(s + i, len - i, &out[n++]);
    }
    if (outlen > 0)
        out[n] = '\0';
    return n;
}

/* The index of the word in v (English or any Chinese alias), or -1. Never matches "". */
static int vocabulary_find(const struct vocabulary *v, const char *s, size_t len)
{
    bool meaningful = false;
    for (size_t k = 0; k < len && !meaningful;) {
        size_t skip = ignored_at(s + k, len - k);
        meaningful = skip == 0;
        k += skip;
    }
    if (!meaningful)
        return -1;
    for (int i = 0; i < v->count; i++) {
        if (word_equal(v->english[i], s, len))
            return i;
        for (int w = 0; w < WORDS_MAX && v->zh[i][w] != NULL; w++) {
            if (word_equal(v->zh[i][w], s, len))
                return i;
        }
    }
    return -1;
}

static void trim(const char **s, size_t *len)
{
    size_t skip;
    while ((skip = blank_at(*s, *len)) > 0) {
        *s += skip;
        *len -= skip;
    }
    /* Blanks are one byte or the 3-byte U+3000; check for the long one first. */
    for (;;) {
        if (*len >= 3 && memcmp(*s + *len - 3, "\xE3\x80\x80", 3) == 0)
            *len -= 3;
        else if (*len >= 1 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
            *len -= 1;
        else
            break;
    }
}

/* ---- Columns ---- */

const char *rcl_sheet_column_name(enum rcl_sheet_column c, enum rcl_sheet_lang lang)
{
    return lang == RCL_SHEET_ZH ? columns[c].zh[0] : columns[c].english;
}

bool rcl_sheet_column_required(enum rcl_sheet_column c)
{
    return columns[c].required;
}

/*
 * Columns schools keep in their sheets that say nothing the notice asks for
 * (or what only the school should know): import passes them over, with a
 * warning, instead of refusing the sheet.
 */
static const char *const ignored_columns[] = {
    "序号",       "编号",     "性别",       "民族",     "出生日期", "出生年月",
    "年龄",       "身份证号", "身份证号码", "家庭住址", "家庭地址", "住址",
    "户籍所在地", "备注",     "学校",       "学校名称", "所在学校", "监护人",
    "监护人姓名", "家长姓名", "班主任",     "填表人",   "no",       "gender",
    "sex",        "birthday", "address",    "remarks",  "note",     "notes",
};

static int column_named(const char *cell, size_t len)
{
    for (int c = 0; c < RCL_COL_COUNT; c++) {
        if (word_equal(columns[c].english, cell, len))
            return c;
        for (int w = 0; w < COLUMN_NAMES_MAX && columns[c].zh[w] != NULL; w++) {
            if (word_equal(columns[c].zh[w], cell, len))
                return c;
        }
    }
    for (size_t i = 0; i < sizeof(ignored_columns) / sizeof(ignored_columns[0]); i++) {
        if (word_equal(ignored_columns[i], cell, len))
            return RCL_SHEET_COLUMN_IGNORED;
    }
    return -1;
}

/*
 * Drops a note in brackets at the end of a header ("姓名（必填）", "学籍号(19位)",
 * "网络【宽带/移动】"). Returns false when there is none.
 */
static bool drop_note(const char *cell, size_t *len)
{
    static const struct {
        const char *open, *close;
    } pairs[] = {
        {"(", ")"}, {"\xEF\xBC\x88", "\xEF\xBC\x89"}, {"[", "]"}, {"\xE3\x80\x90", "\xE3\x80\x91"}};

    for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
        size_t cl = strlen(pairs[k].close), ol = strlen(pairs[k].open);
        if (*len < cl || memcmp(cell + *len - cl, pairs[k].close, cl) != 0)
            continue;
        for (size_t at = *len - cl; at-- > 0;) {
            if (at + ol <= *len - cl && memcmp(cell + at, pairs[k].open, ol) == 0) {
                *len = at;
                trim(&cell, len);
                return *len > 0;
            }
        }
    }
    return false;
}

int rcl_sheet_column_find(const char *cell, size_t len)
{
    trim(&cell, &len);
    if (len == 0)
        return -1;
    /* A name with brackets of its own ("所在村（社区）") is tried whole first. */
    for (int notes = 0; notes <= 2; notes++) {
        int c = column_named(cell, len);
        if (c != -1 || !drop_note(cell, &len))
            return c;
    }
    return -1;
}

/* ---- Lists ---- */

/* Appends len bytes of s to out at *pos. Returns 0, or -1 when it does not fit. */
static int put(char *out, size_t outlen, size_t *pos, const char *s, size_t len)
{
    if (*pos + len + 1 > outlen)
        return -1;
    memcpy(out + *pos, s, len);
    *pos += len;
    out[*pos] = '\0';
    return 0;
}

static int put_str(char *out, size_t outlen, size_t *pos, const char *s)
{
    return put(out, outlen, pos, s, strlen(s));
}

/* Length of the separator at s (';' '；' '、' '，' ',' for lists, ':' '：' for status), or 0. */
static size_t separator_at(const char *s, size_t len, bool status)
{
    static const char *const items[] = {";", "\xEF\xBC\x9B", "\xE3\x80\x81", "\xEF\xBC\x8C", ","};
    static const char *const colons[] = {":", "\xEF\xBC\x9A"};
    const char *const *seps = status ? colons : items;
    size_t n = status ? 2 : 5;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(seps[i]);
        if (len >= l && memcmp(s, seps[i], l) == 0)
            return l;
    }
    return 0;
}

/* Finds the first separator in s; its offset in *at (len when none) and its length returned. */
static size_t find_separator(const char *s, size_t len, bool status, size_t *at)
{
    for (size_t i = 0; i < len; i++) {
        size_t l = separator_at(s + i, len - i, status);
        if (l > 0) {
            *at = i;
            return l;
        }
    }
    *at = len;
    return 0;
}

/* Writes the model's name for the word s (len), or s itself when it names nothing in v. */
static int put_word(const struct vocabulary *v, const char *s, size_t len, char *out, size_t outlen,
                    size_t *pos)
{
    trim(&s, &len);
    int i = vocabulary_find(v, s, len);
    return i >= 0 ? put_str(out, outlen, pos, v->english[i]) : put(out, outlen, pos, s, len);
}

/* True when a list item says "none": a sheet's way of writing an empty cell. */
static bool is_nothing(const char *s, size_t len)
{
    static const char *const words[] = {"无",     "没有", "暂无", "无网络",
                                        "无设备", "否",   "none", "/"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (word_equal(words[i], s, len))
            return true;
    }
    return false;
}

int rcl_sheet_list_normalize(enum rcl_sheet_list kind, const char *cell, size_t len, char *out,
                             size_t outlen)
{
    const struct vocabulary *v = &lists[kind];
    size_t pos = 0;
    bool first = true;

    if (outlen == 0)
        return -1;
    out[0] = '\0';
    for (;;) {
        size_t at;
        size_t seplen = find_separator(cell, len, false, &at);
        const char *item = cell;
        size_t ilen = at;
        trim(&item, &ilen);
        if (ilen > 0) {
            if (is_nothing(item, ilen))
                goto next;
            if (!first && put_str(out, outlen, &pos, ";") != 0)
                return -1;
            first = false;
            size_t colon = ilen;
            size_t colonlen =
                kind == RCL_LIST_MEASURES ? find_separator(item, ilen, true, &colon) : 0;
            if (put_word(v, item, colon, out, outlen, &pos) != 0)
                return -1;
            if (colonlen > 0 && (put_str(out, outlen, &pos, ":") != 0 ||
                                 put_word(&statuses, item + colon + colonlen,
                                          ilen - colon - colonlen, out, outlen, &pos) != 0))
                return -1;
        }
    next:
        if (seplen == 0)
            return 0;
        cell += at + seplen;
        len -= at + seplen;
    }
}

void rcl_sheet_list_accepted(enum rcl_sheet_list kind, enum rcl_sheet_lang lang, char *out,
                             size_t outlen)
{
    const struct vocabulary *v = &lists[kind];
    size_t pos = 0;

    if (outlen == 0)
        return;
    out[0] = '\0';
    for (int i = 0; i < v->count; i++) {
        char one[96];
        if (lang == RCL_SHEET_ZH)
            snprintf(one, sizeof(one), "%s%s", i > 0 ? "、" : "", v->zh[i][0]);
        else
            snprintf(one, sizeof(one), "%s%s (%s)", i > 0 ? ", " : "", v->english[i], v->zh[i][0]);
        if (put_str(out, outlen, &pos, one) != 0)
            return;
    }
}

int rcl_sheet_participation_find(const char *cell, size_t len)
{
    trim(&cell, &len);
    return vocabulary_find(&participations, cell, len);
}

unsigned rcl_sheet_grade_word(const char *raw, size_t rawlen)
{
    static const char suffix[] = "年级";
    const size_t slen = sizeof(suffix) - 1;
    char folded[64];
    const char *cell = folded;
    size_t len;

    if (rawlen >= sizeof(folded))
        return 0;
    len = rcl_sheet_fold(raw, rawlen, folded, sizeof(folded));
    trim(&cell, &len);
    /* "3年级": a number with the word for grade. */
    if (len > slen && len <= slen + 2 && memcmp(cell + len - slen, suffix, slen) == 0) {
        unsigned g = 0;
        for (size_t i = 0; i < len - slen; i++) {
            if (cell[i] < '0' || cell[i] > '9')
                return 0;
            g = g * 10 + (unsigned)(cell[i] - '0');
        }
        return g >= 1 && g <= 12 ? g : 0;
    }
    for (unsigned g = 0; g < 12; g++) {
        for (int w = 0; w < WORDS_MAX && grade_zh[g][w] != NULL; w++) {
            if (word_equal(grade_zh[g][w], cell, len))
                return g + 1;
        }
    }
    return 0;
}

/* The number 1-99 written at s in digits or Chinese numerals (一 … 十九, 二十…); 0 when none. */
static unsigned number_at(const char *s, size_t len, size_t *used)
{
    static const char *const digits[] = {"零", "一", "二", "三", "四",
                                         "五", "六", "七", "八", "九"};
    unsigned v = 0;
    size_t i = 0;

    while (i < len && s[i] >= '0' && s[i] <= '9' && v < 100)
        v = v * 10 + (unsigned)(s[i++] - '0');
    if (i > 0) {
        *used = i;
        return v < 100 ? v : 0;
    }
    /* Chinese: [D]十[D] or D, each D one of 一 … 九 (3 bytes each). */
    unsigned tens = 0, ones = 0;
    bool ten = false;
    for (int part = 0; part < 3 && i + 3 <= len; part++) {
        unsigned d = 0;
        for (unsigned k = 1; k < 10; k++) {
            if (memcmp(s + i, digits[k], 3) == 0)
                d = k;
        }
        if (d == 0 && !ten && memcmp(s + i, "十", 3) == 0) {
            ten = true;
            tens = ones == 0 ? 1 : ones;
            ones = 0;
        } else if (d > 0 && ones == 0) {
            ones = d;
        } else {
            break;
        }
        i += 3;
    }
    *used = i;
    return ten ? tens * 10 + ones : ones;
}

/* The length of the grade word that starts s ("三年级", "初一", "3年级", "高2"), its grade in *g.
 */
static size_t grade_prefix(const char *s, size_t len, unsigned *g)
{
    size_t best = 0;
    for (size_t end = 1; end <= len && end <= 24; end++) {
        unsigned got = rcl_sheet_grade_word(s, end);
        if (got > 0) {
            best = end;
            *g = got;
        }
    }
    return best;
}

int rcl_sheet_class_normalize(const char *raw, size_t rawlen, char *out, size_t outlen,
                              unsigned *grade, bool *in_stage)
{
    char folded[256];
    const char *s = folded;
    size_t len, used = 0;
    unsigned g = 0, number;

    *grade = 0;
    *in_stage = false;
    if (rawlen >= sizeof(folded))
        goto as_typed;
    len = rcl_sheet_fold(raw, rawlen, folded, sizeof(folded));
    trim(&s, &len);
    size_t at = grade_prefix(s, len, &g);
    /* "3(1)班", "三（1）班": the grade as a number, then the class in brackets. */
    if (at == 0) {
        unsigned n = number_at(s, len, &used);
        if (n >= 1 && n <= 12 && used < len && s[used] == '(') {
            g = n;
            at = used;
            *in_stage = true;
        }
    }
    bool bracket = at < len && s[at] == '(';
    at += bracket;
    number = number_at(s + at, len - at, &used);
    at += used;
    if (number == 0 || (bracket && (at >= len || s[at++] != ')')))
        goto as_typed;
    if (len - at == strlen("班") && memcmp(s + at, "班", strlen("班")) == 0)
        at = len;
    if (at != len)
        goto as_typed;
    *grade = g;
    return snprintf(out, outlen, "%u班", number) < (int)outlen ? 0 : -1;
as_typed:
    *grade = 0;
    *in_stage = false;
    if (rawlen >= outlen)
        return -1;
    memcpy(out, raw, rawlen);
    out[rawlen] = '\0';
    return 0;
}

/* ---- Formatting ---- */

void rcl_sheet_grade_format(unsigned grade, enum rcl_sheet_lang lang, char *out, size_t outlen)
{
    if (lang == RCL_SHEET_ZH && grade >= 1 && grade <= 12)
        snprintf(out, outlen, "%s", grade_zh[grade - 1][0]);
    else
        snprintf(out, outlen, "%u", grade);
}

void rcl_sheet_set_format(enum rcl_sheet_list kind, uint32_t set, enum rcl_sheet_lang lang,
                          char *out, size_t outlen)
{
    const struct vocabulary *v = &lists[kind];
    size_t pos = 0;

    if (outlen == 0)
        return;
    out[0] = '\0';
    for (int i = 0; i < v->count; i++) {
        if ((set & RCL_BIT(i)) == 0)
            continue;
        if (pos > 0 && put_str(out, outlen, &pos, lang == RCL_SHEET_ZH ? "、" : ";") != 0)
            return;
        if (put_str(out, outlen, &pos, lang == RCL_SHEET_ZH ? v->zh[i][0] : v->english[i]) != 0)
            return;
    }
}

void rcl_sheet_measures_format(const struct rcl_measure *m, size_t n, enum rcl_sheet_lang lang,
                               char *out, size_t outlen)
{
    size_t pos = 0;

    if (lang != RCL_SHEET_ZH) {
        (void)rcl_measures_format(m, n, out, outlen);
        return;
    }
    if (outlen == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (m[i].kind >= RCL_MEASURE_KIND_COUNT || m[i].status >= RCL_STATUS_COUNT)
            continue;
        if (pos > 0 && put_str(out, outlen, &pos, "、") != 0)
            return;
        if (put_str(out, outlen, &pos, rcl_measure_kind_zh[m[i].kind][0]) != 0)
            return;
        if (m[i].status != RCL_STATUS_IN_PLACE &&
            (put_str(out, outlen, &pos, "：") != 0 ||
             put_str(out, outlen, &pos, rcl_measure_status_zh[m[i].status][0]) != 0))
            return;
    }
}

const char *rcl_sheet_participation_name(unsigned participation, enum rcl_sheet_lang lang)
{
    if (participation >= RCL_PARTICIPATION_COUNT)
        return "";
    return lang == RCL_SHEET_ZH ? rcl_participation_zh[participation][0]
                                : rcl_participation_names[participation];
}

/* ---- Formulas ---- */

static bool guard_start(char c)
{
    return c != '\0' && strchr("=+-@\t\r'", c) != NULL;
}

bool rcl_sheet_cell_needs_guard(const char *s)
{
    return s != NULL && guard_start(s[0]);
}

void rcl_sheet_cell_unguard(const char **s, size_t *len)
{
    if (*len >= 2 && (*s)[0] == '\'' && guard_start((*s)[1])) {
        (*s)++;
        (*len)--;
    }
}

/* ---- Words of the school's own lists and of the opt-out columns ---- */

static const struct vocabulary optout_statuses = {rcl_optout_status_names, rcl_optout_status_zh,
                                                  RCL_OPTOUT_STATUS_COUNT};

static const char *word_of(const struct vocabulary *v, unsigned i, enum rcl_sheet_lang lang)
{
    if (i >= (unsigned)v->count)
        return "";
    return lang == RCL_SHEET_ZH ? v->zh[i][0] : v->english[i];
}

const char *rcl_sheet_measure_kind_name(unsigned kind, enum rcl_sheet_lang lang)
{
    return word_of(&lists[RCL_LIST_MEASURES], kind, lang);
}

const char *rcl_sheet_measure_status_name(unsigned status, enum rcl_sheet_lang lang)
{
    return word_of(&statuses, status, lang);
}

int rcl_sheet_optout_status_find(const char *cell, size_t len)
{
    trim(&cell, &len);
    return len == 0 ? RCL_OPTOUT_NONE : vocabulary_find(&optout_statuses, cell, len);
}

const char *rcl_sheet_optout_status_name(unsigned status, enum rcl_sheet_lang lang)
{
    return word_of(&optout_statuses, status, lang);
}

/*
 * rcl_model.c - name tables, set and measure text, the derived condition and
 * blind-spot rules, totals, and the UTF-8 check every string passes.
 */
#include "rcl_model.h"

#include <string.h>

#include "rcl_counts.h"

/* The words of the CSV and the reports. Wire bit numbers are these indexes:
 * never reorder, only append. */
const char *const rcl_network_names[RCL_NETWORK_COUNT] = {"broadband", "mobile", "cable_tv"};
const char *const rcl_device_names[RCL_DEVICE_COUNT] = {"computer", "tablet", "smartphone", "tv"};
const char *const rcl_group_names[RCL_GROUP_COUNT] = {
    "poverty_card", "hardship", "frontline_family", "left_behind", "migrant", "disabled", "other"};
const char *const rcl_measure_kind_names[RCL_MEASURE_KIND_COUNT] = {
    "tv_at_village", "loaned_device", "data_subsidy", "one_to_one", "paper_materials", "funding"};
const char *const rcl_measure_status_names[RCL_STATUS_COUNT] = {"planned", "in_place", "ended"};
const char *const rcl_participation_names[RCL_PARTICIPATION_COUNT] = {"active", "irregular",
                                                                      "absent", "opted_out"};
const char *const rcl_condition_names[RCL_CONDITION_COUNT] = {"online", "tv_only", "none"};
const char *const rcl_condition_zh[RCL_CONDITION_COUNT][RCL_ZH_WORDS] = {
    {"可在线学习"}, {"仅电视"}, {"无条件"}};
const char *const rcl_optout_status_names[RCL_OPTOUT_STATUS_COUNT] = {"none", "pending", "approved",
                                                                      "rejected"};
const char *const rcl_departure_reason_names[RCL_DEPART_REASON_COUNT] = {
    "other", "left", "graduated", "transferred_out"};
const char *const rcl_platform_kind_names[RCL_PLATFORM_KIND_COUNT] = {"live", "recorded", "tv",
                                                                      "other"};

const char *const rcl_network_zh[RCL_NETWORK_COUNT][RCL_ZH_WORDS] = {
    [RCL_NET_BROADBAND] = {"宽带", "宽带网络", "光纤", "家庭宽带"},
    [RCL_NET_MOBILE] = {"移动网络", "移动数据", "手机流量", "4G", "5G", "流量", "手机网络"},
    [RCL_NET_CABLE_TV] = {"有线电视", "数字电视", "电视信号"},
};

const char *const rcl_device_zh[RCL_DEVICE_COUNT][RCL_ZH_WORDS] = {
    [RCL_DEV_COMPUTER] = {"电脑", "计算机", "笔记本电脑", "笔记本", "台式电脑", "台式机"},
    [RCL_DEV_TABLET] = {"平板", "平板电脑", "iPad"},
    [RCL_DEV_SMARTPHONE] = {"手机", "智能手机"},
    [RCL_DEV_TV] = {"电视", "电视机", "智能电视"},
};

const char *const rcl_group_zh[RCL_GROUP_COUNT][RCL_ZH_WORDS] = {
    [RCL_GROUP_POVERTY_CARD] = {"建档立卡", "建档立卡户", "建档立卡贫困户", "贫困户",
                                "建档立卡贫困家庭"},
    [RCL_GROUP_HARDSHIP] = {"困难", "家庭困难", "经济困难", "低保", "低保户"},
    [RCL_GROUP_FRONTLINE_FAMILY] = {"一线医务人员子女", "医务人员子女", "抗疫一线人员子女",
                                    "一线人员子女"},
    [RCL_GROUP_LEFT_BEHIND] = {"留守", "留守儿童"},
    [RCL_GROUP_MIGRANT] = {"随迁", "随迁子女", "进城务工人员随迁子女"},
    [RCL_GROUP_DISABLED] = {"残疾", "残疾学生", "残疾儿童"},
    [RCL_GROUP_OTHER] = {"其他", "其它"},
};

const char *const rcl_measure_kind_zh[RCL_MEASURE_KIND_COUNT][RCL_ZH_WORDS] = {
    [RCL_MEASURE_TV_AT_VILLAGE] = {"村集中收看", "村级收看点"},
    [RCL_MEASURE_LOANED_DEVICE] = {"借用设备", "借用终端"},
    [RCL_MEASURE_DATA_SUBSIDY] = {"流量补贴"},
    [RCL_MEASURE_ONE_TO_ONE] = {"一对一帮扶", "一对一"},
    [RCL_MEASURE_PAPER_MATERIALS] = {"纸质材料", "纸质学习材料"},
    [RCL_MEASURE_FUNDING] = {"资助", "经费资助"},
};

const char *const rcl_measure_status_zh[RCL_STATUS_COUNT][RCL_ZH_WORDS] = {
    [RCL_STATUS_PLANNED] = {"计划", "计划中"},
    [RCL_STATUS_IN_PLACE] = {"已落实", "落实"},
    [RCL_STATUS_ENDED] = {"已结束", "结束"},
};

const char *const rcl_participation_zh[RCL_PARTICIPATION_COUNT][RCL_ZH_WORDS] = {
    [RCL_PART_ACTIVE] = {"正常", "正常参与"},
    [RCL_PART_IRREGULAR] = {"不规律", "不规律参与"},
    [RCL_PART_ABSENT] = {"缺席", "未参与"},
    [RCL_PART_OPTED_OUT] = {"申请不参加", "不参加"},
};

const char *const rcl_optout_status_zh[RCL_OPTOUT_STATUS_COUNT][RCL_ZH_WORDS] = {
    [RCL_OPTOUT_NONE] = {"未申请"},
    [RCL_OPTOUT_PENDING] = {"待审批"},
    [RCL_OPTOUT_APPROVED] = {"已批准"},
    [RCL_OPTOUT_REJECTED] = {"未批准"},
};

const char *const rcl_platform_kind_zh[RCL_PLATFORM_KIND_COUNT][RCL_ZH_WORDS] = {
    [RCL_PLATFORM_LIVE] = {"直播"},
    [RCL_PLATFORM_RECORDED] = {"录播"},
    [RCL_PLATFORM_TV] = {"电视"},
    [RCL_PLATFORM_OTHER] = {"其他"},
};

int rcl_name_find(const char *const *names, int count, const char *word, size_t len)
{
    for (int i = 0; i < count; i++) {
        if (strlen(names[i]) == len && memcmp(names[i], word, len) == 0)
            return i;
    }
    return -1;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Copies at most badlen-1 bytes of word into bad, always terminating it. */
static void copy_bad(char *bad, size_t badlen, const char *word, size_t len)
{
    if (bad == NULL || badlen == 0)
        return;
    if (len >= badlen)
        len = badlen - 1;
    memcpy(bad, word, len);
    bad[len] = '\0';
}

/*
 * Cuts the next ';'-separated item out of *p, trimmed of blanks. Returns false
 * at the end of the cell. An item may be empty (";;"): callers skip those.
 */
static bool next_item(const char **p, const char **item, size_t *len)
{
    const char *s = *p;
    if (*s == '\0')
        return false;
    const char *end = strchr(s, ';');
    if (end == NULL)
        end = s + strlen(s);
    *p = (*end == ';') ? end + 1 : end;
    while (s < end && is_blank(*s))
        s++;
    while (end > s && is_blank(end[-1]))
        end--;
    *item = s;
    *len = (size_t)(end - s);
    return true;
}

int rcl_set_parse(const char *const *names, int count, const char *cell, uint32_t *out, char *bad,
                  size_t badlen)
{
    uint32_t set = 0;
    const char *p = cell != NULL ? cell : "";
    const char *item;
    size_t len;

    while (next_item(&p, &item, &len)) {
        if (len == 0)
            continue;
        int i = rcl_name_find(names, count, item, len);
        if (i < 0) {
            copy_bad(bad, badlen, item, len);
            return -1;
        }
        set |= RCL_BIT(i);
    }
    *out = set;
    return 0;
}

/* Appends s to out at *pos, never past outlen-1; keeps out terminated. */
static void append(char *out, size_t outlen, size_t *pos, const char *s)
{
    size_t n = strlen(s);
    if (outlen == 0)
        return;
    if (*pos + n >= outlen)
        n = outlen - 1 - *pos;
    memcpy(out + *pos, s, n);
    *pos += n;
    out[*pos] = '\0';
}

size_t rcl_set_format(const char *const *names, int count, uint32_t set, char *out, size_t outlen)
{
    size_t pos = 0;
    bool first = true;

    if (outlen == 0)
        return 0;
    out[0] = '\0';
    for (int i = 0; i < count; i++) {
        if (!(set & RCL_BIT(i)))
            continue;
        if (!first)
            append(out, outlen, &pos, ";");
        append(out, outlen, &pos, names[i]);
        first = false;
    }
    return pos;
}

enum rcl_condition rcl_student_condition(const struct rcl_student *s)
{
    uint32_t net = s->network, dev = s->devices;
    bool online_net = net & (RCL_BIT(RCL_NET_BROADBAND) | RCL_BIT(RCL_NET_MOBILE));
    bool online_dev =
        dev & (RCL_BIT(RCL_DEV_COMPUTER) | RCL_BIT(RCL_DEV_TABLET) | RCL_BIT(RCL_DEV_SMARTPHONE));
    bool tv_net = net & (RCL_BIT(RCL_NET_CABLE_TV) | RCL_BIT(RCL_NET_BROADBAND));

    if (online_net && online_dev)
        return RCL_COND_ONLINE;
    if ((dev & RCL_BIT(RCL_DEV_TV)) && tv_net)
        return RCL_COND_TV_ONLY;
    return RCL_COND_NONE;
}

static bool has_measure_in_place(const struct rcl_student *s)
{
    for (size_t i = 0; i < s->n_measures && i < RCL_MEASURES_MAX; i++) {
        if (s->measures[i].status == RCL_STATUS_IN_PLACE)
            return true;
    }
    return false;
}

bool rcl_student_is_blind_spot(const struct rcl_student *s)
{
    bool at_risk = rcl_student_condition(s) == RCL_COND_NONE || s->participation == RCL_PART_ABSENT;
    return at_risk && !has_measure_in_place(s);
}

void rcl_student_urgency(const struct rcl_student *s, struct rcl_urgency *u)
{
    uint32_t g = s->groups & (RCL_BIT(RCL_GROUP_COUNT) - 1);

    u->lacking = rcl_student_condition(s) == RCL_COND_NONE;
    u->absent = s->participation == RCL_PART_ABSENT;
    for (u->groups = 0; g; g &= g - 1)
        u->groups++;
    u->level = (u->lacking ? 1 : 3) + (u->groups > 0 ? 0 : 1);
}

int rcl_urgency_cmp(const struct rcl_urgency *a, const struct rcl_urgency *b)
{
    if (a->level != b->level)
        return a->level < b->level ? -1 : 1;
    if (a->groups != b->groups)
        return a->groups > b->groups ? -1 : 1;
    if (a->absent != b->absent)
        return a->absent ? -1 : 1;
    return 0;
}

int rcl_measures_parse(const char *cell, struct rcl_measure *out, size_t *n_out, char *bad,
                       size_t badlen)
{
    const char *p = cell != NULL ? cell : "";
    const char *item;
    size_t len, n = 0;

    while (next_item(&p, &item, &len)) {
        if (len == 0)
            continue;
        /* "kind" or "kind:status", blanks allowed around the colon. */
        const char *colon = memchr(item, ':', len);
        size_t klen = colon != NULL ? (size_t)(colon - item) : len;
        int status = RCL_STATUS_IN_PLACE;
        while (klen > 0 && is_blank(item[klen - 1]))
            klen--;
        int kind = rcl_name_find(rcl_measure_kind_names, RCL_MEASURE_KIND_COUNT, item, klen);
        if (colon != NULL) {
            const char *st = colon + 1, *end = item + len;
            while (st < end && is_blank(*st))
                st++;
            status =
                rcl_name_find(rcl_measure_status_names, RCL_STATUS_COUNT, st, (size_t)(end - st));
        }
        if (kind < 0 || status < 0 || n >= RCL_MEASURES_MAX) {
            copy_bad(bad, badlen, item, len);
            return -1;
        }
        memset(&out[n], 0, sizeof(out[n]));
        out[n].kind = (uint8_t)kind;
        out[n].status = (uint8_t)status;
        n++;
    }
    *n_out = n;
    return 0;
}

size_t rcl_measures_format(const struct rcl_measure *m, size_t n, char *out, size_t outlen)
{
    size_t pos = 0;

    if (outlen == 0)
        return 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (m[i].kind >= RCL_MEASURE_KIND_COUNT || m[i].status >= RCL_STATUS_COUNT)
            continue; /* the codec never lets such a value in */
        if (i > 0 && pos > 0)
            append(out, outlen, &pos, ";");
        append(out, outlen, &pos, rcl_measure_kind_names[m[i].kind]);
        if (m[i].status != RCL_STATUS_IN_PLACE) {
            append(out, outlen, &pos, ":");
            append(out, outlen, &pos, rcl_measure_status_names[m[i].status]);
        }
    }
    return pos;
}

bool rcl_measure_has_details(const struct rcl_measure *m)
{
    return m->helper_role[0] != '\0' || m->start_date[0] != '\0' || m->end_date[0] != '\0' ||
           m->helper_contact[0] != '\0';
}

void rcl_measures_keep_details(struct rcl_measure *m, size_t n, const struct rcl_measure *old,
                               size_t n_old)
{
    for (size_t i = 0; i < n; i++) {
        if (rcl_measure_has_details(&m[i]))
            continue;
        for (size_t k = 0; k < n_old; k++) {
            if (old[k].kind == m[i].kind && rcl_measure_has_details(&old[k])) {
                memcpy(m[i].helper_role, old[k].helper_role, sizeof(m[i].helper_role));
                memcpy(m[i].start_date, old[k].start_date, sizeof(m[i].start_date));
                memcpy(m[i].end_date, old[k].end_date, sizeof(m[i].end_date));
                memcpy(m[i].helper_contact, old[k].helper_contact, sizeof(m[i].helper_contact));
                break;
            }
        }
    }
}

bool rcl_measure_equal(const struct rcl_measure *a, const struct rcl_measure *b)
{
    return a->kind == b->kind && a->status == b->status &&
           strcmp(a->helper_role, b->helper_role) == 0 &&
           strcmp(a->start_date, b->start_date) == 0 && strcmp(a->end_date, b->end_date) == 0 &&
           strcmp(a->helper_contact, b->helper_contact) == 0;
}

static int digits(const char *s, size_t n)
{
    int v = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

bool rcl_digits_only(const char *s, size_t len)
{
    if (strlen(s) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool rcl_date_valid(const char *s)
{
    static const int month_days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;

    if (s == NULL || strlen(s) != RCL_DATE_LEN || s[4] != '-' || s[7] != '-')
        return false;
    y = digits(s, 4);
    m = digits(s + 5, 2);
    d = digits(s + 8, 2);
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > month_days[m - 1])
        return false;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return false;
    return true;
}

bool rcl_contact_valid(const char *s)
{
    size_t len, n_digits = 0;

    if (s == NULL || (len = strlen(s)) == 0 || len > RCL_CONTACT_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (c >= '0' && c <= '9')
            n_digits++;
        else if (c == '+' ? i != 0 : !(c == ' ' || c == '-' || c == '(' || c == ')'))
            return false;
    }
    return n_digits >= 5 && n_digits <= 20;
}

void rcl_totals_add_student(struct rcl_totals *t, const struct rcl_student *s)
{
    bool in_place[RCL_MEASURE_KIND_COUNT] = {false};

    t->students++;
    t->condition[rcl_student_condition(s)]++;
    if (rcl_student_is_blind_spot(s))
        t->blind_spots++;
    for (int g = 0; g < RCL_GROUP_COUNT; g++) {
        if (s->groups & RCL_BIT(g))
            t->groups[g]++;
    }
    /* A student counts once per kind, however many measures of it are listed. */
    for (size_t i = 0; i < s->n_measures && i < RCL_MEASURES_MAX; i++) {
        const struct rcl_measure *m = &s->measures[i];
        if (m->kind < RCL_MEASURE_KIND_COUNT && m->status == RCL_STATUS_IN_PLACE)
            in_place[m->kind] = true;
    }
    for (int k = 0; k < RCL_MEASURE_KIND_COUNT; k++) {
        if (in_place[k])
            t->measures[k]++;
    }
    if (s->participation < RCL_PARTICIPATION_COUNT)
        t->participation[s->participation]++;
}

void rcl_totals_add(struct rcl_totals *dst, const struct rcl_totals *src)
{
    for (enum rcl_count k = 0; k < RCL_COUNTS_N; k++)
        *rcl_count_at(dst, k) += rcl_count_get(src, k);
}

bool rcl_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        unsigned c = p[i];
        uint32_t cp;
        size_t n;

        if (c < 0x80) {
            if ((c < 0x20 && c != '\t') || c == 0x7F)
                return false;
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false; /* continuation byte, C0/C1 overlong lead, or beyond U+10FFFF */
        }
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000))
            return false; /* overlong */
        if (cp >= 0xD800 && cp <= 0xDFFF)
            return false; /* surrogate */
        if (cp > 0x10FFFF)
            return false;
        i += n + 1;
    }
    return true;
}

/*
 * gen_data.c - deterministic synthetic students (see gen_data.h).
 *
 * The proportions follow ../shared/data/README.md (Henan 2019/2020): about
 * 6.4% hold a poverty card, 10-11% are left behind, 0.6% are disabled, and a
 * few percent cannot join online classes (more among the poorer groups).
 */
#include "gen_data.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Spring 2020 is the term the data describes: grade g started in September (2020 - g). */
#define GEN_REFERENCE_YEAR 2020
#define GEN_CLASS_SIZE 45

/* ---- Pseudo-random numbers: splitmix64 to seed xoshiro256** ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rcl_gen_rng *r)
{
    uint64_t result = rotl(r->s[1] * 5, 7) * 9;
    uint64_t t = r->s[1] << 17;
    r->s[2] ^= r->s[0];
    r->s[3] ^= r->s[1];
    r->s[1] ^= r->s[2];
    r->s[0] ^= r->s[3];
    r->s[2] ^= t;
    r->s[3] = rotl(r->s[3], 45);
    return result;
}

/* FNV-1a, only to fold the codes into the seed. */
static uint64_t fnv1a(const char *s, uint64_t h)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(0x100000001B3);
    }
    return h;
}

void rcl_gen_rng_seed(struct rcl_gen_rng *r, uint64_t seed, const char *a, const char *b)
{
    uint64_t x = seed ^ fnv1a(b, fnv1a(a, UINT64_C(0xCBF29CE484222325)));
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

/* Uniform in [0, n), without modulo bias. n must be > 0. */
uint64_t rcl_gen_rng_below(struct rcl_gen_rng *r, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
        x = rng_next(r);
    } while (x >= limit);
    return x % n;
}

/* Uniform in [0, 1). */
double rcl_gen_rng_unit(struct rcl_gen_rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static bool chance(struct rcl_gen_rng *r, double p)
{
    return rcl_gen_rng_unit(r) < p;
}

/* ---- Word lists ---- */

/* Roughly by frequency: the first ones are drawn more often (see pick_surname). */
static const char *const surnames[] = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱",
    "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯",
    "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜",
    "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭",
    "陆", "汪", "范", "金", "石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟",
    "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "黎",
    "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "武", "戴", "孔", "常", "牛",
};

static const char *const given_chars[] = {
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "萍", "红", "鹏", "晨", "辉",
    "宇", "浩", "欣", "怡", "子", "涵", "梓", "轩", "雨", "萱", "博", "文", "思", "佳", "一",
    "诺", "可", "馨", "嘉", "俊", "睿", "泽", "昊", "天", "瑞", "然", "航", "阳", "凯", "鑫",
    "悦", "琪", "晴", "雅", "婷", "雪", "颖", "璐", "露", "倩", "彤", "妍", "钰", "宁", "安",
    "乐", "家", "豪", "志", "国", "建", "新", "海", "林", "春", "梅", "兰", "晓", "亮", "斌",
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Student ids ---- */

/* ISO 7064 MOD 11-2 over the first 17 digits of a national ID number. */
static char id_check_char(const char *digits17)
{
    static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (digits17[i] - '0') * weights[i];
    return "10X98765432"[sum % 11];
}

/* An open-addressing set of the 17-digit id prefixes used so far (as integers, never 0). */
struct id_set {
    uint64_t *slots;
    size_t mask;
};

static int id_set_init(struct id_set *set, unsigned long count)
{
    size_t cap = 64;
    while (cap < (size_t)count * 2 + 1)
        cap *= 2;
    set->slots = calloc(cap, sizeof(*set->slots));
    set->mask = cap - 1;
    return set->slots ? 0 : -1;
}

/* Adds key; returns false when it was already there. */
static bool id_set_add(struct id_set *set, uint64_t key)
{
    size_t i = (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 20) & set->mask;
    while (set->slots[i] != 0) {
        if (set->slots[i] == key)
            return false;
        i = (i + 1) & set->mask;
    }
    set->slots[i] = key;
    return true;
}

static bool leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

/*
 * A birth date that fits the grade: a child starts grade 1 in the September
 * after turning six, so grade g in spring 2020 was born between September
 * (2013 - g) and August (2014 - g); a few are a year older (late start or a
 * repeated year).
 */
static void birth_date(struct rcl_gen_rng *r, unsigned grade, int *y, int *m, int *d)
{
    int start = GEN_REFERENCE_YEAR - (int)grade - 7 - (chance(r, 0.05) ? 1 : 0);
    int month_index = (int)rcl_gen_rng_below(r, 12); /* 0 = September of 'start' */
    *m = (8 + month_index) % 12 + 1;
    *y = *m >= 9 ? start : start + 1;
    *d = 1 + (int)rcl_gen_rng_below(r, (uint64_t)days_in_month(*y, *m));
}

/* Writes "G" + a valid 18-character ID number not used before in this file into out[20]. */
static int make_student_id(struct rcl_gen_rng *r, struct id_set *used, const char *county,
                           unsigned grade, char out[20])
{
    for (int attempt = 0; attempt < 10000; attempt++) {
        int y, m, d;
        char digits[32];
        birth_date(r, grade, &y, &m, &d);
        unsigned seq = 1 + (unsigned)rcl_gen_rng_below(r, 999);
        /* 6 + 8 + 3 = 17 digits: the county is checked to be 6 digits, the date is 4-2-2. */
        snprintf(digits, sizeof(digits), "%.6s%04d%02d%02d%03u", county, y % 10000, m % 100,
                 d % 100, seq % 1000);
        uint64_t key = strtoull(digits, NULL, 10);
        if (!id_set_add(used, key))
            continue;
        snprintf(out, 20, "G%.17s%c", digits, id_check_char(digits));
        return 0;
    }
    return -1;
}

/* ---- One student ---- */

static const char *pick_surname(struct rcl_gen_rng *r)
{
    /* The first twenty surnames cover a large share of the population. */
    if (chance(r, 0.55))
        return surnames[rcl_gen_rng_below(r, 20)];
    return surnames[rcl_gen_rng_below(r, COUNT_OF(surnames))];
}

static void make_name(struct rcl_gen_rng *r, char *out, size_t outlen)
{
    const char *a = given_chars[rcl_gen_rng_below(r, COUNT_OF(given_chars))];
    if (chance(r, 0.3)) {
        snprintf(out, outlen, "%s%s", pick_surname(r), a);
    } else {
        const char *b = given_chars[rcl_gen_rng_below(r, COUNT_OF(given_chars))];
        snprintf(out, outlen, "%s%s%s", pick_surname(r), a, b);
    }
}

/* Appends ";word" (or "word" when buf is empty) to buf. */
static void set_add(char *buf, size_t buflen, const char *word)
{
    size_t len = strlen(buf);
    snprintf(buf + len, buflen - len, "%s%s", len ? ";" : "", word);
}

enum gen_condition { GEN_ONLINE, GEN_TV_ONLY, GEN_NONE };

struct gen_row {
    char network[64];
    char devices[64];
    char groups[128];
    char assistance[160];
    const char *participation;
};

static void make_groups(struct rcl_gen_rng *r, struct gen_row *row, bool *poor)
{
    bool poverty = chance(r, 0.064);
    bool hardship = !poverty && chance(r, 0.03);
    row->groups[0] = '\0';
    if (poverty)
        set_add(row->groups, sizeof(row->groups), "poverty_card");
    if (hardship)
        set_add(row->groups, sizeof(row->groups), "hardship");
    if (chance(r, 0.015))
        set_add(row->groups, sizeof(row->groups), "frontline_family");
    bool left_behind = chance(r, 0.105);
    if (left_behind)
        set_add(row->groups, sizeof(row->groups), "left_behind");
    if (chance(r, 0.03))
        set_add(row->groups, sizeof(row->groups), "migrant");
    if (chance(r, 0.006))
        set_add(row->groups, sizeof(row->groups), "disabled");
    if (chance(r, 0.01))
        set_add(row->groups, sizeof(row->groups), "other");
    *poor = poverty || hardship || left_behind;
}

/* Connectivity: poorer and left-behind students lack it more often. */
static enum gen_condition make_connectivity(struct rcl_gen_rng *r, bool poor, struct gen_row *row)
{
    double p_none = poor ? 0.08 : 0.02;
    double p_tv = poor ? 0.08 : 0.03;
    double u = rcl_gen_rng_unit(r);
    enum gen_condition c = u < p_none ? GEN_NONE : u < p_none + p_tv ? GEN_TV_ONLY : GEN_ONLINE;
    char *net = row->network;
    char *dev = row->devices;
    size_t nl = sizeof(row->network), dl = sizeof(row->devices);
    net[0] = dev[0] = '\0';

    switch (c) {
    case GEN_ONLINE: {
        bool broadband = chance(r, 0.7);
        bool mobile = !broadband || chance(r, 0.75);
        if (broadband)
            set_add(net, nl, "broadband");
        if (mobile)
            set_add(net, nl, "mobile");
        if (chance(r, 0.3))
            set_add(net, nl, "cable_tv");
        bool computer = chance(r, 0.35);
        bool tablet = chance(r, 0.25);
        bool phone = (!computer && !tablet) || chance(r, 0.8);
        if (computer)
            set_add(dev, dl, "computer");
        if (tablet)
            set_add(dev, dl, "tablet");
        if (phone)
            set_add(dev, dl, "smartphone");
        if (chance(r, 0.7))
            set_add(dev, dl, "tv");
        break;
    }
    case GEN_TV_ONLY:
        /* A television on cable (or broadband IPTV), no device for online classes. */
        if (chance(r, 0.8)) {
            set_add(net, nl, "cable_tv");
            if (chance(r, 0.2))
                set_add(net, nl, "mobile");
        } else {
            set_add(net, nl, "broadband");
        }
        set_add(dev, dl, "tv");
        break;
    case GEN_NONE: {
        double v = rcl_gen_rng_unit(r);
        if (v < 0.5) {
            /* nothing at all */
        } else if (v < 0.75) {
            set_add(net, nl, "mobile"); /* a phone line, but no smart device */
        } else if (v < 0.9) {
            set_add(dev, dl, "tv"); /* a television without a signal */
        } else {
            set_add(dev, dl, "smartphone"); /* a device, but no network at home */
        }
        break;
    }
    }
    return c;
}

static void add_measure(struct gen_row *row, const char *kind, const char *status)
{
    char item[48];
    snprintf(item, sizeof(item), "%s%s%s", kind, status ? ":" : "", status ? status : "");
    set_add(row->assistance, sizeof(row->assistance), item);
}

/*
 * "One person, one policy": most students who cannot learn at home already
 * have help in place, some only planned; poorer online students sometimes
 * get a data subsidy or funding.
 */
static bool make_assistance(struct rcl_gen_rng *r, enum gen_condition c, bool poor,
                            struct gen_row *row)
{
    bool in_place = false;
    row->assistance[0] = '\0';
    if (c == GEN_NONE) {
        double u = rcl_gen_rng_unit(r);
        if (u < 0.6) {
            static const char *const kinds[] = {"tv_at_village", "loaned_device", "paper_materials",
                                                "one_to_one"};
            add_measure(row, kinds[rcl_gen_rng_below(r, COUNT_OF(kinds))], NULL);
            if (chance(r, 0.3))
                add_measure(row, "paper_materials", chance(r, 0.5) ? NULL : "planned");
            in_place = true;
        } else if (u < 0.85) {
            add_measure(row, chance(r, 0.5) ? "tv_at_village" : "loaned_device", "planned");
        }
    } else if (c == GEN_TV_ONLY) {
        if (chance(r, 0.3)) {
            add_measure(row, "paper_materials", NULL);
            in_place = true;
        }
        if (chance(r, 0.2))
            add_measure(row, "loaned_device", "planned");
    } else if (poor) {
        if (chance(r, 0.2)) {
            add_measure(row, "data_subsidy", NULL);
            in_place = true;
        }
        if (chance(r, 0.05))
            add_measure(row, "funding", chance(r, 0.7) ? NULL : "planned");
        if (chance(r, 0.02))
            add_measure(row, "loaned_device", "ended");
    }
    if (chance(r, 0.01)) {
        add_measure(row, "one_to_one", NULL);
        in_place = true;
    }
    return in_place;
}

static void make_participation(struct rcl_gen_rng *r, enum gen_condition c, bool helped,
                               struct gen_row *row)
{
    double p_absent = c == GEN_ONLINE ? 0.015 : helped ? 0.08 : 0.35;
    double p_irregular = c == GEN_ONLINE ? 0.05 : 0.25;
    double u = rcl_gen_rng_unit(r);
    if (u < p_absent)
        row->participation = "absent";
    else if (u < p_absent + p_irregular)
        row->participation = "irregular";
    else if (u < p_absent + p_irregular + 0.003)
        row->participation = "opted_out";
    else /* empty means active; write it out most of the time */
        row->participation = chance(r, 0.9) ? "active" : "";
}

/* The grades a school teaches, from the category in its code. */
static void school_grades(const char *school, unsigned *lo, unsigned *hi)
{
    if (strncmp(school, "21", 2) == 0) {
        *lo = 1, *hi = 6;
    } else if (strncmp(school, "31", 2) == 0) {
        *lo = 7, *hi = 9;
    } else if (strncmp(school, "34", 2) == 0) {
        *lo = 10, *hi = 12;
    } else {
        *lo = 1, *hi = 9;
    }
}

/* ---- One school ---- */

int rcl_gen_school_begin(struct rcl_gen_school *g, uint64_t seed, const char *school,
                         const char *county, unsigned long count)
{
    struct id_set used;
    unsigned lo, hi;

    memset(g, 0, sizeof(*g));
    if (id_set_init(&used, count) != 0)
        return -1;
    g->used = used.slots;
    g->used_mask = used.mask;
    snprintf(g->county, sizeof(g->county), "%.6s", county);
    rcl_gen_rng_seed(&g->rng, seed, school, county);
    school_grades(school, &lo, &hi);
    g->lo = lo;
    g->n_grades = hi - lo + 1;
    g->classes = (count / g->n_grades + GEN_CLASS_SIZE - 1) / GEN_CLASS_SIZE;
    if (g->classes == 0)
        g->classes = 1;
    return 0;
}

int rcl_gen_student_next(struct rcl_gen_school *g, struct rcl_gen_student *out)
{
    struct id_set used = {g->used, g->used_mask};
    struct gen_row row;
    bool poor;

    out->grade = g->lo + (unsigned)rcl_gen_rng_below(&g->rng, g->n_grades);
    out->klass = 1 + rcl_gen_rng_below(&g->rng, g->classes);
    if (make_student_id(&g->rng, &used, g->county, out->grade, out->id) != 0)
        return -1;
    make_name(&g->rng, out->name, sizeof(out->name));
    make_groups(&g->rng, &row, &poor);
    enum gen_condition c = make_connectivity(&g->rng, poor, &row);
    bool helped = make_assistance(&g->rng, c, poor, &row);
    make_participation(&g->rng, c, helped, &row);
    memcpy(out->network, row.network, sizeof(out->network));
    memcpy(out->devices, row.devices, sizeof(out->devices));
    memcpy(out->groups, row.groups, sizeof(out->groups));
    memcpy(out->assistance, row.assistance, sizeof(out->assistance));
    out->participation = row.participation;
    return 0;
}

void rcl_gen_school_end(struct rcl_gen_school *g)
{
    free(g->used);
    g->used = NULL;
}

/*
 * rollcall_gen.c - rollcall-gen, a deterministic generator of synthetic
 * schools and students for the demo, the integration tests and benchmarks.
 *
 *   rollcall-gen students --school ID --county CODE --count N [--seed S]
 *   rollcall-gen schools  --county CODE --count N [--seed S] [--prefix NAME]
 *
 * The same arguments always give the same bytes; the students themselves
 * come from gen_data.c, which rollcall-bench-schools shares.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_data.h"
#include "rcl_model.h"

#define GEN_EXIT_OK 0
#define GEN_EXIT_FAIL 1
#define GEN_EXIT_USAGE 2

#define GEN_MAX_STUDENTS 5000000UL
#define GEN_SCHOOLS_PER_CATEGORY 100

/* ---- Word lists ---- */

static const char *const school_words[] = {
    "实验",   "育才",   "红旗路", "建设路", "人民路", "解放路", "文化路", "花园路",
    "经三路", "纬五路", "东风路", "黄河路", "金水路", "农业路", "丰产路", "工人路",
    "桐柏路", "嵩山路", "长江路", "淮河路", "伏牛路", "光明",   "朝阳",   "希望",
    "向阳",   "新华",   "民主路", "和平",   "东关",   "西关",   "南关",   "北关",
    "城关",   "前进",   "胜利",   "红星",   "团结",   "振兴",   "书院",   "青年路",
};

static const char *const numerals[] = {"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Options ---- */

struct gen_options {
    const char *school;
    const char *county;
    const char *prefix;
    unsigned long count;
    uint64_t seed;
    bool have_count;
};

static void usage(FILE *out)
{
    fputs("usage: rollcall-gen students --school ID --county CODE --count N [--seed S]\n"
          "       rollcall-gen schools  --county CODE --count N [--seed S] [--prefix NAME]\n"
          "\n"
          "Writes deterministic synthetic data to stdout: the same arguments always give\n"
          "the same bytes.\n"
          "  students  a students CSV (the rollcall-school import format) with N students of\n"
          "            school ID (10 digits) in county CODE (6 digits)\n"
          "  schools   N school codes of county CODE, one per line: CODE<TAB>NAME\n"
          "            (NAME starts with --prefix, e.g. the county's name, when given)\n",
          out);
}

static int parse_ulong(const char *opt, const char *text, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    unsigned long long v;
    if (text[0] < '0' || text[0] > '9')
        goto bad;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        goto bad;
    *out = (unsigned long)v;
    return 0;
bad:
    fprintf(stderr, "rollcall-gen: %s '%s' is not a number in 0-%lu\n", opt, text, max);
    return -1;
}

/* Returns 0, or an exit code (usage) after printing why. */
static int parse_options(int argc, char **argv, struct gen_options *o)
{
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    for (int i = 2; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
            usage(stdout);
            exit(GEN_EXIT_OK);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "rollcall-gen: %s needs a value (or is unknown)\n", opt);
            return GEN_EXIT_USAGE;
        }
        const char *val = argv[++i];
        if (strcmp(opt, "--school") == 0) {
            o->school = val;
        } else if (strcmp(opt, "--county") == 0) {
            o->county = val;
        } else if (strcmp(opt, "--prefix") == 0) {
            o->prefix = val;
        } else if (strcmp(opt, "--count") == 0) {
            if (parse_ulong(opt, val, GEN_MAX_STUDENTS, &o->count) != 0)
                return GEN_EXIT_USAGE;
            o->have_count = true;
        } else if (strcmp(opt, "--seed") == 0) {
            unsigned long s;
            if (parse_ulong(opt, val, ULONG_MAX, &s) != 0)
                return GEN_EXIT_USAGE;
            o->seed = s;
        } else {
            fprintf(stderr, "rollcall-gen: unknown option '%s'\n", opt);
            return GEN_EXIT_USAGE;
        }
    }
    if (o->county == NULL || !rcl_digits_only(o->county, 6)) {
        fprintf(stderr, "rollcall-gen: --county must be a 6-digit county code%s%s%s\n",
                o->county ? " (got '" : "", o->county ? o->county : "", o->county ? "')" : "");
        return GEN_EXIT_USAGE;
    }
    if (!o->have_count) {
        fputs("rollcall-gen: --count is required\n", stderr);
        return GEN_EXIT_USAGE;
    }
    return 0;
}

static int cmd_students(const struct gen_options *o)
{
    struct rcl_gen_school g;
    int rc = GEN_EXIT_FAIL;

    if (o->school == NULL || !rcl_digits_only(o->school, 10)) {
        fprintf(stderr, "rollcall-gen: --school must be a 10-digit school code%s%s%s\n",
                o->school ? " (got '" : "", o->school ? o->school : "", o->school ? "')" : "");
        return GEN_EXIT_USAGE;
    }
    if (rcl_gen_school_begin(&g, o->seed, o->school, o->county, o->count) != 0) {
        fputs("rollcall-gen: out of memory\n", stderr);
        return GEN_EXIT_FAIL;
    }
    /* An opted_out student comes with the approved application that allows it (import files a
     * pending one for opted_out without). */
    fputs("student_id,name,grade,class,network,devices,groups,assistance,participation,"
          "optout_status,optout_decided\n",
          stdout);
    for (unsigned long i = 0; i < o->count; i++) {
        struct rcl_gen_student s;

        if (rcl_gen_student_next(&g, &s) != 0) {
            fprintf(stderr,
                    "rollcall-gen: cannot make %lu distinct student ids for school %s "
                    "(too many for its grades)\n",
                    o->count, o->school);
            goto out;
        }
        bool opted_out = strcmp(s.participation, "opted_out") == 0;

        printf("%s,%s,%u,%lu班,%s,%s,%s,%s,%s,%s,%s\n", s.id, s.name, s.grade, s.klass, s.network,
               s.devices, s.groups, s.assistance, s.participation, opted_out ? "approved" : "",
               opted_out ? "2020-02-17" : "");
    }
    rc = GEN_EXIT_OK;
out:
    rcl_gen_school_end(&g);
    return rc;
}

/* ---- Schools ---- */

struct gen_category {
    const char *code;
    const char *suffix;
    unsigned next;
};

static int cmd_schools(const struct gen_options *o)
{
    struct gen_category cats[] = {
        {"21", "小学", 0}, {"31", "初级中学", 0}, {"34", "高级中学", 0}, {"51", "特殊教育学校", 0}};
    unsigned order[COUNT_OF(school_words)];
    struct rcl_gen_rng rng;

    if (o->count > COUNT_OF(cats) * GEN_SCHOOLS_PER_CATEGORY) {
        fprintf(stderr, "rollcall-gen: --count %lu is more than the %zu school codes per county\n",
                o->count, COUNT_OF(cats) * GEN_SCHOOLS_PER_CATEGORY);
        return GEN_EXIT_USAGE;
    }
    rcl_gen_rng_seed(&rng, o->seed, "schools", o->county);
    /* A shuffled list of place words, so the names differ from county to county. */
    for (unsigned i = 0; i < COUNT_OF(order); i++)
        order[i] = i;
    for (unsigned i = COUNT_OF(order) - 1; i > 0; i--) {
        unsigned j = (unsigned)rcl_gen_rng_below(&rng, i + 1);
        unsigned t = order[i];
        order[i] = order[j];
        order[j] = t;
    }

    unsigned word = 0;
    for (unsigned long i = 0; i < o->count; i++) {
        /* About 75% primary, 20% junior secondary, 4% senior high, 1% special education. */
        double u = rcl_gen_rng_unit(&rng);
        size_t c = u < 0.75 ? 0 : u < 0.95 ? 1 : u < 0.99 ? 2 : 3;
        while (cats[c].next >= GEN_SCHOOLS_PER_CATEGORY)
            c = (c + 1) % COUNT_OF(cats);
        struct gen_category *cat = &cats[c];
        unsigned n = cat->next++;
        char name[160];
        const char *prefix = o->prefix ? o->prefix : "";
        /* The county's last four digits keep codes unique across Henan; two digits count. */
        if (c == 3 && n == 0) {
            snprintf(name, sizeof(name), "%s%s", prefix, cat->suffix);
        } else if (word < COUNT_OF(order)) {
            snprintf(name, sizeof(name), "%s%s%s", prefix, school_words[order[word++]],
                     cat->suffix);
        } else if (n < COUNT_OF(numerals)) {
            snprintf(name, sizeof(name), "%s第%s%s", prefix, numerals[n], cat->suffix);
        } else {
            snprintf(name, sizeof(name), "%s第%u%s", prefix, n + 1, cat->suffix);
        }
        printf("%s41%s%02u\t%s\n", cat->code, o->county + 2, n, name);
    }
    return GEN_EXIT_OK;
}

int main(int argc, char **argv)
{
    struct gen_options o;
    int rc;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? GEN_EXIT_USAGE : GEN_EXIT_OK;
    }
    if (strcmp(argv[1], "students") != 0 && strcmp(argv[1], "schools") != 0) {
        fprintf(stderr, "rollcall-gen: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return GEN_EXIT_USAGE;
    }
    rc = parse_options(argc, argv, &o);
    if (rc != 0)
        return rc;
    rc = strcmp(argv[1], "students") == 0 ? cmd_students(&o) : cmd_schools(&o);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "rollcall-gen: writing the output failed: %s\n", strerror(errno));
        return GEN_EXIT_FAIL;
    }
    return rc;
}

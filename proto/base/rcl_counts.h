/*
 * rcl_counts.h - the 22 counts of a summary, defined once.
 *
 * struct rcl_totals (rcl_model.h) holds these counts and nothing else. Every
 * place that spells them out is made from RCL_SUMMARY_COUNTS: the aggregator
 * store's columns (summaries, summaries_staging, rollup: agg_sql.h), binding
 * and reading them (agg_summary.c), the copies to and from message Counts
 * (rcl_codec.c), the report's JSON keys, CSV columns and page labels
 * (rcl_json.c, agg_report*.c). rollcall.proto cannot be made from it:
 * tests/unit/test_counts.c checks message Counts against this list, field by
 * field and in order.
 *
 * The order is the store's column order and the order of Counts' fields:
 * never reorder. A new count changes the wire format and the store's schema
 * (agg_sql.h says what it then needs).
 *
 *   ONE(A, name, member, zh, en)
 *       a count of its own: store column, JSON key, CSV column and field of
 *       Counts `name`; `member` of struct rcl_totals.
 *   SET(A, set, key, index, zh, en)
 *       the count `index` of a set: store column `set_key`, JSON
 *       "set": {"key": n}, CSV column `set.key`, entry `index` of Counts'
 *       repeated field `set`, `set[index]` of struct rcl_totals. `key` is the
 *       model's name of `index` (rcl_group_names and the like) and a set's
 *       counts come in the order of its indexes.
 *   zh, en: the report page's labels.
 * A is handed to ONE and SET untouched, for uses that need an argument.
 */
#ifndef RCL_COUNTS_H
#define RCL_COUNTS_H

#include <stdint.h>

#include "rcl_model.h"

/* clang-format off */
#define RCL_SUMMARY_COUNTS(ONE, SET, A)                                                            \
    ONE(A, students,          students,                    "学生数",       "students")             \
    ONE(A, condition_online,  condition[RCL_COND_ONLINE],  "具备在线条件", "online")               \
    ONE(A, condition_tv_only, condition[RCL_COND_TV_ONLY], "仅能收看电视", "TV only")              \
    ONE(A, condition_none,    condition[RCL_COND_NONE],    "不具备条件",   "lacking conditions")   \
    ONE(A, blind_spots,       blind_spots,                 "未获帮扶盲点", "blind spots")          \
    SET(A, groups, poverty_card,     RCL_GROUP_POVERTY_CARD,      "建档立卡",     "poverty card")     \
    SET(A, groups, hardship,         RCL_GROUP_HARDSHIP,          "家庭困难",     "hardship")         \
    SET(A, groups, frontline_family, RCL_GROUP_FRONTLINE_FAMILY,  "一线人员子女", "frontline family") \
    SET(A, groups, left_behind,      RCL_GROUP_LEFT_BEHIND,       "留守儿童",     "left-behind")      \
    SET(A, groups, migrant,          RCL_GROUP_MIGRANT,           "随迁子女",     "migrant")          \
    SET(A, groups, disabled,         RCL_GROUP_DISABLED,          "残疾",         "disabled")         \
    SET(A, groups, other,            RCL_GROUP_OTHER,             "其他",         "other")            \
    SET(A, measures, tv_at_village,   RCL_MEASURE_TV_AT_VILLAGE,   "村内电视收看", "TV at village")   \
    SET(A, measures, loaned_device,   RCL_MEASURE_LOANED_DEVICE,   "借用设备",     "loaned device")   \
    SET(A, measures, data_subsidy,    RCL_MEASURE_DATA_SUBSIDY,    "流量补贴",     "data subsidy")    \
    SET(A, measures, one_to_one,      RCL_MEASURE_ONE_TO_ONE,      "一对一帮扶",   "one-to-one")      \
    SET(A, measures, paper_materials, RCL_MEASURE_PAPER_MATERIALS, "纸质材料",     "paper materials") \
    SET(A, measures, funding,         RCL_MEASURE_FUNDING,         "资助",         "funding")         \
    SET(A, participation, active,    RCL_PART_ACTIVE,    "正常参与",   "active")                      \
    SET(A, participation, irregular, RCL_PART_IRREGULAR, "参与不规律", "irregular")                   \
    SET(A, participation, absent,    RCL_PART_ABSENT,    "缺席",       "absent")                      \
    SET(A, participation, opted_out, RCL_PART_OPTED_OUT, "申请不参加", "opted out")

/*
 * The same list for uses that treat every count alike: X(column, member),
 * column the store's column as an identifier (#column for its name), member
 * the count's place in struct rcl_totals.
 */
#define RCL_COUNT_ONE_AS_COLUMN_(X, name, member, zh, en) X(name, member)
#define RCL_COUNT_SET_AS_COLUMN_(X, set, key, index, zh, en) X(set##_##key, set[index])
#define RCL_SUMMARY_COLUMNS(X)                                                                     \
    RCL_SUMMARY_COUNTS(RCL_COUNT_ONE_AS_COLUMN_, RCL_COUNT_SET_AS_COLUMN_, X)

/* Each count's index in the list: RCL_COUNT_students, ..., RCL_COUNT_participation_opted_out. */
#define RCL_COUNT_ENUM_(column, member) RCL_COUNT_##column,
enum rcl_count { RCL_SUMMARY_COLUMNS(RCL_COUNT_ENUM_) RCL_COUNTS_N };
/* clang-format on */

/* What the list says of one count, as strings, for the writers that loop over them. */
struct rcl_count_info {
    const char *column;  /* "groups_poverty_card": the store's column */
    const char *set;     /* "groups", or NULL for a count of its own */
    const char *key;     /* "poverty_card": the JSON key (inside set's object when in a set) */
    const char *name;    /* "groups.poverty_card": the CSV column and the page's data-k */
    const char *zh, *en; /* the page's labels */
};
extern const struct rcl_count_info rcl_counts[RCL_COUNTS_N];

/* Count k (< RCL_COUNTS_N) of t. */
uint64_t rcl_count_get(const struct rcl_totals *t, enum rcl_count k);
/* Where count k (< RCL_COUNTS_N) of t is. */
uint64_t *rcl_count_at(struct rcl_totals *t, enum rcl_count k);

#endif

/*
 * rcl_model.h - the records every tier shares, and the rules derived from them.
 *
 * Sets (network, devices, groups) are bit sets whose bit numbers are the
 * indexes into the name tables below; the same numbers travel on the wire,
 * so never reorder a table, only append.
 */
#ifndef RCL_MODEL_H
#define RCL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Limits (bytes, without the terminating NUL) ---- */
#define RCL_STUDENT_ID_LEN 19
#define RCL_SCHOOL_ID_LEN 10
#define RCL_COUNTY_LEN 6
#define RCL_ID_MAX 32 /* any source id: a school code or an aggregator id */
#define RCL_NAME_MAX 96
#define RCL_CLASS_MAX 48
#define RCL_PLATFORM_MAX 96
#define RCL_FEEDBACK_MAX 600
#define RCL_MEASURES_MAX 12
#define RCL_PSEUDONYM_BYTES 32
#define RCL_ROLE_MAX 48 /* a helper's or contact's role, e.g. 班主任 */
#define RCL_DATE_LEN 10 /* YYYY-MM-DD */
#define RCL_OPTOUT_REASON_MAX 300
#define RCL_PLACE_MAX 96   /* a village or community, e.g. 某某镇某某村 */
#define RCL_CONTACT_MAX 32 /* a phone number as written, e.g. +86 138-0000-0000 */
#define RCL_PLATFORMS_MAX 16
#define RCL_CLASSES_MAX 120 /* the classes a platform serves, free text */

/* ---- Enumerations and sets ---- */
enum rcl_network { RCL_NET_BROADBAND, RCL_NET_MOBILE, RCL_NET_CABLE_TV, RCL_NETWORK_COUNT };
enum rcl_device {
    RCL_DEV_COMPUTER,
    RCL_DEV_TABLET,
    RCL_DEV_SMARTPHONE,
    RCL_DEV_TV,
    RCL_DEVICE_COUNT
};
enum rcl_group {
    RCL_GROUP_POVERTY_CARD,
    RCL_GROUP_HARDSHIP,
    RCL_GROUP_FRONTLINE_FAMILY,
    RCL_GROUP_LEFT_BEHIND,
    RCL_GROUP_MIGRANT,
    RCL_GROUP_DISABLED,
    RCL_GROUP_OTHER,
    RCL_GROUP_COUNT
};
enum rcl_measure_kind {
    RCL_MEASURE_TV_AT_VILLAGE,
    RCL_MEASURE_LOANED_DEVICE,
    RCL_MEASURE_DATA_SUBSIDY,
    RCL_MEASURE_ONE_TO_ONE,
    RCL_MEASURE_PAPER_MATERIALS,
    RCL_MEASURE_FUNDING,
    RCL_MEASURE_KIND_COUNT
};
enum rcl_measure_status {
    RCL_STATUS_PLANNED,
    RCL_STATUS_IN_PLACE,
    RCL_STATUS_ENDED,
    RCL_STATUS_COUNT
};
enum rcl_participation {
    RCL_PART_ACTIVE,
    RCL_PART_IRREGULAR,
    RCL_PART_ABSENT,
    RCL_PART_OPTED_OUT,
    RCL_PARTICIPATION_COUNT
};
enum rcl_condition { RCL_COND_ONLINE, RCL_COND_TV_ONLY, RCL_COND_NONE, RCL_CONDITION_COUNT };
enum rcl_optout_status {
    RCL_OPTOUT_NONE, /* no application */
    RCL_OPTOUT_PENDING,
    RCL_OPTOUT_APPROVED,
    RCL_OPTOUT_REJECTED,
    RCL_OPTOUT_STATUS_COUNT
};
/* Why a student left the school. 0 is "other", which a tombstone without a reason reads as. */
enum rcl_departure_reason {
    RCL_DEPART_OTHER,
    RCL_DEPART_LEFT,
    RCL_DEPART_GRADUATED,
    RCL_DEPART_TRANSFERRED_OUT,
    RCL_DEPART_REASON_COUNT
};
enum rcl_platform_kind {
    RCL_PLATFORM_LIVE,
    RCL_PLATFORM_RECORDED,
    RCL_PLATFORM_TV,
    RCL_PLATFORM_OTHER,
    RCL_PLATFORM_KIND_COUNT
};

/* Name tables, indexed by the enums above: the words of the CSV and reports. */
extern const char *const rcl_network_names[RCL_NETWORK_COUNT];
extern const char *const rcl_device_names[RCL_DEVICE_COUNT];
extern const char *const rcl_group_names[RCL_GROUP_COUNT];
extern const char *const rcl_measure_kind_names[RCL_MEASURE_KIND_COUNT];
extern const char *const rcl_measure_status_names[RCL_STATUS_COUNT];
extern const char *const rcl_participation_names[RCL_PARTICIPATION_COUNT];
extern const char *const rcl_condition_names[RCL_CONDITION_COUNT];
extern const char *const rcl_optout_status_names[RCL_OPTOUT_STATUS_COUNT];
extern const char *const rcl_departure_reason_names[RCL_DEPART_REASON_COUNT];
extern const char *const rcl_platform_kind_names[RCL_PLATFORM_KIND_COUNT];

/*
 * The same codes in Chinese, indexed the same way: the first word is the one
 * written (the school's export, the county's lists), the others are accepted
 * too where a sheet is read. One copy for both programs.
 */
#define RCL_ZH_WORDS 8
extern const char *const rcl_network_zh[RCL_NETWORK_COUNT][RCL_ZH_WORDS];
extern const char *const rcl_device_zh[RCL_DEVICE_COUNT][RCL_ZH_WORDS];
extern const char *const rcl_group_zh[RCL_GROUP_COUNT][RCL_ZH_WORDS];
extern const char *const rcl_measure_kind_zh[RCL_MEASURE_KIND_COUNT][RCL_ZH_WORDS];
extern const char *const rcl_measure_status_zh[RCL_STATUS_COUNT][RCL_ZH_WORDS];
extern const char *const rcl_participation_zh[RCL_PARTICIPATION_COUNT][RCL_ZH_WORDS];
extern const char *const rcl_optout_status_zh[RCL_OPTOUT_STATUS_COUNT][RCL_ZH_WORDS];
extern const char *const rcl_platform_kind_zh[RCL_PLATFORM_KIND_COUNT][RCL_ZH_WORDS];
extern const char *const rcl_condition_zh[RCL_CONDITION_COUNT][RCL_ZH_WORDS];

/* Index of 'word' (length len) in names[0..count), or -1. Exact, case-sensitive. */
int rcl_name_find(const char *const *names, int count, const char *word, size_t len);

/*
 * Parses a ';'-separated set cell ("broadband;mobile", "" = empty set,
 * blanks around items ignored) into a bit set. Returns 0, or -1 with the
 * first unknown word copied into bad (NUL-terminated, truncated to badlen).
 * A word given twice is accepted.
 */
int rcl_set_parse(const char *const *names, int count, const char *cell, uint32_t *out, char *bad,
                  size_t badlen);

/* Writes the set as "a;b" into out (always NUL-terminated). Returns the length. */
size_t rcl_set_format(const char *const *names, int count, uint32_t set, char *out, size_t outlen);

/* ---- Records ---- */
struct rcl_measure {
    uint8_t kind;   /* enum rcl_measure_kind */
    uint8_t status; /* enum rcl_measure_status */
    char helper_role[RCL_ROLE_MAX + 1];
    char start_date[RCL_DATE_LEN + 1];        /* YYYY-MM-DD or empty */
    char end_date[RCL_DATE_LEN + 1];          /* YYYY-MM-DD or empty */
    char helper_contact[RCL_CONTACT_MAX + 1]; /* a phone number (rcl_contact_valid) or empty */
};

/*
 * One student. id is known only at the school; pseudonym is what leaves it.
 * All strings are NUL-terminated UTF-8 within their buffers.
 */
struct rcl_student {
    char id[RCL_STUDENT_ID_LEN + 1];
    uint8_t pseudonym[RCL_PSEUDONYM_BYTES];
    char name[RCL_NAME_MAX + 1];
    unsigned grade; /* 1-12 */
    char class_name[RCL_CLASS_MAX + 1];
    uint32_t network; /* bit set of enum rcl_network */
    uint32_t devices; /* bit set of enum rcl_device */
    char platform[RCL_PLATFORM_MAX + 1];
    uint32_t groups;        /* bit set of enum rcl_group */
    unsigned participation; /* enum rcl_participation */
    size_t n_measures;
    struct rcl_measure measures[RCL_MEASURES_MAX];
    char feedback[RCL_FEEDBACK_MAX + 1];
    /* The family's opt-out application (status none: the rest is empty). */
    unsigned optout_status; /* enum rcl_optout_status */
    char optout_reason[RCL_OPTOUT_REASON_MAX + 1];
    char optout_filed[RCL_DATE_LEN + 1];
    char optout_decided[RCL_DATE_LEN + 1];
    /* Where the student is now, when away (a county code and a village), and who to call. */
    char place_county[RCL_COUNTY_LEN + 1];
    char place[RCL_PLACE_MAX + 1];
    char guardian_contact[RCL_CONTACT_MAX + 1]; /* rcl_contact_valid, or empty */
};

/* A student who left a school: what the tombstone carries to the county. */
struct rcl_departure {
    uint8_t pseudonym[RCL_PSEUDONYM_BYTES];
    unsigned reason;                  /* enum rcl_departure_reason */
    char destination[RCL_ID_MAX + 1]; /* school code (transferred_out), or empty */
    char left_on[RCL_DATE_LEN + 1];   /* YYYY-MM-DD or empty */
    char name[RCL_NAME_MAX + 1];
    unsigned grade; /* 1-12, 0 when not known */
    char class_name[RCL_CLASS_MAX + 1];
};

/* One teaching platform a school uses. */
struct rcl_platform {
    char name[RCL_PLATFORM_MAX + 1];
    unsigned kind; /* enum rcl_platform_kind */
    char classes[RCL_CLASSES_MAX + 1];
};

#define RCL_BIT(i) (UINT32_C(1) << (i))

/* condition: online / tv_only / none, as DESIGN.md defines it. */
enum rcl_condition rcl_student_condition(const struct rcl_student *s);

/* A blind spot: (condition none or participation absent) and no measure in place. */
bool rcl_student_is_blind_spot(const struct rcl_student *s);

/*
 * How urgent a blind spot is, the order both programs list them in (most
 * urgent first):
 *   level 1  lacking the conditions to learn at home, in a special group
 *         2  lacking the conditions, in no special group
 *         3  has the conditions but absent, in a special group
 *         4  has the conditions but absent, in no special group
 * Within a level: more special groups first, then absent before present.
 */
struct rcl_urgency {
    int level;  /* 1-4 */
    int groups; /* how many special groups */
    bool lacking, absent;
};

void rcl_student_urgency(const struct rcl_student *s, struct rcl_urgency *u);

/* <0 when a is more urgent than b, >0 when less, 0 when the rule ties them (the caller then
 * orders by where the student is and who). */
int rcl_urgency_cmp(const struct rcl_urgency *a, const struct rcl_urgency *b);

/*
 * Measures as text, "kind;kind:planned;kind:ended" (in place is the default),
 * the CSV's assistance cell and the stores' column. Parse returns 0, or -1
 * with the offending item in bad.
 */
int rcl_measures_parse(const char *cell, struct rcl_measure *out, size_t *n_out, char *bad,
                       size_t badlen);
size_t rcl_measures_format(const struct rcl_measure *m, size_t n, char *out, size_t outlen);

/*
 * For each measure of m (n) without a helper role and dates, takes those of
 * the first measure of the same kind in old (n_old) that has them: the
 * measures text carries kind and status only, so an import of it must not
 * erase what was entered by hand.
 */
void rcl_measures_keep_details(struct rcl_measure *m, size_t n, const struct rcl_measure *old,
                               size_t n_old);

/* True when m has a helper role, a date or a helper contact beyond its kind and status. */
bool rcl_measure_has_details(const struct rcl_measure *m);

/* True when a and b hold the same kind, status, role, dates and contact. */
bool rcl_measure_equal(const struct rcl_measure *a, const struct rcl_measure *b);

/*
 * True for a real calendar date written YYYY-MM-DD (years 1900-2999). The
 * empty string is not a date: callers allow it where a date is optional.
 */
bool rcl_date_valid(const char *s);

/*
 * True for a phone number as people write it: 5 to 20 digits, with blanks,
 * '-', '(', ')' between them and an optional leading '+', at most
 * RCL_CONTACT_MAX bytes. The empty string is not one: callers allow it
 * where a contact is optional.
 */
bool rcl_contact_valid(const char *s);

/* True when s is exactly len ASCII digits (a school code, a county code). */
bool rcl_digits_only(const char *s, size_t len);

/* ---- Totals: the counts every report is made of ---- */
struct rcl_totals {
    uint64_t students;
    uint64_t condition[RCL_CONDITION_COUNT];
    uint64_t blind_spots;
    uint64_t groups[RCL_GROUP_COUNT];
    uint64_t measures[RCL_MEASURE_KIND_COUNT]; /* students with a measure of the kind in place */
    uint64_t participation[RCL_PARTICIPATION_COUNT];
};

void rcl_totals_add_student(struct rcl_totals *t, const struct rcl_student *s);
void rcl_totals_add(struct rcl_totals *dst, const struct rcl_totals *src);

/* True when s is valid UTF-8 (no overlongs, no surrogates) without control characters other than
 * tab. */
bool rcl_utf8_valid(const char *s, size_t len);

#endif

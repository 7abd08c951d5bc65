/*
 * codec_fixture.h - what the codec tests share: a tiny protobuf writer,
 * independent of protoc-c, so the decoder is tested against bytes an
 * attacker could send; sample records; and equality of decoded messages.
 * Functions are static inline so each test uses what it needs.
 */
#ifndef RCL_CODEC_FIXTURE_H
#define RCL_CODEC_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_codec.h"
#include "rcl_test.h"

/* ---- A minimal protobuf writer ---- */

struct pb {
    size_t n;
    uint8_t b[32768];
};

static inline void pb_raw(struct pb *p, const void *data, size_t len)
{
    if (p->n + len > sizeof(p->b)) {
        fprintf(stderr, "test pb buffer overflow\n");
        exit(2);
    }
    memcpy(p->b + p->n, data, len);
    p->n += len;
}

static inline void pb_varint(struct pb *p, uint64_t v)
{
    uint8_t byte;
    do {
        byte = (uint8_t)(v & 0x7F);
        v >>= 7;
        if (v)
            byte |= 0x80;
        pb_raw(p, &byte, 1);
    } while (v);
}

static inline void pb_uint(struct pb *p, int field, uint64_t v)
{
    pb_varint(p, (uint64_t)field << 3);
    pb_varint(p, v);
}

static inline void pb_bytes(struct pb *p, int field, const void *data, size_t len)
{
    pb_varint(p, ((uint64_t)field << 3) | 2);
    pb_varint(p, len);
    pb_raw(p, data, len);
}

static inline void pb_str(struct pb *p, int field, const char *s)
{
    pb_bytes(p, field, s, strlen(s));
}

static inline void pb_msg(struct pb *p, int field, const struct pb *sub)
{
    pb_bytes(p, field, sub->b, sub->n);
}

static inline struct pb *pb_new(void)
{
    struct pb *p = calloc(1, sizeof(*p));
    if (p == NULL)
        exit(2);
    return p;
}

/* ---- Wire students with one field to spoil ---- */

struct wstudent {
    size_t pseudo_len;
    const char *name;
    uint64_t grade;
    const char *class_name;
    uint64_t network, devices;
    const char *platform;
    uint64_t groups, participation;
    size_t n_measures;
    uint64_t mkind, mstatus;
    const char *feedback;
    const char *place_county, *place, *guardian_contact, *helper_contact; /* NULL: absent */
};

static inline struct wstudent good_wstudent(void)
{
    struct wstudent w = {RCL_PSEUDONYM_BYTES,
                         "\xE6\x9D\x8E\xE5\x9B\x9B",
                         3,
                         "3-1",
                         1,
                         4,
                         "CCTV",
                         1,
                         0,
                         1,
                         1,
                         1,
                         "needs a loaned tablet",
                         NULL,
                         NULL,
                         NULL,
                         NULL};
    return w;
}

static inline struct pb *wire_student_change(uint64_t seq, const struct wstudent *w)
{
    struct pb *st = pb_new(), *ch = pb_new();
    uint8_t pseudo[64];

    memset(pseudo, 0xAB, sizeof(pseudo));
    pb_bytes(st, 1, pseudo, w->pseudo_len);
    pb_str(st, 2, w->name);
    pb_uint(st, 3, w->grade);
    pb_str(st, 4, w->class_name);
    pb_uint(st, 5, w->network);
    pb_uint(st, 6, w->devices);
    pb_str(st, 7, w->platform);
    pb_uint(st, 8, w->groups);
    pb_uint(st, 9, w->participation);
    for (size_t i = 0; i < w->n_measures; i++) {
        struct pb m = {0};
        pb_uint(&m, 1, w->mkind);
        pb_uint(&m, 2, w->mstatus);
        if (w->helper_contact)
            pb_str(&m, 6, w->helper_contact);
        pb_msg(st, 10, &m);
    }
    pb_str(st, 11, w->feedback);
    if (w->place_county)
        pb_str(st, 16, w->place_county);
    if (w->place)
        pb_str(st, 17, w->place);
    if (w->guardian_contact)
        pb_str(st, 18, w->guardian_contact);
    pb_uint(ch, 1, seq);
    pb_msg(ch, 2, st);
    free(st);
    return ch;
}

/* Decodes p as a change; returns the decoder's result and keeps its error. */
static inline int decode_pb(const struct pb *p, struct rcl_change *c, char *err, size_t errlen)
{
    err[0] = '\0';
    return rcl_change_decode(p->b, p->n, c, err, errlen);
}

/* Expects the wire student w to be refused with an error mentioning 'field'. */
#define EXPECT_STUDENT_REFUSED(w, field)                                                           \
    do {                                                                                           \
        struct pb *p_ = wire_student_change(1, &(w));                                              \
        struct rcl_change c_;                                                                      \
        char e_[256];                                                                              \
        CHECK(decode_pb(p_, &c_, e_, sizeof(e_)) == -1);                                           \
        CHECK(strstr(e_, field) != NULL);                                                          \
        free(p_);                                                                                  \
    } while (0)

#define EXPECT_STUDENT_OK(w)                                                                       \
    do {                                                                                           \
        struct pb *p_ = wire_student_change(1, &(w));                                              \
        struct rcl_change c_;                                                                      \
        char e_[256];                                                                              \
        int rc_ = decode_pb(p_, &c_, e_, sizeof(e_));                                              \
        CHECK(rc_ == 0);                                                                           \
        if (rc_ != 0)                                                                              \
            fprintf(stderr, "  decode error: %s\n", e_);                                           \
        free(p_);                                                                                  \
    } while (0)

static inline char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        exit(2);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ---- Sample records ---- */

static inline struct rcl_change sample_student(uint64_t seq)
{
    struct rcl_change c;
    struct rcl_student *s = &c.u.student;

    memset(&c, 0, sizeof(c));
    c.seq = seq;
    c.kind = RCL_CHANGE_STUDENT;
    for (int i = 0; i < RCL_PSEUDONYM_BYTES; i++)
        s->pseudonym[i] = (uint8_t)(i * 3 + 1);
    strcpy(s->name, "\xE5\xBC\xA0\xE4\xB8\x89"); /* 张三 */
    s->grade = 12;
    strcpy(s->class_name, "12-3");
    s->network = RCL_BIT(RCL_NET_MOBILE) | RCL_BIT(RCL_NET_CABLE_TV);
    s->devices = RCL_BIT(RCL_DEV_SMARTPHONE) | RCL_BIT(RCL_DEV_TV);
    strcpy(s->platform, "Henan education TV");
    s->groups = RCL_BIT(RCL_GROUP_POVERTY_CARD) | RCL_BIT(RCL_GROUP_OTHER);
    s->participation = RCL_PART_OPTED_OUT;
    s->n_measures = RCL_MEASURES_MAX;
    for (size_t i = 0; i < RCL_MEASURES_MAX; i++) {
        s->measures[i].kind = (uint8_t)(i % RCL_MEASURE_KIND_COUNT);
        s->measures[i].status = (uint8_t)(i % RCL_STATUS_COUNT);
    }
    memset(s->feedback, 'f', RCL_FEEDBACK_MAX); /* at the limit */
    return c;
}

static inline struct rcl_change sample_summary(uint64_t seq)
{
    struct rcl_change c;
    struct rcl_summary *s = &c.u.summary;

    memset(&c, 0, sizeof(c));
    c.seq = seq;
    c.kind = RCL_CHANGE_SUMMARY;
    strcpy(s->school_id, "4101020001");
    strcpy(s->name, "Zhengzhou No. 1 Primary");
    strcpy(s->county, "410102");
    s->reported = true;
    s->last_sync = 1700000000;
    s->totals.students = 10;
    s->totals.condition[RCL_COND_ONLINE] = 6;
    s->totals.condition[RCL_COND_TV_ONLY] = 3;
    s->totals.condition[RCL_COND_NONE] = 1;
    s->totals.blind_spots = 1;
    for (int i = 0; i < RCL_GROUP_COUNT; i++)
        s->totals.groups[i] = (uint64_t)i;
    for (int i = 0; i < RCL_MEASURE_KIND_COUNT; i++)
        s->totals.measures[i] = (uint64_t)(10 - i);
    s->totals.participation[RCL_PART_ACTIVE] = 7;
    s->totals.participation[RCL_PART_ABSENT] = 3;
    return c;
}

/* Field by field: struct copies need not keep padding bytes, so no memcmp. */
static inline bool totals_equal(const struct rcl_totals *a, const struct rcl_totals *b)
{
    return a->students == b->students &&
           memcmp(a->condition, b->condition, sizeof(a->condition)) == 0 &&
           a->blind_spots == b->blind_spots &&
           memcmp(a->groups, b->groups, sizeof(a->groups)) == 0 &&
           memcmp(a->measures, b->measures, sizeof(a->measures)) == 0 &&
           memcmp(a->participation, b->participation, sizeof(a->participation)) == 0;
}

static inline bool change_equal(const struct rcl_change *a, const struct rcl_change *b)
{
    if (a->seq != b->seq || a->kind != b->kind)
        return false;
    switch (a->kind) {
    case RCL_CHANGE_STUDENT: {
        const struct rcl_student *x = &a->u.student, *y = &b->u.student;
        if (x->n_measures != y->n_measures)
            return false;
        for (size_t i = 0; i < x->n_measures; i++) {
            if (!rcl_measure_equal(&x->measures[i], &y->measures[i]))
                return false;
        }
        if (x->optout_status != y->optout_status ||
            strcmp(x->optout_reason, y->optout_reason) != 0 ||
            strcmp(x->optout_filed, y->optout_filed) != 0 ||
            strcmp(x->optout_decided, y->optout_decided) != 0)
            return false;
        return strcmp(x->id, y->id) == 0 &&
               memcmp(x->pseudonym, y->pseudonym, sizeof(x->pseudonym)) == 0 &&
               strcmp(x->name, y->name) == 0 && x->grade == y->grade &&
               strcmp(x->class_name, y->class_name) == 0 && x->network == y->network &&
               x->devices == y->devices && strcmp(x->platform, y->platform) == 0 &&
               x->groups == y->groups && x->participation == y->participation &&
               strcmp(x->feedback, y->feedback) == 0;
    }
    case RCL_CHANGE_REMOVED:
        return memcmp(a->u.removed.pseudonym, b->u.removed.pseudonym, RCL_PSEUDONYM_BYTES) == 0 &&
               a->u.removed.reason == b->u.removed.reason &&
               strcmp(a->u.removed.destination, b->u.removed.destination) == 0 &&
               strcmp(a->u.removed.left_on, b->u.removed.left_on) == 0 &&
               strcmp(a->u.removed.name, b->u.removed.name) == 0 &&
               a->u.removed.grade == b->u.removed.grade &&
               strcmp(a->u.removed.class_name, b->u.removed.class_name) == 0;
    case RCL_CHANGE_SCHOOL:
        if (a->u.school.n_platforms != b->u.school.n_platforms ||
            a->u.school.materials_delivered != b->u.school.materials_delivered ||
            a->u.school.materials_total != b->u.school.materials_total ||
            a->u.school.materials_percent != b->u.school.materials_percent ||
            strcmp(a->u.school.contact_role, b->u.school.contact_role) != 0 ||
            strcmp(a->u.school.parent_school, b->u.school.parent_school) != 0)
            return false;
        for (size_t i = 0; i < a->u.school.n_platforms; i++) {
            const struct rcl_platform *x = &a->u.school.platforms[i],
                                      *y = &b->u.school.platforms[i];
            if (strcmp(x->name, y->name) != 0 || x->kind != y->kind ||
                strcmp(x->classes, y->classes) != 0)
                return false;
        }
        return strcmp(a->u.school.school_id, b->u.school.school_id) == 0 &&
               strcmp(a->u.school.name, b->u.school.name) == 0 &&
               strcmp(a->u.school.county, b->u.school.county) == 0;
    case RCL_CHANGE_SUMMARY:
        return strcmp(a->u.summary.school_id, b->u.summary.school_id) == 0 &&
               strcmp(a->u.summary.name, b->u.summary.name) == 0 &&
               strcmp(a->u.summary.county, b->u.summary.county) == 0 &&
               a->u.summary.reported == b->u.summary.reported &&
               a->u.summary.last_sync == b->u.summary.last_sync &&
               a->u.summary.epoch == b->u.summary.epoch &&
               a->u.summary.through_seq == b->u.summary.through_seq &&
               a->u.summary.has_through_digest == b->u.summary.has_through_digest &&
               memcmp(a->u.summary.through_digest, b->u.summary.through_digest,
                      sizeof(a->u.summary.through_digest)) == 0 &&
               totals_equal(&a->u.summary.totals, &b->u.summary.totals);
    case RCL_CHANGE_SNAPSHOT_END:
        return a->u.snapshot_records == b->u.snapshot_records;
    case RCL_CHANGE_SCHOOL_REMOVED:
        return strcmp(a->u.school_removed, b->u.school_removed) == 0;
    case RCL_CHANGE_KEY_ROTATION:
        return memcmp(&a->u.key_rotation, &b->u.key_rotation, sizeof(a->u.key_rotation)) == 0;
    }
    return false;
}

static inline bool header_equal(const struct rcl_batch_header *a, const struct rcl_batch_header *b)
{
    return strcmp(a->source, b->source) == 0 && a->epoch == b->epoch &&
           a->first_seq == b->first_seq && a->last_seq == b->last_seq &&
           a->has_prev == b->has_prev &&
           (!a->has_prev || memcmp(a->prev_digest, b->prev_digest, sizeof(a->prev_digest)) == 0) &&
           a->sent_at == b->sent_at && a->probe_id == b->probe_id;
}

static inline bool reply_equal(const struct rcl_reply *a, const struct rcl_reply *b)
{
    return a->status == b->status && strcmp(a->source, b->source) == 0 &&
           a->acked_seq == b->acked_seq && a->has_digest == b->has_digest &&
           (!a->has_digest ||
            memcmp(a->acked_digest, b->acked_digest, sizeof(a->acked_digest)) == 0) &&
           a->resend_from == b->resend_from && strcmp(a->reason, b->reason) == 0 &&
           a->epoch == b->epoch && a->probe == b->probe && a->top_seq == b->top_seq &&
           a->top_at == b->top_at && strcmp(a->top_id, b->top_id) == 0 &&
           a->probe_id == b->probe_id;
}

#endif

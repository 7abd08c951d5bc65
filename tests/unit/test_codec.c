/*
 * test_codec.c - the wire format: round trips of every message, frozen
 * encodings that catch wire drift, and one refusal per invalid field. Invalid
 * messages are written by a tiny protobuf writer here, independent of
 * protoc-c, so the decoder is tested against bytes an attacker could send.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_codec.h"
#include "rcl_test.h"

/* ---- A minimal protobuf writer ---- */

struct pb {
    size_t n;
    uint8_t b[32768];
};

static void pb_raw(struct pb *p, const void *data, size_t len)
{
    if (p->n + len > sizeof(p->b)) {
        fprintf(stderr, "test pb buffer overflow\n");
        exit(2);
    }
    memcpy(p->b + p->n, data, len);
    p->n += len;
}

static void pb_varint(struct pb *p, uint64_t v)
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

static void pb_uint(struct pb *p, int field, uint64_t v)
{
    pb_varint(p, (uint64_t)field << 3);
    pb_varint(p, v);
}

static void pb_bytes(struct pb *p, int field, const void *data, size_t len)
{
    pb_varint(p, ((uint64_t)field << 3) | 2);
    pb_varint(p, len);
    pb_raw(p, data, len);
}

static void pb_str(struct pb *p, int field, const char *s)
{
    pb_bytes(p, field, s, strlen(s));
}

static void pb_msg(struct pb *p, int field, const struct pb *sub)
{
    pb_bytes(p, field, sub->b, sub->n);
}

static struct pb *pb_new(void)
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
};

static struct wstudent good_wstudent(void)
{
    struct wstudent w = {
        RCL_PSEUDONYM_BYTES,    "\xE6\x9D\x8E\xE5\x9B\x9B", 3, "3-1", 1, 4, "CCTV", 1, 0, 1, 1, 1,
        "needs a loaned tablet"};
    return w;
}

static struct pb *wire_student_change(uint64_t seq, const struct wstudent *w)
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
        pb_msg(st, 10, &m);
    }
    pb_str(st, 11, w->feedback);
    pb_uint(ch, 1, seq);
    pb_msg(ch, 2, st);
    free(st);
    return ch;
}

/* Decodes p as a change; returns the decoder's result and keeps its error. */
static int decode_pb(const struct pb *p, struct rcl_change *c, char *err, size_t errlen)
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

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        exit(2);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ---- Sample records ---- */

static struct rcl_change sample_student(uint64_t seq)
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

static struct rcl_change sample_summary(uint64_t seq)
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
static bool totals_equal(const struct rcl_totals *a, const struct rcl_totals *b)
{
    return a->students == b->students &&
           memcmp(a->condition, b->condition, sizeof(a->condition)) == 0 &&
           a->blind_spots == b->blind_spots &&
           memcmp(a->groups, b->groups, sizeof(a->groups)) == 0 &&
           memcmp(a->measures, b->measures, sizeof(a->measures)) == 0 &&
           memcmp(a->participation, b->participation, sizeof(a->participation)) == 0;
}

static bool change_equal(const struct rcl_change *a, const struct rcl_change *b)
{
    if (a->seq != b->seq || a->kind != b->kind)
        return false;
    switch (a->kind) {
    case RCL_CHANGE_STUDENT: {
        const struct rcl_student *x = &a->u.student, *y = &b->u.student;
        if (x->n_measures != y->n_measures)
            return false;
        for (size_t i = 0; i < x->n_measures; i++) {
            if (x->measures[i].kind != y->measures[i].kind ||
                x->measures[i].status != y->measures[i].status)
                return false;
        }
        return strcmp(x->id, y->id) == 0 &&
               memcmp(x->pseudonym, y->pseudonym, sizeof(x->pseudonym)) == 0 &&
               strcmp(x->name, y->name) == 0 && x->grade == y->grade &&
               strcmp(x->class_name, y->class_name) == 0 && x->network == y->network &&
               x->devices == y->devices && strcmp(x->platform, y->platform) == 0 &&
               x->groups == y->groups && x->participation == y->participation &&
               strcmp(x->feedback, y->feedback) == 0;
    }
    case RCL_CHANGE_REMOVED:
        return memcmp(a->u.removed, b->u.removed, sizeof(a->u.removed)) == 0;
    case RCL_CHANGE_SCHOOL:
        return strcmp(a->u.school.school_id, b->u.school.school_id) == 0 &&
               strcmp(a->u.school.name, b->u.school.name) == 0 &&
               strcmp(a->u.school.county, b->u.school.county) == 0;
    case RCL_CHANGE_SUMMARY:
        return strcmp(a->u.summary.school_id, b->u.summary.school_id) == 0 &&
               strcmp(a->u.summary.name, b->u.summary.name) == 0 &&
               strcmp(a->u.summary.county, b->u.summary.county) == 0 &&
               a->u.summary.reported == b->u.summary.reported &&
               a->u.summary.last_sync == b->u.summary.last_sync &&
               totals_equal(&a->u.summary.totals, &b->u.summary.totals);
    case RCL_CHANGE_SNAPSHOT_END:
        return a->u.snapshot_records == b->u.snapshot_records;
    case RCL_CHANGE_SCHOOL_REMOVED:
        return strcmp(a->u.school_removed, b->u.school_removed) == 0;
    }
    return false;
}

static bool header_equal(const struct rcl_batch_header *a, const struct rcl_batch_header *b)
{
    return strcmp(a->source, b->source) == 0 && a->epoch == b->epoch &&
           a->first_seq == b->first_seq && a->last_seq == b->last_seq &&
           a->has_prev == b->has_prev &&
           (!a->has_prev || memcmp(a->prev_digest, b->prev_digest, sizeof(a->prev_digest)) == 0) &&
           a->sent_at == b->sent_at;
}

static bool reply_equal(const struct rcl_reply *a, const struct rcl_reply *b)
{
    return a->status == b->status && strcmp(a->source, b->source) == 0 &&
           a->acked_seq == b->acked_seq && a->has_digest == b->has_digest &&
           (!a->has_digest ||
            memcmp(a->acked_digest, b->acked_digest, sizeof(a->acked_digest)) == 0) &&
           a->resend_from == b->resend_from && strcmp(a->reason, b->reason) == 0;
}

static void roundtrip(const struct rcl_change *c)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct rcl_change back;
    char err[256] = "";

    CHECK(rcl_change_encode(c, &buf, &len) == 0);
    CHECK(rcl_change_decode(buf, len, &back, err, sizeof(err)) == 0);
    if (err[0])
        fprintf(stderr, "  decode error: %s\n", err);
    CHECK(change_equal(c, &back));
    free(buf);
}

static void test_change_roundtrips(void)
{
    struct rcl_change c;

    c = sample_student(1);
    roundtrip(&c);
    /* A minimal student: only what must be there. */
    memset(&c, 0, sizeof(c));
    c.seq = UINT64_MAX;
    c.kind = RCL_CHANGE_STUDENT;
    c.u.student.grade = 1;
    roundtrip(&c);

    memset(&c, 0, sizeof(c));
    c.seq = 42;
    c.kind = RCL_CHANGE_REMOVED;
    memset(c.u.removed, 0x5A, sizeof(c.u.removed));
    roundtrip(&c);

    memset(&c, 0, sizeof(c));
    c.seq = 3;
    c.kind = RCL_CHANGE_SCHOOL;
    strcpy(c.u.school.school_id, "4113810042");
    strcpy(c.u.school.name, "\xE9\x82\x93\xE5\xB7\x9E school");
    strcpy(c.u.school.county, "411381");
    roundtrip(&c);
    c.u.school.county[0] = '\0'; /* county not known yet */
    roundtrip(&c);

    c = sample_summary(9);
    roundtrip(&c);
    memset(&c.u.summary.totals, 0, sizeof(c.u.summary.totals)); /* a school not yet reported */
    c.u.summary.reported = false;
    c.u.summary.last_sync = 0;
    roundtrip(&c);
}

/* ---- Frozen encodings: a change here is a wire format change ---- */

#define KAT_REMOVED "08071a220a20000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KAT_STUDENT                                                                                \
    "080212350a20aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa12024c6918032203" \
    "3"                                                                                            \
    "32d312801300452020801"
#define KAT_BATCH                                                                                  \
    "0a063431303130321001180120022a205555555555555555555555555555555555555555555555555555555555"   \
    "5555553080e2cfaa063a39" KAT_STUDENT

static struct rcl_change kat_student(void)
{
    struct rcl_change c;
    memset(&c, 0, sizeof(c));
    c.seq = 2;
    c.kind = RCL_CHANGE_STUDENT;
    memset(c.u.student.pseudonym, 0xAA, RCL_PSEUDONYM_BYTES);
    strcpy(c.u.student.name, "Li");
    c.u.student.grade = 3;
    strcpy(c.u.student.class_name, "3-1");
    c.u.student.network = RCL_BIT(RCL_NET_BROADBAND);
    c.u.student.devices = RCL_BIT(RCL_DEV_SMARTPHONE);
    c.u.student.n_measures = 1;
    c.u.student.measures[0].kind = RCL_MEASURE_LOANED_DEVICE;
    c.u.student.measures[0].status = RCL_STATUS_PLANNED;
    return c;
}

static void check_encoding(const uint8_t *buf, size_t len, const char *want)
{
    char *hex = malloc(2 * len + 1);
    if (hex == NULL)
        exit(2);
    rcl_test_hex(buf, len, hex);
    CHECK_STR(hex, want);
    free(hex);
}

static void test_frozen_encodings(void)
{
    struct rcl_change c, back;
    uint8_t *buf = NULL, raw[256];
    size_t len = 0;
    long n;
    char err[256];

    memset(&c, 0, sizeof(c));
    c.seq = 7;
    c.kind = RCL_CHANGE_REMOVED;
    for (int i = 0; i < RCL_PSEUDONYM_BYTES; i++)
        c.u.removed[i] = (uint8_t)i;
    CHECK(rcl_change_encode(&c, &buf, &len) == 0);
    check_encoding(buf, len, KAT_REMOVED);
    free(buf);

    c = kat_student();
    CHECK(rcl_change_encode(&c, &buf, &len) == 0);
    check_encoding(buf, len, KAT_STUDENT);
    free(buf);
    n = rcl_test_unhex(KAT_STUDENT, raw, sizeof(raw));
    CHECK(n > 0);
    CHECK(rcl_change_decode(raw, (size_t)n, &back, err, sizeof(err)) == 0);
    CHECK(change_equal(&back, &c));

    {
        struct rcl_batch_header h;
        struct rcl_blob blob;
        struct rcl_batch *b = NULL;
        uint8_t change[128];
        long cn = rcl_test_unhex(KAT_STUDENT, change, sizeof(change));

        memset(&h, 0, sizeof(h));
        strcpy(h.source, "410102");
        h.epoch = 1;
        h.first_seq = 1;
        h.last_seq = 2;
        h.has_prev = true;
        memset(h.prev_digest, 0x55, sizeof(h.prev_digest));
        h.sent_at = 1700000000;
        blob.data = change;
        blob.len = (size_t)cn;
        CHECK(rcl_batch_encode(&h, &blob, 1, &buf, &len) == 0);
        check_encoding(buf, len, KAT_BATCH);
        free(buf);

        n = rcl_test_unhex(KAT_BATCH, raw, sizeof(raw));
        CHECK(n > 0);
        CHECK(rcl_batch_decode(raw, (size_t)n, &b, err, sizeof(err)) == 0);
        if (b != NULL) {
            CHECK(header_equal(&b->h, &h));
            CHECK(b->n_changes == 1);
            CHECK(b->changes[0].len == (size_t)cn);
            CHECK(memcmp(b->changes[0].data, change, (size_t)cn) == 0);
        }
        rcl_batch_destroy(&b);
        CHECK(b == NULL);
    }
}

/* ---- Refusals: one per invalid field ---- */

static void test_student_refusals(void)
{
    struct wstudent w;
    char *s;

    w = good_wstudent();
    EXPECT_STUDENT_OK(w);

    w = good_wstudent();
    w.pseudo_len = 31;
    EXPECT_STUDENT_REFUSED(w, "student.pseudonym");
    w.pseudo_len = 33;
    EXPECT_STUDENT_REFUSED(w, "student.pseudonym");
    w.pseudo_len = 0;
    EXPECT_STUDENT_REFUSED(w, "student.pseudonym");

    w = good_wstudent();
    s = repeat('n', RCL_NAME_MAX);
    w.name = s;
    EXPECT_STUDENT_OK(w);
    free(s);
    s = repeat('n', RCL_NAME_MAX + 1);
    w.name = s;
    EXPECT_STUDENT_REFUSED(w, "student.name");
    free(s);
    w.name = "\xC0\xAF";
    EXPECT_STUDENT_REFUSED(w, "student.name");
    w.name = "two\nlines";
    EXPECT_STUDENT_REFUSED(w, "student.name");
    w.name = "\xED\xA0\x80";
    EXPECT_STUDENT_REFUSED(w, "student.name");

    w = good_wstudent();
    w.grade = 0;
    EXPECT_STUDENT_REFUSED(w, "student.grade");
    w.grade = 13;
    EXPECT_STUDENT_REFUSED(w, "student.grade");
    w.grade = 1;
    EXPECT_STUDENT_OK(w);
    w.grade = 12;
    EXPECT_STUDENT_OK(w);

    w = good_wstudent();
    s = repeat('c', RCL_CLASS_MAX + 1);
    w.class_name = s;
    EXPECT_STUDENT_REFUSED(w, "student.class_name");
    free(s);

    w = good_wstudent();
    s = repeat('p', RCL_PLATFORM_MAX + 1);
    w.platform = s;
    EXPECT_STUDENT_REFUSED(w, "student.platform");
    free(s);

    w = good_wstudent();
    s = repeat('f', RCL_FEEDBACK_MAX + 1);
    w.feedback = s;
    EXPECT_STUDENT_REFUSED(w, "student.feedback");
    free(s);
    w.feedback = "bad \x01 control";
    EXPECT_STUDENT_REFUSED(w, "student.feedback");

    w = good_wstudent();
    w.network = RCL_BIT(RCL_NETWORK_COUNT) - 1;
    EXPECT_STUDENT_OK(w);
    w.network = RCL_BIT(RCL_NETWORK_COUNT);
    EXPECT_STUDENT_REFUSED(w, "student.network");
    w = good_wstudent();
    w.devices = RCL_BIT(RCL_DEVICE_COUNT) - 1;
    EXPECT_STUDENT_OK(w);
    w.devices = RCL_BIT(RCL_DEVICE_COUNT);
    EXPECT_STUDENT_REFUSED(w, "student.devices");
    w = good_wstudent();
    w.groups = RCL_BIT(RCL_GROUP_COUNT) - 1;
    EXPECT_STUDENT_OK(w);
    w.groups = RCL_BIT(RCL_GROUP_COUNT) | 1;
    EXPECT_STUDENT_REFUSED(w, "student.groups");
    w.groups = UINT32_MAX;
    EXPECT_STUDENT_REFUSED(w, "student.groups");

    w = good_wstudent();
    w.participation = RCL_PARTICIPATION_COUNT - 1;
    EXPECT_STUDENT_OK(w);
    w.participation = RCL_PARTICIPATION_COUNT;
    EXPECT_STUDENT_REFUSED(w, "student.participation");

    w = good_wstudent();
    w.n_measures = RCL_MEASURES_MAX;
    EXPECT_STUDENT_OK(w);
    w.n_measures = RCL_MEASURES_MAX + 1;
    EXPECT_STUDENT_REFUSED(w, "measures");
    w = good_wstudent();
    w.mkind = RCL_MEASURE_KIND_COUNT;
    EXPECT_STUDENT_REFUSED(w, "student.measures.kind");
    w = good_wstudent();
    w.mstatus = RCL_STATUS_COUNT;
    EXPECT_STUDENT_REFUSED(w, "student.measures.status");
}

static void test_change_refusals(void)
{
    struct rcl_change c;
    char err[256];
    uint8_t pseudo[40];
    struct pb *p, *sub;
    struct wstudent w = good_wstudent();

    memset(pseudo, 1, sizeof(pseudo));

    /* seq 0 */
    p = wire_student_change(0, &w);
    CHECK(decode_pb(p, &c, err, sizeof(err)) == -1);
    CHECK(strstr(err, "seq") != NULL);
    free(p);

    /* no body */
    p = pb_new();
    pb_uint(p, 1, 5);
    CHECK(decode_pb(p, &c, err, sizeof(err)) == -1);
    CHECK(strstr(err, "body") != NULL);
    free(p);

    /* empty buffer, garbage, wrong wire type */
    CHECK(rcl_change_decode((const uint8_t *)"", 0, &c, err, sizeof(err)) == -1);
    CHECK(rcl_change_decode((const uint8_t *)"\xff\xff\xff\xff", 4, &c, err, sizeof(err)) == -1);
    CHECK(rcl_change_decode((const uint8_t *)"\x08\x01\x12\x05", 4, &c, err, sizeof(err)) == -1);
    CHECK(rcl_change_decode((const uint8_t *)"\x08\x01\x10\x05", 4, &c, err, sizeof(err)) == -1);

    /* removed: pseudonym length */
    p = pb_new();
    sub = pb_new();
    pb_bytes(sub, 1, pseudo, 31);
    pb_uint(p, 1, 5);
    pb_msg(p, 3, sub);
    CHECK(decode_pb(p, &c, err, sizeof(err)) == -1);
    CHECK(strstr(err, "removed.pseudonym") != NULL);
    free(p);
    free(sub);

    /* school: id form, county form, name length */
    {
        static const struct {
            const char *id, *name, *county, *field;
        } cases[] = {
            {"4101020001", "ok", "410102", NULL},
            {"4101020001", "ok", "", NULL},
            {"", "ok", "410102", "school.school_id"},
            {"bad id", "ok", "410102", "school.school_id"},
            {"a/b", "ok", "410102", "school.school_id"},
            {"123456789012345678901234567890123", "ok", "410102", "school.school_id"},
            {"4101020001", "ok", "41010", "school.county"},
            {"4101020001", "ok", "4101021", "school.county"},
            {"4101020001", "ok", "41010x", "school.county"},
            {"4101020001", "a\x7f", "410102", "school.name"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            p = pb_new();
            sub = pb_new();
            pb_str(sub, 1, cases[i].id);
            pb_str(sub, 2, cases[i].name);
            pb_str(sub, 3, cases[i].county);
            pb_uint(p, 1, 5);
            pb_msg(p, 4, sub);
            if (cases[i].field == NULL) {
                CHECK(decode_pb(p, &c, err, sizeof(err)) == 0);
            } else {
                CHECK(decode_pb(p, &c, err, sizeof(err)) == -1);
                CHECK(strstr(err, cases[i].field) != NULL);
            }
            free(p);
            free(sub);
        }
    }
}

/* Wire summary built from a template with one thing spoiled. */
struct wsummary {
    const char *school_id, *county;
    int64_t last_sync;
    bool no_counts;
    uint64_t students, online, tv_only, none, blind;
    size_t n_groups, n_measures, n_participation;
    uint64_t group0, part0;
};

static struct wsummary good_wsummary(void)
{
    struct wsummary s = {"4101020001",
                         "410102",
                         1700000000,
                         false,
                         4,
                         2,
                         1,
                         1,
                         1,
                         RCL_GROUP_COUNT,
                         RCL_MEASURE_KIND_COUNT,
                         RCL_PARTICIPATION_COUNT,
                         2,
                         4};
    return s;
}

static int decode_wsummary(const struct wsummary *s, char *err, size_t errlen)
{
    struct pb *p = pb_new(), *sum = pb_new(), *co = pb_new(), *arr = pb_new();
    struct rcl_change c;
    int rc;

    pb_uint(co, 1, s->students);
    pb_uint(co, 2, s->online);
    pb_uint(co, 3, s->tv_only);
    pb_uint(co, 4, s->none);
    pb_uint(co, 5, s->blind);
    /* groups packed, measures unpacked: the decoder must take both forms. */
    for (size_t i = 0; i < s->n_groups; i++)
        pb_varint(arr, i == 0 ? s->group0 : 0);
    pb_msg(co, 6, arr);
    for (size_t i = 0; i < s->n_measures; i++)
        pb_uint(co, 7, 1);
    arr->n = 0;
    for (size_t i = 0; i < s->n_participation; i++)
        pb_varint(arr, i == 0 ? s->part0 : 0);
    pb_msg(co, 8, arr);

    pb_str(sum, 1, s->school_id);
    pb_str(sum, 2, "name");
    pb_str(sum, 3, s->county);
    pb_uint(sum, 4, 1);
    pb_uint(sum, 5, (uint64_t)s->last_sync);
    if (!s->no_counts)
        pb_msg(sum, 6, co);
    pb_uint(p, 1, 8);
    pb_msg(p, 5, sum);
    err[0] = '\0';
    rc = rcl_change_decode(p->b, p->n, &c, err, errlen);
    if (rc == 0) {
        CHECK(c.kind == RCL_CHANGE_SUMMARY);
        CHECK(c.u.summary.totals.students == s->students);
        CHECK(c.u.summary.totals.measures[RCL_MEASURE_FUNDING] == 1);
    }
    free(p);
    free(sum);
    free(co);
    free(arr);
    return rc;
}

static void test_summary_refusals(void)
{
    struct wsummary s;
    char err[256];

#define EXPECT_SUMMARY(mod, ok, field)                                                             \
    do {                                                                                           \
        s = good_wsummary();                                                                       \
        mod;                                                                                       \
        int rc_ = decode_wsummary(&s, err, sizeof(err));                                           \
        CHECK(rc_ == ((ok) ? 0 : -1));                                                             \
        if (!(ok))                                                                                 \
            CHECK(strstr(err, field) != NULL);                                                     \
        else if (rc_ != 0)                                                                         \
            fprintf(stderr, "  decode error: %s\n", err);                                          \
    } while (0)

    EXPECT_SUMMARY((void)0, true, "");
    EXPECT_SUMMARY(s.county = "", true, "");
    EXPECT_SUMMARY(s.school_id = "", false, "summary.school_id");
    EXPECT_SUMMARY(s.school_id = "x y", false, "summary.school_id");
    EXPECT_SUMMARY(s.county = "4101", false, "summary.county");
    EXPECT_SUMMARY(s.last_sync = -1, false, "summary.last_sync");
    EXPECT_SUMMARY(s.no_counts = true, false, "summary.counts");
    EXPECT_SUMMARY(s.n_groups = RCL_GROUP_COUNT - 1, false, "groups");
    EXPECT_SUMMARY(s.n_groups = RCL_GROUP_COUNT + 1, false, "groups");
    EXPECT_SUMMARY(s.n_groups = 0, false, "groups");
    EXPECT_SUMMARY(s.n_measures = RCL_MEASURE_KIND_COUNT - 1, false, "measures");
    EXPECT_SUMMARY(s.n_measures = 0, false, "measures");
    EXPECT_SUMMARY(s.n_participation = RCL_PARTICIPATION_COUNT + 1, false, "participation");
    EXPECT_SUMMARY(s.n_participation = 0, false, "participation");
    EXPECT_SUMMARY(s.online = 3, false, "condition");          /* 3+1+1 != 4 */
    EXPECT_SUMMARY(s.blind = 5, false, "blind_spots");         /* more than students */
    EXPECT_SUMMARY(s.group0 = 5, false, "groups");             /* more than students */
    EXPECT_SUMMARY(s.part0 = 3, false, "participation");       /* 3 != 4 */
    EXPECT_SUMMARY(s.online = UINT64_MAX, false, "condition"); /* no overflow trick */
#undef EXPECT_SUMMARY
}

static void test_change_truncations(void)
{
    struct rcl_change c = sample_student(77), back;
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[256];

    CHECK(rcl_change_encode(&c, &buf, &len) == 0);
    /* A change is seq + body, so every proper prefix is refused. */
    for (size_t n = 0; n < len; n++)
        CHECK(rcl_change_decode(buf, n, &back, err, sizeof(err)) == -1);
    /* Trailing garbage is refused too. */
    {
        uint8_t *more = malloc(len + 1);
        memcpy(more, buf, len);
        more[len] = 0xFF;
        CHECK(rcl_change_decode(more, len + 1, &back, err, sizeof(err)) == -1);
        free(more);
    }
    free(buf);
}

/* ---- Batch ---- */

static void test_batch_roundtrip(void)
{
    struct rcl_batch_header h;
    struct rcl_blob blobs[3];
    uint8_t *enc[3], *buf = NULL;
    size_t len = 0;
    struct rcl_batch *b = NULL;
    char err[256];

    memset(&h, 0, sizeof(h));
    strcpy(h.source, "county.410102");
    h.epoch = 1;
    h.first_seq = 10;
    h.last_seq = 20;
    h.sent_at = -5;
    for (int i = 0; i < 3; i++) {
        struct rcl_change c = i == 1 ? sample_summary(12) : sample_student(11 + (uint64_t)i * 4);
        CHECK(rcl_change_encode(&c, &enc[i], &blobs[i].len) == 0);
        blobs[i].data = enc[i];
    }
    CHECK(rcl_batch_encode(&h, blobs, 3, &buf, &len) == 0);
    CHECK(rcl_batch_decode(buf, len, &b, err, sizeof(err)) == 0);
    if (b != NULL) {
        CHECK(header_equal(&b->h, &h));
        CHECK(!b->h.has_prev);
        CHECK(b->n_changes == 3);
        for (size_t i = 0; i < 3 && i < b->n_changes; i++) {
            struct rcl_change c;
            CHECK(b->changes[i].len == blobs[i].len);
            CHECK(memcmp(b->changes[i].data, blobs[i].data, blobs[i].len) == 0);
            CHECK(rcl_change_decode(b->changes[i].data, b->changes[i].len, &c, err, sizeof(err)) ==
                  0);
        }
    }
    rcl_batch_destroy(&b);
    rcl_batch_destroy(&b); /* harmless twice */

    /* Every prefix: never crashes; one that happens to parse lost something. */
    for (size_t n = 0; n < len; n++) {
        struct rcl_batch *t = NULL;
        if (rcl_batch_decode(buf, n, &t, err, sizeof(err)) == 0) {
            CHECK(t->n_changes < 3);
            rcl_batch_destroy(&t);
        } else {
            CHECK(t == NULL);
        }
    }
    free(buf);

    /* An empty batch (all coalesced away) is valid. */
    CHECK(rcl_batch_encode(&h, NULL, 0, &buf, &len) == 0);
    CHECK(rcl_batch_decode(buf, len, &b, err, sizeof(err)) == 0);
    CHECK(b != NULL && b->n_changes == 0);
    rcl_batch_destroy(&b);
    free(buf);
    for (int i = 0; i < 3; i++)
        free(enc[i]);
}

struct wbatch {
    const char *source;
    uint64_t epoch, first, last;
    size_t prev_len;
    size_t n_changes;
};

static int decode_wbatch(const struct wbatch *w, char *err, size_t errlen)
{
    struct pb *p = pb_new();
    uint8_t prev[64];
    struct rcl_batch *b = NULL;
    int rc;

    memset(prev, 7, sizeof(prev));
    pb_str(p, 1, w->source);
    pb_uint(p, 2, w->epoch);
    pb_uint(p, 3, w->first);
    pb_uint(p, 4, w->last);
    if (w->prev_len > 0)
        pb_bytes(p, 5, prev, w->prev_len);
    pb_uint(p, 6, 1700000000);
    for (size_t i = 0; i < w->n_changes; i++)
        pb_bytes(p, 7, "\x08\x01", 2);
    err[0] = '\0';
    rc = rcl_batch_decode(p->b, p->n, &b, err, errlen);
    CHECK((rc == 0) == (b != NULL));
    rcl_batch_destroy(&b);
    free(p);
    return rc;
}

static void test_batch_refusals(void)
{
    struct wbatch w;
    char err[256];

#define EXPECT_BATCH(mod, ok, field)                                                               \
    do {                                                                                           \
        w = (struct wbatch){"410102", 1, 1, 5000, 32, 3};                                          \
        mod;                                                                                       \
        int rc_ = decode_wbatch(&w, err, sizeof(err));                                             \
        CHECK(rc_ == ((ok) ? 0 : -1));                                                             \
        if (!(ok))                                                                                 \
            CHECK(strstr(err, field) != NULL);                                                     \
        else if (rc_ != 0)                                                                         \
            fprintf(stderr, "  decode error: %s\n", err);                                          \
    } while (0)

    EXPECT_BATCH((void)0, true, "");
    EXPECT_BATCH(w.prev_len = 0, true, "");
    EXPECT_BATCH(w.n_changes = RCL_BATCH_RECORDS_MAX, true, "");
    EXPECT_BATCH(w.n_changes = RCL_BATCH_RECORDS_MAX + 1, false, "limit");
    EXPECT_BATCH((w.first = 1, w.last = 2), false, "changes"); /* 3 changes, 2 seqs */
    EXPECT_BATCH((w.first = 5, w.last = 5, w.n_changes = 1), true, "");
    EXPECT_BATCH(w.source = "", false, "batch.source");
    EXPECT_BATCH(w.source = "bad source", false, "batch.source");
    EXPECT_BATCH(w.epoch = 0, false, "epoch");
    EXPECT_BATCH(w.first = 0, false, "range");
    EXPECT_BATCH((w.first = 10, w.last = 9), false, "range");
    EXPECT_BATCH((w.first = 1, w.last = (UINT64_C(1) << 32) + 1), false, "range");
    EXPECT_BATCH((w.first = 1, w.last = UINT64_MAX, w.n_changes = 0), false, "range");
    EXPECT_BATCH((w.first = 1, w.last = UINT64_C(1) << 32), true, ""); /* widest allowed */
    EXPECT_BATCH(w.prev_len = 31, false, "prev_digest");
    EXPECT_BATCH(w.prev_len = 33, false, "prev_digest");
#undef EXPECT_BATCH

    /* Oversized buffers are refused before parsing. */
    {
        uint8_t *big = calloc(1, RCL_MESSAGE_BYTES_MAX + 1);
        struct rcl_batch *b = NULL;
        struct rcl_envelope *e = NULL;
        struct rcl_change c;
        struct rcl_reply r;
        CHECK(big != NULL);
        CHECK(rcl_batch_decode(big, RCL_MESSAGE_BYTES_MAX + 1, &b, err, sizeof(err)) == -1);
        CHECK(strstr(err, "limit") != NULL);
        CHECK(rcl_envelope_decode(big, RCL_MESSAGE_BYTES_MAX + 1, &e, err, sizeof(err)) == -1);
        CHECK(rcl_change_decode(big, RCL_MESSAGE_BYTES_MAX + 1, &c, err, sizeof(err)) == -1);
        CHECK(rcl_reply_decode(big, RCL_MESSAGE_BYTES_MAX + 1, &r, err, sizeof(err)) == -1);
        free(big);
    }
}

/* ---- Envelope ---- */

static void test_envelope_codec(void)
{
    uint8_t kid[RCL_KEY_ID_BYTES], sig[RCL_SIG_BYTES], payload[300];
    uint8_t *buf = NULL;
    size_t len = 0;
    struct rcl_envelope *e = NULL;
    char err[256];

    memset(kid, 0x11, sizeof(kid));
    memset(sig, 0x22, sizeof(sig));
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)i;
    CHECK(rcl_envelope_encode("4101020001", kid, sig, payload, sizeof(payload), &buf, &len) == 0);
    CHECK(rcl_envelope_decode(buf, len, &e, err, sizeof(err)) == 0);
    if (e != NULL) {
        CHECK_STR(e->source, "4101020001");
        CHECK(memcmp(e->key_id, kid, sizeof(kid)) == 0);
        CHECK(memcmp(e->signature, sig, sizeof(sig)) == 0);
        CHECK(e->payload.len == sizeof(payload));
        CHECK(memcmp(e->payload.data, payload, sizeof(payload)) == 0);
    }
    rcl_envelope_destroy(&e);
    CHECK(e == NULL);
    free(buf);

    /* Field refusals. */
    {
        static const struct {
            const char *source;
            size_t kid_len, sig_len, payload_len;
            const char *field;
        } cases[] = {
            {"4101020001", 8, 64, 10, NULL},
            {"", 8, 64, 10, "envelope.source"},
            {"a b", 8, 64, 10, "envelope.source"},
            {"4101020001", 7, 64, 10, "envelope.key_id"},
            {"4101020001", 9, 64, 10, "envelope.key_id"},
            {"4101020001", 0, 64, 10, "envelope.key_id"},
            {"4101020001", 8, 63, 10, "envelope.signature"},
            {"4101020001", 8, 65, 10, "envelope.signature"},
            {"4101020001", 8, 0, 10, "envelope.signature"},
            {"4101020001", 8, 64, 0, "envelope.payload"},
        };
        uint8_t junk[100];
        memset(junk, 0x33, sizeof(junk));
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            struct pb *p = pb_new();
            pb_str(p, 1, cases[i].source);
            if (cases[i].kid_len)
                pb_bytes(p, 2, junk, cases[i].kid_len);
            if (cases[i].sig_len)
                pb_bytes(p, 3, junk, cases[i].sig_len);
            if (cases[i].payload_len)
                pb_bytes(p, 4, junk, cases[i].payload_len);
            err[0] = '\0';
            int rc = rcl_envelope_decode(p->b, p->n, &e, err, sizeof(err));
            if (cases[i].field == NULL) {
                CHECK(rc == 0 && e != NULL);
            } else {
                CHECK(rc == -1 && e == NULL);
                CHECK(strstr(err, cases[i].field) != NULL);
            }
            rcl_envelope_destroy(&e);
            free(p);
        }
    }
}

/* ---- Reply ---- */

static void test_reply(void)
{
    struct rcl_reply r, back;
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[256];

    for (int st = 0; st < RCL_REPLY_STATUS_COUNT; st++) {
        memset(&r, 0, sizeof(r));
        r.status = (enum rcl_reply_status)st;
        strcpy(r.source, "4101020001");
        r.acked_seq = 123456789012ULL;
        r.has_digest = st == RCL_REPLY_ACK;
        if (r.has_digest)
            memset(r.acked_digest, 0x77, sizeof(r.acked_digest));
        r.resend_from = st == RCL_REPLY_RESEND ? 5 : 0;
        snprintf(r.reason, sizeof(r.reason), "reason %d: \xE6\x8B\x92\xE7\xBB\x9D", st);
        CHECK(rcl_reply_encode(&r, &buf, &len) == 0);
        CHECK(rcl_reply_decode(buf, len, &back, err, sizeof(err)) == 0);
        CHECK(reply_equal(&r, &back));
        free(buf);
    }
    /* A refusal that does not know the source. */
    memset(&r, 0, sizeof(r));
    r.status = RCL_REPLY_REFUSED;
    strcpy(r.reason, "malformed envelope: envelope is not a valid encoding");
    CHECK(rcl_reply_encode(&r, &buf, &len) == 0);
    CHECK(rcl_reply_decode(buf, len, &back, err, sizeof(err)) == 0);
    CHECK(back.source[0] == '\0');
    CHECK_STR(back.reason, r.reason);
    free(buf);

    /* Refusals. */
    {
        struct pb *p = pb_new();
        pb_uint(p, 1, RCL_REPLY_STATUS_COUNT);
        CHECK(rcl_reply_decode(p->b, p->n, &back, err, sizeof(err)) == -1);
        CHECK(strstr(err, "reply.status") != NULL);
        p->n = 0;
        pb_uint(p, 1, RCL_REPLY_ACK);
        pb_str(p, 2, "bad source");
        CHECK(rcl_reply_decode(p->b, p->n, &back, err, sizeof(err)) == -1);
        CHECK(strstr(err, "reply.source") != NULL);
        p->n = 0;
        pb_uint(p, 1, RCL_REPLY_ACK);
        pb_bytes(p, 4, "0123456789012345678901234567890", 31);
        CHECK(rcl_reply_decode(p->b, p->n, &back, err, sizeof(err)) == -1);
        CHECK(strstr(err, "reply.acked_digest") != NULL);
        p->n = 0;
        pb_uint(p, 1, RCL_REPLY_REFUSED);
        pb_str(p, 6, "bad \xFF reason");
        CHECK(rcl_reply_decode(p->b, p->n, &back, err, sizeof(err)) == -1);
        CHECK(strstr(err, "reply.reason") != NULL);

        /* A long reason is cut on a character boundary, not refused. */
        {
            char longr[700] = "";
            p->n = 0;
            for (int i = 0; i < 100; i++)
                strcat(longr, "\xE9\x94\x99"); /* 3 bytes each: 300 bytes */
            pb_uint(p, 1, RCL_REPLY_REFUSED);
            pb_str(p, 6, longr);
            CHECK(rcl_reply_decode(p->b, p->n, &back, err, sizeof(err)) == 0);
            CHECK(strlen(back.reason) == 255);
            CHECK(rcl_utf8_valid(back.reason, strlen(back.reason)));
            strcpy(longr, "x");
            for (int i = 0; i < 100; i++)
                strcat(longr, "\xE9\x94\x99");
            p->n = 0;
            pb_uint(p, 1, RCL_REPLY_REFUSED);
            pb_str(p, 6, longr);
            CHECK(rcl_reply_decode(p->b, p->n, &back, err, sizeof(err)) == 0);
            CHECK(strlen(back.reason) == 253);
            CHECK(rcl_utf8_valid(back.reason, strlen(back.reason)));
        }
        CHECK(rcl_reply_decode((const uint8_t *)"\x08", 1, &back, err, sizeof(err)) == -1);
        free(p);
    }
}

static void test_id_valid(void)
{
    CHECK(rcl_id_valid("4101020001"));
    CHECK(rcl_id_valid("a"));
    CHECK(rcl_id_valid("county-410102_v1.0"));
    CHECK(rcl_id_valid("12345678901234567890123456789012"));   /* 32 */
    CHECK(!rcl_id_valid("123456789012345678901234567890123")); /* 33 */
    CHECK(!rcl_id_valid(""));
    CHECK(!rcl_id_valid(NULL));
    CHECK(!rcl_id_valid("a b"));
    CHECK(!rcl_id_valid("a/b"));
    CHECK(!rcl_id_valid("a:b"));
    CHECK(!rcl_id_valid("\xE9\x94\x99"));
}

int main(void)
{
    RCL_TEST_RUN(test_change_roundtrips);
    RCL_TEST_RUN(test_frozen_encodings);
    RCL_TEST_RUN(test_student_refusals);
    RCL_TEST_RUN(test_change_refusals);
    RCL_TEST_RUN(test_summary_refusals);
    RCL_TEST_RUN(test_change_truncations);
    RCL_TEST_RUN(test_batch_roundtrip);
    RCL_TEST_RUN(test_batch_refusals);
    RCL_TEST_RUN(test_envelope_codec);
    RCL_TEST_RUN(test_reply);
    RCL_TEST_RUN(test_id_valid);
    return RCL_TEST_RESULT();
}

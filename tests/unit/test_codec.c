/*
 * test_codec.c - the wire format of changes: round trips of every kind,
 * frozen encodings that catch wire drift, and one refusal per invalid field
 * (bytes written by codec_fixture.h's own protobuf writer).
 */
#include "codec_fixture.h"

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
    memset(c.u.removed.pseudonym, 0x5A, sizeof(c.u.removed.pseudonym));
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

    memset(&c, 0, sizeof(c));
    c.seq = 10;
    c.kind = RCL_CHANGE_SNAPSHOT_END;
    c.u.snapshot_records = 15000;
    roundtrip(&c);
    c.u.snapshot_records = 0; /* a school with no student yet */
    roundtrip(&c);

    memset(&c, 0, sizeof(c));
    c.seq = 11;
    c.kind = RCL_CHANGE_SCHOOL_REMOVED;
    strcpy(c.u.school_removed, "4101020001");
    roundtrip(&c);

    memset(&c, 0, sizeof(c));
    c.seq = 12;
    c.kind = RCL_CHANGE_KEY_ROTATION;
    memset(c.u.key_rotation.new_key, 0x42, RCL_PK_BYTES);
    memset(c.u.key_rotation.proof, 0x17, RCL_SIG_BYTES);
    roundtrip(&c);

    /* A summary naming the school batch it includes. */
    c = sample_summary(13);
    c.u.summary.epoch = 2;
    c.u.summary.through_seq = 900;
    c.u.summary.has_through_digest = true;
    memset(c.u.summary.through_digest, 0x5a, RCL_DIGEST_BYTES);
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
/* Field 9, the sender's protocol version (2): a batch of version 1 lacks it (KAT_BATCH alone). */
#define KAT_BATCH_PROTOCOL "4802"

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
        c.u.removed.pseudonym[i] = (uint8_t)i;
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
        check_encoding(buf, len, KAT_BATCH KAT_BATCH_PROTOCOL);
        CHECK(rcl_batch_decode(buf, len, &b, err, sizeof(err)) == 0);
        CHECK(b != NULL && b->h.protocol == RCL_PROTOCOL_VERSION);
        rcl_batch_destroy(&b);
        free(buf);

        /* Without the field it is a version 1 sender's batch: read, as version 1. */
        n = rcl_test_unhex(KAT_BATCH, raw, sizeof(raw));
        CHECK(n > 0);
        CHECK(rcl_batch_decode(raw, (size_t)n, &b, err, sizeof(err)) == 0);
        if (b != NULL) {
            CHECK(b->h.protocol == 1);
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

    /* Where the student is and who to call; a bad number is never quoted back. */
    w = good_wstudent();
    w.place_county = "411381";
    w.place = "\xE5\xBC\xA0\xE5\xBA\x84\xE6\x9D\x91"; /* 张庄村 */
    w.guardian_contact = "+86 138-0000-1234";
    w.helper_contact = "(0377) 6200 1234";
    EXPECT_STUDENT_OK(w);
    w.place_county = "41138";
    EXPECT_STUDENT_REFUSED(w, "student.place_county");
    w.place_county = "411381";
    w.guardian_contact = "1234";
    EXPECT_STUDENT_REFUSED(w, "student.guardian_contact");
    w.guardian_contact = "138 0000 1234 ext";
    EXPECT_STUDENT_REFUSED(w, "student.guardian_contact");
    w.guardian_contact = "13800001234";
    w.helper_contact = "1-3+8000012345";
    EXPECT_STUDENT_REFUSED(w, "student.measures.helper_contact");
    s = repeat('v', RCL_PLACE_MAX + 1);
    w = good_wstudent();
    w.place = s;
    EXPECT_STUDENT_REFUSED(w, "student.place");
    free(s);

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
    int64_t first_sync; /* 0: absent, as an older county sends it */
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
                         0,
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
    if (s->first_sync != 0)
        pb_uint(sum, 10, (uint64_t)s->first_sync);
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
        CHECK(c.u.summary.first_sync == s->first_sync);
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
    EXPECT_SUMMARY(s.first_sync = s.last_sync - 86400, true, "");
    EXPECT_SUMMARY(s.first_sync = s.last_sync, true, "");
    EXPECT_SUMMARY(s.first_sync = s.last_sync + 1, false, "summary.first_sync");
    EXPECT_SUMMARY(s.first_sync = -5, false, "summary.first_sync");
    EXPECT_SUMMARY(s.no_counts = true, false, "summary.counts");
    /* More students than any school holds: refused, so province totals cannot overflow. */
    EXPECT_SUMMARY(s.students = RCL_SCHOOL_STUDENTS_MAX + 1, false, "more than a school holds");
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

int main(void)
{
    RCL_TEST_RUN(test_change_roundtrips);
    RCL_TEST_RUN(test_frozen_encodings);
    RCL_TEST_RUN(test_student_refusals);
    RCL_TEST_RUN(test_change_refusals);
    RCL_TEST_RUN(test_summary_refusals);
    RCL_TEST_RUN(test_change_truncations);
    return RCL_TEST_RESULT();
}

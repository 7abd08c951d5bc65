/*
 * test_school_store.c - the school store and the students import: init
 * queues the school profile; a good file imports; a file with bad rows
 * lists every problem as FILE:LINE and changes nothing; an unknown column is
 * named; re-importing the same file appends nothing to the outbox, a changed
 * row appends exactly one change; student numbers never reach the outbox.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "import.h"
#include "pseudonym.h"
#include "rcl_codec.h"
#include "rcl_keys.h"
#include "rcl_outbox.h"
#include "rcl_test.h"
#include "report.h"
#include "school_store.h"

#define SCHOOL "4113810001"
#define ID1 "G41138120100101001X"
#define ID2 "G411381201001010028"
#define ID3 "J0000000000000000AB"

static char dir[512];

struct run {
    int rc;
    char *errors; /* what the import printed, malloc'd */
    struct rcl_school_import_result res;
};

/* Writes text to dir/name and imports it. */
static struct run import_text(sqlite3 *db, const struct rcl_school_meta *m, const char *name,
                              const char *text)
{
    struct run out;
    char path[700];
    size_t len = 0;
    FILE *f;

    memset(&out, 0, sizeof(out));
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
    FILE *errors = open_memstream(&out.errors, &len);
    out.rc = rcl_school_import(db, m, path, errors, &out.res);
    fclose(errors);
    return out;
}

/* The path dir/name followed by ":LINE:", as the import names it. */
static int mentions(const struct run *r, const char *name, const char *rest)
{
    char want[800];
    snprintf(want, sizeof(want), "%s/%s%s", dir, name, rest);
    return r->errors != NULL && strstr(r->errors, want) != NULL;
}

static uint64_t last_seq(sqlite3 *db)
{
    struct rcl_outbox_stats st;
    memset(&st, 0, sizeof(st));
    CHECK(rcl_outbox_stats(db, &st) == 0);
    return st.last_seq;
}

static uint64_t n_students(sqlite3 *db)
{
    uint64_t n = 0;
    CHECK(rcl_school_students_count(db, &n) == 0);
    return n;
}

static sqlite3 *make_store(struct rcl_school_meta *m)
{
    char path[700];
    char err[256];
    uint8_t sk[RCL_SK_BYTES];
    uint8_t upstream_sk[RCL_SK_BYTES];
    sqlite3 *db;

    snprintf(path, sizeof(path), "%s/school.db", dir);
    db = rcl_school_store_open(path, RCL_DB_CREATE, err, sizeof(err));
    CHECK(db != NULL);
    if (db == NULL)
        return NULL;
    memset(m, 0, sizeof(*m));
    snprintf(m->school_id, sizeof(m->school_id), SCHOOL);
    snprintf(m->county, sizeof(m->county), "411381");
    snprintf(m->name, sizeof(m->name), "邓州市第一初级中学");
    snprintf(m->upstream, sizeof(m->upstream), "tcp://127.0.0.1:7100");
    CHECK(rcl_key_generate(m->upstream_key, upstream_sk) == 0);
    CHECK(rcl_key_generate(m->public_key, sk) == 0);
    rcl_school_pseudonym_default_key(m->pseudonym_key);
    CHECK(rcl_school_store_init(db, m, sk, err, sizeof(err)) == 0);
    sodium_memzero(sk, sizeof(sk));
    sodium_memzero(upstream_sk, sizeof(upstream_sk));
    return db;
}

static const char good_csv[] =
    "\xEF\xBB\xBFstudent_id,name,grade,class,network,devices,groups,assistance,"
    "participation\r\n" ID1 ",张三,7,\"7(1)\",broadband;mobile,smartphone,left_behind,,\r\n" ID2
    ",李四,7,7(1),cable_tv,tv,poverty_card,loaned_device:planned,absent\r\n" ID3
    ",\"王 \"\"五\"\"\",8,8(2),,,,one_to_one,irregular\r\n";

static void test_init_and_meta(sqlite3 *db, const struct rcl_school_meta *m)
{
    struct rcl_school_meta loaded;
    struct rcl_outbox_stats st;
    uint8_t sk[RCL_SK_BYTES];
    char err[256];

    CHECK(rcl_school_meta_load(db, &loaded, err, sizeof(err)) == 0);
    CHECK_STR(loaded.school_id, SCHOOL);
    CHECK_STR(loaded.name, m->name);
    CHECK_STR(loaded.county, "411381");
    CHECK_STR(loaded.upstream, m->upstream);
    CHECK(memcmp(loaded.public_key, m->public_key, RCL_PK_BYTES) == 0);
    CHECK(memcmp(loaded.upstream_key, m->upstream_key, RCL_PK_BYTES) == 0);
    CHECK(memcmp(loaded.pseudonym_key, m->pseudonym_key, RCL_SCHOOL_PSEUDONYM_KEY_BYTES) == 0);
    CHECK(rcl_school_secret_key_load(db, sk) == 0);
    sodium_memzero(sk, sizeof(sk));
    rcl_school_meta_wipe(&loaded);

    /* The school profile is the first change, so the county learns the name. */
    CHECK(rcl_outbox_stats(db, &st) == 0);
    CHECK(st.last_seq == 1 && st.pending == 1);
}

static void test_good_import(sqlite3 *db, const struct rcl_school_meta *m)
{
    struct rcl_student s;
    struct rcl_totals t;
    struct run r = import_text(db, m, "good.csv", good_csv);

    CHECK(r.rc == 0);
    CHECK(r.res.added == 3 && r.res.changed == 0 && r.res.unchanged == 0 && r.res.errors == 0);
    CHECK(r.errors != NULL && r.errors[0] == '\0');
    CHECK(n_students(db) == 3);
    CHECK(last_seq(db) == 4);

    CHECK(rcl_school_student_get(db, ID2, &s) == 1);
    CHECK_STR(s.name, "李四");
    CHECK(s.grade == 7);
    /* "7(1)" is class 1 of grade 7: kept in the one form. */
    CHECK_STR(s.class_name, "1班");
    CHECK(s.network == RCL_BIT(RCL_NET_CABLE_TV));
    CHECK(s.devices == RCL_BIT(RCL_DEV_TV));
    CHECK(s.groups == RCL_BIT(RCL_GROUP_POVERTY_CARD));
    CHECK(s.n_measures == 1 && s.measures[0].kind == RCL_MEASURE_LOANED_DEVICE &&
          s.measures[0].status == RCL_STATUS_PLANNED);
    CHECK(s.participation == RCL_PART_ABSENT);
    CHECK(rcl_school_student_get(db, ID3, &s) == 1);
    CHECK_STR(s.name, "王 \"五\"");
    CHECK(rcl_school_student_get(db, "G411381201001010036", &s) == 0);

    CHECK(rcl_school_totals(db, &t) == 0);
    CHECK(t.students == 3);
    CHECK(t.condition[RCL_COND_ONLINE] == 1 && t.condition[RCL_COND_TV_ONLY] == 1 &&
          t.condition[RCL_COND_NONE] == 1);
    CHECK(t.measures[RCL_MEASURE_ONE_TO_ONE] == 1);
    free(r.errors);
}

/* Every change in the outbox carries a pseudonym, never the student number. */
static void test_outbox_is_pseudonymous(sqlite3 *db, const struct rcl_school_meta *m)
{
    uint8_t p1[RCL_PSEUDONYM_BYTES];
    char entity[80];
    sqlite3_stmt *st = NULL;
    int found = 0;

    rcl_school_pseudonym(m->pseudonym_key, ID1, p1);
    memcpy(entity, "student:", 8);
    rcl_test_hex(p1, sizeof(p1), entity + 8);
    CHECK(sqlite3_prepare_v2(db, "SELECT entity, body FROM outbox", -1, &st, NULL) == SQLITE_OK);
    while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        const char *e = (const char *)sqlite3_column_text(st, 0);
        const uint8_t *body = sqlite3_column_blob(st, 1);
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        for (size_t i = 0; i + 19 <= len; i++)
            CHECK(memcmp(body + i, ID1, 19) != 0 && memcmp(body + i, &ID1[1], 18) != 0);
        if (strcmp(e, entity) == 0) {
            struct rcl_change c;
            char err[128];
            found = 1;
            CHECK(rcl_change_decode(body, len, &c, err, sizeof(err)) == 0);
            CHECK(c.kind == RCL_CHANGE_STUDENT);
            CHECK(memcmp(c.u.student.pseudonym, p1, sizeof(p1)) == 0);
            CHECK_STR(c.u.student.name, "张三");
        }
    }
    sqlite3_finalize(st);
    CHECK(found);
}

static void test_reimport_appends_nothing(sqlite3 *db, const struct rcl_school_meta *m)
{
    uint64_t before = last_seq(db);
    struct run r = import_text(db, m, "good.csv", good_csv);
    CHECK(r.rc == 0);
    CHECK(r.res.added == 0 && r.res.changed == 0 && r.res.unchanged == 3);
    CHECK(last_seq(db) == before);
    free(r.errors);
}

static void test_changed_row_appends_one(sqlite3 *db, const struct rcl_school_meta *m)
{
    struct rcl_student s;
    uint64_t before = last_seq(db);
    /* Columns in another order; ID2 got a device. */
    struct run r = import_text(db, m, "changed.csv",
                               "class,grade,name,student_id,devices,network,groups,assistance,"
                               "participation\n"
                               "7(1),7,张三," ID1 ",smartphone,broadband;mobile,left_behind,,\n"
                               "7(1),7,李四," ID2
                               ",tv;tablet,cable_tv,poverty_card,loaned_device:planned,absent\n");
    CHECK(r.rc == 0);
    CHECK(r.res.added == 0 && r.res.changed == 1 && r.res.unchanged == 1);
    CHECK(last_seq(db) == before + 1);
    CHECK(rcl_school_student_get(db, ID2, &s) == 1);
    CHECK(s.devices == (RCL_BIT(RCL_DEV_TV) | RCL_BIT(RCL_DEV_TABLET)));
    free(r.errors);
}

static void test_bad_rows_change_nothing(sqlite3 *db, const struct rcl_school_meta *m)
{
    struct rcl_student s;
    uint64_t before = last_seq(db);
    uint64_t students = n_students(db);
    struct run r =
        import_text(db, m, "bad.csv",
                    "student_id,name,grade,class\n" ID1 ",张三改,7,7(1)\n" /* good, would change */
                    "G411381201001010027,李四,7,7(1)\n"                    /* check digit */
                    "G411381201001010036,新生,9,9(1)\n"                    /* good, would add */
                    ID3 ",王五,13,8(2)\n"                                  /* grade */
                    "\n"
                    "G411381201001010044,,8,8(2)\n"); /* name, after a blank line */
    CHECK(r.rc == -1);
    CHECK(r.res.errors == 3);
    CHECK(mentions(&r, "bad.csv",
                   ":3: student_id 'G411381201001010027': check digit is '7', "
                   "expected '8'"));
    CHECK(mentions(&r, "bad.csv", ":5: grade '13' is out of range 1-12"));
    CHECK(mentions(&r, "bad.csv", ":7: name is empty"));
    CHECK(mentions(&r, "bad.csv", ": 3 problems; nothing was imported"));
    /* Atomic: neither the good change nor the good addition was applied. */
    CHECK(last_seq(db) == before);
    CHECK(n_students(db) == students);
    CHECK(rcl_school_student_get(db, ID1, &s) == 1);
    CHECK_STR(s.name, "张三");
    CHECK(rcl_school_student_get(db, "G411381201001010036", &s) == 0);
    free(r.errors);
}

static void test_row_shape_and_duplicates(sqlite3 *db, const struct rcl_school_meta *m)
{
    struct run r =
        import_text(db, m, "shape.csv",
                    "student_id,name,grade,class,network,participation\n" ID1 ",张三,7,7(1)\n" ID2
                    ",李四,7,7(1),wifi,sick\n" ID2 ",李四,7,7(1),,\n");
    CHECK(r.rc == -1);
    CHECK(mentions(&r, "shape.csv", ":2: expected 6 fields as in the header, found 4"));
    CHECK(mentions(&r, "shape.csv", ":3: network: unknown value 'wifi'"));
    CHECK(mentions(&r, "shape.csv", ":3: participation 'sick' is not one of"));
    CHECK(mentions(&r, "shape.csv", ":4: student_id '" ID2 "' appears again (first on line 3)"));
    free(r.errors);
}

static void test_header_problems(sqlite3 *db, const struct rcl_school_meta *m)
{
    uint64_t before = last_seq(db);
    struct run r = import_text(db, m, "hdr.csv",
                               "student_id,name,grade,class,phone\n" ID1 ",张三,7,7(1),123\n");
    CHECK(r.rc == -1);
    CHECK(mentions(&r, "hdr.csv",
                   ":1: unknown column 'phone' (accepted: student_id (学籍号, 全国学籍号), "
                   "name (姓名), grade (年级), class (班级), network (家庭网络, "));
    free(r.errors);

    r = import_text(db, m, "dup.csv", "student_id,name,grade,Name\n");
    CHECK(r.rc == -1);
    CHECK(mentions(&r, "dup.csv", ":1: column 'name' appears twice (columns 2 and 4)"));
    CHECK(mentions(&r, "dup.csv", ":1: missing required column 'class'"));
    free(r.errors);

    r = import_text(db, m, "empty.csv", "");
    CHECK(r.rc == -1);
    CHECK(mentions(&r, "empty.csv", ": file is empty"));
    free(r.errors);

    r = import_text(db, m, "header-only.csv", "student_id,name,grade,class\r\n");
    CHECK(r.rc == 0);
    CHECK(r.res.added == 0 && r.res.changed == 0 && r.res.unchanged == 0);
    free(r.errors);

    r = import_text(db, m, "quote.csv", "student_id,name,grade,class\n" ID1 ",\"张三,7,7(1)\n");
    CHECK(r.rc == -1);
    CHECK(mentions(&r, "quote.csv", ":2: quoted field opened on line 2 is never closed"));
    free(r.errors);
    CHECK(last_seq(db) == before);
}

/* A column the file does not have keeps the stored value; feedback line breaks become spaces. */
static void test_absent_columns_and_feedback(sqlite3 *db, const struct rcl_school_meta *m)
{
    struct rcl_student s;
    uint64_t before = last_seq(db);
    struct run r =
        import_text(db, m, "short.csv", "student_id,name,grade,class\n" ID2 ",李四,7,7(1)\n");
    CHECK(r.rc == 0 && r.res.unchanged == 1);
    CHECK(last_seq(db) == before);
    CHECK(rcl_school_student_get(db, ID2, &s) == 1);
    CHECK(s.devices == (RCL_BIT(RCL_DEV_TV) | RCL_BIT(RCL_DEV_TABLET)));
    free(r.errors);

    r = import_text(db, m, "fb.csv",
                    "student_id,name,grade,class,feedback,platform\n" ID2
                    ",李四,7,7(1),\"needs a\r\ndata plan\",国家中小学网络云平台\n");
    CHECK(r.rc == 0 && r.res.changed == 1);
    CHECK(rcl_school_student_get(db, ID2, &s) == 1);
    CHECK_STR(s.feedback, "needs a data plan");
    CHECK_STR(s.platform, "国家中小学网络云平台");
    free(r.errors);
}

static void test_many_errors_are_capped(sqlite3 *db, const struct rcl_school_meta *m)
{
    size_t cap = 200 * 40 + 64;
    char *text = malloc(cap);
    size_t n = 0;
    if (text == NULL)
        return;
    n += (size_t)snprintf(text + n, cap - n, "student_id,name,grade,class\n");
    for (int i = 0; i < 150; i++)
        n += (size_t)snprintf(text + n, cap - n, "J%018d,x,0,c\n", i);
    struct run r = import_text(db, m, "many.csv", text);
    CHECK(r.rc == -1);
    CHECK(r.res.errors == 150);
    CHECK(mentions(&r, "many.csv", ":101: grade '0' is out of range 1-12"));
    CHECK(!mentions(&r, "many.csv", ":102:"));
    CHECK(r.errors != NULL && strstr(r.errors, "... and 50 more\n") != NULL);
    free(r.errors);
    free(text);
}

static void test_pseudonym_keys(void)
{
    uint8_t k1[32], k2[32], p1[32], p2[32];
    char err[256];
    char path[700];
    FILE *f;

    rcl_school_pseudonym_default_key(k1);
    rcl_school_pseudonym(k1, ID1, p1);
    rcl_school_pseudonym(k1, ID1, p2);
    CHECK(memcmp(p1, p2, 32) == 0);
    rcl_school_pseudonym(k1, ID2, p2);
    CHECK(memcmp(p1, p2, 32) != 0);

    snprintf(path, sizeof(path), "%s/pseudonym.key", dir);
    f = fopen(path, "w");
    if (f != NULL) {
        fputs("  000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", f);
        fclose(f);
    }
    chmod(path, 0600); /* a key file readable by others is refused */
    CHECK(rcl_school_pseudonym_key_read(path, k2, err, sizeof(err)) == 0);
    CHECK(k2[0] == 0 && k2[31] == 0x1f);
    rcl_school_pseudonym(k2, ID1, p2);
    CHECK(memcmp(p1, p2, 32) != 0);

    f = fopen(path, "w");
    if (f != NULL) {
        fputs("0001020304\n", f);
        fclose(f);
    }
    chmod(path, 0600);
    CHECK(rcl_school_pseudonym_key_read(path, k2, err, sizeof(err)) == -1);
    CHECK(strstr(err, "expected 64 hex characters") != NULL);
}

int main(void)
{
    struct rcl_school_meta m;
    sqlite3 *db;

    if (rcl_keys_init() != 0 || rcl_test_tmpdir("test_school_store", dir, sizeof(dir)) != 0) {
        fprintf(stderr, "cannot set up\n");
        return 1;
    }
    db = make_store(&m);
    if (db == NULL)
        return 1;
    test_init_and_meta(db, &m);
    fprintf(stderr, "ok   init\n");
#define RUN_WITH_STORE(fn)                                                                         \
    do {                                                                                           \
        int before_ = rcl_test_failures;                                                           \
        fn(db, &m);                                                                                \
        fprintf(stderr, "%s %s\n", rcl_test_failures == before_ ? "ok  " : "FAIL", #fn);           \
    } while (0)
    RUN_WITH_STORE(test_good_import);
    RUN_WITH_STORE(test_outbox_is_pseudonymous);
    RUN_WITH_STORE(test_reimport_appends_nothing);
    RUN_WITH_STORE(test_changed_row_appends_one);
    RUN_WITH_STORE(test_bad_rows_change_nothing);
    RUN_WITH_STORE(test_row_shape_and_duplicates);
    RUN_WITH_STORE(test_header_problems);
    RUN_WITH_STORE(test_absent_columns_and_feedback);
    RUN_WITH_STORE(test_many_errors_are_capped);
    RCL_TEST_RUN(test_pseudonym_keys);
    rcl_school_meta_wipe(&m);
    rcl_db_close(&db);
    return RCL_TEST_RESULT();
}

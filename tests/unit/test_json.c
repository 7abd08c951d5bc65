/*
 * test_json.c - the report writers: JSON structure and escaping, the
 * contract's totals object with every key (zeros included), and the CSV
 * columns and field quoting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_json.h"
#include "rcl_test.h"

/* Captures what fn writes to a FILE. */
struct capture {
    FILE *f;
    char *buf;
    size_t len;
};

static void cap_open(struct capture *c)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    if (c->f == NULL) {
        perror("open_memstream");
        exit(2);
    }
}

/* Closes the stream; the text stays in c->buf until cap_free. */
static const char *cap_text(struct capture *c)
{
    fclose(c->f);
    c->f = NULL;
    return c->buf;
}

static void cap_free(struct capture *c)
{
    free(c->buf);
    c->buf = NULL;
}

static void test_structure(void)
{
    struct capture c;
    struct rcl_json j;

    cap_open(&c);
    rcl_json_init(&j, c.f);
    rcl_json_object_begin(&j);
    rcl_json_key(&j, "a");
    rcl_json_array_begin(&j);
    rcl_json_uint(&j, 1);
    rcl_json_uint(&j, UINT64_MAX);
    rcl_json_object_begin(&j);
    rcl_json_key(&j, "b");
    rcl_json_null(&j);
    rcl_json_object_end(&j);
    rcl_json_array_begin(&j);
    rcl_json_array_end(&j);
    rcl_json_array_end(&j);
    rcl_json_key(&j, "c");
    rcl_json_bool(&j, true);
    rcl_json_key(&j, "d");
    rcl_json_int(&j, -5);
    rcl_json_key(&j, "e");
    rcl_json_string(&j, "x");
    rcl_json_key(&j, "f");
    rcl_json_object_begin(&j);
    rcl_json_object_end(&j);
    rcl_json_key(&j, "g");
    rcl_json_bool(&j, false);
    rcl_json_key(&j, "h");
    rcl_json_int(&j, INT64_MIN);
    rcl_json_key(&j, "i");
    rcl_json_string(&j, NULL);
    rcl_json_object_end(&j);
    CHECK_STR(cap_text(&c), "{\"a\":[1,18446744073709551615,{\"b\":null},[]],\"c\":true,\"d\":-5,"
                            "\"e\":\"x\",\"f\":{},\"g\":false,\"h\":-9223372036854775808,"
                            "\"i\":null}");
    cap_free(&c);

    /* Arrays in arrays: commas only between siblings. */
    cap_open(&c);
    rcl_json_init(&j, c.f);
    rcl_json_array_begin(&j);
    rcl_json_array_begin(&j);
    rcl_json_array_end(&j);
    rcl_json_array_begin(&j);
    rcl_json_uint(&j, 0);
    rcl_json_array_end(&j);
    rcl_json_array_end(&j);
    CHECK_STR(cap_text(&c), "[[],[0]]");
    cap_free(&c);
}

static void test_escaping(void)
{
    struct capture c;
    struct rcl_json j;

    cap_open(&c);
    rcl_json_init(&j, c.f);
    rcl_json_object_begin(&j);
    rcl_json_key(&j, "k\"ey");
    rcl_json_string(&j, "q\"b\\s/\n\r\t\b\f\x01\x1f\x7f \xE5\xBC\xA0\xE4\xB8\x89");
    rcl_json_object_end(&j);
    CHECK_STR(cap_text(&c), "{\"k\\\"ey\":\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f "
                            "\xE5\xBC\xA0\xE4\xB8\x89\"}");
    cap_free(&c);
}

static const char *zero_totals_json =
    "{\"students\":0,\"condition_online\":0,\"condition_tv_only\":0,\"condition_none\":0,"
    "\"blind_spots\":0,\"groups\":{\"poverty_card\":0,\"hardship\":0,\"frontline_family\":0,"
    "\"left_behind\":0,\"migrant\":0,\"disabled\":0,\"other\":0},\"measures\":{\"tv_at_village\":"
    "0,\"loaned_device\":0,\"data_subsidy\":0,\"one_to_one\":0,\"paper_materials\":0,\"funding\":"
    "0},\"participation\":{\"active\":0,\"irregular\":0,\"absent\":0,\"opted_out\":0}}";

static void test_totals_json(void)
{
    struct capture c;
    struct rcl_json j;
    struct rcl_totals t;
    const char *text;

    /* Every key is there even when everything is zero. */
    memset(&t, 0, sizeof(t));
    cap_open(&c);
    rcl_json_init(&j, c.f);
    rcl_json_totals(&j, &t);
    CHECK_STR(cap_text(&c), zero_totals_json);
    cap_free(&c);

    /* Values land under the right keys, and the object nests as a value. */
    t.students = 10;
    t.condition[RCL_COND_ONLINE] = 5;
    t.condition[RCL_COND_TV_ONLY] = 3;
    t.condition[RCL_COND_NONE] = 2;
    t.blind_spots = 1;
    t.groups[RCL_GROUP_OTHER] = 4;
    t.measures[RCL_MEASURE_FUNDING] = 6;
    t.participation[RCL_PART_OPTED_OUT] = 7;
    cap_open(&c);
    rcl_json_init(&j, c.f);
    rcl_json_object_begin(&j);
    rcl_json_key(&j, "scope");
    rcl_json_string(&j, "410102");
    rcl_json_key(&j, "totals");
    rcl_json_totals(&j, &t);
    rcl_json_key(&j, "after");
    rcl_json_uint(&j, 1);
    rcl_json_object_end(&j);
    text = cap_text(&c);
    {
        const char *head = "{\"scope\":\"410102\",\"totals\":{\"students\":10,";
        CHECK(strncmp(text, head, strlen(head)) == 0);
    }
    CHECK(strstr(text, "\"condition_online\":5,\"condition_tv_only\":3,\"condition_none\":2,"
                       "\"blind_spots\":1,") != NULL);
    CHECK(strstr(text, "\"other\":4}") != NULL);
    CHECK(strstr(text, "\"funding\":6}") != NULL);
    CHECK(strstr(text, "\"opted_out\":7}},\"after\":1}") != NULL);
    cap_free(&c);
}

static void test_csv(void)
{
    struct capture c;
    struct rcl_totals t;

    cap_open(&c);
    rcl_csv_totals_header(c.f);
    CHECK_STR(cap_text(&c),
              "students,condition_online,condition_tv_only,condition_none,blind_spots,"
              "groups.poverty_card,groups.hardship,groups.frontline_family,groups.left_behind,"
              "groups.migrant,groups.disabled,groups.other,measures.tv_at_village,"
              "measures.loaned_device,measures.data_subsidy,measures.one_to_one,"
              "measures.paper_materials,measures.funding,participation.active,"
              "participation.irregular,participation.absent,participation.opted_out\n");
    cap_free(&c);

    memset(&t, 0, sizeof(t));
    t.students = 9;
    t.condition[RCL_COND_NONE] = 9;
    t.blind_spots = 8;
    t.groups[RCL_GROUP_POVERTY_CARD] = 1;
    t.measures[RCL_MEASURE_TV_AT_VILLAGE] = 2;
    t.participation[RCL_PART_ACTIVE] = 9;
    cap_open(&c);
    rcl_csv_totals_row(c.f, &t);
    CHECK_STR(cap_text(&c), "9,0,0,9,8,1,0,0,0,0,0,0,2,0,0,0,0,0,9,0,0,0\n");
    cap_free(&c);

    {
        static const struct {
            const char *in, *out;
        } cases[] = {
            {"", ""},
            {"plain", "plain"},
            {"\xE4\xB8\x80\xE4\xB8\xAD", "\xE4\xB8\x80\xE4\xB8\xAD"},
            {"a,b", "\"a,b\""},
            {"say \"hi\"", "\"say \"\"hi\"\"\""},
            {"\"", "\"\"\"\""},
            {"two\nlines", "\"two\nlines\""},
            {"cr\r", "\"cr\r\""},
            {"semi;colon", "semi;colon"},
            {"=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""},
            {"+1", "\"'+1\""},
            {"-2", "\"'-2\""},
            {"@SUM(A1)", "\"'@SUM(A1)\""},
            {"a=b", "a=b"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            cap_open(&c);
            rcl_csv_field(c.f, cases[i].in);
            CHECK_STR(cap_text(&c), cases[i].out);
            cap_free(&c);
        }
    }
}

int main(void)
{
    RCL_TEST_RUN(test_structure);
    RCL_TEST_RUN(test_escaping);
    RCL_TEST_RUN(test_totals_json);
    RCL_TEST_RUN(test_csv);
    return RCL_TEST_RESULT();
}

/*
 * rcl_json.c - a compact streaming JSON writer, and the totals object and CSV
 * columns every report shares.
 */
#include "rcl_json.h"

#include <inttypes.h>
#include <string.h>

void rcl_json_init(struct rcl_json *j, FILE *out)
{
    j->out = out;
    j->depth = 0;
    for (int i = 0; i < RCL_JSON_DEPTH_MAX; i++)
        j->need_comma[i] = false;
    j->after_key = false;
}

/* Writes the separator a value needs where it stands, and records that one was written. */
static void before_value(struct rcl_json *j)
{
    if (j->after_key) {
        j->after_key = false;
    } else if (j->need_comma[j->depth]) {
        fputc(',', j->out);
    }
    j->need_comma[j->depth] = true;
}

static void open_container(struct rcl_json *j, char c)
{
    before_value(j);
    fputc(c, j->out);
    /* Nesting deeper than the table would need a bigger table, not a crash:
     * past the limit commas are tracked at the last level. */
    if (j->depth < RCL_JSON_DEPTH_MAX - 1)
        j->depth++;
    j->need_comma[j->depth] = false;
}

static void close_container(struct rcl_json *j, char c)
{
    fputc(c, j->out);
    if (j->depth > 0)
        j->depth--;
}

void rcl_json_object_begin(struct rcl_json *j)
{
    open_container(j, '{');
}

void rcl_json_object_end(struct rcl_json *j)
{
    close_container(j, '}');
}

void rcl_json_array_begin(struct rcl_json *j)
{
    open_container(j, '[');
}

void rcl_json_array_end(struct rcl_json *j)
{
    close_container(j, ']');
}

static void write_escaped(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        case '\b':
            fputs("\\b", out);
            break;
        case '\f':
            fputs("\\f", out);
            break;
        default:
            if (*p < 0x20 || *p == 0x7F)
                fprintf(out, "\\u%04x", (unsigned)*p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

void rcl_json_key(struct rcl_json *j, const char *key)
{
    before_value(j);
    write_escaped(j->out, key);
    fputc(':', j->out);
    j->after_key = true;
}

void rcl_json_string(struct rcl_json *j, const char *s)
{
    if (s == NULL) {
        rcl_json_null(j);
        return;
    }
    before_value(j);
    write_escaped(j->out, s);
}

void rcl_json_uint(struct rcl_json *j, uint64_t v)
{
    before_value(j);
    fprintf(j->out, "%" PRIu64, v);
}

void rcl_json_int(struct rcl_json *j, int64_t v)
{
    before_value(j);
    fprintf(j->out, "%" PRId64, v);
}

void rcl_json_bool(struct rcl_json *j, bool v)
{
    before_value(j);
    fputs(v ? "true" : "false", j->out);
}

void rcl_json_null(struct rcl_json *j)
{
    before_value(j);
    fputs("null", j->out);
}

static void json_counts(struct rcl_json *j, const char *key, const char *const *names,
                        const uint64_t *v, int count)
{
    rcl_json_key(j, key);
    rcl_json_object_begin(j);
    for (int i = 0; i < count; i++) {
        rcl_json_key(j, names[i]);
        rcl_json_uint(j, v[i]);
    }
    rcl_json_object_end(j);
}

void rcl_json_totals(struct rcl_json *j, const struct rcl_totals *t)
{
    rcl_json_object_begin(j);
    rcl_json_key(j, "students");
    rcl_json_uint(j, t->students);
    for (int c = 0; c < RCL_CONDITION_COUNT; c++) {
        char key[32];
        snprintf(key, sizeof(key), "condition_%s", rcl_condition_names[c]);
        rcl_json_key(j, key);
        rcl_json_uint(j, t->condition[c]);
    }
    rcl_json_key(j, "blind_spots");
    rcl_json_uint(j, t->blind_spots);
    json_counts(j, "groups", rcl_group_names, t->groups, RCL_GROUP_COUNT);
    json_counts(j, "measures", rcl_measure_kind_names, t->measures, RCL_MEASURE_KIND_COUNT);
    json_counts(j, "participation", rcl_participation_names, t->participation,
                RCL_PARTICIPATION_COUNT);
    rcl_json_object_end(j);
}

void rcl_csv_totals_header(FILE *out)
{
    fputs("students", out);
    for (int c = 0; c < RCL_CONDITION_COUNT; c++)
        fprintf(out, ",condition_%s", rcl_condition_names[c]);
    fputs(",blind_spots", out);
    for (int i = 0; i < RCL_GROUP_COUNT; i++)
        fprintf(out, ",groups.%s", rcl_group_names[i]);
    for (int i = 0; i < RCL_MEASURE_KIND_COUNT; i++)
        fprintf(out, ",measures.%s", rcl_measure_kind_names[i]);
    for (int i = 0; i < RCL_PARTICIPATION_COUNT; i++)
        fprintf(out, ",participation.%s", rcl_participation_names[i]);
    fputc('\n', out);
}

void rcl_csv_totals_row(FILE *out, const struct rcl_totals *t)
{
    fprintf(out, "%" PRIu64, t->students);
    for (int c = 0; c < RCL_CONDITION_COUNT; c++)
        fprintf(out, ",%" PRIu64, t->condition[c]);
    fprintf(out, ",%" PRIu64, t->blind_spots);
    for (int i = 0; i < RCL_GROUP_COUNT; i++)
        fprintf(out, ",%" PRIu64, t->groups[i]);
    for (int i = 0; i < RCL_MEASURE_KIND_COUNT; i++)
        fprintf(out, ",%" PRIu64, t->measures[i]);
    for (int i = 0; i < RCL_PARTICIPATION_COUNT; i++)
        fprintf(out, ",%" PRIu64, t->participation[i]);
    fputc('\n', out);
}

void rcl_csv_field(FILE *out, const char *s)
{
    /* A spreadsheet runs a cell that starts like this as a formula: names come from
     * schools, so such a cell is quoted and led by an apostrophe, shown as text. */
    bool formula = s != NULL && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;

    if (s == NULL)
        return;
    if (!formula && strpbrk(s, ",\"\n\r") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    if (formula)
        fputc('\'', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

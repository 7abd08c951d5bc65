/*
 * rcl_json.c - a compact streaming JSON writer, and the totals object and CSV
 * columns every report shares.
 */
#include "rcl_json.h"

#include <inttypes.h>
#include <string.h>

#include "rcl_counts.h"

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

void rcl_json_totals_suppressed(struct rcl_json *j, const struct rcl_totals *t,
                                uint64_t suppress_below)
{
    const char *open_set = NULL; /* the set whose object is open */

    rcl_json_object_begin(j);
    for (enum rcl_count k = 0; k < RCL_COUNTS_N; k++) {
        const struct rcl_count_info *c = &rcl_counts[k];
        uint64_t v = rcl_count_get(t, k);

        if (open_set != NULL && (c->set == NULL || strcmp(c->set, open_set) != 0)) {
            rcl_json_object_end(j);
            open_set = NULL;
        }
        if (c->set != NULL && open_set == NULL) {
            rcl_json_key(j, c->set);
            rcl_json_object_begin(j);
            open_set = c->set;
        }
        rcl_json_key(j, c->key);
        if (v > 0 && v < suppress_below)
            rcl_json_null(j);
        else
            rcl_json_uint(j, v);
    }
    if (open_set != NULL)
        rcl_json_object_end(j);
    rcl_json_object_end(j);
}

void rcl_json_totals(struct rcl_json *j, const struct rcl_totals *t)
{
    rcl_json_totals_suppressed(j, t, 0);
}

void rcl_csv_totals_header(FILE *out)
{
    for (enum rcl_count k = 0; k < RCL_COUNTS_N; k++)
        fprintf(out, "%s%s", k > 0 ? "," : "", rcl_counts[k].name);
    fputc('\n', out);
}

void rcl_csv_totals_row(FILE *out, const struct rcl_totals *t)
{
    for (enum rcl_count k = 0; k < RCL_COUNTS_N; k++)
        fprintf(out, "%s%" PRIu64, k > 0 ? "," : "", rcl_count_get(t, k));
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

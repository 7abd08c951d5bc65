/*
 * agg_divisions.c - reading the divisions table for reports.
 */
#include "agg_divisions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 2048
#define MAX_FIELDS 16

enum col { COL_CODE, COL_NAME, COL_CITY_CODE, COL_CITY_NAME, COL_REPORTS_TO, COL_COUNT };
static const char *const col_names[COL_COUNT] = {"code", "name", "city_code", "city_name",
                                                 "reports_to"};

/*
 * Splits line (modified in place, quotes removed) into at most MAX_FIELDS
 * fields. A field may be quoted, with "" for a quote. Returns the count, or
 * -1 when a quote is left open or there are too many fields.
 */
static int split(char *line, char *fields[MAX_FIELDS])
{
    int n = 0;
    char *r = line, *w = line;

    for (;;) {
        if (n == MAX_FIELDS)
            return -1;
        fields[n++] = w;
        if (*r == '"') {
            r++;
            for (;;) {
                if (*r == '\0')
                    return -1;
                if (*r == '"' && r[1] == '"') {
                    *w++ = '"';
                    r += 2;
                } else if (*r == '"') {
                    r++;
                    break;
                } else {
                    *w++ = *r++;
                }
            }
        }
        while (*r != '\0' && *r != ',')
            *w++ = *r++;
        if (*r == '\0') {
            *w = '\0';
            return n;
        }
        *w++ = '\0';
        r++;
    }
}

static int cmp_division(const void *a, const void *b)
{
    return strcmp(((const struct rcl_agg_division *)a)->code,
                  ((const struct rcl_agg_division *)b)->code);
}

/* Copies field s into dst; -1 when it is too long or not clean UTF-8. */
static int take(char *dst, size_t dstlen, const char *s)
{
    size_t len = strlen(s);

    if (len >= dstlen || !rcl_utf8_valid(s, len))
        return -1;
    memcpy(dst, s, len + 1);
    return 0;
}

int rcl_agg_divisions_load(const char *path, struct rcl_agg_divisions *out, char *err,
                           size_t errlen)
{
    FILE *f = fopen(path, "r");
    char line[LINE_MAX_BYTES], *fields[MAX_FIELDS];
    int at[COL_COUNT], n_fields = 0, n, lineno = 0;
    size_t cap = 0;

    memset(out, 0, sizeof(*out));
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    for (int c = 0; c < COL_COUNT; c++)
        at[c] = -1;
    while (fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);
        char *text = line;
        struct rcl_agg_division *d;

        lineno++;
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            snprintf(err, errlen, "%s:%d: line longer than %d bytes", path, lineno,
                     LINE_MAX_BYTES - 2);
            goto fail;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (lineno == 1 && strncmp(text, "\xEF\xBB\xBF", 3) == 0)
            text += 3;
        if (*text == '\0')
            continue;
        n = split(text, fields);
        if (n < 0) {
            snprintf(err, errlen, "%s:%d: an unclosed quote or more than %d columns", path, lineno,
                     MAX_FIELDS);
            goto fail;
        }
        if (n_fields == 0) {
            n_fields = n;
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < COL_COUNT; c++) {
                    if (strcmp(fields[i], col_names[c]) == 0)
                        at[c] = i;
                }
            }
            if (at[COL_CODE] < 0 || at[COL_NAME] < 0) {
                snprintf(err, errlen, "%s:1: the header needs columns 'code' and 'name'", path);
                goto fail;
            }
            continue;
        }
        if (n != n_fields) {
            snprintf(err, errlen, "%s:%d: %d columns where the header has %d", path, lineno, n,
                     n_fields);
            goto fail;
        }
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            void *p = realloc(out->rows, ncap * sizeof(*out->rows));

            if (!p) {
                snprintf(err, errlen, "%s:%d: out of memory", path, lineno);
                goto fail;
            }
            out->rows = p;
            cap = ncap;
        }
        d = &out->rows[out->n];
        memset(d, 0, sizeof(*d));
        for (int c = 0; c < COL_COUNT; c++) {
            char *dst = c == COL_CODE        ? d->code
                        : c == COL_NAME      ? d->name
                        : c == COL_CITY_CODE ? d->city_code
                        : c == COL_CITY_NAME ? d->city_name
                                             : d->reports_to;
            size_t dstlen =
                (c == COL_NAME || c == COL_CITY_NAME) ? RCL_NAME_MAX + 1 : RCL_ID_MAX + 1;

            if (at[c] >= 0 && take(dst, dstlen, fields[at[c]]) != 0) {
                snprintf(err, errlen, "%s:%d: %s is too long or not UTF-8 text", path, lineno,
                         col_names[c]);
                goto fail;
            }
        }
        if (d->code[0] == '\0') {
            snprintf(err, errlen, "%s:%d: code is empty", path, lineno);
            goto fail;
        }
        out->n++;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        goto fail;
    }
    if (n_fields == 0) {
        snprintf(err, errlen, "%s: empty (a header with 'code' and 'name' is needed)", path);
        goto fail;
    }
    fclose(f);
    if (out->n > 1)
        qsort(out->rows, out->n, sizeof(*out->rows), cmp_division);
    for (size_t i = 1; i < out->n; i++) {
        if (strcmp(out->rows[i - 1].code, out->rows[i].code) == 0) {
            snprintf(err, errlen, "%s: code '%s' is listed twice", path, out->rows[i].code);
            rcl_agg_divisions_free(out);
            return -1;
        }
    }
    return 0;
fail:
    fclose(f);
    rcl_agg_divisions_free(out);
    return -1;
}

void rcl_agg_divisions_free(struct rcl_agg_divisions *d)
{
    free(d->rows);
    d->rows = NULL;
    d->n = 0;
}

static int cmp_code(const void *key, const void *elem)
{
    return strcmp(key, ((const struct rcl_agg_division *)elem)->code);
}

const struct rcl_agg_division *rcl_agg_divisions_find(const struct rcl_agg_divisions *d,
                                                      const char *code)
{
    if (!d || d->n == 0)
        return NULL;
    return bsearch(code, d->rows, d->n, sizeof(*d->rows), cmp_code);
}

const char *rcl_agg_divisions_name(const struct rcl_agg_divisions *d, const char *code)
{
    const struct rcl_agg_division *row = rcl_agg_divisions_find(d, code);

    if (row)
        return row->name;
    for (size_t i = 0; d && i < d->n; i++) {
        if (strcmp(d->rows[i].city_code, code) == 0 && d->rows[i].city_name[0])
            return d->rows[i].city_name;
    }
    /* No table lists the province as a division of itself, yet every report above names it. */
    return strcmp(code, RCL_AGG_PROVINCE_CODE) == 0 ? RCL_AGG_PROVINCE_NAME : NULL;
}

const char *rcl_agg_divisions_name_en(const char *code)
{
    return strcmp(code, RCL_AGG_PROVINCE_CODE) == 0 ? RCL_AGG_PROVINCE_NAME_EN : NULL;
}

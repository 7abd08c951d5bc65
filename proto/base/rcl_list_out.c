/*
 * rcl_list_out.c - a list's rows as aligned text, CSV (UTF-8 with a byte order
 * mark, formula-guarded cells, CRLF) or one JSON object.
 */
#include "rcl_list_out.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_json.h"

int rcl_agg_list_format_parse(const char *word, enum rcl_agg_list_format *out)
{
    static const char *const names[] = {"text", "csv", "json"};

    for (int i = 0; i < 3; i++) {
        if (strcmp(word, names[i]) == 0) {
            *out = (enum rcl_agg_list_format)i;
            return 0;
        }
    }
    return -1;
}

int rcl_agg_list_lang_parse(const char *word, enum rcl_agg_list_lang *out)
{
    if (strcmp(word, "zh") == 0)
        *out = RCL_AGG_LANG_ZH;
    else if (strcmp(word, "en") == 0)
        *out = RCL_AGG_LANG_EN;
    else
        return -1;
    return 0;
}

int rcl_agg_table_add(struct rcl_agg_table *t, const char *const *cells)
{
    char **row;

    if (t->nrows == t->cap_rows) {
        size_t cap = t->cap_rows ? t->cap_rows * 2 : 64;
        char **p = realloc(t->cells, cap * t->ncols * sizeof(*p));

        if (!p)
            return -1;
        t->cells = p;
        t->cap_rows = cap;
    }
    row = &t->cells[t->nrows * t->ncols];
    for (size_t c = 0; c < t->ncols; c++) {
        row[c] = strdup(cells[c] ? cells[c] : "");
        if (!row[c]) {
            while (c > 0)
                free(row[--c]);
            return -1;
        }
    }
    t->nrows++;
    return 0;
}

void rcl_agg_table_clear(struct rcl_agg_table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->nrows = t->cap_rows = 0;
}

static const char *cell(const struct rcl_agg_table *t, size_t r, size_t c)
{
    return t->cells[r * t->ncols + c];
}

static const char *header(const struct rcl_agg_col *col, enum rcl_agg_list_lang lang)
{
    return lang == RCL_AGG_LANG_ZH && col->zh ? col->zh : col->name;
}

/* ---- Chinese words ---- */

/* The word of code (len bytes) in v, or NULL when v does not know it. */
static const char *word_of(const struct rcl_agg_vocab *v, const char *code, size_t len)
{
    int i = rcl_name_find(v->codes, v->count, code, len);

    return i >= 0 ? v->zh[i][0] : NULL;
}

const char *rcl_agg_word_zh(const struct rcl_agg_col *col, const char *code)
{
    const char *w = col->vocab ? word_of(col->vocab, code, strlen(code)) : NULL;

    return w ? w : code;
}

/* Appends len bytes of s at *pos; false when out is full (what fits is kept). */
static bool append(char *out, size_t outlen, size_t *pos, const char *s, size_t len)
{
    if (*pos + len >= outlen)
        return false;
    memcpy(out + *pos, s, len);
    *pos += len;
    out[*pos] = '\0';
    return true;
}

/* One code, or "kind:status", in Chinese; unknown words as they are. */
static bool append_item(const struct rcl_agg_vocab *v, const char *item, size_t len, char *out,
                        size_t outlen, size_t *pos)
{
    const char *colon = v->status ? memchr(item, ':', len) : NULL;
    size_t klen = colon ? (size_t)(colon - item) : len;
    const char *w = word_of(v, item, klen);

    if (!append(out, outlen, pos, w ? w : item, w ? strlen(w) : klen))
        return false;
    if (!colon)
        return true;
    w = word_of(v->status, colon + 1, len - klen - 1);
    return append(out, outlen, pos, "\xEF\xBC\x9A", 3) && /* the full-width colon */
           append(out, outlen, pos, w ? w : colon + 1, w ? strlen(w) : len - klen - 1);
}

/* A cell as Chinese readers see it: a malloc'd string, or NULL out of memory. */
static char *translate(const struct rcl_agg_col *col, const char *v)
{
    size_t outlen = strlen(v) * 4 + 16, pos = 0;
    char *out = malloc(outlen);

    if (!out)
        return NULL;
    out[0] = '\0';
    if (col->type != RCL_AGG_COL_SET) {
        append_item(col->vocab, v, strlen(v), out, outlen, &pos);
        return out;
    }
    for (bool first = true; *v;) {
        size_t len = strcspn(v, ";");

        if (len > 0) {
            if (!first)
                append(out, outlen, &pos, "\xE3\x80\x81", 3); /* the enumeration comma */
            append_item(col->vocab, v, len, out, outlen, &pos);
            first = false;
        }
        v += len;
        if (*v == ';')
            v++;
    }
    return out;
}

char *rcl_agg_cell_zh(const struct rcl_agg_col *col, const char *v)
{
    return col->vocab ? translate(col, v) : strdup(v);
}

/*
 * The cells as they are printed in lang: the table's own, or (Chinese, and a
 * column with a vocabulary) a translated copy in *view. 0, or -1 out of memory.
 */
static int view_of(const struct rcl_agg_table *t, enum rcl_agg_list_lang lang,
                   struct rcl_agg_table *view)
{
    bool any = false;

    *view = *t;
    for (size_t c = 0; c < t->ncols; c++)
        any |= t->cols[c].vocab != NULL;
    if (lang != RCL_AGG_LANG_ZH || !any || t->nrows == 0) {
        view->cap_rows = 0; /* borrowed: view_clear leaves it */
        return 0;
    }
    view->cells = calloc(t->nrows * t->ncols, sizeof(*view->cells));
    if (!view->cells)
        return -1;
    view->cap_rows = t->nrows;
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *v = cell(t, r, c);
            char **dst = &view->cells[r * t->ncols + c];

            *dst = rcl_agg_cell_zh(&t->cols[c], v);
            if (!*dst) {
                rcl_agg_table_clear(view);
                return -1;
            }
        }
    }
    return 0;
}

static void view_clear(struct rcl_agg_table *view)
{
    if (view->cap_rows > 0)
        rcl_agg_table_clear(view);
}

/* ---- text ---- */

/* East Asian wide and fullwidth ranges: Chinese names take two columns each. */
static bool wide(uint32_t cp)
{
    static const uint32_t ranges[][2] = {
        {0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF}, {0x3400, 0x4DBF},
        {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xAC00, 0xD7A3}, {0xF900, 0xFAFF},
        {0xFE30, 0xFE4F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F},
        {0x1F900, 0x1F9FF}, {0x20000, 0x3FFFD},
    };

    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        if (cp >= ranges[i][0] && cp <= ranges[i][1])
            return true;
    }
    return false;
}

size_t rcl_agg_text_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0;

    while (*p) {
        uint32_t cp;
        int more;

        if (*p < 0x80) {
            cp = *p;
            more = 0;
        } else if ((*p & 0xE0) == 0xC0) {
            cp = *p & 0x1F;
            more = 1;
        } else if ((*p & 0xF0) == 0xE0) {
            cp = *p & 0x0F;
            more = 2;
        } else {
            cp = *p & 0x07;
            more = 3;
        }
        p++;
        for (; more > 0 && (*p & 0xC0) == 0x80; more--, p++)
            cp = (cp << 6) | (*p & 0x3F);
        if (cp >= 0x0300 && cp <= 0x036F) /* combining marks sit on the character before */
            continue;
        w += wide(cp) ? 2 : 1;
    }
    return w;
}

/* A cell as a terminal shows it: control characters (a tab in a name) become spaces. */
static void text_cell(FILE *out, const char *s, size_t width, bool right)
{
    size_t w = rcl_agg_text_width(s);

    if (!*s) {
        s = "-";
        w = 1;
    }
    for (size_t i = w; right && i < width; i++)
        fputc(' ', out);
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7F ? ' ' : *s, out);
    for (size_t i = w; !right && i < width; i++)
        fputc(' ', out);
}

static void text_header(const struct rcl_agg_table *t, enum rcl_agg_list_lang lang,
                        const size_t *width, FILE *out)
{
    for (size_t c = 0; c < t->ncols; c++) {
        bool last = c + 1 == t->ncols;
        bool right = t->cols[c].type == RCL_AGG_COL_INT;

        if (c > 0)
            fputs("  ", out);
        text_cell(out, header(&t->cols[c], lang), last && !right ? 0 : width[c], right);
    }
    fputc('\n', out);
}

static int write_text(const struct rcl_agg_table *t, enum rcl_agg_list_lang lang, FILE *out)
{
    size_t *width = calloc(t->ncols, sizeof(*width));

    if (!width)
        return -1;
    for (size_t c = 0; c < t->ncols; c++) {
        width[c] = rcl_agg_text_width(header(&t->cols[c], lang)); /* Chinese ones are wide too */
        for (size_t r = 0; r < t->nrows; r++) {
            size_t w = rcl_agg_text_width(cell(t, r, c));

            if (w > width[c])
                width[c] = w;
        }
    }
    if (!t->runs || t->nrows == 0)
        text_header(t, lang, width, out);
    for (size_t r = 0; r < t->nrows; r++) {
        if (t->runs && (r == 0 || strcmp(cell(t, r, 0), cell(t, r - 1, 0)) != 0)) {
            if (r > 0)
                fputc('\n', out);
            text_header(t, lang, width, out);
        }
        for (size_t c = 0; c < t->ncols; c++) {
            bool last = c + 1 == t->ncols;
            bool right = t->cols[c].type == RCL_AGG_COL_INT;

            if (c > 0)
                fputs("  ", out);
            /* The last column is not padded: no trailing blanks. */
            text_cell(out, cell(t, r, c), last && !right ? 0 : width[c], right);
        }
        fputc('\n', out);
    }
    fprintf(out, "(%zu row%s)\n", t->nrows, t->nrows == 1 ? "" : "s");
    free(width);
    return 0;
}

/* ---- CSV ---- */

static void write_csv(const struct rcl_agg_table *t, enum rcl_agg_list_lang lang, FILE *out)
{
    /* The byte order mark tells Excel the file is UTF-8 (names are Chinese). */
    fputs("\xEF\xBB\xBF", out);
    for (size_t c = 0; c < t->ncols; c++) {
        if (c > 0)
            fputc(',', out);
        rcl_csv_field(out, header(&t->cols[c], lang));
    }
    fputs("\r\n", out);
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            if (c > 0)
                fputc(',', out);
            rcl_csv_field(out, cell(t, r, c));
        }
        fputs("\r\n", out);
    }
}

/* ---- JSON ---- */

static void json_set(struct rcl_json *j, const char *s)
{
    char item[256];

    rcl_json_array_begin(j);
    while (*s) {
        size_t len = strcspn(s, ";");

        if (len > 0) {
            snprintf(item, sizeof(item), "%.*s", (int)len, s);
            rcl_json_string(j, item);
        }
        s += len;
        if (*s == ';')
            s++;
    }
    rcl_json_array_end(j);
}

static void write_json(const struct rcl_agg_table *t, const struct rcl_agg_list_head *head,
                       FILE *out)
{
    struct rcl_json j;

    rcl_json_init(&j, out);
    rcl_json_object_begin(&j);
    rcl_json_key(&j, "kind");
    rcl_json_string(&j, head->kind);
    rcl_json_key(&j, "scope");
    rcl_json_string(&j, head->scope);
    rcl_json_key(&j, "tier");
    rcl_json_string(&j, head->tier);
    rcl_json_key(&j, "school");
    if (head->school)
        rcl_json_string(&j, head->school);
    else
        rcl_json_null(&j);
    rcl_json_key(&j, "generated_at");
    rcl_json_int(&j, head->generated_at);
    if (head->stale_seconds > 0) {
        rcl_json_key(&j, "stale_seconds");
        rcl_json_int(&j, head->stale_seconds);
    }
    rcl_json_key(&j, "rows");
    rcl_json_array_begin(&j);
    for (size_t r = 0; r < t->nrows; r++) {
        rcl_json_object_begin(&j);
        for (size_t c = 0; c < t->ncols; c++) {
            const char *v = cell(t, r, c);

            rcl_json_key(&j, t->cols[c].name);
            switch (t->cols[c].type) {
            case RCL_AGG_COL_INT:
                if (*v)
                    rcl_json_int(&j, strtoll(v, NULL, 10));
                else
                    rcl_json_null(&j);
                break;
            case RCL_AGG_COL_SET:
                json_set(&j, v);
                break;
            case RCL_AGG_COL_TEXT:
                rcl_json_string(&j, v);
                break;
            }
        }
        rcl_json_object_end(&j);
    }
    rcl_json_array_end(&j);
    rcl_json_object_end(&j);
    fputc('\n', out);
}

int rcl_agg_table_write(const struct rcl_agg_table *t, const struct rcl_agg_list_head *head,
                        enum rcl_agg_list_format format, FILE *out)
{
    struct rcl_agg_table view;
    int ret = 0;

    if (format == RCL_AGG_LIST_JSON) {
        write_json(t, head, out);
        return 0;
    }
    if (view_of(t, head->lang, &view) != 0)
        return -1;
    if (format == RCL_AGG_LIST_TEXT)
        ret = write_text(&view, head->lang, out);
    else
        write_csv(&view, head->lang, out);
    view_clear(&view);
    return ret;
}

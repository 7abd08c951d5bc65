/*
 * csv.c - the streaming RFC 4180 reader (see csv.h).
 */
#include "csv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_platform.h"

#define READ_CHUNK 65536
#define END_OF_INPUT (-1)
#define READ_FAILED (-2)

struct rcl_csv_reader {
    FILE *in;
    unsigned char chunk[READ_CHUNK];
    size_t chunk_len;
    size_t chunk_pos;
    bool started; /* the byte order mark check has been done */
    int read_errno;

    unsigned long line;        /* physical line of the next byte */
    unsigned long record_line; /* first line of the current record */

    char *buf; /* the current record's fields, each NUL-terminated */
    size_t buf_len;
    size_t starts[RCL_CSV_FIELDS_MAX];
    size_t lens[RCL_CSV_FIELDS_MAX];
    size_t n_fields;

    bool discard; /* the record is bad: parse on to its end, keep nothing */
    struct rcl_reason error;
    unsigned long error_line;
};

struct rcl_csv_reader *rcl_csv_reader_new(FILE *in)
{
    struct rcl_csv_reader *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->buf = malloc(RCL_CSV_RECORD_BYTES_MAX + RCL_CSV_FIELDS_MAX);
    if (r->buf == NULL) {
        free(r);
        return NULL;
    }
    r->in = in;
    r->line = 1;
    return r;
}

void rcl_csv_reader_destroy(struct rcl_csv_reader **r)
{
    if (r == NULL || *r == NULL)
        return;
    free((*r)->buf);
    free(*r);
    *r = NULL;
}

/* Refills the chunk. Returns 1 when bytes are available, 0 at the end, -1 on a read error. */
static int refill(struct rcl_csv_reader *r)
{
    if (r->chunk_pos < r->chunk_len)
        return 1;
    r->chunk_len = fread(r->chunk, 1, sizeof(r->chunk), r->in);
    r->chunk_pos = 0;
    if (r->chunk_len > 0)
        return 1;
    if (ferror(r->in)) {
        r->read_errno = errno;
        return -1;
    }
    return 0;
}

/* The next byte, END_OF_INPUT or READ_FAILED. */
static int next_byte(struct rcl_csv_reader *r)
{
    int rc = refill(r);
    if (rc <= 0)
        return rc == 0 ? END_OF_INPUT : READ_FAILED;
    if (!r->started) {
        r->started = true;
        /* A BOM may straddle a chunk only if the file is shorter than 3 bytes. */
        if (r->chunk_len >= 3 && memcmp(r->chunk, "\xEF\xBB\xBF", 3) == 0)
            r->chunk_pos = 3;
        return next_byte(r);
    }
    return r->chunk[r->chunk_pos++];
}

/* The next byte without consuming it, or END_OF_INPUT / READ_FAILED. */
static int peek_byte(struct rcl_csv_reader *r)
{
    int c = next_byte(r);
    if (c >= 0)
        r->chunk_pos--;
    return c;
}

static void fail(struct rcl_csv_reader *r, unsigned long line, const char *fmt, ...)
    RCL_PRINTF_LIKE(3, 4);

static void fail(struct rcl_csv_reader *r, unsigned long line, const char *fmt, ...)
{
    va_list ap;

    /* The first problem in a record is the one worth reporting. */
    if (r->discard)
        return;
    r->discard = true;
    r->error_line = line;
    va_start(ap, fmt);
    rcl_reason_vset(&r->error, fmt, ap);
    va_end(ap);
}

static void append(struct rcl_csv_reader *r, int c)
{
    if (r->discard)
        return;
    if (r->buf_len >= RCL_CSV_RECORD_BYTES_MAX + r->n_fields) {
        fail(r, r->record_line, "record is longer than %d bytes", RCL_CSV_RECORD_BYTES_MAX);
        return;
    }
    r->buf[r->buf_len++] = (char)c;
}

static void end_field(struct rcl_csv_reader *r, size_t start)
{
    if (r->discard)
        return;
    if (r->n_fields >= RCL_CSV_FIELDS_MAX) {
        fail(r, r->record_line, "record has more than %d fields", RCL_CSV_FIELDS_MAX);
        return;
    }
    r->starts[r->n_fields] = start;
    r->lens[r->n_fields] = r->buf_len - start;
    r->n_fields++;
    r->buf[r->buf_len++] = '\0';
}

/* Consumes the LF of a CRLF after c (a CR or LF that was just read) and counts the line. */
static void end_line(struct rcl_csv_reader *r, int c)
{
    if (c == '\r' && peek_byte(r) == '\n')
        (void)next_byte(r);
    r->line++;
}

enum field_state { FIELD_START, UNQUOTED, QUOTED, AFTER_QUOTE };

/* Where parse_record stands in the record. */
struct record_state {
    enum field_state state;
    size_t start; /* the current field's first byte in buf */
    bool any_quote;
    unsigned long quote_line; /* where the open quoted field began */
};

/* What field_byte made of a byte. */
enum byte_use {
    BYTE_TAKEN,          /* the byte is used up */
    BYTE_OUTSIDE_QUOTES, /* outside quotes: the byte ends the field, ends the record, or is data */
    BYTE_UNCLOSED        /* the input ended inside a quoted field: fatal */
};

/* Takes byte c (or END_OF_INPUT) as the current field's state has it. */
static enum byte_use field_byte(struct rcl_csv_reader *r, struct record_state *st, int c)
{
    switch (st->state) {
    case FIELD_START:
        st->start = r->buf_len;
        if (c == '"') {
            st->state = QUOTED;
            st->any_quote = true;
            st->quote_line = r->line;
            return BYTE_TAKEN;
        }
        /* The byte belongs to an unquoted field. */
        st->state = UNQUOTED;
        /* fall through */
    case UNQUOTED:
        if (c == '"') {
            fail(r, r->line,
                 "quote inside an unquoted field (quote the whole field and double the quote)");
            append(r, c);
            return BYTE_TAKEN;
        }
        break;
    case QUOTED:
        if (c == END_OF_INPUT) {
            r->discard = false;
            fail(r, st->quote_line, "quoted field opened on line %lu is never closed",
                 st->quote_line);
            return BYTE_UNCLOSED;
        }
        if (c == '"') {
            if (peek_byte(r) == '"') {
                (void)next_byte(r);
                append(r, '"');
            } else {
                st->state = AFTER_QUOTE;
            }
            return BYTE_TAKEN;
        }
        append(r, c);
        /* A CR of a CRLF is counted by its LF. */
        if (c == '\n' || (c == '\r' && peek_byte(r) != '\n'))
            r->line++;
        return BYTE_TAKEN;
    case AFTER_QUOTE:
        if (c != ',' && c != '\r' && c != '\n' && c != END_OF_INPUT) {
            fail(r, r->line, "unexpected character after a closing quote");
            append(r, c);
            st->state = UNQUOTED;
            return BYTE_TAKEN;
        }
        break;
    }
    return BYTE_OUTSIDE_QUOTES;
}

/*
 * Parses one physical record. Returns RCL_CSV_RECORD (possibly a blank line,
 * see *blank), RCL_CSV_END, RCL_CSV_BAD or RCL_CSV_FATAL.
 */
static enum rcl_csv_result parse_record(struct rcl_csv_reader *r, bool *blank)
{
    struct record_state st = {FIELD_START, 0, false, 0};
    bool consumed = false;

    r->buf_len = 0;
    r->n_fields = 0;
    r->discard = false;
    r->error.en[0] = r->error.zh[0] = '\0';
    r->error_line = 0;
    r->record_line = r->line;

    for (;;) {
        int c = next_byte(r);
        if (c == READ_FAILED) {
            r->discard = false;
            fail(r, r->line, "read error: %s", strerror(r->read_errno));
            return RCL_CSV_FATAL;
        }
        if (c == END_OF_INPUT && !consumed)
            return RCL_CSV_END;
        consumed = true;

        switch (field_byte(r, &st, c)) {
        case BYTE_TAKEN:
            continue;
        case BYTE_UNCLOSED:
            return RCL_CSV_FATAL;
        case BYTE_OUTSIDE_QUOTES:
            break;
        }

        /* Here the byte ends the field, ends the record, or is plain data. */
        if (c == ',') {
            end_field(r, st.start);
            st.state = FIELD_START;
            continue;
        }
        if (c == '\r' || c == '\n' || c == END_OF_INPUT) {
            end_field(r, st.start);
            if (c != END_OF_INPUT)
                end_line(r, c);
            *blank = !st.any_quote && r->n_fields == 1 && r->lens[0] == 0;
            return r->discard ? RCL_CSV_BAD : RCL_CSV_RECORD;
        }
        append(r, c);
    }
}

enum rcl_csv_result rcl_csv_reader_next(struct rcl_csv_reader *r)
{
    for (;;) {
        bool blank = false;
        enum rcl_csv_result rc = parse_record(r, &blank);
        if (rc != RCL_CSV_RECORD || !blank)
            return rc;
    }
}

unsigned long rcl_csv_reader_line(const struct rcl_csv_reader *r)
{
    return r->record_line;
}

size_t rcl_csv_reader_count(const struct rcl_csv_reader *r)
{
    return r->n_fields;
}

const char *rcl_csv_reader_get(const struct rcl_csv_reader *r, size_t i, size_t *len)
{
    if (i >= r->n_fields) {
        if (len != NULL)
            *len = 0;
        return "";
    }
    if (len != NULL)
        *len = r->lens[i];
    return r->buf + r->starts[i];
}

const char *rcl_csv_reader_error(const struct rcl_csv_reader *r)
{
    return r->error.en;
}

const struct rcl_reason *rcl_csv_reader_reason(const struct rcl_csv_reader *r)
{
    return &r->error;
}

unsigned long rcl_csv_reader_error_line(const struct rcl_csv_reader *r)
{
    return r->error_line;
}

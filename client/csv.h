/*
 * csv.h - a streaming RFC 4180 reader.
 *
 * Reads one record at a time, so a file of any length needs memory for one
 * record only. Fields may be quoted; inside quotes a doubled quote is a
 * quote, and commas and line breaks are data. Records end at CRLF, LF or a
 * lone CR. A UTF-8 byte order mark at the start is skipped, and lines that
 * are completely empty are skipped. Each record knows the physical line it
 * starts on, so errors can say "students.csv:14".
 */
#ifndef RCL_CSV_H
#define RCL_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "reason.h"

/* One record may hold at most this many bytes and fields. */
#define RCL_CSV_RECORD_BYTES_MAX (64 * 1024)
#define RCL_CSV_FIELDS_MAX 256

enum rcl_csv_result {
    RCL_CSV_FATAL = -2, /* unreadable from here on (read error, unclosed quote) */
    RCL_CSV_BAD = -1,   /* this record is malformed; the next call goes on after it */
    RCL_CSV_END = 0,    /* no more records */
    RCL_CSV_RECORD = 1, /* a record is ready */
};

struct rcl_csv_reader;

/* Reads from in, which stays the caller's (not closed on destroy). NULL when out of memory. */
struct rcl_csv_reader *rcl_csv_reader_new(FILE *in);
void rcl_csv_reader_destroy(struct rcl_csv_reader **r);

/*
 * Reads the next record. On RCL_CSV_BAD and RCL_CSV_FATAL,
 * rcl_csv_reader_error() says why and rcl_csv_reader_error_line() where.
 */
enum rcl_csv_result rcl_csv_reader_next(struct rcl_csv_reader *r);

/* The current record: its first physical line (1-based) and its fields. */
unsigned long rcl_csv_reader_line(const struct rcl_csv_reader *r);
size_t rcl_csv_reader_count(const struct rcl_csv_reader *r);

/*
 * Field i of the current record, NUL-terminated, valid until the next call
 * to rcl_csv_reader_next; its length (which may differ from strlen when the
 * data holds a NUL byte) in *len when len is not NULL.
 */
const char *rcl_csv_reader_get(const struct rcl_csv_reader *r, size_t i, size_t *len);

/* Why the last call failed ("" when it did not), and on which physical line. */
const char *rcl_csv_reader_error(const struct rcl_csv_reader *r);
/* The same, in English and Chinese (reason.h). */
const struct rcl_reason *rcl_csv_reader_reason(const struct rcl_csv_reader *r);
unsigned long rcl_csv_reader_error_line(const struct rcl_csv_reader *r);

#endif

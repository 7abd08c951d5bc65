/*
 * status.c - the school's state at a glance (see status.h).
 */
#include "status.h"

#include "rcl_json.h"
#include "rcl_keys.h"
#include "rcl_outbox.h"
#include "receipt.h"

static void write_json(const struct rcl_school_meta *m, const char *pk_hex, uint64_t students,
                       const struct rcl_outbox_stats *st, FILE *out)
{
    struct rcl_json j;
    rcl_json_init(&j, out);
    rcl_json_object_begin(&j);
    rcl_json_key(&j, "school");
    rcl_json_string(&j, m->school_id);
    rcl_json_key(&j, "county");
    rcl_json_string(&j, m->county);
    rcl_json_key(&j, "name");
    rcl_json_string(&j, m->name);
    rcl_json_key(&j, "upstream");
    rcl_json_string(&j, m->upstream);
    rcl_json_key(&j, "public_key");
    rcl_json_string(&j, pk_hex);
    rcl_json_key(&j, "students");
    rcl_json_uint(&j, students);
    rcl_json_key(&j, "pending");
    rcl_json_uint(&j, st->pending);
    rcl_json_key(&j, "last_seq");
    rcl_json_uint(&j, st->last_seq);
    rcl_json_key(&j, "acked_seq");
    rcl_json_uint(&j, st->acked_seq);
    rcl_json_key(&j, "acked_at");
    rcl_json_int(&j, st->acked_at);
    rcl_json_key(&j, "epoch");
    rcl_json_uint(&j, st->epoch);
    /* The receipt: changes through top_seq are in top_id's totals as of top_at. */
    rcl_json_key(&j, "top_id");
    rcl_json_string(&j, st->top_id);
    rcl_json_key(&j, "top_seq");
    rcl_json_uint(&j, st->top_seq);
    rcl_json_key(&j, "top_at");
    rcl_json_int(&j, st->top_at);
    rcl_json_object_end(&j);
    fputc('\n', out);
}

static void write_text(const struct rcl_school_meta *m, const char *pk_hex, uint64_t students,
                       const struct rcl_outbox_stats *st, FILE *out)
{
    fprintf(out, "school:     %s %s\n", m->school_id, m->name);
    fprintf(out, "county:     %s\n", m->county);
    fprintf(out, "upstream:   %s\n", m->upstream);
    fprintf(out, "public key: %s\n", pk_hex);
    fprintf(out, "students:   %llu\n", (unsigned long long)students);
    if (st->pending == 0)
        fprintf(out, "pending:    none, every change is acknowledged\n");
    else
        fprintf(out, "pending:    %llu change%s waiting for the next sync (last seq %llu)\n",
                (unsigned long long)st->pending, st->pending == 1 ? "" : "s",
                (unsigned long long)st->last_seq);
    rcl_receipt_print(st, out);
}

int rcl_school_status(sqlite3 *db, const struct rcl_school_meta *m, bool json, FILE *out)
{
    struct rcl_outbox_stats st;
    uint64_t students = 0;
    char pk_hex[RCL_PK_HEX_LEN + 1];

    if (rcl_school_students_count(db, &students) != 0 || rcl_outbox_stats(db, &st) != 0)
        return -1;
    rcl_key_to_hex(m->public_key, pk_hex);
    if (json)
        write_json(m, pk_hex, students, &st, out);
    else
        write_text(m, pk_hex, students, &st, out);
    return 0;
}

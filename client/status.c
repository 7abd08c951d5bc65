/*
 * status.c - the school's state at a glance (see status.h).
 */
#include "status.h"

#include "rcl_json.h"
#include "rcl_keys.h"
#include "rcl_outbox.h"
#include "receipt.h"

static void write_json(const struct rcl_school_meta *m, const char *pk_hex, uint64_t students,
                       const struct rcl_outbox_stats *st, const struct rcl_outbox_rotation *rot,
                       FILE *out)
{
    char new_hex[RCL_PK_HEX_LEN + 1];

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
    /* A key rotation waiting for the county's acknowledgement, or null. */
    rcl_json_key(&j, "key_rotation");
    if (rot->pending) {
        rcl_key_to_hex(rot->new_pk, new_hex);
        rcl_json_object_begin(&j);
        rcl_json_key(&j, "new_public_key");
        rcl_json_string(&j, new_hex);
        rcl_json_key(&j, "seq");
        rcl_json_uint(&j, rot->seq);
        rcl_json_object_end(&j);
    } else {
        rcl_json_null(&j);
    }
    rcl_json_object_end(&j);
    fputc('\n', out);
}

static void write_text_en(const struct rcl_school_meta *m, const char *pk_hex, uint64_t students,
                          const struct rcl_outbox_stats *st, const struct rcl_outbox_rotation *rot,
                          FILE *out)
{
    char new_hex[RCL_PK_HEX_LEN + 1];

    fprintf(out, "school:     %s %s\n", m->school_id, m->name);
    fprintf(out, "county:     %s\n", m->county);
    fprintf(out, "upstream:   %s\n", m->upstream);
    fprintf(out, "public key: %s\n", pk_hex);
    if (rot->pending) {
        rcl_key_to_hex(rot->new_pk, new_hex);
        fprintf(out,
                "new key:    %s takes over once the county acknowledges the key rotation "
                "(change seq %llu) at the next sync\n",
                new_hex, (unsigned long long)rot->seq);
    }
    fprintf(out, "students:   %llu\n", (unsigned long long)students);
    if (st->pending == 0)
        fprintf(out, "pending:    none, every change is acknowledged\n");
    else
        fprintf(out, "pending:    %llu change%s waiting for the next sync (last seq %llu)\n",
                (unsigned long long)st->pending, st->pending == 1 ? "" : "s",
                (unsigned long long)st->last_seq);
    rcl_receipt_print(st, RCL_SHEET_EN, out);
}

static void write_text_zh(const struct rcl_school_meta *m, const char *pk_hex, uint64_t students,
                          const struct rcl_outbox_stats *st, const struct rcl_outbox_rotation *rot,
                          FILE *out)
{
    char new_hex[RCL_PK_HEX_LEN + 1], words[256];

    fprintf(out, "学校：%s %s\n", m->school_id, m->name);
    fprintf(out, "所在县：%s\n", m->county);
    fprintf(out, "同步到：%s\n", m->upstream);
    fprintf(out, "本校公钥：%s\n", pk_hex);
    if (rot->pending) {
        rcl_key_to_hex(rot->new_pk, new_hex);
        fprintf(out, "新公钥：%s（下次同步时县里确认换用新公钥，即第 %llu 项改动后启用）\n",
                new_hex, (unsigned long long)rot->seq);
    }
    fprintf(out, "学生人数：%llu\n", (unsigned long long)students);
    rcl_receipt_pending(st, RCL_SHEET_ZH, words, sizeof(words));
    fprintf(out, "%s：%s\n", rcl_receipt_label(RCL_RECEIPT_PENDING, RCL_SHEET_ZH), words);
    rcl_receipt_print(st, RCL_SHEET_ZH, out);
}

int rcl_school_status(sqlite3 *db, const struct rcl_school_meta *m, bool json,
                      enum rcl_sheet_lang lang, FILE *out)
{
    struct rcl_outbox_stats st;
    struct rcl_outbox_rotation rot;
    uint64_t students = 0;
    char pk_hex[RCL_PK_HEX_LEN + 1];

    if (rcl_school_students_count(db, &students) != 0 || rcl_outbox_stats(db, &st) != 0 ||
        rcl_outbox_rotation(db, &rot) != 0)
        return -1;
    rcl_key_to_hex(m->public_key, pk_hex);
    if (json)
        write_json(m, pk_hex, students, &st, &rot, out);
    else if (lang == RCL_SHEET_ZH)
        write_text_zh(m, pk_hex, students, &st, &rot, out);
    else
        write_text_en(m, pk_hex, students, &st, &rot, out);
    return 0;
}

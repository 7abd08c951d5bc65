/*
 * receipt.c - how far a school's data has travelled (see receipt.h).
 */
#include "receipt.h"

#include <time.h>

#include "rcl_platform.h"
#include "rcl_time.h"

#define L(zh, en) (lang == RCL_SHEET_ZH ? (zh) : (en))

const char *rcl_receipt_label(enum rcl_receipt_line line, enum rcl_sheet_lang lang)
{
    switch (line) {
    case RCL_RECEIPT_PENDING:
        return L("待上报的改动", "Changes waiting");
    case RCL_RECEIPT_ACKED:
        return L("县里最近确认", "Last county ack");
    case RCL_RECEIPT_TOTALS:
        break;
    }
    return L("计入上级汇总", "In the totals");
}

void rcl_receipt_pending(const struct rcl_outbox_stats *st, enum rcl_sheet_lang lang, char *out,
                         size_t outlen)
{
    if (st->pending == 0)
        snprintf(out, outlen, "%s",
                 L("无，全部改动县里都已确认收到", "none, every change is acknowledged"));
    else
        snprintf(out, outlen, L("%llu 项，等待下次同步", "%llu, waiting for the next sync"),
                 (unsigned long long)st->pending);
}

void rcl_receipt_acked(const struct rcl_outbox_stats *st, enum rcl_sheet_lang lang, char *out,
                       size_t outlen)
{
    char when[64];

    if (st->acked_at == 0) {
        snprintf(out, outlen, "%s", L("从未（还没有同步过）", "never (not synced yet)"));
        return;
    }
    rcl_agg_time_local(st->acked_at, when, sizeof(when));
    snprintf(out, outlen, L("%s，到第 %llu 项改动", "%s, through change %llu"), when,
             (unsigned long long)st->acked_seq);
}

void rcl_receipt_totals(const struct rcl_outbox_stats *st, enum rcl_sheet_lang lang, char *out,
                        size_t outlen)
{
    char when[64];

    if (st->top_id[0] == '\0' || st->top_at == 0) {
        snprintf(out, outlen, "%s",
                 L("尚未得到最上级的确认", "not yet confirmed by the top of the chain"));
        return;
    }
    rcl_agg_time_local(st->top_at, when, sizeof(when));
    if (st->top_seq >= st->acked_seq && st->acked_seq > 0)
        snprintf(out, outlen,
                 L("截至 %s，已确认的改动全部计入 %s",
                   "as of %s every acknowledged change is in the totals of %s"),
                 when, st->top_id);
    else
        snprintf(out, outlen,
                 L("截至 %s，第 %llu 项及以前的改动已计入 %s",
                   "as of %s changes through %llu are in the totals of %s"),
                 when, (unsigned long long)st->top_seq, st->top_id);
}

/* "2026-11-28 16:40:00 UTC", or "never" for 0. */
static void utc_time(int64_t unix_s, char *out, size_t outlen)
{
    time_t t = (time_t)unix_s;
    struct tm tm;

    snprintf(out, outlen, "never");
    if (unix_s != 0 && rcl_gmtime(t, &tm) == 0)
        strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* The English lines, as operators and their scripts read them. */
static void print_en(const struct rcl_outbox_stats *st, FILE *out)
{
    char when[64];

    if (st->acked_at == 0) {
        fprintf(out, "last ack:   never (not synced yet)\n");
    } else {
        utc_time(st->acked_at, when, sizeof(when));
        fprintf(out, "last ack:   seq %llu at %s (epoch %llu)\n", (unsigned long long)st->acked_seq,
                when, (unsigned long long)st->epoch);
    }
    if (st->top_id[0] == '\0' || st->top_at == 0) {
        fprintf(out, "in totals:  not yet confirmed by the top of the chain\n");
        return;
    }
    utc_time(st->top_at, when, sizeof(when));
    if (st->top_seq >= st->acked_seq && st->acked_seq > 0)
        fprintf(out, "in totals:  every acknowledged change is in the totals of %s as of %s\n",
                st->top_id, when);
    else
        fprintf(out,
                "in totals:  changes through seq %llu are in the totals of %s as of %s; "
                "later ones are on their way\n",
                (unsigned long long)st->top_seq, st->top_id, when);
}

void rcl_receipt_print(const struct rcl_outbox_stats *st, enum rcl_sheet_lang lang, FILE *out)
{
    char words[256];

    if (lang != RCL_SHEET_ZH) {
        print_en(st, out);
        return;
    }
    rcl_receipt_acked(st, lang, words, sizeof(words));
    fprintf(out, "%s：%s\n", rcl_receipt_label(RCL_RECEIPT_ACKED, lang), words);
    rcl_receipt_totals(st, lang, words, sizeof(words));
    fprintf(out, "%s：%s\n", rcl_receipt_label(RCL_RECEIPT_TOTALS, lang), words);
}

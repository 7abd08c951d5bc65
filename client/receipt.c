/*
 * receipt.c - how far a school's data has travelled (see receipt.h).
 */
#include "receipt.h"

#include <time.h>

#include "rcl_platform.h"

void rcl_receipt_time(int64_t unix_s, char *out, size_t outlen)
{
    time_t t = (time_t)unix_s;
    struct tm tm;

    snprintf(out, outlen, "never");
    if (unix_s != 0 && rcl_gmtime(t, &tm) == 0)
        strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

void rcl_receipt_print(const struct rcl_outbox_stats *st, FILE *out)
{
    char when[64];

    if (st->acked_at == 0) {
        fprintf(out, "last ack:   never (not synced yet)\n");
    } else {
        rcl_receipt_time(st->acked_at, when, sizeof(when));
        fprintf(out, "last ack:   seq %llu at %s (epoch %llu)\n", (unsigned long long)st->acked_seq,
                when, (unsigned long long)st->epoch);
    }
    if (st->top_id[0] == '\0' || st->top_at == 0) {
        fprintf(out, "in totals:  not yet confirmed by the top of the chain\n");
        return;
    }
    rcl_receipt_time(st->top_at, when, sizeof(when));
    if (st->top_seq >= st->acked_seq && st->acked_seq > 0)
        fprintf(out, "in totals:  every acknowledged change is in the totals of %s as of %s\n",
                st->top_id, when);
    else
        fprintf(out,
                "in totals:  changes through seq %llu are in the totals of %s as of %s; "
                "later ones are on their way\n",
                (unsigned long long)st->top_seq, st->top_id, when);
}

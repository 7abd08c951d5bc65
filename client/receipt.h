/*
 * receipt.h - telling a school how far its data has travelled: what waits
 * to be sent, acknowledged by its county, and in the totals of the top of
 * the chain (the province).
 *
 * The phrases are those of the page and of status in Chinese, in local
 * time. status and sync in English keep the lines operators read
 * ("last ack:   seq N at TIME UTC (epoch E)"), in UTC.
 */
#ifndef RCL_RECEIPT_H
#define RCL_RECEIPT_H

#include <stdio.h>

#include "rcl_outbox.h"
#include "sheet.h"

/* The lines of a receipt, as status and the page name them. */
enum rcl_receipt_line { RCL_RECEIPT_PENDING, RCL_RECEIPT_ACKED, RCL_RECEIPT_TOTALS };

/* The line's name: "县里最近确认" or "Last county ack". */
const char *rcl_receipt_label(enum rcl_receipt_line line, enum rcl_sheet_lang lang);

/* What waits for the next sync: "3 项，等待下次同步", or that nothing does. */
void rcl_receipt_pending(const struct rcl_outbox_stats *st, enum rcl_sheet_lang lang, char *out,
                         size_t outlen);

/* The county's last acknowledgement: "2026-12-07 18:04 +0800，到第 8 项改动", or never. */
void rcl_receipt_acked(const struct rcl_outbox_stats *st, enum rcl_sheet_lang lang, char *out,
                       size_t outlen);

/* Which changes the top of the chain has counted, as of when, and in whose totals. */
void rcl_receipt_totals(const struct rcl_outbox_stats *st, enum rcl_sheet_lang lang, char *out,
                        size_t outlen);

/* The receipt lines of status and sync, in lang, aligned like status's lines. */
void rcl_receipt_print(const struct rcl_outbox_stats *st, enum rcl_sheet_lang lang, FILE *out);

#endif

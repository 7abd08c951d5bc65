/*
 * receipt.h - telling a school how far its data has travelled: acknowledged
 * by its county, and in the totals of the top of the chain (the province).
 */
#ifndef RCL_RECEIPT_H
#define RCL_RECEIPT_H

#include <stdio.h>

#include "rcl_outbox.h"

/* "2026-11-28 16:40:00 UTC", or "never" for 0. */
void rcl_receipt_time(int64_t unix_s, char *out, size_t outlen);

/* The receipt lines of status and sync, aligned like status's lines. */
void rcl_receipt_print(const struct rcl_outbox_stats *st, FILE *out);

#endif

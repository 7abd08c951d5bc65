/*
 * rcl_bundle.h - the bundle file: a school's pending signed batches carried
 * on a USB stick to the county (`rollcall-school bundle`, `rollcall-agg
 * import-bundle`). Both sides share its definition here.
 *
 * Bundle format, version 1 (integers big-endian), written by client/bundle.c
 * and read by aggregator/tier/agg_bundle.c:
 *
 *   header   "RCLBUNDL"             8 bytes, magic
 *            version                u16, 1
 *            source id length       u8, 1-32
 *            source id              the school id, ASCII
 *            created_at             i64, unix seconds
 *   batch    'B'                    1 byte, once per batch, in seq order
 *            first_seq, last_seq    u64 each (a copy of the signed header's, for
 *                                   listing; the county judges the signed one)
 *            length                 u32, 1 .. 4 MiB
 *            envelope               length bytes, as sealed in the outbox
 *   trailer  'E'                    1 byte
 *            count                  u32, the number of batches
 *            digest                 32 bytes: BLAKE2b-256 (rcl_digest) of every
 *                                   byte of the file before it
 *
 * The trailer is the last 37 bytes of the file: a truncated or corrupted
 * file is detected before anything is applied.
 */
#ifndef RCL_BUNDLE_H
#define RCL_BUNDLE_H

#define RCL_BUNDLE_MAGIC "RCLBUNDL"
#define RCL_BUNDLE_MAGIC_LEN 8
#define RCL_BUNDLE_VERSION 1
#define RCL_BUNDLE_TAG_BATCH 'B'
#define RCL_BUNDLE_TAG_END 'E'

#endif

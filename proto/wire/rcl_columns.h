/*
 * rcl_columns.h - the column form of an encoded batch, which compresses far
 * better than its rows: the changes' values are regrouped by field (every
 * name together, every grade together...) behind a "shape" that says which
 * fields each change has, and the pseudonyms (random bytes that DEFLATE can
 * only copy) are set apart to travel beside the compressed part.
 *
 * The column form of a batch (the part to compress):
 *   varint header length, the batch's fields other than its changes, as encoded;
 *   varint number of changes;
 *   the shape, for each change: varint seq minus the previous change's (0 before
 *     the first), varint tag of its body, varint number of body fields, their tags;
 *   the columns, in the order the shape first names them, each as varint
 *     length and its values: a varint as encoded, 8 or 4 bytes, or the varint
 *     length of a byte string; for a column of byte strings, then varint length
 *     and the strings' bytes, unless the column is set apart.
 * The set-apart part: the bytes of the columns of field 1 (the pseudonym) of
 * Student and StudentRemoved bodies, in the same order, each as varint
 * length and bytes. Rebuilt, the batch decodes to the same batch;
 * its bytes may differ from the sender's (field order).
 */
#ifndef RCL_COLUMNS_H
#define RCL_COLUMNS_H

#include <stddef.h>
#include <stdint.h>

/* The most distinct (body, field) columns and fields of one body. */
#define RCL_COLUMNS_MAX 64

struct rcl_columns {
    uint8_t *apart; /* the set-apart columns (malloc'd) */
    size_t apart_len;
    uint8_t *rest; /* everything else, to compress (malloc'd) */
    size_t rest_len;
};

/*
 * Puts an encoded batch (rcl_batch_encode) into column form in *out
 * (rcl_columns_free). Returns 0; 1 when the batch has a form the columns do
 * not carry (nothing to free: send it as rows); -1 when out of memory.
 */
int rcl_columns_pack(const uint8_t *batch, size_t len, struct rcl_columns *out);
void rcl_columns_free(struct rcl_columns *c);

/*
 * Rebuilds an encoded batch from its two parts into a malloc'd *out (caller
 * frees), refusing one that would be longer than cap bytes. Returns 0, or
 * -1 with the reason in err: a shape, column or part that is cut short,
 * bytes left over, or values that do not fit their tags.
 */
int rcl_columns_unpack(const uint8_t *apart, size_t apart_len, const uint8_t *rest, size_t rest_len,
                       size_t cap, uint8_t **out, size_t *outlen, char *err, size_t errlen);

#endif

/*
 * rcl_codec.h - the wire format. The only module that touches the structs
 * protoc-c generates: it decodes, validates every field, converts to the
 * program's own types and frees, in one place.
 *
 * Decoders return 0, or -1 with a reason in err (never the payload's bytes).
 * Encoders return 0 with a malloc'd buffer in *out that the caller frees, or
 * -1 when out of memory.
 */
#ifndef RCL_CODEC_H
#define RCL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rcl_keys.h"
#include "rcl_model.h"

/* Bounds for one batch, checked on both sides. */
#define RCL_BATCH_RECORDS_MAX 2000
#define RCL_MESSAGE_BYTES_MAX (4 * 1024 * 1024)
/* The most students one school's summary may count. */
#define RCL_SCHOOL_STUDENTS_MAX 1000000

struct rcl_school_profile {
    char school_id[RCL_ID_MAX + 1];
    char name[RCL_NAME_MAX + 1];
    char county[RCL_COUNTY_LEN + 1];
    size_t n_platforms;
    struct rcl_platform platforms[RCL_PLATFORMS_MAX];
    /* Teaching materials: delivered of total (percent = delivered * 100 / total),
     * or, with total 0, percent alone (delivered 0). */
    uint32_t materials_delivered;
    uint32_t materials_total;
    uint32_t materials_percent;
    char contact_role[RCL_ROLE_MAX + 1];
    /* A teaching point names its parent school (10 digits); empty for a school. */
    char parent_school[RCL_ID_MAX + 1];
};

struct rcl_summary {
    char school_id[RCL_ID_MAX + 1];
    char name[RCL_NAME_MAX + 1];
    char county[RCL_COUNTY_LEN + 1];
    bool reported;
    int64_t last_sync;
    int64_t first_sync; /* the first accepted batch at the county; 0 never or unknown */
    struct rcl_totals totals;
    /* The school's batches these counts include (0 and no digest: none yet). */
    uint64_t epoch;
    uint64_t through_seq;
    bool has_through_digest;
    uint8_t through_digest[RCL_DIGEST_BYTES];
};

struct rcl_key_rotation {
    uint8_t new_key[RCL_PK_BYTES];
    uint8_t proof[RCL_SIG_BYTES]; /* rcl_key_rotation_proof, signed by the new key */
};

enum rcl_change_kind {
    RCL_CHANGE_STUDENT,
    RCL_CHANGE_REMOVED,
    RCL_CHANGE_SCHOOL,
    RCL_CHANGE_SUMMARY,
    RCL_CHANGE_SNAPSHOT_END, /* closes the snapshot that opens an epoch after the first */
    RCL_CHANGE_SCHOOL_REMOVED,
    RCL_CHANGE_KEY_ROTATION, /* the sender's new identity key (rcl_keys.h) */
};

/* One change: the entity's full new state, or a tombstone. */
struct rcl_change {
    uint64_t seq;
    enum rcl_change_kind kind;
    union {
        struct rcl_student student;   /* id is not encoded: only the pseudonym travels */
        struct rcl_departure removed; /* RCL_CHANGE_REMOVED: the tombstone */
        struct rcl_school_profile school;
        struct rcl_summary summary;
        uint64_t snapshot_records; /* RCL_CHANGE_SNAPSHOT_END */
        char school_removed[RCL_ID_MAX + 1];
        struct rcl_key_rotation key_rotation;
    } u;
};

int rcl_change_encode(const struct rcl_change *c, uint8_t **out, size_t *len);
int rcl_change_decode(const uint8_t *buf, size_t len, struct rcl_change *c, char *err,
                      size_t errlen);

/*
 * The version of what travels: every batch and every reply carries the
 * sender's. Version 1 had no such field (a missing one reads as 1). A
 * receiver takes RCL_PROTOCOL_OLDEST to RCL_PROTOCOL_VERSION and refuses
 * anything else with rcl_protocol_refusal's message.
 */
#define RCL_PROTOCOL_VERSION 2u
#define RCL_PROTOCOL_OLDEST 1u

static inline bool rcl_protocol_supported(uint32_t v)
{
    return v >= RCL_PROTOCOL_OLDEST && v <= RCL_PROTOCOL_VERSION;
}

/* "protocol version THEIRS of WHO is not ... (this program speaks N, accepts A to B) ...". */
void rcl_protocol_refusal(char *out, size_t outlen, uint32_t theirs, const char *who);

/* A byte string that points into memory owned by someone else. */
struct rcl_blob {
    const uint8_t *data;
    size_t len;
};

struct rcl_batch_header {
    char source[RCL_ID_MAX + 1];
    uint64_t epoch;
    uint64_t first_seq;
    uint64_t last_seq;
    bool has_prev;
    uint8_t prev_digest[RCL_DIGEST_BYTES];
    int64_t sent_at;
    uint64_t probe_id; /* a probe's id (random), echoed by its answer */
    uint32_t protocol; /* the sender's; 0 when encoding means RCL_PROTOCOL_VERSION */
};

/* changes[i] are encoded changes (rcl_change_encode). */
int rcl_batch_encode(const struct rcl_batch_header *h, const struct rcl_blob *changes, size_t n,
                     uint8_t **out, size_t *len);

/* A decoded batch: the header is validated (source id form, first <= last,
 * digest length, record count); the changes are still encoded and are
 * decoded one at a time with rcl_change_decode. A probe (rcl_batch_is_probe)
 * has first_seq = last_seq = 0 and no changes. */
struct rcl_batch {
    struct rcl_batch_header h;
    size_t n_changes;
    struct rcl_blob *changes; /* point into memory the batch owns */
    void *priv;
};

int rcl_batch_decode(const uint8_t *buf, size_t len, struct rcl_batch **out, char *err,
                     size_t errlen);
void rcl_batch_destroy(struct rcl_batch **b);

static inline bool rcl_batch_is_probe(const struct rcl_batch_header *h)
{
    return h->first_seq == 0 && h->last_seq == 0;
}

/* The signed outer layer. payload points into memory the envelope owns: the
 * bytes exactly as signed, an encoded batch or, when deflated, its
 * compressed form (rcl_deflate.h; rcl_envelope_open_batch decodes either). */
struct rcl_envelope {
    char source[RCL_ID_MAX + 1];
    uint8_t key_id[RCL_KEY_ID_BYTES];
    uint8_t signature[RCL_SIG_BYTES];
    bool deflated;
    struct rcl_blob payload;
    void *priv;
};

int rcl_envelope_encode(const char *source, const uint8_t key_id[RCL_KEY_ID_BYTES],
                        const uint8_t sig[RCL_SIG_BYTES], const uint8_t *payload, size_t len,
                        uint8_t **out, size_t *outlen);
/* The same with payload already compressed: it travels as payload_deflated. */
int rcl_envelope_encode_deflated(const char *source, const uint8_t key_id[RCL_KEY_ID_BYTES],
                                 const uint8_t sig[RCL_SIG_BYTES], const uint8_t *payload,
                                 size_t len, uint8_t **out, size_t *outlen);
/* Decodes the outer layer only; the payload is not looked at. Exactly one of
 * payload and payload_deflated must be set. */
int rcl_envelope_decode(const uint8_t *buf, size_t len, struct rcl_envelope **out, char *err,
                        size_t errlen);
void rcl_envelope_destroy(struct rcl_envelope **e);

enum rcl_reply_status {
    RCL_REPLY_ACK,     /* applied (or already had) everything up to acked_seq */
    RCL_REPLY_RESEND,  /* a gap: send again from resend_from */
    RCL_REPLY_REFUSED, /* rejected for reason; retrying the same bytes will not help */
    RCL_REPLY_BUSY,    /* transient failure on the receiver (disk full, locked): retry later */
    RCL_REPLY_STATUS_COUNT
};

struct rcl_reply {
    enum rcl_reply_status status;
    char source[RCL_ID_MAX + 1];
    uint64_t acked_seq;
    bool has_digest;
    uint8_t acked_digest[RCL_DIGEST_BYTES];
    uint64_t resend_from;
    char reason[256];
    uint64_t epoch;    /* the epoch the receiver holds for the source */
    bool probe;        /* the answer to a probe */
    uint64_t probe_id; /* which probe: the answer echoes its id */
    /* Receipt: changes through top_seq are in top_id's totals as of top_at. */
    uint64_t top_seq;
    int64_t top_at;
    char top_id[RCL_ID_MAX + 1];
    uint32_t protocol; /* the receiver's; 0 when encoding means RCL_PROTOCOL_VERSION */
};

int rcl_reply_encode(const struct rcl_reply *r, uint8_t **out, size_t *len);
int rcl_reply_decode(const uint8_t *buf, size_t len, struct rcl_reply *r, char *err, size_t errlen);

/* True for an id of 1-32 characters from [0-9A-Za-z_.-]. */
bool rcl_id_valid(const char *id);

#endif

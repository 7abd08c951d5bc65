/*
 * rcl_codec.c - the wire format. The one file that includes the protoc-c
 * output: every message is decoded here, every field checked (lengths
 * against our buffers, UTF-8, enumerations, bit sets, counts), converted to
 * the program's own structs, and the generated structs freed again.
 *
 * Every decoder refuses input longer than RCL_MESSAGE_BYTES_MAX before
 * protobuf-c sees it, and no value from the wire is used before it has been
 * checked.
 */
#include "rcl_codec.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_codec_check.h"
#include "rcl_codec_record.h"
#include "rcl_counts.h"
#include "rollcall.pb-c.h"

/* ---- Summary counts ---- */

/*
 * The copies between message Counts and struct rcl_totals, one for each count
 * of rcl_counts.h. A repeated field points at its set's array in t (every
 * count of the set points it there alike); on the way in, each count of a
 * set is checked before it is taken.
 */
#define ONE_TO_WIRE(w, name, member, zh, en) (w)->name = t->member;
#define SET_TO_WIRE(w, set, key, index, zh, en)                                                    \
    (w)->set = t->set;                                                                             \
    (w)->n_##set = sizeof(t->set) / sizeof(t->set[0]);
#define ONE_FROM_WIRE(w, name, member, zh, en) t->member = (w)->name;
#define SET_FROM_WIRE(w, set, key, index, zh, en)                                                  \
    ok = ok && take_count(#set, (w)->set, (w)->n_##set, sizeof(t->set) / sizeof(t->set[0]),        \
                          (index), t->students, &t->set[index], err, errlen);
#define SKIP_COUNT(...)

/* Message Counts of t; its repeated fields point into t, which must outlive w. */
static void counts_to_wire(struct rcl_totals *t, Rollcall__Counts *w)
{
    RCL_SUMMARY_COUNTS(ONE_TO_WIRE, SET_TO_WIRE, w)
}

/* Takes entry i of a repeated field of n entries (want: one for each count of its set), which
 * must be at most the students. */
static bool take_count(const char *field, const uint64_t *v, size_t n, size_t want, int i,
                       uint64_t students, uint64_t *dst, char *err, size_t errlen)
{
    if (n != want) {
        codec_err(err, errlen, "summary.counts.%s has %zu entries, want %zu", field, n, want);
        return false;
    }
    if (v[i] > students) {
        codec_err(err, errlen,
                  "summary.counts.%s[%d] = %" PRIu64 " exceeds the %" PRIu64 " students", field, i,
                  v[i], students);
        return false;
    }
    *dst = v[i];
    return true;
}

/* Counts must be what rcl_totals_add_student could have made: each student in
 * exactly one condition and one participation, no sub-count above the total. */
static int counts_from_wire(const Rollcall__Counts *w, struct rcl_totals *t, char *err,
                            size_t errlen)
{
    uint64_t sum;
    bool ok = true;

    memset(t, 0, sizeof(*t));
    if (w == NULL) {
        codec_err(err, errlen, "summary.counts is missing");
        return -1;
    }
    /* Far above any school (the largest hold about 15,000), and low enough that
     * totals over every school of a province can never overflow. */
    if (w->students > RCL_SCHOOL_STUDENTS_MAX) {
        codec_err(err, errlen,
                  "summary.counts.students %" PRIu64 " is more than a school holds (%d)",
                  w->students, RCL_SCHOOL_STUDENTS_MAX);
        return -1;
    }
    RCL_SUMMARY_COUNTS(ONE_FROM_WIRE, SKIP_COUNT, w)
    sum = 0;
    for (int c = 0; c < RCL_CONDITION_COUNT; c++) {
        if (t->condition[c] > t->students) {
            codec_err(err, errlen, "summary.counts.condition_%s exceeds the students",
                      rcl_condition_names[c]);
            return -1;
        }
        /* The sum stays <= students, so it cannot wrap around to match them. */
        if (t->condition[c] > t->students - sum) {
            codec_err(err, errlen,
                      "summary.counts conditions add up to more than the %" PRIu64 " students",
                      t->students);
            return -1;
        }
        sum += t->condition[c];
    }
    if (sum != t->students) {
        codec_err(err, errlen,
                  "summary.counts conditions add up to %" PRIu64 ", not the %" PRIu64 " students",
                  sum, t->students);
        return -1;
    }
    if (t->blind_spots > t->students) {
        codec_err(err, errlen, "summary.counts.blind_spots exceeds the students");
        return -1;
    }
    RCL_SUMMARY_COUNTS(SKIP_COUNT, SET_FROM_WIRE, w)
    if (!ok)
        return -1;
    sum = 0;
    for (int p = 0; p < RCL_PARTICIPATION_COUNT; p++) {
        if (t->participation[p] > t->students - sum) {
            codec_err(err, errlen,
                      "summary.counts participation adds up to more than the %" PRIu64 " students",
                      t->students);
            return -1;
        }
        sum += t->participation[p];
    }
    if (sum != t->students) {
        codec_err(err, errlen,
                  "summary.counts participation adds up to %" PRIu64 ", not the %" PRIu64
                  " students",
                  sum, t->students);
        return -1;
    }
    return 0;
}

static int summary_from_wire(const Rollcall__SchoolSummary *w, struct rcl_summary *s, char *err,
                             size_t errlen)
{
    memset(s, 0, sizeof(*s));
    if (codec_take_id("summary.school_id", w->school_id, s->school_id, sizeof(s->school_id), err,
                      errlen) != 0 ||
        codec_take_string("summary.name", w->name, s->name, sizeof(s->name), err, errlen) != 0 ||
        codec_take_county("summary.county", w->county, s->county, err, errlen) != 0)
        return -1;
    if (w->last_sync < 0) {
        codec_err(err, errlen, "summary.last_sync %" PRId64 " is negative", w->last_sync);
        return -1;
    }
    if (w->first_sync < 0 || (w->first_sync > 0 && w->last_sync < w->first_sync)) {
        codec_err(err, errlen,
                  "summary.first_sync %" PRId64 " is negative or after last_sync %" PRId64,
                  w->first_sync, w->last_sync);
        return -1;
    }
    s->reported = w->reported != 0;
    s->last_sync = w->last_sync;
    s->first_sync = w->first_sync;
    s->epoch = w->epoch;
    s->through_seq = w->through_seq;
    if (w->through_digest.len != 0) {
        if (codec_take_bytes("summary.through_digest", &w->through_digest, s->through_digest,
                             RCL_DIGEST_BYTES, err, errlen) != 0)
            return -1;
        s->has_through_digest = true;
    }
    return counts_from_wire(w->counts, &s->totals, err, errlen);
}

/* ---- Change ---- */

/* Message SchoolSummary of s, its counts in co; both point into s, which must outlive them. */
static void summary_to_wire(struct rcl_summary *s, Rollcall__SchoolSummary *w, Rollcall__Counts *co)
{
    w->school_id = s->school_id;
    w->name = s->name;
    w->county = s->county;
    w->reported = s->reported;
    w->last_sync = s->last_sync;
    w->first_sync = s->first_sync;
    counts_to_wire(&s->totals, co);
    w->counts = co;
    w->epoch = s->epoch;
    w->through_seq = s->through_seq;
    if (s->has_through_digest) {
        w->through_digest.data = s->through_digest;
        w->through_digest.len = RCL_DIGEST_BYTES;
    }
}

int rcl_change_encode(const struct rcl_change *c, uint8_t **out, size_t *len)
{
    Rollcall__Change w = ROLLCALL__CHANGE__INIT;
    Rollcall__Student st = ROLLCALL__STUDENT__INIT;
    Rollcall__StudentRemoved rm = ROLLCALL__STUDENT_REMOVED__INIT;
    Rollcall__SchoolProfile sp = ROLLCALL__SCHOOL_PROFILE__INIT;
    struct codec_record_scratch scratch;
    Rollcall__SchoolSummary su = ROLLCALL__SCHOOL_SUMMARY__INIT;
    Rollcall__Counts co = ROLLCALL__COUNTS__INIT;
    Rollcall__SnapshotEnd se = ROLLCALL__SNAPSHOT_END__INIT;
    Rollcall__SchoolRemoved sr = ROLLCALL__SCHOOL_REMOVED__INIT;
    Rollcall__KeyRotation kr = ROLLCALL__KEY_ROTATION__INIT;
    /* A copy: protobuf-c wants non-const pointers. */
    struct rcl_change copy = *c;
    uint8_t *buf;
    size_t n;

    w.seq = c->seq;
    switch (c->kind) {
    case RCL_CHANGE_STUDENT:
        codec_student_to_wire(&copy.u.student, &st, &scratch);
        w.body_case = ROLLCALL__CHANGE__BODY_STUDENT;
        w.student = &st;
        break;
    case RCL_CHANGE_REMOVED:
        codec_removed_to_wire(&copy.u.removed, &rm);
        w.body_case = ROLLCALL__CHANGE__BODY_REMOVED;
        w.removed = &rm;
        break;
    case RCL_CHANGE_SCHOOL:
        codec_profile_to_wire(&copy.u.school, &sp, &scratch);
        w.body_case = ROLLCALL__CHANGE__BODY_SCHOOL;
        w.school = &sp;
        break;
    case RCL_CHANGE_SUMMARY:
        summary_to_wire(&copy.u.summary, &su, &co);
        w.body_case = ROLLCALL__CHANGE__BODY_SUMMARY;
        w.summary = &su;
        break;
    case RCL_CHANGE_SNAPSHOT_END:
        se.records = c->u.snapshot_records;
        w.body_case = ROLLCALL__CHANGE__BODY_SNAPSHOT_END;
        w.snapshot_end = &se;
        break;
    case RCL_CHANGE_SCHOOL_REMOVED:
        sr.school_id = copy.u.school_removed;
        w.body_case = ROLLCALL__CHANGE__BODY_SCHOOL_REMOVED;
        w.school_removed = &sr;
        break;
    case RCL_CHANGE_KEY_ROTATION:
        kr.new_key.data = copy.u.key_rotation.new_key;
        kr.new_key.len = RCL_PK_BYTES;
        kr.proof.data = copy.u.key_rotation.proof;
        kr.proof.len = RCL_SIG_BYTES;
        w.body_case = ROLLCALL__CHANGE__BODY_KEY_ROTATION;
        w.key_rotation = &kr;
        break;
    default:
        return -1;
    }

    n = rollcall__change__get_packed_size(&w);
    buf = malloc(n > 0 ? n : 1);
    if (buf == NULL)
        return -1;
    rollcall__change__pack(&w, buf);
    *out = buf;
    *len = n;
    return 0;
}

int rcl_change_decode(const uint8_t *buf, size_t len, struct rcl_change *c, char *err,
                      size_t errlen)
{
    Rollcall__Change *w = NULL;
    int rc = -1;

    memset(c, 0, sizeof(*c));
    codec_err(err, errlen, "%s", "");
    if (codec_too_long(len, err, errlen))
        goto done;
    w = rollcall__change__unpack(NULL, len, buf);
    if (w == NULL) {
        codec_err(err, errlen, "change is not a valid encoding");
        goto done;
    }
    if (w->seq == 0) {
        codec_err(err, errlen, "change.seq is 0 (sequence numbers start at 1)");
        goto done;
    }
    c->seq = w->seq;
    /* The oneof members share one pointer; protobuf-c sets it with the case. */
    if (w->body_case != ROLLCALL__CHANGE__BODY__NOT_SET && w->student == NULL) {
        codec_err(err, errlen, "change body is missing");
        goto done;
    }
    switch (w->body_case) {
    case ROLLCALL__CHANGE__BODY_STUDENT:
        c->kind = RCL_CHANGE_STUDENT;
        if (codec_student_from_wire(w->student, &c->u.student, err, errlen) != 0)
            goto done;
        break;
    case ROLLCALL__CHANGE__BODY_REMOVED:
        c->kind = RCL_CHANGE_REMOVED;
        if (codec_removed_from_wire(w->removed, &c->u.removed, err, errlen) != 0)
            goto done;
        break;
    case ROLLCALL__CHANGE__BODY_SCHOOL:
        c->kind = RCL_CHANGE_SCHOOL;
        if (codec_profile_from_wire(w->school, &c->u.school, err, errlen) != 0)
            goto done;
        break;
    case ROLLCALL__CHANGE__BODY_SUMMARY:
        c->kind = RCL_CHANGE_SUMMARY;
        if (summary_from_wire(w->summary, &c->u.summary, err, errlen) != 0)
            goto done;
        break;
    case ROLLCALL__CHANGE__BODY_SNAPSHOT_END:
        c->kind = RCL_CHANGE_SNAPSHOT_END;
        c->u.snapshot_records = w->snapshot_end->records;
        break;
    case ROLLCALL__CHANGE__BODY_SCHOOL_REMOVED:
        c->kind = RCL_CHANGE_SCHOOL_REMOVED;
        if (codec_take_id("school_removed.school_id", w->school_removed->school_id,
                          c->u.school_removed, sizeof(c->u.school_removed), err, errlen) != 0)
            goto done;
        break;
    case ROLLCALL__CHANGE__BODY_KEY_ROTATION:
        c->kind = RCL_CHANGE_KEY_ROTATION;
        if (codec_take_bytes("key_rotation.new_key", &w->key_rotation->new_key,
                             c->u.key_rotation.new_key, RCL_PK_BYTES, err, errlen) != 0 ||
            codec_take_bytes("key_rotation.proof", &w->key_rotation->proof, c->u.key_rotation.proof,
                             RCL_SIG_BYTES, err, errlen) != 0)
            goto done;
        break;
    default:
        codec_err(err, errlen, "change has no body");
        goto done;
    }
    rc = 0;
done:
    if (w != NULL)
        rollcall__change__free_unpacked(w, NULL);
    if (rc != 0)
        memset(c, 0, sizeof(*c)); /* never hand back half a record */
    return rc;
}

/* ---- Batch ---- */

int rcl_batch_encode(const struct rcl_batch_header *h, const struct rcl_blob *changes, size_t n,
                     uint8_t **out, size_t *len)
{
    Rollcall__Batch w = ROLLCALL__BATCH__INIT;
    ProtobufCBinaryData *items = NULL;
    uint8_t prev[RCL_DIGEST_BYTES];
    char source[RCL_ID_MAX + 1];
    uint8_t *buf = NULL;
    size_t size;
    int rc = -1;

    memcpy(source, h->source, sizeof(source));
    source[RCL_ID_MAX] = '\0';
    w.source = source;
    w.epoch = h->epoch;
    w.first_seq = h->first_seq;
    w.last_seq = h->last_seq;
    if (h->has_prev) {
        memcpy(prev, h->prev_digest, sizeof(prev));
        w.prev_digest.data = prev;
        w.prev_digest.len = sizeof(prev);
    }
    w.sent_at = h->sent_at;
    w.probe_id = h->probe_id;
    w.protocol = h->protocol ? h->protocol : RCL_PROTOCOL_VERSION;
    if (n > 0) {
        items = calloc(n, sizeof(*items));
        if (items == NULL)
            goto done;
        for (size_t i = 0; i < n; i++) {
            /* protobuf-c only reads through this pointer while packing. */
            items[i].data = (uint8_t *)(uintptr_t)changes[i].data;
            items[i].len = changes[i].len;
        }
    }
    w.n_changes = n;
    w.changes = items;
    size = rollcall__batch__get_packed_size(&w);
    buf = malloc(size > 0 ? size : 1);
    if (buf == NULL)
        goto done;
    rollcall__batch__pack(&w, buf);
    *out = buf;
    *len = size;
    rc = 0;
done:
    free(items);
    return rc;
}

/*
 * Checks what a batch says about itself: its epoch, the range of seqs it
 * covers, prev_digest and the number of its changes. Returns 0, or -1 with err.
 */
static int check_batch_header(const Rollcall__Batch *w, char *err, size_t errlen)
{
    if (w->epoch == 0) {
        codec_err(err, errlen, "batch.epoch is 0 (epochs start at 1)");
        return -1;
    }
    if (w->first_seq == 0 && w->last_seq == 0 && w->n_changes == 0) {
        /* A probe: valid, and nothing more to check in the range. */
    } else if (w->first_seq == 0 || w->first_seq > w->last_seq) {
        codec_err(err, errlen, "batch range %" PRIu64 "..%" PRIu64 " is not valid", w->first_seq,
                  w->last_seq);
        return -1;
    }
    if (w->last_seq - w->first_seq >= UINT64_C(1) << 32) {
        codec_err(err, errlen, "batch range %" PRIu64 "..%" PRIu64 " is too wide", w->first_seq,
                  w->last_seq);
        return -1;
    }
    if (w->prev_digest.len != 0 && w->prev_digest.len != RCL_DIGEST_BYTES) {
        codec_err(err, errlen, "batch.prev_digest is %zu bytes, want %d or none",
                  w->prev_digest.len, RCL_DIGEST_BYTES);
        return -1;
    }
    if (w->n_changes > RCL_BATCH_RECORDS_MAX) {
        codec_err(err, errlen, "batch has %zu changes, limit %d", w->n_changes,
                  RCL_BATCH_RECORDS_MAX);
        return -1;
    }
    if (w->n_changes > w->last_seq - w->first_seq + 1) {
        codec_err(err, errlen, "batch has %zu changes for the %" PRIu64 " seqs it covers",
                  w->n_changes, w->last_seq - w->first_seq + 1);
        return -1;
    }
    return 0;
}

int rcl_batch_decode(const uint8_t *buf, size_t len, struct rcl_batch **out, char *err,
                     size_t errlen)
{
    Rollcall__Batch *w = NULL;
    struct rcl_batch *b = NULL;
    int rc = -1;

    *out = NULL;
    if (codec_too_long(len, err, errlen))
        goto done;
    w = rollcall__batch__unpack(NULL, len, buf);
    if (w == NULL) {
        codec_err(err, errlen, "batch is not a valid encoding");
        goto done;
    }
    b = calloc(1, sizeof(*b));
    if (b == NULL) {
        codec_err(err, errlen, "out of memory decoding a batch");
        goto done;
    }
    if (codec_take_id("batch.source", w->source, b->h.source, sizeof(b->h.source), err, errlen) !=
        0)
        goto done;
    if (check_batch_header(w, err, errlen) != 0)
        goto done;
    b->h.epoch = w->epoch;
    b->h.first_seq = w->first_seq;
    b->h.last_seq = w->last_seq;
    b->h.has_prev = w->prev_digest.len == RCL_DIGEST_BYTES;
    if (b->h.has_prev)
        memcpy(b->h.prev_digest, w->prev_digest.data, RCL_DIGEST_BYTES);
    b->h.sent_at = w->sent_at;
    b->h.probe_id = w->probe_id;
    b->h.protocol = w->protocol ? w->protocol : 1;
    if (w->n_changes > 0) {
        b->changes = calloc(w->n_changes, sizeof(*b->changes));
        if (b->changes == NULL) {
            codec_err(err, errlen, "out of memory decoding a batch");
            goto done;
        }
    }
    for (size_t i = 0; i < w->n_changes; i++) {
        b->changes[i].data = w->changes[i].data;
        b->changes[i].len = w->changes[i].len;
    }
    b->n_changes = w->n_changes;
    b->priv = w;
    w = NULL;
    *out = b;
    b = NULL;
    rc = 0;
done:
    if (b != NULL) {
        free(b->changes);
        free(b);
    }
    if (w != NULL)
        rollcall__batch__free_unpacked(w, NULL);
    return rc;
}

void rcl_batch_destroy(struct rcl_batch **b)
{
    if (b == NULL || *b == NULL)
        return;
    if ((*b)->priv != NULL)
        rollcall__batch__free_unpacked((Rollcall__Batch *)(*b)->priv, NULL);
    free((*b)->changes);
    free(*b);
    *b = NULL;
}

/* ---- Envelope ---- */

static int envelope_encode(const char *source, const uint8_t key_id[RCL_KEY_ID_BYTES],
                           const uint8_t sig[RCL_SIG_BYTES], bool deflated, const uint8_t *payload,
                           size_t len, uint8_t **out, size_t *outlen)
{
    Rollcall__Envelope w = ROLLCALL__ENVELOPE__INIT;
    char src[RCL_ID_MAX + 1];
    uint8_t kid[RCL_KEY_ID_BYTES];
    uint8_t s[RCL_SIG_BYTES];
    uint8_t *buf;
    size_t size;

    snprintf(src, sizeof(src), "%s", source);
    memcpy(kid, key_id, sizeof(kid));
    memcpy(s, sig, sizeof(s));
    w.source = src;
    w.key_id.data = kid;
    w.key_id.len = sizeof(kid);
    w.signature.data = s;
    w.signature.len = sizeof(s);
    if (deflated) {
        w.payload_deflated.data = (uint8_t *)(uintptr_t)payload;
        w.payload_deflated.len = len;
    } else {
        w.payload.data = (uint8_t *)(uintptr_t)payload;
        w.payload.len = len;
    }
    size = rollcall__envelope__get_packed_size(&w);
    buf = malloc(size > 0 ? size : 1);
    if (buf == NULL)
        return -1;
    rollcall__envelope__pack(&w, buf);
    *out = buf;
    *outlen = size;
    return 0;
}

int rcl_envelope_encode(const char *source, const uint8_t key_id[RCL_KEY_ID_BYTES],
                        const uint8_t sig[RCL_SIG_BYTES], const uint8_t *payload, size_t len,
                        uint8_t **out, size_t *outlen)
{
    return envelope_encode(source, key_id, sig, false, payload, len, out, outlen);
}

int rcl_envelope_encode_deflated(const char *source, const uint8_t key_id[RCL_KEY_ID_BYTES],
                                 const uint8_t sig[RCL_SIG_BYTES], const uint8_t *payload,
                                 size_t len, uint8_t **out, size_t *outlen)
{
    return envelope_encode(source, key_id, sig, true, payload, len, out, outlen);
}

int rcl_envelope_decode(const uint8_t *buf, size_t len, struct rcl_envelope **out, char *err,
                        size_t errlen)
{
    Rollcall__Envelope *w = NULL;
    struct rcl_envelope *e = NULL;
    int rc = -1;

    *out = NULL;
    if (codec_too_long(len, err, errlen))
        goto done;
    w = rollcall__envelope__unpack(NULL, len, buf);
    if (w == NULL) {
        codec_err(err, errlen, "envelope is not a valid encoding");
        goto done;
    }
    e = calloc(1, sizeof(*e));
    if (e == NULL) {
        codec_err(err, errlen, "out of memory decoding an envelope");
        goto done;
    }
    if (codec_take_id("envelope.source", w->source, e->source, sizeof(e->source), err, errlen) !=
            0 ||
        codec_take_bytes("envelope.key_id", &w->key_id, e->key_id, RCL_KEY_ID_BYTES, err, errlen) !=
            0 ||
        codec_take_bytes("envelope.signature", &w->signature, e->signature, RCL_SIG_BYTES, err,
                         errlen) != 0)
        goto done;
    if (w->payload.len != 0 && w->payload_deflated.len != 0) {
        codec_err(err, errlen, "envelope carries both payload and payload_deflated");
        goto done;
    }
    if (w->payload_deflated.len != 0) {
        e->deflated = true;
        e->payload.data = w->payload_deflated.data;
        e->payload.len = w->payload_deflated.len;
    } else if (w->payload.len != 0 && w->payload.data != NULL) {
        e->payload.data = w->payload.data;
        e->payload.len = w->payload.len;
    } else {
        codec_err(err, errlen, "envelope.payload is empty");
        goto done;
    }
    e->priv = w;
    w = NULL;
    *out = e;
    e = NULL;
    rc = 0;
done:
    free(e);
    if (w != NULL)
        rollcall__envelope__free_unpacked(w, NULL);
    return rc;
}

void rcl_envelope_destroy(struct rcl_envelope **e)
{
    if (e == NULL || *e == NULL)
        return;
    if ((*e)->priv != NULL)
        rollcall__envelope__free_unpacked((Rollcall__Envelope *)(*e)->priv, NULL);
    free(*e);
    *e = NULL;
}

/* ---- Reply ---- */

void rcl_protocol_refusal(char *out, size_t outlen, uint32_t theirs, const char *who)
{
    snprintf(out, outlen,
             "protocol version %u of %s is %s: this program (rollcall %s) speaks version %u and "
             "reads %u to %u; upgrade %s",
             theirs, who, theirs > RCL_PROTOCOL_VERSION ? "newer than this program's" : "too old",
             RCL_VERSION, RCL_PROTOCOL_VERSION, RCL_PROTOCOL_OLDEST, RCL_PROTOCOL_VERSION,
             theirs > RCL_PROTOCOL_VERSION ? "this program" : who);
}

int rcl_reply_encode(const struct rcl_reply *r, uint8_t **out, size_t *len)
{
    Rollcall__Reply w = ROLLCALL__REPLY__INIT;
    struct rcl_reply copy = *r;
    uint8_t *buf;
    size_t size;

    copy.source[sizeof(copy.source) - 1] = '\0';
    copy.reason[sizeof(copy.reason) - 1] = '\0';
    w.status = (uint32_t)r->status;
    w.source = copy.source;
    w.acked_seq = r->acked_seq;
    if (r->has_digest) {
        w.acked_digest.data = copy.acked_digest;
        w.acked_digest.len = RCL_DIGEST_BYTES;
    }
    w.resend_from = r->resend_from;
    w.reason = copy.reason;
    copy.top_id[sizeof(copy.top_id) - 1] = '\0';
    w.epoch = r->epoch;
    w.probe = r->probe;
    w.top_seq = r->top_seq;
    w.top_at = r->top_at;
    w.top_id = copy.top_id;
    w.probe_id = r->probe_id;
    w.protocol = r->protocol ? r->protocol : RCL_PROTOCOL_VERSION;
    size = rollcall__reply__get_packed_size(&w);
    buf = malloc(size > 0 ? size : 1);
    if (buf == NULL)
        return -1;
    rollcall__reply__pack(&w, buf);
    *out = buf;
    *len = size;
    return 0;
}

/* Length of the longest prefix of s (n bytes) that fits in max bytes and
 * does not end inside a UTF-8 sequence. */
static size_t utf8_prefix(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    n = max;
    /* Step back over continuation bytes to the start of the cut character. */
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

int rcl_reply_decode(const uint8_t *buf, size_t len, struct rcl_reply *r, char *err, size_t errlen)
{
    Rollcall__Reply *w = NULL;
    int rc = -1;

    memset(r, 0, sizeof(*r));
    if (codec_too_long(len, err, errlen))
        goto done;
    w = rollcall__reply__unpack(NULL, len, buf);
    if (w == NULL) {
        codec_err(err, errlen, "reply is not a valid encoding");
        goto done;
    }
    if (codec_check_enum("reply.status", w->status, RCL_REPLY_STATUS_COUNT, err, errlen) != 0)
        goto done;
    r->status = (enum rcl_reply_status)w->status;
    /* A refusal of a malformed envelope may not know the source: empty is allowed. */
    if (w->source != NULL && w->source[0] != '\0' &&
        codec_take_id("reply.source", w->source, r->source, sizeof(r->source), err, errlen) != 0)
        goto done;
    r->acked_seq = w->acked_seq;
    if (w->acked_digest.len != 0 &&
        codec_take_bytes("reply.acked_digest", &w->acked_digest, r->acked_digest, RCL_DIGEST_BYTES,
                         err, errlen) != 0)
        goto done;
    r->has_digest = w->acked_digest.len == RCL_DIGEST_BYTES;
    r->resend_from = w->resend_from;
    r->epoch = w->epoch;
    r->probe = w->probe != 0;
    r->top_seq = w->top_seq;
    r->top_at = w->top_at;
    r->probe_id = w->probe_id;
    r->protocol = w->protocol ? w->protocol : 1;
    if (w->top_id != NULL && w->top_id[0] != '\0' &&
        codec_take_id("reply.top_id", w->top_id, r->top_id, sizeof(r->top_id), err, errlen) != 0)
        goto done;
    if (w->reason != NULL) {
        /* The reason is shown to operators: keep what fits, cut on a character boundary. */
        size_t n = utf8_prefix(w->reason, strlen(w->reason), sizeof(r->reason) - 1);
        if (!rcl_utf8_valid(w->reason, n)) {
            codec_err(err, errlen, "reply.reason is not valid UTF-8 text");
            goto done;
        }
        memcpy(r->reason, w->reason, n);
        r->reason[n] = '\0';
    }
    rc = 0;
done:
    if (w != NULL)
        rollcall__reply__free_unpacked(w, NULL);
    if (rc != 0)
        memset(r, 0, sizeof(*r));
    return rc;
}

/*
 * agg_bundle.c - checking a bundle file and applying its batches through
 * ingest (see agg_bundle.h; the format is specified in client/bundle.h).
 */
#include "agg_bundle.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "agg_ingest.h"
#include "rcl_codec.h"
#include "rcl_keys.h"
#include "rcl_log.h"

#define TAG_BATCH RCL_BUNDLE_TAG_BATCH
#define TAG_END RCL_BUNDLE_TAG_END
/* magic, version u16, source length u8; then the source and created_at i64. */
#define HEADER_FIXED (RCL_BUNDLE_MAGIC_LEN + 2 + 1)
/* 'B', first_seq, last_seq, length. */
#define BATCH_FRAMING (1 + 8 + 8 + 4)
/* 'E', count, digest. */
#define TRAILER_BYTES (1 + 4 + RCL_DIGEST_BYTES)
/* A store busy beyond its time-out (`run` writing a large batch) is tried this often. */
#define BUSY_TRIES 3

static uint64_t get_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static void fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void rcl_agg_bundle_destroy(struct rcl_agg_bundle **b)
{
    if (!b || !*b)
        return;
    free((*b)->batches);
    if ((*b)->data) {
        /* Student records hold names: do not leave them in freed memory. */
        sodium_memzero((*b)->data, (*b)->size);
        free((*b)->data);
    }
    free(*b);
    *b = NULL;
}

/* Adds one batch to b's list. 0, or -1 out of memory. */
static int add_batch(struct rcl_agg_bundle *b, size_t *cap, const struct rcl_agg_bundle_batch *x)
{
    if (b->n_batches == *cap) {
        size_t n = *cap ? *cap * 2 : 16;
        struct rcl_agg_bundle_batch *p = realloc(b->batches, n * sizeof(*p));

        if (!p)
            return -1;
        b->batches = p;
        *cap = n;
    }
    b->batches[b->n_batches++] = *x;
    return 0;
}

/* The header: magic, version, source, created_at. Returns the offset after it, or 0 (err set). */
static size_t parse_header(struct rcl_agg_bundle *b, const char *name, char *err, size_t errlen)
{
    const uint8_t *d = b->data;
    size_t src_len;
    uint64_t version;

    if (b->size < RCL_BUNDLE_MAGIC_LEN || memcmp(d, RCL_BUNDLE_MAGIC, RCL_BUNDLE_MAGIC_LEN) != 0) {
        fail(err, errlen, "%s: 0: not a rollcall bundle (it does not start with %s)", name,
             RCL_BUNDLE_MAGIC);
        return 0;
    }
    if (b->size < HEADER_FIXED) {
        fail(err, errlen, "%s: %zu: the file ends inside the header: the bundle is truncated", name,
             b->size);
        return 0;
    }
    version = get_be(d + RCL_BUNDLE_MAGIC_LEN, 2);
    if (version != RCL_BUNDLE_VERSION) {
        fail(err, errlen,
             "%s: %d: bundle format version %" PRIu64 " is not supported (this program reads "
             "version %d)",
             name, RCL_BUNDLE_MAGIC_LEN, version, RCL_BUNDLE_VERSION);
        return 0;
    }
    src_len = d[HEADER_FIXED - 1];
    if (src_len < 1 || src_len > RCL_ID_MAX) {
        fail(err, errlen, "%s: %d: source id length %zu is outside 1-%d: the bundle is corrupt",
             name, HEADER_FIXED - 1, src_len, RCL_ID_MAX);
        return 0;
    }
    if (b->size < HEADER_FIXED + src_len + 8) {
        fail(err, errlen, "%s: %zu: the file ends inside the header: the bundle is truncated", name,
             b->size);
        return 0;
    }
    memcpy(b->source, d + HEADER_FIXED, src_len);
    b->source[src_len] = '\0';
    if (!rcl_id_valid(b->source)) {
        fail(err, errlen, "%s: %d: the source id is not valid: the bundle is corrupt", name,
             HEADER_FIXED);
        return 0;
    }
    b->created_at = (int64_t)get_be(d + HEADER_FIXED + src_len, 8);
    return HEADER_FIXED + src_len + 8;
}

/* The trailer at off, which must end the file. 0, or -1 with err set. */
static int parse_trailer(const struct rcl_agg_bundle *b, size_t off, const char *name, char *err,
                         size_t errlen)
{
    uint8_t digest[RCL_DIGEST_BYTES];
    uint64_t count;

    if (b->size - off < TRAILER_BYTES) {
        fail(err, errlen, "%s: %zu: the file ends inside the trailer: the bundle is truncated",
             name, off);
        return -1;
    }
    if (b->size - off > TRAILER_BYTES) {
        size_t extra = b->size - off - TRAILER_BYTES;

        fail(err, errlen, "%s: %zu: %zu byte%s follow%s the trailer: the bundle is corrupt", name,
             off + TRAILER_BYTES, extra, extra == 1 ? "" : "s", extra == 1 ? "s" : "");
        return -1;
    }
    rcl_digest(b->data, b->size - RCL_DIGEST_BYTES, digest);
    if (sodium_memcmp(digest, b->data + b->size - RCL_DIGEST_BYTES, RCL_DIGEST_BYTES) != 0) {
        fail(err, errlen,
             "%s: %zu: the contents do not match the trailer's BLAKE2b digest: the bundle is "
             "corrupt (copy it from the school again)",
             name, b->size - RCL_DIGEST_BYTES);
        return -1;
    }
    count = get_be(b->data + off + 1, 4);
    if (count != b->n_batches) {
        fail(err, errlen,
             "%s: %zu: the trailer counts %" PRIu64 " batches but the file holds %zu: the "
             "bundle is corrupt",
             name, off + 1, count, b->n_batches);
        return -1;
    }
    if (b->n_batches == 0) {
        fail(err, errlen,
             "%s: %zu: the bundle holds no batch (rollcall-school bundle never "
             "writes one like it)",
             name, off);
        return -1;
    }
    return 0;
}

/* Every envelope must decode and come from the bundle's source. 0, or -1 with err set. */
static int check_envelopes(const struct rcl_agg_bundle *b, const char *name, char *err,
                           size_t errlen)
{
    for (size_t i = 0; i < b->n_batches; i++) {
        const struct rcl_agg_bundle_batch *x = &b->batches[i];
        struct rcl_envelope *env = NULL;
        char why[160];

        if (rcl_envelope_decode(x->envelope, x->envelope_len, &env, why, sizeof(why)) != 0) {
            fail(err, errlen,
                 "%s: %zu: batch #%zu (seq %" PRIu64 "..%" PRIu64 "): the envelope does not "
                 "decode: %s",
                 name, x->offset + BATCH_FRAMING, i + 1, x->first_seq, x->last_seq, why);
            return -1;
        }
        if (strcmp(env->source, b->source) != 0) {
            fail(err, errlen,
                 "%s: %zu: batch #%zu (seq %" PRIu64 "..%" PRIu64 ") comes from source '%.32s', "
                 "but the bundle is from source %s",
                 name, x->offset + BATCH_FRAMING, i + 1, x->first_seq, x->last_seq, env->source,
                 b->source);
            rcl_envelope_destroy(&env);
            return -1;
        }
        rcl_envelope_destroy(&env);
    }
    return 0;
}

struct rcl_agg_bundle *rcl_agg_bundle_parse(uint8_t *data, size_t size, const char *name, char *err,
                                            size_t errlen)
{
    struct rcl_agg_bundle *b = calloc(1, sizeof(*b));
    size_t off, cap = 0;

    if (!b) {
        fail(err, errlen, "%s: 0: out of memory", name);
        return NULL;
    }
    b->data = data;
    b->size = size;
    off = parse_header(b, name, err, errlen);
    if (off == 0)
        goto bad;
    for (;;) {
        struct rcl_agg_bundle_batch x;
        uint8_t tag;

        if (off == size) {
            fail(err, errlen,
                 "%s: %zu: the file ends after %zu batches without a trailer: the bundle is "
                 "truncated",
                 name, off, b->n_batches);
            goto bad;
        }
        tag = data[off];
        if (tag == TAG_END)
            break;
        if (tag != TAG_BATCH) {
            fail(err, errlen,
                 "%s: %zu: byte 0x%02x where a batch ('B') or the trailer ('E') should start: "
                 "the bundle is corrupt",
                 name, off, tag);
            goto bad;
        }
        if (size - off < BATCH_FRAMING) {
            fail(err, errlen,
                 "%s: %zu: the file ends inside the framing of batch #%zu: the bundle is "
                 "truncated",
                 name, off, b->n_batches + 1);
            goto bad;
        }
        memset(&x, 0, sizeof(x));
        x.offset = off;
        x.first_seq = get_be(data + off + 1, 8);
        x.last_seq = get_be(data + off + 9, 8);
        x.envelope_len = (size_t)get_be(data + off + 17, 4);
        if (x.envelope_len == 0 || x.envelope_len > RCL_MESSAGE_BYTES_MAX) {
            fail(err, errlen,
                 "%s: %zu: batch #%zu claims %zu bytes, outside 1..%d: the bundle is corrupt", name,
                 off + 17, b->n_batches + 1, x.envelope_len, RCL_MESSAGE_BYTES_MAX);
            goto bad;
        }
        if (size - off - BATCH_FRAMING < x.envelope_len) {
            fail(err, errlen,
                 "%s: %zu: batch #%zu (seq %" PRIu64 "..%" PRIu64 ") needs %zu bytes but only "
                 "%zu remain: the bundle is truncated or corrupt",
                 name, off, b->n_batches + 1, x.first_seq, x.last_seq, x.envelope_len,
                 size - off - BATCH_FRAMING);
            goto bad;
        }
        if (x.first_seq == 0 || x.first_seq > x.last_seq) {
            fail(err, errlen,
                 "%s: %zu: batch #%zu has the seq range %" PRIu64 "..%" PRIu64
                 ": the bundle is corrupt",
                 name, off + 1, b->n_batches + 1, x.first_seq, x.last_seq);
            goto bad;
        }
        /* Sealed batches tile the sequence: each starts right after the one before. */
        if (b->n_batches > 0 && x.first_seq != b->batches[b->n_batches - 1].last_seq + 1) {
            fail(err, errlen,
                 "%s: %zu: batch #%zu starts at seq %" PRIu64 ", not right after seq %" PRIu64
                 " where batch #%zu ends: the bundle is corrupt",
                 name, off + 1, b->n_batches + 1, x.first_seq,
                 b->batches[b->n_batches - 1].last_seq, b->n_batches);
            goto bad;
        }
        x.envelope = data + off + BATCH_FRAMING;
        if (add_batch(b, &cap, &x) != 0) {
            fail(err, errlen, "%s: %zu: out of memory", name, off);
            goto bad;
        }
        off += BATCH_FRAMING + x.envelope_len;
    }
    if (parse_trailer(b, off, name, err, errlen) != 0 || check_envelopes(b, name, err, errlen) != 0)
        goto bad;
    return b;
bad:
    /* The caller keeps data on failure. */
    b->data = NULL;
    rcl_agg_bundle_destroy(&b);
    return NULL;
}

struct rcl_agg_bundle *rcl_agg_bundle_read(const char *path, char *err, size_t errlen)
{
    struct rcl_agg_bundle *b = NULL;
    struct stat st;
    uint8_t *data = NULL;
    size_t size = 0;
    FILE *f = fopen(path, "rb");

    if (!f) {
        fail(err, errlen, "%s: 0: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fail(err, errlen, "%s: 0: not a regular file", path);
        goto out;
    }
    if ((uint64_t)st.st_size > RCL_AGG_BUNDLE_BYTES_MAX) {
        fail(err, errlen, "%s: 0: the file is %lld bytes, more than a bundle may have (%zu)", path,
             (long long)st.st_size, RCL_AGG_BUNDLE_BYTES_MAX);
        goto out;
    }
    size = (size_t)st.st_size;
    if (size == 0) {
        fail(err, errlen, "%s: 0: the file is empty: not a rollcall bundle", path);
        goto out;
    }
    data = malloc(size);
    if (!data) {
        fail(err, errlen, "%s: 0: out of memory for %zu bytes", path, size);
        goto out;
    }
    if (fread(data, 1, size, f) != size) {
        fail(err, errlen, "%s: 0: cannot read %zu bytes: %s", path, size,
             ferror(f) ? strerror(errno) : "the file shrank while it was read");
        goto out;
    }
    b = rcl_agg_bundle_parse(data, size, path, err, errlen);
    if (b)
        data = NULL; /* the bundle owns it now */
out:
    if (data) {
        sodium_memzero(data, size);
        free(data);
    }
    fclose(f);
    return b;
}

/* "2026-11-28 16:40 UTC" */
static void format_time(int64_t t, char *out, size_t outlen)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (t <= 0 || !gmtime_r(&tt, &tm) || strftime(out, outlen, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(out, outlen, "an unknown time");
}

/* Ingests one envelope, trying again while the store is busy. Returns what ingest returned. */
static int ingest_one(struct rcl_agg_ingest_ctx *ctx, const struct rcl_agg_bundle *b,
                      const struct rcl_agg_bundle_batch *x, struct rcl_reply *reply)
{
    int committed = 0;

    for (int attempt = 1; attempt <= BUSY_TRIES; attempt++) {
        struct timespec pause = {1, 0};

        /* No connection here: the envelope's own source stands in for the ZAP user id,
         * and ingest still checks its signature against the key enrolled for it. */
        committed = rcl_agg_ingest(ctx, x->envelope, x->envelope_len, b->source, reply);
        if (reply->status != RCL_REPLY_BUSY || attempt == BUSY_TRIES)
            break;
        nanosleep(&pause, NULL);
    }
    return committed;
}

int rcl_agg_bundle_import(sqlite3 *db, const struct rcl_agg_config *cfg, const char *path,
                          FILE *out)
{
    struct rcl_agg_ingest_ctx ctx = {.db = db, .cfg = cfg, .now = 0};
    struct rcl_agg_bundle *b;
    struct rcl_agg_source src;
    char why[512], made[64];
    size_t applied = 0, held = 0, i;
    bool failed = false;

    b = rcl_agg_bundle_read(path, why, sizeof(why));
    if (!b) {
        rcl_log_write(RCL_LOG_ERROR, "import-bundle: the bundle is refused; nothing applied err=%s",
                      rcl_log_value(why));
        return 1;
    }
    format_time(b->created_at, made, sizeof(made));
    fprintf(out, "bundle %s: source %s, %zu batch%s, seq %" PRIu64 "..%" PRIu64 ", made %s\n", path,
            b->source, b->n_batches, b->n_batches == 1 ? "" : "es", b->batches[0].first_seq,
            b->batches[b->n_batches - 1].last_seq, made);
    why[0] = '\0';
    for (i = 0; i < b->n_batches && !failed; i++) {
        const struct rcl_agg_bundle_batch *x = &b->batches[i];
        struct rcl_reply r;
        int committed = ingest_one(&ctx, b, x, &r);

        fprintf(out, "batch #%zu seq %" PRIu64 "..%" PRIu64 ": ", i + 1, x->first_seq, x->last_seq);
        if (r.status == RCL_REPLY_ACK && committed) {
            fprintf(out, "applied\n");
            applied++;
            continue;
        }
        if (r.status == RCL_REPLY_ACK && r.acked_seq >= x->last_seq) {
            fprintf(out, "already held (applied through seq %" PRIu64 ")\n", r.acked_seq);
            held++;
            continue;
        }
        failed = true;
        switch (r.status) {
        case RCL_REPLY_ACK:
            snprintf(why, sizeof(why),
                     "refused: this aggregator holds source %s through seq %" PRIu64
                     " with other contents (the school's store was restored from a backup: "
                     "sync it over the network)",
                     b->source, r.acked_seq);
            break;
        case RCL_REPLY_RESEND:
            snprintf(why, sizeof(why),
                     "gap: resend from %" PRIu64 " (this aggregator holds source %s through seq "
                     "%" PRIu64 "; import the bundle that carries seq %" PRIu64 " first)",
                     r.resend_from, b->source, r.resend_from - 1, r.resend_from);
            break;
        case RCL_REPLY_REFUSED:
            snprintf(why, sizeof(why), "refused: %s", r.reason);
            break;
        default:
            snprintf(why, sizeof(why), "busy: %s", r.reason);
            break;
        }
        fprintf(out, "%s\n", why);
        rcl_log_write(RCL_LOG_ERROR,
                      "import-bundle: a batch was not applied file=%s offset=%zu batch=%zu "
                      "seq=%" PRIu64 "..%" PRIu64 " source=%s reason=%s",
                      rcl_log_value(path), x->offset, i + 1, x->first_seq, x->last_seq,
                      rcl_log_value(b->source), rcl_log_value(why));
    }
    for (size_t k = i; k < b->n_batches; k++)
        fprintf(out, "batch #%zu seq %" PRIu64 "..%" PRIu64 ": not tried (it follows batch #%zu)\n",
                k + 1, b->batches[k].first_seq, b->batches[k].last_seq, i);
    fprintf(out, "import-bundle: %zu batch%s: %zu applied, %zu already held, %zu not applied",
            b->n_batches, b->n_batches == 1 ? "" : "es", applied, held,
            b->n_batches - applied - held);
    if (rcl_agg_source_get(db, b->source, &src) == 1)
        fprintf(out, "; source %s is applied through seq %" PRIu64, b->source, src.applied_seq);
    fprintf(out, "\n");
    if (applied > 0 && cfg->has_upstream)
        fprintf(out,
                "import-bundle: the updated summaries go to %s with `rollcall-agg run` (at "
                "once if it is running, else when it next starts)\n",
                cfg->upstream);
    rcl_agg_bundle_destroy(&b);
    return failed ? 1 : 0;
}

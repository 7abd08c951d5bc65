/*
 * bundle.c - writing the school's pending batches to a bundle file (see
 * bundle.h for the format).
 */
#include "bundle.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "rcl_codec.h"
#include "rcl_db.h"
#include "rcl_log.h"
#include "rcl_outbox.h"
#include "rcl_platform.h"

#define BUNDLE_PATH_MAX 4096

/* The file being written, and the digest of every byte written so far. */
struct bundle_writer {
    FILE *f;
    crypto_generichash_state hash;
    uint64_t bytes;
    int error; /* errno of the first failed write, 0 while all is well */
};

static void put(struct bundle_writer *w, const void *p, size_t n)
{
    if (w->error != 0)
        return;
    if (n > 0 && fwrite(p, 1, n, w->f) != n) {
        w->error = errno != 0 ? errno : EIO;
        return;
    }
    crypto_generichash_update(&w->hash, p, n);
    w->bytes += n;
}

static void put_u8(struct bundle_writer *w, uint8_t v)
{
    put(w, &v, 1);
}

static void put_be(struct bundle_writer *w, uint64_t v, size_t n)
{
    uint8_t b[8];

    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    put(w, b, n);
}

/* What went into the bundle. */
struct bundle_counts {
    uint64_t batches;
    uint64_t first_seq;
    uint64_t last_seq;
};

/*
 * Writes header, every sealed batch after acked_seq and the trailer to w.
 * Returns 0, -1 on a store error (logged) or a write error (w->error).
 */
static int write_bundle(struct bundle_writer *w, sqlite3 *db, const char *source,
                        uint64_t acked_seq, struct bundle_counts *c)
{
    uint8_t digest[RCL_DIGEST_BYTES];
    uint64_t after = acked_seq;
    size_t source_len = strlen(source);

    put(w, RCL_BUNDLE_MAGIC, RCL_BUNDLE_MAGIC_LEN);
    put_be(w, RCL_BUNDLE_VERSION, 2);
    put_u8(w, (uint8_t)source_len);
    put(w, source, source_len);
    put_be(w, (uint64_t)(int64_t)time(NULL), 8);
    for (;;) {
        struct rcl_sealed s;
        enum rcl_outbox_found found = rcl_outbox_next_sealed(db, after, &s);

        if (found == RCL_OUTBOX_FAILED)
            return -1;
        if (found == RCL_OUTBOX_NONE)
            break;
        if (s.envelope_len == 0 || s.envelope_len > RCL_MESSAGE_BYTES_MAX) {
            RCL_ERROR("bundle: sealed batch of a bad size seq=%" PRIu64 "..%" PRIu64
                      " bytes=%zu max=%d",
                      s.first_seq, s.last_seq, s.envelope_len, RCL_MESSAGE_BYTES_MAX);
            rcl_sealed_clear(&s);
            return -1;
        }
        put_u8(w, RCL_BUNDLE_TAG_BATCH);
        put_be(w, s.first_seq, 8);
        put_be(w, s.last_seq, 8);
        put_be(w, s.envelope_len, 4);
        put(w, s.envelope, s.envelope_len);
        if (c->batches == 0)
            c->first_seq = s.first_seq;
        c->last_seq = s.last_seq;
        c->batches++;
        after = s.last_seq;
        rcl_sealed_clear(&s);
        if (w->error != 0)
            return -1;
    }
    put_u8(w, RCL_BUNDLE_TAG_END);
    put_be(w, c->batches, 4);
    if (w->error != 0)
        return -1;
    crypto_generichash_final(&w->hash, digest, sizeof(digest));
    if (fwrite(digest, 1, sizeof(digest), w->f) != sizeof(digest)) {
        w->error = errno != 0 ? errno : EIO;
        return -1;
    }
    w->bytes += sizeof(digest);
    return 0;
}

/* Seals what is pending with the school's key, which is wiped right after. -1 logged. */
static int seal_pending(sqlite3 *db, const struct rcl_school_meta *m)
{
    uint8_t sk[RCL_SK_BYTES];
    int sealed;

    if (rcl_school_secret_key_load(db, sk) != 0) {
        RCL_ERROR("bundle: the store has no usable secret key");
        return -1;
    }
    sealed = rcl_outbox_seal(db, m->school_id, m->public_key, sk);
    sodium_memzero(sk, sizeof(sk));
    return sealed < 0 ? -1 : 0;
}

/* Why out_path cannot take a bundle (logged): the exit code, or -1 when it can. Checked before
 * anything is sealed, so that the school's store stays as it was. */
static int unusable_path(const char *out_path)
{
    bool exists = false;

    if (out_path[0] == '\0' || strlen(out_path) + 8 >= BUNDLE_PATH_MAX) {
        rcl_log_write(RCL_LOG_ERROR, "bundle: not a usable file name file=%s",
                      rcl_log_value(out_path));
        return RCL_SCHOOL_EXIT_USAGE;
    }
    if (rcl_path_exists(out_path, &exists) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "bundle: cannot check the file file=%s err=%s",
                      rcl_log_value(out_path), rcl_log_value(strerror(errno)));
        return RCL_SCHOOL_EXIT_DATA;
    }
    if (exists) {
        rcl_log_write(RCL_LOG_ERROR,
                      "bundle: the file already exists; a bundle never overwrites a file: "
                      "give another name, or remove it first file=%s",
                      rcl_log_value(out_path));
        return RCL_SCHOOL_EXIT_DATA;
    }
    return -1;
}

/* Closes the written temporary file tmp, durably, and moves it to out_path, never over a file
 * that appeared meanwhile. 0 (tmp is gone then), or -1 logged. */
static int publish(struct bundle_writer *w, const char *tmp, const char *out_path)
{
    FILE *f = w->f;
    int published;

    if (rcl_file_sync(f) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "bundle: cannot write to disk file=%s err=%s",
                      rcl_log_value(tmp), rcl_log_value(strerror(errno)));
        return -1;
    }
    w->f = NULL;
    if (fclose(f) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "bundle: cannot close file=%s err=%s", rcl_log_value(tmp),
                      rcl_log_value(strerror(errno)));
        return -1;
    }
    published = rcl_rename_new(tmp, out_path);
    if (published == 1) {
        rcl_log_write(RCL_LOG_ERROR,
                      "bundle: the file appeared while the bundle was written; a bundle never "
                      "overwrites a file: give another name file=%s",
                      rcl_log_value(out_path));
        return -1;
    }
    if (published != 0) {
        rcl_log_write(RCL_LOG_ERROR,
                      "bundle: cannot move the file into place file=%s tmp=%s err=%s",
                      rcl_log_value(out_path), rcl_log_value(tmp), rcl_log_value(strerror(errno)));
        return -1;
    }
    return 0;
}

/* Writes every sealed batch after st's acknowledged seq to a new temporary file beside out_path
 * and publishes it there. 0, or -1 logged, with no temporary file left. */
static int write_file(sqlite3 *db, const struct rcl_school_meta *m, const char *out_path,
                      const struct rcl_outbox_stats *st, struct bundle_writer *w,
                      struct bundle_counts *c)
{
    char tmp[BUNDLE_PATH_MAX];
    int rc = -1;

    snprintf(tmp, sizeof(tmp), "%s.XXXXXX", out_path);
    w->f = rcl_fopen_temp(tmp);
    if (w->f == NULL) {
        rcl_log_write(RCL_LOG_ERROR,
                      "bundle: cannot create a temporary file next to it file=%s err=%s",
                      rcl_log_value(out_path), rcl_log_value(strerror(errno)));
        return -1;
    }
    crypto_generichash_init(&w->hash, NULL, 0, RCL_DIGEST_BYTES);
    if (write_bundle(w, db, m->school_id, st->acked_seq, c) != 0) {
        if (w->error != 0)
            rcl_log_write(RCL_LOG_ERROR, "bundle: cannot write file=%s offset=%" PRIu64 " err=%s",
                          rcl_log_value(tmp), w->bytes, rcl_log_value(strerror(w->error)));
        else
            rcl_log_write(RCL_LOG_ERROR,
                          "bundle: reading the sealed batches failed (see the log above)");
    } else if (c->batches == 0) {
        rcl_log_write(RCL_LOG_ERROR,
                      "bundle: changes are pending but no sealed batch holds them (see the log "
                      "above); nothing written pending=%" PRIu64,
                      st->pending);
    } else {
        rc = publish(w, tmp, out_path);
    }
    if (w->f != NULL) {
        fclose(w->f);
        w->f = NULL;
    }
    if (rc != 0)
        rcl_unlink(tmp);
    return rc;
}

/* What the bundle holds, and that its changes stay pending until the county acknowledges them. */
static void say_bundled(const struct rcl_school_meta *m, const char *out_path,
                        const struct rcl_outbox_stats *st, const struct bundle_writer *w,
                        const struct bundle_counts *c, enum rcl_sheet_lang lang, FILE *out)
{
    if (lang == RCL_SHEET_ZH)
        fprintf(out,
                "已把本校（%s）的 %" PRIu64 " 项改动（第 %" PRIu64 "–%" PRIu64 " 项，%" PRIu64
                " 批）写入 %s（%" PRIu64 " 字节）\n"
                "县里导入这个文件后，下次同步时确认收到；在此之前这些改动仍算待上报\n",
                m->school_id, st->pending, c->first_seq, c->last_seq, c->batches, out_path,
                w->bytes);
    else
        fprintf(out,
                "bundled %" PRIu64 " batch%s (%" PRIu64 " change%s, seq %" PRIu64 "..%" PRIu64
                ") of school %s into %s (%" PRIu64 " bytes)\n"
                "bundle: the changes stay pending until the county acknowledges them (at the "
                "next sync after it imported the bundle)\n",
                c->batches, c->batches == 1 ? "" : "es", st->pending, st->pending == 1 ? "" : "s",
                c->first_seq, c->last_seq, m->school_id, out_path, w->bytes);
}

int rcl_school_bundle(sqlite3 *db, const struct rcl_school_meta *m, const char *out_path,
                      enum rcl_sheet_lang lang, FILE *out)
{
    struct bundle_writer w;
    struct bundle_counts c;
    struct rcl_outbox_stats st;
    int rc;

    memset(&w, 0, sizeof(w));
    memset(&c, 0, sizeof(c));
    if ((rc = unusable_path(out_path)) >= 0)
        return rc;
    if (rcl_outbox_stats(db, &st) != 0) {
        rcl_log_write(RCL_LOG_ERROR, "bundle: cannot read the outbox (see the log above)");
        return RCL_SCHOOL_EXIT_DATA;
    }
    if (st.pending == 0) {
        fprintf(out,
                lang == RCL_SHEET_ZH
                    ? "没有待上报的改动：县里已确认到第 %" PRIu64 " 项改动；没有写出文件\n"
                    : "bundle: nothing pending: every change is acknowledged up to seq %" PRIu64
                      "; no file written\n",
                st.acked_seq);
        return RCL_SCHOOL_EXIT_OK;
    }
    if (seal_pending(db, m) != 0) {
        rcl_log_write(RCL_LOG_ERROR,
                      "bundle: sealing the pending changes failed (see the log above); "
                      "nothing written");
        return RCL_SCHOOL_EXIT_DATA;
    }
    /* One read transaction: the batches written are those the counts describe, even if a
     * sync records an acknowledgement meanwhile (WAL: it does not wait for us). */
    if (rcl_db_read_begin(db) != 0) {
        rcl_log_write(RCL_LOG_ERROR,
                      "bundle: cannot read the store (see the log above); nothing written");
        return RCL_SCHOOL_EXIT_DATA;
    }
    rc = RCL_SCHOOL_EXIT_DATA;
    if (rcl_outbox_stats(db, &st) != 0)
        rcl_log_write(RCL_LOG_ERROR,
                      "bundle: cannot read the outbox (see the log above); nothing written");
    else if (write_file(db, m, out_path, &st, &w, &c) == 0)
        rc = RCL_SCHOOL_EXIT_OK;
    rcl_db_read_end(db);
    if (rc != RCL_SCHOOL_EXIT_OK)
        return rc;
    if (rcl_dir_sync_of(out_path) != 0) {
        rcl_log_write(RCL_LOG_ERROR,
                      "bundle: written, but its folder cannot be synced to disk file=%s err=%s",
                      rcl_log_value(out_path), rcl_log_value(strerror(errno)));
        return RCL_SCHOOL_EXIT_DATA;
    }
    say_bundled(m, out_path, &st, &w, &c, lang, out);
    return RCL_SCHOOL_EXIT_OK;
}

/*
 * agg_prepare.c - decoding and verifying a received message ahead of the
 * store (see agg_prepare.h).
 */
#include "agg_prepare.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static const char *const change_kind_words[] = {
    [RCL_CHANGE_STUDENT] = "a student record",
    [RCL_CHANGE_REMOVED] = "a student removal",
    [RCL_CHANGE_SCHOOL] = "a school profile",
    [RCL_CHANGE_SUMMARY] = "a school summary",
    [RCL_CHANGE_SNAPSHOT_END] = "the end of a snapshot",
    [RCL_CHANGE_SCHOOL_REMOVED] = "a school removal",
    [RCL_CHANGE_KEY_ROTATION] = "a key rotation",
};

/*
 * Decodes every change of b into out[] and checks it belongs in this batch
 * and at this tier. Returns 0, or -1 with the reason for refusing in why.
 */
static int decode_changes(const struct rcl_agg_config *cfg, const struct rcl_batch *b,
                          struct rcl_change *out, char *why, size_t whylen)
{
    char err[160];
    uint64_t prev = 0;
    const struct rcl_batch_header *h = &b->h;

    for (size_t i = 0; i < b->n_changes; i++) {
        struct rcl_change *c = &out[i];

        if (rcl_change_decode(b->changes[i].data, b->changes[i].len, c, err, sizeof(err)) != 0) {
            snprintf(why, whylen, "batch %" PRIu64 "..%" PRIu64 ": change #%zu does not decode: %s",
                     h->first_seq, h->last_seq, i + 1, err);
            return -1;
        }
        if (c->seq < h->first_seq || c->seq > h->last_seq) {
            snprintf(why, whylen,
                     "change seq %" PRIu64 " is outside its batch %" PRIu64 "..%" PRIu64, c->seq,
                     h->first_seq, h->last_seq);
            return -1;
        }
        if (i > 0 && c->seq <= prev) {
            snprintf(why, whylen,
                     "change seq %" PRIu64 " follows seq %" PRIu64 ": seqs must increase", c->seq,
                     prev);
            return -1;
        }
        prev = c->seq;
        if (c->kind == RCL_CHANGE_SNAPSHOT_END || c->kind == RCL_CHANGE_KEY_ROTATION)
            continue; /* every tier; judged when applying */
        if (cfg->tier == RCL_AGG_COUNTY) {
            if (c->kind == RCL_CHANGE_SUMMARY || c->kind == RCL_CHANGE_SCHOOL_REMOVED) {
                snprintf(why, whylen,
                         "change seq %" PRIu64 ": %s is not accepted at a county (its sources "
                         "are schools)",
                         c->seq, change_kind_words[c->kind]);
                return -1;
            }
            if (c->kind == RCL_CHANGE_SCHOOL && strcmp(c->u.school.school_id, h->source) != 0) {
                snprintf(why, whylen,
                         "change seq %" PRIu64 ": school profile of %s sent by school %s", c->seq,
                         c->u.school.school_id, h->source);
                return -1;
            }
        } else if (c->kind != RCL_CHANGE_SUMMARY && c->kind != RCL_CHANGE_SCHOOL_REMOVED) {
            snprintf(why, whylen,
                     "change seq %" PRIu64 ": %s is not accepted at a %s aggregator (its sources "
                     "send school summaries only)",
                     c->seq, change_kind_words[c->kind], rcl_agg_tier_names[cfg->tier]);
            return -1;
        }
    }
    return 0;
}

int rcl_agg_prepare_envelope(struct rcl_agg_prepared *p, const uint8_t *buf, size_t len)
{
    char err[RCL_AGG_PREPARE_ERR_MAX - 32];

    memset(p, 0, sizeof(*p));
    if (len > RCL_MESSAGE_BYTES_MAX) {
        snprintf(p->malformed, sizeof(p->malformed),
                 "malformed envelope: %zu bytes exceed the limit of %d", len,
                 RCL_MESSAGE_BYTES_MAX);
        return -1;
    }
    if (rcl_envelope_decode(buf, len, &p->env, err, sizeof(err)) != 0) {
        p->env = NULL;
        snprintf(p->malformed, sizeof(p->malformed), "malformed envelope: %s", err);
        return -1;
    }
    if (!rcl_id_valid(p->env->source)) {
        rcl_envelope_destroy(&p->env);
        snprintf(p->malformed, sizeof(p->malformed),
                 "malformed envelope: the source id is not valid");
        return -1;
    }
    return 0;
}

int rcl_agg_prepare_payload(struct rcl_agg_prepared *p, const struct rcl_agg_config *cfg,
                            const uint8_t key[RCL_PK_BYTES])
{
    char err[RCL_AGG_PREPARE_ERR_MAX];
    const struct rcl_batch *b;

    if (!p->env || rcl_envelope_verify(p->env, key, err, sizeof(err)) != 0)
        return -1;
    p->verified = true;
    memcpy(p->key, key, RCL_PK_BYTES);
    if (rcl_envelope_open_batch(p->env, &p->batch, p->batch_err, sizeof(p->batch_err)) != 0) {
        p->batch = NULL;
        if (!p->batch_err[0])
            snprintf(p->batch_err, sizeof(p->batch_err), "does not decode");
        return 0;
    }
    b = p->batch;
    if (rcl_batch_is_probe(&b->h) || b->n_changes == 0 || b->n_changes > RCL_BATCH_RECORDS_MAX)
        return 0;
    p->changes = calloc(b->n_changes, sizeof(*p->changes));
    if (!p->changes) {
        p->out_of_memory = true;
        return 0;
    }
    if (decode_changes(cfg, b, p->changes, p->changes_err, sizeof(p->changes_err)) != 0)
        p->changes_bad = true;
    return 0;
}

void rcl_agg_prepared_clear_payload(struct rcl_agg_prepared *p)
{
    if (p->changes) {
        /* Student records hold names: do not leave them in freed memory. */
        sodium_memzero(p->changes, p->batch->n_changes * sizeof(*p->changes));
        free(p->changes);
        p->changes = NULL;
    }
    rcl_batch_destroy(&p->batch);
    p->verified = false;
    memset(p->key, 0, sizeof(p->key));
    p->batch_err[0] = p->changes_err[0] = '\0';
    p->changes_bad = p->out_of_memory = false;
}

void rcl_agg_prepared_clear(struct rcl_agg_prepared *p)
{
    rcl_agg_prepared_clear_payload(p);
    rcl_envelope_destroy(&p->env);
    memset(p, 0, sizeof(*p));
}

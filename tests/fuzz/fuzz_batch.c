/*
 * fuzz_batch.c - batch payloads, signed by an enrolled source before they
 * are ingested, so decoding, validation and applying are reached: every
 * input is a payload the aggregator must judge on its merits.
 *
 * The first byte picks the store and the sender: tier = byte % 3 (county,
 * city, province), sender = (byte / 3) % 2 (a source that never sent
 * anything, or one with a history: epoch 1, seqs 1..3 applied). The rest is
 * the payload. A county takes student records; a city and the province
 * take school summaries, so both paths are fuzzed.
 */
#include <stdlib.h>

#include "fuzz_fixture.h"
#include "rcl_envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_agg *w;
    const struct fuzz_node *sender;
    uint8_t *env = NULL;
    size_t env_len = 0;

    if (size < 1)
        return 0;
    w = fuzz_agg_world((enum fuzz_tier)(data[0] % FUZZ_TIER_COUNT));
    sender = &w->src[(data[0] / FUZZ_TIER_COUNT) % FUZZ_WHO_COUNT];
    /* An empty payload cannot be sealed into a valid envelope: the fuzz_envelope target has it. */
    if (size < 2)
        return 0;
    FUZZ_ASSERT(rcl_envelope_seal(sender->id, data + 1, size - 1, sender->pk, sender->sk, &env,
                                  &env_len) == 0,
                "sealing %zu bytes", size - 1);
    fuzz_agg_ingest_checked(w, env, env_len, sender->id);
    free(env);
    fuzz_agg_reset(w);
    return 0;
}

/*
 * fuzz_deflated.c - compressed batch payloads (the envelope's
 * payload_deflated), signed by an enrolled source before they are ingested,
 * so the inflater, the column rebuild and everything after them are
 * reached: cut, corrupt and bomb streams, hostile column forms, and forms
 * that rebuild to hostile batches.
 *
 * The first byte picks the store and the sender as in fuzz_batch; the rest
 * is the compressed payload (rcl_batch_compress's form: the set-apart part,
 * then the DEFLATE stream of the column form).
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

    if (size < 2)
        return 0;
    w = fuzz_agg_world((enum fuzz_tier)(data[0] % FUZZ_TIER_COUNT));
    sender = &w->src[(data[0] / FUZZ_TIER_COUNT) % FUZZ_WHO_COUNT];
    FUZZ_ASSERT(rcl_envelope_seal_deflated(sender->id, data + 1, size - 1, sender->pk, sender->sk,
                                           &env, &env_len) == 0,
                "sealing %zu compressed bytes", size - 1);
    fuzz_agg_ingest_checked(w, env, env_len, sender->id);
    free(env);
    fuzz_agg_reset(w);
    return 0;
}

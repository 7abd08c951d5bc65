/*
 * fuzz_envelope.c - the bytes a county aggregator receives from a school,
 * whole: rcl_agg_ingest on a county store with two enrolled schools whose
 * keys the corpus was signed with (fuzz_fixture.h).
 *
 * The connection is taken to be authenticated as the source the envelope
 * names (as ZAP would have bound it), so inputs get past rule 2 and only the
 * signature stands between them and the payload decoder; envelopes that do
 * not decode are ingested as if from the first school.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_agg *w = fuzz_agg_world(FUZZ_COUNTY);
    struct rcl_envelope *env = NULL;
    char user[RCL_ID_MAX + 1];
    char err[200];

    snprintf(user, sizeof(user), "%s", w->src[FUZZ_FRESH].id);
    if (rcl_envelope_decode(data, size, &env, err, sizeof(err)) == 0) {
        snprintf(user, sizeof(user), "%s", env->source);
        rcl_envelope_destroy(&env);
    }
    fuzz_agg_ingest_checked(w, data, size, user);
    fuzz_agg_reset(w);
    return 0;
}

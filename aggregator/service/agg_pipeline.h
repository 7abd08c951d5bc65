/*
 * agg_pipeline.h - a second thread that prepares received messages
 * (rcl_recv_prepare: envelope decoded, signature checked, batch and changes
 * decoded) while the serve loop's thread applies the ones before them.
 *
 * The thread looks the source's key up on its own read-only connection,
 * which sees the last commit; the receiver checks the key it holds in its
 * transaction against the one used here, and verifies again itself only
 * when they differ (a key rotated by an earlier batch of the same group, an
 * enrolment meanwhile). So what the writer decides, and when it
 * acknowledges, is as without the thread.
 */
#ifndef RCL_AGG_PIPELINE_H
#define RCL_AGG_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "agg_store.h"
#include "rcl_receiver.h"

struct rcl_agg_pipeline;

/* One message to prepare. buf stays the caller's, unchanged, until rcl_agg_pipeline_wait. */
struct rcl_agg_pipeline_job {
    const uint8_t *buf;
    size_t len;
    struct rcl_recv_prepared prepared; /* out: the caller clears it (rcl_recv_prepared_clear) */
    int done;                          /* private to agg_pipeline.c */
};

/*
 * Starts the thread for the store at db_path (cfg: its tier, read while the
 * thread runs). Returns NULL when it cannot (logged): the caller then
 * prepares each message itself.
 */
struct rcl_agg_pipeline *rcl_agg_pipeline_new(const char *db_path,
                                              const struct rcl_agg_config *cfg);

/*
 * Queues job for the thread. Returns 0, or -1 when the queue is full (the
 * caller prepares job itself).
 */
int rcl_agg_pipeline_submit(struct rcl_agg_pipeline *pl, struct rcl_agg_pipeline_job *job);

/* Waits until the thread has prepared job (submitted before). */
void rcl_agg_pipeline_wait(struct rcl_agg_pipeline *pl, struct rcl_agg_pipeline_job *job);

/*
 * Takes what *p holds, to be freed (and its changes wiped) on the thread
 * when it has nothing to prepare, and zeroes *p. Clears it here when the
 * thread's list of those is full.
 */
void rcl_agg_pipeline_discard(struct rcl_agg_pipeline *pl, struct rcl_recv_prepared *p);

/* Stops the thread (every submitted job must have been waited for) and frees *pl. */
void rcl_agg_pipeline_destroy(struct rcl_agg_pipeline **pl);

#endif

/*
 * agg_pipeline.c - the thread that prepares received messages ahead of the
 * writer (see agg_pipeline.h): a bounded queue of jobs, taken in order.
 */
#include "agg_pipeline.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "agg_ingest.h"
#include "rcl_log.h"

/* More than the serve loop ever has in flight (a group): submit never fails in practice. */
#define PIPELINE_QUEUE 32
/* Short: a look-up that waits longer only delays the writer, which can verify itself. */
#define PIPELINE_BUSY_MS 200

struct rcl_agg_pipeline {
    const char *path;
    const struct rcl_agg_config *cfg;
    sqlite3 *db; /* the thread's own, read-only; opened at first use */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    struct rcl_agg_pipeline_job *queue[PIPELINE_QUEUE];
    size_t head, count; /* under lock */
    /* Applied messages to free: wiping a batch's changes (megabytes) is no work for the
     * writer. Under lock. */
    struct rcl_recv_prepared discards[PIPELINE_QUEUE];
    size_t discard_head, discard_count;
    bool stop; /* under lock */
};

/* The thread's connection, opened when first needed. NULL when it cannot be (logged once). */
static sqlite3 *pipeline_db(struct rcl_agg_pipeline *pl)
{
    if (pl->db)
        return pl->db;
    if (sqlite3_open_v2(pl->path, &pl->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(pl->db, PIPELINE_BUSY_MS) != SQLITE_OK ||
        sqlite3_exec(pl->db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK) {
        RCL_WARN("run: the preparing thread cannot read the store; batches are verified by the "
                 "writer db=%s err=%s",
                 rcl_log_value(pl->path),
                 rcl_log_value(pl->db ? sqlite3_errmsg(pl->db) : "out of memory"));
        sqlite3_close(pl->db);
        pl->db = NULL;
    }
    return pl->db;
}

/* The envelope, then -- with the key held for its source as last committed -- the payload. */
static void prepare(struct rcl_agg_pipeline *pl, struct rcl_agg_pipeline_job *job)
{
    struct rcl_agg_ingest_ctx ro = {.db = pipeline_db(pl), .cfg = pl->cfg};

    if (ro.db)
        rcl_recv_prepare(&job->prepared, &rcl_agg_recv_ops, &ro, job->buf, job->len);
    else
        rcl_recv_prepare_envelope(&job->prepared, job->buf, job->len);
}

static void *pipeline_main(void *arg)
{
    struct rcl_agg_pipeline *pl = arg;
    sigset_t all;

    /* SIGTERM and SIGINT are for the serve loop's thread, whose poll they interrupt. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;) {
        struct rcl_agg_pipeline_job *job;

        pthread_mutex_lock(&pl->lock);
        while (!pl->stop && pl->count == 0 && pl->discard_count == 0)
            pthread_cond_wait(&pl->work, &pl->lock);
        if (pl->count == 0 && pl->discard_count > 0) {
            /* Nothing to prepare: free what the writer is done with. */
            struct rcl_recv_prepared p = pl->discards[pl->discard_head];

            pl->discard_head = (pl->discard_head + 1) % PIPELINE_QUEUE;
            pl->discard_count--;
            pthread_mutex_unlock(&pl->lock);
            rcl_recv_prepared_clear(&p);
            continue;
        }
        if (pl->count == 0) { /* stopping, nothing left */
            pthread_mutex_unlock(&pl->lock);
            break;
        }
        job = pl->queue[pl->head];
        pl->head = (pl->head + 1) % PIPELINE_QUEUE;
        pl->count--;
        pthread_mutex_unlock(&pl->lock);

        prepare(pl, job);

        pthread_mutex_lock(&pl->lock);
        job->done = 1;
        pthread_cond_broadcast(&pl->done);
        pthread_mutex_unlock(&pl->lock);
    }
    if (pl->db)
        sqlite3_close(pl->db);
    pl->db = NULL;
    return NULL;
}

struct rcl_agg_pipeline *rcl_agg_pipeline_new(const char *db_path, const struct rcl_agg_config *cfg)
{
    struct rcl_agg_pipeline *pl = calloc(1, sizeof(*pl));

    if (!pl) {
        RCL_WARN("run: out of memory for the preparing thread; batches are verified by the "
                 "writer");
        return NULL;
    }
    pl->path = db_path;
    pl->cfg = cfg;
    if (pthread_mutex_init(&pl->lock, NULL) != 0)
        goto fail_lock;
    if (pthread_cond_init(&pl->work, NULL) != 0)
        goto fail_work;
    if (pthread_cond_init(&pl->done, NULL) != 0)
        goto fail_done;
    if (pthread_create(&pl->thread, NULL, pipeline_main, pl) != 0)
        goto fail_thread;
    return pl;
fail_thread:
    pthread_cond_destroy(&pl->done);
fail_done:
    pthread_cond_destroy(&pl->work);
fail_work:
    pthread_mutex_destroy(&pl->lock);
fail_lock:
    free(pl);
    RCL_WARN("run: cannot start the preparing thread; batches are verified by the writer");
    return NULL;
}

int rcl_agg_pipeline_submit(struct rcl_agg_pipeline *pl, struct rcl_agg_pipeline_job *job)
{
    int ret = -1;

    job->done = 0;
    pthread_mutex_lock(&pl->lock);
    if (pl->count < PIPELINE_QUEUE) {
        pl->queue[(pl->head + pl->count) % PIPELINE_QUEUE] = job;
        pl->count++;
        pthread_cond_signal(&pl->work);
        ret = 0;
    }
    pthread_mutex_unlock(&pl->lock);
    return ret;
}

void rcl_agg_pipeline_wait(struct rcl_agg_pipeline *pl, struct rcl_agg_pipeline_job *job)
{
    pthread_mutex_lock(&pl->lock);
    while (!job->done)
        pthread_cond_wait(&pl->done, &pl->lock);
    pthread_mutex_unlock(&pl->lock);
}

void rcl_agg_pipeline_discard(struct rcl_agg_pipeline *pl, struct rcl_recv_prepared *p)
{
    bool taken = false;

    pthread_mutex_lock(&pl->lock);
    if (pl->discard_count < PIPELINE_QUEUE) {
        pl->discards[(pl->discard_head + pl->discard_count) % PIPELINE_QUEUE] = *p;
        pl->discard_count++;
        pthread_cond_signal(&pl->work);
        taken = true;
    }
    pthread_mutex_unlock(&pl->lock);
    if (taken)
        memset(p, 0, sizeof(*p));
    else
        rcl_recv_prepared_clear(p);
}

void rcl_agg_pipeline_destroy(struct rcl_agg_pipeline **plp)
{
    struct rcl_agg_pipeline *pl = *plp;

    if (!pl)
        return;
    pthread_mutex_lock(&pl->lock);
    pl->stop = true;
    pthread_cond_signal(&pl->work);
    pthread_mutex_unlock(&pl->lock);
    pthread_join(pl->thread, NULL);
    pthread_cond_destroy(&pl->done);
    pthread_cond_destroy(&pl->work);
    pthread_mutex_destroy(&pl->lock);
    free(pl);
    *plp = NULL;
}

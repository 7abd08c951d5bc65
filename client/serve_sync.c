/*
 * serve_sync.c - the page's Sync button (see serve.h): one sync at a time on
 * a thread of its own, and what it is doing, in words, for the status page.
 *
 * The sync uses the store only while it holds serve's store mutex, which it
 * lets go while it waits for the county (rcl_school_sync_hooks), so the page
 * keeps answering and serve stays the store's one writer. Its stages come
 * from the sync itself (sync.h), its outcome from its exit code and the
 * outbox after it.
 */
#include "serve.h"

#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "rcl_log.h"
#include "rcl_platform.h"
#include "sync.h"

#define L(zh, en) (lang == RCL_SHEET_ZH ? (zh) : (en))

struct rcl_serve_sync {
    sqlite3 *db;
    const struct rcl_school_meta *m;
    int timeout_s;
    struct rcl_mutex *store; /* serve's: held by whoever uses db */
    struct rcl_mutex *lock;  /* guards what follows */
    struct rcl_thread *thread;
    bool running, stop;
    unsigned runs; /* syncs started since serve started */
    struct rcl_school_sync_stage stage;
    struct rcl_school_sync_outcome ended; /* of the last one, once it ended */
    char *said;                           /* the command's own lines (English) */
};

struct rcl_serve_sync *rcl_serve_sync_new(sqlite3 *db, const struct rcl_school_meta *m,
                                          int timeout_s, struct rcl_mutex *store)
{
    struct rcl_serve_sync *j = calloc(1, sizeof(*j));

    if (j == NULL || (j->lock = rcl_mutex_new()) == NULL) {
        free(j);
        return NULL;
    }
    j->db = db;
    j->m = m;
    j->timeout_s = timeout_s;
    j->store = store;
    return j;
}

static void on_stage(void *arg, const struct rcl_school_sync_stage *st)
{
    struct rcl_serve_sync *j = arg;

    rcl_mutex_lock(j->lock);
    j->stage = *st;
    rcl_mutex_unlock(j->lock);
}

static void on_wait_begin(void *arg)
{
    rcl_mutex_unlock(((struct rcl_serve_sync *)arg)->store);
}

static void on_wait_end(void *arg)
{
    rcl_mutex_lock(((struct rcl_serve_sync *)arg)->store);
}

static bool on_stop(void *arg)
{
    struct rcl_serve_sync *j = arg;
    bool stop;

    rcl_mutex_lock(j->lock);
    stop = j->stop;
    rcl_mutex_unlock(j->lock);
    return stop;
}

static void *sync_main(void *arg)
{
    struct rcl_serve_sync *j = arg;
    struct rcl_school_sync_hooks hooks = {j, on_stage, on_wait_begin, on_wait_end, on_stop};
    struct rcl_school_sync_outcome ended = {.rc = RCL_SCHOOL_EXIT_DATA};
    /* English lines, for the English page: the Chinese one words the outcome itself. */
    struct rcl_school_sync_opts so = {.timeout_s = j->timeout_s,
                                      .watch = false,
                                      .hooks = &hooks,
                                      .lang = RCL_SHEET_EN,
                                      .outcome = &ended};
    struct rcl_memstream out = {0};

    rcl_mutex_lock(j->store);
    if (rcl_memstream_open(&out) == 0) {
        rcl_school_sync(j->db, j->m, &so, out.f, out.f);
        if (rcl_memstream_close(&out) != 0) {
            free(out.buf);
            out.buf = NULL;
        }
    }
    rcl_mutex_unlock(j->store);
    RCL_INFO("serve: sync ended exit=%d pending=%llu acked_seq=%llu", ended.rc,
             (unsigned long long)ended.pending_after, (unsigned long long)ended.acked_after);

    rcl_mutex_lock(j->lock);
    j->ended = ended;
    free(j->said);
    j->said = out.buf;
    j->running = false;
    rcl_mutex_unlock(j->lock);
    return NULL;
}

int rcl_serve_sync_start(struct rcl_serve_sync *j)
{
    int rc = 0;

    rcl_mutex_lock(j->lock);
    if (j->running) {
        rcl_mutex_unlock(j->lock);
        return 0;
    }
    /* The one before has ended: only its thread is left to reap. */
    if (j->thread != NULL) {
        rcl_thread_join(j->thread);
        j->thread = NULL;
    }
    memset(&j->stage, 0, sizeof(j->stage));
    j->running = true;
    j->runs++;
    if (rcl_thread_start(&j->thread, sync_main, j) != 0) {
        RCL_ERROR("serve: cannot start a thread for the sync");
        j->running = false;
        j->runs--;
        rc = -1;
    } else {
        RCL_INFO("serve: sync started run=%u upstream=%s", j->runs, rcl_log_value(j->m->upstream));
        rc = 1;
    }
    rcl_mutex_unlock(j->lock);
    return rc;
}

bool rcl_serve_sync_said(struct rcl_serve_sync *j, enum rcl_sheet_lang lang,
                         struct rcl_serve_sync_words *w)
{
    const char *county = rcl_school_sync_county(j->m->upstream);
    struct rcl_school_sync_stage st;
    bool running;

    memset(w, 0, sizeof(*w));
    rcl_mutex_lock(j->lock);
    running = j->running;
    st = j->stage;
    w->run = j->runs;
    w->ok = running || j->ended.rc == RCL_SCHOOL_EXIT_OK;
    if (j->runs == 0) {
        snprintf(w->title, sizeof(w->title), "%s",
                 L("本次打开页面以来还没有同步过：请按“同步到县里”。",
                   "No sync since serve started: press Sync with the county."));
    } else if (running && st.step == RCL_SCHOOL_SYNC_CONNECTING) {
        snprintf(w->title, sizeof(w->title),
                 L("第 1 步，共 3 步：正在连接县里（%s）……",
                   "Step 1 of 3: connecting to the county (%s)..."),
                 county);
    } else if (running && st.step == RCL_SCHOOL_SYNC_SENDING) {
        snprintf(w->title, sizeof(w->title),
                 L("第 2 步，共 3 步：正在发送改动，已发出 %llu 项，共 %llu 项……",
                   "Step 2 of 3: sending changes, %llu of %llu sent..."),
                 (unsigned long long)st.sent, (unsigned long long)st.total);
    } else if (running) {
        snprintf(w->title, sizeof(w->title), "%s",
                 L("第 3 步，共 3 步：改动已全部发出，正在等待县里确认收到……",
                   "Step 3 of 3: every change is sent; waiting for the county's "
                   "acknowledgement..."));
    } else {
        rcl_school_sync_say(&j->ended, j->m->upstream, lang,
                            L("请稍后再按一次“同步到县里”。", "press Sync again later."), w->title,
                            sizeof(w->title), w->detail, sizeof(w->detail));
    }
    /* The command's lines are English: the English page shows them. */
    if (!running && j->runs > 0 && lang != RCL_SHEET_ZH && j->said != NULL)
        snprintf(w->detail, sizeof(w->detail), "%s", j->said);
    rcl_mutex_unlock(j->lock);
    return running;
}

void rcl_serve_sync_destroy(struct rcl_serve_sync **jp)
{
    struct rcl_serve_sync *j = *jp;

    if (j == NULL)
        return;
    rcl_mutex_lock(j->lock);
    j->stop = true;
    rcl_mutex_unlock(j->lock);
    if (j->thread != NULL)
        rcl_thread_join(j->thread);
    rcl_mutex_destroy(&j->lock);
    free(j->said);
    free(j);
    *jp = NULL;
}

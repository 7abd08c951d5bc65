/*
 * progress.h - a one-line progress display for long imports and syncs.
 *
 * Drawn on a terminal only (redrawn in place, at most a few times a second,
 * erased at the end), so logs and pipes stay clean. ROLLCALL_PROGRESS=1
 * draws it whatever the output is, =0 never. Drawn through the log's status
 * line (rcl_log_status), so log lines never break into it. In Chinese when zh
 * is set ("导入 1200/5000 行 24% 剩余约 12 秒"), else in English.
 */
#ifndef RCL_PROGRESS_H
#define RCL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct rcl_progress {
    FILE *f;
    bool on;
    bool drawn;
    const char *what;              /* "import", "sync" */
    const char *unit;              /* "rows", "changes" */
    const char *what_zh, *unit_zh; /* "导入", "行" */
    bool zh;
    uint64_t total; /* 0: unknown */
    double started;
    double last_draw;
};

void rcl_progress_start(struct rcl_progress *p, FILE *f, const char *what, const char *unit,
                        uint64_t total);

/* done of total so far; total may grow (new changes while syncing). */
void rcl_progress_update(struct rcl_progress *p, uint64_t done, uint64_t total);

/* Erases the line, so the result line that follows stands alone. */
void rcl_progress_end(struct rcl_progress *p);

#endif

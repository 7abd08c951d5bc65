/*
 * progress.c - the one-line progress display (see progress.h).
 */
#include "progress.h"

#include <stdlib.h>
#include <string.h>

#include "rcl_log.h"
#include "rcl_platform.h"

#define REDRAW_S 0.25

static double now_s(void)
{
    return (double)rcl_mono_ms() / 1e3;
}

void rcl_progress_start(struct rcl_progress *p, FILE *f, const char *what, const char *unit,
                        uint64_t total)
{
    const char *force = getenv("ROLLCALL_PROGRESS");

    memset(p, 0, sizeof *p);
    p->f = f;
    p->what = what;
    p->unit = unit;
    p->total = total;
    p->started = now_s();
    if (force != NULL && strcmp(force, "1") == 0)
        p->on = true;
    else if (force != NULL && strcmp(force, "0") == 0)
        p->on = false;
    else
        p->on = rcl_isatty(f);
}

void rcl_progress_update(struct rcl_progress *p, uint64_t done, uint64_t total)
{
    double now = now_s();
    double elapsed = now - p->started;
    double rate;
    char line[256];
    size_t n = 0;

    if (!p->on || now - p->last_draw < REDRAW_S)
        return;
    p->last_draw = now;
    p->total = total;
    rate = elapsed > 0 ? (double)done / elapsed : 0;
    int pct = total > 0 ? (int)(100.0 * (double)done / (double)total) : 0;
    unsigned long long left = total > done ? total - done : 0;
#define ADD(...)                                                                                   \
    (n += (size_t)snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0, __VA_ARGS__))
    if (p->zh && p->what_zh != NULL) {
        ADD("%s %llu", p->what_zh, (unsigned long long)done);
        if (total > 0)
            ADD("/%llu %s %d%%", (unsigned long long)total, p->unit_zh, pct);
        else
            ADD(" %s", p->unit_zh);
        if (left > 0 && rate > 0)
            ADD(" 剩余约 %.0f 秒", (double)left / rate);
    } else {
        ADD("%s: %llu", p->what, (unsigned long long)done);
        if (total > 0)
            ADD(" of %llu %s (%d%%), %llu pending", (unsigned long long)total, p->unit, pct, left);
        else
            ADD(" %s", p->unit);
        ADD(", %.0f/s", rate);
        if (left > 0 && rate > 0)
            ADD(", about %.0f s left", (double)left / rate);
    }
#undef ADD
    rcl_log_status(line);
    p->drawn = true;
}

void rcl_progress_end(struct rcl_progress *p)
{
    if (p->drawn)
        rcl_log_status(NULL);
    p->drawn = false;
}

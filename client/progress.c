/*
 * progress.c - the one-line progress display (see progress.h).
 */
#include "progress.h"

#include <stdlib.h>
#include <string.h>

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

    if (!p->on || now - p->last_draw < REDRAW_S)
        return;
    p->last_draw = now;
    p->total = total;
    rate = elapsed > 0 ? (double)done / elapsed : 0;
    fprintf(p->f, "\r\033[K%s: %llu", p->what, (unsigned long long)done);
    if (total > 0)
        fprintf(p->f, " of %llu %s (%d%%), %llu pending", (unsigned long long)total, p->unit,
                (int)(100.0 * (double)done / (double)total),
                (unsigned long long)(total > done ? total - done : 0));
    else
        fprintf(p->f, " %s", p->unit);
    fprintf(p->f, ", %.0f/s", rate);
    if (total > done && rate > 0)
        fprintf(p->f, ", about %.0f s left", (double)(total - done) / rate);
    fflush(p->f);
    p->drawn = true;
}

void rcl_progress_end(struct rcl_progress *p)
{
    if (p->drawn) {
        fputs("\r\033[K", p->f);
        fflush(p->f);
    }
    p->drawn = false;
}

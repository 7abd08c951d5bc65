/*
 * agg_limit.c - per-source token buckets (see agg_limit.h).
 */
#include "agg_limit.h"

#include <stdio.h>
#include <string.h>

#include "rcl_log.h"

void rcl_agg_limits_init(struct rcl_agg_limits *l)
{
    memset(l, 0, sizeof(*l));
    l->msgs_per_s = RCL_AGG_LIMIT_MSGS_PER_S;
    l->msgs_burst = RCL_AGG_LIMIT_MSGS_BURST;
    l->bytes_per_s = RCL_AGG_LIMIT_BYTES_PER_S;
    l->bytes_burst = RCL_AGG_LIMIT_BYTES_BURST;
}

/* FNV-1a: the slot a source's search starts at. */
static size_t slot_of(const char *source)
{
    uint32_t h = 2166136261u;

    for (const unsigned char *p = (const unsigned char *)source; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % RCL_AGG_LIMIT_SLOTS;
}

/* The source's slot, or a fresh one (full buckets): an empty one nearby, else the stalest. */
static struct rcl_agg_limit_slot *find(struct rcl_agg_limits *l, const char *source, double now)
{
    size_t start = slot_of(source);
    struct rcl_agg_limit_slot *pick = NULL;

    for (size_t i = 0; i < 8; i++) {
        struct rcl_agg_limit_slot *s = &l->slots[(start + i) % RCL_AGG_LIMIT_SLOTS];

        if (strcmp(s->source, source) == 0)
            return s;
        if (s->source[0] == '\0') {
            pick = s;
            break;
        }
        if (pick == NULL || s->at < pick->at)
            pick = s;
    }
    memset(pick, 0, sizeof(*pick));
    snprintf(pick->source, sizeof(pick->source), "%s", source);
    pick->msgs = l->msgs_burst;
    pick->bytes = l->bytes_burst;
    pick->at = now;
    return pick;
}

bool rcl_agg_limits_take(struct rcl_agg_limits *l, const char *source, size_t len, double now)
{
    struct rcl_agg_limit_slot *s = find(l, source, now);
    double dt = now > s->at ? now - s->at : 0;

    s->msgs += dt * l->msgs_per_s;
    if (s->msgs > l->msgs_burst)
        s->msgs = l->msgs_burst;
    s->bytes += dt * l->bytes_per_s;
    if (s->bytes > l->bytes_burst)
        s->bytes = l->bytes_burst;
    s->at = now;
    if (s->msgs < 1.0 || s->bytes < (double)len) {
        /* Once per 100 refusals: a flood must not flood the log too. */
        if (s->refused++ % 100 == 0)
            RCL_WARN("run: source over its rate limit: answered BUSY source=%s messages_per_s=%.0f "
                     "mib_per_s=%.0f refused=%llu",
                     rcl_log_value(source), l->msgs_per_s, l->bytes_per_s / (1024 * 1024),
                     (unsigned long long)s->refused);
        return false;
    }
    s->msgs -= 1.0;
    s->bytes -= (double)len;
    return true;
}

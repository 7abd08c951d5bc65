/*
 * agg_metrics.c - counters of the serve loop and their Prometheus text format.
 */
#include "agg_metrics.h"

#include <inttypes.h>
#include <string.h>

#include "agg_monitor.h"

const char *const rcl_agg_refusal_names[RCL_AGG_REFUSAL_COUNT] = {
    [RCL_AGG_REFUSED_MALFORMED] = "malformed",
    [RCL_AGG_REFUSED_NOT_ENROLLED] = "not_enrolled",
    [RCL_AGG_REFUSED_REVOKED] = "revoked",
    [RCL_AGG_REFUSED_WRONG_SOURCE] = "wrong_source",
    [RCL_AGG_REFUSED_BAD_SIGNATURE] = "bad_signature",
    [RCL_AGG_REFUSED_BAD_RANGE] = "bad_range",
    [RCL_AGG_REFUSED_CHAIN_BREAK] = "chain_break",
    [RCL_AGG_REFUSED_TOO_LARGE] = "too_large",
    [RCL_AGG_REFUSED_BAD_CHANGE] = "bad_change",
    [RCL_AGG_REFUSED_BAD_SNAPSHOT] = "bad_snapshot",
    [RCL_AGG_REFUSED_PROTOCOL] = "protocol",
    [RCL_AGG_REFUSED_OTHER] = "other",
};

const double rcl_agg_latency_bounds[RCL_AGG_LATENCY_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};

static const char *const reply_names[RCL_REPLY_STATUS_COUNT] = {
    [RCL_REPLY_ACK] = "ack",
    [RCL_REPLY_RESEND] = "resend",
    [RCL_REPLY_REFUSED] = "refused",
    [RCL_REPLY_BUSY] = "busy",
};

/*
 * The phrases agg_ingest.c starts (or holds) its refusals with, first match
 * wins. The reason is free text for people; this table is what turns it into
 * a label; test_agg_metrics drives the real ingest into each refusal and
 * checks its label, so a reworded refusal shows there.
 */
static const struct {
    const char *phrase;
    bool prefix; /* must start the reason; else anywhere in it */
    enum rcl_agg_refusal kind;
} refusal_phrases[] = {
    {"malformed ", true, RCL_AGG_REFUSED_MALFORMED},
    {"protocol version ", true, RCL_AGG_REFUSED_PROTOCOL},
    {" is not enrolled", false, RCL_AGG_REFUSED_NOT_ENROLLED},
    {" is revoked", false, RCL_AGG_REFUSED_REVOKED},
    {"does not match connection key", false, RCL_AGG_REFUSED_WRONG_SOURCE},
    {"does not match envelope source", false, RCL_AGG_REFUSED_WRONG_SOURCE},
    {"signature of source", true, RCL_AGG_REFUSED_BAD_SIGNATURE},
    {"is not a valid range", false, RCL_AGG_REFUSED_BAD_RANGE},
    {"chain break", true, RCL_AGG_REFUSED_CHAIN_BREAK},
    {" changes, more than ", false, RCL_AGG_REFUSED_TOO_LARGE},
    {"snapshot of source", true, RCL_AGG_REFUSED_BAD_SNAPSHOT},
    {"a snapshot end, but", false, RCL_AGG_REFUSED_BAD_SNAPSHOT},
    {"change seq ", true, RCL_AGG_REFUSED_BAD_CHANGE},
    {"batch ", true, RCL_AGG_REFUSED_BAD_CHANGE}, /* "batch A..B: change #N does not decode" */
};

enum rcl_agg_refusal rcl_agg_refusal_classify(const char *reason)
{
    for (size_t i = 0; i < sizeof(refusal_phrases) / sizeof(refusal_phrases[0]); i++) {
        const char *p = refusal_phrases[i].phrase;

        if (refusal_phrases[i].prefix ? strncmp(reason, p, strlen(p)) == 0
                                      : strstr(reason, p) != NULL)
            return refusal_phrases[i].kind;
    }
    return RCL_AGG_REFUSED_OTHER;
}

void rcl_agg_metrics_init(struct rcl_agg_metrics *m, int64_t started_at)
{
    memset(m, 0, sizeof(*m));
    m->started_at = started_at;
}

static void add(atomic_uint_fast64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t get(const atomic_uint_fast64_t *c)
{
    /* C11 atomic_load takes a non-const pointer; reading does not change the counter. */
    return atomic_load_explicit((atomic_uint_fast64_t *)c, memory_order_relaxed);
}

void rcl_agg_metrics_count(struct rcl_agg_metrics *m, const struct rcl_reply *r, bool committed,
                           size_t records, bool rate_limited, double seconds)
{
    if (!m || (int)r->status < 0 || r->status >= RCL_REPLY_STATUS_COUNT)
        return;
    add(&m->replies[r->status], 1);
    if (committed) {
        add(&m->accepted, 1);
        add(&m->records, records);
    }
    if (r->status == RCL_REPLY_REFUSED)
        add(&m->refused[rcl_agg_refusal_classify(r->reason)], 1);
    if (r->status == RCL_REPLY_BUSY)
        add(rate_limited ? &m->busy_rate_limit : &m->busy_store, 1);
    if (r->status == RCL_REPLY_ACK) {
        int b = 0;

        if (seconds < 0)
            seconds = 0;
        while (b < RCL_AGG_LATENCY_BUCKETS && seconds > rcl_agg_latency_bounds[b])
            b++;
        if (b < RCL_AGG_LATENCY_BUCKETS)
            add(&m->ack_buckets[b], 1);
        add(&m->ack_count, 1);
        add(&m->ack_sum_us, (uint64_t)(seconds * 1e6));
    }
}

static void help(FILE *out, const char *name, const char *type, const char *text)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

static void counter(FILE *out, const char *name, const char *text, uint64_t v)
{
    help(out, name, "counter", text);
    fprintf(out, "%s %" PRIu64 "\n", name, v);
}

static void gauge(FILE *out, const char *name, const char *text, int64_t v)
{
    help(out, name, "gauge", text);
    fprintf(out, "%s %" PRId64 "\n", name, v);
}

static void write_counters(const struct rcl_agg_metrics *m, FILE *out)
{
    uint64_t cum = 0;

    gauge(out, "process_start_time_seconds", "Start time of the process since unix epoch.",
          m->started_at);
    help(out, "rollcall_replies_total", "counter",
         "Messages from sources answered, by the reply sent.");
    for (int i = 0; i < RCL_REPLY_STATUS_COUNT; i++)
        fprintf(out, "rollcall_replies_total{reply=\"%s\"} %" PRIu64 "\n", reply_names[i],
                get(&m->replies[i]));
    counter(out, "rollcall_batches_accepted_total", "Batches applied and committed.",
            get(&m->accepted));
    counter(out, "rollcall_records_applied_total", "Records (changes) in the batches applied.",
            get(&m->records));
    help(out, "rollcall_batches_refused_total", "counter",
         "Batches refused (never retried as they are), by reason.");
    for (int i = 0; i < RCL_AGG_REFUSAL_COUNT; i++)
        fprintf(out, "rollcall_batches_refused_total{reason=\"%s\"} %" PRIu64 "\n",
                rcl_agg_refusal_names[i], get(&m->refused[i]));
    help(out, "rollcall_batches_busy_total", "counter",
         "Batches answered BUSY (the source retries later), by cause.");
    fprintf(out, "rollcall_batches_busy_total{reason=\"rate_limit\"} %" PRIu64 "\n",
            get(&m->busy_rate_limit));
    fprintf(out, "rollcall_batches_busy_total{reason=\"store\"} %" PRIu64 "\n",
            get(&m->busy_store));
    help(out, "rollcall_ingest_ack_seconds", "histogram",
         "Time from receiving a batch to queueing its acknowledgement.");
    for (int b = 0; b < RCL_AGG_LATENCY_BUCKETS; b++) {
        cum += get(&m->ack_buckets[b]);
        fprintf(out, "rollcall_ingest_ack_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
                rcl_agg_latency_bounds[b], cum);
    }
    /* +Inf is the count itself, so the buckets never exceed it even mid-update. */
    fprintf(out, "rollcall_ingest_ack_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n",
            get(&m->ack_count) > cum ? get(&m->ack_count) : cum);
    fprintf(out, "rollcall_ingest_ack_seconds_sum %.6f\n", (double)get(&m->ack_sum_us) / 1e6);
    fprintf(out, "rollcall_ingest_ack_seconds_count %" PRIu64 "\n",
            get(&m->ack_count) > cum ? get(&m->ack_count) : cum);
}

static void write_gauges(const struct rcl_agg_gauges *g, const struct rcl_agg_config *cfg,
                         FILE *out)
{
    gauge(out, "rollcall_schools_expected", "Schools below this aggregator.", (int64_t)g->expected);
    gauge(out, "rollcall_schools_reported", "Schools that have synced at least once.",
          (int64_t)g->reported);
    gauge(out, "rollcall_schools_stale", "Schools that reported, but not within the stale window.",
          (int64_t)g->stale);
    gauge(out, "rollcall_schools_never_reported", "Schools expected that never synced.",
          (int64_t)g->never_reported);
    gauge(out, "rollcall_students", "Students in the totals.", (int64_t)g->students);
    gauge(out, "rollcall_blind_spots", "Students without conditions or absent, with no help.",
          (int64_t)g->blind_spots);
    gauge(out, "rollcall_sources_enrolled", "Sources enrolled (revoked ones included).",
          (int64_t)g->sources);
    gauge(out, "rollcall_sources_revoked", "Sources revoked.", (int64_t)g->revoked);
    gauge(out, "rollcall_upstream_configured", "1 when this aggregator reports to an upstream.",
          cfg->has_upstream ? 1 : 0);
    gauge(out, "rollcall_upstream_pending_changes",
          "Own changes the upstream has not acknowledged yet.", (int64_t)g->pending);
    gauge(out, "rollcall_upstream_lag_seconds",
          "Age of the oldest change the upstream has not acknowledged (0: none waits).",
          g->lag_seconds);
    gauge(out, "rollcall_upstream_last_ack_timestamp_seconds",
          "When the upstream last acknowledged (0: never).", g->acked_at);
}

int rcl_agg_metrics_write(const struct rcl_agg_metrics *m, sqlite3 *db,
                          const struct rcl_agg_config *cfg, int64_t now, FILE *out)
{
    struct rcl_agg_gauges g;
    char err[256];
    bool readable = db && rcl_agg_gauges_read(db, cfg, now, &g, err, sizeof(err)) == 0;

    /* Ids are [0-9A-Za-z_.-] (rcl_id_valid): nothing in them needs escaping in a label. */
    help(out, "rollcall_info", "gauge",
         "This aggregator's id, tier, program version and protocol version.");
    fprintf(out, "rollcall_info{id=\"%s\",tier=\"%s\",version=\"%s\",protocol=\"%u\"} 1\n", cfg->id,
            rcl_agg_tier_names[cfg->tier], RCL_VERSION, RCL_PROTOCOL_VERSION);
    if (m)
        write_counters(m, out);
    gauge(out, "rollcall_store_readable", "1 when the store could be read for this scrape.",
          readable ? 1 : 0);
    if (readable)
        write_gauges(&g, cfg, out);
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

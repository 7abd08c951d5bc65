/*
 * agg_status.c - `rollcall-agg status`: sources and the upstream queue at a glance.
 */
#include "agg_status.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "rcl_db.h"
#include "rcl_json.h"
#include "rcl_log.h"
#include "rcl_outbox.h"

struct status_walk {
    FILE *out;
    struct rcl_json *j; /* NULL: text */
    size_t n, revoked;
};

static void format_time(int64_t t, char *out, size_t outlen)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (t <= 0 || !gmtime_r(&tt, &tm) || strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(out, outlen, "never");
}

static int count_source(void *arg, const struct rcl_agg_source *s)
{
    struct status_walk *w = arg;

    w->n++;
    if (s->revoked)
        w->revoked++;
    return 0;
}

static int print_source(void *arg, const struct rcl_agg_source *s)
{
    struct status_walk *w = arg;
    char when[48];

    if (w->j) {
        struct rcl_json *j = w->j;

        rcl_json_object_begin(j);
        rcl_json_key(j, "id");
        rcl_json_string(j, s->id);
        rcl_json_key(j, "name");
        rcl_json_string(j, s->name);
        rcl_json_key(j, "revoked");
        rcl_json_bool(j, s->revoked);
        rcl_json_key(j, "epoch");
        rcl_json_uint(j, s->epoch);
        rcl_json_key(j, "applied_seq");
        rcl_json_uint(j, s->applied_seq);
        rcl_json_key(j, "last_batch_at");
        rcl_json_int(j, s->last_batch_at);
        rcl_json_key(j, "enrolled_at");
        rcl_json_int(j, s->enrolled_at);
        rcl_json_object_end(j);
        return 0;
    }
    format_time(s->last_batch_at, when, sizeof(when));
    fprintf(w->out, "  %-12s applied_seq %-8" PRIu64 " last batch %s%s%s%s\n", s->id,
            s->applied_seq, when, s->revoked ? "  REVOKED" : "", s->name[0] ? "  " : "", s->name);
    return 0;
}

static void json_meta_text(struct rcl_json *j, sqlite3 *db, const char *name, const char *key)
{
    char value[300];

    rcl_json_key(j, name);
    if (rcl_meta_get_text(db, key, value, sizeof(value)) == 0)
        rcl_json_string(j, value);
    else
        rcl_json_null(j);
}

/* The outbox toward the upstream, and the receipt of what the upstream took in. */
static void json_outbox(struct rcl_json *j, const struct rcl_outbox_stats *ob)
{
    rcl_json_key(j, "outbox");
    rcl_json_object_begin(j);
    rcl_json_key(j, "epoch");
    rcl_json_uint(j, ob->epoch);
    rcl_json_key(j, "last_seq");
    rcl_json_uint(j, ob->last_seq);
    rcl_json_key(j, "sealed_through");
    rcl_json_uint(j, ob->sealed_through);
    rcl_json_key(j, "acked_seq");
    rcl_json_uint(j, ob->acked_seq);
    rcl_json_key(j, "acked_at");
    rcl_json_int(j, ob->acked_at);
    rcl_json_key(j, "pending");
    rcl_json_uint(j, ob->pending);
    /* The receipt: own changes through top_seq are in top_id's totals as of top_at. */
    rcl_json_key(j, "top_id");
    rcl_json_string(j, ob->top_id);
    rcl_json_key(j, "top_seq");
    rcl_json_uint(j, ob->top_seq);
    rcl_json_key(j, "top_at");
    rcl_json_int(j, ob->top_at);
    rcl_json_object_end(j);
}

static int status_json(sqlite3 *db, const struct rcl_agg_config *cfg,
                       const struct rcl_outbox_stats *ob, FILE *out)
{
    struct rcl_json j;
    struct status_walk w = {.out = out, .j = &j};

    rcl_json_init(&j, out);
    rcl_json_object_begin(&j);
    rcl_json_key(&j, "id");
    rcl_json_string(&j, cfg->id);
    rcl_json_key(&j, "tier");
    rcl_json_string(&j, rcl_agg_tier_names[cfg->tier]);
    rcl_json_key(&j, "listen");
    rcl_json_string(&j, cfg->listen);
    /* What `run` bound last (the port the system chose for a wild one): agg_listen.h. */
    rcl_json_key(&j, "bound");
    rcl_json_object_begin(&j);
    json_meta_text(&j, db, "sync", "listen_bound");
    json_meta_text(&j, db, "http", "http_bound");
    rcl_json_object_end(&j);
    rcl_json_key(&j, "upstream");
    if (cfg->has_upstream)
        rcl_json_string(&j, cfg->upstream);
    else
        rcl_json_null(&j);
    rcl_json_key(&j, "stale_seconds");
    rcl_json_int(&j, cfg->stale_seconds);
    rcl_json_key(&j, "sources");
    rcl_json_array_begin(&j);
    if (rcl_agg_source_each(db, print_source, &w) != 0)
        return -1;
    rcl_json_array_end(&j);
    json_outbox(&j, ob);
    rcl_json_object_end(&j);
    fputc('\n', out);
    return 0;
}

static int status_text(sqlite3 *db, const struct rcl_agg_config *cfg,
                       const struct rcl_outbox_stats *ob, FILE *out)
{
    struct status_walk w = {.out = out};
    char when[48];

    fprintf(out, "%s aggregator %s, listening on %s\n", rcl_agg_tier_names[cfg->tier], cfg->id,
            cfg->listen);
    if (cfg->has_upstream) {
        format_time(ob->acked_at, when, sizeof(when));
        fprintf(out,
                "upstream %s: %" PRIu64 " change(s) pending, acknowledged through seq %" PRIu64
                " (%s)\n",
                cfg->upstream, ob->pending, ob->acked_seq, when);
        if (ob->top_id[0] != '\0') {
            format_time(ob->top_at, when, sizeof(when));
            fprintf(out, "in the totals of %s through seq %" PRIu64 " (%s)\n", ob->top_id,
                    ob->top_seq, when);
        }
    } else {
        fprintf(out, "no upstream\n");
    }
    if (rcl_agg_source_each(db, count_source, &w) != 0)
        return -1;
    fprintf(out, "%zu source(s) enrolled, %zu revoked%s\n", w.n, w.revoked, w.n ? ":" : "");
    return rcl_agg_source_each(db, print_source, &w) == 0 ? 0 : -1;
}

int rcl_agg_status_write(sqlite3 *db, const struct rcl_agg_config *cfg, bool json, FILE *out)
{
    struct rcl_outbox_stats ob;

    memset(&ob, 0, sizeof(ob));
    if (rcl_outbox_stats(db, &ob) != 0)
        return -1;
    return json ? status_json(db, cfg, &ob, out) : status_text(db, cfg, &ob, out);
}

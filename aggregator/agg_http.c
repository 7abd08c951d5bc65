/*
 * agg_http.c - /metrics and the dashboard over libmicrohttpd.
 *
 * Every request is answered from the first call of the handler, before any
 * body is read: a GET or HEAD carries none, and anything else is refused.
 * libmicrohttpd bounds the rest: HTTP_CONNECTIONS_MAX connections (8 per
 * client address), HTTP_MEMORY_MAX bytes each for the request line and
 * headers (a longer one is answered 431/414 by the library), and
 * HTTP_TIMEOUT_S of idleness.
 */
#include "agg_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>
#include <sodium.h>

#include "agg_dash.h"
#include "agg_monitor.h"
#include "rcl_html.h"
#include "rcl_log.h"

#define HTTP_CONNECTIONS_MAX 32
#define HTTP_PER_IP_MAX 8
#define HTTP_MEMORY_MAX (32 * 1024)
#define HTTP_TIMEOUT_S 10
#define HTTP_BUSY_MS 2000

struct rcl_agg_http {
    struct MHD_Daemon *daemon;
    char path[4096];
    struct rcl_agg_config cfg;
    struct rcl_agg_metrics *metrics;
    struct sockaddr_in addr; /* as asked; the port may be 0 until bound */
    sqlite3 *db;             /* only ever used on the listener's thread */
};

int rcl_agg_http_addr_parse(const char *text, struct sockaddr_in *out)
{
    char host[RCL_AGG_HTTP_ADDR_MAX + 1];
    const char *colon, *port_text;
    struct sockaddr_in a;
    char *end;
    long port;

    if (!text || strlen(text) > RCL_AGG_HTTP_ADDR_MAX)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    colon = strrchr(text, ':');
    if (colon) {
        size_t n = (size_t)(colon - text);

        memcpy(host, text, n);
        host[n] = '\0';
        port_text = colon + 1;
        if (strcmp(host, "localhost") == 0)
            snprintf(host, sizeof(host), "127.0.0.1");
        if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
            return -1;
    } else {
        port_text = text;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    if (port_text[0] < '0' || port_text[0] > '9')
        return -1;
    errno = 0;
    port = strtol(port_text, &end, 10);
    if (errno != 0 || *end != '\0' || port < 0 || port > 65535)
        return -1;
    a.sin_port = htons((uint16_t)port);
    if (out)
        *out = a;
    return 0;
}

/* The listener's store connection, opened on first use and reopened after a failure. */
static sqlite3 *http_db(struct rcl_agg_http *h)
{
    if (h->db)
        return h->db;
    if (sqlite3_open_v2(h->path, &h->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        RCL_ERROR("http: cannot open %s: %s", h->path, h->db ? sqlite3_errmsg(h->db) : "no memory");
        sqlite3_close(h->db);
        h->db = NULL;
        return NULL;
    }
    sqlite3_busy_timeout(h->db, HTTP_BUSY_MS);
    /* This connection only reads: make that a guarantee. */
    if (sqlite3_exec(h->db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK) {
        RCL_ERROR("http: cannot configure the connection to %s: %s", h->path,
                  sqlite3_errmsg(h->db));
        sqlite3_close(h->db);
        h->db = NULL;
    }
    return h->db;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *type,
                               char *body, size_t len, bool must_free)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;

    if (!r) {
        if (must_free)
            free(body);
        return MHD_NO;
    }
    /* The dashboard is one page with inline styles and SVG: nothing else may load or run,
     * and the token in a ?token= URL is never sent on. */
    rcl_http_page_headers(r, type,
                          "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                          "frame-ancestors 'none'");
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"rollcall\"");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, "Allow", "GET, HEAD");
    ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
    return respond(conn, status, "text/plain; charset=utf-8", (char *)text, strlen(text), false);
}

/* Whether the request carries the operator token, as a Bearer header or ?token=. */
static bool authorized(struct rcl_agg_http *h, struct MHD_Connection *conn)
{
    char token[RCL_AGG_TOKEN_HEX_LEN + 1];
    const char *auth, *arg;
    bool ok = false;
    sqlite3 *db = http_db(h);

    if (!db || rcl_agg_token_get(db, token) != 1)
        return false;
    auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (auth && strncmp(auth, "Bearer ", 7) == 0)
        ok = rcl_agg_token_matches(token, auth + 7, strlen(auth + 7));
    arg = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
    if (!ok && arg)
        ok = rcl_agg_token_matches(token, arg, strlen(arg));
    sodium_memzero(token, sizeof(token));
    return ok;
}

/* Renders the dashboard or /metrics into memory and queues it. */
static enum MHD_Result serve_page(struct rcl_agg_http *h, struct MHD_Connection *conn,
                                  const char *type, bool dashboard)
{
    char *buf = NULL;
    size_t len = 0;
    char err[256] = "";
    int64_t now = (int64_t)time(NULL);
    FILE *mem = open_memstream(&buf, &len);
    int rc;

    if (!mem)
        return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    if (dashboard) {
        sqlite3 *db = http_db(h);

        rc = db ? rcl_agg_dash_write(db, &h->cfg, now, mem, err, sizeof(err)) : -1;
    } else {
        rc = rcl_agg_metrics_write(h->metrics, http_db(h), &h->cfg, now, mem);
    }
    if (fclose(mem) != 0)
        rc = -1;
    if (rc != 0) {
        free(buf);
        RCL_ERROR("http: %s of %s failed: %s", dashboard ? "the dashboard" : "/metrics", h->path,
                  err[0] ? err : "cannot read the store");
        if (h->db) {
            /* A connection that failed may be stale (a moved file): open it afresh next time. */
            sqlite3_close(h->db);
            h->db = NULL;
        }
        return respond_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                            "the store cannot be read; see the log of rollcall-agg run\n");
    }
    return respond(conn, MHD_HTTP_OK, type, buf, len, true);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    struct rcl_agg_http *h = cls;

    (void)version;
    (void)upload_data;
    (void)con_cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD are served\n");
    if (*upload_data_size != 0 ||
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH) ||
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
        return respond_text(conn, MHD_HTTP_BAD_REQUEST, "a GET carries no body\n");
    if (strcmp(url, "/metrics") == 0)
        return serve_page(h, conn, "text/plain; version=0.0.4; charset=utf-8", false);
    if (strcmp(url, "/") == 0) {
        if (!authorized(h, conn))
            return respond_text(conn, MHD_HTTP_UNAUTHORIZED,
                                "the dashboard needs the operator token (rollcall-agg "
                                "dashboard-token): Authorization: Bearer TOKEN or ?token=TOKEN\n");
        return serve_page(h, conn, "text/html; charset=utf-8", true);
    }
    return respond_text(conn, MHD_HTTP_NOT_FOUND, "not found; served: / and /metrics\n");
}

struct rcl_agg_http *rcl_agg_http_start(const char *addr, const char *db_path,
                                        const struct rcl_agg_config *cfg,
                                        struct rcl_agg_metrics *metrics, char *err, size_t errlen)
{
    struct sockaddr_in sa;
    struct rcl_agg_http *h;

    if (rcl_agg_http_addr_parse(addr, &sa) != 0) {
        snprintf(err, errlen, "'%s' is not HOST:PORT (an IPv4 address, or localhost)", addr);
        return NULL;
    }
    h = calloc(1, sizeof(*h));
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(h->path, sizeof(h->path), "%s", db_path);
    h->cfg = *cfg;
    h->metrics = metrics;
    h->addr = sa;
    h->daemon = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, h,
        /* The logger first: libmicrohttpd logs the options after it through it. */
        MHD_OPTION_EXTERNAL_LOGGER, rcl_http_log, (void *)"http", MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS_MAX,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_PER_IP_MAX,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)HTTP_TIMEOUT_S, MHD_OPTION_END);
    if (!h->daemon) {
        snprintf(err, errlen, "cannot listen on %s for HTTP (in use, or not an address here?)",
                 addr);
        free(h);
        return NULL;
    }
    return h;
}

int rcl_agg_http_bound(const struct rcl_agg_http *h, char *out, size_t outlen)
{
    const union MHD_DaemonInfo *port = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    char host[INET_ADDRSTRLEN];

    if (!port || port->port == 0 || !inet_ntop(AF_INET, &h->addr.sin_addr, host, sizeof(host)))
        return -1;
    snprintf(out, outlen, "%s:%u", host, (unsigned)port->port);
    return 0;
}

void rcl_agg_http_stop(struct rcl_agg_http **hp)
{
    struct rcl_agg_http *h = hp ? *hp : NULL;

    if (!h)
        return;
    MHD_stop_daemon(h->daemon);
    /* The thread is gone: its connection can be closed from here. */
    if (h->db)
        sqlite3_close(h->db);
    free(h);
    *hp = NULL;
}

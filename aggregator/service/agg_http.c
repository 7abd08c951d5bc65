/*
 * agg_http.c - /metrics and the dashboard over libmicrohttpd, in plain HTTP or TLS.
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
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "agg_dash.h"
#include "agg_monitor.h"
#include "rcl_html.h"
#include "rcl_keys.h"
#include "rcl_log.h"
#include "rcl_platform.h"

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
    struct sockaddr_storage addr; /* as asked; the port may be 0 until bound */
    bool dashboard, serves_metrics, tls;
    char *tls_cert, *tls_key; /* PEM, held while the daemon runs */
    size_t tls_key_len;
    sqlite3 *db; /* only ever used on the listener's thread */
};

/* Parses PORT: 0-65535, digits only. 0, or -1. */
static int parse_port(const char *text, uint16_t *port)
{
    char *end;
    long v;

    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < 0 || v > 65535)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

int rcl_agg_http_addr_parse(const char *text, struct sockaddr_storage *out)
{
    char host[RCL_AGG_HTTP_ADDR_MAX + 1];
    struct sockaddr_storage ss;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    const char *colon, *port_text;
    uint16_t port;

    if (!text || strlen(text) > RCL_AGG_HTTP_ADDR_MAX)
        return -1;
    memset(&ss, 0, sizeof(ss));
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        size_t n = close ? (size_t)(close - text - 1) : 0;

        if (!close || close[1] != ':')
            return -1;
        memcpy(host, text + 1, n);
        host[n] = '\0';
        a6->sin6_family = AF_INET6;
        if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1 || parse_port(close + 2, &port) != 0)
            return -1;
        a6->sin6_port = htons(port);
    } else {
        colon = strrchr(text, ':');
        a4->sin_family = AF_INET;
        if (colon) {
            size_t n = (size_t)(colon - text);

            memcpy(host, text, n);
            host[n] = '\0';
            port_text = colon + 1;
            if (strcmp(host, "localhost") == 0)
                snprintf(host, sizeof(host), "127.0.0.1");
            if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
                return -1;
        } else {
            port_text = text;
            a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        }
        if (parse_port(port_text, &port) != 0)
            return -1;
        a4->sin_port = htons(port);
    }
    if (out)
        *out = ss;
    return 0;
}

/* The listener's store connection, opened on first use and reopened after a failure. */
static sqlite3 *http_db(struct rcl_agg_http *h)
{
    if (h->db)
        return h->db;
    if (sqlite3_open_v2(h->path, &h->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        RCL_ERROR("http: cannot open the store db=%s err=%s", rcl_log_value(h->path),
                  rcl_log_value(h->db ? sqlite3_errmsg(h->db) : "no memory"));
        sqlite3_close(h->db);
        h->db = NULL;
        return NULL;
    }
    sqlite3_busy_timeout(h->db, HTTP_BUSY_MS);
    /* This connection only reads: make that a guarantee. */
    if (sqlite3_exec(h->db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK) {
        RCL_ERROR("http: cannot configure the connection to the store db=%s err=%s",
                  rcl_log_value(h->path), rcl_log_value(sqlite3_errmsg(h->db)));
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

/* The token of the request: a Bearer header, else ?token=; NULL when it carries none. */
static const char *offered_token(struct MHD_Connection *conn)
{
    const char *auth =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

    if (auth && strncmp(auth, "Bearer ", 7) == 0)
        return auth + 7;
    return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
}

/*
 * Whose token the request carries: 1 with who set to the user's name, or to
 * "(shared)" for the operator token (names are ids: no parenthesis); 0 none.
 */
static int authorized(struct rcl_agg_http *h, struct MHD_Connection *conn, char who[RCL_ID_MAX + 1])
{
    char token[RCL_AGG_TOKEN_HEX_LEN + 1];
    const char *offered = offered_token(conn);
    struct rcl_agg_user_token user;
    bool ok = false;
    sqlite3 *db = http_db(h);

    if (!db || !offered)
        return 0;
    if (rcl_agg_user_token_find(db, offered, strlen(offered), &user) == 1) {
        snprintf(who, RCL_ID_MAX + 1, "%s", user.name);
        return 1;
    }
    if (rcl_agg_token_get(db, token) == 1)
        ok = rcl_agg_token_matches(token, offered, strlen(offered));
    sodium_memzero(token, sizeof(token));
    if (ok)
        snprintf(who, RCL_ID_MAX + 1, "(shared)");
    return ok ? 1 : 0;
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
        RCL_ERROR("http: a page failed page=%s db=%s err=%s", dashboard ? "/" : "/metrics",
                  rcl_log_value(h->path), rcl_log_value(err[0] ? err : "cannot read the store"));
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
    if (strcmp(url, "/metrics") == 0) {
        if (!h->serves_metrics)
            return respond_text(conn, MHD_HTTP_NOT_FOUND,
                                "not found; /metrics is served on the listener of --metrics\n");
        return serve_page(h, conn, "text/plain; version=0.0.4; charset=utf-8", false);
    }
    if (strcmp(url, "/") == 0 && h->dashboard) {
        char who[RCL_ID_MAX + 1], lists[256];
        enum MHD_Result ret;

        if (!authorized(h, conn, who)) {
            RCL_INFO("http: dashboard refused page=/ reason=%s",
                     rcl_log_value(offered_token(conn) ? "unknown or revoked token" : "no token"));
            return respond_text(conn, MHD_HTTP_UNAUTHORIZED,
                                "the dashboard needs a token (rollcall-agg token add, or "
                                "dashboard-token): Authorization: Bearer TOKEN or ?token=TOKEN\n");
        }
        ret = serve_page(h, conn, "text/html; charset=utf-8", true);
        rcl_agg_dash_lists(&h->cfg, lists, sizeof(lists));
        RCL_INFO("http: dashboard viewed user=%s page=/ lists=%s", rcl_log_value(who),
                 rcl_log_value(lists));
        return ret;
    }
    return respond_text(conn, MHD_HTTP_NOT_FOUND,
                        h->dashboard ? (h->serves_metrics ? "not found; served: / and /metrics\n"
                                                          : "not found; served: /\n")
                                     : "not found; served: /metrics\n");
}

/*
 * Reads a TLS file whole, NUL-terminated, as libmicrohttpd takes it; a key must
 * be its owner's alone (as the store holding the identity key: rcl_db.c).
 * NULL with err naming the file.
 */
static char *read_tls_file(const char *path, const char *what, bool secret, size_t *len_out,
                           char *err, size_t errlen)
{
    struct rcl_file_info sb = {0};
    char *buf = NULL;
    size_t len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 || rcl_fd_stat(fd, &sb) != 0) {
        snprintf(err, errlen, "cannot read the TLS %s %s: %s", what, path, strerror(errno));
        goto fail;
    }
    if (!sb.regular || sb.size > 1024 * 1024) {
        snprintf(err, errlen,
                 "the TLS %s %s is not a PEM file (not a regular file of at most 1 MiB)", what,
                 path);
        goto fail;
    }
    if (secret && rcl_file_private_check(&sb, path, "the TLS key", err, errlen) != 0)
        goto fail;
    buf = malloc((size_t)sb.size + 1);
    if (!buf) {
        snprintf(err, errlen, "out of memory reading %s", path);
        goto fail;
    }
    while (len < (size_t)sb.size) {
        ssize_t n = read(fd, buf + len, (size_t)sb.size - len);

        if (n <= 0) {
            snprintf(err, errlen, "cannot read the TLS %s %s: %s", what, path,
                     n < 0 ? strerror(errno) : "it shrank while read");
            goto fail;
        }
        len += (size_t)n;
    }
    buf[len] = '\0';
    if (!strstr(buf, secret ? "PRIVATE KEY-----" : "-----BEGIN CERTIFICATE-----")) {
        snprintf(err, errlen, "the TLS %s %s is not PEM (no %s)", what, path,
                 secret ? "-----BEGIN ... PRIVATE KEY-----" : "-----BEGIN CERTIFICATE-----");
        goto fail;
    }
    close(fd);
    *len_out = len;
    return buf;
fail:
    if (buf) {
        sodium_memzero(buf, (size_t)sb.size + 1);
        free(buf);
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static void free_tls(struct rcl_agg_http *h)
{
    if (h->tls_key) {
        sodium_memzero(h->tls_key, h->tls_key_len);
        free(h->tls_key);
    }
    free(h->tls_cert);
}

struct rcl_agg_http *rcl_agg_http_start(const struct rcl_agg_http_options *opt, const char *db_path,
                                        const struct rcl_agg_config *cfg,
                                        struct rcl_agg_metrics *metrics, char *err, size_t errlen)
{
    struct rcl_agg_http *h;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    size_t cert_len;

    h = calloc(1, sizeof(*h));
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (rcl_agg_http_addr_parse(opt->addr, &h->addr) != 0) {
        snprintf(err, errlen,
                 "'%s' is not HOST:PORT (an IPv4 address, localhost, or [an IPv6 address])",
                 opt->addr);
        goto fail;
    }
    snprintf(h->path, sizeof(h->path), "%s", db_path);
    h->cfg = *cfg;
    h->metrics = metrics;
    h->dashboard = opt->dashboard;
    h->serves_metrics = opt->metrics;
    if (opt->tls_cert || opt->tls_key) {
        if (!opt->tls_cert || !opt->tls_key) {
            snprintf(err, errlen, "TLS needs both a certificate (tls-cert) and its key (tls-key)");
            goto fail;
        }
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            snprintf(err, errlen, "this libmicrohttpd was built without TLS (GnuTLS)");
            goto fail;
        }
        h->tls_cert = read_tls_file(opt->tls_cert, "certificate", false, &cert_len, err, errlen);
        if (!h->tls_cert)
            goto fail;
        h->tls_key = read_tls_file(opt->tls_key, "key", true, &h->tls_key_len, err, errlen);
        if (!h->tls_key)
            goto fail;
        h->tls = true;
        flags |= MHD_USE_TLS;
    }
    if (h->addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* The logger first: libmicrohttpd logs the options after it through it. The TLS options
     * are read only with MHD_USE_TLS; without it they are passed empty and ignored. */
    h->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, h, MHD_OPTION_EXTERNAL_LOGGER, rcl_http_log, (void *)"http",
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&h->addr, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)HTTP_CONNECTIONS_MAX, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)HTTP_PER_IP_MAX, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY_MAX,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S,
        h->tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, h->tls_key, MHD_OPTION_HTTPS_MEM_CERT,
        h->tls_cert, MHD_OPTION_END);
    if (!h->daemon) {
        if (h->tls)
            snprintf(err, errlen,
                     "cannot listen on %s for HTTPS (in use, not an address here, or %s and %s "
                     "are not a certificate and its key?)",
                     opt->addr, opt->tls_cert, opt->tls_key);
        else
            snprintf(err, errlen, "cannot listen on %s for HTTP (in use, or not an address here?)",
                     opt->addr);
        goto fail;
    }
    return h;
fail:
    free_tls(h);
    free(h);
    return NULL;
}

bool rcl_agg_http_tls(const struct rcl_agg_http *h)
{
    return h->tls;
}

int rcl_agg_http_bound(const struct rcl_agg_http *h, char *out, size_t outlen)
{
    const union MHD_DaemonInfo *port = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    char host[INET6_ADDRSTRLEN];
    bool v6 = h->addr.ss_family == AF_INET6;
    const void *a = v6 ? (const void *)&((const struct sockaddr_in6 *)&h->addr)->sin6_addr
                       : (const void *)&((const struct sockaddr_in *)&h->addr)->sin_addr;

    if (!port || port->port == 0 || !inet_ntop(h->addr.ss_family, a, host, sizeof(host)))
        return -1;
    snprintf(out, outlen, v6 ? "[%s]:%u" : "%s:%u", host, (unsigned)port->port);
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
    free_tls(h);
    free(h);
    *hp = NULL;
}

/*
 * serve.c - the listener of `serve` (see serve.h): libmicrohttpd on
 * 127.0.0.1, the checks every request passes, and each action handed to the
 * function its command runs; the forms are read into fields by serve_form.c.
 *
 * One thread serves every request in turn (libmicrohttpd's internal one);
 * the Sync button's sync runs on a thread of its own (serve_sync.c), and the
 * one store connection is used by either only while holding the store mutex,
 * which the sync lets go while it waits for the county. The page answers
 * meanwhile: Sync leads to a status page that reloads itself until the sync
 * ends. The main thread waits to be asked to stop (rcl_stop_wait: SIGINT,
 * SIGTERM, Ctrl-C).
 *
 * Uploaded sheets and the sheets offered for download pass through a
 * folder of this run only (mode 0700), removed when serve stops.
 */
#include "serve.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <sodium.h>

#include "edit.h"
#include "exit_codes.h"
#include "export.h"
#include "import.h"
#include "lists.h"
#include "pseudonym.h"
#include "rcl_keys.h"
#include "rcl_html.h"
#include "rcl_log.h"
#include "rcl_outbox.h"
#include "rcl_platform.h"
#include "serve_form.h"
#include "sync.h"

#define SERVE_CONNECTIONS_MAX 16
#define SERVE_TIMEOUT_S 60
#define TOKEN_BYTES 24
#define TOKEN_HEX (TOKEN_BYTES * 2)

#define L(zh, en) (s->lang == RCL_SHEET_ZH ? (zh) : (en))

struct serve {
    sqlite3 *db;
    const struct rcl_school_meta *m;
    const struct rcl_school_serve_opts *o;
    enum rcl_sheet_lang lang;
    char token[TOKEN_HEX + 1];
    char dir[1024];              /* this run's folder for sheets */
    unsigned port;               /* as bound */
    unsigned counter;            /* names the files in dir */
    struct rcl_mutex *store;     /* held by whoever uses db: a request, or the sync */
    struct rcl_serve_sync *sync; /* the Sync button's; NULL until the school is set up */
    struct rcl_school_meta made; /* the school the first page set up (m points here then, and
                                  * serve opened db itself) */
};

/* ---- Answers ---- */

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *type,
                               char *body, size_t len, const char *disposition)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    enum MHD_Result ret;

    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    /* Inline styles, forms to this listener, nothing else: no script, no other site. */
    rcl_http_page_headers(r, type,
                          "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                          "frame-ancestors 'none'; base-uri 'none'");
    /* With no-referrer a browser sends "Origin: null" with the page's own forms, which the
     * Origin check must refuse; same-origin names this listener and tells no other site. */
    MHD_del_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    if (disposition != NULL)
        MHD_add_response_header(r, "Content-Disposition", disposition);
    ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A page that says only title. */
static enum MHD_Result refuse(struct serve *s, struct MHD_Connection *conn, unsigned status,
                              const char *title)
{
    struct rcl_memstream mem;

    if (rcl_memstream_open(&mem) != 0)
        return MHD_NO;
    rcl_serve_page_refusal(s->lang, title, mem.f);
    if (rcl_memstream_close(&mem) != 0) {
        free(mem.buf);
        return MHD_NO;
    }
    return respond(conn, status, "text/html; charset=utf-8", mem.buf, mem.len, NULL);
}

/* Answers with the page written to mem (rc: what writing it returned), or says it failed. */
static enum MHD_Result rendered(struct serve *s, struct MHD_Connection *conn, unsigned status,
                                struct rcl_memstream *mem, int rc)
{
    if (rcl_memstream_close(mem) != 0 || rc != 0) {
        free(mem->buf);
        return refuse(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                      L("读取学生数据出错，请关闭后重新打开本页面。",
                        "The store cannot be read; close and start serve again."));
    }
    return respond(conn, status, "text/html; charset=utf-8", mem->buf, mem->len, NULL);
}

/* The whole page, with what the action came to at its top. */
static enum MHD_Result page(struct serve *s, struct MHD_Connection *conn, unsigned status,
                            const char *list, const char *class_name,
                            const struct rcl_serve_notice *n)
{
    struct rcl_serve_view v = {s->db, s->m, s->lang, s->token, list, class_name};
    struct rcl_memstream mem;
    int rc;

    if (rcl_memstream_open(&mem) != 0)
        return MHD_NO;
    rc = rcl_serve_page_write(&v, n, mem.f);
    return rendered(s, conn, status, &mem, rc);
}

/* The first page, for a school not set up yet: what was given shown again, n at its top. */
static enum MHD_Result setup_page(struct serve *s, struct MHD_Connection *conn, unsigned status,
                                  const struct rcl_school_setup *given,
                                  const struct rcl_serve_notice *n)
{
    struct rcl_serve_view v = {NULL, NULL, s->lang, s->token, NULL, NULL};
    struct rcl_memstream mem;
    int rc;

    if (rcl_memstream_open(&mem) != 0)
        return MHD_NO;
    rc = rcl_serve_page_setup(&v, given, n, mem.f);
    return rendered(s, conn, status, &mem, rc);
}

/* ---- Checks ---- */

static bool token_matches(const struct serve *s, const char *given)
{
    return given != NULL && strlen(given) == TOKEN_HEX &&
           sodium_memcmp(given, s->token, TOKEN_HEX) == 0;
}

/*
 * The request names this listener: Host is 127.0.0.1:PORT or localhost:PORT
 * (a page of another site reaching it by a name of its own is refused), and
 * so is Origin when the browser sends one.
 */
static bool addressed_here(const struct serve *s, struct MHD_Connection *conn)
{
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    char a[48], b[48], oa[64], ob[64];

    snprintf(a, sizeof(a), "127.0.0.1:%u", s->port);
    snprintf(b, sizeof(b), "localhost:%u", s->port);
    snprintf(oa, sizeof(oa), "http://%s", a);
    snprintf(ob, sizeof(ob), "http://%s", b);
    if (host == NULL || (strcmp(host, a) != 0 && strcmp(host, b) != 0))
        return false;
    return origin == NULL || strcmp(origin, oa) == 0 || strcmp(origin, ob) == 0;
}

/* ---- Actions ---- */

/* Reads the file at path into memory. Returns it (the caller frees it), or NULL. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = rcl_fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (n == cap) {
            char *p = realloc(buf, cap = cap ? cap * 2 : 16384);
            if (p == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* The template or the export, written by its command's function and sent as a download. */
static enum MHD_Result sheet_download(struct serve *s, struct MHD_Connection *conn, bool export)
{
    struct rcl_sheet_format f = {s->lang, RCL_CHARSET_UTF8};
    char path[1100], err[512];
    uint64_t rows = 0;
    size_t len = 0;
    char *buf = NULL;
    int rc;

    snprintf(path, sizeof(path), "%s/sheet-%u.csv", s->dir, ++s->counter);
    rc = export ? rcl_school_export(s->db, path, &f, &rows, err, sizeof(err))
                : rcl_school_template(path, &f, err, sizeof(err));
    if (rc == 0)
        buf = slurp(path, &len);
    rcl_unlink(path);
    if (buf == NULL) {
        RCL_ERROR("serve: cannot write the sheet sheet=%s err=%s", export ? "export" : "template",
                  rcl_log_value(rc != 0 ? err : "cannot read it back"));
        return refuse(s, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                      L("无法生成表格，请稍后再试。", "The sheet cannot be written; try again."));
    }
    return respond(
        conn, MHD_HTTP_OK, "text/csv; charset=utf-8", buf, len,
        export ? "attachment; filename=\"students.csv\"; "
                 "filename*=UTF-8''%E5%AD%A6%E7%94%9F%E5%90%8D%E5%8D%95.csv"
               : "attachment; filename=\"students-template.csv\"; "
                 "filename*=UTF-8''%E5%AD%A6%E7%94%9F%E5%90%8D%E5%8D%95%E6%A8%A1%E6%9D%BF.csv");
}

/* Collects what a function wrote on its streams (closed twice is fine). */
static int capture_open(struct rcl_memstream *c)
{
    memset(c, 0, sizeof(*c));
    return rcl_memstream_open(c);
}

static void capture_close(struct rcl_memstream *c)
{
    if (c->f != NULL)
        (void)rcl_memstream_close(c);
}

/* Drops the sheet's folder from the messages: they name the uploaded sheet by its own name. */
static void drop_dir(const struct rcl_serve_request *rq, char *text)
{
    char prefix[sizeof(rq->sheet_dir) + 1];
    size_t n = (size_t)snprintf(prefix, sizeof(prefix), "%s/", rq->sheet_dir);
    char *p;

    while (text != NULL && rq->sheet_dir[0] != '\0' && (p = strstr(text, prefix)) != NULL)
        memmove(p, p + n, strlen(p + n) + 1);
}

static enum MHD_Result do_import(struct serve *s, struct MHD_Connection *conn,
                                 struct rcl_serve_request *rq)
{
    struct rcl_school_import_options opts = {
        NULL, rcl_serve_form_field(rq, "ignore-unknown") != NULL, s->lang == RCL_SHEET_ZH,
        s->lang != RCL_SHEET_ZH, false};
    struct rcl_school_import_result res;
    struct rcl_serve_notice n = {0};
    struct rcl_memstream errs, sheet;
    char title[256];
    enum MHD_Result ret;
    int rc = -1;

    if (rq->too_big)
        return page(s, conn, MHD_HTTP_CONTENT_TOO_LARGE, "students", NULL,
                    &(struct rcl_serve_notice){false,
                                               L("表格太大（超过 32 MB），没有导入。",
                                                 "The sheet is larger than 32 MB: not imported."),
                                               NULL, NULL, 0});
    if (rq->sheet == NULL || rq->sheet_bytes == 0)
        return page(
            s, conn, MHD_HTTP_UNPROCESSABLE_CONTENT, "students", NULL,
            &(struct rcl_serve_notice){false,
                                       L("请先选择要上传的表格文件（不能是空文件）。",
                                         "Choose a sheet to upload first (not an empty file)."),
                                       NULL, NULL, 0});
    if (fclose(rq->sheet) != 0) {
        rq->sheet = NULL;
        return refuse(
            s, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
            L("无法保存上传的表格，没有导入。", "The upload cannot be kept: not imported."));
    }
    rq->sheet = NULL;
    if (capture_open(&errs) != 0 || capture_open(&sheet) != 0) {
        capture_close(&errs);
        free(errs.buf);
        return MHD_NO;
    }
    opts.errors_sheet = sheet.f;
    rc = rcl_school_import_with(s->db, s->m, rq->sheet_path, errs.f, &opts, &res);
    capture_close(&errs);
    capture_close(&sheet);
    drop_dir(rq, errs.buf);
    if (rc == 0) {
        rcl_school_import_said(&res, s->lang, title, sizeof(title));
    } else {
        snprintf(
            title, sizeof(title), "%s",
            L("表格没有导入，学生名单没有任何改动。请按下面逐行列出的问题改正表格，再重新上传。",
              "The sheet was not imported and nothing changed. Correct the problems listed "
              "by line below, then upload it again."));
    }
    n.ok = rc == 0;
    n.title = title;
    n.detail = errs.buf;
    /* The errors sheet's header alone lists nothing. */
    const char *first_end = sheet.buf != NULL ? strchr(sheet.buf, '\n') : NULL;
    if (first_end != NULL && first_end[1] != '\0') {
        n.problems = sheet.buf;
        n.problems_len = sheet.len;
        /* The sheet lists every problem, in the page's language; the stream's lines are
         * English. */
        if (s->lang == RCL_SHEET_ZH)
            n.detail = NULL;
    }
    ret =
        page(s, conn, rc == 0 ? MHD_HTTP_OK : MHD_HTTP_UNPROCESSABLE_CONTENT, "students", NULL, &n);
    free(errs.buf);
    if (sheet.buf != NULL)
        sodium_memzero(sheet.buf, sheet.len);
    free(sheet.buf);
    return ret;
}

/* POST /sync: a sync starts (unless one runs: a second press shows it, never starts two), and
 * the browser is sent to its status page. */
static enum MHD_Result do_sync(struct serve *s, struct MHD_Connection *conn)
{
    char where[128];
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (rcl_serve_sync_start(s->sync) < 0)
        return refuse(s, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                      L("无法开始同步，改动保留在本机。", "The sync cannot start; the changes "
                                                          "are kept here."));
    snprintf(where, sizeof(where), "/sync/status?t=%s", s->token);
    r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, where);
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    ret = MHD_queue_response(conn, MHD_HTTP_SEE_OTHER, r);
    MHD_destroy_response(r);
    return ret;
}

/* GET /sync/status: what the sync does, or what it came to. */
static enum MHD_Result sync_status(struct serve *s, struct MHD_Connection *conn)
{
    struct rcl_serve_view v = {s->db, s->m, s->lang, s->token, "students", NULL};
    struct rcl_serve_sync_words w;
    struct rcl_memstream mem;
    bool running = rcl_serve_sync_said(s->sync, s->lang, &w);
    struct rcl_serve_notice n = {w.ok, w.title, w.detail[0] != '\0' ? w.detail : NULL, NULL, 0};
    int rc;

    if (rcl_memstream_open(&mem) != 0)
        return MHD_NO;
    rc = rcl_serve_page_sync(&v, &n, running, w.run, mem.f);
    return rendered(s, conn, running || w.ok ? MHD_HTTP_OK : MHD_HTTP_BAD_GATEWAY, &mem, rc);
}

/* A field of the setup form without the blanks a paste brings around it, in out. */
static const char *setup_field(const struct rcl_serve_request *rq, const char *name, char *out,
                               size_t outlen)
{
    const char *v = rcl_serve_form_field(rq, name);
    size_t len;

    if (v == NULL)
        return NULL;
    while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
        v++;
    len = strlen(v);
    while (len > 0 && strchr(" \t\r\n", v[len - 1]) != NULL)
        len--;
    snprintf(out, outlen, "%.*s", (int)len, v);
    return out;
}

/* Opens the store just made at the setup's path, as serve holds a store given to it. 0, or -1
 * logged. */
static int setup_open(struct serve *s)
{
    char err[512];
    sqlite3 *db = rcl_school_store_open(s->o->db_path, RCL_DB_EXISTING, err, sizeof(err));

    if (db == NULL || rcl_school_meta_load(db, &s->made, err, sizeof(err)) != 0 ||
        (s->sync = rcl_serve_sync_new(db, &s->made, s->o->sync_timeout_s, s->store)) == NULL) {
        RCL_ERROR("serve: the school is set up but its store cannot be opened db=%s err=%s",
                  rcl_log_value(s->o->db_path), rcl_log_value(err));
        rcl_db_close(&db);
        return -1;
    }
    s->db = db;
    s->m = &s->made;
    return 0;
}

/* POST /setup: the school set up from the county's notice, then the page as usual. */
static enum MHD_Result do_setup(struct serve *s, struct MHD_Connection *conn,
                                const struct rcl_serve_request *rq)
{
    char school[64], county[64], name[512], upstream[512], key[512], pseudonym[512];
    struct rcl_school_setup given = {
        setup_field(rq, "school", school, sizeof(school)),
        setup_field(rq, "county", county, sizeof(county)),
        setup_field(rq, "name", name, sizeof(name)),
        setup_field(rq, "upstream", upstream, sizeof(upstream)),
        setup_field(rq, "upstream_key", key, sizeof(key)),
        setup_field(rq, "pseudonym_key", pseudonym, sizeof(pseudonym))};
    struct rcl_serve_notice n = {0};
    struct rcl_school_meta m;
    struct rcl_reason why;
    char title[RCL_REASON_MAX + 64], detail[512], err[512], hex[RCL_PK_HEX_LEN + 1];

    if (s->db != NULL)
        return refuse(s, conn, MHD_HTTP_CONFLICT,
                      L("本校的数据已经建立过了，没有任何改动。",
                        "The school is set up already: nothing changed."));
    memset(&m, 0, sizeof(m));
    if (rcl_school_setup_check(&given, &m, &why) != 0) {
        snprintf(title, sizeof(title), L("没有建立：%s", "Not set up: %s"),
                 s->lang == RCL_SHEET_ZH ? why.zh : why.en);
        n.title = title;
        given.pseudonym_key = NULL; /* a secret: typed again, not shown again */
        sodium_memzero(pseudonym, sizeof(pseudonym));
        rcl_school_meta_wipe(&m);
        return setup_page(s, conn, MHD_HTTP_BAD_REQUEST, &given, &n);
    }
    sodium_memzero(pseudonym, sizeof(pseudonym));
    if (rcl_school_setup_create(s->o->db_path, &m, err, sizeof(err)) != 0) {
        RCL_ERROR("serve: cannot set the school up db=%s err=%s", rcl_log_value(s->o->db_path),
                  rcl_log_value(err));
        rcl_school_meta_wipe(&m);
        n.title = L("无法在这台电脑上建立本校的数据（原因见命令行窗口里的日志），没有任何改动。",
                    "The school's store cannot be made here (the log says why): nothing changed.");
        return setup_page(s, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, &given, &n);
    }
    rcl_school_meta_wipe(&m);
    if (setup_open(s) != 0)
        return refuse(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                      L("本校的数据已经建立，但打不开：请关闭后重新打开本页面。",
                        "The school is set up but its store cannot be opened: start serve again."));
    RCL_INFO("serve: the school is set up school=%s db=%s", rcl_log_value(s->m->school_id),
             rcl_log_value(s->o->db_path));
    rcl_key_to_hex(s->m->public_key, hex);
    snprintf(title, sizeof(title),
             L("已建立本校的数据：%s（%s）。", "The school is set up: %s (%s)."), s->m->name,
             s->m->school_id);
    snprintf(detail, sizeof(detail),
             L("本校公钥：%s\n请把这个公钥交给县里登记；县里登记以后，“同步到县里”才能成功。",
               "The school's public key: %s\nGive it to the county to enroll; syncs succeed once "
               "it has."),
             hex);
    n.ok = true;
    n.title = title;
    n.detail = detail;
    return page(s, conn, MHD_HTTP_OK, "students", NULL, &n);
}

/* Whether a set field (network, devices, groups) ticked "none": it stands for the empty set. */
static bool set_field(const char *name)
{
    return strcmp(name, "network") == 0 || strcmp(name, "devices") == 0 ||
           strcmp(name, "groups") == 0;
}

static void set_none(char *v)
{
    char *p = v;

    while ((p = strstr(p, "none")) != NULL) {
        bool starts = p == v || p[-1] == ';', ends = p[4] == '\0' || p[4] == ';';
        if (starts && ends) {
            v[0] = '\0';
            return;
        }
        p += 4;
    }
}

static enum MHD_Result do_edit(struct serve *s, struct MHD_Connection *conn,
                               struct rcl_serve_request *rq)
{
    struct rcl_school_edit_opt given[SERVE_FIELDS_MAX];
    const char *command = rcl_serve_form_field(rq, "command"),
               *action = rcl_serve_form_field(rq, "action");
    struct rcl_serve_notice n = {0};
    struct rcl_memstream out;
    size_t k = 0;
    char why[200];
    enum MHD_Result ret;
    int rc;

    if (command == NULL || (strcmp(command, "student") != 0 && strcmp(command, "measure") != 0 &&
                            strcmp(command, "feedback") != 0 && strcmp(command, "optout") != 0 &&
                            strcmp(command, "profile") != 0))
        return refuse(s, conn, MHD_HTTP_BAD_REQUEST,
                      L("不认识的操作，没有任何改动。", "Unknown action: nothing changed."));
    if (action != NULL && action[0] == '\0')
        action = NULL;
    /* An empty field was left blank: not given, as an option not typed (feedback's text is
     * the one whose empty value means something: clear it). */
    for (size_t i = 0; i < rq->n_fields; i++) {
        struct rcl_serve_field *f = &rq->fields[i];
        if (strcmp(f->name, "t") == 0 || strcmp(f->name, "command") == 0 ||
            strcmp(f->name, "action") == 0)
            continue;
        if (set_field(f->name))
            set_none(f->value);
        else if (f->len == 0 && strcmp(f->name, "text") != 0)
            continue;
        given[k].name = f->name;
        given[k].value = f->value;
        k++;
    }
    if (rcl_school_edit_check(command, action, given, k, s->lang == RCL_SHEET_ZH, why,
                              sizeof(why)) != 0) {
        n.title = L("填写有误，没有任何改动。", "The form does not fit: nothing changed.");
        n.detail = why;
        return page(s, conn, MHD_HTTP_UNPROCESSABLE_CONTENT, "students", NULL, &n);
    }
    if (capture_open(&out) != 0)
        return MHD_NO;
    rc = rcl_school_edit(s->db, s->m, command, action, given, k, s->lang == RCL_SHEET_ZH, out.f,
                         out.f);
    capture_close(&out);
    n.ok = rc == RCL_SCHOOL_EXIT_OK;
    n.title =
        n.ok ? L("已保存，下次同步时发给县里。", "Saved; it goes to the county at the next sync.")
             : L("没有保存，没有任何改动：", "Not saved, nothing changed:");
    n.detail = out.buf;
    ret = page(s, conn, n.ok ? MHD_HTTP_OK : MHD_HTTP_UNPROCESSABLE_CONTENT, "students", NULL, &n);
    free(out.buf);
    return ret;
}

/* ---- Requests ---- */

static enum MHD_Result handle_get(struct serve *s, struct MHD_Connection *conn, const char *url)
{
    const char *list = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "list");
    const char *class_name = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "class");

    if (s->db == NULL) {
        struct rcl_school_setup none = {0};

        if (strcmp(url, "/") != 0)
            return refuse(s, conn, MHD_HTTP_CONFLICT,
                          L("请先建立本校的数据。", "Set the school up first."));
        return setup_page(s, conn, MHD_HTTP_OK, &none, NULL);
    }
    if (strcmp(url, "/template.csv") == 0)
        return sheet_download(s, conn, false);
    if (strcmp(url, "/export.csv") == 0)
        return sheet_download(s, conn, true);
    if (strcmp(url, "/sync/status") == 0)
        return sync_status(s, conn);
    if (strcmp(url, "/") != 0)
        return refuse(s, conn, MHD_HTTP_NOT_FOUND, L("没有这个页面。", "No such page."));
    if (list == NULL || list[0] == '\0')
        list = "students";
    if (!rcl_school_list_known(list))
        return refuse(s, conn, MHD_HTTP_BAD_REQUEST, L("不认识的名单。", "Unknown list."));
    if (class_name != NULL && class_name[0] == '\0')
        class_name = NULL;
    return page(s, conn, MHD_HTTP_OK, list, class_name, NULL);
}

static enum MHD_Result handle_locked(void *cls, struct MHD_Connection *conn, const char *url,
                                     const char *method, const char *version,
                                     const char *upload_data, size_t *upload_data_size,
                                     void **con_cls)
{
    struct serve *s = cls;
    struct rcl_serve_request *rq = *con_cls;
    bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;

    (void)version;
    if (rq == NULL) {
        /* The first call: the headers are in, the body (if any) not yet read. */
        if (!addressed_here(s, conn))
            return refuse(s, conn, MHD_HTTP_FORBIDDEN,
                          L("拒绝：请求不是从本机的 rollcall-school 页面发出的。没有任何改动。",
                            "Refused: the request does not come from this page. Nothing changed."));
        if (!post && strcmp(method, MHD_HTTP_METHOD_GET) != 0)
            return refuse(s, conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                          L("不支持的请求方式。", "Only GET and POST are served."));
        if (!post) {
            if (!token_matches(s, MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "t")))
                return refuse(
                    s, conn, MHD_HTTP_FORBIDDEN,
                    L("请用 rollcall-school serve 打开的地址进入本页面（地址里带有本次的口令）。",
                      "Open the page at the address rollcall-school serve printed (it "
                      "holds this run's token)."));
            return handle_get(s, conn, url);
        }
        if ((rq = calloc(1, sizeof(*rq))) == NULL)
            return MHD_NO;
        *con_cls = rq;
        rq->dir = s->dir;
        rq->counter = &s->counter;
        rq->takes_sheet = strcmp(url, "/import") == 0;
        rq->pp = MHD_create_post_processor(conn, 64 * 1024, rcl_serve_form_post, rq);
        if (rq->pp == NULL)
            return refuse(s, conn, MHD_HTTP_BAD_REQUEST,
                          L("无法读取提交的表单，没有任何改动。",
                            "The form cannot be read: nothing changed."));
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        if (MHD_post_process(rq->pp, upload_data, *upload_data_size) != MHD_YES && !rq->too_big)
            rq->bad_form = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    /* The whole body is read: nothing is done without this run's token. */
    if (!token_matches(s, rcl_serve_form_field(rq, "t")))
        return refuse(s, conn, MHD_HTTP_FORBIDDEN,
                      L("拒绝：页面口令不对或已过期（可能是 serve 重新启动过）。请从 serve "
                        "打开的地址重新进入。没有任何改动。",
                        "Refused: the page's token is wrong or out of date. Open the address serve "
                        "printed again. Nothing changed."));
    if (rq->bad_form && !rq->too_big)
        return refuse(
            s, conn, MHD_HTTP_BAD_REQUEST,
            L("提交的表单有误，没有任何改动。", "The form cannot be read: nothing changed."));
    if (strcmp(url, "/setup") == 0)
        return do_setup(s, conn, rq);
    if (s->db == NULL)
        return refuse(
            s, conn, MHD_HTTP_CONFLICT,
            L("请先建立本校的数据，没有任何改动。", "Set the school up first: nothing changed."));
    if (strcmp(url, "/import") == 0)
        return do_import(s, conn, rq);
    if (strcmp(url, "/sync") == 0)
        return do_sync(s, conn);
    if (strcmp(url, "/edit") == 0)
        return do_edit(s, conn, rq);
    return refuse(s, conn, MHD_HTTP_NOT_FOUND, L("没有这个页面。", "No such page."));
}

/* Every request holds the store while it is handled: the Sync button's sync uses it too. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    struct serve *s = cls;
    enum MHD_Result ret;

    rcl_mutex_lock(s->store);
    ret = handle_locked(cls, conn, url, method, version, upload_data, upload_data_size, con_cls);
    rcl_mutex_unlock(s->store);
    return ret;
}

/* ---- Running ---- */

int rcl_school_serve(sqlite3 *db, const struct rcl_school_meta *m,
                     const struct rcl_school_serve_opts *o, FILE *out)
{
    struct serve run = {.db = db, .m = m, .o = o, .lang = o->lang}, *s = &run;
    uint8_t raw[TOKEN_BYTES];
    struct MHD_Daemon *d = NULL;
    rcl_socket fd = RCL_SOCKET_NONE;
    int rc = RCL_SCHOOL_EXIT_DATA;

    if ((s->store = rcl_mutex_new()) == NULL ||
        (db != NULL &&
         (s->sync = rcl_serve_sync_new(db, m, o->sync_timeout_s, s->store)) == NULL)) {
        RCL_ERROR("serve: out of memory");
        rcl_mutex_destroy(&s->store);
        return RCL_SCHOOL_EXIT_DATA;
    }
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(s->token, sizeof(s->token), raw, sizeof(raw));
    sodium_memzero(raw, sizeof(raw));
    if (rcl_mkdtemp("rollcall-serve", s->dir, sizeof(s->dir)) != 0) {
        RCL_ERROR("serve: cannot make a folder for the sheets dir=%s err=%s", rcl_log_value(s->dir),
                  rcl_log_value(strerror(errno)));
        rcl_serve_sync_destroy(&s->sync);
        rcl_mutex_destroy(&s->store);
        return RCL_SCHOOL_EXIT_DATA;
    }
    if ((fd = rcl_listen_loopback(o->port, &s->port)) == RCL_SOCKET_NONE) {
        RCL_ERROR("serve: cannot listen endpoint=127.0.0.1:%u err=%s", o->port,
                  rcl_log_value(strerror(errno)));
        goto done;
    }

    /* Stop requests go to rcl_stop_wait below, from every thread (sync's catch too). */
    rcl_stop_block();

    /* The logger first: libmicrohttpd logs the options after it through it. */
    d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, s,
                         MHD_OPTION_EXTERNAL_LOGGER, rcl_http_log, (void *)"serve",
                         MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
                         (unsigned)SERVE_CONNECTIONS_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
                         (unsigned)SERVE_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED,
                         rcl_serve_form_done, NULL, MHD_OPTION_END);
    if (d == NULL) {
        RCL_ERROR("serve: cannot start the web server endpoint=127.0.0.1:%u", s->port);
        goto done;
    }
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/?t=%.*s", s->port, TOKEN_HEX, s->token);
    fprintf(out, "%s\n  %s\n%s\n", L("请在浏览器中打开：", "Open in a browser:"), url,
            L("（关闭本窗口或按 Ctrl-C 即停止）", "(Ctrl-C or closing this window stops it)"));
    fflush(out);
    if (o->open_browser && rcl_open_url(url) != 0)
        RCL_WARN("serve: cannot open a browser; open the address above yourself");
    rcl_stop_wait();
    fprintf(out, "%s\n", L("已停止。", "Stopped."));
    rc = RCL_SCHOOL_EXIT_OK;
done:
    if (d != NULL)
        MHD_stop_daemon(d);
    /* No request uses the store any more: a sync still running stops, its changes kept. */
    rcl_serve_sync_destroy(&s->sync);
    rcl_mutex_destroy(&s->store);
    if (s->m == &s->made) {
        rcl_db_close(&s->db);
        rcl_school_meta_wipe(&s->made);
    }
    if (fd != RCL_SOCKET_NONE)
        rcl_socket_close(fd);
    rcl_stop_unblock();
    /* Every sheet is removed once its request is done. */
    if (rcl_rmdir(s->dir) != 0)
        RCL_WARN("serve: cannot remove the folder dir=%s err=%s", rcl_log_value(s->dir),
                 rcl_log_value(strerror(errno)));
    sodium_memzero(s->token, sizeof(s->token));
    return rc;
}

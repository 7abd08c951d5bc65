/*
 * rcl_html.h - what both programs' pages need: text escaped for HTML (the
 * county's report and dashboard, the school's page of `serve`), and the
 * headers every page is answered with, for the two libmicrohttpd listeners
 * (agg_http.c, serve.c; this part is only for files that include
 * microhttpd.h first).
 */
#ifndef RCL_HTML_H
#define RCL_HTML_H

#include <stdarg.h>
#include <stdio.h>

/* Writes s with & < > " ' escaped for HTML text and attributes. */
void rcl_agg_html_escape(FILE *out, const char *s);

/*
 * A libmicrohttpd logger (MHD_OPTION_EXTERNAL_LOGGER): the library's message as a
 * warning of the log, led by prefix (a const char *, such as "http").
 */
void rcl_http_log(void *prefix, const char *fmt, va_list ap);

#ifdef MHD_VERSION
/*
 * Adds the headers of a page that must not be cached, sniffed, framed or
 * referred on, with csp as its Content-Security-Policy.
 */
static inline void rcl_http_page_headers(struct MHD_Response *r, const char *type, const char *csp)
{
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy", csp);
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
}
#endif

#endif

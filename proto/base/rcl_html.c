/*
 * rcl_html.c - text escaped for HTML, and the listeners' log (see rcl_html.h).
 */
#include "rcl_html.h"

#include <string.h>

#include "rcl_log.h"

void rcl_agg_html_escape(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

void rcl_http_log(void *prefix, const char *fmt, va_list ap)
{
    char line[512];
    size_t n;

    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    /* The server's own sentence is its text: one field, quoted. */
    RCL_WARN("%s: the HTTP server says text=%s", (const char *)prefix, rcl_log_value(line));
}

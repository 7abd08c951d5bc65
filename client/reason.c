/*
 * reason.c - reasons in English and Chinese (see reason.h).
 */
#include "reason.h"

#include <stdarg.h>
#include <stdio.h>

#include <string.h>

#include "import.h"
#include "rcl_model.h"
#include "sheet.h"

const char rcl_word_none[] = "none";

static const char *word_in(const char *s, const char *const *names,
                           const char *const (*zh)[RCL_ZH_WORDS], int count)
{
    for (int i = 0; i < count; i++) {
        if (s == names[i])
            return zh[i][0];
    }
    return NULL;
}

const char *rcl_code_zh(const char *s)
{
    const char *w;

    if (s == rcl_word_none)
        return "无";
    for (int c = 0; c < RCL_COL_COUNT; c++) {
        if (s == rcl_sheet_column_name((enum rcl_sheet_column)c, RCL_SHEET_EN))
            return rcl_sheet_column_name((enum rcl_sheet_column)c, RCL_SHEET_ZH);
    }
    if ((w = word_in(s, rcl_measure_kind_names, rcl_measure_kind_zh, RCL_MEASURE_KIND_COUNT)) ||
        (w = word_in(s, rcl_measure_status_names, rcl_measure_status_zh, RCL_STATUS_COUNT)) ||
        (w = word_in(s, rcl_participation_names, rcl_participation_zh, RCL_PARTICIPATION_COUNT)) ||
        (w = word_in(s, rcl_optout_status_names, rcl_optout_status_zh, RCL_OPTOUT_STATUS_COUNT)) ||
        (w = word_in(s, rcl_platform_kind_names, rcl_platform_kind_zh, RCL_PLATFORM_KIND_COUNT)) ||
        (w = word_in(s, rcl_network_names, rcl_network_zh, RCL_NETWORK_COUNT)) ||
        (w = word_in(s, rcl_device_names, rcl_device_zh, RCL_DEVICE_COUNT)) ||
        (w = word_in(s, rcl_group_names, rcl_group_zh, RCL_GROUP_COUNT)))
        return w;
    return NULL;
}

/* One conversion of fmt at *p ("%" already passed), with its argument, appended at out[*n].
 * Its spec is copied from a wording whose conversions match the English format's, which the
 * caller's arguments were checked against (test_import_zh.c checks the two match). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void one_conversion(char *out, size_t outlen, size_t *n, const char **p, va_list *ap)
{
    char spec[32] = "%", len[3] = "";
    size_t k = 1;
    int star = -1, got = 0;
    const char *q = *p;

    for (; *q != '\0' && strchr("-+ #0123456789.*", *q) != NULL && k + 4 < sizeof(spec); q++) {
        if (*q == '*')
            star = va_arg(*ap, int);
        spec[k++] = *q;
    }
    for (size_t l = 0; *q != '\0' && strchr("hljzt", *q) != NULL && l + 1 < sizeof(len); q++)
        len[l++] = *q, spec[k++] = *q;
    if (*q == '\0') {
        *p = q;
        return;
    }
    spec[k++] = *q;
    spec[k] = '\0';
    *p = q + 1;
    char *at = out + *n;
    size_t room = outlen - *n;
#define PUT(v) (star >= 0 ? snprintf(at, room, spec, star, v) : snprintf(at, room, spec, v))
    switch (*q) {
    case 's': {
        const char *a = va_arg(*ap, const char *), *w = rcl_code_zh(a);
        got = PUT(w != NULL ? w : a);
        break;
    }
    case 'd':
    case 'i':
        got = strcmp(len, "ll") == 0  ? PUT(va_arg(*ap, long long))
              : strcmp(len, "l") == 0 ? PUT(va_arg(*ap, long))
              : strcmp(len, "z") == 0 ? PUT(va_arg(*ap, ptrdiff_t))
                                      : PUT(va_arg(*ap, int));
        break;
    case 'u':
    case 'x':
    case 'X':
    case 'o':
        got = strcmp(len, "ll") == 0  ? PUT(va_arg(*ap, unsigned long long))
              : strcmp(len, "l") == 0 ? PUT(va_arg(*ap, unsigned long))
              : strcmp(len, "z") == 0 ? PUT(va_arg(*ap, size_t))
                                      : PUT(va_arg(*ap, unsigned));
        break;
    case 'c':
        got = PUT(va_arg(*ap, int));
        break;
    case '%':
        got = snprintf(at, room, "%%");
        break;
    default:
        got = PUT(va_arg(*ap, void *));
        break;
    }
#undef PUT
    if (got > 0)
        *n += (size_t)got < room ? (size_t)got : room - 1;
}
#pragma GCC diagnostic pop

void rcl_vsnprintf_zh(char *out, size_t outlen, const char *fmt, va_list ap)
{
    size_t n = 0;
    va_list args;

    if (outlen == 0)
        return;
    out[0] = '\0';
    va_copy(args, ap);
    for (const char *p = fmt; *p != '\0' && n + 1 < outlen;) {
        if (*p != '%') {
            out[n++] = *p++;
            out[n] = '\0';
            continue;
        }
        p++;
        one_conversion(out, outlen, &n, &p, &args);
    }
    va_end(args);
}

static void fill_zh(struct rcl_reason *r, const char *fmt, va_list ap)
{
    const char *zh = rcl_import_reason_zh(fmt);

    if (zh == NULL)
        zh = rcl_usage_reason_zh(fmt);

    rcl_vsnprintf_zh(r->zh, sizeof(r->zh), zh != NULL ? zh : fmt, ap);
}

void rcl_reason_vset(struct rcl_reason *r, const char *fmt, va_list ap)
{
    va_list again;

    /* Through a copy: the two languages take the same arguments. */
    va_copy(again, ap);
    vsnprintf(r->en, sizeof(r->en), fmt, ap);
    fill_zh(r, fmt, again);
    va_end(again);
}

void rcl_reason_set(struct rcl_reason *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    rcl_reason_vset(r, fmt, ap);
    va_end(ap);
}

void rcl_reason_en(struct rcl_reason *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->en, sizeof(r->en), fmt, ap);
    va_end(ap);
}

void rcl_reason_zh(struct rcl_reason *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fill_zh(r, fmt, ap);
    va_end(ap);
}

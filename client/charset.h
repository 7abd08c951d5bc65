/*
 * charset.h - the character sets spreadsheets are saved in.
 *
 * Sheets come as UTF-8 (with or without a byte order mark) or, when Excel on
 * a Chinese Windows saves "CSV", as GB18030 (GBK is a part of it). Reading
 * makes either into UTF-8 and says which it was; writing turns UTF-8 into
 * what was asked for. The conversion is the system's (rcl_conv in
 * rcl_platform.h: iconv(3), or Windows' code page 54936).
 */
#ifndef RCL_SCHOOL_CHARSET_H
#define RCL_SCHOOL_CHARSET_H

#include <stdio.h>

#include "reason.h"

enum rcl_charset { RCL_CHARSET_UTF8, RCL_CHARSET_GB18030 };

/* "utf-8" or "gb18030" as an option names it; 0, or -1 for anything else. */
int rcl_charset_parse(const char *name, enum rcl_charset *out);

/*
 * Makes the bytes of in readable as UTF-8. When they are valid UTF-8, in is
 * rewound and returned (or, when in is a pipe, a temporary copy of them);
 * when they are valid GB18030, a new temporary file holding them converted
 * to UTF-8 is returned rewound. The caller closes what is returned when it
 * is not in, and still closes in. *found says which. NULL when they are neither, or
 * on a read error: why says why (reason.h), *line is the line (1-based) of the first
 * byte that is not UTF-8, 0 when no line applies.
 */
FILE *rcl_charset_to_utf8(FILE *in, enum rcl_charset *found, unsigned long *line,
                          struct rcl_reason *why);

/*
 * Copies the UTF-8 text in (from where it stands) to out in charset to.
 * Returns 0, or -1 with the reason in err (a read or write error, or text
 * that is not UTF-8).
 */
int rcl_charset_from_utf8(FILE *in, FILE *out, enum rcl_charset to, char *err, size_t errlen);

#endif

/*
 * rcl_files_win32.h - what the Windows platform files share (rcl_files_win32.c).
 */
#ifndef RCL_FILES_WIN32_H
#define RCL_FILES_WIN32_H

#include <wchar.h>

/* text (UTF-8) as a new wide string (the caller frees it), or NULL with errno set. */
wchar_t *rcl_win32_wide(const char *text);

#endif

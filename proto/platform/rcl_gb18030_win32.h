/*
 * rcl_gb18030_win32.h - GB18030 without code page 54936 (Windows build only).
 */
#ifndef RCL_GB18030_WIN32_H
#define RCL_GB18030_WIN32_H

/* The code point of the GB18030 character p (len bytes: 2 or 4), -1 when none. */
long rcl_gb18030_decode(const unsigned char *p, int len);
/* GB18030 bytes of code point u (not ASCII) into o: their count, 0 when u has none. */
int rcl_gb18030_encode(long u, char *o);

#endif

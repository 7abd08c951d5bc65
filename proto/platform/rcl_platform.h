/*
 * rcl_platform.h - what differs between POSIX and Windows, in one place.
 *
 * rcl_platform_posix.c and rcl_platform_win32.c implement it; the rest of
 * the code calls these instead of the system. Paths are UTF-8 on every
 * system (Windows gets them as wide strings, so names in Chinese work).
 * Functions that fail return -1 (or NULL) with errno set, as the calls they
 * stand for do, so callers keep using strerror(errno).
 */
#ifndef RCL_PLATFORM_H
#define RCL_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Checks calls of a printf-like function (format string at argument f, arguments from a):
 * with mingw-w64's C99 printf, not the Windows runtime's. */
#ifdef __MINGW32__
#define RCL_PRINTF_LIKE(f, a) __attribute__((format(gnu_printf, f, a)))
#else
#define RCL_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#endif

/* ---- Starting ---- */

/* Call first in main. On Windows the arguments become UTF-8, as paths are everywhere
 * here, and the console shows UTF-8; elsewhere nothing changes. */
void rcl_platform_start(int *argc, char ***argv);

/* The language of the system's user interface as the start of a locale name ("zh", "en"), or
 * NULL where the locale's variables (LC_ALL, LC_MESSAGES, LANG) are the system's only say. */
const char *rcl_ui_language(void);

/* ---- Time ---- */

/* A clock that never goes back, in milliseconds from an arbitrary start. */
int64_t rcl_mono_ms(void);
void rcl_sleep_ms(unsigned ms);
/* t as UTC or as local broken-down time. 0, or -1. */
int rcl_gmtime(time_t t, struct tm *out);
int rcl_localtime(time_t t, struct tm *out);

/* ---- Files ---- */

FILE *rcl_fopen(const char *path, const char *mode);
/* A new file (never an existing one) that only this user may read, open for writing. */
FILE *rcl_fopen_new(const char *path);
/* A new file at templ, whose last six characters "XXXXXX" are replaced to make it unique. */
FILE *rcl_fopen_temp(char *templ);
/* An anonymous temporary file, read and write, gone when closed. */
FILE *rcl_tmpfile(void);
/* Reads one line with its newline into *line (grown as needed): its length, or -1 at the end. */
ptrdiff_t rcl_getline(char **line, size_t *cap, FILE *f);
int rcl_unlink(const char *path);
int rcl_mkdir_private(const char *path); /* only this user may enter it */
int rcl_rmdir(const char *path);
/* A new folder only this user may enter, named prefix-RANDOM in the temporary folder. */
int rcl_mkdtemp(const char *prefix, char *out, size_t outlen);
/* Whether path names anything (a file, a folder, a link even when dangling). 0, or -1. */
int rcl_path_exists(const char *path, bool *exists);

struct rcl_file_info {
    bool regular;
    uint64_t size;
    unsigned perm;          /* the permission bits; 0600 where the system has none */
    unsigned long long dev; /* with ino, tells files apart; 0 where the system has none */
    unsigned long long ino;
};
int rcl_stat(const char *path, struct rcl_file_info *out);
/* rcl_stat of a symbolic link itself, not of what it names (rcl_stat where there are none). */
int rcl_lstat(const char *path, struct rcl_file_info *out);
int rcl_fd_stat(int fd, struct rcl_file_info *out);
int rcl_file_stat(FILE *f, struct rcl_file_info *out);
bool rcl_isatty(FILE *f);

/*
 * A stream that writes to memory (open_memstream): write to m->f; after
 * rcl_memstream_close, m->buf holds what was written (m->len bytes and a
 * NUL), for the caller to free even when it returned -1.
 */
struct rcl_memstream {
    FILE *f;
    char *buf;
    size_t len;
};
int rcl_memstream_open(struct rcl_memstream *m);
int rcl_memstream_close(struct rcl_memstream *m);
/* A stream that reads the len bytes at buf (fmemopen). NULL, or the stream. */
FILE *rcl_memreader(const char *buf, size_t len);

/* Flushes f's data through to the disk (fsync, FlushFileBuffers). 0, or -1. */
int rcl_file_sync(FILE *f);
/* Flushes the folder holding path, so that a new name in it survives a power cut; a
 * filesystem or system that cannot is not an error (the file itself was synced). */
int rcl_dir_sync_of(const char *path);
/*
 * Gives the file tmp the name path, never replacing an existing path, in
 * one step where the filesystem allows. 0, 1 when path exists (tmp is
 * left), or -1.
 */
int rcl_rename_new(const char *tmp, const char *path);
/* Gives the file tmp the name path, replacing what path named, in one step. 0, or -1. */
int rcl_rename_replace(const char *tmp, const char *path);

/* ---- A lock file: shared or exclusive, never waited for ---- */

struct rcl_lock;
/* Opens (creating) the lock file at path. NULL, or the lock (not yet held). */
struct rcl_lock *rcl_lock_open(const char *path);
/* Takes the lock, shared or exclusive (a held lock is converted). 0, 1 when others hold
 * it, or -1. */
int rcl_lock_take(struct rcl_lock *l, bool exclusive);
/* Reads the start of the file's content into buf: bytes read, or -1. */
ptrdiff_t rcl_lock_read(struct rcl_lock *l, char *buf, size_t len);
/* Replaces the file's content with data (len 0: empties it). 0, or -1. */
int rcl_lock_write(struct rcl_lock *l, const char *data, size_t len);
/* Releases and closes; *l becomes NULL. */
void rcl_lock_close(struct rcl_lock **l);

/* ---- Processes ---- */

long rcl_process_id(void);
/* Whether process pid is still running. */
bool rcl_process_alive(long pid);
/* Ends this process at once, as a power cut would (no cleanup). */
void rcl_process_kill_self(void);
/* Opens url in the default browser without waiting for it. 0, or -1. */
int rcl_open_url(const char *url);

/* ---- Threads ---- */

struct rcl_thread;
/* Runs fn(arg) on a new thread. 0, or -1. */
int rcl_thread_start(struct rcl_thread **t, void *(*fn)(void *), void *arg);
/* Waits for the thread to end and frees it. */
void rcl_thread_join(struct rcl_thread *t);

struct rcl_mutex;
/* A mutex (not recursive). NULL when out of memory. */
struct rcl_mutex *rcl_mutex_new(void);
void rcl_mutex_lock(struct rcl_mutex *m);
void rcl_mutex_unlock(struct rcl_mutex *m);
void rcl_mutex_destroy(struct rcl_mutex **m);

/* ---- Being asked to stop (Ctrl-C, SIGTERM, the console window closed) ---- */

/* From now on a stop request sets a flag instead of ending the process. */
void rcl_stop_catch(void);
bool rcl_stop_caught(void);
/* Stop requests act as before rcl_stop_catch again. */
void rcl_stop_release(void);
/* For a program that only waits: call before starting threads, so that none of them
 * is interrupted, then rcl_stop_wait; rcl_stop_unblock after. */
void rcl_stop_block(void);
void rcl_stop_wait(void);
void rcl_stop_unblock(void);

/* ---- Sockets ---- */

#ifdef _WIN32
typedef uintptr_t rcl_socket; /* SOCKET */
#define RCL_SOCKET_NONE ((rcl_socket) ~(uintptr_t)0)
#else
typedef int rcl_socket;
#define RCL_SOCKET_NONE (-1)
#endif
/* A socket listening on 127.0.0.1:port (0: the system chooses), the port got in *bound.
 * RCL_SOCKET_NONE on failure. */
rcl_socket rcl_listen_loopback(unsigned port, unsigned *bound);
void rcl_socket_close(rcl_socket s);

/* ---- Character sets ---- */

enum rcl_codepage { RCL_CODEPAGE_UTF8, RCL_CODEPAGE_GB18030 };
struct rcl_conv;
/* A converter from one character set to another. NULL, or the converter. */
struct rcl_conv *rcl_conv_open(enum rcl_codepage to, enum rcl_codepage from);
/*
 * Converts from *in to *out as iconv(3) does, moving both on: 0 when all of
 * the input was converted, else -1 with errno E2BIG (out is full), EINVAL
 * (the input ends inside a character) or EILSEQ (*in is at a byte that is
 * no character). in NULL: writes what ends the output.
 */
int rcl_conv(struct rcl_conv *c, char **in, size_t *inleft, char **out, size_t *outleft);
void rcl_conv_close(struct rcl_conv *c);

#endif

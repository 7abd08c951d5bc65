/*
 * rcl_platform_win32.c - rcl_platform.h on Windows (the Win32 API; built
 * with mingw-w64).
 *
 * Paths arrive as UTF-8 and are turned into wide strings for the W calls.
 * Windows has no permission bits: files are private through the folder's
 * access list, and rcl_file_info.perm says 0600.
 */
#define WIN32_LEAN_AND_MEAN
#include "rcl_platform.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <shellapi.h>

#include <direct.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <process.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WPATH_MAX 32768

/* errno for the last Win32 error, for the few that callers tell apart. */
static int errno_of(DWORD e)
{
    switch (e) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
        return ENOENT;
    case ERROR_FILE_EXISTS:
    case ERROR_ALREADY_EXISTS:
        return EEXIST;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
        return EACCES;
    case ERROR_DISK_FULL:
        return ENOSPC;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
        return ENOMEM;
    default:
        return EIO;
    }
}

static void set_errno_win(void)
{
    errno = errno_of(GetLastError());
}

/* text as a new wide string (the caller frees it), or NULL with errno set. */
static wchar_t *wide(const char *text)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text, -1, NULL, 0);
    wchar_t *w;

    if (n <= 0 || n > WPATH_MAX) {
        errno = n <= 0 ? EILSEQ : ENAMETOOLONG;
        return NULL;
    }
    w = malloc((size_t)n * sizeof(wchar_t));
    if (w == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text, -1, w, n);
    return w;
}

/* ---- Starting ---- */

void rcl_platform_start(int *argc, char ***argv)
{
    int n = 0;
    wchar_t **w = CommandLineToArgvW(GetCommandLineW(), &n);
    char **u;

    SetConsoleOutputCP(CP_UTF8);
    SetConsoleCP(CP_UTF8);
    if (w == NULL)
        return;
    /* Kept for the life of the process, as argv is. */
    u = calloc((size_t)n + 1, sizeof(*u));
    for (int i = 0; u != NULL && i < n; i++) {
        int len = WideCharToMultiByte(CP_UTF8, 0, w[i], -1, NULL, 0, NULL, NULL);

        if (len <= 0 || (u[i] = malloc((size_t)len)) == NULL) {
            LocalFree(w);
            return; /* the arguments stay as the system gave them */
        }
        WideCharToMultiByte(CP_UTF8, 0, w[i], -1, u[i], len, NULL, NULL);
    }
    LocalFree(w);
    if (u != NULL) {
        *argc = n;
        *argv = u;
    }
}

/* ---- Time ---- */

int64_t rcl_mono_ms(void)
{
    return (int64_t)GetTickCount64();
}

void rcl_sleep_ms(unsigned ms)
{
    Sleep(ms);
}

int rcl_gmtime(time_t t, struct tm *out)
{
    return gmtime_s(out, &t) == 0 ? 0 : -1;
}

int rcl_localtime(time_t t, struct tm *out)
{
    return localtime_s(out, &t) == 0 ? 0 : -1;
}

/* ---- Files ---- */

FILE *rcl_fopen(const char *path, const char *mode)
{
    wchar_t *wp = wide(path), *wm = wide(mode);
    FILE *f = NULL;

    if (wp != NULL && wm != NULL)
        f = _wfopen(wp, wm);
    free(wp);
    free(wm);
    return f;
}

/* A new file at path opened for writing, and its stream; NULL when path exists. */
static FILE *open_new(const wchar_t *wp)
{
    int fd =
        _wopen(wp, _O_WRONLY | _O_CREAT | _O_EXCL | _O_BINARY | _O_NOINHERIT, _S_IREAD | _S_IWRITE);
    FILE *f;

    if (fd < 0)
        return NULL;
    f = _fdopen(fd, "wb");
    if (f == NULL) {
        int e = errno;
        _close(fd);
        _wunlink(wp);
        errno = e;
    }
    return f;
}

FILE *rcl_fopen_new(const char *path)
{
    wchar_t *wp = wide(path);
    FILE *f = wp != NULL ? open_new(wp) : NULL;

    free(wp);
    return f;
}

/* Six random letters and digits in place of "XXXXXX" at the end of templ. 0, or -1. */
static int fill_random(char *templ)
{
    static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    static unsigned long long state;
    size_t n = strlen(templ);

    if (n < 6 || strcmp(templ + n - 6, "XXXXXX") != 0) {
        errno = EINVAL;
        return -1;
    }
    if (state == 0)
        state = (unsigned long long)GetTickCount64() ^
                ((unsigned long long)GetCurrentProcessId() << 32);
    for (size_t i = n - 6; i < n; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        templ[i] = set[(state >> 33) % (sizeof(set) - 1)];
    }
    return 0;
}

FILE *rcl_fopen_temp(char *templ)
{
    size_t n = strlen(templ);

    for (int tries = 0; tries < 100; tries++) {
        wchar_t *wp;
        FILE *f;

        memcpy(templ + n - (n < 6 ? n : 6), "XXXXXX", n < 6 ? n : 6);
        if (fill_random(templ) != 0 || (wp = wide(templ)) == NULL)
            return NULL;
        f = open_new(wp);
        free(wp);
        if (f != NULL || errno != EEXIST)
            return f;
    }
    errno = EEXIST;
    return NULL;
}

/* The temporary folder as UTF-8 with its final backslash. 0, or -1. */
static int temp_dir(char *out, size_t outlen)
{
    wchar_t w[MAX_PATH + 1];
    DWORD n = GetTempPathW(MAX_PATH + 1, w);

    if (n == 0 || n > MAX_PATH) {
        set_errno_win();
        return -1;
    }
    if (WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)outlen, NULL, NULL) <= 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

FILE *rcl_tmpfile(void)
{
    char path[1024];
    FILE *f;
    wchar_t *wp;

    /* tmpfile() of the C runtime writes to the root of the drive, which users may not. */
    if (temp_dir(path, sizeof(path) - 32) != 0)
        return NULL;
    strcat(path, "rollcall-XXXXXX");
    for (int tries = 0; tries < 100; tries++) {
        if (fill_random(path) != 0 || (wp = wide(path)) == NULL)
            return NULL;
        /* Deleted when closed, kept in memory while it fits. */
        int fd = _wopen(wp,
                        _O_RDWR | _O_CREAT | _O_EXCL | _O_BINARY | _O_NOINHERIT | _O_TEMPORARY |
                            _O_SHORT_LIVED,
                        _S_IREAD | _S_IWRITE);
        free(wp);
        if (fd >= 0) {
            if ((f = _fdopen(fd, "w+b")) == NULL)
                _close(fd);
            return f;
        }
        if (errno != EEXIST)
            return NULL;
        memcpy(path + strlen(path) - 6, "XXXXXX", 6);
    }
    return NULL;
}

ptrdiff_t rcl_getline(char **line, size_t *cap, FILE *f)
{
    size_t n = 0;
    int c;

    if (*line == NULL || *cap == 0) {
        free(*line);
        *cap = 128;
        if ((*line = malloc(*cap)) == NULL) {
            errno = ENOMEM;
            return -1;
        }
    }
    while ((c = getc(f)) != EOF) {
        if (n + 2 > *cap) {
            char *p = realloc(*line, *cap * 2);
            if (p == NULL) {
                errno = ENOMEM;
                return -1;
            }
            *line = p;
            *cap *= 2;
        }
        (*line)[n++] = (char)c;
        if (c == '\n')
            break;
    }
    (*line)[n] = '\0';
    return n == 0 ? -1 : (ptrdiff_t)n;
}

int rcl_unlink(const char *path)
{
    wchar_t *wp = wide(path);
    int rc = wp != NULL ? _wunlink(wp) : -1;

    free(wp);
    return rc;
}

int rcl_mkdir_private(const char *path)
{
    wchar_t *wp = wide(path);
    int rc = wp != NULL ? _wmkdir(wp) : -1;

    free(wp);
    return rc;
}

int rcl_rmdir(const char *path)
{
    wchar_t *wp = wide(path);
    int rc = wp != NULL ? _wrmdir(wp) : -1;

    free(wp);
    return rc;
}

int rcl_mkdtemp(const char *prefix, char *out, size_t outlen)
{
    char dir[1024];

    if (temp_dir(dir, sizeof(dir)) != 0)
        return -1;
    if ((size_t)snprintf(out, outlen, "%s%s-XXXXXX", dir, prefix) >= outlen) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (int tries = 0; tries < 100; tries++) {
        if (fill_random(out) != 0)
            return -1;
        if (rcl_mkdir_private(out) == 0)
            return 0;
        if (errno != EEXIST)
            return -1;
        memcpy(out + strlen(out) - 6, "XXXXXX", 6);
    }
    return -1;
}

int rcl_path_exists(const char *path, bool *exists)
{
    wchar_t *wp = wide(path);
    DWORD a, e;

    if (wp == NULL)
        return -1;
    a = GetFileAttributesW(wp);
    e = GetLastError();
    free(wp);
    *exists = a != INVALID_FILE_ATTRIBUTES;
    if (*exists || e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
        return 0;
    errno = errno_of(e);
    return -1;
}

static void file_info(const struct _stat64 *sb, struct rcl_file_info *out)
{
    out->regular = (sb->st_mode & _S_IFMT) == _S_IFREG;
    out->size = (uint64_t)sb->st_size;
    out->perm = 0600;
    out->dev = 0;
    out->ino = 0;
}

int rcl_stat(const char *path, struct rcl_file_info *out)
{
    wchar_t *wp = wide(path);
    struct _stat64 sb;
    int rc = wp != NULL ? _wstat64(wp, &sb) : -1;

    free(wp);
    if (rc == 0)
        file_info(&sb, out);
    return rc;
}

int rcl_lstat(const char *path, struct rcl_file_info *out)
{
    return rcl_stat(path, out);
}

int rcl_fd_stat(int fd, struct rcl_file_info *out)
{
    struct _stat64 sb;

    if (_fstat64(fd, &sb) != 0)
        return -1;
    file_info(&sb, out);
    return 0;
}

int rcl_file_stat(FILE *f, struct rcl_file_info *out)
{
    return rcl_fd_stat(_fileno(f), out);
}

bool rcl_isatty(FILE *f)
{
    return _isatty(_fileno(f)) != 0;
}

/* Windows' C runtime has no memory streams: a temporary file stands in for one. */
int rcl_memstream_open(struct rcl_memstream *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = rcl_tmpfile();
    return m->f != NULL ? 0 : -1;
}

int rcl_memstream_close(struct rcl_memstream *m)
{
    FILE *f = m->f;
    long long n;
    int rc = -1;

    m->f = NULL;
    if (fflush(f) == 0 && !ferror(f) && (n = _ftelli64(f)) >= 0 &&
        (m->buf = malloc((size_t)n + 1)) != NULL) {
        rewind(f);
        m->len = fread(m->buf, 1, (size_t)n, f);
        m->buf[m->len] = '\0';
        rc = m->len == (size_t)n ? 0 : -1;
    }
    fclose(f);
    return rc;
}

FILE *rcl_memreader(const char *buf, size_t len)
{
    FILE *f = rcl_tmpfile();

    if (f == NULL)
        return NULL;
    if (fwrite(buf, 1, len, f) != len || fflush(f) != 0) {
        fclose(f);
        return NULL;
    }
    rewind(f);
    return f;
}

int rcl_file_sync(FILE *f)
{
    HANDLE h;

    if (fflush(f) != 0)
        return -1;
    h = (HANDLE)_get_osfhandle(_fileno(f));
    if (h == INVALID_HANDLE_VALUE || !FlushFileBuffers(h)) {
        set_errno_win();
        return -1;
    }
    return 0;
}

int rcl_dir_sync_of(const char *path)
{
    /* NTFS records a name with the file's own flush; a folder cannot be flushed. */
    (void)path;
    return 0;
}

int rcl_rename_new(const char *tmp, const char *path)
{
    wchar_t *wt = wide(tmp), *wp = wide(path);
    int rc = -1;

    /* Without MOVEFILE_REPLACE_EXISTING the move fails on an existing name, atomically. */
    if (wt != NULL && wp != NULL) {
        if (MoveFileExW(wt, wp, MOVEFILE_WRITE_THROUGH))
            rc = 0;
        else if (GetLastError() == ERROR_ALREADY_EXISTS || GetLastError() == ERROR_FILE_EXISTS)
            rc = 1;
        else
            set_errno_win();
    }
    free(wt);
    free(wp);
    return rc;
}

int rcl_rename_replace(const char *tmp, const char *path)
{
    wchar_t *wt = wide(tmp), *wp = wide(path);
    int rc = -1;

    if (wt != NULL && wp != NULL) {
        if (MoveFileExW(wt, wp, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
            rc = 0;
        else
            set_errno_win();
    }
    free(wt);
    free(wp);
    return rc;
}

/* ---- A lock file ---- */

/*
 * Windows locks byte ranges and refuses reads of a locked range: the lock
 * is on one byte far past the content, so the content stays readable.
 */
#define LOCK_OFFSET_HIGH 1u

struct rcl_lock {
    HANDLE h;
    bool held;
};

struct rcl_lock *rcl_lock_open(const char *path)
{
    wchar_t *wp = wide(path);
    struct rcl_lock *l;

    if (wp == NULL)
        return NULL;
    l = malloc(sizeof(*l));
    if (l == NULL) {
        free(wp);
        errno = ENOMEM;
        return NULL;
    }
    l->held = false;
    l->h = CreateFileW(wp, GENERIC_READ | GENERIC_WRITE,
                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_ALWAYS,
                       FILE_ATTRIBUTE_NORMAL, NULL);
    free(wp);
    if (l->h == INVALID_HANDLE_VALUE) {
        set_errno_win();
        free(l);
        return NULL;
    }
    return l;
}

static void lock_release(struct rcl_lock *l)
{
    OVERLAPPED o;

    if (!l->held)
        return;
    memset(&o, 0, sizeof(o));
    o.OffsetHigh = LOCK_OFFSET_HIGH;
    UnlockFileEx(l->h, 0, 1, 0, &o);
    l->held = false;
}

int rcl_lock_take(struct rcl_lock *l, bool exclusive)
{
    OVERLAPPED o;

    /* As flock converts a lock: the old one goes first. */
    lock_release(l);
    memset(&o, 0, sizeof(o));
    o.OffsetHigh = LOCK_OFFSET_HIGH;
    if (LockFileEx(l->h, LOCKFILE_FAIL_IMMEDIATELY | (exclusive ? LOCKFILE_EXCLUSIVE_LOCK : 0), 0,
                   1, 0, &o)) {
        l->held = true;
        return 0;
    }
    if (GetLastError() == ERROR_LOCK_VIOLATION || GetLastError() == ERROR_IO_PENDING)
        return 1;
    set_errno_win();
    return -1;
}

ptrdiff_t rcl_lock_read(struct rcl_lock *l, char *buf, size_t len)
{
    OVERLAPPED o;
    DWORD got = 0;

    memset(&o, 0, sizeof(o));
    if (!ReadFile(l->h, buf, (DWORD)len, &got, &o)) {
        if (GetLastError() == ERROR_HANDLE_EOF)
            return 0;
        set_errno_win();
        return -1;
    }
    return (ptrdiff_t)got;
}

int rcl_lock_write(struct rcl_lock *l, const char *data, size_t len)
{
    LARGE_INTEGER zero;
    OVERLAPPED o;
    DWORD put = 0;

    zero.QuadPart = 0;
    if (!SetFilePointerEx(l->h, zero, NULL, FILE_BEGIN) || !SetEndOfFile(l->h)) {
        set_errno_win();
        return -1;
    }
    if (len == 0)
        return 0;
    memset(&o, 0, sizeof(o));
    if (!WriteFile(l->h, data, (DWORD)len, &put, &o) || put != len) {
        set_errno_win();
        return -1;
    }
    return 0;
}

void rcl_lock_close(struct rcl_lock **l)
{
    if (*l == NULL)
        return;
    lock_release(*l);
    CloseHandle((*l)->h);
    free(*l);
    *l = NULL;
}

/* ---- Processes ---- */

long rcl_process_id(void)
{
    return (long)GetCurrentProcessId();
}

bool rcl_process_alive(long pid)
{
    HANDLE h;
    DWORD code = 0;
    bool alive;

    if (pid <= 0)
        return false;
    h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid);
    if (h == NULL)
        return GetLastError() == ERROR_ACCESS_DENIED; /* it exists, as someone else's */
    alive = GetExitCodeProcess(h, &code) && code == STILL_ACTIVE;
    CloseHandle(h);
    return alive;
}

void rcl_process_kill_self(void)
{
    TerminateProcess(GetCurrentProcess(), 137);
    _exit(137); /* not reached */
}

int rcl_open_url(const char *url)
{
    wchar_t *wu = wide(url);
    INT_PTR rc;

    if (wu == NULL)
        return -1;
    /* What `start "" URL` does; above 32 is success. */
    rc = (INT_PTR)ShellExecuteW(NULL, L"open", wu, NULL, NULL, SW_SHOWNORMAL);
    free(wu);
    return rc > 32 ? 0 : -1;
}

/* ---- Threads ---- */

struct rcl_thread {
    HANDLE h;
    void *(*fn)(void *);
    void *arg;
};

static unsigned __stdcall thread_main(void *p)
{
    struct rcl_thread *t = p;

    t->fn(t->arg);
    return 0;
}

int rcl_thread_start(struct rcl_thread **t, void *(*fn)(void *), void *arg)
{
    *t = malloc(sizeof(**t));
    if (*t == NULL)
        return -1;
    (*t)->fn = fn;
    (*t)->arg = arg;
    (*t)->h = (HANDLE)_beginthreadex(NULL, 0, thread_main, *t, 0, NULL);
    if ((*t)->h == NULL) {
        free(*t);
        *t = NULL;
        return -1;
    }
    return 0;
}

void rcl_thread_join(struct rcl_thread *t)
{
    WaitForSingleObject(t->h, INFINITE);
    CloseHandle(t->h);
    free(t);
}

/* ---- Being asked to stop ---- */

static volatile LONG stop_caught;
static HANDLE stop_event;

/* Runs on a thread of its own. Closing the window ends the process when this returns: it
 * waits a little, for the main thread to clean up. */
static BOOL WINAPI on_console(DWORD type)
{
    InterlockedExchange(&stop_caught, 1);
    if (stop_event != NULL)
        SetEvent(stop_event);
    if (type == CTRL_CLOSE_EVENT || type == CTRL_LOGOFF_EVENT || type == CTRL_SHUTDOWN_EVENT)
        Sleep(4000);
    return TRUE;
}

void rcl_stop_catch(void)
{
    InterlockedExchange(&stop_caught, 0);
    SetConsoleCtrlHandler(on_console, TRUE);
}

bool rcl_stop_caught(void)
{
    return InterlockedCompareExchange(&stop_caught, 0, 0) != 0;
}

void rcl_stop_release(void)
{
    SetConsoleCtrlHandler(on_console, FALSE);
}

void rcl_stop_block(void)
{
    if (stop_event == NULL)
        stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    else
        ResetEvent(stop_event);
    SetConsoleCtrlHandler(on_console, TRUE);
}

void rcl_stop_wait(void)
{
    if (stop_event != NULL)
        WaitForSingleObject(stop_event, INFINITE);
}

void rcl_stop_unblock(void)
{
    SetConsoleCtrlHandler(on_console, FALSE);
}

/* ---- Sockets ---- */

rcl_socket rcl_listen_loopback(unsigned port, unsigned *bound)
{
    static bool started;
    struct sockaddr_in sa;
    int len = (int)sizeof(sa);
    SOCKET s;

    if (!started) {
        WSADATA wsa;
        if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
            errno = EIO;
            return RCL_SOCKET_NONE;
        }
        started = true;
    }
    s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET) {
        errno = EIO;
        return RCL_SOCKET_NONE;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((u_short)port);
    if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(s, 16) != 0 ||
        getsockname(s, (struct sockaddr *)&sa, &len) != 0) {
        errno = WSAGetLastError() == WSAEADDRINUSE ? EADDRINUSE : EIO;
        closesocket(s);
        return RCL_SOCKET_NONE;
    }
    *bound = ntohs(sa.sin_port);
    return (rcl_socket)s;
}

void rcl_socket_close(rcl_socket s)
{
    closesocket((SOCKET)s);
}

/* ---- Character sets ---- */

/*
 * The code pages convert whole strings and do not say where bad input is:
 * each character is found here first (its length from its bytes) and
 * converted alone, which gives iconv's errors byte for byte.
 */
#define CP_GB18030 54936

struct rcl_conv {
    enum rcl_codepage to, from;
    bool native_gb; /* the system has code page 54936 */
};

struct rcl_conv *rcl_conv_open(enum rcl_codepage to, enum rcl_codepage from)
{
    struct rcl_conv *c = malloc(sizeof(*c));

    if (c == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    c->to = to;
    c->from = from;
    c->native_gb = IsValidCodePage(CP_GB18030);
    return c;
}

/* The length of the character at p (n bytes there) in cp: 1-4, 0 when cut short, -1 bad. */
static int char_len(enum rcl_codepage cp, const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return 1;
    if (cp == RCL_CODEPAGE_GB18030) {
        if (p[0] == 0x80 || p[0] == 0xFF)
            return -1;
        if (n < 2)
            return 0;
        if ((p[1] >= 0x40 && p[1] <= 0x7E) || (p[1] >= 0x80 && p[1] <= 0xFE))
            return 2;
        if (p[1] < 0x30 || p[1] > 0x39)
            return -1;
        if (n < 3)
            return 0;
        if (p[2] < 0x81 || p[2] > 0xFE)
            return -1;
        if (n < 4)
            return 0;
        return p[3] >= 0x30 && p[3] <= 0x39 ? 4 : -1;
    }
    int len = p[0] >= 0xC2 && p[0] <= 0xDF   ? 2
              : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
              : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4
                                             : -1;
    if (len < 0)
        return -1;
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n)
            return 0;
        if ((p[i] & 0xC0) != 0x80)
            return -1;
    }
    return len; /* overlong forms and surrogates are refused by the conversion itself */
}

/*
 * GB18030 without code page 54936, which Wine (8.0, Debian 12) does not
 * have: MultiByteToWideChar(54936) fails there with ERROR_INVALID_PARAMETER
 * for every character. Two-byte characters are those of code page 936 (GBK)
 * but for gb_two_byte_moved; four-byte ones in the BMP are ranges over the
 * linear index of the four bytes (the standard's table), the other planes
 * start at index GB_PLANE1 in one run.
 */
static const struct {
    uint16_t code, u;
} gb_two_byte_moved[] = {
    {0xA2E3, 0x20AC}, {0xA8BF, 0x01F9}, {0xA989, 0x303E}, {0xA98A, 0x2FF0}, {0xA98B, 0x2FF1},
    {0xA98C, 0x2FF2}, {0xA98D, 0x2FF3}, {0xA98E, 0x2FF4}, {0xA98F, 0x2FF5}, {0xA990, 0x2FF6},
    {0xA991, 0x2FF7}, {0xA992, 0x2FF8}, {0xA993, 0x2FF9}, {0xA994, 0x2FFA}, {0xA995, 0x2FFB},
    {0xFE50, 0x2E81}, {0xFE54, 0x2E84}, {0xFE55, 0x3473}, {0xFE56, 0x3447}, {0xFE57, 0x2E88},
    {0xFE58, 0x2E8B}, {0xFE5A, 0x359E}, {0xFE5B, 0x361A}, {0xFE5C, 0x360E}, {0xFE5D, 0x2E8C},
    {0xFE5E, 0x2E97}, {0xFE5F, 0x396E}, {0xFE60, 0x3918}, {0xFE62, 0x39CF}, {0xFE63, 0x39DF},
    {0xFE64, 0x3A73}, {0xFE65, 0x39D0}, {0xFE68, 0x3B4E}, {0xFE69, 0x3C6E}, {0xFE6A, 0x3CE0},
    {0xFE6B, 0x2EA7}, {0xFE6E, 0x2EAA}, {0xFE6F, 0x4056}, {0xFE70, 0x415F}, {0xFE71, 0x2EAE},
    {0xFE72, 0x4337}, {0xFE73, 0x2EB3}, {0xFE74, 0x2EB6}, {0xFE75, 0x2EB7}, {0xFE77, 0x43B1},
    {0xFE78, 0x43AC}, {0xFE79, 0x2EBB}, {0xFE7A, 0x43DD}, {0xFE7B, 0x44D6}, {0xFE7C, 0x4661},
    {0xFE7D, 0x464C}, {0xFE80, 0x4723}, {0xFE81, 0x4729}, {0xFE82, 0x477C}, {0xFE83, 0x478D},
    {0xFE84, 0x2ECA}, {0xFE85, 0x4947}, {0xFE86, 0x497A}, {0xFE87, 0x497D}, {0xFE88, 0x4982},
    {0xFE89, 0x4983}, {0xFE8A, 0x4985}, {0xFE8B, 0x4986}, {0xFE8C, 0x499F}, {0xFE8D, 0x499B},
    {0xFE8E, 0x49B7}, {0xFE8F, 0x49B6}, {0xFE92, 0x4CA3}, {0xFE93, 0x4C9F}, {0xFE94, 0x4CA0},
    {0xFE95, 0x4CA1}, {0xFE96, 0x4C77}, {0xFE97, 0x4CA2}, {0xFE98, 0x4D13}, {0xFE99, 0x4D14},
    {0xFE9A, 0x4D15}, {0xFE9B, 0x4D16}, {0xFE9C, 0x4D17}, {0xFE9D, 0x4D18}, {0xFE9E, 0x4D19},
    {0xFE9F, 0x4DAE}};

/* Linear index of the first four-byte character of each BMP range, and its code point. */
static const struct {
    uint16_t index, u;
} gb_four_byte_bmp[] = {
    {0, 0x0080},     {36, 0x00A5},    {38, 0x00A9},    {45, 0x00B2},    {50, 0x00B8},
    {81, 0x00D8},    {89, 0x00E2},    {95, 0x00EB},    {96, 0x00EE},    {100, 0x00F4},
    {103, 0x00F8},   {104, 0x00FB},   {105, 0x00FD},   {109, 0x0102},   {126, 0x0114},
    {133, 0x011C},   {148, 0x012C},   {172, 0x0145},   {175, 0x0149},   {179, 0x014E},
    {208, 0x016C},   {306, 0x01CF},   {307, 0x01D1},   {308, 0x01D3},   {309, 0x01D5},
    {310, 0x01D7},   {311, 0x01D9},   {312, 0x01DB},   {313, 0x01DD},   {341, 0x01FA},
    {428, 0x0252},   {443, 0x0262},   {544, 0x02C8},   {545, 0x02CC},   {558, 0x02DA},
    {741, 0x03A2},   {742, 0x03AA},   {749, 0x03C2},   {750, 0x03CA},   {805, 0x0402},
    {819, 0x0450},   {820, 0x0452},   {7922, 0x2011},  {7924, 0x2017},  {7925, 0x201A},
    {7927, 0x201E},  {7934, 0x2027},  {7943, 0x2031},  {7944, 0x2034},  {7945, 0x2036},
    {7950, 0x203C},  {8062, 0x20AD},  {8148, 0x2104},  {8149, 0x2106},  {8152, 0x210A},
    {8164, 0x2117},  {8174, 0x2122},  {8236, 0x216C},  {8240, 0x217A},  {8262, 0x2194},
    {8264, 0x219A},  {8374, 0x2209},  {8380, 0x2210},  {8381, 0x2212},  {8384, 0x2216},
    {8388, 0x221B},  {8390, 0x2221},  {8392, 0x2224},  {8393, 0x2226},  {8394, 0x222C},
    {8396, 0x222F},  {8401, 0x2238},  {8406, 0x223E},  {8416, 0x2249},  {8419, 0x224D},
    {8424, 0x2253},  {8437, 0x2262},  {8439, 0x2268},  {8445, 0x2270},  {8482, 0x2296},
    {8485, 0x229A},  {8496, 0x22A6},  {8521, 0x22C0},  {8603, 0x2313},  {8936, 0x246A},
    {8946, 0x249C},  {9046, 0x254C},  {9050, 0x2574},  {9063, 0x2590},  {9066, 0x2596},
    {9076, 0x25A2},  {9092, 0x25B4},  {9100, 0x25BE},  {9108, 0x25C8},  {9111, 0x25CC},
    {9113, 0x25D0},  {9131, 0x25E6},  {9162, 0x2607},  {9164, 0x260A},  {9218, 0x2641},
    {9219, 0x2643},  {11329, 0x2E82}, {11331, 0x2E85}, {11334, 0x2E89}, {11336, 0x2E8D},
    {11346, 0x2E98}, {11361, 0x2EA8}, {11363, 0x2EAB}, {11366, 0x2EAF}, {11370, 0x2EB4},
    {11372, 0x2EB8}, {11375, 0x2EBC}, {11389, 0x2ECB}, {11682, 0x2FFC}, {11686, 0x3004},
    {11687, 0x3018}, {11692, 0x301F}, {11694, 0x302A}, {11714, 0x303F}, {11716, 0x3094},
    {11723, 0x309F}, {11725, 0x30F7}, {11730, 0x30FF}, {11736, 0x312A}, {11982, 0x322A},
    {11989, 0x3232}, {12102, 0x32A4}, {12336, 0x3390}, {12348, 0x339F}, {12350, 0x33A2},
    {12384, 0x33C5}, {12393, 0x33CF}, {12395, 0x33D3}, {12397, 0x33D6}, {12510, 0x3448},
    {12553, 0x3474}, {12851, 0x359F}, {12962, 0x360F}, {12973, 0x361B}, {13738, 0x3919},
    {13823, 0x396F}, {13919, 0x39D1}, {13933, 0x39E0}, {14080, 0x3A74}, {14298, 0x3B4F},
    {14585, 0x3C6F}, {14698, 0x3CE1}, {15583, 0x4057}, {15847, 0x4160}, {16318, 0x4338},
    {16434, 0x43AD}, {16438, 0x43B2}, {16481, 0x43DE}, {16729, 0x44D7}, {17102, 0x464D},
    {17122, 0x4662}, {17315, 0x4724}, {17320, 0x472A}, {17402, 0x477D}, {17418, 0x478E},
    {17859, 0x4948}, {17909, 0x497B}, {17911, 0x497E}, {17915, 0x4984}, {17916, 0x4987},
    {17936, 0x499C}, {17939, 0x49A0}, {17961, 0x49B8}, {18664, 0x4C78}, {18703, 0x4CA4},
    {18814, 0x4D1A}, {18962, 0x4DAF}, {19043, 0x9FA6}, {33469, 0xE76C}, {33470, 0xE7C8},
    {33471, 0xE7E7}, {33484, 0xE815}, {33485, 0xE819}, {33490, 0xE81F}, {33497, 0xE827},
    {33501, 0xE82D}, {33505, 0xE833}, {33513, 0xE83C}, {33520, 0xE844}, {33536, 0xE856},
    {33550, 0xE865}, {37845, 0xF92D}, {37921, 0xF97A}, {37948, 0xF996}, {38029, 0xF9E8},
    {38038, 0xF9F2}, {38064, 0xFA10}, {38065, 0xFA12}, {38066, 0xFA15}, {38069, 0xFA19},
    {38075, 0xFA22}, {38076, 0xFA25}, {38078, 0xFA2A}, {39108, 0xFE32}, {39109, 0xFE45},
    {39113, 0xFE53}, {39114, 0xFE58}, {39115, 0xFE67}, {39116, 0xFE6C}, {39265, 0xFF5F},
    {39394, 0xFFE6}};

#define GB_BMP_END 39420 /* one past the last BMP linear index */
#define GB_PLANE1 189000 /* linear index of 90 30 81 30, U+10000 */

static int gb_linear(const unsigned char *p)
{
    return (((p[0] - 0x81) * 10 + (p[1] - 0x30)) * 126 + (p[2] - 0x81)) * 10 + (p[3] - 0x30);
}

/* The code point of the GB18030 character p (len bytes, as char_len found), -1 when none. */
static long gb_decode(const unsigned char *p, int len)
{
    if (len == 2) {
        uint16_t code = (uint16_t)(p[0] << 8 | p[1]);
        wchar_t w[2];

        for (size_t i = 0; i < sizeof(gb_two_byte_moved) / sizeof(gb_two_byte_moved[0]); i++)
            if (gb_two_byte_moved[i].code == code)
                return gb_two_byte_moved[i].u;
        return MultiByteToWideChar(936, MB_ERR_INVALID_CHARS, (const char *)p, 2, w, 2) == 1 ? w[0]
                                                                                             : -1;
    }
    long index = gb_linear(p);
    if (index >= GB_PLANE1)
        return index - GB_PLANE1 <= 0xFFFFF ? 0x10000 + index - GB_PLANE1 : -1;
    if (index >= GB_BMP_END)
        return -1;
    size_t i = sizeof(gb_four_byte_bmp) / sizeof(gb_four_byte_bmp[0]);
    while (gb_four_byte_bmp[i - 1].index > index)
        i--;
    return gb_four_byte_bmp[i - 1].u + (index - gb_four_byte_bmp[i - 1].index);
}

static int gb_four(long index, char *o)
{
    o[3] = (char)(0x30 + index % 10);
    index /= 10;
    o[2] = (char)(0x81 + index % 126);
    index /= 126;
    o[1] = (char)(0x30 + index % 10);
    o[0] = (char)(0x81 + index / 10);
    return 4;
}

/* GB18030 bytes of code point u (not ASCII) into o: their count, 0 when u has none. */
static int gb_encode(long u, char *o)
{
    if (u >= 0x10000)
        return u <= 0x10FFFF ? gb_four(u - 0x10000 + GB_PLANE1, o) : 0;
    if (u >= 0xD800 && u <= 0xDFFF)
        return 0;
    for (size_t i = 0; i < sizeof(gb_two_byte_moved) / sizeof(gb_two_byte_moved[0]); i++)
        if (gb_two_byte_moved[i].u == u) {
            o[0] = (char)(gb_two_byte_moved[i].code >> 8);
            o[1] = (char)(gb_two_byte_moved[i].code & 0xFF);
            return 2;
        }
    wchar_t w = (wchar_t)u;
    BOOL lossy = FALSE;
    if (WideCharToMultiByte(936, WC_NO_BEST_FIT_CHARS, &w, 1, o, 2, NULL, &lossy) == 2 && !lossy &&
        gb_decode((const unsigned char *)o, 2) == u)
        return 2;
    size_t n = sizeof(gb_four_byte_bmp) / sizeof(gb_four_byte_bmp[0]);
    for (size_t i = n; i-- > 0;)
        if (gb_four_byte_bmp[i].u <= u) {
            long index = gb_four_byte_bmp[i].index + (u - gb_four_byte_bmp[i].u);
            long end = i + 1 < n ? gb_four_byte_bmp[i + 1].index : GB_BMP_END;
            return index < end ? gb_four(index, o) : 0;
        }
    return 0;
}

/* The character p (len bytes) of cp as UTF-16 in w: the count of units, 0 when it is none. */
static int to_wide(enum rcl_codepage cp, bool native_gb, const char *p, int len, wchar_t w[2])
{
    if (cp == RCL_CODEPAGE_UTF8 || native_gb)
        return MultiByteToWideChar(cp == RCL_CODEPAGE_UTF8 ? CP_UTF8 : CP_GB18030,
                                   MB_ERR_INVALID_CHARS, p, len, w, 2);
    long u = gb_decode((const unsigned char *)p, len);
    if (u < 0)
        return 0;
    if (u < 0x10000) {
        w[0] = (wchar_t)u;
        return 1;
    }
    w[0] = (wchar_t)(0xD800 + ((u - 0x10000) >> 10));
    w[1] = (wchar_t)(0xDC00 + ((u - 0x10000) & 0x3FF));
    return 2;
}

/* w (nw units, one character) in cp into o (8 bytes): the count of bytes, 0 when it has none. */
static int from_wide(enum rcl_codepage cp, bool native_gb, const wchar_t *w, int nw, char *o)
{
    if (cp == RCL_CODEPAGE_UTF8 || native_gb)
        return WideCharToMultiByte(cp == RCL_CODEPAGE_UTF8 ? CP_UTF8 : CP_GB18030, 0, w, nw, o, 8,
                                   NULL, NULL);
    long u = nw == 2 ? 0x10000 + ((long)(w[0] - 0xD800) << 10) + (w[1] - 0xDC00) : w[0];
    return gb_encode(u, o);
}

int rcl_conv(struct rcl_conv *c, char **in, size_t *inleft, char **out, size_t *outleft)
{
    if (in == NULL || *in == NULL)
        return 0; /* neither code page keeps a state to end */
    while (*inleft > 0) {
        const unsigned char *p = (const unsigned char *)*in;
        int len = char_len(c->from, p, *inleft);
        wchar_t w[2];
        char o[8];
        int nw, no;

        if (len == 0) {
            errno = EINVAL;
            return -1;
        }
        if (len == 1 && p[0] < 0x80) {
            o[0] = (char)p[0];
            no = 1;
        } else {
            if (len < 0 || (nw = to_wide(c->from, c->native_gb, *in, len, w)) <= 0 ||
                (no = from_wide(c->to, c->native_gb, w, nw, o)) <= 0) {
                errno = EILSEQ;
                return -1;
            }
        }
        if ((size_t)no > *outleft) {
            errno = E2BIG;
            return -1;
        }
        memcpy(*out, o, (size_t)no);
        *out += no;
        *outleft -= (size_t)no;
        *in += len;
        *inleft -= (size_t)len;
    }
    return 0;
}

void rcl_conv_close(struct rcl_conv *c)
{
    free(c);
}

/*
 * rcl_platform_win32.c - rcl_platform.h on Windows (the Win32 API; built
 * with mingw-w64): starting, time, processes and the browser, threads,
 * Ctrl-C, the loopback socket and character sets. Files and the lock file
 * are rcl_files_win32.c's.
 */
#define WIN32_LEAN_AND_MEAN
#include "rcl_platform.h"
#include "rcl_files_win32.h"
#include "rcl_gb18030_win32.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <shellapi.h>

#include <errno.h>
#include <process.h>
#include <stdlib.h>
#include <string.h>

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

const char *rcl_ui_language(void)
{
    switch (PRIMARYLANGID(GetUserDefaultUILanguage())) {
    case LANG_CHINESE:
        return "zh";
    case LANG_ENGLISH:
        return "en";
    default:
        return "";
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
    wchar_t *wu = rcl_win32_wide(url);
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

struct rcl_mutex {
    SRWLOCK lock;
};

struct rcl_mutex *rcl_mutex_new(void)
{
    struct rcl_mutex *m = malloc(sizeof(*m));

    if (m != NULL)
        InitializeSRWLock(&m->lock);
    return m;
}

void rcl_mutex_lock(struct rcl_mutex *m)
{
    AcquireSRWLockExclusive(&m->lock);
}

void rcl_mutex_unlock(struct rcl_mutex *m)
{
    ReleaseSRWLockExclusive(&m->lock);
}

void rcl_mutex_destroy(struct rcl_mutex **m)
{
    free(*m);
    *m = NULL;
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

/* The character p (len bytes) of cp as UTF-16 in w: the count of units, 0 when it is none. */
static int to_wide(enum rcl_codepage cp, bool native_gb, const char *p, int len, wchar_t w[2])
{
    if (cp == RCL_CODEPAGE_UTF8 || native_gb)
        return MultiByteToWideChar(cp == RCL_CODEPAGE_UTF8 ? CP_UTF8 : CP_GB18030,
                                   MB_ERR_INVALID_CHARS, p, len, w, 2);
    long u = rcl_gb18030_decode((const unsigned char *)p, len);
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
    return rcl_gb18030_encode(u, o);
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

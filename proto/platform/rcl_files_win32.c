/*
 * rcl_files_win32.c - the files of rcl_platform.h on Windows: opening them
 * with UTF-8 paths, temporary ones, folders, durable writes and publishing
 * a new name, memory streams, and the store's lock file.
 *
 * Paths arrive as UTF-8 and are turned into wide strings for the W calls.
 * Windows has no permission bits: files are private through the folder's
 * access list, and rcl_file_info.perm says 0600.
 */
#define WIN32_LEAN_AND_MEAN
#include "rcl_platform.h"
#include "rcl_files_win32.h"

#include <windows.h>

#include <direct.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
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

wchar_t *rcl_win32_wide(const char *text)
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

/* ---- Files ---- */

FILE *rcl_fopen(const char *path, const char *mode)
{
    wchar_t *wp = rcl_win32_wide(path), *wm = rcl_win32_wide(mode);
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
    wchar_t *wp = rcl_win32_wide(path);
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
        if (fill_random(templ) != 0 || (wp = rcl_win32_wide(templ)) == NULL)
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
        if (fill_random(path) != 0 || (wp = rcl_win32_wide(path)) == NULL)
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
    wchar_t *wp = rcl_win32_wide(path);
    int rc = wp != NULL ? _wunlink(wp) : -1;

    free(wp);
    return rc;
}

int rcl_mkdir_private(const char *path)
{
    wchar_t *wp = rcl_win32_wide(path);
    int rc = wp != NULL ? _wmkdir(wp) : -1;

    free(wp);
    return rc;
}

int rcl_rmdir(const char *path)
{
    wchar_t *wp = rcl_win32_wide(path);
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
    wchar_t *wp = rcl_win32_wide(path);
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
    wchar_t *wp = rcl_win32_wide(path);
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
    wchar_t *wt = rcl_win32_wide(tmp), *wp = rcl_win32_wide(path);
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
    wchar_t *wt = rcl_win32_wide(tmp), *wp = rcl_win32_wide(path);
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
    wchar_t *wp = rcl_win32_wide(path);
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

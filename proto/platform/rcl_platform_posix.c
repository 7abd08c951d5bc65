/*
 * rcl_platform_posix.c - rcl_platform.h on Linux (and other POSIX systems).
 */
#define _DEFAULT_SOURCE /* flock, mkdtemp */
#include "rcl_platform.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void rcl_platform_start(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
}

const char *rcl_ui_language(void)
{
    return NULL;
}

/* ---- Time ---- */

int64_t rcl_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rcl_sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

int rcl_gmtime(time_t t, struct tm *out)
{
    return gmtime_r(&t, out) != NULL ? 0 : -1;
}

int rcl_localtime(time_t t, struct tm *out)
{
    return localtime_r(&t, out) != NULL ? 0 : -1;
}

/* ---- Files ---- */

FILE *rcl_fopen(const char *path, const char *mode)
{
    return fopen(path, mode);
}

/* A stream writing to fd, the new file at path; NULL (and no file) on failure. */
static FILE *new_stream(int fd, const char *path)
{
    FILE *f;

    if (fd < 0)
        return NULL;
    f = fdopen(fd, "wb");
    if (f == NULL) {
        int e = errno;
        close(fd);
        unlink(path);
        errno = e;
    }
    return f;
}

FILE *rcl_fopen_new(const char *path)
{
    return new_stream(open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), path);
}

FILE *rcl_fopen_temp(char *templ)
{
    return new_stream(mkstemp(templ), templ);
}

FILE *rcl_tmpfile(void)
{
    return tmpfile();
}

ptrdiff_t rcl_getline(char **line, size_t *cap, FILE *f)
{
    return getline(line, cap, f);
}

int rcl_unlink(const char *path)
{
    return unlink(path);
}

int rcl_mkdir_private(const char *path)
{
    return mkdir(path, 0700);
}

int rcl_rmdir(const char *path)
{
    return rmdir(path);
}

int rcl_mkdtemp(const char *prefix, char *out, size_t outlen)
{
    const char *tmp = getenv("TMPDIR");

    if ((size_t)snprintf(out, outlen, "%s/%s-XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp",
                         prefix) >= outlen) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return mkdtemp(out) != NULL ? 0 : -1;
}

int rcl_path_exists(const char *path, bool *exists)
{
    struct stat st;

    if (lstat(path, &st) == 0) {
        *exists = true;
        return 0;
    }
    if (errno == ENOENT) {
        *exists = false;
        return 0;
    }
    return -1;
}

static void file_info(const struct stat *sb, struct rcl_file_info *out)
{
    out->regular = S_ISREG(sb->st_mode);
    out->size = (uint64_t)sb->st_size;
    out->perm = (unsigned)(sb->st_mode & 07777);
    out->dev = (unsigned long long)sb->st_dev;
    out->ino = (unsigned long long)sb->st_ino;
}

int rcl_stat(const char *path, struct rcl_file_info *out)
{
    struct stat sb;

    if (stat(path, &sb) != 0)
        return -1;
    file_info(&sb, out);
    return 0;
}

int rcl_lstat(const char *path, struct rcl_file_info *out)
{
    struct stat sb;

    if (lstat(path, &sb) != 0)
        return -1;
    file_info(&sb, out);
    return 0;
}

int rcl_fd_stat(int fd, struct rcl_file_info *out)
{
    struct stat sb;

    if (fstat(fd, &sb) != 0)
        return -1;
    file_info(&sb, out);
    return 0;
}

int rcl_file_stat(FILE *f, struct rcl_file_info *out)
{
    return rcl_fd_stat(fileno(f), out);
}

bool rcl_isatty(FILE *f)
{
    return isatty(fileno(f)) == 1;
}

int rcl_memstream_open(struct rcl_memstream *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    return m->f != NULL ? 0 : -1;
}

int rcl_memstream_close(struct rcl_memstream *m)
{
    int rc = fclose(m->f);

    m->f = NULL;
    return rc == 0 ? 0 : -1;
}

FILE *rcl_memreader(const char *buf, size_t len)
{
    return fmemopen((void *)buf, len, "r");
}

int rcl_file_sync(FILE *f)
{
    return fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -1;
}

int rcl_dir_sync_of(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    int fd, rc;

    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    /* Some filesystems (FAT on a USB stick) cannot sync a folder. */
    if (rc != 0 && (errno == EINVAL || errno == ENOTSUP || errno == EBADF))
        rc = 0;
    close(fd);
    return rc;
}

int rcl_rename_replace(const char *tmp, const char *path)
{
    return rename(tmp, path);
}

int rcl_rename_new(const char *tmp, const char *path)
{
    bool exists = false;

    /* link() fails on an existing name atomically; a filesystem without hard links (FAT on
     * a USB stick) gets a check and a rename instead. */
    if (link(tmp, path) == 0) {
        unlink(tmp);
        return 0;
    }
    if (errno == EEXIST)
        return 1;
    if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP && errno != EMLINK &&
        errno != ENOSYS && errno != EXDEV)
        return -1;
    if (rcl_path_exists(path, &exists) != 0)
        return -1;
    if (exists)
        return 1;
    return rename(tmp, path) == 0 ? 0 : -1;
}

/* ---- A lock file ---- */

/* flock, not fcntl locks: closing any descriptor of a file drops the fcntl locks on it. */
struct rcl_lock {
    int fd;
};

struct rcl_lock *rcl_lock_open(const char *path)
{
    struct rcl_lock *l = malloc(sizeof(*l));

    if (l == NULL)
        return NULL;
    l->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (l->fd < 0) {
        int e = errno;
        free(l);
        errno = e;
        return NULL;
    }
    return l;
}

int rcl_lock_take(struct rcl_lock *l, bool exclusive)
{
    if (flock(l->fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
        return 0;
    return errno == EWOULDBLOCK ? 1 : -1;
}

ptrdiff_t rcl_lock_read(struct rcl_lock *l, char *buf, size_t len)
{
    return pread(l->fd, buf, len, 0);
}

int rcl_lock_write(struct rcl_lock *l, const char *data, size_t len)
{
    if (ftruncate(l->fd, 0) != 0)
        return -1;
    return len == 0 || pwrite(l->fd, data, len, 0) == (ssize_t)len ? 0 : -1;
}

void rcl_lock_close(struct rcl_lock **l)
{
    if (*l == NULL)
        return;
    close((*l)->fd);
    free(*l);
    *l = NULL;
}

/* ---- Processes ---- */

long rcl_process_id(void)
{
    return (long)getpid();
}

bool rcl_process_alive(long pid)
{
    return pid > 0 && kill((pid_t)pid, 0) == 0;
}

void rcl_process_kill_self(void)
{
    kill(getpid(), SIGKILL);
    _exit(137); /* not reached */
}

int rcl_open_url(const char *url)
{
#if defined(__APPLE__)
    const char *program = "open";
#else
    const char *program = "xdg-open";
#endif
    pid_t pid = fork();

    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* A grandchild runs it, so no child is left to reap. */
        if (fork() == 0) {
            sigset_t none;
            int null = open("/dev/null", O_RDWR);

            /* The caller may block SIGINT and SIGTERM (rcl_stop_block): the browser must not
             * inherit that. */
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            if (null >= 0) {
                dup2(null, STDIN_FILENO);
                dup2(null, STDOUT_FILENO);
                dup2(null, STDERR_FILENO);
            }
            execlp(program, program, url, (char *)NULL);
            _exit(127);
        }
        _exit(0);
    }
    return waitpid(pid, NULL, 0) == pid ? 0 : -1;
}

/* ---- Threads ---- */

struct rcl_thread {
    pthread_t id;
};

int rcl_thread_start(struct rcl_thread **t, void *(*fn)(void *), void *arg)
{
    *t = malloc(sizeof(**t));
    if (*t == NULL)
        return -1;
    if (pthread_create(&(*t)->id, NULL, fn, arg) != 0) {
        free(*t);
        *t = NULL;
        return -1;
    }
    return 0;
}

void rcl_thread_join(struct rcl_thread *t)
{
    pthread_join(t->id, NULL);
    free(t);
}

struct rcl_mutex {
    pthread_mutex_t m;
};

struct rcl_mutex *rcl_mutex_new(void)
{
    struct rcl_mutex *m = malloc(sizeof(*m));

    if (m != NULL && pthread_mutex_init(&m->m, NULL) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

void rcl_mutex_lock(struct rcl_mutex *m)
{
    pthread_mutex_lock(&m->m);
}

void rcl_mutex_unlock(struct rcl_mutex *m)
{
    pthread_mutex_unlock(&m->m);
}

void rcl_mutex_destroy(struct rcl_mutex **m)
{
    if (*m == NULL)
        return;
    pthread_mutex_destroy(&(*m)->m);
    free(*m);
    *m = NULL;
}

/* ---- Being asked to stop ---- */

static volatile sig_atomic_t stop_caught;
static struct sigaction old_int, old_term;

static void on_stop(int sig)
{
    stop_caught = sig;
}

void rcl_stop_catch(void)
{
    struct sigaction sa;

    stop_caught = 0;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
}

bool rcl_stop_caught(void)
{
    return stop_caught != 0;
}

void rcl_stop_release(void)
{
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
}

static void stop_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

void rcl_stop_block(void)
{
    sigset_t set;

    stop_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void rcl_stop_wait(void)
{
    sigset_t set;
    int sig = 0;

    stop_set(&set);
    while (sigwait(&set, &sig) != 0) {
    }
}

void rcl_stop_unblock(void)
{
    sigset_t set;

    stop_set(&set);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* ---- Sockets ---- */

rcl_socket rcl_listen_loopback(unsigned port, unsigned *bound)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return RCL_SOCKET_NONE;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return RCL_SOCKET_NONE;
    }
    *bound = ntohs(sa.sin_port);
    return fd;
}

void rcl_socket_close(rcl_socket s)
{
    close(s);
}

/* ---- Character sets ---- */

static const char *codepage_name[] = {
    [RCL_CODEPAGE_UTF8] = "UTF-8",
    [RCL_CODEPAGE_GB18030] = "GB18030",
};

struct rcl_conv *rcl_conv_open(enum rcl_codepage to, enum rcl_codepage from)
{
    iconv_t cd = iconv_open(codepage_name[to], codepage_name[from]);

    return cd == (iconv_t)-1 ? NULL : (struct rcl_conv *)cd;
}

int rcl_conv(struct rcl_conv *c, char **in, size_t *inleft, char **out, size_t *outleft)
{
    return iconv((iconv_t)c, in, inleft, out, outleft) == (size_t)-1 ? -1 : 0;
}

void rcl_conv_close(struct rcl_conv *c)
{
    iconv_close((iconv_t)c);
}

/*
 * store_lock.c - one writer to a school store at a time while `serve` runs
 * (see school_store.h).
 *
 * The lock is an flock on the file DB.lock beside the store, not on the
 * store itself: closing any descriptor of the store file would drop the
 * POSIX locks SQLite holds on it. The commands that write share the lock
 * (several of them may run at once, as before: SQLite orders their
 * transactions); serve takes it alone and writes its process id into the
 * file, so a refused command can name who holds the store.
 */
#define _DEFAULT_SOURCE /* flock */
#include "school_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/*
 * The process id serve wrote into the lock file, or 0 when there is none. A
 * serve that was killed leaves its id behind: a writer holding the lock
 * after it is then told apart by that process being gone.
 */
static long holder_pid(int fd)
{
    char buf[24];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

int rcl_school_store_lock(const char *db_path, enum rcl_school_lock_mode mode, int *fd, char *err,
                          size_t errlen)
{
    char path[4096 + 8];
    long pid;
    int f;

    *fd = -1;
    if ((size_t)snprintf(path, sizeof(path), "%s.lock", db_path) >= sizeof(path)) {
        snprintf(err, errlen, "%s: the path is too long", db_path);
        return -1;
    }
    f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f < 0) {
        snprintf(err, errlen, "%s: cannot open the lock file: %s", path, strerror(errno));
        return -1;
    }
    if (flock(f, (mode == RCL_SCHOOL_LOCK_SERVE ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
        pid = holder_pid(f);
        if (errno != EWOULDBLOCK)
            snprintf(err, errlen, "%s: cannot lock: %s", path, strerror(errno));
        else if (mode == RCL_SCHOOL_LOCK_SERVE && pid > 0 && kill((pid_t)pid, 0) == 0)
            snprintf(err, errlen,
                     "%s is already open in 'rollcall-school serve' (process %ld): use its page",
                     db_path, pid);
        else if (mode == RCL_SCHOOL_LOCK_SERVE)
            snprintf(err, errlen,
                     "%s is in use by another rollcall-school command that writes (such as "
                     "'sync --watch'): stop it first",
                     db_path);
        else
            snprintf(err, errlen,
                     "%s is open in 'rollcall-school serve' (process %ld): make the change on its "
                     "page, or close serve first",
                     db_path, pid);
        close(f);
        return -1;
    }
    if (mode == RCL_SCHOOL_LOCK_SERVE) {
        char line[24];
        int n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());

        if (ftruncate(f, 0) != 0 || pwrite(f, line, (size_t)n, 0) != n) {
            snprintf(err, errlen, "%s: cannot write the lock file: %s", path, strerror(errno));
            close(f);
            return -1;
        }
    }
    *fd = f;
    return 0;
}

void rcl_school_store_unlock(int *fd)
{
    if (*fd < 0)
        return;
    /* Only the holder may write the file: an emptied file names no one when serve is gone. */
    if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
        (void)!ftruncate(*fd, 0);
    close(*fd);
    *fd = -1;
}

/*
 * store_lock.c - one writer to a school store at a time while `serve` runs
 * (see school_store.h).
 *
 * The lock is on the file DB.lock beside the store (rcl_lock_open), not on
 * the store itself: closing any descriptor of the store file would drop the
 * POSIX locks SQLite holds on it. The commands that write share the lock
 * (several of them may run at once, as before: SQLite orders their
 * transactions); serve takes it alone and writes its process id into the
 * file, so a refused command can name who holds the store.
 */
#include "school_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_platform.h"

/*
 * The process id serve wrote into the lock file, or 0 when there is none. A
 * serve that was killed leaves its id behind: a writer holding the lock
 * after it is then told apart by that process being gone.
 */
static long holder_pid(struct rcl_lock *l)
{
    char buf[24];
    ptrdiff_t n = rcl_lock_read(l, buf, sizeof(buf) - 1);

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

int rcl_school_store_lock(const char *db_path, enum rcl_school_lock_mode mode,
                          struct rcl_lock **lock, char *err, size_t errlen)
{
    char path[4096 + 8];
    struct rcl_lock *l;
    long pid;
    int taken;

    *lock = NULL;
    if ((size_t)snprintf(path, sizeof(path), "%s.lock", db_path) >= sizeof(path)) {
        snprintf(err, errlen, "%s: the path is too long", db_path);
        return -1;
    }
    l = rcl_lock_open(path);
    if (l == NULL) {
        snprintf(err, errlen, "%s: cannot open the lock file: %s", path, strerror(errno));
        return -1;
    }
    taken = rcl_lock_take(l, mode == RCL_SCHOOL_LOCK_SERVE);
    if (taken != 0) {
        pid = holder_pid(l);
        if (taken < 0)
            snprintf(err, errlen, "%s: cannot lock: %s", path, strerror(errno));
        else if (mode == RCL_SCHOOL_LOCK_SERVE && rcl_process_alive(pid))
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
        rcl_lock_close(&l);
        return taken < 0 ? -1 : 1;
    }
    if (mode == RCL_SCHOOL_LOCK_SERVE) {
        char line[24];
        int n = snprintf(line, sizeof(line), "%ld\n", rcl_process_id());

        if (rcl_lock_write(l, line, (size_t)n) != 0) {
            snprintf(err, errlen, "%s: cannot write the lock file: %s", path, strerror(errno));
            rcl_lock_close(&l);
            return -1;
        }
    }
    *lock = l;
    return 0;
}

void rcl_school_store_unlock(struct rcl_lock **lock)
{
    if (*lock == NULL)
        return;
    /* Only the holder may write the file: an emptied file names no one when serve is gone. */
    if (rcl_lock_take(*lock, true) == 0)
        (void)rcl_lock_write(*lock, NULL, 0);
    rcl_lock_close(lock);
}

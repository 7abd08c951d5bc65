/*
 * rcl_log.c - one line per event on stderr:
 * "2024-03-01T08:00:00Z rollcall-agg: WARN ingest: message key=value".
 * When stderr is the systemd journal (JOURNAL_STREAM names it), the journal
 * keeps the time and the program's name itself: lines are
 * "<4>WARN ingest: message key=value", the <N> being the syslog priority the
 * journal files the line under (journalctl -p warning).
 */
#include "rcl_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rcl_platform.h"

enum rcl_log_level rcl_log_threshold = RCL_LOG_INFO;

static const char *log_program = "rollcall";
static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
static const char *const level_words[] = {"debug", "info", "warn", "error"};
/* syslog priorities: debug 7, info 6, warning 4, err 3. */
static const int level_priorities[] = {7, 6, 4, 3};
static int configured_level = -1; /* from a configuration file, when set */
static int to_journal;            /* stderr is the journal's stream */

/*
 * The progress line on a terminal (rcl_log_status). A log line first erases
 * it and it is drawn again after, so the two never share a line; INFO and
 * DEBUG lines wait until it is gone, a screen of them would scroll it away.
 * Only single-threaded commands draw one, so these need no lock.
 */
#define HELD_MAX 32
static char status_line[256];
static char held[HELD_MAX][1024];
static int held_count;
static unsigned long held_dropped;

/*
 * Is stderr the stream systemd connected to the journal? JOURNAL_STREAM is
 * "DEV:INODE" of it; a child whose stderr was redirected inherits the
 * variable, hence the comparison.
 */
static int stderr_is_journal(void)
{
    const char *env = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct rcl_file_info sb;
    char tail;

    if (env == NULL || sscanf(env, "%llu:%llu%c", &dev, &ino, &tail) != 2)
        return 0;
    if (rcl_fd_stat(2, &sb) != 0)
        return 0;
    return sb.dev == dev && sb.ino == ino;
}

void rcl_log_configure(const char *level)
{
    const char *env = getenv("ROLLCALL_LOG");

    for (int i = 0; level != NULL && i < 4; i++) {
        if (strcmp(level, level_words[i]) == 0)
            configured_level = i;
    }
    if (configured_level >= 0 && (env == NULL || env[0] == '\0'))
        rcl_log_threshold = (enum rcl_log_level)configured_level;
}

void rcl_log_init(const char *program)
{
    const char *env = getenv("ROLLCALL_LOG");

    if (program != NULL && program[0] != '\0') {
        /* Only the last path component: "/usr/bin/rollcall-agg" -> "rollcall-agg". */
        const char *slash = strrchr(program, '/');
        log_program = slash != NULL ? slash + 1 : program;
    }
    to_journal = stderr_is_journal();
    rcl_log_threshold = configured_level >= 0 ? (enum rcl_log_level)configured_level : RCL_LOG_INFO;
    if (env == NULL || env[0] == '\0')
        return;
    for (int i = 0; i < 4; i++) {
        if (strcmp(env, level_words[i]) == 0) {
            rcl_log_threshold = (enum rcl_log_level)i;
            return;
        }
    }
    rcl_log_write(RCL_LOG_WARN,
                  "log: ROLLCALL_LOG is not one of debug|info|warn|error; using info value=%s",
                  rcl_log_value(env));
}

#define VALUE_SLOTS 8
#define VALUE_MAX 512

const char *rcl_log_value(const char *value)
{
    static _Thread_local char slots[VALUE_SLOTS][VALUE_MAX];
    static _Thread_local unsigned next;
    char *out = slots[next++ % VALUE_SLOTS];
    size_t n = 0;

    if (value == NULL)
        return "-";
    if (value[0] != '\0' && strpbrk(value, " \"\\=") == NULL)
        return value;
    out[n++] = '"';
    /* Room kept for an escape pair, the closing quote and the NUL. */
    for (const char *c = value; *c != '\0' && n + 4 < VALUE_MAX; c++) {
        if (*c == '"' || *c == '\\')
            out[n++] = '\\';
        out[n++] = *c;
    }
    out[n++] = '"';
    out[n] = '\0';
    return out;
}

void rcl_log_write(enum rcl_log_level level, const char *fmt, ...)
{
    char line[1024];
    char stamp[32];
    struct tm tm;
    time_t now = time(NULL);
    va_list ap;
    int n;

    if ((int)level < 0 || level > RCL_LOG_ERROR)
        level = RCL_LOG_ERROR;
    if (to_journal) {
        n = snprintf(line, sizeof(line), "<%d>%s ", level_priorities[level], level_names[level]);
    } else {
        if (rcl_gmtime(now, &tm) != 0 ||
            strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
            strcpy(stamp, "-");
        n = snprintf(line, sizeof(line), "%s %s: %s ", stamp, log_program, level_names[level]);
    }
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    /* One event, one line: a control character from a peer or a file (a name, an
     * endpoint, an error text) must not start a forged line of its own. */
    for (char *c = line + n; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    }
    if (status_line[0] != '\0' && level < RCL_LOG_WARN) {
        if (held_count < HELD_MAX)
            memcpy(held[held_count++], line, sizeof(line));
        else
            held_dropped++;
        return;
    }
    rcl_log_above(line);
}

void rcl_log_above(const char *text)
{
    if (status_line[0] != '\0') {
        fprintf(stderr, "\r\033[K%s\n%s", text, status_line);
        fflush(stderr);
        return;
    }
    /* One write per line, so lines from two threads never interleave. */
    fprintf(stderr, "%s\n", text);
}

void rcl_log_status(const char *text)
{
    if (text != NULL && text[0] != '\0') {
        snprintf(status_line, sizeof(status_line), "%s", text);
        fprintf(stderr, "\r\033[K%s", status_line);
        fflush(stderr);
        return;
    }
    if (status_line[0] == '\0')
        return;
    status_line[0] = '\0';
    fputs("\r\033[K", stderr);
    for (int i = 0; i < held_count; i++)
        fprintf(stderr, "%s\n", held[i]);
    held_count = 0;
    if (held_dropped > 0)
        rcl_log_write(RCL_LOG_INFO,
                      "log: info lines held back under the progress line were "
                      "dropped count=%lu",
                      held_dropped);
    held_dropped = 0;
    fflush(stderr);
}

/*
 * rcl_log.h - one line per event on stderr: "LEVEL area: message key=value".
 * The message is a short fixed sentence; what varies (an id, a path, an
 * error text) goes in the key=value fields after it, a value that is not one
 * plain word written through rcl_log_value.
 *
 * Never pass keys, payloads or student data. RCL_LOG skips formatting when
 * the level is off.
 */
#ifndef RCL_LOG_H
#define RCL_LOG_H

#include "rcl_platform.h"

enum rcl_log_level { RCL_LOG_DEBUG, RCL_LOG_INFO, RCL_LOG_WARN, RCL_LOG_ERROR };

extern enum rcl_log_level rcl_log_threshold;

/* Sets the threshold from ROLLCALL_LOG (debug|info|warn|error); default info. */
void rcl_log_init(const char *program);

/*
 * The level a configuration file asks for (debug|info|warn|error), used
 * when ROLLCALL_LOG is not set; before or after rcl_log_init.
 */
void rcl_log_configure(const char *level);

void rcl_log_write(enum rcl_log_level level, const char *fmt, ...) RCL_PRINTF_LIKE(2, 3);

/*
 * Shows text as the one status line (a progress line) at the foot of a
 * terminal, redrawn in place; NULL or "" erases it and prints the INFO lines
 * held back meanwhile. While it shows, WARN and ERROR lines are printed above
 * it, INFO and DEBUG ones held back.
 */
void rcl_log_status(const char *text);

/* Writes text, a line of a command's own (not a log event), on stderr above the status line. */
void rcl_log_above(const char *text);

/*
 * value as a field's value: as it is when it is one plain word, else in
 * double quotes with " and \\ escaped (NULL is "-"). The text lives in one of
 * a few buffers of the calling thread, reused in turn: enough for the fields
 * of one line, not for keeping.
 */
const char *rcl_log_value(const char *value);

#define RCL_LOG(level, ...)                                                                        \
    do {                                                                                           \
        if ((level) >= rcl_log_threshold)                                                          \
            rcl_log_write((level), __VA_ARGS__);                                                   \
    } while (0)

#define RCL_DEBUG(...) RCL_LOG(RCL_LOG_DEBUG, __VA_ARGS__)
#define RCL_INFO(...) RCL_LOG(RCL_LOG_INFO, __VA_ARGS__)
#define RCL_WARN(...) RCL_LOG(RCL_LOG_WARN, __VA_ARGS__)
#define RCL_ERROR(...) RCL_LOG(RCL_LOG_ERROR, __VA_ARGS__)

#endif

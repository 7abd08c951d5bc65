/*
 * rcl_crash.c - named crash points (see rcl_crash.h).
 */
#include "rcl_crash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rcl_log.h"
#include "rcl_platform.h"

const char *const rcl_crash_points[] = {
    /* school */
    "import-before-commit",
    /* both senders (school, aggregator toward its upstream) */
    "seal-before-commit",
    "uplink-after-send",
    "ack-before-record",
    "ack-after-record",
    "new-epoch-before-commit",
    /* receivers */
    "ingest-before-commit",
    "ingest-after-commit",
    /* every store, migrating to a newer schema */
    "migrate-before-commit",
    NULL,
};

static const char *armed; /* the point named in the environment, "" for none */
static char armed_name[64];
static long armed_count = 1; /* die on this passage */

void rcl_crash_point(const char *name)
{
    if (armed == NULL) {
        const char *env = getenv("ROLLCALL_CRASH_AT");
        char *colon;

        armed = "";
        if (env != NULL && env[0] != '\0' && strlen(env) < sizeof armed_name) {
            strcpy(armed_name, env);
            colon = strchr(armed_name, ':');
            if (colon != NULL) {
                *colon = '\0';
                armed_count = strtol(colon + 1, NULL, 10);
                if (armed_count < 1)
                    armed_count = 1;
            }
            armed = armed_name;
        }
    }
    if (armed[0] == '\0' || strcmp(armed, name) != 0)
        return;
    if (--armed_count > 0)
        return;
    /* stderr is unbuffered: this line is the last thing the process says. */
    rcl_log_write(RCL_LOG_ERROR,
                  "crash: crash point reached: killing this process (ROLLCALL_CRASH_AT) point=%s",
                  rcl_log_value(name));
    rcl_process_kill_self();
}

/*
 * rcl_crash.h - named crash points, for proving crash safety.
 *
 * RCL_CRASH_POINT("ingest-after-commit") kills the process with SIGKILL --
 * no clean-up, no flush, as a power cut would -- when the environment names
 * that point: ROLLCALL_CRASH_AT=NAME, or NAME:N to die on its N-th passage
 * (default 1). Without the variable it costs one cached comparison. The
 * tests sweep every point across every step of the protocol; the list of
 * points is in rcl_crash.c (rcl_crash_points) so they can.
 */
#ifndef RCL_CRASH_H
#define RCL_CRASH_H

void rcl_crash_point(const char *name);

#define RCL_CRASH_POINT(name) rcl_crash_point(name)

/* Every point the code passes, NULL-terminated (for `--crash-points` style listings). */
extern const char *const rcl_crash_points[];

#endif

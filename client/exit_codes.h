/*
 * exit_codes.h - the exit codes every rollcall-school command returns
 * (DESIGN.md: Command-line contract).
 */
#ifndef RCL_SCHOOL_EXIT_CODES_H
#define RCL_SCHOOL_EXIT_CODES_H

enum rcl_school_exit {
    RCL_SCHOOL_EXIT_OK = 0,
    RCL_SCHOOL_EXIT_DATA = 1,        /* a user or data error; the message says what and where */
    RCL_SCHOOL_EXIT_USAGE = 2,       /* the command line is wrong */
    RCL_SCHOOL_EXIT_UPSTREAM = 3,    /* upstream unreachable or no ack; the data is kept */
    RCL_SCHOOL_EXIT_NEWER_STORE = 4, /* the store was written by a newer program: not retried */
};

#endif

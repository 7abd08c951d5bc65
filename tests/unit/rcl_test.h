/*
 * rcl_test.h - the few macros every unit test uses.
 *
 * CHECK(expr) records a failure with file:line and the expression, and the
 * test goes on so one run shows every broken behaviour; RCL_TEST_RUN(fn)
 * runs one case; main() returns RCL_TEST_RESULT() (1 if anything failed).
 */
#ifndef RCL_TEST_H
#define RCL_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int rcl_test_failures;

#define CHECK(expr)                                                                                \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #expr);               \
            rcl_test_failures++;                                                                   \
        }                                                                                          \
    } while (0)

/* Like CHECK, but also prints the two strings when they differ. */
#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *rcl_a_ = (a), *rcl_b_ = (b);                                                   \
        if (rcl_a_ == NULL || rcl_b_ == NULL || strcmp(rcl_a_, rcl_b_) != 0) {                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" vs \"%s\")\n", __FILE__,        \
                    __LINE__, #a, #b, rcl_a_ ? rcl_a_ : "(null)", rcl_b_ ? rcl_b_ : "(null)");     \
            rcl_test_failures++;                                                                   \
        }                                                                                          \
    } while (0)

#define RCL_TEST_RUN(fn)                                                                           \
    do {                                                                                           \
        int rcl_before_ = rcl_test_failures;                                                       \
        fn();                                                                                      \
        fprintf(stderr, "%s %s\n", rcl_test_failures == rcl_before_ ? "ok  " : "FAIL", #fn);       \
    } while (0)

#define RCL_TEST_RESULT() (rcl_test_failures == 0 ? 0 : 1)

/*
 * Makes a fresh directory for this test's files under $ROLLCALL_TEST_TMP
 * (ctest sets it) or /tmp, and writes its path into out. Returns 0 or -1.
 */
static inline int rcl_test_tmpdir(const char *name, char *out, size_t outlen)
{
    const char *base = getenv("ROLLCALL_TEST_TMP");

    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    if (mkdir(base, 0700) != 0 && errno != EEXIST)
        return -1;
    if (snprintf(out, outlen, "%s/%s-XXXXXX", base, name) >= (int)outlen)
        return -1;
    return mkdtemp(out) != NULL ? 0 : -1;
}

/* Hex text of n bytes into out (2n+1 bytes). */
static inline void rcl_test_hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Parses hex text into out (at most cap bytes); returns the byte count or -1. */
static inline long rcl_test_unhex(const char *hex, unsigned char *out, size_t cap)
{
    size_t n = strlen(hex);
    if (n % 2 != 0 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = hex[2 * i + (size_t)k];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= (unsigned)(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= (unsigned)(c - 'A' + 10);
            else
                return -1;
        }
        out[i] = (unsigned char)v;
    }
    return (long)(n / 2);
}

#endif

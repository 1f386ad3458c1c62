/* check.h - pass/fail bookkeeping shared by the C unit tests (header only).
 *
 * A test counts its failed checks in `failures` and exits non-zero when it
 * is not zero.  check() prints "ok WHAT" or "FAIL WHAT" to stdout; CHECK()
 * prints nothing on success and, on failure, the file, line, condition and
 * a printf-style message to stderr.
 */
#ifndef MEDCAP_TEST_CHECK_H
#define MEDCAP_TEST_CHECK_H

#include <stdio.h>

static int failures;

/* Print "ok WHAT" or "FAIL WHAT"; count a failure when ok is 0. */
static inline void check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "ok" : "FAIL", what);
    if (!ok)
        failures++;
}

/* Count a failure, with "FILE:LINE: check failed: COND: MESSAGE" on stderr,
 * when cond is false. */
#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
            failures++;                                                    \
        }                                                                  \
    } while (0)

#endif

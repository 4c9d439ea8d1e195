/* tests/t.h - a tiny test harness: named tests, checks, one summary line.

   Each TEST is a function; RUN(name) runs it and prints "ok - name" or
   "FAIL - name" (with the failed checks above it). t_done() prints the
   suite's "N passed, M failed" line and returns the exit status. */
#ifndef MPT_T_H
#define MPT_T_H
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_passed, t_failed, t_checks_failed;
static const char *t_current = "";
static const char *t_only; /* MPT_ONLY=name runs one test */

static void t_fail_check(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stdout, "  %s:%d: [%s] ", file, line, t_current);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
    t_checks_failed++;
}

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) t_fail_check(__FILE__, __LINE__, "check failed: %s", #cond);                                     \
    } while (0)
#define CHECKF(cond, ...)                                                                                              \
    do {                                                                                                               \
        if (!(cond)) t_fail_check(__FILE__, __LINE__, __VA_ARGS__);                                                    \
    } while (0)
#define CHECK_EQ_LONG(a, b)                                                                                            \
    do {                                                                                                               \
        long t_a_ = (long)(a), t_b_ = (long)(b);                                                                       \
        if (t_a_ != t_b_) t_fail_check(__FILE__, __LINE__, "%s == %s: %ld != %ld", #a, #b, t_a_, t_b_);               \
    } while (0)

#define TEST(name) static void name(void)
#define RUN(name) t_run(#name, name)

static void t_run(const char *name, void (*fn)(void))
{
    int before = t_checks_failed;
    if (!t_only) t_only = getenv("MPT_ONLY");
    if (t_only && *t_only && strcmp(t_only, name) != 0) return;
    t_current = name;
    fn();
    if (t_checks_failed == before) {
        t_passed++;
        printf("ok - %s\n", name);
    } else {
        t_failed++;
        printf("FAIL - %s\n", name);
    }
    fflush(stdout);
}

static int t_done(const char *suite)
{
    printf("# %s: %d passed, %d failed\n", suite, t_passed, t_failed);
    return t_failed ? 1 : 0;
}

#endif

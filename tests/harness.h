/* harness.h — a minimal test harness: checks count, a failing check prints
 * file:line and the values, and main() prints "N passed, N failed". */
#ifndef NT_TEST_HARNESS_H
#define NT_TEST_HARNESS_H

#include "noether.h"

#include <math.h>

#define NT_TEST_PI 3.14159265358979323846
#include <stdio.h>

extern int nt_test_passed, nt_test_failed;
extern const char *nt_test_current;

void nt_test_fail(const char *file, int line, const char *fmt, ...);
/* Runs one test function and reports it. */
void nt_test_run(const char *name, void (*fn)(void));
/* Prints the closing line and returns the process exit code. */
int nt_test_finish(void);
/* 1 when NT_TEST_QUICK is set (sanitizer builds): long tests shrink. */
int nt_test_quick(void);
/* Path to ../shared/data (NT_DATA_DIR overrides), or NULL if absent. */
const char *nt_test_data_dir(void);

/* Files: the whole file malloc'd and NUL-terminated (NULL if it cannot be read);
 * with its length in *n. */
char *nt_test_read_text(const char *path);
unsigned char *nt_test_read_bytes(const char *path, size_t *n);
/* Writes text to path; a failure fails the current test. */
void nt_test_write_text(const char *path, const char *text);
int nt_test_exists(const char *path);

/* Loads head followed by body as a problem file called `name` (relative paths
 * against "."): it must be refused, with a message that contains "name:pos:" and
 * msg. Failures are reported at file:line (the caller's). */
void nt_test_expect_problem_error(const char *file, int line, const char *name, const char *head, const char *body,
                                  const char *pos, const char *msg);

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (!(cond)) nt_test_fail(__FILE__, __LINE__, "check failed: %s", #cond); \
    } while (0)

/* |a - b| <= tol (absolute). */
#define CHECK_NEAR(a, b, tol)                                                   \
    do {                                                                        \
        double a_ = (double)(a), b_ = (double)(b), t_ = (double)(tol);          \
        if (!(fabs(a_ - b_) <= t_))                                             \
            nt_test_fail(__FILE__, __LINE__, "%s = %.17g vs %s = %.17g (|diff| %.3g > %.3g)", \
                         #a, a_, #b, b_, fabs(a_ - b_), t_);                    \
    } while (0)

/* |a - b| <= rtol·max(|a|,|b|) + atol. */
#define CHECK_CLOSE(a, b, rtol, atol)                                           \
    do {                                                                        \
        double a_ = (double)(a), b_ = (double)(b);                              \
        double m_ = fabs(a_) > fabs(b_) ? fabs(a_) : fabs(b_);                  \
        double t_ = (double)(rtol) * m_ + (double)(atol);                       \
        if (!(fabs(a_ - b_) <= t_))                                             \
            nt_test_fail(__FILE__, __LINE__, "%s = %.17g vs %s = %.17g (|diff| %.3g > %.3g)", \
                         #a, a_, #b, b_, fabs(a_ - b_), t_);                    \
    } while (0)

#define CHECK_OK(expr)                                                          \
    do {                                                                        \
        nt_status s_ = (expr);                                                  \
        if (s_ != NT_OK)                                                        \
            nt_test_fail(__FILE__, __LINE__, "%s returned %s: %s", #expr,       \
                         nt_status_str(s_), nt_error_msg());                    \
    } while (0)

#define RUN(fn) nt_test_run(#fn, fn)

#endif

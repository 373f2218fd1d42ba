/* harness.h — a minimal test harness: checks count, a failing check prints
 * file:line and the values, and main() prints "N passed, N failed". */
#ifndef NT_TEST_HARNESS_H
#define NT_TEST_HARNESS_H

#include "noether.h"

#include <math.h>
#include <sys/types.h>

#define NT_TEST_PI 3.14159265358979323846
#include <stdio.h>

/* internal types (src/pinn/problem.h, pinn.h, run.h) the helpers below take */
struct nt_problem;
struct nt_pinn;
struct nt_run_opts;

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
/* Writes text (or n bytes of data) to path; a failure fails the current test. */
void nt_test_write_text(const char *path, const char *text);
void nt_test_write_bytes(const char *path, const void *data, size_t n);
int nt_test_exists(const char *path);

/* Loads head followed by body as a problem file called `name` (relative paths
 * against "."): it must be refused, with a message that contains "name:pos:" and
 * msg. Failures are reported at file:line (the caller's). */
void nt_test_expect_problem_error(const char *file, int line, const char *name, const char *head, const char *body,
                                  const char *pos, const char *msg);

/* Loads head followed by body (body may be NULL) as a problem file called `name`
 * (relative paths against "."): it must load; a refusal fails the current test at
 * file:line (the caller's) with the message. Returns 0 when loaded (free it with
 * nt_problem_free), -1 otherwise. */
int nt_test_load_problem(const char *file, int line, struct nt_problem *p, const char *head, const char *body,
                         const char *name);

/* Lines in s ('\n' characters; 0 for NULL). */
int nt_test_count_lines(const char *s);

/* ---- a temporary folder for the test program ---------------------------------- */

/* Makes the folder /tmp/<prefix>_XXXXXX (once per program) and returns its path
 * (NULL, with a message on stderr, if it cannot be made). */
const char *nt_test_tmp_init(const char *prefix);
/* "<folder>/rel" in one of 8 rotating buffers (copy it to keep it). */
const char *nt_test_path(const char *rel);
/* At the end of main: removes the folder if no test failed, otherwise prints where
 * it is kept. */
void nt_test_tmp_cleanup(void);

/* ---- the noether command (NT_NOETHER, else build/noether) ---------------------- */

/* The path of the binary the CLI tests run. */
const char *nt_test_noether_bin(void);
/* Output (stdout and stderr merged) of the last nt_test_noether call: its first
 * 64 KiB, NUL-terminated. */
extern char nt_test_out[1 << 16];
/* Runs "<bin> ARGS 2>&1" (ARGS printf-style) and keeps the output in nt_test_out;
 * a sanitizer report in it fails the current test. Returns the exit status, or -1
 * if the process did not exit normally. */
int nt_test_noether(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Starts argv[0] with argv (NULL-terminated) in a child process, its stdout and
 * stderr going to the file log, and returns at once with the child's pid (-1 if
 * fork failed); the caller waits for it (waitpid). */
pid_t nt_test_spawn(char *const argv[], const char *log);

/* ---- training runs and PINN losses -------------------------------------------- */

/* Options for a test run: all zero but one thread, seed and dtype from the file
 * (-1) and plain progress lines. */
void nt_test_run_opts(struct nt_run_opts *o);
/* Trains the problem file yaml into the run folder dir (nt_test_run_opts); an exit
 * status other than 0 fails the current test at file:line. Returns
 * nt_test_summary_err(dir). */
double nt_test_train(const char *file, int line, const char *yaml, const char *dir);
/* Trains the problem file yaml into dir_a to the end; into dir_b stopped after
 * stop_after steps (exit status 130, as on Ctrl-C); then resumes dir_b to the end.
 * A wrong exit status fails the current test at file:line. Returns 1 when all three
 * runs exited as expected. */
int nt_test_train_resumed(const char *file, int line, const char *yaml, const char *dir_a, const char *dir_b,
                          int64_t stop_after);
/* The predictions.csv of run folders dir_a and dir_b are the same byte for byte
 * (and longer than 100 bytes); otherwise the current test fails at file:line.
 * Returns 1 when they are the same. */
int nt_test_same_predictions(const char *file, int line, const char *dir_a, const char *dir_b);
/* Both of the above in the temporary folder (nt_test_tmp_init): writes text to
 * <name>.yaml, trains it into <name>_A and, interrupted and resumed, into <name>_B,
 * and checks that the predictions are the same. */
void nt_test_resume_case(const char *file, int line, const char *name, const char *text, int64_t stop_after);
/* The relative L2 error of the first field in run folder dir's summary.json
 * ("rel_l2": {"u": E}); NaN if absent or not a number. */
double nt_test_summary_err(const char *dir);
/* A malloc'd copy of the PINN's parameter gradient (float64; as left by the last
 * nt_pinn_loss(m, 1)). */
double *nt_test_pinn_grad(const struct nt_pinn *m);
/* Trains the PINN in place: `adam` Adam steps with configuration ac, then up to
 * `lbfgs` L-BFGS iterations (default configuration; it stops when L-BFGS does). */
void nt_test_pinn_adam_lbfgs(struct nt_pinn *m, const nt_adam_config *ac, int adam, int lbfgs);
/* Central difference of the PINN loss (nt_pinn_loss(m, 0)) in parameter i of a
 * float64 model, step h: (L(θ_i + h) − L(θ_i − h)) / 2h; θ_i is restored. */
double nt_test_pinn_fd(struct nt_pinn *m, int64_t i, double h);

/* A small problem file body (after its name: line) for the training-method tests:
 * u_t + u_x = 0.02 u_xx on [0, 2] × [0, 1], u(0, x) = sin(πx), periodic in x, a
 * 6×2 network and the exact solution as reference (9 lines). */
#define NT_TEST_TRANSPORT_BODY                                                              \
    "domain: {x: [0, 2], t: [0, 1]}\n"                                                      \
    "fields: [u]\n"                                                                         \
    "pde: \"u_t + u_x - 0.02*u_xx\"\n"                                                      \
    "conditions:\n"                                                                         \
    "  - {where: initial, u: \"sin(pi*x)\", points: 24, weight: 3}\n"                       \
    "  - {periodic: x, points: 12}\n"                                                       \
    "model: {width: 6, depth: 2}\n"                                                         \
    "reference: {exact: {u: \"exp(-0.02*pi^2*t)*sin(pi*(x - t))\"}, grid: {x: 17, t: 9}}\n"

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

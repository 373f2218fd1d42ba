/* test_windows.c — time windows, sequence-to-sequence time marching
 * (src/pinn/windows.c, `train: {time_windows: K}`):
 *  - window k's residual, initial and periodic points lie in [t_k, t_{k+1}], the
 *    initial ones at t_k;
 *  - after a switch the initial term is mean (u − u_{k−1})² at t_k, recomputed here
 *    from the previous parameters' predictions (0 right at the switch, when the
 *    parameters have not moved); its gradient matches central differences;
 *  - predictions take each point from the network of its window;
 *  - causal slices and the causal R3 gate are normalized to the window;
 *  - YAML errors with file:line:column for the combinations it refuses;
 *  - a run interrupted inside a later window and resumed gives the same
 *    predictions as an uninterrupted one;
 *  - end to end: a transport problem trains window after window to a bounded error;
 *  - hard continuity (`continuity: hard`, u = G_k(x) + s·N): G_0 and its x-derivatives
 *    up to the 4th equal the initial condition's, the product with s has the right
 *    t- and mixed derivatives, u(x, t_k) equals the previous window's solution
 *    (1e-12), the gradient matches central differences, resume reproduces the run,
 *    the loader's and the initial condition's errors, and it trains. */
#include "harness.h"
#include "pinn/pinn.h"
#include "pinn/windows.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The harness's small transport problem (NT_TEST_TRANSPORT_BODY). */
#define W_HEAD                                                                              \
    "name: windows\n" NT_TEST_TRANSPORT_BODY

static int load(nt_problem *p, const char *train)
{
    return nt_test_load_problem(__FILE__, __LINE__, p, W_HEAD, train, "w.yaml");
}

/* Every residual point in [a, b]; the initial condition's points at t = a, the
 * periodic ones in [a, b]. */
static void check_points(const nt_pinn *m, double a, double b)
{
    const int D = 2;
    for (int64_t i = 0; i < m->n_res; i++) CHECK(m->x_res[i * D + 1] >= a - 1e-14 && m->x_res[i * D + 1] <= b + 1e-14);
    for (int64_t i = m->cond_off[0][0]; i < m->cond_off[0][1]; i++) CHECK(m->x_cond[i * D + 1] == a);
    for (int64_t i = m->cond_off[1][0]; i < m->cond_off[1][2]; i++)
        CHECK(m->x_cond[i * D + 1] >= a - 1e-14 && m->x_cond[i * D + 1] <= b + 1e-14);
}

static void test_mechanics(void)
{
    nt_problem p;
    if (load(&p, "train: {points: 80, time_windows: 4}\n")) return;
    nt_pinn m;
    CHECK_OK(nt_pinn_init(&m, &p));
    const int D = 2;
    CHECK(m.win == 0 && m.t_lo == 0 && m.t_hi == 0.25);
    check_points(&m, 0, 0.25);
    /* window 0: the plain initial condition */
    nt_pinn_loss(&m, 0);
    int64_t a = m.cond_off[0][0], n_ic = m.cond_off[0][1] - a;
    {
        double *u = malloc((size_t)n_ic * sizeof(double)), want = 0;
        CHECK_OK(nt_pinn_predict_net(&m, m.x_cond + a * D, n_ic, u));
        for (int64_t i = 0; i < n_ic; i++) {
            double d = u[i] - sin(3.14159265358979323846 * m.x_cond[(a + i) * D]);
            want += d * d;
        }
        CHECK_CLOSE(m.term[1], want / (double)n_ic, 1e-12, 1e-15);
        free(u);
    }
    /* some points across the whole interval, predicted before the switch */
    enum { NQ = 40 };
    double xq[NQ * 2], u0[NQ], u1[NQ], uq[NQ];
    for (int i = 0; i < NQ; i++) {
        xq[i * 2] = 2.0 * (i % 7) / 7.0;
        xq[i * 2 + 1] = (double)i / (NQ - 1);
    }
    CHECK_OK(nt_pinn_predict(&m, xq, NQ, u0));
    /* switch: window 1 starts from window 0's parameters */
    CHECK(nt_windows_next(&m, 1) == 1);
    CHECK(m.win == 1 && m.t_lo == 0.25 && m.t_hi == 0.5);
    check_points(&m, 0.25, 0.5);
    nt_pinn_loss(&m, 0);
    CHECK(m.term[1] == 0); /* the parameters have not moved: u = u_0 at t = 0.25 */
    /* the previous window's values at the new initial points */
    a = m.cond_off[0][0];
    double *uprev = malloc((size_t)n_ic * sizeof(double)), *unew = malloc((size_t)n_ic * sizeof(double));
    CHECK_OK(nt_pinn_predict_net(&m, m.x_cond + a * D, n_ic, uprev));
    /* move the parameters: the term is the mean square of the change at t = 0.25 */
    double *th = m.params.data;
    for (int64_t k = 0; k < m.params.n; k++) th[k] += 0.01 * sin(3.0 * (double)k);
    nt_pinn_loss(&m, 1);
    CHECK_OK(nt_pinn_predict_net(&m, m.x_cond + a * D, n_ic, unew));
    double want = 0;
    for (int64_t i = 0; i < n_ic; i++) want += (unew[i] - uprev[i]) * (unew[i] - uprev[i]);
    want /= (double)n_ic;
    CHECK(want > 1e-8);
    CHECK_CLOSE(m.term[1], want, 1e-10, 1e-16);
    /* gradient of the shifted loss */
    double *g = nt_test_pinn_grad(&m);
    for (int64_t k = 0; k < m.params.n; k += 7) {
        double fd = nt_test_pinn_fd(&m, k, 1e-6);
        CHECK_CLOSE(g[k], fd, 1e-5, 1e-8);
    }
    free(g);
    /* predictions: t < 0.25 from window 0's parameters, the rest from the current */
    CHECK_OK(nt_pinn_predict(&m, xq, NQ, uq));
    CHECK_OK(nt_pinn_predict_net(&m, xq, NQ, u1));
    for (int i = 0; i < NQ; i++) CHECK(uq[i] == (xq[i * 2 + 1] < 0.25 ? u0[i] : u1[i]));
    CHECK(memcmp(u0, u1, sizeof u0) != 0);
    /* the remaining windows; the last one ends at t = 1 */
    CHECK(nt_windows_next(&m, 1) == 1);
    CHECK(nt_windows_next(&m, 1) == 1);
    CHECK(m.win == 3 && m.t_lo == 0.75 && m.t_hi == 1);
    check_points(&m, 0.75, 1);
    CHECK(nt_windows_next(&m, 1) == 0);
    free(uprev);
    free(unew);
    nt_pinn_free(&m);
    nt_problem_free(&p);
}

/* Causal slices and the causal R3 gate live in the window. */
static void test_window_methods(void)
{
    nt_problem p;
    const int D = 2;
    if (!load(&p, "train: {points: 96, time_windows: 4, causal: {slices: 4}}\n")) {
        nt_pinn m;
        CHECK_OK(nt_pinn_init(&m, &p));
        CHECK(nt_windows_next(&m, 1) == 1);
        for (int s = 0; s < 4; s++)
            for (int64_t i = m.slice_off[s]; i < m.slice_off[s + 1]; i++) {
                double t = m.x_res[i * D + 1];
                CHECK(t >= 0.25 + s / 16.0 - 1e-12 && t <= 0.25 + (s + 1) / 16.0 + 1e-12);
            }
        CHECK(m.slice_off[0] == 0 && m.slice_off[4] == m.n_res);
        nt_pinn_free(&m);
        nt_problem_free(&p);
    }
    if (!load(&p, "train: {points: 64, time_windows: 2, adaptive: {method: causal_r3, gamma: 0.3}}\n")) {
        nt_pinn m;
        CHECK_OK(nt_pinn_init(&m, &p));
        m.gate = 0.9; /* as if it had moved during window 0: it restarts */
        CHECK(nt_windows_next(&m, 1) == 1);
        CHECK(m.gate == 0.3);
        for (int64_t i = 0; i < m.n_res; i++) {
            double th = (m.x_res[i * D + 1] - 0.5) / 0.5; /* normalized to [0.5, 1] */
            CHECK_CLOSE(m.caus_w[i], 0.5 * (1 - tanh(5 * (th - 0.3))), 1e-12, 1e-15);
        }
        nt_pinn_free(&m);
        nt_problem_free(&p);
    }
}

#define expect_error(line, body, pos, msg) nt_test_expect_problem_error(__FILE__, line, "w.yaml", W_HEAD, body, pos, msg)

static void test_yaml(void)
{
    expect_error(__LINE__, "train:\n  time_windows: 65\n", "11:17", "time_windows must be between 1 and 64");
    expect_error(__LINE__, "train:\n  time_windows: 4\n  time_marching: {windows: 2, steps: 5}\n", "11:17",
                 "cannot be combined with time_marching");
    expect_error(__LINE__, "train:\n  time_windows: 4\n  weighting: {method: rba}\n", "12:14",
                 "point weights (self_adaptive, rba) belong to fixed points");
    expect_error(__LINE__, "output: {u: \"sin(pi*x) + t*net_u\"}\ntrain:\n  time_windows: 4\n", "12:17",
                 "cannot be combined with output transforms");
    /* no initial condition; a condition at the end of time */
    nt_problem p;
    static const char *base = "domain: {x: [0, 2], t: [0, 1]}\nfields: [u]\npde: \"u_t + u_x\"\n";
    char text[1024];
    snprintf(text, sizeof text, "%sconditions: [{periodic: x}]\ntrain: {time_windows: 3}\n", base);
    nt_status st = nt_problem_load_string(&p, text, "s.yaml", ".");
    CHECK(st != NT_OK && strstr(nt_error_msg(), "s.yaml:5:") && strstr(nt_error_msg(), "time_windows needs an initial condition"));
    snprintf(text, sizeof text,
             "%sconditions:\n  - {where: initial, u: \"sin(pi*x)\"}\n  - {where: \"t == 1\", u: 0}\ntrain: {time_windows: 3}\n",
             base);
    st = nt_problem_load_string(&p, text, "s.yaml", ".");
    CHECK(st != NT_OK && strstr(nt_error_msg(), "s.yaml:6:") && strstr(nt_error_msg(), "a condition at the end of time"));
    /* a steady problem has no time to cut */
    st = nt_problem_load_string(&p,
        "domain: {x: [0, 1]}\nfields: [u]\npde: \"u_xx + 1\"\nconditions: [{where: boundary, u: 0}]\n"
        "train: {time_windows: 2}\n", "s.yaml", ".");
    CHECK(st != NT_OK && strstr(nt_error_msg(), "s.yaml:5:") && strstr(nt_error_msg(), "time_windows needs a time variable"));
    /* 1 is off */
    if (!load(&p, "train: {time_windows: 1}\n")) {
        CHECK(p.tw_windows == 0);
        nt_problem_free(&p);
    }
}

static void test_resume(void)
{
    char text[4096];
    /* stopped inside window 2's L-BFGS stage: the finished window's parameters, the
     * window's points and initial values come back from the checkpoint */
    snprintf(text, sizeof text, "%s%s", W_HEAD,
             "train:\n  seed: 3\n  points: 64\n  log_every: 5\n  checkpoint_every: 4\n  time_windows: 3\n"
             "  adaptive: {method: r3, every: 4}\n"
             "  stages: [{optimizer: adam, lr: 3e-3, steps: 10}, {optimizer: lbfgs, steps: 6}]\n");
    nt_test_resume_case(__FILE__, __LINE__, "tw", text, 21);
    char *h = nt_test_read_text(nt_test_path("tw_A/history.csv"));
    CHECK(h && strstr(h, ",window,time_s"));
    free(h);
}

/* End to end: the transport problem, 4 windows of Adam then L-BFGS; `ic` ends the
 * initial condition's mapping, `windows` is the time_windows value. */
static void train_transport(const char *name, const char *ic, const char *windows)
{
    char yaml[512], d[512], text[4096];
    int adam = nt_test_quick() ? 150 : 400, lbfgs = nt_test_quick() ? 100 : 300;
    snprintf(yaml, sizeof yaml, "%s.yaml", nt_test_path(name));
    snprintf(d, sizeof d, "%s", nt_test_path(name));
    snprintf(text, sizeof text,
             "name: %s\ndomain: {x: [0, 2], t: [0, 1]}\nfields: [u]\npde: \"u_t + u_x - 0.02*u_xx\"\n"
             "conditions:\n  - {where: initial, u: \"sin(pi*x)\", points: 64%s}\n"
             "model: {width: 20, depth: 3, periodic: {x: {period: 2}}}\n"
             "reference: {exact: {u: \"exp(-0.02*pi^2*t)*sin(pi*(x - t))\"}, grid: {x: 33, t: 17}}\n"
             "train:\n  seed: 1\n  dtype: float64\n  points: 256\n  resample_every: 50\n  log_every: 100\n"
             "  eval_every: 0\n  time_windows: %s\n"
             "  stages: [{optimizer: adam, lr: 2e-3, steps: %d}, {optimizer: lbfgs, steps: %d}]\n",
             name, ic, windows, adam, lbfgs);
    nt_test_write_text(yaml, text);
    double err = nt_test_train(__FILE__, __LINE__, yaml, d);
    printf("    time_windows %s, 4 windows × (%d Adam + %d L-BFGS): rel L2 %.3e\n", windows, adam, lbfgs, err);
    CHECK(err < (nt_test_quick() ? 5e-2 : 1e-2));
}

static void test_trains(void) { train_transport("tw_train", ", weight: 10", "4"); }

/* ------------------------------------------------------------------------------ */
/* Hard continuity                                                                  */

#define H_HEAD                                                                              \
    "name: hard\n"                                                                          \
    "domain: {x: [0, 2], t: [0, 1]}\n"                                                      \
    "fields: [u]\n"                                                                         \
    "pde: \"u_t + u_x - 0.02*u_xx\"\n"                                                      \
    "conditions:\n"                                                                         \
    "  - {where: initial, u: \"sin(pi*x) + 0.3*cos(2*pi*x) + 0.1\", points: 24, weight: 3}\n" \
    "model: {width: 6, depth: 2, periodic: {x: {period: 2}}}\n"                              \
    "reference: {exact: {u: \"exp(-0.02*pi^2*t)*sin(pi*(x - t))\"}, grid: {x: 17, t: 9}}\n"

static int load_hard(nt_problem *p, const char *train)
{
    return nt_test_load_problem(__FILE__, __LINE__, p, H_HEAD, train, "h.yaml");
}

/* d^r/dx^r of sin(πx) + 0.3 cos(2πx) + 0.1 */
static double g0_deriv(double x, int r)
{
    const double pi = 3.14159265358979323846;
    double a = pow(pi, r) * sin(pi * x + r * pi / 2), b = 0.3 * pow(2 * pi, r) * cos(2 * pi * x + r * pi / 2);
    return a + b + (r == 0 ? 0.1 : 0);
}

static void test_hard_mechanics(void)
{
    nt_problem p;
    if (load_hard(&p, "train: {points: 64, time_windows: {count: 4, continuity: hard, modes: 128}}\n")) return;
    CHECK(p.tw_windows == 4 && p.tw_hard == 1 && p.tw_modes == 128 && p.tw_space_var == 0);
    nt_pinn m;
    CHECK_OK(nt_pinn_init(&m, &p));
    CHECK(m.win_g != NULL);
    /* the transform on a known "network" N(x, t) = x: u = G_0(x) + (t/0.25)·x */
    nt_jet_spec s;
    nt_jet_spec_init(&s, 2);
    static const char *streams[] = {"", "x", "xx", "xxx", "xxxx", "t", "xt"};
    int idx[7];
    for (int k = 0; k < 7; k++) CHECK((idx[k] = nt_jet_spec_add_named(&s, "xt", streams[k])) >= 0);
    CHECK_OK(nt_jet_spec_build(&s));
    enum { NP = 9 };
    double x[NP * 2];
    for (int i = 0; i < NP; i++) {
        x[2 * i] = 2.0 * (0.05 + 0.9 * i / (NP - 1.0)) + 0.013 * i;
        x[2 * i + 1] = 0.25 * (i + 0.5) / NP;
    }
    nt_tape_reset(&m.tape);
    nt_tensor *xj = nt_jet_input(&m.tape, &s, nt_tensor_from_f64(&m.tape, NT_F64, NP, 2, x));
    nt_tensor *net = nt_slice2(&m.tape, xj, 0, (int64_t)s.n_streams * NP, 0, 1);
    nt_tensor *y = nt_windows_hard_apply(&m, &s, xj, net, NP);
    CHECK(y != NULL);
    double worst = 0;
    for (int i = 0; i < NP && y; i++) {
        double xi = x[2 * i], sv = x[2 * i + 1] / 0.25;
        double want[7] = {g0_deriv(xi, 0) + sv * xi, g0_deriv(xi, 1) + sv, g0_deriv(xi, 2), g0_deriv(xi, 3),
                          g0_deriv(xi, 4), xi / 0.25, 1 / 0.25};
        for (int k = 0; k < 7; k++) {
            double got = nt_tensor_get(y, (int64_t)idx[k] * NP + i);
            worst = fmax(worst, fabs(got - want[k]) / (1 + fabs(want[k])));
        }
    }
    printf("    G_0 and s·N, derivatives up to u_xxxx: worst relative deviation %.2e\n", worst);
    CHECK(worst < 1e-10);
    nt_jet_spec_free(&s);
    /* u(x, 0) is the initial condition whatever the parameters */
    double *th = m.params.data;
    for (int64_t k = 0; k < m.params.n; k++) th[k] += 0.05 * cos(1.7 * (double)k);
    enum { NQ = 12 };
    double xq[NQ * 2], uq[NQ], uprev[NQ], unext[NQ];
    for (int i = 0; i < NQ; i++) {
        xq[2 * i] = 2.0 * i / NQ + 0.031;
        xq[2 * i + 1] = 0;
    }
    CHECK_OK(nt_pinn_predict(&m, xq, NQ, uq));
    for (int i = 0; i < NQ; i++) CHECK_CLOSE(uq[i], g0_deriv(xq[2 * i], 0), 1e-13, 1e-13);
    /* window 1 starts exactly where window 0 ends, with the parameters moved */
    for (int i = 0; i < NQ; i++) xq[2 * i + 1] = 0.25;
    CHECK_OK(nt_pinn_predict(&m, xq, NQ, uprev));
    CHECK(nt_windows_next(&m, 1) == 1);
    nt_pinn_loss(&m, 0);
    CHECK(m.term[1] < 1e-24); /* the initial term: G_1 − u_0(·, 0.25) at the condition points */
    for (int64_t k = 0; k < m.params.n; k++) th[k] += 0.02 * sin(2.3 * (double)k);
    CHECK_OK(nt_pinn_predict(&m, xq, NQ, unext));
    worst = 0;
    for (int i = 0; i < NQ; i++) worst = fmax(worst, fabs(unext[i] - uprev[i]));
    printf("    continuity at t = 0.25 after moving the parameters: %.2e\n", worst);
    CHECK(worst < 1e-12);
    nt_pinn_loss(&m, 0);
    CHECK(m.term[1] < 1e-24);
    /* inside the window the parameters matter */
    for (int i = 0; i < NQ; i++) xq[2 * i + 1] = 0.4;
    CHECK_OK(nt_pinn_predict(&m, xq, NQ, unext));
    for (int64_t k = 0; k < m.params.n; k++) th[k] -= 0.02 * sin(2.3 * (double)k);
    CHECK_OK(nt_pinn_predict(&m, xq, NQ, uprev));
    worst = 0;
    for (int i = 0; i < NQ; i++) worst = fmax(worst, fabs(unext[i] - uprev[i]));
    CHECK(worst > 1e-4);
    /* the gradient of the loss (PDE through the transform) */
    nt_pinn_loss(&m, 1);
    double *g = nt_test_pinn_grad(&m);
    for (int64_t k = 0; k < m.params.n; k += 3) {
        double fd = nt_test_pinn_fd(&m, k, 1e-6);
        CHECK_CLOSE(g[k], fd, 1e-5, 1e-8);
    }
    free(g);
    nt_pinn_free(&m);
    nt_problem_free(&p);
}

#define expect_hard_error(line, body, pos, msg) nt_test_expect_problem_error(__FILE__, line, "h.yaml", H_HEAD, body, pos, msg)

/* The problem text (s.yaml) loads, but nt_pinn_init refuses it with msg. */
static void expect_init_error(int line, const char *text, const char *msg)
{
    nt_problem p;
    nt_status st = nt_problem_load_string(&p, text, "s.yaml", ".");
    if (st) {
        nt_test_fail(__FILE__, line, "the problem does not load: %s", nt_error_msg());
        return;
    }
    nt_pinn m;
    st = nt_pinn_init(&m, &p);
    if (st == NT_OK || !strstr(nt_error_msg(), msg))
        nt_test_fail(__FILE__, line, "expected the error '%s', got '%s'", msg, st ? nt_error_msg() : "no error");
    else
        printf("    %s\n", nt_error_msg());
    if (!st) nt_pinn_free(&m);
    nt_problem_free(&p);
}

static void test_hard_errors(void)
{
    expect_error(__LINE__, "train:\n  time_windows: {count: 4, continuity: hard}\n", "11:40",
                 "continuity: hard needs the exact periodic embedding of x");
    expect_hard_error(__LINE__, "train:\n  time_windows: {count: 4, continuity: firm}\n", "10:40",
                      "continuity must be soft or hard");
    expect_hard_error(__LINE__, "train:\n  time_windows: {count: 4, continuity: hard, modes: 17}\n", "10:53",
                      "modes must be even");
    expect_hard_error(__LINE__, "train:\n  time_windows: {count: 4, modes: 16}\n", "10:35",
                      "modes belongs to continuity: hard");
    expect_hard_error(__LINE__, "train:\n  time_windows: {continuity: hard}\n", "10:17", "time_windows needs 'count'");
    expect_hard_error(__LINE__, "train:\n  time_windows: {count: 1, continuity: hard}\n", "10:40",
                      "continuity: hard needs at least 2 windows");
    expect_hard_error(__LINE__, "train:\n  time_windows: {count: 4, windows: 2}\n", "10:28", "windows");
    /* an initial condition on u_t (a second-order equation) cannot be built in */
    expect_init_error(__LINE__,
        "domain: {x: [0, 2], t: [0, 1]}\nfields: [u]\npde: \"u_tt - u_xx\"\n"
        "conditions:\n  - {where: initial, u: \"sin(pi*x)\"}\n  - {where: initial, u_t: 0}\n"
        "model: {width: 4, depth: 2, periodic: {x: {period: 2}}}\n"
        "train: {points: 16, time_windows: {count: 2, continuity: hard}}\n",
        "s.yaml:6:5: continuity: hard needs each initial condition to set one field's value");
    /* a declared parity that the initial condition breaks */
    expect_init_error(__LINE__,
        "domain: {x: [-1, 1], t: [0, 1]}\nfields: [u]\npde: \"u_t + u*u_x - 0.1*u_xx\"\n"
        "conditions:\n  - {where: initial, u: \"-sin(pi*x) + 0.01*cos(pi*x)\"}\n"
        "model: {width: 4, depth: 2, periodic: {x: {period: 2, parity: odd}}}\n"
        "train: {points: 16, time_windows: {count: 2, continuity: hard}}\n",
        "s.yaml:5:5: the initial value of u is not odd in x about the interval's centre, as the model's "
        "`parity: odd` requires");
}

static void test_hard_resume(void)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", H_HEAD,
             "train:\n  seed: 3\n  points: 64\n  log_every: 5\n  checkpoint_every: 4\n"
             "  time_windows: {count: 3, continuity: hard, modes: 64}\n"
             "  adaptive: {method: rad, every: 4}\n"
             "  stages: [{optimizer: adam, lr: 3e-3, steps: 10}, {optimizer: ssbroyden, steps: 6, resample_every: 3}]\n");
    nt_test_resume_case(__FILE__, __LINE__, "twh", text, 21);
}

/* End to end: the transport problem of test_trains with hard continuity. */
static void test_hard_trains(void) { train_transport("twh_train", "", "{count: 4, continuity: hard}"); }

/* End to end: viscous Burgers, u(x, 0) = −sin(πx), keeps odd symmetry; with an odd
 * network (`parity: odd`) and two hard windows it trains to the Cole–Hopf solution. */
static void test_parity_trains(void)
{
    char yaml[512], d[512], text[4096];
    int adam = nt_test_quick() ? 150 : 300, lbfgs = nt_test_quick() ? 100 : 300;
    snprintf(yaml, sizeof yaml, "%s.yaml", nt_test_path("par_train"));
    snprintf(d, sizeof d, "%s", nt_test_path("par_train"));
    snprintf(text, sizeof text,
             "name: par\ndomain: {x: [-1, 1], t: [0, 0.5]}\nfields: [u]\nconstants: {nu: 0.1/pi}\n"
             "pde: \"u_t + u*u_x - nu*u_xx\"\n"
             "conditions:\n  - {where: initial, u: \"-sin(pi*x)\", points: 64}\n"
             "model: {width: 20, depth: 3, periodic: {x: {period: 2, parity: odd}}}\n"
             "reference: {solver: cole_hopf, grid: {x: 65, t: 11}}\n"
             "train:\n  seed: 1\n  dtype: float64\n  points: 512\n  resample_every: 50\n  log_every: 100\n"
             "  eval_every: 0\n  time_windows: {count: 2, continuity: hard, modes: 64}\n"
             "  stages: [{optimizer: adam, lr: 2e-3, steps: %d}, {optimizer: lbfgs, steps: %d}]\n",
             adam, lbfgs);
    nt_test_write_text(yaml, text);
    double err = nt_test_train(__FILE__, __LINE__, yaml, d);
    printf("    Burgers nu = 0.1/pi, t <= 0.5, odd network, 2 hard windows x (%d Adam + %d L-BFGS): rel L2 %.3e\n", adam,
           lbfgs, err);
    CHECK(err < (nt_test_quick() ? 5e-3 : 1e-3));
}

int main(void)
{
    if (!nt_test_tmp_init("nt_windows")) return 1;
    RUN(test_mechanics);
    RUN(test_window_methods);
    RUN(test_yaml);
    RUN(test_resume);
    RUN(test_trains);
    RUN(test_hard_mechanics);
    RUN(test_hard_errors);
    RUN(test_hard_resume);
    RUN(test_hard_trains);
    RUN(test_parity_trains);
    nt_test_tmp_cleanup();
    return nt_test_finish();
}

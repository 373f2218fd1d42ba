/* test_methods.c — the PINN training methods of issue #5 that act on the loss and
 * the points (src/pinn/pinn.c, run.c): causal weighting, loss balancing (gradnorm,
 * NTK), point weights (self-adaptive, rba), adaptive sampling (rad, r3, rar) and
 * time marching.
 *
 *  - causal: the residual points are sorted by time into M slices; the weights are
 *    exp(−ε Σ_{j<i} L_j) of the slice losses, recomputed here independently; the loss
 *    is (1/M) Σ w_i L_i + the conditions; chunked and unchunked evaluations agree;
 *    with the weights frozen the gradient matches central differences;
 *  - per-term gradients add up to the full gradient (weights included);
 *  - the NTK probe of a single point is exactly |∇r|²;
 *  - gradnorm with α = 0 makes every weighted term's gradient norm equal;
 *  - r3 keeps exactly the points above the mean residual; rad draws its points from
 *    the candidates, concentrated where the residual is large; rar adds the
 *    largest-residual candidates;
 *  - time marching confines the residual points to the window;
 *  - rba and self-adaptive weights grow most where the residual is largest;
 *  - YAML errors with file:line:column;
 *  - a run with causal + gradnorm + rar (and one with self_adaptive), interrupted
 *    and resumed, gives the same predictions as an uninterrupted one;
 *  - end to end: causal weighting trains a transport problem to a bounded error. */
#include "harness.h"
#include "pinn/pinn.h"
#include "pinn/run.h"
#include "io/ckpt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NT_TEST_PI 3.14159265358979323846

/* The harness's small transport problem (NT_TEST_TRANSPORT_BODY). */
#define K_HEAD                                                                              \
    "name: methods\n" NT_TEST_TRANSPORT_BODY

static int load(nt_problem *p, const char *train)
{
    return nt_test_load_problem(__FILE__, __LINE__, p, K_HEAD, train, "m.yaml");
}

static double norm(const double *g, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += g[i] * g[i];
    return sqrt(s);
}

/* ------------------------------------------------------------------------------ */
/* Causal weighting                                                                 */

static void test_causal_weights(void)
{
    nt_problem p;
    if (load(&p, "train: {points: 96, chunk: 1000, causal: {slices: 8, epsilon: [0.5, 5], tol: 0.9}}\n")) return;
    nt_pinn m;
    CHECK_OK(nt_pinn_init(&m, &p));
    const int M = 8, D = 2;
    /* sorted by t, slices in their time intervals */
    for (int64_t i = 1; i < m.n_res; i++) CHECK(m.x_res[i * D + 1] >= m.x_res[(i - 1) * D + 1]);
    CHECK(m.slice_off[0] == 0 && m.slice_off[M] == m.n_res);
    for (int s = 0; s < M; s++)
        for (int64_t i = m.slice_off[s]; i < m.slice_off[s + 1]; i++) {
            double t = m.x_res[i * D + 1];
            CHECK(t >= s / 8.0 - 1e-12 && t <= (s + 1) / 8.0 + 1e-12);
        }
    double loss = nt_pinn_loss(&m, 1);
    /* independent recomputation: slice losses from the residuals, weights, loss */
    double *r2 = malloc((size_t)m.n_res * sizeof(double));
    nt_pinn_residuals(&m, m.x_res, m.n_res, r2);
    double cum = 0, want = 0, eps = 0.5;
    for (int s = 0; s < M; s++) {
        double L = 0;
        int64_t a = m.slice_off[s], b = m.slice_off[s + 1];
        for (int64_t i = a; i < b; i++) L += r2[i];
        L /= (double)(b - a);
        CHECK_CLOSE(m.slice_loss[s], L, 1e-12, 1e-15);
        double w = exp(-eps * cum);
        want += w * L / M;
        cum += L;
        if (s == M - 1) CHECK_CLOSE(m.causal_wmin, w, 1e-12, 0);
    }
    CHECK(m.causal_wmin < 1 && m.causal_wmin > 0);
    want += 3 * m.term[1] + m.term[2];
    CHECK_CLOSE(loss, want, 1e-12, 1e-15);
    /* the displayed PDE term stays the plain mean square */
    double plain = 0;
    for (int64_t i = 0; i < m.n_res; i++) plain += r2[i];
    CHECK_CLOSE(m.term[0], plain / (double)m.n_res, 1e-12, 0);

    /* chunked evaluation (pre-pass for the weights) gives the same loss and gradient */
    double *g1 = nt_test_pinn_grad(&m);
    nt_problem p2;
    if (!load(&p2, "train: {points: 96, chunk: 20, causal: {slices: 8, epsilon: [0.5, 5], tol: 0.9}}\n")) {
        nt_pinn m2;
        CHECK_OK(nt_pinn_init(&m2, &p2));
        double l2 = nt_pinn_loss(&m2, 1);
        CHECK_CLOSE(l2, loss, 1e-12, 0);
        double *g2 = nt_test_pinn_grad(&m2);
        for (int64_t i = 0; i < m.params.n; i++) CHECK_CLOSE(g2[i], g1[i], 1e-10, 1e-14);
        free(g2);
        nt_pinn_free(&m2);
        nt_problem_free(&p2);
    }
    /* with the weights frozen, the gradient is the loss's (weights carry no gradient) */
    m.causal_frozen = 1;
    nt_pinn_loss(&m, 1);
    double *g = nt_test_pinn_grad(&m), *x = m.params.data, worst = 0;
    for (int64_t i = 0; i < m.params.n; i++) {
        double fd = nt_test_pinn_fd(&m, i, 1e-6 * (1 + fabs(x[i])));
        CHECK_CLOSE(g[i], fd, 1e-5, 1e-8);
        worst = fmax(worst, fabs(g[i] - fd));
    }
    printf("    causal: w_min %.3f, frozen-weight gradient vs fd max %.1e\n", m.causal_wmin, worst);
    /* released (L-BFGS stages): the plain loss, uniform over the slices */
    m.causal_frozen = 0;
    nt_pinn_causal_release(&m);
    double lr = nt_pinn_loss(&m, 0);
    CHECK_CLOSE(lr, m.term[0] + 3 * m.term[1] + m.term[2], 1e-12, 0);
    /* the schedule moves on only when the last slice's weight passes tol */
    m.causal_frozen = 0;
    m.causal_wmin = 0.5;
    CHECK(nt_pinn_causal_advance(&m) == 0 && m.causal_idx == 0);
    m.causal_wmin = 0.95;
    CHECK(nt_pinn_causal_advance(&m) == 1 && m.causal_idx == 1);
    CHECK(nt_pinn_causal_advance(&m) == 0 && m.causal_idx == 1); /* last ε */
    free(g);
    free(g1);
    free(r2);
    nt_pinn_free(&m);
    nt_problem_free(&p);
}

/* ------------------------------------------------------------------------------ */
/* Per-term gradients, NTK probes, gradnorm                                         */

static void test_term_grads(void)
{
    nt_problem p;
    if (load(&p, "train: {points: 40, chunk: 16}\n")) return;
    nt_pinn m;
    CHECK_OK(nt_pinn_init(&m, &p));
    int64_t n = m.params.n;
    nt_pinn_loss(&m, 1);
    double *full = nt_test_pinn_grad(&m), *sum = calloc((size_t)n, sizeof(double)), *gk = malloc((size_t)n * sizeof(double));
    CHECK(m.n_terms == 3);
    for (int k = 0; k < m.n_terms; k++) {
        double term = m.term[k], v = nt_pinn_term_grad(&m, k, gk);
        CHECK_CLOSE(v, term, 1e-12, 0);
        for (int64_t i = 0; i < n; i++) sum[i] += m.term_weight[k] * gk[i];
    }
    for (int64_t i = 0; i < n; i++) CHECK_CLOSE(sum[i], full[i], 1e-10, 1e-14);
    CHECK(m.mask == ~0u);
    free(full);
    free(sum);
    free(gk);
    nt_pinn_free(&m);
    nt_problem_free(&p);

    /* one residual point: the probe gives |∇r|² exactly; ∇(r²) = 2 r ∇r */
    if (load(&p, "train: {points: 1}\n")) return;
    CHECK_OK(nt_pinn_init(&m, &p));
    gk = malloc((size_t)m.params.n * sizeof(double));
    double r2 = nt_pinn_term_grad(&m, 0, gk);
    double ntk = nt_pinn_term_ntk(&m, 0, 3), g = norm(gk, m.params.n);
    CHECK_CLOSE(ntk, g * g / (4 * r2), 1e-10, 0);
    /* many points: the probe estimate is near the exact mean of |∇r_i|² */
    printf("    ntk (1 point): %.6e = |grad r|^2 %.6e\n", ntk, g * g / (4 * r2));
    free(gk);
    nt_pinn_free(&m);
    nt_problem_free(&p);
}

static void test_gradnorm(void)
{
    nt_problem p;
    if (load(&p, "train: {points: 40, weighting: {method: gradnorm, alpha: 0}}\n")) return;
    nt_pinn m;
    CHECK_OK(nt_pinn_init(&m, &p));
    CHECK(m.term_base[1] == 3 && m.term_weight[1] == 3);
    nt_pinn_update_weights(&m);
    double *gk = malloc((size_t)m.params.n * sizeof(double)), first = NAN;
    for (int k = 0; k < m.n_terms; k++) {
        nt_pinn_term_grad(&m, k, gk);
        /* λ_k |∇L_k| is the same for every term (α = 0: λ is the new weight) */
        double v = m.term_weight[k] * norm(gk, m.params.n);
        if (k == 0) first = v;
        else CHECK_CLOSE(v, first, 1e-10, 0);
    }
    free(gk);
    nt_pinn_free(&m);
    nt_problem_free(&p);
    /* ntk: the weights are Σ tr / tr_k, positive and finite */
    if (load(&p, "train: {points: 40, weighting: {method: ntk, alpha: 0, probes: 2}}\n")) return;
    CHECK_OK(nt_pinn_init(&m, &p));
    nt_pinn_update_weights(&m);
    double inv = 0;
    for (int k = 0; k < m.n_terms; k++) {
        CHECK(m.term_weight[k] > 0 && isfinite(m.term_weight[k]));
        inv += 1 / m.term_weight[k]; /* Σ tr_k / Σ tr = 1 */
    }
    CHECK_CLOSE(inv, 1, 1e-12, 0);
    nt_pinn_free(&m);
    nt_problem_free(&p);
}

/* ------------------------------------------------------------------------------ */
/* Adaptive sampling, time marching, point weights                                  */

static void test_adaptive(void)
{
    nt_problem p;
    const int D = 2;
    /* r3 */
    if (load(&p, "train: {points: 200, adaptive: {method: r3, every: 10}}\n")) return;
    nt_pinn m;
    CHECK_OK(nt_pinn_init(&m, &p));
    double *r2 = malloc(200 * sizeof(double)), *old = malloc(200 * D * sizeof(double));
    nt_pinn_residuals(&m, m.x_res, 200, r2);
    memcpy(old, m.x_res, 200 * D * sizeof(double));
    double mean = 0;
    int64_t above = 0;
    for (int i = 0; i < 200; i++) mean += r2[i] / 200;
    for (int i = 0; i < 200; i++) above += r2[i] > mean;
    CHECK_OK(nt_pinn_adapt(&m));
    CHECK(m.n_res == 200 && m.adapt_kept == above && above > 0 && above < 200);
    int64_t j = 0;
    for (int i = 0; i < 200; i++)
        if (r2[i] > mean) {
            CHECK(m.x_res[j * D] == old[i * D] && m.x_res[j * D + 1] == old[i * D + 1]);
            j++;
        }
    for (int i = 0; i < 200 * D; i++) CHECK(m.x_res[i] >= 0 && m.x_res[i] <= 2);
    printf("    r3: kept %lld of 200\n", (long long)above);
    nt_pinn_free(&m);
    nt_problem_free(&p);

    /* causal_r3: gate weights, the loss they weight, the gate's step, retention by g·|r| */
    if (load(&p, "train: {points: 200, adaptive: {method: causal_r3, every: 10, alpha: 4, gamma: 0.2, eta: 0.01}}\n"))
        return;
    CHECK_OK(nt_pinn_init(&m, &p));
    double *g = malloc(200 * sizeof(double));
    for (int i = 0; i < 200; i++) {
        g[i] = 0.5 * (1 - tanh(4 * (m.x_res[i * D + 1] - 0.2)));
        CHECK_CLOSE(m.caus_w[i], g[i], 1e-15, 0);
        CHECK_CLOSE(m.pt_w[i], g[i], 1e-15, 0);
    }
    nt_pinn_residuals(&m, m.x_res, 200, r2);
    double lg = 0, lpde = 0;
    for (int i = 0; i < 200; i++) {
        lg += g[i] * sqrt(r2[i]) / 200;
        lpde += g[i] * r2[i] / 200;
    }
    m.mask = 1; /* the PDE term alone: (1/n) Σ g r² */
    CHECK_CLOSE(nt_pinn_loss(&m, 0), lpde, 1e-12, 1e-15);
    m.mask = ~0u;
    nt_pinn_update_point_weights(&m); /* from the residuals of that loss */
    CHECK_CLOSE(m.gate, 0.2 + 0.01 * exp(-20 * lg), 1e-14, 0);
    for (int i = 0; i < 200; i++) g[i] = 0.5 * (1 - tanh(4 * (m.x_res[i * D + 1] - m.gate)));
    CHECK_CLOSE(m.caus_w[7], g[7], 1e-15, 0);
    memcpy(old, m.x_res, 200 * D * sizeof(double));
    mean = 0;
    above = 0;
    for (int i = 0; i < 200; i++) mean += g[i] * sqrt(r2[i]) / 200;
    for (int i = 0; i < 200; i++) above += g[i] * sqrt(r2[i]) > mean;
    CHECK_OK(nt_pinn_adapt(&m));
    CHECK(m.adapt_kept == above && above > 0 && above < 200);
    j = 0;
    for (int i = 0; i < 200; i++)
        if (g[i] * sqrt(r2[i]) > mean) {
            CHECK(m.x_res[j * D] == old[i * D] && m.x_res[j * D + 1] == old[i * D + 1]);
            j++;
        }
    /* the new points carry their gate weights */
    CHECK_CLOSE(m.caus_w[199], 0.5 * (1 - tanh(4 * (m.x_res[199 * D + 1] - m.gate))), 1e-15, 0);
    /* released for L-BFGS: uniform, and the gate stays */
    double gate = m.gate;
    nt_pinn_causal_release(&m);
    nt_pinn_update_point_weights(&m);
    CHECK(m.gate == gate && m.caus_w[0] == 1 && m.pt_w[199] == 1);
    nt_pinn_resample(&m);
    CHECK(m.caus_w[5] == 1);
    printf("    causal_r3: kept %lld of 200, gate 0.2 -> %.5f\n", (long long)above, m.gate);
    free(g);
    nt_pinn_free(&m);
    nt_problem_free(&p);

    /* rad: points are candidates, drawn toward large residuals */
    if (load(&p, "train: {points: 200, adaptive: {method: rad, candidates: 1000, k: 2, c: 0}}\n")) return;
    CHECK_OK(nt_pinn_init(&m, &p));
    CHECK_OK(nt_pinn_adapt(&m));
    double *cr = malloc(1000 * sizeof(double));
    nt_pinn_residuals(&m, m.cand, 1000, cr);
    double cmean = 0, pmean = 0;
    for (int i = 0; i < 1000; i++) cmean += cr[i] / 1000;
    nt_pinn_residuals(&m, m.x_res, 200, r2);
    for (int i = 0; i < 200; i++) {
        pmean += r2[i] / 200;
        int found = 0;
        for (int c = 0; c < 1000 && !found; c++)
            found = m.cand[c * D] == m.x_res[i * D] && m.cand[c * D + 1] == m.x_res[i * D + 1];
        if (!found) {
            nt_test_fail(__FILE__, __LINE__, "rad point %d is not a candidate", i);
            break;
        }
    }
    CHECK(pmean > 1.5 * cmean);
    printf("    rad: mean r^2 of the points %.3e vs candidates %.3e\n", pmean, cmean);
    nt_pinn_free(&m);
    nt_problem_free(&p);

    /* rar: adds the top candidates */
    if (load(&p, "train: {points: 100, adaptive: {method: rar, candidates: 400, add: 10, max_points: 125}}\n")) return;
    CHECK_OK(nt_pinn_init(&m, &p));
    CHECK(m.n_res_cap == 125);
    CHECK_OK(nt_pinn_adapt(&m));
    CHECK(m.n_res == 110);
    nt_pinn_residuals(&m, m.cand, 400, cr);
    double lo_added = INFINITY;
    double *ar = malloc(125 * sizeof(double));
    nt_pinn_residuals(&m, m.x_res + 100 * D, 10, ar);
    for (int i = 0; i < 10; i++) lo_added = fmin(lo_added, ar[i]);
    int above_added = 0;
    for (int c = 0; c < 400; c++) above_added += cr[c] > lo_added * (1 + 1e-12);
    CHECK(above_added <= 9); /* only the other added points are larger */
    CHECK_OK(nt_pinn_adapt(&m));
    CHECK_OK(nt_pinn_adapt(&m));
    CHECK(m.n_res == 125); /* capped */
    free(ar);
    free(cr);
    nt_pinn_free(&m);
    nt_problem_free(&p);

    /* time marching */
    if (load(&p, "train: {points: 100, time_marching: {windows: 4, steps: 10}}\n")) return;
    CHECK_OK(nt_pinn_init(&m, &p));
    CHECK_CLOSE(m.t_hi, 0.25, 1e-15, 0);
    for (int i = 0; i < 100; i++) CHECK(m.x_res[i * D + 1] <= 0.25);
    CHECK(nt_pinn_march(&m, 5) == 0);
    CHECK(nt_pinn_march(&m, 10) == 1 && fabs(m.t_hi - 0.5) < 1e-15);
    double tmax = 0;
    for (int i = 0; i < 100; i++) tmax = fmax(tmax, m.x_res[i * D + 1]);
    CHECK(tmax <= 0.5 && tmax > 0.25);
    CHECK(nt_pinn_march(&m, 1000) == 1 && m.t_hi == 1);
    nt_pinn_free(&m);
    nt_problem_free(&p);
    free(r2);
    free(old);
}

static void test_point_weights(void)
{
    static const char *cfg[] = {"train: {points: 64, weighting: {method: rba, gamma: 0.9, eta: 0.1}}\n",
                                "train: {points: 64, weighting: {method: self_adaptive, lr: 0.01}}\n"};
    for (int c = 0; c < 2; c++) {
        nt_problem p;
        if (load(&p, cfg[c])) return;
        nt_pinn m;
        CHECK_OK(nt_pinn_init(&m, &p));
        double l0 = nt_pinn_loss(&m, 1);
        CHECK(m.pt_w && m.lam);
        nt_pinn_update_point_weights(&m);
        int64_t imax = 0, imin = 0;
        for (int64_t i = 0; i < m.n_res; i++) {
            if (m.res_sq[i] > m.res_sq[imax]) imax = i;
            if (m.res_sq[i] < m.res_sq[imin]) imin = i;
        }
        CHECK(m.lam[imax] > m.lam[imin]);
        CHECK_CLOSE(m.pt_w[imax], m.lam[imax] * m.lam[imax], 1e-14, 0);
        /* the PDE term is now Σ λ² r² / n */
        double want = 0;
        for (int64_t i = 0; i < m.n_res; i++) want += m.pt_w[i] * m.res_sq[i] / (double)m.n_res;
        double l1 = nt_pinn_loss(&m, 0);
        CHECK_CLOSE(l1, want + 3 * m.term[1] + m.term[2], 1e-12, 0);
        if (c == 1) CHECK(l1 > l0); /* ascent raised the weighted loss */
        nt_pinn_free(&m);
        nt_problem_free(&p);
    }
}

/* PirateNet's physics-informed initialization: the untrained network already
 * matches the initial condition at t = 0 (least-squares output layer). */
static void test_pirate_init(void)
{
    nt_problem p;
    const char *text =
        "domain: {x: [0, 2], t: [0, 1]}\nfields: [u]\npde: \"u_t + u_x\"\n"
        "conditions: [{where: initial, u: \"sin(pi*x)\", points: 64}, {periodic: x, points: 8}]\n"
        "model: {type: pirate, width: 16, blocks: 2, fourier: {features: 32, scale: 1}}\n"
        "train: {points: 32}\n";
    if (nt_test_load_problem(__FILE__, __LINE__, &p, text, NULL, "pi.yaml")) return;
    nt_pinn m;
    CHECK_OK(nt_pinn_init(&m, &p));
    double x[2 * 50], u[50], worst = 0;
    for (int i = 0; i < 50; i++) {
        x[2 * i] = 2.0 * i / 49;
        x[2 * i + 1] = 0;
    }
    CHECK_OK(nt_pinn_predict(&m, x, 50, u));
    for (int i = 0; i < 50; i++) worst = fmax(worst, fabs(u[i] - sin(NT_TEST_PI * x[2 * i])));
    printf("    pirate init: max |u(x, 0) - u0(x)| = %.2e\n", worst);
    CHECK(worst < 1e-2);
    nt_pinn_free(&m);
    nt_problem_free(&p);
}

/* ------------------------------------------------------------------------------ */
/* YAML                                                                             */

#define expect_error(line, body, pos, msg) nt_test_expect_problem_error(__FILE__, line, "m.yaml", K_HEAD, body, pos, msg)

/* K_HEAD has 9 lines: train starts on line 10. */
static void test_yaml(void)
{
    expect_error(__LINE__, "train:\n  causal: {slices: 1}\n", "11:20", "slices must be between 2 and 1024");
    /* quasi-Newton stages and a stage's own pde */
    expect_error(__LINE__, "train:\n  stages: [{optimizer: ssbroyden, steps: 5, history: 4}]\n", "11:54",
                 "history is for lbfgs (ssbroyden keeps no history)");
    expect_error(__LINE__, "train:\n  stages: [{optimizer: bfgs, steps: 5, lr: 1e-3}]\n", "11:12",
                 "bfgs takes no learning rate");
    expect_error(__LINE__, "train:\n  stages: [{optimizer: adam, steps: 5, pde: \"u_t + u_xxx\"}]\n", "11:45",
                 "may only use the field derivatives of the problem's 'pde'");
    expect_error(__LINE__, "train:\n  stages: [{optimizer: adam, steps: 5, pde: [\"u_t\", \"u_x\"]}]\n", "11:45",
                 "a stage's pde needs 1 residual");
    expect_error(__LINE__, "train:\n  stages: [{optimizer: newton, steps: 5}]\n", "11:24",
                 "unknown optimizer 'newton' (adam, multiadam, config, soap, lbfgs, bfgs, ssbfgs, ssbroyden)");
    {
        nt_problem q;
        if (!load(&q, "train:\n  stages: [{optimizer: adam, steps: 5, pde: \"u_t + 0.5*u_x\"}, {optimizer: ssbfgs, steps: 3},\n"
                      "           {optimizer: bfgs, steps: 3}, {optimizer: ssbroyden, steps: 3}, {optimizer: lbfgs, steps: 3}]\n")) {
            CHECK(q.stage_has_pde[0] && !q.stage_has_pde[1]);
            CHECK(q.stages[1].kind == NT_STAGE_LBFGS && q.stages[1].qn == NT_QN_SSBFGS);
            CHECK(q.stages[2].qn == NT_QN_BFGS && q.stages[3].qn == NT_QN_SSBROYDEN && q.stages[4].qn == NT_QN_LBFGS);
            CHECK(!strcmp(nt_stage_name(&q.stages[3]), "ssbroyden") && !strcmp(nt_stage_name(&q.stages[4]), "lbfgs"));
            nt_problem_free(&q);
        }
    }
    expect_error(__LINE__, "train:\n  causal: {epsilon: [1, 0.1]}\n", "11:25", "the epsilon schedule must increase");
    expect_error(__LINE__, "train:\n  causal: {epsilon: -1}\n", "11:21", "epsilon must be > 0");
    expect_error(__LINE__, "train:\n  causal: {tol: 2}\n", "11:17", "tol must be in (0, 1]");
    expect_error(__LINE__, "train:\n  causal: {slice: 4}\n", "11:12", "unknown key 'slice' in causal (did you mean 'slices'?");
    expect_error(__LINE__, "train:\n  weighting: {method: magic}\n", "11:23", "unknown weighting 'magic'");
    expect_error(__LINE__, "train:\n  weighting: {every: 10}\n", "11:14", "weighting needs 'method'");
    expect_error(__LINE__, "train:\n  weighting: {method: rba, alpha: 0.5}\n", "11:35", "'alpha' does not apply to weighting 'rba'");
    expect_error(__LINE__, "train:\n  weighting: {method: gradnorm, alpha: 1}\n", "11:40", "alpha must be in [0, 1)");
    expect_error(__LINE__, "train:\n  adaptive: {method: rand}\n", "11:22", "unknown adaptive sampling 'rand' (rad, r3, rar, causal_r3)");
    expect_error(__LINE__, "train:\n  adaptive: {method: r3, alpha: 2}\n", "11:33", "'alpha' does not apply to adaptive sampling 'r3'");
    expect_error(__LINE__, "train:\n  adaptive: {method: causal_r3, eta: 0}\n", "11:38", "eta must be > 0");
    expect_error(__LINE__, "train:\n  adaptive: {method: causal_r3, alpha: -1}\n", "11:40", "alpha must be > 0");
    expect_error(__LINE__, "train:\n  adaptive: {method: causal_r3, gamma: 1e999}\n", "11:40", "number out of range for gamma");
    expect_error(__LINE__, "train:\n  adaptive: {method: causal_r3, epsilon: -2}\n", "11:42", "epsilon must be >= 0");
    expect_error(__LINE__, "train:\n  stages: [{optimizer: lbfgs, steps: 5, resample_every: 0}]\n", "11:57",
                 "resample_every must be between 1 and");
    expect_error(__LINE__, "train:\n  causal: {}\n  adaptive: {method: causal_r3}\n", "12:13",
                 "causal_r3 has its own time gate: it cannot be combined with causal weighting");
    expect_error(__LINE__, "train:\n  stages: [{optimizer: adam, steps: 5, resample_every: 2}]\n", "11:56",
                 "resample_every in a stage is for lbfgs");
    expect_error(__LINE__, "train:\n  adaptive: {method: r3, k: 2}\n", "11:29", "'k' does not apply to adaptive sampling 'r3'");
    expect_error(__LINE__, "train:\n  points: 100\n  adaptive: {method: rar, max_points: 50}\n", "12:13", "below the initial points");
    expect_error(__LINE__, "train:\n  resample_every: 10\n  weighting: {method: rba}\n", "12:14", "cannot be combined with resample_every");
    expect_error(__LINE__, "train:\n  time_marching: {windows: 4}\n", "11:18", "time_marching needs 'steps'");
    /* a steady problem has no time for causal weighting */
    nt_problem p;
    nt_status st = nt_problem_load_string(&p,
        "domain: {x: [0, 1]}\nfields: [u]\npde: \"u_xx + 1\"\nconditions: [{where: boundary, u: 0}]\n"
        "train: {causal: {slices: 4}}\n", "s.yaml", ".");
    CHECK(st != NT_OK && strstr(nt_error_msg(), "s.yaml:5:") && strstr(nt_error_msg(), "causal weighting needs a time variable"));
    st = nt_problem_load_string(&p,
        "domain: {x: [0, 1]}\nfields: [u]\npde: \"u_xx + 1\"\nconditions: [{where: boundary, u: 0}]\n"
        "train: {adaptive: {method: causal_r3}}\n", "s.yaml", ".");
    CHECK(st != NT_OK && strstr(nt_error_msg(), "s.yaml:5:") && strstr(nt_error_msg(), "causal_r3 needs a time variable"));
    /* defaults */
    if (!load(&p, "train: {causal: {}, weighting: {method: gradnorm}, adaptive: {method: rad}}\n")) {
        CHECK(p.causal_slices == 32 && p.causal_n_eps == 1 && p.causal_eps[0] == 1 && p.causal_tol == 0.99);
        CHECK(p.weighting == NT_WEIGHT_GRADNORM && p.weighting_every == 1000 && p.weighting_alpha == 0.9);
        CHECK(p.adaptive == NT_ADAPT_RAD && p.rad_k == 1 && p.rad_c == 1 && p.adaptive_every == 1000);
        nt_problem_free(&p);
    }
    if (!load(&p, "train: {adaptive: {method: causal_r3}}\n")) {
        CHECK(p.adaptive == NT_ADAPT_CR3 && p.cr3_alpha == 5 && p.cr3_gamma == -0.5 && p.cr3_eta == 1e-3 && p.cr3_eps == 20);
        nt_problem_free(&p);
    }
}

/* ------------------------------------------------------------------------------ */
/* Runs: resume, end to end                                                         */

static const char *g_tmp; /* the temporary folder */

static void resume_case(const char *name, const char *train, int stop)
{
    char pa[600], text[4096];
    snprintf(text, sizeof text, "%s%s", K_HEAD, train);
    nt_test_resume_case(__FILE__, __LINE__, name, text, stop);
    /* the history names the methods' columns */
    snprintf(pa, sizeof pa, "%s/%s_A/history.csv", g_tmp, name);
    char *h = nt_test_read_text(pa);
    if (strstr(train, "causal:")) CHECK(h && strstr(h, ",causal_eps,causal_min_weight"));
    if (strstr(train, "gradnorm")) CHECK(h && strstr(h, ",\"weight pde\""));
    if (strstr(train, "rar")) CHECK(h && strstr(h, ",points,time_s"));
    if (strstr(train, "causal_r3")) CHECK(h && strstr(h, ",gate,time_s"));
    free(h);
}

static void test_resume(void)
{
    resume_case("cgr",
                "train:\n  seed: 3\n  points: 64\n  chunk: 40\n  log_every: 5\n  eval_every: 10\n  checkpoint_every: 7\n"
                "  causal: {slices: 4, epsilon: [0.1, 1, 10], tol: 0.5}\n"
                "  weighting: {method: gradnorm, every: 6}\n"
                "  adaptive: {method: rar, every: 8, candidates: 100, add: 4, max_points: 80}\n"
                "  stages: [{optimizer: adam, lr: 3e-3, steps: 30}, {optimizer: lbfgs, steps: 10, history: 5}]\n",
                17);
    resume_case("sa",
                "train:\n  seed: 4\n  points: 64\n  log_every: 5\n  checkpoint_every: 7\n"
                "  weighting: {method: self_adaptive}\n"
                "  stages: [{optimizer: adam, lr: 3e-3, steps: 25}]\n",
                12);
    /* the optimizers' state (multiadam, config = ConFIG + Adam, soap) survives a resume,
     * stopped inside the multiadam stage and inside the soap stage */
    static const char *opt =
        "train:\n  seed: 6\n  points: 64\n  log_every: 5\n  checkpoint_every: 4\n"
        "  stages: [{optimizer: multiadam, lr: 1e-2, steps: 10}, {optimizer: config, lr: 3e-3, steps: 10},\n"
        "           {optimizer: soap, lr: 3e-3, steps: 12}]\n";
    resume_case("opt_a", opt, 6);
    resume_case("opt_b", opt, 26);
    resume_case("r3tm",
                "train:\n  seed: 5\n  points: 64\n  log_every: 5\n  checkpoint_every: 7\n"
                "  adaptive: {method: r3, every: 5}\n  time_marching: {windows: 3, steps: 8}\n"
                "  weighting: {method: ntk, every: 9, probes: 2}\n"
                "  stages: [{optimizer: adam, lr: 3e-3, steps: 30}]\n",
                13);
    /* a curriculum stage (its own pde), then dense SSBroyden redrawing its points from
     * the residual density; stopped inside the SSBroyden stage (its matrix is in the
     * checkpoint) */
    resume_case("ssb",
                "train:\n  seed: 9\n  points: 64\n  log_every: 5\n  checkpoint_every: 3\n"
                "  adaptive: {method: rad, every: 5}\n"
                "  stages: [{optimizer: adam, lr: 3e-3, steps: 10, pde: \"u_t + 0.5*u_x - 0.02*u_xx\"},\n"
                "           {optimizer: ssbroyden, steps: 12, resample_every: 5}]\n",
                17);
    /* the gate's position, and L-BFGS redrawing its points (stopped inside it) */
    resume_case("cr3",
                "train:\n  seed: 7\n  points: 64\n  log_every: 5\n  checkpoint_every: 3\n"
                "  adaptive: {method: causal_r3, every: 4, eta: 0.05}\n"
                "  stages: [{optimizer: adam, lr: 3e-3, steps: 20}, {optimizer: lbfgs, steps: 12, resample_every: 5}]\n",
                26);
}

/* Causal weighting and causal R3 end to end: the transport problem trains; the
 * causal indicator rises and its schedule advances; the R3 gate moves forward. */
static double hist_last(const char *h, const char *col)
{
    /* the value of column col in the last row of a history.csv text */
    const char *nl = strchr(h, '\n'), *c = strstr(h, col);
    if (!nl || !c || c > nl) return NAN;
    int idx = 0;
    for (const char *q = h; q < c; q++) idx += *q == ',';
    const char *last = h + strlen(h) - 1;
    while (last > h && *last == '\n') last--;
    while (last > h && last[-1] != '\n') last--;
    for (int k = 0; k < idx && last; k++) {
        last = strchr(last, ',');
        if (last) last++;
    }
    return last ? strtod(last, NULL) : NAN;
}

static void causal_train_case(const char *name, const char *method, double bound_full)
{
    char yaml[512], d[512], path[600], text[4096];
    int steps = nt_test_quick() ? 300 : 1500;
    snprintf(yaml, sizeof yaml, "%s/%s.yaml", g_tmp, name);
    snprintf(d, sizeof d, "%s/%s", g_tmp, name);
    snprintf(text, sizeof text,
             "name: %s\ndomain: {x: [0, 2], t: [0, 1]}\nfields: [u]\npde: \"u_t + u_x - 0.02*u_xx\"\n"
             "conditions:\n  - {where: initial, u: \"sin(pi*x)\", points: 64, weight: 10}\n  - {periodic: x, points: 32}\n"
             "model: {width: 24, depth: 3, periodic: {x: {period: 2}}}\n"
             "reference: {exact: {u: \"exp(-0.02*pi^2*t)*sin(pi*(x - t))\"}, grid: {x: 33, t: 17}}\n"
             "train:\n  seed: 1\n  points: 512\n  log_every: 100\n  eval_every: 0\n%s"
             "  stages: [{optimizer: adam, lr: 2e-3, steps: %d}]\n", name, method, steps);
    nt_test_write_text(yaml, text);
    double err = nt_test_train(__FILE__, __LINE__, yaml, d);
    snprintf(path, sizeof path, "%s/history.csv", d);
    char *h = nt_test_read_text(path);
    if (strstr(method, "causal_r3")) {
        double gate = h ? hist_last(h, "gate") : NAN;
        printf("    %s: rel L2 %.3e after %d Adam steps, gate -0.5 -> %.3f\n", name, err, steps, gate);
        CHECK(gate > 0.5); /* it moved past the middle of the interval */
    } else {
        double eps = h ? hist_last(h, "causal_eps") : NAN;
        printf("    %s: rel L2 %.3e after %d Adam steps, epsilon 0.1 -> %g\n", name, err, steps, eps);
        if (!nt_test_quick()) CHECK(eps > 0.1); /* the schedule advanced */
    }
    CHECK(err < (nt_test_quick() ? 0.5 : bound_full));
    free(h);
}

/* An L-BFGS stage with resample_every redraws its points at its start and every K
 * iterations (read back from the checkpoints); without it the points stay. */
static const double *ckpt_points(nt_ckpt *c, const char *dir, size_t *bytes)
{
    char path[600];
    snprintf(path, sizeof path, "%s/checkpoint.ntc", dir);
    CHECK_OK(nt_ckpt_read(c, path));
    return nt_ckpt_find(c, "x_res", bytes);
}

static void test_lbfgs_redraw(void)
{
    static const char *stage[3] = {"{optimizer: lbfgs, steps: 2}", "{optimizer: lbfgs, steps: 2, resample_every: 3}",
                                   "{optimizer: lbfgs, steps: 4, resample_every: 3}"};
    char yaml[600], dir[3][600], text[4096];
    nt_ckpt c[3];
    const double *x[3];
    size_t nb[3];
    for (int k = 0; k < 3; k++) {
        snprintf(yaml, sizeof yaml, "%s/redraw%d.yaml", g_tmp, k);
        snprintf(dir[k], sizeof dir[k], "%s/redraw%d", g_tmp, k);
        snprintf(text, sizeof text, "%strain:\n  seed: 8\n  points: 64\n  stages: [{optimizer: adam, steps: 5}, %s]\n",
                 K_HEAD, stage[k]);
        nt_test_write_text(yaml, text);
        double err = nt_test_train(__FILE__, __LINE__, yaml, dir[k]);
        CHECK(isfinite(err));
        memset(&c[k], 0, sizeof c[k]);
        x[k] = ckpt_points(&c[k], dir[k], &nb[k]);
    }
    if (x[0] && x[1] && x[2] && nb[0] == 64 * 2 * sizeof(double) && nb[1] == nb[0] && nb[2] == nb[0]) {
        CHECK(memcmp(x[0], x[1], nb[0]) != 0); /* redrawn at the stage's start */
        CHECK(memcmp(x[1], x[2], nb[0]) != 0); /* and again at iteration 3 */
        for (size_t i = 0; i < nb[0] / sizeof(double); i++) CHECK(x[2][i] >= 0 && x[2][i] <= 2);
    } else {
        nt_test_fail(__FILE__, __LINE__, "checkpoint points missing or of the wrong size");
    }
    for (int k = 0; k < 3; k++) nt_ckpt_free(&c[k]);
}

static void test_causal_trains(void)
{
    causal_train_case("ct", "  resample_every: 100\n  causal: {slices: 16, epsilon: [0.1, 1, 10], tol: 0.99}\n", 0.05);
    /* the gate can open (γ > 1.46) within the steps: η = 0.002 for 1500; for 300, η = 0.01 and
     * ε = 2 (it moves while the residuals are still large) */
    causal_train_case("cr3",
                      nt_test_quick() ? "  adaptive: {method: causal_r3, every: 100, eta: 0.01, epsilon: 2}\n"
                                      : "  adaptive: {method: causal_r3, every: 100, eta: 0.002}\n",
                      0.05);
}

/* Each optimizer trains a 2D Poisson problem (MultiAdam needs a problem whose
 * PDE alone does not admit u = 0: on the transport problem its per-group
 * normalized steps cancel and it stalls at the trivial solution, as its
 * equal-vote design implies): the error after a few hundred steps is bounded. */
/* Trains the 2D Poisson problem −Δu = 2π² sin(πx) sin(πy) (u = 0 on the boundary)
 * with a width×2 tanh MLP and the given `train:` block; returns the relative L2 error
 * against sin(πx) sin(πy). The run folder is g_tmp/name. */
static double poisson_train(const char *name, int width, const char *train)
{
    char yaml[512], d[512], text[4096];
    snprintf(yaml, sizeof yaml, "%s/%s.yaml", g_tmp, name);
    snprintf(d, sizeof d, "%s/%s", g_tmp, name);
    snprintf(text, sizeof text,
             "name: %s\ndomain: {x: [0, 1], y: [0, 1]}\nfields: [u]\n"
             "pde: \"u_xx + u_yy + 2*pi^2*sin(pi*x)*sin(pi*y)\"\n"
             "conditions: [{where: boundary, u: 0, points: 128}]\n"
             "model: {width: %d, depth: 2}\n"
             "reference: {exact: {u: \"sin(pi*x)*sin(pi*y)\"}, grid: {x: 33, y: 33}}\n"
             "train:\n%s", name, width, train);
    nt_test_write_text(yaml, text);
    return nt_test_train(__FILE__, __LINE__, yaml, d);
}

/* Adam, then each quasi-Newton stage for the same iterations on the Poisson problem.
 * Measured: lbfgs 7.5e-2, bfgs 1.0e-1, ssbfgs 2.0e-2, ssbroyden 4.1e-3. The bounds
 * are loose: every stage converges somewhat, and SSBroyden beats L-BFGS by 2x at least. */
static void test_quasi_newton_train(void)
{
    static const char *opts[] = {"lbfgs", "bfgs", "ssbfgs", "ssbroyden"};
    double err[4];
    for (int k = 0; k < 4; k++) {
        char name[64], train[512];
        snprintf(name, sizeof name, "q_%s", opts[k]);
        snprintf(train, sizeof train,
                 "  dtype: float64\n  seed: 2\n  points: 256\n  log_every: 100\n  eval_every: 0\n"
                 "  stages: [{optimizer: adam, lr: 1e-2, steps: 200}, {optimizer: %s, steps: 300}]\n", opts[k]);
        err[k] = poisson_train(name, 12, train);
        printf("    adam 200 + %-9s 300: rel L2 %.3e\n", opts[k], err[k]);
        CHECK(err[k] < 0.3);
    }
    CHECK(err[3] < 2e-2);
    CHECK(err[3] < 0.5 * err[0]);
}

/* A stage with its own pde trains on that equation: Poisson without its source
 * (solution 0) leaves the network far from the reference, and the run's final
 * report is of the problem's own equation. */
static void test_stage_pde(void)
{
    double err = poisson_train("spde", 12,
                               "  dtype: float64\n  seed: 2\n  points: 256\n  log_every: 100\n  eval_every: 0\n"
                               "  stages: [{optimizer: adam, lr: 1e-2, steps: 300, pde: \"u_xx + u_yy\"}]\n");
    printf("    trained on u_xx + u_yy = 0 only: rel L2 %.3e against the source's solution\n", err);
    CHECK(err > 0.9);
    char pa[600];
    snprintf(pa, sizeof pa, "%s/spde/summary.json", g_tmp);
    char *sj = nt_test_read_text(pa);
    CHECK(sj && strstr(sj, "\"final_loss\""));
    if (sj) { /* the final loss includes the source term's residual: about (2π²)²/4 ≈ 97 */
        const char *f = strstr(sj, "\"final_loss\"");
        double fl = f ? strtod(strchr(f, ':') + 1, NULL) : 0;
        printf("    final loss (problem's pde) %.3e\n", fl);
        CHECK(fl > 10);
    }
    free(sj);
}

/* A dense quasi-Newton stage on a network above NT_QN_DENSE_MAX parameters: the run
 * stops with a message that names the memory and the way out, and a non-zero exit. */
static void test_dense_too_large(void)
{
    static const char *small = "model: {width: 6, depth: 2}";
    char yaml[512], d[512], text[2048];
    snprintf(yaml, sizeof yaml, "%s/big.yaml", g_tmp);
    snprintf(d, sizeof d, "%s/big", g_tmp);
    const char *w = strstr(K_HEAD, small);
    CHECK(w != NULL);
    if (!w) return;
    snprintf(text, sizeof text, "%.*smodel: {width: 130, depth: 2}%s%s", (int)(w - K_HEAD), K_HEAD,
             w + strlen(small), /* 17551 parameters */
             "train:\n  points: 64\n  stages: [{optimizer: adam, steps: 1}, {optimizer: ssbroyden, steps: 5}]\n");
    nt_test_write_text(yaml, text);
    int rc = nt_test_noether("train %s --out %s --threads 1", yaml, d);
    CHECK(rc != 0);
    CHECK(strstr(nt_test_out, "ssbroyden keeps a dense inverse Hessian: 17551 parameters") != NULL);
    CHECK(strstr(nt_test_out, "use lbfgs or a smaller network") != NULL);
}

static void test_optimizers_train(void)
{
    static const char *opts[] = {"adam", "multiadam", "config", "soap"};
    static const double lrs[] = {3e-3, 1e-2, 3e-3, 3e-3};
    int steps = 500;
    for (int k = 0; k < 4; k++) {
        char name[64], train[512];
        snprintf(name, sizeof name, "o_%s", opts[k]);
        snprintf(train, sizeof train,
                 "  seed: 2\n  points: 256\n  resample_every: 50\n  log_every: 50\n  eval_every: 0\n"
                 "  stages: [{optimizer: %s, lr: %g, steps: %d}]\n", opts[k], lrs[k], steps);
        double err = poisson_train(name, 16, train);
        printf("    %-9s rel L2 %.3e after %d steps\n", opts[k], err, steps);
        CHECK(err < 0.5);
    }
}

int main(void)
{
    if (!(g_tmp = nt_test_tmp_init("nt_methods"))) return 1;
    RUN(test_causal_weights);
    RUN(test_term_grads);
    RUN(test_gradnorm);
    RUN(test_adaptive);
    RUN(test_point_weights);
    RUN(test_pirate_init);
    RUN(test_yaml);
    RUN(test_resume);
    RUN(test_lbfgs_redraw);
    RUN(test_causal_trains);
    RUN(test_optimizers_train);
    RUN(test_quasi_newton_train);
    RUN(test_stage_pde);
    RUN(test_dense_too_large);
    nt_test_tmp_cleanup();
    return nt_test_finish();
}

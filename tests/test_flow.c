/* test_flow.c — flow solvers (src/solvers/flow.c).
 *
 * Lid-driven cavity: centreline profiles against Ghia, Ghia & Shin (1982),
 * second-order grid convergence, discrete divergence, the pressure convention
 * and the momentum balance of the pressure, Re = 400 / 1000, bad configs.
 * Periodic 2D Navier–Stokes: Taylor–Green decay (exact), ETDRK4 time order,
 * Kolmogorov forcing (exact transient, nonlinear return to the steady state),
 * 2/3-rule dealiasing (high modes stay empty, inviscid energy and enstrophy
 * conserved), the FNO setting, bad configs and blow-up detection. */
#include "harness.h"

#include "solvers/flow.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PI NT_TEST_PI

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- Ghia, Ghia & Shin, J. Comput. Phys. 48 (1982) 387-411 -------------------
 * Table I: u along the vertical line through the cavity centre (x = 0.5),
 * Table II: v along the horizontal line through the centre (y = 0.5). Their
 * grid was 129 x 129, so each tabulated coordinate is a node k/128; the
 * tables list y (resp. x) = k/128 with k below. */
static const int ghia_k_u[17] = {128, 125, 124, 123, 122, 109, 94, 79, 64,
                                 58,  36,  22,  13,  9,   8,   7,  0};
static const int ghia_k_v[17] = {128, 124, 123, 122, 121, 116, 110, 103, 64,
                                 30,  29,  20,  12,  10,  9,   8,   0};
static const double ghia_u100[17] = {1.00000,  0.84123,  0.78871,  0.73722,  0.68717,  0.23151,
                                     0.00332,  -0.13641, -0.20581, -0.21090, -0.15662, -0.10150,
                                     -0.06434, -0.04775, -0.04192, -0.03717, 0.00000};
static const double ghia_v100[17] = {0.00000,  -0.05906, -0.07391, -0.08864, -0.10313, -0.16914,
                                     -0.22445, -0.24533, 0.05454,  0.17527,  0.17507,  0.16077,
                                     0.12317,  0.10890,  0.10091,  0.09233,  0.00000};
static const double ghia_u400[17] = {1.00000,  0.75837,  0.68439,  0.61756,  0.55892,  0.29093,
                                     0.16256,  0.02135,  -0.11477, -0.17119, -0.32726, -0.24299,
                                     -0.14612, -0.10338, -0.09266, -0.08186, 0.00000};
static const double ghia_v400[17] = {0.00000,  -0.12146, -0.15663, -0.19254, -0.22847, -0.23827,
                                     -0.44993, -0.38598, 0.05186,  0.30174,  0.30203,  0.28124,
                                     0.22965,  0.20920,  0.19713,  0.18360,  0.00000};
static const double ghia_u1000[17] = {1.00000,  0.65928,  0.57492,  0.51117,  0.46604,  0.33304,
                                      0.18719,  0.05702,  -0.06080, -0.10648, -0.27805, -0.38289,
                                      -0.29730, -0.22220, -0.20196, -0.18109, 0.00000};
static const double ghia_v1000[17] = {0.00000,  -0.21388, -0.27669, -0.33714, -0.39188, -0.51550,
                                      -0.42665, -0.31966, 0.02526,  0.32235,  0.33075,  0.37095,
                                      0.32627,  0.30353,  0.29012,  0.27485,  0.00000};
/* Table III, primary vortex at Re = 100: psi = -0.103423 at (0.6172, 0.7344)
 * = (79/128, 94/128). */
#define GHIA_PSI100 (-0.103423)

typedef struct cav_run {
    int n;
    double *u, *v, *p, *psi, *om;
    nt_cavity_info info;
    double secs;
} cav_run;

static int cav_solve(cav_run *r, int n, double re)
{
    memset(r, 0, sizeof *r);
    r->n = n;
    size_t nn = (size_t)n * n;
    r->u = malloc(nn * sizeof(double));
    r->v = malloc(nn * sizeof(double));
    r->p = malloc(nn * sizeof(double));
    r->psi = malloc(nn * sizeof(double));
    r->om = malloc(nn * sizeof(double));
    nt_cavity_config c;
    nt_cavity_config_default(&c);
    c.n = n;
    c.re = re;
    double t0 = now_s();
    nt_status st = nt_cavity_solve(&c, r->u, r->v, r->p, r->psi, r->om, &r->info);
    r->secs = now_s() - t0;
    CHECK_OK(st);
    printf("  cavity Re = %g, n = %d: %.2f s, %d Newton / %d GMRES iterations, %d Re step(s), "
           "residual %.2e, psi_min %.6f at (%d, %d)\n",
           re, n, r->secs, r->info.newton_iters, r->info.krylov_iters, r->info.re_steps,
           r->info.residual, r->info.psi_min, r->info.psi_min_ix, r->info.psi_min_iy);
    return st == NT_OK;
}

static void cav_free(cav_run *r)
{
    free(r->u);
    free(r->v);
    free(r->p);
    free(r->psi);
    free(r->om);
}

/* Max deviation of the centreline profiles from a Ghia table. The grid must
 * have n - 1 dividing 128 or be a multiple of it; points that are not nodes
 * are skipped (*used counts the compared ones). Table II at Re = 400 lists
 * v(0.9063) = -0.23827 between -0.22847 (x = 0.9453) and -0.44993
 * (x = 0.8594) of a smooth monotone stretch: a misprint (every modern solution,
 * and ours, gives about -0.38 there), so that one entry is skipped. */
static void ghia_dev(const cav_run *r, const double *tu, const double *tv, double *du, double *dv,
                     int *used)
{
    int n = r->n, c = (n - 1) / 2;
    *du = *dv = 0.0;
    *used = 0;
    for (int q = 0; q < 17; q++) {
        int ku = ghia_k_u[q] * (n - 1), kv = ghia_k_v[q] * (n - 1);
        if (ku % 128 == 0) {
            *du = fmax(*du, fabs(r->u[(size_t)(ku / 128) * n + c] - tu[q]));
            (*used)++;
        }
        if (kv % 128 == 0 && !(tv == ghia_v400 && ghia_k_v[q] == 116)) {
            *dv = fmax(*dv, fabs(r->v[(size_t)c * n + kv / 128] - tv[q]));
            (*used)++;
        }
    }
}

/* ---- Cavity, Re = 100 ---------------------------------------------------------- */

static void test_cavity_ghia_re100(void)
{
    int n = nt_test_quick() ? 65 : 129;
    cav_run r;
    if (!cav_solve(&r, n, 100.0)) {
        cav_free(&r);
        return;
    }
    double du, dv;
    int used;
    ghia_dev(&r, ghia_u100, ghia_v100, &du, &dv, &used);
    printf("  Ghia Re = 100 (%d points): max |u - u_Ghia| = %.2e, max |v - v_Ghia| = %.2e\n",
           used, du, dv);
    /* Ghia's table is itself a 129 x 129 solution. Our grid-converged
     * (Richardson 129/257) profiles differ from it by up to 4.9e-3 (u) and
     * 9.3e-3 (v), agreeing instead with the accurate extrema quoted in later
     * studies; the 129 grid lies in between (4.2e-3, 8.4e-3). So 1e-2 is the
     * finest level at which the table discriminates; a sign error, a wrong
     * Re or a first-order wall closure breaks it by far (the 65 grid in
     * quick mode sits ~4x further from the converged profile). */
    double tol = n == 129 ? 1e-2 : 1.5e-2;
    CHECK(du < 0.6 * tol);
    CHECK(dv < tol);
    CHECK(used >= (n == 129 ? 34 : 20));

    /* Primary vortex: Ghia's location is a node of the 129 grid. */
    CHECK_NEAR(r.info.psi_min, GHIA_PSI100, n == 129 ? 2e-4 : 1e-3);
    if (n == 129) {
        CHECK(r.info.psi_min_ix == 79);
        CHECK(r.info.psi_min_iy == 94);
    }
    CHECK(r.info.residual <= 1e-10);

    /* Discrete divergence (central differences) at the interior nodes, and
     * the boundary values. */
    double h = 1.0 / (n - 1), div = 0.0, bc = 0.0, umax = 0.0;
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < n; i++) {
            size_t k = (size_t)j * n + i;
            umax = fmax(umax, fabs(r.u[k]));
            if (i == 0 || j == 0 || i == n - 1 || j == n - 1) {
                double ub = j == n - 1 ? 1.0 : 0.0;
                bc = fmax(bc, fabs(r.u[k] - ub) + fabs(r.v[k]));
                continue;
            }
            double d = (r.u[k + 1] - r.u[k - 1] + r.v[k + n] - r.v[k - n]) / (2 * h);
            div = fmax(div, fabs(d));
        }
    }
    printf("  max |div_h u| = %.2e (max |u| = %.2f)\n", div, umax);
    CHECK(div < 1e-10);
    CHECK(bc == 0.0);

    /* Pressure convention: zero mean over the nodes. */
    double mean = 0.0, pmax = 0.0;
    for (size_t k = 0; k < (size_t)n * n; k++) {
        mean += r.p[k];
        pmax = fmax(pmax, fabs(r.p[k]));
    }
    mean /= (double)n * n;
    printf("  pressure: mean %.2e, max |p| %.3f\n", mean, pmax);
    CHECK(fabs(mean) < 1e-13 * pmax);
    cav_free(&r);
}

/* Residual of the momentum equations with the output u, v, p (central
 * differences) on the nodes of [0.1, 0.9] x [0.1, 0.8] (away from the
 * singular lid corners), relative to max |grad p| there. */
static double momentum_residual(const cav_run *r, double re)
{
    int n = r->n;
    double h = 1.0 / (n - 1), res = 0.0, gp = 0.0;
    for (int j = 1; j < n - 1; j++) {
        double y = j * h;
        if (y < 0.1 - 1e-12 || y > 0.8 + 1e-12) continue;
        for (int i = 1; i < n - 1; i++) {
            double x = i * h;
            if (x < 0.1 - 1e-12 || x > 0.9 + 1e-12) continue;
            size_t k = (size_t)j * n + i;
            const double *u = r->u, *v = r->v, *p = r->p;
            double ux = (u[k + 1] - u[k - 1]) / (2 * h), uy = (u[k + n] - u[k - n]) / (2 * h);
            double vx = (v[k + 1] - v[k - 1]) / (2 * h), vy = (v[k + n] - v[k - n]) / (2 * h);
            double px = (p[k + 1] - p[k - 1]) / (2 * h), py = (p[k + n] - p[k - n]) / (2 * h);
            double lu = (u[k + 1] + u[k - 1] + u[k + n] + u[k - n] - 4 * u[k]) / (h * h);
            double lv = (v[k + 1] + v[k - 1] + v[k + n] + v[k - n] - 4 * v[k]) / (h * h);
            double rx = u[k] * ux + v[k] * uy + px - lu / re;
            double ry = u[k] * vx + v[k] * vy + py - lv / re;
            res = fmax(res, fmax(fabs(rx), fabs(ry)));
            gp = fmax(gp, fmax(fabs(px), fabs(py)));
        }
    }
    return res / gp;
}

/* Grid convergence on three grids: the differences of the centreline
 * profiles (compared on the coarse nodes) and of psi_min between successive
 * grids shrink by ~4 per halving of h; the momentum balance of the pressure
 * improves at second order too. */
static void test_cavity_convergence(void)
{
    int quick = nt_test_quick();
    int ns[3] = {33, 65, 129};
    if (quick) ns[0] = 17, ns[1] = 33, ns[2] = 65;
    cav_run r[3];
    int ok = 1;
    for (int g = 0; g < 3; g++) ok &= cav_solve(&r[g], ns[g], 100.0);
    if (ok) {
        double e[2], ep[2], mres[3];
        int n0 = ns[0];
        for (int g = 0; g < 2; g++) {
            const cav_run *a = &r[g], *b = &r[g + 1];
            int sa = (a->n - 1) / (n0 - 1), sb = (b->n - 1) / (n0 - 1);
            int ca = (a->n - 1) / 2, cb = (b->n - 1) / 2;
            double d = 0.0;
            for (int k = 0; k < n0; k++) {
                d = fmax(d, fabs(a->u[(size_t)k * sa * a->n + ca] - b->u[(size_t)k * sb * b->n + cb]));
                d = fmax(d, fabs(a->v[(size_t)ca * a->n + k * sa] - b->v[(size_t)cb * b->n + k * sb]));
            }
            e[g] = d;
            ep[g] = fabs(a->info.psi_min - b->info.psi_min);
        }
        for (int g = 0; g < 3; g++) mres[g] = momentum_residual(&r[g], 100.0);
        double p_prof = log2(e[0] / e[1]), p_psi = log2(ep[0] / ep[1]);
        double p_mom = log2(mres[1] / mres[2]);
        printf("  profile differences %.3e, %.3e -> order %.2f; psi_min differences %.3e, %.3e "
               "-> order %.2f\n", e[0], e[1], p_prof, ep[0], ep[1], p_psi);
        printf("  momentum residual / max|grad p|: %.2e %.2e %.2e -> order %.2f\n", mres[0],
               mres[1], mres[2], p_mom);
        CHECK(p_prof > 1.6 && p_prof < 2.4);
        CHECK(p_psi > 1.6 && p_psi < 2.4);
        CHECK(p_mom > 1.6 && p_mom < 2.6);
        CHECK(mres[2] < (quick ? 0.08 : 0.02));
        /* Richardson extrapolation of psi_min lands near Ghia's value. */
        double rich = r[2].info.psi_min + (r[2].info.psi_min - r[1].info.psi_min) / 3.0;
        printf("  Richardson psi_min %.6f (Ghia %.6f)\n", rich, GHIA_PSI100);
        CHECK_NEAR(rich, GHIA_PSI100, quick ? 1e-3 : 3e-4);
    }
    for (int g = 0; g < 3; g++) cav_free(&r[g]);
}

/* Re = 400 and 1000 on the 129 grid against Ghia. Central differences at
 * h = 1/128 under-resolve the thinner layers at higher Re, so the bounds
 * are looser; psi_min at Re = 1000 is compared with the Chebyshev benchmark
 * of Botella & Peyret (Comput. Fluids 27, 1998), -0.1189366. */
static void test_cavity_higher_re(void)
{
    if (nt_test_quick()) {
        printf("  (quick mode: Re = 400 on 65 x 65 only)\n");
        cav_run r;
        if (cav_solve(&r, 65, 400.0)) {
            double du, dv;
            int used;
            ghia_dev(&r, ghia_u400, ghia_v400, &du, &dv, &used);
            printf("  Ghia Re = 400 (%d points): max dev u %.2e, v %.2e\n", used, du, dv);
            CHECK(du < 0.06 && dv < 0.06);
        }
        cav_free(&r);
        return;
    }
    cav_run r;
    if (cav_solve(&r, 129, 400.0)) {
        double du, dv;
        int used;
        ghia_dev(&r, ghia_u400, ghia_v400, &du, &dv, &used);
        printf("  Ghia Re = 400: max |u - u_Ghia| = %.2e, max |v - v_Ghia| = %.2e\n", du, dv);
        CHECK(du < 1e-2 && dv < 1e-2);
        CHECK(used == 33);
        CHECK(r.info.residual <= 1e-10);
    }
    cav_free(&r);
    if (cav_solve(&r, 129, 1000.0)) {
        double du, dv;
        int used;
        ghia_dev(&r, ghia_u1000, ghia_v1000, &du, &dv, &used);
        printf("  Ghia Re = 1000: max |u - u_Ghia| = %.2e, max |v - v_Ghia| = %.2e\n", du, dv);
        CHECK(du < 2.5e-2 && dv < 2.5e-2);
        CHECK_NEAR(r.info.psi_min, -0.1189366, 0.005);
        CHECK(r.info.residual <= 1e-10);
    }
    cav_free(&r);
}

static void test_cavity_bad_config(void)
{
    nt_cavity_config c;
    double buf[25];
    nt_cavity_config_default(&c);
    c.n = 4;
    CHECK(nt_cavity_solve(&c, buf, NULL, NULL, NULL, NULL, NULL) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "n must be") != NULL);
    c.n = 2000;
    CHECK(nt_cavity_solve(&c, NULL, NULL, NULL, NULL, NULL, NULL) == NT_ERR_ARG);
    nt_cavity_config_default(&c);
    c.n = 5;
    c.re = 0.0;
    CHECK(nt_cavity_solve(&c, buf, NULL, NULL, NULL, NULL, NULL) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "Re") != NULL);
    c.re = -5.0;
    CHECK(nt_cavity_solve(&c, buf, NULL, NULL, NULL, NULL, NULL) == NT_ERR_ARG);
    c.re = NAN;
    CHECK(nt_cavity_solve(&c, buf, NULL, NULL, NULL, NULL, NULL) == NT_ERR_ARG);
    c.re = INFINITY;
    CHECK(nt_cavity_solve(&c, buf, NULL, NULL, NULL, NULL, NULL) == NT_ERR_ARG);
    c.re = 10.0;
    c.tol = -1.0;
    CHECK(nt_cavity_solve(&c, buf, NULL, NULL, NULL, NULL, NULL) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "tol") != NULL);
    c.tol = 0.0;
    c.max_iter = -1;
    CHECK(nt_cavity_solve(&c, buf, NULL, NULL, NULL, NULL, NULL) == NT_ERR_ARG);
    /* The smallest grid (3 x 3 interior nodes) works. */
    c.max_iter = 0;
    double u[25], v[25], p[25];
    CHECK_OK(nt_cavity_solve(&c, u, v, p, NULL, NULL, NULL));
    CHECK(u[20] == 1.0 && u[24] == 1.0 && u[0] == 0.0 && v[4] == 0.0);
    CHECK(u[12] < 0.0); /* return flow below the lid */
    /* Non-convergence within max_iter is reported. */
    nt_cavity_info info;
    c.n = 33;
    c.re = 100.0;
    c.max_iter = 1;
    CHECK(nt_cavity_solve(&c, NULL, NULL, NULL, NULL, NULL, &info) == NT_ERR_NUMERIC);
    CHECK(strstr(nt_error_msg(), "max_iter") != NULL);
    CHECK(info.newton_iters == 1);
    /* A tolerance below the rounding level is reported as such (no
     * continuation in Re is attempted). */
    c.n = 17;
    c.max_iter = 0;
    c.tol = 1e-17;
    CHECK(nt_cavity_solve(&c, NULL, NULL, NULL, NULL, NULL, &info) == NT_ERR_NUMERIC);
    CHECK(strstr(nt_error_msg(), "rounding") != NULL);
    CHECK(info.residual < 1e-12);
    CHECK(info.re_steps == 0);
}

/* ---- Periodic 2D Navier–Stokes ------------------------------------------------- */

static double max_abs(const double *a, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(a[i]));
    return m;
}

static double max_diff(const double *a, const double *b, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

/* Taylor–Green: psi = A cos(kx) cos(ky), w = 2 k^2 psi; the nonlinear term
 * vanishes and w decays as e^{-2 nu k^2 t}; ETDRK4 integrates that exactly. */
static void test_ns_taylor_green(void)
{
    int n = 32;
    /* Explicit advection: dt |u| k_cut = 0.05 * 0.37 * 37 ~ 0.7 keeps the
     * rounding-level perturbations of this (unstable) equilibrium stable. */
    double L = 1.7, nu = 0.005, A = 0.05, k = 2.0 * PI / L * 2.0;
    nt_ns2d_config c = {n, L, nu, 0.05};
    size_t nn = (size_t)n * n;
    double *w0 = malloc(nn * sizeof(double)), *out = malloc(3 * nn * sizeof(double));
    double *u = malloc(nn * sizeof(double)), *v = malloc(nn * sizeof(double));
    double *ex = malloc(nn * sizeof(double));
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            double x = i * L / n, y = j * L / n;
            w0[(size_t)j * n + i] = 2 * k * k * A * cos(k * x) * cos(k * y);
        }
    double t[3] = {0.0, 0.55, 2.0};
    CHECK_OK(nt_ns2d_solve(&c, w0, NULL, t, 3, out, u, v));
    double worst = 0.0, wu = 0.0, w0max = max_abs(w0, nn);
    for (int s = 0; s < 3; s++) {
        double d = exp(-2 * nu * k * k * t[s]);
        for (size_t q = 0; q < nn; q++) ex[q] = w0[q] * d;
        worst = fmax(worst, max_diff(out + s * nn, ex, nn) / w0max);
    }
    double d = exp(-2 * nu * k * k * t[2]);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            double x = i * L / n, y = j * L / n;
            size_t q = (size_t)j * n + i;
            /* u = psi_y, v = -psi_x */
            wu = fmax(wu, fabs(u[q] + A * k * cos(k * x) * sin(k * y) * d));
            wu = fmax(wu, fabs(v[q] - A * k * sin(k * x) * cos(k * y) * d));
        }
    wu /= A * k;
    printf("  Taylor-Green: max relative error w %.2e, velocity %.2e (decay factor %.3f)\n", worst,
           wu, d);
    CHECK(worst < 1e-13);
    CHECK(wu < 1e-13);
    CHECK(d > 0.2 && d < 0.5); /* decays substantially, still far from zero */
    free(w0), free(out), free(u), free(v), free(ex);
}

/* A smooth nonlinear initial vorticity: a few Fourier modes (zero mean). */
static void few_modes(int n, double L, double amp, double *w)
{
    double k0 = 2.0 * PI / L;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            double x = i * L / n, y = j * L / n;
            w[(size_t)j * n + i] =
                amp * (sin(k0 * x) * cos(2 * k0 * y) + 0.8 * cos(3 * k0 * x + 0.4) +
                       0.6 * sin(k0 * (x + y) + 1.0) + 0.5 * cos(2 * k0 * x - 3 * k0 * y) +
                       0.3 * sin(4 * k0 * y + 0.2));
        }
}

/* Fourth order in time against a dt/64 solution. */
static void test_ns_time_order(void)
{
    int n = 32;
    double L = 2 * PI, T = 1.0, dt0 = 0.1;
    nt_ns2d_config c = {n, L, 0.01, dt0 / 64};
    size_t nn = (size_t)n * n;
    double *w0 = malloc(nn * sizeof(double)), *ref = malloc(nn * sizeof(double));
    double *out = malloc(nn * sizeof(double));
    few_modes(n, L, 1.0, w0);
    CHECK_OK(nt_ns2d_solve(&c, w0, NULL, &T, 1, ref, NULL, NULL));
    double e[3];
    for (int i = 0; i < 3; i++) {
        c.dt = dt0 / (1 << i);
        CHECK_OK(nt_ns2d_solve(&c, w0, NULL, &T, 1, out, NULL, NULL));
        e[i] = max_diff(out, ref, nn) / max_abs(ref, nn);
    }
    double p1 = log2(e[0] / e[1]), p2 = log2(e[1] / e[2]);
    double change = max_diff(ref, w0, nn) / max_abs(w0, nn);
    printf("  ETDRK4 errors %.2e %.2e %.2e -> orders %.2f %.2f (solution changed by %.2f)\n", e[0],
           e[1], e[2], p1, p2, change);
    CHECK(p1 > 3.6 && p1 < 4.5);
    CHECK(p2 > 3.6 && p2 < 4.5);
    CHECK(e[2] > 1e-12); /* above rounding: the orders are meaningful */
    CHECK(change > 0.3); /* the nonlinear term did act */
    free(w0), free(ref), free(out);
}

/* Kolmogorov flow: f = F sin(m k0 y) gives the steady w = f / (nu k^2) with a
 * vanishing nonlinear term. From w0 = 0 the transient is exact; from a
 * perturbed state the nonlinear flow returns to it (forcing in the lowest
 * mode on a square torus: globally stable). */
static void test_ns_kolmogorov(void)
{
    int n = 32;
    double L = 2 * PI, nu = 0.2, F = 0.1, k = 1.0;
    size_t nn = (size_t)n * n;
    double *f = malloc(nn * sizeof(double)), *w0 = calloc(nn, sizeof(double));
    double *out = malloc(3 * nn * sizeof(double)), *ex = malloc(nn * sizeof(double));
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) f[(size_t)j * n + i] = F * sin(k * j * L / n);
    nt_ns2d_config c = {n, L, nu, 0.25};
    double t[2] = {1.0, 7.3};
    CHECK_OK(nt_ns2d_solve(&c, w0, f, t, 2, out, NULL, NULL));
    double worst = 0.0, ws = F / (nu * k * k);
    for (int s = 0; s < 2; s++) {
        double g = -expm1(-nu * k * k * t[s]);
        for (size_t q = 0; q < nn; q++) ex[q] = g * f[q] / (nu * k * k);
        worst = fmax(worst, max_diff(out + s * nn, ex, nn) / ws);
    }
    printf("  Kolmogorov from rest: max relative error %.2e\n", worst);
    CHECK(worst < 1e-13);

    /* Perturbed start: |w - w_s| decays to the steady state. */
    few_modes(n, L, 0.3, w0);
    for (size_t q = 0; q < nn; q++) w0[q] += f[q] / (nu * k * k);
    double T = nt_test_quick() ? 60.0 : 120.0;
    double t3[3] = {10.0, T / 2, T};
    c.dt = 0.1;
    CHECK_OK(nt_ns2d_solve(&c, w0, f, t3, 3, out, NULL, NULL));
    double e[3];
    for (size_t q = 0; q < nn; q++) ex[q] = f[q] / (nu * k * k);
    for (int s = 0; s < 3; s++) e[s] = max_diff(out + s * nn, ex, nn) / ws;
    printf("  Kolmogorov perturbed: |w - w_s|/|w_s| = %.2e (t=10), %.2e (t=%g), %.2e (t=%g)\n",
           e[0], e[1], T / 2, e[2], T);
    CHECK(e[0] > 1e-3); /* the perturbation is still there at t = 10 */
    CHECK(e[1] < e[0] && e[2] < e[1]);
    CHECK(e[2] < (nt_test_quick() ? 1e-4 : 1e-9));
    free(f), free(w0), free(out), free(ex);
}

/* Naive DFT magnitude of the grid field w at integer wavenumbers (kx, ky). */
static double dft_abs(const double *w, int n, int kx, int ky)
{
    double re = 0.0, im = 0.0;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            double ph = -2.0 * PI * ((double)kx * i + (double)ky * j) / n;
            re += w[(size_t)j * n + i] * cos(ph);
            im += w[(size_t)j * n + i] * sin(ph);
        }
    return hypot(re, im) / ((double)n * n);
}

/* 2/3 rule. Inviscid, unforced: the truncated (dealiased) system conserves
 * energy and enstrophy exactly in space, so both drift only at the time
 * discretization error, while the modes with |kx| or |ky| >= n/3 stay empty
 * although the cascade fills the spectrum up to the cut. */
static void test_ns_dealias(void)
{
    int n = 32;
    double L = 2 * PI, T = nt_test_quick() ? 4.0 : 8.0;
    nt_ns2d_config c = {n, L, 0.0, 0.005};
    size_t nn = (size_t)n * n;
    double *w0 = malloc(nn * sizeof(double)), *out = malloc(2 * nn * sizeof(double));
    double *u0 = malloc(nn * sizeof(double)), *v0 = malloc(nn * sizeof(double));
    double *u = malloc(nn * sizeof(double)), *v = malloc(nn * sizeof(double));
    few_modes(n, L, 1.0, w0);
    double t0 = 0.0, t[2] = {T / 2, T};
    CHECK_OK(nt_ns2d_solve(&c, w0, NULL, &t0, 1, out, u0, v0));
    CHECK_OK(nt_ns2d_solve(&c, w0, NULL, t, 2, out, u, v));
    double E0 = 0, Z0 = 0, E1 = 0, Z1 = 0;
    for (size_t q = 0; q < nn; q++) {
        E0 += 0.5 * (u0[q] * u0[q] + v0[q] * v0[q]);
        Z0 += 0.5 * w0[q] * w0[q];
        E1 += 0.5 * (u[q] * u[q] + v[q] * v[q]);
        Z1 += 0.5 * out[nn + q] * out[nn + q];
    }
    double dE = fabs(E1 - E0) / E0, dZ = fabs(Z1 - Z0) / Z0;
    /* Spectrum of the final field: largest kept / removed mode amplitudes and
     * the amplitude reached just below the cut (|k| = 10 for n = 32). */
    double kept = 0.0, cut = 0.0, edge = 0.0, w0max = 0.0;
    for (int ky = -n / 2 + 1; ky <= n / 2; ky++)
        for (int kx = 0; kx <= n / 2; kx++) {
            double a = dft_abs(out + nn, n, kx, ky);
            int big = 3 * kx >= n || 3 * abs(ky) >= n;
            if (big)
                cut = fmax(cut, a);
            else
                kept = fmax(kept, a);
            if (!big && (kx == 10 || abs(ky) == 10)) edge = fmax(edge, a);
            if (kx <= 4 && abs(ky) <= 4) w0max = fmax(w0max, dft_abs(w0, n, kx, ky));
        }
    printf("  inviscid T = %g: |dE|/E %.2e, |dZ|/Z %.2e; max mode above cut %.2e, at the cut "
           "edge %.2e (max %.2e)\n", T, dE, dZ, cut, edge, kept);
    CHECK(dE < 1e-9);
    CHECK(dZ < 1e-9);
    CHECK(cut < 1e-13 * kept);
    CHECK(edge > 1e-6 * kept); /* the cascade reached the cut */
    free(w0), free(out), free(u0), free(v0), free(u), free(v);
}

/* The FNO data-set setting (Li et al. 2021): L = 1, nu = 1e-3,
 * f = 0.1 (sin 2 pi (x+y) + cos 2 pi (x+y)), n = 64: dt = 1e-3 is converged
 * to ~1e-10 (against dt/2), the mean vorticity stays 0, and timing. */
static void test_ns_fno_setting(void)
{
    int n = 64;
    double L = 1.0, T = nt_test_quick() ? 0.25 : 1.0;
    size_t nn = (size_t)n * n;
    double *w0 = malloc(nn * sizeof(double)), *f = malloc(nn * sizeof(double));
    double *a = malloc(nn * sizeof(double)), *b = malloc(nn * sizeof(double));
    few_modes(n, L, 3.0, w0);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            double s = 2 * PI * ((double)i / n + (double)j / n);
            f[(size_t)j * n + i] = 0.1 * (sin(s) + cos(s));
        }
    nt_ns2d_config c = {n, L, 1e-3, 1e-3};
    double t0 = now_s();
    CHECK_OK(nt_ns2d_solve(&c, w0, f, &T, 1, a, NULL, NULL));
    double secs = now_s() - t0;
    c.dt = 5e-4;
    CHECK_OK(nt_ns2d_solve(&c, w0, f, &T, 1, b, NULL, NULL));
    double d = max_diff(a, b, nn) / max_abs(b, nn), mean = 0.0;
    for (size_t q = 0; q < nn; q++) mean += a[q];
    mean /= (double)nn;
    printf("  FNO setting n = 64, T = %g: %.3f s for %d steps (%.1f us/step), dt vs dt/2 %.2e, "
           "mean w %.1e\n", T, secs, (int)(T / 1e-3 + 0.5), secs / (T / 1e-3) * 1e6, d, mean);
    CHECK(d < 1e-8);
    CHECK(fabs(mean) < 1e-12);
    free(w0), free(f), free(a), free(b);
}

static void test_ns_bad_config(void)
{
    int n = 16;
    size_t nn = (size_t)n * n;
    double *w0 = calloc(nn, sizeof(double)), *out = malloc(2 * nn * sizeof(double));
    double t[2] = {0.0, 1.0};
    nt_ns2d_config c = {n, 1.0, 0.01, 0.01};
    CHECK_OK(nt_ns2d_solve(&c, w0, NULL, t, 2, out, NULL, NULL));
    c.n = 15;
    CHECK(nt_ns2d_solve(&c, w0, NULL, t, 2, out, NULL, NULL) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "even") != NULL);
    c.n = 6;
    CHECK(nt_ns2d_solve(&c, w0, NULL, t, 2, out, NULL, NULL) == NT_ERR_ARG);
    c.n = n;
    c.L = 0.0;
    CHECK(nt_ns2d_solve(&c, w0, NULL, t, 2, out, NULL, NULL) == NT_ERR_ARG);
    c.L = 1.0;
    c.nu = -1e-3;
    CHECK(nt_ns2d_solve(&c, w0, NULL, t, 2, out, NULL, NULL) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "nu") != NULL);
    c.nu = 0.01;
    c.dt = 0.0;
    CHECK(nt_ns2d_solve(&c, w0, NULL, t, 2, out, NULL, NULL) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "dt") != NULL);
    c.dt = NAN;
    CHECK(nt_ns2d_solve(&c, w0, NULL, t, 2, out, NULL, NULL) == NT_ERR_ARG);
    c.dt = 0.01;
    double tb[2] = {1.0, 0.5};
    CHECK(nt_ns2d_solve(&c, w0, NULL, tb, 2, out, NULL, NULL) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "t_out") != NULL);
    tb[0] = -1.0;
    CHECK(nt_ns2d_solve(&c, w0, NULL, tb, 1, out, NULL, NULL) == NT_ERR_ARG);
    w0[7] = NAN;
    CHECK(nt_ns2d_solve(&c, w0, NULL, t, 2, out, NULL, NULL) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "w0[7]") != NULL);
    w0[7] = 0.0;
    double *f = calloc(nn, sizeof(double));
    f[3] = INFINITY;
    CHECK(nt_ns2d_solve(&c, w0, f, t, 2, out, NULL, NULL) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "force[3]") != NULL);
    /* Blow-up: inviscid, strong field, far too large a step. */
    few_modes(n, 1.0, 200.0, w0);
    c.nu = 0.0;
    c.dt = 0.05;
    double tl = 20.0;
    CHECK(nt_ns2d_solve(&c, w0, NULL, &tl, 1, out, NULL, NULL) == NT_ERR_NUMERIC);
    CHECK(strstr(nt_error_msg(), "not finite at t = ") != NULL);
    printf("  blow-up message: %s\n", nt_error_msg());
    free(w0), free(out), free(f);
}

int main(void)
{
    RUN(test_cavity_ghia_re100);
    RUN(test_cavity_convergence);
    RUN(test_cavity_higher_re);
    RUN(test_cavity_bad_config);
    RUN(test_ns_taylor_green);
    RUN(test_ns_time_order);
    RUN(test_ns_kolmogorov);
    RUN(test_ns_dealias);
    RUN(test_ns_fno_setting);
    RUN(test_ns_bad_config);
    return nt_test_finish();
}

/* test_fd.c — finite-difference solvers: second-order convergence in h (with
 * dt ~ h) against exact and manufactured solutions for heat (CN), wave
 * (leapfrog), Poisson (box and L-shaped mask) and Darcy (smooth variable a, both
 * face means); second order in time alone against the semi-discrete solution
 * of a discrete eigenfunction; refinement convergence for piecewise-constant
 * a; exactness for quadratic solutions on odd, tiny, stretched and masked
 * grids; multigrid-PCG iteration counts and the 421x421 Darcy time; output
 * layout; argument checks. */
#include "harness.h"

#include "solvers/fd.h"

#include <stdlib.h>
#include <string.h>

#define PI NT_TEST_PI

static double max_err(const double *u, const double *ex, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(u[i] - ex[i]));
    return m;
}

/* Observed orders log2(e[i]/e[i+1]) must lie in [lo, hi]. */
static void check_orders(const char *what, const double *e, int n, double lo, double hi)
{
    printf("  %-34s err", what);
    for (int i = 0; i < n; i++) printf(" %.3e", e[i]);
    printf("  order");
    for (int i = 0; i + 1 < n; i++) printf(" %.3f", log2(e[i] / e[i + 1]));
    printf("\n");
    for (int i = 0; i + 1 < n; i++) {
        double o = log2(e[i] / e[i + 1]);
        if (!(o >= lo && o <= hi))
            nt_test_fail(__FILE__, __LINE__, "%s: observed order %.3f (level %d) not in [%.2f, %.2f]",
                         what, o, i, lo, hi);
    }
}

/* Fills ex[(iy*nx + ix)] = fn(x, t) on the grid. */
static void sample(const nt_fd_grid *g, nt_fd_fn fn, void *ctx, double t, double *ex)
{
    int nx = g->n[0], ny = g->dim == 2 ? g->n[1] : 1;
    double x[2] = {0, 0};
    for (int iy = 0; iy < ny; iy++) {
        if (g->dim == 2) x[1] = nt_fd_node(g, 1, iy);
        for (int ix = 0; ix < nx; ix++) {
            x[0] = nt_fd_node(g, 0, ix);
            ex[(size_t)iy * nx + ix] = fn(x, t, ctx);
        }
    }
}

static size_t nodes(const nt_fd_grid *g)
{
    return (size_t)g->n[0] * (size_t)(g->dim == 2 ? g->n[1] : 1);
}

/* ---- Heat ------------------------------------------------------------------ */

typedef struct heat_ctx {
    double kappa, lam; /* lam: decay rate override (discrete eigenvalue), 0 = exact */
    int kx, ky;
} heat_ctx;

/* exp(-kappa lam t) sin(kx pi x) sin(ky pi y) (1D: ky ignored) */
static double heat_eig(const double *x, double t, void *vc, int dim)
{
    heat_ctx *c = vc;
    double lam = c->lam > 0 ? c->lam : PI * PI * (c->kx * c->kx + (dim == 2 ? c->ky * c->ky : 0));
    double s = sin(c->kx * PI * x[0]);
    if (dim == 2) s *= sin(c->ky * PI * x[1]);
    return exp(-c->kappa * lam * t) * s;
}
static double heat_eig1(const double *x, double t, void *c) { return heat_eig(x, t, c, 1); }
static double heat_eig2(const double *x, double t, void *c) { return heat_eig(x, t, c, 2); }

/* 1D manufactured: u = cos t sin 2x + x^2 t + 1 */
static double hm1_u(const double *x, double t, void *c)
{
    return cos(t) * sin(2 * x[0]) + x[0] * x[0] * t + 1.0;
}
static double hm1_f(const double *x, double t, void *vc)
{
    double k = ((heat_ctx *)vc)->kappa;
    double ut = -sin(t) * sin(2 * x[0]) + x[0] * x[0];
    double uxx = -4 * cos(t) * sin(2 * x[0]) + 2 * t;
    return ut - k * uxx;
}

/* 2D manufactured: u = e^{-t} sin(x + 2y) + t x y */
static double hm2_u(const double *x, double t, void *c)
{
    return exp(-t) * sin(x[0] + 2 * x[1]) + t * x[0] * x[1];
}
static double hm2_f(const double *x, double t, void *vc)
{
    double k = ((heat_ctx *)vc)->kappa;
    double s = exp(-t) * sin(x[0] + 2 * x[1]);
    return -s + x[0] * x[1] + 5 * k * s;
}

/* Runs heat to T (outputs at frac T and T) and returns the max error at T. */
static double heat_run_at(nt_fd_heat_config *c, nt_fd_fn exact, double T, double frac,
                          nt_fd_info *info)
{
    size_t N = nodes(&c->grid);
    double *out = malloc(2 * N * sizeof *out), *ex = malloc(N * sizeof *ex);
    double t[2] = {frac * T, T};
    double e = INFINITY;
    nt_status st = nt_fd_heat_solve(c, t, 2, out, info);
    CHECK_OK(st);
    if (st == NT_OK) {
        sample(&c->grid, exact, c->ctx, T, ex);
        e = max_err(out + N, ex, N);
    }
    free(out);
    free(ex);
    return e;
}

static double heat_run(nt_fd_heat_config *c, nt_fd_fn exact, double T, nt_fd_info *info)
{
    return heat_run_at(c, exact, T, 0.5, info);
}

static void test_heat1d_order(void)
{
    heat_ctx hc = {0.5, 0, 1, 0};
    nt_fd_heat_config c;
    double e[4], e2[4];
    for (int l = 0; l < 4; l++) {
        int n = (16 << l) + 1;
        nt_fd_heat_config_default(&c, 1);
        c.grid.n[0] = n;
        c.kappa = hc.kappa;
        c.dt = 1.0 / (n - 1);
        c.u0 = c.g = heat_eig1;
        c.ctx = &hc;
        e[l] = heat_run(&c, heat_eig1, 0.5, NULL);
        /* manufactured with source and time-dependent boundary on [-0.5, 1] */
        c.grid.lo[0] = -0.5;
        c.grid.n[0] = (24 << l) + 1;
        c.dt = 1.5 / (c.grid.n[0] - 1);
        c.u0 = c.g = hm1_u;
        c.f = hm1_f;
        e2[l] = heat_run(&c, hm1_u, 1.0, NULL);
    }
    check_orders("heat 1D eigenmode (dt = h)", e, 4, 1.8, 2.3);
    check_orders("heat 1D manufactured (dt = h)", e2, 4, 1.8, 2.3);
    CHECK(e[3] < 1e-4 && e2[3] < 1e-4);
}

/* Discrete eigenvalue of -D2 for sin(k pi x) on n nodes of [0, 1]. */
static double disc_lam(int k, int n)
{
    double h = 1.0 / (n - 1), s = sin(k * PI * h / 2);
    return 4.0 / (h * h) * s * s;
}

static void test_heat_time_order(void)
{
    /* With the discrete eigenvalue the semi-discrete solution is exact in
     * space, so the error is CN's time error only. */
    for (int dim = 1; dim <= 2; dim++) {
        int n = dim == 1 ? 65 : 17;
        heat_ctx hc = {dim == 1 ? 1.0 : 0.2, 0, 1, 2};
        hc.lam = disc_lam(1, n) + (dim == 2 ? disc_lam(2, n) : 0.0);
        nt_fd_heat_config c;
        double e[3];
        nt_fd_info info;
        for (int l = 0; l < 3; l++) {
            nt_fd_heat_config_default(&c, dim);
            c.grid.n[0] = c.grid.n[1] = n;
            c.kappa = hc.kappa;
            c.dt = 0.02 / (1 << l);
            c.u0 = c.g = dim == 1 ? heat_eig1 : heat_eig2;
            c.ctx = &hc;
            c.tol = 1e-12;
            e[l] = heat_run(&c, c.u0, 0.2, &info);
            CHECK(info.steps == 10 << l);
        }
        check_orders(dim == 1 ? "heat 1D CN time order" : "heat 2D CN time order", e, 3, 1.9, 2.1);
    }
}

static void test_heat2d_order(void)
{
    int L = nt_test_quick() ? 3 : 4;
    heat_ctx hc = {0.1, 0, 1, 2};
    nt_fd_heat_config c;
    double e[4], e2[4];
    nt_fd_info info;
    for (int l = 0; l < L; l++) {
        int n = (8 << l) + 1;
        nt_fd_heat_config_default(&c, 2);
        c.grid.n[0] = c.grid.n[1] = n;
        c.kappa = hc.kappa;
        c.dt = 1.0 / (n - 1);
        c.u0 = c.g = heat_eig2;
        c.ctx = &hc;
        e[l] = heat_run(&c, heat_eig2, 1.0, &info);
        /* manufactured on the non-square box [0,1] x [-0.5,1] (nx != ny) */
        c.grid.n[0] = (8 << l) + 1;
        c.grid.n[1] = (12 << l) + 1;
        c.grid.lo[1] = -0.5;
        c.u0 = c.g = hm2_u;
        c.f = hm2_f;
        e2[l] = heat_run(&c, hm2_u, 1.0, &info);
        CHECK(info.max_iters <= 12); /* multigrid PCG from the previous step */
        printf("  heat 2D %dx%d: %d steps, %d CG iterations (max %d / step)\n", c.grid.n[0],
               c.grid.n[1], info.steps, info.iters, info.max_iters);
        if (l == 2) {
            /* unequal output intervals (0.37, 0.63): two step sizes <= dt, so the
             * multigrid hierarchy is rebuilt; the error stays at the uniform level */
            double e3 = heat_run_at(&c, hm2_u, 1.0, 0.37, &info);
            printf("  heat 2D manufactured, steps 0.37/%d, 0.63/%d: err %.3e\n",
                   (int)ceil(0.37 * 32 - 1e-9), (int)ceil(0.63 * 32 - 1e-9), e3);
            CHECK(info.steps == 12 + 21);
            CHECK(e3 < 1.2 * e2[l]);
        }
    }
    check_orders("heat 2D eigenmode (dt = h)", e, L, 1.8, 2.3);
    check_orders("heat 2D manufactured (dt = h)", e2, L, 1.8, 2.3);
}

/* ---- Wave ------------------------------------------------------------------ */

typedef struct wave_ctx {
    double c, omega; /* omega: angular frequency override (discrete), 0 = exact */
    int kx, ky, dim;
} wave_ctx;

static double wave_omega(const wave_ctx *w)
{
    if (w->omega > 0) return w->omega;
    return w->c * PI * sqrt((double)(w->kx * w->kx + (w->dim == 2 ? w->ky * w->ky : 0)));
}

/* standing wave with nonzero start velocity: X(x) (cos wt + sin wt) */
static double ws_shape(const double *x, const wave_ctx *w)
{
    double s = sin(w->kx * PI * x[0]);
    if (w->dim == 2) s *= sin(w->ky * PI * x[1]);
    return s;
}
static double ws_u(const double *x, double t, void *vc)
{
    wave_ctx *w = vc;
    double om = wave_omega(w);
    return ws_shape(x, w) * (cos(om * t) + sin(om * t));
}
static double ws_v0(const double *x, double t, void *vc)
{
    wave_ctx *w = vc;
    return ws_shape(x, w) * wave_omega(w);
}

/* manufactured with source and moving boundary: u = sin(x - t) cos(y + t/2)
 * (1D: y = 0.3); f = u_tt - c^2 Δu */
static double wm_u(const double *x, double t, void *vc)
{
    wave_ctx *w = vc;
    double y = w->dim == 2 ? x[1] : 0.3;
    return sin(x[0] - t) * cos(y + 0.5 * t);
}
static double wm_v(const double *x, double t, void *vc)
{
    wave_ctx *w = vc;
    double y = w->dim == 2 ? x[1] : 0.3;
    double a = x[0] - t, b = y + 0.5 * t;
    return -cos(a) * cos(b) - 0.5 * sin(a) * sin(b);
}
static double wm_f(const double *x, double t, void *vc)
{
    wave_ctx *w = vc;
    double y = w->dim == 2 ? x[1] : 0.3;
    double a = x[0] - t, b = y + 0.5 * t;
    /* u_tt = -1.25 sin a cos b + cos a sin b ; u_xx = -sin a cos b ; u_yy = -sin a cos b */
    double utt = -1.25 * sin(a) * cos(b) + cos(a) * sin(b);
    double lap = -sin(a) * cos(b) * (w->dim == 2 ? 2.0 : 1.0);
    return utt - w->c * w->c * lap;
}

static double wave_run(nt_fd_wave_config *c, nt_fd_fn exact, double T, nt_fd_info *info)
{
    size_t N = nodes(&c->grid);
    double *out = malloc(3 * N * sizeof *out), *ex = malloc(N * sizeof *ex);
    double t[3] = {0.0, 0.3 * T, T};
    double e = INFINITY;
    nt_status st = nt_fd_wave_solve(c, t, 3, out, info);
    CHECK_OK(st);
    if (st == NT_OK) {
        sample(&c->grid, exact, c->ctx, T, ex);
        e = max_err(out + 2 * N, ex, N);
    }
    free(out);
    free(ex);
    return e;
}

static void test_wave_order(void)
{
    for (int dim = 1; dim <= 2; dim++) {
        int L = dim == 2 && nt_test_quick() ? 3 : 4;
        wave_ctx ws = {1.5, 0, 1, 2, dim}, wm = {0.8, 0, 0, 0, dim};
        double e[4], e2[4];
        nt_fd_wave_config c;
        for (int l = 0; l < L; l++) {
            int n = ((dim == 1 ? 8 : 16) << l) + 1;
            double h = 1.0 / (n - 1);
            nt_fd_wave_config_default(&c, dim);
            c.grid.n[0] = c.grid.n[1] = n;
            c.c = ws.c;
            c.dt = 0.5 * h / (c.c * sqrt((double)dim));
            c.u0 = c.g = ws_u;
            c.v0 = ws_v0;
            c.ctx = &ws;
            e[l] = wave_run(&c, ws_u, 1.0, NULL);
            c.c = wm.c;
            c.dt = 0.5 * h / (c.c * sqrt((double)dim));
            c.u0 = c.g = wm_u;
            c.v0 = wm_v;
            c.f = wm_f;
            c.ctx = &wm;
            e2[l] = wave_run(&c, wm_u, 1.0, NULL);
        }
        check_orders(dim == 1 ? "wave 1D standing (dt ~ h)" : "wave 2D standing (dt ~ h)", e, L,
                     1.8, 2.3);
        check_orders(dim == 1 ? "wave 1D manufactured (dt ~ h)" : "wave 2D manufactured (dt ~ h)",
                     e2, L, 1.8, 2.3);
    }
}

static void test_wave_time_order(void)
{
    /* Discrete eigenfunction: the semi-discrete solution is X(x)(cos wt + sin wt)
     * with w = c sqrt(lambda_h): only the leapfrog time error remains (also that
     * of the start step, since v0 != 0). */
    for (int dim = 1; dim <= 2; dim++) {
        int n = dim == 1 ? 65 : 33;
        wave_ctx w = {1.0, 0, 1, 2, dim};
        w.omega = w.c * sqrt(disc_lam(1, n) + (dim == 2 ? disc_lam(2, n) : 0.0));
        double e[3];
        nt_fd_wave_config c;
        for (int l = 0; l < 3; l++) {
            nt_fd_wave_config_default(&c, dim);
            c.grid.n[0] = c.grid.n[1] = n;
            c.c = w.c;
            c.dt = 0.9 / (n - 1) / sqrt((double)dim) / (1 << l); /* 0.9 x CFL limit, /2, /4 */
            c.u0 = c.g = ws_u;
            c.v0 = ws_v0;
            c.ctx = &w;
            e[l] = wave_run(&c, ws_u, 1.0, NULL);
        }
        check_orders(dim == 1 ? "wave 1D leapfrog time order" : "wave 2D leapfrog time order", e,
                     3, 1.9, 2.1);
    }
}

/* ---- Poisson --------------------------------------------------------------- */

/* u = sin(pi x) e^y + x y^2 */
static double pm_u(const double *x, double t, void *c)
{
    return sin(PI * x[0]) * exp(x[1]) + x[0] * x[1] * x[1];
}
static double pm_f(const double *x, double t, void *c)
{
    return (PI * PI - 1.0) * sin(PI * x[0]) * exp(x[1]) - 2.0 * x[0];
}

/* L shape on [-1,1]^2: the quadrant x >= 0, y <= 0 is removed */
static double lshape(const double *x, double t, void *c)
{
    return (x[0] < -1e-9 || x[1] > 1e-9) ? 1.0 : -1.0;
}
/* u = e^x cos 2y + x^2 y */
static double pl_u(const double *x, double t, void *c)
{
    return exp(x[0]) * cos(2 * x[1]) + x[0] * x[0] * x[1];
}
static double pl_f(const double *x, double t, void *c)
{
    return 3.0 * exp(x[0]) * cos(2 * x[1]) - 2.0 * x[1];
}

static void test_poisson_order(void)
{
    int L = nt_test_quick() ? 3 : 4;
    double e[4], e2[4];
    for (int l = 0; l < L; l++) {
        int n = (16 << l) + 1;
        nt_fd_elliptic_config c;
        nt_fd_elliptic_config_default(&c);
        c.grid.n[0] = c.grid.n[1] = n;
        c.f = pm_f;
        c.g = pm_u;
        size_t N = (size_t)n * n;
        double *u = malloc(N * sizeof *u), *ex = malloc(N * sizeof *ex);
        nt_fd_info info;
        CHECK_OK(nt_fd_poisson_solve(&c, u, &info));
        sample(&c.grid, pm_u, NULL, 0, ex);
        e[l] = max_err(u, ex, N);
        CHECK(info.iters <= 12 && info.rel_res <= c.tol);
        printf("  poisson box n=%d: %d CG iterations, rel res %.2e\n", n, info.iters, info.rel_res);

        /* L shape */
        c.grid.lo[0] = c.grid.lo[1] = -1.0;
        c.inside = lshape;
        c.f = pl_f;
        c.g = pl_u;
        CHECK_OK(nt_fd_poisson_solve(&c, u, &info));
        sample(&c.grid, pl_u, NULL, 0, ex);
        e2[l] = max_err(u, ex, N);
        /* masked-out nodes hold g exactly */
        int bad = 0;
        double x[2];
        for (int iy = 0; iy < n; iy++)
            for (int ix = 0; ix < n; ix++) {
                x[0] = nt_fd_node(&c.grid, 0, ix);
                x[1] = nt_fd_node(&c.grid, 1, iy);
                if (lshape(x, 0, NULL) < 0 && u[(size_t)iy * n + ix] != pl_u(x, 0, NULL)) bad++;
            }
        CHECK(bad == 0);
        CHECK(info.iters <= 15);
        printf("  poisson L-shape n=%d: %d CG iterations\n", n, info.iters);
        free(u);
        free(ex);
    }
    check_orders("poisson box manufactured", e, L, 1.8, 2.3);
    check_orders("poisson L-shape manufactured", e2, L, 1.8, 2.3);
}

/* ---- Darcy ----------------------------------------------------------------- */

static double dm_a(double x, double y) { return 1.0 + 0.5 * sin(2 * PI * x) * sin(2 * PI * y); }
static double dm_u(const double *x, double t, void *c) { return sin(PI * x[0]) * sin(PI * x[1]); }
static double dm_f(const double *x, double t, void *c)
{
    double X = x[0], Y = x[1];
    double a = dm_a(X, Y);
    double ax = PI * cos(2 * PI * X) * sin(2 * PI * Y), ay = PI * sin(2 * PI * X) * cos(2 * PI * Y);
    double ux = PI * cos(PI * X) * sin(PI * Y), uy = PI * sin(PI * X) * cos(PI * Y);
    double lap = -2 * PI * PI * sin(PI * X) * sin(PI * Y);
    return -(ax * ux + ay * uy + a * lap);
}
static double one(const double *x, double t, void *c) { return 1.0; }

static void fill_a(const nt_fd_grid *g, double (*fa)(double, double), double *a)
{
    for (int iy = 0; iy < g->n[1]; iy++)
        for (int ix = 0; ix < g->n[0]; ix++)
            a[(size_t)iy * g->n[0] + ix] = fa(nt_fd_node(g, 0, ix), nt_fd_node(g, 1, iy));
}

static void test_darcy_smooth_order(void)
{
    int L = nt_test_quick() ? 3 : 4;
    for (int mean = 0; mean < 2; mean++) {
        double e[4];
        for (int l = 0; l < L; l++) {
            int n = (16 << l) + 1;
            nt_fd_elliptic_config c;
            nt_fd_elliptic_config_default(&c);
            c.grid.n[0] = c.grid.n[1] = n;
            size_t N = (size_t)n * n;
            double *u = malloc(N * sizeof *u), *ex = malloc(N * sizeof *ex);
            double *a = malloc(N * sizeof *a);
            fill_a(&c.grid, dm_a, a);
            c.a = a;
            c.mean = mean;
            c.f = dm_f;
            nt_fd_info info;
            CHECK_OK(nt_fd_darcy_solve(&c, u, &info));
            CHECK(info.iters <= 15);
            sample(&c.grid, dm_u, NULL, 0, ex);
            e[l] = max_err(u, ex, N);
            free(u);
            free(ex);
            free(a);
        }
        check_orders(mean ? "darcy smooth a (harmonic)" : "darcy smooth a (arithmetic)", e, L,
                     1.8, 2.3);
    }
}

/* piecewise constant: 12 in a disk and a bar, 3 elsewhere */
static double pw_a(double x, double y)
{
    double r2 = (x - 0.4) * (x - 0.4) + (y - 0.55) * (y - 0.55);
    if (r2 < 0.07) return 12.0;
    if (x > 0.7 && x < 0.85 && y > 0.1 && y < 0.8) return 12.0;
    return 3.0;
}

static void test_darcy_piecewise_refine(void)
{
    int q = nt_test_quick();
    int nf = q ? 257 : 513, L = q ? 3 : 4;
    nt_fd_elliptic_config c;
    nt_fd_elliptic_config_default(&c);
    c.grid.n[0] = c.grid.n[1] = nf;
    c.f = one;
    size_t Nf = (size_t)nf * nf;
    double *uf = malloc(Nf * sizeof *uf), *a = malloc(Nf * sizeof *a);
    fill_a(&c.grid, pw_a, a);
    c.a = a;
    nt_fd_info info;
    CHECK_OK(nt_fd_darcy_solve(&c, uf, &info));
    printf("  darcy piecewise reference n=%d: %d CG iterations\n", nf, info.iters);
    double e[4];
    for (int l = 0; l < L; l++) {
        int n = (16 << l) + 1, s = (nf - 1) / (n - 1);
        c.grid.n[0] = c.grid.n[1] = n;
        size_t N = (size_t)n * n;
        double *u = malloc(N * sizeof *u), *ac = malloc(N * sizeof *ac);
        fill_a(&c.grid, pw_a, ac);
        c.a = ac;
        CHECK_OK(nt_fd_darcy_solve(&c, u, &info));
        double m = 0.0;
        for (int iy = 0; iy < n; iy++)
            for (int ix = 0; ix < n; ix++)
                m = fmax(m, fabs(u[(size_t)iy * n + ix] - uf[(size_t)iy * s * nf + (size_t)ix * s]));
        e[l] = m;
        free(u);
        free(ac);
    }
    printf("  darcy piecewise vs n=%d:", nf);
    for (int l = 0; l < L; l++) printf(" %.3e", e[l]);
    printf("\n");
    /* converges under refinement (below second order for a jumping coefficient
     * sampled at the nodes): the error vs the reference falls at every level
     * and on average at least like h^0.4 */
    for (int l = 0; l + 1 < L; l++) CHECK(e[l + 1] < 0.9 * e[l]);
    CHECK(e[0] / e[L - 1] >= pow(2.0, 0.4 * (L - 1)));
    free(uf);
    free(a);
}

/* FNO-style data: 421x421, a in {3, 12} (thresholded smooth field), f = 1. */
static double fno_a(double x, double y)
{
    double s = sin(2.3 * PI * x + 0.4) * cos(1.7 * PI * y) + 0.6 * sin(4.1 * PI * (x + y) + 1.1) +
               0.4 * cos(5.3 * PI * x * y + 0.2) - 0.3 * sin(6.7 * PI * y - 2.0 * x);
    return s >= 0 ? 12.0 : 3.0;
}

static void test_darcy_fno_timing(void)
{
    int n = nt_test_quick() ? 141 : 421;
    nt_fd_elliptic_config c;
    nt_fd_elliptic_config_default(&c);
    c.grid.n[0] = c.grid.n[1] = n;
    c.f = one;
    c.tol = 1e-8;
    size_t N = (size_t)n * n;
    double *u = malloc(N * sizeof *u), *a = malloc(N * sizeof *a);
    fill_a(&c.grid, fno_a, a);
    c.a = a;
    nt_fd_info info;
    double best = INFINITY;
    for (int r = 0; r < 3; r++) {
        double t0 = nt_time_now();
        CHECK_OK(nt_fd_darcy_solve(&c, u, &info));
        best = fmin(best, nt_time_now() - t0);
    }
    printf("  darcy %dx%d, a in {3,12}, tol 1e-8: %d CG iterations, %.3f s (best of 3)\n", n, n,
           info.iters, best);
    CHECK(info.iters <= 20);
    CHECK(info.rel_res <= 1e-8);
    /* the discrete maximum principle: 0 < u in the interior, u = 0 on the boundary,
     * and u below the a = 3 bound of the unit square (max 0.0737/3) */
    double mn = INFINITY, mx = -INFINITY;
    for (int iy = 1; iy < n - 1; iy++)
        for (int ix = 1; ix < n - 1; ix++) {
            mn = fmin(mn, u[(size_t)iy * n + ix]);
            mx = fmax(mx, u[(size_t)iy * n + ix]);
        }
    CHECK(mn > 0.0 && mx < 0.0737 / 3.0 * 1.01 && mx > 0.0737 / 12.0);
    CHECK(u[0] == 0.0 && u[N - 1] == 0.0);
    free(u);
    free(a);
}

/* ---- Exactness for quadratics ----------------------------------------------
 * The 3/5-point Laplacian is exact for quadratic u, and so is the arithmetic
 * flux form for linear a, on any grid: the discrete solution must match to
 * rounding. Exercises unequal nx/ny, odd interval counts, semi-coarsening
 * (one dimension down to 3 nodes), masks and the tiny grids. */

static double q_u(const double *x, double t, void *c)
{
    return x[0] * x[0] + 2 * x[1] * x[1] - x[0] * x[1] + 0.5 * x[0] - 1.0;
}
static double q_a(double x, double y) { return 1.0 + x + 2 * y; }
static double q_fp(const double *x, double t, void *c) { return -6.0; }
static double q_fd(const double *x, double t, void *c)
{
    double ux = 2 * x[0] - x[1] + 0.5, uy = 4 * x[1] - x[0];
    return -(1.0 * ux + 2.0 * uy + q_a(x[0], x[1]) * 6.0);
}
static double none_inside(const double *x, double t, void *c) { return -1.0; }
/* a hole: the disk of radius 0.2 around (0.5, 0.4) is Dirichlet */
static double holed(const double *x, double t, void *c)
{
    return (x[0] - 0.5) * (x[0] - 0.5) + (x[1] - 0.4) * (x[1] - 0.4) - 0.04;
}

typedef struct qt_ctx {
    int dim;
    double k; /* kappa or c */
} qt_ctx;
/* Δq = 2 (1D, where y = 0) or 6 (2D) */
static double q_lap(const qt_ctx *q) { return q->dim == 2 ? 6.0 : 2.0; }
static double qh_u(const double *x, double t, void *c) { return q_u(x, 0, NULL) + 3.0 * t; }
static double qh_f(const double *x, double t, void *vc)
{
    qt_ctx *q = vc;
    return 3.0 - q->k * q_lap(q);
}
static double qw_u(const double *x, double t, void *c)
{
    return q_u(x, 0, NULL) + 0.7 * t + 1.5 * t * t;
}
static double qw_v(const double *x, double t, void *c) { return 0.7 + 3.0 * t; }
static double qw_f(const double *x, double t, void *vc)
{
    qt_ctx *q = vc;
    return 3.0 - q->k * q->k * q_lap(q);
}

static void test_exact_quadratic(void)
{
    int sizes[][2] = {{3, 3}, {4, 7}, {5, 9}, {101, 37}, {421, 13}, {12, 250}};
    int ns = nt_test_quick() ? 4 : 6, maxit = 0;
    double worst = 0.0;
    for (int i = 0; i < ns; i++) {
        for (int variant = 0; variant < 3; variant++) {
            nt_fd_elliptic_config c;
            nt_fd_elliptic_config_default(&c);
            c.grid.n[0] = sizes[i][0];
            c.grid.n[1] = sizes[i][1];
            c.grid.lo[0] = -0.3;
            c.grid.hi[1] = 0.9;
            c.tol = 1e-12;
            c.g = q_u;
            size_t N = nodes(&c.grid);
            double *u = malloc(N * sizeof *u), *ex = malloc(N * sizeof *ex);
            double *a = malloc(N * sizeof *a);
            fill_a(&c.grid, q_a, a);
            nt_fd_info info;
            if (variant == 0) {
                c.f = q_fp;
                CHECK_OK(nt_fd_poisson_solve(&c, u, &info));
            } else {
                c.a = a;
                c.f = q_fd;
                c.inside = variant == 2 ? holed : NULL;
                CHECK_OK(nt_fd_darcy_solve(&c, u, &info));
            }
            sample(&c.grid, q_u, NULL, 0, ex);
            double e = max_err(u, ex, N);
            /* stretched cells (421x13: hy = 24 hx) need the semi-coarsening */
            if (!(e < 1e-10) || info.iters > 15)
                nt_test_fail(__FILE__, __LINE__, "%dx%d variant %d: max error %.3e (%d iterations)",
                             sizes[i][0], sizes[i][1], variant, e, info.iters);
            worst = fmax(worst, e);
            maxit = info.iters > maxit ? info.iters : maxit;
            free(u);
            free(ex);
            free(a);
        }
    }
    printf("  quadratic u, Poisson/Darcy/holed Darcy on %d grids: max error %.2e, max %d "
           "iterations\n", ns, worst, maxit);
    /* every node masked out: the solution is g, no iterations */
    nt_fd_elliptic_config c;
    nt_fd_elliptic_config_default(&c);
    c.grid.n[0] = c.grid.n[1] = 9;
    c.g = q_u;
    c.f = q_fp;
    c.inside = none_inside;
    double u[81], ex[81];
    nt_fd_info info;
    CHECK_OK(nt_fd_poisson_solve(&c, u, &info));
    sample(&c.grid, q_u, NULL, 0, ex);
    CHECK(max_err(u, ex, 81) == 0.0 && info.iters == 0);

    /* heat and wave: u = q(x) + 3t (heat), q(x) + 0.7 t + 1.5 t^2 (wave) are
     * reproduced exactly by CN / leapfrog with the exact Laplacian, on the
     * smallest grids (one unknown per dimension) and on unequal ones */
    int tg[][2] = {{3, 3}, {7, 5}};
    for (int dim = 1; dim <= 2; dim++)
        for (int gi = 0; gi < 2; gi++) {
            qt_ctx q = {dim, 0.9};
            nt_fd_heat_config h;
            nt_fd_heat_config_default(&h, dim);
            h.grid.n[0] = tg[gi][0];
            h.grid.n[1] = tg[gi][1];
            h.grid.lo[0] = -0.3;
            h.kappa = q.k;
            h.dt = 0.1;
            h.u0 = h.g = qh_u;
            h.f = qh_f;
            h.ctx = &q;
            size_t N = nodes(&h.grid);
            double out[2 * 35], exq[35], t[2] = {0.0, 0.35};
            CHECK_OK(nt_fd_heat_solve(&h, t, 2, out, &info));
            sample(&h.grid, qh_u, &q, 0.35, exq);
            CHECK(max_err(out + N, exq, N) < 1e-12);
            nt_fd_wave_config w;
            nt_fd_wave_config_default(&w, dim);
            w.grid = h.grid;
            w.c = q.k;
            w.dt = 0.05;
            w.u0 = w.g = qw_u;
            w.v0 = qw_v;
            w.f = qw_f;
            w.ctx = &q;
            CHECK_OK(nt_fd_wave_solve(&w, t, 2, out, &info));
            sample(&w.grid, qw_u, &q, 0.35, exq);
            CHECK(max_err(out + N, exq, N) < 1e-12);
        }
}

/* ---- Output layout and argument checks -------------------------------------- */

static double lay_u0(const double *x, double t, void *c) { return 10 * x[0] + 100 * x[1]; }
static double lay_g(const double *x, double t, void *c) { return -1.0 - t; }

static void test_layout(void)
{
    nt_fd_heat_config c;
    nt_fd_heat_config_default(&c, 2);
    c.grid.n[0] = 5;
    c.grid.n[1] = 4;
    c.grid.hi[1] = 3.0;
    c.dt = 0.01;
    c.u0 = lay_u0;
    c.g = lay_g;
    double t[3] = {0.0, 0.0, 0.05};
    double out[3 * 20];
    nt_fd_info info;
    CHECK_OK(nt_fd_heat_solve(&c, t, 3, out, &info));
    CHECK(info.steps == 5);
    /* snapshot 0: u0 inside, g(., 0) = -1 on the boundary; x fastest */
    CHECK_NEAR(out[1 * 5 + 2], 10 * 0.5 + 100 * 1.0, 1e-12);
    CHECK_NEAR(out[2 * 5 + 3], 10 * 0.75 + 100 * 2.0, 1e-12);
    CHECK(out[0] == -1.0 && out[4] == -1.0 && out[3 * 5 + 2] == -1.0);
    CHECK(memcmp(out, out + 20, 20 * sizeof(double)) == 0);
    CHECK_NEAR(out[40 + 0], -1.05, 1e-12);
    CHECK_NEAR(out[40 + 19], -1.05, 1e-12);
}

static double bad_f(const double *x, double t, void *c) { return x[0] > 0.5 ? NAN : 0.0; }

static int msg_has(const char *s) { return strstr(nt_error_msg(), s) != NULL; }

static void test_bad_config(void)
{
    double t[2] = {0.1, 0.2}, out[2 * 64 * 64], u[64 * 64];
    nt_fd_heat_config h;
    nt_fd_heat_config_default(&h, 1);
    h.grid.n[0] = 2;
    h.dt = 0.01;
    h.u0 = lay_u0;
    CHECK(nt_fd_heat_solve(&h, t, 2, out, NULL) == NT_ERR_ARG && msg_has("n[0] must be >= 3"));
    h.grid.n[0] = 9;
    h.dt = 0.0;
    CHECK(nt_fd_heat_solve(&h, t, 2, out, NULL) == NT_ERR_ARG && msg_has("dt"));
    h.dt = -0.1;
    CHECK(nt_fd_heat_solve(&h, t, 2, out, NULL) == NT_ERR_ARG && msg_has("dt"));
    h.dt = NAN;
    CHECK(nt_fd_heat_solve(&h, t, 2, out, NULL) == NT_ERR_ARG && msg_has("dt"));
    h.dt = 0.01;
    h.kappa = 0.0;
    CHECK(nt_fd_heat_solve(&h, t, 2, out, NULL) == NT_ERR_ARG && msg_has("kappa"));
    h.kappa = 1.0;
    h.grid.hi[0] = h.grid.lo[0];
    CHECK(nt_fd_heat_solve(&h, t, 2, out, NULL) == NT_ERR_ARG && msg_has("hi > lo"));
    h.grid.hi[0] = 1.0;
    h.grid.dim = 3;
    CHECK(nt_fd_heat_solve(&h, t, 2, out, NULL) == NT_ERR_ARG && msg_has("dim"));
    h.grid.dim = 1;
    double tb[2] = {0.2, 0.1};
    CHECK(nt_fd_heat_solve(&h, tb, 2, out, NULL) == NT_ERR_ARG && msg_has("non-decreasing"));
    h.f = bad_f;
    CHECK(nt_fd_heat_solve(&h, t, 2, out, NULL) == NT_ERR_ARG && msg_has("f(x = 0.625"));
    h.f = NULL;
    h.u0 = NULL;
    CHECK(nt_fd_heat_solve(&h, t, 2, out, NULL) == NT_ERR_ARG && msg_has("u0"));

    nt_fd_wave_config w;
    nt_fd_wave_config_default(&w, 2);
    w.grid.n[0] = w.grid.n[1] = 33; /* h = 1/32: CFL limit dt <= 1/(32 sqrt 2) = 0.0221 */
    w.u0 = lay_u0;
    w.dt = 0.025;
    CHECK(nt_fd_wave_solve(&w, t, 2, out, NULL) == NT_ERR_ARG && msg_has("CFL"));
    printf("  CFL message: %s\n", nt_error_msg());
    w.dt = 0.022;
    CHECK_OK(nt_fd_wave_solve(&w, t, 2, out, NULL));
    w.c = 2.0;
    CHECK(nt_fd_wave_solve(&w, t, 2, out, NULL) == NT_ERR_ARG && msg_has("CFL"));
    w.c = 1.0;
    w.grid.n[1] = 1;
    CHECK(nt_fd_wave_solve(&w, t, 2, out, NULL) == NT_ERR_ARG && msg_has("n[1] must be >= 3"));
    w.grid.n[1] = 33;
    w.dt = 0.0;
    CHECK(nt_fd_wave_solve(&w, t, 2, out, NULL) == NT_ERR_ARG && msg_has("dt"));

    nt_fd_elliptic_config e;
    nt_fd_elliptic_config_default(&e);
    e.grid.n[0] = e.grid.n[1] = 2;
    CHECK(nt_fd_poisson_solve(&e, u, NULL) == NT_ERR_ARG && msg_has("n[0] must be >= 3"));
    e.grid.n[0] = e.grid.n[1] = 64;
    e.grid.dim = 1;
    CHECK(nt_fd_poisson_solve(&e, u, NULL) == NT_ERR_ARG && msg_has("dim must be 2"));
    e.grid.dim = 2;
    CHECK(nt_fd_darcy_solve(&e, u, NULL) == NT_ERR_ARG && msg_has("a is required"));
    double *a = malloc(64 * 64 * sizeof *a);
    for (int i = 0; i < 64 * 64; i++) a[i] = 1.0;
    a[100] = -1.0;
    e.a = a;
    CHECK(nt_fd_darcy_solve(&e, u, NULL) == NT_ERR_ARG && msg_has("a[100]"));
    a[100] = 1.0;
    e.mean = 7;
    CHECK(nt_fd_darcy_solve(&e, u, NULL) == NT_ERR_ARG && msg_has("mean"));
    e.mean = NT_FD_MEAN_HARMONIC;
    e.tol = 0.0;
    CHECK(nt_fd_darcy_solve(&e, u, NULL) == NT_ERR_ARG && msg_has("tol"));
    /* CG that cannot converge in the allowed iterations */
    e.tol = 1e-14;
    e.max_iter = 1;
    e.f = one;
    CHECK(nt_fd_darcy_solve(&e, u, NULL) == NT_ERR_NUMERIC && msg_has("relative residual"));
    printf("  CG message: %s\n", nt_error_msg());
    /* a tolerance below the rounding floor stops early with a clear message */
    e.max_iter = 500;
    e.tol = 1e-17;
    double t0 = nt_time_now();
    CHECK(nt_fd_darcy_solve(&e, u, NULL) == NT_ERR_NUMERIC && msg_has("stagnated"));
    CHECK(nt_time_now() - t0 < 1.0);
    printf("  CG message: %s\n", nt_error_msg());
    e.tol = 1e-10;
    nt_fd_info info;
    CHECK_OK(nt_fd_darcy_solve(&e, u, &info));
    CHECK(info.iters <= 12 && info.rel_res <= 1e-10);
    e.f = bad_f;
    CHECK(nt_fd_poisson_solve(&e, u, NULL) == NT_ERR_ARG && msg_has("not finite"));
    free(a);
}

int main(void)
{
    RUN(test_heat1d_order);
    RUN(test_heat_time_order);
    RUN(test_heat2d_order);
    RUN(test_wave_order);
    RUN(test_wave_time_order);
    RUN(test_poisson_order);
    RUN(test_darcy_smooth_order);
    RUN(test_darcy_piecewise_refine);
    RUN(test_darcy_fno_timing);
    RUN(test_exact_quadratic);
    RUN(test_layout);
    RUN(test_bad_config);
    return nt_test_finish();
}

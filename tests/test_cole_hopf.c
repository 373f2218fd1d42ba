/* test_cole_hopf.c — exact viscous Burgers solution (Cole–Hopf): the reference
 * data, self-convergence of the quadrature, an independent Fourier-series
 * solution, odd symmetry, boundary and initial values, the PDE residual. */
#include "harness.h"

#include "solvers/solvers.h"

#include <stdlib.h>
#include <string.h>

#define NU_REF (0.01 / NT_TEST_PI)

/* The reference data of maziarraissi/PINNs (256 x × 100 t, nu = 0.01/pi).
 * Measured: relative L2 2.9e-12, max |diff| 4.2e-11 (at t = 0.66 near the
 * shock, x = -0.0039). So the data is itself accurate to ~1e-11, and we assert
 * much more than the 1e-6 the data is used for elsewhere: rel L2 <= 1e-10,
 * max <= 1e-9 (margins of ~30× over the measurement). */
static void test_reference_data(void)
{
    const char *dir = nt_test_data_dir();
    if (!dir) {
        printf("  skip: no shared/data directory (set NT_DATA_DIR)\n");
        return;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/burgers_shock.csv", dir);
    nt_csv c;
    nt_status st = nt_csv_read(&c, path);
    if (st != NT_OK) {
        printf("  skip: cannot read %s: %s\n", path, nt_error_msg());
        return;
    }
    int ct = nt_csv_col(&c, "t"), cx = nt_csv_col(&c, "x"), cu = nt_csv_col(&c, "u");
    CHECK(ct >= 0 && cx >= 0 && cu >= 0);
    CHECK(c.rows == 25600);
    if (ct < 0 || cx < 0 || cu < 0) {
        nt_csv_free(&c);
        return;
    }
    int64_t n = c.rows;
    double *x = malloc((size_t)n * sizeof *x), *t = malloc((size_t)n * sizeof *t);
    double *u = malloc((size_t)n * sizeof *u);
    for (int64_t i = 0; i < n; i++) {
        x[i] = c.data[i * c.ncols + cx];
        t[i] = c.data[i * c.ncols + ct];
    }
    double t0 = nt_time_now();
    CHECK_OK(nt_burgers_cole_hopf(NU_REF, x, t, n, u));
    double dt = nt_time_now() - t0;
    double num = 0, den = 0, mx = 0;
    for (int64_t i = 0; i < n; i++) {
        double r = c.data[i * c.ncols + cu], d = u[i] - r;
        num += d * d;
        den += r * r;
        if (fabs(d) > mx) mx = fabs(d);
    }
    double rel = sqrt(num / den);
    printf("  burgers_shock.csv: relative L2 %.3e, max |diff| %.3e, %lld points in %.3f s "
           "(%d threads)\n",
           rel, mx, (long long)n, dt, nt_threads_get());
    CHECK(rel <= 1e-10);
    CHECK(mx <= 1e-9);
    /* speed: measured ~0.08 s on one core (O3); generous bound for sanitizer builds */
    CHECK(dt < (nt_test_quick() ? 30.0 : 2.0));
    free(x);
    free(t);
    free(u);
    nt_csv_free(&c);
}

/* Doubling the quadrature resolution (and doubling again) changes nothing
 * beyond rounding, over nu in [1e-3/pi, 0.1/pi] and t in [0, 2]. */
static void test_self_convergence(void)
{
    const double nus[] = {1e-3 / NT_TEST_PI, 0.01 / NT_TEST_PI, 0.1 / NT_TEST_PI};
    int nx = nt_test_quick() ? 41 : 121, ntt = nt_test_quick() ? 9 : 21;
    int64_t n = (int64_t)nx * ntt;
    double *x = malloc((size_t)n * sizeof *x), *t = malloc((size_t)n * sizeof *t);
    double *u1 = malloc((size_t)n * sizeof *u1), *u2 = malloc((size_t)n * sizeof *u2);
    double *u4 = malloc((size_t)n * sizeof *u4);
    for (int k = 0; k < 3; k++) {
        for (int j = 0; j < ntt; j++)
            for (int i = 0; i < nx; i++) {
                /* irregular points, some right in the shock at x ≈ 0 */
                x[j * nx + i] = -1.0 + 2.0 * i / (nx - 1) + 1e-3 * sin(7.0 * i + j);
                t[j * nx + i] = 2.0 * j / (ntt - 1) + (j ? 1e-4 * cos(3.0 * i) : 0.0);
            }
        CHECK_OK(nt_burgers_cole_hopf_n(nus[k], x, t, n, u1, NT_COLE_HOPF_RES));
        CHECK_OK(nt_burgers_cole_hopf_n(nus[k], x, t, n, u2, 2 * NT_COLE_HOPF_RES));
        CHECK_OK(nt_burgers_cole_hopf_n(nus[k], x, t, n, u4, 4 * NT_COLE_HOPF_RES));
        double d12 = 0, d24 = 0;
        for (int64_t i = 0; i < n; i++) {
            d12 = fmax(d12, fabs(u1[i] - u2[i]));
            d24 = fmax(d24, fabs(u2[i] - u4[i]));
        }
        printf("  nu = %.0e/pi: max change res %d->%d %.2e, %d->%d %.2e\n", nus[k] * NT_TEST_PI,
               NT_COLE_HOPF_RES, 2 * NT_COLE_HOPF_RES, d12, 2 * NT_COLE_HOPF_RES,
               4 * NT_COLE_HOPF_RES, d24);
        CHECK(d12 < 1e-11);
        CHECK(d24 < 1e-11);
        /* the default nt_burgers_cole_hopf is the res = NT_COLE_HOPF_RES rule */
        CHECK_OK(nt_burgers_cole_hopf(nus[k], x, t, n, u2));
        CHECK(memcmp(u1, u2, (size_t)n * sizeof *u1) == 0);
    }
    /* resolution 1 is visibly unconverged, so the test above has teeth */
    double xs = -0.96, ts = 2.0, a, b;
    CHECK_OK(nt_burgers_cole_hopf_n(NU_REF, &xs, &ts, 1, &a, 1));
    CHECK_OK(nt_burgers_cole_hopf_n(NU_REF, &xs, &ts, 1, &b, 4));
    CHECK(fabs(a - b) > 1e-12);
    free(x);
    free(t);
    free(u1);
    free(u2);
    free(u4);
}

/* Modified Bessel I_k(A) by its power series (all terms positive; fine for A <= 5). */
static double bessel_i(int k, double A)
{
    double term = 1.0, h = 0.5 * A;
    for (int j = 1; j <= k; j++) term *= h / j;
    double sum = term;
    for (int m = 1; m < 200; m++) {
        term *= h * h / ((double)m * (double)(m + k));
        sum += term;
        if (term < 1e-18 * sum) break;
    }
    return sum;
}

/* An independent solution: exp(-A cos θ) = I_0(A) + 2 Σ (-1)^k I_k(A) cos kθ, so
 * phi = I_0 + 2 Σ (-1)^k I_k e^{-nu π² k² t} cos kπx and u = -2 nu phi_x / phi. */
static void test_fourier_series(void)
{
    double nu = 0.1 / NT_TEST_PI, A = 1.0 / (2.0 * NT_TEST_PI * nu);
    double Ik[61];
    for (int k = 0; k <= 60; k++) Ik[k] = bessel_i(k, A);
    const double ts[] = {0.05, 0.2, 0.5, 1.0, 1.7};
    double worst = 0;
    for (int a = 0; a < 5; a++) {
        for (int i = 0; i <= 40; i++) {
            double x = -1.0 + i / 20.0 + 0.0123, t = ts[a];
            double phi = Ik[0], phix = 0;
            for (int k = 1; k <= 60; k++) {
                double c = ((k & 1) ? -2.0 : 2.0) * Ik[k] * exp(-nu * NT_TEST_PI * NT_TEST_PI * k * k * t);
                phi += c * cos(k * NT_TEST_PI * x);
                phix -= c * k * NT_TEST_PI * sin(k * NT_TEST_PI * x);
            }
            double ref = -2.0 * nu * phix / phi, u;
            CHECK_OK(nt_burgers_cole_hopf(nu, &x, &t, 1, &u));
            CHECK_NEAR(u, ref, 1e-10);
            worst = fmax(worst, fabs(u - ref));
        }
    }
    printf("  nu = 0.1/pi: max |u - Fourier series| %.2e\n", worst);
}

/* u(-x, t) = -u(x, t); u(±1, t) = 0; u(x, 0) = -sin(πx); tiny t is continuous. */
static void test_symmetry_boundary_initial(void)
{
    const double nus[] = {1e-3 / NT_TEST_PI, NU_REF, 0.1 / NT_TEST_PI};
    for (int k = 0; k < 3; k++) {
        double nu = nus[k];
        for (int j = 0; j <= 10; j++) {
            double t = 0.15 * j;
            double xs[4] = {0.3, -0.3, 0.0137, -0.0137}, tt[4] = {t, t, t, t}, u[4];
            CHECK_OK(nt_burgers_cole_hopf(nu, xs, tt, 4, u));
            CHECK_NEAR(u[0], -u[1], 1e-12);
            CHECK_NEAR(u[2], -u[3], 1e-12);
            double xb[3] = {-1.0, 1.0, 0.0}, ub[3];
            CHECK_OK(nt_burgers_cole_hopf(nu, xb, tt, 3, ub));
            CHECK_NEAR(ub[0], 0.0, 1e-12);
            CHECK_NEAR(ub[1], 0.0, 1e-12);
            CHECK_NEAR(ub[2], 0.0, 1e-12);
        }
        for (int i = 0; i <= 20; i++) {
            double x = -1.0 + 0.1 * i + 0.01, t0 = 0.0, t1 = 1e-9, u0, u1;
            CHECK_OK(nt_burgers_cole_hopf(nu, &x, &t0, 1, &u0));
            CHECK_OK(nt_burgers_cole_hopf(nu, &x, &t1, 1, &u1));
            CHECK_NEAR(u0, -sin(NT_TEST_PI * x), 1e-15);
            /* |u_t| <= |u u_x| + nu |u_xx| <= π + π²·nu at t = 0 */
            CHECK_NEAR(u1, u0, 1e-9 * (NT_TEST_PI + NT_TEST_PI * NT_TEST_PI * nu) + 1e-13);
        }
    }
    /* the shock: for nu = 0.01/pi at t = 0.99, u jumps from ≈ +0.77 to ≈ -0.77
     * across x = 0 over a few grid cells of the reference data */
    double xs[2] = {-0.02, 0.02}, ts[2] = {0.99, 0.99}, u[2];
    CHECK_OK(nt_burgers_cole_hopf(NU_REF, xs, ts, 2, u));
    CHECK(u[0] > 0.6 && u[1] < -0.6);
}

/* PDE residual by centred differences at smooth points: second-order in h. */
static double residual(double nu, double x, double t, double h)
{
    double xs[5] = {x, x - h, x + h, x, x}, ts[5] = {t, t, t, t - h, t + h}, u[5];
    CHECK_OK(nt_burgers_cole_hopf(nu, xs, ts, 5, u));
    double ux = (u[2] - u[1]) / (2 * h), uxx = (u[2] - 2 * u[0] + u[1]) / (h * h);
    double ut = (u[4] - u[3]) / (2 * h);
    return ut + u[0] * ux - nu * uxx;
}

static void test_pde_residual(void)
{
    const struct { double nu, x, t; } pts[] = {
        {NU_REF, 0.5, 0.2}, {NU_REF, -0.35, 0.6}, {NU_REF, 0.7, 0.9},
        {0.1 / NT_TEST_PI, 0.25, 0.5}, {0.1 / NT_TEST_PI, -0.8, 1.3},
    };
    for (size_t p = 0; p < sizeof pts / sizeof pts[0]; p++) {
        double r1 = residual(pts[p].nu, pts[p].x, pts[p].t, 0.02);
        double r2 = residual(pts[p].nu, pts[p].x, pts[p].t, 0.01);
        double r3 = residual(pts[p].nu, pts[p].x, pts[p].t, 0.005);
        printf("  residual at nu=%.2g x=%.2f t=%.2f: h=0.02 %.3e, 0.01 %.3e, 0.005 %.3e\n",
               pts[p].nu, pts[p].x, pts[p].t, r1, r2, r3);
        CHECK(fabs(r3) < 1e-4);
        /* second order: each halving divides the residual by about 4 */
        CHECK(fabs(r1 / r2) > 3.5 && fabs(r1 / r2) < 4.5);
        CHECK(fabs(r2 / r3) > 3.5 && fabs(r2 / r3) < 4.5);
    }
}

static void test_errors(void)
{
    double x = 0.1, t = 0.5, tneg = -0.1, u = 7.0, nan = NAN;
    CHECK(nt_burgers_cole_hopf(0.0, &x, &t, 1, &u) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "nu") != NULL);
    CHECK(nt_burgers_cole_hopf(-1.0, &x, &t, 1, &u) == NT_ERR_ARG);
    CHECK(nt_burgers_cole_hopf(NAN, &x, &t, 1, &u) == NT_ERR_ARG);
    CHECK(nt_burgers_cole_hopf(0.01, &x, &tneg, 1, &u) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "t = ") != NULL);
    CHECK(nt_burgers_cole_hopf(0.01, &nan, &t, 1, &u) == NT_ERR_ARG);
    CHECK(u == 7.0); /* nothing written on error */
    CHECK_OK(nt_burgers_cole_hopf(0.01, NULL, NULL, 0, NULL));
}

int main(void)
{
    RUN(test_reference_data);
    RUN(test_self_convergence);
    RUN(test_fourier_series);
    RUN(test_symmetry_boundary_initial);
    RUN(test_pde_residual);
    RUN(test_errors);
    return nt_test_finish();
}

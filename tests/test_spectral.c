/* test_spectral.c — 1D periodic pseudo-spectral solver: exactness for linear
 * problems, fourth-order time convergence of ETDRK4 and RK4, argument checks,
 * and reproduction of the maziarraissi/PINNs reference data (AC, KdV, KS, NLS). */
#include "harness.h"

#include "solvers/solvers.h"

#include <stdlib.h>
#include <string.h>

#define PI NT_TEST_PI

static double rel_l2(const double *a, const double *b, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = a[i] - b[i];
        num += d * d;
        den += b[i] * b[i];
    }
    return sqrt(num / den);
}

static double max_abs_diff(const double *a, const double *b, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

static void grid(const nt_spectral_config *c, double *x)
{
    for (int j = 0; j < c->n; j++) x[j] = c->x0 + (c->x1 - c->x0) * j / c->n;
}

/* ---- Linear problems: ETDRK4 is exact (e^{hL} û), so only rounding remains -- */

static void test_linear_exact(void)
{
    nt_spectral_config c;
    double x[64], u0[128], out[3 * 128], ex[128];
    double t[3] = {0.0, 0.37, 1.5};

    /* Heat: u_t = nu u_xx (Burgers with c0 = 0), u0 = sin(3 pi x) + 0.5 cos(7 pi x). */
    nt_spectral_config_default(&c, NT_SPEC_BURGERS);
    c.n = 64;
    c.nu = 0.01;
    c.c[0] = 0.0;
    c.dt = 0.1;
    grid(&c, x);
    for (int j = 0; j < 64; j++) u0[j] = sin(3 * PI * x[j]) + 0.5 * cos(7 * PI * x[j]);
    CHECK_OK(nt_spectral_solve(&c, u0, t, 3, out));
    double worst = 0.0;
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 64; j++)
            ex[j] = exp(-c.nu * 9 * PI * PI * t[i]) * sin(3 * PI * x[j]) +
                    0.5 * exp(-c.nu * 49 * PI * PI * t[i]) * cos(7 * PI * x[j]);
        worst = fmax(worst, max_abs_diff(out + i * 64, ex, 64));
    }
    printf("  heat: max error %.2e\n", worst);
    CHECK(worst < 1e-12);

    /* Airy: u_t + c1 u_xxx = 0 (KdV with c0 = 0), u = sin(k x + c1 k^3 t), k = 5 pi. */
    nt_spectral_config_default(&c, NT_SPEC_KDV);
    c.n = 64;
    c.c[0] = 0.0;
    c.c[1] = 0.01;
    c.dt = 0.1;
    double k = 5 * PI;
    for (int j = 0; j < 64; j++) u0[j] = sin(k * x[j]);
    CHECK_OK(nt_spectral_solve(&c, u0, t, 3, out));
    worst = 0.0;
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 64; j++) ex[j] = sin(k * x[j] + c.c[1] * k * k * k * t[i]);
        worst = fmax(worst, max_abs_diff(out + i * 64, ex, 64));
    }
    printf("  Airy: max error %.2e\n", worst);
    CHECK(worst < 1e-12);

    /* Free Schroedinger: i h_t + c0 h_xx = 0 (NLS with c1 = 0), h = e^{i(kx - c0 k^2 t)}. */
    nt_spectral_config_default(&c, NT_SPEC_NLS);
    c.n = 64;
    c.c[1] = 0.0;
    c.dt = 0.1;
    grid(&c, x);
    k = 2 * PI * 3 / (c.x1 - c.x0);
    for (int j = 0; j < 64; j++) {
        u0[2 * j] = cos(k * x[j]);
        u0[2 * j + 1] = sin(k * x[j]);
    }
    CHECK_OK(nt_spectral_solve(&c, u0, t, 3, out));
    worst = 0.0;
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 64; j++) {
            double ph = k * x[j] - c.c[0] * k * k * t[i];
            ex[2 * j] = cos(ph);
            ex[2 * j + 1] = sin(ph);
        }
        worst = fmax(worst, max_abs_diff(out + i * 128, ex, 128));
    }
    printf("  free Schroedinger: max error %.2e\n", worst);
    CHECK(worst < 1e-12);
}

/* ---- Temporal convergence ---------------------------------------------------- */

/* Error at the final time (max over the grid) for dt0, dt0/2, dt0/4 against a
 * run with dt0/64 (dt/16 of the finest); returns the two observed orders. */
static void orders(nt_spectral_config c, const double *u0, double T, double dt0, const char *name)
{
    int stride = c.pde == NT_SPEC_NLS ? 2 * c.n : c.n;
    double *ref = malloc((size_t)stride * sizeof *ref);
    double *out = malloc((size_t)stride * sizeof *out);
    c.dt = dt0 / 64;
    CHECK_OK(nt_spectral_solve(&c, u0, &T, 1, ref));
    double err[3];
    for (int i = 0; i < 3; i++) {
        c.dt = dt0 / (1 << i);
        CHECK_OK(nt_spectral_solve(&c, u0, &T, 1, out));
        err[i] = max_abs_diff(out, ref, (size_t)stride);
    }
    double p1 = log2(err[0] / err[1]), p2 = log2(err[1] / err[2]);
    printf("  %s: errors %.3e %.3e %.3e (dt %g, /2, /4), orders %.3f %.3f\n", name, err[0], err[1],
           err[2], dt0, p1, p2);
    CHECK(p1 >= 3.5 && p1 <= 4.5);
    CHECK(p2 >= 3.5 && p2 <= 4.5);
    free(ref);
    free(out);
}

static void test_time_order(void)
{
    nt_spectral_config c;
    double x[64], u0[128];

    /* Burgers nu = 0.1, u0 = -sin(pi x) + 0.3 cos(2 pi x), t = 1. */
    nt_spectral_config_default(&c, NT_SPEC_BURGERS);
    c.nu = 0.1;
    c.n = 64;
    grid(&c, x);
    for (int j = 0; j < 64; j++) u0[j] = -sin(PI * x[j]) + 0.3 * cos(2 * PI * x[j]);
    orders(c, u0, 1.0, 0.1, "Burgers ETDRK4 n=64");
    /* RK4 is explicit: n = 32 keeps nu k_max^2 = 253 within its stability region. */
    c.scheme = NT_SPEC_RK4;
    c.n = 32;
    grid(&c, x);
    for (int j = 0; j < 32; j++) u0[j] = -sin(PI * x[j]) + 0.3 * cos(2 * PI * x[j]);
    orders(c, u0, 1.0, 0.008, "Burgers RK4 n=32");

    /* Stiff KS (Raissi coefficients, u0 = -sin(pi x), t = 0.2): ETDRK4 only.
     * At larger steps the observed order is lower (2.6, 2.7 from dt = 0.02;
     * 3.3, 3.6 from dt = 0.004): the known order reduction of Cox–Matthews
     * ETDRK4 on stiff problems before the asymptotic regime. From dt = 0.002
     * it is 3.58, 3.69. */
    nt_spectral_config_default(&c, NT_SPEC_KS);
    c.n = 64;
    grid(&c, x);
    for (int j = 0; j < 64; j++) u0[j] = -sin(PI * x[j]);
    orders(c, u0, 0.2, 0.002, "KS ETDRK4 n=64");

    /* NLS (complex path), h0 = 2 sech(x), t = 0.5. */
    nt_spectral_config_default(&c, NT_SPEC_NLS);
    c.n = 64;
    grid(&c, x);
    for (int j = 0; j < 64; j++) {
        u0[2 * j] = 2.0 / cosh(x[j]);
        u0[2 * j + 1] = 0.0;
    }
    orders(c, u0, 0.5, 0.02, "NLS ETDRK4 n=64");
    c.scheme = NT_SPEC_RK4;
    orders(c, u0, 0.5, 0.002, "NLS RK4 n=64");
}

/* ---- Argument checks ---------------------------------------------------------- */

static void test_args(void)
{
    nt_spectral_config c;
    nt_spectral_config_default(&c, NT_SPEC_BURGERS);
    c.n = 16;
    c.dt = 0.01;
    double u0[16], out[32], t[2] = {0.0, 0.1};
    for (int j = 0; j < 16; j++) u0[j] = sin(2 * PI * j / 16);
    CHECK_OK(nt_spectral_solve(&c, u0, t, 2, out));
    CHECK(max_abs_diff(out, u0, 16) < 1e-15); /* t_out[0] = 0 returns u0 */
    c.n = 15;
    CHECK(nt_spectral_solve(&c, u0, t, 2, out) == NT_ERR_ARG);
    c.n = 16;
    c.dt = 0.0;
    CHECK(nt_spectral_solve(&c, u0, t, 2, out) == NT_ERR_ARG);
    c.dt = 0.01;
    c.x1 = c.x0;
    CHECK(nt_spectral_solve(&c, u0, t, 2, out) == NT_ERR_ARG);
    c.x1 = 1.0;
    double tb[2] = {0.1, 0.05};
    CHECK(nt_spectral_solve(&c, u0, tb, 2, out) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "t_out") != NULL);
    /* Explicit RK4 far outside its stability region blows up: NT_ERR_NUMERIC. */
    nt_spectral_config_default(&c, NT_SPEC_KS);
    c.n = 16;
    c.scheme = NT_SPEC_RK4;
    c.dt = 0.5;
    double tl[2] = {0.0, 200.0};
    CHECK(nt_spectral_solve(&c, u0, tl, 2, out) == NT_ERR_NUMERIC);
}

/* ---- Data ------------------------------------------------------------------- */

typedef struct dataset {
    const char *file;
    nt_spectral_pde pde;
    int nx_file; /* points per time row in the file */
    int n;       /* solver grid (KS: the file repeats x = 1) */
} dataset;

/* Reads the file; fills t (nt), the reference (nt × stride) restricted to the
 * n periodic points, u0 and checks the grid. Returns 0 to skip. */
static int load(const dataset *d, int *nt_out, double **t_out, double **ref_out, double *dupl_err)
{
    const char *dir = nt_test_data_dir();
    if (!dir) {
        printf("  skip: no shared/data directory (set NT_DATA_DIR)\n");
        return 0;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, d->file);
    nt_csv c;
    if (nt_csv_read(&c, path) != NT_OK) {
        printf("  skip: cannot read %s: %s\n", path, nt_error_msg());
        return 0;
    }
    int cx = d->pde == NT_SPEC_NLS;
    int ct = nt_csv_col(&c, "t"), cxx = nt_csv_col(&c, "x");
    int cu = nt_csv_col(&c, cx ? "u_re" : "u"), cv = cx ? nt_csv_col(&c, "u_im") : -1;
    CHECK(ct >= 0 && cxx >= 0 && cu >= 0 && (!cx || cv >= 0));
    CHECK(c.rows % d->nx_file == 0);
    int nt = (int)(c.rows / d->nx_file);
    nt_spectral_config cf;
    nt_spectral_config_default(&cf, d->pde);
    cf.n = d->n;
    double *x = malloc((size_t)d->n * sizeof *x);
    grid(&cf, x);
    int stride = cx ? 2 * d->n : d->n;
    double *t = malloc((size_t)nt * sizeof *t);
    double *ref = malloc((size_t)nt * (size_t)stride * sizeof *ref);
    *dupl_err = 0.0;
    for (int i = 0; i < nt; i++) {
        const double *row0 = c.data + (size_t)i * d->nx_file * c.ncols;
        t[i] = row0[ct];
        for (int j = 0; j < d->nx_file; j++) {
            const double *r = row0 + (size_t)j * c.ncols;
            CHECK(r[ct] == t[i]);
            if (j >= d->n) { /* KS: x = 1 repeats x = -1 */
                *dupl_err = fmax(*dupl_err, fabs(r[cu] - row0[cu]));
                continue;
            }
            if (i == 0) CHECK_NEAR(r[cxx], x[j], 1e-12);
            if (cx) {
                ref[(size_t)i * stride + 2 * j] = r[cu];
                ref[(size_t)i * stride + 2 * j + 1] = r[cv];
            } else {
                ref[(size_t)i * stride + j] = r[cu];
            }
        }
    }
    nt_csv_free(&c);
    free(x);
    *nt_out = nt;
    *t_out = t;
    *ref_out = ref;
    return 1;
}

/* Solves on the file's grid from its first time row to all its output times
 * (ETDRK4, dt = 1e-4, no dealiasing) and compares the whole space-time grid.
 * Measured (release build): rel L2 AC 7.1e-12, KdV 6.8e-12, KS 7.8e-11,
 * NLS 1.9e-10; at dt = 1e-5 AC reaches 3e-14 and the others ~6e-11, so the
 * data (made with a Fourier spectral code, apparently without dealiasing: the
 * 2/3 rule changes AC by 1.2e-5 and NLS by 3e-5) is accurate to ~1e-10. We
 * assert bound = 10x the measured error, far below the 1e-6. Under
 * the sanitizer only the first 21 output times (t <= 0.1 or pi/20) are run. */
static void check_dataset(const dataset *d, double bound)
{
    int nt;
    double *t, *ref, dup;
    if (!load(d, &nt, &t, &ref, &dup)) return;
    if (nt_test_quick() && nt > 21) nt = 21;
    int stride = d->pde == NT_SPEC_NLS ? 2 * d->n : d->n;
    size_t tot = (size_t)nt * stride;
    double *out = malloc(tot * sizeof *out);
    nt_spectral_config c;
    nt_spectral_config_default(&c, d->pde);
    c.n = d->n;
    c.dt = 1e-4;
    CHECK(t[0] == 0.0);
    double t0 = nt_time_now();
    CHECK_OK(nt_spectral_solve(&c, ref, t, nt, out));
    double e = rel_l2(out, ref, tot), mx = max_abs_diff(out, ref, tot);
    printf("  %s: %d times to t = %.4f, rel L2 %.3e, max |diff| %.3e (%.2f s)\n", d->file, nt,
           t[nt - 1], e, mx, nt_time_now() - t0);
    CHECK(e < bound);
    if (d->nx_file > d->n) {
        printf("  %s: duplicated endpoint max |u(1) - u(-1)| = %.2e\n", d->file, dup);
        CHECK(dup == 0.0);
    }
    free(out);
    free(t);
    free(ref);
}

static void test_raissi_ac(void)
{
    dataset d = {"AC.csv", NT_SPEC_ALLEN_CAHN, 512, 512};
    check_dataset(&d, 1e-10);
}

static void test_raissi_kdv(void)
{
    dataset d = {"KdV.csv", NT_SPEC_KDV, 512, 512};
    check_dataset(&d, 1e-10);
}

/* KS.csv has 513 points per row (x = 1 repeats x = -1); the solver uses 512. */
static void test_raissi_ks(void)
{
    dataset d = {"KS.csv", NT_SPEC_KS, 513, 512};
    check_dataset(&d, 1e-9);
}

static void test_raissi_nls(void)
{
    dataset d = {"NLS.csv", NT_SPEC_NLS, 256, 256};
    check_dataset(&d, 2e-9);
}

int main(void)
{
    RUN(test_linear_exact);
    RUN(test_time_order);
    RUN(test_args);
    RUN(test_raissi_ac);
    RUN(test_raissi_kdv);
    RUN(test_raissi_ks);
    RUN(test_raissi_nls);
    return nt_test_finish();
}

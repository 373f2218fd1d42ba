/* test_grf.c — Gaussian random fields: spectra against the target covariance,
 * zero mean mode, coefficient layout, Neumann boundary behaviour, determinism. */
#include "harness.h"
#include "solvers/grf.h"

#include <stdlib.h>
#include <string.h>

#define PI NT_TEST_PI

static double lam_periodic(double s, double t, double a, double kk)
{
    return s * s * pow(4.0 * PI * PI * kk + t * t, -a);
}
static double lam_neumann(double s, double t, double a, double kk)
{
    return s * s * pow(PI * PI * kk + t * t, -a);
}

static void test_configs(void)
{
    nt_grf_config c;
    nt_grf_config_burgers(&c);
    CHECK(c.bc == NT_GRF_PERIODIC && c.dim == 1 && c.n == 8192);
    CHECK(c.sigma == 25.0 && c.tau == 5.0 && c.alpha == 2.0);
    int k1[2] = {1, 0};
    /* 625 (4 pi^2 + 25)^-2 */
    CHECK_CLOSE(nt_grf_eigenvalue(&c, k1), 625.0 / pow(4 * PI * PI + 25.0, 2), 1e-14, 0);
    nt_grf_config_darcy(&c);
    CHECK(c.bc == NT_GRF_NEUMANN && c.dim == 2 && c.n == 421);
    CHECK(c.tau == 3.0 && c.alpha == 2.0 && c.sigma == 3.0); /* tau^(alpha-1), GRF.m */
    int k11[2] = {1, 1};
    CHECK_CLOSE(nt_grf_eigenvalue(&c, k11), 9.0 / pow(2 * PI * PI + 9.0, 2), 1e-14, 0);
    int k0[2] = {0, 0};
    CHECK(nt_grf_eigenvalue(&c, k0) == 0.0);

    nt_grf g;
    nt_grf_config b = c;
    b.n = 2;
    CHECK(nt_grf_init(&g, &b) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "Neumann n must be >= 3") != NULL);
    nt_grf_config_burgers(&b);
    b.n = 15;
    CHECK(nt_grf_init(&g, &b) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "even") != NULL);
    nt_grf_config_burgers(&b);
    b.sigma = -1;
    CHECK(nt_grf_init(&g, &b) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "sigma") != NULL);
    nt_grf_config_burgers(&b);
    b.dim = 3;
    CHECK(nt_grf_init(&g, &b) == NT_ERR_ARG);
    nt_grf_config_burgers(&b);
    b.alpha = NAN;
    CHECK(nt_grf_init(&g, &b) == NT_ERR_ARG);
    CHECK(nt_fftw_thread_safe() == 1); /* libfftw3 3.3.10 here exports the hook */
}

/* Periodic 1D: the DFT of many samples has E|c_k|^2 = lambda_k, Re and Im each
 * lambda_k / 2, no correlation between modes, exactly zero mean and Nyquist. */
static void test_periodic_1d_spectrum(void)
{
    const int n = 64, K = 8;
    int M = nt_test_quick() ? 1500 : 6000;
    nt_grf_config c;
    nt_grf_config_burgers(&c);
    c.n = n;
    nt_grf g;
    CHECK_OK(nt_grf_init(&g, &c));
    CHECK(g.npts == n && g.ncoef == 2 * (n / 2 + 1));
    double *u = malloc(n * sizeof *u);
    double s2[K + 1], sre[K + 1], cross = 0, maxc0 = 0, maxnyq = 0, msq = 0, umax = 0;
    memset(s2, 0, sizeof s2);
    memset(sre, 0, sizeof sre);
    nt_rng r;
    nt_rng_init(&r, 42);
    for (int m = 0; m < M; m++) {
        CHECK_OK(nt_grf_sample(&g, &r, u, NULL));
        double re[K + 1], im[K + 1];
        for (int k = 0; k <= K; k++) {
            re[k] = im[k] = 0;
            for (int j = 0; j < n; j++) {
                re[k] += u[j] * cos(2 * PI * k * j / n) / n;
                im[k] -= u[j] * sin(2 * PI * k * j / n) / n;
            }
            s2[k] += re[k] * re[k] + im[k] * im[k];
            sre[k] += re[k] * re[k];
        }
        cross += re[1] * re[2] + im[1] * im[3];
        double c0 = 0, cn = 0, sq = 0;
        for (int j = 0; j < n; j++) {
            c0 += u[j];
            cn += (j % 2 ? -1 : 1) * u[j];
            sq += u[j] * u[j];
            if (fabs(u[j]) > umax) umax = fabs(u[j]);
        }
        maxc0 = fmax(maxc0, fabs(c0 / n));
        maxnyq = fmax(maxnyq, fabs(cn / n));
        msq += sq / n;
    }
    CHECK(maxc0 < 1e-14 * umax);   /* zero mean mode, to rounding */
    CHECK(maxnyq < 1e-14 * umax);  /* Nyquist mode left out */
    double tol = 4.5 / sqrt((double)M);
    for (int k = 1; k <= K; k++) {
        double lam = lam_periodic(25, 5, 2, (double)k * k);
        CHECK_CLOSE(s2[k] / M / lam, 1.0, 0, tol);
        CHECK_CLOSE(sre[k] / M / (0.5 * lam), 1.0, 0, tol * sqrt(2.0));
    }
    double l1 = lam_periodic(25, 5, 2, 1), l2 = lam_periodic(25, 5, 2, 4), l3 = lam_periodic(25, 5, 2, 9);
    CHECK_NEAR(cross / M, 0.0, tol * 0.5 * (sqrt(l1 * l2) + sqrt(l1 * l3)));
    /* pointwise variance = sum of lambda over the kept modes (Parseval) */
    double tot = 0;
    for (int k = 1; k < n / 2; k++) tot += 2 * lam_periodic(25, 5, 2, (double)k * k);
    CHECK_CLOSE(msq / M / tot, 1.0, 0, 0.08);
    free(u);
    nt_grf_free(&g);
}

/* Periodic 2D: per-mode variance of a few modes, including the Hermitian kx = 0
 * column, and the mean mode. */
static void test_periodic_2d_spectrum(void)
{
    const int n = 16;
    int M = nt_test_quick() ? 1000 : 4000;
    nt_grf_config c;
    memset(&c, 0, sizeof c);
    c.bc = NT_GRF_PERIODIC;
    c.dim = 2;
    c.n = n;
    c.sigma = pow(7.0, 1.5);
    c.tau = 7.0;
    c.alpha = 2.5; /* the FNO Navier–Stokes forcing/initial measure */
    nt_grf g;
    CHECK_OK(nt_grf_init(&g, &c));
    enum { NM = 6 };
    const int modes[NM][2] = {{1, 0}, {0, 1}, {0, -3}, {1, 1}, {1, -1}, {3, -2}};
    double s2[NM] = {0}, maxc0 = 0, umax = 0;
    double *u = malloc((size_t)n * n * sizeof *u);
    nt_rng r;
    nt_rng_init(&r, 7);
    for (int m = 0; m < M; m++) {
        CHECK_OK(nt_grf_sample(&g, &r, u, NULL));
        double c0 = 0;
        for (int j = 0; j < n * n; j++) {
            c0 += u[j];
            umax = fmax(umax, fabs(u[j]));
        }
        maxc0 = fmax(maxc0, fabs(c0) / (n * n));
        for (int q = 0; q < NM; q++) {
            double re = 0, im = 0;
            for (int iy = 0; iy < n; iy++)
                for (int ix = 0; ix < n; ix++) {
                    double ph = 2 * PI * (modes[q][0] * ix + modes[q][1] * iy) / n;
                    re += u[iy * n + ix] * cos(ph);
                    im -= u[iy * n + ix] * sin(ph);
                }
            re /= n * n;
            im /= n * n;
            s2[q] += re * re + im * im;
        }
    }
    CHECK(maxc0 < 1e-13 * umax);
    double tol = 4.5 / sqrt((double)M);
    for (int q = 0; q < NM; q++) {
        double kk = modes[q][0] * modes[q][0] + modes[q][1] * modes[q][1];
        CHECK_CLOSE(s2[q] / M / lam_periodic(c.sigma, c.tau, c.alpha, kk), 1.0, 0, tol);
    }
    free(u);
    nt_grf_free(&g);
}

/* The returned coefficients reproduce the grid values through the documented
 * series (layout of nt_grf_sample), for each bc and dimension. */
static void test_coefficients(void)
{
    for (int bc = 0; bc < 2; bc++)
        for (int dim = 1; dim <= 2; dim++) {
            nt_grf_config c;
            memset(&c, 0, sizeof c);
            c.bc = bc;
            c.dim = dim;
            c.n = bc == NT_GRF_PERIODIC ? 12 : 9;
            c.sigma = 2.0;
            c.tau = 1.5;
            c.alpha = 1.5;
            int n = c.n;
            nt_grf g;
            CHECK_OK(nt_grf_init(&g, &c));
            double *u = malloc((size_t)g.npts * sizeof *u), *co = malloc((size_t)g.ncoef * sizeof *co);
            nt_rng r;
            nt_rng_init(&r, 99 + bc * 2 + dim);
            CHECK_OK(nt_grf_sample(&g, &r, u, co));
            double err = 0, scale = 0;
            int ny = dim == 1 ? 1 : n;
            for (int iy = 0; iy < ny; iy++)
                for (int ix = 0; ix < n; ix++) {
                    double v = 0;
                    if (bc == NT_GRF_PERIODIC) {
                        double x = (double)ix / n, y = (double)iy / n;
                        int h = n / 2 + 1;
                        for (int rr = 0; rr < (dim == 1 ? 1 : n); rr++) {
                            int ky = rr <= n / 2 ? rr : rr - n;
                            for (int kx = 0; kx < h; kx++) {
                                double re = co[2 * (rr * h + kx)], im = co[2 * (rr * h + kx) + 1];
                                double ph = 2 * PI * (kx * x + (dim == 2 ? ky * y : 0));
                                double t = re * cos(ph) - im * sin(ph);
                                /* kx > 0: the conjugate partner -k is implicit */
                                v += (kx > 0 ? 2 : 1) * t;
                            }
                        }
                    } else {
                        double x = (double)ix / (n - 1), y = (double)iy / (n - 1);
                        for (int ky = 0; ky < (dim == 1 ? 1 : n); ky++)
                            for (int kx = 0; kx < n; kx++) {
                                double phi = (kx ? sqrt(2.0) : 1.0) * cos(PI * kx * x);
                                if (dim == 2) phi *= (ky ? sqrt(2.0) : 1.0) * cos(PI * ky * y);
                                v += co[ky * n + kx] * phi;
                            }
                    }
                    err = fmax(err, fabs(v - u[iy * n + ix]));
                    scale = fmax(scale, fabs(v));
                }
            CHECK(scale > 0);
            CHECK(err <= 1e-13 * scale);
            if (bc == NT_GRF_PERIODIC && dim == 1) {
                CHECK(co[0] == 0 && co[1] == 0 && co[n] == 0 && co[n + 1] == 0); /* k = 0, n/2 */
            }
            if (bc == NT_GRF_PERIODIC && dim == 2) { /* Hermitian along kx = 0 */
                int h = n / 2 + 1;
                for (int rr = 1; rr < n / 2; rr++) {
                    CHECK(co[2 * (rr * h)] == co[2 * ((n - rr) * h)]);
                    CHECK(co[2 * (rr * h) + 1] == -co[2 * ((n - rr) * h) + 1]);
                }
            }
            if (bc == NT_GRF_NEUMANN) CHECK(co[0] == 0.0);
            free(u);
            free(co);
            nt_grf_free(&g);
        }
}

/* Neumann 2D (the Darcy measure at a small grid): cosine-basis coefficients
 * recovered by the discrete cosine orthogonality have variance lambda_k. */
static void test_neumann_spectrum(void)
{
    const int n = 17, N = n - 1;
    int M = nt_test_quick() ? 1000 : 4000;
    nt_grf_config c;
    nt_grf_config_darcy(&c);
    c.n = n;
    nt_grf g;
    CHECK_OK(nt_grf_init(&g, &c));
    enum { NM = 6 };
    const int modes[NM][2] = {{1, 0}, {0, 1}, {1, 1}, {2, 0}, {3, 2}, {0, 0}};
    double s2[NM] = {0}, c0max = 0, umax = 0;
    double *u = malloc((size_t)n * n * sizeof *u);
    nt_rng r;
    nt_rng_init(&r, 2024);
    for (int m = 0; m < M; m++) {
        CHECK_OK(nt_grf_sample(&g, &r, u, NULL));
        for (int j = 0; j < n * n; j++) umax = fmax(umax, fabs(u[j]));
        for (int q = 0; q < NM; q++) {
            int kx = modes[q][0], ky = modes[q][1];
            double s = 0;
            for (int iy = 0; iy <= N; iy++)
                for (int ix = 0; ix <= N; ix++) {
                    double w = (ix == 0 || ix == N ? 0.5 : 1.0) * (iy == 0 || iy == N ? 0.5 : 1.0);
                    s += w * u[iy * n + ix] * cos(PI * kx * ix / N) * cos(PI * ky * iy / N);
                }
            /* coefficient of phi_k = prod (sqrt 2 cos): (prod sqrt2 for k_d > 0) s / N^2 */
            double coef = s / ((double)N * N) * (kx ? sqrt(2.0) : 1.0) * (ky ? sqrt(2.0) : 1.0);
            if (kx == 0 && ky == 0)
                c0max = fmax(c0max, fabs(coef));
            else
                s2[q] += coef * coef;
        }
    }
    CHECK(c0max < 1e-14 * umax); /* zero mean mode */
    double tol = 4.5 * sqrt(2.0) / sqrt((double)M); /* chi^2_1: sd = sqrt 2 mean */
    for (int q = 0; q < NM - 1; q++) {
        double kk = modes[q][0] * modes[q][0] + modes[q][1] * modes[q][1];
        CHECK_CLOSE(s2[q] / M / lam_neumann(3, 3, 2, kk), 1.0, 0, tol);
    }
    free(u);
    nt_grf_free(&g);
}

/* Zero normal derivative: for a smooth Neumann field the one-sided
 * second-order boundary derivative vanishes to discretisation error, while a
 * periodic field of the same smoothness has boundary slopes like the interior. */
static double boundary_ratio(int bc, int n, uint64_t seed)
{
    nt_grf_config c;
    memset(&c, 0, sizeof c);
    c.bc = bc;
    c.dim = 2;
    c.n = n;
    c.sigma = 1.0;
    c.tau = 3.0;
    c.alpha = 4.0;
    nt_grf g;
    CHECK_OK(nt_grf_init(&g, &c));
    double *u = malloc((size_t)n * n * sizeof *u);
    nt_rng r;
    nt_rng_init(&r, seed);
    CHECK_OK(nt_grf_sample(&g, &r, u, NULL));
    /* node spacing: Neumann nodes j/(n-1) include both ends; periodic j/n */
    double h = bc == NT_GRF_NEUMANN ? 1.0 / (n - 1) : 1.0 / n;
    int last = n - 1;
    double sb = 0, si = 0;
    int nb = 0, ni = 0;
    for (int t = 0; t < n; t++) {
        /* x = 0 and x = 1 edges (d/dx), y = 0 and y = 1 edges (d/dy) */
        const double *row = u + (size_t)t * n;
        double d0 = (-3 * row[0] + 4 * row[1] - row[2]) / (2 * h);
        double d1 = (3 * row[last] - 4 * row[last - 1] + row[last - 2]) / (2 * h);
        double e0 = (-3 * u[t] + 4 * u[n + t] - u[2 * n + t]) / (2 * h);
        double e1 = (3 * u[last * n + t] - 4 * u[(last - 1) * n + t] + u[(last - 2) * n + t]) / (2 * h);
        sb += d0 * d0 + d1 * d1 + e0 * e0 + e1 * e1;
        nb += 4;
    }
    for (int iy = 1; iy < last; iy++)
        for (int ix = 1; ix < last; ix++) {
            double dx = (u[iy * n + ix + 1] - u[iy * n + ix - 1]) / (2 * h);
            double dy = (u[(iy + 1) * n + ix] - u[(iy - 1) * n + ix]) / (2 * h);
            si += dx * dx + dy * dy;
            ni += 2;
        }
    free(u);
    nt_grf_free(&g);
    return sqrt(sb / nb) / sqrt(si / ni);
}

static void test_neumann_boundary(void)
{
    for (uint64_t s = 1; s <= 3; s++) {
        double rn = boundary_ratio(NT_GRF_NEUMANN, 129, s);
        double rp = boundary_ratio(NT_GRF_PERIODIC, 128, s);
        CHECK(rn < 0.01);
        CHECK(rp > 0.2); /* the check would catch a non-cosine basis */
        /* discretisation error: halving h cuts the boundary slope about 4x */
        double rn2 = boundary_ratio(NT_GRF_NEUMANN, 257, s);
        CHECK(rn2 < 0.5 * rn);
    }
}

/* Same seed, same field (bit for bit), also when samples are drawn from many
 * threads at once; the rng advances, so successive samples differ. */
static void test_determinism(void)
{
    nt_grf_config c;
    nt_grf_config_darcy(&c);
    c.n = 33;
    nt_grf g;
    CHECK_OK(nt_grf_init(&g, &c));
    size_t np = (size_t)g.npts;
    enum { S = 16 };
    double *seq = malloc(S * np * sizeof *seq), *par = malloc(S * np * sizeof *par);
    for (int i = 0; i < S; i++) {
        nt_rng r;
        nt_rng_init(&r, 1000 + i);
        CHECK_OK(nt_grf_sample(&g, &r, seq + i * np, NULL));
    }
    int bad = 0;
#pragma omp parallel for num_threads(4) schedule(dynamic, 1) reduction(+ : bad)
    for (int i = 0; i < S; i++) {
        nt_rng r;
        nt_rng_init(&r, 1000 + i);
        /* a private GRF per thread exercises concurrent planning too */
        nt_grf gl;
        if (nt_grf_init(&gl, &c) != NT_OK) {
            bad++;
            continue;
        }
        if (nt_grf_sample(i % 2 ? &gl : &g, &r, par + i * np, NULL) != NT_OK) bad++;
        nt_grf_free(&gl);
    }
    CHECK(bad == 0);
    CHECK(memcmp(seq, par, S * np * sizeof *seq) == 0);
    CHECK(memcmp(seq, seq + np, np * sizeof *seq) != 0);
    nt_rng r;
    nt_rng_init(&r, 1000);
    double *a = malloc(np * sizeof *a), *b = malloc(np * sizeof *b);
    CHECK_OK(nt_grf_sample(&g, &r, a, NULL));
    CHECK_OK(nt_grf_sample(&g, &r, b, NULL));
    CHECK(memcmp(a, seq, np * sizeof *a) == 0);
    CHECK(memcmp(b, a, np * sizeof *a) != 0);
    free(a);
    free(b);
    free(seq);
    free(par);
    nt_grf_free(&g);

    /* the Burgers measure at full size: finite, zero mean, plausible scale */
    nt_grf_config_burgers(&c);
    CHECK_OK(nt_grf_init(&g, &c));
    double *u = malloc(8192 * sizeof *u);
    nt_rng_init(&r, 5);
    CHECK_OK(nt_grf_sample(&g, &r, u, NULL));
    double s = 0, s2 = 0;
    for (int j = 0; j < 8192; j++) {
        CHECK(isfinite(u[j]));
        s += u[j];
        s2 += u[j] * u[j];
    }
    CHECK(fabs(s / 8192) < 1e-13);
    CHECK(s2 / 8192 > 0.01 && s2 / 8192 < 3.0); /* E = sum lambda = 0.35 */
    free(u);
    nt_grf_free(&g);
}

int main(void)
{
    RUN(test_configs);
    RUN(test_periodic_1d_spectrum);
    RUN(test_periodic_2d_spectrum);
    RUN(test_coefficients);
    RUN(test_neumann_spectrum);
    RUN(test_neumann_boundary);
    RUN(test_determinism);
    return nt_test_finish();
}

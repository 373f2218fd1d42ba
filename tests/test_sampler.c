/* test_sampler.c — uniform, Latin hypercube and Sobol' point samplers. */
#include "harness.h"

#include "pinn/sampler.h"

#include <stdlib.h>
#include <string.h>

static void test_parse_name(void)
{
    nt_sampler_kind k = NT_SAMPLER_SOBOL;
    CHECK_OK(nt_sampler_parse("uniform", &k));
    CHECK(k == NT_SAMPLER_UNIFORM);
    CHECK_OK(nt_sampler_parse("lhs", &k));
    CHECK(k == NT_SAMPLER_LHS);
    CHECK_OK(nt_sampler_parse("sobol", &k));
    CHECK(k == NT_SAMPLER_SOBOL);
    for (int i = 0; i < 3; i++) {
        nt_sampler_kind r;
        CHECK_OK(nt_sampler_parse(nt_sampler_name((nt_sampler_kind)i), &r));
        CHECK((int)r == i);
    }
    k = NT_SAMPLER_LHS;
    CHECK(nt_sampler_parse("Sobol", &k) == NT_ERR_ARG);
    CHECK(k == NT_SAMPLER_LHS);
    const char *msg = nt_error_msg();
    CHECK(strstr(msg, "Sobol") && strstr(msg, "uniform") && strstr(msg, "lhs") &&
          strstr(msg, "sobol"));
    CHECK(nt_sampler_parse("", &k) == NT_ERR_ARG);
    CHECK(nt_sampler_parse(NULL, &k) == NT_ERR_ARG);
    CHECK(strcmp(nt_sampler_name((nt_sampler_kind)7), "?") == 0);
}

static void test_bad_args(void)
{
    nt_rng r;
    nt_rng_init(&r, 1);
    double lo[9] = {0}, hi[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, out[18];
    for (int k = 0; k < 3; k++) {
        CHECK(nt_sample_box((nt_sampler_kind)k, 0, lo, hi, 2, &r, out) == NT_ERR_ARG);
        CHECK(nt_sample_box((nt_sampler_kind)k, 9, lo, hi, 2, &r, out) == NT_ERR_ARG);
        CHECK(strstr(nt_error_msg(), "dimension") != NULL);
        CHECK(nt_sample_box((nt_sampler_kind)k, 2, lo, hi, -1, &r, out) == NT_ERR_ARG);
        double blo[2] = {0, 2}, bhi[2] = {1, 1};
        CHECK(nt_sample_box((nt_sampler_kind)k, 2, blo, bhi, 2, &r, out) == NT_ERR_ARG);
        blo[1] = NAN;
        CHECK(nt_sample_box((nt_sampler_kind)k, 2, blo, bhi, 2, &r, out) == NT_ERR_ARG);
        CHECK_OK(nt_sample_box((nt_sampler_kind)k, 2, lo, hi, 0, &r, NULL));
        /* a degenerate side (lo == hi) pins that coordinate */
        double flo[2] = {-1, 0.5}, fhi[2] = {1, 0.5};
        CHECK_OK(nt_sample_box((nt_sampler_kind)k, 2, flo, fhi, 9, &r, out));
        for (int i = 0; i < 9; i++) CHECK(out[2 * i + 1] == 0.5);
    }
    CHECK(nt_sample_box((nt_sampler_kind)3, 2, lo, hi, 2, &r, out) == NT_ERR_ARG);
}

/* Mean 1/2 and variance 1/12 of each unit coordinate within 5 standard errors,
 * after mapping back from the box; all points inside the box. */
static void test_uniform_moments(void)
{
    nt_rng r;
    nt_rng_init(&r, 42);
    enum { D = 3 };
    int64_t n = nt_test_quick() ? 20000 : 200000;
    double lo[D] = {-1, 0, 10}, hi[D] = {1, 0.5, 13};
    double *p = malloc((size_t)(n * D) * sizeof *p);
    CHECK_OK(nt_sample_box(NT_SAMPLER_UNIFORM, D, lo, hi, n, &r, p));
    for (int d = 0; d < D; d++) {
        double s = 0, s2 = 0;
        int inside = 1;
        for (int64_t i = 0; i < n; i++) {
            double v = p[i * D + d];
            inside &= v >= lo[d] && v <= hi[d];
            double y = (v - lo[d]) / (hi[d] - lo[d]);
            s += y;
            s2 += y * y;
        }
        CHECK(inside);
        double mean = s / n, var = s2 / n - mean * mean;
        /* sd of the mean: sqrt(1/12/n); sd of the variance estimate: sqrt(1/180/n) */
        CHECK_NEAR(mean, 0.5, 5 * sqrt(1.0 / 12 / n));
        CHECK_NEAR(var, 1.0 / 12, 5 * sqrt(1.0 / 180 / n));
    }
    /* the coordinates are not correlated with each other */
    double c = 0;
    for (int64_t i = 0; i < n; i++) c += (p[i * D] - 0.0) * (p[i * D + 1] - 0.25);
    c /= n;
    CHECK_NEAR(c, 0.0, 5 * sqrt((1.0 / 3) * (1.0 / 48) / n));
    free(p);
}

/* Every dimension: the n strata [lo + j·w/n, lo + (j+1)·w/n) hold exactly one point. */
static void test_lhs_strata(void)
{
    nt_rng r;
    nt_rng_init(&r, 7);
    const int64_t ns[] = {1, 2, 7, 100, 1000};
    for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++) {
        int64_t n = ns[a];
        for (int D = 1; D <= 8; D += 3) {
            double lo[8], hi[8];
            for (int d = 0; d < D; d++) {
                lo[d] = (d % 2) ? 0.0 : -1.0;
                hi[d] = (d % 2) ? 1.0 : 3.0;
            }
            double *p = malloc((size_t)(n * D) * sizeof *p);
            int *cnt = calloc((size_t)n, sizeof *cnt);
            CHECK_OK(nt_sample_box(NT_SAMPLER_LHS, D, lo, hi, n, &r, p));
            for (int d = 0; d < D; d++) {
                memset(cnt, 0, (size_t)n * sizeof *cnt);
                int ok = 1;
                for (int64_t i = 0; i < n; i++) {
                    double y = (p[i * D + d] - lo[d]) / (hi[d] - lo[d]) * n;
                    int64_t j = (int64_t)floor(y);
                    if (j < 0 || j >= n) ok = 0;
                    else cnt[j]++;
                }
                for (int64_t j = 0; j < n; j++) ok &= cnt[j] == 1;
                CHECK(ok);
            }
            free(p);
            free(cnt);
        }
    }
    /* jittered, not centred: the offsets within strata spread over [0, 1) */
    int64_t n = 1000;
    double lo = 0, hi = 1, p[1000];
    CHECK_OK(nt_sample_box(NT_SAMPLER_LHS, 1, &lo, &hi, n, &r, p));
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < n; i++) {
        double f = p[i] * n - floor(p[i] * n);
        s += f;
        s2 += f * f;
    }
    CHECK_NEAR(s / n, 0.5, 5 * sqrt(1.0 / 12 / n));
    CHECK_NEAR(s2 / n - (s / n) * (s / n), 1.0 / 12, 5 * sqrt(1.0 / 180 / n));
    /* the permutations differ between dimensions (no diagonal) */
    double lo2[2] = {0, 0}, hi2[2] = {1, 1}, q[2000];
    CHECK_OK(nt_sample_box(NT_SAMPLER_LHS, 2, lo2, hi2, n, &r, q));
    int same = 0;
    for (int64_t i = 0; i < n; i++) same += floor(q[2 * i] * n) == floor(q[2 * i + 1] * n);
    CHECK(same < 10);
}

/* The plain (unshifted) Sobol' sequence, Gray-code order.
 *
 * Direction numbers v_k = m_k / 2^k. Gray code: x_0 = 0, x_i = x_{i-1} XOR v_{c},
 * c = 1 + (number of trailing zero bits of i): c = 1,2,1,3,1,2,1,4 for i = 1..8.
 *
 * dim 1: m_k = 1, v = 1/2, 1/4, 1/8, 1/16:
 *   0, .5, .5^.25=.75, .75^.5=.25, .25^.125=.375, .875, .625, .125, .125^.0625=.1875
 * dim 2 (Joe–Kuo: s = 1, a = 0, m_1 = 1): m_k = 2 m_{k-1} XOR m_{k-1}:
 *   m = 1, 3, 5, 15 -> v = .5, .75, .625, .9375
 *   x: 0, .5, .5^.75=.25, .25^.5=.75, .75^.625 = .110b^.101b = .011b = .375,
 *      .375^.5=.875, .875^.75 = .111b^.110b = .125, .125^.5=.625,
 *      .625^.9375 = .1010b^.1111b = .0101b = .3125
 * dim 3 (s = 2, a = 1, m = 1, 3): m_k = 4 m_{k-2} ^ m_{k-2} ^ 2 m_{k-1}:
 *   m_3 = 4^1^6 = 3, m_4 = 12^3^6 = 9 -> v = .5, .75, .375, .5625
 *   x: 0, .5, .25, .75, .75^.375 = .110b^.011b = .101b = .625, .625^.5=.125,
 *      .125^.75 = .001b^.110b = .875, .875^.5=.375,
 *      .375^.5625 = .0110b^.1001b = .1111b = .9375 */
static void test_sobol_known(void)
{
    static const double want[9][3] = {
        {0, 0, 0},
        {0.5, 0.5, 0.5},
        {0.75, 0.25, 0.25},
        {0.25, 0.75, 0.75},
        {0.375, 0.375, 0.625},
        {0.875, 0.875, 0.125},
        {0.625, 0.125, 0.875},
        {0.125, 0.625, 0.375},
        {0.1875, 0.3125, 0.9375},
    };
    double lo[3] = {0, 0, 0}, hi[3] = {1, 1, 1}, p[27];
    CHECK_OK(nt_sample_sobol(3, lo, hi, 9, NULL, p));
    for (int i = 0; i < 9; i++)
        for (int d = 0; d < 3; d++) CHECK(p[i * 3 + d] == want[i][d]);
    /* a prefix of a longer draw is the shorter draw (no points skipped or reordered) */
    double *q = malloc(8 * 1000 * sizeof *q), *q2 = malloc(8 * 1000 * sizeof *q2);
    double lo8[8] = {0}, hi8[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    CHECK_OK(nt_sample_sobol(8, lo8, hi8, 1000, NULL, q));
    CHECK_OK(nt_sample_sobol(8, lo8, hi8, 9, NULL, q2));
    CHECK(memcmp(q, q2, 9 * 8 * sizeof *q) == 0);
    /* each dimension's first 2^k points are {j / 2^k} exactly (a (0,k,1)-net) */
    for (int d = 0; d < 8; d++) {
        int seen[512] = {0}, ok = 1;
        for (int i = 0; i < 512; i++) {
            double y = q[i * 8 + d] * 512;
            ok &= y == floor(y);
            seen[(int)y]++;
        }
        for (int j = 0; j < 512; j++) ok &= seen[j] == 1;
        CHECK(ok);
    }
    /* the 8 dimensions are distinct sequences */
    for (int d = 0; d < 8; d++)
        for (int e = d + 1; e < 8; e++) {
            int differ = 0;
            for (int i = 0; i < 64; i++) differ |= q[i * 8 + d] != q[i * 8 + e];
            CHECK(differ);
        }
    /* low discrepancy: the mean of prod_{d<D} (2 x_d + 2^-10) over the first 1024
     * points (the offset centres each 1-D grid j/1024) against its integral 1.
     * iid sampling would give a standard deviation sqrt((4/3)^D - 1)/32 =
     * 0.028 (D = 2) .. 0.067 (D = 6). Measured errors of this deterministic set:
     * 1.6e-5, 9.7e-5, 2.1e-3, 3.2e-3, 2.4e-3 for D = 2..6 (D = 8: 4.4e-2, the
     * product is a hard integrand there, so it is not checked). */
    double *s1024 = malloc(8 * 1024 * sizeof *s1024);
    CHECK_OK(nt_sample_sobol(8, lo8, hi8, 1024, NULL, s1024));
    for (int D = 2; D <= 6; D++) {
        double m = 0;
        for (int i = 0; i < 1024; i++) {
            double pr = 1;
            for (int d = 0; d < D; d++) pr *= 2 * s1024[i * 8 + d] + 1.0 / 1024;
            m += pr;
        }
        m /= 1024;
        CHECK_NEAR(m, 1.0, D <= 3 ? 5e-4 : 1e-2);
    }
    free(s1024);
    free(q);
    free(q2);
}

/* (0,k,2)-net: for n = 2^k, every elementary box [a/2^j,(a+1)/2^j) × [b/2^(k-j),(b+1)/2^(k-j))
 * of the first two dimensions holds exactly one point, with and without the shift. */
static int is_net(const double *p, int stride, int k)
{
    int64_t n = (int64_t)1 << k;
    int *cnt = calloc((size_t)n, sizeof *cnt);
    int ok = 1;
    for (int j = 0; j <= k; j++) {
        memset(cnt, 0, (size_t)n * sizeof *cnt);
        int64_t nx = (int64_t)1 << j, ny = (int64_t)1 << (k - j);
        for (int64_t i = 0; i < n; i++) {
            int64_t a = (int64_t)floor(p[i * stride] * nx), b = (int64_t)floor(p[i * stride + 1] * ny);
            cnt[a * ny + b]++;
        }
        for (int64_t c = 0; c < n; c++) ok &= cnt[c] == 1;
    }
    free(cnt);
    return ok;
}

static void test_sobol_net(void)
{
    nt_rng r;
    nt_rng_init(&r, 99);
    double lo[3] = {0, 0, 0}, hi[3] = {1, 1, 1};
    int kmax = nt_test_quick() ? 10 : 14;
    double *p = malloc(((size_t)3 << kmax) * sizeof *p);
    for (int k = 0; k <= kmax; k++) {
        int64_t n = (int64_t)1 << k;
        CHECK_OK(nt_sample_sobol(3, lo, hi, n, NULL, p));
        CHECK(is_net(p, 3, k));
        CHECK_OK(nt_sample_box(NT_SAMPLER_SOBOL, 3, lo, hi, n, &r, p));
        CHECK(is_net(p, 3, k));
    }
    /* a uniform draw is not a net (sanity of the checker) */
    CHECK_OK(nt_sample_box(NT_SAMPLER_UNIFORM, 2, lo, hi, 256, &r, p));
    CHECK(!is_net(p, 2, 8));
    free(p);
}

/* Same rng state -> same points; a later draw from the advanced rng differs.
 * Box scaling: points equal lo + (hi - lo)·(unit-box points of the same state). */
static void test_determinism_scaling(void)
{
    double ulo[4] = {0, 0, 0, 0}, uhi[4] = {1, 1, 1, 1};
    double lo[4] = {-1, 0, 2, -5}, hi[4] = {1, 1, 2.5, 5};
    enum { N = 300, D = 4 };
    double a[N * D], b[N * D], c[N * D], u[N * D];
    for (int k = 0; k < 3; k++) {
        nt_rng r1, r2;
        nt_rng_init(&r1, 1234);
        nt_rng_init(&r2, 1234);
        CHECK_OK(nt_sample_box((nt_sampler_kind)k, D, lo, hi, N, &r1, a));
        CHECK_OK(nt_sample_box((nt_sampler_kind)k, D, lo, hi, N, &r2, b));
        CHECK(memcmp(a, b, sizeof a) == 0);
        CHECK(memcmp(&r1, &r2, sizeof r1) == 0);
        CHECK_OK(nt_sample_box((nt_sampler_kind)k, D, lo, hi, N, &r1, c));
        int differ = 0;
        for (int i = 0; i < N * D; i++) differ |= a[i] != c[i];
        CHECK(differ); /* a redraw gives new points (also for the shifted Sobol') */
        nt_rng_init(&r1, 1234);
        CHECK_OK(nt_sample_box((nt_sampler_kind)k, D, ulo, uhi, N, &r1, u));
        int inside = 1;
        for (int i = 0; i < N; i++)
            for (int d = 0; d < D; d++) {
                double v = a[i * D + d];
                CHECK_NEAR(v, lo[d] + (hi[d] - lo[d]) * u[i * D + d], 1e-15 * 8);
                inside &= v >= lo[d] && v <= hi[d] && u[i * D + d] >= 0 && u[i * D + d] < 1;
            }
        CHECK(inside);
    }
}

int main(void)
{
    RUN(test_parse_name);
    RUN(test_bad_args);
    RUN(test_uniform_moments);
    RUN(test_lhs_strata);
    RUN(test_sobol_known);
    RUN(test_sobol_net);
    RUN(test_determinism_scaling);
    return nt_test_finish();
}

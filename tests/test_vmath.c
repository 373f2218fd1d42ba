/* test_vmath.c — accuracy, special values, vector/scalar agreement and speed of
 * the branch-free math in core/vmath.h.
 *
 * Accuracy: for each function and dtype, dense sweeps (1e6 points; 1e5 under
 * NT_TEST_QUICK) over the function's range — uniform, log-uniform in magnitude
 * down to 1e-300 (1e-40 for f32), windows around thresholds, points next to the
 * zeros of sin/cos — plus special values. f64 is compared with long double libm,
 * f32 with double libm; errors are in ulps of the correctly rounded result (in the
 * subnormal range, ulps of the smallest subnormal). Each case asserts the bound in
 * its table row and prints the measured maximum.
 * Every sweep evaluates the inputs once in a `#pragma omp simd` loop (vectorised at
 * -O3) and once per element through a function pointer (scalar); the results must
 * agree bit for bit.
 * Speed is printed, not asserted: ns per element over 1e6 elements, nt_v* against
 * libm. */
#include "harness.h"
#include "core/internal.h"
#include "core/vmath.h"

#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- deterministic random numbers ------------------------------------------------ */

static uint64_t g_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd64(void)
{
    g_state ^= g_state << 13;
    g_state ^= g_state >> 7;
    g_state ^= g_state << 17;
    return g_state;
}
static double urand(void) { return (double)(rnd64() >> 11) * 0x1p-53; }

/* ---- ulp errors -------------------------------------------------------------------- */

/* Without hardware FMA (e.g. plain -march=x86-64) vmath.h falls back to separate
 * multiply and add; the bounds below get this much extra room then. */
#ifdef __FP_FAST_FMA
#define NOFMA_SLACK 0.0
#else
#define NOFMA_SLACK 1.0
#endif

/* |got - ref| in ulps of ref rounded to double (subnormal ulp below DBL_MIN). */
static double ulp_f64(double got, long double ref)
{
    if (isnan(ref) || isnan(got)) return isnan(ref) && isnan(got) ? 0.0 : INFINITY;
    double rd = (double)ref;
    if (isinf(rd) || isinf(got)) return got == rd ? 0.0 : INFINITY;
    int e = ref == 0.0L ? -1022 : ilogbl(ref);
    if (e < -1022) e = -1022;
    return (double)(fabsl((long double)got - ref) / ldexpl(1.0L, e - 52));
}

static double ulp_f32(float got, double ref)
{
    if (isnan(ref) || isnan(got)) return isnan(ref) && isnan(got) ? 0.0 : INFINITY;
    float rf = (float)ref;
    if (isinf(rf) || isinf(got)) return got == rf ? 0.0 : INFINITY;
    int e = ref == 0.0 ? -126 : ilogb(ref);
    if (e < -126) e = -126;
    return fabs((double)got - ref) / ldexp(1.0, e - 23);
}

/* ---- references ------------------------------------------------------------------------ */

#define INV_SQRT_2PI_L 0.398942280401432677939946059934381868L
#define INV_SQRT_PI2_L 1.128379167095512573896158903121545172L /* 2/√π */
#define SQRT1_2 0.70710678118654752440

static long double r64_exp(double x) { return expl(x); }
static long double r64_expm1(double x) { return expm1l(x); }
static long double r64_tanh(double x) { return tanhl(x); }
static long double r64_sigmoid(double x)
{
    if (x >= 0) return 1.0L / (1.0L + expl(-(long double)x));
    long double e = expl(x);
    return e / (1.0L + e);
}
/* exp(-x²/2)/√(2π) with x² = h + l exact (x has 53 bits, long double 64). */
static long double r64_phi(double x)
{
    if (isinf(x)) return 0.0L;
    long double h = (long double)x * x, l = fmal(x, x, -h);
    return expl(-0.5L * h) * (1.0L - 0.5L * l) * INV_SQRT_2PI_L;
}
/* ½·erfc(z) at z = -x/√2, z = z0 + dz with dz the rounding error of z0 in long double,
 * corrected to first order (the tail's condition number x² would otherwise cost up
 * to ~0.7 double ulp at x = -38). */
static long double r64_Phi(double x)
{
    if (isinf(x)) return x > 0 ? 1.0L : 0.0L;
    const long double c = 0.707106781186547524400844362104849039L;
    long double cl = fmal(-2.0L * c, c, 1.0L) / (4.0L * c); /* 1/√2 - c */
    long double z0 = -(long double)x * c;
    long double dz = fmal(-(long double)x, c, -z0) - (long double)x * cl;
    return 0.5L * erfcl(z0) - 0.5L * dz * INV_SQRT_PI2_L * expl(-z0 * z0);
}
static long double r64_sin(double x) { return sinl(x); }
static long double r64_cos(double x) { return cosl(x); }

static double r32_exp(float x) { return exp(x); }
static double r32_expm1(float x) { return expm1(x); }
static double r32_tanh(float x) { return tanh(x); }
static double r32_sigmoid(float x) { return x >= 0 ? 1.0 / (1.0 + exp(-(double)x)) : exp(x) / (1.0 + exp(x)); }
static double r32_phi(float x) { return exp(-0.5 * ((double)x * x)) * (double)INV_SQRT_2PI_L; }
static double r32_Phi(float x) { return 0.5 * erfc(-(double)x * SQRT1_2); }
static double r32_sin(float x) { return sin(x); }
static double r32_cos(float x) { return cos(x); }

/* ---- the functions under test: scalar wrappers and vectorised array loops ------------- */

#define WRAP(name)                                                              \
    static double s64_##name(double x) { return nt_v##name##_f64(x); }         \
    static float s32_##name(float x) { return nt_v##name##_f32(x); }
WRAP(exp)
WRAP(expm1)
WRAP(tanh)
WRAP(sigmoid)
WRAP(phi)
WRAP(Phi)
WRAP(sin)
WRAP(cos)

/* Array loops through the type-generic macros, as a kernel written with a typedef T
 * would use them. These are the loops -fopt-info-vec-optimized reports. */
#define APPLY(name, T, sfx)                                                     \
    static void a##sfx##_##name(const T *restrict x, T *restrict y, int64_t n)  \
    {                                                                           \
        _Pragma("omp simd") for (int64_t i = 0; i < n; i++) y[i] = nt_v##name(x[i]); \
    }
APPLY(exp, double, 64)
APPLY(exp, float, 32)
APPLY(expm1, double, 64)
APPLY(expm1, float, 32)
APPLY(tanh, double, 64)
APPLY(tanh, float, 32)
APPLY(sigmoid, double, 64)
APPLY(sigmoid, float, 32)
APPLY(phi, double, 64)
APPLY(phi, float, 32)
APPLY(Phi, double, 64)
APPLY(Phi, float, 32)
APPLY(sin, double, 64)
APPLY(sin, float, 32)
APPLY(cos, double, 64)
APPLY(cos, float, 32)

/* ---- sweeps ------------------------------------------------------------------------------ */

/* A segment of test points: uniform in [lo, hi], or (log) magnitude log-uniform in
 * [lo, hi] (0 < lo) with a random sign. */
typedef struct { double lo, hi; int log; } seg;

typedef struct {
    const char *name;
    double (*s64)(double);
    void (*a64)(const double *, double *, int64_t);
    long double (*r64)(double);
    float (*s32)(float);
    void (*a32)(const float *, float *, int64_t);
    double (*r32)(float);
    seg seg64[6], seg32[6]; /* up to 5 segments, terminated by lo == hi == 0 */
    double bound64, bound32;  /* asserted max ulp */
    double xmax;              /* inputs with |x| > xmax are left out (0: none) */
} fcase;

static const double g_specials[] = {
    0.0, -0.0, 4.9406564584124654e-324, -4.9406564584124654e-324, 2.2250738585072014e-308,
    -2.2250738585072014e-308, 1e-300, -1e-300, 1e-200, -1e-200, 1e-40, -1e-40, 1e-17, -1e-17,
    1e-8, -1e-8, 0.25, -0.25, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 10.0, -10.0, 100.0, -100.0,
    1e4, -1e4, 1e300, -1e300, DBL_MAX, -DBL_MAX, INFINITY, -INFINITY, NAN};
#define N_SPECIALS ((int64_t)(sizeof g_specials / sizeof g_specials[0]))

static int64_t gen_points(double *x, int64_t n, const seg *s)
{
    int ns = 0;
    while (s[ns].lo != 0.0 || s[ns].hi != 0.0) ns++;
    for (int64_t i = 0; i < n; i++) {
        const seg *g = &s[i % ns];
        double v;
        if (g->log) {
            double m = exp(log(g->lo) + urand() * (log(g->hi) - log(g->lo)));
            v = (rnd64() & 1) ? -m : m;
        } else {
            v = g->lo + urand() * (g->hi - g->lo);
        }
        x[i] = v;
    }
    memcpy(x + n, g_specials, sizeof g_specials);
    return n + N_SPECIALS;
}

static int same_bits64(double a, double b) { return (isnan(a) && isnan(b)) || !memcmp(&a, &b, sizeof a); }
static int same_bits32(float a, float b) { return (isnan(a) && isnan(b)) || !memcmp(&a, &b, sizeof a); }

static void run_case64(const fcase *c, int64_t n, const double *extra, int64_t n_extra)
{
    double *x = malloc((size_t)(n + N_SPECIALS + n_extra) * sizeof *x);
    double *y = malloc((size_t)(n + N_SPECIALS + n_extra) * sizeof *y);
    int64_t m = gen_points(x, n, c->seg64);
    if (n_extra) memcpy(x + m, extra, (size_t)n_extra * sizeof *x);
    m += n_extra;
    c->a64(x, y, m);
    double worst = 0, worst_x = 0;
    int64_t mismatch = 0, used = 0;
    for (int64_t i = 0; i < m; i++) {
        if (c->xmax > 0 && fabs(x[i]) > c->xmax) continue;
        double s = c->s64(x[i]);
        if (!same_bits64(s, y[i])) mismatch++;
        double e = ulp_f64(s, c->r64(x[i]));
        used++;
        if (!(e <= worst)) { worst = e; worst_x = x[i]; }
    }
    printf("    %-8s f64: max %.3f ulp (bound %.1f) at x = %.17g  [%lld points]\n", c->name, worst,
           c->bound64, worst_x, (long long)used);
    CHECK(worst <= c->bound64 + NOFMA_SLACK);
    CHECK(mismatch == 0);
    free(x);
    free(y);
}

static void run_case32(const fcase *c, int64_t n, const float *extra, int64_t n_extra)
{
    double *xd = malloc((size_t)(n + N_SPECIALS) * sizeof *xd);
    int64_t m = gen_points(xd, n, c->seg32);
    float *x = malloc((size_t)(m + n_extra) * sizeof *x);
    float *y = malloc((size_t)(m + n_extra) * sizeof *y);
    for (int64_t i = 0; i < m; i++) x[i] = (float)xd[i];
    if (n_extra) memcpy(x + m, extra, (size_t)n_extra * sizeof *x);
    m += n_extra;
    c->a32(x, y, m);
    double worst = 0, worst_x = 0;
    int64_t mismatch = 0, used = 0;
    for (int64_t i = 0; i < m; i++) {
        if (c->xmax > 0 && fabsf(x[i]) > c->xmax) continue;
        float s = c->s32(x[i]);
        if (!same_bits32(s, y[i])) mismatch++;
        double e = ulp_f32(s, c->r32(x[i]));
        used++;
        if (!(e <= worst)) { worst = e; worst_x = x[i]; }
    }
    printf("    %-8s f32: max %.3f ulp (bound %.1f) at x = %.9g  [%lld points]\n", c->name, worst,
           c->bound32, worst_x, (long long)used);
    CHECK(worst <= c->bound32 + NOFMA_SLACK);
    CHECK(mismatch == 0);
    free(xd);
    free(x);
    free(y);
}

#define CASE(nm) #nm, s64_##nm, a64_##nm, r64_##nm, s32_##nm, a32_##nm, r32_##nm

static const fcase g_cases[] = {
    {CASE(exp),
     {{-750, 712, 0}, {-2, 2, 0}, {1e-300, 750, 1}, {705, 710, 0}, {-746, -700, 0}},
     {{-105, 90, 0}, {-2, 2, 0}, {1e-40, 110, 1}, {85, 89, 0}, {-104, -85, 0}},
     1.5, 1.5, 0},
    {CASE(expm1),
     {{-60, 712, 0}, {-1, 1, 0}, {1e-300, 750, 1}, {-0.8, 0.8, 0}, {-40, 40, 0}},
     {{-25, 90, 0}, {-1, 1, 0}, {1e-40, 110, 1}, {-0.8, 0.8, 0}, {-20, 20, 0}},
     2.0, 2.0, 0},
    {CASE(tanh),
     {{-30, 30, 0}, {-1, 1, 0}, {1e-300, 1e3, 1}, {-3, 3, 0}, {0, 0, 0}},
     {{-12, 12, 0}, {-1, 1, 0}, {1e-40, 1e3, 1}, {-3, 3, 0}, {0, 0, 0}},
     2.5, 2.5, 0},
    {CASE(sigmoid),
     {{-750, 750, 0}, {-5, 5, 0}, {1e-300, 1e3, 1}, {-40, 40, 0}, {0, 0, 0}},
     {{-110, 110, 0}, {-5, 5, 0}, {1e-40, 1e3, 1}, {-20, 20, 0}, {0, 0, 0}},
     3.0, 3.0, 0},
    {CASE(phi),
     {{-40, 40, 0}, {-3, 3, 0}, {1e-300, 40, 1}, {-39, -30, 0}, {30, 39, 0}},
     {{-16, 16, 0}, {-3, 3, 0}, {1e-40, 16, 1}, {-15, -10, 0}, {10, 15, 0}},
     1.5, 1.0, 0},
    {CASE(Phi),
     {{-39, 9, 0}, {-3, 3, 0}, {1e-300, 39, 1}, {-38.6, -20, 0}, {-8, 0, 0}},
     {{-15, 6, 0}, {-3, 3, 0}, {1e-40, 15, 1}, {-14.5, -8, 0}, {-4, 0, 0}},
     3.0, 1.0, 0},
    {CASE(sin),
     {{-1e4, 1e4, 0}, {-10, 10, 0}, {1e-300, 1e4, 1}, {-2, 2, 0}, {-3e6, 3e6, 0}},
     {{-1e4, 1e4, 0}, {-10, 10, 0}, {1e-40, 1e4, 1}, {-2, 2, 0}, {-3e6, 3e6, 0}},
     1.5, 1.0, 3.3e6},
    {CASE(cos),
     {{-1e4, 1e4, 0}, {-10, 10, 0}, {1e-300, 1e4, 1}, {-2, 2, 0}, {-3e6, 3e6, 0}},
     {{-1e4, 1e4, 0}, {-10, 10, 0}, {1e-40, 1e4, 1}, {-2, 2, 0}, {-3e6, 3e6, 0}},
     1.5, 1.0, 3.3e6},
};
#define N_CASES ((int)(sizeof g_cases / sizeof g_cases[0]))

static int64_t sweep_n(void) { return nt_test_quick() ? 100000 : 1000000; }

/* Doubles and floats within 3 ulps of k·π/2 (k up to ~1e4·2/π, every k) — the
 * zeros of sin and cos, where the reduction must not lose relative accuracy. */
static int64_t near_pio2_f64(double *x, int64_t kmax)
{
    int64_t m = 0;
    for (int64_t k = 1; k <= kmax; k++) {
        double v = (double)((long double)k * 1.570796326794896619231321691639751442L);
        for (int j = 0; j < 3; j++) v = nextafter(v, 0.0);
        for (int j = 0; j < 7; j++) {
            x[m++] = v;
            x[m++] = -v;
            v = nextafter(v, INFINITY);
        }
    }
    return m;
}
static int64_t near_pio2_f32(float *x, int64_t kmax)
{
    int64_t m = 0;
    for (int64_t k = 1; k <= kmax; k++) {
        float v = (float)((long double)k * 1.570796326794896619231321691639751442L);
        for (int j = 0; j < 3; j++) v = nextafterf(v, 0.0f);
        for (int j = 0; j < 7; j++) {
            x[m++] = v;
            x[m++] = -v;
            v = nextafterf(v, INFINITY);
        }
    }
    return m;
}

static void test_accuracy(void)
{
    int64_t n = sweep_n();
    int64_t kmax = nt_test_quick() ? 600 : 6400;
    double *ex64 = malloc((size_t)kmax * 14 * sizeof *ex64);
    float *ex32 = malloc((size_t)kmax * 14 * sizeof *ex32);
    int64_t ne64 = near_pio2_f64(ex64, kmax), ne32 = near_pio2_f32(ex32, kmax);
    for (int i = 0; i < N_CASES; i++) {
        const fcase *c = &g_cases[i];
        int trig = !strcmp(c->name, "sin") || !strcmp(c->name, "cos");
        run_case64(c, n, trig ? ex64 : NULL, trig ? ne64 : 0);
        run_case32(c, n, trig ? ex32 : NULL, trig ? ne32 : 0);
    }
    free(ex64);
    free(ex32);
}

/* The deep left tail of Φ on its own: relative accuracy down to ~1e-300. */
static void test_Phi_tail(void)
{
    int64_t n = sweep_n() / 4;
    double *x = malloc((size_t)n * sizeof *x);
    double worst = 0, worst_x = 0, worst_rel = 0;
    for (int64_t i = 0; i < n; i++) x[i] = -37.0 + 29.0 * urand(); /* Φ in [1e-299, 6e-16] */
    for (int64_t i = 0; i < n; i++) {
        double got = nt_vPhi_f64(x[i]);
        long double ref = r64_Phi(x[i]);
        double e = ulp_f64(got, ref);
        double rel = (double)fabsl((got - ref) / ref);
        if (e > worst) { worst = e; worst_x = x[i]; }
        if (rel > worst_rel) worst_rel = rel;
    }
    printf("    Phi f64 on [-37, -8]: max %.3f ulp, max relative error %.3g (at x = %.17g)\n", worst,
           worst_rel, worst_x);
    CHECK(worst <= 3.0 + NOFMA_SLACK);
    CHECK(worst_rel <= 4e-16 * (1.0 + NOFMA_SLACK));
    free(x);
}

/* ---- special values -------------------------------------------------------------------- */

static int is_neg_zero(double v) { return v == 0.0 && signbit(v); }
static int is_pos_zero(double v) { return v == 0.0 && !signbit(v); }

static void test_specials(void)
{
    const double inf = INFINITY, nan = NAN;
    const float finf = INFINITY, fnan = NAN;

    CHECK(nt_vexp_f64(0.0) == 1.0 && nt_vexp_f64(-0.0) == 1.0);
    CHECK(nt_vexp_f64(inf) == inf && is_pos_zero(nt_vexp_f64(-inf)) && isnan(nt_vexp_f64(nan)));
    CHECK(nt_vexp_f64(709.78) < inf && nt_vexp_f64(709.79) == inf && nt_vexp_f64(1e300) == inf);
    CHECK(nt_vexp_f64(-745.0) == 4.9406564584124654e-324 && nt_vexp_f64(-746.0) == 0.0);
    CHECK(ulp_f64(nt_vexp_f64(1.0), expl(1.0L)) <= 1.0);
    CHECK(nt_vexp_f32(0.0f) == 1.0f && nt_vexp_f32(finf) == finf && nt_vexp_f32(-finf) == 0.0f);
    CHECK(isnan(nt_vexp_f32(fnan)) && nt_vexp_f32(89.0f) == finf && nt_vexp_f32(88.7f) < finf);
    CHECK(nt_vexp_f32(-103.5f) > 0.0f && nt_vexp_f32(-104.0f) == 0.0f);

    CHECK(is_pos_zero(nt_vexpm1_f64(0.0)) && is_neg_zero(nt_vexpm1_f64(-0.0)));
    CHECK(nt_vexpm1_f64(1e-300) == 1e-300 && nt_vexpm1_f64(-4.9406564584124654e-324) == -4.9406564584124654e-324);
    CHECK(nt_vexpm1_f64(inf) == inf && nt_vexpm1_f64(-inf) == -1.0 && isnan(nt_vexpm1_f64(nan)));
    CHECK(nt_vexpm1_f64(-40.0) == -1.0 + (double)expl(-40.0L) && nt_vexpm1_f64(710.0) == inf);
    CHECK(is_pos_zero(nt_vexpm1_f32(0.0f)) && is_neg_zero(nt_vexpm1_f32(-0.0f)));
    CHECK(nt_vexpm1_f32(1e-30f) == 1e-30f && nt_vexpm1_f32(finf) == finf && nt_vexpm1_f32(-finf) == -1.0f);
    CHECK(isnan(nt_vexpm1_f32(fnan)));

    CHECK(is_pos_zero(nt_vtanh_f64(0.0)) && is_neg_zero(nt_vtanh_f64(-0.0)));
    CHECK(nt_vtanh_f64(inf) == 1.0 && nt_vtanh_f64(-inf) == -1.0 && isnan(nt_vtanh_f64(nan)));
    CHECK(nt_vtanh_f64(20.0) == 1.0 && nt_vtanh_f64(-1e300) == -1.0 && nt_vtanh_f64(1e-300) == 1e-300);
    CHECK(nt_vtanh_f64(-4.9406564584124654e-324) == -4.9406564584124654e-324);
    CHECK(is_pos_zero(nt_vtanh_f32(0.0f)) && is_neg_zero(nt_vtanh_f32(-0.0f)));
    CHECK(nt_vtanh_f32(finf) == 1.0f && nt_vtanh_f32(-finf) == -1.0f && isnan(nt_vtanh_f32(fnan)));
    CHECK(nt_vtanh_f32(1e-40f) == 1e-40f && nt_vtanh_f32(-9.5f) == -1.0f);
    for (int i = 0; i < 1000; i++) { /* odd symmetry, exactly */
        double v = 12.0 * urand();
        CHECK(nt_vtanh_f64(-v) == -nt_vtanh_f64(v));
        CHECK(nt_vtanh_f32(-(float)v) == -nt_vtanh_f32((float)v));
    }

    CHECK(nt_vsigmoid_f64(0.0) == 0.5 && nt_vsigmoid_f64(-0.0) == 0.5);
    CHECK(nt_vsigmoid_f64(inf) == 1.0 && is_pos_zero(nt_vsigmoid_f64(-inf)) && isnan(nt_vsigmoid_f64(nan)));
    CHECK(nt_vsigmoid_f64(40.0) == 1.0 && nt_vsigmoid_f64(-700.0) > 0.0 && nt_vsigmoid_f64(-746.0) == 0.0);
    CHECK(nt_vsigmoid_f32(0.0f) == 0.5f && nt_vsigmoid_f32(finf) == 1.0f && nt_vsigmoid_f32(-finf) == 0.0f);
    CHECK(isnan(nt_vsigmoid_f32(fnan)) && nt_vsigmoid_f32(-100.0f) > 0.0f);

    CHECK(nt_vphi_f64(0.0) == (double)INV_SQRT_2PI_L && nt_vphi_f64(-0.0) == nt_vphi_f64(0.0));
    CHECK(is_pos_zero(nt_vphi_f64(inf)) && is_pos_zero(nt_vphi_f64(-inf)) && isnan(nt_vphi_f64(nan)));
    CHECK(nt_vphi_f64(38.5) > 0.0 && nt_vphi_f64(38.7) == 0.0 && nt_vphi_f64(-1e300) == 0.0);
    CHECK(nt_vphi_f32(0.0f) == (float)INV_SQRT_2PI_L && nt_vphi_f32(finf) == 0.0f && isnan(nt_vphi_f32(fnan)));

    CHECK(nt_vPhi_f64(0.0) == 0.5 && nt_vPhi_f64(-0.0) == 0.5);
    CHECK(nt_vPhi_f64(inf) == 1.0 && is_pos_zero(nt_vPhi_f64(-inf)) && isnan(nt_vPhi_f64(nan)));
    CHECK(nt_vPhi_f64(9.0) == 1.0 && nt_vPhi_f64(-37.5) > 0.0 && nt_vPhi_f64(-38.7) == 0.0);
    CHECK(nt_vPhi_f32(0.0f) == 0.5f && nt_vPhi_f32(finf) == 1.0f && nt_vPhi_f32(-finf) == 0.0f);
    CHECK(isnan(nt_vPhi_f32(fnan)) && nt_vPhi_f32(-14.0f) > 0.0f && nt_vPhi_f32(-14.5f) == 0.0f);

    CHECK(is_pos_zero(nt_vsin_f64(0.0)) && is_neg_zero(nt_vsin_f64(-0.0)) && nt_vsin_f64(1e-300) == 1e-300);
    CHECK(isnan(nt_vsin_f64(inf)) && isnan(nt_vsin_f64(-inf)) && isnan(nt_vsin_f64(nan)));
    CHECK(nt_vcos_f64(0.0) == 1.0 && nt_vcos_f64(-0.0) == 1.0 && isnan(nt_vcos_f64(inf)) && isnan(nt_vcos_f64(nan)));
    CHECK(is_pos_zero(nt_vsin_f32(0.0f)) && is_neg_zero(nt_vsin_f32(-0.0f)) && nt_vcos_f32(0.0f) == 1.0f);
    CHECK(isnan(nt_vsin_f32(finf)) && isnan(nt_vcos_f32(-finf)) && isnan(nt_vsin_f32(fnan)));
    /* beyond the accurate range: still finite and within [-1, 1] */
    const double big[] = {1e7, -3e9, 1e15, 1e17, -1e200, DBL_MAX, -DBL_MAX};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        double s = nt_vsin_f64(big[i]), c = nt_vcos_f64(big[i]);
        float sf = nt_vsin_f32((float)NT_MIN(fabs(big[i]), FLT_MAX)), cf = nt_vcos_f32((float)NT_MIN(fabs(big[i]), FLT_MAX));
        CHECK(fabs(s) <= 1.0 && fabs(c) <= 1.0 && fabsf(sf) <= 1.0f && fabsf(cf) <= 1.0f);
    }
    /* sin/cos at 1e7: still within 1e-9 absolute */
    CHECK_NEAR(nt_vsin_f64(1e7), (double)sinl(1e7L), 1e-9);
    CHECK_NEAR(nt_vcos_f64(1e7), (double)cosl(1e7L), 1e-9);
}

/* The _Generic front ends choose the dtype from the argument, inside NT_DISPATCH. */
static void test_generic(void)
{
    for (int d = 0; d < 2; d++) {
        nt_dtype dt = d ? NT_F64 : NT_F32;
        NT_DISPATCH(dt, T, {
            T x = (T)0.3;
            CHECK(sizeof(nt_vexp(x)) == sizeof(T) && sizeof(nt_vexpm1(x)) == sizeof(T));
            CHECK(sizeof(nt_vtanh(x)) == sizeof(T) && sizeof(nt_vsigmoid(x)) == sizeof(T));
            CHECK(sizeof(nt_vphi(x)) == sizeof(T) && sizeof(nt_vPhi(x)) == sizeof(T));
            CHECK(sizeof(nt_vsin(x)) == sizeof(T) && sizeof(nt_vcos(x)) == sizeof(T));
            if (sizeof(T) == sizeof(float)) {
                CHECK(nt_vtanh(x) == nt_vtanh_f32(0.3f) && nt_vPhi(x) == nt_vPhi_f32(0.3f));
            } else {
                CHECK(nt_vtanh(x) == nt_vtanh_f64(0.3) && nt_vPhi(x) == nt_vPhi_f64(0.3));
            }
        });
    }
    CHECK(nt_vexp(1) == nt_vexp_f64(1.0)); /* integers go to f64 */
}

/* ---- speed (printed only) ---------------------------------------------------------------- */

static double g_sink;

static void libm_tanh64(const double *x, double *y, int64_t n) { for (int64_t i = 0; i < n; i++) y[i] = tanh(x[i]); }
static void libm_tanh32(const float *x, float *y, int64_t n) { for (int64_t i = 0; i < n; i++) y[i] = tanhf(x[i]); }
static void libm_exp64(const double *x, double *y, int64_t n) { for (int64_t i = 0; i < n; i++) y[i] = exp(x[i]); }
static void libm_exp32(const float *x, float *y, int64_t n) { for (int64_t i = 0; i < n; i++) y[i] = expf(x[i]); }
static void libm_sig64(const double *x, double *y, int64_t n) { for (int64_t i = 0; i < n; i++) y[i] = 1.0 / (1.0 + exp(-x[i])); }
static void libm_sig32(const float *x, float *y, int64_t n) { for (int64_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i])); }
static void libm_Phi64(const double *x, double *y, int64_t n) { for (int64_t i = 0; i < n; i++) y[i] = 0.5 * erfc(-x[i] * SQRT1_2); }
static void libm_Phi32(const float *x, float *y, int64_t n) { for (int64_t i = 0; i < n; i++) y[i] = 0.5f * erfcf(-x[i] * (float)SQRT1_2); }
static void libm_sin64(const double *x, double *y, int64_t n) { for (int64_t i = 0; i < n; i++) y[i] = sin(x[i]); }
static void libm_sin32(const float *x, float *y, int64_t n) { for (int64_t i = 0; i < n; i++) y[i] = sinf(x[i]); }

static double time64(void (*f)(const double *, double *, int64_t), const double *x, double *y, int64_t n, int reps)
{
    double best = INFINITY;
    for (int r = 0; r < reps; r++) {
        double t0 = nt_time_now();
        f(x, y, n);
        double dt = nt_time_now() - t0;
        if (dt < best) best = dt;
        g_sink += y[n / 2];
    }
    return best * 1e9 / (double)n;
}
static double time32(void (*f)(const float *, float *, int64_t), const float *x, float *y, int64_t n, int reps)
{
    double best = INFINITY;
    for (int r = 0; r < reps; r++) {
        double t0 = nt_time_now();
        f(x, y, n);
        double dt = nt_time_now() - t0;
        if (dt < best) best = dt;
        g_sink += y[n / 2];
    }
    return best * 1e9 / (double)n;
}

static void test_speed(void)
{
    int64_t n = 1000000;
    int reps = nt_test_quick() ? 1 : 7;
    double *xd = malloc((size_t)n * sizeof *xd), *yd = malloc((size_t)n * sizeof *yd);
    float *xf = malloc((size_t)n * sizeof *xf), *yf = malloc((size_t)n * sizeof *yf);
    for (int64_t i = 0; i < n; i++) {
        xd[i] = -4.0 + 8.0 * urand(); /* typical pre-activation range */
        xf[i] = (float)xd[i];
    }
    struct {
        const char *name;
        void (*v64)(const double *, double *, int64_t), (*l64)(const double *, double *, int64_t);
        void (*v32)(const float *, float *, int64_t), (*l32)(const float *, float *, int64_t);
    } rows[] = {
        {"tanh", a64_tanh, libm_tanh64, a32_tanh, libm_tanh32},
        {"exp", a64_exp, libm_exp64, a32_exp, libm_exp32},
        {"sigmoid", a64_sigmoid, libm_sig64, a32_sigmoid, libm_sig32},
        {"Phi", a64_Phi, libm_Phi64, a32_Phi, libm_Phi32},
        {"sin", a64_sin, libm_sin64, a32_sin, libm_sin32},
    };
    printf("    speed, ns/element over 1e6 elements in [-4, 4], one thread (printed, not asserted):\n");
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        double v64 = time64(rows[r].v64, xd, yd, n, reps), l64 = time64(rows[r].l64, xd, yd, n, reps);
        double v32 = time32(rows[r].v32, xf, yf, n, reps), l32 = time32(rows[r].l32, xf, yf, n, reps);
        printf("    %-8s f64: nt_v %6.3f  libm %6.3f  (x%.1f)   f32: nt_v %6.3f  libm %6.3f  (x%.1f)\n",
               rows[r].name, v64, l64, l64 / v64, v32, l32, l32 / v32);
    }
    CHECK(isfinite(g_sink));
    free(xd);
    free(yd);
    free(xf);
    free(yf);
}

int main(void)
{
    RUN(test_specials);
    RUN(test_generic);
    RUN(test_accuracy);
    RUN(test_Phi_tail);
    RUN(test_speed);
    return nt_test_finish();
}

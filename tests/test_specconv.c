/* test_specconv.c — the spectral convolution op (1-D and 2-D) and the relative L2 loss.
 *
 * The forward pass is compared with a direct O(n²) DFT evaluation of the definition
 * in noether.h; independent properties (identity weights keep every retained
 * frequency, plane waves outside the kept block vanish, linearity, circular-shift
 * equivariance, batch independence) do not rely on that definition's details.
 * Gradients w.r.t. the input and the weights are checked against central
 * differences in float64 (h = 1e-6, tolerance 1e-6 relative + 1e-8 absolute as in
 * test_ops: the op is bilinear so the FD truncation error is ~0 and only rounding,
 * ~eps·|L|/h ≈ 1e-10, remains). */
#include "harness.h"

#include "ad/specconv.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------- */
/* Reference: the definition evaluated with explicit sums                         */

typedef struct sc_shape {
    int64_t B, sx, sy, ci, co;
    int m1, m2;   /* m1 = 0: 1-D (sx must be 1) */
} sc_shape;

static int64_t n_modes(const sc_shape *s) { return (s->m1 ? 2 * s->m1 : 1) * (int64_t)s->m2; }
static int64_t w_cols(const sc_shape *s) { return s->co * n_modes(s) * 2; }
static int64_t x_rows(const sc_shape *s) { return s->B * s->sx * s->sy; }

static int64_t ref_kx(const sc_shape *s, int a)
{
    if (!s->m1) return 0;
    return a < s->m1 ? a : s->sx - 2 * s->m1 + a;
}

/* y[b, jx, jy, o] from x[b, jx, jy, i] and W[i][o][a·m2 + ky][re, im]. */
static void ref_specconv(const sc_shape *s, const double *x, const double *W, double *y)
{
    int64_t N = s->sx * s->sy, M = n_modes(s), nkx = s->m1 ? 2 * s->m1 : 1;
    memset(y, 0, (size_t)(x_rows(s) * s->co) * sizeof(double));
    double *Xr = malloc((size_t)s->ci * sizeof(double)), *Xi = malloc((size_t)s->ci * sizeof(double));
    for (int64_t b = 0; b < s->B; b++)
        for (int64_t a = 0; a < nkx; a++)
            for (int64_t ky = 0; ky < s->m2; ky++) {
                int64_t kx = ref_kx(s, (int)a), k = a * s->m2 + ky;
                double c = (ky == 0 || (s->sy % 2 == 0 && ky == s->sy / 2)) ? 1.0 : 2.0;
                for (int64_t i = 0; i < s->ci; i++) {
                    double sr = 0, si = 0;
                    for (int64_t jx = 0; jx < s->sx; jx++)
                        for (int64_t jy = 0; jy < s->sy; jy++) {
                            double th = 2 * NT_TEST_PI * ((double)(kx * jx % s->sx) / (double)s->sx +
                                                          (double)(ky * jy % s->sy) / (double)s->sy);
                            double v = x[((b * s->sx + jx) * s->sy + jy) * s->ci + i];
                            sr += v * cos(th);
                            si -= v * sin(th);
                        }
                    Xr[i] = sr;
                    Xi[i] = si;
                }
                for (int64_t o = 0; o < s->co; o++) {
                    double yr = 0, yi = 0;
                    for (int64_t i = 0; i < s->ci; i++) {
                        double wr = W[2 * ((i * s->co + o) * M + k)], wi = W[2 * ((i * s->co + o) * M + k) + 1];
                        yr += Xr[i] * wr - Xi[i] * wi;
                        yi += Xr[i] * wi + Xi[i] * wr;
                    }
                    for (int64_t jx = 0; jx < s->sx; jx++)
                        for (int64_t jy = 0; jy < s->sy; jy++) {
                            double th = 2 * NT_TEST_PI * ((double)(kx * jx % s->sx) / (double)s->sx +
                                                          (double)(ky * jy % s->sy) / (double)s->sy);
                            y[((b * s->sx + jx) * s->sy + jy) * s->co + o] +=
                                c / (double)N * (yr * cos(th) - yi * sin(th));
                        }
                }
            }
    free(Xr);
    free(Xi);
}

static nt_tensor *op(nt_tape *t, const sc_shape *s, nt_tensor *x, nt_tensor *W)
{
    return s->m1 ? nt_spectral_conv2d(t, x, W, s->sx, s->sy, s->m1, s->m2)
                 : nt_spectral_conv1d(t, x, W, s->sy, s->m2);
}

static double *rand_vec(nt_rng *r, int64_t n, double lo, double hi)
{
    double *v = malloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * nt_rng_uniform(r);
    return v;
}

/* Runs the op on (x, W) in dtype dt and copies the result out as doubles. */
static void run_op(const sc_shape *s, nt_dtype dt, const double *x, const double *W, double *y)
{
    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 1 << 20));
    nt_tensor *xt = nt_tensor_from_f64(&t, dt, x_rows(s), s->ci, x);
    nt_tensor *Wt = nt_tensor_from_f64(&t, dt, s->ci, w_cols(s), W);
    nt_tensor *yt = op(&t, s, xt, Wt);
    CHECK(yt != NULL && nt_tensor_rows(yt) == x_rows(s) && nt_tensor_cols(yt) == s->co);
    for (int64_t i = 0; yt && i < yt->size; i++) y[i] = nt_tensor_get(yt, i);
    nt_tape_free(&t);
}

static double max_abs(const double *v, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(v[i]));
    return m;
}

/* Shapes covering even/odd sizes, the Nyquist mode, full and partial mode sets. */
static const sc_shape SHAPES[] = {
    {2, 1, 8, 2, 3, 0, 3},   /* 1-D, even, low modes */
    {2, 1, 8, 2, 3, 0, 5},   /* 1-D, even, all modes incl. Nyquist */
    {3, 1, 9, 3, 2, 0, 5},   /* 1-D, odd, all modes */
    {1, 1, 17, 2, 2, 0, 4},  /* 1-D, odd */
    {2, 6, 5, 2, 3, 2, 3},   /* 2-D, odd sy, all ky */
    {2, 5, 8, 2, 2, 2, 5},   /* 2-D, odd sx, Nyquist ky */
    {1, 4, 4, 2, 2, 2, 2},   /* 2-D, 2·m1 = sx (all kx rows) */
    {2, 7, 9, 3, 2, 3, 4},   /* 2-D, odd both */
};
#define N_SHAPES ((int)(sizeof SHAPES / sizeof SHAPES[0]))

/* The op against the direct DFT, float64 to 1e-12 and float32 to 2e-6 of max|y|. */
static void test_vs_direct_dft(void)
{
    nt_rng r;
    nt_rng_init(&r, 11);
    for (int c = 0; c < N_SHAPES; c++) {
        const sc_shape *s = &SHAPES[c];
        int64_t ny = x_rows(s) * s->co;
        double *x = rand_vec(&r, x_rows(s) * s->ci, -1, 1), *W = rand_vec(&r, s->ci * w_cols(s), -1, 1);
        double *yr = malloc((size_t)ny * sizeof(double)), *y = malloc((size_t)ny * sizeof(double));
        ref_specconv(s, x, W, yr);
        double scale = max_abs(yr, ny);
        CHECK(scale > 1e-3);
        run_op(s, NT_F64, x, W, y);
        double err = 0;
        for (int64_t i = 0; i < ny; i++) err = fmax(err, fabs(y[i] - yr[i]));
        if (!(err <= 1e-12 * scale))
            nt_test_fail(__FILE__, __LINE__, "shape %d: f64 max error %.3g (max |y| %.3g)", c, err, scale);
        run_op(s, NT_F32, x, W, y);
        err = 0;
        for (int64_t i = 0; i < ny; i++) err = fmax(err, fabs(y[i] - yr[i]));
        if (!(err <= 2e-6 * scale))
            nt_test_fail(__FILE__, __LINE__, "shape %d: f32 max error %.3g (max |y| %.3g)", c, err, scale);
        free(x);
        free(W);
        free(y);
        free(yr);
    }
}

/* Identity weights (W[i,o,k] = δ_io) with every mode kept reproduce the input exactly;
 * a plane wave passes when its mode is kept and vanishes when it is not. These use no
 * part of the reference above. */
static void test_identity_and_lowpass(void)
{
    const sc_shape full[] = {{2, 1, 8, 2, 2, 0, 5}, {2, 1, 9, 2, 2, 0, 5}, {1, 6, 8, 2, 2, 3, 5},
                             {1, 4, 7, 1, 1, 2, 4}};
    nt_rng r;
    nt_rng_init(&r, 12);
    for (int c = 0; c < 4; c++) {
        const sc_shape *s = &full[c];
        int64_t n = x_rows(s) * s->ci, M = n_modes(s);
        double *x = rand_vec(&r, n, -1, 1), *y = malloc((size_t)n * sizeof(double));
        double *W = calloc((size_t)(s->ci * w_cols(s)), sizeof(double));
        for (int64_t i = 0; i < s->ci; i++)
            for (int64_t k = 0; k < M; k++) W[2 * ((i * s->co + i) * M + k)] = 1.0;
        run_op(s, NT_F64, x, W, y);
        for (int64_t i = 0; i < n; i++) CHECK_NEAR(y[i], x[i], 1e-13);
        free(x);
        free(y);
        free(W);
    }
    /* Plane waves cos(2π(kx·jx/12 + 2·jy/10)) on 12 × 10 through identity weights:
     * the half spectrum holds them at (kx mod 12, 2). The low block keeps kx < m1,
     * the high block kx ≥ 12 − m1. */
    struct { int kx, m1, m2, pass; } wv[4] = {
        {3, 4, 3, 1},   /* kx = 3 in the low block, ky = 2 < m2 */
        {3, 4, 2, 0},   /* ky = 2 dropped */
        {3, 3, 3, 0},   /* kx = 3 in neither block */
        {-3, 3, 3, 1},  /* kx = 9 in the high block */
    };
    for (int c = 0; c < 4; c++) {
        sc_shape s = {1, 12, 10, 1, 1, wv[c].m1, wv[c].m2};
        int64_t n = x_rows(&s), M = n_modes(&s);
        double *x = malloc((size_t)n * sizeof(double)), *y = malloc((size_t)n * sizeof(double));
        double *W = calloc((size_t)w_cols(&s), sizeof(double));
        for (int64_t k = 0; k < M; k++) W[2 * k] = 1.0;
        for (int64_t jx = 0; jx < 12; jx++)
            for (int64_t jy = 0; jy < 10; jy++)
                x[jx * 10 + jy] = cos(2 * NT_TEST_PI * ((double)wv[c].kx * jx / 12 + 2.0 * jy / 10));
        run_op(&s, NT_F64, x, W, y);
        for (int64_t i = 0; i < n; i++) CHECK_NEAR(y[i], wv[c].pass ? x[i] : 0.0, 1e-13);
        free(x);
        free(y);
        free(W);
    }
}

/* Linear in x, and commutes with circular shifts of each sample's grid. */
static void test_linearity_and_shift(void)
{
    const sc_shape ss[] = {{2, 1, 12, 2, 3, 0, 4}, {2, 1, 11, 2, 2, 0, 6}, {2, 7, 6, 2, 3, 2, 3},
                           {1, 8, 9, 3, 2, 3, 5}};
    nt_rng r;
    nt_rng_init(&r, 13);
    for (int c = 0; c < 4; c++) {
        const sc_shape *s = &ss[c];
        int64_t nx = x_rows(s) * s->ci, ny = x_rows(s) * s->co;
        double *x1 = rand_vec(&r, nx, -1, 1), *x2 = rand_vec(&r, nx, -1, 1);
        double *W = rand_vec(&r, s->ci * w_cols(s), -1, 1);
        double *xs = malloc((size_t)nx * sizeof(double));
        double *y1 = malloc((size_t)ny * sizeof(double)), *y2 = malloc((size_t)ny * sizeof(double));
        double *y3 = malloc((size_t)ny * sizeof(double));
        /* linearity */
        for (int64_t i = 0; i < nx; i++) xs[i] = 0.7 * x1[i] - 1.3 * x2[i];
        run_op(s, NT_F64, x1, W, y1);
        run_op(s, NT_F64, x2, W, y2);
        run_op(s, NT_F64, xs, W, y3);
        double sc = max_abs(y3, ny);
        for (int64_t i = 0; i < ny; i++) CHECK_NEAR(y3[i], 0.7 * y1[i] - 1.3 * y2[i], 1e-13 * (1 + sc));
        /* shift by (dx, dy): x'(j) = x(j − d) ⇒ y'(j) = y(j − d) */
        int64_t dx = s->sx > 1 ? 2 : 0, dy = 5 % s->sy;
        for (int64_t b = 0; b < s->B; b++)
            for (int64_t jx = 0; jx < s->sx; jx++)
                for (int64_t jy = 0; jy < s->sy; jy++)
                    for (int64_t i = 0; i < s->ci; i++) {
                        int64_t fx = (jx - dx + s->sx) % s->sx, fy = (jy - dy + s->sy) % s->sy;
                        xs[((b * s->sx + jx) * s->sy + jy) * s->ci + i] =
                            x1[((b * s->sx + fx) * s->sy + fy) * s->ci + i];
                    }
        run_op(s, NT_F64, xs, W, y3);
        sc = max_abs(y1, ny);
        for (int64_t b = 0; b < s->B; b++)
            for (int64_t jx = 0; jx < s->sx; jx++)
                for (int64_t jy = 0; jy < s->sy; jy++)
                    for (int64_t o = 0; o < s->co; o++) {
                        int64_t fx = (jx - dx + s->sx) % s->sx, fy = (jy - dy + s->sy) % s->sy;
                        CHECK_NEAR(y3[((b * s->sx + jx) * s->sy + jy) * s->co + o],
                                   y1[((b * s->sx + fx) * s->sy + fy) * s->co + o], 1e-13 * (1 + sc));
                    }
        /* batch independence: sample 1 alone gives the same rows */
        if (s->B > 1) {
            sc_shape one = *s;
            one.B = 1;
            int64_t per = s->sx * s->sy;
            run_op(&one, NT_F64, x1 + per * s->ci, W, y2);
            for (int64_t i = 0; i < per * s->co; i++) CHECK_NEAR(y2[i], y1[per * s->co + i], 1e-14 * (1 + sc));
        }
        free(x1);
        free(x2);
        free(W);
        free(xs);
        free(y1);
        free(y2);
        free(y3);
    }
}

/* ---------------------------------------------------------------------------- */
/* Finite-difference gradient checks                                              */

#define GC_RTOL 1e-6
#define GC_ATOL 1e-8

typedef nt_tensor *(*build_fn)(nt_tape *t, nt_tensor *x, nt_tensor *W, const void *ctx);

typedef struct gc_ctx {
    nt_dtype dt;
    int64_t xr, xc, wr, wc;
    build_fn build;
    const void *ctx;
    const double *w;   /* output weights of the scalar L = Σ w ⊙ f */
} gc_ctx;

static double gc_loss(nt_tape *t, const gc_ctx *c, double *x, double *W, int grad, double *gx,
                      double *gW)
{
    nt_tape_reset(t);
    nt_tensor *xt = nt_tensor_from_f64(t, c->dt, c->xr, c->xc, x);
    nt_tensor *Wt = nt_tensor_from_f64(t, c->dt, c->wr, c->wc, W);
    if (grad) {
        nt_tensor_requires_grad(xt);
        nt_tensor_requires_grad(Wt);
    }
    nt_tensor *y = c->build(t, xt, Wt, c->ctx);
    CHECK(y != NULL);
    if (!y) return NAN;
    nt_tensor *wt = nt_tensor_from_f64(t, c->dt, y->size, 1, c->w);
    nt_tensor *L = y->size == 1 ? y : nt_sum(t, nt_mul(t, y, wt));
    if (grad) {
        CHECK_OK(nt_tape_backward(t, L));
        for (int64_t i = 0; i < xt->size; i++) gx[i] = nt_tensor_grad_get(xt, i);
        for (int64_t i = 0; i < Wt->size; i++) gW[i] = nt_tensor_grad_get(Wt, i);
    }
    return nt_tensor_get(L, 0);
}

/* Checks dL/dx and dL/dW at (x, W) against central differences; returns the worst
 * error in units of the tolerance. */
static double gradcheck(const char *name, const gc_ctx *c, double *x, double *W)
{
    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 1 << 20));
    int64_t nx = c->xr * c->xc, nw = c->wr * c->wc;
    double *gx = malloc((size_t)nx * sizeof(double)), *gW = malloc((size_t)nw * sizeof(double));
    gc_loss(&t, c, x, W, 1, gx, gW);
    const double h = 1e-6;
    double worst = 0;
    for (int which = 0; which < 2; which++) {
        double *v = which ? W : x, *g = which ? gW : gx;
        int64_t n = which ? nw : nx;
        for (int64_t k = 0; k < n; k++) {
            double keep = v[k];
            v[k] = keep + h;
            double lp = gc_loss(&t, c, x, W, 0, NULL, NULL);
            v[k] = keep - h;
            double lm = gc_loss(&t, c, x, W, 0, NULL, NULL);
            v[k] = keep;
            double fd = (lp - lm) / (2 * h), an = g[k];
            double err = fabs(fd - an) / (GC_RTOL * fmax(fabs(fd), fabs(an)) + GC_ATOL);
            worst = fmax(worst, err);
            if (!(err <= 1.0))
                nt_test_fail(__FILE__, __LINE__, "%s: d/d%s[%lld]: analytic %.12g vs fd %.12g", name,
                             which ? "W" : "x", (long long)k, an, fd);
        }
    }
    free(gx);
    free(gW);
    nt_tape_free(&t);
    return worst;
}

static nt_tensor *b_specconv(nt_tape *t, nt_tensor *x, nt_tensor *W, const void *ctx)
{
    return op(t, ctx, x, W);
}

/* x feeds the op twice (and W is shared), so the backward adds into existing grads. */
static nt_tensor *b_specconv_twice(nt_tape *t, nt_tensor *x, nt_tensor *W, const void *ctx)
{
    const sc_shape *s = ctx;
    nt_tensor *y = op(t, s, x, W);
    nt_tensor *x2 = nt_tanh(t, x);
    return nt_add(t, y, op(t, s, x2, W));
}

static void test_gradients(void)
{
    nt_rng r;
    nt_rng_init(&r, 14);
    double worst = 0;
    for (int c = 0; c < N_SHAPES; c++) {
        const sc_shape *s = &SHAPES[c];
        gc_ctx g = {NT_F64, x_rows(s), s->ci, s->ci, w_cols(s), b_specconv, s, NULL};
        double *x = rand_vec(&r, g.xr * g.xc, -1, 1), *W = rand_vec(&r, g.wr * g.wc, -1, 1);
        double *w = rand_vec(&r, x_rows(s) * s->co, -1, 1);
        g.w = w;
        char name[64];
        snprintf(name, sizeof name, "specconv shape %d", c);
        worst = fmax(worst, gradcheck(name, &g, x, W));
        if (c == 2 || c == 5) { /* shared inputs: gradient accumulation */
            g.build = b_specconv_twice;
            snprintf(name, sizeof name, "specconv twice shape %d", c);
            worst = fmax(worst, gradcheck(name, &g, x, W));
        }
        free(x);
        free(W);
        free(w);
    }
    printf("    worst gradient error %.3f of tolerance\n", worst);
}

/* float32 gradients agree with float64 ones to single precision. */
static void test_f32_gradients(void)
{
    nt_rng r;
    nt_rng_init(&r, 15);
    for (int c = 0; c < N_SHAPES; c += 3) {
        const sc_shape *s = &SHAPES[c];
        gc_ctx g = {NT_F64, x_rows(s), s->ci, s->ci, w_cols(s), b_specconv, s, NULL};
        double *x = rand_vec(&r, g.xr * g.xc, -1, 1), *W = rand_vec(&r, g.wr * g.wc, -1, 1);
        double *w = rand_vec(&r, x_rows(s) * s->co, -1, 1);
        g.w = w;
        int64_t nx = g.xr * g.xc, nw = g.wr * g.wc;
        double *gx = malloc((size_t)nx * sizeof(double)), *gW = malloc((size_t)nw * sizeof(double));
        double *fx = malloc((size_t)nx * sizeof(double)), *fW = malloc((size_t)nw * sizeof(double));
        nt_tape t;
        CHECK_OK(nt_tape_init(&t, 1 << 20));
        gc_loss(&t, &g, x, W, 1, gx, gW);
        g.dt = NT_F32;
        gc_loss(&t, &g, x, W, 1, fx, fW);
        double sx = max_abs(gx, nx), sw = max_abs(gW, nw);
        for (int64_t i = 0; i < nx; i++) CHECK_NEAR(fx[i], gx[i], 1e-5 * sx);
        for (int64_t i = 0; i < nw; i++) CHECK_NEAR(fW[i], gW[i], 1e-5 * sw);
        nt_tape_free(&t);
        free(x);
        free(W);
        free(w);
        free(gx);
        free(gW);
        free(fx);
        free(fW);
    }
}

/* ---------------------------------------------------------------------------- */
/* Plans: made once per shape, safe to request from several threads              */

static void test_plan_cache(void)
{
    sc_shape s = {3, 1, 40, 3, 5, 0, 7};
    nt_rng r;
    nt_rng_init(&r, 16);
    double *x = rand_vec(&r, x_rows(&s) * s.ci, -1, 1), *W = rand_vec(&r, s.ci * w_cols(&s), -1, 1);
    double *y = malloc((size_t)(x_rows(&s) * s.co) * sizeof(double));
    run_op(&s, NT_F64, x, W, y);
    int64_t n0 = nt_specconv_plan_count();
    for (int k = 0; k < 5; k++) run_op(&s, NT_F64, x, W, y); /* same shapes: no new plans */
    run_op(&s, NT_F32, x, W, y);                             /* f32 shares the plans */
    CHECK(nt_specconv_plan_count() == n0);
    s.B = 1; /* the batch size is not part of the key either */
    run_op(&s, NT_F64, x, W, y);
    CHECK(nt_specconv_plan_count() == n0);
    free(x);
    free(W);
    free(y);

    /* Threads asking for new shapes at the same time get correct results. */
    enum { NT = 4 };
    sc_shape ts[NT] = {{2, 1, 30, 2, 2, 0, 5}, {2, 1, 31, 2, 3, 0, 6}, {2, 6, 10, 2, 2, 2, 3},
                       {2, 9, 6, 3, 2, 3, 4}};
    double *xs[NT], *Ws[NT], *yp[NT], *yr[NT];
    for (int i = 0; i < NT; i++) {
        xs[i] = rand_vec(&r, x_rows(&ts[i]) * ts[i].ci, -1, 1);
        Ws[i] = rand_vec(&r, ts[i].ci * w_cols(&ts[i]), -1, 1);
        yp[i] = malloc((size_t)(x_rows(&ts[i]) * ts[i].co) * sizeof(double));
        yr[i] = malloc((size_t)(x_rows(&ts[i]) * ts[i].co) * sizeof(double));
        ref_specconv(&ts[i], xs[i], Ws[i], yr[i]);
    }
    int64_t before = nt_specconv_plan_count();
#pragma omp parallel for num_threads(NT) schedule(static, 1)
    for (int i = 0; i < NT; i++) run_op(&ts[i], NT_F64, xs[i], Ws[i], yp[i]);
    CHECK(nt_specconv_plan_count() > before);
    for (int i = 0; i < NT; i++) {
        int64_t n = x_rows(&ts[i]) * ts[i].co;
        double sc = max_abs(yr[i], n);
        for (int64_t k = 0; k < n; k++) CHECK_NEAR(yp[i][k], yr[i][k], 1e-12 * sc);
        free(xs[i]);
        free(Ws[i]);
        free(yp[i]);
        free(yr[i]);
    }
}

/* Samples are transformed in parallel when the work is large enough: the result and
 * the gradients do not depend on the thread count. */
static nt_tensor *b_specconv(nt_tape *t, nt_tensor *x, nt_tensor *W, const void *ctx);
static void test_threads(void)
{
    const sc_shape ss[2] = {{4, 1, 4096, 4, 3, 0, 9}, {3, 40, 30, 12, 5, 5, 6}};
    nt_rng r;
    nt_rng_init(&r, 18);
    int threads = nt_threads_get();
    for (int c = 0; c < 2; c++) {
        const sc_shape *s = &ss[c];
        int64_t nx = x_rows(s) * s->ci, nw = s->ci * w_cols(s);
        double *x = rand_vec(&r, nx, -1, 1), *W = rand_vec(&r, nw, -1, 1);
        double *w = rand_vec(&r, x_rows(s) * s->co, -1, 1);
        gc_ctx g = {NT_F64, x_rows(s), s->ci, s->ci, w_cols(s), b_specconv, s, w};
        double *gx[2], *gW[2], L[2];
        nt_tape t;
        CHECK_OK(nt_tape_init(&t, 1 << 20));
        for (int k = 0; k < 2; k++) {
            nt_threads_set(k == 0 ? 1 : 2);
            gx[k] = malloc((size_t)nx * sizeof(double));
            gW[k] = malloc((size_t)nw * sizeof(double));
            L[k] = gc_loss(&t, &g, x, W, 1, gx[k], gW[k]);
        }
        CHECK_NEAR(L[1], L[0], 1e-14 * fabs(L[0]));
        double sx = max_abs(gx[0], nx), sw = max_abs(gW[0], nw);
        for (int64_t i = 0; i < nx; i++) CHECK_NEAR(gx[1][i], gx[0][i], 1e-14 * sx);
        for (int64_t i = 0; i < nw; i++) CHECK_NEAR(gW[1][i], gW[0][i], 1e-14 * sw);
        nt_tape_free(&t);
        for (int k = 0; k < 2; k++) {
            free(gx[k]);
            free(gW[k]);
        }
        free(x);
        free(W);
        free(w);
    }
    nt_threads_set(threads);
}

/* ---------------------------------------------------------------------------- */
/* Relative L2                                                                    */

typedef struct { int64_t batch; const double *y; } rl_ctx;
static nt_tensor *b_rel_l2(nt_tape *t, nt_tensor *x, nt_tensor *W, const void *ctx)
{
    const rl_ctx *c = ctx;
    nt_tensor *y = nt_tensor_from_f64(t, x->dtype, nt_tensor_rows(x), nt_tensor_cols(x), c->y);
    return nt_rel_l2(t, nt_mul(t, x, W), y, c->batch); /* pred = x ⊙ W, fixed target */
}

static void test_rel_l2(void)
{
    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 0));
    /* two samples of 2 rows × 2 columns */
    double p[8] = {1, 2, 3, 4, 0, 0, 1, 1}, y[8] = {1, 2, 3, 5, 3, 4, 0, 0};
    nt_tensor *pt = nt_tensor_from_f64(&t, NT_F64, 4, 2, p);
    nt_tensor *yt = nt_tensor_from_f64(&t, NT_F64, 4, 2, y);
    nt_tensor *L = nt_rel_l2(&t, pt, yt, 2);
    CHECK(L != NULL && L->size == 1);
    double e0 = 1.0 / sqrt(1 + 4 + 9 + 25), e1 = sqrt(9 + 16 + 1 + 1) / 5.0;
    CHECK_NEAR(nt_tensor_get(L, 0), 0.5 * (e0 + e1), 1e-15);
    /* an all-zero target sample is an argument error */
    double z[8] = {1, 2, 3, 4, 0, 0, 0, 0};
    nt_tensor *zt = nt_tensor_from_f64(&t, NT_F64, 4, 2, z);
    CHECK(nt_rel_l2(&t, pt, zt, 2) == NULL);
    CHECK(strstr(nt_error_msg(), "sample 1") != NULL);
    nt_tape_free(&t);
    /* gradient w.r.t. pred (through x) and the numerator's y */
    nt_rng r;
    nt_rng_init(&r, 17);
    double *x = rand_vec(&r, 12, 0.2, 1.5), *W = rand_vec(&r, 12, -1, 1);
    double *tg = rand_vec(&r, 12, -1, 1);
    for (int64_t b = 1; b <= 6; b *= 6) { /* 3 samples of 2 rows, then one of 6 */
        rl_ctx c = {b == 1 ? 3 : 1, tg};
        gc_ctx g = {NT_F64, 6, 2, 6, 2, b_rel_l2, &c, NULL};
        double one = 1;
        g.w = &one;
        gradcheck("rel_l2", &g, x, W);
    }
    free(x);
    free(W);
    free(tg);
}

int main(void)
{
    RUN(test_vs_direct_dft);
    RUN(test_identity_and_lowpass);
    RUN(test_linearity_and_shift);
    RUN(test_gradients);
    RUN(test_f32_gradients);
    RUN(test_plan_cache);
    RUN(test_threads);
    RUN(test_rel_l2);
    return nt_test_finish();
}

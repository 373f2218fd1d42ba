/* test_ops.c — finite-difference gradient checks of every tape op in float64.
 *
 * For an op f with inputs x_i, the check builds L = Σ w ⊙ f(x) with fixed random
 * weights w, takes dL/dx from one reverse pass, and compares each entry with the
 * central difference (L(x + h·e) − L(x − h·e)) / 2h, h = 1e-6. Tolerance: relative
 * 1e-6 of max(|analytic|, |fd|) plus absolute 1e-8 — the central difference's own
 * truncation (~h²·L''') and rounding (~eps·|L|/h ≈ 1e-10) errors sit well below it. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define MAXIN 3
#define GC_RTOL 1e-6
#define GC_ATOL 1e-8

typedef struct gc_case {
    int nin;
    int64_t rows[MAXIN], cols[MAXIN];
    double lo[MAXIN], hi[MAXIN];
    nt_tensor *(*build)(nt_tape *t, nt_tensor **in, const void *ctx);
    const void *ctx;
} gc_case;

static double eval_loss(nt_tape *t, const gc_case *c, double **vals, nt_tensor **in_out,
                        int want_grad, const double *w, int64_t *wn)
{
    nt_tape_reset(t);
    nt_tensor *in[MAXIN];
    for (int i = 0; i < c->nin; i++) {
        in[i] = nt_tensor_from_f64(t, NT_F64, c->rows[i], c->cols[i], vals[i]);
        if (want_grad) nt_tensor_requires_grad(in[i]);
        if (in_out) in_out[i] = in[i];
    }
    nt_tensor *y = c->build(t, in, c->ctx);
    CHECK(y != NULL);
    if (!y) return NAN;
    *wn = y->size;
    nt_tensor *W = nt_tensor_from_f64(t, NT_F64, y->size, 1, w);
    nt_tensor *L = nt_sum(t, nt_mul(t, y, W)); /* equal sizes: elementwise */
    if (want_grad) CHECK_OK(nt_tape_backward(t, L));
    return nt_tensor_get(L, 0);
}

static void gradcheck(const char *name, const gc_case *c, uint64_t seed)
{
    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 1 << 20));
    nt_rng rng;
    nt_rng_init(&rng, seed);
    double *vals[MAXIN];
    for (int i = 0; i < c->nin; i++) {
        int64_t n = c->rows[i] * c->cols[i];
        vals[i] = malloc((size_t)n * sizeof(double));
        for (int64_t k = 0; k < n; k++)
            vals[i][k] = c->lo[i] + (c->hi[i] - c->lo[i]) * nt_rng_uniform(&rng);
    }
    double w[4096];
    for (int k = 0; k < 4096; k++) w[k] = nt_rng_normal(&rng);
    int64_t wn = 0;
    nt_tensor *in[MAXIN];
    eval_loss(&t, c, vals, in, 1, w, &wn);
    double *grads[MAXIN];
    for (int i = 0; i < c->nin; i++) {
        int64_t n = c->rows[i] * c->cols[i];
        grads[i] = malloc((size_t)n * sizeof(double));
        for (int64_t k = 0; k < n; k++) grads[i][k] = nt_tensor_grad_get(in[i], k);
    }
    double worst = 0;
    const double h = 1e-6;
    for (int i = 0; i < c->nin; i++) {
        int64_t n = c->rows[i] * c->cols[i];
        for (int64_t k = 0; k < n; k++) {
            double keep = vals[i][k];
            vals[i][k] = keep + h;
            double lp = eval_loss(&t, c, vals, NULL, 0, w, &wn);
            vals[i][k] = keep - h;
            double lm = eval_loss(&t, c, vals, NULL, 0, w, &wn);
            vals[i][k] = keep;
            double fd = (lp - lm) / (2 * h), an = grads[i][k];
            double m = fmax(fabs(fd), fabs(an));
            double err = fabs(fd - an) / (GC_RTOL * m + GC_ATOL);
            if (err > worst) worst = err;
            if (!(err <= 1.0))
                nt_test_fail(__FILE__, __LINE__, "%s: input %d[%lld]: analytic %.12g vs fd %.12g",
                             name, i, (long long)k, an, fd);
        }
    }
    for (int i = 0; i < c->nin; i++) {
        free(vals[i]);
        free(grads[i]);
    }
    nt_tape_free(&t);
}

/* --- op builders ------------------------------------------------------------ */

static nt_tensor *b_matmul(nt_tape *t, nt_tensor **in, const void *c) { return nt_matmul(t, in[0], in[1], 0); }
static nt_tensor *b_matmul_t(nt_tape *t, nt_tensor **in, const void *c) { return nt_matmul(t, in[0], in[1], 1); }
static nt_tensor *b_linear(nt_tape *t, nt_tensor **in, const void *c) { return nt_linear(t, in[0], in[1], in[2], 2); }
static nt_tensor *b_bias(nt_tape *t, nt_tensor **in, const void *c) { return nt_bias(t, in[0], in[1], 3); }
static nt_tensor *b_add(nt_tape *t, nt_tensor **in, const void *c) { return nt_add(t, in[0], in[1]); }
static nt_tensor *b_sub(nt_tape *t, nt_tensor **in, const void *c) { return nt_sub(t, in[0], in[1]); }
static nt_tensor *b_mul(nt_tape *t, nt_tensor **in, const void *c) { return nt_mul(t, in[0], in[1]); }
static nt_tensor *b_div(nt_tape *t, nt_tensor **in, const void *c) { return nt_div(t, in[0], in[1]); }
static nt_tensor *b_mul_bcast(nt_tape *t, nt_tensor **in, const void *c) { return nt_mul(t, in[0], in[1]); }
static nt_tensor *b_div_bcast(nt_tape *t, nt_tensor **in, const void *c) { return nt_div(t, in[1], in[0]); }
static nt_tensor *b_sub_bcast(nt_tape *t, nt_tensor **in, const void *c) { return nt_sub(t, in[1], in[0]); }
static nt_tensor *b_scale(nt_tape *t, nt_tensor **in, const void *c) { return nt_scale(t, in[0], -1.7, 0.3); }
static nt_tensor *b_pow(nt_tape *t, nt_tensor **in, const void *c) { return nt_pow(t, in[0], 2.5); }
static nt_tensor *b_exp(nt_tape *t, nt_tensor **in, const void *c) { return nt_exp(t, in[0]); }
static nt_tensor *b_log(nt_tape *t, nt_tensor **in, const void *c) { return nt_log(t, in[0]); }
static nt_tensor *b_sin(nt_tape *t, nt_tensor **in, const void *c) { return nt_sin(t, in[0]); }
static nt_tensor *b_cos(nt_tape *t, nt_tensor **in, const void *c) { return nt_cos(t, in[0]); }
static nt_tensor *b_tanh(nt_tape *t, nt_tensor **in, const void *c) { return nt_tanh(t, in[0]); }
static nt_tensor *b_sigmoid(nt_tape *t, nt_tensor **in, const void *c) { return nt_sigmoid(t, in[0]); }
static nt_tensor *b_gelu(nt_tape *t, nt_tensor **in, const void *c) { return nt_gelu(t, in[0]); }
static nt_tensor *b_swish(nt_tape *t, nt_tensor **in, const void *c) { return nt_swish(t, in[0]); }
static nt_tensor *b_sum(nt_tape *t, nt_tensor **in, const void *c) { return nt_sum(t, in[0]); }
static nt_tensor *b_mean(nt_tape *t, nt_tensor **in, const void *c) { return nt_mean(t, in[0]); }
static nt_tensor *b_mean_sq(nt_tape *t, nt_tensor **in, const void *c) { return nt_mean_sq(t, in[0]); }
static nt_tensor *b_concat0(nt_tape *t, nt_tensor **in, const void *c) { return nt_concat(t, in[0], in[1], 0); }
static nt_tensor *b_concat1(nt_tape *t, nt_tensor **in, const void *c) { return nt_concat(t, in[0], in[1], 1); }
static nt_tensor *b_slice(nt_tape *t, nt_tensor **in, const void *c) { return nt_slice2(t, in[0], 1, 3, 1, 4); }

typedef struct { nt_act act; int order; } act_ctx;
static nt_tensor *b_act(nt_tape *t, nt_tensor **in, const void *c)
{
    const act_ctx *a = c;
    return nt_act_apply(t, in[0], a->act, a->order);
}

typedef struct { const nt_jet_spec *s; nt_act act; } jet_ctx;
static nt_tensor *b_jet_act(nt_tape *t, nt_tensor **in, const void *c)
{
    const jet_ctx *j = c;
    return nt_jet_act(t, j->s, in[0], j->act);
}
/* z feeds two ops, so the jet backward accumulates into an existing gradient */
static nt_tensor *b_jet_act_shared(nt_tape *t, nt_tensor **in, const void *c)
{
    const jet_ctx *j = c;
    return nt_add(t, nt_jet_act(t, j->s, in[0], j->act), nt_scale(t, in[0], 0.5, 0));
}
static nt_tensor *b_jet_mul(nt_tape *t, nt_tensor **in, const void *c)
{
    const jet_ctx *j = c;
    return nt_jet_mul(t, j->s, in[0], in[1]);
}
static nt_tensor *b_jet_mul_self(nt_tape *t, nt_tensor **in, const void *c)
{
    const jet_ctx *j = c;
    return nt_jet_mul(t, j->s, in[0], in[0]);
}

#define CASE1(fn, r, c, lo, hi) ((gc_case){1, {r}, {c}, {lo}, {hi}, fn, NULL})
#define CASE2(fn, r0, c0, r1, c1, lo, hi) \
    ((gc_case){2, {r0, r1}, {c0, c1}, {lo, lo}, {hi, hi}, fn, NULL})

static void test_matmul(void)
{
    gc_case c = CASE2(b_matmul, 4, 3, 3, 5, -1, 1);
    gradcheck("matmul", &c, 1);
    c = (gc_case)CASE2(b_matmul_t, 4, 3, 5, 3, -1, 1);
    gradcheck("matmul_t", &c, 2);
}

static void test_linear_bias(void)
{
    gc_case c = {3, {5, 4, 1}, {3, 3, 4}, {-1, -1, -1}, {1, 1, 1}, b_linear, NULL};
    gradcheck("linear", &c, 3);
    c = (gc_case)CASE2(b_bias, 5, 4, 1, 4, -1, 1);
    gradcheck("bias", &c, 4);
}

static void test_elementwise(void)
{
    gc_case c;
    c = (gc_case)CASE2(b_add, 3, 4, 3, 4, -1, 1); gradcheck("add", &c, 5);
    c = (gc_case)CASE2(b_sub, 3, 4, 3, 4, -1, 1); gradcheck("sub", &c, 6);
    c = (gc_case)CASE2(b_mul, 3, 4, 3, 4, -1, 1); gradcheck("mul", &c, 7);
    c = (gc_case)CASE2(b_div, 3, 4, 3, 4, 0.5, 2); gradcheck("div", &c, 8);
    c = (gc_case)CASE2(b_mul_bcast, 6, 1, 1, 1, -1, 1); gradcheck("mul scalar", &c, 9);
    c = (gc_case)CASE2(b_div_bcast, 1, 1, 6, 1, 0.5, 2); gradcheck("div scalar", &c, 10);
    c = (gc_case)CASE2(b_sub_bcast, 1, 1, 6, 1, -1, 1); gradcheck("sub scalar", &c, 11);
    c = (gc_case)CASE1(b_scale, 3, 4, -1, 1); gradcheck("scale", &c, 12);
    c = (gc_case)CASE1(b_pow, 3, 4, 0.3, 2); gradcheck("pow", &c, 13);
    c = (gc_case)CASE1(b_exp, 3, 4, -2, 2); gradcheck("exp", &c, 14);
    c = (gc_case)CASE1(b_log, 3, 4, 0.2, 3); gradcheck("log", &c, 15);
    c = (gc_case)CASE1(b_sin, 3, 4, -3, 3); gradcheck("sin", &c, 16);
    c = (gc_case)CASE1(b_cos, 3, 4, -3, 3); gradcheck("cos", &c, 17);
    c = (gc_case)CASE1(b_tanh, 3, 4, -3, 3); gradcheck("tanh", &c, 18);
    c = (gc_case)CASE1(b_sigmoid, 3, 4, -4, 4); gradcheck("sigmoid", &c, 19);
    c = (gc_case)CASE1(b_gelu, 3, 4, -4, 4); gradcheck("gelu", &c, 20);
    c = (gc_case)CASE1(b_swish, 3, 4, -4, 4); gradcheck("swish", &c, 21);
}

/* Derivatives of order n as ops: σ⁽ⁿ⁾ for every activation and n = 0..4 (higher
 * orders are checked by test_act_tables, where the FD step can be larger). */
static void test_act_orders(void)
{
    for (int a = 0; a < NT_ACT_COUNT; a++) {
        for (int k = 0; k <= 4; k++) {
            act_ctx ctx = {(nt_act)a, k};
            gc_case c = {1, {2}, {5}, {-2.5}, {2.5}, b_act, &ctx};
            char name[64];
            snprintf(name, sizeof name, "%s^(%d)", nt_act_name((nt_act)a), k);
            gradcheck(name, &c, 100 + (uint64_t)(a * 10 + k));
        }
    }
}

/* σ⁽ⁿ⁺¹⁾ is the derivative of σ⁽ⁿ⁾ for n up to NT_ACT_MAX_ORDER − 1: five-point
 * central differences with h = 1e-3 (truncation ~h⁴·|σ⁽ⁿ⁺⁵⁾|/30 ≈ 1e-10 here, rounding
 * ~eps·(size of the polynomial coefficients, up to 4e5)/h ≈ 1e-8), so the tolerance
 * is 1e-7 relative plus 1e-7 absolute (1e-6 for the two highest orders). */
static void test_act_tables(void)
{
    enum { NP = 64, KO = NT_ACT_MAX_ORDER + 1 };
    double x[NP], v[KO * NP], vs[4][KO * NP], xs[4][NP];
    const double h = 1e-3, off[4] = {-2 * h, -h, h, 2 * h};
    for (int i = 0; i < NP; i++) {
        x[i] = -4 + 8.0 * i / (NP - 1);
        for (int q = 0; q < 4; q++) xs[q][i] = x[i] + off[q];
    }
    for (int a = 0; a < NT_ACT_COUNT; a++) {
        nt_act_eval_f64((nt_act)a, NT_ACT_MAX_ORDER, x, NP, v);
        for (int q = 0; q < 4; q++) nt_act_eval_f64((nt_act)a, NT_ACT_MAX_ORDER, xs[q], NP, vs[q]);
        for (int k = 0; k < NT_ACT_MAX_ORDER; k++)
            for (int i = 0; i < NP; i++) {
                int j = k * NP + i;
                double fd = (vs[0][j] - 8 * vs[1][j] + 8 * vs[2][j] - vs[3][j]) / (12 * h);
                double an = v[(k + 1) * NP + i];
                double tol = k < 7 ? 1e-7 : 1e-6; /* σ⁽ᵏ⁺⁶⁾ grows with k */
                CHECK_CLOSE(an, fd, tol, tol);
            }
    }
    /* closed forms at a point */
    double z = 0.7, out[(NT_ACT_MAX_ORDER + 1)];
    nt_act_eval_f64(NT_ACT_TANH, 2, &z, 1, out);
    double th = tanh(z);
    CHECK_CLOSE(out[0], th, 1e-15, 0);
    CHECK_CLOSE(out[1], 1 - th * th, 1e-14, 0);
    CHECK_CLOSE(out[2], -2 * th * (1 - th * th), 1e-14, 0);
    nt_act_eval_f64(NT_ACT_GELU, 1, &z, 1, out);
    double Phi = 0.5 * erfc(-z / sqrt(2.0)), phi = exp(-0.5 * z * z) / sqrt(2 * NT_TEST_PI);
    CHECK_CLOSE(out[0], z * Phi, 1e-14, 0);
    CHECK_CLOSE(out[1], Phi + z * phi, 1e-14, 0);
}

static void test_reductions_shapes(void)
{
    gc_case c;
    c = (gc_case)CASE1(b_sum, 3, 4, -1, 1); gradcheck("sum", &c, 30);
    c = (gc_case)CASE1(b_mean, 3, 4, -1, 1); gradcheck("mean", &c, 31);
    c = (gc_case)CASE1(b_mean_sq, 3, 4, -1, 1); gradcheck("mean_sq", &c, 32);
    c = (gc_case)CASE2(b_concat0, 2, 3, 4, 3, -1, 1); gradcheck("concat rows", &c, 33);
    c = (gc_case)CASE2(b_concat1, 3, 2, 3, 4, -1, 1); gradcheck("concat cols", &c, 34);
    c = (gc_case)CASE1(b_slice, 4, 5, -1, 1); gradcheck("slice", &c, 35);
}

/* The jet ops as tape ops: gradients w.r.t. every stream block. */
static void test_jet_ops(void)
{
    nt_jet_spec s;
    nt_jet_spec_init(&s, 2);
    CHECK(nt_jet_spec_add_named(&s, "tx", "xxxx") > 0);
    CHECK(nt_jet_spec_add_named(&s, "tx", "xt") > 0);
    CHECK_OK(nt_jet_spec_build(&s));
    int S = s.n_streams; /* 0, x, xx, xxx, xxxx, t, xt */
    CHECK(S == 7);
    for (int a = 0; a < NT_ACT_COUNT; a++) {
        jet_ctx ctx = {&s, (nt_act)a};
        gc_case c = {1, {S * 2}, {3}, {-1.5}, {1.5}, b_jet_act, &ctx};
        char name[64];
        snprintf(name, sizeof name, "jet_act %s", nt_act_name((nt_act)a));
        gradcheck(name, &c, 200 + (uint64_t)a);
    }
    jet_ctx ctx = {&s, NT_ACT_TANH};
    gc_case cs = {1, {S * 2}, {3}, {-1.5}, {1.5}, b_jet_act_shared, &ctx};
    gradcheck("jet_act shared input", &cs, 299);
    gc_case c = {2, {S * 2, S * 2}, {3, 3}, {-1.5, -1.5}, {1.5, 1.5}, b_jet_mul, &ctx};
    gradcheck("jet_mul", &c, 300);
    c = (gc_case){1, {S * 2}, {3}, {-1.5}, {1.5}, b_jet_mul_self, &ctx};
    gradcheck("jet_mul self", &c, 301);
    nt_jet_spec_free(&s);
}

/* Forward values of broadcasting and reductions against hand computations. */
static void test_forward_values(void)
{
    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 0));
    double av[6] = {1, 2, 3, 4, 5, 6}, bv[6] = {2, 2, 2, 2, 2, 2};
    nt_tensor *a = nt_tensor_from_f64(&t, NT_F64, 2, 3, av);
    nt_tensor *b = nt_tensor_from_f64(&t, NT_F64, 3, 2, bv);
    nt_tensor *c = nt_matmul(&t, a, b, 0);
    CHECK(nt_tensor_rows(c) == 2 && nt_tensor_cols(c) == 2);
    CHECK_NEAR(nt_tensor_get(c, 0), 12, 0);
    CHECK_NEAR(nt_tensor_get(c, 3), 30, 0);
    nt_tensor *s = nt_mean_sq(&t, a);
    CHECK_NEAR(nt_tensor_get(s, 0), 91.0 / 6, 1e-15);
    nt_tensor *k = nt_scale(&t, nt_tensor_scalar(&t, NT_F64, 3), 2, 1);
    CHECK_NEAR(nt_tensor_get(k, 0), 7, 0);
    nt_tensor *d = nt_div(&t, a, nt_tensor_scalar(&t, NT_F64, 4));
    CHECK_NEAR(nt_tensor_get(d, 5), 1.5, 0);
    /* float32 path */
    nt_tensor *af = nt_tensor_from_f64(&t, NT_F32, 2, 3, av);
    nt_tensor *tf = nt_tanh(&t, af);
    CHECK_CLOSE(nt_tensor_get(tf, 2), tanh(3.0), 2e-7, 0);
    nt_tape_free(&t);
}

int main(void)
{
    RUN(test_forward_values);
    RUN(test_matmul);
    RUN(test_linear_bias);
    RUN(test_elementwise);
    RUN(test_act_tables);
    RUN(test_act_orders);
    RUN(test_reductions_shapes);
    RUN(test_jet_ops);
    return nt_test_finish();
}

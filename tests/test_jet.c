/* test_jet.c — exact input derivatives (Taylor-mode jets) of MLP outputs, float64.
 *
 *  1. One hidden layer against the closed form ∂^α u = Σ_k v_k σ^{(|α|)}(z_k) Π_d W_kd^{α_d}
 *     for 1, 2 and 3 inputs, orders up to 4 and mixed derivatives.
 *  2. Deep MLPs: every stream of order k+1 against a five-point central difference
 *     (h = 1e-3) of the jet's stream of order k along one input.
 *  3. Parameter gradients of PDE-residual losses (Burgers, KS, mixed u_xt) built from
 *     the streams, against central differences over the parameters.
 *  4. float32 jets agree with float64 ones. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static const nt_act ACTS[] = {NT_ACT_TANH, NT_ACT_SIN, NT_ACT_GELU, NT_ACT_SWISH, NT_ACT_SIGMOID};
#define NACTS ((int)(sizeof ACTS / sizeof ACTS[0]))

/* Adds every multi-index of total order <= maxo over ndim inputs (plus the closure). */
static void spec_all(nt_jet_spec *s, int ndim, int maxo, int max_streams)
{
    nt_jet_spec_init(s, ndim);
    int c[NT_JET_MAX_DIM] = {0};
    /* enumerate multi-indices in increasing order */
    for (int o = 1; o <= maxo; o++) {
        int idx[NT_JET_MAX_DIM] = {0};
        for (;;) {
            int tot = 0;
            for (int d = 0; d < ndim; d++) tot += idx[d];
            if (tot == o && s->n_streams < max_streams) {
                memcpy(c, idx, sizeof c);
                nt_jet_spec_add(s, c);
            }
            int d = 0;
            while (d < ndim && ++idx[d] > o) idx[d++] = 0;
            if (d == ndim) break;
        }
    }
}

static nt_tensor *random_points(nt_tape *t, nt_dtype dt, int64_t n, int ndim, nt_rng *r)
{
    nt_tensor *x = nt_tensor_new2(t, dt, n, ndim);
    for (int64_t i = 0; i < x->size; i++) nt_tensor_set(x, i, 2 * nt_rng_uniform(r) - 1);
    return x;
}

static void test_closed_form(void)
{
    for (int ndim = 1; ndim <= 3; ndim++) {
        for (int ai = 0; ai < NACTS; ai++) {
            nt_params p;
            CHECK_OK(nt_params_init(&p, NT_F64, 1000));
            nt_mlp m;
            nt_rng rng;
            nt_rng_init(&rng, 7 + (uint64_t)ndim);
            nt_mlp_config cfg = {ndim, 1, 5, 1, ACTS[ai], NT_INIT_GLOROT_NORMAL};
            CHECK_OK(nt_mlp_init(&m, &cfg, &p, &rng));
            for (int64_t i = 0; i < m.b[0]->size; i++) nt_tensor_set(m.b[0], i, 0.3 * nt_rng_normal(&rng));
            nt_tensor_set(m.b[1], 0, 0.2);
            nt_jet_spec s;
            spec_all(&s, ndim, 4, NT_JET_MAX_STREAMS);
            CHECK_OK(nt_jet_spec_build(&s));
            nt_tape t;
            CHECK_OK(nt_tape_init(&t, 0));
            int64_t n = 7;
            nt_tensor *x = random_points(&t, NT_F64, n, ndim, &rng);
            nt_tensor *u = nt_mlp_jet(&m, &t, &s, nt_jet_input(&t, &s, x));
            for (int st = 0; st < s.n_streams; st++) {
                int ord = s.order[st];
                for (int64_t i = 0; i < n; i++) {
                    double want = st == 0 ? nt_tensor_get(m.b[1], 0) : 0;
                    for (int k = 0; k < 5; k++) {
                        double z = nt_tensor_get(m.b[0], k);
                        for (int d = 0; d < ndim; d++)
                            z += nt_tensor_get(m.W[0], k * ndim + d) * nt_tensor_get(x, i * ndim + d);
                        double sig[NT_ACT_MAX_ORDER + 1];
                        nt_act_eval_f64(ACTS[ai], ord, &z, 1, sig);
                        double term = nt_tensor_get(m.W[1], k) * sig[ord];
                        for (int d = 0; d < ndim; d++)
                            for (int r = 0; r < s.alpha[st][d]; r++) term *= nt_tensor_get(m.W[0], k * ndim + d);
                        want += term;
                    }
                    double got = nt_tensor_get(u, st * n + i);
                    CHECK_CLOSE(got, want, 1e-12, 1e-13);
                }
            }
            nt_tape_free(&t);
            nt_jet_spec_free(&s);
            nt_params_free(&p);
        }
    }
}

/* Stream (α + e_d) against the FD along input d of stream α, for deep MLPs. */
static void test_fd_chain(void)
{
    for (int ndim = 1; ndim <= 3; ndim++) {
        for (int ai = 0; ai < NACTS; ai++) {
            nt_params p;
            CHECK_OK(nt_params_init(&p, NT_F64, 10000));
            nt_mlp m;
            nt_rng rng;
            nt_rng_init(&rng, 11 + (uint64_t)(ndim * 10 + ai));
            nt_mlp_config cfg = {ndim, 2, 12, 3, ACTS[ai], NT_INIT_GLOROT_NORMAL};
            CHECK_OK(nt_mlp_init(&m, &cfg, &p, &rng));
            nt_jet_spec s;
            spec_all(&s, ndim, ndim == 1 ? 4 : (ndim == 2 ? 4 : 3), NT_JET_MAX_STREAMS);
            CHECK_OK(nt_jet_spec_build(&s));
            nt_tape t;
            CHECK_OK(nt_tape_init(&t, 0));
            int64_t n = 5;
            nt_tensor *x = random_points(&t, NT_F64, n, ndim, &rng);
            nt_tensor *u = nt_mlp_jet(&m, &t, &s, nt_jet_input(&t, &s, x));
            const double h = 1e-3, off[4] = {-2 * h, -h, h, 2 * h};
            nt_tensor *us[4];
            for (int d = 0; d < ndim; d++) {
                for (int q = 0; q < 4; q++) {
                    nt_tensor *xs = nt_tensor_new2(&t, NT_F64, n, ndim);
                    memcpy(xs->data, x->data, (size_t)x->size * sizeof(double));
                    for (int64_t i = 0; i < n; i++) nt_tensor_set(xs, i * ndim + d, nt_tensor_get(x, i * ndim + d) + off[q]);
                    us[q] = nt_mlp_jet(&m, &t, &s, nt_jet_input(&t, &s, xs));
                }
                for (int st = 0; st < s.n_streams; st++) {
                    int up[NT_JET_MAX_DIM];
                    for (int e = 0; e < ndim; e++) up[e] = s.alpha[st][e];
                    up[d]++;
                    int hi = nt_jet_spec_find(&s, up);
                    if (hi < 0) continue;
                    for (int64_t i = 0; i < n; i++)
                        for (int col = 0; col < 2; col++) {
                            int64_t j = (st * n + i) * 2 + col;
                            double fd = (nt_tensor_get(us[0], j) - 8 * nt_tensor_get(us[1], j) +
                                         8 * nt_tensor_get(us[2], j) - nt_tensor_get(us[3], j)) / (12 * h);
                            double an = nt_tensor_get(u, (hi * n + i) * 2 + col);
                            /* five-point FD: truncation h⁴·u⁽ᵏ⁺⁵⁾/30 */
                            CHECK_CLOSE(an, fd, 1e-6, 1e-7 * (1 + fabs(an)));
                        }
                }
            }
            nt_tape_free(&t);
            nt_jet_spec_free(&s);
            nt_params_free(&p);
        }
    }
}

/* Loss from residual streams; parameter gradient vs central differences. */
typedef struct {
    nt_mlp m;
    nt_params p;
    nt_jet_spec s;
    nt_tape t;
    int kind; /* 0 Burgers, 1 KS, 2 wave-like with u_xt, 3 mixed 3-D */
    double xv[3 * 16];
    int ndim;
} res_prob;

static int stream(res_prob *r, const char *d)
{
    return nt_jet_spec_add_named(&r->s, r->ndim == 2 ? "tx" : "txy", d);
}

static double res_loss(res_prob *r, int want_grad)
{
    nt_tape *t = &r->t;
    nt_tape_reset(t);
    int64_t n = 16;
    nt_tensor *x = nt_tensor_from_f64(t, NT_F64, n, r->ndim, r->xv);
    nt_tensor *j = nt_mlp_jet(&r->m, t, &r->s, nt_jet_input(t, &r->s, x));
    nt_tensor *u = nt_jet_get(t, &r->s, j, 0, 0);
    nt_tensor *ut = nt_jet_get(t, &r->s, j, stream(r, "t"), 0);
    nt_tensor *ux = nt_jet_get(t, &r->s, j, stream(r, "x"), 0);
    nt_tensor *uxx = nt_jet_get(t, &r->s, j, stream(r, "xx"), 0);
    nt_tensor *res;
    if (r->kind == 0) {
        res = nt_sub(t, nt_add(t, ut, nt_mul(t, u, ux)), nt_scale(t, uxx, 0.01 / 3.141592653589793, 0));
    } else if (r->kind == 1) {
        nt_tensor *u4 = nt_jet_get(t, &r->s, j, stream(r, "xxxx"), 0);
        res = nt_add(t, nt_add(t, ut, nt_mul(t, u, ux)), nt_add(t, uxx, u4));
    } else if (r->kind == 2) {
        nt_tensor *uxt = nt_jet_get(t, &r->s, j, stream(r, "xt"), 0);
        nt_tensor *uxxx = nt_jet_get(t, &r->s, j, stream(r, "xxx"), 0);
        res = nt_add(t, nt_mul(t, uxt, u), nt_sub(t, uxxx, ut));
    } else {
        nt_tensor *uyy = nt_jet_get(t, &r->s, j, stream(r, "yy"), 0);
        nt_tensor *uxy = nt_jet_get(t, &r->s, j, stream(r, "xy"), 0);
        res = nt_add(t, nt_sub(t, ut, nt_add(t, uxx, uyy)), nt_mul(t, uxy, u));
    }
    nt_tensor *L = nt_add(t, nt_mean_sq(t, res), nt_mean_sq(t, nt_scale(t, u, 1, -0.5)));
    if (want_grad) {
        nt_params_zero_grad(&r->p);
        CHECK_OK(nt_tape_backward(t, L));
    }
    return nt_tensor_get(L, 0);
}

static void test_residual_param_grad(void)
{
    for (int kind = 0; kind < 4; kind++) {
        res_prob r;
        memset(&r, 0, sizeof r);
        r.kind = kind;
        r.ndim = kind == 3 ? 3 : 2;
        CHECK_OK(nt_params_init(&r.p, NT_F64, 5000));
        nt_rng rng;
        nt_rng_init(&rng, 99 + (uint64_t)kind);
        nt_mlp_config cfg = {r.ndim, 1, 10, 3, kind == 1 ? NT_ACT_SIN : NT_ACT_TANH, NT_INIT_GLOROT_NORMAL};
        CHECK_OK(nt_mlp_init(&r.m, &cfg, &r.p, &rng));
        for (int i = 0; i < 16 * r.ndim; i++) r.xv[i] = 2 * nt_rng_uniform(&rng) - 1;
        nt_jet_spec_init(&r.s, r.ndim);
        const char *need[4][4] = {{"t", "x", "xx", NULL}, {"t", "x", "xx", "xxxx"},
                                  {"t", "x", "xt", "xxx"}, {"t", "xx", "yy", "xy"}};
        for (int q = 0; q < 4 && need[kind][q]; q++) CHECK(stream(&r, need[kind][q]) > 0);
        CHECK_OK(nt_jet_spec_build(&r.s));
        CHECK_OK(nt_tape_init(&r.t, 0));
        res_loss(&r, 1);
        double *g = malloc((size_t)r.p.n * sizeof(double));
        memcpy(g, r.p.grad, (size_t)r.p.n * sizeof(double));
        double *x = r.p.data;
        const double h = 1e-6;
        for (int q = 0; q < 40; q++) {
            int64_t i = (int64_t)(nt_rng_uniform(&rng) * (double)r.p.n);
            double keep = x[i];
            x[i] = keep + h;
            double lp = res_loss(&r, 0);
            x[i] = keep - h;
            double lm = res_loss(&r, 0);
            x[i] = keep;
            double fd = (lp - lm) / (2 * h);
            CHECK_CLOSE(g[i], fd, 1e-6, 1e-8);
        }
        free(g);
        nt_tape_free(&r.t);
        nt_jet_spec_free(&r.s);
        nt_params_free(&r.p);
    }
}

/* Same network in float32 and float64: jets agree to float32 accuracy. */
static void test_f32_matches_f64(void)
{
    nt_params p64, p32;
    CHECK_OK(nt_params_init(&p64, NT_F64, 10000));
    CHECK_OK(nt_params_init(&p32, NT_F32, 10000));
    nt_mlp m64, m32;
    nt_rng r1, r2;
    nt_rng_init(&r1, 5);
    nt_rng_init(&r2, 5);
    nt_mlp_config cfg = {2, 1, 32, 4, NT_ACT_TANH, NT_INIT_GLOROT_NORMAL};
    CHECK_OK(nt_mlp_init(&m64, &cfg, &p64, &r1));
    CHECK_OK(nt_mlp_init(&m32, &cfg, &p32, &r2));
    nt_jet_spec s;
    nt_jet_spec_init(&s, 2);
    nt_jet_spec_add_named(&s, "tx", "xxxx");
    nt_jet_spec_add_named(&s, "tx", "t");
    CHECK_OK(nt_jet_spec_build(&s));
    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 0));
    nt_rng rng;
    nt_rng_init(&rng, 3);
    nt_tensor *x64 = random_points(&t, NT_F64, 300, 2, &rng);
    nt_tensor *x32 = nt_tensor_new2(&t, NT_F32, 300, 2);
    for (int64_t i = 0; i < 600; i++) nt_tensor_set(x32, i, nt_tensor_get(x64, i));
    nt_tensor *u64 = nt_mlp_jet(&m64, &t, &s, nt_jet_input(&t, &s, x64));
    nt_tensor *u32 = nt_mlp_jet(&m32, &t, &s, nt_jet_input(&t, &s, x32));
    for (int st = 0; st < s.n_streams; st++) {
        double num = 0, den = 0;
        for (int64_t i = 0; i < 300; i++) {
            double a = nt_tensor_get(u64, st * 300 + i), b = nt_tensor_get(u32, st * 300 + i);
            num += (a - b) * (a - b);
            den += a * a;
        }
        CHECK(sqrt(num / den) < 1e-5);
    }
    nt_tape_free(&t);
    nt_jet_spec_free(&s);
    nt_params_free(&p64);
    nt_params_free(&p32);
}

/* The spec's Faà di Bruno table for the fourth derivative in one variable:
 * σ''''·z'⁴ + 6σ'''·z'²z'' + 4σ''·z'z''' + 3σ''·z''² + σ'·z''''. */
static void test_spec_terms(void)
{
    nt_jet_spec s;
    nt_jet_spec_init(&s, 1);
    int c4[1] = {4};
    int st = nt_jet_spec_add(&s, c4);
    CHECK(st == 4 && s.n_streams == 5);
    CHECK_OK(nt_jet_spec_build(&s));
    int found = 0;
    for (int q = s.term_off[st]; q < s.term_off[st + 1]; q++) {
        const nt_jet_term *tm = &s.terms[q];
        if (tm->m == 4) { CHECK(tm->coef == 1); found++; }
        if (tm->m == 3) { CHECK(tm->coef == 6); found++; }
        if (tm->m == 2 && tm->blocks[0] == 1) { CHECK(tm->coef == 4); found++; }
        if (tm->m == 2 && tm->blocks[0] == 2) { CHECK(tm->coef == 3); found++; }
        if (tm->m == 1) { CHECK(tm->coef == 1 && tm->blocks[0] == 4); found++; }
    }
    CHECK(found == 5 && s.term_off[st + 1] - s.term_off[st] == 5);
    /* Leibniz for the 4th derivative: binomial coefficients 1 4 6 4 1 */
    int sum = 0;
    for (int q = s.pair_off[st]; q < s.pair_off[st + 1]; q++) sum += s.pairs[q][0];
    CHECK(sum == 16);
    /* named lookups and errors */
    nt_jet_spec s2;
    nt_jet_spec_init(&s2, 2);
    CHECK(nt_jet_spec_add_named(&s2, "tx", "xq") == -1);
    CHECK(strstr(nt_error_msg(), "'q'") != NULL);
    CHECK(nt_jet_spec_add_named(&s2, "tx", "xxxxxxx") == -1);
    nt_jet_spec_free(&s);
    nt_jet_spec_free(&s2);
}

int main(void)
{
    RUN(test_spec_terms);
    RUN(test_closed_form);
    RUN(test_fd_chain);
    RUN(test_residual_param_grad);
    RUN(test_f32_matches_f64);
    return nt_test_finish();
}

/* test_operator_models.c — FNO (1-D, 2-D) and DeepONet on the tape: output shapes,
 * wiring against a hand composition of the public ops, full-model finite-difference
 * gradient checks (every parameter and the inputs, float64), and a small end-to-end
 * fit of a linear operator (the zero-mean antiderivative) with Adam. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define GC_RTOL 1e-6
#define GC_ATOL 1e-8

static double *rand_vec(nt_rng *r, int64_t n, double lo, double hi)
{
    double *v = malloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * nt_rng_uniform(r);
    return v;
}

/* ---------------------------------------------------------------------------- */
/* Shapes and wiring                                                              */

static void test_fno_shapes(void)
{
    nt_rng rng;
    nt_rng_init(&rng, 1);
    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 1 << 20));
    for (int dim = 1; dim <= 2; dim++) {
        nt_fno_config c = {dim, 2, 3, 5, 4, dim == 2 ? 3 : 0, 2, 7};
        nt_params p;
        CHECK_OK(nt_params_init(&p, NT_F64, nt_fno_param_count(&c)));
        nt_fno m;
        CHECK_OK(nt_fno_init(&m, &c, &p, &rng));
        CHECK(p.n == nt_fno_param_count(&c));
        CHECK(p.count == 2 + 3 * c.layers + 4);
        /* two resolutions with the same weights */
        int64_t grids[2][2] = {{16, dim == 2 ? 6 : 1}, {33, dim == 2 ? 9 : 1}};
        for (int gi = 0; gi < 2; gi++) {
            nt_tape_reset(&t);
            int64_t B = 3, rows = B * grids[gi][0] * grids[gi][1];
            double *a = rand_vec(&rng, rows * 2, -1, 1);
            nt_tensor *at = nt_tensor_from_f64(&t, NT_F64, rows, 2, a);
            nt_tensor *u = nt_fno_forward(&m, &t, at, grids[gi][0], grids[gi][1]);
            CHECK(u != NULL);
            if (u) {
                CHECK(nt_tensor_rows(u) == rows && nt_tensor_cols(u) == 3);
                for (int64_t i = 0; i < u->size; i++) CHECK(isfinite(nt_tensor_get(u, i)));
            }
            free(a);
        }
        /* a grid too coarse for the modes is an argument error */
        nt_tape_reset(&t);
        int64_t s1 = dim == 1 ? 5 : 7, s2 = dim == 1 ? 1 : 6; /* 1-D: 5/2+1 = 3 < 4 modes; 2-D: 2·4 > 7 */
        nt_tensor *at = nt_tensor_zeros2(&t, NT_F64, 2 * s1 * s2, 2);
        CHECK(nt_fno_forward(&m, &t, at, s1, s2) == NULL);
        CHECK(strstr(nt_error_msg(), "modes") != NULL);
        /* rows that are not a whole number of grids */
        at = nt_tensor_zeros2(&t, NT_F64, 2 * 16 * (dim == 2 ? 6 : 1) + 1, 2);
        CHECK(nt_fno_forward(&m, &t, at, 16, dim == 2 ? 6 : 1) == NULL);
        nt_params_free(&p);
    }
    /* bad configs name the field */
    nt_fno_config bad = nt_fno_config_default(3);
    nt_params p;
    CHECK_OK(nt_params_init(&p, NT_F64, 10));
    nt_fno m;
    CHECK(nt_fno_init(&m, &bad, &p, &rng) == NT_ERR_ARG && strstr(nt_error_msg(), "dim"));
    bad = nt_fno_config_default(1);
    bad.layers = 0;
    CHECK(nt_fno_init(&m, &bad, &p, &rng) == NT_ERR_ARG && strstr(nt_error_msg(), "layers"));
    bad = nt_fno_config_default(1); /* block too small */
    CHECK(nt_fno_init(&m, &bad, &p, &rng) == NT_ERR_ARG);
    nt_params_free(&p);
    /* the paper's defaults */
    nt_fno_config d1 = nt_fno_config_default(1), d2 = nt_fno_config_default(2);
    CHECK(d1.width == 64 && d1.modes1 == 16 && d1.layers == 4 && d1.proj_width == 128);
    CHECK(d2.width == 32 && d2.modes1 == 12 && d2.modes2 == 12);
    nt_tape_free(&t);
}

/* The model equals the architecture written out with the public ops: grid appended
 * (linspace(0, 1, s)), lifting, Fourier layers with GELU except after the last one,
 * projection with a GELU in between. */
static void test_fno_wiring(void)
{
    nt_rng rng;
    nt_rng_init(&rng, 2);
    for (int dim = 1; dim <= 2; dim++) {
        nt_fno_config c = {dim, 1, 2, 4, 3, dim == 2 ? 2 : 0, 3, 6};
        nt_params p;
        CHECK_OK(nt_params_init(&p, NT_F64, nt_fno_param_count(&c)));
        nt_fno m;
        CHECK_OK(nt_fno_init(&m, &c, &p, &rng));
        int64_t s1 = dim == 1 ? 12 : 6, s2 = dim == 1 ? 1 : 5, B = 2, rows = B * s1 * s2;
        double *a = rand_vec(&rng, rows, -1, 1), *g = malloc((size_t)(rows * (1 + dim)) * sizeof(double));
        for (int64_t r = 0; r < rows; r++) {
            int64_t j = r % (s1 * s2);
            g[r * (1 + dim)] = a[r];
            g[r * (1 + dim) + 1] = (double)(j / s2) / (double)(s1 - 1);
            if (dim == 2) g[r * 3 + 2] = (double)(j % s2) / (double)(s2 - 1);
        }
        nt_tape t;
        CHECK_OK(nt_tape_init(&t, 1 << 20));
        nt_tensor *u = nt_fno_forward(&m, &t, nt_tensor_from_f64(&t, NT_F64, rows, 1, a), s1, s2);
        nt_tensor *h = nt_linear(&t, nt_tensor_from_f64(&t, NT_F64, rows, 1 + dim, g), m.lift_W, m.lift_b, rows);
        for (int l = 0; l < c.layers; l++) {
            nt_tensor *k = dim == 1 ? nt_spectral_conv1d(&t, h, m.spec_W[l], s1, c.modes1)
                                    : nt_spectral_conv2d(&t, h, m.spec_W[l], s1, s2, c.modes1, c.modes2);
            h = nt_add(&t, k, nt_linear(&t, h, m.skip_W[l], m.skip_b[l], rows));
            if (l < c.layers - 1) h = nt_gelu(&t, h);
        }
        h = nt_linear(&t, nt_gelu(&t, nt_linear(&t, h, m.proj1_W, m.proj1_b, rows)), m.proj2_W,
                      m.proj2_b, rows);
        CHECK(u && h && u->size == h->size);
        for (int64_t i = 0; u && h && i < u->size; i++)
            CHECK_NEAR(nt_tensor_get(u, i), nt_tensor_get(h, i), 1e-15);
        /* the spectral weights start at (1/width²)·U[0,1), the others Glorot-uniform */
        double lim = 1.0 / (c.width * c.width);
        for (int64_t i = 0; i < m.spec_W[0]->size; i++) {
            double v = nt_tensor_get(m.spec_W[0], i);
            CHECK(v >= 0 && v < lim);
        }
        nt_tape_free(&t);
        nt_params_free(&p);
        free(a);
        free(g);
    }
}

/* ---------------------------------------------------------------------------- */
/* Full-model gradient checks                                                     */

/* Builds L(params, inputs) on the tape; inputs[i] are leaves made from in[i]. */
typedef nt_tensor *(*model_loss_fn)(nt_tape *t, const void *model, nt_tensor **in);

typedef struct mg_case {
    const void *model;
    nt_params *p;
    int nin;
    int64_t rows[2], cols[2];
    double *in[2];
    model_loss_fn loss;
    int64_t param_stride;  /* check every param_stride-th parameter (1: all) */
} mg_case;

static double mg_eval(nt_tape *t, const mg_case *c, int grad, nt_tensor **leaves)
{
    nt_tape_reset(t);
    nt_tensor *in[2];
    for (int i = 0; i < c->nin; i++) {
        in[i] = nt_tensor_from_f64(t, c->p->dtype, c->rows[i], c->cols[i], c->in[i]);
        if (grad) nt_tensor_requires_grad(in[i]);
        if (leaves) leaves[i] = in[i];
    }
    nt_tensor *L = c->loss(t, c->model, in);
    CHECK(L != NULL && L->size == 1);
    if (!L) return NAN;
    if (grad) {
        nt_params_zero_grad(c->p);
        CHECK_OK(nt_tape_backward(t, L));
    }
    return nt_tensor_get(L, 0);
}

static void model_gradcheck(const char *name, const mg_case *c)
{
    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 1 << 22));
    nt_tensor *leaves[2];
    mg_eval(&t, c, 1, leaves);
    double *gp = malloc((size_t)c->p->n * sizeof(double));
    for (int64_t i = 0; i < c->p->n; i++) gp[i] = ((double *)c->p->grad)[i];
    double *gin[2];
    for (int i = 0; i < c->nin; i++) {
        gin[i] = malloc((size_t)(c->rows[i] * c->cols[i]) * sizeof(double));
        for (int64_t k = 0; k < c->rows[i] * c->cols[i]; k++) gin[i][k] = nt_tensor_grad_get(leaves[i], k);
    }
    const double h = 1e-6;
    double worst = 0, gmax = 0;
    int64_t checked = 0;
    for (int which = -1; which < c->nin; which++) {
        double *v = which < 0 ? (double *)c->p->data : c->in[which];
        double *g = which < 0 ? gp : gin[which];
        int64_t n = which < 0 ? c->p->n : c->rows[which] * c->cols[which];
        int64_t stride = which < 0 ? c->param_stride : 1;
        for (int64_t k = 0; k < n; k += stride) {
            double keep = v[k];
            v[k] = keep + h;
            double lp = mg_eval(&t, c, 0, NULL);
            v[k] = keep - h;
            double lm = mg_eval(&t, c, 0, NULL);
            v[k] = keep;
            double fd = (lp - lm) / (2 * h), an = g[k];
            double err = fabs(fd - an) / (GC_RTOL * fmax(fabs(fd), fabs(an)) + GC_ATOL);
            worst = fmax(worst, err);
            gmax = fmax(gmax, fabs(an));
            checked++;
            if (!(err <= 1.0)) {
                const char *pn = "input";
                if (which < 0)
                    for (int q = 0; q < c->p->count; q++)
                        if (c->p->offset[q] <= k) pn = c->p->names[q];
                nt_test_fail(__FILE__, __LINE__, "%s: %s[%lld] (%s): analytic %.12g vs fd %.12g", name,
                             which < 0 ? "param" : "input", (long long)k, pn, an, fd);
            }
        }
    }
    CHECK(gmax > 1e-3); /* the check is not vacuous */
    printf("    %s: %lld entries, worst error %.3f of tolerance\n", name, (long long)checked, worst);
    free(gp);
    for (int i = 0; i < c->nin; i++) free(gin[i]);
    nt_tape_free(&t);
}

typedef struct fno_case {
    nt_fno m;
    int64_t s1, s2, B;
    double *w;      /* weights of L = Σ w ⊙ u */
    double *target; /* rel-L2 target, or NULL */
} fno_case;

static nt_tensor *fno_loss(nt_tape *t, const void *model, nt_tensor **in)
{
    const fno_case *f = model;
    nt_tensor *u = nt_fno_forward(&f->m, t, in[0], f->s1, f->s2);
    if (!u) return NULL;
    if (f->target) {
        nt_tensor *y = nt_tensor_from_f64(t, u->dtype, nt_tensor_rows(u), nt_tensor_cols(u), f->target);
        return nt_rel_l2(t, u, y, f->B);
    }
    nt_tensor *w = nt_tensor_from_f64(t, u->dtype, nt_tensor_rows(u), nt_tensor_cols(u), f->w);
    return nt_sum(t, nt_mul(t, u, w));
}

/* Tiny FNOs: 1-D width 4, modes 3, s 16, 4 layers, projection 128 (every parameter
 * and input); 2-D width 3, modes 2×2 on 6×5 (every parameter), both with the
 * weighted-sum loss and the 1-D one also with the relative L2 loss. */
static void test_fno_gradients(void)
{
    nt_rng rng;
    nt_rng_init(&rng, 3);
    for (int dim = 1; dim <= 2; dim++) {
        nt_fno_config c = dim == 1 ? (nt_fno_config){1, 1, 1, 4, 3, 0, 4, 128}
                                   : (nt_fno_config){2, 2, 1, 3, 2, 2, 2, 8};
        nt_params p;
        CHECK_OK(nt_params_init(&p, NT_F64, nt_fno_param_count(&c)));
        fno_case f;
        CHECK_OK(nt_fno_init(&f.m, &c, &p, &rng));
        /* spectral weights at the paper's 1/width² scale are tiny; give them O(1) size
         * so that their gradients and the layers' nonlinearity are exercised */
        for (int l = 0; l < c.layers; l++)
            for (int64_t i = 0; i < f.m.spec_W[l]->size; i++)
                nt_tensor_set(f.m.spec_W[l], i, 0.6 * (2 * nt_rng_uniform(&rng) - 1));
        for (int64_t i = 0; i < p.n; i++) /* nonzero biases too */
            if (((double *)p.data)[i] == 0) ((double *)p.data)[i] = 0.1 * nt_rng_normal(&rng);
        f.s1 = dim == 1 ? 16 : 6;
        f.s2 = dim == 1 ? 1 : 5;
        f.B = 2;
        int64_t rows = f.B * f.s1 * f.s2;
        f.w = rand_vec(&rng, rows * c.out_channels, -1, 1);
        f.target = NULL;
        mg_case mc = {&f, &p, 1, {rows}, {c.in_channels}, {rand_vec(&rng, rows * c.in_channels, -1, 1)},
                      fno_loss, 1};
        if (nt_test_quick()) mc.param_stride = 7;
        model_gradcheck(dim == 1 ? "FNO 1-D" : "FNO 2-D", &mc);
        if (dim == 1) {
            f.target = rand_vec(&rng, rows, -1, 1);
            mc.param_stride = nt_test_quick() ? 13 : 3;
            model_gradcheck("FNO 1-D rel-L2", &mc);
            free(f.target);
        }
        free(mc.in[0]);
        free(f.w);
        nt_params_free(&p);
    }
}

typedef struct don_case {
    nt_deeponet m;
    double *w;
} don_case;

static nt_tensor *don_loss(nt_tape *t, const void *model, nt_tensor **in)
{
    const don_case *d = model;
    nt_tensor *g = nt_deeponet_forward(&d->m, t, in[0], in[1]);
    if (!g) return NULL;
    nt_tensor *w = nt_tensor_from_f64(t, g->dtype, nt_tensor_rows(g), nt_tensor_cols(g), d->w);
    return nt_sum(t, nt_mul(t, g, w));
}

static void test_deeponet(void)
{
    nt_rng rng;
    nt_rng_init(&rng, 4);
    nt_deeponet_config c = {5, 2, 4, 6, 2, 7, 2, NT_ACT_TANH, NT_INIT_GLOROT_NORMAL};
    nt_params p;
    CHECK_OK(nt_params_init(&p, NT_F64, nt_deeponet_param_count(&c)));
    don_case d;
    CHECK_OK(nt_deeponet_init(&d.m, &c, &p, &rng));
    CHECK(p.n == nt_deeponet_param_count(&c));
    CHECK(!strcmp(p.names[0], "branch.W0") && !strcmp(p.names[p.count - 1], "deeponet.b0"));
    int64_t B = 3, Q = 7;
    double *u = rand_vec(&rng, B * 5, -1, 1), *y = rand_vec(&rng, Q * 2, -1, 1);
    /* shape, the Cartesian-product form and the bias */
    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 0));
    nt_tensor *ut = nt_tensor_from_f64(&t, NT_F64, B, 5, u), *yt = nt_tensor_from_f64(&t, NT_F64, Q, 2, y);
    nt_tensor *g = nt_deeponet_forward(&d.m, &t, ut, yt);
    CHECK(g && nt_tensor_rows(g) == B && nt_tensor_cols(g) == Q);
    nt_tensor *bk = nt_mlp_forward(&d.m.branch, &t, ut);
    nt_tensor *tk = nt_tanh(&t, nt_mlp_forward(&d.m.trunk, &t, yt));
    for (int64_t b = 0; g && b < B; b++)
        for (int64_t q = 0; q < Q; q++) {
            double s = nt_tensor_get(d.m.b0, 0);
            for (int k = 0; k < c.p; k++) s += nt_tensor_get(bk, b * c.p + k) * nt_tensor_get(tk, q * c.p + k);
            CHECK_NEAR(nt_tensor_get(g, b * Q + q), s, 1e-14);
        }
    nt_tensor_set(d.m.b0, 0, 0.25);
    nt_tensor *g2 = nt_deeponet_forward(&d.m, &t, ut, yt);
    for (int64_t i = 0; g && g2 && i < g->size; i++)
        CHECK_NEAR(nt_tensor_get(g2, i), nt_tensor_get(g, i) + 0.25, 1e-14);
    nt_tape_free(&t);
    /* gradients: every parameter, the sensor values and the query points */
    d.w = rand_vec(&rng, B * Q, -1, 1);
    mg_case mc = {&d, &p, 2, {B, Q}, {5, 2}, {u, y}, don_loss, 1};
    model_gradcheck("DeepONet", &mc);
    free(d.w);
    free(u);
    free(y);
    nt_params_free(&p);
}

/* ---------------------------------------------------------------------------- */
/* End to end: learn the zero-mean antiderivative on random smooth periodic inputs */

/* u(x) = Σ_{k=1..K} (a_k cos 2πkx + b_k sin 2πkx)/k on x_j = j/s;
 * v(x) = Σ (a_k sin 2πkx − b_k cos 2πkx)/(2πk²), so v' = u and ∫v = 0. */
static void make_pair(nt_rng *r, int64_t s, double *u, double *v)
{
    enum { K = 5 };
    double a[K + 1], b[K + 1];
    for (int k = 1; k <= K; k++) {
        a[k] = nt_rng_normal(r);
        b[k] = nt_rng_normal(r);
    }
    for (int64_t j = 0; j < s; j++) {
        double x = (double)j / (double)s, su = 0, sv = 0;
        for (int k = 1; k <= K; k++) {
            double c = cos(2 * NT_TEST_PI * k * x), sn = sin(2 * NT_TEST_PI * k * x);
            su += (a[k] * c + b[k] * sn) / k;
            sv += (a[k] * sn - b[k] * c) / (2 * NT_TEST_PI * k * k);
        }
        u[j] = su;
        v[j] = sv;
    }
}

static void test_fno_fit(void)
{
    int quick = nt_test_quick();
    int threads = nt_threads_get();
    nt_threads_set(1); /* small GEMMs: threads only cost time on a shared machine */
    const int64_t s = 64, B = 20, NTEST = 40;
    const int steps = quick ? 150 : 300;
    nt_rng rng;
    nt_rng_init(&rng, 5);
    nt_fno_config c = {1, 1, 1, 16, 8, 0, 2, 32};
    nt_params p;
    CHECK_OK(nt_params_init(&p, NT_F64, nt_fno_param_count(&c)));
    nt_fno m;
    CHECK_OK(nt_fno_init(&m, &c, &p, &rng));
    nt_adam opt;
    nt_adam_config ac = nt_adam_config_default(5e-3);
    ac.sched.kind = NT_SCHED_COSINE;
    ac.sched.total = steps;
    ac.sched.lr_min = 1e-4;
    CHECK_OK(nt_adam_init(&opt, &p, &ac));
    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 1 << 22));
    double *u = malloc((size_t)(B * s) * sizeof(double)), *v = malloc((size_t)(B * s) * sizeof(double));
    double first = NAN, last = NAN;
    for (int it = 0; it < steps; it++) {
        for (int64_t b = 0; b < B; b++) make_pair(&rng, s, u + b * s, v + b * s); /* fresh data */
        nt_tape_reset(&t);
        nt_params_zero_grad(&p);
        nt_tensor *pred = nt_fno_forward(&m, &t, nt_tensor_from_f64(&t, NT_F64, B * s, 1, u), s, 1);
        nt_tensor *L = pred ? nt_rel_l2(&t, pred, nt_tensor_from_f64(&t, NT_F64, B * s, 1, v), B) : NULL;
        CHECK(L != NULL);
        if (!L) break;
        CHECK_OK(nt_tape_backward(&t, L));
        nt_adam_step(&opt);
        if (it == 0) first = nt_tensor_get(L, 0);
        last = nt_tensor_get(L, 0);
    }
    /* test error on fresh samples, also at twice the resolution (zero-shot) */
    double err[2];
    for (int res = 0; res < 2; res++) {
        int64_t sr = s << res;
        double *ut = malloc((size_t)(NTEST * sr) * sizeof(double)), *vt = malloc((size_t)(NTEST * sr) * sizeof(double));
        for (int64_t b = 0; b < NTEST; b++) make_pair(&rng, sr, ut + b * sr, vt + b * sr);
        nt_tape_reset(&t);
        t.grad_enabled = 0;
        nt_tensor *pred = nt_fno_forward(&m, &t, nt_tensor_from_f64(&t, NT_F64, NTEST * sr, 1, ut), sr, 1);
        nt_tensor *L = pred ? nt_rel_l2(&t, pred, nt_tensor_from_f64(&t, NT_F64, NTEST * sr, 1, vt), NTEST) : NULL;
        t.grad_enabled = 1;
        err[res] = L ? nt_tensor_get(L, 0) : NAN;
        free(ut);
        free(vt);
    }
    printf("    %d Adam steps: train rel-L2 %.3g -> %.3g; test %.3g (s = %lld), %.3g (s = %lld)\n",
           steps, first, last, err[0], (long long)s, err[1], (long long)(2 * s));
    /* the full run reaches ~2.5e-3 (both resolutions); the sanitizer run, with half
     * the steps, ~1e-2 */
    double bound = quick ? 5e-2 : 1e-2;
    CHECK(err[0] < bound);
    CHECK(err[1] < 2 * bound);
    CHECK(last < 0.2 * first);
    nt_adam_free(&opt);
    nt_tape_free(&t);
    nt_params_free(&p);
    free(u);
    free(v);
    nt_threads_set(threads);
}

int main(void)
{
    RUN(test_fno_shapes);
    RUN(test_fno_wiring);
    RUN(test_fno_gradients);
    RUN(test_deeponet);
    RUN(test_fno_fit);
    return nt_test_finish();
}

/* test_archs2.c — more PINN architectures (src/nn/net.c): PirateNet, Chebyshev KAN
 * and the PIG-style Gaussian embedding, alone and combined with the other pieces.
 *
 *  - nt_net_param_count is exact (hand-counted for one case of each) and equals the
 *    scalars nt_net_init adds;
 *  - the jet forward's derivative streams (first, second, mixed, third and fourth
 *    order) match finite differences of the plain forward; float32 networks (same
 *    draws) agree with float64 to float32 precision;
 *  - PirateNet: every α is 0 after init and the output is then Φ·W_outᵀ + b_out
 *    (Φ the Fourier embedding, computed here by hand); nt_net_pirate_fit_output
 *    reproduces consistent data (n > E + 1) and interpolates arbitrary data
 *    (n ≤ E + 1) to ~1e-8, also with rwf and α ≠ 0, and refuses bad input;
 *  - the gradient of a whole PINN loss w.r.t. every parameter matches central
 *    differences, and every parameter tensor gets a gradient (α set ≠ 0);
 *  - YAML: the new keys and their defaults; bad values give file:line:column;
 *  - a run interrupted and resumed from its checkpoint gives the same predictions;
 *  - end to end: a 1D Poisson problem (u = sin(2πx)) is solved to a small error by
 *    each new network; with the physics-informed initialization the PirateNet starts
 *    on the data it was fitted to. */
#include "harness.h"
#include "pinn/pinn.h"
#include "pinn/run.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------ */
/* Configurations                                                                   */

typedef struct arch {
    const char *name;
    nt_net_type type;
    int fourier, periodic, rwf, gaussians;
} arch;

static const arch k_archs[] = {
    {"pirate", NT_NET_PIRATE, 0, 0, 0, 0},
    {"pirate+fourier", NT_NET_PIRATE, 1, 0, 0, 0},
    {"pirate+periodic+fourier+rwf", NT_NET_PIRATE, 1, 1, 1, 0},
    {"kan", NT_NET_KAN, 0, 0, 0, 0},
    {"kan+periodic+fourier", NT_NET_KAN, 1, 1, 0, 0},
    {"gauss+mlp", NT_NET_MLP, 0, 0, 0, 5},
    {"gauss+mlp+rwf", NT_NET_MLP, 0, 0, 1, 5},
    {"gauss+modified", NT_NET_MODIFIED_MLP, 0, 0, 0, 4},
    {"gauss+pirate", NT_NET_PIRATE, 0, 0, 0, 4},
    {"gauss+kan", NT_NET_KAN, 0, 0, 0, 3},
};
#define N_ARCHS ((int)(sizeof k_archs / sizeof k_archs[0]))

static nt_net_config make_cfg(const arch *a, int in_dim, int out_dim, nt_act act)
{
    nt_net_config c = nt_net_config_default(in_dim, out_dim, 8, 3, act);
    c.type = a->type;
    if (a->type == NT_NET_PIRATE) c.depth = 2;
    if (a->type == NT_NET_KAN) {
        c.width = 5;
        c.depth = 2;
        c.kan_degree = 4;
    }
    if (a->fourier) {
        c.fourier_features = 6;
        c.fourier_scale = a->type == NT_NET_KAN ? 0.15 : 0.3; /* T_k(tanh) steepens: keep FD meaningful */
    }
    if (a->periodic) {
        c.period[0] = 2.5;
        c.harmonics[0] = a->type == NT_NET_KAN ? 1 : 2;
    }
    if (a->rwf) {
        c.rwf = 1;
        c.rwf_mu = 0.5;
        c.rwf_sigma = 0.1;
    }
    if (a->gaussians) {
        c.gaussians = a->gaussians;
        c.gauss_sigma = 0.8;
    }
    return c;
}

/* Sets every PirateNet α to a nonzero value so the blocks take part. */
static void set_alphas(nt_net *m, double base)
{
    if (m->cfg.type != NT_NET_PIRATE) return;
    for (int b = 0; b < m->cfg.depth; b++) nt_tensor_set(m->alpha[b], 0, base + 0.1 * b);
}

/* Plain forward at n points (n × in) -> out (n × out_dim), no gradient. */
static void eval_plain(const nt_net *m, nt_tape *t, const double *x, int64_t n, double *out)
{
    nt_tape_reset(t);
    t->grad_enabled = 0;
    nt_tensor *xt = nt_tensor_from_f64(t, NT_F64, n, m->cfg.in_dim, x);
    nt_tensor *u = nt_net_forward(m, t, xt);
    NT_ASSERT(u != NULL, nt_error_msg());
    for (int64_t i = 0; i < n * m->cfg.out_dim; i++) out[i] = nt_tensor_get(u, i);
    t->grad_enabled = 1;
}

/* ------------------------------------------------------------------------------ */
/* Parameter counts                                                                 */

static void test_param_count(void)
{
    nt_rng r;
    nt_rng_init(&r, 3);
    for (int ai = 0; ai < N_ARCHS; ai++) {
        nt_net_config c = make_cfg(&k_archs[ai], 2, 2, NT_ACT_TANH);
        int64_t want = nt_net_param_count(&c);
        CHECK(want > 0);
        nt_params p;
        CHECK_OK(nt_params_init(&p, NT_F64, want));
        nt_net m;
        CHECK_OK(nt_net_init(&m, &c, &p, &r));
        if (p.n != want) nt_test_fail(__FILE__, __LINE__, "%s: %lld params, count says %lld", k_archs[ai].name,
                                      (long long)p.n, (long long)want);
        /* one scalar less does not fit */
        nt_params q;
        CHECK_OK(nt_params_init(&q, NT_F64, want - 1));
        nt_net m2;
        CHECK(nt_net_init(&m2, &c, &q, &r) == NT_ERR_ARG);
        nt_params_free(&q);
        nt_net_free(&m);
        nt_params_free(&p);
    }
    /* by hand: pirate, no embedding (E = 2), width 8, 2 blocks, 2 outputs:
     * U, V 2·(2·8 + 8); per block (2·8 + 8) + (8·8 + 8) + (8·2 + 2); out 2·2 + 2; 2 α */
    nt_net_config c = make_cfg(&k_archs[0], 2, 2, NT_ACT_TANH);
    CHECK(nt_net_param_count(&c) == 48 + 2 * (24 + 72 + 18) + 6 + 2);
    c.fourier_features = 6; /* E = 12 */
    CHECK(nt_net_param_count(&c) == 2 * (12 * 8 + 8) + 2 * ((12 * 8 + 8) + 72 + (8 * 12 + 12)) + (12 * 2 + 2) + 2);
    /* kan: 2 -> 5 -> 5 -> 2, K = 4: 5·5·2 + 5·5·5 + 2·5·5 */
    c = make_cfg(&k_archs[3], 2, 2, NT_ACT_TANH);
    CHECK(nt_net_param_count(&c) == 50 + 125 + 50);
    /* gaussians: 2·D·M + the mlp on M inputs: 5·8 + 8 + 2·(8·8 + 8) + 8·2 + 2 */
    c = make_cfg(&k_archs[5], 2, 2, NT_ACT_TANH);
    CHECK(nt_net_param_count(&c) == 20 + 48 + 144 + 18);
    /* invalid configurations count 0 and are refused with the field named */
    nt_params p;
    CHECK_OK(nt_params_init(&p, NT_F64, 100000));
    nt_net m;
    struct {
        int k;
        const char *msg;
    } bad[] = {{0, "blocks"}, {1, "degree"}, {2, "rwf"}, {3, "fourier"}, {4, "periodic"}, {5, "sigma"}, {6, "gaussians"}};
    for (int i = 0; i < (int)(sizeof bad / sizeof bad[0]); i++) {
        c = nt_net_config_default(2, 1, 8, 2, NT_ACT_TANH);
        switch (bad[i].k) {
        case 0: c.type = NT_NET_PIRATE; c.depth = NT_NET_MAX_BLOCKS + 1; break;
        case 1: c.type = NT_NET_KAN; c.kan_degree = 0; break;
        case 2: c.type = NT_NET_KAN; c.rwf = 1; break;
        case 3: c.gaussians = 4; c.fourier_features = 2; break;
        case 4: c.gaussians = 4; c.period[1] = 2; c.harmonics[1] = 1; break;
        case 5: c.gaussians = 4; c.gauss_sigma = 0; break;
        case 6: c.gaussians = -1; break;
        }
        CHECK(nt_net_param_count(&c) == 0);
        nt_status st = nt_net_init(&m, &c, &p, &r);
        if (st != NT_ERR_ARG || !strstr(nt_error_msg(), bad[i].msg))
            nt_test_fail(__FILE__, __LINE__, "case %d: %s / %s", i, nt_status_str(st), nt_error_msg());
    }
    CHECK(p.n == 0);
    nt_params_free(&p);
}

/* ------------------------------------------------------------------------------ */
/* Jet vs finite differences (as in test_archs.c)                                   */

static void f_at(const nt_net *m, nt_tape *t, const double *x, const double *dir, double h, double *out)
{
    double y[NT_JET_MAX_DIM];
    for (int d = 0; d < m->cfg.in_dim; d++) y[d] = x[d] + h * dir[d];
    eval_plain(m, t, y, 1, out);
}

static double fd_deriv(const nt_net *m, nt_tape *t, const double *x, const uint8_t *alpha, int col)
{
    int D = m->cfg.in_dim, order = 0, dims[8] = {0}, nd = 0;
    double out[8];
    for (int d = 0; d < D; d++) {
        order += alpha[d];
        for (int r = 0; r < alpha[d]; r++) dims[nd++] = d;
    }
    double ea[NT_JET_MAX_DIM] = {0}, eb[NT_JET_MAX_DIM] = {0};
    if (order == 1) {
        double h = 1e-5;
        ea[dims[0]] = 1;
        f_at(m, t, x, ea, h, out);
        double p = out[col];
        f_at(m, t, x, ea, -h, out);
        return (p - out[col]) / (2 * h);
    }
    if (order == 2 && dims[0] != dims[1]) {
        double h = 1e-4, s = 0;
        for (int i = -1; i <= 1; i += 2)
            for (int j = -1; j <= 1; j += 2) {
                double dir[NT_JET_MAX_DIM] = {0};
                dir[dims[0]] = i;
                dir[dims[1]] = j;
                f_at(m, t, x, dir, h, out);
                s += i * j * out[col];
            }
        return s / (4 * h * h);
    }
    if (order == 2) {
        double h = 1e-4;
        ea[dims[0]] = 1;
        f_at(m, t, x, ea, h, out);
        double p = out[col];
        f_at(m, t, x, ea, -h, out);
        double q = out[col];
        f_at(m, t, x, ea, 0, out);
        return (p - 2 * out[col] + q) / (h * h);
    }
    for (int k = 1; k < nd; k++) NT_ASSERT(dims[k] == dims[0], "fd_deriv: mixed higher derivative");
    eb[dims[0]] = 1;
    double est[2];
    for (int r = 0; r < 2; r++) {
        double h = (r ? 0.002 : 0.004), f[5];
        for (int k = -2; k <= 2; k++) {
            f_at(m, t, x, eb, k * h, out);
            f[k + 2] = out[col];
        }
        est[r] = order == 3 ? (f[4] - 2 * f[3] + 2 * f[1] - f[0]) / (2 * h * h * h)
                            : (f[4] - 4 * f[3] + 6 * f[2] - 4 * f[1] + f[0]) / (h * h * h * h);
    }
    return (4 * est[1] - est[0]) / 3;
}

static void test_jet_vs_fd(void)
{
    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 0));
    nt_jet_spec s;
    nt_jet_spec_init(&s, 2);
    const char *streams[] = {"xx", "xy", "yy", "yyy", "xxxx"};
    for (int k = 0; k < 5; k++) CHECK(nt_jet_spec_add_named(&s, "xy", streams[k]) >= 0);
    CHECK_OK(nt_jet_spec_build(&s));
    nt_rng rng;
    nt_rng_init(&rng, 7);
    enum { NP = 4 };
    double pts[NP * 2];
    for (int i = 0; i < NP * 2; i++) pts[i] = 2 * nt_rng_uniform(&rng) - 1;
    for (int ai = 0; ai < N_ARCHS; ai++) {
        const arch *a = &k_archs[ai];
        nt_act act = ai % 3 == 2 ? NT_ACT_SIN : NT_ACT_TANH;
        nt_net_config c = make_cfg(a, 2, 2, act);
        nt_params p;
        CHECK_OK(nt_params_init(&p, NT_F64, nt_net_param_count(&c)));
        nt_net m;
        nt_rng r;
        nt_rng_init(&r, 100 + (uint64_t)ai);
        CHECK_OK(nt_net_init(&m, &c, &p, &r));
        set_alphas(&m, 0.4);
        nt_tape_reset(&t);
        nt_tensor *x = nt_tensor_from_f64(&t, NT_F64, NP, 2, pts);
        nt_tensor *jet = nt_net_jet(&m, &t, &s, nt_jet_input(&t, &s, x));
        CHECK(jet != NULL && nt_tensor_rows(jet) == (int64_t)s.n_streams * NP && nt_tensor_cols(jet) == 2);
        if (!jet) continue;
        double *J = malloc((size_t)jet->size * sizeof(double));
        for (int64_t i = 0; i < jet->size; i++) J[i] = nt_tensor_get(jet, i);
        double u[NP * 2];
        eval_plain(&m, &t, pts, NP, u);
        for (int i = 0; i < NP * 2; i++) CHECK_CLOSE(J[i], u[i], 1e-13, 1e-13);
        double worst[5] = {0};
        for (int st = 1; st < s.n_streams; st++) {
            double fd[NP * 2], scale = 0;
            for (int i = 0; i < NP; i++)
                for (int col = 0; col < 2; col++) {
                    fd[i * 2 + col] = fd_deriv(&m, &t, pts + 2 * i, s.alpha[st], col);
                    scale = fmax(scale, fabs(fd[i * 2 + col]));
                }
            double rtol = s.order[st] == 1 ? 1e-7 : s.order[st] == 2 ? 1e-5 : 1e-3;
            for (int i = 0; i < NP * 2; i++) {
                double jv = J[(int64_t)st * NP * 2 + i];
                double e = fabs(jv - fd[i]) / (scale + 1e-3);
                worst[s.order[st]] = fmax(worst[s.order[st]], e);
                if (!(e <= rtol))
                    nt_test_fail(__FILE__, __LINE__, "%s stream %d (order %d) point %d: jet %.12g vs fd %.12g (rel %.2g)",
                                 a->name, st, s.order[st], i / 2, jv, fd[i], e);
            }
            CHECK(scale > 1e-3);
        }
        printf("    %-30s %4lld params; jet vs fd, worst rel. error by order: %.1e %.1e %.1e %.1e\n", a->name,
               (long long)p.n, worst[1], worst[2], worst[3], worst[4]);
        free(J);
        nt_net_free(&m);
        nt_params_free(&p);
    }
    nt_jet_spec_free(&s);
    nt_tape_free(&t);
}

/* float32 networks: same draws, values and derivative streams close to float64. */
static void test_float32(void)
{
    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 0));
    nt_jet_spec s;
    nt_jet_spec_init(&s, 2);
    CHECK(nt_jet_spec_add_named(&s, "xy", "xxy") >= 0);
    CHECK_OK(nt_jet_spec_build(&s));
    double pts[6] = {0.1, -0.4, 0.7, 0.2, -0.8, 0.9};
    for (int ai = 0; ai < N_ARCHS; ai++) {
        nt_net_config c = make_cfg(&k_archs[ai], 2, 1, NT_ACT_TANH);
        double J[2][64];
        int64_t size = 0;
        for (int dt = 0; dt < 2; dt++) {
            nt_params p;
            CHECK_OK(nt_params_init(&p, (nt_dtype)dt, nt_net_param_count(&c)));
            nt_net m;
            nt_rng r;
            nt_rng_init(&r, 77);
            CHECK_OK(nt_net_init(&m, &c, &p, &r));
            set_alphas(&m, 0.3);
            nt_tape_reset(&t);
            nt_tensor *x = nt_tensor_from_f64(&t, (nt_dtype)dt, 3, 2, pts);
            nt_tensor *jet = nt_net_jet(&m, &t, &s, nt_jet_input(&t, &s, x));
            CHECK(jet && jet->dtype == (nt_dtype)dt && jet->size <= 64);
            if (jet && jet->size <= 64) {
                size = jet->size;
                for (int64_t i = 0; i < size; i++) J[dt][i] = nt_tensor_get(jet, i);
            }
            nt_net_free(&m);
            nt_params_free(&p);
        }
        double worst = 0, scale = 0;
        for (int64_t i = 0; i < size; i++) {
            worst = fmax(worst, fabs(J[0][i] - J[1][i]));
            scale = fmax(scale, fabs(J[1][i]));
        }
        if (!(worst <= 1e-4 * scale))
            nt_test_fail(__FILE__, __LINE__, "%s: float32 jet off by %.2g (scale %.2g)", k_archs[ai].name, worst, scale);
    }
    nt_jet_spec_free(&s);
    nt_tape_free(&t);
}

/* ------------------------------------------------------------------------------ */
/* PirateNet: α = 0 at init and the least-squares output layer                      */

static double max_abs_diff(const double *a, const double *b, int64_t n)
{
    double w = 0;
    for (int64_t i = 0; i < n; i++) w = fmax(w, fabs(a[i] - b[i]));
    return w;
}

static void test_pirate_init_and_fit(void)
{
    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 0));
    enum { D = 2, O = 2, F = 5, E = 2 * F, NBIG = 40, NSMALL = 9 };
    for (int variant = 0; variant < 2; variant++) { /* 0: plain dense layers, 1: rwf */
        nt_net_config c = nt_net_config_default(D, O, 7, 3, NT_ACT_TANH);
        c.type = NT_NET_PIRATE;
        c.fourier_features = F;
        c.fourier_scale = 0.5;
        c.rwf = variant;
        nt_params p;
        CHECK_OK(nt_params_init(&p, NT_F64, nt_net_param_count(&c)));
        nt_net m;
        nt_rng r;
        nt_rng_init(&r, 21);
        CHECK_OK(nt_net_init(&m, &c, &p, &r));
        for (int b = 0; b < 3; b++) CHECK(m.alpha[b] && nt_tensor_get(m.alpha[b], 0) == 0.0);
        /* the output at init is Φ·W_outᵀ + b_out, Φ = [cos(2πB·x), sin(2πB·x)] */
        const nt_net_dense *Lo = &m.dense[m.n_dense - 1];
        CHECK(nt_tensor_rows(Lo->W) == O && nt_tensor_cols(Lo->W) == E);
        for (int o = 0; o < O; o++) nt_tensor_set(Lo->b, o, 0.25 * (o + 1)); /* a bias that shows */
        double x[NBIG * D], phi[NBIG * E], u[NBIG * O], want[NBIG * O];
        nt_rng_init(&r, 5);
        for (int i = 0; i < NBIG * D; i++) x[i] = 2 * nt_rng_uniform(&r) - 1;
        for (int i = 0; i < NBIG; i++)
            for (int f = 0; f < F; f++) {
                double z = 0;
                for (int d = 0; d < D; d++) z += nt_tensor_get(&m.ff_B, f * D + d) * x[i * D + d];
                phi[i * E + f] = cos(z);
                phi[i * E + F + f] = sin(z);
            }
        for (int i = 0; i < NBIG; i++)
            for (int o = 0; o < O; o++) {
                double v = nt_tensor_get(Lo->b, o);
                for (int k = 0; k < E; k++) {
                    double w = nt_tensor_get(Lo->W, o * E + k);
                    if (Lo->s) w *= exp(nt_tensor_get(Lo->s, o));
                    v += phi[i * E + k] * w;
                }
                want[i * O + o] = v;
            }
        eval_plain(&m, &t, x, NBIG, u);
        CHECK(max_abs_diff(u, want, NBIG * O) < 1e-13);
        /* consistent data: y = Φ·W* + b* at NBIG > E + 1 points is reproduced */
        double y[NBIG * O];
        for (int i = 0; i < NBIG; i++)
            for (int o = 0; o < O; o++) {
                double v = 0.3 - 0.7 * o;
                for (int k = 0; k < E; k++) v += phi[i * E + k] * sin(1.0 + k + 3.0 * o);
                y[i * O + o] = v;
            }
        CHECK_OK(nt_net_pirate_fit_output(&m, &t, x, y, NBIG));
        eval_plain(&m, &t, x, NBIG, u);
        double e1 = max_abs_diff(u, y, NBIG * O);
        CHECK(e1 < 1e-8);
        for (int o = 0; o < O; o++) CHECK_NEAR(nt_tensor_get(Lo->b, o), 0.3 - 0.7 * o, 1e-6);
        /* arbitrary data at NSMALL ≤ E + 1 points is interpolated */
        double ys[NSMALL * O];
        for (int i = 0; i < NSMALL; i++)
            for (int o = 0; o < O; o++) ys[i * O + o] = exp(x[i * D]) * (o + 1) - x[i * D + 1] * x[i * D + 1];
        CHECK_OK(nt_net_pirate_fit_output(&m, &t, x, ys, NSMALL));
        eval_plain(&m, &t, x, NSMALL, u);
        double e2 = max_abs_diff(u, ys, NSMALL * O);
        CHECK(e2 < 1e-8);
        /* with α ≠ 0 the fit uses the last block's features: still interpolates */
        set_alphas(&m, 0.5);
        CHECK_OK(nt_net_pirate_fit_output(&m, &t, x, ys, NSMALL));
        eval_plain(&m, &t, x, NSMALL, u);
        double e3 = max_abs_diff(u, ys, NSMALL * O);
        CHECK(e3 < 1e-8);
        printf("    %s: fit of consistent data %.1e, interpolation %.1e, with alpha != 0 %.1e\n",
               variant ? "rwf" : "plain", e1, e2, e3);
        /* bad input */
        ys[3] = NAN;
        CHECK(nt_net_pirate_fit_output(&m, &t, x, ys, NSMALL) == NT_ERR_NUMERIC);
        CHECK(nt_net_pirate_fit_output(&m, &t, x, y, 0) == NT_ERR_ARG);
        nt_net_free(&m);
        nt_params_free(&p);
    }
    /* not a PirateNet */
    nt_net_config c = nt_net_config_default(1, 1, 4, 1, NT_ACT_TANH);
    nt_params p;
    CHECK_OK(nt_params_init(&p, NT_F64, nt_net_param_count(&c)));
    nt_net m;
    nt_rng r;
    nt_rng_init(&r, 1);
    CHECK_OK(nt_net_init(&m, &c, &p, &r));
    double x1 = 0.5, y1 = 1;
    CHECK(nt_net_pirate_fit_output(&m, &t, &x1, &y1, 1) == NT_ERR_ARG && strstr(nt_error_msg(), "pirate"));
    nt_net_free(&m);
    nt_params_free(&p);
    nt_tape_free(&t);
}

/* ------------------------------------------------------------------------------ */
/* Problem files                                                                    */

#define K_HEAD                                                                              \
    "name: arch\n"                                                                          \
    "domain: {x: [-1, 1], t: [0, 1]}\n"                                                     \
    "fields: [u]\n"                                                                         \
    "pde: \"u_t + u*u_x - 0.1*u_xx + 0.01*u_xxxx\"\n"                                       \
    "conditions:\n"                                                                         \
    "  - {where: initial, u: \"sin(pi*x)\", points: 12}\n"                                  \
    "  - {where: \"x == -1\", u: 0, points: 6}\n"                                           \
    "  - {periodic: x, points: 6}\n"                                                        \
    "data: {from: reference, points: 8}\n"                                                  \
    "reference: {exact: {u: \"sin(pi*x)*exp(-t)\"}, grid: {x: 9, t: 5}}\n"                  \
    "train: {points: 30, chunk: 16, dtype: float64}\n"

static const char *k_models[] = {
    "model: {type: pirate, width: 5, blocks: 2, fourier: {features: 3, scale: 0.7}}\n",
    "model: {type: pirate, width: 4, depth: 1, periodic: {x: {period: 2}}, rwf: {mu: 0.5, sigma: 0.1}}\n",
    "model: {type: kan, width: 4, depth: 1, degree: 3}\n",
    "model: {type: kan, width: 3, depth: 2, degree: 2, fourier: {features: 2, scale: 0.5}}\n",
    "model: {width: 5, depth: 1, gaussians: {count: 4, sigma: 0.6}}\n",
    "model: {type: pirate, width: 4, blocks: 1, gaussians: {count: 3, sigma: 0.7}}\n",
    "model: {type: kan, width: 3, depth: 1, degree: 2, gaussians: {count: 3, sigma: 0.7}}\n",
};
#define N_MODELS ((int)(sizeof k_models / sizeof k_models[0]))

static int load_text(nt_problem *p, const char *model)
{
    return nt_test_load_problem(__FILE__, __LINE__, p, K_HEAD, model, "arch.yaml");
}

static void test_loss_gradcheck(void)
{
    for (int k = 0; k < N_MODELS; k++) {
        nt_problem p;
        if (load_text(&p, k_models[k])) continue;
        nt_pinn m;
        CHECK_OK(nt_pinn_init(&m, &p));
        set_alphas(&m.net, 0.35);
        nt_params *pp = &m.params;
        double *x = pp->data;
        nt_pinn_loss(&m, 1);
        double *g0 = nt_test_pinn_grad(&m);
        double worst = 0, gmax = 0;
        for (int64_t i = 0; i < pp->n; i++) {
            /* h balances truncation against rounding: the fourth-order PDE makes losses ~1e4 */
            double fd = nt_test_pinn_fd(&m, i, 1e-5 * (1 + fabs(x[i])));
            CHECK_CLOSE(g0[i], fd, 1e-5, 1e-7);
            worst = fmax(worst, fabs(g0[i] - fd) / (fabs(fd) + 1e-3));
            gmax = fmax(gmax, fabs(g0[i]));
        }
        CHECK(gmax > 1e-3);
        for (int q = 0; q < pp->count; q++) {
            double s = 0;
            for (int64_t i = 0; i < pp->tensors[q].size; i++) s += fabs(g0[pp->offset[q] + i]);
            if (!(s > 0)) nt_test_fail(__FILE__, __LINE__, "model %d: parameter %s has no gradient", k, pp->names[q]);
        }
        printf("    model %d: %lld params, max rel |g - fd| %.1e\n", k, (long long)pp->n, worst);
        free(g0);
        nt_pinn_free(&m);
        nt_problem_free(&p);
    }
}

#define expect_error(line, body, pos, msg) nt_test_expect_problem_error(__FILE__, line, "arch.yaml", K_HEAD, body, pos, msg)

/* K_HEAD has 11 lines: the model block starts on line 12. */
static void test_yaml(void)
{
    expect_error(__LINE__, "model: {type: pirat}\n", "12:15", "also pirate (PirateNet) and kan (Chebyshev KAN)");
    expect_error(__LINE__, "model: {type: pirate, blocks: 0}\n", "12:31", "blocks");
    expect_error(__LINE__, "model: {type: pirate, blocks: 21}\n", "12:31", "blocks");
    expect_error(__LINE__, "model: {type: pirate, depth: 30}\n", "12:30", "at most 20");
    expect_error(__LINE__, "model: {type: pirate, depth: 2, blocks: 2}\n", "12:30", "not both");
    expect_error(__LINE__, "model: {blocks: 3}\n", "12:17", "'blocks' applies to type: pirate");
    expect_error(__LINE__, "model: {type: kan, degree: 0}\n", "12:28", "degree");
    expect_error(__LINE__, "model: {type: kan, degree: 2.5}\n", "12:28", "degree");
    expect_error(__LINE__, "model: {degree: 3}\n", "12:17", "'degree' applies to type: kan");
    expect_error(__LINE__, "model: {type: kan, activation: sin}\n", "12:32", "tanh");
    expect_error(__LINE__, "model: {type: kan, rwf: {}}\n", "12:25", "rwf is not available with type: kan");
    expect_error(__LINE__, "model:\n  gaussians: 8\n", "13:14", "gaussians must be a mapping");
    expect_error(__LINE__, "model:\n  gaussians: {count: 0}\n", "13:22", "count");
    expect_error(__LINE__, "model:\n  gaussians: {sigma: -1}\n", "13:22", "gaussians sigma must be > 0");
    expect_error(__LINE__, "model:\n  gaussians: {cont: 4}\n", "13:15", "unknown key 'cont' in gaussians");
    expect_error(__LINE__, "model:\n  fourier: {}\n  gaussians: {count: 4}\n", "14:14", "cannot be combined with fourier");
    expect_error(__LINE__, "model:\n  periodic: {x: {period: 2}}\n  gaussians: {count: 4}\n", "14:14",
                 "cannot be combined with periodic");
    /* defaults */
    nt_problem p;
    if (!load_text(&p, "model: {type: pirate}\n")) {
        CHECK(p.net_type == NT_NET_PIRATE && p.depth == 3 && p.fourier_features == 128 && p.fourier_scale == 1.0);
        nt_problem_free(&p);
    }
    if (!load_text(&p, "model: {type: pirate, blocks: 2, periodic: {x: {period: 2}}}\n")) {
        CHECK(p.depth == 2 && p.fourier_features == 0 && p.period[0] == 2);
        nt_problem_free(&p);
    }
    if (!load_text(&p, "model: {type: pirate, blocks: 2, gaussians: {}}\n")) {
        CHECK(p.fourier_features == 0 && p.gaussians == 64 && p.gauss_sigma == 0.1);
        nt_problem_free(&p);
    }
    if (!load_text(&p, "model: {type: kan, width: 7}\n")) {
        CHECK(p.net_type == NT_NET_KAN && p.kan_degree == 5 && p.depth == 4 && p.width == 7);
        nt_pinn m;
        CHECK_OK(nt_pinn_init(&m, &p));
        CHECK(m.net.cfg.kan_degree == 5 && m.params.n == 7 * 6 * 2 + 3 * 7 * 6 * 7 + 7 * 6);
        nt_pinn_free(&m);
        nt_problem_free(&p);
    }
    if (!load_text(&p, "model: {gaussians: {count: 10, sigma: 0.3}, width: 6, depth: 1}\n")) {
        CHECK(p.net_type == NT_NET_MLP && p.gaussians == 10 && p.gauss_sigma == 0.3);
        nt_pinn m;
        CHECK_OK(nt_pinn_init(&m, &p));
        CHECK(m.net.cfg.gaussians == 10 && m.net.cfg.gauss_sigma == 0.3 && m.net.g_mu && m.net.g_logs);
        CHECK(m.params.n == 2 * 2 * 10 + 10 * 6 + 6 + 6 + 1);
        CHECK_NEAR(nt_tensor_get(m.net.g_logs, 7), log(0.3), 1e-15);
        nt_pinn_free(&m);
        nt_problem_free(&p);
    }
}

/* ------------------------------------------------------------------------------ */
/* Checkpoints: an interrupted and resumed run gives the same predictions           */

static void test_resume(void)
{
    static const char *models[] = {
        "model: {type: pirate, width: 8, blocks: 2, fourier: {features: 6, scale: 1}, rwf: {mu: 0.5, sigma: 0.1}}\n",
        "model: {type: kan, width: 6, depth: 1, degree: 3, gaussians: {count: 8, sigma: 0.3}}\n",
    };
    if (!nt_test_tmp_init("nt_archs2")) {
        nt_test_fail(__FILE__, __LINE__, "mkdtemp failed");
        return;
    }
    for (int k = 0; k < 2; k++) {
        char name[16], text[2048];
        snprintf(name, sizeof name, "model%d", k);
        snprintf(text, sizeof text,
                 "name: archs2\n"
                 "domain: {x: [0, 2], t: [0, 0.5]}\nfields: [u]\n"
                 "pde: \"u_t + 2*u_x - 0.01*u_xx\"\n"
                 "conditions: [{where: initial, u: \"sin(pi*x)\", points: 32}, {periodic: x, points: 16}]\n"
                 "%s"
                 "train:\n  seed: 9\n  points: 64\n  resample_every: 10\n  log_every: 5\n  eval_every: 10\n"
                 "  checkpoint_every: 7\n"
                 "  stages: [{optimizer: adam, lr: 3e-3, steps: 30}, {optimizer: lbfgs, steps: 15, history: 5}]\n"
                 "reference: {exact: {u: \"exp(-0.01*pi^2*t)*sin(pi*(x - 2*t))\"}, grid: {x: 17, t: 6}}\n",
                 models[k]);
        nt_test_resume_case(__FILE__, __LINE__, name, text, 17);
    }
}

/* ------------------------------------------------------------------------------ */
/* End to end                                                                       */

/* -u'' = (2π)² sin(2πx) on [0, 1], u(0) = u(1) = 0: u = sin(2πx). Adam then L-BFGS.
 * fit > 0: PirateNet's output layer is first fitted to the exact solution at fit
 * points; *e0 is the error before training. */
static double train_poisson(const char *model, int adam, int lbfgs, int fit, double *e0, double *secs)
{
    char text[2048];
    snprintf(text, sizeof text,
             "name: poisson2\n"
             "domain: {x: [0, 1]}\nfields: [u]\n"
             "pde: \"u_xx + 4*pi^2*sin(2*pi*x)\"\n"
             "conditions: [{where: \"x == 0 || x == 1\", u: 0, points: 2}]\n"
             "%s"
             "train: {points: 128, sampler: sobol, dtype: float64, seed: 3}\n"
             "reference: {exact: {u: \"sin(2*pi*x)\"}, grid: {x: 201}}\n",
             model);
    nt_problem p;
    if (nt_test_load_problem(__FILE__, __LINE__, &p, text, NULL, "poisson2.yaml")) return NAN;
    nt_pinn m;
    CHECK_OK(nt_pinn_init(&m, &p));
    double t0 = nt_time_now();
    if (fit > 0) {
        /* the fit works in the network's (normalized) coordinates */
        double *xs = malloc((size_t)fit * sizeof(double)), *ys = malloc((size_t)fit * sizeof(double));
        for (int i = 0; i < fit; i++) {
            double xp = (i + 0.5) / fit;
            xs[i] = m.in_scale[0] * xp + m.in_shift[0];
            ys[i] = sin(2 * NT_TEST_PI * xp);
        }
        CHECK_OK(nt_net_pirate_fit_output(&m.net, &m.tape, xs, ys, fit));
        nt_tape_reset(&m.tape);
        free(xs);
        free(ys);
    }
    *e0 = nt_pinn_errors(&m, NULL);
    nt_adam_config ac = nt_adam_config_default(3e-3);
    nt_test_pinn_adam_lbfgs(&m, &ac, adam, lbfgs);
    *secs = nt_time_now() - t0;
    double e = nt_pinn_errors(&m, NULL);
    nt_pinn_free(&m);
    nt_problem_free(&p);
    return e;
}

static void test_trains(void)
{
    int quick = nt_test_quick();
    int adam = quick ? 200 : 300, lbfgs = quick ? 250 : 400;
    int threads = nt_threads_get();
    nt_threads_set(1);
    struct {
        const char *name, *model;
        int fit;
        double tol, tol_quick;
    } runs[] = {
        {"pirate", "model: {type: pirate, width: 16, blocks: 1, fourier: {features: 16, scale: 1}}\n", 0, 1e-2, 0.1},
        {"pirate, fitted", "model: {type: pirate, width: 16, blocks: 1, fourier: {features: 16, scale: 1}}\n", 24, 1e-2, 0.1},
        {"kan", "model: {type: kan, width: 8, depth: 1, degree: 5}\n", 0, 1e-2, 0.1},
        {"gaussians+mlp", "model: {width: 16, depth: 1, gaussians: {count: 16, sigma: 0.2}}\n", 0, 1e-2, 0.1},
    };
    for (int k = 0; k < (int)(sizeof runs / sizeof runs[0]); k++) {
        double e0, secs;
        double e = train_poisson(runs[k].model, adam, lbfgs, runs[k].fit, &e0, &secs);
        printf("    -u'' = f, u = sin(2 pi x), %-15s Adam %d + L-BFGS %d: rel. L2 error %.2e -> %.3e (%.1f s)\n",
               runs[k].name, adam, lbfgs, e0, e, secs);
        CHECK(e < (quick ? runs[k].tol_quick : runs[k].tol));
        if (runs[k].fit) CHECK(e0 < 1e-3); /* the fitted network starts on the solution */
        else CHECK(e0 > 0.1);
    }
    nt_threads_set(threads);
}

int main(void)
{
    RUN(test_param_count);
    RUN(test_jet_vs_fd);
    RUN(test_float32);
    RUN(test_pirate_init_and_fit);
    RUN(test_loss_gradcheck);
    RUN(test_yaml);
    RUN(test_resume);
    RUN(test_trains);
    nt_test_tmp_cleanup();
    return nt_test_finish();
}

/* net.c — PINN networks: exact periodic embedding, random Fourier features, the
 * modified MLP and random weight factorization, each with a plain forward and a
 * jet (Taylor-mode) forward built from the tape's ops (see noether.h).
 *
 * Jets: the embeddings are cos/sin of a linear map of the input, so their streams
 * are those of nt_jet_act(cos | sin) after an nt_linear without bias (a linear map
 * acts on every derivative block alike). The modified MLP's gate
 * (1 − Z)⊙U + Z⊙V = U + Z⊙(V − U) is a jet product (Leibniz) and sums. A
 * factorized weight diag(exp(s))·V is formed once per forward from the parameters
 * (exp(s)·1ᵀ ⊙ V), so every derivative block sees the same effective W.
 *
 * PirateNet's gates are the same jet products; its residual update
 * X + α·(H − X) multiplies every block by the scalar α (linear). The KAN layer's
 * Chebyshev features follow T_{k+1} = 2·s·T_k − T_{k−1} with s = tanh(x) (jet
 * products and linear combinations; T_0 is the constant 1: value block 1,
 * derivative blocks 0), and the contraction with the coefficients is one linear
 * map of the concatenated [T_0 .. T_K]. The Gaussian embedding's scaled offsets
 * q_dm = (x_d − μ_dm)/σ_dm are a linear map of the input (the −μ/σ part on the value
 * block only), then q² (jet product), a sum over d (column slices) and exp. */
#include "ad/ad_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nt_net_config nt_net_config_default(int in_dim, int out_dim, int width, int depth, nt_act act)
{
    nt_net_config c;
    memset(&c, 0, sizeof c);
    c.type = NT_NET_MLP;
    c.in_dim = in_dim;
    c.out_dim = out_dim;
    c.width = width;
    c.depth = depth;
    c.act = act;
    c.init = NT_INIT_GLOROT_NORMAL;
    c.fourier_scale = 1.0;
    c.rwf_mu = 1.0;
    c.rwf_sigma = 0.1;
    c.kan_degree = 5;
    c.gauss_sigma = 0.1;
    return c;
}

static nt_status check_config(const nt_net_config *c)
{
    if (c->in_dim < 1 || c->in_dim > NT_JET_MAX_DIM)
        return nt_set_error(NT_ERR_ARG, "network in_dim %d out of range (1..%d)", c->in_dim, NT_JET_MAX_DIM);
    if (c->out_dim < 1) return nt_set_error(NT_ERR_ARG, "network out_dim %d must be >= 1", c->out_dim);
    if (c->width < 1) return nt_set_error(NT_ERR_ARG, "network width %d must be >= 1", c->width);
    if (c->type != NT_NET_MLP && c->type != NT_NET_MODIFIED_MLP && c->type != NT_NET_PIRATE && c->type != NT_NET_KAN)
        return nt_set_error(NT_ERR_ARG, "network type %d unknown", (int)c->type);
    if (c->type == NT_NET_PIRATE) {
        if (c->depth < 1 || c->depth > NT_NET_MAX_BLOCKS)
            return nt_set_error(NT_ERR_ARG, "pirate network depth (blocks) %d out of range (1..%d)", c->depth,
                                NT_NET_MAX_BLOCKS);
    } else {
        int dmin = c->type == NT_NET_MODIFIED_MLP ? 2 : 1;
        if (c->depth < dmin || c->depth > NT_NET_MAX_DEPTH)
            return nt_set_error(NT_ERR_ARG, "network depth %d out of range (%d..%d)", c->depth, dmin, NT_NET_MAX_DEPTH);
    }
    if (c->type == NT_NET_KAN) {
        if (c->kan_degree < 1 || c->kan_degree > NT_NET_MAX_DEGREE)
            return nt_set_error(NT_ERR_ARG, "kan degree %d out of range (1..%d)", c->kan_degree, NT_NET_MAX_DEGREE);
        if (c->rwf) return nt_set_error(NT_ERR_ARG, "rwf is not available with a kan network (no dense layers)");
    }
    if (c->gaussians < 0 || c->gaussians > NT_NET_MAX_GAUSSIANS)
        return nt_set_error(NT_ERR_ARG, "gaussians %d out of range (0..%d)", c->gaussians, NT_NET_MAX_GAUSSIANS);
    if (c->gaussians > 0) {
        if (!(c->gauss_sigma > 0 && isfinite(c->gauss_sigma)))
            return nt_set_error(NT_ERR_ARG, "gaussian sigma must be > 0");
        if (c->fourier_features > 0)
            return nt_set_error(NT_ERR_ARG, "gaussians cannot be combined with fourier features");
        for (int d = 0; d < c->in_dim; d++)
            if (c->period[d] > 0)
                return nt_set_error(NT_ERR_ARG, "gaussians cannot be combined with a periodic embedding");
    }
    if (c->act <= NT_ACT_IDENTITY || c->act >= NT_ACT_COUNT)
        return nt_set_error(NT_ERR_ARG, "network activation %d out of range", (int)c->act);
    for (int d = 0; d < c->in_dim; d++) {
        if (c->period[d] < 0 || !isfinite(c->period[d]))
            return nt_set_error(NT_ERR_ARG, "period of input %d must be > 0 (0: not periodic)", d);
        if (c->period[d] > 0 && (c->harmonics[d] < 1 || c->harmonics[d] > NT_NET_MAX_HARMONICS))
            return nt_set_error(NT_ERR_ARG, "harmonics of input %d must be in 1..%d", d, NT_NET_MAX_HARMONICS);
        if (c->parity[d] < -1 || c->parity[d] > 1)
            return nt_set_error(NT_ERR_ARG, "parity of input %d must be 0, 1 (even) or -1 (odd)", d);
        if (c->parity[d] && !(c->period[d] > 0))
            return nt_set_error(NT_ERR_ARG, "parity of input %d needs its periodic embedding", d);
    }
    if (c->fourier_features < 0 || c->fourier_features > NT_NET_MAX_FEATURES)
        return nt_set_error(NT_ERR_ARG, "fourier features %d out of range (0..%d)", c->fourier_features,
                            NT_NET_MAX_FEATURES);
    if (c->fourier_features > 0 && !(c->fourier_scale > 0 && isfinite(c->fourier_scale)))
        return nt_set_error(NT_ERR_ARG, "fourier scale must be > 0");
    if (c->rwf && !(isfinite(c->rwf_mu) && c->rwf_sigma >= 0 && isfinite(c->rwf_sigma)))
        return nt_set_error(NT_ERR_ARG, "rwf needs a finite mu and sigma >= 0");
    return NT_OK;
}

/* Row counts of the fixed embedding matrices and the widths after the periodic
 * embedding and after the whole embedding. */
typedef struct edims {
    int n_per, n_pass;   /* periodic rows (Σ harmonics, the cosines), passed-through inputs */
    int n_sin, n_odd;    /* sine rows (inputs without parity), odd inputs */
    int per_out, embed;
} edims;

static edims embed_dims(const nt_net_config *c)
{
    edims e = {0};
    for (int d = 0; d < c->in_dim; d++) {
        if (c->period[d] > 0) {
            e.n_per += c->harmonics[d];
            if (!c->parity[d]) e.n_sin += c->harmonics[d];
            if (c->parity[d] < 0) e.n_odd++;
        } else {
            e.n_pass++;
        }
    }
    e.per_out = e.n_per ? e.n_per + e.n_sin + e.n_pass : c->in_dim;
    e.embed = c->fourier_features > 0 ? 2 * c->fourier_features : e.per_out;
    if (c->gaussians > 0) e.embed = c->gaussians;
    return e;
}

/* Trunk layer shapes: layer l maps in[l] -> out[l] (for kan, in[l] counts the
 * (K+1)·inputs Chebyshev features). */
static int trunk_shapes(const nt_net_config *c, int embed, int *in, int *out)
{
    int n = 0;
    if (c->type == NT_NET_PIRATE) {
        for (int k = 0; k < 2; k++) { /* U, V */
            in[n] = embed;
            out[n++] = c->width;
        }
        for (int b = 0; b < c->depth; b++) { /* W1, W2, W3: E -> w -> w -> E */
            in[n] = embed;
            out[n++] = c->width;
            in[n] = c->width;
            out[n++] = c->width;
            in[n] = c->width;
            out[n++] = embed;
        }
        in[n] = embed;
        out[n++] = c->out_dim;
        return n;
    }
    if (c->type == NT_NET_KAN) {
        for (int l = 0; l <= c->depth; l++) {
            in[n] = (c->kan_degree + 1) * (l ? c->width : embed);
            out[n++] = l < c->depth ? c->width : c->out_dim;
        }
        return n;
    }
    if (c->type == NT_NET_MODIFIED_MLP) {
        for (int k = 0; k < 3; k++) { /* U, V, H_1 */
            in[n] = embed;
            out[n++] = c->width;
        }
        for (int k = 1; k < c->depth; k++) { /* gates Z_k */
            in[n] = c->width;
            out[n++] = c->width;
        }
    } else {
        for (int k = 0; k < c->depth; k++) {
            in[n] = k ? c->width : embed;
            out[n++] = c->width;
        }
    }
    in[n] = c->width;
    out[n++] = c->out_dim;
    return n;
}

int64_t nt_net_param_count(const nt_net_config *cfg)
{
    if (check_config(cfg)) return 0;
    int in[NT_NET_MAX_LAYERS], out[NT_NET_MAX_LAYERS];
    int n = trunk_shapes(cfg, embed_dims(cfg).embed, in, out);
    int64_t total = 0;
    int bias = cfg->type == NT_NET_KAN ? 0 : 1;
    for (int l = 0; l < n; l++) total += (int64_t)out[l] * (in[l] + bias + (cfg->rwf ? 1 : 0));
    if (cfg->type == NT_NET_PIRATE) total += cfg->depth;                 /* α */
    if (cfg->gaussians > 0) total += 2 * (int64_t)cfg->in_dim * cfg->gaussians; /* μ, log σ */
    return total;
}

static nt_status fixed_alloc(nt_tensor *x, nt_dtype dt, int64_t rows, int64_t cols)
{
    memset(x, 0, sizeof *x);
    x->dtype = dt;
    x->ndim = 2;
    x->shape[0] = rows;
    x->shape[1] = cols;
    x->size = rows * cols;
    x->data = calloc((size_t)NT_MAX(x->size, 1), nt_dtype_size(dt));
    if (!x->data) return nt_set_error(NT_ERR_NOMEM, "out of memory for the network's embedding");
    return NT_OK;
}

void nt_net_free(nt_net *m)
{
    free(m->per_A.data);
    free(m->pass_P.data);
    free(m->sin_A.data);
    free(m->odd_A.data);
    free(m->ff_B.data);
    free(m->g_mask.data);
    memset(m, 0, sizeof *m);
}

nt_status nt_net_init(nt_net *m, const nt_net_config *cfg, nt_params *p, nt_rng *rng)
{
    memset(m, 0, sizeof *m);
    nt_status st = check_config(cfg);
    if (st) return st;
    m->cfg = *cfg;
    nt_dtype dt = p->dtype;
    edims ed = embed_dims(cfg);
    m->n_per = ed.n_per;
    m->n_pass = ed.n_pass;
    m->n_sin = ed.n_sin;
    m->n_odd = ed.n_odd;
    m->embed_dim = ed.embed;
    int D = cfg->in_dim;
    /* with parity the sines have their own rows (those of the inputs without one) */
    int own_sin = m->n_sin && m->n_sin < m->n_per;
    if (m->n_per) {
        if ((st = fixed_alloc(&m->per_A, dt, m->n_per, D))) goto fail;
        if (m->n_pass && (st = fixed_alloc(&m->pass_P, dt, m->n_pass, D))) goto fail;
        if (own_sin && (st = fixed_alloc(&m->sin_A, dt, m->n_sin, D))) goto fail;
        if (m->n_odd && (st = fixed_alloc(&m->odd_A, dt, m->n_odd, D))) goto fail;
        int r = 0, q = 0, rs = 0, ro = 0;
        for (int d = 0; d < D; d++) {
            if (cfg->period[d] > 0) {
                double w = 2.0 * NT_PI / cfg->period[d];
                for (int k = 1; k <= cfg->harmonics[d]; k++, r++) {
                    nt_tensor_set(&m->per_A, (int64_t)r * D + d, 2.0 * NT_PI * k / cfg->period[d]);
                    if (own_sin && !cfg->parity[d]) nt_tensor_set(&m->sin_A, (int64_t)rs++ * D + d, w * k);
                }
                if (cfg->parity[d] < 0) nt_tensor_set(&m->odd_A, (int64_t)ro++ * D + d, w);
            } else {
                nt_tensor_set(&m->pass_P, (int64_t)q++ * D + d, 1.0);
            }
        }
    }
    if (cfg->fourier_features > 0) {
        if ((st = fixed_alloc(&m->ff_B, dt, cfg->fourier_features, ed.per_out))) goto fail;
        for (int64_t i = 0; i < m->ff_B.size; i++)
            nt_tensor_set(&m->ff_B, i, 2.0 * NT_PI * cfg->fourier_scale * nt_rng_normal(rng));
    }
    if (cfg->gaussians > 0) {
        int64_t M = cfg->gaussians, DM = (int64_t)D * M;
        m->g_mu = nt_params_add(p, "gauss_mu", 1, DM);
        m->g_logs = nt_params_add(p, "gauss_logs", 1, DM);
        if (!m->g_mu || !m->g_logs) {
            st = NT_ERR_ARG;
            goto fail;
        }
        if ((st = fixed_alloc(&m->g_mask, dt, D, DM))) goto fail;
        for (int d = 0; d < D; d++)
            for (int64_t k = 0; k < M; k++) nt_tensor_set(&m->g_mask, d * DM + d * M + k, 1.0);
        for (int64_t i = 0; i < DM; i++) {
            nt_tensor_set(m->g_mu, i, 2.0 * nt_rng_uniform(rng) - 1.0);
            nt_tensor_set(m->g_logs, i, log(cfg->gauss_sigma));
        }
    }
    m->plain = cfg->type == NT_NET_MLP && !cfg->rwf;
    if (m->plain) {
        nt_mlp_config mc = {m->embed_dim, cfg->out_dim, cfg->width, cfg->depth, cfg->act, cfg->init};
        if ((st = nt_mlp_init(&m->mlp, &mc, p, rng))) goto fail;
        return NT_OK;
    }
    int in[NT_NET_MAX_LAYERS], out[NT_NET_MAX_LAYERS];
    m->n_dense = trunk_shapes(cfg, m->embed_dim, in, out);
    for (int l = 0; l < m->n_dense; l++) {
        nt_net_dense *L = &m->dense[l];
        char name[32];
        snprintf(name, sizeof name, cfg->type == NT_NET_KAN ? "C%d" : cfg->rwf ? "V%d" : "W%d", l);
        L->W = nt_params_add(p, name, out[l], in[l]);
        if (!L->W) {
            st = NT_ERR_ARG;
            goto fail;
        }
        if (cfg->rwf) {
            snprintf(name, sizeof name, "s%d", l);
            L->s = nt_params_add(p, name, out[l], 1);
        }
        if (cfg->type == NT_NET_KAN) {
            /* Chebyshev coefficients: no bias (T_0 = 1 plays its part), N(0, 1/(in·(K+1))) */
            double sd = 1.0 / sqrt((double)in[l]);
            for (int64_t i = 0; i < L->W->size; i++) nt_tensor_set(L->W, i, sd * nt_rng_normal(rng));
            continue;
        }
        snprintf(name, sizeof name, "b%d", l);
        L->b = nt_params_add(p, name, 1, out[l]);
        if (!L->W || !L->b || (cfg->rwf && !L->s)) {
            st = NT_ERR_ARG;
            goto fail;
        }
        /* Glorot as in nt_mlp_init; biases start at zero */
        double sd = sqrt(2.0 / (in[l] + out[l])), lim = sqrt(6.0 / (in[l] + out[l]));
        for (int64_t i = 0; i < L->W->size; i++) {
            double v = cfg->init == NT_INIT_GLOROT_UNIFORM ? (2.0 * nt_rng_uniform(rng) - 1.0) * lim
                                                           : sd * nt_rng_normal(rng);
            nt_tensor_set(L->W, i, v);
        }
        if (cfg->rwf)
            for (int r = 0; r < out[l]; r++) {
                double s = cfg->rwf_mu + cfg->rwf_sigma * nt_rng_normal(rng), e = exp(-s);
                nt_tensor_set(L->s, r, s);
                for (int c = 0; c < in[l]; c++) {
                    int64_t i = (int64_t)r * in[l] + c;
                    nt_tensor_set(L->W, i, nt_tensor_get(L->W, i) * e);
                }
            }
        /* pirate: α of block b after its three dense layers (U, V are 0 and 1) */
        if (cfg->type == NT_NET_PIRATE && l >= 2 && l < m->n_dense - 1 && (l - 2) % 3 == 2) {
            int b = (l - 2) / 3;
            snprintf(name, sizeof name, "alpha%d", b);
            if (!(m->alpha[b] = nt_params_add(p, name, 1, 1))) {
                st = NT_ERR_ARG;
                goto fail;
            }
        }
    }
    return NT_OK;
fail:
    nt_net_free(m);
    return st;
}

/* ---------------------------------------------------------------------------- */
/* Forward passes. s == NULL: plain; else a stacked jet of n points per stream.    */

static nt_tensor *act(nt_tape *t, const nt_jet_spec *s, nt_tensor *z, nt_act a)
{
    if (!z) return NULL;
    return s ? nt_jet_act(t, s, z, a) : nt_act_apply(t, z, a, 0);
}

static nt_tensor *mul(nt_tape *t, const nt_jet_spec *s, nt_tensor *a, nt_tensor *b);

/* φ_m = exp(−½ Σ_d q_dm²), q_dm = x_d/σ_dm − μ_dm/σ_dm (the constant on block 0 only). */
static nt_tensor *gauss_embed(const nt_net *m, nt_tape *t, const nt_jet_spec *s, nt_tensor *x, int64_t n)
{
    int D = m->cfg.in_dim;
    int64_t M = m->cfg.gaussians, rows = nt_tensor_rows(x);
    nt_tensor *ls = nt_scale(t, m->g_logs, -1.0, 0.0);
    nt_tensor *w = ls ? nt_exp(t, ls) : NULL; /* 1/σ, (1 × D·M) */
    nt_tensor *ones = nt_tensor_new2(t, x->dtype, D, 1);
    if (!w || !ones) return NULL;
    for (int d = 0; d < D; d++) nt_tensor_set(ones, d, 1.0);
    nt_tensor *wb = nt_matmul(t, ones, w, 0);                        /* (D × D·M) */
    nt_tensor *W = wb ? nt_mul(t, (nt_tensor *)&m->g_mask, wb) : NULL; /* block-diagonal */
    nt_tensor *q = W ? nt_matmul(t, x, W, 0) : NULL;                  /* x_d/σ_dm */
    nt_tensor *mw = nt_mul(t, m->g_mu, w);
    nt_tensor *c = mw ? nt_scale(t, mw, -1.0, 0.0) : NULL;
    q = q && c ? nt_bias(t, q, c, n) : NULL;
    nt_tensor *q2 = mul(t, s, q, q);
    if (!q2) return NULL;
    nt_tensor *r = nt_slice2(t, q2, 0, rows, 0, M);
    for (int d = 1; d < D && r; d++) {
        nt_tensor *sl = nt_slice2(t, q2, 0, rows, d * M, (d + 1) * M);
        r = sl ? nt_add(t, r, sl) : NULL;
    }
    return r ? act(t, s, nt_scale(t, r, -0.5, 0.0), NT_ACT_EXP) : NULL;
}

static nt_tensor *embed(const nt_net *m, nt_tape *t, const nt_jet_spec *s, nt_tensor *x, int64_t n)
{
    if (m->cfg.gaussians > 0) return gauss_embed(m, t, s, x, n);
    nt_tensor *e = x;
    if (m->n_per) {
        nt_tensor *z = nt_linear(t, x, (nt_tensor *)&m->per_A, NULL, n);
        e = act(t, s, z, NT_ACT_COS);
        if (e && m->n_sin) { /* with parity, no sines of the inputs that have one */
            nt_tensor *zs = m->n_sin == m->n_per ? z : nt_linear(t, x, (nt_tensor *)&m->sin_A, NULL, n);
            nt_tensor *sn = act(t, s, zs, NT_ACT_SIN);
            e = sn ? nt_concat(t, e, sn, 1) : NULL;
        }
        if (e && m->n_pass) e = nt_concat(t, e, nt_linear(t, x, (nt_tensor *)&m->pass_P, NULL, n), 1);
    }
    if (e && m->cfg.fourier_features > 0) {
        nt_tensor *z = nt_linear(t, e, (nt_tensor *)&m->ff_B, NULL, n);
        nt_tensor *c = act(t, s, z, NT_ACT_COS), *sn = act(t, s, z, NT_ACT_SIN);
        e = c && sn ? nt_concat(t, c, sn, 1) : NULL;
    }
    return e;
}

/* x·Wᵀ + b on the first n rows; W = exp(s)·1ᵀ ⊙ V with rwf. */
static nt_tensor *dense(nt_tape *t, const nt_net_dense *L, nt_tensor *x, int64_t n)
{
    if (!x) return NULL;
    nt_tensor *W = L->W;
    if (L->s) {
        int64_t in = nt_tensor_cols(W);
        nt_tensor *ones = nt_tensor_new2(t, W->dtype, 1, in);
        if (!ones) return NULL;
        for (int64_t i = 0; i < in; i++) nt_tensor_set(ones, i, 1.0);
        nt_tensor *sc = nt_matmul(t, nt_exp(t, L->s), ones, 0);
        W = sc ? nt_mul(t, W, sc) : NULL;
        if (!W) return NULL;
    }
    return nt_linear(t, x, W, L->b, n);
}

static nt_tensor *mul(nt_tape *t, const nt_jet_spec *s, nt_tensor *a, nt_tensor *b)
{
    if (!a || !b) return NULL;
    return s ? nt_jet_mul(t, s, a, b) : nt_mul(t, a, b);
}

/* PirateNet up to the features X_B that feed the output layer. */
static nt_tensor *pirate_features(const nt_net *m, nt_tape *t, const nt_jet_spec *s, nt_tensor *x, int64_t n)
{
    const nt_net_config *c = &m->cfg;
    const nt_net_dense *L = m->dense;
    nt_tensor *U = act(t, s, dense(t, &L[0], x, n), c->act);
    nt_tensor *V = act(t, s, dense(t, &L[1], x, n), c->act);
    nt_tensor *UV = U && V ? nt_sub(t, U, V) : NULL; /* F⊙U + (1 − F)⊙V = V + F⊙(U − V) */
    nt_tensor *X = UV ? x : NULL;
    for (int b = 0; b < c->depth && X; b++) {
        const nt_net_dense *B = &L[2 + 3 * b];
        nt_tensor *F = act(t, s, dense(t, &B[0], X, n), c->act);
        nt_tensor *g = mul(t, s, F, UV);
        nt_tensor *Z = g ? nt_add(t, V, g) : NULL;
        nt_tensor *G = act(t, s, dense(t, &B[1], Z, n), c->act);
        g = mul(t, s, G, UV);
        Z = g ? nt_add(t, V, g) : NULL;
        nt_tensor *H = act(t, s, dense(t, &B[2], Z, n), c->act);
        nt_tensor *dH = H ? nt_sub(t, H, X) : NULL; /* α·H + (1 − α)·X = X + α·(H − X) */
        nt_tensor *a = dH ? nt_mul(t, m->alpha[b], dH) : NULL;
        X = a ? nt_add(t, X, a) : NULL;
    }
    return X;
}

/* Chebyshev KAN layers; every layer is nt_linear of [T_0(s) .. T_K(s)], s = tanh(x). */
static nt_tensor *kan(const nt_net *m, nt_tape *t, const nt_jet_spec *s, nt_tensor *x, int64_t n)
{
    int K = m->cfg.kan_degree;
    nt_tensor *h = x;
    for (int l = 0; l < m->n_dense && h; l++) {
        int64_t rows = nt_tensor_rows(h), in = nt_tensor_cols(h);
        nt_tensor *T0 = nt_tensor_zeros2(t, h->dtype, rows, in); /* 1 on the value block */
        nt_tensor *sq = act(t, s, h, NT_ACT_TANH);
        if (!T0 || !sq) return NULL;
        for (int64_t i = 0; i < n * in; i++) nt_tensor_set(T0, i, 1.0);
        nt_tensor *feat = nt_concat(t, T0, sq, 1), *prev = T0, *cur = sq;
        for (int k = 2; k <= K && feat; k++) {
            nt_tensor *p = mul(t, s, sq, cur);
            nt_tensor *p2 = p ? nt_scale(t, p, 2.0, 0.0) : NULL;
            nt_tensor *next = p2 ? nt_sub(t, p2, prev) : NULL;
            feat = next ? nt_concat(t, feat, next, 1) : NULL;
            prev = cur;
            cur = next;
        }
        h = feat ? nt_linear(t, feat, m->dense[l].W, NULL, n) : NULL;
    }
    return h;
}

static nt_tensor *trunk(const nt_net *m, nt_tape *t, const nt_jet_spec *s, nt_tensor *x, int64_t n)
{
    const nt_net_config *c = &m->cfg;
    const nt_net_dense *L = m->dense;
    int last = m->n_dense - 1;
    if (c->type == NT_NET_PIRATE) return dense(t, &L[last], pirate_features(m, t, s, x, n), n);
    if (c->type == NT_NET_KAN) return kan(m, t, s, x, n);
    if (c->type == NT_NET_MLP) {
        nt_tensor *h = x;
        for (int l = 0; l < last; l++) h = act(t, s, dense(t, &L[l], h, n), c->act);
        return dense(t, &L[last], h, n);
    }
    nt_tensor *U = act(t, s, dense(t, &L[0], x, n), c->act);
    nt_tensor *V = act(t, s, dense(t, &L[1], x, n), c->act);
    nt_tensor *H = act(t, s, dense(t, &L[2], x, n), c->act);
    nt_tensor *VU = U && V ? nt_sub(t, V, U) : NULL;
    for (int l = 3; l < last && H; l++) {
        nt_tensor *Z = act(t, s, dense(t, &L[l], H, n), c->act);
        nt_tensor *g = mul(t, s, Z, VU);
        H = g ? nt_add(t, U, g) : NULL;
    }
    return dense(t, &L[last], H, n);
}

/* Odd parity: y·Π_d sin(2π·x_d/period[d]) over the odd inputs d, every column of y. */
static nt_tensor *odd_factor(const nt_net *m, nt_tape *t, const nt_jet_spec *s, nt_tensor *x, nt_tensor *y, int64_t n)
{
    if (!y || !m->n_odd) return y;
    nt_tensor *z = nt_linear(t, x, (nt_tensor *)&m->odd_A, NULL, n);
    nt_tensor *sn = act(t, s, z, NT_ACT_SIN);
    if (!sn) return NULL;
    int64_t rows = nt_tensor_rows(sn);
    nt_tensor *f = m->n_odd == 1 ? sn : nt_slice2(t, sn, 0, rows, 0, 1);
    for (int k = 1; k < m->n_odd && f; k++) f = mul(t, s, f, nt_slice2(t, sn, 0, rows, k, k + 1));
    int64_t O = m->cfg.out_dim;
    if (f && O > 1) { /* broadcast the column: f·1ᵀ is linear, so it holds stream by stream */
        nt_tensor *ones = nt_tensor_new2(t, y->dtype, 1, O);
        if (!ones) return NULL;
        for (int64_t i = 0; i < O; i++) nt_tensor_set(ones, i, 1.0);
        f = nt_matmul(t, f, ones, 0);
    }
    return mul(t, s, f, y);
}

nt_tensor *nt_net_forward(const nt_net *m, nt_tape *t, nt_tensor *x)
{
    NT_ASSERT(nt_tensor_cols(x) == m->cfg.in_dim, "network input width");
    int64_t n = nt_tensor_rows(x);
    nt_tensor *e = embed(m, t, NULL, x, n);
    if (!e) return NULL;
    nt_tensor *y = m->plain ? nt_mlp_forward(&m->mlp, t, e) : trunk(m, t, NULL, e, n);
    return odd_factor(m, t, NULL, x, y, n);
}

nt_tensor *nt_net_jet(const nt_net *m, nt_tape *t, const nt_jet_spec *s, nt_tensor *jet)
{
    NT_ASSERT(nt_tensor_cols(jet) == m->cfg.in_dim, "network input width");
    NT_ASSERT(s->terms != NULL, "call nt_jet_spec_build before using a jet spec");
    int64_t n = nt_tensor_rows(jet) / s->n_streams;
    nt_tensor *e = embed(m, t, s, jet, n);
    if (!e) return NULL;
    nt_tensor *y = m->plain ? nt_mlp_jet(&m->mlp, t, s, e) : trunk(m, t, s, e, n);
    return odd_factor(m, t, s, jet, y, n);
}

/* ---------------------------------------------------------------------------- */
/* PirateNet: least-squares output layer                                          */

/* In-place Cholesky A = L·Lᵀ (lower triangle of a P×P row-major matrix); 0 on success. */
static int cholesky(double *A, int64_t P)
{
    for (int64_t j = 0; j < P; j++) {
        double d = A[j * P + j];
        for (int64_t k = 0; k < j; k++) d -= A[j * P + k] * A[j * P + k];
        if (!(d > 0) || !isfinite(d)) return -1;
        d = sqrt(d);
        A[j * P + j] = d;
        for (int64_t i = j + 1; i < P; i++) {
            double v = A[i * P + j];
            for (int64_t k = 0; k < j; k++) v -= A[i * P + k] * A[j * P + k];
            A[i * P + j] = v / d;
        }
    }
    return 0;
}

nt_status nt_net_pirate_fit_output(nt_net *m, nt_tape *t, const double *x, const double *y, int64_t n)
{
    const nt_net_config *c = &m->cfg;
    if (c->type != NT_NET_PIRATE) return nt_set_error(NT_ERR_ARG, "nt_net_pirate_fit_output: the network is not a pirate network");
    if (m->n_odd) return nt_set_error(NT_ERR_ARG, "nt_net_pirate_fit_output: not available with odd parity");
    if (n < 1) return nt_set_error(NT_ERR_ARG, "nt_net_pirate_fit_output: no points");
    int D = c->in_dim, O = c->out_dim;
    for (int64_t i = 0; i < n * D; i++)
        if (!isfinite(x[i])) return nt_set_error(NT_ERR_NUMERIC, "nt_net_pirate_fit_output: non-finite input");
    for (int64_t i = 0; i < n * O; i++)
        if (!isfinite(y[i])) return nt_set_error(NT_ERR_NUMERIC, "nt_net_pirate_fit_output: non-finite target");
    const nt_net_dense *Lo = &m->dense[m->n_dense - 1];
    nt_dtype dt = Lo->W->dtype;
    int ge = t->grad_enabled;
    t->grad_enabled = 0;
    nt_tensor *xt = nt_tensor_from_f64(t, dt, n, D, x);
    nt_tensor *e = xt ? embed(m, t, NULL, xt, n) : NULL;
    nt_tensor *h = e ? pirate_features(m, t, NULL, e, n) : NULL;
    t->grad_enabled = ge;
    if (!h) return NT_ERR_NOMEM;
    int64_t E = nt_tensor_cols(h), P = E + 1;
    double *A = malloc((size_t)(P * P) * sizeof(double)), *G = malloc((size_t)(P * P) * sizeof(double));
    double *B = calloc((size_t)(P * O), sizeof(double)), *f = malloc((size_t)P * sizeof(double));
    nt_status st = NT_OK;
    if (!A || !G || !B || !f) {
        st = nt_set_error(NT_ERR_NOMEM, "out of memory for the output fit");
        goto done;
    }
    /* normal equations G = [X 1]ᵀ[X 1], B = [X 1]ᵀ y (lower triangle of G) */
    memset(G, 0, (size_t)(P * P) * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        for (int64_t k = 0; k < E; k++) f[k] = nt_tensor_get(h, i * E + k);
        f[E] = 1.0;
        for (int64_t a = 0; a < P; a++) {
            if (!isfinite(f[a])) {
                st = nt_set_error(NT_ERR_NUMERIC, "nt_net_pirate_fit_output: non-finite features");
                goto done;
            }
            for (int64_t b = 0; b <= a; b++) G[a * P + b] += f[a] * f[b];
            for (int o = 0; o < O; o++) B[a * O + o] += f[a] * y[i * O + o];
        }
    }
    double tr = 0;
    for (int64_t a = 0; a < P; a++) tr += G[a * P + a];
    double lam = 1e-12 * tr / (double)P;
    int ok = -1;
    for (int tries = 0; tries < 5 && ok; tries++, lam *= 100) {
        memcpy(A, G, (size_t)(P * P) * sizeof(double));
        for (int64_t a = 0; a < P; a++) A[a * P + a] += lam;
        ok = cholesky(A, P);
    }
    if (ok) {
        st = nt_set_error(NT_ERR_NUMERIC, "nt_net_pirate_fit_output: the normal equations are not positive definite");
        goto done;
    }
    /* solve L·Lᵀ·w = B column by column (B overwritten by w) */
    for (int o = 0; o < O; o++) {
        for (int64_t a = 0; a < P; a++) {
            double v = B[a * O + o];
            for (int64_t k = 0; k < a; k++) v -= A[a * P + k] * B[k * O + o];
            B[a * O + o] = v / A[a * P + a];
        }
        for (int64_t a = P - 1; a >= 0; a--) {
            double v = B[a * O + o];
            for (int64_t k = a + 1; k < P; k++) v -= A[k * P + a] * B[k * O + o];
            B[a * O + o] = v / A[a * P + a];
        }
    }
    for (int o = 0; o < O; o++) {
        double sc = Lo->s ? exp(-nt_tensor_get(Lo->s, o)) : 1.0;
        for (int64_t k = 0; k < E; k++) nt_tensor_set(Lo->W, o * E + k, B[k * O + o] * sc);
        nt_tensor_set(Lo->b, o, B[E * O + o]);
    }
done:
    free(A);
    free(G);
    free(B);
    free(f);
    return st;
}

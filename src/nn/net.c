/* net.c — PINN networks: exact periodic embedding, random Fourier features, the
 * modified MLP and random weight factorization, each with a plain forward and a
 * jet (Taylor-mode) forward built from the tape's ops (see noether.h).
 *
 * Jets: the embeddings are cos/sin of a linear map of the input, so their streams
 * are those of nt_jet_act(cos | sin) after an nt_linear without bias (a linear map
 * acts on every derivative block alike). The modified MLP's gate
 * (1 − Z)⊙U + Z⊙V = U + Z⊙(V − U) is a jet product (Leibniz) and sums. A
 * factorized weight diag(exp(s))·V is formed once per forward from the parameters
 * (exp(s)·1ᵀ ⊙ V), so every derivative block sees the same effective W. */
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
    return c;
}

static nt_status check_config(const nt_net_config *c)
{
    if (c->in_dim < 1 || c->in_dim > NT_JET_MAX_DIM)
        return nt_set_error(NT_ERR_ARG, "network in_dim %d out of range (1..%d)", c->in_dim, NT_JET_MAX_DIM);
    if (c->out_dim < 1) return nt_set_error(NT_ERR_ARG, "network out_dim %d must be >= 1", c->out_dim);
    if (c->width < 1) return nt_set_error(NT_ERR_ARG, "network width %d must be >= 1", c->width);
    int dmin = c->type == NT_NET_MODIFIED_MLP ? 2 : 1;
    if (c->depth < dmin || c->depth > NT_NET_MAX_DEPTH)
        return nt_set_error(NT_ERR_ARG, "network depth %d out of range (%d..%d)", c->depth, dmin, NT_NET_MAX_DEPTH);
    if (c->type != NT_NET_MLP && c->type != NT_NET_MODIFIED_MLP)
        return nt_set_error(NT_ERR_ARG, "network type %d unknown", (int)c->type);
    if (c->act <= NT_ACT_IDENTITY || c->act >= NT_ACT_COUNT)
        return nt_set_error(NT_ERR_ARG, "network activation %d out of range", (int)c->act);
    for (int d = 0; d < c->in_dim; d++) {
        if (c->period[d] < 0 || !isfinite(c->period[d]))
            return nt_set_error(NT_ERR_ARG, "period of input %d must be > 0 (0: not periodic)", d);
        if (c->period[d] > 0 && (c->harmonics[d] < 1 || c->harmonics[d] > NT_NET_MAX_HARMONICS))
            return nt_set_error(NT_ERR_ARG, "harmonics of input %d must be in 1..%d", d, NT_NET_MAX_HARMONICS);
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

/* Widths after the periodic embedding and after the whole embedding. */
static void embed_dims(const nt_net_config *c, int *n_per, int *n_pass, int *per_out, int *embed)
{
    int np = 0, ns = 0;
    for (int d = 0; d < c->in_dim; d++) {
        if (c->period[d] > 0) np += c->harmonics[d];
        else ns++;
    }
    *n_per = np;
    *n_pass = ns;
    *per_out = np ? 2 * np + ns : c->in_dim;
    *embed = c->fourier_features > 0 ? 2 * c->fourier_features : *per_out;
}

/* Trunk layer shapes: layer l maps in[l] -> out[l]. */
static int trunk_shapes(const nt_net_config *c, int embed, int *in, int *out)
{
    int n = 0;
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
    int np, ns, po, e, in[NT_NET_MAX_LAYERS], out[NT_NET_MAX_LAYERS];
    embed_dims(cfg, &np, &ns, &po, &e);
    int n = trunk_shapes(cfg, e, in, out);
    int64_t total = 0;
    for (int l = 0; l < n; l++) total += (int64_t)out[l] * (in[l] + 1 + (cfg->rwf ? 1 : 0));
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
    free(m->ff_B.data);
    memset(m, 0, sizeof *m);
}

nt_status nt_net_init(nt_net *m, const nt_net_config *cfg, nt_params *p, nt_rng *rng)
{
    memset(m, 0, sizeof *m);
    nt_status st = check_config(cfg);
    if (st) return st;
    m->cfg = *cfg;
    nt_dtype dt = p->dtype;
    int po;
    embed_dims(cfg, &m->n_per, &m->n_pass, &po, &m->embed_dim);
    int D = cfg->in_dim;
    if (m->n_per) {
        if ((st = fixed_alloc(&m->per_A, dt, m->n_per, D))) goto fail;
        if (m->n_pass && (st = fixed_alloc(&m->pass_P, dt, m->n_pass, D))) goto fail;
        int r = 0, q = 0;
        for (int d = 0; d < D; d++) {
            if (cfg->period[d] > 0) {
                for (int k = 1; k <= cfg->harmonics[d]; k++, r++)
                    nt_tensor_set(&m->per_A, (int64_t)r * D + d, 2.0 * NT_PI * k / cfg->period[d]);
            } else {
                nt_tensor_set(&m->pass_P, (int64_t)q++ * D + d, 1.0);
            }
        }
    }
    if (cfg->fourier_features > 0) {
        if ((st = fixed_alloc(&m->ff_B, dt, cfg->fourier_features, po))) goto fail;
        for (int64_t i = 0; i < m->ff_B.size; i++)
            nt_tensor_set(&m->ff_B, i, 2.0 * NT_PI * cfg->fourier_scale * nt_rng_normal(rng));
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
        snprintf(name, sizeof name, cfg->rwf ? "V%d" : "W%d", l);
        L->W = nt_params_add(p, name, out[l], in[l]);
        if (cfg->rwf) {
            snprintf(name, sizeof name, "s%d", l);
            L->s = nt_params_add(p, name, out[l], 1);
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

static nt_tensor *embed(const nt_net *m, nt_tape *t, const nt_jet_spec *s, nt_tensor *x, int64_t n)
{
    nt_tensor *e = x;
    if (m->n_per) {
        nt_tensor *z = nt_linear(t, x, (nt_tensor *)&m->per_A, NULL, n);
        nt_tensor *c = act(t, s, z, NT_ACT_COS), *sn = act(t, s, z, NT_ACT_SIN);
        e = c && sn ? nt_concat(t, c, sn, 1) : NULL;
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

static nt_tensor *trunk(const nt_net *m, nt_tape *t, const nt_jet_spec *s, nt_tensor *x, int64_t n)
{
    const nt_net_config *c = &m->cfg;
    const nt_net_dense *L = m->dense;
    int last = m->n_dense - 1;
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

nt_tensor *nt_net_forward(const nt_net *m, nt_tape *t, nt_tensor *x)
{
    NT_ASSERT(nt_tensor_cols(x) == m->cfg.in_dim, "network input width");
    int64_t n = nt_tensor_rows(x);
    nt_tensor *e = embed(m, t, NULL, x, n);
    if (!e) return NULL;
    return m->plain ? nt_mlp_forward(&m->mlp, t, e) : trunk(m, t, NULL, e, n);
}

nt_tensor *nt_net_jet(const nt_net *m, nt_tape *t, const nt_jet_spec *s, nt_tensor *jet)
{
    NT_ASSERT(nt_tensor_cols(jet) == m->cfg.in_dim, "network input width");
    NT_ASSERT(s->terms != NULL, "call nt_jet_spec_build before using a jet spec");
    int64_t n = nt_tensor_rows(jet) / s->n_streams;
    nt_tensor *e = embed(m, t, s, jet, n);
    if (!e) return NULL;
    return m->plain ? nt_mlp_jet(&m->mlp, t, s, e) : trunk(m, t, s, e, n);
}

/* mlp.c — multilayer perceptron: plain forward and jet (Taylor-mode) forward. */
#include "ad/ad_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

nt_status nt_mlp_init(nt_mlp *m, const nt_mlp_config *cfg, nt_params *p, nt_rng *rng)
{
    memset(m, 0, sizeof *m);
    if (cfg->in_dim < 1 || cfg->out_dim < 1 || cfg->width < 1 || cfg->depth < 0 ||
        cfg->depth > 62)
        return nt_set_error(NT_ERR_ARG, "MLP shape out of range (in %d, out %d, width %d, depth %d)",
                            cfg->in_dim, cfg->out_dim, cfg->width, cfg->depth);
    m->cfg = *cfg;
    m->n_layers = cfg->depth + 1;
    for (int l = 0; l < m->n_layers; l++) {
        int in = l == 0 ? cfg->in_dim : cfg->width;
        int out = l == m->n_layers - 1 ? cfg->out_dim : cfg->width;
        char name[32];
        snprintf(name, sizeof name, "W%d", l);
        m->W[l] = nt_params_add(p, name, out, in);
        snprintf(name, sizeof name, "b%d", l);
        m->b[l] = nt_params_add(p, name, 1, out);
        if (!m->W[l] || !m->b[l]) return NT_ERR_ARG;
        /* Glorot: Var = 2/(in+out). Biases start at zero. */
        double sd = sqrt(2.0 / (in + out)), lim = sqrt(6.0 / (in + out));
        for (int64_t i = 0; i < m->W[l]->size; i++) {
            double v = cfg->init == NT_INIT_GLOROT_UNIFORM ? (2.0 * nt_rng_uniform(rng) - 1.0) * lim
                                                           : sd * nt_rng_normal(rng);
            nt_tensor_set(m->W[l], i, v);
        }
    }
    return NT_OK;
}

nt_tensor *nt_mlp_forward(const nt_mlp *m, nt_tape *t, nt_tensor *x)
{
    NT_ASSERT(nt_tensor_cols(x) == m->cfg.in_dim, "MLP input width");
    nt_tensor *h = x;
    for (int l = 0; l < m->n_layers && h; l++) {
        h = nt_linear(t, h, m->W[l], m->b[l], nt_tensor_rows(h));
        if (h && l < m->n_layers - 1) h = nt_act_apply(t, h, m->cfg.act, 0);
    }
    return h;
}

nt_tensor *nt_mlp_jet(const nt_mlp *m, nt_tape *t, const nt_jet_spec *s, nt_tensor *jet)
{
    NT_ASSERT(nt_tensor_cols(jet) == m->cfg.in_dim, "MLP input width");
    int64_t n = nt_tensor_rows(jet) / s->n_streams;
    nt_tensor *h = jet;
    for (int l = 0; l < m->n_layers && h; l++) {
        h = nt_linear(t, h, m->W[l], m->b[l], n); /* bias enters the value block only */
        if (h && l < m->n_layers - 1) h = nt_jet_act(t, s, h, m->cfg.act);
    }
    return h;
}

double nt_mlp_jet_flops(const nt_mlp *m, int64_t n, int n_streams)
{
    /* GEMM flops of the jet forward (2·rows·in·out per layer) and the backward
     * (weight gradient for every layer, input gradient for all but the first). */
    double rows = (double)n * n_streams, f = 0;
    for (int l = 0; l < m->n_layers; l++) {
        double in = (double)nt_tensor_cols(m->W[l]), out = (double)nt_tensor_rows(m->W[l]);
        f += 2.0 * rows * in * out * (l == 0 ? 2.0 : 3.0);
    }
    return f;
}

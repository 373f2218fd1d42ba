/* mstage.c — multi-stage training of a PINN (see mstage.h). */
#include "pinn/mstage.h"
#include "pinn/pinn.h"
#include "core/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS_DELTA 1e-4 /* ε probe of the linearization (central difference) */

/* Stage j's network config: stage 1's, with the periods scaled by κ (the periodic
 * embedding sees κ x', so its features stay those of the period) and, from stage 2,
 * the activation of train.multistage if given. */
static nt_net_config stage_cfg(const nt_pinn *m, int j, double kappa)
{
    const nt_problem *p = m->prob;
    nt_net_config c = m->ms->cfg0;
    for (int v = 0; v < NT_JET_MAX_DIM; v++)
        if (c.period[v] > 0) c.period[v] *= kappa;
    if (j > 0 && p->ms_act_set) c.act = p->ms_act;
    return c;
}

/* Stage j's initialization stream: stage 1 is drawn from the seed first thing in
 * nt_pinn_init (so a rebuilt copy has the same fixed tensors, e.g. Fourier B). */
static uint64_t stage_seed(const nt_problem *p, int j)
{
    return j == 0 ? p->seed : p->seed + 0x632be59bd9b4e019ull * (uint64_t)j;
}

/* A network for stage j in (pp, net), randomly initialized from its stream. */
static nt_status make_net(const nt_pinn *m, int j, double kappa, nt_params *pp, nt_net *net)
{
    nt_net_config c = stage_cfg(m, j, kappa);
    nt_rng r;
    nt_rng_init(&r, stage_seed(m->prob, j));
    int64_t np = nt_net_param_count(&c);
    if (np <= 0) return nt_set_error(NT_ERR_ARG, "multistage: invalid network config");
    nt_status st = nt_params_init(pp, NT_F64, np + 64);
    if (st) return st;
    if ((st = nt_net_init(net, &c, pp, &r))) nt_params_free(pp);
    return st;
}

nt_status nt_mstage_init(nt_pinn *m)
{
    const nt_problem *p = m->prob;
    if (p->ms_stages < 2) return NT_OK;
    if (m->dtype != NT_F64)
        return nt_set_error(NT_ERR_ARG, "multistage training needs float64 (its later stages fit residues far below "
                                        "float32's resolution); drop --dtype float32 / use train: {dtype: float64}");
    if (p->env.n_unknowns) return nt_set_error(NT_ERR_ARG, "multistage training does not support unknowns (inverse problems)");
    if (p->ms_stages > NT_MSTAGE_MAX) return nt_set_error(NT_ERR_ARG, "multistage: at most %d stages", NT_MSTAGE_MAX);
    nt_mstage *ms = calloc(1, sizeof *ms);
    if (!ms) return nt_set_error(NT_ERR_NOMEM, "out of memory");
    ms->stages = p->ms_stages;
    ms->cfg0 = m->net.cfg;
    for (int t = 0; t < NT_MSTAGE_MAX_TERMS; t++) ms->tscale[t] = 1;
    for (int j = 0; j < NT_MSTAGE_MAX; j++) {
        ms->eps[j] = ms->kappa[j] = 1;
        ms->res_rms[j] = ms->err[j] = NAN;
    }
    m->ms = ms;
    return NT_OK;
}

static void free_frozen(nt_mstage *ms)
{
    for (int j = 0; j < NT_MSTAGE_MAX; j++)
        if (ms->frozen[j]) {
            nt_net_free(&ms->frozen[j]->net);
            nt_params_free(&ms->frozen[j]->params);
            free(ms->frozen[j]);
            ms->frozen[j] = NULL;
        }
}

void nt_mstage_free(nt_pinn *m)
{
    if (!m->ms) return;
    free_frozen(m->ms);
    free(m->ms);
    m->ms = NULL;
}

/* ε N(κ xn) on the tape (jet with s, values without). */
static nt_tensor *stage_out(nt_tape *t, const nt_net *net, const nt_jet_spec *s, nt_tensor *xn, double eps,
                            double kappa)
{
    nt_tensor *x = kappa == 1 ? xn : nt_scale(t, xn, kappa, 0);
    nt_tensor *y = s ? nt_net_jet(net, t, s, x) : nt_net_forward(net, t, x);
    return eps == 1 || !y ? y : nt_scale(t, y, eps, 0);
}

nt_tensor *nt_mstage_out(nt_pinn *m, const nt_jet_spec *s, nt_tensor *xn, int64_t n)
{
    (void)n;
    nt_mstage *ms = m->ms;
    nt_tape *t = &m->tape;
    nt_tensor *acc = NULL;
    int g = t->grad_enabled;
    t->grad_enabled = 0; /* the frozen stages: values only, nothing on the tape */
    for (int j = 0; j < ms->k; j++) {
        nt_tensor *y = stage_out(t, &ms->frozen[j]->net, s, xn, ms->eps[j], ms->kappa[j]);
        if (!y) {
            t->grad_enabled = g;
            return NULL;
        }
        acc = acc ? nt_add(t, acc, y) : y;
    }
    t->grad_enabled = g;
    nt_tensor *y = stage_out(t, &m->net, s, xn, ms->eps[ms->k], ms->kappa[ms->k]);
    return acc && y ? nt_add(t, acc, y) : y;
}

/* ------------------------------------------------------------------------------ */
/* κ and ε                                                                          */

static double rms(const double *v, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += v[i] * v[i];
    return n > 0 ? sqrt(s / (double)n) : 0;
}

/* Dominant frequency of the PDE residual on a grid of the box (see mstage.h). */
static nt_status residual_kappa(nt_pinn *m, double *kappa)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars, P = p->n_pde;
    int G = D == 1 ? 256 : D == 2 ? 64 : D == 3 ? 16 : 8;
    int64_t N = 1;
    for (int v = 0; v < D; v++) N *= G;
    double *x = malloc((size_t)(N * D) * sizeof(double)), *r = malloc((size_t)(N * P) * sizeof(double));
    double *pw = calloc((size_t)G, sizeof(double)), *line = malloc((size_t)G * sizeof(double));
    nt_status st = x && r && pw && line ? NT_OK : nt_set_error(NT_ERR_NOMEM, "out of memory");
    *kappa = 1;
    if (!st) {
        for (int64_t i = 0; i < N; i++) {
            int64_t q = i;
            for (int v = D - 1; v >= 0; v--) {
                int k = (int)(q % G);
                q /= G;
                x[i * D + v] = p->lo[v] + (p->hi[v] - p->lo[v]) * k / (G - 1);
            }
        }
        nt_pinn_residual_values(m, x, N, r);
        for (int64_t i = 0; i < N && p->has_geom; i++)
            if (!nt_problem_in_domain(p, x + i * D))
                for (int k = 0; k < P; k++) r[i * P + k] = 0;
        for (int v = 0; v < D; v++) {
            if (p->period[v] > 0) continue; /* κ does not act on a periodic embedding */
            int64_t stride = 1;
            for (int u = v + 1; u < D; u++) stride *= G;
            memset(pw, 0, (size_t)G * sizeof(double));
            for (int64_t base = 0; base < N; base++) {
                if ((base / stride) % G) continue; /* one start per line along v */
                for (int k = 0; k < P; k++) {
                    double mean = 0;
                    for (int j = 0; j < G; j++) mean += line[j] = r[(base + j * stride) * P + k];
                    mean /= G;
                    for (int f = 1; f <= G / 2; f++) {
                        double re = 0, im = 0;
                        for (int j = 0; j < G; j++) {
                            double th = 2 * NT_PI * (double)f * (double)j / (double)G;
                            re += (line[j] - mean) * cos(th);
                            im -= (line[j] - mean) * sin(th);
                        }
                        pw[f] += re * re + im * im;
                    }
                }
            }
            int best = 1;
            for (int f = 2; f <= G / 2; f++)
                if (pw[f] > pw[best]) best = f;
            double kv = (double)best * (double)(G - 1) / (double)G;
            if (pw[best] > 0 && kv > *kappa) *kappa = kv;
        }
    }
    free(x);
    free(r);
    free(pw);
    free(line);
    return st;
}

/* Signed PDE residuals at the residual points (n_res × P) into out. */
static void res_at_points(nt_pinn *m, double *out) { nt_pinn_residual_values(m, m->x_res, m->n_res, out); }

int nt_mstage_next(nt_pinn *m, int quiet)
{
    nt_mstage *ms = m->ms;
    const nt_problem *p = m->prob;
    if (!ms) return 0;
    int k = ms->k, P = p->n_pde;
    int64_t n = m->n_res, nr = n * P;
    double *r = malloc((size_t)NT_MAX(nr, 1) * sizeof(double)), *rp = malloc((size_t)NT_MAX(nr, 1) * sizeof(double));
    double *rm = malloc((size_t)NT_MAX(nr, 1) * sizeof(double));
    nt_mstage_net *fz = NULL;
    int ret = -1;
    if (!r || !rp || !rm) {
        nt_set_error(NT_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* stage k's result */
    res_at_points(m, r);
    ms->res_rms[k] = rms(r, nr);
    ms->err[k] = m->n_ref ? nt_pinn_errors(m, NULL) : NAN;
    if (!quiet)
        fprintf(stderr, "multistage: stage %d/%d done: PDE residual RMS %.3e, relative L2 error %.3e\n", k + 1,
                ms->stages, ms->res_rms[k], ms->err[k]);
    if (k + 1 >= ms->stages) {
        ret = 0;
        goto done;
    }
    /* κ of the residue of u_k */
    double kappa = p->ms_kappa;
    if (!(kappa > 0) && residual_kappa(m, &kappa)) goto done;
    /* freeze the current network: a copy in a stable place (the net points into its
     * parameter block), with the same fixed tensors (same init stream) */
    fz = calloc(1, sizeof *fz);
    if (!fz) {
        nt_set_error(NT_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (make_net(m, k, ms->kappa[k], &fz->params, &fz->net)) goto done;
    if (fz->params.n != m->params.n) {
        nt_net_free(&fz->net);
        nt_params_free(&fz->params);
        nt_set_error(NT_ERR_ARG, "multistage: stage %d's parameter count changed", k + 1);
        goto done;
    }
    memcpy(fz->params.data, m->params.data, (size_t)m->params.n * sizeof(double));
    ms->frozen[k] = fz;
    fz = NULL;
    /* the new network */
    nt_net_free(&m->net);
    nt_params_free(&m->params);
    memset(&m->net, 0, sizeof m->net);
    memset(&m->params, 0, sizeof m->params);
    if (make_net(m, k + 1, kappa, &m->params, &m->net)) goto done;
    ms->k = k + 1;
    ms->kappa[k + 1] = kappa;
    /* ε: the residual of the linearized PDE on the new network */
    double eps = p->ms_eps;
    if (!(eps > 0)) {
        ms->eps[k + 1] = MS_DELTA;
        res_at_points(m, rp);
        ms->eps[k + 1] = -MS_DELTA;
        res_at_points(m, rm);
        for (int64_t i = 0; i < nr; i++) rp[i] = (rp[i] - rm[i]) / (2 * MS_DELTA);
        double gain = rms(rp, nr);
        eps = gain > 0 && isfinite(gain) && ms->res_rms[k] > 0 ? ms->res_rms[k] / gain : 1;
    }
    /* the terms' normalization: their values at ε = 0, ±ε */
    double t0[NT_MSTAGE_MAX_TERMS], tp[NT_MSTAGE_MAX_TERMS], raw = 0;
    int T = m->n_terms;
    ms->eps[k + 1] = 0;
    nt_pinn_loss(m, 0);
    memcpy(t0, m->term, (size_t)T * sizeof(double));
    for (int t = 0; t < T; t++) raw += m->term_weight[t] / ms->tscale[t] * t0[t];
    ms->eps[k + 1] = eps;
    nt_pinn_loss(m, 0);
    memcpy(tp, m->term, (size_t)T * sizeof(double));
    ms->eps[k + 1] = -eps;
    nt_pinn_loss(m, 0);
    for (int t = 0; t < T; t++) {
        double q = (tp[t] + m->term[t] - 2 * t0[t]) / 2;
        double f = q > 1e-10 * t0[t] && q > 0 && isfinite(q) ? 1 / q : raw > 0 && isfinite(raw) ? 1 / raw : 1;
        m->term_weight[t] *= f / ms->tscale[t];
        m->term_base[t] *= f / ms->tscale[t];
        ms->tscale[t] = f;
    }
    ms->eps[k + 1] = eps;
    if (!quiet)
        fprintf(stderr, "multistage: stage %d/%d: kappa %.4g, epsilon %.3e, loss of the stages before %.3e\n", k + 2,
                ms->stages, kappa, eps, raw);
    ret = 1;
done:
    if (fz) free(fz);
    free(r);
    free(rp);
    free(rm);
    return ret;
}

/* ------------------------------------------------------------------------------ */
/* Checkpoints                                                                      */

#define MS_HDR (4 + 4 * NT_MSTAGE_MAX + NT_MSTAGE_MAX_TERMS)

nt_status nt_mstage_ckpt_save(const nt_pinn *m, nt_ckpt_writer *w)
{
    const nt_mstage *ms = m->ms;
    if (!ms) return NT_OK;
    double h[MS_HDR];
    h[0] = ms->k;
    h[1] = ms->stages;
    h[2] = 0;
    h[3] = 0;
    for (int t = 0; t < NT_MSTAGE_MAX_TERMS; t++) h[4 + 4 * NT_MSTAGE_MAX + t] = ms->tscale[t];
    for (int j = 0; j < NT_MSTAGE_MAX; j++) {
        h[4 + j] = ms->eps[j];
        h[4 + NT_MSTAGE_MAX + j] = ms->kappa[j];
        h[4 + 2 * NT_MSTAGE_MAX + j] = ms->res_rms[j];
        h[4 + 3 * NT_MSTAGE_MAX + j] = ms->err[j];
    }
    nt_status st = nt_ckpt_add(w, "mstage", h, sizeof h);
    if (st || !ms->k) return st;
    int64_t tot = 0;
    for (int j = 0; j < ms->k; j++) tot += ms->frozen[j]->params.n;
    double *buf = malloc((size_t)tot * sizeof(double));
    if (!buf) return nt_set_error(NT_ERR_NOMEM, "out of memory");
    int64_t o = 0;
    for (int j = 0; j < ms->k; j++) {
        memcpy(buf + o, ms->frozen[j]->params.data, (size_t)ms->frozen[j]->params.n * sizeof(double));
        o += ms->frozen[j]->params.n;
    }
    st = nt_ckpt_add(w, "mstage_params", buf, (size_t)tot * sizeof(double));
    free(buf);
    return st;
}

nt_status nt_mstage_ckpt_load(nt_pinn *m, const nt_ckpt *c, const char *path)
{
    nt_mstage *ms = m->ms;
    if (!ms) return NT_OK;
    size_t bytes = 0;
    const double *h = nt_ckpt_find(c, "mstage", &bytes);
    if (!h || bytes != MS_HDR * sizeof(double))
        return nt_set_error(NT_ERR_FORMAT, "%s: the checkpoint has no multistage state (problem file changed?)", path);
    int k = (int)h[0];
    if (!(h[0] >= 0 && k < ms->stages) || (int)h[1] != ms->stages)
        return nt_set_error(NT_ERR_FORMAT, "%s: the multistage state does not match problem.yaml", path);
    free_frozen(ms);
    ms->k = 0;
    for (int t = 0; t < NT_MSTAGE_MAX_TERMS; t++) ms->tscale[t] = h[4 + 4 * NT_MSTAGE_MAX + t];
    for (int j = 0; j < NT_MSTAGE_MAX; j++) {
        ms->eps[j] = h[4 + j];
        ms->kappa[j] = h[4 + NT_MSTAGE_MAX + j];
        ms->res_rms[j] = h[4 + 2 * NT_MSTAGE_MAX + j];
        ms->err[j] = h[4 + 3 * NT_MSTAGE_MAX + j];
    }
    for (int t = 0; t < m->n_terms; t++) m->term_base[t] *= ms->tscale[t];
    if (!k) return NT_OK;
    const double *pb = nt_ckpt_find(c, "mstage_params", &bytes);
    size_t need = (size_t)k * (size_t)m->params.n * sizeof(double);
    if (!pb || bytes != need)
        return nt_set_error(NT_ERR_FORMAT, "%s: the frozen networks' parameters do not match problem.yaml", path);
    nt_status st;
    for (int j = 0; j < k; j++) {
        nt_mstage_net *fz = calloc(1, sizeof *fz);
        if (!fz) return nt_set_error(NT_ERR_NOMEM, "out of memory");
        if ((st = make_net(m, j, ms->kappa[j], &fz->params, &fz->net))) {
            free(fz);
            return st;
        }
        ms->frozen[j] = fz;
        memcpy(fz->params.data, pb + (size_t)j * (size_t)m->params.n, (size_t)m->params.n * sizeof(double));
    }
    /* the current network (its parameters come from the "params" section) */
    nt_net_free(&m->net);
    nt_params_free(&m->params);
    memset(&m->net, 0, sizeof m->net);
    memset(&m->params, 0, sizeof m->params);
    if ((st = make_net(m, k, ms->kappa[k], &m->params, &m->net))) return st;
    ms->k = k;
    return NT_OK;
}

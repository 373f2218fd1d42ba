/* windows.c — time windows, sequence-to-sequence time marching (see windows.h). */
#include "pinn/windows.h"
#include "pinn/pinn.h"
#include "core/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIN_CHUNK 8192 /* prediction rows gathered per network evaluation */

static size_t param_bytes(const nt_pinn *m) { return (size_t)m->params.n * nt_dtype_size(m->params.dtype); }

/* The parameters of finished window k (k < K), or the set-aside slot (k = K). */
static void *slot(const nt_pinn *m, int k) { return (char *)m->win_params + (size_t)k * param_bytes(m); }

nt_status nt_windows_init(nt_pinn *m)
{
    const nt_problem *p = m->prob;
    int K = p->tw_windows, D = p->env.n_vars, F = p->env.n_fields;
    NT_ASSERT(K >= 2 && p->time_var >= 0, "time windows need K >= 2 and a time variable");
    m->win = 0;
    m->win_params = malloc((size_t)(K + 1) * param_bytes(m));
    m->cond_shift = calloc((size_t)NT_MAX(m->n_cond_pts, 1), sizeof(double));
    m->win_x = malloc((size_t)WIN_CHUNK * (size_t)D * sizeof(double));
    m->win_out = malloc((size_t)WIN_CHUNK * (size_t)F * sizeof(double));
    m->win_idx = malloc((size_t)WIN_CHUNK * sizeof(int64_t));
    if (!m->win_params || !m->cond_shift || !m->win_x || !m->win_out || !m->win_idx) {
        nt_windows_free(m);
        return nt_set_error(NT_ERR_NOMEM, "out of memory for the time windows");
    }
    return NT_OK;
}

void nt_windows_free(nt_pinn *m)
{
    free(m->win_params);
    free(m->cond_shift);
    free(m->win_x);
    free(m->win_out);
    free(m->win_idx);
    m->win_params = NULL;
    m->cond_shift = NULL;
    m->win_x = m->win_out = NULL;
    m->win_idx = NULL;
}

void nt_windows_range(const nt_pinn *m, int k, double *t0, double *t1)
{
    const nt_problem *p = m->prob;
    int tv = p->time_var, K = p->tw_windows;
    double lo = p->lo[tv], span = p->hi[tv] - p->lo[tv];
    *t0 = k == 0 ? lo : lo + span * (double)k / (double)K;
    *t1 = k + 1 >= K ? p->hi[tv] : lo + span * (double)(k + 1) / (double)K;
}

/* The window of time t: k with t_k <= t < t_{k+1} (the last one closed). */
static int window_of(const nt_pinn *m, double t)
{
    const nt_problem *p = m->prob;
    int tv = p->time_var, K = p->tw_windows;
    double span = p->hi[tv] - p->lo[tv], a, b;
    double q = (t - p->lo[tv]) / span * (double)K;
    int k = q >= (double)K ? K - 1 : q > 0 ? (int)q : 0;
    /* settle the rounding of the boundaries by the same formula as nt_windows_range */
    nt_windows_range(m, k, &a, &b);
    if (k > 0 && t < a) k--;
    else if (k + 1 < K && t >= b) k++;
    return k;
}

/* Predicts the gathered rows and scatters them to out. */
static nt_status flush(nt_pinn *m, int64_t cnt, double *out)
{
    int F = m->prob->env.n_fields;
    if (!cnt) return NT_OK;
    nt_status st = nt_pinn_predict_net(m, m->win_x, cnt, m->win_out);
    if (st) return st;
    for (int64_t i = 0; i < cnt; i++)
        for (int f = 0; f < F; f++) out[m->win_idx[i] * F + f] = m->win_out[i * F + f];
    return NT_OK;
}

nt_status nt_windows_predict(nt_pinn *m, const double *x, int64_t n, double *out)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars, tv = p->time_var;
    size_t pb = param_bytes(m);
    void *cur = slot(m, p->tw_windows);
    memcpy(cur, m->params.data, pb);
    nt_status st = NT_OK;
    for (int j = 0; j <= m->win && !st; j++) {
        /* finished windows from their own parameters; the current one and those not
         * trained yet from the current parameters */
        memcpy(m->params.data, j < m->win ? slot(m, j) : cur, pb);
        int64_t cnt = 0;
        for (int64_t i = 0; i < n && !st; i++) {
            int k = window_of(m, x[i * D + tv]);
            if ((k < m->win ? k : m->win) != j) continue;
            memcpy(m->win_x + cnt * D, x + i * D, (size_t)D * sizeof(double));
            m->win_idx[cnt++] = i;
            if (cnt == WIN_CHUNK) {
                st = flush(m, cnt, out);
                cnt = 0;
            }
        }
        if (!st) st = flush(m, cnt, out);
    }
    memcpy(m->params.data, cur, pb);
    return st;
}

int nt_windows_next(nt_pinn *m, int quiet)
{
    const nt_problem *p = m->prob;
    int K = p->tw_windows;
    if (m->win + 1 >= K) return 0;
    memcpy(slot(m, m->win), m->params.data, param_bytes(m));
    if (!quiet) {
        fprintf(stderr, "time window %d/%d done (%s in [%g, %g], loss %.4e)", m->win + 1, K,
                p->env.vars[p->time_var], m->t_lo, m->t_hi, nt_pinn_loss(m, 0));
        if (m->n_ref) {
            nt_pinn_errors(m, NULL);
            for (int f = 0; f < p->env.n_fields; f++)
                if (m->ref_has[f])
                    fprintf(stderr, "; relative L2 of %s over %s <= %g: %.3e", p->env.fields[f], p->env.vars[p->time_var],
                            m->t_hi, nt_pinn_field_error(m, f, m->t_hi));
        }
        fputc('\n', stderr);
    }
    m->win++;
    nt_windows_range(m, m->win, &m->t_lo, &m->t_hi);
    /* the methods restart: the file's term weights, the causal schedule, the gate */
    memcpy(m->term_weight, m->term_base, sizeof m->term_weight);
    m->causal_idx = 0;
    m->causal_frozen = 0;
    m->causal_wmin = NAN;
    m->gate = p->cr3_gamma;
    m->adapt_kept = 0;
    for (int64_t i = 0; i < m->n_res_cap; i++) {
        if (m->caus_w) m->caus_w[i] = 1;
        if (m->pt_w) m->pt_w[i] = 1;
    }
    if (nt_pinn_sample_conditions(m) || nt_pinn_resample(m)) return -1;
    /* the previous window's condition residuals at this window's initial points: its
     * parameters are still the current ones */
    m->cond_capture = 1;
    nt_pinn_loss(m, 0);
    m->cond_capture = 0;
    for (int64_t i = 0; i < m->n_cond_pts; i++)
        if (!isfinite(m->cond_shift[i])) {
            nt_set_error(NT_ERR_NUMERIC, "time window %d: the previous window's solution is not finite at its end", m->win + 1);
            return -1;
        }
    if (!quiet)
        fprintf(stderr, "time window %d/%d: %s in [%g, %g]\n", m->win + 1, K, p->env.vars[p->time_var], m->t_lo, m->t_hi);
    return 1;
}

nt_status nt_windows_ckpt_save(const nt_pinn *m, nt_ckpt_writer *w)
{
    if (m->prob->tw_windows < 2) return NT_OK;
    double h[2] = {m->win, m->t_lo};
    size_t D = (size_t)m->prob->env.n_vars, nc = (size_t)m->n_cond_pts;
    nt_status st = nt_ckpt_add(w, "windows", h, sizeof h);
    if (!st && m->win > 0) st = nt_ckpt_add(w, "windows_params", m->win_params, (size_t)m->win * param_bytes(m));
    if (!st && nc) st = nt_ckpt_add(w, "windows_cond", m->x_cond, nc * D * sizeof(double));
    if (!st && nc) st = nt_ckpt_add(w, "windows_shift", m->cond_shift, nc * sizeof(double));
    return st;
}

nt_status nt_windows_ckpt_load(nt_pinn *m, const nt_ckpt *c, const char *path)
{
    const nt_problem *p = m->prob;
    int K = p->tw_windows;
    if (K < 2) {
        if (nt_ckpt_find(c, "windows", NULL))
            return nt_set_error(NT_ERR_FORMAT, "%s: the checkpoint was trained with time windows; problem.yaml has none", path);
        return NT_OK;
    }
    double h[2];
    nt_status st = nt_ckpt_get(c, path, "windows", h, sizeof h);
    if (st) return st;
    if (!(h[0] >= 0 && h[0] < K && h[0] == floor(h[0])))
        return nt_set_error(NT_ERR_FORMAT, "%s: time window %g does not exist in problem.yaml (%d windows)", path, h[0], K);
    m->win = (int)h[0];
    m->t_lo = h[1];
    size_t D = (size_t)p->env.n_vars, nc = (size_t)m->n_cond_pts;
    if (m->win > 0) st = nt_ckpt_get(c, path, "windows_params", m->win_params, (size_t)m->win * param_bytes(m));
    if (!st && nc) st = nt_ckpt_get(c, path, "windows_cond", m->x_cond, nc * D * sizeof(double));
    if (!st && nc) st = nt_ckpt_get(c, path, "windows_shift", m->cond_shift, nc * sizeof(double));
    return st;
}

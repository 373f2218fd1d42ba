/* windows.c — time windows, sequence-to-sequence time marching (see windows.h). */
#include "pinn/windows.h"
#include "pinn/pinn.h"
#include "core/internal.h"
#include "pinn/expr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIN_CHUNK 8192 /* prediction rows gathered per network evaluation */

static size_t param_bytes(const nt_pinn *m) { return (size_t)m->params.n * nt_dtype_size(m->params.dtype); }

/* The parameters of finished window k (k < K), or the set-aside slot (k = K). */
static void *slot(const nt_pinn *m, int k) { return (char *)m->win_params + (size_t)k * param_bytes(m); }

/* ------------------------------------------------------------------------------ */
/* Hard continuity: u = G_k(x) + s·N(x, t), s = (t − t_k)/(t_{k+1} − t_k)          */

/* G_k's coefficients for field f: a[0..M/2), then b[0..M/2) */
static double *gcoef(const nt_pinn *m, int k, int f)
{
    const nt_problem *p = m->prob;
    return m->win_g + ((size_t)k * (size_t)p->env.n_fields + (size_t)f) * (size_t)p->tw_modes;
}

static double *gscratch(const nt_pinn *m)
{
    const nt_problem *p = m->prob;
    return m->win_g + (size_t)p->tw_windows * (size_t)p->env.n_fields * (size_t)p->tw_modes;
}

/* The M sample points of the space variable at time t (M × D into X). */
static void sample_points(const nt_pinn *m, double t, double *X)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars, M = p->tw_modes, xv = p->tw_space_var;
    for (int j = 0; j < M; j++) {
        for (int v = 0; v < D; v++) X[j * D + v] = 0;
        X[j * D + xv] = p->lo[xv] + p->period[xv] * (double)j / (double)M;
        X[j * D + p->time_var] = t;
    }
}

/* G_k from its samples U (M × F): the discrete Fourier coefficients up to M/2 − 1
 * (the Nyquist mode is left out: its derivatives are not defined by the samples). */
static void fit(nt_pinn *m, int k, const double *U)
{
    const nt_problem *p = m->prob;
    int M = p->tw_modes, H = M / 2, F = p->env.n_fields;
    const double *ct = gscratch(m), *st = ct + M;
    for (int f = 0; f < F; f++) {
        double *a = gcoef(m, k, f), *b = a + H;
        for (int q = 0; q < H; q++) {
            double sa = 0, sb = 0;
            for (int j = 0; j < M; j++) {
                int i = (int)(((int64_t)q * j) % M);
                sa += U[j * F + f] * ct[i];
                sb += U[j * F + f] * st[i];
            }
            a[q] = (q ? 2.0 : 1.0) * sa / M;
            b[q] = q ? 2.0 * sb / M : 0;
        }
        /* coefficients at the rounding level of the largest are noise that the
         * derivatives would amplify by (wq)^r: zero them */
        double big = 0;
        for (int q = 0; q < H; q++) big = fmax(big, fmax(fabs(a[q]), fabs(b[q])));
        for (int q = 1; q < H; q++) {
            if (fabs(a[q]) < 1e-15 * big) a[q] = 0;
            if (fabs(b[q]) < 1e-15 * big) b[q] = 0;
        }
    }
}

/* G_0: the initial conditions' values. Each initial condition must set one field's
 * value, R[u] = u − g (e.g. `u: g`): evaluated with the fields at 0 and at 1. */
static nt_status initial_state(nt_pinn *m)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars, F = p->env.n_fields, M = p->tw_modes;
    /* C: the points with the condition env's normal pseudo-variable (after the domain's) */
    double *C = gscratch(m) + 2 * M, *U = C + (size_t)M * (size_t)(D + 1), *r0 = m->win_out, *r1 = m->win_x;
    NT_ASSERT(M <= WIN_CHUNK, "modes above the prediction chunk");
    int have[NT_EXPR_MAX_FIELDS] = {0}, from[NT_EXPR_MAX_FIELDS] = {0};
    double *tmp = malloc((size_t)M * (size_t)D * sizeof(double)), *fv = calloc((size_t)M * (size_t)F, sizeof(double));
    if (!tmp || !fv) {
        free(tmp);
        free(fv);
        return nt_set_error(NT_ERR_NOMEM, "out of memory for the time windows");
    }
    sample_points(m, p->lo[p->time_var], tmp);
    for (int j = 0; j < M; j++) {
        for (int v = 0; v < D; v++) C[j * (D + 1) + v] = tmp[j * D + v];
        C[j * (D + 1) + D] = 0;
    }
    nt_status st = NT_OK;
    for (int c = 0; c < p->n_cond && !st; c++) {
        const nt_condition *cd = &p->cond[c];
        int initial = 0;
        for (int f = 0; f < cd->n_faces; f++) initial |= nt_pinn_initial_face(m, c, f);
        if (!initial) continue;
        int set = -1, bad = 0;
        const double *cc = cd->residual.n_vars > D ? C : tmp;
        for (int j = 0; j < M * F; j++) fv[j] = 0;
        st = nt_expr_eval(&cd->residual, M, cc, NULL, fv, r0);
        for (int f = 0; f < F && !st && !bad; f++) { /* the residual's coefficient of field f */
            for (int j = 0; j < M; j++) fv[j * F + f] = 1;
            st = nt_expr_eval(&cd->residual, M, cc, NULL, fv, r1);
            for (int j = 0; j < M; j++) fv[j * F + f] = 0;
            double lo = INFINITY, hi = -INFINITY;
            for (int j = 0; j < M && !st; j++) {
                lo = fmin(lo, r1[j] - r0[j]);
                hi = fmax(hi, r1[j] - r0[j]);
            }
            if (st || (lo == 0 && hi == 0)) continue;
            if (!(fabs(lo - 1) < 1e-12 && fabs(hi - 1) < 1e-12) || set >= 0) bad = 1;
            set = f;
        }
        if (st || bad || set < 0) {
            char why[256] = "";
            if (st) snprintf(why, sizeof why, " (%s)", nt_error_msg());
            st = nt_set_error(NT_ERR_ARG, "%s:%d:%d: continuity: hard needs each initial condition to set one field's "
                                          "value, as in `u: g`; %s does not%s", p->path, cd->line, cd->col, cd->label, why);
            break;
        }
        if (have[set]++) {
            st = nt_set_error(NT_ERR_ARG, "%s:%d:%d: continuity: hard: %s has two initial conditions", p->path, cd->line,
                              cd->col, p->env.fields[set]);
            break;
        }
        from[set] = c;
        for (int j = 0; j < M; j++) U[j * F + set] = -r0[j];
    }
    for (int f = 0; f < F && !st; f++)
        if (!have[f])
            st = nt_set_error(NT_ERR_ARG, "%s: continuity: hard needs an initial value for every field; %s has none (add "
                                          "{where: initial, %s: ...})", p->path, p->env.fields[f], p->env.fields[f]);
    free(tmp);
    free(fv);
    if (st) return st;
    for (int j = 0; j < M * F && !st; j++)
        if (!isfinite(U[j])) st = nt_set_error(NT_ERR_NUMERIC, "continuity: hard: the initial condition is not finite");
    /* a declared parity must hold for the initial values (the samples x_j = lo + P·j/M
     * mirror about the interval's centre as j <-> M − j) */
    int xv = p->tw_space_var, par = p->parity[xv];
    for (int f = 0; f < F && !st && par; f++) {
        double worst = 0, scale = 0;
        for (int j = 0; j < M; j++) {
            double a = U[j * F + f], b = U[((M - j) % M) * F + f];
            worst = fmax(worst, fabs(b - par * a));
            scale = fmax(scale, fabs(a));
        }
        if (worst > 1e-10 * scale + 1e-300) {
            const nt_condition *cd = &p->cond[from[f]];
            st = nt_set_error(NT_ERR_ARG, "%s:%d:%d: the initial value of %s is not %s in %s about the interval's centre, "
                                          "as the model's `parity: %s` requires (it is off by up to %.3g)",
                              p->path, cd->line, cd->col, p->env.fields[f], par < 0 ? "odd" : "even", p->env.vars[xv],
                              par < 0 ? "odd" : "even", worst);
        }
    }
    if (!st) fit(m, 0, U);
    return st;
}

/* G_{k+1} from window k's solution at its end; the parameters are window k's. */
static nt_status next_state(nt_pinn *m, int k)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars, M = p->tw_modes;
    double *X = gscratch(m) + 2 * M, *U = X + (size_t)M * (size_t)(D + 1), t0, t1;
    nt_windows_range(m, k, &t0, &t1);
    sample_points(m, t1, X);
    m->win_geval = k;
    nt_status st = nt_pinn_predict_net(m, X, M, U);
    m->win_geval = -1;
    for (int j = 0; j < M * p->env.n_fields && !st; j++)
        if (!isfinite(U[j])) st = nt_set_error(NT_ERR_NUMERIC, "time window %d: the solution is not finite at its end", k + 1);
    if (!st) fit(m, k + 1, U);
    return st;
}

int nt_windows_eval(const nt_pinn *m) { return m->win_geval >= 0 ? m->win_geval : m->win; }

nt_tensor *nt_windows_hard_apply(nt_pinn *m, const nt_jet_spec *s, nt_tensor *xjet, nt_tensor *net, int64_t n)
{
    if (!net || !xjet) return NULL;
    const nt_problem *p = m->prob;
    nt_tape *t = &m->tape;
    int k = nt_windows_eval(m);
    int D = p->env.n_vars, F = p->env.n_fields, S = s ? s->n_streams : 1, K = s ? s->max_order : 0;
    int xv = p->tw_space_var, tv = p->time_var, H = p->tw_modes / 2;
    int64_t N = (int64_t)S * n;
    NT_ASSERT(nt_tensor_rows(net) == N && nt_tensor_cols(net) == F, "hard continuity: output jet shape");
    NT_ASSERT(K <= NT_JET_MAX_ORDER, "hard continuity: jet order");
    double t0, t1;
    nt_windows_range(m, k, &t0, &t1);
    double inv = 1 / (t1 - t0), w = 2 * NT_PI / p->period[xv];
    double *xs = nt_arena_alloc(&t->arena, (size_t)N * sizeof(double));
    double *dv = nt_arena_alloc(&t->arena, (size_t)(K + 1) * (size_t)n * sizeof(double));
    double *gc = nt_arena_alloc(&t->arena, (size_t)N * sizeof(double));
    double *g = nt_arena_alloc(&t->arena, (size_t)N * (size_t)F * sizeof(double));
    double *sj = nt_arena_alloc(&t->arena, (size_t)N * (size_t)F * sizeof(double));
    if (!xs || !dv || !gc || !g || !sj) return NULL;
    NT_DISPATCH(xjet->dtype, T, {
        const T *X = xjet->data;
        for (int64_t i = 0; i < N; i++) {
            xs[i] = (double)X[i * D + xv];
            double v = (double)X[i * D + tv] * inv - (i < n ? t0 * inv : 0);
            for (int f = 0; f < F; f++) sj[i * F + f] = v;
        }
    });
    for (int f = 0; f < F; f++) {
        const double *a = gcoef(m, k, f), *b = a + H;
        int Hf = H; /* past the last nonzero mode, the terms are exact zeros */
        while (Hf > 1 && a[Hf - 1] == 0 && b[Hf - 1] == 0) Hf--;
        for (int64_t i = 0; i < n; i++) {
            /* Σ_q a_q cos(qθ) + b_q sin(qθ), θ = w (x − lo), and its x-derivatives:
             * the r-th is Σ (wq)^r P_r with P_0 = a c + b s, P_1 = b c − a s, P_{r+2} = −P_r */
            double th = w * (xs[i] - p->lo[xv]), c1 = cos(th), s1 = sin(th), c = 1, sn = 0;
            double acc[NT_JET_MAX_ORDER + 1] = {0};
            acc[0] = a[0];
            for (int q = 1; q < Hf; q++) {
                double cn = c * c1 - sn * s1;
                sn = sn * c1 + c * s1;
                c = cn;
                double P0 = a[q] * c + b[q] * sn, P1 = b[q] * c - a[q] * sn, wq = w * q, pw = 1;
                for (int r = 0; r <= K; r++) {
                    double P = (r & 1) ? P1 : P0;
                    acc[r] += ((r & 2) ? -pw : pw) * P;
                    pw *= wq;
                }
            }
            for (int r = 0; r <= K; r++) dv[(size_t)r * (size_t)n + (size_t)i] = acc[r];
        }
        nt_cjet_compose(s, n, xs, dv, gc);
        for (int64_t i = 0; i < N; i++) g[i * F + f] = gc[i];
    }
    nt_tensor *G = nt_tensor_from_f64(t, net->dtype, N, F, g), *Sj = nt_tensor_from_f64(t, net->dtype, N, F, sj);
    if (!G || !Sj) return NULL;
    nt_tensor *prod = s ? nt_jet_mul(t, s, Sj, net) : nt_mul(t, Sj, net);
    return prod ? nt_add(t, G, prod) : NULL;
}

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
    m->win_geval = -1;
    if (p->tw_hard) {
        int M = p->tw_modes;
        /* coefficients, then the cos/sin tables, the sample points and values */
        m->win_g = malloc(((size_t)K * (size_t)F * (size_t)M + 2 * (size_t)M + (size_t)M * (size_t)(D + 1 + F)) * sizeof(double));
        if (!m->win_g) {
            nt_windows_free(m);
            return nt_set_error(NT_ERR_NOMEM, "out of memory for the time windows");
        }
        double *ct = m->win_g + (size_t)K * (size_t)F * (size_t)M, *st = ct + M;
        for (int i = 0; i < M; i++) {
            ct[i] = cos(2 * NT_PI * (double)i / (double)M);
            st[i] = sin(2 * NT_PI * (double)i / (double)M);
        }
        nt_status s = initial_state(m);
        if (s) {
            nt_windows_free(m);
            return s;
        }
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
    free(m->win_g);
    m->win_g = NULL;
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
        m->win_geval = j;
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
    m->win_geval = -1;
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
    if (m->win_g && next_state(m, m->win)) return -1;
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
    m->win_geval = m->win - 1; /* hard continuity: the previous window's own solution */
    nt_pinn_loss(m, 0);
    m->win_geval = -1;
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
    if (!st && m->win_g && m->win > 0) { /* hard continuity: G_1..G_win from the finished windows */
        size_t pb = param_bytes(m);
        void *cur = slot(m, K);
        memcpy(cur, m->params.data, pb);
        for (int k = 0; k < m->win && !st; k++) {
            memcpy(m->params.data, slot(m, k), pb);
            st = next_state(m, k);
        }
        memcpy(m->params.data, cur, pb);
    }
    return st;
}

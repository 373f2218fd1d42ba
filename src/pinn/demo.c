/* demo.c — built-in Burgers / Kuramoto–Sivashinsky PINNs (see demo.h).
 *
 * One loss evaluation: the jet forward of the MLP on the collocation points gives
 * u, u_t, u_x, u_xx (and u_xxxx for KS) in one pass; the residual, the initial
 * and boundary misfits are mean squares; one reverse pass yields the gradient. */
#include "pinn/demo.h"
#include "core/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nt_demo_config nt_demo_config_default(nt_demo_pde pde)
{
    nt_demo_config c;
    memset(&c, 0, sizeof c);
    c.pde = pde;
    c.dtype = NT_F64;
    c.width = 20;
    c.depth = 8;
    c.act = NT_ACT_TANH;
    c.n_res = 10000;
    c.n_ic = 128;
    c.n_bc = 128;
    c.nu = 0.01 / NT_PI;
    c.seed = 1234;
    c.chunk = 2048;
    return c;
}

/* Latin hypercube sample of n points in [0,1] × [−1,1]. */
static void lhs(nt_rng *r, int64_t n, double *out)
{
    int64_t *perm = malloc((size_t)n * sizeof *perm);
    NT_ASSERT(perm != NULL, "out of memory");
    for (int dim = 0; dim < 2; dim++) {
        for (int64_t i = 0; i < n; i++) perm[i] = i;
        for (int64_t i = n - 1; i > 0; i--) {
            int64_t j = (int64_t)(nt_rng_uniform(r) * (double)(i + 1));
            int64_t tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        for (int64_t i = 0; i < n; i++) {
            double u = ((double)perm[i] + nt_rng_uniform(r)) / (double)n;
            out[i * 2 + dim] = dim == 0 ? u : 2 * u - 1;
        }
    }
    free(perm);
}

nt_status nt_demo_init(nt_demo *d, const nt_demo_config *cfg)
{
    memset(d, 0, sizeof *d);
    d->cfg = *cfg;
    if (cfg->n_res < 1 || cfg->n_ic < 1 || cfg->n_bc < 2)
        return nt_set_error(NT_ERR_ARG, "demo needs at least 1 residual, 1 initial and 2 boundary points");
    nt_rng rng;
    nt_rng_init(&rng, cfg->seed);
    int64_t np = (int64_t)cfg->width * (cfg->width + 1) * (cfg->depth + 1) + 16 * cfg->width + 64;
    nt_status st = nt_params_init(&d->params, cfg->dtype, np);
    if (st) return st;
    nt_mlp_config mc = {2, 1, cfg->width, cfg->depth, cfg->act, NT_INIT_GLOROT_NORMAL};
    if ((st = nt_mlp_init(&d->mlp, &mc, &d->params, &rng))) goto fail;
    nt_jet_spec_init(&d->spec, 2);
    d->s_t = nt_jet_spec_add_named(&d->spec, "tx", "t");
    d->s_x = nt_jet_spec_add_named(&d->spec, "tx", "x");
    d->s_xx = nt_jet_spec_add_named(&d->spec, "tx", "xx");
    d->s_xxxx = cfg->pde == NT_DEMO_KS ? nt_jet_spec_add_named(&d->spec, "tx", "xxxx") : -1;
    if ((st = nt_jet_spec_build(&d->spec))) goto fail;
    if ((st = nt_tape_init(&d->tape, 0))) goto fail;
    int64_t nc = cfg->n_ic + cfg->n_bc;
    d->x_res = malloc((size_t)cfg->n_res * 2 * sizeof(double));
    d->x_cond = malloc((size_t)nc * 2 * sizeof(double));
    d->u_cond = malloc((size_t)nc * sizeof(double));
    if (!d->x_res || !d->x_cond || !d->u_cond) {
        st = nt_set_error(NT_ERR_NOMEM, "out of memory for demo points");
        goto fail;
    }
    lhs(&rng, cfg->n_res, d->x_res);
    for (int64_t i = 0; i < cfg->n_ic; i++) {
        double x = -1 + 2 * nt_rng_uniform(&rng);
        d->x_cond[2 * i] = 0;
        d->x_cond[2 * i + 1] = x;
        d->u_cond[i] = -sin(NT_PI * x);
    }
    for (int64_t i = 0; i < cfg->n_bc; i++) {
        int64_t k = cfg->n_ic + i;
        d->x_cond[2 * k] = nt_rng_uniform(&rng);
        d->x_cond[2 * k + 1] = i < cfg->n_bc / 2 ? -1.0 : 1.0;
        d->u_cond[k] = 0;
    }
    return NT_OK;
fail:
    nt_demo_free(d);
    return st;
}

void nt_demo_free(nt_demo *d)
{
    nt_tape_free(&d->tape);
    nt_jet_spec_free(&d->spec);
    nt_params_free(&d->params);
    free(d->x_res);
    free(d->x_cond);
    free(d->u_cond);
    free(d->ref_tx);
    free(d->ref_u);
    free(d->ref_pred);
    memset(d, 0, sizeof *d);
}

/* (t, x) -> (2t − 1, x) on the first `value_rows` rows' values; derivative blocks
 * of a jet are scaled by the same diagonal and get no offset. */
static nt_tensor *normalize(nt_demo *d, nt_tensor *x, int64_t value_rows)
{
    nt_tape *t = &d->tape;
    static const double W[4] = {2, 0, 0, 1}, b[2] = {-1, 0};
    nt_tensor *Wt = nt_tensor_from_f64(t, d->cfg.dtype, 2, 2, W);
    nt_tensor *bt = nt_tensor_from_f64(t, d->cfg.dtype, 1, 2, b);
    return nt_linear(t, x, Wt, bt, value_rows);
}

/* The residual term of one chunk of collocation points [i0, i0 + m): returns
 * mean(r²) over the chunk as a tape node. */
static nt_tensor *residual_chunk(nt_demo *d, int64_t i0, int64_t m)
{
    nt_tape *t = &d->tape;
    /* the inputs are mapped to [−1, 1]² first (t' = 2t − 1), a linear layer with
     * constant weights, so the jet carries dt'/dt = 2 exactly */
    nt_tensor *x = nt_tensor_from_f64(t, d->cfg.dtype, m, 2, d->x_res + 2 * i0);
    nt_tensor *j = nt_jet_input(t, &d->spec, x);
    j = nt_mlp_jet(&d->mlp, t, &d->spec, normalize(d, j, m));
    NT_ASSERT(j != NULL, nt_error_msg());
    nt_tensor *u = nt_jet_get(t, &d->spec, j, 0, 0);
    nt_tensor *ut = nt_jet_get(t, &d->spec, j, d->s_t, 0);
    nt_tensor *ux = nt_jet_get(t, &d->spec, j, d->s_x, 0);
    nt_tensor *uxx = nt_jet_get(t, &d->spec, j, d->s_xx, 0);
    nt_tensor *r = nt_add(t, ut, nt_mul(t, u, ux));
    if (d->cfg.pde == NT_DEMO_BURGERS) {
        r = nt_sub(t, r, nt_scale(t, uxx, d->cfg.nu, 0));
    } else {
        nt_tensor *u4 = nt_jet_get(t, &d->spec, j, d->s_xxxx, 0);
        r = nt_add(t, r, nt_add(t, uxx, u4));
    }
    return nt_mean_sq(t, r);
}

/* The collocation points are processed in chunks: each chunk's forward and
 * reverse pass reuse the same arena memory, which stays in cache, and the
 * parameter gradients accumulate across chunks. The result equals the
 * unchunked loss mean(r²) + mean(e_ic²) + mean(e_bc²). */
double nt_demo_loss(nt_demo *d, int want_grad)
{
    nt_tape *t = &d->tape;
    nt_dtype dt = d->cfg.dtype;
    int64_t n = d->cfg.n_res, nic = d->cfg.n_ic, nbc = d->cfg.n_bc;
    int64_t chunk = d->cfg.chunk > 0 ? d->cfg.chunk : n;
    if (want_grad) nt_params_zero_grad(&d->params);
    double loss = 0;
    d->loss_res = 0;
    for (int64_t i0 = 0; i0 < n; i0 += chunk) {
        int64_t m = NT_MIN(chunk, n - i0);
        nt_tape_reset(t);
        t->grad_enabled = want_grad;
        nt_tensor *l_res = residual_chunk(d, i0, m);
        nt_tensor *l = nt_scale(t, l_res, (double)m / (double)n, 0);
        d->loss_res += (double)m / (double)n * nt_tensor_get(l_res, 0);
        if (i0 == 0) {
            /* initial and boundary conditions, one plain forward */
            nt_tensor *xc = nt_tensor_from_f64(t, dt, nic + nbc, 2, d->x_cond);
            nt_tensor *uc = nt_tensor_from_f64(t, dt, nic + nbc, 1, d->u_cond);
            nt_tensor *e = nt_sub(t, nt_mlp_forward(&d->mlp, t, normalize(d, xc, nic + nbc)), uc);
            nt_tensor *l_ic = nt_mean_sq(t, nt_slice(t, e, 0, 0, nic));
            nt_tensor *l_bc = nt_mean_sq(t, nt_slice(t, e, 0, nic, nic + nbc));
            l = nt_add(t, l, nt_add(t, l_ic, l_bc));
            NT_ASSERT(l != NULL, nt_error_msg());
            d->loss_ic = nt_tensor_get(l_ic, 0);
            d->loss_bc = nt_tensor_get(l_bc, 0);
            loss += d->loss_ic + d->loss_bc;
        }
        if (want_grad) {
            nt_status st = nt_tape_backward(t, l);
            NT_ASSERT(st == NT_OK, nt_error_msg());
        }
    }
    t->grad_enabled = 1;
    return loss + d->loss_res;
}

nt_status nt_demo_predict(nt_demo *d, const double *tx, int64_t n, double *out)
{
    nt_tape *t = &d->tape;
    const int64_t chunk = 8192;
    for (int64_t i0 = 0; i0 < n; i0 += chunk) {
        int64_t m = NT_MIN(chunk, n - i0);
        nt_tape_reset(t);
        t->grad_enabled = 0;
        nt_tensor *x = nt_tensor_from_f64(t, d->cfg.dtype, m, 2, tx + 2 * i0);
        nt_tensor *u = x ? nt_mlp_forward(&d->mlp, t, normalize(d, x, m)) : NULL;
        t->grad_enabled = 1;
        if (!u) return NT_ERR_NOMEM;
        for (int64_t i = 0; i < m; i++) out[i0 + i] = nt_tensor_get(u, i);
    }
    return NT_OK;
}

static double lbfgs_objective(void *user, nt_params *p)
{
    (void)p;
    return nt_demo_loss(user, 1);
}

static int finite(double v) { return v == v && v - v == 0; }

/* Ends a progress line with the reference error when a reference is loaded
 * (its evaluation is not counted in the training time). */
static void log_error(nt_demo *d, nt_demo_train_result *res, double *t0)
{
    if (d->n_ref) {
        double now = nt_time_now();
        double e = nt_demo_ref_error(d);
        fprintf(stderr, "  rel L2 %.3e", e);
        if (e <= 1e-3 && !(res->time_to_1e3 >= 0)) res->time_to_1e3 = now - *t0;
        *t0 += nt_time_now() - now; /* the evaluation is not training time */
    }
    fputc('\n', stderr);
}

nt_status nt_demo_train(nt_demo *d, const nt_demo_train_config *tc, nt_demo_train_result *res)
{
    memset(res, 0, sizeof *res);
    res->time_to_1e3 = NAN;
    res->final_error = NAN;
    double t0 = nt_time_now();
    nt_status st = NT_OK;
    double loss = 0;
    if (tc->adam_steps > 0) {
        nt_adam opt;
        nt_adam_config ac = nt_adam_config_default(tc->adam_lr);
        if (tc->adam_decay > 0 && tc->adam_decay != 1) {
            ac.sched.kind = NT_SCHED_EXP;
            ac.sched.rate = tc->adam_decay;
            ac.sched.decay_steps = 1000;
        }
        if ((st = nt_adam_init(&opt, &d->params, &ac))) return st;
        for (int64_t s = 0; s < tc->adam_steps; s++) {
            loss = nt_demo_loss(d, 1);
            res->evals++;
            if (!finite(loss)) {
                nt_adam_free(&opt);
                return nt_set_error(NT_ERR_NUMERIC, "loss became %g at Adam step %lld", loss, (long long)s);
            }
            double lr = nt_adam_step(&opt);
            res->adam_steps = s + 1;
            if (tc->log_every && (s % tc->log_every == 0)) {
                fprintf(stderr, "adam %6lld  loss %.4e  (res %.3e ic %.3e bc %.3e)  lr %.2e  %.1fs",
                        (long long)s, loss, d->loss_res, d->loss_ic, d->loss_bc, lr, nt_time_now() - t0);
                log_error(d, res, &t0);
            }
            if (tc->time_limit_s > 0 && nt_time_now() - t0 > tc->time_limit_s) break;
        }
        nt_adam_free(&opt);
    }
    if (tc->lbfgs_iters > 0) {
        nt_lbfgs opt;
        nt_lbfgs_config lc = nt_lbfgs_config_default(d->cfg.dtype);
        if ((st = nt_lbfgs_init(&opt, &d->params, &lc))) return st;
        for (int64_t k = 0; k < tc->lbfgs_iters; k++) {
            nt_lbfgs_state ls = nt_lbfgs_step(&opt, lbfgs_objective, d);
            res->lbfgs_iters = k + 1;
            res->lbfgs_state = ls;
            loss = opt.f;
            if (tc->log_every && (k % tc->log_every == 0)) {
                fprintf(stderr, "lbfgs %6lld  loss %.4e  (res %.3e ic %.3e bc %.3e)  evals %lld  %.1fs",
                        (long long)k, loss, d->loss_res, d->loss_ic, d->loss_bc,
                        (long long)opt.n_evals, nt_time_now() - t0);
                log_error(d, res, &t0);
            }
            if (ls != NT_LBFGS_RUNNING) break;
            if (tc->time_limit_s > 0 && nt_time_now() - t0 > tc->time_limit_s) break;
        }
        res->evals += opt.n_evals;
        if (opt.state == NT_LBFGS_NONFINITE)
            st = nt_set_error(NT_ERR_NUMERIC, "L-BFGS stopped on a non-finite loss");
        nt_lbfgs_free(&opt);
    }
    res->final_loss = loss;
    res->wall_s = nt_time_now() - t0;
    if (d->n_ref) res->final_error = nt_demo_ref_error(d);
    return st;
}

nt_status nt_demo_load_reference(nt_demo *d, const char *path)
{
    nt_csv c;
    nt_status st = nt_csv_read(&c, path);
    if (st) return st;
    int ct = nt_csv_col(&c, "t"), cx = nt_csv_col(&c, "x"), cu = nt_csv_col(&c, "u");
    if (ct < 0 || cx < 0 || cu < 0) {
        nt_csv_free(&c);
        return nt_set_error(NT_ERR_FORMAT, "%s:1:1: expected columns t, x, u", path);
    }
    free(d->ref_tx);
    free(d->ref_u);
    free(d->ref_pred);
    d->ref_tx = malloc((size_t)c.rows * 2 * sizeof(double));
    d->ref_u = malloc((size_t)c.rows * sizeof(double));
    d->ref_pred = malloc((size_t)c.rows * sizeof(double));
    if (!d->ref_tx || !d->ref_u || !d->ref_pred) {
        nt_csv_free(&c);
        return nt_set_error(NT_ERR_NOMEM, "out of memory for the reference");
    }
    for (int64_t i = 0; i < c.rows; i++) {
        d->ref_tx[2 * i] = c.data[i * c.ncols + ct];
        d->ref_tx[2 * i + 1] = c.data[i * c.ncols + cx];
        d->ref_u[i] = c.data[i * c.ncols + cu];
    }
    d->n_ref = c.rows;
    nt_csv_free(&c);
    return NT_OK;
}

double nt_demo_ref_error(nt_demo *d)
{
    if (!d->n_ref || nt_demo_predict(d, d->ref_tx, d->n_ref, d->ref_pred)) return NAN;
    double num = 0, den = 0;
    for (int64_t i = 0; i < d->n_ref; i++) {
        double e = d->ref_pred[i] - d->ref_u[i];
        num += e * e;
        den += d->ref_u[i] * d->ref_u[i];
    }
    return sqrt(num / den);
}

nt_status nt_demo_eval_csv(nt_demo *d, const char *path, double *rel_l2)
{
    nt_status st = nt_demo_load_reference(d, path);
    if (st) return st;
    *rel_l2 = nt_demo_ref_error(d);
    return NT_OK;
}

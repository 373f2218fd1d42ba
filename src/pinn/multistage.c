/* multistage.c — multi-stage neural networks in float64 (see multistage.h). */
#include "pinn/multistage.h"
#include "core/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

nt_ms_config nt_ms_config_default(void)
{
    nt_ms_config c;
    memset(&c, 0, sizeof c);
    c.max_stages = 4;
    c.target = 1e-12;
    c.width = 20;
    c.depth = 3;
    c.adam_steps = 2000;
    c.lr = 1e-3;
    c.lbfgs_iters = 5000;
    c.bc_weight = 1;
    c.seed = 1;
    return c;
}

/* What one stage trains on: the scaled inputs and the normalized targets. */
typedef struct stage_obj {
    nt_ms_stage *st;
    nt_tape *tape;
    const nt_jet_spec *spec; /* Poisson: value and second derivative */
    int s_xx;
    int64_t n;
    const double *xs;        /* n scaled inputs κ s(x) */
    const double *target;    /* regression: residue / ε; Poisson: rhs / (ε c) */
    double xs_bc[2], bc[2];  /* Poisson: scaled boundary inputs and normalized values */
    double bc_weight;
    int poisson;
} stage_obj;

static double stage_loss(void *user, nt_params *p)
{
    stage_obj *o = user;
    nt_tape *t = o->tape;
    nt_tape_reset(t);
    nt_params_zero_grad(p);
    nt_tensor *x = nt_tensor_from_f64(t, NT_F64, o->n, 1, o->xs);
    nt_tensor *tg = nt_tensor_from_f64(t, NT_F64, o->n, 1, o->target);
    nt_tensor *loss;
    if (!o->poisson) {
        loss = nt_mean_sq(t, nt_sub(t, nt_mlp_forward(&o->st->mlp, t, x), tg));
    } else {
        nt_tensor *jet = nt_mlp_jet(&o->st->mlp, t, o->spec, nt_jet_input(t, o->spec, x));
        nt_tensor *d2 = nt_jet_get(t, o->spec, jet, o->s_xx, 0);
        /* −u_k'' = R  <=>  N'' + R/(ε c) = 0 */
        loss = nt_mean_sq(t, nt_add(t, d2, tg));
        nt_tensor *xb = nt_tensor_from_f64(t, NT_F64, 2, 1, o->xs_bc);
        nt_tensor *vb = nt_tensor_from_f64(t, NT_F64, 2, 1, o->bc);
        nt_tensor *lb = nt_mean_sq(t, nt_sub(t, nt_mlp_forward(&o->st->mlp, t, xb), vb));
        loss = nt_add(t, loss, nt_scale(t, lb, o->bc_weight, 0));
    }
    if (nt_tape_backward(t, loss)) return NAN;
    return nt_tensor_get(loss, 0);
}

static nt_status train_stage(stage_obj *o, const nt_ms_config *c)
{
    nt_params *p = &o->st->params;
    nt_adam adam;
    nt_adam_config ac = nt_adam_config_default(c->lr);
    nt_status st = nt_adam_init(&adam, p, &ac);
    if (st) return st;
    for (int k = 0; k < c->adam_steps; k++) {
        double l = stage_loss(o, p);
        if (!isfinite(l)) {
            nt_adam_free(&adam);
            return nt_set_error(NT_ERR_NUMERIC, "multi-stage: non-finite loss in Adam step %d", k);
        }
        nt_adam_step(&adam);
    }
    nt_adam_free(&adam);
    nt_lbfgs lb;
    nt_lbfgs_config lc = nt_lbfgs_config_default(NT_F64);
    lc.tol_grad = 0;
    lc.tol_change = 0; /* run until the line search can no longer decrease the loss */
    if ((st = nt_lbfgs_init(&lb, p, &lc))) return st;
    for (int k = 0; k < c->lbfgs_iters; k++)
        if (nt_lbfgs_step(&lb, stage_loss, o) != NT_LBFGS_RUNNING) break;
    o->st->loss = lb.f;
    /* leave p->data at the best point (L-BFGS keeps it there) */
    nt_lbfgs_free(&lb);
    return NT_OK;
}

static double s_of(const nt_multistage *m, double x) { return 2 * (x - m->a) / (m->b - m->a) - 1; }

/* Dominant mode of v on n uniform points (cycles over the interval), by a direct
 * DFT over the modes 1..n/2 (n is small). */
static double dominant_mode(const double *v, int64_t n)
{
    double best = 0;
    int64_t kbest = 1;
    for (int64_t k = 1; k <= n / 2; k++) {
        double re = 0, im = 0;
        for (int64_t j = 0; j < n; j++) {
            double th = 2 * NT_PI * (double)k * (double)j / (double)n;
            re += v[j] * cos(th);
            im -= v[j] * sin(th);
        }
        double a = re * re + im * im;
        if (a > best) best = a, kbest = k;
    }
    return (double)kbest;
}

static double rms(const double *v, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += v[i] * v[i];
    return sqrt(s / (double)NT_MAX(n, 1));
}

/* Sets up stage k's network: input scale from the residue's dominant mode, tanh
 * for the first stage and sin after it (Wang & Lai). */
static nt_status stage_init(nt_multistage *m, int k, double kappa, nt_rng *rng)
{
    nt_ms_stage *s = &m->st[k];
    memset(s, 0, sizeof *s);
    s->kappa = kappa;
    s->act = k == 0 ? NT_ACT_TANH : NT_ACT_SIN;
    nt_mlp_config mc = {1, 1, m->cfg.width, m->cfg.depth, s->act, NT_INIT_GLOROT_NORMAL};
    int64_t np = (int64_t)(1 + m->cfg.width) * m->cfg.width * (m->cfg.depth + 1) + 4 * m->cfg.width + 8;
    nt_status st = nt_params_init(&s->params, NT_F64, np);
    if (st) return st;
    return nt_mlp_init(&s->mlp, &mc, &s->params, rng);
}

nt_status nt_ms_eval(const nt_multistage *m, int stages, int64_t n, const double *x, double *u, double *d2)
{
    NT_ASSERT(m && x && u, "nt_ms_eval: NULL argument");
    if (stages < 0 || stages > m->n_stages) stages = m->n_stages;
    nt_tape t;
    nt_status st = nt_tape_init(&t, 0);
    if (st) return st;
    nt_jet_spec spec;
    nt_jet_spec_init(&spec, 1);
    int sxx = nt_jet_spec_add_named(&spec, "x", "xx");
    if (sxx < 0 || (st = nt_jet_spec_build(&spec))) {
        nt_jet_spec_free(&spec);
        nt_tape_free(&t);
        return st ? st : nt_set_error(NT_ERR_ARG, "jet spec");
    }
    double *xs = malloc((size_t)NT_MAX(n, 1) * sizeof(double));
    if (!xs) {
        nt_jet_spec_free(&spec);
        nt_tape_free(&t);
        return nt_set_error(NT_ERR_NOMEM, "out of memory");
    }
    for (int64_t i = 0; i < n; i++) u[i] = 0;
    if (d2)
        for (int64_t i = 0; i < n; i++) d2[i] = 0;
    for (int k = 0; k < stages; k++) {
        const nt_ms_stage *s = &m->st[k];
        double c = pow(2 * s->kappa / (m->b - m->a), 2);
        for (int64_t i = 0; i < n; i++) xs[i] = s->kappa * s_of(m, x[i]);
        nt_tape_reset(&t);
        nt_tensor *xt = nt_tensor_from_f64(&t, NT_F64, n, 1, xs);
        nt_tensor *jet = nt_mlp_jet(&s->mlp, &t, &spec, nt_jet_input(&t, &spec, xt));
        for (int64_t i = 0; i < n; i++) {
            u[i] += s->eps * nt_tensor_get(jet, i);
            if (d2) d2[i] += s->eps * c * nt_tensor_get(jet, sxx * n + i);
        }
    }
    free(xs);
    nt_jet_spec_free(&spec);
    nt_tape_free(&t);
    return NT_OK;
}

static nt_status check(const nt_ms_config *c, int64_t n, double a, double b)
{
    if (!c || c->max_stages < 1 || c->max_stages > NT_MS_MAX_STAGES || c->width < 1 || c->depth < 1 || c->adam_steps < 0 ||
        c->lbfgs_iters < 0 || !(c->lr > 0))
        return nt_set_error(NT_ERR_ARG, "multi-stage: bad config");
    if (n < 8 || !(b > a)) return nt_set_error(NT_ERR_ARG, "multi-stage: need at least 8 points on an interval b > a");
    return NT_OK;
}

/* The common driver: `poisson` selects the problem. For regression y holds the
 * samples; for Poisson f holds f(x_i) and ua, ub the boundary values. */
static nt_status run(nt_multistage *m, const nt_ms_config *c, int64_t n, const double *x, const double *y, int poisson,
                     double ua, double ub)
{
    memset(m, 0, sizeof *m);
    m->cfg = *c;
    m->a = x[0];
    m->b = x[n - 1];
    nt_status st = NT_OK;
    nt_rng rng;
    nt_rng_init(&rng, c->seed);
    nt_tape tape;
    if ((st = nt_tape_init(&tape, 0))) return st;
    nt_jet_spec spec;
    nt_jet_spec_init(&spec, 1);
    int sxx = nt_jet_spec_add_named(&spec, "x", "xx");
    double *r = malloc((size_t)n * sizeof(double)), *xs = malloc((size_t)n * sizeof(double));
    double *tg = malloc((size_t)n * sizeof(double)), *u = malloc((size_t)n * sizeof(double));
    double *d2 = malloc((size_t)n * sizeof(double));
    if (sxx < 0 || (st = nt_jet_spec_build(&spec))) {
        st = st ? st : nt_set_error(NT_ERR_ARG, "jet spec");
        goto done;
    }
    if (!r || !xs || !tg || !u || !d2) {
        st = nt_set_error(NT_ERR_NOMEM, "out of memory");
        goto done;
    }
    double scale = rms(y, n); /* regression: RMS target; Poisson: RMS f */
    if (!(scale > 0)) scale = 1;
    for (int k = 0; k < c->max_stages; k++) {
        /* the residue of stages < k */
        if ((st = nt_ms_eval(m, k, n, x, u, d2))) goto done;
        for (int64_t i = 0; i < n; i++) r[i] = poisson ? y[i] + d2[i] : y[i] - u[i];
        double rr = rms(r, n);
        if (k > 0) {
            m->residue[k - 1] = rr / scale;
            if (rr / scale < c->target) break;
        }
        /* κ: the residue oscillates k times over [−1, 1] in s; κ s makes that O(1) */
        double kappa = k == 0 ? 1 : fmax(1, dominant_mode(r, n) * (double)(n - 1) / (double)n);
        if ((st = stage_init(m, k, kappa, &rng))) goto done;
        m->n_stages = k + 1;
        nt_ms_stage *s = &m->st[k];
        double cc = pow(2 * kappa / (m->b - m->a), 2);
        stage_obj o;
        memset(&o, 0, sizeof o);
        o.st = s;
        o.tape = &tape;
        o.spec = &spec;
        o.s_xx = sxx;
        o.n = n;
        o.xs = xs;
        o.target = tg;
        o.poisson = poisson;
        o.bc_weight = c->bc_weight;
        for (int64_t i = 0; i < n; i++) xs[i] = kappa * s_of(m, x[i]);
        if (!poisson) {
            s->eps = rr > 0 ? rr : 1;
            for (int64_t i = 0; i < n; i++) tg[i] = r[i] / s->eps;
        } else {
            /* −u_k'' ≈ R: u_k ~ R / c in size */
            s->eps = rr > 0 ? rr / cc : 1;
            for (int64_t i = 0; i < n; i++) tg[i] = r[i] / (s->eps * cc);
            o.xs_bc[0] = -kappa;
            o.xs_bc[1] = kappa;
            o.bc[0] = (ua - u[0]) / s->eps;
            o.bc[1] = (ub - u[n - 1]) / s->eps;
        }
        if ((st = train_stage(&o, c))) goto done;
    }
    if (m->n_stages == c->max_stages) { /* the residue after the last stage */
        if ((st = nt_ms_eval(m, -1, n, x, u, d2))) goto done;
        for (int64_t i = 0; i < n; i++) r[i] = poisson ? y[i] + d2[i] : y[i] - u[i];
        m->residue[m->n_stages - 1] = rms(r, n) / scale;
    }
done:
    free(r);
    free(xs);
    free(tg);
    free(u);
    free(d2);
    nt_jet_spec_free(&spec);
    nt_tape_free(&tape);
    return st;
}

nt_status nt_ms_fit(nt_multistage *m, const nt_ms_config *c, int64_t n, const double *x, const double *y)
{
    NT_ASSERT(m && x && y, "nt_ms_fit: NULL argument");
    nt_status st = check(c, n, x[0], x[n > 0 ? n - 1 : 0]);
    if (st) return st;
    return run(m, c, n, x, y, 0, 0, 0);
}

nt_status nt_ms_poisson(nt_multistage *m, const nt_ms_config *c, double a, double b, int64_t n, nt_ms_fn f, void *user,
                        double ua, double ub)
{
    NT_ASSERT(m && f, "nt_ms_poisson: NULL argument");
    nt_status st = check(c, n, a, b);
    if (st) return st;
    double *x = malloc((size_t)n * sizeof(double)), *fv = malloc((size_t)n * sizeof(double));
    if (!x || !fv) {
        free(x);
        free(fv);
        return nt_set_error(NT_ERR_NOMEM, "out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        x[i] = a + (b - a) * (double)i / (double)(n - 1);
        fv[i] = f(x[i], user);
    }
    st = run(m, c, n, x, fv, 1, ua, ub);
    free(x);
    free(fv);
    return st;
}

void nt_ms_free(nt_multistage *m)
{
    if (!m) return;
    for (int k = 0; k < NT_MS_MAX_STAGES; k++) nt_params_free(&m->st[k].params);
    m->n_stages = 0;
}

/* lbfgs.c — limited-memory BFGS with a strong-Wolfe line search.
 *
 * The optimizer works on the flat parameter block of an nt_params. Its own state
 * (the saved point x0 and gradient g0, the direction, the (s, y) history) is kept in
 * double for both dtypes; a trial point x0 + t·d is rounded to the dtype when it is
 * written into p->data, and every s and y is formed from the rounded values, so the
 * curvature pairs describe the points that were actually evaluated.
 *
 * One iteration:
 *   1. d = −H·g0 by the two-loop recursion with H0 = γI, γ = sᵀy / yᵀy of the newest
 *      pair. If d is not a finite descent direction the history is dropped and
 *      d = −g0.
 *   2. A line search along d (Nocedal & Wright, Algorithms 3.5 and 3.6): a bracketing
 *      phase that extrapolates with safeguarded cubic steps, then a zoom that
 *      interpolates with safeguarded cubics. A trial whose f or gradient is not
 *      finite counts as "too long a step" and shrinks the interval (by bisection,
 *      since such a point carries no usable slope). The first trial is t = 1, or
 *      t = min(1, 1/‖g0‖₁) when there is no history.
 *   3. If the search finds no point below f0 while history was in use, the history
 *      is dropped and the search is repeated along −g0. If that fails too, x0/g0 are
 *      written back to p and the state becomes NT_LBFGS_LINE_SEARCH_FAILED.
 *   4. The accepted point is the one that met the strong Wolfe conditions or, when
 *      the budget ran out or the interval shrank below the dtype's resolution, the
 *      lowest finite f seen (always < f0). The pair (s, y) is stored only if
 *      sᵀy > ε·yᵀy (ε the dtype's machine epsilon) and both are finite.
 *   5. When the point left in p (accepted or restored) is not the one the objective
 *      saw last, it is evaluated once more, so that side results of the objective
 *      (component losses, caches) match p->data when nt_lbfgs_step returns.
 *
 * Dense modes (cfg.update != NT_QN_LBFGS) keep the inverse Hessian H as an n×n matrix
 * instead of the history: d = −H·g0, the same line search, and after each accepted
 * step (when sᵀy > ε·yᵀy) the self-scaled Broyden-family update
 *     H ← (H − H·y·yᵀ·H / yᵀHy + φ·yᵀHy·v·vᵀ) / τ + s·sᵀ / sᵀy,
 *     v = s / sᵀy − H·y / yᵀHy,
 * with, for b = −t·sᵀg0 / sᵀy (= sᵀBs / sᵀy for B = H⁻¹), h = yᵀHy / sᵀy, a = b·h − 1:
 *   BFGS:      φ = 1, τ = 1, and H = (sᵀy / yᵀy)·I before the first update
 *              (Nocedal & Wright eq. 6.20);
 *   SSBFGS:    φ = 1, τ = min(1, 1/b) (Al-Baali);
 *   SSBroyden: θ = max(θ⁻, min(θ⁺, (1 − b)/b)), θ⁻ = (ρ⁻ − 1)/a, θ⁺ = 1/ρ⁻,
 *              ρ⁻ = min(1, h·(1 − √(a/(1 + a)))), σ = 1 + θ·a, φ = (1 − θ)/σ,
 *              τ = min(ρ̃·σ^(1/(1−n)), σ) if θ ≤ 0, else ρ̃·min(σ^(1/(1−n)), 1/θ),
 *              ρ̃ = min(1, 1/b) (Urbán, Stefanou & Pons 2025, eqs. 13–23; with a ≈ 0
 *              it is SSBFGS).
 * H starts as I, survives nt_lbfgs_restart (new sample points) and is reset to I when
 * its direction is not a descent direction or the update leaves a non-positive or
 * non-finite diagonal.
 *
 * Nothing is allocated after nt_lbfgs_init. */
#include "core/internal.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* tol_change for float32 is 1e-12 rather than 1e-9: with the max(1, |f|) floor the
 * test is absolute for f < 1, and 1e-9 stopped float32 fits with small losses (1e-6
 * and below) far above their float32 noise floor. Float32 runs that do reach the
 * noise floor end through the line search (no decrease at this precision) or the
 * tiny-step test instead. */
nt_lbfgs_config nt_lbfgs_config_default(nt_dtype dt)
{
    nt_lbfgs_config c;
    c.update = NT_QN_LBFGS;
    c.history = 50;
    c.max_ls = 25;
    c.c1 = 1e-4;
    c.c2 = 0.9;
    c.tol_grad = dt == NT_F32 ? 1e-6 : 1e-9;
    c.tol_change = dt == NT_F32 ? 1e-12 : 1e-15;
    return c;
}

void nt_lbfgs_free(nt_lbfgs *o)
{
    if (!o) return;
    free(o->s);
    free(o->y);
    free(o->rho);
    free(o->alpha);
    free(o->d);
    free(o->g);
    free(o->x0);
    free(o->g0);
    free(o->H);
    free(o->hy);
    memset(o, 0, sizeof *o);
}

const char *nt_qn_update_name(nt_qn_update u)
{
    static const char *names[] = {"lbfgs", "bfgs", "ssbfgs", "ssbroyden"};
    return (unsigned)u < sizeof names / sizeof names[0] ? names[u] : "?";
}

static int dense(const nt_lbfgs *o) { return o->cfg.update != NT_QN_LBFGS; }

/* H = I. */
static void dense_identity(nt_lbfgs *o)
{
    const size_t n = (size_t)o->n;
    memset(o->H, 0, n * n * sizeof(double));
    for (size_t i = 0; i < n; i++) o->H[i * n + i] = 1.0;
}

nt_status nt_lbfgs_init(nt_lbfgs *o, nt_params *p, const nt_lbfgs_config *cfg)
{
    NT_ASSERT(o != NULL, "nt_lbfgs_init: NULL optimizer");
    memset(o, 0, sizeof *o);
    NT_ASSERT(p != NULL, "nt_lbfgs_init: NULL parameters");
    NT_ASSERT(p->n > 0 && p->data && p->grad, "nt_lbfgs_init: empty parameter block");
    nt_lbfgs_config c = cfg ? *cfg : nt_lbfgs_config_default(p->dtype);
    NT_ASSERT(c.history >= 1, "L-BFGS history must be at least 1");
    NT_ASSERT(c.max_ls >= 1, "L-BFGS max_ls must be at least 1");
    NT_ASSERT(c.c1 > 0 && c.c1 < c.c2 && c.c2 < 1, "Wolfe constants need 0 < c1 < c2 < 1");
    NT_ASSERT(c.tol_grad >= 0 && c.tol_change >= 0, "L-BFGS tolerances must be >= 0");
    NT_ASSERT((unsigned)c.update <= NT_QN_SSBROYDEN, "unknown quasi-Newton update");
    if (c.update != NT_QN_LBFGS) {
        if (p->n > NT_QN_DENSE_MAX)
            return nt_set_error(NT_ERR_ARG,
                                "%s keeps a dense inverse Hessian: %lld parameters would need %.1f GB "
                                "(at most %d parameters); use lbfgs or a smaller network",
                                nt_qn_update_name(c.update), (long long)p->n,
                                (double)p->n * (double)p->n * 8e-9, NT_QN_DENSE_MAX);
        c.history = 1;  /* s and y of the latest step are all the update needs */
    }

    const size_t n = (size_t)p->n, m = (size_t)c.history;
    if (n > SIZE_MAX / sizeof(double) / m)
        return nt_set_error(NT_ERR_NOMEM, "L-BFGS history of %zu x %zu doubles is too large", m,
                            n);
    o->s = malloc(n * m * sizeof(double));
    o->y = malloc(n * m * sizeof(double));
    o->rho = malloc(m * sizeof(double));
    o->alpha = malloc(m * sizeof(double));
    o->d = malloc(n * sizeof(double));
    o->g = malloc(n * sizeof(double));
    o->x0 = malloc(n * sizeof(double));
    o->g0 = malloc(n * sizeof(double));
    if (c.update != NT_QN_LBFGS) {
        o->H = malloc(n * n * sizeof(double));
        o->hy = malloc(n * sizeof(double));
    }
    if (!o->s || !o->y || !o->rho || !o->alpha || !o->d || !o->g || !o->x0 || !o->g0 ||
        (c.update != NT_QN_LBFGS && (!o->H || !o->hy))) {
        nt_lbfgs_free(o);
        return nt_set_error(NT_ERR_NOMEM, "out of memory for the %s state (n = %zu)",
                            nt_qn_update_name(c.update), n);
    }
    o->cfg = c;
    o->p = p;
    o->n = p->n;
    if (o->H) dense_identity(o);
    o->state = NT_LBFGS_RUNNING;
    o->f = NAN;  /* unknown until the first step evaluates the start point */
    return NT_OK;
}

/* ---------------------------------------------------------------------------- */
/* Vector helpers                                                                 */

static double dtype_eps(nt_dtype dt) { return dt == NT_F32 ? (double)FLT_EPSILON : DBL_EPSILON; }

static double dot(const double *a, const double *b, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* dst[i] = src[i] (dtype -> double); returns 1 when every value is finite. */
static int load_vec(nt_dtype dt, const void *src, double *dst, int64_t n)
{
    int finite = 1;
    NT_DISPATCH(dt, T, {
        const T *v = src;
        for (int64_t i = 0; i < n; i++) {
            dst[i] = (double)v[i];
            if (!isfinite(dst[i])) finite = 0;
        }
    });
    return finite;
}

/* dst[i] = src[i] (double -> dtype); exact when src came from the dtype. */
static void store_vec(nt_dtype dt, void *dst, const double *src, int64_t n)
{
    NT_DISPATCH(dt, T, {
        T *v = dst;
        for (int64_t i = 0; i < n; i++) v[i] = (T)src[i];
    });
}

/* Writes the trial point x0 + t·d, rounded to the dtype, into p->data. Returns 1 when
 * it differs in some coordinate from the rounded point x0 + tref·d; *finite is 0 when
 * a coordinate is not finite (overflow in the dtype). */
static int write_trial(nt_lbfgs *o, double t, double tref, int *finite)
{
    const int64_t n = o->n;
    const double *x0 = o->x0, *d = o->d;
    int changed = 0, fin = 1;
    NT_DISPATCH(o->p->dtype, T, {
        T *x = o->p->data;
        for (int64_t i = 0; i < n; i++) {
            T v = (T)(x0[i] + t * d[i]);
            T r = (T)(x0[i] + tref * d[i]);
            x[i] = v;
            if (v != r) changed = 1;
            if (!isfinite(v)) fin = 0;
        }
    });
    *finite = fin;
    return changed;
}

/* dᵀ·p->grad; NaN/Inf when the gradient has a non-finite entry. */
static double grad_dot_d(const nt_lbfgs *o)
{
    const int64_t n = o->n;
    const double *d = o->d;
    double s = 0;
    int fin = 1;
    NT_DISPATCH(o->p->dtype, T, {
        const T *g = o->p->grad;
        for (int64_t i = 0; i < n; i++) {
            double gi = (double)g[i];
            if (!isfinite(gi)) fin = 0;
            s += gi * d[i];
        }
    });
    return fin ? s : NAN;
}

static double max_abs(const double *v, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = NT_MAX(m, fabs(v[i]));
    return m;
}

/* ---------------------------------------------------------------------------- */
/* Direction                                                                      */

static void reset_history(nt_lbfgs *o)
{
    o->k = 0;
    o->head = 0;
    if (dense(o)) dense_identity(o);
}

/* d = −g0; returns dᵀg0. */
static double steepest(nt_lbfgs *o)
{
    for (int64_t i = 0; i < o->n; i++) o->d[i] = -o->g0[i];
    return -dot(o->g0, o->g0, o->n);
}

/* out = H·v for the dense H (symmetric, full storage). */
static void dense_matvec(const nt_lbfgs *o, const double *v, double *out, double sign)
{
    const int64_t n = o->n;
    const double *H = o->H;
    _Pragma("omp parallel for schedule(static) if (n >= 512)")
    for (int64_t i = 0; i < n; i++) {
        const double *row = H + (size_t)i * (size_t)n;
        double acc = 0;
        for (int64_t j = 0; j < n; j++) acc += row[j] * v[j];
        out[i] = sign * acc;
    }
}

/* d = −H·g0 by the two-loop recursion (or the dense product); returns dᵀg0. */
static double lbfgs_direction(nt_lbfgs *o)
{
    const int64_t n = o->n;
    const int m = o->cfg.history;
    double *d = o->d;
    if (o->k == 0) return steepest(o);
    if (dense(o)) {
        dense_matvec(o, o->g0, d, -1.0);
        return dot(d, o->g0, n);
    }
    for (int64_t i = 0; i < n; i++) d[i] = -o->g0[i];
    for (int j = 0; j < o->k; j++) {  /* newest to oldest */
        int idx = (o->head - 1 - j + m) % m;
        const double *s = o->s + (size_t)idx * (size_t)n, *y = o->y + (size_t)idx * (size_t)n;
        double a = o->rho[idx] * dot(s, d, n);
        o->alpha[idx] = a;
        for (int64_t i = 0; i < n; i++) d[i] -= a * y[i];
    }
    int newest = (o->head - 1 + m) % m;
    const double *yn = o->y + (size_t)newest * (size_t)n;
    double gamma = 1.0 / (o->rho[newest] * dot(yn, yn, n));
    for (int64_t i = 0; i < n; i++) d[i] *= gamma;
    for (int j = o->k - 1; j >= 0; j--) {  /* oldest to newest */
        int idx = (o->head - 1 - j + m) % m;
        const double *s = o->s + (size_t)idx * (size_t)n, *y = o->y + (size_t)idx * (size_t)n;
        double b = o->rho[idx] * dot(y, d, n);
        double c = o->alpha[idx] - b;
        for (int64_t i = 0; i < n; i++) d[i] += c * s[i];
    }
    return dot(d, o->g0, n);
}

/* ---------------------------------------------------------------------------- */
/* Line search                                                                    */

/* Minimizer of the cubic through (t1, f1, f1') and (t2, f2, f2') (Nocedal & Wright
 * eq. 3.59), clamped to [lo, hi]; `fallback` (then clamped) when the cubic has no
 * finite local minimizer. */
static double cubic_min(double t1, double f1, double g1, double t2, double f2, double g2,
                        double lo, double hi, double fallback)
{
    double t = fallback;
    double d1 = g1 + g2 - 3.0 * (f1 - f2) / (t1 - t2);
    double disc = d1 * d1 - g1 * g2;
    if (isfinite(disc) && disc >= 0) {
        double d2 = sqrt(disc);
        if (t2 < t1) d2 = -d2;
        double c = t2 - (t2 - t1) * (g2 + d2 - d1) / (g2 - g1 + 2.0 * d2);
        if (isfinite(c)) t = c;
    }
    if (!(t >= lo)) t = lo;  /* also catches a NaN fallback */
    if (t > hi) t = hi;
    return t;
}

typedef struct ls_point {
    double t, f, gtd;
    int ok;  /* f and the gradient are finite */
} ls_point;

enum { LS_FAIL = 0, LS_CURRENT, LS_BEST };

typedef struct ls_ctx {
    nt_lbfgs *o;
    nt_objective_fn fn;
    void *user;
    double f0, gtd0;
    int evals;
    double t_best, f_best;  /* lowest finite f seen; its gradient is in o->g */
} ls_ctx;

/* Evaluates f and the gradient at the point already written into p->data. */
static ls_point ls_eval(ls_ctx *c, double t, int finite_x)
{
    nt_lbfgs *o = c->o;
    ls_point r = {t, INFINITY, NAN, 0};
    c->evals++;
    if (!finite_x) return r;  /* x itself overflowed: too long, no need to evaluate */
    r.f = c->fn(c->user, o->p);
    o->n_evals++;
    r.gtd = grad_dot_d(o);
    r.ok = isfinite(r.f) && isfinite(r.gtd);
    if (r.ok && r.f < c->f_best) {
        c->f_best = r.f;
        c->t_best = t;
        load_vec(o->p->dtype, o->p->grad, o->g, o->n);
    }
    return r;
}

/* The result when the search ends without a Wolfe point: the best point if it lowers f. */
static int ls_best(const ls_ctx *c, double *t_out, double *f_out)
{
    if (c->t_best > 0 && c->f_best < c->f0) {
        *t_out = c->t_best;
        *f_out = c->f_best;
        return LS_BEST;
    }
    return LS_FAIL;
}

/* Strong-Wolfe line search from x0 along d with first trial t. On LS_CURRENT, p holds
 * the accepted point and its gradient; on LS_BEST the accepted point is *t_out with
 * gradient o->g (p must be rewritten); on LS_FAIL nothing lowered f. */
static int line_search(nt_lbfgs *o, nt_objective_fn fn, void *user, double t, double gtd0,
                       double *t_out, double *f_out)
{
    const double c1 = o->cfg.c1, c2 = o->cfg.c2;
    const int max_ls = o->cfg.max_ls;
    ls_ctx c = {o, fn, user, o->f, gtd0, 0, 0.0, o->f};
    ls_point prev = {0.0, o->f, gtd0, 1}, cur, lo, hi;
    int bracketed = 0, noop = 0, fin;

    /* Bracketing phase (Algorithm 3.5). */
    while (c.evals < max_ls) {
        if (!write_trial(o, t, prev.t, &fin)) {
            /* The step does not change the rounded point: it is below the dtype's
             * resolution, so grow it without spending an evaluation. */
            if (++noop > 64 || !isfinite(t * 10.0)) break;
            t *= 10.0;
            continue;
        }
        cur = ls_eval(&c, t, fin);
        if (!cur.ok || cur.f > c.f0 + c1 * t * gtd0 || (c.evals > 1 && cur.f >= prev.f)) {
            lo = prev;
            hi = cur;
            bracketed = 1;
            break;
        }
        if (fabs(cur.gtd) <= -c2 * gtd0) {
            *t_out = t;
            *f_out = cur.f;
            return LS_CURRENT;
        }
        if (cur.gtd >= 0) {
            lo = cur;
            hi = prev;
            bracketed = 1;
            break;
        }
        /* Still descending with sufficient decrease: extrapolate. */
        double tn = cubic_min(prev.t, prev.f, prev.gtd, t, cur.f, cur.gtd,
                              t + 0.01 * (t - prev.t), 10.0 * t, 10.0 * t);
        prev = cur;
        t = tn;
    }
    if (!bracketed) return ls_best(&c, t_out, f_out);

    /* Zoom (Algorithm 3.6): lo has the lowest f among the points meeting the
     * sufficient-decrease condition, and the slope at lo points towards hi. */
    while (c.evals < max_ls) {
        double a = NT_MIN(lo.t, hi.t), b = NT_MAX(lo.t, hi.t), w = b - a;
        double tt;
        if (hi.ok)
            tt = cubic_min(lo.t, lo.f, lo.gtd, hi.t, hi.f, hi.gtd, a + 0.1 * w, b - 0.1 * w,
                           0.5 * (a + b));
        else
            tt = 0.5 * (lo.t + hi.t);  /* a non-finite end carries no slope: bisect */
        if (!write_trial(o, tt, lo.t, &fin)) break;  /* interval below the resolution */
        cur = ls_eval(&c, tt, fin);
        if (!cur.ok || cur.f > c.f0 + c1 * tt * gtd0 || cur.f >= lo.f) {
            hi = cur;
        } else {
            if (fabs(cur.gtd) <= -c2 * gtd0) {
                *t_out = tt;
                *f_out = cur.f;
                return LS_CURRENT;
            }
            if (cur.gtd * (hi.t - lo.t) >= 0) hi = lo;
            lo = cur;
        }
    }
    return ls_best(&c, t_out, f_out);
}

/* ---------------------------------------------------------------------------- */
/* Dense update                                                                   */

/* The Broyden-family update of H from s = o->s, y = o->y (sᵀy = ys > 0) after a step
 * of length t along d from x0 with gradient g0 (o->g0 must still be the old one).
 * Returns 1, or 0 when H was reset to I instead. */
static int dense_update(nt_lbfgs *o, double t, double ys)
{
    const int64_t n = o->n;
    const double *s = o->s, *y = o->y;
    double *H = o->H, *hy = o->hy;
    const double rho = 1.0 / ys;
    if (o->cfg.update == NT_QN_BFGS && o->k == 0) { /* first update: H = I becomes (sᵀy / yᵀy)·I */
        double sc = ys / dot(y, y, n);
        for (int64_t i = 0; i < n; i++) H[(size_t)i * (size_t)n + (size_t)i] = sc;
    }
    dense_matvec(o, y, hy, 1.0);
    double yhy = dot(y, hy, n);
    if (!(yhy > 0) || !isfinite(yhy)) {
        dense_identity(o);
        return 0;
    }
    double phi = 1.0, tau = 1.0;
    if (o->cfg.update != NT_QN_BFGS) {
        double b = -t * dot(s, o->g0, n) * rho, h = yhy * rho;
        double rt = b > 1.0 ? 1.0 / b : 1.0;  /* ρ̃ = min(1, 1/b) */
        tau = rt;                             /* SSBFGS, and SSBroyden with a ≈ 0 */
        double a = b * h - 1.0;
        if (o->cfg.update == NT_QN_SSBROYDEN && a > 1e-12 && isfinite(a)) {
            double rm = NT_MIN(1.0, h * (1.0 - sqrt(a / (1.0 + a))));
            double tm = (rm - 1.0) / a, tp = 1.0 / rm;
            double theta = NT_MAX(tm, NT_MIN(tp, (1.0 - b) / b));
            double sigma = 1.0 + theta * a;
            double sp = pow(fabs(sigma), 1.0 / (1.0 - (double)n));
            tau = theta <= 0 ? NT_MIN(rt * sp, sigma) : rt * NT_MIN(sp, 1.0 / theta);
            phi = (1.0 - theta) / sigma;
        }
        if (!(b > 0) || !(tau > 0) || !isfinite(tau) || !isfinite(phi)) {
            dense_identity(o);
            return 0;
        }
    }
    /* v = ρ·s − hy / yhy, kept in o->d (the direction is no longer needed). */
    double *v = o->d;
    for (int64_t i = 0; i < n; i++) v[i] = rho * s[i] - hy[i] / yhy;
    const double inv_tau = 1.0 / tau, cy = 1.0 / yhy, cv = phi * yhy;
    int bad = 0;
    _Pragma("omp parallel for schedule(static) reduction(|:bad) if (n >= 512)")
    for (int64_t i = 0; i < n; i++) {
        double *row = H + (size_t)i * (size_t)n;
        const double hi = hy[i], vi = v[i], si = s[i];
        for (int64_t j = 0; j < n; j++)
            row[j] = (row[j] - cy * hi * hy[j] + cv * vi * v[j]) * inv_tau + rho * si * s[j];
        if (!(row[i] > 0) || !isfinite(row[i])) bad = 1;
    }
    if (bad) dense_identity(o);
    return !bad;
}

/* ---------------------------------------------------------------------------- */
/* Iteration                                                                      */

static int grad_finite(const nt_lbfgs *o)
{
    int fin = 1;
    NT_DISPATCH(o->p->dtype, T, {
        const T *g = o->p->grad;
        for (int64_t i = 0; i < o->n; i++)
            if (!isfinite(g[i])) fin = 0;
    });
    return fin;
}

/* p->data holds a point evaluated earlier (loss f_known, gradient g_known in double)
 * but not by the latest objective call. Calls the objective there once more so that
 * whatever it computes on the side (component losses, caches) describes p->data, and
 * returns the loss. If that evaluation is not finite (a flaky objective), the known
 * gradient is written back and f_known returned. */
static double reevaluate(nt_lbfgs *o, nt_objective_fn fn, void *user, double f_known,
                         const double *g_known)
{
    double f = fn(user, o->p);
    o->n_evals++;
    if (isfinite(f) && grad_finite(o)) return f;
    store_vec(o->p->dtype, o->p->grad, g_known, o->n);
    return f_known;
}

/* Evaluates the start point. */
static nt_lbfgs_state lbfgs_start(nt_lbfgs *o, nt_objective_fn fn, void *user)
{
    nt_params *p = o->p;
    o->started = 1;
    if (!load_vec(p->dtype, p->data, o->x0, o->n)) return o->state = NT_LBFGS_NONFINITE;
    o->f = fn(user, p);
    o->n_evals++;
    int gfin = load_vec(p->dtype, p->grad, o->g0, o->n);
    if (!isfinite(o->f) || !gfin) return o->state = NT_LBFGS_NONFINITE;
    if (max_abs(o->g0, o->n) <= o->cfg.tol_grad) return o->state = NT_LBFGS_CONVERGED_GRAD;
    return NT_LBFGS_RUNNING;
}

void nt_lbfgs_restart(nt_lbfgs *o)
{
    NT_ASSERT(o != NULL && o->p != NULL, "nt_lbfgs_restart: optimizer not initialized");
    o->started = 0;
    o->state = NT_LBFGS_RUNNING;
}

nt_lbfgs_state nt_lbfgs_step(nt_lbfgs *o, nt_objective_fn fn, void *user)
{
    NT_ASSERT(o != NULL && o->p != NULL, "nt_lbfgs_step: optimizer not initialized");
    NT_ASSERT(fn != NULL, "nt_lbfgs_step: NULL objective");
    nt_params *p = o->p;
    NT_ASSERT(p->n == o->n, "nt_lbfgs_step: parameter block changed size since init");
    const int64_t n = o->n;
    const int m = o->cfg.history;
    const nt_dtype dt = p->dtype;

    if (o->state != NT_LBFGS_RUNNING) return o->state;
    if (!o->started && lbfgs_start(o, fn, user) != NT_LBFGS_RUNNING) return o->state;

    double gtd = lbfgs_direction(o);
    if (!(gtd < 0) || !isfinite(gtd)) {  /* not a descent direction: drop the history */
        reset_history(o);
        gtd = steepest(o);
    }

    double t_acc = 0, f_new = o->f;
    int kind;
    for (;;) {
        double t = 1.0;
        if (o->k == 0) {
            double g1 = 0;
            for (int64_t i = 0; i < n; i++) g1 += fabs(o->g0[i]);
            t = NT_MIN(1.0, 1.0 / g1);
        }
        kind = line_search(o, fn, user, t, gtd, &t_acc, &f_new);
        if (kind != LS_FAIL) break;
        if (o->k == 0) {  /* steepest descent failed too: stay at x0 */
            store_vec(dt, p->data, o->x0, n);
            o->f = reevaluate(o, fn, user, o->f, o->g0);
            load_vec(dt, p->grad, o->g0, n);
            return o->state = NT_LBFGS_LINE_SEARCH_FAILED;
        }
        reset_history(o);
        gtd = steepest(o);
    }
    if (kind == LS_BEST) {  /* the accepted point was not the last one evaluated */
        int fin;
        write_trial(o, t_acc, t_acc, &fin);
        f_new = reevaluate(o, fn, user, f_new, o->g);
    }

    /* s = x − x0 and y = g − g0 from the values in p (what was evaluated). */
    const double eps = dtype_eps(dt);
    double ys = 0, yy = 0, gmax = 0;
    int tiny = 1;
    NT_DISPATCH(dt, T, {
        const T *x = p->data, *g = p->grad;
        for (int64_t i = 0; i < n; i++) {
            double xi = (double)x[i], gi = (double)g[i];
            double si = xi - o->x0[i], yi = gi - o->g0[i];
            ys += si * yi;
            yy += yi * yi;
            gmax = NT_MAX(gmax, fabs(gi));
            if (fabs(si) > eps * NT_MAX(fabs(xi), fabs(o->x0[i]))) tiny = 0;
        }
    });
    int keep = isfinite(ys) && isfinite(yy) && yy > 0 && ys > eps * yy;
    double *sn = o->s + (size_t)o->head * (size_t)n, *yn = o->y + (size_t)o->head * (size_t)n;
    NT_DISPATCH(dt, T, {
        const T *x = p->data, *g = p->grad;
        for (int64_t i = 0; i < n; i++) {
            double xi = (double)x[i], gi = (double)g[i];
            if (keep) {
                sn[i] = xi - o->x0[i];
                yn[i] = gi - o->g0[i];
            }
            if (!dense(o)) {
                o->x0[i] = xi;
                o->g0[i] = gi;
            }
        }
    });
    if (dense(o)) {  /* the update needs the old gradient; then move x0, g0 */
        if (keep) o->k = dense_update(o, t_acc, ys);
        NT_DISPATCH(dt, T, {
            const T *x = p->data, *g = p->grad;
            for (int64_t i = 0; i < n; i++) {
                o->x0[i] = (double)x[i];
                o->g0[i] = (double)g[i];
            }
        });
    } else if (keep) {
        o->rho[o->head] = 1.0 / ys;
        o->head = (o->head + 1) % m;
        if (o->k < m) o->k++;
    }

    double f_old = o->f;
    o->f = f_new;
    o->iter++;
    if (gmax <= o->cfg.tol_grad) return o->state = NT_LBFGS_CONVERGED_GRAD;
    if (fabs(f_old - f_new) <= o->cfg.tol_change * NT_MAX(1.0, fabs(f_new)) || tiny)
        return o->state = NT_LBFGS_CONVERGED_CHANGE;
    return NT_LBFGS_RUNNING;
}

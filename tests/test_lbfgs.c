/* test_lbfgs.c — L-BFGS with strong-Wolfe line search, in float32 and float64. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#if defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 33)
#include <malloc.h>
#define HAVE_MALLINFO2 1
#endif
#endif

/* ---------------------------------------------------------------------------- */
/* Objectives. Each is written once per dtype so that the float32 version really
 * computes in float32, as a float32 model would. */

/* Counts evaluations and NaN returns; shared by every objective through `user`. */
typedef struct obj_ctx {
    int64_t evals;
    int64_t nonfinite;  /* evaluations that returned a non-finite value */
    int chained;        /* Rosenbrock: 1 = chained, 0 = extended (pairs) */
    double ra;          /* Rosenbrock: minimum at (a, a²) per pair; 0 means a = 1 */
    /* least squares / quadratic data (double, converted on use) */
    int rows, cols;
    const double *A, *b;
    const double *Q;    /* n × n symmetric matrix for the quadratic */
    const double *c;    /* minimizer of the quadratic */
    double last_x[16];  /* walled/flaky: the point of the latest call (first 16) */
} obj_ctx;

static void remember_x(obj_ctx *c, const nt_params *p)
{
    for (int64_t i = 0; i < p->n && i < 16; i++)
        c->last_x[i] = p->dtype == NT_F32 ? (double)((const float *)p->data)[i]
                                          : ((const double *)p->data)[i];
}

/* Rosenbrock. extended: sum over pairs (x_{2i}, x_{2i+1}); chained: over (x_i, x_{i+1}). */
#define DEFINE_ROSEN(T, NAME)                                                     \
    static double NAME(obj_ctx *c, nt_params *p)                                  \
    {                                                                             \
        const T *x = p->data;                                                     \
        T *g = p->grad;                                                           \
        int64_t n = p->n;                                                         \
        T f = 0;                                                                  \
        for (int64_t i = 0; i < n; i++) g[i] = 0;                                 \
        int64_t stride = c->chained ? 1 : 2;                                      \
        T ra = c->ra != 0 ? (T)c->ra : (T)1;                                      \
        for (int64_t i = 0; i + 1 < n; i += stride) {                             \
            T a = x[i + 1] - x[i] * x[i], b = ra - x[i];                          \
            f += (T)100 * a * a + b * b;                                          \
            g[i] += (T)-400 * x[i] * a - (T)2 * b;                                \
            g[i + 1] += (T)200 * a;                                               \
        }                                                                         \
        return (double)f;                                                         \
    }
DEFINE_ROSEN(float, rosen_f32)
DEFINE_ROSEN(double, rosen_f64)

static double rosen(void *user, nt_params *p)
{
    obj_ctx *c = user;
    c->evals++;
    return p->dtype == NT_F32 ? rosen_f32(c, p) : rosen_f64(c, p);
}

/* 0.5 (x − c)ᵀ Q (x − c). */
#define DEFINE_QUAD(T, NAME)                                                      \
    static double NAME(obj_ctx *c, nt_params *p)                                  \
    {                                                                             \
        const T *x = p->data;                                                     \
        T *g = p->grad;                                                           \
        int64_t n = p->n;                                                         \
        T f = 0;                                                                  \
        for (int64_t i = 0; i < n; i++) {                                         \
            T gi = 0;                                                             \
            for (int64_t j = 0; j < n; j++)                                       \
                gi += (T)c->Q[i * n + j] * (x[j] - (T)c->c[j]);                   \
            g[i] = gi;                                                            \
            f += (T)0.5 * gi * (x[i] - (T)c->c[i]);                               \
        }                                                                         \
        return (double)f;                                                         \
    }
DEFINE_QUAD(float, quad_f32)
DEFINE_QUAD(double, quad_f64)

static double quad(void *user, nt_params *p)
{
    obj_ctx *c = user;
    c->evals++;
    return p->dtype == NT_F32 ? quad_f32(c, p) : quad_f64(c, p);
}

/* 0.5 · mean over rows of (A x − b)². */
#define DEFINE_LSQ(T, NAME)                                                       \
    static double NAME(obj_ctx *c, nt_params *p)                                  \
    {                                                                             \
        const T *x = p->data;                                                     \
        T *g = p->grad;                                                           \
        T f = 0, inv = (T)1 / (T)c->rows;                                         \
        for (int j = 0; j < c->cols; j++) g[j] = 0;                               \
        for (int r = 0; r < c->rows; r++) {                                       \
            T e = -(T)c->b[r];                                                    \
            for (int j = 0; j < c->cols; j++) e += (T)c->A[r * c->cols + j] * x[j]; \
            f += (T)0.5 * inv * e * e;                                            \
            for (int j = 0; j < c->cols; j++) g[j] += inv * e * (T)c->A[r * c->cols + j]; \
        }                                                                         \
        return (double)f;                                                         \
    }
DEFINE_LSQ(float, lsq_f32)
DEFINE_LSQ(double, lsq_f64)

static double lsq(void *user, nt_params *p)
{
    obj_ctx *c = user;
    c->evals++;
    return p->dtype == NT_F32 ? lsq_f32(c, p) : lsq_f64(c, p);
}

/* Σ sqrt(1 + x²) (pseudo-Huber: curvature falls with |x|, so secant steps
 * overshoot) shifted by `shift`, returning NaN (and a NaN gradient) as soon as any
 * |x_i| > 3. With shift = 0 the minimum is 0 inside the valid region. */
static double wall_shift, wall_delta = 1.0;
static double walled(void *user, nt_params *p)
{
    obj_ctx *c = user;
    c->evals++;
    remember_x(c, p);
    double f = 0;
    int bad = 0;
    for (int64_t i = 0; i < p->n; i++) {
        double x = p->dtype == NT_F32 ? ((float *)p->data)[i] : ((double *)p->data)[i];
        if (!(fabs(x) <= 3.0)) bad = 1;
        double z = x - wall_shift;
        double r = sqrt(wall_delta * wall_delta + z * z);
        f += r;
        double gi = z / r;
        if (p->dtype == NT_F32) ((float *)p->grad)[i] = (float)gi;
        else ((double *)p->grad)[i] = gi;
    }
    if (bad) {
        c->nonfinite++;
        for (int64_t i = 0; i < p->n; i++) {
            if (p->dtype == NT_F32) ((float *)p->grad)[i] = NAN;
            else ((double *)p->grad)[i] = NAN;
        }
        return NAN;
    }
    return f;
}

/* Rosenbrock that returns NaN (with a NaN gradient) on every `flaky`-th call after
 * the first, wherever it is evaluated. */
static int flaky_period = 4;
static double flaky(void *user, nt_params *p)
{
    obj_ctx *c = user;
    double f = rosen(user, p);
    remember_x(c, p);
    if (c->evals > 1 && c->evals % flaky_period == 0) {
        c->nonfinite++;
        if (p->dtype == NT_F32) ((float *)p->grad)[0] = NAN;
        else ((double *)p->grad)[0] = NAN;
        return NAN;
    }
    return f;
}

/* A 1-H-H-1 tanh MLP fitting sin(3x) on NPT points (mean squared error), with
 * hand-written backprop: the shape of a small PINN-style fit. */
enum { MLP_H = 10, MLP_NPT = 64, MLP_NPAR = 3 * MLP_H + MLP_H * MLP_H + MLP_H + 1 };
#define DEFINE_MLP(T, NAME)                                                             \
    static double NAME(nt_params *p)                                                    \
    {                                                                                   \
        enum { H = MLP_H };                                                             \
        const T *w = p->data;                                                           \
        T *g = p->grad;                                                                 \
        const T *W1 = w, *b1 = w + H, *W2 = w + 2 * H, *b2 = W2 + H * H, *W3 = b2 + H;  \
        const T *b3 = W3 + H;                                                           \
        T *gW1 = g, *gb1 = g + H, *gW2 = g + 2 * H, *gb2 = gW2 + H * H, *gW3 = gb2 + H; \
        T *gb3 = gW3 + H;                                                               \
        for (int i = 0; i < MLP_NPAR; i++) g[i] = 0;                                    \
        T f = 0;                                                                        \
        for (int k = 0; k < MLP_NPT; k++) {                                             \
            T x = (T)(-1.0 + 2.0 * k / (MLP_NPT - 1)), tgt = (T)sin(3.0 * (double)x);   \
            T h1[H], h2[H], d2[H], d1[H];                                               \
            for (int i = 0; i < H; i++) h1[i] = (T)tanh((double)(W1[i] * x + b1[i]));   \
            for (int i = 0; i < H; i++) {                                               \
                T z = b2[i];                                                            \
                for (int j = 0; j < H; j++) z += W2[i * H + j] * h1[j];                 \
                h2[i] = (T)tanh((double)z);                                             \
            }                                                                           \
            T y = b3[0];                                                                \
            for (int i = 0; i < H; i++) y += W3[i] * h2[i];                             \
            T e = y - tgt, dy = (T)2 * e / (T)MLP_NPT;                                  \
            f += e * e / (T)MLP_NPT;                                                    \
            gb3[0] += dy;                                                               \
            for (int i = 0; i < H; i++) {                                               \
                gW3[i] += dy * h2[i];                                                   \
                d2[i] = dy * W3[i] * ((T)1 - h2[i] * h2[i]);                            \
            }                                                                           \
            for (int j = 0; j < H; j++) d1[j] = 0;                                      \
            for (int i = 0; i < H; i++) {                                               \
                gb2[i] += d2[i];                                                        \
                for (int j = 0; j < H; j++) {                                           \
                    gW2[i * H + j] += d2[i] * h1[j];                                    \
                    d1[j] += d2[i] * W2[i * H + j];                                     \
                }                                                                       \
            }                                                                           \
            for (int j = 0; j < H; j++) {                                               \
                T dz = d1[j] * ((T)1 - h1[j] * h1[j]);                                  \
                gW1[j] += dz * x;                                                       \
                gb1[j] += dz;                                                           \
            }                                                                           \
        }                                                                               \
        return (double)f;                                                               \
    }
DEFINE_MLP(float, mlp_f32)
DEFINE_MLP(double, mlp_f64)

static double mlp(void *user, nt_params *p)
{
    obj_ctx *c = user;
    c->evals++;
    return p->dtype == NT_F32 ? mlp_f32(p) : mlp_f64(p);
}

/* ---------------------------------------------------------------------------- */
/* Helpers                                                                        */

static double pget(const nt_params *p, int64_t i)
{
    return p->dtype == NT_F32 ? (double)((const float *)p->data)[i] : ((const double *)p->data)[i];
}
static void pset(nt_params *p, int64_t i, double v)
{
    if (p->dtype == NT_F32) ((float *)p->data)[i] = (float)v;
    else ((double *)p->data)[i] = v;
}
static double gget(const nt_params *p, int64_t i)
{
    return p->dtype == NT_F32 ? (double)((const float *)p->grad)[i] : ((const double *)p->grad)[i];
}

static int terminal(nt_lbfgs_state s) { return s != NT_LBFGS_RUNNING; }

static const char *state_name(nt_lbfgs_state s)
{
    switch (s) {
    case NT_LBFGS_RUNNING: return "running";
    case NT_LBFGS_CONVERGED_GRAD: return "converged (grad)";
    case NT_LBFGS_CONVERGED_CHANGE: return "converged (change)";
    case NT_LBFGS_LINE_SEARCH_FAILED: return "line search failed";
    case NT_LBFGS_NONFINITE: return "non-finite start";
    }
    return "?";
}

/* Runs up to max_iter steps. *f_ok stays 1 while o->f is finite and never rises and,
 * for the objectives that record it, the latest objective call was at p->data when
 * nt_lbfgs_step returned. */
static nt_lbfgs_state run_to_end(nt_lbfgs *o, nt_objective_fn fn, obj_ctx *c, int64_t max_iter,
                                 int *f_ok)
{
    nt_lbfgs_state st = NT_LBFGS_RUNNING;
    double f_prev = INFINITY;
    int track = fn == walled || fn == flaky;
    *f_ok = 1;
    for (int64_t it = 0; it < max_iter && st == NT_LBFGS_RUNNING; it++) {
        st = nt_lbfgs_step(o, fn, c);
        if (st == NT_LBFGS_NONFINITE) break;
        if (!isfinite(o->f) || o->f > f_prev) *f_ok = 0;
        f_prev = o->f;
        for (int64_t i = 0; track && i < o->p->n && i < 16; i++)
            if (c->last_x[i] != pget(o->p, i)) *f_ok = 0;
    }
    return st;
}

/* The loss and gradient recorded in p agree with a fresh evaluation at p->data. */
static void check_consistent(nt_lbfgs *o, nt_objective_fn fn, obj_ctx *c)
{
    nt_params *p = o->p;
    int64_t n = p->n;
    double *g = malloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++) g[i] = gget(p, i);
    double f = fn(c, p);
    CHECK(f == o->f);
    int same = 1;
    for (int64_t i = 0; i < n; i++) same &= gget(p, i) == g[i];
    CHECK(same);
    free(g);
}

/* ---------------------------------------------------------------------------- */
/* Tests                                                                          */

static void test_config_default(void)
{
    nt_lbfgs_config c64 = nt_lbfgs_config_default(NT_F64), c32 = nt_lbfgs_config_default(NT_F32);
    CHECK(c64.history == 50 && c64.max_ls == 25);
    CHECK(c64.c1 == 1e-4 && c64.c2 == 0.9);
    CHECK(c64.tol_grad == 1e-9 && c64.tol_change == 1e-15);
    CHECK(c32.tol_grad == 1e-6 && c32.tol_change == 1e-12);

    nt_lbfgs z;
    memset(&z, 0, sizeof z);
    nt_lbfgs_free(&z);  /* no-op on a zeroed struct */
    nt_lbfgs_free(&z);
    CHECK(z.s == NULL && z.p == NULL);
}

/* Extended Rosenbrock (pairs) with minimum (a, a², a, a², …); a = 1 is the classic
 * one, a = 0.7 puts the minimum on values that float32 cannot represent exactly. */
static void rosen_case_u(nt_qn_update u, nt_dtype dt, int n, double a, int history, double tol_x,
                         int64_t max_iter)
{
    nt_params p;
    CHECK_OK(nt_params_init(&p, dt, n));
    CHECK(nt_params_add(&p, "x", 1, n) != NULL);
    for (int i = 0; i < n; i++) pset(&p, i, i % 2 == 0 ? -1.2 : 1.0);
    nt_lbfgs o;
    nt_lbfgs_config cfg = nt_lbfgs_config_default(dt);
    cfg.history = history;
    cfg.update = u;
    CHECK_OK(nt_lbfgs_init(&o, &p, &cfg));
    obj_ctx c = {0};
    c.ra = a;
    int f_ok;
    nt_lbfgs_state st = run_to_end(&o, rosen, &c, max_iter, &f_ok);
    double err = 0;
    for (int i = 0; i < n; i++) err = fmax(err, fabs(pget(&p, i) - (i % 2 == 0 ? a : a * a)));
    printf("     rosenbrock %s %s n=%d a=%g m=%d: %s after %lld iters, %lld evals, f = %.3e, "
           "max|x-x*| = %.2e\n",
           nt_qn_update_name(u), nt_dtype_name(dt), n, a, history, state_name(st), (long long)o.iter,
           (long long)o.n_evals, o.f, err);
    CHECK(terminal(st));
    CHECK(st != NT_LBFGS_NONFINITE);
    CHECK(f_ok);
    CHECK(isfinite(o.f));
    CHECK(err <= tol_x);
    CHECK(c.evals == o.n_evals);
    check_consistent(&o, rosen, &c);
    nt_lbfgs_free(&o);
    nt_params_free(&p);
}

static void rosen_case(nt_dtype dt, int n, double a, int history, double tol_x, int64_t max_iter)
{
    rosen_case_u(NT_QN_LBFGS, dt, n, a, history, tol_x, max_iter);
}

/* After the objective changed (here the Rosenbrock minimum moves from (1, 1) to
 * (2, 4) per pair), a restart evaluates the current point afresh and converges to
 * the new minimum; without it the terminal state stays. */
static void test_restart(void)
{
    nt_params p;
    CHECK_OK(nt_params_init(&p, NT_F64, 4));
    CHECK(nt_params_add(&p, "x", 1, 4) != NULL);
    for (int i = 0; i < 4; i++) pset(&p, i, i % 2 == 0 ? -1.2 : 1.0);
    nt_lbfgs o;
    CHECK_OK(nt_lbfgs_init(&o, &p, NULL));
    obj_ctx c = {0};
    int f_ok;
    nt_lbfgs_state st = run_to_end(&o, rosen, &c, 500, &f_ok);
    CHECK(terminal(st) && st != NT_LBFGS_NONFINITE);
    int64_t it1 = o.iter;
    c.ra = 2;
    CHECK(nt_lbfgs_step(&o, rosen, &c) == st); /* sticky without a restart */
    nt_lbfgs_restart(&o);
    CHECK(o.state == NT_LBFGS_RUNNING);
    st = run_to_end(&o, rosen, &c, 500, &f_ok);
    double err = 0;
    for (int i = 0; i < 4; i++) err = fmax(err, fabs(pget(&p, i) - (i % 2 == 0 ? 2 : 4)));
    printf("     restart: %lld iterations to (1, 1), then %lld more to (2, 4), max|x-x*| = %.2e\n",
           (long long)it1, (long long)(o.iter - it1), err);
    CHECK(terminal(st) && st != NT_LBFGS_NONFINITE && f_ok);
    CHECK(err <= 1e-8);
    CHECK(c.evals == o.n_evals);
    check_consistent(&o, rosen, &c);
    nt_lbfgs_free(&o);
    nt_params_free(&p);
}

static void test_rosenbrock_f64(void)
{
    rosen_case(NT_F64, 2, 1.0, 50, 1e-8, 500);
    rosen_case(NT_F64, 10, 1.0, 50, 1e-8, 500);
    rosen_case(NT_F64, 10, 1.0, 3, 1e-8, 2000);  /* small history: the ring wraps */
    rosen_case(NT_F64, 10, 0.7, 50, 1e-8, 500);
}

static void test_rosenbrock_f32(void)
{
    rosen_case(NT_F32, 2, 1.0, 50, 1e-3, 500);
    rosen_case(NT_F32, 10, 1.0, 50, 1e-3, 500);
    rosen_case(NT_F32, 10, 1.0, 3, 1e-3, 2000);
    rosen_case(NT_F32, 2, 0.7, 50, 1e-3, 500);
    rosen_case(NT_F32, 10, 0.7, 50, 1e-3, 500);
}

/* The chained (generalized) form in 10-D has a second local minimum near
 * (−1, 1, …); from (−1.2, 1, −1.2, …) we only ask for a stationary point that is
 * finite and terminal, with the gradient small. */
static void test_rosenbrock_chained(void)
{
    for (int k = 0; k < 2; k++) {
        nt_dtype dt = k == 0 ? NT_F64 : NT_F32;
        int n = 10;
        nt_params p;
        CHECK_OK(nt_params_init(&p, dt, n));
        CHECK(nt_params_add(&p, "x", 1, n) != NULL);
        for (int i = 0; i < n; i++) pset(&p, i, i % 2 == 0 ? -1.2 : 1.0);
        nt_lbfgs o;
        CHECK_OK(nt_lbfgs_init(&o, &p, NULL));  /* NULL config = defaults */
        obj_ctx c = {0};
        c.chained = 1;
        int f_ok;
        nt_lbfgs_state st = run_to_end(&o, rosen, &c, 1000, &f_ok);
        double gmax = 0;
        for (int i = 0; i < n; i++) gmax = fmax(gmax, fabs(gget(&p, i)));
        printf("     rosenbrock %s n=%d chained: %s after %lld iters, f = %.3e, max|g| = %.2e, "
               "x0 = %.6f\n",
               nt_dtype_name(dt), n, state_name(st), (long long)o.iter, o.f, gmax, pget(&p, 0));
        CHECK(terminal(st));
        CHECK(f_ok);
        CHECK(gmax <= (dt == NT_F64 ? 1e-6 : 1e-2));
        nt_lbfgs_free(&o);
        nt_params_free(&p);
    }
}

/* 0.5 (x − c)ᵀ Q (x − c) with Q = H·diag(λ)·H, λ log-spaced over [1, 1e6], H a
 * Householder reflection (so Q is not diagonal): condition number 1e6. */
static void quad_case_u(nt_qn_update u, nt_dtype dt, int n, double tol_x, int64_t max_iter)
{
    double *Q = malloc((size_t)(n * n) * sizeof(double)), *cv = malloc((size_t)n * sizeof(double));
    double *v = malloc((size_t)n * sizeof(double)), *lam = malloc((size_t)n * sizeof(double));
    nt_rng r;
    nt_rng_init(&r, 7);
    double vv = 0;
    for (int i = 0; i < n; i++) {
        v[i] = nt_rng_normal(&r);
        vv += v[i] * v[i];
        cv[i] = nt_rng_normal(&r);
        lam[i] = pow(1e6, (double)i / (n - 1));
    }
    /* H = I − 2 v vᵀ / vᵀv; Q = H diag(λ) H. */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double q = 0;
            for (int k = 0; k < n; k++) {
                double hik = (i == k) - 2 * v[i] * v[k] / vv;
                double hkj = (k == j) - 2 * v[k] * v[j] / vv;
                q += hik * lam[k] * hkj;
            }
            Q[i * n + j] = q;
        }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++) Q[i * n + j] = Q[j * n + i] = 0.5 * (Q[i * n + j] + Q[j * n + i]);

    nt_params p;
    CHECK_OK(nt_params_init(&p, dt, n));
    CHECK(nt_params_add(&p, "x", 1, n) != NULL);
    nt_lbfgs o;
    nt_lbfgs_config cfg = nt_lbfgs_config_default(dt);
    cfg.update = u;
    CHECK_OK(nt_lbfgs_init(&o, &p, &cfg));
    obj_ctx c = {0};
    c.Q = Q;
    c.c = cv;
    int f_ok;
    nt_lbfgs_state st = run_to_end(&o, quad, &c, max_iter, &f_ok);
    double err = 0;
    for (int i = 0; i < n; i++) err = fmax(err, fabs(pget(&p, i) - cv[i]));
    printf("     quadratic %s %s n=%d cond=1e6: %s after %lld iters, %lld evals, f = %.3e, "
           "max|x-c| = %.2e\n",
           nt_qn_update_name(u), nt_dtype_name(dt), n, state_name(st), (long long)o.iter,
           (long long)o.n_evals, o.f, err);
    CHECK(terminal(st));
    CHECK(st != NT_LBFGS_NONFINITE);
    CHECK(f_ok);
    CHECK(err <= tol_x);
    nt_lbfgs_free(&o);
    nt_params_free(&p);
    free(Q);
    free(cv);
    free(v);
    free(lam);
}

static void quad_case(nt_dtype dt, int n, double tol_x, int64_t max_iter)
{
    quad_case_u(NT_QN_LBFGS, dt, n, tol_x, max_iter);
}

static void test_ill_conditioned_quadratic(void)
{
    quad_case(NT_F64, 20, 1e-8, 2000);
    quad_case(NT_F32, 20, 1e-3, 2000);
}

/* NaN beyond |x| > 3. With δ = 0.1 the pseudo-Huber slope is nearly constant at the
 * start 2.5, so the first line search extrapolates past the wall and the secant
 * steps that follow overshoot it too: the search must back off from the NaNs and
 * still reach the minimum 0. */
static void test_nan_backoff(void)
{
    static const int dims[2] = {1, 5};
    for (int k = 0; k < 4; k++) {
        nt_dtype dt = k % 2 == 0 ? NT_F64 : NT_F32;
        int n = dims[k / 2];
        nt_params p;
        CHECK_OK(nt_params_init(&p, dt, n));
        CHECK(nt_params_add(&p, "x", 1, n) != NULL);
        for (int i = 0; i < n; i++) pset(&p, i, 2.5);
        nt_lbfgs o;
        CHECK_OK(nt_lbfgs_init(&o, &p, NULL));
        obj_ctx c = {0};
        wall_shift = 0;
        wall_delta = 0.1;
        int f_ok;
        nt_lbfgs_state st = run_to_end(&o, walled, &c, 200, &f_ok);
        double err = 0;
        for (int i = 0; i < n; i++) err = fmax(err, fabs(pget(&p, i)));
        printf("     walled %s n=%d: %s after %lld iters, %lld evals (%lld NaN), f = %.9g, "
               "max|x| = %.2e\n",
               nt_dtype_name(dt), n, state_name(st), (long long)o.iter, (long long)o.n_evals,
               (long long)c.nonfinite, o.f, err);
        CHECK(c.nonfinite > 0);  /* the overshoot did happen */
        CHECK(terminal(st));
        CHECK(st != NT_LBFGS_NONFINITE);
        CHECK(f_ok);
        CHECK(err <= (dt == NT_F64 ? 1e-8 : 1e-4));
        CHECK_CLOSE(o.f, 0.1 * n, dt == NT_F64 ? 1e-14 : 1e-6, 0);
        check_consistent(&o, walled, &c);
        wall_delta = 1.0;
        nt_lbfgs_free(&o);
        nt_params_free(&p);
    }
}

/* The minimizer (10, 10) lies beyond the NaN wall at 3: every step towards it fails
 * at some point, so the search must settle at a finite point just inside the wall,
 * end in a terminal state, and never report a NaN. */
static void test_nan_wall_unreachable_min(void)
{
    for (int k = 0; k < 2; k++) {
        nt_dtype dt = k == 0 ? NT_F64 : NT_F32;
        int n = 2;
        nt_params p;
        CHECK_OK(nt_params_init(&p, dt, n));
        CHECK(nt_params_add(&p, "x", 1, n) != NULL);
        for (int i = 0; i < n; i++) pset(&p, i, 2.5);
        nt_lbfgs o;
        CHECK_OK(nt_lbfgs_init(&o, &p, NULL));
        obj_ctx c = {0};
        wall_shift = 10;
        int f_ok;
        nt_lbfgs_state st = run_to_end(&o, walled, &c, 500, &f_ok);
        wall_shift = 0;
        printf("     wall %s: %s after %lld iters, %lld evals (%lld NaN), f = %.9g, x = (%.7f, %.7f)\n",
               nt_dtype_name(dt), state_name(st), (long long)o.iter, (long long)o.n_evals,
               (long long)c.nonfinite, o.f, pget(&p, 0), pget(&p, 1));
        CHECK(c.nonfinite > 0);
        CHECK(terminal(st));
        CHECK(f_ok);
        CHECK(isfinite(o.f));
        for (int i = 0; i < n; i++) {
            CHECK(pget(&p, i) <= 3.0);
            CHECK(pget(&p, i) >= 2.5);
        }
        wall_shift = 10;
        check_consistent(&o, walled, &c);
        wall_shift = 0;
        nt_lbfgs_free(&o);
        nt_params_free(&p);
    }
}

/* After a terminal state further calls return it and evaluate nothing. */
static void test_terminal_is_sticky(void)
{
    nt_params p;
    CHECK_OK(nt_params_init(&p, NT_F64, 2));
    CHECK(nt_params_add(&p, "x", 1, 2) != NULL);
    pset(&p, 0, -1.2);
    pset(&p, 1, 1.0);
    nt_lbfgs o;
    CHECK_OK(nt_lbfgs_init(&o, &p, NULL));
    obj_ctx c = {0};
    int f_ok;
    nt_lbfgs_state st = run_to_end(&o, rosen, &c, 1000, &f_ok);
    CHECK(st == NT_LBFGS_CONVERGED_GRAD || st == NT_LBFGS_CONVERGED_CHANGE);
    int64_t evals = o.n_evals, iter = o.iter, user_evals = c.evals;
    double f = o.f, x0 = pget(&p, 0), x1 = pget(&p, 1);
    for (int i = 0; i < 5; i++) CHECK(nt_lbfgs_step(&o, rosen, &c) == st);
    CHECK(o.n_evals == evals && c.evals == user_evals && o.iter == iter);
    CHECK(o.f == f && pget(&p, 0) == x0 && pget(&p, 1) == x1);
    nt_lbfgs_free(&o);
    nt_lbfgs_free(&o);  /* freeing twice is a no-op */

    /* Start at the minimum: the first call evaluates once and stops on the gradient. */
    pset(&p, 0, 1.0);
    pset(&p, 1, 1.0);
    CHECK_OK(nt_lbfgs_init(&o, &p, NULL));
    c.evals = 0;
    CHECK(nt_lbfgs_step(&o, rosen, &c) == NT_LBFGS_CONVERGED_GRAD);
    CHECK(o.n_evals == 1 && c.evals == 1 && o.iter == 0 && o.f == 0);
    CHECK(nt_lbfgs_step(&o, rosen, &c) == NT_LBFGS_CONVERGED_GRAD);
    CHECK(o.n_evals == 1 && c.evals == 1);
    nt_lbfgs_free(&o);
    nt_params_free(&p);
}

/* A non-finite start: NaN in the parameters, or an objective that returns NaN. */
static double always_nan(void *user, nt_params *p)
{
    obj_ctx *c = user;
    c->evals++;
    nt_params_zero_grad(p);
    return NAN;
}

static void test_nonfinite_start(void)
{
    nt_params p;
    CHECK_OK(nt_params_init(&p, NT_F32, 2));
    CHECK(nt_params_add(&p, "x", 1, 2) != NULL);
    pset(&p, 0, NAN);
    nt_lbfgs o;
    CHECK_OK(nt_lbfgs_init(&o, &p, NULL));
    obj_ctx c = {0};
    CHECK(nt_lbfgs_step(&o, rosen, &c) == NT_LBFGS_NONFINITE);
    CHECK(c.evals == 0);  /* a NaN parameter is not even evaluated */
    CHECK(nt_lbfgs_step(&o, rosen, &c) == NT_LBFGS_NONFINITE);
    nt_lbfgs_free(&o);

    pset(&p, 0, 0.5);
    CHECK_OK(nt_lbfgs_init(&o, &p, NULL));
    CHECK(nt_lbfgs_step(&o, always_nan, &c) == NT_LBFGS_NONFINITE);
    CHECK(c.evals == 1 && o.n_evals == 1);
    CHECK(nt_lbfgs_step(&o, always_nan, &c) == NT_LBFGS_NONFINITE);
    CHECK(c.evals == 1);
    nt_lbfgs_free(&o);
    nt_params_free(&p);
}

/* Least squares in float32: the loss plateaus at float32 rounding noise well above
 * tol_change, so only a clean stop (line search failure or a tiny step) can end the
 * run. It must end, in a bounded number of iterations, at a finite f close to the
 * float64 optimum. */
static void test_f32_least_squares_plateau(void)
{
    enum { ROWS = 200, COLS = 8 };
    static double A[ROWS * COLS], b[ROWS];
    nt_rng r;
    nt_rng_init(&r, 42);
    for (int i = 0; i < ROWS * COLS; i++) A[i] = nt_rng_normal(&r);
    for (int i = 0; i < ROWS; i++) b[i] = 3.0 * nt_rng_normal(&r) + 10.0;

    double f_ref = 0;
    for (int k = 0; k < 2; k++) {
        nt_dtype dt = k == 0 ? NT_F64 : NT_F32;
        nt_params p;
        CHECK_OK(nt_params_init(&p, dt, COLS));
        CHECK(nt_params_add(&p, "x", 1, COLS) != NULL);
        nt_lbfgs o;
        CHECK_OK(nt_lbfgs_init(&o, &p, NULL));
        obj_ctx c = {0};
        c.rows = ROWS;
        c.cols = COLS;
        c.A = A;
        c.b = b;
        int f_ok;
        nt_lbfgs_state st = run_to_end(&o, lsq, &c, 1000, &f_ok);
        printf("     least squares %s: %s after %lld iters, %lld evals, f = %.9g\n",
               nt_dtype_name(dt), state_name(st), (long long)o.iter, (long long)o.n_evals, o.f);
        CHECK(terminal(st));
        CHECK(st != NT_LBFGS_NONFINITE);
        CHECK(f_ok);
        CHECK(isfinite(o.f));
        CHECK(o.iter <= 200);
        if (dt == NT_F64) {
            f_ref = o.f;
        } else {
            /* The float32 point, scored in float64, is near the float64 optimum. */
            nt_params q;
            CHECK_OK(nt_params_init(&q, NT_F64, COLS));
            CHECK(nt_params_add(&q, "x", 1, COLS) != NULL);
            for (int j = 0; j < COLS; j++) pset(&q, j, pget(&p, j));
            double f_true = lsq(&c, &q);
            printf("     least squares float32 point scored in float64: f = %.9g (excess %.2e)\n",
                   f_true, f_true / f_ref - 1);
            CHECK_CLOSE(f_true, f_ref, 1e-6, 0);
            CHECK_CLOSE(o.f, f_ref, 1e-5, 0);
            nt_params_free(&q);
        }
        check_consistent(&o, lsq, &c);
        nt_lbfgs_free(&o);
        nt_params_free(&p);
    }
}

/* An objective that fails (NaN) every few calls wherever it is evaluated: the
 * optimizer must never take a NaN, keep f finite and monotone, and still converge. */
static void test_flaky_nan(void)
{
    for (int k = 0; k < 2; k++) {
        nt_dtype dt = k == 0 ? NT_F64 : NT_F32;
        int n = 10;
        nt_params p;
        CHECK_OK(nt_params_init(&p, dt, n));
        CHECK(nt_params_add(&p, "x", 1, n) != NULL);
        for (int i = 0; i < n; i++) pset(&p, i, i % 2 == 0 ? -1.2 : 1.0);
        nt_lbfgs o;
        CHECK_OK(nt_lbfgs_init(&o, &p, NULL));
        obj_ctx c = {0};
        int f_ok;
        nt_lbfgs_state st = run_to_end(&o, flaky, &c, 1000, &f_ok);
        double err = 0;
        for (int i = 0; i < n; i++) err = fmax(err, fabs(pget(&p, i) - 1.0));
        printf("     flaky NaN %s: %s after %lld iters, %lld evals (%lld NaN), f = %.3e, "
               "max|x-1| = %.2e\n",
               nt_dtype_name(dt), state_name(st), (long long)o.iter, (long long)o.n_evals,
               (long long)c.nonfinite, o.f, err);
        CHECK(c.nonfinite > 0);
        CHECK(terminal(st));
        CHECK(f_ok);
        CHECK(isfinite(o.f));
        CHECK(err <= (dt == NT_F64 ? 1e-6 : 1e-3));
        nt_lbfgs_free(&o);
        nt_params_free(&p);
    }
}

/* A small tanh MLP fit in both dtypes: float32 must end cleanly (terminal, finite,
 * monotone) at a loss far below the start, within a bounded number of iterations. */
static void test_mlp_fit(void)
{
    for (int k = 0; k < 2; k++) {
        nt_dtype dt = k == 0 ? NT_F64 : NT_F32;
        nt_params p;
        CHECK_OK(nt_params_init(&p, dt, MLP_NPAR));
        CHECK(nt_params_add(&p, "w", 1, MLP_NPAR) != NULL);
        nt_rng r;
        nt_rng_init(&r, 3);
        for (int i = 0; i < MLP_NPAR; i++) pset(&p, i, 0.5 * nt_rng_normal(&r));
        nt_lbfgs o;
        CHECK_OK(nt_lbfgs_init(&o, &p, NULL));
        obj_ctx c = {0};
        int f_ok;
        CHECK(nt_lbfgs_step(&o, mlp, &c) == NT_LBFGS_RUNNING);
        nt_lbfgs_state st = run_to_end(&o, mlp, &c, 5000, &f_ok);
        printf("     mlp %s (%d params): %s after %lld iters, %lld evals, f = %.3e\n",
               nt_dtype_name(dt), MLP_NPAR, state_name(st), (long long)o.iter,
               (long long)o.n_evals, o.f);
        CHECK(terminal(st));
        CHECK(st != NT_LBFGS_NONFINITE);
        CHECK(f_ok);
        CHECK(o.f < 1e-4);
        check_consistent(&o, mlp, &c);
        nt_lbfgs_free(&o);
        nt_params_free(&p);
    }
}

/* Σ x⁴/4 − x² (a double well) started at 0.1, where it is concave. A strong-Wolfe
 * step always has sᵀy > 0, so the first search gets one evaluation (max_ls = 1): it
 * accepts the unit step, which lowers f but stays in the concave region, so sᵀy < 0
 * and the pair must be skipped. With the budget restored the run reaches √2. */
static double dwell(void *user, nt_params *p)
{
    obj_ctx *c = user;
    c->evals++;
    double f = 0;
    for (int64_t i = 0; i < p->n; i++) {
        double x = pget(p, i);
        f += 0.25 * x * x * x * x - x * x;
        double g = x * x * x - 2 * x;
        if (p->dtype == NT_F32) ((float *)p->grad)[i] = (float)g;
        else ((double *)p->grad)[i] = g;
    }
    return f;
}

static void test_negative_curvature_pair_skipped(void)
{
    for (int k = 0; k < 2; k++) {
        nt_dtype dt = k == 0 ? NT_F64 : NT_F32;
        nt_params p;
        CHECK_OK(nt_params_init(&p, dt, 3));
        CHECK(nt_params_add(&p, "x", 1, 3) != NULL);
        for (int i = 0; i < 3; i++) pset(&p, i, 0.1);
        nt_lbfgs o;
        nt_lbfgs_config cfg = nt_lbfgs_config_default(dt);
        cfg.max_ls = 1;
        CHECK_OK(nt_lbfgs_init(&o, &p, &cfg));
        obj_ctx c = {0};
        CHECK(nt_lbfgs_step(&o, dwell, &c) == NT_LBFGS_RUNNING);
        CHECK(o.iter == 1 && o.k == 0);  /* sᵀy < 0: not stored */
        CHECK(o.f < 3 * (0.25e-4 - 0.01));
        o.cfg.max_ls = 25;
        int f_ok;
        nt_lbfgs_state st = run_to_end(&o, dwell, &c, 200, &f_ok);
        CHECK(terminal(st) && st != NT_LBFGS_LINE_SEARCH_FAILED);
        CHECK(f_ok);
        for (int i = 0; i < 3; i++) CHECK_NEAR(pget(&p, i), sqrt(2.0), dt == NT_F64 ? 1e-9 : 1e-5);
        nt_lbfgs_free(&o);
        nt_params_free(&p);
    }
}


/* ---------------------------------------------------------------------------- */
/* Dense BFGS, self-scaled BFGS and self-scaled Broyden                            */

/* The dense modes converge where L-BFGS does: extended Rosenbrock from the classic
 * start and the quadratic with condition number 1e6 (for BFGS on a quadratic with
 * a line search the iteration count is small, far below L-BFGS's). */
static void test_dense_convergence(void)
{
    static const nt_qn_update us[3] = {NT_QN_BFGS, NT_QN_SSBFGS, NT_QN_SSBROYDEN};
    for (int k = 0; k < 3; k++) {
        rosen_case_u(us[k], NT_F64, 2, 1.0, 50, 1e-8, 500);
        rosen_case_u(us[k], NT_F64, 10, 0.7, 50, 1e-7, 1000); /* f ≈ 1e-15 ends it (tol_change) */
        rosen_case_u(us[k], NT_F32, 10, 1.0, 50, 1e-3, 1000);
        quad_case_u(us[k], NT_F64, 20, 1e-8, 500);
        quad_case_u(us[k], NT_F32, 20, 1e-3, 500);
    }
}

/* The expected inverse Hessian after one update, written from the formulas of the
 * header comment in lbfgs.c with plain loops: H0 the matrix before, s, y the step and
 * gradient change, g0 the gradient before the step, t the step length along
 * d = −H0·g0. */
static void expected_update(nt_qn_update u, int n, const double *H0, const double *s,
                            const double *y, const double *g0, double t, double *H1)
{
    double ys = 0, yy = 0, sg = 0, yhy = 0, hy[8];
    for (int i = 0; i < n; i++) {
        ys += y[i] * s[i];
        yy += y[i] * y[i];
        sg += s[i] * g0[i];
    }
    double Hb[64];
    memcpy(Hb, H0, (size_t)(n * n) * sizeof(double));
    if (u == NT_QN_BFGS) { /* the first update starts from (sᵀy / yᵀy)·I */
        int ident = 1;
        for (int i = 0; i < n * n; i++) ident &= H0[i] == (i % (n + 1) == 0);
        if (ident)
            for (int i = 0; i < n * n; i++) Hb[i] = i % (n + 1) == 0 ? ys / yy : 0;
    }
    for (int i = 0; i < n; i++) {
        hy[i] = 0;
        for (int j = 0; j < n; j++) hy[i] += Hb[i * n + j] * y[j];
        yhy += y[i] * hy[i];
    }
    double b = -t * sg / ys, h = yhy / ys, a = b * h - 1, phi = 1, tau = 1;
    if (u != NT_QN_BFGS) tau = fmin(1.0, 1.0 / b);
    if (u == NT_QN_SSBROYDEN) {
        CHECK(a > 1e-12); /* the case under test takes the θ branch */
        double rm = fmin(1.0, h * (1 - sqrt(a / (1 + a))));
        double theta = fmax((rm - 1) / a, fmin(1 / rm, (1 - b) / b));
        double sigma = 1 + theta * a, sp = pow(fabs(sigma), 1.0 / (1.0 - n));
        double rt = fmin(1.0, 1.0 / b);
        tau = theta <= 0 ? fmin(rt * sp, sigma) : rt * fmin(sp, 1 / theta);
        phi = (1 - theta) / sigma;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double vi = s[i] / ys - hy[i] / yhy, vj = s[j] / ys - hy[j] / yhy;
            H1[i * n + j] = (Hb[i * n + j] - hy[i] * hy[j] / yhy + phi * yhy * vi * vj) / tau +
                            s[i] * s[j] / ys;
        }
}

/* Three steps on a 4-D quadratic: after each, the stored H equals the update formula
 * applied to the previous H, is symmetric, and satisfies the secant equation H·y = s. */
static void test_dense_update_formula(void)
{
    enum { N = 4 };
    static const double Q[N * N] = {4, 1, 0, 0.5, 1, 3, 0.2, 0, 0, 0.2, 2, 0.3, 0.5, 0, 0.3, 1};
    static const double cmin[N] = {0.3, -0.2, 0.5, 1.0};
    static const nt_qn_update us[3] = {NT_QN_BFGS, NT_QN_SSBFGS, NT_QN_SSBROYDEN};
    for (int k = 0; k < 3; k++) {
        nt_params p;
        CHECK_OK(nt_params_init(&p, NT_F64, N));
        CHECK(nt_params_add(&p, "x", 1, N) != NULL);
        for (int i = 0; i < N; i++) pset(&p, i, 2.0 - i);
        nt_lbfgs o;
        nt_lbfgs_config cfg = nt_lbfgs_config_default(NT_F64);
        cfg.update = us[k];
        CHECK_OK(nt_lbfgs_init(&o, &p, &cfg));
        CHECK(o.H != NULL && o.cfg.history == 1);
        obj_ctx c = {0};
        c.Q = Q;
        c.c = cmin;
        double Hprev[N * N], Hexp[N * N], g0[N], d[N], dmax = 0, smax = 0, secant = 0;
        memcpy(Hprev, o.H, sizeof Hprev);
        for (int step = 0; step < 3; step++) {
            if (step > 0)
                for (int i = 0; i < N; i++) g0[i] = o.g0[i];
            CHECK(nt_lbfgs_step(&o, quad, &c) == NT_LBFGS_RUNNING);
            if (step == 0) /* the start point's gradient: g_new − y */
                for (int i = 0; i < N; i++) g0[i] = gget(&p, i) - o.y[i];
            /* d = −Hprev·g0 (the first step is steepest descent: Hprev = I) */
            double sd = 0, dd = 0;
            for (int i = 0; i < N; i++) {
                d[i] = 0;
                for (int j = 0; j < N; j++) d[i] -= Hprev[i * N + j] * g0[j];
                sd += o.s[i] * d[i];
                dd += d[i] * d[i];
            }
            expected_update(us[k], N, Hprev, o.s, o.y, g0, sd / dd, Hexp);
            for (int i = 0; i < N; i++) {
                double hy = 0;
                for (int j = 0; j < N; j++) {
                    dmax = fmax(dmax, fabs(o.H[i * N + j] - Hexp[i * N + j]) / fabs(Hexp[i * N + i]));
                    smax = fmax(smax, fabs(o.H[i * N + j] - o.H[j * N + i]));
                    hy += o.H[i * N + j] * o.y[j];
                }
                secant = fmax(secant, fabs(hy - o.s[i]) / (fabs(o.s[i]) + 1e-300));
            }
            memcpy(Hprev, o.H, sizeof Hprev);
        }
        printf("     %s: 3 updates, max rel. deviation from the formula %.1e, asymmetry %.1e, "
               "secant residual %.1e\n",
               nt_qn_update_name(us[k]), dmax, smax, secant);
        CHECK(dmax < 1e-10);
        CHECK(smax < 1e-12);
        CHECK(secant < 1e-8);
        nt_lbfgs_free(&o);
        nt_params_free(&p);
    }
}

/* A restart (new objective) keeps the dense matrix; too many parameters for a dense
 * matrix is a located error, not an allocation attempt. */
static void test_dense_restart_and_limit(void)
{
    nt_params p;
    CHECK_OK(nt_params_init(&p, NT_F64, 4));
    CHECK(nt_params_add(&p, "x", 1, 4) != NULL);
    for (int i = 0; i < 4; i++) pset(&p, i, i % 2 == 0 ? -1.2 : 1.0);
    nt_lbfgs o;
    nt_lbfgs_config cfg = nt_lbfgs_config_default(NT_F64);
    cfg.update = NT_QN_SSBROYDEN;
    CHECK_OK(nt_lbfgs_init(&o, &p, &cfg));
    obj_ctx c = {0};
    for (int i = 0; i < 5; i++) CHECK(nt_lbfgs_step(&o, rosen, &c) == NT_LBFGS_RUNNING);
    double H[16];
    memcpy(H, o.H, sizeof H);
    CHECK(H[1] != 0); /* updated, not the identity */
    nt_lbfgs_restart(&o);
    CHECK(memcmp(H, o.H, sizeof H) == 0 && o.k == 1);
    int f_ok;
    c.ra = 2;
    nt_lbfgs_state st = run_to_end(&o, rosen, &c, 500, &f_ok);
    CHECK(terminal(st) && st != NT_LBFGS_NONFINITE && f_ok);
    CHECK_NEAR(pget(&p, 0), 2.0, 1e-8);
    CHECK_NEAR(pget(&p, 1), 4.0, 1e-8);
    nt_lbfgs_free(&o);
    nt_params_free(&p);

    CHECK_OK(nt_params_init(&p, NT_F64, NT_QN_DENSE_MAX + 1));
    CHECK(nt_params_add(&p, "x", 1, NT_QN_DENSE_MAX + 1) != NULL);
    cfg.update = NT_QN_BFGS;
    CHECK(nt_lbfgs_init(&o, &p, &cfg) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "bfgs keeps a dense inverse Hessian") && strstr(nt_error_msg(), "use lbfgs"));
    CHECK(o.H == NULL && o.s == NULL);
    nt_params_free(&p);
}

/* Steps leave the heap as they found it (nt_lbfgs_init allocates everything; glibc's
 * mallinfo2 sees net allocations only, so this catches leaks and retained buffers). */
static void test_heap_unchanged_by_steps(void)
{
#ifdef HAVE_MALLINFO2
    nt_params p;
    CHECK_OK(nt_params_init(&p, NT_F64, 10));
    CHECK(nt_params_add(&p, "x", 1, 10) != NULL);
    for (int i = 0; i < 10; i++) pset(&p, i, i % 2 == 0 ? -1.2 : 1.0);
    nt_lbfgs o;
    for (int k = 0; k < 2; k++) { /* L-BFGS and dense SSBroyden */
        nt_lbfgs_config cfg = nt_lbfgs_config_default(NT_F64);
        cfg.update = k ? NT_QN_SSBROYDEN : NT_QN_LBFGS;
        CHECK_OK(nt_lbfgs_init(&o, &p, &cfg));
        obj_ctx c = {0};
        struct mallinfo2 before = mallinfo2();
        for (int i = 0; i < 50; i++) nt_lbfgs_step(&o, rosen, &c);
        struct mallinfo2 after = mallinfo2();
        CHECK(before.uordblks == after.uordblks && before.hblkhd == after.hblkhd);
        nt_lbfgs_free(&o);
        for (int i = 0; i < 10; i++) pset(&p, i, i % 2 == 0 ? -1.2 : 1.0);
    }
    nt_params_free(&p);
#endif
}

int main(void)
{
    RUN(test_config_default);
    RUN(test_rosenbrock_f64);
    RUN(test_restart);
    RUN(test_rosenbrock_f32);
    RUN(test_rosenbrock_chained);
    RUN(test_ill_conditioned_quadratic);
    RUN(test_nan_backoff);
    RUN(test_nan_wall_unreachable_min);
    RUN(test_terminal_is_sticky);
    RUN(test_nonfinite_start);
    RUN(test_f32_least_squares_plateau);
    RUN(test_flaky_nan);
    RUN(test_mlp_fit);
    RUN(test_negative_curvature_pair_skipped);
    RUN(test_dense_convergence);
    RUN(test_dense_update_formula);
    RUN(test_dense_restart_and_limit);
    RUN(test_heap_unchanged_by_steps);
    return nt_test_finish();
}

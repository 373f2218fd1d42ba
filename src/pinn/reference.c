/* reference.c — problem references from the classical solvers (see reference.h). */
#include "pinn/reference.h"
#include "core/internal.h"
#include "solvers/fd.h"
#include "solvers/flow.h"
#include "solvers/solvers.h"

#include <complex.h>
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Fourier coefficients of each snapshot: c[s*n + k], k = 0..n-1 in FFTW order,
 * divided by n. Real snapshots (nc = 1) or interleaved complex ones (nc = 2). */
static nt_status fourier(const double *snap, int64_t ns, int n, int nc, double complex *c)
{
    double complex *buf = fftw_malloc((size_t)n * sizeof(double complex));
    double *rbuf = fftw_malloc((size_t)n * sizeof(double));
    if (!buf || !rbuf) {
        fftw_free(buf);
        fftw_free(rbuf);
        return nt_set_error(NT_ERR_NOMEM, "out of memory for the reference");
    }
    fftw_plan pl = nc == 1 ? fftw_plan_dft_r2c_1d(n, rbuf, (fftw_complex *)buf, FFTW_ESTIMATE)
                           : fftw_plan_dft_1d(n, (fftw_complex *)buf, (fftw_complex *)buf, FFTW_FORWARD, FFTW_ESTIMATE);
    for (int64_t s = 0; s < ns; s++) {
        const double *u = snap + s * (int64_t)n * nc;
        if (nc == 1) {
            memcpy(rbuf, u, (size_t)n * sizeof(double));
        } else {
            for (int j = 0; j < n; j++) buf[j] = u[2 * j] + I * u[2 * j + 1];
        }
        fftw_execute(pl);
        double complex *cs = c + s * (int64_t)n;
        if (nc == 1) {
            for (int k = 0; k <= n / 2; k++) cs[k] = buf[k] / n;
            for (int k = n / 2 + 1; k < n; k++) cs[k] = conj(cs[n - k]);
        } else {
            for (int k = 0; k < n; k++) cs[k] = buf[k] / n;
        }
    }
    fftw_destroy_plan(pl);
    fftw_free(buf);
    fftw_free(rbuf);
    return NT_OK;
}

/* The trigonometric interpolant of one snapshot at s = (x − x0)/L in [0, 1]:
 * modes −n/2+1..n/2−1 plus the Nyquist mode as a cosine. */
static double complex interp(const double complex *c, int n, double s)
{
    double complex w = cexp(2 * I * NT_PI * s), e = 1, sum = c[0];
    for (int k = 1; k < n / 2; k++) {
        e *= w;
        sum += c[k] * e + c[n - k] * conj(e);
    }
    sum += c[n / 2] * cos(NT_PI * n * s);
    return sum;
}

static nt_status solve_spectral(const nt_problem *p, int64_t n, const double *x, double *u, int *has)
{
    int D = p->env.n_vars, F = p->env.n_fields, iv = p->ref_space_var, it = p->time_var;
    nt_spectral_config c;
    nt_spectral_config_default(&c, (nt_spectral_pde)p->ref_spec_pde);
    c.x0 = p->lo[iv];
    c.x1 = p->hi[iv];
    c.n = p->ref_spec_n;
    c.dt = p->ref_spec_dt;
    c.scheme = p->ref_spec_scheme;
    c.nu = p->ref_spec_nu;
    memcpy(c.c, p->ref_spec_c, sizeof c.c);
    int N = c.n, nc = p->ref_spec_pde == NT_SPEC_NLS ? 2 : 1;
    double t0 = p->lo[it], L = c.x1 - c.x0;
    for (int64_t i = 0; i < n; i++) {
        double xi = x[i * D + iv], ti = x[i * D + it];
        if (!(ti >= t0) || !(xi >= c.x0 - 1e-12 * L) || !(xi <= c.x1 + 1e-12 * L))
            return nt_set_error(NT_ERR_ARG, "reference point (%s = %g, %s = %g) is outside the domain", p->env.vars[iv], xi,
                                p->env.vars[it], ti);
    }
    double *times = malloc((size_t)n * sizeof(double));
    double *grid = malloc((size_t)N * D * sizeof(double)), *u0 = malloc((size_t)N * nc * sizeof(double));
    double *col = malloc((size_t)N * sizeof(double));
    double *snap = NULL, *t_out = NULL;
    double complex *coef = NULL;
    nt_status st = NT_OK;
    if (!times || !grid || !u0 || !col) {
        st = nt_set_error(NT_ERR_NOMEM, "out of memory for the reference");
        goto done;
    }
    int64_t nt = nt_sorted_unique(x, n, D, it, times);
    /* initial values on the solver grid */
    for (int j = 0; j < N; j++) {
        for (int v = 0; v < D; v++) grid[j * D + v] = 0;
        grid[j * D + iv] = c.x0 + L * j / N;
        grid[j * D + it] = t0;
    }
    double unk[NT_EXPR_MAX_UNKNOWNS];
    for (int k = 0; k < p->env.n_unknowns; k++)
        unk[k] = isfinite(p->unknown_true[k]) ? p->unknown_true[k] : p->unknown_init[k];
    for (int f = 0; f < nc; f++) {
        if ((st = nt_expr_eval(&p->ref_init[f], N, grid, unk, NULL, col))) goto done;
        for (int j = 0; j < N; j++) u0[j * nc + f] = col[j];
    }
    t_out = malloc((size_t)nt * sizeof(double));
    snap = malloc((size_t)(nt * N * nc) * sizeof(double));
    coef = malloc((size_t)(nt * N) * sizeof(double complex));
    if (!t_out || !snap || !coef) {
        st = nt_set_error(NT_ERR_NOMEM, "out of memory for the reference (%lld snapshots of %d points)", (long long)nt, N);
        goto done;
    }
    for (int64_t k = 0; k < nt; k++) t_out[k] = times[k] - t0;
    if (nt > INT32_MAX) {
        st = nt_set_error(NT_ERR_ARG, "too many reference times");
        goto done;
    }
    if ((st = nt_spectral_solve(&c, u0, t_out, (int)nt, snap))) goto done;
    if ((st = fourier(snap, nt, N, nc, coef))) goto done;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) {
        int64_t k = nt_sorted_find(times, nt, x[i * D + it]);
        double s = (x[i * D + iv] - c.x0) / L;
        double complex h = interp(coef + k * N, N, s);
        for (int f = 0; f < F; f++) u[i * F + f] = NAN;
        u[i * F + 0] = creal(h);
        if (nc == 2) u[i * F + 1] = cimag(h);
    }
    for (int f = 0; f < F; f++) has[f] = f < nc;
done:
    free(times);
    free(grid);
    free(u0);
    free(col);
    free(t_out);
    free(snap);
    free(coef);
    return st;
}

/* Cubic Lagrange weights of the 4 nodes i0..i0+3 of a uniform grid (step 1) at s. */
static void cubic_weights(double s, int i0, double w[4])
{
    for (int a = 0; a < 4; a++) {
        double v = 1;
        for (int b = 0; b < 4; b++)
            if (b != a) v *= (s - (i0 + b)) / (double)(a - b);
        w[a] = v;
    }
}

/* Bicubic interpolation of the n × n node field f (f[iy*n + ix] on [0,1]^2) at (x, y);
 * the 4-point stencil is shifted inwards at the walls. */
static double bicubic(const double *f, int n, double x, double y)
{
    double sx = x * (n - 1), sy = y * (n - 1), wx[4], wy[4];
    int ix = (int)floor(sx) - 1, iy = (int)floor(sy) - 1;
    ix = ix < 0 ? 0 : ix > n - 4 ? n - 4 : ix;
    iy = iy < 0 ? 0 : iy > n - 4 ? n - 4 : iy;
    cubic_weights(sx, ix, wx);
    cubic_weights(sy, iy, wy);
    double v = 0;
    for (int b = 0; b < 4; b++)
        for (int a = 0; a < 4; a++) v += wy[b] * wx[a] * f[(iy + b) * n + ix + a];
    return v;
}

/* Lid-driven cavity: the velocity (the pressure only up to a constant, so it is not
 * used as a reference for a PINN whose pressure is free of a gauge condition). */
static nt_status solve_cavity(const nt_problem *p, int64_t n, const double *x, double *u, int *has)
{
    int D = p->env.n_vars, F = p->env.n_fields, N = p->ref_solver_n;
    nt_cavity_config c;
    nt_cavity_config_default(&c);
    c.n = N;
    c.re = p->ref_re;
    double *uu = malloc((size_t)N * N * sizeof(double)), *vv = malloc((size_t)N * N * sizeof(double));
    nt_status st = NT_OK;
    if (!uu || !vv) {
        st = nt_set_error(NT_ERR_NOMEM, "out of memory for the cavity reference");
        goto done;
    }
    nt_cavity_info info;
    if ((st = nt_cavity_solve(&c, uu, vv, NULL, NULL, NULL, &info))) goto done;
    for (int64_t i = 0; i < n; i++) {
        double px = x[i * D + 0], py = x[i * D + 1];
        if (!(px >= 0 && px <= 1 && py >= 0 && py <= 1)) {
            st = nt_set_error(NT_ERR_ARG, "reference point (%g, %g) is outside the unit square", px, py);
            goto done;
        }
        for (int f = 0; f < F; f++) u[i * F + f] = NAN;
        u[i * F + 0] = bicubic(uu, N, px, py);
        u[i * F + 1] = bicubic(vv, N, px, py);
    }
    for (int f = 0; f < F; f++) has[f] = f < 2;
done:
    free(uu);
    free(vv);
    return st;
}

/* ---- finite-difference references ---------------------------------------------- */

typedef struct fd_ref {
    const nt_problem *p;
    int ns, sv[2];       /* space variables */
    double t0;
    const nt_condition *face[NT_EXPR_MAX_VARS][2]; /* Dirichlet condition of each box face */
    const nt_condition *geom;                      /* Dirichlet condition on the geometry */
    const nt_condition *u0, *v0;                   /* initial value and initial rate */
    double unk[NT_EXPR_MAX_UNKNOWNS];
    char missing[128];   /* first boundary without a Dirichlet value */
} fd_ref;

static double zero_field(void *user, int field, const int *counts, const double *coords)
{
    (void)user, (void)field, (void)counts, (void)coords;
    return 0;
}

/* The condition's target written as `key(...)` in its label: 1 if key matches. */
static int cond_targets(const nt_condition *c, const char *key)
{
    size_t L = strlen(key);
    return c->kind == NT_COND_EXPR && !strncmp(c->label, key, L) && c->label[L] == '(';
}

/* Value of a condition `target: value` at the row (problem variables + normal):
 * the residual target − value with every field and derivative set to 0. */
static double cond_value(const fd_ref *r, const nt_condition *c, const double *row)
{
    double v = NAN;
    if (nt_expr_eval_fn(&c->residual, 1, row, r->unk, zero_field, NULL, &v)) return NAN;
    return -v;
}

static void fd_row(const fd_ref *r, const double *x, double t, double *row)
{
    const nt_problem *p = r->p;
    for (int v = 0; v <= p->env.n_vars; v++) row[v] = 0;
    for (int k = 0; k < r->ns; k++) row[r->sv[k]] = x[k];
    if (p->time_var >= 0) row[p->time_var] = r->t0 + t;
}

static double fd_u0(const double *x, double t, void *ctx)
{
    fd_ref *r = ctx;
    double row[NT_EXPR_MAX_VARS + 1];
    fd_row(r, x, t, row);
    return cond_value(r, r->u0, row);
}

static double fd_v0(const double *x, double t, void *ctx)
{
    fd_ref *r = ctx;
    double row[NT_EXPR_MAX_VARS + 1];
    fd_row(r, x, t, row);
    return cond_value(r, r->v0, row);
}

static double fd_source(const double *x, double t, void *ctx)
{
    fd_ref *r = ctx;
    double row[NT_EXPR_MAX_VARS + 1], v = NAN;
    fd_row(r, x, t, row);
    nt_expr_eval(&r->p->ref_fd_f, 1, row, r->unk, NULL, &v);
    return v;
}

static double fd_g(const double *x, double t, void *ctx)
{
    fd_ref *r = ctx;
    const nt_problem *p = r->p;
    double row[NT_EXPR_MAX_VARS + 1];
    fd_row(r, x, t, row);
    for (int k = 0; k < r->ns; k++) {
        int v = r->sv[k];
        double tol = 1e-12 * (p->hi[v] - p->lo[v]);
        for (int side = 0; side < 2; side++) {
            double b = side ? p->hi[v] : p->lo[v];
            if (fabs(x[k] - b) <= tol && r->face[v][side]) return cond_value(r, r->face[v][side], row);
        }
    }
    if (r->geom) return cond_value(r, r->geom, row);
    if (!r->missing[0]) snprintf(r->missing, sizeof r->missing, "(%g, %g)", x[0], r->ns > 1 ? x[1] : 0.0);
    return 0;
}

static double fd_inside(const double *x, double t, void *ctx)
{
    fd_ref *r = ctx;
    const nt_problem *p = r->p;
    double row[NT_EXPR_MAX_VARS + 1], xs[NT_GEOM_MAX_DIM];
    fd_row(r, x, t, row);
    for (int k = 0; k < p->geom.dim; k++) xs[k] = row[p->geom_var[k]];
    double scale = 0;
    for (int k = 0; k < r->ns; k++) scale = fmax(scale, p->hi[r->sv[k]] - p->lo[r->sv[k]]);
    return nt_geom_sdf(&p->geom, xs) < -1e-9 * scale ? 1 : -1; /* strictly inside: unknown */
}

/* Cubic Lagrange interpolation of a grid function (x fastest, n[0] × n[1] nodes;
 * n[1] = 1 in 1D) at the point x. */
static double grid_interp(const double *f, const nt_fd_grid *g, const double *x)
{
    double w[2][4];
    int i0[2] = {0, 0}, m[2] = {1, 1};
    for (int d = 0; d < g->dim; d++) {
        int n = g->n[d];
        double s = (x[d] - g->lo[d]) / (g->hi[d] - g->lo[d]) * (n - 1);
        if (n < 4) { /* linear */
            int i = (int)floor(s);
            i = i < 0 ? 0 : i > n - 2 ? n - 2 : i;
            i0[d] = i;
            m[d] = 2;
            w[d][0] = i + 1 - s;
            w[d][1] = s - i;
            continue;
        }
        int i = (int)floor(s) - 1;
        i = i < 0 ? 0 : i > n - 4 ? n - 4 : i;
        i0[d] = i;
        m[d] = 4;
        cubic_weights(s, i, w[d]);
    }
    if (g->dim == 1) w[1][0] = 1;
    double v = 0;
    int nx = g->n[0];
    for (int b = 0; b < m[1]; b++)
        for (int a = 0; a < m[0]; a++) v += w[1][b] * w[0][a] * f[(i0[1] + b) * nx + i0[0] + a];
    return v;
}

static nt_status solve_fd(const nt_problem *p, int64_t n, const double *x, double *u, int *has)
{
    int D = p->env.n_vars, it = p->time_var, eq = p->ref_fd_eq;
    const char *field = p->env.fields[0];
    fd_ref r;
    memset(&r, 0, sizeof r);
    r.p = p;
    for (int v = 0; v < D; v++)
        if (v != it) r.sv[r.ns++] = v;
    r.t0 = it >= 0 ? p->lo[it] : 0;
    for (int k = 0; k < p->env.n_unknowns; k++)
        r.unk[k] = isfinite(p->unknown_true[k]) ? p->unknown_true[k] : p->unknown_init[k];
    char rate[2 * NT_EXPR_NAME + 2];
    snprintf(rate, sizeof rate, "%s_%s", field, it >= 0 ? p->env.vars[it] : "");
    for (int k = 0; k < p->n_cond; k++) {
        const nt_condition *c = &p->cond[k];
        int value = cond_targets(c, field), dot = it >= 0 && cond_targets(c, rate);
        if (!value && !dot) continue;
        for (int f = 0; f < c->n_faces; f++) {
            const nt_face *fc = &c->faces[f];
            if (fc->geom) {
                if (value && !r.geom) r.geom = c;
            } else if (fc->var == it && fc->side == 0) {
                if (value && !r.u0) r.u0 = c;
                if (dot && !r.v0) r.v0 = c;
            } else if (fc->var != it && value && !r.face[fc->var][fc->side]) {
                r.face[fc->var][fc->side] = c;
            }
        }
    }
    int timed = eq == NT_FD_HEAT || eq == NT_FD_WAVE;
    if (timed && !r.u0)
        return nt_set_error(NT_ERR_ARG, "the fd reference needs the initial value: a condition {where: initial, %s: ...}", field);
    nt_fd_grid g;
    memset(&g, 0, sizeof g);
    g.dim = r.ns;
    double hmin = INFINITY;
    for (int k = 0; k < r.ns; k++) {
        g.n[k] = p->ref_fd_n[k];
        g.lo[k] = p->lo[r.sv[k]];
        g.hi[k] = p->hi[r.sv[k]];
        hmin = fmin(hmin, (g.hi[k] - g.lo[k]) / (g.n[k] - 1));
    }
    if (r.ns == 1) g.n[1] = 1;
    int64_t nodes = (int64_t)g.n[0] * g.n[1];
    double *times = NULL, *t_out = NULL, *out = NULL, *a = NULL;
    int64_t nt = 1;
    nt_status st = NT_OK;
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < r.ns; k++) {
            double v = x[i * D + r.sv[k]];
            if (!(v >= g.lo[k] - 1e-12 * (g.hi[k] - g.lo[k]) && v <= g.hi[k] + 1e-12 * (g.hi[k] - g.lo[k])))
                return nt_set_error(NT_ERR_ARG, "reference point %s = %g is outside the domain", p->env.vars[r.sv[k]], v);
        }
    if (timed) {
        times = malloc((size_t)n * sizeof(double));
        if (!times) return nt_set_error(NT_ERR_NOMEM, "out of memory for the reference");
        nt = nt_sorted_unique(x, n, D, it, times);
        if (nt > INT32_MAX || !(times[0] >= r.t0)) {
            free(times);
            return nt_set_error(NT_ERR_ARG, "reference times must lie in the domain");
        }
    }
    t_out = malloc((size_t)nt * sizeof(double));
    out = malloc((size_t)(nt * nodes) * sizeof(double));
    if (!t_out || !out) {
        st = nt_set_error(NT_ERR_NOMEM, "out of memory for the reference (%lld snapshots of %lld nodes)", (long long)nt,
                          (long long)nodes);
        goto done;
    }
    for (int64_t k = 0; k < nt; k++) t_out[k] = timed ? times[k] - r.t0 : 0;
    nt_fd_fn f = p->ref_fd_f.root ? fd_source : NULL;
    if (eq == NT_FD_HEAT) {
        nt_fd_heat_config c;
        nt_fd_heat_config_default(&c, r.ns);
        c.grid = g;
        c.kappa = p->ref_fd_coef;
        c.dt = p->ref_fd_dt > 0 ? p->ref_fd_dt : hmin;
        c.u0 = fd_u0, c.f = f, c.g = fd_g, c.ctx = &r;
        st = nt_fd_heat_solve(&c, t_out, (int)nt, out, NULL);
    } else if (eq == NT_FD_WAVE) {
        nt_fd_wave_config c;
        nt_fd_wave_config_default(&c, r.ns);
        c.grid = g;
        c.c = p->ref_fd_coef;
        c.dt = p->ref_fd_dt > 0 ? p->ref_fd_dt : 0.5 * hmin / (c.c * sqrt((double)r.ns));
        c.u0 = fd_u0, c.v0 = r.v0 ? fd_v0 : NULL, c.f = f, c.g = fd_g, c.ctx = &r;
        st = nt_fd_wave_solve(&c, t_out, (int)nt, out, NULL);
    } else {
        nt_fd_elliptic_config c;
        nt_fd_elliptic_config_default(&c);
        c.grid = g;
        c.f = f, c.g = fd_g, c.ctx = &r;
        c.inside = p->has_geom ? fd_inside : NULL;
        if (eq == NT_FD_DARCY) {
            if (!(a = malloc((size_t)nodes * sizeof(double)))) {
                st = nt_set_error(NT_ERR_NOMEM, "out of memory for the reference");
                goto done;
            }
            double row[NT_EXPR_MAX_VARS + 1], xy[2];
            for (int j = 0; j < g.n[1]; j++)
                for (int i = 0; i < g.n[0]; i++) {
                    xy[0] = nt_fd_node(&g, 0, i);
                    xy[1] = nt_fd_node(&g, 1, j);
                    fd_row(&r, xy, 0, row);
                    nt_expr_eval(&p->ref_fd_a, 1, row, r.unk, NULL, &a[j * g.n[0] + i]);
                }
            c.a = a;
            st = nt_fd_darcy_solve(&c, out, NULL);
        } else {
            st = nt_fd_poisson_solve(&c, out, NULL);
        }
    }
    if (!st && r.missing[0])
        st = nt_set_error(NT_ERR_ARG, "the fd reference needs Dirichlet values on the whole boundary: none at %s "
                                      "(add a condition {where: ..., %s: ...})", r.missing, field);
    if (st) goto done;
    for (int64_t i = 0; i < n; i++) {
        int64_t k = timed ? nt_sorted_find(times, nt, x[i * D + it]) : 0;
        double xs[2] = {x[i * D + r.sv[0]], r.ns > 1 ? x[i * D + r.sv[1]] : 0};
        u[i] = grid_interp(out + k * nodes, &g, xs);
        if (p->has_geom) {
            double row[NT_EXPR_MAX_VARS + 1];
            fd_row(&r, xs, 0, row);
            if (!nt_problem_in_domain(p, x + i * D)) u[i] = NAN;
        }
    }
    has[0] = 1;
done:
    free(times);
    free(t_out);
    free(out);
    free(a);
    return st;
}

nt_status nt_reference_solve(const nt_problem *p, int64_t n, const double *x, double *u, int *has)
{
    NT_ASSERT(p && x && u && has, "NULL argument");
    switch (p->ref_kind) {
    case NT_REF_SPECTRAL:
        return solve_spectral(p, n, x, u, has);
    case NT_REF_CAVITY:
        return solve_cavity(p, n, x, u, has);
    case NT_REF_FD:
        return solve_fd(p, n, x, u, has);
    default:
        break;
    }
    return nt_set_error(NT_ERR_ARG, "the problem's reference is not a solver reference");
}

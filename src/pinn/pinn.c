/* pinn.c — network, points, loss, prediction and reference errors of a problem.
 *
 * One loss evaluation: the residual points are processed in chunks; each chunk's
 * jet forward gives every derivative the PDE names (one stacked GEMM per layer),
 * the compiled residual expressions run on the tape, and one reverse pass adds the
 * chunk's share of the gradient. The condition and data terms ride along with the
 * first chunk. */
#include "pinn/pinn.h"
#include "pinn/reference.h"
#include "pinn/hard.h"
#include "pinn/mstage.h"
#include "pinn/windows.h"
#include "core/internal.h"
#include "solvers/solvers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------ */
/* Jet specs                                                                        */

typedef struct spec_ctx {
    nt_jet_spec *s;
    int nv;           /* domain variables; counts[nv] is the normal pseudo-variable */
    int normal_needed;
    nt_status st;
} spec_ctx;

static void spec_add(void *user, int field, const int *counts)
{
    (void)field;
    spec_ctx *c = user;
    int cc[NT_JET_MAX_DIM] = {0};
    for (int v = 0; v < c->nv; v++) cc[v] = counts[v];
    if (counts[c->nv]) c->normal_needed = 1;
    if (nt_jet_spec_add(c->s, cc) < 0) c->st = NT_ERR_ARG;
}

/* A face whose points lie on the geometry's boundary (normals from the geometry). */
static int geom_face(const nt_problem *p, const nt_face *f)
{
    return f->geom || (p->has_geom && f->var != p->time_var);
}

static nt_status build_specs(nt_pinn *m)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars;
    nt_jet_spec_init(&m->rspec, D);
    nt_jet_spec_init(&m->cspec, D);
    spec_ctx rc = {&m->rspec, D, 0, NT_OK}, cc = {&m->cspec, D, 0, NT_OK};
    for (int k = 0; k < p->n_pde; k++) nt_expr_visit_fields(&p->pde[k], spec_add, &rc);
    for (int c = 0; c < p->n_cond; c++) {
        const nt_condition *cd = &p->cond[c];
        if (cd->kind == NT_COND_PERIODIC) {
            if (cd->periodic_order > 0) {
                int counts[NT_JET_MAX_DIM] = {0};
                counts[cd->periodic_var] = 1;
                if (nt_jet_spec_add(&m->cspec, counts) < 0) cc.st = NT_ERR_ARG;
            }
            continue;
        }
        cc.normal_needed = 0;
        nt_expr_visit_fields(&cd->residual, spec_add, &cc);
        if (cc.normal_needed)
            for (int f = 0; f < cd->n_faces; f++) {
                /* a geometry face: u_n = sum_k n_k u_{x_k} needs every first derivative */
                int gf = geom_face(p, &cd->faces[f]);
                for (int k = 0; k < (gf ? p->geom.dim : 1); k++) {
                    int counts[NT_JET_MAX_DIM] = {0};
                    counts[gf ? p->geom_var[k] : cd->faces[f].var] = 1;
                    if (nt_jet_spec_add(&m->cspec, counts) < 0) cc.st = NT_ERR_ARG;
                }
            }
    }
    if (rc.st || cc.st) return nt_set_error(NT_ERR_ARG, "too many derivative streams: %s", nt_error_msg());
    nt_status st = nt_jet_spec_build(&m->rspec);
    return st ? st : nt_jet_spec_build(&m->cspec);
}

/* ------------------------------------------------------------------------------ */
/* Points                                                                           */

/* The box the points are drawn from: the domain's, with the time interval cut to
 * the current window (time marching, time windows). */
static void point_box(const nt_pinn *m, double *lo, double *hi)
{
    const nt_problem *p = m->prob;
    int tv = p->time_var;
    memcpy(lo, p->lo, sizeof p->lo);
    memcpy(hi, p->hi, sizeof p->hi);
    if (tv < 0) return;
    if (m->t_hi > p->lo[tv] && m->t_hi < p->hi[tv]) hi[tv] = m->t_hi;
    if (m->t_lo > p->lo[tv] && m->t_lo < hi[tv]) lo[tv] = m->t_lo;
}

/* n points of the residual domain (the time window when marching) into out. */
static nt_status sample_domain(nt_pinn *m, int64_t n, double *out)
{
    const nt_problem *p = m->prob;
    int tv = p->time_var;
    double lo[NT_EXPR_MAX_VARS], hi[NT_EXPR_MAX_VARS];
    point_box(m, lo, hi);
    if (p->has_geom) {
        nt_geom_embed e;
        nt_problem_geom_embed(p, &e);
        if (tv >= 0 && tv < NT_SAMPLER_MAX_DIM) {
            e.lo[tv] = lo[tv];
            e.hi[tv] = hi[tv];
        }
        return nt_geom_sample_interior(&p->geom, p->sampler, &e, n, &m->rng, &m->gwork, out);
    }
    return nt_sample_box(p->sampler, p->env.n_vars, lo, hi, n, &m->rng, out);
}

static void points_changed(nt_pinn *m);

static nt_status sample_res(nt_pinn *m)
{
    nt_status st = sample_domain(m, m->n_res, m->x_res);
    if (!st) points_changed(m);
    return st;
}

/* With a geometry: the measure of face f of a condition (its part of the boundary
 * × the time interval, or the interior for a time face). */
static double geom_face_measure(const nt_problem *p, const nt_condition *cd, int f)
{
    double a = cd->face_measure[f];
    int tv = p->time_var;
    if (tv >= 0 && cd->faces[f].var != tv) a *= p->hi[tv] - p->lo[tv];
    return a;
}

/* With a geometry: n points of face f (rows a), normals (rows nrm) on the boundary. */
static nt_status sample_geom_face(nt_pinn *m, const nt_condition *cd, int f, int64_t n, double *a, double *nrm)
{
    const nt_problem *p = m->prob;
    const nt_face *fc = &cd->faces[f];
    nt_geom_embed e;
    nt_problem_geom_embed(p, &e);
    int tv = p->time_var;
    double lo[NT_EXPR_MAX_VARS], hi[NT_EXPR_MAX_VARS];
    point_box(m, lo, hi);
    if (tv >= 0 && tv < NT_SAMPLER_MAX_DIM) {
        e.lo[tv] = lo[tv];
        e.hi[tv] = hi[tv];
    }
    if (!fc->geom && fc->var == tv) { /* the interior at t = end (of the window) */
        e.lo[fc->var] = e.hi[fc->var] = fc->side ? hi[fc->var] : lo[fc->var];
        return nt_geom_sample_interior(&p->geom, p->sampler, &e, n, &m->rng, &m->gwork, a);
    }
    nt_face_sel sel = {p, cd, fc->geom ? -1 : fc->var, fc->side};
    return nt_geom_sample_boundary(&p->geom, p->sampler, &e, n, nt_face_keep, &sel, &m->rng, &m->gwork, a, nrm);
}

/* Face measure (product of the other extents); 1 for a point face. */
static double face_measure(const nt_problem *p, int var)
{
    double a = 1;
    for (int v = 0; v < p->env.n_vars; v++)
        if (v != var) a *= p->hi[v] - p->lo[v];
    return a;
}

static nt_status sample_cond(nt_pinn *m)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars;
    int64_t row = 0;
    nt_status st;
    double lo[NT_EXPR_MAX_VARS], hi[NT_EXPR_MAX_VARS];
    point_box(m, lo, hi);
    for (int c = 0; c < p->n_cond; c++) {
        const nt_condition *cd = &p->cond[c];
        if (cd->kind == NT_COND_PERIODIC) {
            int64_t n = cd->n_points;
            double *a = m->x_cond + row * D, *b = a + n * D;
            if ((st = nt_sample_box(p->sampler, D, lo, hi, n, &m->rng, a))) return st;
            memcpy(b, a, (size_t)(n * D) * sizeof(double));
            for (int64_t i = 0; i < n; i++) {
                a[i * D + cd->periodic_var] = p->lo[cd->periodic_var];
                b[i * D + cd->periodic_var] = p->hi[cd->periodic_var];
            }
            m->cond_off[c][0] = row;
            m->cond_off[c][1] = row + n;
            m->cond_off[c][2] = row + 2 * n;
            row += 2 * n;
            continue;
        }
        double total = 0, fm[NT_PROB_MAX_FACES];
        for (int f = 0; f < cd->n_faces; f++)
            total += fm[f] = p->has_geom ? geom_face_measure(p, cd, f) : face_measure(p, cd->faces[f].var);
        int64_t left = cd->n_points;
        for (int f = 0; f < cd->n_faces; f++) {
            int64_t n = f == cd->n_faces - 1 ? left : (int64_t)llround((double)cd->n_points * fm[f] / total);
            n = NT_MAX(n, 1);
            if (f < cd->n_faces - 1) n = NT_MIN(n, left - (cd->n_faces - 1 - f));
            n = NT_MAX(n, 1);
            left -= n;
            double *a = m->x_cond + row * D;
            if (p->has_geom) {
                if ((st = sample_geom_face(m, cd, f, n, a, m->cond_nrm + row * p->geom.dim))) return st;
            } else {
                if ((st = nt_sample_box(p->sampler, D, lo, hi, n, &m->rng, a))) return st;
                int v = cd->faces[f].var;
                for (int64_t i = 0; i < n; i++) a[i * D + v] = cd->faces[f].side ? hi[v] : lo[v];
            }
            m->cond_off[c][f] = row;
            row += n;
        }
        m->cond_off[c][cd->n_faces] = row;
    }
    m->n_cond_pts = row;
    return NT_OK;
}

static int64_t cond_rows(const nt_problem *p)
{
    int64_t r = 0;
    for (int c = 0; c < p->n_cond; c++)
        r += p->cond[c].kind == NT_COND_PERIODIC ? 2 * p->cond[c].n_points
                                                 : NT_MAX(p->cond[c].n_points, p->cond[c].n_faces);
    return r;
}

/* Reads a CSV whose columns are named like the domain variables (all required)
 * and some fields (at least one): vc[v] / fc[f] are the column indices (fc −1 for
 * an absent field). `what` names the file in messages ("data file", "reference"). */
static nt_status read_columns(const nt_problem *p, const char *path, const char *what, nt_csv *c, int *vc,
                              int *fc)
{
    nt_status st = nt_csv_read(c, path);
    if (st) return st;
    int nf = 0;
    for (int v = 0; v < p->env.n_vars; v++)
        if ((vc[v] = nt_csv_col(c, p->env.vars[v])) < 0) {
            nt_csv_free(c);
            return nt_set_error(NT_ERR_FORMAT, "%s:1:1: %s has no column '%s' (a domain variable)", path, what,
                                p->env.vars[v]);
        }
    for (int f = 0; f < p->env.n_fields; f++) nf += (fc[f] = nt_csv_col(c, p->env.fields[f])) >= 0;
    if (!nf) {
        nt_csv_free(c);
        return nt_set_error(NT_ERR_FORMAT, "%s:1:1: %s has no column named like a field (%s...)", path, what,
                            p->env.fields[0]);
    }
    return NT_OK;
}

/* Reads observations: columns named like the domain variables and some fields. */
static nt_status load_data(nt_pinn *m)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars, F = p->env.n_fields;
    nt_csv c;
    memset(&c, 0, sizeof c);
    int vc[NT_EXPR_MAX_VARS], fc[NT_EXPR_MAX_FIELDS];
    int64_t rows;
    int64_t *perm;
    if (p->data_from_ref) { /* the reference points inside the domain */
        rows = 0;
        perm = malloc((size_t)NT_MAX(m->n_ref, 1) * sizeof *perm);
        if (!perm) return nt_set_error(NT_ERR_NOMEM, "out of memory for observations");
        for (int64_t i = 0; i < m->n_ref; i++) {
            int ok = 0;
            for (int f = 0; f < F; f++) ok |= m->ref_has[f] && isfinite(m->ref_u[i * F + f]);
            if (ok) perm[rows++] = i;
        }
        for (int f = 0; f < F; f++) fc[f] = m->ref_has[f] ? f : -1;
    } else {
        nt_status st = read_columns(p, p->data_path, "data file", &c, vc, fc);
        if (st) return st;
        rows = c.rows;
        perm = malloc((size_t)NT_MAX(rows, 1) * sizeof *perm);
        if (!perm) {
            nt_csv_free(&c);
            return nt_set_error(NT_ERR_NOMEM, "out of memory for observations");
        }
        for (int64_t i = 0; i < rows; i++) perm[i] = i;
    }
    int64_t n = p->data_points > 0 ? NT_MIN(p->data_points, rows) : rows;
    m->x_data = malloc((size_t)(NT_MAX(n, 1) * D) * sizeof(double));
    m->u_data = malloc((size_t)(NT_MAX(n, 1) * F) * sizeof(double));
    if (!m->x_data || !m->u_data) {
        free(perm);
        nt_csv_free(&c);
        return nt_set_error(NT_ERR_NOMEM, "out of memory for observations");
    }
    /* a random subset (partial Fisher–Yates) from its own stream of the seed */
    nt_rng r;
    nt_rng_init(&r, p->seed ^ 0x9e3779b97f4a7c15ull);
    for (int64_t i = 0; i < n; i++) {
        int64_t j = i + (int64_t)(nt_rng_uniform(&r) * (double)(rows - i));
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int64_t i = 0; i < n; i++) {
        if (p->data_from_ref) {
            for (int v = 0; v < D; v++) m->x_data[i * D + v] = m->ref_x[perm[i] * D + v];
            for (int f = 0; f < F; f++) m->u_data[i * F + f] = fc[f] >= 0 ? m->ref_u[perm[i] * F + f] : NAN;
            continue;
        }
        const double *row = c.data + perm[i] * c.ncols;
        for (int v = 0; v < D; v++) m->x_data[i * D + v] = row[vc[v]];
        for (int f = 0; f < F; f++) m->u_data[i * F + f] = fc[f] >= 0 ? row[fc[f]] : NAN;
    }
    /* noise: noise × std of each field, as in Raissi et al. */
    for (int f = 0; f < F && p->data_noise > 0; f++) {
        if (fc[f] < 0) continue;
        double s1 = 0, s2 = 0;
        for (int64_t i = 0; i < n; i++) s1 += m->u_data[i * F + f];
        s1 /= (double)n;
        for (int64_t i = 0; i < n; i++) s2 += (m->u_data[i * F + f] - s1) * (m->u_data[i * F + f] - s1);
        double sd = sqrt(s2 / (double)NT_MAX(n - 1, 1));
        for (int64_t i = 0; i < n; i++) m->u_data[i * F + f] += p->data_noise * sd * nt_rng_normal(&r);
    }
    m->n_data = n;
    free(perm);
    nt_csv_free(&c);
    return NT_OK;
}

/* ------------------------------------------------------------------------------ */
/* Reference                                                                        */

static nt_status ref_alloc(nt_pinn *m, int64_t n)
{
    int D = m->prob->env.n_vars, F = m->prob->env.n_fields;
    free(m->ref_x);
    free(m->ref_u);
    free(m->ref_pred);
    m->ref_x = malloc((size_t)(n * D) * sizeof(double));
    m->ref_u = malloc((size_t)(n * F) * sizeof(double));
    m->ref_pred = malloc((size_t)(n * F) * sizeof(double));
    m->n_ref = n;
    if (!m->ref_x || !m->ref_u || !m->ref_pred) return nt_set_error(NT_ERR_NOMEM, "out of memory for the reference");
    return NT_OK;
}

/* Product grid, last variable fastest. */
static nt_status ref_grid(nt_pinn *m)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars;
    int64_t n = 1;
    for (int v = 0; v < D; v++) n *= p->ref_grid[v];
    nt_status st = ref_alloc(m, n);
    if (st) return st;
    for (int64_t i = 0; i < n; i++) {
        int64_t r = i;
        for (int v = D - 1; v >= 0; v--) {
            int k = (int)(r % p->ref_grid[v]);
            r /= p->ref_grid[v];
            m->ref_x[i * D + v] = p->lo[v] + (p->hi[v] - p->lo[v]) * k / (p->ref_grid[v] - 1);
        }
    }
    return NT_OK;
}

nt_status nt_pinn_load_reference_file(nt_pinn *m, const char *path)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars, F = p->env.n_fields;
    nt_csv c;
    int vc[NT_EXPR_MAX_VARS], fc[NT_EXPR_MAX_FIELDS];
    nt_status st = read_columns(p, path, "reference", &c, vc, fc);
    if (st) return st;
    if ((st = ref_alloc(m, c.rows))) {
        nt_csv_free(&c);
        return st;
    }
    for (int64_t i = 0; i < c.rows; i++) {
        const double *row = c.data + i * c.ncols;
        for (int v = 0; v < D; v++) m->ref_x[i * D + v] = row[vc[v]];
        for (int f = 0; f < F; f++) m->ref_u[i * F + f] = fc[f] >= 0 ? row[fc[f]] : NAN;
    }
    for (int f = 0; f < F; f++) m->ref_has[f] = fc[f] >= 0;
    nt_csv_free(&c);
    return NT_OK;
}

static nt_status load_reference(nt_pinn *m)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars, F = p->env.n_fields;
    nt_status st;
    switch (p->ref_kind) {
    case NT_REF_NONE:
        return NT_OK;
    case NT_REF_FILE:
        return nt_pinn_load_reference_file(m, p->ref_path);
    case NT_REF_COLE_HOPF: {
        if ((st = ref_grid(m))) return st;
        int ix = p->time_var == 0 ? 1 : 0, it = p->time_var;
        double *x = malloc((size_t)m->n_ref * sizeof(double)), *t = malloc((size_t)m->n_ref * sizeof(double));
        if (!x || !t) {
            free(x);
            free(t);
            return nt_set_error(NT_ERR_NOMEM, "out of memory for the reference");
        }
        for (int64_t i = 0; i < m->n_ref; i++) {
            x[i] = m->ref_x[i * D + ix];
            t[i] = m->ref_x[i * D + it];
        }
        st = nt_burgers_cole_hopf(p->ref_nu, x, t, m->n_ref, m->ref_u);
        free(x);
        free(t);
        m->ref_has[0] = 1;
        return st;
    }
    case NT_REF_SPECTRAL:
    case NT_REF_CAVITY:
    case NT_REF_FD:
        if ((st = ref_grid(m))) return st;
        return nt_reference_solve(p, m->n_ref, m->ref_x, m->ref_u, m->ref_has);
    case NT_REF_EXACT: {
        if ((st = ref_grid(m))) return st;
        double *col = malloc((size_t)m->n_ref * sizeof(double)), unk[NT_EXPR_MAX_UNKNOWNS];
        if (!col) return nt_set_error(NT_ERR_NOMEM, "out of memory for the reference");
        for (int k = 0; k < p->env.n_unknowns; k++)
            unk[k] = isfinite(p->unknown_true[k]) ? p->unknown_true[k] : p->unknown_init[k];
        for (int f = 0; f < F; f++) {
            m->ref_has[f] = p->ref_has[f];
            for (int64_t i = 0; i < m->n_ref; i++) col[i] = NAN;
            if (p->ref_has[f] && (st = nt_expr_eval(&p->ref_exact[f], m->n_ref, m->ref_x, unk, NULL, col))) {
                free(col);
                return st;
            }
            for (int64_t i = 0; i < m->n_ref; i++) m->ref_u[i * F + f] = col[i];
        }
        free(col);
        return NT_OK;
    }
    }
    return NT_OK;
}

/* ------------------------------------------------------------------------------ */
/* Init                                                                             */

static void bind_coords(nt_pinn *m, nt_expr_bind *b, nt_tensor *x, int64_t r0, int64_t n);
static void bind_unknowns(nt_pinn *m, nt_expr_bind *b);

/* Field callback of the PirateNet initialization: every field (no derivative) has
 * the constant value `val`; a derivative makes the condition unusable. */
typedef struct const_ctx {
    nt_tape *t;
    nt_dtype dt;
    int64_t n;
    double val;
    int bad;
} const_ctx;

static nt_tensor *const_field(void *user, int field, const int *counts)
{
    const_ctx *c = user;
    (void)field;
    for (int v = 0; v < NT_JET_MAX_DIM; v++)
        if (counts[v]) c->bad = 1;
    nt_tensor *x = nt_tensor_new2(c->t, c->dt, c->n, 1);
    for (int64_t i = 0; i < c->n; i++) nt_tensor_set(x, i, c->val);
    return x;
}

/* PirateNet's physics-informed initialization (Wang et al. 2024): the output layer
 * is the least-squares fit of the initial condition, u(x, t) = u0(x) at the
 * initial points and at the same x with times drawn over the interval, so the
 * untrained network starts at u(x, t) ≈ u0(x). For single-field time-dependent problems with an
 * initial condition on the value u = g(x) (found by evaluating the condition's
 * residual at u = 0 and u = 1); otherwise the random output layer is kept. */
static nt_status pirate_init(nt_pinn *m)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars;
    if (p->time_var < 0 || p->env.n_fields != 1 || p->n_output) return NT_OK;
    for (int c = 0; c < p->n_cond; c++) {
        const nt_condition *cd = &p->cond[c];
        if (cd->kind != NT_COND_EXPR || cd->n_faces != 1 || cd->faces[0].var != p->time_var || cd->faces[0].side)
            continue;
        int64_t r0 = m->cond_off[c][0], n = m->cond_off[c][1] - r0;
        nt_tape *t = &m->tape;
        nt_tape_reset(t);
        t->grad_enabled = 0;
        nt_tensor *x = nt_tensor_from_f64(t, m->dtype, n, D, m->x_cond + r0 * D);
        double *y = malloc((size_t)(2 * n) * sizeof(double)), *xn = malloc((size_t)(2 * n * D) * sizeof(double));
        nt_status st = y && xn ? NT_OK : nt_set_error(NT_ERR_NOMEM, "out of memory");
        const_ctx cc[2] = {{t, m->dtype, n, 0, 0}, {t, m->dtype, n, 1, 0}};
        nt_tensor *r[2] = {NULL, NULL};
        for (int k = 0; k < 2 && !st; k++) {
            nt_expr_bind b;
            memset(&b, 0, sizeof b);
            b.dtype = m->dtype;
            b.field = const_field;
            b.user = &cc[k];
            bind_coords(m, &b, x, 0, n);
            bind_unknowns(m, &b);
            r[k] = nt_expr_compile(&cd->residual, t, &b);
            if (!r[k]) st = NT_ERR_ARG;
        }
        int ok = !st && !cc[0].bad && !cc[1].bad;
        /* residual = a·u + b with one constant a ≠ 0: u0 = −b / a */
        double a = ok ? nt_tensor_get(r[1], 0) - nt_tensor_get(r[0], 0) : 0;
        for (int64_t i = 0; ok && i < n; i++) {
            double ai = nt_tensor_get(r[1], i) - nt_tensor_get(r[0], i);
            if (!(fabs(ai - a) <= (m->dtype == NT_F64 ? 1e-12 : 1e-5) * fabs(a)) || a == 0) ok = 0;
            else y[i] = -nt_tensor_get(r[0], i) / a;
        }
        /* the target u(x, t) = u0(x) at the initial points and at the same x with
         * times drawn over the interval, so that the fit does not extrapolate wildly
         * in t (the network starts near the initial condition everywhere) */
        nt_rng rr;
        nt_rng_init(&rr, p->seed ^ 0x5bd1e995u);
        int tv = p->time_var;
        for (int64_t i = 0; ok && i < n; i++) {
            y[n + i] = y[i];
            for (int v = 0; v < D; v++) {
                double xv = m->x_cond[(r0 + i) * D + v];
                xn[i * D + v] = m->in_scale[v] * xv + m->in_shift[v];
                if (v == tv) xv = p->lo[tv] + (p->hi[tv] - p->lo[tv]) * nt_rng_uniform(&rr);
                xn[(n + i) * D + v] = m->in_scale[v] * xv + m->in_shift[v];
            }
        }
        if (ok) st = nt_net_pirate_fit_output(&m->net, t, xn, y, 2 * n);
        nt_tape_reset(t);
        t->grad_enabled = 1;
        free(y);
        free(xn);
        if (ok || st) return st;
    }
    return NT_OK;
}

nt_status nt_pinn_init(nt_pinn *m, const nt_problem *p)
{
    memset(m, 0, sizeof *m);
    m->prob = p;
    m->dtype = p->dtype;
    int D = p->env.n_vars, F = p->env.n_fields;
    nt_rng_init(&m->rng, p->seed);
    for (int v = 0; v < D; v++) {
        m->in_scale[v] = 2.0 / (p->hi[v] - p->lo[v]);
        m->in_shift[v] = -(p->hi[v] + p->lo[v]) / (p->hi[v] - p->lo[v]);
    }
    /* the network sees normalized inputs: a period P becomes P·in_scale */
    nt_net_config nc = nt_net_config_default(D, F, p->width, p->depth, p->act);
    nc.type = (nt_net_type)p->net_type;
    for (int v = 0; v < D; v++) {
        nc.period[v] = p->period[v] > 0 ? p->period[v] * m->in_scale[v] : 0;
        nc.harmonics[v] = p->harmonics[v];
        nc.parity[v] = p->parity[v];
    }
    nc.fourier_features = p->fourier_features;
    nc.fourier_scale = p->fourier_scale;
    nc.rwf = p->rwf;
    nc.rwf_mu = p->rwf_mu;
    nc.rwf_sigma = p->rwf_sigma;
    if (p->kan_degree > 0) nc.kan_degree = p->kan_degree;
    nc.gaussians = p->gaussians;
    if (p->gaussians > 0) nc.gauss_sigma = p->gauss_sigma;
    int64_t np = nt_net_param_count(&nc) + p->env.n_unknowns + 64;
    nt_status st = nt_params_init(&m->params, p->dtype, np);
    if (st) return st;
    if ((st = nt_net_init(&m->net, &nc, &m->params, &m->rng))) goto fail;
    for (int k = 0; k < p->env.n_unknowns; k++) {
        m->unk[k] = nt_params_add(&m->params, p->env.unknowns[k], 1, 1);
        if (!m->unk[k]) {
            st = nt_set_error(NT_ERR_ARG, "parameter capacity exceeded");
            goto fail;
        }
        nt_tensor_set(m->unk[k], 0, p->unknown_log[k] ? log(p->unknown_init[k]) : p->unknown_init[k]);
    }
    if ((st = build_specs(m))) goto fail;
    if ((st = nt_tape_init(&m->tape, 0))) goto fail;
    m->n_res = p->n_res;
    m->n_res_cap = p->adaptive == NT_ADAPT_RAR ? NT_MAX(p->rar_max, p->n_res) : p->n_res;
    m->mask = ~0u;
    nt_rng_init(&m->probe_rng, p->seed ^ 0x9e3779b97f4a7c15ull);
    {
        size_t cap = (size_t)m->n_res_cap;
        int pointw = p->weighting == NT_WEIGHT_SA || p->weighting == NT_WEIGHT_RBA;
        int fail = !(m->res_sq = calloc(cap, sizeof(double)));
        int cr3 = p->adaptive == NT_ADAPT_CR3;
        if (p->causal_slices || pointw || cr3) fail |= !(m->pt_w = malloc(cap * sizeof(double)));
        if (p->causal_slices || cr3) fail |= !(m->caus_w = malloc(cap * sizeof(double)));
        if (pointw) fail |= !(m->lam = malloc(cap * sizeof(double)));
        if (p->weighting == NT_WEIGHT_SA) fail |= !(m->lam_m = calloc(cap, sizeof(double))) || !(m->lam_v = calloc(cap, sizeof(double)));
        if (p->adaptive == NT_ADAPT_R3 || p->adaptive == NT_ADAPT_CR3 || p->adaptive == NT_ADAPT_RAD) fail |= !(m->scratch = malloc(cap * (size_t)D * sizeof(double)));
        if (p->adaptive == NT_ADAPT_RAD || p->adaptive == NT_ADAPT_RAR) {
            m->n_cand = p->adaptive_candidates > 0 ? p->adaptive_candidates : 4 * p->n_res;
            fail |= !(m->cand = malloc((size_t)m->n_cand * (size_t)D * sizeof(double)));
            fail |= !(m->cand_r = malloc((size_t)(m->n_cand + 1) * sizeof(double)));
            if (p->adaptive == NT_ADAPT_RAR) fail |= !(m->cand_idx = malloc((size_t)m->n_cand * sizeof(int64_t)));
        }
        if (fail) {
            st = nt_set_error(NT_ERR_NOMEM, "out of memory for the training methods' state");
            goto fail;
        }
        for (size_t i = 0; i < cap; i++) {
            if (m->pt_w) m->pt_w[i] = 1;
            if (m->caus_w) m->caus_w[i] = 1;
            if (m->lam) m->lam[i] = 1;
        }
        int tv = p->time_var;
        m->t_hi = tv >= 0 ? p->hi[tv] : 0;
        m->t_lo = tv >= 0 ? p->lo[tv] : 0;
        if (tv >= 0 && p->tm_windows > 1) m->t_hi = p->lo[tv] + (p->hi[tv] - p->lo[tv]) / p->tm_windows;
        if (tv >= 0 && p->tw_windows > 1) nt_windows_range(m, 0, &m->t_lo, &m->t_hi);
        m->causal_wmin = NAN;
        m->gate = p->cr3_gamma;
    }
    m->x_res = malloc((size_t)(m->n_res_cap * D) * sizeof(double));
    m->x_cond = malloc((size_t)(NT_MAX(cond_rows(p), 1) * D) * sizeof(double));
    if (p->has_geom) m->cond_nrm = calloc((size_t)(NT_MAX(cond_rows(p), 1) * p->geom.dim), sizeof(double));
    if (!m->x_res || !m->x_cond || (p->has_geom && !m->cond_nrm)) {
        st = nt_set_error(NT_ERR_NOMEM, "out of memory for the points");
        goto fail;
    }
    if ((st = sample_res(m)) || (st = sample_cond(m))) goto fail;
    if (p->net_type == NT_NET_PIRATE && (st = pirate_init(m))) goto fail;
    if ((st = load_reference(m))) goto fail;
    if ((p->data_path[0] || p->data_from_ref) && (st = load_data(m))) goto fail;
    /* loss terms */
    int T = 0;
    for (int k = 0; k < p->n_pde; k++) {
        if (p->n_pde == 1) snprintf(m->term_name[T], 64, "pde");
        else snprintf(m->term_name[T], 64, "pde%d", k + 1);
        m->term_weight[T++] = p->pde_weight;
    }
    for (int c = 0; c < p->n_cond; c++) {
        snprintf(m->term_name[T], 64, "%s", p->cond[c].label);
        m->term_weight[T++] = p->cond[c].weight;
    }
    if (m->n_data) {
        snprintf(m->term_name[T], 64, "data");
        m->term_weight[T++] = p->data_weight;
    }
    m->n_terms = T;
    memcpy(m->term_base, m->term_weight, sizeof m->term_weight);
    if (p->ms_stages > 1 && (st = nt_mstage_init(m))) goto fail;
    if (p->tw_windows > 1 && (st = nt_windows_init(m))) goto fail;
    return NT_OK;
fail:
    nt_pinn_free(m);
    return st;
}

void nt_pinn_free(nt_pinn *m)
{
    nt_mstage_free(m);
    nt_windows_free(m);
    nt_tape_free(&m->tape);
    nt_jet_spec_free(&m->rspec);
    nt_jet_spec_free(&m->cspec);
    nt_params_free(&m->params);
    nt_net_free(&m->net);
    free(m->x_res);
    free(m->res_sq);
    free(m->pt_w);
    free(m->caus_w);
    free(m->lam);
    free(m->lam_m);
    free(m->lam_v);
    free(m->scratch);
    free(m->cand);
    free(m->cand_r);
    free(m->cand_idx);
    free(m->x_cond);
    free(m->cond_nrm);
    nt_geom_work_free(&m->gwork);
    free(m->x_data);
    free(m->u_data);
    free(m->ref_x);
    free(m->ref_u);
    free(m->ref_pred);
    memset(m, 0, sizeof *m);
}

nt_status nt_pinn_resample(nt_pinn *m) { return sample_res(m); }

double nt_pinn_unknown(const nt_pinn *m, int k)
{
    double th = nt_tensor_get(m->unk[k], 0);
    return m->prob->unknown_log[k] ? exp(th) : th;
}

/* ------------------------------------------------------------------------------ */
/* Loss                                                                             */

static nt_tensor *normalize(nt_pinn *m, nt_tensor *x, int64_t value_rows)
{
    nt_tape *t = &m->tape;
    int D = m->prob->env.n_vars;
    double W[NT_EXPR_MAX_VARS * NT_EXPR_MAX_VARS] = {0}, b[NT_EXPR_MAX_VARS];
    for (int v = 0; v < D; v++) {
        W[v * D + v] = m->in_scale[v];
        b[v] = m->in_shift[v];
    }
    if (m->win_g) { /* hard window continuity: time normalized to the window */
        int tv = m->prob->time_var;
        double t0, t1;
        nt_windows_range(m, nt_windows_eval(m), &t0, &t1);
        W[tv * D + tv] = 2 / (t1 - t0);
        b[tv] = -(t1 + t0) / (t1 - t0);
    }
    nt_tensor *Wt = nt_tensor_from_f64(t, m->dtype, D, D, W);
    nt_tensor *bt = nt_tensor_from_f64(t, m->dtype, 1, D, b);
    return nt_linear(t, x, Wt, bt, value_rows);
}

/* The fields' jet at the points whose input jet (problem coordinates, S·n × D) is
 * xjet: the network's output, then the problem's output transform (hard
 * constraints) when it has one. */
static nt_tensor *out_jet(nt_pinn *m, const nt_jet_spec *s, nt_tensor *xjet, int64_t n)
{
    nt_tensor *xn = normalize(m, xjet, n);
    nt_tensor *y = m->ms ? nt_mstage_out(m, s, xn, n) : nt_net_jet(&m->net, &m->tape, s, xn);
    if (m->win_g) return nt_windows_hard_apply(m, s, xjet, y, n);
    return m->prob->n_output ? nt_hard_apply(m->prob, &m->tape, s, xjet, y, n) : y;
}

/* The fields at the points x (n × D, problem coordinates), as out_jet's value stream. */
static nt_tensor *out_fwd(nt_pinn *m, nt_tensor *x, int64_t n)
{
    nt_tensor *xn = normalize(m, x, n);
    nt_tensor *y = m->ms ? nt_mstage_out(m, NULL, xn, n) : nt_net_forward(&m->net, &m->tape, xn);
    if (m->win_g) return nt_windows_hard_apply(m, NULL, x, y, n);
    return m->prob->n_output ? nt_hard_apply(m->prob, &m->tape, NULL, x, y, n) : y;
}

/* Field callback: rows [r0, r0 + n) of a stacked jet with N rows per stream. */
typedef struct field_ctx {
    nt_pinn *m;
    nt_tape *t;
    const nt_jet_spec *s;
    nt_tensor *jet;
    int64_t N, r0, n;
    int nv;
    int normal_var, normal_sign; /* for u_n on one face */
    nt_tensor *nrm;              /* for u_n on the geometry's boundary: n × dim normals */
    const int *gvar;             /* variable of each geometry coordinate */
    int gd;
} field_ctx;

static nt_tensor *field_cb(void *user, int field, const int *counts)
{
    field_ctx *c = user;
    int cc[NT_JET_MAX_DIM] = {0};
    double sign = 1;
    for (int v = 0; v < c->nv; v++) cc[v] = counts[v];
    if (counts[c->nv] && c->nrm) { /* u_n = sum_k n_k ∂u/∂x_k (first order only) */
        nt_tensor *acc = NULL;
        for (int k = 0; k < c->gd; k++) {
            int ck[NT_JET_MAX_DIM] = {0};
            ck[c->gvar[k]] = 1;
            int s = nt_jet_spec_find(c->s, ck);
            if (s < 0) {
                nt_set_error(NT_ERR_ARG, "derivative stream missing from the jet spec");
                return NULL;
            }
            nt_tensor *dk = nt_slice2(c->t, c->jet, s * c->N + c->r0, s * c->N + c->r0 + c->n, field, field + 1);
            nt_tensor *tk = nt_mul(c->t, dk, nt_slice2(c->t, c->nrm, 0, c->n, k, k + 1));
            acc = acc ? nt_add(c->t, acc, tk) : tk;
        }
        return acc;
    }
    if (counts[c->nv]) {
        if (c->normal_var < 0) return NULL;
        cc[c->normal_var] += counts[c->nv];
        sign = c->normal_sign;
    }
    int s = nt_jet_spec_find(c->s, cc);
    if (s < 0) {
        nt_set_error(NT_ERR_ARG, "derivative stream missing from the jet spec");
        return NULL;
    }
    nt_tensor *r = nt_slice2(c->t, c->jet, s * c->N + c->r0, s * c->N + c->r0 + c->n, field, field + 1);
    return sign == 1 ? r : nt_scale(c->t, r, sign, 0);
}

static void bind_coords(nt_pinn *m, nt_expr_bind *b, nt_tensor *x, int64_t r0, int64_t n)
{
    int D = m->prob->env.n_vars;
    for (int v = 0; v < D; v++) b->coord[v] = nt_slice2(&m->tape, x, r0, r0 + n, v, v + 1);
    b->n = n;
}

static void bind_unknowns(nt_pinn *m, nt_expr_bind *b)
{
    for (int k = 0; k < m->prob->env.n_unknowns; k++)
        b->unknown[k] = m->prob->unknown_log[k] ? nt_exp(&m->tape, m->unk[k]) : m->unk[k];
}

/* One term's reduction of a residual r (n rows out of the term's `total`): its share
 * of the mean square, or in NTK probe mode Σ v_i r_i / sqrt(total) with Rademacher v. */
static nt_tensor *reduce(nt_pinn *m, nt_tensor *r, int64_t n, int64_t total)
{
    nt_tape *t = &m->tape;
    if (!m->probe) return nt_scale(t, nt_mean_sq(t, r), (double)n / (double)total, 0);
    nt_tensor *v = nt_tensor_new2(t, m->dtype, n, 1);
    for (int64_t i = 0; i < n; i++) nt_tensor_set(v, i, (nt_rng_u64(&m->probe_rng) >> 63) ? 1.0 : -1.0);
    return nt_scale(t, nt_sum(t, nt_mul(t, r, v)), 1.0 / sqrt((double)total), 0);
}

/* The weight a term enters the loss with (1 in probe mode: raw traces). */
static double term_w(const nt_pinn *m, int T) { return m->probe ? 1.0 : m->term_weight[T]; }

/* Condition and data terms in the mask (added to l, which may be NULL); fills
 * m->term from index T0. */
static nt_tensor *cond_terms(nt_pinn *m, nt_tensor *l, int T0)
{
    const nt_problem *p = m->prob;
    nt_tape *t = &m->tape;
    int D = p->env.n_vars, F = p->env.n_fields, T = T0;
    uint32_t cmask = (m->mask >> T0) & ((1u << p->n_cond) - 1);
    if (p->n_cond && cmask) {
        int64_t N = m->n_cond_pts;
        nt_tensor *x = nt_tensor_from_f64(t, m->dtype, N, D, m->x_cond);
        nt_tensor *jet = out_jet(m, &m->cspec, nt_jet_input(t, &m->cspec, x), N);
        NT_ASSERT(jet != NULL, nt_error_msg());
        for (int c = 0; c < p->n_cond; c++, T++) {
            if (!(m->mask >> T & 1u)) continue;
            const nt_condition *cd = &p->cond[c];
            nt_tensor *lc = NULL;
            double plain = 0;
            if (cd->kind == NT_COND_PERIODIC) {
                int64_t a = m->cond_off[c][0], b = m->cond_off[c][1], n = b - a;
                int counts[NT_JET_MAX_DIM] = {0};
                for (int o = 0; o <= cd->periodic_order; o++) {
                    counts[cd->periodic_var] = o;
                    int s = nt_jet_spec_find(&m->cspec, counts);
                    for (int f = 0; f < F; f++) {
                        nt_tensor *ua = nt_slice2(t, jet, s * N + a, s * N + a + n, f, f + 1);
                        nt_tensor *ub = nt_slice2(t, jet, s * N + b, s * N + b + n, f, f + 1);
                        nt_tensor *d = nt_sub(t, ua, ub), *e = reduce(m, d, n, n);
                        if (m->probe) plain += nt_tensor_get(nt_mean_sq(t, d), 0);
                        lc = lc ? nt_add(t, lc, e) : e;
                    }
                }
            } else {
                int64_t total = m->cond_off[c][cd->n_faces] - m->cond_off[c][0];
                for (int f = 0; f < cd->n_faces; f++) {
                    int64_t r0 = m->cond_off[c][f], n = m->cond_off[c][f + 1] - r0;
                    field_ctx fc = {m, t, &m->cspec, jet, N, r0, n, D, cd->faces[f].var, cd->faces[f].side ? 1 : -1,
                                    NULL, p->geom_var, p->geom.dim};
                    if (p->has_geom && geom_face(p, &cd->faces[f]))
                        fc.nrm = nt_tensor_from_f64(t, m->dtype, n, p->geom.dim, m->cond_nrm + r0 * p->geom.dim);
                    nt_expr_bind b;
                    memset(&b, 0, sizeof b);
                    b.dtype = m->dtype;
                    b.field = field_cb;
                    b.user = &fc;
                    bind_coords(m, &b, x, r0, n);
                    bind_unknowns(m, &b);
                    nt_tensor *r = nt_expr_compile(&cd->residual, t, &b);
                    NT_ASSERT(r != NULL, nt_error_msg());
                    if (m->cond_shift && nt_pinn_initial_face(m, c, f)) {
                        /* time windows: match the previous window's residual here */
                        if (m->cond_capture) {
                            for (int64_t i = 0; i < n; i++) m->cond_shift[r0 + i] = nt_tensor_get(r, i);
                        } else if (m->win > 0) {
                            r = nt_sub(t, r, nt_tensor_from_f64(t, m->dtype, n, 1, m->cond_shift + r0));
                        }
                    }
                    /* mean over all of the condition's points */
                    nt_tensor *e = reduce(m, r, n, total);
                    if (m->probe) plain += nt_tensor_get(nt_mean_sq(t, r), 0) * (double)n / (double)total;
                    lc = lc ? nt_add(t, lc, e) : e;
                }
            }
            m->term[T] = m->probe ? plain : nt_tensor_get(lc, 0);
            lc = nt_scale(t, lc, term_w(m, T), 0);
            l = l ? nt_add(t, l, lc) : lc;
        }
    }
    T = T0 + p->n_cond;
    if (m->n_data && (m->mask >> T & 1u)) {
        nt_tensor *x = nt_tensor_from_f64(t, m->dtype, m->n_data, D, m->x_data);
        nt_tensor *u = out_fwd(m, x, m->n_data);
        nt_tensor *ld = NULL;
        double plain = 0;
        for (int f = 0; f < F; f++) {
            if (!(m->u_data[f] == m->u_data[f])) continue; /* field not observed */
            nt_tensor *obs = nt_tensor_new2(t, m->dtype, m->n_data, 1);
            for (int64_t i = 0; i < m->n_data; i++) nt_tensor_set(obs, i, m->u_data[i * F + f]);
            nt_tensor *d = nt_sub(t, nt_slice2(t, u, 0, m->n_data, f, f + 1), obs);
            nt_tensor *e = reduce(m, d, m->n_data, m->n_data);
            if (m->probe) plain += nt_tensor_get(nt_mean_sq(t, d), 0);
            ld = ld ? nt_add(t, ld, e) : e;
        }
        m->term[T] = m->probe ? plain : nt_tensor_get(ld, 0);
        ld = nt_scale(t, ld, term_w(m, T), 0);
        l = l ? nt_add(t, l, ld) : ld;
    }
    return l;
}

/* The PDE residuals at cm points x (problem coordinates) on a fresh tape: r[k]
 * (cm × 1) for each equation. */
static void res_forward(nt_pinn *m, const double *xp, int64_t cm, int grad, nt_tensor **r)
{
    const nt_problem *p = m->prob;
    nt_tape *t = &m->tape;
    int D = p->env.n_vars;
    nt_tape_reset(t);
    t->grad_enabled = grad;
    nt_tensor *x = nt_tensor_from_f64(t, m->dtype, cm, D, xp);
    nt_tensor *jet = out_jet(m, &m->rspec, nt_jet_input(t, &m->rspec, x), cm);
    NT_ASSERT(jet != NULL, nt_error_msg());
    field_ctx fc = {m, t, &m->rspec, jet, cm, 0, cm, D, -1, 1, NULL, NULL, 0};
    nt_expr_bind b;
    memset(&b, 0, sizeof b);
    b.dtype = m->dtype;
    b.field = field_cb;
    b.user = &fc;
    bind_coords(m, &b, x, 0, cm);
    bind_unknowns(m, &b);
    const nt_expr *pde = m->pde_active ? m->pde_active : p->pde;
    for (int k = 0; k < p->n_pde; k++) {
        r[k] = nt_expr_compile(&pde[k], t, &b);
        NT_ASSERT(r[k] != NULL, nt_error_msg());
    }
}

/* From the residuals r[k] (cm × 1) of one chunk: pt[i] = Σ_k r_k[i]² and, when
 * per_term is given, per_term[k] = Σ_i r_k[i]². */
static void res_squares(const nt_problem *p, nt_tensor *const *r, int64_t cm, double *pt, double *per_term)
{
    for (int k = 0; per_term && k < p->n_pde; k++) per_term[k] = 0;
    for (int64_t i = 0; i < cm; i++) pt[i] = 0;
    for (int k = 0; k < p->n_pde; k++)
        for (int64_t i = 0; i < cm; i++) {
            double v = nt_tensor_get(r[k], i);
            pt[i] += v * v;
            if (per_term) per_term[k] += v * v;
        }
}

void nt_pinn_residuals(nt_pinn *m, const double *x, int64_t n, double *out)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars;
    int64_t chunk = p->chunk > 0 ? p->chunk : n;
    nt_tensor *r[NT_PROB_MAX_PDE];
    for (int64_t i0 = 0; i0 < n; i0 += chunk) {
        int64_t cm = NT_MIN(chunk, n - i0);
        res_forward(m, x + i0 * D, cm, 0, r);
        res_squares(p, r, cm, out + i0, NULL);
    }
    m->tape.grad_enabled = 1;
}

void nt_pinn_residual_values(nt_pinn *m, const double *x, int64_t n, double *out)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars, P = p->n_pde;
    int64_t chunk = p->chunk > 0 ? p->chunk : n;
    nt_tensor *r[NT_PROB_MAX_PDE];
    for (int64_t i0 = 0; i0 < n; i0 += chunk) {
        int64_t cm = NT_MIN(chunk, n - i0);
        res_forward(m, x + i0 * D, cm, 0, r);
        for (int64_t i = 0; i < cm; i++)
            for (int k = 0; k < P; k++) out[(i0 + i) * P + k] = nt_tensor_get(r[k], i);
    }
    m->tape.grad_enabled = 1;
}

/* ------------------------------------------------------------------------------ */
/* Causal weighting and point weights                                               */

static int cmp_time(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void compose_weights(nt_pinn *m);

/* causal_r3 (Daw et al. 2023): each residual point's weight is the time gate
 * g(t) = (1 − tanh(α (t̂ − γ))) / 2 at its normalized time t̂ ∈ [0, 1]; 1 once
 * released (L-BFGS). */
static void gate_weights(nt_pinn *m)
{
    const nt_problem *p = m->prob;
    int tv = p->time_var, D = p->env.n_vars;
    double t0 = m->t_lo, span = (p->tw_windows > 1 ? m->t_hi : p->hi[tv]) - t0; /* the window's with time windows */
    for (int64_t i = 0; i < m->n_res; i++)
        m->caus_w[i] = m->causal_frozen == 2 ? 1
                                               : 0.5 * (1 - tanh(p->cr3_alpha * ((m->x_res[i * D + tv] - t0) / span - m->gate)));
    compose_weights(m);
}

/* After the residual points changed: the gate's weights (causal_r3); the points
 * sorted by time and the slices' row ranges (causal weighting). */
static void points_changed(nt_pinn *m)
{
    const nt_problem *p = m->prob;
    int M = p->causal_slices, tv = p->time_var, D = p->env.n_vars;
    if (p->adaptive == NT_ADAPT_CR3) gate_weights(m);
    if (!M || tv < 0) return;
    /* sort rows by their time coordinate: rows are D doubles; qsort them as records
     * keyed by t (the key is moved to the front, then back) */
    int64_t n = m->n_res;
    for (int64_t i = 0; i < n; i++) {
        double *row = m->x_res + i * D, tmp = row[0];
        row[0] = row[tv];
        row[tv] = tmp;
    }
    qsort(m->x_res, (size_t)n, (size_t)D * sizeof(double), cmp_time);
    for (int64_t i = 0; i < n; i++) {
        double *row = m->x_res + i * D, tmp = row[0];
        row[0] = row[tv];
        row[tv] = tmp;
    }
    double t0 = m->t_lo, t1 = m->t_hi > t0 ? m->t_hi : p->hi[tv];
    int64_t i = 0;
    for (int s = 0; s < M; s++) {
        m->slice_off[s] = i;
        double edge = t0 + (t1 - t0) * (double)(s + 1) / (double)M;
        while (i < n && (s == M - 1 || m->x_res[i * D + tv] < edge)) i++;
    }
    m->slice_off[M] = n;
}

/* pt_w from the causal factor and the point weights. */
static void compose_weights(nt_pinn *m)
{
    if (!m->pt_w) return;
    int64_t n = m->n_res;
    for (int64_t i = 0; i < n; i++) {
        double w = m->caus_w ? m->caus_w[i] : 1;
        if (m->lam) w *= m->lam[i] * m->lam[i];
        m->pt_w[i] = w;
    }
}

/* Causal weights from res_sq (Wang, Sankaran & Perdikaris 2022): slice i's loss L_i
 * is the mean of its points' squared residuals; w_i = exp(−ε Σ_{j<i} L_j), no
 * gradient through w. The PDE term becomes (1/M) Σ_i w_i L_i. */
static void causal_update(nt_pinn *m)
{
    const nt_problem *p = m->prob;
    int M = p->causal_slices;
    if (!M || m->causal_frozen) return;
    double eps = p->causal_eps[m->causal_idx], cum = 0, n = (double)m->n_res;
    for (int s = 0; s < M; s++) {
        int64_t a = m->slice_off[s], b = m->slice_off[s + 1];
        double acc = 0;
        for (int64_t i = a; i < b; i++) acc += m->res_sq[i];
        m->slice_loss[s] = b > a ? acc / (double)(b - a) : 0;
        double w = exp(-eps * cum);
        cum += m->slice_loss[s];
        /* point weight: w_s / (M n_s) per point, times n (pt_w multiplies a mean) */
        double pw = b > a ? w * n / ((double)M * (double)(b - a)) : 0;
        for (int64_t i = a; i < b; i++) m->caus_w[i] = pw;
        if (s == M - 1) m->causal_wmin = w;
    }
    compose_weights(m);
}

void nt_pinn_causal_release(nt_pinn *m)
{
    if (!m->caus_w || m->causal_frozen == 2) return;
    for (int64_t i = 0; i < m->n_res_cap; i++) m->caus_w[i] = 1;
    m->causal_frozen = 2;
    compose_weights(m);
}

int nt_pinn_causal_advance(nt_pinn *m)
{
    const nt_problem *p = m->prob;
    if (!p->causal_slices || m->causal_idx + 1 >= p->causal_n_eps) return 0;
    if (!(m->causal_wmin > p->causal_tol)) return 0;
    m->causal_idx++;
    return 1;
}

void nt_pinn_update_point_weights(nt_pinn *m)
{
    const nt_problem *p = m->prob;
    int64_t n = m->n_res;
    if (p->adaptive == NT_ADAPT_CR3 && !m->causal_frozen) {
        /* the gate moves by η exp(−ε L_g), L_g = mean g·|r| over the points (the
         * residuals of this step's loss): fast once the open part is solved */
        double lg = 0;
        for (int64_t i = 0; i < n; i++) lg += m->caus_w[i] * sqrt(m->res_sq[i]);
        lg /= (double)n;
        if (isfinite(lg)) {
            m->gate += p->cr3_eta * exp(-p->cr3_eps * lg);
            gate_weights(m);
        }
    }
    if (!m->lam) return;
    if (p->weighting == NT_WEIGHT_RBA) {
        /* λ ← γ λ + η |r| / max |r| (Anagnostopoulos et al. 2024) */
        double mx = 0;
        for (int64_t i = 0; i < n; i++) mx = NT_MAX(mx, m->res_sq[i]);
        mx = sqrt(mx);
        if (!(mx > 0) || !isfinite(mx)) return;
        for (int64_t i = 0; i < n; i++) m->lam[i] = p->rba_gamma * m->lam[i] + p->rba_eta * sqrt(m->res_sq[i]) / mx;
        /* normalized to mean λ² = 1: the weights redistribute, they do not rescale */
        double s2 = 0;
        for (int64_t i = 0; i < n; i++) s2 += m->lam[i] * m->lam[i];
        double c = sqrt((double)n / s2);
        for (int64_t i = 0; i < n; i++) m->lam[i] *= c;
    } else {
        /* self-adaptive (McClenny & Braga-Neto): gradient ASCENT of the loss
         * (1/n) Σ λ_i² r_i² in λ, with Adam's normalization of the step */
        const double b1 = 0.9, b2 = 0.999, e = 1e-8;
        m->lam_step++;
        double c1 = 1 - pow(b1, (double)m->lam_step), c2 = 1 - pow(b2, (double)m->lam_step);
        for (int64_t i = 0; i < n; i++) {
            double cw = m->caus_w ? m->caus_w[i] : 1;
            double g = 2 * m->lam[i] * m->res_sq[i] * cw / (double)n;
            m->lam_m[i] = b1 * m->lam_m[i] + (1 - b1) * g;
            m->lam_v[i] = b2 * m->lam_v[i] + (1 - b2) * g * g;
            m->lam[i] += p->sa_lr * (m->lam_m[i] / c1) / (sqrt(m->lam_v[i] / c2) + e);
        }
    }
    compose_weights(m);
}

/* ------------------------------------------------------------------------------ */
/* The loss                                                                         */

double nt_pinn_loss(nt_pinn *m, int want_grad)
{
    const nt_problem *p = m->prob;
    nt_tape *t = &m->tape;
    int D = p->env.n_vars;
    int64_t n = m->n_res, chunk = p->chunk > 0 ? p->chunk : n;
    uint32_t pmask = m->mask & ((1u << p->n_pde) - 1);
    int causal = p->causal_slices > 0 && !m->causal_frozen && !m->probe && pmask;
    if (want_grad) nt_params_zero_grad(&m->params);
    /* causal weights need every slice's loss before the first backward pass */
    if (causal && chunk < n) {
        nt_pinn_residuals(m, m->x_res, n, m->res_sq);
        causal_update(m);
    }
    double loss = 0;
    for (int k = 0; k < p->n_pde; k++)
        if (pmask >> k & 1u) m->term[k] = 0;
    nt_tensor *r[NT_PROB_MAX_PDE];
    for (int64_t i0 = 0; i0 < n || i0 == 0; i0 += chunk) {
        int64_t cm = NT_MIN(chunk, n - i0);
        nt_tensor *l = NULL;
        if (pmask && cm > 0) {
            double sq[NT_PROB_MAX_PDE];
            res_forward(m, m->x_res + i0 * D, cm, want_grad, r);
            res_squares(p, r, cm, m->res_sq + i0, sq);
            if (causal && chunk >= n) causal_update(m);
            nt_tensor *sw = NULL;
            if (m->pt_w && !m->probe) {
                sw = nt_tensor_new2(t, m->dtype, cm, 1);
                for (int64_t i = 0; i < cm; i++) nt_tensor_set(sw, i, sqrt(m->pt_w[i0 + i]));
            }
            for (int k = 0; k < p->n_pde; k++) {
                if (!(pmask >> k & 1u)) continue;
                m->term[k] += sq[k] / (double)n;
                nt_tensor *lk = reduce(m, sw ? nt_mul(t, r[k], sw) : r[k], cm, n);
                lk = nt_scale(t, lk, term_w(m, k), 0);
                l = l ? nt_add(t, l, lk) : lk;
            }
        } else {
            nt_tape_reset(t);
            t->grad_enabled = want_grad;
        }
        if (i0 == 0) l = cond_terms(m, l, p->n_pde);
        if (l) {
            loss += nt_tensor_get(l, 0);
            if (want_grad) {
                nt_status st = nt_tape_backward(t, l);
                NT_ASSERT(st == NT_OK, nt_error_msg());
            }
        }
        if (!pmask) break;
    }
    t->grad_enabled = 1;
    return loss;
}

/* ------------------------------------------------------------------------------ */
/* Per-term gradients, loss balancing                                               */

static void grad_copy(const nt_params *pp, double *out)
{
    NT_DISPATCH(pp->dtype, T, {
        const T *g = pp->grad;
        for (int64_t i = 0; i < pp->n; i++) out[i] = (double)g[i];
    });
}

double nt_pinn_term_grad(nt_pinn *m, int k, double *out)
{
    NT_ASSERT(k >= 0 && k < m->n_terms, "term index out of range");
    uint32_t mask = m->mask;
    double w = m->term_weight[k];
    m->mask = 1u << k;
    m->term_weight[k] = 1;
    double v = nt_pinn_loss(m, 1);
    m->term_weight[k] = w;
    m->mask = mask;
    if (out) grad_copy(&m->params, out);
    return v;
}

double nt_pinn_term_ntk(nt_pinn *m, int k, int probes)
{
    NT_ASSERT(k >= 0 && k < m->n_terms && probes > 0, "bad term index or probe count");
    uint32_t mask = m->mask;
    m->mask = 1u << k;
    m->probe = 1;
    double acc = 0;
    for (int j = 0; j < probes; j++) {
        nt_pinn_loss(m, 1);
        double g = nt_params_grad_norm(&m->params);
        acc += g * g;
    }
    m->probe = 0;
    m->mask = mask;
    return acc / probes;
}

void nt_pinn_update_weights(nt_pinn *m)
{
    const nt_problem *p = m->prob;
    if (p->weighting != NT_WEIGHT_GRADNORM && p->weighting != NT_WEIGHT_NTK) return;
    double s[NT_PINN_MAX_TERMS], sum = 0, top = 0;
    for (int k = 0; k < m->n_terms; k++) {
        if (p->weighting == NT_WEIGHT_GRADNORM) {
            nt_pinn_term_grad(m, k, NULL);
            s[k] = nt_params_grad_norm(&m->params);
        } else {
            s[k] = nt_pinn_term_ntk(m, k, p->ntk_probes);
        }
        if (!isfinite(s[k])) return; /* keep the weights; the step will report the NaN */
        sum += s[k];
        top = NT_MAX(top, s[k]);
    }
    /* λ_k = Σ_j s_j / s_k replaces the weight (moving average from the current one,
     * which starts as the file's weight). A term whose gradient (or trace) is
     * negligible next to the largest — one satisfied by construction, such as a
     * periodic condition under an exact periodic embedding — keeps its weight:
     * Σ/s_k would be a huge factor on rounding noise. */
    for (int k = 0; k < m->n_terms; k++) {
        if (!(s[k] > 1e-8 * top)) continue;
        m->term_weight[k] = p->weighting_alpha * m->term_weight[k] + (1 - p->weighting_alpha) * (sum / s[k]);
    }
}

/* ------------------------------------------------------------------------------ */
/* Adaptive sampling and time marching                                              */

static _Thread_local const double *g_sort_key;
static int cmp_idx_desc(const void *a, const void *b)
{
    double x = g_sort_key[*(const int64_t *)a], y = g_sort_key[*(const int64_t *)b];
    return (x < y) - (x > y);
}

nt_status nt_pinn_adapt(nt_pinn *m)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars;
    int64_t n = m->n_res;
    nt_status st = NT_OK;
    switch (p->adaptive) {
    case NT_ADAPT_NONE:
        return NT_OK;
    case NT_ADAPT_R3:
    case NT_ADAPT_CR3: {
        /* retain the points whose residual exceeds the mean, redraw the others;
         * causal_r3 scores g·|r| (the gate's weight times the residual) instead of r² */
        nt_pinn_residuals(m, m->x_res, n, m->res_sq);
        int cr3 = p->adaptive == NT_ADAPT_CR3;
        double *score = m->res_sq;
        if (cr3) {
            score = m->scratch; /* n doubles of it, free until the resample below */
            for (int64_t i = 0; i < n; i++) score[i] = m->caus_w[i] * sqrt(m->res_sq[i]);
        }
        double mean = 0;
        for (int64_t i = 0; i < n; i++) mean += score[i];
        mean /= (double)n;
        int64_t kept = 0;
        for (int64_t i = 0; i < n; i++)
            if (score[i] > mean) {
                if (kept != i) memcpy(m->x_res + kept * D, m->x_res + i * D, (size_t)D * sizeof(double));
                kept++;
            }
        if (kept < n && (st = sample_domain(m, n - kept, m->scratch))) return st;
        memcpy(m->x_res + kept * D, m->scratch, (size_t)((n - kept) * D) * sizeof(double));
        m->adapt_kept = kept;
        break;
    }
    case NT_ADAPT_RAD: {
        /* draw the points from the density ∝ r^k / mean(r^k) + c over candidates */
        int64_t C = m->n_cand;
        if ((st = sample_domain(m, C, m->cand))) return st;
        nt_pinn_residuals(m, m->cand, C, m->cand_r);
        double mean = 0, h = p->rad_k / 2; /* r^k = (r²)^(k/2) */
        for (int64_t i = 0; i < C; i++) mean += m->cand_r[i] = pow(m->cand_r[i], h);
        mean /= (double)C;
        double acc = 0;
        for (int64_t i = 0; i < C; i++) {
            acc += (mean > 0 ? m->cand_r[i] / mean : 0) + p->rad_c;
            m->cand_r[i] = acc; /* cumulative */
        }
        if (!(acc > 0) || !isfinite(acc)) return nt_set_error(NT_ERR_NUMERIC, "rad: non-finite residuals");
        for (int64_t j = 0; j < n; j++) {
            double u = nt_rng_uniform(&m->rng) * acc;
            int64_t lo = 0, hi = C - 1;
            while (lo < hi) {
                int64_t mid = (lo + hi) / 2;
                if (m->cand_r[mid] > u) hi = mid;
                else lo = mid + 1;
            }
            memcpy(m->x_res + j * D, m->cand + lo * D, (size_t)D * sizeof(double));
        }
        break;
    }
    case NT_ADAPT_RAR: {
        /* add the candidates with the largest residuals */
        int64_t add = p->rar_add > 0 ? p->rar_add : NT_MAX(1, p->n_res / 20);
        add = NT_MIN(add, m->n_res_cap - n);
        if (add <= 0) return NT_OK;
        int64_t C = m->n_cand;
        add = NT_MIN(add, C);
        if ((st = sample_domain(m, C, m->cand))) return st;
        nt_pinn_residuals(m, m->cand, C, m->cand_r);
        for (int64_t i = 0; i < C; i++) m->cand_idx[i] = i;
        g_sort_key = m->cand_r;
        qsort(m->cand_idx, (size_t)C, sizeof(int64_t), cmp_idx_desc);
        for (int64_t j = 0; j < add; j++)
            memcpy(m->x_res + (n + j) * D, m->cand + m->cand_idx[j] * D, (size_t)D * sizeof(double));
        m->n_res = n + add;
        for (int64_t i = n; i < m->n_res; i++) m->res_sq[i] = 0;
        break;
    }
    }
    points_changed(m);
    return NT_OK;
}

int nt_pinn_march(nt_pinn *m, int64_t step)
{
    const nt_problem *p = m->prob;
    int tv = p->time_var;
    if (p->tm_windows <= 1 || tv < 0) return 0;
    int64_t w = step / p->tm_steps;
    double t_hi = w + 1 >= p->tm_windows ? p->hi[tv]
                                         : p->lo[tv] + (p->hi[tv] - p->lo[tv]) * (double)(w + 1) / (double)p->tm_windows;
    if (t_hi == m->t_hi) return 0;
    m->t_hi = t_hi;
    sample_res(m);
    return 1;
}

void nt_pinn_points_changed(nt_pinn *m) { points_changed(m); }

/* ------------------------------------------------------------------------------ */
/* Prediction and errors                                                            */

nt_status nt_pinn_predict(nt_pinn *m, const double *x, int64_t n, double *out)
{
    return m->prob->tw_windows > 1 ? nt_windows_predict(m, x, n, out) : nt_pinn_predict_net(m, x, n, out);
}

nt_status nt_pinn_sample_conditions(nt_pinn *m) { return sample_cond(m); }

int nt_pinn_initial_face(const nt_pinn *m, int c, int f)
{
    const nt_condition *cd = &m->prob->cond[c];
    return cd->kind == NT_COND_EXPR && !cd->faces[f].geom && cd->faces[f].var == m->prob->time_var && !cd->faces[f].side;
}

nt_status nt_pinn_predict_net(nt_pinn *m, const double *x, int64_t n, double *out)
{
    nt_tape *t = &m->tape;
    int D = m->prob->env.n_vars, F = m->prob->env.n_fields;
    const int64_t chunk = 8192;
    for (int64_t i0 = 0; i0 < n; i0 += chunk) {
        int64_t cm = NT_MIN(chunk, n - i0);
        nt_tape_reset(t);
        t->grad_enabled = 0;
        nt_tensor *xt = nt_tensor_from_f64(t, m->dtype, cm, D, x + i0 * D);
        nt_tensor *u = xt ? out_fwd(m, xt, cm) : NULL;
        t->grad_enabled = 1;
        if (!u) return NT_ERR_NOMEM;
        for (int64_t i = 0; i < cm * F; i++) out[i0 * F + i] = nt_tensor_get(u, i);
    }
    return NT_OK;
}

double nt_pinn_errors(nt_pinn *m, double *per_field)
{
    int F = m->prob->env.n_fields;
    double worst = NAN;
    for (int f = 0; f < F; f++) if (per_field) per_field[f] = NAN;
    if (!m->n_ref || nt_pinn_predict(m, m->ref_x, m->n_ref, m->ref_pred)) return NAN;
    /* reference points outside the geometry: no prediction, no reference (NaN) */
    for (int64_t i = 0; i < m->n_ref && m->prob->has_geom; i++)
        if (!nt_problem_in_domain(m->prob, m->ref_x + i * m->prob->env.n_vars))
            for (int f = 0; f < F; f++) m->ref_pred[i * F + f] = m->ref_u[i * F + f] = NAN;
    for (int f = 0; f < F; f++) {
        if (!m->ref_has[f]) continue;
        double e = nt_pinn_field_error(m, f, INFINITY);
        if (per_field) per_field[f] = e;
        if (!(worst >= e)) worst = e;
    }
    return worst;
}

double nt_pinn_field_error(const nt_pinn *m, int f, double t_end)
{
    const nt_problem *p = m->prob;
    int D = p->env.n_vars, F = p->env.n_fields, tv = p->time_var;
    if (!m->n_ref || !m->ref_has[f]) return NAN;
    double num = 0, den = 0;
    for (int64_t i = 0; i < m->n_ref; i++) {
        double r = m->ref_u[i * F + f], e = m->ref_pred[i * F + f] - r;
        if (r != r || (tv >= 0 && m->ref_x[i * D + tv] > t_end)) continue;
        num += e * e;
        den += r * r;
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

/* hard.c — output transforms and the smooth distance `dist` (see hard.h). */
#include "pinn/hard.h"
#include "core/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------------ */
/* dist                                                                             */

typedef struct dctx {
    const nt_problem *p;
    const nt_jet_spec *s;
    int64_t n, N;            /* points, S·n */
    int K;
    const double *x[NT_GEOM_MAX_DIM]; /* jets of the space coordinates */
    nt_arena *a;
    int failed;
} dctx;

static double *dalloc(dctx *c)
{
    double *r = nt_arena_alloc(c->a, (size_t)c->N * sizeof(double));
    if (!r) c->failed = 1;
    return r;
}

/* k·(x + off): the offset on the value stream only. */
static double *d_affine(dctx *c, const double *x, double off, double k)
{
    double *r = dalloc(c);
    if (!r) return NULL;
    for (int64_t i = 0; i < c->N; i++) r[i] = k * (x[i] + (i < c->n ? off : 0));
    return r;
}

static double *d_mul(dctx *c, const double *a, const double *b)
{
    double *r = a && b ? dalloc(c) : NULL;
    if (r) nt_cjet_mul(c->s, c->n, a, b, r);
    return r;
}

/* a + sign·√(a² + b²) + b, the R-disjunction (sign +1) or conjunction (−1). */
static double *d_rfun(dctx *c, const double *a, const double *b, double sign)
{
    if (!a || !b) return NULL;
    double *a2 = d_mul(c, a, a), *b2 = d_mul(c, b, b), *q = dalloc(c), *r = dalloc(c);
    double *d = nt_arena_alloc(c->a, (size_t)(c->K + 1) * (size_t)c->n * sizeof(double));
    if (!a2 || !b2 || !q || !r || !d) {
        c->failed = 1;
        return NULL;
    }
    for (int64_t i = 0; i < c->N; i++) q[i] = a2[i] + b2[i];
    nt_cjet_derivs_pow(0.5, c->K, q, c->n, d);
    nt_cjet_compose(c->s, c->n, q, d, r);
    for (int64_t i = 0; i < c->N; i++) r[i] = a[i] + b[i] + sign * r[i];
    return r;
}

/* The slab lo <= x_k <= hi: (x − lo)(hi − x)/(hi − lo). */
static double *d_slab(dctx *c, int k, double lo, double hi)
{
    double *u = d_affine(c, c->x[k], -lo, 1), *v = d_affine(c, c->x[k], -hi, -1);
    double *r = d_mul(c, u, v);
    return r ? d_affine(c, r, 0, 1 / (hi - lo)) : NULL;
}

static double *d_box(dctx *c, int dim, const double *lo, const double *hi, int need_sign)
{
    double *r = d_slab(c, 0, lo[0], hi[0]);
    for (int k = 1; k < dim && r; k++) {
        double *s = d_slab(c, k, lo[k], hi[k]);
        r = need_sign ? d_rfun(c, r, s, -1) : d_mul(c, r, s);
    }
    return r;
}

static int polygon_convex(const nt_geom *g, const nt_geom_node *nd)
{
    for (int i = 0; i < nd->nv; i++) {
        const double *a = g->vert[nd->v0 + i], *b = g->vert[nd->v0 + (i + 1) % nd->nv],
                     *e = g->vert[nd->v0 + (i + 2) % nd->nv];
        double cr = (b[0] - a[0]) * (e[1] - b[1]) - (b[1] - a[1]) * (e[0] - b[0]);
        if (cr < 0) return 0; /* stored counter-clockwise: a right turn */
    }
    return 1;
}

static double *d_node(dctx *c, int id, int need_sign)
{
    const nt_geom *g = &c->p->geom;
    const nt_geom_node *nd = &g->node[id];
    int D = g->dim;
    switch (nd->kind) {
    case NT_GEOM_BOX: return d_box(c, D, nd->lo, nd->hi, need_sign);
    case NT_GEOM_BALL: {
        double *r = NULL;
        for (int k = 0; k < D; k++) {
            double *u = d_affine(c, c->x[k], -nd->center[k], 1), *u2 = d_mul(c, u, u);
            if (!u2) return NULL;
            if (r)
                for (int64_t i = 0; i < c->N; i++) r[i] += u2[i];
            else r = u2;
        }
        /* (r² − |x − c|²)/(2r) */
        double R = nd->radius;
        for (int64_t i = 0; i < c->N; i++) r[i] = ((i < c->n ? R * R : 0) - r[i]) / (2 * R);
        return r;
    }
    case NT_GEOM_POLYGON: {
        double *r = NULL;
        for (int i = 0; i < nd->nv; i++) {
            const double *a = g->vert[nd->v0 + i], *b = g->vert[nd->v0 + (i + 1) % nd->nv];
            double ex = b[0] - a[0], ey = b[1] - a[1], L = hypot(ex, ey), n0 = -ey / L, n1 = ex / L;
            double *h = dalloc(c); /* inward (left) normal · (x − a) */
            if (!h) return NULL;
            for (int64_t j = 0; j < c->N; j++)
                h[j] = n0 * c->x[0][j] + n1 * c->x[1][j] - (j < c->n ? n0 * a[0] + n1 * a[1] : 0);
            r = r ? d_rfun(c, r, h, -1) : h;
            if (!r) return NULL;
        }
        return r;
    }
    case NT_GEOM_UNION:
    case NT_GEOM_INTERSECTION:
    case NT_GEOM_DIFFERENCE: {
        double *r = d_node(c, nd->ops[0], nd->kind == NT_GEOM_UNION ? 1 : need_sign);
        for (int i = 1; i < nd->n_ops && r; i++) {
            double *b = d_node(c, nd->ops[i], nd->kind == NT_GEOM_INTERSECTION ? need_sign : 1);
            if (b && nd->kind == NT_GEOM_DIFFERENCE)
                for (int64_t j = 0; j < c->N; j++) b[j] = -b[j];
            r = d_rfun(c, r, b, nd->kind == NT_GEOM_UNION ? 1 : -1);
        }
        return r;
    }
    }
    return NULL;
}

static int check_node(const nt_geom *g, int id, char *msg, size_t cap)
{
    const nt_geom_node *nd = &g->node[id];
    if (nd->kind == NT_GEOM_POLYGON && !polygon_convex(g, nd)) {
        snprintf(msg, cap, "the polygon at line %d is not convex", nd->line);
        return 0;
    }
    if (nd->kind >= NT_GEOM_UNION)
        for (int i = 0; i < nd->n_ops; i++)
            if (!check_node(g, nd->ops[i], msg, cap)) return 0;
    return 1;
}

nt_status nt_hard_dist_check(const nt_problem *p)
{
    int ns = p->env.n_vars - (p->time_var >= 0);
    if (ns < 1) return nt_set_error(NT_ERR_ARG, "dist needs a space variable (the domain has only time)");
    char msg[256];
    if (p->has_geom && !check_node(&p->geom, p->geom.root, msg, sizeof msg))
        return nt_set_error(NT_ERR_ARG, "dist is not available for this geometry: %s (dist is built from boxes, "
                                        "disks and convex polygons and their combinations)", msg);
    return NT_OK;
}

nt_status nt_hard_dist_jet(const nt_problem *p, const nt_jet_spec *s, int64_t n, const double *const *coord,
                           nt_arena *a, double *out)
{
    dctx c;
    memset(&c, 0, sizeof c);
    c.p = p;
    c.s = s;
    c.n = n;
    c.N = (s ? s->n_streams : 1) * n;
    c.K = s ? s->max_order : 0;
    c.a = a;
    double *r;
    if (p->has_geom) {
        for (int k = 0; k < p->geom.dim; k++) c.x[k] = coord[p->geom_var[k]];
        r = d_node(&c, p->geom.root, 0);
    } else { /* the box of the space variables: the product of their slabs */
        r = NULL;
        for (int v = 0; v < p->env.n_vars; v++) {
            if (v == p->time_var) continue;
            c.x[0] = coord[v];
            double *sl = d_slab(&c, 0, p->lo[v], p->hi[v]);
            r = r ? d_mul(&c, r, sl) : sl;
        }
    }
    if (!r || c.failed) return nt_set_error(NT_ERR_NOMEM, "out of memory computing dist");
    memcpy(out, r, (size_t)c.N * sizeof(double));
    return NT_OK;
}

double nt_hard_dist(const nt_problem *p, const double *x)
{
    nt_arena a;
    nt_arena_init(&a, 4096);
    const double *coord[NT_EXPR_MAX_VARS];
    for (int v = 0; v < p->env.n_vars; v++) coord[v] = x + v;
    double r = NAN;
    if (nt_hard_dist_jet(p, NULL, 1, coord, &a, &r)) r = NAN;
    nt_arena_free(&a);
    return r;
}

/* ------------------------------------------------------------------------------ */
/* The transform                                                                    */

nt_tensor *nt_hard_apply(const nt_problem *p, nt_tape *t, const nt_jet_spec *s, nt_tensor *xjet, nt_tensor *net,
                         int64_t n)
{
    if (!net || !xjet) return NULL;
    if (!p->n_output) return net;
    int D = p->env.n_vars, F = p->env.n_fields, S = s ? s->n_streams : 1;
    int64_t N = (int64_t)S * n;
    NT_ASSERT(nt_tensor_rows(xjet) == N && nt_tensor_cols(xjet) == D, "nt_hard_apply: input jet shape");
    NT_ASSERT(nt_tensor_rows(net) == N && nt_tensor_cols(net) == F, "nt_hard_apply: output jet shape");
    nt_expr_jet_bind b;
    memset(&b, 0, sizeof b);
    b.dtype = net->dtype;
    b.spec = s;
    b.n = n;
    for (int v = 0; v < D; v++) {
        double *c = nt_arena_alloc(&t->arena, (size_t)N * sizeof(double));
        if (!c) return NULL;
        NT_DISPATCH(xjet->dtype, T, {
            const T *X = xjet->data;
            for (int64_t i = 0; i < N; i++) c[i] = (double)X[i * D + v];
        });
        b.coord[v] = c;
    }
    if (p->output_dist) {
        double *dj = nt_arena_alloc(&t->arena, (size_t)N * sizeof(double));
        if (!dj || nt_hard_dist_jet(p, s, n, b.coord, &t->arena, dj)) return NULL;
        b.coord[D] = dj;
    }
    for (int f = 0; f < F; f++) b.field[f] = F == 1 ? net : nt_slice2(t, net, 0, N, f, f + 1);
    nt_tensor *y = NULL;
    for (int f = 0; f < F; f++) {
        nt_tensor *col = p->output[f].root ? nt_expr_compile_jet(&p->output[f], t, &b) : b.field[f];
        if (!col) return NULL;
        y = y ? nt_concat(t, y, col, 1) : col;
        if (!y) return NULL;
    }
    return y;
}

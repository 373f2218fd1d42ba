/* geometry.c — CSG domains: signed distances, measures, interior and boundary
 * sampling by rejection, and the YAML reader. See geometry.h for the semantics. */
#include "pinn/geometry.h"
#include "core/internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------ */
/* Building                                                                         */

void nt_geom_init(nt_geom *g, int dim)
{
    NT_ASSERT(dim >= 1 && dim <= NT_GEOM_MAX_DIM, "nt_geom_init: dimension must be 1..3");
    memset(g, 0, sizeof *g);
    g->dim = dim;
    g->root = -1;
}

static nt_status new_node(nt_geom *g, nt_geom_kind kind, int *id)
{
    if (g->n_nodes >= NT_GEOM_MAX_NODES)
        return nt_set_error(NT_ERR_ARG, "too many shapes (at most %d primitives and combinations)", NT_GEOM_MAX_NODES);
    *id = g->n_nodes++;
    nt_geom_node *nd = &g->node[*id];
    memset(nd, 0, sizeof *nd);
    nd->kind = kind;
    return NT_OK;
}

nt_status nt_geom_add_box(nt_geom *g, const double *lo, const double *hi, int *id)
{
    double m = 0;
    for (int k = 0; k < g->dim; k++) {
        if (!isfinite(lo[k]) || !isfinite(hi[k]) || !(lo[k] < hi[k]))
            return nt_set_error(NT_ERR_ARG, "box needs lo < hi on every axis (axis %d: [%g, %g])", k + 1, lo[k], hi[k]);
    }
    /* boundary measure: 2 × sum over axes of the face measure (1D: two end points) */
    for (int a = 0; a < g->dim; a++) {
        double f = 1;
        for (int b = 0; b < g->dim; b++)
            if (b != a) f *= hi[b] - lo[b];
        m += 2 * f;
    }
    nt_status st = new_node(g, NT_GEOM_BOX, id);
    if (st) return st;
    nt_geom_node *nd = &g->node[*id];
    for (int k = 0; k < g->dim; k++) {
        nd->lo[k] = nd->bb_lo[k] = lo[k];
        nd->hi[k] = nd->bb_hi[k] = hi[k];
    }
    nd->bmeasure = m;
    return NT_OK;
}

nt_status nt_geom_add_ball(nt_geom *g, const double *center, double radius, int *id)
{
    for (int k = 0; k < g->dim; k++)
        if (!isfinite(center[k])) return nt_set_error(NT_ERR_ARG, "the center must be finite");
    if (!isfinite(radius) || !(radius > 0)) return nt_set_error(NT_ERR_ARG, "the radius must be > 0 (got %g)", radius);
    nt_status st = new_node(g, NT_GEOM_BALL, id);
    if (st) return st;
    nt_geom_node *nd = &g->node[*id];
    for (int k = 0; k < g->dim; k++) {
        nd->center[k] = center[k];
        nd->bb_lo[k] = center[k] - radius;
        nd->bb_hi[k] = center[k] + radius;
    }
    nd->radius = radius;
    nd->bmeasure = g->dim == 1 ? 2 : g->dim == 2 ? 2 * NT_PI * radius : 4 * NT_PI * radius * radius;
    return NT_OK;
}

static double orient(const double *a, const double *b, const double *c)
{
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

/* c on the closed segment ab, given that a, b, c are collinear */
static int on_segment(const double *a, const double *b, const double *c)
{
    return fmin(a[0], b[0]) <= c[0] && c[0] <= fmax(a[0], b[0]) && fmin(a[1], b[1]) <= c[1] &&
           c[1] <= fmax(a[1], b[1]);
}

static int segments_meet(const double *a, const double *b, const double *c, const double *d)
{
    double o1 = orient(a, b, c), o2 = orient(a, b, d), o3 = orient(c, d, a), o4 = orient(c, d, b);
    if (((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0))) return 1;
    if (o1 == 0 && on_segment(a, b, c)) return 1;
    if (o2 == 0 && on_segment(a, b, d)) return 1;
    if (o3 == 0 && on_segment(c, d, a)) return 1;
    if (o4 == 0 && on_segment(c, d, b)) return 1;
    return 0;
}

/* Checks a polygon (nv × 2). Returns −1 if it is simple with nonzero area, else the
 * 0-based index of a vertex where the problem is, with a message in msg. */
static int polygon_problem(const double *xy, int nv, char *msg, size_t cap)
{
    if (nv < 3) {
        snprintf(msg, cap, "a polygon needs at least 3 vertices, got %d", nv);
        return 0;
    }
    for (int i = 0; i < nv; i++)
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1])) {
            snprintf(msg, cap, "vertex %d is not finite", i + 1);
            return i;
        }
    for (int i = 0; i < nv; i++) {
        int j = (i + 1) % nv;
        if (xy[2 * i] == xy[2 * j] && xy[2 * i + 1] == xy[2 * j + 1]) {
            if (j == 0) {
                snprintf(msg, cap, "vertices %d and 1 coincide (do not repeat the first vertex at the end)", nv);
                return i;
            }
            snprintf(msg, cap, "vertices %d and %d coincide", i + 1, j + 1);
            return j;
        }
    }
    for (int i = 0; i < nv; i++) { /* consecutive edges that turn back onto each other */
        const double *a = xy + 2 * ((i + nv - 1) % nv), *b = xy + 2 * i, *c = xy + 2 * ((i + 1) % nv);
        double dot = (b[0] - a[0]) * (c[0] - b[0]) + (b[1] - a[1]) * (c[1] - b[1]);
        if (orient(a, b, c) == 0 && dot < 0) {
            snprintf(msg, cap, "the edges at vertex %d fold back onto each other (a polygon must be simple)", i + 1);
            return i;
        }
    }
    for (int i = 0; i < nv; i++)
        for (int j = i + 2; j < nv; j++) {
            if (i == 0 && j == nv - 1) continue; /* neighbours through vertex 0 */
            const double *a = xy + 2 * i, *b = xy + 2 * ((i + 1) % nv), *c = xy + 2 * j, *d = xy + 2 * ((j + 1) % nv);
            if (segments_meet(a, b, c, d)) {
                snprintf(msg, cap, "edges %d-%d and %d-%d cross or touch (a polygon must be simple)", i + 1,
                         (i + 1) % nv + 1, j + 1, (j + 1) % nv + 1);
                return j;
            }
        }
    double area2 = 0;
    for (int i = 0; i < nv; i++) {
        int j = (i + 1) % nv;
        area2 += xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
    }
    if (!(fabs(area2) > 0)) {
        snprintf(msg, cap, "the polygon has zero area");
        return 0;
    }
    return -1;
}

nt_status nt_geom_add_polygon(nt_geom *g, const double *xy, int nv, int *id)
{
    if (g->dim != 2) return nt_set_error(NT_ERR_ARG, "a polygon needs 2 spatial dimensions (this geometry has %d)", g->dim);
    char msg[256];
    if (polygon_problem(xy, nv, msg, sizeof msg) >= 0) return nt_set_error(NT_ERR_ARG, "%s", msg);
    if (g->n_verts + nv > NT_GEOM_MAX_VERTS)
        return nt_set_error(NT_ERR_ARG, "too many polygon vertices (at most %d in all)", NT_GEOM_MAX_VERTS);
    nt_status st = new_node(g, NT_GEOM_POLYGON, id);
    if (st) return st;
    nt_geom_node *nd = &g->node[*id];
    double area2 = 0;
    for (int i = 0; i < nv; i++) {
        int j = (i + 1) % nv;
        area2 += xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
    }
    nd->v0 = g->n_verts;
    nd->nv = nv;
    for (int i = 0; i < nv; i++) { /* counter-clockwise */
        int s = area2 > 0 ? i : nv - 1 - i;
        g->vert[nd->v0 + i][0] = xy[2 * s];
        g->vert[nd->v0 + i][1] = xy[2 * s + 1];
    }
    g->n_verts += nv;
    double len = 0;
    nd->bb_lo[0] = nd->bb_lo[1] = INFINITY;
    nd->bb_hi[0] = nd->bb_hi[1] = -INFINITY;
    for (int i = 0; i < nv; i++) {
        const double *a = g->vert[nd->v0 + i], *b = g->vert[nd->v0 + (i + 1) % nv];
        g->vcum[nd->v0 + i] = len;
        len += hypot(b[0] - a[0], b[1] - a[1]);
        for (int k = 0; k < 2; k++) {
            nd->bb_lo[k] = fmin(nd->bb_lo[k], a[k]);
            nd->bb_hi[k] = fmax(nd->bb_hi[k], a[k]);
        }
    }
    nd->bmeasure = len;
    return NT_OK;
}

nt_status nt_geom_add_op(nt_geom *g, nt_geom_kind op, const int *operands, int n, int *id)
{
    if (op != NT_GEOM_UNION && op != NT_GEOM_INTERSECTION && op != NT_GEOM_DIFFERENCE)
        return nt_set_error(NT_ERR_ARG, "not a combination: %d", (int)op);
    if (n < 2 || n > NT_GEOM_MAX_OPERANDS)
        return nt_set_error(NT_ERR_ARG, "a %s needs 2 to %d shapes (got %d)",
                            op == NT_GEOM_UNION ? "union" : op == NT_GEOM_INTERSECTION ? "intersection" : "difference",
                            NT_GEOM_MAX_OPERANDS, n);
    for (int i = 0; i < n; i++) {
        if (operands[i] < 0 || operands[i] >= g->n_nodes) return nt_set_error(NT_ERR_ARG, "no shape %d", operands[i]);
        if (g->node[operands[i]].used) return nt_set_error(NT_ERR_ARG, "shape %d is already part of a combination", operands[i]);
        for (int j = 0; j < i; j++)
            if (operands[j] == operands[i]) return nt_set_error(NT_ERR_ARG, "shape %d appears twice", operands[i]);
    }
    nt_status st = new_node(g, op, id);
    if (st) return st;
    nt_geom_node *nd = &g->node[*id];
    nd->n_ops = n;
    for (int i = 0; i < n; i++) {
        nd->ops[i] = operands[i];
        g->node[operands[i]].used = 1;
    }
    const nt_geom_node *a = &g->node[operands[0]];
    for (int k = 0; k < g->dim; k++) {
        nd->bb_lo[k] = a->bb_lo[k];
        nd->bb_hi[k] = a->bb_hi[k];
    }
    for (int i = 1; i < n && op != NT_GEOM_DIFFERENCE; i++) {
        const nt_geom_node *b = &g->node[operands[i]];
        for (int k = 0; k < g->dim; k++) {
            if (op == NT_GEOM_UNION) {
                nd->bb_lo[k] = fmin(nd->bb_lo[k], b->bb_lo[k]);
                nd->bb_hi[k] = fmax(nd->bb_hi[k], b->bb_hi[k]);
            } else {
                nd->bb_lo[k] = fmax(nd->bb_lo[k], b->bb_lo[k]);
                nd->bb_hi[k] = fmin(nd->bb_hi[k], b->bb_hi[k]);
            }
        }
    }
    return NT_OK;
}

/* ------------------------------------------------------------------------------ */
/* Distances                                                                        */

static double sdf_polygon(const nt_geom *g, const nt_geom_node *nd, const double *p)
{
    double dmin2 = INFINITY;
    int in = 0;
    for (int i = 0; i < nd->nv; i++) {
        const double *a = g->vert[nd->v0 + i], *b = g->vert[nd->v0 + (i + 1) % nd->nv];
        double ex = b[0] - a[0], ey = b[1] - a[1], px = p[0] - a[0], py = p[1] - a[1];
        double t = (px * ex + py * ey) / (ex * ex + ey * ey);
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double dx = px - t * ex, dy = py - t * ey;
        dmin2 = fmin(dmin2, dx * dx + dy * dy);
        if ((a[1] > p[1]) != (b[1] > p[1]) && p[0] < a[0] + ex * (p[1] - a[1]) / ey) in = !in;
    }
    double dd = sqrt(dmin2);
    return in ? -dd : dd;
}

static double sdf_node(const nt_geom *g, int id, const double *x)
{
    const nt_geom_node *nd = &g->node[id];
    int D = g->dim;
    switch (nd->kind) {
    case NT_GEOM_BOX: {
        double out2 = 0, qmax = -INFINITY;
        for (int k = 0; k < D; k++) {
            double q = fmax(nd->lo[k] - x[k], x[k] - nd->hi[k]);
            if (q > 0) out2 += q * q;
            qmax = fmax(qmax, q);
        }
        return out2 > 0 ? sqrt(out2) : qmax;
    }
    case NT_GEOM_BALL: {
        if (D == 1) return fabs(x[0] - nd->center[0]) - nd->radius;
        if (D == 2) return hypot(x[0] - nd->center[0], x[1] - nd->center[1]) - nd->radius;
        double s = 0;
        for (int k = 0; k < D; k++) s += (x[k] - nd->center[k]) * (x[k] - nd->center[k]);
        return sqrt(s) - nd->radius;
    }
    case NT_GEOM_POLYGON:
        return sdf_polygon(g, nd, x);
    case NT_GEOM_UNION: {
        double d = INFINITY;
        for (int i = 0; i < nd->n_ops; i++) d = fmin(d, sdf_node(g, nd->ops[i], x));
        return d;
    }
    case NT_GEOM_INTERSECTION: {
        double d = -INFINITY;
        for (int i = 0; i < nd->n_ops; i++) d = fmax(d, sdf_node(g, nd->ops[i], x));
        return d;
    }
    case NT_GEOM_DIFFERENCE: {
        double d = sdf_node(g, nd->ops[0], x);
        for (int i = 1; i < nd->n_ops; i++) d = fmax(d, -sdf_node(g, nd->ops[i], x));
        return d;
    }
    }
    return NAN;
}

double nt_geom_sdf(const nt_geom *g, const double *x)
{
    NT_ASSERT(g->root >= 0, "nt_geom_sdf: geometry not finished");
    return sdf_node(g, g->root, x);
}

/* Unit directions probed around a point on the boundary: 2 (1D), 16 (2D, every
 * 22.5°), 26 (3D, the neighbours of a cube cell). */
static int probe_dirs(int D, double dir[26][3])
{
    int n = 0;
    if (D == 1) {
        dir[0][0] = -1;
        dir[1][0] = 1;
        return 2;
    }
    if (D == 2) {
        for (int k = 0; k < 16; k++) {
            dir[k][0] = cos(k * NT_PI / 8);
            dir[k][1] = sin(k * NT_PI / 8);
        }
        return 16;
    }
    for (int a = -1; a <= 1; a++)
        for (int b = -1; b <= 1; b++)
            for (int c = -1; c <= 1; c++) {
                if (!a && !b && !c) continue;
                double l = sqrt((double)(a * a + b * b + c * c));
                dir[n][0] = a / l;
                dir[n][1] = b / l;
                dir[n][2] = c / l;
                n++;
            }
    return n;
}

int nt_geom_inside(const nt_geom *g, const double *x)
{
    double s = nt_geom_sdf(g, x);
    if (s < -g->tol) return 1;
    if (s > g->tol) return 0;
    /* on the boundary (up to tol): in the closure of the interior when a point at
     * distance delta in one of the probe directions is strictly inside; this leaves
     * out faces that cancel (a face of a covered exactly by a subtracted shape) */
    double dir[26][3], y[NT_GEOM_MAX_DIM];
    int nd = probe_dirs(g->dim, dir);
    for (int k = 0; k < nd; k++) {
        for (int q = 0; q < g->dim; q++) y[q] = x[q] + g->delta * dir[k][q];
        if (nt_geom_sdf(g, y) < 0) return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------ */
/* Boundary points of primitives                                                    */

/* The point of primitive nd's boundary at parameter f in [0, 1) (arc-length / area
 * proportional), with u2 the second surface parameter in 3D; x and its outward unit
 * normal n. */
static void prim_point(const nt_geom *g, const nt_geom_node *nd, double f, double u2, double *x, double *n)
{
    int D = g->dim;
    for (int k = 0; k < D; k++) n[k] = 0;
    switch (nd->kind) {
    case NT_GEOM_BOX: {
        double s = f * nd->bmeasure, cum = 0;
        int a = 0, side = 0;
        double fm = 1;
        for (int face = 0; face < 2 * D; face++) {
            a = face / 2;
            side = face % 2;
            fm = 1;
            for (int b = 0; b < D; b++)
                if (b != a) fm *= nd->hi[b] - nd->lo[b];
            if (s < cum + fm || face == 2 * D - 1) break;
            cum += fm;
        }
        double ff = (s - cum) / fm;
        ff = ff < 0 ? 0 : ff >= 1 ? 1 - DBL_EPSILON : ff;
        int first = 1;
        for (int b = 0; b < D; b++) {
            if (b == a) continue;
            double t = first ? ff : u2;
            first = 0;
            x[b] = nd->lo[b] + (nd->hi[b] - nd->lo[b]) * t;
        }
        x[a] = side ? nd->hi[a] : nd->lo[a];
        n[a] = side ? 1 : -1;
        return;
    }
    case NT_GEOM_BALL: {
        if (D == 1) {
            n[0] = f < 0.5 ? -1 : 1;
        } else if (D == 2) {
            double th = 2 * NT_PI * f;
            n[0] = cos(th);
            n[1] = sin(th);
        } else {
            double z = 2 * f - 1, rho = sqrt(fmax(0, 1 - z * z)), ph = 2 * NT_PI * u2;
            n[0] = rho * cos(ph);
            n[1] = rho * sin(ph);
            n[2] = z;
        }
        for (int k = 0; k < D; k++) x[k] = nd->center[k] + nd->radius * n[k];
        return;
    }
    case NT_GEOM_POLYGON: {
        double s = f * nd->bmeasure;
        int lo = 0, hi = nd->nv - 1; /* last vertex i with vcum[i] <= s */
        while (lo < hi) {
            int mid = (lo + hi + 1) / 2;
            if (g->vcum[nd->v0 + mid] <= s) lo = mid;
            else hi = mid - 1;
        }
        const double *a = g->vert[nd->v0 + lo], *b = g->vert[nd->v0 + (lo + 1) % nd->nv];
        double ex = b[0] - a[0], ey = b[1] - a[1], len = hypot(ex, ey);
        double t = (s - g->vcum[nd->v0 + lo]) / len;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        x[0] = a[0] + t * ex;
        x[1] = a[1] + t * ey;
        n[0] = ey / len; /* counter-clockwise: the outside is on the right */
        n[1] = -ex / len;
        return;
    }
    default:
        return;
    }
}

static int boundary_param_dims(const nt_geom *g) { return g->dim > 1 ? g->dim - 1 : 1; }

/* Candidate from u (boundary parameters first, then the embedding's other columns
 * in order): writes the D-row and the geometry's outward normal; returns 1 when
 * the point is on the composite boundary. */
static int candidate(const nt_geom *g, const nt_geom_embed *e, const double *u, double *row, double *nrm)
{
    int D = g->dim, pd = boundary_param_dims(g);
    double total = g->prim_cum[g->n_prims], s = u[0] * total;
    int j = 0;
    while (j < g->n_prims - 1 && s >= g->prim_cum[j + 1]) j++;
    const nt_geom_node *nd = &g->node[g->prim[j]];
    double f = (s - g->prim_cum[j]) / nd->bmeasure;
    f = f < 0 ? 0 : f >= 1 ? 1 - DBL_EPSILON : f;
    double x[NT_GEOM_MAX_DIM], n[NT_GEOM_MAX_DIM], a[NT_GEOM_MAX_DIM], b[NT_GEOM_MAX_DIM];
    prim_point(g, nd, f, pd > 1 ? u[1] : 0, x, n);
    int sign = 1;
    if (g->n_prims > 1) {
        for (int k = 0; k < D; k++) {
            a[k] = x[k] + g->delta * n[k];
            b[k] = x[k] - g->delta * n[k];
        }
        double sa = nt_geom_sdf(g, a), sb = nt_geom_sdf(g, b);
        sign = sa > 0 && sb < 0 ? 1 : sa < 0 && sb > 0 ? -1 : 0;
        if (!sign) return 0;
    }
    int c = pd;
    for (int col = 0; col < e->D; col++) {
        int gk = -1;
        for (int q = 0; q < D; q++)
            if (e->var[q] == col) gk = q;
        if (gk >= 0) row[col] = x[gk];
        else row[col] = e->lo[col] + (e->hi[col] - e->lo[col]) * u[c++];
    }
    for (int k = 0; k < D; k++) nrm[k] = sign * n[k];
    return 1;
}

/* ------------------------------------------------------------------------------ */
/* Finishing: bounding box and measures                                             */

static void collect_prims(nt_geom *g, int id)
{
    const nt_geom_node *nd = &g->node[id];
    if (nd->kind <= NT_GEOM_POLYGON) {
        g->prim[g->n_prims++] = id;
        return;
    }
    for (int i = 0; i < nd->n_ops; i++) collect_prims(g, nd->ops[i]);
}

static nt_geom_embed identity_embed(const nt_geom *g)
{
    nt_geom_embed e;
    memset(&e, 0, sizeof e);
    e.D = g->dim;
    for (int k = 0; k < g->dim; k++) e.var[k] = k;
    return e;
}

static int64_t count_boundary(const nt_geom *g, const nt_geom_embed *e, const double *u, int64_t n, int nu,
                          nt_geom_keep_fn keep, void *user)
{
    int64_t cnt = 0;
    double row[NT_SAMPLER_MAX_DIM], nrm[NT_GEOM_MAX_DIM];
    for (int64_t i = 0; i < n; i++)
        if (candidate(g, e, u + i * nu, row, nrm) && (!keep || keep(user, row))) cnt++;
    return cnt;
}

nt_status nt_geom_finish(nt_geom *g, int root)
{
    if (root < 0 || root >= g->n_nodes) return nt_set_error(NT_ERR_ARG, "no shape %d", root);
    if (g->node[root].used) return nt_set_error(NT_ERR_ARG, "shape %d is an operand, not the whole geometry", root);
    int D = g->dim;
    g->root = root;
    g->n_prims = 0;
    collect_prims(g, root);
    g->prim_cum[0] = 0;
    for (int j = 0; j < g->n_prims; j++) g->prim_cum[j + 1] = g->prim_cum[j] + g->node[g->prim[j]].bmeasure;
    const nt_geom_node *r = &g->node[root];
    double vol = 1, d2 = 0;
    for (int k = 0; k < D; k++) {
        g->lo[k] = r->bb_lo[k];
        g->hi[k] = r->bb_hi[k];
        if (!(g->hi[k] > g->lo[k])) {
            g->root = -1;
            return nt_set_error(NT_ERR_ARG, "the geometry is empty (its parts do not overlap)");
        }
        vol *= g->hi[k] - g->lo[k];
        d2 += (g->hi[k] - g->lo[k]) * (g->hi[k] - g->lo[k]);
    }
    g->diag = sqrt(d2);
    g->tol = 1e-12 * g->diag;
    g->delta = 1e-9 * g->diag;
    if (r->kind <= NT_GEOM_POLYGON) {
        g->boundary_measure = r->bmeasure;
        if (r->kind == NT_GEOM_BOX) g->measure = vol;
        else if (r->kind == NT_GEOM_BALL)
            g->measure = D == 1 ? 2 * r->radius : D == 2 ? NT_PI * r->radius * r->radius
                                                         : 4.0 / 3.0 * NT_PI * pow(r->radius, 3);
        else {
            double a2 = 0;
            for (int i = 0; i < r->nv; i++) {
                const double *a = g->vert[r->v0 + i], *b = g->vert[r->v0 + (i + 1) % r->nv];
                a2 += a[0] * b[1] - b[0] * a[1];
            }
            g->measure = 0.5 * fabs(a2);
        }
        return NT_OK;
    }
    /* quasi-Monte Carlo: the volume fraction of the bounding box, and the fraction
     * of the primitives' boundaries that is the composite boundary */
    const int64_t NV = 1 << 16, NB = 1 << 15;
    int pd = boundary_param_dims(g);
    double *buf = malloc((size_t)NV * D * sizeof(double));
    if (!buf) {
        g->root = -1;
        return nt_set_error(NT_ERR_NOMEM, "out of memory estimating the geometry's measure");
    }
    nt_status st = nt_sample_sobol(D, g->lo, g->hi, NV, NULL, buf);
    int64_t in = 0;
    for (int64_t i = 0; !st && i < NV; i++) in += nt_geom_sdf(g, buf + i * D) < 0;
    g->measure = vol * (double)in / (double)NV;
    double z[NT_GEOM_MAX_DIM] = {0}, o[NT_GEOM_MAX_DIM] = {1, 1, 1};
    if (!st) st = nt_sample_sobol(pd, z, o, NB, NULL, buf);
    nt_geom_embed e = identity_embed(g);
    int64_t on = st ? 0 : count_boundary(g, &e, buf, NB, pd, NULL, NULL);
    g->boundary_measure = g->prim_cum[g->n_prims] * (double)on / (double)NB;
    free(buf);
    if (st) {
        g->root = -1;
        return st;
    }
    if (in == 0 || on == 0) {
        g->root = -1;
        return nt_set_error(NT_ERR_ARG, "the geometry is empty (no interior point found among %lld)", (long long)NV);
    }
    return NT_OK;
}

/* ------------------------------------------------------------------------------ */
/* Sampling                                                                         */

void nt_geom_work_free(nt_geom_work *w)
{
    free(w->buf);
    w->buf = NULL;
    w->cap = 0;
}

static nt_status work_reserve(nt_geom_work *w, int64_t n)
{
    if (w->cap >= n) return NT_OK;
    double *b = realloc(w->buf, (size_t)n * sizeof(double));
    if (!b) return nt_set_error(NT_ERR_NOMEM, "out of memory for %lld sample coordinates", (long long)n);
    w->buf = b;
    w->cap = n;
    return NT_OK;
}

static nt_status check_embed(const nt_geom *g, const nt_geom_embed *e)
{
    NT_ASSERT(g->root >= 0, "geometry not finished");
    if (e->D < g->dim || e->D > NT_SAMPLER_MAX_DIM)
        return nt_set_error(NT_ERR_ARG, "embedding: %d columns for a %dD geometry", e->D, g->dim);
    for (int k = 0; k < g->dim; k++) {
        if (e->var[k] < 0 || e->var[k] >= e->D) return nt_set_error(NT_ERR_ARG, "embedding: bad column %d", e->var[k]);
        for (int q = 0; q < k; q++)
            if (e->var[q] == e->var[k]) return nt_set_error(NT_ERR_ARG, "embedding: column %d used twice", e->var[k]);
    }
    return NT_OK;
}

#define BATCH_MAX ((int64_t)1 << 20)
#define GIVE_UP ((int64_t)1000000)

nt_status nt_geom_sample_interior(const nt_geom *g, nt_sampler_kind k, const nt_geom_embed *e, int64_t n,
                                  nt_rng *rng, nt_geom_work *w, double *out)
{
    nt_geom_embed id = identity_embed(g);
    if (!e) e = &id;
    nt_status st = check_embed(g, e);
    if (st) return st;
    if (n < 0) return nt_set_error(NT_ERR_ARG, "negative point count");
    int D = e->D;
    double L[NT_SAMPLER_MAX_DIM], H[NT_SAMPLER_MAX_DIM], vol = 1;
    for (int c = 0; c < D; c++) {
        L[c] = e->lo[c];
        H[c] = e->hi[c];
    }
    for (int q = 0; q < g->dim; q++) {
        L[e->var[q]] = g->lo[q];
        H[e->var[q]] = g->hi[q];
        vol *= g->hi[q] - g->lo[q];
    }
    double ratio = fmin(vol / g->measure, 1e6);
    int exact = g->node[g->root].kind == NT_GEOM_BOX; /* every candidate is inside */
    int64_t got = 0, drawn = 0;
    while (got < n) {
        int64_t m = exact ? n - got : (int64_t)ceil((double)(n - got) * ratio * 1.1) + 16;
        m = NT_MIN(m, BATCH_MAX);
        if ((st = work_reserve(w, m * D))) return st;
        if ((st = nt_sample_box(k, D, L, H, m, rng, w->buf))) return st;
        for (int64_t i = 0; i < m && got < n; i++) {
            const double *row = w->buf + i * D;
            double x[NT_GEOM_MAX_DIM];
            for (int q = 0; q < g->dim; q++) x[q] = row[e->var[q]];
            if (nt_geom_inside(g, x)) memcpy(out + (got++) * D, row, (size_t)D * sizeof(double));
        }
        drawn += m;
        if (got == 0 && drawn >= GIVE_UP)
            return nt_set_error(NT_ERR_NUMERIC, "no point inside the geometry among %lld candidates", (long long)drawn);
    }
    return NT_OK;
}

nt_status nt_geom_sample_boundary(const nt_geom *g, nt_sampler_kind k, const nt_geom_embed *e, int64_t n,
                                  nt_geom_keep_fn keep, void *user, nt_rng *rng, nt_geom_work *w, double *out,
                                  double *normals)
{
    nt_geom_embed id = identity_embed(g);
    if (!e) e = &id;
    nt_status st = check_embed(g, e);
    if (st) return st;
    if (n < 0) return nt_set_error(NT_ERR_ARG, "negative point count");
    int D = e->D, nu = boundary_param_dims(g) + e->D - g->dim;
    if (nu > NT_SAMPLER_MAX_DIM) return nt_set_error(NT_ERR_ARG, "embedding: too many columns");
    double L[NT_SAMPLER_MAX_DIM], H[NT_SAMPLER_MAX_DIM];
    for (int c = 0; c < nu; c++) {
        L[c] = 0;
        H[c] = 1;
    }
    double ratio = fmin(g->prim_cum[g->n_prims] / g->boundary_measure, 1e6);
    int exact = g->n_prims == 1 && !keep; /* every candidate is kept */
    int64_t got = 0, drawn = 0;
    while (got < n) {
        int64_t m = exact ? n - got : (int64_t)ceil((double)(n - got) * ratio * 1.1) + 16;
        m = NT_MIN(m, BATCH_MAX);
        if ((st = work_reserve(w, m * nu))) return st;
        if ((st = nt_sample_box(k, nu, L, H, m, rng, w->buf))) return st;
        double row[NT_SAMPLER_MAX_DIM], nrm[NT_GEOM_MAX_DIM];
        for (int64_t i = 0; i < m && got < n; i++) {
            if (!candidate(g, e, w->buf + i * nu, row, nrm) || (keep && !keep(user, row))) continue;
            memcpy(out + got * D, row, (size_t)D * sizeof(double));
            if (normals) memcpy(normals + got * g->dim, nrm, (size_t)g->dim * sizeof(double));
            got++;
        }
        drawn += m;
        if (got < n && drawn >= GIVE_UP && got * 10000 < drawn)
            return nt_set_error(NT_ERR_NUMERIC, "only %lld of %lld boundary candidates were accepted (is the selected part of the boundary empty?)",
                                (long long)got, (long long)drawn);
        if (got > 0) ratio = fmin((double)drawn / (double)got, 1e6);
    }
    return NT_OK;
}

nt_status nt_geom_boundary_part(const nt_geom *g, const nt_geom_embed *e, nt_geom_keep_fn keep, void *user,
                                int64_t n_cand, double *measure)
{
    nt_geom_embed id = identity_embed(g);
    if (!e) e = &id;
    nt_status st = check_embed(g, e);
    if (st) return st;
    int nu = boundary_param_dims(g) + e->D - g->dim;
    if (nu > NT_SAMPLER_MAX_DIM || n_cand < 1) return nt_set_error(NT_ERR_ARG, "nt_geom_boundary_part: bad arguments");
    double L[NT_SAMPLER_MAX_DIM] = {0}, H[NT_SAMPLER_MAX_DIM];
    for (int c = 0; c < nu; c++) H[c] = 1;
    double *u = malloc((size_t)(n_cand * nu) * sizeof(double));
    if (!u) return nt_set_error(NT_ERR_NOMEM, "out of memory for %lld boundary candidates", (long long)n_cand);
    st = nt_sample_sobol(nu, L, H, n_cand, NULL, u);
    int64_t cnt = st ? 0 : count_boundary(g, e, u, n_cand, nu, keep, user);
    free(u);
    *measure = g->prim_cum[g->n_prims] * (double)cnt / (double)n_cand;
    return st;
}

/* ------------------------------------------------------------------------------ */
/* YAML                                                                             */

typedef struct yctx {
    nt_geom *g;
    const nt_ydoc *d;
    const char *const *names;
} yctx;

static void coord_names(const yctx *c, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = 0;
    if (!c->names) return;
    len += (size_t)snprintf(out, cap, " (");
    for (int k = 0; k < c->g->dim && len < cap; k++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", k ? ", " : "", c->names[k]);
    if (len < cap) snprintf(out + len, cap - len, ")");
}

static nt_status y_point(const yctx *c, const nt_ynode *n, const char *what, double *out)
{
    int D = c->g->dim;
    if (n->kind != NT_Y_SEQ || n->n != D) {
        char nm[128];
        coord_names(c, nm, sizeof nm);
        if (n->kind == NT_Y_SEQ)
            return nt_yaml_error(c->d, n, "%s needs %d coordinate%s%s, got %d", what, D, D > 1 ? "s" : "", nm, n->n);
        return nt_yaml_error(c->d, n, "%s must be a list of %d coordinate%s%s, got %s", what, D, D > 1 ? "s" : "", nm,
                             nt_ynode_kind_str(n));
    }
    for (int k = 0; k < D; k++) {
        nt_status st = nt_yaml_double(c->d, n->items[k], what, &out[k]);
        if (st) return st;
    }
    return NT_OK;
}

static const char *const g_shape_keys[] = {"box", "disk", "ball", "polygon", "union", "intersection", "difference", NULL};

static nt_status y_shape(const yctx *c, const nt_ynode *n, int *id)
{
    const nt_ydoc *d = c->d;
    nt_geom *g = c->g;
    nt_status st;
    if (n->kind != NT_Y_MAP)
        return nt_yaml_error(d, n, "a shape must be a mapping with one key (box, disk, ball, polygon, union, intersection or difference), got %s",
                             nt_ynode_kind_str(n));
    if ((st = nt_yaml_check_keys(d, n, g_shape_keys, "geometry"))) return st;
    if (n->n == 0)
        return nt_yaml_error(d, n, "an empty shape: write box, disk, ball, polygon, union, intersection or difference");
    if (n->n > 1)
        return nt_yaml_error_at(d, n->key_line[1], n->key_col[1],
                                "a shape has one key; '%s' starts a second shape (combine shapes with union: [...])",
                                n->keys[1]);
    const char *key = n->keys[0];
    const nt_ynode *v = n->items[0];
    int kl = n->key_line[0], kc = n->key_col[0];
    if (!strcmp(key, "box")) {
        static const char *keys[] = {"lo", "hi", NULL};
        if ((st = nt_yaml_check_keys(d, v, keys, "box"))) return st;
        const nt_ynode *lo = nt_ynode_get(v, "lo"), *hi = nt_ynode_get(v, "hi");
        if (!lo || !hi) return nt_yaml_error(d, v, "box needs lo and hi, e.g. box: {lo: [-1, -1], hi: [1, 1]}");
        double L[NT_GEOM_MAX_DIM], H[NT_GEOM_MAX_DIM];
        if ((st = y_point(c, lo, "lo", L)) || (st = y_point(c, hi, "hi", H))) return st;
        for (int k = 0; k < g->dim; k++)
            if (!(L[k] < H[k])) {
                char ax[64];
                if (c->names) snprintf(ax, sizeof ax, "%s", c->names[k]);
                else snprintf(ax, sizeof ax, "axis %d", k + 1);
                return nt_yaml_error(d, hi->items[k], "box needs lo < hi on every axis (%s: lo %g, hi %g)", ax, L[k], H[k]);
            }
        st = nt_geom_add_box(g, L, H, id);
    } else if (!strcmp(key, "disk") || !strcmp(key, "ball")) {
        static const char *keys[] = {"center", "radius", NULL};
        if ((st = nt_yaml_check_keys(d, v, keys, key))) return st;
        const nt_ynode *ce = nt_ynode_get(v, "center"), *ra = nt_ynode_get(v, "radius");
        if (!ce || !ra) return nt_yaml_error(d, v, "%s needs center and radius, e.g. %s: {center: [0, 0], radius: 0.5}", key, key);
        double C[NT_GEOM_MAX_DIM], r;
        if ((st = y_point(c, ce, "center", C)) || (st = nt_yaml_double(d, ra, "radius", &r))) return st;
        if (!(r > 0)) return nt_yaml_error(d, ra, "radius must be > 0 (got %g)", r);
        st = nt_geom_add_ball(g, C, r, id);
    } else if (!strcmp(key, "polygon")) {
        if (g->dim != 2)
            return nt_yaml_error_at(d, kl, kc, "polygon needs 2 spatial variables (this problem has %d)", g->dim);
        if (v->kind != NT_Y_SEQ || v->n < 3)
            return nt_yaml_error(d, v, "polygon must be a list of at least 3 vertices [x, y], got %s%s",
                                 v->kind == NT_Y_SEQ ? "" : nt_ynode_kind_str(v),
                                 v->kind == NT_Y_SEQ ? (v->n == 1 ? "1 vertex" : v->n == 2 ? "2 vertices" : "no vertex") : "");
        if (v->n > NT_GEOM_MAX_VERTS - g->n_verts)
            return nt_yaml_error(d, v, "too many polygon vertices (at most %d in all)", NT_GEOM_MAX_VERTS);
        double *xy = malloc((size_t)v->n * 2 * sizeof(double));
        if (!xy) return nt_set_error(NT_ERR_NOMEM, "out of memory");
        for (int i = 0; i < v->n && !st; i++) st = y_point(c, v->items[i], "a vertex", xy + 2 * i);
        char msg[256];
        int bad = st ? -1 : polygon_problem(xy, v->n, msg, sizeof msg);
        if (!st && bad >= 0) st = nt_yaml_error(d, v->items[bad], "polygon: %s", msg);
        if (!st) st = nt_geom_add_polygon(g, xy, v->n, id);
        free(xy);
        if (st == NT_ERR_FORMAT || st == NT_ERR_NOMEM) return st;
    } else {
        nt_geom_kind op = !strcmp(key, "union") ? NT_GEOM_UNION : !strcmp(key, "intersection") ? NT_GEOM_INTERSECTION
                                                                                             : NT_GEOM_DIFFERENCE;
        if (v->kind != NT_Y_SEQ || v->n < 2 || v->n > NT_GEOM_MAX_OPERANDS)
            return nt_yaml_error(d, v, "%s must be a list of 2 to %d shapes%s", key, NT_GEOM_MAX_OPERANDS,
                                 op == NT_GEOM_DIFFERENCE ? " (the first minus the others)" : "");
        int ops[NT_GEOM_MAX_OPERANDS];
        for (int i = 0; i < v->n; i++)
            if ((st = y_shape(c, v->items[i], &ops[i]))) return st;
        st = nt_geom_add_op(g, op, ops, v->n, id);
    }
    if (st) return nt_yaml_error_at(d, kl, kc, "%s", nt_error_msg());
    g->node[*id].line = kl;
    g->node[*id].col = kc;
    return NT_OK;
}

nt_status nt_geom_from_yaml(nt_geom *g, const nt_ydoc *d, const nt_ynode *n, int dim, const char *const *names)
{
    if (dim < 1 || dim > NT_GEOM_MAX_DIM) {
        nt_geom_init(g, 1);
        return nt_yaml_error(d, n, "a geometry needs 1 to %d spatial variables (this problem has %d)", NT_GEOM_MAX_DIM, dim);
    }
    nt_geom_init(g, dim);
    yctx c = {g, d, names};
    int root;
    nt_status st = y_shape(&c, n, &root);
    if (st) return st;
    if ((st = nt_geom_finish(g, root))) {
        if (st == NT_ERR_NOMEM) return st;
        return nt_yaml_error(d, n, "%s", nt_error_msg());
    }
    return NT_OK;
}

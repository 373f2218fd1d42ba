/* geometry.h — PINN domains beyond boxes: primitives (box, ball/disk, polygon) and
 * their unions, intersections and differences, with point queries, interior and
 * boundary sampling, and a YAML reader (internal).
 *
 * A geometry is a small tree of nodes in a fixed-capacity array (no heap memory:
 * an nt_geom can be copied and needs no free). Build it with nt_geom_init, the
 * nt_geom_add_* calls (each returns the new node's id) and nt_geom_finish(root),
 * or from YAML with nt_geom_from_yaml. All queries need a finished geometry.
 *
 * Sets. Every primitive is a closed set (the box [lo, hi], the ball |x − c| <= r,
 * the polygon with its edges), and so is every combination: the geometry is the
 * closure of its interior, where the interior is that of the union / intersection /
 * difference (a minus b, c, ...) of the primitives' interiors. So the edge of a hole
 * belongs to the plate, the face two boxes of a union share is inside, and a face of
 * a that a subtracted shape covers exactly (the L-shape [-1,1]^2 minus [0,1]x[-1,0]
 * along y = -1, 0 < x <= 1) is not. nt_geom_inside tests that closed set: sdf <
 * −tol is inside, sdf > tol outside (tol = 1e-12 × the bounding box diagonal, so
 * that points computed on the boundary count as on it), and in between a point is
 * inside when one of the points at distance delta around it (2, 16 or 26
 * directions) has sdf < 0.
 *
 * Signed distance. nt_geom_sdf(x) is < 0 inside, > 0 outside, 0 on the boundary.
 * For a primitive it is the exact signed Euclidean distance to its boundary. A
 * combination uses min (union), max (intersection) and max(d_a, −d_b, −d_c, ...)
 * (difference): its sign is exact away from the boundary, it vanishes on the
 * boundary (and also on faces that cancel, see above), and its magnitude never
 * exceeds the true distance to the boundary (it equals it wherever one operand's
 * boundary is the nearest; near concave corners it is smaller). Both properties are what a hard
 * constraint u = g + d(x)·N(x) with d = −sdf needs: d > 0 inside, d = 0 on the
 * boundary, and d is continuous and 1-Lipschitz.
 *
 * Boundary of a combination. A point of some primitive's boundary, with that
 * primitive's outward normal n, is on the boundary of the whole geometry when the
 * geometry is inside at x − δn and outside at x + δn (then n is its outward normal),
 * or the other way round (then −n is; this is how the edge of a subtracted shape
 * gets its normal flipped); δ = 1e-9 × the diagonal. This gives the usual rules
 * (union: not strictly inside another operand; intersection: inside all others;
 * difference: on a's boundary outside the subtracted shapes, or on a subtracted
 * shape's boundary inside a, normal flipped) and also drops faces that two operands
 * share (the common face of two boxes in a union, or a face of a that a subtracted
 * box covers exactly). Points at a corner get the normal of the face they were drawn
 * on. */
#ifndef NT_PINN_GEOMETRY_H
#define NT_PINN_GEOMETRY_H

#include "noether.h"
#include "io/yaml.h"
#include "pinn/sampler.h"

#define NT_GEOM_MAX_DIM 3
#define NT_GEOM_MAX_NODES 64      /* primitives and combinations together */
#define NT_GEOM_MAX_OPERANDS 16   /* per union / intersection / difference */
#define NT_GEOM_MAX_VERTS 1024    /* polygon vertices, all polygons together */

typedef enum nt_geom_kind {
    NT_GEOM_BOX = 0,        /* lo, hi */
    NT_GEOM_BALL,           /* center, radius (a disk in 2D, an interval in 1D) */
    NT_GEOM_POLYGON,        /* 2D only: a simple polygon, vertices in either order */
    NT_GEOM_UNION,
    NT_GEOM_INTERSECTION,
    NT_GEOM_DIFFERENCE      /* operand 0 minus the others */
} nt_geom_kind;

typedef struct nt_geom_node {
    nt_geom_kind kind;
    int line, col;                          /* position in a YAML file (0 if none) */
    double lo[NT_GEOM_MAX_DIM], hi[NT_GEOM_MAX_DIM]; /* box */
    double center[NT_GEOM_MAX_DIM], radius; /* ball */
    int v0, nv;                             /* polygon: vertices v0 .. v0+nv-1 of the pool,
                                               stored counter-clockwise */
    int n_ops, ops[NT_GEOM_MAX_OPERANDS];   /* combinations: operand node ids */
    double bb_lo[NT_GEOM_MAX_DIM], bb_hi[NT_GEOM_MAX_DIM]; /* bounding box */
    double bmeasure;                        /* primitives: measure of the boundary
                                               (length, area; 1D: number of end points) */
    int used;                               /* already an operand of a combination */
} nt_geom_node;

typedef struct nt_geom {
    int dim;                                /* 1..3 */
    int n_nodes, root;                      /* root = −1 until nt_geom_finish */
    nt_geom_node node[NT_GEOM_MAX_NODES];
    int n_verts;
    double vert[NT_GEOM_MAX_VERTS][2];      /* polygon vertex pool */
    double vcum[NT_GEOM_MAX_VERTS];         /* per polygon: arc length at each vertex */

    /* set by nt_geom_finish */
    double lo[NT_GEOM_MAX_DIM], hi[NT_GEOM_MAX_DIM]; /* bounding box */
    double diag;                            /* its diagonal */
    double tol;                             /* inside() tolerance: 1e-12 × diag */
    double delta;                           /* boundary probe distance: 1e-9 × diag */
    double measure;                         /* length / area / volume: exact for a single
                                               primitive, else a quasi-Monte Carlo estimate
                                               (2^16 Sobol' points, ~1e-4 relative) */
    double boundary_measure;                /* of the composite boundary: exact for one
                                               primitive, else the accepted fraction of
                                               2^15 Sobol' primitive-boundary points */
    int n_prims, prim[NT_GEOM_MAX_NODES];   /* primitives in the tree */
    double prim_cum[NT_GEOM_MAX_NODES + 1]; /* cumulative boundary measure */
} nt_geom;

/* An empty geometry in dimension dim (1..3). */
void nt_geom_init(nt_geom *g, int dim);

/* Primitives. Each returns the node id in *id. NT_ERR_ARG (message says why) for
 * non-finite numbers, lo >= hi on some axis, radius <= 0, a polygon outside 2D,
 * with fewer than 3 vertices, a zero-length edge, zero area or crossing edges, or
 * when the node / vertex capacity is exhausted. */
nt_status nt_geom_add_box(nt_geom *g, const double *lo, const double *hi, int *id);
nt_status nt_geom_add_ball(nt_geom *g, const double *center, double radius, int *id);
nt_status nt_geom_add_polygon(nt_geom *g, const double *xy, int nv, int *id);
/* A combination of 2 .. NT_GEOM_MAX_OPERANDS earlier nodes, each used at most once
 * in the tree (NT_ERR_ARG otherwise). For a difference operand 0 is a. */
nt_status nt_geom_add_op(nt_geom *g, nt_geom_kind op, const int *operands, int n, int *id);
/* Makes node `root` the geometry: bounding box, measure, boundary measure.
 * NT_ERR_ARG if the set is empty (measure 0) or has no boundary; allocates scratch
 * for the estimates (freed before return; NT_ERR_NOMEM if that fails). */
nt_status nt_geom_finish(nt_geom *g, int root);

/* Queries on one point (dim coordinates). */
double nt_geom_sdf(const nt_geom *g, const double *x);
int nt_geom_inside(const nt_geom *g, const double *x);     /* the closed set (above) */

/* Where the geometry's coordinates sit in the sampled points: each point has D
 * columns (D >= dim, <= NT_SAMPLER_MAX_DIM); geometry coordinate k is column
 * var[k]; every other column c is drawn in [lo[c], hi[c]] with the same sampler
 * (lo == hi fixes it, e.g. t = t0). NULL stands for D = dim, var[k] = k. */
typedef struct nt_geom_embed {
    int D;
    int var[NT_GEOM_MAX_DIM];
    double lo[NT_SAMPLER_MAX_DIM], hi[NT_SAMPLER_MAX_DIM];
} nt_geom_embed;

/* Scratch reused by the samplers (grows on demand; zero-initialize it). */
typedef struct nt_geom_work {
    double *buf;
    int64_t cap;
} nt_geom_work;
void nt_geom_work_free(nt_geom_work *w);

/* Optional filter for boundary points: nonzero keeps the point (row = D columns). */
typedef int (*nt_geom_keep_fn)(void *user, const double *row);

/* n points inside the geometry (n × D row-major in out): candidates are drawn with
 * sampler k over the bounding box (other columns over their ranges), in batches
 * sized from the measure, and the first n inside are kept. Deterministic for a
 * given rng state (rng advances). Allocates only when w must grow. NT_ERR_ARG for
 * a bad embedding or sampler; NT_ERR_NUMERIC if a million candidates in a row miss. */
nt_status nt_geom_sample_interior(const nt_geom *g, nt_sampler_kind k, const nt_geom_embed *e, int64_t n,
                                  nt_rng *rng, nt_geom_work *w, double *out);

/* n points on the boundary (n × D in out) with outward unit normals (n × dim in
 * normals; may be NULL). Candidates: the sampler draws u in [0,1)^(max(dim−1,1) +
 * D − dim); u_0 picks a primitive in proportion to its boundary measure and,
 * rescaled, the position along it (with u_1 on 3D surfaces); the remaining u are
 * the other columns. A candidate is kept when it lies on the composite boundary
 * (see the header comment) and keep (if not NULL) accepts it; the first n are
 * returned. Deterministic for a given rng state. NT_ERR_NUMERIC if fewer than 1 in
 * 10^4 candidates is kept after the first 10^6 (an empty selection). */
nt_status nt_geom_sample_boundary(const nt_geom *g, nt_sampler_kind k, const nt_geom_embed *e, int64_t n,
                                  nt_geom_keep_fn keep, void *user, nt_rng *rng, nt_geom_work *w, double *out,
                                  double *normals);

/* Measure of the part of the boundary that keep accepts (keep == NULL: all of it),
 * averaged over the embedding's other columns (e may be NULL): the fraction of
 * n_cand candidates drawn as in nt_geom_sample_boundary from the plain Sobol'
 * sequence (no shift: deterministic, no rng) that lie on the boundary and are kept,
 * times the primitives' total boundary measure. 0 when none is kept. Allocates
 * scratch (freed before return). */
nt_status nt_geom_boundary_part(const nt_geom *g, const nt_geom_embed *e, nt_geom_keep_fn keep, void *user,
                                int64_t n_cand, double *measure);

/* Builds and finishes a geometry from YAML (the value of a `geometry:` key):
 *   box: {lo: [..], hi: [..]}
 *   disk: {center: [..], radius: r}        (ball: the same)
 *   polygon: [[x, y], [x, y], ...]         (2D, >= 3 vertices, simple)
 *   union: [shape, shape, ...]             (intersection, difference: the same;
 *                                           difference = the first minus the rest)
 * Coordinates are plain numbers, dim of them (names, if not NULL, are the dim
 * coordinate names for messages: "center needs 2 coordinates (x, y)"). Errors are
 * NT_ERR_FORMAT "path:line:col: message" at the offending node. */
nt_status nt_geom_from_yaml(nt_geom *g, const nt_ydoc *d, const nt_ynode *n, int dim, const char *const *names);

#endif

/* test_geometry.c — CSG geometries (src/pinn/geometry.c):
 *   - inside / signed distance of every primitive (exact values) and of unions,
 *     intersections, differences (L-shape, plate with a hole, two disks, nesting);
 *   - measures and boundary measures against closed forms;
 *   - interior sampling (uniform, LHS, Sobol'): all points inside, sub-region
 *     fractions match area ratios, deterministic, no reallocation on repeat;
 *   - boundary sampling: points on the boundary (|sdf| < 1e-12), unit outward
 *     normals (x + εn outside, x − εn inside), flipped normals on holes, faces
 *     shared by operands dropped, length fractions, the divergence theorem
 *     ∮ x·n ds = d·|Ω| (2D and 3D), filters and embeddings (× time);
 *   - polygon validation and YAML errors with exact line:column. */
#include "harness.h"
#include "pinn/geometry.h"

#include <stdlib.h>
#include <string.h>

static const double PI = NT_TEST_PI;

static nt_geom g_geo;

/* [-1,1]^2 minus [0,1]x[-1,0] (faces of the subtracted box coincide with the outer one) */
static const nt_geom *lshape(void)
{
    nt_geom *g = &g_geo;
    nt_geom_init(g, 2);
    int a, b, r;
    CHECK_OK(nt_geom_add_box(g, (double[]){-1, -1}, (double[]){1, 1}, &a));
    CHECK_OK(nt_geom_add_box(g, (double[]){0, -1}, (double[]){1, 0}, &b));
    CHECK_OK(nt_geom_add_op(g, NT_GEOM_DIFFERENCE, (int[]){a, b}, 2, &r));
    CHECK_OK(nt_geom_finish(g, r));
    return g;
}

static const nt_geom *plate(double rad)
{
    nt_geom *g = &g_geo;
    nt_geom_init(g, 2);
    int a, b, r;
    CHECK_OK(nt_geom_add_box(g, (double[]){-1, -1}, (double[]){1, 1}, &a));
    CHECK_OK(nt_geom_add_ball(g, (double[]){0, 0}, rad, &b));
    CHECK_OK(nt_geom_add_op(g, NT_GEOM_DIFFERENCE, (int[]){a, b}, 2, &r));
    CHECK_OK(nt_geom_finish(g, r));
    return g;
}

static const nt_geom *two_disks(nt_geom_kind op)
{
    nt_geom *g = &g_geo;
    nt_geom_init(g, 2);
    int a, b, r;
    CHECK_OK(nt_geom_add_ball(g, (double[]){-0.5, 0}, 0.6, &a));
    CHECK_OK(nt_geom_add_ball(g, (double[]){0.5, 0}, 0.6, &b));
    CHECK_OK(nt_geom_add_op(g, op, (int[]){a, b}, 2, &r));
    CHECK_OK(nt_geom_finish(g, r));
    return g;
}

static double sdf2(const nt_geom *g, double x, double y) { return nt_geom_sdf(g, (double[]){x, y}); }
static int in2(const nt_geom *g, double x, double y) { return nt_geom_inside(g, (double[]){x, y}); }

static void test_primitives(void)
{
    nt_geom g;
    int id;
    /* box: exact distances inside, outside (face and corner), closed */
    nt_geom_init(&g, 2);
    CHECK_OK(nt_geom_add_box(&g, (double[]){-1, 0}, (double[]){1, 2}, &id));
    CHECK_OK(nt_geom_finish(&g, id));
    CHECK_NEAR(sdf2(&g, 0, 1), -1, 1e-15);
    CHECK_NEAR(sdf2(&g, 0.5, 1.75), -0.25, 1e-15);
    CHECK_NEAR(sdf2(&g, 3, 1), 2, 1e-15);
    CHECK_NEAR(sdf2(&g, 2, 3), sqrt(2), 1e-15);
    CHECK(in2(&g, 1, 1) && in2(&g, -1, 0) && !in2(&g, 1 + 1e-9, 1) && !in2(&g, 0, -1e-9));
    CHECK_NEAR(g.measure, 4, 0);
    CHECK_NEAR(g.boundary_measure, 8, 0);
    /* disk */
    nt_geom_init(&g, 2);
    CHECK_OK(nt_geom_add_ball(&g, (double[]){1, 2}, 0.5, &id));
    CHECK_OK(nt_geom_finish(&g, id));
    CHECK_NEAR(sdf2(&g, 1, 2), -0.5, 1e-15);
    CHECK_NEAR(sdf2(&g, 2, 2), 0.5, 1e-15);
    CHECK_NEAR(sdf2(&g, 1.3, 2.4), 0, 1e-15);
    CHECK(in2(&g, 1.3, 2.4) && !in2(&g, 1.31, 2.4));
    CHECK_NEAR(g.measure, PI * 0.25, 1e-15);
    CHECK_NEAR(g.boundary_measure, PI, 1e-15);
    CHECK_NEAR(g.lo[0], 0.5, 0);
    CHECK_NEAR(g.hi[1], 2.5, 0);
    /* triangle, given clockwise: distances to edges and vertices */
    nt_geom_init(&g, 2);
    CHECK_OK(nt_geom_add_polygon(&g, (double[]){0, 0, 0, 1, 1, 0}, 3, &id));
    CHECK_OK(nt_geom_finish(&g, id));
    CHECK_NEAR(sdf2(&g, 0.25, 0.25), -0.25, 1e-15);
    CHECK_NEAR(sdf2(&g, 1, 1), 1 / sqrt(2), 1e-15);
    CHECK_NEAR(sdf2(&g, -1, 0), 1, 1e-15);
    CHECK_NEAR(sdf2(&g, 2, -1), sqrt(2), 1e-15);
    CHECK(in2(&g, 0.5, 0.5) && in2(&g, 0, 0.3) && !in2(&g, 0.51, 0.5));
    CHECK_NEAR(g.measure, 0.5, 1e-15);
    CHECK_NEAR(g.boundary_measure, 2 + sqrt(2), 1e-15);
    /* a non-convex polygon (a U): the notch is outside */
    nt_geom_init(&g, 2);
    CHECK_OK(nt_geom_add_polygon(&g, (double[]){0, 0, 3, 0, 3, 3, 2, 3, 2, 1, 1, 1, 1, 3, 0, 3}, 8, &id));
    CHECK_OK(nt_geom_finish(&g, id));
    CHECK(in2(&g, 0.5, 2.5) && in2(&g, 2.5, 2.5) && in2(&g, 1.5, 0.5) && !in2(&g, 1.5, 2));
    CHECK_NEAR(sdf2(&g, 1.5, 2), 0.5, 1e-15);
    CHECK_NEAR(sdf2(&g, 1.5, 0.5), -0.5, 1e-15);
    CHECK_NEAR(g.measure, 7, 1e-14);
    /* 3D ball and box, 1D interval */
    nt_geom_init(&g, 3);
    CHECK_OK(nt_geom_add_ball(&g, (double[]){0, 0, 1}, 2, &id));
    CHECK_OK(nt_geom_finish(&g, id));
    CHECK_NEAR(nt_geom_sdf(&g, (double[]){0, 3, 1}), 1, 1e-15);
    CHECK_NEAR(g.measure, 32 * PI / 3, 1e-13);
    nt_geom_init(&g, 3);
    CHECK_OK(nt_geom_add_box(&g, (double[]){0, 0, 0}, (double[]){1, 2, 3}, &id));
    CHECK_OK(nt_geom_finish(&g, id));
    CHECK_NEAR(nt_geom_sdf(&g, (double[]){0.5, 1, 1}), -0.5, 1e-15);
    CHECK_NEAR(nt_geom_sdf(&g, (double[]){2, 3, 4}), sqrt(3), 1e-15);
    CHECK_NEAR(g.boundary_measure, 22, 0);
    nt_geom_init(&g, 1);
    CHECK_OK(nt_geom_add_ball(&g, (double[]){1}, 0.5, &id));
    CHECK_OK(nt_geom_finish(&g, id));
    CHECK_NEAR(nt_geom_sdf(&g, (double[]){1.25}), -0.25, 1e-15);
    CHECK_NEAR(g.measure, 1, 1e-15);
    /* argument errors */
    nt_geom_init(&g, 2);
    CHECK(nt_geom_add_box(&g, (double[]){0, 0}, (double[]){1, 0}, &id) == NT_ERR_ARG);
    CHECK(nt_geom_add_ball(&g, (double[]){0, 0}, 0, &id) == NT_ERR_ARG);
    CHECK(nt_geom_add_ball(&g, (double[]){0, 0}, NAN, &id) == NT_ERR_ARG);
    nt_geom_init(&g, 3);
    CHECK(nt_geom_add_polygon(&g, (double[]){0, 0, 1, 0, 0, 1}, 3, &id) == NT_ERR_ARG);
}

static void test_polygon_validation(void)
{
    nt_geom g;
    int id;
    nt_geom_init(&g, 2);
    CHECK(nt_geom_add_polygon(&g, (double[]){0, 0, 1, 0}, 2, &id) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "at least 3 vertices"));
    CHECK(nt_geom_add_polygon(&g, (double[]){0, 0, 1, 1, 1, 0, 0, 1}, 4, &id) == NT_ERR_ARG); /* bow tie */
    CHECK(strstr(nt_error_msg(), "edges 1-2 and 3-4 cross"));
    CHECK(nt_geom_add_polygon(&g, (double[]){0, 0, 1, 0, 1, 1, 0, 0}, 4, &id) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "do not repeat the first vertex"));
    CHECK(nt_geom_add_polygon(&g, (double[]){0, 0, 2, 0, 1, 0, 1, 1}, 4, &id) == NT_ERR_ARG); /* folds back */
    CHECK(strstr(nt_error_msg(), "fold back"));
    CHECK(nt_geom_add_polygon(&g, (double[]){0, 0, 1, 0, 2, 0}, 3, &id) == NT_ERR_ARG);
    /* a vertex touching a non-adjacent edge */
    CHECK(nt_geom_add_polygon(&g, (double[]){0, 0, 2, 0, 2, 2, 1, 0.0, 0, 2}, 5, &id) == NT_ERR_ARG);
    CHECK(g.n_nodes == 0 && g.n_verts == 0);
    CHECK_OK(nt_geom_add_polygon(&g, (double[]){0, 0, 2, 0, 2, 2, 1, 0.5, 0, 2}, 5, &id));
    /* combinations: operands used once, 2..16 of them */
    int b;
    CHECK_OK(nt_geom_add_ball(&g, (double[]){1, 1}, 0.2, &b));
    CHECK(nt_geom_add_op(&g, NT_GEOM_UNION, (int[]){id}, 1, &id) == NT_ERR_ARG);
    CHECK(nt_geom_add_op(&g, NT_GEOM_UNION, (int[]){b, b}, 2, &id) == NT_ERR_ARG);
    int u;
    CHECK_OK(nt_geom_add_op(&g, NT_GEOM_UNION, (int[]){id, b}, 2, &u));
    CHECK(nt_geom_add_op(&g, NT_GEOM_INTERSECTION, (int[]){id, u}, 2, &id) == NT_ERR_ARG);
    CHECK(nt_geom_finish(&g, b) == NT_ERR_ARG);
    CHECK_OK(nt_geom_finish(&g, u));
}

static void test_combinations(void)
{
    const nt_geom *g = lshape();
    CHECK(in2(g, -0.5, -0.5) && in2(g, 0.5, 0.5) && in2(g, -0.5, 0.5) && !in2(g, 0.5, -0.5));
    CHECK(in2(g, 0, -0.5) && in2(g, 0.5, 0) && in2(g, 0, 0)); /* closed: the inner edges belong */
    CHECK(!in2(g, 1e-9, -1e-9) && !in2(g, 1.1, 0.5));
    /* faces of a covered exactly by the subtracted box are not part of the closed set */
    CHECK(!in2(g, 0.5, -1) && !in2(g, 1, -0.5) && !in2(g, 1, -1) && in2(g, 1, 0) && in2(g, 0, -1) && in2(g, -1, -1));
    CHECK_NEAR(sdf2(g, 0.5, -0.5), 0.5, 1e-15);
    CHECK_NEAR(sdf2(g, -0.5, -0.5), -0.5, 1e-15);
    CHECK_NEAR(sdf2(g, 0.25, 0.5), -0.5, 1e-15);
    CHECK_NEAR(sdf2(g, 0.5, 0.25), -0.25, 1e-15);
    CHECK_CLOSE(g->measure, 3, 2e-3, 0);
    CHECK_CLOSE(g->boundary_measure, 8, 2e-3, 0);
    CHECK(g->lo[0] == -1 && g->hi[0] == 1 && g->lo[1] == -1 && g->hi[1] == 1);

    g = plate(0.3);
    CHECK(!in2(g, 0, 0) && !in2(g, 0.29, 0) && in2(g, 0.3, 0) && in2(g, 0.5, 0.5) && in2(g, 1, 1));
    CHECK_NEAR(sdf2(g, 0, 0), 0.3, 1e-15);
    CHECK_NEAR(sdf2(g, 0.5, 0), -0.2, 1e-15);
    CHECK_NEAR(sdf2(g, 0.9, 0), -0.1, 1e-15);
    CHECK_CLOSE(g->measure, 4 - PI * 0.09, 2e-3, 0);
    CHECK_CLOSE(g->boundary_measure, 8 + 2 * PI * 0.3, 3e-3, 0);

    /* two disks of radius r at distance 1: lens area and arcs in closed form */
    double r = 0.6, dd = 1, al = acos(dd / (2 * r));
    double lens = 2 * r * r * al - dd / 2 * sqrt(4 * r * r - dd * dd);
    g = two_disks(NT_GEOM_UNION);
    CHECK(in2(g, 0, 0) && in2(g, -1, 0) && !in2(g, 0, 0.6) && !in2(g, 1.11, 0));
    CHECK_CLOSE(g->measure, 2 * PI * r * r - lens, 3e-3, 0);
    CHECK_CLOSE(g->boundary_measure, 2 * (2 * PI * r - 2 * r * al), 3e-3, 0);
    CHECK_NEAR(sdf2(g, 2, 0), 0.9, 1e-15);
    g = two_disks(NT_GEOM_INTERSECTION);
    CHECK(in2(g, 0, 0) && !in2(g, -0.9, 0) && !in2(g, 0.5, 0));
    CHECK_CLOSE(g->measure, lens, 1e-2, 0);
    CHECK_CLOSE(g->boundary_measure, 4 * r * al, 3e-3, 0);
    CHECK_NEAR(g->lo[0], -0.1, 1e-15);
    CHECK_NEAR(g->hi[0], 0.1, 1e-15);

    /* nesting: (box minus disk) united with a small disk in the hole */
    nt_geom *h = &g_geo;
    nt_geom_init(h, 2);
    int a, b, c, d, e;
    CHECK_OK(nt_geom_add_box(h, (double[]){-1, -1}, (double[]){1, 1}, &a));
    CHECK_OK(nt_geom_add_ball(h, (double[]){0, 0}, 0.5, &b));
    CHECK_OK(nt_geom_add_op(h, NT_GEOM_DIFFERENCE, (int[]){a, b}, 2, &c));
    CHECK_OK(nt_geom_add_ball(h, (double[]){0, 0}, 0.2, &d));
    CHECK_OK(nt_geom_add_op(h, NT_GEOM_UNION, (int[]){c, d}, 2, &e));
    CHECK_OK(nt_geom_finish(h, e));
    CHECK(in2(h, 0, 0) && in2(h, 0.1, 0) && !in2(h, 0.3, 0) && in2(h, 0.7, 0));
    CHECK_NEAR(sdf2(h, 0.3, 0), 0.1, 1e-15);
    CHECK_CLOSE(h->measure, 4 - PI * 0.25 + PI * 0.04, 2e-3, 0);
    CHECK_CLOSE(h->boundary_measure, 8 + 2 * PI * 0.7, 3e-3, 0);

    /* disjoint intersection: empty */
    nt_geom_init(h, 2);
    CHECK_OK(nt_geom_add_ball(h, (double[]){0, 0}, 0.5, &a));
    CHECK_OK(nt_geom_add_ball(h, (double[]){2, 0}, 0.5, &b));
    CHECK_OK(nt_geom_add_op(h, NT_GEOM_INTERSECTION, (int[]){a, b}, 2, &c));
    CHECK(nt_geom_finish(h, c) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "empty"));
    /* a box minus a box that contains it: empty */
    nt_geom_init(h, 2);
    CHECK_OK(nt_geom_add_box(h, (double[]){0, 0}, (double[]){1, 1}, &a));
    CHECK_OK(nt_geom_add_box(h, (double[]){0.2, 0.2}, (double[]){0.8, 0.8}, &b));
    CHECK_OK(nt_geom_add_op(h, NT_GEOM_DIFFERENCE, (int[]){b, a}, 2, &c));
    CHECK(nt_geom_finish(h, c) == NT_ERR_ARG);
}

/* fraction of rows (n × D) with f > 0 */
static double frac_where(const double *x, int64_t n, int D, double (*f)(const double *))
{
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) k += f(x + i * D) > 0;
    return (double)k / (double)n;
}

static double upper_half(const double *x) { return x[1]; }
static double within_06(const double *x) { return 0.36 - (x[0] * x[0] + x[1] * x[1]); }

static void test_interior(void)
{
    const int64_t n = nt_test_quick() ? 4000 : 20000;
    double *x = malloc((size_t)n * 3 * sizeof(double)), *y = malloc((size_t)n * 3 * sizeof(double));
    nt_geom_work w = {0};
    for (int k = 0; k < 3; k++) {
        nt_sampler_kind kind = (nt_sampler_kind)k;
        double tol = kind == NT_SAMPLER_UNIFORM ? 0.02 : 0.01;
        /* L-shape: 2/3 of the area has y > 0 */
        const nt_geom *g = lshape();
        nt_rng rng;
        nt_rng_init(&rng, 7);
        CHECK_OK(nt_geom_sample_interior(g, kind, NULL, n, &rng, &w, x));
        int64_t bad = 0;
        for (int64_t i = 0; i < n; i++) bad += !nt_geom_inside(g, x + 2 * i);
        CHECK(bad == 0);
        CHECK_NEAR(frac_where(x, n, 2, upper_half), 2.0 / 3.0, tol);
        /* deterministic from the rng; the second call reuses the scratch */
        double *buf = w.buf;
        int64_t cap = w.cap;
        nt_rng_init(&rng, 7);
        CHECK_OK(nt_geom_sample_interior(g, kind, NULL, n, &rng, &w, y));
        CHECK(memcmp(x, y, (size_t)n * 2 * sizeof(double)) == 0);
        CHECK(w.buf == buf && w.cap == cap);
        /* plate with a hole: the ring 0.3 < r < 0.6 */
        g = plate(0.3);
        CHECK_OK(nt_geom_sample_interior(g, kind, NULL, n, &rng, &w, x));
        bad = 0;
        for (int64_t i = 0; i < n; i++) bad += !nt_geom_inside(g, x + 2 * i) || hypot(x[2 * i], x[2 * i + 1]) < 0.3;
        CHECK(bad == 0);
        CHECK_NEAR(frac_where(x, n, 2, within_06), PI * (0.36 - 0.09) / (4 - PI * 0.09), tol);
    }
    /* embedded in (x, t, y) with t in [0, 2]: t uniform, geometry in columns 0 and 2 */
    const nt_geom *g = lshape();
    nt_geom_embed e = {3, {0, 2}, {0, 0, 0}, {0, 2, 0}};
    nt_rng rng;
    nt_rng_init(&rng, 3);
    CHECK_OK(nt_geom_sample_interior(g, NT_SAMPLER_LHS, &e, n, &rng, &w, x));
    double tmean = 0;
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++) {
        bad += !nt_geom_inside(g, (double[]){x[3 * i], x[3 * i + 2]}) || x[3 * i + 1] < 0 || x[3 * i + 1] > 2;
        tmean += x[3 * i + 1] / (double)n;
    }
    CHECK(bad == 0);
    CHECK_NEAR(tmean, 1, 0.02);
    /* a fixed column: t = 0.5 */
    e.lo[1] = e.hi[1] = 0.5;
    CHECK_OK(nt_geom_sample_interior(g, NT_SAMPLER_SOBOL, &e, 100, &rng, &w, x));
    for (int i = 0; i < 100; i++) bad += x[3 * i + 1] != 0.5;
    CHECK(bad == 0);
    nt_geom_embed eb = {3, {0, 0}, {0}, {0}};
    CHECK(nt_geom_sample_interior(g, NT_SAMPLER_SOBOL, &eb, 10, &rng, &w, x) == NT_ERR_ARG);
    nt_geom_work_free(&w);
    free(x);
    free(y);
}

/* Checks n boundary points with normals: on the boundary, unit, outward. Returns
 * ∮ x·n ds estimated as the mean of x·n times the boundary measure. */
static double check_boundary(const nt_geom *g, const double *x, const double *nr, int64_t n)
{
    int D = g->dim;
    int64_t off = 0, notunit = 0, wrong = 0;
    double eps = 1e-7 * g->diag, xn = 0;
    for (int64_t i = 0; i < n; i++) {
        const double *p = x + i * D, *q = nr + i * D;
        double a[3], b[3], len = 0;
        for (int k = 0; k < D; k++) {
            a[k] = p[k] + eps * q[k];
            b[k] = p[k] - eps * q[k];
            len += q[k] * q[k];
            xn += p[k] * q[k];
        }
        off += !(fabs(nt_geom_sdf(g, p)) < 1e-12);
        notunit += !(fabs(sqrt(len) - 1) < 1e-12);
        wrong += !(nt_geom_sdf(g, a) > 0) || !(nt_geom_sdf(g, b) < 0);
    }
    CHECK(off == 0);
    CHECK(notunit == 0);
    CHECK(wrong == 0);
    if (off || notunit || wrong) printf("    off %lld, not unit %lld, wrong side %lld of %lld\n", (long long)off, (long long)notunit, (long long)wrong, (long long)n);
    return xn / (double)n * g->boundary_measure;
}

static int on_hole(void *user, const double *row)
{
    return hypot(row[0], row[1]) < *(const double *)user;
}

static void test_boundary(void)
{
    const int64_t n = nt_test_quick() ? 4000 : 20000;
    double *x = malloc((size_t)n * 3 * sizeof(double)), *nr = malloc((size_t)n * 3 * sizeof(double));
    double *y = malloc((size_t)n * 3 * sizeof(double));
    nt_geom_work w = {0};
    nt_rng rng;
    for (int k = 0; k < 3; k++) {
        nt_sampler_kind kind = (nt_sampler_kind)k;
        double tol = kind == NT_SAMPLER_UNIFORM ? 0.03 : 0.01;
        /* L-shape: no point on the covered faces, divergence theorem ∮ x·n = 2·3 */
        const nt_geom *g = lshape();
        nt_rng_init(&rng, 11);
        CHECK_OK(nt_geom_sample_boundary(g, kind, NULL, n, NULL, NULL, &rng, &w, x, nr));
        CHECK_CLOSE(check_boundary(g, x, nr, n), 6, tol, 0);
        int64_t covered = 0, inner = 0;
        for (int64_t i = 0; i < n; i++) {
            covered += (x[2 * i + 1] == -1 && x[2 * i] > 0) || (x[2 * i] == 1 && x[2 * i + 1] < 0);
            if (x[2 * i] == 0 && x[2 * i + 1] < 0) { /* inner vertical edge: normal +x */
                inner++;
                CHECK(nr[2 * i] == 1 && nr[2 * i + 1] == 0);
            }
        }
        CHECK(covered == 0);
        CHECK_NEAR((double)inner / (double)n, 1.0 / 8.0, tol);
        nt_rng_init(&rng, 11);
        CHECK_OK(nt_geom_sample_boundary(g, kind, NULL, n, NULL, NULL, &rng, &w, y, nr));
        CHECK(memcmp(x, y, (size_t)n * 2 * sizeof(double)) == 0);

        /* plate with a hole: normals on the hole point to its center; share of the hole */
        g = plate(0.3);
        CHECK_OK(nt_geom_sample_boundary(g, kind, NULL, n, NULL, NULL, &rng, &w, x, nr));
        CHECK_CLOSE(check_boundary(g, x, nr, n), 2 * (4 - PI * 0.09), tol, 0);
        int64_t hole = 0, badn = 0;
        for (int64_t i = 0; i < n; i++) {
            double r = hypot(x[2 * i], x[2 * i + 1]);
            if (r > 0.31) continue;
            hole++;
            badn += !(fabs(nr[2 * i] + x[2 * i] / r) < 1e-12 && fabs(nr[2 * i + 1] + x[2 * i + 1] / r) < 1e-12);
        }
        CHECK(badn == 0);
        CHECK_NEAR((double)hole / (double)n, 2 * PI * 0.3 / (8 + 2 * PI * 0.3), tol);

        /* union and intersection of two disks */
        g = two_disks(NT_GEOM_UNION);
        CHECK_OK(nt_geom_sample_boundary(g, kind, NULL, n, NULL, NULL, &rng, &w, x, nr));
        CHECK_CLOSE(check_boundary(g, x, nr, n), 2 * g->measure, tol, 0);
        g = two_disks(NT_GEOM_INTERSECTION);
        CHECK_OK(nt_geom_sample_boundary(g, kind, NULL, n, NULL, NULL, &rng, &w, x, nr));
        CHECK_CLOSE(check_boundary(g, x, nr, n), 2 * g->measure, 2 * tol, 0);
    }

    /* two boxes sharing a face: the face is not boundary; length 6 */
    nt_geom *h = &g_geo;
    int a, b, c;
    nt_geom_init(h, 2);
    CHECK_OK(nt_geom_add_box(h, (double[]){0, 0}, (double[]){1, 1}, &a));
    CHECK_OK(nt_geom_add_box(h, (double[]){1, 0}, (double[]){2, 1}, &b));
    CHECK_OK(nt_geom_add_op(h, NT_GEOM_UNION, (int[]){a, b}, 2, &c));
    CHECK_OK(nt_geom_finish(h, c));
    CHECK_CLOSE(h->boundary_measure, 6, 1e-3, 0);
    CHECK(in2(h, 1, 0.5) && in2(h, 1, 0) && in2(h, 1, 1) && !in2(h, 2.001, 0.5));
    CHECK_CLOSE(h->measure, 2, 1e-3, 0);
    nt_rng_init(&rng, 5);
    CHECK_OK(nt_geom_sample_boundary(h, NT_SAMPLER_SOBOL, NULL, n, NULL, NULL, &rng, &w, x, nr));
    CHECK_CLOSE(check_boundary(h, x, nr, n), 4, 0.01, 0);
    int64_t mid = 0;
    for (int64_t i = 0; i < n; i++) mid += x[2 * i] == 1;
    CHECK(mid == 0);

    /* a filter: only the hole of the plate; its length by boundary_part */
    const nt_geom *g = plate(0.3);
    double rr = 0.31, part;
    CHECK_OK(nt_geom_boundary_part(g, NULL, on_hole, &rr, 1 << 14, &part));
    CHECK_CLOSE(part, 2 * PI * 0.3, 1e-3, 0);
    CHECK_OK(nt_geom_boundary_part(g, NULL, NULL, NULL, 1 << 14, &part));
    CHECK_CLOSE(part, g->boundary_measure, 1e-3, 0);
    CHECK_OK(nt_geom_sample_boundary(g, NT_SAMPLER_LHS, NULL, 1000, on_hole, &rr, &rng, &w, x, nr));
    int64_t bad = 0;
    for (int i = 0; i < 1000; i++) bad += !(fabs(hypot(x[2 * i], x[2 * i + 1]) - 0.3) < 1e-12);
    CHECK(bad == 0);
    rr = 0.1; /* selects nothing */
    CHECK(nt_geom_sample_boundary(g, NT_SAMPLER_LHS, NULL, 10, on_hole, &rr, &rng, &w, x, nr) == NT_ERR_NUMERIC);
    CHECK_OK(nt_geom_boundary_part(g, NULL, on_hole, &rr, 1 << 12, &part));
    CHECK(part == 0);

    /* × time: columns (t, x, y), t uniform in [0, 1] */
    nt_geom_embed e = {3, {1, 2}, {0}, {1}};
    CHECK_OK(nt_geom_sample_boundary(g, NT_SAMPLER_SOBOL, &e, n, NULL, NULL, &rng, &w, x, nr));
    double tm = 0;
    bad = 0;
    for (int64_t i = 0; i < n; i++) {
        tm += x[3 * i] / (double)n;
        bad += !(fabs(nt_geom_sdf(g, x + 3 * i + 1)) < 1e-12);
    }
    CHECK(bad == 0);
    CHECK_NEAR(tm, 0.5, 0.01);

    /* 3D: a cube minus a ball, divergence theorem ∮ x·n = 3·|Ω| */
    nt_geom_init(h, 3);
    CHECK_OK(nt_geom_add_box(h, (double[]){-1, -1, -1}, (double[]){1, 1, 1}, &a));
    CHECK_OK(nt_geom_add_ball(h, (double[]){0.2, 0, 0}, 0.5, &b));
    CHECK_OK(nt_geom_add_op(h, NT_GEOM_DIFFERENCE, (int[]){a, b}, 2, &c));
    CHECK_OK(nt_geom_finish(h, c));
    double vol = 8 - 4.0 / 3.0 * PI * 0.125;
    CHECK_CLOSE(h->measure, vol, 2e-3, 0);
    CHECK_CLOSE(h->boundary_measure, 24 + PI, 3e-3, 0);
    CHECK_OK(nt_geom_sample_boundary(h, NT_SAMPLER_SOBOL, NULL, n, NULL, NULL, &rng, &w, x, nr));
    CHECK_CLOSE(check_boundary(h, x, nr, n), 3 * vol, 0.01, 0);
    CHECK_OK(nt_geom_sample_interior(h, NT_SAMPLER_SOBOL, NULL, n, &rng, &w, x));
    bad = 0;
    for (int64_t i = 0; i < n; i++) bad += !nt_geom_inside(h, x + 3 * i);
    CHECK(bad == 0);

    /* 1D: two intervals; the boundary is 4 points with normals ±1 */
    nt_geom_init(h, 1);
    CHECK_OK(nt_geom_add_box(h, (double[]){0}, (double[]){1}, &a));
    CHECK_OK(nt_geom_add_ball(h, (double[]){2.5}, 0.5, &b));
    CHECK_OK(nt_geom_add_op(h, NT_GEOM_UNION, (int[]){a, b}, 2, &c));
    CHECK_OK(nt_geom_finish(h, c));
    CHECK_CLOSE(h->measure, 2, 1e-3, 0);
    CHECK_NEAR(h->boundary_measure, 4, 0);
    CHECK_OK(nt_geom_sample_boundary(h, NT_SAMPLER_LHS, NULL, 400, NULL, NULL, &rng, &w, x, nr));
    int cnt[4] = {0};
    bad = 0;
    for (int i = 0; i < 400; i++) {
        int k = x[i] == 0 ? 0 : x[i] == 1 ? 1 : x[i] == 2 ? 2 : x[i] == 3 ? 3 : -1;
        if (k < 0) {
            bad++;
            continue;
        }
        cnt[k]++;
        bad += nr[i] != (k % 2 ? 1 : -1);
    }
    CHECK(bad == 0);
    for (int k = 0; k < 4; k++) CHECK(abs(cnt[k] - 100) <= 15);
    /* one primitive: no candidate is rejected, so LHS strata come out exact */
    nt_geom_init(h, 1);
    CHECK_OK(nt_geom_add_box(h, (double[]){0}, (double[]){1}, &a));
    CHECK_OK(nt_geom_finish(h, a));
    CHECK_OK(nt_geom_sample_boundary(h, NT_SAMPLER_LHS, NULL, 400, NULL, NULL, &rng, &w, x, nr));
    cnt[0] = cnt[1] = 0;
    for (int i = 0; i < 400; i++) cnt[x[i] == 1] += (x[i] == 0 || x[i] == 1) && nr[i] == (x[i] == 1 ? 1 : -1);
    CHECK(cnt[0] == 200 && cnt[1] == 200);
    nt_geom_work_free(&w);
    free(x);
    free(y);
    free(nr);
}

/* ------------------------------------------------------------------------------ */
/* YAML                                                                             */

static nt_status from_yaml(const char *text, int dim, nt_geom *g)
{
    static const char *names[] = {"x", "y", "z"};
    nt_ydoc d;
    nt_status st = nt_yaml_load_string(&d, text, "geo.yaml");
    if (st) return st;
    const nt_ynode *n = nt_ynode_get(d.root, "geometry");
    st = nt_geom_from_yaml(g, &d, n ? n : d.root, dim, names);
    nt_yaml_free(&d);
    return st;
}

static void yaml_err(const char *text, int dim, const char *want)
{
    nt_geom g;
    nt_status st = from_yaml(text, dim, &g);
    CHECK(st == NT_ERR_FORMAT);
    if (!strstr(nt_error_msg(), want)) nt_test_fail(__FILE__, __LINE__, "expected '%s' in: %s", want, nt_error_msg());
}

static void test_yaml(void)
{
    nt_geom g;
    CHECK_OK(from_yaml("geometry:\n"
                       "  difference:\n"
                       "    - box: {lo: [-1, -1], hi: [1, 1]}\n"
                       "    - box: {lo: [0, -1], hi: [1, 0]}\n", 2, &g));
    CHECK(g.node[g.root].kind == NT_GEOM_DIFFERENCE && g.n_prims == 2);
    CHECK(g.node[g.root].line == 2 && g.node[g.root].col == 3);
    CHECK(!nt_geom_inside(&g, (double[]){0.5, -0.5}) && nt_geom_inside(&g, (double[]){-0.5, -0.5}));
    CHECK_CLOSE(g.measure, 3, 2e-3, 0);
    CHECK_OK(from_yaml("geometry: {difference: [{box: {lo: [-1, -1], hi: [1, 1]}}, {disk: {center: [0, 0], radius: 0.3}}]}\n", 2, &g));
    CHECK(!nt_geom_inside(&g, (double[]){0.1, 0}) && nt_geom_inside(&g, (double[]){0.5, 0}));
    CHECK_OK(from_yaml("geometry:\n  union:\n    - polygon: [[0,0],[1,0],[1,1],[0,1]]\n    - ball: {center: [1, 0.5], radius: 0.5}\n", 2, &g));
    CHECK_CLOSE(g.measure, 1 + PI * 0.125, 3e-3, 0);
    CHECK_OK(from_yaml("geometry: {intersection: [{ball: {center: [0, 0, 0], radius: 1}}, {box: {lo: [0, 0, 0], hi: [2, 2, 2]}}]}\n", 3, &g));
    CHECK_CLOSE(g.measure, PI / 6, 5e-3, 0);

    /* errors at the exact line:column */
    yaml_err("geometry:\n  difference:\n    - box: {lo: [-1, -1], hi: [1, 1]}\n    - disk: {center: [0, 0], radius: -0.3}\n", 2,
             "geo.yaml:4:38: radius must be > 0 (got -0.3)");
    yaml_err("geometry:\n  disk: {center: [0, 0, 0], radius: 1}\n", 2,
             "geo.yaml:2:18: center needs 2 coordinates (x, y), got 3");
    yaml_err("geometry:\n  circle: {center: [0, 0], radius: 1}\n", 2,
             "geo.yaml:2:3: unknown key 'circle' in geometry");
    yaml_err("geometry:\n  polygon: [[0, 0], [1, 1], [1, 0], [0, 1]]\n", 2,
             "geo.yaml:2:29: polygon: edges 1-2 and 3-4 cross or touch (a polygon must be simple)");
    yaml_err("geometry:\n  polygon: [[0, 0], [1, 0]]\n", 2, "geo.yaml:2:12: polygon must be a list of at least 3 vertices [x, y], got 2 vertices");
    yaml_err("geometry:\n  polygon: [[0, 0], [1, 0], [1, 1], [0, 0]]\n", 2, "geo.yaml:2:37: polygon: vertices 4 and 1 coincide");
    yaml_err("geometry:\n  polygon: [[0, 0, 0], [1, 0, 0], [1, 1, 0]]\n", 3, "geo.yaml:2:3: polygon needs 2 spatial variables (this problem has 3)");
    yaml_err("geometry:\n  box: {lo: [0, 0], hi: [1, 1]}\n  disk: {center: [0, 0], radius: 1}\n", 2,
             "geo.yaml:3:3: a shape has one key; 'disk' starts a second shape");
    yaml_err("geometry:\n  union:\n    - box: {lo: [0, 0], hi: [1, 1]}\n", 2, "geo.yaml:3:5: union must be a list of 2 to 16 shapes");
    yaml_err("geometry:\n  box: {lo: [0, 1], hi: [1, 0.5]}\n", 2, "geo.yaml:2:29: box needs lo < hi on every axis (y: lo 1, hi 0.5)");
    yaml_err("geometry:\n  box: {lo: [0, 0], high: [1, 1]}\n", 2, "geo.yaml:2:21: unknown key 'high' in box (did you mean 'hi'?");
    yaml_err("geometry:\n  box: {lo: [0, 0]}\n", 2, "geo.yaml:2:8: box needs lo and hi");
    yaml_err("geometry:\n  disk: {center: [0, x], radius: 1}\n", 2, "geo.yaml:2:22: expected a number for center, got 'x'");
    yaml_err("geometry:\n  intersection:\n    - disk: {center: [0, 0], radius: 0.5}\n    - disk: {center: [2, 0], radius: 0.5}\n", 2,
             "geo.yaml:2:3: the geometry is empty");
    yaml_err("geometry:\n  - box: {lo: [0], hi: [1]}\n", 1, "geo.yaml:2:3: a shape must be a mapping with one key");
    yaml_err("geometry: {}\n", 2, "geo.yaml:1:11: an empty shape");
}

int main(void)
{
    RUN(test_primitives);
    RUN(test_polygon_validation);
    RUN(test_combinations);
    RUN(test_interior);
    RUN(test_boundary);
    RUN(test_yaml);
    return nt_test_finish();
}

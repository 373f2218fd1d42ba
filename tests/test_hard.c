/* test_hard.c — output transforms that satisfy conditions exactly (hard constraints,
 * src/pinn/hard.c, nt_expr_compile_jet in src/pinn/expr.c).
 *
 *  - the jet of a transform (products, powers, sin cos tanh exp sinh cosh of the
 *    network output, field-free tan log sqrt divisions and powers, c^net) matches
 *    finite differences of the plain value, streams of order 1, 2 (mixed) and 3;
 *    the value-only path agrees with nt_expr_eval;
 *  - the jet of dist matches finite differences on a box and on geometries (disk,
 *    plate with a hole, union, intersection, L-shape, convex polygon); dist is
 *    exactly 0 on sampled boundary points and > 0 inside;
 *  - exactness: a PINN with `output:` (untrained, and trained below) meets the initial and Dirichlet
 *    values to 1e-12 at random boundary points, on a box and on a geometry, and the
 *    condition loss terms are zero to rounding; the whole loss gradient with a
 *    transform (every parameter) matches central differences;
 *  - end to end: the 1D heat equation with u = sin(pi x) + t·dist·net_u and no
 *    conditions trains to a small error;
 *  - bad transforms are reported with file:line:column. */
#include "harness.h"
#include "pinn/hard.h"
#include "pinn/pinn.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------ */
/* Jets of transforms vs finite differences                                         */

typedef struct fdnet {
    const nt_net *net;
    nt_tape *t;
    const nt_expr *e;
} fdnet;

/* The transform's value at one point (x, t) through nt_expr_eval. */
static double f_val(const fdnet *c, const double *x)
{
    nt_tape_reset(c->t);
    c->t->grad_enabled = 0;
    nt_tensor *u = nt_net_forward(c->net, c->t, nt_tensor_from_f64(c->t, NT_F64, 1, 2, x));
    double nv = nt_tensor_get(u, 0), out = NAN;
    c->t->grad_enabled = 1;
    CHECK_OK(nt_expr_eval(c->e, 1, x, NULL, &nv, &out));
    return out;
}

typedef double (*val_fn)(const void *user, const double *x);

/* ∂^α f at x (dim 2 or 3) by central differences: order 1 (h 1e-5), order 2 (h 1e-4,
 * mixed by the four-point rule), order 3 along one variable (5-point stencil,
 * Richardson). */
static double fd(val_fn f, const void *u, const double *x, int dim, const uint8_t *alpha)
{
    int order = 0, dims[8], nd = 0;
    for (int d = 0; d < dim; d++)
        for (int r = 0; r < alpha[d]; r++) dims[nd++] = d, order++;
    double y[3];
#define AT(expr_)                                                                          \
    (memcpy(y, x, sizeof(double) * (size_t)dim), (expr_), f(u, y))
    if (order == 1) {
        double h = 1e-5;
        double p = AT(y[dims[0]] += h), q = AT(y[dims[0]] -= h);
        return (p - q) / (2 * h);
    }
    if (order == 2 && dims[0] != dims[1]) {
        double h = 1e-4, s = 0;
        for (int i = -1; i <= 1; i += 2)
            for (int j = -1; j <= 1; j += 2) s += i * j * AT((y[dims[0]] += i * h, y[dims[1]] += j * h));
        return s / (4 * h * h);
    }
    if (order == 2) {
        double h = 1e-4;
        double p = AT(y[dims[0]] += h), q = AT(y[dims[0]] -= h), z = AT((void)0);
        return (p - 2 * z + q) / (h * h);
    }
    double est[2];
    for (int r = 0; r < 2; r++) {
        double h = r ? 0.002 : 0.004, v[5];
        for (int k = -2; k <= 2; k++) v[k + 2] = AT(y[dims[0]] += k * h);
        est[r] = (v[4] - 2 * v[3] + 2 * v[1] - v[0]) / (2 * h * h * h);
    }
#undef AT
    return (4 * est[1] - est[0]) / 3;
}

static double f_val_v(const void *u, const double *x) { return f_val(u, x); }

static void test_transform_jet_vs_fd(void)
{
    static const char *exprs[] = {
        "sin(pi*x) + t*(1 - x^2)*net_u",
        "exp(-c*t)*cos(x*net_u) + net_u^3/2 - 3",
        "tanh(net_u*x + t) + sinh(0.3*net_u) - cosh(x)*t*net_u + (1 + x^2)^(-1)*net_u",
        "sqrt(2 + x)*log(3 + t)*net_u^2 + 2^net_u + tan(0.5*x)/(1 + t^2) - (x + 2)^t*net_u",
        "(net_u - x)*(net_u + t)/c - exp(net_u*t)^2 + net_u^0",
        "x*t^2 - 1",
        "net_u",
    };
    int n_expr = (int)(sizeof exprs / sizeof exprs[0]);
    nt_expr_env env;
    memset(&env, 0, sizeof env);
    env.n_vars = 2;
    strcpy(env.vars[0], "x");
    strcpy(env.vars[1], "t");
    env.n_fields = 1;
    strcpy(env.fields[0], "net_u");
    env.n_consts = 1;
    strcpy(env.consts[0], "c");
    env.const_val[0] = 0.7;

    nt_net_config nc = nt_net_config_default(2, 1, 8, 2, NT_ACT_TANH);
    nt_params p;
    CHECK_OK(nt_params_init(&p, NT_F64, nt_net_param_count(&nc)));
    nt_net net;
    nt_rng r;
    nt_rng_init(&r, 21);
    CHECK_OK(nt_net_init(&net, &nc, &p, &r));
    nt_tape t, t2;
    CHECK_OK(nt_tape_init(&t, 0));
    CHECK_OK(nt_tape_init(&t2, 0));
    nt_jet_spec s;
    nt_jet_spec_init(&s, 2);
    const char *streams[] = {"xx", "xt", "tt", "xxx", "ttt"};
    for (int k = 0; k < 5; k++) CHECK(nt_jet_spec_add_named(&s, "xt", streams[k]) >= 0);
    CHECK_OK(nt_jet_spec_build(&s));
    enum { NP = 4 };
    double pts[NP * 2];
    for (int i = 0; i < NP; i++) {
        pts[2 * i] = -0.8 + 1.6 * nt_rng_uniform(&r);
        pts[2 * i + 1] = 0.1 + 0.8 * nt_rng_uniform(&r);
    }
    int S = s.n_streams;
    for (int k = 0; k < n_expr; k++) {
        nt_expr e;
        int col = 0;
        CHECK_OK(nt_expr_parse(&e, exprs[k], &env, &col));
        CHECK_OK(nt_expr_check_jet(&e, &col));
        nt_tape_reset(&t);
        nt_tensor *xj = nt_jet_input(&t, &s, nt_tensor_from_f64(&t, NT_F64, NP, 2, pts));
        nt_tensor *nj = nt_net_jet(&net, &t, &s, xj);
        double cx[S * NP], ct[S * NP];
        for (int i = 0; i < S * NP; i++) {
            cx[i] = nt_tensor_get(xj, 2 * i);
            ct[i] = nt_tensor_get(xj, 2 * i + 1);
        }
        nt_expr_jet_bind b;
        memset(&b, 0, sizeof b);
        b.dtype = NT_F64;
        b.spec = &s;
        b.n = NP;
        b.coord[0] = cx;
        b.coord[1] = ct;
        b.field[0] = nj;
        nt_tensor *J = nt_expr_compile_jet(&e, &t, &b);
        CHECK(J && nt_tensor_rows(J) == S * NP && nt_tensor_cols(J) == 1);
        if (!J) {
            nt_test_fail(__FILE__, __LINE__, "%s: %s", exprs[k], nt_error_msg());
            nt_expr_free(&e);
            continue;
        }
        /* the value-only path (spec NULL) against nt_expr_eval */
        nt_tensor *xv = nt_tensor_from_f64(&t, NT_F64, NP, 2, pts);
        nt_tensor *nv = nt_net_forward(&net, &t, xv);
        double vx[NP], vt[NP], nvals[NP], ev[NP];
        for (int i = 0; i < NP; i++) {
            vx[i] = pts[2 * i];
            vt[i] = pts[2 * i + 1];
            nvals[i] = nt_tensor_get(nv, i);
        }
        nt_expr_jet_bind bv = b;
        bv.spec = NULL;
        bv.coord[0] = vx;
        bv.coord[1] = vt;
        bv.field[0] = nv;
        nt_tensor *V = nt_expr_compile_jet(&e, &t, &bv);
        CHECK(V && V->size == NP);
        CHECK_OK(nt_expr_eval(&e, NP, pts, NULL, nvals, ev));
        for (int i = 0; i < NP && V; i++) {
            CHECK_CLOSE(nt_tensor_get(V, i), ev[i], 1e-13, 1e-13);
            CHECK_CLOSE(nt_tensor_get(J, i), ev[i], 1e-13, 1e-13);
        }
        fdnet fc = {&net, &t2, &e};
        double worst[4] = {0};
        for (int st = 1; st < S; st++) {
            double scale = 0, fv[NP];
            for (int i = 0; i < NP; i++) {
                fv[i] = fd(f_val_v, &fc, pts + 2 * i, 2, s.alpha[st]);
                scale = fmax(scale, fabs(fv[i]));
            }
            double rtol = s.order[st] == 1 ? 1e-7 : s.order[st] == 2 ? 1e-5 : 1e-4;
            for (int i = 0; i < NP; i++) {
                double jv = nt_tensor_get(J, (int64_t)st * NP + i), err = fabs(jv - fv[i]) / (scale + 1e-2);
                worst[s.order[st]] = fmax(worst[s.order[st]], err);
                if (!(err <= rtol))
                    nt_test_fail(__FILE__, __LINE__, "%s stream %d (order %d) point %d: jet %.12g fd %.12g", exprs[k],
                                 st, s.order[st], i, jv, fv[i]);
            }
        }
        printf("    %-82s jet vs fd by order: %.1e %.1e %.1e\n", exprs[k], worst[1], worst[2], worst[3]);
        nt_expr_free(&e);
    }
    nt_jet_spec_free(&s);
    nt_tape_free(&t);
    nt_tape_free(&t2);
    nt_net_free(&net);
    nt_params_free(&p);
}

/* ------------------------------------------------------------------------------ */
/* dist                                                                             */

static const char *k_geoms[] = {
    "disk: {center: [0.1, -0.2], radius: 0.7}",
    "difference: [{box: {lo: [-1, -1], hi: [1, 1]}}, {disk: {center: [0, 0], radius: 0.3}}]",
    "union: [{disk: {center: [-0.3, 0], radius: 0.5}}, {box: {lo: [0, -0.5], hi: [0.9, 0.4]}}]",
    "intersection: [{box: {lo: [-1, -1], hi: [0.8, 1]}}, {disk: {center: [0, 0], radius: 0.95}}]",
    "difference: [{box: {lo: [-1, -1], hi: [1, 1]}}, {box: {lo: [0, -1], hi: [1, 0]}}]",
    "polygon: [[-0.9, -0.8], [0.9, -0.6], [0.2, 0.9]]",
    "box: {lo: [-1, -0.5], hi: [0.5, 1]}",
};
#define N_GEOMS ((int)(sizeof k_geoms / sizeof k_geoms[0]))

static int load_geom_problem(nt_problem *p, const char *geom, const char *extra)
{
    char text[4096];
    snprintf(text, sizeof text,
             "domain:\n  x: [-1, 1]\n  y: [-1, 1]\n  geometry: {%s}\n"
             "fields: [u]\npde: \"u_xx + u_yy - 1\"\n"
             "output: {u: \"x^2 - y*x + 0.5 + dist*net_u\"}\n"
             "model: {width: 6, depth: 2}\ntrain: {points: 64}\n%s",
             geom, extra);
    if (nt_problem_load_string(p, text, "geom.yaml", ".") != NT_OK) {
        nt_test_fail(__FILE__, __LINE__, "%s: %s", geom, nt_error_msg());
        return -1;
    }
    return 0;
}

static double dist_v(const void *u, const double *x) { return nt_hard_dist(u, x); }

static void test_dist(void)
{
    nt_jet_spec s;
    nt_jet_spec_init(&s, 2);
    const char *streams[] = {"xx", "xy", "yy", "xxx", "yyy"};
    for (int k = 0; k < 5; k++) CHECK(nt_jet_spec_add_named(&s, "xy", streams[k]) >= 0);
    CHECK_OK(nt_jet_spec_build(&s));
    int S = s.n_streams;
    nt_rng r;
    nt_rng_init(&r, 5);
    for (int g = 0; g < N_GEOMS; g++) {
        nt_problem p;
        if (load_geom_problem(&p, k_geoms[g], "")) continue;
        CHECK(p.output_dist == 1 && p.n_output == 1);
        /* interior points at least 0.05 from the boundary (sdf), jets vs fd */
        enum { NP = 6 };
        double pts[NP * 2];
        for (int i = 0; i < NP;) {
            double q[2] = {2 * nt_rng_uniform(&r) - 1, 2 * nt_rng_uniform(&r) - 1};
            if (nt_geom_sdf(&p.geom, q) > -0.05) continue;
            pts[2 * i] = q[0];
            pts[2 * i + 1] = q[1];
            i++;
        }
        nt_arena a;
        nt_arena_init(&a, 1 << 16);
        double cx[S * NP], cy[S * NP], dj[S * NP];
        memset(cx, 0, sizeof cx);
        memset(cy, 0, sizeof cy);
        int sx = nt_jet_spec_add_named(&s, "xy", "x"), sy = nt_jet_spec_add_named(&s, "xy", "y");
        for (int i = 0; i < NP; i++) {
            cx[i] = pts[2 * i];
            cy[i] = pts[2 * i + 1];
            cx[sx * NP + i] = 1;
            cy[sy * NP + i] = 1;
        }
        const double *coord[2] = {cx, cy};
        CHECK_OK(nt_hard_dist_jet(&p, &s, NP, coord, &a, dj));
        double worst = 0;
        for (int i = 0; i < NP; i++) {
            CHECK(dj[i] > 0);
            CHECK_CLOSE(dj[i], nt_hard_dist(&p, pts + 2 * i), 1e-14, 1e-15);
        }
        for (int st = 1; st < S; st++) {
            double scale = 0, fv[NP];
            for (int i = 0; i < NP; i++) {
                fv[i] = fd(dist_v, &p, pts + 2 * i, 2, s.alpha[st]);
                scale = fmax(scale, fabs(fv[i]));
            }
            for (int i = 0; i < NP; i++) {
                double err = fabs(dj[st * NP + i] - fv[i]) / (scale + 1e-2);
                worst = fmax(worst, err);
                if (!(err <= (s.order[st] < 3 ? 1e-5 : 1e-3)))
                    nt_test_fail(__FILE__, __LINE__, "%s: dist stream %d point %d: jet %.12g fd %.12g", k_geoms[g], st,
                                 i, dj[st * NP + i], fv[i]);
            }
        }
        /* 0 on the boundary, > 0 inside */
        nt_geom_work w;
        memset(&w, 0, sizeof w);
        enum { NB = 200 };
        double bp[NB * 2], ip[NB * 2], bmax = 0, imin = INFINITY;
        CHECK_OK(nt_geom_sample_boundary(&p.geom, NT_SAMPLER_UNIFORM, NULL, NB, NULL, NULL, &r, &w, bp, NULL));
        CHECK_OK(nt_geom_sample_interior(&p.geom, NT_SAMPLER_UNIFORM, NULL, NB, &r, &w, ip));
        for (int i = 0; i < NB; i++) {
            bmax = fmax(bmax, fabs(nt_hard_dist(&p, bp + 2 * i)));
            if (nt_geom_sdf(&p.geom, ip + 2 * i) < -1e-9) imin = fmin(imin, nt_hard_dist(&p, ip + 2 * i));
        }
        CHECK(bmax <= 1e-14);
        CHECK(imin > 0);
        printf("    %-95s |dist| on boundary %.1e, min inside %.1e, jet vs fd %.1e\n", k_geoms[g], bmax, imin, worst);
        nt_geom_work_free(&w);
        nt_arena_free(&a);
        nt_problem_free(&p);
    }
    nt_jet_spec_free(&s);
}

/* ------------------------------------------------------------------------------ */
/* Exactness in a PINN                                                              */

#define HEAT_HARD                                                                  \
    "name: heat_hard\n"                                                            \
    "domain: {x: [0, 1], t: [0, 1]}\n"                                             \
    "fields: [u]\n"                                                                \
    "constants: {a: 0.4}\n"                                                        \
    "pde: \"u_t - a*u_xx\"\n"                                                      \
    "output:\n"                                                                    \
    "  u: \"sin(pi*x) + t*dist*net_u\"\n"                                          \
    "reference: {exact: {u: \"exp(-a*pi^2*t)*sin(pi*x)\"}, grid: {x: 41, t: 41}}\n"

static void test_exact_box(void)
{
    nt_problem p;
    const char *text = HEAT_HARD
        "conditions:\n"
        "  - {where: initial, u: \"sin(pi*x)\", points: 40}\n"
        "  - {where: \"x == 0 || x == 1\", u: 0, points: 40}\n"
        "model: {width: 8, depth: 2}\ntrain: {points: 64, seed: 4}\n";
    if (nt_test_load_problem(__FILE__, __LINE__, &p, text, NULL, "heat.yaml")) return;
    nt_pinn m;
    CHECK_OK(nt_pinn_init(&m, &p));
    /* the raw network is far from the data: the transform does the work */
    for (int64_t i = 0; i < (int64_t)m.params.n; i++) ((double *)m.params.data)[i] *= 3;
    nt_rng r;
    nt_rng_init(&r, 8);
    enum { N = 300 };
    double x[N * 2], u[N], worst = 0;
    for (int i = 0; i < N; i++) {
        double q = nt_rng_uniform(&r);
        int face = i % 3;
        x[2 * i] = face == 0 ? q : face == 1 ? 0 : 1;
        x[2 * i + 1] = face == 0 ? 0 : nt_rng_uniform(&r);
    }
    CHECK_OK(nt_pinn_predict(&m, x, N, u));
    for (int i = 0; i < N; i++) worst = fmax(worst, fabs(u[i] - sin(NT_TEST_PI * x[2 * i])));
    /* inside, the field differs from sin(pi x) */
    double in[2] = {0.4, 0.6}, uin;
    CHECK_OK(nt_pinn_predict(&m, in, 1, &uin));
    CHECK(fabs(uin - sin(NT_TEST_PI * 0.4)) > 1e-3);
    double loss = nt_pinn_loss(&m, 1);
    printf("    heat, u = sin(pi x) + t*dist*net_u: max |u - g| at %d points of t=0, x=0, x=1: %.1e; "
           "condition terms %.1e %.1e, pde %.2e\n", N, worst, m.term[1], m.term[2], m.term[0]);
    CHECK(worst <= 1e-12);
    CHECK(m.term[1] < 1e-26 && m.term[2] < 1e-26 && m.term[0] > 1e-4 && isfinite(loss));
    nt_pinn_free(&m);
    nt_problem_free(&p);
}

static void test_exact_geometry(void)
{
    for (int g = 0; g < N_GEOMS; g++) {
        nt_problem p;
        if (load_geom_problem(&p, k_geoms[g], "conditions: [{where: boundary, u: \"x^2 - y*x + 0.5\", points: 50}]\n"))
            continue;
        nt_pinn m;
        CHECK_OK(nt_pinn_init(&m, &p));
        nt_geom_work w;
        memset(&w, 0, sizeof w);
        nt_rng r;
        nt_rng_init(&r, 3);
        enum { NB = 200 };
        double bp[NB * 2], u[NB], worst = 0;
        CHECK_OK(nt_geom_sample_boundary(&p.geom, NT_SAMPLER_UNIFORM, NULL, NB, NULL, NULL, &r, &w, bp, NULL));
        CHECK_OK(nt_pinn_predict(&m, bp, NB, u));
        for (int i = 0; i < NB; i++)
            worst = fmax(worst, fabs(u[i] - (bp[2 * i] * bp[2 * i] - bp[2 * i + 1] * bp[2 * i] + 0.5)));
        nt_pinn_loss(&m, 1);
        CHECK(worst <= 1e-12);
        CHECK(m.term[1] < 1e-26 && m.term[0] > 1e-6);
        printf("    %-95s max |u - g| on the boundary %.1e, condition term %.1e\n", k_geoms[g], worst, m.term[1]);
        nt_geom_work_free(&w);
        nt_pinn_free(&m);
        nt_problem_free(&p);
    }
}

/* d(loss)/d(parameter) with a transform on two fields (dist, products, functions of
 * the network, a Neumann condition and data through the transform) vs central
 * differences, every parameter. */
static void test_loss_gradcheck(void)
{
    const char *text =
        "domain: {x: [-1, 1], t: [0, 1]}\nfields: [u, v]\n"
        "pde: [\"u_t + u*u_x - 0.1*u_xx + v_xxx\", \"v_t - u_x*v + v_xx\"]\n"
        "output:\n  u: \"-sin(pi*x) + t*dist*tanh(net_u)*net_v\"\n  v: \"exp(-t)*cos(net_v) + sinh(x*net_u)^2/(2 + t)\"\n"
        "conditions: [{where: \"x == 1\", u_x: 0.5, points: 6}]\n"
        "data: {from: reference, points: 8}\n"
        "reference: {exact: {u: \"sin(pi*x)*exp(-t)\", v: \"x*t\"}, grid: {x: 9, t: 5}}\n"
        "model: {width: 5, depth: 2}\n"
        "train: {points: 20, chunk: 12, dtype: float64}\n";
    nt_problem p;
    if (nt_test_load_problem(__FILE__, __LINE__, &p, text, NULL, "grad.yaml")) return;
    nt_pinn m;
    CHECK_OK(nt_pinn_init(&m, &p));
    nt_params *pp = &m.params;
    double *x = pp->data;
    nt_pinn_loss(&m, 1);
    double *g0 = nt_test_pinn_grad(&m), worst = 0, gmax = 0;
    for (int64_t i = 0; i < pp->n; i++) {
        double fdv = nt_test_pinn_fd(&m, i, 1e-6 * (1 + fabs(x[i])));
        worst = fmax(worst, fabs(fdv - g0[i]));
        gmax = fmax(gmax, fabs(g0[i]));
    }
    printf("    loss gradient with a transform, %lld params: max |fd - grad| %.1e (max |grad| %.2g)\n",
           (long long)pp->n, worst, gmax);
    CHECK(gmax > 1e-3 && worst <= 1e-6 * (1 + gmax));
    free(g0);
    nt_pinn_free(&m);
    nt_problem_free(&p);
}

/* ------------------------------------------------------------------------------ */
/* End to end                                                                       */

static void test_heat_trains(void)
{
    int quick = nt_test_quick();
    int adam = quick ? 200 : 500, lbfgs = quick ? 150 : 500;
    int threads = nt_threads_get();
    nt_threads_set(1);
    nt_problem p;
    const char *text = HEAT_HARD "model: {width: 16, depth: 2}\ntrain: {points: 512, sampler: sobol, seed: 2}\n";
    if (nt_test_load_problem(__FILE__, __LINE__, &p, text, NULL, "heat.yaml")) return;
    CHECK(p.n_cond == 0);
    nt_pinn m;
    CHECK_OK(nt_pinn_init(&m, &p));
    double t0 = nt_time_now(), e0 = nt_pinn_errors(&m, NULL);
    nt_adam_config ac = nt_adam_config_default(3e-3);
    nt_test_pinn_adam_lbfgs(&m, &ac, adam, lbfgs);
    double e = nt_pinn_errors(&m, NULL), secs = nt_time_now() - t0;
    printf("    heat 1D, hard constraints, 2-16x2-1, 512 points, Adam %d + L-BFGS %d: rel L2 %.2e -> %.2e (%.1f s)\n",
           adam, lbfgs, e0, e, secs);
    CHECK(e < (quick ? 2e-2 : 2e-3));
    /* the trained field still meets the conditions exactly */
    double xb[6] = {0.3, 0, 0, 0.6, 1, 0.9}, ub[3];
    CHECK_OK(nt_pinn_predict(&m, xb, 3, ub));
    CHECK_NEAR(ub[0], sin(0.3 * NT_TEST_PI), 1e-15);
    CHECK_NEAR(ub[1], 0, 1e-15);
    CHECK_NEAR(ub[2], 0, 1e-15);
    nt_pinn_free(&m);
    nt_problem_free(&p);
    nt_threads_set(threads);
}

/* ------------------------------------------------------------------------------ */
/* Errors                                                                           */

/* HEAD has 5 lines: the output block starts on line 6. */
#define HEAD                                                                       \
    "domain: {x: [0, 1], t: [0, 1]}\n"                                             \
    "fields: [u]\n"                                                                \
    "constants: {a: 0.4}\n"                                                        \
    "unknowns: {k: 1}\n"                                                           \
    "pde: \"u_t - a*u_xx\"\n"
#define TAIL "data: {file: nothing.csv}\n"

#define expect_error(line, body, pos, msg) nt_test_expect_problem_error(__FILE__, line, "bad.yaml", HEAD, body, pos, msg)

static void test_yaml_errors(void)
{
    expect_error(__LINE__, "output: {u: \"sin(pi*x) + t*net_u_x\"}\n", "6:28", "'net_u_x' is a derivative");
    expect_error(__LINE__, "output: {u: \"sin(pi*x) + t*u\"}\n", "6:28", "'u' is the transformed field itself; the network's raw output is net_u");
    expect_error(__LINE__, "output: {u: \"t/net_u\"}\n", "6:15", "division by an expression of the network outputs");
    expect_error(__LINE__, "output: {u: \"x + abs(t*net_u)\"}\n", "6:18", "abs is not differentiable");
    expect_error(__LINE__, "output: {u: \"x + t*log(net_u)\"}\n", "6:20", "log of an expression of the network outputs");
    expect_error(__LINE__, "output: {u: \"x + t*net_u^0.5\"}\n", "6:25", "constant integer exponent");
    expect_error(__LINE__, "output: {u: \"x + t*net_u^x\"}\n", "6:25", "constant integer exponent");
    expect_error(__LINE__, "output: {u: \"x + k*net_u\"}\n", "6:18", "unknown coefficient 'k'");
    expect_error(__LINE__, "output: {u: \"(x < 1)*net_u\"}\n", "6:17", "comparisons");
    expect_error(__LINE__, "output: {u: \"x + t*nett_u\"}\n", "6:20", "unknown symbol 'nett_u'");
    expect_error(__LINE__, "output:\n  v: \"net_u\"\n", "7:3", "output: 'v' is not a field");
    expect_error(__LINE__, "output: [u]\n", "6:9", "'output' must map fields to expressions");
    expect_error(__LINE__, "output:\n  u: |\n    sin(pi*x)\n    + t*dist/net_u\n", "9:13", "division by an expression");
    /* dist needs a geometry it can build */
    static const char *nonconvex =
        "domain:\n  x: [0, 2]\n  y: [0, 2]\n  geometry: {polygon: [[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]]}\n"
        "fields: [u]\npde: \"u_xx + u_yy\"\noutput: {u: \"dist*net_u\"}\n";
    nt_problem p;
    CHECK(nt_problem_load_string(&p, nonconvex, "nc.yaml", ".") != NT_OK);
    CHECK(strstr(nt_error_msg(), "nc.yaml:7:14:") && strstr(nt_error_msg(), "not convex"));
    static const char *timeonly = "domain: {t: [0, 1]}\nfields: [u]\npde: \"u_t + u\"\noutput: {u: \"1 + t*dist*net_u\"}\n";
    CHECK(nt_problem_load_string(&p, timeonly, "ode.yaml", ".") != NT_OK);
    CHECK(strstr(nt_error_msg(), "ode.yaml:4:20:") && strstr(nt_error_msg(), "dist needs a space variable"));
    /* without output (and without conditions or data) the old message stays */
    CHECK(nt_problem_load_string(&p, "domain: {x: [0, 1]}\nfields: [u]\npde: \"u_xx\"\n", "none.yaml", ".") != NT_OK);
    CHECK(strstr(nt_error_msg(), "no conditions and no data"));
    /* a transform replaces the conditions */
    CHECK_OK(nt_problem_load_string(&p, "domain: {x: [0, 1]}\nfields: [u]\npde: \"u_xx + 1\"\noutput: {u: \"dist*net_u\"}\n",
                                    "ok.yaml", "."));
    CHECK(p.n_output == 1 && p.output_dist == 1 && p.n_cond == 0);
    nt_problem_free(&p);
    (void)TAIL;
}

int main(void)
{
    RUN(test_transform_jet_vs_fd);
    RUN(test_dist);
    RUN(test_exact_box);
    RUN(test_exact_geometry);
    RUN(test_loss_gradcheck);
    RUN(test_yaml_errors);
    RUN(test_heat_trains);
    return nt_test_finish();
}

/* test_geometry_cli.c — geometries in problem files (domain: {geometry: ...}):
 *   - the loader: the geometry's variables (time skipped), errors with file:line:col
 *     (geometry outside the box, `boundary && PRED` errors, faces that are not part
 *     of the boundary, periodic space variables), labels;
 *   - the points: residual points inside (× time), boundary points on the boundary
 *     with outward normals, box-face clauses in their plane, `initial` in the
 *     interior at t0, `boundary && PRED` where PRED holds;
 *   - the u_n term of the loss equals a finite-difference normal derivative of the
 *     network at the same points (disk, and a plate whose hole has flipped normals);
 *   - reference points outside the geometry are NaN and left out of the error;
 *   - training end to end (nt_run_train): Poisson with Dirichlet data on an L-shape,
 *     and on a disk with Dirichlet data on the left half and Neumann data on the
 *     right half (`boundary && x < 0` / `boundary && x >= 0`); relative L2 errors
 *     below 1e-2 (seen: 4.5e-3 and 2.3e-3 after Adam 400 + L-BFGS 600, ~5 s each);
 *     predictions.csv holds only points inside the geometry. */
#include "harness.h"
#include "pinn/pinn.h"
#include "pinn/problem.h"
#include "pinn/run.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *g_tmp; /* the temporary folder */

static void expect_error(const char *text, const char *want)
{
    nt_problem p;
    nt_status st = nt_problem_load_string(&p, text, "g.yaml", NULL);
    CHECK(st == NT_ERR_FORMAT);
    if (st == NT_OK) nt_problem_free(&p);
    else if (!strstr(nt_error_msg(), want)) nt_test_fail(__FILE__, __LINE__, "expected '%s' in: %s", want, nt_error_msg());
}

static void test_load(void)
{
    nt_problem p;
    const char *ok =
        "domain:\n"
        "  x: [-1, 1]\n"
        "  t: [0, 1]\n"
        "  y: [-1, 1]\n"
        "  geometry:\n"
        "    difference:\n"
        "      - box: {lo: [-1, -1], hi: [1, 1]}\n"
        "      - disk: {center: [0, 0], radius: 0.3}\n"
        "fields: [u]\n"
        "pde: \"u_t - u_xx - u_yy\"\n"
        "conditions:\n"
        "  - {where: \"boundary && x*x + y*y < 0.2\", u_n: 0}\n"
        "  - {where: boundary, u: 0}\n"
        "  - {where: \"x == -1 || y == 1\", u: 1}\n"
        "  - {where: initial, u: 0}\n";
    CHECK_OK(nt_problem_load_string(&p, ok, "g.yaml", NULL));
    CHECK(p.has_geom && p.env.n_vars == 3 && p.time_var == 1);
    CHECK(p.geom.dim == 2 && p.geom_var[0] == 0 && p.geom_var[1] == 2);
    CHECK(p.cond[0].n_faces == 1 && p.cond[0].faces[0].geom && p.cond[0].faces[0].var == 0 && p.cond[0].where_pred.root);
    CHECK(!strcmp(p.cond[0].label, "u_n(boundary&&x*x+y*y<0.2)"));
    CHECK(!strcmp(p.cond[1].label, "u(boundary)") && !p.cond[1].where_pred.root);
    CHECK(p.cond[2].n_faces == 2 && !strcmp(p.cond[2].label, "u(x=-1|y=1)"));
    CHECK_CLOSE(p.cond[0].face_measure[0], 2 * NT_TEST_PI * 0.3, 2e-3, 0);
    CHECK_CLOSE(p.cond[1].face_measure[0], 8 + 2 * NT_TEST_PI * 0.3, 3e-3, 0);
    CHECK_CLOSE(p.cond[2].face_measure[0], 2, 2e-3, 0);
    CHECK_CLOSE(p.cond[3].face_measure[0], 4 - NT_TEST_PI * 0.09, 2e-3, 0);
    double in[3] = {0.5, 0.7, 0.5}, hole[3] = {0.1, 0.7, 0.1};
    CHECK(nt_problem_in_domain(&p, in) && !nt_problem_in_domain(&p, hole));
    nt_problem_free(&p);

    /* errors, each at its line:column */
    expect_error("domain:\n  x: [0, 1]\n  y: [0, 1]\n  geometry: {disk: {center: [0.5, 0.5], radius: 0.6}}\nfields: [u]\npde: \"u_xx\"\n"
                 "conditions: [{where: boundary, u: 0}]\n",
                 "g.yaml:4:13: the geometry spans x in [-0.1, 1.1], outside the domain's [0, 1]");
    expect_error("domain:\n  x: [-1, 1]\n  y: [-1, 1]\n  geometry: {disk: {center: [0, 0], radius: -1}}\nfields: [u]\npde: \"u_xx\"\n"
                 "conditions: [{where: boundary, u: 0}]\n",
                 "g.yaml:4:45: radius must be > 0");
    expect_error("domain:\n  x: [-1, 1]\n  y: [-1, 1]\n  geometry: {disk: {center: [0, 0], radius: 1}}\nfields: [u]\npde: \"u_xx\"\n"
                 "conditions:\n  - {where: \"boundary && x*x + q < 1\", u: 0}\n",
                 "g.yaml:8:32: in where \"boundary && x*x + q < 1\": unknown symbol 'q'");
    expect_error("domain: {x: [-1, 1], y: [-1, 1]}\nfields: [u]\npde: \"u_xx\"\n"
                 "conditions:\n  - {where: \"boundary && x < 0\", u: 0}\n",
                 "g.yaml:5:14: where: \"boundary && ...\" selects part of the boundary of a geometry");
    expect_error("domain:\n  x: [-1, 1]\n  y: [-1, 1]\n  geometry: {disk: {center: [0, 0], radius: 0.5}}\nfields: [u]\npde: \"u_xx\"\n"
                 "conditions:\n  - {where: \"x == 1\", u: 0}\n",
                 "g.yaml:8:13: where: x == 1 is not part of the geometry's boundary");
    expect_error("domain:\n  x: [-1, 1]\n  y: [-1, 1]\n  geometry: {disk: {center: [0, 0], radius: 0.5}}\nfields: [u]\npde: \"u_xx\"\n"
                 "conditions:\n  - {where: \"boundary && x > 0.6\", u: 0}\n",
                 "g.yaml:8:13: where: no point of the geometry's boundary satisfies \"x > 0.6\"");
    expect_error("domain:\n  x: [-1, 1]\n  y: [-1, 1]\n  geometry: {disk: {center: [0, 0], radius: 0.5}}\nfields: [u]\npde: \"u_xx\"\n"
                 "conditions:\n  - {periodic: x}\n",
                 "g.yaml:8:16: periodic: 'x' is a coordinate of the domain's geometry");
    expect_error("domain:\n  x: [-1, 1]\n  y: [-1, 1]\n  z: [-1, 1]\n  geometry: {polygon: [[0, 0], [1, 0], [0, 1]]}\nfields: [u]\npde: \"u_xx\"\n"
                 "conditions: [{where: boundary, u: 0}]\n",
                 "g.yaml:5:14: polygon needs 2 spatial variables (this problem has 3)");
    expect_error("domain:\n  x: [-1, 1]\n  y: [-1, 1]\n  geometry: {disc: {center: [0, 0], radius: 1}}\nfields: [u]\npde: \"u_xx\"\n"
                 "conditions: [{where: boundary, u: 0}]\n",
                 "g.yaml:4:14: unknown key 'disc' in geometry (did you mean 'disk'?");
}

/* ------------------------------------------------------------------------------ */
/* Points                                                                           */

static void test_points(void)
{
    const char *text =
        "domain:\n"
        "  x: [-1, 1]\n"
        "  y: [-1, 1]\n"
        "  t: [0, 2]\n"
        "  geometry: {difference: [{box: {lo: [-1, -1], hi: [1, 1]}}, {disk: {center: [0, 0], radius: 0.3}}]}\n"
        "fields: [u]\n"
        "pde: \"u_t - u_xx - u_yy\"\n"
        "conditions:\n"
        "  - {where: boundary, u: 0, points: 500}\n"
        "  - {where: \"x == -1\", u_n: 0, points: 100}\n"
        "  - {where: initial, u: 1, points: 300}\n"
        "  - {where: \"boundary && x*x + y*y < 0.2\", u_n: 0, points: 200}\n"
        "model: {width: 8, depth: 2}\n"
        "train: {points: 2000, sampler: lhs}\n";
    nt_problem p;
    CHECK_OK(nt_problem_load_string(&p, text, "g.yaml", NULL));
    nt_pinn m;
    CHECK_OK(nt_pinn_init(&m, &p));
    const nt_geom *g = &p.geom;
    int64_t bad = 0;
    double tmean = 0;
    for (int64_t i = 0; i < m.n_res; i++) {
        const double *x = m.x_res + 3 * i;
        bad += !nt_problem_in_domain(&p, x) || hypot(x[0], x[1]) < 0.3 || !(x[2] >= 0 && x[2] <= 2);
        tmean += x[2] / (double)m.n_res;
    }
    CHECK(bad == 0);
    CHECK_NEAR(tmean, 1, 0.01);
    /* condition 0: on the boundary, unit outward normals, t spread over [0, 2] */
    int64_t hole = 0;
    for (int64_t i = m.cond_off[0][0]; i < m.cond_off[0][1]; i++) {
        const double *x = m.x_cond + 3 * i, *n = m.cond_nrm + 2 * i;
        double a[2] = {x[0] + 1e-7 * n[0], x[1] + 1e-7 * n[1]}, b[2] = {x[0] - 1e-7 * n[0], x[1] - 1e-7 * n[1]};
        bad += !(fabs(nt_geom_sdf(g, (double[]){x[0], x[1]})) < 1e-12) || !(fabs(hypot(n[0], n[1]) - 1) < 1e-12) ||
               !(nt_geom_sdf(g, a) > 0) || !(nt_geom_sdf(g, b) < 0) || !(x[2] >= 0 && x[2] <= 2);
        hole += hypot(x[0], x[1]) < 0.31;
    }
    CHECK(bad == 0);
    CHECK(m.cond_off[0][1] - m.cond_off[0][0] == 500);
    CHECK_NEAR((double)hole / 500, 2 * NT_TEST_PI * 0.3 / (8 + 2 * NT_TEST_PI * 0.3), 0.03);
    /* condition 1: the plane x = -1, normal (-1, 0) */
    CHECK(m.cond_off[1][1] - m.cond_off[1][0] == 100);
    for (int64_t i = m.cond_off[1][0]; i < m.cond_off[1][1]; i++) {
        const double *x = m.x_cond + 3 * i, *n = m.cond_nrm + 2 * i;
        bad += x[0] != -1 || n[0] != -1 || n[1] != 0 || !(x[1] >= -1 && x[1] <= 1);
    }
    CHECK(bad == 0);
    /* condition 2: the interior at t = 0 */
    for (int64_t i = m.cond_off[2][0]; i < m.cond_off[2][1]; i++) {
        const double *x = m.x_cond + 3 * i;
        bad += x[2] != 0 || !nt_problem_in_domain(&p, x) || hypot(x[0], x[1]) < 0.3;
    }
    CHECK(bad == 0);
    /* condition 3: the hole only, normals towards its center */
    for (int64_t i = m.cond_off[3][0]; i < m.cond_off[3][1]; i++) {
        const double *x = m.x_cond + 3 * i, *n = m.cond_nrm + 2 * i;
        double r = hypot(x[0], x[1]);
        bad += !(fabs(r - 0.3) < 1e-12) || !(fabs(n[0] + x[0] / r) < 1e-12) || !(fabs(n[1] + x[1] / r) < 1e-12);
    }
    CHECK(bad == 0);
    /* a redraw keeps the residual points inside */
    CHECK_OK(nt_pinn_resample(&m));
    for (int64_t i = 0; i < m.n_res; i++) bad += !nt_problem_in_domain(&p, m.x_res + 3 * i);
    CHECK(bad == 0);
    nt_pinn_free(&m);
    nt_problem_free(&p);
}

/* ------------------------------------------------------------------------------ */
/* The normal derivative in the loss                                                */

/* The u_n term of condition c against mean((u(x + h n) − u(x − h n))² / (2h)²). */
static void check_normal_term(const char *text, int c)
{
    nt_problem p;
    CHECK_OK(nt_problem_load_string(&p, text, "g.yaml", NULL));
    nt_pinn m;
    CHECK_OK(nt_pinn_init(&m, &p));
    nt_pinn_loss(&m, 0);
    int64_t r0 = m.cond_off[c][0], n = m.cond_off[c][1] - r0;
    double *xp = malloc((size_t)n * 4 * sizeof(double)), *u = malloc((size_t)n * 2 * sizeof(double));
    const double h = 1e-5;
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) {
            xp[2 * i + k] = m.x_cond[2 * (r0 + i) + k] + h * m.cond_nrm[2 * (r0 + i) + k];
            xp[2 * (n + i) + k] = m.x_cond[2 * (r0 + i) + k] - h * m.cond_nrm[2 * (r0 + i) + k];
        }
    CHECK_OK(nt_pinn_predict(&m, xp, 2 * n, u));
    double ms = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = (u[i] - u[n + i]) / (2 * h);
        ms += d * d / (double)n;
    }
    CHECK(ms > 1e-4); /* a random network has a nonzero normal derivative */
    CHECK_CLOSE(m.term[p.n_pde + c], ms, 1e-6, 0);
    free(xp);
    free(u);
    nt_pinn_free(&m);
    nt_problem_free(&p);
}

static void test_normal_loss(void)
{
    check_normal_term("domain:\n  x: [-1, 1]\n  y: [-1, 1]\n  geometry: {disk: {center: [0.1, 0], radius: 0.8}}\n"
                      "fields: [u]\npde: \"u_xx + u_yy\"\nconditions:\n  - {where: boundary, u_n: 0, points: 300}\n"
                      "model: {width: 16, depth: 2}\ntrain: {points: 64}\n",
                      0);
    check_normal_term("domain:\n  x: [-1, 1]\n  y: [-1, 1]\n"
                      "  geometry: {difference: [{polygon: [[-1, -1], [1, -1], [1, 1], [-1, 1]]}, {disk: {center: [0, 0], radius: 0.4}}]}\n"
                      "fields: [u]\npde: \"u_xx + u_yy\"\nconditions:\n  - {where: boundary, u: 0}\n"
                      "  - {where: \"boundary && x*x + y*y < 0.5\", u_n: 0, points: 300}\n"
                      "model: {width: 16, depth: 2}\ntrain: {points: 64}\n",
                      1);
}

/* ------------------------------------------------------------------------------ */
/* The reference outside the geometry                                               */

static void test_reference_mask(void)
{
    const char *text =
        "domain:\n  x: [-1, 1]\n  y: [-1, 1]\n"
        "  geometry: {difference: [{box: {lo: [-1, -1], hi: [1, 1]}}, {box: {lo: [0, -1], hi: [1, 0]}}]}\n"
        "fields: [u]\npde: \"u_xx + u_yy\"\nconditions: [{where: boundary, u: 0}]\n"
        "model: {width: 8, depth: 2}\ntrain: {points: 64}\n"
        "reference: {exact: {u: \"x + 2\"}, grid: {x: 21, y: 21}}\n";
    nt_problem p;
    CHECK_OK(nt_problem_load_string(&p, text, "g.yaml", NULL));
    nt_pinn m;
    CHECK_OK(nt_pinn_init(&m, &p));
    double e = nt_pinn_errors(&m, NULL);
    int64_t out = 0, bad = 0;
    double num = 0, den = 0;
    for (int64_t i = 0; i < m.n_ref; i++) {
        const double *x = m.ref_x + 2 * i;
        int inside = !(x[0] > 0 && x[1] < 0);
        out += !inside;
        bad += inside != nt_problem_in_domain(&p, x) || inside != !isnan(m.ref_pred[i]) || inside != !isnan(m.ref_u[i]);
        if (inside) {
            num += (m.ref_pred[i] - x[0] - 2) * (m.ref_pred[i] - x[0] - 2);
            den += (x[0] + 2) * (x[0] + 2);
        }
    }
    CHECK(out == 100 && m.n_ref == 441);
    CHECK(bad == 0);
    CHECK_CLOSE(e, sqrt(num / den), 1e-12, 0);
    nt_pinn_free(&m);
    nt_problem_free(&p);
}

/* ------------------------------------------------------------------------------ */
/* Training                                                                         */

/* Trains text in g_tmp/<name>; returns the relative L2 error of u from summary.json. */
static double train(const char *name, const char *text)
{
    char path[512], dir[512];
    snprintf(path, sizeof path, "%s/%s.yaml", g_tmp, name);
    snprintf(dir, sizeof dir, "%s/%s", g_tmp, name);
    nt_test_write_text(path, text);
    return nt_test_train(__FILE__, __LINE__, path, dir);
}

/* Rows of g_tmp/<name>/predictions.csv, all of which must pass in(x, y). */
static int64_t prediction_rows(const char *name, int (*in)(double, double))
{
    char path[512], line[512];
    snprintf(path, sizeof path, "%s/%s/predictions.csv", g_tmp, name);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int64_t rows = 0, bad = 0;
    if (!fgets(line, sizeof line, f)) rows = -1;
    while (rows >= 0 && fgets(line, sizeof line, f)) {
        double x, y;
        if (sscanf(line, "%lf,%lf", &x, &y) != 2 || !in(x, y)) bad++;
        rows++;
    }
    fclose(f);
    CHECK(bad == 0);
    return rows;
}

static int in_lshape(double x, double y) { return !(x > 0 && y < 0) && fabs(x) <= 1 && fabs(y) <= 1; }
static int in_disk(double x, double y) { return hypot(x, y) <= 1 + 1e-12; }

static void test_train_lshape(void)
{
    int q = nt_test_quick();
    char text[2048];
    snprintf(text, sizeof text,
             "name: lshape\n"
             "domain:\n  x: [-1, 1]\n  y: [-1, 1]\n"
             "  geometry: {difference: [{box: {lo: [-1, -1], hi: [1, 1]}}, {box: {lo: [0, -1], hi: [1, 0]}}]}\n"
             "fields: [u]\n"
             "pde: \"u_xx + u_yy + 2*pi^2*sin(pi*x)*sin(pi*y)\"\n"
             "conditions:\n  - {where: boundary, u: \"sin(pi*x)*sin(pi*y)\", points: %d, weight: 10}\n"
             "model: {width: 20, depth: 3}\n"
             "train:\n  points: %d\n  sampler: sobol\n  stages:\n"
             "    - {optimizer: adam, lr: 3e-3, steps: %d}\n    - {optimizer: lbfgs, steps: %d}\n"
             "  log_every: 500\n  eval_every: 0\n  checkpoint_every: 100000\n"
             "reference: {exact: {u: \"sin(pi*x)*sin(pi*y)\"}, grid: {x: 41, y: 41}}\n",
             q ? 128 : 256, q ? 256 : 1024, q ? 100 : 400, q ? 100 : 600);
    double e = train("lshape", text);
    printf("    L-shape Dirichlet: relative L2 error %.3e\n", e);
    CHECK(e < (q ? 0.3 : 1e-2));
    CHECK(prediction_rows("lshape", in_lshape) == 41 * 41 - 20 * 20);
}

static void test_train_disk_neumann(void)
{
    int q = nt_test_quick();
    char text[2048];
    snprintf(text, sizeof text,
             "name: disk\n"
             "domain:\n  x: [-1, 1]\n  y: [-1, 1]\n  geometry: {disk: {center: [0, 0], radius: 1}}\n"
             "fields: [u]\n"
             "pde: \"u_xx + u_yy + (pi^2/2)*sin(pi*x/2)*cos(pi*y/2)\"\n"
             "conditions:\n"
             "  - {where: \"boundary && x < 0\", u: \"sin(pi*x/2)*cos(pi*y/2)\", points: %d, weight: 10}\n"
             "  - {where: \"boundary && x >= 0\", u_n: \"(pi/2)*(x*cos(pi*x/2)*cos(pi*y/2) - y*sin(pi*x/2)*sin(pi*y/2))\", points: %d}\n"
             "model: {width: 20, depth: 3}\n"
             "train:\n  points: %d\n  sampler: sobol\n  stages:\n"
             "    - {optimizer: adam, lr: 3e-3, steps: %d}\n    - {optimizer: lbfgs, steps: %d}\n"
             "  log_every: 500\n  eval_every: 0\n  checkpoint_every: 100000\n"
             "reference: {exact: {u: \"sin(pi*x/2)*cos(pi*y/2)\"}, grid: {x: 41, y: 41}}\n",
             q ? 64 : 128, q ? 64 : 128, q ? 256 : 1024, q ? 100 : 400, q ? 100 : 600);
    double e = train("disk", text);
    printf("    disk, Dirichlet left / Neumann right: relative L2 error %.3e\n", e);
    CHECK(e < (q ? 0.3 : 1e-2));
    int64_t inside = 0;
    for (int i = 0; i < 41; i++)
        for (int j = 0; j < 41; j++) inside += in_disk(-1 + i / 20.0, -1 + j / 20.0);
    CHECK(prediction_rows("disk", in_disk) == inside);
}

/* Interrupting and resuming a run on a geometry (residual points redrawn in it)
 * gives the same result as an uninterrupted run. */
static void test_resume(void)
{
    const char *text =
        "name: resume\n"
        "domain:\n  x: [-1, 1]\n  y: [-1, 1]\n  geometry: {difference: [{box: {lo: [-1, -1], hi: [1, 1]}}, {disk: {center: [0, 0], radius: 0.4}}]}\n"
        "fields: [u]\npde: \"u_xx + u_yy + 1\"\n"
        "conditions:\n  - {where: \"boundary && x*x + y*y > 0.5\", u: 0, points: 64}\n  - {where: \"boundary && x*x + y*y < 0.5\", u_n: 1, points: 32}\n"
        "model: {width: 8, depth: 2}\n"
        "train: {points: 128, resample_every: 7, log_every: 10, eval_every: 0, stages: [{optimizer: adam, steps: 40}, {optimizer: lbfgs, steps: 10}]}\n"
        "reference: {exact: {u: \"x\"}, grid: {x: 11, y: 11}}\n";
    char path[512], a[512], b[512];
    snprintf(path, sizeof path, "%s/resume.yaml", g_tmp);
    snprintf(a, sizeof a, "%s/resume_a", g_tmp);
    snprintf(b, sizeof b, "%s/resume_b", g_tmp);
    nt_test_write_text(path, text);
    nt_test_train_resumed(__FILE__, __LINE__, path, a, b, 23);
    /* the same final loss and error, to the last digit */
    char *ja = NULL, *jb = NULL;
    for (int k = 0; k < 2; k++) {
        char sp[600];
        snprintf(sp, sizeof sp, "%s/summary.json", k ? b : a);
        FILE *g = fopen(sp, "r");
        if (!g) continue;
        char *buf = calloc(1 << 16, 1);
        size_t n = fread(buf, 1, (1 << 16) - 1, g);
        (void)n;
        fclose(g);
        if (k) jb = buf;
        else ja = buf;
    }
    CHECK(ja && jb);
    if (ja && jb) {
        const char *la = strstr(ja, "\"final_loss\""), *lb = strstr(jb, "\"final_loss\"");
        const char *ea = strstr(ja, "\"rel_l2\""), *eb = strstr(jb, "\"rel_l2\"");
        CHECK(la && lb && ea && eb);
        if (la && lb) CHECK(strtod(la + 13, NULL) > 0 && strtod(la + 13, NULL) == strtod(lb + 13, NULL));
        if (ea && eb) CHECK(!strncmp(ea, eb, 40));
    }
    free(ja);
    free(jb);
}

int main(void)
{
    if (!(g_tmp = nt_test_tmp_init("nt_test_geometry_cli"))) return 1;
    RUN(test_load);
    RUN(test_points);
    RUN(test_normal_loss);
    RUN(test_reference_mask);
    RUN(test_train_lshape);
    RUN(test_train_disk_neumann);
    RUN(test_resume);
    nt_test_tmp_cleanup();
    return nt_test_finish();
}

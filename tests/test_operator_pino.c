/* test_operator_pino.c — the physics-informed neural operator (PINO) for Burgers:
 *   - the physics loss on a manufactured space-time field equals the mean square of
 *     its analytic residual u_t + u u_x − ν u_xx over the interior times (spectral x
 *     derivatives exact for a band-limited field, central differences exact for a
 *     field quadratic in t), the IC loss the mean square of u(·, 0) − a
 *   - its gradient with respect to every value of u agrees with central finite
 *     differences (float64)
 *   - end to end through build/noether (NT_NOETHER overrides): a tiny space-time set
 *     (generate: times), an FNO over (t, x) trained from the PDE alone (data_weight 0:
 *     zero-shot, no solution enters the run) lowers the test PDE residual by more than
 *     10x and reaches a bounded error against the solver; `noether predict` gives
 *     [N, nt, s] outputs equal to test_pred.npy
 *   - the files' checks: physics on a set without times, physics.nu against
 *     meta.json, generate: against the parameters in meta.json (file:line:column). */
#include "harness.h"
#include "io/npy.h"
#include "operator/pino.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the number after `"key": ` in s (NaN if absent) */
static double num_in(const char *s, const char *key)
{
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = s ? strstr(s, pat) : NULL;
    return p ? strtod(p + strlen(pat), NULL) : NAN;
}

/* ---- the loss ---------------------------------------------------------------- */

/* u_b(x, t) = c_b sin(2πx)(1 + t) + 0.3 cos(4πx) t² + 0.2 sin(6πx) */
static double mf(int b, double x, double t, double *ut, double *ux, double *uxx)
{
    double c = 1.0 + 0.5 * b, w = 2 * 3.14159265358979323846;
    double u = c * sin(w * x) * (1 + t) + 0.3 * cos(2 * w * x) * t * t + 0.2 * sin(3 * w * x);
    *ut = c * sin(w * x) + 0.6 * cos(2 * w * x) * t;
    *ux = c * w * cos(w * x) * (1 + t) - 0.6 * w * sin(2 * w * x) * t * t + 0.6 * w * cos(3 * w * x);
    *uxx = -c * w * w * sin(w * x) * (1 + t) - 1.2 * w * w * cos(2 * w * x) * t * t - 1.8 * w * w * sin(3 * w * x);
    return u;
}

static void test_loss_exact(void)
{
    const int B = 2, nt = 9, s = 16;
    const double nu = 0.07, T = 0.8;
    double *u = malloc(sizeof(double) * B * nt * s), *a = malloc(sizeof(double) * B * s);
    double want = 0, want_ic = 0;
    for (int b = 0; b < B; b++)
        for (int k = 0; k < nt; k++)
            for (int j = 0; j < s; j++) {
                double x = (double)j / s, t = T * k / (nt - 1), ut, ux, uxx;
                double v = mf(b, x, t, &ut, &ux, &uxx);
                u[(b * nt + k) * s + j] = v;
                if (k == 0) {
                    double da = 0.01 * sin(1.0 + j + 3 * b); /* a = u(., 0) − da */
                    a[b * s + j] = v - da;
                    want_ic += da * da / (B * s);
                }
                if (k >= 1 && k <= nt - 2) {
                    double r = ut + v * ux - nu * uxx;
                    want += r * r / (B * (nt - 2) * s);
                }
            }
    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 1 << 20));
    for (int dt = 0; dt < 2; dt++) {
        nt_tape_reset(&t);
        nt_tensor *U = nt_tensor_from_f64(&t, dt ? NT_F32 : NT_F64, B * nt * s, 1, u), *lp = NULL, *li = NULL;
        CHECK_OK(nt_pino_burgers_loss(&t, U, a, B, nt, s, nu, T, &lp, &li));
        double tol = dt ? 1e-5 : 1e-11;
        CHECK_CLOSE(nt_tensor_get(lp, 0), want, tol, 0);
        CHECK_CLOSE(nt_tensor_get(li, 0), want_ic, dt ? 1e-4 : 1e-11, 0);
    }
    double pe, ie;
    CHECK_OK(nt_pino_burgers_eval(u, a, B, nt, s, nu, T, &pe, &ie));
    CHECK_CLOSE(pe, want, 1e-11, 0);
    CHECK_CLOSE(ie, want_ic, 1e-11, 0);
    printf("  manufactured field: PDE MSE %.6e (analytic %.6e), IC MSE %.3e\n", pe, want, ie);
    /* bad sizes */
    nt_tape_reset(&t);
    nt_tensor *U = nt_tensor_from_f64(&t, NT_F64, B * nt * s, 1, u), *lp = NULL;
    CHECK(nt_pino_burgers_loss(&t, U, a, B, 2, s, nu, T, &lp, NULL) == NT_ERR_ARG);
    CHECK(nt_pino_burgers_loss(&t, U, a, B, nt, s + 1, nu, T, &lp, NULL) == NT_ERR_ARG);
    CHECK(nt_pino_burgers_loss(&t, U, a, B, nt, s, nu, 0.0, &lp, NULL) == NT_ERR_ARG);
    nt_tape_free(&t);
    free(u);
    free(a);
}

/* dL/du of L = PDE + 3 IC against central differences of the loss in float64. */
static void test_loss_gradient(void)
{
    const int B = 2, nt = 5, s = 8, n = B * nt * s;
    const double nu = 0.05, T = 0.5;
    double *u = malloc(sizeof(double) * n), *a = malloc(sizeof(double) * B * s), *g = malloc(sizeof(double) * n);
    nt_rng r;
    nt_rng_init(&r, 7);
    for (int i = 0; i < n; i++) u[i] = 2.0 * nt_rng_uniform(&r) - 1.0;
    for (int i = 0; i < B * s; i++) a[i] = 2.0 * nt_rng_uniform(&r) - 1.0;
    nt_tape t;
    CHECK_OK(nt_tape_init(&t, 1 << 20));
    nt_tensor *U = nt_tensor_from_f64(&t, NT_F64, n, 1, u), *lp = NULL, *li = NULL;
    nt_tensor_requires_grad(U);
    CHECK_OK(nt_pino_burgers_loss(&t, U, a, B, nt, s, nu, T, &lp, &li));
    nt_tensor *L = nt_add(&t, lp, nt_scale(&t, li, 3.0, 0.0));
    CHECK_OK(nt_tape_backward(&t, L));
    for (int i = 0; i < n; i++) g[i] = ((const double *)U->grad)[i];
    double worst = 0;
    for (int i = 0; i < n; i++) {
        double h = 1e-5, f[2];
        for (int sgn = 0; sgn < 2; sgn++) {
            double pe, ie, save = u[i];
            u[i] = save + (sgn ? -h : h);
            CHECK_OK(nt_pino_burgers_eval(u, a, B, nt, s, nu, T, &pe, &ie));
            /* eval averages per sample: the batch mean is the same number */
            f[sgn] = pe + 3.0 * ie;
            u[i] = save;
        }
        double fd = (f[0] - f[1]) / (2 * h);
        double err = fabs(fd - g[i]) / (1e-3 + fabs(fd));
        if (err > worst) worst = err;
    }
    printf("  gradient vs finite differences: worst relative error %.2e over %d values\n", worst, n);
    CHECK(worst < 1e-6);
    nt_tape_free(&t);
    free(u);
    free(a);
    free(g);
}

/* ---- end to end -------------------------------------------------------------- */

#define GEN "generate: {set: burgers, n: 40, res: 32, fine: 256, seed: 3, times: 17, nu: 0.05, t_end: 0.5, dt: 1e-3}"

static void write_pino(const char *path, const char *dir, const char *gen, const char *physics, int epochs)
{
    char text[2048];
    snprintf(text, sizeof text,
             "name: pino_test\n"
             "operator:\n"
             "  model: {type: fno, width: 16, modes: [4, 8], layers: 2, proj_width: 32}\n"
             "  data:\n"
             "    dir: %s\n"
             "    %s\n"
             "    train: 24\n"
             "    test: 16\n"
             "    normalize: true\n"
             "  physics: %s\n"
             "  train: {epochs: %d, batch: 8, lr: 3e-3, decay_every: 20, decay_rate: 0.5, dtype: float64, seed: 1,\n"
             "          log_every: 10, eval_every: 10, checkpoint_every: 10}\n"
             "  output: {figures: 1, speed: 0}\n",
             dir, gen, physics, epochs);
    nt_test_write_text(path, text);
}

static void test_pino_end_to_end(void)
{
    int quick = nt_test_quick();
    int epochs = quick ? 20 : 40;
    write_pino(nt_test_path("pino.yaml"), "st", GEN, "{weight: 1, ic_weight: 10, data_weight: 0}", epochs);
    int rc = nt_test_noether("train %s --threads 1 --progress lines --out %s", nt_test_path("pino.yaml"), nt_test_path("run"));
    if (rc != 0) printf("%s\n", nt_test_out);
    CHECK(rc == 0);
    char *sum = nt_test_read_text(nt_test_path("run/summary.json"));
    CHECK(sum != NULL);
    if (!sum) return;
    double p0 = num_in(sum, "test_pde_mse_initial"), p1 = num_in(sum, "test_pde_mse"), ic = num_in(sum, "test_ic_mse");
    double pt = num_in(sum, "truth_pde_mse"), err = num_in(sum, "test_rel_l2"), base = num_in(sum, "baseline_mean_rel_l2");
    printf("  PINO from the PDE alone (%d epochs): test PDE MSE %.3e -> %.3e (solver's own %.3e), IC MSE %.2e, "
           "test rel L2 %.3e (mean-solution baseline %.3f)\n", epochs, p0, p1, pt, ic, err, base);
    CHECK(num_in(sum, "data_weight") == 0);
    CHECK(num_in(sum, "times") == 17);
    CHECK(p1 < (quick ? 0.3 : 0.1) * p0);
    CHECK(ic < 2e-2);
    CHECK(err < (quick ? 0.5 : 0.25));
    CHECK(err < 0.5 * base);
    CHECK(pt < p1); /* the solver's solutions satisfy the discrete PDE better */
    free(sum);
    /* predict: [N, nt, s] from [N, s], equal to test_pred.npy */
    nt_npy A, T;
    CHECK_OK(nt_npy_read(&A, nt_test_path("st/a.npy")));
    CHECK(A.ndim == 2 && A.shape[0] == 40 && A.shape[1] == 32);
    int64_t sh[2] = {16, 32};
    CHECK_OK(nt_npy_write(nt_test_path("in.npy"), NT_F64, 2, sh, (const double *)A.data + 24 * 32));
    rc = nt_test_noether("predict %s --inputs %s --out %s", nt_test_path("run"), nt_test_path("in.npy"), nt_test_path("out.npy"));
    CHECK(rc == 0);
    nt_npy O;
    CHECK_OK(nt_npy_read(&O, nt_test_path("out.npy")));
    CHECK_OK(nt_npy_read(&T, nt_test_path("run/test_pred.npy")));
    CHECK(O.ndim == 3 && O.shape[0] == 16 && O.shape[1] == 17 && O.shape[2] == 32);
    CHECK(T.ndim == 3 && T.count == O.count && memcmp(T.data, O.data, (size_t)O.count * sizeof(double)) == 0);
    nt_npy_free(&A);
    nt_npy_free(&T);
    nt_npy_free(&O);
}

static void test_bad_files(void)
{
    /* generate: with another nu than the folder's meta.json */
    write_pino(nt_test_path("bad1.yaml"), "st",
               "generate: {set: burgers, n: 40, res: 32, fine: 256, seed: 3, times: 17, nu: 0.01, t_end: 0.5, dt: 1e-3}",
               "{weight: 1}", 1);
    CHECK(nt_test_noether("train %s --threads 1 --out %s", nt_test_path("bad1.yaml"), nt_test_path("bad1")) == 1);
    CHECK(strstr(nt_test_out, "bad1.yaml:5:") && strstr(nt_test_out, "was made with nu = 0.05"));
    /* physics.nu against meta.json */
    write_pino(nt_test_path("bad2.yaml"), "st", GEN, "{weight: 1, nu: 0.02}", 1);
    CHECK(nt_test_noether("train %s --threads 1 --out %s", nt_test_path("bad2.yaml"), nt_test_path("bad2")) == 1);
    CHECK(strstr(nt_test_out, "bad2.yaml:10:") && strstr(nt_test_out, "physics: nu = 0.02"));
    /* a set of u at one time */
    write_pino(nt_test_path("bad3.yaml"), "flat",
               "generate: {set: burgers, n: 40, res: 32, fine: 256, seed: 3, nu: 0.05, t_end: 0.5, dt: 1e-3}",
               "{weight: 1}", 1);
    CHECK(nt_test_noether("train %s --threads 1 --out %s", nt_test_path("bad3.yaml"), nt_test_path("bad3")) == 1);
    CHECK(strstr(nt_test_out, "bad3.yaml:10:") && strstr(nt_test_out, "needs a space-time Burgers set"));
    /* unknown key, zero weights */
    write_pino(nt_test_path("bad4.yaml"), "st", GEN, "{weight: 1, ic_wieght: 2}", 1);
    CHECK(nt_test_noether("train %s --threads 1 --out %s", nt_test_path("bad4.yaml"), nt_test_path("bad4")) == 1);
    CHECK(strstr(nt_test_out, "bad4.yaml:10:") && strstr(nt_test_out, "ic_weight"));
    write_pino(nt_test_path("bad5.yaml"), "st", GEN, "{weight: 0, ic_weight: 0, data_weight: 0}", 1);
    CHECK(nt_test_noether("train %s --threads 1 --out %s", nt_test_path("bad5.yaml"), nt_test_path("bad5")) == 1);
    CHECK(strstr(nt_test_out, "all weights are zero"));
    CHECK(access(nt_test_path("bad1"), F_OK) != 0 && access(nt_test_path("bad2"), F_OK) != 0);
}

int main(void)
{
    if (!nt_test_tmp_init("nt_pino_test")) return 1;
    RUN(test_loss_exact);
    RUN(test_loss_gradient);
    if (access(nt_test_noether_bin(), X_OK) == 0) {
        RUN(test_pino_end_to_end);
        RUN(test_bad_files);
    } else {
        printf("  skip: %s not built (end-to-end PINO runs not checked)\n", nt_test_noether_bin());
    }
    nt_test_tmp_cleanup();
    return nt_test_finish();
}

/* test_operator_train.c — operator-learning runs end to end, through the built binary
 * (build/noether; NT_NOETHER overrides the path), in a temporary folder:
 *   - a tiny Burgers set (80 samples, solved on 512 points, sampled at 128) is made
 *     by generate: from its seed, and is the data module's own samples
 *   - a small FNO trains on 64 of them at s = 64 (subsample 2) to a test relative L2
 *     under 2e-2, zero-shot at s = 128 likewise; the run folder is complete and its
 *     numbers agree with each other (summary, history, test_pred.npy, the dataset)
 *   - stopping after 100 mini-batches and resuming gives bit-identical parameters and
 *     history to the uninterrupted run; a finished run has nothing to resume
 *   - `noether predict` reproduces the run's test predictions and its zero-shot error
 *   - bad operator files stop before anything is trained with file:line:column
 *   - DeepONet trains on the same set and beats predicting the mean solution by a
 *     clear margin
 *   - a non-finite loss stops the run and keeps the last good checkpoint.
 * Under the sanitizers (nt_test_quick) the runs are shorter and the bounds looser. */
#include "harness.h"
#include "io/ckpt.h"
#include "io/npy.h"
#include "operator/data.h"
#include "operator/train.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int g_quick;
static int g_have_fno; /* the main FNO run finished */

/* sizes of the tiny set and the runs */
#define N_ALL 80
#define N_TRAIN 64
#define N_TEST 16
#define RES 128
#define SUB 2
#define S_TRAIN (RES / SUB)

static int fno_epochs(void) { return g_quick ? 60 : 300; }

/* The number right after needle in s (NaN if absent or null). */
static double num_in(const char *s, const char *needle)
{
    const char *p = s ? strstr(s, needle) : NULL;
    if (!p) return NAN;
    p += strlen(needle);
    char *end;
    double v = strtod(p, &end);
    return end == p ? NAN : v;
}

/* ------------------------------------------------------------------------------ */
/* Files                                                                            */

/* The tiny Burgers set as a generate: block (sanitizer builds solve on fewer points). */
static const char *gen_block(void)
{
    static char b[256];
    snprintf(b, sizeof b, "{set: burgers, n: %d, res: %d, fine: %d, dt: 1e-3, seed: 3}", N_ALL, RES, g_quick ? 256 : 512);
    return b;
}

static void write_fno(const char *path, const char *name, double lr, int epochs)
{
    char text[2048];
    snprintf(text, sizeof text,
             "# a small FNO on the tiny Burgers set\n"
             "name: %s\n"
             "operator:\n"
             "  model: {type: fno, width: 16, modes: 8, layers: 3, proj_width: 32}\n"
             "  data:\n"
             "    dir: data\n"
             "    generate: %s\n"
             "    train: %d\n"
             "    test: %d\n"
             "    subsample: %d\n"
             "    normalize: true\n"
             "  train: {epochs: %d, batch: 8, lr: %g, decay_rate: 0.5, decay_every: %d, seed: 1,\n"
             "          log_every: 50, eval_every: 25, checkpoint_every: 7}\n"
             "  output: {figures: 2, speed: 8}\n",
             name, gen_block(), N_TRAIN, N_TEST, SUB, epochs, lr, epochs / 5);
    nt_test_write_text(path, text);
}

static void write_deeponet(const char *path, int epochs)
{
    char text[2048];
    snprintf(text, sizeof text,
             "name: deeponet_tiny\n"
             "operator:\n"
             "  model: {type: deeponet, p: 64, branch_width: 64, branch_depth: 2, trunk_width: 64, trunk_depth: 3,\n"
             "          activation: tanh}\n"
             "  data: {dir: data, train: %d, test: %d, subsample: %d, normalize: true}\n"
             "  train: {epochs: %d, batch: 8, lr: 1e-3, decay_rate: 0.5, decay_every: %d, seed: 1, log_every: 0,\n"
             "          eval_every: 0}\n"
             "  output: {figures: 1, speed: 0}\n",
             N_TRAIN, N_TEST, SUB, epochs, epochs / 5);
    nt_test_write_text(path, text);
}

static int npy_load(nt_npy *a, const char *path)
{
    nt_status st = nt_npy_read(a, path);
    if (st) nt_test_fail(__FILE__, __LINE__, "%s", nt_error_msg());
    return st == NT_OK;
}

/* The test inputs (or truths) of the set, every `sub`-th point: N_TEST × RES/sub. */
static double *test_rows(const char *file, int sub)
{
    nt_npy a;
    if (!npy_load(&a, nt_test_path(file))) return NULL;
    int s = RES / sub;
    double *out = malloc(sizeof(double) * N_TEST * (size_t)s);
    const double *x = a.data;
    for (int i = 0; i < N_TEST; i++)
        for (int j = 0; j < s; j++) out[i * s + j] = x[(int64_t)(N_ALL - N_TEST + i) * RES + j * sub];
    nt_npy_free(&a);
    return out;
}

static double rel_l2(const double *p, const double *u, int n, int npt)
{
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double num = 0, den = 0;
        for (int j = 0; j < npt; j++) {
            num += (p[i * npt + j] - u[i * npt + j]) * (p[i * npt + j] - u[i * npt + j]);
            den += u[i * npt + j] * u[i * npt + j];
        }
        sum += sqrt(num / den);
    }
    return sum / n;
}

/* ------------------------------------------------------------------------------ */
/* Tests                                                                            */

static void test_fno_end_to_end(void)
{
    write_fno(nt_test_path("fno.yaml"), "fno_tiny", 3e-3, fno_epochs());
    int rc = nt_test_noether("train %s --out %s --threads 2 --progress lines", nt_test_path("fno.yaml"), nt_test_path("fno"));
    CHECK(rc == 0);
    if (rc != 0) {
        printf("%s\n", nt_test_out);
        return;
    }
    CHECK(strstr(nt_test_out, "generating the burgers dataset") != NULL);
    /* the dataset: made from the seed by the data module */
    CHECK(nt_test_exists(nt_test_path("data/a.npy")) && nt_test_exists(nt_test_path("data/u.npy")) &&
          nt_test_exists(nt_test_path("data/meta.json")));
    nt_npy a, u;
    if (npy_load(&a, nt_test_path("data/a.npy")) && npy_load(&u, nt_test_path("data/u.npy"))) {
        CHECK(a.ndim == 2 && a.shape[0] == N_ALL && a.shape[1] == RES);
        nt_data_burgers_config c;
        nt_data_burgers_config_default(&c);
        c.fine = g_quick ? 256 : 512;
        c.res = RES;
        c.dt = 1e-3;
        c.seed = 3;
        double *u0 = malloc(sizeof(double) * (size_t)c.fine), *u1 = malloc(sizeof(double) * (size_t)c.fine);
        CHECK_OK(nt_data_burgers_sample(&c, 70, u0, u1));
        int stride = c.fine / RES, same = 1;
        for (int j = 0; j < RES; j++) {
            same &= ((const double *)a.data)[70 * RES + j] == u0[j * stride];
            same &= ((const double *)u.data)[70 * RES + j] == u1[j * stride];
        }
        CHECK(same);
        free(u0);
        free(u1);
        nt_npy_free(&a);
        nt_npy_free(&u);
    }
    /* the run folder */
    const char *files[] = {"fno/problem.yaml", "fno/checkpoint.ntc", "fno/history.csv", "fno/summary.json", "fno/test_pred.npy",
                           "fno/loss.png", "fno/sample_0.png", "fno/sample_0_error.png", "fno/sample_0_input.png", "fno/sample_1.png"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (!nt_test_exists(nt_test_path(files[i]))) nt_test_fail(__FILE__, __LINE__, "missing %s", files[i]);
    CHECK(!nt_test_exists(nt_test_path("fno/sample_2.png")));
    char *sum = nt_test_read_text(nt_test_path("fno/summary.json")), *hist = nt_test_read_text(nt_test_path("fno/history.csv"));
    CHECK(sum && strstr(sum, "\"status\": \"finished\""));
    double test = num_in(sum, "\"test_rel_l2\": "), zs = num_in(sum, "\"zero_shot\": {\"resolution\": 128, \"rel_l2\": ");
    double base = num_in(sum, "\"baseline_mean_rel_l2\": ");
    double bound = g_quick ? 0.05 : 0.02;
    printf("  FNO: test rel L2 %.4e at s = %d, zero-shot %.4e at s = %d, mean-solution baseline %.3f (bound %.2g)\n", test,
           S_TRAIN, zs, RES, base, bound);
    CHECK(test < bound);
    CHECK(zs < bound);
    CHECK(base > 0.5);
    CHECK(num_in(sum, "\"epochs\": ") == fno_epochs());
    CHECK(num_in(sum, "\"steps\": ") == fno_epochs() * (N_TRAIN / 8));
    nt_fno_config fc = nt_fno_config_default(1);
    fc.width = 16, fc.modes1 = 8, fc.layers = 3, fc.proj_width = 32;
    CHECK(num_in(sum, "\"parameters\": ") == (double)nt_fno_param_count(&fc));
    CHECK(num_in(sum, "\"train_resolution\": ") == S_TRAIN);
    /* the history: one row per epoch, the last test error is the summary's */
    CHECK(nt_test_count_lines(hist) == fno_epochs() + 1);
    CHECK(hist && strncmp(hist, "epoch,train_rel_l2,test_rel_l2,lr,time_s\n", 41) == 0);
    if (hist) {
        const char *last = hist + strlen(hist) - 1;
        while (last > hist && last[-1] != '\n') last--;
        double e, tr, te, lr;
        CHECK(sscanf(last, "%lf,%lf,%lf,%lf", &e, &tr, &te, &lr) == 4);
        CHECK(e == fno_epochs());
        CHECK_CLOSE(te, test, 1e-8, 0);
        CHECK_CLOSE(lr, 3e-3 * pow(0.5, 4), 1e-12, 0); /* decayed at 1/5, 2/5, 3/5, 4/5 of the epochs */
    }
    /* test_pred.npy against the dataset gives the summary's error */
    nt_npy tp;
    double *ut = test_rows("data/u.npy", SUB);
    if (ut && npy_load(&tp, nt_test_path("fno/test_pred.npy"))) {
        CHECK(tp.ndim == 2 && tp.shape[0] == N_TEST && tp.shape[1] == S_TRAIN);
        CHECK_CLOSE(rel_l2(tp.data, ut, N_TEST, S_TRAIN), test, 1e-9, 0);
        nt_npy_free(&tp);
    }
    free(ut);
    /* speed: both resolutions timed; at s = 128 the solver's instances are the test ones */
    double sp = num_in(sum, "\"speedup_batch\": ");
    CHECK(sp > 0 && isfinite(sp));
    const char *r128 = sum ? strstr(sum, "{\"resolution\": 128, \"instances\": 8") : NULL;
    CHECK(r128 != NULL);
    if (r128) {
        CHECK(num_in(r128, "\"solver_rel_l2\": ") < 1e-4);
        CHECK(num_in(r128, "\"model_batch_s\": ") > 0);
        CHECK(num_in(r128, "\"solver_batch_s\": ") > 0);
    }
    CHECK(strstr(nt_test_out, "test relative L2 at s = 64") && strstr(nt_test_out, "speed at s = 64") &&
          strstr(nt_test_out, "zero-shot at s = 128"));
    free(sum);
    free(hist);
    /* never overwrite a run */
    CHECK(nt_test_noether("train %s --out %s --threads 2", nt_test_path("fno.yaml"), nt_test_path("fno")) == 1);
    CHECK(strstr(nt_test_out, "already holds a run") != NULL);
    CHECK(nt_test_noether("train --resume %s --threads 2", nt_test_path("fno")) == 1);
    CHECK(strstr(nt_test_out, "nothing to resume") != NULL);
    g_have_fno = 1;
}

/* The bytes of a checkpoint section (malloc'd), or NULL. */
static void *section(const char *path, const char *name, size_t *bytes)
{
    nt_ckpt c;
    if (nt_ckpt_read(&c, path)) {
        nt_test_fail(__FILE__, __LINE__, "%s", nt_error_msg());
        return NULL;
    }
    const void *p = nt_ckpt_find(&c, name, bytes);
    void *out = p ? malloc(*bytes) : NULL;
    if (out) memcpy(out, p, *bytes);
    nt_ckpt_free(&c);
    return out;
}

/* history.csv without the time column */
static char *hist_no_time(const char *path)
{
    char *h = nt_test_read_text(path);
    if (!h) return NULL;
    char *out = malloc(strlen(h) + 1), *o = out;
    for (char *line = strtok(h, "\n"); line; line = strtok(NULL, "\n")) {
        char *c = strrchr(line, ',');
        if (c) *c = 0;
        o += sprintf(o, "%s\n", line);
    }
    free(h);
    return out;
}

static void test_resume_bit_identical(void)
{
    if (!g_have_fno) {
        printf("  skipped: the main FNO run did not finish\n");
        return;
    }
    int rc = nt_test_noether("train %s --out %s --threads 2 --progress lines --stop-after 100", nt_test_path("fno.yaml"), nt_test_path("fno_stop"));
    CHECK(rc == 130);
    CHECK(strstr(nt_test_out, "Resume with: noether train --resume") != NULL);
    char *s1 = nt_test_read_text(nt_test_path("fno_stop/summary.json"));
    CHECK(s1 && strstr(s1, "\"status\": \"interrupted\"") && num_in(s1, "\"steps\": ") == 100);
    free(s1);
    rc = nt_test_noether("train --resume %s --threads 2 --progress lines", nt_test_path("fno_stop"));
    CHECK(rc == 0);
    if (rc) printf("%s\n", nt_test_out);
    size_t b1 = 0, b2 = 0;
    void *p1 = section(nt_test_path("fno/checkpoint.ntc"), "params", &b1), *p2 = section(nt_test_path("fno_stop/checkpoint.ntc"), "params", &b2);
    CHECK(p1 && p2 && b1 == b2 && b1 > 0 && memcmp(p1, p2, b1) == 0);
    free(p1);
    free(p2);
    p1 = section(nt_test_path("fno/checkpoint.ntc"), "adam_v", &b1);
    p2 = section(nt_test_path("fno_stop/checkpoint.ntc"), "adam_v", &b2);
    CHECK(p1 && p2 && b1 == b2 && memcmp(p1, p2, b1) == 0);
    free(p1);
    free(p2);
    char *h1 = hist_no_time(nt_test_path("fno/history.csv")), *h2 = hist_no_time(nt_test_path("fno_stop/history.csv"));
    CHECK(h1 && h2 && strcmp(h1, h2) == 0);
    free(h1);
    free(h2);
    char *a = nt_test_read_text(nt_test_path("fno/summary.json")), *b = nt_test_read_text(nt_test_path("fno_stop/summary.json"));
    CHECK(a && b && num_in(a, "\"test_rel_l2\": ") == num_in(b, "\"test_rel_l2\": "));
    free(a);
    free(b);

    /* a real Ctrl-C at an arbitrary moment (once the first checkpoint interval has
     * passed), then --resume: the same parameters again */
    char log[1024], out[1024], yaml[1024];
    snprintf(log, sizeof log, "%s", nt_test_path("sig.log"));
    snprintf(out, sizeof out, "%s", nt_test_path("fno_sig"));
    snprintf(yaml, sizeof yaml, "%s", nt_test_path("fno.yaml"));
    char *argv[] = {(char *)nt_test_noether_bin(), "train", yaml, "--out", out, "--threads", "2", "--progress", "lines", NULL};
    pid_t pid = nt_test_spawn(argv, log);
    CHECK(pid > 0);
    if (pid <= 0) return;
    int waited = 0, status = 0;
    struct timespec ts = {0, 20 * 1000 * 1000};
    while (waited < 6000 && !nt_test_exists(nt_test_path("fno_sig/history.csv"))) {
        nanosleep(&ts, NULL);
        waited++;
    }
    kill(pid, SIGINT);
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        printf("  the run finished before the signal arrived; Ctrl-C not exercised\n");
        return;
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 130);
    char *lg = nt_test_read_text(log);
    CHECK(lg && strstr(lg, "checkpoint saved"));
    free(lg);
    CHECK(nt_test_noether("train --resume %s --threads 2 --progress lines", nt_test_path("fno_sig")) == 0);
    p1 = section(nt_test_path("fno/checkpoint.ntc"), "params", &b1);
    p2 = section(nt_test_path("fno_sig/checkpoint.ntc"), "params", &b2);
    CHECK(p1 && p2 && b1 == b2 && memcmp(p1, p2, b1) == 0);
    free(p1);
    free(p2);
}

static void test_predict(void)
{
    if (!g_have_fno) {
        printf("  skipped: the main FNO run did not finish\n");
        return;
    }
    /* the run's own test inputs at s = 64 */
    double *at = test_rows("data/a.npy", SUB), *af = test_rows("data/a.npy", 1), *uf = test_rows("data/u.npy", 1);
    int64_t sh[2] = {N_TEST, S_TRAIN}, shf[2] = {N_TEST, RES}, sh1[1] = {S_TRAIN};
    CHECK_OK(nt_npy_write(nt_test_path("in.npy"), NT_F64, 2, sh, at));
    CHECK_OK(nt_npy_write(nt_test_path("in_full.npy"), NT_F64, 2, shf, af));
    CHECK_OK(nt_npy_write(nt_test_path("in_one.npy"), NT_F64, 1, sh1, at));
    CHECK(nt_test_noether("predict %s --inputs %s --out %s", nt_test_path("fno"), nt_test_path("in.npy"), nt_test_path("out.npy")) == 0);
    nt_npy o, t;
    if (npy_load(&o, nt_test_path("out.npy")) && npy_load(&t, nt_test_path("fno/test_pred.npy"))) {
        CHECK(o.ndim == 2 && o.shape[0] == N_TEST && o.shape[1] == S_TRAIN && o.dtype == NT_F64);
        CHECK(memcmp(o.data, t.data, sizeof(double) * N_TEST * S_TRAIN) == 0);
        nt_npy_free(&o);
        /* one instance, default output name */
        CHECK(nt_test_noether("predict %s --inputs %s", nt_test_path("fno"), nt_test_path("in_one.npy")) == 0);
        if (npy_load(&o, nt_test_path("in_one.pred.npy"))) {
            CHECK(o.ndim == 1 && o.shape[0] == S_TRAIN);
            double md = 0, mx = 0;
            for (int j = 0; j < S_TRAIN; j++) {
                md = fmax(md, fabs(((double *)o.data)[j] - ((double *)t.data)[j]));
                mx = fmax(mx, fabs(((double *)t.data)[j]));
            }
            CHECK(md <= 1e-5 * mx);
            nt_npy_free(&o);
        }
        nt_npy_free(&t);
    }
    /* zero-shot at the dataset's resolution reproduces the summary's number */
    CHECK(nt_test_noether("predict %s --inputs %s --out %s", nt_test_path("fno"), nt_test_path("in_full.npy"), nt_test_path("out_full.npy")) == 0);
    char *sum = nt_test_read_text(nt_test_path("fno/summary.json"));
    if (npy_load(&o, nt_test_path("out_full.npy"))) {
        CHECK(o.shape[1] == RES);
        CHECK_CLOSE(rel_l2(o.data, uf, N_TEST, RES), num_in(sum, "\"zero_shot\": {\"resolution\": 128, \"rel_l2\": "), 1e-9, 0);
        nt_npy_free(&o);
    }
    free(sum);
    /* a grid too coarse for the modes, a wrong rank, the CSV form */
    int64_t shb[2] = {2, 10};
    CHECK_OK(nt_npy_write(nt_test_path("in_bad.npy"), NT_F64, 2, shb, at));
    CHECK(nt_test_noether("predict %s --inputs %s", nt_test_path("fno"), nt_test_path("in_bad.npy")) == 1);
    CHECK(strstr(nt_test_out, "modes need at least 14 points") != NULL);
    int64_t sh3[3] = {2, 4, 8};
    CHECK_OK(nt_npy_write(nt_test_path("in_bad3.npy"), NT_F64, 3, sh3, at));
    CHECK(nt_test_noether("predict %s --inputs %s", nt_test_path("fno"), nt_test_path("in_bad3.npy")) == 1);
    CHECK(strstr(nt_test_out, "expected inputs of shape [N, s] or [s]") != NULL);
    CHECK(nt_test_noether("predict %s --points %s", nt_test_path("fno"), nt_test_path("in.npy")) == 2);
    CHECK(strstr(nt_test_out, "--inputs") != NULL);
    free(at);
    free(af);
    free(uf);
}

typedef struct bad_case {
    const char *text;
    const char *expect; /* substring after "bad.yaml:" */
} bad_case;

static void test_bad_files(void)
{
    char gen[300];
    snprintf(gen, sizeof gen, "%s", gen_block());
    char big[4][1024];
    /* the dataset exists (from the first test) unless that failed: then generation
     * errors come first, which the cases below do not depend on */
    snprintf(big[0], sizeof big[0],
             "name: b\noperator:\n  model: {type: fno, modes: 40}\n  data: {dir: data, generate: %s, train: 64, test: 16, subsample: 2}\n", gen);
    snprintf(big[1], sizeof big[1],
             "name: b\noperator:\n  model: {type: fno}\n  data: {dir: data, generate: {set: burgers, n: 100, res: 128, fine: 512}, train: 64, test: 16}\n");
    const bad_case cases[] = {
        {"name: b\noperator:\n  model: {type: fno, widht: 16}\n  data: {dir: data}\n", "3:22: unknown key 'widht' in an fno model (did you mean 'width'?"},
        {"name: b\noperator:\n  model: {type: unet}\n  data: {dir: data}\n", "3:17: model type 'unet' is not available"},
        {"name: b\noperator:\n  model: {type: fno}\n  data: {dir: data}\n  train: {epochs: -5}\n", "5:19: epochs must be between 1 and 1000000000, got -5"},
        {"name: b\noperator:\n  model: {type: fno}\n  data: {dir: data}\n  train: {dtype: float16}\n", "5:18: dtype must be float32 or float64"},
        {"name: b\noperator:\n  model: {type: fno}\n  data: {dir: data}\n  train: {decay_rate: 2}\n", "5:23: decay_rate must be in (0, 1]"},
        {"name: b\noperator:\n  model: {type: fno}\n  data: {dir: data, shuffle: true}\n", "4:21: unknown key 'shuffle' in data"},
        {"name: b\noperator:\n  model: {type: fno}\n  data: {dir: nowhere}\n", "4:15: no dataset in"},
        {"name: b\noperator:\n  model: {type: fno}\n  data: {dir: d2, generate: {set: burgers, n: 10, res: 100, fine: 512}}\n",
         "4:56: res (100) must divide fine (512)"},
        {"name: b\noperator:\n  model: {type: fno}\n  data: {dir: d2, generate: {set: burgers, n: 100}, train: 90, test: 20}\n",
         "4:60: train (90) + test (20) exceed the 100 samples"},
        {"name: b\noperator:\n  model: {type: fno}\n  data: {dir: d2, generate: {set: heat, n: 10}}\n", "4:35: generate: unknown set 'heat'"},
        {"name: b\noperator:\n  model: {type: fno}\n  data: {dir: data}\n  output: {figures: 2, sped: 3}\n", "5:24: unknown key 'sped' in output (did you mean 'speed'?"},
        {"name: b\noperator:\n  model: {type: fno, dim: 2}\n  data: {dir: data, train: 64, test: 16}\n", "3:27: model dim 2 does not match the dataset"},
        {"name: b\noperator:\n  model: {type: fno}\n  data: {dir: data, train: 70, test: 16}\n", "4:28: train (70) + test (16) exceed the 80 samples"},
        {big[0], "3:29: 40 modes need at least 78 points, but the training resolution is 64"},
        {big[1], "4:15: the dataset in"},
        {"name: b\noperator:\n  model: {type: deeponet, p: 0}\n  data: {dir: data}\n", "3:30: p"},
        {"name: b\nopertor: {}\noperator:\n  model: {type: fno}\n", "2:1: unknown key 'opertor' in an operator file (did you mean 'operator'?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nt_test_write_text(nt_test_path("bad.yaml"), cases[i].text);
        int rc = nt_test_noether("train %s --out %s --threads 1", nt_test_path("bad.yaml"), nt_test_path("bad_run"));
        char want[512];
        snprintf(want, sizeof want, "bad.yaml:%s", cases[i].expect);
        if (rc != 1 || !strstr(nt_test_out, want))
            nt_test_fail(__FILE__, __LINE__, "case %zu: rc %d, expected '%s' in:\n%s", i, rc, want, nt_test_out);
        if (nt_test_exists(nt_test_path("bad_run"))) nt_test_fail(__FILE__, __LINE__, "case %zu made a run folder", i);
        if (nt_test_exists(nt_test_path("d2"))) nt_test_fail(__FILE__, __LINE__, "case %zu made a dataset", i);
    }
}

static void test_deeponet(void)
{
    if (!nt_test_exists(nt_test_path("data/u.npy"))) {
        printf("  skipped: no dataset (the first test failed)\n");
        return;
    }
    int epochs = 300;
    write_deeponet(nt_test_path("don.yaml"), epochs);
    int rc = nt_test_noether("train %s --out %s --threads 2 --progress lines", nt_test_path("don.yaml"), nt_test_path("don"));
    CHECK(rc == 0);
    if (rc) {
        printf("%s\n", nt_test_out);
        return;
    }
    /* the trivial baseline: the mean training solution, computed here */
    nt_npy u;
    double base = NAN;
    if (npy_load(&u, nt_test_path("data/u.npy"))) {
        double mean[S_TRAIN] = {0}, err = 0;
        const double *x = u.data;
        for (int i = 0; i < N_TRAIN; i++)
            for (int j = 0; j < S_TRAIN; j++) mean[j] += x[i * RES + j * SUB] / N_TRAIN;
        for (int i = 0; i < N_TEST; i++) {
            double num = 0, den = 0;
            for (int j = 0; j < S_TRAIN; j++) {
                double v = x[(N_ALL - N_TEST + i) * RES + j * SUB];
                num += (mean[j] - v) * (mean[j] - v);
                den += v * v;
            }
            err += sqrt(num / den) / N_TEST;
        }
        base = err;
        nt_npy_free(&u);
    }
    char *sum = nt_test_read_text(nt_test_path("don/summary.json"));
    double test = num_in(sum, "\"test_rel_l2\": ");
    double margin = 0.3;
    printf("  DeepONet: test rel L2 %.4e, mean-solution baseline %.4f (must be below %.2f x baseline)\n", test, base, margin);
    CHECK(sum && strstr(sum, "\"type\": \"deeponet\"") && strstr(sum, "\"sensors\": 64"));
    CHECK_CLOSE(num_in(sum, "\"baseline_mean_rel_l2\": "), base, 1e-9, 0);
    CHECK(test < margin * base);
    /* zero-shot: the same sensors read from a finer grid, queried at all its points */
    CHECK(num_in(sum, "\"zero_shot\": {\"resolution\": 128, \"rel_l2\": ") < margin * base);
    free(sum);
    /* predict on a grid that does not contain the sensors */
    double z[2 * 96] = {0};
    int64_t sh[2] = {2, 96};
    CHECK_OK(nt_npy_write(nt_test_path("in96.npy"), NT_F64, 2, sh, z));
    CHECK(nt_test_noether("predict %s --inputs %s", nt_test_path("don"), nt_test_path("in96.npy")) == 1);
    CHECK(strstr(nt_test_out, "multiple of 64 points") != NULL);
}

static void test_divergence(void)
{
    if (!nt_test_exists(nt_test_path("data/u.npy"))) {
        printf("  skipped: no dataset\n");
        return;
    }
    write_fno(nt_test_path("div.yaml"), "div", 1e30, 5);
    int rc = nt_test_noether("train %s --out %s --threads 1 --progress lines", nt_test_path("div.yaml"), nt_test_path("div"));
    CHECK(rc == 1);
    CHECK(strstr(nt_test_out, "non-finite") && strstr(nt_test_out, "last good checkpoint"));
    char *sum = nt_test_read_text(nt_test_path("div/summary.json"));
    CHECK(sum && strstr(sum, "\"status\": \"diverged\""));
    free(sum);
    /* the checkpoint kept is a good one: predict works and gives finite numbers */
    CHECK(nt_test_noether("predict %s --inputs %s --out %s", nt_test_path("div"), nt_test_path("in.npy"), nt_test_path("div_out.npy")) == 0);
    nt_npy o;
    if (npy_load(&o, nt_test_path("div_out.npy"))) {
        int fin = 1;
        for (int64_t i = 0; i < o.count; i++) fin &= isfinite(((double *)o.data)[i]) != 0;
        CHECK(fin);
        nt_npy_free(&o);
    }
}

/* The shipped operator files load (without touching their datasets) with the paper's
 * settings. */
static void test_shipped_files(void)
{
    nt_op_problem *p = malloc(sizeof *p);
    CHECK_OK(nt_op_problem_load(p, "problems/operators/fno_burgers.yaml"));
    CHECK(p->kind == NT_OP_FNO && p->width == 64 && p->modes1 == 16 && p->layers == 4 && p->n_train == 1000 && p->n_test == 200);
    CHECK(p->generate && !p->gen_darcy && p->gen_b.n == 1200 && p->gen_b.res == 1024 && p->gen_b.fine == 8192);
    CHECK(p->epochs == 500 && p->batch == 20 && p->lr == 1e-3 && p->decay_rate == 0.5 && p->decay_every == 100);
    CHECK(strstr(p->data_dir, "problems/operators/../../data/burgers") != NULL);
    CHECK(nt_op_is_operator_file("problems/operators/fno_burgers.yaml"));
    CHECK(!nt_op_is_operator_file("problems/burgers.yaml"));
    CHECK_OK(nt_op_problem_load(p, "problems/operators/fno_burgers_s256.yaml"));
    CHECK(p->kind == NT_OP_FNO && p->subsample == 4 && p->gen_b.res == 1024);
    CHECK_OK(nt_op_problem_load(p, "problems/operators/fno_darcy.yaml"));
    CHECK(p->kind == NT_OP_FNO && p->dim == 2 && p->width == 32 && p->modes1 == 12 && p->modes2 == 0);
    CHECK(p->generate && p->gen_darcy && p->gen_d.res == 85 && p->gen_d.fine == 421 && p->gen_d.n == 1200);
    CHECK_OK(nt_op_problem_load(p, "problems/operators/deeponet_burgers.yaml"));
    CHECK(p->kind == NT_OP_DEEPONET && p->subsample == 8 && p->p == 128);
    free(p);
}

int main(void)
{
    g_quick = nt_test_quick();
    if (!nt_test_tmp_init("nt_optrain")) return 1;
    RUN(test_fno_end_to_end);
    RUN(test_resume_bit_identical);
    RUN(test_predict);
    RUN(test_bad_files);
    RUN(test_deeponet);
    RUN(test_divergence);
    RUN(test_shipped_files);
    nt_test_tmp_cleanup();
    return nt_test_finish();
}

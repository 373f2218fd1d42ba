/* test_train_cli.c — `noether train / predict / eval` end to end, through the built
 * binary (build/noether; NT_NOETHER overrides the path), in a temporary folder:
 *   - bad problem files stop before training with file:line:column and no run folder
 *   - a reduced Burgers problem trains to a small error; the run folder is complete
 *     and consistent (predictions vs summary vs history)
 *   - predict reproduces predictions.csv; eval reproduces summary.json's error
 *   - interrupting (--stop-after, a real SIGINT) and resuming gives bit-identical
 *     results to an uninterrupted run
 *   - a non-finite loss stops the run and keeps a loadable checkpoint
 *   - help and usage errors. */
#include "harness.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int g_quick; /* sanitizer build: smaller runs */

/* The number text right after `needle` in s (e.g. needle "\"final_loss\": "), copied
 * to out; "" if absent. */
static const char *num_after(const char *s, const char *needle, char *out, size_t cap)
{
    out[0] = 0;
    const char *p = s ? strstr(s, needle) : NULL;
    if (!p) return out;
    p += strlen(needle);
    size_t k = 0;
    while (k + 1 < cap && p[k] && strchr("0123456789+-.eEnaulif", p[k])) {
        out[k] = p[k];
        k++;
    }
    out[k] = 0;
    return out;
}

static double num_in(const char *s, const char *needle)
{
    char b[64];
    num_after(s, needle, b, sizeof b);
    return b[0] ? strtod(b, NULL) : NAN;
}

/* ------------------------------------------------------------------------------ */
/* Problems                                                                         */

/* A reduced Burgers problem (viscosity 0.1/pi: smooth enough for a small network to
 * reach ~1e-3 in a few hundred steps) with its exact Cole-Hopf solution. */
static void write_burgers(const char *path, int width, int points, int adam, int lbfgs)
{
    char text[2048];
    snprintf(text, sizeof text,
             "# reduced Burgers problem for the tests\n"
             "name: burgers_small\n"
             "domain: {x: [-1, 1], t: [0, 1]}\n"
             "fields: [u]\n"
             "constants: {nu: 0.1/pi}\n"
             "pde: \"u_t + u*u_x - nu*u_xx\"\n"
             "conditions:\n"
             "  - {where: \"t == 0\", u: \"-sin(pi*x)\", points: 128}\n"
             "  - {where: \"x == -1 || x == 1\", u: 0, points: 128}\n"
             "model: {width: %d, depth: 3, activation: tanh}\n"
             "train:\n"
             "  seed: 7\n"
             "  points: %d\n"
             "  stages:\n"
             "    - {optimizer: adam, lr: 3e-3, steps: %d}\n"
             "    - {optimizer: lbfgs, steps: %d}\n"
             "  log_every: 100\n"
             "  eval_every: 200\n"
             "reference: {solver: cole_hopf, grid: {x: 64, t: 21}}\n",
             width, points, adam, lbfgs);
    nt_test_write_text(path, text);
}

/* A small problem for the resume tests: Adam with a learning-rate decay and point
 * resampling (so the RNG and the schedule must be restored), then L-BFGS (its memory
 * must be restored); frequent checkpoints and history rows. `extra` is added to the
 * equation; adam_steps of Adam, lbfgs_steps of L-BFGS. */
static void write_small(const char *path, const char *extra, int adam_steps, int lbfgs_steps, int ckpt_every)
{
    char text[2048], stages[256];
    if (lbfgs_steps > 0)
        snprintf(stages, sizeof stages,
                 "    - {optimizer: adam, lr: 3e-3, steps: %d, decay_rate: 0.9, decay_every: 20}\n"
                 "    - {optimizer: lbfgs, steps: %d, history: 10}\n",
                 adam_steps, lbfgs_steps);
    else
        snprintf(stages, sizeof stages, "    - {optimizer: adam, lr: 3e-3, steps: %d, decay_rate: 0.9, decay_every: 20}\n",
                 adam_steps);
    snprintf(text, sizeof text,
             "name: small\n"
             "domain: {x: [-1, 1], t: [0, 1]}\n"
             "fields: [u]\n"
             "constants: {nu: 0.1/pi}\n"
             "pde: \"u_t + u*u_x - nu*u_xx%s\"\n"
             "conditions:\n"
             "  - {where: \"t == 0\", u: \"-sin(pi*x)\", points: 64}\n"
             "  - {where: \"x == -1 || x == 1\", u: 0, points: 64}\n"
             "model: {width: 12, depth: 2}\n"
             "train:\n"
             "  seed: 3\n"
             "  points: 400\n"
             "  resample_every: 25\n"
             "  stages:\n%s"
             "  log_every: 10\n"
             "  eval_every: 30\n"
             "  checkpoint_every: %d\n"
             "reference: {solver: cole_hopf, grid: {x: 32, t: 11}}\n",
             extra, stages, ckpt_every);
    nt_test_write_text(path, text);
}

/* ------------------------------------------------------------------------------ */
/* Usage                                                                            */

static void test_usage(void)
{
    CHECK(nt_test_noether("train --help") == 0);
    CHECK(strstr(nt_test_out, "usage: noether train") && strstr(nt_test_out, "--resume"));
    CHECK(nt_test_noether("predict --help") == 0);
    CHECK(strstr(nt_test_out, "usage: noether predict") && strstr(nt_test_out, "--points"));
    CHECK(nt_test_noether("eval --help") == 0);
    CHECK(strstr(nt_test_out, "usage: noether eval") && strstr(nt_test_out, "--reference"));
    CHECK(nt_test_noether("--help") == 0);
    CHECK(strstr(nt_test_out, "train FILE") != NULL);

    /* no problem file */
    CHECK(nt_test_noether("train") == 2);
    CHECK(strstr(nt_test_out, "usage: noether train") != NULL);
    CHECK(nt_test_noether("train --threads 1") == 2);
    CHECK(strstr(nt_test_out, "no problem file given") != NULL);
    /* --resume takes no problem file (in either order), no --out, --seed, --dtype */
    write_burgers(nt_test_path("usage.yaml"), 8, 10, 1, 1);
    CHECK(nt_test_noether("train --resume '%s' '%s'", nt_test_path("somerun"), nt_test_path("usage.yaml")) == 2);
    CHECK(strstr(nt_test_out, "--resume continues a run as it was") != NULL);
    CHECK(nt_test_noether("train '%s' --resume '%s'", nt_test_path("usage.yaml"), nt_test_path("somerun")) == 2);
    CHECK(nt_test_noether("train --resume '%s' --seed 3", nt_test_path("somerun")) == 2);
    CHECK(nt_test_noether("train --resume '%s' --out '%s'", nt_test_path("somerun"), nt_test_path("other")) == 2);
    /* other usage errors */
    CHECK(nt_test_noether("train '%s' '%s'", nt_test_path("usage.yaml"), nt_test_path("usage.yaml")) == 2);
    CHECK(strstr(nt_test_out, "more than one problem file") != NULL);
    CHECK(nt_test_noether("train '%s' --bogus 1", nt_test_path("usage.yaml")) == 2);
    CHECK(strstr(nt_test_out, "unknown option '--bogus'") != NULL);
    CHECK(nt_test_noether("train '%s' --progress fancy", nt_test_path("usage.yaml")) == 2);
    CHECK(strstr(nt_test_out, "--progress expects bar, lines or auto") != NULL);
    CHECK(nt_test_noether("train '%s' --threads 0", nt_test_path("usage.yaml")) == 2);
    CHECK(nt_test_noether("train '%s' --dtype float16", nt_test_path("usage.yaml")) == 2);
    CHECK(nt_test_noether("train '%s' --stop-after 0", nt_test_path("usage.yaml")) == 2);
    CHECK(nt_test_noether("train '%s' --out", nt_test_path("usage.yaml")) == 2);
    CHECK(strstr(nt_test_out, "missing value") != NULL);
    CHECK(nt_test_noether("predict") == 2);
    CHECK(nt_test_noether("predict '%s'", nt_test_path("somerun")) == 2);
    CHECK(strstr(nt_test_out, "--points") != NULL);
    CHECK(nt_test_noether("predict '%s' --points", nt_test_path("somerun")) == 2);
    CHECK(nt_test_noether("eval") == 2);
    CHECK(nt_test_noether("eval '%s' --bogus x", nt_test_path("somerun")) == 2);
    /* none of this may create a run folder */
    CHECK(!nt_test_exists(nt_test_path("somerun")) && !nt_test_exists(nt_test_path("other")) && !nt_test_exists("runs/burgers_small"));
    /* a problem file that does not exist; a run folder that does not exist */
    CHECK(nt_test_noether("train '%s' --out '%s'", nt_test_path("none.yaml"), nt_test_path("none_run")) == 1);
    CHECK(strstr(nt_test_out, "none.yaml") != NULL);
    CHECK(!nt_test_exists(nt_test_path("none_run")));
    CHECK(nt_test_noether("train --resume '%s'", nt_test_path("none_run")) == 1);
    CHECK(strstr(nt_test_out, "none_run") != NULL);
    CHECK(nt_test_noether("eval '%s'", nt_test_path("none_run")) == 1);
    CHECK(nt_test_noether("predict '%s' --points '%s'", nt_test_path("none_run"), nt_test_path("usage.yaml")) == 1);
}

/* ------------------------------------------------------------------------------ */
/* Bad input: a message with file:line:column and a non-zero exit before training   */

#define HEAD                                   \
    "name: bad\n"                              \
    "domain: {x: [-1, 1], t: [0, 1]}\n"        \
    "fields: [u]\n"                            \
    "constants: {nu: 0.01/pi}\n"
#define BODY                                   \
    "pde: \"u_t + u*u_x - nu*u_xx\"\n"         \
    "conditions:\n"                            \
    "  - {where: \"t == 0\", u: \"-sin(pi*x)\"}\n"
#define TRAIN_TINY "train: {points: 50, stages: [{optimizer: adam, steps: 2}]}\n"

/* Trains `text` (as <tmp>/bad.yaml) and expects a non-zero exit, the message
 * "<tmp>/bad.yaml:<loc>: <phrase>" (or, with loc NULL, just phrase), and no run
 * folder. */
static void expect_bad(int line, const char *text, const char *loc, const char *phrase)
{
    char yaml[1024], dir[1024];
    snprintf(yaml, sizeof yaml, "%s", nt_test_path("bad.yaml"));
    snprintf(dir, sizeof dir, "%s", nt_test_path("bad_run"));
    nt_test_write_text(yaml, text);
    int rc = nt_test_noether("train '%s' --out '%s' --threads 1 --progress lines", yaml, dir);
    char want[2048];
    if (loc) snprintf(want, sizeof want, "%s:%s: %s", yaml, loc, phrase);
    else snprintf(want, sizeof want, "%s", phrase);
    if (rc == 0 || rc == 130) nt_test_fail(__FILE__, line, "exit status %d for a bad problem (%s)", rc, want);
    if (!strstr(nt_test_out, want)) nt_test_fail(__FILE__, line, "output lacks \"%s\":\n%s", want, nt_test_out);
    if (strstr(nt_test_out, "run folder:") || strstr(nt_test_out, "finished")) nt_test_fail(__FILE__, line, "training started:\n%s", nt_test_out);
    if (nt_test_exists(dir)) {
        nt_test_fail(__FILE__, line, "the run folder %s was created (history.csv %s)", dir,
                     nt_test_exists(nt_test_path("bad_run/history.csv")) ? "too" : "not");
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd)) {}
    }
}

#define EXPECT_BAD(text, loc, phrase) expect_bad(__LINE__, text, loc, phrase)

static void test_bad_problems(void)
{
    /* YAML syntax */
    EXPECT_BAD(HEAD "pde: [u_t + u*u_x\nconditions: []\n", "6:11", "did not find expected ',' or ']'");
    EXPECT_BAD(HEAD BODY "model:\n  width: 3\n width: 4\n", "10:2", "did not find expected key");
    /* unknown keys, with did-you-mean: top level, model, train, stage */
    EXPECT_BAD(HEAD BODY "modle: {width: 3}\n", "8:1", "unknown key 'modle' in the problem (did you mean 'model'?");
    EXPECT_BAD(HEAD BODY "model: {widht: 3}\n", "8:9", "unknown key 'widht' in model (did you mean 'width'?; allowed: type, width, depth, blocks, degree, activation,");
    EXPECT_BAD(HEAD BODY "train:\n  seeds: 3\n", "9:3", "unknown key 'seeds' in train (did you mean 'seed'?");
    EXPECT_BAD(HEAD BODY "train:\n  stages:\n    - {optimizer: adam, step: 3}\n", "10:25",
               "unknown key 'step' in stage (did you mean 'steps'?");
    /* expressions: the column of the symbol inside the file's line */
    EXPECT_BAD(HEAD "pde: \"u_t + v*u_x\"\nconditions:\n  - {where: \"t == 0\", u: \"-sin(pi*x)\"}\n", "5:13",
               "in pde \"u_t + v*u_x\": unknown symbol 'v'");
    EXPECT_BAD(HEAD "pde: \"u_t + u*u_z\"\nconditions:\n  - {where: \"t == 0\", u: \"-sin(pi*x)\"}\n", "5:15",
               "in pde \"u_t + u*u_z\": 'u_z': 'z' is not a domain variable (domain: x, t)");
    /* where clauses that are not faces */
    EXPECT_BAD(HEAD "pde: \"u_t + u*u_x\"\nconditions:\n  - {where: \"t == 0.5\", u: 0}\n", "7:16",
               "where: t == 0.5 is not a face of the domain (t is in [0, 1])");
    EXPECT_BAD(HEAD "pde: \"u_t + u*u_x\"\nconditions:\n  - {where: \"x > 0\", u: 0}\n", "7:16",
               "where: expected faces of the domain box");
    /* files */
    char msg[1024];
    snprintf(msg, sizeof msg, "reference file 'nothere.csv' not found (looked for '%s')", nt_test_path("nothere.csv"));
    EXPECT_BAD(HEAD BODY "reference: {file: nothere.csv}\n", "8:19", msg);
    snprintf(msg, sizeof msg, "data file 'obs/none.csv' not found (looked for '%s')", nt_test_path("obs/none.csv"));
    EXPECT_BAD(HEAD BODY "data: {file: obs/none.csv}\n", "8:14", msg);
    /* unknowns without data */
    EXPECT_BAD(HEAD BODY "unknowns: {lam: 1.0}\n", "8:11", "unknowns need observations: add a 'data' section");

    /* a malformed reference CSV is found when the reference is loaded, still before
     * training: file:line:column of the CSV, no run folder, no history */
    nt_test_write_text(nt_test_path("bad_ref.csv"), "x,t,u\n0,0.5,1\n0,zz,1\n");
    snprintf(msg, sizeof msg, "%s:3:3: expected a number in column 't'", nt_test_path("bad_ref.csv"));
    EXPECT_BAD(HEAD BODY TRAIN_TINY "reference: {file: bad_ref.csv}\n", NULL, msg);
    /* a reference without the domain's columns */
    nt_test_write_text(nt_test_path("bad_ref.csv"), "x,time,u\n0,0.5,1\n");
    snprintf(msg, sizeof msg, "%s:1:1: reference has no column 't'", nt_test_path("bad_ref.csv"));
    EXPECT_BAD(HEAD BODY TRAIN_TINY "reference: {file: bad_ref.csv}\n", NULL, msg);
    /* observations: a bad cell, and no field column */
    nt_test_write_text(nt_test_path("obs.csv"), "x,t,u\n0,0.5,1\n0.25,0.5,1e\n");
    snprintf(msg, sizeof msg, "%s:3:11: ", nt_test_path("obs.csv"));
    EXPECT_BAD(HEAD BODY TRAIN_TINY "data: {file: obs.csv}\n", NULL, msg);
    nt_test_write_text(nt_test_path("obs.csv"), "x,t,w\n0,0.5,1\n");
    snprintf(msg, sizeof msg, "%s:1:1: data file has no column named like a field", nt_test_path("obs.csv"));
    EXPECT_BAD(HEAD BODY TRAIN_TINY "data: {file: obs.csv}\n", NULL, msg);
}

/* ------------------------------------------------------------------------------ */
/* Training a reduced Burgers problem; predict; eval                                */

static int g_trained; /* the burgers run folder is complete */

/* CSV column `name` of c at row i. */
static double col(const nt_csv *c, int64_t i, const char *name)
{
    int k = nt_csv_col(c, name);
    return k < 0 ? NAN : c->data[i * c->ncols + k];
}

static void test_train_burgers(void)
{
    int width = g_quick ? 16 : 20, points = g_quick ? 600 : 1500, adam = g_quick ? 200 : 300, lbfgs = g_quick ? 200 : 500;
    /* measured (release, 1 thread): rel_l2 2.2e-3 in ~4 s; quick: 2.2e-2 */
    double bound = g_quick ? 0.1 : 2e-2;
    char yaml[1024], dir[1024];
    snprintf(yaml, sizeof yaml, "%s", nt_test_path("burgers.yaml"));
    snprintf(dir, sizeof dir, "%s", nt_test_path("burgers_run"));
    write_burgers(yaml, width, points, adam, lbfgs);
    double t0 = nt_time_now();
    int rc = nt_test_noether("train '%s' --out '%s' --threads 1 --progress lines", yaml, dir);
    double dt = nt_time_now() - t0;
    printf("  burgers: %d-%dx3, %d points, adam %d + lbfgs %d: %.1f s\n", 2, width, points, adam, lbfgs, dt);
    CHECK(rc == 0);
    if (rc != 0) {
        printf("%s\n", nt_test_out);
        return;
    }
    CHECK(dt < (g_quick ? 60 : 20));
    CHECK(strstr(nt_test_out, "burgers_small: finished after") != NULL);
    CHECK(strstr(nt_test_out, "relative L2 error of u:") != NULL);
    CHECK(strstr(nt_test_out, "adam 100/") != NULL); /* --progress lines: a line per log_every */

    /* the run folder */
    static const char *files[] = {"problem.yaml", "checkpoint.ntc", "history.csv", "predictions.csv",
                                  "summary.json", "solution.png", "loss.png"};
    char rel[256];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(rel, sizeof rel, "burgers_run/%s", files[i]);
        struct stat sb;
        if (stat(nt_test_path(rel), &sb) != 0 || sb.st_size == 0) nt_test_fail(__FILE__, __LINE__, "missing or empty: %s", nt_test_path(rel));
    }
    /* problem.yaml is the file as used (no overrides) */
    char *orig = nt_test_read_text(yaml), *copy = nt_test_read_text(nt_test_path("burgers_run/problem.yaml"));
    CHECK(orig && copy && !strcmp(orig, copy));
    free(orig);
    free(copy);
    /* the figures are PNG files */
    char *png = nt_test_read_text(nt_test_path("burgers_run/solution.png"));
    CHECK(png && (unsigned char)png[0] == 0x89 && !strncmp(png + 1, "PNG", 3));
    free(png);

    /* summary.json */
    char *sum = nt_test_read_text(nt_test_path("burgers_run/summary.json"));
    CHECK(sum != NULL);
    if (!sum) return;
    CHECK(strstr(sum, "\"problem\": \"burgers_small\"") != NULL);
    CHECK(strstr(sum, "\"status\": \"finished\"") != NULL);
    CHECK(strstr(sum, "\"threads\": 1") != NULL);
    CHECK(strstr(sum, "\"seed\": 7") != NULL);
    double steps = num_in(sum, "\"steps\": ");
    CHECK(num_in(sum, "\"adam_steps\": ") == adam);
    CHECK(steps > adam && steps <= adam + lbfgs);
    double err = num_in(sum, "\"rel_l2\": {\"u\": ");
    double loss = num_in(sum, "\"final_loss\": ");
    printf("  burgers: rel_l2 %.3e (bound %.1e), final loss %.3e, %g steps\n", err, bound, loss, steps);
    CHECK(err < bound);
    CHECK(loss > 0 && loss < 1e-2);

    /* history.csv: header, a row per log_every, the step-0 error of the untrained
     * net near 1, the last row at the final step */
    char *hist = nt_test_read_text(nt_test_path("burgers_run/history.csv"));
    CHECK(hist != NULL);
    if (hist) {
        CHECK(!strncmp(hist, "step,stage,optimizer,loss,\"loss pde\",\"loss u(t=0)\",\"loss u(x=-1|x=1)\",lr,rel_l2_u,time_s\n",
                       strlen("step,stage,optimizer,loss,")));
        CHECK(strstr(hist, ",lr,rel_l2_u,time_s\n") != NULL);
        int rows = nt_test_count_lines(hist) - 1;
        CHECK(rows >= (int)(steps / 100) + 1);
        const char *r0 = strchr(hist, '\n') + 1;
        CHECK(!strncmp(r0, "0,0,adam,", 9));
        /* row 0: step,stage,optimizer,loss,3 terms,lr(empty),rel_l2_u,time */
        const char *p = r0;
        for (int c = 0; c < 8 && p; c++) p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
        double e0 = p ? strtod(p, NULL) : NAN;
        CHECK(e0 > 0.5 && e0 < 2);
        CHECK(err < 0.1 * e0);
        /* the last row is the final step */
        const char *last = hist + strlen(hist) - 1;
        while (last > hist && last[-1] != '\n') last--;
        CHECK(strtod(last, NULL) == steps);
        CHECK(strstr(hist, "\n100,0,adam,") != NULL);
        CHECK(strstr(hist, ",1,lbfgs,") != NULL);
        free(hist);
    }

    /* predictions.csv: the reference grid with prediction, reference and error; its
     * relative L2 error is summary.json's; the reference at t = 0 is -sin(pi x) */
    nt_csv pc;
    nt_status st = nt_csv_read(&pc, nt_test_path("burgers_run/predictions.csv"));
    CHECK_OK(st);
    if (!st) {
        CHECK(pc.rows == 64 * 21);
        CHECK(pc.ncols == 5 && nt_csv_col(&pc, "x") == 0 && nt_csv_col(&pc, "t") == 1 && nt_csv_col(&pc, "u") == 2 &&
              nt_csv_col(&pc, "u_ref") == 3 && nt_csv_col(&pc, "u_abs_err") == 4);
        double num = 0, den = 0, worst_ic = 0;
        int n_ic = 0;
        for (int64_t i = 0; i < pc.rows; i++) {
            double u = col(&pc, i, "u"), r = col(&pc, i, "u_ref"), x = col(&pc, i, "x"), t = col(&pc, i, "t");
            num += (u - r) * (u - r);
            den += r * r;
            CHECK_CLOSE(col(&pc, i, "u_abs_err"), fabs(u - r), 1e-12, 1e-15);
            if (t == 0) {
                worst_ic = fmax(worst_ic, fabs(r + sin(NT_TEST_PI * x)));
                n_ic++;
            }
        }
        CHECK(n_ic == 64);
        CHECK(worst_ic < 1e-6);
        CHECK_CLOSE(sqrt(num / den), err, 1e-9, 0);
        nt_csv_free(&pc);
    }
    free(sum);
    g_trained = 1;
}

static void test_predict(void)
{
    if (!g_trained) {
        nt_test_fail(__FILE__, __LINE__, "needs the run of test_train_burgers");
        return;
    }
    nt_csv pc;
    nt_status st = nt_csv_read(&pc, nt_test_path("burgers_run/predictions.csv"));
    CHECK_OK(st);
    if (st) return;
    /* IN.csv: the coordinates of predictions.csv, columns in the other order and an
     * extra column (columns are found by name) */
    FILE *f = fopen(nt_test_path("in.csv"), "w");
    CHECK(f != NULL);
    if (!f) {
        nt_csv_free(&pc);
        return;
    }
    fprintf(f, "t,id,x\n");
    for (int64_t i = 0; i < pc.rows; i++) fprintf(f, "%.17g,%lld,%.17g\n", col(&pc, i, "t"), (long long)i, col(&pc, i, "x"));
    fclose(f);
    int rc = nt_test_noether("predict '%s' --points '%s' --out '%s'", nt_test_path("burgers_run"), nt_test_path("in.csv"), nt_test_path("out.csv"));
    CHECK(rc == 0);
    CHECK(strstr(nt_test_out, "wrote") != NULL);
    nt_csv oc;
    st = nt_csv_read(&oc, nt_test_path("out.csv"));
    CHECK_OK(st);
    if (!st) {
        CHECK(oc.rows == pc.rows);
        CHECK(oc.ncols == 3 && nt_csv_col(&oc, "x") == 0 && nt_csv_col(&oc, "t") == 1 && nt_csv_col(&oc, "u") == 2);
        int bad = 0;
        for (int64_t i = 0; i < oc.rows && i < pc.rows; i++) {
            double a = col(&oc, i, "u"), b = col(&pc, i, "u");
            if (col(&oc, i, "x") != col(&pc, i, "x") || col(&oc, i, "t") != col(&pc, i, "t")) bad++;
            if (!(fabs(a - b) <= 1e-12 * fmax(fabs(a), fabs(b)))) {
                if (!bad) printf("  row %lld: predict %.17g vs predictions.csv %.17g\n", (long long)i, a, b);
                bad++;
            }
        }
        CHECK(bad == 0);
        nt_csv_free(&oc);
    }
    /* without --out: CSV on standard output */
    nt_test_write_text(nt_test_path("in2.csv"), "x,t\n0.25,0.5\n-0.5,0.75\n");
    CHECK(nt_test_noether("predict '%s' --points '%s'", nt_test_path("burgers_run"), nt_test_path("in2.csv")) == 0);
    CHECK(!strncmp(nt_test_out, "x,t,u\n0.25,0.5,", 15));
    CHECK(nt_test_count_lines(nt_test_out) == 3);
    /* bad points files: a missing column, a non-numeric cell */
    nt_test_write_text(nt_test_path("in_bad.csv"), "x,s\n0.25,0.5\n");
    char want[1024];
    CHECK(nt_test_noether("predict '%s' --points '%s' --out '%s'", nt_test_path("burgers_run"), nt_test_path("in_bad.csv"),
                          nt_test_path("out_bad.csv")) != 0);
    snprintf(want, sizeof want, "%s:1:1: no column 't'", nt_test_path("in_bad.csv"));
    CHECK(strstr(nt_test_out, want) != NULL);
    CHECK(!nt_test_exists(nt_test_path("out_bad.csv")));
    nt_test_write_text(nt_test_path("in_bad.csv"), "x,t\n0.25,0.5\n0.5,abc\n");
    CHECK(nt_test_noether("predict '%s' --points '%s' --out '%s'", nt_test_path("burgers_run"), nt_test_path("in_bad.csv"),
                          nt_test_path("out_bad.csv")) != 0);
    snprintf(want, sizeof want, "%s:3:5:", nt_test_path("in_bad.csv"));
    CHECK(strstr(nt_test_out, want) != NULL);
    CHECK(!nt_test_exists(nt_test_path("out_bad.csv")));
    CHECK(nt_test_noether("predict '%s' --points '%s'", nt_test_path("burgers_run"), nt_test_path("none.csv")) != 0);
    CHECK(strstr(nt_test_out, "none.csv") != NULL);
    nt_csv_free(&pc);
}

static void test_eval(void)
{
    if (!g_trained) {
        nt_test_fail(__FILE__, __LINE__, "needs the run of test_train_burgers");
        return;
    }
    char *sum = nt_test_read_text(nt_test_path("burgers_run/summary.json"));
    double err = num_in(sum, "\"rel_l2\": {\"u\": "), steps = num_in(sum, "\"steps\": ");
    free(sum);
    char want[128], got[64];
    snprintf(want, sizeof want, "%.6e", err);
    CHECK(nt_test_noether("eval '%s'", nt_test_path("burgers_run")) == 0);
    num_after(nt_test_out, "relative L2 error of u: ", got, sizeof got);
    if (strcmp(got, want)) nt_test_fail(__FILE__, __LINE__, "eval prints %s, summary.json has %s (%.17g)", got, want, err);
    snprintf(want, sizeof want, "burgers_small (step %lld) against Cole-Hopf", (long long)steps);
    CHECK(strstr(nt_test_out, want) != NULL);

    /* against a reference file: the model's own predictions give 0; the
     * reference column of predictions.csv gives summary.json's error */
    nt_csv pc;
    nt_status st = nt_csv_read(&pc, nt_test_path("burgers_run/predictions.csv"));
    CHECK_OK(st);
    if (st) return;
    FILE *f1 = fopen(nt_test_path("ref_self.csv"), "w"), *f2 = fopen(nt_test_path("ref_copy.csv"), "w");
    CHECK(f1 && f2);
    if (f1 && f2) {
        fprintf(f1, "x,t,u\n");
        fprintf(f2, "t,x,u\n");
        for (int64_t i = 0; i < pc.rows; i++) {
            fprintf(f1, "%.17g,%.17g,%.17g\n", col(&pc, i, "x"), col(&pc, i, "t"), col(&pc, i, "u"));
            fprintf(f2, "%.17g,%.17g,%.17g\n", col(&pc, i, "t"), col(&pc, i, "x"), col(&pc, i, "u_ref"));
        }
    }
    if (f1) fclose(f1);
    if (f2) fclose(f2);
    nt_csv_free(&pc);
    CHECK(nt_test_noether("eval '%s' --reference '%s'", nt_test_path("burgers_run"), nt_test_path("ref_self.csv")) == 0);
    CHECK(strstr(nt_test_out, "relative L2 error of u: 0.000000e+00") != NULL);
    CHECK(nt_test_noether("eval '%s' --reference '%s'", nt_test_path("burgers_run"), nt_test_path("ref_copy.csv")) == 0);
    num_after(nt_test_out, "relative L2 error of u: ", got, sizeof got);
    CHECK_CLOSE(strtod(got, NULL), err, 1e-6, 0);
    /* a bad reference file */
    nt_test_write_text(nt_test_path("ref_bad.csv"), "x,t,u\n0,0,zz\n");
    CHECK(nt_test_noether("eval '%s' --reference '%s'", nt_test_path("burgers_run"), nt_test_path("ref_bad.csv")) != 0);
    snprintf(want, sizeof want, "%s:2:5:", nt_test_path("ref_bad.csv"));
    CHECK(strstr(nt_test_out, want) != NULL);
}

/* ------------------------------------------------------------------------------ */
/* Interrupt and resume                                                             */

/* Summary values that must agree exactly between an interrupted-and-resumed run and
 * an uninterrupted one. */
static void check_same_result(int line, const char *dir_a, const char *dir_b)
{
    char pa[1200], pb[1200];
    snprintf(pa, sizeof pa, "%s/summary.json", dir_a);
    snprintf(pb, sizeof pb, "%s/summary.json", dir_b);
    char *sa = nt_test_read_text(pa), *sb = nt_test_read_text(pb);
    if (!sa || !sb) {
        nt_test_fail(__FILE__, line, "missing summary.json in %s or %s", dir_a, dir_b);
        free(sa);
        free(sb);
        return;
    }
    static const char *keys[] = {"\"final_loss\": ", "\"rel_l2\": {\"u\": ", "\"steps\": ", "\"adam_steps\": ",
                                 "\"lbfgs_iterations\": ", "\"loss_evaluations\": ", "\"loss_terms\": {\"pde\": "};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char a[64], b[64];
        num_after(sa, keys[k], a, sizeof a);
        num_after(sb, keys[k], b, sizeof b);
        if (!a[0] || strcmp(a, b)) nt_test_fail(__FILE__, line, "%s%s in %s vs %s in %s", keys[k], a, dir_a, b, dir_b);
    }
    if (!strstr(sb, "\"status\": \"finished\"")) nt_test_fail(__FILE__, line, "%s is not finished", dir_b);
    free(sa);
    free(sb);
    /* predictions.csv byte for byte */
    snprintf(pa, sizeof pa, "%s/predictions.csv", dir_a);
    snprintf(pb, sizeof pb, "%s/predictions.csv", dir_b);
    sa = nt_test_read_text(pa);
    sb = nt_test_read_text(pb);
    if (!sa || !sb || strcmp(sa, sb)) nt_test_fail(__FILE__, line, "predictions.csv differ: %s vs %s", dir_a, dir_b);
    free(sa);
    free(sb);
    /* every history row of the uninterrupted run (without its time column) is in
     * the resumed run's history (which may add a row at each interruption) */
    snprintf(pa, sizeof pa, "%s/history.csv", dir_a);
    snprintf(pb, sizeof pb, "%s/history.csv", dir_b);
    sa = nt_test_read_text(pa);
    sb = nt_test_read_text(pb);
    if (!sa || !sb) {
        nt_test_fail(__FILE__, line, "missing history.csv");
    } else {
        int missing = 0, rows = 0;
        for (char *l = sa; *l;) {
            char *e = strchr(l, '\n');
            if (!e) break;
            char *lastc = e;
            while (lastc > l && *lastc != ',') lastc--;
            char row[512];
            size_t n = (size_t)(lastc - l + 1);
            if (lastc > l && n < sizeof row) {
                memcpy(row, l, n);
                row[n] = 0;
                /* match at a line start */
                char needle[520];
                snprintf(needle, sizeof needle, "\n%s", row);
                if (rows > 0 && !strstr(sb, needle)) {
                    if (!missing) printf("  history row of %s not in %s: %s\n", dir_a, dir_b, row);
                    missing++;
                }
            }
            rows++;
            l = e + 1;
        }
        if (missing) nt_test_fail(__FILE__, line, "%d of %d history rows differ", missing, rows - 1);
        if (rows < 10) nt_test_fail(__FILE__, line, "history of %s has only %d lines", dir_a, rows);
    }
    free(sa);
    free(sb);
}

static void test_resume_determinism(void)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "%s", nt_test_path("small.yaml"));
    write_small(yaml, "", 60, 60, 7);
    const char *opts = "--threads 1 --progress lines";
    CHECK(nt_test_noether("train '%s' --out '%s' %s", yaml, nt_test_path("A"), opts) == 0);
    char *sa = nt_test_read_text(nt_test_path("A/summary.json"));
    CHECK(sa && strstr(sa, "\"status\": \"finished\"") && num_in(sa, "\"steps\": ") == 120);
    free(sa);

    /* B: Ctrl-C (as --stop-after) inside the Adam stage, then resume */
    CHECK(nt_test_noether("train '%s' --out '%s' %s --stop-after 37", yaml, nt_test_path("B"), opts) == 130);
    CHECK(strstr(nt_test_out, "interrupted at step 37") != NULL);
    CHECK(strstr(nt_test_out, "noether train --resume") != NULL);
    CHECK(nt_test_exists(nt_test_path("B/checkpoint.ntc")));
    char *sb = nt_test_read_text(nt_test_path("B/summary.json"));
    CHECK(sb && strstr(sb, "\"status\": \"interrupted\"") && num_in(sb, "\"steps\": ") == 37);
    free(sb);
    /* the interrupted state can be evaluated */
    CHECK(nt_test_noether("eval '%s'", nt_test_path("B")) == 0);
    CHECK(strstr(nt_test_out, "(step 37)") != NULL);
    CHECK(nt_test_noether("train --resume '%s' %s", nt_test_path("B"), opts) == 0);
    CHECK(strstr(nt_test_out, "finished after 120 steps") != NULL);
    check_same_result(__LINE__, nt_test_path("A"), nt_test_path("B"));

    /* C: inside the L-BFGS stage (Adam has 60 steps) */
    CHECK(nt_test_noether("train '%s' --out '%s' %s --stop-after 83", yaml, nt_test_path("C"), opts) == 130);
    CHECK(strstr(nt_test_out, "interrupted at step 83") != NULL && strstr(nt_test_out, "--resume") != NULL);
    CHECK(nt_test_noether("train --resume '%s' %s", nt_test_path("C"), opts) == 0);
    check_same_result(__LINE__, nt_test_path("A"), nt_test_path("C"));

    /* D: interrupted twice (Adam, then L-BFGS on the first resume) */
    CHECK(nt_test_noether("train '%s' --out '%s' %s --stop-after 20", yaml, nt_test_path("D"), opts) == 130);
    CHECK(nt_test_noether("train --resume '%s' %s --stop-after 50", nt_test_path("D"), opts) == 130);
    CHECK(strstr(nt_test_out, "interrupted at step 70") != NULL);
    CHECK(nt_test_noether("train --resume '%s' %s", nt_test_path("D"), opts) == 0);
    check_same_result(__LINE__, nt_test_path("A"), nt_test_path("D"));

    /* command-line overrides are recorded and kept on resume */
    CHECK(nt_test_noether("train '%s' --out '%s' %s --seed 5 --dtype float32", yaml, nt_test_path("E1"), opts) == 0);
    CHECK(nt_test_noether("train '%s' --out '%s' %s --seed 5 --dtype float32 --stop-after 70", yaml, nt_test_path("E2"), opts) == 130);
    CHECK(nt_test_noether("train --resume '%s' %s", nt_test_path("E2"), opts) == 0);
    CHECK(strstr(nt_test_out, "float32") != NULL);
    check_same_result(__LINE__, nt_test_path("E1"), nt_test_path("E2"));
    char *se = nt_test_read_text(nt_test_path("E2/summary.json")), *pe = nt_test_read_text(nt_test_path("E2/problem.yaml"));
    CHECK(se && strstr(se, "\"dtype\": \"float32\"") && strstr(se, "\"seed\": 5,"));
    CHECK(pe && !strncmp(pe, "# noether: command-line overrides", 33) && strstr(pe, "float32") && strstr(pe, "5"));
    free(se);
    free(pe);
    /* ... and they change the result */
    char a[64], b[64];
    char *s1 = nt_test_read_text(nt_test_path("A/summary.json")), *s2 = nt_test_read_text(nt_test_path("E1/summary.json"));
    num_after(s1, "\"final_loss\": ", a, sizeof a);
    num_after(s2, "\"final_loss\": ", b, sizeof b);
    CHECK(a[0] && b[0] && strcmp(a, b) != 0);
    free(s1);
    free(s2);

    /* a finished run has nothing to resume */
    CHECK(nt_test_noether("train --resume '%s' %s", nt_test_path("A"), opts) != 0);
    CHECK(strstr(nt_test_out, "nothing to resume") != NULL);
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static void test_sigint(void)
{
    /* long enough that one second (quick: 0.1 s) after the first checkpoint it is
     * still in Adam (about 2500 steps/s in release, 1 thread) */
    int steps = g_quick ? 1500 : 15000;
    char yaml[1024], dir[1024];
    snprintf(yaml, sizeof yaml, "%s", nt_test_path("long.yaml"));
    snprintf(dir, sizeof dir, "%s", nt_test_path("S"));
    write_small(yaml, "", steps, 0, 100000);
    char *argv[] = {(char *)nt_test_noether_bin(), "train", yaml, "--out", dir, "--threads", "1", "--progress", "lines", NULL};
    pid_t pid = nt_test_spawn(argv, nt_test_path("S.log"));
    CHECK(pid > 0);
    if (pid <= 0) return;
    /* the first checkpoint (step 0) is written after the SIGINT handler is set */
    double t0 = nt_time_now();
    int status = 0, done = 0;
    while (!nt_test_exists(nt_test_path("S/checkpoint.ntc")) && nt_time_now() - t0 < 60) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            done = 1;
            break;
        }
        sleep_s(0.02);
    }
    CHECK(nt_test_exists(nt_test_path("S/checkpoint.ntc")));
    if (!done) {
        sleep_s(g_quick ? 0.1 : 1.0); /* quick: 1500 steps take about 0.5 s in release */
        if (waitpid(pid, &status, WNOHANG) == pid) {
            done = 1;
            nt_test_fail(__FILE__, __LINE__, "the run ended before SIGINT (make it longer)");
        } else {
            kill(pid, SIGINT);
        }
    }
    if (!done) waitpid(pid, &status, 0);
    char *log = nt_test_read_text(nt_test_path("S.log"));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 130);
    CHECK(log && strstr(log, "checkpoint saved. Resume with: noether train --resume") != NULL);
    CHECK(log && !strstr(log, "Sanitizer") && !strstr(log, "runtime error:"));
    CHECK(nt_test_exists(nt_test_path("S/checkpoint.ntc")));
    char *sum = nt_test_read_text(nt_test_path("S/summary.json"));
    double at = num_in(sum, "\"steps\": ");
    printf("  SIGINT after %.1f s, at step %g of %d\n", nt_time_now() - t0, at, steps);
    CHECK(sum && strstr(sum, "\"status\": \"interrupted\""));
    CHECK(at > 0 && at < steps);
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 130)) printf("%s\n", log ? log : "(no log)");
    free(log);
    free(sum);
    /* the interrupted run's checkpoint is the interruption's */
    char want[64];
    snprintf(want, sizeof want, "(step %lld)", (long long)at);
    CHECK(nt_test_noether("eval '%s'", dir) == 0);
    CHECK(strstr(nt_test_out, want) != NULL);
    /* resume to the end */
    CHECK(nt_test_noether("train --resume '%s' --threads 1 --progress lines", dir) == 0);
    sum = nt_test_read_text(nt_test_path("S/summary.json"));
    CHECK(sum && strstr(sum, "\"status\": \"finished\""));
    CHECK(num_in(sum, "\"steps\": ") == steps);
    free(sum);
}

/* ------------------------------------------------------------------------------ */
/* Divergence                                                                       */

static void test_divergence(void)
{
    const char *opts = "--threads 1 --progress lines";
    /* NaN from the first evaluation: log of a negative number */
    write_small(nt_test_path("nan.yaml"), " + log(u - 10)", 60, 60, 7);
    int rc = nt_test_noether("train '%s' --out '%s' %s", nt_test_path("nan.yaml"), nt_test_path("N"), opts);
    CHECK(rc != 0 && rc != 130 && rc != -1);
    CHECK(strstr(nt_test_out, "the loss became non-finite at step 1 (stage 1, adam)") != NULL);
    CHECK(strstr(nt_test_out, "last good checkpoint (step 0)") != NULL);
    CHECK(nt_test_exists(nt_test_path("N/checkpoint.ntc")));
    CHECK(nt_test_exists(nt_test_path("N/problem.yaml")));
    CHECK(!strstr(nt_test_out, "finished"));
    /* the step-0 checkpoint loads: eval and predict work on it */
    CHECK(nt_test_noether("eval '%s'", nt_test_path("N")) == 0);
    CHECK(strstr(nt_test_out, "small (step 0)") != NULL);
    double e = num_in(nt_test_out, "relative L2 error of u: ");
    CHECK(e > 0.5 && e < 2);
    nt_test_write_text(nt_test_path("pts.csv"), "x,t\n0.3,0.2\n-0.7,0.9\n");
    CHECK(nt_test_noether("predict '%s' --points '%s'", nt_test_path("N"), nt_test_path("pts.csv")) == 0);
    /* "x,t,u\n<x>,<t>,<u>\n...": the third value of the second line */
    const char *l2 = strchr(nt_test_out, '\n');
    const char *c1 = l2 ? strchr(l2, ',') : NULL, *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
    double u = c2 ? strtod(c2 + 1, NULL) : NAN;
    CHECK(!strncmp(nt_test_out, "x,t,u\n", 6) && nt_test_count_lines(nt_test_out) == 3);
    CHECK(isfinite(u) && u != 0);

    /* NaN after some training: log(0.3 - u) is defined until u reaches 0.3 (it does,
     * u(x, 0) = -sin(pi x) reaches 1); the kept checkpoint is the last one before */
    write_small(nt_test_path("late.yaml"), " + 0*log(0.3 - u)", 60, 60, 7);
    rc = nt_test_noether("train '%s' --out '%s' %s", nt_test_path("late.yaml"), nt_test_path("L"), opts);
    CHECK(rc != 0 && rc != 130 && rc != -1);
    CHECK(strstr(nt_test_out, "non-finite") != NULL);
    double k = num_in(nt_test_out, "last good checkpoint (step ");
    printf("  divergence: %s", strstr(nt_test_out, "noether: the loss") ? strstr(nt_test_out, "noether: the loss") : nt_test_out);
    CHECK(k > 0 && fmod(k, 7) == 0);
    char want[64];
    snprintf(want, sizeof want, "small (step %lld)", (long long)k);
    CHECK(nt_test_noether("eval '%s'", nt_test_path("L")) == 0);
    CHECK(strstr(nt_test_out, want) != NULL);
    e = num_in(nt_test_out, "relative L2 error of u: ");
    CHECK(isfinite(e) && e < 2);
    /* the history ends before the divergence */
    char *hist = nt_test_read_text(nt_test_path("L/history.csv"));
    CHECK(hist && nt_test_count_lines(hist) >= 2 && !strstr(hist, "nan"));
    free(hist);
}

/* An earlier run is never overwritten: --out on a folder holding a run is refused
 * (the checkpoint stays as it was) unless --overwrite is given. */
static void test_no_overwrite(void)
{
    nt_test_write_text(nt_test_path("tiny.yaml"),
               "domain: {x: [0, 1]}\nfields: [u]\npde: \"u_xx + 1\"\n"
               "conditions: [{where: boundary, u: 0, points: 2}]\nmodel: {width: 4, depth: 1}\n"
               "train: {points: 16, stages: [{optimizer: adam, steps: 3}]}\n");
    CHECK(nt_test_noether("train '%s' --out '%s' --threads 1 --progress lines", nt_test_path("tiny.yaml"), nt_test_path("T")) == 0);
    char ck[1024];
    snprintf(ck, sizeof ck, "%s/checkpoint.ntc", nt_test_path("T"));
    char *before = nt_test_read_text(ck);
    sleep(1); /* a rewrite would change the step-0 timings in the history */
    CHECK(nt_test_noether("train '%s' --out '%s' --threads 1 --progress lines", nt_test_path("tiny.yaml"), nt_test_path("T")) == 1);
    CHECK(strstr(nt_test_out, "already holds a run") != NULL);
    char *after = nt_test_read_text(ck);
    struct stat sb;
    CHECK(stat(ck, &sb) == 0 && sb.st_size > 16);
    CHECK(before && after && !memcmp(before, after, (size_t)sb.st_size));
    CHECK(nt_test_noether("train '%s' --out '%s' --threads 1 --progress lines --overwrite", nt_test_path("tiny.yaml"), nt_test_path("T")) == 0);
    free(before);
    free(after);
}

/* Steps per optimizer in summary.json count every step, also when a stage does not
 * end on a logged step (Adam 7 steps, L-BFGS 5, a history row every 100). */
static void test_step_counts(void)
{
    nt_test_write_text(nt_test_path("count.yaml"),
               "domain: {x: [0, 1]}\nfields: [u]\npde: \"u_xx + 1\"\n"
               "conditions: [{where: boundary, u: 0, points: 2}]\nmodel: {width: 4, depth: 1}\n"
               "train: {points: 16, log_every: 100, eval_every: 100,\n"
               "        stages: [{optimizer: adam, steps: 7}, {optimizer: lbfgs, steps: 5}]}\n");
    CHECK(nt_test_noether("train '%s' --out '%s' --threads 1 --progress lines", nt_test_path("count.yaml"), nt_test_path("CNT")) == 0);
    char path[1024], a[64], l[64], t[64];
    snprintf(path, sizeof path, "%s/summary.json", nt_test_path("CNT"));
    char *js = nt_test_read_text(path);
    num_after(js, "\"adam_steps\": ", a, sizeof a);
    num_after(js, "\"lbfgs_iterations\": ", l, sizeof l);
    num_after(js, "\"steps\": ", t, sizeof t);
    CHECK(!strcmp(a, "7"));
    CHECK(atoi(l) >= 1 && atoi(l) <= 5);
    CHECK(atoi(t) == 7 + atoi(l));
    free(js);
}

int main(void)
{
    g_quick = nt_test_quick();
    if (access(nt_test_noether_bin(), X_OK) != 0) {
        printf("cannot run %s (build it with make, or set NT_NOETHER)\n", nt_test_noether_bin());
        return 1;
    }
    if (!nt_test_tmp_init("nt_test_train_cli")) return 1;
    RUN(test_usage);
    RUN(test_bad_problems);
    RUN(test_train_burgers);
    RUN(test_predict);
    RUN(test_eval);
    RUN(test_resume_determinism);
    RUN(test_sigint);
    RUN(test_divergence);
    RUN(test_no_overwrite);
    RUN(test_step_counts);
    nt_test_tmp_cleanup();
    return nt_test_finish();
}

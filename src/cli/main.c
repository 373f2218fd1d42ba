/* main.c — the `noether` command: train / predict / eval on problem files and run
 * folders, and the built-in demo. */
#include "operator/data.h"
#include "operator/train.h"
#include "pinn/bench.h"
#include "pinn/demo.h"
#include "pinn/run.h"
#include "pinn/solve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage_main(FILE *f)
{
    fprintf(f,
            "noether %s — physics-informed neural networks in C\n\n"
            "usage: noether <command> [options]\n\n"
            "commands:\n"
            "  train FILE        train a PINN (or a neural operator: FNO, DeepONet) from a YAML\n"
            "                    problem file; writes a run folder\n"
            "  predict DIR       evaluate a trained run at the points of a CSV file (operator\n"
            "                    runs: on the input functions of a .npy file)\n"
            "  eval DIR          recompute a run's errors against its (or another) reference\n"
            "  solve FILE        compute a problem's reference solution with the classical solvers\n"
            "  bench [NAME...]   train the problem catalogue and tabulate errors beside published ones\n"
            "  data burgers|darcy  generate an operator-learning dataset with the classical solvers\n"
            "  demo burgers|ks   train the built-in PINN (no problem file) and report its error\n"
            "  version           print the version\n\n"
            "Start with: noether train problems/burgers.yaml\n"
            "Run 'noether <command> --help' for the options of a command.\n",
            NT_VERSION_STRING);
}

static void usage_demo(FILE *f)
{
    fprintf(f,
            "usage: noether demo burgers|ks [options]\n\n"
            "Trains a PINN for viscous Burgers u_t + u u_x - (0.01/pi) u_xx = 0 (or\n"
            "Kuramoto-Sivashinsky u_t + u u_x + u_xx + u_xxxx = 0) on t in [0,1], x in [-1,1],\n"
            "u(0,x) = -sin(pi x), u(t,+-1) = 0: Adam, then L-BFGS. Prints the relative L2\n"
            "error against the reference grid (Burgers: burgers_shock.csv).\n\n"
            "options:\n"
            "  --threads N      threads for OpenMP and OpenBLAS (default: all cores)\n"
            "  --dtype D        float32 or float64 (default float64)\n"
            "  --seed S         random seed (default 1234)\n"
            "  --width W        hidden width (default 20)\n"
            "  --depth L        hidden layers (default 8)\n"
            "  --act A          tanh, sin, gelu, swish, sigmoid (default tanh)\n"
            "  --points N       collocation points (default 10000)\n"
            "  --adam N         Adam steps (default 2000)\n"
            "  --lr X           Adam learning rate (default 1e-3)\n"
            "  --lbfgs N        L-BFGS iterations (default 5000)\n"
            "  --time-limit S   stop training after S seconds (default 0 = none)\n"
            "  --log N          progress line every N steps (default 500; 0 = quiet)\n"
            "  --data FILE      reference CSV (t,x,u); default ../shared/data/burgers_shock.csv\n");
}

static int parse_i64(const char *opt, const char *s, long long lo, long long hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi) {
        fprintf(stderr, "noether: %s expects an integer in [%lld, %lld], got '%s'\n", opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_f64(const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || !(v >= lo && v <= hi)) {
        fprintf(stderr, "noether: %s expects a number in [%g, %g], got '%s'\n", opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static const char *default_data(void)
{
    static const char *cands[] = {"../shared/data/burgers_shock.csv", "shared/data/burgers_shock.csv",
                                  "../../shared/data/burgers_shock.csv"};
    struct stat st;
    const char *env = getenv("NT_DATA_DIR");
    static char buf[4096];
    if (env) {
        snprintf(buf, sizeof buf, "%s/burgers_shock.csv", env);
        return buf;
    }
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++)
        if (stat(cands[i], &st) == 0) return cands[i];
    return cands[0];
}

static int cmd_demo(int argc, char **argv)
{
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        usage_demo(argc < 1 ? stderr : stdout);
        return argc < 1 ? 2 : 0;
    }
    nt_demo_pde pde;
    if (!strcmp(argv[0], "burgers")) pde = NT_DEMO_BURGERS;
    else if (!strcmp(argv[0], "ks")) pde = NT_DEMO_KS;
    else {
        fprintf(stderr, "noether demo: unknown problem '%s' (expected burgers or ks)\n", argv[0]);
        return 2;
    }
    nt_demo_config cfg = nt_demo_config_default(pde);
    nt_demo_train_config tc = {.adam_steps = 2000, .adam_lr = 1e-3, .adam_decay = 1.0,
                               .lbfgs_iters = 5000, .log_every = 500};
    int64_t threads = 0, v;
    const char *data = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            usage_demo(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "noether demo: unknown option or missing value: '%s'\n", o);
            return 2;
        }
        const char *a = argv[++i];
        if (!strcmp(o, "--threads")) { if (parse_i64(o, a, 1, 1024, &threads)) return 2; }
        else if (!strcmp(o, "--dtype")) {
            if (nt_dtype_parse(a, &cfg.dtype)) { fprintf(stderr, "noether: %s\n", nt_error_msg()); return 2; }
        } else if (!strcmp(o, "--seed")) { if (parse_i64(o, a, 0, INT64_MAX, &v)) return 2; cfg.seed = (uint64_t)v; }
        else if (!strcmp(o, "--width")) { if (parse_i64(o, a, 1, 4096, &v)) return 2; cfg.width = (int)v; }
        else if (!strcmp(o, "--depth")) { if (parse_i64(o, a, 1, 60, &v)) return 2; cfg.depth = (int)v; }
        else if (!strcmp(o, "--act")) {
            if (nt_act_parse(a, &cfg.act)) { fprintf(stderr, "noether: %s\n", nt_error_msg()); return 2; }
        } else if (!strcmp(o, "--points")) { if (parse_i64(o, a, 1, 100000000, &cfg.n_res)) return 2; }
        else if (!strcmp(o, "--adam")) { if (parse_i64(o, a, 0, INT64_MAX, &tc.adam_steps)) return 2; }
        else if (!strcmp(o, "--lr")) { if (parse_f64(o, a, 1e-12, 10, &tc.adam_lr)) return 2; }
        else if (!strcmp(o, "--lbfgs")) { if (parse_i64(o, a, 0, INT64_MAX, &tc.lbfgs_iters)) return 2; }
        else if (!strcmp(o, "--time-limit")) { if (parse_f64(o, a, 0, 1e9, &tc.time_limit_s)) return 2; }
        else if (!strcmp(o, "--log")) { if (parse_i64(o, a, 0, INT64_MAX, &tc.log_every)) return 2; }
        else if (!strcmp(o, "--data")) data = a;
        else {
            fprintf(stderr, "noether demo: unknown option '%s' (see noether demo --help)\n", o);
            return 2;
        }
    }
    if (threads > 0) nt_threads_set((int)threads);
    if (pde == NT_DEMO_BURGERS && !data) data = default_data();
    nt_demo d;
    if (nt_demo_init(&d, &cfg)) {
        fprintf(stderr, "noether demo: %s\n", nt_error_msg());
        return 1;
    }
    if (data && nt_demo_load_reference(&d, data)) {
        fprintf(stderr, "noether demo: reference: %s\n", nt_error_msg());
        nt_demo_free(&d);
        return 1;
    }
    printf("noether %s: %s PINN, MLP 2-%dx%d-1 %s, %s, %lld collocation points, %d threads\n",
           NT_VERSION_STRING, pde == NT_DEMO_BURGERS ? "Burgers" : "Kuramoto-Sivashinsky", cfg.width,
           cfg.depth, nt_act_name(cfg.act), nt_dtype_name(cfg.dtype), (long long)cfg.n_res,
           nt_threads_get());
    printf("training: Adam %lld steps (lr %g), then L-BFGS up to %lld iterations\n",
           (long long)tc.adam_steps, tc.adam_lr, (long long)tc.lbfgs_iters);
    fflush(stdout);
    nt_demo_train_result res;
    nt_status st = nt_demo_train(&d, &tc, &res);
    if (st) {
        fprintf(stderr, "noether demo: training stopped: %s\n", nt_error_msg());
        nt_demo_free(&d);
        return 1;
    }
    printf("trained: %lld Adam steps, %lld L-BFGS iterations, %lld loss evaluations, final loss %.3e, "
           "%.1f s\n",
           (long long)res.adam_steps, (long long)res.lbfgs_iters, (long long)res.evals, res.final_loss,
           res.wall_s);
    if (data) {
        printf("relative L2 error vs %s: %.3e (Raissi et al. 2019: 6.7e-4)\n", data, res.final_error);
        if (res.time_to_1e3 >= 0)
            printf("error first <= 1e-3 at a progress line after %.1f s of training\n", res.time_to_1e3);
    }
    nt_demo_free(&d);
    return 0;
}

static void usage_train(FILE *f)
{
    fprintf(f,
            "usage: noether train FILE.yaml [options]\n"
            "       noether train --resume DIR [--threads N]\n\n"
            "Trains the PINN described by the problem file and writes the run folder:\n"
            "problem.yaml (as used), checkpoint.ntc, history.csv, predictions.csv,\n"
            "summary.json, solution.png, loss.png. Ctrl-C saves a checkpoint and stops;\n"
            "--resume continues it and gives the same result as an uninterrupted run.\n"
            "A file with a top-level 'operator:' key trains a neural operator (FNO or\n"
            "DeepONet) on a dataset instead (docs/operators.md); --stop-after then counts\n"
            "mini-batches.\n\n"
            "options:\n"
            "  --out DIR          run folder (default runs/<problem name>, or -2, -3, ...\n"
            "                     when taken; an earlier run is never overwritten)\n"
            "  --overwrite        allow --out to name a folder that holds an earlier run\n"
            "  --threads N        threads for OpenMP and OpenBLAS (default: all cores)\n"
            "  --seed S           override the problem's seed\n"
            "  --dtype D          override the dtype: float32 or float64\n"
            "  --time-limit S     stop training after S seconds (results are still written)\n"
            "  --resume DIR       continue an interrupted run\n"
            "  --progress MODE    bar, lines or auto (default: a bar on a terminal)\n");
}

static int cmd_train(int argc, char **argv)
{
    nt_run_opts o;
    memset(&o, 0, sizeof o);
    o.seed = -1;
    o.dtype = -1;
    o.progress = -1;
    if (argc < 1) {
        usage_train(stderr);
        return 2;
    }
    int64_t v;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage_train(stdout);
            return 0;
        }
        if (a[0] != '-') {
            if (o.problem) {
                fprintf(stderr, "noether train: more than one problem file ('%s', '%s')\n", o.problem, a);
                return 2;
            }
            o.problem = a;
            continue;
        }
        if (i + 1 >= argc && strcmp(a, "--overwrite")) {
            fprintf(stderr, "noether train: unknown option or missing value: '%s' (see noether train --help)\n", a);
            return 2;
        }
        if (!strcmp(a, "--overwrite")) {
            o.overwrite = 1;
            continue;
        }
        const char *val = argv[++i];
        if (!strcmp(a, "--out")) o.out_dir = val;
        else if (!strcmp(a, "--resume")) o.resume_dir = val;
        else if (!strcmp(a, "--threads")) { if (parse_i64(a, val, 1, 1024, &v)) return 2; o.threads = (int)v; }
        else if (!strcmp(a, "--seed")) { if (parse_i64(a, val, 0, INT64_MAX, &v)) return 2; o.seed = v; }
        else if (!strcmp(a, "--dtype")) {
            nt_dtype dt;
            if (nt_dtype_parse(val, &dt)) { fprintf(stderr, "noether: %s\n", nt_error_msg()); return 2; }
            o.dtype = (int)dt;
        } else if (!strcmp(a, "--time-limit")) { if (parse_f64(a, val, 0, 1e9, &o.time_limit)) return 2; }
        else if (!strcmp(a, "--stop-after")) { if (parse_i64(a, val, 1, INT64_MAX, &o.stop_after)) return 2; }
        else if (!strcmp(a, "--progress")) {
            if (!strcmp(val, "bar")) o.progress = 1;
            else if (!strcmp(val, "lines")) o.progress = 0;
            else if (!strcmp(val, "auto")) o.progress = -1;
            else { fprintf(stderr, "noether train: --progress expects bar, lines or auto, got '%s'\n", val); return 2; }
        } else {
            fprintf(stderr, "noether train: unknown option '%s' (see noether train --help)\n", a);
            return 2;
        }
    }
    if (o.resume_dir && (o.problem || o.seed >= 0 || o.dtype >= 0 || o.out_dir)) {
        fprintf(stderr, "noether train: --resume continues a run as it was; it takes no problem file, --out, --seed or --dtype\n");
        return 2;
    }
    if (!o.resume_dir && !o.problem) {
        fprintf(stderr, "noether train: no problem file given (see noether train --help)\n");
        return 2;
    }
    if (o.resume_dir ? nt_op_is_operator_run(o.resume_dir) : nt_op_is_operator_file(o.problem)) return nt_op_train(&o);
    return nt_run_train(&o);
}

static void usage_predict(FILE *f)
{
    fprintf(f,
            "usage: noether predict DIR --points IN.csv [--out OUT.csv]\n"
            "       noether predict DIR --inputs IN.npy [--out OUT.npy]   (operator runs)\n\n"
            "Evaluates the model of the run folder DIR at the points of IN.csv (one column\n"
            "per domain variable, named like them) and writes the points with one column per\n"
            "field to OUT.csv (default: standard output).\n"
            "For an operator run (FNO, DeepONet), IN.npy holds input functions on a grid:\n"
            "[N, s] or [s] in 1-D, [N, s, s] or [s, s] in 2-D; the predictions are written\n"
            "as float64 with the same shape to OUT.npy (default: IN.pred.npy).\n");
}

static int cmd_predict(int argc, char **argv)
{
    const char *dir = NULL, *in = NULL, *out = NULL, *inputs = NULL;
    if (argc < 1) {
        usage_predict(stderr);
        return 2;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage_predict(stdout); return 0; }
        if (a[0] != '-') { dir = a; continue; }
        if (i + 1 >= argc) { fprintf(stderr, "noether predict: missing value for '%s'\n", a); return 2; }
        if (!strcmp(a, "--points")) in = argv[++i];
        else if (!strcmp(a, "--inputs")) inputs = argv[++i];
        else if (!strcmp(a, "--out")) out = argv[++i];
        else { fprintf(stderr, "noether predict: unknown option '%s' (see noether predict --help)\n", a); return 2; }
    }
    if (dir && nt_op_is_operator_run(dir)) {
        if (!inputs || in) {
            fprintf(stderr, "noether predict: %s is an operator run: give its input functions with --inputs IN.npy\n", dir);
            return 2;
        }
        return nt_op_predict(dir, inputs, out);
    }
    if (inputs) {
        fprintf(stderr, "noether predict: --inputs is for operator runs; %s is not one (use --points IN.csv)\n", dir ? dir : "the folder");
        return 2;
    }
    if (!dir || !in) {
        fprintf(stderr, "noether predict: needs a run folder and --points IN.csv\n");
        return 2;
    }
    if (nt_threads_get() < 1) nt_threads_set(1);
    return nt_run_predict(dir, in, out);
}

static void usage_eval(FILE *f)
{
    fprintf(f,
            "usage: noether eval DIR [--reference FILE.csv]\n\n"
            "Recomputes the relative L2 errors of the run in DIR against its reference, or\n"
            "against FILE.csv (columns named like the domain variables and fields).\n");
}

static int cmd_eval(int argc, char **argv)
{
    const char *dir = NULL, *ref = NULL;
    if (argc < 1) {
        usage_eval(stderr);
        return 2;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage_eval(stdout); return 0; }
        if (a[0] != '-') { dir = a; continue; }
        if (i + 1 >= argc) { fprintf(stderr, "noether eval: missing value for '%s'\n", a); return 2; }
        if (!strcmp(a, "--reference")) ref = argv[++i];
        else { fprintf(stderr, "noether eval: unknown option '%s' (see noether eval --help)\n", a); return 2; }
    }
    if (!dir) {
        fprintf(stderr, "noether eval: needs a run folder\n");
        return 2;
    }
    return nt_run_eval(dir, ref);
}

static void usage_solve(FILE *f)
{
    fprintf(f,
            "usage: noether solve FILE [--out OUT.csv] [--threads N] [--overwrite]\n\n"
            "Computes the reference solution named in the problem file's reference block\n"
            "(solver: spectral | cavity | cole_hopf, or exact: ...) on its reference grid and\n"
            "writes it as CSV (columns: the variables, then the fields) with a PNG figure of\n"
            "the same name. Default OUT: <problem name>-reference.csv. The CSV can serve as\n"
            "reference: {file: OUT.csv} or as data for an inverse problem.\n");
}

static int cmd_solve(int argc, char **argv)
{
    const char *file = NULL, *out = NULL;
    int overwrite = 0;
    int64_t threads = 0;
    if (argc < 1) {
        usage_solve(stderr);
        return 2;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage_solve(stdout); return 0; }
        if (!strcmp(a, "--overwrite")) { overwrite = 1; continue; }
        if (a[0] != '-') {
            if (file) { fprintf(stderr, "noether solve: one problem file at a time ('%s' and '%s')\n", file, a); return 2; }
            file = a;
            continue;
        }
        if (i + 1 >= argc) { fprintf(stderr, "noether solve: missing value for '%s'\n", a); return 2; }
        if (!strcmp(a, "--out")) out = argv[++i];
        else if (!strcmp(a, "--threads")) { if (parse_i64(a, argv[++i], 1, 1024, &threads)) return 2; }
        else { fprintf(stderr, "noether solve: unknown option '%s' (see noether solve --help)\n", a); return 2; }
    }
    if (!file) {
        fprintf(stderr, "noether solve: needs a problem file\n");
        return 2;
    }
    if (threads) nt_threads_set((int)threads);
    return nt_run_solve(file, out, overwrite);
}

static void usage_bench(FILE *f)
{
    fprintf(f,
            "usage: noether bench [NAME...] [--quick] [--time-limit S] [--threads N]\n"
            "                     [--catalogue FILE] [--out DIR] [--table FILE.md]\n\n"
            "Trains every problem of the catalogue (default problems/catalogue.yaml), or the\n"
            "named ones, each in its own run folder under DIR (default runs/bench-<date>),\n"
            "and prints a Markdown table: relative L2 error, the published figure and its\n"
            "source, wall time, steps and steps/s. The table is also written to FILE.md\n"
            "(default DIR/ACCURACY.md).\n\n"
            "options:\n"
            "  --quick          stop each problem after 10 s of training (a smoke run)\n"
            "  --time-limit S   stop each problem after S seconds of training\n"
            "  --threads N      threads (default: all cores)\n");
}

static int cmd_bench(int argc, char **argv)
{
    nt_bench_opts o;
    memset(&o, 0, sizeof o);
    o.catalogue = "problems/catalogue.yaml";
    o.quick_seconds = 10;
    const char **names = calloc((size_t)argc + 1, sizeof *names);
    int64_t threads = 0;
    if (!names) return 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage_bench(stdout); free(names); return 0; }
        if (!strcmp(a, "--quick")) { o.quick = 1; continue; }
        if (a[0] != '-') { names[o.n_names++] = a; continue; }
        if (i + 1 >= argc) { fprintf(stderr, "noether bench: missing value for '%s'\n", a); free(names); return 2; }
        const char *v = argv[++i];
        if (!strcmp(a, "--catalogue")) o.catalogue = v;
        else if (!strcmp(a, "--out")) o.out_dir = v;
        else if (!strcmp(a, "--table")) o.table = v;
        else if (!strcmp(a, "--threads")) { if (parse_i64(a, v, 1, 1024, &threads)) { free(names); return 2; } }
        else if (!strcmp(a, "--time-limit")) {
            char *end;
            o.time_limit = strtod(v, &end);
            if (*end || end == v || !(o.time_limit > 0)) {
                fprintf(stderr, "noether bench: --time-limit expects seconds > 0, got '%s'\n", v);
                free(names);
                return 2;
            }
        } else { fprintf(stderr, "noether bench: unknown option '%s' (see noether bench --help)\n", a); free(names); return 2; }
    }
    o.names = names;
    o.threads = (int)threads;
    int rc = nt_run_bench(&o);
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage_main(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
        printf("noether %s\n", NT_VERSION_STRING);
        return 0;
    }
    if (!strcmp(argv[1], "demo")) return cmd_demo(argc - 2, argv + 2);
    if (!strcmp(argv[1], "train")) return cmd_train(argc - 2, argv + 2);
    if (!strcmp(argv[1], "predict")) return cmd_predict(argc - 2, argv + 2);
    if (!strcmp(argv[1], "eval")) return cmd_eval(argc - 2, argv + 2);
    if (!strcmp(argv[1], "solve")) return cmd_solve(argc - 2, argv + 2);
    if (!strcmp(argv[1], "bench")) return cmd_bench(argc - 2, argv + 2);
    if (!strcmp(argv[1], "data")) return nt_data_main(argc - 2, argv + 2);
    fprintf(stderr, "noether: unknown command '%s'\n\n", argv[1]);
    usage_main(stderr);
    return 2;
}

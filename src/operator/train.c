/* train.c — operator-learning runs: the operator file, datasets (loaded or generated,
 * checked against meta.json), FNO / DeepONet training with mini-batch Adam and a step
 * decay, space-time Burgers sets with the PINO physics loss (pino.h), the run folder
 * (checkpoint, history, summary, figures, test predictions), the speed measurement
 * against the classical solver, and `noether predict` for operator runs.
 * Format and folder: docs/operators.md.
 *
 * Resuming restores everything a step depends on (parameters, Adam moments and step,
 * the epoch, the position inside the epoch, the shuffling RNG at the start of the
 * epoch and the epoch's running loss), so an interrupted and resumed run computes the
 * same numbers as one that was not (same thread count). */
#include "operator/train.h"
#include "operator/pino.h"

#include "core/internal.h"
#include "io/ckpt.h"
#include "io/files.h"
#include "io/npy.h"
#include "io/plot.h"
#include "io/yaml.h"
#include "solvers/grf.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define CKPT_NAME "checkpoint.ntc"
#define OP_META_VERSION 1
#define HIST_COLS 5 /* epoch, train rel L2, test rel L2, lr, time */

/* ------------------------------------------------------------------------------ */
/* Operator file                                                                    */

static void resolve(const char *dir, const char *rel, char *out, size_t cap)
{
    if (rel[0] == '/' || !dir[0]) snprintf(out, cap, "%s", rel);
    else snprintf(out, cap, "%s/%s", dir, rel);
}

static nt_op_pos pos_of(const nt_ynode *n)
{
    nt_op_pos p = {n ? n->line : 0, n ? n->col : 0};
    return p;
}

static void op_defaults(nt_op_problem *p)
{
    memset(p, 0, sizeof *p);
    p->kind = NT_OP_FNO;
    p->width = 64;
    p->modes1 = 16;
    p->layers = 4;
    p->proj_width = 128;
    p->p = 128;
    p->branch_width = 128;
    p->branch_depth = 2;
    p->trunk_width = 128;
    p->trunk_depth = 3;
    p->act = NT_ACT_GELU;
    p->n_train = 1000;
    p->n_test = 200;
    p->subsample = 1;
    p->epochs = 500;
    p->batch = 20;
    p->lr = 1e-3;
    p->decay_rate = 0.5;
    p->decay_every = 100;
    p->dtype = NT_F32;
    p->seed = 0;
    p->log_every = 10;
    p->eval_every = 10;
    p->checkpoint_every = 10;
    p->figures = 3;
    p->phys_w = 1.0;
    p->phys_ic_w = 1.0;
    p->phys_data_w = 1.0;
    p->speed = 100;
    nt_data_burgers_config_default(&p->gen_b);
    nt_data_darcy_config_default(&p->gen_d);
}

static nt_status get_int(const nt_ydoc *d, const nt_ynode *map, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
    const nt_ynode *x = nt_ynode_get(map, key);
    return x ? nt_yaml_int(d, x, key, lo, hi, out) : NT_OK;
}

static nt_status get_i32(const nt_ydoc *d, const nt_ynode *map, const char *key, int64_t lo, int64_t hi, int *out)
{
    int64_t v = *out;
    nt_status st = get_int(d, map, key, lo, hi, &v);
    if (!st) *out = (int)v;
    return st;
}

/* a number > 0 (or >= 0 with zero_ok), finite */
static nt_status get_pos(const nt_ydoc *d, const nt_ynode *map, const char *key, int zero_ok, double *out)
{
    const nt_ynode *x = nt_ynode_get(map, key);
    if (!x) return NT_OK;
    double v;
    nt_status st = nt_yaml_double(d, x, key, &v);
    if (st) return st;
    if (!(zero_ok ? v >= 0 : v > 0)) return nt_yaml_error(d, x, "%s must be %s (got %s)", key, zero_ok ? ">= 0" : "> 0", x->str);
    *out = v;
    return NT_OK;
}

static nt_status load_model(nt_op_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    if (!n) return nt_yaml_error(d, d->root, "operator: missing 'model' (e.g. model: {type: fno, width: 64, modes: 16, layers: 4})");
    p->pos_model = pos_of(n);
    if (n->kind != NT_Y_MAP) return nt_yaml_error(d, n, "model must be a mapping, got %s", nt_ynode_kind_str(n));
    const nt_ynode *t = nt_ynode_get(n, "type");
    const char *s;
    nt_status st;
    if (!t) return nt_yaml_error(d, n, "model: missing 'type' (fno or deeponet)");
    if ((st = nt_yaml_str(d, t, "type", &s))) return st;
    if (!strcmp(s, "fno")) p->kind = NT_OP_FNO;
    else if (!strcmp(s, "deeponet")) p->kind = NT_OP_DEEPONET;
    else return nt_yaml_error(d, t, "model type '%s' is not available (available: fno, deeponet)", s);
    if (p->kind == NT_OP_FNO) {
        static const char *keys[] = {"type", "dim", "width", "modes", "layers", "proj_width", NULL};
        if ((st = nt_yaml_check_keys(d, n, keys, "an fno model"))) return st;
        const nt_ynode *x;
        if ((x = nt_ynode_get(n, "dim"))) {
            p->pos_dim = pos_of(x);
            if ((st = get_i32(d, n, "dim", 1, 2, &p->dim))) return st;
        }
        if ((st = get_i32(d, n, "width", 1, 4096, &p->width))) return st;
        if ((st = get_i32(d, n, "layers", 1, NT_FNO_MAX_LAYERS, &p->layers))) return st;
        if ((st = get_i32(d, n, "proj_width", 1, 65536, &p->proj_width))) return st;
        if ((x = nt_ynode_get(n, "modes"))) {
            p->pos_modes = pos_of(x);
            int64_t v;
            if (x->kind == NT_Y_SEQ) {
                if (x->n < 1 || x->n > 2) return nt_yaml_error(d, x, "modes must be a number or [modes_x, modes_y]");
                if ((st = nt_yaml_int(d, x->items[0], "modes", 1, 1 << 20, &v))) return st;
                p->modes1 = (int)v;
                p->modes2 = 0;
                if (x->n == 2) {
                    if ((st = nt_yaml_int(d, x->items[1], "modes", 1, 1 << 20, &v))) return st;
                    p->modes2 = (int)v;
                    if (p->dim == 1) return nt_yaml_error(d, x, "a 1-D FNO takes one number of modes");
                }
            } else {
                if ((st = nt_yaml_int(d, x, "modes", 1, 1 << 20, &v))) return st;
                p->modes1 = (int)v;
            }
        }
    } else {
        static const char *keys[] = {"type", "p", "branch_width", "branch_depth", "trunk_width", "trunk_depth",
                                     "activation", NULL};
        if ((st = nt_yaml_check_keys(d, n, keys, "a deeponet model"))) return st;
        if ((st = get_i32(d, n, "p", 1, 65536, &p->p))) return st;
        if ((st = get_i32(d, n, "branch_width", 1, 65536, &p->branch_width))) return st;
        if ((st = get_i32(d, n, "branch_depth", 1, 60, &p->branch_depth))) return st;
        if ((st = get_i32(d, n, "trunk_width", 1, 65536, &p->trunk_width))) return st;
        if ((st = get_i32(d, n, "trunk_depth", 1, 60, &p->trunk_depth))) return st;
        const nt_ynode *x;
        if ((x = nt_ynode_get(n, "activation"))) {
            if ((st = nt_yaml_str(d, x, "activation", &s))) return st;
            if (nt_act_parse(s, &p->act) != NT_OK || p->act == NT_ACT_IDENTITY)
                return nt_yaml_error(d, x, "unknown activation '%s' (tanh, sin, cos, sigmoid, gelu, swish, exp)", s);
        }
    }
    return NT_OK;
}

static nt_status load_generate(nt_op_problem *p, const nt_ydoc *d, const nt_ynode *g)
{
    nt_status st;
    if (g->kind != NT_Y_MAP) return nt_yaml_error(d, g, "generate must be a mapping, e.g. {set: burgers, n: 1200, seed: 0}");
    const nt_ynode *x = nt_ynode_get(g, "set");
    const char *s;
    if (!x) return nt_yaml_error(d, g, "generate: missing 'set' (burgers or darcy)");
    if ((st = nt_yaml_str(d, x, "set", &s))) return st;
    if (!strcmp(s, "burgers")) p->gen_darcy = 0;
    else if (!strcmp(s, "darcy")) p->gen_darcy = 1;
    else return nt_yaml_error(d, x, "generate: unknown set '%s' (burgers or darcy)", s);
    static const char *kb[] = {"set", "n", "res", "fine", "seed", "dt", "nu", "t_end", "grf_sigma", "grf_tau", "grf_alpha",
                               "times", "threads", NULL};
    static const char *kd[] = {"set", "n", "res", "fine", "seed", "threads", NULL};
    if ((st = nt_yaml_check_keys(d, g, p->gen_darcy ? kd : kb, p->gen_darcy ? "generate (darcy)" : "generate (burgers)")))
        return st;
    const nt_ynode *nn = nt_ynode_get(g, "n");
    if (!nn) return nt_yaml_error(d, g, "generate: missing 'n' (number of samples, train + test)");
    int64_t n = 0, seed = 0, threads = 0;
    int res = p->gen_darcy ? p->gen_d.res : p->gen_b.res, fine = p->gen_darcy ? p->gen_d.fine : p->gen_b.fine;
    if ((st = nt_yaml_int(d, nn, "n", 1, 1000000000, &n))) return st;
    if ((st = get_int(d, g, "seed", 0, INT64_MAX, &seed))) return st;
    if ((st = get_i32(d, g, "res", 2, 1 << 24, &res))) return st;
    if ((st = get_i32(d, g, "fine", 3, 1 << 24, &fine))) return st;
    if ((st = get_int(d, g, "threads", 1, 1024, &threads))) return st;
    p->gen_threads_given = threads > 0;
    const nt_ynode *rn = nt_ynode_get(g, "res") ? nt_ynode_get(g, "res") : g;
    const nt_ynode *fn = nt_ynode_get(g, "fine") ? nt_ynode_get(g, "fine") : g;
    if (p->gen_darcy) {
        if (res > fine) return nt_yaml_error(d, rn, "res (%d) must not exceed fine (%d)", res, fine);
        if ((fine - 1) % (res - 1))
            return nt_yaml_error(d, rn, "res - 1 (%d) must divide fine - 1 (%d), e.g. fine 421, res 85", res - 1, fine - 1);
        p->gen_d.n = n;
        p->gen_d.seed = (uint64_t)seed;
        p->gen_d.res = res;
        p->gen_d.fine = fine;
        p->gen_d.threads = (int)(threads > 0 ? threads : 1);
    } else {
        if (fine < 4 || fine % 2) return nt_yaml_error(d, fn, "fine must be even and >= 4 (got %d)", fine);
        if (res > fine || fine % res) return nt_yaml_error(d, rn, "res (%d) must divide fine (%d)", res, fine);
        if ((st = get_pos(d, g, "dt", 0, &p->gen_b.dt))) return st;
        if ((st = get_pos(d, g, "nu", 0, &p->gen_b.nu))) return st;
        if ((st = get_pos(d, g, "t_end", 0, &p->gen_b.t_end))) return st;
        if ((st = get_pos(d, g, "grf_sigma", 0, &p->gen_b.sigma))) return st;
        if ((st = get_pos(d, g, "grf_tau", 0, &p->gen_b.tau))) return st;
        if ((st = get_pos(d, g, "grf_alpha", 0, &p->gen_b.alpha))) return st;
        if ((st = get_i32(d, g, "times", 0, 100000, &p->gen_b.times))) return st;
        if (p->gen_b.times == 1) return nt_yaml_error(d, nt_ynode_get(g, "times"), "times must be 0 (u at t_end only) or >= 2");
        p->gen_b.n = n;
        p->gen_b.seed = (uint64_t)seed;
        p->gen_b.res = res;
        p->gen_b.fine = fine;
        p->gen_b.threads = (int)(threads > 0 ? threads : 1);
    }
    p->generate = 1;
    return NT_OK;
}

static nt_status load_data(nt_op_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    if (!n) return nt_yaml_error(d, d->root, "operator: missing 'data' (e.g. data: {dir: ../data/burgers, train: 1000, test: 200})");
    static const char *keys[] = {"dir", "generate", "train", "test", "subsample", "normalize", NULL};
    nt_status st = nt_yaml_check_keys(d, n, keys, "data");
    if (st) return st;
    const nt_ynode *x = nt_ynode_get(n, "dir");
    const char *s;
    if (!x) return nt_yaml_error(d, n, "data: missing 'dir' (the dataset folder with a.npy and u.npy)");
    if ((st = nt_yaml_str(d, x, "dir", &s))) return st;
    if (!s[0]) return nt_yaml_error(d, x, "data: dir must not be empty");
    p->pos_dir = pos_of(x);
    resolve(p->dir, s, p->data_dir, sizeof p->data_dir);
    if ((x = nt_ynode_get(n, "generate")) && (st = load_generate(p, d, x))) return st;
    if ((x = nt_ynode_get(n, "train"))) p->pos_train = pos_of(x);
    if ((x = nt_ynode_get(n, "test"))) p->pos_test = pos_of(x);
    if ((x = nt_ynode_get(n, "subsample"))) p->pos_subsample = pos_of(x);
    if (!p->pos_train.line) p->pos_train = pos_of(n);
    if (!p->pos_test.line) p->pos_test = pos_of(n);
    if (!p->pos_subsample.line) p->pos_subsample = pos_of(n);
    if ((st = get_int(d, n, "train", 1, 1000000000, &p->n_train))) return st;
    if ((st = get_int(d, n, "test", 1, 1000000000, &p->n_test))) return st;
    if ((st = get_i32(d, n, "subsample", 1, 1 << 20, &p->subsample))) return st;
    if ((x = nt_ynode_get(n, "normalize")) && (st = nt_yaml_bool(d, x, "normalize", &p->normalize))) return st;
    if (p->generate) {
        int64_t gn = p->gen_darcy ? p->gen_d.n : p->gen_b.n;
        if (p->n_train + p->n_test > gn) {
            const nt_ynode *t = nt_ynode_get(n, "train") ? nt_ynode_get(n, "train") : n;
            return nt_yaml_error(d, t, "train (%lld) + test (%lld) exceed the %lld samples that generate: makes",
                                 (long long)p->n_train, (long long)p->n_test, (long long)gn);
        }
    }
    return NT_OK;
}

static nt_status load_train(nt_op_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    if (!n) return NT_OK;
    static const char *keys[] = {"epochs", "batch", "lr", "decay_rate", "decay_every", "weight_decay", "dtype", "seed",
                                 "log_every", "eval_every", "checkpoint_every", NULL};
    nt_status st = nt_yaml_check_keys(d, n, keys, "train");
    if (st) return st;
    int64_t seed = (int64_t)p->seed;
    if ((st = get_int(d, n, "epochs", 1, 1000000000, &p->epochs))) return st;
    if ((st = get_int(d, n, "batch", 1, 1000000000, &p->batch))) return st;
    if ((st = get_pos(d, n, "lr", 0, &p->lr))) return st;
    if ((st = get_pos(d, n, "decay_rate", 0, &p->decay_rate))) return st;
    const nt_ynode *x;
    if ((x = nt_ynode_get(n, "decay_rate")) && p->decay_rate > 1)
        return nt_yaml_error(d, x, "decay_rate must be in (0, 1] (got %s)", x->str);
    if ((st = get_int(d, n, "decay_every", 1, 1000000000, &p->decay_every))) return st;
    if ((st = get_pos(d, n, "weight_decay", 1, &p->weight_decay))) return st;
    if ((st = get_int(d, n, "seed", 0, INT64_MAX, &seed))) return st;
    p->seed = (uint64_t)seed;
    if ((st = get_int(d, n, "log_every", 0, 1000000000, &p->log_every))) return st;
    if ((st = get_int(d, n, "eval_every", 0, 1000000000, &p->eval_every))) return st;
    if ((st = get_int(d, n, "checkpoint_every", 1, 1000000000, &p->checkpoint_every))) return st;
    if ((x = nt_ynode_get(n, "dtype"))) {
        const char *s;
        if ((st = nt_yaml_str(d, x, "dtype", &s))) return st;
        if (nt_dtype_parse(s, &p->dtype)) return nt_yaml_error(d, x, "dtype must be float32 or float64 (got '%s')", s);
    }
    return NT_OK;
}

static nt_status load_physics(nt_op_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    if (!n) return NT_OK;
    p->pos_physics = pos_of(n);
    if (n->kind != NT_Y_MAP) return nt_yaml_error(d, n, "physics must be a mapping, e.g. {weight: 1, ic_weight: 10}");
    static const char *keys[] = {"weight", "ic_weight", "data_weight", "nu", NULL};
    nt_status st = nt_yaml_check_keys(d, n, keys, "physics");
    if (st) return st;
    p->physics = 1;
    if ((st = get_pos(d, n, "weight", 1, &p->phys_w))) return st;
    if ((st = get_pos(d, n, "ic_weight", 1, &p->phys_ic_w))) return st;
    if ((st = get_pos(d, n, "data_weight", 1, &p->phys_data_w))) return st;
    const nt_ynode *x = nt_ynode_get(n, "nu");
    if (x) {
        p->pos_phys_nu = pos_of(x);
        if ((st = get_pos(d, n, "nu", 0, &p->phys_nu))) return st;
    }
    if (p->phys_w + p->phys_ic_w + p->phys_data_w <= 0) return nt_yaml_error(d, n, "physics: all weights are zero");
    if (p->kind != NT_OP_FNO) return nt_yaml_error(d, n, "physics: only an FNO model takes a physics loss");
    return NT_OK;
}

static nt_status load_output(nt_op_problem *p, const nt_ydoc *d, const nt_ynode *n)
{
    if (!n) return NT_OK;
    static const char *keys[] = {"figures", "speed", NULL};
    nt_status st = nt_yaml_check_keys(d, n, keys, "output");
    if (st) return st;
    if ((st = get_i32(d, n, "figures", 0, 32, &p->figures))) return st;
    const nt_ynode *x = nt_ynode_get(n, "speed");
    if (x && x->kind == NT_Y_SCALAR && x->style == NT_Y_PLAIN && (!strcmp(x->str, "false") || !strcmp(x->str, "no"))) {
        p->speed = 0;
        return NT_OK;
    }
    return get_int(d, n, "speed", 0, 1000000, &p->speed);
}

static nt_status load_doc(nt_op_problem *p, const nt_ydoc *d)
{
    const nt_ynode *root = d->root;
    if (root->kind != NT_Y_MAP) return nt_yaml_error(d, root, "an operator file is a mapping (name:, operator:)");
    static const char *top[] = {"name", "description", "operator", NULL};
    nt_status st = nt_yaml_check_keys(d, root, top, "an operator file");
    if (st) return st;
    const nt_ynode *x;
    const char *s;
    if ((x = nt_ynode_get(root, "name"))) {
        if ((st = nt_yaml_str(d, x, "name", &s))) return st;
        if (!s[0] || strlen(s) >= sizeof p->name || strchr(s, '/'))
            return nt_yaml_error(d, x, "name must be 1 to %d characters without '/'", (int)sizeof p->name - 1);
        snprintf(p->name, sizeof p->name, "%s", s);
    } else {
        const char *b = strrchr(p->path, '/');
        b = b ? b + 1 : p->path;
        snprintf(p->name, sizeof p->name, "%s", b);
        char *dot = strrchr(p->name, '.');
        if (dot && dot != p->name) *dot = 0;
    }
    if ((x = nt_ynode_get(root, "description")) && (st = nt_yaml_str(d, x, "description", &s))) return st;
    const nt_ynode *op = nt_ynode_get(root, "operator");
    if (!op) return nt_yaml_error(d, root, "missing 'operator'");
    static const char *ok[] = {"model", "data", "train", "physics", "output", NULL};
    if ((st = nt_yaml_check_keys(d, op, ok, "operator"))) return st;
    if ((st = load_model(p, d, nt_ynode_get(op, "model")))) return st;
    if ((st = load_data(p, d, nt_ynode_get(op, "data")))) return st;
    if ((st = load_train(p, d, nt_ynode_get(op, "train")))) return st;
    if ((st = load_physics(p, d, nt_ynode_get(op, "physics")))) return st;
    if ((st = load_output(p, d, nt_ynode_get(op, "output")))) return st;
    return NT_OK;
}

nt_status nt_op_problem_load_string(nt_op_problem *p, const char *text, const char *name, const char *dir)
{
    op_defaults(p);
    snprintf(p->path, sizeof p->path, "%s", name);
    snprintf(p->dir, sizeof p->dir, "%s", dir ? dir : "");
    nt_ydoc d;
    nt_status st = nt_yaml_load_string(&d, text, name);
    if (st) return st;
    st = load_doc(p, &d);
    nt_yaml_free(&d);
    return st;
}

nt_status nt_op_problem_load(nt_op_problem *p, const char *path)
{
    char *text = nt_read_file(path, NULL);
    if (!text) return nt_set_error(NT_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    char dir[NT_OP_PATH];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    else dir[0] = 0;
    nt_status st = nt_op_problem_load_string(p, text, path, dir);
    free(text);
    return st;
}

int nt_op_is_operator_file(const char *path)
{
    nt_ydoc d;
    if (nt_yaml_load(&d, path)) return 0;
    int yes = d.root && d.root->kind == NT_Y_MAP && nt_ynode_get(d.root, "operator") != NULL;
    nt_yaml_free(&d);
    return yes;
}

int nt_op_is_operator_run(const char *dir)
{
    char path[NT_OP_PATH + 32];
    snprintf(path, sizeof path, "%s/problem.yaml", dir);
    return nt_op_is_operator_file(path);
}

/* "path:line:col: message" at a recorded position */
static nt_status op_error_at(const nt_op_problem *p, nt_op_pos at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static nt_status op_error_at(const nt_op_problem *p, nt_op_pos at, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (at.line > 0) return nt_set_error(NT_ERR_FORMAT, "%s:%d:%d: %s", p->path, at.line, at.col, msg);
    return nt_set_error(NT_ERR_FORMAT, "%s: %s", p->path, msg);
}

/* ------------------------------------------------------------------------------ */
/* Dataset                                                                          */

typedef struct op_data {
    int dim;                   /* of the input a (1 for a space-time Burgers set) */
    int64_t nt;                /* space-time set: time snapshots of u (u.npy [N, nt, res]); 0 otherwise */
    int64_t N, res;            /* samples, points per axis in the files */
    int64_t s;                 /* training resolution per axis: ceil(res / subsample) */
    int64_t npt, npt_full;     /* output points per sample: s^dim, res^dim (times nt for space-time) */
    int64_t npa, npa_full;     /* input points per sample: s^dim, res^dim */
    double nu, t_end;          /* Burgers viscosity and final time (meta.json or generate:); NaN if unknown */
    int64_t test0;             /* dataset index of the first test sample (the last n_test) */
    double *a_tr, *u_tr;       /* n_train × npt */
    double *a_te, *u_te;       /* n_test × npt */
    double *a_full, *u_full;   /* n_test × npt_full (only when subsample > 1) */
    double gen_s;              /* seconds spent generating (0 if loaded) */
} op_data;

static void data_free(op_data *d)
{
    free(d->a_tr);
    free(d->u_tr);
    free(d->a_te);
    free(d->u_te);
    free(d->a_full);
    free(d->u_full);
    memset(d, 0, sizeof *d);
}

static int64_t ipow(int64_t b, int e) { return e == 2 ? b * b : b; }

/* Every k-th point per axis, starting at 0: res -> ceil(res / k) points per axis. */
static void subsample(const double *src, int dim, int64_t res, int k, double *dst);

/* Space-time: every k-th point in x of each of the nt snapshots. */
static void subsample_st(const double *src, int64_t nt, int64_t res, int k, double *dst)
{
    int64_t s = (res + k - 1) / k;
    for (int64_t i = 0; i < nt; i++) subsample(src + i * res, 1, res, k, dst + i * s);
}

static void subsample(const double *src, int dim, int64_t res, int k, double *dst)
{
    int64_t s = (res + k - 1) / k;
    if (dim == 1) {
        for (int64_t j = 0; j < s; j++) dst[j] = src[j * k];
    } else {
        for (int64_t i = 0; i < s; i++)
            for (int64_t j = 0; j < s; j++) dst[i * s + j] = src[(i * k) * res + j * k];
    }
}

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Makes the dataset with the data module when the folder has no a.npy / u.npy yet. */
static nt_status ensure_dataset(const nt_op_problem *p, op_data *d)
{
    char ap[NT_OP_PATH + 16], up[NT_OP_PATH + 16];
    snprintf(ap, sizeof ap, "%s/a.npy", p->data_dir);
    snprintf(up, sizeof up, "%s/u.npy", p->data_dir);
    if (file_exists(ap) && file_exists(up)) return NT_OK;
    if (!p->generate)
        return op_error_at(p, p->pos_dir,
                           "no dataset in '%s' (a.npy and u.npy); make one with `noether data burgers|darcy --out %s`, "
                           "or add generate: {set: burgers, n: N, seed: S} to data",
                           p->data_dir, p->data_dir);
    double t0 = nt_time_now();
    nt_status st;
    if (p->gen_darcy) {
        nt_data_darcy_config c = p->gen_d;
        if (!p->gen_threads_given) c.threads = nt_threads_get();
        fprintf(stderr, "generating the darcy dataset in %s: %lld samples, %d x %d nodes solved, sampled to %d x %d, seed %llu, %d threads\n",
                p->data_dir, (long long)c.n, c.fine, c.fine, c.res, c.res, (unsigned long long)c.seed, c.threads);
        st = nt_data_darcy_generate(&c, p->data_dir, 0, NULL);
    } else {
        nt_data_burgers_config c = p->gen_b;
        if (!p->gen_threads_given) c.threads = nt_threads_get();
        fprintf(stderr, "generating the burgers dataset in %s: %lld samples, %d points solved (dt %g), sampled to %d, seed %llu, %d threads\n",
                p->data_dir, (long long)c.n, c.fine, c.dt, c.res, (unsigned long long)c.seed, c.threads);
        st = nt_data_burgers_generate(&c, p->data_dir, 0, NULL);
    }
    if (st) return st;
    d->gen_s = nt_time_now() - t0;
    fprintf(stderr, "dataset written in %.1f s\n", d->gen_s);
    return NT_OK;
}

static nt_status read_npy_f64(nt_npy *a, const char *path)
{
    nt_status st = nt_npy_read(a, path);
    if (st) return st;
    if (a->dtype == NT_F32) {
        double *x = malloc((size_t)(a->count ? a->count : 1) * sizeof(double));
        if (!x) {
            nt_npy_free(a);
            return nt_set_error(NT_ERR_NOMEM, "out of memory reading '%s'", path);
        }
        for (int64_t i = 0; i < a->count; i++) x[i] = ((const float *)a->data)[i];
        free(a->data);
        a->data = x;
        a->dtype = NT_F64;
    }
    return NT_OK;
}

/* Checks the model against the dataset's dimension and the training resolution. */
static nt_status check_model_vs_grid(const nt_op_problem *p, const op_data *d)
{
    int dim = d->dim;
    int64_t s = d->s, res = d->res;
    if (d->nt) {
        if (p->kind != NT_OP_FNO)
            return op_error_at(p, p->pos_model, "the dataset in '%s' is a space-time set (u [N, %lld, %lld]): only an FNO "
                               "(type: fno, over (t, x)) can learn it", p->data_dir, (long long)d->nt, (long long)res);
        if (p->dim == 1)
            return op_error_at(p, p->pos_dim, "the dataset in '%s' is a space-time set: the FNO is 2-D over (t, x) "
                               "(dim: 2 or no dim)", p->data_dir);
        int m2 = p->modes2 ? p->modes2 : p->modes1;
        if (2 * (int64_t)p->modes1 > d->nt || m2 > s / 2 + 1)
            return op_error_at(p, p->pos_modes.line ? p->pos_modes : p->pos_model,
                               "modes [%d, %d] (t, x) need at least %d times and %d points, but the space-time grid is "
                               "%lld times x %lld points (dataset %lld, subsample %d)",
                               p->modes1, m2, 2 * p->modes1, NT_MAX(2 * m2 - 2, 2), (long long)d->nt, (long long)s,
                               (long long)res, p->subsample);
        if (s < 4 || s % 2)
            return op_error_at(p, p->pos_subsample, "subsample %d leaves %lld points in x; a space-time set needs an even "
                               "number >= 4", p->subsample, (long long)s);
        return NT_OK;
    }
    if (p->dim && p->dim != dim)
        return op_error_at(p, p->pos_dim, "model dim %d does not match the dataset in '%s' (%d-D)", p->dim, p->data_dir, dim);
    if (s < 2)
        return op_error_at(p, p->pos_subsample, "subsample %d leaves %lld point%s per axis of the dataset's %lld", p->subsample,
                           (long long)s, s == 1 ? "" : "s", (long long)res);
    if (p->kind == NT_OP_FNO) {
        int m2 = p->modes2 ? p->modes2 : p->modes1;
        if (dim == 1 && p->modes1 > s / 2 + 1)
            return op_error_at(p, p->pos_modes.line ? p->pos_modes : p->pos_model,
                               "%d modes need at least %d points, but the training resolution is %lld (dataset %lld, subsample %d)",
                               p->modes1, 2 * p->modes1 - 2, (long long)s, (long long)res, p->subsample);
        if (dim == 2 && (2 * (int64_t)p->modes1 > s || m2 > s / 2 + 1))
            return op_error_at(p, p->pos_modes.line ? p->pos_modes : p->pos_model,
                               "modes %d x %d need at least %d x %d points, but the training resolution is %lld x %lld "
                               "(dataset %lld, subsample %d)",
                               p->modes1, m2, 2 * p->modes1, NT_MAX(2 * m2 - 2, 2 * p->modes1), (long long)s, (long long)s,
                               (long long)res, p->subsample);
    }
    return NT_OK;
}

static double json_find_num(const char *text, const char *key);

static int same_num(double a, double b) { return fabs(a - b) <= 1e-12 * fmax(fabs(a), fabs(b)); }

/* meta.json against what the file states: generate:'s parameters (all of them: the
 * block describes the set) and physics.nu. Also reads nu and t_end for the physics
 * loss (d->nu, d->t_end; NaN when unknown). */
static nt_status check_meta(const nt_op_problem *p, op_data *d)
{
    d->nu = d->t_end = NAN;
    char path[NT_OP_PATH + 16];
    snprintf(path, sizeof path, "%s/meta.json", p->data_dir);
    char *t = nt_read_file(path, NULL);
    if (!t) {
        if (p->generate)
            return op_error_at(p, p->pos_dir, "the dataset in '%s' has no meta.json: cannot check it against generate: "
                               "(remove the folder to regenerate it)", p->data_dir);
        if (!p->gen_darcy && !d->nt) return NT_OK;
        return NT_OK;
    }
    nt_status st = NT_OK;
    int is_b = strstr(t, "\"dataset\": \"burgers\"") != NULL, is_d = strstr(t, "\"dataset\": \"darcy\"") != NULL;
    if (is_b) {
        d->nu = json_find_num(t, "nu");
        d->t_end = json_find_num(t, "t_end");
    }
    if (p->generate) {
        char what[64] = "";
        double got = NAN, want = NAN;
        if (p->gen_darcy != is_d || (!p->gen_darcy && !is_b)) {
            st = op_error_at(p, p->pos_dir, "the dataset in '%s' is not a %s set (meta.json); remove the folder to regenerate it "
                             "or point dir elsewhere", p->data_dir, p->gen_darcy ? "darcy" : "burgers");
            goto done;
        }
#define CMP(key, val)                                                                   \
    if (!what[0]) {                                                                    \
        double g_ = json_find_num(t, key);                                              \
        if (!(isnan(g_) && (val) == 0) && !same_num(g_, (val))) {                       \
            snprintf(what, sizeof what, "%s", key);                                     \
            got = g_;                                                                   \
            want = (val);                                                               \
        }                                                                               \
    }
        if (p->gen_darcy) {
            CMP("seed", (double)p->gen_d.seed);
            CMP("fine_nodes", (double)p->gen_d.fine);
            CMP("sigma", p->gen_d.sigma);
            CMP("tau", p->gen_d.tau);
            CMP("alpha", p->gen_d.alpha);
            CMP("a_pos", p->gen_d.a_pos);
            CMP("a_neg", p->gen_d.a_neg);
        } else {
            CMP("seed", (double)p->gen_b.seed);
            CMP("fine_points", (double)p->gen_b.fine);
            CMP("nu", p->gen_b.nu);
            CMP("t_end", p->gen_b.t_end);
            CMP("dt", p->gen_b.dt);
            CMP("sigma", p->gen_b.sigma);
            CMP("tau", p->gen_b.tau);
            CMP("alpha", p->gen_b.alpha);
            CMP("times", (double)(p->gen_b.times >= 2 ? p->gen_b.times : 0));
        }
#undef CMP
        if (what[0]) {
            st = op_error_at(p, p->pos_dir,
                             "the dataset in '%s' was made with %s = %.17g (meta.json), generate: describes %.17g; remove the "
                             "folder to regenerate it or point dir elsewhere",
                             p->data_dir, what, got, want);
            goto done;
        }
    }
    if (p->physics && p->phys_nu > 0 && isfinite(d->nu) && !same_num(d->nu, p->phys_nu)) {
        st = op_error_at(p, p->pos_phys_nu, "physics: nu = %.17g, but the dataset in '%s' was made with nu = %.17g (meta.json)",
                         p->phys_nu, p->data_dir, d->nu);
        goto done;
    }
done:
    free(t);
    return st;
}

/* The physics block against the dataset: a space-time Burgers set with known nu and
 * t_end. */
static nt_status check_physics(const nt_op_problem *p, op_data *d)
{
    if (!p->physics) return NT_OK;
    if (!d->nt)
        return op_error_at(p, p->pos_physics, "physics: needs a space-time Burgers set (u.npy [N, times, s]: "
                           "`noether data burgers --times K` or generate: {times: K}); the dataset in '%s' has u at one time",
                           p->data_dir);
    if (p->phys_nu > 0) d->nu = p->phys_nu;
    if (!isfinite(d->nu) && p->generate && !p->gen_darcy) d->nu = p->gen_b.nu;
    if (!isfinite(d->t_end) && p->generate && !p->gen_darcy) d->t_end = p->gen_b.t_end;
    if (!isfinite(d->nu) || !(d->t_end > 0))
        return op_error_at(p, p->pos_physics, "physics: the dataset in '%s' has no meta.json with nu and t_end; state nu "
                           "(physics: {nu: ...}) and keep the folder's meta.json", p->data_dir);
    return NT_OK;
}

/* Loads (generating first if needed) and splits the dataset: the first n_train
 * samples train, the last n_test test (as in the FNO paper's scripts). */
static nt_status data_load(const nt_op_problem *p, op_data *d)
{
    memset(d, 0, sizeof *d);
    nt_status st = ensure_dataset(p, d);
    if (st) return st;
    char ap[NT_OP_PATH + 16], up[NT_OP_PATH + 16];
    snprintf(ap, sizeof ap, "%s/a.npy", p->data_dir);
    snprintf(up, sizeof up, "%s/u.npy", p->data_dir);
    nt_npy A, U;
    memset(&U, 0, sizeof U);
    if ((st = read_npy_f64(&A, ap))) return st;
    if ((st = read_npy_f64(&U, up))) goto out;
    if (A.ndim == 2 && U.ndim == 3 && U.shape[0] == A.shape[0] && U.shape[2] == A.shape[1]) {
        d->nt = U.shape[1]; /* a space-time Burgers set */
        if (d->nt < 3) {
            st = nt_set_error(NT_ERR_FORMAT, "%s: a space-time set needs at least 3 times (got %lld)", up, (long long)d->nt);
            goto out;
        }
    } else if (A.ndim != U.ndim || memcmp(A.shape, U.shape, sizeof(int64_t) * (size_t)A.ndim)) {
        st = nt_set_error(NT_ERR_FORMAT, "%s and %s have different shapes (and are not a space-time set: a [N, s], u [N, nt, s])",
                          ap, up);
        goto out;
    }
    if (A.ndim < 2 || A.ndim > 3 || (A.ndim == 3 && A.shape[1] != A.shape[2]) || A.shape[1] < 2) {
        st = nt_set_error(NT_ERR_FORMAT, "%s: expected shape [N, s] (1-D) or [N, s, s] (2-D), got %d dimensions%s", ap, A.ndim,
                          A.ndim == 3 ? " of unequal sizes" : "");
        goto out;
    }
    d->dim = A.ndim - 1;
    d->N = A.shape[0];
    d->res = A.shape[1];
    if (p->generate) {
        int64_t gn = p->gen_darcy ? p->gen_d.n : p->gen_b.n, gr = p->gen_darcy ? p->gen_d.res : p->gen_b.res;
        int gd = p->gen_darcy ? 2 : 1;
        int64_t gt = p->gen_darcy || p->gen_b.times < 2 ? 0 : p->gen_b.times;
        if (gt != d->nt) {
            st = op_error_at(p, p->pos_dir,
                             "the dataset in '%s' has %lld output times, generate: describes %lld (0: u at t_end only); "
                             "remove the folder to regenerate it or point dir elsewhere",
                             p->data_dir, (long long)d->nt, (long long)gt);
            goto out;
        }
        if (gn != d->N || gr != d->res || gd != d->dim) {
            st = op_error_at(p, p->pos_dir,
                             "the dataset in '%s' (%lld samples, %lld points per axis, %d-D) is not the one generate: "
                             "describes (%lld, %lld, %d-D); remove the folder to regenerate it or point dir elsewhere",
                             p->data_dir, (long long)d->N, (long long)d->res, d->dim, (long long)gn, (long long)gr, gd);
            goto out;
        }
    }
    if ((st = check_meta(p, d))) goto out;
    if ((st = check_physics(p, d))) goto out;
    if (p->n_train + p->n_test > d->N) {
        st = op_error_at(p, p->pos_train, "train (%lld) + test (%lld) exceed the %lld samples in '%s'", (long long)p->n_train,
                         (long long)p->n_test, (long long)d->N, ap);
        goto out;
    }
    d->s = (d->res + p->subsample - 1) / p->subsample;
    if ((st = check_model_vs_grid(p, d))) goto out;
    d->npa = ipow(d->s, d->dim);
    d->npa_full = ipow(d->res, d->dim);
    d->npt = d->npa * (d->nt ? d->nt : 1);
    d->npt_full = d->npa_full * (d->nt ? d->nt : 1);
    d->test0 = d->N - p->n_test;
    d->a_tr = malloc((size_t)(p->n_train * d->npa) * sizeof(double));
    d->u_tr = malloc((size_t)(p->n_train * d->npt) * sizeof(double));
    d->a_te = malloc((size_t)(p->n_test * d->npa) * sizeof(double));
    d->u_te = malloc((size_t)(p->n_test * d->npt) * sizeof(double));
    if (!d->a_tr || !d->u_tr || !d->a_te || !d->u_te) {
        st = nt_set_error(NT_ERR_NOMEM, "out of memory for the dataset");
        goto out;
    }
    const double *a = A.data, *u = U.data;
    for (int64_t i = 0; i < p->n_train; i++) {
        subsample(a + i * d->npa_full, d->dim, d->res, p->subsample, d->a_tr + i * d->npa);
        if (d->nt) subsample_st(u + i * d->npt_full, d->nt, d->res, p->subsample, d->u_tr + i * d->npt);
        else subsample(u + i * d->npt_full, d->dim, d->res, p->subsample, d->u_tr + i * d->npt);
    }
    for (int64_t i = 0; i < p->n_test; i++) {
        subsample(a + (d->test0 + i) * d->npa_full, d->dim, d->res, p->subsample, d->a_te + i * d->npa);
        if (d->nt) subsample_st(u + (d->test0 + i) * d->npt_full, d->nt, d->res, p->subsample, d->u_te + i * d->npt);
        else subsample(u + (d->test0 + i) * d->npt_full, d->dim, d->res, p->subsample, d->u_te + i * d->npt);
    }
    if (p->subsample > 1) {
        size_t ba = (size_t)(p->n_test * d->npa_full) * sizeof(double), bu = (size_t)(p->n_test * d->npt_full) * sizeof(double);
        d->a_full = malloc(ba);
        d->u_full = malloc(bu);
        if (!d->a_full || !d->u_full) {
            st = nt_set_error(NT_ERR_NOMEM, "out of memory for the dataset");
            goto out;
        }
        memcpy(d->a_full, a + d->test0 * d->npa_full, ba);
        memcpy(d->u_full, u + d->test0 * d->npt_full, bu);
    }
    for (int64_t i = 0; i < p->n_test; i++) {
        double ss = 0;
        for (int64_t j = 0; j < d->npt; j++) ss += d->u_te[i * d->npt + j] * d->u_te[i * d->npt + j];
        if (!(ss > 0) || !isfinite(ss)) {
            st = nt_set_error(NT_ERR_FORMAT, "%s: test sample %lld is all zero or not finite (relative errors undefined)", up,
                              (long long)(d->test0 + i));
            goto out;
        }
    }
out:
    nt_npy_free(&A);
    nt_npy_free(&U);
    if (st) data_free(d);
    return st;
}

/* ------------------------------------------------------------------------------ */
/* Model                                                                            */

typedef struct op_model {
    nt_op_model_kind kind;
    int dim;           /* of the input (1 for space-time) */
    int64_t nt;        /* space-time: output times (the FNO is 2-D over (t, x)); 0 otherwise */
    int64_t s_train;   /* DeepONet: sensor grid per axis */
    int normalize;
    double norm[4];    /* mean and std of the inputs, mean and std of the outputs */
    nt_params params;
    nt_fno fno;
    nt_deeponet don;
    double *buf;       /* scratch: normalised inputs / sensors / coordinates */
    size_t buf_cap;
} op_model;

static void model_free(op_model *m)
{
    nt_params_free(&m->params);
    free(m->buf);
    memset(m, 0, sizeof *m);
}

static nt_fno_config fno_config(const nt_op_problem *p, int dim, int64_t nt)
{
    if (nt) dim = 2;
    nt_fno_config c = nt_fno_config_default(dim);
    c.width = p->width;
    c.modes1 = p->modes1;
    c.modes2 = dim == 2 ? (p->modes2 ? p->modes2 : p->modes1) : 0;
    c.layers = p->layers;
    c.proj_width = p->proj_width;
    return c;
}

static nt_deeponet_config don_config(const nt_op_problem *p, int dim, int64_t s)
{
    nt_deeponet_config c;
    memset(&c, 0, sizeof c);
    c.n_sensors = (int)ipow(s, dim);
    c.coord_dim = dim;
    c.p = p->p;
    c.branch_width = p->branch_width;
    c.branch_depth = p->branch_depth;
    c.trunk_width = p->trunk_width;
    c.trunk_depth = p->trunk_depth;
    c.act = p->act;
    c.init = NT_INIT_GLOROT_NORMAL;
    return c;
}

static nt_status model_init(op_model *m, const nt_op_problem *p, int dim, int64_t s_train, int64_t nt, nt_dtype dt,
                            uint64_t seed)
{
    memset(m, 0, sizeof *m);
    m->kind = p->kind;
    m->dim = dim;
    m->nt = nt;
    m->s_train = s_train;
    m->normalize = p->normalize;
    m->norm[0] = 0, m->norm[1] = 1, m->norm[2] = 0, m->norm[3] = 1;
    nt_rng rng;
    nt_rng_init(&rng, seed);
    nt_status st;
    if (p->kind == NT_OP_FNO) {
        nt_fno_config c = fno_config(p, dim, nt);
        if ((st = nt_params_init(&m->params, dt, nt_fno_param_count(&c)))) return st;
        st = nt_fno_init(&m->fno, &c, &m->params, &rng);
    } else {
        if (ipow(s_train, dim) > (1 << 30)) return nt_set_error(NT_ERR_ARG, "DeepONet: too many sensors");
        nt_deeponet_config c = don_config(p, dim, s_train);
        if ((st = nt_params_init(&m->params, dt, nt_deeponet_param_count(&c)))) return st;
        st = nt_deeponet_init(&m->don, &c, &m->params, &rng);
    }
    if (st) model_free(m);
    return st;
}

static double *model_buf(op_model *m, size_t n)
{
    if (n > m->buf_cap) {
        double *b = realloc(m->buf, n * sizeof(double));
        if (!b) return NULL;
        m->buf = b;
        m->buf_cap = n;
    }
    return m->buf;
}

/* Stride from a grid of s points per axis to the DeepONet's sensor grid; 0 if the
 * sensors are not a subgrid of it. */
static int64_t sensor_stride(const op_model *m, int64_t s)
{
    int64_t st = m->s_train;
    if (s == st) return 1;
    if (m->dim == 1) return s % st == 0 ? s / st : 0;
    return (s - 1) % (st - 1) == 0 ? (s - 1) / (st - 1) : 0;
}

/* Why a grid of s points per axis cannot be used ("" if it can). */
static const char *model_grid_problem(const op_model *m, int64_t s, char *buf, size_t cap)
{
    buf[0] = 0;
    if (m->kind == NT_OP_FNO && m->nt) {
        const nt_fno_config *c = &m->fno.cfg;
        if (s < 4 || s % 2 || c->modes2 > s / 2 + 1)
            snprintf(buf, cap, "the space-time FNO's %d modes in x need an even number of at least %d points (got %lld)",
                     c->modes2, NT_MAX(2 * c->modes2 - 2, 4), (long long)s);
    } else if (m->kind == NT_OP_FNO) {
        const nt_fno_config *c = &m->fno.cfg;
        if (m->dim == 1 && (s < 2 || c->modes1 > s / 2 + 1))
            snprintf(buf, cap, "the FNO's %d modes need at least %d points (got %lld)", c->modes1, NT_MAX(2 * c->modes1 - 2, 2),
                     (long long)s);
        if (m->dim == 2 && (2 * (int64_t)c->modes1 > s || c->modes2 > s / 2 + 1))
            snprintf(buf, cap, "the FNO's modes %d x %d need at least %d points per axis (got %lld)", c->modes1, c->modes2,
                     NT_MAX(2 * c->modes1, 2 * c->modes2 - 2), (long long)s);
    } else if (!sensor_stride(m, s)) {
        if (m->dim == 1)
            snprintf(buf, cap, "the DeepONet reads %lld sensors x_j = j/%lld: inputs need a multiple of %lld points (got %lld)",
                     (long long)m->s_train, (long long)m->s_train, (long long)m->s_train, (long long)s);
        else
            snprintf(buf, cap, "the DeepONet reads a %lld x %lld sensor grid: inputs need (s - 1) a multiple of %lld (got s = %lld)",
                     (long long)m->s_train, (long long)m->s_train, (long long)(m->s_train - 1), (long long)s);
    }
    return buf;
}

/* Decoded predictions for B inputs a (B × s^dim values) on a grid of s points per
 * axis: FNO (B·s^dim × 1), DeepONet (B × s^dim). NULL on error (nt_error_msg). */
static nt_tensor *model_forward(op_model *m, nt_tape *t, const double *a, int64_t B, int64_t s)
{
    int64_t npt = ipow(s, m->dim);
    nt_dtype dt = m->params.dtype;
    double ma = m->norm[0], sa = m->norm[1];
    nt_tensor *out;
    if (m->kind == NT_OP_FNO && m->nt) {
        /* space-time: the input repeated along t, a 2-D FNO over (t, x) */
        int64_t nt = m->nt;
        double *x = model_buf(m, (size_t)(B * nt * s));
        if (!x) {
            nt_set_error(NT_ERR_NOMEM, "out of memory");
            return NULL;
        }
        for (int64_t b = 0; b < B; b++)
            for (int64_t k = 0; k < nt; k++)
                for (int64_t j = 0; j < s; j++) {
                    double v = a[b * s + j];
                    x[(b * nt + k) * s + j] = m->normalize ? (v - ma) / sa : v;
                }
        nt_tensor *in = nt_tensor_from_f64(t, dt, B * nt * s, 1, x);
        out = in ? nt_fno_forward(&m->fno, t, in, nt, s) : NULL;
    } else if (m->kind == NT_OP_FNO) {
        double *x = model_buf(m, (size_t)(B * npt));
        if (!x) {
            nt_set_error(NT_ERR_NOMEM, "out of memory");
            return NULL;
        }
        for (int64_t i = 0; i < B * npt; i++) x[i] = m->normalize ? (a[i] - ma) / sa : a[i];
        nt_tensor *in = nt_tensor_from_f64(t, dt, B * npt, 1, x);
        out = in ? nt_fno_forward(&m->fno, t, in, s, m->dim == 2 ? s : 1) : NULL;
    } else {
        int64_t stride = sensor_stride(m, s), ns = ipow(m->s_train, m->dim);
        if (!stride) {
            char why[256];
            nt_set_error(NT_ERR_ARG, "%s", model_grid_problem(m, s, why, sizeof why));
            return NULL;
        }
        double *x = model_buf(m, (size_t)(B * ns + npt * m->dim));
        if (!x) {
            nt_set_error(NT_ERR_NOMEM, "out of memory");
            return NULL;
        }
        double *y = x + B * ns;
        for (int64_t b = 0; b < B; b++) {
            const double *ab = a + b * npt;
            double *xb = x + b * ns;
            if (m->dim == 1) {
                for (int64_t j = 0; j < ns; j++) xb[j] = ab[j * stride];
            } else {
                int64_t st = m->s_train;
                for (int64_t i = 0; i < st; i++)
                    for (int64_t j = 0; j < st; j++) xb[i * st + j] = ab[(i * stride) * s + j * stride];
            }
            if (m->normalize)
                for (int64_t j = 0; j < ns; j++) xb[j] = (xb[j] - ma) / sa;
        }
        /* query points: 1-D x_j = j/s (the periodic grid of the Burgers set); 2-D the
         * nodes (ix, iy)/(s - 1) of row iy·s + ix (the Darcy set's layout) */
        for (int64_t j = 0; j < npt; j++) {
            if (m->dim == 1) y[j] = (double)j / (double)s;
            else {
                y[2 * j] = (double)(j % s) / (double)(s - 1);
                y[2 * j + 1] = (double)(j / s) / (double)(s - 1);
            }
        }
        nt_tensor *u = nt_tensor_from_f64(t, dt, B, ns, x);
        nt_tensor *q = u ? nt_tensor_from_f64(t, dt, npt, m->dim, y) : NULL;
        out = q ? nt_deeponet_forward(&m->don, t, u, q) : NULL;
    }
    if (out && m->normalize) out = nt_scale(t, out, m->norm[3], m->norm[2]);
    return out;
}

/* Predictions for n inputs in chunks of `chunk`, without gradients, into pred. */
static nt_status model_predict(op_model *m, nt_tape *t, const double *a, int64_t n, int64_t s, int64_t chunk, double *pred)
{
    int64_t npa = ipow(s, m->dim), npt = npa * (m->nt ? m->nt : 1);
    int ge = t->grad_enabled;
    t->grad_enabled = 0;
    nt_status st = NT_OK;
    for (int64_t b0 = 0; b0 < n && !st; b0 += chunk) {
        int64_t B = NT_MIN(chunk, n - b0);
        nt_tape_reset(t);
        nt_tensor *o = model_forward(m, t, a + b0 * npa, B, s);
        if (!o) {
            st = NT_ERR_ARG; /* the message is set by the forward pass */
            break;
        }
        for (int64_t i = 0; i < B * npt; i++) pred[b0 * npt + i] = nt_tensor_get(o, i);
    }
    nt_tape_reset(t);
    t->grad_enabled = ge;
    return st;
}

/* Per-sample relative L2 errors (err may be NULL); returns their mean. */
static double rel_l2_mean(const double *pred, const double *u, int64_t n, int64_t npt, double *err)
{
    double sum = 0;
    for (int64_t i = 0; i < n; i++) {
        double num = 0, den = 0;
        for (int64_t j = 0; j < npt; j++) {
            double dd = pred[i * npt + j] - u[i * npt + j];
            num += dd * dd;
            den += u[i * npt + j] * u[i * npt + j];
        }
        double e = sqrt(num) / sqrt(den);
        if (err) err[i] = e;
        sum += e;
    }
    return n > 0 ? sum / (double)n : NAN;
}

/* ------------------------------------------------------------------------------ */
/* Runs                                                                             */

static volatile sig_atomic_t g_interrupted = 0;

static void on_sigint(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

typedef struct op_meta {
    uint32_t version;
    int32_t dtype;
    uint64_t seed;
    int32_t kind, dim;
    int64_t s_train;
    int64_t epoch;          /* completed epochs */
    int64_t step_in_epoch;  /* mini-batches done in the current epoch */
    int64_t global_step;
    int64_t n_params;
    double train_s;
    double epoch_loss_sum;  /* Σ loss·batch size over the current epoch's batches */
    uint64_t rng_epoch[4];  /* shuffling RNG at the start of the current epoch */
    int64_t hist_cols;
} op_meta;

typedef struct speed_row {
    int64_t s, n;
    double model_1, model_n, solver_1, solver_n;
    double solver_err, input_diff;
    char solver[160], note[200];
} speed_row;

typedef struct oprun {
    nt_op_problem prob;
    op_data data;
    op_model m;
    nt_adam adam;
    int have_adam;
    nt_tape tape;
    int have_tape;
    nt_rng rng;
    op_meta meta;
    char dir[NT_OP_PATH];
    char source_dir[NT_OP_PATH];
    double *hist;
    int64_t hist_rows, hist_cap;
    int64_t *perm;
    double *ba, *bu;        /* gathered batch */
    int progress_bar;
    double bar_last, t_sess0;
    int64_t steps_sess;
    double last_test, last_train, lr;
    /* results */
    double test_err, full_err, base_err;
    double *test_pred, *test_errs;
    speed_row speed[2];
    int n_speed;
    int graph_err;          /* the last step failed to build its graph (not a divergence) */
    /* physics (PINO): test-set PDE residual MSE at the initial parameters and at the
     * end, the IC MSE at the end, the residual of the dataset's own solutions, and
     * the last step's parts */
    double pde0, pde_end, ic_end, pde_truth, ic_truth;
    double step_data, step_pde, step_ic;
} oprun;

static void run_free(oprun *r)
{
    if (r->have_adam) nt_adam_free(&r->adam);
    if (r->have_tape) nt_tape_free(&r->tape);
    model_free(&r->m);
    data_free(&r->data);
    free(r->hist);
    free(r->perm);
    free(r->ba);
    free(r->bu);
    free(r->test_pred);
    free(r->test_errs);
    memset(r, 0, sizeof *r);
}

static void join(char *out, size_t cap, const char *dir, const char *name) { snprintf(out, cap, "%s/%s", dir, name); }

/* ---- history ---- */

static void hist_add(oprun *r, double train, double test)
{
    if (r->hist_rows == r->hist_cap) {
        int64_t cap = r->hist_cap ? 2 * r->hist_cap : 256;
        double *h = realloc(r->hist, (size_t)(cap * HIST_COLS) * sizeof(double));
        if (!h) return;
        r->hist = h;
        r->hist_cap = cap;
    }
    double *row = r->hist + r->hist_rows * HIST_COLS;
    row[0] = (double)r->meta.epoch;
    row[1] = train;
    row[2] = test;
    row[3] = r->lr;
    row[4] = r->meta.train_s;
    r->hist_rows++;
}

static int write_history(oprun *r)
{
    char path[NT_OP_PATH + 32], tmp[NT_OP_PATH + 40];
    join(path, sizeof path, r->dir, "history.csv");
    FILE *f = nt_tmp_open(path, tmp, sizeof tmp);
    if (!f) return -1;
    fprintf(f, "epoch,train_rel_l2,test_rel_l2,lr,time_s\n");
    for (int64_t i = 0; i < r->hist_rows; i++) {
        const double *row = r->hist + i * HIST_COLS;
        fprintf(f, "%lld", (long long)row[0]);
        for (int c = 1; c < HIST_COLS; c++) {
            if (isfinite(row[c])) fprintf(f, ",%.10g", row[c]);
            else fprintf(f, ",");
        }
        fputc('\n', f);
    }
    return nt_tmp_commit(f, tmp, path);
}

/* ---- checkpoints ---- */

static nt_status ckpt_save(oprun *r)
{
    nt_ckpt_writer w;
    nt_status st = nt_ckpt_writer_init(&w);
    if (st) return st;
    nt_params *pp = &r->m.params;
    size_t es = nt_dtype_size(pp->dtype), n = (size_t)pp->n;
    r->meta.n_params = pp->n;
    r->meta.hist_cols = HIST_COLS;
    st = nt_ckpt_add(&w, "op_meta", &r->meta, sizeof r->meta);
    if (!st) st = nt_ckpt_add(&w, "source_dir", r->source_dir, strlen(r->source_dir) + 1);
    if (!st) st = nt_ckpt_add(&w, "norm", r->m.norm, sizeof r->m.norm);
    if (!st) st = nt_ckpt_add(&w, "params", pp->data, n * es);
    if (!st && r->m.nt) st = nt_ckpt_add(&w, "space_time", &r->m.nt, sizeof r->m.nt);
    if (!st && r->prob.physics) st = nt_ckpt_add(&w, "pino0", &r->pde0, sizeof r->pde0);
    if (!st && r->hist_rows) st = nt_ckpt_add(&w, "history", r->hist, (size_t)(r->hist_rows * HIST_COLS) * sizeof(double));
    if (!st && r->have_adam) {
        st = nt_ckpt_add(&w, "adam_step", &r->adam.step, sizeof r->adam.step);
        if (!st) st = nt_ckpt_add(&w, "adam_m", r->adam.m, n * es);
        if (!st) st = nt_ckpt_add(&w, "adam_v", r->adam.v, n * es);
    }
    char path[NT_OP_PATH + 32];
    join(path, sizeof path, r->dir, CKPT_NAME);
    if (!st) st = nt_ckpt_write(&w, path);
    nt_ckpt_writer_free(&w);
    return st;
}

/* Opens a run folder: the checkpoint, problem.yaml (relative paths resolved against
 * the original file's folder) and the model with its parameters. The dataset is not
 * loaded. */
static int open_run(oprun *r, const char *dir, nt_ckpt *c)
{
    char ckpath[NT_OP_PATH + 32], ppath[NT_OP_PATH + 32];
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    join(ckpath, sizeof ckpath, dir, CKPT_NAME);
    nt_status st = nt_ckpt_read(c, ckpath);
    if (st) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        return 1;
    }
    if (nt_ckpt_get(c, ckpath, "op_meta", &r->meta, sizeof r->meta) || r->meta.version != OP_META_VERSION) {
        fprintf(stderr, "noether: %s: not an operator run's checkpoint (or an unreadable one)\n", ckpath);
        return 1;
    }
    size_t sb = 0;
    const char *src = nt_ckpt_find(c, "source_dir", &sb);
    snprintf(r->source_dir, sizeof r->source_dir, "%s", src && sb && src[sb - 1] == 0 ? src : dir);
    join(ppath, sizeof ppath, dir, "problem.yaml");
    char *text = nt_read_file(ppath, NULL);
    if (!text) {
        fprintf(stderr, "noether: cannot read '%s': %s\n", ppath, strerror(errno));
        return 1;
    }
    st = nt_op_problem_load_string(&r->prob, text, ppath, r->source_dir);
    free(text);
    if (st) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        return 1;
    }
    r->prob.seed = r->meta.seed;
    r->prob.dtype = (nt_dtype)r->meta.dtype;
    if ((int)r->prob.kind != r->meta.kind) {
        fprintf(stderr, "noether: %s: the checkpoint's model type does not match problem.yaml\n", ckpath);
        return 1;
    }
    int64_t nt = 0;
    size_t ntb = 0;
    const void *ntp = nt_ckpt_find(c, "space_time", &ntb);
    if (ntp && ntb == sizeof nt) memcpy(&nt, ntp, sizeof nt);
    const void *pp0 = nt_ckpt_find(c, "pino0", &ntb);
    r->pde0 = NAN;
    if (pp0 && ntb == sizeof r->pde0) memcpy(&r->pde0, pp0, sizeof r->pde0);
    if ((st = model_init(&r->m, &r->prob, r->meta.dim, r->meta.s_train, nt, r->prob.dtype, r->prob.seed))) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        return 1;
    }
    nt_params *pp = &r->m.params;
    if (r->meta.n_params != pp->n) {
        fprintf(stderr, "noether: %s: the checkpoint does not match problem.yaml (parameters %lld vs %lld)\n", ckpath,
                (long long)r->meta.n_params, (long long)pp->n);
        return 1;
    }
    st = nt_ckpt_get(c, ckpath, "params", pp->data, (size_t)pp->n * nt_dtype_size(pp->dtype));
    if (!st) st = nt_ckpt_get(c, ckpath, "norm", r->m.norm, sizeof r->m.norm);
    if (st) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        return 1;
    }
    size_t hb = 0;
    const void *h = nt_ckpt_find(c, "history", &hb);
    if (h && r->meta.hist_cols == HIST_COLS && hb % (HIST_COLS * sizeof(double)) == 0 && hb) {
        r->hist = malloc(hb);
        if (!r->hist) return 1;
        memcpy(r->hist, h, hb);
        r->hist_rows = r->hist_cap = (int64_t)(hb / (HIST_COLS * sizeof(double)));
    }
    return 0;
}

/* ---- training ---- */

static void shuffle(int64_t *perm, int64_t n, nt_rng *rng)
{
    for (int64_t i = 0; i < n; i++) perm[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(nt_rng_u64(rng) % (uint64_t)(i + 1));
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

static double epoch_lr(const nt_op_problem *p, int64_t epoch)
{
    return p->lr * pow(p->decay_rate, (double)(epoch / p->decay_every));
}

/* One Adam step on the samples idx[0..B); returns the batch loss (NaN with
 * nt_error_msg set when the graph could not be built). */
static double train_step(oprun *r, const int64_t *idx, int64_t B, double lr)
{
    op_data *d = &r->data;
    const nt_op_problem *p = &r->prob;
    int64_t npt = d->npt, npa = d->npa;
    for (int64_t b = 0; b < B; b++) {
        memcpy(r->ba + b * npa, d->a_tr + idx[b] * npa, (size_t)npa * sizeof(double));
        memcpy(r->bu + b * npt, d->u_tr + idx[b] * npt, (size_t)npt * sizeof(double));
    }
    nt_tape *t = &r->tape;
    nt_tape_reset(t);
    nt_params_zero_grad(&r->m.params);
    nt_tensor *pred = model_forward(&r->m, t, r->ba, B, d->s);
    r->graph_err = 1; /* until the loss exists */
    if (!pred) return NAN;
    nt_tensor *loss = NULL;
    r->step_data = r->step_pde = r->step_ic = NAN;
    if (!p->physics || p->phys_data_w > 0) {
        nt_tensor *y = r->m.kind == NT_OP_FNO ? nt_tensor_from_f64(t, r->m.params.dtype, B * npt, 1, r->bu)
                                              : nt_tensor_from_f64(t, r->m.params.dtype, B, npt, r->bu);
        loss = y ? nt_rel_l2(t, pred, y, B) : NULL;
        if (!loss) return NAN;
        r->step_data = nt_tensor_get(loss, 0);
        if (p->physics && p->phys_data_w != 1.0) loss = nt_scale(t, loss, p->phys_data_w, 0.0);
    }
    if (p->physics) {
        nt_tensor *lp = NULL, *li = NULL;
        if (nt_pino_burgers_loss(t, pred, r->ba, B, d->nt, d->s, d->nu, d->t_end, p->phys_w > 0 ? &lp : NULL,
                                 p->phys_ic_w > 0 ? &li : NULL))
            return NAN;
        if (lp) {
            r->step_pde = nt_tensor_get(lp, 0);
            lp = nt_scale(t, lp, p->phys_w, 0.0);
            loss = loss ? nt_add(t, loss, lp) : lp;
        }
        if (li && loss) {
            r->step_ic = nt_tensor_get(li, 0);
            li = nt_scale(t, li, p->phys_ic_w, 0.0);
            loss = loss ? nt_add(t, loss, li) : li;
        } else if (li) {
            r->step_ic = nt_tensor_get(li, 0);
            loss = nt_scale(t, li, p->phys_ic_w, 0.0);
        }
        if (!loss) return NAN;
    }
    r->graph_err = 0;
    double L = nt_tensor_get(loss, 0);
    if (!isfinite(L)) return L;
    if (nt_tape_backward(t, loss)) {
        r->graph_err = 1;
        return NAN;
    }
    nt_params *pp = &r->m.params;
    if (r->prob.weight_decay > 0) {
        double wd = r->prob.weight_decay;
        NT_DISPATCH(pp->dtype, T, {
            T *g = pp->grad;
            const T *x = pp->data;
            for (int64_t i = 0; i < pp->n; i++) g[i] += (T)wd * x[i];
        });
    }
    r->adam.cfg.sched.lr = lr;
    nt_adam_step(&r->adam);
    return L;
}

static void show_progress(oprun *r, double loss, int final_line)
{
    const nt_op_problem *p = &r->prob;
    int64_t nb = (p->n_train + p->batch - 1) / p->batch;
    double dt = nt_time_now() - r->t_sess0;
    double rate = dt > 0 ? (double)r->steps_sess / dt : 0;
    int64_t left = (p->epochs - r->meta.epoch) * nb - r->meta.step_in_epoch;
    char eta[32], test[64] = "";
    nt_fmt_hms(eta, sizeof eta, rate > 0 ? (double)left / rate : -1);
    if (isfinite(r->last_test)) snprintf(test, sizeof test, "  test %.3e", r->last_test);
    int w = 20;
    int fill = (int)((double)w * (double)r->meta.step_in_epoch / (double)nb);
    char bar[32];
    for (int i = 0; i < w; i++) bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
    bar[w] = 0;
    fprintf(stderr, "\r\033[Kepoch %lld/%lld [%s] %lld/%lld loss %.3e%s  %.1f it/s  ETA %s",
            (long long)NT_MIN(r->meta.epoch + 1, p->epochs), (long long)p->epochs, bar, (long long)r->meta.step_in_epoch,
            (long long)nb, loss, test, rate, eta);
    if (final_line) fputc('\n', stderr);
    fflush(stderr);
}

/* One line per logged epoch; test is NaN when the test set was not evaluated. */
static void log_epoch(oprun *r, double test_now)
{
    const nt_op_problem *p = &r->prob;
    int64_t nb = (p->n_train + p->batch - 1) / p->batch;
    double dt = nt_time_now() - r->t_sess0;
    double rate = dt > 0 ? (double)r->steps_sess / dt : 0;
    int64_t left = (p->epochs - r->meta.epoch) * nb - r->meta.step_in_epoch;
    char eta[32], test[64] = "";
    nt_fmt_hms(eta, sizeof eta, rate > 0 ? (double)left / rate : -1);
    if (isfinite(test_now)) snprintf(test, sizeof test, "  test rel L2 %.4e", test_now);
    char phys[96] = "";
    if (p->physics) snprintf(phys, sizeof phys, " (last batch: data %.3e, pde %.3e, ic %.3e)", r->step_data, r->step_pde, r->step_ic);
    fprintf(stderr, "%sepoch %lld/%lld  train %s %.4e%s%s  lr %.2e  %.2f s/epoch  ETA %s\n", r->progress_bar ? "\r\033[K" : "",
            (long long)r->meta.epoch, (long long)p->epochs, p->physics ? "loss" : "rel L2", r->last_train, phys, test, r->lr,
            rate > 0 ? (double)nb / rate : 0.0, eta);
    fflush(stderr);
}

/* Mean test relative L2 at the training resolution (predictions kept in r->test_pred). */
static nt_status eval_test(oprun *r, double *out)
{
    const nt_op_problem *p = &r->prob;
    op_data *d = &r->data;
    if (!r->test_pred) r->test_pred = malloc((size_t)(p->n_test * d->npt) * sizeof(double));
    if (!r->test_errs) r->test_errs = malloc((size_t)p->n_test * sizeof(double));
    if (!r->test_pred || !r->test_errs) return nt_set_error(NT_ERR_NOMEM, "out of memory");
    nt_status st = model_predict(&r->m, &r->tape, d->a_te, p->n_test, d->s, p->batch, r->test_pred);
    if (st) return st;
    *out = rel_l2_mean(r->test_pred, d->u_te, p->n_test, d->npt, r->test_errs);
    return NT_OK;
}

static void set_normalizer(oprun *r)
{
    const op_data *d = &r->data;
    for (int k = 0; k < 2; k++) {
        const double *x = k ? d->u_tr : d->a_tr;
        int64_t n = r->prob.n_train * (k ? d->npt : d->npa);
        if (k == 1 && r->prob.physics && r->prob.phys_data_w == 0) {
            /* physics only: no solution enters the run, not even its scale */
            r->m.norm[2] = r->m.norm[0];
            r->m.norm[3] = r->m.norm[1];
            break;
        }
        double mean = 0, var = 0;
        for (int64_t i = 0; i < n; i++) mean += x[i];
        mean /= (double)n;
        for (int64_t i = 0; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
        double sd = sqrt(var / (double)n);
        r->m.norm[2 * k] = mean;
        r->m.norm[2 * k + 1] = sd > 0 ? sd : 1.0;
    }
}

/* ---- speed against the classical solver ---- */

/* The number after "key": in a JSON text (NaN if absent). */
static double json_find_num(const char *text, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(text, pat);
    if (!p) return NAN;
    char *end;
    double v = strtod(p + strlen(pat), &end);
    return end == p + strlen(pat) ? NAN : v;
}

/* The data module's configuration the dataset was made with: from generate:, or read
 * back from the folder's meta.json. 0 when unknown (why says so). */
static int solver_config(const oprun *r, int *darcy, nt_data_burgers_config *bc, nt_data_darcy_config *dc, char *why,
                         size_t cap)
{
    const nt_op_problem *p = &r->prob;
    if (p->generate) {
        *darcy = p->gen_darcy;
        *bc = p->gen_b;
        *dc = p->gen_d;
        return 1;
    }
    char path[NT_OP_PATH + 16];
    snprintf(path, sizeof path, "%s/meta.json", p->data_dir);
    char *t = nt_read_file(path, NULL);
    if (!t) {
        snprintf(why, cap, "no meta.json in the dataset folder: the solver is unknown");
        return 0;
    }
    int ok = 1;
    nt_data_burgers_config_default(bc);
    nt_data_darcy_config_default(dc);
    double seed = json_find_num(t, "seed");
    if (strstr(t, "\"dataset\": \"burgers\"") && r->data.dim == 1) {
        *darcy = 0;
        double v;
        if (isfinite(v = json_find_num(t, "nu"))) bc->nu = v;
        if (isfinite(v = json_find_num(t, "t_end"))) bc->t_end = v;
        if (isfinite(v = json_find_num(t, "dt"))) bc->dt = v;
        if (isfinite(v = json_find_num(t, "sigma"))) bc->sigma = v;
        if (isfinite(v = json_find_num(t, "tau"))) bc->tau = v;
        if (isfinite(v = json_find_num(t, "alpha"))) bc->alpha = v;
        if (isfinite(seed)) bc->seed = (uint64_t)seed;
    } else if (strstr(t, "\"dataset\": \"darcy\"") && r->data.dim == 2) {
        *darcy = 1;
        double v;
        if (isfinite(v = json_find_num(t, "f"))) dc->f = v;
        if (isfinite(v = json_find_num(t, "a_pos"))) dc->a_pos = v;
        if (isfinite(v = json_find_num(t, "a_neg"))) dc->a_neg = v;
        if (isfinite(v = json_find_num(t, "tol"))) dc->tol = v;
        if (isfinite(v = json_find_num(t, "sigma"))) dc->sigma = v;
        if (isfinite(v = json_find_num(t, "tau"))) dc->tau = v;
        if (isfinite(v = json_find_num(t, "alpha"))) dc->alpha = v;
        if (isfinite(seed)) dc->seed = (uint64_t)seed;
    } else {
        snprintf(why, cap, "meta.json names no burgers or darcy dataset: the solver is unknown");
        ok = 0;
    }
    free(t);
    return ok;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median wall time of model_predict on n instances (at least `reps` repetitions, more
 * while under `budget` seconds, at most 51). */
static double time_model(oprun *r, const double *a, int64_t n, int64_t s, double *pred, int reps, double budget)
{
    double ts[51];
    int k = 0;
    double t_all = nt_time_now();
    while (k < 51 && (k < reps || nt_time_now() - t_all < budget)) {
        double t0 = nt_time_now();
        if (model_predict(&r->m, &r->tape, a, n, s, r->prob.batch, pred)) return NAN;
        ts[k++] = nt_time_now() - t0;
    }
    qsort(ts, (size_t)k, sizeof ts[0], cmp_dbl);
    return ts[k / 2];
}

/* Times the model and the data module's per-sample solver on the same test instances
 * (a, u: n_test inputs and truths on s points per axis). */
static void measure_speed(oprun *r, int64_t s, const double *a, const double *u, speed_row *row)
{
    const nt_op_problem *p = &r->prob;
    int dim = r->data.dim;
    int64_t npt = ipow(s, dim), N = p->speed, nt = p->n_test;
    memset(row, 0, sizeof *row);
    row->s = s;
    row->n = N;
    row->model_1 = row->model_n = row->solver_1 = row->solver_n = row->solver_err = row->input_diff = NAN;
    double *in = malloc((size_t)(N * npt) * sizeof(double)), *pred = malloc((size_t)(N * npt) * sizeof(double));
    if (!in || !pred) {
        snprintf(row->note, sizeof row->note, "out of memory");
        free(in);
        free(pred);
        return;
    }
    for (int64_t i = 0; i < N; i++) memcpy(in + i * npt, a + (i % nt) * npt, (size_t)npt * sizeof(double));
    model_predict(&r->m, &r->tape, in, NT_MIN(N, p->batch), s, p->batch, pred); /* warm-up: FFTW plans, arena */
    row->model_1 = time_model(r, in, 1, s, pred, 5, 0.5);
    row->model_n = time_model(r, in, N, s, pred, 3, 1.0);
    free(in);
    free(pred);
    /* the classical solver */
    int darcy = 0;
    nt_data_burgers_config bc;
    nt_data_darcy_config dc;
    if (!solver_config(r, &darcy, &bc, &dc, row->note, sizeof row->note)) return;
    if (darcy) {
        dc.fine = dc.res = (int)s;
        dc.n = N;
        snprintf(row->solver, sizeof row->solver, "nt_data_darcy_sample: finite differences + multigrid PCG on %lld x %lld nodes (tol %g)",
                 (long long)s, (long long)s, dc.tol);
    } else {
        if (s < 4 || s % 2) {
            snprintf(row->note, sizeof row->note, "the spectral solver needs an even number of points (s = %lld)", (long long)s);
            return;
        }
        bc.fine = bc.res = (int)s;
        bc.n = N;
        snprintf(row->solver, sizeof row->solver, "nt_data_burgers_sample: Fourier pseudo-spectral ETDRK4 on %lld points, dt %g",
                 (long long)s, bc.dt);
    }
    int64_t fine_pts = npt;
    double *ua = malloc((size_t)(N * fine_pts) * sizeof(double)), *uu = malloc((size_t)(N * fine_pts) * sizeof(double));
    if (!ua || !uu) {
        free(ua);
        free(uu);
        snprintf(row->note, sizeof row->note, "out of memory");
        return;
    }
    int64_t i0 = r->data.test0;
    nt_status st;
    /* one instance (after one warm-up call) */
    for (int rep = 0; rep < 2; rep++) {
        double t0 = nt_time_now();
        st = darcy ? nt_data_darcy_sample(&dc, i0, ua, uu, NULL) : nt_data_burgers_sample(&bc, i0, ua, uu);
        row->solver_1 = nt_time_now() - t0;
        if (st) break;
    }
    if (st) {
        snprintf(row->note, sizeof row->note, "solver failed: %s", nt_error_msg());
        row->solver_1 = NAN;
        free(ua);
        free(uu);
        return;
    }
    /* N instances, in parallel over the run's threads like `noether data` */
    int threads = nt_threads_get(), failed = 0;
    if (threads > 1) nt_fftw_thread_safe();
    double t0 = nt_time_now();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (threads > 1)
    for (int64_t i = 0; i < N; i++) {
        int64_t idx = i0 + i % nt;
        nt_status s1 = darcy ? nt_data_darcy_sample(&dc, idx, ua + i * fine_pts, uu + i * fine_pts, NULL)
                             : nt_data_burgers_sample(&bc, idx, ua + i * fine_pts, uu + i * fine_pts);
        if (s1) {
#pragma omp atomic write
            failed = 1;
        }
    }
    row->solver_n = nt_time_now() - t0;
    if (failed) {
        snprintf(row->note, sizeof row->note, "solver failed on one of the instances");
        row->solver_n = NAN;
    } else {
        /* is it the same instance? (the input field drawn at this resolution) */
        int64_t m = NT_MIN(N, nt);
        double dmax = 0;
        for (int64_t i = 0; i < m; i++) {
            double num = 0, den = 0;
            for (int64_t j = 0; j < npt; j++) {
                double dd = ua[i * npt + j] - a[i * npt + j];
                num += dd * dd;
                den += a[i * npt + j] * a[i * npt + j];
            }
            dmax = fmax(dmax, sqrt(num / (den > 0 ? den : 1)));
        }
        row->input_diff = dmax;
        if (dmax < 5e-2) row->solver_err = rel_l2_mean(uu, u, m, npt, NULL);
        else
            snprintf(row->note, sizeof row->note,
                     "timing only: the input drawn at this resolution is not the test instance (relative difference %.2g)", dmax);
    }
    free(ua);
    free(uu);
}

/* ---- physics (PINO) ---- */

/* Test-set PDE residual MSE and IC MSE of the model's predictions (pred: n_test
 * space-time fields at the training grid). */
static void physics_eval(oprun *r, const double *pred, double *pde, double *ic)
{
    const op_data *d = &r->data;
    *pde = *ic = NAN;
    if (nt_pino_burgers_eval(pred, d->a_te, r->prob.n_test, d->nt, d->s, d->nu, d->t_end, pde, ic))
        fprintf(stderr, "noether: warning: physics evaluation failed: %s\n", nt_error_msg());
}

/* ---- figures ---- */

static void write_figures(oprun *r)
{
    const nt_op_problem *p = &r->prob;
    const op_data *d = &r->data;
    char path[NT_OP_PATH + 48], title[160];
    /* loss curves */
    if (r->hist_rows > 0) {
        double *xs = malloc((size_t)r->hist_rows * 3 * sizeof(double));
        if (xs) {
            double *tr = xs + r->hist_rows, *te = tr + r->hist_rows;
            for (int64_t i = 0; i < r->hist_rows; i++) {
                xs[i] = r->hist[i * HIST_COLS];
                tr[i] = r->hist[i * HIST_COLS + 1];
                te[i] = r->hist[i * HIST_COLS + 2];
            }
            /* the test series: only the evaluated epochs */
            int64_t k = 0;
            double *tx = malloc((size_t)r->hist_rows * 2 * sizeof(double));
            if (tx) {
                for (int64_t i = 0; i < r->hist_rows; i++)
                    if (isfinite(te[i])) {
                        tx[k] = xs[i];
                        tx[r->hist_rows + k] = te[i];
                        k++;
                    }
                nt_plot_series s[2] = {{p->physics ? "train loss (weighted total)" : "train rel L2", xs, tr, r->hist_rows},
                                       {"test rel L2", tx, tx + r->hist_rows, k}};
                join(path, sizeof path, r->dir, "loss.png");
                if (nt_plot_lines(path, s, k ? 2 : 1, "relative L2 error", "epoch", "relative L2", 1))
                    fprintf(stderr, "noether: warning: %s\n", nt_error_msg());
                free(tx);
            }
            free(xs);
        }
    }
    if (!r->test_pred) return;
    int nf = (int)NT_MIN((int64_t)p->figures, p->n_test);
    int64_t s = d->s, npt = d->npt;
    for (int k = 0; k < nf; k++) {
        const double *a = d->a_te + k * d->npa, *u = d->u_te + k * npt, *pr = r->test_pred + k * npt;
        if (d->nt) {
            /* space-time: heat maps of prediction, truth, |error| over (x, t), the input as a line */
            double *buf = malloc((size_t)(npt + s) * sizeof(double));
            if (!buf) return;
            double *e = buf, *x = buf + npt, lo = INFINITY, hi = -INFINITY;
            for (int64_t j = 0; j < npt; j++) {
                e[j] = fabs(pr[j] - u[j]);
                lo = fmin(lo, fmin(pr[j], u[j]));
                hi = fmax(hi, fmax(pr[j], u[j]));
            }
            char t3[96];
            snprintf(t3, sizeof t3, "|error| (rel L2 %.2e)", r->test_errs[k]);
            nt_plot_panel pn[3];
            const double *zs[3] = {pr, u, e};
            const char *ts[3] = {"prediction u(x, t)", "truth u(x, t)", t3};
            for (int q = 0; q < 3; q++) {
                memset(&pn[q], 0, sizeof pn[q]);
                pn[q].z = zs[q];
                pn[q].nx = (int)s;
                pn[q].ny = (int)d->nt;
                pn[q].x0 = 0;
                pn[q].x1 = 1;
                pn[q].y0 = 0;
                pn[q].y1 = d->t_end > 0 ? d->t_end : 1;
                pn[q].title = ts[q];
                pn[q].xlabel = "x";
                pn[q].ylabel = "t";
                pn[q].vmin = q < 2 ? lo : NAN;
                pn[q].vmax = q < 2 ? hi : NAN;
            }
            snprintf(path, sizeof path, "%s/sample_%d.png", r->dir, k);
            if (nt_plot_heatmaps(path, pn, 3)) fprintf(stderr, "noether: warning: %s\n", nt_error_msg());
            for (int64_t j = 0; j < s; j++) x[j] = (double)j * (double)p->subsample / (double)d->res;
            nt_plot_series si = {"input a = u(., 0)", x, a, s};
            snprintf(title, sizeof title, "test sample %d: input", k);
            snprintf(path, sizeof path, "%s/sample_%d_input.png", r->dir, k);
            if (nt_plot_lines(path, &si, 1, title, "x", "a", 0)) fprintf(stderr, "noether: warning: %s\n", nt_error_msg());
            free(buf);
        } else if (d->dim == 1) {
            double *buf = malloc((size_t)(2 * s) * sizeof(double));
            if (!buf) return;
            double *x = buf, *e = buf + s;
            for (int64_t j = 0; j < s; j++) {
                x[j] = (double)j * (double)p->subsample / (double)d->res;
                e[j] = pr[j] - u[j];
            }
            /* the solution and the input on separate axes (Burgers at t = 1 is far
             * smaller than its initial condition) */
            nt_plot_series sr[2] = {{"truth u", x, u, s}, {"prediction", x, pr, s}};
            snprintf(title, sizeof title, "test sample %d (index %lld): rel L2 %.2e", k, (long long)(d->test0 + k), r->test_errs[k]);
            snprintf(path, sizeof path, "%s/sample_%d.png", r->dir, k);
            if (nt_plot_lines(path, sr, 2, title, "x", "u", 0)) fprintf(stderr, "noether: warning: %s\n", nt_error_msg());
            nt_plot_series si = {"input a", x, a, s};
            snprintf(title, sizeof title, "test sample %d: input", k);
            snprintf(path, sizeof path, "%s/sample_%d_input.png", r->dir, k);
            if (nt_plot_lines(path, &si, 1, title, "x", "a", 0)) fprintf(stderr, "noether: warning: %s\n", nt_error_msg());
            nt_plot_series se = {"prediction - truth", x, e, s};
            snprintf(title, sizeof title, "test sample %d: error (prediction - truth)", k);
            snprintf(path, sizeof path, "%s/sample_%d_error.png", r->dir, k);
            if (nt_plot_lines(path, &se, 1, title, "x", "error", 0)) fprintf(stderr, "noether: warning: %s\n", nt_error_msg());
            free(buf);
        } else {
            double *e = malloc((size_t)npt * sizeof(double));
            if (!e) return;
            double lo = INFINITY, hi = -INFINITY;
            for (int64_t j = 0; j < npt; j++) {
                e[j] = fabs(pr[j] - u[j]);
                lo = fmin(lo, fmin(pr[j], u[j]));
                hi = fmax(hi, fmax(pr[j], u[j]));
            }
            char t0[64], t1[64], t2[64], t3[96];
            snprintf(t0, sizeof t0, "input a (sample %d)", k);
            snprintf(t1, sizeof t1, "prediction");
            snprintf(t2, sizeof t2, "truth u");
            snprintf(t3, sizeof t3, "|error| (rel L2 %.2e)", r->test_errs[k]);
            nt_plot_panel pn[4];
            const double *zs[4] = {a, pr, u, e};
            const char *ts[4] = {t0, t1, t2, t3};
            for (int q = 0; q < 4; q++) {
                memset(&pn[q], 0, sizeof pn[q]);
                pn[q].z = zs[q];
                pn[q].nx = pn[q].ny = (int)s;
                pn[q].x0 = pn[q].y0 = 0;
                pn[q].x1 = pn[q].y1 = 1;
                pn[q].title = ts[q];
                pn[q].xlabel = "x";
                pn[q].ylabel = "y";
                pn[q].vmin = q == 1 || q == 2 ? lo : NAN;
                pn[q].vmax = q == 1 || q == 2 ? hi : NAN;
            }
            snprintf(path, sizeof path, "%s/sample_%d.png", r->dir, k);
            if (nt_plot_heatmaps(path, pn, 4)) fprintf(stderr, "noether: warning: %s\n", nt_error_msg());
            free(e);
        }
    }
}

/* ---- summary ---- */

static int write_summary(oprun *r, const char *status, double wall_s)
{
    const nt_op_problem *p = &r->prob;
    const op_data *d = &r->data;
    char path[NT_OP_PATH + 32], tmp[NT_OP_PATH + 40];
    join(path, sizeof path, r->dir, "summary.json");
    FILE *f = nt_tmp_open(path, tmp, sizeof tmp);
    if (!f) return -1;
    fprintf(f, "{\n  \"problem\": ");
    nt_json_str(f, p->name);
    fprintf(f, ",\n  \"kind\": \"operator\",\n  \"status\": \"%s\",\n  \"noether_version\": \"%s\",\n", status, NT_VERSION_STRING);
    fprintf(f, "  \"dtype\": \"%s\",\n  \"threads\": %d,\n  \"seed\": %llu,\n", nt_dtype_name(p->dtype), nt_threads_get(),
            (unsigned long long)p->seed);
    if (p->kind == NT_OP_FNO) {
        const nt_fno_config *c = &r->m.fno.cfg;
        fprintf(f, "  \"model\": {\"type\": \"fno\", \"dim\": %d, \"width\": %d, \"modes\": [%d", c->dim, c->width, c->modes1);
        if (c->dim == 2) fprintf(f, ", %d", c->modes2);
        fprintf(f, "], \"layers\": %d, \"proj_width\": %d, \"parameters\": %lld},\n", c->layers, c->proj_width,
                (long long)r->m.params.n);
    } else {
        const nt_deeponet_config *c = &r->m.don.cfg;
        fprintf(f, "  \"model\": {\"type\": \"deeponet\", \"dim\": %d, \"sensors\": %d, \"p\": %d, \"branch\": [%d, %d], "
                   "\"trunk\": [%d, %d], \"activation\": \"%s\", \"parameters\": %lld},\n",
                c->coord_dim, c->n_sensors, c->p, c->branch_width, c->branch_depth, c->trunk_width, c->trunk_depth,
                nt_act_name(c->act), (long long)r->m.params.n);
    }
    fprintf(f, "  \"data\": {\"dir\": ");
    nt_json_str(f, p->data_dir);
    fprintf(f, ", \"samples\": %lld, \"resolution\": %lld, \"train\": %lld, \"test\": %lld, \"test_first_index\": %lld, "
               "\"subsample\": %d, \"train_resolution\": %lld, \"normalize\": %s, \"generated_seconds\": ",
            (long long)d->N, (long long)d->res, (long long)p->n_train, (long long)p->n_test, (long long)d->test0, p->subsample,
            (long long)d->s, p->normalize ? "true" : "false");
    nt_json_num(f, d->gen_s > 0 ? d->gen_s : NAN);
    fprintf(f, "},\n  \"epochs\": %lld,\n  \"epochs_planned\": %lld,\n  \"steps\": %lld,\n  \"batch\": %lld,\n",
            (long long)r->meta.epoch, (long long)p->epochs, (long long)r->meta.global_step, (long long)p->batch);
    fprintf(f, "  \"train_seconds\": ");
    nt_json_num(f, r->meta.train_s);
    fprintf(f, ",\n  \"seconds_per_epoch\": ");
    nt_json_num(f, r->meta.epoch > 0 ? r->meta.train_s / (double)r->meta.epoch : NAN);
    fprintf(f, ",\n  \"wall_seconds\": ");
    nt_json_num(f, wall_s);
    fprintf(f, ",\n  \"train_rel_l2\": ");
    nt_json_num(f, r->last_train);
    fprintf(f, ",\n  \"test_rel_l2\": ");
    nt_json_num(f, r->test_err);
    fprintf(f, ",\n  \"test_resolution\": %lld,\n  \"zero_shot\": ", (long long)d->s);
    if (isfinite(r->full_err)) {
        fprintf(f, "{\"resolution\": %lld, \"rel_l2\": ", (long long)d->res);
        nt_json_num(f, r->full_err);
        fprintf(f, "}");
    } else {
        fprintf(f, "null");
    }
    fprintf(f, ",\n  \"baseline_mean_rel_l2\": ");
    nt_json_num(f, r->base_err);
    if (d->nt) {
        fprintf(f, ",\n  \"space_time\": {\"times\": %lld, \"t_end\": ", (long long)d->nt);
        nt_json_num(f, d->t_end);
        fprintf(f, ", \"nu\": ");
        nt_json_num(f, d->nu);
        fprintf(f, "}");
    }
    if (p->physics) {
        fprintf(f, ",\n  \"physics\": {\"weight\": ");
        nt_json_num(f, p->phys_w);
        fprintf(f, ", \"ic_weight\": ");
        nt_json_num(f, p->phys_ic_w);
        fprintf(f, ", \"data_weight\": ");
        nt_json_num(f, p->phys_data_w);
        fprintf(f, ", \"nu\": ");
        nt_json_num(f, d->nu);
        fprintf(f, ", \"test_pde_mse_initial\": ");
        nt_json_num(f, r->pde0);
        fprintf(f, ", \"test_pde_mse\": ");
        nt_json_num(f, r->pde_end);
        fprintf(f, ", \"test_ic_mse\": ");
        nt_json_num(f, r->ic_end);
        fprintf(f, ", \"truth_pde_mse\": ");
        nt_json_num(f, r->pde_truth);
        fprintf(f, "}");
    }
    fprintf(f, ",\n  \"speed\": [");
    for (int k = 0; k < r->n_speed; k++) {
        const speed_row *w = &r->speed[k];
        fprintf(f, "%s\n    {\"resolution\": %lld, \"instances\": %lld, \"threads\": %d, \"model_1_s\": ", k ? "," : "",
                (long long)w->s, (long long)w->n, nt_threads_get());
        nt_json_num(f, w->model_1);
        fprintf(f, ", \"model_batch_s\": ");
        nt_json_num(f, w->model_n);
        fprintf(f, ", \"solver_1_s\": ");
        nt_json_num(f, w->solver_1);
        fprintf(f, ", \"solver_batch_s\": ");
        nt_json_num(f, w->solver_n);
        fprintf(f, ", \"speedup_1\": ");
        nt_json_num(f, w->solver_1 / w->model_1);
        fprintf(f, ", \"speedup_batch\": ");
        nt_json_num(f, w->solver_n / w->model_n);
        fprintf(f, ", \"solver\": ");
        nt_json_str(f, w->solver);
        fprintf(f, ", \"solver_rel_l2\": ");
        nt_json_num(f, w->solver_err);
        fprintf(f, ", \"solver_input_rel_diff\": ");
        nt_json_num(f, w->input_diff);
        fprintf(f, ", \"note\": ");
        nt_json_str(f, w->note);
        fprintf(f, "}");
    }
    fprintf(f, "%s]\n}\n", r->n_speed ? "\n  " : "");
    return nt_tmp_commit(f, tmp, path);
}

static void print_speed(const speed_row *w)
{
    printf("  speed at s = %lld (%d threads): 1 instance %.3g ms vs solver %.3g ms (%.0fx); %lld instances %.3g ms vs solver %.3g ms (%.0fx)\n",
           (long long)w->s, nt_threads_get(), 1e3 * w->model_1, 1e3 * w->solver_1, w->solver_1 / w->model_1, (long long)w->n,
           1e3 * w->model_n, 1e3 * w->solver_n, w->solver_n / w->model_n);
    if (isfinite(w->solver_err)) printf("    (solver's own relative L2 against the dataset at this resolution: %.2e)\n", w->solver_err);
    if (w->note[0]) printf("    note: %s\n", w->note);
}

static nt_status write_test_pred(oprun *r)
{
    const op_data *d = &r->data;
    char path[NT_OP_PATH + 32];
    join(path, sizeof path, r->dir, "test_pred.npy");
    int64_t shape[3] = {r->prob.n_test, d->s, d->s};
    if (d->nt) {
        shape[1] = d->nt;
        return nt_npy_write(path, NT_F64, 3, shape, r->test_pred);
    }
    return nt_npy_write(path, NT_F64, d->dim + 1, shape, r->test_pred);
}

/* ---- the training loop ---- */

static const char *model_desc(const oprun *r, char *buf, size_t cap)
{
    if (r->m.kind == NT_OP_FNO) {
        const nt_fno_config *c = &r->m.fno.cfg;
        if (c->dim == 1)
            snprintf(buf, cap, "FNO 1-D width %d, %d modes, %d layers", c->width, c->modes1, c->layers);
        else
            snprintf(buf, cap, "FNO 2-D width %d, %d x %d modes, %d layers", c->width, c->modes1, c->modes2, c->layers);
    } else {
        const nt_deeponet_config *c = &r->m.don.cfg;
        snprintf(buf, cap, "DeepONet p %d, branch %dx%d, trunk %dx%d, %s", c->p, c->branch_width, c->branch_depth, c->trunk_width,
                 c->trunk_depth, nt_act_name(c->act));
    }
    return buf;
}

/* The problem file as used, with the command-line overrides noted on top. */
static int write_problem_copy(oprun *r, const nt_run_opts *o)
{
    char *text = nt_read_file(o->problem, NULL), ppath[NT_OP_PATH + 32];
    if (!text) {
        fprintf(stderr, "noether: cannot read '%s'\n", o->problem);
        return -1;
    }
    join(ppath, sizeof ppath, r->dir, "problem.yaml");
    char tmp[NT_OP_PATH + 40];
    FILE *f = nt_tmp_open(ppath, tmp, sizeof tmp);
    int rc = -1;
    if (f) {
        if (o->seed >= 0 || o->dtype >= 0) {
            fprintf(f, "# noether: command-line overrides (also recorded in the checkpoint):");
            if (o->seed >= 0) fprintf(f, " seed %lld", (long long)o->seed);
            if (o->dtype >= 0) fprintf(f, "%s dtype %s", o->seed >= 0 ? "," : "", nt_dtype_name((nt_dtype)o->dtype));
            fputc('\n', f);
        }
        fputs(text, f);
        rc = nt_tmp_commit(f, tmp, ppath);
    }
    if (rc) fprintf(stderr, "noether: cannot write '%s': %s\n", ppath, strerror(errno));
    free(text);
    return rc;
}

int nt_op_train(const nt_run_opts *o)
{
    oprun *r = calloc(1, sizeof *r);
    nt_ckpt c;
    memset(&c, 0, sizeof c);
    int rc = 1, resumed = 0;
    if (!r) {
        fprintf(stderr, "noether: out of memory\n");
        return 1;
    }
    if (o->threads > 0) nt_threads_set(o->threads);
    double wall0 = nt_time_now();
    nt_op_problem *p = &r->prob;
    nt_status st;
    if (o->resume_dir) {
        if (open_run(r, o->resume_dir, &c)) goto out;
        resumed = 1;
        if (r->meta.epoch >= p->epochs) {
            fprintf(stderr, "noether: the run in %s has finished its %lld epochs; nothing to resume\n", o->resume_dir,
                    (long long)p->epochs);
            goto out;
        }
        if ((st = data_load(p, &r->data))) {
            fprintf(stderr, "noether: %s\n", nt_error_msg());
            goto out;
        }
        if (r->data.dim != r->meta.dim || r->data.s != r->meta.s_train || r->data.nt != r->m.nt) {
            fprintf(stderr, "noether: the dataset in '%s' no longer matches the run (%d-D, s = %lld; the run has %d-D, s = %lld)\n",
                    p->data_dir, r->data.dim, (long long)r->data.s, r->meta.dim, (long long)r->meta.s_train);
            goto out;
        }
    } else {
        if (!o->problem) {
            fprintf(stderr, "noether train: no problem file given\n");
            rc = 2;
            goto out;
        }
        if ((st = nt_op_problem_load(p, o->problem))) {
            fprintf(stderr, "noether: %s\n", nt_error_msg());
            goto out;
        }
        if (o->seed >= 0) p->seed = (uint64_t)o->seed;
        if (o->dtype >= 0) p->dtype = (nt_dtype)o->dtype;
        snprintf(r->source_dir, sizeof r->source_dir, "%s", p->dir);
        /* the run folder: never overwrite an earlier run */
        struct stat sb;
        char probe[NT_OP_PATH + 32];
        if (o->out_dir) {
            snprintf(r->dir, sizeof r->dir, "%s", o->out_dir);
            join(probe, sizeof probe, r->dir, CKPT_NAME);
            if (!o->overwrite && stat(probe, &sb) == 0) {
                fprintf(stderr, "noether: '%s' already holds a run; continue it with --resume %s, choose another --out, or pass --overwrite\n",
                        r->dir, r->dir);
                goto out;
            }
        } else {
            snprintf(r->dir, sizeof r->dir, "runs/%s", p->name);
            for (int k = 2; k < 10000; k++) {
                join(probe, sizeof probe, r->dir, CKPT_NAME);
                if (stat(probe, &sb) != 0) break;
                snprintf(r->dir, sizeof r->dir, "runs/%s-%d", p->name, k);
            }
        }
        /* the dataset first: its errors (shapes, sizes) come before any folder is made */
        if ((st = data_load(p, &r->data))) {
            fprintf(stderr, "noether: %s\n", nt_error_msg());
            goto out;
        }
        if ((st = model_init(&r->m, p, r->data.dim, r->data.s, r->data.nt, p->dtype, p->seed))) {
            fprintf(stderr, "noether: %s\n", nt_error_msg());
            goto out;
        }
        if (p->normalize) set_normalizer(r);
        if (nt_mkdir_p(r->dir)) {
            fprintf(stderr, "noether: cannot create the run folder '%s': %s\n", r->dir, strerror(errno));
            goto out;
        }
        if (write_problem_copy(r, o)) goto out;
        r->meta.version = OP_META_VERSION;
        r->meta.dtype = (int32_t)p->dtype;
        r->meta.seed = p->seed;
        r->meta.kind = (int32_t)p->kind;
        r->meta.dim = r->data.dim;
        r->meta.s_train = r->data.s;
        nt_rng rng;
        nt_rng_init(&rng, p->seed ^ 0x53485546464c45ULL); /* "SHUFFLE": a stream apart from the initialisation's */
        memcpy(r->meta.rng_epoch, rng.s, sizeof rng.s);
    }
    op_data *d = &r->data;
    int64_t npt = d->npt, nb = (p->n_train + p->batch - 1) / p->batch;
    r->perm = malloc((size_t)p->n_train * sizeof(int64_t));
    r->ba = malloc((size_t)(NT_MIN(p->batch, p->n_train) * npt) * sizeof(double));
    r->bu = malloc((size_t)(NT_MIN(p->batch, p->n_train) * npt) * sizeof(double));
    if (!r->perm || !r->ba || !r->bu || nt_tape_init(&r->tape, (size_t)1 << 24)) {
        fprintf(stderr, "noether: out of memory\n");
        goto out;
    }
    r->have_tape = 1;
    {
        nt_adam_config ac = nt_adam_config_default(p->lr);
        if ((st = nt_adam_init(&r->adam, &r->m.params, &ac))) {
            fprintf(stderr, "noether: %s\n", nt_error_msg());
            goto out;
        }
        r->have_adam = 1;
    }
    if (resumed) {
        char ckpath[NT_OP_PATH + 32];
        join(ckpath, sizeof ckpath, r->dir, CKPT_NAME);
        size_t n = (size_t)r->m.params.n, es = nt_dtype_size(r->m.params.dtype);
        st = nt_ckpt_get(&c, ckpath, "adam_step", &r->adam.step, sizeof r->adam.step);
        if (!st) st = nt_ckpt_get(&c, ckpath, "adam_m", r->adam.m, n * es);
        if (!st) st = nt_ckpt_get(&c, ckpath, "adam_v", r->adam.v, n * es);
        if (st) {
            fprintf(stderr, "noether: %s\n", nt_error_msg());
            goto out;
        }
        r->last_train = r->hist_rows ? r->hist[(r->hist_rows - 1) * HIST_COLS + 1] : NAN;
    } else {
        r->last_train = NAN;
    }
    r->last_test = NAN;
    for (int64_t i = r->hist_rows - 1; i >= 0; i--)
        if (isfinite(r->hist[i * HIST_COLS + 2])) {
            r->last_test = r->hist[i * HIST_COLS + 2];
            break;
        }
    r->progress_bar = o->progress < 0 ? isatty(2) : o->progress;
    {
        char md[160];
        fprintf(stderr, "noether %s: %s — %s (%lld parameters), %s, %d threads%s\n", NT_VERSION_STRING, p->name,
                model_desc(r, md, sizeof md), (long long)r->m.params.n, nt_dtype_name(p->dtype), nt_threads_get(),
                resumed ? " (resumed)" : "");
        fprintf(stderr, "data: %s (%lld samples, %lld%s points): %lld train / %lld test at s = %lld%s%s; run folder: %s\n", p->data_dir,
                (long long)d->N, (long long)d->res, d->dim == 2 ? "^2" : "", (long long)p->n_train, (long long)p->n_test,
                (long long)d->s, d->dim == 2 ? "^2" : "", p->subsample > 1 ? " (subsampled)" : "", r->dir);
        fprintf(stderr, "training: %lld epochs of %lld mini-batches of %lld, Adam lr %g x %g every %lld epochs%s\n",
                (long long)p->epochs, (long long)nb, (long long)p->batch, p->lr, p->decay_rate, (long long)p->decay_every,
                p->weight_decay > 0 ? ", weight decay" : "");
    }
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C kills */
    g_interrupted = 0;
    sigaction(SIGINT, &sa, &old);

    if (!resumed) r->pde0 = NAN;
    if (!resumed && p->physics) {
        double e0;
        if (eval_test(r, &e0)) {
            fprintf(stderr, "noether: %s\n", nt_error_msg());
            goto out_sig;
        }
        double ic0;
        physics_eval(r, r->test_pred, &r->pde0, &ic0);
        fprintf(stderr, "physics (PINO): nu %g, t_end %g, %lld times x %lld points; loss = %g data rel L2 + %g PDE MSE + %g IC MSE; "
                        "test PDE MSE at the initial parameters %.3e\n",
                d->nu, d->t_end, (long long)d->nt, (long long)d->s, p->phys_data_w, p->phys_w, p->phys_ic_w, r->pde0);
    }
    if (!resumed && ckpt_save(r)) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        goto out_sig;
    }
    double t_train0 = nt_time_now() - r->meta.train_s;
    r->t_sess0 = nt_time_now();
    const char *status = "finished";
    double loss = NAN;
    while (r->meta.epoch < p->epochs) {
        memcpy(r->rng.s, r->meta.rng_epoch, sizeof r->rng.s);
        shuffle(r->perm, p->n_train, &r->rng);
        r->lr = epoch_lr(p, r->meta.epoch);
        int stop = 0;
        while (r->meta.step_in_epoch < nb) {
            int64_t b0 = r->meta.step_in_epoch * p->batch, B = NT_MIN(p->batch, p->n_train - b0);
            loss = train_step(r, r->perm + b0, B, r->lr);
            if (r->graph_err) {
                fprintf(stderr, "\nnoether: %s\n", nt_error_msg());
                goto out_sig;
            }
            if (!isfinite(loss)) {
                status = "diverged";
                stop = 1;
                break;
            }
            r->meta.epoch_loss_sum += loss * (double)B;
            r->meta.step_in_epoch++;
            r->meta.global_step++;
            r->steps_sess++;
            if (r->progress_bar) {
                double now = nt_time_now();
                if (now - r->bar_last > 0.2) {
                    show_progress(r, loss, 0);
                    r->bar_last = now;
                }
            }
            if (o->stop_after > 0 && r->steps_sess >= o->stop_after) g_interrupted = 1;
            if (g_interrupted) {
                status = "interrupted";
                stop = 1;
                break;
            }
            if (o->time_limit > 0 && nt_time_now() - t_train0 > o->time_limit) {
                status = "time_limit";
                stop = 1;
                break;
            }
        }
        r->meta.train_s = nt_time_now() - t_train0;
        if (stop && r->meta.step_in_epoch < nb) break;
        /* the epoch is complete */
        r->last_train = r->meta.epoch_loss_sum / (double)p->n_train;
        r->meta.epoch++;
        r->meta.step_in_epoch = 0;
        r->meta.epoch_loss_sum = 0;
        memcpy(r->meta.rng_epoch, r->rng.s, sizeof r->rng.s);
        double test = NAN;
        if ((p->eval_every > 0 && r->meta.epoch % p->eval_every == 0) || r->meta.epoch == p->epochs) {
            double te0 = nt_time_now();
            if (eval_test(r, &test)) {
                fprintf(stderr, "\nnoether: %s\n", nt_error_msg());
                goto out_sig;
            }
            r->last_test = test;
            t_train0 += nt_time_now() - te0; /* evaluation is not training time */
        }
        hist_add(r, r->last_train, test);
        if (p->log_every > 0 && r->meta.epoch % p->log_every == 0) log_epoch(r, test);
        if (r->meta.epoch % p->checkpoint_every == 0 || r->meta.epoch == p->epochs) {
            if (ckpt_save(r)) fprintf(stderr, "\nnoether: warning: checkpoint not written: %s\n", nt_error_msg());
            else write_history(r);
        }
        if (stop) break;
    }
    if (r->progress_bar && r->steps_sess > 0) show_progress(r, loss, 1);
    r->meta.train_s = nt_time_now() - t_train0;

    if (!strcmp(status, "diverged")) {
        fprintf(stderr, "\nnoether: the loss became non-finite at epoch %lld, step %lld; training stopped.\n"
                        "The last good checkpoint is kept in %s/%s\n",
                (long long)r->meta.epoch + 1, (long long)r->meta.global_step + 1, r->dir, CKPT_NAME);
        r->test_err = r->full_err = r->base_err = NAN;
        write_history(r);
        write_summary(r, status, nt_time_now() - wall0);
        rc = 1;
        goto out_sig;
    }
    if (ckpt_save(r)) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        goto out_sig;
    }
    /* results at the final parameters */
    r->full_err = r->base_err = NAN;
    if (eval_test(r, &r->test_err)) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        goto out_sig;
    }
    if (write_history(r) || write_test_pred(r)) {
        fprintf(stderr, "noether: cannot write the results in %s: %s\n", r->dir, nt_error_msg()[0] ? nt_error_msg() : strerror(errno));
        goto out_sig;
    }
    if (!strcmp(status, "interrupted")) {
        write_summary(r, status, nt_time_now() - wall0);
        fprintf(stderr, "\ninterrupted at epoch %lld, step %lld; checkpoint saved. Resume with: noether train --resume %s\n",
                (long long)r->meta.epoch + (r->meta.step_in_epoch > 0), (long long)r->meta.global_step, r->dir);
        rc = 130;
        goto out_sig;
    }
    /* the mean of the training outputs as a predictor (a trivial baseline) */
    {
        double *mean = calloc((size_t)npt, sizeof(double)), *rep = malloc((size_t)(p->n_test * npt) * sizeof(double));
        if (mean && rep) {
            for (int64_t i = 0; i < p->n_train; i++)
                for (int64_t j = 0; j < npt; j++) mean[j] += d->u_tr[i * npt + j] / (double)p->n_train;
            for (int64_t i = 0; i < p->n_test; i++) memcpy(rep + i * npt, mean, (size_t)npt * sizeof(double));
            r->base_err = rel_l2_mean(rep, d->u_te, p->n_test, npt, NULL);
        }
        free(mean);
        free(rep);
    }
    /* zero-shot: the test set at the dataset's own resolution */
    if (d->a_full) {
        char why[256];
        if (model_grid_problem(&r->m, d->res, why, sizeof why)[0]) {
            fprintf(stderr, "noether: no zero-shot evaluation at s = %lld: %s\n", (long long)d->res, why);
        } else {
            double *pf = malloc((size_t)(p->n_test * d->npt_full) * sizeof(double));
            if (pf && !model_predict(&r->m, &r->tape, d->a_full, p->n_test, d->res, p->batch, pf))
                r->full_err = rel_l2_mean(pf, d->u_full, p->n_test, d->npt_full, NULL);
            else
                fprintf(stderr, "noether: warning: zero-shot evaluation failed: %s\n", nt_error_msg());
            free(pf);
        }
    }
    /* speed against the classical solver */
    if (p->physics) {
        double ic_t;
        physics_eval(r, r->test_pred, &r->pde_end, &r->ic_end);
        physics_eval(r, d->u_te, &r->pde_truth, &ic_t);
    }
    if (p->speed > 0 && d->nt) {
        fprintf(stderr, "noether: no speed measurement for a space-time model (the solver comparison is for u at t_end)\n");
    } else if (p->speed > 0) {
        measure_speed(r, d->s, d->a_te, d->u_te, &r->speed[r->n_speed++]);
        if (d->a_full && isfinite(r->full_err)) measure_speed(r, d->res, d->a_full, d->u_full, &r->speed[r->n_speed++]);
    }
    write_figures(r);
    if (write_summary(r, status, nt_time_now() - wall0)) {
        fprintf(stderr, "noether: cannot write the results in %s: %s\n", r->dir, strerror(errno));
        goto out_sig;
    }
    printf("%s: %s after %lld epochs (%lld steps, %.1f s of training)\n", p->name, status, (long long)r->meta.epoch,
           (long long)r->meta.global_step, r->meta.train_s);
    printf("  test relative L2 at s = %lld: %.4e (mean over %lld samples; predicting the training mean gives %.3e)\n",
           (long long)d->s, r->test_err, (long long)p->n_test, r->base_err);
    if (isfinite(r->full_err)) printf("  zero-shot at s = %lld: %.4e\n", (long long)d->res, r->full_err);
    if (p->physics)
        printf("  physics: test PDE residual MSE %.3e (initial %.3e; the dataset's own solutions: %.3e), IC MSE %.3e\n", r->pde_end,
               r->pde0, r->pde_truth, r->ic_end);
    for (int k = 0; k < r->n_speed; k++) print_speed(&r->speed[k]);
    printf("results: %s/ (summary.json, history.csv, test_pred.npy, loss.png, sample_*.png, checkpoint.ntc)\n", r->dir);
    rc = 0;
out_sig:
    sigaction(SIGINT, &old, NULL);
out:
    nt_ckpt_free(&c);
    run_free(r);
    free(r);
    return rc;
}

/* ------------------------------------------------------------------------------ */
/* predict                                                                          */

int nt_op_predict(const char *dir, const char *in_npy, const char *out_npy)
{
    oprun *r = calloc(1, sizeof *r);
    nt_ckpt c;
    memset(&c, 0, sizeof c);
    nt_npy in;
    memset(&in, 0, sizeof in);
    double *pred = NULL;
    char outbuf[NT_OP_PATH + 16];
    int rc = 1;
    if (!r) return 1;
    if (open_run(r, dir, &c)) goto out;
    if (read_npy_f64(&in, in_npy)) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        goto out;
    }
    int dim = r->m.dim;
    /* [N, s] / [s] in 1-D, [N, s, s] / [s, s] in 2-D */
    int batched = in.ndim == dim + 1, ok = batched || in.ndim == dim;
    int64_t n = batched ? in.shape[0] : 1, s = ok ? in.shape[in.ndim - 1] : 0;
    if (ok && dim == 2 && in.shape[in.ndim - 2] != s) ok = 0;
    if (!ok) {
        fprintf(stderr, "noether: %s: expected inputs of shape %s for this %d-D model, got %d dimensions\n", in_npy,
                dim == 1 ? "[N, s] or [s]" : "[N, s, s] or [s, s]", dim, in.ndim);
        goto out;
    }
    char why[256];
    if (model_grid_problem(&r->m, s, why, sizeof why)[0]) {
        fprintf(stderr, "noether: %s: %s\n", in_npy, why);
        goto out;
    }
    if (nt_tape_init(&r->tape, (size_t)1 << 24)) goto out;
    r->have_tape = 1;
    int64_t npt = ipow(s, dim) * (r->m.nt ? r->m.nt : 1);
    pred = malloc((size_t)(n * npt + 1) * sizeof(double));
    if (!pred) goto out;
    if (n > 0 && model_predict(&r->m, &r->tape, in.data, n, s, r->prob.batch, pred)) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        goto out;
    }
    if (!out_npy) {
        size_t L = strlen(in_npy);
        if (L > 4 && !strcmp(in_npy + L - 4, ".npy")) snprintf(outbuf, sizeof outbuf, "%.*s.pred.npy", (int)(L - 4), in_npy);
        else snprintf(outbuf, sizeof outbuf, "%s.pred.npy", in_npy);
        out_npy = outbuf;
    }
    int64_t oshape[3] = {n, r->m.nt, s};
    if (r->m.nt && !batched) oshape[0] = r->m.nt, oshape[1] = s;
    if (r->m.nt ? nt_npy_write(out_npy, NT_F64, in.ndim + 1, oshape, pred) : nt_npy_write(out_npy, NT_F64, in.ndim, in.shape, pred)) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        goto out;
    }
    fprintf(stderr, "wrote %lld prediction%s at s = %lld to %s\n", (long long)n, n == 1 ? "" : "s", (long long)s, out_npy);
    rc = 0;
out:
    free(pred);
    nt_npy_free(&in);
    nt_ckpt_free(&c);
    run_free(r);
    free(r);
    return rc;
}

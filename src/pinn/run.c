/* run.c — training runs and run folders (see run.h).
 *
 * Run folder:
 *   problem.yaml     the problem file as used (command-line overrides noted on top)
 *   checkpoint.ntc   parameters, optimizer state, points, RNG, history (atomic write)
 *   history.csv      step, stage, loss and its terms, lr, unknowns, errors, time
 *   predictions.csv  the fields on the reference grid (points inside the geometry, if
 *                    the domain has one), with the reference and |error|
 *   summary.json     errors, learned unknowns, steps, timings, versions
 *   solution.png, loss.png
 *
 * Resuming restores every piece of state a step depends on (parameters, Adam
 * moments, the L-BFGS memory, the residual points and the sampling RNG), so a run
 * interrupted and resumed computes the same numbers as one that was not. */
#include "pinn/run.h"
#include "core/internal.h"
#include "io/ckpt.h"
#include "io/files.h"
#include "io/plot.h"
#include "optim/optim_ext.h"
#include "pinn/pinn.h"
#include "pinn/mstage.h"
#include "pinn/windows.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CKPT_NAME "checkpoint.ntc"
#define META_VERSION 1

static volatile sig_atomic_t g_interrupted = 0;

static void on_sigint(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

typedef struct run_meta {
    uint32_t version;
    int32_t dtype;
    uint64_t seed;
    int32_t stage;          /* stage in progress (n_stages when all done) */
    int32_t stage_started;  /* optimizer state of `stage` is in the checkpoint */
    int64_t step_in_stage;  /* steps done in `stage` */
    int64_t global_step;
    int64_t n_evals;
    int64_t n_params;
    int64_t n_res, dim;
    double train_s;
    double time_to_1e3;     /* NaN if not reached */
    int32_t hist_cols;
    int32_t pad;
    int64_t stage_steps[NT_PROB_MAX_STAGES]; /* steps done in each stage */
} run_meta;

typedef struct run {
    nt_problem prob;
    nt_pinn m;
    char dir[NT_PROB_PATH];
    run_meta meta;
    /* history */
    double *hist;
    int64_t hist_rows, hist_cap;
    int hist_cols;
    /* optimizers of the current stage */
    nt_adam adam;
    nt_lbfgs lbfgs;
    nt_multiadam madam;
    nt_soap soap;
    int have_adam, have_lbfgs, have_madam, have_soap;
    double *tgrad;          /* multiadam, config: n_terms × n per-term gradients */
    const double *tgp[NT_PINN_MAX_TERMS];
    nt_schedule sched;      /* multiadam, soap: the stage's learning rate */
    double lr;              /* last learning rate (NaN for L-BFGS) */
    int64_t last_ckpt_step;
    double last_loss;       /* loss of the last step */
    char stop_note[160];    /* why the last L-BFGS stage ended early ("" if it did not) */
    double last_err;        /* largest relative L2 at the last evaluation (NaN: none yet) */
    int progress_bar;
    double bar_last;
    double t_stage0;
    int64_t s_stage0;
} run;

/* ------------------------------------------------------------------------------ */
/* Small helpers                                                                    */

static void join(char *out, size_t cap, const char *dir, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

/* Writes text to path atomically. */
static int write_text(const char *path, const char *text)
{
    char tmp[NT_PROB_PATH + 8];
    FILE *f = nt_tmp_open(path, tmp, sizeof tmp);
    if (!f) return -1;
    fputs(text, f);
    return nt_tmp_commit(f, tmp, path);
}

static double elapsed(double t0) { return nt_time_now() - t0; }

/* ------------------------------------------------------------------------------ */
/* History                                                                          */

/* Extra history columns of the training methods: causal ε and indicator, the
 * balanced term weights, the number of residual points (rar). */
static int global_weighting(const nt_problem *p)
{
    return p->weighting == NT_WEIGHT_GRADNORM || p->weighting == NT_WEIGHT_NTK;
}

static int method_cols(const run *r)
{
    const nt_problem *p = &r->prob;
    return (p->causal_slices ? 2 : 0) + (global_weighting(p) ? r->m.n_terms : 0) + (p->adaptive == NT_ADAPT_RAR) +
           (p->adaptive == NT_ADAPT_CR3) + (p->tw_windows > 1);
}

static int hist_cols(const run *r)
{
    const nt_problem *p = &r->prob;
    return 3 + r->m.n_terms + 1 + p->env.n_unknowns + p->env.n_fields + method_cols(r) + 1;
}

static void hist_add(run *r, double err_known, const double *errs, double now_s)
{
    if (r->hist_rows == r->hist_cap) {
        int64_t cap = r->hist_cap ? 2 * r->hist_cap : 256;
        double *h = realloc(r->hist, (size_t)(cap * r->hist_cols) * sizeof(double));
        if (!h) return;
        r->hist = h;
        r->hist_cap = cap;
    }
    double *row = r->hist + r->hist_rows * r->hist_cols;
    const nt_problem *p = &r->prob;
    int c = 0;
    row[c++] = (double)r->meta.global_step;
    row[c++] = (double)NT_MIN(r->meta.stage, r->prob.n_stages - 1); /* the final row: the last stage */
    double loss = 0;
    for (int k = 0; k < r->m.n_terms; k++) loss += r->m.term_weight[k] * r->m.term[k];
    row[c++] = loss;
    for (int k = 0; k < r->m.n_terms; k++) row[c++] = r->m.term[k];
    row[c++] = r->lr;
    for (int k = 0; k < p->env.n_unknowns; k++) row[c++] = nt_pinn_unknown(&r->m, k);
    for (int f = 0; f < p->env.n_fields; f++) row[c++] = err_known ? errs[f] : NAN;
    if (p->causal_slices) {
        row[c++] = p->causal_eps[r->m.causal_idx];
        row[c++] = r->m.causal_wmin;
    }
    if (global_weighting(p))
        for (int k = 0; k < r->m.n_terms; k++) row[c++] = r->m.term_weight[k];
    if (p->adaptive == NT_ADAPT_RAR) row[c++] = (double)r->m.n_res;
    if (p->adaptive == NT_ADAPT_CR3) row[c++] = r->m.gate;
    if (p->tw_windows > 1) row[c++] = r->m.win + 1;
    row[c++] = now_s;
    r->hist_rows++;
}

static int write_history(run *r)
{
    char path[NT_PROB_PATH + 32], tmp[NT_PROB_PATH + 40];
    join(path, sizeof path, r->dir, "history.csv");
    FILE *f = nt_tmp_open(path, tmp, sizeof tmp);
    if (!f) return -1;
    const nt_problem *p = &r->prob;
    fprintf(f, "step,stage,optimizer,loss");
    for (int k = 0; k < r->m.n_terms; k++) fprintf(f, ",\"loss %s\"", r->m.term_name[k]);
    fprintf(f, ",lr");
    for (int k = 0; k < p->env.n_unknowns; k++) fprintf(f, ",%s", p->env.unknowns[k]);
    for (int k = 0; k < p->env.n_fields; k++) fprintf(f, ",rel_l2_%s", p->env.fields[k]);
    if (p->causal_slices) fprintf(f, ",causal_eps,causal_min_weight");
    if (global_weighting(p))
        for (int k = 0; k < r->m.n_terms; k++) fprintf(f, ",\"weight %s\"", r->m.term_name[k]);
    if (p->adaptive == NT_ADAPT_RAR) fprintf(f, ",points");
    if (p->adaptive == NT_ADAPT_CR3) fprintf(f, ",gate");
    if (p->tw_windows > 1) fprintf(f, ",window");
    fprintf(f, ",time_s\n");
    for (int64_t i = 0; i < r->hist_rows; i++) {
        const double *row = r->hist + i * r->hist_cols;
        int st = (int)row[1];
        fprintf(f, "%lld,%d,%s", (long long)row[0], st,
                st < p->n_stages ? nt_stage_name(&p->stages[st]) : "-");
        for (int c = 2; c < r->hist_cols; c++) {
            if (isfinite(row[c])) fprintf(f, ",%.10g", row[c]);
            else fprintf(f, ",");
        }
        fputc('\n', f);
    }
    return nt_tmp_commit(f, tmp, path);
}

/* ------------------------------------------------------------------------------ */
/* Checkpoints                                                                      */

static nt_status ckpt_save(run *r)
{
    nt_ckpt_writer w;
    nt_status st = nt_ckpt_writer_init(&w);
    if (st) return st;
    nt_params *pp = &r->m.params;
    size_t es = nt_dtype_size(pp->dtype), n = (size_t)pp->n;
    r->meta.n_params = pp->n;
    r->meta.n_res = r->m.n_res;
    r->meta.dim = r->prob.env.n_vars;
    r->meta.hist_cols = r->hist_cols;
    st = nt_ckpt_add(&w, "meta", &r->meta, sizeof r->meta);
    if (!st) st = nt_ckpt_add(&w, "source_dir", r->prob.dir, strlen(r->prob.dir) + 1);
    if (!st) st = nt_ckpt_add(&w, "params", pp->data, n * es);
    if (!st) st = nt_ckpt_add(&w, "rng", r->m.rng.s, sizeof r->m.rng.s);
    if (!st) st = nt_ckpt_add(&w, "x_res", r->m.x_res, (size_t)(r->m.n_res * r->prob.env.n_vars) * sizeof(double));
    if (!st && r->hist_rows) st = nt_ckpt_add(&w, "history", r->hist, (size_t)(r->hist_rows * r->hist_cols) * sizeof(double));
    /* training methods' state */
    double ms[8] = {r->m.causal_idx, r->m.causal_wmin, r->m.t_hi, (double)r->m.lam_step, (double)r->m.n_res,
                    (double)r->m.adapt_kept, r->m.causal_frozen, r->m.gate};
    size_t nres = (size_t)r->m.n_res_cap * sizeof(double);
    if (!st) st = nt_ckpt_add(&w, "methods", ms, sizeof ms);
    if (!st) st = nt_ckpt_add(&w, "term_weight", r->m.term_weight, sizeof r->m.term_weight);
    if (!st) st = nt_ckpt_add(&w, "probe_rng", r->m.probe_rng.s, sizeof r->m.probe_rng.s);
    if (!st && r->m.pt_w) st = nt_ckpt_add(&w, "pt_w", r->m.pt_w, nres);
    if (!st && r->m.caus_w) st = nt_ckpt_add(&w, "caus_w", r->m.caus_w, nres);
    if (!st && r->m.lam) st = nt_ckpt_add(&w, "lambda", r->m.lam, nres);
    if (!st && r->m.lam_m) st = nt_ckpt_add(&w, "lambda_m", r->m.lam_m, nres);
    if (!st && r->m.lam_v) st = nt_ckpt_add(&w, "lambda_v", r->m.lam_v, nres);
    if (!st) st = nt_ckpt_add(&w, "res_sq", r->m.res_sq, nres);
    if (!st) st = nt_mstage_ckpt_save(&r->m, &w);
    if (!st) st = nt_windows_ckpt_save(&r->m, &w);
    if (!st && r->have_adam) {
        st = nt_ckpt_add(&w, "adam_step", &r->adam.step, sizeof r->adam.step);
        if (!st) st = nt_ckpt_add(&w, "adam_m", r->adam.m, n * es);
        if (!st) st = nt_ckpt_add(&w, "adam_v", r->adam.v, n * es);
    }
    if (!st && (r->have_madam || r->have_soap)) {
        nt_optim_buf b[8];
        int nb = r->have_madam ? nt_multiadam_state(&r->madam, b, 8) : nt_soap_state(&r->soap, b, 8);
        for (int i = 0; i < nb && i < 8 && !st; i++)
            st = nt_ckpt_add(&w, b[i].name, b[i].data, (size_t)b[i].len * sizeof(double));
    }
    if (!st && r->have_lbfgs) {
        nt_lbfgs *o = &r->lbfgs;
        int64_t sc[8] = {o->k, o->head, o->iter, o->n_evals, o->state, o->started, o->cfg.history, o->cfg.update};
        size_t hm = (size_t)o->cfg.history * n * sizeof(double);
        st = nt_ckpt_add(&w, "lbfgs_int", sc, sizeof sc);
        if (!st) st = nt_ckpt_add(&w, "lbfgs_f", &o->f, sizeof o->f);
        if (!st) st = nt_ckpt_add(&w, "lbfgs_s", o->s, hm);
        if (!st) st = nt_ckpt_add(&w, "lbfgs_y", o->y, hm);
        if (!st) st = nt_ckpt_add(&w, "lbfgs_rho", o->rho, (size_t)o->cfg.history * sizeof(double));
        if (!st) st = nt_ckpt_add(&w, "lbfgs_d", o->d, n * sizeof(double));
        if (!st) st = nt_ckpt_add(&w, "lbfgs_x0", o->x0, n * sizeof(double));
        if (!st) st = nt_ckpt_add(&w, "lbfgs_g0", o->g0, n * sizeof(double));
        if (!st && o->H) st = nt_ckpt_add(&w, "lbfgs_H", o->H, n * n * sizeof(double));
    }
    char path[NT_PROB_PATH + 32];
    join(path, sizeof path, r->dir, CKPT_NAME);
    if (!st) st = nt_ckpt_write(&w, path);
    nt_ckpt_writer_free(&w);
    if (!st) r->last_ckpt_step = r->meta.global_step;
    return st;
}

/* Restores parameters, points, RNG and history; optimizer state is restored when
 * the stage is set up (restore_opt). */
static nt_status ckpt_load_model(run *r, const nt_ckpt *c, const char *path)
{
    nt_status mst = nt_mstage_ckpt_load(&r->m, c, path); /* before "params": it rebuilds the networks */
    if (mst) return mst;
    nt_params *pp = &r->m.params;
    size_t es = nt_dtype_size(pp->dtype);
    int rar = r->prob.adaptive == NT_ADAPT_RAR;
    if (r->meta.n_params != pp->n || r->meta.dim != r->prob.env.n_vars ||
        (rar ? r->meta.n_res > r->m.n_res_cap || r->meta.n_res < r->prob.n_res : r->meta.n_res != r->m.n_res))
        return nt_set_error(NT_ERR_FORMAT, "%s: the checkpoint does not match problem.yaml (parameters %lld vs %lld, "
                            "points %lld vs %lld)", path, (long long)r->meta.n_params, (long long)pp->n,
                            (long long)r->meta.n_res, (long long)r->m.n_res);
    r->m.n_res = r->meta.n_res;
    nt_status st = nt_ckpt_get(c, path, "params", pp->data, (size_t)pp->n * es);
    double ms[8];
    size_t nres = (size_t)r->m.n_res_cap * sizeof(double);
    if (!st) st = nt_ckpt_get(c, path, "methods", ms, sizeof ms);
    if (!st) st = nt_ckpt_get(c, path, "term_weight", r->m.term_weight, sizeof r->m.term_weight);
    if (!st) st = nt_ckpt_get(c, path, "probe_rng", r->m.probe_rng.s, sizeof r->m.probe_rng.s);
    if (!st && r->m.pt_w) st = nt_ckpt_get(c, path, "pt_w", r->m.pt_w, nres);
    if (!st && r->m.caus_w) st = nt_ckpt_get(c, path, "caus_w", r->m.caus_w, nres);
    if (!st && r->m.lam) st = nt_ckpt_get(c, path, "lambda", r->m.lam, nres);
    if (!st && r->m.lam_m) st = nt_ckpt_get(c, path, "lambda_m", r->m.lam_m, nres);
    if (!st && r->m.lam_v) st = nt_ckpt_get(c, path, "lambda_v", r->m.lam_v, nres);
    if (!st) st = nt_ckpt_get(c, path, "res_sq", r->m.res_sq, nres);
    if (!st) {
        if (!(ms[0] >= 0 && ms[0] < NT_PROB_MAX_EPS && (r->prob.causal_slices == 0 || ms[0] < r->prob.causal_n_eps)))
            return nt_set_error(NT_ERR_FORMAT, "%s: the causal schedule does not match problem.yaml", path);
        r->m.causal_idx = (int)ms[0];
        r->m.causal_wmin = ms[1];
        r->m.t_hi = ms[2];
        r->m.lam_step = (int64_t)ms[3];
        r->m.adapt_kept = (int64_t)ms[5];
        r->m.causal_frozen = (int)ms[6];
        r->m.gate = ms[7];
    }
    if (!st) st = nt_ckpt_get(c, path, "rng", r->m.rng.s, sizeof r->m.rng.s);
    if (!st) st = nt_ckpt_get(c, path, "x_res", r->m.x_res, (size_t)(r->m.n_res * r->prob.env.n_vars) * sizeof(double));
    if (!st) st = nt_windows_ckpt_load(&r->m, c, path); /* before points_changed: the window's start */
    if (st) return st;
    nt_pinn_points_changed(&r->m);
    size_t hb = 0;
    const void *h = nt_ckpt_find(c, "history", &hb);
    if (h && r->meta.hist_cols == r->hist_cols && hb % ((size_t)r->hist_cols * sizeof(double)) == 0) {
        int64_t rows = (int64_t)(hb / ((size_t)r->hist_cols * sizeof(double)));
        r->hist = malloc(hb);
        if (!r->hist) return nt_set_error(NT_ERR_NOMEM, "out of memory");
        memcpy(r->hist, h, hb);
        r->hist_rows = r->hist_cap = rows;
    }
    return NT_OK;
}

static nt_status restore_opt(run *r, const nt_ckpt *c, const char *path)
{
    nt_params *pp = &r->m.params;
    size_t es = nt_dtype_size(pp->dtype), n = (size_t)pp->n;
    nt_status st = NT_OK;
    if (r->have_adam) {
        st = nt_ckpt_get(c, path, "adam_step", &r->adam.step, sizeof r->adam.step);
        if (!st) st = nt_ckpt_get(c, path, "adam_m", r->adam.m, n * es);
        if (!st) st = nt_ckpt_get(c, path, "adam_v", r->adam.v, n * es);
    }
    if (!st && (r->have_madam || r->have_soap)) {
        nt_optim_buf b[8];
        int nb = r->have_madam ? nt_multiadam_state(&r->madam, b, 8) : nt_soap_state(&r->soap, b, 8);
        for (int i = 0; i < nb && i < 8 && !st; i++)
            st = nt_ckpt_get(c, path, b[i].name, b[i].data, (size_t)b[i].len * sizeof(double));
    }
    if (!st && r->have_lbfgs) {
        nt_lbfgs *o = &r->lbfgs;
        int64_t sc[8];
        size_t hm = (size_t)o->cfg.history * n * sizeof(double);
        st = nt_ckpt_get(c, path, "lbfgs_int", sc, sizeof sc);
        if (!st && sc[6] != o->cfg.history) st = nt_set_error(NT_ERR_FORMAT, "%s: L-BFGS history length changed", path);
        if (!st && sc[7] != o->cfg.update)
            st = nt_set_error(NT_ERR_FORMAT, "%s: the checkpoint's quasi-Newton stage is %s, the problem's %s", path,
                              nt_qn_update_name((nt_qn_update)sc[7]), nt_qn_update_name(o->cfg.update));
        if (!st) st = nt_ckpt_get(c, path, "lbfgs_f", &o->f, sizeof o->f);
        if (!st) st = nt_ckpt_get(c, path, "lbfgs_s", o->s, hm);
        if (!st) st = nt_ckpt_get(c, path, "lbfgs_y", o->y, hm);
        if (!st) st = nt_ckpt_get(c, path, "lbfgs_rho", o->rho, (size_t)o->cfg.history * sizeof(double));
        if (!st) st = nt_ckpt_get(c, path, "lbfgs_d", o->d, n * sizeof(double));
        if (!st) st = nt_ckpt_get(c, path, "lbfgs_x0", o->x0, n * sizeof(double));
        if (!st) st = nt_ckpt_get(c, path, "lbfgs_g0", o->g0, n * sizeof(double));
        if (!st && o->H) st = nt_ckpt_get(c, path, "lbfgs_H", o->H, n * n * sizeof(double));
        if (!st) {
            o->k = (int)sc[0];
            o->head = (int)sc[1];
            o->iter = sc[2];
            o->n_evals = sc[3];
            o->state = (nt_lbfgs_state)sc[4];
            o->started = (int)sc[5];
            NT_DISPATCH(pp->dtype, T, {
                T *g = pp->grad;
                for (size_t i = 0; i < n; i++) g[i] = (T)o->g0[i];
            });
        }
    }
    return st;
}

/* ------------------------------------------------------------------------------ */
/* Opening a problem (fresh or from a run folder)                                   */

static int open_problem(run *r, const char *path, const char *dir_override, const char *text_override,
                        int64_t seed, int dtype)
{
    nt_status st;
    if (text_override) {
        st = nt_problem_load_string(&r->prob, text_override, path, dir_override);
    } else {
        st = nt_problem_load(&r->prob, path);
    }
    if (st) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        return 1;
    }
    if (seed >= 0) r->prob.seed = (uint64_t)seed;
    if (dtype >= 0) r->prob.dtype = (nt_dtype)dtype;
    if ((st = nt_pinn_init(&r->m, &r->prob))) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        return 1;
    }
    r->hist_cols = hist_cols(r);
    r->lr = NAN;
    return 0;
}

static void stage_teardown(run *r);

static void run_free(run *r)
{
    stage_teardown(r);
    nt_pinn_free(&r->m);
    nt_problem_free(&r->prob);
    free(r->hist);
    memset(r, 0, sizeof *r);
}

/* Loads a run folder: problem.yaml with the recorded overrides, and the checkpoint. */
static int open_run(run *r, const char *dir, nt_ckpt *c, char *ckpath, size_t cap)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    join(ckpath, cap, dir, CKPT_NAME);
    nt_status st = nt_ckpt_read(c, ckpath);
    if (st) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        return 1;
    }
    if (nt_ckpt_get(c, ckpath, "meta", &r->meta, sizeof r->meta) || r->meta.version != META_VERSION) {
        fprintf(stderr, "noether: %s: unreadable run metadata\n", ckpath);
        return 1;
    }
    size_t sb = 0;
    const char *srcdir = nt_ckpt_find(c, "source_dir", &sb);
    char ppath[NT_PROB_PATH + 32], sdir[NT_PROB_PATH];
    join(ppath, sizeof ppath, dir, "problem.yaml");
    snprintf(sdir, sizeof sdir, "%s", srcdir && sb && srcdir[sb - 1] == 0 ? srcdir : dir);
    char *text = nt_read_file(ppath, NULL);
    if (!text) {
        fprintf(stderr, "noether: cannot read '%s': %s\n", ppath, strerror(errno));
        return 1;
    }
    int rc = open_problem(r, ppath, sdir, text, (int64_t)r->meta.seed, r->meta.dtype);
    free(text);
    if (rc) return rc;
    if ((st = ckpt_load_model(r, c, ckpath))) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------ */
/* Outputs                                                                          */

/* Sorted distinct values of column v of the reference points. */
static int64_t distinct(const double *x, int64_t n, int D, int v, double *out, int64_t cap)
{
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        double a = x[i * D + v];
        int64_t lo = 0, hi = k;
        while (lo < hi) {
            int64_t mid = (lo + hi) / 2;
            if (out[mid] < a) lo = mid + 1;
            else hi = mid;
        }
        if (lo < k && out[lo] == a) continue;
        if (k == cap) return -1;
        memmove(out + lo + 1, out + lo, (size_t)(k - lo) * sizeof(double));
        out[lo] = a;
        k++;
    }
    return k;
}

static int64_t find_sorted(const double *v, int64_t n, double a)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = (lo + hi) / 2;
        if (v[mid] < a) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void write_figures(run *r, int quiet)
{
    const nt_problem *p = &r->prob;
    nt_pinn *m = &r->m;
    int D = p->env.n_vars, F = p->env.n_fields;
    char path[NT_PROB_PATH + 32];
    /* loss curves */
    if (r->hist_rows > 0) {
        int T = m->n_terms, ns = 0;
        double *xs = malloc((size_t)r->hist_rows * sizeof(double));
        double *ys = malloc((size_t)(r->hist_rows * (T + 1)) * sizeof(double));
        nt_plot_series s[NT_PINN_MAX_TERMS + 1];
        char names[NT_PINN_MAX_TERMS + 1][80];
        if (xs && ys) {
            for (int64_t i = 0; i < r->hist_rows; i++) {
                const double *row = r->hist + i * r->hist_cols;
                xs[i] = row[0];
                ys[i] = row[2];
                for (int k = 0; k < T; k++) ys[(k + 1) * r->hist_rows + i] = row[3 + k];
            }
            snprintf(names[0], sizeof names[0], "total");
            s[ns++] = (nt_plot_series){names[0], xs, ys, r->hist_rows};
            for (int k = 0; k < T && T > 1; k++) {
                snprintf(names[ns], sizeof names[ns], "%s", m->term_name[k]);
                s[ns] = (nt_plot_series){names[ns], xs, ys + (k + 1) * r->hist_rows, r->hist_rows};
                ns++;
            }
            join(path, sizeof path, r->dir, "loss.png");
            if (nt_plot_lines(path, s, ns, "training loss", "step", "loss", 1) && !quiet)
                fprintf(stderr, "noether: warning: %s\n", nt_error_msg());
        }
        free(xs);
        free(ys);
    }
    /* solution: heat maps for 2-variable reference grids, line plots for 1 variable */
    if (!m->n_ref || (D != 1 && D != 2)) return;
    if (D == 1) {
        nt_plot_series s[2 * NT_EXPR_MAX_FIELDS];
        char names[2 * NT_EXPR_MAX_FIELDS][80];
        int ns = 0;
        double *buf = malloc((size_t)(m->n_ref * (2 * F + 1)) * sizeof(double));
        int64_t *ord = malloc((size_t)m->n_ref * sizeof(int64_t));
        if (buf && ord) {
            double *xs = buf;
            for (int64_t i = 0; i < m->n_ref; i++) ord[i] = i;
            /* insertion order by x (reference files may be unsorted) */
            for (int64_t i = 1; i < m->n_ref; i++) {
                int64_t k = ord[i], j = i;
                while (j > 0 && m->ref_x[ord[j - 1]] > m->ref_x[k]) { ord[j] = ord[j - 1]; j--; }
                ord[j] = k;
            }
            for (int64_t i = 0; i < m->n_ref; i++) xs[i] = m->ref_x[ord[i]];
            for (int f = 0; f < F; f++) {
                double *yp = buf + (1 + 2 * f) * m->n_ref, *yr = yp + m->n_ref;
                for (int64_t i = 0; i < m->n_ref; i++) {
                    yp[i] = m->ref_pred[ord[i] * F + f];
                    yr[i] = m->ref_u[ord[i] * F + f];
                }
                snprintf(names[ns], 80, "%s (noether)", p->env.fields[f]);
                s[ns] = (nt_plot_series){names[ns], xs, yp, m->n_ref};
                ns++;
                if (m->ref_has[f]) {
                    snprintf(names[ns], 80, "%s (reference)", p->env.fields[f]);
                    s[ns] = (nt_plot_series){names[ns], xs, yr, m->n_ref};
                    ns++;
                }
            }
            join(path, sizeof path, r->dir, "solution.png");
            if (nt_plot_lines(path, s, ns, "solution", p->env.vars[0], "value", 0) && !quiet)
                fprintf(stderr, "noether: warning: %s\n", nt_error_msg());
        }
        free(buf);
        free(ord);
        return;
    }
    /* D == 2: horizontal axis = time if there is one, else the first variable */
    int h = p->time_var >= 0 ? p->time_var : 0, v = h == 0 ? 1 : 0;
    double *hv = malloc(4096 * sizeof(double)), *vv = malloc(4096 * sizeof(double));
    int64_t nh = hv ? distinct(m->ref_x, m->n_ref, D, h, hv, 4096) : -1;
    int64_t nv = vv ? distinct(m->ref_x, m->n_ref, D, v, vv, 4096) : -1;
    if (nh < 2 || nv < 2 || nh * nv != m->n_ref) {
        free(hv);
        free(vv);
        return; /* not a product grid */
    }
    double *z = malloc((size_t)(3 * F * nh * nv) * sizeof(double));
    if (!z) {
        free(hv);
        free(vv);
        return;
    }
    for (int64_t i = 0; i < 3 * F * nh * nv; i++) z[i] = NAN;
    for (int64_t i = 0; i < m->n_ref; i++) {
        int64_t a = find_sorted(hv, nh, m->ref_x[i * D + h]), b = find_sorted(vv, nv, m->ref_x[i * D + v]);
        for (int f = 0; f < F; f++) {
            double *zp = z + (size_t)(3 * f) * nh * nv, *zr = zp + nh * nv, *ze = zr + nh * nv;
            double pr = m->ref_pred[i * F + f], rf = m->ref_u[i * F + f];
            zp[b * nh + a] = pr;
            zr[b * nh + a] = rf;
            ze[b * nh + a] = fabs(pr - rf);
        }
    }
    nt_plot_panel panels[3 * NT_EXPR_MAX_FIELDS];
    char titles[3 * NT_EXPR_MAX_FIELDS][96];
    int np = 0;
    for (int f = 0; f < F; f++) {
        double *zp = z + (size_t)(3 * f) * nh * nv;
        int with_ref = m->ref_has[f];
        double lo = INFINITY, hi = -INFINITY;
        for (int64_t i = 0; i < nh * nv * (with_ref ? 2 : 1); i++)
            if (isfinite(zp[i])) { lo = fmin(lo, zp[i]); hi = fmax(hi, zp[i]); }
        int div = lo < 0 && hi > 0;
        double amax = fmax(fabs(lo), fabs(hi));
        for (int k = 0; k < (with_ref ? 3 : 1); k++) {
            nt_plot_panel *q = &panels[np];
            memset(q, 0, sizeof *q);
            q->z = zp + (size_t)k * nh * nv;
            q->nx = (int)nh;
            q->ny = (int)nv;
            q->x0 = hv[0];
            q->x1 = hv[nh - 1];
            q->y0 = vv[0];
            q->y1 = vv[nv - 1];
            q->xlabel = p->env.vars[h];
            q->ylabel = p->env.vars[v];
            static const char *what[3] = {"noether", "reference", "|error|"};
            snprintf(titles[np], sizeof titles[np], "%s %s", p->env.fields[f], what[k]);
            q->title = titles[np];
            q->diverging = k < 2 && div;
            q->vmin = k < 2 ? (div ? -amax : lo) : NAN;
            q->vmax = k < 2 ? (div ? amax : hi) : NAN;
            np++;
        }
    }
    join(path, sizeof path, r->dir, "solution.png");
    if (nt_plot_heatmaps(path, panels, np) && !quiet) fprintf(stderr, "noether: warning: %s\n", nt_error_msg());
    free(z);
    free(hv);
    free(vv);
}

static int write_predictions(run *r)
{
    const nt_problem *p = &r->prob;
    nt_pinn *m = &r->m;
    int D = p->env.n_vars, F = p->env.n_fields;
    if (!m->n_ref) return 0;
    char path[NT_PROB_PATH + 32], tmp[NT_PROB_PATH + 40];
    join(path, sizeof path, r->dir, "predictions.csv");
    FILE *f = nt_tmp_open(path, tmp, sizeof tmp);
    if (!f) return -1;
    for (int v = 0; v < D; v++) fprintf(f, "%s%s", v ? "," : "", p->env.vars[v]);
    for (int k = 0; k < F; k++) fprintf(f, ",%s", p->env.fields[k]);
    for (int k = 0; k < F; k++) if (m->ref_has[k]) fprintf(f, ",%s_ref,%s_abs_err", p->env.fields[k], p->env.fields[k]);
    fputc('\n', f);
    for (int64_t i = 0; i < m->n_ref; i++) {
        if (!nt_problem_in_domain(p, m->ref_x + i * D)) continue; /* outside the geometry */
        for (int v = 0; v < D; v++) fprintf(f, "%s%.17g", v ? "," : "", m->ref_x[i * D + v]);
        for (int k = 0; k < F; k++) fprintf(f, ",%.17g", m->ref_pred[i * F + k]);
        for (int k = 0; k < F; k++)
            if (m->ref_has[k]) fprintf(f, ",%.17g,%.17g", m->ref_u[i * F + k], fabs(m->ref_pred[i * F + k] - m->ref_u[i * F + k]));
        fputc('\n', f);
    }
    return nt_tmp_commit(f, tmp, path);
}

static const char *ref_desc(const nt_problem *p, char *buf, size_t cap)
{
    switch (p->ref_kind) {
    case NT_REF_FILE: snprintf(buf, cap, "file %s", p->ref_path); break;
    case NT_REF_COLE_HOPF: snprintf(buf, cap, "Cole-Hopf (nu = %.17g)", p->ref_nu); break;
    case NT_REF_EXACT: snprintf(buf, cap, "exact solution"); break;
    case NT_REF_SPECTRAL: {
        static const char *eq[] = {"Burgers", "Allen-Cahn", "KdV", "Kuramoto-Sivashinsky", "NLS"};
        snprintf(buf, cap, "pseudo-spectral %s (%d modes, %s, dt = %g)", eq[p->ref_spec_pde], p->ref_spec_n,
                 p->ref_spec_scheme == 0 ? "ETDRK4" : "RK4", p->ref_spec_dt);
        break;
    }
    case NT_REF_CAVITY: snprintf(buf, cap, "lid-driven cavity solver (Re = %g, %d x %d grid)", p->ref_re, p->ref_solver_n, p->ref_solver_n); break;
    default: snprintf(buf, cap, "none"); break;
    }
    return buf;
}

static const char *net_name(int type)
{
    switch (type) {
    case NT_NET_MODIFIED_MLP: return "modified_mlp";
    case NT_NET_PIRATE: return "pirate";
    case NT_NET_KAN: return "kan";
    default: return "mlp";
    }
}

/* The architecture and training methods in one line, e.g. "pirate 3 blocks,
 * fourier 128, periodic x; causal 32 slices eps 0.01..10, gradnorm, r3". */
static void methods_desc(const nt_problem *p, char *out, size_t cap)
{
    static const char *wn[] = {"fixed", "gradnorm", "ntk", "self_adaptive", "rba"};
    static const char *an[] = {"none", "rad", "r3", "rar", "causal_r3"};
    size_t n = 0;
    out[0] = 0;
#define ADD(...) (n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, __VA_ARGS__))
    ADD("%s %d-%dx%d", net_name(p->net_type), p->env.n_vars, p->width, p->depth);
    if (p->net_type == NT_NET_KAN) ADD(" degree %d", p->kan_degree > 0 ? p->kan_degree : 5);
    if (p->fourier_features) ADD(", fourier %d (scale %g)", p->fourier_features, p->fourier_scale);
    for (int v = 0; v < p->env.n_vars; v++)
        if (p->period[v] > 0)
            ADD(", periodic %s%s", p->env.vars[v], p->parity[v] < 0 ? " (odd)" : p->parity[v] > 0 ? " (even)" : "");
    if (p->gaussians) ADD(", gaussians %d", p->gaussians);
    if (p->rwf) ADD(", rwf");
    if (p->n_output) ADD(", hard constraints");
    ADD("; stages");
    for (int k = 0; k < p->n_stages; k++) ADD("%s%s", k ? "+" : " ", nt_stage_name(&p->stages[k]));
    if (p->causal_slices) {
        ADD("; causal %d slices eps %g", p->causal_slices, p->causal_eps[0]);
        if (p->causal_n_eps > 1) ADD("..%g", p->causal_eps[p->causal_n_eps - 1]);
    }
    if (p->weighting) ADD("; %s weights", wn[p->weighting]);
    if (p->adaptive) ADD("; %s sampling", an[p->adaptive]);
    if (p->tm_windows > 1) ADD("; time marching %d windows", p->tm_windows);
    if (p->ms_stages > 1) ADD("; multistage %d", p->ms_stages);
    if (p->tw_windows > 1) ADD("; time windows %d%s", p->tw_windows, p->tw_hard ? " (hard continuity)" : "");
#undef ADD
}

static int write_summary(run *r, const char *status, const double *errs, double wall_s)
{
    const nt_problem *p = &r->prob;
    nt_pinn *m = &r->m;
    char path[NT_PROB_PATH + 32], tmp[NT_PROB_PATH + 40], buf[NT_PROB_PATH + 64];
    join(path, sizeof path, r->dir, "summary.json");
    FILE *f = nt_tmp_open(path, tmp, sizeof tmp);
    if (!f) return -1;
    int64_t adam = 0, lbfgs = 0;
    for (int k = 0; k < p->n_stages; k++) {
        if (p->stages[k].kind != NT_STAGE_LBFGS) adam += r->meta.stage_steps[k];
        else lbfgs += r->meta.stage_steps[k];
    }
    fprintf(f, "{\n  \"problem\": ");
    nt_json_str(f, p->name);
    fprintf(f, ",\n  \"status\": \"%s\",\n  \"noether_version\": \"%s\",\n", status, NT_VERSION_STRING);
    fprintf(f, "  \"dtype\": \"%s\",\n  \"threads\": %d,\n  \"seed\": %llu,\n", nt_dtype_name(p->dtype), nt_threads_get(),
            (unsigned long long)p->seed);
    fprintf(f, "  \"model\": {\"type\": \"%s\", \"width\": %d, \"depth\": %d, \"activation\": \"%s\", \"fourier_features\": %d, "
               "\"rwf\": %s, \"parameters\": %lld},\n",
            net_name(p->net_type), p->width, p->depth, nt_act_name(p->act),
            p->fourier_features, p->rwf ? "true" : "false", (long long)m->params.n);
    {
        char md[512];
        methods_desc(p, md, sizeof md);
        fprintf(f, "  \"methods\": ");
        nt_json_str(f, md);
        fprintf(f, ",\n");
    }
    fprintf(f, "  \"steps\": %lld,\n  \"adam_steps\": %lld,\n  \"lbfgs_iterations\": %lld,\n  \"loss_evaluations\": %lld,\n",
            (long long)r->meta.global_step, (long long)adam, (long long)lbfgs, (long long)r->meta.n_evals);
    fprintf(f, "  \"train_seconds\": ");
    nt_json_num(f, r->meta.train_s);
    fprintf(f, ",\n  \"wall_seconds\": ");
    nt_json_num(f, wall_s);
    fprintf(f, ",\n  \"note\": ");
    nt_json_str(f, r->stop_note);
    fprintf(f, ",\n  \"time_to_rel_l2_1e-3_seconds\": ");
    nt_json_num(f, r->meta.time_to_1e3);
    double loss = 0;
    for (int k = 0; k < m->n_terms; k++) loss += m->term_weight[k] * m->term[k];
    fprintf(f, ",\n  \"final_loss\": ");
    nt_json_num(f, loss);
    fprintf(f, ",\n  \"loss_terms\": {");
    for (int k = 0; k < m->n_terms; k++) {
        fprintf(f, "%s", k ? ", " : "");
        nt_json_str(f, m->term_name[k]);
        fprintf(f, ": ");
        nt_json_num(f, m->term[k]);
    }
    fprintf(f, "},\n  \"reference\": ");
    nt_json_str(f, ref_desc(p, buf, sizeof buf));
    fprintf(f, ",\n  \"rel_l2\": {");
    int first = 1;
    for (int k = 0; k < p->env.n_fields; k++) {
        if (!m->ref_has[k]) continue;
        fprintf(f, "%s\"%s\": ", first ? "" : ", ", p->env.fields[k]);
        nt_json_num(f, errs[k]);
        first = 0;
    }
    fprintf(f, "},\n  \"unknowns\": {");
    for (int k = 0; k < p->env.n_unknowns; k++) {
        double v = nt_pinn_unknown(m, k), tv = p->unknown_true[k];
        fprintf(f, "%s\"%s\": {\"value\": ", k ? ", " : "", p->env.unknowns[k]);
        nt_json_num(f, v);
        fprintf(f, ", \"init\": ");
        nt_json_num(f, p->unknown_init[k]);
        fprintf(f, ", \"exact\": ");
        nt_json_num(f, tv);
        fprintf(f, ", \"rel_error\": ");
        nt_json_num(f, isfinite(tv) ? fabs(v - tv) / fabs(tv) : NAN);
        fprintf(f, "}");
    }
    fprintf(f, "}\n}\n");
    return nt_tmp_commit(f, tmp, path);
}

/* ------------------------------------------------------------------------------ */
/* The training loop                                                                */

static double lbfgs_obj(void *user, nt_params *p)
{
    (void)p;
    run *r = user;
    r->meta.n_evals++;
    return nt_pinn_loss(&r->m, 1);
}

static nt_status stage_setup(run *r)
{
    const nt_stage *s = &r->prob.stages[r->meta.stage];
    nt_status st = NT_OK;
    r->m.pde_active = r->prob.stage_has_pde[r->meta.stage] ? r->prob.stage_pde[r->meta.stage] : NULL;
    if (s->kind != NT_STAGE_LBFGS) {
        nt_adam_config ac = nt_adam_config_default(s->lr);
        if (s->decay_rate < 1) {
            ac.sched.kind = NT_SCHED_EXP;
            ac.sched.rate = s->decay_rate;
            ac.sched.decay_steps = s->decay_every;
        }
        ac.sched.warmup = s->warmup;
        r->sched = ac.sched;
        int64_t n = r->m.params.n, T = r->m.n_terms;
        if (s->kind == NT_STAGE_MULTIADAM || s->kind == NT_STAGE_CONFIG) {
            if (s->kind == NT_STAGE_CONFIG && T > NT_CONFIG_MAX)
                return nt_set_error(NT_ERR_ARG, "config combines at most %d loss terms; this problem has %d",
                                    NT_CONFIG_MAX, (int)T);
            r->tgrad = malloc((size_t)((T + 1) * n) * sizeof(double)); /* + ConFIG's direction */
            if (!r->tgrad) return nt_set_error(NT_ERR_NOMEM, "out of memory for the per-term gradients");
            for (int k = 0; k < T; k++) r->tgp[k] = r->tgrad + k * n;
        }
        if (s->kind == NT_STAGE_MULTIADAM) {
            st = nt_multiadam_init(&r->madam, &r->m.params, (int)T, NT_MULTIADAM_BETA1, NT_MULTIADAM_BETA2,
                                   NT_MULTIADAM_EPS);
            r->have_madam = st == NT_OK;
        } else if (s->kind == NT_STAGE_SOAP) {
            st = nt_soap_init(&r->soap, &r->m.params, NULL);
            r->have_soap = st == NT_OK;
        } else {
            st = nt_adam_init(&r->adam, &r->m.params, &ac);
            r->have_adam = st == NT_OK;
        }
    } else {
        nt_lbfgs_config lc = nt_lbfgs_config_default(r->m.dtype);
        lc.history = s->history;
        lc.update = s->qn;
        st = nt_lbfgs_init(&r->lbfgs, &r->m.params, &lc);
        r->have_lbfgs = st == NT_OK;
    }
    return st;
}

/* Per-term gradients into r->tgrad; returns the weighted loss of the terms. */
static double term_grads(run *r)
{
    nt_pinn *m = &r->m;
    double loss = 0;
    for (int k = 0; k < m->n_terms; k++) {
        nt_pinn_term_grad(m, k, r->tgrad + (int64_t)k * m->params.n);
        loss += m->term_weight[k] * m->term[k];
    }
    r->meta.n_evals++;
    return loss;
}

static int grads_finite(const double *g, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(g[i])) return 0;
    return 1;
}

/* One step of a first-order stage (adam, multiadam, config, soap); returns the loss
 * (NaN/Inf: *status is set to "diverged" and nothing was updated). */
static double first_order_step(run *r, const char **status)
{
    nt_pinn *m = &r->m;
    nt_params *pp = &m->params;
    const nt_stage *s = &r->prob.stages[r->meta.stage];
    double loss;
    if (s->kind == NT_STAGE_MULTIADAM || s->kind == NT_STAGE_CONFIG) {
        loss = term_grads(r);
        if (!isfinite(loss) || !grads_finite(r->tgrad, m->n_terms * pp->n)) {
            *status = "diverged";
            return NAN;
        }
        if (s->kind == NT_STAGE_MULTIADAM) {
            r->lr = nt_schedule_lr(&r->sched, r->meta.step_in_stage);
            nt_multiadam_step(&r->madam, r->tgp, r->lr);
        } else {
            /* ConFIG: the conflict-free combination of the terms' gradients, then Adam */
            double *d = r->tgrad + (int64_t)m->n_terms * pp->n; /* scratch row */
            if (nt_config_direction(r->tgp, m->n_terms, pp->n, d, NULL)) {
                *status = "diverged";
                return NAN;
            }
            NT_DISPATCH(pp->dtype, T, {
                T *g = pp->grad;
                for (int64_t i = 0; i < pp->n; i++) g[i] = (T)d[i];
            });
            r->lr = nt_adam_step(&r->adam);
        }
        return loss;
    }
    loss = nt_pinn_loss(m, 1);
    r->meta.n_evals++;
    if (!isfinite(loss)) {
        *status = "diverged";
        return loss;
    }
    if (s->kind == NT_STAGE_SOAP) {
        r->lr = nt_schedule_lr(&r->sched, r->meta.step_in_stage);
        if (nt_soap_step(&r->soap, r->lr) < 0) {
            *status = "diverged";
            return NAN;
        }
    } else {
        r->lr = nt_adam_step(&r->adam);
    }
    return loss;
}

static void stage_teardown(run *r)
{
    r->m.pde_active = NULL; /* after a curriculum stage, report the problem's own residual */
    if (r->have_adam) nt_adam_free(&r->adam);
    if (r->have_lbfgs) nt_lbfgs_free(&r->lbfgs);
    if (r->have_madam) nt_multiadam_free(&r->madam);
    if (r->have_soap) nt_soap_free(&r->soap);
    free(r->tgrad);
    r->tgrad = NULL;
    r->have_adam = r->have_lbfgs = r->have_madam = r->have_soap = 0;
}

static void show_progress(run *r, double loss, int final_line)
{
    const nt_problem *p = &r->prob;
    const nt_stage *s = &p->stages[NT_MIN(r->meta.stage, p->n_stages - 1)];
    double dt = elapsed(r->t_stage0);
    int64_t done = r->meta.step_in_stage - r->s_stage0;
    double rate = dt > 0 ? (double)done / dt : 0;
    char eta[32], terms[256];
    nt_fmt_hms(eta, sizeof eta, rate > 0 ? (double)(s->steps - r->meta.step_in_stage) / rate : -1);
    size_t len = 0;
    terms[0] = 0;
    for (int k = 0; k < r->m.n_terms && len + 40 < sizeof terms; k++)
        len += (size_t)snprintf(terms + len, sizeof terms - len, "%s%s %.2e", k ? " " : "", r->m.term_name[k], r->m.term[k]);
    char unk[160] = "";
    len = 0;
    for (int k = 0; k < p->env.n_unknowns && len + 40 < sizeof unk; k++)
        len += (size_t)snprintf(unk + len, sizeof unk - len, "  %s %.6g", p->env.unknowns[k], nt_pinn_unknown(&r->m, k));
    if (isfinite(r->last_err) && len + 40 < sizeof unk)
        len += (size_t)snprintf(unk + len, sizeof unk - len, "  rel L2 %.3e", r->last_err);
    const char *opt = nt_stage_name(s);
    if (p->causal_slices && len + 60 < sizeof unk)
        len += (size_t)snprintf(unk + len, sizeof unk - len, "  causal eps %g w_min %.2f", p->causal_eps[r->m.causal_idx],
                                r->m.causal_wmin);
    if (p->adaptive == NT_ADAPT_CR3 && len + 40 < sizeof unk)
        len += (size_t)snprintf(unk + len, sizeof unk - len, "  gate %.3f", r->m.gate);
    if (p->tw_windows > 1 && len + 40 < sizeof unk)
        len += (size_t)snprintf(unk + len, sizeof unk - len, "  window %d/%d", r->m.win + 1, p->tw_windows);
    if (r->progress_bar) {
        int w = 20, fill = s->steps > 0 ? (int)((double)w * (double)r->meta.step_in_stage / (double)s->steps) : w;
        char bar[32];
        for (int i = 0; i < w; i++) bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
        bar[w] = 0;
        fprintf(stderr, "\r\033[K%s %lld/%lld [%s] loss %.3e (%s)%s  %.1f it/s  ETA %s", opt,
                (long long)r->meta.step_in_stage, (long long)s->steps, bar, loss, terms, unk, rate, eta);
        if (final_line) fputc('\n', stderr);
    } else {
        fprintf(stderr, "%s %lld/%lld  loss %.4e (%s)%s  %.1f it/s  ETA %s\n", opt, (long long)r->meta.step_in_stage,
                (long long)s->steps, loss, terms, unk, rate, eta);
    }
    fflush(stderr);
}

/* Computes reference errors (not counted as training time) and logs a history row. */
static void record(run *r, int with_err, double t_train0)
{
    double errs[NT_EXPR_MAX_FIELDS];
    for (int f = 0; f < NT_EXPR_MAX_FIELDS; f++) errs[f] = NAN;
    double worst = NAN;
    double t_before = nt_time_now();
    r->meta.train_s = t_before - t_train0;
    if (with_err && r->m.n_ref) worst = nt_pinn_errors(&r->m, errs);
    hist_add(r, with_err && r->m.n_ref, errs, r->meta.train_s);
    if (worst <= 1e-3 && !(r->meta.time_to_1e3 >= 0)) r->meta.time_to_1e3 = r->meta.train_s;
    if (with_err && r->m.n_ref) r->last_err = worst;
}

int nt_run_train(const nt_run_opts *o)
{
    run *r = calloc(1, sizeof *r);
    nt_ckpt c;
    memset(&c, 0, sizeof c);
    int have_ckpt = 0, rc = 1;
    if (!r) {
        fprintf(stderr, "noether: out of memory\n");
        return 1;
    }
    if (o->threads > 0) nt_threads_set(o->threads);
    double wall0 = nt_time_now();
    char ckpath[NT_PROB_PATH + 32];
    if (o->resume_dir) {
        if (open_run(r, o->resume_dir, &c, ckpath, sizeof ckpath)) goto out;
        have_ckpt = 1;
        if (r->meta.stage >= r->prob.n_stages) {
            fprintf(stderr, "noether: the run in %s has finished all its stages; nothing to resume\n", o->resume_dir);
            goto out;
        }
    } else {
        if (!o->problem) {
            fprintf(stderr, "noether train: no problem file given\n");
            rc = 2;
            goto out;
        }
        if (open_problem(r, o->problem, NULL, NULL, o->seed, o->dtype)) goto out;
        /* never overwrite an earlier run: runs/<name>, runs/<name>-2, ... unless
         * --out names the folder (then --overwrite is required) */
        struct stat sb;
        char probe[NT_PROB_PATH + 32];
        if (o->out_dir) {
            snprintf(r->dir, sizeof r->dir, "%s", o->out_dir);
            join(probe, sizeof probe, r->dir, CKPT_NAME);
            if (!o->overwrite && stat(probe, &sb) == 0) {
                fprintf(stderr, "noether: '%s' already holds a run; continue it with --resume %s, "
                                "choose another --out, or pass --overwrite\n", r->dir, r->dir);
                goto out;
            }
        } else {
            snprintf(r->dir, sizeof r->dir, "runs/%s", r->prob.name);
            for (int k = 2; k < 10000; k++) {
                join(probe, sizeof probe, r->dir, CKPT_NAME);
                if (stat(probe, &sb) != 0) break;
                snprintf(r->dir, sizeof r->dir, "runs/%s-%d", r->prob.name, k);
            }
        }
        if (nt_mkdir_p(r->dir)) {
            fprintf(stderr, "noether: cannot create the run folder '%s': %s\n", r->dir, strerror(errno));
            goto out;
        }
        /* the problem file as used */
        char *text = nt_read_file(o->problem, NULL), ppath[NT_PROB_PATH + 32];
        if (!text) {
            fprintf(stderr, "noether: cannot read '%s'\n", o->problem);
            goto out;
        }
        size_t cap = strlen(text) + 512;
        char *out = malloc(cap);
        if (out) {
            char hdr[400] = "";
            if (o->seed >= 0 || o->dtype >= 0) {
                char sd[64] = "", dd[64] = "";
                if (o->seed >= 0) snprintf(sd, sizeof sd, " seed %lld", (long long)o->seed);
                if (o->dtype >= 0) snprintf(dd, sizeof dd, "%s dtype %s", o->seed >= 0 ? "," : "", nt_dtype_name((nt_dtype)o->dtype));
                snprintf(hdr, sizeof hdr, "# noether: command-line overrides (also recorded in the checkpoint):%s%s\n", sd, dd);
            }
            snprintf(out, cap, "%s%s", hdr, text);
            join(ppath, sizeof ppath, r->dir, "problem.yaml");
            if (write_text(ppath, out)) {
                fprintf(stderr, "noether: cannot write '%s': %s\n", ppath, strerror(errno));
                free(out);
                free(text);
                goto out;
            }
        }
        free(out);
        free(text);
        r->meta.version = META_VERSION;
        r->meta.dtype = (int32_t)r->prob.dtype;
        r->meta.seed = r->prob.seed;
        r->meta.time_to_1e3 = NAN;
    }
    const nt_problem *p = &r->prob;
    nt_pinn *m = &r->m;
    r->progress_bar = o->progress < 0 ? isatty(2) : o->progress;
    r->last_err = NAN;
    {
        char buf[NT_PROB_PATH + 64];
        char md[512];
        methods_desc(p, md, sizeof md);
        fprintf(stderr, "noether %s: %s — %s, %s, %s, %lld residual points, %d threads%s\n", NT_VERSION_STRING,
                p->name, md, nt_act_name(p->act), nt_dtype_name(p->dtype),
                (long long)m->n_res, nt_threads_get(), o->resume_dir ? " (resumed)" : "");
        fprintf(stderr, "reference: %s; run folder: %s\n", ref_desc(p, buf, sizeof buf), r->dir);
    }
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C kills */
    g_interrupted = 0;
    sigaction(SIGINT, &sa, &old);

    double t_train0 = nt_time_now() - r->meta.train_s;
    const char *status = "finished";
    int64_t steps_this_session = 0;
    if (!have_ckpt) {
        nt_pinn_loss(m, 0);
        record(r, 1, t_train0);
        if (ckpt_save(r)) {
            fprintf(stderr, "noether: %s\n", nt_error_msg());
            goto out_sig;
        }
    }
    while (r->meta.stage < p->n_stages) {
        const nt_stage *s = &p->stages[r->meta.stage];
        if (stage_setup(r)) {
            fprintf(stderr, "noether: %s\n", nt_error_msg());
            goto out_sig;
        }
        if (have_ckpt && r->meta.stage_started) {
            if (restore_opt(r, &c, ckpath)) {
                fprintf(stderr, "noether: %s\n", nt_error_msg());
                goto out_sig;
            }
        }
        have_ckpt = 0;
        r->meta.stage_started = 1;
        r->t_stage0 = nt_time_now();
        r->s_stage0 = r->meta.step_in_stage;
        r->bar_last = 0;
        int stage_over = 0;
        while (r->meta.step_in_stage < s->steps && !stage_over) {
            double loss;
            if (s->kind != NT_STAGE_LBFGS) {
                m->causal_frozen = 0;
                if (nt_pinn_march(m, r->meta.global_step) && !r->progress_bar)
                    fprintf(stderr, "time marching: residual points now up to %s = %g\n", p->env.vars[p->time_var], m->t_hi);
                if (global_weighting(p) && r->meta.global_step % p->weighting_every == 0) nt_pinn_update_weights(m);
                loss = first_order_step(r, &status);
                if (!isfinite(loss)) break;
                nt_pinn_update_point_weights(m);
                if (nt_pinn_causal_advance(m) && !r->progress_bar)
                    fprintf(stderr, "causal weighting: epsilon -> %g at step %lld\n", p->causal_eps[m->causal_idx],
                            (long long)r->meta.global_step + 1);
                r->meta.stage_steps[r->meta.stage]++;
                r->meta.step_in_stage++;
                r->meta.global_step++;
                if (p->adaptive && r->meta.step_in_stage % p->adaptive_every == 0 && nt_pinn_adapt(m))
                    fprintf(stderr, "\nnoether: warning: adaptive sampling skipped: %s\n", nt_error_msg());
                if (p->resample_every > 0 && r->meta.step_in_stage % p->resample_every == 0) nt_pinn_resample(m);
            } else {
                nt_pinn_causal_release(m); /* L-BFGS: one fixed objective, the plain loss */
                if (s->resample_every > 0 && r->meta.step_in_stage % s->resample_every == 0) {
                    /* fresh points (not fitted to one set), the same line search memory;
                     * with rad sampling they are drawn from the residual density (as in
                     * Urbán, Stefanou & Pons 2025), otherwise with the sampler */
                    nt_status rs = p->adaptive == NT_ADAPT_RAD ? nt_pinn_adapt(m) : nt_pinn_resample(m);
                    if (rs) {
                        fprintf(stderr, "noether: %s\n", nt_error_msg());
                        goto out_sig;
                    }
                    nt_lbfgs_restart(&r->lbfgs);
                }
                nt_lbfgs_state ls = nt_lbfgs_step(&r->lbfgs, lbfgs_obj, r);
                loss = r->lbfgs.f;
                r->lr = NAN;
                if (ls == NT_LBFGS_NONFINITE || !isfinite(loss)) {
                    status = "diverged";
                    break;
                }
                r->meta.stage_steps[r->meta.stage]++;
                r->meta.step_in_stage++;
                r->meta.global_step++;
                if (ls != NT_LBFGS_RUNNING) {
                    static const char *why[] = {"", "gradient below tolerance", "loss change below tolerance",
                                                "line search failed (no decrease possible at this precision)", "non-finite"};
                    snprintf(r->stop_note, sizeof r->stop_note, "%s stage %d ended at iteration %lld: %s",
                             nt_stage_name(s), r->meta.stage + 1, (long long)r->meta.step_in_stage, why[ls]);
                    stage_over = 1;
                }
                /* the terms shown are of the last evaluation; re-evaluate at the
                 * accepted point only when logging (cheap, no gradient) */
            }
            steps_this_session++;
            r->last_loss = loss;
            int64_t k = r->meta.step_in_stage;
            int log_now = p->log_every > 0 && (k % p->log_every == 0);
            int eval_now = p->eval_every > 0 && (r->meta.global_step % p->eval_every == 0);
            if (s->kind == NT_STAGE_LBFGS && (log_now || eval_now)) nt_pinn_loss(m, 0);
            if (log_now || eval_now) record(r, eval_now, t_train0);
            if (r->progress_bar) {
                double now = nt_time_now();
                if (now - r->bar_last > 0.2) {
                    show_progress(r, loss, 0);
                    r->bar_last = now;
                }
            } else if (log_now) {
                show_progress(r, loss, 0);
            }
            if (r->meta.global_step - r->last_ckpt_step >= p->checkpoint_every) {
                if (ckpt_save(r)) fprintf(stderr, "\nnoether: warning: checkpoint not written: %s\n", nt_error_msg());
                else write_history(r);
            }
            if (o->stop_after > 0 && steps_this_session >= o->stop_after) g_interrupted = 1;
            if (g_interrupted) break;
            if (o->time_limit > 0 && nt_time_now() - t_train0 > o->time_limit) {
                status = "time_limit";
                break;
            }
        }
        if (r->progress_bar) show_progress(r, r->last_loss, 1);
        if (stage_over) fprintf(stderr, "%s\n", r->stop_note);
        if (!strcmp(status, "diverged")) break;
        if (g_interrupted) {
            status = "interrupted";
            break;
        }
        if (!strcmp(status, "time_limit")) break;
        stage_teardown(r);
        r->meta.stage++;
        r->meta.step_in_stage = 0;
        r->meta.stage_started = 0;
        if (r->meta.stage == p->n_stages && m->ms) { /* multistage: the next network, same optimizer stages */
            int more = nt_mstage_next(m, 0);
            if (more < 0) {
                fprintf(stderr, "noether: %s\n", nt_error_msg());
                goto out_sig;
            }
            if (more) r->meta.stage = 0;
        }
        if (r->meta.stage == p->n_stages && p->tw_windows > 1) { /* time windows: the next window, same stages */
            int more = nt_windows_next(m, 0);
            if (more < 0) {
                fprintf(stderr, "noether: %s\n", nt_error_msg());
                goto out_sig;
            }
            if (more) {
                r->meta.stage = 0;
                if (ckpt_save(r)) fprintf(stderr, "noether: warning: checkpoint not written: %s\n", nt_error_msg());
            }
        }
    }
    r->meta.train_s = nt_time_now() - t_train0;

    if (!strcmp(status, "diverged")) {
        fprintf(stderr, "\nnoether: the loss became non-finite at step %lld (stage %d, %s); training stopped.\n"
                        "The last good checkpoint (step %lld) is kept in %s/%s\n",
                (long long)r->meta.global_step + 1, r->meta.stage + 1,
                nt_stage_name(&p->stages[r->meta.stage]), (long long)r->last_ckpt_step,
                r->dir, CKPT_NAME);
        write_history(r);
        {
            double nan_errs[NT_EXPR_MAX_FIELDS];
            for (int f = 0; f < NT_EXPR_MAX_FIELDS; f++) nan_errs[f] = NAN;
            write_summary(r, status, nan_errs, nt_time_now() - wall0);
        }
        rc = 1;
        goto out_sig;
    }
    /* final state: the loss terms at the final parameters, errors, outputs */
    nt_pinn_loss(m, 0);
    double errs[NT_EXPR_MAX_FIELDS];
    double worst = nt_pinn_errors(m, errs);
    if (!r->hist_rows || r->hist[(r->hist_rows - 1) * r->hist_cols] != (double)r->meta.global_step)
        hist_add(r, m->n_ref > 0, errs, r->meta.train_s);
    if (worst <= 1e-3 && !(r->meta.time_to_1e3 >= 0)) r->meta.time_to_1e3 = r->meta.train_s;
    if (ckpt_save(r)) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        goto out_sig;
    }
    if (write_history(r) || write_predictions(r) || write_summary(r, status, errs, nt_time_now() - wall0)) {
        fprintf(stderr, "noether: cannot write the results in %s: %s\n", r->dir, strerror(errno));
        goto out_sig;
    }
    if (!strcmp(status, "interrupted")) {
        fprintf(stderr, "\ninterrupted at step %lld; checkpoint saved. Resume with: noether train --resume %s\n",
                (long long)r->meta.global_step, r->dir);
        rc = 130;
        goto out_sig;
    }
    write_figures(r, 0);
    printf("%s: %s after %lld steps (%.1f s of training)\n", p->name, status, (long long)r->meta.global_step, r->meta.train_s);
    for (int f = 0; f < p->env.n_fields; f++)
        if (m->ref_has[f]) printf("  relative L2 error of %s: %.3e\n", p->env.fields[f], errs[f]);
    for (int k = 0; k < p->env.n_unknowns; k++) {
        double v = nt_pinn_unknown(m, k), tv = p->unknown_true[k];
        printf("  learned %s = %.6g", p->env.unknowns[k], v);
        if (isfinite(tv)) printf(" (exact %.6g, relative error %.2e)", tv, fabs(v - tv) / fabs(tv));
        printf("\n");
    }
    if (r->meta.time_to_1e3 >= 0) printf("  relative L2 <= 1e-3 first reached after %.1f s of training\n", r->meta.time_to_1e3);
    printf("results: %s/ (summary.json, history.csv, predictions.csv, solution.png, loss.png, checkpoint.ntc)\n", r->dir);
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
/* predict / eval                                                                   */

int nt_run_predict(const char *dir, const char *in_csv, const char *out_csv)
{
    run *r = calloc(1, sizeof *r);
    nt_ckpt c;
    memset(&c, 0, sizeof c);
    char ckpath[NT_PROB_PATH + 32];
    int rc = 1;
    nt_csv in;
    memset(&in, 0, sizeof in);
    double *x = NULL, *u = NULL;
    if (!r || open_run(r, dir, &c, ckpath, sizeof ckpath)) goto out;
    const nt_problem *p = &r->prob;
    int D = p->env.n_vars, F = p->env.n_fields;
    if (nt_csv_read(&in, in_csv)) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        goto out;
    }
    int cols[NT_EXPR_MAX_VARS];
    for (int v = 0; v < D; v++)
        if ((cols[v] = nt_csv_col(&in, p->env.vars[v])) < 0) {
            fprintf(stderr, "noether: %s:1:1: no column '%s' (the points need one column per domain variable:", in_csv, p->env.vars[v]);
            for (int k = 0; k < D; k++) fprintf(stderr, " %s", p->env.vars[k]);
            fprintf(stderr, ")\n");
            goto out;
        }
    x = malloc((size_t)(in.rows * D + 1) * sizeof(double));
    u = malloc((size_t)(in.rows * F + 1) * sizeof(double));
    if (!x || !u) goto out;
    for (int64_t i = 0; i < in.rows; i++)
        for (int v = 0; v < D; v++) x[i * D + v] = in.data[i * in.ncols + cols[v]];
    if (nt_pinn_predict(&r->m, x, in.rows, u)) goto out;
    FILE *f = stdout;
    char tmp[NT_PROB_PATH + 8];
    if (out_csv) {
        if (!(f = nt_tmp_open(out_csv, tmp, sizeof tmp))) {
            fprintf(stderr, "noether: cannot write '%s': %s\n", out_csv, strerror(errno));
            goto out;
        }
    }
    for (int v = 0; v < D; v++) fprintf(f, "%s%s", v ? "," : "", p->env.vars[v]);
    for (int k = 0; k < F; k++) fprintf(f, ",%s", p->env.fields[k]);
    fputc('\n', f);
    for (int64_t i = 0; i < in.rows; i++) {
        for (int v = 0; v < D; v++) fprintf(f, "%s%.17g", v ? "," : "", x[i * D + v]);
        for (int k = 0; k < F; k++) fprintf(f, ",%.17g", u[i * F + k]);
        fputc('\n', f);
    }
    if (out_csv) {
        if (nt_tmp_commit(f, tmp, out_csv)) {
            fprintf(stderr, "noether: cannot write '%s': %s\n", out_csv, strerror(errno));
            goto out;
        }
        fprintf(stderr, "wrote %lld predictions to %s\n", (long long)in.rows, out_csv);
    }
    rc = 0;
out:
    free(x);
    free(u);
    nt_csv_free(&in);
    nt_ckpt_free(&c);
    if (r) run_free(r);
    free(r);
    return rc;
}

int nt_run_eval(const char *dir, const char *ref_csv)
{
    run *r = calloc(1, sizeof *r);
    nt_ckpt c;
    memset(&c, 0, sizeof c);
    char ckpath[NT_PROB_PATH + 32], buf[NT_PROB_PATH + 64];
    int rc = 1;
    if (!r || open_run(r, dir, &c, ckpath, sizeof ckpath)) goto out;
    const nt_problem *p = &r->prob;
    if (ref_csv && nt_pinn_load_reference_file(&r->m, ref_csv)) {
        fprintf(stderr, "noether: %s\n", nt_error_msg());
        goto out;
    }
    if (!r->m.n_ref) {
        fprintf(stderr, "noether: the problem has no reference; pass one with --reference FILE.csv\n");
        goto out;
    }
    double errs[NT_EXPR_MAX_FIELDS];
    nt_pinn_errors(&r->m, errs);
    printf("%s (step %lld) against %s:\n", p->name, (long long)r->meta.global_step,
           ref_csv ? ref_csv : ref_desc(p, buf, sizeof buf));
    for (int f = 0; f < p->env.n_fields; f++)
        if (r->m.ref_has[f]) printf("  relative L2 error of %s: %.6e\n", p->env.fields[f], errs[f]);
    for (int k = 0; k < p->env.n_unknowns; k++) printf("  %s = %.10g\n", p->env.unknowns[k], nt_pinn_unknown(&r->m, k));
    rc = 0;
out:
    nt_ckpt_free(&c);
    if (r) run_free(r);
    free(r);
    return rc;
}

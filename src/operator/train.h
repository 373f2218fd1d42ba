/* train.h — operator-learning runs (internal): FNO / DeepONet trained on a dataset
 * folder (a.npy, u.npy as written by `noether data`), with the run-folder conventions
 * of PINN runs (pinn/run.h). The file format and the run folder are documented in
 * docs/operators.md.
 *
 * Operator file (YAML), a mapping with
 *   name: NAME
 *   operator:
 *     model:  {type: fno, dim, width, modes, layers, proj_width}
 *           | {type: deeponet, p, branch_width, branch_depth, trunk_width, trunk_depth, activation}
 *     data:   {dir, generate: {set, n, res, fine, seed, dt, nu, t_end, grf_sigma, grf_tau, grf_alpha, times,
 *                              threads}, train, test, subsample, normalize}
 *     train:  {epochs, batch, lr, decay_rate, decay_every, weight_decay, dtype, seed,
 *              log_every, eval_every, checkpoint_every}
 *     physics: {weight, ic_weight, data_weight, nu}   (optional; space-time Burgers sets)
 *     output: {figures, speed}
 * Unknown keys and bad values are NT_ERR_FORMAT errors "file:line:column: ...". */
#ifndef NT_OPERATOR_TRAIN_H
#define NT_OPERATOR_TRAIN_H

#include "noether.h"
#include "operator/data.h"
#include "pinn/run.h"

#define NT_OP_PATH 1024

typedef enum nt_op_model_kind { NT_OP_FNO = 0, NT_OP_DEEPONET = 1 } nt_op_model_kind;

typedef struct nt_op_pos {
    int line, col; /* 0: unknown */
} nt_op_pos;

typedef struct nt_op_problem {
    char name[128];
    char path[NT_OP_PATH];       /* the file as given (used in messages) */
    char dir[NT_OP_PATH];        /* its directory: data.dir resolves against it */
    /* model */
    nt_op_model_kind kind;
    int dim;                     /* 0: from the dataset */
    int width, modes1, modes2, layers, proj_width;   /* FNO; modes2 = 0: same as modes1 */
    int p, branch_width, branch_depth, trunk_width, trunk_depth; /* DeepONet */
    nt_act act;
    /* data */
    char data_dir[NT_OP_PATH];   /* resolved */
    int generate;                /* a generate: block is present */
    int gen_darcy;               /* generate.set: 0 burgers, 1 darcy */
    nt_data_burgers_config gen_b;
    nt_data_darcy_config gen_d;
    int gen_threads_given;
    int64_t n_train, n_test;
    int subsample;
    int normalize;
    /* train */
    int64_t epochs, batch;
    double lr, decay_rate;
    int64_t decay_every;
    double weight_decay;         /* L2 added to the gradient (torch.optim.Adam's weight_decay) */
    nt_dtype dtype;
    uint64_t seed;
    int64_t log_every, eval_every, checkpoint_every;
    /* physics (PINO, space-time Burgers sets): loss = data_weight * rel L2 +
     * weight * PDE residual MSE + ic_weight * initial-condition MSE */
    int physics;                 /* a physics: block is present */
    double phys_w, phys_ic_w, phys_data_w;
    double phys_nu;              /* 0: the dataset's (meta.json / generate:) */
    /* output */
    int figures;
    int64_t speed;               /* instances of the batch timing; 0 = no speed measurement */
    /* positions for checks against the dataset */
    nt_op_pos pos_dim, pos_modes, pos_train, pos_test, pos_subsample, pos_dir, pos_model, pos_physics, pos_phys_nu;
} nt_op_problem;

/* Parses an operator file (text, named name in messages; dir: where data.dir
 * resolves, "" = the working directory). Checks everything that does not need the
 * dataset. */
nt_status nt_op_problem_load_string(nt_op_problem *p, const char *text, const char *name, const char *dir);
nt_status nt_op_problem_load(nt_op_problem *p, const char *path);

/* 1 when path is a YAML file whose top level is a mapping with an `operator` key
 * (0 otherwise, also when it cannot be read or parsed). */
int nt_op_is_operator_file(const char *path);
/* 1 when DIR/problem.yaml is an operator file. */
int nt_op_is_operator_run(const char *dir);

/* `noether train` for an operator file or --resume of an operator run. Same options
 * as PINN runs (out_dir, overwrite, resume_dir, threads, seed, dtype, time_limit,
 * stop_after = steps (mini-batches) of this session, progress). Exit status: 0 done,
 * 1 failure (message on stderr; a non-finite loss keeps the last good checkpoint),
 * 130 interrupted (checkpoint saved), 2 usage. */
int nt_op_train(const nt_run_opts *o);

/* `noether predict DIR --inputs IN.npy [--out OUT.npy]`: the run's model applied to
 * the inputs ([N, s] or [s] in 1-D, [N, s, s2] or [s, s2] in 2-D; float32 or
 * float64); writes float64 predictions of the same shape (default OUT:
 * IN without .npy + ".pred.npy"). */
int nt_op_predict(const char *dir, const char *in_npy, const char *out_npy);

#endif

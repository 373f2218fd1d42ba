/* demo.h — the built-in (t, x) PINN problems used by the README demo, the
 * training test and bench/step, until problem files exist: viscous Burgers and
 * Kuramoto–Sivashinsky on t ∈ [0, 1], x ∈ [−1, 1] with u(0, x) = −sin(πx) and
 * u(t, ±1) = 0. Internal to the tree (not part of the installed header). */
#ifndef NT_PINN_DEMO_H
#define NT_PINN_DEMO_H

#include "noether.h"

typedef enum nt_demo_pde { NT_DEMO_BURGERS = 0, NT_DEMO_KS = 1 } nt_demo_pde;

typedef struct nt_demo_config {
    nt_demo_pde pde;
    nt_dtype dtype;
    int width, depth;
    nt_act act;
    int64_t n_res;  /* collocation points (Latin hypercube) */
    int64_t n_ic;   /* points on t = 0 */
    int64_t n_bc;   /* points on x = ±1 (half each) */
    double nu;      /* Burgers viscosity; KS uses unit coefficients */
    int64_t chunk;  /* collocation points per forward/reverse pass (0 = all at once) */
    uint64_t seed;
} nt_demo_config;

typedef struct nt_demo {
    nt_demo_config cfg;
    nt_params params;
    nt_mlp mlp;
    nt_jet_spec spec;
    nt_tape tape;
    int s_t, s_x, s_xx, s_xxxx;
    double *x_res;   /* n_res × 2 (t, x) */
    double *x_cond;  /* (n_ic + n_bc) × 2 */
    double *u_cond;  /* targets */
    double loss_res, loss_ic, loss_bc; /* terms of the last evaluation */
    int64_t n_ref;   /* reference grid (nt_demo_load_reference), n_ref points */
    double *ref_tx;  /* n_ref × 2 */
    double *ref_u;   /* n_ref */
    double *ref_pred;
} nt_demo;

nt_demo_config nt_demo_config_default(nt_demo_pde pde);
nt_status nt_demo_init(nt_demo *d, const nt_demo_config *cfg);
void nt_demo_free(nt_demo *d);
/* Loss at the current parameters; with want_grad the parameter gradient is
 * written (overwritten) into d->params.grad. */
double nt_demo_loss(nt_demo *d, int want_grad);
/* u at n points (t, x) given as n × 2 doubles, written to out (n doubles). */
nt_status nt_demo_predict(nt_demo *d, const double *tx, int64_t n, double *out);

typedef struct nt_demo_train_config {
    int64_t adam_steps;
    double adam_lr;
    double adam_decay;      /* exponential decay factor per 1000 steps (1 = none) */
    int64_t lbfgs_iters;
    double time_limit_s;    /* stop training after this wall time (0 = none) */
    int64_t log_every;      /* progress line to stderr every this many steps (0 = never) */
} nt_demo_train_config;

typedef struct nt_demo_train_result {
    int64_t adam_steps, lbfgs_iters, evals;
    double final_loss, wall_s;
    int lbfgs_state;
    double final_error;        /* vs the loaded reference (NaN without one) */
    double time_to_1e3;        /* wall time when the error first was <= 1e-3 at a
                                  progress line (NaN if never) */
} nt_demo_train_result;

nt_status nt_demo_train(nt_demo *d, const nt_demo_train_config *tc, nt_demo_train_result *res);

/* Loads a (t, x, u) CSV grid as the reference used by nt_demo_ref_error and by
 * the progress lines of nt_demo_train. */
nt_status nt_demo_load_reference(nt_demo *d, const char *path);
/* Relative L2 error ‖u − u_ref‖ / ‖u_ref‖ on the loaded reference grid. */
double nt_demo_ref_error(nt_demo *d);
/* Relative L2 error of the model against a (t, x, u) CSV grid. */
nt_status nt_demo_eval_csv(nt_demo *d, const char *path, double *rel_l2);

#endif

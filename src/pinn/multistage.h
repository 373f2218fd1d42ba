/* multistage.h — multi-stage neural networks (Wang & Lai 2024, "Multi-stage neural
 * networks: function approximator of machine precision"), in float64 (internal).
 *
 * Stage 1 fits the target; every further stage k fits what is left, the residue
 * of the stages before it, normalized to unit size and with its input scaled by the
 * residue's dominant frequency (a high-frequency residue is made low-frequency for
 * the network; sin activations from stage 2 on). The solution is the sum
 *
 *   u(x) = Σ_k ε_k N_k(κ_k s(x)),   s(x) = 2 (x − a)/(b − a) − 1 ∈ [−1, 1],
 *
 * with ε_k the residue's magnitude and κ_k its frequency. Each stage trains with
 * Adam and then L-BFGS on the tape.
 *
 * Two problems, on an interval [a, b] with uniform points (the DFT of the residue on
 * them gives the frequency):
 *   - regression: fit samples y(x);
 *   - Poisson: −u'' = f with u(a), u(b) given (a PINN per stage: stage k solves
 *     −u_k'' = f + Σ_{j<k} u_j'' with the boundary values left over; its second
 *     derivative comes from the Taylor-mode jet). */
#ifndef NT_PINN_MULTISTAGE_H
#define NT_PINN_MULTISTAGE_H

#include "noether.h"

#define NT_MS_MAX_STAGES 8

typedef struct nt_ms_config {
    int max_stages;     /* 1..NT_MS_MAX_STAGES */
    double target;      /* stop when the training residue's relative RMS is below this */
    int width, depth;   /* each stage's MLP */
    int adam_steps;
    double lr;
    int lbfgs_iters;
    double bc_weight;   /* Poisson: weight of the two boundary terms */
    uint64_t seed;
} nt_ms_config;

typedef struct nt_ms_stage {
    double eps, kappa;  /* magnitude and input scale */
    nt_act act;
    nt_params params;
    nt_mlp mlp;
    double loss;        /* final training loss (normalized units) */
} nt_ms_stage;

typedef struct nt_multistage {
    nt_ms_config cfg;
    double a, b;
    int n_stages;
    nt_ms_stage st[NT_MS_MAX_STAGES];
    double residue[NT_MS_MAX_STAGES]; /* relative RMS residue after each stage (training
                                         points: regression error; Poisson: PDE residual
                                         relative to RMS f) */
} nt_multistage;

/* Defaults: up to 4 stages, target 1e-12, 20 × 3 tanh (sin from stage 2), Adam 2000
 * steps at 1e-3 then L-BFGS 5000 iterations, boundary weight 1, seed 1. */
nt_ms_config nt_ms_config_default(void);

/* Regression on the n (>= 8) points x (uniform on [a, b], ascending) with values y.
 * NT_ERR_ARG for bad input, NT_ERR_NOMEM. */
nt_status nt_ms_fit(nt_multistage *m, const nt_ms_config *c, int64_t n, const double *x, const double *y);

/* −u'' = f on [a, b], u(a) = ua, u(b) = ub, collocated on n uniform points. */
typedef double (*nt_ms_fn)(double x, void *user);
nt_status nt_ms_poisson(nt_multistage *m, const nt_ms_config *c, double a, double b, int64_t n, nt_ms_fn f,
                        void *user, double ua, double ub);

/* The sum of the stages at the n points x (first `stages` stages; −1 = all);
 * d2 (may be NULL) receives u''. */
nt_status nt_ms_eval(const nt_multistage *m, int stages, int64_t n, const double *x, double *u, double *d2);

void nt_ms_free(nt_multistage *m);

#endif

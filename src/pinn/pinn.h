/* pinn.h — a PINN built from a problem: network, points, loss, prediction and
 * errors against the reference (internal). The training loop is in run.c. */
#ifndef NT_PINN_PINN_H
#define NT_PINN_PINN_H

#include "noether.h"
#include "pinn/problem.h"

#define NT_PINN_MAX_TERMS (NT_PROB_MAX_PDE + NT_PROB_MAX_COND + 1)

typedef struct nt_pinn {
    const nt_problem *prob;
    nt_dtype dtype;
    nt_params params;               /* network weights, then the unknowns' θ */
    nt_net net;                     /* the network (nt_net: embeddings, mlp | modified_mlp, rwf) */
    nt_tensor *unk[NT_EXPR_MAX_UNKNOWNS]; /* θ (1 × 1); value = θ or exp(θ) */
    nt_jet_spec rspec;              /* derivative streams of the residuals */
    nt_jet_spec cspec;              /* derivative streams of the conditions */
    nt_tape tape;
    nt_rng rng;                     /* point sampling (saved in checkpoints) */
    double in_scale[NT_EXPR_MAX_VARS], in_shift[NT_EXPR_MAX_VARS]; /* x' = s·x + b in [−1, 1] */

    int64_t n_res;
    double *x_res;                  /* n_res × D */
    int64_t n_cond_pts;
    double *x_cond;                 /* all condition points, × D */
    int64_t cond_off[NT_PROB_MAX_COND][NT_PROB_MAX_FACES + 1]; /* row ranges per face
                                       (periodic: [0] lo copies, [1] hi copies, [2] end) */
    double *cond_nrm;               /* with a geometry: outward unit normals of the condition
                                       points on its boundary, n_cond_pts × geometry dim */
    nt_geom_work gwork;             /* geometry sampling scratch */
    int64_t n_data;
    double *x_data, *u_data;        /* n_data × D, n_data × F (NaN = not observed) */

    int n_terms;
    char term_name[NT_PINN_MAX_TERMS][64];
    double term[NT_PINN_MAX_TERMS]; /* unweighted mean squares of the last evaluation */
    double term_weight[NT_PINN_MAX_TERMS];

    int64_t n_ref;                  /* reference grid */
    double *ref_x, *ref_u, *ref_pred; /* n_ref × D, n_ref × F (NaN = absent), n_ref × F */
    int ref_has[NT_EXPR_MAX_FIELDS];
} nt_pinn;

/* Builds the network (seeded from prob->seed), samples the points, loads observations
 * and the reference. The problem must outlive the pinn. */
nt_status nt_pinn_init(nt_pinn *m, const nt_problem *prob);
void nt_pinn_free(nt_pinn *m);
/* Redraws the residual points with the problem's sampler. */
nt_status nt_pinn_resample(nt_pinn *m);
/* Loss at the current parameters; with want_grad p->grad is overwritten with its
 * gradient. Fills m->term. Allocates nothing after the first call. */
double nt_pinn_loss(nt_pinn *m, int want_grad);
/* Fields at n points (n × D) -> out (n × F). */
nt_status nt_pinn_predict(nt_pinn *m, const double *x, int64_t n, double *out);
/* Current value of unknown k. */
double nt_pinn_unknown(const nt_pinn *m, int k);
/* Relative L2 error per field on the reference grid (NaN for fields without a
 * reference); returns the largest of them (NaN without a reference). Fills ref_pred. */
double nt_pinn_errors(nt_pinn *m, double *per_field);
/* Replaces the reference by a CSV file with the domain variables and some fields. */
nt_status nt_pinn_load_reference_file(nt_pinn *m, const char *path);

#endif

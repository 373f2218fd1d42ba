/* pinn.h — a PINN built from a problem: network, points, loss, prediction and
 * errors against the reference (internal). The training loop is in run.c. */
#ifndef NT_PINN_PINN_H
#define NT_PINN_PINN_H

#include "noether.h"
#include "pinn/problem.h"

#define NT_PINN_MAX_TERMS (NT_PROB_MAX_PDE + NT_PROB_MAX_COND + 1)
#define NT_PINN_MAX_SLICES 1024

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
    double term_weight[NT_PINN_MAX_TERMS]; /* in the loss: the file's weight × balancing */
    double term_base[NT_PINN_MAX_TERMS];   /* the file's weights */

    /* training methods (problem's train: causal, weighting, adaptive, time_marching) */
    int64_t n_res_cap;              /* rows of x_res (rar grows n_res up to it) */
    double *res_sq;                 /* n_res_cap: Σ_k r_k² per residual point, last evaluation */
    double *pt_w;                   /* n_res_cap: weight of each point in the PDE terms
                                       (causal × point weights; mean 1 when uniform);
                                       NULL without causal or point weighting */
    double *caus_w;                 /* n_res_cap: the causal factor of pt_w */
    double *lam;                    /* n_res_cap: self-adaptive / rba weights λ (pt_w ∝ λ²) */
    double *lam_m, *lam_v;          /* self_adaptive: Adam moments of λ's ascent */
    int64_t lam_step;
    int causal_idx;                 /* position in the ε schedule */
    int causal_frozen;              /* 1: keep the causal weights as they are; 2: released
                                       (uniform, L-BFGS stages) */
    double causal_wmin;             /* weight of the last slice: the convergence indicator */
    double gate;                    /* causal_r3: the time gate's position γ (normalized time) */
    int64_t slice_off[NT_PINN_MAX_SLICES + 1]; /* residual rows of each time slice (sorted by t) */
    double slice_loss[NT_PINN_MAX_SLICES];
    double t_hi;                    /* time marching: residual points have t <= t_hi */
    uint32_t mask;                  /* terms in the loss (bit T); all by default */
    int probe;                      /* 1: NTK probe mode (terms are Σ v·r / sqrt(n)) */
    nt_rng probe_rng;
    double *scratch;                /* n_res_cap × D: new points (r3, rad) */
    double *cand, *cand_r;          /* candidates × D and their residuals (rad, rar) */
    int64_t *cand_idx;
    int64_t n_cand;
    int64_t adapt_kept;             /* r3: points retained at the last refinement */

    int64_t n_ref;                  /* reference grid */
    double *ref_x, *ref_u, *ref_pred; /* n_ref × D, n_ref × F (NaN = absent), n_ref × F */
    int ref_has[NT_EXPR_MAX_FIELDS];

    struct nt_mstage *ms;           /* multi-stage training (src/pinn/mstage.h); NULL if off */

    /* time windows (sequence-to-sequence marching, src/pinn/windows.h); K = prob->tw_windows */
    int win;                        /* the window being trained (0 when off) */
    double t_lo;                    /* points have t >= t_lo (the window's start) */
    void *win_params;               /* (K + 1) × params.n scalars: the finished windows'
                                       parameters, then room to set the current ones aside */
    double *cond_shift;             /* n_cond_pts: at the initial faces' rows, the previous
                                       window's condition residual at this window's start */
    const nt_expr *pde_active;      /* NULL: the problem's pde; else a stage's (curriculum) */
    int cond_capture;               /* 1: the loss stores those residuals into cond_shift */
    double *win_x, *win_out;        /* prediction: rows of one window gathered (chunk × D, × F) */
    int64_t *win_idx;
    double *win_g;                  /* hard continuity: K × F × 2·(M/2) Fourier coefficients of
                                       G_k, the solution at window k's start (NULL: soft) */
    int win_geval;                  /* hard continuity: the window whose G the network output
                                       is combined with (-1: the one being trained) */
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
/* Gradient of term k's loss without its weight (k < n_terms; with the PDE's point
 * weights) into out (params->n doubles); returns that loss. Overwrites p->grad. */
double nt_pinn_term_grad(nt_pinn *m, int k, double *out);
/* Hutchinson estimate of term k's mean NTK diagonal, (1/n) Σ_i |∂r_i/∂θ|², from
 * `probes` Rademacher probes. Overwrites p->grad. */
double nt_pinn_term_ntk(nt_pinn *m, int k, int probes);
/* Updates the term weights by the problem's gradnorm / ntk rule (moving average). */
void nt_pinn_update_weights(nt_pinn *m);
/* Point weights after an optimizer step (self_adaptive, rba), from the residuals of
 * the last evaluation. */
void nt_pinn_update_point_weights(nt_pinn *m);
/* Σ_k r_k² of the PDEs at n points (n × D) -> out (n), no gradient. */
void nt_pinn_residuals(nt_pinn *m, const double *x, int64_t n, double *out);
/* The signed PDE residuals at n points (n × D) -> out (n × n_pde, row-major), no
 * gradient. */
void nt_pinn_residual_values(nt_pinn *m, const double *x, int64_t n, double *out);
/* One refinement of the residual points by the problem's adaptive method. */
nt_status nt_pinn_adapt(nt_pinn *m);
/* L-BFGS stages: causal weighting off (uniform slice weights, kept fixed), so that
 * L-BFGS minimizes the plain loss over the whole time interval. */
void nt_pinn_causal_release(nt_pinn *m);
/* Moves to the next ε when the causal indicator has passed tol; 1 if it moved. */
int nt_pinn_causal_advance(nt_pinn *m);
/* Time marching: the residual time window for a global Adam step; 1 if it changed
 * (the points were then redrawn). */
int nt_pinn_march(nt_pinn *m, int64_t step);
/* Call after x_res changed by other means (checkpoint restore): re-sorts for the
 * causal slices. */
void nt_pinn_points_changed(nt_pinn *m);

/* Fields at n points (n × D) -> out (n × F) (with time windows, each point from the
 * network of its window). */
nt_status nt_pinn_predict(nt_pinn *m, const double *x, int64_t n, double *out);
/* The same from the current parameters only. */
nt_status nt_pinn_predict_net(nt_pinn *m, const double *x, int64_t n, double *out);
/* Redraws the condition points (in the current time window). */
nt_status nt_pinn_sample_conditions(nt_pinn *m);
/* 1 if face f of condition c is an initial face (the start of time, not a geometry
 * boundary). */
int nt_pinn_initial_face(const nt_pinn *m, int c, int f);
/* Current value of unknown k. */
double nt_pinn_unknown(const nt_pinn *m, int k);
/* Relative L2 error per field on the reference grid (NaN for fields without a
 * reference); returns the largest of them (NaN without a reference). Fills ref_pred. */
double nt_pinn_errors(nt_pinn *m, double *per_field);
/* Relative L2 error of field f over the reference points with t <= t_end (all of
 * them for INFINITY or without a time variable), from the predictions of the last
 * nt_pinn_errors; NaN without a reference for f. */
double nt_pinn_field_error(const nt_pinn *m, int f, double t_end);
/* Replaces the reference by a CSV file with the domain variables and some fields. */
nt_status nt_pinn_load_reference_file(nt_pinn *m, const char *path);

#endif

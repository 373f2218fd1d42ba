/* problem.h — a PINN problem as read from a YAML problem file (internal).
 *
 * The loader validates everything before training starts: unknown keys, malformed
 * numbers, expressions (symbols, derivatives), `where` clauses, file paths. Every
 * error names file:line:column (for expressions, the column inside the file). */
#ifndef NT_PINN_PROBLEM_H
#define NT_PINN_PROBLEM_H

#include "noether.h"
#include "pinn/expr.h"
#include "pinn/geometry.h"
#include "pinn/sampler.h"

#define NT_PROB_MAX_PDE 8
#define NT_PROB_MAX_COND 16
#define NT_PROB_MAX_FACES 16
#define NT_PROB_MAX_STAGES 8
#define NT_PROB_PATH 1024

/* One face of the domain box: variable `var` at its low (side 0) or high (side 1) end.
 * geom = 1: the boundary of the problem's geometry instead (`where: boundary` there;
 * var, side are then the first geometry variable's low end, only so that code that
 * does not know geometries still indexes a valid variable). With a geometry, a face
 * of a space variable is the part of the geometry's boundary in that plane, and a
 * face of time is the geometry's interior at that time. */
typedef struct nt_face {
    int var, side;
    int geom;
} nt_face;

typedef enum nt_cond_kind {
    NT_COND_EXPR = 0,  /* target − value = 0 on the faces (value, derivative, normal
                          derivative, or a general `residual` expression) */
    NT_COND_PERIODIC   /* fields and their first derivatives match on the two ends of `var` */
} nt_cond_kind;

typedef struct nt_condition {
    nt_cond_kind kind;
    char label[64];          /* e.g. "u(t=0)", "u_n(x=-1|x=1)", "periodic x" */
    int line, col;           /* of the condition in the file */
    int n_faces;
    nt_face faces[NT_PROB_MAX_FACES];
    nt_expr residual;        /* NT_COND_EXPR: the expression that must vanish; a field
                                derivative along the pseudo-variable `n` (index
                                n_vars of the condition env) is the outward normal one */
    nt_expr where_pred;      /* `where: "boundary && PRED"` on a geometry: PRED (text NULL if
                                absent), in the domain variables and constants */
    double face_measure[NT_PROB_MAX_FACES]; /* with a geometry: the measure of each
                                face's part of the boundary (or the interior) in space */
    int periodic_var;        /* NT_COND_PERIODIC */
    int periodic_order;      /* derivatives matched: 0 (values) or 1 (default) */
    double weight;
    int64_t n_points;
} nt_condition;

typedef enum nt_stage_kind { NT_STAGE_ADAM = 0, NT_STAGE_LBFGS, NT_STAGE_MULTIADAM, NT_STAGE_CONFIG, NT_STAGE_SOAP } nt_stage_kind;

#define NT_PROB_MAX_EPS 8

typedef enum nt_weighting {
    NT_WEIGHT_FIXED = 0, /* the terms' own weights */
    NT_WEIGHT_GRADNORM,  /* λ_i = Σ_j |∇L_j| / |∇L_i|, moving average (Wang et al. 2023) */
    NT_WEIGHT_NTK,       /* λ_i = Σ_j tr K_j / tr K_i (Wang, Yu, Perdikaris 2022) */
    NT_WEIGHT_SA,        /* self-adaptive point weights by gradient ascent (McClenny & Braga-Neto) */
    NT_WEIGHT_RBA        /* residual-based attention point weights (Anagnostopoulos et al. 2024) */
} nt_weighting;

typedef enum nt_adaptive {
    NT_ADAPT_NONE = 0,
    NT_ADAPT_RAD,        /* resample from density ∝ r^k/mean + c (Wu et al. 2023) */
    NT_ADAPT_R3,         /* retain r² > mean, resample the rest (Daw et al. 2023) */
    NT_ADAPT_RAR,        /* add the largest-residual candidates (Lu et al. 2021) */
    NT_ADAPT_CR3         /* causal R3: R3 under a moving time gate (Daw et al. 2023) */
} nt_adaptive;

typedef struct nt_stage {
    nt_stage_kind kind;
    int64_t steps;           /* Adam steps or L-BFGS iterations */
    double lr;               /* Adam */
    double decay_rate;       /* Adam: lr · rate^(step / decay_every); 1 = constant */
    int64_t decay_every;
    int64_t warmup;
    int history;             /* L-BFGS pairs */
    int64_t resample_every;  /* L-BFGS: redraw the residual points at the stage's start and
                                every so many iterations, restarting the line search (0 = no) */
    nt_qn_update qn;         /* NT_STAGE_LBFGS: L-BFGS, or a dense BFGS/SSBFGS/SSBroyden */
} nt_stage;

typedef enum nt_ref_kind {
    NT_REF_NONE = 0,
    NT_REF_FILE,
    NT_REF_COLE_HOPF,
    NT_REF_EXACT,
    NT_REF_SPECTRAL, /* 1D periodic pseudo-spectral solver (solvers/spectral.c) */
    NT_REF_CAVITY,   /* steady lid-driven cavity (solvers/flow.c) */
    NT_REF_FD        /* finite differences: heat, wave, Poisson, Darcy (solvers/fd.c) */
} nt_ref_kind;

typedef enum nt_ref_fd_eq { NT_FD_HEAT = 0, NT_FD_WAVE, NT_FD_POISSON, NT_FD_DARCY } nt_ref_fd_eq;

typedef struct nt_problem {
    char path[NT_PROB_PATH];     /* the file as given */
    char dir[NT_PROB_PATH];      /* its directory: relative paths resolve against it */
    char name[64];
    nt_expr_env env;             /* vars, fields, constants, unknowns */
    nt_expr_env cond_env;        /* env plus the pseudo-variable `n` (outward normal) */
    double lo[NT_EXPR_MAX_VARS], hi[NT_EXPR_MAX_VARS];
    int time_var;                /* index of the time variable, −1 for steady problems */
    int has_geom;                /* domain: {geometry: ...} given */
    nt_geom geom;                /* over the space variables, in their order */
    int geom_var[NT_GEOM_MAX_DIM]; /* variable index of each geometry coordinate */

    int n_pde;
    nt_expr pde[NT_PROB_MAX_PDE];
    /* a stage's own residuals (curriculum regularization: the same derivatives with
     * other coefficients), used while that stage runs */
    int stage_has_pde[NT_PROB_MAX_STAGES];
    nt_expr stage_pde[NT_PROB_MAX_STAGES][NT_PROB_MAX_PDE];
    double pde_weight;

    int n_cond;
    nt_condition cond[NT_PROB_MAX_COND];

    /* inverse problems */
    double unknown_init[NT_EXPR_MAX_UNKNOWNS];
    int unknown_log[NT_EXPR_MAX_UNKNOWNS];      /* parametrized as exp(θ) */
    double unknown_true[NT_EXPR_MAX_UNKNOWNS];  /* NaN when not given */
    char data_path[NT_PROB_PATH];               /* resolved; "" = no data file */
    int data_from_ref;                          /* data: {from: reference}: observations
                                                   drawn from the problem's reference */
    int64_t data_points;                        /* 0 = all rows */
    double data_noise;                          /* relative (× std of each field) */
    double data_weight;

    /* model */
    int width, depth;
    nt_act act;
    int net_type;                /* nt_net_type: mlp, modified_mlp, pirate or kan */
    double period[NT_EXPR_MAX_VARS];   /* exact periodic embedding: period in problem
                                          units (0 = the variable is not embedded) */
    int harmonics[NT_EXPR_MAX_VARS];
    int parity[NT_EXPR_MAX_VARS];      /* with the periodic embedding: 0 none, 1 even, −1 odd */
    int fourier_features;        /* random Fourier features: rows of B (0 = none) */
    double fourier_scale;
    int rwf;                     /* random weight factorization */
    double rwf_mu, rwf_sigma;
    int kan_degree;              /* kan: Chebyshev degree (0 = the default, 5) */
    int gaussians;               /* Gaussian embedding: count (0 = none) */
    double gauss_sigma;          /* its initial σ, in normalized input units */

    /* training */
    nt_dtype dtype;
    uint64_t seed;
    int64_t n_res;
    nt_sampler_kind sampler;
    int64_t resample_every;      /* Adam steps between redraws of the residual points; 0 = fixed */
    int64_t chunk;
    int n_stages;
    nt_stage stages[NT_PROB_MAX_STAGES];
    int64_t log_every;
    int64_t eval_every;          /* steps between reference errors in the history (0 = end only) */
    int64_t checkpoint_every;    /* steps between checkpoints */

    /* training methods (docs/problem-files.md, "Training methods") */
    int causal_slices;           /* causal weighting: time slices M (0 = off) */
    int causal_n_eps;            /* ε schedule: causal_eps[0..n_eps) */
    double causal_eps[NT_PROB_MAX_EPS];
    double causal_tol;           /* move to the next ε when the last slice's weight > tol */
    nt_weighting weighting;      /* loss balancing */
    int64_t weighting_every;     /* gradnorm / ntk: steps between updates */
    double weighting_alpha;      /* moving average: λ ← α λ + (1 − α) λ̂ */
    int ntk_probes;              /* ntk: Rademacher probes per term */
    double sa_lr;                /* self_adaptive: ascent step of the point weights */
    double rba_gamma, rba_eta;   /* rba: λ ← γ λ + η |r| / max |r| */
    nt_adaptive adaptive;        /* residual-based point refinement */
    int64_t adaptive_every;      /* Adam steps between refinements */
    int64_t adaptive_candidates; /* rad, rar: candidate points per refinement */
    double rad_k, rad_c;         /* rad: density ∝ r^k / mean(r^k) + c */
    int64_t rar_add, rar_max;    /* rar: points added per refinement, up to rar_max */
    double cr3_alpha, cr3_gamma; /* causal_r3: gate steepness and initial position */
    double cr3_eta, cr3_eps;     /* causal_r3: gate step and its tolerance ε */
    int tm_windows;              /* time marching: windows (0 = off) */
    int64_t tm_steps;            /* Adam steps per window */
    int tw_windows;              /* time windows (sequence-to-sequence marching): K
                                    networks trained one after another (0 = off) */
    int tw_hard;                 /* 1: hard continuity, u = G_k(x) + s·N with G_k the solution
                                    at the window's start (src/pinn/windows.h) */
    int tw_modes;                /* hard continuity: samples of G_k (even; Fourier modes M/2 − 1) */
    int tw_space_var;            /* hard continuity: the (periodic) space variable */

    /* reference */
    nt_ref_kind ref_kind;
    char ref_path[NT_PROB_PATH];
    int ref_grid[NT_EXPR_MAX_VARS];  /* points per variable for solver/exact references */
    double ref_nu;                   /* Cole–Hopf viscosity */
    nt_expr ref_exact[NT_EXPR_MAX_FIELDS]; /* NT_REF_EXACT: one expression per field (text NULL if absent) */
    int ref_has[NT_EXPR_MAX_FIELDS];
    /* NT_REF_SPECTRAL: equation, grid, step, coefficients and the initial values
     * (one expression per field in the coordinates, evaluated at the start time;
     * taken from the problem's initial condition unless the reference gives them) */
    int ref_spec_pde;                /* nt_spectral_pde */
    int ref_spec_n;                  /* solver grid points (Fourier modes) */
    double ref_spec_dt;
    int ref_spec_scheme;             /* nt_spectral_scheme */
    double ref_spec_nu, ref_spec_c[4];
    int ref_space_var;               /* the periodic variable */
    nt_expr ref_init[NT_EXPR_MAX_FIELDS];
    /* NT_REF_CAVITY */
    double ref_re;                   /* Reynolds number */
    int ref_solver_n;                /* solver grid (nodes per side) */
    /* NT_REF_FD: equation, nodes per space variable, step, coefficient (kappa, c:
     * constant; Darcy a: an expression in the coordinates), source f; the initial
     * and Dirichlet values come from the problem's conditions */
    int ref_fd_eq;                   /* nt_ref_fd_eq */
    int ref_fd_n[2];
    double ref_fd_dt;                /* 0: automatic */
    double ref_fd_coef;
    nt_expr ref_fd_a, ref_fd_f;      /* text NULL when absent */

    /* output transform (hard constraints, src/pinn/hard.h): field f is output[f], an
     * expression in out_env = the domain variables, the pseudo-variable `dist`
     * (index env.n_vars, when there is room and no variable or constant of that
     * name), the constants and the raw network outputs net_<field> (fields 0..F−1);
     * text NULL: the field is its network output */
    int n_output;                    /* fields with a transform (0: none) */
    nt_expr output[NT_EXPR_MAX_FIELDS];
    nt_expr_env out_env;
    int output_dist;                 /* some transform uses dist */

    /* multi-stage training (train.multistage, src/pinn/mstage.h): K stages (0 = off);
     * κ and ε of stages 2..K (0 = automatic); their activation when ms_act_set
     * (default sin), else the model's */
    int ms_stages;
    double ms_kappa, ms_eps;
    int ms_act_set;
    nt_act ms_act;
} nt_problem;

/* "adam", "lbfgs", "bfgs", "ssbfgs", "ssbroyden", "multiadam", "config", "soap". */
const char *nt_stage_name(const nt_stage *s);

/* Reads and validates a problem file. On error returns non-OK with
 * "file:line:col: message" in nt_error_msg; *p is then freed. */
nt_status nt_problem_load(nt_problem *p, const char *path);
/* Same, from text (`name` stands for the path in messages; relative paths resolve
 * against `dir`). */
nt_status nt_problem_load_string(nt_problem *p, const char *text, const char *name, const char *dir);
void nt_problem_free(nt_problem *p);

/* 1 if the point (n_vars coordinates) is in the problem's domain: inside the
 * geometry when there is one (closed set; the box is not checked), else always. */
int nt_problem_in_domain(const nt_problem *p, const double *x);
/* The geometry's embedding in the problem's points: its coordinates in the space
 * variables' columns, the other columns over their ranges. */
void nt_problem_geom_embed(const nt_problem *p, nt_geom_embed *e);

/* Which points of the geometry's boundary belong to a face of condition c: var −1
 * (a geom face) — all, or where c's where_pred holds; a space variable — those in
 * the plane var = its low (side 0) or high (side 1) end.
 * nt_face_keep is an nt_geom_keep_fn for it (user = an nt_face_sel). */
typedef struct nt_face_sel {
    const nt_problem *p;
    const nt_condition *c;
    int var, side;
} nt_face_sel;
int nt_face_keep(void *user, const double *row);

/* Resolves a path from the file against p->dir (absolute paths unchanged). */
void nt_problem_resolve(const nt_problem *p, const char *rel, char *out, size_t cap);

#endif

/* optim_ext.h — optimizers for multi-loss PINN training (internal, issue #5):
 *
 *   MultiAdam  (Yao et al., ICML 2023): one pair of Adam moments per loss group,
 *              update = lr · mean over groups of m̂_i/(√v̂_i + ε).
 *   ConFIG     (Liu, Chu & Thuerey, ICLR 2025): one conflict-free gradient from the
 *              per-group gradients, to be fed to an ordinary optimizer (nt_adam);
 *              M-ConFIG, its momentum variant, as nt_mconfig.
 *   SOAP       (Vyas et al., 2024): Adam run in the eigenbasis of Shampoo's Kronecker
 *              factors, one pair of factors per 2-D parameter tensor.
 *
 * All optimizer state is kept in double whatever p->dtype is; parameters are read
 * and written in p's dtype. Everything is allocated at init: the step functions do
 * not allocate.
 *
 * Checkpoints: each optimizer exposes its whole state as a few named flat double
 * arrays (nt_optim_buf) that point INTO the optimizer: to save, write
 * out[i].len doubles from out[i].data under out[i].name; to restore, init the
 * optimizer with the same parameters and configuration, call the same function
 * and read each array back into out[i].data (check that names and lengths match).
 * The step counter is one of the arrays (a double, exact up to 2^53). */
#ifndef NT_OPTIM_EXT_H
#define NT_OPTIM_EXT_H

#include "core/internal.h"

typedef struct nt_optim_buf {
    const char *name;   /* static string, unique within one optimizer */
    double *data;       /* the optimizer's own storage: read to save, write to restore */
    int64_t len;
} nt_optim_buf;

/* ------------------------------------------------------------------------------ */
/* MultiAdam                                                                        */

/* Defaults of the paper's reference implementation (betas (0.99, 0.99), eps 1e-8). */
#define NT_MULTIADAM_BETA1 0.99
#define NT_MULTIADAM_BETA2 0.99
#define NT_MULTIADAM_EPS 1e-8
#define NT_MULTIADAM_MAX_GROUPS 64

typedef struct nt_multiadam {
    nt_params *p;
    int groups;
    double beta1, beta2, eps;
    double t;          /* steps taken */
    double *m, *v;     /* groups × n each: moments of group i at [i·n, (i+1)·n) */
} nt_multiadam;

/* 1 <= groups <= NT_MULTIADAM_MAX_GROUPS, 0 <= beta1, beta2 < 1, eps > 0
 * (NT_ERR_ARG otherwise); NT_ERR_NOMEM. */
nt_status nt_multiadam_init(nt_multiadam *o, nt_params *p, int groups, double beta1,
                            double beta2, double eps);
void nt_multiadam_free(nt_multiadam *o);
/* One update from the per-group gradients grads[0..groups), each p->n doubles
 * (gradient of loss group i alone): for every group m_i, v_i ← Adam moments,
 * then x ← x − lr·(1/groups)·Σ_i m̂_i/(√v̂_i + eps). Groups are weighted equally,
 * so rescaling one group's loss by any constant leaves the update unchanged up to
 * eps. Returns the Euclidean norm of the applied change of x (in double). */
double nt_multiadam_step(nt_multiadam *o, const double *const *grads, double lr);
/* Up to cap buffers "multiadam.step" (1), "multiadam.m", "multiadam.v" (groups·n);
 * returns the number there are (3). */
int nt_multiadam_state(nt_multiadam *o, nt_optim_buf *out, int cap);

/* ------------------------------------------------------------------------------ */
/* ConFIG                                                                           */

#define NT_CONFIG_MAX 16

typedef struct nt_config_info {
    int used;        /* gradients that entered the direction (nonzero, finite norm) */
    int rank;        /* numerical rank of the unit-gradient Gram matrix */
    double min_cos;  /* min_i cos(g_i, out) over the used gradients; 0 if out = 0 */
    double max_cos;
} nt_config_info;

/* The ConFIG update from m per-group gradients g_i (each n doubles):
 *   U = [ĝ_1 … ĝ_m], ĝ_i = g_i/‖g_i‖;  g_u = pinv(Uᵀ)·1_m = U·pinv(UᵀU)·1_m;
 *   ĝ_u = g_u/‖g_u‖;  out = (Σ_i g_iᵀĝ_u)·ĝ_u.
 * When the ĝ_i are linearly independent, ĝ_u makes the same angle with every g_i
 * and that angle is < 90°, so out is a descent direction for every loss. The
 * pseudo-inverse goes through the symmetric eigendecomposition of the m×m Gram
 * matrix UᵀU (LAPACK dsyev), eigenvalues below 1e-12·λ_max (rank-deficient sets:
 * parallel or dependent gradients) are dropped — the least-squares, minimum-norm
 * direction. m = 1 gives out = g_1. Gradients of zero (or non-finite) norm are left
 * out. If no direction remains (all zero, or e.g. g_2 = −g_1 where 1_m is in the
 * null space) out is all zeros. out may not alias a gradient. info may be NULL.
 * NT_ERR_ARG if m is outside 1..NT_CONFIG_MAX; NT_ERR_NUMERIC if the
 * eigen-solver fails. */
nt_status nt_config_direction(const double *const *grads, int m, int64_t n, double *out,
                              nt_config_info *info);

/* M-ConFIG (the paper's momentum variant): first moments m_i per loss group
 * (m_i ← β1·m_i + (1−β1)·g_i, bias-corrected with the group's own update count);
 * d = ConFIG(m̂_1 … m̂_G); a second moment of d itself ("pseudo gradient"),
 * v ← β2·v + (1−β2)·d²; x ← x − lr·d/(√v̂ + eps). The paper refreshes only one
 * group's gradient per iteration (cycling) to save backward passes:
 * nt_mconfig_step takes a mask of the groups whose gradients are fresh (NULL: all);
 * a group never refreshed yet drops out of ConFIG. Suggested betas 0.9, 0.999. */
typedef struct nt_mconfig {
    nt_params *p;
    int groups;
    double beta1, beta2, eps;
    double t;               /* steps taken */
    double *m;              /* groups × n first moments */
    double *tg;             /* groups steps-per-group counters (as doubles) */
    double *v;              /* n: second moment of the combined direction */
    double *d, *mhat;       /* scratch: n and groups × n */
} nt_mconfig;

nt_status nt_mconfig_init(nt_mconfig *o, nt_params *p, int groups, double beta1,
                          double beta2, double eps);
void nt_mconfig_free(nt_mconfig *o);
/* grads[i] is read only where fresh == NULL or fresh[i] != 0 (others may be NULL).
 * Returns the Euclidean norm of the applied change of x, or a negative value if
 * the ConFIG direction failed (x unchanged; nt_error_msg says why). */
double nt_mconfig_step(nt_mconfig *o, const double *const *grads, const int *fresh,
                       double lr);
/* "mconfig.step" (1), "mconfig.group_steps" (groups), "mconfig.m" (groups·n),
 * "mconfig.v" (n). */
int nt_mconfig_state(nt_mconfig *o, nt_optim_buf *out, int cap);

/* ------------------------------------------------------------------------------ */
/* SOAP                                                                             */

typedef struct nt_soap_config {
    double beta1, beta2;      /* Adam moments in the rotated basis: 0.95, 0.95 */
    double shampoo_beta;      /* EMA of L and R; < 0 means beta2 (the default, -1) */
    double eps;               /* 1e-8 */
    double weight_decay;      /* decoupled, x ← x − lr·wd·x after the update; 0 */
    int precondition_every;   /* eigenbasis refresh period in steps: 10 */
    int max_dim;              /* tensors with a side > max_dim, or a side of 1
                                 (biases, 1-D), get plain Adam: 512 */
} nt_soap_config;

nt_soap_config nt_soap_config_default(void);

/* Per-tensor bookkeeping; offsets index nt_soap.state. */
typedef struct nt_soap_tensor {
    int64_t off;          /* first scalar of the tensor in p */
    int64_t rows, cols;
    int precond;          /* 1: SOAP, 0: Adam fallback */
    int64_t L, R, QL, QR; /* offsets of rows², cols², rows², cols² (precond) */
    int64_t M, V;         /* offsets of rows·cols first/second moments */
} nt_soap_tensor;

typedef struct nt_soap {
    nt_soap_config cfg;
    nt_params *p;
    double t;             /* calls to nt_soap_step so far (the first only sets L, R, Q) */
    int count;
    nt_soap_tensor *ts;
    double *state;        /* all state, state_len doubles */
    int64_t state_len;
    /* scratch */
    double *g, *a, *b, *sq, *sq2, *work, *eig;
    int64_t *perm;
    int lwork;
} nt_soap;

/* Adam fallback for every tensor that is not 2-D with both sides in 2..max_dim.
 * NT_ERR_ARG for bad betas/eps/period; NT_ERR_NOMEM. c may be NULL (defaults). */
nt_status nt_soap_init(nt_soap *o, nt_params *p, const nt_soap_config *c);
void nt_soap_free(nt_soap *o);
/* One update from p->grad (p's dtype), like nt_adam_step. For a preconditioned
 * W (rows×cols) with gradient G:
 *   G' = Q_Lᵀ G Q_R;  M ← β1 M + (1−β1) G';  V ← β2 V + (1−β2) G'²;
 *   W ← W − lr · Q_L (M̂/(√V̂ + eps)) Q_Rᵀ   (M̂, V̂ bias-corrected);
 *   L ← βs L + (1−βs) G Gᵀ;  R ← βs R + (1−βs) Gᵀ G;
 *   every precondition_every steps: Q ← QR(L·Q) (one power iteration, columns
 *   first sorted by the eigenvalue estimates diag(QᵀLQ), V's rows/columns permuted
 *   with them) and M re-projected exactly into the new basis (M ← Q_newᵀ Q_old M …).
 * The very first call only accumulates L, R from the gradient and takes their
 * eigenbases (LAPACK dsyev), updating no parameter — as the reference SOAP does so
 * the first direction never uses the gradient it was built from. Returns the
 * Euclidean norm of the applied change of x (0 on the first call); negative if
 * the gradient has a NaN/Inf (nothing changed, the step is not counted) or an
 * eigendecomposition failed (x may be partly updated); nt_error_msg says why. */
double nt_soap_step(nt_soap *o, double lr);
/* "soap.step" (1), "soap.state" (state_len: every tensor's L, R, Q_L, Q_R, M, V or
 * m, v, in tensor order). */
int nt_soap_state(nt_soap *o, nt_optim_buf *out, int cap);

#endif

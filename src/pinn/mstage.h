/* mstage.h — multi-stage training of a PINN from a problem file (internal):
 * train.multistage (Wang & Lai 2024, "Multi-stage neural networks: function
 * approximator of machine precision"), float64 only.
 *
 * Stage 1 is the problem's network, trained by the problem's optimizer stages. Stage
 * k = 2..K freezes every earlier network and trains a new one (same architecture,
 * fresh parameters; activation sin by default, as in the paper, or the model's with
 * `activation: same`) as a correction:
 *
 *   u = Σ_{j<k} ε_j N_j(κ_j x') + ε_k N_k(κ_k x'),   x' ∈ [−1, 1]^D (normalized inputs),
 *
 * (ε_1 = κ_1 = 1) with the same optimizer stages. Before stage k:
 *   κ_k  the dominant frequency of the PDE residual r of u_{k−1}: r on a uniform grid
 *        of the box (G points per variable, the points outside a geometry set to 0),
 *        the power spectrum of its lines along each non-periodic variable (a direct
 *        DFT, the line mean removed), summed over lines and equations; κ_k is the
 *        largest over the variables of the peak mode m (cycles over the box),
 *        m·(G − 1)/G, at least 1. So N_k sees an O(1) frequency. (`kappa:` fixes it.)
 *        Periodic variables keep their embedding (its period is scaled by κ too, so
 *        it is unchanged).
 *   ε_k  the size of the correction: the PDE linearized at u_{k−1} applied to the new
 *        network, J[N] = (R(u_{k−1} + δN) − R(u_{k−1} − δN)) / 2δ (exact for linear
 *        and quadratic PDEs), and ε_k = RMS(r) / RMS(J[N]) at the residual points, so
 *        that the correction's residual starts at the size of the residual it has to
 *        cancel. For −u'' = f this is the paper's ε_r / κ² (in x units) times the
 *        network's own scale. (`epsilon:` fixes it.)
 * Each loss term of stage k is normalized by its own response to the correction,
 * as the paper writes every equation of stage k in the new network's units (the
 * PDE residual over ε_k c, a boundary residual over ε_k): term t's weight is the
 * file's divided by q_t = mean(ε_k J_t[N])², from three evaluations of the term at
 * ε = 0, ±ε_k, q_t = (T(ε_k) + T(−ε_k) − 2 T(0)) / 2 (exact when the term is linear
 * in u); a term that does not respond (q_t ≤ 1e-10·T(0), e.g. a periodicity the
 * embedding holds exactly) is divided by the total loss of u_{k−1} instead. So
 * every stage starts with O(1) terms, the conditions keep their weight against the
 * PDE, and the L-BFGS tolerances keep their meaning. The frozen networks enter the jets (residuals,
 * conditions, data) with no gradient; the optimizers see only the new network's
 * parameters (m->params). Prediction and errors use the sum. */
#ifndef NT_PINN_MSTAGE_H
#define NT_PINN_MSTAGE_H

#include "noether.h"
#include "io/ckpt.h"
#include "pinn/problem.h"

#define NT_MSTAGE_MAX 8
#define NT_MSTAGE_MAX_TERMS (NT_PROB_MAX_PDE + NT_PROB_MAX_COND + 1)

struct nt_pinn;

/* A frozen stage (heap-allocated: its network points into its parameter block). */
typedef struct nt_mstage_net {
    nt_params params;
    nt_net net;
} nt_mstage_net;

typedef struct nt_mstage {
    int stages;                     /* K (2..NT_MSTAGE_MAX) */
    int k;                          /* the stage being trained (0-based); 0..k−1 are frozen */
    nt_net_config cfg0;             /* stage 1's network */
    nt_mstage_net *frozen[NT_MSTAGE_MAX];
    double eps[NT_MSTAGE_MAX], kappa[NT_MSTAGE_MAX]; /* per stage (the current one at [k]) */
    double tscale[NT_MSTAGE_MAX_TERMS]; /* term t's weight is the file's × tscale[t] (1 in stage 1) */
    double res_rms[NT_MSTAGE_MAX];  /* RMS PDE residual at the residual points after stage j */
    double err[NT_MSTAGE_MAX];      /* largest relative L2 error after stage j (NaN: none) */
} nt_mstage;

/* Called by nt_pinn_init when the problem asks for K >= 2 stages: m->ms for stage 1.
 * NT_ERR_ARG unless float64 and without unknowns; NT_ERR_NOMEM. */
nt_status nt_mstage_init(struct nt_pinn *m);
void nt_mstage_free(struct nt_pinn *m);

/* The summed network output (before the problem's output transform) at the
 * normalized inputs xn: with s, xn is the input jet (S·n × D) and the result the
 * output jet; with s NULL, plain values (n × D -> n × F). */
nt_tensor *nt_mstage_out(struct nt_pinn *m, const nt_jet_spec *s, nt_tensor *xn, int64_t n);

/* After the optimizer stages of the current stage: records its residual and error,
 * and when stages remain freezes its network and sets up the next one (κ, ε, fresh
 * parameters in m->params, loss scale). Returns 1 if a stage was started, 0 if all
 * K are done, −1 on error (nt_error_msg). Prints one line per stage to stderr
 * unless quiet. */
int nt_mstage_next(struct nt_pinn *m, int quiet);

/* Checkpoint sections "mstage" (stage index, ε, κ, loss scale, per-stage numbers)
 * and "mstage_params" (the frozen networks' parameters). Load before the "params"
 * section: it rebuilds the frozen networks and the current one (whose parameters
 * then come from "params"). */
nt_status nt_mstage_ckpt_save(const struct nt_pinn *m, nt_ckpt_writer *w);
nt_status nt_mstage_ckpt_load(struct nt_pinn *m, const nt_ckpt *c, const char *path);

#endif

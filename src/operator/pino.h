/* pino.h — the physics loss of the physics-informed neural operator (PINO, Li et al.
 * 2021, "Physics-informed neural operator for learning partial differential
 * equations") for viscous Burgers on a space-time grid (internal).
 *
 * The field u is a tape tensor of B·nt·s rows × 1 column, rows ordered (b, k, j):
 * sample b at time t_k = k·t_end/(nt − 1) (k = 0..nt−1, both ends included) and
 * x_j = j/s on the periodic [0, 1) — the layout of the space-time FNO (a 2-D FNO
 * over (t, x), t the slow axis) and of a space-time dataset (u.npy [N, nt, s]).
 *
 *   PDE loss  mean over b, interior k = 1..nt−2 and j of
 *             (u_t + u u_x − ν u_xx)²,
 *             u_x, u_xx spectral in x (real FFT, multiplication by 2πik and
 *             −(2πk)², the spectral convolution op with fixed weights; the Nyquist
 *             mode does not contribute to u_x), u_t by central differences
 *             (u_{k+1} − u_{k−1}) / (2Δt) (second order), as the PINO code's
 *             FDM_Burgers.
 *   IC loss   mean over b, j of (u(x_j, 0) − a_b(x_j))².
 *
 * Both are differentiable in u (gradients flow through the spectral op and the
 * slices). Needs nt >= 3 and s >= 4 even. */
#ifndef NT_OPERATOR_PINO_H
#define NT_OPERATOR_PINO_H

#include "noether.h"

/* pde, ic: the two losses as (1) tensors (either may be NULL: not built). a: the B
 * initial conditions, B·s values. NT_ERR_ARG for bad sizes (message set). */
nt_status nt_pino_burgers_loss(nt_tape *t, nt_tensor *u, const double *a, int64_t B, int64_t nt, int64_t s,
                               double nu, double t_end, nt_tensor **pde, nt_tensor **ic);

/* The same two numbers for fields given as arrays (u: B·nt·s values, a: B·s), in
 * double, without a tape: used for reporting (e.g. the residual of the dataset's own
 * solutions). Returns NT_ERR_NOMEM / NT_ERR_ARG. */
nt_status nt_pino_burgers_eval(const double *u, const double *a, int64_t B, int64_t nt, int64_t s, double nu,
                               double t_end, double *pde, double *ic);

#endif

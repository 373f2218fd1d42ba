/* windows.h — time windows: sequence-to-sequence time marching of a PINN from a
 * problem file (internal), `train: {time_windows: K}`.
 *
 * The time interval [t0, t1] is cut into K equal windows, trained one after
 * another (Krishnapriyan et al. 2021, "Characterizing possible failure modes in
 * physics-informed neural networks"; Wang, Sankaran & Perdikaris 2022 for the
 * Kuramoto–Sivashinsky and Navier–Stokes results of "Respecting causality"):
 *   - window k's residual and condition points lie in [t_k, t_{k+1}];
 *   - it runs all of the problem's optimizer stages, with fresh optimizer state;
 *   - its network starts from window k−1's trained parameters (the solution moves
 *     little over one window), and window k−1's are kept, frozen;
 *   - its initial condition is window k−1's solution at t_k: at every point of an
 *     initial face the condition's residual R[u] must equal R[u_{k−1}] there, i.e.
 *     the loss term is mean (R[u] − R[u_{k−1}])². For `u: g` this is u = u_{k−1};
 *     for a derivative condition (`u_t: h`) it is u_t = u_{k−1,t}. The values
 *     R[u_{k−1}] are computed once, when the window starts, at its condition points.
 * The solution (prediction, errors, plots) takes each point from the network of
 * its window; windows not trained yet use the current network. Causal weighting and
 * causal R3 work inside the current window (normalized to it); the term weights,
 * the causal schedule and the gate restart with each window.
 * With `time_windows: {count: K, continuity: hard}` the initial condition is built
 * into the output instead (nt_windows_hard_apply below) and the matching term is
 * identically 0.
 * The loader refuses the combinations that cannot hold: time_marching, multistage,
 * output transforms, observations/unknowns, point weights, conditions at the end
 * of time, and a problem without an initial condition. */
#ifndef NT_PINN_WINDOWS_H
#define NT_PINN_WINDOWS_H

#include "noether.h"
#include "io/ckpt.h"

struct nt_pinn;

/* Called by nt_pinn_init when prob->tw_windows >= 2 (window 0 already set up:
 * t_hi, points). NT_ERR_NOMEM. */
nt_status nt_windows_init(struct nt_pinn *m);
void nt_windows_free(struct nt_pinn *m);

/* The start and end of window k. */
void nt_windows_range(const struct nt_pinn *m, int k, double *t0, double *t1);

/* After the optimizer stages of the current window: keeps its parameters and sets
 * up the next window (points, initial values, restarted methods). Returns 1 if a
 * window was started, 0 if all K are done, −1 on error (nt_error_msg). Prints one
 * line per window to stderr unless quiet. */
int nt_windows_next(struct nt_pinn *m, int quiet);

/* Hard continuity (`time_windows: {count: K, continuity: hard}`): the output of
 * window k is u = G_k(x) + s·N(x, t) with s = (t − t_k)/(t_{k+1} − t_k) and N the
 * network (jets: xjet S·n × D, net S·n × F, s NULL for values only), so that
 * u(x, t_k) = G_k(x) holds exactly. G_0 is the initial condition; G_{k+1} is
 * window k's solution at t_{k+1}. Each G_k is the trigonometric interpolant of
 * its values at M equispaced points of the space variable's period (modes up to
 * M/2 − 1), evaluated with its derivatives; the network must be exactly periodic
 * there (the loader checks). The window is nt_windows_eval(m).
 * In this mode the network's time input is normalized to the window (pinn.c), so
 * that a window's network starts as the previous one shifted by one window. */
nt_tensor *nt_windows_hard_apply(struct nt_pinn *m, const nt_jet_spec *s, nt_tensor *xjet, nt_tensor *net, int64_t n);

/* The window whose network and G the outputs are computed for: m->win_geval, or the
 * one being trained (m->win) when that is −1. */
int nt_windows_eval(const struct nt_pinn *m);

/* Prediction: each point from the network of its window. */
nt_status nt_windows_predict(struct nt_pinn *m, const double *x, int64_t n, double *out);

/* Checkpoint sections "windows" (window index, start), "windows_params" (the
 * finished windows' parameters), "windows_cond" (condition points) and
 * "windows_shift" (the previous window's residuals at them). Load after "params". */
nt_status nt_windows_ckpt_save(const struct nt_pinn *m, nt_ckpt_writer *w);
nt_status nt_windows_ckpt_load(struct nt_pinn *m, const nt_ckpt *c, const char *path);

#endif

/* flow.h — incompressible flow solvers used as references and data generators
 * (internal, not installed). Both are in flow.c.
 *
 * Neither function is thread-safe: both plan FFTW transforms, and FFTW's
 * planner is global, so do not call them from several threads at once (the
 * same rule as nt_spectral_solve). They are single-threaded.
 *
 * Grid layout for every field below: n x n values, x fastest, rows in y:
 * f[iy*n + ix]. */
#ifndef NT_SOLVERS_FLOW_H
#define NT_SOLVERS_FLOW_H

#include "noether.h"

/* ---- Steady lid-driven cavity -----------------------------------------------
 *
 * Steady incompressible Navier–Stokes on [0,1]^2,
 *   (u·∇)u + ∇p = (1/Re) Δu,   ∇·u = 0,
 * no-slip walls, lid y = 1 moving with (u, v) = (1, 0); Re = U L / nu with
 * U = L = 1.
 *
 * Discretization: streamfunction–vorticity on the n x n node grid
 * x_i = i h, y_j = j h, h = 1/(n-1). u = psi_y, v = -psi_x, omega = v_x - u_y,
 *   -Δ_h psi = omega                                      (interior nodes)
 *   (1/Re) Δ_h omega - (u D_x omega + v D_y omega) = 0    (interior nodes)
 * with the 5-point Laplacian, central differences for D_x, D_y, u and v,
 * psi = 0 on the walls and Thom's wall vorticity
 *   omega_wall = -2 psi_adj / h^2 - 2 U_wall / h
 * (psi_adj: the node next to the wall along its normal; U_wall = 1 on the lid,
 * 0 elsewhere). Thom's formula is the ghost-node form of the no-slip
 * condition (tangential velocity = U_wall), so the system is the standard
 * 13-point clamped biharmonic plus the central
 * convective term: second order in h for psi, u, v away from the two lid
 * corners (whose singularity pollutes only their neighbourhood).
 *
 * Solver: the discrete system is solved for psi at the (n-2)^2 interior nodes
 * by Newton's method (backtracking line search), each Newton system by
 * restarted GMRES preconditioned with the exact inverse of the discrete Stokes
 * (clamped biharmonic) operator: fast sine transforms (FFTW) plus a Woodbury
 * (capacitance) correction on the 4(n-3) nodes next to the walls, built
 * analytically and Cholesky-factored once per solve (O(n^3) setup). It starts
 * from the Stokes solution; if Newton stalls at the requested Re it continues
 * in Re automatically (solving at intermediate Re first). Converged means
 *   residual = ||R(psi)||_2 / ||R(0)||_2 <= tol,
 * R the vorticity-equation residual at the interior nodes (scaled by Re h^4;
 * R(0) is the lid forcing of the zero field). The rounding floor of this
 * residual is ~1e-13 (n = 129) to ~5e-13 (n = 513).
 *
 * Outputs on the n x n nodes (each may be NULL):
 *   u, v   interior: central differences of psi; walls: the boundary values
 *          (u = 1 on the whole row y = 1 including its two corners, u = 0 on
 *          the other walls, v = 0 on all walls). The central discrete
 *          divergence D_x u + D_y v is zero (to rounding) at interior nodes.
 *   p      pressure from the pressure Poisson equation in divergence form,
 *            Δp = ∇·G,  dp/dn = n·G on the walls,  G = (1/Re) Δu - (u·∇)u
 *                                          = (-(1/Re) omega_y - u·∇u,
 *                                              (1/Re) omega_x - u·∇v),
 *          G at the nodes by central differences (on the walls the convective
 *          part vanishes and omega's derivatives are one-sided across the
 *          wall; corner nodes take the mean of their two wall neighbours).
 *          Ghost-node Neumann Laplacian (second order), solved by cosine
 *          transforms (FFTW REDFT00); the divergence closure at the walls is
 *          the ghost-node form of the Neumann data, which makes the discrete
 *          problem exactly compatible (no spurious source from the singular
 *          lid corners). The central-difference momentum residual of (u, v, p)
 *          on [0.1,0.9]x[0.1,0.8] falls at order ~1.9 (1% of max |grad p| at
 *          n = 129, Re = 100).
 *          CONVENTION: p has zero arithmetic mean over the n x n nodes
 *          (sum p[k] = 0). p is singular (~ 1/r) at the lid corners (0,1),
 *          (1,1); compare pressures away from them.
 *   psi    streamfunction (0 on the walls; negative in the primary vortex).
 *   omega  vorticity (Thom values on the walls; the corner values, which the
 *          scheme never uses, are the mean of their two wall neighbours).
 *
 * Accuracy and cost (measured on one core, tests/test_flow.c): Re = 100,
 * n = 129: 0.1 s, 5 Newton steps; centreline profiles within 4.2e-3 (u) and
 * 8.4e-3 (v) of Ghia, Ghia & Shin (1982), whose own table is a 129^2 solution
 * (our grid-converged profiles differ from it by up to 9e-3); psi_min
 * -0.103325 at Ghia's node (0.6172, 0.7344); observed order in h 1.96-2.03.
 * Re = 400, n = 129: 0.3 s, within 5.4e-3 of Ghia. Re = 1000, n = 129: ~1.3 s
 * (continuation via Re = 500), within 1.4e-2 of Ghia; psi_min -0.1155 (n = 129),
 * Richardson 129/257: -0.118943 vs -0.1189366 (Botella & Peyret 1998).
 * Re = 100 at n = 257 takes ~0.5 s, at n = 513 ~2.5 s and ~110 MB (the
 * setup and the Krylov basis grow as n^3 and 60 n^2 doubles). */
typedef struct nt_cavity_config {
    int n;        /* nodes per side, 5 <= n <= 1025 (odd n puts the centrelines on nodes;
                   * beyond ~513 the O(n^3) setup dominates) */
    double re;    /* Reynolds number, > 0 */
    double tol;   /* residual tolerance; 0: default 1e-10 */
    int max_iter; /* Newton iterations allowed (all continuation steps together);
                   * 0: default 200 */
} nt_cavity_config;

typedef struct nt_cavity_info {
    int newton_iters; /* Newton steps taken (all continuation steps) */
    int krylov_iters; /* GMRES iterations (all Newton steps) */
    int re_steps;     /* Reynolds numbers solved (1: no continuation needed) */
    double residual;  /* final residual (definition above) */
    double psi_min;   /* minimum of psi (primary vortex strength) */
    int psi_min_ix, psi_min_iy; /* its node */
} nt_cavity_info;

/* Fills *c with n = 129, re = 100 and the default tol / max_iter. */
void nt_cavity_config_default(nt_cavity_config *c);

/* Solves the cavity problem described above and writes the requested fields
 * (n*n doubles each, layout f[iy*n + ix]; NULL skips one) and *info (may be
 * NULL). NT_ERR_ARG for a bad config (n out of range, Re <= 0 or not finite,
 * tol < 0, max_iter < 0); NT_ERR_NUMERIC if Newton does not reach tol within
 * max_iter, if the continuation in Re stalls, or if the residual stagnates at
 * its rounding level above tol (info holds the counts and last residual; the
 * outputs are not written); NT_ERR_NOMEM. */
nt_status nt_cavity_solve(const nt_cavity_config *c, double *u, double *v, double *p,
                          double *psi, double *omega, nt_cavity_info *info);

/* ---- 2D periodic Navier–Stokes in vorticity form ----------------------------
 *
 *   w_t + u·∇w = nu Δw + f(x, y),   u = (psi_y, -psi_x),   -Δpsi = w
 *
 * on the periodic box [0, L)^2, grid x_i = i L/n, y_j = j L/n, fields stored
 * w[j*n + i]. f is time-independent. The mean of w is conserved (plus t times
 * the mean of f); psi and u carry no mean mode.
 *
 * Pseudo-spectral: the state is the r2c Fourier transform of w (FFTW, planned
 * once per solve with FFTW_ESTIMATE; the step loop allocates nothing); u, v,
 * w_x, w_y are computed by exact spectral derivatives, the product on the grid.
 * Dealiasing by the 2/3 rule: the nonlinear term uses only the modes with
 * |k_x|, |k_y| < n/3 (in units of 2 pi/L) and is truncated to them, so for
 * nu = 0, f = 0 the truncated system conserves energy and enstrophy exactly in
 * space. Odd derivatives drop the Nyquist modes. f is not truncated (it enters
 * linearly); initial content above the cut evolves only by viscosity and f.
 *
 * Time stepping: ETDRK4 (Cox & Matthews 2002), fourth order in dt (measured
 * 4.0-4.1), with the linear operator -nu k^2 integrated exactly and the
 * forcing in the nonlinear part; the coefficients are real phi-functions of
 * -nu k^2 dt (Taylor series for |z| < 1, the stable recurrence otherwise,
 * accurate to rounding). It is exact for linear problems with constant
 * forcing: the Taylor–Green vortex (the nonlinear term vanishes) decays
 * exactly, and a single-mode (Kolmogorov) forcing gives
 * w(t) = (1 - e^{-nu k^2 t}) f/(nu k^2) exactly from w0 = 0 (tests: ~1e-15).
 * The advective term is explicit: stability needs roughly
 * dt max|u| k_cut < 2.8, k_cut = 2 pi (n/3) / L; unstable steps end in
 * NT_ERR_NUMERIC.
 *
 * The FNO data set setting (Li et al. 2021) is L = 1, nu = 1e-3,
 * f = 0.1 (sin(2 pi (x+y)) + cos(2 pi (x+y))), n = 64 or 256. There dt = 1e-3
 * agrees with dt/2 to ~2e-11 (n = 64); a step costs ~0.3 ms at n = 64 and
 * ~10 ms at n = 256 on one core. */
typedef struct nt_ns2d_config {
    int n;     /* grid points per side, even, 8 <= n <= 16384 */
    double L;  /* box side, > 0 */
    double nu; /* kinematic viscosity, >= 0 */
    double dt; /* maximum time step: each output interval is split into
                * ceil(interval / dt) equal steps */
} nt_ns2d_config;

/* Integrates from w0 (n*n) with forcing force (n*n, NULL: f = 0) and writes w
 * at the n_out times t_out[] (finite, >= 0, non-decreasing; the start time is
 * 0, so t_out[i] = 0 gives w0 up to transform rounding) into w_out,
 * snapshot-major:
 * w_out[(size_t)s*n*n + j*n + i] = w(x_i, y_j, t_out[s]). If u_last / v_last
 * are not NULL they receive the velocity (n*n each) at the last output time
 * (at t = 0 when n_out = 0). NT_ERR_ARG for a bad config, times or non-finite
 * inputs; NT_ERR_NUMERIC if the solution becomes non-finite (the message names
 * the time it was first seen, checked every 16 steps and at each output);
 * NT_ERR_NOMEM. Not thread-safe (FFTW planner). */
nt_status nt_ns2d_solve(const nt_ns2d_config *c, const double *w0, const double *force,
                        const double *t_out, int n_out, double *w_out, double *u_last,
                        double *v_last);

#endif

/* fd.h — finite-difference reference solvers (internal, not installed).
 *
 * Classical second-order solvers on a box, used as reference solutions and to
 * generate training data (e.g. the FNO Darcy sets):
 *
 *   nt_fd_heat_solve     u_t  = kappa Δu + f(x,t)       1D/2D, Crank–Nicolson
 *   nt_fd_wave_solve     u_tt = c^2 Δu + f(x,t)         1D/2D, leapfrog (Störmer–Verlet)
 *   nt_fd_poisson_solve  -Δu = f                        2D, optional node mask
 *   nt_fd_darcy_solve    -div(a grad u) = f             2D, a given on the nodes
 *
 * Grid. Each dimension d has n[d] >= 3 equispaced nodes INCLUDING the two
 * boundary nodes: x_i = lo[d] + i h_d, h_d = (hi[d] - lo[d]) / (n[d] - 1),
 * i = 0 .. n[d]-1 (nt_fd_node gives the exact values used). Boundary nodes
 * carry the Dirichlet data g(x,t) (NULL g means g = 0), also at t = 0; the
 * other nodes are unknowns. Grid functions are stored with x fastest:
 * u[iy*nx + ix] (1D: u[ix]); time-dependent solvers write snapshot-major,
 * out[(i*ny + iy)*nx + ix] for output time i (ny = 1 in 1D).
 *
 * Spatial operator: the 3-point (1D) / 5-point (2D) Laplacian, and for Darcy
 * the 5-point flux form with face coefficients; all second order in h for
 * smooth data. The time-dependent solvers split each output interval
 * (t_out[i-1], t_out[i]] (t_out[-1] = 0) into ceil(interval / dt) equal steps.
 *
 * Linear systems (heat 2D, Poisson, Darcy) are symmetric positive definite and
 * are solved by conjugate gradients preconditioned with one multigrid
 * V(1,1)-cycle: Galerkin coarse operators (R = P^T, bilinear P), vertex
 * coarsening that also handles odd interval counts (e.g. 421 nodes) and
 * semi-coarsens stretched cells (hx != hy), forward/backward Gauss–Seidel
 * smoothing, dense Cholesky on the coarsest grid. The cost per iteration is
 * O(N) and the iteration count (about 8-12 for tol 1e-10) is nearly
 * independent of the grid size, masks and moderate coefficient jumps.
 *
 * Callbacks. Every data function has the type nt_fd_fn: x points to the
 * coordinates of one node (x[1] = 0 in 1D), t is the time (0 for the steady
 * problems), ctx is the config's ctx. Callbacks are called from the calling
 * thread only, in grid order. A callback value that is not finite is reported
 * as NT_ERR_ARG.
 *
 * Errors: NT_ERR_ARG for a bad config (message names the field), NT_ERR_NUMERIC
 * when CG does not reach its tolerance (message names the residual) or the
 * solution becomes non-finite, NT_ERR_NOMEM. No global state: the solvers may
 * run concurrently on different threads (given thread-safe callbacks). They
 * are single-threaded and deterministic (no OpenMP: the lexicographic
 * Gauss–Seidel smoother is sequential and the dataset use case parallelizes
 * over samples instead). */
#ifndef NT_FD_H
#define NT_FD_H

#include "noether.h"

typedef double (*nt_fd_fn)(const double *x, double t, void *ctx);

/* The box grid. dim is 1 or 2; entries [1] are ignored in 1D. */
typedef struct nt_fd_grid {
    int dim;
    int n[2];            /* nodes per dimension, boundary included, >= 3 */
    double lo[2], hi[2]; /* finite, hi > lo */
} nt_fd_grid;

/* Coordinate of node i along axis (0 = x, 1 = y): lo + i h, and exactly hi for
 * the last node. */
double nt_fd_node(const nt_fd_grid *g, int axis, int i);

/* Iteration statistics of the CG solves (heat 2D, Poisson, Darcy; 0 in 1D). */
typedef struct nt_fd_info {
    int iters;      /* CG iterations (heat: summed over all steps) */
    int max_iters;  /* largest iteration count of one solve */
    double rel_res; /* largest final relative residual ||b - A u|| / ||b|| */
    int steps;      /* time steps taken (time-dependent solvers) */
} nt_fd_info;

/* ---- Heat equation -----------------------------------------------------------
 *
 * u_t = kappa Δu + f(x,t) for t > 0, u(x,0) = u0(x) at the non-boundary nodes,
 * u = g(x,t) on the boundary nodes. Crank–Nicolson in time:
 *
 *   (u^{n+1} - u^n)/k = kappa/2 (Δ_h u^{n+1} + Δ_h u^n) + (f^n + f^{n+1})/2,
 *
 * second order in the step k and in h (error O(k^2 + h^2) for smooth data;
 * like any CN scheme it damps high frequencies of rough initial data only
 * weakly). 1D: the tridiagonal system is solved by the Thomas algorithm. 2D:
 * multigrid-preconditioned CG per step started from u^n, stopping at the
 * relative residual tol. */
typedef struct nt_fd_heat_config {
    nt_fd_grid grid;
    double kappa;  /* diffusivity, finite, > 0 */
    double dt;     /* maximum time step, finite, > 0 */
    nt_fd_fn u0;   /* initial value (required) */
    nt_fd_fn f;    /* source; NULL = 0 */
    nt_fd_fn g;    /* Dirichlet boundary values; NULL = 0 */
    void *ctx;     /* passed to the callbacks */
    double tol;    /* 2D: CG relative residual per step, in (0, 1) */
    int max_iter;  /* 2D: CG iterations allowed per step, >= 1 */
} nt_fd_heat_config;

/* Fills *c: grid dim with n = 0 (caller sets), box [0, 1]^dim, kappa = 1,
 * dt = 0 (caller sets), no callbacks, tol = 1e-10, max_iter = 200. */
void nt_fd_heat_config_default(nt_fd_heat_config *c, int dim);

/* Integrates from t = 0 and writes u at the n_out times t_out[] (finite,
 * >= 0, non-decreasing; t_out[i] = 0 gives the initial grid function) into out
 * (n_out * nx * ny doubles, layout above). info may be NULL. */
nt_status nt_fd_heat_solve(const nt_fd_heat_config *c, const double *t_out, int n_out,
                           double *out, nt_fd_info *info);

/* ---- Wave equation -----------------------------------------------------------
 *
 * u_tt = c^2 Δu + f(x,t), u(x,0) = u0, u_t(x,0) = v0 at the non-boundary nodes,
 * u = g(x,t) on the boundary nodes. Leapfrog in its kick-drift-kick
 * (Störmer–Verlet) form with acceleration a^n = c^2 Δ_h u^n + f^n:
 *
 *   v^{n+1/2} = v^n + k/2 a^n,  u^{n+1} = u^n + k v^{n+1/2},  v^{n+1} = v^{n+1/2} + k/2 a^{n+1},
 *
 * which for a constant step is exactly u^{n+1} - 2u^n + u^{n-1} = k^2 a^n with
 * the second-order start u^1 = u^0 + k v0 + k^2/2 (c^2 Δ_h u0 + f^0). Changing
 * the step between output intervals keeps second order. Error O(k^2 + h^2).
 * Explicit: requires the CFL condition c dt sqrt(sum_d 1/h_d^2) <= 1 (checked
 * with the configured dt; NT_ERR_ARG otherwise). */
typedef struct nt_fd_wave_config {
    nt_fd_grid grid;
    double c;      /* wave speed, finite, > 0 */
    double dt;     /* maximum time step, finite, > 0, within CFL */
    nt_fd_fn u0;   /* initial displacement (required) */
    nt_fd_fn v0;   /* initial velocity; NULL = 0 */
    nt_fd_fn f;    /* source; NULL = 0 */
    nt_fd_fn g;    /* Dirichlet boundary values; NULL = 0 */
    void *ctx;
} nt_fd_wave_config;

/* Fills *c: grid dim with n = 0 (caller sets), box [0, 1]^dim, c = 1, dt = 0
 * (caller sets), no callbacks. */
void nt_fd_wave_config_default(nt_fd_wave_config *c, int dim);

/* Integrates from t = 0 and writes u at t_out[] like nt_fd_heat_solve; info
 * (steps only) may be NULL. */
nt_status nt_fd_wave_solve(const nt_fd_wave_config *c, const double *t_out, int n_out,
                           double *out, nt_fd_info *info);

/* ---- Steady problems (2D) ----------------------------------------------------
 *
 * Poisson:  -Δu = f                with the 5-point Laplacian;
 * Darcy:    -div(a grad u) = f     in flux form,
 *
 *   -[a_{i+1/2,j}(u_{i+1,j} - u_{ij}) - a_{i-1/2,j}(u_{ij} - u_{i-1,j})]/hx^2
 *   -[a_{i,j+1/2}(u_{i,j+1} - u_{ij}) - a_{i,j-1/2}(u_{ij} - u_{i,j-1})]/hy^2 = f_ij,
 *
 * with the face coefficient the arithmetic mean (a_P + a_Q)/2 of the two node
 * values (NT_FD_MEAN_ARITH, the default, as in the FNO data generator
 * solve_gwf.m) or their harmonic mean 2 a_P a_Q / (a_P + a_Q)
 * (NT_FD_MEAN_HARMONIC). Second order for smooth a; for discontinuous a the
 * solution converges at a lower rate (about first order).
 *
 * Dirichlet nodes: all boundary nodes, and, when inside != NULL, every node
 * with inside(x, 0, ctx) <= 0; they take the value g(x, 0). The other nodes
 * are unknowns, so grid-aligned domains (L shape, holes) are masked boxes. The
 * system is SPD; PCG from u = 0 stops when ||b - A u|| <= tol ||b|| (b includes
 * the boundary lift) and fails with NT_ERR_NUMERIC after max_iter. */
typedef enum nt_fd_mean { NT_FD_MEAN_ARITH = 0, NT_FD_MEAN_HARMONIC = 1 } nt_fd_mean;

typedef struct nt_fd_elliptic_config {
    nt_fd_grid grid;   /* dim must be 2 */
    const double *a;   /* Darcy: nx*ny node values (x fastest), finite, > 0;
                        * ignored by Poisson */
    int mean;          /* Darcy face coefficient: nt_fd_mean */
    nt_fd_fn f;        /* right-hand side; NULL = 0 */
    nt_fd_fn g;        /* Dirichlet values; NULL = 0 */
    nt_fd_fn inside;   /* node mask (> 0: unknown); NULL = all non-boundary nodes */
    void *ctx;
    double tol;        /* relative residual, in (0, 1); the attainable floor is
                        * about 1e-16 n^2 (below it CG reports "stagnated") */
    int max_iter;      /* >= 1 */
} nt_fd_elliptic_config;

/* Fills *c: 2D grid with n = 0 (caller sets), box [0, 1]^2, a = NULL,
 * arithmetic mean, no callbacks, tol = 1e-10, max_iter = 500. */
void nt_fd_elliptic_config_default(nt_fd_elliptic_config *c);

/* Solves -Δu = f; writes all nx*ny node values into u (Dirichlet nodes hold g).
 * info may be NULL. */
nt_status nt_fd_poisson_solve(const nt_fd_elliptic_config *c, double *u, nt_fd_info *info);

/* Solves -div(a grad u) = f with a = c->a; otherwise like nt_fd_poisson_solve.
 * A 421x421 solve with piecewise-constant a in {3, 12}, f = 1, tol 1e-8 takes
 * 10 CG iterations, about 0.12-0.15 s on one core (x86-64-v3, -O3), setup
 * included. */
nt_status nt_fd_darcy_solve(const nt_fd_elliptic_config *c, double *u, nt_fd_info *info);

#endif

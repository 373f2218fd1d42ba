/* solvers.h — reference solutions of model PDEs (internal, not installed).
 *
 * These are exact or highly accurate solutions used to measure the error of a
 * trained network; they are not on any training hot path. */
#ifndef NT_SOLVERS_H
#define NT_SOLVERS_H

#include "noether.h"

/* Exact solution of viscous Burgers u_t + u u_x = nu u_xx on x in [-1, 1] with
 * u(x, 0) = -sin(pi x) and u(+-1, t) = 0, by the Cole–Hopf transformation:
 *
 *   u(x,t) = -∫ sin(pi(x-η)) f(x-η) G(η,t) dη / ∫ f(x-η) G(η,t) dη,
 *   f(y) = exp(-cos(pi y) / (2 pi nu)),  G = heat kernel of variance 2 nu t,
 *
 * integrated with η = sqrt(4 nu t)·z by the trapezoid rule on a uniform z grid
 * (spectrally convergent here) with the largest exponent factored out.
 * Writes u at the n points (x[i], t[i]). Accurate to about 1e-10 absolute for
 * nu >= 1e-3/pi and t in [0, 2]; t = 0 gives -sin(pi x). Any real x is accepted
 * (the solution extended as a 2-periodic odd function). Parallel over points
 * (OpenMP). NT_ERR_ARG for nu <= 0 or non-finite, t < 0 or non-finite x/t. */
nt_status nt_burgers_cole_hopf(double nu, const double *x, const double *t, int64_t n,
                               double *u);

/* The same with an explicit quadrature resolution: the z step is
 * w / res with w = 1/sqrt(2 + 2 pi t) the width of the integrand's peaks (the
 * default res is NT_COLE_HOPF_RES). For convergence tests. res >= 1. */
#define NT_COLE_HOPF_RES 3
nt_status nt_burgers_cole_hopf_n(double nu, const double *x, const double *t, int64_t n,
                                 double *u, int res);

/* ---- 1D periodic pseudo-spectral solver (spectral.c) -------------------------
 *
 * u_t = L u + N(u) on the periodic domain [x0, x1) with n equispaced points
 * x_j = x0 + j (x1 - x0)/n; L is diagonal in Fourier space (exact derivatives),
 * N is evaluated pseudo-spectrally (products on the grid, derivatives by FFT).
 * The PDEs and the meaning of nu and c[] (nt_spectral_config_default fills
 * the values of the maziarraissi/PINNs data sets, shared/data/README.md):
 *
 *   NT_SPEC_BURGERS     u_t + c0 u u_x = nu u_xx                 (c0 = 1)
 *   NT_SPEC_ALLEN_CAHN  u_t = nu u_xx + c0 u - c1 u^3            (nu = 1e-4, c0 = c1 = 5)
 *   NT_SPEC_KDV         u_t + c0 u u_x + c1 u_xxx = 0            (c0 = 1, c1 = 0.0025)
 *   NT_SPEC_KS          u_t + c0 u u_x + c1 u_xx + c2 u_xxxx = 0 (5/pi, 15/(9 pi^2),
 *                                                                  15/(81 pi^4))
 *   NT_SPEC_NLS         i h_t + c0 h_xx + c1 |h|^2 h = 0, h complex (c0 = 0.5, c1 = 1)
 *
 * Real PDEs use r2c/c2r FFTs, NLS complex FFTs (FFTW, planned once per solve
 * with FFTW_ESTIMATE). Odd derivatives drop the Nyquist mode. */
typedef enum nt_spectral_pde {
    NT_SPEC_BURGERS,
    NT_SPEC_ALLEN_CAHN,
    NT_SPEC_KDV,
    NT_SPEC_KS,
    NT_SPEC_NLS
} nt_spectral_pde;

typedef enum nt_spectral_scheme {
    NT_SPEC_ETDRK4 = 0, /* Cox–Matthews ETDRK4, Kassam–Trefethen contour coefficients */
    NT_SPEC_RK4 = 1     /* classical RK4 on u_hat (explicit: only for non-stiff cases) */
} nt_spectral_scheme;

typedef struct nt_spectral_config {
    nt_spectral_pde pde;
    double x0, x1; /* periodic domain [x0, x1), x1 > x0 */
    int n;         /* grid points, even, >= 4 */
    double dt;     /* maximum time step: each output interval is split into
                    * ceil(interval / dt) equal steps */
    int scheme;    /* nt_spectral_scheme */
    double nu;     /* Burgers viscosity, Allen–Cahn diffusion (unused otherwise) */
    double c[4];   /* PDE coefficients, see the table above */
    int dealias;   /* 1: 2/3 rule (modes |k| > n/3 zeroed in and out of N) */
} nt_spectral_config;

/* Fills *c with pde's coefficients for the Raissi data sets (table above), the
 * domain [-1, 1) ([-5, 5) for NLS), ETDRK4, no dealiasing; n and dt are left
 * for the caller (set to 0 here). */
void nt_spectral_config_default(nt_spectral_config *c, nt_spectral_pde pde);

/* Integrates from u0 and writes the solution at the n_out times t_out[]
 * (non-decreasing, t_out[0] >= 0; the start time is 0, so t_out[0] = 0 copies
 * u0) into out, snapshot-major: out[i*n + j] = u(x_j, t_out[i]). For NLS,
 * u0 and every snapshot are n complex values stored re/im interleaved
 * (u0[2j] = Re h(x_j), u0[2j+1] = Im h(x_j)), so out holds n_out × 2n doubles.
 * NT_ERR_ARG for a bad config or times; NT_ERR_NUMERIC if the solution
 * becomes non-finite (message names the time); NT_ERR_NOMEM.
 * Not thread-safe: FFTW's planner is global, so do not call it from several
 * threads at once. */
nt_status nt_spectral_solve(const nt_spectral_config *c, const double *u0, const double *t_out,
                            int n_out, double *out);

#endif

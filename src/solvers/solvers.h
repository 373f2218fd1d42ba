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

#endif

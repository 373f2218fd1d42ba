/* cole_hopf.c — exact viscous Burgers solution by the Cole–Hopf transformation.
 *
 * With u = -2 nu phi_x / phi the Burgers equation becomes the heat equation
 * phi_t = nu phi_xx, phi(y, 0) = f(y) = exp(-cos(pi y) / (2 pi nu)), so
 *
 *   u(x,t) = -∫ sin(pi(x-η)) f(x-η) G(η,t) dη / ∫ f(x-η) G(η,t) dη,
 *   G(η,t) ∝ exp(-η² / (4 nu t)).
 *
 * The initial condition extended to the real line is 2-periodic and odd, so the
 * whole-line solution is too, and u(±1, t) = 0 holds without a boundary term.
 *
 * With η = s z, s = sqrt(4 nu t), both integrals have the weight
 * exp(E(z)), E(z) = -A cos(pi(x - s z)) - z², A = 1/(2 pi nu). The integrand is
 * entire and decays like exp(-z²), so the trapezoid rule on a uniform grid
 * converges spectrally. The step is w/res with w = 1/sqrt(2 + 2 pi t): near a
 * maximum of -cos the curvature of E is A pi² s² + 2 = 2 pi t + 2, so w is the
 * standard deviation of the peaks (independent of nu). The sum runs over
 * |z| <= L, outside which E < max E - NT_CH_MARGIN (bounds below); the running
 * maximum of E is factored out as in a streaming log-sum-exp. */
#include "solvers/solvers.h"

#include "core/internal.h"

#include <math.h>

/* Terms below exp(-46) ≈ 1e-20 of the largest one are dropped. */
#define NT_CH_MARGIN 46.0

static double cole_hopf_point(double A, double nu, double x, double t, int res)
{
    if (t == 0.0) return -sin(NT_PI * x);
    double s = sqrt(4.0 * nu * t);
    double h = 1.0 / (sqrt(2.0 + 2.0 * NT_PI * t) * (double)res);

    /* A lower bound on max E: E(0) = c0, and E at the peak of -cos nearest to
     * z = 0 (x - s z = the odd integer closest to x) equals A - zp². */
    double c0 = -A * cos(NT_PI * x);
    double odd = 2.0 * floor(0.5 * (x - 1.0) + 0.5) + 1.0; /* nearest odd integer */
    double zp = (x - odd) / s;
    double elow = fmax(c0, A - zp * zp);
    /* Upper bounds on E: A - z² and, as |d/dz (-A cos(pi(x - s z)))| <= A pi s,
     * c0 + A pi s |z| - z². Beyond L either one is below elow - margin. */
    double L1 = sqrt(fmax(A - elow + NT_CH_MARGIN, 0.0));
    double b = A * NT_PI * s, k = c0 - elow + NT_CH_MARGIN;
    double L2 = 0.5 * (b + sqrt(fmax(b * b + 4.0 * k, 0.0)));
    double L = fmin(L1, L2);
    int64_t J = (int64_t)ceil(L / h);

    double m = -INFINITY, D = 0.0, N = 0.0;
    for (int64_t j = -J; j <= J; j++) {
        double z = (double)j * h;
        double arg = NT_PI * (x - s * z);
        double c = cos(arg), sn = sin(arg);
        double e = -A * c - z * z;
        if (e <= m) {
            if (e > m - NT_CH_MARGIN) {
                double w = exp(e - m);
                D += w;
                N += w * sn;
            }
        } else {
            double r = exp(m - e); /* 0 on the first term */
            D = D * r + 1.0;
            N = N * r + sn;
            m = e;
        }
    }
    return -N / D;
}

nt_status nt_burgers_cole_hopf_n(double nu, const double *x, const double *t, int64_t n,
                                 double *u, int res)
{
    NT_ASSERT(n >= 0, "n must be >= 0");
    NT_ASSERT(n == 0 || (x && t && u), "NULL array");
    NT_ASSERT(res >= 1, "res must be >= 1");
    if (!(nu > 0.0) || !isfinite(nu))
        return nt_set_error(NT_ERR_ARG, "cole_hopf: viscosity nu must be finite and > 0 (got %g)", nu);
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(t[i]))
            return nt_set_error(NT_ERR_ARG, "cole_hopf: point %lld is not finite (x = %g, t = %g)",
                                (long long)i, x[i], t[i]);
        if (t[i] < 0.0)
            return nt_set_error(NT_ERR_ARG, "cole_hopf: point %lld has t = %g < 0", (long long)i,
                                t[i]);
    }
    double A = 1.0 / (2.0 * NT_PI * nu);
#pragma omp parallel for schedule(dynamic, 64) if (n > 256)
    for (int64_t i = 0; i < n; i++) u[i] = cole_hopf_point(A, nu, x[i], t[i], res);
    return NT_OK;
}

nt_status nt_burgers_cole_hopf(double nu, const double *x, const double *t, int64_t n, double *u)
{
    return nt_burgers_cole_hopf_n(nu, x, t, n, u, NT_COLE_HOPF_RES);
}

/* grf.c — Gaussian random fields by KL expansion and one inverse FFT (see grf.h). */
#include <complex.h>

#include "solvers/grf.h"

#include "core/internal.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- FFTW planner lock --------------------------------------------------------
 *
 * fftw_make_planner_thread_safe (libfftw3_threads, declared in fftw3.h since
 * 3.3.5) makes every plan creation and destruction in the process take FFTW's
 * own lock. Called once. */
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;
static int hooks_ok;
static void install_hooks(void)
{
    fftw_make_planner_thread_safe();
    hooks_ok = 1;
}

int nt_fftw_thread_safe(void)
{
    pthread_once(&hooks_once, install_hooks);
    return hooks_ok;
}

/* Without the hooks, our own plans are made and destroyed in one critical
 * section (other FFTW users in the process are then the caller's business). */
static fftw_plan plan_locked(const nt_grf_config *c, double *buf, fftw_complex *cbuf)
{
    fftw_plan p = NULL;
    int safe = nt_fftw_thread_safe();
#define NT_GRF_MAKE_PLAN                                                                     \
    do {                                                                                     \
        if (c->bc == NT_GRF_PERIODIC) {                                                      \
            p = c->dim == 1 ? fftw_plan_dft_c2r_1d(c->n, cbuf, buf, FFTW_ESTIMATE)           \
                            : fftw_plan_dft_c2r_2d(c->n, c->n, cbuf, buf, FFTW_ESTIMATE);    \
        } else {                                                                             \
            p = c->dim == 1 ? fftw_plan_r2r_1d(c->n, buf, buf, FFTW_REDFT00, FFTW_ESTIMATE)  \
                            : fftw_plan_r2r_2d(c->n, c->n, buf, buf, FFTW_REDFT00,           \
                                               FFTW_REDFT00, FFTW_ESTIMATE);                 \
        }                                                                                    \
    } while (0)
    if (safe) {
        NT_GRF_MAKE_PLAN;
    } else {
#pragma omp critical(nt_fftw_planner)
        NT_GRF_MAKE_PLAN;
    }
#undef NT_GRF_MAKE_PLAN
    return p;
}

static void destroy_locked(fftw_plan p)
{
    if (!p) return;
    if (nt_fftw_thread_safe()) {
        fftw_destroy_plan(p);
    } else {
#pragma omp critical(nt_fftw_planner)
        fftw_destroy_plan(p);
    }
}

/* ---- Configs ----------------------------------------------------------------- */

void nt_grf_config_burgers(nt_grf_config *c)
{
    NT_ASSERT(c, "NULL config");
    memset(c, 0, sizeof *c);
    c->bc = NT_GRF_PERIODIC;
    c->dim = 1;
    c->n = 8192;
    c->sigma = 25.0;
    c->tau = 5.0;
    c->alpha = 2.0;
}

void nt_grf_config_darcy(nt_grf_config *c)
{
    NT_ASSERT(c, "NULL config");
    memset(c, 0, sizeof *c);
    c->bc = NT_GRF_NEUMANN;
    c->dim = 2;
    c->n = 421;
    c->tau = 3.0;
    c->alpha = 2.0;
    c->sigma = pow(c->tau, c->alpha - 1.0);
}

double nt_grf_eigenvalue(const nt_grf_config *c, const int *k)
{
    NT_ASSERT(c && k, "NULL argument");
    double k0 = (double)k[0], k1 = c->dim == 2 ? (double)k[1] : 0.0;
    double kk = k0 * k0 + k1 * k1;
    if (kk == 0.0) return 0.0;
    double w = c->bc == NT_GRF_PERIODIC ? 4.0 * NT_PI * NT_PI : NT_PI * NT_PI;
    return c->sigma * c->sigma * pow(w * kk + c->tau * c->tau, -c->alpha);
}

static nt_status check_config(const nt_grf_config *c)
{
    if (c->bc != NT_GRF_PERIODIC && c->bc != NT_GRF_NEUMANN)
        return nt_set_error(NT_ERR_ARG, "grf: bc must be periodic (0) or Neumann (1), got %d", c->bc);
    if (c->dim != 1 && c->dim != 2)
        return nt_set_error(NT_ERR_ARG, "grf: dim must be 1 or 2, got %d", c->dim);
    if (c->bc == NT_GRF_PERIODIC && (c->n < 4 || c->n % 2))
        return nt_set_error(NT_ERR_ARG, "grf: periodic n must be even and >= 4, got %d", c->n);
    if (c->bc == NT_GRF_NEUMANN && c->n < 3)
        return nt_set_error(NT_ERR_ARG, "grf: Neumann n must be >= 3, got %d", c->n);
    int64_t lim = c->dim == 1 ? ((int64_t)1 << 40) : ((int64_t)1 << 20);
    if ((int64_t)c->n > lim)
        return nt_set_error(NT_ERR_ARG, "grf: n = %d is too large", c->n);
    if (!isfinite(c->sigma) || !(c->sigma > 0.0))
        return nt_set_error(NT_ERR_ARG, "grf: sigma must be finite and > 0, got %g", c->sigma);
    if (!isfinite(c->tau) || !(c->tau >= 0.0))
        return nt_set_error(NT_ERR_ARG, "grf: tau must be finite and >= 0, got %g", c->tau);
    if (!isfinite(c->alpha) || !(c->alpha > 0.0))
        return nt_set_error(NT_ERR_ARG, "grf: alpha must be finite and > 0, got %g", c->alpha);
    return NT_OK;
}

/* ---- Init / free ------------------------------------------------------------- */

void nt_grf_free(nt_grf *g)
{
    if (!g) return;
    destroy_locked((fftw_plan)g->plan);
    free(g->sd);
    memset(g, 0, sizeof *g);
}

nt_status nt_grf_init(nt_grf *g, const nt_grf_config *c)
{
    NT_ASSERT(g && c, "NULL argument");
    memset(g, 0, sizeof *g);
    nt_status st = check_config(c);
    if (st != NT_OK) return st;
    g->cfg = *c;
    int n = c->n, dim = c->dim;
    int64_t npts = dim == 1 ? n : (int64_t)n * n;
    g->npts = npts;
    int64_t nsd; /* entries of sd */
    if (c->bc == NT_GRF_PERIODIC) {
        int64_t h = n / 2 + 1;
        nsd = dim == 1 ? h : (int64_t)n * h;
        g->ncoef = 2 * nsd;
        g->nspec = 2 * nsd;
    } else {
        nsd = npts;
        g->ncoef = npts;
        g->nspec = npts;
    }
    g->sd = malloc((size_t)nsd * sizeof *g->sd);
    double *buf = fftw_malloc((size_t)npts * sizeof(double));
    fftw_complex *cbuf = c->bc == NT_GRF_PERIODIC ? fftw_malloc((size_t)nsd * sizeof(fftw_complex))
                                                  : NULL;
    if (!g->sd || !buf || (c->bc == NT_GRF_PERIODIC && !cbuf)) {
        st = nt_set_error(NT_ERR_NOMEM, "grf: out of memory (n = %d, dim = %d)", n, dim);
        goto done;
    }
    if (c->bc == NT_GRF_PERIODIC) {
        int h = n / 2 + 1;
        int rows = dim == 1 ? 1 : n;
        for (int r = 0; r < rows; r++) {
            int k1 = r <= n / 2 ? r : r - n;
            for (int k2 = 0; k2 < h; k2++) {
                int k[2] = {k2, k1}; /* 1D: k[0] = k2 is the only wavenumber */
                int nyq = k2 == n / 2 || (dim == 2 && 2 * abs(k1) == n);
                g->sd[(int64_t)r * h + k2] = nyq ? 0.0 : sqrt(0.5 * nt_grf_eigenvalue(c, k));
            }
        }
    } else {
        int rows = dim == 1 ? 1 : n;
        for (int r = 0; r < rows; r++)
            for (int k1 = 0; k1 < n; k1++) {
                int k[2] = {k1, r};
                g->sd[(int64_t)r * n + k1] = sqrt(nt_grf_eigenvalue(c, k));
            }
    }
    /* Plan with fftw_malloc'd arrays: nt_grf_sample executes on other
     * fftw_malloc'd arrays (same alignment) with the new-array interface. */
    fftw_plan p = plan_locked(c, buf, cbuf);
    if (!p) {
        st = nt_set_error(NT_ERR_NOMEM, "grf: FFTW planning failed (n = %d, dim = %d)", n, dim);
        goto done;
    }
    g->plan = p;
    st = NT_OK;
done:
    fftw_free(buf);
    fftw_free(cbuf);
    if (st != NT_OK) nt_grf_free(g);
    return st;
}

/* ---- Sampling ---------------------------------------------------------------- */

static void draw_c(nt_rng *rng, double sd, fftw_complex *z)
{
    double re = sd * nt_rng_normal(rng);
    double im = sd * nt_rng_normal(rng);
    *z = re + I * im;
}

nt_status nt_grf_sample(const nt_grf *g, nt_rng *rng, double *out, double *coef)
{
    NT_ASSERT(g && g->plan && rng && out, "NULL argument");
    const nt_grf_config *c = &g->cfg;
    int n = c->n, dim = c->dim;
    int64_t npts = g->npts;
    double *buf = fftw_malloc((size_t)npts * sizeof(double));
    fftw_complex *spec = NULL;
    if (c->bc == NT_GRF_PERIODIC) spec = fftw_malloc((size_t)(g->nspec / 2) * sizeof(fftw_complex));
    if (!buf || (c->bc == NT_GRF_PERIODIC && !spec)) {
        fftw_free(buf);
        fftw_free(spec);
        return nt_set_error(NT_ERR_NOMEM, "grf: out of memory drawing a sample (n = %d)", n);
    }

    if (c->bc == NT_GRF_PERIODIC) {
        int h = n / 2 + 1;
        int64_t m = g->nspec / 2;
        memset(spec, 0, (size_t)m * sizeof(fftw_complex));
        if (dim == 1) {
            for (int k = 1; k < n / 2; k++) draw_c(rng, g->sd[k], &spec[k]);
        } else {
            for (int k2 = 1; k2 < n / 2; k2++)
                for (int r = 0; r < n; r++) {
                    if (2 * r == n) continue;
                    int64_t i = (int64_t)r * h + k2;
                    draw_c(rng, g->sd[i], &spec[i]);
                }
            /* k2 = 0: k1 and -k1 are conjugate (the c2r input must be Hermitian) */
            for (int r = 1; r < n / 2; r++) {
                int64_t i = (int64_t)r * h, j = (int64_t)(n - r) * h;
                draw_c(rng, g->sd[i], &spec[i]);
                spec[j] = conj(spec[i]);
            }
        }
        if (coef)
            for (int64_t i = 0; i < m; i++) {
                coef[2 * i] = creal(spec[i]);
                coef[2 * i + 1] = cimag(spec[i]);
            }
        /* FFTW's c2r is unnormalised: u_j = sum_k ĉ_k e^{+2πi k·j/n}, which is
         * exactly the series (the coefficients already are ĉ_k). */
        fftw_execute_dft_c2r((fftw_plan)g->plan, spec, buf);
    } else {
        /* REDFT00 of length n: Y_j = X_0 + (-1)^j X_{n-1} + 2 sum_{0<k<n-1} X_k
         * cos(π jk/(n-1)). With the basis factor sqrt(2) for k > 0 the input is
         * X_k = f(k) c_k with f(0) = 1, f(n-1) = sqrt(2), else sqrt(2)/2 (per axis). */
        double f[3] = {1.0, 0.5 * sqrt(2.0), sqrt(2.0)};
#define NT_GRF_FAC(k) ((k) == 0 ? f[0] : ((k) == n - 1 ? f[2] : f[1]))
        int rows = dim == 1 ? 1 : n;
        for (int r = 0; r < rows; r++) {
            double fr = dim == 1 ? 1.0 : NT_GRF_FAC(r);
            for (int k1 = 0; k1 < n; k1++) {
                int64_t i = (int64_t)r * n + k1;
                double v = i == 0 ? 0.0 : g->sd[i] * nt_rng_normal(rng);
                if (coef) coef[i] = v;
                buf[i] = v * fr * NT_GRF_FAC(k1);
            }
        }
#undef NT_GRF_FAC
        fftw_execute_r2r((fftw_plan)g->plan, buf, buf);
    }
    memcpy(out, buf, (size_t)npts * sizeof(double));
    fftw_free(buf);
    fftw_free(spec);
    return NT_OK;
}

/* grf.h — Gaussian random fields on the unit interval / square (internal).
 *
 * Samples of the mean-zero Gaussian measure N(0, C) with
 *
 *     C = sigma^2 (-Δ + tau^2 I)^(-alpha)
 *
 * drawn through its Karhunen–Loève expansion u = sum_k sqrt(λ_k) ξ_k φ_k,
 * ξ_k iid N(0, 1), where φ_k are the L2-orthonormal eigenfunctions of -Δ
 * (eigenvalue μ_k) and λ_k = sigma^2 (μ_k + tau^2)^(-alpha). The constant mode
 * (k = 0) is always dropped, so every sample has zero mean mode. These are the
 * input measures of the FNO benchmark sets (Li et al., ICLR 2021):
 *
 *   NT_GRF_PERIODIC  [0,1)^dim, φ_k = e^{2πi k·x}, μ_k = 4π^2 |k|^2. Grid
 *                    x_j = j/n (n points per axis, n even). Modes
 *                    |k_d| < n/2 (the Nyquist modes are left out, so the grid
 *                    values are exactly the truncated series). The complex
 *                    coefficients ĉ_k (ĉ_{-k} = conj ĉ_k) have E|ĉ_k|^2 = λ_k,
 *                    real and imaginary parts iid N(0, λ_k/2); in the real
 *                    basis sqrt(2) cos / sqrt(2) sin each coefficient has
 *                    variance λ_k, i.e. exactly the KL expansion, as in the FNO
 *                    Burgers generator GRF1.m (eigenvalue sqrt(2) sigma
 *                    ((2π k)^2 + tau^2)^(-gamma/2) for the cos and sin
 *                    coefficients). Burgers set: sigma = 25, tau = 5, alpha = 2
 *                    ("u0 ~ N(0, 625 (-Δ + 25 I)^(-2))", the paper).
 *
 *   NT_GRF_NEUMANN   [0,1]^dim with zero normal derivative (cosine series),
 *                    φ_k(x) = prod_d c_{k_d} cos(π k_d x_d), c_0 = 1,
 *                    c_{k>0} = sqrt(2), μ_k = π^2 |k|^2, k_d = 0 .. n-1. Grid:
 *                    the n NODES x_j = j/(n-1) per axis, boundary included (the
 *                    node grid of nt_fd, so a Neumann field can be handed to
 *                    nt_fd_darcy_solve directly). The series is synthesised
 *                    with a type-I DCT (FFTW REDFT00), which is exactly the even
 *                    reflection about both ends: the field is symmetric about
 *                    each boundary node (discrete zero normal derivative).
 *
 * Normalisation of the Darcy field. The published generator
 * (neuraloperator/neuraloperator, data_generation/darcy/GRF.m) draws
 * s x s KL coefficients with square-root eigenvalues
 * tau^(alpha-1) (π^2 |k|^2 + tau^2)^(-alpha/2), zeroes the (0,0) one and
 * applies MATLAB's orthonormal idct2 after multiplying by s, which makes the
 * basis exactly the orthonormal φ_k above. Its covariance is therefore
 * tau^(2 alpha - 2) (-Δ + tau^2)^(-alpha) (demo.m says so in a comment),
 * i.e. sigma = tau^(alpha-1) here: sigma = 3 for tau = 3, alpha = 2
 * (nt_grf_config_darcy). The Darcy coefficient thresholds the field at 0, so
 * the scale does not change a at all; it only matters for the raw field.
 * Differences from GRF.m: GRF.m evaluates the cosine series at the cell
 * centres (2j+1)/(2s) (DCT-II) of a grid it then treats as nodes j/(s-1);
 * here the series is evaluated at the nodes themselves (DCT-I), so the
 * symmetry about the boundary is exact on the solver grid.
 *
 * Cost: one inverse FFT per sample (FFTW c2r / REDFT00, planned once by
 * nt_grf_init with FFTW_ESTIMATE), O(N log N) in the number N = n^dim of grid
 * values, plus about N normal draws (two per complex periodic mode), which
 * dominate: measured 0.3 ms for n = 8192 in 1D and 9-11 ms for 421 x 421 (one
 * core, x86-64-v3, -O3); nt_grf_init 2-3 ms / 6 ms. A direct sum would cost
 * O(N^2) (1D) or O(n^3) (2D, separable): 67M and 150M multiply-adds.
 *
 * Determinism: a sample is a pure function of the config and the rng state.
 * Normals are drawn in a fixed order (documented at nt_grf_sample) with
 * nt_rng_normal, so the same rng seed gives bit-identical fields on every
 * thread count.
 *
 * Threads: nt_grf_sample is thread-safe (FFTW new-array execute on a plan made
 * once by nt_grf_init). nt_grf_init / nt_grf_free create and destroy FFTW plans;
 * they first call nt_fftw_thread_safe(), so they too may run concurrently. */
#ifndef NT_SOLVERS_GRF_H
#define NT_SOLVERS_GRF_H

#include "noether.h"

typedef enum nt_grf_bc { NT_GRF_PERIODIC = 0, NT_GRF_NEUMANN = 1 } nt_grf_bc;

typedef struct nt_grf_config {
    int bc;       /* nt_grf_bc */
    int dim;      /* 1 or 2 */
    int n;        /* grid points per axis: periodic even >= 4, Neumann >= 3 */
    double sigma; /* amplitude, finite, > 0 */
    double tau;   /* finite, >= 0 (tau = 0 is allowed since the k = 0 mode is dropped) */
    double alpha; /* smoothness, finite, > 0 (> dim/2 for a field of finite variance
                   * as n -> infinity; not enforced) */
} nt_grf_config;

/* The FNO Burgers input measure: periodic, 1D, n = 8192, sigma = 25, tau = 5,
 * alpha = 2. */
void nt_grf_config_burgers(nt_grf_config *c);
/* The FNO Darcy input measure: Neumann, 2D, n = 421, tau = 3, alpha = 2,
 * sigma = tau^(alpha-1) = 3 (see the normalisation note above). */
void nt_grf_config_darcy(nt_grf_config *c);

typedef struct nt_grf {
    nt_grf_config cfg;
    int64_t npts;   /* grid values per sample: n^dim */
    int64_t ncoef;  /* doubles in the coefficient array (see nt_grf_sample) */
    int64_t nspec;  /* doubles in the FFT input buffer */
    double *sd;     /* Neumann: sqrt(λ_k) per coefficient; periodic: sqrt(λ_k / 2) */
    void *plan;     /* fftw_plan */
} nt_grf;

/* Checks the config (NT_ERR_ARG naming the field), precomputes the
 * eigenvalues and plans the transform (NT_ERR_NOMEM). */
nt_status nt_grf_init(nt_grf *g, const nt_grf_config *c);
void nt_grf_free(nt_grf *g);

/* λ_k for the mode k = (k[0], k[1]) (k[1] ignored in 1D): the variance of the
 * coefficient of the orthonormal φ_k; for periodic fields E|ĉ_k|^2. 0 for
 * k = 0. Any integer k (no truncation applied). */
double nt_grf_eigenvalue(const nt_grf_config *c, const int *k);

/* Draws one sample into out (npts doubles; 2D: out[iy*n + ix], x fastest, like
 * nt_fd). If coef is not NULL it receives the drawn coefficients (ncoef
 * doubles):
 *   periodic 1D: coef[2k], coef[2k+1] = Re, Im ĉ_k for k = 0 .. n/2
 *                (k = 0 and k = n/2 are 0); u_j = sum_{0<|k|<n/2} ĉ_k e^{2πi kj/n}.
 *   periodic 2D: coef[2(r*(n/2+1) + kx) + {0,1}] = Re, Im ĉ_(kx, ky) for rows
 *                r = 0 .. n-1 (ky = r for r <= n/2, r - n otherwise) and
 *                kx = 0 .. n/2 (FFTW's r2c layout, x the halved axis), Hermitian
 *                along kx = 0: ĉ_(0, -ky) = conj ĉ_(0, ky). Rows/columns with
 *                |ky| = n/2 or kx = n/2 are 0.
 *   Neumann:     coef[ky*n + kx] (2D) / coef[kx] (1D) = sqrt(λ_k) ξ_k, coef[0] = 0;
 *                u(x) = sum_k coef[k] φ_k(x).
 * Draw order (two normals, Re then Im, per periodic mode; one per Neumann
 * mode): periodic 1D: k = 1 .. n/2-1. Periodic 2D: kx = 1 .. n/2-1 (outer),
 * rows r = 0 .. n-1 skipping r = n/2 (inner); then kx = 0 with r = 1 .. n/2-1.
 * Neumann: storage order, skipping k = 0.
 * NT_ERR_NOMEM. */
nt_status nt_grf_sample(const nt_grf *g, nt_rng *rng, double *out, double *coef);

/* Makes FFTW's planner (plan creation and destruction, everywhere in the
 * process, nt_spectral_solve included) safe to call from several threads at
 * once, with fftw_make_planner_thread_safe from libfftw3_threads. Idempotent,
 * itself thread-safe. Returns 1. */
int nt_fftw_thread_safe(void);

#endif

/* data.h — neural-operator training sets (internal, not installed).
 *
 * The two FNO benchmark sets (Li et al., "Fourier Neural Operator for
 * Parametric PDEs", ICLR 2021), generated from a seed:
 *
 *   burgers  u_t + u u_x = nu u_xx on [0,1) periodic, nu = 0.1, t in [0, 1];
 *            input a = u0 ~ N(0, 625 (-Δ + 25 I)^(-2)) (periodic GRF, zero mean
 *            mode, grf.h) on the fine grid x_j = j/fine; output u(., 1) by
 *            nt_spectral_solve (Fourier pseudo-spectral, ETDRK4, step dt, no
 *            dealiasing) on the same grid. Both subsampled to res points
 *            x_j = j/res (every fine/res-th point).
 *   darcy    -div(a grad u) = 1 on [0,1]^2, u = 0 on the boundary; a = 12 where
 *            psi >= 0 and 3 where psi < 0, psi ~ N(0, 9 (-Δ + 9 I)^(-2)) with
 *            Neumann conditions (grf.h, nt_grf_config_darcy) on the fine node
 *            grid (fine x fine, spacing 1/(fine-1)); u by nt_fd_darcy_solve
 *            (5-point flux form, arithmetic face means as in the FNO
 *            generator's solve_gwf.m, multigrid PCG). Both subsampled to the
 *            res x res nodes (every (fine-1)/(res-1)-th node: 421 -> 85 takes
 *            every 5th).
 *
 * The defaults are the paper's text (section 5.1: nu = 0.1, the GRF above); every
 * parameter is a config field and a `noether data burgers` option (--nu, --t-end,
 * --grf-sigma/tau/alpha, --times). nu = 1e-3 (the released generator's viscosity)
 * with the default GRF costs about 0.7-0.9 s per sample at fine 8192, dt 5e-4
 * (1 thread) and is resolved: dt/2 changes u(., 1) by about 1e-10 relative, and
 * 8192 -> 16384 points by about 1e-15 (1024 -> 2048: about 1e-11), because
 * u0 of this measure has max |u0'| of a few units, so the fronts at t = 1 are
 * about 4e-3 wide (tests/test_data.c checks 2048 against 4096 points).
 * The published generator scripts
 * (neuraloperator/neuraloperator, data_generation/) differ in places:
 * gen_burgers1.m uses visc = 1/1000 and a GRF with gamma = 2.5, tau = 7,
 * sigma = 49; darcy/demo.m thresholds to 12 / 4 instead of 12 / 3. The config
 * structs below expose all of these values.
 *
 * Dataset folder (written by nt_data_*_generate, each file atomically):
 *   a.npy      float64 '<f8', C order: burgers [N, res] (a[i, j] = u0_i(j/res));
 *              darcy [N, res, res] (a[i, iy, ix] at (ix, iy)/(res-1), x fastest
 *              like nt_fd grids)
 *   u.npy      the solutions, same shapes (burgers u_i(j/res, 1))
 *   meta.json  equation, parameters, input measure, seed and its per-sample
 *              derivation, grids, solver settings, thread count, timings
 *
 * Reproducibility: sample i uses its own stream nt_rng_init(r,
 * nt_data_sample_seed(seed, i)), and every sample is computed by
 * single-threaded deterministic code, so the same seed gives byte-identical
 * a.npy / u.npy for any thread count and sample order (meta.json differs only
 * in the timings and the thread count).
 *
 * Threads: samples run in parallel (OpenMP, dynamic schedule) when threads > 1.
 * nt_spectral_solve plans FFTW transforms inside every call; before the
 * parallel loop nt_fftw_thread_safe() puts FFTW's planner under a process-wide
 * mutex (grf.h), so Burgers samples also run concurrently. On a libfftw3 without
 * the planner hook the Burgers samples run one at a time (the Darcy solver has
 * no global state and always runs in parallel).
 *
 * Cost per sample, full size (measured on an otherwise idle 2-core x86-64-v3
 * VM, -O3): burgers (fine 8192, dt 5e-4 = 2000 ETDRK4 steps) 0.59-0.61 s on 1
 * thread, 0.31-0.34 s wall per sample on 2 threads; darcy (421 -> 85, about
 * 11 PCG iterations) 0.12-0.13 s on 1 thread, 0.056-0.058 s wall per sample
 * on 2 threads. A 1200-sample set: about 12 / 6.5 min (burgers), 2.5 / 1.2 min
 * (darcy), on 1 / 2 threads. */
#ifndef NT_OPERATOR_DATA_H
#define NT_OPERATOR_DATA_H

#include "noether.h"
#include "solvers/fd.h"

/* The step at which the Burgers solution at t = 1 agrees with the one at
 * dt/2 to about 1e-9 relative (L2) for this input measure (ETDRK4; 1e-3
 * gives about 5e-9, too close to the 1e-8 target). */
#define NT_DATA_BURGERS_DT 5e-4

typedef struct nt_data_burgers_config {
    int64_t n;      /* samples, >= 1 */
    uint64_t seed;
    int fine;       /* solver points, even, >= 4 (default 8192) */
    int res;        /* output points, >= 2, divides fine (default 1024) */
    double nu;      /* viscosity (0.1) */
    double t_end;   /* final time (1) */
    double dt;      /* ETDRK4 step (NT_DATA_BURGERS_DT) */
    double sigma, tau, alpha; /* input GRF (25, 5, 2): covariance sigma^2 (-Δ + tau^2 I)^(-alpha) */
    int times;      /* 0: the output is u(., t_end) (u.npy [N, res]); >= 2: u at the
                     * times t_k = k t_end / (times - 1), k = 0..times-1 (t_0 = 0 is
                     * u0), u.npy [N, times, res] (space-time sets, PINO) */
    int threads;    /* >= 1 (default 1) */
    int verbose;    /* 1: progress lines on stdout (default 0) */
} nt_data_burgers_config;

typedef struct nt_data_darcy_config {
    int64_t n;      /* samples, >= 1 */
    uint64_t seed;
    int fine;       /* solver nodes per axis, >= 3 (default 421) */
    int res;        /* output nodes per axis, >= 2, (res-1) divides (fine-1) (default 85) */
    double sigma, tau, alpha; /* GRF (3, 3, 2): sigma = tau^(alpha-1) as in GRF.m */
    double a_pos, a_neg;      /* a where psi >= 0 / psi < 0 (12, 3) */
    double f;       /* constant right-hand side (1) */
    double tol;     /* PCG relative residual (1e-9) */
    int threads;
    int verbose;
} nt_data_darcy_config;

/* Defaults above, n = 0 (caller sets), seed = 0. */
void nt_data_burgers_config_default(nt_data_burgers_config *c);
void nt_data_darcy_config_default(nt_data_darcy_config *c);

/* Seed of sample i's stream: the splitmix64 finaliser of
 * seed + (i + 1) * 0x9E3779B97F4A7C15. */
uint64_t nt_data_sample_seed(uint64_t seed, int64_t index);

/* Sample index of a set on the FINE grid: u0 and u1 (fine values each,
 * x_j = j/fine) = input and solution at t_end; with times >= 2, u1 holds
 * times * fine values, snapshot-major (u1[k * fine + j] = u(x_j, t_k)). Thread-safe. NT_ERR_ARG for a
 * bad config, NT_ERR_NUMERIC from the solver, NT_ERR_NOMEM. */
nt_status nt_data_burgers_sample(const nt_data_burgers_config *c, int64_t index, double *u0,
                                 double *u1);

/* Sample index of a set on the FINE node grid (fine*fine values each, x
 * fastest): the coefficient a and the solution u; info (may be NULL) gets the
 * PCG statistics. Thread-safe. */
nt_status nt_data_darcy_sample(const nt_data_darcy_config *c, int64_t index, double *a,
                               double *u, nt_fd_info *info);

/* Timings of a generate call. */
typedef struct nt_data_stats {
    int64_t n;
    int threads;
    double total_s;       /* wall time of the whole call (files included) */
    double sample_mean_s; /* mean wall time of one sample on its thread */
    double sample_max_s;
    double iters_mean;    /* darcy: mean PCG iterations (0 for burgers) */
    int iters_max;
} nt_data_stats;

/* Computes the n samples and writes dir/a.npy, dir/u.npy, dir/meta.json
 * (dir is created, parents included, if missing). Unless overwrite, an
 * existing a.npy, u.npy or meta.json in dir is an NT_ERR_IO error before any
 * work. stats may be NULL. The first failing sample's error is returned. */
nt_status nt_data_burgers_generate(const nt_data_burgers_config *c, const char *dir, int overwrite,
                                   nt_data_stats *stats);
nt_status nt_data_darcy_generate(const nt_data_darcy_config *c, const char *dir, int overwrite,
                                 nt_data_stats *stats);

/* The `noether data` subcommand. argv[0] is the set name ("burgers" or
 * "darcy", or --help), i.e. main() calls nt_data_main(argc - 2, argv + 2) like
 * its other commands; a leading "data" is skipped, so argc - 1, argv + 1 works
 * too. Returns the exit code: 0 ok, 1 failure (message on stderr), 2 usage. */
int nt_data_main(int argc, char **argv);

#endif

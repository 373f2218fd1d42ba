/* sampler.h — point samplers for collocation / initial / boundary points
 * (internal, not installed). */
#ifndef NT_PINN_SAMPLER_H
#define NT_PINN_SAMPLER_H

#include "noether.h"

typedef enum nt_sampler_kind {
    NT_SAMPLER_UNIFORM = 0, /* iid uniform */
    NT_SAMPLER_LHS,         /* Latin hypercube, jittered within strata */
    NT_SAMPLER_SOBOL        /* Sobol' (Joe–Kuo), random digital shift */
} nt_sampler_kind;

#define NT_SAMPLER_MAX_DIM 8

/* "uniform", "lhs", "sobol"; NT_ERR_ARG naming the allowed values otherwise. */
nt_status nt_sampler_parse(const char *s, nt_sampler_kind *out);
/* The name parsed by nt_sampler_parse ("?" for an invalid kind). */
const char *nt_sampler_name(nt_sampler_kind k);

/* n points in the box prod_d [lo[d], hi[d]] (lo[d] <= hi[d]; lo == hi gives a
 * fixed coordinate), written row-major (n × dim) to out; dim 1..8.
 *   uniform: every coordinate iid uniform.
 *   lhs:     each of the n equal strata of every dimension holds exactly one
 *            point, at a uniform position inside it; independent random
 *            permutations per dimension.
 *   sobol:   the first n points of the Sobol' sequence (Gray-code order, point 0
 *            included) with Joe–Kuo direction numbers, 52-bit, XOR-ed with a
 *            random 52-bit shift per dimension so redraws differ; the net
 *            properties are kept (e.g. any 2^k consecutive-from-0 points of the
 *            first two dimensions form a (0,k,2)-net).
 * Deterministic for a given rng state (rng advances). Allocates scratch for
 * lhs (freed before return): NT_ERR_NOMEM if that fails. NT_ERR_ARG for dim out
 * of range, n < 0, non-finite or inverted bounds, an invalid kind. */
nt_status nt_sample_box(nt_sampler_kind k, int dim, const double *lo, const double *hi, int64_t n,
                        nt_rng *rng, double *out);

/* Sobol' points as above; rng == NULL disables the digital shift (the plain
 * sequence, point 0 at lo — for tests). */
nt_status nt_sample_sobol(int dim, const double *lo, const double *hi, int64_t n, nt_rng *rng,
                          double *out);

#endif

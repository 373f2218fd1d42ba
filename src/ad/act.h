/* act.h — activation functions and their derivatives of every order up to
 * NT_ACT_MAX_ORDER, evaluated over a tile of values with vectorizable loops.
 *
 * tanh and sigmoid derivatives are polynomials in the function value
 * (σ' = 1 − t², s' = s(1 − s)); the derivatives of x·Φ(x) (GELU) use Hermite
 * polynomials times the normal density; swish = x·s(x) has x·s⁽ⁿ⁾ + n·s⁽ⁿ⁻¹⁾.
 * Polynomials are evaluated coefficient by coefficient across the tile, so every
 * inner loop is a plain vector loop. */
#ifndef NT_AD_ACT_H
#define NT_AD_ACT_H

#include "core/internal.h"
#include "core/vmath.h"

#define NT_ACT_TILE 256
#define NT_ACT_NCOEF 11

extern const double nt_tanh_poly[NT_ACT_MAX_ORDER + 1][NT_ACT_NCOEF];
extern const double nt_sigmoid_poly[NT_ACT_MAX_ORDER + 1][NT_ACT_NCOEF];
extern const double nt_hermite_poly[NT_ACT_MAX_ORDER + 1][NT_ACT_NCOEF];

/* d[k*L + j] = σ⁽ᵏ⁾(z[j]) for k = kmin..K, j < L (L <= NT_ACT_TILE); orders below
 * kmin are left unwritten. Defined for float (_f32) and double (_f64). */
#define NT_T float
#define NT_SUF(name) name##_f32
#include "ad/act_impl.h"
#undef NT_T
#undef NT_SUF
#define NT_T double
#define NT_SUF(name) name##_f64
#include "ad/act_impl.h"
#undef NT_T
#undef NT_SUF

#define nt_act_derivs(a, kmin, K, z, L, d)                                          \
    _Generic((z), const float *: nt_act_derivs_f32, float *: nt_act_derivs_f32,     \
             default: nt_act_derivs_f64)(a, kmin, K, z, L, d)

#endif

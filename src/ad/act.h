/* act.h — activation functions and their derivatives of every order up to
 * NT_ACT_MAX_ORDER, evaluated over a tile of values with vectorizable loops.
 *
 * tanh and sigmoid derivatives are polynomials in the function value
 * (σ' = 1 − t², s' = s(1 − s)); the derivatives of x·Φ(x) (GELU) use Hermite
 * polynomials times the normal density; swish = x·s(x) has x·s⁽ⁿ⁾ + n·s⁽ⁿ⁻¹⁾. */
#ifndef NT_AD_ACT_H
#define NT_AD_ACT_H

#include "core/internal.h"
#if __has_include("core/vmath.h")
#include "core/vmath.h"
#else /* TEMPORARY until vmath.h lands */
#include <tgmath.h>
#define nt_vtanh(x) tanh(x)
#define nt_vexp(x) exp(x)
#define nt_vsin(x) sin(x)
#define nt_vcos(x) cos(x)
#define nt_vsigmoid(x) (1 / (1 + exp(-(x))))
#define nt_vPhi(x) (0.5 * erfc(-(x) * 0.70710678118654752440))
#define nt_vphi(x) (0.39894228040143267794 * exp(-0.5 * (x) * (x)))
#endif

#define NT_ACT_TILE 256
#define NT_ACT_NCOEF 11

extern const double nt_tanh_poly[NT_ACT_MAX_ORDER + 1][NT_ACT_NCOEF];
extern const double nt_sigmoid_poly[NT_ACT_MAX_ORDER + 1][NT_ACT_NCOEF];
extern const double nt_hermite_poly[NT_ACT_MAX_ORDER + 1][NT_ACT_NCOEF];

/* d[k*L + j] = σ⁽ᵏ⁾(z[j]) for k = 0..K, j < L (L <= NT_ACT_TILE). Instantiated for
 * float and double. `kmin` lets callers skip orders below it (they are left
 * unwritten), which saves work in backward passes. */
#define NT_ACT_DERIVS_DEFINE(T, SUF)                                                  \
    static inline void nt_act_derivs_##SUF(nt_act a, int kmin, int K, const T *z,     \
                                            int L, T *d)                                \
    {                                                                                   \
        switch (a) {                                                                    \
        case NT_ACT_IDENTITY:                                                           \
            for (int k = kmin; k <= K; k++) {                                           \
                T *dk = d + (size_t)k * L;                                              \
                _Pragma("omp simd") for (int j = 0; j < L; j++)                         \
                    dk[j] = k == 0 ? z[j] : (k == 1 ? (T)1 : (T)0);                     \
            }                                                                           \
            break;                                                                      \
        case NT_ACT_TANH:                                                               \
        case NT_ACT_SIGMOID: {                                                          \
            const double(*P)[NT_ACT_NCOEF] =                                            \
                a == NT_ACT_TANH ? nt_tanh_poly : nt_sigmoid_poly;                      \
            T t[NT_ACT_TILE];                                                           \
            if (a == NT_ACT_TANH) {                                                     \
                _Pragma("omp simd") for (int j = 0; j < L; j++) t[j] = nt_vtanh(z[j]);  \
            } else {                                                                    \
                _Pragma("omp simd") for (int j = 0; j < L; j++) t[j] = nt_vsigmoid(z[j]); \
            }                                                                           \
            for (int k = kmin; k <= K; k++) {                                           \
                T *dk = d + (size_t)k * L;                                              \
                int deg = k + 1;                                                        \
                if (k == 0) {                                                           \
                    _Pragma("omp simd") for (int j = 0; j < L; j++) dk[j] = t[j];       \
                    continue;                                                           \
                }                                                                       \
                _Pragma("omp simd") for (int j = 0; j < L; j++) {                       \
                    T acc = (T)P[k][deg];                                               \
                    for (int c = deg - 1; c >= 0; c--) acc = acc * t[j] + (T)P[k][c];   \
                    dk[j] = acc;                                                        \
                }                                                                       \
            }                                                                           \
            break;                                                                      \
        }                                                                               \
        case NT_ACT_SIN:                                                                \
        case NT_ACT_COS: {                                                              \
            T s[NT_ACT_TILE], c[NT_ACT_TILE];                                           \
            _Pragma("omp simd") for (int j = 0; j < L; j++) {                           \
                s[j] = nt_vsin(z[j]);                                                   \
                c[j] = nt_vcos(z[j]);                                                   \
            }                                                                           \
            int shift = a == NT_ACT_COS ? 1 : 0;                                        \
            for (int k = kmin; k <= K; k++) {                                           \
                T *dk = d + (size_t)k * L;                                              \
                int ph = (k + shift) & 3; /* sin, cos, -sin, -cos */                    \
                const T *src = (ph & 1) ? c : s;                                        \
                T sg = (ph & 2) ? (T)-1 : (T)1;                                         \
                _Pragma("omp simd") for (int j = 0; j < L; j++) dk[j] = sg * src[j];    \
            }                                                                           \
            break;                                                                      \
        }                                                                               \
        case NT_ACT_EXP: {                                                              \
            T e[NT_ACT_TILE];                                                           \
            _Pragma("omp simd") for (int j = 0; j < L; j++) e[j] = nt_vexp(z[j]);       \
            for (int k = kmin; k <= K; k++) {                                           \
                T *dk = d + (size_t)k * L;                                              \
                _Pragma("omp simd") for (int j = 0; j < L; j++) dk[j] = e[j];           \
            }                                                                           \
            break;                                                                      \
        }                                                                               \
        case NT_ACT_SWISH: {                                                            \
            T s[NT_ACT_TILE];                                                           \
            _Pragma("omp simd") for (int j = 0; j < L; j++) s[j] = nt_vsigmoid(z[j]);   \
            /* swish⁽ᵏ⁾ = z·s⁽ᵏ⁾ + k·s⁽ᵏ⁻¹⁾ */                                          \
            for (int k = kmin; k <= K; k++) {                                           \
                T *dk = d + (size_t)k * L;                                              \
                _Pragma("omp simd") for (int j = 0; j < L; j++) {                       \
                    T sk = (T)nt_sigmoid_poly[k][k + 1], sk1 = 0;                       \
                    for (int c = k; c >= 0; c--) sk = sk * s[j] + (T)nt_sigmoid_poly[k][c]; \
                    if (k > 0) {                                                        \
                        sk1 = (T)nt_sigmoid_poly[k - 1][k];                             \
                        for (int c = k - 1; c >= 0; c--)                                \
                            sk1 = sk1 * s[j] + (T)nt_sigmoid_poly[k - 1][c];            \
                    }                                                                   \
                    dk[j] = z[j] * sk + (T)k * sk1;                                     \
                }                                                                       \
            }                                                                           \
            break;                                                                      \
        }                                                                               \
        case NT_ACT_GELU: {                                                             \
            /* Φ⁽⁰⁾ = Φ, Φ⁽ᵏ⁾ = (−1)^(k−1)·He_{k−1}(z)·φ(z); gelu⁽ᵏ⁾ = z·Φ⁽ᵏ⁾ + k·Φ⁽ᵏ⁻¹⁾ */ \
            T cdf[NT_ACT_TILE], pdf[NT_ACT_TILE];                                       \
            _Pragma("omp simd") for (int j = 0; j < L; j++) {                           \
                cdf[j] = nt_vPhi(z[j]);                                                 \
                pdf[j] = nt_vphi(z[j]);                                                 \
            }                                                                           \
            for (int k = kmin; k <= K; k++) {                                           \
                T *dk = d + (size_t)k * L;                                              \
                _Pragma("omp simd") for (int j = 0; j < L; j++) {                       \
                    T x = z[j], pk, pk1;                                                \
                    if (k == 0) {                                                       \
                        pk = cdf[j];                                                    \
                        pk1 = 0;                                                        \
                    } else {                                                            \
                        T h = (T)nt_hermite_poly[k - 1][k - 1];                         \
                        for (int c = k - 2; c >= 0; c--) h = h * x + (T)nt_hermite_poly[k - 1][c]; \
                        pk = ((k - 1) & 1 ? -h : h) * pdf[j];                           \
                        if (k == 1) {                                                   \
                            pk1 = cdf[j];                                               \
                        } else {                                                        \
                            T h1 = (T)nt_hermite_poly[k - 2][k - 2];                    \
                            for (int c = k - 3; c >= 0; c--)                            \
                                h1 = h1 * x + (T)nt_hermite_poly[k - 2][c];             \
                            pk1 = ((k - 2) & 1 ? -h1 : h1) * pdf[j];                    \
                        }                                                               \
                    }                                                                   \
                    dk[j] = x * pk + (T)k * pk1;                                        \
                }                                                                       \
            }                                                                           \
            break;                                                                      \
        }                                                                               \
        default:                                                                        \
            NT_ASSERT(0, "unknown activation");                                         \
        }                                                                               \
    }

NT_ACT_DERIVS_DEFINE(float, f32)
NT_ACT_DERIVS_DEFINE(double, f64)

#define nt_act_derivs(a, kmin, K, z, L, d)                  \
    _Generic((z), const float *: nt_act_derivs_f32, float *: nt_act_derivs_f32, \
             default: nt_act_derivs_f64)(a, kmin, K, z, L, d)

#endif

/* vmath.h — branch-free scalar math for vectorised kernels.
 *
 * Every function here is a forced-inline straight-line computation: range
 * reduction by the "shifter" rounding trick, polynomial or rational kernels in
 * Horner form, 2^k built from exponent bits (memcpy bit casts, unsigned shifts
 * only) and selects done as bitwise blends of values that are always computed.
 * There are no branches, tables, float<->int conversions or libm calls (apart from
 * fabs, copysign and fma, which GCC expands inline), so a loop such as
 *
 *     #pragma omp simd
 *     for (int64_t i = 0; i < n; i++) y[i] = nt_vtanh(x[i]);
 *
 * vectorises for float and double (GCC 12, -O3 -march=x86-64-v3, checked with
 * -fopt-info-vec-optimized: "loop vectorized using 32 byte vectors" for all 16),
 * and gives bit-identical results to the scalar call (the test checks this).
 *
 * Functions (each as _f32 and _f64; the type-generic macros at the end pick one):
 *   nt_vexp      e^x; overflows to +inf, underflows through subnormals to 0.
 *   nt_vexpm1    e^x - 1, relatively accurate near 0; expm1(-0) = -0.
 *   nt_vtanh     (1 - E)/(1 + E), E = e^(-2|x|) (numerator -expm1(-2|x|) near 0);
 *                odd, exactly ±1 for large |x|, tanh(±0) = ±0.
 *   nt_vsigmoid  1/(1+E) for x >= 0, E/(1+E) for x < 0, E = e^(-|x|): stable both ways.
 *   nt_vphi      standard normal density e^(-x²/2)/√(2π), x² carried as hi + lo.
 *   nt_vPhi      standard normal CDF Φ(x) = ½·erfc(-x/√2), relatively accurate in
 *                the left tail down to underflow (Φ(-37.5) ≈ 5e-308).
 *   nt_vsin, nt_vcos  3-part Cody–Waite reduction by π/2, sin/cos kernels.
 * NaN in gives NaN out; ±inf give the limits (sin/cos(±inf) = NaN).
 *
 * Accuracy: max error over dense sweeps (tests/test_vmath.c, 1e6 points per
 * function and dtype, against long double libm for f64 and double libm for f32;
 * the test prints the current figures and asserts bounds a little above them):
 *   f64 (ulp):  exp 0.97  expm1 1.4  tanh 2.0  sigmoid 2.4  phi 1.1  Phi 2.5
 *               sin 1.2  cos 1.2        (i.e. below 6e-16 relative in the normal range)
 *   f32 (ulp):  exp 0.95  expm1 1.2  tanh 1.9  sigmoid 2.3  phi/Phi/sin/cos 0.5
 * Subnormal results are accurate to about one subnormal ulp. sin/cos keep their
 * accuracy for |x| <= 2^21·π/2 ≈ 3.3e6 (the reduction products are exact there);
 * beyond, the error grows with |x| and the result stays in [-1, 1].
 *
 * Derivation (original; no library code or tables): coefficients are weighted
 * minimax fits (Remez exchange in 60-digit arithmetic with mpmath) for the
 * relative error of the final result:
 *   expm1(r) = r + r²·P(r), |r| <= 0.347: P deg 10 (2^-58.3); deg 5 (2^-31.8) for f32
 *   sin r = r + r³·S(r²), cos r = 1 + r²·C(r²), |r| <= π/4 + 1e-3: S, C deg 6
 *     (2^-68.7, 2^-64.5); deg 3 (2^-37.5, 2^-33.9) for f32
 *   Φ(x), |x| <= 1: ½ + x/√(2π) + x³·S(x²), S deg 9 (2^-62)
 *   Φ(-a), a > 1: e^(-a²/2)/√(2π) / (a + h(a)), h = 1/Mills ratio - a as a (9,10)
 *     rational (2^-57.8); f32: e^(-a²/2)·G(a), G a (5,6) rational (2^-33.5).
 * The f32 phi, Phi, sin and cos evaluate in double (float x² and the reduction
 * are then exact) and round once; f32 exp/expm1/tanh/sigmoid run in float
 * (8 lanes per AVX2 register).
 *
 * Assumes IEEE-754 binary32/64, round-to-nearest and no -ffast-math (the shifter
 * trick needs (x + c) - c evaluated as written). -ffp-contract=fast is fine: every
 * product whose fusing could matter is exact or already an explicit fma. FMA is
 * used where the target has it (__FP_FAST_FMA, e.g. -march=x86-64-v3); otherwise
 * a*b+c (Dekker splitting for the exact square), with somewhat larger errors.
 */
#ifndef NT_CORE_VMATH_H
#define NT_CORE_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Forced inlining: a vectorised loop must see the whole body. GCC otherwise declines
 * to inline the larger functions (Phi, sin) at some call sites, and the loop then
 * stays scalar around a call. */
#if defined(__GNUC__) || defined(__clang__)
#define NTVM_INLINE static inline __attribute__((always_inline))
#else
#define NTVM_INLINE static inline
#endif

#ifdef __FP_FAST_FMA
#define NTVM_FMA(a, b, c) fma((a), (b), (c))
#else
#define NTVM_FMA(a, b, c) ((a) * (b) + (c))
#endif
#ifdef __FP_FAST_FMAF
#define NTVM_FMAF(a, b, c) fmaf((a), (b), (c))
#else
#define NTVM_FMAF(a, b, c) ((a) * (b) + (c))
#endif

/* ---- bit casts and constants ------------------------------------------------- */

NTVM_INLINE uint64_t ntvm_d2u(double d) { uint64_t u; memcpy(&u, &d, sizeof u); return u; }
NTVM_INLINE double ntvm_u2d(uint64_t u) { double d; memcpy(&d, &u, sizeof d); return d; }
NTVM_INLINE uint32_t ntvm_f2u(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }
NTVM_INLINE float ntvm_u2f(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }

/* c ? a : b as a bitwise blend. Plain ternaries on doubles let GCC thread jumps
 * through the known-constant arm (e.g. after a clamp) and duplicate the code that
 * follows; under the default -ftrapping-math the loop then no longer if-converts
 * ("control flow in loop"). The mask form compiles to a compare and a blend. */
NTVM_INLINE double ntvm_sel_f64(int c, double a, double b)
{
    uint64_t m = (uint64_t)0 - (uint64_t)c;
    return ntvm_u2d((ntvm_d2u(a) & m) | (ntvm_d2u(b) & ~m));
}
NTVM_INLINE double ntvm_selm_f64(uint64_t m, double a, double b) /* m all-ones or 0 */
{
    return ntvm_u2d((ntvm_d2u(a) & m) | (ntvm_d2u(b) & ~m));
}
NTVM_INLINE float ntvm_sel_f32(int c, float a, float b)
{
    uint32_t m = (uint32_t)0 - (uint32_t)c;
    return ntvm_u2f((ntvm_f2u(a) & m) | (ntvm_f2u(b) & ~m));
}

/* (v + SHIFT) rounds v to an integer k and leaves k in the low mantissa bits;
 * subtracting SHIFT again gives k as a floating-point value (|k| < 2^51 / 2^22). */
#define NTVM_SHIFT_D 0x1.8p52
#define NTVM_SHIFT_F 0x1.8p23f

#define NTVM_LOG2E 0x1.71547652b82fep+0      /* 1/ln 2 */
#define NTVM_LN2HI 0x1.62e42fefa38p-1        /* ln 2 rounded to 42 bits: k·LN2HI exact, |k| < 2^11 */
#define NTVM_LN2LO 0x1.ef35793c7673p-45      /* ln 2 - LN2HI */
#define NTVM_LOG2E_F 0x1.715476p+0f
#define NTVM_LN2HI_F 0x1.62e4p-1f            /* 16 bits: k·LN2HI_F exact, |k| < 2^8 */
#define NTVM_LN2LO_F 0x1.7f7d1cp-20f
/* π/2 = PIO2_1 + PIO2_2 + PIO2_3, the first two with 32 significant bits, so
 * m·PIO2_1 and m·PIO2_2 are exact for |m| < 2^21 (about 117 bits in all). */
#define NTVM_PIO2_1 0x1.921fb544p+0
#define NTVM_PIO2_2 0x1.0b4611a6p-34
#define NTVM_PIO2_3 0x1.3198a2e037073p-69
#define NTVM_2_PI 0x1.45f306dc9c883p-1 /* 2/π */
#define NTVM_ISQRT2PI_HI 0x1.9884533d43651p-2 /* 1/√(2π) = HI + LO */
#define NTVM_ISQRT2PI_LO (-0x1.cbc0d30ebfd15p-56)
#define NTVM_LNISQRT2PI_HI (-0x1.d67f1c864cp-1)  /* ln(1/√(2π)) = HI + LO, HI 41 bits */
#define NTVM_LNISQRT2PI_LO 0x1.4b596d686dffdp-45

/* 2^k from s = SHIFT + k, for -1022 <= k <= 1023 (the low 12 bits of the
 * mantissa of s hold k mod 2^12; shifting them into the exponent field). */
NTVM_INLINE double ntvm_pow2_f64(double s)
{
    return ntvm_u2d((ntvm_d2u(s) << 52) + ((uint64_t)1023 << 52));
}
/* 2^-k from s = SHIFT + k, for -1023 <= k <= 1022. */
NTVM_INLINE double ntvm_pow2neg_f64(double s)
{
    return ntvm_u2d(((uint64_t)1023 << 52) - (ntvm_d2u(s) << 52));
}
NTVM_INLINE float ntvm_pow2_f32(float s)
{
    return ntvm_u2f((ntvm_f2u(s) << 23) + ((uint32_t)127 << 23));
}
NTVM_INLINE float ntvm_pow2neg_f32(float s)
{
    return ntvm_u2f(((uint32_t)127 << 23) - (ntvm_f2u(s) << 23));
}

/* 2^k = a·b for |k| <= 1100 (s = SHIFT + k): a stays normal, b is 1 or 2^±200, so
 * (m·a)·b rounds once, in the last product, when the result under/overflows. */
typedef struct { double a, b; } ntvm_pair_f64;
NTVM_INLINE ntvm_pair_f64 ntvm_pow2split_f64(double s)
{
    double k = s - NTVM_SHIFT_D;
    int hi = k > 1000.0, lo = k < -1000.0;
    double adj = ntvm_sel_f64(hi, 200.0, ntvm_sel_f64(lo, -200.0, 0.0));
    double b = ntvm_sel_f64(hi, 0x1p200, ntvm_sel_f64(lo, 0x1p-200, 1.0));
    ntvm_pair_f64 p = {ntvm_pow2_f64(s - adj), b};
    return p;
}
typedef struct { float a, b; } ntvm_pair_f32;
NTVM_INLINE ntvm_pair_f32 ntvm_pow2split_f32(float s) /* |k| <= 155 */
{
    float k = s - NTVM_SHIFT_F;
    int hi = k > 100.0f, lo = k < -100.0f;
    float adj = ntvm_sel_f32(hi, 30.0f, ntvm_sel_f32(lo, -30.0f, 0.0f));
    float b = ntvm_sel_f32(hi, 0x1p30f, ntvm_sel_f32(lo, 0x1p-30f, 1.0f));
    ntvm_pair_f32 p = {ntvm_pow2_f32(s - adj), b};
    return p;
}

/* ---- exp reduction ----------------------------------------------------------- */

/* expm1(r) = r + r²·p(r) for |r| <= 0.347: returns p (degree 10, 2^-58.3). */
NTVM_INLINE double ntvm_exppoly_f64(double r)
{
    double p = 0x1.e632b5d7e00cap-30;
    p = NTVM_FMA(p, r, 0x1.af4e571f3514bp-26);
    p = NTVM_FMA(p, r, 0x1.2802350647b1fp-22);
    p = NTVM_FMA(p, r, 0x1.71de01fe687p-19);
    p = NTVM_FMA(p, r, 0x1.a019f387388abp-16);
    p = NTVM_FMA(p, r, 0x1.a01a01abf783ap-13);
    p = NTVM_FMA(p, r, 0x1.6c16c16f0f2cbp-10);
    p = NTVM_FMA(p, r, 0x1.11111111100c1p-7);
    p = NTVM_FMA(p, r, 0x1.5555555554d2bp-5);
    p = NTVM_FMA(p, r, 0x1.5555555555557p-3);
    return NTVM_FMA(p, r, 0x1.0000000000001p-1);
}

/* exp(xh + xl) = (1 + q)·2^k, q = expm1(r) = r + rr·p (rr = r²), s = SHIFT + k,
 * |r| <= 0.347. xl is a small correction (|xl| <= ulp(xh)) folded into the reduced
 * argument; |xh| < 1500 keeps k·LN2HI exact. Callers combine r, rr and p with one
 * final rounding where they can. */
typedef struct { double r, rr, p, s; } ntvm_er_f64;
NTVM_INLINE ntvm_er_f64 ntvm_expred_f64(double xh, double xl)
{
    double s = xh * NTVM_LOG2E + NTVM_SHIFT_D;
    double k = s - NTVM_SHIFT_D;
    double r = (xh - k * NTVM_LN2HI) - (k * NTVM_LN2LO - xl);
    ntvm_er_f64 o = {r, r * r, ntvm_exppoly_f64(r), s};
    return o;
}
/* The same for exp(xh + xl + chi + clo) with a constant chi of at most 41 bits:
 * k·LN2HI - chi is exact, and so is xh minus it once |xh| >= 1/4 (both are
 * multiples of ulp(xh) and the difference is below 1/2), so the constant costs no
 * extra rounding there. */
NTVM_INLINE ntvm_er_f64 ntvm_expredc_f64(double xh, double xl, double chi, double clo)
{
    double s = (xh + chi) * NTVM_LOG2E + NTVM_SHIFT_D;
    double k = s - NTVM_SHIFT_D;
    double r = (xh - (k * NTVM_LN2HI - chi)) - ((k * NTVM_LN2LO - xl) - clo);
    ntvm_er_f64 o = {r, r * r, ntvm_exppoly_f64(r), s};
    return o;
}
/* The same in double with the short polynomial (relative error 2^-31.8), for the
 * f32 functions that evaluate in double. */
NTVM_INLINE ntvm_er_f64 ntvm_expred_short_f64(double xh)
{
    double s = xh * NTVM_LOG2E + NTVM_SHIFT_D;
    double k = s - NTVM_SHIFT_D;
    double r = (xh - k * NTVM_LN2HI) - k * NTVM_LN2LO;
    double p = 0x1.a2a4971a03dcfp-13;
    p = NTVM_FMA(p, r, 0x1.6d8422cf159bep-10);
    p = NTVM_FMA(p, r, 0x1.11101c9059094p-7);
    p = NTVM_FMA(p, r, 0x1.55549e1fc679ap-5);
    p = NTVM_FMA(p, r, 0x1.555555a6ec434p-3);
    p = NTVM_FMA(p, r, 0x1.0000002de4742p-1);
    ntvm_er_f64 o = {r, r * r, p, s};
    return o;
}
typedef struct { float r, rr, p, s; } ntvm_er_f32;
NTVM_INLINE ntvm_er_f32 ntvm_expred_f32(float x) /* |x| < 170 */
{
    float s = x * NTVM_LOG2E_F + NTVM_SHIFT_F;
    float k = s - NTVM_SHIFT_F;
    float r = (x - k * NTVM_LN2HI_F) - k * NTVM_LN2LO_F;
    float p = 0x1.a2a498p-13f;
    p = NTVM_FMAF(p, r, 0x1.6d8422p-10f);
    p = NTVM_FMAF(p, r, 0x1.11101cp-7f);
    p = NTVM_FMAF(p, r, 0x1.55549ep-5f);
    p = NTVM_FMAF(p, r, 0x1.555556p-3f);
    p = NTVM_FMAF(p, r, 0x1p-1f);
    ntvm_er_f32 o = {r, r * r, p, s};
    return o;
}

/* ---- exp, expm1 ---------------------------------------------------------------- */

NTVM_INLINE double nt_vexp_f64(double x)
{
    /* Clamp (NaN passes through); e^709.79 overflows and e^-746 underflows to 0
     * naturally in the final product. */
    double xc = ntvm_sel_f64(x < -746.0, -746.0, x);
    xc = ntvm_sel_f64(xc > 709.79, 709.79, xc);
    ntvm_er_f64 e = ntvm_expred_f64(xc, 0.0);
    ntvm_pair_f64 p = ntvm_pow2split_f64(e.s);
    return NTVM_FMA(NTVM_FMA(e.rr, e.p, e.r), p.a, p.a) * p.b;
}

NTVM_INLINE float nt_vexp_f32(float x)
{
    float xc = ntvm_sel_f32(x < -104.0f, -104.0f, x);
    xc = ntvm_sel_f32(xc > 88.8f, 88.8f, xc);
    ntvm_er_f32 e = ntvm_expred_f32(xc);
    ntvm_pair_f32 p = ntvm_pow2split_f32(e.s);
    return NTVM_FMAF(NTVM_FMAF(e.rr, e.p, e.r), p.a, p.a) * p.b;
}

/* expm1(x) = 2^k·((t + r) + r²·p) with t = 1 - 2^-k: for k = 0 this is the
 * polynomial itself (full relative accuracy near 0); t is exact for the k where it
 * matters, and t + r is exact for k = ±1, where the result has cancelled most. */
NTVM_INLINE double nt_vexpm1_f64(double x)
{
    double xc = ntvm_sel_f64(x < -50.0, -50.0, x); /* expm1(-50) rounds to -1 */
    xc = ntvm_sel_f64(xc > 709.79, 709.79, xc);
    ntvm_er_f64 e = ntvm_expred_f64(xc, 0.0);
    ntvm_pair_f64 p = ntvm_pow2split_f64(e.s);
    double sc = ntvm_sel_f64(e.s > NTVM_SHIFT_D + 60.0, NTVM_SHIFT_D + 60.0, e.s);
    double t = 1.0 - ntvm_pow2neg_f64(sc);
    double y = NTVM_FMA(e.rr, e.p, t + e.r) * p.a * p.b;
    return ntvm_sel_f64(x == 0.0, x, y); /* keeps the sign of zero */
}

NTVM_INLINE float nt_vexpm1_f32(float x)
{
    float xc = ntvm_sel_f32(x < -20.0f, -20.0f, x); /* expm1f(-20) rounds to -1 */
    xc = ntvm_sel_f32(xc > 88.8f, 88.8f, xc);
    ntvm_er_f32 e = ntvm_expred_f32(xc);
    ntvm_pair_f32 p = ntvm_pow2split_f32(e.s);
    float sc = ntvm_sel_f32(e.s > NTVM_SHIFT_F + 30.0f, NTVM_SHIFT_F + 30.0f, e.s);
    float t = 1.0f - ntvm_pow2neg_f32(sc);
    float y = NTVM_FMAF(e.rr, e.p, t + e.r) * p.a * p.b;
    return ntvm_sel_f32(x == 0.0f, x, y);
}

/* ---- tanh, sigmoid ------------------------------------------------------------- */

/* tanh|x| = (1 - E)/(1 + E), E = e^(-2|x|) = 2^k·(1 + q) with 2^k <= 1: numerator
 * (1 - 2^k) - 2^k·q and denominator (1 + 2^k) + 2^k·q each round once, and for
 * k = 0 the numerator is -q = -expm1(-2|x|) (accurate near 0). Sign by copysign. */
NTVM_INLINE double nt_vtanh_f64(double x)
{
    double y = -2.0 * fabs(x);
    y = ntvm_sel_f64(y < -50.0, -50.0, y); /* tanh(25) rounds to 1 */
    ntvm_er_f64 e = ntvm_expred_f64(y, 0.0); /* k in [-73, 0] */
    double s = ntvm_pow2_f64(e.s);
    double q = NTVM_FMA(e.rr, e.p, e.r);
    double n = NTVM_FMA(-s, q, 1.0 - s), d = NTVM_FMA(s, q, 1.0 + s);
    return copysign(n / d, x);
}

NTVM_INLINE float nt_vtanh_f32(float x)
{
    float y = -2.0f * fabsf(x);
    y = ntvm_sel_f32(y < -20.0f, -20.0f, y); /* tanhf(10) rounds to 1 */
    ntvm_er_f32 e = ntvm_expred_f32(y); /* k in [-29, 0] */
    float s = ntvm_pow2_f32(e.s);
    float q = NTVM_FMAF(e.rr, e.p, e.r);
    float n = NTVM_FMAF(-s, q, 1.0f - s), d = NTVM_FMAF(s, q, 1.0f + s);
    return copysignf(n / d, x);
}

/* σ(x) = 1/(1 + E) for x >= 0 and E/(1 + E) for x < 0, E = e^(-|x|) <= 1. */
NTVM_INLINE double nt_vsigmoid_f64(double x)
{
    double y = -fabs(x);
    y = ntvm_sel_f64(y < -746.0, -746.0, y);
    ntvm_er_f64 e = ntvm_expred_f64(y, 0.0);
    ntvm_pair_f64 p = ntvm_pow2split_f64(e.s);
    double q = NTVM_FMA(e.rr, e.p, e.r);
    double E = NTVM_FMA(q, p.a, p.a) * p.b;
    double s = p.a * p.b; /* 2^k, 0 when it underflows (then d = 1 anyway) */
    double d = NTVM_FMA(s, q, 1.0 + s);
    return ntvm_sel_f64(x >= 0.0, 1.0, E) / d;
}

NTVM_INLINE float nt_vsigmoid_f32(float x)
{
    float y = -fabsf(x);
    y = ntvm_sel_f32(y < -104.0f, -104.0f, y);
    ntvm_er_f32 e = ntvm_expred_f32(y);
    ntvm_pair_f32 p = ntvm_pow2split_f32(e.s);
    float q = NTVM_FMAF(e.rr, e.p, e.r);
    float E = NTVM_FMAF(q, p.a, p.a) * p.b;
    float s = p.a * p.b;
    float d = NTVM_FMAF(s, q, 1.0f + s);
    return ntvm_sel_f32(x >= 0.0f, 1.0f, E) / d;
}

/* ---- normal pdf and cdf ---------------------------------------------------------- */

/* Low part of a·a: a·a = h + ntvm_sqrlo_f64(a, h) exactly (h = fl(a·a), |a| < 2^500). */
NTVM_INLINE double ntvm_sqrlo_f64(double a, double h)
{
#ifdef __FP_FAST_FMA
    return fma(a, a, -h);
#else
    double c = 134217729.0 * a; /* Veltkamp split: a = ah + al, 26 + 27 bits */
    double ah = c - (c - a), al = a - ah;
    return ((ah * ah - h) + 2.0 * ah * al) + al * al;
#endif
}

NTVM_INLINE double nt_vphi_f64(double x)
{
    double a = fabs(x);
    a = ntvm_sel_f64(a > 40.0, 40.0, a); /* phi(39) underflows to 0 */
    double h = a * a, l = ntvm_sqrlo_f64(a, h);
    ntvm_er_f64 e = ntvm_expred_f64(-0.5 * h, -0.5 * l);
    ntvm_pair_f64 p = ntvm_pow2split_f64(e.s);
    double q = NTVM_FMA(e.rr, e.p, e.r);
    /* (HI + LO)·(1 + q) with one rounding of the leading term */
    double m = NTVM_ISQRT2PI_HI + NTVM_FMA(NTVM_ISQRT2PI_HI, q, NTVM_ISQRT2PI_LO);
    return m * p.a * p.b;
}

NTVM_INLINE float nt_vphi_f32(float x)
{
    double a = fabs((double)x);
    a = ntvm_sel_f64(a > 15.0, 15.0, a); /* phi(14.4) underflows to 0 in float */
    ntvm_er_f64 e = ntvm_expred_short_f64(-0.5 * (a * a)); /* a·a exact */
    double s = ntvm_pow2_f64(e.s);
    double q = NTVM_FMA(e.rr, e.p, e.r);
    return (float)(NTVM_FMA(q, s, s) * NTVM_ISQRT2PI_HI);
}

/* Φ(x) for |x| <= 1: ½ + x·(C + z·S(z)), z = x², C = 1/√(2π), with S a minimax
 * polynomial of degree 9 (absolute error 2^-62 relative to Φ). x·C is carried as an
 * exact product hi + lo and ½ + hi as an exact sum, so the result rounds once:
 * ½ - |x|·… loses at most the factor Φ(-1)/½ to cancellation. */
NTVM_INLINE double ntvm_Phi_mid_f64(double x)
{
    double z = x * x;
    double p = 0x1.1b45569bf5775p-38;
    p = NTVM_FMA(p, z, -0x1.e57fb2331c89fp-34);
    p = NTVM_FMA(p, z, 0x1.37f743d69eff2p-29);
    p = NTVM_FMA(p, z, -0x1.621b3cf69e4e2p-25);
    p = NTVM_FMA(p, z, 0x1.6589defe095e9p-21);
    p = NTVM_FMA(p, z, -0x1.3ce8f92f4da83p-17);
    p = NTVM_FMA(p, z, 0x1.e42b0d4604151p-14);
    p = NTVM_FMA(p, z, -0x1.37403f6b8561p-10);
    p = NTVM_FMA(p, z, 0x1.46d0429768db2p-7);
    p = NTVM_FMA(p, z, -0x1.1058377e2ceddp-4);
    double th = NTVM_FMA(x, NTVM_ISQRT2PI_HI, 0.0); /* x·HI rounded; an fma so that
                                                      -ffp-contract cannot fuse it below */
    double tl = NTVM_FMA(x, NTVM_ISQRT2PI_HI, -th) + NTVM_FMA(x * z, p, x * NTVM_ISQRT2PI_LO);
    double s = 0.5 + th;
    double e = (0.5 - s) + th; /* exact: |th| < 1/2 */
    return s + (e + tl);
}

/* Φ(x) for |x| > 1. For x < 0, Φ(x) = exp(-x²/2)·G(|x|), G(a) = Φ(-a)·exp(a²/2) =
 * C/(a + h(a)) with h(a) = 1/R(a) - a (R the Mills ratio; h falls from √(2/π) at 0
 * to ~1/a). h = Ph/Qh is a minimax rational of degree (9,10) on [0, 38.7], fitted
 * for the relative error of G (2^-57.8); all coefficients are positive. So
 * Φ(-a) = exp(-a²/2 + ln C)·Qh/(a·Qh + Ph): the rounding errors of the Horner sums
 * cancel between numerator and denominator (a direct rational for G in powers of a
 * accumulates ~n ulps at large a, where all Horner terms have the same size), and
 * ln C is folded exactly into the reduced argument. x² = h + l exactly. For x > 1,
 * Φ(x) = 1 - Φ(-x). */
NTVM_INLINE double ntvm_Phi_tail_f64(double x)
{
    double a = fabs(x);
    a = ntvm_sel_f64(a > 38.7, 38.7, a); /* Φ(-38.6) underflows to 0 */
    double h = a * a, l = ntvm_sqrlo_f64(a, h);
    ntvm_er_f64 e = ntvm_expredc_f64(-0.5 * h, -0.5 * l, NTVM_LNISQRT2PI_HI, NTVM_LNISQRT2PI_LO);
    ntvm_pair_f64 p = ntvm_pow2split_f64(e.s);
    double q = NTVM_FMA(e.rr, e.p, e.r);
    double qh = 0x1.34b6b0ccbc0b6p-21;
    qh = NTVM_FMA(qh, a, 0x1.214dc15fee775p-16);
    qh = NTVM_FMA(qh, a, 0x1.0bbf4fdf5e12dp-12);
    qh = NTVM_FMA(qh, a, 0x1.3da79eb0e2878p-9);
    qh = NTVM_FMA(qh, a, 0x1.095676e6f20b3p-6);
    qh = NTVM_FMA(qh, a, 0x1.44a30a7c1de96p-4);
    qh = NTVM_FMA(qh, a, 0x1.261174e3c6ac7p-2);
    qh = NTVM_FMA(qh, a, 0x1.85d1a48c5eb0ap-1);
    qh = NTVM_FMA(qh, a, 0x1.6b4fd08c1ffc7p+0);
    qh = NTVM_FMA(qh, a, 0x1.b1a40dca355dap+0);
    qh = NTVM_FMA(qh, a, 1.0);
    double ph = 0x1.34b6b0cc50c1p-21;
    ph = NTVM_FMA(ph, a, 0x1.214dc1626af5dp-16);
    ph = NTVM_FMA(ph, a, 0x1.0a8a9921404d2p-12);
    ph = NTVM_FMA(ph, a, 0x1.39226801744e9p-9);
    ph = NTVM_FMA(ph, a, 0x1.01109932eeccbp-6);
    ph = NTVM_FMA(ph, a, 0x1.317d6aa934b18p-4);
    ph = NTVM_FMA(ph, a, 0x1.0778ae47c0a88p-2);
    ph = NTVM_FMA(ph, a, 0x1.406b916d6fc22p-1);
    ph = NTVM_FMA(ph, a, 0x1.f9f0a26df4923p-1);
    /* + h(0) = 2C, carried as hi + lo so that G(0) = C/2C = 1/2 exactly */
    ph = NTVM_FMA(ph, a, 2.0 * NTVM_ISQRT2PI_LO) + 2.0 * NTVM_ISQRT2PI_HI;
    double d = NTVM_FMA(a, qh, ph);
    double t = NTVM_FMA(q, qh, qh) / d * p.a * p.b; /* Φ(-|x|) */
    return ntvm_sel_f64(x < 0.0, t, 1.0 - t);
}

NTVM_INLINE double nt_vPhi_f64(double x)
{
    return ntvm_sel_f64(fabs(x) <= 1.0, ntvm_Phi_mid_f64(x), ntvm_Phi_tail_f64(x));
}

NTVM_INLINE float nt_vPhi_f32(float x)
{
    double xd = (double)x;
    double a = fabs(xd);
    a = ntvm_sel_f64(a > 14.5, 14.5, a); /* Φ(-14.4) underflows to 0 in float */
    ntvm_er_f64 e = ntvm_expred_short_f64(-0.5 * (a * a));
    double s = ntvm_pow2_f64(e.s);
    double q = NTVM_FMA(e.rr, e.p, e.r);
    /* G(a) on [0, 14.5], rational (5,6), relative 2^-33.5 */
    double n = 0x1.d1153b6560dd5p-11;
    n = NTVM_FMA(n, a, 0x1.7cc1169812bfcp-7);
    n = NTVM_FMA(n, a, 0x1.23a6e976b5763p-4);
    n = NTVM_FMA(n, a, 0x1.00553569f16p-2);
    n = NTVM_FMA(n, a, 0x1.03b7770ff5135p-1);
    n = NTVM_FMA(n, a, 0x1.ffffffff4b622p-2);
    double d = 0x1.2372a84545467p-9;
    d = NTVM_FMA(d, a, 0x1.dd339b42eeda4p-6);
    d = NTVM_FMA(d, a, 0x1.7218d5304ecdap-3);
    d = NTVM_FMA(d, a, 0x1.50207c0afc41p-1);
    d = NTVM_FMA(d, a, 0x1.725d7278d3711p+0);
    d = NTVM_FMA(d, a, 0x1.cff9a08cbec33p+0);
    d = NTVM_FMA(d, a, 1.0);
    double g = n / d;
    double t = NTVM_FMA(g, q, g) * s;
    return (float)ntvm_sel_f64(xd < 0.0, t, 1.0 - t);
}

/* ---- sin, cos -------------------------------------------------------------------- */

/* With x = k·π/2 + r + rl, |r| <= π/4, sin x is ±sin or ±cos of r + rl by the
 * quadrant q = k mod 4. Both kernels share one Horner pass in z = r² whose
 * coefficients are blended per lane (minimax, relative error 2^-68.7 and 2^-64.5):
 *   sin(r + rl) = r + ((r·z)·S(z) + rl·(1 - z/2)),   cos(r + rl) = 1 + z·C(z)
 * (rl matters for sin, where r just above a power of two would otherwise cost up to
 * one ulp of a result just below it; for cos its effect is under 0.2 ulp).
 * qb holds q in its low two bits (the low bits of SHIFT + k). */
NTVM_INLINE double ntvm_sincos_f64(double r, double rl, uint64_t qb)
{
    uint64_t mc = (uint64_t)0 - (qb & 1); /* odd quadrant: cosine kernel */
    double z = r * r;
    double p = ntvm_selm_f64(mc, -0x1.8f728d2a61df7p-37, -0x1.aa9fc2a969d31p-41);
    p = NTVM_FMA(p, z, ntvm_selm_f64(mc, 0x1.1ee9675385d64p-29, 0x1.61208745a4196p-33));
    p = NTVM_FMA(p, z, ntvm_selm_f64(mc, -0x1.27e4f722ed7bep-22, -0x1.ae645285be017p-26));
    p = NTVM_FMA(p, z, ntvm_selm_f64(mc, 0x1.a01a019b2075fp-16, 0x1.71de3a532aae1p-19));
    p = NTVM_FMA(p, z, ntvm_selm_f64(mc, -0x1.6c16c16c13b05p-10, -0x1.a01a01a018a25p-13));
    p = NTVM_FMA(p, z, ntvm_selm_f64(mc, 0x1.5555555555539p-5, 0x1.111111111110bp-7));
    p = NTVM_FMA(p, z, ntvm_selm_f64(mc, -0x1p-1, -0x1.5555555555555p-3));
    double c = ntvm_selm_f64(mc, 1.0, rl * NTVM_FMA(-0.5, z, 1.0));
    double y = NTVM_FMA(ntvm_selm_f64(mc, z, r * z), p, c) + ntvm_selm_f64(mc, 0.0, r);
    y = copysign(y, ntvm_selm_f64(mc, 1.0, r)); /* sin(±0) = ±0 */
    return ntvm_u2d(ntvm_d2u(y) ^ ((qb & 2) << 62));
}
/* The same with short kernels (relative 2^-37.5 and 2^-33.9) for the f32 functions. */
NTVM_INLINE double ntvm_sincos_short_f64(double r, uint64_t qb)
{
    uint64_t mc = (uint64_t)0 - (qb & 1);
    double z = r * r;
    double p = ntvm_selm_f64(mc, 0x1.9911ffe63e608p-16, 0x1.6ccea8d1594a6p-19);
    p = NTVM_FMA(p, z, ntvm_selm_f64(mc, -0x1.6c07ddc08c2dcp-10, -0x1.a00f7168c0fa5p-13));
    p = NTVM_FMA(p, z, ntvm_selm_f64(mc, 0x1.55553c46d04d5p-5, 0x1.1111085958c41p-7));
    p = NTVM_FMA(p, z, ntvm_selm_f64(mc, -0x1.ffffffcaf5d79p-2, -0x1.5555554c5a685p-3));
    double y = NTVM_FMA(ntvm_selm_f64(mc, z, r * z), p, ntvm_selm_f64(mc, 1.0, r));
    y = copysign(y, ntvm_selm_f64(mc, 1.0, r));
    return ntvm_u2d(ntvm_d2u(y) ^ ((qb & 2) << 62));
}

/* x - k·π/2 = r + rl (r rounded to nearest, rl its rounding error). k·PIO2_1 and
 * k·PIO2_2 are exact for |k| < 2^21 and x - k·PIO2_1 is exact (Sterbenz); the
 * subtraction of k·PIO2_2 is an exact two-sum whose error joins k·PIO2_3 before
 * the single rounding of r. The clamp only matters for |x| > ~2^52, where
 * k·PIO2_1 is no longer exact; it keeps the result bounded (NaN passes). */
typedef struct { double r, rl; } ntvm_rr_f64;
NTVM_INLINE ntvm_rr_f64 ntvm_trigred_f64(double x, double k)
{
    double t1 = x - k * NTVM_PIO2_1;
    double w = k * NTVM_PIO2_2;
    double t2 = t1 - w; /* two-sum: t1 - w = t2 + e2 exactly */
    double wv = t1 - t2, tv = t2 + wv;
    double e2 = (t1 - tv) - (w - wv);
    double c = e2 - k * NTVM_PIO2_3;
    double r = t2 + c;
    double rl = (t2 - r) + c;
    int big = fabs(r) > 0.7864;
    ntvm_rr_f64 o = {ntvm_sel_f64(big, copysign(0.7864, r), r), ntvm_sel_f64(big, 0.0, rl)};
    return o;
}

/* sin x and cos x = sin(x + π/2): k = round(x·2/π), quadrant k (sin) or k + 1 (cos). */
NTVM_INLINE double nt_vsin_f64(double x)
{
    double s = x * NTVM_2_PI + NTVM_SHIFT_D;
    ntvm_rr_f64 t = ntvm_trigred_f64(x, s - NTVM_SHIFT_D);
    return ntvm_sincos_f64(t.r, t.rl, ntvm_d2u(s));
}

NTVM_INLINE double nt_vcos_f64(double x)
{
    double s = x * NTVM_2_PI + NTVM_SHIFT_D;
    ntvm_rr_f64 t = ntvm_trigred_f64(x, s - NTVM_SHIFT_D);
    return ntvm_sincos_f64(t.r, t.rl, ntvm_d2u(s) + 1);
}

NTVM_INLINE float nt_vsin_f32(float x)
{
    double xd = (double)x;
    double s = xd * NTVM_2_PI + NTVM_SHIFT_D;
    double r = ntvm_trigred_f64(xd, s - NTVM_SHIFT_D).r;
    return (float)ntvm_sincos_short_f64(r, ntvm_d2u(s));
}

NTVM_INLINE float nt_vcos_f32(float x)
{
    double xd = (double)x;
    double s = xd * NTVM_2_PI + NTVM_SHIFT_D;
    double r = ntvm_trigred_f64(xd, s - NTVM_SHIFT_D).r;
    return (float)ntvm_sincos_short_f64(r, ntvm_d2u(s) + 1);
}

/* ---- type-generic front ends (float -> _f32, anything else -> _f64) ---------------- */

#define nt_vexp(x) _Generic((x), float: nt_vexp_f32, default: nt_vexp_f64)(x)
#define nt_vexpm1(x) _Generic((x), float: nt_vexpm1_f32, default: nt_vexpm1_f64)(x)
#define nt_vtanh(x) _Generic((x), float: nt_vtanh_f32, default: nt_vtanh_f64)(x)
#define nt_vsigmoid(x) _Generic((x), float: nt_vsigmoid_f32, default: nt_vsigmoid_f64)(x)
#define nt_vphi(x) _Generic((x), float: nt_vphi_f32, default: nt_vphi_f64)(x)
#define nt_vPhi(x) _Generic((x), float: nt_vPhi_f32, default: nt_vPhi_f64)(x)
#define nt_vsin(x) _Generic((x), float: nt_vsin_f32, default: nt_vsin_f64)(x)
#define nt_vcos(x) _Generic((x), float: nt_vcos_f32, default: nt_vcos_f64)(x)

#endif

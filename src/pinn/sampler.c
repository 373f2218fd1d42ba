/* sampler.c — uniform, Latin hypercube and Sobol' point sets in a box. */
#include "pinn/sampler.h"

#include "core/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const g_names[] = {"uniform", "lhs", "sobol"};

nt_status nt_sampler_parse(const char *s, nt_sampler_kind *out)
{
    NT_ASSERT(out, "NULL out");
    for (int k = 0; k < 3; k++) {
        if (s && strcmp(s, g_names[k]) == 0) {
            *out = (nt_sampler_kind)k;
            return NT_OK;
        }
    }
    return nt_set_error(NT_ERR_ARG, "unknown sampler '%s' (expected one of: uniform, lhs, sobol)",
                        s ? s : "(null)");
}

const char *nt_sampler_name(nt_sampler_kind k)
{
    return ((unsigned)k < 3u) ? g_names[k] : "?";
}

/* ---------------------------------------------------------------------------- */
/* Sobol'. Joe & Kuo's direction numbers (file new-joe-kuo-6.21201, dimensions
 * 2..8; dimension 1 is the van der Corput sequence, m_k = 1): degree s of the
 * primitive polynomial, its inner coefficients a (bit s-2 .. bit 0 = a_1 .. a_{s-1})
 * and the initial m_1 .. m_s. */

#define SOBOL_BITS 52

typedef struct sobol_poly {
    int s;
    unsigned a;
    unsigned m[5];
} sobol_poly;

static const sobol_poly g_joe_kuo[NT_SAMPLER_MAX_DIM - 1] = {
    {1, 0, {1}},                /* d = 2 */
    {2, 1, {1, 3}},             /* d = 3 */
    {3, 1, {1, 3, 1}},          /* d = 4 */
    {3, 2, {1, 1, 1}},          /* d = 5 */
    {4, 1, {1, 1, 3, 3}},       /* d = 6 */
    {4, 4, {1, 3, 5, 13}},      /* d = 7 */
    {5, 2, {1, 1, 5, 5, 17}},   /* d = 8 */
};

/* V[k] = m_{k+1} · 2^(SOBOL_BITS - k - 1), k = 0 .. SOBOL_BITS-1, where
 * m_i = 2^s m_{i-s} ^ m_{i-s} ^ sum_{j=1}^{s-1} 2^j a_j m_{i-j} for i > s. */
static void sobol_directions(int d, uint64_t V[SOBOL_BITS])
{
    uint64_t m[SOBOL_BITS];
    if (d == 0) {
        for (int i = 0; i < SOBOL_BITS; i++) m[i] = 1;
    } else {
        const sobol_poly *p = &g_joe_kuo[d - 1];
        int s = p->s;
        for (int i = 0; i < s; i++) m[i] = p->m[i];
        for (int i = s; i < SOBOL_BITS; i++) {
            uint64_t v = m[i - s] ^ (m[i - s] << s);
            for (int j = 1; j < s; j++)
                if ((p->a >> (s - 1 - j)) & 1u) v ^= m[i - j] << j;
            m[i] = v;
        }
    }
    for (int k = 0; k < SOBOL_BITS; k++) V[k] = m[k] << (SOBOL_BITS - 1 - k);
}

static int ctz64(uint64_t v)
{
    int c = 0;
    while (!(v & 1u)) {
        v >>= 1;
        c++;
    }
    return c;
}

static nt_status check_box(const char *who, int dim, const double *lo, const double *hi, int64_t n)
{
    if (dim < 1 || dim > NT_SAMPLER_MAX_DIM)
        return nt_set_error(NT_ERR_ARG, "%s: dimension %d out of range 1..%d", who, dim,
                            NT_SAMPLER_MAX_DIM);
    if (n < 0) return nt_set_error(NT_ERR_ARG, "%s: negative point count %lld", who, (long long)n);
    NT_ASSERT(lo && hi, "NULL bounds");
    for (int d = 0; d < dim; d++) {
        if (!isfinite(lo[d]) || !isfinite(hi[d]) || !(lo[d] <= hi[d]))
            return nt_set_error(NT_ERR_ARG, "%s: bad bounds [%g, %g] in dimension %d", who, lo[d],
                                hi[d], d);
    }
    return NT_OK;
}

nt_status nt_sample_sobol(int dim, const double *lo, const double *hi, int64_t n, nt_rng *rng,
                          double *out)
{
    nt_status st = check_box("sobol sampler", dim, lo, hi, n);
    if (st) return st;
    if ((uint64_t)n > (UINT64_C(1) << SOBOL_BITS))
        return nt_set_error(NT_ERR_ARG, "sobol sampler: at most 2^%d points (asked %lld)",
                            SOBOL_BITS, (long long)n);
    NT_ASSERT(n == 0 || out, "NULL out");
    uint64_t V[NT_SAMPLER_MAX_DIM][SOBOL_BITS], X[NT_SAMPLER_MAX_DIM];
    for (int d = 0; d < dim; d++) {
        sobol_directions(d, V[d]);
        /* random digital shift: XOR every point with the same 52-bit integer */
        X[d] = rng ? nt_rng_u64(rng) >> (64 - SOBOL_BITS) : 0;
    }
    const double scale = 0x1.0p-52;
    for (int64_t i = 0; i < n; i++) {
        if (i > 0) {
            int c = ctz64((uint64_t)i); /* Gray code: bit c flips from i-1 to i */
            for (int d = 0; d < dim; d++) X[d] ^= V[d][c];
        }
        for (int d = 0; d < dim; d++)
            out[i * dim + d] = lo[d] + (hi[d] - lo[d]) * ((double)X[d] * scale);
    }
    return NT_OK;
}

/* ---------------------------------------------------------------------------- */

/* Uniform integer in [0, k), k >= 1, without modulo bias. */
static uint64_t rng_below(nt_rng *r, uint64_t k)
{
    uint64_t lim = -k % k; /* 2^64 mod k: reject the first lim values */
    for (;;) {
        uint64_t v = nt_rng_u64(r);
        if (v >= lim) return v % k;
    }
}

static nt_status sample_lhs(int dim, const double *lo, const double *hi, int64_t n, nt_rng *rng,
                            double *out)
{
    if (n == 0) return NT_OK;
    int64_t *perm = malloc((size_t)n * sizeof *perm);
    if (!perm)
        return nt_set_error(NT_ERR_NOMEM, "lhs sampler: out of memory for %lld points",
                            (long long)n);
    for (int d = 0; d < dim; d++) {
        for (int64_t i = 0; i < n; i++) perm[i] = i;
        for (int64_t i = n - 1; i > 0; i--) { /* Fisher–Yates */
            int64_t j = (int64_t)rng_below(rng, (uint64_t)i + 1);
            int64_t tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        double w = hi[d] - lo[d];
        for (int64_t i = 0; i < n; i++) {
            double p = (double)perm[i];
            double v = p + nt_rng_uniform(rng);
            if (v >= p + 1.0) v = nextafter(p + 1.0, 0.0); /* rounding up: stay in stratum */
            out[i * dim + d] = lo[d] + w * (v / (double)n);
        }
    }
    free(perm);
    return NT_OK;
}

nt_status nt_sample_box(nt_sampler_kind k, int dim, const double *lo, const double *hi, int64_t n,
                        nt_rng *rng, double *out)
{
    NT_ASSERT(rng, "NULL rng");
    NT_ASSERT(n <= 0 || out, "NULL out");
    switch (k) {
    case NT_SAMPLER_UNIFORM: {
        nt_status st = check_box("uniform sampler", dim, lo, hi, n);
        if (st) return st;
        for (int64_t i = 0; i < n; i++)
            for (int d = 0; d < dim; d++)
                out[i * dim + d] = lo[d] + (hi[d] - lo[d]) * nt_rng_uniform(rng);
        return NT_OK;
    }
    case NT_SAMPLER_LHS: {
        nt_status st = check_box("lhs sampler", dim, lo, hi, n);
        if (st) return st;
        return sample_lhs(dim, lo, hi, n, rng, out);
    }
    case NT_SAMPLER_SOBOL:
        return nt_sample_sobol(dim, lo, hi, n, rng, out);
    }
    return nt_set_error(NT_ERR_ARG, "invalid sampler kind %d", (int)k);
}

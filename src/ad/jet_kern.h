/* jet_kern.h — the per-term loops of the jet activation (Faà di Bruno), included
 * by jet.c once per element type with NT_T and NT_SUF(name) defined. Each term
 * is c·σ⁽ᵐ⁾(z₀)·Π_{q<m} z_{b_q}; the loops are instantiated for every block count
 * m = 0..NT_JET_MAX_ORDER so that the product loop unrolls and the tile loop
 * vectorizes. */

/* acc[j] += c·dm[j]·Π_q Zb[q][j] */
static inline __attribute__((always_inline)) void NT_SUF(term_fwd)(const int nb, NT_T c,
    const NT_T *dm, const NT_T *const *Zb, NT_T *restrict acc, int L)
{
_Pragma("omp simd")
    for (int j = 0; j < L; j++) {
        NT_T p = c * dm[j];
        for (int q = 0; q < nb; q++) p *= Zb[q][j];
        acc[j] += p;
    }
}

/* With the upstream gradient g of the term's stream:
 *   a0[j]      += c·g·σ⁽ᵐ⁺¹⁾·Π_q z_q           (through z₀)
 *   ab[p][j]   += c·g·σ⁽ᵐ⁾·Π_{q≠p} z_q          (through each block; blocks may repeat)
 * leave-one-out products from a prefix product and a running suffix. */
static inline __attribute__((always_inline)) void NT_SUF(term_bwd)(const int nb, NT_T c,
    const NT_T *g, const NT_T *dm, const NT_T *dm1, const NT_T *const *Zb, NT_T *a0,
    NT_T *const *ab, int L)
{
_Pragma("omp simd")
    for (int j = 0; j < L; j++) {
        NT_T cg = c * g[j];
        NT_T pre[NT_JET_MAX_ORDER + 1];
        pre[0] = 1;
        for (int q = 0; q < nb; q++) pre[q + 1] = pre[q] * Zb[q][j];
        a0[j] += cg * dm1[j] * pre[nb];
        NT_T suf = cg * dm[j];
        for (int p = nb - 1; p >= 0; p--) {
            ab[p][j] += pre[p] * suf;
            suf *= Zb[p][j];
        }
    }
}

#define NT_JET_CASES(CALL) \
    switch (nb) {          \
    case 0: CALL(0); break; \
    case 1: CALL(1); break; \
    case 2: CALL(2); break; \
    case 3: CALL(3); break; \
    case 4: CALL(4); break; \
    case 5: CALL(5); break; \
    default: CALL(6); break; \
    }

static void NT_SUF(term_fwd_any)(int nb, NT_T c, const NT_T *dm, const NT_T *const *Zb,
                                 NT_T *acc, int L)
{
#define NT_CALL(K) NT_SUF(term_fwd)(K, c, dm, Zb, acc, L)
    NT_JET_CASES(NT_CALL)
#undef NT_CALL
}

static void NT_SUF(term_bwd_any)(int nb, NT_T c, const NT_T *g, const NT_T *dm, const NT_T *dm1,
                                 const NT_T *const *Zb, NT_T *a0, NT_T *const *ab, int L)
{
#define NT_CALL(K) NT_SUF(term_bwd)(K, c, g, dm, dm1, Zb, a0, ab, L)
    NT_JET_CASES(NT_CALL)
#undef NT_CALL
}
#undef NT_JET_CASES

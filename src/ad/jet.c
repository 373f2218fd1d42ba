/* jet.c — exact input derivatives by forward Taylor mode, recorded on the tape.
 *
 * A jet spec is a downward-closed set of multi-indices α (derivative streams). A
 * stacked jet tensor holds, for every stream s, the block ∂^{α_s} f of its columns
 * at n points: rows [s·n, (s+1)·n). Linear layers act on all blocks at once (one
 * GEMM; the bias only on block 0). An activation maps blocks by Faà di Bruno:
 *
 *   ∂^α σ(z) = Σ over set partitions π of the derivative letters of α
 *              σ^{(|π|)}(z) · Π_{B∈π} ∂^{α_B} z,
 *
 * precomputed per stream as integer-weighted terms. Products follow Leibniz.
 * The backward passes of both are written out by hand, so one reverse pass over
 * the tape gives parameter gradients of losses built from any stream. */
#include "ad/ad_internal.h"
#include "ad/act.h"

#define NT_T float
#define NT_SUF(name) name##_f32
#include "ad/jet_kern.h"
#undef NT_T
#undef NT_SUF
#define NT_T double
#define NT_SUF(name) name##_f64
#include "ad/jet_kern.h"
#undef NT_T
#undef NT_SUF

#define term_fwd_any(nb, c, dm, Zb, acc, L) \
    _Generic((c), float: term_fwd_any_f32, default: term_fwd_any_f64)(nb, c, dm, Zb, acc, L)
#define term_bwd_any(nb, c, g, dm, dm1, Zb, a0, ab, L) \
    _Generic((c), float: term_bwd_any_f32, default: term_bwd_any_f64)(nb, c, g, dm, dm1, Zb, a0, ab, L)

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------- */
/* Spec                                                                           */

void nt_jet_spec_init(nt_jet_spec *s, int ndim)
{
    NT_ASSERT(ndim >= 1 && ndim <= NT_JET_MAX_DIM, "jet input dimension out of range");
    memset(s, 0, sizeof *s);
    s->ndim = ndim;
    s->n_streams = 1; /* the value stream, α = 0 */
}

void nt_jet_spec_free(nt_jet_spec *s)
{
    free(s->terms);
    free(s->pairs);
    s->terms = NULL;
    s->pairs = NULL;
}

int nt_jet_spec_find(const nt_jet_spec *s, const int *counts)
{
    for (int i = 0; i < s->n_streams; i++) {
        int eq = 1;
        for (int d = 0; d < s->ndim; d++) eq &= s->alpha[i][d] == counts[d];
        if (eq) return i;
    }
    return -1;
}

int nt_jet_spec_add(nt_jet_spec *s, const int *counts)
{
    int order = 0;
    for (int d = 0; d < s->ndim; d++) {
        if (counts[d] < 0) {
            nt_set_error(NT_ERR_ARG, "negative derivative count");
            return -1;
        }
        order += counts[d];
    }
    if (order > NT_JET_MAX_ORDER) {
        nt_set_error(NT_ERR_ARG, "derivative of order %d exceeds the maximum %d", order,
                     NT_JET_MAX_ORDER);
        return -1;
    }
    int found = nt_jet_spec_find(s, counts);
    if (found >= 0) return found;
    /* Close downward first so that lower streams precede higher ones. */
    int sub[NT_JET_MAX_DIM];
    for (int d = 0; d < s->ndim; d++) {
        if (counts[d] == 0) continue;
        memcpy(sub, counts, sizeof(int) * (size_t)s->ndim);
        sub[d]--;
        if (nt_jet_spec_add(s, sub) < 0) return -1;
    }
    if (s->n_streams >= NT_JET_MAX_STREAMS) {
        nt_set_error(NT_ERR_ARG, "too many derivative streams (maximum %d)", NT_JET_MAX_STREAMS);
        return -1;
    }
    int i = s->n_streams++;
    for (int d = 0; d < s->ndim; d++) s->alpha[i][d] = (uint8_t)counts[d];
    s->order[i] = order;
    if (order > s->max_order) s->max_order = order;
    return i;
}

int nt_jet_spec_add_named(nt_jet_spec *s, const char *vars, const char *deriv)
{
    int counts[NT_JET_MAX_DIM] = {0};
    NT_ASSERT((int)strlen(vars) == s->ndim, "one variable letter per input dimension");
    for (const char *c = deriv; *c; c++) {
        const char *p = strchr(vars, *c);
        if (!p) {
            nt_set_error(NT_ERR_ARG, "'%c' is not an input variable (have \"%s\")", *c, vars);
            return -1;
        }
        counts[p - vars]++;
    }
    return nt_jet_spec_add(s, counts);
}

nt_status nt_jet_spec_build(nt_jet_spec *s)
{
    free(s->terms);
    free(s->pairs);
    /* Bell(6) = 203 partitions per stream bounds the terms. */
    s->terms = calloc((size_t)s->n_streams * 203, sizeof *s->terms);
    s->pairs = calloc((size_t)s->n_streams * 64, sizeof *s->pairs);
    if (!s->terms || !s->pairs) return nt_set_error(NT_ERR_NOMEM, "out of memory for jet spec");
    int nt = 0, np = 0;
    for (int st = 0; st < s->n_streams; st++) {
        s->term_off[st] = nt;
        int k = s->order[st];
        int letters[NT_JET_MAX_ORDER], nl = 0;
        for (int d = 0; d < s->ndim; d++)
            for (int r = 0; r < s->alpha[st][d]; r++) letters[nl++] = d;
        /* Enumerate set partitions of {0..k-1} as restricted growth strings. */
        int rg[NT_JET_MAX_ORDER] = {0}, mx[NT_JET_MAX_ORDER + 1] = {0};
        for (;;) {
            int nb = 0;
            for (int i = 0; i < k; i++) nb = NT_MAX(nb, rg[i] + 1);
            int16_t blocks[NT_JET_MAX_ORDER];
            for (int bI = 0; bI < nb; bI++) {
                int cnt[NT_JET_MAX_DIM] = {0};
                for (int i = 0; i < k; i++)
                    if (rg[i] == bI) cnt[letters[i]]++;
                int id = nt_jet_spec_find(s, cnt);
                NT_ASSERT(id > 0, "jet spec not closed downward");
                blocks[bI] = (int16_t)id;
            }
            /* canonical order: insertion sort */
            for (int i = 1; i < nb; i++)
                for (int j = i; j > 0 && blocks[j - 1] > blocks[j]; j--) {
                    int16_t tmp = blocks[j];
                    blocks[j] = blocks[j - 1];
                    blocks[j - 1] = tmp;
                }
            int hit = -1;
            for (int q = s->term_off[st]; q < nt && hit < 0; q++)
                if (s->terms[q].m == nb && !memcmp(s->terms[q].blocks, blocks, sizeof(int16_t) * (size_t)nb))
                    hit = q;
            if (hit >= 0) {
                s->terms[hit].coef++;
            } else {
                nt_jet_term *tm = &s->terms[nt++];
                tm->coef = 1;
                tm->m = (int16_t)nb;
                memcpy(tm->blocks, blocks, sizeof(int16_t) * (size_t)nb);
            }
            /* next restricted growth string */
            if (k == 0) break;
            int i = k - 1;
            mx[0] = 0;
            for (int j = 1; j < k; j++) mx[j] = NT_MAX(mx[j - 1], rg[j - 1]);
            while (i > 0 && rg[i] > mx[i]) i--;
            if (i == 0) break;
            rg[i]++;
            for (int j = i + 1; j < k; j++) rg[j] = 0;
        }
        /* Leibniz pairs: β ≤ α, coefficient Π_d C(α_d, β_d). */
        s->pair_off[st] = np;
        for (int other = 0; other < s->n_streams; other++) {
            int beta[NT_JET_MAX_DIM], rest[NT_JET_MAX_DIM], ok = 1, coef = 1;
            for (int d = 0; d < s->ndim; d++) {
                beta[d] = s->alpha[other][d];
                rest[d] = s->alpha[st][d] - beta[d];
                if (rest[d] < 0) ok = 0;
            }
            if (!ok) continue;
            for (int d = 0; d < s->ndim; d++) {
                int n = s->alpha[st][d], r = beta[d], c = 1;
                for (int q = 1; q <= r; q++) c = c * (n - r + q) / q;
                coef *= c;
            }
            int j = nt_jet_spec_find(s, rest);
            NT_ASSERT(j >= 0, "jet spec not closed downward");
            s->pairs[np][0] = coef;
            s->pairs[np][1] = other;
            s->pairs[np][2] = j;
            np++;
        }
    }
    s->term_off[s->n_streams] = nt;
    s->pair_off[s->n_streams] = np;
    s->n_terms = nt;
    s->n_pairs = np;
    return NT_OK;
}

/* ---------------------------------------------------------------------------- */
/* Input jet and stream access                                                    */

nt_tensor *nt_jet_input(nt_tape *t, const nt_jet_spec *s, nt_tensor *x)
{
    int64_t n = nt_tensor_rows(x), d = nt_tensor_cols(x);
    NT_ASSERT(d == s->ndim, "input columns must match the jet spec dimension");
    nt_tensor *j = nt_tensor_zeros2(t, x->dtype, (int64_t)s->n_streams * n, d);
    if (!j) return NULL;
    memcpy(j->data, x->data, (size_t)x->size * nt_dtype_size(x->dtype));
    for (int st = 1; st < s->n_streams; st++) {
        if (s->order[st] != 1) continue;
        int dim = 0;
        while (!s->alpha[st][dim]) dim++;
        NT_DISPATCH(x->dtype, T, {
            T *J = (T *)j->data + (size_t)st * (size_t)n * (size_t)d;
            for (int64_t r = 0; r < n; r++) J[r * d + dim] = 1;
        });
    }
    return j;
}

nt_tensor *nt_jet_get(nt_tape *t, const nt_jet_spec *s, nt_tensor *jet, int stream, int col)
{
    NT_ASSERT(stream >= 0 && stream < s->n_streams, "stream out of range");
    int64_t n = nt_tensor_rows(jet) / s->n_streams;
    NT_ASSERT(n * s->n_streams == nt_tensor_rows(jet), "not a stacked jet of this spec");
    return nt_slice2(t, jet, stream * n, (stream + 1) * n, col, col + 1);
}

/* ---------------------------------------------------------------------------- */
/* Activation of a jet                                                            */

nt_tensor *nt_jet_act(nt_tape *t, const nt_jet_spec *s, nt_tensor *z, nt_act act)
{
    NT_ASSERT(s->terms != NULL, "call nt_jet_spec_build before using a jet spec");
    int S = s->n_streams;
    int64_t rows = nt_tensor_rows(z), cols = nt_tensor_cols(z);
    NT_ASSERT(rows % S == 0, "not a stacked jet of this spec");
    NT_ASSERT(s->max_order < NT_ACT_MAX_ORDER, "jet order too high for activations");
    nt_tensor *y = nt_node_new(t, z->dtype, rows, cols, NT_OP_JET_ACT, z, NULL, NULL);
    if (!y) return NULL;
    y->iparam[0] = act;
    y->aux = s;
    int64_t E = rows / S * cols; /* elements per block */
    int K = s->max_order;
    NT_DISPATCH(z->dtype, T, {
        const T *Z = z->data;
        T *Y = y->data;
        int64_t ntiles = (E + NT_ACT_TILE - 1) / NT_ACT_TILE;
_Pragma("omp parallel for schedule(static) if (E * S >= NT_PAR_MIN)")
        for (int64_t ti = 0; ti < ntiles; ti++) {
            T d[(NT_ACT_MAX_ORDER + 1) * NT_ACT_TILE];
            int64_t i0 = ti * NT_ACT_TILE;
            int L = (int)NT_MIN((int64_t)NT_ACT_TILE, E - i0);
            nt_act_derivs(act, 0, K, Z + i0, L, d);
            for (int st = 0; st < S; st++) {
                T *acc = Y + (size_t)st * E + i0;
                if (st == 0) {
                    memcpy(acc, d, (size_t)L * sizeof(T));
                    continue;
                }
                for (int j = 0; j < L; j++) acc[j] = 0;
                for (int q = s->term_off[st]; q < s->term_off[st + 1]; q++) {
                    const nt_jet_term *tm = &s->terms[q];
                    const T *Zb[NT_JET_MAX_ORDER];
                    for (int b = 0; b < tm->m; b++) Zb[b] = Z + (size_t)tm->blocks[b] * E + i0;
                    const T *dm = d + (size_t)tm->m * L;
                    T c = (T)tm->coef;
                    term_fwd_any(tm->m, c, dm, Zb, acc, L);
                }
            }
        }
    });
    return y;
}

/* Backward of nt_jet_act. Tile by tile, the gradients of all S input blocks are
 * accumulated in place (the S tile slices stay in L1); a fresh gradient buffer
 * is zeroed tile by tile instead of by a separate pass. */
void nt_jet_act_backward(nt_tape *t, nt_tensor *y)
{
    nt_tensor *z = y->src[0];
    int acc;
    void *gzv = nt_grad_full(t, z, &acc);
    if (!gzv) return;
    const nt_jet_spec *s = y->aux;
    nt_act act = (nt_act)y->iparam[0];
    int S = s->n_streams;
    int64_t rows = nt_tensor_rows(z), cols = nt_tensor_cols(z);
    int64_t E = rows / S * cols;
    int K = s->max_order + 1;
    NT_DISPATCH(z->dtype, T, {
        const T *Z = z->data, *G = y->grad;
        T *GZ = gzv;
        int64_t ntiles = (E + NT_ACT_TILE - 1) / NT_ACT_TILE;
        _Pragma("omp parallel for schedule(static) if (E * S >= NT_PAR_MIN)")
        for (int64_t ti = 0; ti < ntiles; ti++) {
            T d[(NT_ACT_MAX_ORDER + 1) * NT_ACT_TILE];
            int64_t i0 = ti * NT_ACT_TILE;
            int L = (int)NT_MIN((int64_t)NT_ACT_TILE, E - i0);
            nt_act_derivs(act, 1, K, Z + i0, L, d);
            T *gt = GZ + i0; /* block b of this tile starts at gt + b·E */
            if (!acc)
                for (int st = 0; st < S; st++) memset(gt + (size_t)st * E, 0, (size_t)L * sizeof(T));
            for (int st = 0; st < S; st++) {
                const T *g = G + (size_t)st * E + i0;
                for (int q = s->term_off[st]; q < s->term_off[st + 1]; q++) {
                    const nt_jet_term *tm = &s->terms[q];
                    int nb = tm->m;
                    const T *Zb[NT_JET_MAX_ORDER];
                    T *ab[NT_JET_MAX_ORDER];
                    for (int b = 0; b < nb; b++) {
                        Zb[b] = Z + (size_t)tm->blocks[b] * E + i0;
                        ab[b] = gt + (size_t)tm->blocks[b] * E;
                    }
                    term_bwd_any(nb, (T)tm->coef, g, d + (size_t)nb * L, d + (size_t)(nb + 1) * L,
                                 Zb, gt, ab, L);
                }
            }
        }
    });
}

/* ---------------------------------------------------------------------------- */
/* Product of jets                                                                */

nt_tensor *nt_jet_mul(nt_tape *t, const nt_jet_spec *s, nt_tensor *a, nt_tensor *b)
{
    NT_ASSERT(s->pairs != NULL, "call nt_jet_spec_build before using a jet spec");
    NT_ASSERT(a->dtype == b->dtype && a->size == b->size, "jet product needs equal shapes");
    int S = s->n_streams;
    int64_t rows = nt_tensor_rows(a), cols = nt_tensor_cols(a);
    NT_ASSERT(rows % S == 0, "not a stacked jet of this spec");
    nt_tensor *y = nt_node_new(t, a->dtype, rows, cols, NT_OP_JET_MUL, a, b, NULL);
    if (!y) return NULL;
    y->aux = s;
    int64_t E = rows / S * cols;
    NT_DISPATCH(a->dtype, T, {
        const T *A = a->data, *B = b->data;
        T *Y = y->data;
        for (int st = 0; st < S; st++) {
            T *o = Y + (size_t)st * E;
            memset(o, 0, (size_t)E * sizeof(T));
            for (int q = s->pair_off[st]; q < s->pair_off[st + 1]; q++) {
                T c = (T)s->pairs[q][0];
                const T *ai = A + (size_t)s->pairs[q][1] * E, *bj = B + (size_t)s->pairs[q][2] * E;
_Pragma("omp parallel for simd schedule(static) if (E >= NT_PAR_MIN)")
                for (int64_t i = 0; i < E; i++) o[i] += c * ai[i] * bj[i];
            }
        }
    });
    return y;
}

void nt_jet_mul_backward(nt_tape *t, nt_tensor *y)
{
    nt_tensor *a = y->src[0], *b = y->src[1];
    const nt_jet_spec *s = y->aux;
    void *gav = nt_grad_of(t, a), *gbv = nt_grad_of(t, b);
    int S = s->n_streams;
    int64_t E = nt_tensor_rows(a) / S * nt_tensor_cols(a);
    NT_DISPATCH(a->dtype, T, {
        const T *A = a->data, *B = b->data, *G = y->grad;
        T *GA = gav, *GB = gbv;
        for (int st = 0; st < S; st++) {
            const T *g = G + (size_t)st * E;
            for (int q = s->pair_off[st]; q < s->pair_off[st + 1]; q++) {
                T c = (T)s->pairs[q][0];
                size_t i = (size_t)s->pairs[q][1] * E, j = (size_t)s->pairs[q][2] * E;
                if (GA) {
_Pragma("omp parallel for simd schedule(static) if (E >= NT_PAR_MIN)")
                    for (int64_t e = 0; e < E; e++) GA[i + e] += c * g[e] * B[j + e];
                }
                if (GB) {
_Pragma("omp parallel for simd schedule(static) if (E >= NT_PAR_MIN)")
                    for (int64_t e = 0; e < E; e++) GB[j + e] += c * g[e] * A[i + e];
                }
            }
        }
    });
}

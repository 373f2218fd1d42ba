/* gemm.c — row-streaming matrix products for small weight matrices (see gemm.h). */
#include "core/gemm.h"

#include <omp.h>

#define NT_GEMM_MAX_THREADS 64
#define NT_GEMM_PAD_ELEMS 8192 /* per thread, for a partial column block */

/* Unaligned, aliasing-safe GCC vectors: 8 floats or 4 doubles (one AVX2 register). */
typedef float nt_v8f __attribute__((vector_size(32), aligned(4), may_alias));
typedef double nt_v4d __attribute__((vector_size(32), aligned(8), may_alias));

#define NT_T float
#define NT_V nt_v8f
#define NT_VL 8
#define NT_SUF(name) name##_f32
#include "core/gemm_impl.h"
#undef NT_T
#undef NT_V
#undef NT_VL
#undef NT_SUF

#define NT_T double
#define NT_V nt_v4d
#define NT_VL 4
#define NT_SUF(name) name##_f64
#include "core/gemm_impl.h"
#undef NT_T
#undef NT_V
#undef NT_VL
#undef NT_SUF

void nt_gemm_nn(nt_dtype dt, int64_t M, int64_t N, int64_t K, const void *A, int64_t lda,
                const void *B, int64_t ldb, void *C, int64_t ldc, int accumulate)
{
    if (M <= 0 || N <= 0) return;
    if (dt == NT_F32) gemm_nn_f32(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
    else gemm_nn_f64(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

size_t nt_gemm_tn_scratch(nt_dtype dt, int64_t N, int64_t K)
{
    int nth = omp_get_max_threads();
    if (nth > NT_GEMM_MAX_THREADS) nth = NT_GEMM_MAX_THREADS;
    return (size_t)nth * (size_t)(N * K) * nt_dtype_size(dt);
}

void nt_gemm_tn(nt_dtype dt, int64_t M, int64_t N, int64_t K, const void *G, int64_t ldg,
                const void *A, int64_t lda, void *C, int64_t ldc, int accumulate, void *scratch)
{
    if (N <= 0 || K <= 0) return;
    if (dt == NT_F32) gemm_tn_f32(M, N, K, G, ldg, A, lda, C, ldc, accumulate, scratch);
    else gemm_tn_f64(M, N, K, G, ldg, A, lda, C, ldc, accumulate, scratch);
}

int nt_gemm_small_fits(nt_dtype dt, int64_t M, int64_t N, int64_t K)
{
    /* The small operand must stay in L1 (32 KiB) across a panel; past that
     * OpenBLAS's blocking wins (measured in tests/test_gemm). */
    return (size_t)(K * N) * nt_dtype_size(dt) <= 32768 && M >= 64;
}

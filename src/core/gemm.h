/* gemm.h — matrix products for the shapes of PINN training: many rows (points ×
 * derivative streams) against a small weight matrix that fits in cache.
 *
 * OpenBLAS packs both operands on every call, which for K, N ≤ 256 and M in the
 * tens of thousands costs about as much as the arithmetic and parallelizes poorly.
 * These kernels read the large operand once, in place, with 6×(2 vectors) register
 * blocks, keep the small operand hot in L1/L2, and split rows over OpenMP threads.
 * Reductions over rows (weight gradients) use per-thread partial sums added in a
 * fixed order, so results depend only on the thread count. Other shapes go to
 * OpenBLAS. */
#ifndef NT_CORE_GEMM_H
#define NT_CORE_GEMM_H

#include "core/internal.h"

/* C (M×N) = [C +] A (M×K) · B (K×N), row-major with leading dimensions. */
void nt_gemm_nn(nt_dtype dt, int64_t M, int64_t N, int64_t K, const void *A, int64_t lda,
                const void *B, int64_t ldb, void *C, int64_t ldc, int accumulate);

/* C (N×K) = [C +] Gᵀ · A with G (M×N), A (M×K): a reduction over the M rows.
 * scratch must hold nt_gemm_tn_scratch(dt, N, K) bytes. */
void nt_gemm_tn(nt_dtype dt, int64_t M, int64_t N, int64_t K, const void *G, int64_t ldg,
                const void *A, int64_t lda, void *C, int64_t ldc, int accumulate, void *scratch);
size_t nt_gemm_tn_scratch(nt_dtype dt, int64_t N, int64_t K);

/* Whether the kernels above suit a product whose small operand is K×N with M rows. */
int nt_gemm_small_fits(nt_dtype dt, int64_t M, int64_t N, int64_t K);

#endif

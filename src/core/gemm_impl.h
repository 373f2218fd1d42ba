/* gemm_impl.h — kernel bodies for gemm.c, included once per element type with
 * NT_T (float/double), NT_V (a GCC vector of NT_VL lanes) and NT_SUF(name). */

/* C[6 × 2·VL] (+)= A[6 × K] · B[K × 2·VL]. Two layouts of A, each with its own
 * addressing so that the compiler keeps every pointer in a register:
 * ROWS: A(r, k) = A[r·rs + k] (row-major A); COLS: A(r, k) = A[k·ks + r] (Gᵀ).
 * The variadic part of NT_KERN_BODY is extra loop-increment text (", ak += ks"). */
#define NT_KERN_BODY(LOAD, ...)                                                           \
    NT_V c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0};                \
    NT_V c30 = {0}, c31 = {0}, c40 = {0}, c41 = {0}, c50 = {0}, c51 = {0};                \
    const NT_T *bk = B;                                                                   \
    for (int64_t k = 0; k < K; k++, bk += ldb __VA_ARGS__) {                                  \
        NT_V b0 = *(const NT_V *)bk, b1 = *(const NT_V *)(bk + NT_VL), x;                \
        x = LOAD(0) - (NT_V){0}; c00 += x * b0; c01 += x * b1;                            \
        x = LOAD(1) - (NT_V){0}; c10 += x * b0; c11 += x * b1;                            \
        x = LOAD(2) - (NT_V){0}; c20 += x * b0; c21 += x * b1;                            \
        x = LOAD(3) - (NT_V){0}; c30 += x * b0; c31 += x * b1;                            \
        x = LOAD(4) - (NT_V){0}; c40 += x * b0; c41 += x * b1;                            \
        x = LOAD(5) - (NT_V){0}; c50 += x * b0; c51 += x * b1;                            \
    }                                                                                     \
    NT_STORE(0, c00, c01); NT_STORE(1, c10, c11); NT_STORE(2, c20, c21);                  \
    NT_STORE(3, c30, c31); NT_STORE(4, c40, c41); NT_STORE(5, c50, c51);

#define NT_STORE(r, v0, v1)                                                           \
    do {                                                                              \
        NT_V *p0 = (NT_V *)(C + (r) * ldc), *p1 = (NT_V *)(C + (r) * ldc + NT_VL);   \
        if (acc) { *p0 += v0; *p1 += v1; } else { *p0 = v0; *p1 = v1; }              \
    } while (0)

__attribute__((noinline)) static void NT_SUF(kern_rows)(int64_t K, const NT_T *A, int64_t rs, const NT_T *B,
                                     int64_t ldb, NT_T *C, int64_t ldc, int acc)
{
    const NT_T *a0 = A, *a1 = A + rs, *a2 = A + 2 * rs, *a3 = A + 3 * rs, *a4 = A + 4 * rs,
               *a5 = A + 5 * rs;
#define NT_LOAD_ROWS(r) a##r[k]
    NT_KERN_BODY(NT_LOAD_ROWS, )
#undef NT_LOAD_ROWS
}

__attribute__((noinline)) static void NT_SUF(kern_cols)(int64_t K, const NT_T *A, int64_t ks, const NT_T *B,
                                     int64_t ldb, NT_T *C, int64_t ldc, int acc)
{
    const NT_T *ak = A;
#define NT_LOAD_COLS(r) ak[r]
    NT_KERN_BODY(NT_LOAD_COLS, , ak += ks)
#undef NT_LOAD_COLS
}
#undef NT_STORE
#undef NT_KERN_BODY

/* Any block shape (edges): rows × cols of C. */
static void NT_SUF(kern_edge)(int64_t rows, int64_t cols, int64_t K, const NT_T *A, int64_t rs,
                              int64_t ks, const NT_T *B, int64_t ldb, NT_T *C, int64_t ldc, int acc)
{
    NT_T tmp[512];
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t j0 = 0; j0 < cols; j0 += 512) {
            int64_t nj = NT_MIN((int64_t)512, cols - j0);
            for (int64_t j = 0; j < nj; j++) tmp[j] = 0;
            for (int64_t k = 0; k < K; k++) {
                NT_T a = A[r * rs + k * ks];
                const NT_T *b = B + k * ldb + j0;
#pragma omp simd
                for (int64_t j = 0; j < nj; j++) tmp[j] += a * b[j];
            }
            NT_T *c = C + r * ldc + j0;
            if (acc)
                for (int64_t j = 0; j < nj; j++) c[j] += tmp[j];
            else
                for (int64_t j = 0; j < nj; j++) c[j] = tmp[j];
        }
    }
}

/* Few output columns and row-major A (e.g. the output layer, N = 1): one dot
 * product per output, vectorized along K. */
static void NT_SUF(kern_dots)(int64_t rows, int64_t N, int64_t K, const NT_T *A, int64_t rs,
                              const NT_T *B, int64_t ldb, NT_T *C, int64_t ldc, int acc)
{
    for (int64_t r = 0; r < rows; r++) {
        const NT_T *a = A + r * rs;
        for (int64_t j = 0; j < N; j++) {
            NT_T sum = 0;
#pragma omp simd reduction(+ : sum)
            for (int64_t k = 0; k < K; k++) sum += a[k] * B[k * ldb + j];
            C[r * ldc + j] = acc ? C[r * ldc + j] + sum : sum;
        }
    }
}

/* C[rows × N] (+)= A[rows × K] · B[K × N] for one row panel. */
static void NT_SUF(panel)(int64_t rows, int64_t N, int64_t K, const NT_T *A, int64_t rs,
                          int64_t ks, const NT_T *B, int64_t ldb, NT_T *C, int64_t ldc, int acc)
{
    const int64_t NR = 2 * NT_VL;
    if (N < NT_VL && ks == 1) {
        NT_SUF(kern_dots)(rows, N, K, A, rs, B, ldb, C, ldc, acc);
        return;
    }
    int64_t nfull = N / NR * NR, rem = N - nfull, r = 0;
    /* The last, partial column block runs through the register kernel too: its
     * columns of B are copied into a zero-padded panel (thread-local, small) and
     * its results go through a 6 × NR tile of which only `rem` columns are kept. */
    static _Thread_local NT_T bpad[NT_GEMM_PAD_ELEMS];
    int padded = rem > 0 && K * NR <= NT_GEMM_PAD_ELEMS;
    if (padded)
        for (int64_t k = 0; k < K; k++)
            for (int64_t j = 0; j < NR; j++) bpad[k * NR + j] = j < rem ? B[k * ldb + nfull + j] : (NT_T)0;
    int64_t rows6 = rows / 6 * 6;
    /* Column blocks outermost: a K × NR panel of B stays in L1 while the row
     * blocks pass over it (B itself may not fit L1 in float64). */
    for (int64_t j = 0; j < nfull; j += NR)
        for (r = 0; r < rows6; r += 6) {
            if (ks == 1) NT_SUF(kern_rows)(K, A + r * rs, rs, B + j, ldb, C + r * ldc + j, ldc, acc);
            else NT_SUF(kern_cols)(K, A + r * rs, ks, B + j, ldb, C + r * ldc + j, ldc, acc);
        }
    for (r = 0; r < rows6; r += 6) {
        if (padded) {
            NT_T tile[6 * 2 * NT_VL];
            if (ks == 1) NT_SUF(kern_rows)(K, A + r * rs, rs, bpad, NR, tile, NR, 0);
            else NT_SUF(kern_cols)(K, A + r * rs, ks, bpad, NR, tile, NR, 0);
            for (int i = 0; i < 6; i++) {
                NT_T *c = C + (r + i) * ldc + nfull;
                for (int64_t jj = 0; jj < rem; jj++) c[jj] = acc ? c[jj] + tile[i * NR + jj] : tile[i * NR + jj];
            }
        } else if (rem > 0) {
            NT_SUF(kern_edge)(6, rem, K, A + r * rs, rs, ks, B + nfull, ldb, C + r * ldc + nfull, ldc, acc);
        }
    }
    r = rows6;
    if (r < rows) NT_SUF(kern_edge)(rows - r, N, K, A + r * rs, rs, ks, B, ldb, C + r * ldc, ldc, acc);
}

static void NT_SUF(gemm_nn)(int64_t M, int64_t N, int64_t K, const NT_T *A, int64_t lda,
                            const NT_T *B, int64_t ldb, NT_T *C, int64_t ldc, int acc)
{
    const int64_t MB = 96; /* rows per task: 16 register blocks */
    int64_t nblk = (M + MB - 1) / MB;
#pragma omp parallel for schedule(static) if (M * N * K >= 500000)
    for (int64_t b = 0; b < nblk; b++) {
        int64_t r0 = b * MB, rows = NT_MIN(MB, M - r0);
        NT_SUF(panel)(rows, N, K, A + r0 * lda, lda, 1, B, ldb, C + r0 * ldc, ldc, acc);
    }
}

/* C (N×K) (+)= Gᵀ (N×M) · A (M×K): the "A" of the panel is Gᵀ, read with
 * rs = 1 (along N) and ks = ldg (along M); each thread reduces a contiguous
 * range of rows into its own partial, and the partials are added in order.
 * When K is narrower than a vector and N is not (a first layer's weight
 * gradient), Cᵀ = Aᵀ·G is formed instead so the vector loops run along N. */
static void NT_SUF(gemm_tn)(int64_t M, int64_t N, int64_t K, const NT_T *G, int64_t ldg,
                            const NT_T *A, int64_t lda, NT_T *C, int64_t ldc, int acc, NT_T *scratch)
{
    int swap = K < NT_VL && N >= NT_VL;
    const NT_T *L = swap ? A : G, *R = swap ? G : A;
    int64_t ldl = swap ? lda : ldg, ldr = swap ? ldg : lda;
    int64_t NL = swap ? K : N, NRc = swap ? N : K; /* partial is NL × NRc */
    int nth = (M * N * K >= 500000) ? omp_get_max_threads() : 1;
    if (nth > NT_GEMM_MAX_THREADS) nth = NT_GEMM_MAX_THREADS;
    const int64_t MB = 256; /* rows kept in L2 while all of C's tiles pass over them */
#pragma omp parallel num_threads(nth) if (nth > 1)
    {
        int tid = omp_get_thread_num(), nt = omp_get_num_threads();
        int64_t chunk = (M + nt - 1) / nt, m0 = tid * chunk, m1 = NT_MIN(M, m0 + chunk);
        NT_T *P = scratch + (size_t)tid * (size_t)(N * K);
        int first = 1;
        for (int64_t mb = m0; mb < m1; mb += MB) {
            int64_t rowsM = NT_MIN(MB, m1 - mb);
            NT_SUF(panel)(NL, NRc, rowsM, L + mb * ldl, 1, ldl, R + mb * ldr, ldr, P, NRc, !first);
            first = 0;
        }
        if (first)
            for (int64_t i = 0; i < N * K; i++) P[i] = 0;
    }
    for (int64_t i = 0; i < N; i++) {
        NT_T *c = C + i * ldc;
        for (int64_t j = 0; j < K; j++) {
            int64_t pi = swap ? j * N + i : i * K + j;
            NT_T s = acc ? c[j] : (NT_T)0;
            for (int t = 0; t < nth; t++) s += scratch[(size_t)t * (size_t)(N * K) + pi];
            c[j] = s;
        }
    }
}

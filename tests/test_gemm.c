/* test_gemm.c — the row-streaming GEMM kernels against a naive triple loop
 * (float64 exact to rounding, float32 to 1e-5 relative), over shapes with edge
 * rows and columns, accumulation, and the transposed reduction; prints their
 * speed beside OpenBLAS for the PINN shapes (information, not an assertion). */
#include "harness.h"
#include "core/gemm.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

static void naive(int ta, int64_t M, int64_t N, int64_t K, const double *A, const double *B,
                  double *C, int acc)
{
    /* ta = 0: C(M×N) = A(M×K)·B(K×N); ta = 1: C(N×K) = Aᵀ·B with A (M×N), B (M×K) */
    if (!ta) {
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double s = acc ? C[i * N + j] : 0;
                for (int64_t k = 0; k < K; k++) s += A[i * K + k] * B[k * N + j];
                C[i * N + j] = s;
            }
    } else {
        for (int64_t i = 0; i < N; i++)
            for (int64_t j = 0; j < K; j++) {
                double s = acc ? C[i * K + j] : 0;
                for (int64_t m = 0; m < M; m++) s += A[m * N + i] * B[m * K + j];
                C[i * K + j] = s;
            }
    }
}

static void fill(double *x, int64_t n, nt_rng *r)
{
    for (int64_t i = 0; i < n; i++) x[i] = 2 * nt_rng_uniform(r) - 1;
}

static void check_case(nt_dtype dt, int ta, int64_t M, int64_t N, int64_t K, int acc)
{
    nt_rng r;
    nt_rng_init(&r, (uint64_t)(M * 131 + N * 7 + K + ta + acc * 3));
    int64_t na = ta ? M * N : M * K, nb = ta ? M * K : K * N, nc = ta ? N * K : M * N;
    double *A = malloc(sizeof(double) * (size_t)na), *B = malloc(sizeof(double) * (size_t)nb);
    double *C = malloc(sizeof(double) * (size_t)nc), *R = malloc(sizeof(double) * (size_t)nc);
    fill(A, na, &r);
    fill(B, nb, &r);
    fill(C, nc, &r);
    memcpy(R, C, sizeof(double) * (size_t)nc);
    naive(ta, M, N, K, A, B, R, acc);
    size_t es = nt_dtype_size(dt);
    void *a = malloc(es * (size_t)na), *b = malloc(es * (size_t)nb), *c = malloc(es * (size_t)nc);
    void *scratch = malloc(nt_gemm_tn_scratch(dt, N, K) + 64);
    for (int64_t i = 0; i < na; i++) dt == NT_F32 ? (((float *)a)[i] = (float)A[i]) : (((double *)a)[i] = A[i]);
    for (int64_t i = 0; i < nb; i++) dt == NT_F32 ? (((float *)b)[i] = (float)B[i]) : (((double *)b)[i] = B[i]);
    for (int64_t i = 0; i < nc; i++) dt == NT_F32 ? (((float *)c)[i] = (float)C[i]) : (((double *)c)[i] = C[i]);
    if (!ta) nt_gemm_nn(dt, M, N, K, a, K, b, N, c, N, acc);
    else nt_gemm_tn(dt, M, N, K, a, N, b, K, c, K, acc, scratch);
    double red = ta ? (double)M : (double)K;
    double tol = (dt == NT_F32 ? 3e-7 : 1e-15) * (red + 2) * 2;
    int bad = 0;
    for (int64_t i = 0; i < nc && bad < 3; i++) {
        double got = dt == NT_F32 ? ((float *)c)[i] : ((double *)c)[i];
        if (!(fabs(got - R[i]) <= tol)) {
            nt_test_fail(__FILE__, __LINE__, "%s ta=%d M=%lld N=%lld K=%lld acc=%d: [%lld] %.10g vs %.10g",
                         nt_dtype_name(dt), ta, (long long)M, (long long)N, (long long)K, acc,
                         (long long)i, got, R[i]);
            bad++;
        }
    }
    free(A); free(B); free(C); free(R); free(a); free(b); free(c); free(scratch);
}

static void test_shapes(void)
{
    const int64_t Ms[] = {1, 5, 6, 7, 97, 1000, 20000};
    const int64_t NKs[][2] = {{1, 1}, {2, 64}, {64, 2}, {16, 16}, {17, 5}, {20, 20}, {64, 64}, {33, 70}, {8, 3}};
    for (int dt = 0; dt < 2; dt++)
        for (int ta = 0; ta < 2; ta++)
            for (size_t mi = 0; mi < sizeof Ms / sizeof Ms[0]; mi++)
                for (size_t q = 0; q < sizeof NKs / sizeof NKs[0]; q++)
                    for (int acc = 0; acc < 2; acc++) {
                        if (Ms[mi] == 20000 && (q % 3)) continue; /* keep it quick */
                        check_case((nt_dtype)dt, ta, Ms[mi], NKs[q][0], NKs[q][1], acc);
                    }
}

static double time_it(void (*fn)(void *), void *ctx, int reps)
{
    fn(ctx);
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        double t0 = nt_time_now();
        for (int i = 0; i < reps; i++) fn(ctx);
        double dt = (nt_time_now() - t0) / reps;
        if (dt < best) best = dt;
    }
    return best;
}

typedef struct {
    nt_dtype dt;
    int ta, blas;
    int64_t M, N, K;
    void *a, *b, *c, *s;
} bench_ctx;

static void run_bench(void *p)
{
    bench_ctx *x = p;
    if (x->blas) {
        if (x->dt == NT_F32) {
            if (!x->ta) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)x->M, (int)x->N, (int)x->K, 1, x->a, (int)x->K, x->b, (int)x->N, 1, x->c, (int)x->N);
            else cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)x->N, (int)x->K, (int)x->M, 1, x->a, (int)x->N, x->b, (int)x->K, 1, x->c, (int)x->K);
        } else {
            if (!x->ta) cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)x->M, (int)x->N, (int)x->K, 1, x->a, (int)x->K, x->b, (int)x->N, 1, x->c, (int)x->N);
            else cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)x->N, (int)x->K, (int)x->M, 1, x->a, (int)x->N, x->b, (int)x->K, 1, x->c, (int)x->K);
        }
    } else if (!x->ta) {
        nt_gemm_nn(x->dt, x->M, x->N, x->K, x->a, x->K, x->b, x->N, x->c, x->N, 1);
    } else {
        nt_gemm_tn(x->dt, x->M, x->N, x->K, x->a, x->N, x->b, x->K, x->c, x->K, 1, x->s);
    }
}

static void test_speed(void)
{
    if (nt_test_quick()) return;
    for (int dt = 0; dt < 2; dt++)
        for (int w = 64; w <= 256; w *= 4)
            for (int ta = 0; ta < 2; ta++) {
                bench_ctx x = {(nt_dtype)dt, ta, 0, 32768, w, w, NULL, NULL, NULL, NULL};
                size_t es = nt_dtype_size(x.dt);
                x.a = calloc((size_t)(x.M * w), es);
                x.b = calloc((size_t)(x.M * w), es);
                x.c = calloc((size_t)(x.M * w), es);
                x.s = malloc(nt_gemm_tn_scratch(x.dt, w, w));
                double fl = 2.0 * (double)x.M * w * w;
                double tn = time_it(run_bench, &x, 5);
                x.blas = 1;
                double tb = time_it(run_bench, &x, 5);
                printf("    %s %s M=32768 N=K=%d: noether %.1f GFLOP/s, OpenBLAS %.1f GFLOP/s (%d threads)\n",
                       nt_dtype_name(x.dt), ta ? "Gᵀ·A" : "A·B ", w, fl / tn * 1e-9, fl / tb * 1e-9,
                       nt_threads_get());
                free(x.a); free(x.b); free(x.c); free(x.s);
            }
}

int main(void)
{
    RUN(test_shapes);
    RUN(test_speed);
    return nt_test_finish();
}

/* gemm_peak — measure this machine's SGEMM/DGEMM throughput with OpenBLAS.
 *
 * Prints one JSON line per (precision, shape, threads) case with the median
 * GFLOP/s over several timed runs.  Shapes: square 2048 and 4096, and the
 * shapes a Noether PINN step produces (row-major, points x features):
 *   fwd<W>    Y[M,W]  = X[M,W] * W[W,W]           M = 32768
 *   dgrad<W>  dX[M,W] = dY[M,W] * W^T[W,W]        (transB)
 *   wgrad<W>  dW[W,W] = X^T[W,M] * dY[M,W]        (transA; the "64x32768 . 32768x64" case)
 * for W in {64, 256}.
 *
 * Usage: gemm_peak [--threads 1,2] [--runs 7] [--min-time 0.15] [--only SUBSTR]
 *                  [--prec s|d|sd]
 * Build: make build/gemm_peak   (links the OpenMP flavour of OpenBLAS)
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct {
    const char *name;
    int m, n, k;
    int transa, transb;
} gemm_case;

static const gemm_case CASES[] = {
    {"square2048", 2048, 2048, 2048, 0, 0},
    {"square4096", 4096, 4096, 4096, 0, 0},
    {"fwd64", 32768, 64, 64, 0, 0},
    {"dgrad64", 32768, 64, 64, 0, 1},
    {"wgrad64", 64, 64, 32768, 1, 0},
    {"fwd256", 32768, 256, 256, 0, 0},
    {"dgrad256", 32768, 256, 256, 0, 1},
    {"wgrad256", 256, 256, 32768, 1, 0},
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *xalloc(size_t bytes) {
    size_t rounded = (bytes + 63u) / 64u * 64u;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (!p) {
        fprintf(stderr, "gemm_peak: out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    return p;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double rnd(void) { /* xorshift64*, uniform in [-1, 1) */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    uint64_t r = rng_state * 0x2545F4914F6CDD1Dull;
    return (double)(r >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One GEMM call in the requested precision; operands stored row-major. */
static void run_gemm(int dbl, const gemm_case *c, const void *A, const void *B, void *C) {
    enum CBLAS_TRANSPOSE ta = c->transa ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = c->transb ? CblasTrans : CblasNoTrans;
    int lda = c->transa ? c->m : c->k; /* A is (transa ? K x M : M x K) */
    int ldb = c->transb ? c->k : c->n; /* B is (transb ? N x K : K x N) */
    if (dbl)
        cblas_dgemm(CblasRowMajor, ta, tb, c->m, c->n, c->k, 1.0, (const double *)A, lda,
                    (const double *)B, ldb, 0.0, (double *)C, c->n);
    else
        cblas_sgemm(CblasRowMajor, ta, tb, c->m, c->n, c->k, 1.0f, (const float *)A, lda,
                    (const float *)B, ldb, 0.0f, (float *)C, c->n);
}

static void fill(int dbl, void *p, size_t count) {
    for (size_t i = 0; i < count; i++) {
        if (dbl)
            ((double *)p)[i] = rnd();
        else
            ((float *)p)[i] = (float)rnd();
    }
}

static void set_threads(int t) {
    openblas_set_num_threads(t);
#ifdef _OPENMP
    omp_set_num_threads(t);
#endif
}

#define MAX_RUNS 64

static void bench_case(int dbl, const gemm_case *c, int threads, int runs, double min_time) {
    size_t esz = dbl ? sizeof(double) : sizeof(float);
    size_t na = (size_t)c->m * (size_t)c->k, nb = (size_t)c->k * (size_t)c->n;
    size_t nc = (size_t)c->m * (size_t)c->n;
    void *A = xalloc(na * esz), *B = xalloc(nb * esz), *C = xalloc(nc * esz);
    fill(dbl, A, na);
    fill(dbl, B, nb);
    memset(C, 0, nc * esz);
    set_threads(threads);

    double flop = 2.0 * (double)c->m * (double)c->n * (double)c->k;
    /* Warm up and calibrate the number of calls per timed run. */
    run_gemm(dbl, c, A, B, C);
    double t0 = now_s();
    run_gemm(dbl, c, A, B, C);
    double one = now_s() - t0;
    if (one <= 0) one = 1e-6;
    long reps = (long)(min_time / one) + 1;

    double g[MAX_RUNS];
    for (int r = 0; r < runs; r++) {
        double s = now_s();
        for (long i = 0; i < reps; i++) run_gemm(dbl, c, A, B, C);
        double el = now_s() - s;
        g[r] = flop * (double)reps / el * 1e-9;
    }
    double sorted[MAX_RUNS];
    memcpy(sorted, g, sizeof(double) * (size_t)runs);
    qsort(sorted, (size_t)runs, sizeof(double), cmp_double);
    double med = (runs % 2) ? sorted[runs / 2] : 0.5 * (sorted[runs / 2 - 1] + sorted[runs / 2]);

    printf("{\"bench\":\"gemm_peak\",\"op\":\"%s\",\"case\":\"%s\",\"m\":%d,\"n\":%d,\"k\":%d,"
           "\"transa\":%d,\"transb\":%d,\"threads\":%d,\"calls_per_run\":%ld,\"gflops\":%.2f,"
           "\"gflops_max\":%.2f,\"gflops_all\":[",
           dbl ? "dgemm" : "sgemm", c->name, c->m, c->n, c->k, c->transa, c->transb, threads,
           reps, med, sorted[runs - 1]);
    for (int r = 0; r < runs; r++) printf("%s%.2f", r ? "," : "", g[r]);
    printf("],\"corename\":\"%s\"}\n", openblas_get_corename());
    fflush(stdout);
    free(A);
    free(B);
    free(C);
}

static void usage(void) {
    fprintf(stderr, "usage: gemm_peak [--threads 1,2] [--runs N] [--min-time SEC] "
                    "[--only SUBSTR] [--prec s|d|sd]\n");
}

int main(int argc, char **argv) {
    int threads_list[8] = {1, 2};
    int nthreads = 2, runs = 7;
    double min_time = 0.15;
    const char *only = NULL, *prec = "sd";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            nthreads = 0;
            char *s = argv[++i];
            while (*s && nthreads < 8) {
                char *end;
                long v = strtol(s, &end, 10);
                if (end == s || v < 1) {
                    usage();
                    return 2;
                }
                threads_list[nthreads++] = (int)v;
                s = (*end == ',') ? end + 1 : end;
            }
        } else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            runs = atoi(argv[++i]);
            if (runs < 1) runs = 1;
            if (runs > MAX_RUNS) runs = MAX_RUNS;
        } else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) {
            min_time = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
        } else if (!strcmp(argv[i], "--prec") && i + 1 < argc) {
            prec = argv[++i];
        } else {
            usage();
            return 2;
        }
    }
    fprintf(stderr, "gemm_peak: OpenBLAS config: %s; core: %s\n", openblas_get_config(),
            openblas_get_corename());
    for (int d = 0; d < 2; d++) {
        if (!strchr(prec, d ? 'd' : 's')) continue;
        for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
            if (only && !strstr(CASES[c].name, only)) continue;
            for (int t = 0; t < nthreads; t++) bench_case(d, &CASES[c], threads_list[t], runs, min_time);
        }
    }
    return 0;
}

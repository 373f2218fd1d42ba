/* core.c — status codes, error messages, assertions, dtypes, threads, RNG, clock. */
#include "core/internal.h"

#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Thread_local char g_errmsg[1024];

const char *nt_status_str(nt_status s)
{
    switch (s) {
    case NT_OK: return "ok";
    case NT_ERR_NOMEM: return "out of memory";
    case NT_ERR_IO: return "input/output error";
    case NT_ERR_FORMAT: return "malformed file";
    case NT_ERR_ARG: return "invalid argument";
    case NT_ERR_NUMERIC: return "non-finite value";
    case NT_ERR_NOT_FOUND: return "not found";
    }
    return "unknown status";
}

const char *nt_error_msg(void) { return g_errmsg; }

nt_status nt_set_error(nt_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_errmsg, sizeof g_errmsg, fmt, ap);
    va_end(ap);
    return s;
}

void nt_assert_fail(const char *expr, const char *file, int line, const char *msg)
{
    fprintf(stderr, "%s:%d: assertion failed: %s%s%s\n", file, line, expr, msg ? ": " : "",
            msg ? msg : "");
    fflush(stderr);
    abort();
}

size_t nt_dtype_size(nt_dtype dt) { return dt == NT_F32 ? sizeof(float) : sizeof(double); }
const char *nt_dtype_name(nt_dtype dt) { return dt == NT_F32 ? "float32" : "float64"; }

nt_status nt_dtype_parse(const char *s, nt_dtype *out)
{
    if (!strcmp(s, "float32") || !strcmp(s, "f32")) { *out = NT_F32; return NT_OK; }
    if (!strcmp(s, "float64") || !strcmp(s, "f64")) { *out = NT_F64; return NT_OK; }
    return nt_set_error(NT_ERR_ARG, "unknown dtype '%s' (expected float32 or float64)", s);
}

/* OpenBLAS (OpenMP flavour) reads omp_get_max_threads() when called outside a
 * parallel region and runs single-threaded inside one, so one knob sets both. */
void openblas_set_num_threads(int);
void nt_threads_set(int n)
{
    if (n < 1) n = 1;
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}
int nt_threads_get(void) { return omp_get_max_threads(); }

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void nt_rng_init(nt_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t nt_rng_u64(nt_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double nt_rng_uniform(nt_rng *r) { return (double)(nt_rng_u64(r) >> 11) * 0x1.0p-53; }

double nt_rng_normal(nt_rng *r)
{
    double u1 = nt_rng_uniform(r), u2 = nt_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * NT_PI * u2);
}

double nt_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

char *nt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *s = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0) n = ftell(f);
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (s = malloc((size_t)n + 1))) {
        size_t got = fread(s, 1, (size_t)n, f);
        s[got] = 0;
        if (len) *len = got;
    }
    fclose(f);
    return s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int64_t nt_sorted_unique(const double *x, int64_t n, int stride, int col, double *out)
{
    for (int64_t i = 0; i < n; i++) out[i] = x[i * stride + col];
    qsort(out, (size_t)n, sizeof(double), cmp_double);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (!m || out[i] != out[m - 1]) out[m++] = out[i];
    return m;
}

int64_t nt_sorted_find(const double *v, int64_t n, double a)
{
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t mid = (lo + hi) / 2;
        if (v[mid] < a) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

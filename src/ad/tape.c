/* tape.c — the reverse-mode tape: nodes in an arena, the op set with forward and
 * backward kernels side by side, and the reverse pass.
 *
 * Every op computes its value when called (eager) and, when one of its inputs
 * requires a gradient, records itself. nt_tape_backward walks the records in
 * reverse and each op adds its contribution into its inputs' gradients. */
#include "ad/ad_internal.h"
#include "ad/act.h"
#include "ad/specconv.h"
#include "core/gemm.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

/* ---------------------------------------------------------------------------- */
/* Tape and nodes                                                                 */

nt_status nt_tape_init(nt_tape *t, size_t arena_chunk_bytes)
{
    memset(t, 0, sizeof *t);
    nt_arena_init(&t->arena, arena_chunk_bytes ? arena_chunk_bytes : ((size_t)64 << 20));
    t->cap_nodes = 1024;
    t->nodes = malloc((size_t)t->cap_nodes * sizeof *t->nodes);
    if (!t->nodes) return nt_set_error(NT_ERR_NOMEM, "out of memory for the tape");
    t->grad_enabled = 1;
    return NT_OK;
}

void nt_tape_free(nt_tape *t)
{
    nt_arena_free(&t->arena);
    free(t->nodes);
    memset(t, 0, sizeof *t);
}

void nt_tape_reset(nt_tape *t)
{
    nt_arena_reset(&t->arena);
    t->n_nodes = 0;
}

static nt_tensor *tensor_alloc(nt_tape *t, nt_dtype dt, int ndim, const int64_t *shape)
{
    NT_ASSERT(ndim >= 1 && ndim <= NT_MAX_DIMS, "tensor rank out of range");
    nt_tensor *x = nt_arena_alloc(&t->arena, sizeof *x);
    if (!x) return NULL;
    memset(x, 0, sizeof *x);
    x->dtype = dt;
    x->ndim = ndim;
    x->size = 1;
    for (int i = 0; i < ndim; i++) {
        NT_ASSERT(shape[i] >= 0, "negative dimension");
        x->shape[i] = shape[i];
        x->size *= shape[i];
    }
    x->data = nt_arena_alloc(&t->arena, (size_t)x->size * nt_dtype_size(dt));
    if (!x->data) return NULL;
    return x;
}

nt_tensor *nt_tensor_new(nt_tape *t, nt_dtype dt, int ndim, const int64_t *shape)
{
    return tensor_alloc(t, dt, ndim, shape);
}

nt_tensor *nt_tensor_new2(nt_tape *t, nt_dtype dt, int64_t rows, int64_t cols)
{
    int64_t sh[2] = {rows, cols};
    return tensor_alloc(t, dt, 2, sh);
}

nt_tensor *nt_tensor_zeros2(nt_tape *t, nt_dtype dt, int64_t rows, int64_t cols)
{
    nt_tensor *x = nt_tensor_new2(t, dt, rows, cols);
    if (x) memset(x->data, 0, (size_t)x->size * nt_dtype_size(dt));
    return x;
}

nt_tensor *nt_tensor_from_f64(nt_tape *t, nt_dtype dt, int64_t rows, int64_t cols,
                              const double *src)
{
    nt_tensor *x = nt_tensor_new2(t, dt, rows, cols);
    if (!x) return NULL;
    NT_DISPATCH(dt, T, {
        T *d = x->data;
        for (int64_t i = 0; i < x->size; i++) d[i] = (T)src[i];
    });
    return x;
}

nt_tensor *nt_tensor_scalar(nt_tape *t, nt_dtype dt, double v)
{
    int64_t sh[1] = {1};
    nt_tensor *x = tensor_alloc(t, dt, 1, sh);
    if (x) nt_tensor_set(x, 0, v);
    return x;
}

double nt_tensor_get(const nt_tensor *x, int64_t i)
{
    NT_ASSERT(i >= 0 && i < x->size, "index out of range");
    return x->dtype == NT_F32 ? (double)((const float *)x->data)[i]
                              : ((const double *)x->data)[i];
}

void nt_tensor_set(nt_tensor *x, int64_t i, double v)
{
    NT_ASSERT(i >= 0 && i < x->size, "index out of range");
    if (x->dtype == NT_F32) ((float *)x->data)[i] = (float)v;
    else ((double *)x->data)[i] = v;
}

double nt_tensor_grad_get(const nt_tensor *x, int64_t i)
{
    NT_ASSERT(i >= 0 && i < x->size, "index out of range");
    if (!x->grad) return 0.0;
    return x->dtype == NT_F32 ? (double)((const float *)x->grad)[i]
                              : ((const double *)x->grad)[i];
}

int64_t nt_tensor_rows(const nt_tensor *x) { return x->shape[0]; }
int64_t nt_tensor_cols(const nt_tensor *x) { return x->shape[0] ? x->size / x->shape[0] : 0; }

void nt_tensor_requires_grad(nt_tensor *x) { x->flags |= NT_TENSOR_REQUIRES_GRAD; }

static int needs_grad(const nt_tensor *x) { return x && (x->flags & NT_TENSOR_REQUIRES_GRAD); }

static nt_tensor *node_new_nd(nt_tape *t, nt_dtype dt, int ndim, const int64_t *shape,
                              nt_op op, nt_tensor *a, nt_tensor *b, nt_tensor *c)
{
    nt_tensor *x = tensor_alloc(t, dt, ndim, shape);
    if (!x) return NULL;
    x->op = op;
    x->src[0] = a;
    x->src[1] = b;
    x->src[2] = c;
    if (t->grad_enabled && (needs_grad(a) || needs_grad(b) || needs_grad(c))) {
        x->flags |= NT_TENSOR_REQUIRES_GRAD;
        if (t->n_nodes == t->cap_nodes) {
            int64_t cap = t->cap_nodes * 2;
            nt_tensor **nn = realloc(t->nodes, (size_t)cap * sizeof *nn);
            if (!nn) {
                nt_set_error(NT_ERR_NOMEM, "out of memory growing the tape");
                return NULL;
            }
            t->nodes = nn;
            t->cap_nodes = cap;
        }
        t->nodes[t->n_nodes++] = x;
    }
    return x;
}

nt_tensor *nt_node_new(nt_tape *t, nt_dtype dt, int64_t rows, int64_t cols, nt_op op,
                       nt_tensor *a, nt_tensor *b, nt_tensor *c)
{
    int64_t sh[2] = {rows, cols};
    return node_new_nd(t, dt, 2, sh, op, a, b, c);
}

void *nt_grad_of(nt_tape *t, nt_tensor *x)
{
    if (!needs_grad(x)) return NULL;
    if (!x->grad) x->grad = nt_arena_calloc(&t->arena, (size_t)x->size * nt_dtype_size(x->dtype));
    NT_ASSERT(x->grad != NULL, "out of memory allocating a gradient");
    return x->grad;
}

void *nt_grad_full(nt_tape *t, nt_tensor *x, int *acc)
{
    *acc = 1;
    if (!needs_grad(x)) return NULL;
    if (!x->grad) {
        x->grad = nt_arena_alloc(&t->arena, (size_t)x->size * nt_dtype_size(x->dtype));
        NT_ASSERT(x->grad != NULL, "out of memory allocating a gradient");
        *acc = 0;
    }
    return x->grad;
}

/* ---------------------------------------------------------------------------- */
/* Deterministic reductions                                                       */

#define NT_RED_CHUNKS 64

double nt_red_dot(nt_dtype dt, const void *x, const void *y, int64_t n)
{
    double part[NT_RED_CHUNKS];
    int64_t chunk = (n + NT_RED_CHUNKS - 1) / NT_RED_CHUNKS;
    NT_DISPATCH(dt, T, {
        const T *a = x, *b = y;
_Pragma("omp parallel for schedule(static) if (n >= NT_PAR_MIN)")
        for (int c = 0; c < NT_RED_CHUNKS; c++) {
            int64_t lo = c * chunk, hi = NT_MIN(n, lo + chunk);
            double s = 0;
            if (b) {
_Pragma("omp simd reduction(+ : s)")
                for (int64_t i = lo; i < hi; i++) s += (double)a[i] * (double)b[i];
            } else {
_Pragma("omp simd reduction(+ : s)")
                for (int64_t i = lo; i < hi; i++) s += (double)a[i];
            }
            part[c] = s;
        }
    });
    double s = 0;
    for (int c = 0; c < NT_RED_CHUNKS; c++) s += part[c];
    return s;
}

void nt_red_colsum_add(nt_tape *t, nt_dtype dt, const void *g, int64_t rows, int64_t cols,
                       void *out)
{
    int nch = rows >= 4096 ? 16 : 1;
    int64_t chunk = (rows + nch - 1) / nch;
    double *part = nt_arena_calloc(&t->arena, (size_t)nch * (size_t)cols * sizeof(double));
    NT_ASSERT(part != NULL, "out of memory in column sum");
    NT_DISPATCH(dt, T, {
        const T *G = g;
_Pragma("omp parallel for schedule(static) if (nch > 1)")
        for (int c = 0; c < nch; c++) {
            double *p = part + (size_t)c * cols;
            for (int64_t r = c * chunk; r < NT_MIN(rows, (c + 1) * chunk); r++) {
                const T *gr = G + r * cols;
_Pragma("omp simd")
                for (int64_t j = 0; j < cols; j++) p[j] += (double)gr[j];
            }
        }
        T *o = out;
        for (int64_t j = 0; j < cols; j++) {
            double s = 0;
            for (int c = 0; c < nch; c++) s += part[(size_t)c * cols + j];
            o[j] += (T)s;
        }
    });
}

/* ---------------------------------------------------------------------------- */
/* GEMM: C = op(A)·op(B) (+ C when acc), row-major. Products with a small    */
/* operand and many rows use the row-streaming kernels of core/gemm.c, the     */
/* rest OpenBLAS. Scratch (transposes, partial sums) comes from the arena.     */

static void *transpose(nt_tape *t, nt_dtype dt, const void *B, int64_t rows, int64_t cols,
                       int64_t ld)
{
    void *out = nt_arena_alloc(&t->arena, (size_t)(rows * cols) * nt_dtype_size(dt));
    NT_ASSERT(out != NULL, "out of memory for a transpose");
    NT_DISPATCH(dt, T, {
        const T *src = B;
        T *dst = out;
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++) dst[j * rows + i] = src[i * ld + j];
    });
    return out;
}

static void gemm(nt_tape *t, nt_dtype dt, int ta, int tb, int64_t m, int64_t n, int64_t k,
                 const void *A, int64_t lda, const void *B, int64_t ldb, int acc, void *C,
                 int64_t ldc)
{
    if (m == 0 || n == 0) return;
    if (!ta && nt_gemm_small_fits(dt, m, n, k)) {
        if (tb) { /* B is stored n×k */
            B = transpose(t, dt, B, n, k, ldb);
            ldb = n;
        }
        nt_gemm_nn(dt, m, n, k, A, lda, B, ldb, C, ldc, acc);
        return;
    }
    if (ta && !tb && nt_gemm_small_fits(dt, k, n, m)) { /* reduction over the k rows */
        void *scratch = nt_arena_alloc(&t->arena, nt_gemm_tn_scratch(dt, m, n));
        NT_ASSERT(scratch != NULL, "out of memory for GEMM scratch");
        nt_gemm_tn(dt, k, m, n, A, lda, B, ldb, C, ldc, acc, scratch);
        return;
    }
    double beta = acc ? 1.0 : 0.0;
    if (dt == NT_F32)
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    (int)m, (int)n, (int)k, 1.0f, A, (int)lda, B, (int)ldb, (float)beta, C, (int)ldc);
    else
        cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    (int)m, (int)n, (int)k, 1.0, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
}

/* ---------------------------------------------------------------------------- */
/* Ops: forward                                                                   */

static void same_dtype(const nt_tensor *a, const nt_tensor *b)
{
    NT_ASSERT(a->dtype == b->dtype, "op inputs must share a dtype");
}

/* matmul: (m×k)·(k×n) or (m×k)·(n×k)ᵀ -> (m×n) */
nt_tensor *nt_matmul(nt_tape *t, nt_tensor *a, nt_tensor *b, int transpose_b)
{
    same_dtype(a, b);
    int64_t m = nt_tensor_rows(a), k = nt_tensor_cols(a);
    int64_t n = transpose_b ? nt_tensor_rows(b) : nt_tensor_cols(b);
    int64_t kb = transpose_b ? nt_tensor_cols(b) : nt_tensor_rows(b);
    NT_ASSERT(k == kb, "matmul inner dimensions differ");
    nt_tensor *c = nt_node_new(t, a->dtype, m, n, NT_OP_MATMUL, a, b, NULL);
    if (!c) return NULL;
    c->iparam[0] = transpose_b;
    gemm(t, a->dtype, 0, transpose_b, m, n, k, a->data, k, b->data, transpose_b ? k : n, 0,
         c->data, n);
    return c;
}

static void bias_fill(nt_dtype dt, void *z, const void *b, int64_t rows, int64_t cols)
{
    NT_DISPATCH(dt, T, {
        T *Z = z;
        const T *B = b;
_Pragma("omp parallel for schedule(static) if (rows * cols >= NT_PAR_MIN)")
        for (int64_t r = 0; r < rows; r++) {
_Pragma("omp simd")
            for (int64_t j = 0; j < cols; j++) Z[r * cols + j] = B[j];
        }
    });
}

nt_tensor *nt_linear(nt_tape *t, nt_tensor *x, nt_tensor *W, nt_tensor *b, int64_t bias_rows)
{
    same_dtype(x, W);
    int64_t n = nt_tensor_rows(x), in = nt_tensor_cols(x), out = nt_tensor_rows(W);
    NT_ASSERT(nt_tensor_cols(W) == in, "linear: W must be (out × in)");
    NT_ASSERT(!b || b->size == out, "linear: bias must have out entries");
    NT_ASSERT(bias_rows >= 0 && bias_rows <= n, "linear: bias_rows out of range");
    nt_tensor *z = nt_node_new(t, x->dtype, n, out, NT_OP_LINEAR, x, W, b);
    if (!z) return NULL;
    z->iparam[0] = b ? bias_rows : 0;
    size_t es = nt_dtype_size(x->dtype);
    int acc = 0;
    if (b && bias_rows > 0) {
        bias_fill(x->dtype, z->data, b->data, bias_rows, out);
        if (bias_rows < n) memset((char *)z->data + (size_t)(bias_rows * out) * es, 0,
                                  (size_t)((n - bias_rows) * out) * es);
        acc = 1;
    }
    gemm(t, x->dtype, 0, 1, n, out, in, x->data, in, W->data, in, acc, z->data, out);
    return z;
}

nt_tensor *nt_bias(nt_tape *t, nt_tensor *x, nt_tensor *b, int64_t rows)
{
    same_dtype(x, b);
    int64_t n = nt_tensor_rows(x), cols = nt_tensor_cols(x);
    NT_ASSERT(b->size == cols, "bias must have one entry per column");
    NT_ASSERT(rows >= 0 && rows <= n, "bias rows out of range");
    nt_tensor *y = nt_node_new(t, x->dtype, n, cols, NT_OP_BIAS, x, b, NULL);
    if (!y) return NULL;
    y->iparam[0] = rows;
    NT_DISPATCH(x->dtype, T, {
        const T *X = x->data, *B = b->data;
        T *Y = y->data;
_Pragma("omp parallel for schedule(static) if (n * cols >= NT_PAR_MIN)")
        for (int64_t r = 0; r < n; r++) {
            if (r < rows) {
_Pragma("omp simd")
                for (int64_t j = 0; j < cols; j++) Y[r * cols + j] = X[r * cols + j] + B[j];
            } else {
                memcpy(Y + r * cols, X + r * cols, (size_t)cols * sizeof(T));
            }
        }
    });
    return y;
}

/* A node shaped like the larger operand of a broadcasting binary op. */
static nt_tensor *binary_node(nt_tape *t, nt_tensor *a, nt_tensor *b, nt_op op)
{
    same_dtype(a, b);
    NT_ASSERT(a->size == b->size || a->size == 1 || b->size == 1,
              "elementwise op needs equal sizes or a size-1 operand");
    nt_tensor *big = (a->size >= b->size) ? a : b;
    return node_new_nd(t, a->dtype, big->ndim, big->shape, op, a, b, NULL);
}

#define BINARY_LOOP(T, EXPR)                                                           \
    do {                                                                               \
        const T *A = a->data, *B = b->data;                                            \
        T *Y = y->data;                                                                \
        int64_t n = y->size;                                                           \
        int64_t sa = a->size == 1 ? 0 : 1, sb = b->size == 1 ? 0 : 1;                  \
        _Pragma("omp parallel for simd schedule(static) if (n >= NT_PAR_MIN)")         \
        for (int64_t i = 0; i < n; i++) {                                              \
            T av = A[i * sa], bv = B[i * sb];                                          \
            Y[i] = EXPR;                                                               \
        }                                                                              \
    } while (0)

nt_tensor *nt_add(nt_tape *t, nt_tensor *a, nt_tensor *b)
{
    nt_tensor *y = binary_node(t, a, b, NT_OP_ADD);
    if (y) NT_DISPATCH(a->dtype, T, { BINARY_LOOP(T, av + bv); });
    return y;
}

nt_tensor *nt_sub(nt_tape *t, nt_tensor *a, nt_tensor *b)
{
    nt_tensor *y = binary_node(t, a, b, NT_OP_SUB);
    if (y) NT_DISPATCH(a->dtype, T, { BINARY_LOOP(T, av - bv); });
    return y;
}

nt_tensor *nt_mul(nt_tape *t, nt_tensor *a, nt_tensor *b)
{
    nt_tensor *y = binary_node(t, a, b, NT_OP_MUL);
    if (y) NT_DISPATCH(a->dtype, T, { BINARY_LOOP(T, av * bv); });
    return y;
}

nt_tensor *nt_div(nt_tape *t, nt_tensor *a, nt_tensor *b)
{
    nt_tensor *y = binary_node(t, a, b, NT_OP_DIV);
    if (y) NT_DISPATCH(a->dtype, T, { BINARY_LOOP(T, av / bv); });
    return y;
}

static nt_tensor *unary_node(nt_tape *t, nt_tensor *a, nt_op op)
{
    return node_new_nd(t, a->dtype, a->ndim, a->shape, op, a, NULL, NULL);
}

#define UNARY_LOOP(T, EXPR)                                                            \
    do {                                                                               \
        const T *A = a->data;                                                          \
        T *Y = y->data;                                                                \
        int64_t n = y->size;                                                           \
        _Pragma("omp parallel for simd schedule(static) if (n >= NT_PAR_MIN)")         \
        for (int64_t i = 0; i < n; i++) {                                              \
            T av = A[i];                                                               \
            Y[i] = EXPR;                                                               \
        }                                                                              \
    } while (0)

nt_tensor *nt_scale(nt_tape *t, nt_tensor *a, double mul, double add)
{
    nt_tensor *y = unary_node(t, a, NT_OP_SCALE);
    if (!y) return NULL;
    y->dparam[0] = mul;
    y->dparam[1] = add;
    NT_DISPATCH(a->dtype, T, {
        T m = (T)mul, c = (T)add;
        UNARY_LOOP(T, av * m + c);
    });
    return y;
}

nt_tensor *nt_pow(nt_tape *t, nt_tensor *a, double p)
{
    nt_tensor *y = unary_node(t, a, NT_OP_POW);
    if (!y) return NULL;
    y->dparam[0] = p;
    NT_DISPATCH(a->dtype, T, {
        T pp = (T)p;
        UNARY_LOOP(T, pow(av, pp));
    });
    return y;
}

nt_tensor *nt_log(nt_tape *t, nt_tensor *a)
{
    nt_tensor *y = unary_node(t, a, NT_OP_LOG);
    if (y) NT_DISPATCH(a->dtype, T, { UNARY_LOOP(T, log(av)); });
    return y;
}

/* σ⁽ᵏ⁾ of every element, in tiles. */
static void act_apply(nt_dtype dt, nt_act act, int k, const void *x, void *y, int64_t n)
{
    NT_DISPATCH(dt, T, {
        const T *X = x;
        T *Y = y;
        int64_t ntiles = (n + NT_ACT_TILE - 1) / NT_ACT_TILE;
_Pragma("omp parallel for schedule(static) if (n >= NT_PAR_MIN)")
        for (int64_t ti = 0; ti < ntiles; ti++) {
            T d[(NT_ACT_MAX_ORDER + 1) * NT_ACT_TILE];
            int64_t i0 = ti * NT_ACT_TILE;
            int L = (int)NT_MIN((int64_t)NT_ACT_TILE, n - i0);
            nt_act_derivs(act, k, k, X + i0, L, d);
            memcpy(Y + i0, d + (size_t)k * L, (size_t)L * sizeof(T));
        }
    });
}

nt_tensor *nt_act_apply(nt_tape *t, nt_tensor *a, nt_act act, int order)
{
    NT_ASSERT(order >= 0 && order < NT_ACT_MAX_ORDER, "activation derivative order out of range");
    nt_tensor *y = unary_node(t, a, NT_OP_ACT);
    if (!y) return NULL;
    y->iparam[0] = act;
    y->iparam[1] = order;
    act_apply(a->dtype, act, order, a->data, y->data, a->size);
    return y;
}

nt_tensor *nt_exp(nt_tape *t, nt_tensor *a) { return nt_act_apply(t, a, NT_ACT_EXP, 0); }
nt_tensor *nt_sin(nt_tape *t, nt_tensor *a) { return nt_act_apply(t, a, NT_ACT_SIN, 0); }
nt_tensor *nt_cos(nt_tape *t, nt_tensor *a) { return nt_act_apply(t, a, NT_ACT_COS, 0); }
nt_tensor *nt_tanh(nt_tape *t, nt_tensor *a) { return nt_act_apply(t, a, NT_ACT_TANH, 0); }
nt_tensor *nt_sigmoid(nt_tape *t, nt_tensor *a) { return nt_act_apply(t, a, NT_ACT_SIGMOID, 0); }
nt_tensor *nt_gelu(nt_tape *t, nt_tensor *a) { return nt_act_apply(t, a, NT_ACT_GELU, 0); }
nt_tensor *nt_swish(nt_tape *t, nt_tensor *a) { return nt_act_apply(t, a, NT_ACT_SWISH, 0); }

static nt_tensor *reduce_node(nt_tape *t, nt_tensor *a, nt_op op)
{
    int64_t one = 1;
    nt_tensor *y = node_new_nd(t, a->dtype, 1, &one, op, a, NULL, NULL);
    if (!y) return NULL;
    double v = 0;
    double n = (double)(a->size ? a->size : 1);
    if (op == NT_OP_SUM) v = nt_red_dot(a->dtype, a->data, NULL, a->size);
    else if (op == NT_OP_MEAN) v = nt_red_dot(a->dtype, a->data, NULL, a->size) / n;
    else v = nt_red_dot(a->dtype, a->data, a->data, a->size) / n;
    nt_tensor_set(y, 0, v);
    return y;
}

nt_tensor *nt_sum(nt_tape *t, nt_tensor *a) { return reduce_node(t, a, NT_OP_SUM); }
nt_tensor *nt_mean(nt_tape *t, nt_tensor *a) { return reduce_node(t, a, NT_OP_MEAN); }
nt_tensor *nt_mean_sq(nt_tape *t, nt_tensor *a) { return reduce_node(t, a, NT_OP_SUMSQ_MEAN); }

/* Copies a rows×cols block between row-major matrices with leading dims. */
static void copy_block(size_t es, const char *src, int64_t lds, char *dst, int64_t ldd,
                       int64_t rows, int64_t cols, int add, nt_dtype dt)
{
    for (int64_t r = 0; r < rows; r++) {
        const char *s = src + (size_t)(r * lds) * es;
        char *d = dst + (size_t)(r * ldd) * es;
        if (!add) {
            memcpy(d, s, (size_t)cols * es);
        } else {
            NT_DISPATCH(dt, T, {
                const T *S = (const T *)s;
                T *D = (T *)d;
_Pragma("omp simd")
                for (int64_t j = 0; j < cols; j++) D[j] += S[j];
            });
        }
    }
}

nt_tensor *nt_concat(nt_tape *t, nt_tensor *a, nt_tensor *b, int axis)
{
    same_dtype(a, b);
    NT_ASSERT(axis == 0 || axis == 1, "concat axis must be 0 or 1");
    int64_t ra = nt_tensor_rows(a), ca = nt_tensor_cols(a);
    int64_t rb = nt_tensor_rows(b), cb = nt_tensor_cols(b);
    NT_ASSERT(axis == 0 ? ca == cb : ra == rb, "concat shapes differ off the axis");
    int64_t rows = axis == 0 ? ra + rb : ra, cols = axis == 0 ? ca : ca + cb;
    nt_tensor *y = nt_node_new(t, a->dtype, rows, cols, NT_OP_CONCAT, a, b, NULL);
    if (!y) return NULL;
    y->iparam[0] = axis;
    size_t es = nt_dtype_size(a->dtype);
    copy_block(es, a->data, ca, y->data, cols, ra, ca, 0, a->dtype);
    if (axis == 0) copy_block(es, b->data, cb, (char *)y->data + (size_t)(ra * cols) * es, cols,
                              rb, cb, 0, a->dtype);
    else copy_block(es, b->data, cb, (char *)y->data + (size_t)ca * es, cols, rb, cb, 0, a->dtype);
    return y;
}

nt_tensor *nt_slice2(nt_tape *t, nt_tensor *a, int64_t r0, int64_t r1, int64_t c0, int64_t c1)
{
    int64_t rows = nt_tensor_rows(a), cols = nt_tensor_cols(a);
    NT_ASSERT(0 <= r0 && r0 <= r1 && r1 <= rows, "slice rows out of range");
    NT_ASSERT(0 <= c0 && c0 <= c1 && c1 <= cols, "slice cols out of range");
    nt_tensor *y = nt_node_new(t, a->dtype, r1 - r0, c1 - c0, NT_OP_SLICE, a, NULL, NULL);
    if (!y) return NULL;
    y->iparam[0] = r0;
    y->iparam[1] = r1;
    y->iparam[2] = c0;
    y->iparam[3] = c1;
    size_t es = nt_dtype_size(a->dtype);
    copy_block(es, (const char *)a->data + (size_t)(r0 * cols + c0) * es, cols, y->data, c1 - c0,
               r1 - r0, c1 - c0, 0, a->dtype);
    return y;
}

nt_tensor *nt_slice(nt_tape *t, nt_tensor *a, int axis, int64_t begin, int64_t end)
{
    NT_ASSERT(axis == 0 || axis == 1, "slice axis must be 0 or 1");
    if (axis == 0) return nt_slice2(t, a, begin, end, 0, nt_tensor_cols(a));
    return nt_slice2(t, a, 0, nt_tensor_rows(a), begin, end);
}

/* ---------------------------------------------------------------------------- */
/* Ops: backward. Each adds d(loss)/d(input) into its inputs' grads.             */

/* ga += g·f(a, b, y) over a broadcasting binary op; sides of size 1 get a sum. */
#define BINARY_BWD(T, GA_EXPR, GB_EXPR)                                                \
    do {                                                                               \
        const T *A = a->data, *B = b->data, *G = y->grad;                              \
        int64_t n = y->size;                                                           \
        int64_t sa = a->size == 1 ? 0 : 1, sb = b->size == 1 ? 0 : 1;                  \
        T *GA = nt_grad_of(t, a), *GB = nt_grad_of(t, b);                              \
        if (GA) {                                                                      \
            if (sa) {                                                                  \
                _Pragma("omp parallel for simd schedule(static) if (n >= NT_PAR_MIN)") \
                for (int64_t i = 0; i < n; i++) {                                      \
                    T av = A[i], bv = B[i * sb], g = G[i];                             \
                    (void)av; (void)bv;                                                \
                    GA[i] += GA_EXPR;                                                  \
                }                                                                      \
            } else {                                                                   \
                double s = 0;                                                          \
                for (int64_t i = 0; i < n; i++) {                                      \
                    T av = A[0], bv = B[i * sb], g = G[i];                             \
                    (void)av; (void)bv;                                                \
                    s += (double)(GA_EXPR);                                            \
                }                                                                      \
                GA[0] += (T)s;                                                         \
            }                                                                          \
        }                                                                              \
        if (GB) {                                                                      \
            if (sb) {                                                                  \
                _Pragma("omp parallel for simd schedule(static) if (n >= NT_PAR_MIN)") \
                for (int64_t i = 0; i < n; i++) {                                      \
                    T av = A[i * sa], bv = B[i], g = G[i];                             \
                    (void)av; (void)bv;                                                \
                    GB[i] += GB_EXPR;                                                  \
                }                                                                      \
            } else {                                                                   \
                double s = 0;                                                          \
                for (int64_t i = 0; i < n; i++) {                                      \
                    T av = A[i * sa], bv = B[0], g = G[i];                             \
                    (void)av; (void)bv;                                                \
                    s += (double)(GB_EXPR);                                            \
                }                                                                      \
                GB[0] += (T)s;                                                         \
            }                                                                          \
        }                                                                              \
    } while (0)

static void backward_node(nt_tape *t, nt_tensor *y)
{
    nt_tensor *a = y->src[0], *b = y->src[1];
    nt_dtype dt = y->dtype;
    size_t es = nt_dtype_size(dt);
    switch ((nt_op)y->op) {
    case NT_OP_MATMUL: {
        int tb = (int)y->iparam[0];
        int64_t m = nt_tensor_rows(a), k = nt_tensor_cols(a), n = nt_tensor_cols(y);
        void *ga = nt_grad_of(t, a), *gb = nt_grad_of(t, b);
        /* dA = dC·op(B)ᵀ ; dB = Aᵀ·dC (or dCᵀ·A when B was transposed) */
        if (ga) gemm(t, dt, 0, !tb, m, k, n, y->grad, n, b->data, tb ? k : n, 1, ga, k);
        if (gb) {
            if (tb) gemm(t, dt, 1, 0, n, k, m, y->grad, n, a->data, k, 1, gb, k);
            else gemm(t, dt, 1, 0, k, n, m, a->data, k, y->grad, n, 1, gb, n);
        }
        break;
    }
    case NT_OP_LINEAR: {
        nt_tensor *W = b, *bias = y->src[2];
        int64_t n = nt_tensor_rows(a), in = nt_tensor_cols(a), out = nt_tensor_rows(W);
        int accx;
        void *gx = nt_grad_full(t, a, &accx), *gw = nt_grad_of(t, W), *gbias = nt_grad_of(t, bias);
        if (gx) gemm(t, dt, 0, 0, n, in, out, y->grad, out, W->data, in, accx, gx, in);
        if (gw) gemm(t, dt, 1, 0, out, in, n, y->grad, out, a->data, in, 1, gw, in);
        if (gbias && y->iparam[0] > 0) nt_red_colsum_add(t, dt, y->grad, y->iparam[0], out, gbias);
        break;
    }
    case NT_OP_BIAS: {
        int64_t n = nt_tensor_rows(a), cols = nt_tensor_cols(a);
        void *gx = nt_grad_of(t, a), *gbias = nt_grad_of(t, b);
        if (gx) copy_block(es, y->grad, cols, gx, cols, n, cols, 1, dt);
        if (gbias && y->iparam[0] > 0) nt_red_colsum_add(t, dt, y->grad, y->iparam[0], cols, gbias);
        break;
    }
    case NT_OP_ADD:
        NT_DISPATCH(dt, T, { BINARY_BWD(T, g, g); });
        break;
    case NT_OP_SUB:
        NT_DISPATCH(dt, T, { BINARY_BWD(T, g, -g); });
        break;
    case NT_OP_MUL:
        NT_DISPATCH(dt, T, { BINARY_BWD(T, g * bv, g * av); });
        break;
    case NT_OP_DIV:
        NT_DISPATCH(dt, T, { BINARY_BWD(T, g / bv, -g * av / (bv * bv)); });
        break;
    case NT_OP_SCALE: {
        void *ga = nt_grad_of(t, a);
        if (!ga) break;
        NT_DISPATCH(dt, T, {
            const T *G = y->grad;
            T *GA = ga, m = (T)y->dparam[0];
            int64_t n = y->size;
_Pragma("omp parallel for simd schedule(static) if (n >= NT_PAR_MIN)")
            for (int64_t i = 0; i < n; i++) GA[i] += m * G[i];
        });
        break;
    }
    case NT_OP_POW: {
        void *ga = nt_grad_of(t, a);
        if (!ga) break;
        NT_DISPATCH(dt, T, {
            const T *G = y->grad, *A = a->data;
            T *GA = ga, p = (T)y->dparam[0];
            int64_t n = y->size;
            for (int64_t i = 0; i < n; i++) GA[i] += G[i] * p * pow(A[i], p - (T)1);
        });
        break;
    }
    case NT_OP_LOG: {
        void *ga = nt_grad_of(t, a);
        if (!ga) break;
        NT_DISPATCH(dt, T, {
            const T *G = y->grad, *A = a->data;
            T *GA = ga;
            int64_t n = y->size;
_Pragma("omp parallel for simd schedule(static) if (n >= NT_PAR_MIN)")
            for (int64_t i = 0; i < n; i++) GA[i] += G[i] / A[i];
        });
        break;
    }
    case NT_OP_ACT: {
        void *ga = nt_grad_of(t, a);
        if (!ga) break;
        nt_act act = (nt_act)y->iparam[0];
        int k = (int)y->iparam[1] + 1;
        NT_DISPATCH(dt, T, {
            const T *G = y->grad, *A = a->data;
            T *GA = ga;
            int64_t n = y->size;
            int64_t ntiles = (n + NT_ACT_TILE - 1) / NT_ACT_TILE;
_Pragma("omp parallel for schedule(static) if (n >= NT_PAR_MIN)")
            for (int64_t ti = 0; ti < ntiles; ti++) {
                T d[(NT_ACT_MAX_ORDER + 1) * NT_ACT_TILE];
                int64_t i0 = ti * NT_ACT_TILE;
                int L = (int)NT_MIN((int64_t)NT_ACT_TILE, n - i0);
                nt_act_derivs(act, k, k, A + i0, L, d);
                const T *dk = d + (size_t)k * L;
_Pragma("omp simd")
                for (int j = 0; j < L; j++) GA[i0 + j] += G[i0 + j] * dk[j];
            }
        });
        break;
    }
    case NT_OP_SUM:
    case NT_OP_MEAN:
    case NT_OP_SUMSQ_MEAN: {
        void *ga = nt_grad_of(t, a);
        if (!ga) break;
        double g0 = nt_tensor_grad_get(y, 0);
        double inv = y->op == NT_OP_SUM ? 1.0 : 1.0 / (double)(a->size ? a->size : 1);
        NT_DISPATCH(dt, T, {
            const T *A = a->data;
            T *GA = ga;
            int64_t n = a->size;
            if (y->op == NT_OP_SUMSQ_MEAN) {
                T c = (T)(2.0 * g0 * inv);
_Pragma("omp parallel for simd schedule(static) if (n >= NT_PAR_MIN)")
                for (int64_t i = 0; i < n; i++) GA[i] += c * A[i];
            } else {
                T c = (T)(g0 * inv);
_Pragma("omp parallel for simd schedule(static) if (n >= NT_PAR_MIN)")
                for (int64_t i = 0; i < n; i++) GA[i] += c;
            }
        });
        break;
    }
    case NT_OP_CONCAT: {
        int axis = (int)y->iparam[0];
        int64_t ra = nt_tensor_rows(a), ca = nt_tensor_cols(a);
        int64_t rb = nt_tensor_rows(b), cb = nt_tensor_cols(b), cols = nt_tensor_cols(y);
        void *ga = nt_grad_of(t, a), *gb = nt_grad_of(t, b);
        if (ga) copy_block(es, y->grad, cols, ga, ca, ra, ca, 1, dt);
        if (gb) {
            const char *src = axis == 0 ? (const char *)y->grad + (size_t)(ra * cols) * es
                                        : (const char *)y->grad + (size_t)ca * es;
            copy_block(es, src, cols, gb, cb, rb, cb, 1, dt);
        }
        break;
    }
    case NT_OP_SLICE: {
        void *ga = nt_grad_of(t, a);
        if (!ga) break;
        int64_t cols = nt_tensor_cols(a);
        int64_t r0 = y->iparam[0], r1 = y->iparam[1], c0 = y->iparam[2], c1 = y->iparam[3];
        copy_block(es, y->grad, c1 - c0, (char *)ga + (size_t)(r0 * cols + c0) * es, cols, r1 - r0,
                   c1 - c0, 1, dt);
        break;
    }
    case NT_OP_JET_ACT:
        nt_jet_act_backward(t, y);
        break;
    case NT_OP_JET_MUL:
        nt_jet_mul_backward(t, y);
        break;
    case NT_OP_SPECCONV:
        nt_specconv_backward(t, y);
        break;
    case NT_OP_NONE:
    case NT_OP_COUNT:
        break;
    }
}

nt_status nt_tape_backward(nt_tape *t, nt_tensor *loss)
{
    NT_ASSERT(loss->size == 1, "backward starts from a scalar");
    if (!(loss->flags & NT_TENSOR_REQUIRES_GRAD))
        return nt_set_error(NT_ERR_ARG, "the loss does not depend on any parameter");
    void *g = nt_grad_of(t, loss);
    if (!g) return nt_set_error(NT_ERR_NOMEM, "out of memory in backward");
    nt_tensor_set(&(nt_tensor){.dtype = loss->dtype, .size = 1, .data = g}, 0, 1.0);
    for (int64_t i = t->n_nodes - 1; i >= 0; i--) {
        nt_tensor *y = t->nodes[i];
        if (y->grad) backward_node(t, y);
    }
    return NT_OK;
}

/* specconv.c — the spectral convolution of the Fourier Neural Operator as a tape op.
 *
 * Layout. A field on a grid is a 2-D tensor with batch·sx·sy rows and `channels`
 * columns, rows ordered (b, jx, jy): the row-major array [batch][sx][sy][channels]
 * ("channels last", so pointwise layers are plain nt_linear calls). A 1-D field of
 * length s is the case sx = 1, sy = s.
 *
 * The op. For each sample b and channel i, with N = sx·sy and θ = 2π(kx·jx/sx + ky·jy/sy),
 *   X[kx,ky,i] = Σ_j x[j,i] e^{−iθ}                               (the real FFT)
 *   Y[kx,ky,o] = Σ_i X[kx,ky,i] · W[i,o,kx,ky]                    (kept modes only)
 *   y[j,o]     = (1/N) Σ_{kx ∈ K1, ky < m2} c_ky · Re(Y[kx,ky,o] e^{+iθ})
 * where c_ky = 1 for ky = 0 and for ky = sy/2 (sy even), else 2 (the half spectrum
 * stands for its Hermitian mirror), K1 = {0} in 1-D and {0..m1−1} ∪ {sx−m1..sx−1} in
 * 2-D (the FNO paper's two corner blocks). This is irfft(out_ft) of the paper with
 * the imaginary parts that a Hermitian inverse cannot represent dropped: the
 * imaginary part of the ky = 0 (and Nyquist) column is removed after the inverse
 * transform along x, so the result does not depend on how FFTW treats a
 * non-Hermitian input.
 *
 * Weights. W is a (c_in × c_out·M·2) tensor, the row-major array
 * [c_in][c_out][M][re, im] with M = modes in 1-D and M = 2·m1·m2 in 2-D, the mode
 * index being a·m2 + ky where kx = a for a < m1 and kx = sx − 2·m1 + a for a ≥ m1.
 *
 * Backward. With ĝ = the same forward transform applied to g = dL/dy,
 *   G = (c_ky/N)·ĝ is dL/dY (as dL/dRe + i·dL/dIm),
 *   dL/dW[i,o,k] = Σ_b conj(X[b,k,i])·G[b,k,o]          (the factor c_ky = 2 of the
 *                                                        non-DC/non-Nyquist modes)
 *   dL/dX = G·Wᴴ, and dL/dx = Σ_k Re(dL/dX·e^{+iθ}) = the inverse pipeline applied to
 *   (1/N)·ĝ·Wᴴ (the c_ky of G cancels against the inverse transform's own c_ky).
 *
 * Computation. Per sample: an r2c along y on [sx][sy][C] (all channels at once,
 * FFTW guru interface), a complex DFT along x on the m2 kept ky columns (2-D only),
 * then a gather of the kept modes into [M][batch][C]; the mode mixing is one complex
 * GEMM per mode; the inverse runs the same steps backwards. Samples run in parallel
 * (OpenMP), FFTs are in double for both dtypes (float32 tensors are converted; the
 * library links fftw3, not fftw3f). Plans are created once per (sx, sy, m2, C) under
 * a mutex and reused (FFTW_ESTIMATE: deterministic plans, no planning time). */
#include "ad/ad_internal.h"
#include "ad/specconv.h"

#include <cblas.h> /* includes <complex.h>: fftw_complex is double _Complex here */
#include <fftw3.h>
#include <limits.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------- */
/* Plan cache                                                                     */

typedef struct sc_plans {
    int64_t sx, sy, m2, C;
    fftw_plan r2c;   /* [sx][sy][C] real -> [sx][hy][C] complex, along y */
    fftw_plan c2r;   /* the inverse (unnormalized), destroys its input */
    fftw_plan xf;    /* in place along x on the first m2·C columns, forward; NULL in 1-D */
    fftw_plan xb;    /* same, backward */
    struct sc_plans *next;
} sc_plans;

static pthread_mutex_t g_plan_lock = PTHREAD_MUTEX_INITIALIZER;
static sc_plans *g_plans;
static int64_t g_plan_count;

int64_t nt_specconv_plan_count(void)
{
    pthread_mutex_lock(&g_plan_lock);
    int64_t n = g_plan_count;
    pthread_mutex_unlock(&g_plan_lock);
    return n;
}

/* Scratch strides rounded to 8 elements so every per-thread buffer keeps the
 * fftw_malloc alignment the plans were made with. */
static int64_t round8(int64_t n) { return (n + 7) / 8 * 8; }

static void plans_destroy(sc_plans *p)
{
    if (p->r2c) fftw_destroy_plan(p->r2c);
    if (p->c2r) fftw_destroy_plan(p->c2r);
    if (p->xf) fftw_destroy_plan(p->xf);
    if (p->xb) fftw_destroy_plan(p->xb);
    free(p);
}

static const sc_plans *plans_get(int64_t sx, int64_t sy, int64_t m2, int64_t C)
{
    pthread_mutex_lock(&g_plan_lock);
    sc_plans *p = g_plans;
    while (p && !(p->sx == sx && p->sy == sy && p->m2 == m2 && p->C == C)) p = p->next;
    if (p) {
        pthread_mutex_unlock(&g_plan_lock);
        return p;
    }
    int64_t hy = sy / 2 + 1;
    double *r = fftw_malloc((size_t)round8(sx * sy * C) * sizeof(double));
    fftw_complex *c = fftw_malloc((size_t)round8(sx * hy * C) * sizeof(fftw_complex));
    p = calloc(1, sizeof *p);
    if (p && r && c) {
        p->sx = sx;
        p->sy = sy;
        p->m2 = m2;
        p->C = C;
        fftw_iodim d = {(int)sy, (int)C, (int)C};
        fftw_iodim hf[2] = {{(int)sx, (int)(sy * C), (int)(hy * C)}, {(int)C, 1, 1}};
        fftw_iodim hb[2] = {{(int)sx, (int)(hy * C), (int)(sy * C)}, {(int)C, 1, 1}};
        p->r2c = fftw_plan_guru_dft_r2c(1, &d, 2, hf, r, c, FFTW_ESTIMATE);
        p->c2r = fftw_plan_guru_dft_c2r(1, &d, 2, hb, c, r, FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
        int ok = p->r2c && p->c2r;
        if (sx > 1) {
            fftw_iodim dx = {(int)sx, (int)(hy * C), (int)(hy * C)};
            fftw_iodim hx = {(int)(m2 * C), 1, 1};
            p->xf = fftw_plan_guru_dft(1, &dx, 1, &hx, c, c, FFTW_FORWARD, FFTW_ESTIMATE);
            p->xb = fftw_plan_guru_dft(1, &dx, 1, &hx, c, c, FFTW_BACKWARD, FFTW_ESTIMATE);
            ok = ok && p->xf && p->xb;
        }
        if (ok) {
            p->next = g_plans;
            g_plans = p;
            g_plan_count++;
        } else {
            plans_destroy(p);
            p = NULL;
        }
    } else {
        free(p);
        p = NULL;
    }
    fftw_free(r);
    fftw_free(c);
    pthread_mutex_unlock(&g_plan_lock);
    if (!p)
        nt_set_error(NT_ERR_NOMEM, "spectral conv: cannot create FFTW plans for a %lld x %lld grid "
                     "with %lld channels", (long long)sx, (long long)sy, (long long)C);
    return p;
}

/* ---------------------------------------------------------------------------- */
/* Transforms between a field [B][sx][sy][C] and its kept modes [M][B][C]        */

typedef struct sc_geom {
    int64_t B, sx, sy, hy, m1, m2, nkx, M, N;
} sc_geom;

static sc_geom geom_make(int64_t rows, int64_t sx, int64_t sy, int64_t m1, int64_t m2)
{
    sc_geom g;
    g.sx = sx;
    g.sy = sy;
    g.hy = sy / 2 + 1;
    g.m1 = m1 > 0 ? m1 : 1;
    g.m2 = m2;
    g.nkx = m1 > 0 ? 2 * m1 : 1;
    g.M = g.nkx * m2;
    g.N = sx * sy;
    g.B = rows / g.N;
    return g;
}

/* The kx of kept row a (a < nkx). */
static int64_t kx_of(const sc_geom *g, int64_t a) { return a < g->m1 ? a : g->sx - g->nkx + a; }

/* Per-thread FFT scratch: nth × (one real slab + one half-spectrum slab). */
typedef struct sc_scratch {
    int nth;
    int64_t rs, cs;  /* strides in elements */
    double *r;
    fftw_complex *c;
} sc_scratch;

static int scratch_init(sc_scratch *s, const sc_geom *g, int64_t C)
{
    int nth = g->B * g->N * C >= NT_PAR_MIN ? omp_get_max_threads() : 1;
    if (nth > g->B) nth = (int)g->B;
    if (nth < 1) nth = 1;
    s->nth = nth;
    s->rs = round8(g->N * C);
    s->cs = round8(g->sx * g->hy * C);
    s->r = fftw_malloc((size_t)(nth * s->rs) * sizeof(double));
    s->c = fftw_malloc((size_t)(nth * s->cs) * sizeof(fftw_complex));
    return s->r && s->c;
}

static void scratch_free(sc_scratch *s)
{
    fftw_free(s->r);
    fftw_free(s->c);
}

/* spec[((a·m2 + ky)·B + b)·C + ch] = X of field src (dtype dt) at (kx_of(a), ky). */
static void spec_forward(const sc_geom *g, const sc_plans *p, nt_dtype dt, const void *src,
                         int64_t C, double *spec)
{
    sc_scratch s;
    NT_ASSERT(scratch_init(&s, g, C), "out of memory for FFT scratch");
    int64_t slab = g->N * C, hy = g->hy, B = g->B;
_Pragma("omp parallel for schedule(static) num_threads(s.nth) if (s.nth > 1)")
    for (int64_t b = 0; b < B; b++) {
        int tid = omp_get_thread_num();
        double *r = s.r + tid * s.rs;
        fftw_complex *c = s.c + tid * s.cs;
        if (dt == NT_F64) {
            memcpy(r, (const double *)src + b * slab, (size_t)slab * sizeof(double));
        } else {
            const float *f = (const float *)src + b * slab;
            for (int64_t i = 0; i < slab; i++) r[i] = (double)f[i];
        }
        fftw_execute_dft_r2c(p->r2c, r, c);
        if (p->xf) fftw_execute_dft(p->xf, c, c);
        for (int64_t a = 0; a < g->nkx; a++) {
            int64_t kx = kx_of(g, a);
            for (int64_t ky = 0; ky < g->m2; ky++)
                memcpy(spec + 2 * (((a * g->m2 + ky) * B + b) * C), c + (kx * hy + ky) * C,
                       (size_t)C * sizeof(fftw_complex));
        }
    }
    scratch_free(&s);
}

/* dst (dtype dt, [B][sx][sy][C]) = or += scale · Σ_k c_ky Re(spec[k] e^{+iθ}). */
static void spec_inverse(const sc_geom *g, const sc_plans *p, const double *spec, int64_t C,
                         double scale, nt_dtype dt, void *dst, int acc)
{
    sc_scratch s;
    NT_ASSERT(scratch_init(&s, g, C), "out of memory for FFT scratch");
    int64_t slab = g->N * C, hy = g->hy, B = g->B;
    int nyq = g->sy % 2 == 0 && g->sy / 2 < g->m2;
_Pragma("omp parallel for schedule(static) num_threads(s.nth) if (s.nth > 1)")
    for (int64_t b = 0; b < B; b++) {
        int tid = omp_get_thread_num();
        double *r = s.r + tid * s.rs;
        fftw_complex *c = s.c + tid * s.cs;
        memset(c, 0, (size_t)(g->sx * hy * C) * sizeof(fftw_complex));
        for (int64_t a = 0; a < g->nkx; a++) {
            int64_t kx = kx_of(g, a);
            for (int64_t ky = 0; ky < g->m2; ky++)
                memcpy(c + (kx * hy + ky) * C, spec + 2 * (((a * g->m2 + ky) * B + b) * C),
                       (size_t)C * sizeof(fftw_complex));
        }
        if (p->xb) fftw_execute_dft(p->xb, c, c);
        /* Re(·) of the ky = 0 and Nyquist columns: their imaginary parts have no
         * Hermitian counterpart (see the top of the file). */
        for (int64_t jx = 0; jx < g->sx; jx++) {
            double *c0 = (double *)(c + jx * hy * C); /* interleaved (re, im) */
            for (int64_t ch = 0; ch < C; ch++) c0[2 * ch + 1] = 0;
            if (nyq) {
                double *cn = (double *)(c + (jx * hy + g->sy / 2) * C);
                for (int64_t ch = 0; ch < C; ch++) cn[2 * ch + 1] = 0;
            }
        }
        fftw_execute_dft_c2r(p->c2r, c, r);
        if (dt == NT_F64) {
            double *d = (double *)dst + b * slab;
            if (acc)
                for (int64_t i = 0; i < slab; i++) d[i] += scale * r[i];
            else
                for (int64_t i = 0; i < slab; i++) d[i] = scale * r[i];
        } else {
            float *d = (float *)dst + b * slab;
            if (acc)
                for (int64_t i = 0; i < slab; i++) d[i] = (float)((double)d[i] + scale * r[i]);
            else
                for (int64_t i = 0; i < slab; i++) d[i] = (float)(scale * r[i]);
        }
    }
    scratch_free(&s);
}

/* Wp[((k·Ci + i)·Co + o)] (complex double) = W[i][o][k] (dtype of W). */
static double *weights_pack(const nt_tensor *W, int64_t Ci, int64_t Co, int64_t M)
{
    double *wp = malloc((size_t)(2 * M * Ci * Co) * sizeof(double));
    NT_ASSERT(wp != NULL, "out of memory packing spectral weights");
    NT_DISPATCH(W->dtype, T, {
        const T *w = W->data;
        for (int64_t i = 0; i < Ci; i++)
            for (int64_t o = 0; o < Co; o++) {
                const T *src = w + 2 * (i * Co + o) * M;
                for (int64_t k = 0; k < M; k++) {
                    wp[2 * ((k * Ci + i) * Co + o)] = (double)src[2 * k];
                    wp[2 * ((k * Ci + i) * Co + o) + 1] = (double)src[2 * k + 1];
                }
            }
    });
    return wp;
}

/* ---------------------------------------------------------------------------- */
/* The op                                                                         */

static nt_tensor *specconv(nt_tape *t, nt_tensor *x, nt_tensor *W, int64_t sx, int64_t sy,
                           int m1, int m2)
{
    NT_ASSERT(x->dtype == W->dtype, "spectral conv: x and W must share a dtype");
    NT_ASSERT(sx >= 1 && sy >= 1, "spectral conv: grid sizes must be positive");
    NT_ASSERT(m2 >= 1 && m2 <= sy / 2 + 1, "spectral conv: modes (last axis) must be in [1, s/2+1]");
    NT_ASSERT(m1 == 0 || (m1 >= 1 && 2 * (int64_t)m1 <= sx),
              "spectral conv: modes1 must be in [1, sx/2]");
    int64_t rows = nt_tensor_rows(x), Ci = nt_tensor_cols(x);
    NT_ASSERT(rows % (sx * sy) == 0, "spectral conv: rows must be batch·sx·sy");
    NT_ASSERT(sx * sy * NT_MAX(Ci, (int64_t)1) < INT_MAX / 2, "spectral conv: grid too large");
    sc_geom g = geom_make(rows, sx, sy, m1, m2);
    NT_ASSERT(nt_tensor_rows(W) == Ci && nt_tensor_cols(W) % (2 * g.M) == 0,
              "spectral conv: W must be (c_in × c_out·modes·2)");
    int64_t Co = nt_tensor_cols(W) / (2 * g.M);
    NT_ASSERT(Co >= 1, "spectral conv: c_out must be positive");

    const sc_plans *pin = plans_get(sx, sy, m2, Ci), *pout = pin ? plans_get(sx, sy, m2, Co) : NULL;
    if (!pin || !pout) return NULL;
    nt_tensor *y = nt_node_new(t, x->dtype, rows, Co, NT_OP_SPECCONV, x, W, NULL);
    if (!y) return NULL;
    y->iparam[0] = sx;
    y->iparam[1] = sy;
    y->iparam[2] = m1;
    y->iparam[3] = m2;
    if (g.B == 0) return y;

    /* The kept modes of x are what dL/dW needs: keep them in the arena. */
    int keep = (y->flags & NT_TENSOR_REQUIRES_GRAD) && (W->flags & NT_TENSOR_REQUIRES_GRAD);
    size_t xb = (size_t)(2 * g.M * g.B * Ci) * sizeof(double);
    double *Xh = keep ? nt_arena_alloc(&t->arena, xb) : malloc(xb);
    double *Yh = malloc((size_t)(2 * g.M * g.B * Co) * sizeof(double));
    if (!Xh || !Yh) {
        if (!keep) free(Xh);
        free(Yh);
        nt_set_error(NT_ERR_NOMEM, "out of memory in spectral conv");
        return NULL;
    }
    spec_forward(&g, pin, x->dtype, x->data, Ci, Xh);
    double *Wp = weights_pack(W, Ci, Co, g.M);
    const double one[2] = {1, 0}, zero[2] = {0, 0};
    for (int64_t k = 0; k < g.M; k++)
        cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g.B, (int)Co, (int)Ci, one,
                    Xh + 2 * k * g.B * Ci, (int)Ci, Wp + 2 * k * Ci * Co, (int)Co, zero,
                    Yh + 2 * k * g.B * Co, (int)Co);
    spec_inverse(&g, pout, Yh, Co, 1.0 / (double)g.N, y->dtype, y->data, 0);
    free(Wp);
    free(Yh);
    if (keep) y->aux = Xh;
    else free(Xh);
    return y;
}

nt_tensor *nt_spectral_conv1d(nt_tape *t, nt_tensor *x, nt_tensor *W, int64_t s, int modes)
{
    return specconv(t, x, W, 1, s, 0, modes);
}

nt_tensor *nt_spectral_conv2d(nt_tape *t, nt_tensor *x, nt_tensor *W, int64_t sx, int64_t sy,
                              int modes1, int modes2)
{
    NT_ASSERT(modes1 >= 1, "spectral conv: modes1 must be positive");
    return specconv(t, x, W, sx, sy, modes1, modes2);
}

void nt_specconv_backward(nt_tape *t, nt_tensor *y)
{
    nt_tensor *x = y->src[0], *W = y->src[1];
    int64_t sx = y->iparam[0], sy = y->iparam[1];
    sc_geom g = geom_make(nt_tensor_rows(x), sx, sy, y->iparam[2], y->iparam[3]);
    int64_t Ci = nt_tensor_cols(x), Co = nt_tensor_cols(y);
    int accx;
    void *gx = nt_grad_full(t, x, &accx), *gW = nt_grad_of(t, W);
    if ((!gx && !gW) || g.B == 0) return;
    const sc_plans *pin = plans_get(sx, sy, g.m2, Ci), *pout = plans_get(sx, sy, g.m2, Co);
    NT_ASSERT(pin && pout, "spectral conv backward: FFTW plans missing");

    double *Gh = malloc((size_t)(2 * g.M * g.B * Co) * sizeof(double));
    NT_ASSERT(Gh != NULL, "out of memory in spectral conv backward");
    spec_forward(&g, pout, y->dtype, y->grad, Co, Gh);
    const double one[2] = {1, 0}, zero[2] = {0, 0};
    if (gx) {
        /* dL/dx = inverse((1/N)·ĝ·Wᴴ) */
        double *Wp = weights_pack(W, Ci, Co, g.M);
        double *dX = malloc((size_t)(2 * g.M * g.B * Ci) * sizeof(double));
        NT_ASSERT(dX != NULL, "out of memory in spectral conv backward");
        for (int64_t k = 0; k < g.M; k++)
            cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasConjTrans, (int)g.B, (int)Ci, (int)Co,
                        one, Gh + 2 * k * g.B * Co, (int)Co, Wp + 2 * k * Ci * Co, (int)Co, zero,
                        dX + 2 * k * g.B * Ci, (int)Ci);
        spec_inverse(&g, pin, dX, Ci, 1.0 / (double)g.N, x->dtype, gx, accx);
        free(dX);
        free(Wp);
    }
    if (gW) {
        /* dL/dW[k] = Xᴴ·G with G = (c_ky/N)·ĝ */
        const double *Xh = y->aux;
        NT_ASSERT(Xh != NULL, "spectral conv backward: forward modes were not kept");
        double *dW = malloc((size_t)(2 * g.M * Ci * Co) * sizeof(double));
        NT_ASSERT(dW != NULL, "out of memory in spectral conv backward");
        for (int64_t k = 0; k < g.M; k++) {
            int64_t ky = k % g.m2;
            int edge = ky == 0 || (sy % 2 == 0 && ky == sy / 2);
            double alpha[2] = {(edge ? 1.0 : 2.0) / (double)g.N, 0};
            cblas_zgemm(CblasRowMajor, CblasConjTrans, CblasNoTrans, (int)Ci, (int)Co, (int)g.B,
                        alpha, Xh + 2 * k * g.B * Ci, (int)Ci, Gh + 2 * k * g.B * Co, (int)Co,
                        zero, dW + 2 * k * Ci * Co, (int)Co);
        }
        NT_DISPATCH(W->dtype, T, {
            T *GW = gW;
            for (int64_t i = 0; i < Ci; i++)
                for (int64_t o = 0; o < Co; o++)
                    for (int64_t k = 0; k < g.M; k++)
                        for (int r = 0; r < 2; r++)
                            GW[2 * ((i * Co + o) * g.M + k) + r] +=
                                (T)dW[2 * ((k * Ci + i) * Co + o) + r];
        });
        free(dW);
    }
    free(Gh);
}

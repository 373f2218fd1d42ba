/* soap.c — SOAP: Adam in the eigenbasis of Shampoo's Kronecker factors (Vyas et al.
 * 2024), with an Adam fallback for biases and large tensors (see optim_ext.h). */
#include "optim/optim_ext.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK (OpenBLAS exports it); the trailing size_t are gfortran's hidden lengths
 * of the character arguments. */
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
            double *w, double *work, const int *lwork, int *info, size_t, size_t);
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work,
             const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda,
             const double *tau, double *work, const int *lwork, int *info);

nt_soap_config nt_soap_config_default(void)
{
    nt_soap_config c;
    memset(&c, 0, sizeof c);
    c.beta1 = 0.95;
    c.beta2 = 0.95;
    c.shampoo_beta = -1;
    c.eps = 1e-8;
    c.weight_decay = 0;
    c.precondition_every = 10;
    c.max_dim = 512;
    return c;
}

static double *alloc_doubles(int64_t n)
{
    size_t bytes = ((size_t)(n > 0 ? n : 1) * sizeof(double) + 63) / 64 * 64;
    double *x = aligned_alloc(64, bytes);
    if (x) memset(x, 0, bytes);
    return x;
}

void nt_soap_free(nt_soap *o)
{
    free(o->ts);
    free(o->state);
    free(o->g);
    free(o->a);
    free(o->b);
    free(o->sq);
    free(o->sq2);
    free(o->work);
    free(o->eig);
    free(o->perm);
    memset(o, 0, sizeof *o);
}

nt_status nt_soap_init(nt_soap *o, nt_params *p, const nt_soap_config *c)
{
    memset(o, 0, sizeof *o);
    o->cfg = c ? *c : nt_soap_config_default();
    const nt_soap_config *k = &o->cfg;
    if (!(k->beta1 >= 0 && k->beta1 < 1 && k->beta2 >= 0 && k->beta2 < 1 && k->eps > 0 &&
          k->shampoo_beta < 1 && k->weight_decay >= 0))
        return nt_set_error(NT_ERR_ARG,
                            "SOAP needs 0 <= beta1, beta2 < 1, shampoo_beta < 1, eps > 0 and "
                            "weight_decay >= 0");
    if (k->precondition_every < 1 || k->max_dim < 2 || k->max_dim > 8192)
        return nt_set_error(NT_ERR_ARG,
                            "SOAP needs precondition_every >= 1 and max_dim in 2..8192");
    o->p = p;
    o->count = p->count;
    o->ts = calloc((size_t)(p->count > 0 ? p->count : 1), sizeof *o->ts);
    if (!o->ts) return nt_set_error(NT_ERR_NOMEM, "out of memory for SOAP");
    int64_t off = 0, max_size = 1, max_pre = 1, d = 1;
    for (int i = 0; i < p->count; i++) {
        nt_soap_tensor *t = &o->ts[i];
        t->off = p->offset[i];
        t->rows = p->tensors[i].shape[0];
        t->cols = p->tensors[i].size / t->rows;
        int64_t rc = t->rows * t->cols;
        t->precond = t->rows >= 2 && t->cols >= 2 && t->rows <= k->max_dim && t->cols <= k->max_dim;
        if (t->precond) {
            t->L = off;
            off += t->rows * t->rows;
            t->R = off;
            off += t->cols * t->cols;
            t->QL = off;
            off += t->rows * t->rows;
            t->QR = off;
            off += t->cols * t->cols;
            max_pre = NT_MAX(max_pre, rc);
            d = NT_MAX(d, NT_MAX(t->rows, t->cols));
        }
        t->M = off;
        off += rc;
        t->V = off;
        off += rc;
        max_size = NT_MAX(max_size, rc);
    }
    o->state_len = off;
    o->state = alloc_doubles(off);
    o->g = alloc_doubles(max_size);
    o->a = alloc_doubles(max_pre);
    o->b = alloc_doubles(max_pre);
    o->sq = alloc_doubles(d * d);
    o->sq2 = alloc_doubles(d * d);
    o->eig = alloc_doubles(2 * d);
    o->perm = calloc((size_t)d, sizeof *o->perm);
    if (!o->state || !o->g || !o->a || !o->b || !o->sq || !o->sq2 || !o->eig || !o->perm) {
        nt_soap_free(o);
        return nt_set_error(NT_ERR_NOMEM, "out of memory for SOAP state");
    }
    /* LAPACK workspace: the largest of the three queries at the largest side */
    int n = (int)d, q = -1, info = 0;
    double w1 = 0, w2 = 0, w3 = 0;
    dsyev_("V", "U", &n, o->sq, &n, o->eig, &w1, &q, &info, 1, 1);
    dgeqrf_(&n, &n, o->sq, &n, o->eig, &w2, &q, &info);
    dorgqr_(&n, &n, &n, o->sq, &n, o->eig, &w3, &q, &info);
    double w = NT_MAX(w1, NT_MAX(w2, w3));
    o->lwork = (int)NT_MAX(w, (double)(3 * d + 64));
    o->work = alloc_doubles(o->lwork);
    if (!o->work) {
        nt_soap_free(o);
        return nt_set_error(NT_ERR_NOMEM, "out of memory for SOAP workspace");
    }
    return NT_OK;
}

int nt_soap_state(nt_soap *o, nt_optim_buf *out, int cap)
{
    nt_optim_buf b[2] = {{"soap.step", &o->t, 1}, {"soap.state", o->state, o->state_len}};
    for (int i = 0; i < 2 && i < cap; i++) out[i] = b[i];
    return 2;
}

/* Q (n×n, row-major) ← eigenvectors of the symmetric P, columns by descending
 * eigenvalue. */
static nt_status eigenbasis(nt_soap *o, const double *P, int n, double *Q)
{
    double *x = o->sq2;
    memcpy(x, P, (size_t)n * n * sizeof(double));
    int info = 0;
    dsyev_("V", "U", &n, x, &n, o->eig, o->work, &o->lwork, &info, 1, 1);
    if (info != 0)
        return nt_set_error(NT_ERR_NUMERIC, "SOAP: eigendecomposition of a %dx%d factor failed "
                            "(dsyev info %d)", n, n, info);
    /* column-major: eigenvector e (ascending) is x[e·n .. e·n + n) */
    for (int a = 0; a < n; a++)
        for (int j = 0; j < n; j++) Q[(size_t)a * n + j] = x[(size_t)(n - 1 - j) * n + a];
    return NT_OK;
}

/* One power iteration Q ← QR(P·Q) after sorting Q's columns by the eigenvalue
 * estimates diag(QᵀPQ), descending; the rotated second moment V (vr×vc) follows
 * the permutation along its rows (axis 0, P = L) or columns (axis 1, P = R). */
static void refresh_basis(nt_soap *o, const double *P, int n, double *Q, double *V, int64_t vr,
                          int64_t vc, int axis)
{
    double *S = o->sq, *X = o->sq2, *est = o->eig, *tau = o->eig + n;
    int64_t *perm = o->perm;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, P, n, Q, n, 0.0, S, n);
    for (int j = 0; j < n; j++) {
        double s = 0;
        for (int a = 0; a < n; a++) s += Q[(size_t)a * n + j] * S[(size_t)a * n + j];
        est[j] = s;
        perm[j] = j;
    }
    /* stable insertion sort, descending (n ≤ max_dim, once per period) */
    for (int j = 1; j < n; j++) {
        int64_t pj = perm[j];
        int i = j - 1;
        while (i >= 0 && est[perm[i]] < est[pj]) {
            perm[i + 1] = perm[i];
            i--;
        }
        perm[i + 1] = pj;
    }
    /* permute V along the axis (through o->a, which holds rows·cols doubles) */
    double *tmp = o->a;
    memcpy(tmp, V, (size_t)(vr * vc) * sizeof(double));
    if (axis == 0) {
        for (int j = 0; j < n; j++)
            memcpy(V + (size_t)j * vc, tmp + (size_t)perm[j] * vc, (size_t)vc * sizeof(double));
    } else {
        for (int64_t r = 0; r < vr; r++)
            for (int j = 0; j < n; j++) V[r * vc + j] = tmp[r * vc + perm[j]];
    }
    /* X (column-major) = (P·Q)[:, perm] */
    for (int j = 0; j < n; j++)
        for (int a = 0; a < n; a++) X[(size_t)j * n + a] = S[(size_t)a * n + perm[j]];
    int info = 0;
    dgeqrf_(&n, &n, X, &n, tau, o->work, &o->lwork, &info);
    dorgqr_(&n, &n, &n, X, &n, tau, o->work, &o->lwork, &info);
    for (int a = 0; a < n; a++)
        for (int j = 0; j < n; j++) Q[(size_t)a * n + j] = X[(size_t)j * n + a];
}

/* out (r×c) = QLᵀ·in·QR, or QL·in·QRᵀ when back; tmp r×c scratch. */
static void rotate(const double *QL, const double *QR, int64_t r, int64_t c, const double *in,
                   double *tmp, double *out, int back)
{
    cblas_dgemm(CblasRowMajor, back ? CblasNoTrans : CblasTrans, CblasNoTrans, r, c, r, 1.0, QL, r,
                in, c, 0.0, tmp, c);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, back ? CblasTrans : CblasNoTrans, r, c, c, 1.0, tmp, c,
                QR, c, 0.0, out, c);
}

double nt_soap_step(nt_soap *o, double lr)
{
    const nt_soap_config *k = &o->cfg;
    nt_params *p = o->p;
    /* a NaN/Inf would poison L, R and the eigenbases for good: refuse the step */
    double probe = 0;
    NT_DISPATCH(p->dtype, T, {
        const T *g = p->grad;
        for (int64_t i = 0; i < p->n; i++) probe += (double)g[i] * 0.0;
    });
    if (probe != 0 || isnan(probe)) {
        nt_set_error(NT_ERR_NUMERIC, "SOAP: non-finite gradient, step skipped");
        return -1.0;
    }
    const int first = o->t == 0;
    o->t += 1;
    const double steps = o->t - 1; /* Adam steps including this one */
    const double b1 = k->beta1, b2 = k->beta2, eps = k->eps;
    const double bs = k->shampoo_beta >= 0 ? k->shampoo_beta : k->beta2;
    const double c1 = first ? 0 : 1.0 / (1.0 - pow(b1, steps));
    const double c2 = first ? 0 : 1.0 / (1.0 - pow(b2, steps));
    const int refresh = !first && fmod(steps, (double)k->precondition_every) == 0;
    const double decay = 1.0 - lr * k->weight_decay;
    double s2 = 0;
    nt_status st = NT_OK;

    for (int ti = 0; ti < o->count; ti++) {
        nt_soap_tensor *t = &o->ts[ti];
        const int64_t r = t->rows, c = t->cols, rc = r * c;
        double *G = o->g;
        NT_DISPATCH(p->dtype, T, {
            const T *g = (const T *)p->grad + t->off;
            for (int64_t i = 0; i < rc; i++) G[i] = (double)g[i];
        });
        double *S = o->state;
        double *M = S + t->M, *V = S + t->V;
        double *upd = o->a; /* update direction, original basis */
        if (!t->precond) {
            if (first) continue;
            upd = G; /* in place: G is not needed afterwards */
            for (int64_t i = 0; i < rc; i++) {
                double gi = G[i];
                M[i] = b1 * M[i] + (1 - b1) * gi;
                V[i] = b2 * V[i] + (1 - b2) * gi * gi;
                upd[i] = (M[i] * c1) / (sqrt(V[i] * c2) + eps);
            }
        } else {
            double *L = S + t->L, *R = S + t->R, *QL = S + t->QL, *QR = S + t->QR;
            if (!first) {
                double *Gp = o->b;
                rotate(QL, QR, r, c, G, o->a, Gp, 0);
                for (int64_t i = 0; i < rc; i++) {
                    double gi = Gp[i];
                    M[i] = b1 * M[i] + (1 - b1) * gi;
                    V[i] = b2 * V[i] + (1 - b2) * gi * gi;
                    Gp[i] = (M[i] * c1) / (sqrt(V[i] * c2) + eps);
                }
                rotate(QL, QR, r, c, Gp, o->a, o->b, 1);
                upd = o->b;
            }
            /* Kronecker factors from this gradient (after its own update, so the
             * basis never contains the gradient it rotates) */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r, r, c, 1 - bs, G, c, G, c,
                        bs, L, r);
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, c, c, r, 1 - bs, G, c, G, c,
                        bs, R, c);
            if (first) {
                if (st == NT_OK) st = eigenbasis(o, L, (int)r, QL);
                if (st == NT_OK) st = eigenbasis(o, R, (int)c, QR);
                continue;
            }
            if (refresh) {
                /* M back to the original basis (in G: no longer needed), new bases,
                 * M forward into them */
                double *Mo = G;
                rotate(QL, QR, r, c, M, o->a, Mo, 1);
                refresh_basis(o, L, (int)r, QL, V, r, c, 0);
                refresh_basis(o, R, (int)c, QR, V, r, c, 1);
                rotate(QL, QR, r, c, Mo, o->a, M, 0);
            }
        }
        NT_DISPATCH(p->dtype, T, {
            T *x = (T *)p->data + t->off;
            for (int64_t i = 0; i < rc; i++) {
                T old = x[i];
                x[i] = (T)(((double)x[i] - lr * upd[i]) * decay);
                double dx = (double)x[i] - (double)old;
                s2 += dx * dx;
            }
        });
    }
    if (st != NT_OK) return -1.0;
    return sqrt(s2);
}

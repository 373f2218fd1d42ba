/* multi.c — optimizers for several loss groups: MultiAdam, ConFIG, M-ConFIG
 * (see optim_ext.h). */
#include "optim/optim_ext.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK (OpenBLAS exports it); the trailing size_t are gfortran's hidden lengths
 * of the character arguments. */
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
            double *w, double *work, const int *lwork, int *info, size_t, size_t);

static double *alloc_doubles(int64_t n)
{
    size_t bytes = ((size_t)(n > 0 ? n : 1) * sizeof(double) + 63) / 64 * 64;
    double *x = aligned_alloc(64, bytes);
    if (x) memset(x, 0, bytes);
    return x;
}

/* x ← x − step (step in double); returns ‖step‖. */
static double apply_step(nt_params *p, const double *step)
{
    int64_t n = p->n;
    double s2 = 0;
    NT_DISPATCH(p->dtype, T, {
        T *x = p->data;
        for (int64_t i = 0; i < n; i++) {
            T old = x[i];
            x[i] = (T)((double)x[i] - step[i]);
            double dx = (double)x[i] - (double)old;
            s2 += dx * dx;
        }
    });
    return sqrt(s2);
}

/* ------------------------------------------------------------------------------ */
/* MultiAdam                                                                        */

nt_status nt_multiadam_init(nt_multiadam *o, nt_params *p, int groups, double beta1,
                            double beta2, double eps)
{
    memset(o, 0, sizeof *o);
    if (groups < 1 || groups > NT_MULTIADAM_MAX_GROUPS)
        return nt_set_error(NT_ERR_ARG, "MultiAdam needs 1..%d loss groups (got %d)",
                            NT_MULTIADAM_MAX_GROUPS, groups);
    if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps > 0))
        return nt_set_error(NT_ERR_ARG, "MultiAdam needs 0 <= beta1, beta2 < 1 and eps > 0");
    o->p = p;
    o->groups = groups;
    o->beta1 = beta1;
    o->beta2 = beta2;
    o->eps = eps;
    o->m = alloc_doubles((int64_t)groups * p->n);
    o->v = alloc_doubles((int64_t)groups * p->n);
    if (!o->m || !o->v) {
        nt_multiadam_free(o);
        return nt_set_error(NT_ERR_NOMEM, "out of memory for MultiAdam moments");
    }
    return NT_OK;
}

void nt_multiadam_free(nt_multiadam *o)
{
    free(o->m);
    free(o->v);
    memset(o, 0, sizeof *o);
}

double nt_multiadam_step(nt_multiadam *o, const double *const *grads, double lr)
{
    o->t += 1;
    const int G = o->groups;
    const int64_t n = o->p->n;
    const double b1 = o->beta1, b2 = o->beta2, eps = o->eps;
    const double c1 = 1.0 / (1.0 - pow(b1, o->t)), c2 = 1.0 / (1.0 - pow(b2, o->t));
    const double scale = lr / (double)G;
    double s2 = 0;
    NT_DISPATCH(o->p->dtype, T, {
        T *x = o->p->data;
        for (int64_t j = 0; j < n; j++) {
            double u = 0;
            for (int i = 0; i < G; i++) {
                double g = grads[i][j];
                double *m = o->m + (int64_t)i * n + j, *v = o->v + (int64_t)i * n + j;
                *m = b1 * *m + (1 - b1) * g;
                *v = b2 * *v + (1 - b2) * g * g;
                u += (*m * c1) / (sqrt(*v * c2) + eps);
            }
            T old = x[j];
            x[j] = (T)((double)x[j] - scale * u);
            double dx = (double)x[j] - (double)old;
            s2 += dx * dx;
        }
    });
    return sqrt(s2);
}

int nt_multiadam_state(nt_multiadam *o, nt_optim_buf *out, int cap)
{
    nt_optim_buf b[3] = {
        {"multiadam.step", &o->t, 1},
        {"multiadam.m", o->m, (int64_t)o->groups * o->p->n},
        {"multiadam.v", o->v, (int64_t)o->groups * o->p->n},
    };
    for (int i = 0; i < 3 && i < cap; i++) out[i] = b[i];
    return 3;
}

/* ------------------------------------------------------------------------------ */
/* ConFIG                                                                           */

nt_status nt_config_direction(const double *const *grads, int m, int64_t n, double *out,
                              nt_config_info *info)
{
    nt_config_info inf = {0, 0, 0.0, 0.0};
    if (info) *info = inf;
    if (m < 1 || m > NT_CONFIG_MAX)
        return nt_set_error(NT_ERR_ARG, "ConFIG takes 1..%d gradients (got %d)", NT_CONFIG_MAX, m);
    memset(out, 0, (size_t)n * sizeof(double));

    /* unit-gradient Gram matrix over the usable gradients */
    int idx[NT_CONFIG_MAX];
    double norm[NT_CONFIG_MAX];
    int k = 0;
    for (int i = 0; i < m; i++) {
        double s = 0;
        for (int64_t j = 0; j < n; j++) s += grads[i][j] * grads[i][j];
        s = sqrt(s);
        if (s > 0 && isfinite(s)) {
            idx[k] = i;
            norm[k] = s;
            k++;
        }
    }
    inf.used = k;
    if (k == 0) {
        if (info) *info = inf;
        return NT_OK;
    }
    double gram[NT_CONFIG_MAX * NT_CONFIG_MAX];
    for (int a = 0; a < k; a++)
        for (int b = a; b < k; b++) {
            const double *ga = grads[idx[a]], *gb = grads[idx[b]];
            double s = 0;
            if (a == b) {
                s = 1.0;
            } else {
                for (int64_t j = 0; j < n; j++) s += ga[j] * gb[j];
                s /= norm[a] * norm[b];
            }
            gram[a * k + b] = gram[b * k + a] = s;
        }

    /* coefficients c = pinv(Gram)·1 through the eigendecomposition Gram = E Λ Eᵀ */
    double lam[NT_CONFIG_MAX], work[64 * NT_CONFIG_MAX];
    int nk = k, lwork = (int)(sizeof work / sizeof work[0]), lapack_info = 0;
    dsyev_("V", "U", &nk, gram, &nk, lam, work, &lwork, &lapack_info, 1, 1);
    if (lapack_info != 0)
        return nt_set_error(NT_ERR_NUMERIC, "ConFIG: eigendecomposition failed (dsyev info %d)",
                            lapack_info);
    /* column-major output: eigenvector e of lam[e] is gram[e*k .. e*k+k) */
    double lmax = lam[k - 1];
    double tol = 1e-12 * (lmax > 0 ? lmax : 1.0);
    double c[NT_CONFIG_MAX] = {0};
    for (int e = 0; e < k; e++) {
        if (!(lam[e] > tol)) continue;
        inf.rank++;
        const double *ev = gram + (size_t)e * k;
        double proj = 0;
        for (int a = 0; a < k; a++) proj += ev[a];
        proj /= lam[e];
        for (int a = 0; a < k; a++) c[a] += proj * ev[a];
    }

    /* g_u = Σ_a c_a ĝ_a, normalized; the length is Σ_i g_iᵀĝ_u */
    double w[NT_CONFIG_MAX];
    for (int a = 0; a < k; a++) w[a] = c[a] / norm[a];
    for (int a = 0; a < k; a++) {
        const double *ga = grads[idx[a]];
        for (int64_t j = 0; j < n; j++) out[j] += w[a] * ga[j];
    }
    double nu = 0;
    for (int64_t j = 0; j < n; j++) nu += out[j] * out[j];
    nu = sqrt(nu);
    /* ‖g_u‖² = cᵀ Gram c = Σ c (≤ k / λ_min); a vanishing g_u means 1 lies in the
     * null space: no conflict-free direction */
    if (!(nu > 1e-12) || !isfinite(nu)) {
        memset(out, 0, (size_t)n * sizeof(double));
        if (info) *info = inf;
        return NT_OK;
    }
    for (int64_t j = 0; j < n; j++) out[j] /= nu;
    double len = 0, cmin = INFINITY, cmax = -INFINITY;
    for (int a = 0; a < k; a++) {
        const double *ga = grads[idx[a]];
        double s = 0;
        for (int64_t j = 0; j < n; j++) s += ga[j] * out[j];
        len += s;
        double cs = s / norm[a];
        cmin = NT_MIN(cmin, cs);
        cmax = NT_MAX(cmax, cs);
    }
    /* the other gradients (zero norm) add nothing to the length */
    for (int64_t j = 0; j < n; j++) out[j] *= len;
    inf.min_cos = len != 0 ? cmin : 0.0;
    inf.max_cos = len != 0 ? cmax : 0.0;
    if (len < 0) { /* the projection length makes out point along Σ g_i */
        double t = inf.min_cos;
        inf.min_cos = -inf.max_cos;
        inf.max_cos = -t;
    }
    if (info) *info = inf;
    return NT_OK;
}

/* ------------------------------------------------------------------------------ */
/* M-ConFIG                                                                         */

nt_status nt_mconfig_init(nt_mconfig *o, nt_params *p, int groups, double beta1,
                          double beta2, double eps)
{
    memset(o, 0, sizeof *o);
    if (groups < 1 || groups > NT_CONFIG_MAX)
        return nt_set_error(NT_ERR_ARG, "M-ConFIG needs 1..%d loss groups (got %d)",
                            NT_CONFIG_MAX, groups);
    if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps > 0))
        return nt_set_error(NT_ERR_ARG, "M-ConFIG needs 0 <= beta1, beta2 < 1 and eps > 0");
    o->p = p;
    o->groups = groups;
    o->beta1 = beta1;
    o->beta2 = beta2;
    o->eps = eps;
    int64_t n = p->n;
    o->m = alloc_doubles((int64_t)groups * n);
    o->mhat = alloc_doubles((int64_t)groups * n);
    o->tg = alloc_doubles(groups);
    o->v = alloc_doubles(n);
    o->d = alloc_doubles(n);
    if (!o->m || !o->mhat || !o->tg || !o->v || !o->d) {
        nt_mconfig_free(o);
        return nt_set_error(NT_ERR_NOMEM, "out of memory for M-ConFIG state");
    }
    return NT_OK;
}

void nt_mconfig_free(nt_mconfig *o)
{
    free(o->m);
    free(o->mhat);
    free(o->tg);
    free(o->v);
    free(o->d);
    memset(o, 0, sizeof *o);
}

double nt_mconfig_step(nt_mconfig *o, const double *const *grads, const int *fresh, double lr)
{
    const int G = o->groups;
    const int64_t n = o->p->n;
    const double b1 = o->beta1, b2 = o->beta2;
    const double *mh[NT_CONFIG_MAX];
    for (int i = 0; i < G; i++) {
        double *m = o->m + (int64_t)i * n, *h = o->mhat + (int64_t)i * n;
        if (!fresh || fresh[i]) {
            const double *g = grads[i];
            for (int64_t j = 0; j < n; j++) m[j] = b1 * m[j] + (1 - b1) * g[j];
            o->tg[i] += 1;
        }
        /* groups never seen yet have m̂ = 0 and drop out of ConFIG */
        double c1 = o->tg[i] > 0 ? 1.0 / (1.0 - pow(b1, o->tg[i])) : 0.0;
        for (int64_t j = 0; j < n; j++) h[j] = m[j] * c1;
        mh[i] = h;
    }
    nt_status s = nt_config_direction(mh, G, n, o->d, NULL);
    if (s != NT_OK) return -1.0;
    o->t += 1;
    const double c2 = 1.0 / (1.0 - pow(b2, o->t));
    for (int64_t j = 0; j < n; j++) {
        double dj = o->d[j];
        o->v[j] = b2 * o->v[j] + (1 - b2) * dj * dj;
        o->d[j] = lr * dj / (sqrt(o->v[j] * c2) + o->eps);
    }
    return apply_step(o->p, o->d);
}

int nt_mconfig_state(nt_mconfig *o, nt_optim_buf *out, int cap)
{
    nt_optim_buf b[4] = {
        {"mconfig.step", &o->t, 1},
        {"mconfig.group_steps", o->tg, o->groups},
        {"mconfig.m", o->m, (int64_t)o->groups * o->p->n},
        {"mconfig.v", o->v, o->p->n},
    };
    for (int i = 0; i < 4 && i < cap; i++) out[i] = b[i];
    return 4;
}

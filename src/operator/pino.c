/* pino.c — PINO physics loss for Burgers on a space-time grid (see pino.h). */
#include "operator/pino.h"

#include "core/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static nt_status check_sizes(int64_t B, int64_t nt, int64_t s, double nu, double t_end)
{
    if (B < 1 || nt < 3 || s < 4 || s % 2)
        return nt_set_error(NT_ERR_ARG, "PINO loss: needs a batch >= 1, at least 3 times and an even s >= 4 "
                            "(got B %lld, nt %lld, s %lld)", (long long)B, (long long)nt, (long long)s);
    if (!(nu >= 0) || !isfinite(nu) || !(t_end > 0) || !isfinite(t_end))
        return nt_set_error(NT_ERR_ARG, "PINO loss: nu must be >= 0 and t_end > 0 (got %g, %g)", nu, t_end);
    return NT_OK;
}

/* Weights of d/dx (order 1) or d²/dx² (order 2) on [0, 1) for the 1-D spectral
 * convolution with all s/2 + 1 modes: [k][re, im] = 2πik or −(2πk)². */
static nt_tensor *deriv_weights(nt_tape *t, nt_dtype dt, int64_t s, int order)
{
    int64_t M = s / 2 + 1;
    double *w = calloc((size_t)(2 * M), sizeof(double));
    if (!w) {
        nt_set_error(NT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (int64_t k = 0; k < M; k++) {
        double kk = 2.0 * NT_PI * (double)k;
        if (order == 1) w[2 * k + 1] = k == s / 2 ? 0.0 : kk;
        else w[2 * k] = -kk * kk;
    }
    nt_tensor *W = nt_tensor_from_f64(t, dt, 1, 2 * M, w);
    free(w);
    return W;
}

nt_status nt_pino_burgers_loss(nt_tape *t, nt_tensor *u, const double *a, int64_t B, int64_t nt, int64_t s,
                               double nu, double t_end, nt_tensor **pde, nt_tensor **ic)
{
    nt_status st = check_sizes(B, nt, s, nu, t_end);
    if (st) return st;
    int64_t R = B * nt * s;
    if (nt_tensor_rows(u) != R || nt_tensor_cols(u) != 1)
        return nt_set_error(NT_ERR_ARG, "PINO loss: u must be %lld x 1 (B nt s), got %lld x %lld", (long long)R,
                            (long long)nt_tensor_rows(u), (long long)nt_tensor_cols(u));
    nt_dtype dt = u->dtype;
    int M = (int)(s / 2 + 1);
    if (pde) {
        *pde = NULL;
        nt_tensor *W1 = deriv_weights(t, dt, s, 1), *W2 = W1 ? deriv_weights(t, dt, s, 2) : NULL;
        if (!W2) return NT_ERR_NOMEM;
        nt_tensor *ux = nt_spectral_conv1d(t, u, W1, s, M);
        nt_tensor *uxx = ux ? nt_spectral_conv1d(t, u, W2, s, M) : NULL;
        nt_tensor *adv = uxx ? nt_mul(t, u, ux) : NULL;
        nt_tensor *N = adv ? nt_add(t, adv, nt_scale(t, uxx, -nu, 0.0)) : NULL;
        if (!N) return NT_ERR_NOMEM;
        double dtime = t_end / (double)(nt - 1);
        nt_tensor *up = nt_slice2(t, u, 2 * s, R, 0, 1), *um = nt_slice2(t, u, 0, R - 2 * s, 0, 1);
        nt_tensor *ut = up && um ? nt_scale(t, nt_sub(t, up, um), 0.5 / dtime, 0.0) : NULL;
        nt_tensor *Nc = ut ? nt_slice2(t, N, s, R - s, 0, 1) : NULL;
        nt_tensor *F = Nc ? nt_add(t, ut, Nc) : NULL;
        if (!F) return NT_ERR_NOMEM;
        /* row r of F is centred on time row g = r / s + 1 of the batch: interior
         * only when its time index k = g mod nt is in [1, nt - 2] */
        int64_t rows = R - 2 * s;
        double *mask = malloc((size_t)rows * sizeof(double));
        if (!mask) return nt_set_error(NT_ERR_NOMEM, "out of memory");
        for (int64_t r = 0; r < rows; r++) {
            int64_t k = (r / s + 1) % nt;
            mask[r] = k >= 1 && k <= nt - 2 ? 1.0 : 0.0;
        }
        nt_tensor *Mk = nt_tensor_from_f64(t, dt, rows, 1, mask);
        free(mask);
        nt_tensor *F2 = Mk ? nt_mul(t, nt_mul(t, F, F), Mk) : NULL;
        nt_tensor *L = F2 ? nt_scale(t, nt_sum(t, F2), 1.0 / (double)(B * (nt - 2) * s), 0.0) : NULL;
        if (!L) return NT_ERR_NOMEM;
        *pde = L;
    }
    if (ic) {
        *ic = NULL;
        double *a0 = calloc((size_t)R, sizeof(double)), *m0 = calloc((size_t)R, sizeof(double));
        if (!a0 || !m0) {
            free(a0);
            free(m0);
            return nt_set_error(NT_ERR_NOMEM, "out of memory");
        }
        for (int64_t b = 0; b < B; b++)
            for (int64_t j = 0; j < s; j++) {
                a0[b * nt * s + j] = a[b * s + j];
                m0[b * nt * s + j] = 1.0;
            }
        nt_tensor *A0 = nt_tensor_from_f64(t, dt, R, 1, a0), *M0 = A0 ? nt_tensor_from_f64(t, dt, R, 1, m0) : NULL;
        free(a0);
        free(m0);
        nt_tensor *D = M0 ? nt_mul(t, nt_sub(t, u, A0), M0) : NULL;
        nt_tensor *L = D ? nt_scale(t, nt_sum(t, nt_mul(t, D, D)), 1.0 / (double)(B * s), 0.0) : NULL;
        if (!L) return NT_ERR_NOMEM;
        *ic = L;
    }
    return NT_OK;
}

nt_status nt_pino_burgers_eval(const double *u, const double *a, int64_t B, int64_t nt, int64_t s, double nu,
                               double t_end, double *pde, double *ic)
{
    nt_status st = check_sizes(B, nt, s, nu, t_end);
    if (st) return st;
    nt_tape t;
    if (nt_tape_init(&t, (size_t)1 << 20)) return nt_set_error(NT_ERR_NOMEM, "out of memory");
    t.grad_enabled = 0;
    double sp = 0, si = 0;
    for (int64_t b = 0; b < B && !st; b++) {
        nt_tape_reset(&t);
        nt_tensor *ub = nt_tensor_from_f64(&t, NT_F64, nt * s, 1, u + b * nt * s), *lp = NULL, *li = NULL;
        st = ub ? nt_pino_burgers_loss(&t, ub, a + b * s, 1, nt, s, nu, t_end, &lp, &li)
                : nt_set_error(NT_ERR_NOMEM, "out of memory");
        if (!st) {
            sp += nt_tensor_get(lp, 0);
            si += nt_tensor_get(li, 0);
        }
    }
    nt_tape_free(&t);
    if (pde) *pde = sp / (double)B;
    if (ic) *ic = si / (double)B;
    return st;
}

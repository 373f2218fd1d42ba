/* act.c — activation names and derivative tables (see act.h). */
#include "ad/act.h"

#include <string.h>

/* Coefficients of P_k(t) with d^k tanh/dz^k = P_k(tanh z), P_{k+1} = P_k'·(1 − t²). */
const double nt_tanh_poly[NT_ACT_MAX_ORDER + 1][NT_ACT_NCOEF] = {
    {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {1, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0},
    {0, -2, 0, 2, 0, 0, 0, 0, 0, 0, 0},
    {-2, 0, 8, 0, -6, 0, 0, 0, 0, 0, 0},
    {0, 16, 0, -40, 0, 24, 0, 0, 0, 0, 0},
    {16, 0, -136, 0, 240, 0, -120, 0, 0, 0, 0},
    {0, -272, 0, 1232, 0, -1680, 0, 720, 0, 0, 0},
    {-272, 0, 3968, 0, -12096, 0, 13440, 0, -5040, 0, 0},
    {0, 7936, 0, -56320, 0, 129024, 0, -120960, 0, 40320, 0},
    {7936, 0, -176896, 0, 814080, 0, -1491840, 0, 1209600, 0, -362880},
};

/* Coefficients of Q_k(s) with d^k sigmoid/dz^k = Q_k(s), Q_{k+1} = Q_k'·s(1 − s). */
const double nt_sigmoid_poly[NT_ACT_MAX_ORDER + 1][NT_ACT_NCOEF] = {
    {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {0, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0},
    {0, 1, -3, 2, 0, 0, 0, 0, 0, 0, 0},
    {0, 1, -7, 12, -6, 0, 0, 0, 0, 0, 0},
    {0, 1, -15, 50, -60, 24, 0, 0, 0, 0, 0},
    {0, 1, -31, 180, -390, 360, -120, 0, 0, 0, 0},
    {0, 1, -63, 602, -2100, 3360, -2520, 720, 0, 0, 0},
    {0, 1, -127, 1932, -10206, 25200, -31920, 20160, -5040, 0, 0},
    {0, 1, -255, 6050, -46620, 166824, -317520, 332640, -181440, 40320, 0},
    {0, 1, -511, 18660, -204630, 1020600, -2739240, 4233600, -3780000, 1814400, -362880},
};

/* Probabilists' Hermite polynomials He_k, He_{k+1} = x·He_k − k·He_{k−1}. */
const double nt_hermite_poly[NT_ACT_MAX_ORDER + 1][NT_ACT_NCOEF] = {
    {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {-1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0},
    {0, -3, 0, 1, 0, 0, 0, 0, 0, 0, 0},
    {3, 0, -6, 0, 1, 0, 0, 0, 0, 0, 0},
    {0, 15, 0, -10, 0, 1, 0, 0, 0, 0, 0},
    {-15, 0, 45, 0, -15, 0, 1, 0, 0, 0, 0},
    {0, -105, 0, 105, 0, -21, 0, 1, 0, 0, 0},
    {105, 0, -420, 0, 210, 0, -28, 0, 1, 0, 0},
    {0, 945, 0, -1260, 0, 378, 0, -36, 0, 1, 0},
};

static const char *g_act_names[NT_ACT_COUNT] = {"identity", "tanh",  "sin",   "cos",
                                                "sigmoid",  "gelu", "swish", "exp"};

const char *nt_act_name(nt_act a)
{
    NT_ASSERT(a >= 0 && a < NT_ACT_COUNT, "activation out of range");
    return g_act_names[a];
}

nt_status nt_act_parse(const char *s, nt_act *out)
{
    for (int i = 0; i < NT_ACT_COUNT; i++) {
        if (!strcmp(s, g_act_names[i])) {
            *out = (nt_act)i;
            return NT_OK;
        }
    }
    if (!strcmp(s, "silu")) {
        *out = NT_ACT_SWISH;
        return NT_OK;
    }
    return nt_set_error(NT_ERR_ARG,
                        "unknown activation '%s' (expected identity, tanh, sin, cos, "
                        "sigmoid, gelu, swish or exp)",
                        s);
}

void nt_act_eval_f64(nt_act a, int order, const double *x, int64_t n, double *out)
{
    NT_ASSERT(order >= 0 && order <= NT_ACT_MAX_ORDER, "derivative order out of range");
    double d[(NT_ACT_MAX_ORDER + 1) * NT_ACT_TILE];
    for (int64_t i0 = 0; i0 < n; i0 += NT_ACT_TILE) {
        int L = (int)NT_MIN((int64_t)NT_ACT_TILE, n - i0);
        nt_act_derivs_f64(a, 0, order, x + i0, L, d);
        for (int k = 0; k <= order; k++)
            memcpy(out + (size_t)k * n + i0, d + (size_t)k * L, (size_t)L * sizeof(double));
    }
}

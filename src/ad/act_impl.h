/* act_impl.h — body of the activation-derivative kernels, included by act.h once
 * per element type with NT_T (float or double) and NT_SUF(name) defined. */

/* out[j] = Σ_c P[c]·x[j]^c for c = 0..deg, Horner across the tile. */
static inline void NT_SUF(nt_act_poly)(const double *P, int deg, const NT_T *x, int L, NT_T *out)
{
    NT_T top = (NT_T)P[deg];
_Pragma("omp simd")
    for (int j = 0; j < L; j++) out[j] = top;
    for (int c = deg - 1; c >= 0; c--) {
        NT_T pc = (NT_T)P[c];
_Pragma("omp simd")
        for (int j = 0; j < L; j++) out[j] = out[j] * x[j] + pc;
    }
}

static inline void NT_SUF(nt_act_derivs)(nt_act a, int kmin, int K, const NT_T *z, int L, NT_T *d)
{
    NT_T f[NT_ACT_TILE], g[NT_ACT_TILE];
    switch (a) {
    case NT_ACT_IDENTITY:
        for (int k = kmin; k <= K; k++) {
            NT_T *dk = d + (size_t)k * L;
            NT_T c = k == 1 ? (NT_T)1 : (NT_T)0;
            if (k == 0) {
                for (int j = 0; j < L; j++) dk[j] = z[j];
            } else {
_Pragma("omp simd")
                for (int j = 0; j < L; j++) dk[j] = c;
            }
        }
        break;
    case NT_ACT_TANH:
    case NT_ACT_SIGMOID: {
        const double(*P)[NT_ACT_NCOEF] = a == NT_ACT_TANH ? nt_tanh_poly : nt_sigmoid_poly;
        if (a == NT_ACT_TANH) {
_Pragma("omp simd")
            for (int j = 0; j < L; j++) f[j] = nt_vtanh(z[j]);
        } else {
_Pragma("omp simd")
            for (int j = 0; j < L; j++) f[j] = nt_vsigmoid(z[j]);
        }
        for (int k = kmin; k <= K; k++) {
            NT_T *dk = d + (size_t)k * L;
            if (k == 0) {
                for (int j = 0; j < L; j++) dk[j] = f[j];
            } else if (k == 1 && a == NT_ACT_TANH) {
_Pragma("omp simd")
                for (int j = 0; j < L; j++) dk[j] = (NT_T)1 - f[j] * f[j];
            } else {
                NT_SUF(nt_act_poly)(P[k], k + 1, f, L, dk);
            }
        }
        break;
    }
    case NT_ACT_SIN:
    case NT_ACT_COS: {
_Pragma("omp simd")
        for (int j = 0; j < L; j++) {
            f[j] = nt_vsin(z[j]);
            g[j] = nt_vcos(z[j]);
        }
        int shift = a == NT_ACT_COS ? 1 : 0;
        for (int k = kmin; k <= K; k++) {
            NT_T *dk = d + (size_t)k * L;
            int ph = (k + shift) & 3; /* sin, cos, −sin, −cos */
            const NT_T *src = (ph & 1) ? g : f;
            NT_T sg = (ph & 2) ? (NT_T)-1 : (NT_T)1;
_Pragma("omp simd")
            for (int j = 0; j < L; j++) dk[j] = sg * src[j];
        }
        break;
    }
    case NT_ACT_EXP:
_Pragma("omp simd")
        for (int j = 0; j < L; j++) f[j] = nt_vexp(z[j]);
        for (int k = kmin; k <= K; k++) {
            NT_T *dk = d + (size_t)k * L;
            for (int j = 0; j < L; j++) dk[j] = f[j];
        }
        break;
    case NT_ACT_SWISH: {
        /* swish⁽ᵏ⁾ = z·s⁽ᵏ⁾ + k·s⁽ᵏ⁻¹⁾ with s⁽ᵏ⁾ = Q_k(s) */
        NT_T sk[NT_ACT_TILE], sk1[NT_ACT_TILE];
_Pragma("omp simd")
        for (int j = 0; j < L; j++) f[j] = nt_vsigmoid(z[j]);
        for (int k = kmin; k <= K; k++) {
            NT_T *dk = d + (size_t)k * L;
            NT_SUF(nt_act_poly)(nt_sigmoid_poly[k], k + 1, f, L, sk);
            if (k == 0) {
_Pragma("omp simd")
                for (int j = 0; j < L; j++) dk[j] = z[j] * sk[j];
            } else {
                NT_SUF(nt_act_poly)(nt_sigmoid_poly[k - 1], k, f, L, sk1);
                NT_T kk = (NT_T)k;
_Pragma("omp simd")
                for (int j = 0; j < L; j++) dk[j] = z[j] * sk[j] + kk * sk1[j];
            }
        }
        break;
    }
    case NT_ACT_GELU: {
        /* Φ⁽⁰⁾ = Φ, Φ⁽ᵏ⁾ = (−1)^(k−1)·He_{k−1}(z)·φ(z); gelu⁽ᵏ⁾ = z·Φ⁽ᵏ⁾ + k·Φ⁽ᵏ⁻¹⁾ */
        NT_T hk[NT_ACT_TILE], hk1[NT_ACT_TILE];
_Pragma("omp simd")
        for (int j = 0; j < L; j++) {
            f[j] = nt_vPhi(z[j]);
            g[j] = nt_vphi(z[j]);
        }
        for (int k = kmin; k <= K; k++) {
            NT_T *dk = d + (size_t)k * L;
            if (k == 0) {
_Pragma("omp simd")
                for (int j = 0; j < L; j++) dk[j] = z[j] * f[j];
                continue;
            }
            NT_SUF(nt_act_poly)(nt_hermite_poly[k - 1], k - 1, z, L, hk);
            NT_T sk = ((k - 1) & 1) ? (NT_T)-1 : (NT_T)1, kk = (NT_T)k;
            if (k == 1) {
_Pragma("omp simd")
                for (int j = 0; j < L; j++) dk[j] = z[j] * sk * hk[j] * g[j] + kk * f[j];
            } else {
                NT_SUF(nt_act_poly)(nt_hermite_poly[k - 2], k - 2, z, L, hk1);
                NT_T sk1 = ((k - 2) & 1) ? (NT_T)-1 : (NT_T)1;
_Pragma("omp simd")
                for (int j = 0; j < L; j++)
                    dk[j] = (z[j] * sk * hk[j] + kk * sk1 * hk1[j]) * g[j];
            }
        }
        break;
    }
    default:
        NT_ASSERT(0, "unknown activation");
    }
}

/* flow.c — steady lid-driven cavity (streamfunction–vorticity, Newton–Krylov)
 * and 2D periodic Navier–Stokes in vorticity form (pseudo-spectral, ETDRK4).
 * The equations, discretizations and conventions are documented in flow.h.
 *
 * Cavity solver. Unknown: psi at the m x m interior nodes (m = n - 2). With
 * omega(psi) the interior -Δ_h psi plus Thom's wall values, the scaled residual
 *   G(psi) = h^4 (Re C(psi) - Δ_h omega(psi)),  C = u D_x omega + v D_y omega,
 * is (in matrix form) G = Mt psi + 2 h e_top + Re h^4 C(psi) with
 *   Mt = h^4 Δ0^2 + 2 D,
 * Δ0 the Dirichlet 5-point Laplacian on the interior and D the diagonal matrix
 * counting each node's wall neighbours (Thom's formula feeds -2 psi_adj/h^2
 * back into exactly the node it came from). h^4 Δ0^2 is diagonal in the 2D
 * sine basis (FFTW RODFT00), and 2D is supported on the r = 4(m-1) nodes next
 * to the walls, so Mt^{-1} follows from Woodbury's identity:
 *   Mt^{-1} = B^{-1} - B^{-1} U (W^{-1} + U^T B^{-1} U)^{-1} U^T B^{-1},
 * B = h^4 Δ0^2, U the injection of the ring nodes, W = 2 D on the ring; the
 * r x r capacitance matrix is built analytically (cav_setup) and
 * Cholesky-factored once. Newton's method is applied to H(psi) = Mt^{-1} G(psi)
 * (left preconditioning by the exact Stokes operator); its Jacobian
 * I + Re h^4 Mt^{-1} C'(psi) is applied exactly (C is quadratic) inside
 * restarted GMRES. */
#include <complex.h>

#include "solvers/flow.h"

#include "core/internal.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================
 * Lid-driven cavity
 * ====================================================================== */

#define CAV_RESTART 60      /* GMRES restart length */
#define CAV_GMRES_MAX 600   /* GMRES iterations per Newton step */
#define CAV_NEWTON_TRY 30   /* Newton steps per continuation attempt */

typedef struct cav {
    int n, m, N; /* nodes per side, interior per side, N = m*m */
    double h, re;
    int r;       /* ring (wall-adjacent) nodes */
    int *ring;   /* r: interior index of each ring node */
    double *chol; /* r*r: lower Cholesky factor of the capacitance matrix */
    double *eig; /* N: inverse eigenvalues of B, with the 2D RODFT00 round-trip scale */
    double *buf; /* N: transform buffer */
    fftw_plan dst;
    double *psi, *om, *dpsi, *dom; /* n*n full grids */
    double *ry;  /* r */
    double *tmp, *w; /* N scratch */
    double *V;   /* (CAV_RESTART+1)*N Krylov basis */
    double *Hs;  /* (CAV_RESTART+1)*CAV_RESTART Hessenberg */
    double cs[CAV_RESTART], sn[CAV_RESTART], g[CAV_RESTART + 1];
} cav;

/* x <- B^{-1} x (x: N interior values). */
static void cav_binv(cav *c, double *x)
{
    memcpy(c->buf, x, (size_t)c->N * sizeof *x);
    fftw_execute(c->dst);
    for (int k = 0; k < c->N; k++) c->buf[k] *= c->eig[k];
    fftw_execute(c->dst);
    memcpy(x, c->buf, (size_t)c->N * sizeof *x);
}

/* x <- Mt^{-1} x. */
static void cav_minv(cav *c, double *x)
{
    int r = c->r, N = c->N;
    cav_binv(c, x);
    for (int a = 0; a < r; a++) c->ry[a] = x[c->ring[a]];
    /* Solve L L^T y = ry. */
    const double *L = c->chol;
    for (int a = 0; a < r; a++) {
        double s = c->ry[a];
        const double *La = L + (size_t)a * r;
        for (int b = 0; b < a; b++) s -= La[b] * c->ry[b];
        c->ry[a] = s / La[a];
    }
    for (int a = r - 1; a >= 0; a--) {
        double s = c->ry[a];
        for (int b = a + 1; b < r; b++) s -= L[(size_t)b * r + a] * c->ry[b];
        c->ry[a] = s / L[(size_t)a * r + a];
    }
    memset(c->tmp, 0, (size_t)N * sizeof *c->tmp);
    for (int a = 0; a < r; a++) c->tmp[c->ring[a]] = c->ry[a];
    cav_binv(c, c->tmp);
    for (int k = 0; k < N; k++) x[k] -= c->tmp[k];
}

/* Full grid psi (walls 0) from the interior vector x. */
static void cav_embed(const cav *c, const double *x, double *full)
{
    int n = c->n, m = c->m;
    memset(full, 0, (size_t)n * n * sizeof *full);
    for (int j = 0; j < m; j++)
        memcpy(full + (size_t)(j + 1) * n + 1, x + (size_t)j * m, (size_t)m * sizeof *x);
}

/* omega = -Δ_h psi at interior nodes, Thom's formula on the walls with lid
 * speed `lid`; corners: mean of their two wall neighbours. */
static void cav_vort(const cav *c, const double *psi, double *om, double lid)
{
    int n = c->n;
    double ih2 = 1.0 / (c->h * c->h);
    for (int j = 1; j < n - 1; j++) {
        const double *p = psi + (size_t)j * n;
        double *o = om + (size_t)j * n;
        for (int i = 1; i < n - 1; i++)
            o[i] = -(p[i + 1] + p[i - 1] + p[i + n] + p[i - n] - 4.0 * p[i]) * ih2;
    }
    for (int i = 1; i < n - 1; i++) {
        om[i] = -2.0 * psi[n + i] * ih2;
        om[(size_t)(n - 1) * n + i] = -2.0 * psi[(size_t)(n - 2) * n + i] * ih2 - 2.0 * lid / c->h;
    }
    for (int j = 1; j < n - 1; j++) {
        om[(size_t)j * n] = -2.0 * psi[(size_t)j * n + 1] * ih2;
        om[(size_t)j * n + n - 1] = -2.0 * psi[(size_t)j * n + n - 2] * ih2;
    }
    size_t t = (size_t)(n - 1) * n;
    om[0] = 0.5 * (om[1] + om[n]);
    om[n - 1] = 0.5 * (om[n - 2] + om[2 * n - 1]);
    om[t] = 0.5 * (om[t + 1] + om[t - n]);
    om[t + n - 1] = 0.5 * (om[t + n - 2] + om[t - 1]);
}

/* out[k] += s * (u(pa) D_x ob + v(pa) D_y ob) at the interior nodes. */
static void cav_conv(const cav *c, const double *pa, const double *ob, double s, double *out)
{
    int n = c->n, m = c->m;
    double q = s / (4.0 * c->h * c->h);
    for (int j = 1; j < n - 1; j++) {
        const double *p = pa + (size_t)j * n, *o = ob + (size_t)j * n;
        double *r = out + (size_t)(j - 1) * m;
        for (int i = 1; i < n - 1; i++) {
            /* u = (p_N - p_S)/2h, v = -(p_E - p_W)/2h */
            double t = (p[i + n] - p[i - n]) * (o[i + 1] - o[i - 1]) -
                       (p[i + 1] - p[i - 1]) * (o[i + n] - o[i - n]);
            r[i - 1] += q * t;
        }
    }
}

/* Scaled residual G(psi) into R (N) for the interior vector x; leaves psi, om
 * in c. Returns ||G||_2. */
static double cav_resid(cav *c, const double *x, double *R)
{
    int n = c->n, m = c->m;
    cav_embed(c, x, c->psi);
    cav_vort(c, c->psi, c->om, 1.0);
    double h2 = c->h * c->h;
    for (int j = 1; j < n - 1; j++) {
        const double *o = c->om + (size_t)j * n;
        double *r = R + (size_t)(j - 1) * m;
        for (int i = 1; i < n - 1; i++)
            r[i - 1] = -h2 * (o[i + 1] + o[i - 1] + o[i + n] + o[i - n] - 4.0 * o[i]);
    }
    cav_conv(c, c->psi, c->om, c->re * h2 * h2, R);
    double s = 0.0;
    for (int k = 0; k < c->N; k++) s += R[k] * R[k];
    return sqrt(s);
}

/* y = J_H d = d + Re h^4 Mt^{-1} C'(psi) d, with psi, om the linearization point. */
static void cav_jac(cav *c, const double *d, double *y)
{
    double h2 = c->h * c->h;
    cav_embed(c, d, c->dpsi);
    cav_vort(c, c->dpsi, c->dom, 0.0);
    memset(y, 0, (size_t)c->N * sizeof *y);
    cav_conv(c, c->dpsi, c->om, c->re * h2 * h2, y);
    cav_conv(c, c->psi, c->dom, c->re * h2 * h2, y);
    cav_minv(c, y);
    for (int k = 0; k < c->N; k++) y[k] += d[k];
}

static double dot(const double *a, const double *b, int n)
{
    double s = 0.0;
    for (int k = 0; k < n; k++) s += a[k] * b[k];
    return s;
}

/* Restarted GMRES for J_H x = b from x = 0 until ||b - J x|| <= eta ||b|| or
 * CAV_GMRES_MAX iterations. Returns the iterations. */
static int cav_gmres(cav *c, const double *b, double *x, double eta)
{
    int N = c->N, K = CAV_RESTART, its = 0;
    double bn = sqrt(dot(b, b, N));
    memset(x, 0, (size_t)N * sizeof *x);
    if (bn == 0.0) return 0;
    double target = eta * bn;
    double *r = c->w;
    while (its < CAV_GMRES_MAX) {
        /* r = b - J x */
        if (its == 0) {
            memcpy(r, b, (size_t)N * sizeof *r);
        } else {
            cav_jac(c, x, r);
            for (int k = 0; k < N; k++) r[k] = b[k] - r[k];
        }
        double beta = sqrt(dot(r, r, N));
        if (beta <= target) break;
        for (int k = 0; k < N; k++) c->V[k] = r[k] / beta;
        memset(c->g, 0, sizeof c->g);
        c->g[0] = beta;
        int j = 0;
        double res = beta;
        for (; j < K && its < CAV_GMRES_MAX; j++, its++) {
            double *vj = c->V + (size_t)j * N, *vn = c->V + (size_t)(j + 1) * N;
            cav_jac(c, vj, vn);
            double *hc = c->Hs + (size_t)j * (K + 1); /* column j */
            for (int i = 0; i <= j; i++) {             /* modified Gram–Schmidt */
                double *vi = c->V + (size_t)i * N;
                double hij = dot(vn, vi, N);
                for (int k = 0; k < N; k++) vn[k] -= hij * vi[k];
                hc[i] = hij;
            }
            double hn = sqrt(dot(vn, vn, N));
            hc[j + 1] = hn;
            if (hn > 0.0)
                for (int k = 0; k < N; k++) vn[k] /= hn;
            for (int i = 0; i < j; i++) {
                double t = c->cs[i] * hc[i] + c->sn[i] * hc[i + 1];
                hc[i + 1] = -c->sn[i] * hc[i] + c->cs[i] * hc[i + 1];
                hc[i] = t;
            }
            double den = hypot(hc[j], hc[j + 1]);
            c->cs[j] = den > 0.0 ? hc[j] / den : 1.0;
            c->sn[j] = den > 0.0 ? hc[j + 1] / den : 0.0;
            hc[j] = den;
            hc[j + 1] = 0.0;
            c->g[j + 1] = -c->sn[j] * c->g[j];
            c->g[j] = c->cs[j] * c->g[j];
            res = fabs(c->g[j + 1]);
            if (res <= target || hn == 0.0) {
                j++;
                its++;
                break;
            }
        }
        /* x += V y, H y = g (upper triangular j x j). */
        double y[CAV_RESTART];
        for (int i = j - 1; i >= 0; i--) {
            double s = c->g[i];
            for (int l = i + 1; l < j; l++) s -= c->Hs[(size_t)l * (K + 1) + i] * y[l];
            y[i] = s / c->Hs[(size_t)i * (K + 1) + i];
        }
        for (int i = 0; i < j; i++) {
            const double *vi = c->V + (size_t)i * N;
            for (int k = 0; k < N; k++) x[k] += y[i] * vi[k];
        }
        if (res <= target) break;
    }
    return its;
}

/* C = A B for m x m row-major matrices (C distinct from A and B). */
static void matmul(int m, const double *A, const double *B, double *C)
{
    memset(C, 0, (size_t)m * m * sizeof *C);
    for (int i = 0; i < m; i++) {
        double *Ci = C + (size_t)i * m;
        for (int k = 0; k < m; k++) {
            double a = A[(size_t)i * m + k];
            const double *Bk = B + (size_t)k * m;
            for (int j = 0; j < m; j++) Ci[j] += a * Bk[j];
        }
    }
}

/* Builds eig, ring and the Cholesky factor of the capacitance matrix
 *   Hc = W^{-1} + G,  G(a, b) = B^{-1}[ring a, ring b].
 * With the orthonormal sine matrix S (S = S^T = S^{-1}) and lam(p,q) the
 * eigenvalues of -h^2 Δ0, B^{-1}[(i,j),(i',j')] = sum_pq S_pi S_qj S_pi' S_qj'
 * / lam^2. For a source (i, 0) on the bottom ring row, its values on the four
 * ring lines are (S X S)[., i] with
 *   bottom row:   X = diag_p sum_q S_q0^2 / lam^2
 *   top row:      X = diag_p sum_q S_q0 S_q,m-1 / lam^2
 *   left column:  X[q][p] = S_q0 S_p0 / lam^2
 *   right column: X[q][p] = S_q0 S_p,m-1 / lam^2
 * and B^{-1} is invariant under the rotation (i,j) -> (m-1-j, i) of the grid,
 * which maps the bottom row onto the other three lines. O(m^3), no transforms. */
static nt_status cav_setup(cav *c)
{
    int m = c->m, r = c->r;
    size_t mm = (size_t)m * m;
    double sc = 1.0 / (4.0 * (double)(m + 1) * (double)(m + 1));
    double *mu = malloc((size_t)m * sizeof *mu);
    double *S = malloc(mm * sizeof *S), *X = malloc(mm * sizeof *X), *T = malloc(mm * sizeof *T);
    double *L4 = malloc(4 * mm * sizeof *L4); /* bottom, top, left, right: [line][b][i] */
    if (!mu || !S || !X || !T || !L4) {
        free(mu), free(S), free(X), free(T), free(L4);
        return nt_set_error(NT_ERR_NOMEM, "cavity: out of memory (n = %d)", c->n);
    }
    for (int p = 0; p < m; p++) {
        double sp = sin(NT_PI * (p + 1) / (2.0 * (m + 1)));
        mu[p] = 4.0 * sp * sp; /* eigenvalues of the 1D -h^2 d_xx */
    }
    for (int q = 0; q < m; q++)
        for (int p = 0; p < m; p++) {
            double lam = mu[p] + mu[q];
            c->eig[(size_t)q * m + p] = sc / (lam * lam);
        }
    double sn = sqrt(2.0 / (m + 1));
    for (int p = 0; p < m; p++)
        for (int i = 0; i < m; i++) S[(size_t)p * m + i] = sn * sin(NT_PI * (p + 1) * (i + 1) / (m + 1));
    for (int line = 0; line < 4; line++) {
        memset(X, 0, mm * sizeof *X);
        for (int q = 0; q < m; q++) {
            for (int p = 0; p < m; p++) {
                double lam = mu[p] + mu[q], il2 = 1.0 / (lam * lam);
                double sq0 = S[(size_t)q * m];
                switch (line) {
                case 0: X[(size_t)p * m + p] += sq0 * sq0 * il2; break;
                case 1: X[(size_t)p * m + p] += sq0 * S[(size_t)q * m + m - 1] * il2; break;
                case 2: X[(size_t)q * m + p] = sq0 * S[(size_t)p * m] * il2; break;
                default: X[(size_t)q * m + p] = sq0 * S[(size_t)p * m + m - 1] * il2; break;
                }
            }
        }
        matmul(m, S, X, T);
        matmul(m, T, S, L4 + (size_t)line * mm);
    }
    int k = 0;
    for (int b = 0; b < m; b++)
        for (int a = 0; a < m; a++)
            if (a == 0 || b == 0 || a == m - 1 || b == m - 1) c->ring[k++] = b * m + a;
    NT_ASSERT(k == r, "ring count");
    double *A = c->chol;
    for (int a = 0; a < r; a++) {
        int ci = c->ring[a] % m, cj = c->ring[a] / m;
        /* rotation bringing node a onto the bottom row */
        int rot = cj == 0 ? 0 : ci == m - 1 ? 1 : cj == m - 1 ? 2 : 3;
        int src = rot == 0 ? ci : rot == 1 ? cj : rot == 2 ? m - 1 - ci : m - 1 - cj;
        for (int b = 0; b <= a; b++) {
            int di = c->ring[b] % m, dj = c->ring[b] / m, ti = di, tj = dj;
            for (int t = 0; t < rot; t++) { /* inverse rotation (x,y) -> (y, m-1-x) */
                int x = ti;
                ti = tj;
                tj = m - 1 - x;
            }
            int line = tj == 0 ? 0 : tj == m - 1 ? 1 : ti == 0 ? 2 : 3;
            int pos = line < 2 ? ti : tj;
            double g = L4[(size_t)line * mm + (size_t)pos * m + src];
            A[(size_t)a * r + b] = A[(size_t)b * r + a] = g;
        }
        int d = (ci == 0) + (ci == m - 1) + (cj == 0) + (cj == m - 1);
        A[(size_t)a * r + a] += 1.0 / (2.0 * d);
    }
    free(mu), free(S), free(X), free(T), free(L4);
    /* In-place Cholesky (lower triangle, row-major). */
    for (int j = 0; j < r; j++) {
        double *Aj = A + (size_t)j * r;
        double s = Aj[j] - dot(Aj, Aj, j);
        if (!(s > 0.0))
            return nt_set_error(NT_ERR_NUMERIC, "cavity: capacitance matrix not positive definite");
        Aj[j] = sqrt(s);
        for (int i = j + 1; i < r; i++) {
            double *Ai = A + (size_t)i * r;
            Ai[j] = (Ai[j] - dot(Ai, Aj, j)) / Aj[j];
        }
    }
    return NT_OK;
}

/* Newton's method at Reynolds number re from x. Returns 1 when converged
 * (residual <= tol), -1 when it stalls at a residual below 1e-8 (rounding
 * level: tol too small), 0 otherwise; x holds the last accepted iterate.
 * Uses R, Hx, d, xs (N each). */
static int cav_newton(cav *c, double re, double *x, double tol, double r0, int *budget,
                      nt_cavity_info *info, double *R, double *Hx, double *d, double *xs)
{
    int N = c->N;
    c->re = re;
    double res = cav_resid(c, x, R) / r0;
    memcpy(Hx, R, (size_t)N * sizeof *R);
    cav_minv(c, Hx);
    double hn = sqrt(dot(Hx, Hx, N)), hn0 = hn;
    int slow = 0;
    info->residual = res;
    for (int it = 0; it < CAV_NEWTON_TRY; it++) {
        if (!isfinite(res)) return 0;
        if (res <= tol) return 1;
        if (*budget <= 0) return 0;
        (*budget)--;
        info->newton_iters++;
        /* Forcing term: superlinear (eta ~ ||H||/||H0||), but no tighter than
         * needed for one step to reach tol. */
        double eta = fmax(fmin(0.1, hn / hn0), fmin(0.1, 0.02 * tol / res));
        for (int k = 0; k < N; k++) Hx[k] = -Hx[k];
        /* The Jacobian is evaluated at x: cav_resid(x) left psi, om there. */
        info->krylov_iters += cav_gmres(c, Hx, d, eta);
        memcpy(xs, x, (size_t)N * sizeof *x);
        double lam = 1.0;
        int ok = 0;
        for (int ls = 0; ls < 12; ls++, lam *= 0.5) {
            for (int k = 0; k < N; k++) x[k] = xs[k] + lam * d[k];
            double rt = cav_resid(c, x, R) / r0;
            memcpy(Hx, R, (size_t)N * sizeof *R);
            cav_minv(c, Hx);
            double ht = sqrt(dot(Hx, Hx, N));
            if (isfinite(ht) && ht <= (1.0 - 1e-4 * lam) * hn) {
                /* Stagnation (a local minimum of ||H|| far from a root): give
                 * up early so that the caller continues in Re. */
                slow = ht > 0.9 * hn ? slow + 1 : 0;
                hn = ht;
                res = rt;
                ok = 1;
                break;
            }
        }
        if (!ok || slow >= 2) {
            if (!ok) memcpy(x, xs, (size_t)N * sizeof *x);
            cav_resid(c, x, R);
            return res < 1e-8 ? -1 : 0;
        }
        info->residual = res;
    }
    return res <= tol;
}

void nt_cavity_config_default(nt_cavity_config *c)
{
    NT_ASSERT(c, "NULL config");
    memset(c, 0, sizeof *c);
    c->n = 129;
    c->re = 100.0;
}

/* Derivative of omega at node index i of a line of n values o[0], o[s], ...:
 * central inside, second-order one-sided at the ends. */
static double line_der(const double *o, size_t s, int i, int n, double h)
{
    if (i == 0) return (-3.0 * o[0] + 4.0 * o[s] - o[2 * s]) / (2.0 * h);
    if (i == n - 1)
        return (3.0 * o[(size_t)(n - 1) * s] - 4.0 * o[(size_t)(n - 2) * s] +
                o[(size_t)(n - 3) * s]) / (2.0 * h);
    return (o[(size_t)(i + 1) * s] - o[(size_t)(i - 1) * s]) / (2.0 * h);
}

/* Pressure from the converged psi, om (full grids in c) into p.
 *
 * G = (1/Re) Δu - (u·∇)u = (-(1/Re) omega_y - u u_x - v u_y,
 *                            (1/Re) omega_x - u v_x - v v_y)
 * at every node (central differences inside; on the walls the convective
 * term vanishes and omega's derivatives are one-sided across the wall,
 * central along it, one-sided next to the corners; corner nodes: mean of
 * their two wall neighbours). The pressure solves A p = D G, A the
 * ghost-node Neumann Laplacian (DCT-I) and D the divergence that is central
 * inside and (G_0 + G_1)/h, -(G_{n-1} + G_{n-2})/h at the two ends of each
 * line: that is the ghost-node form of the Neumann data dp/dn = n·G, and it
 * makes the trapezoid-weighted sum of D G telescope to zero, so the discrete
 * problem is compatible exactly. (Writing the source as 2(u_x v_y - u_y v_x)
 * with separate Neumann data leaves an O(1) incompatibility from the lid
 * corners, whose removal distorts p everywhere.) */
static nt_status cav_pressure(cav *c, const double *u, const double *v, double *p)
{
    int n = c->n;
    size_t nn = (size_t)n * n;
    double h = c->h, ire = 1.0 / c->re, i2h = 0.5 / h;
    const double *om = c->om;
    double *f = fftw_malloc(nn * sizeof *f);
    double *gx = malloc(nn * sizeof *gx), *gy = malloc(nn * sizeof *gy);
    fftw_plan pl = NULL;
    nt_status st = NT_OK;
    if (!f || !gx || !gy) {
        st = nt_set_error(NT_ERR_NOMEM, "cavity: out of memory (pressure)");
        goto done;
    }
    pl = fftw_plan_r2r_2d(n, n, f, f, FFTW_REDFT00, FFTW_REDFT00, FFTW_ESTIMATE);
    if (!pl) {
        st = nt_set_error(NT_ERR_NOMEM, "cavity: FFTW planning failed (n = %d)", n);
        goto done;
    }
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < n; i++) {
            size_t k = (size_t)j * n + i;
            int wx = i == 0 || i == n - 1, wy = j == 0 || j == n - 1;
            if (wx && wy) continue; /* corners below */
            /* omega_x along row j, omega_y along column i */
            double ox = line_der(om + (size_t)j * n, 1, i, n, h);
            double oy = line_der(om + i, (size_t)n, j, n, h);
            double cx = 0.0, cy = 0.0;
            if (!wx && !wy) {
                double ux = (u[k + 1] - u[k - 1]) * i2h, uy = (u[k + n] - u[k - n]) * i2h;
                double vx = (v[k + 1] - v[k - 1]) * i2h, vy = (v[k + n] - v[k - n]) * i2h;
                cx = u[k] * ux + v[k] * uy;
                cy = u[k] * vx + v[k] * vy;
            }
            gx[k] = -ire * oy - cx;
            gy[k] = ire * ox - cy;
        }
    }
    size_t t = (size_t)(n - 1) * n;
    size_t cn[4] = {0, (size_t)n - 1, t, t + n - 1};
    size_t na[4] = {1, (size_t)n - 2, t + 1, t + n - 2};
    size_t nb[4] = {(size_t)n, 2 * (size_t)n - 1, t - n, t - 1};
    for (int q = 0; q < 4; q++) {
        gx[cn[q]] = 0.5 * (gx[na[q]] + gx[nb[q]]);
        gy[cn[q]] = 0.5 * (gy[na[q]] + gy[nb[q]]);
    }
    double ih = 1.0 / h;
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < n; i++) {
            size_t k = (size_t)j * n + i;
            double dx = i == 0 ? (gx[k] + gx[k + 1]) * ih
                        : i == n - 1 ? -(gx[k] + gx[k - 1]) * ih
                                     : (gx[k + 1] - gx[k - 1]) * i2h;
            double dy = j == 0 ? (gy[k] + gy[k + n]) * ih
                        : j == n - 1 ? -(gy[k] + gy[k - n]) * ih
                                     : (gy[k + n] - gy[k - n]) * i2h;
            f[k] = dx + dy;
        }
    }
    fftw_execute(pl);
    double sc = 1.0 / (4.0 * (double)(n - 1) * (double)(n - 1)), ih2 = ih * ih;
    for (int q = 0; q < n; q++) {
        double sq = sin(NT_PI * q / (2.0 * (n - 1)));
        for (int pp = 0; pp < n; pp++) {
            double sp = sin(NT_PI * pp / (2.0 * (n - 1)));
            double lam = -4.0 * (sp * sp + sq * sq) * ih2;
            size_t k = (size_t)q * n + pp;
            f[k] = (q == 0 && pp == 0) ? 0.0 : f[k] * sc / lam;
        }
    }
    fftw_execute(pl);
    double mean = 0.0;
    for (size_t k = 0; k < nn; k++) mean += f[k];
    mean /= (double)nn;
    for (size_t k = 0; k < nn; k++) p[k] = f[k] - mean;
done:
    if (pl) fftw_destroy_plan(pl);
    fftw_free(f);
    free(gx);
    free(gy);
    return st;
}

nt_status nt_cavity_solve(const nt_cavity_config *cfg, double *u, double *v, double *p,
                          double *psi_out, double *omega_out, nt_cavity_info *info)
{
    NT_ASSERT(cfg, "NULL config");
    nt_cavity_info dummy;
    if (!info) info = &dummy;
    memset(info, 0, sizeof *info);
    int n = cfg->n;
    if (n < 5 || n > 1025)
        return nt_set_error(NT_ERR_ARG, "cavity: n must be in [5, 1025] (got %d)", n);
    if (!(cfg->re > 0.0) || !isfinite(cfg->re))
        return nt_set_error(NT_ERR_ARG, "cavity: Re must be finite and > 0 (got %g)", cfg->re);
    if (!(cfg->tol >= 0.0) || !isfinite(cfg->tol))
        return nt_set_error(NT_ERR_ARG, "cavity: tol must be finite and >= 0 (got %g)", cfg->tol);
    if (cfg->max_iter < 0)
        return nt_set_error(NT_ERR_ARG, "cavity: max_iter must be >= 0 (got %d)", cfg->max_iter);
    double tol = cfg->tol > 0.0 ? cfg->tol : 1e-10;
    int budget = cfg->max_iter > 0 ? cfg->max_iter : 200;

    cav c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.m = n - 2;
    c.N = c.m * c.m;
    c.h = 1.0 / (n - 1);
    c.r = 4 * (c.m - 1); /* n >= 5: m >= 3 */
    int N = c.N, r = c.r;
    nt_status st = NT_OK;
    size_t nn = (size_t)n * n;
    double *x = NULL, *xok = NULL, *R = NULL, *Hx = NULL, *d = NULL, *xs = NULL;
    c.ring = malloc((size_t)r * sizeof *c.ring);
    c.chol = malloc((size_t)r * r * sizeof *c.chol);
    c.ry = malloc((size_t)r * sizeof *c.ry);
    c.eig = malloc((size_t)N * sizeof *c.eig);
    c.buf = fftw_malloc((size_t)N * sizeof *c.buf);
    c.psi = malloc(nn * sizeof *c.psi);
    c.om = malloc(nn * sizeof *c.om);
    c.dpsi = malloc(nn * sizeof *c.dpsi);
    c.dom = malloc(nn * sizeof *c.dom);
    c.tmp = malloc((size_t)N * sizeof *c.tmp);
    c.w = malloc((size_t)N * sizeof *c.w);
    c.V = malloc((size_t)(CAV_RESTART + 1) * N * sizeof *c.V);
    c.Hs = malloc((size_t)(CAV_RESTART + 1) * CAV_RESTART * sizeof *c.Hs);
    x = malloc((size_t)N * sizeof *x);
    xok = malloc((size_t)N * sizeof *x);
    R = malloc((size_t)N * sizeof *x);
    Hx = malloc((size_t)N * sizeof *x);
    d = malloc((size_t)N * sizeof *x);
    xs = malloc((size_t)N * sizeof *x);
    if (!c.ring || !c.chol || !c.ry || !c.eig || !c.buf || !c.psi || !c.om || !c.dpsi ||
        !c.dom || !c.tmp || !c.w || !c.V || !c.Hs || !x || !xok || !R || !Hx || !d || !xs) {
        st = nt_set_error(NT_ERR_NOMEM, "cavity: out of memory (n = %d)", n);
        goto done;
    }
    c.dst = fftw_plan_r2r_2d(c.m, c.m, c.buf, c.buf, FFTW_RODFT00, FFTW_RODFT00, FFTW_ESTIMATE);
    if (!c.dst) {
        st = nt_set_error(NT_ERR_NOMEM, "cavity: FFTW planning failed (n = %d)", n);
        goto done;
    }
    st = cav_setup(&c);
    if (st != NT_OK) goto done;

    /* Stokes solution: Mt x = -2 h e_top. */
    memset(x, 0, (size_t)N * sizeof *x);
    for (int i = 0; i < c.m; i++) x[(size_t)(c.m - 1) * c.m + i] = -2.0 * c.h;
    double r0 = sqrt((double)c.m) * 2.0 * c.h; /* ||G(0)|| */
    cav_minv(&c, x);
    memcpy(xok, x, (size_t)N * sizeof *x);

    /* Newton with continuation in Re. */
    double re_ok = 0.0, step = cfg->re;
    for (;;) {
        double re_try = fmin(cfg->re, re_ok + step);
        memcpy(x, xok, (size_t)N * sizeof *x);
        int ok = cav_newton(&c, re_try, x, tol, r0, &budget, info, R, Hx, d, xs);
        if (ok < 0) {
            st = nt_set_error(NT_ERR_NUMERIC,
                              "cavity: residual stagnated at %.3g above tol %g (rounding level "
                              "for n = %d: use a larger tol)", info->residual, tol, n);
            goto done;
        }
        if (ok) {
            info->re_steps++;
            re_ok = re_try;
            memcpy(xok, x, (size_t)N * sizeof *x);
            if (re_ok >= cfg->re) break;
            step *= 2.0;
        } else {
            if (budget <= 0) {
                st = nt_set_error(NT_ERR_NUMERIC,
                                  "cavity: Newton did not reach tol %g within max_iter = %d "
                                  "(at Re = %g, residual %.3g)",
                                  tol, cfg->max_iter > 0 ? cfg->max_iter : 200, re_try,
                                  info->residual);
                goto done;
            }
            step *= 0.5;
            if (step < 1e-3 * cfg->re) {
                st = nt_set_error(NT_ERR_NUMERIC,
                                  "cavity: Newton failed at Re = %g (continuation stalled at "
                                  "Re = %g, residual %.3g)",
                                  re_try, re_ok, info->residual);
                goto done;
            }
        }
    }

    /* Final fields (cav_resid leaves psi and om at x). */
    info->residual = cav_resid(&c, xok, R) / r0;
    info->psi_min = 0.0;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++)
            if (c.psi[(size_t)j * n + i] < info->psi_min) {
                info->psi_min = c.psi[(size_t)j * n + i];
                info->psi_min_ix = i;
                info->psi_min_iy = j;
            }
    /* Velocities (into the outputs, or scratch when only p is wanted). */
    double *ub = u, *vb = v;
    if (p && !u) ub = c.dpsi;
    if (p && !v) vb = c.dom;
    if (ub || vb) {
        double i2h = 0.5 / c.h;
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < n; i++) {
                size_t k = (size_t)j * n + i;
                double uu = 0.0, vv = 0.0;
                if (j == n - 1) {
                    uu = 1.0;
                } else if (i > 0 && i < n - 1 && j > 0) {
                    uu = (c.psi[k + n] - c.psi[k - n]) * i2h;
                    vv = -(c.psi[k + 1] - c.psi[k - 1]) * i2h;
                }
                if (ub) ub[k] = uu;
                if (vb) vb[k] = vv;
            }
        }
    }
    if (p) {
        st = cav_pressure(&c, ub, vb, p);
        if (st != NT_OK) goto done;
    }
    if (psi_out) memcpy(psi_out, c.psi, nn * sizeof *psi_out);
    if (omega_out) memcpy(omega_out, c.om, nn * sizeof *omega_out);
    st = NT_OK;

done:
    if (c.dst) fftw_destroy_plan(c.dst);
    free(c.ring);
    free(c.chol);
    free(c.ry);
    free(c.eig);
    fftw_free(c.buf);
    free(c.psi);
    free(c.om);
    free(c.dpsi);
    free(c.dom);
    free(c.tmp);
    free(c.w);
    free(c.V);
    free(c.Hs);
    free(x);
    free(xok);
    free(R);
    free(Hx);
    free(d);
    free(xs);
    return st;
}

/* ======================================================================
 * 2D periodic Navier–Stokes, vorticity form
 * ====================================================================== */

typedef double complex cplx;

typedef struct ns2 {
    const nt_ns2d_config *cfg;
    int n, nh, m;          /* grid side, n/2+1, modes n*nh */
    double *kx, *ky;       /* m: odd-derivative wavenumbers (0 at Nyquist) */
    double *ik2;           /* m: 1/k^2 (0 for k = 0) */
    double *lin;           /* m: -nu k^2 */
    unsigned char *keep;   /* m: 2/3-rule mask */
    double *E, *E2, *Q, *f1, *f2, *f3; /* m: ETDRK4 coefficients for step hc */
    double hc;
    cplx *v, *a, *b, *c, *Nv, *Na, *Nb, *Nc, *fh, *hat;
    double *g0, *g1, *g2, *g3; /* n*n grid scratch */
    fftw_plan fwd, bwd;
} ns2;

/* phi_1..3(z) for real z <= 0 (phi_k = sum_j z^j/(j+k)!). */
static void phis(double z, double *p1, double *p2, double *p3)
{
    if (fabs(z) < 1.0) {
        /* Taylor: 1/(j+k)! <= 1/24! ~ 1.6e-24 beyond 22 terms for |z| < 1. */
        double s1 = 0.0, s2 = 0.0, s3 = 0.0;
        for (int j = 22; j >= 0; j--) {
            /* Horner with the factorial ratios: phi_k = sum z^j/(j+k)! */
            s1 = 1.0 + z * s1 / (j + 2);
            s2 = 1.0 + z * s2 / (j + 3);
            s3 = 1.0 + z * s3 / (j + 4);
        }
        *p1 = s1;
        *p2 = s2 / 2.0;
        *p3 = s3 / 6.0;
    } else {
        double e1 = expm1(z);
        *p1 = e1 / z;
        *p2 = (*p1 - 1.0) / z;
        *p3 = (*p2 - 0.5) / z;
    }
}

static void ns_coeffs(ns2 *s, double h)
{
    for (int j = 0; j < s->m; j++) {
        double z = h * s->lin[j], p1, p2, p3, q1, q2, q3;
        phis(z, &p1, &p2, &p3);
        phis(0.5 * z, &q1, &q2, &q3);
        s->E[j] = exp(z);
        s->E2[j] = exp(0.5 * z);
        s->Q[j] = 0.5 * h * q1;
        s->f1[j] = h * (p1 - 3.0 * p2 + 4.0 * p3);
        s->f2[j] = h * (p2 - 2.0 * p3);
        s->f3[j] = h * (-p2 + 4.0 * p3);
    }
    s->hc = h;
}

/* out = N(in) = -(u w_x + v w_y) (dealiased) + f_hat. Unnormalized r2c
 * coefficients throughout. */
static void ns_nonlin(ns2 *s, const cplx *in, cplx *out)
{
    int m = s->m;
    size_t nn = (size_t)s->n * s->n;
    /* u = psi_y = i ky w/k^2 */
    for (int j = 0; j < m; j++) s->hat[j] = s->keep[j] ? I * s->ky[j] * s->ik2[j] * in[j] : 0.0;
    fftw_execute_dft_c2r(s->bwd, s->hat, s->g0);
    for (int j = 0; j < m; j++) s->hat[j] = s->keep[j] ? -I * s->kx[j] * s->ik2[j] * in[j] : 0.0;
    fftw_execute_dft_c2r(s->bwd, s->hat, s->g1);
    for (int j = 0; j < m; j++) s->hat[j] = s->keep[j] ? I * s->kx[j] * in[j] : 0.0;
    fftw_execute_dft_c2r(s->bwd, s->hat, s->g2);
    for (int j = 0; j < m; j++) s->hat[j] = s->keep[j] ? I * s->ky[j] * in[j] : 0.0;
    fftw_execute_dft_c2r(s->bwd, s->hat, s->g3);
    double sc = -1.0 / ((double)nn * (double)nn);
    for (size_t k = 0; k < nn; k++) s->g0[k] = sc * (s->g0[k] * s->g2[k] + s->g1[k] * s->g3[k]);
    fftw_execute_dft_r2c(s->fwd, s->g0, out);
    for (int j = 0; j < m; j++) out[j] = (s->keep[j] ? out[j] : 0.0) + s->fh[j];
}

static void ns_step(ns2 *s)
{
    int m = s->m;
    cplx *v = s->v, *a = s->a, *b = s->b, *c = s->c;
    ns_nonlin(s, v, s->Nv);
    for (int j = 0; j < m; j++) a[j] = s->E2[j] * v[j] + s->Q[j] * s->Nv[j];
    ns_nonlin(s, a, s->Na);
    for (int j = 0; j < m; j++) b[j] = s->E2[j] * v[j] + s->Q[j] * s->Na[j];
    ns_nonlin(s, b, s->Nb);
    for (int j = 0; j < m; j++) c[j] = s->E2[j] * a[j] + s->Q[j] * (2.0 * s->Nb[j] - s->Nv[j]);
    ns_nonlin(s, c, s->Nc);
    for (int j = 0; j < m; j++)
        v[j] = s->E[j] * v[j] + s->f1[j] * s->Nv[j] + 2.0 * s->f2[j] * (s->Na[j] + s->Nb[j]) +
               s->f3[j] * s->Nc[j];
}

static int ns_finite(const ns2 *s)
{
    double acc = 0.0;
    for (int j = 0; j < s->m; j++) acc += fabs(creal(s->v[j])) + fabs(cimag(s->v[j]));
    return isfinite(acc);
}

/* dst (n*n) = grid values of mult[j] * v[j] (mult NULL: 1; odd-derivative
 * multipliers are imaginary: im = 1 multiplies by i). */
static void ns_grid(ns2 *s, const double *mult, int im, double *dst)
{
    size_t nn = (size_t)s->n * s->n;
    for (int j = 0; j < s->m; j++) {
        cplx val = s->v[j];
        if (mult) val *= mult[j];
        if (im) val *= I;
        s->hat[j] = val;
    }
    fftw_execute_dft_c2r(s->bwd, s->hat, s->g0);
    double sc = 1.0 / (double)nn;
    for (size_t k = 0; k < nn; k++) dst[k] = s->g0[k] * sc;
}

nt_status nt_ns2d_solve(const nt_ns2d_config *cfg, const double *w0, const double *force,
                        const double *t_out, int n_out, double *w_out, double *u_last,
                        double *v_last)
{
    NT_ASSERT(cfg && w0, "NULL argument");
    NT_ASSERT(n_out >= 0, "n_out must be >= 0");
    NT_ASSERT(n_out == 0 || (t_out && w_out), "NULL t_out/w_out");
    int n = cfg->n;
    if (n < 8 || n > 16384 || n % 2)
        return nt_set_error(NT_ERR_ARG, "ns2d: n must be even and in [8, 16384] (got %d)", n);
    if (!(cfg->L > 0.0) || !isfinite(cfg->L))
        return nt_set_error(NT_ERR_ARG, "ns2d: L must be finite and > 0 (got %g)", cfg->L);
    if (!(cfg->nu >= 0.0) || !isfinite(cfg->nu))
        return nt_set_error(NT_ERR_ARG, "ns2d: nu must be finite and >= 0 (got %g)", cfg->nu);
    if (!(cfg->dt > 0.0) || !isfinite(cfg->dt))
        return nt_set_error(NT_ERR_ARG, "ns2d: dt must be finite and > 0 (got %g)", cfg->dt);
    for (int i = 0; i < n_out; i++)
        if (!isfinite(t_out[i]) || t_out[i] < 0.0 || (i > 0 && t_out[i] < t_out[i - 1]))
            return nt_set_error(NT_ERR_ARG,
                                "ns2d: t_out must be finite, >= 0 and non-decreasing "
                                "(t_out[%d] = %g)", i, t_out[i]);
    size_t nn = (size_t)n * n;
    for (size_t k = 0; k < nn; k++) {
        if (!isfinite(w0[k]))
            return nt_set_error(NT_ERR_ARG, "ns2d: w0[%zu] is not finite", k);
        if (force && !isfinite(force[k]))
            return nt_set_error(NT_ERR_ARG, "ns2d: force[%zu] is not finite", k);
    }

    nt_status st;
    ns2 s;
    memset(&s, 0, sizeof s);
    s.cfg = cfg;
    s.n = n;
    s.nh = n / 2 + 1;
    s.m = n * s.nh;
    int m = s.m;
    cplx **carr[] = {&s.v, &s.a, &s.b, &s.c, &s.Nv, &s.Na, &s.Nb, &s.Nc, &s.fh, &s.hat};
    double **rarr[] = {&s.kx, &s.ky, &s.ik2, &s.lin, &s.E, &s.E2, &s.Q, &s.f1, &s.f2, &s.f3};
    double **garr[] = {&s.g0, &s.g1, &s.g2, &s.g3};
    int nc = (int)(sizeof carr / sizeof carr[0]), nr = (int)(sizeof rarr / sizeof rarr[0]);
    int ok = 1;
    for (int i = 0; i < nc; i++) ok &= (*carr[i] = fftw_malloc((size_t)m * sizeof(cplx))) != NULL;
    for (int i = 0; i < nr; i++) ok &= (*rarr[i] = malloc((size_t)m * sizeof(double))) != NULL;
    for (int i = 0; i < 4; i++) ok &= (*garr[i] = fftw_malloc(nn * sizeof(double))) != NULL;
    ok &= (s.keep = malloc((size_t)m)) != NULL;
    if (!ok) {
        st = nt_set_error(NT_ERR_NOMEM, "ns2d: out of memory (n = %d)", n);
        goto done;
    }
    s.fwd = fftw_plan_dft_r2c_2d(n, n, s.g0, s.hat, FFTW_ESTIMATE);
    s.bwd = fftw_plan_dft_c2r_2d(n, n, s.hat, s.g0, FFTW_ESTIMATE);
    if (!s.fwd || !s.bwd) {
        st = nt_set_error(NT_ERR_NOMEM, "ns2d: FFTW planning failed (n = %d)", n);
        goto done;
    }

    double k0 = 2.0 * NT_PI / cfg->L;
    for (int jy = 0; jy < n; jy++) {
        int iy = jy <= n / 2 ? jy : jy - n;
        for (int jx = 0; jx < s.nh; jx++) {
            int j = jy * s.nh + jx;
            double kxv = k0 * jx, kyv = k0 * iy, k2 = kxv * kxv + kyv * kyv;
            s.kx[j] = 2 * jx == n ? 0.0 : kxv;
            s.ky[j] = 2 * iy == n ? 0.0 : kyv;
            s.ik2[j] = k2 > 0.0 ? 1.0 / k2 : 0.0;
            s.lin[j] = -cfg->nu * k2;
            s.keep[j] = 3 * jx < n && 3 * abs(iy) < n;
        }
    }

    memcpy(s.g0, w0, nn * sizeof(double));
    fftw_execute_dft_r2c(s.fwd, s.g0, s.v);
    if (force) {
        memcpy(s.g0, force, nn * sizeof(double));
        fftw_execute_dft_r2c(s.fwd, s.g0, s.fh);
    } else {
        memset(s.fh, 0, (size_t)m * sizeof(cplx));
    }

    double t = 0.0;
    for (int i = 0; i < n_out; i++) {
        double d = t_out[i] - t;
        if (d > 0.0) {
            double q = ceil(d / cfg->dt * (1.0 - 1e-12));
            if (q > 1e12) {
                st = nt_set_error(NT_ERR_ARG, "ns2d: %g steps needed to reach t = %g (dt = %g)", q,
                                  t_out[i], cfg->dt);
                goto done;
            }
            int64_t ns = q < 1.0 ? 1 : (int64_t)q;
            double h = d / (double)ns;
            if (h != s.hc) ns_coeffs(&s, h);
            for (int64_t k = 0; k < ns; k++) {
                ns_step(&s);
                if ((k & 15) == 15 && !ns_finite(&s)) {
                    st = nt_set_error(NT_ERR_NUMERIC,
                                      "ns2d: solution is not finite at t = %g (dt = %g too "
                                      "large?)", t + (double)(k + 1) * h, cfg->dt);
                    goto done;
                }
            }
            t = t_out[i];
        }
        if (!ns_finite(&s)) {
            st = nt_set_error(NT_ERR_NUMERIC,
                              "ns2d: solution is not finite at t = %g (dt = %g too large?)",
                              t_out[i], cfg->dt);
            goto done;
        }
        ns_grid(&s, NULL, 0, w_out + (size_t)i * nn);
    }
    /* u = psi_y = i ky w/k^2, v = -psi_x = -i kx w/k^2 */
    if (u_last || v_last) {
        /* lin and E are free after the last step: reuse them as multipliers. */
        double *mu = s.lin, *mv = s.E;
        for (int j = 0; j < m; j++) {
            mu[j] = s.ky[j] * s.ik2[j];
            mv[j] = -s.kx[j] * s.ik2[j];
        }
        if (u_last) ns_grid(&s, mu, 1, u_last);
        if (v_last) ns_grid(&s, mv, 1, v_last);
    }
    st = NT_OK;

done:
    if (s.fwd) fftw_destroy_plan(s.fwd);
    if (s.bwd) fftw_destroy_plan(s.bwd);
    for (int i = 0; i < nc; i++) fftw_free(*carr[i]);
    for (int i = 0; i < nr; i++) free(*rarr[i]);
    for (int i = 0; i < 4; i++) fftw_free(*garr[i]);
    free(s.keep);
    return st;
}

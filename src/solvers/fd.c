/* fd.c — finite-difference heat, wave, Poisson and Darcy solvers (see fd.h).
 *
 * All four share one discrete operator (struct fdop): on a box grid with
 * Dirichlet nodes (boundary, plus masked-out nodes),
 *
 *   (A u)_P = c0 u_P + sum_{faces PQ} a_PQ (u_P - u_Q) / h_PQ^2,
 *
 * with a_PQ stored per face (ax: x faces, ay: y faces). Heat uses c0 = 2/k and
 * a = kappa (Crank–Nicolson), wave c0 = 0 and a = c^2 (explicit acceleration
 * -A u), Poisson c0 = 0 and a = 1, Darcy c0 = 0 and a = mean of node values.
 * A restricted to the unknown nodes is SPD (diagonally dominant with a
 * Dirichlet node in reach of every unknown). Full vectors always hold the
 * Dirichlet values at Dirichlet nodes; the couplings to them move to the
 * right-hand side (lift()).
 *
 * The 2D systems are solved by PCG with a multigrid V(1,1) preconditioner:
 *  - level 0 is the 5-point operator restricted to the unknowns (couplings to
 *    Dirichlet nodes removed), stored compactly and symmetrically (diagonal,
 *    east and north couplings per node); coarse levels hold 9-point stencils
 *    st[9 i + k], k = (dy + 1) * 3 + (dx + 1);
 *  - coarsening per dimension keeps the even fine nodes and the last node
 *    (n nodes, m = n - 1 intervals -> ceil(m/2) + 1 nodes), so odd m works; the
 *    odd fine nodes are interpolated linearly from their two coarse neighbours.
 *    A dimension with 3 nodes is not coarsened further, nor one whose spacing
 *    is over 1.5 times the other's (semi-coarsening keeps point smoothing
 *    effective on stretched cells). A coarse node is an unknown iff the fine
 *    node at its position is one;
 *  - coarse operators are Galerkin products A_c = P^T A P (9-point);
 *  - smoothing: one forward lexicographic Gauss–Seidel sweep before and one
 *    backward sweep after the coarse correction (so the cycle is a symmetric
 *    positive definite preconditioner);
 *  - the coarsest level (<= MG_DENSE interior nodes) is solved by Cholesky. */
#include "solvers/fd.h"

#include "core/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MG_MAXLEV 48
#define MG_DENSE 100 /* coarsest level: at most this many interior nodes */
#define FD_MAXN (1 << 20)
#define FD_MAXNODES ((int64_t)1 << 28)

/* ---- Grid ------------------------------------------------------------------ */

double nt_fd_node(const nt_fd_grid *g, int axis, int i)
{
    NT_ASSERT(g && axis >= 0 && axis < 2, "bad grid/axis");
    int n = g->n[axis];
    if (i == n - 1) return g->hi[axis];
    return g->lo[axis] + (double)i * ((g->hi[axis] - g->lo[axis]) / (double)(n - 1));
}

static nt_status check_grid(const char *who, const nt_fd_grid *g, int need_dim)
{
    if (g->dim != 1 && g->dim != 2)
        return nt_set_error(NT_ERR_ARG, "%s: grid.dim must be 1 or 2 (got %d)", who, g->dim);
    if (need_dim && g->dim != need_dim)
        return nt_set_error(NT_ERR_ARG, "%s: grid.dim must be %d (got %d)", who, need_dim, g->dim);
    int64_t nodes = 1;
    for (int d = 0; d < g->dim; d++) {
        if (g->n[d] < 3 || g->n[d] > FD_MAXN)
            return nt_set_error(NT_ERR_ARG,
                                "%s: grid.n[%d] must be >= 3 (boundary nodes included) and "
                                "<= %d (got %d)", who, d, FD_MAXN, g->n[d]);
        if (!isfinite(g->lo[d]) || !isfinite(g->hi[d]) || !(g->hi[d] > g->lo[d]))
            return nt_set_error(NT_ERR_ARG, "%s: grid box [%g, %g] along axis %d must be finite "
                                "with hi > lo", who, g->lo[d], g->hi[d], d);
        nodes *= g->n[d];
    }
    if (nodes > FD_MAXNODES)
        return nt_set_error(NT_ERR_ARG, "%s: grid has %lld nodes (limit %lld)", who,
                            (long long)nodes, (long long)FD_MAXNODES);
    return NT_OK;
}

static nt_status check_times(const char *who, const double *t_out, int n_out, double dt)
{
    for (int i = 0; i < n_out; i++) {
        if (!isfinite(t_out[i]) || t_out[i] < 0.0 || (i > 0 && t_out[i] < t_out[i - 1]))
            return nt_set_error(NT_ERR_ARG,
                                "%s: t_out must be finite, >= 0 and non-decreasing "
                                "(t_out[%d] = %g)", who, i, t_out[i]);
        double d = t_out[i] - (i > 0 ? t_out[i - 1] : 0.0);
        if (d / dt > 1e12)
            return nt_set_error(NT_ERR_ARG, "%s: %g steps needed to reach t = %g (dt = %g)", who,
                                d / dt, t_out[i], dt);
    }
    return NT_OK;
}

/* Number of equal steps for an interval of length d > 0. */
static int64_t n_steps(double d, double dt)
{
    double q = ceil(d / dt * (1.0 - 1e-12));
    return q < 1.0 ? 1 : (int64_t)q;
}

/* ---- Discrete operator ----------------------------------------------------- */

typedef struct fdop {
    int dim, nx, ny;
    double hx2i, hy2i;   /* 1/h^2 */
    double c0;
    double *ax;          /* (nx-1)*ny: face (ix, ix+1) of row iy at ax[iy*(nx-1) + ix] */
    double *ay;          /* nx*(ny-1): face (iy, iy+1) of column ix at ay[iy*nx + ix] */
    unsigned char *unk;  /* nx*ny: 1 = unknown */
    const nt_fd_grid *grid;
} fdop;

static void op_free(fdop *op)
{
    free(op->ax);
    free(op->ay);
    free(op->unk);
    memset(op, 0, sizeof *op);
}

/* Allocates the arrays, sets the geometry and marks the non-boundary nodes as
 * unknowns. */
static nt_status op_init(fdop *op, const nt_fd_grid *g, const char *who)
{
    memset(op, 0, sizeof *op);
    op->grid = g;
    op->dim = g->dim;
    op->nx = g->n[0];
    op->ny = g->dim == 2 ? g->n[1] : 1;
    double hx = (g->hi[0] - g->lo[0]) / (double)(op->nx - 1);
    op->hx2i = 1.0 / (hx * hx);
    if (g->dim == 2) {
        double hy = (g->hi[1] - g->lo[1]) / (double)(op->ny - 1);
        op->hy2i = 1.0 / (hy * hy);
    }
    size_t nx = (size_t)op->nx, ny = (size_t)op->ny;
    op->ax = malloc((nx - 1) * ny * sizeof *op->ax);
    op->ay = g->dim == 2 ? malloc(nx * (ny - 1) * sizeof *op->ay) : NULL;
    op->unk = calloc(nx * ny, 1);
    if (!op->ax || (g->dim == 2 && !op->ay) || !op->unk) {
        op_free(op);
        return nt_set_error(NT_ERR_NOMEM, "%s: out of memory (%zu x %zu grid)", who, nx, ny);
    }
    if (g->dim == 1) {
        for (size_t i = 1; i + 1 < nx; i++) op->unk[i] = 1;
    } else {
        for (size_t iy = 1; iy + 1 < ny; iy++)
            for (size_t ix = 1; ix + 1 < nx; ix++) op->unk[iy * nx + ix] = 1;
    }
    return NT_OK;
}

static void op_const_faces(fdop *op, double a)
{
    size_t nx = (size_t)op->nx, ny = (size_t)op->ny;
    for (size_t i = 0; i < (nx - 1) * ny; i++) op->ax[i] = a;
    if (op->ay)
        for (size_t i = 0; i < nx * (ny - 1); i++) op->ay[i] = a;
}

/* Row range of nodes that can be unknowns. */
static inline int row_lo(const fdop *op) { return op->dim == 2 ? 1 : 0; }
static inline int row_hi(const fdop *op) { return op->dim == 2 ? op->ny - 1 : 1; }

/* y = A u at the unknowns (all couplings, Dirichlet neighbours included),
 * y = 0 elsewhere. */
static void op_apply_full(const fdop *op, const double *u, double *y)
{
    int nx = op->nx;
    size_t N = (size_t)nx * (size_t)op->ny;
    memset(y, 0, N * sizeof *y);
    for (int iy = row_lo(op); iy < row_hi(op); iy++) {
        const double *axr = op->ax + (size_t)iy * (size_t)(nx - 1);
        for (int ix = 1; ix < nx - 1; ix++) {
            size_t p = (size_t)iy * (size_t)nx + (size_t)ix;
            if (!op->unk[p]) continue;
            double up = u[p];
            double s = op->c0 * up +
                       op->hx2i * (axr[ix - 1] * (up - u[p - 1]) + axr[ix] * (up - u[p + 1]));
            if (op->dim == 2) {
                double as = op->ay[p - (size_t)nx], an = op->ay[p];
                s += op->hy2i * (as * (up - u[p - (size_t)nx]) + an * (up - u[p + (size_t)nx]));
            }
            y[p] = s;
        }
    }
}

/* b += (couplings of each unknown to its Dirichlet neighbours) * u there. */
static void op_lift(const fdop *op, const double *u, double *b)
{
    int nx = op->nx;
    const unsigned char *k = op->unk;
    for (int iy = row_lo(op); iy < row_hi(op); iy++) {
        const double *axr = op->ax + (size_t)iy * (size_t)(nx - 1);
        for (int ix = 1; ix < nx - 1; ix++) {
            size_t p = (size_t)iy * (size_t)nx + (size_t)ix;
            if (!k[p]) continue;
            double s = 0.0;
            if (!k[p - 1]) s += op->hx2i * axr[ix - 1] * u[p - 1];
            if (!k[p + 1]) s += op->hx2i * axr[ix] * u[p + 1];
            if (op->dim == 2) {
                size_t s_ = p - (size_t)nx, n_ = p + (size_t)nx;
                if (!k[s_]) s += op->hy2i * op->ay[s_] * u[s_];
                if (!k[n_]) s += op->hy2i * op->ay[p] * u[n_];
            }
            b[p] += s;
        }
    }
}

/* ---- Callback evaluation --------------------------------------------------- */

enum { EV_UNK = 1, EV_DIR = 0, EV_ALL = 2 };

/* out[p] = fn(x_p, t) at the nodes selected by mode (unk flags); others are
 * left untouched. fn == NULL writes 0. */
static nt_status eval_nodes(const fdop *op, nt_fd_fn fn, void *ctx, double t, int mode,
                            double *out, const char *who, const char *name)
{
    const nt_fd_grid *g = op->grid;
    int nx = op->nx, ny = op->ny;
    double x[2] = {0.0, 0.0};
    for (int iy = 0; iy < ny; iy++) {
        if (g->dim == 2) x[1] = nt_fd_node(g, 1, iy);
        for (int ix = 0; ix < nx; ix++) {
            size_t p = (size_t)iy * (size_t)nx + (size_t)ix;
            if (mode != EV_ALL && op->unk[p] != mode) continue;
            if (!fn) {
                out[p] = 0.0;
                continue;
            }
            x[0] = nt_fd_node(g, 0, ix);
            double v = fn(x, t, ctx);
            if (!isfinite(v)) {
                if (g->dim == 2)
                    return nt_set_error(NT_ERR_ARG, "%s: %s(x = %g, y = %g, t = %g) = %g is not "
                                        "finite", who, name, x[0], x[1], t, v);
                return nt_set_error(NT_ERR_ARG, "%s: %s(x = %g, t = %g) = %g is not finite", who,
                                    name, x[0], t, v);
            }
            out[p] = v;
        }
    }
    return NT_OK;
}

/* ---- Multigrid ------------------------------------------------------------- */

typedef struct mglev {
    int nx, ny;
    int five;            /* level 0: compact symmetric 5-point storage (dg, ce, cn) */
    double *st;          /* coarse levels: 9 per node */
    double *dg;          /* level 0: diagonal */
    double *ce, *cn;     /* level 0: coupling of p with p+1 / p+nx (0 if either is
                          * a Dirichlet node) */
    double *dinv;        /* 1 / diagonal (0 at Dirichlet nodes) */
    unsigned char *unk;
    double *x, *b, *r;   /* cycle vectors (x, b unused on level 0) */
    /* map to the next coarser level, per fine index: coarse j0 (weight 1) or
     * j0, j1 (weights 1/2) */
    int *mx0, *mx1, *my0, *my1;
} mglev;

typedef struct mg {
    int nl;
    mglev lev[MG_MAXLEV];
    int nd;              /* coarsest unknowns */
    size_t *didx;        /* nd: node index */
    double *chol;        /* nd*nd lower Cholesky factor */
    double *dw;          /* nd */
} mg;

static void mg_free(mg *m)
{
    for (int l = 0; l < m->nl; l++) {
        mglev *L = &m->lev[l];
        free(L->st);
        free(L->dg);
        free(L->ce);
        free(L->cn);
        free(L->dinv);
        free(L->unk);
        free(L->x);
        free(L->b);
        free(L->r);
        free(L->mx0);
        free(L->mx1);
        free(L->my0);
        free(L->my1);
    }
    free(m->didx);
    free(m->chol);
    free(m->dw);
    memset(m, 0, sizeof *m);
}

static int lev_alloc(mglev *L, int nx, int ny, int first)
{
    size_t N = (size_t)nx * (size_t)ny;
    L->nx = nx;
    L->ny = ny;
    L->five = first;
    if (first) {
        L->dg = calloc(N, sizeof *L->dg);
        L->ce = calloc(N, sizeof *L->ce);
        L->cn = calloc(N, sizeof *L->cn);
    } else {
        L->st = calloc(9 * N, sizeof *L->st);
        L->x = calloc(N, sizeof *L->x);
        L->b = calloc(N, sizeof *L->b);
    }
    L->dinv = calloc(N, sizeof *L->dinv);
    L->unk = calloc(N, 1);
    L->r = calloc(N, sizeof *L->r);
    int ok = first ? L->dg && L->ce && L->cn : L->st && L->x && L->b;
    return ok && L->dinv && L->unk && L->r;
}

/* Coarse size of a dimension with n nodes, m = n - 1 intervals: ceil(m/2) + 1
 * (n <= 3: not coarsened). */
static int coarse_n(int n) { return n <= 3 ? n : n / 2 + 1; }

/* Per-dimension interpolation map fine n -> coarse nc. */
static int make_map(int n, int nc, int **j0, int **j1)
{
    *j0 = malloc((size_t)n * sizeof **j0);
    *j1 = malloc((size_t)n * sizeof **j1);
    if (!*j0 || !*j1) return 0;
    int m = n - 1;
    for (int i = 0; i < n; i++) {
        if (nc == n) {
            (*j0)[i] = i;
            (*j1)[i] = -1;
        } else if (i == m) {
            (*j0)[i] = nc - 1;
            (*j1)[i] = -1;
        } else if (i % 2 == 0) {
            (*j0)[i] = i / 2;
            (*j1)[i] = -1;
        } else {
            (*j0)[i] = (i - 1) / 2;
            (*j1)[i] = (i + 1) / 2;
        }
    }
    return 1;
}

/* Fine index of coarse node j. */
static inline int coarse_pos(int j, int n, int nc)
{
    if (nc == n) return j;
    return j == nc - 1 ? n - 1 : 2 * j;
}

/* The 9-point stencil of node p (interior) into s. */
static inline void stencil(const mglev *L, size_t p, double s[9])
{
    if (L->five) {
        size_t nx = (size_t)L->nx;
        s[0] = s[2] = s[6] = s[8] = 0.0;
        s[1] = L->cn[p - nx];
        s[3] = L->ce[p - 1];
        s[4] = L->dg[p];
        s[5] = L->ce[p];
        s[7] = L->cn[p];
    } else {
        memcpy(s, L->st + 9 * p, 9 * sizeof *s);
    }
}

static void lev_finish(mglev *L)
{
    size_t N = (size_t)L->nx * (size_t)L->ny;
    if (L->five) {
        for (size_t p = 0; p < N; p++) {
            if (!L->unk[p]) L->dg[p] = 1.0;
            L->dinv[p] = L->unk[p] ? 1.0 / L->dg[p] : 0.0;
        }
        return;
    }
    for (size_t p = 0; p < N; p++) {
        if (L->unk[p]) {
            L->dinv[p] = 1.0 / L->st[9 * p + 4];
        } else {
            memset(L->st + 9 * p, 0, 9 * sizeof *L->st);
            L->st[9 * p + 4] = 1.0;
            L->dinv[p] = 0.0;
        }
    }
}

/* Level 0 from the operator: couplings to Dirichlet nodes dropped. */
static void lev0_from_op(mglev *L, const fdop *op)
{
    int nx = op->nx, ny = op->ny;
    memcpy(L->unk, op->unk, (size_t)nx * (size_t)ny);
    for (int iy = 1; iy < ny - 1; iy++) {
        const double *axr = op->ax + (size_t)iy * (size_t)(nx - 1);
        for (int ix = 1; ix < nx - 1; ix++) {
            size_t p = (size_t)iy * (size_t)nx + (size_t)ix;
            if (!op->unk[p]) continue;
            double w = op->hx2i * axr[ix - 1], e = op->hx2i * axr[ix];
            double so = op->hy2i * op->ay[p - (size_t)nx], no = op->hy2i * op->ay[p];
            L->dg[p] = op->c0 + w + e + so + no;
            /* each coupling is written by its first unknown (west/south) */
            L->ce[p] = op->unk[p + 1] ? -e : 0.0;
            L->cn[p] = op->unk[p + (size_t)nx] ? -no : 0.0;
        }
    }
    lev_finish(L);
}

/* Coarse level C = P^T A P of fine level F (maps already in F). Scatters
 * a_ij P_iJ P_jK into C's stencil of J for every fine coupling a_ij; the
 * couplings of Dirichlet coarse nodes are cleared afterwards (lev_finish and
 * the loop below), which keeps the hot loop free of mask tests. */
static void galerkin(const mglev *F, mglev *C)
{
    int nx = F->nx, ny = F->ny, cx = C->nx, cy = C->ny;
    for (int jy = 0; jy < cy; jy++)
        for (int jx = 0; jx < cx; jx++) {
            size_t fp = (size_t)coarse_pos(jy, ny, cy) * (size_t)nx + (size_t)coarse_pos(jx, nx, cx);
            C->unk[(size_t)jy * (size_t)cx + (size_t)jx] = F->unk[fp];
        }
    for (int iy = 1; iy < ny - 1; iy++) {
        int Jy[2] = {F->my0[iy], F->my1[iy]};
        int nJy = Jy[1] < 0 ? 1 : 2;
        double wJy = nJy == 1 ? 1.0 : 0.5;
        for (int ix = 1; ix < nx - 1; ix++) {
            size_t p = (size_t)iy * (size_t)nx + (size_t)ix;
            if (!F->unk[p]) continue;
            int Jx[2] = {F->mx0[ix], F->mx1[ix]};
            int nJx = Jx[1] < 0 ? 1 : 2;
            double wJ = wJy * (nJx == 1 ? 1.0 : 0.5);
            double s[9];
            stencil(F, p, s);
            for (int k = 0; k < 9; k++) {
                if (s[k] == 0.0) continue;
                int qx = ix + k % 3 - 1, qy = iy + k / 3 - 1;
                int Kx[2] = {F->mx0[qx], F->mx1[qx]}, Ky[2] = {F->my0[qy], F->my1[qy]};
                int nKx = Kx[1] < 0 ? 1 : 2, nKy = Ky[1] < 0 ? 1 : 2;
                double w = wJ * s[k] * (nKx == 1 ? 1.0 : 0.5) * (nKy == 1 ? 1.0 : 0.5);
                for (int a1 = 0; a1 < nJy; a1++)
                    for (int b1 = 0; b1 < nKy; b1++) {
                        /* offsets Ky - Jy, Kx - Jx are in [-1, 1] (see make_map) */
                        int oy = (Ky[b1] - Jy[a1] + 1) * 3 + 1;
                        double *rowy = C->st + 9 * (size_t)Jy[a1] * (size_t)cx + oy;
                        for (int a0 = 0; a0 < nJx; a0++) {
                            double *row = rowy + 9 * (size_t)Jx[a0] - Jx[a0];
                            row[Kx[0]] += w;
                            if (nKx == 2) row[Kx[1]] += w;
                        }
                    }
            }
        }
    }
    /* couplings of unknowns to Dirichlet coarse nodes */
    for (int jy = 1; jy < cy - 1; jy++)
        for (int jx = 1; jx < cx - 1; jx++) {
            size_t J = (size_t)jy * (size_t)cx + (size_t)jx;
            if (!C->unk[J]) continue;
            for (int k = 0; k < 9; k++) {
                size_t K = (size_t)(jy + k / 3 - 1) * (size_t)cx + (size_t)(jx + k % 3 - 1);
                if (!C->unk[K]) C->st[9 * J + (size_t)k] = 0.0;
            }
        }
    lev_finish(C);
}

static nt_status mg_build(mg *m, const fdop *op, const char *who)
{
    memset(m, 0, sizeof *m);
    int nx = op->nx, ny = op->ny;
    m->nl = 1;
    if (!lev_alloc(&m->lev[0], nx, ny, 1)) goto nomem;
    lev0_from_op(&m->lev[0], op);
    /* Mean node spacings of the current level. Point smoothing only damps the
     * error along the strongly coupled (finely spaced) direction, so a
     * dimension is coarsened only while its spacing is within a factor 1.5 of
     * the other one (semi-coarsening for stretched cells). */
    double hx = 1.0 / sqrt(op->hx2i), hy = 1.0 / sqrt(op->hy2i);
    for (;;) {
        mglev *F = &m->lev[m->nl - 1];
        int64_t inner = (int64_t)(F->nx - 2) * (int64_t)(F->ny - 2);
        if (inner <= MG_DENSE || (F->nx <= 3 && F->ny <= 3) || m->nl == MG_MAXLEV) break;
        int dox = F->nx > 3 && (hx <= 1.5 * hy || F->ny <= 3);
        int doy = F->ny > 3 && (hy <= 1.5 * hx || F->nx <= 3);
        int cx = dox ? coarse_n(F->nx) : F->nx, cy = doy ? coarse_n(F->ny) : F->ny;
        hx *= (double)(F->nx - 1) / (double)(cx - 1);
        hy *= (double)(F->ny - 1) / (double)(cy - 1);
        if (!make_map(F->nx, cx, &F->mx0, &F->mx1) || !make_map(F->ny, cy, &F->my0, &F->my1))
            goto nomem;
        mglev *C = &m->lev[m->nl];
        m->nl++;
        if (!lev_alloc(C, cx, cy, 0)) goto nomem;
        galerkin(F, C);
    }
    /* Coarsest: dense Cholesky over its unknowns. */
    mglev *L = &m->lev[m->nl - 1];
    size_t N = (size_t)L->nx * (size_t)L->ny;
    int nd = 0;
    for (size_t p = 0; p < N; p++) nd += L->unk[p];
    m->nd = nd;
    if (nd > 4 * MG_DENSE)
        return nt_set_error(NT_ERR_ARG, "%s: multigrid coarsening stopped at %d unknowns (%d x %d)",
                            who, nd, L->nx, L->ny);
    if (nd > 0) {
        m->didx = malloc((size_t)nd * sizeof *m->didx);
        m->chol = calloc((size_t)nd * (size_t)nd, sizeof *m->chol);
        m->dw = malloc((size_t)nd * sizeof *m->dw);
        int *pos = malloc(N * sizeof *pos);
        if (!m->didx || !m->chol || !m->dw || !pos) {
            free(pos);
            goto nomem;
        }
        int q = 0;
        for (size_t p = 0; p < N; p++) {
            pos[p] = -1;
            if (L->unk[p]) {
                pos[p] = q;
                m->didx[q++] = p;
            }
        }
        double *A = m->chol;
        for (int i = 0; i < nd; i++) {
            size_t p = m->didx[i];
            int ix = (int)(p % (size_t)L->nx), iy = (int)(p / (size_t)L->nx);
            double s[9];
            stencil(L, p, s);
            for (int k = 0; k < 9; k++) {
                double a = s[k];
                if (a == 0.0) continue;
                int qx = ix + k % 3 - 1, qy = iy + k / 3 - 1;
                int j = pos[(size_t)qy * (size_t)L->nx + (size_t)qx];
                if (j >= 0) A[(size_t)i * (size_t)nd + (size_t)j] = a;
            }
        }
        free(pos);
        /* in-place lower Cholesky (symmetrized) */
        for (int j = 0; j < nd; j++) {
            double d = A[(size_t)j * nd + j];
            for (int k = 0; k < j; k++) d -= A[(size_t)j * nd + k] * A[(size_t)j * nd + k];
            if (!(d > 0.0))
                return nt_set_error(NT_ERR_NUMERIC, "%s: coarse-grid matrix is not positive "
                                    "definite (pivot %g)", who, d);
            double ljj = sqrt(d);
            A[(size_t)j * nd + j] = ljj;
            for (int i = j + 1; i < nd; i++) {
                double s = 0.5 * (A[(size_t)i * nd + j] + A[(size_t)j * nd + i]);
                for (int k = 0; k < j; k++) s -= A[(size_t)i * nd + k] * A[(size_t)j * nd + k];
                A[(size_t)i * nd + j] = s / ljj;
            }
        }
    }
    return NT_OK;
nomem:
    return nt_set_error(NT_ERR_NOMEM, "%s: out of memory (multigrid on %d x %d)", who, nx, ny);
}

static void coarse_solve(mg *m, double *x, const double *b)
{
    int nd = m->nd;
    const double *A = m->chol;
    double *w = m->dw;
    for (int i = 0; i < nd; i++) {
        double s = b[m->didx[i]];
        for (int k = 0; k < i; k++) s -= A[(size_t)i * nd + k] * w[k];
        w[i] = s / A[(size_t)i * nd + i];
    }
    for (int i = nd - 1; i >= 0; i--) {
        double s = w[i];
        for (int k = i + 1; k < nd; k++) s -= A[(size_t)k * nd + i] * w[k];
        w[i] = s / A[(size_t)i * nd + i];
    }
    for (int i = 0; i < nd; i++) x[m->didx[i]] = w[i];
}

/* One Gauss–Seidel sweep, forward (dir > 0) or backward. */
static void gs_sweep(const mglev *L, double *x, const double *b, int dir)
{
    int nx = L->nx, ny = L->ny;
    ptrdiff_t sx = nx;
    for (int jy = 1; jy < ny - 1; jy++) {
        int iy = dir > 0 ? jy : ny - 1 - jy;
        for (int jx = 1; jx < nx - 1; jx++) {
            int ix = dir > 0 ? jx : nx - 1 - jx;
            size_t p = (size_t)iy * (size_t)nx + (size_t)ix;
            if (!L->unk[p]) continue;
            const double *xp = x + p;
            double v;
            if (L->five) {
                v = b[p] - L->cn[p - (size_t)nx] * xp[-sx] - L->ce[p - 1] * xp[-1] -
                    L->ce[p] * xp[1] - L->cn[p] * xp[sx];
            } else {
                const double *s = L->st + 9 * p;
                v = b[p] - s[1] * xp[-sx] - s[3] * xp[-1] - s[5] * xp[1] - s[7] * xp[sx] -
                    (s[0] * xp[-sx - 1] + s[2] * xp[-sx + 1] + s[6] * xp[sx - 1] +
                     s[8] * xp[sx + 1]);
            }
            x[p] = v * L->dinv[p];
        }
    }
}

/* y = A x (Dirichlet rows 0), or r = b - A x when b != NULL. */
static void lev_apply(const mglev *L, const double *x, const double *b, double *y)
{
    int nx = L->nx, ny = L->ny;
    ptrdiff_t sx = nx;
    memset(y, 0, (size_t)nx * sizeof *y);
    memset(y + (size_t)(ny - 1) * (size_t)nx, 0, (size_t)nx * sizeof *y);
    for (int iy = 1; iy < ny - 1; iy++) {
        size_t r0 = (size_t)iy * (size_t)nx;
        y[r0] = 0.0;
        y[r0 + (size_t)nx - 1] = 0.0;
        for (int ix = 1; ix < nx - 1; ix++) {
            size_t p = r0 + (size_t)ix;
            if (!L->unk[p]) {
                y[p] = 0.0;
                continue;
            }
            const double *xp = x + p;
            double v;
            if (L->five) {
                v = L->dg[p] * xp[0] + L->cn[p - (size_t)nx] * xp[-sx] + L->ce[p - 1] * xp[-1] +
                    L->ce[p] * xp[1] + L->cn[p] * xp[sx];
            } else {
                const double *s = L->st + 9 * p;
                v = s[4] * xp[0] + s[1] * xp[-sx] + s[3] * xp[-1] + s[5] * xp[1] +
                    s[7] * xp[sx] +
                    (s[0] * xp[-sx - 1] + s[2] * xp[-sx + 1] + s[6] * xp[sx - 1] +
                     s[8] * xp[sx + 1]);
            }
            y[p] = b ? b[p] - v : v;
        }
    }
}

/* x = V-cycle(b) on level l (x overwritten). */
static void vcycle(mg *m, int l, double *x, const double *b)
{
    mglev *L = &m->lev[l];
    size_t N = (size_t)L->nx * (size_t)L->ny;
    memset(x, 0, N * sizeof *x);
    if (l == m->nl - 1) {
        coarse_solve(m, x, b);
        return;
    }
    mglev *C = &m->lev[l + 1];
    int nx = L->nx, ny = L->ny, cx = C->nx;
    gs_sweep(L, x, b, 1);
    lev_apply(L, x, b, L->r);
    /* restrict: C->b = P^T r */
    memset(C->b, 0, (size_t)C->nx * (size_t)C->ny * sizeof *C->b);
    for (int iy = 1; iy < ny - 1; iy++) {
        int y0 = L->my0[iy], y1 = L->my1[iy];
        double wy = y1 < 0 ? 1.0 : 0.5;
        for (int ix = 1; ix < nx - 1; ix++) {
            double v = L->r[(size_t)iy * (size_t)nx + (size_t)ix];
            if (v == 0.0) continue;
            int x0 = L->mx0[ix], x1 = L->mx1[ix];
            double wx = x1 < 0 ? 1.0 : 0.5, w = wx * wy * v;
            double *b0 = C->b + (size_t)y0 * (size_t)cx;
            b0[x0] += w;
            if (x1 >= 0) b0[x1] += w;
            if (y1 >= 0) {
                double *b1 = C->b + (size_t)y1 * (size_t)cx;
                b1[x0] += w;
                if (x1 >= 0) b1[x1] += w;
            }
        }
    }
    size_t NC = (size_t)C->nx * (size_t)C->ny;
    for (size_t p = 0; p < NC; p++)
        if (!C->unk[p]) C->b[p] = 0.0;
    vcycle(m, l + 1, C->x, C->b);
    /* prolong: x += P x_c (x_c is 0 at coarse Dirichlet nodes) */
    for (int iy = 1; iy < ny - 1; iy++) {
        int y0 = L->my0[iy], y1 = L->my1[iy];
        const double *c0 = C->x + (size_t)y0 * (size_t)cx;
        const double *c1 = y1 >= 0 ? C->x + (size_t)y1 * (size_t)cx : NULL;
        double wy = y1 < 0 ? 1.0 : 0.5;
        for (int ix = 1; ix < nx - 1; ix++) {
            size_t p = (size_t)iy * (size_t)nx + (size_t)ix;
            if (!L->unk[p]) continue;
            int x0 = L->mx0[ix], x1 = L->mx1[ix];
            double v = x1 < 0 ? c0[x0] : 0.5 * (c0[x0] + c0[x1]);
            if (c1) v += x1 < 0 ? c1[x0] : 0.5 * (c1[x0] + c1[x1]);
            x[p] += wy * v;
        }
    }
    gs_sweep(L, x, b, -1);
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

typedef struct pcg_work {
    double *r, *z, *p, *q;
} pcg_work;

static void pcg_work_free(pcg_work *w)
{
    free(w->r);
    free(w->z);
    free(w->p);
    free(w->q);
    memset(w, 0, sizeof *w);
}

static int pcg_work_alloc(pcg_work *w, size_t N)
{
    w->r = malloc(N * sizeof *w->r);
    w->z = malloc(N * sizeof *w->z);
    w->p = malloc(N * sizeof *w->p);
    w->q = malloc(N * sizeof *w->q);
    return w->r && w->z && w->p && w->q;
}

/* Solves A u = b over the unknowns of level 0 (u holds the initial guess there
 * and the Dirichlet values elsewhere, which A ignores; b is 0 off the unknowns).
 * Stops when the true residual is <= tol ||b||. */
static nt_status pcg(mg *m, double *u, const double *b, double tol, int max_iter, pcg_work *w,
                     nt_fd_info *info, const char *who)
{
    mglev *L = &m->lev[0];
    size_t N = (size_t)L->nx * (size_t)L->ny;
    double bn = sqrt(dot(b, b, N));
    int it = 0;
    double rel = 0.0;
    if (!isfinite(bn))
        return nt_set_error(NT_ERR_NUMERIC, "%s: right-hand side is not finite", who);
    if (bn == 0.0) {
        for (size_t i = 0; i < N; i++)
            if (L->unk[i]) u[i] = 0.0;
        goto done;
    }
    double prev = INFINITY;
    for (;;) { /* restarts only if the recursive residual drifted from the true one */
        lev_apply(L, u, b, w->r);
        double rn = sqrt(dot(w->r, w->r, N));
        rel = rn / bn;
        if (rel <= tol) break;
        if (it >= max_iter || !isfinite(rel))
            return nt_set_error(NT_ERR_NUMERIC,
                                "%s: CG did not converge: relative residual %.3e > tol %.3e "
                                "after %d iterations", who, rel, tol, it);
        if (rel > 0.5 * prev)
            return nt_set_error(NT_ERR_NUMERIC,
                                "%s: CG stagnated at relative residual %.3e > tol %.3e after %d "
                                "iterations (rounding floor of this grid; raise tol)", who, rel,
                                tol, it);
        prev = rel;
        vcycle(m, 0, w->z, w->r);
        memcpy(w->p, w->z, N * sizeof *w->p);
        double rz = dot(w->r, w->z, N);
        while (it < max_iter) {
            lev_apply(L, w->p, NULL, w->q);
            double pq = dot(w->p, w->q, N);
            if (!(pq > 0.0) || !isfinite(pq) || !(rz > 0.0))
                return nt_set_error(NT_ERR_NUMERIC, "%s: CG breakdown (p'Ap = %g, r'z = %g) at "
                                    "iteration %d, relative residual %.3e", who, pq, rz, it, rel);
            double alpha = rz / pq;
            for (size_t i = 0; i < N; i++) {
                u[i] += alpha * w->p[i];
                w->r[i] -= alpha * w->q[i];
            }
            it++;
            rel = sqrt(dot(w->r, w->r, N)) / bn;
            if (rel <= tol) break;
            vcycle(m, 0, w->z, w->r);
            double rz1 = dot(w->r, w->z, N);
            double beta = rz1 / rz;
            rz = rz1;
            for (size_t i = 0; i < N; i++) w->p[i] = w->z[i] + beta * w->p[i];
        }
    }
done:
    if (info) {
        info->iters += it;
        if (it > info->max_iters) info->max_iters = it;
        if (rel > info->rel_res) info->rel_res = rel;
    }
    return NT_OK;
}

/* ---- Heat ------------------------------------------------------------------ */

void nt_fd_heat_config_default(nt_fd_heat_config *c, int dim)
{
    NT_ASSERT(c, "NULL config");
    memset(c, 0, sizeof *c);
    c->grid.dim = dim;
    c->grid.hi[0] = c->grid.hi[1] = 1.0;
    c->kappa = 1.0;
    c->tol = 1e-10;
    c->max_iter = 200;
}

static int all_finite(const double *u, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(u[i])) return 0;
    return 1;
}

nt_status nt_fd_heat_solve(const nt_fd_heat_config *c, const double *t_out, int n_out,
                           double *out, nt_fd_info *info)
{
    static const char *who = "fd heat";
    NT_ASSERT(c, "NULL config");
    NT_ASSERT(n_out >= 0, "n_out must be >= 0");
    NT_ASSERT(n_out == 0 || (t_out && out), "NULL t_out/out");
    if (info) memset(info, 0, sizeof *info);
    nt_status st = check_grid(who, &c->grid, 0);
    if (st != NT_OK) return st;
    if (!isfinite(c->kappa) || !(c->kappa > 0.0))
        return nt_set_error(NT_ERR_ARG, "%s: kappa must be finite and > 0 (got %g)", who, c->kappa);
    if (!isfinite(c->dt) || !(c->dt > 0.0))
        return nt_set_error(NT_ERR_ARG, "%s: dt must be finite and > 0 (got %g)", who, c->dt);
    if (!c->u0) return nt_set_error(NT_ERR_ARG, "%s: u0 callback is required", who);
    if (c->grid.dim == 2 && (!(c->tol > 0.0) || !(c->tol < 1.0) || c->max_iter < 1))
        return nt_set_error(NT_ERR_ARG, "%s: need 0 < tol < 1 and max_iter >= 1 (got %g, %d)", who,
                            c->tol, c->max_iter);
    st = check_times(who, t_out, n_out, c->dt);
    if (st != NT_OK) return st;

    fdop op;
    st = op_init(&op, &c->grid, who);
    if (st != NT_OK) return st;
    op_const_faces(&op, c->kappa);
    int nx = op.nx, ny = op.ny, dim = c->grid.dim;
    size_t N = (size_t)nx * (size_t)ny;
    mg m;
    memset(&m, 0, sizeof m);
    int have_mg = 0;
    pcg_work w;
    memset(&w, 0, sizeof w);
    double *u = calloc(N, sizeof *u), *y = calloc(N, sizeof *y), *b = calloc(N, sizeof *b);
    double *f0 = calloc(N, sizeof *f0), *f1 = calloc(N, sizeof *f1);
    double *tc = malloc((size_t)nx * sizeof *tc); /* Thomas: 1 / pivots (1D) */
    if (!u || !y || !b || !f0 || !f1 || !tc || (dim == 2 && !pcg_work_alloc(&w, N))) {
        st = nt_set_error(NT_ERR_NOMEM, "%s: out of memory", who);
        goto done;
    }
    if ((st = eval_nodes(&op, c->u0, c->ctx, 0.0, EV_UNK, u, who, "u0")) != NT_OK) goto done;
    if ((st = eval_nodes(&op, c->g, c->ctx, 0.0, EV_DIR, u, who, "g")) != NT_OK) goto done;
    if ((st = eval_nodes(&op, c->f, c->ctx, 0.0, EV_UNK, f0, who, "f")) != NT_OK) goto done;

    double t = 0.0, hc = 0.0;
    int64_t steps = 0;
    for (int i = 0; i < n_out; i++) {
        double d = t_out[i] - t;
        if (d > 0.0) {
            int64_t ns = n_steps(d, c->dt);
            double h = d / (double)ns;
            if (h != hc) {
                op.c0 = 2.0 / h;
                if (dim == 2) {
                    if (have_mg) mg_free(&m);
                    have_mg = 1;
                    if ((st = mg_build(&m, &op, who)) != NT_OK) goto done;
                } else {
                    /* (c0 + 2r) u_i - r (u_{i-1} + u_{i+1}), r = kappa/hx^2 */
                    double r = c->kappa * op.hx2i, dd = op.c0 + 2.0 * r;
                    double prev = 0.0; /* c'_{i-1} */
                    for (int ix = 1; ix < nx - 1; ix++) {
                        double piv = dd + r * prev; /* dd - (-r) c' */
                        tc[ix] = 1.0 / piv;
                        prev = -r / piv;
                    }
                }
                hc = h;
            }
            for (int64_t k = 0; k < ns; k++) {
                double t1 = k == ns - 1 ? t_out[i] : t + (double)(k + 1) * h;
                op_apply_full(&op, u, y);
                if ((st = eval_nodes(&op, c->f, c->ctx, t1, EV_UNK, f1, who, "f")) != NT_OK)
                    goto done;
                for (size_t p = 0; p < N; p++)
                    b[p] = op.unk[p] ? 2.0 * op.c0 * u[p] - y[p] + f0[p] + f1[p] : 0.0;
                if ((st = eval_nodes(&op, c->g, c->ctx, t1, EV_DIR, u, who, "g")) != NT_OK)
                    goto done;
                op_lift(&op, u, b);
                if (dim == 2) {
                    if ((st = pcg(&m, u, b, c->tol, c->max_iter, &w, info, who)) != NT_OK) goto done;
                } else {
                    double r = c->kappa * op.hx2i;
                    double prev = 0.0;
                    for (int ix = 1; ix < nx - 1; ix++) { /* forward: y = L^{-1} b */
                        prev = (b[ix] + r * prev) * tc[ix];
                        y[ix] = prev;
                    }
                    /* back substitution: u_i = y_i - c'_i u_{i+1}, c'_i = -r tc_i */
                    double nxt = 0.0;
                    for (int ix = nx - 2; ix >= 1; ix--) {
                        nxt = y[ix] + r * tc[ix] * nxt;
                        u[ix] = nxt;
                    }
                }
                double *sw = f0;
                f0 = f1;
                f1 = sw;
            }
            steps += ns;
            t = t_out[i];
        }
        if (!all_finite(u, N)) {
            st = nt_set_error(NT_ERR_NUMERIC, "%s: solution is not finite at t = %g", who, t_out[i]);
            goto done;
        }
        memcpy(out + (size_t)i * N, u, N * sizeof *u);
    }
    if (info) info->steps = (int)NT_MIN(steps, (int64_t)2147483647);
    st = NT_OK;
done:
    if (have_mg) mg_free(&m);
    pcg_work_free(&w);
    op_free(&op);
    free(u);
    free(y);
    free(b);
    free(f0);
    free(f1);
    free(tc);
    return st;
}

/* ---- Wave ------------------------------------------------------------------ */

void nt_fd_wave_config_default(nt_fd_wave_config *c, int dim)
{
    NT_ASSERT(c, "NULL config");
    memset(c, 0, sizeof *c);
    c->grid.dim = dim;
    c->grid.hi[0] = c->grid.hi[1] = 1.0;
    c->c = 1.0;
}

nt_status nt_fd_wave_solve(const nt_fd_wave_config *c, const double *t_out, int n_out,
                           double *out, nt_fd_info *info)
{
    static const char *who = "fd wave";
    NT_ASSERT(c, "NULL config");
    NT_ASSERT(n_out >= 0, "n_out must be >= 0");
    NT_ASSERT(n_out == 0 || (t_out && out), "NULL t_out/out");
    if (info) memset(info, 0, sizeof *info);
    nt_status st = check_grid(who, &c->grid, 0);
    if (st != NT_OK) return st;
    if (!isfinite(c->c) || !(c->c > 0.0))
        return nt_set_error(NT_ERR_ARG, "%s: c must be finite and > 0 (got %g)", who, c->c);
    if (!isfinite(c->dt) || !(c->dt > 0.0))
        return nt_set_error(NT_ERR_ARG, "%s: dt must be finite and > 0 (got %g)", who, c->dt);
    if (!c->u0) return nt_set_error(NT_ERR_ARG, "%s: u0 callback is required", who);
    {
        double s = 0.0;
        for (int d = 0; d < c->grid.dim; d++) {
            double h = (c->grid.hi[d] - c->grid.lo[d]) / (double)(c->grid.n[d] - 1);
            s += 1.0 / (h * h);
        }
        double cfl = c->c * c->dt * sqrt(s);
        if (cfl > 1.0 + 1e-12)
            return nt_set_error(NT_ERR_ARG,
                                "%s: CFL condition violated: c dt sqrt(sum 1/h^2) = %.4g > 1 "
                                "(c = %g, dt = %g); use dt <= %.4g", who, cfl, c->c, c->dt,
                                1.0 / (c->c * sqrt(s)));
    }
    st = check_times(who, t_out, n_out, c->dt);
    if (st != NT_OK) return st;

    fdop op;
    st = op_init(&op, &c->grid, who);
    if (st != NT_OK) return st;
    op_const_faces(&op, c->c * c->c);
    size_t N = (size_t)op.nx * (size_t)op.ny;
    double *u = calloc(N, sizeof *u), *v = calloc(N, sizeof *v), *a = calloc(N, sizeof *a);
    double *f = calloc(N, sizeof *f);
    if (!u || !v || !a || !f) {
        st = nt_set_error(NT_ERR_NOMEM, "%s: out of memory", who);
        goto done;
    }
    if ((st = eval_nodes(&op, c->u0, c->ctx, 0.0, EV_UNK, u, who, "u0")) != NT_OK) goto done;
    if ((st = eval_nodes(&op, c->v0, c->ctx, 0.0, EV_UNK, v, who, "v0")) != NT_OK) goto done;
    if ((st = eval_nodes(&op, c->g, c->ctx, 0.0, EV_DIR, u, who, "g")) != NT_OK) goto done;
    if ((st = eval_nodes(&op, c->f, c->ctx, 0.0, EV_UNK, f, who, "f")) != NT_OK) goto done;
    /* a = -A u + f (A has c0 = 0, faces c^2) */
    op_apply_full(&op, u, a);
    for (size_t p = 0; p < N; p++) a[p] = op.unk[p] ? f[p] - a[p] : 0.0;

    double t = 0.0;
    int64_t steps = 0;
    for (int i = 0; i < n_out; i++) {
        double d = t_out[i] - t;
        if (d > 0.0) {
            int64_t ns = n_steps(d, c->dt);
            double h = d / (double)ns, h2 = 0.5 * h;
            for (int64_t k = 0; k < ns; k++) {
                double t1 = k == ns - 1 ? t_out[i] : t + (double)(k + 1) * h;
                for (size_t p = 0; p < N; p++) {
                    if (!op.unk[p]) continue;
                    v[p] += h2 * a[p];
                    u[p] += h * v[p];
                }
                if ((st = eval_nodes(&op, c->g, c->ctx, t1, EV_DIR, u, who, "g")) != NT_OK)
                    goto done;
                if ((st = eval_nodes(&op, c->f, c->ctx, t1, EV_UNK, f, who, "f")) != NT_OK)
                    goto done;
                op_apply_full(&op, u, a);
                for (size_t p = 0; p < N; p++) {
                    if (!op.unk[p]) continue;
                    a[p] = f[p] - a[p];
                    v[p] += h2 * a[p];
                }
            }
            steps += ns;
            t = t_out[i];
        }
        if (!all_finite(u, N)) {
            st = nt_set_error(NT_ERR_NUMERIC, "%s: solution is not finite at t = %g", who, t_out[i]);
            goto done;
        }
        memcpy(out + (size_t)i * N, u, N * sizeof *u);
    }
    if (info) info->steps = (int)NT_MIN(steps, (int64_t)2147483647);
    st = NT_OK;
done:
    op_free(&op);
    free(u);
    free(v);
    free(a);
    free(f);
    return st;
}

/* ---- Poisson / Darcy ------------------------------------------------------- */

void nt_fd_elliptic_config_default(nt_fd_elliptic_config *c)
{
    NT_ASSERT(c, "NULL config");
    memset(c, 0, sizeof *c);
    c->grid.dim = 2;
    c->grid.hi[0] = c->grid.hi[1] = 1.0;
    c->mean = NT_FD_MEAN_ARITH;
    c->tol = 1e-10;
    c->max_iter = 500;
}

static nt_status elliptic(const nt_fd_elliptic_config *c, const double *a, double *u,
                          nt_fd_info *info, const char *who)
{
    NT_ASSERT(c && u, "NULL argument");
    if (info) memset(info, 0, sizeof *info);
    nt_status st = check_grid(who, &c->grid, 2);
    if (st != NT_OK) return st;
    if (!(c->tol > 0.0) || !(c->tol < 1.0) || c->max_iter < 1)
        return nt_set_error(NT_ERR_ARG, "%s: need 0 < tol < 1 and max_iter >= 1 (got %g, %d)", who,
                            c->tol, c->max_iter);
    int nx = c->grid.n[0], ny = c->grid.n[1];
    size_t N = (size_t)nx * (size_t)ny;
    if (a) {
        if (c->mean != NT_FD_MEAN_ARITH && c->mean != NT_FD_MEAN_HARMONIC)
            return nt_set_error(NT_ERR_ARG, "%s: mean must be 0 (arithmetic) or 1 (harmonic), "
                                "got %d", who, c->mean);
        for (size_t p = 0; p < N; p++)
            if (!isfinite(a[p]) || !(a[p] > 0.0))
                return nt_set_error(NT_ERR_ARG, "%s: a[%zu] (ix = %zu, iy = %zu) = %g must be "
                                    "finite and > 0", who, p, p % (size_t)nx, p / (size_t)nx, a[p]);
    }
    fdop op;
    st = op_init(&op, &c->grid, who);
    if (st != NT_OK) return st;
    mg m;
    memset(&m, 0, sizeof m);
    int have_mg = 0;
    pcg_work w;
    memset(&w, 0, sizeof w);
    double *b = calloc(N, sizeof *b);
    if (!b || !pcg_work_alloc(&w, N)) {
        st = nt_set_error(NT_ERR_NOMEM, "%s: out of memory", who);
        goto done;
    }
    if (!a) {
        op_const_faces(&op, 1.0);
    } else {
        int harm = c->mean == NT_FD_MEAN_HARMONIC;
        for (int iy = 0; iy < ny; iy++)
            for (int ix = 0; ix + 1 < nx; ix++) {
                double p = a[(size_t)iy * nx + ix], q = a[(size_t)iy * nx + ix + 1];
                op.ax[(size_t)iy * (nx - 1) + ix] = harm ? 2.0 * p * q / (p + q) : 0.5 * (p + q);
            }
        for (int iy = 0; iy + 1 < ny; iy++)
            for (int ix = 0; ix < nx; ix++) {
                double p = a[(size_t)iy * nx + ix], q = a[(size_t)(iy + 1) * nx + ix];
                op.ay[(size_t)iy * nx + ix] = harm ? 2.0 * p * q / (p + q) : 0.5 * (p + q);
            }
    }
    if (c->inside) {
        double x[2];
        for (int iy = 1; iy < ny - 1; iy++) {
            x[1] = nt_fd_node(&c->grid, 1, iy);
            for (int ix = 1; ix < nx - 1; ix++) {
                x[0] = nt_fd_node(&c->grid, 0, ix);
                double v = c->inside(x, 0.0, c->ctx);
                if (!isfinite(v)) {
                    st = nt_set_error(NT_ERR_ARG, "%s: inside(x = %g, y = %g) = %g is not finite",
                                      who, x[0], x[1], v);
                    goto done;
                }
                op.unk[(size_t)iy * nx + ix] = v > 0.0;
            }
        }
    }
    if ((st = eval_nodes(&op, c->g, c->ctx, 0.0, EV_DIR, u, who, "g")) != NT_OK) goto done;
    if ((st = eval_nodes(&op, c->f, c->ctx, 0.0, EV_UNK, b, who, "f")) != NT_OK) goto done;
    for (size_t p = 0; p < N; p++)
        if (op.unk[p]) u[p] = 0.0;
    op_lift(&op, u, b);
    have_mg = 1;
    if ((st = mg_build(&m, &op, who)) != NT_OK) goto done;
    st = pcg(&m, u, b, c->tol, c->max_iter, &w, info, who);
done:
    if (have_mg) mg_free(&m);
    pcg_work_free(&w);
    op_free(&op);
    free(b);
    return st;
}

nt_status nt_fd_poisson_solve(const nt_fd_elliptic_config *c, double *u, nt_fd_info *info)
{
    NT_ASSERT(c, "NULL config");
    return elliptic(c, NULL, u, info, "fd poisson");
}

nt_status nt_fd_darcy_solve(const nt_fd_elliptic_config *c, double *u, nt_fd_info *info)
{
    NT_ASSERT(c, "NULL config");
    if (!c->a) return nt_set_error(NT_ERR_ARG, "fd darcy: coefficient array a is required");
    return elliptic(c, c->a, u, info, "fd darcy");
}

/* operator.c — neural operator models on the tape: the Fourier Neural Operator (1-D
 * and 2-D, channels-last grid layout, see noether.h), DeepONet in Cartesian-product
 * form, and the relative L2 loss as a composition of tape ops. */
#include "ad/ad_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------------------- */
/* Relative L2 loss                                                               */

nt_tensor *nt_rel_l2(nt_tape *t, nt_tensor *pred, nt_tensor *y, int64_t batch)
{
    NT_ASSERT(pred->dtype == y->dtype, "rel_l2: pred and y must share a dtype");
    NT_ASSERT(pred->size == y->size, "rel_l2: pred and y must have the same size");
    int64_t rows = nt_tensor_rows(pred), cols = nt_tensor_cols(pred);
    NT_ASSERT(nt_tensor_rows(y) == rows, "rel_l2: pred and y must have the same rows");
    NT_ASSERT(batch >= 1 && rows % batch == 0, "rel_l2: rows must be a multiple of batch");
    int64_t r = rows / batch, n = r * cols;
    /* Each sample: sqrt(mean((pred_b − y_b)²))·sqrt(n) / (batch·‖y_b‖), summed. */
    nt_tensor *d = nt_sub(t, pred, y);
    if (!d) return NULL;
    nt_tensor *loss = NULL;
    for (int64_t b = 0; b < batch; b++) {
        double ny = sqrt(nt_red_dot(y->dtype, (const char *)y->data + (size_t)(b * n) * nt_dtype_size(y->dtype),
                                    (const char *)y->data + (size_t)(b * n) * nt_dtype_size(y->dtype), n));
        if (!(ny > 0) || !isfinite(ny)) {
            nt_set_error(NT_ERR_ARG, "relative L2: target sample %lld has norm %g",
                         (long long)b, ny);
            return NULL;
        }
        nt_tensor *db = batch == 1 ? d : nt_slice2(t, d, b * r, (b + 1) * r, 0, cols);
        nt_tensor *e = db ? nt_pow(t, nt_mean_sq(t, db), 0.5) : NULL;
        nt_tensor *term = e ? nt_scale(t, e, sqrt((double)n) / ((double)batch * ny), 0) : NULL;
        if (!term) return NULL;
        loss = loss ? nt_add(t, loss, term) : term;
        if (!loss) return NULL;
    }
    return loss;
}

/* ---------------------------------------------------------------------------- */
/* FNO                                                                            */

nt_fno_config nt_fno_config_default(int dim)
{
    nt_fno_config c;
    memset(&c, 0, sizeof c);
    c.dim = dim;
    c.in_channels = 1;
    c.out_channels = 1;
    c.width = dim == 2 ? 32 : 64;
    c.modes1 = dim == 2 ? 12 : 16;
    c.modes2 = dim == 2 ? 12 : 0;
    c.layers = 4;
    c.proj_width = 128;
    return c;
}

static int64_t fno_modes(const nt_fno_config *c)
{
    return c->dim == 2 ? 2 * (int64_t)c->modes1 * c->modes2 : c->modes1;
}

int64_t nt_fno_param_count(const nt_fno_config *c)
{
    int64_t w = c->width, in = c->in_channels + c->dim;
    int64_t n = w * in + w;                                     /* lifting */
    n += (int64_t)c->layers * (w * w * fno_modes(c) * 2 + w * w + w); /* Fourier layers */
    n += (int64_t)c->proj_width * w + c->proj_width;            /* projection */
    n += (int64_t)c->out_channels * c->proj_width + c->out_channels;
    return n;
}

static void glorot_uniform(nt_tensor *W, nt_rng *rng)
{
    double lim = sqrt(6.0 / (double)(nt_tensor_rows(W) + nt_tensor_cols(W)));
    for (int64_t i = 0; i < W->size; i++) nt_tensor_set(W, i, (2.0 * nt_rng_uniform(rng) - 1.0) * lim);
}

static nt_tensor *add_param(nt_params *p, const char *name, int l, int64_t rows, int64_t cols)
{
    char buf[32];
    if (l >= 0) snprintf(buf, sizeof buf, "%s%d", name, l);
    else snprintf(buf, sizeof buf, "%s", name);
    return nt_params_add(p, buf, rows, cols);
}

nt_status nt_fno_init(nt_fno *m, const nt_fno_config *c, nt_params *p, nt_rng *rng)
{
    memset(m, 0, sizeof *m);
    if (c->dim != 1 && c->dim != 2)
        return nt_set_error(NT_ERR_ARG, "FNO: dim must be 1 or 2 (got %d)", c->dim);
    if (c->in_channels < 1 || c->out_channels < 1 || c->width < 1 || c->proj_width < 1)
        return nt_set_error(NT_ERR_ARG, "FNO: in_channels, out_channels, width and proj_width "
                            "must be positive (got %d, %d, %d, %d)", c->in_channels,
                            c->out_channels, c->width, c->proj_width);
    if (c->layers < 1 || c->layers > NT_FNO_MAX_LAYERS)
        return nt_set_error(NT_ERR_ARG, "FNO: layers must be in [1, %d] (got %d)",
                            NT_FNO_MAX_LAYERS, c->layers);
    if (c->modes1 < 1 || (c->dim == 2 && c->modes2 < 1))
        return nt_set_error(NT_ERR_ARG, "FNO: modes must be positive (got modes1 %d, modes2 %d)",
                            c->modes1, c->modes2);
    if (p->dtype != NT_F32 && p->dtype != NT_F64)
        return nt_set_error(NT_ERR_ARG, "FNO: unknown parameter dtype");
    m->cfg = *c;
    if (c->dim == 1) m->cfg.modes2 = 0;
    int64_t w = c->width, M = fno_modes(c);
    m->lift_W = add_param(p, "fno.lift.W", -1, w, c->in_channels + c->dim);
    m->lift_b = add_param(p, "fno.lift.b", -1, 1, w);
    if (!m->lift_W || !m->lift_b) return NT_ERR_ARG;
    glorot_uniform(m->lift_W, rng);
    for (int l = 0; l < c->layers; l++) {
        m->spec_W[l] = add_param(p, "fno.spec.W", l, w, w * M * 2);
        m->skip_W[l] = add_param(p, "fno.skip.W", l, w, w);
        m->skip_b[l] = add_param(p, "fno.skip.b", l, 1, w);
        if (!m->spec_W[l] || !m->skip_W[l] || !m->skip_b[l]) return NT_ERR_ARG;
        double scale = 1.0 / (double)(w * w);
        for (int64_t i = 0; i < m->spec_W[l]->size; i++)
            nt_tensor_set(m->spec_W[l], i, scale * nt_rng_uniform(rng));
        glorot_uniform(m->skip_W[l], rng);
    }
    m->proj1_W = add_param(p, "fno.proj1.W", -1, c->proj_width, w);
    m->proj1_b = add_param(p, "fno.proj1.b", -1, 1, c->proj_width);
    m->proj2_W = add_param(p, "fno.proj2.W", -1, c->out_channels, c->proj_width);
    m->proj2_b = add_param(p, "fno.proj2.b", -1, 1, c->out_channels);
    if (!m->proj1_W || !m->proj1_b || !m->proj2_W || !m->proj2_b) return NT_ERR_ARG;
    glorot_uniform(m->proj1_W, rng);
    glorot_uniform(m->proj2_W, rng);
    return NT_OK;
}

nt_tensor *nt_fno_forward(const nt_fno *m, nt_tape *t, nt_tensor *a, int64_t s1, int64_t s2)
{
    const nt_fno_config *c = &m->cfg;
    NT_ASSERT(a->dtype == m->lift_W->dtype, "FNO: input dtype differs from the parameters'");
    NT_ASSERT(nt_tensor_cols(a) == c->in_channels, "FNO: input must have in_channels columns");
    if (c->dim == 1) s2 = 1;
    if (s1 < 1 || s2 < 1 || nt_tensor_rows(a) % (s1 * s2) != 0) {
        nt_set_error(NT_ERR_ARG, "FNO: %lld input rows are not batch x %lld x %lld grid points",
                     (long long)nt_tensor_rows(a), (long long)s1, (long long)s2);
        return NULL;
    }
    if (c->dim == 1 && c->modes1 > s1 / 2 + 1) {
        nt_set_error(NT_ERR_ARG, "FNO: %d modes need a grid of at least %d points (got %lld)",
                     c->modes1, 2 * c->modes1 - 2, (long long)s1);
        return NULL;
    }
    if (c->dim == 2 && (2 * (int64_t)c->modes1 > s1 || c->modes2 > s2 / 2 + 1)) {
        nt_set_error(NT_ERR_ARG, "FNO: modes %d x %d need a grid of at least %d x %d (got %lld x %lld)",
                     c->modes1, c->modes2, 2 * c->modes1, 2 * c->modes2 - 2, (long long)s1,
                     (long long)s2);
        return NULL;
    }
    int64_t rows = nt_tensor_rows(a), npt = s1 * s2;
    /* grid coordinates linspace(0, 1, s) per axis, the same for every sample */
    nt_tensor *grid = nt_tensor_new2(t, a->dtype, rows, c->dim);
    if (!grid) return NULL;
    double h1 = s1 > 1 ? 1.0 / (double)(s1 - 1) : 0, h2 = s2 > 1 ? 1.0 / (double)(s2 - 1) : 0;
    for (int64_t r = 0; r < rows; r++) {
        int64_t j = r % npt;
        nt_tensor_set(grid, r * c->dim, (double)(j / s2) * h1);
        if (c->dim == 2) nt_tensor_set(grid, r * c->dim + 1, (double)(j % s2) * h2);
    }
    nt_tensor *h = nt_concat(t, a, grid, 1);
    if (h) h = nt_linear(t, h, m->lift_W, m->lift_b, rows);
    for (int l = 0; l < c->layers && h; l++) {
        nt_tensor *k = c->dim == 1 ? nt_spectral_conv1d(t, h, m->spec_W[l], s1, c->modes1)
                                   : nt_spectral_conv2d(t, h, m->spec_W[l], s1, s2, c->modes1,
                                                        c->modes2);
        nt_tensor *s = k ? nt_linear(t, h, m->skip_W[l], m->skip_b[l], rows) : NULL;
        h = s ? nt_add(t, k, s) : NULL;
        if (h && l < c->layers - 1) h = nt_gelu(t, h);
    }
    if (h) h = nt_linear(t, h, m->proj1_W, m->proj1_b, rows);
    if (h) h = nt_gelu(t, h);
    if (h) h = nt_linear(t, h, m->proj2_W, m->proj2_b, rows);
    return h;
}

/* ---------------------------------------------------------------------------- */
/* DeepONet                                                                       */

static int64_t mlp_count(int in, int width, int depth, int out)
{
    int64_t n = 0;
    for (int l = 0; l <= depth; l++) {
        int64_t i = l == 0 ? in : width, o = l == depth ? out : width;
        n += i * o + o;
    }
    return n;
}

int64_t nt_deeponet_param_count(const nt_deeponet_config *c)
{
    return mlp_count(c->n_sensors, c->branch_width, c->branch_depth, c->p) +
           mlp_count(c->coord_dim, c->trunk_width, c->trunk_depth, c->p) + 1;
}

static void rename_params(nt_params *p, int from, const char *prefix)
{
    for (int i = from; i < p->count; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%s.%s", prefix, p->names[i]);
        memcpy(p->names[i], buf, sizeof buf);
    }
}

nt_status nt_deeponet_init(nt_deeponet *m, const nt_deeponet_config *c, nt_params *p,
                           nt_rng *rng)
{
    memset(m, 0, sizeof *m);
    if (c->n_sensors < 1 || c->coord_dim < 1 || c->p < 1)
        return nt_set_error(NT_ERR_ARG, "DeepONet: n_sensors, coord_dim and p must be positive "
                            "(got %d, %d, %d)", c->n_sensors, c->coord_dim, c->p);
    m->cfg = *c;
    nt_mlp_config bc = {c->n_sensors, c->p, c->branch_width, c->branch_depth, c->act, c->init};
    nt_mlp_config tc = {c->coord_dim, c->p, c->trunk_width, c->trunk_depth, c->act, c->init};
    int first = p->count;
    nt_status st = nt_mlp_init(&m->branch, &bc, p, rng);
    if (st != NT_OK) return st;
    rename_params(p, first, "branch");
    first = p->count;
    st = nt_mlp_init(&m->trunk, &tc, p, rng);
    if (st != NT_OK) return st;
    rename_params(p, first, "trunk");
    m->b0 = nt_params_add(p, "deeponet.b0", 1, 1);
    if (!m->b0) return NT_ERR_ARG;
    return NT_OK;
}

nt_tensor *nt_deeponet_forward(const nt_deeponet *m, nt_tape *t, nt_tensor *u, nt_tensor *y)
{
    NT_ASSERT(nt_tensor_cols(u) == m->cfg.n_sensors, "DeepONet: u must have n_sensors columns");
    NT_ASSERT(nt_tensor_cols(y) == m->cfg.coord_dim, "DeepONet: y must have coord_dim columns");
    nt_tensor *b = nt_mlp_forward(&m->branch, t, u);
    nt_tensor *tr = nt_mlp_forward(&m->trunk, t, y);
    if (tr) tr = nt_act_apply(t, tr, m->cfg.act, 0);
    nt_tensor *g = b && tr ? nt_matmul(t, b, tr, 1) : NULL;
    return g ? nt_add(t, g, m->b0) : NULL;
}

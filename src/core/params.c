/* params.c — one flat block of parameters and gradients per model. */
#include "core/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nt_status nt_params_init(nt_params *p, nt_dtype dt, int64_t capacity)
{
    memset(p, 0, sizeof *p);
    NT_ASSERT(capacity > 0, "parameter capacity must be positive");
    p->dtype = dt;
    p->cap = capacity;
    size_t bytes = (size_t)capacity * nt_dtype_size(dt);
    bytes = (bytes + 63) / 64 * 64;
    p->data = aligned_alloc(64, bytes);
    p->grad = aligned_alloc(64, bytes);
    if (!p->data || !p->grad) {
        free(p->data);
        free(p->grad);
        memset(p, 0, sizeof *p);
        return nt_set_error(NT_ERR_NOMEM, "out of memory for %lld parameters",
                            (long long)capacity);
    }
    memset(p->data, 0, bytes);
    memset(p->grad, 0, bytes);
    return NT_OK;
}

void nt_params_free(nt_params *p)
{
    free(p->data);
    free(p->grad);
    memset(p, 0, sizeof *p);
}

nt_tensor *nt_params_add(nt_params *p, const char *name, int64_t rows, int64_t cols)
{
    NT_ASSERT(rows > 0 && cols > 0, "parameter shape must be positive");
    if (p->count >= NT_PARAMS_MAX || p->n + rows * cols > p->cap) {
        nt_set_error(NT_ERR_ARG, "parameter block full adding '%s' (%lld x %lld)", name,
                     (long long)rows, (long long)cols);
        return NULL;
    }
    size_t es = nt_dtype_size(p->dtype);
    nt_tensor *x = &p->tensors[p->count];
    memset(x, 0, sizeof *x);
    x->dtype = p->dtype;
    x->ndim = 2;
    x->shape[0] = rows;
    x->shape[1] = cols;
    x->size = rows * cols;
    x->data = (char *)p->data + (size_t)p->n * es;
    x->grad = (char *)p->grad + (size_t)p->n * es;
    x->flags = NT_TENSOR_PARAM | NT_TENSOR_REQUIRES_GRAD;
    snprintf(p->names[p->count], sizeof p->names[0], "%s", name);
    p->offset[p->count] = p->n;
    p->count++;
    p->n += rows * cols;
    return x;
}

void nt_params_zero_grad(nt_params *p)
{
    memset(p->grad, 0, (size_t)p->n * nt_dtype_size(p->dtype));
}

double nt_params_grad_norm(const nt_params *p)
{
    double s = 0;
    NT_DISPATCH(p->dtype, T, {
        const T *g = p->grad;
        for (int64_t i = 0; i < p->n; i++) s += (double)g[i] * (double)g[i];
    });
    return sqrt(s);
}

/* adam.c — Adam/AdamW over the flat parameter block, and learning-rate schedules. */
#include "core/internal.h"

#include <math.h>
#include <tgmath.h>
#include <stdlib.h>
#include <string.h>

double nt_schedule_lr(const nt_schedule *s, int64_t step)
{
    double lr = s->lr;
    switch (s->kind) {
    case NT_SCHED_CONSTANT:
        break;
    case NT_SCHED_EXP:
        lr = s->lr * pow(s->rate, (double)step / (double)(s->decay_steps > 0 ? s->decay_steps : 1));
        break;
    case NT_SCHED_COSINE: {
        double frac = s->total > 0 ? NT_MIN(1.0, (double)step / (double)s->total) : 1.0;
        lr = s->lr_min + (s->lr - s->lr_min) * 0.5 * (1.0 + cos(NT_PI * frac));
        break;
    }
    }
    if (s->warmup > 0 && step < s->warmup) lr *= (double)(step + 1) / (double)s->warmup;
    return lr;
}

nt_adam_config nt_adam_config_default(double lr)
{
    nt_adam_config c;
    memset(&c, 0, sizeof c);
    c.beta1 = 0.9;
    c.beta2 = 0.999;
    c.eps = 1e-8;
    c.weight_decay = 0.0;
    c.sched.kind = NT_SCHED_CONSTANT;
    c.sched.lr = lr;
    return c;
}

nt_status nt_adam_init(nt_adam *o, nt_params *p, const nt_adam_config *cfg)
{
    memset(o, 0, sizeof *o);
    if (!(cfg->beta1 >= 0 && cfg->beta1 < 1 && cfg->beta2 >= 0 && cfg->beta2 < 1 && cfg->eps > 0))
        return nt_set_error(NT_ERR_ARG, "Adam needs 0 <= beta1, beta2 < 1 and eps > 0");
    o->cfg = *cfg;
    o->p = p;
    size_t bytes = ((size_t)p->n * nt_dtype_size(p->dtype) + 63) / 64 * 64;
    o->m = aligned_alloc(64, bytes ? bytes : 64);
    o->v = aligned_alloc(64, bytes ? bytes : 64);
    if (!o->m || !o->v) {
        nt_adam_free(o);
        return nt_set_error(NT_ERR_NOMEM, "out of memory for Adam moments");
    }
    memset(o->m, 0, bytes);
    memset(o->v, 0, bytes);
    return NT_OK;
}

void nt_adam_free(nt_adam *o)
{
    free(o->m);
    free(o->v);
    memset(o, 0, sizeof *o);
}

double nt_adam_step(nt_adam *o)
{
    double lr = nt_schedule_lr(&o->cfg.sched, o->step);
    o->step++;
    double b1 = o->cfg.beta1, b2 = o->cfg.beta2;
    double c1 = 1.0 / (1.0 - pow(b1, (double)o->step));
    double c2 = 1.0 / (1.0 - pow(b2, (double)o->step));
    double wd = o->cfg.weight_decay;
    int64_t n = o->p->n;
    NT_DISPATCH(o->p->dtype, T, {
        T *x = o->p->data, *m = o->m, *v = o->v;
        const T *g = o->p->grad;
        const T tb1 = (T)b1, tb2 = (T)b2, tc1 = (T)c1, tc2 = (T)c2, tlr = (T)lr,
                teps = (T)o->cfg.eps, tdecay = (T)(1.0 - lr * wd);
_Pragma("omp parallel for simd schedule(static) if (n >= 65536)")
        for (int64_t i = 0; i < n; i++) {
            T gi = g[i];
            T mi = tb1 * m[i] + ((T)1 - tb1) * gi;
            T vi = tb2 * v[i] + ((T)1 - tb2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            x[i] = x[i] * tdecay - tlr * (mi * tc1) / (sqrt(vi * tc2) + teps);
        }
    });
    return lr;
}

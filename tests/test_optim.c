/* test_optim.c — Adam/AdamW updates and learning-rate schedules. */
#include "harness.h"

#include <string.h>

/* One Adam step by hand: m = (1−β1)g, v = (1−β2)g², x −= lr·m̂/(√v̂ + ε) = lr·sign(g). */
static void test_adam_first_step(void)
{
    nt_params p;
    CHECK_OK(nt_params_init(&p, NT_F64, 4));
    nt_tensor *w = nt_params_add(&p, "w", 1, 3);
    for (int i = 0; i < 3; i++) nt_tensor_set(w, i, 1.0);
    double g[3] = {0.5, -2.0, 0.0};
    memcpy(p.grad, g, sizeof g);
    nt_adam o;
    nt_adam_config c = nt_adam_config_default(0.1);
    CHECK_OK(nt_adam_init(&o, &p, &c));
    nt_adam_step(&o);
    CHECK_NEAR(nt_tensor_get(w, 0), 1.0 - 0.1 * 0.5 / (0.5 + 1e-8), 1e-12);
    CHECK_NEAR(nt_tensor_get(w, 1), 1.0 + 0.1 * 2.0 / (2.0 + 1e-8), 1e-12);
    CHECK_NEAR(nt_tensor_get(w, 2), 1.0, 0);
    nt_adam_free(&o);
    /* AdamW: decoupled decay multiplies the weight by (1 − lr·wd) first */
    for (int i = 0; i < 3; i++) nt_tensor_set(w, i, 1.0);
    memset(p.grad, 0, sizeof g);
    c.weight_decay = 0.5;
    CHECK_OK(nt_adam_init(&o, &p, &c));
    nt_adam_step(&o);
    CHECK_NEAR(nt_tensor_get(w, 2), 1.0 - 0.1 * 0.5, 1e-15);
    nt_adam_free(&o);
    nt_params_free(&p);
}

/* Adam minimizes a badly scaled quadratic in both dtypes. */
static void test_adam_quadratic(void)
{
    for (int dt = 0; dt < 2; dt++) {
        nt_params p;
        CHECK_OK(nt_params_init(&p, (nt_dtype)dt, 8));
        nt_tensor *w = nt_params_add(&p, "w", 1, 4);
        double scale[4] = {1, 10, 100, 0.1};
        for (int i = 0; i < 4; i++) nt_tensor_set(w, i, 3.0);
        nt_adam o;
        nt_adam_config c = nt_adam_config_default(0.05);
        c.sched.kind = NT_SCHED_COSINE;
        c.sched.total = 3000;
        c.sched.lr_min = 1e-4;
        CHECK_OK(nt_adam_init(&o, &p, &c));
        for (int s = 0; s < 3000; s++) {
            for (int i = 0; i < 4; i++) {
                double x = nt_tensor_get(w, i);
                if (dt == NT_F32) ((float *)p.grad)[i] = (float)(scale[i] * (x - 1));
                else ((double *)p.grad)[i] = scale[i] * (x - 1);
            }
            nt_adam_step(&o);
        }
        for (int i = 0; i < 4; i++) CHECK_NEAR(nt_tensor_get(w, i), 1.0, 1e-3);
        nt_adam_free(&o);
        nt_params_free(&p);
    }
}

static void test_schedules(void)
{
    nt_schedule s = {.kind = NT_SCHED_CONSTANT, .lr = 0.01};
    CHECK_NEAR(nt_schedule_lr(&s, 12345), 0.01, 0);
    s = (nt_schedule){.kind = NT_SCHED_EXP, .lr = 1e-3, .rate = 0.9, .decay_steps = 1000};
    CHECK_CLOSE(nt_schedule_lr(&s, 2000), 1e-3 * 0.81, 1e-14, 0);
    CHECK_CLOSE(nt_schedule_lr(&s, 500), 1e-3 * sqrt(0.9), 1e-14, 0);
    s = (nt_schedule){.kind = NT_SCHED_COSINE, .lr = 1.0, .lr_min = 0.1, .total = 100};
    CHECK_NEAR(nt_schedule_lr(&s, 0), 1.0, 1e-15);
    CHECK_NEAR(nt_schedule_lr(&s, 50), 0.55, 1e-15);
    CHECK_NEAR(nt_schedule_lr(&s, 100), 0.1, 1e-15);
    CHECK_NEAR(nt_schedule_lr(&s, 1000), 0.1, 1e-15);
    s = (nt_schedule){.kind = NT_SCHED_CONSTANT, .lr = 1.0, .warmup = 10};
    CHECK_NEAR(nt_schedule_lr(&s, 0), 0.1, 1e-15);
    CHECK_NEAR(nt_schedule_lr(&s, 4), 0.5, 1e-15);
    CHECK_NEAR(nt_schedule_lr(&s, 10), 1.0, 0);
}

static void test_bad_config(void)
{
    nt_params p;
    CHECK_OK(nt_params_init(&p, NT_F64, 4));
    nt_adam o;
    nt_adam_config c = nt_adam_config_default(0.1);
    c.beta2 = 1.0;
    CHECK(nt_adam_init(&o, &p, &c) == NT_ERR_ARG);
    CHECK(strstr(nt_error_msg(), "beta") != NULL);
    nt_adam_free(&o);
    nt_params_free(&p);
}

int main(void)
{
    RUN(test_adam_first_step);
    RUN(test_adam_quadratic);
    RUN(test_schedules);
    RUN(test_bad_config);
    return nt_test_finish();
}

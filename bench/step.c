/* step.c — times one full PINN training step of Noether and prints one JSON line.
 *
 * The step: jet forward of the MLP on the collocation points (u and the derivatives
 * the residual needs), residual + initial + boundary mean-square loss, one reverse
 * pass, one Adam update. Problems: Burgers (u_t + u u_x − ν u_xx) and
 * Kuramoto–Sivashinsky (u_t + u u_x + u_xx + u_xxxx), 128 initial and 128 boundary
 * points, as the scripts in bench/peers do.
 *
 *   bench/step --pde burgers --width 64 --depth 4 --points 8192 --dtype float32
 *
 * gflops counts the GEMM work only (forward, input and weight gradients); the
 * elementwise jet work is extra and not counted. */
#include "pinn/demo.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *openblas_get_config(void);

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void usage(void)
{
    fprintf(stderr, "usage: bench/step [--pde burgers|ks] [--width W] [--depth D] [--points N]\n"
                    "                  [--dtype float32|float64] [--threads T] [--steps K]\n"
                    "                  [--repeats R] [--warmup K] [--act tanh|sin|gelu|swish]\n"
                    "                  [--chunk C]  (collocation points per pass, 0 = all)\n");
}

int main(int argc, char **argv)
{
    nt_demo_config cfg = nt_demo_config_default(NT_DEMO_BURGERS);
    cfg.width = 64;
    cfg.depth = 4;
    cfg.n_res = 8192;
    cfg.dtype = NT_F32;
    int threads = 0, steps = 0, repeats = 5, warmup = 3;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            usage();
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "bench/step: missing value for %s\n", o);
            return 2;
        }
        const char *a = argv[++i];
        if (!strcmp(o, "--pde")) {
            if (!strcmp(a, "burgers")) cfg.pde = NT_DEMO_BURGERS;
            else if (!strcmp(a, "ks")) cfg.pde = NT_DEMO_KS;
            else { fprintf(stderr, "bench/step: unknown pde '%s'\n", a); return 2; }
        } else if (!strcmp(o, "--width")) cfg.width = atoi(a);
        else if (!strcmp(o, "--depth")) cfg.depth = atoi(a);
        else if (!strcmp(o, "--points")) cfg.n_res = atoll(a);
        else if (!strcmp(o, "--dtype")) {
            if (nt_dtype_parse(a, &cfg.dtype)) { fprintf(stderr, "bench/step: %s\n", nt_error_msg()); return 2; }
        } else if (!strcmp(o, "--act")) {
            if (nt_act_parse(a, &cfg.act)) { fprintf(stderr, "bench/step: %s\n", nt_error_msg()); return 2; }
        } else if (!strcmp(o, "--threads")) threads = atoi(a);
        else if (!strcmp(o, "--chunk")) cfg.chunk = atoll(a);
        else if (!strcmp(o, "--steps")) steps = atoi(a);
        else if (!strcmp(o, "--repeats")) repeats = atoi(a);
        else if (!strcmp(o, "--warmup")) warmup = atoi(a);
        else { fprintf(stderr, "bench/step: unknown option %s\n", o); usage(); return 2; }
    }
    if (cfg.width < 1 || cfg.depth < 1 || cfg.n_res < 1 || repeats < 1 || repeats > 100) {
        fprintf(stderr, "bench/step: sizes must be positive (repeats 1..100)\n");
        return 2;
    }
    if (threads > 0) nt_threads_set(threads);
    cfg.n_ic = 128;
    cfg.n_bc = 128;
    nt_demo d;
    if (nt_demo_init(&d, &cfg)) {
        fprintf(stderr, "bench/step: %s\n", nt_error_msg());
        return 1;
    }
    nt_adam opt;
    nt_adam_config ac = nt_adam_config_default(1e-3);
    if (nt_adam_init(&opt, &d.params, &ac)) return 1;
    double loss0 = 0;
    for (int i = 0; i < warmup; i++) {
        double l = nt_demo_loss(&d, 1);
        if (i == 0) loss0 = l;
        nt_adam_step(&opt);
    }
    /* choose the step count so that one repeat takes about a second */
    if (steps <= 0) {
        double t0 = nt_time_now();
        nt_demo_loss(&d, 1);
        nt_adam_step(&opt);
        double dt = nt_time_now() - t0;
        steps = (int)(1.0 / (dt > 1e-4 ? dt : 1e-4));
        if (steps < 3) steps = 3;
        if (steps > 1000) steps = 1000;
    }
    uint64_t allocs_before = d.tape.arena.n_sys_alloc;
    double ms[100];
    for (int r = 0; r < repeats; r++) {
        double t0 = nt_time_now();
        for (int s = 0; s < steps; s++) {
            nt_demo_loss(&d, 1);
            nt_adam_step(&opt);
        }
        ms[r] = (nt_time_now() - t0) * 1e3 / steps;
    }
    double sorted[100];
    memcpy(sorted, ms, sizeof(double) * (size_t)repeats);
    qsort(sorted, (size_t)repeats, sizeof(double), cmp_d);
    double med = repeats % 2 ? sorted[repeats / 2] : 0.5 * (sorted[repeats / 2 - 1] + sorted[repeats / 2]);
    double flops = nt_mlp_jet_flops(&d.mlp, cfg.n_res, d.spec.n_streams) +
                   nt_mlp_jet_flops(&d.mlp, cfg.n_ic + cfg.n_bc, 1);
    printf("{\"impl\":\"noether\",\"pde\":\"%s\",\"width\":%d,\"depth\":%d,\"points\":%lld,"
           "\"dtype\":\"%s\",\"threads\":%d,\"act\":\"%s\",\"streams\":%d,\"chunk\":%lld,\"steps\":%d,"
           "\"ms_per_step\":%.4f,\"ms_all\":[",
           cfg.pde == NT_DEMO_BURGERS ? "burgers" : "ks", cfg.width, cfg.depth, (long long)cfg.n_res,
           nt_dtype_name(cfg.dtype), nt_threads_get(), nt_act_name(cfg.act), d.spec.n_streams,
           (long long)cfg.chunk, steps, med);
    for (int r = 0; r < repeats; r++) printf("%s%.4f", r ? "," : "", ms[r]);
    printf("],\"gemm_gflop_per_step\":%.4f,\"gflops\":%.2f,\"loss0\":%.6g,"
           "\"arena_mallocs_in_timed_steps\":%llu,\"version\":\"%s\",\"openblas\":\"%s\"}\n",
           flops * 1e-9, flops * 1e-9 / (med * 1e-3), loss0,
           (unsigned long long)(d.tape.arena.n_sys_alloc - allocs_before), NT_VERSION_STRING,
           openblas_get_config());
    nt_adam_free(&opt);
    nt_demo_free(&d);
    return 0;
}

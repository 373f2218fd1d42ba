/* bench.h — `noether bench`: train the problem catalogue and tabulate the errors
 * beside the published ones (internal). */
#ifndef NT_PINN_BENCH_H
#define NT_PINN_BENCH_H

typedef struct nt_bench_opts {
    const char *catalogue;   /* catalogue YAML (problems/catalogue.yaml) */
    const char *const *names; /* problems to run (by name); NULL/0: all */
    int n_names;
    int quick;               /* a few minutes in all: each problem stops after quick_seconds */
    double quick_seconds;
    double time_limit;       /* per problem, 0 = none (ignored with quick) */
    int threads;             /* 0: all cores */
    const char *out_dir;     /* run folders go here; NULL: runs/bench-<date>-<time> */
    const char *table;       /* Markdown table file; NULL: <out_dir>/ACCURACY.md */
} nt_bench_opts;

/* Trains each selected catalogue problem in its own run folder and prints a table:
 * problem, relative L2 error (largest over the fields with a reference), the
 * published figure and its source, wall time, steps and steps/s. Returns a process
 * exit status: 0 when every run finished (or stopped at its time limit) with an
 * error; 1 otherwise; 2 for usage errors. */
int nt_run_bench(const nt_bench_opts *o);

#endif

/* run.h — a training run and its folder (internal): the loop over the problem's
 * stages, progress display, Ctrl-C and divergence handling, checkpoints, history,
 * predictions, summary and figures; and the predict/eval commands on a run folder.
 * Each function returns a process exit status and prints its messages to stderr. */
#ifndef NT_PINN_RUN_H
#define NT_PINN_RUN_H

#include "noether.h"

typedef struct nt_run_opts {
    const char *problem;     /* problem file (ignored with resume_dir) */
    const char *out_dir;     /* NULL: runs/<problem name> (or -2, -3, ... if taken) */
    const char *resume_dir;  /* continue the run in this folder */
    int threads;             /* 0: all cores */
    int64_t seed;            /* −1: from the file */
    int dtype;               /* −1: from the file, else nt_dtype */
    double time_limit;       /* seconds of training, 0 = none */
    int64_t stop_after;      /* act as if Ctrl-C came after this many steps (tests); 0 = never */
    int progress;            /* −1: a bar when stderr is a terminal; 0: plain lines; 1: bar */
    int overwrite;           /* allow out_dir to hold an earlier run */
} nt_run_opts;

int nt_run_train(const nt_run_opts *o);
/* Evaluates the run's model at the points of in_csv (columns named like the domain
 * variables) and writes them with one column per field to out_csv (stdout if NULL). */
int nt_run_predict(const char *dir, const char *in_csv, const char *out_csv);
/* Recomputes the errors against the run's reference, or against ref_csv if given. */
int nt_run_eval(const char *dir, const char *ref_csv);

#endif

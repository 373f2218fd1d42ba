/* solve.h — `noether solve`: a problem's reference solution written to a file
 * (internal). */
#ifndef NT_PINN_SOLVE_H
#define NT_PINN_SOLVE_H

/* Computes the reference of the problem file (a solver, Cole–Hopf or an exact
 * expression) on its reference grid and writes it as CSV to out_csv (default
 * "<name>-reference.csv"; an existing file only with overwrite) plus a PNG figure
 * beside it. Returns a process exit status; messages go to stderr. */
int nt_run_solve(const char *problem, const char *out_csv, int overwrite);

#endif

/* reference.h — reference solutions computed by Noether's classical solvers for a
 * problem's `reference: {solver: ...}` block (internal).
 *
 * The solvers run on their own grids; the solution is then evaluated at the
 * requested points: spectral solutions by their Fourier series (exact for the
 * solver's band-limited solution), grid solutions by bicubic interpolation. */
#ifndef NT_PINN_REFERENCE_H
#define NT_PINN_REFERENCE_H

#include "noether.h"
#include "pinn/problem.h"

/* Solves the reference of p (ref_kind NT_REF_SPECTRAL or NT_REF_CAVITY) and writes
 * the fields at the n points x (n × n_vars) into u (n × n_fields); has[f] is set
 * to 1 for every field the solver provides. Errors: NT_ERR_ARG (a point outside
 * the domain or times before the start), NT_ERR_NUMERIC (the solver blew up),
 * NT_ERR_NOMEM. Not thread-safe (FFTW planner). */
nt_status nt_reference_solve(const nt_problem *p, int64_t n, const double *x, double *u, int *has);

#endif

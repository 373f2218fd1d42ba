/* ad_internal.h — pieces of the tape shared by the op files (not installed). */
#ifndef NT_AD_INTERNAL_H
#define NT_AD_INTERNAL_H

#include "core/internal.h"

/* Loops over at least this many elements run on all threads. */
#define NT_PAR_MIN 32768

/* A new node of shape rows × cols produced by `op` from up to three sources;
 * requires grad when a source does (and the tape records). NULL on OOM. */
nt_tensor *nt_node_new(nt_tape *t, nt_dtype dt, int64_t rows, int64_t cols, nt_op op,
                       nt_tensor *a, nt_tensor *b, nt_tensor *c);
/* The gradient buffer of x, allocated zeroed in the tape's arena on first use;
 * NULL when x does not require grad. */
void *nt_grad_of(nt_tape *t, nt_tensor *x);
/* Like nt_grad_of, for a caller that writes every element: a new buffer is not
 * zeroed and *acc is set to 0 (write), an existing one gives *acc = 1 (add). */
void *nt_grad_full(nt_tape *t, nt_tensor *x, int *acc);

/* Deterministic sums (fixed chunking, independent of the thread count), in double:
 * Σ x[i]·y[i] (y may be NULL for Σ x[i]). */
double nt_red_dot(nt_dtype dt, const void *x, const void *y, int64_t n);
/* out[c] += Σ_r g[r·cols + c] for r < rows (deterministic). */
void nt_red_colsum_add(nt_tape *t, nt_dtype dt, const void *g, int64_t rows, int64_t cols,
                       void *out);

/* Backward kernels of the jet ops (jet.c). */
void nt_jet_act_backward(nt_tape *t, nt_tensor *y);
void nt_jet_mul_backward(nt_tape *t, nt_tensor *y);

#endif

/* specconv.h — the spectral convolution op's backward kernel and its FFTW plan cache
 * (internal; the op itself is declared in noether.h). */
#ifndef NT_AD_SPECCONV_H
#define NT_AD_SPECCONV_H

#include "noether.h"

/* Backward kernel of NT_OP_SPECCONV (called by the tape's reverse pass). */
void nt_specconv_backward(nt_tape *t, nt_tensor *y);

/* Number of FFTW plan sets created so far (one per (sx, sy, modes2, channels)); the
 * plans live until the process ends. For tests of the cache. */
int64_t nt_specconv_plan_count(void);

#endif

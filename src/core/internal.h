/* internal.h — helpers shared by the library's modules (not installed). */
#ifndef NT_CORE_INTERNAL_H
#define NT_CORE_INTERNAL_H

#include "noether.h"

#define NT_PI 3.14159265358979323846

/* Sets the thread's error message and returns s. */
nt_status nt_set_error(nt_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Runs a block twice: once with T = float when dt is NT_F32, else with T = double.
 * Lets one kernel body serve both dtypes. */
#define NT_DISPATCH(dt, T, ...)                  \
    do {                                         \
        if ((dt) == NT_F32) {                    \
            typedef float T;                     \
            __VA_ARGS__                          \
        } else {                                 \
            typedef double T;                    \
            __VA_ARGS__                          \
        }                                        \
    } while (0)

/* The whole file as a NUL-terminated string (malloc'ed; *len its length when len is
 * not NULL); NULL when it cannot be read (errno says why). */
char *nt_read_file(const char *path, size_t *len);

/* Sorted distinct values of column col of the n rows of x (stride doubles per row)
 * into out (room for n); returns their count. */
int64_t nt_sorted_unique(const double *x, int64_t n, int stride, int col, double *out);
/* Index of the first element >= a in the sorted v[0..n) (n − 1 if none). */
int64_t nt_sorted_find(const double *v, int64_t n, double a);

#define NT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define NT_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif

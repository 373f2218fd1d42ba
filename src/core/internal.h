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

#define NT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define NT_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif

/* npy.h — NumPy .npy arrays: writer and reader (internal header).
 *
 * The on-disk format of Noether's datasets (readable with numpy.load). Format
 * version 1.0 as written by numpy.save (numpy/lib/format.py, NEP 1):
 *
 *   6 bytes   magic "\x93NUMPY"
 *   2 bytes   version major = 1, minor = 0
 *   uint16    HEADER_LEN, little-endian
 *   HEADER_LEN bytes of ASCII: a Python dict literal, exactly as numpy (>= 1.24)
 *             writes it, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }"
 *             (shape "()" for 0-d, "(5,)" for 1-d), then numpy's growth room of
 *             21 - (digits of shape[0]) spaces (none for 0-d), then spaces and a
 *             final '\n' so that 10 + HEADER_LEN is a multiple of 64 (numpy's
 *             rule: 64 - (10 + len + 1) % 64 pad spaces, so 1..64); the bytes
 *             are the same as numpy.save's for the same array
 *   data      the elements in C order, little-endian IEEE float64 ('<f8') or
 *             float32 ('<f4'), nothing after them.
 *
 * Writing is atomic like nt_ckpt_write: "<path>.tmp" is written, flushed,
 * fsync'ed and renamed over path; on failure the tmp file is removed and an
 * existing file at path is untouched.
 *
 * The reader accepts versions 1.x, 2.x (uint32 HEADER_LEN) and 3.x (same, UTF-8
 * header), a header dict with the three keys in any order and any Python
 * whitespace, descr '<f8' or '<f4' (any other, '>f8' or '<i4' say, is rejected
 * by name), fortran_order False, and
 * a shape tuple of non-negative integers (at most NT_NPY_MAX_DIM). It requires
 * the data to be exactly prod(shape) * itemsize bytes. */
#ifndef NT_IO_NPY_H
#define NT_IO_NPY_H

#include "noether.h"

#define NT_NPY_MAX_DIM 8

/* Writes an array of dtype (NT_F64 -> '<f8', NT_F32 -> '<f4') with the given
 * shape (ndim in 0 .. NT_NPY_MAX_DIM, shape[i] >= 0; data holds prod(shape)
 * elements of that type in C order, host byte order: this build requires a
 * little-endian host). NT_ERR_ARG for a bad ndim/shape, NT_ERR_IO with
 * "cannot create/write/sync/rename '...': <strerror>", NT_ERR_NOMEM. */
nt_status nt_npy_write(const char *path, nt_dtype dtype, int ndim, const int64_t *shape,
                       const void *data);

/* The header (magic through the '\n') that nt_npy_write writes, into buf (cap
 * bytes); returns its length, or 0 if it does not fit or the arguments are bad.
 * Exposed for tests. */
size_t nt_npy_header(char *buf, size_t cap, nt_dtype dtype, int ndim, const int64_t *shape);

typedef struct nt_npy {
    nt_dtype dtype;
    int ndim;
    int64_t shape[NT_NPY_MAX_DIM];
    int64_t count;  /* prod(shape) */
    void *data;     /* count elements, malloc'd (8-byte aligned) */
} nt_npy;

/* Reads a .npy file. On failure a is left empty (nt_npy_free safe).
 *   NT_ERR_IO      "cannot open 'p': ..." / "cannot read 'p': ..."
 *   NT_ERR_FORMAT  "p: not a NumPy .npy file (bad magic)",
 *                  "p: unsupported .npy format version M.m (this reader knows 1.x-3.x)",
 *                  "p: truncated header (...)",
 *                  "p:1:C: <what was expected>" for a malformed header dict
 *                  (C = 1-based column in the header text),
 *                  "p: unsupported dtype '...' (only '<f8' and '<f4')",
 *                  "p: fortran_order True is not supported",
 *                  "p: truncated data (expected N bytes for shape (...), found M)",
 *                  "p: K unexpected bytes after the data"
 *   NT_ERR_NOMEM */
nt_status nt_npy_read(nt_npy *a, const char *path);
void nt_npy_free(nt_npy *a);

#endif

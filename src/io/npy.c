/* npy.c — NumPy .npy writer (format 1.0, atomic) and validating reader. */
#include "io/npy.h"
#include "io/ckpt.h"

#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c writes and reads little-endian data in host order: a little-endian host is required"
#endif

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64
#define NPY_GROWTH_DIGITS 21 /* numpy's GROWTH_AXIS_MAX_DIGITS */

static size_t itemsize(nt_dtype dt) { return dt == NT_F32 ? 4 : 8; }

/* prod(shape) with overflow and sign checks; -1 on failure. */
static int64_t shape_count(int ndim, const int64_t *shape)
{
    int64_t c = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return -1;
        if (shape[i] != 0 && c > INT64_MAX / 8 / shape[i]) return -1;
        c *= shape[i];
    }
    return c;
}

/* "(3, 4)" / "(5,)" / "()" into buf; returns length (snprintf semantics). */
static size_t shape_repr(char *buf, size_t cap, int ndim, const int64_t *shape)
{
    size_t len = 0;
#define PUT(...)                                                                  \
    do {                                                                          \
        int w_ = snprintf(buf + (len < cap ? len : cap), len < cap ? cap - len : 0, \
                          __VA_ARGS__);                                           \
        len += (size_t)(w_ > 0 ? w_ : 0);                                         \
    } while (0)
    PUT("(");
    for (int i = 0; i < ndim; i++) PUT(i ? ", %" PRId64 : "%" PRId64, shape[i]);
    if (ndim == 1) PUT(",");
    PUT(")");
#undef PUT
    return len;
}

size_t nt_npy_header(char *buf, size_t cap, nt_dtype dtype, int ndim, const int64_t *shape)
{
    if ((dtype != NT_F32 && dtype != NT_F64) || ndim < 0 || ndim > NT_NPY_MAX_DIM ||
        (ndim > 0 && !shape) || shape_count(ndim, shape) < 0)
        return 0;
    char sh[NT_NPY_MAX_DIM * 24 + 8];
    shape_repr(sh, sizeof sh, ndim, shape);
    char dict[sizeof sh + 128];
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                      dtype == NT_F32 ? "<f4" : "<f8", sh);
    if (dl < 0 || (size_t)dl >= sizeof dict) return 0;
    size_t len = (size_t)dl;
    if (ndim > 0) {
        char d0[24];
        int nd = snprintf(d0, sizeof d0, "%" PRId64, shape[0]);
        size_t grow = nd < NPY_GROWTH_DIGITS ? (size_t)(NPY_GROWTH_DIGITS - nd) : 0;
        memset(dict + len, ' ', grow);
        len += grow;
    }
    size_t hlen = len + 1; /* + '\n' */
    size_t pad = NPY_ALIGN - (NPY_MAGIC_LEN + 4 + hlen) % NPY_ALIGN;
    size_t total = NPY_MAGIC_LEN + 4 + hlen + pad;
    if (total > cap || hlen + pad > 65535) return 0;
    memcpy(buf, NPY_MAGIC, NPY_MAGIC_LEN);
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (char)((hlen + pad) & 0xFF);
    buf[9] = (char)((hlen + pad) >> 8);
    memcpy(buf + 10, dict, len);
    memset(buf + 10 + len, ' ', pad);
    buf[total - 1] = '\n';
    return total;
}

nt_status nt_npy_write(const char *path, nt_dtype dtype, int ndim, const int64_t *shape,
                       const void *data)
{
    NT_ASSERT(path, "nt_npy_write: NULL path");
    if (dtype != NT_F32 && dtype != NT_F64)
        return nt_set_error(NT_ERR_ARG, "npy: unsupported dtype %d for '%s'", (int)dtype, path);
    if (ndim < 0 || ndim > NT_NPY_MAX_DIM)
        return nt_set_error(NT_ERR_ARG, "npy: ndim %d out of range [0, %d] for '%s'", ndim,
                            NT_NPY_MAX_DIM, path);
    NT_ASSERT(ndim == 0 || shape, "nt_npy_write: NULL shape");
    int64_t count = shape_count(ndim, shape);
    if (count < 0)
        return nt_set_error(NT_ERR_ARG, "npy: invalid shape for '%s' (negative or too large)", path);
    NT_ASSERT(data || count == 0, "nt_npy_write: NULL data");
    char hdr[1024];
    size_t hl = nt_npy_header(hdr, sizeof hdr, dtype, ndim, shape);
    if (!hl) return nt_set_error(NT_ERR_ARG, "npy: cannot format the header for '%s'", path);

    size_t plen = strlen(path);
    char *tmp = malloc(plen + 5);
    if (!tmp) return nt_set_error(NT_ERR_NOMEM, "out of memory writing '%s'", path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    errno = 0;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        nt_status st = nt_set_error(NT_ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
        free(tmp);
        return st;
    }
    const char *what = "write";
    int err = 0;
    size_t nbytes = (size_t)count * itemsize(dtype);
    if (fwrite(hdr, 1, hl, f) != hl || (nbytes && fwrite(data, 1, nbytes, f) != nbytes))
        err = errno ? errno : EIO;
    if (!err && fflush(f) != 0) err = errno ? errno : EIO;
    if (!err && fsync(fileno(f)) != 0) {
        err = errno ? errno : EIO;
        what = "sync";
    }
    if (fclose(f) != 0 && !err) err = errno ? errno : EIO;
    if (err) {
        nt_status st = nt_set_error(NT_ERR_IO, "cannot %s '%s': %s", what, tmp, strerror(err));
        remove(tmp);
        free(tmp);
        return st;
    }
    if (rename(tmp, path) != 0) {
        nt_status st =
            nt_set_error(NT_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        remove(tmp);
        free(tmp);
        return st;
    }
    free(tmp);
    nt_sync_dir_of(path);
    return NT_OK;
}

/* ------------------------------------------------------------------------------ */
/* Reader: a parser for the header's Python dict literal.                          */

typedef struct hparse {
    const char *s; /* header text */
    size_t n, i;
    const char *path;
} hparse;

static int is_pyspace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static void skip_ws(hparse *p)
{
    while (p->i < p->n && is_pyspace(p->s[p->i])) p->i++;
}

static nt_status perr(hparse *p, const char *what)
{
    size_t col = p->i + 1;
    if (p->i < p->n) {
        char c = p->s[p->i];
        if (c >= 0x20 && c < 0x7f)
            return nt_set_error(NT_ERR_FORMAT, "%s:1:%zu: malformed .npy header: %s, found '%c'",
                                p->path, col, what, c);
        return nt_set_error(NT_ERR_FORMAT, "%s:1:%zu: malformed .npy header: %s, found byte 0x%02x",
                            p->path, col, what, (unsigned)(unsigned char)c);
    }
    return nt_set_error(NT_ERR_FORMAT, "%s:1:%zu: malformed .npy header: %s, found the end",
                        p->path, col, what);
}

/* A quoted string ('...' or "...", no escapes needed for our keys/values). */
static nt_status parse_str(hparse *p, char *out, size_t cap)
{
    if (p->i >= p->n || (p->s[p->i] != '\'' && p->s[p->i] != '"'))
        return perr(p, "expected a quoted string");
    char q = p->s[p->i];
    size_t start = ++p->i, len = 0;
    while (p->i < p->n && p->s[p->i] != q) {
        if (p->s[p->i] == '\\' || p->s[p->i] == '\n') return perr(p, "unsupported character in a string");
        p->i++;
    }
    if (p->i >= p->n) {
        p->i = start - 1;
        return perr(p, "unterminated string");
    }
    len = p->i - start;
    p->i++;
    if (len >= cap) len = cap - 1;
    memcpy(out, p->s + start, len);
    out[len] = 0;
    return NT_OK;
}

static nt_status parse_shape(hparse *p, int *ndim, int64_t *shape)
{
    if (p->i >= p->n || p->s[p->i] != '(') return perr(p, "expected '(' starting the shape tuple");
    p->i++;
    int nd = 0;
    for (;;) {
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ')') { /* "()" or after a trailing ',' */
            p->i++;
            break;
        }
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
            return perr(p, "expected a non-negative integer in the shape");
        if (nd == NT_NPY_MAX_DIM) return perr(p, "too many dimensions (at most 8)");
        int64_t v = 0;
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
            int d = p->s[p->i] - '0';
            if (v > (INT64_MAX - d) / 10) return perr(p, "shape entry too large");
            v = v * 10 + d;
            p->i++;
        }
        if (p->i < p->n && p->s[p->i] == 'L') p->i++; /* Python 2 long suffix (old numpy) */
        shape[nd++] = v;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == ')') {
            /* "(5)" is an int in Python, not a tuple: numpy rejects it too */
            if (nd == 1) return perr(p, "expected ',' (a 1-d shape is written (n,))");
            p->i++;
            break;
        }
        return perr(p, "expected ',' or ')' in the shape");
    }
    *ndim = nd;
    return NT_OK;
}

/* Parses the header dict: sets *dtype, *ndim, shape. */
static nt_status parse_header(hparse *p, nt_dtype *dtype, int *ndim, int64_t *shape)
{
    int have_descr = 0, have_fo = 0, have_shape = 0;
    char descr[32] = "";
    skip_ws(p);
    if (p->i >= p->n || p->s[p->i] != '{') return perr(p, "expected '{'");
    p->i++;
    for (;;) {
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == '}') {
            p->i++;
            break;
        }
        size_t key_at = p->i;
        char key[32];
        nt_status st = parse_str(p, key, sizeof key);
        if (st) return st;
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != ':') return perr(p, "expected ':' after a key");
        p->i++;
        skip_ws(p);
        if (!strcmp(key, "descr")) {
            if (have_descr) { p->i = key_at; return perr(p, "key 'descr' repeated"); }
            size_t at = p->i;
            st = parse_str(p, descr, sizeof descr);
            if (st) {
                p->i = at;
                return perr(p, "expected a quoted dtype string for 'descr' (structured dtypes are not supported)");
            }
            have_descr = 1;
        } else if (!strcmp(key, "fortran_order")) {
            if (have_fo) { p->i = key_at; return perr(p, "key 'fortran_order' repeated"); }
            if (p->n - p->i >= 5 && !memcmp(p->s + p->i, "False", 5)) {
                p->i += 5;
            } else if (p->n - p->i >= 4 && !memcmp(p->s + p->i, "True", 4)) {
                return nt_set_error(NT_ERR_FORMAT,
                                    "%s: fortran_order True is not supported (write C-order arrays)",
                                    p->path);
            } else {
                return perr(p, "expected False or True for 'fortran_order'");
            }
            have_fo = 1;
        } else if (!strcmp(key, "shape")) {
            if (have_shape) { p->i = key_at; return perr(p, "key 'shape' repeated"); }
            st = parse_shape(p, ndim, shape);
            if (st) return st;
            have_shape = 1;
        } else {
            p->i = key_at;
            char msg[96];
            snprintf(msg, sizeof msg, "unexpected key '%s' (expected descr, fortran_order, shape)", key);
            return perr(p, msg);
        }
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == '}') {
            p->i++;
            break;
        }
        return perr(p, "expected ',' or '}' after a value");
    }
    skip_ws(p);
    if (p->i != p->n) return perr(p, "unexpected text after the header dict");
    if (!have_descr || !have_fo || !have_shape)
        return nt_set_error(NT_ERR_FORMAT, "%s: .npy header lacks the key '%s'", p->path,
                            !have_descr ? "descr" : !have_fo ? "fortran_order" : "shape");
    if (!strcmp(descr, "<f8"))
        *dtype = NT_F64;
    else if (!strcmp(descr, "<f4"))
        *dtype = NT_F32;
    else
        return nt_set_error(NT_ERR_FORMAT, "%s: unsupported dtype '%s' (only '<f8' and '<f4')",
                            p->path, descr);
    return NT_OK;
}

void nt_npy_free(nt_npy *a)
{
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

nt_status nt_npy_read(nt_npy *a, const char *path)
{
    NT_ASSERT(a && path, "nt_npy_read: NULL argument");
    memset(a, 0, sizeof *a);
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return nt_set_error(NT_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    nt_status st = NT_OK;
    char *hdr = NULL;
    unsigned char pre[12];
    size_t got = fread(pre, 1, 10, f);
    if (ferror(f)) {
        st = nt_set_error(NT_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
        goto done;
    }
    if (got < NPY_MAGIC_LEN ? memcmp(pre, NPY_MAGIC, got) != 0 || got == 0
                            : memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
        st = nt_set_error(NT_ERR_FORMAT, "%s: not a NumPy .npy file (bad magic)", path);
        goto done;
    }
    if (got < 8) {
        st = nt_set_error(NT_ERR_FORMAT, "%s: truncated header (%zu bytes, no version)", path, got);
        goto done;
    }
    int major = pre[6], minor = pre[7];
    if (major < 1 || major > 3) {
        st = nt_set_error(NT_ERR_FORMAT,
                          "%s: unsupported .npy format version %d.%d (this reader knows 1.x-3.x)",
                          path, major, minor);
        goto done;
    }
    size_t lenbytes = major == 1 ? 2 : 4;
    if (major > 1) got += fread(pre + 10, 1, 2, f);
    if (got < 8 + lenbytes) {
        st = nt_set_error(NT_ERR_FORMAT, "%s: truncated header (%zu bytes, no header length)", path, got);
        goto done;
    }
    uint32_t hlen = major == 1 ? (uint32_t)pre[8] | (uint32_t)pre[9] << 8
                               : (uint32_t)pre[8] | (uint32_t)pre[9] << 8 |
                                     (uint32_t)pre[10] << 16 | (uint32_t)pre[11] << 24;
    if (hlen > (1u << 24)) {
        st = nt_set_error(NT_ERR_FORMAT, "%s: implausible header length %u", path, (unsigned)hlen);
        goto done;
    }
    hdr = malloc((size_t)hlen + 1);
    if (!hdr) {
        st = nt_set_error(NT_ERR_NOMEM, "out of memory reading '%s'", path);
        goto done;
    }
    size_t hgot = fread(hdr, 1, hlen, f);
    if (hgot < hlen) {
        st = ferror(f) ? nt_set_error(NT_ERR_IO, "cannot read '%s': %s", path, strerror(errno))
                       : nt_set_error(NT_ERR_FORMAT,
                                      "%s: truncated header (HEADER_LEN %u, only %zu bytes follow)",
                                      path, (unsigned)hlen, hgot);
        goto done;
    }
    hdr[hlen] = 0;
    if (hlen == 0 || hdr[hlen - 1] != '\n') {
        st = nt_set_error(NT_ERR_FORMAT, "%s: malformed .npy header (does not end with a newline)", path);
        goto done;
    }
    hparse p = {hdr, hlen, 0, path};
    nt_dtype dt = NT_F64;
    int ndim = 0;
    int64_t shape[NT_NPY_MAX_DIM] = {0};
    st = parse_header(&p, &dt, &ndim, shape);
    if (st) goto done;
    int64_t count = shape_count(ndim, shape);
    char sh[NT_NPY_MAX_DIM * 24 + 8];
    shape_repr(sh, sizeof sh, ndim, shape);
    if (count < 0) {
        st = nt_set_error(NT_ERR_FORMAT, "%s: shape %s is too large", path, sh);
        goto done;
    }
    size_t nbytes = (size_t)count * itemsize(dt);
    void *data = malloc(nbytes ? nbytes : 1);
    if (!data) {
        st = nt_set_error(NT_ERR_NOMEM, "out of memory reading '%s' (%zu bytes of data)", path, nbytes);
        goto done;
    }
    size_t dgot = fread(data, 1, nbytes, f);
    if (dgot < nbytes) {
        st = ferror(f) ? nt_set_error(NT_ERR_IO, "cannot read '%s': %s", path, strerror(errno))
                       : nt_set_error(NT_ERR_FORMAT,
                                      "%s: truncated data (expected %zu bytes for shape %s, found %zu)",
                                      path, nbytes, sh, dgot);
        free(data);
        goto done;
    }
    size_t extra = 0;
    char junk[4096];
    for (;;) {
        size_t r = fread(junk, 1, sizeof junk, f);
        extra += r;
        if (r < sizeof junk) break;
    }
    if (extra) {
        st = nt_set_error(NT_ERR_FORMAT, "%s: %zu unexpected bytes after the data (shape %s)", path,
                          extra, sh);
        free(data);
        goto done;
    }
    a->dtype = dt;
    a->ndim = ndim;
    for (int i = 0; i < ndim; i++) a->shape[i] = shape[i];
    a->count = count;
    a->data = data;
done:
    free(hdr);
    fclose(f);
    return st;
}

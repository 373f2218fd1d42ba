/* test_npy.c — NumPy .npy writer/reader: round trips, exact header bytes,
 * rejection of corrupted files with clear messages, numpy.load when available. */
#include "harness.h"
#include "io/npy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[64];

static const char *path_of(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", g_dir, name);
    return buf;
}

static void check_msg(int line, const char *want)
{
    if (!strstr(nt_error_msg(), want))
        nt_test_fail(__FILE__, line, "message\n  '%s'\ndoes not contain\n  '%s'", nt_error_msg(), want);
}
#define CHECK_MSG(want) check_msg(__LINE__, (want))

static void test_round_trip(void)
{
    const int64_t shapes[][4] = {{0}, {5}, {3, 4}, {2, 3, 4}, {0}, {2, 0, 3}, {1, 1, 1, 7}};
    const int ndims[] = {0, 1, 2, 3, 1, 3, 4};
    char p[128];
    path_of(p, sizeof p, "rt.npy");
    for (int dt = 0; dt < 2; dt++) {
        nt_dtype dtype = dt ? NT_F64 : NT_F32;
        for (size_t s = 0; s < sizeof ndims / sizeof ndims[0]; s++) {
            int nd = ndims[s];
            int64_t cnt = 1;
            for (int i = 0; i < nd; i++) cnt *= shapes[s][i];
            double *d = malloc((size_t)(cnt ? cnt : 1) * sizeof *d);
            float *f = malloc((size_t)(cnt ? cnt : 1) * sizeof *f);
            for (int64_t i = 0; i < cnt; i++) {
                d[i] = sin(1.0 + (double)i) * 1e3 / 7.0; /* not representable exactly in f4 */
                f[i] = (float)d[i];
            }
            CHECK_OK(nt_npy_write(p, dtype, nd, shapes[s], dtype == NT_F64 ? (void *)d : (void *)f));
            nt_npy a;
            CHECK_OK(nt_npy_read(&a, p));
            CHECK(a.dtype == dtype);
            CHECK(a.ndim == nd);
            for (int i = 0; i < nd; i++) CHECK(a.shape[i] == shapes[s][i]);
            CHECK(a.count == cnt);
            size_t bytes = (size_t)cnt * (dtype == NT_F64 ? 8 : 4);
            CHECK(a.data != NULL);
            if (a.data) CHECK(memcmp(a.data, dtype == NT_F64 ? (void *)d : (void *)f, bytes) == 0);
            /* file size = 128-byte header + data */
            size_t n = 0;
            unsigned char *raw = nt_test_read_bytes(p, &n);
            CHECK(n == 128 + bytes);
            free(raw);
            nt_npy_free(&a);
            CHECK(a.data == NULL);
            free(d);
            free(f);
        }
    }
    char tmp[140];
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    CHECK(!nt_test_exists(tmp));
}

/* The header numpy.save writes (numpy >= 1.24), byte for byte. */
static void test_header_bytes(void)
{
    char buf[512];
    int64_t sh[2] = {3, 4};
    size_t n = nt_npy_header(buf, sizeof buf, NT_F64, 2, sh);
    CHECK(n == 128);
    CHECK(memcmp(buf, "\x93NUMPY\x01\x00", 8) == 0);
    CHECK((unsigned char)buf[8] == 118 && buf[9] == 0); /* HEADER_LEN = 128 - 10 */
    const char *dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }";
    size_t dl = strlen(dict);
    CHECK(memcmp(buf + 10, dict, dl) == 0);
    for (size_t i = 10 + dl; i < 127; i++) CHECK(buf[i] == ' ');
    CHECK(buf[127] == '\n');
    CHECK(n % 64 == 0);

    int64_t s1[1] = {5};
    n = nt_npy_header(buf, sizeof buf, NT_F32, 1, s1);
    CHECK(n == 128);
    const char *d1 = "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }";
    CHECK(memcmp(buf + 10, d1, strlen(d1)) == 0);
    n = nt_npy_header(buf, sizeof buf, NT_F64, 0, NULL);
    CHECK(n == 128);
    const char *d0 = "{'descr': '<f8', 'fortran_order': False, 'shape': (), }";
    CHECK(memcmp(buf + 10, d0, strlen(d0)) == 0);
    /* the dataset shape of a full Burgers set */
    int64_t s2[2] = {1200, 1024};
    n = nt_npy_header(buf, sizeof buf, NT_F64, 2, s2);
    CHECK(n == 128);
    CHECK(strstr(buf + 10, "'shape': (1200, 1024), }") != NULL);
    /* a long shape grows the header to the next multiple of 64 */
    const int64_t P = 1000000000000000; /* a zero entry keeps the count small */
    int64_t s8[8] = {1, 0, P, P, P, P, 1, 1};
    n = nt_npy_header(buf, sizeof buf, NT_F64, 8, s8);
    CHECK(n == 192 && buf[n - 1] == '\n' && buf[n - 2] == ' ');
    CHECK((size_t)((unsigned char)buf[8] | (unsigned char)buf[9] << 8) == n - 10);
    CHECK(nt_npy_header(buf, 64, NT_F64, 2, sh) == 0); /* does not fit */
    int64_t neg[1] = {-1};
    CHECK(nt_npy_header(buf, sizeof buf, NT_F64, 1, neg) == 0);

    /* the data follow the header as little-endian IEEE doubles */
    char p[128];
    path_of(p, sizeof p, "hdr.npy");
    double v[2] = {1.0, -2.5};
    int64_t s[1] = {2};
    CHECK_OK(nt_npy_write(p, NT_F64, 1, s, v));
    size_t len = 0;
    unsigned char *raw = nt_test_read_bytes(p, &len);
    CHECK(len == 144);
    static const unsigned char one[8] = {0, 0, 0, 0, 0, 0, 0xF0, 0x3F};
    static const unsigned char m25[8] = {0, 0, 0, 0, 0, 0, 0x04, 0xC0};
    CHECK(raw && memcmp(raw + 128, one, 8) == 0 && memcmp(raw + 136, m25, 8) == 0);
    free(raw);
}

/* Writes a file made of an explicit header text (v1 or v2) and payload. */
static void write_raw(const char *p, int major, const char *hdr, const void *data, size_t nbytes)
{
    size_t hl = strlen(hdr);
    size_t pre = major == 1 ? 10 : 12;
    unsigned char *b = malloc(pre + hl + nbytes + 1);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (unsigned char)major;
    b[7] = 0;
    b[8] = (unsigned char)(hl & 0xFF);
    b[9] = (unsigned char)(hl >> 8);
    if (major > 1) b[10] = b[11] = 0;
    memcpy(b + pre, hdr, hl);
    if (nbytes) memcpy(b + pre + hl, data, nbytes);
    nt_test_write_bytes(p, b, pre + hl + nbytes);
    free(b);
}

static void test_reader_flexible(void)
{
    char p[128];
    path_of(p, sizeof p, "flex.npy");
    double d[6] = {1, 2, 3, 4, 5, 6};
    nt_npy a;
    /* other key order, double quotes, odd spacing, no trailing comma, v2 */
    write_raw(p, 2, "{ \"shape\" :(2,3) ,'fortran_order':False,\t'descr':\"<f8\"}   \n", d, sizeof d);
    CHECK_OK(nt_npy_read(&a, p));
    CHECK(a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 3 && a.dtype == NT_F64);
    CHECK(a.data && ((double *)a.data)[5] == 6.0);
    nt_npy_free(&a);
    /* old numpy: Python 2 long suffix, 16-byte alignment */
    write_raw(p, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (6L,), }  \n", d, sizeof d);
    CHECK_OK(nt_npy_read(&a, p));
    CHECK(a.ndim == 1 && a.shape[0] == 6);
    nt_npy_free(&a);
}

static void test_reader_errors(void)
{
    char p[128], q[128];
    path_of(p, sizeof p, "good.npy");
    path_of(q, sizeof q, "bad.npy");
    double d[12];
    for (int i = 0; i < 12; i++) d[i] = i;
    int64_t sh[2] = {3, 4};
    CHECK_OK(nt_npy_write(p, NT_F64, 2, sh, d));
    size_t n = 0;
    unsigned char *raw = nt_test_read_bytes(p, &n);
    CHECK(raw && n == 128 + 96);
    unsigned char *b = malloc(n + 16);
    nt_npy a;
    char want[256];

    /* missing file */
    path_of(want, sizeof want, "nope.npy");
    CHECK(nt_npy_read(&a, want) == NT_ERR_IO);
    CHECK_MSG("cannot open");
    CHECK(a.data == NULL);

    /* bad magic */
    memcpy(b, raw, n);
    b[1] = 'X';
    nt_test_write_bytes(q, b, n);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG("not a NumPy .npy file (bad magic)");
    nt_test_write_bytes(q, "hello", 5);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG("bad magic");
    nt_test_write_bytes(q, "", 0);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG("bad magic");

    /* version */
    memcpy(b, raw, n);
    b[6] = 4;
    nt_test_write_bytes(q, b, n);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG("unsupported .npy format version 4.0");
    b[6] = 0;
    nt_test_write_bytes(q, b, n);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG("version 0.0");

    /* descr */
    const char *descrs[] = {"<i4", ">f8", "|u1", "<c8"};
    for (int i = 0; i < 4; i++) {
        memcpy(b, raw, n);
        unsigned char *at = (unsigned char *)strstr((char *)b + 10, "<f8");
        CHECK(at != NULL);
        if (at) memcpy(at, descrs[i], 3);
        nt_test_write_bytes(q, b, n);
        CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
        snprintf(want, sizeof want, "unsupported dtype '%s' (only '<f8' and '<f4')", descrs[i]);
        CHECK_MSG(want);
    }

    /* fortran order */
    memcpy(b, raw, n);
    unsigned char *fo = (unsigned char *)strstr((char *)b + 10, "False");
    if (fo) memcpy(fo, "True ", 5);
    nt_test_write_bytes(q, b, n);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG("fortran_order True is not supported");

    /* truncated data / extra bytes */
    nt_test_write_bytes(q, raw, n - 1);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG("truncated data (expected 96 bytes for shape (3, 4), found 95)");
    CHECK(a.data == NULL);
    memcpy(b, raw, n);
    memset(b + n, 0, 16);
    nt_test_write_bytes(q, b, n + 16);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG("16 unexpected bytes after the data");
    /* a shape that does not match the data */
    memcpy(b, raw, n);
    unsigned char *s = (unsigned char *)strstr((char *)b + 10, "(3, 4)");
    if (s) s[1] = '4';
    nt_test_write_bytes(q, b, n);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG("truncated data (expected 128 bytes for shape (4, 4), found 96)");

    /* truncated header */
    nt_test_write_bytes(q, raw, 60);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG("truncated header (HEADER_LEN 118, only 50 bytes follow)");
    nt_test_write_bytes(q, raw, 7);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG("truncated header");

    /* malformed dicts, with the column in the header text */
    write_raw(q, 1, "{'descr' '<f8', 'fortran_order': False, 'shape': (3, 4), }\n", d, 96);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    snprintf(want, sizeof want, "%s:1:10: malformed .npy header: expected ':' after a key, found '''", q);
    CHECK_MSG(want);
    write_raw(q, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (12), }\n", d, 96);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG(":1:54: malformed .npy header: expected ',' (a 1-d shape is written (n,))");
    write_raw(q, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, -4), }\n", d, 96);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG("expected a non-negative integer in the shape");
    write_raw(q, 1, "{'descr': '<f8', 'fortran_order': False, }\n", d, 96);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG("header lacks the key 'shape'");
    write_raw(q, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (12,), 'x': 1}\n", d, 96);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG("unexpected key 'x'");
    write_raw(q, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (12,), }", d, 96);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG("does not end with a newline");
    write_raw(q, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (12,), } x\n", d, 96);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG("unexpected text after the header dict");
    write_raw(q, 1, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (12,), }\n", d, 96);
    CHECK(nt_npy_read(&a, q) == NT_ERR_FORMAT);
    CHECK_MSG("structured dtypes are not supported");
    CHECK(a.data == NULL);
    free(raw);
    free(b);
}

static void test_atomic_write(void)
{
    char p[128], tmp[140];
    path_of(p, sizeof p, "atom.npy");
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    double v1[3] = {1, 2, 3}, v2[2] = {7, 8};
    int64_t s1[1] = {3}, s2[1] = {2};
    CHECK_OK(nt_npy_write(p, NT_F64, 1, s1, v1));
    CHECK_OK(nt_npy_write(p, NT_F64, 1, s2, v2)); /* replaces */
    CHECK(!nt_test_exists(tmp));
    nt_npy a;
    CHECK_OK(nt_npy_read(&a, p));
    CHECK(a.count == 2 && ((double *)a.data)[1] == 8.0);
    nt_npy_free(&a);
    /* a directory where the tmp file should go: the write fails, the old file stays */
    CHECK(mkdir(tmp, 0700) == 0);
    CHECK(nt_npy_write(p, NT_F64, 1, s1, v1) == NT_ERR_IO);
    CHECK_MSG("cannot create");
    rmdir(tmp);
    CHECK_OK(nt_npy_read(&a, p));
    CHECK(a.count == 2);
    nt_npy_free(&a);
    char bad[160];
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.npy", g_dir);
    CHECK(nt_npy_write(bad, NT_F64, 1, s1, v1) == NT_ERR_IO);
    CHECK_MSG("cannot create");
    int64_t neg[1] = {-3};
    CHECK(nt_npy_write(p, NT_F64, 1, neg, v1) == NT_ERR_ARG);
    CHECK(nt_npy_write(p, NT_F64, 9, s1, v1) == NT_ERR_ARG);
}

/* numpy.load reads our files, and numpy.save writes the same bytes. */
static void test_numpy(void)
{
    if (system("python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
        printf("  skip: python3 with numpy not available (numpy.load check not run)\n");
        return;
    }
    char p[128], p4[128], ref[128], cmd[1024];
    path_of(p, sizeof p, "np.npy");
    path_of(p4, sizeof p4, "np4.npy");
    path_of(ref, sizeof ref, "np_ref.npy");
    double d[24];
    float f[24];
    for (int i = 0; i < 24; i++) {
        d[i] = 0.5 * i - 3.0;
        f[i] = (float)d[i];
    }
    int64_t sh[3] = {2, 3, 4};
    CHECK_OK(nt_npy_write(p, NT_F64, 3, sh, d));
    CHECK_OK(nt_npy_write(p4, NT_F32, 3, sh, f));
    snprintf(cmd, sizeof cmd,
             "python3 -c \"import numpy as np, sys\n"
             "a = np.load('%s'); b = np.load('%s')\n"
             "e = (np.arange(24) * 0.5 - 3.0).reshape(2, 3, 4)\n"
             "ok = a.dtype == np.float64 and b.dtype == np.float32 and a.shape == (2, 3, 4) "
             "and (a == e).all() and (b == e.astype(np.float32)).all()\n"
             "np.save('%s', e)\n"
             "sys.exit(0 if ok else 1)\"",
             p, p4, ref);
    CHECK(system(cmd) == 0);
    size_t n1 = 0, n2 = 0;
    unsigned char *x = nt_test_read_bytes(p, &n1), *y = nt_test_read_bytes(ref, &n2);
    CHECK(x && y && n1 == n2 && memcmp(x, y, n1) == 0); /* byte-identical to numpy.save */
    free(x);
    free(y);
}

int main(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/nt_npy_test_XXXXXX");
    if (!mkdtemp(g_dir)) {
        fprintf(stderr, "cannot create a temporary directory\n");
        return 1;
    }
    RUN(test_round_trip);
    RUN(test_header_bytes);
    RUN(test_reader_flexible);
    RUN(test_reader_errors);
    RUN(test_atomic_write);
    RUN(test_numpy);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
    return nt_test_finish();
}

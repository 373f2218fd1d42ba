/* ckpt.c — checkpoint container: named sections, CRC-32, atomic replace. */
#include "io/ckpt.h"

#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER_BYTES 16u
#define SECHDR_BYTES 40u

/* ------------------------------------------------------------------------------ */
/* CRC-32 (IEEE 802.3): reflected polynomial 0xEDB88320, init and final xor ~0.     */

static void crc_table(uint32_t t[256])
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[i] = c;
    }
}

/* Raw update (no pre/post inversion). */
static uint32_t crc_update(const uint32_t t[256], uint32_t c, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) c = t[(c ^ p[i]) & 0xFFu] ^ (c >> 8);
    return c;
}

uint32_t nt_crc32(uint32_t crc, const void *data, size_t n)
{
    uint32_t t[256];
    crc_table(t);
    return ~crc_update(t, ~crc, data, n);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static uint64_t pad8(uint64_t n) { return (8 - (n & 7)) & 7; }

/* ------------------------------------------------------------------------------ */
/* Writer                                                                           */

nt_status nt_ckpt_writer_init(nt_ckpt_writer *w)
{
    memset(w, 0, sizeof *w);
    return NT_OK;
}

void nt_ckpt_writer_free(nt_ckpt_writer *w)
{
    if (!w) return;
    for (int i = 0; i < w->n; i++) free(w->sec[i].data);
    free(w->sec);
    memset(w, 0, sizeof *w);
}

nt_status nt_ckpt_add(nt_ckpt_writer *w, const char *name, const void *data, size_t bytes)
{
    NT_ASSERT(w && name, "nt_ckpt_add: NULL argument");
    NT_ASSERT(data || bytes == 0, "nt_ckpt_add: NULL data with nonzero length");
    size_t len = strlen(name);
    if (len == 0) return nt_set_error(NT_ERR_ARG, "checkpoint section name is empty");
    if (len > NT_CKPT_NAME_MAX)
        return nt_set_error(NT_ERR_ARG, "checkpoint section name '%s' is longer than %d bytes", name,
                            NT_CKPT_NAME_MAX);
    for (int i = 0; i < w->n; i++)
        if (!strcmp(w->sec[i].name, name))
            return nt_set_error(NT_ERR_ARG, "checkpoint section '%s' added twice", name);
    if (w->n == w->cap) {
        int nc = w->cap ? 2 * w->cap : 8;
        void *p = realloc(w->sec, (size_t)nc * sizeof *w->sec);
        if (!p) return nt_set_error(NT_ERR_NOMEM, "out of memory adding checkpoint section '%s'", name);
        w->sec = p;
        w->cap = nc;
    }
    void *copy = malloc(bytes ? bytes : 1);
    if (!copy)
        return nt_set_error(NT_ERR_NOMEM, "out of memory copying checkpoint section '%s' (%zu bytes)",
                            name, bytes);
    if (bytes) memcpy(copy, data, bytes);
    nt_ckpt_section *s = &w->sec[w->n++];
    memset(s->name, 0, sizeof s->name);
    memcpy(s->name, name, len);
    s->bytes = bytes;
    s->data = copy;
    return NT_OK;
}

typedef struct wstate {
    FILE *f;
    uint32_t tab[256];
    uint32_t crc;
    int failed;
    int err;
} wstate;

static void wr(wstate *s, const void *p, size_t n)
{
    if (s->failed || n == 0) return;
    s->crc = crc_update(s->tab, s->crc, p, n);
    if (fwrite(p, 1, n, s->f) != n) {
        s->failed = 1;
        s->err = errno ? errno : EIO;
    }
}

void nt_sync_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    if (!slash)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

nt_status nt_ckpt_write(nt_ckpt_writer *w, const char *path)
{
    NT_ASSERT(w && path, "nt_ckpt_write: NULL argument");
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 5);
    if (!tmp) return nt_set_error(NT_ERR_NOMEM, "out of memory writing '%s'", path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);

    wstate s;
    memset(&s, 0, sizeof s);
    crc_table(s.tab);
    s.crc = 0xFFFFFFFFu;
    errno = 0;
    s.f = fopen(tmp, "wb");
    if (!s.f) {
        /* nothing was created: whatever is at tmp (e.g. a directory) is not ours */
        nt_status st = nt_set_error(NT_ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
        free(tmp);
        return st;
    }

    unsigned char hdr[SECHDR_BYTES];
    memcpy(hdr, NT_CKPT_MAGIC, NT_CKPT_MAGIC_LEN);
    put_u32(hdr + 8, NT_CKPT_VERSION);
    put_u32(hdr + 12, (uint32_t)w->n);
    errno = 0;
    wr(&s, hdr, HEADER_BYTES);
    static const unsigned char zeros[8] = {0};
    for (int i = 0; i < w->n; i++) {
        memset(hdr, 0, sizeof hdr);
        memcpy(hdr, w->sec[i].name, strlen(w->sec[i].name));
        put_u64(hdr + 32, (uint64_t)w->sec[i].bytes);
        wr(&s, hdr, SECHDR_BYTES);
        wr(&s, w->sec[i].data, w->sec[i].bytes);
        wr(&s, zeros, (size_t)pad8(w->sec[i].bytes));
    }
    unsigned char tail[4];
    put_u32(tail, ~s.crc);
    if (!s.failed && fwrite(tail, 1, 4, s.f) != 4) {
        s.failed = 1;
        s.err = errno ? errno : EIO;
    }
    const char *what = "write";
    if (!s.failed && fflush(s.f) != 0) {
        s.failed = 1;
        s.err = errno ? errno : EIO;
    }
    if (!s.failed && fsync(fileno(s.f)) != 0) {
        s.failed = 1;
        s.err = errno;
        what = "sync";
    }
    if (fclose(s.f) != 0 && !s.failed) {
        s.failed = 1;
        s.err = errno ? errno : EIO;
    }
    if (s.failed) {
        nt_status st = nt_set_error(NT_ERR_IO, "cannot %s '%s': %s", what, tmp, strerror(s.err));
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
/* Reader                                                                           */

nt_status nt_ckpt_get(const nt_ckpt *c, const char *path, const char *name, void *dst, size_t bytes)
{
    size_t got = 0;
    const void *src = nt_ckpt_find(c, name, &got);
    if (!src) return nt_set_error(NT_ERR_FORMAT, "%s: checkpoint has no section '%s'", path, name);
    if (got != bytes)
        return nt_set_error(NT_ERR_FORMAT, "%s: section '%s' has %zu bytes, expected %zu (problem file changed?)", path,
                            name, got, bytes);
    memcpy(dst, src, bytes);
    return NT_OK;
}

void nt_ckpt_free(nt_ckpt *c)
{
    if (!c) return;
    free(c->buf);
    free(c->sec);
    memset(c, 0, sizeof *c);
}

static nt_status read_all(const char *path, unsigned char **out, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return nt_set_error(NT_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat sb;
    size_t cap = 1 << 16;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
        cap = (size_t)sb.st_size + 1; /* +1: reaching EOF does not need a realloc */
    unsigned char *buf = malloc(cap);
    size_t n = 0;
    if (!buf) {
        fclose(f);
        return nt_set_error(NT_ERR_NOMEM, "out of memory reading '%s'", path);
    }
    for (;;) {
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return nt_set_error(NT_ERR_NOMEM, "out of memory reading '%s'", path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        int e = errno;
        free(buf);
        fclose(f);
        return nt_set_error(NT_ERR_IO, "cannot read '%s': %s", path, strerror(e));
    }
    fclose(f);
    *out = buf;
    *size = n;
    return NT_OK;
}

nt_status nt_ckpt_read(nt_ckpt *c, const char *path)
{
    NT_ASSERT(c && path, "nt_ckpt_read: NULL argument");
    memset(c, 0, sizeof *c);
    unsigned char *buf = NULL;
    size_t n = 0;
    nt_status st = read_all(path, &buf, &n);
    if (st) return st;
    c->buf = buf;
    c->size = n;

    if (n < NT_CKPT_MAGIC_LEN) {
        if (memcmp(buf, NT_CKPT_MAGIC, n) == 0)
            st = nt_set_error(NT_ERR_FORMAT, "%s: truncated (%zu bytes, shorter than the header)", path, n);
        else
            st = nt_set_error(NT_ERR_FORMAT, "%s: not a Noether checkpoint (bad magic)", path);
        goto fail;
    }
    if (memcmp(buf, NT_CKPT_MAGIC, NT_CKPT_MAGIC_LEN) != 0) {
        st = nt_set_error(NT_ERR_FORMAT, "%s: not a Noether checkpoint (bad magic)", path);
        goto fail;
    }
    if (n < HEADER_BYTES) {
        st = nt_set_error(NT_ERR_FORMAT, "%s: truncated (%zu bytes, shorter than the header)", path, n);
        goto fail;
    }
    uint32_t version = get_u32(buf + 8), count = get_u32(buf + 12);
    if (version > NT_CKPT_VERSION) {
        st = nt_set_error(NT_ERR_FORMAT,
                          "%s: checkpoint version %u is newer than this build supports (%d)", path,
                          (unsigned)version, NT_CKPT_VERSION);
        goto fail;
    }
    if (version == 0) {
        st = nt_set_error(NT_ERR_FORMAT, "%s: invalid checkpoint version 0", path);
        goto fail;
    }
    c->version = version;
    if (n < HEADER_BYTES + 4) {
        st = nt_set_error(NT_ERR_FORMAT, "%s: truncated (%zu bytes, no room for the CRC)", path, n);
        goto fail;
    }

    /* Walk the section table; every offset stays <= n so nothing overflows. */
    uint64_t body = (uint64_t)n - 4; /* bytes before the CRC */
    uint64_t off = HEADER_BYTES;
    uint32_t walked = 0;
    int beyond = 0;
    for (; walked < count; walked++) {
        if (off + SECHDR_BYTES > body) {
            beyond = 1;
            break;
        }
        uint64_t len = get_u64(buf + off + 32);
        if (len > body || off + SECHDR_BYTES + len + pad8(len) > body) {
            beyond = 1;
            break;
        }
        off += SECHDR_BYTES + len + pad8(len);
    }
    uint32_t tab[256];
    crc_table(tab);
    if (beyond) {
        /* The table claims more bytes than the file has. If the CRC of all but the
         * last 4 bytes still matches, the file is complete but was written wrong. */
        uint32_t crc = ~crc_update(tab, 0xFFFFFFFFu, buf, (size_t)body);
        if (crc == get_u32(buf + body))
            st = nt_set_error(NT_ERR_FORMAT,
                              "%s: malformed section table (section %u of %u runs past the end)",
                              path, (unsigned)walked + 1, (unsigned)count);
        else
            st = nt_set_error(NT_ERR_FORMAT,
                              "%s: truncated (section %u of %u runs past the end of the file, "
                              "%zu bytes)",
                              path, (unsigned)walked + 1, (unsigned)count, n);
        goto fail;
    }
    uint32_t crc = ~crc_update(tab, 0xFFFFFFFFu, buf, (size_t)off);
    if (crc != get_u32(buf + off)) {
        st = nt_set_error(NT_ERR_FORMAT, "%s: CRC mismatch (file corrupted)", path);
        goto fail;
    }
    if (off != body) {
        st = nt_set_error(NT_ERR_FORMAT, "%s: %llu unexpected bytes after the end of the checkpoint",
                          path, (unsigned long long)(body - off));
        goto fail;
    }

    c->sec = calloc(count ? count : 1, sizeof *c->sec);
    if (!c->sec) {
        st = nt_set_error(NT_ERR_NOMEM, "out of memory reading '%s'", path);
        goto fail;
    }
    off = HEADER_BYTES;
    for (uint32_t i = 0; i < count; i++) {
        const unsigned char *h = buf + off;
        if (!memchr(h, 0, NT_CKPT_NAME_MAX + 1) || h[0] == 0) {
            st = nt_set_error(NT_ERR_FORMAT, "%s: malformed name of section %u", path, (unsigned)i + 1);
            goto fail;
        }
        uint64_t len = get_u64(h + 32);
        memcpy(c->sec[i].name, h, NT_CKPT_NAME_MAX + 1);
        c->sec[i].bytes = (size_t)len;
        c->sec[i].data = buf + off + SECHDR_BYTES;
        off += SECHDR_BYTES + len + pad8(len);
    }
    c->n = (int)count;
    return NT_OK;
fail:
    nt_ckpt_free(c);
    return st;
}

const void *nt_ckpt_find(const nt_ckpt *c, const char *name, size_t *bytes)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->sec[i].name, name)) {
            if (bytes) *bytes = c->sec[i].bytes;
            return c->sec[i].data;
        }
    if (bytes) *bytes = 0;
    return NULL;
}

/* ckpt.h — checkpoint container: named binary sections in one file (internal header).
 *
 * File layout (all integers little-endian):
 *   8 bytes   magic NT_CKPT_MAGIC ("\x89NTCKPT\n": the high byte catches 7-bit
 *             transfers, the newline catches CRLF conversion)
 *   uint32    format version (NT_CKPT_VERSION = 1)
 *   uint32    section count
 *   per section:
 *     32 bytes  name, NUL-padded (1..NT_CKPT_NAME_MAX bytes, so always NUL-terminated)
 *     uint64    payload length in bytes
 *     payload, then zero padding to a multiple of 8 bytes
 *   uint32    CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) of every byte before it
 * Every payload starts at a multiple of 8 from the start of the file, so a reader's
 * copy of the file (malloc-aligned) can hand out payloads as double arrays.
 * Payloads are opaque bytes: the caller fixes their element type and byte order.
 *
 * Writing is atomic: the file is written to "<path>.tmp", flushed, fsync'ed, then
 * renamed over path (and the directory fsync'ed, best effort). On any failure the
 * tmp file this call created is removed and an existing file at path is untouched. */
#ifndef NT_IO_CKPT_H
#define NT_IO_CKPT_H

#include "noether.h"

#define NT_CKPT_MAGIC "\x89NTCKPT\n"
#define NT_CKPT_MAGIC_LEN 8
#define NT_CKPT_VERSION 1
#define NT_CKPT_NAME_MAX 31

/* CRC-32 (IEEE) of n bytes, continuing from crc (start with 0). */
uint32_t nt_crc32(uint32_t crc, const void *data, size_t n);

typedef struct nt_ckpt_section {
    char name[NT_CKPT_NAME_MAX + 1];
    size_t bytes;
    void *data;       /* writer: owned copy; reader: points into the file buffer */
} nt_ckpt_section;

typedef struct nt_ckpt_writer {
    nt_ckpt_section *sec;
    int n, cap;
} nt_ckpt_writer;

nt_status nt_ckpt_writer_init(nt_ckpt_writer *w);
/* Adds a section holding a copy of bytes bytes of data (data may be NULL when bytes
 * is 0). NT_ERR_ARG for an empty name, a name longer than NT_CKPT_NAME_MAX bytes or
 * a name already added; NT_ERR_NOMEM. */
nt_status nt_ckpt_add(nt_ckpt_writer *w, const char *name, const void *data, size_t bytes);
/* Writes all sections in the order added (see the atomicity note above). NT_ERR_IO
 * with "cannot create/write/... 'p': <strerror>" on failure. The writer stays valid
 * (a failed write can be retried). */
nt_status nt_ckpt_write(nt_ckpt_writer *w, const char *path);
void nt_ckpt_writer_free(nt_ckpt_writer *w);

typedef struct nt_ckpt {
    unsigned char *buf;   /* the whole file */
    size_t size;
    uint32_t version;
    nt_ckpt_section *sec;
    int n;
} nt_ckpt;

/* Reads and verifies a checkpoint. On failure c is left empty (nt_ckpt_free safe).
 *   NT_ERR_IO      "cannot open 'p': ..." / "cannot read 'p': ..."
 *   NT_ERR_FORMAT  "p: not a Noether checkpoint (bad magic)",
 *                  "p: checkpoint version N is newer than this build supports (1)",
 *                  "p: truncated (...)", "p: CRC mismatch (file corrupted)",
 *                  "p: malformed section table (...)"
 * The CRC is verified before any payload is exposed. */
nt_status nt_ckpt_read(nt_ckpt *c, const char *path);
/* The payload of section name (8-byte aligned) and its length; NULL if absent. */
const void *nt_ckpt_find(const nt_ckpt *c, const char *name, size_t *bytes);
/* Copies section name, which must be exactly `bytes` long, into dst.
 *   NT_ERR_FORMAT "p: checkpoint has no section 'name'",
 *                 "p: section 'name' has N bytes, expected M (problem file changed?)"
 * (p is `path`, the file c was read from). */
nt_status nt_ckpt_get(const nt_ckpt *c, const char *path, const char *name, void *dst, size_t bytes);
void nt_ckpt_free(nt_ckpt *c);

/* Best effort: fsyncs the directory holding path, so a rename into it is durable
 * (used by every atomic writer: checkpoints, NPY files). */
void nt_sync_dir_of(const char *path);

#endif

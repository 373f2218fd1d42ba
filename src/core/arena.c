/* arena.c — bump allocator with chunk reuse, so a repeated step never mallocs. */
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>

struct nt_arena_chunk {
    nt_arena_chunk *next;
    size_t cap;
    size_t used;
    unsigned char *mem; /* 64-byte aligned */
};

#define NT_ALIGN 64

static nt_arena_chunk *chunk_new(nt_arena *a, size_t cap)
{
    nt_arena_chunk *c = malloc(sizeof *c);
    if (!c) return NULL;
    c->mem = aligned_alloc(NT_ALIGN, (cap + NT_ALIGN - 1) / NT_ALIGN * NT_ALIGN);
    if (!c->mem) {
        free(c);
        return NULL;
    }
    a->n_sys_alloc++;
    c->cap = cap;
    c->used = 0;
    c->next = NULL;
    return c;
}

void nt_arena_init(nt_arena *a, size_t chunk_bytes)
{
    memset(a, 0, sizeof *a);
    a->default_chunk = chunk_bytes ? chunk_bytes : ((size_t)1 << 20);
}

void nt_arena_free(nt_arena *a)
{
    nt_arena_chunk *c = a->first;
    while (c) {
        nt_arena_chunk *n = c->next;
        free(c->mem);
        free(c);
        c = n;
    }
    memset(a, 0, sizeof *a);
}

void *nt_arena_alloc(nt_arena *a, size_t bytes)
{
    size_t need = (bytes + NT_ALIGN - 1) / NT_ALIGN * NT_ALIGN;
    if (need == 0) need = NT_ALIGN;
    nt_arena_chunk *c = a->head;
    /* Walk forward through chunks kept from before the last reset. */
    while (c && c->used + need > c->cap) {
        if (c->next) {
            c = c->next;
            c->used = 0;
            a->head = c;
        } else {
            c = NULL;
        }
    }
    if (!c) {
        size_t cap = need > a->default_chunk ? need : a->default_chunk;
        nt_arena_chunk *nc = chunk_new(a, cap);
        if (!nc) {
            nt_set_error(NT_ERR_NOMEM, "out of memory allocating %zu bytes", bytes);
            return NULL;
        }
        if (a->head) a->head->next = nc;
        else a->first = nc;
        a->head = nc;
        c = nc;
    }
    void *p = c->mem + c->used;
    c->used += need;
    a->used_total += need;
    if (a->used_total > a->peak) a->peak = a->used_total;
    return p;
}

void *nt_arena_calloc(nt_arena *a, size_t bytes)
{
    void *p = nt_arena_alloc(a, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void nt_arena_reset(nt_arena *a)
{
    if (!a->first) return;
    /* Several chunks: replace them by one chunk large enough for the peak, so the
     * next identical workload fits without growing. */
    if (a->first->next) {
        size_t cap = a->peak + NT_ALIGN * 64;
        nt_arena_chunk *c = a->first;
        while (c) {
            nt_arena_chunk *n = c->next;
            free(c->mem);
            free(c);
            c = n;
        }
        a->first = a->head = NULL;
        nt_arena_chunk *nc = chunk_new(a, cap);
        if (nc) a->first = a->head = nc; /* on failure the next alloc retries */
    }
    if (a->first) a->first->used = 0;
    a->head = a->first;
    a->used_total = 0;
}

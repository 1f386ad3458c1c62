/* params.c - the parameter table and its single allocation. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#define _POSIX_C_SOURCE 200809L
#include "core/params.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void mc_params_init(mc_params *p) { memset(p, 0, sizeof *p); }

int mc_params_add(mc_params *p, const char *name, int ndim, const int64_t *shape)
{
    mc_tensor_spec *t;
    size_t count = 1;
    if (ndim < 1 || ndim > 4 || strlen(name) >= MC_PARAM_NAME || p->data)
        mc_die(MC_EXIT_INTERNAL, "bad parameter spec '%s'", name);
    if (mc_params_find(p, name) >= 0)
        mc_die(MC_EXIT_INTERNAL, "duplicate parameter '%s'", name);
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 32;
        p->t = mc_realloc(p->t, (size_t)p->cap * sizeof *p->t);
    }
    t = &p->t[p->n];
    memset(t, 0, sizeof *t);
    strcpy(t->name, name);
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] <= 0 || mc_mul_overflow(count, (size_t)shape[i], &count) != 0)
            mc_die(MC_EXIT_INTERNAL, "bad shape for parameter '%s'", name);
        t->shape[i] = shape[i];
    }
    /* keep each tensor 16-float (64-byte) aligned inside the buffer */
    t->offset = (p->total + 15) & ~(size_t)15;
    t->count = count;
    p->total = t->offset + count;
    return p->n++;
}

int mc_params_add_buffer(mc_params *p, const char *name, int ndim, const int64_t *shape)
{
    int i = mc_params_add(p, name, ndim, shape);
    p->t[i].buffer = 1;
    return i;
}

int mc_params_addv(mc_params *p, const char *name, int ndim, int64_t d0, int64_t d1,
                   int64_t d2, int64_t d3)
{
    int64_t shape[4] = {d0, d1, d2, d3};
    return mc_params_add(p, name, ndim, shape);
}

/* Buffers of at least this many bytes are mapped straight from the kernel,
 * whose fresh pages are zero: no memset pass over a buffer that a loader
 * then reads over (it was most of decode-caption's start-up), and a page is
 * only touched when first written.  Under AddressSanitizer every buffer
 * comes from aligned_alloc, whose redzones catch an overflow that a
 * mapping would hide. */
#ifdef __SANITIZE_ADDRESS__
#define MAPPED_MIN SIZE_MAX
#else
#define MAPPED_MIN ((size_t)1 << 20)
#endif
/* Mapped buffers are whole huge pages, which the kernel then aligns and
 * backs with transparent huge pages where it can (MADV_HUGEPAGE): a 13 MB
 * decoder faults in a few times instead of 3,000 (page faults were half of
 * the rest of decode-caption's start-up). */
#define HUGE_PAGE ((size_t)2 << 20)

/* Bytes of the buffer for n floats: 16 floats of slack, rounded up to 64
 * bytes, and to whole huge pages when it is mapped. */
static size_t buffer_bytes(size_t n)
{
    size_t bytes;
    if (mc_mul_overflow(n + 16, sizeof(float), &bytes) != 0 || bytes > SIZE_MAX - HUGE_PAGE)
        mc_die(MC_EXIT_INTERNAL, "parameter buffer too large");
    bytes = (bytes + 63) & ~(size_t)63;
    return bytes < MAPPED_MIN ? bytes : (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
}

/* A 64-byte aligned buffer of n zeroed floats (plus slack); dies when out
 * of memory.  Release it with release(b, n). */
static float *zeroed(size_t n)
{
    size_t bytes = buffer_bytes(n);
    void *b;
    if (bytes >= MAPPED_MIN) {
        b = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (b == MAP_FAILED)
            mc_die(MC_EXIT_INTERNAL, "out of memory (%zu bytes)", bytes);
#ifdef MADV_HUGEPAGE
        madvise(b, bytes, MADV_HUGEPAGE); /* only a hint: failure is harmless */
#endif
        return b;
    }
    b = aligned_alloc(64, bytes);
    if (!b)
        mc_die(MC_EXIT_INTERNAL, "out of memory (%zu bytes)", bytes);
    memset(b, 0, bytes);
    return b;
}

/* Free buffer b (NULL or from zeroed(n)). */
static void release(float *b, size_t n)
{
    size_t bytes;
    if (!b)
        return;
    bytes = buffer_bytes(n);
    if (bytes >= MAPPED_MIN)
        munmap(b, bytes);
    else
        free(b);
}

void mc_params_alloc(mc_params *p)
{
    if (!p->data)
        p->data = zeroed(p->total);
}

int mc_params_find(const mc_params *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->t[i].name, name) == 0)
            return i;
    return -1;
}

float *mc_params_at(const mc_params *p, int i) { return p->data + p->t[i].offset; }

float *mc_params_grad(mc_params *p)
{
    if (!p->grad)
        p->grad = zeroed(p->total);
    return p->grad;
}

void mc_params_zero_grad(mc_params *p)
{
    memset(mc_params_grad(p), 0, p->total * sizeof(float));
}

void mc_params_moments(mc_params *p)
{
    if (!p->m)
        p->m = zeroed(p->total);
    if (!p->v)
        p->v = zeroed(p->total);
}

void mc_params_free(mc_params *p)
{
    release(p->data, p->total);
    release(p->grad, p->total);
    release(p->m, p->total);
    release(p->v, p->total);
    free(p->t);
    memset(p, 0, sizeof *p);
}

/* params.c - the parameter table and its single allocation. */
#define _POSIX_C_SOURCE 200809L
#include "core/params.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

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

static float *zeroed(size_t n)
{
    size_t bytes;
    float *b;
    if (mc_mul_overflow(n + 16, sizeof(float), &bytes) != 0)
        mc_die(MC_EXIT_INTERNAL, "parameter buffer too large");
    bytes = (bytes + 63) & ~(size_t)63;
    b = aligned_alloc(64, bytes);
    if (!b)
        mc_die(MC_EXIT_INTERNAL, "out of memory (%zu bytes)", bytes);
    memset(b, 0, bytes);
    return b;
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
    free(p->t);
    free(p->data);
    free(p->grad);
    free(p->m);
    free(p->v);
    memset(p, 0, sizeof *p);
}

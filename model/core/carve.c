/* carve.c - work space sized and cut by the same code (carve.h). */
#include "core/carve.h"
#include "core/util.h"

#include <stdlib.h>

void *mc_carve_take(mc_carve *k, size_t n, size_t size)
{
    size_t bytes, start = k->used;
    if (mc_mul_overflow(n, size, &bytes) != 0 || bytes > SIZE_MAX - start - MC_CARVE_ALIGN)
        mc_die(MC_EXIT_INTERNAL, "work space too large");
    k->used = start + ((bytes + MC_CARVE_ALIGN - 1) & ~(size_t)(MC_CARVE_ALIGN - 1));
    if (k->pass == 0)
        return NULL;
    if (k->pass != 1 || k->used > k->need)
        mc_die(MC_EXIT_INTERNAL, "work space cut beyond its size");
    return k->base + start;
}

float *mc_carve_floats(mc_carve *k, size_t n) { return mc_carve_take(k, n, sizeof(float)); }

int *mc_carve_ints(mc_carve *k, size_t n) { return mc_carve_take(k, n, sizeof(int)); }

int mc_carve_next(mc_carve *k, mc_workspace *w)
{
    if (k->pass != 0) {
        k->pass = 2;
        return 0;
    }
    k->need = k->used;
    k->base = mc_workspace_fit(w, k->need);
    k->used = 0;
    k->pass = 1;
    return 1;
}

void *mc_workspace_fit(mc_workspace *w, size_t bytes)
{
    if (!w->p || bytes > w->cap) {
        free(w->p);
        w->p = mc_calloc(bytes ? bytes : 1, 1);
        w->cap = bytes;
    }
    return w->p;
}

void mc_workspace_free(mc_workspace *w)
{
    free(w->p);
    w->p = NULL;
    w->cap = 0;
}

/* par.c - fork-join on a pool of threads kept from step to step. */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE */
#include "par.h"
#include "core/pool.h"
#include "core/util.h"

#include <stdlib.h>
#include <sys/mman.h>

/* A transparent huge page. */
#define HUGE_PAGE ((size_t)2 << 20)

void sc_par_run(int n, sc_par_fn fn, void *ctx)
{
    static mc_pool *pool; /* kept for the next step; its threads end with the process */
    n = n < 1 ? 1 : n > SC_MAX_THREADS ? SC_MAX_THREADS : n;
    if (!pool || mc_pool_size(pool) != n) {
        mc_pool_free(pool);
        pool = mc_pool_new(n);
    }
    mc_pool_run(pool, fn, ctx);
}

void sc_par_part(size_t total, int t, int n, size_t *lo, size_t *hi)
{
    long a, b;
    mc_pool_part((long)total, t, n, 1, &a, &b);
    *lo = (size_t)a;
    *hi = (size_t)b;
}

void *sc_big_alloc(size_t bytes)
{
    void *p;
    if (posix_memalign(&p, HUGE_PAGE, bytes) != 0)
        mc_die(MC_EXIT_INTERNAL, "out of memory (%zu bytes)", bytes);
#ifdef MADV_HUGEPAGE
    if (bytes >= HUGE_PAGE)
        madvise(p, bytes / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE); /* a hint: failure is harmless */
#endif
    return p;
}

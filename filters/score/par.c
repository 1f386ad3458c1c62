/* par.c - fork-join by pthread_create and pthread_join. */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE */
#include "par.h"
#include "core/util.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

/* A transparent huge page. */
#define HUGE_PAGE ((size_t)2 << 20)

/* One thread's part of a step. */
typedef struct {
    sc_par_fn fn;
    void *ctx;
    int t, n;
} part;

/* pthread entry: run the part arg. */
static void *run_part(void *arg)
{
    part *p = arg;
    p->fn(p->ctx, p->t, p->n);
    return NULL;
}

void sc_par_run(int n, sc_par_fn fn, void *ctx)
{
    pthread_t id[SC_MAX_THREADS];
    part parts[SC_MAX_THREADS];
    n = n < 1 ? 1 : n > SC_MAX_THREADS ? SC_MAX_THREADS : n;
    for (int t = 0; t < n; t++)
        parts[t] = (part){fn, ctx, t, n};
    for (int t = 1; t < n; t++)
        if (pthread_create(&id[t], NULL, run_part, &parts[t]) != 0)
            mc_die(MC_EXIT_INTERNAL, "cannot create a thread");
    fn(ctx, 0, n);
    for (int t = 1; t < n; t++)
        pthread_join(id[t], NULL);
}

void sc_par_part(size_t total, int t, int n, size_t *lo, size_t *hi)
{
    *lo = total * (size_t)t / (size_t)n;
    *hi = total * (size_t)(t + 1) / (size_t)n;
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

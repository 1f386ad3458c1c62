/* par.h - fork-join over a few threads (model/core/pool.c) for
 * medcap-score's data-parallel steps.  Each step splits its work by a fixed
 * rule (sc_par_part, or by hash in firstseen.h) and writes disjoint
 * results, so that what is computed does not depend on the number of
 * threads.
 */
#ifndef MEDCAP_SCORE_PAR_H
#define MEDCAP_SCORE_PAR_H

#include <stddef.h>

/* The most threads a step runs on. */
#define SC_MAX_THREADS 64

/* A step: part t (0..n-1) of n. */
typedef void (*sc_par_fn)(void *ctx, int t, int n);

/* Run fn(ctx, t, n) for every t in 0..n-1 at the same time (t = 0 on the
 * calling thread, n clamped to 1..SC_MAX_THREADS) and return when all have
 * returned.  Dies (MC_EXIT_INTERNAL) if a thread cannot be created. */
void sc_par_run(int n, sc_par_fn fn, void *ctx);

/* bytes (> 0) of memory for a large array, freed with free(): aligned to
 * 2 MiB and advised for transparent huge pages, so that a first touch maps
 * 2 MiB at once, not 4 KiB (each fault is costly on a virtual machine).
 * Dies (MC_EXIT_INTERNAL) when out of memory. */
void *sc_big_alloc(size_t bytes);

/* The part [*lo, *hi) of 0..total that part t of n takes: contiguous, in
 * order, sizes differing by at most one. */
void sc_par_part(size_t total, int t, int n, size_t *lo, size_t *hi);

#endif

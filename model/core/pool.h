/* pool.h - a fork-join pool of worker threads for data-parallel loops
 * whose work is split by a fixed partition (so that results do not depend
 * on which thread did which part).
 *
 * mc_pool_run calls fn(ctx, t, n) once for every t in 0..n-1 at the same
 * time, t = 0 on the calling thread, and returns when all n calls have
 * returned.  Waiting threads spin briefly, then sleep.  A pool is driven by
 * one thread at a time.
 */
#ifndef MEDCAP_THREAD_POOL_H
#define MEDCAP_THREAD_POOL_H

typedef struct mc_pool mc_pool;
typedef void (*mc_pool_fn)(void *ctx, int t, int n);

/* A pool of n threads counting the caller (n - 1 workers; n < 1 is 1).
 * Dies (MC_EXIT_INTERNAL) if a thread cannot be created. */
mc_pool *mc_pool_new(int n);
/* n, the threads that run each job. */
int mc_pool_size(const mc_pool *p);
/* Run fn(ctx, t, n) on all n threads and wait for them (see above). */
void mc_pool_run(mc_pool *p, mc_pool_fn fn, void *ctx);
/* Stop and join the workers; NULL is allowed. */
void mc_pool_free(mc_pool *p);

/* The part [*lo, *hi) of 0..total that part t of n takes: contiguous,
 * in order, sizes differing by at most `align` (a multiple of align except
 * the last). */
void mc_pool_part(long total, int t, int n, long align, long *lo, long *hi);

/* ---- the process's shared pool, for layers that split rows ----
 * One thread (everything runs on the caller) until a program sets more;
 * only the program's main thread may use it (decode-caption's image
 * threads leave it at one). */
typedef void (*mc_rows_fn)(void *ctx, long lo, long hi, int part);

/* Use n threads (1: none) for mc_rows_run. */
void mc_rows_set_threads(int n);
/* The number of parts mc_rows_run may make. */
int mc_rows_threads(void);
/* Call fn(ctx, lo, hi, part) for contiguous, ordered parts [lo, hi) of
 * rows 0..n-1, one part per thread at once (part 0 on the caller), or the
 * whole range as part 0 when there is one thread or n < 2 * min_rows. */
void mc_rows_run(long n, long min_rows, mc_rows_fn fn, void *ctx);

#endif

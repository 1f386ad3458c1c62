/* pool.h - an ordered worker pool: jobs are submitted in sequence, run on
 * N threads, and collected in the same sequence, so a filter can use every
 * core and still write its output in input order.  At most `slots` jobs
 * are pending at a time, which keeps memory flat. */
#ifndef MEDCAP_IMG_POOL_H
#define MEDCAP_IMG_POOL_H

typedef struct pool pool;

/* Run fn(job, ctx) for each submitted job on one of nthreads threads. */
typedef void (*pool_fn)(void *job, void *ctx);

/* Start nthreads workers (>= 1) with room for slots (>= 1) pending jobs.
 * Exits with MC_EXIT_INTERNAL if threads cannot be started. */
pool *pool_new(int nthreads, int slots, pool_fn fn, void *ctx);

/* Number of jobs submitted and not yet collected. */
int pool_pending(const pool *p);

/* Queue job (owned by the caller until collected).  The caller must first
 * collect with pool_next when pool_pending(p) equals slots. */
void pool_submit(pool *p, void *job);

/* Wait for the oldest pending job to finish and return it; NULL when no
 * job is pending. */
void *pool_next(pool *p);

/* Wait for the pending jobs, stop the workers and free the pool. */
void pool_free(pool *p);

#endif

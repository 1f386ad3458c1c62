/* workers.h - an ordered worker pool: jobs are submitted in sequence, run on
 * N threads, and collected in the same sequence, so a filter can use every
 * core and still write its output in input order.  At most `slots` jobs
 * are pending at a time, which keeps memory flat. */
#ifndef MEDCAP_IMG_POOL_H
#define MEDCAP_IMG_POOL_H

typedef struct ir_pool ir_pool;

/* Run fn(job, ctx) for each submitted job on one of nthreads threads. */
typedef void (*ir_pool_fn)(void *job, void *ctx);

/* Start nthreads workers (>= 1) with room for slots (>= 1) pending jobs.
 * Exits with MC_EXIT_INTERNAL if threads cannot be started. */
ir_pool *ir_pool_new(int nthreads, int slots, ir_pool_fn fn, void *ctx);

/* Number of jobs submitted and not yet collected. */
int ir_pool_pending(const ir_pool *p);

/* Queue job (owned by the caller until collected).  The caller must first
 * collect with ir_pool_next when ir_pool_pending(p) equals slots. */
void ir_pool_submit(ir_pool *p, void *job);

/* Wait for the oldest pending job to finish and return it; NULL when no
 * job is pending. */
void *ir_pool_next(ir_pool *p);

/* Wait for the pending jobs, stop the workers and free the pool. */
void ir_pool_free(ir_pool *p);

#endif

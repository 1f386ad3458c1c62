/* pool.c - fork-join worker threads (pthreads, C11 atomics). */
#define _POSIX_C_SOURCE 200809L
#include "core/pool.h"
#include "core/util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Polls of a spinning wait before it sleeps (about 0.1 ms): short, because
 * a spinning worker takes a core from OpenBLAS's own threads. */
#define SPIN 4096

typedef struct {
    mc_pool *pool;
    int t;
    pthread_t id;
} worker;

struct mc_pool {
    int n;
    worker *w;                 /* n - 1 workers */
    mc_pool_fn fn;             /* the job, set before gen moves */
    void *ctx;
    atomic_uint gen;           /* bumped once per job */
    atomic_int pending;        /* workers still running the job */
    atomic_int quit;
    pthread_mutex_t mu;
    pthread_cond_t start, done;
};

/* A hint to the CPU that this is a spin loop. */
static void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Wait until p->gen differs from seen; returns the new value. */
static unsigned wait_job(mc_pool *p, unsigned seen)
{
    unsigned g;
    for (int i = 0; i < SPIN; i++) {
        if ((g = atomic_load(&p->gen)) != seen)
            return g;
        relax();
    }
    pthread_mutex_lock(&p->mu);
    while ((g = atomic_load(&p->gen)) == seen)
        pthread_cond_wait(&p->start, &p->mu);
    pthread_mutex_unlock(&p->mu);
    return g;
}

static void *work(void *arg)
{
    worker *w = arg;
    mc_pool *p = w->pool;
    unsigned seen = 0;
    for (;;) {
        seen = wait_job(p, seen);
        if (atomic_load(&p->quit))
            return NULL;
        p->fn(p->ctx, w->t, p->n);
        if (atomic_fetch_sub(&p->pending, 1) == 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

/* Start a job on the workers: fn and ctx are published by the bump of gen. */
static void start(mc_pool *p)
{
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->gen, 1);
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
}

/* Wait until every worker has finished the job. */
static void join(mc_pool *p)
{
    for (int i = 0; i < SPIN; i++) {
        if (atomic_load(&p->pending) == 0)
            return;
        relax();
    }
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->pending) != 0)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

mc_pool *mc_pool_new(int n)
{
    mc_pool *p = mc_calloc(1, sizeof *p);
    p->n = n < 1 ? 1 : n;
    atomic_init(&p->gen, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->quit, 0);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->done, NULL);
    p->w = mc_calloc((size_t)p->n, sizeof *p->w);
    for (int t = 1; t < p->n; t++) {
        p->w[t].pool = p;
        p->w[t].t = t;
        if (pthread_create(&p->w[t].id, NULL, work, &p->w[t]) != 0)
            mc_die(MC_EXIT_INTERNAL, "cannot start a worker thread");
    }
    return p;
}

int mc_pool_size(const mc_pool *p) { return p->n; }

void mc_pool_run(mc_pool *p, mc_pool_fn fn, void *ctx)
{
    if (p->n == 1) {
        fn(ctx, 0, 1);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    atomic_store(&p->pending, p->n - 1);
    start(p);
    fn(ctx, 0, p->n);
    join(p);
}

void mc_pool_free(mc_pool *p)
{
    if (!p)
        return;
    if (p->n > 1) {
        atomic_store(&p->quit, 1);
        start(p);
        for (int t = 1; t < p->n; t++)
            pthread_join(p->w[t].id, NULL);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->start);
    pthread_cond_destroy(&p->done);
    free(p->w);
    free(p);
}

void mc_pool_part(long total, int t, int n, long align, long *lo, long *hi)
{
    long units = (total + align - 1) / align, a = units * t / n, b = units * (t + 1) / n;
    *lo = a * align < total ? a * align : total;
    *hi = b * align < total ? b * align : total;
}

/* ---- the shared pool ---- */

static mc_pool *shared_pool;

void mc_rows_set_threads(int n)
{
    mc_pool_free(shared_pool);
    shared_pool = n > 1 ? mc_pool_new(n) : NULL;
}

int mc_rows_threads(void) { return shared_pool ? mc_pool_size(shared_pool) : 1; }

typedef struct {
    long n;
    mc_rows_fn fn;
    void *ctx;
} rows_job;

static void rows_part(void *ctx, int t, int n)
{
    const rows_job *j = ctx;
    long lo, hi;
    mc_pool_part(j->n, t, n, 1, &lo, &hi);
    if (lo < hi)
        j->fn(j->ctx, lo, hi, t);
}

void mc_rows_run(long n, long min_rows, mc_rows_fn fn, void *ctx)
{
    rows_job j = {n, fn, ctx};
    if (n <= 0)
        return;
    if (!shared_pool || n < 2 * min_rows) {
        fn(ctx, 0, n, 0);
        return;
    }
    mc_pool_run(shared_pool, rows_part, &j);
}

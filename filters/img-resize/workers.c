/* workers.c - ordered worker pool (see pool.h). */
#define _POSIX_C_SOURCE 200809L
#include "workers.h"
#include "core/util.h"

#include <pthread.h>
#include <stdlib.h>

struct ir_pool {
    pthread_mutex_t lock;
    pthread_cond_t work; /* a job was queued, or stop was set */
    pthread_cond_t done; /* a job finished */
    pthread_t *threads;
    int nthreads, slots;
    void **jobs;         /* ring of slots; sequence number s lives at s % slots */
    char *finished;      /* per slot: 1 once fn returned */
    long head;           /* oldest job not collected */
    long next;           /* oldest job not started */
    long tail;           /* next sequence number to submit */
    int stop;
    ir_pool_fn fn;
    void *ctx;
};

/* Worker thread: take the oldest queued job, run it, mark it finished. */
static void *worker(void *arg)
{
    ir_pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->next == p->tail && !p->stop)
            pthread_cond_wait(&p->work, &p->lock);
        if (p->next == p->tail)
            break;
        long s = p->next++;
        void *job = p->jobs[s % p->slots];
        pthread_mutex_unlock(&p->lock);
        p->fn(job, p->ctx);
        pthread_mutex_lock(&p->lock);
        p->finished[s % p->slots] = 1;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

ir_pool *ir_pool_new(int nthreads, int slots, ir_pool_fn fn, void *ctx)
{
    ir_pool *p = mc_calloc(1, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    p->nthreads = nthreads;
    p->slots = slots;
    p->jobs = mc_calloc((size_t)slots, sizeof *p->jobs);
    p->finished = mc_calloc((size_t)slots, 1);
    p->threads = mc_calloc((size_t)nthreads, sizeof *p->threads);
    p->fn = fn;
    p->ctx = ctx;
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
            mc_die(MC_EXIT_INTERNAL, "cannot start worker thread %d", i + 1);
    return p;
}

int ir_pool_pending(const ir_pool *p)
{
    return (int)(p->tail - p->head);
}

void ir_pool_submit(ir_pool *p, void *job)
{
    pthread_mutex_lock(&p->lock);
    if (p->tail - p->head >= p->slots)
        mc_die(MC_EXIT_INTERNAL, "ir_pool_submit: all %d slots pending", p->slots);
    p->jobs[p->tail % p->slots] = job;
    p->finished[p->tail % p->slots] = 0;
    p->tail++;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->lock);
}

void *ir_pool_next(ir_pool *p)
{
    void *job = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->head < p->tail) {
        while (!p->finished[p->head % p->slots])
            pthread_cond_wait(&p->done, &p->lock);
        job = p->jobs[p->head % p->slots];
        p->head++;
    }
    pthread_mutex_unlock(&p->lock);
    return job;
}

void ir_pool_free(ir_pool *p)
{
    while (ir_pool_next(p))
        ;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    free(p->threads);
    free(p->jobs);
    free(p->finished);
    free(p);
}

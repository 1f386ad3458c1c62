/* knn.c - batched exact cosine top-k: cblas_sgemm over tiles of index rows,
 * on worker threads that each keep their own top-k lists, merged at the
 * end. */
#define _POSIX_C_SOURCE 200809L
#include "index/knn.h"

#include <cblas.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* From OpenBLAS (cblas.h declares them in newer versions only). */
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);

/* 1 when (s, r) ranks before (t, u). */
static int before(const mc_cindex *ix, float s, size_t r, float t, size_t u)
{
    int c;
    if (s != t)
        return s > t;
    c = strcmp(ix->id[r], ix->id[u]);
    return c != 0 ? c < 0 : r < u;
}

/* Offer row r with score s to the sorted list h of *n (at most k) hits. */
static void offer(const mc_cindex *ix, mc_hit *h, size_t *n, size_t k, float s, size_t r)
{
    size_t i = *n;
    if (i == k) {
        if (!before(ix, s, r, h[k - 1].score, h[k - 1].row))
            return;
        i = k - 1;
    } else {
        (*n)++;
    }
    while (i > 0 && before(ix, s, r, h[i - 1].score, h[i - 1].row)) {
        h[i] = h[i - 1];
        i--;
    }
    h[i].score = s;
    h[i].row = r;
}

#define SKIP_BLOCK 64

/* 1 when one of the SKIP_BLOCK scores s is >= worst (a loop the compiler
 * vectorises, so that most blocks are passed over in a few instructions). */
static int any_at_least(const float *s, float worst)
{
    int any = 0;
    for (int j = 0; j < SKIP_BLOCK; j++)
        any |= s[j] >= worst;
    return any;
}

/* Merge the scores (nq, n) of rows row0.. into each query's list. */
static void scan(mc_hit *hits, size_t *found, const float *scores, const int *skip_case,
                 size_t nq, size_t k, size_t n, size_t row0, const mc_cindex *ix)
{
    for (size_t b = 0; b < nq; b++) {
        mc_hit *h = hits + b * k;
        const float *s = scores + b * n;
        int skip = skip_case ? skip_case[b] : -1;
        float worst = found[b] == k ? h[k - 1].score : -2.0f;
        for (size_t j = 0; j < n; j++) {
            if (j % SKIP_BLOCK == 0 && n - j >= SKIP_BLOCK && !any_at_least(s + j, worst)) {
                j += SKIP_BLOCK - 1;
                continue;
            }
            if (s[j] < worst)
                continue;
            if (skip >= 0 && ix->case_no[row0 + j] == skip)
                continue;
            offer(ix, h, &found[b], k, s[j], row0 + j);
            if (found[b] == k)
                worst = h[k - 1].score;
        }
    }
}

/* The vector of row r. */
static const float *row_vec(const mc_cindex *ix, size_t r)
{
    size_t lo = 0, hi = ix->nchunks - 1;
    while (lo < hi) { /* the last chunk with row0 <= r */
        size_t mid = (lo + hi + 1) / 2;
        if (ix->chunk[mid].row0 <= r)
            lo = mid;
        else
            hi = mid - 1;
    }
    return ix->chunk[lo].vec + (r - ix->chunk[lo].row0) * ix->dim;
}

/* Recompute the scores of the n hits h of query q in double precision, in
 * a fixed order, and sort them again, so that the reported similarities do
 * not depend on how sgemm blocked the batch. */
static void refine(mc_hit *h, size_t n, const float *q, const mc_cindex *ix)
{
    for (size_t i = 0; i < n; i++) {
        const float *v = row_vec(ix, h[i].row);
        double d = 0;
        for (size_t j = 0; j < ix->dim; j++)
            d += (double)q[j] * v[j];
        h[i].score = (float)d;
    }
    for (size_t i = 1; i < n; i++) {
        mc_hit x = h[i];
        size_t j = i;
        while (j > 0 && before(ix, x.score, x.row, h[j - 1].score, h[j - 1].row)) {
            h[j] = h[j - 1];
            j--;
        }
        h[j] = x;
    }
}

/* The search shared by all workers: the queries and the next tile to take. */
typedef struct {
    const mc_cindex *ix;
    const float *q;         /* (nq, dim) */
    const int *skip_case;   /* (nq) or NULL */
    size_t nq, k;
    size_t ntiles;          /* MC_KNN_TILE-row tiles over all chunks */
    size_t *tile_chunk;     /* (ntiles) the chunk of each tile */
    size_t *tile_start;     /* (ntiles) its first row in that chunk */
    atomic_size_t next;     /* the next tile not yet taken */
} search;

/* One worker: its own top-k lists and score scratch. */
typedef struct {
    search *s;
    mc_hit *hits;   /* (nq, k) */
    size_t *found;  /* (nq) */
    float *scores;  /* (nq, MC_KNN_TILE) */
} worker;

/* Cut the chunks of s->ix into tiles of at most MC_KNN_TILE rows. */
static void make_tiles(search *s)
{
    const mc_cindex *ix = s->ix;
    size_t n = 0;
    for (size_t c = 0; c < ix->nchunks; c++)
        n += (ix->chunk[c].rows + MC_KNN_TILE - 1) / MC_KNN_TILE;
    s->tile_chunk = mc_malloc((n ? n : 1) * sizeof *s->tile_chunk);
    s->tile_start = mc_malloc((n ? n : 1) * sizeof *s->tile_start);
    s->ntiles = 0;
    for (size_t c = 0; c < ix->nchunks; c++)
        for (size_t t = 0; t < ix->chunk[c].rows; t += MC_KNN_TILE) {
            s->tile_chunk[s->ntiles] = c;
            s->tile_start[s->ntiles++] = t;
        }
    atomic_init(&s->next, 0);
}

/* Score and scan tiles until none is left (pthread start routine; arg is
 * a worker).  sgemm runs on this thread alone (OpenBLAS at one thread). */
static void *work(void *arg)
{
    worker *w = arg;
    search *s = w->s;
    size_t dim = s->ix->dim, t;
    memset(w->found, 0, s->nq * sizeof *w->found);
    while ((t = atomic_fetch_add(&s->next, 1)) < s->ntiles) {
        const mc_cindex_chunk *ch = &s->ix->chunk[s->tile_chunk[t]];
        size_t start = s->tile_start[t];
        size_t n = ch->rows - start < MC_KNN_TILE ? ch->rows - start : MC_KNN_TILE;
        /* scores (nq, n) = q (nq, dim) . vec[start..start+n) (n, dim)^T */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)s->nq, (int)n, (int)dim,
                    1.0f, s->q, (int)dim, ch->vec + start * dim, (int)dim, 0.0f, w->scores, (int)n);
        scan(w->hits, w->found, w->scores, s->skip_case, s->nq, s->k, n, ch->row0 + start, s->ix);
    }
    return NULL;
}

/* Offer every hit of worker w's lists to the lists hits/found (nq, k). */
static void merge(mc_hit *hits, size_t *found, const worker *w)
{
    const search *s = w->s;
    for (size_t b = 0; b < s->nq; b++)
        for (size_t i = 0; i < w->found[b]; i++) {
            const mc_hit *h = &w->hits[b * s->k + i];
            offer(s->ix, hits + b * s->k, &found[b], s->k, h->score, h->row);
        }
}

/* Run the search on nthreads workers: the caller's thread is worker 0 and
 * writes hits/found; the others (started when pthread_create lets it) are
 * merged into them.  OpenBLAS is kept at one thread meanwhile. */
static void run_workers(mc_hit *hits, size_t *found, search *s, int nthreads)
{
    worker *w = mc_calloc((size_t)nthreads, sizeof *w);
    pthread_t *tid = mc_malloc((size_t)nthreads * sizeof *tid);
    int started = 1;
    for (int i = 0; i < nthreads; i++) {
        w[i].s = s;
        w[i].hits = i == 0 ? hits : mc_malloc(s->nq * s->k * sizeof *hits);
        w[i].found = i == 0 ? found : mc_malloc(s->nq * sizeof *found);
        w[i].scores = mc_malloc(s->nq * MC_KNN_TILE * sizeof *w[i].scores);
    }
    if (nthreads > 1)
        openblas_set_num_threads(1);
    for (int i = 1; i < nthreads && pthread_create(&tid[i], NULL, work, &w[i]) == 0; i++)
        started++;
    work(&w[0]);
    for (int i = 1; i < started; i++) {
        pthread_join(tid[i], NULL);
        merge(hits, found, &w[i]);
    }
    if (nthreads > 1)
        openblas_set_num_threads(nthreads);
    for (int i = 0; i < nthreads; i++) {
        if (i > 0) {
            free(w[i].hits);
            free(w[i].found);
        }
        free(w[i].scores);
    }
    free(tid);
    free(w);
}

void mc_knn_search(mc_hit *hits, size_t *found, const float *q, const int *skip_case,
                   size_t nq, size_t k, const mc_cindex *ix)
{
    search s = {.ix = ix, .q = q, .skip_case = skip_case, .nq = nq, .k = k};
    int nthreads = openblas_get_num_threads();
    make_tiles(&s);
    if (nthreads < 1)
        nthreads = 1;
    if ((size_t)nthreads > s.ntiles)
        nthreads = s.ntiles > 0 ? (int)s.ntiles : 1;
    run_workers(hits, found, &s, nthreads);
    for (size_t b = 0; b < nq; b++)
        refine(hits + b * k, found[b], q + b * ix->dim, ix);
    free(s.tile_chunk);
    free(s.tile_start);
}

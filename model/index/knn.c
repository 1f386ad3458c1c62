/* knn.c - batched exact cosine top-k with cblas_sgemm. */
#define _POSIX_C_SOURCE 200809L
#include "index/knn.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

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

void mc_knn_search(mc_hit *hits, size_t *found, const float *q, const int *skip_case,
                   size_t nq, size_t k, const mc_cindex *ix)
{
    size_t dim = ix->dim;
    float *scores = mc_malloc(nq * MC_KNN_TILE * sizeof *scores);
    memset(found, 0, nq * sizeof *found);
    for (size_t c = 0; c < ix->nchunks; c++) {
        const mc_cindex_chunk *ch = &ix->chunk[c];
        for (size_t t = 0; t < ch->rows; t += MC_KNN_TILE) {
            size_t n = ch->rows - t < MC_KNN_TILE ? ch->rows - t : MC_KNN_TILE;
            /* scores (nq, n) = q (nq, dim) . vec[t..t+n) (n, dim)^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nq, (int)n, (int)dim,
                        1.0f, q, (int)dim, ch->vec + t * dim, (int)dim, 0.0f, scores, (int)n);
            scan(hits, found, scores, skip_case, nq, k, n, ch->row0 + t, ix);
        }
    }
    for (size_t b = 0; b < nq; b++)
        refine(hits + b * k, found[b], q + b * dim, ix);
    free(scores);
}

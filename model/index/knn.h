/* knn.h - exact k-nearest-neighbour search by cosine similarity over a case
 * index, a batch of queries at a time with one sgemm per tile of rows.
 * The tiles are shared out among as many threads as OpenBLAS may use
 * (openblas_get_num_threads(): -j, OPENBLAS_NUM_THREADS or the cores);
 * each thread runs a one-thread sgemm and keeps its own top-k lists, and
 * the lists are merged in the total order below, so the answer is the same
 * for any number of threads (a score does not depend on the tile or thread
 * that computed it).  OpenBLAS is set to one thread during the search and
 * back after it: do not call it from two threads at once.
 *
 * Order: higher similarity first; equal similarities by id (byte order of
 * the UTF-8 strings), then by row.  The similarities of the hits found are
 * recomputed in double precision (rounded to float), so they do not depend
 * on the batch size.
 */
#ifndef MEDCAP_KNN_H
#define MEDCAP_KNN_H

#include <stddef.h>
#include "index/caseindex.h"

#define MC_KNN_TILE 1024 /* index rows per sgemm: a tile of scores stays in cache */

typedef struct {
    float score; /* cosine similarity */
    size_t row;  /* row in the index */
} mc_hit;

/* For each of the nq queries q (nq, ix->dim), unit vectors, find its k
 * nearest rows: hits (nq, k) in order, found (nq) how many (fewer than k
 * only when the index has fewer eligible rows).  skip_case (nq) or NULL: a
 * row whose case number equals skip_case[b] (>= 0) is not a neighbour of
 * query b.  Scratch memory is (nq, MC_KNN_TILE) floats and (nq, k) hits
 * per thread. */
void mc_knn_search(mc_hit *hits, size_t *found, const float *q, const int *skip_case,
                   size_t nq, size_t k, const mc_cindex *ix);

#endif

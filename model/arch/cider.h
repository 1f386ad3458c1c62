/* cider.h - CIDEr-D between captions given as word ids, for choosing the
 * epoch during training (medcap-train --val) and for consensus reranking
 * (medcap-decode-caption --index).
 *
 * The definition of pycocoevalcap's CIDEr-D (medcap-score's
 * filters/score/cider.h): n-grams of orders 1..4 weighted by count * (log N
 * - log max(1, df)), df counted over a set of N reference documents,
 * clipped cosine per order, Gaussian length penalty (sigma 6 on the
 * difference of bigram counts), mean over orders, times 10.  N-grams are
 * compared by a 64-bit hash of their ids, and the words are the caller's
 * (medcap's tokens rather than the COCO tokenizer's), so values differ
 * slightly from medcap-score's.
 */
#ifndef MEDCAP_CIDER_H
#define MEDCAP_CIDER_H

#include <stddef.h>
#include <stdint.h>

/* The n-grams of one caption: sorted 64-bit keys. */
typedef struct {
    uint64_t *key;
    int n;      /* keys */
    int bigrams;
} mc_grams;

/* The n-grams of w[0..n) into g (free with mc_grams_free). */
void mc_grams_make(mc_grams *g, const int *w, int n);
void mc_grams_free(mc_grams *g);

/* Document frequencies over a set of reference documents. */
typedef struct {
    uint64_t *key;
    int *df;     /* 0: empty slot */
    size_t mask; /* slots - 1 */
    size_t used;
    int docs;    /* N */
} mc_cider_df;

void mc_cider_df_init(mc_cider_df *d);
/* Count each distinct n-gram of g once. */
void mc_cider_df_add(mc_cider_df *d, const mc_grams *g);
/* CIDEr-D of hyp against one reference ref, under d's frequencies (0 when
 * d holds fewer than 2 documents). */
double mc_cider_pair(const mc_cider_df *d, const mc_grams *hyp, const mc_grams *ref);
void mc_cider_df_free(mc_cider_df *d);

#endif

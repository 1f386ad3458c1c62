/* cider.h - CIDEr-D as pycocoevalcap's Cider computes it.
 *
 * Document frequency df(g): the number of items whose reference set holds
 * n-gram g.  A caption's vector for order n has, for each of its n-grams,
 * count * (log N - log max(1, df)), N the number of items.  Similarity
 * with one reference, per order: sum over the hypothesis' n-grams of
 * min(h, r) * r (clipping), divided by both norms when neither is 0, times
 * exp(-delta^2 / (2 sigma^2)), sigma 6, delta the difference of the two
 * captions' bigram counts (pycocoevalcap's "length").  The item's score is
 * the mean over orders 1..4, summed over references, divided by their
 * number, times 10.  CIDEr-D is 0 for a corpus of one item (log N = 0).
 */
#ifndef MEDCAP_SCORE_CIDER_H
#define MEDCAP_SCORE_CIDER_H

#include "corpus.h"

#include <stdatomic.h>

#define SC_CIDER_SIGMA 6.0

/* The weights of one corpus.  sc_cider_add_df may run on several threads at
 * once (document frequencies are whole numbers, so their order does not
 * matter); once finished, sc_cider_item only reads it. */
typedef struct {
    atomic_uint *df; /* per n-gram id: the items whose references hold it */
    double *idf;     /* per n-gram id: log N - log max(1, df) */
} sc_cider;

/* Start: df[g] counted by sc_cider_add_df over every item, then sc_cider_finish. */
void sc_cider_init(sc_cider *cd, const sc_corpus *c);
/* Count the n-grams of one item's reference union (sorted, distinct ids). */
void sc_cider_add_df(sc_cider *cd, const sc_gram *uni, size_t nuni);
/* Turn the counts into weights for nitems items, on threads threads. */
void sc_cider_finish(sc_cider *cd, const sc_corpus *c, size_t nitems, int threads);
/* CIDEr-D of item it. */
double sc_cider_item(const sc_cider *cd, const sc_corpus *c, const sc_item *it);
void sc_cider_free(sc_cider *cd);

#endif

/* caption_cider.h - CIDEr-D of token-id captions against one reference
 * each, for choosing the epoch during training (medcap-train --val).
 *
 * The definition of pycocoevalcap's CIDEr-D (medcap-score's cider.h):
 * n-grams of orders 1..4 weighted by count * (log N - log max(1, df)),
 * df counted over the references of the N captions, clipped cosine per
 * order, Gaussian length penalty (sigma 6 on the difference of bigram
 * counts), mean over orders, times 10.  N-grams are compared by a 64-bit
 * hash of their ids, and the words are the model's tokens rather than the
 * COCO tokenizer's, so values differ slightly from medcap-score's.
 */
#ifndef MEDCAP_CAPTION_CIDER_H
#define MEDCAP_CAPTION_CIDER_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int n, cap;
    uint64_t **hyp, **ref; /* per caption: sorted n-gram keys */
    int *nh, *nr;          /* their numbers */
    int *lh, *lr;          /* bigram counts */
} tr_cider;

void tr_cider_init(tr_cider *c);
/* Add caption hyp (nh ids) with its reference ref (nr ids). */
void tr_cider_add(tr_cider *c, const int *hyp, int nh, const int *ref, int nr);
/* Corpus CIDEr-D: the mean over captions (0 for fewer than 2). */
double tr_cider_score(const tr_cider *c);
void tr_cider_free(tr_cider *c);

#endif

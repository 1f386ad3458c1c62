/* diversity.h - how varied the predictions are, over tokenised captions.
 *
 * distinct_captions: distinct predictions / predictions; distinct_1 and
 * distinct_2: distinct unigrams (bigrams) / all unigrams (bigrams) of the
 * predictions (0 when there are none); most_frequent_share: the share of
 * predictions equal to the most frequent one.
 */
#ifndef MEDCAP_SCORE_DIVERSITY_H
#define MEDCAP_SCORE_DIVERSITY_H

#include "corpus.h"

typedef struct {
    double distinct_captions, distinct_1, distinct_2, most_frequent_share;
} sc_diversity;

/* Diversity of the predictions of every item of c. */
void sc_diversity_compute(const sc_corpus *c, sc_diversity *out);

#endif

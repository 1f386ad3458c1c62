/* rouge.h - ROUGE-L as pycocoevalcap's Rouge computes it.
 *
 * For each reference: LCS length over tokens, precision LCS / |hyp| and
 * recall LCS / |ref|; the best precision and the best recall are taken
 * separately over the references, and F = (1 + b^2) P R / (R + b^2 P)
 * (0 when P or R is 0), b = 1.2 (pycocoevalcap) or 1 (plain F1).  As in
 * pycocoevalcap (which splits on " "), an empty caption counts as one empty
 * token, so an empty prediction scores 1 against an empty reference.
 */
#ifndef MEDCAP_SCORE_ROUGE_H
#define MEDCAP_SCORE_ROUGE_H

#include "corpus.h"

/* Work space for the LCS table row; zero-initialise, free with sc_rouge_free. */
typedef struct {
    uint32_t *row;
    size_t cap;
} sc_rouge_work;

/* Best precision *p and best recall *r of item it over its references. */
void sc_rouge_item(const sc_corpus *c, const sc_item *it, sc_rouge_work *w, double *p,
                   double *r);
/* F of precision p and recall r with weight beta. */
double sc_rouge_f(double p, double r, double beta);
void sc_rouge_free(sc_rouge_work *w);

#endif

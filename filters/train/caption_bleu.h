/* caption_bleu.h - corpus BLEU-4 of token-id captions against one
 * reference each (Papineni et al.: clipped n-gram precisions for n = 1..4,
 * their geometric mean, brevity penalty exp(1 - ref/hyp) when the corpus
 * hypothesis length is shorter), for validation during training.
 */
#ifndef MEDCAP_CAPTION_BLEU_H
#define MEDCAP_CAPTION_BLEU_H

typedef struct {
    long match[4], total[4];
    long hyp_len, ref_len;
} tr_bleu;

void tr_bleu_init(tr_bleu *b);
/* Add one caption hyp (nh ids) with its reference ref (nr ids). */
void tr_bleu_add(tr_bleu *b, const int *hyp, int nh, const int *ref, int nr);
/* Corpus BLEU-4 in [0, 1] (0 when some precision is 0). */
double tr_bleu_score(const tr_bleu *b);

#endif

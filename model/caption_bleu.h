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
} mc_bleu;

void mc_bleu_init(mc_bleu *b);
/* Add one caption hyp (nh ids) with its reference ref (nr ids). */
void mc_bleu_add(mc_bleu *b, const int *hyp, int nh, const int *ref, int nr);
/* Corpus BLEU-4 in [0, 1] (0 when some precision is 0). */
double mc_bleu_score(const mc_bleu *b);

#endif

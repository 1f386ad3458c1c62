/* caption_search.h - writing a caption for one image grid with a decoder:
 * greedy decoding (beam 1) and beam search, with a length penalty, n-gram
 * blocking and a length limit.  A workspace sized once per model keeps
 * memory flat over any number of images.
 *
 * Scores are sums of log-probabilities of the chosen words and the final
 * <eos> (natural log).  Beam search ranks finished captions by
 * score / length^length_penalty (0: raw sum, 1: mean per token); it keeps
 * beam live hypotheses and stops when none ranks above the best finished
 * caption, or at max_len words.  <pad> and <bos> are never produced; with no_repeat_ngram n > 0,
 * no n-gram of words appears twice in a caption.
 */
#ifndef MEDCAP_CAPTION_SEARCH_H
#define MEDCAP_CAPTION_SEARCH_H

#include "arch/decoder.h"

typedef struct {
    int beam;             /* 1: greedy */
    float length_penalty; /* exponent alpha of the length normalisation */
    int no_repeat_ngram;  /* 0: off */
    int max_len;          /* most words (at most the decoder's max_len - 1) */
    int attention;        /* keep the attention weights of each word */
} mc_search_opts;

typedef struct mc_search mc_search;

/* A workspace for decoder d and options o (beam >= 1, max_len >= 1). */
mc_search *mc_search_new(mc_decoder *d, const mc_search_opts *o);
/* Caption grid (G,C): returns the number of words n, their ids in *words
 * (n ids, without <eos>), the score in *logprob and, with o->attention,
 * the weights in *att (n rows of G).  The arrays belong to s and are valid
 * until the next call. */
int mc_search_run(mc_search *s, const float *grid, const int **words, float *logprob,
                  const float **att);
void mc_search_free(mc_search *s);

#endif

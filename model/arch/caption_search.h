/* caption_search.h - writing a caption for one image grid with a decoder:
 * greedy decoding (beam 1) and beam search, with a length penalty, n-gram
 * blocking and a length limit.  A workspace sized once per model keeps
 * memory flat over any number of images.
 *
 * Scores are sums of log-probabilities of the chosen words and the final
 * <eos> (natural log).  Beam search ranks finished captions by
 * score / length^length_penalty (0: raw sum, 1: mean per token); it keeps
 * beam live hypotheses and stops when none ranks above the best finished
 * caption, or at max_len words.  <pad>, <bos> and <unk> are never produced; with no_repeat_ngram n > 0,
 * no n-gram of words appears twice in a caption (punctuation tokens do not
 * count as words when the vocabulary is given); <eos> is not produced
 * before min_len words.
 *
 * Forced field values: when a hypothesis has just written a field's name
 * token and the colon token ("modality" ":"), its next words are the
 * field's value tokens and a comma, whatever the decoder prefers; a field
 * that opens captions is forced from the first word ("modality: mr,").
 * The classifier heads fill the caption's structured prefix this way, and
 * the decoder writes the rest conditioned on it.  Forced words bypass n-gram
 * blocking; their log-probabilities still count in the score.
 */
#ifndef MEDCAP_CAPTION_SEARCH_H
#define MEDCAP_CAPTION_SEARCH_H

#include "arch/decoder.h"
#include "arch/field_heads.h"
#include "arch/tokenizer.h"

/* Decoding defaults that MedPix 2.0 dev supports (docs/results.md). */
#define MC_DEFAULT_NO_REPEAT 3

typedef struct {
    int trigger; /* token id of the field's name */
    int n;       /* forced tokens: the value's, then the comma */
    int toks[32];
} mc_search_force;

typedef struct {
    int beam;             /* 1: greedy */
    float length_penalty; /* exponent alpha of the length normalisation */
    int no_repeat_ngram;  /* 0: off */
    int max_len;          /* most words (at most the decoder's max_len - 1) */
    int min_len;          /* fewest words before <eos> (0: any) */
    int attention;        /* keep the attention weights of each word */
    const mc_vocab *vocab; /* when set, n-gram blocking looks through ":" "," ".",
                              which never follow one another, and no caption
                              ends on ":" or "," */
    int colon;            /* token id of ":" (with force) */
    int nforce;           /* forced field values (0: none) */
    int lead;             /* index in force of the field every caption opens with, or -1 */
    mc_search_force force[8];
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
/* Force, for the next captions, the values cls[0..h->nf) (class index;
 * -1: not forced) of the fields of heads h, spelled in vocabulary v (the
 * field marked "opens" from the first word): a field whose name is not one
 * word of v, or whose value needs a word v lacks, is not forced.  h NULL:
 * nothing is forced. */
void mc_search_set_fields(mc_search *s, const mc_vocab *v, const mc_heads *h, const int *cls);
/* Set the fewest words before <eos> for the next captions. */
void mc_search_set_min_len(mc_search *s, int min_len);
/* 1 when the last caption ended with <eos>, 0 when it ran out of length. */
int mc_search_complete(const mc_search *s);
/* Words to keep of a caption w[0..n) that ran out of length, so that it
 * does not end mid-phrase: up to and including its last full stop when
 * that keeps at least half of it, otherwise without the trailing commas,
 * colons and words of vocabulary v that cannot end a phrase ("a", "the",
 * "of", "with", ...). */
int mc_search_clean_end(const mc_vocab *v, const int *w, int n);
void mc_search_free(mc_search *s);

#endif

/* bleu.h - BLEU-1..4 in the definitions papers use.
 *
 * coco: pycocoevalcap's BleuScorer with option "closest": clipped n-gram
 *   counts (each n-gram up to its largest count in one reference), guesses
 *   max(0, len-n+1), precision (correct + 1e-15) / (guess + 1e-9), brevity
 *   penalty exp(1 - ref/hyp) when hyp < ref with the closest reference
 *   length (ties to the shorter), lengths with the same tiny constants.
 * nltk: NLTK 3.8's corpus_bleu / sentence_bleu: precision numerator the
 *   clipped count, denominator max(1, n-grams), corpus sums of both, 0 when
 *   no unigram matches, brevity penalty 0 for an empty hypothesis, a zero
 *   precision replaced by the smallest double (method0) or by 0.1 / denominator
 *   (method1).
 */
#ifndef MEDCAP_SCORE_BLEU_H
#define MEDCAP_SCORE_BLEU_H

#include "corpus.h"

typedef enum { SC_BLEU_COCO, SC_BLEU_NLTK } sc_bleu_def;

typedef struct {
    sc_bleu_def def;
    int individual; /* 1: BLEU-n of order n alone; 0: cumulative (geometric mean of 1..n) */
    int sentence;   /* 1: mean of sentence scores; 0: corpus level */
    int smooth1;    /* nltk only: smoothing method 1 (epsilon 0.1) */
} sc_bleu_opts;

/* The counts of one item that every BLEU definition is computed from. */
typedef struct {
    uint32_t hyp_len, ref_len; /* ref_len: the closest reference length */
    uint32_t correct[SC_MAX_N], guess[SC_MAX_N];
} sc_bleu_counts;

/* Count item it: hyp is its prediction caption, uni[0..nuni) the union of
 * its references' bags (sc_ref_union). */
void sc_bleu_count(const sc_corpus *c, const sc_item *it, const sc_gram *uni, size_t nuni,
                   sc_bleu_counts *out);
/* BLEU-1..4 of one item (sentence level) under o, into out[0..4). */
void sc_bleu_sentence(const sc_bleu_opts *o, const sc_bleu_counts *k, double out[SC_MAX_N]);
/* BLEU-1..4 of n items under o (corpus level, or the mean of sentence
 * scores when o->sentence), into out[0..4). */
void sc_bleu_score(const sc_bleu_opts *o, const sc_bleu_counts *k, size_t n,
                   double out[SC_MAX_N]);
/* A short name of the definition o selects, for the output. */
const char *sc_bleu_definition(const sc_bleu_opts *o);

#endif

/* bleu.c - BLEU counts and the pycocoevalcap and NLTK scores from them. */
#define _POSIX_C_SOURCE 200809L
#include "bleu.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define COCO_TINY 1e-15
#define COCO_SMALL 1e-9
#define NLTK_EPSILON 0.1

void sc_bleu_count(const sc_corpus *c, const sc_item *it, const sc_gram *uni, size_t nuni,
                   sc_bleu_counts *out)
{
    const sc_caption *h = &c->caps[it->pred];
    const sc_refrec *r = &c->refs[it->ref];
    const sc_gram *hb = c->bags + h->bag_off;
    size_t i = 0, j = 0;
    uint32_t best = 0, best_diff = UINT32_MAX;
    memset(out, 0, sizeof *out);
    out->hyp_len = h->ntok;
    for (uint32_t k = 0; k < r->ncap; k++) {
        uint32_t l = c->caps[r->cap0 + k].ntok;
        uint32_t d = l > h->ntok ? l - h->ntok : h->ntok - l;
        if (d < best_diff || (d == best_diff && l < best)) {
            best_diff = d;
            best = l;
        }
    }
    out->ref_len = best;
    for (int k = 0; k < SC_MAX_N; k++)
        out->guess[k] = h->ntok > (uint32_t)k ? h->ntok - (uint32_t)k : 0;
    while (i < h->nbag && j < nuni) {
        if (hb[i].id < uni[j].id) {
            i++;
        } else if (uni[j].id < hb[i].id) {
            j++;
        } else {
            int k = sc_gram_order(c, hb[i].id) - 1;
            out->correct[k] += hb[i].count < uni[j].count ? hb[i].count : uni[j].count;
            i++;
            j++;
        }
    }
}

/* pycocoevalcap BleuScorer.compute_score for totals (correct, guess, lengths):
 * the cumulative product of precisions and its k-th root, or (individual)
 * each precision alone, times the brevity penalty. */
static void coco_bleu(int individual, const double correct[], const double guess[],
                      double testlen, double reflen, double out[SC_MAX_N])
{
    double bleu = 1.0, ratio;
    for (int k = 0; k < SC_MAX_N; k++) {
        double p = (correct[k] + COCO_TINY) / (guess[k] + COCO_SMALL);
        bleu *= p;
        out[k] = individual ? p : pow(bleu, 1.0 / (k + 1));
    }
    ratio = (testlen + COCO_TINY) / (reflen + COCO_SMALL);
    if (ratio < 1)
        for (int k = 0; k < SC_MAX_N; k++)
            out[k] *= exp(1 - 1 / ratio);
}

/* NLTK corpus_bleu for summed numerators, denominators and lengths. */
static void nltk_bleu(const sc_bleu_opts *o, const double num[], const double den[],
                      double hyp_len, double ref_len, double out[SC_MAX_N])
{
    double bp, logp[SC_MAX_N];
    if (num[0] == 0) {
        for (int k = 0; k < SC_MAX_N; k++)
            out[k] = 0;
        return;
    }
    bp = hyp_len > ref_len ? 1 : hyp_len == 0 ? 0 : exp(1 - ref_len / hyp_len);
    for (int k = 0; k < SC_MAX_N; k++) {
        double p = num[k] / den[k];
        if (num[k] == 0)
            p = o->smooth1 ? (num[k] + NLTK_EPSILON) / den[k] : DBL_MIN;
        logp[k] = log(p);
    }
    for (int k = 0; k < SC_MAX_N; k++) {
        double s = 0;
        if (o->individual) {
            s = logp[k];
        } else {
            double w = 1.0 / (k + 1);
            for (int i = 0; i <= k; i++)
                s += w * logp[i];
        }
        out[k] = bp * exp(s);
    }
}

/* Corpus-level BLEU of k[0..n) under o. */
static void corpus_score(const sc_bleu_opts *o, const sc_bleu_counts *k, size_t n,
                         double out[SC_MAX_N])
{
    double num[SC_MAX_N] = {0}, den[SC_MAX_N] = {0}, hyp = 0, ref = 0;
    for (size_t i = 0; i < n; i++) {
        hyp += k[i].hyp_len;
        ref += k[i].ref_len;
        for (int g = 0; g < SC_MAX_N; g++) {
            num[g] += k[i].correct[g];
            if (o->def == SC_BLEU_NLTK)
                den[g] += k[i].guess[g] ? k[i].guess[g] : 1;
            else
                den[g] += k[i].guess[g];
        }
    }
    if (o->def == SC_BLEU_NLTK)
        nltk_bleu(o, num, den, hyp, ref, out);
    else
        coco_bleu(o->individual, num, den, hyp, ref, out);
}

void sc_bleu_sentence(const sc_bleu_opts *o, const sc_bleu_counts *k, double out[SC_MAX_N])
{
    corpus_score(o, k, 1, out);
}

void sc_bleu_score(const sc_bleu_opts *o, const sc_bleu_counts *k, size_t n,
                   double out[SC_MAX_N])
{
    double sum[SC_MAX_N] = {0}, one[SC_MAX_N];
    if (!o->sentence) {
        corpus_score(o, k, n, out);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        sc_bleu_sentence(o, &k[i], one);
        for (int g = 0; g < SC_MAX_N; g++)
            sum[g] += one[g];
    }
    for (int g = 0; g < SC_MAX_N; g++)
        out[g] = n ? sum[g] / (double)n : 0;
}

const char *sc_bleu_definition(const sc_bleu_opts *o)
{
    if (o->def == SC_BLEU_COCO)
        return "pycocoevalcap Bleu (closest reference length, tiny 1e-15, small 1e-9)";
    return o->smooth1 ? "nltk 3.8 bleu_score (smoothing method1, epsilon 0.1)"
                      : "nltk 3.8 bleu_score (no smoothing, method0)";
}

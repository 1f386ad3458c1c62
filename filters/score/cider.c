/* cider.c - CIDEr-D: tf-idf n-gram vectors, clipped cosine, length penalty. */
#define _POSIX_C_SOURCE 200809L
#include "cider.h"
#include "par.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>

#ifndef M_E
#define M_E 2.7182818284590452354
#endif

void sc_cider_init(sc_cider *cd, const sc_corpus *c)
{
    size_t n = c->ngrams ? c->ngrams : 1;
    cd->df = sc_big_alloc(n * sizeof *cd->df);
    for (size_t g = 0; g < n; g++)
        atomic_init(&cd->df[g], 0);
    cd->idf = sc_big_alloc(n * sizeof *cd->idf);
}

void sc_cider_add_df(sc_cider *cd, const sc_gram *uni, size_t nuni)
{
    for (size_t i = 0; i < nuni; i++)
        atomic_fetch_add_explicit(&cd->df[uni[i].id], 1, memory_order_relaxed);
}

/* What sc_cider_finish's threads share. */
typedef struct {
    sc_cider *cd;
    uint32_t ngrams;
    double ref_len; /* log N */
} finish_job;

/* Step: thread t of n weighs its part of the n-gram ids. */
static void finish_part(void *ctx, int t, int n)
{
    finish_job *j = ctx;
    size_t lo, hi;
    sc_par_part(j->ngrams, t, n, &lo, &hi);
    for (size_t g = lo; g < hi; g++) {
        double df = (double)atomic_load_explicit(&j->cd->df[g], memory_order_relaxed);
        j->cd->idf[g] = j->ref_len - log(df > 1.0 ? df : 1.0);
    }
}

void sc_cider_finish(sc_cider *cd, const sc_corpus *c, size_t nitems, int threads)
{
    finish_job j = {cd, c->ngrams, log((double)nitems)};
    sc_par_run(threads, finish_part, &j);
}

/* Norms per order of caption cap's vector into norm[0..4). */
static void norms(const sc_cider *cd, const sc_corpus *c, const sc_caption *cap,
                  double norm[SC_MAX_N])
{
    const sc_gram *b = c->bags + cap->bag_off;
    for (int k = 0; k < SC_MAX_N; k++)
        norm[k] = 0;
    for (uint32_t i = 0; i < cap->nbag; i++) {
        double v = (double)b[i].count * cd->idf[b[i].id];
        norm[sc_gram_order(c, b[i].id) - 1] += pow(v, 2.0);
    }
    for (int k = 0; k < SC_MAX_N; k++)
        norm[k] = sqrt(norm[k]);
}

/* pycocoevalcap's "length" of a caption: its number of bigrams. */
static double bigrams(const sc_caption *cap) { return cap->ntok > 1 ? cap->ntok - 1 : 0; }

/* Similarity per order of hypothesis h (norms norm_h) with reference r, added to val. */
static void sim(const sc_cider *cd, const sc_corpus *c, const sc_caption *h,
                const double norm_h[SC_MAX_N], const sc_caption *r, double val[SC_MAX_N])
{
    const sc_gram *hb = c->bags + h->bag_off, *rb = c->bags + r->bag_off;
    double nr[SC_MAX_N], v[SC_MAX_N] = {0}, delta = bigrams(h) - bigrams(r), pen;
    size_t i = 0, j = 0;
    norms(cd, c, r, nr);
    while (i < h->nbag && j < r->nbag) {
        if (hb[i].id < rb[j].id) {
            i++;
        } else if (rb[j].id < hb[i].id) {
            j++;
        } else {
            double w = cd->idf[hb[i].id];
            double vh = (double)hb[i].count * w, vr = (double)rb[j].count * w;
            v[sc_gram_order(c, hb[i].id) - 1] += (vh < vr ? vh : vr) * vr;
            i++;
            j++;
        }
    }
    pen = pow(M_E, -pow(delta, 2.0) / (2 * pow(SC_CIDER_SIGMA, 2.0)));
    for (int k = 0; k < SC_MAX_N; k++) {
        if (norm_h[k] != 0 && nr[k] != 0)
            v[k] /= norm_h[k] * nr[k];
        val[k] += v[k] * pen;
    }
}

double sc_cider_item(const sc_cider *cd, const sc_corpus *c, const sc_item *it)
{
    const sc_caption *h = &c->caps[it->pred];
    const sc_refrec *r = &c->refs[it->ref];
    double score[SC_MAX_N] = {0}, avg = 0, norm_h[SC_MAX_N];
    norms(cd, c, h, norm_h);
    for (uint32_t k = 0; k < r->ncap; k++)
        sim(cd, c, h, norm_h, &c->caps[r->cap0 + k], score);
    for (int k = 0; k < SC_MAX_N; k++)
        avg += score[k];
    avg /= SC_MAX_N;
    avg /= r->ncap;
    return avg * 10.0;
}

void sc_cider_free(sc_cider *cd)
{
    free(cd->df);
    free(cd->idf);
    cd->df = NULL;
    cd->idf = NULL;
}

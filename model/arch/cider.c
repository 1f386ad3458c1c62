/* cider.c - CIDEr-D over word ids (see cider.h). */
#include "arch/cider.h"
#include "core/mix64.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ORDERS 4
#define SIGMA 6.0

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The order of a key (0..3) is in its top 2 bits. */
static int key_order(uint64_t k) { return (int)(k >> 62); }

void mc_grams_make(mc_grams *g, const int *w, int n)
{
    g->key = mc_malloc((size_t)(n > 0 ? n : 1) * ORDERS * sizeof *g->key);
    g->n = 0;
    g->bigrams = n > 1 ? n - 1 : 0;
    for (int i = 0; i < n; i++) {
        uint64_t h = 0;
        for (int o = 0; o < ORDERS && i + o < n; o++) {
            h = mc_mix64(h ^ ((uint64_t)(unsigned)w[i + o] + 0x9e3779b97f4a7c15ULL * (uint64_t)(o + 1)));
            g->key[g->n++] = (h >> 2) | ((uint64_t)o << 62);
        }
    }
    qsort(g->key, (size_t)g->n, sizeof *g->key, cmp_u64);
}

void mc_grams_free(mc_grams *g)
{
    free(g->key);
    memset(g, 0, sizeof *g);
}

void mc_cider_df_init(mc_cider_df *d)
{
    memset(d, 0, sizeof *d);
    d->mask = 1023;
    d->key = mc_malloc((d->mask + 1) * sizeof *d->key);
    d->df = mc_calloc(d->mask + 1, sizeof *d->df);
}

/* The slot of key k: its own, or the empty one where it would go. */
static size_t slot(const mc_cider_df *d, uint64_t k)
{
    size_t i = (size_t)mc_mix64(k) & d->mask;
    while (d->df[i] > 0 && d->key[i] != k)
        i = (i + 1) & d->mask;
    return i;
}

/* Double the table. */
static void grow(mc_cider_df *d)
{
    mc_cider_df n = {0};
    n.mask = 2 * d->mask + 1;
    n.key = mc_malloc((n.mask + 1) * sizeof *n.key);
    n.df = mc_calloc(n.mask + 1, sizeof *n.df);
    n.used = d->used;
    n.docs = d->docs;
    for (size_t i = 0; i <= d->mask; i++)
        if (d->df[i] > 0) {
            size_t j = slot(&n, d->key[i]);
            n.key[j] = d->key[i];
            n.df[j] = d->df[i];
        }
    free(d->key);
    free(d->df);
    *d = n;
}

void mc_cider_df_add(mc_cider_df *d, const mc_grams *g)
{
    d->docs++;
    for (int j = 0; j < g->n; j++) {
        size_t i;
        if (j > 0 && g->key[j] == g->key[j - 1])
            continue;
        if (2 * (d->used + 1) > d->mask + 1)
            grow(d);
        i = slot(d, g->key[j]);
        if (d->df[i] == 0) {
            d->key[i] = g->key[j];
            d->used++;
        }
        d->df[i]++;
    }
}

/* The tf-idf weight of the run of equal keys starting at k[i] (its length
 * in *len); the key's order in *o. */
static double weight(const mc_cider_df *d, double logn, const uint64_t *k, int n, int i, int *len)
{
    size_t s = slot(d, k[i]);
    int j = i, df = d->df[s] > 0 ? d->df[s] : 0;
    while (j < n && k[j] == k[i])
        j++;
    *len = j - i;
    return (double)(j - i) * (logn - log(df > 1 ? (double)df : 1.0));
}

double mc_cider_pair(const mc_cider_df *d, const mc_grams *hyp, const mc_grams *ref)
{
    double logn, nh[ORDERS] = {0}, nr[ORDERS] = {0}, dot[ORDERS] = {0}, s = 0, delta;
    int a = 0, b = 0, la, lb;
    if (d->docs < 2)
        return 0.0;
    logn = log((double)d->docs);
    for (int i = 0; i < hyp->n; i += la) {
        double v = weight(d, logn, hyp->key, hyp->n, i, &la);
        nh[key_order(hyp->key[i])] += v * v;
    }
    for (int i = 0; i < ref->n; i += lb) {
        double v = weight(d, logn, ref->key, ref->n, i, &lb);
        nr[key_order(ref->key[i])] += v * v;
    }
    while (a < hyp->n && b < ref->n) {
        if (hyp->key[a] < ref->key[b]) {
            weight(d, logn, hyp->key, hyp->n, a, &la);
            a += la;
        } else if (hyp->key[a] > ref->key[b]) {
            weight(d, logn, ref->key, ref->n, b, &lb);
            b += lb;
        } else {
            double vh = weight(d, logn, hyp->key, hyp->n, a, &la), vr = weight(d, logn, ref->key, ref->n, b, &lb);
            dot[key_order(hyp->key[a])] += (vh < vr ? vh : vr) * vr;
            a += la;
            b += lb;
        }
    }
    for (int o = 0; o < ORDERS; o++)
        if (nh[o] > 0 && nr[o] > 0)
            s += dot[o] / (sqrt(nh[o]) * sqrt(nr[o]));
    delta = (double)(hyp->bigrams - ref->bigrams);
    return s / ORDERS * exp(-delta * delta / (2 * SIGMA * SIGMA)) * 10.0;
}

void mc_cider_df_free(mc_cider_df *d)
{
    free(d->key);
    free(d->df);
    memset(d, 0, sizeof *d);
}

/* caption_cider.c - CIDEr-D over token ids (see caption_cider.h). */
#include "caption_cider.h"
#include "core/mix64.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ORDERS 4
#define SIGMA 6.0

void tr_cider_init(tr_cider *c)
{
    memset(c, 0, sizeof *c);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The order of a key is in its top 2 bits (order - 1). */
static int key_order(uint64_t k) { return (int)(k >> 62); }

/* Sorted keys of every n-gram (orders 1..4) of w[0..n); their number in *m. */
static uint64_t *grams(const int *w, int n, int *m)
{
    uint64_t *k = mc_malloc((size_t)(n > 0 ? n : 1) * ORDERS * sizeof *k);
    *m = 0;
    for (int i = 0; i < n; i++) {
        uint64_t h = 0;
        for (int o = 0; o < ORDERS && i + o < n; o++) {
            h = mc_mix64(h ^ ((uint64_t)(unsigned)w[i + o] + 0x9e3779b97f4a7c15ULL * (uint64_t)(o + 1)));
            k[(*m)++] = (h >> 2) | ((uint64_t)o << 62);
        }
    }
    qsort(k, (size_t)*m, sizeof *k, cmp_u64);
    return k;
}

void tr_cider_add(tr_cider *c, const int *hyp, int nh, const int *ref, int nr)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->hyp = mc_realloc(c->hyp, (size_t)c->cap * sizeof *c->hyp);
        c->ref = mc_realloc(c->ref, (size_t)c->cap * sizeof *c->ref);
        c->nh = mc_realloc(c->nh, (size_t)c->cap * sizeof *c->nh);
        c->nr = mc_realloc(c->nr, (size_t)c->cap * sizeof *c->nr);
        c->lh = mc_realloc(c->lh, (size_t)c->cap * sizeof *c->lh);
        c->lr = mc_realloc(c->lr, (size_t)c->cap * sizeof *c->lr);
    }
    c->hyp[c->n] = grams(hyp, nh, &c->nh[c->n]);
    c->ref[c->n] = grams(ref, nr, &c->nr[c->n]);
    c->lh[c->n] = nh > 1 ? nh - 1 : 0;
    c->lr[c->n] = nr > 1 ? nr - 1 : 0;
    c->n++;
}

/* Document frequencies: an open-addressing table of distinct keys. */
typedef struct {
    uint64_t *key;
    int *df;
    size_t mask;
} dftab;

static int *df_slot(dftab *t, uint64_t k, int insert)
{
    size_t i = (size_t)mc_mix64(k) & t->mask;
    for (; t->df[i] > 0; i = (i + 1) & t->mask)
        if (t->key[i] == k)
            return &t->df[i];
    if (!insert)
        return NULL;
    t->key[i] = k;
    return &t->df[i];
}

/* The tf-idf vector of sorted keys k[0..m): distinct keys in u, weights in
 * v, squared norms per order in norm; returns the distinct count. */
static int vec(dftab *t, double logn, const uint64_t *k, int m, uint64_t *u, double *v, double *norm)
{
    int d = 0;
    for (int o = 0; o < ORDERS; o++)
        norm[o] = 0;
    for (int i = 0; i < m;) {
        int j = i;
        const int *df;
        while (j < m && k[j] == k[i])
            j++;
        df = df_slot(t, k[i], 0);
        u[d] = k[i];
        v[d] = (double)(j - i) * (logn - log(df && *df > 1 ? (double)*df : 1.0));
        norm[key_order(k[i])] += v[d] * v[d];
        d++;
        i = j;
    }
    return d;
}

double tr_cider_score(const tr_cider *c)
{
    size_t total = 0, cap = 16;
    double logn = log((double)c->n), sum = 0;
    dftab t;
    int maxg = 1;
    if (c->n < 2)
        return 0.0;
    for (int i = 0; i < c->n; i++) {
        total += (size_t)c->nr[i];
        maxg = c->nr[i] > maxg ? c->nr[i] : maxg;
        maxg = c->nh[i] > maxg ? c->nh[i] : maxg;
    }
    while (cap < 2 * total)
        cap *= 2;
    t.key = mc_malloc(cap * sizeof *t.key);
    t.df = mc_calloc(cap, sizeof *t.df);
    t.mask = cap - 1;
    for (int i = 0; i < c->n; i++)
        for (int j = 0; j < c->nr[i]; j++)
            if (j == 0 || c->ref[i][j] != c->ref[i][j - 1])
                (*df_slot(&t, c->ref[i][j], 1))++;
    {
        uint64_t *uh = mc_malloc((size_t)maxg * sizeof *uh), *ur = mc_malloc((size_t)maxg * sizeof *ur);
        double *vh = mc_malloc((size_t)maxg * sizeof *vh), *vr = mc_malloc((size_t)maxg * sizeof *vr);
        for (int i = 0; i < c->n; i++) {
            double nh[ORDERS], nr[ORDERS], dot[ORDERS] = {0}, s = 0, delta = c->lh[i] - c->lr[i];
            int dh = vec(&t, logn, c->hyp[i], c->nh[i], uh, vh, nh);
            int dr = vec(&t, logn, c->ref[i], c->nr[i], ur, vr, nr);
            for (int a = 0, b = 0; a < dh && b < dr;) {
                if (uh[a] < ur[b])
                    a++;
                else if (uh[a] > ur[b])
                    b++;
                else {
                    dot[key_order(uh[a])] += (vh[a] < vr[b] ? vh[a] : vr[b]) * vr[b];
                    a++, b++;
                }
            }
            for (int o = 0; o < ORDERS; o++)
                if (nh[o] > 0 && nr[o] > 0)
                    s += dot[o] / (sqrt(nh[o]) * sqrt(nr[o]));
            sum += s / ORDERS * exp(-delta * delta / (2 * SIGMA * SIGMA)) * 10.0;
        }
        free(uh), free(ur), free(vh), free(vr);
    }
    free(t.key);
    free(t.df);
    return sum / c->n;
}

void tr_cider_free(tr_cider *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->hyp[i]);
        free(c->ref[i]);
    }
    free(c->hyp), free(c->ref), free(c->nh), free(c->nr), free(c->lh), free(c->lr);
    memset(c, 0, sizeof *c);
}

/* rouge.c - ROUGE-L: longest common subsequence, best over references. */
#define _POSIX_C_SOURCE 200809L
#include "rouge.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>

/* Token id of the empty token that stands for an empty caption. */
#define EMPTY_TOKEN UINT32_MAX

/* Length of the longest common subsequence of a[0..n) and b[0..m), with a
 * row of min(n, m) + 1 counters from w. */
static uint32_t lcs(const uint32_t *a, size_t n, const uint32_t *b, size_t m, sc_rouge_work *w)
{
    uint32_t *row;
    if (m > n) { /* the row runs over the shorter one */
        const uint32_t *t = a;
        size_t k = n;
        a = b, n = m, b = t, m = k;
    }
    if (w->cap < m + 1) {
        w->row = mc_realloc(w->row, (m + 1) * sizeof *w->row);
        w->cap = m + 1;
    }
    row = w->row;
    for (size_t j = 0; j <= m; j++)
        row[j] = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t diag = 0; /* row[j-1] of the previous i */
        for (size_t j = 1; j <= m; j++) {
            uint32_t up = row[j];
            if (a[i] == b[j - 1])
                row[j] = diag + 1;
            else if (row[j - 1] > up)
                row[j] = row[j - 1];
            diag = up;
        }
    }
    return row[m];
}

void sc_rouge_item(const sc_corpus *c, const sc_item *it, sc_rouge_work *w, double *p,
                   double *r)
{
    static const uint32_t empty = EMPTY_TOKEN;
    const sc_caption *h = &c->caps[it->pred];
    const sc_refrec *rr = &c->refs[it->ref];
    const uint32_t *hw = h->ntok ? c->toks + h->tok_off : &empty;
    size_t hn = h->ntok ? h->ntok : 1;
    double pmax = 0, rmax = 0;
    for (uint32_t k = 0; k < rr->ncap; k++) {
        const sc_caption *rc = &c->caps[rr->cap0 + k];
        const uint32_t *rw = rc->ntok ? c->toks + rc->tok_off : &empty;
        size_t rn = rc->ntok ? rc->ntok : 1;
        double l = lcs(hw, hn, rw, rn, w);
        double pk = l / (double)hn, rk = l / (double)rn;
        if (k == 0 || pk > pmax)
            pmax = pk;
        if (k == 0 || rk > rmax)
            rmax = rk;
    }
    *p = pmax;
    *r = rmax;
}

double sc_rouge_f(double p, double r, double beta)
{
    double b2 = pow(beta, 2.0);
    if (p == 0 || r == 0)
        return 0.0;
    return ((1 + b2) * p * r) / (r + b2 * p);
}

void sc_rouge_free(sc_rouge_work *w)
{
    free(w->row);
    w->row = NULL;
    w->cap = 0;
}

/* caption_bleu.c - corpus BLEU-4 over token ids. */
#define _POSIX_C_SOURCE 200809L
#include "caption_bleu.h"

#include <math.h>
#include <string.h>

void tr_bleu_init(tr_bleu *b) { memset(b, 0, sizeof *b); }

/* Occurrences of the n-gram g (n ids) in s (ns ids). */
static int count_in(const int *g, int n, const int *s, int ns)
{
    int c = 0;
    for (int j = 0; j + n <= ns; j++)
        c += memcmp(g, s + j, (size_t)n * sizeof *g) == 0;
    return c;
}

void tr_bleu_add(tr_bleu *b, const int *hyp, int nh, const int *ref, int nr)
{
    b->hyp_len += nh;
    b->ref_len += nr;
    for (int n = 1; n <= 4; n++)
        for (int i = 0; i + n <= nh; i++) {
            /* clip: credit the k-th occurrence only while k <= count in ref */
            int seen = count_in(hyp + i, n, hyp, i + n); /* occurrences ending by i+n */
            b->total[n - 1]++;
            if (seen <= count_in(hyp + i, n, ref, nr))
                b->match[n - 1]++;
        }
}

double tr_bleu_score(const tr_bleu *b)
{
    double logp = 0.0;
    for (int n = 0; n < 4; n++) {
        if (b->match[n] == 0 || b->total[n] == 0)
            return 0.0;
        logp += log((double)b->match[n] / (double)b->total[n]) / 4.0;
    }
    if (b->hyp_len < b->ref_len)
        logp += 1.0 - (double)b->ref_len / (double)b->hyp_len;
    return exp(logp);
}

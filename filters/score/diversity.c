/* diversity.c - distinct captions, distinct-1/2, most frequent caption. */
#define _POSIX_C_SOURCE 200809L
#include "diversity.h"
#include "core/util.h"

#include <stdlib.h>

void sc_diversity_compute(const sc_corpus *c, sc_diversity *out)
{
    mc_intern seen;
    uint32_t *freq = mc_calloc(c->nitems ? c->nitems : 1, sizeof *freq), top = 0;
    unsigned char *gram_seen = mc_calloc(c->ngrams ? c->ngrams : 1, 1);
    double grams[2] = {0}, distinct[2] = {0};
    mc_intern_init(&seen);
    for (size_t i = 0; i < c->nitems; i++) {
        const sc_caption *h = &c->caps[c->items[i].pred];
        const sc_gram *b = c->bags + h->bag_off;
        uint32_t id = mc_intern_get(&seen, c->toks + h->tok_off, h->ntok * sizeof *c->toks, NULL);
        if (++freq[id] > top)
            top = freq[id];
        for (uint32_t j = 0; j < h->nbag; j++) {
            int k = sc_gram_order(c, b[j].id) - 1;
            if (k > 1)
                continue;
            grams[k] += b[j].count;
            if (!gram_seen[b[j].id]) {
                gram_seen[b[j].id] = 1;
                distinct[k] += 1;
            }
        }
    }
    out->distinct_captions = (double)seen.n / (double)c->nitems;
    out->most_frequent_share = (double)top / (double)c->nitems;
    out->distinct_1 = grams[0] ? distinct[0] / grams[0] : 0;
    out->distinct_2 = grams[1] ? distinct[1] / grams[1] : 0;
    mc_intern_free(&seen);
    free(freq);
    free(gram_seen);
}

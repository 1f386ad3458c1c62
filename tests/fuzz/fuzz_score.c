/* fuzz_score.c - libFuzzer harness: score's corpus reader and metrics
 * (filters/score/): the input is the references, a line "----", then the
 * predictions (both NDJSON; without the line, the same text is both); read
 * with --keep-going, then every metric as medcap-score computes them. */
#include "fuzz_util.h"
#include "score/bleu.h"
#include "score/cider.h"
#include "score/clinical_score.h"
#include "score/corpus.h"
#include "score/diversity.h"
#include "score/labels.h"
#include "score/rouge.h"

#include <stdlib.h>
#include <string.h>

/* Every per-item and corpus metric of c. */
static void metrics(const sc_corpus *c)
{
    static const sc_bleu_opts defs[] = {{SC_BLEU_COCO, 0, 0, 0}, {SC_BLEU_NLTK, 1, 1, 1}};
    sc_bleu_counts *k = calloc(c->nitems, sizeof *k);
    sc_gram *uni = NULL;
    size_t ucap = 0;
    sc_cider cd;
    sc_rouge_work rw = {0};
    double out[SC_MAX_N], p, r;
    sc_clinical_score clin;
    sc_diversity div;
    sc_label_score labels;
    sc_cider_init(&cd, c);
    for (size_t i = 0; i < c->nitems; i++) {
        size_t n = sc_ref_union(c, &c->refs[c->items[i].ref], &uni, &ucap);
        sc_bleu_count(c, &c->items[i], uni, n, &k[i]);
        sc_cider_add_df(&cd, uni, n);
    }
    sc_cider_finish(&cd, c, c->nitems, 1);
    for (size_t i = 0; i < c->nitems; i++) {
        (void)sc_cider_item(&cd, c, &c->items[i]);
        sc_rouge_item(c, &c->items[i], &rw, &p, &r);
        (void)sc_rouge_f(p, r, 1.2);
        sc_bleu_sentence(&defs[1], &k[i], out);
    }
    for (size_t d = 0; d < 2; d++)
        sc_bleu_score(&defs[d], k, c->nitems, out);
    sc_clinical_score_compute(c, &clin);
    sc_diversity_compute(c, &div);
    memset(&labels, 0, sizeof labels);
    sc_label_score_compute(c, &labels);
    sc_label_score_free(&labels);
    sc_cider_free(&cd);
    sc_rouge_free(&rw);
    free(uni);
    free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *cut = memmem(text, size, "\n----\n", 6);
    size_t nref = cut ? (size_t)(cut - text) + 1 : size;
    const char *pred = cut ? cut + 6 : text;
    size_t npred = cut ? size - (size_t)(pred - text) : size;
    sc_load_opts o = {.tokenizer = SC_TOK_COCO, .pred_field = "caption", .keep_going = 1, .labels = 1};
    FILE *fr = fmemopen((void *)text, nref, "rb"), *fp = fmemopen((void *)pred, npred, "rb");
    sc_corpus c;
    if (size > 0 && data[0] == '!')
        o.tokenizer = SC_TOK_NONE;
    sc_corpus_init(&c);
    if (fr && fp && sc_corpus_read_refs(&c, fr, "refs", &o) == 0 &&
        sc_corpus_read_preds(&c, fp, "preds", "refs", &o) == 0)
        metrics(&c);
    sc_corpus_free(&c);
    if (fr)
        fclose(fr);
    if (fp)
        fclose(fp);
    return 0;
}

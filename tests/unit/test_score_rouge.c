/* test_score_rouge.c - ROUGE-L's LCS (filters/score/rouge.c): its work
 * row is as long as the shorter caption, whichever side that is, and the
 * LCS is the same either way round.
 * Exits non-zero when a check fails. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "score/corpus.h"
#include "score/rouge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A record {"id":"a","caption":"w0 w1 ... "} of n words, every third one
 * "x" instead, into buf (size cap). */
static void record(char *buf, size_t cap, int n)
{
    size_t k = (size_t)snprintf(buf, cap, "{\"id\":\"a\",\"caption\":\"");
    for (int i = 0; i < n; i++)
        k += (size_t)snprintf(buf + k, cap - k, i % 3 ? "w%d " : "x ", i);
    snprintf(buf + k, cap - k, "\"}\n");
}

/* ROUGE-L of a prediction of np words against a reference of nr words:
 * sets *p, *r and the work row's length *row. */
static void rouge(int np, int nr, double *p, double *r, size_t *row)
{
    static char pred[200000], ref[200000];
    sc_load_opts o = {.tokenizer = SC_TOK_NONE, .pred_field = "caption"};
    sc_rouge_work w = {0};
    sc_corpus c;
    FILE *fp, *fr;
    record(pred, sizeof pred, np);
    record(ref, sizeof ref, nr);
    fp = fmemopen(pred, strlen(pred), "r");
    fr = fmemopen(ref, strlen(ref), "r");
    sc_corpus_init(&c);
    CHECK(sc_corpus_read_refs(&c, fr, "refs", &o) == 0 &&
              sc_corpus_read_preds(&c, fp, "preds", "refs", &o) == 0, "corpus of %d and %d words", np, nr);
    sc_rouge_item(&c, &c.items[0], &w, p, r);
    *row = w.cap;
    sc_rouge_free(&w);
    sc_corpus_free(&c);
    fclose(fp);
    fclose(fr);
}

int main(void)
{
    double p1, r1, p2, r2;
    size_t row1, row2;
    rouge(9000, 30, &p1, &r1, &row1);
    rouge(30, 9000, &p2, &r2, &row2);
    /* the 30 words are the first 30 of the 9000: LCS 30 */
    CHECK(row1 <= 31 && row2 <= 31, "LCS rows of %zu and %zu counters, not min(n, m) + 1", row1, row2);
    CHECK(p1 == 30.0 / 9000 && r1 == 1.0, "long prediction: P %g R %g", p1, r1);
    CHECK(p2 == 1.0 && r2 == 30.0 / 9000, "long reference: P %g R %g", p2, r2);
    check(row1 <= 31 && row2 <= 31, "ROUGE-L's LCS keeps one row of the shorter caption");
    check(p1 == r2 && r1 == p2, "the LCS is the same either way round");
    return failures != 0;
}

/* labels.h - generic clinical label scores (labels as score_labelset.h
 * reads them).
 *
 * Scores cover the items whose reference has a label list (a "labels"
 * array, even empty, or "diagnosis:"); a prediction without "diagnosis:"
 * has no labels.  Per label: precision, recall, F1 and support (a zero
 * denominator gives 0); micro averages over every decision, including
 * labels predicted but in no reference (all false positives); macro
 * averages over the labels of the references (support > 0).
 */
#ifndef MEDCAP_SCORE_LABELS_H
#define MEDCAP_SCORE_LABELS_H

#include "clinical_score.h"
#include "corpus.h"

typedef struct {
    const sc_labelstore *store; /* the label names */
    long items;     /* items whose reference has a label list */
    uint32_t nrows; /* labels with any decision */
    uint32_t *row;  /* their ids, sorted by name */
    sc_prf *label;  /* per label id */
    long pred_only; /* rows whose label is in no reference */
    sc_prf micro, macro;
} sc_label_score;

/* Score the labels of every item of c into *out (free with sc_label_score_free). */
void sc_label_score_compute(const sc_corpus *c, sc_label_score *out);
void sc_label_score_free(sc_label_score *sc);

#endif

/* clinical_score.h - agreement of the structured content of predictions
 * and references (clinical.h): CheXpert label precision, recall, F1 and
 * support, micro and macro averages (precision, recall or F1 with a zero
 * denominator count as 0, macro averages over all 14 labels), and the
 * accuracy of MedPix modality, plane and category.
 *
 * CheXpert counts the items whose first reference has "diagnosis:";
 * a MedPix field counts the items whose first reference has that field
 * (a prediction without it is wrong).
 */
#ifndef MEDCAP_SCORE_CLINICAL_SCORE_H
#define MEDCAP_SCORE_CLINICAL_SCORE_H

#include "corpus.h"

typedef struct {
    double precision, recall, f1;
    long tp, fp, fn;
} sc_prf;

typedef struct {
    long items, unrecognised_pred, unrecognised_ref;
    sc_prf label[SC_CHEXPERT_LABELS], micro, macro;
    long field_items[SC_FIELDS], field_correct[SC_FIELDS];
} sc_clinical_score;

/* Fill precision, recall and F1 of p from its counts (0 for a zero denominator). */
void sc_prf_finish(sc_prf *p);
/* Score the structured content of every item of c. */
void sc_clinical_score_compute(const sc_corpus *c, sc_clinical_score *out);

#endif

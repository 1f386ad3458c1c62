/* clinical_score.c - CheXpert label F1 and MedPix field accuracy. */
#define _POSIX_C_SOURCE 200809L
#include "clinical_score.h"

#include <string.h>

void sc_prf_finish(sc_prf *p)
{
    p->precision = p->tp + p->fp ? (double)p->tp / (double)(p->tp + p->fp) : 0;
    p->recall = p->tp + p->fn ? (double)p->tp / (double)(p->tp + p->fn) : 0;
    p->f1 = p->tp ? 2.0 * (double)p->tp / (double)(2 * p->tp + p->fp + p->fn) : 0;
}

void sc_clinical_score_compute(const sc_corpus *c, sc_clinical_score *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < c->nitems; i++) {
        const sc_item *it = &c->items[i];
        const sc_clinical *p = &it->pred_clin, *r = &c->refs[it->ref].clin;
        for (int f = 0; f < SC_FIELDS; f++) {
            if (r->field[f] == UINT32_MAX)
                continue;
            out->field_items[f]++;
            out->field_correct[f] += p->field[f] == r->field[f];
        }
        if (!r->has_diagnosis)
            continue;
        out->items++;
        out->unrecognised_pred += p->unrecognised;
        out->unrecognised_ref += r->unrecognised;
        for (int k = 0; k < SC_CHEXPERT_LABELS; k++) {
            int hp = (p->labels >> k) & 1, hr = (r->labels >> k) & 1;
            out->label[k].tp += hp && hr;
            out->label[k].fp += hp && !hr;
            out->label[k].fn += !hp && hr;
        }
    }
    for (int k = 0; k < SC_CHEXPERT_LABELS; k++) {
        sc_prf_finish(&out->label[k]);
        out->micro.tp += out->label[k].tp;
        out->micro.fp += out->label[k].fp;
        out->micro.fn += out->label[k].fn;
        out->macro.precision += out->label[k].precision;
        out->macro.recall += out->label[k].recall;
        out->macro.f1 += out->label[k].f1;
    }
    out->macro.precision /= SC_CHEXPERT_LABELS;
    out->macro.recall /= SC_CHEXPERT_LABELS;
    out->macro.f1 /= SC_CHEXPERT_LABELS;
    sc_prf_finish(&out->micro);
}

/* labels.c - precision, recall and F1 of generic clinical labels. */
#define _POSIX_C_SOURCE 200809L
#include "labels.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    uint32_t id;
} named_id;

/* qsort order of named_id: by name. */
static int by_name(const void *a, const void *b)
{
    return strcmp(((const named_id *)a)->name, ((const named_id *)b)->name);
}

/* Count the decisions of one item: predicted set p against reference set r
 * (both sorted, distinct) into label[]. */
static void count_item(const uint32_t *p, uint32_t np, const uint32_t *r, uint32_t nr,
                       sc_prf *label)
{
    uint32_t i = 0, j = 0;
    while (i < np || j < nr) {
        if (j == nr || (i < np && p[i] < r[j]))
            label[p[i++]].fp++;
        else if (i == np || r[j] < p[i])
            label[r[j++]].fn++;
        else {
            label[p[i]].tp++;
            i++;
            j++;
        }
    }
}

void sc_label_score_compute(const sc_corpus *c, sc_label_score *out)
{
    const sc_labelstore *s = &c->labels;
    uint32_t nl = s->names.n, in_refs = 0;
    named_id *rows;
    memset(out, 0, sizeof *out);
    out->store = s;
    out->label = mc_calloc(nl ? nl : 1, sizeof *out->label);
    for (size_t i = 0; i < c->nitems; i++) {
        const sc_labelset *p = &c->items[i].pred_labels, *r = &c->refs[c->items[i].ref].labels;
        if (!r->present)
            continue;
        out->items++;
        count_item(s->ids + p->off, p->n, s->ids + r->off, r->n, out->label);
    }
    rows = mc_calloc(nl ? nl : 1, sizeof *rows);
    for (uint32_t k = 0; k < nl; k++) {
        sc_prf *l = &out->label[k];
        if (!l->tp && !l->fp && !l->fn)
            continue;
        rows[out->nrows].name = sc_label_name(s, k);
        rows[out->nrows++].id = k;
    }
    qsort(rows, out->nrows, sizeof *rows, by_name);
    out->row = mc_calloc(out->nrows ? out->nrows : 1, sizeof *out->row);
    for (uint32_t k = 0; k < out->nrows; k++) {
        sc_prf *l = &out->label[rows[k].id];
        out->row[k] = rows[k].id;
        sc_prf_finish(l);
        out->micro.tp += l->tp;
        out->micro.fp += l->fp;
        out->micro.fn += l->fn;
        if (l->tp + l->fn == 0) {
            out->pred_only++;
            continue;
        }
        in_refs++;
        out->macro.precision += l->precision;
        out->macro.recall += l->recall;
        out->macro.f1 += l->f1;
    }
    free(rows);
    if (in_refs) {
        out->macro.precision /= in_refs;
        out->macro.recall /= in_refs;
        out->macro.f1 /= in_refs;
    }
    sc_prf_finish(&out->micro);
}

void sc_label_score_free(sc_label_score *sc)
{
    free(sc->row);
    free(sc->label);
    memset(sc, 0, sizeof *sc);
}

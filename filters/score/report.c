/* report.c - JSON and table forms of the summary. */
#define _POSIX_C_SOURCE 200809L
#include "report.h"
#include "cider.h"
#include "core/util.h"

static const char *const rouge_def =
    "pycocoevalcap Rouge (LCS; best precision and best recall over references; mean over items)";
static const char *const cider_def =
    "pycocoevalcap Cider (CIDEr-D: df over reference sets, log N idf, clipping, "
    "sigma 6 length penalty, x10)";
static const char *const chexpert_def =
    "CheXpert labels after \"diagnosis:\"; zero denominators give 0; macro over 14 labels";
static const char *const medpix_def =
    "MedPix \"modality:\", \"plane:\", \"category:\" values equal after normalising";
static const char *const labels_def =
    "labels: the reference record's \"labels\" array, else the comma-separated list after "
    "\"diagnosis:\"; trimmed, lower-cased; zero denominators give 0; micro over every label "
    "(predicted-only ones are false positives); macro over the labels of the references";
static const char *const diversity_def =
    "over tokenised predictions: distinct/all captions, unigrams, bigrams; share of the most "
    "frequent caption";

/* Check that cJSON built something (it returns NULL only when out of memory). */
static cJSON *must(cJSON *j)
{
    if (!j)
        mc_die(MC_EXIT_INTERNAL, "out of memory building the summary");
    return j;
}

/* Add the precision, recall, F1 and support of p to a new object named name of o. */
static void add_prf(cJSON *o, const char *name, const sc_prf *p, int counts)
{
    cJSON *x = must(cJSON_AddObjectToObject(o, name));
    cJSON_AddNumberToObject(x, "precision", p->precision);
    cJSON_AddNumberToObject(x, "recall", p->recall);
    cJSON_AddNumberToObject(x, "f1", p->f1);
    if (counts)
        cJSON_AddNumberToObject(x, "support", (double)(p->tp + p->fn));
}

/* The "chexpert" section. */
static void add_chexpert(cJSON *root, const sc_clinical_score *c)
{
    cJSON *x = must(cJSON_AddObjectToObject(root, "chexpert")), *labels;
    cJSON_AddStringToObject(x, "definition", chexpert_def);
    cJSON_AddNumberToObject(x, "items", (double)c->items);
    cJSON_AddNumberToObject(x, "unrecognised_pred", (double)c->unrecognised_pred);
    cJSON_AddNumberToObject(x, "unrecognised_ref", (double)c->unrecognised_ref);
    if (!c->items)
        return;
    labels = must(cJSON_AddObjectToObject(x, "labels"));
    for (int k = 0; k < SC_CHEXPERT_LABELS; k++)
        add_prf(labels, sc_chexpert_label(k), &c->label[k], 1);
    add_prf(x, "micro", &c->micro, 1);
    add_prf(x, "macro", &c->macro, 0);
}

/* The "labels" section. */
static void add_labels(cJSON *root, const sc_label_score *l)
{
    cJSON *x = must(cJSON_AddObjectToObject(root, "labels")), *labels;
    cJSON_AddStringToObject(x, "definition", labels_def);
    cJSON_AddNumberToObject(x, "items", (double)l->items);
    cJSON_AddNumberToObject(x, "predicted_only", (double)l->pred_only);
    labels = must(cJSON_AddObjectToObject(x, "labels"));
    for (uint32_t k = 0; k < l->nrows; k++)
        add_prf(labels, sc_label_name(l->store, l->row[k]), &l->label[l->row[k]], 1);
    add_prf(x, "micro", &l->micro, 1);
    add_prf(x, "macro", &l->macro, 0);
}

/* The "medpix" section. */
static void add_medpix(cJSON *root, const sc_clinical_score *c)
{
    cJSON *x = must(cJSON_AddObjectToObject(root, "medpix"));
    cJSON_AddStringToObject(x, "definition", medpix_def);
    for (int f = 0; f < SC_FIELDS; f++) {
        cJSON *y = must(cJSON_AddObjectToObject(x, sc_field_name(f)));
        cJSON_AddNumberToObject(y, "items", (double)c->field_items[f]);
        if (c->field_items[f])
            cJSON_AddNumberToObject(y, "accuracy",
                                    (double)c->field_correct[f] / (double)c->field_items[f]);
        else
            cJSON_AddNullToObject(y, "accuracy");
    }
}

cJSON *sc_summary_json(const sc_summary *s)
{
    cJSON *root = must(cJSON_CreateObject()), *x;
    char key[32];
    cJSON_AddNumberToObject(root, "items", (double)s->items);
    cJSON_AddNumberToObject(root, "skipped", (double)s->skipped);
    cJSON_AddStringToObject(root, "tokenize", s->tokenizer);
    x = must(cJSON_AddObjectToObject(root, "bleu"));
    cJSON_AddStringToObject(x, "definition", sc_bleu_definition(&s->bleu));
    cJSON_AddStringToObject(x, "average", s->bleu.sentence ? "sentence" : "corpus");
    cJSON_AddStringToObject(x, "orders", s->bleu.individual ? "individual" : "cumulative");
    for (int k = 0; k < SC_MAX_N; k++) {
        snprintf(key, sizeof key, "bleu_%d", k + 1);
        cJSON_AddNumberToObject(x, key, s->bleu_v[k]);
    }
    x = must(cJSON_AddObjectToObject(root, "rouge_l"));
    cJSON_AddStringToObject(x, "definition", rouge_def);
    cJSON_AddNumberToObject(x, "beta", s->rouge_beta);
    cJSON_AddNumberToObject(x, "precision", s->rouge_p);
    cJSON_AddNumberToObject(x, "recall", s->rouge_r);
    cJSON_AddNumberToObject(x, "f", s->rouge_f);
    x = must(cJSON_AddObjectToObject(root, "cider_d"));
    cJSON_AddStringToObject(x, "definition", cider_def);
    cJSON_AddNumberToObject(x, "sigma", SC_CIDER_SIGMA);
    cJSON_AddNumberToObject(x, "score", s->cider);
    add_chexpert(root, &s->clin);
    add_medpix(root, &s->clin);
    if (s->labels_on)
        add_labels(root, &s->labels);
    x = must(cJSON_AddObjectToObject(root, "diversity"));
    cJSON_AddStringToObject(x, "definition", diversity_def);
    cJSON_AddNumberToObject(x, "distinct_captions", s->div.distinct_captions);
    cJSON_AddNumberToObject(x, "distinct_1", s->div.distinct_1);
    cJSON_AddNumberToObject(x, "distinct_2", s->div.distinct_2);
    cJSON_AddNumberToObject(x, "most_frequent_share", s->div.most_frequent_share);
    return root;
}

void sc_summary_table(FILE *out, const sc_summary *s)
{
    fprintf(out, "%-28s %10s  %s\n", "metric", "value", "definition");
    for (int k = 0; k < SC_MAX_N; k++)
        fprintf(out, "BLEU-%d %-21s %10.6f  %s\n", k + 1,
                s->bleu.individual ? "(individual)" : "", s->bleu_v[k],
                sc_bleu_definition(&s->bleu));
    fprintf(out, "%-28s %10s  %s\n", "", "", s->bleu.sentence ? "mean of sentence scores"
                                                              : "corpus level");
    fprintf(out, "%-28s %10.6f  beta %g\n", "ROUGE-L precision", s->rouge_p, s->rouge_beta);
    fprintf(out, "%-28s %10.6f  beta %g\n", "ROUGE-L recall", s->rouge_r, s->rouge_beta);
    fprintf(out, "%-28s %10.6f  %s, beta %g\n", "ROUGE-L F", s->rouge_f, rouge_def, s->rouge_beta);
    fprintf(out, "%-28s %10.6f  %s\n", "CIDEr-D", s->cider, cider_def);
    if (s->clin.items) {
        fprintf(out, "%-28s %10.6f  %s (%ld items)\n", "CheXpert micro F1", s->clin.micro.f1,
                chexpert_def, s->clin.items);
        fprintf(out, "%-28s %10.6f\n", "CheXpert macro F1", s->clin.macro.f1);
        for (int k = 0; k < SC_CHEXPERT_LABELS; k++)
            fprintf(out, "  F1 %-23s %10.6f  support %ld\n", sc_chexpert_label(k),
                    s->clin.label[k].f1, s->clin.label[k].tp + s->clin.label[k].fn);
    }
    for (int f = 0; f < SC_FIELDS; f++)
        if (s->clin.field_items[f])
            fprintf(out, "MedPix %-8s accuracy     %10.6f  %ld items\n", sc_field_name(f),
                    (double)s->clin.field_correct[f] / (double)s->clin.field_items[f],
                    s->clin.field_items[f]);
    if (s->labels_on) {
        fprintf(out, "%-28s %10.6f  %s (%ld items)\n", "label micro F1", s->labels.micro.f1,
                labels_def, s->labels.items);
        fprintf(out, "%-28s %10.6f\n", "label macro F1", s->labels.macro.f1);
        for (uint32_t k = 0; k < s->labels.nrows; k++) {
            const sc_prf *p = &s->labels.label[s->labels.row[k]];
            fprintf(out, "  F1 %-23s %10.6f  support %ld%s\n",
                    sc_label_name(s->labels.store, s->labels.row[k]), p->f1, p->tp + p->fn,
                    p->tp + p->fn ? "" : " (predicted only)");
        }
    }
    fprintf(out, "%-28s %10.6f\n", "distinct captions", s->div.distinct_captions);
    fprintf(out, "%-28s %10.6f\n", "distinct-1", s->div.distinct_1);
    fprintf(out, "%-28s %10.6f\n", "distinct-2", s->div.distinct_2);
    fprintf(out, "%-28s %10.6f\n", "most frequent caption share", s->div.most_frequent_share);
    fprintf(out, "%-28s %10zu  (skipped %ld)\n", "items", s->items, s->skipped);
}

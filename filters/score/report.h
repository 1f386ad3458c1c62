/* report.h - the summary of a scoring run, as JSON or as a table. */
#ifndef MEDCAP_SCORE_REPORT_H
#define MEDCAP_SCORE_REPORT_H

#include "bleu.h"
#include "clinical_score.h"
#include "diversity.h"
#include "labels.h"

#include <cjson/cJSON.h>
#include <stdio.h>

typedef struct {
    size_t items;
    long skipped;
    const char *tokenizer;
    sc_bleu_opts bleu;
    double bleu_v[SC_MAX_N];
    double rouge_beta, rouge_p, rouge_r, rouge_f;
    double cider;
    sc_clinical_score clin;
    sc_diversity div;
    int labels_on; /* print the "labels" section */
    sc_label_score labels;
} sc_summary;

/* The summary as one JSON object (caller deletes it). */
cJSON *sc_summary_json(const sc_summary *s);
/* The summary as a readable table on out. */
void sc_summary_table(FILE *out, const sc_summary *s);

#endif

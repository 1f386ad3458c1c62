/* summary.h - the summary part of the page: the run's metrics (medcap-score's
 * summary, or the means of the per-item scores), confusion matrices of a
 * caption field (true value against predicted), the caption lengths against
 * the references', and training curves from a medcap-train --log file.
 * Every function writes HTML (with inline SVG) to f; text from data is
 * escaped.
 */
#ifndef RP_SUMMARY_H
#define RP_SUMMARY_H

#include <stdio.h>
#include <cjson/cJSON.h>

#include "records.h"

/* The metrics table of medcap-score's summary object sum. */
void rp_summary_metrics(FILE *f, const cJSON *sum);
/* The means of the items' per-item scores (nothing when no item has any). */
void rp_summary_means(FILE *f, const rp_run *r);
/* The confusion matrix of caption field name over the items that have both
 * a true and a predicted value (nothing when none). */
void rp_summary_confusion(FILE *f, const rp_run *r, const char *name);
/* The distribution of caption lengths in words, generated and reference. */
void rp_summary_lengths(FILE *f, const rp_run *r);

/* A training log: one point per epoch of the last run in the file. */
typedef struct {
    double *epoch;        /* (n) */
    double *value;        /* (nkeys, n) NaN where a line lacks the key */
    char **key;           /* (nkeys) the numeric keys drawn */
    int n, nkeys, runs;   /* points, keys, runs in the file (epochs restarting) */
} rp_trainlog;

/* Read a medcap-train --log file (NDJSON, one object per epoch with a
 * number "epoch"); a line that is no such object is an error
 * (MC_EXIT_INPUT, message printed).  Returns 0, or an exit status with
 * nothing left to free. */
int rp_trainlog_read(rp_trainlog *lg, const char *path);
/* Free what rp_trainlog_read made. */
void rp_trainlog_free(rp_trainlog *lg);
/* The training curves: losses in one chart, the other metrics in another. */
void rp_summary_curves(FILE *f, const rp_trainlog *lg, const char *path);

#endif

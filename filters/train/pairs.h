/* pairs.h - the training set of medcap-train --objective contrastive: the
 * unit-normalised pooled feature vector and the caption of every frame of a
 * file, in memory. */
#ifndef MEDCAP_TRAIN_PAIRS_H
#define MEDCAP_TRAIN_PAIRS_H

typedef struct {
    int n, dim;     /* items; feature size C */
    float *feat;    /* (n, dim) pooled, unit-length feature vectors */
    char **caption; /* n caption texts */
} tr_pairs;

/* Read every frame of path (an F32 feature frame [C], [G,C] or [H,W,C]
 * whose record holds string key field).  On bad input prints
 * "prog: path:FRAME: what" and returns MC_EXIT_INPUT (MC_EXIT_IO when the
 * file cannot be read); 0 on success. */
int tr_pairs_load(tr_pairs *p, const char *path, const char *field);
void tr_pairs_free(tr_pairs *p);

#endif

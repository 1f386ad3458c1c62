/* dataset.h - the training set of medcap-train in memory: feature grids
 * (or image frames, for --train-encoder) with their caption text, read
 * from a frame file and checked to agree in shape and encoder.
 */
#ifndef MEDCAP_TRAIN_DATASET_H
#define MEDCAP_TRAIN_DATASET_H

#include <stddef.h>

typedef struct {
    int n;               /* samples */
    int images;          /* 1: image frames [C,H,W]; 0: feature grids [G,C] */
    int dims[3];         /* [G,C] or [C,H,W] */
    int dtype;           /* frame dtype */
    size_t item_bytes;   /* payload bytes of one sample */
    unsigned char *data; /* n * item_bytes */
    char **caption;      /* n caption texts */
    char **id;           /* n record ids */
    int nf;              /* structured fields read */
    char **fval;         /* (n,nf) their values as text (numbers in decimal),
                            NULL where missing */
    char encoder[64], encoder_hash[32], encoder_config[512];
    int gh, gw;          /* the features' grid (0 for images) */
} tr_dataset;

/* Read every grid frame (pooled ones skipped) or, with images set, every
 * image frame of path, taking the caption from string key field and the
 * values of the record fields fkeys[0..nf) (strings, and numbers as
 * decimal text; missing ones are NULL).  On bad input prints "prog: path:FRAME: what" and
 * returns MC_EXIT_INPUT (or MC_EXIT_IO); 0 on success. */
int tr_dataset_load(tr_dataset *d, const char *path, const char *field, int images,
                    const char *const *fkeys, int nf);
void tr_dataset_free(tr_dataset *d);

#endif

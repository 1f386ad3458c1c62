/* field_heads.h - classifier heads for the structured fields of a caption
 * (modality, plane, category, ...): one linear layer per field over the
 * mean of the image's feature grid, trained jointly with the decoder by
 * class-weighted cross-entropy (mc_wxent_*).
 *
 * In a model file the heads are the tensors "heads.NAME.weight" (K,C) and
 * "heads.NAME.bias" (K), and the metadata string "fields", a JSON array of
 * {"name", "classes": [K strings], "weights": [K class weights], "opens",
 * and optionally "min_len": [K lengths]}.
 */
#ifndef MEDCAP_FIELD_HEADS_H
#define MEDCAP_FIELD_HEADS_H

#include <stddef.h>
#include <stdint.h>

#include "core/params.h"

#define MC_HEADS_MAX 8
#define MC_HEADS_NAME 64

typedef struct {
    char name[MC_HEADS_NAME]; /* record key, also the caption's "name:" */
    int K;                    /* classes */
    char **classes;           /* K class strings */
    float *weight;            /* K loss weights */
    int wi, bi;               /* tensor indices in the table */
    int opens;                /* 1: the captions open with "name: value," */
    int *min_len;             /* NULL, or K: the fewest tokens decoding writes for a
                                 caption of each class (0: the model's default) */
} mc_field;

typedef struct {
    int nf, C;                  /* fields; feature channels */
    mc_field f[MC_HEADS_MAX];
    mc_params p;                /* the heads' tensors, names without "heads." */
    int cap;                    /* rows the scratch holds */
    float *pooled;              /* (cap,C) mean of each grid */
    float *dpooled;             /* (cap,C) */
    float *logits[MC_HEADS_MAX]; /* (cap,K) of each field */
    float *probs[MC_HEADS_MAX];  /* (cap,K) their softmax */
    float *dlogits;              /* (cap,Kmax) scratch */
} mc_heads;

/* Empty heads over C feature channels. */
mc_heads *mc_heads_new(int C);
/* Add field name with classes[0..K) and loss weights w[0..K) (NULL: all 1);
 * before mc_heads_alloc.  0, or -1 with the reason in err (too many fields,
 * K < 1, a name too long). */
int mc_heads_add(mc_heads *h, const char *name, int K, char *const *classes, const float *w,
                 char *err, size_t errlen);
/* Allocate the tensors (zeroed) once every field is added. */
void mc_heads_alloc(mc_heads *h);
/* Random initial weights (PyTorch nn.Linear's uniform bound 1/sqrt(C)). */
void mc_heads_init(mc_heads *h, uint64_t seed);
/* The fields as the metadata JSON text (malloc'd). */
char *mc_heads_to_json(const mc_heads *h);
/* Heads over C channels from metadata JSON text, their tensors not yet
 * allocated (mc_heads_alloc); NULL with the reason in err. */
mc_heads *mc_heads_from_json(const char *json, int C, char *err, size_t errlen);
/* Index of the field called name, or -1. */
int mc_heads_find(const mc_heads *h, const char *name);
/* Index of class value in field f, or -1. */
int mc_heads_class(const mc_field *f, const char *value);

/* Forward over B grids (B,G,C): h->pooled and h->probs[f] (B,K) are set. */
void mc_heads_forward(mc_heads *h, const float *grid, int B, int G);
/* The loss of the last forward: sum over fields of the weighted mean
 * cross-entropy against targets (nf,B) (-1: unknown, not counted); the
 * per-field value in loss_f (nf) when not NULL. */
double mc_heads_loss(const mc_heads *h, const int *targets, int B, double *loss_f);
/* Backward of mc_heads_loss times scale: accumulates the tensors'
 * gradients and, when dgrid is not NULL, adds into dgrid (B,G,C). */
void mc_heads_backward(mc_heads *h, const int *targets, int B, int G, float scale, float *dgrid);
/* Each field's weighted loss sum loss[i] and weight sum wsum[i] over the
 * batch (mc_heads_loss's field i is loss[i] / wsum[i]), for a mean over
 * batches split between processes. */
void mc_heads_sums(const mc_heads *h, const int *targets, int B, double *loss, double *wsum);
/* mc_heads_backward with field i's loss divided by wnorm[i] instead of
 * its weight sum over this batch (NULL: the batch's own, as
 * mc_heads_backward). */
void mc_heads_backward_norm(mc_heads *h, const int *targets, int B, int G, float scale,
                            const double *wnorm, float *dgrid);
/* The fewest tokens to decode for classes cls (one per field, -1: none):
 * the min_len of the opening field's class where it has one (> 0), else
 * fallback. */
int mc_heads_min_len(const mc_heads *h, const int *cls, int fallback);
/* The most probable class of field i for row b of the last forward, its
 * probability in *p when p is not NULL. */
int mc_heads_argmax(const mc_heads *h, int i, int b, float *p);
void mc_heads_free(mc_heads *h);

#endif

/* embed_model.h - the joint image-text embedding model (medcap-train
 * --objective contrastive, medcap-embed, medcap-retrieve -m): both sides
 * land on the unit sphere of dimension proj_dim.
 *
 *   image: pooled feature vector (C), L2-normalised, minus the training
 *          set's mean ("feature_mean", a buffer), then image_proj (D,C) + b,
 *          L2-normalised
 *   text:  weighted mean of text_embed (V,E) rows over the caption's first
 *          max_len tokens, the weights a softmax of the tokens' scores in
 *          text_pool (V) (each word learns how much it counts), then
 *          text_proj (D,E) + b, L2-normalised
 *   logit_scale (1): log of the InfoNCE inverse temperature
 *
 * Saved as safetensors with metadata "format": "medcap-embedding-model",
 * "config" ({"feature_dim","embed","proj_dim","max_len","vocab"}) and
 * "vocab" (the tokenizer's JSON array).
 */
#ifndef MEDCAP_EMBED_MODEL_H
#define MEDCAP_EMBED_MODEL_H

#include <stddef.h>

#include "core/params.h"
#include "arch/tokenizer.h"

#define MC_EMBED_FORMAT "medcap-embedding-model"

typedef struct {
    int feature_dim, embed, proj_dim, max_len;
} mc_embed_config;

typedef struct {
    mc_embed_config cfg;
    mc_vocab vocab;
    mc_params p;
    int i_mean, i_iw, i_ib, i_emb, i_tu, i_tw, i_tb, i_scale; /* tensor indices in p */
} mc_embed_model;

/* Scratch of one forward pass over up to B items of both sides. */
typedef struct {
    int cap;
    float *tmean;          /* (B,E) pooled word embeddings */
    float *tattn;          /* (B,max_len) pooling weights */
    float *iproj, *tproj;  /* (B,D) before normalisation */
    float *inorm, *tnorm;  /* (B) */
    float *iout, *tout;    /* (B,D) unit embeddings */
} mc_embed_acts;

/* Make m with config cfg and vocabulary vocab (taken over), its parameters
 * zeroed. */
void mc_embed_model_new(mc_embed_model *m, const mc_embed_config *cfg, mc_vocab *vocab);
/* Random initial weights from seed; logit_scale log(1/0.07); mean zero. */
void mc_embed_model_init(mc_embed_model *m, unsigned long seed);
/* Load PATH; 0, or MC_EXIT_IO / MC_EXIT_MODEL (another kind of file, bad
 * config or vocabulary, tensors not matching) with the reason in err. */
int mc_embed_model_load(mc_embed_model *m, const char *path, char *err, size_t errlen);
/* Write m to PATH atomically; 0, or -1 after a message. */
int mc_embed_model_save(const mc_embed_model *m, const char *path);
void mc_embed_model_free(mc_embed_model *m);

/* Token ids of text into tok (max_len), returns how many (<= max_len). */
int mc_embed_tokens(const mc_embed_model *m, const char *text, int *tok);
/* x (C) = the unit-normalised pooled features minus the stored mean. */
void mc_embed_image_input(const mc_embed_model *m, float *x, const float *unit_features);

void mc_embed_acts_alloc(mc_embed_acts *a, const mc_embed_config *cfg, int B);
void mc_embed_acts_free(mc_embed_acts *a);

/* Image side of B inputs x (B,C) (mc_embed_image_input) into a->iout. */
void mc_embed_image_forward(const mc_embed_model *m, mc_embed_acts *a, const float *x, int B);
/* Text side of B token rows tok (B,max_len) with lengths len into a->tout. */
void mc_embed_text_forward(const mc_embed_model *m, mc_embed_acts *a, const int *tok,
                           const int *len, int B);
/* Accumulate into m's gradients from diout, dtout (B,D) (gradients of the
 * unit embeddings) and the forwards' activations (inputs x, tok, len). */
void mc_embed_backward(mc_embed_model *m, const mc_embed_acts *a, const float *x, const int *tok,
                       const int *len, const float *diout, const float *dtout, int B);

/* One item at a time (medcap-embed, medcap-retrieve -m): a loaded model
 * with the scratch of a single image or text. */
typedef struct {
    mc_embed_model m;
    mc_embed_acts a;
    float *feat;      /* (feature_dim) the caller's pooled, unit-length features */
    float *x;         /* (feature_dim) image input */
    int *tok;         /* (max_len) */
} mc_embedder;

/* Load PATH (as mc_embed_model_load, same returns) and allocate the
 * scratch. */
int mc_embedder_open(mc_embedder *e, const char *path, char *err, size_t errlen);
void mc_embedder_close(mc_embedder *e);
/* The unit embedding (proj_dim) of the features in e->feat; valid until
 * the next call. */
const float *mc_embedder_image(mc_embedder *e);
/* The unit embedding (proj_dim) of text; valid until the next call. */
const float *mc_embedder_text(mc_embedder *e, const char *text);

#endif

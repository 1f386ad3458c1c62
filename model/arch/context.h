/* context.h - what is known about the patient as conditioning of the
 * caption model: record fields such as age, sex, body region or clinical
 * notes become one C-vector per image that is added to every cell of its
 * feature grid, so the decoder's initial state, its attention and the
 * field heads all see it.
 *
 * Each field is one of three kinds:
 *   category  the value is one token ("sex=female")
 *   number    bucketed by tens ("age=70-79")
 *   text      tokenised words ("clinical_notes=intubated"), their
 *             embeddings averaged
 * and has an "unknown" row, used for a missing field, a value never seen
 * in training, and (at training) for context dropout.  The vector of an
 * image is the sum over fields of the field's (averaged) rows of the
 * embedding table E (K, C).  E starts at zero, so a model given context
 * starts out as the image-only model.
 *
 * In a model file: tensor "context.embedding" (K, C) and metadata
 * "context", a JSON object {"fields": [{"name", "kind"}], "tokens": [K
 * strings]}; rows 0..nf-1 are the fields' unknown rows ("NAME=?").
 */
#ifndef MEDCAP_CONTEXT_H
#define MEDCAP_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/params.h"
#include "core/strtab.h"

#define MC_CONTEXT_MAX 8
#define MC_CONTEXT_NAME 64
#define MC_CONTEXT_WORDS 32 /* words of a text field that count */

enum { MC_CTX_AUTO = -1, MC_CTX_CATEGORY, MC_CTX_NUMBER, MC_CTX_TEXT };

typedef struct {
    char name[MC_CONTEXT_NAME]; /* record key */
    int kind;                   /* MC_CTX_* */
} mc_ctx_field;

typedef struct {
    int nf, C;
    mc_ctx_field f[MC_CONTEXT_MAX];
    mc_strtab tok;  /* "NAME=VALUE" -> row of E */
    mc_params p;    /* "embedding" (K, C); names without "context." */
    /* the last forward: (row, weight) pairs of each sample */
    int cap, used;  /* pairs the buffers hold / hold now */
    int *row, *first; /* pair rows; first pair of each sample (B+1) */
    float *w;       /* pair weights */
} mc_context;

/* Empty context over C feature channels. */
mc_context *mc_context_new(int C);
/* Add field spec "NAME" or "NAME:category|number|text" (no kind: decided
 * by mc_context_build from the values).  0, or -1 with the reason in err
 * (too many fields, a name too long or repeated, an unknown kind). */
int mc_context_add(mc_context *c, const char *spec, char *err, size_t errlen);
/* Fix each field's kind (AUTO: number when every value is a decimal
 * number, else category) and the token table from the training values
 * vals[i * stride + c->f-index] (NULL: missing) of n samples: tokens seen
 * at least min_freq times; then allocate E (zero). */
void mc_context_build(mc_context *c, char *const *vals, int n, int stride, long min_freq);
/* The value of record field item as context text: a string as is, a
 * number in decimal (buf holds it, n >= 32), NULL for anything else. */
const char *mc_context_value(const cJSON *item, char *buf, size_t n);
/* Forward over B samples: vals[b * stride + i] is field i's value (NULL:
 * missing); each field is read as unknown with probability drop (a
 * deterministic draw from seeds[b] and field i; seeds may be NULL when drop
 * is 0).  Adds the sample's
 * vector to each of the G cells of grid (B,G,C) and keeps the pairs for
 * the backward. */
void mc_context_forward(mc_context *c, float *grid, int B, int G, char *const *vals, int stride,
                        float drop, const uint64_t *seeds);
/* Accumulate E's gradient from dgrid (B,G,C) of the last forward. */
void mc_context_backward(mc_context *c, const float *dgrid, int B, int G);
/* The context as the metadata JSON text (malloc'd). */
char *mc_context_to_json(const mc_context *c);
/* Context over C channels from metadata JSON text, E not yet allocated
 * (mc_params_alloc(&c->p)); NULL with the reason in err. */
mc_context *mc_context_from_json(const char *json, int C, char *err, size_t errlen);
void mc_context_free(mc_context *c);

#endif

/* decoder.h - caption decoder architectures behind one small vtable, so
 * that training, greedy decoding and beam search work with any of them.
 *
 * An architecture appends its tensors to a parameter table (names under a
 * prefix, normally "decoder."), computes teacher-forced logits for a batch
 * and their backward, and advances decoding hypotheses one token at a time.
 * The shared loss (label-smoothed cross-entropy, mc_xent_*) sits outside;
 * an architecture may add its own regulariser (sat-lstm: the doubly
 * stochastic attention penalty) through the value forward returns and the
 * gradient backward adds.
 *
 * Register an architecture with one line in the table of decoder.c.
 */
#ifndef MEDCAP_DECODER_H
#define MEDCAP_DECODER_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "core/params.h"

/* Hyper-parameters of every architecture (each uses the ones it needs);
 * stored in a model file as the JSON string "config". */
typedef struct {
    int vocab;     /* V, tokens including the special ones */
    int grid;      /* G, grid positions of the features */
    int channels;  /* C, feature channels */
    int max_len;   /* longest input sequence (<bos> + words) */
    int embed;     /* E, word embedding (transformer: model width D) */
    int hidden;    /* H, LSTM state (transformer: unused, 4 D) */
    int attention; /* A, additive attention width */
    int layers;    /* transformer blocks */
    int heads;     /* transformer heads */
    float dropout; /* dropout probability while training */
    float alpha_c; /* sat-lstm: weight of the attention penalty */
} mc_decoder_config;

typedef struct mc_decoder_arch mc_decoder_arch;

/* A built decoder: the architecture and its own state. */
typedef struct {
    const mc_decoder_arch *arch;
    mc_decoder_config cfg;
    void *impl;
} mc_decoder;

struct mc_decoder_arch {
    const char *name; /* "sat-lstm", "transformer" */
    /* NULL if cfg is usable by this architecture, else what is wrong. */
    const char *(*config_error)(const mc_decoder_config *cfg);
    /* Append the tensors to p under prefix (p not yet allocated); returns
     * the architecture's state, which keeps p's pointer. */
    void *(*build)(const mc_decoder_config *cfg, mc_params *p, const char *prefix);
    /* Random initial weights from seed (p allocated). */
    void (*init)(void *impl, uint64_t seed);
    /* Teacher-forced forward: logits (B,T,V) for input tokens (B,T)
     * (<bos> w1 .. padded with <pad>) and grid (B,G,C); targets (B,T) are
     * the next tokens (<pad> where there is none: steps not counted by
     * regularisers).  training: dropout on, row b's masks drawn from
     * seeds[b] alone (so a sample's masks do not depend on the batch it is
     * in; seeds may be NULL when not training).  Keeps the activations for
     * backward.  Returns the architecture's extra loss (0 if none). */
    float (*forward)(void *impl, float *logits, const int *tokens, const int *targets,
                     const float *grid, int B, int T, int training, const uint64_t *seeds);
    /* Backward of the last forward from dlogits (B,T,V) (plus the extra
     * loss's own gradient): accumulates into the parameter gradients, and
     * into dgrid (B,G,C) when not NULL. */
    void (*backward)(void *impl, const float *dlogits, float *dgrid);
    /* Decoding.  Per image, a context of ctx_floats (shared by its
     * hypotheses); per hypothesis, a state of state_floats. */
    size_t (*ctx_floats)(void *impl);
    size_t (*state_floats)(void *impl);
    /* Fill ctx and one start state for grid (G,C); grid must stay valid
     * while the image is decoded. */
    void (*start)(void *impl, float *ctx, float *state, const float *grid);
    /* Feed tokens[0..N) at position pos to N hypotheses of one image
     * (states contiguous, N*state_floats, updated in place): logits (N,V)
     * of the next token; att (N,G), when not NULL, the attention weights
     * over the grid used at this step. */
    void (*step)(void *impl, float *logits, float *att, const float *grid, const float *ctx,
                 float *states, const int *tokens, int N, int pos);
    /* Copy a hypothesis state src to dst after pos tokens were fed. */
    void (*state_copy)(void *impl, float *dst, const float *src, int pos);
    void (*free)(void *impl);
};

/* The architecture called name, or NULL. */
const mc_decoder_arch *mc_decoder_arch_find(const char *name);
/* Comma-separated names of all architectures, for messages. */
const char *mc_decoder_arch_names(void);

/* The defaults: embed 256, hidden 512, attention 512, layers 2, heads 4,
 * dropout 0.5, alpha_c 1, max_len 31 (vocab, grid, channels 0). */
void mc_decoder_config_default(mc_decoder_config *c);
/* The configuration as a JSON object text (malloc'd). */
char *mc_decoder_config_to_json(const mc_decoder_config *c);
/* Fill c from JSON object text (missing keys keep c's values); 0, or -1
 * with the reason in err. */
int mc_decoder_config_from_json(mc_decoder_config *c, const char *json, char *err, size_t errlen);

/* Build decoder d of architecture name: its config is checked, its tensors
 * appended to p under prefix.  0, or -1 with the reason in err. */
int mc_decoder_new(mc_decoder *d, const char *name, const mc_decoder_config *cfg, mc_params *p,
                   const char *prefix, char *err, size_t errlen);
void mc_decoder_free(mc_decoder *d);

#endif

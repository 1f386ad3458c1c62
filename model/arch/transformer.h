/* transformer.h - a small Transformer caption decoder (pre-norm blocks of
 * masked self-attention, cross-attention over the encoder grid and a GELU
 * feed-forward layer), forward and backward over a batch with teacher
 * forcing, and one cached decoding step.
 *
 * Network, for tokens (B,T) and a grid (B,G,C):
 *   mem = LN_m(grid Wg^T + bg + grid_pos)                     (B,G,D)
 *   x   = tok_embed[tokens] + pos_embed[t]                     (B,T,D)
 *   per layer:  x += SelfAttn(LN1(x))  (causal)
 *               x += CrossAttn(LN2(x), mem)
 *               x += W2 gelu(W1 LN3(x))                       (hidden 4D)
 *   (while training, dropout on x and on each branch before it is added)
 *   logits = LN_f(x) Wh^T + bh                                 (B,T,V)
 * Parameter names follow PyTorch conventions (linear weights [out,in]).
 */
#ifndef MEDCAP_TRANSFORMER_H
#define MEDCAP_TRANSFORMER_H

#include "core/params.h"

typedef struct {
    int vocab;   /* V */
    int dim;     /* D, model width */
    int layers;  /* L */
    int heads;   /* NH, D % NH == 0 */
    int max_len; /* positions, including <bos> */
    int grid;    /* G, grid positions */
    int channels;/* C, feature channels */
} mc_tf_config;

typedef struct mc_tf mc_tf;

/* Check a configuration: NULL when usable, else what is wrong. */
const char *mc_tf_config_error(const mc_tf_config *c);

/* A network for config c whose tensors are appended to p under prefix
 * (e.g. "" or "decoder.") before mc_params_alloc; p must outlive it. */
mc_tf *mc_tf_new(const mc_tf_config *c, mc_params *p, const char *prefix);
void mc_tf_free(mc_tf *m);

/* Initialise the weights (normal(0, 0.02) matrices, zero biases, unit
 * norms) from seed; p must be allocated. */
void mc_tf_init_random(mc_tf *m, uint64_t seed);

/* Teacher-forced forward: logits (B,T,V) for input tokens (B,T) and grid
 * (B,G,C), T <= max_len.  With dropout > 0 (training), inverted dropout
 * with that probability on the embeddings and on each residual branch,
 * row b's masks drawn from seeds[b] alone (seeds may be NULL without
 * dropout).  Keeps the activations for mc_tf_backward. */
void mc_tf_forward(mc_tf *m, float *logits, const int *tokens, const float *grid, int B, int T,
                   float dropout, const uint64_t *seeds);

/* Backward of the last forward from dlogits (B,T,V): accumulates into the
 * parameter gradients, and into dgrid (B,G,C) when it is not NULL. */
void mc_tf_backward(mc_tf *m, const float *dlogits, float *dgrid);

/* Decoding.  The context of one image (ctx_floats: the cross-attention
 * keys and values of its grid) is shared by its hypotheses; the state of
 * one hypothesis (state_floats: self-attention keys and values of the
 * positions so far) is its own. */
size_t mc_tf_ctx_floats(const mc_tf *m);
size_t mc_tf_state_floats(const mc_tf *m);
/* Fill ctx for one image grid (G,C). */
void mc_tf_start(mc_tf *m, float *ctx, const float *grid);
/* Feed tokens[0..N) at position pos (0 for <bos>, pos < max_len) to N
 * hypotheses of one image (states contiguous, N*state_floats, updated in
 * place): logits (N,V) of the next token; att (N,G), when not NULL,
 * receives the last layer's cross-attention weights averaged over heads. */
void mc_tf_step(mc_tf *m, float *logits, float *att, const float *ctx, float *states,
                const int *tokens, int N, int pos);
/* Copy a hypothesis state after pos tokens were fed. */
void mc_tf_state_copy(const mc_tf *m, float *dst, const float *src, int pos);

#endif

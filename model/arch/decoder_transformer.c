/* decoder_transformer.c - the "transformer" caption decoder architecture:
 * model/arch/transformer.c behind the decoder vtable of decoder.h.
 *
 * Configuration used: vocab, grid, channels, max_len, embed (the model
 * width D), layers, heads, dropout.  hidden, attention and alpha_c belong
 * to sat-lstm and are ignored (the feed-forward width is 4 D).
 */
#define _POSIX_C_SOURCE 200809L
#include "arch/decoder.h"
#include "arch/transformer.h"
#include "core/util.h"

#include <stdlib.h>

/* The transformer's own configuration from the shared one. */
static mc_tf_config tf_config(const mc_decoder_config *c)
{
    mc_tf_config t = {.vocab = c->vocab,
                      .dim = c->embed,
                      .layers = c->layers,
                      .heads = c->heads,
                      .max_len = c->max_len,
                      .grid = c->grid,
                      .channels = c->channels};
    return t;
}

/* The network and the dropout probability it trains with. */
typedef struct {
    mc_tf *net;
    float dropout;
} tf_decoder;

static const char *tfd_config_error(const mc_decoder_config *c)
{
    mc_tf_config t = tf_config(c);
    return mc_tf_config_error(&t);
}

static void *tfd_build(const mc_decoder_config *c, mc_params *p, const char *prefix)
{
    tf_decoder *d = mc_calloc(1, sizeof *d);
    mc_tf_config t = tf_config(c);
    d->net = mc_tf_new(&t, p, prefix);
    d->dropout = c->dropout;
    return d;
}

static void tfd_init(void *impl, uint64_t seed)
{
    mc_tf_init_random(((tf_decoder *)impl)->net, seed);
}

static float tfd_forward(void *impl, float *logits, const int *tokens, const int *targets,
                         const float *grid, int B, int T, int training, const uint64_t *seeds)
{
    tf_decoder *d = impl;
    (void)targets; /* no regulariser of its own */
    mc_tf_forward(d->net, logits, tokens, grid, B, T, training ? d->dropout : 0.0f, seeds);
    return 0.0f;
}

static void tfd_backward(void *impl, const float *dlogits, float *dgrid)
{
    mc_tf_backward(((tf_decoder *)impl)->net, dlogits, dgrid);
}

static size_t tfd_ctx_floats(void *impl) { return mc_tf_ctx_floats(((tf_decoder *)impl)->net); }

static size_t tfd_state_floats(void *impl)
{
    return mc_tf_state_floats(((tf_decoder *)impl)->net);
}

static void tfd_start(void *impl, float *ctx, float *state, const float *grid)
{
    (void)state; /* the self-attention cache starts empty */
    mc_tf_start(((tf_decoder *)impl)->net, ctx, grid);
}

static void tfd_step(void *impl, float *logits, float *att, const float *grid, const float *ctx,
                     float *states, const int *tokens, int N, int pos)
{
    (void)grid; /* its keys and values are in ctx */
    mc_tf_step(((tf_decoder *)impl)->net, logits, att, ctx, states, tokens, N, pos);
}

static void tfd_state_copy(void *impl, float *dst, const float *src, int pos)
{
    mc_tf_state_copy(((tf_decoder *)impl)->net, dst, src, pos);
}

static void tfd_free(void *impl)
{
    tf_decoder *d = impl;
    mc_tf_free(d->net);
    free(d);
}

const mc_decoder_arch mc_transformer_arch = {
    .name = "transformer",
    .config_error = tfd_config_error,
    .build = tfd_build,
    .init = tfd_init,
    .forward = tfd_forward,
    .backward = tfd_backward,
    .ctx_floats = tfd_ctx_floats,
    .state_floats = tfd_state_floats,
    .start = tfd_start,
    .step = tfd_step,
    .state_copy = tfd_state_copy,
    .free = tfd_free,
};

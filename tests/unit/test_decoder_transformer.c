/* test_decoder_transformer.c - the Transformer caption decoder as a whole:
 * gradient of a loss with respect to every parameter tensor and to the
 * grid against central differences, and cached one-step decoding against
 * the teacher-forced forward; then the "transformer" architecture through
 * the decoder vtable, with the training loss (label-smoothed
 * cross-entropy over non-pad targets, dropout on), and its learning of
 * four short sequences.  Exits 1 on failure.
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "nn/adamw.h"
#include "arch/decoder.h"
#include "gradcheck.h"
#include "core/params.h"
#include "arch/transformer.h"
#include "nn/xent.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { B = 2, T = 5 };
static const mc_tf_config cfg = {
    .vocab = 11, .dim = 8, .layers = 2, .heads = 2, .max_len = 6, .grid = 4, .channels = 5};

static float dropout; /* probability used by every forward of a check */

/* Count a failure of a check that printed its own line. */
static void check_quiet(int ok)
{
    if (!ok)
        failures++;
}

static uint64_t rs = 12345;
static float urand(void)
{
    rs = rs * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((rs >> 40) / (double)(1u << 24)) * 2.0f - 1.0f;
}

/* What the loss needs: the network, its inputs and the weights of the
 * logits in the loss. */
typedef struct {
    mc_tf *m;
    float *logits, *grid;
    const int *tok;
    const float *r;
} loss_ctx;

/* L = sum(logits * r), in double. */
static double loss(void *c)
{
    loss_ctx *l = c;
    double s = 0.0;
    mc_tf_forward(l->m, l->logits, l->tok, l->grid, B, T, dropout, (const uint64_t[]){99, 100});
    for (size_t i = 0; i < (size_t)B * T * cfg.vocab; i++)
        s += (double)l->logits[i] * l->r[i];
    return s;
}

/* The decoder built through the vtable, and one batch for its loss. */
static mc_decoder dec;
static float vt_logits[B * T * 11], vt_probs[B * T * 11];
/* the second sequence ends early: its last targets are <pad> */
static const int vt_tokens[B * T] = {1, 4, 5, 6, 7, 1, 8, 9, 2, 0};
static const int vt_targets[B * T] = {4, 5, 6, 7, 2, 8, 9, 2, 0, 0};

/* Mean label-smoothed cross-entropy of the batch, dropout 0.2 under a fixed seed. */
static double vt_loss(void *grid)
{
    int count;
    float extra = dec.arch->forward(dec.impl, vt_logits, vt_tokens, vt_targets, grid, B, T, 1, (const uint64_t[]){5, 6});
    double ce = mc_xent_forward(vt_probs, vt_logits, vt_targets, B * T, cfg.vocab, 0.1f, &count);
    return ce / count + extra;
}

static void test_vtable(float *grid)
{
    mc_decoder_config dc;
    mc_params p;
    char err[256];
    float dlogits[B * T * 11] = {0}, dgrid[B * 4 * 5] = {0};
    int count;
    mc_decoder_config_default(&dc);
    dc.vocab = cfg.vocab, dc.grid = cfg.grid, dc.channels = cfg.channels;
    dc.max_len = cfg.max_len, dc.embed = cfg.dim, dc.layers = cfg.layers, dc.heads = cfg.heads;
    dc.dropout = 0.2f;
    mc_params_init(&p);
    dc.heads = 3;
    check(mc_decoder_new(&dec, "transformer", &dc, &p, "decoder.", err, sizeof err) != 0 &&
              strstr(err, "transformer config") != NULL,
          "vtable: width not a multiple of heads refused");
    dc.heads = cfg.heads;
    if (mc_decoder_new(&dec, "transformer", &dc, &p, "decoder.", err, sizeof err) != 0) {
        printf("FAIL vtable: %s\n", err);
        failures++;
        return;
    }
    mc_params_alloc(&p);
    dec.arch->init(dec.impl, 3);
    for (size_t i = 0; i < p.total; i++)
        p.data[i] += 0.3f * urand();
    mc_params_zero_grad(&p);
    vt_loss(grid);
    mc_xent_forward(vt_probs, vt_logits, vt_targets, B * T, cfg.vocab, 0.1f, &count);
    mc_xent_backward(dlogits, vt_probs, vt_targets, B * T, cfg.vocab, 0.1f, 1.0f / count);
    dec.arch->backward(dec.impl, dlogits, dgrid);
    for (int i = 0; i < p.n; i++)
        check_quiet(gc_check(p.t[i].name, vt_loss, grid, mc_params_at(&p, i), p.t[i].count,
                             p.grad + p.t[i].offset, 16, 2e-2, 1e-3));
    check_quiet(gc_check("grid", vt_loss, grid, grid, B * 4 * 5, dgrid, 0, 2e-2, 1e-3));
    mc_decoder_free(&dec);
    mc_params_free(&p);
}

/* Learning: on four sequences of a tiny vocabulary with their grids,
 * AdamW drives the training loss near zero, and greedy decoding with the
 * cached step then reproduces every sequence. */
static void test_learns(void)
{
    enum { LB = 4, LT = 6, LG = 9, LC = 16, LV = 20 };
    static float grid[LB * LG * LC], logits[LB * LT * LV], probs[LB * LT * LV];
    static float dlogits[LB * LT * LV];
    int tok[LB * LT], tgt[LB * LT], count, exact = 0;
    double l = 0.0;
    mc_decoder_config dc;
    mc_decoder d;
    mc_params p;
    char err[256];
    mc_decoder_config_default(&dc);
    dc.vocab = LV, dc.grid = LG, dc.channels = LC, dc.max_len = LT;
    dc.embed = 32, dc.layers = 2, dc.heads = 4, dc.dropout = 0.1f;
    mc_params_init(&p);
    if (mc_decoder_new(&d, "transformer", &dc, &p, "decoder.", err, sizeof err) != 0) {
        printf("FAIL learning: %s\n", err);
        failures++;
        return;
    }
    mc_params_alloc(&p);
    d.arch->init(d.impl, 1);
    for (int i = 0; i < LB * LG * LC; i++)
        grid[i] = urand();
    /* <bos> w1 .. w5 -> w1 .. w5 <eos>, different words for each image */
    for (int b = 0; b < LB; b++) {
        tok[b * LT] = 1;
        for (int t = 0; t < LT; t++) {
            int w = 4 + (b * 5 + t * 3) % 16;
            tgt[b * LT + t] = t == LT - 1 ? 2 : w;
            if (t + 1 < LT)
                tok[b * LT + t + 1] = w;
        }
    }
    for (int step = 1; step <= 300; step++) {
        mc_params_zero_grad(&p);
        d.arch->forward(d.impl, logits, tok, tgt, grid, LB, LT, 1,
                        (const uint64_t[]){(uint64_t)step, step + 1u, step + 2u, step + 3u});
        l = mc_xent_forward(probs, logits, tgt, LB * LT, LV, 0.0f, &count) / count;
        memset(dlogits, 0, sizeof dlogits);
        mc_xent_backward(dlogits, probs, tgt, LB * LT, LV, 0.0f, 1.0f / count);
        d.arch->backward(d.impl, dlogits, NULL);
        mc_clip_grad_norm(&p, 5.0f);
        mc_adamw_step(&p, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, step);
    }
    char msg[96];
    snprintf(msg, sizeof msg, "learning: training loss %.4f below 0.1", l);
    check(l < 0.1, msg);

    size_t cf = d.arch->ctx_floats(d.impl), sf = d.arch->state_floats(d.impl);
    float *ctx = malloc(cf * sizeof *ctx), *state = malloc(sf * sizeof *state), step_logits[LV];
    for (int b = 0; b < LB; b++) {
        int token = 1, same = 1;
        const float *g = grid + (size_t)b * LG * LC;
        d.arch->start(d.impl, ctx, state, g);
        for (int t = 0; t < LT; t++) {
            int best = 0;
            d.arch->step(d.impl, step_logits, NULL, g, ctx, state, &token, 1, t);
            for (int v = 1; v < LV; v++)
                if (step_logits[v] > step_logits[best])
                    best = v;
            same &= best == tgt[b * LT + t];
            token = best;
        }
        exact += same;
    }
    snprintf(msg, sizeof msg, "learning: greedy decoding reproduces %d of %d sequences", exact,
             (int)LB);
    check(exact == LB, msg);
    free(ctx), free(state);
    mc_decoder_free(&d);
    mc_params_free(&p);
}

int main(void)
{
    mc_params p;
    int tok[B * T];
    float grid[B * 4 * 5], dgrid[B * 4 * 5] = {0};
    size_t nl = (size_t)B * T * cfg.vocab;
    float *logits = malloc(nl * sizeof *logits), *r = malloc(nl * sizeof *r);
    mc_tf *m;

    check(mc_tf_config_error(&cfg) == NULL, "config accepted");
    mc_tf_config bad = cfg;
    bad.heads = 3;
    check(mc_tf_config_error(&bad) != NULL, "width not a multiple of heads refused");

    mc_params_init(&p);
    m = mc_tf_new(&cfg, &p, "decoder.");
    mc_params_alloc(&p);
    mc_tf_init_random(m, 7);
    /* larger weights than the 0.02 default, so every path carries gradient */
    for (size_t i = 0; i < p.total; i++)
        p.data[i] += 0.3f * urand();
    check(mc_params_find(&p, "decoder.layers.1.cross_attn.k_proj.weight") >= 0,
          "PyTorch-style names under the prefix");
    for (int i = 0; i < B * T; i++)
        tok[i] = (i * 7 + 3) % cfg.vocab;
    for (size_t i = 0; i < sizeof grid / sizeof *grid; i++)
        grid[i] = urand();
    for (size_t i = 0; i < nl; i++)
        r[i] = urand();

    float *grad = malloc(p.total * sizeof *grad);
    loss_ctx lc = {.m = m, .logits = logits, .grid = grid, .tok = tok, .r = r};
    double worst;
    /* without and with dropout (the same seed gives the same masks, so the
       loss stays a smooth function of the weights) */
    for (int pass = 0; pass < 2; pass++) {
        dropout = pass ? 0.3f : 0.0f;
        printf("-- dropout %.1f\n", dropout);
        mc_params_zero_grad(&p);
        memset(dgrid, 0, sizeof dgrid);
        mc_tf_forward(m, logits, tok, grid, B, T, dropout, (const uint64_t[]){99, 100});
        mc_tf_backward(m, r, dgrid);
        memcpy(grad, p.grad, p.total * sizeof *grad);
        /* 16 elements of each tensor; the absolute bound covers gradients
           that are exactly zero, such as the key biases (softmax ignores a
           shift shared by all keys) */
        for (int i = 0; i < p.n; i++)
            check_quiet(gc_check(p.t[i].name, loss, &lc, mc_params_at(&p, i), p.t[i].count,
                                 grad + p.t[i].offset, 16, 2e-2, 2e-3));
        check_quiet(gc_check("grid", loss, &lc, grid, sizeof grid / sizeof *grid, dgrid, 16, 2e-2,
                             2e-3));
    }

    /* a second backward accumulates: gradients double */
    mc_tf_forward(m, logits, tok, grid, B, T, dropout, (const uint64_t[]){99, 100});
    mc_tf_backward(m, r, NULL);
    worst = 0.0;
    for (size_t i = 0; i < p.total; i++)
        worst = fmax(worst, fabs(p.grad[i] - 2.0f * grad[i]));
    check(worst < 1e-4, "backward accumulates");
    dropout = 0.0f;

    /* cached steps reproduce the teacher-forced logits: both sequences of
       the batch decoded as two hypotheses of one image each, and the
       second moved to a fresh state half way, as beam search does */
    size_t sf = mc_tf_state_floats(m), cf = mc_tf_ctx_floats(m);
    float *state = malloc(3 * sf * sizeof *state), *ctx = malloc(2 * cf * sizeof *ctx);
    float step[2 * 11], att[2 * 4];
    mc_tf_forward(m, logits, tok, grid, B, T, dropout, (const uint64_t[]){99, 100});
    worst = 0.0;
    for (int b = 0; b < B; b++)
        mc_tf_start(m, ctx + b * cf, grid + (size_t)b * 4 * 5);
    for (int t = 0; t < T; t++) {
        if (t == 2) {
            mc_tf_state_copy(m, state + 2 * sf, state + sf, t);
            memcpy(state + sf, state + 2 * sf, sf * sizeof *state);
        }
        for (int b = 0; b < B; b++) {
            mc_tf_step(m, step, att, ctx + b * cf, state + b * sf, &tok[b * T + t], 1, t);
            for (int v = 0; v < cfg.vocab; v++)
                worst = fmax(worst, fabs(step[v] - logits[((size_t)b * T + t) * cfg.vocab + v]));
        }
    }
    check(worst < 1e-4, "cached one-step decoding equals the teacher-forced forward");
    float asum = att[0] + att[1] + att[2] + att[3];
    check(fabsf(asum - 1.0f) < 1e-5f, "step attention weights sum to 1");

    /* two hypotheses of one image stepped together equal each alone */
    int two[2] = {3, 7};
    float both[2 * 11], alone[11];
    mc_tf_start(m, ctx, grid);
    mc_tf_step(m, both, NULL, ctx, state, two, 2, 0);
    mc_tf_step(m, alone, NULL, ctx, state + 2 * sf, &two[1], 1, 0);
    worst = 0.0;
    for (int v = 0; v < cfg.vocab; v++)
        worst = fmax(worst, fabs(both[11 + v] - alone[v]));
    check(worst < 1e-5, "hypotheses stepped together equal each stepped alone");

    printf("-- through the decoder vtable, training loss\n");
    test_vtable(grid);
    test_learns();

    free(state), free(ctx), free(grad), free(logits), free(r);
    mc_tf_free(m);
    mc_params_free(&p);
    if (failures) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}

/* test_decoder_sizes.c - every decoder architecture at tiny and odd sizes
 * (1, 3, 7 and mixtures: batch, steps, grid, channels, widths): the
 * gradient of the training loss (label-smoothed cross-entropy over the
 * non-pad targets plus the architecture's extra loss, dropout on under a
 * fixed seed) with respect to every parameter tensor and the grid against
 * central differences, and a decoding step against the training forward.
 * Work space cut too small for such sizes shows as an overflow under
 * AddressSanitizer (make check SANITIZE=1).  Exits 1 on failure.
 */
#define _POSIX_C_SOURCE 200809L
#include "arch/decoder.h"
#include "arch/tokenizer.h"
#include "nn/xent.h"

#include "check.h"
#include "gradcheck.h"
#include "testrand.h"

#include <stdlib.h>

/* One size: batch B, steps T, grid G, channels C, vocabulary V and the
 * widths (sat-lstm: embed E, hidden H, attention A; transformer: model
 * width E with `heads` heads). */
typedef struct {
    int B, T, G, C, V, E, H, A, heads;
} size_case;

/* The decoder under test and one batch. */
typedef struct {
    mc_decoder dec;
    size_case s;
    int *tok, *tgt;
    float *grid, *logits, *probs;
} batch;

/* Row b's dropout seed: 7 + b (B is at most 7). */
static const uint64_t seeds[] = {7, 8, 9, 10, 11, 12, 13};

/* Mean label-smoothed cross-entropy of the batch plus the extra loss,
 * dropout 0.2 under the seeds above. */
static double batch_loss(void *ctx)
{
    batch *b = ctx;
    const size_case *s = &b->s;
    int count;
    float extra = b->dec.arch->forward(b->dec.impl, b->logits, b->tok, b->tgt, b->grid, s->B,
                                       s->T, 1, seeds);
    double ce = mc_xent_forward(b->probs, b->logits, b->tgt, s->B * s->T, s->V, 0.1f, &count);
    return ce / count + extra;
}

/* Gradient check of arch at size s, then one decoding step of the first
 * image against the forward without dropout. */
static void check_size(const char *arch, size_case s)
{
    mc_decoder_config cfg;
    mc_params p;
    batch b = {.s = s};
    char err[256], what[256];
    size_t nl = (size_t)s.B * s.T * s.V, ng = (size_t)s.B * s.G * s.C;
    float *dlogits = calloc(nl, sizeof *dlogits), *dgrid = calloc(ng, sizeof *dgrid);
    int count, ok = 1;
    mc_decoder_config_default(&cfg);
    cfg.vocab = s.V, cfg.grid = s.G, cfg.channels = s.C, cfg.max_len = s.T > 1 ? s.T : 2;
    cfg.embed = s.E, cfg.hidden = s.H, cfg.attention = s.A, cfg.layers = 1, cfg.heads = s.heads;
    cfg.dropout = 0.2f;
    mc_params_init(&p);
    snprintf(what, sizeof what, "%s B%d T%d G%d C%d V%d E%d H%d A%d heads %d", arch, s.B, s.T,
             s.G, s.C, s.V, s.E, s.H, s.A, s.heads);
    printf("-- %s\n", what);
    if (mc_decoder_new(&b.dec, arch, &cfg, &p, "decoder.", err, sizeof err) != 0) {
        printf("FAIL %s: %s\n", what, err);
        failures++;
        return;
    }
    mc_params_alloc(&p);
    b.dec.arch->init(b.dec.impl, 3);
    for (size_t i = 0; i < p.total; i++) /* larger weights: gradients well above float noise */
        p.data[i] += 0.5f * urand();
    b.tok = malloc((size_t)s.B * s.T * sizeof *b.tok);
    b.tgt = malloc((size_t)s.B * s.T * sizeof *b.tgt);
    b.grid = rand_buf(ng, 1.0f);
    b.logits = malloc(nl * sizeof *b.logits);
    b.probs = malloc(nl * sizeof *b.probs);
    /* <bos> w.. -> w.. <eos>; the last row's last target is <pad> when T > 1 */
    for (int i = 0; i < s.B * s.T; i++) {
        int t = i % s.T;
        b.tok[i] = t == 0 ? MC_TOK_BOS : 4 + (i * 5) % (s.V - 4);
        b.tgt[i] = t == s.T - 1 ? MC_TOK_EOS : 4 + ((i + 1) * 5) % (s.V - 4);
    }
    if (s.T > 1)
        b.tgt[s.B * s.T - 1] = MC_TOK_PAD;
    mc_params_zero_grad(&p);
    batch_loss(&b);
    mc_xent_forward(b.probs, b.logits, b.tgt, s.B * s.T, s.V, 0.1f, &count);
    mc_xent_backward(dlogits, b.probs, b.tgt, s.B * s.T, s.V, 0.1f, 1.0f / count);
    b.dec.arch->backward(b.dec.impl, dlogits, dgrid);
    for (int k = 0; k < p.n; k++)
        ok &= gc_check(p.t[k].name, batch_loss, &b, mc_params_at(&p, k), p.t[k].count,
                       p.grad + p.t[k].offset, 24, 2e-2, 1e-3);
    ok &= gc_check("grid", batch_loss, &b, b.grid, ng, dgrid, 24, 2e-2, 1e-3);
    check(ok, what);

    /* the first image's first step equals the forward's first logits */
    {
        size_t cf = b.dec.arch->ctx_floats(b.dec.impl), sf = b.dec.arch->state_floats(b.dec.impl);
        float *ctx = malloc(cf * sizeof *ctx), *st = malloc(sf * sizeof *st);
        float *lg = malloc((size_t)s.V * sizeof *lg), *att = malloc((size_t)s.G * sizeof *att);
        float worst = 0.0f;
        b.dec.arch->forward(b.dec.impl, b.logits, b.tok, b.tgt, b.grid, s.B, s.T, 0, NULL);
        b.dec.arch->start(b.dec.impl, ctx, st, b.grid);
        b.dec.arch->step(b.dec.impl, lg, att, b.grid, ctx, st, b.tok, 1, 0);
        for (int v = 0; v < s.V; v++)
            if (fabsf(lg[v] - b.logits[v]) > worst)
                worst = fabsf(lg[v] - b.logits[v]);
        snprintf(what, sizeof what, "%s: first decoding step equals the forward (%.1e)", arch,
                 worst);
        check(worst < 1e-4f, what);
        free(ctx), free(st), free(lg), free(att);
    }
    /* with dropout, the last image's logits alone (its seed, a batch of
     * one) equal its row of the whole batch's: masks follow the sample */
    if (s.B > 1) {
        size_t row = (size_t)s.T * s.V, last = (size_t)(s.B - 1);
        float *alone = malloc(row * sizeof *alone), worst = 0.0f;
        b.dec.arch->forward(b.dec.impl, b.logits, b.tok, b.tgt, b.grid, s.B, s.T, 1, seeds);
        b.dec.arch->forward(b.dec.impl, alone, b.tok + last * s.T, b.tgt + last * s.T,
                            b.grid + last * s.G * s.C, 1, s.T, 1, seeds + last);
        for (size_t k = 0; k < row; k++)
            if (fabsf(alone[k] - b.logits[last * row + k]) > worst)
                worst = fabsf(alone[k] - b.logits[last * row + k]);
        snprintf(what, sizeof what, "%s: a sample's dropout does not depend on its batch (%.1e)",
                 arch, worst);
        check(worst < 1e-4f, what);
        free(alone);
    }
    free(b.tok), free(b.tgt), free(b.grid), free(b.logits), free(b.probs);
    free(dlogits), free(dgrid);
    mc_decoder_free(&b.dec);
    mc_params_free(&p);
}

int main(void)
{
    /*                      B  T  G  C  V  E  H  A  heads */
    static const size_case sizes[] = {{1, 1, 1, 1, 5, 1, 1, 1, 1},
                                      {3, 3, 3, 3, 7, 3, 3, 3, 3},
                                      {7, 7, 7, 7, 7, 7, 7, 7, 7},
                                      {1, 7, 3, 1, 5, 7, 3, 1, 1},
                                      {3, 1, 7, 3, 7, 3, 1, 7, 1},
                                      {7, 3, 1, 7, 5, 1, 7, 3, 1}};
    static const char *archs[] = {"sat-lstm", "transformer"};
    for (size_t a = 0; a < sizeof archs / sizeof *archs; a++)
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
            check_size(archs[a], sizes[i]);
    if (failures)
        printf("%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}

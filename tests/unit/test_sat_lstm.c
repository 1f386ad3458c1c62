/* test_sat_lstm.c - the whole sat-lstm decoder against finite differences:
 * the loss (label-smoothed cross-entropy over the non-pad targets plus the
 * attention penalty, with dropout under a fixed seed) with respect to every
 * parameter tensor and the grid; the decoding step against the training
 * forward; and the word tokenizer and vocabulary.  Exits 1 on failure.
 */
#define _POSIX_C_SOURCE 200809L
#include "arch/decoder.h"
#include "arch/tokenizer.h"
#include "nn/xent.h"

#include "gradcheck_dec.h"

#include <string.h>

enum { B = 2, T = 4, G = 3, C = 4, V = 7 };

static mc_decoder dec;
static mc_params P;
static float grid[B * G * C], logits[B * T * V], probs[B * T * V];
/* second row ends early: the last step's target is pad */
static const int tokens[B * T] = {1, 4, 5, 6, 1, 6, 2, 0}, targets[B * T] = {4, 5, 6, 2, 6, 2, 0, 0};

static double loss(void *ctx)
{
    int count;
    double ce;
    float extra = dec.arch->forward(dec.impl, logits, tokens, targets, grid, B, T, 1, (const uint64_t[]){99, 100});
    (void)ctx;
    ce = mc_xent_forward(probs, logits, targets, B * T, V, 0.1f, &count);
    return ce / count + extra;
}

static void test_gradients(void)
{
    mc_decoder_config cfg;
    char err[256], what[160];
    float dlogits[B * T * V] = {0}, dgrid[B * G * C] = {0};
    int count;
    mc_decoder_config_default(&cfg);
    cfg.vocab = V;
    cfg.grid = G;
    cfg.channels = C;
    cfg.embed = 3;
    cfg.hidden = 5;
    cfg.attention = 4;
    cfg.dropout = 0.3f;
    cfg.alpha_c = 1.0f;
    mc_params_init(&P);
    if (mc_decoder_new(&dec, "sat-lstm", &cfg, &P, "decoder.", err, sizeof err) != 0) {
        printf("FAIL %s\n", err);
        exit(1);
    }
    mc_params_alloc(&P);
    dec.arch->init(dec.impl, 5);
    for (size_t i = 0; i < P.total; i++) /* larger weights: gradients well above float noise */
        P.data[i] *= 4.0f;
    for (int i = 0; i < B * G * C; i++)
        grid[i] = fabsf(urand());
    mc_params_zero_grad(&P);
    loss(NULL);
    mc_xent_forward(probs, logits, targets, B * T, V, 0.1f, &count);
    mc_xent_backward(dlogits, probs, targets, B * T, V, 0.1f, 1.0f / count);
    dec.arch->backward(dec.impl, dlogits, dgrid);
    check(P.n == 19, "sat-lstm has the 19 tensors of the PyTorch reference");
    for (int k = 0; k < P.n; k++) {
        snprintf(what, sizeof what, "sat-lstm %s", P.t[k].name);
        gradcheck(what, loss, NULL, mc_params_at(&P, k), P.grad + P.t[k].offset, P.t[k].count,
                  1e-2f, 2e-2);
    }
    gradcheck("sat-lstm grid", loss, NULL, grid, dgrid, B * G * C, 1e-2f, 2e-2);
}

/* Without dropout, decoding step by step gives the training logits. */
static void test_step_matches_forward(void)
{
    size_t cf = dec.arch->ctx_floats(dec.impl), sf = dec.arch->state_floats(dec.impl);
    float *ctx = malloc(cf * sizeof *ctx), *st = malloc(sf * sizeof *st), lg[V];
    float maxd = 0;
    dec.arch->forward(dec.impl, logits, tokens, targets, grid, B, T, 0, NULL);
    dec.arch->start(dec.impl, ctx, st, grid + G * C); /* image 1 */
    for (int t = 0; t < T; t++) {
        dec.arch->step(dec.impl, lg, NULL, grid + G * C, ctx, st, &tokens[T + t], 1, t);
        for (int v = 0; v < V; v++)
            if (fabsf(lg[v] - logits[(T + t) * V + v]) > maxd)
                maxd = fabsf(lg[v] - logits[(T + t) * V + v]);
    }
    check(maxd < 1e-4f, "decoding steps reproduce the teacher-forced logits");
    free(ctx);
    free(st);
}

static void test_tokenizer(void)
{
    mc_wordcount *wc = mc_wordcount_new();
    mc_vocab v, w;
    char err[128], *json, *text;
    int ids[16], n;
    mc_wordcount_add(wc, "T2-weighted MRI, 3.5 cm mass.");
    mc_wordcount_add(wc, "MRI shows a mass; no, MRI artefact");
    mc_vocab_build(&v, wc, 2, 100);
    check(v.n == 7 && strcmp(v.word[4], "mri") == 0 && strcmp(v.word[5], ",") == 0 &&
              strcmp(v.word[6], "mass") == 0,
          "vocabulary: specials, then words by frequency over min_freq (ties in byte order)");
    n = mc_vocab_encode_nostop(&v, "MRI: mass, 3.5", ids, 16);
    check(n == 6 && ids[0] == 4 && ids[1] == MC_TOK_UNK && ids[2] == 6 && ids[3] == 5 &&
              ids[4] == MC_TOK_UNK && ids[5] == MC_TOK_UNK,
          "encode_nostop: as before full stops: '3.5' splits, no '.'");
    n = mc_vocab_encode(&v, "MRI: mass, 3.5 cm. Done", ids, 16);
    check(n == 8 && ids[0] == 4 && ids[1] == MC_TOK_UNK && ids[2] == 6 && ids[3] == 5 &&
              ids[4] == MC_TOK_UNK && ids[5] == MC_TOK_UNK && ids[6] == MC_TOK_UNK && ids[7] == MC_TOK_UNK,
          "encode: lower-case, ':' ',' '.' kept as tokens, '3.5' one token, other punctuation dropped, "
          "numbers kept, unknown words <unk>");
    json = mc_vocab_to_json(&v);
    check(mc_vocab_from_json(&w, json, err, sizeof err) == 0 && w.n == v.n, "vocabulary JSON round trip");
    ids[0] = 1, ids[1] = 4, ids[2] = 6, ids[3] = 5, ids[4] = 6, ids[5] = 2;
    text = mc_vocab_decode(&w, ids, 6);
    check(strcmp(text, "mri mass, mass") == 0,
          "decode joins words, no space before a comma, skips special tokens");
    n = mc_vocab_encode(&v, "T2-weighted/MRI -mass- a/", ids, 16);
    check(n == 3 && ids[0] == MC_TOK_UNK && ids[1] == 6 && ids[2] == MC_TOK_UNK,
          "a hyphen or slash between word characters stays in the word, elsewhere it separates");
    mc_vocab_free(&w);
    check(mc_vocab_from_json(&w, "[\"<pad>\",\"<bos>\",\"<eos>\",\"<unk>\",\"a\",\"a\"]", err,
                             sizeof err) == -1 && strstr(err, "duplicate"),
          "a duplicate word is refused");
    check(mc_vocab_from_json(&w, "[\"x\",\"<bos>\",\"<eos>\",\"<unk>\",\"a\"]", err, sizeof err) == -1,
          "special tokens must come first");
    mc_vocab_build(&w, wc, 1, 6);
    check(w.n == 6, "maximum size caps the vocabulary");
    mc_vocab_free(&w);
    free(json);
    free(text);
    mc_vocab_free(&v);
    mc_wordcount_free(wc);
}

int main(void)
{
    test_gradients();
    test_step_matches_forward();
    test_tokenizer();
    mc_decoder_free(&dec);
    mc_params_free(&P);
    if (failures)
        printf("%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}

/* sat_lstm.c - the "sat-lstm" decoder: Show, Attend and Tell (Xu et al.,
 * 2015).  For a grid (B,G,C) and input tokens (B,T):
 *   mean = mean_g grid;  h0 = init_h(mean);  c0 = init_c(mean)
 *   pgrid = att_feat(grid)                                   (B,G,A), once
 *   each step t:
 *     alpha, ctx = additive attention(pgrid, att_hidden(h), grid)
 *     ctx  = sigmoid(gate(h)) * ctx                            gating
 *     h, c = LSTMCell([embedding(token_t); ctx], (h, c))
 *     logits_t = out(dropout(h))
 * plus the doubly stochastic attention penalty
 *   alpha_c * mean_{b,g} (1 - sum_t alpha[b,t,g])^2 over counted steps.
 * Tensor names are those of the PyTorch reference (bench/decoder_torch.py)
 * under the prefix.  The embedding part of the LSTM input projection is one
 * GEMM over all steps; each step is batched sgemm over B.
 */
#define _POSIX_C_SOURCE 200809L
#include "nn/additive_attention.h"
#include "arch/decoder.h"
#include "nn/dropout.h"
#include "nn/embedding.h"
#include "core/carve.h"
#include "core/fastmath.h"
#include "nn/linear.h"
#include "nn/lstm.h"
#include "core/prng.h"
#include "core/vecmath.h"
#include "arch/tokenizer.h"
#include "core/util.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    EMB, INIT_H_W, INIT_H_B, INIT_C_W, INIT_C_B, ATT_F_W, ATT_F_B, ATT_H_W, ATT_H_B, ATT_S_W,
    ATT_S_B, GATE_W, GATE_B, W_IH, W_HH, B_IH, B_HH, OUT_W, OUT_B, N_TENSORS
};

typedef struct {
    mc_decoder_config c;
    mc_params *p;
    int idx[N_TENSORS];
    /* activations of the last training forward, cut from act to fit */
    int B, T, training;
    mc_workspace act;
    int *tok, *tgt;            /* (B,T) copies */
    float *grid, *mean, *pgrid; /* (B,G,C), (B,C), (B,G,A) */
    float *h, *cs;             /* (T+1,B,H) */
    float *gates, *e, *alpha;  /* (T,B,4H), (T,B,G,A), (T,B,G) */
    float *ctxraw, *gate, *ctx; /* (T,B,C) each */
    float *embs, *pre_emb;     /* (T,B,E), (T,B,4H) */
    float *mask, *drop;        /* (B,T,H) */
    float *asum;               /* (B,G) */
    mc_workspace scratch;      /* forward, backward and step work space */
} sat;

static float *W(const sat *s, int k) { return mc_params_at(s->p, s->idx[k]); }
static float *dW(const sat *s, int k) { return mc_params_grad(s->p) + s->p->t[s->idx[k]].offset; }

static const char *sat_config_error(const mc_decoder_config *c)
{
    if (c->embed <= 0 || c->hidden <= 0 || c->attention <= 0)
        return "embed, hidden and attention must be positive";
    if ((long)c->hidden * 4 * (c->embed + c->channels) > 400000000L)
        return "model too large";
    return NULL;
}

static void *sat_build(const mc_decoder_config *c, mc_params *p, const char *prefix)
{
    static const char *names[N_TENSORS] = {
        "embedding.weight", "init_h.weight", "init_h.bias", "init_c.weight", "init_c.bias",
        "att_feat.weight", "att_feat.bias", "att_hidden.weight", "att_hidden.bias",
        "att_score.weight", "att_score.bias", "gate.weight", "gate.bias", "lstm.weight_ih",
        "lstm.weight_hh", "lstm.bias_ih", "lstm.bias_hh", "out.weight", "out.bias"};
    int64_t V = c->vocab, E = c->embed, H = c->hidden, A = c->attention, C = c->channels;
    int64_t shapes[N_TENSORS][2] = {{V, E}, {H, C}, {H, 0}, {H, C}, {H, 0}, {A, C}, {A, 0},
                                    {A, H}, {A, 0}, {1, A}, {1, 0}, {C, H}, {C, 0},
                                    {4 * H, E + C}, {4 * H, H}, {4 * H, 0}, {4 * H, 0},
                                    {V, H}, {V, 0}};
    sat *s = mc_calloc(1, sizeof *s);
    char name[MC_PARAM_NAME];
    s->c = *c;
    s->p = p;
    for (int k = 0; k < N_TENSORS; k++) {
        snprintf(name, sizeof name, "%s%s", prefix, names[k]);
        s->idx[k] = mc_params_add(p, name, shapes[k][1] ? 2 : 1, shapes[k]);
    }
    return s;
}

static void sat_init(void *impl, uint64_t seed)
{
    sat *s = impl;
    mc_prng r;
    mc_prng_seed(&r, seed);
    for (int k = 0; k < N_TENSORS; k++) {
        const mc_tensor_spec *t = &s->p->t[s->idx[k]];
        float *w = W(s, k);
        /* PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for linear
         * layers and the LSTM (fan_in = hidden there); embedding and the
         * output layer U(-0.1, 0.1) with zero output bias, as in SAT. */
        float bound;
        if (k == EMB || k == OUT_W)
            bound = 0.1f;
        else if (k == OUT_B)
            bound = 0.0f;
        else if (k >= W_IH && k <= B_HH)
            bound = 1.0f / sqrtf((float)s->c.hidden);
        else {
            int fan_in = (int)(t->ndim == 2 ? t->shape[1] : s->p->t[s->idx[k - 1]].shape[1]);
            bound = 1.0f / sqrtf((float)fan_in);
        }
        for (size_t i = 0; i < t->count; i++)
            w[i] = bound * (2.0f * mc_prng_uniform(&r) - 1.0f);
    }
}

/* Cut the activations of a (B,T) batch from s->act. */
static void sat_reserve(sat *s, int B, int T)
{
    size_t G = s->c.grid, C = s->c.channels, A = s->c.attention, H = s->c.hidden,
           E = s->c.embed, b = B, t = T;
    mc_carve k = MC_CARVE_INIT;
    do {
        s->tok = mc_carve_ints(&k, b * t);
        s->tgt = mc_carve_ints(&k, b * t);
        s->grid = mc_carve_floats(&k, b * G * C);
        s->mean = mc_carve_floats(&k, b * C);
        s->pgrid = mc_carve_floats(&k, b * G * A);
        s->h = mc_carve_floats(&k, (t + 1) * b * H);
        s->cs = mc_carve_floats(&k, (t + 1) * b * H);
        s->gates = mc_carve_floats(&k, t * b * 4 * H);
        s->e = mc_carve_floats(&k, t * b * G * A);
        s->alpha = mc_carve_floats(&k, t * b * G);
        s->ctxraw = mc_carve_floats(&k, t * b * C);
        s->gate = mc_carve_floats(&k, t * b * C);
        s->ctx = mc_carve_floats(&k, t * b * C);
        s->embs = mc_carve_floats(&k, t * b * E);
        s->pre_emb = mc_carve_floats(&k, t * b * 4 * H);
        s->mask = mc_carve_floats(&k, b * t * H);
        s->drop = mc_carve_floats(&k, b * t * H);
        s->asum = mc_carve_floats(&k, b * G);
    } while (mc_carve_next(&k, &s->act));
    s->B = B;
    s->T = T;
}

/* h0, c0 (B,H) and pgrid (B,G,A) of grid (B,G,C); mean (B,C) kept. */
static void sat_start_batch(sat *s, float *h0, float *c0, float *pgrid, float *mean,
                            const float *grid, int B)
{
    int G = s->c.grid, C = s->c.channels, A = s->c.attention, H = s->c.hidden;
    mc_grid_mean(mean, grid, (size_t)B, (size_t)G, (size_t)C);
    mc_linear_forward(h0, mean, W(s, INIT_H_W), W(s, INIT_H_B), B, C, H, 0);
    mc_linear_forward(c0, mean, W(s, INIT_C_W), W(s, INIT_C_B), B, C, H, 0);
    mc_linear_forward(pgrid, grid, W(s, ATT_F_W), W(s, ATT_F_B), B * G, C, A, 0);
}

/* The gated attention context and LSTM pre-activations of one step for N
 * rows: ph (N,A) scratch; ctxraw, gate, ctx (N,C); pre (N,4H) must hold
 * the embedding part and biases already. */
static void sat_attend(sat *s, float *pre, float *ctxraw, float *gate, float *ctx, float *alpha,
                       float *e, float *ph, const float *h, const float *pgrid, int shared,
                       const float *grid, int N)
{
    int G = s->c.grid, C = s->c.channels, A = s->c.attention, H = s->c.hidden, E = s->c.embed;
    mc_linear_forward(ph, h, W(s, ATT_H_W), W(s, ATT_H_B), N, H, A, 0);
    mc_addattn_forward(ctxraw, alpha, e, pgrid, shared, ph, grid, shared, W(s, ATT_S_W),
                       W(s, ATT_S_B), N, G, A, C);
    mc_linear_forward(gate, h, W(s, GATE_W), W(s, GATE_B), N, H, C, 0);
    for (long i = 0; i < (long)N * C; i++) {
        gate[i] = mc_sigmoidf(gate[i]);
        ctx[i] = gate[i] * ctxraw[i];
    }
    mc_matmul_wt_acc(pre, ctx, W(s, W_IH) + E, E + C, N, C, 4 * H);
    mc_linear_forward(pre, h, W(s, W_HH), NULL, N, H, 4 * H, 1);
}

/* pre (N,4H) = embedding(tokens) W_ih[:, :E]^T + b_ih + b_hh; embs (N,E). */
static void sat_embed(sat *s, float *pre, float *embs, const int *tokens, int N)
{
    int H = s->c.hidden, E = s->c.embed, C = s->c.channels;
    const float *bi = W(s, B_IH), *bh = W(s, B_HH);
    mc_embedding_forward(embs, E, tokens, W(s, EMB), N, E);
    for (int n = 0; n < N; n++)
        for (int j = 0; j < 4 * H; j++)
            pre[(long)n * 4 * H + j] = bi[j] + bh[j];
    mc_matmul_wt_acc(pre, embs, W(s, W_IH), E + C, N, E, 4 * H);
}

static float sat_forward(void *impl, float *logits, const int *tokens, const int *targets,
                         const float *grid, int B, int T, int training, const uint64_t *seeds)
{
    sat *s = impl;
    int G = s->c.grid, C = s->c.channels, A = s->c.attention, H = s->c.hidden, V = s->c.vocab;
    long BH = (long)B * H;
    float *ph, penalty = 0.0f;
    int *ttok;
    mc_prng *r = NULL; /* row b's dropout stream */
    sat_reserve(s, B, T);
    s->training = training;
    memcpy(s->grid, grid, (size_t)B * G * C * sizeof *grid);
    memcpy(s->tok, tokens, (size_t)B * T * sizeof *tokens);
    memcpy(s->tgt, targets, (size_t)B * T * sizeof *targets);
    sat_start_batch(s, s->h, s->cs, s->pgrid, s->mean, s->grid, B);
    /* all steps' embedding part at once, time-major */
    ttok = mc_malloc((size_t)B * T * sizeof *ttok);
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            ttok[t * B + b] = tokens[b * T + t];
    sat_embed(s, s->pre_emb, s->embs, ttok, B * T);
    free(ttok);
    ph = mc_workspace_fit(&s->scratch, (size_t)B * A * sizeof *ph);
    if (training && s->c.dropout > 0) {
        r = mc_malloc((size_t)B * sizeof *r);
        for (int b = 0; b < B; b++)
            mc_prng_seed(&r[b], seeds[b]);
    }
    for (int t = 0; t < T; t++) {
        long tc = (long)t * B * C;
        float *pre = s->gates + t * B * 4L * H;
        memcpy(pre, s->pre_emb + t * B * 4L * H, (size_t)B * 4 * H * sizeof *pre);
        sat_attend(s, pre, s->ctxraw + tc, s->gate + tc, s->ctx + tc, s->alpha + (long)t * B * G,
                   s->e + (long)t * B * G * A, ph, s->h + t * BH, s->pgrid, 0, s->grid, B);
        mc_lstm_cell_forward(s->h + (t + 1) * BH, s->cs + (t + 1) * BH, pre, pre, s->cs + t * BH,
                             B, H);
        for (int b = 0; b < B; b++) {
            const float *hb = s->h + (t + 1) * BH + (long)b * H;
            float *m = s->mask + ((long)b * T + t) * H, *d = s->drop + ((long)b * T + t) * H;
            if (r)
                mc_dropout_forward(d, m, hb, H, s->c.dropout, &r[b]);
            else
                for (int j = 0; j < H; j++) {
                    m[j] = 1.0f;
                    d[j] = hb[j];
                }
        }
    }
    free(r);
    mc_linear_forward(logits, s->drop, W(s, OUT_W), W(s, OUT_B), B * T, H, V, 0);
    /* doubly stochastic attention penalty over the counted steps */
    memset(s->asum, 0, (size_t)B * G * sizeof *s->asum);
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            if (targets[b * T + t] != MC_TOK_PAD)
                for (int g = 0; g < G; g++)
                    s->asum[b * G + g] += s->alpha[((long)t * B + b) * G + g];
    for (int i = 0; i < B * G; i++)
        penalty += (1.0f - s->asum[i]) * (1.0f - s->asum[i]);
    return s->c.alpha_c * penalty / (float)(B * G);
}

static void sat_backward(void *impl, const float *dlogits, float *dgrid)
{
    sat *s = impl;
    int B = s->B, T = s->T, G = s->c.grid, C = s->c.channels, A = s->c.attention,
        H = s->c.hidden, V = s->c.vocab, E = s->c.embed;
    long BH = (long)B * H;
    float *dD, *dh, *dc, *dhp, *dcp, *dpgrid, *dph_all, *dctx, *dgpre_all, *dctxraw, *dalpha,
        *dpre_all, *dembs;
    float pen = 2.0f * s->c.alpha_c / (float)(B * G);
    mc_carve k = MC_CARVE_INIT;
    do {
        dD = mc_carve_floats(&k, (size_t)B * T * H);
        dh = mc_carve_floats(&k, BH);
        dc = mc_carve_floats(&k, BH);
        dhp = mc_carve_floats(&k, BH);
        dcp = mc_carve_floats(&k, BH);
        dpgrid = mc_carve_floats(&k, (size_t)B * G * A);
        dph_all = mc_carve_floats(&k, (size_t)T * B * A);
        dctx = mc_carve_floats(&k, (size_t)B * C);
        dgpre_all = mc_carve_floats(&k, (size_t)T * B * C);
        dctxraw = mc_carve_floats(&k, (size_t)B * C);
        dalpha = mc_carve_floats(&k, (size_t)B * G);
        dpre_all = mc_carve_floats(&k, (size_t)T * B * 4 * H);
        dembs = mc_carve_floats(&k, (size_t)T * B * E);
    } while (mc_carve_next(&k, &s->scratch));
    memset(k.base, 0, k.used);
    mc_linear_backward(dD, dW(s, OUT_W), dW(s, OUT_B), dlogits, s->drop, W(s, OUT_W), B * T, H, V);
    for (int t = T - 1; t >= 0; t--) {
        long tc = (long)t * B * C;
        float *dpre = dpre_all + (long)t * B * 4 * H, *dgpre = dgpre_all + tc,
              *dph = dph_all + (long)t * B * A;
        for (int b = 0; b < B; b++)
            mc_dropout_backward(dh + (long)b * H, dD + ((long)b * T + t) * H,
                                s->mask + ((long)b * T + t) * H, H);
        memset(dcp, 0, (size_t)BH * sizeof *dcp);
        mc_lstm_cell_backward(dpre, dcp, dh, dc, s->gates + t * B * 4L * H, s->cs + t * BH,
                              s->cs + (t + 1) * BH, B, H);
        memset(dhp, 0, (size_t)BH * sizeof *dhp);
        /* input gradients now; weight gradients for all steps after the loop */
        mc_linear_backward(dhp, NULL, NULL, dpre, NULL, W(s, W_HH), B, H, 4 * H);
        /* context part of W_ih: columns E..E+C */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, C, 4 * H, 1.0f, dpre, 4 * H,
                    W(s, W_IH) + E, E + C, 0.0f, dctx, C);
        for (long i = 0; i < (long)B * C; i++) {
            float g = s->gate[tc + i];
            dgpre[i] = dctx[i] * s->ctxraw[tc + i] * g * (1.0f - g);
            dctxraw[i] = dctx[i] * g;
        }
        mc_linear_backward(dhp, NULL, NULL, dgpre, NULL, W(s, GATE_W), B, H, C);
        for (int b = 0; b < B; b++)
            for (int g = 0; g < G; g++)
                dalpha[b * G + g] = s->tgt[b * T + t] != MC_TOK_PAD
                                        ? pen * (s->asum[b * G + g] - 1.0f)
                                        : 0.0f;
        mc_addattn_backward(dpgrid, dph, dgrid, dW(s, ATT_S_W), dW(s, ATT_S_B), dctxraw, dalpha,
                            s->alpha + (long)t * B * G, s->e + (long)t * B * G * A, s->grid,
                            W(s, ATT_S_W), B, G, A, C);
        mc_linear_backward(dhp, NULL, NULL, dph, NULL, W(s, ATT_H_W), B, H, A);
        memcpy(dh, dhp, (size_t)BH * sizeof *dh);
        memcpy(dc, dcp, (size_t)BH * sizeof *dc);
    }
    /* weight gradients of the per-step layers, all steps in one GEMM each:
     * their inputs h_t are rows 0..T*B of s->h, the contexts s->ctx */
    mc_linear_backward(NULL, dW(s, W_HH), NULL, dpre_all, s->h, NULL, T * B, H, 4 * H);
    mc_linear_backward(NULL, dW(s, GATE_W), dW(s, GATE_B), dgpre_all, s->h, NULL, T * B, H, C);
    mc_linear_backward(NULL, dW(s, ATT_H_W), dW(s, ATT_H_B), dph_all, s->h, NULL, T * B, H, A);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 4 * H, C, T * B, 1.0f, dpre_all, 4 * H,
                s->ctx, C, 1.0f, dW(s, W_IH) + E, E + C);
    /* initial state from the mean grid; dmean reuses dctx (B,C) */
    memset(dctx, 0, (size_t)B * C * sizeof *dctx);
    mc_linear_backward(dctx, dW(s, INIT_H_W), dW(s, INIT_H_B), dh, s->mean, W(s, INIT_H_W), B, C, H);
    mc_linear_backward(dctx, dW(s, INIT_C_W), dW(s, INIT_C_B), dc, s->mean, W(s, INIT_C_W), B, C, H);
    if (dgrid)
        mc_grid_mean_backward(dgrid, dctx, (size_t)B, (size_t)G, (size_t)C);
    mc_linear_backward(dgrid, dW(s, ATT_F_W), dW(s, ATT_F_B), dpgrid, s->grid, W(s, ATT_F_W),
                       B * G, C, A);
    /* embedding part of W_ih and the biases, all steps at once */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 4 * H, E, T * B, 1.0f, dpre_all, 4 * H,
                s->embs, E, 1.0f, dW(s, W_IH), E + C);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T * B, E, 4 * H, 1.0f, dpre_all, 4 * H,
                W(s, W_IH), E + C, 0.0f, dembs, E);
    {
        int *ttok = mc_malloc((size_t)B * T * sizeof *ttok);
        float *dbi = dW(s, B_IH), *dbh = dW(s, B_HH);
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                ttok[t * B + b] = s->tok[b * T + t];
        mc_embedding_backward(dW(s, EMB), dembs, E, ttok, B * T, E);
        free(ttok);
        for (long n = 0; n < (long)T * B; n++)
            for (int j = 0; j < 4 * H; j++) {
                dbi[j] += dpre_all[n * 4 * H + j];
                dbh[j] += dpre_all[n * 4 * H + j];
            }
    }
}

static size_t sat_ctx_floats(void *impl)
{
    sat *s = impl;
    return (size_t)s->c.grid * s->c.attention;
}

static size_t sat_state_floats(void *impl)
{
    sat *s = impl;
    return 2 * (size_t)s->c.hidden;
}

static void sat_start(void *impl, float *ctx, float *state, const float *grid)
{
    sat *s = impl;
    float *mean = mc_workspace_fit(&s->scratch, (size_t)s->c.channels * sizeof *mean);
    sat_start_batch(s, state, state + s->c.hidden, ctx, mean, grid, 1);
}

static void sat_step(void *impl, float *logits, float *att, const float *grid, const float *ctx,
                     float *states, const int *tokens, int N, int pos)
{
    sat *s = impl;
    int G = s->c.grid, C = s->c.channels, A = s->c.attention, H = s->c.hidden, V = s->c.vocab,
        E = s->c.embed;
    float *h, *c, *pre, *ph, *ctxraw, *gate, *cx, *alpha, *embs, *hn;
    mc_carve k = MC_CARVE_INIT;
    do {
        h = mc_carve_floats(&k, (size_t)N * H);
        c = mc_carve_floats(&k, (size_t)N * H);
        pre = mc_carve_floats(&k, (size_t)N * 4 * H);
        ph = mc_carve_floats(&k, (size_t)N * A);
        ctxraw = mc_carve_floats(&k, (size_t)N * C);
        gate = mc_carve_floats(&k, (size_t)N * C);
        cx = mc_carve_floats(&k, (size_t)N * C);
        alpha = mc_carve_floats(&k, (size_t)N * G);
        embs = mc_carve_floats(&k, (size_t)N * E);
        hn = mc_carve_floats(&k, (size_t)N * H);
    } while (mc_carve_next(&k, &s->scratch));
    (void)pos;
    for (int n = 0; n < N; n++) {
        memcpy(h + (long)n * H, states + (long)n * 2 * H, (size_t)H * sizeof *h);
        memcpy(c + (long)n * H, states + (long)n * 2 * H + H, (size_t)H * sizeof *c);
    }
    sat_embed(s, pre, embs, tokens, N);
    sat_attend(s, pre, ctxraw, gate, cx, alpha, NULL, ph, h, ctx, 1, grid, N);
    mc_lstm_cell_forward(hn, c, pre, pre, c, N, H);
    for (int n = 0; n < N; n++) {
        memcpy(states + (long)n * 2 * H, hn + (long)n * H, (size_t)H * sizeof *h);
        memcpy(states + (long)n * 2 * H + H, c + (long)n * H, (size_t)H * sizeof *c);
    }
    mc_linear_forward(logits, hn, W(s, OUT_W), W(s, OUT_B), N, H, V, 0);
    if (att)
        memcpy(att, alpha, (size_t)N * G * sizeof *att);
}

static void sat_state_copy(void *impl, float *dst, const float *src, int pos)
{
    sat *s = impl;
    (void)pos;
    memcpy(dst, src, 2 * (size_t)s->c.hidden * sizeof *dst);
}

static void sat_free(void *impl)
{
    sat *s = impl;
    mc_workspace_free(&s->act);
    mc_workspace_free(&s->scratch);
    free(s);
}

const mc_decoder_arch mc_sat_lstm_arch = {
    .name = "sat-lstm",
    .config_error = sat_config_error,
    .build = sat_build,
    .init = sat_init,
    .forward = sat_forward,
    .backward = sat_backward,
    .ctx_floats = sat_ctx_floats,
    .state_floats = sat_state_floats,
    .start = sat_start,
    .step = sat_step,
    .state_copy = sat_state_copy,
    .free = sat_free,
};

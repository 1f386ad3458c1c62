/* test_decoder_layers.c - finite-difference gradient checks of the caption
 * decoder's layers (linear, embedding, dropout, LSTM cell, additive
 * attention, label-smoothed cross-entropy) and known values of AdamW and
 * gradient clipping.  Layer checks use L = sum(out * R) for a fixed random
 * R, so the backward gets dout = R.  Exits 1 on failure.
 */
#define _POSIX_C_SOURCE 200809L
#include "core/pool.h"
#include "nn/additive_attention.h"
#include "nn/adamw.h"
#include "nn/dropout.h"
#include "nn/embedding.h"
#include "nn/linear.h"
#include "nn/lstm.h"
#include "nn/xent.h"

#include "gradcheck_dec.h"

#include <string.h>

enum { N = 3, IN = 5, OUT = 4, B = 2, G = 4, A = 3, C = 5, H = 3, V = 6 };

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* ---- linear ---- */
static float lin_x[N * IN], lin_w[OUT * IN], lin_b[OUT], lin_r[N * OUT];
static double lin_loss(void *ctx)
{
    float out[N * OUT];
    int n = *(int *)ctx;
    mc_linear_forward(out, lin_x, lin_w, lin_b, n, IN, OUT, 0);
    return dot(out, lin_r, (size_t)n * OUT);
}

static void test_linear(int n)
{
    float dx[N * IN] = {0}, dw[OUT * IN] = {0}, db[OUT] = {0};
    char what[64];
    for (int i = 0; i < N * IN; i++)
        lin_x[i] = urand();
    for (int i = 0; i < OUT * IN; i++)
        lin_w[i] = urand();
    for (int i = 0; i < OUT; i++)
        lin_b[i] = urand();
    for (int i = 0; i < N * OUT; i++)
        lin_r[i] = urand();
    mc_linear_backward(dx, dw, db, lin_r, lin_x, lin_w, n, IN, OUT);
    snprintf(what, sizeof what, "linear N=%d input", n);
    gradcheck(what, lin_loss, &n, lin_x, dx, (size_t)n * IN, 1e-2f, 1e-2);
    snprintf(what, sizeof what, "linear N=%d weight", n);
    gradcheck(what, lin_loss, &n, lin_w, dw, OUT * IN, 1e-2f, 1e-2);
    snprintf(what, sizeof what, "linear N=%d bias", n);
    gradcheck(what, lin_loss, &n, lin_b, db, OUT, 1e-2f, 1e-2);
}

/* ---- embedding ---- */
static float emb_w[V * IN], emb_r[N * IN];
static int emb_tok[N] = {2, 5, 2};
static double emb_loss(void *ctx)
{
    float out[N * IN];
    (void)ctx;
    mc_embedding_forward(out, IN, emb_tok, emb_w, N, IN);
    return dot(out, emb_r, N * IN);
}

static void test_embedding(void)
{
    float dw[V * IN] = {0};
    for (int i = 0; i < V * IN; i++)
        emb_w[i] = urand();
    for (int i = 0; i < N * IN; i++)
        emb_r[i] = urand();
    mc_embedding_backward(dw, emb_r, IN, emb_tok, N, IN);
    gradcheck("embedding weight (repeated token)", emb_loss, NULL, emb_w, dw, V * IN, 1e-2f, 1e-3);
}

/* ---- dropout: fixed mask, and the keep rate ---- */
static float dr_x[64], dr_r[64];
static double dr_loss(void *ctx)
{
    float out[64], mask[64];
    mc_prng r;
    (void)ctx;
    mc_prng_seed(&r, 7);
    mc_dropout_forward(out, mask, dr_x, 64, 0.25f, &r);
    return dot(out, dr_r, 64);
}

static void test_dropout(void)
{
    float out[64], mask[64], dx[64] = {0};
    static float big[100000], bigmask[100000];
    mc_prng r;
    long kept = 0;
    for (int i = 0; i < 64; i++) {
        dr_x[i] = urand();
        dr_r[i] = urand();
    }
    mc_prng_seed(&r, 7);
    mc_dropout_forward(out, mask, dr_x, 64, 0.25f, &r);
    mc_dropout_backward(dx, dr_r, mask, 64);
    gradcheck("dropout input", dr_loss, NULL, dr_x, dx, 64, 1e-2f, 1e-3);
    mc_prng_seed(&r, 1);
    for (int i = 0; i < 100000; i++)
        big[i] = 1.0f;
    mc_dropout_forward(big, bigmask, big, 100000, 0.25f, &r);
    for (int i = 0; i < 100000; i++)
        kept += big[i] != 0.0f;
    check(kept > 74000 && kept < 76000 && fabsf(bigmask[0] - (bigmask[0] ? 4.0f / 3 : 0)) < 1e-6f,
          "dropout keeps about 1-p, scaled by 1/(1-p)");
}

/* ---- LSTM cell ---- */
static float ls_pre[B * 4 * H], ls_c[B * H], ls_rh[B * H], ls_rc[B * H];
static double ls_loss(void *ctx)
{
    float h[B * H], c[B * H], act[B * 4 * H];
    (void)ctx;
    mc_lstm_cell_forward(h, c, act, ls_pre, ls_c, B, H);
    return dot(h, ls_rh, B * H) + dot(c, ls_rc, B * H);
}

static void test_lstm(void)
{
    float h[B * H], c[B * H], act[B * 4 * H], dpre[B * 4 * H], dc[B * H] = {0};
    for (int i = 0; i < B * 4 * H; i++)
        ls_pre[i] = 2 * urand();
    for (int i = 0; i < B * H; i++) {
        ls_c[i] = urand();
        ls_rh[i] = urand();
        ls_rc[i] = urand();
    }
    mc_lstm_cell_forward(h, c, act, ls_pre, ls_c, B, H);
    mc_lstm_cell_backward(dpre, dc, ls_rh, ls_rc, act, ls_c, c, B, H);
    gradcheck("lstm cell pre-activations", ls_loss, NULL, ls_pre, dpre, B * 4 * H, 1e-2f, 1e-2);
    gradcheck("lstm cell c_in", ls_loss, NULL, ls_c, dc, B * H, 1e-2f, 1e-2);
}

/* ---- additive attention ---- */
static float at_pg[B * G * A], at_ph[B * A], at_grid[B * G * C], at_ws[A], at_bs[1],
    at_rc[B * C], at_ra[B * G];
static double at_loss(void *ctx)
{
    float cx[B * C], al[B * G], e[B * G * A];
    (void)ctx;
    mc_addattn_forward(cx, al, e, at_pg, 0, at_ph, at_grid, 0, at_ws, at_bs, B, G, A, C);
    return dot(cx, at_rc, B * C) + dot(al, at_ra, B * G);
}

static void test_attention(void)
{
    float cx[B * C], al[B * G], e[B * G * A], cx2[B * C], al2[B * G];
    float dpg[B * G * A] = {0}, dph[B * A] = {0}, dgrid[B * G * C] = {0}, dws[A] = {0},
          dbs[1] = {0};
    float *fields[] = {at_pg, at_ph, at_grid, at_ws, at_bs, at_rc, at_ra};
    int sizes[] = {B * G * A, B * A, B * G * C, A, 1, B * C, B * G};
    double sum = 0;
    for (int k = 0; k < 7; k++)
        for (int i = 0; i < sizes[k]; i++)
            fields[k][i] = urand();
    mc_addattn_forward(cx, al, e, at_pg, 0, at_ph, at_grid, 0, at_ws, at_bs, B, G, A, C);
    for (int g = 0; g < G; g++)
        sum += al[g];
    check(fabs(sum - 1.0) < 1e-5, "attention weights sum to 1");
    mc_addattn_backward(dpg, dph, dgrid, dws, dbs, at_rc, at_ra, al, e, at_grid, at_ws, B, G, A, C);
    gradcheck("attention pgrid", at_loss, NULL, at_pg, dpg, B * G * A, 1e-2f, 1e-2);
    gradcheck("attention ph", at_loss, NULL, at_ph, dph, B * A, 1e-2f, 1e-2);
    gradcheck("attention grid", at_loss, NULL, at_grid, dgrid, B * G * C, 1e-2f, 1e-2);
    gradcheck("attention score weight", at_loss, NULL, at_ws, dws, A, 1e-2f, 1e-2);
    gradcheck("attention score bias", at_loss, NULL, at_bs, dbs, 1, 1e-2f, 1e-2);
    /* shared grid (beam hypotheses of one image) equals the batched form */
    memcpy(at_pg + G * A, at_pg, G * A * sizeof(float));
    memcpy(at_grid + G * C, at_grid, G * C * sizeof(float));
    mc_addattn_forward(cx, al, e, at_pg, 0, at_ph, at_grid, 0, at_ws, at_bs, B, G, A, C);
    mc_addattn_forward(cx2, al2, NULL, at_pg, 1, at_ph, at_grid, 1, at_ws, at_bs, B, G, A, C);
    check(memcmp(cx, cx2, sizeof cx) == 0 && memcmp(al, al2, sizeof al) == 0,
          "attention with a shared grid equals the batched one");
}

/* ---- cross-entropy ---- */
static float xe_logits[N * V];
static int xe_tgt[N] = {3, 0, 5};
static double xe_loss(void *ctx)
{
    float p[N * V];
    int count;
    (void)ctx;
    return mc_xent_forward(p, xe_logits, xe_tgt, N, V, 0.1f, &count);
}

static void test_xent(void)
{
    float p[N * V], d[N * V] = {0}, uni[V] = {0};
    int count, t1[1] = {2};
    double l;
    for (int i = 0; i < N * V; i++)
        xe_logits[i] = 3 * urand();
    l = mc_xent_forward(p, xe_logits, xe_tgt, N, V, 0.1f, &count);
    check(count == 2 && l > 0, "cross-entropy counts non-pad rows");
    mc_xent_backward(d, p, xe_tgt, N, V, 0.1f, 1.0f);
    gradcheck("cross-entropy logits (smoothing 0.1, pad row)", xe_loss, NULL, xe_logits, d, N * V,
              1e-2f, 1e-2);
    l = mc_xent_forward(p, uni, t1, 1, V, 0.0f, &count);
    check(fabs(l - log(V)) < 1e-5, "cross-entropy of uniform logits is log V");
}

/* ---- AdamW and clipping: known values ---- */
static void test_adamw(void)
{
    mc_params p;
    float *w, *g;
    mc_params_init(&p);
    mc_params_addv(&p, "w", 1, 2, 0, 0, 0);
    mc_params_addv(&p, "stat", 1, 1, 0, 0, 0);
    p.t[1].buffer = 1;
    mc_params_alloc(&p);
    w = mc_params_at(&p, 0);
    w[0] = 1.0f;
    w[1] = -1.0f;
    mc_params_at(&p, 1)[0] = 5.0f;
    g = mc_params_grad(&p);
    g[p.t[0].offset] = 3.0f;
    g[p.t[0].offset + 1] = 4.0f;
    g[p.t[1].offset] = 100.0f;
    check(fabsf(mc_clip_grad_norm(&p, 1.0f) - 5.0f) < 1e-5f &&
              fabsf(g[p.t[0].offset] - 0.6f) < 1e-5f && g[p.t[1].offset] == 100.0f,
          "clipping scales to the max norm and skips buffers");
    /* first Adam step moves each weight by lr (sign of the gradient) */
    mc_adamw_step(&p, 0.1f, 0.9f, 0.999f, 1e-8f, 0.0f, 1);
    check(fabsf(w[0] - 0.9f) < 1e-5f && fabsf(w[1] + 1.1f) < 1e-5f &&
              mc_params_at(&p, 1)[0] == 5.0f,
          "first Adam step is lr * sign(grad), buffers untouched");
    /* decoupled weight decay with a zero gradient */
    memset(g, 0, p.total * sizeof *g);
    memset(p.m, 0, p.total * sizeof *g);
    memset(p.v, 0, p.total * sizeof *g);
    w[0] = 2.0f;
    mc_adamw_step(&p, 0.1f, 0.9f, 0.999f, 1e-8f, 0.5f, 1);
    check(fabsf(w[0] - 1.9f) < 1e-5f, "AdamW decays the weight by lr * wd * w");
    mc_params_free(&p);
}

/* ---- rows split over threads (mc_rows_run) ---- */
enum { TB = 13, TG = 5, TA = 12, TC = 7, TV = 9 };
typedef struct {
    float cx[TB * TC], al[TB * TG], e[TB * TG * TA], dpg[TB * TG * TA], dph[TB * TA],
        dgrid[TB * TG * TC], dws[TA], dbs[1], probs[TB * TV], dl[TB * TV];
    double loss;
    int count;
} rows_out;

/* Attention and cross-entropy forward and backward on fixed inputs with
 * `threads` threads for the row-split layers. */
static void rows_run(rows_out *o, int threads)
{
    static float pg[TB * TG * TA], ph[TB * TA], grid[TB * TG * TC], ws[TA], bs[1], rc[TB * TC],
        ra[TB * TG], logits[TB * TV];
    static int tgt[TB];
    static int made;
    if (!made) {
        float *f[] = {pg, ph, grid, ws, bs, rc, ra, logits};
        int n[] = {TB * TG * TA, TB * TA, TB * TG * TC, TA, 1, TB * TC, TB * TG, TB * TV};
        for (int k = 0; k < 8; k++)
            for (int i = 0; i < n[k]; i++)
                f[k][i] = urand();
        for (int b = 0; b < TB; b++)
            tgt[b] = b % 4 == 1 ? MC_XENT_PAD : 1 + b % (TV - 1);
        made = 1;
    }
    memset(o, 0, sizeof *o);
    mc_rows_set_threads(threads);
    mc_addattn_forward(o->cx, o->al, o->e, pg, 0, ph, grid, 0, ws, bs, TB, TG, TA, TC);
    mc_addattn_backward(o->dpg, o->dph, o->dgrid, o->dws, o->dbs, rc, ra, o->al, o->e, grid, ws, TB,
                        TG, TA, TC);
    o->loss = mc_xent_forward(o->probs, logits, tgt, TB, TV, 0.1f, &o->count);
    mc_xent_backward(o->dl, o->probs, tgt, TB, TV, 0.1f, 0.5f);
    mc_rows_set_threads(1);
}

static void test_rows_threads(void)
{
    static rows_out one, three;
    float worst = 0.0f;
    rows_run(&one, 1);
    rows_run(&three, 3);
    check(memcmp(one.cx, three.cx, sizeof one.cx) == 0 && memcmp(one.al, three.al, sizeof one.al) == 0 &&
              memcmp(one.e, three.e, sizeof one.e) == 0,
          "attention forward on 3 threads: the same bits");
    check(memcmp(one.dpg, three.dpg, sizeof one.dpg) == 0 && memcmp(one.dph, three.dph, sizeof one.dph) == 0 &&
              memcmp(one.dgrid, three.dgrid, sizeof one.dgrid) == 0,
          "attention backward on 3 threads: per-row gradients the same bits");
    for (int a = 0; a <= TA; a++) {
        float x = a < TA ? one.dws[a] : one.dbs[0], y = a < TA ? three.dws[a] : three.dbs[0];
        float d = fabsf(x - y) / (fabsf(x) + 1e-3f);
        worst = d > worst ? d : worst;
    }
    check(worst < 1e-4f, "attention score gradients on 3 threads within 1e-4 (summed in parts)");
    check(one.loss == three.loss && one.count == three.count &&
              memcmp(one.probs, three.probs, sizeof one.probs) == 0 &&
              memcmp(one.dl, three.dl, sizeof one.dl) == 0,
          "cross-entropy on 3 threads: the same bits");
}

int main(void)
{
    test_linear(1);
    test_linear(N);
    test_embedding();
    test_dropout();
    test_lstm();
    test_attention();
    test_xent();
    test_rows_threads();
    test_adamw();
    if (failures)
        printf("%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}

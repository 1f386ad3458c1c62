/* test_transformer_layers.c - finite-difference gradient checks of the
 * Transformer layers: layer norm, GELU, and multi-head attention (masked
 * self-attention and cross-attention), plus a few known values.
 *
 * Each check uses the loss L = sum(out * R) for a fixed random R, so the
 * backward is called with dout = R and every input gradient is compared
 * with central differences (L evaluated in double).  Exits 1 on failure.
 */
#define _POSIX_C_SOURCE 200809L
#include "nn/attention.h"
#include "check.h"
#include "nn/gelu.h"
#include "gradcheck.h"
#include "nn/layernorm.h"

#define TEST_RNG_SEED 0x9e3779b97f4a7c15ull
#include "testrand.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compare grad (n) of input x with central differences of the loss on
 * every element; records a failure when the relative error exceeds tol
 * or the gradient is all zero. */
static void gradcheck(const char *name, gc_forward_fn f, void *ctx, float *x, size_t n,
                      const float *grad, size_t nout, const float *r, double tol)
{
    gc_op_loss l = {.f = f, .ctx = ctx, .out = malloc(nout * sizeof(float)), .nout = nout, .r = r};
    double norm = 0.0;
    for (size_t i = 0; i < n; i++)
        norm += fabs(grad[i]);
    if (!gc_check(name, gc_op_loss_eval, &l, x, n, grad, 0, tol, 0.0) || norm == 0.0)
        failures++;
    free(l.out);
}

/* ---- layer norm ---- */
typedef struct {
    float *x, *w, *b;
    int N, C;
} ln_ctx;

static void ln_fwd(void *c, float *out)
{
    ln_ctx *l = c;
    mc_layernorm_forward(out, NULL, NULL, l->x, l->w, l->b, l->N, l->C);
}

static void test_layernorm(void)
{
    ln_ctx l = {.N = 5, .C = 12};
    size_t n = (size_t)l.N * l.C;
    l.x = rand_buf(n, 2.0f);
    l.w = rand_buf(l.C, 1.0f);
    l.b = rand_buf(l.C, 1.0f);
    float *out = calloc(n, sizeof *out), *mean = calloc(l.N, 4), *rstd = calloc(l.N, 4);
    float *r = rand_buf(n, 1.0f);
    float *dx = calloc(n, 4), *dw = calloc(l.C, 4), *db = calloc(l.C, 4);
    float one[12], zero[12];

    /* unit weight, zero bias: each row has mean 0 and variance 1 */
    for (int i = 0; i < l.C; i++)
        one[i] = 1.0f, zero[i] = 0.0f;
    mc_layernorm_forward(out, mean, rstd, l.x, one, zero, l.N, l.C);
    double m = 0.0, v = 0.0;
    for (int i = 0; i < l.C; i++)
        m += out[i];
    for (int i = 0; i < l.C; i++)
        v += (out[i] - m / l.C) * (out[i] - m / l.C);
    check(fabs(m / l.C) < 1e-5 && fabs(v / l.C - 1.0) < 1e-3, "layernorm: mean 0, variance 1");

    mc_layernorm_forward(out, mean, rstd, l.x, l.w, l.b, l.N, l.C);
    mc_layernorm_backward(dx, dw, db, r, l.x, l.w, mean, rstd, l.N, l.C);
    gradcheck("layernorm dinp", ln_fwd, &l, l.x, n, dx, n, r, 1e-2);
    gradcheck("layernorm dweight", ln_fwd, &l, l.w, l.C, dw, n, r, 1e-2);
    gradcheck("layernorm dbias", ln_fwd, &l, l.b, l.C, db, n, r, 1e-2);
    free(l.x), free(l.w), free(l.b), free(out), free(mean), free(rstd);
    free(r), free(dx), free(dw), free(db);
}

/* ---- GELU ---- */
typedef struct {
    float *x;
    size_t n;
} gelu_ctx;

static void gelu_fwd(void *c, float *out)
{
    gelu_ctx *g = c;
    mc_gelu_forward(out, g->x, g->n);
}

static void test_gelu(void)
{
    gelu_ctx g = {.n = 64};
    g.x = rand_buf(g.n, 4.0f);
    float *out = calloc(g.n, 4), *r = rand_buf(g.n, 1.0f), *dx = calloc(g.n, 4);
    float known_in[3] = {1.0f, -1.0f, 0.0f}, known_out[3];
    /* PyTorch: F.gelu(torch.tensor([1., -1., 0.]), approximate="tanh") */
    mc_gelu_forward(known_out, known_in, 3);
    check(fabsf(known_out[0] - 0.8411920f) < 1e-6f && fabsf(known_out[1] + 0.1588080f) < 1e-6f &&
              known_out[2] == 0.0f,
          "gelu: known values");
    mc_gelu_backward(dx, g.x, r, g.n);
    gradcheck("gelu dinp", gelu_fwd, &g, g.x, g.n, dx, g.n, r, 1e-2);
    free(g.x), free(out), free(r), free(dx);
}

/* ---- multi-head attention ---- */
typedef struct {
    float *q, *k, *v, *att;
    int B, Tq, Tk, C, NH, causal;
} att_ctx;

static void att_fwd(void *c, float *out)
{
    att_ctx *a = c;
    mc_attention_forward(out, a->att, a->q, a->k, a->v, a->B, a->Tq, a->Tk, a->C, a->NH,
                         a->causal);
}

static void test_attention(const char *name, int B, int Tq, int Tk, int C, int NH, int causal)
{
    att_ctx a = {.B = B, .Tq = Tq, .Tk = Tk, .C = C, .NH = NH, .causal = causal};
    size_t nq = (size_t)B * Tq * C, nk = (size_t)B * Tk * C;
    char msg[128];
    a.q = rand_buf(nq, 1.0f);
    a.k = rand_buf(nk, 1.0f);
    a.v = rand_buf(nk, 1.0f);
    a.att = calloc((size_t)B * NH * Tq * Tk, 4);
    float *out = calloc(nq, 4), *r = rand_buf(nq, 1.0f);
    float *dq = calloc(nq, 4), *dk = calloc(nk, 4), *dv = calloc(nk, 4);

    att_fwd(&a, out);
    /* every row of weights sums to 1 */
    double worst = 0.0;
    for (size_t row = 0; row < (size_t)B * NH * Tq; row++) {
        double s = 0.0;
        for (int j = 0; j < Tk; j++)
            s += a.att[row * Tk + j];
        worst = fmax(worst, fabs(s - 1.0));
    }
    snprintf(msg, sizeof msg, "%s: weights sum to 1", name);
    check(worst < 1e-5, msg);

    mc_attention_backward(dq, dk, dv, r, a.q, a.k, a.v, a.att, B, Tq, Tk, C, NH);
    snprintf(msg, sizeof msg, "%s dq", name);
    gradcheck(msg, att_fwd, &a, a.q, nq, dq, nq, r, 1e-2);
    snprintf(msg, sizeof msg, "%s dk", name);
    gradcheck(msg, att_fwd, &a, a.k, nk, dk, nq, r, 1e-2);
    snprintf(msg, sizeof msg, "%s dv", name);
    gradcheck(msg, att_fwd, &a, a.v, nk, dv, nq, r, 1e-2);

    if (causal) {
        /* only the last query sees the last key: changing that key and its
           value leaves every earlier output unchanged */
        float *out2 = calloc(nq, 4);
        for (int c = 0; c < C; c++)
            a.k[(size_t)(Tk - 1) * C + c] += 1.0f, a.v[(size_t)(Tk - 1) * C + c] += 1.0f;
        att_fwd(&a, out2);
        snprintf(msg, sizeof msg, "%s: earlier positions ignore the last key", name);
        check(memcmp(out, out2, (size_t)(Tq - 1) * C * sizeof *out) == 0 &&
                  memcmp(out, out2, (size_t)Tq * C * sizeof *out) != 0,
              msg);
        free(out2);
    }
    free(a.q), free(a.k), free(a.v), free(a.att), free(out), free(r);
    free(dq), free(dk), free(dv);
}

/* One-step decoding with a key/value cache gives the rows of the full
 * causal forward. */
static void test_attention_cache(void)
{
    int T = 5, C = 8, NH = 2;
    float *q = rand_buf((size_t)T * C, 1.0f), *k = rand_buf((size_t)T * C, 1.0f);
    float *v = rand_buf((size_t)T * C, 1.0f);
    float *full = calloc((size_t)T * C, 4), *att = calloc((size_t)NH * T * T, 4);
    float step[8], att1[2 * 5];
    double worst = 0.0;
    mc_attention_forward(full, att, q, k, v, 1, T, T, C, NH, 1);
    for (int t = 0; t < T; t++) {
        mc_attention_forward(step, att1, q + (size_t)t * C, k, v, 1, 1, t + 1, C, NH, 1);
        for (int c = 0; c < C; c++)
            worst = fmax(worst, fabs(step[c] - full[(size_t)t * C + c]));
    }
    check(worst < 1e-6, "attention: cached one-step decoding equals the masked forward");
    free(q), free(k), free(v), free(full), free(att);
}

int main(void)
{
    test_layernorm();
    test_gelu();
    test_attention("self-attention (causal)", 2, 4, 4, 8, 2, 1);
    test_attention("cross-attention", 2, 3, 6, 8, 2, 0);
    test_attention_cache();
    if (failures) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}

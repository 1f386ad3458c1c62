/* test_conv_layers.c - finite-difference gradient checks of the encoder's
 * layers (conv2d with stride, padding and groups; batch norm; ReLU; max,
 * average and global average pooling), plus known values: convolution
 * against a direct loop (also with the batch split into one-image im2col
 * chunks), batch-norm folding against conv + inference BN.
 *
 * Each check uses the loss L = sum(out * R) for a fixed random R, so the
 * backward is called with dout = R; the analytic gradient is compared with
 * central differences (loss summed in double) by normalised error.
 * Exits 1 on failure.
 */
#define _POSIX_C_SOURCE 200809L
#include "nn/batchnorm.h"
#include "check.h"
#include "core/pool.h"
#include "nn/conv2d.h"
#include "gradcheck.h"
#include "nn/pooling.h"
#include "testrand.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compare grad (n) of input x with central differences; fails when the
 * normalised error exceeds tol or the gradient is all zero. */
static void gradcheck(const char *name, gc_forward_fn f, void *ctx, float *x, size_t n,
                      const float *grad, size_t nout, const float *r, double tol)
{
    gc_op_loss l = {.f = f, .ctx = ctx, .out = malloc(nout * sizeof(float)), .nout = nout, .r = r};
    double num2 = 0.0, ana2 = 0.0, diff2 = 0.0, rel;
    const float eps = 1e-3f;
    char msg[160];
    for (size_t i = 0; i < n; i++) {
        double g = gc_central_diff(gc_op_loss_eval, &l, x, i, eps);
        num2 += g * g;
        ana2 += (double)grad[i] * grad[i];
        diff2 += (g - grad[i]) * (g - grad[i]);
    }
    rel = sqrt(diff2) / (sqrt(num2) + sqrt(ana2) + 1e-12);
    snprintf(msg, sizeof msg, "%s: relative error %.2e (|grad| %.3e)", name, rel, sqrt(ana2));
    check(rel < tol && ana2 > 0.0, msg);
    free(l.out);
}

/* ---- conv2d ---- */
typedef struct {
    mc_conv_shape s;
    int B, H, W;
    float *x, *w, *b, *col;
} conv_ctx;

static void conv_fwd(void *c, float *out)
{
    conv_ctx *k = c;
    mc_conv2d_forward(out, k->col, k->x, k->w, k->b, &k->s, k->B, k->H, k->W);
}

/* Direct convolution of one output value, for the known-value check. */
static double conv_direct(const conv_ctx *k, int o, int b, int oy, int ox)
{
    int cig = k->s.ci / k->s.groups, cog = k->s.co / k->s.groups, g = o / cog;
    double s = k->b ? k->b[o] : 0.0;
    for (int c = 0; c < cig; c++)
        for (int i = 0; i < k->s.kh; i++)
            for (int j = 0; j < k->s.kw; j++) {
                int y = oy * k->s.stride - k->s.pad + i, x = ox * k->s.stride - k->s.pad + j;
                if (y < 0 || y >= k->H || x < 0 || x >= k->W)
                    continue;
                s += (double)k->w[((size_t)(o * cig + c) * k->s.kh + i) * k->s.kw + j] *
                     k->x[(((size_t)(g * cig + c) * k->B + b) * k->H + y) * k->W + x];
            }
    return s;
}

static void test_conv(const char *label, mc_conv_shape s, int B, int H, int W)
{
    conv_ctx k = {.s = s, .B = B, .H = H, .W = W};
    int Ho = mc_conv_out(H, s.kh, s.stride, s.pad), Wo = mc_conv_out(W, s.kw, s.stride, s.pad);
    size_t nx = (size_t)s.ci * B * H * W, nw = (size_t)s.co * (s.ci / s.groups) * s.kh * s.kw;
    size_t nout = (size_t)s.co * B * Ho * Wo, maxerr_at = 0;
    float *out = calloc(nout, 4), *r = rand_buf(nout, 1.0f);
    float *dx = calloc(nx, 4), *dw = calloc(nw, 4), *db = calloc((size_t)s.co, 4);
    double maxerr = 0.0;
    char name[160];
    k.x = rand_buf(nx, 1.0f);
    k.w = rand_buf(nw, 0.5f);
    k.b = rand_buf((size_t)s.co, 0.5f);
    k.col = malloc((mc_conv_scratch(&s, B, H, W) + 1) * sizeof(float));
    conv_fwd(&k, out);
    for (int o = 0; o < s.co; o++)
        for (int b = 0; b < B; b++)
            for (int oy = 0; oy < Ho; oy++)
                for (int ox = 0; ox < Wo; ox++) {
                    size_t at = (((size_t)o * B + b) * Ho + oy) * Wo + ox;
                    double e = fabs(out[at] - conv_direct(&k, o, b, oy, ox));
                    if (e > maxerr)
                        maxerr = e, maxerr_at = at;
                }
    snprintf(name, sizeof name, "%s: forward equals the direct loop (max error %.1e at %zu)", label,
             maxerr, maxerr_at);
    check(maxerr < 1e-4, name);
    mc_conv2d_backward(dx, dw, db, k.col, r, k.x, k.w, &s, B, H, W);
    snprintf(name, sizeof name, "%s dinp", label);
    gradcheck(name, conv_fwd, &k, k.x, nx, dx, nout, r, 1e-2);
    snprintf(name, sizeof name, "%s dweight", label);
    gradcheck(name, conv_fwd, &k, k.w, nw, dw, nout, r, 1e-2);
    snprintf(name, sizeof name, "%s dbias", label);
    gradcheck(name, conv_fwd, &k, k.b, (size_t)s.co, db, nout, r, 1e-2);
    free(out), free(r), free(dx), free(dw), free(db), free(k.x), free(k.w), free(k.b), free(k.col);
}

/* ---- batch norm ---- */
typedef struct {
    int C;
    size_t N;
    float *x, *g, *b, *mean, *rstd;
} bn_ctx;

static void bn_fwd(void *c, float *out)
{
    bn_ctx *k = c;
    mc_batchnorm_forward_train(out, k->mean, k->rstd, k->x, k->g, k->b, NULL, NULL, k->C, k->N, 1e-5f,
                               0.1f);
}

static void test_batchnorm(void)
{
    bn_ctx k = {.C = 3, .N = 10};
    size_t n = (size_t)k.C * k.N;
    float *out = calloc(n, 4), *r = rand_buf(n, 1.0f), *dx = calloc(n, 4), *dg = calloc(3, 4),
          *db = calloc(3, 4);
    float rm[3] = {0, 0, 0}, rv[3] = {1, 1, 1};
    double m = 0.0;
    k.x = rand_buf(n, 2.0f);
    k.g = rand_buf(3, 1.0f);
    k.b = rand_buf(3, 1.0f);
    k.mean = calloc(3, 4);
    k.rstd = calloc(3, 4);
    mc_batchnorm_forward_train(out, k.mean, k.rstd, k.x, k.g, k.b, rm, rv, k.C, k.N, 1e-5f, 0.1f);
    for (size_t i = 0; i < k.N; i++)
        m += out[i];
    check(fabs(m / k.N - k.b[0]) < 1e-5, "batchnorm: channel mean equals beta");
    check(fabsf(rm[0] - 0.1f * k.mean[0]) < 1e-6f && rv[0] != 1.0f, "batchnorm: running stats updated");
    mc_batchnorm_backward(dx, dg, db, r, k.x, k.g, k.mean, k.rstd, k.C, k.N);
    gradcheck("batchnorm dinp", bn_fwd, &k, k.x, n, dx, n, r, 1e-2);
    gradcheck("batchnorm dgamma", bn_fwd, &k, k.g, 3, dg, n, r, 1e-2);
    gradcheck("batchnorm dbeta", bn_fwd, &k, k.b, 3, db, n, r, 1e-2);
    free(out), free(r), free(dx), free(dg), free(db), free(k.x), free(k.g), free(k.b), free(k.mean),
        free(k.rstd);
}

/* Folding BN into a conv gives the same output as conv then inference BN. */
static void test_fold(void)
{
    mc_conv_shape s = {.ci = 2, .co = 3, .kh = 3, .kw = 3, .stride = 1, .pad = 1, .groups = 1};
    int B = 2, H = 4, W = 4;
    size_t nx = 2 * 2 * 16, nw = 3 * 2 * 9, nout = 3 * 2 * 16;
    float *x = rand_buf(nx, 1.0f), *w = rand_buf(nw, 1.0f), *g = rand_buf(3, 1.0f),
          *b = rand_buf(3, 1.0f), *rm = rand_buf(3, 1.0f), *rv = rand_buf(3, 0.5f);
    float *col = malloc(mc_conv_scratch(&s, B, H, W) * 4), *a = malloc(nout * 4),
          *c = malloc(nout * 4), *wf = malloc(nw * 4), bf[3];
    double maxerr = 0.0;
    for (int i = 0; i < 3; i++)
        rv[i] = fabsf(rv[i]) + 0.5f;
    mc_conv2d_forward(a, col, x, w, NULL, &s, B, H, W);
    mc_batchnorm_forward_infer(a, a, g, b, rm, rv, 3, (size_t)B * H * W, 1e-5f);
    mc_batchnorm_fold(wf, bf, w, NULL, 2 * 9, g, b, rm, rv, 3, 1e-5f);
    mc_conv2d_forward(c, col, x, wf, bf, &s, B, H, W);
    for (size_t i = 0; i < nout; i++)
        maxerr = fmax(maxerr, fabs(a[i] - c[i]));
    check(maxerr < 1e-5, "batchnorm folded into conv equals conv + inference BN");
    free(x), free(w), free(g), free(b), free(rm), free(rv), free(col), free(a), free(c), free(wf);
}

/* ---- ReLU and pooling ---- */
typedef struct {
    int kind; /* 0 relu, 1 max, 2 avg, 3 global */
    size_t P;
    int H, W, k, stride, pad;
    float *x;
} pool_ctx;

static void pool_fwd(void *c, float *out)
{
    pool_ctx *p = c;
    if (p->kind == 0)
        mc_relu_forward(out, p->x, p->P * p->H * p->W);
    else if (p->kind == 1)
        mc_maxpool_forward(out, NULL, p->x, p->P, p->H, p->W, p->k, p->stride, p->pad);
    else if (p->kind == 2)
        mc_avgpool_forward(out, p->x, p->P, p->H, p->W, p->k, p->stride, p->pad);
    else
        mc_gap_forward(out, p->x, p->P, p->H * p->W);
}

static void test_pool(const char *label, int kind)
{
    pool_ctx p = {.kind = kind, .P = 3, .H = 6, .W = 5, .k = 3, .stride = 2, .pad = 1};
    int Ho = mc_conv_out(p.H, p.k, p.stride, p.pad), Wo = mc_conv_out(p.W, p.k, p.stride, p.pad);
    size_t nx = p.P * p.H * p.W;
    size_t nout = kind == 0 ? nx : kind == 3 ? p.P : p.P * Ho * Wo;
    float *out = calloc(nout, 4), *r = rand_buf(nout, 1.0f), *dx = calloc(nx, 4);
    int32_t *idx = calloc(nout, sizeof *idx);
    p.x = rand_buf(nx, 1.0f);
    /* keep values apart from 0 and from each other so no kink is crossed */
    for (size_t i = 0; i < nx; i++)
        p.x[i] = (p.x[i] < 0 ? -0.05f : 0.05f) + p.x[i] + 0.004f * (float)(i % 7);
    if (kind == 0) {
        mc_relu_forward(out, p.x, nx);
        mc_relu_backward(dx, r, out, nx);
    } else if (kind == 1) {
        mc_maxpool_forward(out, idx, p.x, p.P, p.H, p.W, p.k, p.stride, p.pad);
        mc_maxpool_backward(dx, r, idx, p.P, p.H, p.W, Ho, Wo);
    } else if (kind == 2) {
        mc_avgpool_forward(out, p.x, p.P, p.H, p.W, p.k, p.stride, p.pad);
        mc_avgpool_backward(dx, r, p.P, p.H, p.W, p.k, p.stride, p.pad);
    } else {
        mc_gap_forward(out, p.x, p.P, p.H * p.W);
        mc_gap_backward(dx, r, p.P, p.H * p.W);
    }
    gradcheck(label, pool_fwd, &p, p.x, nx, dx, nout, r, 1e-2);
    free(out), free(r), free(dx), free(idx), free(p.x);
}

static void test_pool_values(void)
{
    float x[16], out[4];
    for (int i = 0; i < 16; i++)
        x[i] = (float)i;
    mc_maxpool_forward(out, NULL, x, 1, 4, 4, 2, 2, 0);
    check(out[0] == 5 && out[1] == 7 && out[2] == 13 && out[3] == 15, "maxpool 2x2 known values");
    mc_avgpool_forward(out, x, 1, 4, 4, 2, 2, 0);
    check(out[0] == 2.5f && out[3] == 12.5f, "avgpool 2x2 known values");
    mc_gap_forward(out, x, 1, 16);
    check(out[0] == 7.5f, "global average pool known value");
}

/* The encoder's 3x3 stride-2 max pooling gives mc_maxpool_forward's values,
 * even and odd sizes, infinities included. */
static void test_maxpool3s2(void)
{
    static const int size[][2] = {{1, 1}, {2, 3}, {7, 6}, {8, 9}, {112, 112}};
    for (size_t t = 0; t < sizeof size / sizeof size[0]; t++) {
        int H = size[t][0], W = size[t][1], Ho = mc_conv_out(H, 3, 2, 1), Wo = mc_conv_out(W, 3, 2, 1);
        size_t n = (size_t)3 * H * W, no = (size_t)3 * Ho * Wo;
        float *x = rand_buf(n, 2.0f), *a = calloc(no, 4), *b = calloc(no, 4);
        x[n / 2] = INFINITY;
        x[n / 3] = -INFINITY;
        mc_maxpool_forward(a, NULL, x, 3, H, W, 3, 2, 1);
        mc_maxpool3s2_forward(b, x, 3, H, W);
        char what[64];
        snprintf(what, sizeof what, "maxpool 3x3 s2 p1 fast path %dx%d", H, W);
        check(memcmp(a, b, no * 4) == 0, what);
        free(x), free(a), free(b);
    }
}

/* A convolution forward and backward and a batch norm forward and
 * backward (train and frozen) with `threads` threads for the layers that
 * split channels or rows; out holds every result, n floats. */
static float *layers_on_threads(int threads, size_t *n)
{
    mc_conv_shape s = {6, 8, 3, 3, 2, 1, 1};
    int B = 3, H = 9, W = 7, Ho = mc_conv_out(H, 3, 2, 1), Wo = mc_conv_out(W, 3, 2, 1);
    size_t nx = (size_t)6 * B * H * W, ny = (size_t)8 * B * Ho * Wo, nw = (size_t)8 * 6 * 9;
    float *x, *w, *dy, *res;
    float *col = calloc(mc_conv_scratch(&s, B, H, W) + 1, 4);
    rng_state = TEST_RNG_SEED;
    x = rand_buf(nx, 1.0f), w = rand_buf(nw, 0.5f), dy = rand_buf(ny, 1.0f);
    *n = 3 * ny + nx + nw + 8 + 4 * 8 + 2 * ny;
    res = calloc(*n, 4);
    {
        float *y = res, *dx = y + ny, *dw = dx + nx, *db = dw + nw, *bo = db + 8, *mean = bo + ny,
              *rstd = mean + 8, *dg = rstd + 8, *dbeta = dg + 8, *rm = dbeta + 8, *dbn = rm + 8,
              *dbn2 = dbn + ny, *gamma = rand_buf(8, 1.0f), *beta = rand_buf(8, 1.0f);
        float rv[8];
        for (int c = 0; c < 8; c++)
            rv[c] = 1.0f;
        mc_rows_set_threads(threads);
        mc_conv2d_forward(y, col, x, w, NULL, &s, B, H, W);
        mc_conv2d_backward(dx, dw, db, col, dy, x, w, &s, B, H, W);
        mc_batchnorm_forward_train(bo, mean, rstd, y, gamma, beta, rm, rv, 8, (size_t)B * Ho * Wo,
                                   1e-5f, 0.1f);
        mc_batchnorm_backward(dbn, dg, dbeta, dy, y, gamma, mean, rstd, 8, (size_t)B * Ho * Wo);
        mc_batchnorm_backward_frozen(dbn2, dg, dbeta, dy, y, gamma, mean, rstd, 8, (size_t)B * Ho * Wo);
        mc_rows_set_threads(1);
        free(gamma), free(beta);
    }
    free(x), free(w), free(dy), free(col);
    return res;
}

/* Channels and rows split over threads give the same bits as one thread. */
static void test_layers_threads(void)
{
    size_t n1, n3;
    float *one = layers_on_threads(1, &n1), *three = layers_on_threads(3, &n3);
    check(n1 == n3 && memcmp(one, three, n1 * 4) == 0,
          "conv and batch norm forward and backward on 3 threads: the same bits");
    free(one), free(three);
}

int main(void)
{
    test_conv("conv 3x3 s1 p1", (mc_conv_shape){2, 3, 3, 3, 1, 1, 1}, 2, 5, 4);
    test_conv("conv 3x3 s2 p1", (mc_conv_shape){3, 4, 3, 3, 2, 1, 1}, 2, 7, 6);
    test_conv("conv 7x7 s2 p3", (mc_conv_shape){1, 2, 7, 7, 2, 3, 1}, 1, 9, 9);
    test_conv("conv 1x1 s1 (direct GEMM)", (mc_conv_shape){4, 3, 1, 1, 1, 0, 1}, 2, 3, 3);
    test_conv("conv 1x1 s2", (mc_conv_shape){4, 6, 1, 1, 2, 0, 1}, 2, 5, 5);
    test_conv("conv 3x3 groups 2", (mc_conv_shape){4, 6, 3, 3, 1, 1, 2}, 2, 4, 5);
    test_conv("conv 3x3 depthwise", (mc_conv_shape){3, 3, 3, 3, 2, 1, 3}, 1, 6, 6);
    mc_conv_set_scratch_cap(1); /* one image per im2col chunk */
    test_conv("conv 3x3 s2 p1, chunked", (mc_conv_shape){3, 4, 3, 3, 2, 1, 1}, 3, 7, 6);
    test_conv("conv 3x3 groups 2, chunked", (mc_conv_shape){4, 6, 3, 3, 1, 1, 2}, 3, 4, 5);
    test_conv("conv 1x1 s1, chunked", (mc_conv_shape){4, 3, 1, 1, 1, 0, 1}, 3, 3, 3);
    mc_conv_set_scratch_cap((size_t)2 << 20);
    test_batchnorm();
    test_fold();
    test_pool("relu", 0);
    test_pool("maxpool 3x3 s2 p1", 1);
    test_pool("avgpool 3x3 s2 p1", 2);
    test_pool("global average pool", 3);
    test_pool_values();
    test_maxpool3s2();
    test_layers_threads();
    printf("%s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}

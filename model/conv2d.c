/* conv2d.c - convolution by im2col and cblas_sgemm, channel-major layout. */
#define _POSIX_C_SOURCE 200809L
#include "conv2d.h"

#include <cblas.h>
#include <string.h>

int mc_conv_out(int in, int k, int stride, int pad) { return (in + 2 * pad - k) / stride + 1; }

/* 1 if the convolution reads its input as the GEMM operand directly. */
static int direct(const mc_conv_shape *s)
{
    return s->kh == 1 && s->kw == 1 && s->stride == 1 && s->pad == 0;
}

size_t mc_conv_scratch(const mc_conv_shape *s, int B, int H, int W)
{
    size_t ho = (size_t)mc_conv_out(H, s->kh, s->stride, s->pad);
    size_t wo = (size_t)mc_conv_out(W, s->kw, s->stride, s->pad);
    if (direct(s))
        return 0;
    return (size_t)(s->ci / s->groups) * s->kh * s->kw * (size_t)B * ho * wo;
}

/* The output columns [*lo, *hi) whose input column ox*stride - pad + j is
 * inside 0..W-1. */
static void valid_cols(int Wo, int W, int stride, int pad, int j, int *lo, int *hi)
{
    int a = pad - j, b = W - 1 + pad - j; /* need a <= ox*stride <= b */
    *lo = a <= 0 ? 0 : (a + stride - 1) / stride;
    *hi = b < 0 ? 0 : b / stride + 1;
    if (*hi > Wo)
        *hi = Wo;
    if (*lo > *hi)
        *lo = *hi;
}

/* col (C*KH*KW, B*Ho*Wo) from in (C, B, H, W) for C channels. */
static void im2col(float *col, const float *in, int C, const mc_conv_shape *s, int B, int H, int W,
                   int Ho, int Wo)
{
    size_t n = (size_t)B * Ho * Wo, plane = (size_t)H * W;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < s->kh; i++)
            for (int j = 0; j < s->kw; j++) {
                float *row = col + ((size_t)(c * s->kh + i) * s->kw + j) * n;
                int lo, hi;
                valid_cols(Wo, W, s->stride, s->pad, j, &lo, &hi);
                for (int b = 0; b < B; b++) {
                    const float *src = in + ((size_t)c * B + b) * plane;
                    for (int oy = 0; oy < Ho; oy++) {
                        int y = oy * s->stride - s->pad + i;
                        float *dst = row + ((size_t)b * Ho + oy) * Wo;
                        long base;
                        if (y < 0 || y >= H) {
                            memset(dst, 0, (size_t)Wo * sizeof *dst);
                            continue;
                        }
                        base = (long)y * W - s->pad + j; /* input index of ox = 0 */
                        for (int ox = 0; ox < lo; ox++)
                            dst[ox] = 0.0f;
                        if (s->stride == 1)
                            memcpy(dst + lo, src + base + lo, (size_t)(hi - lo) * sizeof *dst);
                        else
                            for (int ox = lo; ox < hi; ox++)
                                dst[ox] = src[base + (long)ox * s->stride];
                        for (int ox = hi; ox < Wo; ox++)
                            dst[ox] = 0.0f;
                    }
                }
            }
}

/* din (C, B, H, W) += col2im(col), the adjoint of im2col. */
static void col2im(float *din, const float *col, int C, const mc_conv_shape *s, int B, int H, int W,
                   int Ho, int Wo)
{
    size_t n = (size_t)B * Ho * Wo, plane = (size_t)H * W;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < s->kh; i++)
            for (int j = 0; j < s->kw; j++) {
                const float *row = col + ((size_t)(c * s->kh + i) * s->kw + j) * n;
                for (int b = 0; b < B; b++) {
                    float *dst = din + ((size_t)c * B + b) * plane;
                    for (int oy = 0; oy < Ho; oy++) {
                        int y = oy * s->stride - s->pad + i;
                        const float *src = row + ((size_t)b * Ho + oy) * Wo;
                        if (y < 0 || y >= H)
                            continue;
                        for (int ox = 0; ox < Wo; ox++) {
                            int x = ox * s->stride - s->pad + j;
                            if (x >= 0 && x < W)
                                dst[(size_t)y * W + x] += src[ox];
                        }
                    }
                }
            }
}

void mc_conv2d_forward(float *out, float *col, const float *in, const float *weight,
                       const float *bias, const mc_conv_shape *s, int B, int H, int W)
{
    int Ho = mc_conv_out(H, s->kh, s->stride, s->pad), Wo = mc_conv_out(W, s->kw, s->stride, s->pad);
    int cig = s->ci / s->groups, cog = s->co / s->groups, K = cig * s->kh * s->kw;
    size_t n = (size_t)B * Ho * Wo, inplane = (size_t)B * H * W;
    for (int g = 0; g < s->groups; g++) {
        const float *gin = in + (size_t)g * cig * inplane;
        const float *a = gin;
        if (!direct(s)) {
            im2col(col, gin, cig, s, B, H, W, Ho, Wo);
            a = col;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cog, (int)n, K, 1.0f,
                    weight + (size_t)g * cog * K, K, a, (int)n, 0.0f, out + (size_t)g * cog * n, (int)n);
    }
    if (bias)
        for (int o = 0; o < s->co; o++) {
            float *row = out + (size_t)o * n;
            for (size_t k = 0; k < n; k++)
                row[k] += bias[o];
        }
}

void mc_conv2d_backward(float *dinp, float *dweight, float *dbias, float *col, const float *dout,
                        const float *in, const float *weight, const mc_conv_shape *s, int B, int H,
                        int W)
{
    int Ho = mc_conv_out(H, s->kh, s->stride, s->pad), Wo = mc_conv_out(W, s->kw, s->stride, s->pad);
    int cig = s->ci / s->groups, cog = s->co / s->groups, K = cig * s->kh * s->kw;
    size_t n = (size_t)B * Ho * Wo, inplane = (size_t)B * H * W;
    if (dbias)
        for (int o = 0; o < s->co; o++) {
            const float *row = dout + (size_t)o * n;
            double sum = 0.0;
            for (size_t k = 0; k < n; k++)
                sum += row[k];
            dbias[o] += (float)sum;
        }
    for (int g = 0; g < s->groups; g++) {
        const float *gin = in + (size_t)g * cig * inplane;
        const float *gdout = dout + (size_t)g * cog * n;
        const float *gw = weight + (size_t)g * cog * K;
        const float *a = gin;
        if (!direct(s)) {
            im2col(col, gin, cig, s, B, H, W, Ho, Wo);
            a = col;
        }
        /* dW (cog, K) += dout (cog, n) . col^T (n, K) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, cog, K, (int)n, 1.0f, gdout, (int)n, a,
                    (int)n, 1.0f, dweight + (size_t)g * cog * K, K);
        if (!dinp)
            continue;
        if (direct(s)) {
            /* din (cig, n) += W^T (cig, cog) . dout (cog, n) */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, (int)n, cog, 1.0f, gw, K, gdout,
                        (int)n, 1.0f, dinp + (size_t)g * cig * inplane, (int)n);
        } else {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, (int)n, cog, 1.0f, gw, K, gdout,
                        (int)n, 0.0f, col, (int)n);
            col2im(dinp + (size_t)g * cig * inplane, col, cig, s, B, H, W, Ho, Wo);
        }
    }
}

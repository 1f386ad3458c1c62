/* conv2d.c - convolution by im2col and cblas_sgemm, channel-major layout. */
#define _POSIX_C_SOURCE 200809L
#include "nn/conv2d.h"
#include "core/pool.h"

#include <cblas.h>
#include <string.h>

int mc_conv_out(int in, int k, int stride, int pad) { return (in + 2 * pad - k) / stride + 1; }

/* 1 if the convolution reads its input as the GEMM operand directly. */
static int direct(const mc_conv_shape *s)
{
    return s->kh == 1 && s->kw == 1 && s->stride == 1 && s->pad == 0;
}

/* Floats of im2col matrix to aim for: the batch is split into chunks of
 * images so the matrix stays near the caches (8 MiB by default). */
static size_t scratch_cap = (size_t)2 << 20;

void mc_conv_set_scratch_cap(size_t floats) { scratch_cap = floats ? floats : 1; }

/* Images per chunk for a convolution producing Ho x Wo from K rows. */
static int chunk_images(const mc_conv_shape *s, int B, int Ho, int Wo)
{
    size_t per = (size_t)(s->ci / s->groups) * s->kh * s->kw * Ho * Wo;
    size_t n = per ? scratch_cap / per : (size_t)B;
    return n < 1 ? 1 : n > (size_t)B ? B : (int)n;
}

size_t mc_conv_scratch(const mc_conv_shape *s, int B, int H, int W)
{
    int ho = mc_conv_out(H, s->kh, s->stride, s->pad), wo = mc_conv_out(W, s->kw, s->stride, s->pad);
    if (direct(s))
        return 0;
    return (size_t)(s->ci / s->groups) * s->kh * s->kw * (size_t)chunk_images(s, B, ho, wo) * ho * wo;
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

/* Rows [r0, r1) of col (C*KH*KW, nb*Ho*Wo) from images b0..b0+nb-1 of in
 * (C, B, H, W); row (c*KH + i)*KW + j holds input channel c shifted by
 * kernel tap (i, j). */
static void im2col_rows(float *col, const float *in, const mc_conv_shape *s, int B, int b0, int nb,
                        int H, int W, int Ho, int Wo, long r0, long r1)
{
    size_t n = (size_t)nb * Ho * Wo, plane = (size_t)H * W;
    for (long r = r0; r < r1; r++) {
        int c = (int)(r / (s->kh * s->kw)), i = (int)(r / s->kw % s->kh), j = (int)(r % s->kw);
        float *row = col + (size_t)r * n;
        int lo, hi;
        valid_cols(Wo, W, s->stride, s->pad, j, &lo, &hi);
        for (int b = 0; b < nb; b++) {
            const float *src = in + ((size_t)c * B + b0 + b) * plane;
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

/* im2col or col2im of images b0..b0+nb-1, for parts on the shared pool's
 * threads: im2col parts are ranges of the column matrix's rows, col2im
 * parts ranges of input channels (each writes its own channels). */
typedef struct {
    float *col, *din;
    const float *in, *ccol;
    const mc_conv_shape *s;
    int B, b0, nb, H, W, Ho, Wo;
} col_job;

static void im2col_part(void *ctx, long r0, long r1, int part)
{
    const col_job *j = ctx;
    (void)part;
    im2col_rows(j->col, j->in, j->s, j->B, j->b0, j->nb, j->H, j->W, j->Ho, j->Wo, r0, r1);
}

/* col (C*KH*KW, nb*Ho*Wo) from images b0..b0+nb-1 of in (C, B, H, W). */
static void im2col(float *col, const float *in, int C, const mc_conv_shape *s, int B, int b0, int nb,
                   int H, int W, int Ho, int Wo)
{
    col_job j = {.col = col, .in = in, .s = s, .B = B, .b0 = b0, .nb = nb, .H = H, .W = W, .Ho = Ho,
                 .Wo = Wo};
    mc_rows_run((long)C * s->kh * s->kw, 16, im2col_part, &j);
}

/* Input channels [c0, c1) of images b0..b0+nb-1 of din (C, B, H, W) +=
 * col2im(col), the adjoint of im2col. */
static void col2im_part(void *ctx, long c0, long c1, int part)
{
    const col_job *job = ctx;
    const mc_conv_shape *s = job->s;
    const float *col = job->ccol;
    float *din = job->din;
    int B = job->B, b0 = job->b0, nb = job->nb, H = job->H, W = job->W, Ho = job->Ho, Wo = job->Wo;
    size_t n = (size_t)nb * Ho * Wo, plane = (size_t)H * W;
    (void)part;
    for (long c = c0; c < c1; c++)
        for (int i = 0; i < s->kh; i++)
            for (int j = 0; j < s->kw; j++) {
                const float *row = col + ((size_t)(c * s->kh + i) * s->kw + j) * n;
                int lo, hi;
                valid_cols(Wo, W, s->stride, s->pad, j, &lo, &hi);
                for (int b = 0; b < nb; b++) {
                    float *dst = din + ((size_t)c * B + b0 + b) * plane;
                    for (int oy = 0; oy < Ho; oy++) {
                        int y = oy * s->stride - s->pad + i;
                        const float *src = row + ((size_t)b * Ho + oy) * Wo;
                        long base = (long)y * W - s->pad + j;
                        if (y < 0 || y >= H)
                            continue;
                        for (int ox = lo; ox < hi; ox++)
                            dst[base + (long)ox * s->stride] += src[ox];
                    }
                }
            }
}

/* Images b0..b0+nb-1 of din (C, B, H, W) += col2im(col), the adjoint of im2col. */
static void col2im(float *din, const float *col, int C, const mc_conv_shape *s, int B, int b0, int nb,
                   int H, int W, int Ho, int Wo)
{
    col_job j = {.din = din, .ccol = col, .s = s, .B = B, .b0 = b0, .nb = nb, .H = H, .W = W,
                 .Ho = Ho, .Wo = Wo};
    mc_rows_run(C, 1, col2im_part, &j);
}

int mc_conv_chunk(const mc_conv_shape *s, int B, int H, int W)
{
    return direct(s) ? B : chunk_images(s, B, mc_conv_out(H, s->kh, s->stride, s->pad),
                                        mc_conv_out(W, s->kw, s->stride, s->pad));
}

long mc_conv_col_rows(const mc_conv_shape *s)
{
    return direct(s) ? 0 : (long)(s->ci / s->groups) * s->kh * s->kw;
}

void mc_conv2d_im2col_part(float *col, const float *in, const mc_conv_shape *s, int B, int H, int W,
                           int g, int b0, int nb, long r0, long r1)
{
    int Ho = mc_conv_out(H, s->kh, s->stride, s->pad), Wo = mc_conv_out(W, s->kw, s->stride, s->pad);
    int cig = s->ci / s->groups;
    if (!direct(s))
        im2col_rows(col, in + (size_t)g * cig * B * H * W, s, B, b0, nb, H, W, Ho, Wo, r0, r1);
}

void mc_conv2d_gemm_part(float *out, const float *col, const float *in, const float *weight,
                         const float *bias, const float *add, int relu, const mc_conv_shape *s, int B,
                         int H, int W, int g, int b0, int nb, int m0, int m1)
{
    int Ho = mc_conv_out(H, s->kh, s->stride, s->pad), Wo = mc_conv_out(W, s->kw, s->stride, s->pad);
    int cig = s->ci / s->groups, cog = s->co / s->groups, K = cig * s->kh * s->kw;
    size_t n = (size_t)B * Ho * Wo, hw = (size_t)Ho * Wo;
    const float *a = col;
    int lda = (int)(nb * hw);
    if (m1 <= m0)
        return;
    if (direct(s)) {
        a = in + (size_t)g * cig * B * H * W + b0 * hw;
        lda = (int)n;
    }
    for (int b = 0; b < nb; b++) {
        /* out rows m0..m1-1 of image b0+b: (m1-m0, hw; row stride n) =
         * W_g (rows m0..m1-1, K) . col (K, hw), one GEMM per image:
         * OpenBLAS's sums depend on the GEMM's shape, so an image's output
         * must not depend on the batch it came in */
        float *o = out + ((size_t)g * cog + m0) * n + (b0 + b) * hw;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m1 - m0, (int)hw, K, 1.0f,
                    weight + ((size_t)g * cog + m0) * K, K, a + b * hw, lda, 0.0f, o, (int)n);
        for (int m = m0; m < m1 && (bias || add || relu); m++) {
            float *row = o + (size_t)(m - m0) * n, bm = bias ? bias[g * cog + m] : 0.0f;
            const float *ar = add ? add + (o - out) + (size_t)(m - m0) * n : NULL;
            for (size_t k = 0; k < hw; k++) {
                float v = bias ? row[k] + bm : row[k];
                if (ar)
                    v += ar[k];
                row[k] = relu && !(v > 0.0f) ? 0.0f : v;
            }
        }
    }
}

void mc_conv2d_forward(float *out, float *col, const float *in, const float *weight,
                       const float *bias, const mc_conv_shape *s, int B, int H, int W)
{
    int chunk = mc_conv_chunk(s, B, H, W);
    for (int g = 0; g < s->groups; g++)
        for (int b0 = 0; b0 < B; b0 += chunk) {
            int nb = B - b0 < chunk ? B - b0 : chunk;
            if (mc_conv_col_rows(s))
                im2col(col, in + (size_t)g * (s->ci / s->groups) * B * H * W, s->ci / s->groups, s,
                       B, b0, nb, H, W, mc_conv_out(H, s->kh, s->stride, s->pad),
                       mc_conv_out(W, s->kw, s->stride, s->pad));
            mc_conv2d_gemm_part(out, col, in, weight, bias, NULL, 0, s, B, H, W, g, b0, nb, 0,
                                s->co / s->groups);
        }
}

void mc_conv2d_backward(float *dinp, float *dweight, float *dbias, float *col, const float *dout,
                        const float *in, const float *weight, const mc_conv_shape *s, int B, int H,
                        int W)
{
    int Ho = mc_conv_out(H, s->kh, s->stride, s->pad), Wo = mc_conv_out(W, s->kw, s->stride, s->pad);
    int cig = s->ci / s->groups, cog = s->co / s->groups, K = cig * s->kh * s->kw;
    int chunk = direct(s) ? B : chunk_images(s, B, Ho, Wo);
    size_t n = (size_t)B * Ho * Wo, inplane = (size_t)B * H * W, hw = (size_t)Ho * Wo;
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
        const float *gw = weight + (size_t)g * cog * K;
        for (int b0 = 0; b0 < B; b0 += chunk) {
            int nb = B - b0 < chunk ? B - b0 : chunk, m = (int)(nb * hw);
            const float *gdout = dout + (size_t)g * cog * n + b0 * hw;
            if (direct(s)) {
                /* the input itself is the column matrix (row stride n) */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, cog, K, m, 1.0f, gdout, (int)n,
                            gin + b0 * hw, (int)n, 1.0f, dweight + (size_t)g * cog * K, K);
                if (dinp)
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, m, cog, 1.0f, gw, K, gdout,
                                (int)n, 1.0f, dinp + (size_t)g * cig * inplane + b0 * hw, (int)n);
                continue;
            }
            im2col(col, gin, cig, s, B, b0, nb, H, W, Ho, Wo);
            /* dW (cog, K) += dout (cog, m) . col^T (m, K) */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, cog, K, m, 1.0f, gdout, (int)n, col,
                        m, 1.0f, dweight + (size_t)g * cog * K, K);
            if (!dinp)
                continue;
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, m, cog, 1.0f, gw, K, gdout, (int)n,
                        0.0f, col, m);
            col2im(dinp + (size_t)g * cig * inplane, col, cig, s, B, b0, nb, H, W, Ho, Wo);
        }
    }
}

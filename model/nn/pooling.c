/* pooling.c - ReLU and pooling layers, forward and backward. */
#define _POSIX_C_SOURCE 200809L
#include "nn/pooling.h"
#include "nn/conv2d.h"

#include <float.h>

void mc_relu_forward(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

void mc_relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (out[i] > 0.0f)
            dinp[i] += dout[i];
}

void mc_maxpool_forward(float *out, int32_t *idx, const float *in, size_t P, int H, int W, int k,
                        int stride, int pad)
{
    int Ho = mc_conv_out(H, k, stride, pad), Wo = mc_conv_out(W, k, stride, pad);
    for (size_t p = 0; p < P; p++) {
        const float *src = in + p * H * W;
        for (int oy = 0; oy < Ho; oy++)
            for (int ox = 0; ox < Wo; ox++) {
                float best = -FLT_MAX;
                int32_t at = -1;
                for (int i = 0; i < k; i++) {
                    int y = oy * stride - pad + i;
                    if (y < 0 || y >= H)
                        continue;
                    for (int j = 0; j < k; j++) {
                        int x = ox * stride - pad + j;
                        if (x >= 0 && x < W && (at < 0 || src[y * W + x] > best)) {
                            best = src[y * W + x];
                            at = y * W + x;
                        }
                    }
                }
                out[(p * Ho + oy) * Wo + ox] = best;
                if (idx)
                    idx[(p * Ho + oy) * Wo + ox] = at;
            }
    }
}

/* max(a, b) for values that are never NaN. */
static inline float max2(float a, float b) { return a > b ? a : b; }

void mc_maxpool3s2_forward(float *out, const float *in, size_t P, int H, int W)
{
    int Ho = mc_conv_out(H, 3, 2, 1), Wo = mc_conv_out(W, 3, 2, 1);
    for (size_t p = 0; p < P; p++) {
        const float *src = in + p * H * W;
        float *dst = out + p * Ho * Wo;
        for (int oy = 0; oy < Ho; oy++) {
            int y0 = 2 * oy - 1 < 0 ? 0 : 2 * oy - 1, y1 = 2 * oy + 1 < H ? 2 * oy + 1 : H - 1;
            for (int ox = 0; ox < Wo; ox++) {
                int x0 = 2 * ox - 1 < 0 ? 0 : 2 * ox - 1, x1 = 2 * ox + 1 < W ? 2 * ox + 1 : W - 1;
                float best = src[y0 * W + x0];
                for (int y = y0; y <= y1; y++)
                    for (int x = x0; x <= x1; x++)
                        best = max2(best, src[y * W + x]);
                dst[oy * Wo + ox] = best;
            }
        }
    }
}

void mc_maxpool_backward(float *dinp, const float *dout, const int32_t *idx, size_t P, int H, int W,
                         int Ho, int Wo)
{
    size_t per = (size_t)Ho * Wo;
    for (size_t p = 0; p < P; p++)
        for (size_t o = 0; o < per; o++)
            if (idx[p * per + o] >= 0)
                dinp[p * H * W + (size_t)idx[p * per + o]] += dout[p * per + o];
}

void mc_avgpool_forward(float *out, const float *in, size_t P, int H, int W, int k, int stride,
                        int pad)
{
    int Ho = mc_conv_out(H, k, stride, pad), Wo = mc_conv_out(W, k, stride, pad);
    float inv = 1.0f / (float)(k * k);
    for (size_t p = 0; p < P; p++) {
        const float *src = in + p * H * W;
        for (int oy = 0; oy < Ho; oy++)
            for (int ox = 0; ox < Wo; ox++) {
                float s = 0.0f;
                for (int i = 0; i < k; i++) {
                    int y = oy * stride - pad + i;
                    for (int j = 0; j < k && y >= 0 && y < H; j++) {
                        int x = ox * stride - pad + j;
                        if (x >= 0 && x < W)
                            s += src[y * W + x];
                    }
                }
                out[(p * Ho + oy) * Wo + ox] = s * inv;
            }
    }
}

void mc_avgpool_backward(float *dinp, const float *dout, size_t P, int H, int W, int k, int stride,
                         int pad)
{
    int Ho = mc_conv_out(H, k, stride, pad), Wo = mc_conv_out(W, k, stride, pad);
    float inv = 1.0f / (float)(k * k);
    for (size_t p = 0; p < P; p++) {
        float *dst = dinp + p * H * W;
        for (int oy = 0; oy < Ho; oy++)
            for (int ox = 0; ox < Wo; ox++) {
                float g = dout[(p * Ho + oy) * Wo + ox] * inv;
                for (int i = 0; i < k; i++) {
                    int y = oy * stride - pad + i;
                    for (int j = 0; j < k && y >= 0 && y < H; j++) {
                        int x = ox * stride - pad + j;
                        if (x >= 0 && x < W)
                            dst[y * W + x] += g;
                    }
                }
            }
    }
}

void mc_gap_forward(float *out, const float *in, size_t P, int HW)
{
    for (size_t p = 0; p < P; p++) {
        double s = 0.0;
        for (int i = 0; i < HW; i++)
            s += in[p * HW + i];
        out[p] = (float)(s / HW);
    }
}

void mc_gap_backward(float *dinp, const float *dout, size_t P, int HW)
{
    for (size_t p = 0; p < P; p++) {
        float g = dout[p] / (float)HW;
        for (int i = 0; i < HW; i++)
            dinp[p * HW + i] += g;
    }
}

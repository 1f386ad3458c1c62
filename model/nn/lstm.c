/* lstm.c - pointwise LSTM cell, forward and backward. */
#define _POSIX_C_SOURCE 200809L
#include "nn/lstm.h"

#include "core/fastmath.h"


MC_VECTOR_LOOPS void mc_lstm_cell_forward(float *h, float *c_out, float *act, const float *pre, const float *c_in,
                          int B, int H)
{
    for (int b = 0; b < B; b++) {
        const float *p = pre + (long)b * 4 * H;
        float *a = act + (long)b * 4 * H;
        for (int j = 0; j < H; j++) {
            float i = mc_sigmoidf(p[j]), f = mc_sigmoidf(p[H + j]), g = mc_tanhf(p[2 * H + j]),
                  o = mc_sigmoidf(p[3 * H + j]);
            float c = f * c_in[(long)b * H + j] + i * g;
            a[j] = i;
            a[H + j] = f;
            a[2 * H + j] = g;
            a[3 * H + j] = o;
            c_out[(long)b * H + j] = c;
            h[(long)b * H + j] = o * mc_tanhf(c);
        }
    }
}

MC_VECTOR_LOOPS void mc_lstm_cell_backward(float *dpre, float *dc_in, const float *dh, const float *dc_out,
                           const float *act, const float *c_in, const float *c_out, int B, int H)
{
    for (int b = 0; b < B; b++) {
        const float *a = act + (long)b * 4 * H;
        float *d = dpre + (long)b * 4 * H;
        for (int j = 0; j < H; j++) {
            long k = (long)b * H + j;
            float i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
            float tc = mc_tanhf(c_out[k]);
            float dc = dh[k] * o * (1.0f - tc * tc) + (dc_out ? dc_out[k] : 0.0f);
            d[j] = dc * g * i * (1.0f - i);
            d[H + j] = dc * c_in[k] * f * (1.0f - f);
            d[2 * H + j] = dc * i * (1.0f - g * g);
            d[3 * H + j] = dh[k] * tc * o * (1.0f - o);
            dc_in[k] += dc * f;
        }
    }
}

/* attention.c - multi-head scaled dot-product attention, forward and backward. */
#define _POSIX_C_SOURCE 200809L
#include "nn/attention.h"
#include "core/util.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

void mc_attention_forward(float *out, float *att, const float *q, const float *k,
                          const float *v, int B, int Tq, int Tk, int C, int NH, int causal)
{
    int hs = C / NH;
    float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int i = 0; i < Tq; i++) {
                const float *qi = q + ((size_t)b * Tq + i) * C + (size_t)h * hs;
                float *a = att + (((size_t)b * NH + h) * Tq + i) * Tk;
                float *o = out + ((size_t)b * Tq + i) * C + (size_t)h * hs;
                int last = causal ? i + (Tk - Tq) : Tk - 1; /* last visible key */
                float mx = -INFINITY, sum = 0.0f;
                if (last > Tk - 1)
                    last = Tk - 1;
                for (int j = 0; j <= last; j++) {
                    const float *kj = k + ((size_t)b * Tk + j) * C + (size_t)h * hs;
                    float s = 0.0f;
                    for (int d = 0; d < hs; d++)
                        s += qi[d] * kj[d];
                    a[j] = s * scale;
                    if (a[j] > mx)
                        mx = a[j];
                }
                for (int j = 0; j <= last; j++) {
                    a[j] = expf(a[j] - mx);
                    sum += a[j];
                }
                for (int j = 0; j <= last; j++)
                    a[j] /= sum;
                for (int j = last + 1; j < Tk; j++)
                    a[j] = 0.0f;
                for (int d = 0; d < hs; d++)
                    o[d] = 0.0f;
                for (int j = 0; j <= last; j++) {
                    const float *vj = v + ((size_t)b * Tk + j) * C + (size_t)h * hs;
                    for (int d = 0; d < hs; d++)
                        o[d] += a[j] * vj[d];
                }
            }
}

void mc_attention_backward(float *dq, float *dk, float *dv, const float *dout,
                           const float *q, const float *k, const float *v, const float *att,
                           int B, int Tq, int Tk, int C, int NH)
{
    int hs = C / NH;
    float scale = 1.0f / sqrtf((float)hs);
    float *datt = mc_malloc((size_t)Tk * sizeof *datt);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int i = 0; i < Tq; i++) {
                size_t qoff = ((size_t)b * Tq + i) * C + (size_t)h * hs;
                const float *a = att + (((size_t)b * NH + h) * Tq + i) * Tk;
                const float *dy = dout + qoff;
                float dot = 0.0f;
                for (int j = 0; j < Tk; j++) {
                    size_t koff = ((size_t)b * Tk + j) * C + (size_t)h * hs;
                    float s = 0.0f;
                    for (int d = 0; d < hs; d++)
                        s += dy[d] * v[koff + d];
                    datt[j] = s;
                    dot += a[j] * s;
                    if (dv && a[j] != 0.0f)
                        for (int d = 0; d < hs; d++)
                            dv[koff + d] += a[j] * dy[d];
                }
                for (int j = 0; j < Tk; j++) {
                    size_t koff = ((size_t)b * Tk + j) * C + (size_t)h * hs;
                    float dpre = a[j] * (datt[j] - dot) * scale;
                    if (dpre == 0.0f)
                        continue;
                    for (int d = 0; d < hs; d++)
                        dq[qoff + d] += dpre * k[koff + d];
                    if (dk)
                        for (int d = 0; d < hs; d++)
                            dk[koff + d] += dpre * q[qoff + d];
                }
            }
    free(datt);
}

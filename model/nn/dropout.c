/* dropout.c - inverted dropout with a saved mask. */
#define _POSIX_C_SOURCE 200809L
#include "nn/dropout.h"

void mc_dropout_forward(float *out, float *mask, const float *inp, int n, float p, mc_prng *r)
{
    float keep = 1.0f / (1.0f - p);
    for (int i = 0; i < n; i++) {
        mask[i] = mc_prng_uniform(r) < p ? 0.0f : keep;
        out[i] = inp[i] * mask[i];
    }
}

void mc_dropout_backward(float *dinp, const float *dout, const float *mask, int n)
{
    for (int i = 0; i < n; i++)
        dinp[i] += dout[i] * mask[i];
}

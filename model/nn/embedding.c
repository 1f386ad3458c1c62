/* embedding.c - token embedding lookup and its scatter-add backward. */
#define _POSIX_C_SOURCE 200809L
#include "nn/embedding.h"

#include <string.h>

void mc_embedding_forward(float *out, int stride, const int *tok, const float *w, int N, int E)
{
    for (int n = 0; n < N; n++)
        memcpy(out + (long)n * stride, w + (long)tok[n] * E, (size_t)E * sizeof *w);
}

void mc_embedding_backward(float *dw, const float *dout, int stride, const int *tok, int N, int E)
{
    for (int n = 0; n < N; n++) {
        float *d = dw + (long)tok[n] * E;
        const float *g = dout + (long)n * stride;
        for (int e = 0; e < E; e++)
            d[e] += g[e];
    }
}

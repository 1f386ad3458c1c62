/* xent.c - label-smoothed softmax cross-entropy with padding mask. */
#define _POSIX_C_SOURCE 200809L
#include "nn/xent.h"
#include "core/fastmath.h"

#include <math.h>

MC_VECTOR_LOOPS double mc_xent_forward(float *probs, const float *logits, const int *targets, int N, int V,
                       float smoothing, int *count)
{
    double total = 0.0;
    *count = 0;
    for (int n = 0; n < N; n++) {
        const float *x = logits + (long)n * V;
        float *p = probs + (long)n * V, mx = -1e30f, sum = 0.0f, mean = 0.0f, lse;
        float xt = targets[n] != MC_XENT_PAD ? x[targets[n]] : 0.0f; /* before p overwrites x */
        for (int v = 0; v < V; v++)
            mx = x[v] > mx ? x[v] : mx;
        for (int v = 0; v < V; v++)
            mean += x[v];
        mean /= (float)V;
        for (int v = 0; v < V; v++)
            sum += (p[v] = mc_expf(x[v] - mx));
        lse = mx + logf(sum);
        if (targets[n] != MC_XENT_PAD) {
            /* -sum q log p = (1-eps)(lse - x_t) + eps (lse - mean x) */
            total += (1.0f - smoothing) * (lse - xt) + smoothing * (lse - mean);
            (*count)++;
        }
        for (int v = 0; v < V; v++)
            p[v] /= sum;
    }
    return total;
}

MC_VECTOR_LOOPS void mc_xent_backward(float *dlogits, const float *probs, const int *targets, int N, int V,
                      float smoothing, float scale)
{
    float u = smoothing / (float)V;
    for (int n = 0; n < N; n++) {
        const float *p = probs + (long)n * V;
        float *d = dlogits + (long)n * V;
        if (targets[n] == MC_XENT_PAD)
            continue;
        for (int v = 0; v < V; v++)
            d[v] += scale * (p[v] - u);
        d[targets[n]] -= scale * (1.0f - smoothing);
    }
}

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

double mc_wxent_forward(float *probs, const float *logits, const int *targets, const float *w,
                        int N, int K, double *wsum)
{
    double total = 0.0;
    *wsum = 0.0;
    for (int n = 0; n < N; n++) {
        const float *x = logits + (long)n * K;
        float *p = probs + (long)n * K, mx = -1e30f;
        int t = targets ? targets[n] : -1;
        double sum = 0.0, xt = t >= 0 ? x[t] : 0.0;
        for (int k = 0; k < K; k++)
            mx = x[k] > mx ? x[k] : mx;
        for (int k = 0; k < K; k++)
            sum += (p[k] = expf(x[k] - mx));
        for (int k = 0; k < K; k++)
            p[k] = (float)(p[k] / sum);
        if (t >= 0) {
            double wt = w ? w[t] : 1.0;
            total += wt * (mx + log(sum) - xt);
            *wsum += wt;
        }
    }
    return total;
}

void mc_wxent_backward(float *dlogits, const float *probs, const int *targets, const float *w,
                       int N, int K, float scale)
{
    for (int n = 0; n < N; n++) {
        const float *p = probs + (long)n * K;
        float *d = dlogits + (long)n * K, s;
        if (targets[n] < 0)
            continue;
        s = scale * (w ? w[targets[n]] : 1.0f);
        for (int k = 0; k < K; k++)
            d[k] += s * p[k];
        d[targets[n]] -= s;
    }
}

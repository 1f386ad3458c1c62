/* xent.c - label-smoothed softmax cross-entropy with padding mask. */
#define _POSIX_C_SOURCE 200809L
#include "nn/xent.h"
#include "core/fastmath.h"
#include "core/pool.h"

#include <math.h>
#include <stdlib.h>

/* The arguments of mc_xent_forward or _backward, for its parts on threads. */
typedef struct {
    float *probs, *dlogits, *loss; /* loss (N): each row's loss term */
    const float *logits, *cprobs;
    const int *targets;
    int V;
    float smoothing, scale;
} xent_args;

/* Rows lo..hi-1 of mc_xent_forward: probabilities, and each counted row's
 * loss term in x->loss. */
MC_VECTOR_LOOPS static void forward_rows(void *ctx, long lo, long hi, int part)
{
    const xent_args *a = ctx;
    const int *targets = a->targets;
    int V = a->V;
    float smoothing = a->smoothing;
    (void)part;
    for (long n = lo; n < hi; n++) {
        const float *x = a->logits + n * V;
        float *p = a->probs + n * V, mx = -1e30f, sum = 0.0f, mean = 0.0f, lse;
        float xt = targets[n] != MC_XENT_PAD ? x[targets[n]] : 0.0f; /* before p overwrites x */
        for (int v = 0; v < V; v++)
            mx = x[v] > mx ? x[v] : mx;
        for (int v = 0; v < V; v++)
            mean += x[v];
        mean /= (float)V;
        for (int v = 0; v < V; v++)
            sum += (p[v] = mc_expf(x[v] - mx));
        lse = mx + logf(sum);
        /* -sum q log p = (1-eps)(lse - x_t) + eps (lse - mean x) */
        a->loss[n] = (1.0f - smoothing) * (lse - xt) + smoothing * (lse - mean);
        for (int v = 0; v < V; v++)
            p[v] /= sum;
    }
}

double mc_xent_forward(float *probs, const float *logits, const int *targets, int N, int V,
                       float smoothing, int *count)
{
    xent_args a = {.probs = probs, .logits = logits, .targets = targets, .V = V,
                   .smoothing = smoothing};
    double total = 0.0;
    a.loss = malloc((size_t)(N > 0 ? N : 1) * sizeof *a.loss);
    mc_rows_run(N, 8, forward_rows, &a);
    *count = 0;
    for (int n = 0; n < N; n++) /* summed in row order, whatever the threads */
        if (targets[n] != MC_XENT_PAD) {
            total += a.loss[n];
            (*count)++;
        }
    free(a.loss);
    return total;
}

/* Rows lo..hi-1 of mc_xent_backward. */
MC_VECTOR_LOOPS static void backward_rows(void *ctx, long lo, long hi, int part)
{
    const xent_args *a = ctx;
    const int *targets = a->targets;
    int V = a->V;
    float smoothing = a->smoothing, scale = a->scale, u = smoothing / (float)V;
    (void)part;
    for (long n = lo; n < hi; n++) {
        const float *p = a->cprobs + n * V;
        float *d = a->dlogits + n * V;
        if (targets[n] == MC_XENT_PAD)
            continue;
        for (int v = 0; v < V; v++)
            d[v] += scale * (p[v] - u);
        d[targets[n]] -= scale * (1.0f - smoothing);
    }
}

void mc_xent_backward(float *dlogits, const float *probs, const int *targets, int N, int V,
                      float smoothing, float scale)
{
    xent_args a = {.dlogits = dlogits, .cprobs = probs, .targets = targets, .V = V,
                   .smoothing = smoothing, .scale = scale};
    mc_rows_run(N, 8, backward_rows, &a);
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

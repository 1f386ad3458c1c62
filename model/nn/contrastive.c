/* contrastive.c - weighted pooling of embeddings, L2 normalisation, InfoNCE. */
#define _POSIX_C_SOURCE 200809L
#include "nn/contrastive.h"
#include "core/util.h"
#include "core/vecmath.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>

void mc_tokpool_forward(float *out, float *attn, const int *tok, const int *len, const float *w,
                        const float *u, int B, int T, int E)
{
    for (int b = 0; b < B; b++) {
        const int *tk = tok + (size_t)b * T;
        float *o = out + (size_t)b * E, *a = attn + (size_t)b * T, mx = -INFINITY, sum = 0.0f;
        for (int t = 0; t < T; t++)
            a[t] = 0.0f;
        for (int e = 0; e < E; e++)
            o[e] = 0.0f;
        for (int t = 0; t < len[b]; t++)
            mx = fmaxf(mx, u[tk[t]]);
        for (int t = 0; t < len[b]; t++)
            sum += a[t] = expf(u[tk[t]] - mx);
        for (int t = 0; t < len[b]; t++) {
            const float *row = w + (size_t)tk[t] * E;
            a[t] /= sum;
            for (int e = 0; e < E; e++)
                o[e] += a[t] * row[e];
        }
    }
}

void mc_tokpool_backward(float *dw, float *du, const float *dout, const float *attn,
                         const int *tok, const int *len, const float *w, int B, int T, int E)
{
    for (int b = 0; b < B; b++) {
        const int *tk = tok + (size_t)b * T;
        const float *d = dout + (size_t)b * E, *a = attn + (size_t)b * T;
        float mean_da = 0.0f; /* sum over t of a[t] da[t], da[t] = w[tok t] . d */
        for (int t = 0; t < len[b]; t++) {
            const float *row = w + (size_t)tk[t] * E;
            float da = 0.0f;
            for (int e = 0; e < E; e++)
                da += row[e] * d[e];
            mean_da += a[t] * da;
        }
        for (int t = 0; t < len[b]; t++) {
            const float *row = w + (size_t)tk[t] * E;
            float *drow = dw + (size_t)tk[t] * E, da = 0.0f;
            for (int e = 0; e < E; e++) {
                da += row[e] * d[e];
                drow[e] += a[t] * d[e];
            }
            du[tk[t]] += a[t] * (da - mean_da);
        }
    }
}

void mc_l2norm_forward(float *out, float *norm, const float *inp, int N, int D)
{
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * D;
        float *o = out + (size_t)n * D;
        double len = mc_l2_norm(x, (size_t)D);
        norm[n] = len > 1e-12 ? (float)len : 1e-12f;
        for (int d = 0; d < D; d++)
            o[d] = x[d] / norm[n];
    }
}

void mc_l2norm_backward(float *dinp, const float *dout, const float *out, const float *norm, int N,
                        int D)
{
    for (int n = 0; n < N; n++) {
        const float *g = dout + (size_t)n * D, *y = out + (size_t)n * D;
        float *dx = dinp + (size_t)n * D;
        double dot = 0.0;
        for (int d = 0; d < D; d++)
            dot += (double)g[d] * y[d];
        for (int d = 0; d < D; d++)
            dx[d] += (g[d] - y[d] * (float)dot) / norm[n];
    }
}

/* Softmax of the n values x[0], x[step], ... into p (same stride); returns
 * the log-sum-exp. */
static double softmax_strided(float *p, const float *x, int n, int step)
{
    double mx = -INFINITY, s = 0.0, lse;
    for (int i = 0; i < n; i++)
        if (x[(size_t)i * step] > mx)
            mx = x[(size_t)i * step];
    for (int i = 0; i < n; i++)
        s += exp((double)x[(size_t)i * step] - mx);
    lse = mx + log(s);
    for (int i = 0; i < n; i++)
        p[(size_t)i * step] = (float)exp((double)x[(size_t)i * step] - lse);
    return lse;
}

float mc_infonce_forward(float *logits, float *pr, float *pc, const float *a, const float *b,
                         float log_scale, int N, int D)
{
    double loss = 0.0;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, D, expf(log_scale), a, D, b, D,
                0.0f, logits, N);
    for (int i = 0; i < N; i++) {
        loss += softmax_strided(pr + (size_t)i * N, logits + (size_t)i * N, N, 1);
        loss += softmax_strided(pc + i, logits + i, N, N);
        loss -= 2.0 * logits[(size_t)i * N + i];
    }
    return (float)(loss / (2.0 * N));
}

void mc_infonce_backward(float *da, float *db, float *dlog_scale, const float *logits,
                         const float *pr, const float *pc, const float *a, const float *b,
                         float log_scale, int N, int D)
{
    size_t nn = (size_t)N * N;
    float *dl = mc_malloc(nn * sizeof *dl), scale = expf(log_scale);
    double ds = 0.0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            size_t k = (size_t)i * N + j;
            float g = pr[k] + pc[k] - (i == j ? 2.0f : 0.0f);
            dl[k] = g / (2.0f * (float)N);
            ds += (double)dl[k] * logits[k]; /* d logits / d log_scale = logits */
        }
    *dlog_scale += (float)ds;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, D, N, scale, dl, N, b, D, 1.0f, da,
                D);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, D, N, scale, dl, N, a, D, 1.0f, db, D);
    free(dl);
}

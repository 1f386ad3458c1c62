/* batchnorm.c - batch normalisation, forward (train and inference),
 * backward and folding. */
#define _POSIX_C_SOURCE 200809L
#include "nn/batchnorm.h"

#include <math.h>

void mc_batchnorm_forward_train(float *out, float *mean, float *rstd, const float *in,
                                const float *gamma, const float *beta, float *running_mean,
                                float *running_var, int C, size_t N, float eps, float momentum)
{
    for (int c = 0; c < C; c++) {
        const float *x = in + (size_t)c * N;
        float *y = out + (size_t)c * N;
        double s = 0.0, v = 0.0, m;
        float sc, sh;
        for (size_t k = 0; k < N; k++)
            s += x[k];
        m = s / (double)N;
        for (size_t k = 0; k < N; k++)
            v += (x[k] - m) * (x[k] - m);
        mean[c] = (float)m;
        rstd[c] = (float)(1.0 / sqrt(v / (double)N + eps));
        sc = rstd[c] * gamma[c];
        sh = beta[c] - mean[c] * sc;
        for (size_t k = 0; k < N; k++)
            y[k] = x[k] * sc + sh;
        if (running_mean) {
            running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * (float)m;
            running_var[c] = (1.0f - momentum) * running_var[c] +
                             momentum * (float)(N > 1 ? v / (double)(N - 1) : v);
        }
    }
}

void mc_batchnorm_forward_infer(float *out, const float *in, const float *gamma, const float *beta,
                                const float *running_mean, const float *running_var, int C, size_t N,
                                float eps)
{
    for (int c = 0; c < C; c++) {
        const float *x = in + (size_t)c * N;
        float *y = out + (size_t)c * N;
        float sc = gamma[c] / sqrtf(running_var[c] + eps), sh = beta[c] - running_mean[c] * sc;
        for (size_t k = 0; k < N; k++)
            y[k] = x[k] * sc + sh;
    }
}

void mc_batchnorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                           const float *in, const float *gamma, const float *mean, const float *rstd,
                           int C, size_t N)
{
    for (int c = 0; c < C; c++) {
        const float *x = in + (size_t)c * N, *dy = dout + (size_t)c * N;
        float *dx = dinp + (size_t)c * N;
        double sdy = 0.0, sdyx = 0.0;
        float m = mean[c], r = rstd[c], a, b;
        for (size_t k = 0; k < N; k++) {
            sdy += dy[k];
            sdyx += dy[k] * (x[k] - m) * r;
        }
        dgamma[c] += (float)sdyx;
        dbeta[c] += (float)sdy;
        /* dx = gamma*rstd * (dy - mean(dy) - xhat * mean(dy*xhat)) */
        a = (float)(sdy / (double)N);
        b = (float)(sdyx / (double)N);
        for (size_t k = 0; k < N; k++)
            dx[k] += gamma[c] * r * (dy[k] - a - (x[k] - m) * r * b);
    }
}

void mc_batchnorm_backward_frozen(float *dinp, float *dgamma, float *dbeta, const float *dout,
                                  const float *in, const float *gamma, const float *mean,
                                  const float *rstd, int C, size_t N)
{
    for (int c = 0; c < C; c++) {
        const float *x = in + (size_t)c * N, *dy = dout + (size_t)c * N;
        float *dx = dinp + (size_t)c * N;
        double sdy = 0.0, sdyx = 0.0;
        float m = mean[c], r = rstd[c], sc = gamma[c] * rstd[c];
        for (size_t k = 0; k < N; k++) {
            sdy += dy[k];
            sdyx += dy[k] * (x[k] - m) * r;
            dx[k] += sc * dy[k];
        }
        dgamma[c] += (float)sdyx;
        dbeta[c] += (float)sdy;
    }
}

void mc_batchnorm_fold(float *wout, float *bout, const float *w, const float *bias, size_t K,
                       const float *gamma, const float *beta, const float *running_mean,
                       const float *running_var, int C, float eps)
{
    for (int c = 0; c < C; c++) {
        float sc = gamma[c] / sqrtf(running_var[c] + eps);
        for (size_t k = 0; k < K; k++)
            wout[(size_t)c * K + k] = w[(size_t)c * K + k] * sc;
        bout[c] = ((bias ? bias[c] : 0.0f) - running_mean[c]) * sc + beta[c];
    }
}

/* batchnorm.c - batch normalisation, forward (train and inference),
 * backward and folding. */
#define _POSIX_C_SOURCE 200809L
#include "nn/batchnorm.h"
#include "core/pool.h"

#include <math.h>

/* The arguments of a batch-norm pass, for its parts (channel ranges) on
 * the shared pool's threads: each channel's sums stay on one thread, in
 * order, so the results do not depend on the thread count. */
typedef struct {
    float *out, *mean, *rstd, *running_mean, *running_var, *dinp, *dgamma, *dbeta;
    const float *in, *dout, *gamma, *beta, *cmean, *crstd;
    size_t N;
    float eps, momentum;
} bn_args;

static void forward_train_part(void *ctx, long c0, long c1, int part)
{
    const bn_args *a = ctx;
    size_t N = a->N;
    (void)part;
    for (long c = c0; c < c1; c++) {
        const float *x = a->in + (size_t)c * N;
        float *y = a->out + (size_t)c * N;
        double s = 0.0, v = 0.0, m;
        float sc, sh;
        for (size_t k = 0; k < N; k++)
            s += x[k];
        m = s / (double)N;
        for (size_t k = 0; k < N; k++)
            v += (x[k] - m) * (x[k] - m);
        a->mean[c] = (float)m;
        a->rstd[c] = (float)(1.0 / sqrt(v / (double)N + a->eps));
        sc = a->rstd[c] * a->gamma[c];
        sh = a->beta[c] - a->mean[c] * sc;
        for (size_t k = 0; k < N; k++)
            y[k] = x[k] * sc + sh;
        if (a->running_mean) {
            float mo = a->momentum;
            a->running_mean[c] = (1.0f - mo) * a->running_mean[c] + mo * (float)m;
            a->running_var[c] = (1.0f - mo) * a->running_var[c] +
                                mo * (float)(N > 1 ? v / (double)(N - 1) : v);
        }
    }
}

void mc_batchnorm_forward_train(float *out, float *mean, float *rstd, const float *in,
                                const float *gamma, const float *beta, float *running_mean,
                                float *running_var, int C, size_t N, float eps, float momentum)
{
    bn_args a = {.out = out, .mean = mean, .rstd = rstd, .in = in, .gamma = gamma, .beta = beta,
                 .running_mean = running_mean, .running_var = running_var, .N = N, .eps = eps,
                 .momentum = momentum};
    mc_rows_run(C, 1, forward_train_part, &a);
}

static void forward_infer_part(void *ctx, long c0, long c1, int part)
{
    const bn_args *a = ctx;
    size_t N = a->N;
    (void)part;
    for (long c = c0; c < c1; c++) {
        const float *x = a->in + (size_t)c * N;
        float *y = a->out + (size_t)c * N;
        float sc = a->gamma[c] / sqrtf(a->crstd[c] + a->eps), sh = a->beta[c] - a->cmean[c] * sc;
        for (size_t k = 0; k < N; k++)
            y[k] = x[k] * sc + sh;
    }
}

void mc_batchnorm_forward_infer(float *out, const float *in, const float *gamma, const float *beta,
                                const float *running_mean, const float *running_var, int C, size_t N,
                                float eps)
{
    /* crstd carries the running variance here */
    bn_args a = {.out = out, .in = in, .gamma = gamma, .beta = beta, .cmean = running_mean,
                 .crstd = running_var, .N = N, .eps = eps};
    mc_rows_run(C, 1, forward_infer_part, &a);
}

static void backward_part(void *ctx, long c0, long c1, int part)
{
    const bn_args *a = ctx;
    size_t N = a->N;
    (void)part;
    for (long c = c0; c < c1; c++) {
        const float *x = a->in + (size_t)c * N, *dy = a->dout + (size_t)c * N;
        float *dx = a->dinp + (size_t)c * N;
        double sdy = 0.0, sdyx = 0.0;
        float m = a->cmean[c], r = a->crstd[c], g = a->gamma[c], am, bm;
        for (size_t k = 0; k < N; k++) {
            sdy += dy[k];
            sdyx += dy[k] * (x[k] - m) * r;
        }
        a->dgamma[c] += (float)sdyx;
        a->dbeta[c] += (float)sdy;
        /* dx = gamma*rstd * (dy - mean(dy) - xhat * mean(dy*xhat)) */
        am = (float)(sdy / (double)N);
        bm = (float)(sdyx / (double)N);
        for (size_t k = 0; k < N; k++)
            dx[k] += g * r * (dy[k] - am - (x[k] - m) * r * bm);
    }
}

void mc_batchnorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                           const float *in, const float *gamma, const float *mean, const float *rstd,
                           int C, size_t N)
{
    bn_args a = {.dinp = dinp, .dgamma = dgamma, .dbeta = dbeta, .dout = dout, .in = in,
                 .gamma = gamma, .cmean = mean, .crstd = rstd, .N = N};
    mc_rows_run(C, 1, backward_part, &a);
}

static void backward_frozen_part(void *ctx, long c0, long c1, int part)
{
    const bn_args *a = ctx;
    size_t N = a->N;
    (void)part;
    for (long c = c0; c < c1; c++) {
        const float *x = a->in + (size_t)c * N, *dy = a->dout + (size_t)c * N;
        float *dx = a->dinp + (size_t)c * N;
        double sdy = 0.0, sdyx = 0.0;
        float m = a->cmean[c], r = a->crstd[c], sc = a->gamma[c] * a->crstd[c];
        for (size_t k = 0; k < N; k++) {
            sdy += dy[k];
            sdyx += dy[k] * (x[k] - m) * r;
            dx[k] += sc * dy[k];
        }
        a->dgamma[c] += (float)sdyx;
        a->dbeta[c] += (float)sdy;
    }
}

void mc_batchnorm_backward_frozen(float *dinp, float *dgamma, float *dbeta, const float *dout,
                                  const float *in, const float *gamma, const float *mean,
                                  const float *rstd, int C, size_t N)
{
    bn_args a = {.dinp = dinp, .dgamma = dgamma, .dbeta = dbeta, .dout = dout, .in = in,
                 .gamma = gamma, .cmean = mean, .crstd = rstd, .N = N};
    mc_rows_run(C, 1, backward_frozen_part, &a);
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

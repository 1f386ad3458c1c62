/* batchnorm.h - 2-D batch normalisation over channel-major activations
 * (C, N) where N = B*H*W: training statistics, running-statistics update,
 * inference, and folding into the preceding convolution.  PyTorch's
 * conventions: biased variance to normalise, unbiased for the running
 * estimate, running = (1 - momentum) * running + momentum * batch.
 */
#ifndef MEDCAP_BATCHNORM_H
#define MEDCAP_BATCHNORM_H

#include <stddef.h>

/* Training: out (C, N) = (in - mean) * rstd * gamma + beta with the batch
 * statistics, saved in mean (C) and rstd (C) for the backward.  When
 * running_mean/running_var are non-NULL they are updated with momentum. */
void mc_batchnorm_forward_train(float *out, float *mean, float *rstd, const float *in,
                                const float *gamma, const float *beta, float *running_mean,
                                float *running_var, int C, size_t N, float eps, float momentum);

/* Inference with the running statistics. */
void mc_batchnorm_forward_infer(float *out, const float *in, const float *gamma, const float *beta,
                                const float *running_mean, const float *running_var, int C, size_t N,
                                float eps);

/* Accumulate dinp (C, N), dgamma (C), dbeta (C) from dout (C, N), for the
 * training forward that saved mean and rstd. */
void mc_batchnorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                           const float *in, const float *gamma, const float *mean, const float *rstd,
                           int C, size_t N);

/* Backward of batch norm with fixed statistics (frozen, as in inference),
 * normalised by mean (C) and rstd (C): accumulates dinp += gamma*rstd*dout
 * and dgamma, dbeta as mc_batchnorm_backward. */
void mc_batchnorm_backward_frozen(float *dinp, float *dgamma, float *dbeta, const float *dout,
                                  const float *in, const float *gamma, const float *mean,
                                  const float *rstd, int C, size_t N);

/* Fold inference batch norm into a convolution: wout (Co, K) and bout (Co)
 * such that conv(x, wout) + bout == bn(conv(x, w) + bias); bias may be NULL. */
void mc_batchnorm_fold(float *wout, float *bout, const float *w, const float *bias, size_t K,
                       const float *gamma, const float *beta, const float *running_mean,
                       const float *running_var, int C, float eps);

#endif

/* layernorm.h - layer normalisation over the last dimension (llm.c style).
 *
 *   out = (x - mean) / sqrt(var + eps) * weight + bias,  eps = 1e-5,
 * the biased variance over C, as PyTorch's nn.LayerNorm(C).
 */
#ifndef MEDCAP_LAYERNORM_H
#define MEDCAP_LAYERNORM_H

#define MC_LAYERNORM_EPS 1e-5f

/* out (N,C), mean (N), rstd (N) saved for the backward; inp (N,C);
 * weight (C), bias (C).  mean and rstd may be NULL at inference. */
void mc_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                          const float *weight, const float *bias, int N, int C);

/* Accumulates (+=) into dinp (N,C), dweight (C), dbias (C) from dout (N,C),
 * using the forward's inp, weight, mean and rstd. */
void mc_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, const float *mean,
                           const float *rstd, int N, int C);

#endif

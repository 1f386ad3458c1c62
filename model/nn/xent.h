/* xent.h - softmax cross-entropy with label smoothing and a padding mask,
 * as PyTorch's F.cross_entropy(label_smoothing=eps, ignore_index=pad):
 * the target distribution is q = (1-eps) onehot(target) + eps/V, the loss
 * of a row -sum_v q_v log softmax(logits)_v, and rows whose target is
 * <pad> (id 0) count for nothing.
 */
#ifndef MEDCAP_XENT_H
#define MEDCAP_XENT_H

/* The ignored target: the tokenizer's <pad> (arch/tokenizer.h checks it). */
#define MC_XENT_PAD 0

/* probs (N,V) = softmax(logits) (may alias logits); returns the summed
 * loss over rows whose target is not pad, their number in *count. */
double mc_xent_forward(float *probs, const float *logits, const int *targets, int N, int V,
                       float smoothing, int *count);
/* Accumulates (+=) scale * (probs - q) into dlogits (N,V) for rows whose
 * target is not pad (scale is usually 1/count). */
void mc_xent_backward(float *dlogits, const float *probs, const int *targets, int N, int V,
                      float smoothing, float scale);

/* Class-weighted softmax cross-entropy for classifier heads (no smoothing):
 * rows with target < 0 (or targets NULL: softmax only) are ignored; the others count w[target] (w (K), or
 * NULL for 1).  probs (N,K) = softmax(logits) (may alias logits); returns
 * sum_n w[t_n] * -log p[n,t_n] and the summed weight in *wsum. */
double mc_wxent_forward(float *probs, const float *logits, const int *targets, const float *w,
                        int N, int K, double *wsum);
/* Accumulates (+=) scale * w[t_n] * (p[n,:] - onehot(t_n)) into dlogits
 * (N,K) for counted rows (scale is usually 1/wsum). */
void mc_wxent_backward(float *dlogits, const float *probs, const int *targets, const float *w,
                       int N, int K, float scale);

#endif

/* contrastive.h - the pieces of the joint image-text embedding (CLIP,
 * Radford et al. 2021) that the other layers lack, llm.c style: mean
 * pooling of word embeddings over a caption, L2 normalisation of rows, and
 * the symmetric InfoNCE loss with a log-parametrised temperature.
 * Backward functions accumulate (+=) into their gradients.
 */
#ifndef MEDCAP_CONTRASTIVE_H
#define MEDCAP_CONTRASTIVE_H

/* out (B,E): row b is the mean of w (V,E) rows tok[b*T + t] for t <
 * len[b] (len[b] <= T; a zero row when len[b] is 0); every token in [0,V). */
void mc_tokmean_forward(float *out, const int *tok, const int *len, const float *w, int B, int T,
                        int E);
/* dw (V,E) += the share of dout (B,E) of each pooled token. */
void mc_tokmean_backward(float *dw, const float *dout, const int *tok, const int *len, int B, int T,
                         int E);

/* out (N,D) = inp rows scaled to unit L2 norm; norm (N) keeps each row's
 * norm (floored at 1e-12) for the backward.  out may not alias inp. */
void mc_l2norm_forward(float *out, float *norm, const float *inp, int N, int D);
/* dinp (N,D) += (dout - out (dout . out)) / norm, row by row. */
void mc_l2norm_backward(float *dinp, const float *dout, const float *out, const float *norm, int N,
                        int D);

/* Symmetric InfoNCE of N pairs (a[i], b[i]), a and b (N,D):
 *   logits = exp(log_scale) a b^T (N,N)
 *   loss = (mean_i CE(row i, target i) + mean_j CE(column j, target j)) / 2
 * Writes logits, pr (N,N) the softmax of each row and pc (N,N) the softmax
 * of each column (pc[i*N+j] over i), for the backward; returns the loss. */
float mc_infonce_forward(float *logits, float *pr, float *pc, const float *a, const float *b,
                         float log_scale, int N, int D);
/* da, db (N,D) += the loss's gradients; *dlog_scale += its derivative in
 * log_scale.  Needs the forward's logits, pr and pc. */
void mc_infonce_backward(float *da, float *db, float *dlog_scale, const float *logits,
                         const float *pr, const float *pc, const float *a, const float *b,
                         float log_scale, int N, int D);

#endif

/* contrastive.h - the pieces of the joint image-text embedding (CLIP,
 * Radford et al. 2021) that the other layers lack, llm.c style: weighted
 * pooling of word embeddings over a caption, L2 normalisation of rows, and
 * the symmetric InfoNCE loss with a log-parametrised temperature.
 * Backward functions accumulate (+=) into their gradients.
 */
#ifndef MEDCAP_CONTRASTIVE_H
#define MEDCAP_CONTRASTIVE_H

/* Weighted pooling of word embeddings: out (B,E) row b is
 *   sum over t < len[b] of a[b,t] w[tok[b*T+t]],  a[b,.] = softmax over
 *   those t of u[tok[b*T+t]]
 * with w (V,E) the embeddings and u (V) one learned importance score per
 * word (u = 0 gives the plain mean).  attn (B,T) keeps a for the backward
 * (zero past len[b]); a zero row when len[b] is 0; tokens in [0,V). */
void mc_tokpool_forward(float *out, float *attn, const int *tok, const int *len, const float *w,
                        const float *u, int B, int T, int E);
/* dw (V,E) and du (V) += the gradients from dout (B,E). */
void mc_tokpool_backward(float *dw, float *du, const float *dout, const float *attn,
                         const int *tok, const int *len, const float *w, int B, int T, int E);

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

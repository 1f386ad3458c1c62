/* attention.h - multi-head scaled dot-product attention (llm.c style),
 * the core of both masked self-attention and cross-attention.
 *
 * The projections (query, key, value, output) are ordinary linear layers
 * around this op.  C = NH * hs; head h uses channels [h*hs, (h+1)*hs).
 *   att[b,h,i,j] = softmax_j(q[b,i,h] . k[b,j,h] / sqrt(hs))
 *   out[b,i,h]   = sum_j att[b,h,i,j] v[b,j,h]
 * With causal set, query i sees only keys j <= i + (Tk - Tq): the usual
 * mask when Tq == Tk, and with a key/value cache (Tq = 1 and Tk the
 * positions so far) every cached key.  Masked weights are stored as 0.
 */
#ifndef MEDCAP_ATTENTION_H
#define MEDCAP_ATTENTION_H

/* out (B,Tq,C); att (B,NH,Tq,Tk) the weights, saved for the backward;
 * q (B,Tq,C); k, v (B,Tk,C). */
void mc_attention_forward(float *out, float *att, const float *q, const float *k,
                          const float *v, int B, int Tq, int Tk, int C, int NH, int causal);

/* Accumulates (+=) into dq (B,Tq,C), dk (B,Tk,C), dv (B,Tk,C) from dout
 * (B,Tq,C), using the forward's q, k, v and att.  dk and dv may be NULL
 * when the keys and values need no gradient. */
void mc_attention_backward(float *dq, float *dk, float *dv, const float *dout,
                           const float *q, const float *k, const float *v, const float *att,
                           int B, int Tq, int Tk, int C, int NH);

#endif

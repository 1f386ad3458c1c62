/* linear.h - fully connected layer (llm.c style), PyTorch's nn.Linear:
 *   out[n,o] = sum_i inp[n,i] w[o,i] + b[o]      w (OUT,IN), b (OUT) or NULL
 * One cblas_sgemm for N > 1, cblas_sgemv for N == 1.
 */
#ifndef MEDCAP_LINEAR_H
#define MEDCAP_LINEAR_H

/* out (N,OUT) = inp (N,I) w^T + b.  With accumulate set, adds to out. */
void mc_linear_forward(float *out, const float *inp, const float *w, const float *b, int N, int IN,
                       int OUT, int accumulate);

/* Accumulates (+=) into dinp (N,I), dw (OUT,IN), db (OUT) (each may be
 * NULL) from dout (N,OUT) and the forward's inp. */
void mc_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                        const float *w, int N, int IN, int OUT);

#endif

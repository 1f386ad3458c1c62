/* linear.h - fully connected layer (llm.c style), PyTorch's nn.Linear:
 *   out[n,o] = sum_i inp[n,i] w[o,i] + b[o]      w (OUT,IN), b (OUT) or NULL
 * One cblas_sgemm for many rows; one cblas_sgemv per row for a few (as in
 * decoding, one row per beam), where sgemm would repack all of w each call.
 */
#ifndef MEDCAP_LINEAR_H
#define MEDCAP_LINEAR_H

/* out (N,OUT) = inp (N,I) w^T + b.  With accumulate set, adds to out. */
void mc_linear_forward(float *out, const float *inp, const float *w, const float *b, int N, int IN,
                       int OUT, int accumulate);

/* out (N,OUT) += inp (N,IN) w^T, w (OUT,IN) with rows ldw floats apart
 * (ldw >= IN: a block of columns of a wider matrix). */
void mc_matmul_wt_acc(float *out, const float *inp, const float *w, int ldw, int N, int IN,
                      int OUT);

/* Accumulates (+=) into dinp (N,I), dw (OUT,IN), db (OUT) (each may be
 * NULL) from dout (N,OUT) and the forward's inp. */
void mc_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                        const float *w, int N, int IN, int OUT);

#endif

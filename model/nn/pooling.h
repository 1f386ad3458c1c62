/* pooling.h - ReLU, max pooling, average pooling and global average pooling
 * over planes: P = C*B planes of H x W (channel-major activations).
 * Backward functions accumulate (+=) into dinp.
 */
#ifndef MEDCAP_POOL_H
#define MEDCAP_POOL_H

#include <stddef.h>
#include <stdint.h>

/* out (n) = max(in, 0); out may equal in. */
void mc_relu_forward(float *out, const float *in, size_t n);
/* dinp (n) += dout where the forward output out was positive. */
void mc_relu_backward(float *dinp, const float *dout, const float *out, size_t n);

/* out (P, Ho, Wo) = max over k x k windows with stride and padding (padding
 * never wins); idx (P*Ho*Wo, may be NULL) records the winner's offset in
 * its plane, for the backward. */
void mc_maxpool_forward(float *out, int32_t *idx, const float *in, size_t P, int H, int W, int k,
                        int stride, int pad);
/* mc_maxpool_forward with k 3, stride 2, padding 1 and no idx, for input
 * that holds no NaN (ReLU output): the same values, faster. */
void mc_maxpool3s2_forward(float *out, const float *in, size_t P, int H, int W);
void mc_maxpool_backward(float *dinp, const float *dout, const int32_t *idx, size_t P, int H, int W,
                         int Ho, int Wo);

/* Average over k x k windows, padding counted as zeros (PyTorch's
 * count_include_pad=True). */
void mc_avgpool_forward(float *out, const float *in, size_t P, int H, int W, int k, int stride,
                        int pad);
void mc_avgpool_backward(float *dinp, const float *dout, size_t P, int H, int W, int k, int stride,
                         int pad);

/* out (P) = mean of each H x W plane. */
void mc_gap_forward(float *out, const float *in, size_t P, int HW);
void mc_gap_backward(float *dinp, const float *dout, size_t P, int HW);

#endif

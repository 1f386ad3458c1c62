/* conv2d.h - 2-D convolution as im2col + GEMM (cblas_sgemm), with
 * stride, zero padding and groups, forward and backward.
 *
 * Activations use the channel-major layout (C, B, H, W): the whole batch of
 * one channel is contiguous, so the output lands in place without a
 * transpose.  The forward pass runs one GEMM per image (N = Ho*Wo), so an
 * image's output is bit-identical whatever batch it is in (for a given
 * thread count); the backward pass runs one GEMM per chunk of images.  Weights are
 * PyTorch's OIHW: (Co, Ci/groups, KH, KW).  Backward functions accumulate
 * (+=) into the gradients.
 */
#ifndef MEDCAP_CONV2D_H
#define MEDCAP_CONV2D_H

#include <stddef.h>

typedef struct {
    int ci, co;     /* input and output channels */
    int kh, kw;     /* kernel size */
    int stride, pad;
    int groups;     /* ci and co are multiples of groups */
} mc_conv_shape;

/* Output height/width for an input of H x W. */
int mc_conv_out(int in, int k, int stride, int pad);

/* Floats of scratch (the im2col matrix) the forward and backward need for
 * B images of H x W; 0 for a 1x1, stride 1, unpadded convolution.  The
 * batch is processed in chunks of images whose matrix fits the scratch cap
 * (default 2M floats, at least one image), so it stays near the caches. */
size_t mc_conv_scratch(const mc_conv_shape *s, int B, int H, int W);

/* Set the scratch cap in floats (for tests; 0 means 1: one image per chunk).
 * Results do not depend on it beyond rounding. */
void mc_conv_set_scratch_cap(size_t floats);

/* out (Co, B, Ho, Wo) = conv(in (Ci, B, H, W), weight) + bias (Co, may be
 * NULL); col is scratch of mc_conv_scratch floats. */
void mc_conv2d_forward(float *out, float *col, const float *in, const float *weight,
                       const float *bias, const mc_conv_shape *s, int B, int H, int W);

/* The forward in parts, for callers that spread one convolution over
 * threads (mc_conv2d_forward is these parts in a loop).  Images are taken
 * in chunks of mc_conv_chunk images; for group g and the chunk b0..b0+nb-1,
 * every row range of the column matrix (mc_conv_col_rows rows, 0 for a
 * convolution that reads its input directly) is filled by
 * mc_conv2d_im2col_part, then every range of the group's output channels
 * [m0, m1) (relative to the group) by mc_conv2d_gemm_part, which adds the
 * bias, then add (laid out as out, may be NULL: a residual) and, with relu,
 * clamps at 0.  An output channel's values depend on
 * its range [m0, m1) (OpenBLAS's sums follow the GEMM's shape), never on
 * the batch. */
int mc_conv_chunk(const mc_conv_shape *s, int B, int H, int W);
long mc_conv_col_rows(const mc_conv_shape *s);
void mc_conv2d_im2col_part(float *col, const float *in, const mc_conv_shape *s, int B, int H, int W,
                           int g, int b0, int nb, long r0, long r1);
void mc_conv2d_gemm_part(float *out, const float *col, const float *in, const float *weight,
                         const float *bias, const float *add, int relu, const mc_conv_shape *s, int B,
                         int H, int W, int g, int b0, int nb, int m0, int m1);

/* Accumulate dinp (Ci, B, H, W; may be NULL), dweight (like weight) and
 * dbias (Co; may be NULL) from dout (Co, B, Ho, Wo). */
void mc_conv2d_backward(float *dinp, float *dweight, float *dbias, float *col, const float *dout,
                        const float *in, const float *weight, const mc_conv_shape *s, int B, int H,
                        int W);

#endif

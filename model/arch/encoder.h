/* encoder.h - the CNN image encoders: "cnn-small" (the default, a small
 * fast CNN trainable on a CPU) and ResNet-18/34/50 exactly as torchvision
 * defines them (parameter names are torchvision's state_dict keys; the fc
 * layer is not part of the encoder).
 *
 * Input x is (B, in_ch, H, W), already normalised; the output grid is
 * (B, gh*gw, C): position-major, channels last.  Inference folds each batch
 * norm into its convolution.  Every encoder trains: a training forward
 * (batch statistics, or the running ones with mc_encoder_set_freeze_bn)
 * keeps what mc_encoder_backward needs.  An encoder is used by one thread
 * at a time.
 */
#ifndef MEDCAP_ENCODER_H
#define MEDCAP_ENCODER_H

#include <stddef.h>
#include <stdint.h>

#include "core/params.h"
#include "io/safetensors.h"

typedef struct mc_encoder mc_encoder;

/* A new encoder with its parameter table allocated (zeroed): arch is
 * "cnn-small", "resnet18", "resnet34" or "resnet50"; NULL if unknown or
 * in_ch is not 1..4. */
mc_encoder *mc_encoder_new(const char *arch, int in_ch);
/* A torchvision-shaped ResNet of base width `width` (1..64; torchvision's
 * is 64) with layers[l] (0..8) blocks in stage l, BasicBlocks or
 * (bottleneck 1) Bottlenecks; arch "resnet-custom".  For tests and
 * experiments: models are saved with the named architectures only.  NULL
 * on a bad size. */
mc_encoder *mc_encoder_new_resnet(int in_ch, int width, const int layers[4], int bottleneck);
/* The architectures, NULL-terminated, for messages and --help. */
extern const char *const mc_encoder_archs[];
const char *mc_encoder_arch(const mc_encoder *e);
int mc_encoder_in_channels(const mc_encoder *e);
/* on=1: training forwards normalise with the running statistics and leave
 * them alone (batch norm is then a fixed per-channel affine map whose
 * gamma and beta still train); on=0 (the default): batch statistics, the
 * running ones updated with momentum 0.1 as in PyTorch. */
void mc_encoder_set_freeze_bn(mc_encoder *e, int on);
/* The parameter table (PyTorch state_dict names).  Inference caches the
 * batch-norm-folded weights; calling this (as well as loading, random
 * initialisation or a training forward) makes the next inference refold. */
mc_params *mc_encoder_params(mc_encoder *e);
/* Spread inference (training=0 forwards) over n threads (1..; the default
 * is 1): each convolution's output channels are split into n parts of
 * whole multiples of 16, one OpenBLAS call per part and image, and the
 * element-wise passes are split likewise.  The caller sets OpenBLAS to one
 * thread (mc_blas_setup) when n > 1.  The features depend on n (float
 * rounding) but never on the batch; n = 1 is what the encoder always did. */
void mc_encoder_set_threads(mc_encoder *e, int n);
/* C, the channels of the grid. */
int mc_encoder_channels(const mc_encoder *e);
/* The grid size gh x gw for an H x W input. */
void mc_encoder_grid(const mc_encoder *e, int H, int W, int *gh, int *gw);
/* Kaiming-normal convolutions (fan_out, as torchvision), batch norm weight
 * 1, bias 0, running mean 0, variance 1; deterministic for a seed. */
void mc_encoder_init_random(mc_encoder *e, uint64_t seed);
/* Load the tensors PREFIX + name from f ("" or "encoder."), checking names
 * and shapes; 3-channel conv1 weights load into a 1-channel encoder by
 * summing over the colour filters.  Extra "fc.*" and "*.num_batches_tracked"
 * tensors are ignored.  Returns 0, or MC_EXIT_MODEL with a message in err. */
int mc_encoder_load(mc_encoder *e, const mc_st_file *f, const char *prefix, char *err, size_t n);
/* grid (B, gh*gw, C) from x (B, in_ch, H, W).  training=1 uses batch
 * statistics (see mc_encoder_set_freeze_bn), updates the running ones and
 * keeps the activations mc_encoder_backward needs (buffers kept for the
 * next step of the same shape); training=0 uses folded running statistics. */
void mc_encoder_forward(mc_encoder *e, float *grid, const float *x, int B, int H, int W, int training);
/* Backward of the last training forward: accumulates the parameter
 * gradients into mc_params_grad(params).  dgrid is (B, gh*gw, C).  Dies
 * (MC_EXIT_INTERNAL) without a training forward before it. */
void mc_encoder_backward(mc_encoder *e, const float *dgrid);
/* x (n floats) from an image frame's pixels (dtype MC_U8, MC_U16 or MC_F32,
 * n = in_ch*H*W values, channel-major): scaled to [0,1] (F32 is taken as
 * already in [0,1]), then (v - mean[c]) / std[c]. */
void mc_encoder_normalise(const mc_encoder *e, float *x, const void *pixels, int dtype, size_t n);
/* 0 when the n pixels of an image frame of dtype are valid encoder input:
 * always for MC_U8 and MC_U16; for MC_F32 every value in [0,1] (what
 * medcap-img-resize --float writes without --mean/--std).  Otherwise -1,
 * with the first bad value in *bad. */
int mc_encoder_pixels_ok(const void *pixels, int dtype, size_t n, float *bad);

/* Hex CRC32 of all parameter values (8 characters), for feature metadata;
 * valid until the next call. */
const char *mc_encoder_hash(mc_encoder *e);
/* Wall seconds inference forwards have spent in the convolution units so
 * far (im2col, GEMMs, bias and ReLU), for speed reports. */
double mc_encoder_conv_seconds(const mc_encoder *e);
/* Multiply-adds of one forward pass for an H x W image (for benchmarks). */
double mc_encoder_macs(mc_encoder *e, int H, int W);
void mc_encoder_free(mc_encoder *e);

#endif

/* encoder_impl.h - the encoder's internals, shared by encoder.c (building,
 * loading, inference) and encoder_train.c (training forward and backward).
 * Not part of the library's interface: include it from those two files only.
 *
 * The network is a list of units (convolution + batch norm [+ ReLU]) and,
 * for ResNets, a list of residual blocks over those units; unit 0 of a
 * ResNet is the stem, followed by a 3x3 stride-2 max pooling.
 */
#ifndef MEDCAP_ENCODER_IMPL_H
#define MEDCAP_ENCODER_IMPL_H

#include "arch/encoder.h"
#include "core/pool.h"
#include "nn/conv2d.h"

#define MC_ENC_BN_EPS 1e-5f
#define MC_ENC_BN_MOMENTUM 0.1f
#define MC_ENC_NBUF 5

typedef struct {
    mc_conv_shape s;
    int w, bn; /* parameter index of the conv weight and of bn.weight (bias,
                  running_mean, running_var follow it in the table) */
    int relu;  /* ReLU after the batch norm (inside the unit) */
    int down;  /* a downsample branch (off the main path) */
    float *fw, *fb; /* folded weight and bias, for inference */
} mc_enc_unit;

typedef struct {
    int first, nconv; /* units first .. first+nconv-1 form the main path */
    int down;         /* unit index of the downsample, or -1 */
} mc_enc_block;

typedef struct mc_enc_train mc_enc_train; /* encoder_train.c */

struct mc_encoder {
    char arch[16];
    int in_ch, channels, resnet;
    mc_params p;
    mc_enc_unit *u;
    int nu;
    mc_enc_block *blk;
    int nblk;
    /* inference work buffers */
    float *buf[MC_ENC_NBUF], *col;
    size_t bufcap, colcap;
    int planning;
    int folded; /* fw/fb are up to date with the parameters */
    int hashed; /* hash is up to date with the parameters */
    mc_pool *pool; /* the inference threads (a pool of 1 by default) */
    size_t need_buf, need_col;
    double plan_macs; /* multiply-adds counted by the last planning pass */
    double conv_seconds; /* wall time inference spent in convolution units */
    int freeze_bn;    /* training uses the running statistics */
    mc_enc_train *tr; /* training state, NULL before the first training forward */
    char hash[9];
};

/* dst (C, B, HW) from src (B, C, HW). */
void mc_enc_to_channel_major(float *dst, const float *src, int B, int C, size_t HW);
/* grid (B, G, C) from act (C, B, G). */
void mc_enc_to_grid(float *grid, const float *act, int B, int C, size_t G);
/* The training forward of mc_encoder_forward (encoder_train.c). */
void mc_enc_forward_train(mc_encoder *e, float *grid, const float *x, int B, int H, int W);
/* Free the training state (encoder_train.c). */
void mc_enc_train_free(mc_encoder *e);

#endif

/* encoder_train.c - the encoders' training forward and backward over the
 * unit/block graph (encoder_impl.h): cnn-small's chain of units, and a
 * ResNet's stem (conv-BN-ReLU, 3x3 stride-2 max pooling) and residual
 * blocks (BasicBlock or Bottleneck; add, then ReLU; the downsample branch).
 *
 * Kept for the backward, per batch shape: each unit's convolution output z
 * (the batch norm's input) and its normalising statistics; the output of
 * each unit that ends in ReLU inside a chain or block (the next
 * convolution's input, and its ReLU mask); each block's output; the max
 * pooling's output and winners.  The stem's own output is not kept: max
 * pooling passes one of its values on, and the ReLU mask of those winners
 * is the sign of the pooled value.
 */
#define _POSIX_C_SOURCE 200809L
#include "arch/encoder_impl.h"
#include "nn/batchnorm.h"
#include "nn/pooling.h"
#include "core/carve.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mc_enc_train {
    int B, H, W;                 /* the batch shape the buffers are for */
    int done;                    /* a training forward filled them */
    int *hin, *win, *hout, *wout; /* per unit */
    float **z, **a, **mean, **rstd; /* per unit; a[i] NULL when not kept */
    float **bout;                /* per block: its output (C, B, h, w) */
    float *xin;                  /* the input, channel-major */
    float *pool, *scratch, *col; /* pooled stem; stem or downsample BN output; im2col */
    int32_t *idx;                /* max pooling winners */
    float *d[5];                 /* backward: d[0] a convolution output's gradient,
                                    d[1..4] activation gradients */
    mc_workspace ws;             /* every buffer above, cut by plan_train */
};

/* Floats of unit i's output for the planned batch. */
static size_t unit_out(const mc_encoder *e, int i)
{
    const mc_enc_train *t = e->tr;
    return (size_t)e->u[i].s.co * t->B * t->hout[i] * t->wout[i];
}

/* Sizes of every unit for a (B, H, W) input, then the buffers for them,
 * cut from one work space that only grows (a smaller batch, such as an
 * epoch's last, reuses it). */
static void plan_train(mc_encoder *e, int B, int H, int W)
{
    mc_enc_train *t = e->tr;
    mc_carve k = MC_CARVE_INIT;
    size_t col = 0, scratch = 0, dz = 0, dact = 0, npool = 0;
    int h = H, w = W;
    if (!t) {
        t = e->tr = mc_calloc(1, sizeof *t);
        t->hin = mc_calloc((size_t)e->nu, sizeof *t->hin);
        t->win = mc_calloc((size_t)e->nu, sizeof *t->win);
        t->hout = mc_calloc((size_t)e->nu, sizeof *t->hout);
        t->wout = mc_calloc((size_t)e->nu, sizeof *t->wout);
        t->z = mc_calloc((size_t)e->nu, sizeof *t->z);
        t->a = mc_calloc((size_t)e->nu, sizeof *t->a);
        t->mean = mc_calloc((size_t)e->nu, sizeof *t->mean);
        t->rstd = mc_calloc((size_t)e->nu, sizeof *t->rstd);
        t->bout = mc_calloc((size_t)(e->nblk ? e->nblk : 1), sizeof *t->bout);
    } else if (t->B == B && t->H == H && t->W == W) {
        return;
    }
    t->B = B, t->H = H, t->W = W, t->done = 0;
    /* the input size of each unit: the chain, or the stem and the blocks */
    for (int i = 0, b = 0; i < e->nu; i++) {
        if (e->resnet && b < e->nblk && i == e->blk[b].first) {
            /* a block starts: its downsample reads the block input too */
            if (e->blk[b].down >= 0)
                t->hin[e->blk[b].down] = h, t->win[e->blk[b].down] = w;
            b++;
        }
        if (!e->u[i].down)
            t->hin[i] = h, t->win[i] = w;
        t->hout[i] = mc_conv_out(t->hin[i], e->u[i].s.kh, e->u[i].s.stride, e->u[i].s.pad);
        t->wout[i] = mc_conv_out(t->win[i], e->u[i].s.kw, e->u[i].s.stride, e->u[i].s.pad);
        if (!e->u[i].down)
            h = t->hout[i], w = t->wout[i];
        if (e->resnet && i == 0) {
            h = mc_conv_out(h, 3, 2, 1), w = mc_conv_out(w, 3, 2, 1);
            npool = (size_t)e->u[0].s.co * B * h * w;
        }
    }
    for (int i = 0; i < e->nu; i++) {
        size_t n = unit_out(e, i), sc = mc_conv_scratch(&e->u[i].s, B, t->hin[i], t->win[i]);
        int stem = e->resnet && i == 0;
        col = sc > col ? sc : col;
        dz = n > dz ? n : dz;
        if (!stem)
            dact = n > dact ? n : dact;
        if (stem || e->u[i].down)
            scratch = n > scratch ? n : scratch;
    }
    dact = npool > dact ? npool : dact;
    do {
        for (int i = 0; i < e->nu; i++) {
            const mc_enc_unit *u = &e->u[i];
            size_t n = unit_out(e, i);
            t->z[i] = mc_carve_floats(&k, n);
            t->mean[i] = mc_carve_floats(&k, (size_t)u->s.co);
            t->rstd[i] = mc_carve_floats(&k, (size_t)u->s.co);
            t->a[i] = u->relu && !(e->resnet && i == 0) ? mc_carve_floats(&k, n) : NULL;
        }
        for (int b = 0; b < e->nblk; b++)
            t->bout[b] = mc_carve_floats(&k, unit_out(e, e->blk[b].first + e->blk[b].nconv - 1));
        t->xin = mc_carve_floats(&k, (size_t)e->in_ch * B * H * W);
        t->col = mc_carve_floats(&k, col + 1);
        t->pool = mc_carve_floats(&k, npool);
        t->idx = mc_carve_take(&k, npool, sizeof(int32_t));
        t->scratch = mc_carve_floats(&k, scratch);
        t->d[0] = mc_carve_floats(&k, dz);
        for (int j = 1; j < 5; j++)
            t->d[j] = mc_carve_floats(&k, dact);
    } while (mc_carve_next(&k, &t->ws));
}

/* Unit i: z = conv(in), out = BN(z) [+ ReLU]; batch statistics (updating
 * the running ones) or, with frozen batch norm, the running ones. */
static void unit_forward(mc_encoder *e, int i, float *out, const float *in)
{
    mc_enc_train *t = e->tr;
    const mc_enc_unit *u = &e->u[i];
    const mc_params *p = &e->p;
    size_t n = (size_t)t->B * t->hout[i] * t->wout[i];
    float *rm = mc_params_at(p, u->bn + 2), *rv = mc_params_at(p, u->bn + 3);
    mc_conv2d_forward(t->z[i], t->col, in, mc_params_at(p, u->w), NULL, &u->s, t->B, t->hin[i],
                      t->win[i]);
    if (e->freeze_bn) {
        for (int c = 0; c < u->s.co; c++) {
            t->mean[i][c] = rm[c];
            t->rstd[i][c] = 1.0f / sqrtf(rv[c] + MC_ENC_BN_EPS);
        }
        mc_batchnorm_forward_infer(out, t->z[i], mc_params_at(p, u->bn), mc_params_at(p, u->bn + 1),
                                   rm, rv, u->s.co, n, MC_ENC_BN_EPS);
    } else {
        mc_batchnorm_forward_train(out, t->mean[i], t->rstd[i], t->z[i], mc_params_at(p, u->bn),
                                   mc_params_at(p, u->bn + 1), rm, rv, u->s.co, n, MC_ENC_BN_EPS,
                                   MC_ENC_BN_MOMENTUM);
    }
    if (u->relu)
        mc_relu_forward(out, out, (size_t)u->s.co * n);
}

/* Backward of unit i from dout, the gradient of its output (overwritten:
 * the ReLU mask, when its output was kept, is applied in place): parameter
 * gradients, and dinp (may be NULL) += the gradient of its input in. */
static void unit_backward(mc_encoder *e, int i, float *dinp, float *dout, const float *in)
{
    mc_enc_train *t = e->tr;
    const mc_enc_unit *u = &e->u[i];
    mc_params *p = &e->p;
    float *grad = mc_params_grad(p), *dz = t->d[0];
    size_t n = (size_t)t->B * t->hout[i] * t->wout[i], all = (size_t)u->s.co * n;
    if (t->a[i])
        for (size_t k = 0; k < all; k++)
            if (t->a[i][k] <= 0.0f)
                dout[k] = 0.0f;
    memset(dz, 0, all * sizeof *dz);
    (e->freeze_bn ? mc_batchnorm_backward_frozen : mc_batchnorm_backward)(
        dz, grad + p->t[u->bn].offset, grad + p->t[u->bn + 1].offset, dout, t->z[i],
        mc_params_at(p, u->bn), t->mean[i], t->rstd[i], u->s.co, n);
    mc_conv2d_backward(dinp, grad + p->t[u->w].offset, NULL, t->col, dz, in, mc_params_at(p, u->w),
                       &u->s, t->B, t->hin[i], t->win[i]);
}

/* The input of block k: the pooled stem or the previous block's output. */
static const float *block_in(const mc_encoder *e, int k)
{
    return k ? e->tr->bout[k - 1] : e->tr->pool;
}

/* A ResNet's training forward from t->xin; returns the final activations. */
static const float *forward_resnet(mc_encoder *e)
{
    mc_enc_train *t = e->tr;
    unit_forward(e, 0, t->scratch, t->xin);
    mc_maxpool_forward(t->pool, t->idx, t->scratch, (size_t)e->u[0].s.co * t->B, t->hout[0],
                       t->wout[0], 3, 2, 1);
    for (int k = 0; k < e->nblk; k++) {
        const mc_enc_block *bl = &e->blk[k];
        const float *in = block_in(e, k), *sc = in;
        float *out = t->bout[k];
        int last = bl->first + bl->nconv - 1;
        size_t n = unit_out(e, last);
        for (int j = bl->first; j <= last; j++)
            unit_forward(e, j, j == last ? out : t->a[j], j == bl->first ? in : t->a[j - 1]);
        if (bl->down >= 0) {
            unit_forward(e, bl->down, t->scratch, in);
            sc = t->scratch;
        }
        for (size_t q = 0; q < n; q++) {
            float v = out[q] + sc[q];
            out[q] = v > 0.0f ? v : 0.0f;
        }
    }
    return e->nblk ? t->bout[e->nblk - 1] : t->pool;
}

void mc_enc_forward_train(mc_encoder *e, float *grid, const float *x, int B, int H, int W)
{
    const float *out;
    int gh, gw;
    plan_train(e, B, H, W);
    e->folded = e->hashed = 0; /* running statistics change now, the weights after the update */
    mc_enc_to_channel_major(e->tr->xin, x, B, e->in_ch, (size_t)H * W);
    if (e->resnet) {
        out = forward_resnet(e);
    } else {
        out = e->tr->xin;
        for (int i = 0; i < e->nu; i++) {
            unit_forward(e, i, e->tr->a[i], out);
            out = e->tr->a[i];
        }
    }
    mc_encoder_grid(e, H, W, &gh, &gw);
    mc_enc_to_grid(grid, out, B, e->channels, (size_t)gh * gw);
    e->tr->done = 1;
}

/* Swap the activation-gradient buffers d[i] and d[j]. */
static void swap_d(mc_enc_train *t, int i, int j)
{
    float *tmp = t->d[i];
    t->d[i] = t->d[j];
    t->d[j] = tmp;
}

/* A ResNet's backward from t->d[1], the gradient of the final activations. */
static void backward_resnet(mc_encoder *e)
{
    mc_enc_train *t = e->tr;
    size_t npool;
    for (int k = e->nblk - 1; k >= 0; k--) {
        const mc_enc_block *bl = &e->blk[k];
        const float *in = block_in(e, k);
        float *dout = t->d[1], *din = t->d[2];
        int last = bl->first + bl->nconv - 1;
        size_t n = unit_out(e, last), nin = (size_t)e->u[bl->first].s.ci * t->B *
                                               t->hin[bl->first] * t->win[bl->first];
        /* the ReLU after the addition, then the shortcut */
        for (size_t q = 0; q < n; q++)
            if (t->bout[k][q] <= 0.0f)
                dout[q] = 0.0f;
        memset(din, 0, nin * sizeof *din);
        if (bl->down >= 0)
            unit_backward(e, bl->down, din, dout, in);
        else
            for (size_t q = 0; q < n; q++)
                din[q] += dout[q];
        /* the main path, last unit first; d[3] and d[4] take turns */
        for (int j = last; j >= bl->first; j--) {
            float *dprev = j == bl->first ? din : t->d[3 + ((j - bl->first) & 1)];
            if (j > bl->first)
                memset(dprev, 0, unit_out(e, j - 1) * sizeof *dprev);
            unit_backward(e, j, dprev, dout, j == bl->first ? in : t->a[j - 1]);
            dout = dprev;
        }
        swap_d(t, 1, 2);
    }
    /* the stem: ReLU mask of the pooling winners, pooling, conv + BN */
    npool = (size_t)e->u[0].s.co * t->B * mc_conv_out(t->hout[0], 3, 2, 1) *
            mc_conv_out(t->wout[0], 3, 2, 1);
    for (size_t q = 0; q < npool; q++)
        if (t->pool[q] <= 0.0f)
            t->d[1][q] = 0.0f;
    memset(t->scratch, 0, unit_out(e, 0) * sizeof(float));
    mc_maxpool_backward(t->scratch, t->d[1], t->idx, (size_t)e->u[0].s.co * t->B, t->hout[0],
                        t->wout[0], mc_conv_out(t->hout[0], 3, 2, 1),
                        mc_conv_out(t->wout[0], 3, 2, 1));
    unit_backward(e, 0, NULL, t->scratch, t->xin);
}

void mc_encoder_backward(mc_encoder *e, const float *dgrid)
{
    mc_enc_train *t = e->tr;
    int gh, gw, C = e->channels;
    size_t G;
    if (!t || !t->done)
        mc_die(MC_EXIT_INTERNAL, "encoder backward without a training forward");
    mc_encoder_grid(e, t->H, t->W, &gh, &gw);
    G = (size_t)gh * gw;
    /* d[1] (C, B, G) from dgrid (B, G, C) */
    for (int b = 0; b < t->B; b++)
        for (size_t g = 0; g < G; g++)
            for (int c = 0; c < C; c++)
                t->d[1][((size_t)c * t->B + b) * G + g] = dgrid[((size_t)b * G + g) * C + c];
    if (e->resnet) {
        backward_resnet(e);
        return;
    }
    for (int i = e->nu - 1; i >= 0; i--) {
        if (i > 0)
            memset(t->d[2], 0, unit_out(e, i - 1) * sizeof(float));
        unit_backward(e, i, i > 0 ? t->d[2] : NULL, t->d[1], i > 0 ? t->a[i - 1] : t->xin);
        swap_d(t, 1, 2);
    }
}

void mc_enc_train_free(mc_encoder *e)
{
    mc_enc_train *t = e->tr;
    if (!t)
        return;
    mc_workspace_free(&t->ws);
    free(t->hin), free(t->win), free(t->hout), free(t->wout);
    free(t->z), free(t->a), free(t->mean), free(t->rstd), free(t->bout);
    free(t);
    e->tr = NULL;
}

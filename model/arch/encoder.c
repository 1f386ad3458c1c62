/* encoder.c - cnn-small and torchvision's ResNet-18/34/50 over the conv2d,
 * batch-norm and pooling layers.
 *
 * The network (encoder_impl.h) is a list of units and, for ResNets, of
 * residual blocks over them; training lives in encoder_train.c.
 * Activations are channel-major (C, B, H, W) so each convolution is one
 * GEMM for the whole batch.  A planning pass (the same forward code with no arithmetic) sizes
 * the work buffers for a batch shape; they grow on demand.
 */
#define _POSIX_C_SOURCE 200809L
#include "arch/encoder_impl.h"
#include "nn/batchnorm.h"
#include "io/frame.h"
#include "core/mix64.h"
#include "nn/pooling.h"
#include "core/pool.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

const char *const mc_encoder_archs[] = {"cnn-small", "resnet18", "resnet34", "resnet50", NULL};

typedef mc_enc_unit unit;   /* short names inside this file */
typedef mc_enc_block block;

/* ---- building the table ---- */

/* Add conv NAME.weight (co, ci/groups, k, k) and batch norm BN.{weight,
 * bias,running_mean,running_var}; returns the unit index. */
static int add_unit(mc_encoder *e, const char *conv, const char *bn, int ci, int co, int k,
                    int stride, int pad, int relu)
{
    char name[MC_PARAM_NAME];
    unit *u;
    int64_t c1[1] = {co};
    e->u = mc_realloc(e->u, (size_t)(e->nu + 1) * sizeof *e->u);
    u = &e->u[e->nu];
    memset(u, 0, sizeof *u);
    u->s = (mc_conv_shape){ci, co, k, k, stride, pad, 1};
    u->relu = relu;
    snprintf(name, sizeof name, "%s.weight", conv);
    u->w = mc_params_addv(&e->p, name, 4, co, ci, k, k);
    snprintf(name, sizeof name, "%s.weight", bn);
    u->bn = mc_params_add(&e->p, name, 1, c1);
    snprintf(name, sizeof name, "%s.bias", bn);
    mc_params_add(&e->p, name, 1, c1);
    snprintf(name, sizeof name, "%s.running_mean", bn);
    mc_params_add_buffer(&e->p, name, 1, c1);
    snprintf(name, sizeof name, "%s.running_var", bn);
    mc_params_add_buffer(&e->p, name, 1, c1);
    return e->nu++;
}

static void add_block(mc_encoder *e, int first, int nconv, int down)
{
    e->blk = mc_realloc(e->blk, (size_t)(e->nblk + 1) * sizeof *e->blk);
    e->blk[e->nblk++] = (block){first, nconv, down};
}

/* cnn-small: five 3x3 stride-2 conv-BN-ReLU stages, 32-64-128-256-256. */
static void build_small(mc_encoder *e)
{
    static const int width[5] = {32, 64, 128, 256, 256};
    int ci = e->in_ch;
    char conv[64], bn[64];
    for (int i = 0; i < 5; i++) {
        snprintf(conv, sizeof conv, "stages.%d.conv", i);
        snprintf(bn, sizeof bn, "stages.%d.bn", i);
        add_unit(e, conv, bn, ci, width[i], 3, 2, 1, 1);
        ci = width[i];
    }
    e->channels = ci;
}

/* torchvision ResNet of base width `width` (64 in torchvision) and
 * layers[l] blocks in stage l: BasicBlock (bottleneck 0) or Bottleneck
 * (stride on the 3x3 convolution, expansion 4). */
static void build_resnet(mc_encoder *e, int width, const int layers[4], int bottleneck)
{
    int inplanes = width, expansion = bottleneck ? 4 : 1;
    char conv[64], bn[64];
    e->resnet = 1;
    add_unit(e, "conv1", "bn1", e->in_ch, width, 7, 2, 3, 1);
    for (int l = 0; l < 4; l++) {
        int planes = width << l;
        for (int b = 0; b < layers[l]; b++) {
            int stride = (b == 0 && l > 0) ? 2 : 1, first = e->nu, down = -1;
            const char *pre = "layer";
            if (bottleneck) {
                snprintf(conv, sizeof conv, "%s%d.%d.conv1", pre, l + 1, b);
                snprintf(bn, sizeof bn, "%s%d.%d.bn1", pre, l + 1, b);
                add_unit(e, conv, bn, inplanes, planes, 1, 1, 0, 1);
                snprintf(conv, sizeof conv, "%s%d.%d.conv2", pre, l + 1, b);
                snprintf(bn, sizeof bn, "%s%d.%d.bn2", pre, l + 1, b);
                add_unit(e, conv, bn, planes, planes, 3, stride, 1, 1);
                snprintf(conv, sizeof conv, "%s%d.%d.conv3", pre, l + 1, b);
                snprintf(bn, sizeof bn, "%s%d.%d.bn3", pre, l + 1, b);
                add_unit(e, conv, bn, planes, planes * 4, 1, 1, 0, 0);
            } else {
                snprintf(conv, sizeof conv, "%s%d.%d.conv1", pre, l + 1, b);
                snprintf(bn, sizeof bn, "%s%d.%d.bn1", pre, l + 1, b);
                add_unit(e, conv, bn, inplanes, planes, 3, stride, 1, 1);
                snprintf(conv, sizeof conv, "%s%d.%d.conv2", pre, l + 1, b);
                snprintf(bn, sizeof bn, "%s%d.%d.bn2", pre, l + 1, b);
                add_unit(e, conv, bn, planes, planes, 3, 1, 1, 0);
            }
            if (stride != 1 || inplanes != planes * expansion) {
                snprintf(conv, sizeof conv, "%s%d.%d.downsample.0", pre, l + 1, b);
                snprintf(bn, sizeof bn, "%s%d.%d.downsample.1", pre, l + 1, b);
                down = add_unit(e, conv, bn, inplanes, planes * expansion, 1, stride, 0, 0);
                e->u[down].down = 1;
            }
            add_block(e, first, bottleneck ? 3 : 2, down);
            inplanes = planes * expansion;
        }
    }
    e->channels = inplanes;
}

/* Allocate the parameters and folding buffers of a built table and name
 * the architecture; returns e. */
static mc_encoder *finish(mc_encoder *e, const char *arch)
{
    snprintf(e->arch, sizeof e->arch, "%s", arch);
    mc_params_alloc(&e->p);
    e->pool = mc_pool_new(1);
    for (int i = 0; i < e->nu; i++) {
        e->u[i].fw = mc_malloc(e->p.t[e->u[i].w].count * sizeof(float));
        e->u[i].fb = mc_malloc((size_t)e->u[i].s.co * sizeof(float));
    }
    return e;
}

mc_encoder *mc_encoder_new(const char *arch, int in_ch)
{
    static const int r18[4] = {2, 2, 2, 2}, r34[4] = {3, 4, 6, 3};
    mc_encoder *e;
    if (!arch || in_ch < 1 || in_ch > 4)
        return NULL;
    e = mc_calloc(1, sizeof *e);
    e->in_ch = in_ch;
    mc_params_init(&e->p);
    if (strcmp(arch, "cnn-small") == 0)
        build_small(e);
    else if (strcmp(arch, "resnet18") == 0)
        build_resnet(e, 64, r18, 0);
    else if (strcmp(arch, "resnet34") == 0)
        build_resnet(e, 64, r34, 0);
    else if (strcmp(arch, "resnet50") == 0)
        build_resnet(e, 64, r34, 1);
    else {
        free(e);
        return NULL;
    }
    return finish(e, arch);
}

mc_encoder *mc_encoder_new_resnet(int in_ch, int width, const int layers[4], int bottleneck)
{
    mc_encoder *e;
    if (in_ch < 1 || in_ch > 4 || width < 1 || width > 64)
        return NULL;
    for (int l = 0; l < 4; l++)
        if (layers[l] < 0 || layers[l] > 8)
            return NULL;
    e = mc_calloc(1, sizeof *e);
    e->in_ch = in_ch;
    mc_params_init(&e->p);
    build_resnet(e, width, layers, bottleneck);
    return finish(e, "resnet-custom");
}

const char *mc_encoder_arch(const mc_encoder *e) { return e->arch; }
int mc_encoder_in_channels(const mc_encoder *e) { return e->in_ch; }
void mc_encoder_set_freeze_bn(mc_encoder *e, int on) { e->freeze_bn = on; }
mc_params *mc_encoder_params(mc_encoder *e)
{
    e->folded = e->hashed = 0; /* the caller may change the values */
    return &e->p;
}
int mc_encoder_channels(const mc_encoder *e) { return e->channels; }

void mc_encoder_set_threads(mc_encoder *e, int n)
{
    mc_pool_free(e->pool);
    e->pool = mc_pool_new(n);
}

void mc_encoder_grid(const mc_encoder *e, int H, int W, int *gh, int *gw)
{
    for (int i = 0; i < e->nu; i++) {
        const unit *u = &e->u[i];
        if (u->down)
            continue;
        H = mc_conv_out(H, u->s.kh, u->s.stride, u->s.pad);
        W = mc_conv_out(W, u->s.kw, u->s.stride, u->s.pad);
        if (e->resnet && i == 0) /* the stem's max pooling */
            H = mc_conv_out(H, 3, 2, 1), W = mc_conv_out(W, 3, 2, 1);
    }
    *gh = H;
    *gw = W;
}

/* ---- initialisation, loading, hash ---- */

/* Standard normal by Box-Muller. */
static double gauss(uint64_t *s)
{
    double u1 = ((mc_splitmix64_next(s) >> 11) + 1.0) / 9007199254740993.0;
    double u2 = (mc_splitmix64_next(s) >> 11) / 9007199254740992.0;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void mc_encoder_init_random(mc_encoder *e, uint64_t seed)
{
    uint64_t s = seed;
    e->folded = e->hashed = 0;
    for (int i = 0; i < e->nu; i++) {
        unit *u = &e->u[i];
        float *w = mc_params_at(&e->p, u->w);
        double sd = sqrt(2.0 / (double)(u->s.co * u->s.kh * u->s.kw));
        for (size_t k = 0; k < e->p.t[u->w].count; k++)
            w[k] = (float)(gauss(&s) * sd);
        for (int c = 0; c < u->s.co; c++) {
            mc_params_at(&e->p, u->bn)[c] = 1.0f;
            mc_params_at(&e->p, u->bn + 1)[c] = 0.0f;
            mc_params_at(&e->p, u->bn + 2)[c] = 0.0f;
            mc_params_at(&e->p, u->bn + 3)[c] = 1.0f;
        }
    }
}

/* An mc_st_load_rules convert for encoder ctx: table entry i, the first
 * convolution's weight of a 1-channel encoder, from a (co, 3, kh, kw)
 * colour filter tensor j of f, its three input channels summed into w.
 * Returns 1, or 0 for any other tensor or shape. */
static int load_summed(const mc_st_file *f, int j, int i, float *w, void *ctx)
{
    const mc_encoder *e = ctx;
    const unit *u = &e->u[0];
    const mc_st_tensor *t = &f->t[j];
    size_t kk = (size_t)u->s.kh * u->s.kw;
    float *tmp;
    if (i != u->w || e->in_ch != 1 || t->ndim != 4 || t->shape[0] != u->s.co ||
        t->shape[1] != 3 || t->shape[2] != u->s.kh || t->shape[3] != u->s.kw)
        return 0;
    tmp = mc_malloc((size_t)u->s.co * 3 * kk * sizeof *tmp);
    mc_st_read_f32(f, j, tmp);
    for (int o = 0; o < u->s.co; o++)
        for (size_t k = 0; k < kk; k++)
            w[o * kk + k] = tmp[(o * 3 + 0) * kk + k] + tmp[(o * 3 + 1) * kk + k] +
                            tmp[(o * 3 + 2) * kk + k];
    free(tmp);
    return 1;
}

int mc_encoder_load(mc_encoder *e, const mc_st_file *f, const char *prefix, char *err, size_t n)
{
    char owner[96];
    /* a ResNet's classifier "fc." is not part of the encoder */
    mc_st_load_rules r = {owner, e->resnet ? "fc." : NULL, load_summed, e};
    snprintf(owner, sizeof owner, "encoder %s", e->arch);
    e->folded = e->hashed = 0;
    return mc_st_load_ruled(f, &e->p, prefix, &r, err, n);
}

const char *mc_encoder_hash(mc_encoder *e)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    if (e->hashed)
        return e->hash;
    for (int i = 0; i < e->p.n; i++)
        crc = crc32(crc, (const Bytef *)mc_params_at(&e->p, i),
                    (uInt)(e->p.t[i].count * sizeof(float)));
    snprintf(e->hash, sizeof e->hash, "%08lx", (unsigned long)crc);
    e->hashed = 1;
    return e->hash;
}

void mc_encoder_normalise(const mc_encoder *e, float *x, const void *pixels, int dtype, size_t n)
{
    static const float rgb_mean[3] = {0.485f, 0.456f, 0.406f}, rgb_std[3] = {0.229f, 0.224f, 0.225f};
    size_t plane = n / (size_t)e->in_ch;
    for (int c = 0; c < e->in_ch; c++) {
        float mean = e->in_ch == 3 ? rgb_mean[c] : 0.449f, sd = e->in_ch == 3 ? rgb_std[c] : 0.226f;
        float scale = 1.0f / sd;
        for (size_t k = c * plane; k < (c + 1) * plane; k++) {
            float v;
            if (dtype == 1)
                v = ((const uint8_t *)pixels)[k] * (1.0f / 255.0f);
            else if (dtype == 2)
                v = ((const uint16_t *)pixels)[k] * (1.0f / 65535.0f);
            else
                v = ((const float *)pixels)[k];
            x[k] = (v - mean) * scale;
        }
    }
}

int mc_encoder_pixels_ok(const void *pixels, int dtype, size_t n, float *bad)
{
    const float *v = pixels;
    if (dtype != MC_F32)
        return 0;
    for (size_t k = 0; k < n; k++)
        if (!(v[k] >= 0.0f && v[k] <= 1.0f)) {
            *bad = v[k];
            return -1;
        }
    return 0;
}

/* ---- inference ---- */

/* One convolution unit over a chunk of images, for the pool's threads:
 * thread t of n takes part t of the column matrix's rows, then of the
 * output channels (multiples of 16, so a channel's sums depend on the
 * thread count but not on the batch). */
typedef struct {
    const unit *u;
    float *out, *col;
    const float *in, *add; /* add: a residual summed before the ReLU, or NULL */
    int B, H, W, b0, nb;
} conv_job;

static void im2col_job(void *ctx, int t, int n)
{
    const conv_job *j = ctx;
    long r0, r1;
    mc_pool_part(mc_conv_col_rows(&j->u->s), t, n, 1, &r0, &r1);
    mc_conv2d_im2col_part(j->col, j->in, &j->u->s, j->B, j->H, j->W, 0, j->b0, j->nb, r0, r1);
}

static void gemm_job(void *ctx, int t, int n)
{
    const conv_job *j = ctx;
    long m0, m1;
    mc_pool_part(j->u->s.co, t, n, 16, &m0, &m1);
    mc_conv2d_gemm_part(j->out, j->col, j->in, j->u->fw, j->u->fb, j->add, j->u->relu || j->add,
                        &j->u->s, j->B, j->H, j->W, 0, j->b0, j->nb, (int)m0, (int)m1);
}

/* Run unit u (folded weights, optional ReLU) from in (ci, B, *H, *W) into
 * out on the pool; with add (a residual shaped as out) out = relu(conv +
 * add).  Updates *H, *W to the output size.  In planning mode only sizes. */
static void run_unit(mc_encoder *e, const unit *u, float *out, const float *in, const float *add,
                     int B, int *H, int *W)
{
    int Ho = mc_conv_out(*H, u->s.kh, u->s.stride, u->s.pad);
    int Wo = mc_conv_out(*W, u->s.kw, u->s.stride, u->s.pad);
    size_t nout = (size_t)u->s.co * B * Ho * Wo;
    if (e->planning) {
        size_t sc = mc_conv_scratch(&u->s, B, *H, *W);
        if (nout > e->need_buf)
            e->need_buf = nout;
        if (sc > e->need_col)
            e->need_col = sc;
        e->plan_macs += (double)nout * (u->s.ci / u->s.groups) * u->s.kh * u->s.kw;
    } else {
        int chunk = mc_conv_chunk(&u->s, B, *H, *W);
        conv_job j = {u, out, e->col, in, add, B, *H, *W, 0, 0};
        double t0 = mc_now();
        for (j.b0 = 0; j.b0 < B; j.b0 += chunk) {
            j.nb = B - j.b0 < chunk ? B - j.b0 : chunk;
            if (mc_conv_col_rows(&u->s))
                mc_pool_run(e->pool, im2col_job, &j);
            mc_pool_run(e->pool, gemm_job, &j);
        }
        e->conv_seconds += mc_now() - t0;
    }
    *H = Ho;
    *W = Wo;
}

/* The stem's 3x3 stride-2 max pooling, planes split over the threads (its
 * input is ReLU output: no NaN). */
typedef struct {
    float *out;
    const float *in;
    size_t planes;
    int H, W;
} maxpool_job;

static void maxpool_part(void *ctx, int t, int n)
{
    const maxpool_job *j = ctx;
    long lo, hi;
    size_t plane = (size_t)j->H * j->W, oplane;
    int Ho = mc_conv_out(j->H, 3, 2, 1), Wo = mc_conv_out(j->W, 3, 2, 1);
    oplane = (size_t)Ho * Wo;
    mc_pool_part((long)j->planes, t, n, 1, &lo, &hi);
    mc_maxpool3s2_forward(j->out + lo * oplane, j->in + lo * plane, (size_t)(hi - lo), j->H, j->W);
}

/* The network body from e->buf[0] (in_ch, B, H, W); returns the buffer
 * holding the final (C, B, gh, gw) activations. */
static float *body(mc_encoder *e, int B, int H, int W)
{
    float **b = e->buf;
    int cur = 0;
    if (!e->resnet) {
        for (int i = 0; i < e->nu; i++, cur ^= 1)
            run_unit(e, &e->u[i], b[cur ^ 1], b[cur], NULL, B, &H, &W);
        return b[cur];
    }
    run_unit(e, &e->u[0], b[1], b[0], NULL, B, &H, &W);
    {
        int Ho = mc_conv_out(H, 3, 2, 1), Wo = mc_conv_out(W, 3, 2, 1);
        size_t n = (size_t)e->u[0].s.co * B * Ho * Wo;
        if (e->planning && n > e->need_buf)
            e->need_buf = n;
        if (!e->planning) {
            maxpool_job j = {b[0], b[1], (size_t)e->u[0].s.co * B, H, W};
            mc_pool_run(e->pool, maxpool_part, &j);
        }
        H = Ho, W = Wo;
    }
    for (int k = 0; k < e->nblk; k++) {
        const block *bl = &e->blk[k];
        int h = H, w = W, hs = H, ws = W, t;
        const float *shortcut = b[0];
        if (bl->down >= 0) { /* first, so the last convolution can add it */
            run_unit(e, &e->u[bl->down], b[4], b[0], NULL, B, &hs, &ws);
            shortcut = b[4];
        }
        /* main path: b[0] -> b[1] -> b[2] (-> b[3]), the last convolution's
         * output relu(conv + shortcut) */
        run_unit(e, &e->u[bl->first], b[1], b[0], NULL, B, &h, &w);
        if (bl->nconv == 3) {
            run_unit(e, &e->u[bl->first + 1], b[2], b[1], NULL, B, &h, &w);
            run_unit(e, &e->u[bl->first + 2], b[3], b[2], shortcut, B, &h, &w);
            t = 3;
        } else {
            run_unit(e, &e->u[bl->first + 1], b[2], b[1], shortcut, B, &h, &w);
            t = 2;
        }
        /* the block output becomes b[0] */
        {
            float *tmp = b[0];
            b[0] = b[t];
            b[t] = tmp;
        }
        H = h, W = w;
    }
    return b[0];
}

/* Make the inference buffers big enough for (B, H, W). */
static void plan(mc_encoder *e, int B, int H, int W)
{
    size_t in = (size_t)e->in_ch * B * H * W;
    e->planning = 1;
    e->need_buf = in;
    e->need_col = 0;
    e->plan_macs = 0.0;
    body(e, B, H, W);
    e->planning = 0;
    if (e->need_buf > e->bufcap) {
        for (int i = 0; i < MC_ENC_NBUF; i++) {
            free(e->buf[i]);
            e->buf[i] = mc_malloc(e->need_buf * sizeof(float));
        }
        e->bufcap = e->need_buf;
    }
    if (e->need_col > e->colcap) {
        free(e->col);
        e->col = mc_malloc(e->need_col * sizeof(float));
        e->colcap = e->need_col;
    }
}

void mc_enc_to_channel_major(float *dst, const float *src, int B, int C, size_t HW)
{
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
            memcpy(dst + ((size_t)c * B + b) * HW, src + ((size_t)b * C + c) * HW, HW * sizeof *dst);
}

void mc_enc_to_grid(float *grid, const float *act, int B, int C, size_t G)
{
    for (int c = 0; c < C; c++)
        for (int b = 0; b < B; b++) {
            const float *src = act + ((size_t)c * B + b) * G;
            for (size_t g = 0; g < G; g++)
                grid[((size_t)b * G + g) * C + c] = src[g];
        }
}

/* Floats of the largest activation an inference slice may have (4 MiB). */
#define SLICE_FLOATS ((size_t)1 << 20)

void mc_encoder_forward(mc_encoder *e, float *grid, const float *x, int B, int H, int W, int training)
{
    int gh, gw, slice;
    float *out;
    if (training) {
        mc_enc_forward_train(e, grid, x, B, H, W);
        return;
    }
    for (int i = 0; i < e->nu && !e->folded; i++) {
        const unit *u = &e->u[i];
        const float *bn = mc_params_at(&e->p, u->bn);
        mc_batchnorm_fold(u->fw, u->fb, mc_params_at(&e->p, u->w), NULL,
                          e->p.t[u->w].count / (size_t)u->s.co, bn, mc_params_at(&e->p, u->bn + 1),
                          mc_params_at(&e->p, u->bn + 2), mc_params_at(&e->p, u->bn + 3), u->s.co,
                          MC_ENC_BN_EPS);
    }
    e->folded = 1;
    mc_encoder_grid(e, H, W, &gh, &gw);
    /* the batch in slices whose activations stay near the caches (an
     * image's features do not depend on its batch, so neither on its slice) */
    plan(e, 1, H, W);
    slice = (int)(SLICE_FLOATS / e->need_buf);
    slice = slice < 1 ? 1 : slice > B ? B : slice;
    plan(e, slice, H, W);
    for (int b0 = 0; b0 < B; b0 += slice) {
        int nb = B - b0 < slice ? B - b0 : slice;
        mc_enc_to_channel_major(e->buf[0], x + (size_t)b0 * e->in_ch * H * W, nb, e->in_ch,
                                (size_t)H * W);
        out = body(e, nb, H, W);
        mc_enc_to_grid(grid + (size_t)b0 * gh * gw * e->channels, out, nb, e->channels,
                       (size_t)gh * gw);
    }
}

double mc_encoder_conv_seconds(const mc_encoder *e) { return e->conv_seconds; }

double mc_encoder_macs(mc_encoder *e, int H, int W)
{
    plan(e, 1, H, W);
    return e->plan_macs;
}

void mc_encoder_free(mc_encoder *e)
{
    if (!e)
        return;
    for (int i = 0; i < e->nu; i++) {
        free(e->u[i].fw);
        free(e->u[i].fb);
    }
    for (int i = 0; i < MC_ENC_NBUF; i++)
        free(e->buf[i]);
    free(e->col);
    mc_pool_free(e->pool);
    mc_enc_train_free(e);
    free(e->u);
    free(e->blk);
    mc_params_free(&e->p);
    free(e);
}

/* augment.c - random resized crop, rotation and brightness/contrast jitter
 * for medcap-train --train-encoder (augment.h). */
#define _POSIX_C_SOURCE 200809L
#include "augment.h"
#include "core/mix64.h"
#include "core/prng.h"
#include "core/util.h"
#include "io/frame.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CROP_MIN_AREA 0.8
#define MAX_DEGREES 10.0
#define JITTER 0.2 /* brightness and contrast factors in [1 - JITTER, 1 + JITTER] */

static const struct {
    const char *name;
    int flag;
} words[] = {{"crop", TR_AUG_CROP}, {"rotate", TR_AUG_ROTATE}, {"jitter", TR_AUG_JITTER}};
#define NWORDS (int)(sizeof words / sizeof words[0])

int tr_augment_parse(const char *spec, int *flags)
{
    const char *p = spec;
    *flags = 0;
    if (strcmp(spec, "none") == 0)
        return 0;
    for (;;) {
        size_t len = strcspn(p, ",");
        int k = 0;
        while (k < NWORDS && !(strlen(words[k].name) == len && strncmp(p, words[k].name, len) == 0))
            k++;
        if (k == NWORDS || (*flags & words[k].flag))
            return -1;
        *flags |= words[k].flag;
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

void tr_augment_name(int flags, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int k = 0; k < NWORDS; k++)
        if (flags & words[k].flag)
            at += (size_t)snprintf(buf + at, at < n ? n - at : 0, "%s%s", at ? "," : "", words[k].name);
    if (!flags)
        snprintf(buf, n, "none");
}

/* out (n) = the pixels scaled to [0,1]. */
static void to_unit(float *out, const void *pixels, int dtype, size_t n)
{
    for (size_t k = 0; k < n; k++)
        out[k] = dtype == MC_U8    ? ((const uint8_t *)pixels)[k] * (1.0f / 255.0f)
                 : dtype == MC_U16 ? ((const uint16_t *)pixels)[k] * (1.0f / 65535.0f)
                                   : ((const float *)pixels)[k];
}

/* Bilinear sample of plane p (H x W) at (y, x) in pixel-centre
 * coordinates; 0 outside. */
static float sample(const float *p, int H, int W, double y, double x)
{
    int y0 = (int)floor(y), x0 = (int)floor(x);
    double fy = y - y0, fx = x - x0, v = 0.0;
    for (int dy = 0; dy < 2; dy++)
        for (int dx = 0; dx < 2; dx++) {
            int yy = y0 + dy, xx = x0 + dx;
            double w = (dy ? fy : 1.0 - fy) * (dx ? fx : 1.0 - fx);
            if (yy >= 0 && yy < H && xx >= 0 && xx < W)
                v += w * p[(size_t)yy * W + xx];
        }
    return (float)v;
}

void tr_augment_image(float *out, const void *pixels, int dtype, int C, int H, int W, int flags,
                      uint64_t seed, long epoch, long sample_index)
{
    size_t plane = (size_t)H * W;
    mc_prng r;
    mc_prng_seed(&r, mc_mix64(mc_mix64(seed ^ 0x617567ULL) + (uint64_t)epoch * 0x9e3779b97f4a7c15ULL) ^
                         (uint64_t)sample_index);
    if (flags & (TR_AUG_CROP | TR_AUG_ROTATE)) {
        /* each output point (v, u) takes the source point centre + R (s * offset) */
        double sy = 1.0, sx = 1.0, cy = (H - 1) / 2.0, cx = (W - 1) / 2.0, a = 0.0;
        float *src = mc_malloc((size_t)C * plane * sizeof *src);
        to_unit(src, pixels, dtype, (size_t)C * plane);
        if (flags & TR_AUG_CROP) {
            double area = CROP_MIN_AREA + (1.0 - CROP_MIN_AREA) * mc_prng_uniform(&r);
            double ratio = exp(log(3.0 / 4.0) + log(16.0 / 9.0) * mc_prng_uniform(&r));
            sx = fmin(1.0, sqrt(area * ratio)), sy = fmin(1.0, sqrt(area / ratio));
            cx = (W - 1) / 2.0 + (1.0 - sx) * W * (mc_prng_uniform(&r) - 0.5);
            cy = (H - 1) / 2.0 + (1.0 - sy) * H * (mc_prng_uniform(&r) - 0.5);
        }
        if (flags & TR_AUG_ROTATE)
            a = (2.0 * mc_prng_uniform(&r) - 1.0) * MAX_DEGREES * 3.14159265358979323846 / 180.0;
        for (int v = 0; v < H; v++)
            for (int u = 0; u < W; u++) {
                double oy = (v - (H - 1) / 2.0) * sy, ox = (u - (W - 1) / 2.0) * sx;
                double y = cy + ox * sin(a) + oy * cos(a), x = cx + ox * cos(a) - oy * sin(a);
                for (int c = 0; c < C; c++)
                    out[c * plane + (size_t)v * W + u] = sample(src + c * plane, H, W, y, x);
            }
        free(src);
    } else {
        to_unit(out, pixels, dtype, (size_t)C * plane);
    }
    if (flags & TR_AUG_JITTER) {
        /* brightness scales, contrast stretches about the image's mean */
        double b = 1.0 + JITTER * (2.0 * mc_prng_uniform(&r) - 1.0);
        double k = 1.0 + JITTER * (2.0 * mc_prng_uniform(&r) - 1.0), mean = 0.0;
        size_t n = (size_t)C * plane;
        for (size_t i = 0; i < n; i++)
            mean += out[i] * b;
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double v = (out[i] * b - mean) * k + mean;
            out[i] = (float)(v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v);
        }
    }
}

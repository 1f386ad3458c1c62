/* featvec.c - mean-pool a feature frame and scale it to unit length. */
#define _POSIX_C_SOURCE 200809L
#include "index/featvec.h"
#include "core/vecmath.h"

#include <math.h>
#include <stdio.h>

size_t mc_featvec_dim(const mc_frame *fr)
{
    if (fr->dtype != MC_F32 || fr->ndim < 1)
        return 0;
    return fr->dims[fr->ndim - 1];
}

int mc_featvec_normalise(float *v, size_t n)
{
    double len = mc_l2_norm(v, n);
    /* multiplied by the float inverse (not mc_l2_normalise's division):
     * the vectors of existing index files stay bit for bit the same */
    if (!(len > 0) || !isfinite(len))
        return -1;
    float inv = (float)(1.0 / len);
    for (size_t i = 0; i < n; i++)
        v[i] *= inv;
    return 0;
}

int mc_featvec_pool(float *out, const mc_frame *fr, char *err, size_t errlen)
{
    size_t c = mc_featvec_dim(fr), count, positions;
    const float *x = fr->data;
    if (fr->dtype != MC_F32) {
        snprintf(err, errlen, "feature frame has dtype %s, expected f32", mc_dtype_name(fr->dtype));
        return -1;
    }
    if (c == 0) {
        snprintf(err, errlen, "feature frame has no feature dimension (shape [C], [G,C] or [H,W,C] expected)");
        return -1;
    }
    count = mc_frame_count(fr);
    positions = count / c;
    if (positions == 0) {
        snprintf(err, errlen, "feature frame has no positions");
        return -1;
    }
    mc_grid_mean(out, x, 1, positions, c);
    for (size_t i = 0; i < c; i++) {
        if (!isfinite(out[i])) {
            snprintf(err, errlen, "feature vector holds a NaN or infinity");
            return -1;
        }
    }
    if (mc_featvec_normalise(out, c) != 0) {
        snprintf(err, errlen, "feature vector is zero (cannot be normalised)");
        return -1;
    }
    return 0;
}

/* featvec.h - the pooled feature vector of a feature frame, for retrieval.
 *
 * A feature frame is F32 of shape [C] (a pooled vector), [1,C], a grid
 * [G,C] or a map [H,W,C].  The vector is the mean over every position (all
 * dimensions but the last), then scaled to unit L2 norm so that a dot
 * product is the cosine similarity.
 */
#ifndef MEDCAP_FEATVEC_H
#define MEDCAP_FEATVEC_H

#include <stddef.h>
#include "io/frame.h"

/* The feature size C of fr (its last dimension), or 0 when fr is not F32 or
 * has no dimension. */
size_t mc_featvec_dim(const mc_frame *fr);

/* Pool fr into out (C) and normalise it.  Returns 0, or -1 with a
 * description in err when fr is not an F32 feature frame, holds a NaN or
 * infinity, or its pooled vector is zero. */
int mc_featvec_pool(float *out, const mc_frame *fr, char *err, size_t errlen);

/* Scale v (n) to unit L2 norm; returns -1 (v unchanged) when the norm is 0
 * or not finite. */
int mc_featvec_normalise(float *v, size_t n);

#endif

/* dropout.h - inverted dropout: while training each value is zeroed with
 * probability p and the rest scaled by 1/(1-p); the mask (0 or 1/(1-p))
 * is kept for the backward.
 */
#ifndef MEDCAP_DROPOUT_H
#define MEDCAP_DROPOUT_H

#include "core/prng.h"

/* out (n) = inp (n) * mask; mask (n) drawn from r.  out may equal inp. */
void mc_dropout_forward(float *out, float *mask, const float *inp, int n, float p, mc_prng *r);
/* Accumulates (+=) dout * mask into dinp (n). */
void mc_dropout_backward(float *dinp, const float *dout, const float *mask, int n);

#endif

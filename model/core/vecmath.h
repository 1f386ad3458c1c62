/* vecmath.h - small vector math that several layers share: the mean of a
 * feature grid over its positions (and its backward), Euclidean length
 * and unit-length scaling, and the search for a non-finite value.  Plain loops in a fixed order, so that results
 * are the same on every machine.
 */
#ifndef MEDCAP_VECMATH_H
#define MEDCAP_VECMATH_H

#include <stddef.h>

/* mean (B,C) = grid (B,G,C) averaged over its G positions (summed in float
 * in position order, then divided by G). */
void mc_grid_mean(float *mean, const float *grid, size_t B, size_t G, size_t C);
/* dgrid (B,G,C) += dmean (B,C) / G: the backward of mc_grid_mean. */
void mc_grid_mean_backward(float *dgrid, const float *dmean, size_t B, size_t G, size_t C);
/* The Euclidean length of v (n), its squares summed in double. */
double mc_l2_norm(const float *v, size_t n);
/* Scale v (n) to unit length, each value divided in double by the length;
 * v is left alone when its length is not positive (all zeros, or NaN).
 * Returns the length. */
double mc_l2_normalise(float *v, size_t n);
/* The index of the first NaN or infinity of v (n), or n when all are finite. */
size_t mc_first_nonfinite(const float *v, size_t n);

#endif

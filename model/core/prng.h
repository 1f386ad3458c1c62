/* prng.h - a small deterministic random number generator (xoshiro128++
 * seeded by splitmix64) for weight initialisation, dropout masks and
 * shuffling: the same seed gives the same numbers on every machine, and
 * the state is four words that a checkpoint can save.
 */
#ifndef MEDCAP_PRNG_H
#define MEDCAP_PRNG_H

#include <stdint.h>

typedef struct {
    uint32_t s[4];
} mc_prng;

/* Seed the generator from a 64-bit seed. */
void mc_prng_seed(mc_prng *r, uint64_t seed);
/* Next 32 random bits. */
uint32_t mc_prng_u32(mc_prng *r);
/* Uniform float in [0, 1). */
float mc_prng_uniform(mc_prng *r);
/* Standard normal (Box-Muller). */
float mc_prng_normal(mc_prng *r);
/* Uniform integer in [0, n), n > 0. */
uint32_t mc_prng_below(mc_prng *r, uint32_t n);
/* Shuffle idx[0..n) in place (Fisher-Yates). */
void mc_prng_shuffle(mc_prng *r, int *idx, int n);

#endif

/* testrand.h - the fixed pseudo-random inputs of the gradient-check unit
 * tests (header only): a xorshift64 stream seeded with TEST_RNG_SEED
 * (define it before the include for another stream). */
#ifndef MEDCAP_TEST_TESTRAND_H
#define MEDCAP_TEST_TESTRAND_H

#include <stdint.h>
#include <stdlib.h>

#ifndef TEST_RNG_SEED
#define TEST_RNG_SEED 0x2545f4914f6cdd1dull
#endif

static uint64_t rng_state = TEST_RNG_SEED;

/* Uniform in [-1, 1) from a fixed xorshift stream. */
static inline float urand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((rng_state >> 40) / (double)(1u << 24)) * 2.0f - 1.0f;
}

/* A new buffer of n values urand() * scale (the caller frees it). */
static inline float *rand_buf(size_t n, float scale)
{
    float *b = malloc((n ? n : 1) * sizeof *b);
    for (size_t i = 0; i < n; i++)
        b[i] = urand() * scale;
    return b;
}

#endif

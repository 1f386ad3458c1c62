/* prng.c - xoshiro128++ seeded by splitmix64. */
#define _POSIX_C_SOURCE 200809L
#include "core/prng.h"
#include "core/mix64.h"

#include <math.h>

void mc_prng_seed(mc_prng *r, uint64_t seed)
{
    uint64_t a = mc_splitmix64_next(&seed), b = mc_splitmix64_next(&seed);
    r->s[0] = (uint32_t)a;
    r->s[1] = (uint32_t)(a >> 32);
    r->s[2] = (uint32_t)b;
    r->s[3] = (uint32_t)(b >> 32) | 1u; /* never all zero */
}

static uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

uint32_t mc_prng_u32(mc_prng *r)
{
    uint32_t *s = r->s;
    uint32_t result = rotl(s[0] + s[3], 7) + s[0]; /* xoshiro128++ output */
    uint32_t t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
}

float mc_prng_uniform(mc_prng *r) { return (float)(mc_prng_u32(r) >> 8) * (1.0f / 16777216.0f); }

float mc_prng_normal(mc_prng *r)
{
    float u1 = 1.0f - mc_prng_uniform(r); /* (0, 1] */
    float u2 = mc_prng_uniform(r);
    return sqrtf(-2.0f * logf(u1)) * cosf(6.2831853f * u2);
}

uint32_t mc_prng_below(mc_prng *r, uint32_t n) { return (uint32_t)(((uint64_t)mc_prng_u32(r) * n) >> 32); }

void mc_prng_shuffle(mc_prng *r, int *idx, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)mc_prng_below(r, (uint32_t)i + 1);
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

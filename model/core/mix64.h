/* mix64.h - splitmix64 (Steele, Lea and Flood 2014): its 64-bit finaliser,
 * used to spread hash keys, and its generator step, used to seed PRNGs. */
#ifndef MEDCAP_MIX64_H
#define MEDCAP_MIX64_H

#include <stdint.h>

/* splitmix64's finaliser: every input bit affects every output bit. */
static inline uint64_t mc_mix64(uint64_t h)
{
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

/* One splitmix64 step: advance *state by the golden-ratio increment and
 * return the finaliser of the new state. */
static inline uint64_t mc_splitmix64_next(uint64_t *state)
{
    return mc_mix64(*state += 0x9e3779b97f4a7c15ULL);
}

#endif

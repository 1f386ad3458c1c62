/* fastmath.h - tanh and exp for the hot loops of the decoder, written so
 * that the compiler can vectorise them (no libm calls).
 *   mc_tanhf: Eigen's rational approximation, within a few ulp of tanhf.
 *   mc_expf:  range reduction by ln 2 and a degree-6 polynomial,
 *             relative error below 3e-7 on [-87, 88] (2.3e-7 measured).
 * Any input gives a defined result: NaN gives NaN, larger and smaller
 * values (infinities included) give those of the limits.
 */
#ifndef MEDCAP_FASTMATH_H
#define MEDCAP_FASTMATH_H

#include <stdint.h>
#include <string.h>

static inline float mc_tanhf(float x)
{
    const float lim = 7.90531110763549805f;
    float x2, p, q;
    x = x > lim ? lim : (x < -lim ? -lim : x);
    x2 = x * x;
    p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 + -8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    p = p * x;
    q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return p / q;
}

/* e^x; the clamp to [-87, 88] is written so that NaN lands inside it too
 * (comparisons with NaN are false), keeping the conversion to int32_t and
 * the exponent shift defined; NaN itself is returned at the end. */
static inline float mc_expf(float x)
{
    float n, r, p, s, xc;
    uint32_t e;
    xc = x < 88.0f ? (x > -87.0f ? x : -87.0f) : 88.0f;
    xc = x == x ? xc : 0.0f;
    n = (float)(int32_t)(xc * 1.44269504f + (xc >= 0 ? 0.5f : -0.5f));
    r = xc - n * 0.693145752f - n * 1.42860677e-06f;
    p = 1.38889490e-3f;
    p = p * r + 8.33336753e-3f;
    p = p * r + 4.16666418e-2f;
    p = p * r + 1.66666672e-1f;
    p = p * r + 0.5f;
    p = p * r * r + r + 1.0f;
    e = (uint32_t)((int32_t)n + 127) << 23; /* n in [-126, 127] */
    memcpy(&s, &e, sizeof s);
    return x == x ? p * s : x;
}

/* For the decoder's elementwise loops: vectorise them (GCC's -O2 cost
 * model leaves loops with a remainder scalar), and build AVX-512 and AVX2
 * clones, one chosen at load time for the CPU.  ISO C mode keeps
 * -ffp-contract=off, so every clone computes bit-identical results. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define MC_VECTOR_LOOPS __attribute__((optimize("vect-cost-model=dynamic"), target_clones("avx512f", "avx2", "default")))
#else
#define MC_VECTOR_LOOPS
#endif

static inline float mc_sigmoidf(float x) { return 1.0f / (1.0f + mc_expf(-x)); }

#endif

/* gradcheck_dec.h - finite-difference gradient checking for the decoder's
 * unit tests: compare an analytic gradient with central differences of a
 * scalar loss, scored by the largest error relative to the gradient's
 * scale.  Header-only, included by test_decoder_layers.c and
 * test_sat_lstm.c.
 */
#ifndef GRADCHECK_DEC_H
#define GRADCHECK_DEC_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int failures;

/* The scalar loss of the current inputs. */
typedef double (*loss_fn)(void *ctx);

static inline void check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "ok" : "FAIL", what);
    if (!ok)
        failures++;
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

/* Uniform in [-1, 1) from a fixed xorshift stream. */
static inline float urand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((rng_state >> 40) / (double)(1u << 24)) * 2.0f - 1.0f;
}

static inline float *rand_buf(size_t n, float scale)
{
    float *b = malloc(n * sizeof *b);
    for (size_t i = 0; i < n; i++)
        b[i] = urand() * scale;
    return b;
}

/* Check grad (n) of x (n) against central differences of f with step h;
 * fails when max |analytic - numeric| > tol * max(1e-3, max |numeric|). */
static inline void gradcheck(const char *what, loss_fn f, void *ctx, float *x, const float *grad,
                      size_t n, float h, double tol)
{
    double maxerr = 0.0, scale = 1e-3;
    char msg[256];
    for (size_t i = 0; i < n; i++) {
        float keep = x[i];
        double lp, lm, num;
        x[i] = keep + h;
        lp = f(ctx);
        x[i] = keep - h;
        lm = f(ctx);
        x[i] = keep;
        num = (lp - lm) / (2.0 * h);
        if (fabs(num) > scale)
            scale = fabs(num);
        if (fabs(num - grad[i]) > maxerr)
            maxerr = fabs(num - grad[i]);
    }
    snprintf(msg, sizeof msg, "%s: gradient (%zu values) max error %.2e of scale %.2e", what, n,
             maxerr, scale);
    check(maxerr <= tol * scale, msg);
}

#endif

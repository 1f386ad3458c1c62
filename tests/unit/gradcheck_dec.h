/* gradcheck_dec.h - finite-difference gradient checking for the decoder's
 * unit tests: compare an analytic gradient with central differences of a
 * scalar loss, scored by the largest error relative to the gradient's
 * scale.  Header-only, included by test_decoder_layers.c and
 * test_sat_lstm.c.
 */
#ifndef GRADCHECK_DEC_H
#define GRADCHECK_DEC_H

#include "check.h"
#include "gradcheck.h"
#include "testrand.h"

#include <math.h>
#include <stdio.h>

/* The scalar loss of the current inputs. */
typedef gc_loss_fn loss_fn;

/* Check grad (n) of x (n) against central differences of f with step h;
 * fails when max |analytic - numeric| > tol * max(1e-3, max |numeric|). */
static inline void gradcheck(const char *what, loss_fn f, void *ctx, float *x, const float *grad,
                      size_t n, float h, double tol)
{
    double maxerr = 0.0, scale = 1e-3;
    char msg[256];
    for (size_t i = 0; i < n; i++) {
        double num = gc_central_diff(f, ctx, x, i, h);
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

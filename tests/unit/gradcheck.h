/* gradcheck.h - finite-difference gradient checks for the unit tests of
 * the Transformer layers and decoder (header only).
 *
 * A check perturbs elements of one input or weight tensor by +-eps,
 * evaluates the scalar loss (in double) through a callback, and compares
 * the central differences with the analytic gradient by the relative error
 * |num - ana| / (|num| + |ana|) over the checked elements.
 */
#ifndef MEDCAP_TEST_GRADCHECK_H
#define MEDCAP_TEST_GRADCHECK_H

#include <math.h>
#include <stddef.h>
#include <stdio.h>

/* The scalar loss at the current values of every tensor. */
typedef double (*gc_loss_fn)(void *ctx);

/* Check grad (n) of x (n) on at most max_points elements spread evenly
 * (0: all).  Passes when the relative error is below tol, or the absolute
 * error below abs_tol (for gradients that are exactly zero, where the
 * difference quotient is rounding noise).  Prints "ok"/"FAIL" and a line
 * naming the tensor; returns 1 when it passed. */
static int gc_check(const char *name, gc_loss_fn loss, void *ctx, float *x, size_t n,
                    const float *grad, size_t max_points, double tol, double abs_tol)
{
    const float eps = 1e-3f;
    size_t stride = max_points && n > max_points ? n / max_points : 1;
    double num2 = 0.0, ana2 = 0.0, diff2 = 0.0, rel;
    int ok;
    for (size_t i = 0; i < n; i += stride) {
        float keep = x[i];
        double lp, lm, g;
        x[i] = keep + eps;
        lp = loss(ctx);
        x[i] = keep - eps;
        lm = loss(ctx);
        x[i] = keep;
        g = (lp - lm) / (2.0 * eps);
        num2 += g * g;
        ana2 += (double)grad[i] * grad[i];
        diff2 += (g - grad[i]) * (g - grad[i]);
    }
    rel = num2 + ana2 > 0.0 ? sqrt(diff2) / (sqrt(num2) + sqrt(ana2)) : 0.0;
    ok = rel < tol || sqrt(diff2) < abs_tol;
    printf("%s grad %s: relative error %.2e, absolute %.2e (|grad| %.2e)\n", ok ? "ok" : "FAIL",
           name, rel, sqrt(diff2), sqrt(ana2));
    return ok;
}

#endif

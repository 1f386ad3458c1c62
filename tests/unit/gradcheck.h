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

/* The central difference (L(x[i] + h) - L(x[i] - h)) / 2h of loss at
 * element i of x; x[i] is restored. */
static inline double gc_central_diff(gc_loss_fn loss, void *ctx, float *x, size_t i, float h)
{
    float keep = x[i];
    double lp, lm;
    x[i] = keep + h;
    lp = loss(ctx);
    x[i] = keep - h;
    lm = loss(ctx);
    x[i] = keep;
    return (lp - lm) / (2.0 * h);
}

/* The op under test: fills out from the current inputs. */
typedef void (*gc_forward_fn)(void *ctx, float *out);

/* An op with its loss weights: L = sum(out * r) over nout outputs. */
typedef struct {
    gc_forward_fn f;
    void *ctx;
    float *out;
    size_t nout;
    const float *r;
} gc_op_loss;

/* A gc_loss_fn for ctx = a gc_op_loss: run the op, return sum(out * r)
 * summed in double. */
static inline double gc_op_loss_eval(void *ctx)
{
    gc_op_loss *l = ctx;
    double s = 0.0;
    l->f(l->ctx, l->out);
    for (size_t i = 0; i < l->nout; i++)
        s += (double)l->out[i] * l->r[i];
    return s;
}

/* Check grad (n) of x (n) on at most max_points elements spread evenly
 * (0: all).  Passes when the relative error is below tol, or the absolute
 * error below abs_tol (for gradients that are exactly zero, where the
 * difference quotient is rounding noise).  Prints "ok"/"FAIL" and a line
 * naming the tensor; returns 1 when it passed. */
static inline int gc_check(const char *name, gc_loss_fn loss, void *ctx, float *x, size_t n,
                           const float *grad, size_t max_points, double tol, double abs_tol)
{
    const float eps = 1e-3f;
    size_t stride = max_points && n > max_points ? n / max_points : 1;
    double num2 = 0.0, ana2 = 0.0, diff2 = 0.0, rel;
    int ok;
    for (size_t i = 0; i < n; i += stride) {
        double g = gc_central_diff(loss, ctx, x, i, eps);
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

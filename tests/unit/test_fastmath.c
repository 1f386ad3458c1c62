/* test_fastmath.c - model/core/fastmath.h: mc_expf, mc_tanhf and
 * mc_sigmoidf against libm on finite inputs, and defined results for any
 * input (NaN, infinities, +-1e30: no float-to-int overflow, no negative
 * left shift; run under UBSan by make check SANITIZE=1).
 * Exits non-zero when a check fails. */
#include "check.h"
#include "core/fastmath.h"

#include <float.h>
#include <math.h>

/* Keep the compiler from folding the calls on constants. */
static volatile float sink;

static float through(float x)
{
    sink = x;
    return sink;
}

/* mc_expf within 3e-7 relative of expf on [-87, 88], tanh and sigmoid
 * within 1e-6 absolute on [-20, 20]. */
static void finite_inputs(void)
{
    double worst_exp = 0.0, worst_tanh = 0.0, worst_sig = 0.0;
    for (float x = -87.0f; x <= 88.0f; x += 0.0137f) {
        double e = fabs((double)mc_expf(through(x)) / exp((double)x) - 1.0);
        worst_exp = e > worst_exp ? e : worst_exp;
    }
    for (float x = -20.0f; x <= 20.0f; x += 0.0071f) {
        double t = fabs((double)mc_tanhf(through(x)) - tanh((double)x));
        double s = fabs((double)mc_sigmoidf(through(x)) - 1.0 / (1.0 + exp(-(double)x)));
        worst_tanh = t > worst_tanh ? t : worst_tanh;
        worst_sig = s > worst_sig ? s : worst_sig;
    }
    CHECK(worst_exp < 3e-7, "mc_expf relative error %g", worst_exp);
    CHECK(worst_tanh < 1e-6, "mc_tanhf error %g", worst_tanh);
    CHECK(worst_sig < 1e-6, "mc_sigmoidf error %g", worst_sig);
    check(worst_exp < 3e-7 && worst_tanh < 1e-6 && worst_sig < 1e-6, "finite inputs match libm");
}

/* NaN stays NaN; infinities and huge values give the limits. */
static void any_input(void)
{
    const float big[] = {1e30f, FLT_MAX, INFINITY, 89.0f, 1e10f};
    float nan_in = through(NAN);
    int before = failures;
    CHECK(isnan(mc_expf(nan_in)), "mc_expf(NaN) = %g", (double)mc_expf(nan_in));
    CHECK(isnan(mc_tanhf(nan_in)), "mc_tanhf(NaN) = %g", (double)mc_tanhf(nan_in));
    CHECK(isnan(mc_sigmoidf(nan_in)), "mc_sigmoidf(NaN) = %g", (double)mc_sigmoidf(nan_in));
    for (size_t i = 0; i < sizeof big / sizeof *big; i++) {
        float x = through(big[i]);
        float ep = mc_expf(x), en = mc_expf(-x);
        CHECK(isfinite(ep) && ep >= 1e38f, "mc_expf(%g) = %g", (double)x, (double)ep);
        CHECK(en >= 0.0f && en <= 1e-37f, "mc_expf(%g) = %g", -(double)x, (double)en);
        CHECK(mc_tanhf(x) == 1.0f && mc_tanhf(-x) == -1.0f, "mc_tanhf(+-%g) = %g, %g", (double)x,
              (double)mc_tanhf(x), (double)mc_tanhf(-x));
        CHECK(mc_sigmoidf(x) == 1.0f && mc_sigmoidf(-x) < 1e-37f, "mc_sigmoidf(+-%g) = %g, %g",
              (double)x, (double)mc_sigmoidf(x), (double)mc_sigmoidf(-x));
    }
    check(failures == before, "NaN, infinities and +-1e30 give defined results");
}

int main(void)
{
    finite_inputs();
    any_input();
    return failures != 0;
}

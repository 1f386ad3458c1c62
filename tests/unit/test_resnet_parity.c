/* test_resnet_parity.c - the C ResNet-18/34/50 forward passes against
 * PyTorch's (torchvision 0.14, fixtures written by
 * tests/fixtures/make-resnet-fixtures.py).  Weights are not stored: both
 * sides compute each tensor from its name with the same integer hash, in
 * float64, rounded to float32.  Passes when the largest difference is
 * within 1e-4 of the output's largest magnitude.  The training forward
 * with frozen batch norm must match too, and leave inference unchanged.
 * Run from the repository root (make unit does).  Exits 1 on failure.
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "arch/encoder.h"
#include "io/safetensors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>


static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The values of tensor NAME (the fixture script's weight_values). */
static void fill(float *dst, const char *name, const int64_t *shape, int ndim, size_t n)
{
    uint64_t c = (uint64_t)(crc32(0L, (const Bytef *)name, (uInt)strlen(name)) & 0xFFFF) * 97;
    int conv = strstr(name, "conv") || strstr(name, "downsample.0");
    for (size_t k = 0; k < n; k++) {
        uint64_t h = ((uint64_t)k * 2654435761ull + c) & 0xFFFFFFFFull;
        double u = (double)h / 4294967296.0, v;
        if (ends_with(name, "running_mean"))
            v = 0.1 * (2.0 * u - 1.0);
        else if (ends_with(name, "running_var"))
            v = 0.5 + u;
        else if (conv && ndim == 4)
            v = (2.0 * u - 1.0) * sqrt(6.0 / (double)(shape[0] * shape[2] * shape[3]));
        else if (ends_with(name, ".weight"))
            v = 0.5 + u;
        else
            v = 0.2 * (2.0 * u - 1.0);
        dst[k] = (float)v;
    }
}

static void parity(const char *arch)
{
    char path[128], err[512], msg[200];
    mc_st_file f;
    mc_encoder *e = mc_encoder_new(arch, 3);
    mc_params *p = mc_encoder_params(e);
    int rc, ix, ig, gh, gw;
    float *x, *want, *got;
    size_t ng;
    double maxd = 0.0, maxv = 0.0;
    snprintf(path, sizeof path, "tests/fixtures/%s.safetensors", arch);
    rc = mc_st_open(&f, path, err, sizeof err);
    if (rc) {
        check(0, err);
        mc_encoder_free(e);
        return;
    }
    for (int i = 0; i < p->n; i++)
        fill(mc_params_at(p, i), p->t[i].name, p->t[i].shape, p->t[i].ndim, p->t[i].count);
    ix = mc_st_find(&f, "input");
    ig = mc_st_find(&f, "grid");
    mc_encoder_grid(e, 48, 48, &gh, &gw);
    ng = (size_t)2 * gh * gw * mc_encoder_channels(e);
    if (ix < 0 || ig < 0 || f.t[ix].end - f.t[ix].begin != 2 * 3 * 48 * 48 * 4 ||
        f.t[ig].end - f.t[ig].begin != ng * 4) {
        snprintf(msg, sizeof msg, "%s: fixture does not hold input (2,3,48,48) and grid (2,%d,%d)", arch,
                 gh * gw, mc_encoder_channels(e));
        check(0, msg);
        mc_st_close(&f);
        mc_encoder_free(e);
        return;
    }
    x = malloc(2 * 3 * 48 * 48 * sizeof *x);
    want = malloc(ng * sizeof *want);
    got = malloc(ng * sizeof *got);
    mc_st_read_f32(&f, ix, x);
    mc_st_read_f32(&f, ig, want);
    mc_encoder_forward(e, got, x, 2, 48, 48, 0);
    for (size_t i = 0; i < ng; i++) {
        maxd = fmax(maxd, fabs((double)got[i] - want[i]));
        maxv = fmax(maxv, fabs(want[i]));
    }
    snprintf(msg, sizeof msg, "%s matches PyTorch: max difference %.2e, relative %.2e", arch, maxd,
             maxd / maxv);
    check(maxv > 0 && maxd / maxv < 1e-4, msg);
    /* training with frozen batch norm is the same network, unfolded; a
     * training step leaves inference on the folded path, unchanged */
    {
        float *tr = malloc(ng * sizeof *tr), *again = malloc(ng * sizeof *again);
        double tmax = 0.0;
        int same = 1;
        mc_encoder_set_freeze_bn(e, 1);
        mc_params_zero_grad(p);
        mc_encoder_forward(e, tr, x, 2, 48, 48, 1);
        mc_encoder_backward(e, want);
        for (size_t i = 0; i < ng; i++)
            tmax = fmax(tmax, fabs((double)tr[i] - want[i]));
        snprintf(msg, sizeof msg, "%s frozen-BN training forward matches PyTorch: relative %.2e",
                 arch, tmax / maxv);
        check(tmax / maxv < 1e-4, msg);
        mc_encoder_forward(e, again, x, 2, 48, 48, 0);
        for (size_t i = 0; i < ng; i++)
            same &= again[i] == got[i];
        snprintf(msg, sizeof msg, "%s inference after a training step is bit-identical", arch);
        check(same, msg);
        free(tr), free(again);
    }
    free(x), free(want), free(got);
    mc_st_close(&f);
    mc_encoder_free(e);
}

int main(void)
{
    parity("resnet18");
    parity("resnet34");
    parity("resnet50");
    printf("%s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}

/* test_encoder.c - the encoders: grid sizes and parameter counts against
 * torchvision's, a finite-difference check of cnn-small's backward through
 * all five stages, save/load round trips (hash unchanged), colour conv1
 * weights summed into a grey encoder, refused mismatches, bit-for-bit
 * repeatability and batch independence of inference.  Exits 1 on failure.
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "arch/encoder.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Small enough that few ReLU kinks are crossed, large enough for float. */
#define EPS 3e-4f

static float *rand_buf(size_t n, uint64_t seed)
{
    float *b = malloc(n * sizeof *b);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        b[i] = (float)((seed >> 40) / (double)(1u << 24)) * 2.0f - 1.0f;
    }
    return b;
}

/* Trainable (non-buffer) parameter count. */
static size_t trained_count(mc_encoder *e)
{
    mc_params *p = mc_encoder_params(e);
    size_t n = 0;
    for (int i = 0; i < p->n; i++)
        if (!p->t[i].buffer)
            n += p->t[i].count;
    return n;
}

static void test_shapes(void)
{
    /* torchvision's parameter counts minus the fc layer */
    static const struct { const char *arch; int C; size_t params; } want[] = {
        {"resnet18", 512, 11689512 - 513000},
        {"resnet34", 512, 21797672 - 513000},
        {"resnet50", 2048, 25557032 - 2049000},
    };
    char msg[160];
    int gh, gw;
    mc_encoder *e = mc_encoder_new("cnn-small", 1);
    mc_encoder_grid(e, 224, 224, &gh, &gw);
    check(gh == 7 && gw == 7 && mc_encoder_channels(e) == 256, "cnn-small: 7x7x256 grid at 224 px");
    snprintf(msg, sizeof msg, "cnn-small: %.2f GFLOP per 224 px image (0.2-0.5 wanted)",
             2e-9 * mc_encoder_macs(e, 224, 224));
    check(2e-9 * mc_encoder_macs(e, 224, 224) > 0.2 && 2e-9 * mc_encoder_macs(e, 224, 224) < 0.5, msg);
    mc_encoder_free(e);
    for (int i = 0; i < 3; i++) {
        e = mc_encoder_new(want[i].arch, 3);
        mc_encoder_grid(e, 224, 224, &gh, &gw);
        snprintf(msg, sizeof msg, "%s: 7x7x%d grid, %zu parameters (torchvision %zu)", want[i].arch,
                 mc_encoder_channels(e), trained_count(e), want[i].params);
        check(gh == 7 && gw == 7 && mc_encoder_channels(e) == want[i].C &&
                  trained_count(e) == want[i].params, msg);
        mc_encoder_free(e);
    }
    e = mc_encoder_new("resnet18", 3);
    check(mc_params_find(mc_encoder_params(e), "layer2.0.downsample.0.weight") >= 0 &&
              mc_params_find(mc_encoder_params(e), "layer1.0.downsample.0.weight") < 0,
          "resnet18: torchvision state_dict names");
    snprintf(msg, sizeof msg, "resnet18: %.2f GMACs at 224 px (torchvision 1.81)",
             1e-9 * mc_encoder_macs(e, 224, 224));
    check(fabs(1e-9 * mc_encoder_macs(e, 224, 224) - 1.81) < 0.02, msg);
    mc_encoder_free(e);
    check(mc_encoder_new("resnet101", 3) == NULL && mc_encoder_new("cnn-small", 0) == NULL,
          "unknown architecture or channel count refused");
}

/* L = sum(grid * R) of a training forward. */
static double loss(mc_encoder *e, float *grid, const float *x, const float *r, size_t ng, int B, int H)
{
    double s = 0.0;
    mc_encoder_forward(e, grid, x, B, H, H, 1);
    for (size_t i = 0; i < ng; i++)
        s += (double)grid[i] * r[i];
    return s;
}

static void test_backward(void)
{
    const int B = 2, H = 64;
    mc_encoder *e = mc_encoder_new("cnn-small", 1);
    mc_params *p = mc_encoder_params(e);
    int gh, gw;
    size_t ng;
    float *x = rand_buf((size_t)B * H * H, 7), *grid, *r;
    const char *names[] = {"stages.0.conv.weight", "stages.2.conv.weight", "stages.4.conv.weight",
                           "stages.1.bn.weight", "stages.4.bn.bias"};
    mc_encoder_init_random(e, 42);
    mc_encoder_grid(e, H, H, &gh, &gw);
    ng = (size_t)B * gh * gw * mc_encoder_channels(e);
    grid = malloc(ng * sizeof *grid);
    r = rand_buf(ng, 9);
    mc_params_zero_grad(p);
    loss(e, grid, x, r, ng, B, H);
    mc_encoder_backward(e, r);
    for (int t = 0; t < 5; t++) {
        int i = mc_params_find(p, names[t]);
        float *w = mc_params_at(p, i), *g = p->grad + p->t[i].offset;
        double num2 = 0, ana2 = 0, diff2 = 0, rel;
        char msg[160];
        for (size_t k = 0; k < 24 && k < p->t[i].count; k++) {
            size_t at = (k * 7919) % p->t[i].count;
            float keep = w[at];
            double lp, lm, gn;
            w[at] = keep + EPS;
            lp = loss(e, grid, x, r, ng, B, H);
            w[at] = keep - EPS;
            lm = loss(e, grid, x, r, ng, B, H);
            w[at] = keep;
            gn = (lp - lm) / (2.0 * EPS);
            num2 += gn * gn;
            ana2 += (double)g[at] * g[at];
            diff2 += (gn - g[at]) * (gn - g[at]);
        }
        rel = sqrt(diff2) / (sqrt(num2) + sqrt(ana2) + 1e-12);
        snprintf(msg, sizeof msg, "cnn-small backward %s: relative error %.2e", names[t], rel);
        check(rel < 2e-2 && ana2 > 0, msg);
    }
    free(x), free(grid), free(r);
    mc_encoder_free(e);
}

static void test_load(void)
{
    char path[128], err[512];
    mc_encoder *a = mc_encoder_new("resnet18", 3), *b = mc_encoder_new("resnet18", 3);
    mc_encoder *g = mc_encoder_new("resnet18", 1), *s = mc_encoder_new("cnn-small", 1);
    mc_st_file f;
    char ha[9];
    const float *wa, *wg;
    int rc, ok = 1;
    snprintf(path, sizeof path, "/tmp/test_encoder_%ld.safetensors", (long)getpid());
    mc_encoder_init_random(a, 1);
    snprintf(ha, sizeof ha, "%s", mc_encoder_hash(a));
    check(mc_st_write(path, mc_encoder_params(a), NULL, 0) == 0, "write resnet18 weights");
    rc = mc_st_open(&f, path, err, sizeof err);
    check(rc == 0 && mc_encoder_load(b, &f, "", err, sizeof err) == 0 &&
              strcmp(mc_encoder_hash(b), ha) == 0,
          "resnet18 round trip keeps the hash");
    rc = mc_encoder_load(g, &f, "", err, sizeof err);
    wa = mc_params_at(mc_encoder_params(a), 0);
    wg = mc_params_at(mc_encoder_params(g), 0);
    for (int o = 0; o < 64 && rc == 0; o++)
        for (int k = 0; k < 49; k++)
            ok &= fabsf(wg[o * 49 + k] - (wa[(o * 3) * 49 + k] + wa[(o * 3 + 1) * 49 + k] +
                                          wa[(o * 3 + 2) * 49 + k])) < 1e-6f;
    check(rc == 0 && ok, "colour conv1 summed into a grey resnet18");
    rc = mc_encoder_load(s, &f, "", err, sizeof err);
    check(rc == MC_EXIT_MODEL && strstr(err, "tensor 'stages.0.conv.weight' is missing"),
          "resnet18 weights refused by cnn-small");
    rc = mc_encoder_load(b, &f, "encoder.", err, sizeof err);
    check(rc == MC_EXIT_MODEL && strstr(err, "'encoder.conv1.weight' is missing"), "prefix honoured");
    mc_st_close(&f);
    mc_encoder_free(s);
    s = mc_encoder_new("cnn-small", 3);
    mc_st_write(path, mc_encoder_params(s), NULL, 0);
    mc_encoder_free(s);
    s = mc_encoder_new("cnn-small", 1);
    mc_st_open(&f, path, err, sizeof err);
    rc = mc_encoder_load(s, &f, "", err, sizeof err);
    check(rc == 0, "cnn-small colour weights load into a grey cnn-small (summed)");
    mc_st_close(&f);
    unlink(path);
    mc_encoder_free(a), mc_encoder_free(b), mc_encoder_free(g), mc_encoder_free(s);
}

static void test_repeatable(void)
{
    const int H = 48;
    mc_encoder *e = mc_encoder_new("resnet18", 1);
    int gh, gw, C = mc_encoder_channels(e);
    size_t per;
    float *x = rand_buf((size_t)3 * H * H, 3), *g3, *g1, *again;
    int same = 1;
    double maxd = 0.0;
    mc_encoder_init_random(e, 5);
    mc_encoder_grid(e, H, H, &gh, &gw);
    per = (size_t)gh * gw * C;
    g3 = malloc(3 * per * sizeof *g3), g1 = malloc(per * sizeof *g1), again = malloc(3 * per * 4);
    mc_encoder_forward(e, g3, x, 3, H, H, 0);
    mc_encoder_forward(e, again, x, 3, H, H, 0);
    for (size_t i = 0; i < 3 * per; i++)
        same &= g3[i] == again[i];
    check(same, "inference is bit-for-bit repeatable");
    mc_encoder_forward(e, g1, x + 2 * H * H, 1, H, H, 0);
    for (size_t i = 0; i < per; i++)
        maxd = fmax(maxd, fabs(g1[i] - g3[2 * per + i]) / (fabs(g3[2 * per + i]) + 1e-3));
    check(maxd < 1e-4, "an image's features do not depend on its batch");
    /* changing a weight through the table is seen by the next inference */
    mc_params_at(mc_encoder_params(e), mc_params_find(mc_encoder_params(e), "layer4.1.bn2.bias"))[0] += 1.0f;
    mc_encoder_forward(e, again, x, 3, H, H, 0);
    same = 1;
    for (size_t i = 0; i < 3 * per; i++)
        same &= g3[i] == again[i];
    check(!same, "inference refolds batch norm after the parameters change");
    free(x), free(g3), free(g1), free(again);
    mc_encoder_free(e);
}

int main(void)
{
    test_shapes();
    test_backward();
    test_load();
    test_repeatable();
    printf("%s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}

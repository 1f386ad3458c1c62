/* test_resnet_train.c - the ResNet training forward and backward against
 * finite differences, on tiny torchvision-shaped ResNets (base width 2,
 * odd 7x9 inputs, batch 2): the stem with max pooling alone, BasicBlocks
 * (identity and downsample shortcuts), Bottlenecks, in training mode (batch
 * statistics) and with frozen batch norm; then a few AdamW steps that must
 * lower a loss, the running statistics' update, weight decay that skips
 * batch norm, and gradients that do not depend on the batch shapes
 * trained before.  Exits 1 on failure.
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "testrand.h"
#include "arch/encoder.h"
#include "nn/adamw.h"
#include "nn/conv2d.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B 2
#define H 7
#define W 9

/* An encoder, its input, the loss weights r over its grid and the grid. */
typedef struct {
    mc_encoder *e;
    float *x, *r, *grid;
    size_t ng;
} net;

/* L = sum(grid * r) of a training forward (a gc_loss_fn). */
static double net_loss(void *ctx)
{
    net *n = ctx;
    double s = 0.0;
    mc_encoder_forward(n->e, n->grid, n->x, B, H, W, 1);
    for (size_t i = 0; i < n->ng; i++)
        s += (double)n->grid[i] * n->r[i];
    return s;
}

/* A tiny ResNet with random weights (and, for frozen batch norm, random
 * running statistics) and random input and loss weights. */
static net make_net(const int layers[4], int bottleneck, int frozen, uint64_t seed)
{
    net n;
    mc_params *p;
    int gh, gw;
    n.e = mc_encoder_new_resnet(1, 2, layers, bottleneck);
    mc_encoder_init_random(n.e, seed);
    p = mc_encoder_params(n.e);
    for (int i = 0; i < p->n; i++) {
        float *v = mc_params_at(p, i);
        const char *name = p->t[i].name;
        size_t len = strlen(name);
        for (size_t k = 0; k < p->t[i].count; k++) {
            if (len > 5 && strcmp(name + len - 5, ".bias") == 0)
                v[k] = 0.3f * urand();
            else if (len > 12 && strcmp(name + len - 12, "running_mean") == 0 && frozen)
                v[k] = 0.2f * urand();
            else if (len > 11 && strcmp(name + len - 11, "running_var") == 0 && frozen)
                v[k] = 1.0f + 0.5f * urand();
            else if (strstr(name, "bn") || strstr(name, "downsample.1"))
                v[k] = len > 7 && strcmp(name + len - 7, ".weight") == 0 ? 1.0f + 0.3f * urand() : v[k];
        }
    }
    mc_encoder_set_freeze_bn(n.e, frozen);
    mc_encoder_grid(n.e, H, W, &gh, &gw);
    n.ng = (size_t)B * gh * gw * mc_encoder_channels(n.e);
    n.x = rand_buf((size_t)B * H * W, 1.0f);
    n.r = rand_buf(n.ng, 1.0f);
    n.grid = malloc(n.ng * sizeof *n.grid);
    return n;
}

static void free_net(net *n)
{
    free(n->x), free(n->r), free(n->grid);
    mc_encoder_free(n->e);
}

/* gc_check for a network with ReLU and max pooling: at most 30 elements
 * of x, spread evenly; an element whose two one-sided differences disagree
 * by more than 1e-2 of their size (plus 1e-4) sits on a kink (a ReLU or a
 * pooling winner changes within +-h; a 7x7 stem weight moves many values at
 * once) and is skipped; at most 40% (or one) may be.  Passes when the
 * relative error over the rest is below 1e-2, or the absolute one below
 * 3e-3 (the float rounding of the loss over 2h, for a tensor the loss
 * barely depends on, such as a stem's scale that later batch norms undo);
 * a wrong backward gives errors near 1.  Prints a line; returns 1 when it passed. */
static int check_tensor(const char *name, net *n, float *x, size_t count, const float *grad)
{
    const float h = 1e-3f;
    size_t stride = count > 30 ? count / 30 : 1, used = 0, kinks = 0;
    double num2 = 0.0, ana2 = 0.0, diff2 = 0.0, rel;
    int ok;
    for (size_t i = 0; i < count; i += stride) {
        float keep = x[i];
        double l0 = net_loss(n), lp, lm, g;
        x[i] = keep + h;
        lp = net_loss(n);
        x[i] = keep - h;
        lm = net_loss(n);
        x[i] = keep;
        if (fabs((lp - l0) - (l0 - lm)) > 1e-2 * (fabs(lp - l0) + fabs(l0 - lm)) + 1e-4) {
            kinks++;
            continue;
        }
        g = (lp - lm) / (2.0 * h);
        num2 += g * g;
        ana2 += (double)grad[i] * grad[i];
        diff2 += (g - grad[i]) * (g - grad[i]);
        used++;
    }
    rel = num2 + ana2 > 0.0 ? sqrt(diff2) / (sqrt(num2) + sqrt(ana2)) : 0.0;
    ok = (rel < 1e-2 || sqrt(diff2) < 3e-3) && used > 0 &&
         (kinks <= 1 || kinks * 5 <= (used + kinks) * 2);
    printf("%s grad %s: relative error %.2e, absolute %.2e (|grad| %.2e), %zu of %zu on kinks\n",
           ok ? "ok" : "FAIL", name, rel, sqrt(diff2), sqrt(ana2), kinks, used + kinks);
    return ok;
}

/* Finite-difference check of every trained tensor of a tiny ResNet whose
 * stem batch-norm bias is shifted by stem_bias (negative: more pooling
 * windows that ReLU zeroed whole). */
static void gradcheck(const char *what, const int layers[4], int bottleneck, int frozen,
                      float stem_bias)
{
    net n = make_net(layers, bottleneck, frozen, 11);
    mc_params *p = mc_encoder_params(n.e);
    int ok = 1, tensors = 0, sb = mc_params_find(p, "bn1.bias");
    char name[200];
    for (size_t c = 0; c < p->t[sb].count; c++)
        mc_params_at(p, sb)[c] += stem_bias;
    mc_params_zero_grad(p);
    net_loss(&n);
    mc_encoder_backward(n.e, n.r);
    for (int i = 0; i < p->n; i++) {
        if (p->t[i].buffer)
            continue;
        snprintf(name, sizeof name, "%s %s", what, p->t[i].name);
        ok &= check_tensor(name, &n, mc_params_at(p, i), p->t[i].count, p->grad + p->t[i].offset);
        tensors++;
    }
    snprintf(name, sizeof name, "%s: gradients of all %d trained tensors", what, tensors);
    check(ok && tensors > 0, name);
    free_net(&n);
}

/* 40 AdamW steps fitting the grid to a target must lower the squared error
 * by half; the running mean moves towards the batch mean (momentum 0.1). */
static void training_lowers_loss(void)
{
    static const int layers[4] = {1, 1, 1, 1};
    net n = make_net(layers, 0, 0, 5);
    mc_params *p = mc_encoder_params(n.e);
    float *target = rand_buf(n.ng, 0.5f), *dgrid = malloc(n.ng * sizeof *dgrid);
    double first = 0.0, last = 0.0;
    int rm = mc_params_find(p, "bn1.running_mean");
    char msg[160];
    for (int step = 1; step <= 40; step++) {
        double l = 0.0;
        mc_params_zero_grad(p);
        mc_encoder_forward(n.e, n.grid, n.x, B, H, W, 1);
        for (size_t i = 0; i < n.ng; i++) {
            dgrid[i] = 2.0f * (n.grid[i] - target[i]) / (float)n.ng;
            l += (double)(n.grid[i] - target[i]) * (n.grid[i] - target[i]) / (double)n.ng;
        }
        mc_encoder_backward(n.e, dgrid);
        mc_adamw_step(p, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.0f, step);
        if (step == 1)
            first = l;
        last = l;
    }
    snprintf(msg, sizeof msg, "40 training steps: squared error %.4f -> %.4f", first, last);
    check(last < 0.5 * first, msg);
    check(rm >= 0 && mc_params_at(p, rm)[0] != 0.0f, "training updates the running mean");
    free(target), free(dgrid);
    free_net(&n);
}

/* The encoder's AdamW decay (mc_adamw_step_nd, 2 dimensions and up)
 * shrinks convolution kernels and leaves batch-norm parameters alone. */
static void decay_skips_batch_norm(void)
{
    static const int layers[4] = {1, 0, 0, 0};
    net n = make_net(layers, 0, 0, 3);
    mc_params *p = mc_encoder_params(n.e);
    int w = mc_params_find(p, "layer1.0.conv1.weight"), g = mc_params_find(p, "layer1.0.bn1.weight");
    float w0 = mc_params_at(p, w)[0], g0 = mc_params_at(p, g)[0];
    mc_params_zero_grad(p);
    mc_adamw_step_nd(p, 0.1f, 0.9f, 0.999f, 1e-8f, 0.5f, 1, 2);
    check(fabsf(mc_params_at(p, w)[0] - 0.95f * w0) <= 1e-6f * fabsf(w0) && w0 != 0.0f &&
              mc_params_at(p, g)[0] == g0,
          "weight decay of the kernels only (batch-norm scale untouched)");
    free_net(&n);
}

/* Gradients do not depend on the shapes trained before (the buffers of a
 * larger batch are reused for a smaller one). */
static void shape_change(void)
{
    static const int layers[4] = {1, 1, 0, 0};
    net a = make_net(layers, 1, 0, 7), b = make_net(layers, 1, 0, 7);
    mc_params *pa = mc_encoder_params(a.e), *pb = mc_encoder_params(b.e);
    float *big = rand_buf((size_t)3 * 11 * 13, 1.0f), *grid;
    int gh, gw, same = 1;
    memcpy(pb->data, pa->data, pa->total * sizeof *pa->data);
    memcpy(b.x, a.x, (size_t)B * H * W * sizeof *a.x);
    memcpy(b.r, a.r, a.ng * sizeof *a.r);
    mc_encoder_grid(b.e, 11, 13, &gh, &gw);
    grid = malloc((size_t)3 * gh * gw * mc_encoder_channels(b.e) * sizeof *grid);
    mc_encoder_forward(b.e, grid, big, 3, 11, 13, 1);
    mc_encoder_backward(b.e, grid);
    mc_params_zero_grad(pa);
    mc_params_zero_grad(pb);
    net_loss(&a);
    mc_encoder_backward(a.e, a.r);
    net_loss(&b);
    mc_encoder_backward(b.e, b.r);
    for (size_t i = 0; i < pa->total; i++)
        same &= pa->grad[i] == pb->grad[i];
    check(same, "gradients after a larger batch of another size are bit-identical");
    free(big), free(grid);
    free_net(&a), free_net(&b);
}

int main(void)
{
    static const int stem[4] = {0, 0, 0, 0}, two[4] = {1, 1, 0, 0};
    mc_conv_set_scratch_cap(0); /* one image per im2col chunk: the batch loop runs too */
    gradcheck("stem+maxpool", stem, 0, 0, 0.0f);
    gradcheck("stem+maxpool, ReLU zeroing windows", stem, 0, 0, -1.5f);
    gradcheck("basic blocks", two, 0, 0, 0.0f);
    gradcheck("bottlenecks", two, 1, 0, 0.0f);
    gradcheck("basic blocks, frozen BN", two, 0, 1, 0.0f);
    gradcheck("bottlenecks, frozen BN", two, 1, 1, 0.0f);
    training_lowers_loss();
    decay_skips_batch_norm();
    shape_change();
    printf("%s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}

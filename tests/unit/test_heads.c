/* test_heads.c - the class-weighted cross-entropy (mc_wxent_*) and the
 * field classifier heads (arch/field_heads.h): finite-difference gradient
 * checks of the loss with respect to logits, head weights and the grid, at
 * tiny and odd sizes; the metadata round trip. */
#include "arch/field_heads.h"
#include "check.h"
#include "gradcheck.h"
#include "nn/xent.h"
#include "testrand.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    float *logits, *probs;
    const int *t;
    const float *w;
    int N, K;
} wx_ctx;

static double wx_loss(void *ctx)
{
    wx_ctx *c = ctx;
    double ws, l = mc_wxent_forward(c->probs, c->logits, c->t, c->w, c->N, c->K, &ws);
    return ws > 0 ? l / ws : 0;
}

/* The weighted cross-entropy's gradient in the logits. */
static void check_wxent(int N, int K)
{
    float *logits = rand_buf((size_t)N * K, 2.0f), *probs = malloc((size_t)N * K * sizeof(float)),
          *w = malloc((size_t)K * sizeof(float)), *d = calloc((size_t)N * K, sizeof(float));
    int *t = malloc((size_t)N * sizeof(int));
    double ws;
    char name[64];
    for (int k = 0; k < K; k++)
        w[k] = 0.5f + (float)k;
    for (int n = 0; n < N; n++)
        t[n] = n % 3 == 2 ? -1 : (n * 7) % K;
    t[0] = K - 1;
    wx_ctx c = {logits, probs, t, w, N, K};
    mc_wxent_forward(probs, logits, t, w, N, K, &ws);
    mc_wxent_backward(d, probs, t, w, N, K, (float)(1.0 / ws));
    snprintf(name, sizeof name, "wxent dlogits N=%d K=%d", N, K);
    check(gc_check(name, wx_loss, &c, logits, (size_t)N * K, d, 0, 1e-2, 1e-4), name);
    free(logits), free(probs), free(w), free(d), free(t);
}

typedef struct {
    mc_heads *h;
    float *grid;
    const int *t;
    int B, G;
} hd_ctx;

static double hd_loss(void *ctx)
{
    hd_ctx *c = ctx;
    mc_heads_forward(c->h, c->grid, c->B, c->G);
    return mc_heads_loss(c->h, c->t, c->B, NULL);
}

/* Gradients of the heads' loss in every tensor and in the grid. */
static void check_heads(int B, int G, int C, int K1, int K2)
{
    char *cl[] = {"a", "b", "c", "d", "e", "f", "g"}, err[128], name[256];
    float w2[7] = {1, 2, 0.5f, 1, 1, 3, 1};
    mc_heads *h = mc_heads_new(C);
    float *grid = rand_buf((size_t)B * G * C, 1.0f), *dgrid = calloc((size_t)B * G * C, sizeof(float));
    int *t = malloc((size_t)2 * B * sizeof(int));
    CHECK(mc_heads_add(h, "modality", K1, cl, NULL, err, sizeof err) == 0, "%s", err);
    CHECK(mc_heads_add(h, "plane", K2, cl, w2, err, sizeof err) == 0, "%s", err);
    mc_heads_alloc(h);
    mc_heads_init(h, 7);
    for (int b = 0; b < B; b++) {
        t[b] = b % K1;
        t[B + b] = b % 2 ? -1 : (b * 5) % K2;
    }
    hd_ctx c = {h, grid, t, B, G};
    mc_params_zero_grad(&h->p);
    hd_loss(&c);
    mc_heads_backward(h, t, B, G, 1.0f, dgrid);
    for (int i = 0; i < h->p.n; i++) {
        snprintf(name, sizeof name, "heads %s B=%d G=%d C=%d", h->p.t[i].name, B, G, C);
        check(gc_check(name, hd_loss, &c, mc_params_at(&h->p, i), h->p.t[i].count,
                       h->p.grad + h->p.t[i].offset, 0, 1e-2, 1e-4), name);
    }
    snprintf(name, sizeof name, "heads dgrid B=%d G=%d C=%d", B, G, C);
    check(gc_check(name, hd_loss, &c, grid, (size_t)B * G * C, dgrid, 0, 1e-2, 1e-4), name);
    mc_heads_free(h);
    free(grid), free(dgrid), free(t);
}

/* The fields survive the metadata JSON. */
static void check_json(void)
{
    char *cl[] = {"ct", "mr", "neoplasm, benign"}, err[128];
    float w[3] = {1, 2.5f, 0.25f};
    mc_heads *h = mc_heads_new(4), *g;
    char *s, *s2;
    mc_heads_add(h, "category", 3, cl, w, err, sizeof err);
    mc_heads_alloc(h);
    s = mc_heads_to_json(h);
    g = mc_heads_from_json(s, 4, err, sizeof err);
    CHECK(g != NULL, "%s", err);
    s2 = g ? mc_heads_to_json(g) : NULL;
    check(g && strcmp(s, s2) == 0 && g->f[0].K == 3 && mc_heads_class(&g->f[0], "neoplasm, benign") == 2 &&
              mc_heads_class(&g->f[0], "xr") == -1,
          "heads: fields round-trip through the metadata JSON");
    check(mc_heads_from_json("[{\"name\":\"x\",\"classes\":[1],\"weights\":[1]}]", 4, err, sizeof err) == NULL &&
              mc_heads_from_json("{}", 4, err, sizeof err) == NULL,
          "heads: malformed fields metadata is refused");
    free(s), free(s2);
    mc_heads_free(h);
    mc_heads_free(g);
}

int main(void)
{
    check_wxent(1, 1);
    check_wxent(3, 7);
    check_wxent(7, 3);
    check_heads(1, 1, 1, 1, 3);
    check_heads(3, 7, 3, 3, 7);
    check_heads(7, 3, 7, 7, 1);
    check_json();
    return failures != 0;
}

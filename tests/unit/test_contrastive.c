/* test_contrastive.c - finite-difference gradient checks of the joint
 * embedding's pieces (weighted pooling of word embeddings, L2
 * normalisation, symmetric InfoNCE with its temperature), of the whole
 * embedding model (model/arch/embed_model.c) under InfoNCE, and known values of
 * InfoNCE.
 * Layer checks use L = sum(out * R) for a fixed random R, so the backward
 * gets dout = R.  Exits 1 on failure.
 */
#define _POSIX_C_SOURCE 200809L
#include "nn/contrastive.h"
#include "arch/embed_model.h"

#include "gradcheck_dec.h"

#include <string.h>

enum { B = 3, T = 4, V = 6, E = 5, D = 4 };

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* ---- weighted pooling of embeddings ---- */
static const int tm_tok[B * T] = {1, 4, 4, 0, 5, 0, 0, 0, 2, 3, 5, 1};
static const int tm_len[B] = {3, 1, 4};
static float tm_w[V * E], tm_u[V], tm_r[B * E];
static double tm_loss(void *ctx)
{
    float out[B * E], attn[B * T];
    (void)ctx;
    mc_tokpool_forward(out, attn, tm_tok, tm_len, tm_w, tm_u, B, T, E);
    return dot(out, tm_r, B * E);
}

static void test_tokpool(void)
{
    float dw[V * E] = {0}, du[V] = {0}, out[B * E], attn[B * T];
    const int zero_len[B] = {0, 0, 0};
    for (int i = 0; i < V * E; i++)
        tm_w[i] = urand();
    for (int i = 0; i < B * E; i++)
        tm_r[i] = urand();
    /* scores 0: the plain mean */
    mc_tokpool_forward(out, attn, tm_tok, tm_len, tm_w, tm_u, B, T, E);
    check(fabsf(out[E] - tm_w[5 * E]) < 1e-6f, "tokpool of one token is its embedding");
    check(fabsf(out[0] - (tm_w[E] + 2 * tm_w[4 * E]) / 3) < 1e-6f,
          "tokpool with zero scores averages, repeated tokens with their weight");
    check(attn[3] == 0.0f && attn[T + 1] == 0.0f, "tokpool weights are zero past the length");
    /* scores: a softmax over the caption's tokens */
    for (int v = 0; v < V; v++)
        tm_u[v] = urand();
    mc_tokpool_forward(out, attn, tm_tok, tm_len, tm_w, tm_u, B, T, E);
    {
        double e1 = exp(tm_u[1]), e4 = exp(tm_u[4]), want = (e1 * tm_w[E] + 2 * e4 * tm_w[4 * E]) / (e1 + 2 * e4);
        check(fabs(out[0] - want) < 1e-5, "tokpool weights tokens by the softmax of their scores");
        check(fabs(attn[0] + attn[1] + attn[2] - 1.0) < 1e-6, "tokpool weights sum to 1");
    }
    mc_tokpool_backward(dw, du, tm_r, attn, tm_tok, tm_len, tm_w, B, T, E);
    gradcheck("tokpool embeddings", tm_loss, NULL, tm_w, dw, V * E, 1e-2f, 1e-2);
    gradcheck("tokpool scores", tm_loss, NULL, tm_u, du, V, 1e-2f, 1e-2);
    mc_tokpool_forward(out, attn, tm_tok, zero_len, tm_w, tm_u, B, T, E);
    check(out[0] == 0.0f && out[B * E - 1] == 0.0f, "tokpool of no tokens is zero");
}

/* ---- L2 normalisation ---- */
static float ln_x[B * D], ln_r[B * D];
static double ln_loss(void *ctx)
{
    float out[B * D], norm[B];
    (void)ctx;
    mc_l2norm_forward(out, norm, ln_x, B, D);
    return dot(out, ln_r, B * D);
}

static void test_l2norm(void)
{
    float dx[B * D] = {0}, out[B * D], norm[B];
    for (int i = 0; i < B * D; i++) {
        ln_x[i] = urand();
        ln_r[i] = urand();
    }
    mc_l2norm_forward(out, norm, ln_x, B, D);
    check(fabs(dot(out, out, D) - 1.0) < 1e-6, "l2norm rows have unit length");
    mc_l2norm_backward(dx, ln_r, out, norm, B, D);
    gradcheck("l2norm input", ln_loss, NULL, ln_x, dx, B * D, 1e-3f, 1e-2);
}

/* ---- symmetric InfoNCE ---- */
static float nc_a[B * D], nc_b[B * D], nc_s[1];
static double nc_loss(void *ctx)
{
    float logits[B * B], pr[B * B], pc[B * B];
    (void)ctx;
    return mc_infonce_forward(logits, pr, pc, nc_a, nc_b, nc_s[0], B, D);
}

static void test_infonce(void)
{
    float da[B * D] = {0}, db[B * D] = {0}, ds[1] = {0};
    float logits[B * B], pr[B * B], pc[B * B], loss;
    for (int i = 0; i < B * D; i++) {
        nc_a[i] = urand();
        nc_b[i] = urand();
    }
    nc_s[0] = 0.7f;
    mc_infonce_forward(logits, pr, pc, nc_a, nc_b, nc_s[0], B, D);
    mc_infonce_backward(da, db, ds, logits, pr, pc, nc_a, nc_b, nc_s[0], B, D);
    gradcheck("infonce image side", nc_loss, NULL, nc_a, da, B * D, 1e-3f, 1e-2);
    gradcheck("infonce text side", nc_loss, NULL, nc_b, db, B * D, 1e-3f, 1e-2);
    gradcheck("infonce log temperature", nc_loss, NULL, nc_s, ds, 1, 1e-3f, 1e-2);

    /* All logits equal: both directions are uniform guesses, loss log N. */
    memset(nc_a, 0, sizeof nc_a);
    loss = mc_infonce_forward(logits, pr, pc, nc_a, nc_b, 0.0f, B, D);
    check(fabsf(loss - logf((float)B)) < 1e-6f, "infonce of equal logits is log N");
    /* Orthonormal matching pairs at a high scale: loss near 0. */
    memset(nc_a, 0, sizeof nc_a);
    for (int i = 0; i < B; i++)
        nc_a[i * D + i] = 1.0f;
    loss = mc_infonce_forward(logits, pr, pc, nc_a, nc_a, logf(100.0f), B, D);
    check(loss < 1e-6f, "infonce of perfectly matched pairs is near 0");
    /* Rows and columns of the softmaxes sum to one. */
    check(fabsf(pr[0] + pr[1] + pr[2] - 1.0f) < 1e-6f && fabsf(pc[0] + pc[B] + pc[2 * B] - 1.0f) < 1e-6f,
          "infonce row and column softmaxes sum to 1");
}

/* ---- the whole embedding model: InfoNCE of B image-caption pairs ---- */
static mc_embed_model em;
static mc_embed_acts ea;
static float em_x[B * E];
static int em_tok[B * T], em_len[B];

static double em_loss(void *ctx)
{
    float logits[B * B], pr[B * B], pc[B * B];
    (void)ctx;
    mc_embed_image_forward(&em, &ea, em_x, B);
    mc_embed_text_forward(&em, &ea, em_tok, em_len, B);
    return mc_infonce_forward(logits, pr, pc, ea.iout, ea.tout,
                              mc_params_at(&em.p, em.i_scale)[0], B, D);
}

static void test_embed_model(void)
{
    mc_embed_config cfg = {E, E, D, T}; /* feature_dim, embed, proj_dim, max_len */
    mc_wordcount *wc = mc_wordcount_new();
    mc_vocab v;
    float logits[B * B], pr[B * B], pc[B * B], diout[B * D] = {0}, dtout[B * D] = {0};
    float *g, *w;
    mc_wordcount_add(wc, "axial ct of the chest");
    mc_wordcount_add(wc, "sagittal mr of the spine");
    mc_vocab_build(&v, wc, 1, 100);
    mc_wordcount_free(wc);
    mc_embed_model_new(&em, &cfg, &v);
    mc_embed_model_init(&em, 7);
    w = mc_params_at(&em.p, em.i_tu); /* non-zero word scores */
    for (size_t k = 0; k < em.p.t[em.i_tu].count; k++)
        w[k] = urand();
    mc_params_at(&em.p, em.i_scale)[0] = 1.0f;
    mc_embed_acts_alloc(&ea, &cfg, B);
    for (int i = 0; i < B * E; i++)
        em_x[i] = urand();
    em_len[0] = mc_embed_tokens(&em, "axial ct of the chest", em_tok);
    em_len[1] = mc_embed_tokens(&em, "sagittal mr", em_tok + T);
    em_len[2] = mc_embed_tokens(&em, "the spine of the chest", em_tok + 2 * T);
    check(em_len[0] == T && em_len[1] == 2, "embed tokens stop at max_len");
    em_loss(NULL);
    mc_infonce_forward(logits, pr, pc, ea.iout, ea.tout, 1.0f, B, D);
    mc_params_zero_grad(&em.p);
    g = mc_params_grad(&em.p);
    mc_infonce_backward(diout, dtout, g + em.p.t[em.i_scale].offset, logits, pr, pc, ea.iout,
                        ea.tout, 1.0f, B, D);
    mc_embed_backward(&em, &ea, em_x, em_tok, em_len, diout, dtout, B);
    for (int i = 0; i < em.p.n; i++) {
        char what[160];
        if (em.p.t[i].buffer)
            continue;
        snprintf(what, sizeof what, "embed model %s", em.p.t[i].name);
        gradcheck(what, em_loss, NULL, mc_params_at(&em.p, i), g + em.p.t[i].offset,
                  em.p.t[i].count, 1e-2f, 2e-2);
    }
    mc_embed_acts_free(&ea);
    mc_embed_model_free(&em);
}

int main(void)
{
    test_tokpool();
    test_l2norm();
    test_infonce();
    test_embed_model();
    if (failures)
        printf("%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}

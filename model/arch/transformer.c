/* transformer.c - the small Transformer caption decoder: parameters,
 * teacher-forced forward and backward, and the cached decoding step.
 * The forward and backward call the layer ops in mirror order. */
#define _POSIX_C_SOURCE 200809L
#include "arch/transformer.h"
#include "nn/attention.h"
#include "core/carve.h"
#include "nn/dropout.h"
#include "nn/gelu.h"
#include "nn/layernorm.h"
#include "nn/linear.h"
#include "core/prng.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tensor indices of one block; each linear is a (weight, bias) pair. */
typedef struct {
    int ln1_w, ln1_b, q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b;
    int ln2_w, ln2_b, cq_w, cq_b, ck_w, ck_b, cv_w, cv_b, co_w, co_b;
    int ln3_w, ln3_b, f1_w, f1_b, f2_w, f2_b;
} tf_block;

/* Saved activations of one block for rows N = B*T, grid rows M = B*G. */
typedef struct {
    float *ln1, *m1, *r1, *q, *k, *v, *att, *y, *x1;   /* self-attention */
    float *ln2, *m2, *r2, *cq, *ck, *cv, *catt, *cy, *x2; /* cross-attention */
    float *ln3, *m3, *r3, *h, *g, *x3;                  /* feed-forward */
    float *drop1, *drop2, *drop3; /* dropout masks of the three branches */
} tf_acts;

struct mc_tf {
    mc_tf_config c;
    mc_params *p;
    int tok_embed, pos_embed, grid_w, grid_b, grid_pos, gn_w, gn_b, lnf_w, lnf_b, head_w, head_b;
    tf_block *blk;
    /* activations of the last forward, cut from act for B*T <= cap_n,
     * B*G <= cap_m and T <= cap_t */
    int B, T;
    size_t cap_n, cap_m, cap_t;
    mc_workspace act; /* everything below */
    int *tokens;      /* (B,T) */
    float *grid, *x0, *memp, *mem, *mm, *mr, *lnf, *fm, *fr, *drop0;
    tf_acts *a;       /* (layers) */
    int dropped; /* the last forward applied dropout */
    /* backward scratch */
    float *dx, *dln, *dq, *dk, *dv, *dy, *dg, *dh, *dmem, *dck, *dcv, *dmemp, *dd;
    mc_workspace step; /* one-step scratch */
};

/* ---- building ---- */

const char *mc_tf_config_error(const mc_tf_config *c)
{
    if (c->vocab < 5)
        return "vocabulary smaller than 5 tokens";
    if (c->dim < 1 || c->dim > 8192 || c->heads < 1 || c->dim % c->heads != 0)
        return "model width must be a positive multiple of the number of heads";
    if (c->layers < 1 || c->layers > 64)
        return "layers must be 1..64";
    if (c->max_len < 2 || c->max_len > 4096)
        return "maximum length must be 2..4096";
    if (c->grid < 1 || c->channels < 1)
        return "grid and channels must be positive";
    return NULL;
}

static int add(mc_params *p, const char *prefix, const char *name, int ndim, int64_t d0,
               int64_t d1)
{
    char full[MC_PARAM_NAME];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    return mc_params_addv(p, full, ndim, d0, d1, 0, 0);
}

/* Append a linear layer NAME.weight (out,in) and NAME.bias (out). */
static void add_linear(mc_params *p, const char *prefix, const char *name, int in, int out,
                       int *w, int *b)
{
    char n[MC_PARAM_NAME];
    snprintf(n, sizeof n, "%s.weight", name);
    *w = add(p, prefix, n, 2, out, in);
    snprintf(n, sizeof n, "%s.bias", name);
    *b = add(p, prefix, n, 1, out, 0);
}

/* Append a layer norm NAME.weight, NAME.bias (D). */
static void add_norm(mc_params *p, const char *prefix, const char *name, int D, int *w, int *b)
{
    char n[MC_PARAM_NAME];
    snprintf(n, sizeof n, "%s.weight", name);
    *w = add(p, prefix, n, 1, D, 0);
    snprintf(n, sizeof n, "%s.bias", name);
    *b = add(p, prefix, n, 1, D, 0);
}

mc_tf *mc_tf_new(const mc_tf_config *c, mc_params *p, const char *prefix)
{
    mc_tf *m = mc_calloc(1, sizeof *m);
    int D = c->dim;
    char n[MC_PARAM_NAME];
    m->c = *c;
    m->p = p;
    m->tok_embed = add(p, prefix, "tok_embed.weight", 2, c->vocab, D);
    m->pos_embed = add(p, prefix, "pos_embed.weight", 2, c->max_len, D);
    add_linear(p, prefix, "grid_proj", c->channels, D, &m->grid_w, &m->grid_b);
    m->grid_pos = add(p, prefix, "grid_pos.weight", 2, c->grid, D);
    add_norm(p, prefix, "grid_norm", D, &m->gn_w, &m->gn_b);
    m->blk = mc_calloc((size_t)c->layers, sizeof *m->blk);
    m->a = mc_calloc((size_t)c->layers, sizeof *m->a);
    for (int l = 0; l < c->layers; l++) {
        tf_block *k = &m->blk[l];
#define NAME(s) (snprintf(n, sizeof n, "layers.%d.%s", l, s), n)
        add_norm(p, prefix, NAME("norm1"), D, &k->ln1_w, &k->ln1_b);
        add_linear(p, prefix, NAME("self_attn.q_proj"), D, D, &k->q_w, &k->q_b);
        add_linear(p, prefix, NAME("self_attn.k_proj"), D, D, &k->k_w, &k->k_b);
        add_linear(p, prefix, NAME("self_attn.v_proj"), D, D, &k->v_w, &k->v_b);
        add_linear(p, prefix, NAME("self_attn.out_proj"), D, D, &k->o_w, &k->o_b);
        add_norm(p, prefix, NAME("norm2"), D, &k->ln2_w, &k->ln2_b);
        add_linear(p, prefix, NAME("cross_attn.q_proj"), D, D, &k->cq_w, &k->cq_b);
        add_linear(p, prefix, NAME("cross_attn.k_proj"), D, D, &k->ck_w, &k->ck_b);
        add_linear(p, prefix, NAME("cross_attn.v_proj"), D, D, &k->cv_w, &k->cv_b);
        add_linear(p, prefix, NAME("cross_attn.out_proj"), D, D, &k->co_w, &k->co_b);
        add_norm(p, prefix, NAME("norm3"), D, &k->ln3_w, &k->ln3_b);
        add_linear(p, prefix, NAME("ffn.0"), D, 4 * D, &k->f1_w, &k->f1_b);
        add_linear(p, prefix, NAME("ffn.2"), 4 * D, D, &k->f2_w, &k->f2_b);
#undef NAME
    }
    add_norm(p, prefix, "norm", D, &m->lnf_w, &m->lnf_b);
    add_linear(p, prefix, "head", D, c->vocab, &m->head_w, &m->head_b);
    return m;
}

void mc_tf_free(mc_tf *m)
{
    if (!m)
        return;
    free(m->blk);
    mc_workspace_free(&m->act);
    free(m->a);
    mc_workspace_free(&m->step);
    free(m);
}

void mc_tf_init_random(mc_tf *m, uint64_t seed)
{
    mc_params *p = m->p;
    mc_prng r;
    mc_prng_seed(&r, seed);
    for (int i = 0; i < p->n; i++) {
        const mc_tensor_spec *t = &p->t[i];
        float *w = mc_params_at(p, i);
        int is_norm = strstr(t->name, "norm") != NULL;
        for (size_t j = 0; j < t->count; j++)
            w[j] = t->ndim == 1 ? (is_norm && strstr(t->name, ".weight") ? 1.0f : 0.0f)
                                : 0.02f * mc_prng_normal(&r);
    }
}

/* ---- activations ---- */

#define P(i) mc_params_at(m->p, (i))
#define DP(i) (m->p->grad + m->p->t[(i)].offset)

/* Make room for the activations of B sequences of T positions: when the
 * last cut is too small, cut them again from m->act, all zeroed. */
static void reserve(mc_tf *m, int B, int T)
{
    size_t N = (size_t)B * T, M = (size_t)B * m->c.grid, D = m->c.dim, F = 4 * D;
    size_t L = m->c.layers, C = m->c.channels, NH = m->c.heads, G = m->c.grid;
    mc_carve k = MC_CARVE_INIT;
    m->B = B, m->T = T;
    if (m->act.p && N <= m->cap_n && M <= m->cap_m && (size_t)T <= m->cap_t)
        return;
    m->cap_n = N, m->cap_m = M, m->cap_t = T;
#define TAKE(ptr, n) (ptr = mc_carve_floats(&k, (n)))
    do {
        m->tokens = mc_carve_ints(&k, N);
        TAKE(m->grid, M * C);
        TAKE(m->x0, N * D);
        TAKE(m->memp, M * D);
        TAKE(m->mem, M * D);
        TAKE(m->mm, M);
        TAKE(m->mr, M);
        TAKE(m->lnf, N * D);
        TAKE(m->fm, N);
        TAKE(m->fr, N);
        TAKE(m->drop0, N * D);
        for (size_t l = 0; l < L; l++) {
            tf_acts *a = &m->a[l];
            TAKE(a->ln1, N * D), TAKE(a->m1, N), TAKE(a->r1, N), TAKE(a->q, N * D);
            TAKE(a->k, N * D), TAKE(a->v, N * D), TAKE(a->att, NH * N * T), TAKE(a->y, N * D);
            TAKE(a->x1, N * D), TAKE(a->ln2, N * D), TAKE(a->m2, N), TAKE(a->r2, N);
            TAKE(a->cq, N * D), TAKE(a->ck, M * D), TAKE(a->cv, M * D), TAKE(a->catt, NH * N * G);
            TAKE(a->cy, N * D), TAKE(a->x2, N * D), TAKE(a->ln3, N * D), TAKE(a->m3, N);
            TAKE(a->r3, N), TAKE(a->h, N * F), TAKE(a->g, N * F), TAKE(a->x3, N * D);
            TAKE(a->drop1, N * D), TAKE(a->drop2, N * D), TAKE(a->drop3, N * D);
        }
        TAKE(m->dx, N * D), TAKE(m->dln, N * D), TAKE(m->dq, N * D), TAKE(m->dk, N * D);
        TAKE(m->dv, N * D), TAKE(m->dy, N * D), TAKE(m->dg, N * F), TAKE(m->dh, N * F);
        TAKE(m->dmem, M * D), TAKE(m->dck, M * D), TAKE(m->dcv, M * D), TAKE(m->dmemp, M * D);
        TAKE(m->dd, N * D);
    } while (mc_carve_next(&k, &m->act));
#undef TAKE
    memset(k.base, 0, k.used);
}

/* mem (M,D) = LN(grid (M,C) Wg^T + bg + grid_pos), keeping memp and stats. */
static void memory_forward(mc_tf *m, float *memp, float *mem, float *mean, float *rstd,
                           const float *grid, int B)
{
    int G = m->c.grid, D = m->c.dim;
    const float *gp = P(m->grid_pos);
    mc_linear_forward(memp, grid, P(m->grid_w), P(m->grid_b), B * G, m->c.channels, D, 0);
    for (int r = 0; r < B * G; r++)
        for (int d = 0; d < D; d++)
            memp[(size_t)r * D + d] += gp[(size_t)(r % G) * D + d];
    mc_layernorm_forward(mem, mean, rstd, memp, P(m->gn_w), P(m->gn_b), B * G, D);
}

static void zero(float *b, size_t n) { memset(b, 0, n * sizeof *b); }

/* Dropout in place over x (B rows of n floats), row b's mask from r[b]. */
static void drop_rows(float *x, float *mask, int B, size_t n, float p, mc_prng *r)
{
    for (int b = 0; b < B; b++)
        mc_dropout_forward(x + b * n, mask + b * n, x + b * n, (int)n, p, &r[b]);
}

/* Residual branch: x_out (B rows of n floats, holding the branch output)
 * becomes x_in + dropout(branch); mask saved when m->dropped. */
static void residual(mc_tf *m, float *x_out, const float *x_in, float *mask, int B, size_t n,
                     float p, mc_prng *r)
{
    if (m->dropped)
        drop_rows(x_out, mask, B, n, p, r);
    for (size_t i = 0; i < (size_t)B * n; i++)
        x_out[i] += x_in[i];
}

/* The gradient reaching a branch whose output was dropped with mask:
 * m->dx itself without dropout, else dx * mask in m->dd. */
static const float *branch_grad(mc_tf *m, const float *mask, size_t n)
{
    if (!m->dropped)
        return m->dx;
    zero(m->dd, n);
    mc_dropout_backward(m->dd, m->dx, mask, (int)n);
    return m->dd;
}

void mc_tf_forward(mc_tf *m, float *logits, const int *tokens, const float *grid, int B, int T,
                   float dropout, const uint64_t *seeds)
{
    int D = m->c.dim, G = m->c.grid, NH = m->c.heads, F = 4 * D, N = B * T, M = B * G;
    size_t TD = (size_t)T * D;
    const float *x;
    mc_prng *r = NULL; /* row b's dropout stream */
    reserve(m, B, T);
    m->dropped = dropout > 0.0f;
    if (m->dropped) {
        r = mc_malloc((size_t)B * sizeof *r);
        for (int b = 0; b < B; b++)
            mc_prng_seed(&r[b], seeds[b]);
    }
    memcpy(m->tokens, tokens, (size_t)N * sizeof *tokens);
    memcpy(m->grid, grid, (size_t)M * m->c.channels * sizeof *grid);
    memory_forward(m, m->memp, m->mem, m->mm, m->mr, m->grid, B);
    for (int n = 0; n < N; n++) {
        const float *te = P(m->tok_embed) + (size_t)tokens[n] * D;
        const float *pe = P(m->pos_embed) + (size_t)(n % T) * D;
        for (int d = 0; d < D; d++)
            m->x0[(size_t)n * D + d] = te[d] + pe[d];
    }
    if (m->dropped)
        drop_rows(m->x0, m->drop0, B, TD, dropout, r);
    x = m->x0;
    for (int l = 0; l < m->c.layers; l++) {
        const tf_block *k = &m->blk[l];
        tf_acts *a = &m->a[l];
        mc_layernorm_forward(a->ln1, a->m1, a->r1, x, P(k->ln1_w), P(k->ln1_b), N, D);
        mc_linear_forward(a->q, a->ln1, P(k->q_w), P(k->q_b), N, D, D, 0);
        mc_linear_forward(a->k, a->ln1, P(k->k_w), P(k->k_b), N, D, D, 0);
        mc_linear_forward(a->v, a->ln1, P(k->v_w), P(k->v_b), N, D, D, 0);
        mc_attention_forward(a->y, a->att, a->q, a->k, a->v, B, T, T, D, NH, 1);
        mc_linear_forward(a->x1, a->y, P(k->o_w), P(k->o_b), N, D, D, 0);
        residual(m, a->x1, x, a->drop1, B, TD, dropout, r);

        mc_layernorm_forward(a->ln2, a->m2, a->r2, a->x1, P(k->ln2_w), P(k->ln2_b), N, D);
        mc_linear_forward(a->cq, a->ln2, P(k->cq_w), P(k->cq_b), N, D, D, 0);
        mc_linear_forward(a->ck, m->mem, P(k->ck_w), P(k->ck_b), M, D, D, 0);
        mc_linear_forward(a->cv, m->mem, P(k->cv_w), P(k->cv_b), M, D, D, 0);
        mc_attention_forward(a->cy, a->catt, a->cq, a->ck, a->cv, B, T, G, D, NH, 0);
        mc_linear_forward(a->x2, a->cy, P(k->co_w), P(k->co_b), N, D, D, 0);
        residual(m, a->x2, a->x1, a->drop2, B, TD, dropout, r);

        mc_layernorm_forward(a->ln3, a->m3, a->r3, a->x2, P(k->ln3_w), P(k->ln3_b), N, D);
        mc_linear_forward(a->h, a->ln3, P(k->f1_w), P(k->f1_b), N, D, F, 0);
        mc_gelu_forward(a->g, a->h, (size_t)N * F);
        mc_linear_forward(a->x3, a->g, P(k->f2_w), P(k->f2_b), N, F, D, 0);
        residual(m, a->x3, a->x2, a->drop3, B, TD, dropout, r);
        x = a->x3;
    }
    free(r);
    mc_layernorm_forward(m->lnf, m->fm, m->fr, x, P(m->lnf_w), P(m->lnf_b), N, D);
    mc_linear_forward(logits, m->lnf, P(m->head_w), P(m->head_b), N, D, m->c.vocab, 0);
}

void mc_tf_backward(mc_tf *m, const float *dlogits, float *dgrid)
{
    int B = m->B, T = m->T, D = m->c.dim, G = m->c.grid, NH = m->c.heads, F = 4 * D;
    int N = B * T, M = B * G, L = m->c.layers;
    size_t ND = (size_t)N * D, MD = (size_t)M * D;
    const float *xl = L ? m->a[L - 1].x3 : m->x0;
    mc_params_grad(m->p);
    zero(m->dln, ND);
    zero(m->dx, ND);
    zero(m->dmem, MD);
    mc_linear_backward(m->dln, DP(m->head_w), DP(m->head_b), dlogits, m->lnf, P(m->head_w), N, D,
                    m->c.vocab);
    mc_layernorm_backward(m->dx, DP(m->lnf_w), DP(m->lnf_b), m->dln, xl, P(m->lnf_w), m->fm,
                          m->fr, N, D);
    for (int l = L - 1; l >= 0; l--) {
        const tf_block *k = &m->blk[l];
        const tf_acts *a = &m->a[l];
        const float *xin = l ? m->a[l - 1].x3 : m->x0;
        /* feed-forward: x3 = x2 + W2 gelu(W1 LN3(x2)) */
        zero(m->dg, (size_t)N * F);
        mc_linear_backward(m->dg, DP(k->f2_w), DP(k->f2_b), branch_grad(m, a->drop3, ND), a->g,
                        P(k->f2_w), N, F, D);
        zero(m->dh, (size_t)N * F);
        mc_gelu_backward(m->dh, a->h, m->dg, (size_t)N * F);
        zero(m->dln, ND);
        mc_linear_backward(m->dln, DP(k->f1_w), DP(k->f1_b), m->dh, a->ln3, P(k->f1_w), N, D, F);
        mc_layernorm_backward(m->dx, DP(k->ln3_w), DP(k->ln3_b), m->dln, a->x2, P(k->ln3_w),
                              a->m3, a->r3, N, D);
        /* cross-attention: x2 = x1 + Wco attn(Wcq LN2(x1), Wck mem, Wcv mem) */
        zero(m->dy, ND);
        mc_linear_backward(m->dy, DP(k->co_w), DP(k->co_b), branch_grad(m, a->drop2, ND), a->cy,
                        P(k->co_w), N, D, D);
        zero(m->dq, ND);
        zero(m->dck, MD), zero(m->dcv, MD);
        mc_attention_backward(m->dq, m->dck, m->dcv, m->dy, a->cq, a->ck, a->cv, a->catt, B, T, G,
                              D, NH);
        mc_linear_backward(m->dmem, DP(k->ck_w), DP(k->ck_b), m->dck, m->mem, P(k->ck_w), M, D, D);
        mc_linear_backward(m->dmem, DP(k->cv_w), DP(k->cv_b), m->dcv, m->mem, P(k->cv_w), M, D, D);
        zero(m->dln, ND);
        mc_linear_backward(m->dln, DP(k->cq_w), DP(k->cq_b), m->dq, a->ln2, P(k->cq_w), N, D, D);
        mc_layernorm_backward(m->dx, DP(k->ln2_w), DP(k->ln2_b), m->dln, a->x1, P(k->ln2_w),
                              a->m2, a->r2, N, D);
        /* self-attention: x1 = x + Wo attn(Wq, Wk, Wv of LN1(x)) */
        zero(m->dy, ND);
        mc_linear_backward(m->dy, DP(k->o_w), DP(k->o_b), branch_grad(m, a->drop1, ND), a->y,
                        P(k->o_w), N, D, D);
        zero(m->dq, ND), zero(m->dk, ND), zero(m->dv, ND);
        mc_attention_backward(m->dq, m->dk, m->dv, m->dy, a->q, a->k, a->v, a->att, B, T, T, D,
                              NH);
        zero(m->dln, ND);
        mc_linear_backward(m->dln, DP(k->q_w), DP(k->q_b), m->dq, a->ln1, P(k->q_w), N, D, D);
        mc_linear_backward(m->dln, DP(k->k_w), DP(k->k_b), m->dk, a->ln1, P(k->k_w), N, D, D);
        mc_linear_backward(m->dln, DP(k->v_w), DP(k->v_b), m->dv, a->ln1, P(k->v_w), N, D, D);
        mc_layernorm_backward(m->dx, DP(k->ln1_w), DP(k->ln1_b), m->dln, xin, P(k->ln1_w), a->m1,
                              a->r1, N, D);
    }
    const float *demb = branch_grad(m, m->drop0, ND);
    for (int n = 0; n < N; n++) {
        float *dte = DP(m->tok_embed) + (size_t)m->tokens[n] * D;
        float *dpe = DP(m->pos_embed) + (size_t)(n % T) * D;
        for (int d = 0; d < D; d++) {
            dte[d] += demb[(size_t)n * D + d];
            dpe[d] += demb[(size_t)n * D + d];
        }
    }
    zero(m->dmemp, MD);
    mc_layernorm_backward(m->dmemp, DP(m->gn_w), DP(m->gn_b), m->dmem, m->memp, P(m->gn_w), m->mm,
                          m->mr, M, D);
    for (int r = 0; r < M; r++)
        for (int d = 0; d < D; d++)
            DP(m->grid_pos)[(size_t)(r % G) * D + d] += m->dmemp[(size_t)r * D + d];
    mc_linear_backward(dgrid, DP(m->grid_w), DP(m->grid_b), m->dmemp, m->grid, P(m->grid_w), M,
                    m->c.channels, D);
}

/* ---- decoding one step at a time ---- */

size_t mc_tf_ctx_floats(const mc_tf *m)
{
    return (size_t)m->c.layers * 2 * m->c.grid * m->c.dim;
}

size_t mc_tf_state_floats(const mc_tf *m)
{
    return (size_t)m->c.layers * 2 * m->c.max_len * m->c.dim;
}

/* Layer l's cross keys (which 0) or values (1) in ctx, (G,D). */
static const float *ctx_at(const mc_tf *m, const float *ctx, int l, int which)
{
    return ctx + ((size_t)2 * l + which) * m->c.grid * m->c.dim;
}

/* Layer l's self keys (which 0) or values (1) in a state, (max_len,D). */
static float *state_at(const mc_tf *m, float *state, int l, int which)
{
    return state + ((size_t)2 * l + which) * m->c.max_len * m->c.dim;
}

void mc_tf_start(mc_tf *m, float *ctx, const float *grid)
{
    int G = m->c.grid, D = m->c.dim;
    float *memp = mc_malloc((size_t)2 * G * D * sizeof *memp), *mem = memp + (size_t)G * D;
    memory_forward(m, memp, mem, NULL, NULL, grid, 1);
    for (int l = 0; l < m->c.layers; l++) {
        const tf_block *k = &m->blk[l];
        mc_linear_forward((float *)ctx_at(m, ctx, l, 0), mem, P(k->ck_w), P(k->ck_b), G, D, D, 0);
        mc_linear_forward((float *)ctx_at(m, ctx, l, 1), mem, P(k->cv_w), P(k->cv_b), G, D, D, 0);
    }
    free(memp);
}

void mc_tf_state_copy(const mc_tf *m, float *dst, const float *src, int pos)
{
    size_t rows = (size_t)pos * m->c.dim;
    for (int l = 0; l < m->c.layers; l++)
        for (int which = 0; which < 2; which++)
            memcpy(state_at(m, dst, l, which), state_at(m, (float *)src, l, which),
                   rows * sizeof *dst);
}

void mc_tf_step(mc_tf *m, float *logits, float *att, const float *ctx, float *states,
                const int *tokens, int N, int pos)
{
    int D = m->c.dim, G = m->c.grid, NH = m->c.heads, F = 4 * D;
    size_t SF = mc_tf_state_floats(m), ND = (size_t)N * D;
    float *x, *ln, *q, *y, *o, *h, *w;
    mc_carve k = MC_CARVE_INIT;
    do {
        x = mc_carve_floats(&k, ND);
        ln = mc_carve_floats(&k, ND);
        q = mc_carve_floats(&k, ND);
        y = mc_carve_floats(&k, ND);
        o = mc_carve_floats(&k, ND);
        h = mc_carve_floats(&k, (size_t)N * F);
        w = mc_carve_floats(&k, (size_t)NH * (m->c.max_len + G)); /* attention weights */
    } while (mc_carve_next(&k, &m->step));
    for (int n = 0; n < N; n++)
        for (int d = 0; d < D; d++)
            x[(size_t)n * D + d] = P(m->tok_embed)[(size_t)tokens[n] * D + d] +
                                   P(m->pos_embed)[(size_t)pos * D + d];
    for (int l = 0; l < m->c.layers; l++) {
        const tf_block *k = &m->blk[l];
        /* self-attention: append this position's key and value to each cache */
        mc_layernorm_forward(ln, NULL, NULL, x, P(k->ln1_w), P(k->ln1_b), N, D);
        mc_linear_forward(q, ln, P(k->q_w), P(k->q_b), N, D, D, 0);
        mc_linear_forward(o, ln, P(k->k_w), P(k->k_b), N, D, D, 0);
        mc_linear_forward(h, ln, P(k->v_w), P(k->v_b), N, D, D, 0);
        for (int n = 0; n < N; n++) {
            float *sk = state_at(m, states + n * SF, l, 0), *sv = state_at(m, states + n * SF, l, 1);
            memcpy(sk + (size_t)pos * D, o + (size_t)n * D, (size_t)D * sizeof *sk);
            memcpy(sv + (size_t)pos * D, h + (size_t)n * D, (size_t)D * sizeof *sv);
            mc_attention_forward(y + (size_t)n * D, w, q + (size_t)n * D, sk, sv, 1, 1, pos + 1,
                                 D, NH, 1);
        }
        mc_linear_forward(x, y, P(k->o_w), P(k->o_b), N, D, D, 1);
        /* cross-attention over the image's grid */
        mc_layernorm_forward(ln, NULL, NULL, x, P(k->ln2_w), P(k->ln2_b), N, D);
        mc_linear_forward(q, ln, P(k->cq_w), P(k->cq_b), N, D, D, 0);
        for (int n = 0; n < N; n++) {
            mc_attention_forward(y + (size_t)n * D, w, q + (size_t)n * D, ctx_at(m, ctx, l, 0),
                                 ctx_at(m, ctx, l, 1), 1, 1, G, D, NH, 0);
            if (att && l == m->c.layers - 1)
                for (int g = 0; g < G; g++) {
                    float s = 0.0f;
                    for (int hd = 0; hd < NH; hd++)
                        s += w[(size_t)hd * G + g];
                    att[(size_t)n * G + g] = s / (float)NH;
                }
        }
        mc_linear_forward(x, y, P(k->co_w), P(k->co_b), N, D, D, 1);
        /* feed-forward */
        mc_layernorm_forward(ln, NULL, NULL, x, P(k->ln3_w), P(k->ln3_b), N, D);
        mc_linear_forward(h, ln, P(k->f1_w), P(k->f1_b), N, D, F, 0);
        mc_gelu_forward(h, h, (size_t)N * F);
        mc_linear_forward(x, h, P(k->f2_w), P(k->f2_b), N, F, D, 1);
    }
    mc_layernorm_forward(ln, NULL, NULL, x, P(m->lnf_w), P(m->lnf_b), N, D);
    mc_linear_forward(logits, ln, P(m->head_w), P(m->head_b), N, D, m->c.vocab, 0);
}

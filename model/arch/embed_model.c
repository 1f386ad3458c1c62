/* embed_model.c - the joint image-text embedding model: parameters,
 * forward and backward of both sides, saving and loading. */
#define _POSIX_C_SOURCE 200809L
#include "arch/embed_model.h"
#include "nn/contrastive.h"
#include "nn/linear.h"
#include "core/prng.h"
#include "io/safetensors.h"
#include "core/util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void mc_embed_model_new(mc_embed_model *m, const mc_embed_config *cfg, mc_vocab *vocab)
{
    int C = cfg->feature_dim, E = cfg->embed, D = cfg->proj_dim;
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    m->vocab = *vocab;
    memset(vocab, 0, sizeof *vocab);
    mc_params_init(&m->p);
    {
        int64_t c = C;
        m->i_mean = mc_params_add_buffer(&m->p, "feature_mean", 1, &c);
    }
    m->i_iw = mc_params_addv(&m->p, "image_proj.weight", 2, D, C, 0, 0);
    m->i_ib = mc_params_addv(&m->p, "image_proj.bias", 1, D, 0, 0, 0);
    m->i_emb = mc_params_addv(&m->p, "text_embed.weight", 2, m->vocab.n, E, 0, 0);
    m->i_tu = mc_params_addv(&m->p, "text_pool.weight", 1, m->vocab.n, 0, 0, 0);
    m->i_tw = mc_params_addv(&m->p, "text_proj.weight", 2, D, E, 0, 0);
    m->i_tb = mc_params_addv(&m->p, "text_proj.bias", 1, D, 0, 0, 0);
    m->i_scale = mc_params_addv(&m->p, "logit_scale", 1, 1, 0, 0, 0);
    mc_params_alloc(&m->p);
}

/* Fill tensor i of m with normal values of standard deviation sd. */
static void fill_normal(mc_embed_model *m, int i, mc_prng *r, float sd)
{
    float *w = mc_params_at(&m->p, i);
    for (size_t k = 0; k < m->p.t[i].count; k++)
        w[k] = sd * mc_prng_normal(r);
}

void mc_embed_model_init(mc_embed_model *m, unsigned long seed)
{
    mc_prng r;
    mc_prng_seed(&r, seed);
    fill_normal(m, m->i_iw, &r, 1.0f / sqrtf((float)m->cfg.feature_dim));
    fill_normal(m, m->i_emb, &r, 1.0f);
    fill_normal(m, m->i_tw, &r, 1.0f / sqrtf((float)m->cfg.embed));
    mc_params_at(&m->p, m->i_scale)[0] = logf(1.0f / 0.07f);
}

/* Integer key of a config object in [1, hi], or -1. */
static int config_int(const cJSON *c, const char *key, long hi)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > hi ||
        v->valuedouble != (double)(long)v->valuedouble)
        return -1;
    return (int)v->valuedouble;
}

int mc_embed_model_load(mc_embed_model *m, const char *path, char *err, size_t errlen)
{
    mc_st_file f;
    mc_embed_config cfg;
    mc_vocab vocab;
    const char *fmt, *config, *vjson;
    cJSON *c;
    char why[256];
    int rc, nvocab;
    memset(m, 0, sizeof *m);
    if ((rc = mc_st_open(&f, path, err, errlen)) != 0)
        return rc;
    fmt = mc_st_meta(&f, "format");
    config = mc_st_meta(&f, "config");
    vjson = mc_st_meta(&f, "vocab");
    if (!fmt || strcmp(fmt, MC_EMBED_FORMAT) != 0 || !config || !vjson) {
        snprintf(err, errlen, "%s: not a %s file (metadata format is '%s'; needs config and vocab)",
                 path, MC_EMBED_FORMAT, fmt ? fmt : "missing");
        mc_st_close(&f);
        return MC_EXIT_MODEL;
    }
    c = cJSON_Parse(config);
    cfg.feature_dim = config_int(c, "feature_dim", 1 << 20);
    cfg.embed = config_int(c, "embed", 1 << 16);
    cfg.proj_dim = config_int(c, "proj_dim", 1 << 16);
    cfg.max_len = config_int(c, "max_len", 1 << 16);
    nvocab = config_int(c, "vocab", 1 << 24);
    cJSON_Delete(c);
    if (cfg.feature_dim < 0 || cfg.embed < 0 || cfg.proj_dim < 0 || cfg.max_len < 0 || nvocab < 0) {
        snprintf(err, errlen, "%s: config needs positive integers feature_dim, embed, proj_dim, max_len and vocab", path);
        mc_st_close(&f);
        return MC_EXIT_MODEL;
    }
    if (mc_vocab_from_json(&vocab, vjson, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        mc_st_close(&f);
        return MC_EXIT_MODEL;
    }
    if (vocab.n != nvocab) {
        snprintf(err, errlen, "%s: config vocab %d does not match the %d-token vocabulary", path,
                 nvocab, vocab.n);
        mc_vocab_free(&vocab);
        mc_st_close(&f);
        return MC_EXIT_MODEL;
    }
    mc_embed_model_new(m, &cfg, &vocab);
    if ((rc = mc_st_load_params(&f, &m->p, err, errlen)) != 0) {
        mc_embed_model_free(m);
        mc_st_close(&f);
        return rc;
    }
    mc_st_close(&f);
    return 0;
}

int mc_embed_model_save(const mc_embed_model *m, const char *path)
{
    cJSON *meta = cJSON_CreateObject(), *c = cJSON_CreateObject();
    char *s;
    int rc;
    cJSON_AddNumberToObject(c, "feature_dim", m->cfg.feature_dim);
    cJSON_AddNumberToObject(c, "embed", m->cfg.embed);
    cJSON_AddNumberToObject(c, "proj_dim", m->cfg.proj_dim);
    cJSON_AddNumberToObject(c, "max_len", m->cfg.max_len);
    cJSON_AddNumberToObject(c, "vocab", m->vocab.n);
    cJSON_AddStringToObject(meta, "format", MC_EMBED_FORMAT);
    s = cJSON_PrintUnformatted(c);
    cJSON_AddStringToObject(meta, "config", s);
    free(s);
    s = mc_vocab_to_json(&m->vocab);
    cJSON_AddStringToObject(meta, "vocab", s);
    free(s);
    rc = mc_st_write(path, &m->p, meta, 0);
    cJSON_Delete(c);
    cJSON_Delete(meta);
    return rc;
}

void mc_embed_model_free(mc_embed_model *m)
{
    mc_params_free(&m->p);
    mc_vocab_free(&m->vocab);
}

int mc_embed_tokens(const mc_embed_model *m, const char *text, int *tok)
{
    int n = mc_vocab_encode_nostop(&m->vocab, text, tok, m->cfg.max_len);
    return n < m->cfg.max_len ? n : m->cfg.max_len;
}

void mc_embed_image_input(const mc_embed_model *m, float *x, const float *unit_features)
{
    const float *mean = mc_params_at(&m->p, m->i_mean);
    for (int c = 0; c < m->cfg.feature_dim; c++)
        x[c] = unit_features[c] - mean[c];
}

void mc_embed_acts_alloc(mc_embed_acts *a, const mc_embed_config *cfg, int B)
{
    size_t bd = (size_t)B * cfg->proj_dim * sizeof(float);
    a->cap = B;
    a->tmean = mc_malloc((size_t)B * cfg->embed * sizeof(float));
    a->tattn = mc_malloc((size_t)B * cfg->max_len * sizeof(float));
    a->iproj = mc_malloc(bd);
    a->tproj = mc_malloc(bd);
    a->iout = mc_malloc(bd);
    a->tout = mc_malloc(bd);
    a->inorm = mc_malloc((size_t)B * sizeof(float));
    a->tnorm = mc_malloc((size_t)B * sizeof(float));
}

void mc_embed_acts_free(mc_embed_acts *a)
{
    free(a->tmean);
    free(a->tattn);
    free(a->iproj);
    free(a->tproj);
    free(a->iout);
    free(a->tout);
    free(a->inorm);
    free(a->tnorm);
}

void mc_embed_image_forward(const mc_embed_model *m, mc_embed_acts *a, const float *x, int B)
{
    int C = m->cfg.feature_dim, D = m->cfg.proj_dim;
    mc_linear_forward(a->iproj, x, mc_params_at(&m->p, m->i_iw), mc_params_at(&m->p, m->i_ib), B,
                      C, D, 0);
    mc_l2norm_forward(a->iout, a->inorm, a->iproj, B, D);
}

void mc_embed_text_forward(const mc_embed_model *m, mc_embed_acts *a, const int *tok,
                           const int *len, int B)
{
    int E = m->cfg.embed, D = m->cfg.proj_dim;
    mc_tokpool_forward(a->tmean, a->tattn, tok, len, mc_params_at(&m->p, m->i_emb),
                       mc_params_at(&m->p, m->i_tu), B, m->cfg.max_len, E);
    mc_linear_forward(a->tproj, a->tmean, mc_params_at(&m->p, m->i_tw),
                      mc_params_at(&m->p, m->i_tb), B, E, D, 0);
    mc_l2norm_forward(a->tout, a->tnorm, a->tproj, B, D);
}

void mc_embed_backward(mc_embed_model *m, const mc_embed_acts *a, const float *x, const int *tok,
                       const int *len, const float *diout, const float *dtout, int B)
{
    int C = m->cfg.feature_dim, E = m->cfg.embed, D = m->cfg.proj_dim;
    float *g = mc_params_grad(&m->p);
    float *dproj = mc_calloc((size_t)B * D, sizeof *dproj);
    float *dmean = mc_calloc((size_t)B * E, sizeof *dmean);
    mc_l2norm_backward(dproj, diout, a->iout, a->inorm, B, D);
    mc_linear_backward(NULL, g + m->p.t[m->i_iw].offset, g + m->p.t[m->i_ib].offset, dproj, x,
                       mc_params_at(&m->p, m->i_iw), B, C, D);
    memset(dproj, 0, (size_t)B * D * sizeof *dproj);
    mc_l2norm_backward(dproj, dtout, a->tout, a->tnorm, B, D);
    mc_linear_backward(dmean, g + m->p.t[m->i_tw].offset, g + m->p.t[m->i_tb].offset, dproj,
                       a->tmean, mc_params_at(&m->p, m->i_tw), B, E, D);
    mc_tokpool_backward(g + m->p.t[m->i_emb].offset, g + m->p.t[m->i_tu].offset, dmean, a->tattn,
                        tok, len, mc_params_at(&m->p, m->i_emb), B, m->cfg.max_len, E);
    free(dproj);
    free(dmean);
}

int mc_embedder_open(mc_embedder *e, const char *path, char *err, size_t errlen)
{
    int rc = mc_embed_model_load(&e->m, path, err, errlen);
    if (rc != 0)
        return rc;
    mc_embed_acts_alloc(&e->a, &e->m.cfg, 1);
    e->feat = mc_malloc((size_t)e->m.cfg.feature_dim * sizeof(float));
    e->x = mc_malloc((size_t)e->m.cfg.feature_dim * sizeof(float));
    e->tok = mc_malloc((size_t)e->m.cfg.max_len * sizeof(int));
    return 0;
}

void mc_embedder_close(mc_embedder *e)
{
    free(e->feat);
    free(e->x);
    free(e->tok);
    mc_embed_acts_free(&e->a);
    mc_embed_model_free(&e->m);
}

const float *mc_embedder_image(mc_embedder *e)
{
    mc_embed_image_input(&e->m, e->x, e->feat);
    mc_embed_image_forward(&e->m, &e->a, e->x, 1);
    return e->a.iout;
}

const float *mc_embedder_text(mc_embedder *e, const char *text)
{
    int len = mc_embed_tokens(&e->m, text, e->tok);
    mc_embed_text_forward(&e->m, &e->a, e->tok, &len, 1);
    return e->a.tout;
}

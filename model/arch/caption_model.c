/* caption_model.c - saving and loading full caption models and checkpoints. */
#define _POSIX_C_SOURCE 200809L
#include "arch/caption_model.h"
#include "core/util.h"
#include "core/vecmath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* mc_capmodel_new without allocating the decoder's tensors. */
static int build(mc_capmodel *m, const char *arch, const mc_decoder_config *cfg, mc_vocab *vocab,
                 char *err, size_t errlen)
{
    mc_decoder_config c = *cfg;
    memset(m, 0, sizeof *m);
    c.vocab = vocab->n;
    mc_params_init(&m->dparams);
    if (mc_decoder_new(&m->dec, arch, &c, &m->dparams, "", err, errlen) != 0) {
        mc_params_free(&m->dparams);
        return -1;
    }
    m->vocab = *vocab;
    memset(vocab, 0, sizeof *vocab);
    return 0;
}

int mc_capmodel_new(mc_capmodel *m, const char *arch, const mc_decoder_config *cfg, mc_vocab *vocab,
                    char *err, size_t errlen)
{
    if (build(m, arch, cfg, vocab, err, errlen) != 0)
        return -1;
    mc_params_alloc(&m->dparams);
    return 0;
}

/* 0 when every value of table p (loaded from f's tensors prefix...) is
 * finite, else MC_EXIT_MODEL with the first bad one named in err. */
static int check_finite(const mc_params *p, const mc_st_file *f, const char *prefix, char *err, size_t errlen)
{
    for (int i = 0; i < p->n; i++) {
        const float *v = mc_params_at(p, i);
        size_t k = mc_first_nonfinite(v, p->t[i].count);
        if (k < p->t[i].count) {
            snprintf(err, errlen, "%s: tensor '%s%s' holds a non-finite value (%g at element %zu)",
                     f->path, prefix, p->t[i].name, (double)v[k], k);
            return MC_EXIT_MODEL;
        }
    }
    return 0;
}

/* Load table p from the file's tensors prefix...: names and shapes are
 * checked before anything is allocated, so a file cannot make the loader
 * allocate more than it holds; then every value must be finite.  0, or
 * MC_EXIT_MODEL with the reason in err. */
static int load_checked(mc_params *p, const mc_st_file *f, const char *prefix, char *err, size_t errlen)
{
    int rc;
    if (!p->data && (rc = mc_st_load_prefix(f, p, prefix, err, errlen)) != 0)
        return rc;
    if (!p->data)
        mc_params_alloc(p);
    if ((rc = mc_st_load_prefix(f, p, prefix, err, errlen)) != 0)
        return rc;
    return check_finite(p, f, prefix, err, errlen);
}

/* 1 if some tensor of f is named prefix... */
static int has_prefix(const mc_st_file *f, const char *prefix)
{
    for (int i = 0; i < f->n; i++)
        if (strncmp(f->t[i].name, prefix, strlen(prefix)) == 0)
            return 1;
    return 0;
}

static int meta_int_pair(const char *s, int *a, int *b)
{
    char tail;
    return s && sscanf(s, " [ %d , %d ]%c", a, b, &tail) == 2 && *a > 0 && *b > 0 ? 0 : -1;
}

int mc_capmodel_load(mc_capmodel *m, const char *path, mc_st_file *fout, char *err, size_t errlen)
{
    mc_st_file f;
    mc_decoder_config cfg;
    mc_vocab vocab;
    const char *fmt, *arch, *config, *vjson, *grid, *earch, *ehash, *econf, *fields, *context;
    char why[256];
    int rc, min_len;
    memset(m, 0, sizeof *m);
    if ((rc = mc_st_open(&f, path, err, errlen)) != 0)
        return rc;
    fmt = mc_st_meta(&f, "format");
    arch = mc_st_meta(&f, "arch");
    config = mc_st_meta(&f, "config");
    vjson = mc_st_meta(&f, "vocab");
    grid = mc_st_meta(&f, "grid");
    earch = mc_st_meta(&f, "encoder_arch");
    ehash = mc_st_meta(&f, "encoder_hash");
    econf = mc_st_meta(&f, "encoder_config");
    fields = mc_st_meta(&f, "fields");
    context = mc_st_meta(&f, "context");
    if (!fmt || strcmp(fmt, MC_CAPTION_FORMAT) != 0 || !arch || !config || !vjson) {
        snprintf(err, errlen, "%s: not a medcap caption model (metadata needs format '%s', arch, config and vocab)",
                 path, MC_CAPTION_FORMAT);
        mc_st_close(&f);
        return MC_EXIT_MODEL;
    }
    mc_decoder_config_default(&cfg);
    if (mc_decoder_config_from_json(&cfg, config, why, sizeof why) != 0 ||
        mc_vocab_from_json(&vocab, vjson, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        mc_st_close(&f);
        return MC_EXIT_MODEL;
    }
    if (cfg.vocab != vocab.n) {
        snprintf(err, errlen, "%s: config vocab %d does not match the %d-token vocabulary", path,
                 cfg.vocab, vocab.n);
        mc_vocab_free(&vocab);
        mc_st_close(&f);
        return MC_EXIT_MODEL;
    }
    {
        const char *ml = mc_st_meta(&f, "decode_min_len");
        long v = 0;
        if (ml && (mc_parse_long(ml, 0, 100000, &v) != 0 || v >= cfg.max_len)) {
            snprintf(err, errlen, "%s: metadata 'decode_min_len' is not a length below the model's %d",
                     path, cfg.max_len);
            mc_vocab_free(&vocab);
            mc_st_close(&f);
            return MC_EXIT_MODEL;
        }
        min_len = (int)v;
    }
    if (build(m, arch, &cfg, &vocab, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        mc_vocab_free(&vocab);
        mc_st_close(&f);
        return MC_EXIT_MODEL;
    }
    if (meta_int_pair(grid, &m->gh, &m->gw) != 0 || (long long)m->gh * m->gw != cfg.grid) {
        snprintf(err, errlen, "%s: metadata 'grid' is missing or does not match the config's %d positions",
                 path, cfg.grid);
        goto fail;
    }
    snprintf(m->encoder_arch, sizeof m->encoder_arch, "%s", earch ? earch : "");
    snprintf(m->encoder_hash, sizeof m->encoder_hash, "%s", ehash ? ehash : "");
    m->encoder_config = econf ? mc_strdup(econf) : NULL;
    m->min_len = min_len;
    if ((rc = load_checked(&m->dparams, &f, "decoder.", err, errlen)) != 0)
        goto fail;
    if (has_prefix(&f, "encoder.")) {
        long in_ch = 1;
        const char *ic = mc_st_meta(&f, "encoder_in_channels");
        if (ic && mc_parse_long(ic, 1, 4, &in_ch) != 0)
            in_ch = -1;
        m->enc = in_ch > 0 ? mc_encoder_new(m->encoder_arch, (int)in_ch) : NULL;
        if (!m->enc) {
            snprintf(err, errlen, "%s: unknown encoder '%s' with %ld input channels", path,
                     m->encoder_arch, in_ch);
            goto fail;
        }
        if ((rc = mc_encoder_load(m->enc, &f, "encoder.", err, errlen)) != 0 ||
            (rc = check_finite(mc_encoder_params(m->enc), &f, "encoder.", err, errlen)) != 0)
            goto fail;
    }
    if (fields) {
        if (!(m->heads = mc_heads_from_json(fields, cfg.channels, why, sizeof why))) {
            snprintf(err, errlen, "%s: %s", path, why);
            goto fail;
        }
        if ((rc = load_checked(&m->heads->p, &f, "heads.", err, errlen)) != 0)
            goto fail;
    }
    if (context) {
        if (!(m->ctx = mc_context_from_json(context, cfg.channels, why, sizeof why))) {
            snprintf(err, errlen, "%s: %s", path, why);
            goto fail;
        }
        if ((rc = load_checked(&m->ctx->p, &f, "context.", err, errlen)) != 0)
            goto fail;
    }
    if (fout)
        *fout = f;
    else
        mc_st_close(&f);
    return 0;
fail:
    mc_capmodel_free(m);
    mc_st_close(&f);
    return MC_EXIT_MODEL;
}

/* Copy moment buffer which (0: m, 1: v) of p from tensors prefix+name. */
static int load_moment(mc_params *p, const mc_st_file *f, const char *prefix, int which, char *err,
                       size_t errlen)
{
    char name[MC_PARAM_NAME + 32];
    mc_params_moments(p);
    for (int i = 0; i < p->n; i++) {
        int j;
        if (p->t[i].buffer)
            continue;
        snprintf(name, sizeof name, "%s%s", prefix, p->t[i].name);
        j = mc_st_find(f, name);
        if (j < 0 || f->t[j].end - f->t[j].begin != p->t[i].count * 4 || f->t[j].dtype != MC_ST_F32) {
            snprintf(err, errlen, "%s: checkpoint tensor '%s' is missing or has the wrong size",
                     f->path, name);
            return MC_EXIT_MODEL;
        }
        mc_st_read_f32(f, j, (which ? p->v : p->m) + p->t[i].offset);
    }
    return 0;
}

int mc_capmodel_load_moments(mc_capmodel *m, const mc_st_file *f, char *err, size_t errlen)
{
    if (load_moment(&m->dparams, f, "optim.m.decoder.", 0, err, errlen) ||
        load_moment(&m->dparams, f, "optim.v.decoder.", 1, err, errlen))
        return MC_EXIT_MODEL;
    if (m->enc && (load_moment(mc_encoder_params(m->enc), f, "optim.m.encoder.", 0, err, errlen) ||
                   load_moment(mc_encoder_params(m->enc), f, "optim.v.encoder.", 1, err, errlen)))
        return MC_EXIT_MODEL;
    if (m->heads && (load_moment(&m->heads->p, f, "optim.m.heads.", 0, err, errlen) ||
                     load_moment(&m->heads->p, f, "optim.v.heads.", 1, err, errlen)))
        return MC_EXIT_MODEL;
    if (m->ctx && (load_moment(&m->ctx->p, f, "optim.m.context.", 0, err, errlen) ||
                   load_moment(&m->ctx->p, f, "optim.v.context.", 1, err, errlen)))
        return MC_EXIT_MODEL;
    return 0;
}

/* Append to out the tensors of src (which: 0 values, 1 m, 2 v) under
 * prefix; record where their values come from. */
typedef struct {
    const float *src;
    size_t n;
} copy_item;

static void merge(mc_params *out, copy_item *items, const mc_params *src, const char *prefix, int which)
{
    char name[MC_PARAM_NAME * 2];
    for (int i = 0; i < src->n; i++) {
        const mc_tensor_spec *t = &src->t[i];
        const float *base = which == 0 ? src->data : which == 1 ? src->m : src->v;
        int k;
        if (which && t->buffer)
            continue;
        snprintf(name, sizeof name, "%s%s", prefix, t->name);
        if (strlen(name) >= MC_PARAM_NAME)
            mc_die(MC_EXIT_INTERNAL, "tensor name too long: %s", name);
        k = t->buffer ? mc_params_add_buffer(out, name, t->ndim, t->shape)
                      : mc_params_add(out, name, t->ndim, t->shape);
        items[k] = (copy_item){base + t->offset, t->count};
    }
}

int mc_capmodel_save(const mc_capmodel *m, const char *path, int moments, const cJSON *extra)
{
    mc_params all;
    mc_params *ep = m->enc ? mc_encoder_params(m->enc) : NULL, *hp = m->heads ? &m->heads->p : NULL,
              *cp = m->ctx ? &m->ctx->p : NULL;
    int cap = (m->dparams.n + (ep ? ep->n : 0) + (hp ? hp->n : 0) + (cp ? cp->n : 0)) * 3 + 1, rc;
    copy_item *items = mc_calloc((size_t)cap, sizeof *items);
    cJSON *meta = cJSON_CreateObject();
    char buf[64], *s;
    mc_params_init(&all);
    merge(&all, items, &m->dparams, "decoder.", 0);
    if (ep)
        merge(&all, items, ep, "encoder.", 0);
    if (hp)
        merge(&all, items, hp, "heads.", 0);
    if (cp)
        merge(&all, items, cp, "context.", 0);
    if (moments) {
        merge(&all, items, &m->dparams, "optim.m.decoder.", 1);
        merge(&all, items, &m->dparams, "optim.v.decoder.", 2);
        if (ep) {
            merge(&all, items, ep, "optim.m.encoder.", 1);
            merge(&all, items, ep, "optim.v.encoder.", 2);
        }
        if (hp) {
            merge(&all, items, hp, "optim.m.heads.", 1);
            merge(&all, items, hp, "optim.v.heads.", 2);
        }
        if (cp) {
            merge(&all, items, cp, "optim.m.context.", 1);
            merge(&all, items, cp, "optim.v.context.", 2);
        }
    }
    mc_params_alloc(&all);
    for (int i = 0; i < all.n; i++)
        memcpy(mc_params_at(&all, i), items[i].src, items[i].n * sizeof(float));
    cJSON_AddStringToObject(meta, "format", MC_CAPTION_FORMAT);
    cJSON_AddStringToObject(meta, "arch", m->dec.arch->name);
    s = mc_decoder_config_to_json(&m->dec.cfg);
    cJSON_AddStringToObject(meta, "config", s);
    free(s);
    s = mc_vocab_to_json(&m->vocab);
    cJSON_AddStringToObject(meta, "vocab", s);
    free(s);
    snprintf(buf, sizeof buf, "[%d,%d]", m->gh, m->gw);
    cJSON_AddStringToObject(meta, "grid", buf);
    cJSON_AddStringToObject(meta, "encoder_arch", m->encoder_arch);
    cJSON_AddStringToObject(meta, "encoder_hash", m->encoder_hash);
    if (m->encoder_config)
        cJSON_AddStringToObject(meta, "encoder_config", m->encoder_config);
    if (m->min_len > 0) {
        snprintf(buf, sizeof buf, "%d", m->min_len);
        cJSON_AddStringToObject(meta, "decode_min_len", buf);
    }
    if (m->heads) {
        s = mc_heads_to_json(m->heads);
        cJSON_AddStringToObject(meta, "fields", s);
        free(s);
    }
    if (m->ctx) {
        s = mc_context_to_json(m->ctx);
        cJSON_AddStringToObject(meta, "context", s);
        free(s);
    }
    if (m->enc) {
        snprintf(buf, sizeof buf, "%d", mc_encoder_in_channels(m->enc));
        cJSON_AddStringToObject(meta, "encoder_in_channels", buf);
    }
    for (const cJSON *x = extra ? extra->child : NULL; x; x = x->next)
        if (cJSON_IsString(x))
            cJSON_AddStringToObject(meta, x->string, x->valuestring);
    rc = mc_st_write(path, &all, meta, 0);
    cJSON_Delete(meta);
    mc_params_free(&all);
    free(items);
    return rc;
}

int mc_capmodel_decoder_copy(const mc_capmodel *m, mc_decoder_copy *c, char *err, size_t errlen)
{
    mc_params_init(&c->p);
    if (mc_decoder_new(&c->dec, m->dec.arch->name, &m->dec.cfg, &c->p, "", err, errlen) != 0) {
        mc_params_free(&c->p);
        return -1;
    }
    if (c->p.n != m->dparams.n || c->p.total != m->dparams.total) {
        snprintf(err, errlen, "internal error: a copy of the %s decoder has another table",
                 m->dec.arch->name);
        mc_capmodel_decoder_copy_free(c);
        return -1;
    }
    c->p.data = m->dparams.data;
    return 0;
}

void mc_capmodel_decoder_copy_free(mc_decoder_copy *c)
{
    mc_decoder_free(&c->dec);
    c->p.data = NULL; /* borrowed */
    mc_params_free(&c->p);
}

void mc_capmodel_free(mc_capmodel *m)
{
    mc_decoder_free(&m->dec);
    mc_params_free(&m->dparams);
    mc_vocab_free(&m->vocab);
    if (m->enc)
        mc_encoder_free(m->enc);
    free(m->encoder_config);
    mc_heads_free(m->heads);
    mc_context_free(m->ctx);
    memset(m, 0, sizeof *m);
}

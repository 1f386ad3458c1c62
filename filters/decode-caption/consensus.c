/* consensus.c - nearest-neighbour consensus among captions (consensus.h). */
#define _POSIX_C_SOURCE 200809L
#include "consensus.h"
#include "arch/cider.h"
#include "arch/tokenizer.h"
#include "core/util.h"
#include "index/caseindex.h"
#include "index/featvec.h"
#include "index/knn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dc_consensus {
    mc_cindex ix;
    int k, C;
    mc_cider_df df;
    mc_grams *grams; /* (rows) each row's caption; n < 0: no caption */
    mc_hit *hits;
    float *q;
};

typedef struct {
    int *w;
    int n, cap;
} word_ids;

/* One token as a word id: FNV-1a of its bytes, 31 bits. */
static void add_word(const char *w, size_t len, void *ctx)
{
    word_ids *ids = ctx;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)w[i]) * 16777619u;
    if (ids->n == ids->cap) {
        ids->cap = ids->cap ? 2 * ids->cap : 64;
        ids->w = mc_realloc(ids->w, (size_t)ids->cap * sizeof *ids->w);
    }
    ids->w[ids->n++] = (int)(h & 0x7fffffff);
}

/* The n-grams of text's tokens. */
static void text_grams(mc_grams *g, const char *text)
{
    word_ids ids = {0};
    mc_tokenize(text, add_word, &ids);
    mc_grams_make(g, ids.w, ids.n);
    free(ids.w);
}

dc_consensus *dc_consensus_open(const char *path, int k, int C, const char *hash, int *rc)
{
    dc_consensus *c = mc_calloc(1, sizeof *c);
    char err[512];
    size_t with = 0;
    if ((*rc = mc_cindex_open(&c->ix, path, err, sizeof err)) != 0) {
        mc_err("%s", err);
        free(c);
        return NULL;
    }
    *rc = MC_EXIT_MODEL;
    if (c->ix.dim != (size_t)C) {
        mc_err("%s: index of %zu-value features; the model's features have %d (index the pooled "
               "features of this model's encoder: medcap encode-features -m MODEL -o pooled | medcap index)",
               path, c->ix.dim, C);
        goto fail;
    }
    c->k = k;
    c->C = C;
    c->grams = mc_calloc(c->ix.rows, sizeof *c->grams);
    mc_cider_df_init(&c->df);
    for (size_t r = 0; r < c->ix.rows; r++) {
        cJSON *rec = mc_cindex_record(&c->ix, r);
        const cJSON *cap = cJSON_GetObjectItemCaseSensitive(rec, "caption"),
                    *eh = cJSON_GetObjectItemCaseSensitive(rec, "encoder_hash");
        if (r == 0 && hash[0] && cJSON_IsString(eh) && strcmp(eh->valuestring, hash) != 0) {
            mc_err("%s: index of features of encoder hash %s; the model's encoder is %s", path,
                   eh->valuestring, hash);
            cJSON_Delete(rec);
            goto fail;
        }
        if (cJSON_IsString(cap)) {
            text_grams(&c->grams[r], cap->valuestring);
            mc_cider_df_add(&c->df, &c->grams[r]);
            with++;
        } else {
            c->grams[r].n = -1;
        }
        cJSON_Delete(rec);
    }
    if (with < 2) {
        mc_err("%s: fewer than 2 indexed records carry a caption", path);
        goto fail;
    }
    c->hits = mc_malloc((size_t)k * sizeof *c->hits);
    c->q = mc_malloc((size_t)C * sizeof *c->q);
    *rc = 0;
    return c;
fail:
    dc_consensus_free(c);
    return NULL;
}

typedef struct {
    char *s;
    size_t n, cap;
} text_buf;

/* Append one token as medcap writes captions: a space before words, none
 * before a colon, comma or full stop. */
static void add_token(const char *w, size_t len, void *ctx)
{
    text_buf *b = ctx;
    int punct = len == 1 && (*w == ':' || *w == ',' || *w == '.');
    if (b->n + len + 2 > b->cap) {
        b->cap = 2 * (b->n + len + 2);
        b->s = mc_realloc(b->s, b->cap);
    }
    if (b->n && !punct)
        b->s[b->n++] = ' ';
    memcpy(b->s + b->n, w, len);
    b->n += len;
    b->s[b->n] = 0;
}

/* A reference caption written as the decoder writes its own: lower case,
 * medcap's tokens, single spaces (malloc'd). */
static char *normalise(const char *text)
{
    text_buf b = {mc_strdup(""), 0, 1};
    mc_tokenize(text, add_token, &b);
    return b.s;
}

/* caption with "name: old," replaced by "name: new," for each field of h
 * that rec names (malloc'd). */
static char *rewrite_fields(const char *caption, const cJSON *rec, const mc_heads *h, const int *cls)
{
    char *s = normalise(caption);
    for (int i = 0; h && i < h->nf; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, h->f[i].name);
        char *old, *neu, *at;
        size_t lo, ln, ls;
        if (!cJSON_IsString(v) || cls[i] < 0)
            continue;
        lo = strlen(h->f[i].name) + strlen(v->valuestring) + 4;
        ln = strlen(h->f[i].name) + strlen(h->f[i].classes[cls[i]]) + 4;
        old = mc_malloc(lo);
        neu = mc_malloc(ln);
        {
            char *ov = normalise(v->valuestring), *nv = normalise(h->f[i].classes[cls[i]]);
            snprintf(old, lo, "%s: %s,", h->f[i].name, ov);
            snprintf(neu, ln, "%s: %s,", h->f[i].name, nv);
            free(ov);
            free(nv);
        }
        if ((at = strstr(s, old)) != NULL) {
            ls = strlen(s);
            char *t = mc_malloc(ls - strlen(old) + strlen(neu) + 1);
            memcpy(t, s, (size_t)(at - s));
            strcpy(t + (at - s), neu);
            strcat(t, at + strlen(old));
            free(s);
            s = t;
        }
        free(old);
        free(neu);
    }
    return s;
}

char *dc_consensus_choose(dc_consensus *c, const float *grid, int G, const char *caption,
                          const mc_heads *h, const int *cls, const char **from)
{
    size_t found = 0;
    int nb = 0, best = -1;
    double best_score = -1;
    mc_grams mine;
    const mc_grams *g[65];
    memset(c->q, 0, (size_t)c->C * sizeof *c->q);
    for (int p = 0; p < G; p++)
        for (int ch = 0; ch < c->C; ch++)
            c->q[ch] += grid[(size_t)p * c->C + ch];
    *from = NULL;
    if (mc_featvec_normalise(c->q, (size_t)c->C) != 0)
        return mc_strdup(caption);
    mc_knn_search(c->hits, &found, c->q, NULL, 1, (size_t)c->k, &c->ix);
    for (size_t i = 0; i < found; i++)
        if (c->grams[c->hits[i].row].n >= 0)
            g[nb++] = &c->grams[c->hits[i].row];
    if (nb < 2)
        return mc_strdup(caption);
    text_grams(&mine, caption);
    g[nb] = &mine; /* candidate nb: the model's caption */
    for (int a = 0; a <= nb; a++) {
        double s = 0;
        for (int b = 0; b < nb; b++)
            if (b != a)
                s += mc_cider_pair(&c->df, g[a], g[b]);
        s /= a == nb ? nb : nb - 1;
        if (s > best_score) {
            best_score = s;
            best = a;
        }
    }
    mc_grams_free(&mine);
    if (best == nb)
        return mc_strdup(caption);
    {
        size_t row = 0;
        int seen = 0;
        for (size_t i = 0; i < found; i++)
            if (c->grams[c->hits[i].row].n >= 0 && seen++ == best)
                row = c->hits[i].row;
        cJSON *rec = mc_cindex_record(&c->ix, row);
        const cJSON *cap = cJSON_GetObjectItemCaseSensitive(rec, "caption");
        char *out = rewrite_fields(cap->valuestring, rec, h, cls);
        *from = c->ix.id[row];
        cJSON_Delete(rec);
        return out;
    }
}

void dc_consensus_free(dc_consensus *c)
{
    if (!c)
        return;
    for (size_t r = 0; c->grams && r < c->ix.rows; r++)
        if (c->grams[r].n >= 0)
            mc_grams_free(&c->grams[r]);
    free(c->grams);
    mc_cider_df_free(&c->df);
    free(c->hits);
    free(c->q);
    mc_cindex_close(&c->ix);
    free(c);
}

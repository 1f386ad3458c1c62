/* consensus.c - nearest-neighbour consensus among captions (consensus.h). */
#define _POSIX_C_SOURCE 200809L
#include "consensus.h"
#include "arch/cider.h"
#include "arch/tokenizer.h"
#include "core/util.h"
#include "core/vecmath.h"
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
    char **caption;  /* (rows) each row's caption, normalised, or NULL */
    char **norm_class[MC_HEADS_MAX]; /* each head's classes, normalised */
    int nf, kclass[MC_HEADS_MAX];
    mc_hit *hits;    /* the neighbours of the last vote */
    size_t found;
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

dc_consensus *dc_consensus_open(const char *path, int k, int C, const char *hash, const mc_heads *h,
                                int *rc)
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
    c->caption = mc_calloc(c->ix.rows, sizeof *c->caption);
    for (int i = 0; h && i < h->nf; i++) {
        c->norm_class[i] = mc_malloc((size_t)h->f[i].K * sizeof **c->norm_class);
        for (int j = 0; j < h->f[i].K; j++)
            c->norm_class[i][j] = normalise(h->f[i].classes[j]);
        c->kclass[i] = h->f[i].K;
        c->nf = i + 1;
    }
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
            c->caption[r] = normalise(cap->valuestring);
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

/* Where the value of field name lies in caption s (medcap's style,
 * "name: value, next: ..."): [*b, *e), up to the comma before the next
 * "word:"; 0, or -1 when s does not name the field or nothing follows it. */
static int field_span(const char *s, const char *name, size_t *b, size_t *e)
{
    size_t n = strlen(name);
    const char *p = s;
    while ((p = strstr(p, name)) != NULL) {
        if ((p == s || (p - s >= 2 && p[-1] == ' ' && p[-2] == ',')) && strncmp(p + n, ": ", 2) == 0)
            break;
        p += n;
    }
    if (!p)
        return -1;
    *b = (size_t)(p - s) + n + 2;
    for (const char *q = s + *b; (q = strstr(q, ", ")) != NULL; q += 2) {
        const char *w = q + 2;
        while (*w && *w != ' ' && *w != ':' && *w != ',')
            w++;
        if (*w == ':' && w > q + 2) {
            *e = (size_t)(q - s);
            return 0;
        }
    }
    return -1;
}

/* caption (normalised) with each field of h that it names given the
 * heads' value cls (malloc'd). */
static char *rewrite_fields(const char *caption, const mc_heads *h, const int *cls)
{
    char *s = normalise(caption);
    for (int i = 0; h && i < h->nf; i++) {
        size_t b, e;
        char *v, *t;
        if (cls[i] < 0 || field_span(s, h->f[i].name, &b, &e) != 0)
            continue;
        v = normalise(h->f[i].classes[cls[i]]);
        t = mc_malloc(strlen(s) - (e - b) + strlen(v) + 1);
        memcpy(t, s, b);
        strcpy(t + b, v);
        strcat(t, s + e);
        free(v);
        free(s);
        s = t;
    }
    return s;
}

void dc_consensus_vote(dc_consensus *c, const float *grid, int G, const mc_heads *h, int *cls)
{
    size_t found = 0;
    mc_grid_mean(c->q, grid, 1, (size_t)G, (size_t)c->C);
    c->found = 0;
    if (mc_featvec_normalise(c->q, (size_t)c->C) != 0)
        return;
    mc_knn_search(c->hits, &found, c->q, NULL, 1, (size_t)c->k, &c->ix);
    c->found = found;
    for (int i = 0; h && i < h->nf; i++) {
        const mc_field *f = &h->f[i];
        float *score = mc_calloc((size_t)f->K, sizeof *score);
        int votes = 0, best = cls[i];
        for (size_t k = 0; k < found; k++) {
            const char *cap = c->caption[c->hits[k].row];
            size_t b, e;
            if (cap && field_span(cap, f->name, &b, &e) == 0)
                for (int j = 0; j < f->K; j++)
                    if (strlen(c->norm_class[i][j]) == e - b && strncmp(cap + b, c->norm_class[i][j], e - b) == 0) {
                        score[j] += 1.0f;
                        votes++;
                        break;
                    }
        }
        for (int j = 0; votes && j < f->K; j++) {
            score[j] = 0.5f * h->probs[i][j] + 0.5f * score[j] / (float)votes;
            if (score[j] > score[best])
                best = j;
        }
        cls[i] = best;
        free(score);
    }
}

char *dc_consensus_choose(dc_consensus *c, const char *caption, const mc_heads *h, const int *cls,
                          const char **from)
{
    size_t found = c->found;
    int nb = 0, best = -1;
    double best_score = -1;
    mc_grams mine;
    const mc_grams *g[65];
    *from = NULL;
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
        *from = c->ix.id[row];
        return rewrite_fields(c->caption[row], h, cls);
    }
}

void dc_consensus_free(dc_consensus *c)
{
    if (!c)
        return;
    for (size_t r = 0; c->grams && r < c->ix.rows; r++) {
        if (c->grams[r].n >= 0)
            mc_grams_free(&c->grams[r]);
        free(c->caption[r]);
    }
    free(c->grams);
    free(c->caption);
    for (int i = 0; i < c->nf; i++) {
        for (int j = 0; j < c->kclass[i]; j++)
            free(c->norm_class[i][j]);
        free(c->norm_class[i]);
    }
    mc_cider_df_free(&c->df);
    free(c->hits);
    free(c->q);
    mc_cindex_close(&c->ix);
    free(c);
}

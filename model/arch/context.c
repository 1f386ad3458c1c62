/* context.c - patient context as an embedding bag added to the feature grid. */
#define _POSIX_C_SOURCE 200809L
#include "arch/context.h"
#include "arch/tokenizer.h"
#include "core/mix64.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"category", "number", "text"};

mc_context *mc_context_new(int C)
{
    mc_context *c = mc_calloc(1, sizeof *c);
    c->C = C;
    mc_strtab_init(&c->tok);
    mc_params_init(&c->p);
    return c;
}

static int kind_of(const char *s)
{
    for (int k = 0; k < 3; k++)
        if (strcmp(s, kind_names[k]) == 0)
            return k;
    return -2;
}

int mc_context_add(mc_context *c, const char *spec, char *err, size_t errlen)
{
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    int kind = colon ? kind_of(colon + 1) : MC_CTX_AUTO;
    if (c->nf == MC_CONTEXT_MAX) {
        snprintf(err, errlen, "more than %d context fields", MC_CONTEXT_MAX);
        return -1;
    }
    if (len == 0 || len >= MC_CONTEXT_NAME) {
        snprintf(err, errlen, "context field name '%.*s' is empty or too long", (int)len, spec);
        return -1;
    }
    if (kind == -2) {
        snprintf(err, errlen, "context field '%s': kind must be category, number or text", spec);
        return -1;
    }
    for (int i = 0; i < c->nf; i++)
        if (strlen(c->f[i].name) == len && strncmp(c->f[i].name, spec, len) == 0) {
            snprintf(err, errlen, "context field '%.*s' given twice", (int)len, spec);
            return -1;
        }
    memcpy(c->f[c->nf].name, spec, len);
    c->f[c->nf].name[len] = '\0';
    c->f[c->nf].kind = kind;
    c->nf++;
    return 0;
}

typedef struct {
    const mc_context *c;
    int field;
    void (*emit)(const char *tok, void *ctx);
    void *ctx;
    int words;
} word_walk;

static void text_word(const char *w, size_t len, void *ctx)
{
    word_walk *ww = ctx;
    char tok[MC_CONTEXT_NAME + 64];
    if (ww->words >= MC_CONTEXT_WORDS || (len == 1 && (*w == ',' || *w == '.' || *w == ':')) ||
        len > 63)
        return;
    snprintf(tok, sizeof tok, "%s=%.*s", ww->c->f[ww->field].name, (int)len, w);
    ww->words++;
    ww->emit(tok, ww->ctx);
}

/* Call emit with each token of field i's value v (none when it has none). */
static void tokens_of(const mc_context *c, int i, const char *v, void (*emit)(const char *, void *),
                      void *ctx)
{
    char tok[MC_CONTEXT_NAME + 256];
    double x;
    if (!v || !*v)
        return;
    if (c->f[i].kind == MC_CTX_NUMBER) {
        if (mc_parse_double(v, &x) != 0 || fabs(x) > 1e9)
            return;
        long lo = (long)floor(x / 10.0) * 10;
        snprintf(tok, sizeof tok, "%s=%ld-%ld", c->f[i].name, lo, lo + 9);
        emit(tok, ctx);
    } else if (c->f[i].kind == MC_CTX_TEXT) {
        word_walk ww = {c, i, emit, ctx, 0};
        mc_tokenize(v, text_word, &ww);
    } else {
        snprintf(tok, sizeof tok, "%s=%.255s", c->f[i].name, v);
        emit(tok, ctx);
    }
}

typedef struct {
    mc_strtab *seen;
    long **count;
    size_t *cap;
} counting;

static void count_token(const char *tok, void *ctx)
{
    counting *k = ctx;
    int id = mc_strtab_intern(k->seen, tok, NULL);
    if ((size_t)id >= *k->cap) {
        size_t n = *k->cap ? 2 * *k->cap : 256;
        *k->count = mc_realloc(*k->count, n * sizeof **k->count);
        memset(*k->count + *k->cap, 0, (n - *k->cap) * sizeof **k->count);
        *k->cap = n;
    }
    (*k->count)[id]++;
}

void mc_context_build(mc_context *c, char *const *vals, int n, int stride, long min_freq)
{
    mc_strtab seen;
    long *count = NULL;
    size_t cap = 0;
    counting k = {&seen, &count, &cap};
    char name[MC_PARAM_NAME];
    mc_strtab_init(&seen);
    for (int i = 0; i < c->nf; i++) {
        int numeric = 1, any = 0;
        double x;
        if (c->f[i].kind != MC_CTX_AUTO)
            continue;
        for (int s = 0; s < n; s++) {
            const char *v = vals[(size_t)s * stride + i];
            if (v) {
                any = 1;
                numeric &= mc_parse_double(v, &x) == 0;
            }
        }
        c->f[i].kind = any && numeric ? MC_CTX_NUMBER : MC_CTX_CATEGORY;
    }
    for (int i = 0; i < c->nf; i++) {
        snprintf(name, sizeof name, "%s=?", c->f[i].name);
        mc_strtab_intern(&c->tok, name, NULL);
    }
    for (int i = 0; i < c->nf; i++)
        for (int s = 0; s < n; s++)
            tokens_of(c, i, vals[(size_t)s * stride + i], count_token, &k);
    for (size_t t = 0; t < seen.n; t++)
        if (count[t] >= min_freq)
            mc_strtab_intern(&c->tok, seen.str[t], NULL);
    mc_strtab_free(&seen);
    free(count);
    mc_params_addv(&c->p, "embedding", 2, (int64_t)c->tok.n, c->C, 0, 0);
    mc_params_alloc(&c->p);
}

const char *mc_context_value(const cJSON *item, char *buf, size_t n)
{
    if (cJSON_IsString(item))
        return item->valuestring;
    if (cJSON_IsNumber(item) && isfinite(item->valuedouble)) {
        snprintf(buf, n, "%.15g", item->valuedouble);
        return buf;
    }
    return NULL;
}

typedef struct {
    mc_context *c;
    int found;
} lookup;

/* Append the row of tok (weight 1 for now) when it is in the table. */
static void add_pair(const char *tok, void *ctx)
{
    lookup *l = ctx;
    mc_context *c = l->c;
    int row = mc_strtab_find(&c->tok, tok);
    if (row < 0)
        return;
    if (c->used == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        c->row = mc_realloc(c->row, (size_t)c->cap * sizeof *c->row);
        c->w = mc_realloc(c->w, (size_t)c->cap * sizeof *c->w);
    }
    c->row[c->used] = row;
    c->w[c->used++] = 1.0f;
    l->found++;
}

void mc_context_forward(mc_context *c, float *grid, int B, int G, char *const *vals, int stride,
                        float drop, const uint64_t *seeds)
{
    const float *E = mc_params_at(&c->p, 0);
    float *vec = mc_malloc((size_t)c->C * sizeof *vec);
    c->first = mc_realloc(c->first, (size_t)(B + 1) * sizeof *c->first);
    c->used = 0;
    for (int b = 0; b < B; b++) {
        c->first[b] = c->used;
        for (int i = 0; i < c->nf; i++) {
            const char *v = vals[(size_t)b * stride + i];
            int start = c->used;
            lookup l = {c, 0};
            uint64_t h = drop > 0 ? mc_mix64(seeds[b] ^ mc_mix64((uint64_t)i + 1)) : 0;
            if (drop > 0 && (double)(h >> 11) / 9007199254740992.0 < drop)
                v = NULL;
            tokens_of(c, i, v, add_pair, &l);
            if (l.found == 0) {
                lookup u = {c, 0};
                char tok[MC_CONTEXT_NAME + 4];
                snprintf(tok, sizeof tok, "%s=?", c->f[i].name);
                add_pair(tok, &u);
            } else {
                for (int k = start; k < c->used; k++)
                    c->w[k] = 1.0f / (float)l.found;
            }
        }
    }
    c->first[B] = c->used;
    for (int b = 0; b < B; b++) {
        memset(vec, 0, (size_t)c->C * sizeof *vec);
        for (int k = c->first[b]; k < c->first[b + 1]; k++) {
            const float *e = E + (size_t)c->row[k] * c->C;
            for (int j = 0; j < c->C; j++)
                vec[j] += c->w[k] * e[j];
        }
        for (int g = 0; g < G; g++) {
            float *cell = grid + ((size_t)b * G + g) * c->C;
            for (int j = 0; j < c->C; j++)
                cell[j] += vec[j];
        }
    }
    free(vec);
}

void mc_context_backward(mc_context *c, const float *dgrid, int B, int G)
{
    float *dE = mc_params_grad(&c->p), *dvec = mc_malloc((size_t)c->C * sizeof *dvec);
    for (int b = 0; b < B; b++) {
        memset(dvec, 0, (size_t)c->C * sizeof *dvec);
        for (int g = 0; g < G; g++) {
            const float *cell = dgrid + ((size_t)b * G + g) * c->C;
            for (int j = 0; j < c->C; j++)
                dvec[j] += cell[j];
        }
        for (int k = c->first[b]; k < c->first[b + 1]; k++) {
            float *d = dE + (size_t)c->row[k] * c->C;
            for (int j = 0; j < c->C; j++)
                d[j] += c->w[k] * dvec[j];
        }
    }
    free(dvec);
}

char *mc_context_to_json(const mc_context *c)
{
    cJSON *o = cJSON_CreateObject(), *fields = cJSON_AddArrayToObject(o, "fields"),
          *toks = cJSON_AddArrayToObject(o, "tokens");
    char *s;
    for (int i = 0; i < c->nf; i++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "name", c->f[i].name);
        cJSON_AddStringToObject(f, "kind", kind_names[c->f[i].kind]);
        cJSON_AddItemToArray(fields, f);
    }
    for (size_t t = 0; t < c->tok.n; t++)
        cJSON_AddItemToArray(toks, cJSON_CreateString(c->tok.str[t]));
    s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        mc_die(MC_EXIT_INTERNAL, "out of memory");
    return s;
}

mc_context *mc_context_from_json(const char *json, int C, char *err, size_t errlen)
{
    cJSON *o = cJSON_Parse(json), *fields = cJSON_GetObjectItemCaseSensitive(o, "fields"),
          *toks = cJSON_GetObjectItemCaseSensitive(o, "tokens"), *x;
    mc_context *c = mc_context_new(C);
    char spec[MC_CONTEXT_NAME + 16];
    int i = 0;
    if (!cJSON_IsArray(fields) || !cJSON_IsArray(toks) || cJSON_GetArraySize(fields) < 1) {
        snprintf(err, errlen, "metadata 'context' needs 'fields' and 'tokens' arrays");
        goto fail;
    }
    cJSON_ArrayForEach(x, fields) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(x, "name"),
                    *k = cJSON_GetObjectItemCaseSensitive(x, "kind");
        if (!cJSON_IsString(n) || !cJSON_IsString(k) || kind_of(k->valuestring) < 0 ||
            strchr(n->valuestring, ':')) {
            snprintf(err, errlen, "metadata 'context': field %d needs a name and a kind", i);
            goto fail;
        }
        snprintf(spec, sizeof spec, "%.*s:%s", MC_CONTEXT_NAME, n->valuestring, k->valuestring);
        if (mc_context_add(c, spec, err, errlen) != 0)
            goto fail;
        i++;
    }
    i = 0;
    cJSON_ArrayForEach(x, toks) {
        int added = 0;
        char want[MC_CONTEXT_NAME + 4];
        if (!cJSON_IsString(x) || (mc_strtab_intern(&c->tok, x->valuestring, &added), !added)) {
            snprintf(err, errlen, "metadata 'context': token %d is not a new string", i);
            goto fail;
        }
        if (i < c->nf) {
            snprintf(want, sizeof want, "%s=?", c->f[i].name);
            if (strcmp(x->valuestring, want) != 0) {
                snprintf(err, errlen, "metadata 'context': token %d must be '%s'", i, want);
                goto fail;
            }
        }
        i++;
    }
    if ((int)c->tok.n < c->nf) {
        snprintf(err, errlen, "metadata 'context': fewer tokens than fields");
        goto fail;
    }
    mc_params_addv(&c->p, "embedding", 2, (int64_t)c->tok.n, C, 0, 0);
    cJSON_Delete(o);
    return c;
fail:
    cJSON_Delete(o);
    mc_context_free(c);
    return NULL;
}

void mc_context_free(mc_context *c)
{
    if (!c)
        return;
    mc_strtab_free(&c->tok);
    mc_params_free(&c->p);
    free(c->row);
    free(c->w);
    free(c->first);
    free(c);
}

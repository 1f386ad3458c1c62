/* tokenizer.c - word tokens, word counts, and the vocabulary table. */
#define _POSIX_C_SOURCE 200809L
#include "arch/tokenizer.h"
#include "core/util.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *special[MC_TOK_SPECIAL] = {"<pad>", "<bos>", "<eos>", "<unk>"};

static int is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* 1 for the punctuation that structures a caption ("modality: ct, plane:
 * axial", and full stops between sentences), kept as a token of its own. */
static int is_kept_punct(unsigned char c) { return c == ':' || c == ',' || c == '.'; }

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* The tokenizer; with stops 0, the one before full stops were tokens: a
 * full stop is dropped and a decimal point splits a number. */
static void tokenize(const char *text, void (*fn)(const char *w, size_t len, void *ctx), void *ctx,
                     int stops)
{
    char buf[MC_TOK_MAX_WORD + 1];
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        size_t n = 0;
        while (*p && !is_word_byte(*p)) {
            if (is_kept_punct(*p) && (stops || *p != '.')) {
                buf[0] = (char)*p;
                buf[1] = 0;
                fn(buf, 1, ctx);
            }
            p++;
        }
        while (*p && n < MC_TOK_MAX_WORD &&
               (is_word_byte(*p) || (n > 0 && (*p == '-' || *p == '/') && is_word_byte(p[1])) ||
                (stops && n > 0 && *p == '.' && is_digit(p[-1]) && is_digit(p[1])))) {
            unsigned char c = *p++; /* a hyphen or slash inside a word, a decimal point inside a number, stay in it */
            buf[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        if (n > 0) {
            buf[n] = 0;
            fn(buf, n, ctx);
        }
    }
}

void mc_tokenize(const char *text, void (*fn)(const char *w, size_t len, void *ctx), void *ctx)
{
    tokenize(text, fn, ctx, 1);
}

static uint32_t hash(const char *w, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)w[i]) * 16777619u;
    return h;
}

/* ---- word counts: an open-addressing table of (word, count) ---- */

struct mc_wordcount {
    char **word;
    long *count;
    int n, cap;
};

mc_wordcount *mc_wordcount_new(void)
{
    mc_wordcount *wc = mc_calloc(1, sizeof *wc);
    wc->cap = 1024;
    wc->word = mc_calloc((size_t)wc->cap, sizeof *wc->word);
    wc->count = mc_calloc((size_t)wc->cap, sizeof *wc->count);
    return wc;
}

static void wc_insert(mc_wordcount *wc, char *w, long count);

static void wc_grow(mc_wordcount *wc)
{
    char **ow = wc->word;
    long *oc = wc->count;
    int ocap = wc->cap;
    wc->cap *= 2;
    wc->n = 0;
    wc->word = mc_calloc((size_t)wc->cap, sizeof *wc->word);
    wc->count = mc_calloc((size_t)wc->cap, sizeof *wc->count);
    for (int i = 0; i < ocap; i++)
        if (ow[i])
            wc_insert(wc, ow[i], oc[i]);
    free(ow);
    free(oc);
}

/* Add count to word w (taking ownership of w when it is new). */
static void wc_insert(mc_wordcount *wc, char *w, long count)
{
    size_t len = strlen(w);
    uint32_t i = hash(w, len) & (uint32_t)(wc->cap - 1);
    while (wc->word[i] && strcmp(wc->word[i], w) != 0)
        i = (i + 1) & (uint32_t)(wc->cap - 1);
    if (wc->word[i]) {
        wc->count[i] += count;
        free(w);
        return;
    }
    wc->word[i] = w;
    wc->count[i] = count;
    if (++wc->n * 2 > wc->cap)
        wc_grow(wc);
}

static void count_one(const char *w, size_t len, void *ctx)
{
    (void)len;
    wc_insert(ctx, mc_strdup(w), 1);
}

void mc_wordcount_add(mc_wordcount *wc, const char *text) { mc_tokenize(text, count_one, wc); }

void mc_wordcount_add_nostop(mc_wordcount *wc, const char *text) { tokenize(text, count_one, wc, 0); }

void mc_wordcount_free(mc_wordcount *wc)
{
    if (!wc)
        return;
    for (int i = 0; i < wc->cap; i++)
        free(wc->word[i]);
    free(wc->word);
    free(wc->count);
    free(wc);
}

/* ---- the vocabulary ---- */

static void vocab_index(mc_vocab *v)
{
    v->cap = 16;
    while (v->cap < 2 * v->n)
        v->cap *= 2;
    v->table = mc_malloc((size_t)v->cap * sizeof *v->table);
    for (int i = 0; i < v->cap; i++)
        v->table[i] = -1;
    for (int id = 0; id < v->n; id++) {
        uint32_t i = hash(v->word[id], strlen(v->word[id])) & (uint32_t)(v->cap - 1);
        while (v->table[i] >= 0)
            i = (i + 1) & (uint32_t)(v->cap - 1);
        v->table[i] = id;
    }
}

int mc_vocab_id(const mc_vocab *v, const char *w, size_t len)
{
    uint32_t i = hash(w, len) & (uint32_t)(v->cap - 1);
    for (; v->table[i] >= 0; i = (i + 1) & (uint32_t)(v->cap - 1)) {
        const char *x = v->word[v->table[i]];
        if (strlen(x) == len && memcmp(x, w, len) == 0)
            return v->table[i];
    }
    return MC_TOK_UNK;
}

typedef struct {
    const char *w;
    long count;
} entry;

static int by_count(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->w, y->w);
}

void mc_vocab_build(mc_vocab *v, const mc_wordcount *wc, int min_freq, int max_size)
{
    entry *e = mc_malloc((size_t)(wc->n + 1) * sizeof *e);
    int n = 0;
    for (int i = 0; i < wc->cap; i++)
        if (wc->word[i] && wc->count[i] >= min_freq)
            e[n++] = (entry){wc->word[i], wc->count[i]};
    qsort(e, (size_t)n, sizeof *e, by_count);
    if (max_size < MC_TOK_SPECIAL)
        max_size = MC_TOK_SPECIAL;
    if (n > max_size - MC_TOK_SPECIAL)
        n = max_size - MC_TOK_SPECIAL;
    v->n = n + MC_TOK_SPECIAL;
    v->word = mc_malloc((size_t)v->n * sizeof *v->word);
    for (int i = 0; i < MC_TOK_SPECIAL; i++)
        v->word[i] = mc_strdup(special[i]);
    for (int i = 0; i < n; i++)
        v->word[MC_TOK_SPECIAL + i] = mc_strdup(e[i].w);
    free(e);
    vocab_index(v);
}

int mc_vocab_from_json(mc_vocab *v, const char *json, char *err, size_t errlen)
{
    cJSON *a = cJSON_Parse(json);
    int n = a && cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
    memset(v, 0, sizeof *v);
    if (n < 0) {
        snprintf(err, errlen, "vocabulary is not a JSON array");
        cJSON_Delete(a);
        return -1;
    }
    if (n < MC_TOK_SPECIAL + 1) {
        snprintf(err, errlen, "vocabulary has %d tokens, needs at least %d", n, MC_TOK_SPECIAL + 1);
        cJSON_Delete(a);
        return -1;
    }
    v->word = mc_calloc((size_t)n, sizeof *v->word);
    int i = 0;
    cJSON *s;
    cJSON_ArrayForEach(s, a) { /* not cJSON_GetArrayItem: that walks the list, O(n^2) */
        if (!cJSON_IsString(s) || !s->valuestring[0] ||
            (i < MC_TOK_SPECIAL && strcmp(s->valuestring, special[i]) != 0)) {
            snprintf(err, errlen, "vocabulary token %d is %s", i,
                     i < MC_TOK_SPECIAL ? "not the expected special token" : "not a word");
            v->n = i;
            mc_vocab_free(v);
            cJSON_Delete(a);
            return -1;
        }
        v->word[i] = mc_strdup(s->valuestring);
        v->n = ++i;
    }
    cJSON_Delete(a);
    vocab_index(v);
    for (i = 0; i < n; i++)
        if (mc_vocab_id(v, v->word[i], strlen(v->word[i])) != i) {
            snprintf(err, errlen, "vocabulary token %d '%s' is a duplicate", i, v->word[i]);
            mc_vocab_free(v);
            return -1;
        }
    return 0;
}

char *mc_vocab_to_json(const mc_vocab *v)
{
    cJSON *a = cJSON_CreateArray();
    char *s;
    for (int i = 0; i < v->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v->word[i]));
    s = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    if (!s)
        mc_die(MC_EXIT_INTERNAL, "out of memory");
    return s;
}

typedef struct {
    const mc_vocab *v;
    int *ids;
    int max, n;
} encode_ctx;

static void encode_one(const char *w, size_t len, void *ctx)
{
    encode_ctx *e = ctx;
    if (e->n < e->max)
        e->ids[e->n] = mc_vocab_id(e->v, w, len);
    e->n++;
}

int mc_vocab_encode(const mc_vocab *v, const char *text, int *ids, int max)
{
    encode_ctx e = {v, ids, max, 0};
    mc_tokenize(text, encode_one, &e);
    return e.n;
}

int mc_vocab_encode_nostop(const mc_vocab *v, const char *text, int *ids, int max)
{
    encode_ctx e = {v, ids, max, 0};
    tokenize(text, encode_one, &e, 0);
    return e.n;
}

char *mc_vocab_decode(const mc_vocab *v, const int *ids, int n)
{
    size_t len = 1, k = 0;
    char *s;
    for (int i = 0; i < n; i++)
        if (ids[i] >= MC_TOK_SPECIAL && ids[i] < v->n)
            len += strlen(v->word[ids[i]]) + 1;
    s = mc_malloc(len);
    for (int i = 0; i < n; i++)
        if (ids[i] >= MC_TOK_SPECIAL && ids[i] < v->n) {
            size_t l = strlen(v->word[ids[i]]);
            if (k && !(l == 1 && is_kept_punct((unsigned char)v->word[ids[i]][0])))
                s[k++] = ' ';
            memcpy(s + k, v->word[ids[i]], l);
            k += l;
        }
    s[k] = 0;
    return s;
}

void mc_vocab_free(mc_vocab *v)
{
    for (int i = 0; i < v->n; i++)
        free(v->word[i]);
    free(v->word);
    free(v->table);
    memset(v, 0, sizeof *v);
}

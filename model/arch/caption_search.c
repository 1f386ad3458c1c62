/* caption_search.c - greedy decoding and beam search over a decoder. */
#define _POSIX_C_SOURCE 200809L
#include "arch/caption_search.h"
#include "arch/tokenizer.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    float score; /* sum of log-probabilities */
    int from;    /* hypothesis it extends */
    int tok;
} cand;

struct mc_search {
    mc_decoder *d;
    mc_search_opts o;
    int K, V, G, L;
    size_t sf;
    float *ctx, *states, *next, *logits, *att;
    int *toks, *ntoks, *feed;   /* (K,L) word histories; (K) tokens fed */
    float *hatt, *nhatt;        /* (K,L,G) attention histories */
    float *score;               /* (K) */
    cand *cands;                /* (2K) best candidates of a step */
    int *best;                  /* best finished caption (L) */
    float *best_att;            /* (L,G) */
    int best_n, best_complete;
    int punct[3];               /* ids of ":" "," "." (-1: unknown) */
    int *words;                 /* (L) scratch: a history without punctuation */
    float best_score, best_norm;
};

mc_search *mc_search_new(mc_decoder *d, const mc_search_opts *o)
{
    mc_search *s = mc_calloc(1, sizeof *s);
    size_t K, L, G, V;
    s->d = d;
    s->o = *o;
    if (!o->nforce)
        s->o.lead = -1;
    s->K = o->beam;
    s->V = d->cfg.vocab;
    s->G = d->cfg.grid;
    /* no longer than the positions the decoder was built for */
    s->L = o->max_len < d->cfg.max_len - 1 ? o->max_len : d->cfg.max_len - 1;
    K = (size_t)s->K, L = (size_t)s->L, G = (size_t)s->G, V = (size_t)s->V;
    s->sf = d->arch->state_floats(d->impl);
    s->ctx = mc_malloc(d->arch->ctx_floats(d->impl) * sizeof(float) + 4);
    s->states = mc_malloc(K * s->sf * sizeof(float));
    s->next = mc_malloc(K * s->sf * sizeof(float));
    s->logits = mc_malloc(K * V * sizeof(float));
    s->att = mc_malloc(K * G * sizeof(float));
    s->toks = mc_malloc(K * L * sizeof(int));
    s->ntoks = mc_malloc(K * L * sizeof(int));
    s->feed = mc_malloc(K * sizeof(int));
    s->hatt = mc_malloc(K * L * G * sizeof(float));
    s->nhatt = mc_malloc(K * L * G * sizeof(float));
    s->score = mc_malloc(K * sizeof(float));
    s->cands = mc_malloc(2 * K * sizeof(cand));
    s->best = mc_malloc(L * sizeof(int));
    s->best_att = mc_malloc(L * G * sizeof(float));
    s->words = mc_malloc(L * sizeof(int) + sizeof(int));
    for (int i = 0; i < 3; i++) {
        char p[2] = {":,."[i], 0};
        int id = o->vocab ? mc_vocab_id(o->vocab, p, 1) : MC_TOK_UNK;
        s->punct[i] = id == MC_TOK_UNK ? -1 : id;
    }
    return s;
}

/* Turn logits row (V) into log-probabilities in place. */
static void log_softmax(float *x, int V)
{
    float mx = -INFINITY;
    double sum = 0.0;
    for (int v = 0; v < V; v++)
        mx = x[v] > mx ? x[v] : mx;
    for (int v = 0; v < V; v++)
        sum += exp((double)(x[v] - mx));
    float lse = mx + (float)log(sum);
    for (int v = 0; v < V; v++)
        x[v] -= lse;
}

/* 1 when token t is punctuation that n-gram blocking looks through. */
static int is_punct(const mc_search *s, int t)
{
    return t == s->punct[0] || t == s->punct[1] || t == s->punct[2];
}

/* Forbid in lp (V) the words that would repeat an n-gram of words of
 * w[0..len) (punctuation tokens skipped: "the left. the left" repeats);
 * with a vocabulary, also punctuation after punctuation, and the end
 * right after a comma or colon. */
static void block_ngrams(mc_search *s, float *lp, const int *w, int len, int n)
{
    int m = 0, *x = s->words;
    lp[MC_TOK_PAD] = -INFINITY;
    lp[MC_TOK_BOS] = -INFINITY;
    lp[MC_TOK_UNK] = -INFINITY; /* it would vanish from the text, leaving a hole */
    if (len > 0 && is_punct(s, w[len - 1])) { /* no ".." or ", :", no end after "," or ":" */
        for (int i = 0; i < 3; i++)
            if (s->punct[i] >= 0)
                lp[s->punct[i]] = -INFINITY;
        if (w[len - 1] != s->punct[2])
            lp[MC_TOK_EOS] = -INFINITY;
    }
    if (n <= 0)
        return;
    for (int i = 0; i < len; i++)
        if (!is_punct(s, w[i]))
            x[m++] = w[i];
    if (m < n)
        return;
    /* the last n-1 words must match x[i..i+n-1) for a repeat at x[i+n-1] */
    for (int i = 0; i + n - 1 < m; i++) {
        int same = 1;
        for (int k = 0; k < n - 1 && same; k++)
            same = x[i + k] == x[m - (n - 1) + k];
        if (same)
            lp[x[i + n - 1]] = -INFINITY;
    }
}

static float normalised(const mc_search *s, float score, int len)
{
    return s->o.length_penalty == 0.0f ? score : score / powf((float)(len + 1), s->o.length_penalty);
}

/* The forced next word of a hypothesis with words w[0..len), or -1: the
 * rest of a field's value when its last colon follows a field's name. */
static int forced_token(const mc_search *s, const int *w, int len)
{
    if (s->o.lead >= 0 && len < 2)
        return len == 0 ? s->o.force[s->o.lead].trigger : s->o.colon;
    for (int j = len - 1; j >= 1; j--) {
        if (w[j] != s->o.colon)
            continue;
        for (int f = 0; f < s->o.nforce; f++) {
            const mc_search_force *fv = &s->o.force[f];
            int done = len - (j + 1);
            if (w[j - 1] != fv->trigger)
                continue;
            if (done < fv->n && memcmp(w + j + 1, fv->toks, (size_t)done * sizeof *w) == 0)
                return fv->toks[done];
            return -1;
        }
        return -1;
    }
    return -1;
}

/* Record hypothesis h (len words, its word and attention history) as
 * finished with score if it is the best so far; complete: it ended with
 * <eos>. */
static void finish(mc_search *s, const int *w, const float *att, int len, float score, int complete)
{
    float norm = normalised(s, score, len);
    if (s->best_n >= 0 && norm <= s->best_norm)
        return;
    s->best_complete = complete;
    s->best_n = len;
    s->best_score = score;
    s->best_norm = norm;
    memcpy(s->best, w, (size_t)len * sizeof *w);
    if (s->o.attention)
        memcpy(s->best_att, att, (size_t)len * s->G * sizeof *att);
}

/* Insert candidate c into the sorted list of at most m best. */
static void keep_best(cand *list, int *n, int m, cand c)
{
    int i;
    if (*n == m && c.score <= list[m - 1].score)
        return;
    i = *n < m ? (*n)++ : m - 1;
    while (i > 0 && list[i - 1].score < c.score) {
        list[i] = list[i - 1];
        i--;
    }
    list[i] = c;
}

int mc_search_run(mc_search *s, const float *grid, const int **words, float *logprob,
                  const float **att)
{
    const mc_decoder_arch *a = s->d->arch;
    int K = s->K, V = s->V, G = s->G, L = s->L, N = 1;
    a->start(s->d->impl, s->ctx, s->states, grid);
    s->feed[0] = MC_TOK_BOS;
    s->score[0] = 0.0f;
    s->best_n = -1;
    for (int len = 0; len < L && N > 0; len++) {
        int nc = 0, M = 2 * K, n2 = 0;
        a->step(s->d->impl, s->logits, s->o.attention ? s->att : NULL, grid, s->ctx, s->states,
                s->feed, N, len);
        for (int h = 0; h < N; h++) {
            float *lp = s->logits + (long)h * V;
            int forced = s->o.nforce ? forced_token(s, s->toks + (long)h * L, len) : -1;
            log_softmax(lp, V);
            if (forced >= 0) {
                keep_best(s->cands, &nc, M, (cand){s->score[h] + lp[forced], h, forced});
                continue;
            }
            block_ngrams(s, lp, s->toks + (long)h * L, len, s->o.no_repeat_ngram);
            if (len < s->o.min_len)
                lp[MC_TOK_EOS] = -INFINITY;
            for (int v = 0; v < V; v++)
                if (lp[v] > -INFINITY)
                    keep_best(s->cands, &nc, M, (cand){s->score[h] + lp[v], h, v});
        }
        /* the attention of this step joins each history */
        if (s->o.attention)
            for (int h = 0; h < N; h++)
                memcpy(s->hatt + ((long)h * L + len) * G, s->att + (long)h * G,
                       (size_t)G * sizeof(float));
        for (int i = 0; i < nc && n2 < K; i++) {
            cand c = s->cands[i];
            if (c.tok == MC_TOK_EOS) {
                finish(s, s->toks + (long)c.from * L, s->hatt + (long)c.from * L * G, len, c.score, 1);
                continue;
            }
            memcpy(s->ntoks + (long)n2 * L, s->toks + (long)c.from * L, (size_t)len * sizeof(int));
            s->ntoks[(long)n2 * L + len] = c.tok;
            if (s->o.attention)
                memcpy(s->nhatt + (long)n2 * L * G, s->hatt + (long)c.from * L * G,
                       (size_t)(len + 1) * G * sizeof(float));
            a->state_copy(s->d->impl, s->next + (long)n2 * s->sf, s->states + (long)c.from * s->sf,
                          len + 1);
            s->feed[n2] = c.tok;
            s->score[n2] = c.score;
            n2++;
        }
        /* stop when no live hypothesis ranks above the best finished one
         * (exact for length_penalty 0: scores only fall as words are added) */
        N = n2;
        if (s->best_n >= 0) {
            int better = 0;
            for (int h = 0; h < n2 && !better; h++)
                better = normalised(s, s->score[h], len + 1) > s->best_norm;
            if (!better)
                N = 0;
        }
        {
            float *t = s->states;
            int *ti = s->toks;
            s->states = s->next, s->next = t;
            s->toks = s->ntoks, s->ntoks = ti;
            t = s->hatt, s->hatt = s->nhatt, s->nhatt = t;
        }
        if (len == L - 1)
            for (int h = 0; h < N; h++) /* out of length: unfinished captions end here */
                finish(s, s->toks + (long)h * L, s->hatt + (long)h * L * G, L, s->score[h], 0);
    }
    *words = s->best;
    *logprob = s->best_score;
    if (att)
        *att = s->best_att;
    return s->best_n < 0 ? 0 : s->best_n;
}

typedef struct {
    const mc_vocab *v;
    mc_search_force *f;
    int ok;
} spell_ctx;

static void spell_word(const char *w, size_t len, void *ctx)
{
    spell_ctx *c = ctx;
    int id = mc_vocab_id(c->v, w, len);
    if (id == MC_TOK_UNK || c->f->n >= (int)(sizeof c->f->toks / sizeof *c->f->toks) - 1)
        c->ok = 0;
    else
        c->f->toks[c->f->n++] = id;
}

void mc_search_set_min_len(mc_search *s, int min_len)
{
    s->o.min_len = min_len;
}

void mc_search_set_fields(mc_search *s, const mc_vocab *v, const mc_heads *h, const int *cls)
{
    int comma = mc_vocab_id(v, ",", 1);
    s->o.nforce = 0;
    s->o.lead = -1;
    s->o.colon = mc_vocab_id(v, ":", 1);
    if (!h || s->o.colon == MC_TOK_UNK || comma == MC_TOK_UNK)
        return;
    for (int i = 0; i < h->nf && s->o.nforce < (int)(sizeof s->o.force / sizeof *s->o.force); i++) {
        mc_search_force *f = &s->o.force[s->o.nforce];
        spell_ctx sc = {v, f, 1};
        if (cls[i] < 0 || cls[i] >= h->f[i].K)
            continue;
        f->trigger = mc_vocab_id(v, h->f[i].name, strlen(h->f[i].name));
        f->n = 0;
        mc_tokenize(h->f[i].classes[cls[i]], spell_word, &sc);
        if (f->trigger == MC_TOK_UNK || !sc.ok || f->n == 0)
            continue;
        f->toks[f->n++] = comma;
        if (h->f[i].opens && s->o.lead < 0)
            s->o.lead = s->o.nforce;
        s->o.nforce++;
    }
}

int mc_search_complete(const mc_search *s)
{
    return s->best_complete;
}

int mc_search_clean_end(const mc_vocab *v, const int *w, int n)
{
    static const char *const weak[] = {",", ":", ";", "a", "an", "the", "of", "with", "and", "or",
                                       "in", "to", "at", "on", "for", "by", "from", "is", "are",
                                       "was", "were", "as", "into", "within", "without", "which",
                                       "that", "than", "there", "this", "these", "its", "their",
                                       "no", "not", "be", "both", "but", "also"};
    int stop = mc_vocab_id(v, ".", 1), k = n;
    while (k > 0 && w[k - 1] != stop)
        k--;
    if (stop != MC_TOK_UNK && k > 0 && 2 * k >= n)
        return k;
    while (n > 0) {
        const char *word = w[n - 1] >= 0 && w[n - 1] < v->n ? v->word[w[n - 1]] : "";
        size_t i;
        for (i = 0; i < sizeof weak / sizeof *weak; i++)
            if (strcmp(word, weak[i]) == 0)
                break;
        if (i == sizeof weak / sizeof *weak)
            break;
        n--;
    }
    return n;
}

void mc_search_free(mc_search *s)
{
    if (!s)
        return;
    free(s->ctx);
    free(s->states);
    free(s->next);
    free(s->logits);
    free(s->att);
    free(s->toks);
    free(s->ntoks);
    free(s->feed);
    free(s->hatt);
    free(s->nhatt);
    free(s->score);
    free(s->cands);
    free(s->best);
    free(s->best_att);
    free(s->words);
    free(s);
}

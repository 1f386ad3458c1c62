/* corpus.c - reading, joining, tokenising and counting captions. */
#define _POSIX_C_SOURCE 200809L
#include "corpus.h"
#include "firstseen.h"
#include "par.h"
#include "text.h"
#include "io/ndjson.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* Lines parsed together on the threads: a fixed number, like every other
 * split of the work, so that nothing depends on the number of threads. */
#define BLOCK_LINES 4096

/* Release the bytes, places and hashes of the tokens (kept while reading). */
static void free_tokens(sc_corpus *c)
{
    free(c->tok_bytes);
    free(c->tok_at);
    free(c->tok_len);
    free(c->tok_hash);
    c->tok_bytes = NULL;
    c->tok_at = NULL;
    c->tok_len = NULL;
    c->tok_hash = NULL;
    c->ntok_bytes = c->tok_bytes_cap = c->tok_meta_cap = 0;
}

void sc_corpus_init(sc_corpus *c)
{
    memset(c, 0, sizeof *c);
    mc_intern_init(&c->ref_ids);
    mc_intern_init(&c->values);
    sc_labelstore_init(&c->labels);
}

void sc_corpus_free(sc_corpus *c)
{
    mc_intern_free(&c->ref_ids);
    mc_intern_free(&c->values);
    sc_labelstore_free(&c->labels);
    free(c->toks);
    free(c->bags);
    free(c->caps);
    free(c->refs);
    free(c->items);
    free(c->strings);
    free(c->gram_order);
    free_tokens(c);
    memset(c, 0, sizeof *c);
}

/* Make room for need elements of size sz in *p (capacity *cap, in elements). */
static void reserve(void **p, size_t *cap, size_t need, size_t sz)
{
    size_t n = *cap ? *cap : 256, bytes;
    if (need <= *cap)
        return;
    while (n < need)
        n *= 2;
    if (mc_mul_overflow(n, sz, &bytes))
        mc_die(MC_EXIT_INTERNAL, "corpus too large");
    *p = mc_realloc(*p, bytes);
    *cap = n;
}

const char *sc_corpus_str(const sc_corpus *c, size_t off) { return c->strings + off; }

/* Copy s into the string arena; returns its offset. */
static size_t add_string(sc_corpus *c, const char *s)
{
    size_t n = strlen(s) + 1, off = c->nstrings;
    reserve((void **)&c->strings, &c->strings_cap, c->nstrings + n, 1);
    memcpy(c->strings + off, s, n);
    c->nstrings += n;
    return off;
}

/* One thread's tokens of the captions of its lines of a block. */
typedef struct {
    char *bytes; /* the tokens' bytes */
    size_t nbytes, bytes_cap;
    size_t *at;     /* per token: where its bytes start */
    uint32_t *len;  /* per token: its length */
    uint64_t *hash; /* per token: sc_first_hash */
    size_t ntok, tok_cap;
    uint32_t *cap_ntok; /* per caption: its number of tokens */
    size_t ncap, cap_cap;
    char *scratch; /* sc_tokenize's work space */
    size_t scratch_cap;
} tokbuf;

static void tokbuf_free(tokbuf *b)
{
    free(b->bytes);
    free(b->at);
    free(b->len);
    free(b->hash);
    free(b->cap_ntok);
    free(b->scratch);
}

/* Token callback: append tok[0..len) to the tokbuf ctx. */
static void add_token(const char *tok, size_t len, void *ctx)
{
    tokbuf *b = ctx;
    if (b->ntok == b->tok_cap) {
        size_t cap = b->tok_cap;
        reserve((void **)&b->at, &cap, b->ntok + 1, sizeof *b->at);
        cap = b->tok_cap;
        reserve((void **)&b->len, &cap, b->ntok + 1, sizeof *b->len);
        reserve((void **)&b->hash, &b->tok_cap, b->ntok + 1, sizeof *b->hash);
    }
    reserve((void **)&b->bytes, &b->bytes_cap, b->nbytes + len, 1);
    memcpy(b->bytes + b->nbytes, tok, len);
    b->at[b->ntok] = b->nbytes;
    b->len[b->ntok] = (uint32_t)len;
    b->hash[b->ntok] = sc_first_hash(tok, len);
    b->nbytes += len;
    b->ntok++;
}

/* Tokenise text into a new caption of b. */
static void tokenize_caption(tokbuf *b, const char *text, enum sc_tokenizer tk)
{
    size_t len = strlen(text), t0 = b->ntok;
    reserve((void **)&b->scratch, &b->scratch_cap, len + 1, 1);
    sc_tokenize(tk, text, len, b->scratch, add_token, b);
    reserve((void **)&b->cap_ntok, &b->cap_cap, b->ncap + 1, sizeof *b->cap_ntok);
    b->cap_ntok[b->ncap++] = (uint32_t)(b->ntok - t0);
}

/* Add caption k of b, whose first token is b's token *tok (moved past it),
 * to the corpus; returns its index.  Its word ids and bag are set later
 * (count_grams). */
static uint32_t add_caption(sc_corpus *c, const tokbuf *b, size_t k, size_t *tok)
{
    uint32_t n = b->cap_ntok[k];
    sc_caption *cap;
    if (c->ncaps >= UINT32_MAX)
        mc_die(MC_EXIT_INTERNAL, "too many captions");
    /* toks is allocated (room for one more) even while every caption is
     * empty: the metrics offset it by a caption's start */
    reserve((void **)&c->toks, &c->toks_cap, c->ntoks + n + 1, sizeof *c->toks);
    if (c->ntoks + n > c->tok_meta_cap) {
        size_t cap_at = c->tok_meta_cap, cap_len = c->tok_meta_cap;
        reserve((void **)&c->tok_at, &cap_at, c->ntoks + n, sizeof *c->tok_at);
        reserve((void **)&c->tok_len, &cap_len, c->ntoks + n, sizeof *c->tok_len);
        reserve((void **)&c->tok_hash, &c->tok_meta_cap, c->ntoks + n, sizeof *c->tok_hash);
    }
    if (n) { /* the caption's tokens are contiguous in b: copied at once */
        size_t from = b->at[*tok], bytes = b->at[*tok + n - 1] + b->len[*tok + n - 1] - from;
        reserve((void **)&c->tok_bytes, &c->tok_bytes_cap, c->ntok_bytes + bytes, 1);
        memcpy(c->tok_bytes + c->ntok_bytes, b->bytes + from, bytes);
        for (uint32_t i = 0; i < n; i++)
            c->tok_at[c->ntoks + i] = c->ntok_bytes + b->at[*tok + i] - from;
        memcpy(c->tok_len + c->ntoks, b->len + *tok, n * sizeof *c->tok_len);
        memcpy(c->tok_hash + c->ntoks, b->hash + *tok, n * sizeof *c->tok_hash);
        c->ntok_bytes += bytes;
        *tok += n;
    }
    reserve((void **)&c->caps, &c->caps_cap, c->ncaps + 1, sizeof *c->caps);
    cap = &c->caps[c->ncaps];
    cap->tok_off = c->ntoks;
    cap->ntok = n;
    cap->bag_off = 0;
    cap->nbag = 0;
    c->ntoks += n;
    return (uint32_t)c->ncaps++;
}
/* Report a bad record: under keep_going count it and return 0 (skip),
 * else return MC_EXIT_INPUT.  The message has been printed. */
static int bad_record(sc_corpus *c, const sc_load_opts *o)
{
    if (o->keep_going) {
        c->skipped++;
        return 0;
    }
    return MC_EXIT_INPUT;
}

/* 1 when s has more than SC_MAX_WORDS words (runs of characters other than
 * space, tab, CR and LF), else 0; stops counting at the limit. */
static int too_long(const char *s)
{
    size_t words = 0;
    int in_word = 0;
    for (; *s; s++) {
        int space = *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n';
        if (!space && !in_word && ++words > SC_MAX_WORDS)
            return 1;
        in_word = !space;
    }
    return 0;
}

/* 0 when caption text (the field named field of the record at name:line)
 * is within SC_MAX_WORDS words, else -1 (after a message when report). */
static int check_length(const char *text, const char *field, const char *name, long line,
                        int report)
{
    if (!too_long(text))
        return 0;
    if (report)
        mc_err_at(name, line, "\"%s\" has more than %d words, the longest caption scored",
                  field, SC_MAX_WORDS);
    return -1;
}

/* The reference strings of rec: the ref field (string or non-empty list of
 * strings, each of at most SC_MAX_WORDS words).  Sets *list (array, or NULL
 * for one string) and *one.  Returns 0, or -1 (after printing what is wrong
 * when report). */
static int ref_strings(const cJSON *rec, const sc_load_opts *o, const char *name, long line,
                       int report, const cJSON **list, const cJSON **one)
{
    const char *field = o->ref_field;
    const cJSON *v;
    if (!field)
        field = cJSON_GetObjectItemCaseSensitive(rec, "references") ? "references" : "caption";
    v = cJSON_GetObjectItemCaseSensitive(rec, field);
    *list = *one = NULL;
    if (cJSON_IsString(v)) {
        *one = v;
        return check_length(v->valuestring, field, name, line, report);
    }
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0) {
        const cJSON *e;
        cJSON_ArrayForEach(e, v) {
            if (!cJSON_IsString(e)) {
                if (report)
                    mc_err_at(name, line, "\"%s\" holds something that is not a string", field);
                return -1;
            }
            if (check_length(e->valuestring, field, name, line, report) != 0)
                return -1;
        }
        *list = v;
        return 0;
    }
    if (!report)
        return -1;
    if (!o->ref_field && !v)
        mc_err_at(name, line, "no \"references\" list or \"caption\" string");
    else if (!v)
        mc_err_at(name, line, "no field \"%s\"", field);
    else
        mc_err_at(name, line, "\"%s\" is not a string or a non-empty list of strings", field);
    return -1;
}

/* The prediction string of rec (the pred field, a string of at most
 * SC_MAX_WORDS words) into *v.  Returns 0, or -1 (after printing what is
 * wrong when report). */
static int pred_string(const cJSON *rec, const sc_load_opts *o, const char *name, long line,
                       int report, const cJSON **v)
{
    *v = cJSON_GetObjectItemCaseSensitive(rec, o->pred_field);
    if (!cJSON_IsString(*v)) {
        if (report)
            mc_err_at(name, line, *v ? "\"%s\" is not a string" : "no field \"%s\"",
                      o->pred_field);
        return -1;
    }
    return check_length((*v)->valuestring, o->pred_field, name, line, report);
}

/* A line of a block and what a worker made of it. */
typedef struct {
    size_t text;  /* its text: offset in the block's text */
    long line;    /* its line number */
    cJSON *rec;   /* the record, parsed and checked; NULL: blank or bad */
    int bad;      /* 1: not a good record (reported again on the calling thread) */
    const cJSON *one, *list; /* in rec: its one caption string, or its list of references */
    int thread;   /* the tokbuf of its captions ... */
    size_t cap0, tok0; /* ... and their first caption and token there */
} line_job;

/* A block of lines, read in order, parsed and tokenised on threads. */
typedef struct {
    char *text; /* the lines, each NUL-terminated */
    size_t ntext, text_cap;
    line_job lines[BLOCK_LINES];
    int n;
    tokbuf *tb;    /* per thread */
    int kind;      /* 0: reference records, 1: prediction records */
    const sc_load_opts *o;
} block;

/* Read up to BLOCK_LINES lines of lr into b.  Returns 1 at the end of the input. */
static int read_block(block *b, mc_lines *lr)
{
    char *line;
    long len;
    b->n = 0;
    b->ntext = 0;
    while (b->n < BLOCK_LINES) {
        if ((len = mc_lines_next(lr, &line)) < 0)
            return 1;
        reserve((void **)&b->text, &b->text_cap, b->ntext + (size_t)len + 1, 1);
        memcpy(b->text + b->ntext, line, (size_t)len + 1);
        b->lines[b->n] = (line_job){.text = b->ntext, .line = lr->line};
        b->ntext += (size_t)len + 1;
        b->n++;
    }
    return 0;
}

/* text parsed as mc_record_parse does, without its messages: the record, or
 * NULL.  (cJSON_Parse also stores its error place in a global; the place
 * printed comes from mc_record_parse on the calling thread.) */
static cJSON *parse_quiet(const char *text)
{
    cJSON *rec = cJSON_Parse(text);
    if (rec && (!cJSON_IsObject(rec) || !mc_record_norm_id(rec))) {
        cJSON_Delete(rec);
        rec = NULL;
    }
    return rec;
}

/* Parse, check and tokenise line L of b into thread t's tokbuf tb. */
static void prepare_line(const block *b, line_job *L, int t, tokbuf *tb)
{
    const char *text = b->text + L->text;
    const cJSON *e;
    int bad;
    if (mc_blank(text))
        return;
    L->rec = parse_quiet(text);
    if (L->rec && b->kind == 0)
        bad = ref_strings(L->rec, b->o, NULL, 0, 0, &L->list, &L->one) != 0;
    else if (L->rec)
        bad = pred_string(L->rec, b->o, NULL, 0, 0, &L->one) != 0;
    else
        bad = 1;
    if (bad) {
        cJSON_Delete(L->rec);
        L->rec = NULL;
        L->bad = 1;
        return;
    }
    L->thread = t;
    L->cap0 = tb->ncap;
    L->tok0 = tb->ntok;
    if (L->one)
        tokenize_caption(tb, L->one->valuestring, b->o->tokenizer);
    else
        cJSON_ArrayForEach(e, L->list) tokenize_caption(tb, e->valuestring, b->o->tokenizer);
}

/* Step: thread t of n prepares its part of the block ctx. */
static void prepare_part(void *ctx, int t, int n)
{
    block *b = ctx;
    size_t lo, hi;
    tokbuf *tb = &b->tb[t];
    tb->nbytes = tb->ntok = tb->ncap = 0;
    sc_par_part((size_t)b->n, t, n, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        prepare_line(b, &b->lines[i], t, tb);
}

/* Step: thread t of n frees the records of its part of the block ctx. */
static void free_part(void *ctx, int t, int n)
{
    block *b = ctx;
    size_t lo, hi;
    sc_par_part((size_t)b->n, t, n, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        cJSON_Delete(b->lines[i].rec);
        b->lines[i].rec = NULL;
    }
}

/* Report line L of b, which a worker found bad, as mc_record_parse and the
 * record checks do (the same checks, now printing).  Returns bad_record's status. */
static int report_bad(sc_corpus *c, const block *b, const line_job *L, const char *name)
{
    cJSON *rec = mc_record_parse(b->text + L->text, name, L->line);
    const cJSON *list, *one;
    if (rec && b->kind == 0)
        ref_strings(rec, b->o, name, L->line, 1, &list, &one);
    else if (rec)
        pred_string(rec, b->o, name, L->line, 1, &one);
    cJSON_Delete(rec);
    return bad_record(c, b->o);
}

/* Add the good reference record of line L of b. Returns 0 or an exit status. */
static int add_ref(sc_corpus *c, const block *b, const line_job *L, const char *name)
{
    const sc_load_opts *o = b->o;
    const char *id = mc_record_id(L->rec);
    const char *first = L->one ? L->one->valuestring : L->list->child->valuestring;
    const tokbuf *tb = &b->tb[L->thread];
    size_t tok = L->tok0, ncap = L->one ? 1 : (size_t)cJSON_GetArraySize(L->list);
    uint32_t r;
    sc_refrec *rr;
    sc_labelset labels = {0};
    r = mc_intern_find(&c->ref_ids, id, strlen(id));
    if (r != UINT32_MAX) {
        mc_err_at(name, L->line, "duplicate id '%s' (first on line %ld)", id, c->refs[r].line);
        return bad_record(c, o);
    }
    if (o->labels && sc_labels_of_ref(&c->labels, L->rec, first, name, L->line, &labels) != 0)
        return bad_record(c, o);
    mc_intern_get(&c->ref_ids, id, strlen(id), NULL);
    reserve((void **)&c->refs, &c->refs_cap, c->nrefs + 1, sizeof *c->refs);
    rr = &c->refs[c->nrefs++];
    rr->line = L->line;
    rr->item = 0;
    rr->labels = labels;
    rr->cap0 = (uint32_t)c->ncaps;
    for (size_t k = 0; k < ncap; k++)
        add_caption(c, tb, L->cap0 + k, &tok);
    sc_clinical_parse(first, &c->values, &rr->clin);
    rr->ncap = (uint32_t)c->ncaps - rr->cap0;
    return 0;
}

/* Add the good prediction record of line L of b as an item. Returns 0 or an exit status. */
static int add_pred(sc_corpus *c, const block *b, const line_job *L, const char *name,
                    const char *refs_name)
{
    const sc_load_opts *o = b->o;
    const char *id = mc_record_id(L->rec), *text = L->one->valuestring;
    size_t tok = L->tok0;
    uint32_t r = mc_intern_find(&c->ref_ids, id, strlen(id));
    sc_item *it;
    if (r == UINT32_MAX) {
        mc_err_at(name, L->line, "id '%s' has no reference in %s", id, refs_name);
        return bad_record(c, o);
    }
    if (c->refs[r].item) {
        mc_err_at(name, L->line, "duplicate id '%s' (first on line %ld)", id,
                  c->items[c->refs[r].item - 1].line);
        return bad_record(c, o);
    }
    reserve((void **)&c->items, &c->items_cap, c->nitems + 1, sizeof *c->items);
    it = &c->items[c->nitems++];
    it->ref = r;
    it->line = L->line;
    it->id_off = add_string(c, id);
    it->text_off = add_string(c, text);
    it->pred = add_caption(c, &b->tb[L->thread], L->cap0, &tok);
    sc_clinical_parse(text, &c->values, &it->pred_clin);
    it->pred_labels = (sc_labelset){0};
    if (o->labels)
        sc_labels_from_text(&c->labels, text, &it->pred_labels);
    c->refs[r].item = (uint32_t)c->nitems;
    return 0;
}

/* Add the records of block b in order until an error stops it.  Returns 0
 * or an exit status. */
static int add_block(sc_corpus *c, const block *b, const char *name, const char *refs_name)
{
    int status = 0;
    for (int i = 0; i < b->n && !status; i++) {
        const line_job *L = &b->lines[i];
        if (L->bad)
            status = report_bad(c, b, L, name);
        else if (L->rec)
            status = b->kind == 0 ? add_ref(c, b, L, name) : add_pred(c, b, L, name, refs_name);
    }
    return status;
}

/* Read every record of f, adding each as a reference record (kind 0) or a
 * prediction (kind 1).  Returns 0 or an exit status. */
static int read_records(sc_corpus *c, FILE *f, const char *name, const char *refs_name,
                        const sc_load_opts *o, int kind)
{
    int threads = o->threads < 1 ? 1 : o->threads > SC_MAX_THREADS ? SC_MAX_THREADS : o->threads;
    int status = 0, end = 0;
    block *b = mc_calloc(1, sizeof *b);
    mc_lines lr;
    b->tb = mc_calloc((size_t)threads, sizeof *b->tb);
    b->kind = kind;
    b->o = o;
    mc_lines_init(&lr, f, name);
    while (!status && !end) {
        end = read_block(b, &lr);
        sc_par_run(threads, prepare_part, b);
        status = add_block(c, b, name, refs_name);
        sc_par_run(threads, free_part, b);
    }
    if (!status && ferror(f)) {
        mc_err_at(name, 0, "read error");
        status = MC_EXIT_IO;
    }
    mc_lines_free(&lr);
    for (int t = 0; t < threads; t++)
        tokbuf_free(&b->tb[t]);
    free(b->tb);
    free(b->text);
    free(b);
    return status;
}

/* The n-gram occurrences of the corpus, order by order: occurrence j of
 * order k is an n-gram of caption c at offset at[c][k-1] in that order's
 * arrays. */
typedef struct {
    sc_corpus *c;
    size_t (*at)[SC_MAX_N]; /* per caption and order: its first occurrence */
    size_t count[SC_MAX_N]; /* occurrences per order */
    uint32_t *first[SC_MAX_N]; /* per occurrence: its first occurrence, then its n-gram id */
    uint64_t *keys;            /* per occurrence of the order counted: (prefix, word) */
    int order;                 /* that order, 2..SC_MAX_N */
    uint32_t longest;          /* the most words of a caption */
} grams;

/* Occurrences of order k (1..) in a caption of n words. */
static size_t of_order(uint32_t n, int k) { return n >= (uint32_t)k ? n - (uint32_t)k + 1 : 0; }

/* Step: thread t of n sets the keys of g->order for its part of the captions. */
static void key_part(void *ctx, int t, int n)
{
    grams *g = ctx;
    const sc_corpus *c = g->c;
    int k = g->order;
    size_t lo, hi;
    sc_par_part(c->ncaps, t, n, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const sc_caption *cap = &c->caps[i];
        const uint32_t *prefix = g->first[k - 2] + g->at[i][k - 2], *w = c->toks + cap->tok_off;
        uint64_t *key = g->keys + g->at[i][k - 1];
        for (size_t j = 0; j < of_order(cap->ntok, k); j++)
            key[j] = (uint64_t)prefix[j] << 32 | w[j + k - 1];
    }
}

/* Turn g's first occurrences into n-gram ids: dense, in order of first
 * appearance (caption by caption, order by order); sets c's gram_order. */
static void number_grams(grams *g)
{
    sc_corpus *c = g->c;
    size_t total = 0;
    uint32_t next = 0;
    for (int k = 0; k < SC_MAX_N; k++)
        total += g->count[k];
    c->gram_order = mc_malloc(total ? total : 1);
    for (size_t i = 0; i < c->ncaps; i++)
        for (int k = 0; k < SC_MAX_N; k++) {
            uint32_t *f = g->first[k];
            size_t o = g->at[i][k], end = o + of_order(c->caps[i].ntok, k + 1);
            for (; o < end; o++) {
                if (f[o] == o) {
                    c->gram_order[next] = (uint8_t)(k + 1);
                    f[o] = next++;
                } else {
                    f[o] = f[f[o]]; /* an earlier occurrence: an id already */
                }
            }
        }
    c->ngrams = next;
}

/* Step: thread t of n makes the bags of its part of the captions. */
static void bag_part(void *ctx, int t, int n)
{
    grams *g = ctx;
    sc_corpus *c = g->c;
    uint32_t *ids = mc_malloc(((size_t)g->longest * SC_MAX_N + 1) * sizeof *ids);
    size_t lo, hi;
    sc_par_part(c->ncaps, t, n, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        sc_caption *cap = &c->caps[i];
        sc_gram *bag = c->bags + cap->bag_off;
        size_t m = 0, nb = 0;
        for (int k = 0; k < SC_MAX_N; k++) {
            size_t len = of_order(cap->ntok, k + 1);
            memcpy(ids + m, g->first[k] + g->at[i][k], len * sizeof *ids);
            m += len;
        }
        sc_sort_u32(ids, m);
        for (size_t j = 0; j < m; j++) {
            if (j > 0 && ids[j] == ids[j - 1]) {
                bag[nb - 1].count++;
            } else {
                bag[nb].id = ids[j];
                bag[nb].count = 1;
                nb++;
            }
        }
        cap->nbag = (uint32_t)nb;
    }
    free(ids);
}

/* Give every word and n-gram of c its id (corpus.h) and every caption its
 * bag, on threads threads; frees the tokens' bytes. */
static void count_grams(sc_corpus *c, int threads)
{
    grams g = {.c = c};
    sc_first *first = sc_first_new(threads);
    size_t bags = 0, most = 1;
    sc_first_bytes(first, c->tok_bytes, c->tok_at, c->tok_len, c->tok_hash, c->ntoks, c->toks);
    free_tokens(c);
    g.at = mc_malloc((c->ncaps ? c->ncaps : 1) * sizeof *g.at);
    for (size_t i = 0; i < c->ncaps; i++) {
        if (c->caps[i].ntok > g.longest)
            g.longest = c->caps[i].ntok;
        c->caps[i].bag_off = bags;
        for (int k = 0; k < SC_MAX_N; k++) {
            size_t m = of_order(c->caps[i].ntok, k + 1);
            g.at[i][k] = g.count[k];
            g.count[k] += m;
            bags += m;
        }
    }
    for (int k = 0; k < SC_MAX_N; k++) {
        most = g.count[k] > most ? g.count[k] : most;
        g.first[k] = sc_big_alloc((g.count[k] ? g.count[k] : 1) * sizeof *g.first[k]);
    }
    memcpy(g.first[0], c->toks, c->ntoks * sizeof *c->toks); /* a unigram is its word */
    g.keys = sc_big_alloc(most * sizeof *g.keys);
    for (g.order = 2; g.order <= SC_MAX_N; g.order++) {
        sc_par_run(threads, key_part, &g);
        sc_first_u64(first, g.keys, g.count[g.order - 1], g.first[g.order - 1]);
    }
    free(g.keys);
    sc_first_free(first);
    number_grams(&g);
    c->bags = sc_big_alloc((bags + 1) * sizeof *c->bags);
    c->nbags = bags;
    sc_par_run(threads, bag_part, &g);
    for (int k = 0; k < SC_MAX_N; k++)
        free(g.first[k]);
    free(g.at);
}

int sc_corpus_read_refs(sc_corpus *c, FILE *f, const char *name, const sc_load_opts *o)
{
    return read_records(c, f, name, NULL, o, 0);
}

int sc_corpus_read_preds(sc_corpus *c, FILE *f, const char *name, const char *refs_name,
                         const sc_load_opts *o)
{
    int status = read_records(c, f, name, refs_name, o, 1);
    if (status)
        return status;
    for (size_t r = 0; r < c->nrefs; r++) {
        if (c->refs[r].item)
            continue;
        {
            size_t n;
            const char *id = mc_intern_key(&c->ref_ids, (uint32_t)r, &n);
            mc_err_at(refs_name, c->refs[r].line, "id '%.*s' has no prediction", (int)n, id);
        }
        status = bad_record(c, o);
        if (status)
            return status;
    }
    if (c->nitems == 0) {
        mc_err_at(name, 0, "no predictions to score");
        return MC_EXIT_INPUT;
    }
    count_grams(c, o->threads);
    return 0;
}

size_t sc_ref_union(const sc_corpus *c, const sc_refrec *r, sc_gram **buf, size_t *cap)
{
    const sc_caption *first = &c->caps[r->cap0];
    size_t n = first->nbag, total = 0;
    sc_gram *u, *tmp;
    for (uint32_t k = 0; k < r->ncap; k++)
        total += c->caps[r->cap0 + k].nbag;
    reserve((void **)buf, cap, 2 * total + 1, sizeof **buf);
    u = *buf;
    tmp = u + total; /* second half: merge output, copied back */
    memcpy(u, c->bags + first->bag_off, n * sizeof *u);
    for (uint32_t k = 1; k < r->ncap; k++) {
        const sc_caption *cap_k = &c->caps[r->cap0 + k];
        const sc_gram *b = c->bags + cap_k->bag_off;
        size_t i = 0, j = 0, m = 0;
        while (i < n || j < cap_k->nbag) {
            if (j == cap_k->nbag || (i < n && u[i].id < b[j].id)) {
                tmp[m++] = u[i++];
            } else if (i == n || b[j].id < u[i].id) {
                tmp[m++] = b[j++];
            } else {
                tmp[m] = u[i];
                if (b[j].count > tmp[m].count)
                    tmp[m].count = b[j].count;
                m++;
                i++;
                j++;
            }
        }
        memcpy(u, tmp, m * sizeof *u);
        n = m;
    }
    return n;
}

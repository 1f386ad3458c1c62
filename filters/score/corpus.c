/* corpus.c - reading, joining, tokenising and counting captions. */
#define _POSIX_C_SOURCE 200809L
#include "corpus.h"
#include "text.h"
#include "io/ndjson.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

void sc_corpus_init(sc_corpus *c)
{
    memset(c, 0, sizeof *c);
    mc_intern_init(&c->words);
    sc_gramtab_init(&c->grams);
    mc_intern_init(&c->ref_ids);
    mc_intern_init(&c->values);
    sc_labelstore_init(&c->labels);
}

void sc_corpus_free(sc_corpus *c)
{
    mc_intern_free(&c->words);
    sc_gramtab_free(&c->grams);
    mc_intern_free(&c->ref_ids);
    mc_intern_free(&c->values);
    sc_labelstore_free(&c->labels);
    free(c->toks);
    free(c->bags);
    free(c->caps);
    free(c->refs);
    free(c->items);
    free(c->strings);
    free(c->scratch);
    free(c->grambuf);
    free(c->word_gram);
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

/* Token callback: intern the word and append its id to the corpus tokens. */
static void add_token(const char *tok, size_t len, void *ctx)
{
    sc_corpus *c = ctx;
    reserve((void **)&c->toks, &c->toks_cap, c->ntoks + 1, sizeof *c->toks);
    c->toks[c->ntoks++] = mc_intern_get(&c->words, tok, len, NULL);
}

/* The n-gram ids of w[0..n) into c->grambuf, order by order: the n
 * unigrams, then the n-1 bigrams, ... (each k-gram is its (k-1)-gram prefix
 * plus a word, so an order's lookups are independent and are prefetched).
 * Returns the number of ids written. */
static size_t grams_of(sc_corpus *c, const uint32_t *w, uint32_t n)
{
    uint32_t *g = c->grambuf;
    size_t prev = 0, at = n;
    if (c->words.n > c->word_gram_cap) {
        size_t old = c->word_gram_cap;
        reserve((void **)&c->word_gram, &c->word_gram_cap, c->words.n, sizeof *c->word_gram);
        for (size_t i = old; i < c->word_gram_cap; i++)
            c->word_gram[i] = SC_NO_GRAM;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (c->word_gram[w[i]] == SC_NO_GRAM)
            c->word_gram[w[i]] = sc_gramtab_get(&c->grams, SC_NO_GRAM, w[i]);
        g[i] = c->word_gram[w[i]];
    }
    for (uint32_t k = 2; k <= SC_MAX_N && k <= n; k++) {
        size_t cnt = n - k + 1;
        for (size_t i = 0; i < cnt; i++)
            sc_gramtab_prefetch(&c->grams, g[prev + i], w[i + k - 1]);
        for (size_t i = 0; i < cnt; i++)
            g[at + i] = sc_gramtab_get(&c->grams, g[prev + i], w[i + k - 1]);
        prev = at;
        at += cnt;
    }
    return at;
}

/* Tokenise text into a new caption (word ids and n-gram bag); returns its index. */
static uint32_t add_caption(sc_corpus *c, const char *text, enum sc_tokenizer tk)
{
    size_t len = strlen(text), ng, t0 = c->ntoks;
    sc_caption *cap;
    uint32_t *w;
    if (c->ncaps >= UINT32_MAX)
        mc_die(MC_EXIT_INTERNAL, "too many captions");
    reserve((void **)&c->scratch, &c->scratch_cap, len + 1, 1);
    /* toks and bags are allocated (room for one more) even while every
     * caption is empty: the metrics offset them by a caption's start */
    reserve((void **)&c->toks, &c->toks_cap, c->ntoks + 1, sizeof *c->toks);
    sc_tokenize(tk, text, len, c->scratch, add_token, c);
    reserve((void **)&c->caps, &c->caps_cap, c->ncaps + 1, sizeof *c->caps);
    cap = &c->caps[c->ncaps];
    cap->tok_off = t0;
    cap->ntok = (uint32_t)(c->ntoks - t0);
    reserve((void **)&c->grambuf, &c->grambuf_cap, (size_t)cap->ntok * SC_MAX_N + 1,
            sizeof *c->grambuf);
    w = c->toks + t0;
    ng = grams_of(c, w, cap->ntok);
    sc_sort_u32(c->grambuf, ng);
    cap->bag_off = c->nbags;
    reserve((void **)&c->bags, &c->bags_cap, c->nbags + ng + 1, sizeof *c->bags);
    for (size_t i = 0; i < ng; i++) {
        if (i > 0 && c->grambuf[i] == c->grambuf[i - 1]) {
            c->bags[c->nbags - 1].count++;
        } else {
            c->bags[c->nbags].id = c->grambuf[i];
            c->bags[c->nbags].count = 1;
            c->nbags++;
        }
    }
    cap->nbag = (uint32_t)(c->nbags - cap->bag_off);
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
 * is within SC_MAX_WORDS words, else -1 after a message. */
static int check_length(const char *text, const char *field, const char *name, long line)
{
    if (!too_long(text))
        return 0;
    mc_err_at(name, line, "\"%s\" has more than %d words, the longest caption scored", field,
              SC_MAX_WORDS);
    return -1;
}

/* The reference strings of rec: the ref field (string or non-empty list of
 * strings, each of at most SC_MAX_WORDS words).  Sets *list (array, or NULL for one string) and *one.  Returns
 * 0, or -1 after printing what is wrong. */
static int ref_strings(const cJSON *rec, const sc_load_opts *o, const char *name, long line,
                       const cJSON **list, const cJSON **one)
{
    const char *field = o->ref_field;
    const cJSON *v;
    if (!field)
        field = cJSON_GetObjectItemCaseSensitive(rec, "references") ? "references" : "caption";
    v = cJSON_GetObjectItemCaseSensitive(rec, field);
    *list = *one = NULL;
    if (cJSON_IsString(v)) {
        *one = v;
        return check_length(v->valuestring, field, name, line);
    }
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0) {
        const cJSON *e;
        cJSON_ArrayForEach(e, v) {
            if (!cJSON_IsString(e)) {
                mc_err_at(name, line, "\"%s\" holds something that is not a string", field);
                return -1;
            }
            if (check_length(e->valuestring, field, name, line) != 0)
                return -1;
        }
        *list = v;
        return 0;
    }
    if (!o->ref_field && !v)
        mc_err_at(name, line, "no \"references\" list or \"caption\" string");
    else if (!v)
        mc_err_at(name, line, "no field \"%s\"", field);
    else
        mc_err_at(name, line, "\"%s\" is not a string or a non-empty list of strings", field);
    return -1;
}

/* Add one parsed reference record. Returns 0 or an exit status. */
static int add_ref(sc_corpus *c, const cJSON *rec, const char *name, long line,
                   const sc_load_opts *o)
{
    const cJSON *list, *one, *e;
    const char *id = mc_record_id(rec);
    uint32_t r;
    sc_refrec *rr;
    sc_labelset labels = {0};
    if (ref_strings(rec, o, name, line, &list, &one) != 0)
        return bad_record(c, o);
    r = mc_intern_find(&c->ref_ids, id, strlen(id));
    if (r != UINT32_MAX) {
        mc_err_at(name, line, "duplicate id '%s' (first on line %ld)", id, c->refs[r].line);
        return bad_record(c, o);
    }
    if (o->labels && sc_labels_of_ref(&c->labels, rec, one ? one->valuestring
                                                          : list->child->valuestring,
                                      name, line, &labels) != 0)
        return bad_record(c, o);
    r = mc_intern_get(&c->ref_ids, id, strlen(id), NULL);
    reserve((void **)&c->refs, &c->refs_cap, c->nrefs + 1, sizeof *c->refs);
    rr = &c->refs[c->nrefs++];
    rr->line = line;
    rr->item = 0;
    rr->labels = labels;
    rr->cap0 = (uint32_t)c->ncaps;
    if (one) {
        add_caption(c, one->valuestring, o->tokenizer);
        sc_clinical_parse(one->valuestring, &c->values, &rr->clin);
    } else {
        cJSON_ArrayForEach(e, list) add_caption(c, e->valuestring, o->tokenizer);
        sc_clinical_parse(list->child->valuestring, &c->values, &rr->clin);
    }
    rr->ncap = (uint32_t)c->ncaps - rr->cap0;
    return 0;
}

/* Add one parsed prediction record as an item. Returns 0 or an exit status. */
static int add_pred(sc_corpus *c, const cJSON *rec, const char *name, long line,
                    const char *refs_name, const sc_load_opts *o)
{
    const char *id = mc_record_id(rec);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, o->pred_field);
    uint32_t r;
    sc_item *it;
    if (!cJSON_IsString(v)) {
        mc_err_at(name, line, v ? "\"%s\" is not a string" : "no field \"%s\"", o->pred_field);
        return bad_record(c, o);
    }
    if (check_length(v->valuestring, o->pred_field, name, line) != 0)
        return bad_record(c, o);
    r = mc_intern_find(&c->ref_ids, id, strlen(id));
    if (r == UINT32_MAX) {
        mc_err_at(name, line, "id '%s' has no reference in %s", id, refs_name);
        return bad_record(c, o);
    }
    if (c->refs[r].item) {
        mc_err_at(name, line, "duplicate id '%s' (first on line %ld)", id,
                  c->items[c->refs[r].item - 1].line);
        return bad_record(c, o);
    }
    reserve((void **)&c->items, &c->items_cap, c->nitems + 1, sizeof *c->items);
    it = &c->items[c->nitems++];
    it->ref = r;
    it->line = line;
    it->id_off = add_string(c, id);
    it->text_off = add_string(c, v->valuestring);
    it->pred = add_caption(c, v->valuestring, o->tokenizer);
    sc_clinical_parse(v->valuestring, &c->values, &it->pred_clin);
    it->pred_labels = (sc_labelset){0};
    if (o->labels)
        sc_labels_from_text(&c->labels, v->valuestring, &it->pred_labels);
    c->refs[r].item = (uint32_t)c->nitems;
    return 0;
}

/* Read every record of f, handing each to add (0 = go on).  Kind selects
 * add_ref (0) or add_pred (1).  Returns 0 or an exit status. */
static int read_records(sc_corpus *c, FILE *f, const char *name, const char *refs_name,
                        const sc_load_opts *o, int kind)
{
    mc_lines lr;
    char *line;
    int status = 0;
    mc_lines_init(&lr, f, name);
    while (!status && mc_lines_next(&lr, &line) >= 0) {
        cJSON *rec;
        if (mc_blank(line))
            continue;
        rec = mc_record_parse(line, name, lr.line);
        if (!rec) {
            status = bad_record(c, o);
            continue;
        }
        status = kind == 0 ? add_ref(c, rec, name, lr.line, o)
                           : add_pred(c, rec, name, lr.line, refs_name, o);
        cJSON_Delete(rec);
    }
    if (!status && ferror(f)) {
        mc_err_at(name, 0, "read error");
        status = MC_EXIT_IO;
    }
    mc_lines_free(&lr);
    return status;
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

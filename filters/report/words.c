/* words.c - caption tokens with their places, shared words. */
#define _POSIX_C_SOURCE 200809L
#include "words.h"
#include "html.h"
#include "arch/tokenizer.h"
#include "core/util.h"

#include <ctype.h>
#include <strings.h>

#include <stdlib.h>
#include <string.h>

enum { MAX_WORD = MC_TOK_MAX_WORD };

/* Append a token to t. */
static void push(rp_tokens *t, size_t start, size_t len, int punct)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 32;
        t->tok = mc_realloc(t->tok, (size_t)t->cap * sizeof *t->tok);
    }
    t->tok[t->n++] = (rp_token){start, len, punct};
}

/* State of rp_tokens_split: the tokens, the text and how far it is read. */
typedef struct {
    rp_tokens *t;
    const char *text;
    size_t at;
} splitting;

/* mc_tokenize callback: find token w (the text's bytes, lower-cased) at or
 * after s->at and append its place. */
static void locate(const char *w, size_t len, void *ctx)
{
    splitting *s = ctx;
    const char *p = s->text + s->at;
    for (; *p; p++)
        if (strncasecmp(p, w, len) == 0)
            break;
    if (!*p) /* not the tokenizer's own bytes: cannot happen, keep the count right */
        p = s->text + s->at;
    push(s->t, (size_t)(p - s->text), *p ? len : 0,
         len == 1 && (unsigned char)w[0] < 0x80 && !isalnum((unsigned char)w[0]));
    s->at = (size_t)(p - s->text) + (*p ? len : 0);
}

void rp_tokens_split(rp_tokens *t, const char *text)
{
    splitting s = {t, text, 0};
    t->n = 0;
    mc_tokenize(text, locate, &s);
}

void rp_tokens_free(rp_tokens *t)
{
    free(t->tok);
    memset(t, 0, sizeof *t);
}

/* Copy token tok of text lower-cased into buf (MAX_WORD + 1 bytes). */
static void lower(char *buf, const char *text, const rp_token *tok)
{
    for (size_t k = 0; k < tok->len; k++) {
        char c = text[tok->start + k];
        buf[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    buf[tok->len] = '\0';
}

void rp_words_add(mc_strtab *set, const char *text)
{
    rp_tokens t = {0};
    char buf[MAX_WORD + 1];
    rp_tokens_split(&t, text);
    for (int i = 0; i < t.n; i++)
        if (!t.tok[i].punct) {
            lower(buf, text, &t.tok[i]);
            mc_strtab_intern(set, buf, NULL);
        }
    rp_tokens_free(&t);
}

int rp_words_has(const mc_strtab *set, const char *text, const rp_token *tok)
{
    char buf[MAX_WORD + 1];
    if (tok->punct)
        return 0;
    lower(buf, text, tok);
    return mc_strtab_find(set, buf) >= 0;
}

void rp_write_marked(FILE *f, const char *text, const mc_strtab *set)
{
    rp_tokens t = {0};
    size_t at = 0;
    rp_tokens_split(&t, text);
    for (int i = 0; i < t.n; i++) {
        const rp_token *k = &t.tok[i];
        if (!rp_words_has(set, text, k))
            continue;
        rp_escn(f, text + at, k->start - at);
        fputs("<mark>", f);
        rp_escn(f, text + k->start, k->len);
        fputs("</mark>", f);
        at = k->start + k->len;
    }
    rp_esc(f, text + at);
    rp_tokens_free(&t);
}
